"""Stripe faked at its HTTP boundary for pledges: our side (amounts, metadata, idempotency
keys, webhook signatures) runs for real."""

import json
import time
from urllib.parse import parse_qs

import stripe
from stripe._http_client import HTTPClient

from loyalty.presales import services as presales
from marketplace.tests.factories import UserFactory
from orders.payments import stripe_card

from .factories import eur, token

SECRET = "whsec_test_presales"


class FakeStripe(HTTPClient):
    name = "fake"

    def __init__(self):
        super().__init__()
        self.calls = []
        self.sessions = 0

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        form = parse_qs(post_data or "")
        self.calls.append((method, url, dict(headers or {}), form))
        if url.endswith("/v1/checkout/sessions"):
            self.sessions += 1
            pledge_id = form["metadata[pledge_id]"][0]
            body = {
                "id": f"cs_pledge_{pledge_id}",
                "object": "checkout.session",
                "url": f"https://checkout.stripe.test/pay/cs_pledge_{pledge_id}",
            }
        elif url.endswith("/v1/refunds"):
            body = {"id": "re_pledge", "object": "refund", "status": "succeeded"}
        else:
            return json.dumps({"error": {"message": "unknown"}}), 404, {}
        return json.dumps(body), 200, {"request-id": "req_1"}

    def close(self):
        pass

    def refunds(self):
        return [form for _m, url, _h, form in self.calls if url.endswith("/v1/refunds")]

    def paid_card_pledge(self, campaign, amount="25.00", supporter=None, event_id=None):
        pledge = presales.pledge_create(
            campaign=campaign,
            supporter=supporter or UserFactory(),
            amount=eur(amount),
            payment_method="card",
            token=token(),
        )
        presales.pledge_checkout_start(
            pledge=pledge, return_url="https://x/ok", cancel_url="https://x/no"
        )
        presales.pledge_stripe_event(event=completed(pledge, event_id=event_id))
        pledge.refresh_from_db()
        return pledge


def completed(pledge, event_id=None):
    return {
        "id": event_id or f"evt_paid_{pledge.pk}",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": f"cs_pledge_{pledge.pk}",
                "payment_status": "paid",
                "payment_intent": "pi_pledge",
                "metadata": {"pledge_id": str(pledge.pk)},
            }
        },
    }


def expired(pledge):
    event = completed(pledge, event_id=f"evt_expired_{pledge.pk}")
    event["type"] = "checkout.session.expired"
    event["data"]["object"]["payment_status"] = "unpaid"
    return event


def signed(payload: dict, secret: str = SECRET):
    body = json.dumps(payload)
    timestamp = int(time.time())
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{body}", secret)
    return body, f"t={timestamp},v1={signature}"


def install(settings, monkeypatch) -> FakeStripe:
    """Card payments configured, and Stripe's HTTP answered by a FakeStripe."""
    settings.STRIPE_SECRET_KEY = "sk_test_presales"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    fake = FakeStripe()
    monkeypatch.setattr(stripe_card, "HTTP_CLIENT", fake)
    return fake
