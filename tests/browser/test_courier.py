"""A courier on a phone claims a job, picks up with the shop's code, delivers with the
customer's code, and the customer sees it delivered."""

import pytest
from playwright.sync_api import expect

from logistics.models import Courier, DeliveryJob
from orders import services as order_services
from orders.services.checkout import DeliveryAddress, ShopChoice
from orders.tests.factories import cart_with, pickup_request
from shops.models import Product, Shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base, email):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("commonplace-demo")
    page.get_by_role("button", name="Sign In").click()


def test_claim_pick_up_deliver_and_the_customer_sees_it(page, demo_town):
    from django.contrib.auth import get_user_model

    base = demo_town.url
    bakery = Shop.objects.get(slug="lindenfeld-sourdough-bakery")
    customer = get_user_model().objects.get(email="customer@lindenfeld.example")
    bread = Product.objects.filter(shop=bakery, stock_quantity__gte=1, unit="piece").first()
    cart = cart_with([(bread, "1")], user=customer)
    request = pickup_request(
        [bakery],
        choices={bakery.pk: ShopChoice(fulfilment="delivery")},
        address=DeliveryAddress(
            "Market Street 20",
            "10117",
            "Lindenfeld",
            bakery.latitude + 0.002,
            bakery.longitude + 0.002,
        ),
    )
    purchase = order_services.checkout_place(cart=cart, customer=customer, request=request)
    order = purchase.orders.get()
    for status in ("accepted", "ready"):
        order_services.order_transition(order=order, to_status=status)
    Courier.objects.filter(user__email="courier@lindenfeld.example").update(on_shift=True)

    log_in(page, base, "courier@lindenfeld.example")
    page.goto(f"{base}/couriers/jobs/")
    expect(page.get_by_text("Market Street, 10117")).to_be_visible()
    page.get_by_role("button", name="Take this job").first.click()
    expect(page.get_by_text("The job is yours.")).to_be_visible()
    page.get_by_label("Shop's code for the order").fill(order.pickup_code)
    page.get_by_role("button", name="Picked up").click()
    expect(page.get_by_text("Picked up.", exact=True)).to_be_visible()
    job = DeliveryJob.objects.get(purchase=purchase)
    page.get_by_label("Customer's delivery code").fill(job.delivery_code)
    page.get_by_role("button", name="Delivered").click()
    expect(page.get_by_text("Delivered. Thank you!")).to_be_visible()

    log_in(page, base, "customer@lindenfeld.example")
    page.goto(f"{base}{purchase.get_absolute_url()}")
    expect(page.locator(".status-pill").first).to_have_text("Delivered")
    expect(page.locator(".delivery-state")).to_contain_text("Kim brings it")
