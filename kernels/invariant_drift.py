"""The invariant-drift check: a run whose rounding moved a linear invariant of its system by many tolerances.

Three user trials: float32 ``rodas5p``, ``rodas4`` and ``ros3p`` ended a one-step global combustion model (3 states:
fuel, oxygen, temperature) 12 to 20 tolerances off with status SUCCESS and no warning (``Y_O2 = 0.0200041`` where
mass conservation gives 0.02 exactly).  No cheap test at ``y0`` predicts it, but the damage shows in a linear
invariant: where ``c . f(t, y) = 0`` for every ``t`` and ``y``, every Runge-Kutta and Rosenbrock method (with an exact
or differenced Jacobian and direct linear solves) keeps ``c . y`` exactly in exact arithmetic, so its change over a
run is rounding alone, and a lower bound of the run's error in that combination.  The model's ``Y_O2 - 4 Y_F``
moved by 4.5e-6, 22 final tolerances, in float32 ``rodas5p``, and by about 1e-15 in float64.

1. :func:`find_invariants` (host, float64, once a solve): the directions ``c`` whose ``c^T J`` is within the
   Jacobian's error column by column (:func:`_rhs_and_scale`; the system's ``jac``, else differences of ``rhs``:
   :func:`kernels.stiffness.host_jacobian`) at every probe state, their coefficients fitted to all the probes at
   once and cleared of what the error bound left in them (:func:`kernels.invariant_basis.refined`: Tyson's
   cell cycle, rates of 1e6 beside 1, gave ``6.7e6 (C2 + CP + pM + M) + Y - 25.1 YP``, and its float32 runs 290
   tolerances off went unwarned), kept only where ``c . f`` vanishes at each: ``y0``
   of a few rows (their params), their final states, and random perturbations of ``y0`` that move states at 0 off
   it (a state at 0 that zeroes a column of the Jacobian makes a left null vector that is no invariant).
   "Vanishes": within :data:`VERIFY_SHARE` of the rhs's rounding scale there, and moving ``c . y`` by under
   :data:`SPAN_SHARE` of its tolerance over the span at that rate.  Where the :data:`HOLDOUT` probes (perturbed
   states of the last row at other times) find a direction the others did not, nothing is judged: a Kuramoto sweep
   from K = 0 zeroed row 0's Jacobian, and 8 probes left false invariants "moved" by up to 9e5 tolerances.  Cost: a
   Jacobian and an rhs a probe state (at most :data:`PROBE_STATES`), up to :data:`MAX_STATES` states, no drivers.
2. :func:`measure_drift`: for each trajectory that ended with SUCCESS (its last saved state) or at a terminal event
   (``event_y``), ``|c . (y_end - y0)|`` over the tolerance of the combination, ``sum_k |c_k| (atol_k + rtol_k
   |y_end,k|)``, less what the coefficients' own error can explain; vectorised (one product of (N, n) by (n, k)).
   A row beyond :data:`DRIFT_TOLERANCES` is judged by an invariant only where that invariant holds at the row's own
   params (:func:`confirmed_drift`): one found at some rows' params (a coupling of 0) may not be one at another's.
   Every combination of the invariants is one, and the basis is only one choice of them: where a combination
   drifted past the threshold and past every basis vector, it is written on as few states as it needs and measured
   with them (:func:`drifting_combinations`: a dark-cloud network's charge, mixed into its elements' vectors).
3. :func:`warn_invariant_drift`: one :class:`kernels.ToleranceWarning` a solve where some drift exceeds
   :data:`DRIFT_TOLERANCES`, naming the invariant (state names where the system has them), the largest drift, the
   likely cause and the remedies; :func:`invariant_note` adds one sentence to those trajectories' messages (both,
   with the :class:`InvariantDrift` record, in :mod:`kernels.invariant_report`).

Not judged (no warning, no note): fixed steps (no tolerance), matrix-free linear solvers (their inexact solves move
``c . y`` by design), a ``jac`` or pattern found wrong (already warned of), inputs on the device, drivers, more than
:data:`MAX_STATES` states, an rhs the host cannot evaluate, a result without saved states (but for event stops).
"""

from __future__ import annotations

import numpy as np

from .invariant_basis import echelon as _echelon
from .invariant_basis import left_null as _left_null
from .invariant_basis import refined
# the record, its threshold and the words of the warning and note: kernels.invariant_report (importable here too)
from .invariant_report import DRIFT_TOLERANCES, InvariantDrift, invariant_note, joined_drift, warn_invariant_drift
from .named_states import state_names
from .status import EVENT, SUCCESS
from .stiffness import difference_steps, host_jacobian

__all__ = ["DRIFT_TOLERANCES", "MAX_STATES", "InvariantDrift", "find_invariants", "invariant_label", "measure_drift",
           "drift_table", "drifting_combinations", "confirmed_drift", "solve_drift", "warn_invariant_drift",
           "invariant_note", "joined_drift"]

#: Largest system judged: the check costs a Jacobian (``n_states + 1`` rhs where differenced) a probe state.
MAX_STATES = 200

#: ``|c^T J_j|`` below this share of ``|J_j|`` for each column ``j`` (2-norms, ``c`` a unit vector) at every probe state
#: makes ``c`` a candidate invariant; the probes' ``c . f`` then sort true from accidental ones.  Column by column: one
#: share of the whole ``|J|`` (1.4e6 in Tyson's cell cycle) let every column under 1.4 constrain nothing.
NULL_SHARE = 1e-6

#: Column ``j`` of an invariant's differenced ``c^T J`` is rounding alone (``c . f`` vanishes at ``y`` and ``y +
#: delta_j e_j``), taken as this times ``|scale| / delta_j`` over the rows the difference changed (the others are
#: exactly 0; measured over all rows: at most 0.15 eps times it, 7 networks of 3 to 50 states).  At a state of 1e-3
#: beside states of 1 it is 1e-5 of ``|J|``, over :data:`NULL_SHARE`.
DIFFERENCE_ROUNDING = 4.0 * np.finfo(np.float64).eps

#: ``|c . f|`` at a probe state, over ``|c| . (|f| + |J| |y|)`` there (what rounding leaves of the rhs's terms), above
#: which ``c`` is no invariant; float64 rounding is 1e-16 of it, a slow mode is far above.
VERIFY_SHARE = 1e-9

#: ``|c . f|`` at a probe state times the span, over the combination's tolerance at ``y0``, above which ``c . y``
#: could move by itself during the run: no invariant to judge the run by.
SPAN_SHARE = 1e-2

#: Probe rows of ``y0`` (with their final states), random perturbations of row 0's ``y0``, and perturbations of the
#: last row's ``y0`` at a quarter and three quarters of the span held out to test that the others pin the invariants
#: down (:func:`_pinned`).
PROBE_ROWS = 3
PERTURBED = 2
HOLDOUT = 2
PROBE_STATES = 2 * PROBE_ROWS + PERTURBED + HOLDOUT

#: Rows beyond :data:`DRIFT_TOLERANCES` an invariant is confirmed at (their own params, at ``y0`` and at the end),
#: largest drift first (:func:`confirmed_drift`); where one fails, the rows past these are not judged by it either.
CONFIRMED_ROWS = 8
#: Rows fitted by :func:`drifting_combinations` at most, evenly spaced over the batch (79 ms; 65536 rows took 556).
FIT_ROWS = 4096

#: Relative error assumed of the invariants' coefficients where they are not rounded (:func:`_snapped`), with the
#: system's ``jac`` and with a differenced Jacobian (measured: 7e-12 and 2e-10): a drift it can explain is not counted.
COEFFICIENT_ERROR = {True: 1e-9, False: 1e-7}

_SEED = 20260306
_ROSENBROCK = "rosenbrock"


# -- finding the invariants ---------------------------------------------------------------------------------------
def _probe_rows(n_rows):
    """Up to :data:`PROBE_ROWS` distinct row indices spread over ``n_rows`` (first, middle, last)."""
    return sorted({0, n_rows // 2, n_rows - 1})[:PROBE_ROWS]


def _perturbed(y, rng):
    """``y`` moved by up to 5 % of each component, and components at 0 set to a small positive value (1e-3 of the
    largest ``|y|``, at most 1e-3): a state at 0 that zeroes a term must not hide that term from the probes."""
    typical = min(float(np.max(np.abs(y))) or 1.0, 1.0)
    moved = y * (1.0 + 0.05 * rng.uniform(-1.0, 1.0, y.shape))
    return np.where(y != 0.0, moved, 1e-3 * typical * rng.uniform(0.5, 1.0, y.shape))


def _row(array, i):
    """Row ``i`` of ``array`` as float64 (a one-row array serves every row)."""
    return np.array(array[min(i, len(array) - 1)], np.float64)


def _probe_states(t0, t_end, y0, params, finals):
    """``(t, y, p, kind)`` float64 probe states: ``y0`` of a few rows at ``t0``, a few finite rows of ``finals``
    (aligned with the batch) at ``t_end`` with their own params (kind ``"path"``), perturbations of row 0's ``y0`` at
    ``t0`` and mid-span (``"perturbed"``), and of the last row's at a quarter and three quarters of the span
    (``"holdout"``)."""
    n_rows = max(len(y0), len(params))
    states = [(t0, _row(y0, i), _row(params, i), "path") for i in _probe_rows(n_rows)]
    if finals is not None:
        ended = np.flatnonzero(np.all(np.isfinite(finals), axis=1))
        picked = ended[_probe_rows(len(ended))] if len(ended) else ()
        states += [(t_end, _row(finals, i), _row(params, i), "path") for i in picked]
    rng = np.random.default_rng(_SEED)
    states += [(t, _perturbed(_row(y0, 0), rng), _row(params, 0), "perturbed")
               for t in (t0, 0.5 * (t0 + t_end))][:PERTURBED]
    states += [(t0 + share * (t_end - t0), _perturbed(_row(y0, n_rows - 1), rng), _row(params, n_rows - 1), "holdout")
               for share in (0.25, 0.75)][:HOLDOUT]
    return states


def _rhs_and_scale(system, t, y, p):
    """``(f, scale, null)`` at ``(t, y, p)``: the rhs, the size of its terms, ``|f| + |J| |y|`` (what its float64
    rounding is a share of), and the Jacobian over the ``c^T J`` a unit invariant ``c`` may show, column by column:
    :data:`NULL_SHARE` of the column's ``|J_j|`` (a small Jacobian, or a small column beside rates of 1e6, counts as
    much), and a differenced one's rounding (:data:`DIFFERENCE_ROUNDING`, over the rows that column's difference
    changed); None where any is not finite."""
    f = np.asarray(system.evaluate_rhs(float(t), y, p), np.float64)
    if not np.all(np.isfinite(f)):
        return None
    jac = host_jacobian(system, float(t), y, p)
    if not np.all(np.isfinite(jac)):
        return None
    scale, error = np.abs(f) + np.abs(jac) @ np.abs(y), NULL_SHARE * np.linalg.norm(jac, axis=0)
    if system.jac is None:
        moved = np.sqrt((scale * scale) @ (jac != 0.0))  # (the rows a column's difference changed: others are 0)
        error = np.maximum(error, DIFFERENCE_ROUNDING * moved / difference_steps(y))
    return f, scale, jac / np.where(error > 0.0, error, 1.0)


def _kept(candidates, probes, span, tolerance0):
    """The rows of the candidates' span that pass every probe ``(f, scale, on_path, held_out)``: first the subspace
    whose stacked, scaled ``c . f`` vanish (SVD), then each vector by the tests of :func:`find_invariants` (the span's
    only at the states on the run's path: a perturbed state's rates can be far from any the run meets); None where
    the probes do not pin the subspace down (:func:`_pinned`).  First, the candidates' :func:`_echelon` vectors that
    round to an invariant (:func:`_snapped` within :data:`VERIFY_SHARE`) replace their share of the basis: a
    differenced Jacobian leaves 1e-9 to 1e-7 in the coefficients, as much in ``c . f`` (A <-> B <-> C lost A+B+C)."""
    held, probes = np.array([held for *_, held in probes], bool), [probe[:3] for probe in probes]
    exact = [r for c in _echelon(candidates) for r in [_snapped(c, probes, VERIFY_SHARE)] if r is not c]
    if exact:
        q = np.linalg.qr(np.array(exact).T)[0].T
        rest = np.linalg.svd(candidates - (candidates @ q.T) @ q, full_matrices=False)[2]
        candidates = np.vstack([q, rest[:len(candidates) - len(q)]])
    rows = np.array([(candidates @ f) / max(np.linalg.norm(scale), np.finfo(float).tiny) for f, scale, _ in probes])
    if not _pinned(rows, held):
        return None
    _, s, vt = np.linalg.svd(rows)  # (all of vt: the directions past the probes' count are null too)
    s = np.concatenate([s, np.zeros(len(vt) - len(s))])
    basis = vt[s <= VERIFY_SHARE] @ candidates
    if not len(basis):
        return basis
    basis = [_snapped(c, probes) for c in _echelon(basis)]
    good = [c for c in basis if _tested(c, probes)
            and all(abs(c @ f) <= VERIFY_SHARE * (np.abs(c) @ scale) + np.finfo(float).tiny
                   and (not on_path or abs(c @ f) * span <= SPAN_SHARE * (np.abs(c) @ tolerance0))
                   for f, scale, on_path in probes)]
    return np.array(good).reshape(-1, candidates.shape[1])


def _pinned(rows, held_out):
    """Whether the probes pin the invariants down: the held-out probes' scaled ``c . f`` (``rows[held_out]``) add no
    direction to those of the others.  Where they do, the others are too few for the candidates (a zero Jacobian
    makes every direction one: a coupling of 0, or a forcing in t alone), and more probes could rule out what they
    leave; the check then says nothing rather than take an accident for an invariant."""
    rank = [np.sum(np.linalg.svd(r, compute_uv=False) > VERIFY_SHARE) if len(r) else 0 for r in (rows, rows[~held_out])]
    return not held_out.any() or rank[0] <= rank[1]


def _tested(c, probes):
    """Whether ``c`` met a flow in its own components (``|c| . scale > 0``) at a probe on the run's path and at a
    perturbed one: an infusion written in the rhs (a pulse in t, 0 at every probe time, and no y in it) left
    ``f = 0`` at every probe, and its state was taken for an invariant, 1e8 tolerances off (a regression hunt)."""
    met = [bool(np.abs(c) @ scale > 0.0) for _, scale, _ in probes]
    return any(m for m, (_, _, on_path) in zip(met, probes) if on_path) and any(
        m for m, (_, _, on_path) in zip(met, probes) if not on_path)


def _snapped(c, probes, within=None):
    """``c`` with its coefficients rounded to the fewest significant digits, 4 to 9, that move none by over 1e-6 and
    fit the probes as well (largest ``|c . f| / |c| . scale`` at most ``within``, else at most ``c``'s): 4, not the
    4.00000000003 of an SVD, nor a differenced Jacobian's 1.00000016, so a drift is no artefact of the coefficients;
    else ``c``."""
    def worst(v):
        return max(abs(v @ f) / ((np.abs(v) @ scale) or 1.0) for f, scale, _ in probes)
    magnitude = np.floor(np.log10(np.where(c != 0.0, np.abs(c), 1.0)))
    allowed = worst(c) + 1e-15 if within is None else within
    for digits in range(4, 10):
        step = 10.0 ** np.abs(digits - 1 - magnitude)  # (as np.round(value, decimals) rounds, for all at once)
        rounded = np.where(digits - 1 - magnitude >= 0, np.round(c * step) / step, np.round(c / step) * step)
        if np.all(np.abs(rounded - c) <= 1e-6 * np.abs(c)) and worst(rounded) <= allowed:
            return rounded
    return c


def find_invariants(system, t0, t_end, y0, params, finals=None, rtol=1e-6, atol=1e-6):
    """The linear invariants of ``system`` as rows ``c`` (k, n_states) float64 (none: shape (0, n_states)): left null
    vectors of the Jacobian at row 0's ``(t0, y0, params)`` and at every probe state (:func:`_probe_states`;
    ``finals``: the run's final states, (N, n_states) aligned with the rows, NaN where not judged, or None), verified
    there (:func:`_kept`); or None where the host cannot tell (an rhs or Jacobian not finite at row 0, no perturbed
    probe finite, an error raised by the user's functions, probes that do not pin the invariants down).  ``rtol`` and
    ``atol`` (scalars or per state) give the span test its scale."""
    y0, params = np.atleast_2d(np.asarray(y0, np.float64)), np.atleast_2d(np.asarray(params, np.float64))
    n = system.n_states
    try:
        with np.errstate(all="ignore"):  # (not warnings.catch_warnings: it resets every warning's once-registry)
            states = _probe_states(t0, t_end, y0, params, finals)
            probes = [_rhs_and_scale(system, *states[0][:3])]  # row 0 at t0
            if probes[0] is None:
                return None
            candidates = _left_null(np.eye(n), [probes[0][2]])
            if not len(candidates):  # (most systems: one Jacobian, and done)
                return candidates
            probes += [_rhs_and_scale(system, t, y, p) for t, y, p, _ in states[1:]]
    except Exception:  # noqa: BLE001 - the check must never fail a solve: not judged
        return None
    if all(probe is None for probe, (*_, kind) in zip(probes, states) if kind != "path"):
        return None
    kept = [(probe, kind) for probe, (*_, kind) in zip(probes, states) if probe is not None]
    candidates = _left_null(candidates, [probe[2] for probe, _ in kept[1:]])
    if not len(candidates):
        return candidates
    nulls = [probe[2] for probe, _ in kept]
    candidates = refined(candidates, nulls)
    tolerance0 = np.asarray(atol, np.float64) + np.asarray(rtol, np.float64) * np.abs(y0[0])
    return _kept(candidates, [(f, scale, kind == "path", kind == "holdout") for (f, scale, _), kind in kept],
                 abs(float(t_end) - float(t0)), np.broadcast_to(tolerance0, (n,)))


# -- writing them out ---------------------------------------------------------------------------------------------
def _coefficient(value):
    """A coefficient as the label writes it: integers plainly, others to 4 significant digits."""
    rounded = round(value)
    return str(int(rounded)) if abs(value - rounded) <= 1e-6 * max(1.0, abs(value)) else f"{value:.4g}"


def invariant_label(c, names=None):
    """``c`` written out: ``"4 y[0] - y[1]"``, or with the state names (``"4 Y_F - Y_O2"``)."""
    terms = []
    for k in np.flatnonzero(c):
        name = names[k] if names is not None else f"y[{k}]"
        size = _coefficient(abs(float(c[k])))
        term = name if size == "1" else f"{size} {name}"
        terms.append(("-" if c[k] < 0 else "+", term))
    text = " ".join(f"{sign} {term}" for sign, term in terms).removeprefix("+ ")
    return text.replace("- ", "-", 1) if text.startswith("- ") else text


# -- measuring the drift ------------------------------------------------------------------------------------------
def ends(status, y, event_y):
    """``(rows, y_end)``: the trajectories judged (status SUCCESS with a saved last state; EVENT with a finite
    ``event_y``) and their end states (float64), from host arrays; None where none can be judged."""
    status = np.asarray(status)
    y_end = np.full((status.shape[0], 0), np.nan)
    if y is not None and np.ndim(y) == 3 and np.shape(y)[1]:
        y_end = np.array(y[:, -1], np.float64)
    elif event_y is not None:
        y_end = np.full(np.shape(event_y), np.nan)
    if not y_end.shape[1]:
        return None
    judged = status == SUCCESS
    if event_y is not None:
        stopped = (status == EVENT) & np.all(np.isfinite(event_y), axis=1)
        y_end[stopped] = np.asarray(event_y, np.float64)[stopped]
        judged |= stopped
    judged &= np.all(np.isfinite(y_end), axis=1)
    return (np.flatnonzero(judged), y_end) if np.any(judged) else None


def drift_table(invariants, y0, y_end, rtol, atol, analytic=True):
    """(N, k): each row's ``|c . (y_end - y0)|`` over ``sum_k |c_k| (atol_k + rtol_k |y_end,k|)`` for each of the
    ``invariants`` (k, n), less what :data:`COEFFICIENT_ERROR` of ``c`` explains (0 where not finite).  ``y0`` (N or
    1, n) and ``y_end`` (N, n); vectorised."""
    y0, y_end = np.asarray(y0, np.float64), np.asarray(y_end, np.float64)
    moved = y_end - y0
    size = np.abs(invariants.T)
    return _drift(moved @ invariants.T, np.abs(moved) @ size, _scales(y_end, rtol, atol) @ size, analytic)


def _scales(y_end, rtol, atol):
    """Each row's error scale ``atol + rtol |y_end|``, shaped as ``y_end``."""
    return np.broadcast_to(np.asarray(atol, np.float64) + np.asarray(rtol, np.float64) * np.abs(y_end),
                           np.shape(y_end))


def _drift(change, moved_size, tolerance, analytic):
    """``|c . d|`` (``change``) less what :data:`COEFFICIENT_ERROR` of ``c`` explains (``moved_size``: ``|c| . |d|``),
    over the combination's ``tolerance`` (``|c| . scale``); 0 where not finite: :func:`drift_table`'s measure."""
    noise = COEFFICIENT_ERROR[bool(analytic)] * moved_size
    with np.errstate(divide="ignore", invalid="ignore"):
        drift = np.maximum(np.abs(change) - noise, 0.0) / tolerance
    return np.where(np.isfinite(drift), drift, 0.0)


def _fitted_combinations(invariants, y0, y_end, rtol, atol):
    """(N, n): each row's combination ``c = a . invariants`` whose drift ``c . (y_end - y0)`` is largest over the
    combination's tolerance in the weighted 2-norm, ``a = (B W^2 B^T)^+ B d`` (``W`` the row's ``atol + rtol
    |y_end|`` over its largest, ``d`` its move; one (k, k) solve a row, vectorised), rows of 0 where not finite."""
    k, n = invariants.shape
    moved = np.asarray(y_end, np.float64) - np.asarray(y0, np.float64)
    weight = _scales(y_end, rtol, atol)
    largest = np.max(weight, axis=1, keepdims=True)
    weight = weight / np.where(largest > 0.0, largest, 1.0)
    with np.errstate(all="ignore"):
        gram = ((weight * weight) @ (invariants[:, None, :] * invariants[None, :, :]).reshape(k * k, n).T)
        a = np.einsum("rij,rj->ri", np.linalg.pinv(gram.reshape(-1, k, k), rcond=1e-12, hermitian=True),
                      moved @ invariants.T)
    combined = a @ invariants
    return np.where(np.all(np.isfinite(combined), axis=1, keepdims=True), combined, 0.0)


def _whole(c):
    """``c`` with coefficients within 1e-9 of an integer (relative) made that integer: an echelon form of integer
    invariants leaves 1e-16 in them."""
    rounded = np.round(c)
    return np.where(np.abs(c - rounded) <= 1e-9 * np.maximum(np.abs(c), 1.0), rounded, c)


def drifting_combinations(invariants, y0, y_end, rtol, atol, analytic=True):
    """``invariants`` (k, n) with, after them, the combinations of them that drifted most in rows where no one of
    them shows it: the :func:`drift_table` of a single basis vector depends on the basis, and a conserved total of
    small states can come mixed with large ones into no vector of its own (a 60-species dark-cloud network: its charge,
    ions and electrons at 1e-4 and below, came as ``2 H + 4 H2 + ... + 8 e-``, H2 at 0.5, and its float32 radau
    drift of 8.6 tolerances read as 0.04).  Each row's best combination in the weighted 2-norm
    (:func:`_fitted_combinations`) is measured by :func:`drift_table`; for the rows where it passes
    :data:`DRIFT_TOLERANCES` and every basis vector's drift (the first :data:`CONFIRMED_ROWS`, largest first), the
    basis is put in :func:`kernels.invariant_basis.echelon` form pivoting first on the states where that combination
    is smallest beside their tolerance, which writes it as few states' invariant (the charge alone), and the vector
    of that form drifting most there is added where it drifts more than the basis vectors.  ``y0`` (N or 1, n),
    ``y_end`` (N, n); costs one (k, k) solve a row, and one echelon form a row added."""
    invariants = np.asarray(invariants, np.float64)
    if invariants.ndim != 2 or len(invariants) < 2:
        return invariants
    y0, y_end = np.asarray(y0, np.float64), np.asarray(y_end, np.float64)
    y0 = np.broadcast_to(y0, y_end.shape)
    if len(y_end) > FIT_ROWS:  # rounding's drift is systematic, seen in rows all over the batch: evenly spaced ones
        keep = np.unique(np.linspace(0, len(y_end) - 1, FIT_ROWS).round().astype(np.int64))
        y0, y_end = y0[keep], y_end[keep]
    basis = np.max(np.nan_to_num(drift_table(invariants, y0, y_end, rtol, atol, analytic)), axis=1)
    combined = _fitted_combinations(invariants, y0, y_end, rtol, atol)
    moved, size, scale = y_end - y0, np.abs(combined), _scales(y_end, rtol, atol)
    drift = _drift(np.sum(moved * combined, axis=1), np.sum(np.abs(moved) * size, axis=1),  # each row's own
                   np.sum(scale * size, axis=1), analytic)
    rows = np.flatnonzero((drift > DRIFT_TOLERANCES) & (drift > basis))
    rows = rows[np.argsort(-drift[rows], kind="stable")][:CONFIRMED_ROWS]
    added = []
    for i in rows:
        size = np.abs(combined[i]) / np.max(np.abs(combined[i]))
        with np.errstate(divide="ignore", invalid="ignore"):
            sizes = np.where(size > 0.0, scale[i] / size, np.inf)
        vectors = np.array([_whole(c) for c in _echelon(invariants, sizes)])
        if not len(vectors):
            continue
        table = drift_table(vectors, y0[i:i + 1], y_end[i:i + 1], rtol, atol, analytic)[0]
        best = vectors[int(np.argmax(table))]
        known = np.vstack([invariants, *added]) if added else invariants
        unit = best / np.linalg.norm(best)
        parallel = np.abs(known @ unit) >= (1.0 - 1e-12) * np.linalg.norm(known, axis=1)
        if np.max(table) > basis[i] and not np.any(parallel):
            added.append(best[None])
    return np.vstack([invariants, *added]) if added else invariants


def _largest(table):
    """``(drift, which)``: each row's largest entry of ``table`` (N, k) and its column; NaN and -1 where the row's
    entries are all NaN (no invariant judges it)."""
    judged = ~np.all(np.isnan(table), axis=1)
    which = np.where(judged, np.argmax(np.where(np.isnan(table), -np.inf, table), axis=1), -1)
    drift = np.where(judged, table[np.arange(len(table)), np.maximum(which, 0)], np.nan)
    return drift, which


def measure_drift(invariants, y0, y_end, rtol, atol, analytic=True):
    """``(drift, which)``: each row's largest :func:`drift_table` entry among the ``invariants`` (k, n) and that
    invariant's index.  ``y0`` (N or 1, n) and ``y_end`` (N, n); vectorised."""
    return _largest(drift_table(invariants, y0, y_end, rtol, atol, analytic))


def _holds(system, c, t, y, p):
    """Whether ``c`` is an invariant at ``(t, y, p)``: ``c^T J`` within the Jacobian's error (:func:`_rhs_and_scale`)
    and ``c . f`` within :data:`VERIFY_SHARE` of the rhs's rounding scale (False where they are not finite)."""
    probe = _rhs_and_scale(system, t, np.array(y, np.float64), np.array(p, np.float64))
    if probe is None:
        return False
    f, scale, null = probe
    return bool(np.linalg.norm(c @ null) <= np.linalg.norm(c)
                and abs(c @ f) <= VERIFY_SHARE * (np.abs(c) @ scale) + np.finfo(float).tiny)


def confirmed_drift(system, invariants, table, t0, t_end, y0, y_end, params):
    """``table`` (N, k) of :func:`drift_table` with NaN where an invariant is not one at the row's own params: for
    each invariant, its rows beyond :data:`DRIFT_TOLERANCES` (the first :data:`CONFIRMED_ROWS`, largest drift first)
    are checked at their ``(t0, y0)`` and ``(t_end, y_end)`` with their params row (:func:`_holds`); where one fails,
    the invariant depends on the params, so the flagged rows past those are not judged by it either.  ``y0`` (N or 1,
    n), ``y_end`` (N, n) and ``params`` (N or 1, n_params) aligned with the table's rows.  Costs two Jacobians a
    flagged row checked, only where a drift would be warned of."""
    table = np.array(table, np.float64)
    for j, c in enumerate(invariants):
        flagged = np.flatnonzero(table[:, j] > DRIFT_TOLERANCES)
        order = flagged[np.argsort(-table[flagged, j], kind="stable")]
        with np.errstate(all="ignore"):
            failed = [i for i in order[:CONFIRMED_ROWS]
                      if not (_holds(system, c, t0, _row(y0, i), _row(params, i))
                              and _holds(system, c, t_end, _row(y_end, i), _row(params, i)))]
        if failed:
            table[failed, j] = np.nan
            table[order[CONFIRMED_ROWS:], j] = np.nan
    return table


def _cause(method, dtype):
    """The likely cause and remedies of a drift, for ``method`` (a :class:`kernels.Method`) in ``dtype``."""
    if np.dtype(dtype) == np.float32 and method.family == _ROSENBROCK:
        return ("float32 rounding in the Rosenbrock method's linear solves (its stages come straight from them, with "
                "nothing to correct their rounding on a badly scaled problem): use method='radau' in float32, or "
                "precision=np.float64")
    if np.dtype(dtype) == np.float32:
        return ("float32 rounding over the run (tolerances beyond what float32 keeps here): loosen rtol and atol, "
                "or use precision=np.float64")
    return "rounding over the run (tolerances beyond float64's precision): loosen rtol and atol"


def judged(integrator, on_device, suspect):
    """Whether ``integrator``'s solve is judged: adaptive, direct linear solves, its derivatives not found wrong
    (``suspect``), host inputs, no drivers, at most :data:`MAX_STATES` states."""
    system, method = integrator.system, integrator.method
    return (integrator.adaptive and not on_device and suspect is None and not system.n_drivers
            and system.n_states <= MAX_STATES and (method.explicit or integrator.solver.direct))


def solve_drift(integrator, t0, t_end, y0, params, rtol, atol, status, y, event_y, on_device=False, suspect=None,
                t_eval=None):
    """The :class:`InvariantDrift` of a solve by ``integrator`` (host arrays: ``y0``, ``params`` as the kernel saw
    them, the outputs ``status``, ``y`` saved at ``t_eval``, ``event_y``), or None where it is not judged
    (:func:`judged`), no trajectory ended where the check reads it, or the system has no verified invariant (at the
    probes, and along the run's saved states: :mod:`kernels.invariant_path`; never raises)."""
    try:
        from .invariant_path import held_along_path  # (it reads this module's shares)
        found = ends(status, y, event_y) if judged(integrator, on_device, suspect) else None
        if found is None:
            return None
        rows, y_end = found
        system = integrator.system
        finals = np.where(np.isin(np.arange(len(y_end)), rows)[:, None], y_end, np.nan)
        y0_rows, p_rows = np.atleast_2d(np.asarray(y0, np.float64)), np.atleast_2d(np.asarray(params, np.float64))
        invariants = held_along_path(system, find_invariants(system, t0, t_end, y0, params, finals, rtol, atol), t0,
                                     t_end, y0_rows, p_rows, y, t_eval, rows[_probe_rows(len(rows))], rtol, atol)
        if invariants is None or not len(invariants):
            return None
        y0_rows = y0_rows[rows] if len(y0_rows) > 1 else y0_rows
        p_rows = p_rows[rows] if len(p_rows) > 1 else p_rows
        invariants = drifting_combinations(invariants, y0_rows, y_end[rows], rtol, atol, system.jac is not None)
        table = drift_table(invariants, y0_rows, y_end[rows], rtol, atol, system.jac is not None)
        table = confirmed_drift(system, invariants, table, t0, t_end, y0_rows, y_end[rows], p_rows)
        drift, which = np.full(len(y_end), np.nan), np.full(len(y_end), -1, np.int64)
        drift[rows], which[rows] = _largest(table)
        names = state_names(system)
        return InvariantDrift(tuple(invariant_label(c, names) for c in invariants), drift, which,
                              _cause(integrator.method, integrator.dtype))
    except Exception:  # noqa: BLE001 - the check must never fail a solve
        return None
