"""Races on Postgres with real threads: nothing is oversold, paid or counted twice."""

import json
import time
from decimal import Decimal

import pytest
import stripe
from django.test import Client
from django.urls import reverse

from marketplace.tests.concurrency import run_together
from orders import services
from orders.exceptions import SoldOut
from orders.models import Order, Payment, Purchase, WebhookEvent
from shops.models import Product
from shops.tests.factories import ProductFactory

from .factories import cart_with, open_shop, pickup_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(3))
def test_fifty_buyers_of_the_last_unit_give_one_order_and_49_sold_out(round_):
    shop = open_shop()
    last = ProductFactory(shop=shop, stock_quantity=1)
    carts = [cart_with([(last, "1")]) for _ in range(50)]
    requests = [pickup_request([shop]) for _ in range(50)]

    results = run_together(
        50,
        lambda i: services.checkout_place(
            cart=carts[i], customer=carts[i].user, request=requests[i]
        ),
    )

    orders = [r for r in results if isinstance(r, Purchase)]
    sold_out = [r for r in results if isinstance(r, SoldOut)]
    assert len(orders) == 1 and len(sold_out) == 49, [type(r) for r in results]
    assert Order.objects.count() == 1 and Purchase.objects.count() == 1
    assert Product.objects.get(pk=last.pk).stock_quantity == 0


def test_baskets_in_opposite_orders_never_deadlock():
    shop = open_shop()
    products = [ProductFactory(shop=shop, stock_quantity=100) for _ in range(6)]
    carts, requests = [], []
    for i in range(12):
        ordered = products if i % 2 else list(reversed(products))
        carts.append(cart_with([(p, "1") for p in ordered]))
        requests.append(pickup_request([shop]))

    results = run_together(
        12,
        lambda i: services.checkout_place(
            cart=carts[i], customer=carts[i].user, request=requests[i]
        ),
    )

    assert all(isinstance(r, Purchase) for r in results), results
    assert {p.stock_quantity for p in Product.objects.filter(pk__in=[p.pk for p in products])} == {
        Decimal("88")
    }


def test_the_same_checkout_submitted_ten_times_gives_one_order_and_one_payment():
    shop = open_shop()
    product = ProductFactory(shop=shop, stock_quantity=10)
    cart = cart_with([(product, "2")])
    request = pickup_request([shop])

    results = run_together(
        10, lambda i: services.checkout_place(cart=cart, customer=cart.user, request=request)
    )

    assert all(isinstance(r, Purchase) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Order.objects.count() == 1 and Payment.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock_quantity == 8


WEBHOOK_SECRET = "whsec_test_secret_for_commonplace"


def signed(payload: dict, *, at: int | None = None) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    timestamp = at or int(time.time())
    signature = stripe.WebhookSignature._compute_signature(
        f"{timestamp}.{body.decode()}", WEBHOOK_SECRET
    )
    return body, f"t={timestamp},v1={signature}"


def test_one_webhook_event_delivered_twenty_times_at_once_records_one_payment(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    shop = open_shop()
    cart = cart_with([(ProductFactory(shop=shop), "1")])
    purchase = services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([shop], payment_method="card")
    )
    Payment.objects.filter(purchase=purchase).update(provider_reference="cs_test_1")
    completed = {
        "id": "evt_completed",
        "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_test_1", "payment_status": "paid", "payment_intent": "pi_1"}},
    }
    expired = {  # arrives out of order, after the payment went through
        "id": "evt_expired",
        "type": "checkout.session.expired",
        "data": {"object": {"id": "cs_test_1"}},
    }
    url = reverse("orders:stripe_webhook")

    def deliver(i):
        body, header = signed(completed if i % 4 else expired)
        return (
            Client()
            .post(url, body, content_type="application/json", headers={"Stripe-Signature": header})
            .status_code
        )

    statuses = run_together(20, deliver)

    assert statuses == [200] * 20
    payment = Payment.objects.get(purchase=purchase)
    assert WebhookEvent.objects.filter(event_id="evt_completed").count() == 1
    order = Order.objects.get(purchase=purchase)
    # Whichever event came first decides; the result is consistent and counted once.
    if payment.status == "succeeded":
        assert order.status == "placed" and order.events.filter(to_status="placed").count() == 1
    else:
        assert payment.status == "failed" and order.status == "cancelled"


@pytest.mark.parametrize("round_", range(3))
def test_twenty_customers_taking_the_last_place_in_a_delivery_window_give_one_ride(round_):
    from logistics.models import DeliveryWindow
    from logistics.tests.factories import collective as make_collective
    from orders.exceptions import CheckoutError
    from orders.services.checkout import DeliveryAddress

    from .factories import delivery_choices

    riders = make_collective(window_capacity=2)
    shop = open_shop(offers_delivery=True, delivery_collective=riders)
    address = DeliveryAddress("Linden Avenue 3", "10117", "Lindenfeld", 52.5170, 13.3790)
    choices = delivery_choices([shop])
    # One place of two is taken already: the race is for the last one.
    first = cart_with([(ProductFactory(shop=shop, stock_quantity=5), "1")])
    services.checkout_place(
        cart=first,
        customer=first.user,
        request=pickup_request([shop], choices=choices, address=address),
    )
    goods = ProductFactory(shop=shop, stock_quantity=100)
    carts = [cart_with([(goods, "1")]) for _ in range(20)]
    requests = [pickup_request([shop], choices=choices, address=address) for _ in range(20)]

    results = run_together(
        20,
        lambda i: services.checkout_place(
            cart=carts[i], customer=carts[i].user, request=requests[i]
        ),
    )

    won = [r for r in results if isinstance(r, Purchase)]
    full = [r for r in results if isinstance(r, CheckoutError) and "fully booked" in r.message]
    assert len(won) == 1 and len(full) == 19, [repr(r) for r in results]
    assert Purchase.objects.count() == 2 and Order.objects.count() == 2
    window = DeliveryWindow.objects.get()
    assert (window.taken, window.capacity) == (2, 2)
    assert Product.objects.get(pk=goods.pk).stock_quantity == 99
    assert Order.objects.filter(delivery_window=window).count() == 2
