"""Which buffers go to shared memory, for the planners that choose greedily.

Pinned-shared buffers always go; ``auto`` buffers are tried heaviest first
(weight per element, then size, then name) and kept when the planner's own
layout of the set still fits the per-thread capacity.
"""

from .buffers import Location
from .errors import InfeasibleError
from .interference import live_peak


def pinned_shared(problem):
    """Names of buffers pinned to shared memory; InfeasibleError if they cannot fit."""
    names = [b.name for b in problem.planned if b.location is Location.SHARED]
    for b in problem.planned:
        if b.location is Location.SHARED and not problem.shareable(b):
            raise InfeasibleError(f"buffer {b.name!r} is pinned shared but its precision {b.precision} "
                                  f"differs from the problem's {problem.precision}")
    need = live_peak(problem, names)
    if need > problem.capacity_elems:
        raise InfeasibleError(budget_message(problem, need))
    return names


def budget_message(problem, need):
    cap = problem.capacity_elems
    msg = (f"shared budget: the buffers pinned shared need at least {need} elements per thread at one "
           f"program point, but the budget admits {cap} (over by {need - cap})")
    if problem.shared_capacity is None:
        msg += (f"; budget {problem.shared_budget_bytes} B per block on {problem.device.name} at block size "
                f"{problem.block_size}, {problem.itemsize} B per element, {problem.min_blocks_per_sm} block(s) "
                "per SM; lower block_size or pin some buffers local")
    return msg


def auto_candidates(problem):
    """``auto`` buffers that may go to shared, heaviest per element first."""
    cands = [b for b in problem.planned if b.location is Location.AUTO and problem.shareable(b) and b.size_elems]
    return sorted(cands, key=lambda b: (-b.weight, -b.size_elems, b.name))


def choose_greedily(problem, layout):
    """Shared offsets from ``layout(problem, names) -> {name: offset}``, growing the set greedily."""
    names = pinned_shared(problem)
    offsets = layout(problem, names)
    peak = _peak(problem, offsets)
    if peak > problem.capacity_elems:
        raise InfeasibleError(
            f"shared budget: this planner's layout of the buffers pinned shared takes {peak} elements per "
            f"thread, the budget admits {problem.capacity_elems} (over by {peak - problem.capacity_elems}); "
            f"their live lower bound is {live_peak(problem, names)}, so the cpsat planner may still fit them")
    for b in auto_candidates(problem):
        trial = layout(problem, names + [b.name])
        if _peak(problem, trial) <= problem.capacity_elems:
            names.append(b.name)
            offsets = trial
    return offsets


def _peak(problem, offsets):
    sizes = problem.by_name()
    return max((off + sizes[n].size_elems for n, off in offsets.items()), default=0)
