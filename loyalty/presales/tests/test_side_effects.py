"""Presale side effects go through the outbox: receipts, campaign emails, reminders and card
refunds happen after commit, once each, even when their delivery fails midway and is
retried; the pledge or campaign change stays committed whatever the send does."""

import datetime

import pytest
from django.core import mail

from loyalty.models import Campaign, Pledge
from loyalty.presales import services as presales

from .factories import campaign, paid_pledge, redeeming
from .fake_stripe import FakeStripe, install

pytestmark = pytest.mark.django_db


class StripeDownForRefunds(FakeStripe):
    """Stripe answering refunds with a server error until told otherwise."""

    refusing = True

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        if url.endswith("/v1/refunds") and self.refusing:
            self.calls.append((method, url, dict(headers or {}), {}))
            body = '{"error": {"message": "Stripe is having a bad day"}}'
            return body, 500, {}
        return super().request(method, url, headers, post_data, _usage=_usage)


def test_a_receipt_that_failed_is_sent_once_and_the_pledge_stays_paid(
    django_capture_on_commit_callbacks, flaky_mail, deliver_again
):
    oven = campaign()
    flaky_mail.add(1)
    with django_capture_on_commit_callbacks(execute=True):
        pledge = paid_pledge(oven, amount="35.00")
    assert Pledge.objects.get(pk=pledge.pk).status == Pledge.Status.PAID
    assert mail.outbox == []
    assert deliver_again("loyalty.pledge_paid") == ["done"]
    assert deliver_again("loyalty.pledge_paid") == ["done"]  # the worker died after sending
    assert [m.to for m in mail.outbox] == [[pledge.supporter.email]]


def test_campaign_news_interrupted_midway_reaches_each_supporter_once(
    django_capture_on_commit_callbacks, flaky_mail, deliver_again
):
    oven = campaign(target="100.00")
    pledges = [paid_pledge(oven, amount="50.00") for _ in range(3)]  # receipts not relayed
    flaky_mail.add(2)  # the second supporter's email fails
    with django_capture_on_commit_callbacks(execute=True):
        presales.campaigns_close_due(now=oven.deadline + datetime.timedelta(seconds=1))
    oven.refresh_from_db()
    assert oven.status == Campaign.Status.FUNDED
    assert len(mail.outbox) == 1
    assert deliver_again("loyalty.campaign_moved") == ["done"]
    assert deliver_again("loyalty.campaign_moved") == ["done"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.supporter.email for p in pledges)


def test_a_reminder_that_failed_is_sent_once_and_not_published_again(
    django_capture_on_commit_callbacks, flaky_mail, deliver_again
):
    oven = campaign(target="10.00")
    pledge = paid_pledge(oven, amount="25.00")
    redeeming(oven)
    mail.outbox.clear()
    near = oven.redemption_ends_on - datetime.timedelta(days=10)
    flaky_mail.add(1)
    with django_capture_on_commit_callbacks(execute=True):
        assert presales.presale_reminders_due(today=near) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert presales.presale_reminders_due(today=near) == 0
    assert mail.outbox == []
    assert deliver_again("loyalty.presale_reminder_due") == ["done"]
    assert deliver_again("loyalty.presale_reminder_due") == ["done"]
    assert [m.to for m in mail.outbox] == [[pledge.supporter.email]]


def test_a_card_refund_refused_by_stripe_is_retried_with_the_same_key_and_happens_once(
    settings, monkeypatch, django_capture_on_commit_callbacks, deliver_again
):
    install(settings, monkeypatch)
    stripe = StripeDownForRefunds()
    monkeypatch.setattr("orders.payments.stripe_card.HTTP_CLIENT", stripe)
    oven = campaign(target="500.00", if_missed=Campaign.IfMissed.REFUND)
    stripe.refusing = False
    card = stripe.paid_card_pledge(oven, amount="25.00")
    stripe.refusing = True
    with django_capture_on_commit_callbacks(execute=True):
        presales.campaigns_close_due(now=oven.deadline + datetime.timedelta(seconds=1))
    # The campaign closed and the pledge is refunded in the books; the money waits.
    card.refresh_from_db()
    assert card.status == Pledge.Status.REFUNDED and card.money_returned_at is None
    stripe.refusing = False
    assert deliver_again("loyalty.pledge_card_refund_due") == ["done"]
    card.refresh_from_db()
    assert card.money_returned_at is not None
    tries = [h for _m, url, h, _f in stripe.calls if url.endswith("/v1/refunds")]
    # Every try, refused or not, carries the pledge's key: Stripe refunds it once.
    assert {h.get("Idempotency-Key") for h in tries} == {f"refund-pledge-{card.pk}"}
    # Delivered again (the worker died before marking it done): Stripe is not asked again.
    assert deliver_again("loyalty.pledge_card_refund_due") == ["done"]
    assert len([c for c in stripe.calls if c[1].endswith("/v1/refunds")]) == len(tries)
