"""Orders' subscribers to domain events (listed in marketplace.subscriptions)."""

from marketplace.emails import send_templated_email_once

from . import services
from .emails import shop_recipients
from .models import Order, OrderEvent, Payment, Purchase


def email_purchase_placed(event) -> None:
    """The customer's confirmation and each shop's new-order email, each sent once."""
    purchase = Purchase.objects.get(pk=event["purchase_id"])
    orders = list(purchase.orders.select_related("shop").prefetch_related("lines"))
    send_templated_email_once(
        event=event,
        to=[purchase.email],
        template="orders/email/purchase",
        context={"purchase": purchase, "orders": orders},
    )
    for order in orders:
        send_templated_email_once(
            event=event,
            to=shop_recipients(order),
            template="orders/email/new_order",
            context={"purchase": purchase, "order": order},
        )


def email_order_moved(event) -> None:
    """The customer hears of each step of their order, once per step."""
    step = OrderEvent.objects.select_related("order__purchase", "order__shop").get(
        pk=event["order_event_id"]
    )
    order = step.order
    send_templated_email_once(
        event=event,
        to=[order.purchase.email],
        template="orders/email/order_event",
        context={"order": order, "event": step, "purchase": order.purchase},
    )


def refund_card_payment(event) -> None:
    """A card-paid order that is not going ahead gets its money back on its own. Safe to run
    again: a refunded order is left alone, and the provider's refund is keyed by order."""
    order = Order.objects.select_related("purchase").get(pk=event["order_id"])
    paid_by_card = order.purchase.payments.filter(
        status=Payment.Status.SUCCEEDED, provider="card"
    ).exists()
    if paid_by_card and order.status != Order.Status.REFUNDED:
        services.payments.order_refund(order=order)
