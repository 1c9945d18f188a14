"""Writes of shopping lists: writing and changing lists, the customer's starting point,
putting a list into the cart, and the demand signals of lines nobody sells."""

import datetime
import hashlib
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from marketplace.geo import Point, distance_km
from orders.services import cart_add

from ..exceptions import InvalidQuantity, ShoppingListError
from ..models import Product, Shop, ShoppingList, ShoppingListLine, Synonym
from ..selectors import search_term_found_anywhere
from ..services.photos import unmet_search_record
from .matching import LineToMatch, match_lines
from .parsing import MAX_LINE_LENGTH, MAX_LINES, ParsedLine, parse_line, split_lines

log = logging.getLogger(__name__)

# Lines quoted back in an error message about unreadable lines.
QUOTED_LINES = 3
# How far ahead a trip can be planned: opening hours and closures are known that far.
PLANNING_HORIZON_DAYS = 14


def new_visitor_key() -> str:
    return secrets.token_urlsafe(24)


def shopping_list_check_text(text: str) -> list[ParsedLine]:
    """The lines of a written list, or ShoppingListError saying what to fix: an empty list,
    more than MAX_LINES lines, a line too long, or lines with nothing to look for."""
    raw_lines = [line for line in (text or "").splitlines() if line.strip()]
    if len(raw_lines) > MAX_LINES:
        raise ShoppingListError(
            _(
                "A list can have at most %(max)s lines; this one has %(count)s. "
                "Split it into two lists."
            )
            % {"max": MAX_LINES, "count": len(raw_lines)},
            field="text",
        )
    lines = split_lines(text)
    if not lines:
        raise ShoppingListError(
            _("Write at least one thing you need, one per line, e.g. “2 kg potatoes”."),
            field="text",
        )
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_LENGTH:
            raise ShoppingListError(
                _("Line %(number)s is longer than %(max)s characters; please shorten it.")
                % {"number": number, "max": MAX_LINE_LENGTH},
                field="text",
            )
    parsed = [parse_line(line) for line in lines]
    unreadable = [(n, p.text) for n, p in enumerate(parsed, start=1) if not p.readable]
    if unreadable:
        quoted = ", ".join(
            _("line %(number)s (“%(text)s”)") % {"number": n, "text": text[:30]}
            for n, text in unreadable[:QUOTED_LINES]
        )
        raise ShoppingListError(
            _(
                "We cannot tell what to look for in %(lines)s: write the thing you need "
                "in words, e.g. “oat milk”, or remove the line."
            )
            % {"lines": quoted},
            field="text",
        )
    return parsed


def rough_area(shopping_list: ShoppingList) -> str:
    """The customer's starting point rounded to about a kilometre, or nothing: enough to
    say where demand is, too coarse to say who."""
    start = shopping_list.start
    return f"{start.latitude:.2f},{start.longitude:.2f}" if start else ""


def _record_found_nowhere(shopping_list: ShoppingList, lines: list[ShoppingListLine]) -> int:
    """Record the lines nothing in the node matches (in stock or not, near or far) as
    searches without result: the term and a rough area, never who. Returns how many."""
    if not lines:
        return 0
    to_match = [LineToMatch(line.pk, line.text, line.query, line.parsed_amount) for line in lines]
    matches = match_lines(to_match, start=None, radius_km=float("inf"))
    recorded = 0
    area = rough_area(shopping_list)
    for match in matches:
        if not match.found_nowhere:
            continue
        # A typo of something the shops have is no demand signal.
        if search_term_found_anywhere(text=match.query):
            continue
        # One list counts a term once a week, however often its lines are edited or added
        # again, so nobody inflates what the shops see as wanted.
        term = hashlib.sha1(match.query.strip().lower().encode()).hexdigest()
        claim = f"unmet-list-{shopping_list.pk}-{term}"
        try:
            first_this_week = cache.add(claim, True, timeout=7 * 24 * 3600)
        except Exception:  # the cache is down: a hint for the shops, not worth an error page
            log.warning("Cache unreachable; search without result not recorded", exc_info=True)
            continue
        if first_this_week and unmet_search_record(term=match.query, area=area):
            recorded += 1
    return recorded


def _line(shopping_list, position: int, parsed: ParsedLine) -> ShoppingListLine:
    return ShoppingListLine(
        shopping_list=shopping_list,
        position=position,
        text=parsed.text,
        query=parsed.query[:200],
        amount=parsed.amount.value if parsed.amount else None,
        measure=parsed.amount.measure if parsed.amount else "",
    )


def default_name() -> str:
    return _("List of %(date)s") % {"date": date_format(timezone.localdate(), "j F")}


@transaction.atomic
def shopping_list_create(
    *, owner=None, visitor_key: str = "", text: str, name: str = ""
) -> ShoppingList:
    """A new list of the written lines, for an account or a visitor's key. Lines nothing in
    town matches are recorded as demand signals. Raises ShoppingListError; writes nothing
    then."""
    parsed = shopping_list_check_text(text)
    if owner is None and not visitor_key:
        raise ValueError("A list needs an owner or a visitor key")
    shopping_list = ShoppingList.objects.create(
        owner=owner if owner is not None and owner.is_authenticated else None,
        visitor_key="" if owner is not None and owner.is_authenticated else visitor_key,
        name=(name or "").strip()[:80] or default_name(),
    )
    lines = ShoppingListLine.objects.bulk_create(
        [_line(shopping_list, n, p) for n, p in enumerate(parsed)]
    )
    _record_found_nowhere(shopping_list, lines)
    return shopping_list


@transaction.atomic
def shopping_list_rewrite(*, shopping_list: ShoppingList, text: str, name: str = "") -> None:
    """Replace the list's lines with the written ones. Lines written as before keep their
    tick and chosen offer; only new lines can become demand signals."""
    parsed = shopping_list_check_text(text)
    locked = ShoppingList.objects.select_for_update().get(pk=shopping_list.pk)
    existing: dict[str, list[ShoppingListLine]] = {}
    for line in locked.lines.order_by("position", "pk"):
        existing.setdefault(line.text, []).append(line)
    keep, new = [], []
    for position, item in enumerate(parsed):
        same = existing.get(item.text)
        if same:
            line = same.pop(0)
            line.position = position
            keep.append(line)
        else:
            new.append(_line(locked, position, item))
    stale = [line.pk for lines in existing.values() for line in lines]
    ShoppingListLine.objects.filter(pk__in=stale).delete()
    ShoppingListLine.objects.bulk_update(keep, ["position"])
    created = ShoppingListLine.objects.bulk_create(new)
    if name.strip():
        locked.name = name.strip()[:80]
    locked.save(update_fields=["name", "updated_at"])
    _record_found_nowhere(locked, created)


@transaction.atomic
def shopping_list_add_line(*, shopping_list: ShoppingList, text: str) -> ShoppingListLine:
    """Append one written line. Raises ShoppingListError for an unreadable line or a full
    list."""
    locked = ShoppingList.objects.select_for_update().get(pk=shopping_list.pk)
    count = locked.lines.count()
    if count >= MAX_LINES:
        raise ShoppingListError(
            _("A list can have at most %(max)s lines. Start a new list for more.")
            % {"max": MAX_LINES},
            field="text",
        )
    (parsed,) = shopping_list_check_text(text.splitlines()[0] if text.strip() else "")
    last = locked.lines.order_by("-position").values_list("position", flat=True).first()
    line = _line(locked, 0 if last is None else last + 1, parsed)
    line.save()
    locked.save(update_fields=["updated_at"])
    _record_found_nowhere(locked, [line])
    return line


@transaction.atomic
def shopping_list_line_change(
    *, line: ShoppingListLine, done: bool | None = None, product_id: int | None = None
) -> ShoppingListLine:
    """Tick a line off (or back on), or choose the offer to buy it from (product_id 0
    goes back to the best match). Raises ShoppingListError for a product not on sale."""
    fields = []
    if done is not None:
        line.done = done
        fields.append("done")
    if product_id is not None:
        if product_id == 0:
            line.chosen_product = None
        else:
            product = (
                Product.objects.filter(
                    pk=product_id, is_active=True, shop__status=Shop.Status.ACTIVE
                )
                .select_related("shop")
                .first()
            )
            if product is None:
                raise ShoppingListError(_("This offer is no longer available."))
            line.chosen_product = product
        fields.append("chosen_product")
    if fields:
        line.save(update_fields=fields)
        ShoppingList.objects.filter(pk=line.shopping_list_id).update(updated_at=timezone.now())
    return line


def shopping_list_line_remove(*, line: ShoppingListLine) -> None:
    line.delete()


@transaction.atomic
def shopping_list_set_start(
    *,
    shopping_list: ShoppingList,
    point: Point | None = None,
    place: str = "",
    round_trip: bool = True,
    sets_off_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> ShoppingList:
    """Where the customer starts from: a position (from their browser), else a typed place
    (a postcode of the node or, with a geocoder, an address); and when they set off (None:
    now). Raises ShoppingListError for a place we cannot find or one outside the node's
    area (more than NODE_RADIUS_KM from its centre), or a time that has passed or lies
    more than PLANNING_HORIZON_DAYS ahead; nothing changes then."""
    _check_sets_off_at(sets_off_at, now or timezone.now())
    label = ""
    if point is None:
        from .selectors import place_point

        label = " ".join((place or "").split())[:120]
        point = place_point(label)
        if point is None:
            from marketplace.models import Postcode

            example = Postcode.objects.values_list("code", flat=True).first() or "10117"
            raise ShoppingListError(
                _(
                    "We could not find “%(place)s” in town. Type a postcode such as "
                    "%(example)s, or use your position."
                )
                % {"place": label[:60], "example": example},
                field="place",
            )
    if not point.is_valid():
        raise ShoppingListError(_("This position is not on the map."), field="place")
    centre = Point(*settings.NODE_CENTRE)
    if distance_km(centre, point) > settings.NODE_RADIUS_KM:
        raise ShoppingListError(
            _(
                "This place is outside %(site)s's area (more than %(km)s km from the town "
                "centre). Type a postcode or an address in town."
            )
            % {"site": settings.SITE_NAME, "km": f"{settings.NODE_RADIUS_KM:g}"},
            field="place",
        )
    shopping_list.start_latitude = round(point.latitude, 6)
    shopping_list.start_longitude = round(point.longitude, 6)
    shopping_list.start_label = label
    shopping_list.round_trip = round_trip
    shopping_list.sets_off_at = sets_off_at
    shopping_list.save(
        update_fields=[
            "start_latitude",
            "start_longitude",
            "start_label",
            "round_trip",
            "sets_off_at",
            "updated_at",
        ]
    )
    return shopping_list


def _check_sets_off_at(sets_off_at: datetime.datetime | None, now: datetime.datetime) -> None:
    if sets_off_at is None:
        return
    when = timezone.localtime(sets_off_at)
    if when <= now:
        raise ShoppingListError(
            _("%(when)s has passed. Choose a later time, or set off now.")
            % {"when": date_format(when, "DATETIME_FORMAT")},
            field="time",
        )
    last_day = timezone.localdate(now) + datetime.timedelta(days=PLANNING_HORIZON_DAYS)
    if when.date() > last_day:
        raise ShoppingListError(
            _("Trips can be planned up to %(days)s days ahead, until %(day)s.")
            % {"days": PLANNING_HORIZON_DAYS, "day": date_format(last_day, "DATE_FORMAT")},
            field="day",
        )


@transaction.atomic
def shopping_list_copy(*, shopping_list: ShoppingList) -> ShoppingList:
    """The same list again, nothing ticked off, for next week's shopping. Lines still
    nobody sells count again as demand."""
    copy = ShoppingList.objects.create(
        owner=shopping_list.owner,
        visitor_key=shopping_list.visitor_key,
        name=shopping_list.name,
        start_latitude=shopping_list.start_latitude,
        start_longitude=shopping_list.start_longitude,
        start_label=shopping_list.start_label,
        round_trip=shopping_list.round_trip,
    )
    lines = ShoppingListLine.objects.bulk_create(
        [
            ShoppingListLine(
                shopping_list=copy,
                position=line.position,
                text=line.text,
                query=line.query,
                amount=line.amount,
                measure=line.measure,
                chosen_product_id=line.chosen_product_id,
            )
            for line in shopping_list.lines.order_by("position", "pk")
        ]
    )
    _record_found_nowhere(copy, lines)
    return copy


def shopping_list_delete(*, shopping_list: ShoppingList) -> None:
    shopping_list.delete()


def shopping_lists_claim(*, visitor_key: str, user) -> int:
    """A visitor's lists become the account's when they log in. Returns how many."""
    if not visitor_key or not user.is_authenticated:
        return 0
    return ShoppingList.objects.filter(owner=None, visitor_key=visitor_key).update(
        owner=user, visitor_key=""
    )


def shopping_list_to_cart(*, shopping_list: ShoppingList, cart, picks: dict) -> tuple[list, list]:
    """Put the picked offers (line id → (product, quantity)) into the cart through the
    cart's own service, which checks units, steps and stock. Returns (added cart lines,
    messages about lines that could not be added); what can be added is added."""

    added, problems = [], []
    for product, quantity in picks.values():
        try:
            added.append(cart_add(cart=cart, product=product, quantity=quantity))
        except InvalidQuantity as error:
            problems.append(str(error.message))
    if added:
        ShoppingList.objects.filter(pk=shopping_list.pk).update(updated_at=timezone.now())
    return added, problems


# Demo ------------------------------------------------------------------------------------

DEMO_SYNONYMS = [
    ("spuds", "potatoes"),
    ("coffee", "coffee beans"),
    ("bike tube", "inner tube"),
    ("oat drink", "oat milk"),
    ("dish soap", "washing-up liquid"),
    ("washing powder", "laundry detergent"),
    ("porridge oats", "rolled oats"),
    ("mince", "minced beef"),
    ("flowers", "bouquet"),
    ("bulb", "light bulb"),
    ("bread", "sourdough loaf, baguette"),
    ("tea", "loose-leaf tea"),
]
DEMO_LIST = "\n".join(
    [
        "2 kg potatoes",
        "500g coffee",
        "3 x oat milk",
        "inner tube 28 inch",
        "300 g mountain cheese",
        "a dozen eggs",
        "bread",
        "unicorn glitter",
    ]
)


def shopping_list_demo_load() -> None:
    """The node's first synonyms and a list for the demo customer. Idempotent."""
    for term, alternatives in DEMO_SYNONYMS:
        Synonym.objects.get_or_create(term=term, defaults={"alternatives": alternatives})
    from django.contrib.auth import get_user_model

    customer = get_user_model().objects.filter(email="customer@lindenfeld.example").first()
    if customer is None or customer.shopping_lists.filter(name="Saturday errands").exists():
        return
    shopping_list = ShoppingList.objects.create(owner=customer, name="Saturday errands")
    lines = ShoppingListLine.objects.bulk_create(
        [_line(shopping_list, n, p) for n, p in enumerate(shopping_list_check_text(DEMO_LIST))]
    )
    # Once, with the list: "unicorn glitter" shows on the shops' demand page.
    _record_found_nowhere(shopping_list, lines)


__all__ = [
    "new_visitor_key",
    "shopping_list_add_line",
    "shopping_list_check_text",
    "shopping_list_copy",
    "shopping_list_create",
    "shopping_list_delete",
    "shopping_list_demo_load",
    "shopping_list_line_change",
    "shopping_list_line_remove",
    "shopping_list_rewrite",
    "shopping_list_set_start",
    "shopping_list_to_cart",
    "shopping_lists_claim",
]
