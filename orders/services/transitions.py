"""Order states: the allowed moves, who may make them, and what each move does."""

from django.db import transaction

from shops.services import stock

from ..exceptions import InvalidTransition
from ..models import Order, OrderEvent, Payment

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
    """The steps a shop member is offered; a delivery order on a courier's job follows the
    job (logistics.selectors.order_step_refusal, which order_transition enforces too)."""
    from logistics.selectors import order_step_refusal

    actions = SHOP_ACTIONS.get(order.status, [])
    if order.fulfilment == Order.Fulfilment.PICKUP:
        actions = [a for a in actions if a not in (S.OUT_FOR_DELIVERY, S.DELIVERED)]
    return [a for a in actions if order_step_refusal(order=order, to_status=a) is None]


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
    """Move the order to `to_status` under a row lock, record the event, move the goods set
    aside for it (_stock_follow), and notify the customer after commit. Raises
    InvalidTransition for a move the table does not allow (including a repeated one), or one
    that would make the order and its delivery job disagree (with `reason` for the person).
    An order on a delivery job moves together with the job: its job is locked first, then
    the order, and the job follows in the same transaction (logistics'
    delivery_job_follow_order)."""
    from logistics import services as logistics
    from logistics.exceptions import JobRefused

    logistics.delivery_job_lock_for_order(order_id=order.pk)
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if to_status not in ALLOWED[locked.status]:
        raise InvalidTransition(locked, to_status)
    if to_status == S.COLLECTED and locked.fulfilment != Order.Fulfilment.PICKUP:
        raise InvalidTransition(locked, to_status)
    if to_status in (S.OUT_FOR_DELIVERY, S.DELIVERED) and (
        locked.fulfilment != Order.Fulfilment.DELIVERY
    ):
        raise InvalidTransition(locked, to_status)
    try:
        logistics.delivery_job_follow_order(order=locked, to_status=to_status, actor=actor)
    except JobRefused as refused:
        raise InvalidTransition(locked, to_status, reason=refused.message) from refused
    _stock_follow(locked, to_status)
    event = OrderEvent.objects.create(
        order=locked, from_status=locked.status, to_status=to_status, actor=actor, note=note[:300]
    )
    locked.status = to_status
    locked.save(update_fields=["status", "updated_at"])
    if to_status in RELEASES_STOCK and locked.delivery_window_id:
        # The ride's place in its delivery window comes back once none of its orders goes.
        from logistics.services import delivery_window_release

        delivery_window_release(window_id=locked.delivery_window_id, purchase_id=locked.purchase_id)
    # Community points move with the order, in the same transaction: earned on completion;
    # taken back on a refund; points spent on an order that did not complete come back.
    from loyalty import services as loyalty

    if to_status in (S.COLLECTED, S.DELIVERED):
        loyalty.points_award_for_order(order=locked)
    elif to_status in (S.REJECTED, S.CANCELLED, S.REFUNDED):
        # Spent points come back first, so taking back earned points sees them.
        loyalty.points_return_for_order(order=locked)
        if to_status == S.REFUNDED:
            loyalty.points_reverse_for_order(order=locked)
    if (
        to_status == S.READY
        and locked.fulfilment == Order.Fulfilment.DELIVERY
        and locked.shop.delivery_collective_id
        and not hasattr(locked, "pickup")
    ):
        # Ready to go: the couriers' collective gets a delivery job (shared per address).
        logistics.delivery_job_for_order(order=locked)

    from ..tasks import refund_order_task, send_order_event_email_task

    transaction.on_commit(lambda: send_order_event_email_task.delay(event.pk))
    if (
        to_status in RELEASES_STOCK
        and locked.purchase.payments.filter(
            status=Payment.Status.SUCCEEDED, provider="card"
        ).exists()
    ):
        # Paid by card and not going ahead: the money goes back on its own.
        transaction.on_commit(lambda: refund_order_task.delay(locked.pk))
    order.status = locked.status
    return locked
