"""The run's solver work, summed by the loops from each step call's counts (``kernels.steps.base`` item 8).

A step built with ``SolverOptions(count_work=True)`` (``BuiltStep.take_work``)
reports a call's right-hand sides, Jacobians, factorisations and Newton
iterations; both loops add them to int32 totals after every call (accepted,
rejected or failed) and, at the end, write the last three to the trajectory's
``counts`` row (columns 1 to 3, :data:`WORK_COLUMNS`) and fold the first into
``n_rhs``.  An explicit step has no such work (the columns hold 0); an
implicit one built without counting leaves them -1 (not counted), as ``n_rhs``.

Layout of ``counts`` (N, :data:`EVENT_COLUMN` + n_events) int32: ``n_rhs``,
``n_jac``, ``n_lu``, ``n_newton``, then each event's crossings.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .steps.base import WORK_FIELDS

__all__ = ["WORK_COLUMNS", "EVENT_COLUMN", "WorkCounter"]

#: The work columns of ``counts``, in order (the step's ``work`` buffer's fields).
WORK_COLUMNS = WORK_FIELDS
#: The first event column of ``counts``.
EVENT_COLUMN = len(WORK_COLUMNS)


@cuda.jit(device=True, inline="always")
def _no_work(region, persistent):
    zero = np.int32(0)
    return zero, zero, zero, zero


class WorkCounter:
    """The device functions a loop sums a step's work with.

    ``worked``: the step counts its work; ``rhs_counted``: its right-hand sides are all counted
    (``n_rhs`` is -1 otherwise); ``prime_rhs``: the step's ``prime`` evaluates the right-hand side
    for the loop to count (an FSAL prime does; a solver step's, FIRK's restart flag, does not); ``NONE``: the totals a run starts from (four int32 zeros);
    ``add(totals, region, persistent) -> totals``: the totals with the last call's counts added;
    ``record(traj, counts, totals)``: the Jacobian, factorisation and Newton totals into the trajectory's
    row (-1 for an implicit step that does not count, 0 for an explicit one); with ``refined`` (a run with
    events), added to what a terminal event's refinement steps left there (:func:`kernels.loop.make_restep`).
    """

    def __init__(self, built, refined=False):
        self.worked = built.take_work is not None
        self.rhs_counted = self.worked and built.rhs_counted
        self.prime_rhs = built.prime_function is not None and (not self.worked or built.prime_rhs)
        take = built.take_work if self.worked else _no_work
        UNCOUNTED = built.can_fail and not self.worked  # an implicit step built without count_work
        REFINED = refined and self.worked
        MISSING = np.int32(-1)
        zero = np.int32(0)
        self.NONE = (zero, zero, zero, zero)

        @cuda.jit(device=True, inline="always")
        def add(totals, region, persistent):
            a, b, c, d = take(region, persistent)
            return (np.int32(totals[0] + a), np.int32(totals[1] + b), np.int32(totals[2] + c),
                    np.int32(totals[3] + d))

        @cuda.jit(device=True, inline="always")
        def record(traj, counts, totals):
            if UNCOUNTED:
                counts[traj, 1] = MISSING
                counts[traj, 2] = MISSING
                counts[traj, 3] = MISSING
            elif REFINED:
                counts[traj, 1] = np.int32(totals[1] + counts[traj, 1])
                counts[traj, 2] = np.int32(totals[2] + counts[traj, 2])
                counts[traj, 3] = np.int32(totals[3] + counts[traj, 3])
            else:
                counts[traj, 1] = totals[1]
                counts[traj, 2] = totals[2]
                counts[traj, 3] = totals[3]

        self.add = add
        self.record = record
