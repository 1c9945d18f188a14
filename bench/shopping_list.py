"""Shopping lists on the bench database (run by bench/run.py; prints JSON on stdout):

- planning: shops.lists.trip_planner.plan_trip for a 20-line list against 50 candidate shops,
  random instances with a fixed seed, one core (pure Python, no database); and, on small
  instances (8 shops), the heuristic's gap to the exact optimum;
- matching: shops.lists.matching.match_lines for a 20-line list against the whole seeded
  catalogue (100,000 products in a full run), and the list and trip pages' data
  (shopping_list_page, shopping_list_trip) for the same list;
- planning ahead: shopping_list_trip for the same list setting off next Saturday at 10:00,
  planned on the Wednesday night before, among 50 shops with differing Saturday hours.

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
    from shops.lists.trip_planner import Candidate

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
    from shops.lists.trip_planner import plan_trip

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
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marketplace.geo import Point
    from shops.lists.matching import lines_from_text, match_lines
    from shops.lists.selectors import shopping_list_page, shopping_list_trip
    from shops.models import Product

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

    shopping_list = _bench_list("bench-lists@example.org", start)
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


def _bench_list(owner_email: str, start, **fields):
    from django.contrib.auth import get_user_model

    from shops.lists.services import shopping_list_check_text
    from shops.models import ShoppingList, ShoppingListLine

    owner, _ = get_user_model().objects.get_or_create(email=owner_email)
    shopping_list = ShoppingList.objects.create(
        owner=owner,
        name="Bench",
        start_latitude=start.latitude,
        start_longitude=start.longitude,
        **fields,
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
    return shopping_list


def measure_timed_trip(repeats: int, shops: int = 50) -> dict:
    """The trip for a chosen time: the 20-line list set to leave next Saturday at 10:00,
    planned on the Wednesday night before, among `shops` active shops whose Saturdays
    differ (every fifth closed, every seventh closing at 10:30, every eleventh on
    holiday). Everything it changes is rolled back."""
    import datetime

    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from marketplace.geo import Point
    from shops.lists.selectors import shopping_list_page, shopping_list_trip
    from shops.models import OpeningHours, Shop, ShopClosure

    start = Point(*settings.NODE_CENTRE)
    today = timezone.localdate()
    saturday = today + datetime.timedelta(days=(5 - today.weekday()) % 7 or 7)
    sets_off_at = timezone.make_aware(datetime.datetime.combine(saturday, datetime.time(10)))
    wednesday_night = sets_off_at - datetime.timedelta(days=3) + datetime.timedelta(hours=12)
    with transaction.atomic():
        active = list(Shop.objects.filter(status=Shop.Status.ACTIVE).order_by("pk"))
        kept, others = active[:shops], active[shops:]
        Shop.objects.filter(pk__in=[s.pk for s in others]).update(status=Shop.Status.SUSPENDED)
        OpeningHours.objects.filter(shop__in=kept).delete()
        hours, closures = [], []
        for n, shop in enumerate(kept):
            for day in range(6):
                if day == 5 and n % 5 == 0:
                    continue
                closes = datetime.time(10, 30) if day == 5 and n % 7 == 0 else datetime.time(18)
                hours.append(
                    OpeningHours(shop=shop, weekday=day, opens=datetime.time(9), closes=closes)
                )
            if n % 11 == 0:
                closures.append(ShopClosure(shop=shop, first_day=saturday, last_day=saturday))
        OpeningHours.objects.bulk_create(hours)
        ShopClosure.objects.bulk_create(closures)
        shopping_list = _bench_list("bench-timed@example.org", start, sets_off_at=sets_off_at)
        for _ in range(3):
            shopping_list_trip(shopping_list=shopping_list, moment=wednesday_night)
        samples, cpu_samples, page_samples = [], [], []
        for _ in range(repeats):
            began, began_cpu = time.perf_counter(), time.process_time()
            trip = shopping_list_trip(shopping_list=shopping_list, moment=wednesday_night)
            samples.append((time.perf_counter() - began) * 1000)
            # This process's CPU alone: on a busy machine, less noisy than the wall clock.
            cpu_samples.append((time.process_time() - began_cpu) * 1000)
            # The list with its offers alone, so the planning's share can be told apart.
            began = time.perf_counter()
            shopping_list_page(shopping_list=shopping_list, moment=sets_off_at)
            page_samples.append((time.perf_counter() - began) * 1000)
        assert trip.departure == sets_off_at and not trip.departs_now
        result = {
            "timed_trip_shops": len(kept),
            "timed_trip_candidate_shops": len(trip.page.shops),
            "timed_trip_ms": summarise(samples),
            "timed_trip_cpu_ms": summarise(cpu_samples),
            "timed_page_ms": summarise(page_samples),
            "timed_trip_stops": len(trip.stops),
            "timed_trip_planning_rounds": trip.planning_rounds,
            "timed_trip_shops_closing_before_arrival": len(trip.closing_before_arrival),
            "timed_trip_closing_soon": sum(stop.closes_soon for stop in trip.stops),
            "timed_trip_lines_only_at_closed_shops": len(trip.closed_only),
        }
        transaction.set_rollback(True)
    return result


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
    log(f"planning the {len(LINES)}-line list for next Saturday 10:00 {args.repeats} times…")
    result.update(measure_timed_trip(args.repeats))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
