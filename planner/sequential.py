"""The starting design's layout: every shared buffer its own address, in declaration order.

Each level of the component tree takes a prefix of the shared region and
hands the rest to its children; buffers that are never alive together still
get separate addresses (only declared views share data). This is the
baseline the other planners are measured against.
"""

import time

from .plan import build_plan
from .selection import choose_greedily


def sequential_offsets(problem, names, graph=None, limit=None):
    """Offsets in declaration order, each buffer after the last (``graph`` and ``limit`` are not needed)."""
    wanted = set(names)
    offsets, end = {}, 0
    for b in problem.planned:
        if b.name in wanted:
            offsets[b.name] = end
            end += b.size_elems
    return offsets


def plan_sequential(problem, **_):
    start = time.perf_counter()
    offsets = choose_greedily(problem, sequential_offsets)
    return build_plan(problem, offsets, {"planner": "sequential", "status": "FEASIBLE", "setup_seconds": 0.0,
                                         "solve_seconds": time.perf_counter() - start}, start=start)
