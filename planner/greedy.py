"""Greedy-by-size offset assignment over lifetimes: a fast fallback and CP-SAT's hint."""

import time

from .interference import interference_graph
from .plan import build_plan
from .selection import choose_greedily


def greedy_offsets(problem, names):
    """Lowest-fit offsets for ``names``, largest first (ties: more conflicts, then name).

    Each buffer takes the lowest address whose range is free of every
    already-placed buffer it interferes with.
    """
    graph = interference_graph(problem, set(names))
    sizes = problem.by_name()
    order = sorted(names, key=lambda n: (-sizes[n].size_elems, -graph.degree(n), n))
    offsets = {}
    for name in order:
        size = sizes[name].size_elems
        taken = sorted((offsets[o], offsets[o] + sizes[o].size_elems) for o in graph.neighbors(name) if o in offsets)
        candidate = 0
        for start, end in taken:
            if start - candidate >= size:
                break
            candidate = max(candidate, end)
        offsets[name] = candidate if size else 0
    return offsets


def plan_greedy(problem, **_):
    start = time.perf_counter()
    offsets = choose_greedily(problem, greedy_offsets)
    return build_plan(problem, offsets, {"planner": "greedy", "status": "FEASIBLE",
                                         "solve_seconds": time.perf_counter() - start})
