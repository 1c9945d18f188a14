"""An order's move is published, and whoever reacts (marketplace.subscriptions) reacts in the
same transaction: the delivery job, the delivery window and the points move with the order or
not at all. The customer's email about the move comes from the outbox, once."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from logistics.models import DeliveryJob, DeliveryWindow
from logistics.tests.factories import collective, delivering_shop
from loyalty import services as loyalty
from marketplace import events, outbox, subscriptions
from marketplace.models import OutboxMessage
from marketplace.tests.factories import UserFactory
from orders import services
from orders.exceptions import InvalidTransition
from orders.models import Order, OrderEvent
from orders.services.checkout import DeliveryAddress
from shops.tests.factories import ProductFactory

from .factories import cart_with, delivery_choices, open_shop, pickup_request

pytestmark = pytest.mark.django_db


def balance(user) -> int:
    return loyalty.account_for_supporter(user).balance


def give_points(user, points):
    shop = ProductFactory().shop
    loyalty.ledger_post(
        key=f"gift-{user.pk}",
        kind="earn",
        legs=[
            (loyalty.account_for_supporter(user), points),
            (loyalty.account_for_shop(shop), -points),
        ],
        shop=shop,
    )


class Undo(Exception):
    """Raised by a test to roll back the transaction it looked into."""


@pytest.fixture
def ready_with_points():
    """A delivery order ready at the bakery, on a courier job, in a delivery window, paid
    partly with 200 of the customer's 1,000 points; 4 loaves left on the shelf."""
    shop = delivering_shop(collective(), name="Bakery")
    loaf = ProductFactory(shop=shop, price=Money("8.00", "EUR"), stock_quantity=5)
    customer = UserFactory()
    give_points(customer, 1000)
    cart = cart_with([(loaf, "1")], user=customer)
    request = pickup_request(
        [shop],
        choices=delivery_choices([shop]),
        address=DeliveryAddress("Linden Avenue 3", "10117", "Lindenfeld", 52.5170, 13.3790),
        points=200,
    )
    purchase = services.checkout_place(cart=cart, customer=customer, request=request)
    order = purchase.orders.get()
    for status in ("accepted", "ready"):
        services.order_transition(order=order, to_status=status)
    assert DeliveryJob.objects.get().pickups.get().order == order
    assert DeliveryWindow.objects.get().taken == 1
    assert balance(customer) == 800
    return order, customer, loaf


def what_changed(order, customer, loaf):
    order.refresh_from_db()
    loaf.refresh_from_db()
    job = DeliveryJob.objects.get()
    return {
        "order": order.status,
        "job": job.status,
        "pickups": job.pickups.count(),
        "window places taken": DeliveryWindow.objects.get().taken,
        "points": balance(customer),
        "loaves on the shelf": loaf.stock_quantity,
    }


BEFORE = {
    "order": "ready",
    "job": "open",
    "pickups": 1,
    "window places taken": 1,
    "points": 800,
    "loaves on the shelf": 4,
}


def test_a_cancelled_order_and_everything_that_moves_with_it_commit_or_roll_back_together(
    ready_with_points,
):
    order, customer, loaf = ready_with_points
    with pytest.raises(Undo), transaction.atomic():
        services.order_transition(order=order, to_status="cancelled")
        # Seen from inside the order's transaction: every subscriber has already reacted.
        assert what_changed(order, customer, loaf) == {
            "order": "cancelled",
            "job": "cancelled",
            "pickups": 0,
            "window places taken": 0,
            "points": 1000,
            "loaves on the shelf": 5,
        }
        assert OutboxMessage.objects.filter(topic="order.cancelled").count() == 2
        raise Undo
    assert what_changed(order, customer, loaf) == BEFORE
    assert not OutboxMessage.objects.filter(topic="order.cancelled").exists()


def refuse_at_the_end(event):
    raise events.Refused("The last subscriber says no.")


def test_a_refusal_after_the_move_leaves_the_order_and_its_job_window_and_points_as_they_were(
    ready_with_points, monkeypatch, django_capture_on_commit_callbacks
):
    order, customer, loaf = ready_with_points
    registry = dict(subscriptions.SUBSCRIBERS)
    registry["order.cancelled"] = [
        *registry["order.cancelled"],
        events.in_transaction(f"{__name__}.refuse_at_the_end"),
    ]
    monkeypatch.setattr(subscriptions, "SUBSCRIBERS", registry)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(InvalidTransition) as refused:
            services.order_transition(order=order, to_status="cancelled")

    assert refused.value.reason == "The last subscriber says no."
    assert order.status == "ready"  # the caller's instance too
    assert what_changed(order, customer, loaf) == BEFORE
    assert not order.events.filter(to_status="cancelled").exists()
    assert not OutboxMessage.objects.filter(topic="order.cancelled").exists()
    assert mail.outbox == []
    assert loyalty.trial_balance()["balanced"]


def test_a_step_the_job_refuses_is_not_offered_and_changes_nothing(ready_with_points):
    order, customer, loaf = ready_with_points
    fresh = Order.objects.get(pk=order.pk)
    assert "out_for_delivery" not in services.shop_actions(fresh)  # no courier holds the job
    with pytest.raises(InvalidTransition) as refused:
        services.order_transition(order=order, to_status="out_for_delivery")
    assert "No courier has taken" in refused.value.reason
    assert what_changed(order, customer, loaf) == BEFORE


@pytest.fixture
def placed_order():
    shop = open_shop(name="Cheese Corner")
    cart = cart_with([(ProductFactory(shop=shop, stock_quantity=5), "1")])
    purchase = services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([shop])
    )
    return purchase.orders.get()


def test_the_customer_hears_of_a_step_once_even_when_its_delivery_is_retried(
    placed_order, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(order=placed_order, to_status="accepted")
    assert [m.to for m in mail.outbox] == [["chris@example.org"]]
    assert placed_order.number in mail.outbox[0].body

    # The worker that sent it died before marking the message done: once its lease runs out,
    # the message is delivered again, and the customer is not written to twice.
    message = OutboxMessage.objects.get(topic="order.accepted")
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.PENDING, leased_until=timezone.now()
    )
    later = timezone.now() + datetime.timedelta(minutes=1)
    assert message.pk in outbox.outbox_due(now=later)
    assert outbox.outbox_deliver(message_id=message.pk, now=later) == "done"
    assert len(mail.outbox) == 1


def test_each_step_gets_its_own_email_after_commit_and_none_for_a_rolled_back_one(
    placed_order, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Undo), transaction.atomic():
            services.order_transition(order=placed_order, to_status="accepted")
            raise Undo
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.order_transition(order=placed_order, to_status="accepted")
        services.order_transition(order=placed_order, to_status="ready")
    steps = OrderEvent.objects.filter(order=placed_order).exclude(from_status="")
    assert steps.count() == len(mail.outbox) == 2
    # The ready email tells a pickup customer the code to show at the counter.
    assert placed_order.pickup_code in mail.outbox[1].body
