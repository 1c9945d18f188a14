"""The outbox on Postgres and Redis with real Celery workers: how many events it relays a
second, and how long a purchase's confirmation email takes from commit to the mail server while
the workers are busy. Standalone, in its own database (dropped and recreated) and Redis
database (emptied):

    .venv/bin/python bench/outbox.py            # 2,000 events, 100 purchases at 2 a second
    .venv/bin/python bench/outbox.py --quick    # 500 events, 20 purchases

Mail goes to a fake SMTP server in this process (tests/fake_smtp.py) that notes when it
accepted each message. Prints JSON. bench/README.md ("Outbox") explains the figures.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commonplace_bench_outbox"
DEFAULT_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
TOPIC = "bench.noted"
# The cheap subscriber below, as the workers import it (bench/ is on their path).
HANDLER = "outbox.noted"


def noted(event) -> None:
    """A subscriber that does nothing: what is measured is the outbox's own cost."""


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, help="events published at full speed (2000)")
    parser.add_argument("--threads", type=int, default=4, help="threads publishing them")
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes")
    parser.add_argument("--purchases", type=int, help="purchases placed under load (100)")
    parser.add_argument("--purchase-rate", type=float, default=2.0, help="purchases a second")
    parser.add_argument(
        "--load-share",
        type=float,
        default=0.7,
        help="background events during the purchases, as a share of the measured capacity",
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    args.events = args.events or (500 if args.quick else 2000)
    args.purchases = args.purchases or (20 if args.quick else 100)
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def wait_for(outcome, *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (result := outcome()):
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {seconds} s waiting for {what}")
        time.sleep(0.05)
    return result


def start_workers(n: int, *, database_url: str, redis_url: str, smtp_port: int) -> list:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)]),
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.dev",
        "DEBUG": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
    }
    command = [sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool", "solo"]
    command += ["--loglevel", "WARNING", "--without-gossip", "--without-mingle"]
    return [
        subprocess.Popen(
            [*command, "--hostname", f"bench{i}@%h"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(n)
    ]


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of processes (Linux): what the work cost, whatever else the
    machine was doing."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def in_threads(n: int, work) -> None:
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main():
    args = parse_args()
    # Production's shape: the relay hands messages to Redis, separate workers deliver them.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings.dev", DEBUG="0", REDIS_URL=args.redis_url
    )
    from timing import django_on_fresh_database, summarise

    django_on_fresh_database(args.database_url)
    from django.db import connection, transaction
    from django.utils import timezone

    from marketplace import events, subscriptions
    from marketplace.celery import app
    from marketplace.models import OutboxMessage
    from orders import services
    from orders.tests.factories import cart_with, first_slot, open_shop, pickup_request
    from shops.tests.factories import ProductFactory
    from tests.fake_smtp import FakeSMTPServer

    subscriptions.SUBSCRIBERS[TOPIC] = [events.after_commit(HANDLER)]
    with app.connection_for_write() as broker:
        broker.default_channel.client.flushdb()  # the bench's own Redis database

    def publish(n: int) -> None:
        with transaction.atomic():
            events.publish(TOPIC, n=n)

    def pending(topic: str) -> int:
        return OutboxMessage.objects.filter(topic=topic, state=OutboxMessage.State.PENDING).count()

    # Buyers with a cart each, ready before anything is timed. The shop has no email and no
    # members, so each purchase sends one email: the buyer's confirmation.
    shop = open_shop()
    product = ProductFactory(shop=shop, stock_quantity=10 * args.purchases)
    # A pickup time a few hours ahead, so it is still offered when the last buyer checks out.
    later = timezone.now() + datetime.timedelta(hours=3)
    choice = services.ShopChoice(fulfilment="pickup", pickup_from=first_slot(shop, now=later))
    buyers = []
    for i in range(args.purchases):
        cart = cart_with([(product, "1")])
        request = pickup_request([shop], email=f"buyer-{i}@example.org", choices={shop.pk: choice})
        buyers.append((cart, request))
    connection.close()

    results = {"workers": args.workers, "publishing_threads": args.threads}
    with FakeSMTPServer() as smtp:
        workers = start_workers(
            args.workers,
            database_url=args.database_url,
            redis_url=args.redis_url,
            smtp_port=smtp.port,
        )
        try:
            log(f"waiting for {args.workers} workers…")
            wait_for(
                lambda: len(app.control.ping(timeout=0.5)) >= args.workers,
                seconds=120,
                what="the workers to answer",
            )

            # (a) Events relayed a second: publish at full speed, time until all are done.
            log(f"relaying {args.events} events published by {args.threads} threads…")
            queue = list(range(args.events))
            lock = threading.Lock()

            def publisher(_):
                while True:
                    with lock:
                        if not queue:
                            break
                        n = queue.pop()
                    publish(n)
                connection.close()

            worker_cpu = cpu_seconds([w.pid for w in workers])
            began = time.perf_counter()
            in_threads(args.threads, publisher)
            published_s = time.perf_counter() - began
            wait_for(lambda: pending(TOPIC) == 0, seconds=600, what="the events to be relayed")
            relayed_s = time.perf_counter() - began
            worker_cpu = cpu_seconds([w.pid for w in workers]) - worker_cpu
            attempts = list(
                OutboxMessage.objects.filter(topic=TOPIC).values_list("attempts", flat=True)
            )
            capacity = args.events / relayed_s
            results["relay"] = {
                "events": args.events,
                "published_s": round(published_s, 2),
                "published_per_s": round(args.events / published_s, 1),
                "relayed_s": round(relayed_s, 2),
                "events_relayed_per_s": round(capacity, 1),
                "worker_cpu_ms_per_event": round(worker_cpu * 1000 / args.events, 2),
                "done": OutboxMessage.objects.filter(
                    topic=TOPIC, state=OutboxMessage.State.DONE
                ).count(),
                "delivered_more_than_once": sum(1 for a in attempts if a > 1),
            }

            # (b) Commit to email under load: cheap events at a steady share of that capacity
            # while purchases are placed at a steady rate.
            load_rate = args.load_share * capacity
            log(
                f"{args.purchases} purchases at {args.purchase_rate:g}/s while "
                f"{load_rate:.0f} events/s keep the workers busy…"
            )
            committed: dict[str, float] = {}
            stop = threading.Event()

            def steady_load(i):
                # Two paced threads, each half the rate: one alone may not keep up.
                interval, k = 2 / load_rate, 0
                start = time.monotonic() + i * interval / 2
                while not stop.is_set():
                    delay = start + k * interval - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    publish(-1)
                    k += 1
                connection.close()

            load = [threading.Thread(target=steady_load, args=(i,)) for i in range(2)]
            for thread in load:
                thread.start()
            began = time.monotonic()
            try:
                for i, (cart, request) in enumerate(buyers):
                    delay = began + i / args.purchase_rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    services.checkout_place(cart=cart, customer=cart.user, request=request)
                    # Returned: committed, and the relay has handed the message to Redis.
                    committed[request.email] = time.time()
            finally:
                stop.set()
                for thread in load:
                    thread.join()
            connection.close()
            wait_for(
                lambda: len(smtp.accepted) >= args.purchases,
                seconds=600,
                what="the confirmation emails",
            )
            delays = [(m.at - committed[m.recipients[0]]) * 1000 for m in smtp.accepted]
            results["commit_to_email"] = {
                "purchases": args.purchases,
                "purchase_rate_per_s": args.purchase_rate,
                "background_events_per_s": round(load_rate, 1),
                "background_events": OutboxMessage.objects.filter(topic=TOPIC).count()
                - args.events,
                "wall_s": round(time.monotonic() - began, 2),
                "emails": len(smtp.accepted),
                **summarise(delays),
            }
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
