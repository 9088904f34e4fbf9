"""Greedy-by-size offset assignment over lifetimes: a fast fallback and CP-SAT's hint."""

import time

from .interference import Interference, alive_together
from .plan import build_plan
from .selection import choose_greedily


def greedy_offsets(problem, names, graph=None, limit=None):
    """Lowest-fit offsets for ``names``, largest first (ties: more conflicts, then name).

    Each buffer takes the lowest address whose range is free of every
    already-placed buffer it interferes with. ``graph`` is an interference graph
    over exactly ``names`` (an Interference, or the SubGraph that
    ``choose_greedily`` grows) when the caller has one; without one, buffers all
    alive at one program point are stacked (:func:`stack`) and no graph is built.
    With ``limit``, the layout stops and returns None as soon as a buffer's end passes it.
    """
    if graph is None and alive_together(problem, names):
        return stack(problem, names, limit)
    graph = graph if graph is not None else Interference(problem, names)
    sizes = problem.by_name()
    size = [sizes[n].size_elems for n in graph.names]
    order = sorted(range(len(size)), key=lambda i: (-size[i], -len(graph.neighbors[i]), graph.names[i]))
    start, end = [None] * len(size), [0] * len(size)
    for i in order:
        need = size[i]
        if not need:
            start[i] = 0
            continue
        placed = [j for j in graph.neighbors[i] if start[j] is not None]
        placed.sort(key=start.__getitem__)
        candidate = 0
        for j in placed:  # the lowest gap of ``need`` below the placed neighbours, or above them all
            if start[j] - candidate >= need:
                break
            if end[j] > candidate:
                candidate = end[j]
        if limit is not None and candidate + need > limit:
            return None  # greedy's peak only grows: this layout passes the limit
        start[i], end[i] = candidate, candidate + need
    return dict(zip(graph.names, start))


def stack(problem, names, limit=None):
    """:func:`greedy_offsets` of buffers all alive at one program point, without their n^2 interference pairs.

    Every buffer interferes with every other, so all degrees tie and the order is size, then name; the
    placed buffers fill [0, end) without a gap, so each goes on top (size 0: at 0). None once past ``limit``.
    """
    sizes = problem.by_name()
    offsets, end = {}, 0
    for n in sorted(names, key=lambda n: (-sizes[n].size_elems, n)):
        offsets[n] = end if sizes[n].size_elems else 0
        end += sizes[n].size_elems
        if limit is not None and end > limit:
            return None
    return {n: offsets[n] for n in names}


def plan_greedy(problem, **_):
    start = time.perf_counter()
    offsets = choose_greedily(problem, greedy_offsets)
    return build_plan(problem, offsets, {"planner": "greedy", "status": "FEASIBLE", "setup_seconds": 0.0,
                                         "solve_seconds": time.perf_counter() - start}, start=start)
