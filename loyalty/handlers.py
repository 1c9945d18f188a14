"""Loyalty's subscribers to domain events (listed in marketplace.subscriptions)."""

from marketplace import events

from .exceptions import LedgerRefused
from .services import points_spend_on_order


# Checkout ------------------------------------------------------------------------------------
def points_spend_for_purchase(event) -> None:
    """In checkout's transaction: the points checkout shared out over the orders
    (`order.points_redeemed`) leave the customer's account, one ledger transaction per
    order. Not enough points refuses the purchase, at the points field."""
    purchase = event.objects["purchase"]
    for order in purchase.orders.filter(points_redeemed__gt=0).order_by("shop_id"):
        try:
            points_spend_on_order(order=order, user=purchase.customer, points=order.points_redeemed)
        except LedgerRefused as refused:
            raise events.Refused(refused.message, field="points") from refused
