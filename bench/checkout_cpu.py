"""Checkout's server CPU per order, in process: the checkout page (GET) and placing the order
(POST) through Django's test Client, as a browser fills the form (token and pickup time read
from the page), timed with time.process_time so other work on the machine does not count.
The cart is refilled between orders, untimed. Prints one JSON document; --profile prints
the heaviest functions of the GET or the POST (cProfile) to stderr.

    DATABASE_URL=postgres://... DJANGO_SETTINGS_MODULE=marketplace.settings.dev DEBUG=0 \
        ALLOWED_HOSTS=testserver PYTHONPATH=. .venv/bin/python bench/checkout_cpu.py --orders 200
"""

import argparse
import cProfile
import html
import json
import os
import pstats
import re
import secrets
import sys
import time

import django
from town import open_around_the_clock


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--shops", type=int, default=2)
    parser.add_argument("--profile", choices=["get", "post"])
    return parser.parse_args()


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "min_ms": round(ordered[0], 2),
        "mean_ms": round(sum(ordered) / len(ordered), 2),
        "p50_ms": round(ordered[len(ordered) // 2], 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
    }


def main():
    args = parse_args()
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import F
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from orders import services
    from shops.models import Product, Shop

    # Shops that deliver (the page then offers delivery windows too), open around the clock
    # with no lead time: the most pickup slots a shop can offer, whatever the hour.
    shops = list(
        Shop.objects.filter(status=Shop.Status.ACTIVE, offers_delivery=True)
        .exclude(delivery_collective=None)
        .order_by("pk")[: args.shops]
    )
    open_around_the_clock(shop.pk for shop in shops)
    products = [
        Product.objects.select_related("shop")
        .filter(shop=shop, is_active=True, unit="piece")
        .order_by("pk")
        .first()
        for shop in shops
    ]
    Product.objects.filter(pk__in=[p.pk for p in products]).update(
        stock_quantity=F("stock_quantity") + 100_000
    )
    user = get_user_model().objects.create_user(
        email=f"bench-checkout-{secrets.token_hex(4)}@example.org", password=None
    )
    client = Client()
    client.force_login(user)
    cart = services.cart_get_or_create(user=user)

    def refill():
        for product in products:
            services.cart_add(cart=cart, product=product, quantity="1")

    def form_of(page: str) -> dict:
        token = re.search(r'name="checkout_token" value="([^"]+)"', page).group(1)
        data = {
            "checkout_token": token,
            "name": "Bench Buyer",
            "email": user.email,
            "payment_method": "on_collection",
        }
        for shop in shops:
            select = re.search(rf'<select name="slot_{shop.pk}".*?</select>', page, re.S).group(0)
            # The second time offered: the first may pass while the order is placed.
            chosen = re.findall(r'<option value="([^"]+)"', select)[1]
            data[f"fulfilment_{shop.pk}"] = "pickup"
            data[f"slot_{shop.pk}"] = html.unescape(chosen)
        return data

    get_ms, post_ms, failures = [], [], 0
    get_queries = post_queries = 0
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    for n in range(args.orders + 5):
        refill()
        if profiler and n >= 5 and args.profile == "get":
            profiler.enable()
        began = time.process_time()
        page = client.get("/checkout/")
        got = time.process_time() - began
        if profiler:
            profiler.disable()
        assert page.status_code == 200, page.status_code
        data = form_of(page.content.decode())
        if profiler and n >= 5 and args.profile == "post":
            profiler.enable()
        began = time.process_time()
        placed = client.post("/checkout/", data)
        posted = time.process_time() - began
        if profiler:
            profiler.disable()
        if placed.status_code != 302:
            failures += 1
        if n < 5:  # warming up: imports, caches, first connections
            continue
        get_ms.append(got * 1000)
        post_ms.append(posted * 1000)
    refill()
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/checkout/")
    get_queries = len(queries.captured_queries)
    data = form_of(page.content.decode())
    with CaptureQueriesContext(connection) as queries:
        placed = client.post("/checkout/", data)
    post_queries = len(queries.captured_queries)
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats(os.environ.get("SORT", "cumulative"))
        stats.print_stats(int(os.environ.get("TOP", "45")))
    both = [g + p for g, p in zip(get_ms, post_ms, strict=True)]
    print(
        json.dumps(
            {
                "orders": len(post_ms),
                "shops_per_cart": len(shops),
                "failures": failures,
                "get_cpu": summary(get_ms),
                "post_cpu": summary(post_ms),
                "get_plus_post_cpu": summary(both),
                "get_queries": get_queries,
                "post_queries": post_queries,
            }
        )
    )


if __name__ == "__main__":
    main()
