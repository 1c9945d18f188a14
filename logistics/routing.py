"""Routes and assignment, behind two functions of ours: `plan_route` orders one courier's
stops, `assign_jobs` gives open jobs to couriers. Both use VROOM (pyvroom), a real
vehicle-routing solver for pickup-and-delivery with capacities and time windows; the tests
hold them against an exact dynamic programme on small instances."""

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import vroom
from django.conf import settings

from marketplace.geo import Point, distance_km


@dataclass(frozen=True)
class Stop:
    kind: str  # "pickup" or "drop"
    job_id: int
    point: Point


@dataclass
class JobToPlan:
    job_id: int
    pickup: Point
    drop: Point
    weight_kg: float = 0.0
    volume_litres: float = 0.0
    # Seconds from now by which the drop-off should happen (None: no limit).
    due_in_s: int | None = None


@dataclass
class CourierToPlan:
    courier_id: int
    position: Point
    capacity_kg: float
    capacity_litres: float
    max_jobs: int = 6


@dataclass
class Assignment:
    routes: dict[int, list[Stop]] = field(default_factory=dict)
    unassigned: list[int] = field(default_factory=list)


def ride_km(a: Point, b: Point) -> float:
    """Straight line times the town's detour factor: what a bike actually rides."""
    return distance_km(a, b) * settings.ROUTE_DETOUR_FACTOR


def route_km(start: Point, stops: list[Stop]) -> float:
    points = [start, *(s.point for s in stops)]
    return sum(ride_km(a, b) for a, b in itertools.pairwise(points))


def route_minutes(km: float) -> float:
    return km / settings.BIKE_SPEED_KMH * 60


def _matrix(points: list[Point]) -> np.ndarray:
    lat = np.radians([p.latitude for p in points])
    lon = np.radians([p.longitude for p in points])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    metres = 2 * 6_371_008.8 * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    # Travel time in seconds at bike speed, with the detour factor.
    seconds = metres * settings.ROUTE_DETOUR_FACTOR / (settings.BIKE_SPEED_KMH / 3.6)
    return np.rint(seconds).astype(np.uint32)


def _solve(couriers: list[CourierToPlan], jobs: list[JobToPlan], exploration: int):
    points = [c.position for c in couriers]
    for job in jobs:
        points.extend([job.pickup, job.drop])
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=_matrix(points))
    for index, courier in enumerate(couriers):
        problem.add_vehicle(
            vroom.Vehicle(
                id=index + 1,
                start=index,
                capacity=[
                    math.floor(courier.capacity_kg * 10),
                    math.floor(courier.capacity_litres * 10),
                ],
                max_tasks=2 * courier.max_jobs,
            )
        )
    base = len(couriers)
    for index, job in enumerate(jobs):
        windows = ()
        if job.due_in_s is not None:
            windows = (vroom.TimeWindow(0, max(job.due_in_s, 0)),)
        problem.add_shipment(
            vroom.ShipmentStep(id=index + 1, location=base + 2 * index),
            vroom.ShipmentStep(id=index + 1, location=base + 2 * index + 1, time_windows=windows),
            # Loads rounded up and capacities down (tenths), so rounding never overloads a bike.
            amount=vroom.Amount([math.ceil(job.weight_kg * 10), math.ceil(job.volume_litres * 10)]),
        )
    return problem.solve(exploration_level=exploration, nb_threads=1)


# Above this many jobs the town is split into areas solved one by one: each area's problem
# stays small enough for a thorough search, and the whole stays fast.
AREA_JOBS = 60


def assign_jobs(couriers: list[CourierToPlan], jobs: list[JobToPlan]) -> Assignment:
    """Give jobs to couriers so that the total riding time is short, no courier carries more
    than their vehicle, pickups come before their drop-offs and due times are kept where
    possible. Jobs that fit nowhere stay unassigned."""
    if len(jobs) > AREA_JOBS and len(couriers) > 1:
        result = Assignment()
        for area_couriers, area_jobs in _areas(couriers, jobs):
            part = _assign_area(area_couriers, area_jobs)
            result.routes.update(part.routes)
            result.unassigned.extend(part.unassigned)
        return result
    return _assign_area(couriers, jobs)


def _areas(couriers, jobs):
    """Couriers grouped by where they are (a few rounds of k-means), each job going to the
    group nearest its pickup."""
    k = min(len(couriers), math.ceil(len(jobs) / AREA_JOBS))
    where = np.array([[c.position.latitude, c.position.longitude] for c in couriers])
    centres = where[np.linspace(0, len(couriers) - 1, k).astype(int)]
    for _round in range(8):
        nearest = ((where[:, None, :] - centres[None, :, :]) ** 2).sum(-1).argmin(1)
        for index in range(k):
            members = where[nearest == index]
            if len(members):
                centres[index] = members.mean(0)
    nearest = ((where[:, None, :] - centres[None, :, :]) ** 2).sum(-1).argmin(1)
    pickups = np.array([[j.pickup.latitude, j.pickup.longitude] for j in jobs])
    job_area = ((pickups[:, None, :] - centres[None, :, :]) ** 2).sum(-1).argmin(1)
    for index in range(k):
        area_couriers = [c for c, n in zip(couriers, nearest, strict=True) if n == index]
        area_jobs = [j for j, n in zip(jobs, job_area, strict=True) if n == index]
        if area_jobs:
            yield area_couriers, area_jobs


def _assign_area(couriers: list[CourierToPlan], jobs: list[JobToPlan]) -> Assignment:
    result = Assignment()
    if not couriers or not jobs:
        result.unassigned = [job.job_id for job in jobs]
        return result
    # A thorough search for one courier's list, lighter ones for a busy area.
    exploration = 2 if len(jobs) <= 16 else 1 if len(jobs) <= AREA_JOBS else 0
    solution = _solve(couriers, jobs, exploration=exploration)
    routes = solution.routes
    assigned = set()
    for row in routes.itertuples():
        if row.type not in ("pickup", "delivery"):
            continue
        job = jobs[int(row.id) - 1]
        courier = couriers[int(row.vehicle_id) - 1]
        stop = Stop(
            "pickup" if row.type == "pickup" else "drop",
            job.job_id,
            job.pickup if row.type == "pickup" else job.drop,
        )
        result.routes.setdefault(courier.courier_id, []).append(stop)
        assigned.add(job.job_id)
    result.unassigned = [job.job_id for job in jobs if job.job_id not in assigned]
    return result


def plan_route(start: Point, jobs: list[JobToPlan]) -> list[Stop]:
    """The order in which one courier rides their jobs' stops: every pickup before its
    drop-off, as short as the solver finds (ignoring capacity: the jobs are already theirs)."""
    if not jobs:
        return []
    courier = CourierToPlan(0, start, capacity_kg=1e6, capacity_litres=1e6, max_jobs=len(jobs))
    relaxed = [JobToPlan(j.job_id, j.pickup, j.drop, 0, 0, None) for j in jobs]
    assignment = assign_jobs([courier], relaxed)
    return assignment.routes.get(0, [])


def exact_route_km(start: Point, jobs: list[JobToPlan]) -> float:
    """The shortest ride over all stop orders with pickups first, by dynamic programming over
    the states each job can be in (waiting, on the bike, delivered): 3^n states. For tests
    and benchmarks of up to about 8 jobs."""
    n = len(jobs)
    points = [start] + [p for job in jobs for p in (job.pickup, job.drop)]
    km = [[ride_km(a, b) for b in points] for a in points]
    # state: tuple of per-job phase (0 waiting, 1 carried, 2 delivered), last point index
    best = {((0,) * n, 0): 0.0}
    frontier = [((0,) * n, 0)]
    for _step in range(2 * n):
        following = {}
        for state, last in frontier:
            cost = best[(state, last)]
            for j, phase in enumerate(state):
                if phase == 2:
                    continue
                target = 1 + 2 * j + phase
                new_state = state[:j] + (phase + 1,) + state[j + 1 :]
                key = (new_state, target)
                value = cost + km[last][target]
                if value < following.get(key, math.inf):
                    following[key] = value
        best.update(following)
        frontier = list(following)
    done = (2,) * n
    return min(v for (state, _last), v in best.items() if state == done)
