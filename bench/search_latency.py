"""The Django side of the benchmark, run by bench/run.py in its own process against the bench
database: picks the search queries (checking how many products each matches), samples product
pages for the HTTP phases, and times shops.selectors.product_search in-process.

The query set (about 195 queries) covers every kind a search box receives: frequent and rare
words, typing mistakes, two and three words from real titles, words that exist but never
together, stop words, punctuation only, emoji, NUL characters and 10,000-character input. All
but the 10,000-character class are also sent over HTTP by run.py; a URL that long is refused
by gunicorn (and any proxy) before Django sees it, so that class is timed in-process only
(`selector_only_latency`).

Each search is timed as wall time (`p50_ms` …) and as CPU time (`cpu`): this process's CPU
(time.process_time) plus the CPU its Postgres backend spent (`server_cpu`, read from
/proc/<pid>/schedstat when the database runs on this machine; else the SQL statements' wall
time stands in). CPU time holds still on a busy machine where wall time does not. Parallel
query is off for the timed connection, so the backend's CPU is all the server's CPU.

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
RARE_WORDS = 25
FREQUENT_TITLE_WORDS = 18
# The seed writes "Certified organic." into about a fifth of the descriptions.
FREQUENT_WORDS = ["organic", "certified"]
MULTI_WORD = ["rye sourdough loaf", "inner tube 28", "oat milk barista"]
MULTI_WORD_FROM_TITLES = 37
# No exact match: corrected through the lexicon of catalogue words.
MISSPELLED = ["sourdogh", "helmett", "yirgachefe"]
MISSPELLED_GENERATED = 37
NEVER_TOGETHER = 20
STOP_WORDS = ["the", "and", "of a", "with", "it"]
PUNCTUATION = [
    "!!!", "...", "-", "?!", "***", '""', "()", "&&", "%", "_", "'", "--", "/", "#", "@ !",
]  # fmt: skip
EMOJI = ["🍞", "🥕🥕", "😀 😀", "🚲", "🧀🍷", "👍", "🌶️", "☕", "🍎 🍐 🍊", "❤️"]
NUL = ["\x00", "bread\x00", "\x00\x00\x00", "so\x00urdough", "\x00 !"]
LONG_LENGTH = 10_000
WARMUP_PASSES = 1
SEED = 14


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def exact_match_count(text: str) -> int:
    """Products the full-text part of product_search matches, built the way it builds it."""
    from django.conf import settings
    from django.contrib.postgres.search import SearchQuery

    from shops.filters import clean_query
    from shops.selectors import searchable_products

    text = clean_query(text)
    if not any(ch.isalnum() for ch in text):
        return 0
    query = SearchQuery(text, config=settings.SEARCH_CONFIG, search_type="websearch")
    return searchable_products().filter(search_vector=query).count()


def title_words() -> list[tuple[str, int]]:
    """Alphabetic title words (4+ letters) of searchable products with the number of
    products whose title has them, fewest first."""
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
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [Shop.Status.ACTIVE])
        return cursor.fetchall()


def sample_titles(count: int, rng: random.Random) -> list[str]:
    from shops.selectors import searchable_products

    top = searchable_products().order_by("-pk").values_list("pk", flat=True).first() or 0
    picks = sorted({rng.randint(1, top) for _ in range(count * 3)})
    rows = searchable_products().filter(pk__in=picks).order_by("pk")
    return list(rows.values_list("title", flat=True))


def typo(word: str, rng: random.Random) -> str:
    """One typing mistake: a letter left out, doubled, swapped with the next or replaced."""
    n = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "double", "swap", "replace"])
    if kind == "drop":
        return word[:n] + word[n + 1 :]
    if kind == "double":
        return word[:n] + word[n] + word[n:]
    if kind == "swap" and word[n] != word[n + 1]:
        return word[:n] + word[n + 1] + word[n] + word[n + 2 :]
    letter = rng.choice([c for c in "aeioustrnl" if c != word[n]])
    return word[:n] + letter + word[n + 1 :]


def choose_queries() -> dict:
    """Query classes, each query with its exact-match count and share of the catalogue."""
    from shops.selectors import searchable_products

    rng = random.Random(SEED)
    total = searchable_products().count()

    def described(text: str) -> dict:
        matches = exact_match_count(text)
        return {"q": text, "matches": matches, "fraction": matches / total if total else 0.0}

    words = title_words()
    # Title words can stem to something commoner ("skimmed" also matches "semi-skimmed"),
    # so the real full-text count decides, not the word count.
    candidates = sorted(
        (described(word) for word, _ in words[: RARE_WORDS * 3]),
        key=lambda item: (item["matches"], item["q"]),
    )
    rare = [c for c in candidates if 0 < c["fraction"] < RARE_MAX_FRACTION][:RARE_WORDS]
    note = ""
    if len(rare) < RARE_WORDS:
        # The demo vocabulary is small: at 100,000 products its rarest words sit near 0.1 %.
        rare = [c for c in candidates if c["matches"] > 0][:RARE_WORDS]
        note = (
            f"fewer than {RARE_WORDS} title words match < {RARE_MAX_FRACTION:.1%} of products; "
            "took the rarest words instead"
        )
    by_count = [word for word, _ in reversed(words)]
    frequent = (
        FREQUENT_WORDS + [w for w in by_count if w not in FREQUENT_WORDS][:FREQUENT_TITLE_WORDS]
    )
    known = {word for word, _ in words}
    typo_sources = [w for w in by_count[:400] if len(w) >= 5]
    misspelled = list(MISSPELLED)
    while len(misspelled) < len(MISSPELLED) + MISSPELLED_GENERATED and typo_sources:
        word = typo_sources.pop(rng.randrange(len(typo_sources)))
        wrong = typo(word, rng)
        if wrong not in known and wrong not in misspelled:
            misspelled.append(wrong)
    multi = list(MULTI_WORD)
    for title in sample_titles(MULTI_WORD_FROM_TITLES * 2, rng):
        parts = [p for p in title.replace(",", " ").split() if p.isalpha()]
        size = rng.choice([2, 3])
        if len(parts) >= size and len(multi) < len(MULTI_WORD) + MULTI_WORD_FROM_TITLES:
            start = rng.randrange(len(parts) - size + 1)
            multi.append(" ".join(parts[start : start + size]).lower())
    multi = list(dict.fromkeys(multi))
    # Two words each in many titles, never in the same product.
    common = [w for w in by_count[:150] if len(w) >= 4]
    never, tried = [], 0
    while len(never) < NEVER_TOGETHER and tried < 400:
        tried += 1
        first, second = rng.sample(common, 2)
        item = described(f"{first} {second}")
        if item["matches"] == 0 and item["q"] not in [n["q"] for n in never]:
            never.append(item)
    letters = "abcdefghijklmnopqrstuvwxyz     "
    long_queries = [
        "a" * LONG_LENGTH,
        ("bread " * LONG_LENGTH)[:LONG_LENGTH],
        "".join(rng.choice(letters) for _ in range(LONG_LENGTH)),
        "!" * LONG_LENGTH,
        "🍞" * LONG_LENGTH,
    ]
    return {
        "searchable_products": total,
        "rare_note": note,
        "classes": {
            "rare": rare,
            "frequent": [described(word) for word in frequent],
            "multi_word": [described(text) for text in multi],
            "misspelled": [described(text) for text in misspelled],
            "never_together": never,
            "stop_words": [described(text) for text in STOP_WORDS],
            "punctuation": [described(text) for text in PUNCTUATION],
            "emoji": [described(text) for text in EMOJI],
            "nul": [described(text) for text in NUL],
        },
        # Sent in-process only: no server takes a 10,000-character request line.
        "selector_only_classes": {"long": [described(text) for text in long_queries]},
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


class SQLTimer:
    """Counts statements and adds up the wall time each takes (a connection wrapper)."""

    def __init__(self):
        self.seconds, self.queries = 0.0, 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


class ServerCPU:
    """CPU time of this connection's Postgres backend, from /proc/<pid>/schedstat (time on
    the CPU in nanoseconds): the server's share of a search, unlike wall time unaffected by
    whatever else the machine runs. None when the database runs elsewhere."""

    def __init__(self):
        from django.db import connection

        with connection.cursor() as cursor:
            # Parallel workers' CPU would not show in the backend's figure.
            cursor.execute("SET max_parallel_workers_per_gather = 0")
            cursor.execute("SELECT pg_backend_pid()")
            self.path = f"/proc/{cursor.fetchone()[0]}/schedstat"
        if self.read() is None:
            self.path = None

    def read(self) -> float | None:
        if self.path is None:
            return None
        try:
            with open(self.path) as stat:
                return int(stat.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return None


def time_search(text: str, server: ServerCPU) -> dict:
    """Wall ms, CPU ms (this process + the Postgres backend; SQL wall time stands in for
    the backend when it cannot be read), SQL wall ms, statements and whether it was fuzzy,
    of one search."""
    from django.db import connection

    timer = SQLTimer()
    with connection.execute_wrapper(timer):
        server_started = server.read()
        cpu_started, started = time.process_time(), time.perf_counter()
        result = run_search(text)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        server_ended = server.read()
    if server_started is not None and server_ended is not None:
        server_cpu = server_ended - server_started
    else:
        server_cpu = timer.seconds
    return {
        "q": text,
        "wall": wall * 1000,
        "cpu": (cpu + server_cpu) * 1000,
        "server_cpu": server_cpu * 1000,
        "sql": timer.seconds * 1000,
        "queries": timer.queries,
        "fuzzy": result.fuzzy,
    }


def time_class(queries: list[str], repeats: int, server: ServerCPU) -> tuple[dict, list[dict]]:
    """`repeats` searches cycling through the class's queries; the summary and the raw
    samples (for the overall distribution)."""
    samples = []
    for n in range(repeats):
        samples.append(time_search(queries[n % len(queries)], server))
    slowest = max(samples, key=lambda s: s["cpu"])
    summary = {
        **summarise([s["wall"] for s in samples]),
        "sql_queries": samples[0]["queries"],
        "sql_queries_max": max(s["queries"] for s in samples),
        "fuzzy_queries": sorted({s["q"] for s in samples if s["fuzzy"]}),
        "cpu": summarise([s["cpu"] for s in samples]),
        "server_cpu": summarise([s["server_cpu"] for s in samples]),
        "sql": summarise([s["sql"] for s in samples]),
        "slowest_q": slowest["q"][:60],
    }
    return summary, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200, help="searches per query class")
    parser.add_argument("--product-pages", type=int, default=50, help="product URLs to sample")
    args = parser.parse_args()

    django.setup()
    log("Choosing queries…")
    workload = choose_queries()
    classes = {name: [item["q"] for item in items] for name, items in workload["classes"].items()}
    only_here = {
        name: [item["q"] for item in items]
        for name, items in workload["selector_only_classes"].items()
    }
    everything = {**classes, **only_here}
    count = sum(map(len, everything.values()))
    log(f"Warming up ({WARMUP_PASSES} passes over {count} queries)…")
    for _ in range(WARMUP_PASSES):
        for queries in everything.values():
            for text in queries:
                run_search(text)
    server = ServerCPU()
    latency, selector_only, all_samples = {}, {}, []
    for name, queries in everything.items():
        # Every query of a class at least once, however few the repeats.
        repeats = max(args.repeats, len(queries))
        log(f"Timing product_search, {name}: {repeats} searches…")
        summary, samples = time_class(queries, repeats, server)
        (latency if name in classes else selector_only)[name] = summary
        all_samples += samples
    overall = {
        **summarise([s["wall"] for s in all_samples]),
        "queries": count,
        "cpu": summarise([s["cpu"] for s in all_samples]),
        "server_cpu": summarise([s["server_cpu"] for s in all_samples]),
        "sql": summarise([s["sql"] for s in all_samples]),
        "cpu_source": "process + backend schedstat" if server.path else "process + SQL wall",
    }
    for name, timing in {**latency, **selector_only, "overall": overall}.items():
        cpu = timing["cpu"]
        log(
            f"  {name:<15} CPU p50 {cpu['p50_ms']:7.1f}  p95 {cpu['p95_ms']:7.1f}  "
            f"max {cpu['max_ms']:7.1f} ms   wall p95 {timing['p95_ms']:7.1f} ms"
        )
    json.dump(
        {
            "workload": workload,
            "selector_latency": latency,
            "selector_only_latency": selector_only,
            "selector_overall": overall,
            "product_paths": sample_product_paths(args.product_pages),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
