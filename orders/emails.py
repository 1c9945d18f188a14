"""Who hears about an order. The emails themselves are sent once per event by orders.handlers,
through marketplace.emails (in the node's language, HTML and plain text)."""

from shops.models import ShopMembership

from .models import Order


def shop_recipients(order: Order) -> list[str]:
    emails = set(
        ShopMembership.objects.filter(shop=order.shop).values_list("user__email", flat=True)
    )
    if order.shop.email:
        emails.add(order.shop.email)
    return sorted(emails)
