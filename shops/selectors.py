"""Reads of shops and the catalogue, and the permission-checked fetchers."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
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
    # The text has no letter or digit: nothing was looked for.
    unsearchable: bool = False
    # Nothing anywhere matches the text or a close spelling, whatever the filters: what
    # people want and nobody sells (a demand signal, shops.UnmetSearch).
    found_nowhere: bool = False
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


def _among(ids: list[int], *, negated: bool = False) -> RawSQL:
    # One array parameter instead of `IN (%s, … 500 times)`: far less for Django and the
    # driver to build on every search.
    sql = '"shops_product"."id" = ANY(%s)'
    return RawSQL(f"NOT ({sql})" if negated else sql, (ids,), output_field=BooleanField())


# Candidates are first looked for among this many times SEARCH_MAX_CANDIDATES products, the
# best-scored.
WALK_FACTOR = 10
# When those hold this many pages of products with the words in the title, they are enough.
TITLE_PAGES = 2

# Of the best-scored active products, those whose title matches and those that match at
# all, and how many were looked at. A plan that cannot change: the LIMIT inside keeps
# Postgres from pushing the match into a scan of the table or of the score index.
_WALK = """
WITH q AS (SELECT websearch_to_tsquery(%s::regconfig, %s) AS query)
SELECT coalesce(array_agg(best.id) FILTER (WHERE best.title_vector @@ q.query), '{}'),
       coalesce(array_agg(best.id) FILTER (WHERE best.search_vector @@ q.query), '{}'),
       count(*)
FROM q, (
    SELECT id, title_vector, search_vector FROM shops_product
    WHERE is_active ORDER BY search_score DESC, id DESC LIMIT %s
) AS best
"""


def _websearch(terms: str) -> SearchQuery:
    return SearchQuery(terms, config=settings.SEARCH_CONFIG, search_type="websearch")


def _ids(queryset: QuerySet[Product], limit: int) -> list[int]:
    return list(queryset.values_list("pk", flat=True)[:limit])


def _ids_by_index(queryset: QuerySet[Product], limit: int) -> list[int]:
    """`_ids`, with the matches taken from a GIN index, never a scan of the table: the
    planner picks a scan for a word in a few percent of the products (80 ms for 'coffee'
    at 100,000), where the index gives them in a few."""
    with transaction.atomic(), connection.cursor() as cursor:
        # A disabled scan's cost is far above jit_above_cost: no compiling for a short read.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL jit = off")
        ids = _ids(queryset, limit)
        cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")
        cursor.execute("SET LOCAL jit TO DEFAULT")
    return ids


def _candidate_ids(queryset: QuerySet[Product], terms: str, limit: int) -> list[int]:
    """Up to `limit` ids of products of `queryset` matching `terms`: those with the words in
    the title first (all of them, unless the best-scored already hold TITLE_PAGES pages of
    them), then the others, each best stored score first. The work is bounded
    whatever the planner would estimate (it takes a frequent description word for a
    frequent title word, GIN keeping no weights, and walks the whole score index for words
    that rarely meet): the matches among the WALK_FACTOR × limit best-scored products come
    first, in one statement; only what they cannot settle is asked of the GIN indexes, which
    then give few rows. Two to four statements, two when the best-scored hold no match."""
    walk = limit * WALK_FACTOR
    with connection.cursor() as cursor:
        cursor.execute(_WALK, [settings.SEARCH_CONFIG, terms, walk])
        walked_titles, walked_matches, walked = cursor.fetchone()
    by_score = ("-search_score", "-pk")
    best: list[int] = []
    if walked_matches:
        title_first = _among(walked_titles)
        among = queryset.filter(_among(walked_matches))
        best = _ids(among.order_by(title_first.desc(), *by_score), limit)
    if walked < walk:
        return best  # that was every active product
    by_score_unwalked = ((F("search_score") + 0).desc(), "-pk")
    if not best:
        # None among the best-scored: few products match (or only low-scored ones), and one
        # statement gives them all, title matches first.
        in_title_first = ExpressionWrapper(
            Q(title_vector=_websearch(terms)), output_field=BooleanField()
        )
        matching = queryset.filter(search_vector=_websearch(terms))
        return _ids_by_index(matching.order_by(in_title_first.desc(), *by_score_unwalked), limit)
    in_title = set(walked_titles)
    titled = [pk for pk in best if pk in in_title]
    if len(titled) < min(limit, TITLE_PAGES * SEARCH_PAGE_SIZE):
        # Products named after the words rank first however low their score: when the
        # best-scored hold fewer than a few pages of them, all of them.
        # `+ 0`: no index gives this order, so Postgres takes the matches from a GIN index.
        any_title = queryset.filter(title_vector=_websearch(terms))
        titled = _ids_by_index(any_title.order_by(*by_score_unwalked), limit)
    need = limit - len(titled)
    others = [pk for pk in best if pk not in in_title]
    if len(others) < need:
        every = queryset.filter(search_vector=_websearch(terms))
        if titled:
            every = every.filter(_among(titled, negated=True))
        others = _ids_by_index(every.order_by(*by_score_unwalked), need)
    return titled + others[:need]


def _websearch_text(variants: list[str]) -> str:
    if len(variants) == 1:
        return variants[0]
    # websearch syntax: quotes keep each name's words together, "or" joins the names.
    return " or ".join('"{}"'.format(v.replace('"', " ")) for v in variants)


@dataclass
class TextMatches:
    queryset: QuerySet[Product]
    # More products matched than SEARCH_MAX_CANDIDATES: only the best by score are ranked.
    truncated: bool
    # How many products the queryset holds, when known without a query (None on SQLite).
    count: int | None

    @property
    def found(self) -> bool | None:
        return None if self.count is None else self.count > 0


class _Counted:
    """A page's worth of a queryset whose length is already known, so that the paginator
    asks no COUNT(*)."""

    def __init__(self, queryset: QuerySet[Product], count: int):
        self.queryset, self._count = queryset, count
        self.ordered = queryset.ordered

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, key):
        return self.queryset[key]


def _text_matches_postgres(queryset: QuerySet[Product], text: str) -> TextMatches:
    """Full-text matches ranked (the title, the category and the description; the typed
    words or a synonym's). Only SEARCH_MAX_CANDIDATES matches are ranked, so a word in every
    fifth product stays fast: products with the words in their title come first, then the
    others, each best stored score first. Typing mistakes are not looked for here:
    product_search corrects the words against the lexicon and searches again."""
    limit = settings.SEARCH_MAX_CANDIDATES
    terms = _websearch_text(search_variants(text))
    query = SearchQuery(terms, config=settings.SEARCH_CONFIG, search_type="websearch")
    candidate_ids = _candidate_ids(queryset, terms, limit + 1)
    ranked = queryset.filter(_among(candidate_ids[:limit])).annotate(
        relevance=SearchRank(F("search_vector"), query)
    )
    return TextMatches(ranked, len(candidate_ids) > limit, len(candidate_ids[:limit]))


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
    return TextMatches(ranked, False, None)


def _text_matches(queryset: QuerySet[Product], text: str) -> TextMatches:
    matcher = _text_matches_postgres if _is_postgres() else _text_matches_plain
    return matcher(queryset, text)


def _narrowed(data: dict) -> bool:
    """Whether the filters leave out some products (a sort or a place alone does not)."""
    return any(
        data.get(name)
        for name in ("category", "shop", "price_min", "price_max", "label", "in_stock", "radius_km")
    )


def product_search(*, params, page_number=1) -> SearchResult:
    """Search every active shop's active products. Invalid parameters give a result with
    form errors and no page, never an exception. Text without a letter or a digit finds
    nothing, without asking the database. When the words find nothing, a close spelling
    from the catalogue is searched instead (a confident correction) or offered ("Did you
    mean …?"), on Postgres and SQLite alike. No text is searched twice."""
    filterset = ProductSearchFilter(params or None, queryset=searchable_products())
    result = SearchResult(filterset=filterset)
    if params and not filterset.is_valid():
        result.errors = filterset.form.errors
        return result
    data = filterset.form.cleaned_data if params else {}
    text = data.get("q", "")
    result.query = text
    typed = (params.get("q") or "").strip() if params else ""
    if typed and not has_searchable_characters(text):
        result.unsearchable = True
        result.page = Paginator([], SEARCH_PAGE_SIZE).get_page(1)
        return result
    filtered = filterset.qs if params else searchable_products()
    sort = data.get("sort") or Sort.RELEVANCE

    def page_for(words: str) -> tuple[Page, TextMatches | None]:
        queryset, matches = filtered, None
        if words:
            matches = _text_matches(filtered, words)
            queryset = matches.queryset
        ordering = {
            Sort.PRICE_ASC: ["price", "title"],
            Sort.PRICE_DESC: ["-price", "title"],
            Sort.NEWEST: ["-created_at", "-pk"],
            Sort.DISTANCE: ["distance_km", "title"],
        }.get(sort)
        if ordering is None:
            ordering = ["-relevance", "title", "pk"] if words else ["title", "pk"]
        queryset = products_for_cards(queryset).order_by(*ordering)
        if matches is not None and matches.count is not None:
            # The candidates are the matches: their number needs no COUNT(*), and none
            # needs no query at all.
            queryset = _Counted(queryset if matches.count else queryset.none(), matches.count)
            paginator = Paginator(queryset, SEARCH_PAGE_SIZE)
        elif words:
            paginator = Paginator(queryset, SEARCH_PAGE_SIZE)
        else:
            # Without words the count is the whole filtered catalogue: keep it.
            paginator = CatalogueCountPaginator(
                queryset, SEARCH_PAGE_SIZE, count_key=_listing_count_key(params)
            )
        return paginator.get_page(page_number), matches

    result.page, matches = page_for(text)
    result.truncated = bool(matches and matches.truncated)
    if text and not result.page.paginator.count:
        from .catalogue_words import spelling_correction

        correction = spelling_correction(text)
        if correction is not None and correction.confident:
            page, corrected = page_for(correction.text)
            if page.paginator.count:
                result.page, result.truncated = page, corrected.truncated
                result.corrected, result.fuzzy = correction.text, True
        elif correction is not None:
            suggested = _text_matches(filtered, correction.text)
            found = suggested.found
            if found is None:  # SQLite
                found = suggested.queryset.exists()
            if found:
                result.suggestion = correction.text
        if not result.page.paginator.count and not result.suggestion:
            # Without filters the searches above covered every product already.
            result.found_nowhere = (
                not search_term_found_anywhere(text=text) if _narrowed(data) else True
            )
    return result


def has_searchable_characters(text: str) -> bool:
    """Whether a product could match `text`: it has a letter or a digit (punctuation,
    emoji and symbols alone match nothing)."""
    return any(ch.isalnum() for ch in text)


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

    if not has_searchable_characters(text):
        return False
    if _matches_anything(text):
        return True
    correction = spelling_correction(text)
    return correction is not None and _matches_anything(correction.text)


def _matches_anything(text: str) -> bool:
    matches = _text_matches(searchable_products(), text)
    return matches.found if matches.found is not None else matches.queryset.exists()


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
