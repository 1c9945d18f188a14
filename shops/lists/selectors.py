"""Reads of shopping lists: the permission-checked fetchers, a list with its offers, and
the trip through town (or the delivery) that gets everything on it.

Every page here costs a fixed number of queries whatever the list's length: lines in one
query, matching in at most two (shops.lists.matching), products, shops with their hours and
the cart's products in one each."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from djmoney.money import Money

from logistics.loads import goods_load
from logistics.quotes import delivers_to, quote_delivery
from marketplace.geo import Point, distance_km

from ..models import Shop, ShoppingList, ShoppingListLine
from ..quantities import quantity_step
from ..selectors import shop_opening_state, shops_with_opening_state
from .matching import LineMatch, LineToMatch, Offer, match_lines
from .parsing import quantity_to_buy
from .trip_planner import Candidate, Trip, plan_trip

SESSION_KEY = "shopping_list_key"
LISTS_PER_PAGE = 20
# Minutes spent in each shop, for the trip's estimated time; a shop must stay open this
# long after one arrives to be on the trip.
MINUTES_PER_STOP = 5
# A stop is flagged when its shop closes within this many minutes of one's arrival.
CLOSING_SOON_MINUTES = 30


# Fetchers ----------------------------------------------------------------------------------


def visitor_key(request) -> str:
    return request.session.get(SESSION_KEY, "") if hasattr(request, "session") else ""


def _owned_by(request) -> Q | None:
    if request.user.is_authenticated:
        return Q(owner=request.user)
    key = visitor_key(request)
    return Q(owner=None, visitor_key=key) if key else None


def shopping_lists_for_request(request) -> QuerySet[ShoppingList]:
    """The account's lists, or the visitor's, newest first, with line counts."""
    owned = _owned_by(request)
    if owned is None:
        return ShoppingList.objects.none()
    return (
        ShoppingList.objects.filter(owned)
        .annotate(
            line_count=Count("lines"),
            done_count=Count("lines", filter=Q(lines__done=True)),
        )
        .order_by("-updated_at", "-pk")
    )


def shopping_list_for_request(*, request, list_id: int) -> ShoppingList:
    """The list if it is the account's (or this visitor's); the same 404 whether it is
    missing or someone else's."""
    owned = _owned_by(request)
    shopping_list = ShoppingList.objects.filter(owned, pk=list_id).first() if owned else None
    if shopping_list is None:
        raise Http404("No such list")
    return shopping_list


def line_for_list(*, shopping_list: ShoppingList, line_id: int) -> ShoppingListLine:
    line = shopping_list.lines.filter(pk=line_id).first()
    if line is None:
        raise Http404("No such line")
    return line


# A list with its offers --------------------------------------------------------------------


@dataclass
class ListLine:
    line: ShoppingListLine
    match: LineMatch
    # The offer that would be bought: the customer's pick, else the best match.
    chosen: Offer | None = None
    picked: bool = False
    # The customer picked a product that is no longer on sale or in stock.
    pick_gone: bool = False
    in_cart: bool = False

    @property
    def offers(self) -> list[Offer]:
        return self.match.offers


@dataclass
class ListPage:
    shopping_list: ShoppingList
    lines: list[ListLine]
    start: Point | None
    shops: dict[int, Shop] = field(default_factory=dict)

    @property
    def open_lines(self) -> list[ListLine]:
        return [item for item in self.lines if not item.line.done]

    @property
    def found(self) -> list[ListLine]:
        return [item for item in self.open_lines if item.chosen is not None]

    @property
    def not_found(self) -> list[ListLine]:
        return [item for item in self.open_lines if item.chosen is None]

    @property
    def total(self) -> Money | None:
        chosen = [item.chosen for item in self.found]
        if not chosen:
            return None
        currency = chosen[0].product.price.currency
        return Money(sum((o.total.amount for o in chosen), Decimal("0")), currency)


def _offer_for(line: ShoppingListLine, product, start: Point | None) -> Offer:
    quantity = quantity_to_buy(
        line.parsed_amount, unit=product.unit, step=quantity_step(product), title=product.title
    )
    distance = None
    if start is not None:
        distance = distance_km(start, Point(product.shop.latitude, product.shop.longitude))
    return Offer(product, 0.0, quantity, distance)


def shopping_list_page(
    *, shopping_list: ShoppingList, cart=None, moment: datetime.datetime | None = None
) -> ListPage:
    """The list's lines, each with its best offers nearby (shop, price, distance, open
    now), the one that would be bought, and whether it is in the cart already."""
    lines = list(
        shopping_list.lines.select_related("chosen_product__shop").order_by("position", "pk")
    )
    start = shopping_list.start
    to_match = [
        LineToMatch(line.pk, line.text, line.query, line.parsed_amount)
        for line in lines
        if not line.done
    ]
    matches = {m.key: m for m in match_lines(to_match, start=start)}
    in_cart: set[int] = set()
    if cart is not None:
        in_cart = set(cart.lines.values_list("product_id", flat=True))
    items = []
    for line in lines:
        match = matches.get(line.pk) or LineMatch(
            line.pk, line.text, line.query, line.parsed_amount
        )
        item = ListLine(line=line, match=match)
        if line.chosen_product_id:
            picked = next((o for o in match.offers if o.product.pk == line.chosen_product_id), None)
            product = line.chosen_product
            if picked is None and product is not None and _on_sale(product):
                picked = _offer_for(line, product, start)
                match.offers.insert(0, picked)
            item.picked = picked is not None
            item.pick_gone = picked is None
            item.chosen = picked or (match.offers[0] if match.offers else None)
        else:
            item.chosen = match.offers[0] if match.offers else None
        item.in_cart = bool(item.chosen and item.chosen.product.pk in in_cart)
        items.append(item)
    page = ListPage(shopping_list=shopping_list, lines=items, start=start)
    page.shops = _shops_with_hours(items, moment)
    return page


def _on_sale(product) -> bool:
    return product.is_active and product.shop.status == Shop.Status.ACTIVE and product.in_stock


def _shops_with_hours(items: list[ListLine], moment) -> dict[int, Shop]:
    """Every offer's shop, loaded once with its hours, closures and collective, and put
    back on the offers, each with `.opening` (open now, closes at, opens next)."""
    shop_ids = {offer.product.shop_id for item in items for offer in item.offers}
    shops = Shop.objects.filter(pk__in=shop_ids).select_related("delivery_collective")
    shops = shops.prefetch_related("opening_hours", "closures")
    by_id = {shop.pk: shop for shop in shops_with_opening_state(shops, moment)}
    for item in items:
        for offer in item.offers:
            offer.product.shop = by_id[offer.product.shop_id]
    return by_id


# The trip ----------------------------------------------------------------------------------


@dataclass
class TripStop:
    shop: Shop
    items: list[tuple[ListLine, Offer]]
    leg_km: float
    arrive_after_minutes: int
    # When one gets there on foot, and when the shop closes that day.
    arrival: datetime.datetime | None = None
    closes_at: datetime.time | None = None
    # It closes within CLOSING_SOON_MINUTES of one's arrival.
    closes_soon: bool = False

    @property
    def subtotal(self) -> Money:
        currency = self.items[0][1].product.price.currency
        return Money(sum((o.total.amount for _, o in self.items), Decimal("0")), currency)


@dataclass
class DeliveryGroup:
    collective: object
    shops: list[Shop]
    fee: Money
    route_km: float


@dataclass
class DeliveryOption:
    items: list[tuple[ListLine, Offer]]
    groups: list[DeliveryGroup]
    # Lines no shop delivering to the starting point has.
    pickup_only: list[ListLine]

    @property
    def fee(self) -> Money | None:
        if not self.groups:
            return None
        currency = self.groups[0].fee.currency
        return Money(sum((g.fee.amount for g in self.groups), Decimal("0")), currency)

    @property
    def goods(self) -> Money | None:
        if not self.items:
            return None
        currency = self.items[0][1].product.price.currency
        return Money(sum((o.total.amount for _, o in self.items), Decimal("0")), currency)

    @property
    def total(self) -> Money | None:
        if self.goods is None:
            return None
        return self.goods + self.fee if self.fee is not None else self.goods


@dataclass
class TripPage:
    page: ListPage
    start: Point | None
    trip: Trip | None = None
    stops: list[TripStop] = field(default_factory=list)
    # Lines whose only offers are at shops closed when one would get there, with those
    # shops; the ones that are open at the departure but close before one arrives are in
    # `closing_before_arrival`.
    closed_only: list[tuple[ListLine, list[Shop]]] = field(default_factory=list)
    closing_before_arrival: set[int] = field(default_factory=set)
    delivery: DeliveryOption | None = None
    # When the customer sets off: the time they chose, else now.
    departure: datetime.datetime | None = None
    departs_now: bool = True
    # They had chosen a time that has passed meanwhile: the trip is for now.
    chosen_time_passed: bool = False
    # How many times the trip was planned (once more for each round of shops left out).
    planning_rounds: int = 0

    @property
    def distance_km(self) -> float:
        return self.trip.distance_km if self.trip else 0.0

    @property
    def walking_minutes(self) -> int:
        return travel_minutes(self.distance_km, settings.WALKING_SPEED_KMH, len(self.stops))

    @property
    def cycling_minutes(self) -> int:
        return travel_minutes(self.distance_km, settings.BIKE_SPEED_KMH, len(self.stops))

    @property
    def picks(self) -> list[tuple[ListLine, Offer]]:
        return [pair for stop in self.stops for pair in stop.items]

    @property
    def total(self) -> Money | None:
        picks = self.picks
        if not picks:
            return None
        currency = picks[0][1].product.price.currency
        return Money(sum((o.total.amount for _, o in picks), Decimal("0")), currency)


def travel_minutes(km: float, speed_kmh: float, stops: int) -> int:
    """Straight-line km made longer by the streets (ROUTE_DETOUR_FACTOR), at `speed_kmh`,
    plus a few minutes in each shop."""
    riding = km * settings.ROUTE_DETOUR_FACTOR / speed_kmh * 60
    return round(riding + MINUTES_PER_STOP * stops)


def trip_departure(
    shopping_list: ShoppingList, now: datetime.datetime
) -> tuple[datetime.datetime, bool]:
    """When the trip starts: the list's chosen time while it is ahead, else now; and
    whether that is now."""
    chosen = shopping_list.sets_off_at
    if chosen is not None and chosen > now:
        return timezone.localtime(chosen), False
    return now, True


def _open_for_a_visit(shop: Shop, arrival: datetime.datetime):
    """The shop's state when one arrives, and whether it stays open long enough to shop."""
    state = shop_opening_state(shop=shop, moment=arrival)
    if not state.is_open or state.closes_at is None:
        return state, False
    closes = timezone.make_aware(datetime.datetime.combine(arrival.date(), state.closes_at))
    return state, closes >= arrival + datetime.timedelta(minutes=MINUTES_PER_STOP)


def shopping_list_trip(
    *, shopping_list: ShoppingList, cart=None, moment: datetime.datetime | None = None
) -> TripPage:
    """The shops to visit and in which order for the list's open lines, from the list's
    starting point, setting off at the list's chosen time (or now, `moment`), using only
    shops open when one gets there on foot; and the same lines delivered instead."""
    now = timezone.localtime(moment or timezone.now())
    departure, departs_now = trip_departure(shopping_list, now)
    page = shopping_list_page(shopping_list=shopping_list, cart=cart, moment=departure)
    start = page.start
    result = TripPage(page=page, start=start, departure=departure, departs_now=departs_now)
    result.chosen_time_passed = departs_now and shopping_list.sets_off_at is not None
    if start is None:
        return result
    # What each line may be bought from: the picked offer's shop, else any offer's shop.
    options: dict[int, dict[int, Offer]] = {}
    for item in page.found:
        if item.picked:
            options[item.line.pk] = {item.chosen.product.shop_id: item.chosen}
        else:
            options[item.line.pk] = item.match.best_by_shop()
    items_by_id = {item.line.pk: item for item in page.found}
    # Plan among the shops open long enough when one could first get there (straight from
    # the start); a shop that turns out to close before one gets there on the planned way
    # is left out and the trip planned again. Each round leaves out at least one shop, so
    # this ends; usually at once.
    usable = set()
    for shop_id, shop in page.shops.items():
        if _open_for_a_visit(shop, _earliest_arrival(shop, start, departure))[1]:
            usable.add(shop_id)
        elif shop.opening.is_open:
            result.closing_before_arrival.add(shop_id)
    while True:
        open_options = {
            line_id: {s: o for s, o in by_shop.items() if s in usable}
            for line_id, by_shop in options.items()
        }
        trip = _plan(page, open_options, start, shopping_list.round_trip)
        result.planning_rounds += 1
        stops = _timed_stops(page, trip, open_options, items_by_id, departure)
        late = {stop.shop.pk for stop in stops if stop.arrival is None}
        if not late:
            break
        result.closing_before_arrival |= late
        usable -= late
    result.trip, result.stops = trip, stops
    for line_id, by_shop in open_options.items():
        if not by_shop:
            closed = [page.shops[s] for s in options[line_id]]
            result.closed_only.append((items_by_id[line_id], closed))
    result.delivery = _delivery_option(page, options, start)
    return result


def _earliest_arrival(shop: Shop, start: Point, departure: datetime.datetime):
    km = distance_km(start, Point(shop.latitude, shop.longitude))
    minutes = km * settings.ROUTE_DETOUR_FACTOR / settings.WALKING_SPEED_KMH * 60
    return departure + datetime.timedelta(minutes=round(minutes))


def _plan(page: ListPage, open_options, start: Point, round_trip: bool) -> Trip:
    shop_lines: dict[int, set[int]] = defaultdict(set)
    for line_id, by_shop in open_options.items():
        for shop_id in by_shop:
            shop_lines[shop_id].add(line_id)
    candidates = [
        Candidate(
            key=shop_id,
            point=Point(page.shops[shop_id].latitude, page.shops[shop_id].longitude),
            items=frozenset(lines),
        )
        for shop_id, lines in shop_lines.items()
    ]
    return plan_trip(start=start, candidates=candidates, round_trip=round_trip)


def _timed_stops(page, trip, open_options, items_by_id, departure) -> list[TripStop]:
    """The trip's stops with what is bought at each (the visited shop with the line's
    best offer) and when one arrives on foot; `arrival` is None at a shop that is not
    open long enough then."""
    visited = list(trip.stops)
    bought: dict[int, list[tuple[ListLine, Offer]]] = defaultdict(list)
    for line_id, by_shop in open_options.items():
        here = [s for s in visited if s in by_shop]
        if not here:
            continue
        best = max(here, key=lambda s: (by_shop[s].score, -by_shop[s].product.price.amount))
        bought[best].append((items_by_id[line_id], by_shop[best]))
    stops = []
    minutes = 0.0
    for shop_id, leg in zip(visited, trip.legs_km, strict=False):
        shop = page.shops[shop_id]
        minutes += leg * settings.ROUTE_DETOUR_FACTOR / settings.WALKING_SPEED_KMH * 60
        arrival = departure + datetime.timedelta(minutes=round(minutes))
        state, long_enough = _open_for_a_visit(shop, arrival)
        items = sorted(bought[shop_id], key=lambda pair: pair[0].line.position)
        stop = TripStop(shop, items, leg, round(minutes))
        if long_enough:
            closes = datetime.datetime.combine(arrival.date(), state.closes_at)
            left = timezone.make_aware(closes) - arrival
            stop.arrival, stop.closes_at = arrival, state.closes_at
            stop.closes_soon = left <= datetime.timedelta(minutes=CLOSING_SOON_MINUTES)
        stops.append(stop)
        minutes += MINUTES_PER_STOP
    return stops


def _delivery_option(page: ListPage, options, start: Point) -> DeliveryOption:
    """The lines bought from shops that deliver to `start` (the customer's pick when it
    can, else the best offer, preferring shops already chosen so one ride collects more),
    and the fee each couriers' collective charges for its ride."""

    delivering = {s for s, shop in page.shops.items() if delivers_to(shop, start)}
    items_by_id = {item.line.pk: item for item in page.found}
    chosen_shops: set[int] = set()
    picks: list[tuple[ListLine, Offer]] = []
    pickup_only: list[ListLine] = []
    every = {
        item.line.pk: (options[item.line.pk] if item.picked else item.match.best_by_shop())
        for item in page.found
    }
    # Lines with the fewest delivering shops first, so the shared shops follow them.
    order = sorted(every, key=lambda line_id: len(set(every[line_id]) & delivering))
    for line_id in order:
        by_shop = {s: o for s, o in every[line_id].items() if s in delivering}
        item = items_by_id[line_id]
        if not by_shop:
            pickup_only.append(item)
            continue
        already = [s for s in by_shop if s in chosen_shops]
        pool = already or list(by_shop)
        best = max(pool, key=lambda s: (by_shop[s].score, -by_shop[s].product.price.amount))
        chosen_shops.add(best)
        picks.append((item, by_shop[best]))
    picks.sort(key=lambda pair: pair[0].line.position)
    pickup_only.sort(key=lambda item: item.line.position)
    groups = []
    by_collective: dict[int, list[Shop]] = defaultdict(list)
    litres: dict[int, Decimal] = defaultdict(Decimal)
    for _item, offer in picks:
        shop = page.shops[offer.product.shop_id]
        if shop not in by_collective[shop.delivery_collective_id]:
            by_collective[shop.delivery_collective_id].append(shop)
        litres[shop.delivery_collective_id] += goods_load(offer.product, offer.quantity)[1]
    for collective_id, shops in by_collective.items():
        quote = quote_delivery(shops, start, litres[collective_id])
        groups.append(DeliveryGroup(shops[0].delivery_collective, shops, quote.fee, quote.route_km))
    return DeliveryOption(items=picks, groups=groups, pickup_only=pickup_only)


def map_data(trip_page: TripPage) -> dict:
    """What static/js/trip_map.js draws: the start, the numbered stops and the way
    between them."""
    start = trip_page.start
    stops = [
        {
            "n": n,
            "name": stop.shop.name,
            "lat": stop.shop.latitude,
            "lon": stop.shop.longitude,
            "address": stop.shop.address,
            "url": stop.shop.get_absolute_url(),
        }
        for n, stop in enumerate(trip_page.stops, start=1)
    ]
    return {
        "tileUrl": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "centre": [start.latitude, start.longitude] if start else list(settings.NODE_CENTRE),
        "start": {"lat": start.latitude, "lon": start.longitude} if start else None,
        "stops": stops,
        "roundTrip": trip_page.trip.round_trip if trip_page.trip else True,
    }


def cart_picks(trip_page: TripPage, source: str) -> dict[int, tuple]:
    """line id → (product, quantity) to put into the cart: the planned trip's offers, the
    delivery's, or (for "list") every open line's chosen offer."""
    if source == "trip":
        pairs = trip_page.picks
    elif source == "delivery" and trip_page.delivery is not None:
        pairs = trip_page.delivery.items
    else:
        pairs = [(item, item.chosen) for item in trip_page.page.found]
    return {item.line.pk: (offer.product, offer.quantity) for item, offer in pairs}


def place_point(text: str) -> Point | None:
    """A typed place: a postcode of the node (alone or within an address), else the address
    through the geocoder when one is configured."""
    import re

    from marketplace.geocoding import geocode
    from marketplace.models import Postcode

    text = " ".join((text or "").split())[:120]
    if not text:
        return None
    codes = re.findall(r"\b[A-Za-z0-9]{3,8}\b", text)
    area = Postcode.objects.filter(code__in=[c.upper() for c in codes] or [text]).first()
    street = text
    if area is not None:
        street = re.sub(rf"\b{re.escape(area.code)}\b", "", text, flags=re.I)
    street = " ".join(street.replace(",", " ").split())
    if settings.GEOCODER_URL and street:
        found = geocode(street=street, postcode=area.code if area else "", city="")
        if found is not None:
            return found
    if area is not None:
        return Point(area.latitude, area.longitude)
    return None
