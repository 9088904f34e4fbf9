"""A sign slip that ends in success: a trajectory whose params row, or ``y0`` row, has a lone negative entry
(:func:`kernels.param_sign.lone_negative_columns`; for ``y0``, :func:`slip_columns`) with a mode growing at its start,
and whose final saved state grew :data:`SLIP_GROWTH` times past its start and past where every other row ended, ended
with status SUCCESS only because the integrator followed that growth.

An RC circuit's Monte Carlo (``v' = (sin t - v) / (R C)``, 8 rows, row 5's C typed -1e-6 where the others have
+1e-6) ended row 5 at -5.2e18 with status 0 and "The solver successfully reached the end of the integration
interval" (tsit5 and rodas5p, float64 and float32), and a heat equation with D = -0.1 in one of four rows ended at
5.6e9 (rodas5p) and 414 (radau) with status 0 (users' trials): the lone-negative-parameter notes spoke only on
failures.  A chemostat's nutrient typed -0.5 in ``y0`` (the other rows 10, 5, 2) ended at -2.96e15 with its biomass
at 1.48e15, status 0 and no word (tsit5 and radau, float64 and float32: an ecologist's trial): below -K the Monod
uptake runs away, the true solution of the mistyped problem.  At the solve, one :class:`kernels.SuspectSuccessWarning`
names such trajectories (how many of the batch, the first :data:`kernels.growth_warning.NAMED`), and
:meth:`kernels.IVPResult.message` opens its success notes with the entry (the words of
:func:`kernels.param_sign.lone_negative_note`; ``y0[2, 0] (S) = -0.5`` by the state names) and that the solution grew
from its start (:func:`sign_slip_first`).

What a ``y0`` slip needs besides the growth, and why not the params' flip rule: a params sign that makes a mode grow
is named where flipping it takes half the start's growth rate away (:func:`kernels.param_sign.growth_columns`), but a
state's sign puts the solution where the model runs away, whose rate at the start can be near the right sign's: the
chemostat's S = -0.5 grows at 1.32 against 0.41 flipped, S = -1 at 0.94 against 0.53, S = -5 at 0.74 against 0.66,
and each ran to 1e15.  So flipping need only lower the rate (:data:`STATE_FLIP_SHARE`: a linear system, whose rate no
start changes, and a column the growth does not read are not named), and the batch must show the column on one side
of 0: every other row keeps it above 0 at each of its saves (:data:`KEPT_ABOVE_SHARE`), as a concentration or a
population stays.  A position or a velocity started negative legitimately (a particle past a barrier, escaping) is
told apart where the other rows' saves swing through 0; where they never do, the library cannot tell a position from
a concentration, and the note says what to do either way.

Cheap: the batch's params and ``y0`` are scanned once for columns with exactly one negative entry; only the rows
holding one, that succeeded and grew, are evaluated on the host (one Jacobian at ``(t0, y0)`` and one a flipped
sign); nothing is followed on the host.  The solve keeps its verdict on the result (each named row's note as text,
which pickles); a result without it (a copy) judges a row from its probes' inputs where it has them.  A trajectory
whose fixed ``dt`` the solve found beyond its explicit method's stable step is left to that StabilityWarning and
note: its growth is the step's.
"""

from __future__ import annotations

import re

import numpy as np

from .batch_inputs import row_of
from .errors import SuspectSuccessWarning, warn_user
from .param_sign import GROWTH_SHOWN, NAMED, _entries, growth_columns, lone_negative_columns, lone_negative_note
from .growth_warning import trajectories_named
from .named_states import state_names
from .result_notes import _SIGN_NOTE, host_array, host_inputs, step_was_unstable
from .status import SUCCESS
from .stiffness import largest_growth

__all__ = ["SLIP_GROWTH", "SIZE_SPREAD", "STATE_FLIP_SHARE", "KEPT_ABOVE_SHARE", "slip_candidates", "slip_columns",
           "slipped_row", "warn_sign_slip_success", "sign_slip_note", "sign_slip_first"]

#: How far past both its start (largest ``|y0|``) and every other row's final save (the rows without a lone negative
#: entry) a successful trajectory's final saved state must be for its lone negative entry to be named: the growth
#: from which a failure shows a blow-up (:data:`kernels.param_sign.GROWTH_SHOWN`).  Not more: radau held the heat
#: equation's D = -0.1 row at 414 times its start (its steps damp the fastest growing modes), where the D = +0.1 rows
#: ended at 0.9.  Against the other rows as well as the start, since a sign slip sets its row apart from the batch:
#: a growth every row has, or a forced response every row shares, is not one (the RC rows end at 0.049 from 0).
SLIP_GROWTH = GROWTH_SHOWN
#: How far a lone negative entry's size may be from the other rows' (all above 0) for it to be a sign slip, which
#: keeps the size (C = -1e-6 among +1e-6): below their smallest / SIZE_SPREAD or above their largest * SIZE_SPREAD
#: it is another value, not the same one with its sign lost.  A ``y0`` column is a sweep of starts more often than one
#: value (the chemostat's nutrient 10, 5, 2 and a -0.5 typed for 0.5), so for it the factor is SIZE_SPREAD times the
#: other rows' own spread (their largest over their smallest): one shared start keeps the params' rule.
SIZE_SPREAD = 2.0
#: The share of the start's growth rate that flipping a ``y0`` entry's sign must take away for the entry to be named:
#: any beyond the differenced Jacobian's noise.  Not the params' half (:data:`kernels.param_sign.GROWTH_SHARE`): the
#: chemostat's nutrient typed -5 grew at 0.74, at 0.66 flipped, and ran to 1e15 as -0.5 did (1.32 against 0.41).
#: A linear system (its rate the same from any start) and a column the growth does not read keep their rate.
STATE_FLIP_SHARE = 1e-3
#: How far below 0, as a share of the lone entry's size, another row's saves of its column may dip and still count as
#: kept above 0 (a concentration decaying to round-off below 0); an oscillation through 0 goes far past it.
KEPT_ABOVE_SHARE = 1e-3
#: The inputs judged, in the order a row's note names them.
_INPUTS = ("params", "y0")
#: The result's attribute holding the solve's verdict: ``{trajectory: note}`` (IVPResult is frozen; its pickled
#: state keeps ``__dict__``, as :mod:`kernels.distributed_worker`'s warnings do).
_VERDICT = "_sign_slip_notes"


def _lone_mask(values, by_spread=False):
    """``(N, m)`` bool: the negative entries of ``values`` (rows of a batch, at least two) in a column whose other rows
    are all above 0 (no NaN, no 0) and whose size they keep (within :data:`SIZE_SPREAD` of theirs, times their own
    spread where ``by_spread``: a ``y0`` column); None where ``values`` is not rows of a batch."""
    v = np.asarray(values)
    if v.ndim != 2 or v.shape[0] < 2 or v.dtype.kind not in "fiu":
        return None
    v = v.astype(np.float64)
    with np.errstate(invalid="ignore"):
        negative = v < 0
        positive = v > 0
    lone = (np.count_nonzero(negative, axis=0) == 1) & (np.count_nonzero(positive, axis=0) == v.shape[0] - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.min(np.where(positive, v, np.inf), axis=0)
        high = np.max(np.where(positive, v, 0.0), axis=0)
        size = -np.min(np.where(negative, v, 0.0), axis=0)
        spread = SIZE_SPREAD * (high / low if by_spread else 1.0)
    lone &= (size >= low / spread) & (size <= high * spread)
    return negative & lone[None, :]


def slip_candidates(values, by_spread=False):
    """The rows of ``values`` (params, or ``y0`` with ``by_spread``: rows of a batch) holding a negative entry in a
    column whose other rows are all above 0 (no NaN, no 0) and whose size it keeps (:func:`_lone_mask`), ascending: a
    vectorised scan of the whole batch, so that only these rows are judged further (at most one a column).  Empty for
    one shared row and for a sweep across 0 (two negative rows, or a 0 among the others: ``np.linspace(-1, 1, 3)``, a
    damping swept through 0, was named as a slip by a regression hunt)."""
    mask = _lone_mask(values, by_spread)
    return np.zeros(0, np.int64) if mask is None else np.unique(np.nonzero(mask)[0])


def slip_columns(y0, row):
    """The columns of ``y0[row]`` that :func:`slip_candidates` (``by_spread``) holds it for, ascending (empty where
    none)."""
    mask = _lone_mask(y0, by_spread=True)
    return np.zeros(0, int) if mask is None or not 0 <= row < mask.shape[0] else np.flatnonzero(mask[row])


def _all_candidates(y0, params):
    """The rows with a lone negative entry in ``params`` or in ``y0`` (:func:`slip_candidates`), ascending."""
    return np.union1d(slip_candidates(params), slip_candidates(y0, by_spread=True)).astype(np.int64)


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


def _kept_above(y, y0, row, columns, candidates):
    """Those of ``columns`` (of ``y0[row]``'s lone negative entries) that the finite saves ``y`` of every trajectory
    without a lone negative entry (not in ``candidates``; there must be one) keep above 0 (down to
    :data:`KEPT_ABOVE_SHARE` of the entry's size below it): the batch's sign for that state, which an oscillation
    through 0 (a position, a velocity) does not keep.  A row slipped itself is no evidence of the sign."""
    rows = np.setdiff1d(np.arange(np.shape(y)[0]), np.append(candidates, row))
    if not rows.size:
        return np.zeros(0, int)
    others = np.asarray(y)[rows]
    kept = []
    for j in columns:
        with np.errstate(invalid="ignore"):
            saved = np.asarray(others[:, :, j], np.float64)
            low = np.min(np.where(np.isfinite(saved), saved, np.inf), initial=np.inf)
        if low >= -KEPT_ABOVE_SHARE * abs(float(y0[row][j])):
            kept.append(int(j))
    return np.array(kept, int)


def slipped_row(system, y, y0, params, row, t0, backwards=False, candidates=None, finals=None, which="params"):
    """``(columns, start, final, others, rate)`` where trajectory ``row`` (status SUCCESS, the caller's to check) of
    saves ``y`` (host, ``(N, n_save, n_states)``) ended past :data:`SLIP_GROWTH` times the larger of its start's size
    (``|y0|``'s largest, ``y0`` rows or one shared row) and ``others`` (:func:`_others_final` over ``candidates``,
    :func:`_all_candidates` by default; 1 where both are 0), with a mode growing at ``rate`` at ``(t0, y0)``, and
    ``columns`` the lone negative entries of ``which`` input (``"params"`` or ``"y0"``) that made it: for params, those
    whose flipped sign takes that growth away (:func:`kernels.param_sign.growth_columns`); for ``y0`` (its
    :func:`slip_columns`), those whose flipped sign lowers it (:data:`STATE_FLIP_SHARE`) and that the other rows'
    saves keep above 0 (:func:`_kept_above`); else None.  The saves are read first: a row that did not grow is judged
    without evaluating anything."""
    candidates = _all_candidates(y0, params) if candidates is None else candidates
    columns = lone_negative_columns(params, row) if which == "params" else slip_columns(y0, row)
    if not columns.size or np.ndim(y) != 3 or not np.shape(y)[1] or not np.shape(y)[2]:
        return None
    start_row = np.asarray(y0, np.float64)
    start_row = start_row.reshape(-1) if start_row.ndim < 2 else row_of(start_row, row)
    start = float(np.max(np.abs(start_row)))
    others = _others_final(y, candidates, row, finals)
    final = float(np.max(np.abs(np.asarray(y[row, -1], np.float64))))
    scale = max(start, others) or 1.0
    if not np.isfinite(final) or final <= SLIP_GROWTH * scale:
        return None
    p_row = np.asarray(row_of(params, row), np.float64)
    rate = float(largest_growth(system, float(t0), start_row, p_row, backwards))
    if not np.isfinite(rate) or rate <= 0.0:
        return None
    if which == "params":
        kept = growth_columns(system, params, row, t0, start_row, rate, backwards)
    else:
        kept = growth_columns(system, params, row, t0, start_row, rate, backwards, columns, "y0", STATE_FLIP_SHARE)
        kept = _kept_above(y, y0, row, kept, candidates) if kept.size else kept
    return (kept, start, final, others, rate) if kept.size else None


def _state_note(system, y0, row, columns):
    """The sentence that names ``y0[row]``'s lone negative entries in ``columns`` (by the system's state names where
    it has them: ``y0[2, 0] (S) = -0.5``) and asks to check their signs."""
    shown = [int(j) for j in columns[:NAMED]]
    entries = _entries(system, y0, row, columns, "y0")
    names = state_names(system)
    states = [names[j] if names else f"y[{j}]" for j in shown]
    more = ", ..." if len(columns) > NAMED else ""
    if len(shown) == 1:
        return (f" {entries[0]} is negative where every other row's column {shown[0]} is above 0 and stays so at "
                f"their saves: check its sign (if {states[0]} is a concentration or a population, start it at 0 or "
                "above; if it is meant to start below 0, the growth is the model's).")
    return (f" {', '.join(entries)}{more} are negative where every other row's columns {', '.join(map(str, shown))}"
            f"{more} are above 0 and stay so at their saves: check their signs (if {', '.join(states)} are "
            "concentrations or populations, start them at 0 or above; if they are meant to start below 0, the growth "
            "is the model's).")


def _note(system, y0, params, row, verdicts):
    """The message's words for ``verdicts`` (``[(which, verdict of slipped_row)]``, params first): each input's
    entries (their signs to check), then the growth from the start."""
    text = "".join(lone_negative_note(system, params, row, verdict[0]) if which == "params"
                   else _state_note(system, y0, row, verdict[0]) for which, verdict in verdicts)
    _, start, final, others, rate = verdicts[0][1]
    made = ("that this sign makes" if verdicts[0][0] == "params"
            else "(faster than with that sign flipped), on the side of 0 where the other rows never went")
    return (text + f" The solution grew from there: from a start of size {start:.3g} to {final:.3g} at its final save, "
            f"more than {SLIP_GROWTH:.0f} times past both that start and where the other rows ended (at most "
            f"{others:.3g}), on a mode growing at rate {rate:.3g} per unit of t at its start {made}; "
            "status SUCCESS only means the integrator followed that growth.")


def _span(result):
    """``(t0, backwards)`` of ``result``'s span: its ``t_start`` and whether its saves run below it."""
    t0 = float(result.t_start)
    return t0, bool(len(result.t) and result.t[-1] < t0)


def _slips(result, system, y0, params, rows=None):
    """``({trajectory: note}, kinds)`` for the successful trajectories :func:`slipped_row` finds (rows of
    :func:`slip_candidates` of params or ``y0`` only; of ``rows`` among them where given), ``kinds`` the inputs
    named (``"params"``, ``"y0"``)."""
    status = np.asarray(host_array(result.status)).reshape(-1)
    inputs = {"params": params, "y0": y0 if isinstance(y0, np.ndarray) else None}
    found = {which: slip_candidates(values, which == "y0") if values is not None else np.zeros(0, np.int64)
             for which, values in inputs.items()}
    candidates = np.union1d(found["params"], found["y0"]).astype(np.int64)
    t0, backwards = _span(result)
    finals = _final_sizes(result.y) if candidates.size else None
    notes, kinds = {}, set()
    for row in candidates if rows is None else np.intersect1d(candidates, rows):
        row = int(row)
        if row >= status.size or status[row] != SUCCESS or step_was_unstable(result, row):
            continue
        verdicts = [(which, slipped_row(system, result.y, y0, params, row, t0, backwards, candidates, finals, which))
                    for which in _INPUTS if row in found[which]]
        verdicts = [(which, verdict) for which, verdict in verdicts if verdict is not None]
        if verdicts:
            notes[row] = _note(system, y0, params, row, verdicts)
            kinds.update(which for which, _ in verdicts)
    return notes, kinds


#: The warning's reason, by the inputs its trajectories' entries are in.
_WHY = {("params",): "whose sign makes a mode grow at the start: check those signs (a rate given negative makes a "
                     "mode grow)",
        ("y0",): "whose sign makes a mode grow faster at the start than the flipped sign would, where every other "
                 "row kept that state above 0: check those signs (a concentration or a population started below 0 "
                 "can run away)",
        ("params", "y0"): "whose sign makes a mode grow, or grow faster, at the start: check those signs (a rate "
                          "given negative makes a mode grow; a concentration or a population started below 0 can run "
                          "away)"}


def warn_sign_slip_success(result, system, y0, params):
    """``result`` (a solve's :class:`kernels.IVPResult`; ``system`` the host's, ``y0`` and ``params`` the checked
    rows) after one :class:`kernels.SuspectSuccessWarning` where :func:`slipped_row` finds successful trajectories,
    from a params entry or a ``y0`` one, each one's note kept on the result for :func:`sign_slip_note`; nothing
    where its saves are not on the host.  Never raises: a warning must not fail a solve."""
    if not isinstance(getattr(result, "y", None), np.ndarray) or not isinstance(params, np.ndarray):
        return result
    try:
        notes, kinds = _slips(result, system, y0, params)
        object.__setattr__(result, _VERDICT, notes)  # an IVPResult is frozen; its pickled state keeps __dict__
    except Exception:  # noqa: BLE001 - a warning must never fail a solve: none
        return result
    if not notes:
        return result
    rows = sorted(notes)
    n = int(np.size(host_array(result.status)))
    entry = re.match(r" ((?:params|y0)\[\d+, \d+\][^=]*= \S+)", notes[rows[0]])
    example = f" (as {entry.group(1)})" if entry else ""
    kinds = tuple(which for which in _INPUTS if which in kinds)
    warn_user(f"{len(rows)} of {n} trajectories ({trajectories_named(rows)}) ended with status SUCCESS at a final "
              f"saved state more than {SLIP_GROWTH:.0f} times their start and where the other rows ended, each with a "
              f"{' or '.join(kinds)} entry negative where every other row has it at 0 or above{example}, "
              f"{_WHY[kinds]}; SUCCESS only means the integrator followed that growth, so filtering on status keeps "
              "them; res.message(i) says it for each.", SuspectSuccessWarning)
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
        if probe is None or probe.params is None or np.ndim(probe.params) != 2:
            return ""
        notes, _ = _slips(result, probe.system, probe.y0, probe.params, rows=[int(trajectory)])
        return notes.get(int(trajectory), "")
    except Exception:  # noqa: BLE001 - a message must never fail: no note
        return ""


def sign_slip_first(result, trajectory, notes) -> str:
    """``notes`` (a successful ``trajectory``'s other notes) opened by :func:`sign_slip_note` where it speaks, any
    lone-negative sentence they hold of the same row (the growth note's) dropped: said once, first."""
    note = sign_slip_note(result, trajectory)
    if not note:
        return notes
    return note + re.sub(_SIGN_NOTE.format(row=int(trajectory)), "", notes, count=1)
