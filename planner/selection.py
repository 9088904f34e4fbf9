"""Which buffers go to shared memory, for the planners that choose greedily.

Pinned-shared buffers always go; ``auto`` buffers are tried heaviest first
(weight per element, then size, then name) and kept when the planner's own
layout of the set still fits the per-thread capacity.
"""

import time

from .buffers import Location
from .device import LOCAL_BYTES_PER_THREAD_LIMIT
from .errors import InfeasibleError
from .interference import Interference, SubGraph, _lifetimes, alive_together, live_peak, live_size
from .local_memory import local_memory_error, local_size


def pinned_shared(problem):
    """Names of buffers pinned to shared memory; InfeasibleError if they cannot fit."""
    names = [b.name for b in problem.planned if b.location is Location.SHARED]
    for b in problem.planned:
        if b.location is Location.SHARED and not problem.shareable(b):
            raise InfeasibleError(f"buffer {b.name!r} is pinned shared but its precision {b.precision} "
                                  f"differs from the problem's {problem.precision}, the one shared memory holds; "
                                  f"pin it local (or leave it auto), or plan the problem at {b.precision}")
    need = live_peak(problem, names)
    if need > problem.capacity_elems:
        raise InfeasibleError(budget_message(problem, need))
    sizes = [local_size(problem, b) for b in problem.planned if not problem.shareable(b)]  # local in every plan
    local = sum(size[1] for size in sizes)
    if local > LOCAL_BYTES_PER_THREAD_LIMIT:
        raise local_memory_error(
            local, "the buffers kept local (pinned local, of another precision, or left local by the auto objective)",
            shared_bytes=problem.device.max_shared_bytes_per_block, sizes=sizes, precision=problem.precision)
    return names


def budget_message(problem, need):
    cap = problem.capacity_elems
    msg = (f"shared budget: the buffers pinned shared need at least {need} elements per thread at one "
           f"program point, but the budget admits {cap} (over by {need - cap})")
    if problem.shared_capacity is None:
        fits = largest_block(problem.shared_budget_bytes, problem.itemsize, need)
        msg += (f"; budget {problem.shared_budget_bytes} B per block on {problem.device.name} at block size "
                f"{problem.block_size}, {problem.itemsize} B per element, {problem.min_blocks_per_sm} block(s) "
                "per SM; " + (f"{block_advice(fits)}, or pin some buffers local" if 1 <= fits < problem.block_size
                              else "even a block of one thread cannot hold them: pin some buffers local"
                              if fits < 1 else "lower block_size or pin some buffers local"))
    else:
        msg += (f"; shared_capacity (or --capacity) is {cap} elements per thread: raise it to at least "
                f"{need}, leave it out to derive it from the device, or pin some buffers local")
    return msg


def no_layout_message(problem, live):
    """Why a search found no layout of the buffers pinned shared (``live`` elements alive at once) within the
    capacity in its time, greedy's overshooting it."""
    return (f"shared budget: no layout of the buffers pinned shared within {problem.capacity_elems} elements per "
            f"thread was found in the time limit (they need at least {live} at one program point, and the greedy "
            "layout overshoots); raise time_limit_s or pin some buffers local")


def block_advice(fits):
    """The block size to name when any up to ``fits`` holds the buffers: the largest multiple of 32 (whole warps),
    where one fits (a trial was told 'block_size <= 60', a part-empty second warp)."""
    if fits < 32:
        return f"block_size <= {fits} fits them (below 32 a warp runs part-empty)"
    return (f"block_size {fits // 32 * 32} fits them (the largest multiple of 32 that does, so that every warp of "
            f"32 threads runs full; any block_size <= {fits} fits)")


def largest_block(budget_bytes, itemsize, need):
    """The largest block size whose per-thread capacity (odd, as :attr:`Problem.capacity_elems` pads it) holds
    ``need`` elements: the bytes alone over-promised (581 where 575 is the most; a CLI user's trial)."""
    fits = budget_bytes // (need * itemsize)
    while fits >= 1:
        per_thread = budget_bytes // (fits * itemsize)
        if (per_thread if per_thread % 2 == 1 else per_thread - 1) >= need:
            break
        fits -= 1
    return fits


def auto_candidates(problem):
    """``auto`` buffers that may go to shared, heaviest per element first."""
    cands = [b for b in problem.planned if b.location is Location.AUTO and problem.shareable(b) and b.size_elems]
    return sorted(cands, key=lambda b: (-b.weight, -b.size_elems, b.name))


def choose_greedily(problem, layout, deadline=None):
    """Shared offsets from ``layout(problem, names, graph, limit)``, growing the set greedily.

    The interference graph of every candidate is built once and handed to each call of
    ``layout`` (which may ignore it); ``limit`` lets a layout give up (None) once it passes the
    capacity. A candidate whose buffers alive together already pass the capacity is skipped
    without a layout: no layout could fit it. Past ``deadline`` (a ``time.perf_counter()``
    reading) the layout is no longer redone for each candidate: every candidate left is put at
    the lowest offset free of its placed neighbours, and kept where that fits the capacity, so
    that the layout returned has tried every candidate whatever the time. Buffers all alive at
    one program point get no graph (``graph`` None; see :func:`_graph`).
    """
    names = pinned_shared(problem)
    candidates = auto_candidates(problem)
    graph = _graph(problem, names, candidates)
    cap = problem.capacity_elems
    offsets = layout(problem, names, graph)
    peak = _peak(problem, offsets)
    if peak > cap:
        raise InfeasibleError(
            f"shared budget: this planner's layout of the buffers pinned shared takes {peak} elements per "
            f"thread, the budget admits {cap} (over by {peak - cap}); "
            f"their live lower bound is {live_peak(problem, names)}, so the cpsat planner may still fit them")
    if not candidates:  # nothing to add: the layout of the pinned buffers is the answer
        return offsets
    live = _LiveProfile(problem, names)
    if graph is None:  # greedy's and sequential's layouts stack them: one fits when their live size does
        for b in candidates:
            if live.fits(b, cap):
                live.add(b)
                names.append(b.name)
        return layout(problem, names, None)
    late, sizes = False, problem.by_name()
    for b in candidates:
        late = late or (deadline is not None and time.perf_counter() > deadline)
        if not live.fits(b, cap):
            continue
        graph.push(b.name)
        if late:
            offset = _lowest_free(graph, offsets, b.name, b.size_elems, sizes)
            if offset + b.size_elems <= cap:
                offsets[b.name] = offset
                names.append(b.name)
                live.add(b)
            else:
                graph.pop()
            continue
        trial = layout(problem, names + [b.name], graph, cap)
        if trial is not None and _peak(problem, trial) <= cap:
            names.append(b.name)
            live.add(b)
            offsets = trial
        else:
            graph.pop()
    return offsets


def _graph(problem, names, candidates):
    """The interference graph the layouts get: None for buffers all alive at one program point (their
    n^2 pairs took seconds and gigabytes for thousands of buffers, and every layout of them is a stack
    whose peak is its live size), the graph itself when no candidate is to be added, else a SubGraph
    over ``names`` that grows by the candidates kept."""
    everyone = names + [b.name for b in candidates]
    if alive_together(problem, everyone):
        return None
    full = Interference(problem, everyone)
    return SubGraph(full, names) if candidates else full


def greedy_answer(problem, names, hint, facts, late):
    """(offsets, status, proven bound) of the layout ``hint`` (choose_greedily's) when a search need not run,
    else None: CP-SAT's short cut and its fallback past the deadline.

    ``names`` are the candidates a search would place (each of positive score), ``facts`` holds ``sizes``
    and ``lifetimes`` by name, the ``floor`` (the pinned buffers' live size) and the ``goal``. Where greedy
    shared every candidate, which buffers go shared is settled (the best layout shares them all; a problem
    whose buffers are all pinned has no other choice) and their live size is a proven bound: a layout at
    it is optimal, and under "fit" any layout of them is the answer. Past the deadline (``late``: a dense
    problem's greedy layout took seconds) the layout is returned as GREEDY_FALLBACK; without one, the
    InfeasibleError of a search that found nothing.
    """
    if hint is None:
        if late:
            raise InfeasibleError(no_layout_message(problem, facts["floor"]))
        return None
    layout = {n: hint[n] for n in names if n in hint}
    settled = len(layout) == len(names)
    bound = max(facts["floor"], live_size(facts["sizes"], facts["lifetimes"], names) if settled else 0)
    optimal = settled and _peak(problem, layout) <= bound
    if optimal or (settled and facts["goal"] == "fit"):
        return layout, "OPTIMAL" if optimal else "FEASIBLE", bound
    return (layout, "GREEDY_FALLBACK", bound) if late else None


def _lowest_free(graph, offsets, name, size, sizes):
    """The lowest offset where ``size`` elements of ``name`` clear every neighbour placed in ``offsets``."""
    placed = sorted((offsets[graph.names[j]], offsets[graph.names[j]] + sizes[graph.names[j]].size_elems)
                    for j in graph.neighbors[graph.index[name]] if graph.names[j] in offsets)
    candidate = 0
    for lo, hi in placed:
        if lo - candidate >= size:
            break
        candidate = max(candidate, hi)
    return candidate


class _LiveProfile:
    """Elements alive at each program point among the chosen buffers, to rule candidates out cheaply."""

    def __init__(self, problem, names):
        self.lifetimes = _lifetimes(problem)
        points = sorted({t for lifetime in self.lifetimes.values() for iv in lifetime for t in iv})
        self.rank = {t: k for k, t in enumerate(points)}
        self.live = [0] * max(len(points), 1)
        sizes = problem.by_name()
        for n in names:
            self.add(sizes[n])

    def _cells(self, buffer):
        for lo, hi in self.lifetimes[buffer.name]:
            yield from range(self.rank[lo], self.rank[hi])

    def fits(self, buffer, cap):
        return all(self.live[k] + buffer.size_elems <= cap for k in self._cells(buffer))

    def add(self, buffer):
        for k in self._cells(buffer):
            self.live[k] += buffer.size_elems


def _peak(problem, offsets):
    sizes = problem.by_name()
    return max((off + sizes[n].size_elems for n, off in offsets.items()), default=0)
