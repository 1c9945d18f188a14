"""Stripe, faked only at its HTTP boundary: our side (amounts, signatures, idempotency) runs
for real."""

import datetime
import json
import time
from urllib.parse import parse_qs

import pytest
import stripe
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money
from stripe._http_client import HTTPClient

from marketplace import outbox
from marketplace.models import OutboxMessage
from orders import services
from orders.models import Order, Payment, WebhookEvent
from orders.payments import available_providers, stripe_card
from shops.tests.factories import ProductFactory

from .factories import cart_with, open_shop, pickup_request

pytestmark = pytest.mark.django_db
SECRET = "whsec_test_commonplace"


class FakeStripeHTTP(HTTPClient):
    """Answers like Stripe's API would; remembers every request it was sent."""

    name = "fake"

    def __init__(self):
        super().__init__()
        self.calls = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.calls.append((method, url, dict(headers or {}), parse_qs(post_data or "")))
        if url.endswith("/v1/checkout/sessions"):
            body = {
                "id": "cs_test_123",
                "object": "checkout.session",
                "url": "https://checkout.stripe.test/pay/cs_test_123",
            }
        elif url.endswith("/v1/refunds"):
            body = {"id": "re_test_1", "object": "refund", "status": "succeeded"}
        else:
            return json.dumps({"error": {"message": "unknown"}}), 404, {}
        return json.dumps(body), 200, {"request-id": "req_1"}

    def close(self):
        pass


@pytest.fixture
def fake_stripe(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_commonplace"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    fake = FakeStripeHTTP()
    monkeypatch.setattr(stripe_card, "HTTP_CLIENT", fake)
    return fake


def signed(payload: dict, *, age_seconds: int = 0, secret: str = SECRET):
    body = json.dumps(payload)
    timestamp = int(time.time()) - age_seconds
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{body}", secret)
    return body, f"t={timestamp},v1={signature}"


def post_event(client, payload, **kwargs):
    body, header = signed(payload, **kwargs)
    return client.post(
        reverse("orders:stripe_webhook"),
        body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )


def completed(session_id="cs_test_123", event_id="evt_1"):
    return {
        "id": event_id,
        "type": "checkout.session.completed",
        "data": {"object": {"id": session_id, "payment_status": "paid", "payment_intent": "pi_9"}},
    }


@pytest.fixture
def card_purchase(fake_stripe):
    shop = open_shop()
    product = ProductFactory(shop=shop, price=Money("12.30", "EUR"), stock_quantity=4)
    cart = cart_with([(product, "2")])
    return services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([shop], payment_method="card")
    )


def test_without_keys_card_payment_is_not_offered(settings):
    settings.STRIPE_SECRET_KEY = ""
    assert list(available_providers()) == ["on_collection"]
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test", SECRET
    assert list(available_providers()) == ["card", "on_collection"]


def test_starting_a_card_payment_sends_server_amounts_once(card_purchase, fake_stripe):
    url = services.payment_start(
        purchase=card_purchase, return_url="https://x/ok", cancel_url="https://x/no"
    )
    again = services.payment_start(
        purchase=card_purchase, return_url="https://x/ok", cancel_url="https://x/no"
    )
    assert url == again == "https://checkout.stripe.test/pay/cs_test_123"
    assert len(fake_stripe.calls) == 1  # the double click reused the session
    method, _url, headers, form = fake_stripe.calls[0]
    assert form["line_items[0][price_data][unit_amount]"] == ["2460"]
    assert form["line_items[0][price_data][currency]"] == ["eur"]
    assert headers["Idempotency-Key"].startswith("commonplace-payment-")
    assert Payment.objects.get(purchase=card_purchase).provider_reference == "cs_test_123"


def test_a_signed_completion_places_the_orders_once(client, card_purchase, fake_stripe):
    services.payment_start(purchase=card_purchase, return_url="https://x", cancel_url="https://x")
    assert post_event(client, completed()).status_code == 200
    assert post_event(client, completed()).status_code == 200  # replay
    payment = Payment.objects.get(purchase=card_purchase)
    assert payment.status == "succeeded" and payment.provider_payment_id == "pi_9"
    order = Order.objects.get(purchase=card_purchase)
    assert order.status == "placed"
    assert order.events.filter(to_status="placed").count() == 1
    assert WebhookEvent.objects.count() == 1


@pytest.mark.parametrize(
    "tamper",
    ["bad signature", "wrong secret", "older than five minutes", "no header", "not json"],
)
def test_forged_or_replayed_webhooks_are_refused_and_change_nothing(
    client, card_purchase, fake_stripe, tamper
):
    services.payment_start(purchase=card_purchase, return_url="https://x", cancel_url="https://x")
    url = reverse("orders:stripe_webhook")
    body, header = signed(completed())
    if tamper == "bad signature":
        response = client.post(
            url,
            body,
            content_type="application/json",
            headers={"Stripe-Signature": header[:-4] + "0000"},
        )
    elif tamper == "wrong secret":
        response = post_event(client, completed(), secret="whsec_attacker")
    elif tamper == "older than five minutes":
        response = post_event(client, completed(), age_seconds=301)
    elif tamper == "no header":
        response = client.post(url, body, content_type="application/json")
    else:
        bad_body = "{not json"
        _, header = signed({})
        response = client.post(
            url, bad_body, content_type="application/json", headers={"Stripe-Signature": header}
        )
    assert response.status_code == 400
    assert Payment.objects.get(purchase=card_purchase).status == "pending"
    assert Order.objects.get(purchase=card_purchase).status == "awaiting_payment"
    assert not WebhookEvent.objects.exists()


def _without(payload: dict, key: str) -> dict:
    return {k: v for k, v in payload.items() if k != key}


def _with_session(**changes) -> dict:
    event = completed()
    return {**event, "data": {"object": {**event["data"]["object"], **changes}}}


@pytest.mark.parametrize(
    "payload",
    [
        _without(completed(), "data"),
        {**completed(), "data": {"object": "cs_test_123"}},
        {**completed(), "data": None},
        _without(completed(), "type"),
        _without(completed(), "id"),
        _with_session(id=123),
        _with_session(metadata="pledge"),
        _with_session(metadata={"pledge_id": 7}),
        [completed()],
        "checkout.session.completed",
        None,
    ],
    ids=[
        "no data",
        "object a string",
        "data null",
        "no type",
        "no event id",
        "session id a number",
        "metadata a string",
        "metadata value a number",
        "a list",
        "a string",
        "null",
    ],
)
def test_a_signed_event_of_an_unexpected_shape_is_acknowledged_and_changes_nothing(
    client, card_purchase, fake_stripe, payload
):
    services.payment_start(purchase=card_purchase, return_url="https://x", cancel_url="https://x")
    response = post_event(client, payload)
    assert response.status_code == 200
    assert response.json() == {"received": True}
    assert Payment.objects.get(purchase=card_purchase).status == "pending"
    assert Order.objects.get(purchase=card_purchase).status == "awaiting_payment"
    assert not WebhookEvent.objects.exists()


def test_a_session_without_metadata_or_payment_intent_still_places_the_orders(
    client, card_purchase, fake_stripe
):
    services.payment_start(purchase=card_purchase, return_url="https://x", cancel_url="https://x")
    event = completed()
    event["data"]["object"] = _without(event["data"]["object"], "payment_intent")
    assert "metadata" not in event["data"]["object"]
    assert post_event(client, event).status_code == 200
    assert Payment.objects.get(purchase=card_purchase).status == "succeeded"
    assert Order.objects.get(purchase=card_purchase).status == "placed"


def test_an_expired_session_cancels_the_orders_and_releases_stock(client, card_purchase):
    services.payment_start(purchase=card_purchase, return_url="https://x", cancel_url="https://x")
    event = {
        "id": "evt_exp",
        "type": "checkout.session.expired",
        "data": {"object": {"id": "cs_test_123"}},
    }
    assert post_event(client, event).status_code == 200
    order = Order.objects.get(purchase=card_purchase)
    assert order.status == "cancelled"
    assert order.lines.get().product.stock_quantity == 4


def test_refunds_go_back_through_stripe_keyed_by_order(client, card_purchase, fake_stripe):
    services.payment_start(purchase=card_purchase, return_url="https://x", cancel_url="https://x")
    post_event(client, completed())
    order = Order.objects.get(purchase=card_purchase)
    services.order_transition(order=order, to_status="rejected")
    services.payments.order_refund(order=order)
    refund_calls = [c for c in fake_stripe.calls if c[1].endswith("/v1/refunds")]
    assert len(refund_calls) == 1
    _m, _u, headers, form = refund_calls[0]
    assert form == {"payment_intent": ["pi_9"], "amount": ["2460"]}
    assert headers["Idempotency-Key"] == f"refund-order-{order.pk}"
    order.refresh_from_db()
    assert order.status == "refunded"


def test_a_paid_order_the_shop_rejects_is_refunded_by_itself(
    client, card_purchase, fake_stripe, django_capture_on_commit_callbacks
):
    services.payment_start(purchase=card_purchase, return_url="https://x", cancel_url="https://x")
    post_event(client, completed())
    order = Order.objects.get(purchase=card_purchase)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(order=order, to_status="rejected")
    order.refresh_from_db()
    assert order.status == "refunded"
    assert len([c for c in fake_stripe.calls if c[1].endswith("/v1/refunds")]) == 1


def refunds(fake_stripe):
    return [c for c in fake_stripe.calls if c[1].endswith("/v1/refunds")]


def test_a_cancelled_card_paid_order_is_refunded_once_from_the_outbox(
    client, card_purchase, fake_stripe, django_capture_on_commit_callbacks
):
    services.payment_start(purchase=card_purchase, return_url="https://x", cancel_url="https://x")
    post_event(client, completed())
    order = Order.objects.get(purchase=card_purchase)
    with django_capture_on_commit_callbacks(execute=False):
        services.order_transition(order=order, to_status="cancelled")  # the relay never runs
    assert refunds(fake_stripe) == []
    refund = OutboxMessage.objects.get(
        topic="order.cancelled", handler="orders.handlers.refund_card_payment"
    )

    # The sweep finds the message the broker never got; then a second delivery (a lease that
    # ran out after the refund went through) finds the order refunded and leaves it.
    later = timezone.now() + datetime.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_sweep(now=later) >= 1
    order.refresh_from_db()
    assert order.status == "refunded"
    assert len(refunds(fake_stripe)) == 1
    OutboxMessage.objects.filter(pk=refund.pk).update(state=OutboxMessage.State.PENDING)
    assert outbox.outbox_deliver(message_id=refund.pk, now=later) == "done"
    assert len(refunds(fake_stripe)) == 1


def test_a_refund_the_provider_refuses_is_retried_and_the_order_stays_cancelled(
    client, card_purchase, fake_stripe, django_capture_on_commit_callbacks, monkeypatch
):
    services.payment_start(purchase=card_purchase, return_url="https://x", cancel_url="https://x")
    post_event(client, completed())
    order = Order.objects.get(purchase=card_purchase)
    answer = fake_stripe.request

    def stripe_down(method, url, headers, post_data=None, **kwargs):
        if url.endswith("/v1/refunds"):
            fake_stripe.calls.append((method, url, dict(headers or {}), parse_qs(post_data or "")))
            return json.dumps({"error": {"message": "try later"}}), 503, {}
        return answer(method, url, headers, post_data, **kwargs)

    monkeypatch.setattr(fake_stripe, "request", stripe_down)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(order=order, to_status="cancelled")
    order.refresh_from_db()
    assert order.status == "cancelled"
    refund = OutboxMessage.objects.get(handler="orders.handlers.refund_card_payment")
    assert refund.state == OutboxMessage.State.PENDING and "try later" in refund.last_error

    monkeypatch.setattr(fake_stripe, "request", answer)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_deliver(message_id=refund.pk, now=refund.available_at) == "done"
    order.refresh_from_db()
    assert order.status == "refunded"
    # Every try, failed or not, carried the same key: Stripe refunds the money once.
    keys = {headers["Idempotency-Key"] for _m, _u, headers, _f in refunds(fake_stripe)}
    assert keys == {f"refund-order-{order.pk}"}


def test_a_payment_arriving_after_the_customer_cancelled_is_given_back(
    client, card_purchase, fake_stripe, django_capture_on_commit_callbacks
):
    services.payment_start(purchase=card_purchase, return_url="https://x", cancel_url="https://x")
    order = Order.objects.get(purchase=card_purchase)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(order=order, to_status="cancelled", actor=card_purchase.customer)
    assert refunds(fake_stripe) == []  # nothing paid yet, nothing to give back

    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, completed()).status_code == 200
    order.refresh_from_db()
    assert order.status == "refunded"
    assert len(refunds(fake_stripe)) == 1
