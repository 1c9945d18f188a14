import logging

from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from marketplace.celery import app
from marketplace.demo.seed import DEMO_PASSWORD, DemoTown


class Command(BaseCommand):
    help = "Load the demo town (idempotent). --products/--shops scale it for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=None, help="total products")
        parser.add_argument("--shops", type=int, default=None, help="number of active shops")

    def handle(self, *args, products=None, shops=None, **options):
        if products is not None and products < 0:
            raise CommandError("--products must be 0 or more.")
        if shops is not None and shops < 1:
            raise CommandError("--shops must be 1 or more.")
        town = DemoTown(products=products, shops=shops, log=self.stdout.write)
        # Loading runs the real services, which email people (a pledge's receipt, a vote
        # opening). Those are demo addresses: keep the mail in memory, and run the tasks here
        # rather than leave them on the broker for a worker to send later.
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        # Without this, every task run here logs a line, and the in-memory broker's first
        # connection a warning that it has no hostname.
        quiet = {name: logging.getLogger(name) for name in ("celery.app.trace", "kombu.connection")}
        levels = {name: log.level for name, log in quiet.items()}
        for log in quiet.values():
            log.setLevel(logging.ERROR)
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                mail.outbox = getattr(mail, "outbox", [])
                before = len(mail.outbox)
                logins = town.load()
                held_back = len(mail.outbox) - before
        finally:
            app.conf.task_always_eager = eager
            for name, log in quiet.items():
                log.setLevel(levels[name])
        for line in town.summary(emails_held_back=held_back):
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for login in logins:
            self.stdout.write(f"  {login.role:<20} {login.email:<34} {login.note}")
