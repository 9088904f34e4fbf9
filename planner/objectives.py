"""Objectives that decide placements before the offset planners run.

``min-shared`` needs nothing here: the planners place the most access-weighted
``auto`` elements in shared memory that the budget admits, then minimise the
peak. ``auto`` aims at throughput instead (planner.costmodel): it tries
keeping the first k ``auto`` buffers local, in order of accesses per element,
for every k, plans the rest as ``min-shared`` would (the greedy layout stands
in for the final planner's), and keeps the set whose plan the model predicts
fastest; the smaller shared peak, then fewer buffers kept local, break ties.
"""

from .costmodel import keep_local, local_candidates, predict
from .errors import InfeasibleError
from .selection import choose_greedily
from .greedy import greedy_offsets


def choose_local(problem, device=None, max_registers=None, skip=()):
    """``(work problem, kept local names, candidates tried)`` for the ``auto`` objective.

    ``work`` is a ``min-shared`` problem whose pins differ from ``problem`` only in
    ``auto`` buffers turned ``local``, so every plan of it is a plan of ``problem``.
    ``device`` overrides the problem's cost constants (the compiler loop's corrected model).
    ``skip`` holds kept sets not to choose (the compiler loop's runner-up); an
    ``InfeasibleError`` when every candidate is skipped.
    """
    sizes = problem.by_name()
    best = None
    skipped = {frozenset(names) for names in skip}
    candidates = [keep for keep in local_candidates(problem) if keep not in skipped]
    if not candidates:
        raise InfeasibleError("auto: every set of buffers to keep local was skipped; nothing is left to plan")
    refused = None
    for keep in candidates:
        work = keep_local(problem, keep)
        try:
            offsets = choose_greedily(work, greedy_offsets)
        except InfeasibleError as exc:  # this set kept local cannot launch (too much local memory): the next
            refused = exc
            continue
        peak = max((off + sizes[n].size_elems for n, off in offsets.items()), default=0)
        local = [b.name for b in problem.planned if b.name not in offsets]
        guess = predict(problem, local, peak, device, max_registers)
        score = (-round(guess.throughput, 12), peak, len(keep))
        if best is None or score < best[0]:
            best = (score, work, keep)
    if best is None:
        raise refused
    return best[1], best[2], len(candidates)
