"""Order states: the allowed moves and who may make them. What else happens when an order
moves is listed under "order.*" in marketplace.subscriptions."""

from django.db import transaction

from marketplace import events
from shops.services import stock

from ..exceptions import InvalidTransition
from ..models import Order, OrderEvent

S = Order.Status

ALLOWED: dict[str, set[str]] = {
    S.AWAITING_PAYMENT: {S.PLACED, S.CANCELLED},
    S.PLACED: {S.ACCEPTED, S.REJECTED, S.CANCELLED},
    S.ACCEPTED: {S.READY, S.CANCELLED},
    S.READY: {S.COLLECTED, S.OUT_FOR_DELIVERY, S.CANCELLED},
    # Back to ready when a courier brings the goods back to the shop.
    S.OUT_FOR_DELIVERY: {S.DELIVERED, S.READY},
    S.COLLECTED: {S.REFUNDED},
    S.DELIVERED: {S.REFUNDED},
    S.REJECTED: {S.REFUNDED},
    S.CANCELLED: {S.REFUNDED},
    S.REFUNDED: set(),
}
# Moves a shop member makes from the order page (collection goes through the pickup code).
SHOP_ACTIONS = {
    S.PLACED: [S.ACCEPTED, S.REJECTED],
    S.ACCEPTED: [S.READY, S.CANCELLED],
    S.READY: [S.OUT_FOR_DELIVERY, S.CANCELLED],
    S.OUT_FOR_DELIVERY: [S.DELIVERED],
}
# What the customer may do themselves, before the shop has started on the order.
CUSTOMER_CANCELLABLE = {S.AWAITING_PAYMENT, S.PLACED}
# Before these, the goods are still on the shop's shelf and go back into stock.
STOCK_HELD = {S.AWAITING_PAYMENT, S.PLACED, S.ACCEPTED, S.READY}
RELEASES_STOCK = {S.REJECTED, S.CANCELLED}


def shop_actions(order: Order) -> list[str]:
    """The steps a shop member is offered: those "order.moving" would not refuse (a delivery
    order on a courier's job follows the job), so the page offers what order_transition allows."""
    actions = SHOP_ACTIONS.get(order.status, [])
    if order.fulfilment == Order.Fulfilment.PICKUP:
        actions = [a for a in actions if a not in (S.OUT_FOR_DELIVERY, S.DELIVERED)]
    return [a for a in actions if events.refusal("order.moving", order=order, to_status=a) is None]


def _stock_follow(order: Order, to_status: str) -> None:
    """Goods set aside for the order go back on sale when it does not go ahead, stop being
    set aside when they leave the shop, and are set aside again when a courier brings them
    back (shops' stock service does the counting)."""
    if to_status in RELEASES_STOCK and order.status in STOCK_HELD:
        stock.stock_release(lines=order.lines.all())
    elif to_status in (S.COLLECTED, S.OUT_FOR_DELIVERY) and order.status in STOCK_HELD:
        stock.stock_hand_over(lines=order.lines.all())
    elif to_status == S.READY and order.status == S.OUT_FOR_DELIVERY:
        stock.stock_take_back(lines=order.lines.all())


@transaction.atomic
def order_transition(*, order: Order, to_status: str, actor=None, note: str = "") -> Order:
    """Move the order to `to_status` under a row lock, record the event, put stock back when
    goods leave the order, and publish the move (marketplace.subscriptions says who reacts:
    the delivery job, the delivery window and the points in this transaction; the customer's
    email and a card refund after commit). Raises InvalidTransition for a move the table does
    not allow (including a repeated one), or one a subscriber refuses (with `reason` for the
    person); then nothing of the move remains.

    Lock order: "order.locking" comes first, so whatever moves with the order (its delivery
    job) is locked before the order itself, as on every other path that locks both."""
    events.publish("order.locking", order_id=order.pk)
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if to_status not in ALLOWED[locked.status]:
        raise InvalidTransition(locked, to_status)
    if to_status == S.COLLECTED and locked.fulfilment != Order.Fulfilment.PICKUP:
        raise InvalidTransition(locked, to_status)
    if to_status in (S.OUT_FOR_DELIVERY, S.DELIVERED) and (
        locked.fulfilment != Order.Fulfilment.DELIVERY
    ):
        raise InvalidTransition(locked, to_status)
    from_status = locked.status
    try:
        events.publish("order.moving", order=locked, to_status=to_status, actor=actor)
        _stock_follow(locked, to_status)
        event = OrderEvent.objects.create(
            order=locked, from_status=from_status, to_status=to_status, actor=actor, note=note[:300]
        )
        locked.status = to_status
        locked.save(update_fields=["status", "updated_at"])
        events.publish(
            f"order.{to_status}",
            order=locked,
            actor=actor,
            from_status=from_status,
            order_event=event,
        )
    except events.Refused as refused:
        # The transaction rolls back as the error leaves it; the caller's order keeps its status.
        locked.status = from_status
        raise InvalidTransition(locked, to_status, reason=refused.message) from refused
    order.status = locked.status
    return locked
