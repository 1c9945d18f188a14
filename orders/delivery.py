"""Pickup slots: a pure function of a shop's opening hours, closures and lead time.

Delivery quotes and window offers are logistics' (logistics.quotes): orders asks for them
through marketplace.events.ask."""

import datetime

from django.utils import timezone

from shops.models import Shop

SLOT_DAYS = 3


def pickup_slots(
    shop: Shop, now: datetime.datetime | None = None
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Slots inside opening hours from the shop's lead time on, for the next few days.
    Uses prefetched opening hours."""
    now = timezone.localtime(now or timezone.now())
    earliest = now + datetime.timedelta(minutes=shop.pickup_lead_minutes)
    length = datetime.timedelta(minutes=shop.pickup_slot_minutes)
    intervals = list(shop.opening_hours.all())
    closures = list(shop.closures.all())
    slots = []
    for day_offset in range(SLOT_DAYS):
        day = (now + datetime.timedelta(days=day_offset)).date()
        if any(closure.covers(day) for closure in closures):
            continue
        for interval in sorted(
            (i for i in intervals if i.weekday == day.weekday()), key=lambda i: i.opens
        ):
            start = timezone.make_aware(datetime.datetime.combine(day, interval.opens))
            close = timezone.make_aware(datetime.datetime.combine(day, interval.closes))
            while start + length <= close:
                if start >= earliest:
                    slots.append((start, start + length))
                start += length
    return slots
