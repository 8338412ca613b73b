"""Visit route ordering over OR-Tools: the order in which a field collector
visits the day's stops from their start point, shortest by haversine
distance, within each stop's time window (minutes of the day, from the
contact rules). No database access."""

import math
from dataclasses import dataclass
from dataclasses import field

from ortools.constraint_solver import pywrapcp
from ortools.constraint_solver import routing_enums_pb2

EARTH_RADIUS_M = 6_371_000.0
# a stop that cannot be reached in its window is left out of the route at this cost (metres)
DROP_PENALTY_M = 10_000_000


def haversine_m(a, b):
    """The great-circle distance in metres between two (latitude,
    longitude) points."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def distance_matrix(points):
    """Whole metres between every two points."""
    return [[round(haversine_m(a, b)) for b in points] for a in points]


def path_length(matrix, order):
    """Metres of the open path start (index 0) → the stops in ``order``
    (indexes of the stops, 0-based, i.e. matrix index − 1)."""
    total, previous = 0, 0
    for stop in order:
        total += matrix[previous][stop + 1]
        previous = stop + 1
    return total


@dataclass
class Route:
    """The stops in visiting order (their indexes in the input), the
    planned arrival at each (minutes of the day), the metres driven, and
    the stops left out (their window cannot be met)."""

    order: list
    arrivals: list
    distance_m: int
    dropped: list = field(default_factory=list)


def plan_route(
    start,
    stops,
    windows=None,
    service_minutes=15,
    speed_kmh=25.0,
    day_start=8 * 60,
    day_end=20 * 60,
    time_limit_s=1.0,
):
    """The shortest open route from ``start`` through ``stops`` ((latitude,
    longitude) each), leaving at ``day_start`` (minutes), spending
    ``service_minutes`` at each stop, driving at ``speed_kmh``; each stop's
    arrival within its window ``(earliest, latest)`` minutes when
    ``windows`` gives one (None: any time of the day). Stops whose window
    cannot be met are dropped. Guided local search for ``time_limit_s``."""
    if not stops:
        return Route([], [], 0)
    points = [start, *stops]
    matrix = distance_matrix(points)
    count = len(points)
    # node ``count`` is where the route ends: reached from anywhere at no cost (an open route)
    manager = pywrapcp.RoutingIndexManager(count + 1, 1, [0], [count])
    routing = pywrapcp.RoutingModel(manager)
    metres_per_minute = speed_kmh * 1000.0 / 60.0

    def distance(from_index, to_index):
        a, b = manager.IndexToNode(from_index), manager.IndexToNode(to_index)
        if b == count or a == count:
            return 0
        return matrix[a][b]

    def minutes(from_index, to_index):
        a, b = manager.IndexToNode(from_index), manager.IndexToNode(to_index)
        service = service_minutes if a not in (0, count) else 0
        if b == count or a == count:
            return service
        return service + math.ceil(matrix[a][b] / metres_per_minute)

    distance_cb = routing.RegisterTransitCallback(distance)
    routing.SetArcCostEvaluatorOfAllVehicles(distance_cb)
    time_cb = routing.RegisterTransitCallback(minutes)
    routing.AddDimension(time_cb, 24 * 60, 24 * 60, False, "time")
    time = routing.GetDimensionOrDie("time")
    time.CumulVar(routing.Start(0)).SetRange(day_start, day_start)
    time.CumulVar(routing.End(0)).SetRange(day_start, max(day_end, day_start))
    for position in range(len(stops)):
        index = manager.NodeToIndex(position + 1)
        earliest, latest = windows[position] if windows and windows[position] else (day_start, day_end)
        time.CumulVar(index).SetRange(max(earliest, day_start), max(min(latest, day_end), day_start))
        routing.AddDisjunction([index], DROP_PENALTY_M)
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    parameters.time_limit.FromMilliseconds(max(int(time_limit_s * 1000), 10))
    solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return Route([], [], 0, dropped=list(range(len(stops))))
    order, arrivals = [], []
    index = solution.Value(routing.NextVar(routing.Start(0)))
    while not routing.IsEnd(index):
        node = manager.IndexToNode(index)
        order.append(node - 1)
        arrivals.append(solution.Value(time.CumulVar(index)))
        index = solution.Value(routing.NextVar(index))
    dropped = sorted(set(range(len(stops))) - set(order))
    return Route(order, arrivals, path_length(matrix, order), dropped)
