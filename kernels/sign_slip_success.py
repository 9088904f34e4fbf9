"""A sign slip that ends in success: a trajectory whose params row has a lone negative entry
(:func:`kernels.param_sign.lone_negative_columns`) that makes a mode grow at its start, and whose final saved state
grew :data:`SLIP_GROWTH` times past its start and past where every other row ended, ended with status SUCCESS only
because the integrator followed that growth.

An RC circuit's Monte Carlo (``v' = (sin t - v) / (R C)``, 8 rows, row 5's C typed -1e-6 where the others have
+1e-6) ended row 5 at -5.2e18 with status 0 and "The solver successfully reached the end of the integration
interval" (tsit5 and rodas5p, float64 and float32), and a heat equation with D = -0.1 in one of four rows ended at
5.6e9 (rodas5p) and 414 (radau) with status 0 (users' trials): the lone-negative-parameter notes spoke only on
failures.  At the solve, one :class:`kernels.SummaryWarning` names such trajectories (how many of the batch, the
first :data:`kernels.growth_warning.NAMED`), and :meth:`kernels.IVPResult.message` opens its success notes with the
entry (:func:`kernels.param_sign.lone_negative_note`'s words) and that the solution grew from its start
(:func:`sign_slip_first`).

Cheap: the batch's params are scanned once for columns with exactly one negative entry; only the rows holding one,
that succeeded and grew, are evaluated on the host (one Jacobian at ``(t0, y0)`` and one a flipped sign:
:func:`kernels.param_sign.growth_columns`); nothing is followed on the host.  The solve keeps its verdict on the
result (each named row's note as text, which pickles); a result without it (a copy) judges a row from its probes'
inputs where it has them.  A trajectory whose fixed ``dt`` the solve found beyond its explicit method's stable step
is left to that StabilityWarning and note: its growth is the step's.
"""

from __future__ import annotations

import re

import numpy as np

from .errors import SummaryWarning, warn_user
from .param_sign import GROWTH_SHOWN, growth_columns, lone_negative_columns, lone_negative_note
from .growth_warning import trajectories_named
from .result_notes import _SIGN_NOTE, host_array, host_inputs, step_was_unstable
from .status import SUCCESS
from .stiffness import largest_growth

__all__ = ["SLIP_GROWTH", "SIZE_SPREAD", "slip_candidates", "slipped_row", "warn_sign_slip_success", "sign_slip_note",
           "sign_slip_first"]

#: How far past both its start (largest ``|y0|``) and every other row's final save (the rows without a lone negative
#: entry) a successful trajectory's final saved state must be for its lone negative entry to be named: the growth
#: from which a failure shows a blow-up (:data:`kernels.param_sign.GROWTH_SHOWN`).  Not more: radau held the heat
#: equation's D = -0.1 row at 414 times its start (its steps damp the fastest growing modes), where the D = +0.1 rows
#: ended at 0.9.  Against the other rows as well as the start, since a sign slip sets its row apart from the batch:
#: a growth every row has, or a forced response every row shares, is not one (the RC rows end at 0.049 from 0).
SLIP_GROWTH = GROWTH_SHOWN
#: How far a lone negative entry's size may be from the other rows' (all above 0) for it to be a sign slip, which
#: keeps the size (C = -1e-6 among +1e-6): below their smallest / SIZE_SPREAD or above their largest * SIZE_SPREAD
#: it is another value, not the same one with its sign lost.
SIZE_SPREAD = 2.0
#: The result's attribute holding the solve's verdict: ``{trajectory: note}`` (IVPResult is frozen; its pickled
#: state keeps ``__dict__``, as :mod:`kernels.distributed_worker`'s warnings do).
_VERDICT = "_sign_slip_notes"


def slip_candidates(params):
    """The rows of ``params`` (rows of a batch) holding a negative entry in a column whose other rows are all above 0
    (no NaN, no 0) and whose size it keeps (within :data:`SIZE_SPREAD` of theirs), ascending: a vectorised scan of
    the whole batch, so that only these rows are judged further (at most one a column).  Empty for one shared row
    and for a sweep across 0 (two negative rows, or a 0 among the others: ``np.linspace(-1, 1, 3)``, a damping swept
    through 0, was named as a slip by a regression hunt)."""
    p = np.asarray(params)
    if p.ndim != 2 or p.shape[0] < 2 or p.dtype.kind not in "fiu":
        return np.zeros(0, np.int64)
    p = p.astype(np.float64)
    with np.errstate(invalid="ignore"):
        negative = p < 0
        positive = p > 0
    lone = (np.count_nonzero(negative, axis=0) == 1) & (np.count_nonzero(positive, axis=0) == p.shape[0] - 1)
    with np.errstate(invalid="ignore"):
        low = np.min(np.where(positive, p, np.inf), axis=0)
        high = np.max(np.where(positive, p, 0.0), axis=0)
        size = -np.min(np.where(negative, p, 0.0), axis=0)
    lone &= (size >= low / SIZE_SPREAD) & (size <= high * SIZE_SPREAD)
    return np.unique(np.nonzero(negative[:, lone])[0])


def _final_sizes(y):
    """Each trajectory's largest finite ``|y|`` at its last save (0 where none is finite), float64."""
    with np.errstate(invalid="ignore", over="ignore"):
        size = np.abs(np.asarray(y[:, -1, :], np.float64))
    return np.max(np.where(np.isfinite(size), size, 0.0), axis=1, initial=0.0)


def _others_final(y, candidates, row, finals=None):
    """The largest finite ``|y|`` at the last save of any trajectory without a lone negative entry (not in
    ``candidates``), or 0 where every trajectory has one: where the batch ended, not where it started (a PK row of
    1 dose that grew 12300-fold beside rows of 1000 doses that decayed was missed once their starts were saved: a
    regression hunt).  ``finals``: :func:`_final_sizes` of ``y``, taken once for the batch."""
    others = np.setdiff1d(np.arange(np.shape(y)[0]), np.append(candidates, row))
    finals = _final_sizes(y) if finals is None else finals
    return float(np.max(finals[others], initial=0.0)) if others.size else 0.0


def slipped_row(system, y, y0, params, row, t0, backwards=False, candidates=None, finals=None):
    """``(columns, start, final, others, rate)`` where trajectory ``row`` (status SUCCESS, the caller's to check) of
    saves ``y`` (host, ``(N, n_save, n_states)``) ended past :data:`SLIP_GROWTH` times the larger of its start's size
    (``|y0|``'s largest, ``y0`` rows or one shared row) and ``others`` (:func:`_others_final`; 1 where both are 0),
    with a mode growing at ``rate`` at ``(t0, y0)`` that flipping the sign of its lone negative ``columns`` takes
    away (:func:`kernels.param_sign.growth_columns`); else None.  The saves are read first: a row that did not grow is
    judged without evaluating anything."""
    candidates = slip_candidates(params) if candidates is None else candidates
    columns = lone_negative_columns(params, row)
    if not columns.size or np.ndim(y) != 3 or not np.shape(y)[1] or not np.shape(y)[2]:
        return None
    start_row = np.asarray(y0, np.float64)
    start_row = start_row.reshape(-1) if start_row.ndim < 2 else start_row[min(row, len(start_row) - 1)]
    start = float(np.max(np.abs(start_row)))
    others = _others_final(y, candidates, row, finals)
    final = float(np.max(np.abs(np.asarray(y[row, -1], np.float64))))
    scale = max(start, others) or 1.0
    if not np.isfinite(final) or final <= SLIP_GROWTH * scale:
        return None
    rate = float(largest_growth(system, float(t0), start_row, np.asarray(params[row], np.float64), backwards))
    if not np.isfinite(rate) or rate <= 0.0:
        return None
    kept = growth_columns(system, params, row, t0, start_row, rate, backwards)
    return (kept, start, final, others, rate) if kept.size else None


def _note(system, params, row, verdict):
    """The message's words for a ``verdict`` of :func:`slipped_row`: the entry (its sign to check), then the
    growth from the start."""
    columns, start, final, others, rate = verdict
    return (lone_negative_note(system, params, row, columns)
            + f" The solution grew from there: from a start of size {start:.3g} to {final:.3g} at its final save, "
            f"more than {SLIP_GROWTH:.0f} times past both that start and where the other rows ended (at most "
            f"{others:.3g}), on a mode growing at rate {rate:.3g} per unit of t at its start that this sign makes; "
            "status SUCCESS only means the integrator followed that growth.")


def _span(result):
    """``(t0, backwards)`` of ``result``'s span: its ``t_start`` and whether its saves run below it."""
    t0 = float(result.t_start)
    return t0, bool(len(result.t) and result.t[-1] < t0)


def _slips(result, system, y0, params):
    """``{trajectory: note}`` for the successful trajectories :func:`slipped_row` finds (rows of
    :func:`slip_candidates` only)."""
    status = np.asarray(host_array(result.status)).reshape(-1)
    candidates = slip_candidates(params)
    t0, backwards = _span(result)
    finals = _final_sizes(result.y) if candidates.size else None
    notes = {}
    for row in candidates:
        row = int(row)
        if row >= status.size or status[row] != SUCCESS or step_was_unstable(result, row):
            continue
        verdict = slipped_row(system, result.y, y0, params, row, t0, backwards, candidates, finals)
        if verdict is not None:
            notes[row] = _note(system, params, row, verdict)
    return notes


def warn_sign_slip_success(result, system, y0, params):
    """``result`` (a solve's :class:`kernels.IVPResult`; ``system`` the host's, ``y0`` and ``params`` the checked
    rows) after one :class:`kernels.SummaryWarning` where :func:`slipped_row` finds successful trajectories, each
    one's note kept on the result for :func:`sign_slip_note`; nothing where its saves are not on the host.  Never
    raises: a warning must not fail a solve."""
    if not isinstance(getattr(result, "y", None), np.ndarray) or not isinstance(params, np.ndarray):
        return result
    try:
        notes = _slips(result, system, y0, params)
        object.__setattr__(result, _VERDICT, notes)  # an IVPResult is frozen; its pickled state keeps __dict__
    except Exception:  # noqa: BLE001 - a warning must never fail a solve: none
        return result
    if not notes:
        return result
    rows = sorted(notes)
    n = int(np.size(host_array(result.status)))
    entry = re.match(r" (params\[\d+, \d+\][^=]*= \S+)", notes[rows[0]])
    example = f" (as {entry.group(1)})" if entry else ""
    warn_user(f"{len(rows)} of {n} trajectories ({trajectories_named(rows)}) ended with status SUCCESS at a final "
              f"saved state more than {SLIP_GROWTH:.0f} times their start and where the other rows ended, each with a "
              f"params entry negative where every other row has it at 0 or above{example}, whose sign makes a mode "
              "grow at the start: check those signs (a rate given negative makes a mode grow); SUCCESS only means the "
              "integrator followed that growth, so filtering on status keeps them; res.message(i) says it for each.",
              SummaryWarning)
    return result


def sign_slip_note(result, trajectory) -> str:
    """What a successful ``trajectory``'s message opens its notes with where the solve named it
    (:func:`warn_sign_slip_success`), or, for a result without the solve's verdict, where its probes keep the inputs
    and :func:`slipped_row` finds it; else ''.  Never raises."""
    try:
        if not isinstance(result.y, np.ndarray) or int(host_array(result.status)[trajectory]) != SUCCESS:
            return ""
        kept = getattr(result, _VERDICT, None)
        if kept is not None:
            return kept.get(int(trajectory), "")
        probe = host_inputs(result)
        if (probe is None or probe.params is None or np.ndim(probe.params) != 2
                or step_was_unstable(result, trajectory)):
            return ""
        t0, backwards = _span(result)
        verdict = slipped_row(probe.system, result.y, probe.y0, probe.params, int(trajectory), t0, backwards)
        return _note(probe.system, probe.params, int(trajectory), verdict) if verdict is not None else ""
    except Exception:  # noqa: BLE001 - a message must never fail: no note
        return ""


def sign_slip_first(result, trajectory, notes) -> str:
    """``notes`` (a successful ``trajectory``'s other notes) opened by :func:`sign_slip_note` where it speaks, any
    lone-negative sentence they hold of the same row (the growth note's) dropped: said once, first."""
    note = sign_slip_note(result, trajectory)
    if not note:
        return notes
    return note + re.sub(_SIGN_NOTE.format(row=int(trajectory)), "", notes, count=1)
