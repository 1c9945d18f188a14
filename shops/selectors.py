"""Reads of shops and the catalogue, and the permission-checked fetchers."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramWordSimilarity,
)
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, F, FloatField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property

from . import catalogue_cache
from .filters import ProductSearchFilter, Sort
from .models import OpeningHours, Product, ProductPhoto, Shop, ShopMembership

SEARCH_PAGE_SIZE = 24


def shops_active() -> QuerySet[Shop]:
    return Shop.objects.filter(status=Shop.Status.ACTIVE)


def shop_list() -> QuerySet[Shop]:
    return shops_active().prefetch_related("labels", "opening_hours", "closures").order_by("name")


def categories_top() -> list:
    from .models import Category

    return catalogue_cache.cached(
        catalogue_cache.cache_key("categories-top"),
        lambda: list(Category.objects.filter(parent__isnull=True).order_by("name")),
    )


def shop_get_public(*, slug: str) -> Shop:
    """An active shop by slug, with its labels, hours and closures; unknown, applying and
    suspended shops are all a 404. Kept in the cache until the catalogue changes."""

    def fetch() -> Shop:
        queryset = shops_active().prefetch_related("labels", "opening_hours", "closures")
        try:
            return queryset.get(slug=slug)
        except Shop.DoesNotExist:
            raise Http404("No such shop") from None

    return catalogue_cache.cached(catalogue_cache.cache_key("shop", slug), fetch)


def shops_for_home(*, limit: int = 8) -> tuple[list[Shop], int]:
    """The first shops by name (with what their cards show) and how many are active."""

    def fetch():
        return list(shop_list()[:limit]), shops_active().count()

    return catalogue_cache.cached(catalogue_cache.cache_key("home-shops", limit), fetch)


def shop_for_member(*, user, shop_id: int) -> Shop:
    """The shop if `user` works there; a 404 whether it is missing or not theirs."""
    if not user.is_authenticated:
        raise Http404("No such shop")
    try:
        return Shop.objects.get(pk=shop_id, memberships__user=user)
    except Shop.DoesNotExist:
        raise Http404("No such shop") from None


def shops_of_member(*, user) -> QuerySet[Shop]:
    return Shop.objects.filter(memberships__user=user).order_by("name")


def user_is_shop_member(*, user, shop: Shop) -> bool:
    if not user.is_authenticated:
        return False
    from marketplace.selectors import kept_for_person

    # Kept with the person's menu roles, and dropped with them when a membership changes.
    shop_ids = kept_for_person(
        user=user,
        name="shops",
        read=lambda: list(
            ShopMembership.objects.filter(user=user).values_list("shop_id", flat=True)
        ),
    )
    return shop.pk in shop_ids


def _with_photos(queryset: QuerySet[Product]) -> QuerySet[Product]:
    return queryset.select_related("shop", "category").prefetch_related(
        Prefetch("photos", queryset=ProductPhoto.objects.order_by("position", "id"))
    )


# What a product card shows (templates/includes/product_card.html), and nothing more: no
# description, no search vector.
CARD_FIELDS = (
    "id",
    "title",
    "slug",
    "price",
    "price_currency",
    "unit",
    "stock_quantity",
    "always_available",
    "shop__id",
    "shop__slug",
    "shop__name",
)
CARD_PHOTO_FIELDS = ("id", "product_id", "image", "thumbnail", "alt_text", "position")


def products_for_cards(queryset: QuerySet[Product]) -> QuerySet[Product]:
    return (
        queryset.select_related("shop")
        .only(*CARD_FIELDS)
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=ProductPhoto.objects.only(*CARD_PHOTO_FIELDS).order_by("position", "id"),
            )
        )
    )


class CatalogueCountPaginator(Paginator):
    """A paginator whose count is kept in the cache under `count_key` until the catalogue
    changes: an exact count of a large listing is the slowest part of showing a page of it."""

    def __init__(self, *args, count_key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self) -> int:
        return catalogue_cache.cached(self.count_key, lambda: Paginator.count.func(self))


def products_of_shop(*, shop: Shop) -> QuerySet[Product]:
    return products_for_cards(shop.products.filter(is_active=True)).order_by("title", "pk")


SHOP_PAGE_SIZE = 24


def shop_products_page(*, shop: Shop, page_number) -> Page:
    """A page of the shop's active products for its page; the rows are read only when the
    page is shown, the count is kept until the catalogue changes."""
    paginator = CatalogueCountPaginator(
        products_of_shop(shop=shop),
        SHOP_PAGE_SIZE,
        count_key=catalogue_cache.cache_key("shop-product-count", shop.pk, assortment=True),
    )
    return paginator.get_page(page_number)


def product_get_public(*, shop_slug: str, slug: str) -> Product:
    """An active product of an active shop, with what its page shows; anything else is a
    404. Kept in the cache until the catalogue changes (a sale changes its stock too)."""

    def fetch() -> Product:
        queryset = (
            _with_photos(
                Product.objects.filter(
                    shop__slug=shop_slug, shop__status=Shop.Status.ACTIVE, is_active=True
                )
            )
            .defer("search_vector")
            .prefetch_related("labels")
        )
        try:
            return queryset.get(slug=slug)
        except Product.DoesNotExist:
            raise Http404("No such product") from None

    return catalogue_cache.cached(catalogue_cache.cache_key("product", shop_slug, slug), fetch)


# Opening hours ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningState:
    is_open: bool
    # When open: today's closing time; when closed: the next opening (None if never).
    closes_at: datetime.time | None = None
    next_opening: datetime.datetime | None = None


def shop_opening_state(*, shop: Shop, moment: datetime.datetime | None = None) -> OpeningState:
    """Open now, and until when; or when it opens next. Uses prefetched opening hours."""
    moment = timezone.localtime(moment or timezone.now())
    intervals: list[OpeningHours] = list(shop.opening_hours.all())
    closures = list(shop.closures.all())

    def closed_on(day) -> bool:
        return any(closure.covers(day) for closure in closures)

    if not closed_on(moment.date()):
        for interval in intervals:
            if interval.covers(moment):
                return OpeningState(is_open=True, closes_at=interval.closes)
    for days_ahead in range(31):
        day = (moment + datetime.timedelta(days=days_ahead)).date()
        if closed_on(day):
            continue
        todays = sorted((i for i in intervals if i.weekday == day.weekday()), key=lambda i: i.opens)
        for interval in todays:
            start = timezone.make_aware(datetime.datetime.combine(day, interval.opens))
            if start > moment:
                return OpeningState(is_open=False, next_opening=start)
    return OpeningState(is_open=False)


def shops_with_opening_state(shops, moment: datetime.datetime | None = None) -> list[Shop]:
    """The shops, each with `.opening` set to its OpeningState (no extra queries when
    opening hours are prefetched)."""
    shops = list(shops)
    for shop in shops:
        shop.opening = shop_opening_state(shop=shop, moment=moment)
    return shops


def _state_ends(state: OpeningState, now: datetime.datetime) -> datetime.datetime:
    """When `state` stops being what the shop's page says."""
    if state.is_open:
        today = timezone.localtime(now).date()
        closes = timezone.make_aware(datetime.datetime.combine(today, state.closes_at))
        return closes if closes > now else now + datetime.timedelta(minutes=1)
    if state.next_opening is not None:
        return state.next_opening
    return now + datetime.timedelta(seconds=catalogue_cache.TIMEOUT)


def _opening_states_kept(key: str, shops) -> list[OpeningState]:
    # Kept until the first of them changes (a shop opens or closes) or the catalogue does.
    now = timezone.now()
    entry = cache.get(key)
    if entry is None or entry[0] <= now:
        states = [shop_opening_state(shop=shop, moment=now) for shop in shops()]
        ends = min((_state_ends(state, now) for state in states), default=now)
        entry = (ends, states)
        cache.set(key, entry, catalogue_cache.TIMEOUT)
    return entry[1]


def shop_opening_now(*, shop_slug: str) -> OpeningState:
    """Whether an active shop is open now, without reading the shop while nothing changed;
    a 404 for any other shop."""
    key = catalogue_cache.cache_key("opening", shop_slug)
    (state,) = _opening_states_kept(key, lambda: [shop_get_public(slug=shop_slug)])
    return state


def home_opening_now(*, limit: int = 8) -> list[OpeningState]:
    """Whether each of the home page's shops is open now, in their order."""
    key = catalogue_cache.cache_key("home-opening", limit)
    return _opening_states_kept(key, lambda: shops_for_home(limit=limit)[0])


def opening_hours_by_weekday(*, shop: Shop) -> list[tuple[str, list[OpeningHours], bool]]:
    """(weekday name, intervals, is today) for Monday to Sunday."""
    today = timezone.localtime().weekday()
    intervals = list(shop.opening_hours.all())
    return [
        (label, [i for i in intervals if i.weekday == value], value == today)
        for value, label in OpeningHours.Weekday.choices
    ]


# Search ------------------------------------------------------------------------------------


@dataclass
class SearchResult:
    filterset: ProductSearchFilter
    page: Page | None = None
    query: str = ""
    # True when a frequent word matched more products than we rank.
    truncated: bool = False
    # True when nothing matched exactly and the results come from similar spellings.
    fuzzy: bool = False
    # The spelling the results are for, when the query was corrected without asking.
    corrected: str = ""
    # "Did you mean …?": a spelling that finds something, offered on an empty page.
    suggestion: str = ""
    errors: dict = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return self.page is not None


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def searchable_products() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True, shop__status=Shop.Status.ACTIVE)


def search_variants(text: str) -> list[str]:
    """What to look for: the typed text and, when the node's synonyms know one of its
    terms, the shops' names for it ("spuds" → "potatoes"), as shopping lists do."""
    from .lists.matching import query_variants, synonym_table

    variants = query_variants(text.lower(), synonym_table())
    return list(dict.fromkeys([text, *(v for v in variants if v != text.lower())]))


class _TitleQuery(SearchQuery):
    """The query restricted to title words: each lexeme gets the weight label A, which the
    search-vector trigger gives to the title only."""

    def as_sql(self, compiler, connection, **extra):
        sql, params = super().as_sql(compiler, connection, **extra)
        weighted = r"regexp_replace(({})::text, $$'(?:[^']|'')+'$$, $$\&:A$$, 'g')::tsquery"
        return weighted.format(sql), params


def _candidate_ids(queryset: QuerySet[Product], limit: int) -> list[int]:
    # No ORDER BY: Postgres stops scanning after `limit` rows instead of sorting every match.
    return list(queryset.order_by().values_list("pk", flat=True)[:limit])


def _websearch_text(variants: list[str]) -> str:
    if len(variants) == 1:
        return variants[0]
    # websearch syntax: quotes keep each name's words together, "or" joins the names.
    return " or ".join('"{}"'.format(v.replace('"', " ")) for v in variants)


def _text_matches_postgres(queryset: QuerySet[Product], text: str):
    """Full-text matches ranked (the title, the category and the description; the typed
    words or a synonym's); when there are none, words spelled alike (pg_trgm). Only
    SEARCH_MAX_CANDIDATES matches are ranked, so a word in every fifth product stays fast:
    products with the words in their title come first, then the others."""
    limit = settings.SEARCH_MAX_CANDIDATES
    terms = _websearch_text(search_variants(text))
    query = SearchQuery(terms, config=settings.SEARCH_CONFIG, search_type="websearch")
    in_title = _TitleQuery(terms, config=settings.SEARCH_CONFIG, search_type="websearch")
    candidate_ids = _candidate_ids(queryset.filter(search_vector=in_title), limit + 1)
    if len(candidate_ids) <= limit:
        others = queryset.filter(search_vector=query).exclude(pk__in=candidate_ids)
        candidate_ids += _candidate_ids(others, limit + 1 - len(candidate_ids))
    if candidate_ids:
        truncated = len(candidate_ids) > limit
        ranked = queryset.filter(pk__in=candidate_ids[:limit]).annotate(
            relevance=SearchRank(F("search_vector"), query)
        )
        return ranked, truncated, False
    # No exact match: look for titles with words spelled like each typed word (pg_trgm's
    # word-similarity operator, served by the trigram index), best overall likeness first.
    words = [word for word in text.split() if len(word) >= 3][:6] or [text]
    alike = Q()
    for word in words:
        alike |= Q(title__trigram_word_similar=word)
    candidate_ids = _candidate_ids(queryset.filter(alike), limit + 1)
    likeness = sum(
        (TrigramWordSimilarity(Value(word), "title") for word in words[1:]),
        TrigramWordSimilarity(Value(words[0]), "title"),
    )
    ranked = queryset.filter(pk__in=candidate_ids[:limit]).annotate(relevance=likeness)
    return ranked, len(candidate_ids) > limit, bool(candidate_ids)


def _text_matches_plain(queryset: QuerySet[Product], text: str):
    """SQLite: every word in the title, the description or the category (or a synonym's
    words instead of the typed ones); title hits first. Typing mistakes are forgiven by
    product_search, which corrects the words against the catalogue's vocabulary."""
    any_variant = Q()
    for variant in search_variants(text):
        every_word = Q()
        for word in variant.split()[:8]:
            every_word &= (
                Q(title__icontains=word)
                | Q(description__icontains=word)
                | Q(category__name__icontains=word)
                | Q(category__parent__name__icontains=word)
            )
        any_variant |= every_word
    queryset = queryset.filter(any_variant)
    first_word = text.split()[0] if text.split() else ""
    ranked = queryset.annotate(
        relevance=Case(
            When(title__icontains=first_word, then=Value(1.0)),
            default=Value(0.0),
            output_field=FloatField(),
        )
    )
    return ranked, False, False


def _text_matches(queryset: QuerySet[Product], text: str):
    matcher = _text_matches_postgres if _is_postgres() else _text_matches_plain
    return matcher(queryset, text)


def product_search(*, params, page_number=1) -> SearchResult:
    """Search every active shop's active products. Invalid parameters give a result with
    form errors and no page, never an exception. When the words find nothing, a close
    spelling from the catalogue is searched instead (a confident correction) or offered
    ("Did you mean …?"), on Postgres and SQLite alike."""
    filterset = ProductSearchFilter(params or None, queryset=searchable_products())
    result = SearchResult(filterset=filterset)
    if params and not filterset.is_valid():
        result.errors = filterset.form.errors
        return result
    data = filterset.form.cleaned_data if params else {}
    filtered = filterset.qs if params else searchable_products()
    text = data.get("q", "")
    result.query = text
    sort = data.get("sort") or Sort.RELEVANCE

    def page_for(words: str) -> tuple[Page, bool, bool]:
        queryset, truncated, fuzzy = filtered, False, False
        if words:
            queryset, truncated, fuzzy = _text_matches(filtered, words)
        ordering = {
            Sort.PRICE_ASC: ["price", "title"],
            Sort.PRICE_DESC: ["-price", "title"],
            Sort.NEWEST: ["-created_at", "-pk"],
            Sort.DISTANCE: ["distance_km", "title"],
        }.get(sort)
        if ordering is None:
            ordering = ["-relevance", "title", "pk"] if words else ["title", "pk"]
        queryset = products_for_cards(queryset).order_by(*ordering)
        if words:
            paginator = Paginator(queryset, SEARCH_PAGE_SIZE)
        else:
            # Without words the count is the whole filtered catalogue: keep it.
            paginator = CatalogueCountPaginator(
                queryset, SEARCH_PAGE_SIZE, count_key=_listing_count_key(params)
            )
        return paginator.get_page(page_number), truncated, fuzzy

    result.page, result.truncated, result.fuzzy = page_for(text)
    if text and not result.page.paginator.count:
        from .catalogue_words import spelling_correction

        correction = spelling_correction(text)
        if correction is not None and correction.confident:
            page, truncated, _ = page_for(correction.text)
            if page.paginator.count:
                result.page, result.truncated = page, truncated
                result.corrected, result.fuzzy = correction.text, True
        elif correction is not None:
            found, _, _ = _text_matches(filtered, correction.text)
            if found.exists():
                result.suggestion = correction.text
    return result


def _listing_count_key(params) -> str:
    # The filters alone decide the count: not the page, nor the order.
    items = sorted(
        (name, tuple(params.getlist(name)) if hasattr(params, "getlist") else params[name])
        for name in (params or {})
        if name not in ("page", "sort", "q")
    )
    # Only "in stock only" makes the count follow sales.
    in_stock_only = bool((params or {}).get("in_stock"))
    return catalogue_cache.cache_key("listing-count", items, assortment=not in_stock_only)


def search_term_found_anywhere(*, text: str) -> bool:
    """Whether any active product anywhere matches `text` or a close spelling of it,
    whatever the filters: only a term that is not a typo is a demand signal."""
    from .catalogue_words import spelling_correction

    queryset = searchable_products()
    matches, _, _ = _text_matches(queryset, text)
    if matches.exists():
        return True
    correction = spelling_correction(text)
    if correction is None:
        return False
    matches, _, _ = _text_matches(queryset, correction.text)
    return matches.exists()


# The shop's dashboard ------------------------------------------------------------------------

LOW_STOCK = 5


def shop_for_owner(*, user, shop_id: int) -> Shop:
    """The shop if `user` owns it; a 404 otherwise (team and tokens are for owners)."""
    if not user.is_authenticated:
        raise Http404("No such shop")
    try:
        return Shop.objects.get(
            pk=shop_id, memberships__user=user, memberships__role=ShopMembership.Role.OWNER
        )
    except Shop.DoesNotExist:
        raise Http404("No such shop") from None


def member_role(*, user, shop: Shop) -> str | None:
    return (
        ShopMembership.objects.filter(user=user, shop=shop).values_list("role", flat=True).first()
    )


def products_low_on_stock(*, shop: Shop, limit: int = 10) -> QuerySet[Product]:
    return shop.products.filter(
        is_active=True, always_available=False, stock_quantity__lte=LOW_STOCK
    ).order_by("stock_quantity", "title")[:limit]


def catalogue_tasks(*, shop: Shop) -> dict[str, int]:
    from django.db.models import Count

    active = shop.products.filter(is_active=True)
    return {
        "out_of_stock": active.filter(always_available=False, stock_quantity__lte=0).count(),
        "without_photo": active.annotate(n=Count("photos")).filter(n=0).count(),
        "inactive": shop.products.filter(is_active=False).count(),
    }


def products_for_dashboard(*, shop: Shop) -> QuerySet[Product]:
    return (
        shop.products.select_related("category")
        .prefetch_related(
            Prefetch("photos", queryset=ProductPhoto.objects.order_by("position", "id"))
        )
        .order_by("title", "pk")
    )


def product_for_member(*, shop: Shop, product_id: int) -> Product:
    """A product of `shop` (whose membership the caller checked), active or not; 404 else."""
    product = (
        shop.products.select_related("category", "shop")
        .prefetch_related("labels", "photos")
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise Http404("No such product")
    return product


def import_for_shop(*, shop: Shop, import_id: int):
    from .models import ProductImport

    product_import = ProductImport.objects.filter(shop=shop, pk=import_id).first()
    if product_import is None:
        raise Http404("No such import")
    return product_import


def products_for_export(*, shop: Shop) -> QuerySet[Product]:
    return shop.products.select_related("category").prefetch_related("labels").order_by("sku")


def demand_signals(*, weeks: int = 8, limit: int = 100) -> list[dict]:
    """What people looked for and found nowhere, by term and week, most asked first. Counts
    only: the records hold no identity."""
    import datetime

    from django.db.models import Count
    from django.db.models.functions import TruncWeek

    from .models import UnmetSearch

    since = timezone.now() - datetime.timedelta(weeks=weeks)
    rows = (
        UnmetSearch.objects.filter(created_at__gte=since)
        .annotate(week=TruncWeek("created_at"))
        .values("term", "week")
        .annotate(count=Count("pk"))
        .order_by("-week", "-count", "term")
    )
    by_term: dict[str, dict] = {}
    for row in rows:
        entry = by_term.setdefault(row["term"], {"term": row["term"], "total": 0, "weeks": []})
        entry["total"] += row["count"]
        entry["weeks"].append((row["week"], row["count"]))
    return sorted(by_term.values(), key=lambda e: (-e["total"], e["term"]))[:limit]
