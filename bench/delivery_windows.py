"""The checkout page with delivery windows on Postgres: a signed-in customer with a cart from
two shops that deliver with one couriers' collective loads the checkout page (pickup slots
and delivery windows for three days, grouped and labelled) and places the order in the
preselected window. Standalone, in its own database (dropped and recreated):

    .venv/bin/python bench/delivery_windows.py            # 200 page loads, 200 checkouts
    .venv/bin/python bench/delivery_windows.py --quick    # 30 of each

Prints JSON. bench/README.md ("Delivery windows") explains the figures.
"""

import argparse
import json
import re
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commonplace_bench_windows"


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, help="checkout page loads timed (200)")
    parser.add_argument("--checkouts", type=int, help="checkouts placed (200)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    args.loads = args.loads or (30 if args.quick else 200)
    args.checkouts = args.checkouts or (30 if args.quick else 200)
    return args


def main():
    args = parse_args()
    from timing import django_on_fresh_database

    django_on_fresh_database(args.database_url)

    import datetime

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from djmoney.money import Money
    from timing import summarise

    from logistics.models import Collective, DeliveryWindow, ServiceHours
    from marketplace.tests.factories import UserFactory
    from orders import services
    from orders.models import Cart, Order
    from shops.models import OpeningHours, Product

    settings.ALLOWED_HOSTS = ["*"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    collective = Collective.objects.create(
        name="Bench Riders",
        slug="bench-riders",
        delivery_base_fee=Money("3.00", "EUR"),
        delivery_fee_per_km=Money("0.80", "EUR"),
        window_minutes=60,
        window_capacity=100_000,
    )
    # Around the clock with 1-hour windows: the most windows a page can offer (about 70).
    ServiceHours.objects.bulk_create(
        ServiceHours(collective=collective, weekday=d, opens="00:00", closes="23:59")
        for d in range(7)
    )
    from shops.tests.factories import ProductFactory, ShopFactory

    shops = []
    for n in range(2):
        shop = ShopFactory(
            name=f"Bench Shop {n}",
            offers_delivery=True,
            delivery_collective=collective,
            delivery_radius_km=5,
            pickup_lead_minutes=30,
            latitude=52.5163 + n * 0.001,
            longitude=13.3777,
        )
        OpeningHours.objects.bulk_create(
            OpeningHours(shop=shop, weekday=d, opens="00:00", closes="23:59") for d in range(7)
        )
        shops.append(shop)
    products = [ProductFactory(shop=shop, stock_quantity=1_000_000, unit="piece") for shop in shops]
    user = UserFactory()
    client = Client()
    client.force_login(user)
    cart = services.cart_get_or_create(user=user)

    def fill_cart():
        for product in Product.objects.select_related("shop").filter(
            pk__in=[p.pk for p in products]
        ):
            services.cart_add(cart=cart, product=product, quantity="1")

    url = reverse("orders:checkout")
    fill_cart()
    client.get(url)  # warm up: templates, URL resolver
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    page_queries = len(queries)  # read now: later requests empty the connection's log
    assert page.status_code == 200, page.status_code
    # What a browser would send: the preselected window, read from the page.
    html = page.content.decode()
    window_field = f"window_{collective.pk}"
    preselected = re.search(r'<option value="([^"]+)" selected data-shops', html).group(1)
    offered = html.count("data-shops=")
    # Wall time, and this process's CPU time (Django's own work, without the database's and
    # without waiting for a core on a busy machine).
    page_ms, page_cpu_ms = [], []
    for _ in range(args.loads):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        page_ms.append((time.perf_counter() - started) * 1000)
        page_cpu_ms.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200

    post_ms, post_cpu_ms, refused = [], [], 0
    for _ in range(args.checkouts):
        if not Cart.objects.filter(pk=cart.pk, lines__isnull=False).exists():
            fill_cart()
        data = {
            "checkout_token": secrets.token_urlsafe(16),
            "name": "Bench Customer",
            "email": "bench@example.org",
            "payment_method": "on_collection",
            "street": "Linden Avenue 3",
            "postcode": "10117",
            "city": "Lindenfeld",
            "latitude": "52.5170",
            "longitude": "13.3790",
            window_field: preselected,
        }
        for shop in shops:
            data[f"fulfilment_{shop.pk}"] = "delivery"
        started, cpu = time.perf_counter(), time.process_time()
        response = client.post(url, data)
        post_ms.append((time.perf_counter() - started) * 1000)
        post_cpu_ms.append((time.process_time() - cpu) * 1000)
        if response.status_code != 302:
            refused += 1

    window = DeliveryWindow.objects.get()
    report = {
        "shops_in_cart": len(shops),
        "windows_offered": offered,
        "window_minutes": collective.window_minutes,
        "page_queries": page_queries,
        "checkout_page": summarise(page_ms),
        "checkout_page_cpu": summarise(page_cpu_ms),
        "checkout_post": summarise(post_ms),
        "checkout_post_cpu": summarise(post_cpu_ms),
        "checkouts_refused": refused,
        "orders": Order.objects.count(),
        "rides_booked_in_window": window.taken,
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
