from django.core.management.base import BaseCommand, CommandError

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
        logins = town.load()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for login in logins:
            self.stdout.write(f"  {login.role:<20} {login.email:<34} {login.note}")
