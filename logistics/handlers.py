"""Logistics' subscribers to orders' events (listed in marketplace.subscriptions): the delivery
job and the delivery window move with the order, in the order's transaction."""

from django.utils.translation import gettext as _

from marketplace import events
from marketplace.events import Refused
from orders.models import Order

from . import selectors, services
from .exceptions import WindowFull


def lock_delivery_job(event) -> None:
    """Before an order is locked, the job it rides on: job then order, on every path."""
    services.delivery_job_lock_for_order(order_id=event["order_id"])


def refuse_step_off_the_job(event) -> None:
    """A checking subscriber: an order on a courier's job leaves the shop only to that courier,
    and only the courier marks it delivered."""
    refusal = selectors.order_step_refusal(
        order=event.objects["order"], to_status=event["to_status"]
    )
    if refusal:
        raise Refused(refusal)


def follow_order(event) -> None:
    """The order's job records the handover, or lets go of a called-off order."""
    services.delivery_job_follow_order(order=event.objects["order"], actor=event.objects["actor"])


def release_window_place(event) -> None:
    """A ride's place in its delivery window comes back once none of its orders goes."""
    order = event.objects["order"]
    if order.delivery_window_id:
        services.delivery_window_release(
            window_id=order.delivery_window_id, purchase_id=order.purchase_id
        )


def job_for_ready_order(event) -> None:
    """A delivery order ready at a shop with a couriers' collective goes on a job (shared per
    address). An order already on a job (back from a failed ride) keeps it: the shop sends it
    again itself."""
    order = event.objects["order"]
    if (
        order.fulfilment == Order.Fulfilment.DELIVERY
        and order.shop.delivery_collective_id
        and not hasattr(order, "pickup")
    ):
        services.delivery_job_for_order(order=order)


# Checkout ------------------------------------------------------------------------------------
def delivery_windows_reserve_for_purchase(event) -> None:
    """In checkout's transaction, before it writes the orders: one place per ride in the
    window the customer chose, collectives in id order so two checkouts lock alike. A full
    window refuses the purchase, at that collective's delivery-time field."""
    for ride in sorted(event.objects["rides"], key=lambda r: r.collective.pk):
        try:
            services.delivery_window_reserve(
                collective=ride.collective, starts_at=ride.starts_at, ends_at=ride.ends_at
            )
        except WindowFull:
            raise events.Refused(
                _("This delivery time has just been fully booked; please choose another."),
                field=f"window_{ride.collective.pk}",
            ) from None
