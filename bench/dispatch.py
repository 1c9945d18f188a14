"""Courier dispatch: assigning 1,000 open jobs to 100 couriers (seconds of wall and CPU time,
the share assigned of the jobs that fit, and drop-offs planned later than due), route length
against the exact optimum (and against delivering one order at a time), and the dispatcher
board's load time with 500 jobs today. Run by bench/run.py against the bench database; prints
JSON.

A job "fits" when some courier could take it on its own (`routing.job_fits`: a free place on
their list, room on the bike for its weight and volume). With --jobs 1000 and --couriers 100
there are exactly as many places (10 a courier) as jobs, and every job fits every bike: all
must be assigned.
"""

import argparse
import json
import random
import secrets
import statistics
import sys
import time

import django


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--couriers", type=int, default=100)
    parser.add_argument("--board-jobs", type=int, default=500)
    parser.add_argument("--instances", type=int, default=60)
    return parser.parse_args()


def main():
    args = parse_args()
    django.setup()
    from django.conf import settings

    from logistics.routing import (
        CourierToPlan,
        JobToPlan,
        assign_jobs,
        exact_route_km,
        job_fits,
        plan_route,
        route_km,
        route_minutes,
    )
    from marketplace.geo import Point

    rng = random.Random(11)
    centre = Point(*settings.NODE_CENTRE)

    def somewhere():
        return Point(
            centre.latitude + rng.uniform(-0.04, 0.04), centre.longitude + rng.uniform(-0.06, 0.06)
        )

    jobs = [
        JobToPlan(
            n + 1,
            somewhere(),
            somewhere(),
            rng.uniform(1, 10),
            rng.uniform(5, 40),
            rng.randint(3600, 4 * 3600),
        )
        for n in range(args.jobs)
    ]
    couriers = [
        CourierToPlan(
            n + 1, somewhere(), rng.choice([15, 40, 80]), rng.choice([40, 150]), max_jobs=10
        )
        for n in range(args.couriers)
    ]
    print(f"assigning {args.jobs} jobs to {args.couriers} couriers…", file=sys.stderr)
    started, started_cpu = time.perf_counter(), time.process_time()
    result = assign_jobs(couriers, jobs)
    assign_s = time.perf_counter() - started
    assign_cpu_s = time.process_time() - started_cpu
    assigned = sum(1 for stops in result.routes.values() for s in stops if s.kind == "pickup")
    fitting = {job.job_id for job in jobs if any(job_fits(job, c) for c in couriers)}
    fitting_left = len(fitting & set(result.unassigned))
    late = late_drops(couriers, jobs, result, route_km, route_minutes)

    print(f"routes against the exact optimum ({args.instances} instances)…", file=sys.stderr)
    gaps, savings, solve_ms = [], [], []
    for index in range(args.instances):
        count = 3 + index % 6
        start = somewhere()
        batch = [JobToPlan(n + 1, somewhere(), somewhere()) for n in range(count)]
        begin = time.perf_counter()
        stops = plan_route(start, batch)
        solve_ms.append((time.perf_counter() - begin) * 1000)
        ours = route_km(start, stops)
        best = exact_route_km(start, batch)
        gaps.append(ours / best - 1)
        # One order at a time: ride to the pickup, deliver, ride to the next pickup.
        single, here = 0.0, start
        for job in batch:
            single += route_km(
                here,
                [
                    type(stops[0])("pickup", job.job_id, job.pickup),
                    type(stops[0])("drop", job.job_id, job.drop),
                ],
            )
            here = job.drop
        savings.append(1 - ours / single)

    board_ms = measure_board(args.board_jobs)
    print(
        json.dumps(
            {
                "assign_jobs": args.jobs,
                "assign_couriers": args.couriers,
                "assign_s": round(assign_s, 2),
                "assign_cpu_s": round(assign_cpu_s, 2),
                "assigned": assigned,
                "unassigned": len(result.unassigned),
                "fitting": len(fitting),
                "fitting_unassigned": fitting_left,
                "fitting_assigned_pct": round(
                    100 * (len(fitting) - fitting_left) / max(len(fitting), 1), 2
                ),
                "late_drops": late,
                "route_instances": args.instances,
                "route_gap_mean_pct": round(statistics.fmean(gaps) * 100, 3),
                "route_gap_worst_pct": round(max(gaps) * 100, 3),
                "route_saving_vs_one_at_a_time_pct": round(statistics.fmean(savings) * 100, 1),
                "route_solve_ms_p50": round(statistics.median(solve_ms), 1),
                "board_jobs": args.board_jobs,
                "board_ms_p50": board_ms[0],
                "board_ms_p95": board_ms[1],
            }
        )
    )


def late_drops(couriers, jobs, result, route_km, route_minutes):
    """Drop-offs the routes reach after their due time (riding without stopping)."""
    by_id = {job.job_id: job for job in jobs}
    late = 0
    for courier in couriers:
        stops = result.routes.get(courier.courier_id, [])
        for index, stop in enumerate(stops):
            due = by_id[stop.job_id].due_in_s
            if stop.kind == "drop" and due is not None:
                # A minute's grace: the solver rounds each leg to whole seconds.
                if route_minutes(route_km(courier.position, stops[: index + 1])) * 60 > due + 60:
                    late += 1
    return late


def measure_board(count):
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone
    from djmoney.money import Money
    from timing import percentile

    from logistics.models import Collective, Courier, DeliveryJob
    from orders.models import Purchase

    settings.ALLOWED_HOSTS = ["*"]
    stamp = secrets.token_hex(3)
    collective = Collective.objects.create(name=f"Bench riders {stamp}", slug=f"bench-{stamp}")
    user = get_user_model().objects.create_user(email=f"dispatch-{stamp}@example.org")
    Courier.objects.create(user=user, collective=collective, is_dispatcher=True)
    purchase = Purchase.objects.create(
        checkout_token=f"bench-{stamp}",
        name="Bench",
        email="bench@example.org",
        payment_method="on_collection",
        total=Money(0, "EUR"),
    )
    now = timezone.now()
    DeliveryJob.objects.bulk_create(
        DeliveryJob(
            collective=collective,
            purchase=purchase,
            drop_street=f"Bench Street {n}",
            drop_postcode="10117",
            drop_city="Lindenfeld",
            drop_latitude=52.51,
            drop_longitude=13.38,
            drop_after=now,
            drop_before=now + timedelta(hours=3),
            delivery_code="1234",
            fee=Money(4, "EUR"),
            courier_pay=Money(3, "EUR"),
        )
        for n in range(count)
    )
    client = Client()
    client.force_login(user)
    url = f"/couriers/board/{collective.slug}/"
    client.get(url)
    samples = []
    for _ in range(20):
        begin = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200
    return round(percentile(samples, 0.5), 1), round(percentile(samples, 0.95), 1)


if __name__ == "__main__":
    main()
