"""Emails about purchases and orders, in the node's language, HTML and plain text."""

from marketplace.emails import send_templated_email
from shops.models import ShopMembership

from .models import Order, OrderEvent


def shop_recipients(order: Order) -> list[str]:
    emails = set(
        ShopMembership.objects.filter(shop=order.shop).values_list("user__email", flat=True)
    )
    if order.shop.email:
        emails.add(order.shop.email)
    return sorted(emails)


def send_order_event(event: OrderEvent) -> None:
    order = event.order
    send_templated_email(
        to=[order.purchase.email],
        template="orders/email/order_event",
        context={"order": order, "event": event, "purchase": order.purchase},
    )
