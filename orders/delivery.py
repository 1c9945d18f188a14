"""Pickup slots and delivery quotes: pure functions of shops, hours and places."""

import datetime
import itertools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from djmoney.money import Money

from marketplace.geo import Point, distance_km
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


@dataclass(frozen=True)
class WindowOffer:
    """A delivery window of a collective and which of the purchase's shops can make it."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime
    shop_ids: frozenset[int]


class _Preparation:
    """When one shop can have an order ready: its lead time, opening hours by weekday and
    closed days, read once from the prefetched relations (not once per window)."""

    def __init__(self, shop: Shop):
        self.pk = shop.pk
        self.lead = datetime.timedelta(minutes=shop.pickup_lead_minutes)
        self.hours: dict[int, list] = {}
        for interval in shop.opening_hours.all():
            self.hours.setdefault(interval.weekday, []).append((interval.opens, interval.closes))
        self.closures = list(shop.closures.all())

    def ready_for(self, start: datetime.datetime, now: datetime.datetime) -> bool:
        """The lead time fits between now and the window's start, and the shop is open,
        that day, from the lead time before the start until past the start (when the
        courier collects)."""
        local = timezone.localtime(start)
        begin = local - self.lead
        if begin < now or begin.date() != local.date():
            return False
        if any(closure.covers(local.date()) for closure in self.closures):
            return False
        return any(
            opens <= begin.time() and local.time() < closes
            for opens, closes in self.hours.get(local.weekday(), ())
        )


def window_offers(
    collective,
    shops: list[Shop],
    now: datetime.datetime | None = None,
    full: frozenset | set = frozenset(),
) -> list[WindowOffer]:
    """The collective's windows that at least one of `shops` can make and that are not
    `full` (window starts), earliest first. Uses prefetched hours and closures."""
    from logistics.windows import collective_windows

    now = timezone.localtime(now or timezone.now())
    preparations = [_Preparation(shop) for shop in shops]
    offers = []
    for start, end in collective_windows(collective, now):
        if start in full:
            continue
        able = frozenset(p.pk for p in preparations if p.ready_for(start, now))
        if able:
            offers.append(WindowOffer(start, end, able))
    return offers


def shop_point(shop: Shop) -> Point:
    return Point(shop.latitude, shop.longitude)


def delivers_to(shop: Shop, drop_off: Point) -> bool:
    return (
        shop.offers_delivery
        and shop.delivery_collective_id is not None
        and distance_km(shop_point(shop), drop_off) <= float(shop.delivery_radius_km)
    )


def shortest_route_km(pickups: list[Point], drop_off: Point) -> float:
    """Length of the shortest ride that visits every pickup, then the drop-off. Exact for
    the handful of shops one purchase has; nearest-neighbour beyond seven."""

    def length(order) -> float:
        stops = [*order, drop_off]
        return sum(distance_km(a, b) for a, b in itertools.pairwise(stops))

    if len(pickups) <= 7:
        return min(length(order) for order in itertools.permutations(pickups))
    remaining, route = list(pickups), []
    current = min(remaining, key=lambda p: distance_km(p, drop_off))
    while remaining:
        remaining.remove(current)
        route.append(current)
        if remaining:
            current = min(remaining, key=lambda p: distance_km(route[-1], p))
    return length(list(reversed(route)))


@dataclass(frozen=True)
class DeliveryQuote:
    route_km: float
    fee: Money
    # The fee split over the orders it covers, cents made to add up.
    shares: dict[int, Money]


def quote_delivery(
    shops: list[Shop], drop_off: Point, litres: Decimal = Decimal("0")
) -> DeliveryQuote:
    """One fee for one ride collecting from every shop: the collective's base fee plus its
    price per kilometre of the shortest route, plus its surcharge for the ride's size class.
    Shops must share a collective."""
    from logistics.loads import size_surcharge

    collective = shops[0].delivery_collective
    route_km = shortest_route_km([shop_point(s) for s in shops], drop_off)
    raw = collective.delivery_base_fee.amount + collective.delivery_fee_per_km.amount * Decimal(
        str(route_km)
    )
    surcharge = size_surcharge(collective, litres)
    if surcharge is not None:
        raw += surcharge.amount
    # Round up to the next 10 cents, as couriers' price lists do.
    fee = (raw * 10).quantize(Decimal("1"), rounding="ROUND_CEILING") / 10
    fee = fee.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    currency = collective.delivery_base_fee.currency
    each = (fee / len(shops)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    shares = {shop.pk: Money(each, currency) for shop in shops}
    shares[shops[0].pk] = Money(fee - each * (len(shops) - 1), currency)
    return DeliveryQuote(route_km=route_km, fee=Money(fee, currency), shares=shares)
