"""Presales on Postgres: pledges paid at the counter, counters redeeming at the same time
from one campaign, closing a missed campaign that refunds everyone, and the public list and
the counter page with many campaigns. Standalone, in its own database (dropped and
recreated):

    .venv/bin/python bench/presales.py            # 1,000 supporters, 20 counters, 200 campaigns
    .venv/bin/python bench/presales.py --quick    # 200 supporters

Prints JSON. bench/README.md ("Presales") explains the figures.
"""

import argparse
import datetime
import json
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commonplace_bench_presales"


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--supporters", type=int, help="supporters pledging (1000)")
    parser.add_argument("--counters", type=int, default=20, help="counters redeeming at once")
    parser.add_argument("--redemptions", type=int, help="redemptions in all (2000)")
    parser.add_argument("--campaigns", type=int, default=200, help="open campaigns listed")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    args.supporters = args.supporters or (200 if args.quick else 1000)
    args.redemptions = args.redemptions or (400 if args.quick else 2000)
    return args


def main():
    args = parse_args()
    from timing import django_on_fresh_database

    django_on_fresh_database(args.database_url)

    from django.conf import settings
    from django.db import connection
    from django.db.models import Sum
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone
    from djmoney.money import Money
    from timing import summarise

    from loyalty import services
    from loyalty.exceptions import NotEnoughValue
    from loyalty.models import Account, Campaign, CampaignEvent
    from loyalty.presales import services as presales
    from marketplace.celery import app
    from marketplace.models import User
    from shops.models import Shop, ShopMembership

    # Supporters' emails are queued (in memory, no worker) as in production, not sent inline.
    app.conf.task_always_eager = False
    settings.ALLOWED_HOSTS = ["*"]
    rng = random.Random(7)
    now, today = timezone.now(), timezone.localdate()

    def euros(value) -> Money:
        return Money(value, settings.DEFAULT_CURRENCY)

    shop = Shop.objects.create(
        name="Bench Bakery",
        slug="bench-bakery",
        status="active",
        street="Market Street 1",
        postcode="10117",
        city="Lindenfeld",
        latitude=52.5,
        longitude=13.4,
    )
    owner = User.objects.create_user(email="owner@bench.example", password="bench-password-1")
    ShopMembership.objects.create(shop=shop, user=owner, role="owner")
    supporters = User.objects.bulk_create(
        User(email=f"supporter-{i}@bench.example", display_name=f"Supporter {i}")
        for i in range(args.supporters)
    )

    def new_campaign(title, target, if_missed="refund"):
        campaign = Campaign.objects.create(
            shop=shop,
            title=title,
            purpose="Bench",
            target=euros(target),
            min_pledge=euros("5"),
            deadline=now + datetime.timedelta(days=10),
            reward="store_credit",
            redemption_opens_on=today + datetime.timedelta(days=20),
            redemption_ends_on=today + datetime.timedelta(days=200),
            if_missed=if_missed,
            accepts_points=True,
            status="open",
        )
        CampaignEvent.objects.create(campaign=campaign, to_status="open")
        return campaign

    def pledge_everyone(campaign, tag):
        timings = []
        for n, supporter in enumerate(supporters):
            started = time.perf_counter()
            pledge = presales.pledge_create(
                campaign=campaign,
                supporter=supporter,
                amount=euros("50"),
                payment_method="at_shop",
                token=f"{tag}-{n}",
            )
            presales.pledge_confirm_paid_at_shop(shop=shop, pledge_id=pledge.pk, actor=owner)
            timings.append((time.perf_counter() - started) * 1000)
        return timings

    results = {"supporters": args.supporters}

    # 1. Every supporter pledges 50 € and pays at the counter (create + confirm).
    oven = new_campaign("Oven", "1000")
    started = time.perf_counter()
    timings = pledge_everyone(oven, "oven")
    wall = time.perf_counter() - started
    results["pledges_paid_at_counter"] = {
        "pledges": len(timings),
        "per_s": round(len(timings) / wall, 1),
        "per_pledge": summarise(timings),
    }

    # 2. Counters redeeming from the same campaign at once (every redemption locks the
    # campaign's liability account, so they queue on it), random supporters and parts.
    presales.campaign_open_redemption(campaign=oven, actor=owner)
    per_counter = args.redemptions // args.counters
    barrier = threading.Barrier(args.counters)
    timings, refused, errors = [], [], []

    def counter(index):
        picks = random.Random(index)
        try:
            barrier.wait()
            for n in range(per_counter):
                supporter = supporters[picks.randrange(len(supporters))]
                started = time.perf_counter()
                try:
                    presales.presale_redeem(
                        shop=shop,
                        user=supporter,
                        campaign_id=oven.pk,
                        amount_cents=picks.choice([250, 500, 1250, 2000]),
                        key=f"bench-{index}-{n}",
                        actor=owner,
                    )
                    timings.append((time.perf_counter() - started) * 1000)
                except NotEnoughValue:
                    refused.append(1)
        except Exception as error:  # noqa: BLE001 - counted and reported
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=counter, args=(i,)) for i in range(args.counters)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    holdings = (
        Account.objects.filter(kind="supporter_presale", campaign=oven).aggregate(
            total=Sum("balance")
        )["total"]
        or 0
    )
    results["redemptions_at_once"] = {
        "counters": args.counters,
        "redeemed": len(timings),
        "refused_not_enough_value": len(refused),
        "errors": errors[:3],
        "wall_s": round(wall, 3),
        "per_s": round(len(timings) / wall, 1),
        "per_redemption": summarise(timings),
        "liability_equals_holdings": services.presale_liability(oven).balance == -holdings,
        "negative_holdings": Account.objects.filter(
            kind="supporter_presale", balance__lt=0
        ).count(),
    }

    # 3. A campaign that misses its target and refunds everyone, in one close.
    missed = new_campaign("Missed", str(args.supporters * 100), if_missed="refund")
    pledge_everyone(missed, "missed")
    started = time.perf_counter()
    closed = presales.campaign_close(
        campaign=missed, now=missed.deadline + datetime.timedelta(seconds=1)
    )
    close_ms = (time.perf_counter() - started) * 1000
    results["close_missed_refund_all"] = {
        "pledges_refunded": missed.pledges.filter(status="refunded").count(),
        "status": closed.status,
        "close_ms": round(close_ms, 1),
        "per_pledge_ms": round(close_ms / args.supporters, 2),
    }
    results["trial_balance_ok"] = services.trial_balance()["balanced"]

    # 4. The public list with many open campaigns, and the counter page for a supporter.
    for n in range(args.campaigns):
        new_campaign(f"Campaign {n}", "500")
    from django.test.utils import setup_test_environment

    setup_test_environment()  # so the test client's requests can be counted
    client = Client()

    def page_timings(url, repeats=50):
        samples = []
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        count = len(queries)  # read now: later requests reset the connection's log
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        return {"queries": count, **summarise(samples)}

    results["list_page"] = {
        "open_campaigns": args.campaigns + 1,
        **page_timings(reverse("loyalty:presale_list")),
    }
    client.force_login(owner)
    card = services.card_for(supporters[rng.randrange(len(supporters))])
    results["counter_page"] = page_timings(
        reverse("loyalty:counter", args=[shop.pk]) + f"?card={card.number}"
    )
    results["shop_campaign_page"] = page_timings(
        reverse("loyalty:shop_campaign", args=[shop.pk, oven.pk])
    )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
