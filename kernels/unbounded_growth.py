"""Unbounded growth reported as success: a trajectory whose final saved state is past :data:`UNBOUNDED_GROWTH` times
its start ended with status SUCCESS only because the integrator followed it there.

A control engineer's gain sweep (a PID loop on ``x'' = u - 0.5 x' - 2 x``, one row's integral gain at 50, past the
stability limit of 7: closed-loop eigenvalues 1.18 +- 3.68j) ran float64 tsit5 and rodas5p over ``t`` in (0, 400):
the unstable row ended at ``x = -2.6e204`` with status 0 and "The solver successfully reached the end of the
integration interval", and the sweep, filtered on ``status == 0``, kept it.  At the solve, one
:class:`kernels.SuspectSuccessWarning` names such trajectories (how many of the batch, the first
:data:`kernels.growth_warning.NAMED`), and :meth:`kernels.IVPResult.message` says it of each (:func:`unbounded_note`).

The test is cheap, from saved values only (no host follow): the largest ``|y|`` of a successful trajectory's last
saved state against :data:`UNBOUNDED_GROWTH` times the largest ``|y0|`` of its start, or 1 where that is smaller.
The warning reads ``y0`` as given to the solve and keeps its verdict on the result for the messages; a result
without it (a copy) reads ``y0`` from its probes, a fixed step's stability verdict or a save at ``t0``, and says
nothing where it keeps none of them (a start of 2e100 decaying was told it grew past 1e100 times 1: a regression
hunt).  A trajectory whose fixed ``dt`` the solve found beyond its
explicit method's stable step is left to that StabilityWarning and note: its growth is the step's, not the model's.
A result without saved states on the host (``save_trajectory=False``, inputs on the device) is not judged.
"""

from __future__ import annotations

import numpy as np

from .errors import SuspectSuccessWarning, warn_user
from .growth_warning import trajectories_named
from .result_notes import host_array, host_inputs, step_was_unstable
from .runaway_hint import UNBOUNDED_GROWTH
from .status import SUCCESS

__all__ = ["UNBOUNDED_GROWTH", "unbounded_rows", "warn_unbounded_growth", "unbounded_note"]

_VERDICT = "_unbounded_starts"  # the result's attribute: {trajectory: its start's size} of those the solve judged


def unbounded_rows(y, status, starts):
    """The trajectories with status SUCCESS whose last saved state in ``y`` (host, ``(N, n_save, n_states)``) is past
    :data:`UNBOUNDED_GROWTH` times their start's size, ``max(starts[i], 1)`` (``starts``: each trajectory's largest
    ``|y0|``, one value for all, or None where not known: 1), as ``(rows, sizes, scales)`` arrays (ascending rows,
    their final saves' largest ``|y|``, their starts' sizes): one pass over the final saves, nothing evaluated."""
    status = np.asarray(status).reshape(-1)
    none = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    if np.ndim(y) != 3 or not np.shape(y)[1] or not np.shape(y)[2] or not np.any(status == SUCCESS):
        return none
    with np.errstate(invalid="ignore", over="ignore"):
        scales = np.maximum(np.asarray(1.0 if starts is None else starts, np.float64), 1.0)
        scales = np.broadcast_to(scales, status.shape) if scales.size == 1 else scales.reshape(-1)
        sizes = np.max(np.abs(np.asarray(y[:, -1, :], np.float64)), axis=1)
        rows = np.flatnonzero((status == SUCCESS) & (sizes > UNBOUNDED_GROWTH * scales))
    return rows, sizes[rows], scales[rows]


def warn_unbounded_growth(result, y0):
    """``result`` (a solve's :class:`kernels.IVPResult`), after one :class:`kernels.SuspectSuccessWarning` where
    :func:`unbounded_rows` finds trajectories (``y0``: the solve's checked rows, or one shared row; those whose fixed
    step the solve found unstable left to its StabilityWarning); nothing where its saves are not on the host.  Never raises: a warning must not fail a solve."""
    if not isinstance(getattr(result, "y", None), np.ndarray) or not hasattr(result, "status"):
        return result
    try:
        start = np.atleast_2d(np.asarray(y0, np.float64))
        rows, sizes, scales = unbounded_rows(result.y, host_array(result.status), np.max(np.abs(start), axis=1))
        keep = [k for k, i in enumerate(rows) if not step_was_unstable(result, i)]
        rows, sizes = rows[keep], sizes[keep]
        # the starts judged, kept for the messages (an IVPResult is frozen; its pickled state keeps __dict__)
        object.__setattr__(result, _VERDICT, {int(i): float(scales[k]) for k, i in zip(keep, rows)})
    except Exception:  # noqa: BLE001 - a warning must never fail a solve: none
        return result
    if not rows.size:
        return result
    n = int(np.size(host_array(result.status)))
    named = trajectories_named(rows)
    head = f"{named} ended" if n == 1 else f"{rows.size} of {n} trajectories ({named}) ended"
    warn_user(f"{head} with status SUCCESS at a final saved state more than {UNBOUNDED_GROWTH:.0e} times the "
              f"start's size (the largest |y0|, or 1 if smaller; up to {np.max(sizes):.3g}): the solution grew "
              "without bound, an unstable configuration (check the signs and sizes of the gains or rate parameters, "
              "or end the span earlier), and SUCCESS only means the integrator followed that growth, so filtering on "
              "status keeps them; res.message(i) says it for each.", SuspectSuccessWarning)
    return result


def _start_size(result, trajectory):
    """``trajectory``'s largest ``|y0|`` where the result keeps it (its probes' inputs, a fixed step's stability
    verdict, or a save at ``t0``), else None."""
    probe = host_inputs(result)
    if probe is not None and probe.y0 is not None:
        start = np.atleast_2d(np.asarray(probe.y0, np.float64))
        return float(np.max(np.abs(start[min(trajectory, len(start) - 1)])))
    verdict = getattr(result, "unstable_step", None)
    if verdict is not None and verdict.start is not None:
        starts = np.asarray(verdict.start, np.float64).reshape(-1)
        return float(starts[min(trajectory, starts.size - 1)])
    if result.t is not None and len(result.t) and result.t_start is not None and result.t[0] == result.t_start:
        return float(np.max(np.abs(np.asarray(result.y[trajectory, 0], np.float64))))
    return None


def unbounded_note(result, trajectory) -> str:
    """What a successful ``trajectory``'s message adds where its final saved state is past :data:`UNBOUNDED_GROWTH`
    times its start's size (as the solve's warning judges it; where the result keeps no ``y0``, an explicit run
    without probes that saved nothing at ``t0``, measured from 1), else ''.  Never raises."""
    try:
        if not isinstance(result.y, np.ndarray) or int(host_array(result.status)[trajectory]) != SUCCESS:
            return ""
        kept = getattr(result, _VERDICT, None)
        if kept is not None and int(trajectory) not in kept:
            return ""
        start = kept[int(trajectory)] if kept is not None else _start_size(result, trajectory)
        if start is None:  # not known: a start of 2e100 decaying was told it grew past 1e100 times 1 (a hunt)
            return ""
        rows, sizes, scales = unbounded_rows(result.y[trajectory:trajectory + 1], [SUCCESS], start)
        if not rows.size or step_was_unstable(result, trajectory):
            return ""
    except Exception:  # noqa: BLE001 - a message must never fail: no note
        return ""
    measured = f"its start's size ({scales[0]:.3g}: the largest |y0|, or 1 if smaller)"
    return (f" Its final saved state reaches {sizes[0]:.3g}, more than {UNBOUNDED_GROWTH:.0e} times {measured}: the "
            "solution grew without bound, an unstable configuration (check the signs and sizes of the gains or rate "
            "parameters, or end the span earlier), and status SUCCESS only means the integrator followed that growth.")
