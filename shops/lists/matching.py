"""Matching shopping-list lines to the catalogue: reads only.

Every line of a list is looked up in one SQL statement on Postgres (a LATERAL join over the
lines' queries), so matching a 20-line list costs the same number of queries as a 1-line
one: full text with stemming first, ranked with title words far above category and
description words; lines that find nothing that way get one more statement that looks for
titles spelled alike (pg_trgm), as the search page does. On SQLite a plain word match per
line stands in.

Then, in Python: the node's synonyms ("spuds" → potatoes), how well a product's unit suits
the amount asked for (500 g of coffee is not a coffee machine repair), whether the title's
main word is one the customer wrote ("potatoes" are not a potato sourdough loaf), stock,
and the distance from the customer."""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from djmoney.money import Money

from marketplace.geo import Point, distance_km

from ..models import Product, Shop, Synonym
from ..quantities import quantity_step
from .parsing import Amount, parse_line, quantity_to_buy, unit_fit

# Per query the database returns at most this many products, and at most this many per shop.
ROWS_PER_QUERY = 40
# Matches ranked per query: enough for every shop's variants in a town, bounded so a word
# in thousands of titles stays fast.
CANDIDATES_PER_QUERY = 200
ROWS_PER_SHOP = 8
# Offers shown per line.
OFFERS_PER_LINE = 6
# An offer is kept when it scores at least this share of the line's best offer.
RELATIVE_CUTOFF = 0.7
# A product whose main title word is one the customer wrote scores this much more.
HEAD_WORD_BONUS = 1.6
# Title endings that say the size or pack, not what the thing is.
TITLE_TAIL = {
    "g", "kg", "ml", "cl", "l", "litre", "litres", "inch", "of", "box", "bag", "pack",
    "packet", "set", "pair", "slice", "whole", "small", "large", "s", "m", "xl", "young",
    "aged", "months", "paperback", "hardback", "pieces", "bunch", "a5", "a6",
}  # fmt: skip

# How well a product's unit suits the amount asked for, as list_parsing.unit_fit says, so
# that the rows kept per shop are the ones Python will rank first.
_UNIT_FIT = """
CASE
    WHEN qt.measure IN ('kg', 'litre') THEN
        CASE WHEN p.unit = 'hour' THEN 0.2
             WHEN p.unit IN ('kg', 'litre') THEN 1.0
             WHEN p.title ~* '\\d\\s?(k?g|ml|cl|l|litres?)\\M' THEN 1.0
             ELSE 0.5 END
    WHEN qt.measure <> '' AND p.unit = 'hour' THEN 0.2
    ELSE 1.0
END
"""

# Each line's candidates come from the GIN index on search_vector, at most CANDIDATES_PER_QUERY
# per line, titles first; only lines whose words are in no title (known from the first step's
# own rows, not from another search) look in categories and descriptions. The steps are
# materialized CTEs, so the planner cannot merge them into one plan whose shape depends on
# how common it guesses a word to be: it once checked "is the word in any title?" with a
# sequential scan that, right after an import, read the whole table for every line.
_FULL_TEXT = """
WITH t AS (
    SELECT q.n::int AS n, q.measure, websearch_to_tsquery(%(config)s, q.text) AS tsq
    FROM unnest(%(texts)s::text[], %(measures)s::text[]) WITH ORDINALITY AS q(text, measure, n)
), qt AS MATERIALIZED (
    SELECT n, measure, tsq,
           regexp_replace(tsq::text, $$'(?:[^']|'')+'$$, $$\\&:AB$$, 'g')::tsquery AS in_title
    FROM t
), in_title AS MATERIALIZED (
    SELECT qt.n, c.* FROM qt CROSS JOIN LATERAL (
        SELECT p.id, p.shop_id, (p.always_available OR p.stock_quantity > 0) AS in_stock,
               ts_rank('{0.02, 0.05, 0.4, 1.0}', p.search_vector, qt.tsq, 1) AS score,
               UNIT_FIT AS fit
        FROM shops_product p JOIN shops_shop s ON s.id = p.shop_id
        WHERE p.search_vector @@ qt.in_title AND p.is_active AND s.status = 'active'
        LIMIT %(candidates)s
    ) c
), anywhere AS MATERIALIZED (
    SELECT qt.n, c.* FROM qt CROSS JOIN LATERAL (
        SELECT p.id, p.shop_id, (p.always_available OR p.stock_quantity > 0) AS in_stock,
               ts_rank('{0.02, 0.05, 0.4, 1.0}', p.search_vector, qt.tsq, 1) AS score,
               UNIT_FIT AS fit
        FROM shops_product p JOIN shops_shop s ON s.id = p.shop_id
        WHERE p.search_vector @@ qt.tsq AND p.is_active AND s.status = 'active'
        LIMIT %(candidates)s
    ) c
    WHERE NOT EXISTS (SELECT 1 FROM in_title h WHERE h.n = qt.n)
), ranked AS (
    SELECT c.n, c.id, c.score, c.in_stock, c.score * c.fit AS fitted,
           row_number() OVER (
               PARTITION BY c.n, c.shop_id ORDER BY c.in_stock DESC, c.score * c.fit DESC, c.id
           ) AS place_in_shop
    FROM (SELECT * FROM in_title UNION ALL SELECT * FROM anywhere) c
)
SELECT n, id, score FROM (
    SELECT n, id, score, row_number() OVER (
        PARTITION BY n ORDER BY in_stock DESC, fitted DESC, id
    ) AS place
    FROM ranked
    WHERE place_in_shop <= %(per_shop)s
) best
WHERE place <= %(rows)s
ORDER BY n, place
""".replace("UNIT_FIT", _UNIT_FIT)

# Titles with words spelled like the typed words (each of at least three letters).
_SPELLED_ALIKE = """
WITH t AS (
    SELECT q.n::int AS n, ARRAY(
        SELECT w FROM regexp_split_to_table(q.text, '\\s+') AS w WHERE length(w) >= 3
    ) AS words
    FROM unnest(%(texts)s::text[]) WITH ORDINALITY AS q(text, n)
)
SELECT t.n, r.id, r.score
FROM t CROSS JOIN LATERAL (
    SELECT p.id, (
        SELECT sum(word_similarity(w, p.title)) FROM unnest(t.words) AS w
    ) / greatest(cardinality(t.words), 1) * 0.2 AS score
    FROM shops_product p JOIN shops_shop s ON s.id = p.shop_id
    WHERE p.title %%> ANY(t.words) AND p.is_active AND s.status = 'active'
    ORDER BY score DESC, p.id
    LIMIT %(rows)s
) r
"""


@dataclass(frozen=True)
class Hit:
    product_id: int
    score: float
    fuzzy: bool = False


def match_texts(queries: list[tuple[str, str]]) -> dict[tuple[str, str], list[Hit]]:
    """For each (text, measure asked for), the products that match it, best first.
    Postgres: at most two queries whatever the number of texts."""
    queries = list(dict.fromkeys(q for q in queries if q[0]))
    if not queries:
        return {}
    texts = [text for text, _ in queries]
    if connection.vendor != "postgresql":
        return {query: _plain_hits(query[0]) for query in queries}
    found: dict[tuple[str, str], list[Hit]] = {query: [] for query in queries}
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner's estimates for these statements are high enough to start JIT
        # compilation, which costs more than the whole query.
        cursor.execute("SET LOCAL jit = off")
        # Every product condition here is one the GIN indexes answer; a sequential scan
        # only ever wins on a guess (stale statistics, an import in the index's pending
        # list) and then costs seconds. For these statements only.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            _FULL_TEXT,
            {
                "config": settings.SEARCH_CONFIG,
                "texts": texts,
                "measures": [measure for _, measure in queries],
                "candidates": CANDIDATES_PER_QUERY,
                "per_shop": ROWS_PER_SHOP,
                "rows": ROWS_PER_QUERY,
            },
        )
        for n, product_id, score in cursor.fetchall():
            found[queries[n - 1]].append(Hit(product_id, float(score)))
        unmatched = [query for query in queries if not found[query]]
        if unmatched:
            texts = [text for text, _ in unmatched]
            cursor.execute(_SPELLED_ALIKE, {"texts": texts, "rows": ROWS_PER_QUERY})
            for n, product_id, score in cursor.fetchall():
                found[unmatched[n - 1]].append(Hit(product_id, float(score), fuzzy=True))
    return found


def _plain_hits(text: str, *, fuzzy: bool = False) -> list[Hit]:
    """SQLite: every word in the title or description, title hits first; when nothing
    matches, the words as the catalogue spells them (a confident correction), as fuzzy
    hits, as Postgres finds titles spelled alike."""
    from django.db.models import Q

    queryset = Product.objects.filter(is_active=True, shop__status=Shop.Status.ACTIVE)
    words = text.split()[:8]
    for word in words:
        queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
    hits = []
    for pk, title in queryset.order_by("pk").values_list("pk", "title")[:ROWS_PER_QUERY]:
        in_title = sum(word.lower() in title.lower() for word in words)
        score = 0.1 + 0.1 * in_title / max(len(words), 1)
        hits.append(Hit(pk, score * 0.5 if fuzzy else score, fuzzy))
    if not hits and not fuzzy:
        from ..catalogue_words import spelling_correction

        correction = spelling_correction(text)
        if correction is not None and correction.confident:
            return _plain_hits(correction.text, fuzzy=True)
    return sorted(hits, key=lambda h: -h.score)


# Synonyms ----------------------------------------------------------------------------------


SYNONYMS_CACHE_KEY = "shops-synonyms"


def synonym_table() -> list[tuple[re.Pattern, list[str]]]:
    """(pattern of what people write, what shops call it), longest terms first. The rows
    are cached until a synonym is saved or deleted (shops.signals), so searching costs no
    query for them."""
    rows = cache.get(SYNONYMS_CACHE_KEY)
    if rows is None:
        rows = list(Synonym.objects.order_by("term").values_list("term", "alternatives"))
        cache.set(SYNONYMS_CACHE_KEY, rows, 24 * 3600)
    table = []
    for term, alternatives in sorted(rows, key=lambda r: -len(r[0])):
        names = [a.strip().lower() for a in alternatives.split(",") if a.strip()]
        if names:
            table.append((re.compile(rf"(?<!\w){re.escape(term.lower())}(?!\w)"), names))
    return table


def query_variants(query: str, synonyms) -> list[str]:
    """What to look for: the shops' words in place of the customer's when a synonym says
    so (the first, longest matching term), else the query itself."""
    for pattern, names in synonyms:
        if pattern.search(query):
            return [pattern.sub(name, query, count=1) for name in names]
    return [query]


# Scoring -----------------------------------------------------------------------------------


def _stem(word: str) -> str:
    word = re.sub(r"[^\w]", "", word.lower())
    if len(word) > 4 and word.endswith(("oes", "ches", "shes", "xes", "sses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def head_word(title: str) -> str:
    """The title's main word: its last, once sizes and packs are taken off the end
    ("Organic free-range eggs box of 6" → "egg")."""
    words = [w for w in re.split(r"[\s,]+", title.lower()) if w]
    while words and (words[-1] in TITLE_TAIL or words[-1][:1].isdigit()):
        words.pop()
    return _stem(words[-1]) if words else ""


def _score(hit: Hit, product: Product, query_stems: set[str], amount: Amount | None) -> float:
    score = hit.score * unit_fit(amount, unit=product.unit, title=product.title)
    if head_word(product.title) in query_stems:
        score *= HEAD_WORD_BONUS
    return score


# Offers per line ---------------------------------------------------------------------------


@dataclass
class Offer:
    product: Product
    score: float
    quantity: Decimal
    distance_km: float | None
    fuzzy: bool = False

    @property
    def shop(self) -> Shop:
        return self.product.shop

    @property
    def total(self) -> Money:
        return Money(self.product.price.amount * self.quantity, self.product.price.currency)

    @property
    def short(self) -> bool:
        return not self.product.always_available and self.product.stock_quantity < self.quantity


@dataclass
class LineMatch:
    key: object  # the line's id (or position when not saved)
    text: str
    query: str
    amount: Amount | None
    offers: list[Offer] = field(default_factory=list)
    # Nothing matches anywhere in the node, in stock or not: a demand signal.
    found_nowhere: bool = False
    # Something matches, but not in stock nearby.
    none_nearby: bool = False
    fuzzy: bool = False

    @property
    def readable(self) -> bool:
        return bool(self.query)

    def best_by_shop(self) -> dict[int, Offer]:
        best: dict[int, Offer] = {}
        for offer in self.offers:
            best.setdefault(offer.product.shop_id, offer)
        return best


@dataclass(frozen=True)
class LineToMatch:
    key: object
    text: str
    query: str
    amount: Amount | None


def lines_from_text(texts: list[str]) -> list[LineToMatch]:
    lines = []
    for n, text in enumerate(texts):
        parsed = parse_line(text)
        lines.append(LineToMatch(n, parsed.text, parsed.query, parsed.amount))
    return lines


def match_lines(
    lines: list[LineToMatch],
    *,
    start: Point | None = None,
    radius_km: float | None = None,
    synonyms=None,
) -> list[LineMatch]:
    """The best in-stock offers for each line within `radius_km` of `start` (everywhere
    when no start is known), best first, at most one per shop until every shop showed
    its best, then other variants. A fixed number of queries whatever the list's length."""
    synonyms = synonym_table() if synonyms is None else synonyms
    radius_km = settings.SHOPPING_LIST_RADIUS_KM if radius_km is None else radius_km
    variants = {line.key: query_variants(line.query, synonyms) for line in lines if line.query}
    measure = {line.key: line.amount.measure if line.amount else "" for line in lines}
    queries = [(text, measure[key]) for key, names in variants.items() for text in names]
    hits = match_texts(queries)
    # The customer's own words, when the shops' words a synonym gave found nothing.
    retry = [
        (line.query, measure[line.key])
        for line in lines
        if line.query
        and variants[line.key] != [line.query]
        and not any(hits.get((name, measure[line.key])) for name in variants[line.key])
    ]
    if retry:
        hits.update(match_texts(retry))
    product_ids = {hit.product_id for found in hits.values() for hit in found}
    products = (
        Product.objects.select_related("shop")
        .defer("description", "search_vector", "shop__description")
        .in_bulk(product_ids)
    )
    results = []
    for line in lines:
        match = LineMatch(line.key, line.text, line.query, line.amount)
        results.append(match)
        if not line.query:
            continue
        asked = measure[line.key]
        line_hits = [h for name in variants[line.key] for h in hits.get((name, asked), [])]
        if not line_hits:
            line_hits = hits.get((line.query, asked), [])
        if not line_hits:
            match.found_nowhere = True
            continue
        stems = {_stem(w) for w in " ".join([line.query, *variants[line.key]]).split()}
        scored: dict[int, Offer] = {}
        for hit in line_hits:
            product = products.get(hit.product_id)
            if product is None or not product.in_stock:
                continue
            distance = None
            if start is not None:
                distance = distance_km(start, Point(product.shop.latitude, product.shop.longitude))
                if distance > radius_km:
                    continue
            score = _score(hit, product, stems, line.amount)
            if hit.product_id in scored and scored[hit.product_id].score >= score:
                continue
            quantity = quantity_to_buy(
                line.amount, unit=product.unit, step=quantity_step(product), title=product.title
            )
            scored[hit.product_id] = Offer(product, score, quantity, distance, hit.fuzzy)
        if not scored:
            match.none_nearby = True
            continue
        best = max(offer.score for offer in scored.values())
        kept = [o for o in scored.values() if o.score >= best * RELATIVE_CUTOFF]
        kept.sort(
            key=lambda o: (-o.score, o.distance_km or 0.0, o.product.price.amount, o.product.pk)
        )
        firsts, others, seen = [], [], set()
        for offer in kept:
            (others if offer.product.shop_id in seen else firsts).append(offer)
            seen.add(offer.product.shop_id)
        match.offers = (firsts + others)[:OFFERS_PER_LINE]
        match.fuzzy = all(o.fuzzy for o in match.offers)
    return results


def shops_by_key(matches: list[LineMatch]) -> dict[int, Shop]:
    shops: dict[int, Shop] = {}
    for match in matches:
        for offer in match.offers:
            shops.setdefault(offer.product.shop_id, offer.product.shop)
    return shops


def offers_by_shop(matches: list[LineMatch]) -> dict[int, dict[object, Offer]]:
    """shop id → line key → the shop's best offer for that line."""
    table: dict[int, dict[object, Offer]] = defaultdict(dict)
    for match in matches:
        for shop_id, offer in match.best_by_shop().items():
            table[shop_id][match.key] = offer
    return table
