"""Routes and assignment against an exact optimum and their invariants (hypothesis)."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from logistics.routing import (
    CourierToPlan,
    JobToPlan,
    assign_jobs,
    exact_route_km,
    plan_route,
    route_km,
)
from marketplace.geo import Point

CENTRE = Point(52.5163, 13.3777)


def town_point(rng) -> Point:
    return Point(
        CENTRE.latitude + rng.uniform(-0.03, 0.03), CENTRE.longitude + rng.uniform(-0.05, 0.05)
    )


def random_jobs(rng, count):
    return [
        JobToPlan(n + 1, town_point(rng), town_point(rng), rng.uniform(1, 8), 10)
        for n in range(count)
    ]


def test_routes_are_within_one_percent_on_average_and_five_at_worst_of_the_optimum():
    rng = random.Random(2026)
    gaps = []
    for count in [3, 4, 5, 6, 7, 8] * 4:
        start, jobs = town_point(rng), random_jobs(rng, count)
        stops = plan_route(start, jobs)
        gaps.append(route_km(start, stops) / exact_route_km(start, jobs) - 1)
    assert sum(gaps) / len(gaps) <= 0.01, gaps
    assert max(gaps) <= 0.05, gaps
    assert min(gaps) >= -1e-9  # never shorter than the optimum: the optimum is right


def check_route(stops, jobs):
    seen = {}
    for position, stop in enumerate(stops):
        seen.setdefault(stop.job_id, []).append((stop.kind, position))
    for job in jobs:
        visits = seen.pop(job.job_id, None)
        if visits is None:
            continue
        assert [kind for kind, _ in visits] == ["pickup", "drop"], visits
    assert not seen  # no stop of a job that was not asked for


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), count=st.integers(1, 8))
def test_every_route_picks_up_before_it_delivers_and_visits_each_job_once(seed, count):
    rng = random.Random(seed)
    jobs = random_jobs(rng, count)
    stops = plan_route(town_point(rng), jobs)
    check_route(stops, jobs)
    assert len(stops) == 2 * count


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), couriers=st.integers(1, 6), jobs=st.integers(0, 25))
def test_assignment_never_exceeds_capacity_and_assigns_each_job_at_most_once(seed, couriers, jobs):
    rng = random.Random(seed)
    riders = [
        CourierToPlan(
            100 + n,
            town_point(rng),
            capacity_kg=rng.choice([8, 15, 40]),
            capacity_litres=60,
            max_jobs=rng.randint(1, 5),
        )
        for n in range(couriers)
    ]
    work = random_jobs(rng, jobs)
    result = assign_jobs(riders, work)
    by_id = {job.job_id: job for job in work}
    assigned = [
        stop.job_id for stops in result.routes.values() for stop in stops if stop.kind == "pickup"
    ]
    assert len(assigned) == len(set(assigned))
    assert set(assigned) | set(result.unassigned) == set(by_id)
    assert not set(assigned) & set(result.unassigned)
    for courier in riders:
        stops = result.routes.get(courier.courier_id, [])
        check_route(stops, work)
        load = 0.0
        for stop in stops:
            load += by_id[stop.job_id].weight_kg * (1 if stop.kind == "pickup" else -1)
            assert load <= courier.capacity_kg + 0.1
        assert len([s for s in stops if s.kind == "pickup"]) <= courier.max_jobs
