"""Orders' subscribers to domain events (listed in marketplace.subscriptions)."""

from marketplace.emails import send_templated_email_once

from .emails import shop_recipients
from .models import Purchase


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
