"""Checkouts per second on Postgres: many buyers, each with a basket from two or three shops,
checking out at once through orders.services.checkout_place (row locks, stock updates, one
order per shop). Run by bench/run.py against the bench database; prints one JSON document.

    DATABASE_URL=postgres://... DJANGO_SETTINGS_MODULE=marketplace.settings.dev DEBUG=0 \
        PYTHONPATH=. .venv/bin/python bench/checkouts.py --buyers 400 --threads 8
"""

import argparse
import json
import random
import secrets
import sys
import threading
import time

import django
from timing import summarise
from town import open_around_the_clock


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--buyers", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--hot-products", type=int, default=20)
    return parser.parse_args()


def main():
    args = parse_args()
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import F

    from orders import services
    from orders.delivery import pickup_slots
    from orders.exceptions import SoldOut
    from shops.models import Product, Shop

    rng = random.Random(7)
    shops = list(Shop.objects.filter(status=Shop.Status.ACTIVE).order_by("pk")[:30])
    open_around_the_clock(shop.pk for shop in shops)
    by_shop = {
        shop.pk: list(
            Product.objects.filter(shop=shop, is_active=True, unit="piece").values_list(
                "pk", flat=True
            )[:200]
        )
        for shop in shops
    }
    by_shop = {k: v for k, v in by_shop.items() if v}
    Product.objects.filter(shop__in=shops).update(stock_quantity=F("stock_quantity") + 10_000)
    shops = [s for s in Shop.objects.prefetch_related("opening_hours").filter(pk__in=by_shop)]
    slots = {shop.pk: pickup_slots(shop)[1][0] for shop in shops}
    # A few products that many buyers want: the contention a popular item brings.
    hot = [pk for pks in list(by_shop.values())[:5] for pk in pks[:4]][: args.hot_products]

    User = get_user_model()
    stamp = secrets.token_hex(4)
    buyers = []
    for n in range(args.buyers):
        user = User.objects.create_user(email=f"bench-{stamp}-{n}@example.org", password=None)
        cart = services.cart_get_or_create(user=user)
        chosen = rng.sample(list(by_shop), k=min(len(by_shop), rng.choice([2, 3])))
        items = [rng.choice(by_shop[shop_id]) for shop_id in chosen]
        if rng.random() < 0.5:
            items.append(rng.choice(hot))
        for product in Product.objects.select_related("shop").filter(pk__in=set(items)):
            services.cart_add(cart=cart, product=product, quantity="1")
        shop_ids = set(cart.lines.values_list("product__shop_id", flat=True))
        request = services.CheckoutRequest(
            checkout_token=secrets.token_urlsafe(16),
            name="Bench Buyer",
            email=user.email,
            payment_method="on_collection",
            choices={
                shop_id: services.ShopChoice(fulfilment="pickup", pickup_from=slots[shop_id])
                for shop_id in shop_ids
            },
        )
        buyers.append((cart, user, request))
    connection.close()

    queue = list(range(len(buyers)))
    lock = threading.Lock()
    latencies, failures, orders = [], [], [0]

    def worker():
        while True:
            with lock:
                if not queue:
                    break
                index = queue.pop()
            cart, user, request = buyers[index]
            started = time.perf_counter()
            try:
                purchase = services.checkout_place(cart=cart, customer=user, request=request)
            except SoldOut:
                failures.append("sold out")
                continue
            except Exception as error:  # noqa: BLE001 - reported, not hidden
                failures.append(repr(error))
                continue
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                orders[0] += purchase.orders.count()
        connection.close()

    print(f"checking out {len(buyers)} baskets with {args.threads} threads…", file=sys.stderr)
    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    from marketplace.celery import app

    with app.connection_for_write() as broker:
        # Every queue the tasks are routed to (mail, assignment, the default).
        queued = sum(broker.default_channel.queue_purge(name) or 0 for name in app.amqp.queues)
    print(
        json.dumps(
            {
                "buyers": len(buyers),
                "threads": args.threads,
                "shops": len(shops),
                "hot_products": len(hot),
                "checkouts": len(latencies),
                "orders": orders[0],
                "failures": failures[:10],
                "failure_count": len(failures),
                "tasks_queued": queued,
                "wall_s": round(wall, 2),
                "checkouts_per_s": round(len(latencies) / wall, 1),
                "latency_ms": summarise([x * 1000 for x in latencies]),
            }
        )
    )


if __name__ == "__main__":
    main()
