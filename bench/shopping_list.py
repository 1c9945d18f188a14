"""Shopping lists on the bench database (run by bench/run.py; prints JSON on stdout):

- planning: shops.trip_planner.plan_trip for a 20-line list against 50 candidate shops,
  random instances with a fixed seed, one core (pure Python, no database); and, on small
  instances (8 shops), the heuristic's gap to the exact optimum;
- matching: shops.list_matching.match_lines for a 20-line list against the whole seeded
  catalogue (100,000 products in a full run), and the list and trip pages' data
  (shopping_list_page, shopping_list_trip) for the same list.

    DATABASE_URL=postgres://... DJANGO_SETTINGS_MODULE=marketplace.settings.dev DEBUG=0 \
        PYTHONPATH=. .venv/bin/python bench/shopping_list.py --repeats 50
"""

import argparse
import json
import random
import sys
import time

import django
from timing import summarise

PLAN_TARGET_MS = 200
# A week's shopping as people write it: amounts, units, sizes, a typo, something nobody sells.
LINES = [
    "2 kg potatoes",
    "500g coffee",
    "3 x oat milk",
    "inner tube 28 inch",
    "300 g mountain cheese",
    "a dozen eggs",
    "bread",
    "1 kg rolled oats",
    "tomatoes",
    "screws",
    "basil",
    "washing up liquid",
    "light bulb",
    "picture book",
    "bike helmet",
    "honey",
    "sourdogh",
    "2 litres milk",
    "brake pads",
    "unicorn glitter",
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def planning_instances(count: int, shops: int, items: int, seed: int = 20):
    from marketplace.geo import Point
    from shops.trip_planner import Candidate

    rng = random.Random(seed)
    centre = Point(52.5163, 13.3777)
    instances = []
    for _ in range(count):
        density = rng.choice([0.05, 0.1, 0.2, 0.3])
        candidates = []
        for key in range(shops):
            has = frozenset(i for i in range(items) if rng.random() < density)
            point = Point(
                centre.latitude + rng.uniform(-0.025, 0.025),
                centre.longitude + rng.uniform(-0.04, 0.04),
            )
            candidates.append(Candidate(key, point, has or frozenset([rng.randrange(items)])))
        start = Point(
            centre.latitude + rng.uniform(-0.01, 0.01),
            centre.longitude + rng.uniform(-0.015, 0.015),
        )
        instances.append((start, candidates))
    return instances


def measure_planning(count: int) -> dict:
    from shops.trip_planner import plan_trip

    samples = []
    for start, candidates in planning_instances(count, shops=50, items=20):
        began = time.perf_counter()
        trip = plan_trip(start=start, candidates=candidates)
        samples.append((time.perf_counter() - began) * 1000)
        assert trip.covered and not trip.exact
    gaps = []
    for start, candidates in planning_instances(count, shops=8, items=8, seed=8):
        exact = plan_trip(start=start, candidates=candidates).distance_km
        heuristic = plan_trip(start=start, candidates=candidates, exact_up_to=0).distance_km
        gaps.append(heuristic / exact - 1 if exact else 0.0)
    timing = summarise(samples)
    return {
        "plan_instances": count,
        "plan_ms": timing,
        "plan_target_ms": PLAN_TARGET_MS,
        "plan_ok": timing["max_ms"] < PLAN_TARGET_MS,
        "heuristic_gap_mean_pct": round(100 * sum(gaps) / len(gaps), 2),
        "heuristic_gap_worst_pct": round(100 * max(gaps), 2),
    }


def measure_matching(repeats: int) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marketplace.geo import Point
    from shops.list_matching import lines_from_text, match_lines
    from shops.models import Product, ShoppingList, ShoppingListLine
    from shops.services.shopping_list import shopping_list_check_text
    from shops.shopping_list_selectors import shopping_list_page, shopping_list_trip

    lines = lines_from_text(LINES)
    start = Point(*settings.NODE_CENTRE)
    for _ in range(3):
        match_lines(lines, start=start)
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        matches = match_lines(lines, start=start)
        samples.append((time.perf_counter() - began) * 1000)
    with CaptureQueriesContext(connection) as queries:
        match_lines(lines, start=start)
    found = sum(1 for m in matches if m.offers)

    owner, _ = get_user_model().objects.get_or_create(email="bench-lists@example.org")
    shopping_list = ShoppingList.objects.create(
        owner=owner, name="Bench", start_latitude=start.latitude, start_longitude=start.longitude
    )
    parsed = shopping_list_check_text("\n".join(LINES))
    ShoppingListLine.objects.bulk_create(
        ShoppingListLine(
            shopping_list=shopping_list,
            position=n,
            text=p.text,
            query=p.query,
            amount=p.amount.value if p.amount else None,
            measure=p.amount.measure if p.amount else "",
        )
        for n, p in enumerate(parsed)
    )
    page_samples, trip_samples = [], []
    try:
        for _ in range(max(repeats // 2, 5)):
            began = time.perf_counter()
            shopping_list_page(shopping_list=shopping_list)
            page_samples.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            trip = shopping_list_trip(shopping_list=shopping_list)
            trip_samples.append((time.perf_counter() - began) * 1000)
    finally:
        shopping_list.delete()
    return {
        "match_lines": len(LINES),
        "match_products": Product.objects.filter(is_active=True).count(),
        "match_ms": summarise(samples),
        "match_sql_queries": len(queries.captured_queries),
        "match_lines_found": found,
        "page_ms": summarise(page_samples),
        "trip_ms": summarise(trip_samples),
        "trip_stops": len(trip.stops),
        "trip_km": round(trip.distance_km, 2),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--instances", type=int, default=60)
    args = parser.parse_args()
    django.setup()
    log(f"planning {args.instances} random 20-line lists against 50 shops…")
    result = measure_planning(args.instances)
    log(f"matching a {len(LINES)}-line list {args.repeats} times…")
    result.update(measure_matching(args.repeats))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
