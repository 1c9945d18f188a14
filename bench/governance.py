"""Governance on Postgres: members voting at once, closing big votes, the fee lookup every
checkout makes, and the public transparency page over many orders. Standalone, in its own
database (dropped and recreated):

    .venv/bin/python bench/governance.py            # 100 at once, 1,000-member vote, 50,000 orders
    .venv/bin/python bench/governance.py --quick    # 100 at once, 300 members, 5,000 orders

Prints JSON. bench/README.md ("Governance") explains the figures.
"""

import argparse
import datetime
import json
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commonplace_bench_governance"


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--at-once", type=int, default=100, help="members voting at once")
    parser.add_argument("--members", type=int, help="members of the big vote (1000)")
    parser.add_argument("--orders", type=int, help="collected orders (50000)")
    parser.add_argument("--decisions", type=int, default=200, help="accepted fee votes")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    args.members = args.members or (300 if args.quick else 1000)
    args.orders = args.orders or (5_000 if args.quick else 50_000)
    return args


def main():
    args = parse_args()
    from timing import django_on_fresh_database

    django_on_fresh_database(args.database_url)
    import django
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from timing import summarise

    from governance import selectors, services
    from governance.models import Member, Proposal, Vote
    from marketplace.celery import app
    from marketplace.models import User
    from orders.models import Order, Purchase
    from shops.models import Shop, ShopMembership

    # Announcements are queued (in memory, no worker) as in production, not sent inline.
    app.conf.task_always_eager = False
    settings = django.conf.settings
    settings.GOVERNANCE_QUORUM_PERCENT = "10"
    now = timezone.now()

    def member_shops(n, prefix):
        shops = Shop.objects.bulk_create(
            Shop(
                name=f"{prefix} {i}",
                slug=f"{prefix}-{i}",
                status="active",
                street="Market Street 1",
                postcode="10117",
                city="Lindenfeld",
                latitude=52.5,
                longitude=13.4,
            )
            for i in range(n)
        )
        owners = User.objects.bulk_create(
            User(email=f"{prefix}-{i}@example.org", display_name=f"Owner {i}") for i in range(n)
        )
        ShopMembership.objects.bulk_create(
            ShopMembership(shop=s, user=o, role="owner") for s, o in zip(shops, owners, strict=True)
        )
        members = Member.objects.bulk_create(
            Member(kind="shop", shop=s, joined_on=datetime.date(2025, 1, 1)) for s in shops
        )
        return list(zip(members, owners, strict=True)), shops

    def open_fee_vote(voter, title):
        return services.proposal_create(
            user=voter[1],
            member_id=voter[0].pk,
            kind="fee",
            title=title,
            rationale="Bench",
            fee_percent="4.00",
            effective_on=services.earliest_effective_day(now=now),
            now=now - datetime.timedelta(days=1),
        )

    def free_connections():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity"
            )
            return cursor.fetchone()[0]

    def vote_together(proposal, voters, threads_cap):
        gate = threading.BoundedSemaphore(threads_cap)
        barrier = threading.Barrier(len(voters))
        timings, errors = [], []

        def vote(member, owner):
            barrier.wait()
            with gate:
                started = time.perf_counter()
                try:
                    services.vote_cast(
                        proposal_id=proposal.pk, user=owner, member_id=member.pk, choice="yes"
                    )
                    timings.append((time.perf_counter() - started) * 1000)
                except Exception as error:  # noqa: BLE001 - counted and reported
                    errors.append(repr(error))
                finally:
                    connection.close()

        threads = [threading.Thread(target=vote, args=voter) for voter in voters]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started, timings, errors

    results = {}
    cap = max(10, min(args.at_once, free_connections() - 20))

    # 1. Members voting at the same moment.
    voters, _shops = member_shops(args.at_once, "at-once")
    proposal = open_fee_vote(voters[0], "At once")
    wall, timings, errors = vote_together(proposal, voters, cap)
    results["votes_at_once"] = {
        "members": args.at_once,
        "connections_at_once": cap,
        "counted": Vote.objects.filter(proposal=proposal).count(),
        "errors": errors[:3],
        "wall_s": round(wall, 3),
        "votes_per_s": round(len(timings) / wall, 1),
        "per_vote": summarise(timings),
    }

    # 2. A vote of many members, then its close.
    many, _ = member_shops(args.members - args.at_once, "many")
    everyone = voters + many
    big = open_fee_vote(everyone[0], "Big vote")
    wall, timings, errors = vote_together(big, everyone, cap)
    Proposal.objects.filter(pk__in=[proposal.pk, big.pk]).update(closes_at=timezone.now())
    started = time.perf_counter()
    closed = services.proposal_close(proposal_id=big.pk)
    close_ms = (time.perf_counter() - started) * 1000
    results["big_vote"] = {
        "members": len(everyone),
        "counted": closed.yes_count + closed.no_count + closed.abstain_count,
        "status": closed.status,
        "wall_s": round(wall, 3),
        "votes_per_s": round(len(timings) / wall, 1),
        "close_ms": round(close_ms, 1),
    }

    # 3. The fee lookup every checkout makes, with many accepted fee votes on record.
    Proposal.objects.bulk_create(
        Proposal(
            kind="fee",
            status="accepted",
            title=f"Fee {i}",
            rationale="Bench",
            opens_at=now - datetime.timedelta(days=i + 20),
            closes_at=now - datetime.timedelta(days=i + 6),
            closed_at=now - datetime.timedelta(days=i + 6),
            quorum_percent=50,
            majority="simple",
            secret=True,
            fee_percent=Decimal("4.00") + Decimal(i % 10) / 10,
            effective_on=(now - datetime.timedelta(days=i + 5)).date(),
        )
        for i in range(args.decisions)
    )
    samples = []
    for _ in range(500):
        started = time.perf_counter()
        selectors.fee_in_force(now=now)
        samples.append((time.perf_counter() - started) * 1000)
    results["fee_lookup"] = {"decisions": args.decisions, **summarise(samples)}

    # 4. The transparency page over many collected orders.
    shop = Shop.objects.get(slug="at-once-0")
    purchases = Purchase.objects.bulk_create(
        Purchase(
            checkout_token=f"bench-{i}",
            name="Bench",
            email="bench@example.org",
            payment_method="on_collection",
            total=Decimal("20.00"),
        )
        for i in range(args.orders)
    )
    Order.objects.bulk_create(
        Order(
            purchase=p,
            shop=shop,
            status="collected",
            fulfilment="pickup",
            pickup_from=now,
            pickup_until=now,
            subtotal=Decimal("20.00"),
            vat_included=Decimal("1.31"),
            platform_fee_percent=Decimal("4.50"),
            platform_fee=Decimal("0.90"),
            total=Decimal("20.00"),
            pickup_code="BENCH1",
        )
        for p in purchases
    )
    # Spread over the last year, so every month has orders.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE orders_order SET created_at = now() - (id % 360) * interval '1 day'")
        cursor.execute("ANALYZE")
    client = Client(HTTP_HOST="localhost")
    samples = []
    for _ in range(20):
        started = time.perf_counter()
        response = client.get("/cooperative/transparency/")
        assert response.status_code == 200
        samples.append((time.perf_counter() - started) * 1000)
    results["transparency_page"] = {"collected_orders": args.orders, **summarise(samples)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
