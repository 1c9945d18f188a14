"""Which shops to visit, and in which order, to get everything on a list with the least
travel: a pure function of positions and of what each shop has (no database, no clock).

Distances are straight lines between map positions (great-circle), which is what walking or
cycling across a small town roughly is; the pages say so. A trip starts at the customer's
position and, by default, comes back to it (a round trip: people carry their shopping home);
`round_trip=False` plans a one-way trip that ends at the last shop.

Small instances (up to EXACT_UP_TO candidate shops, the usual case in a town) are solved
exactly by a dynamic programme over sets of shops (Held–Karp), which stops growing a set as
soon as it covers the list: with straight-line distances an extra stop never shortens a
trip. Larger ones get a greedy construction (cheapest insertion per newly covered item,
several starts) improved by local search: dropping redundant stops, swapping a stop for
another shop, adding one and dropping what it makes redundant, and 2-opt/or-opt on the
order. Tests compare both against an exhaustive search."""

import itertools
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from marketplace.geo import Point, distance_km

EXACT_UP_TO = 12
# How many different first shops the heuristic tries before keeping the best trip.
HEURISTIC_STARTS = 12
INFINITY = float("inf")
# Local-search moves whose unordered result is more than this much longer are not reordered.
PROMISING = 1.1


@dataclass(frozen=True)
class Candidate:
    """A shop that could be visited: where it is and which items (line ids) it has."""

    key: Hashable
    point: Point
    items: frozenset


@dataclass(frozen=True)
class Trip:
    stops: tuple  # candidate keys in visiting order
    distance_km: float
    covered: frozenset  # items the trip gets
    missing: frozenset = field(default_factory=frozenset)  # items no candidate has
    exact: bool = True
    round_trip: bool = True
    # Straight-line length of each leg: start → first stop, …, (last stop → start).
    legs_km: tuple = ()


def plan_trip(
    *,
    start: Point,
    candidates: Iterable[Candidate],
    needed: Iterable | None = None,
    round_trip: bool = True,
    exact_up_to: int = EXACT_UP_TO,
) -> Trip:
    """The trip from `start` through some of `candidates` that gets every needed item (all
    items any candidate has, when `needed` is None) with the least straight-line distance.
    Items no candidate has are reported as missing, never fail the plan. Deterministic:
    the same input gives the same trip."""
    candidates = list(candidates)
    available = frozenset().union(*(c.items for c in candidates)) if candidates else frozenset()
    needed = available if needed is None else frozenset(needed)
    target = needed & available
    missing = needed - available
    # Only shops that have something still needed; a fixed order keeps results stable.
    useful = [c for c in candidates if c.items & target]
    useful.sort(key=lambda c: str(c.key))
    if not target:
        return Trip((), 0.0, frozenset(), missing, True, round_trip, ())
    bit = {item: 1 << n for n, item in enumerate(sorted(target, key=str))}
    masks = [sum(bit[i] for i in c.items & target) for c in useful]
    full = (1 << len(bit)) - 1
    points = [start, *(c.point for c in useful)]
    matrix = [[distance_km(a, b) for b in points] for a in points]
    if len(useful) <= exact_up_to:
        order, exact = _exact(matrix, masks, full, round_trip), True
    else:
        order, exact = _heuristic(matrix, masks, full, round_trip), False
    legs = _legs(matrix, order, round_trip)
    return Trip(
        stops=tuple(useful[i].key for i in order),
        distance_km=sum(legs),
        covered=target,
        missing=missing,
        exact=exact,
        round_trip=round_trip,
        legs_km=tuple(legs),
    )


def trip_length(*, start: Point, points: list[Point], round_trip: bool = True) -> float:
    """Length of visiting `points` in the given order from `start`."""
    stops = [start, *points, *([start] if round_trip and points else [])]
    return sum(distance_km(a, b) for a, b in itertools.pairwise(stops))


# Exact -----------------------------------------------------------------------------------


def _exact(matrix, masks, full, round_trip) -> list[int]:
    """Held–Karp over sets of shops. Indices into `masks` are shops; matrix row/column 0 is
    the start and shop i is row i + 1. Sets that already cover everything are not grown."""
    n = len(masks)
    size = 1 << n
    cover = [0] * size
    for subset in range(1, size):
        low = subset & -subset
        cover[subset] = cover[subset ^ low] | masks[low.bit_length() - 1]
    best_cost, best_end, best_set = INFINITY, -1, 0
    # cost[subset][j]: shortest path from the start through `subset`, ending at shop j.
    cost: dict[int, list[float]] = {}
    parent: dict[int, list[int]] = {}
    for j in range(n):
        row = [INFINITY] * n
        row[j] = matrix[0][j + 1]
        cost[1 << j] = row
        parent[1 << j] = [-1] * n
    for subset in range(1, size):
        row = cost.get(subset)
        if row is None:
            continue
        if cover[subset] == full:
            for j in range(n):
                if row[j] < INFINITY:
                    total = row[j] + (matrix[j + 1][0] if round_trip else 0.0)
                    if total < best_cost - 1e-12:
                        best_cost, best_end, best_set = total, j, subset
            continue
        for j in range(n):
            here = row[j]
            if here == INFINITY:
                continue
            from_j = matrix[j + 1]
            for k in range(n):
                if subset >> k & 1:
                    continue
                # A shop adding nothing new never shortens a trip.
                if masks[k] & ~cover[subset] == 0:
                    continue
                grown = subset | 1 << k
                value = here + from_j[k + 1]
                target_row = cost.get(grown)
                if target_row is None:
                    target_row = cost[grown] = [INFINITY] * n
                    parent[grown] = [-1] * n
                if value < target_row[k] - 1e-12:
                    target_row[k] = value
                    parent[grown][k] = j
    order = []
    subset, j = best_set, best_end
    while j != -1:
        order.append(j)
        j, subset = parent[subset][j], subset ^ (1 << j)
    return order[::-1]


# Heuristic -------------------------------------------------------------------------------


def _heuristic(matrix, masks, full, round_trip) -> list[int]:
    n = len(masks)
    # The shops that alone have some item must be on every trip.
    mandatory = []
    for item_bit in _bits(full):
        holders = [i for i in range(n) if masks[i] & item_bit]
        if len(holders) == 1 and holders[0] not in mandatory:
            mandatory.append(holders[0])
    starts: list[list[int]] = [[]]
    by_reach = sorted(range(n), key=lambda i: (-bin(masks[i]).count("1"), matrix[0][i + 1]))
    nearest = sorted(range(n), key=lambda i: matrix[0][i + 1])
    for i in [*by_reach[: HEURISTIC_STARTS // 2], *nearest[: HEURISTIC_STARTS // 2]]:
        if [i] not in starts:
            starts.append([i])
    best, best_cost = None, INFINITY
    for seed in starts:
        tour = _construct(
            matrix, masks, full, round_trip, [*mandatory, *[s for s in seed if s not in mandatory]]
        )
        tour = _improve(matrix, masks, full, round_trip, tour)
        cost = _cost(matrix, tour, round_trip)
        if cost < best_cost - 1e-12:
            best, best_cost = tour, cost
    return best


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low
        mask ^= low


def _cost(matrix, tour, round_trip) -> float:
    if not tour:
        return 0.0
    total = matrix[0][tour[0] + 1]
    for a, b in itertools.pairwise(tour):
        total += matrix[a + 1][b + 1]
    if round_trip:
        total += matrix[tour[-1] + 1][0]
    return total


def _legs(matrix, tour, round_trip) -> list[float]:
    nodes = [0, *(i + 1 for i in tour), *([0] if round_trip and tour else [])]
    return [matrix[a][b] for a, b in itertools.pairwise(nodes)]


def _insertion(matrix, tour, k, round_trip) -> tuple[float, int]:
    """Cheapest extra length of putting shop k into the tour, and where."""
    nodes = [0, *(i + 1 for i in tour)]
    best, where = INFINITY, 0
    for position in range(len(nodes)):
        a = nodes[position]
        if position + 1 < len(nodes):
            b = nodes[position + 1]
            delta = matrix[a][k + 1] + matrix[k + 1][b] - matrix[a][b]
        elif round_trip:
            delta = matrix[a][k + 1] + matrix[k + 1][0] - matrix[a][0]
        else:
            delta = matrix[a][k + 1]
        if delta < best - 1e-12:
            best, where = delta, position
    return best, where


def _covered(masks, tour) -> int:
    mask = 0
    for i in tour:
        mask |= masks[i]
    return mask


def _construct(matrix, masks, full, round_trip, seed) -> list[int]:
    tour: list[int] = []
    for k in seed:
        _, where = _insertion(matrix, tour, k, round_trip)
        tour.insert(where, k)
    covered = _covered(masks, tour)
    while covered != full:
        choice, choice_ratio, choice_where = -1, INFINITY, 0
        for k in range(len(masks)):
            gain = bin(masks[k] & ~covered).count("1")
            if not gain or k in tour:
                continue
            delta, where = _insertion(matrix, tour, k, round_trip)
            ratio = delta / gain
            if ratio < choice_ratio - 1e-12:
                choice, choice_ratio, choice_where = k, ratio, where
        tour.insert(choice_where, choice)
        covered |= masks[choice]
    return tour


def _without_each(masks, tour) -> list[int]:
    """For each position, what the tour covers without that stop (prefix and suffix ORs)."""
    n = len(tour)
    prefix, suffix = [0] * (n + 1), [0] * (n + 1)
    for i in range(n):
        prefix[i + 1] = prefix[i] | masks[tour[i]]
        suffix[n - 1 - i] = suffix[n - i] | masks[tour[n - 1 - i]]
    return [prefix[i] | suffix[i + 1] for i in range(n)]


def _removal_saving(matrix, tour, position, round_trip) -> float:
    nodes = [0, *(i + 1 for i in tour)]
    here = nodes[position + 1]
    before = nodes[position]
    if position + 1 < len(tour):
        after = nodes[position + 2]
        return matrix[before][here] + matrix[here][after] - matrix[before][after]
    if round_trip:
        return matrix[before][here] + matrix[here][0] - matrix[before][0]
    return matrix[before][here]


def _drop_redundant(matrix, masks, full, round_trip, tour) -> list[int]:
    """Drop stops the others make redundant, the one saving most first."""
    tour = list(tour)
    while True:
        others = _without_each(masks, tour)
        best, best_saving = -1, -1e-12
        for position in range(len(tour)):
            if others[position] != full:
                continue
            saving = _removal_saving(matrix, tour, position, round_trip)
            if saving > best_saving:
                best, best_saving = position, saving
        if best < 0:
            return tour
        del tour[best]


def _two_opt(matrix, round_trip, tour) -> list[int]:
    """2-opt and or-opt (moving one stop) until neither shortens the trip; moves are
    judged by the change in length of the edges they touch."""
    tour = list(tour)
    improved = True
    while improved:
        improved = False
        nodes = [0, *(i + 1 for i in tour)]
        if round_trip:
            nodes.append(0)
        last = len(nodes) - 1
        # Reverse nodes[i..j] (1 <= i < j <= number of stops).
        for i in range(1, len(tour)):
            a, b = nodes[i - 1], nodes[i]
            for j in range(i + 1, len(tour) + 1):
                c = nodes[j]
                after = nodes[j + 1] if j < last else None
                delta = matrix[a][c] - matrix[a][b]
                if after is not None:
                    delta += matrix[b][after] - matrix[c][after]
                if delta < -1e-9:
                    nodes[i : j + 1] = nodes[i : j + 1][::-1]
                    improved = True
                    break
            if improved:
                break
        if not improved:
            # Move one stop elsewhere.
            stops = len(tour)
            for i in range(1, stops + 1):
                prev, here = nodes[i - 1], nodes[i]
                after = nodes[i + 1] if i < last else None
                removed = matrix[prev][here] - (
                    0.0 if after is None else matrix[prev][after] - matrix[here][after]
                )
                rest = nodes[:i] + nodes[i + 1 :]
                for j in range(1, len(rest) + (0 if round_trip else 1)):
                    if j == i:
                        continue
                    left = rest[j - 1]
                    right = rest[j] if j < len(rest) else None
                    added = matrix[left][here] + (
                        0.0 if right is None else matrix[here][right] - matrix[left][right]
                    )
                    if added - removed < -1e-9:
                        nodes = rest[:j] + [here] + rest[j:]
                        improved = True
                        break
                if improved:
                    break
        tour = [n - 1 for n in nodes[1 : 1 + len(tour)]]
    return tour


def _improve(matrix, masks, full, round_trip, tour) -> list[int]:
    tour = _two_opt(matrix, round_trip, _drop_redundant(matrix, masks, full, round_trip, tour))
    cost = _cost(matrix, tour, round_trip)
    n = len(masks)
    improved = True
    while improved:
        improved = False
        for k in range(n):
            if k in tour:
                continue
            # Add k, then drop whatever it makes redundant (may replace one or more stops).
            _, where = _insertion(matrix, tour, k, round_trip)
            grown = tour[:where] + [k] + tour[where:]
            trial = _drop_redundant(matrix, masks, full, round_trip, grown)
            # Reordering rarely gains more than a fifth: skip hopeless trials unoptimised.
            if k in trial and _cost(matrix, trial, round_trip) < cost * PROMISING:
                trial = _two_opt(matrix, round_trip, trial)
                value = _cost(matrix, trial, round_trip)
                if value < cost - 1e-9:
                    tour, cost, improved = trial, value, True
                    continue
            # Swap: k instead of one stop, when the list stays covered.
            others = _without_each(masks, tour)
            for position in range(len(tour)):
                if others[position] | masks[k] != full:
                    continue
                rest = tour[:position] + tour[position + 1 :]
                _, where = _insertion(matrix, rest, k, round_trip)
                trial = rest[:where] + [k] + rest[where:]
                if _cost(matrix, trial, round_trip) >= cost * PROMISING:
                    continue
                trial = _two_opt(matrix, round_trip, trial)
                value = _cost(matrix, trial, round_trip)
                if value < cost - 1e-9:
                    tour, cost, improved = trial, value, True
                    break
    return tour
