"""What a delivery costs and when it can come: the couriers' collectives' offers.

Quoting lives with logistics because every figure in it is logistics' own: the collective's
price list (base fee, per kilometre, size surcharges), its service hours cut into windows,
which windows are fully booked, how bulky goods are on a bike. Orders asks for a quote or the
window offers through `marketplace.events.ask` (see PROVIDERS in marketplace.subscriptions),
so it imports nothing from here. Pure functions of prefetched rows, except where the
docstring says it reads the database."""

import datetime
import itertools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from djmoney.money import Money

from marketplace.geo import Point, distance_km
from shops.models import Shop

from .loads import goods_load, size_surcharge
from .models import DeliveryWindow
from .selectors import full_window_starts
from .windows import collective_windows


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


def window_offers_by_collective(
    *, shops: list[Shop], now=None, leave_out_full: bool = True
) -> list[tuple]:
    """[(collective, [WindowOffer…])] for the collectives delivering for `shops`, by
    collective id: the windows at least one of its shops can make, without the fully booked
    ones unless `leave_out_full` is False (checkout then learns of a full window from the
    booking itself, which decides under a lock). Shops come with their collective's service
    hours and their own opening hours prefetched; one query finds every full window."""
    now = now or timezone.now()
    by_collective: dict[int, list[Shop]] = {}
    for shop in shops:
        if shop.offers_delivery and shop.delivery_collective_id:
            by_collective.setdefault(shop.delivery_collective_id, []).append(shop)
    if not by_collective:
        return []
    full: dict[int, set] = {cid: set() for cid in by_collective}
    if leave_out_full:
        full = full_window_starts(collective_ids=list(by_collective), since=now)
    return [
        (
            group[0].delivery_collective,
            window_offers(group[0].delivery_collective, group, now, full[cid]),
        )
        for cid, group in sorted(by_collective.items())
    ]


def window_booked(*, collective, starts_at: datetime.datetime) -> DeliveryWindow:
    """The collective's window starting at `starts_at`, once a ride is booked in it (reads
    the database)."""
    return DeliveryWindow.objects.get(collective=collective, starts_at=starts_at)


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


def ride_quote(*, shops: list[Shop], drop_off: Point, goods) -> DeliveryQuote:
    """The quote for one ride carrying `goods` [(product, quantity)…] from `shops` (one
    collective's) to `drop_off`: the goods' volume sets the size surcharge."""
    litres = sum((goods_load(product, quantity)[1] for product, quantity in goods), Decimal("0"))
    return quote_delivery(shops, drop_off, litres)
