"""Redis (cache and broker) stopped mid-test: a customer's checkout and a shop's counter
redemption still answer with their success pages, nothing is charged twice, and the emails
they owe go out once Redis is back: the outbox kept them in the database meanwhile."""

import collections
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from loyalty import services as loyalty
from loyalty.models import LedgerTransaction
from marketplace import outbox
from marketplace.models import OutboxMessage
from marketplace.tests.factories import UserFactory
from orders.models import Purchase
from orders.tests.factories import first_slot, open_shop
from shops.tests.factories import ProductFactory, ShopMembershipFactory

from .fake_smtp import FakeSMTPServer
from .fixtures.celery_workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_broker_url(redis_server):
    """Workers, and the web side's relay, use the Redis this test stops and starts."""
    return redis_server.url


def test_checkout_and_the_counter_succeed_while_redis_is_down_and_the_mail_follows(
    client, settings, redis_server, celery_workers, monkeypatch
):
    settings.CACHES = {
        "default": {"BACKEND": "marketplace.cache.FailSoftRedisCache", "LOCATION": redis_server.url}
    }
    monkeypatch.setattr(outbox, "_broker_down_until", 0.0)
    shop = open_shop(name="Corner Bakery", email="orders@corner-bakery.example")
    bread = ProductFactory(shop=shop, title="Rye loaf", stock_quantity=5)
    cashier = UserFactory(email="kim@corner-bakery.example")
    ShopMembershipFactory(shop=shop, user=cashier)
    supporter = UserFactory(email="sam@example.org")
    card = loyalty.card_for(supporter)
    loyalty.ledger_post(
        key="welcome-points",
        kind="earn",
        legs=[
            (loyalty.account_for_supporter(supporter), 300),
            (loyalty.account_for_shop(shop), -300),
        ],
        shop=shop,
    )

    redis_server.stop()

    # A visitor checks out: the success page, not an error page.
    client.post(reverse("orders:cart_add", args=[bread.pk]), {"quantity": "2"})
    token = client.get(reverse("orders:checkout")).context["form"].initial["checkout_token"]
    placed = client.post(
        reverse("orders:checkout"),
        {
            "checkout_token": token,
            "name": "Chris",
            "email": "chris@example.org",
            "payment_method": "on_collection",
            f"fulfilment_{shop.pk}": "pickup",
            f"slot_{shop.pk}": first_slot(shop).isoformat(),
        },
    )
    purchase = Purchase.objects.get()
    assert placed.status_code == 302 and placed.url == purchase.get_absolute_url()
    assert client.get(placed.url).status_code == 200

    # The cashier takes points off a bill: done once, and the counter says so.
    client.force_login(cashier)
    redeem = client.post(
        reverse("loyalty:counter_redeem", args=[shop.pk]),
        {"card": card.number, "key": "till-1", "points": "120"},
    )
    assert redeem.status_code == 302
    assert client.get(redeem.url).status_code == 200
    assert LedgerTransaction.objects.filter(kind="redeem").count() == 1

    # Nothing could be handed to the broker: the side effects wait in the database.
    waiting = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING)
    assert set(waiting.values_list("topic", flat=True)) == {"purchase.placed", "loyalty.card_used"}

    redis_server.start()
    with FakeSMTPServer() as smtp:
        celery_workers(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp.port),
        )
        # The next sweep (beat runs it every minute) finds them due.
        later = timezone.now() + datetime.timedelta(minutes=1)
        assert outbox.outbox_sweep(now=later) == 2
        wait_for(
            lambda: not waiting.exists(),
            what="the worker to deliver what waited while Redis was down",
        )
        got = collections.Counter(smtp.recipients())
    assert got == {
        "chris@example.org": 1,  # the purchase confirmation
        "orders@corner-bakery.example": 1,  # the shop's new order, to the shop
        "kim@corner-bakery.example": 1,  # and to the people who work there
        "sam@example.org": 1,  # the card was used at the counter
    }
    assert OutboxMessage.objects.filter(state=OutboxMessage.State.DONE).count() == 2
