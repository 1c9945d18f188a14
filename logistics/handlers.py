"""Logistics' subscribers to domain events (listed in marketplace.subscriptions)."""

from django.utils.translation import gettext as _

from marketplace import events

from .exceptions import WindowFull
from .services import delivery_window_reserve


# Checkout ------------------------------------------------------------------------------------
def delivery_windows_reserve_for_purchase(event) -> None:
    """In checkout's transaction, before it writes the orders: one place per ride in the
    window the customer chose, collectives in id order so two checkouts lock alike. A full
    window refuses the purchase, at that collective's delivery-time field."""
    for ride in sorted(event.objects["rides"], key=lambda r: r.collective.pk):
        try:
            delivery_window_reserve(
                collective=ride.collective, starts_at=ride.starts_at, ends_at=ride.ends_at
            )
        except WindowFull:
            raise events.Refused(
                _("This delivery time has just been fully booked; please choose another."),
                field=f"window_{ride.collective.pk}",
            ) from None
