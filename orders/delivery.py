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


def pickup_slot_at(
    shop: Shop, start: datetime.datetime, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """The slot of pickup_slots(shop, now) that begins at the moment `start`, without
    listing them all (checkout checks one chosen time; listing and labelling every slot is
    for the page that shows them); None when no slot begins then. Uses prefetched opening
    hours. Like pickup_slots, it counts in the local wall clock."""
    if start.tzinfo is None:
        return None
    now = timezone.localtime(now or timezone.now())
    # The local clock's reading of `start`: as written when written with the local offset
    # (so a slot in the hour the clocks skip in spring reads as pickup_slots wrote it),
    # else converted. The slot pickup_slots would write for that reading must be the same
    # moment (compared as timestamps: Python never finds times in the autumn's repeated
    # hour equal across zones, and the repeated hour's second pass is no slot).
    wall = start.replace(tzinfo=None, fold=0)
    if timezone.make_aware(wall).utcoffset() != start.utcoffset():
        wall = timezone.localtime(start).replace(tzinfo=None, fold=0)
    slot = timezone.make_aware(wall)
    if slot.timestamp() != start.timestamp():
        return None
    day = wall.date()
    if not 0 <= (day - now.date()).days < SLOT_DAYS:
        return None
    if slot < now + datetime.timedelta(minutes=shop.pickup_lead_minutes):
        return None
    if any(closure.covers(day) for closure in shop.closures.all()):
        return None
    length = datetime.timedelta(minutes=shop.pickup_slot_minutes)
    for interval in shop.opening_hours.all():
        if interval.weekday != day.weekday():
            continue
        since_opening = wall - datetime.datetime.combine(day, interval.opens)
        closes = datetime.datetime.combine(day, interval.closes)
        if since_opening >= datetime.timedelta(0) and not since_opening % length:
            if wall + length <= closes:
                return slot
    return None
