"""Objectives that decide placements before the offset planners run.

``min-shared`` needs nothing here: the planners place the most access-weighted
``auto`` elements in shared memory that the budget admits, then minimise the
peak. ``auto`` aims at throughput instead (planner.costmodel): it tries
keeping the first k ``auto`` buffers local, in order of accesses per element,
for every k, plans the rest as ``min-shared`` would (the greedy layout stands
in for the final planner's), and keeps the set whose plan the model predicts
fastest; the smaller shared peak, then fewer buffers kept local, break ties.
From the best of those sets it then moves one buffer at a time (local to
shared or back) while a move raises the predicted throughput by more than
:data:`MOVE_GAIN`, up to :data:`IMPROVING_ROUNDS` moves: a prefix of one
order cannot reach every set (a user's trial found a persistent buffer the
model rated 1.17x faster shared, kept local behind lighter ones).  A set that
leaves all-local must beat it by :data:`MOVE_GAIN` too.

The search is bounded by a count, :data:`SEARCH_WORK` (candidate sets scored
times planned buffers), so that one problem gets one plan whatever the
machine's load; a wall-clock deadline only stops a search the count would
let run on, and is reported (``AutoSearch.cut``): its result depends on
timing.
"""

import time
from dataclasses import dataclass

from .buffers import Location
from .costmodel import keep_local, local_candidates, predict
from .errors import InfeasibleError
from .selection import choose_greedily
from .greedy import greedy_offsets


#: Most single-buffer moves made after the prefix search (each round tries every ``auto`` buffer once).
IMPROVING_ROUNDS = 8
#: A move is made when it raises the predicted throughput by more than this factor: the model does not
#: resolve smaller differences, and a buffer moved for them costs the plan its simplicity for nothing.
MOVE_GAIN = 1.02


#: The search's size: candidate sets scored times the problem's planned buffers (a greedy layout each),
#: about 3 s for 250 buffers on one core; a count, not a time, so the chosen set does not depend on load.
SEARCH_WORK = 150_000


@dataclass(frozen=True)
class AutoSearch:
    """What :func:`choose_local` found: the ``work`` problem, the ``kept`` local names, how many
    ``candidates`` it scored, and whether the deadline ``cut`` it before :data:`SEARCH_WORK` ran out
    (the result then depends on the machine's speed and load)."""

    work: object
    kept: frozenset
    candidates: int
    cut: bool


def choose_local(problem, device=None, max_registers=None, skip=(), deadline=None):
    """The :class:`AutoSearch` of the ``auto`` objective.

    Its ``work`` is a ``min-shared`` problem whose pins differ from ``problem`` only in
    ``auto`` buffers turned ``local``, so every plan of it is a plan of ``problem``.
    ``device`` overrides the problem's cost constants (the compiler loop's corrected model).
    ``skip`` holds kept sets not to choose (the compiler loop's runner-up); an
    ``InfeasibleError`` when every candidate is skipped. The search scores at most
    ``SEARCH_WORK / len(problem.planned)`` sets (at least the first); ``deadline`` (a
    ``time.perf_counter()`` reading) is a safety stop before that, reported as ``cut``.
    """
    skipped = {frozenset(names) for names in skip}
    candidates = [keep for keep in local_candidates(problem) if keep not in skipped]
    if not candidates:
        raise InfeasibleError("auto: every set of buffers to keep local was skipped; nothing is left to plan")
    tried = set(candidates)
    sizes = problem.by_name()
    budget = max(1, SEARCH_WORK // max(1, len(problem.planned)))
    scored_count, cut = 0, False

    def stop():
        nonlocal cut
        if scored_count >= budget:
            return True
        cut = cut or _past(deadline)
        return cut

    best, refused = None, None
    for keep in candidates:
        if best is not None and stop():
            break
        scored_count += 1
        scored = _score(problem, sizes, keep, device, max_registers)
        if isinstance(scored, InfeasibleError):  # this set kept local cannot launch (too much local memory)
            refused = scored
        elif best is None or scored[0] < best[0]:
            best = scored
    if best is None:
        raise refused
    movable = sorted(b.name for b in problem.planned
                     if b.location is Location.AUTO and b.size_elems and problem.shareable(b))
    for _ in range(IMPROVING_ROUNDS):
        if stop():
            break
        moves = (best[2] ^ {name} for name in movable)
        moves = [keep for keep in moves if keep not in skipped and keep not in tried]
        scored = []
        for keep in moves:
            if stop():
                break
            tried.add(keep)
            scored_count += 1
            found = _score(problem, sizes, keep, device, max_registers)
            if not isinstance(found, InfeasibleError):
                scored.append(found)
        better = min(scored, key=lambda found: found[0], default=None)
        if better is None or not _throughput(better) > _throughput(best) * MOVE_GAIN:
            break
        best = better
    best = _unless_all_local_is_close(problem, sizes, best, device, max_registers, skipped)
    return AutoSearch(best[1], best[2], scored_count, cut)


def _unless_all_local_is_close(problem, sizes, best, device, max_registers, skipped):
    """``best``, or the all-local set where ``best`` leaves it for less than :data:`MOVE_GAIN` (an ecologist's
    trial: Tsit5 on 100 states moved its stages to shared memory, one block an SM, for a predicted 1.8 %)."""
    every = frozenset(b.name for b in problem.planned if b.location is Location.AUTO)
    if best[2] == every or every in skipped:
        return best
    local = _score(problem, sizes, every, device, max_registers)
    if isinstance(local, InfeasibleError) or _throughput(local) * MOVE_GAIN < _throughput(best):
        return best
    return local


def _past(deadline):
    """Whether ``deadline`` (a ``time.perf_counter()`` reading, or None: none) has passed."""
    return deadline is not None and time.perf_counter() > deadline


def _throughput(scored):
    """The predicted throughput of a :func:`_score` (its score's first term is the throughput negated)."""
    return -scored[0][0]


def _score(problem, sizes, keep, device, max_registers):
    """``(score, work problem, keep)`` for keeping ``keep`` local, or the InfeasibleError that refuses it
    (``sizes``: ``problem.by_name()``)."""
    work = keep_local(problem, keep)
    try:
        offsets = choose_greedily(work, greedy_offsets)
    except InfeasibleError as exc:
        return exc
    peak = max((off + sizes[n].size_elems for n, off in offsets.items()), default=0)
    local = [b.name for b in problem.planned if b.name not in offsets]
    guess = predict(problem, local, peak, device, max_registers)
    return (-round(guess.throughput, 12), peak, len(keep)), work, keep
