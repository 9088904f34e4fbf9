"""A params row with a lone negative entry: a parameter negative in one trajectory where every other row of the batch
has it at 0 or above, which a sign slip in a sweep makes.

A chemist's Chapman sweep with one row's O(1D) quenching constant given as -3e-11 (the others +3e-11) made O(1D) grow
at 1.1e7 /s from the start: radau and rodas5p stepped over the growth and ended that row with success and O(1D) =
-1618, and the message told of an ignition stepped over and a tiny first step, never of the parameter.  The growth
note (:mod:`kernels.growth_note`) and the runaway hint (:mod:`kernels.runaway_hint`) now open with
:func:`lone_negative_note` where it finds such an entry, and so does the MAX_STEPS stiffness hint
(:class:`kernels.stiffness.StiffnessProbe`, :func:`stiff_sign_note`) where that sign made the problem stiff.  It
reads the batch's params only: a vectorised look at the columns where the row is negative, when a note or hint is
about to be given, never at the solve.  Whether a failure is a blow-up such an entry makes, the rule by which any
failed row opens with it, is :func:`blew_up`; a host follow's stop the state ran away to (a step size underflow) is
judged by :func:`stop_sign_note`.
"""

from __future__ import annotations

import numpy as np

from .batch_inputs import row_index, row_of
from .named_params import entry_label, param_names
from .named_states import state_names
from .status import NEWTON_NOT_CONVERGED, NONFINITE_STATE, SINGULAR_MATRIX, STEP_SIZE_UNDERFLOW
from .stiffness import largest_growth, spectral_radius

__all__ = ["lone_negative_columns", "lone_negative_entries", "lone_negative_note", "stiff_columns", "stiff_sign_note",
           "blew_up", "grew", "stop_sign_note", "BLOW_UP_STATUSES", "GROWTH_SHOWN", "NAMED"]

#: Parameters a note names at most.
NAMED = 3


#: A negative entry smaller in size than this share of every other row's (all above 0) is a value near 0 on the other
#: side of it, not a sign slip, which keeps the size: a power injection of -0.03 in a sweep of 0.46 to 0.97 was named
#: as a rate given negative beside an unrelated failure (a power-systems user's trial, 4 rows).
NEAR_ZERO_SHARE = 0.1


def lone_negative_columns(params, row):
    """The columns where ``params[row]`` is negative and every other row of ``params`` (rows of a batch, at least two)
    is at 0 or above (a NaN counts as neither), but for an entry near 0 (:data:`NEAR_ZERO_SHARE`); an empty array
    where there is none, or where ``params`` is not rows of a batch (one row shared by every trajectory says nothing
    of which is odd)."""
    params = np.asarray(params)
    if params.ndim != 2 or params.shape[0] < 2 or not 0 <= row < params.shape[0]:
        return np.zeros(0, int)
    candidates = np.flatnonzero(params[row] < 0.0)
    if not candidates.size:
        return candidates
    others = np.delete(params[:, candidates], row, axis=0)
    near_zero = -params[row, candidates] < NEAR_ZERO_SHARE * np.min(others, axis=0)
    return candidates[np.all(others >= 0.0, axis=0) & ~near_zero]


def _entries(system, params, row, columns, which="params"):
    """``params[row]``'s entries in ``columns`` (the first :data:`NAMED`) as ``params[row, j] (name) = value``;
    ``which="y0"`` for a batch's ``y0`` rows, named by the system's state names (``y0[2, 0] (S) = -0.5``)."""
    names = param_names(system) if which == "params" else state_names(system)
    return [f"{entry_label(which, row, j, names)} = {float(params[row][j]):.3g}"
            for j in (int(j) for j in columns[:NAMED])]


def lone_negative_entries(system, params, row):
    """``params[row]``'s lone negative entries (:func:`lone_negative_columns`) as one text, ``params[3, 2] (beta) =
    -1``, for a hint that names them inside its own sentence (:mod:`kernels.jacobian_hint`'s state driven below 0);
    '' where there are none."""
    columns = lone_negative_columns(params, row)
    return ", ".join(_entries(system, params, row, columns)) + (", ..." if columns.size > NAMED else "")


#: The share of a growth rate that flipping a parameter's sign must take away for the note to name it.
GROWTH_SHARE = 0.5


def growth_columns(system, params, row, t, y, rate, backwards=False, columns=None, which="params",
                   share=GROWTH_SHARE):
    """The lone negative columns of ``params[row]`` (:func:`lone_negative_columns`) whose sign, flipped, takes at least
    :data:`GROWTH_SHARE` of the growth ``rate`` at ``(t, y)`` away (:func:`kernels.stiffness.largest_growth` with
    those params, ``backwards`` for a span run backwards): a signed bias of -0.5 beside a growth rate of 1e4 common to
    every row was named first as the sign slip to check (a regression hunt).  A column whose flip cannot be judged
    (the rate not finite) is kept.

    With ``which="y0"``, the given ``columns`` of the state ``y`` (a ``y0`` row) are flipped instead, ``params[row]``
    (or one shared row) held, and ``share`` is the share of ``rate`` a flip must take away
    (:data:`kernels.sign_slip_success.STATE_FLIP_SHARE`)."""
    columns = lone_negative_columns(params, row) if columns is None else np.asarray(columns, int)
    p_row = np.asarray(row_of(params, row), np.float64)
    kept = []
    for j in columns:
        state, flipped = np.array(y, np.float64), p_row.copy()
        (state if which == "y0" else flipped)[j] *= -1.0
        try:
            other = float(largest_growth(system, float(t), state, flipped, backwards=backwards))
        except Exception:  # noqa: BLE001 - a message must never fail: keep the column
            other = float("nan")
        if not np.isfinite(other) or other <= (1.0 - share) * rate:
            kept.append(int(j))
    return np.array(kept, int)


#: E-folds over the span below which a mode growing at the state the stiffness hint judged is not what carried the
#: state there (nor is a rate at round-off level, as a conserved quantity's zero eigenvalue differenced gives).
STIFF_GROWTH_EFOLDS = 1.0


def _flipped_rate(rate_of, params, row, j):
    """``rate_of(p)`` with ``params[row]``'s column ``j`` negated (float64); NaN where it cannot be evaluated."""
    flipped = np.array(params[row], np.float64)
    flipped[j] = -flipped[j]
    try:
        return float(rate_of(flipped))
    except Exception:  # noqa: BLE001 - a message must never fail: not judged
        return float("nan")


#: The fastest mode at the start is at most this share of the one at the judged state where a growth carried the
#: state there (the SIR draw: 0.5 at the start, 75 at I = 150); a problem as stiff from its start was not made so by
#: a growth (a signed coupling beside a sensor relaxing at 1e4 in every row: a regression hunt).
CARRIED_SHARE = 0.5

#: Flipping a sign must divide the fastest mode by at least this for the sign to be what made it (a production rate
#: given negative: 2e4 -> 1); a legitimately negative offset of Van der Pol's x moves it by a factor 4 (a hunt).
FAST_MODE_FACTOR = 10.0


def stiff_columns(system, params, row, t, y, span, backwards=False, start=None):
    """The lone negative columns of ``params[row]`` (:func:`lone_negative_columns`) that are the likely cause of the
    stiffness the MAX_STEPS hint (:class:`kernels.stiffness.StiffnessProbe`) found at ``(t, y)``: their sign, flipped
    there, takes at least :data:`GROWTH_SHARE` away of the mode growing at ``(t, y)`` (where it grows at least
    :data:`STIFF_GROWTH_EFOLDS` e-folds over ``span``: :func:`growth_columns`) where that growth carried the state
    from ``start`` (``(t0, y0)``; None: not judged) to a fast mode its start did not have (:data:`CARRIED_SHARE`), or
    divides the fastest mode that does not grow (:func:`kernels.stiffness.spectral_radius`) by
    :data:`FAST_MODE_FACTOR`.

    Why these two: a sign slip makes a problem stiff either by carrying the state to where a fast mode sits (an SIR
    draw with gamma = -1/7 grows I at -gamma to 150 and on, where S decays at beta I, 500 times faster than the
    solution changes: tsit5 was told to try radau, which "succeeded" with I = 6.3e6, a user's trial), which the
    growth still under way at the judged state shows, or by making the fast mode itself.  A stiff problem whose
    lone negative entry is elsewhere (a forcing amplitude, an offset, a signed coupling) is not told.
    It costs ``n_states + 1`` right-hand sides a rate, at one state, for a row that has such an entry only."""
    columns = lone_negative_columns(params, row)
    if not columns.size:
        return columns
    y, p = np.asarray(y, np.float64), np.asarray(params[row], np.float64)
    growth = largest_growth(system, float(t), y, p, backwards=backwards)
    fast = spectral_radius(system, float(t), y, p, growing=False)
    carried = start is not None and np.isfinite(fast) and spectral_radius(
        system, float(start[0]), np.asarray(start[1], np.float64), p, growing=False) <= CARRIED_SHARE * fast
    grows = (growth_columns(system, params, row, t, y, growth, backwards)
             if carried and np.isfinite(growth) and growth * abs(span) >= STIFF_GROWTH_EFOLDS else np.zeros(0, int))
    kept = set(int(j) for j in grows)
    if np.isfinite(fast) and fast > 0.0:
        for j in columns:
            other = _flipped_rate(lambda q: spectral_radius(system, float(t), y, q, growing=False), params, row, j)
            if np.isfinite(other) and other * FAST_MODE_FACTOR <= fast:
                kept.add(int(j))
    return np.array([int(j) for j in columns if int(j) in kept], int)


def stiff_sign_note(probe, trajectory, t, y):
    """:func:`lone_negative_note` for the columns :func:`stiff_columns` finds at the state ``(t, y)`` that
    ``probe`` (a :class:`kernels.stiffness.StiffnessProbe`: the solve's host system, params rows, ``t0``, ``t_end``)
    judged stiff for ``trajectory``, to lead its hint; '' where there are none or they cannot be judged."""
    try:
        row = row_index(probe.params, trajectory)
        span = float(probe.t_end) - float(probe.t0)
        start = (probe.t0, row_of(probe.y0, trajectory))
        columns = stiff_columns(probe.system, probe.params, row, t, y, span, backwards=span < 0, start=start)
        return lone_negative_note(probe.system, probe.params, row, columns) if columns.size else ""
    except Exception:  # noqa: BLE001 - a message must never fail: the stiffness hint alone
        return ""


def lone_negative_note(system, params, row, columns=None):
    """The sentence that names ``params[row]``'s lone negative entries (:func:`lone_negative_columns`, or the given
    ``columns`` of them: :func:`growth_columns`), by the system's parameter names where it has them, and asks to check
    their signs; '' where there are none."""
    columns = lone_negative_columns(params, row) if columns is None else np.asarray(columns, int)
    if not columns.size:
        return ""
    shown = [int(j) for j in columns[:NAMED]]
    entries = _entries(system, params, row, columns)
    more = ", ..." if columns.size > NAMED else ""
    if len(shown) == 1:
        return (f" {entries[0]} is negative where every other row's column {shown[0]} is >= 0: check its sign (a "
                "rate given negative makes a mode grow).")
    return (f" {', '.join(entries)}{more} are negative where every other row's columns "
            f"{', '.join(map(str, shown))}{more} are >= 0: check their signs (a rate given negative makes a mode "
            "grow).")


#: The failures a blow-up ends with: the state past float64's range, or the Jacobian's (a singular matrix, a Newton
#: failure).
BLOW_UP_STATUSES = (NONFINITE_STATE, SINGULAR_MATRIX, NEWTON_NOT_CONVERGED)

#: Growth of a state over its start (per component, against the start's size or 1, whichever is larger) from which a
#: failure shows a blow-up.  Not less: a set point swept across 0 whose row ran out of steps on a fast, bounded
#: oscillation opened with "check its sign" (a regression hunt).
GROWTH_SHOWN = 100.0


def grew(states, start, nonfinite=False):
    """Whether a state of ``states`` (rows of states, or one) is :data:`GROWTH_SHOWN` times its ``start`` or more in
    some component (against ``|start|``, 1 at least); a non-finite state counts where ``nonfinite`` (a state the
    failure reached; a save left NaN is one it did not reach)."""
    states = np.atleast_2d(np.asarray(states, np.float64))
    start = np.asarray(start, np.float64).reshape(-1)
    finite = np.isfinite(states)
    if nonfinite and not finite.all():
        return True
    peak = np.max(np.where(finite, np.abs(states), 0.0), axis=0, initial=0.0)
    return bool(np.any(peak >= GROWTH_SHOWN * np.maximum(np.abs(start), 1.0)))


def blew_up(code, saved, start, followed):
    """Whether a trajectory that failed with status ``code`` failed as a rate given negative makes one fail: one of
    :data:`BLOW_UP_STATUSES`, a ``saved`` state (its saves, NaN where not reached) grown from ``start``
    (:func:`grew`), or a step size underflow where the host could not follow the trajectory (not ``followed``).

    Why the underflow only there: where dt_min is 0 it is a finite-time blow-up or a jump of the rhs, and where the
    host follows the trajectory (:mod:`kernels.rhs_hint`), its stop says which (:func:`stop_sign_note`: K = -5 in a
    Rosenzweig-MacArthur sweep of [2, -5, 8] stopped at a prey of 2.7e14, with no save or a 74-fold one, and the
    message never named K, a user's trial); where the host gets past, a dt_min too large for a fast oscillation
    stopped it (a set point swept across 0 was told to check its sign: a hunt).  A row that ran out of steps on a
    bounded oscillation did not blow up either."""
    code = int(code)
    return code in BLOW_UP_STATUSES or (code == STEP_SIZE_UNDERFLOW and not followed) or grew(saved, start)


def stop_sign_note(system, params, row, start, stop):
    """:func:`lone_negative_note` for ``params[row]`` where ``stop``, the state at which a host follow of a failed
    trajectory from ``start`` stopped with no step it could take, grew from it (:func:`grew`; non-finite counts):
    a stop the solution ran away to is a finite-time blow-up, which a rate given negative makes, where a stop at a
    switch of the rhs keeps the state where it was; '' otherwise or where it cannot be judged."""
    try:
        return lone_negative_note(system, params, row) if grew(stop, start, nonfinite=True) else ""
    except Exception:  # noqa: BLE001 - a message must never fail: the hint alone
        return ""
