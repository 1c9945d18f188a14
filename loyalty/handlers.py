"""Loyalty's subscribers to orders' events (listed in marketplace.subscriptions): community
points move with the order, in the order's transaction."""

from marketplace import events

from . import services
from .exceptions import LedgerRefused


def award_points(event) -> None:
    """Points are earned when the order is completed (collected or delivered)."""
    services.points_award_for_order(order=event.objects["order"])


def return_spent_points(event) -> None:
    """Points spent on an order that did not complete, or was refunded, come back."""
    services.points_return_for_order(order=event.objects["order"])


def reverse_earned_points(event) -> None:
    """A refund takes the earned points back (after the spent ones came back)."""
    services.points_reverse_for_order(order=event.objects["order"])


# Checkout ------------------------------------------------------------------------------------
def points_spend_for_purchase(event) -> None:
    """In checkout's transaction: the points checkout shared out over the orders
    (`order.points_redeemed`) leave the customer's account, one ledger transaction per
    order. Not enough points refuses the purchase, at the points field."""
    purchase = event.objects["purchase"]
    for order in purchase.orders.filter(points_redeemed__gt=0).order_by("shop_id"):
        try:
            services.points_spend_on_order(
                order=order, user=purchase.customer, points=order.points_redeemed
            )
        except LedgerRefused as refused:
            raise events.Refused(refused.message, field="points") from refused
