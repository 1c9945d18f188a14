"""The Django side of the benchmark, run by bench/run.py in its own process against the bench
database: picks the search queries (checking how many products each matches), samples product
pages for the HTTP phases, and times shops.selectors.product_search in-process.

Prints one JSON document on stdout; progress goes to stderr.

    DATABASE_URL=postgres://... DJANGO_SETTINGS_MODULE=marketplace.settings.dev DEBUG=0 \
        PYTHONPATH=. .venv/bin/python bench/search_latency.py --repeats 200
"""

import argparse
import json
import random
import sys
import time
from urllib.parse import urlencode

import django
from timing import summarise

# A rare word matches fewer than this share of the searchable products.
RARE_MAX_FRACTION = 0.001
RARE_WORDS = 5
# The seed writes "Certified organic." into about a fifth of the descriptions.
FREQUENT_WORDS = ["organic", "certified"]
MULTI_WORD = ["rye sourdough loaf", "inner tube 28", "oat milk barista"]
# No exact match, so these take the pg_trgm path.
MISSPELLED = ["sourdogh", "helmett", "yirgachefe"]
WARMUP_PASSES = 3


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def exact_match_count(text: str) -> int:
    """Products the full-text part of product_search matches, built the way it builds it."""
    from django.conf import settings
    from django.contrib.postgres.search import SearchQuery

    from shops.selectors import searchable_products

    query = SearchQuery(text, config=settings.SEARCH_CONFIG, search_type="websearch")
    return searchable_products().filter(search_vector=query).count()


def rarest_title_words(limit: int) -> list[str]:
    """Alphabetic title words (4+ letters) of searchable products, fewest products first."""
    from django.db import connection

    from shops.models import Shop

    sql = """
        SELECT word, count(DISTINCT p.id) AS products
        FROM shops_product p
        JOIN shops_shop s ON s.id = p.shop_id
        CROSS JOIN LATERAL regexp_split_to_table(lower(p.title), '[^a-z]+') AS word
        WHERE p.is_active AND s.status = %s AND length(word) >= 4
        GROUP BY word
        ORDER BY products, word
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [Shop.Status.ACTIVE, limit])
        return [word for word, _ in cursor.fetchall()]


def choose_queries() -> dict:
    """Query classes, each query with its exact-match count and share of the catalogue."""
    from shops.selectors import searchable_products

    total = searchable_products().count()

    def described(text: str) -> dict:
        matches = exact_match_count(text)
        return {"q": text, "matches": matches, "fraction": matches / total if total else 0.0}

    # Title words can stem to something commoner ("skimmed" also matches "semi-skimmed"),
    # so the real full-text count decides, not the word count.
    candidates = sorted(
        (described(word) for word in rarest_title_words(RARE_WORDS * 4)),
        key=lambda item: (item["matches"], item["q"]),
    )
    rare = [c for c in candidates if 0 < c["fraction"] < RARE_MAX_FRACTION][:RARE_WORDS]
    note = ""
    if len(rare) < RARE_WORDS:
        # The demo vocabulary is small: at 100,000 products its rarest words sit near 0.1 %.
        rare = [c for c in candidates if c["matches"] > 0][:RARE_WORDS]
        note = (
            f"no title word matches < {RARE_MAX_FRACTION:.1%} of products; "
            "took the rarest words instead"
        )
    return {
        "searchable_products": total,
        "rare_note": note,
        "classes": {
            "rare": rare,
            "frequent": [described(word) for word in FREQUENT_WORDS],
            "multi_word": [described(text) for text in MULTI_WORD],
            "misspelled": [described(text) for text in MISSPELLED],
        },
    }


def sample_product_paths(count: int) -> list[str]:
    """URLs of products spread over the whole catalogue (fixed seed: same pages every run)."""
    from shops.selectors import searchable_products

    rows = list(searchable_products().order_by("pk").values_list("shop__slug", "slug"))
    picked = random.Random(0).sample(rows, min(count, len(rows)))
    return [f"/shops/{shop_slug}/{slug}/" for shop_slug, slug in picked]


def run_search(text: str):
    """One search as the page does it, forced to fetch the page and count the matches."""
    from django.http import QueryDict

    from shops.selectors import product_search

    result = product_search(params=QueryDict(urlencode({"q": text})))
    list(result.page.object_list)
    result.page.paginator.count  # noqa: B018 - evaluated for its query
    return result


def time_class(queries: list[str], repeats: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run_search(queries[0])
    samples, fuzzy = [], set()
    for n in range(repeats):
        text = queries[n % len(queries)]
        started = time.perf_counter()
        result = run_search(text)
        samples.append((time.perf_counter() - started) * 1000)
        if result.fuzzy:
            fuzzy.add(text)
    return {
        **summarise(samples),
        "sql_queries": len(captured.captured_queries),
        "fuzzy_queries": sorted(fuzzy),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200, help="searches per query class")
    parser.add_argument("--product-pages", type=int, default=50, help="product URLs to sample")
    args = parser.parse_args()

    django.setup()
    log("Choosing queries…")
    workload = choose_queries()
    classes = {name: [item["q"] for item in items] for name, items in workload["classes"].items()}
    log(f"Warming up ({WARMUP_PASSES} passes over {sum(map(len, classes.values()))} queries)…")
    for _ in range(WARMUP_PASSES):
        for queries in classes.values():
            for text in queries:
                run_search(text)
    latency = {}
    for name, queries in classes.items():
        log(f"Timing product_search, {name}: {args.repeats} searches…")
        latency[name] = time_class(queries, args.repeats)
    json.dump(
        {
            "workload": workload,
            "selector_latency": latency,
            "product_paths": sample_product_paths(args.product_pages),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
