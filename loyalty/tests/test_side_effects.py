"""Loyalty's side effects go through the outbox: a counter answers success and keeps the
points taken whatever the broker or the mail server does, and each notice is sent once even
when its delivery is retried after failing midway."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from loyalty import services, tasks
from loyalty.models import LedgerTransaction, SupporterCard
from marketplace import outbox
from marketplace.models import OutboxMessage
from marketplace.tests.factories import UserFactory
from marketplace.tests.test_outbox import broker_down  # noqa: F401  (a fixture)
from shops.tests.factories import ShopFactory, ShopMembershipFactory

from .test_points import balance, give_points

pytestmark = pytest.mark.django_db


def counter(client, supporter, *, key="bill-1", points="120"):
    shop = ShopFactory(name="Corner Bakery")
    client.force_login(ShopMembershipFactory(shop=shop).user)
    form = {"card": services.card_for(supporter).number, "key": key, "points": points}
    return client.post(reverse("loyalty:counter_redeem", args=[shop.pk]), form)


def card_notices():
    return [m for m in mail.outbox if "supporter card was used" in m.subject]


def test_a_counter_redemption_with_the_broker_down_succeeds_and_the_notice_follows(
    client,
    broker_down,  # noqa: F811
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    monkeypatch.setattr(outbox, "_broker_down_until", 0.0)
    supporter = UserFactory()
    give_points(supporter, 300)
    with django_capture_on_commit_callbacks(execute=True):
        response = counter(client, supporter)
    # The staff see success, and the points are taken once: nobody redoes the redemption.
    assert response.status_code == 302
    assert balance(supporter) == 180
    assert card_notices() == []
    message = OutboxMessage.objects.get(topic="loyalty.card_used")
    assert message.state == OutboxMessage.State.PENDING
    # Once a worker gets the message (the broker is back), the supporter hears of it.
    assert outbox.outbox_deliver(message_id=message.pk) == "done"
    assert [m.to for m in card_notices()] == [[supporter.email]]


def test_a_card_use_notice_that_failed_is_sent_once_on_retry(
    client, django_capture_on_commit_callbacks, flaky_mail, deliver_again
):
    supporter = UserFactory()
    give_points(supporter, 300)
    flaky_mail.add(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = counter(client, supporter)
    assert response.status_code == 302 and balance(supporter) == 180
    message = OutboxMessage.objects.get(topic="loyalty.card_used")
    assert "mail server hiccup" in message.last_error and card_notices() == []
    assert deliver_again("loyalty.card_used") == ["done"]
    assert deliver_again("loyalty.card_used") == ["done"]  # a worker died before marking it
    assert [m.to for m in card_notices()] == [[supporter.email]]


def test_the_level_moves_with_the_points_in_the_same_transaction():
    supporter = UserFactory()
    card = services.card_for(supporter)
    assert card.level.name == "Friend"
    shop = ShopFactory()
    # No on-commit callback runs in this test: the level is stored with the earning itself.
    services.points_award_at_counter(
        card=card,
        shop=shop,
        amount=Money("1000.00", "EUR"),
        key="big-bill",
        actor=ShopMembershipFactory(shop=shop).user,
    )
    assert balance(supporter) == 2000
    assert SupporterCard.objects.get(user=supporter).level.name == "Regular"


def test_an_expiry_reminder_that_failed_is_sent_once_and_the_mark_stays(
    settings, django_capture_on_commit_callbacks, flaky_mail, deliver_again
):
    settings.LOYALTY_POINTS_EXPIRE_MONTHS = 12
    supporter = UserFactory()
    services.card_for(supporter)
    old = give_points(supporter, 500)
    LedgerTransaction.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=350)
    )
    flaky_mail.add(1)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_expiring_points_task() == 1
    assert mail.outbox == []
    # The card stays marked: the next night does not publish a second reminder.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_expiring_points_task() == 0
    assert deliver_again("loyalty.points_expiring") == ["done"]
    assert deliver_again("loyalty.points_expiring") == ["done"]
    assert [m.to for m in mail.outbox] == [[supporter.email]]
    assert "500 of your points" in mail.outbox[0].subject
