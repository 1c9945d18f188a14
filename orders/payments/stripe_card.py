"""Card payments with Stripe Checkout. Amounts come from our orders, never the browser;
Stripe confirms by a signed webhook. Without keys, card payment is not offered."""

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
    """The verified event, or stripe.SignatureVerificationError / ValueError. Events older
    than five minutes are refused (replays)."""
    return stripe.Webhook.construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=300
    )
