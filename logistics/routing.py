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


def _seconds(lat_a, lon_a, lat_b, lon_b) -> np.ndarray:
    """Riding seconds between points given in radians (arrays broadcast), rounded as the
    solver sees them: at bike speed, with the detour factor."""
    h = (
        np.sin((lat_b - lat_a) / 2) ** 2
        + np.cos(lat_a) * np.cos(lat_b) * np.sin((lon_b - lon_a) / 2) ** 2
    )
    metres = 2 * 6_371_008.8 * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return np.rint(metres * settings.ROUTE_DETOUR_FACTOR / (settings.BIKE_SPEED_KMH / 3.6))


def _matrix(points: list[Point]) -> np.ndarray:
    lat = np.radians([p.latitude for p in points])
    lon = np.radians([p.longitude for p in points])
    return _seconds(lat[:, None], lon[:, None], lat[None, :], lon[None, :]).astype(np.uint32)


def _tenths(value: float, *, up: bool) -> int:
    # Loads rounded up and capacities down (tenths), so rounding never overloads a bike.
    return math.ceil(value * 10) if up else math.floor(value * 10)


def job_fits(job: JobToPlan, courier: CourierToPlan) -> bool:
    """Whether the courier could take this job on its own: a free place on their list and
    room on the bike for its weight and its volume."""
    return (
        courier.max_jobs > 0
        and _tenths(job.weight_kg, up=True) <= _tenths(courier.capacity_kg, up=False)
        and _tenths(job.volume_litres, up=True) <= _tenths(courier.capacity_litres, up=False)
    )


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
                    _tenths(courier.capacity_kg, up=False),
                    _tenths(courier.capacity_litres, up=False),
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
            amount=vroom.Amount(
                [_tenths(job.weight_kg, up=True), _tenths(job.volume_litres, up=True)]
            ),
        )
    return problem.solve(exploration_level=exploration, nb_threads=1)


# Above this many jobs the town is split into areas solved one by one: each area's problem
# stays small enough for a thorough search, and the whole stays fast.
AREA_JOBS = 60


def assign_jobs(couriers: list[CourierToPlan], jobs: list[JobToPlan]) -> Assignment:
    """Give jobs to couriers so that the total riding time is short, no courier carries more
    than their vehicle or more jobs than their `max_jobs`, pickups come before their
    drop-offs and due times are kept where possible. Every job that some courier could take
    on its own (`job_fits`) is assigned while such a courier has a free place; only jobs
    that fit nowhere, or find every courier they fit full, stay unassigned."""
    if len(jobs) > AREA_JOBS and len(couriers) > 1:
        result = Assignment()
        for area_couriers, area_jobs in _areas(couriers, jobs):
            part = _assign_area(area_couriers, area_jobs)
            result.routes.update(part.routes)
            result.unassigned.extend(part.unassigned)
    else:
        result = _assign_area(couriers, jobs)
    if result.unassigned and couriers:
        # The solver keeps due times strictly and an area only has its own couriers: what
        # it leaves goes to whichever courier anywhere adds the least riding.
        _insert_leftovers(result, couriers, jobs)
    return result


def _areas(couriers, jobs):
    """Couriers grouped by where they are (a few rounds of k-means); each job goes to the
    nearest group that still has a free place on its couriers' lists, so no area is given
    more jobs than its couriers can take. Jobs beyond every free place are not given to an
    area at all (they stay unassigned unless a courier ends up with room)."""
    k = min(len(couriers), math.ceil(len(jobs) / AREA_JOBS))
    # Degrees of longitude are shorter than degrees of latitude away from the equator.
    squash = math.cos(math.radians(couriers[0].position.latitude))
    where = np.array([[c.position.latitude, c.position.longitude * squash] for c in couriers])
    centres = where[np.linspace(0, len(couriers) - 1, k).astype(int)]
    for _round in range(8):
        nearest = ((where[:, None, :] - centres[None, :, :]) ** 2).sum(-1).argmin(1)
        for index in range(k):
            members = where[nearest == index]
            if len(members):
                centres[index] = members.mean(0)
    nearest = ((where[:, None, :] - centres[None, :, :]) ** 2).sum(-1).argmin(1)
    room = np.zeros(k, dtype=int)
    np.add.at(room, nearest, [c.max_jobs for c in couriers])
    pickups = np.array([[j.pickup.latitude, j.pickup.longitude * squash] for j in jobs])
    far = ((pickups[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    # Closest (job, area) pairs first: a job goes to its nearest area unless that area is
    # full, then to the next nearest with room.
    job_area = np.full(len(jobs), -1)
    left = min(len(jobs), int(room.sum()))
    for flat in np.argsort(far, axis=None, kind="stable"):
        if not left:
            break
        job, area = divmod(int(flat), k)
        if job_area[job] < 0 and room[area] > 0:
            job_area[job] = area
            room[area] -= 1
            left -= 1
    for index in range(k):
        area_couriers = [c for c, n in zip(couriers, nearest, strict=True) if n == index]
        area_jobs = [j for j, n in zip(jobs, job_area, strict=True) if n == index]
        if area_jobs:
            yield area_couriers, area_jobs
    unplaced = [j for j, n in zip(jobs, job_area, strict=True) if n < 0]
    if unplaced:
        yield [], unplaced


def _insert_leftovers(result: Assignment, couriers: list[CourierToPlan], jobs: list[JobToPlan]):
    """Cheapest insertion of each unassigned job into any courier's route with a free place
    and room on the bike all the way from its pickup to its drop-off, preferring places
    that keep every due time and otherwise taking the cheapest one (a late delivery is
    better than none). The jobs fewest couriers can carry go first. Mutates `result`."""
    by_id = {job.job_id: job for job in jobs}
    waiting = [by_id[job_id] for job_id in result.unassigned]
    routes = _RouteTable(couriers, result.routes, by_id)
    fits = {job.job_id: sum(job_fits(job, c) for c in couriers) for job in waiting}
    waiting.sort(key=lambda job: (fits[job.job_id], job.due_in_s is None, job.due_in_s or 0))
    unassigned = []
    for job in waiting:
        if not fits[job.job_id] or not routes.insert(job):
            unassigned.append(job.job_id)
    for courier_id, stops in routes.stops.items():
        if stops:
            result.routes[courier_id] = stops
    result.unassigned = unassigned


class _RouteTable:
    """Every courier's route as padded numpy rows (position, load and arrival time after
    each stop), so one job's every insertion place on every route is priced at once."""

    def __init__(self, couriers, routes, jobs_by_id):
        self.couriers = couriers
        self.jobs = jobs_by_id
        self.stops = {c.courier_id: list(routes.get(c.courier_id, [])) for c in couriers}
        self.cap = np.array(
            [
                [_tenths(c.capacity_kg, up=False), _tenths(c.capacity_litres, up=False)]
                for c in couriers
            ],
            dtype=float,
        )
        self.max_jobs = np.array([c.max_jobs for c in couriers])
        self._build(2 + max(len(s) for s in self.stops.values()))

    def _build(self, width):
        count = len(self.couriers)
        self.width = width
        self.lat = np.zeros((count, width))
        self.lon = np.zeros((count, width))
        self.load = np.zeros((count, width, 2))
        self.arrival = np.zeros((count, width))
        self.slack = np.full((count, width), np.inf)
        self.leg = np.zeros((count, width))
        self.length = np.zeros(count, dtype=int)
        self.taken = np.zeros(count, dtype=int)
        for row in range(count):
            self._fill(row)

    def _fill(self, row):
        """Recompute one courier's row from their list of stops."""
        courier = self.couriers[row]
        stops = self.stops[courier.courier_id]
        n = len(stops)
        if n + 2 > self.width:
            self._build(n + 8)
            return
        points = [courier.position, *(s.point for s in stops)]
        lat = np.radians([p.latitude for p in points])
        lon = np.radians([p.longitude for p in points])
        self.lat[row, :] = lat[-1]
        self.lon[row, :] = lon[-1]
        self.lat[row, : n + 1] = lat
        self.lon[row, : n + 1] = lon
        legs = _seconds(lat[:-1], lon[:-1], lat[1:], lon[1:])
        self.leg[row] = 0
        self.leg[row, :n] = legs
        self.arrival[row] = 0
        self.arrival[row, 1 : n + 1] = np.cumsum(legs)
        change = np.zeros((self.width, 2))
        self.slack[row] = np.inf
        for index, stop in enumerate(stops, start=1):
            job = self.jobs[stop.job_id]
            sign = 1 if stop.kind == "pickup" else -1
            change[index] = [
                sign * _tenths(job.weight_kg, up=True),
                sign * _tenths(job.volume_litres, up=True),
            ]
            if stop.kind == "drop" and job.due_in_s is not None:
                self.slack[row, index] = job.due_in_s - self.arrival[row, index]
        self.load[row] = np.cumsum(change, axis=0)
        self.length[row] = n
        self.taken[row] = sum(1 for s in stops if s.kind == "pickup")

    def insert(self, job: JobToPlan) -> bool:
        """Put the job's pickup after stop i and its drop-off after stop j (i <= j) of the
        courier where that adds the least riding; False if no courier can take it."""
        load = np.array(
            [_tenths(job.weight_kg, up=True), _tenths(job.volume_litres, up=True)], dtype=float
        )
        # Only couriers with a free place and a bike big enough are priced.
        rows = np.flatnonzero((self.taken < self.max_jobs) & (load <= self.cap).all(-1))
        if not len(rows):
            return False
        length, leg, cap = self.length[rows], self.leg[rows], self.cap[rows]
        arrival, slack = self.arrival[rows], self.slack[rows]
        lat, lon = self.lat[rows], self.lon[rows]
        p_lat, p_lon = math.radians(job.pickup.latitude), math.radians(job.pickup.longitude)
        d_lat, d_lon = math.radians(job.drop.latitude), math.radians(job.drop.longitude)
        to_pickup = _seconds(lat, lon, p_lat, p_lon)
        to_drop = _seconds(lat, lon, d_lat, d_lon)
        pickup_to_drop = float(_seconds(p_lat, p_lon, d_lat, d_lon))
        position = np.arange(self.width)
        has_next = position[None, :] < length[:, None]
        from_pickup = np.where(has_next, np.roll(to_pickup, -1, axis=1), 0)
        from_drop = np.where(has_next, np.roll(to_drop, -1, axis=1), 0)
        # The riding added by a pickup alone after stop i, a drop-off alone after stop j,
        # and both together right after stop i.
        add_pickup = to_pickup + from_pickup - leg
        add_drop = to_drop + from_drop - leg
        add_both = to_pickup + pickup_to_drop + from_drop - leg
        i = position[None, :, None]
        j = position[None, None, :]
        same = i == j
        cost = np.where(same, add_both[:, :, None], add_pickup[:, :, None] + add_drop[:, None, :])

        between = (j >= i) & (j <= length[:, None, None])
        # The heaviest the bike is from stop i to stop j, for each pair (i, j).
        heaviest = np.maximum.accumulate(
            np.where(between[..., None], self.load[rows][:, None, :, :], -np.inf), axis=2
        )
        ok = between & (heaviest + load <= cap[:, None, None, :]).all(-1)
        if not ok.any():
            return False

        # Due times: how many drop-offs end up late, counting the new one and those on time
        # now that it delays (stops after j by the whole cost, between i and j by the
        # pickup's detour). Fewest late first, then least riding.
        arrival_drop = np.where(
            same,
            (arrival + to_pickup + pickup_to_drop)[:, :, None],
            (arrival + to_drop)[:, None, :] + add_pickup[:, :, None],
        )
        late = (arrival_drop > (np.inf if job.due_in_s is None else job.due_in_s)).astype(int)
        k = position[None, None, None, :]
        slack_k = slack[:, None, None, :]
        delay = np.where(k > j[..., None], cost[..., None], add_pickup[:, :, None, None])
        late += ((k > i[..., None]) & (slack_k >= 0) & (slack_k < delay)).sum(-1)
        choice = np.where(ok, late * 1e9 + cost, np.inf)
        best, first, second = np.unravel_index(int(choice.argmin()), choice.shape)

        row = int(rows[best])
        courier = self.couriers[row]
        stops = self.stops[courier.courier_id]
        self.stops[courier.courier_id] = [
            *stops[:first],
            Stop("pickup", job.job_id, job.pickup),
            *stops[first:second],
            Stop("drop", job.job_id, job.drop),
            *stops[second:],
        ]
        self._fill(row)
        return True


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
