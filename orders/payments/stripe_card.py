"""Card payments with Stripe Checkout. Amounts come from our orders, never the browser;
Stripe confirms by a signed webhook. Without keys, card payment is not offered."""

import json
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from marketplace.money import cents_of

from . import PaymentProvider, StartResult

# Tests put a fake at Stripe's HTTP boundary here; None is stripe's own HTTP client.
HTTP_CLIENT = None


def stripe_client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, http_client=HTTP_CLIENT, max_network_retries=2
    )


class StripeCard(PaymentProvider):
    code = "card"
    label = _("Card (Stripe)")
    pays_up_front = True

    def is_available(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)

    def start(self, *, purchase, payment, return_url, cancel_url) -> StartResult:
        line_items = [
            {
                "quantity": 1,
                "price_data": {
                    "currency": order.total.currency.code.lower(),
                    "unit_amount": cents_of(order.total),
                    "product_data": {"name": f"{order.shop.name} · {order.number}"},
                },
            }
            for order in purchase.orders.select_related("shop").order_by("pk")
        ]
        session = stripe_client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": line_items,
                "customer_email": purchase.email,
                "client_reference_id": str(purchase.pk),
                "metadata": {"payment_id": str(payment.pk), "purchase_id": str(purchase.pk)},
                "success_url": return_url,
                "cancel_url": cancel_url,
            },
            # Stripe returns the same session for a repeated key: double clicks are harmless.
            options={"idempotency_key": f"commonplace-payment-{payment.pk}"},
        )
        return StartResult(reference=session.id, redirect_url=session.url)

    def refund(self, *, payment, amount, idempotency_key) -> str | None:
        refund = stripe_client().v1.refunds.create(
            params={"payment_intent": payment.provider_payment_id, "amount": cents_of(amount)},
            options={"idempotency_key": idempotency_key},
        )
        return refund.id


def construct_event(payload: bytes, signature: str | None):
    """The verified event as parsed JSON, whatever its shape (see `session_event`). Raises
    stripe.SignatureVerificationError for a bad signature or one older than five minutes
    (replays), ValueError for a body that is not JSON."""
    body = payload.decode("utf-8")
    stripe.WebhookSignature.verify_header(
        body, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=300
    )
    return json.loads(body)


def session_event(event: Any) -> dict | None:
    """The event if it is shaped like one about a Checkout session: an object with a string
    `id` and `type`, and `data.object` an object with a string `id`; its `metadata` comes
    back as an object of strings (empty when missing) and `payment_intent` as a string or None. None
    for any other shape: Stripe signed it, but it tells us nothing we act on."""
    if not isinstance(event, dict) or not _all_strings(event.get("id"), event.get("type")):
        return None
    data = event.get("data")
    session = data.get("object") if isinstance(data, dict) else None
    if not isinstance(session, dict) or not _all_strings(session.get("id")):
        return None
    metadata = session.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        return None
    payment_intent = session.get("payment_intent")
    session = {
        **session,
        "metadata": metadata,
        "payment_intent": payment_intent if isinstance(payment_intent, str) else None,
    }
    return {**event, "data": {**data, "object": session}}


def _all_strings(*values) -> bool:
    return all(isinstance(value, str) and value for value in values)
