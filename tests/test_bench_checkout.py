"""The HTTP checkout benchmark (bench/checkout_http.py) must keep placing orders as the form
changes: it fills the form from the page as a browser does, so a change to the page that
breaks it shows here, not as refusals in the middle of `make bench`."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.tests.factories import UserFactory
from orders.models import Order, Purchase
from orders.tests.factories import cart_with, open_shop
from shops.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

# Appended, not prepended: bench/ holds scripts named like the apps (governance.py).
BENCH = Path(__file__).resolve().parent.parent / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))
checkout_http = importlib.import_module("checkout_http")
http_load = importlib.import_module("http_load")


def test_the_form_the_benchmark_fills_from_the_page_places_a_two_shop_order(settings):
    # Given a signed-in customer with goods from two shops
    bakery, grocer = open_shop(name="Bakery"), open_shop(name="Grocer")
    user = UserFactory(display_name="Sam")
    cart_with([(ProductFactory(shop=bakery), "1"), (ProductFactory(shop=grocer), "1")], user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    # When the benchmark reads the checkout page and posts what it filled in
    page = browser.get(reverse("orders:checkout"))
    form = checkout_http.filled_form(page.content.decode())
    response = browser.post(reverse("orders:checkout"), form)

    # Then the order is placed, one order a shop, at the first pickup time each offers
    purchase = Purchase.objects.get(customer=user)
    assert response.status_code == 302 and response.url == purchase.get_absolute_url()
    assert Order.objects.filter(purchase=purchase).count() == 2
    assert form[f"slot_{bakery.pk}"] and form[f"slot_{grocer.pk}"]
    assert form["payment_method"] == "on_collection"


def test_a_page_without_the_checkout_form_is_reported_not_posted():
    with pytest.raises(ValueError, match="no checkout form"):
        checkout_http.filled_form("<html><body><p>Your cart is empty.</p></body></html>")


def test_the_form_reader_sends_what_a_browser_sends():
    html = """
      <form method="get"><input name="q" value="ignored"></form>
      <form method="post">
        <input type="hidden" name="csrfmiddlewaretoken" value="t">
        <input type="hidden" name="checkout_token" value="c">
        <input name="name" value="Sam">
        <input type="radio" name="fulfilment_1" value="pickup" checked>
        <input type="radio" name="fulfilment_1" value="delivery">
        <input type="checkbox" name="newsletter" value="yes">
        <select name="slot_1"><option value="">Choose</option><option value="09:00">9</option>
        </select>
        <select name="window_2"><option value="a">A</option><option value="b" selected>B</option>
        </select>
        <textarea name="notes">Ring twice</textarea>
        <button type="submit">Place order</button>
      </form>"""
    assert checkout_http.filled_form(html) == {
        "csrfmiddlewaretoken": "t",
        "checkout_token": "c",
        "name": "Sam",
        "fulfilment_1": "pickup",
        "slot_1": "09:00",  # left open on the page: the first time offered
        "window_2": "b",
        "notes": "Ring twice",
    }


def test_server_cpu_is_read_for_the_processes_a_server_started():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in http_load.children_of(os.getpid())
        assert http_load.cpu_seconds(child.pid) >= 0
    finally:
        child.kill()
        child.wait()
    assert http_load.cpu_seconds(child.pid) is None
