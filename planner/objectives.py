"""Objectives that decide placements before the offset planners run.

``min-shared`` needs nothing here: the planners place the most access-weighted
``auto`` elements in shared memory that the budget admits, then minimise the
peak. ``auto`` aims at throughput instead: a small working set indexed with
constants lives in registers, where it is fastest, so ``auto`` buffers stay
local while the live local footprint fits a register budget, heaviest per
element first; only what is left over is placed as ``min-shared`` would.
"""

from dataclasses import replace

from .buffers import Location
from .interference import live_peak

# 32-bit registers per thread the local working set may take under "auto".
# H100 gives a thread at most 255; 64 leaves room for the integrator's own
# scalars and still allows 8 blocks of 128 threads per SM. A first default,
# to be calibrated by the placement sweep (benchmarks/placement_sweep.py).
REGISTER_BUDGET_WORDS = 64


def register_first(problem, register_budget_words=REGISTER_BUDGET_WORDS):
    """The problem to plan under the ``auto`` objective: some ``auto`` buffers pinned local.

    Returns a ``min-shared`` problem whose pins differ from ``problem`` only in
    ``auto`` buffers turned ``local``, so every plan of it is a plan of ``problem``.
    """
    words_per_elem = problem.itemsize / 4
    local = [b.name for b in problem.planned if b.location is Location.LOCAL]
    autos = sorted((b for b in problem.planned if b.location is Location.AUTO),
                   key=lambda b: (-b.weight, b.size_elems, b.name))
    keep_local = set()
    for b in autos:
        trial = local + [b.name]
        if live_peak(problem, trial) * words_per_elem <= register_budget_words:
            local = trial
            keep_local.add(b.name)
    buffers = tuple(replace(b, location=Location.LOCAL) if b.name in keep_local else b for b in problem.buffers)
    return problem.replace(buffers=buffers, objective="min-shared")
