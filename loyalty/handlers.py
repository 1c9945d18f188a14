"""Loyalty's subscribers to orders' events (listed in marketplace.subscriptions): community
points move with the order, in the order's transaction."""

from . import services


def award_points(event) -> None:
    """Points are earned when the order is completed (collected or delivered)."""
    services.points_award_for_order(order=event.objects["order"])


def return_spent_points(event) -> None:
    """Points spent on an order that did not complete, or was refunded, come back."""
    services.points_return_for_order(order=event.objects["order"])


def reverse_earned_points(event) -> None:
    """A refund takes the earned points back (after the spent ones came back)."""
    services.points_reverse_for_order(order=event.objects["order"])
