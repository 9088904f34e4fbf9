"""The run's own saved states as probes of the invariants found: a pseudo-invariant's rate shows where the run went.

An alpha-chain network at T9 = 0.3 started its heavy isotopes at 1e-30, beside helium at 0.25, and burnt the helium
to 5e-31: at ``y0``, at the end and at the perturbed probes (:mod:`kernels.invariant_drift`) the terms of couplings
of 1e-14 /s were below every test, and ``y[0] + 3 y[1] + 4.004 y[2]`` was taken for an invariant and said to have
moved 823 tolerances by float64 rounding (a nuclear astrophysicist's trial; it moves 2.4e-4 by itself, the true
``sum A_i Y_i / 4`` 5.6e-17).  Along the saved states, where oxygen and helium meet, its ``c . f`` was 1.5e-16 /s.
"""

from __future__ import annotations

import numpy as np

from .batch_inputs import row_of
from .invariant_drift import SPAN_SHARE, VERIFY_SHARE
from .stiffness import host_jacobian

__all__ = ["PATH_STATES", "held_along_path"]

#: Saved states a probe row is checked at (evenly spread over its saved points, the last included).
PATH_STATES = 16


def _moving(system, invariants, t, y, p, tolerance, span, verify, span_share):
    """Which of ``invariants`` (k, n) have ``c . f`` at ``(t, y, p)`` beyond rounding (``verify`` of
    ``|c| . (|f| + |J| |y|)``) and large enough, over the span, to move ``c . y`` by over ``span_share`` of
    ``tolerance`` (the combination's, at the row's ``y0``): k bools, all False where the rhs or Jacobian is not finite
    there (nothing to tell).  The rhs and its Jacobian are evaluated once for all of them."""
    f = np.asarray(system.evaluate_rhs(float(t), y, p), np.float64)
    jac = host_jacobian(system, float(t), y, p)
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(jac))):
        return np.zeros(len(invariants), bool)
    rate = np.abs(invariants @ f)
    rounding = verify * (np.abs(invariants) @ (np.abs(f) + np.abs(jac) @ np.abs(y))) + np.finfo(float).tiny
    return (rate > rounding) & (rate * span > span_share * (np.abs(invariants) @ tolerance))


def held_along_path(system, invariants, t0, t_end, y0, params, y, times, rows, rtol, atol, verify=VERIFY_SHARE,
                    span_share=SPAN_SHARE):
    """The ``invariants`` (k, n) whose ``c . f`` is rounding, or too small to move ``c . y`` (:func:`_moving`),
    at up to :data:`PATH_STATES` saved states of each of ``rows`` (host ``y``: (N, n_saved, n), saved at ``times``;
    ``y0``, ``params``: (N or 1, ...)).  None (not judged) stays None; without the save times nothing is checked.  Never raises: a state whose rhs fails tells
    nothing."""
    if (invariants is None or y is None or np.ndim(y) != 3 or not len(invariants) or times is None
            or len(times) != np.shape(y)[1]):
        return invariants
    n_saved, span = np.shape(y)[1], abs(float(t_end) - float(t0))
    picks = np.unique(np.linspace(0, n_saved - 1, min(PATH_STATES, n_saved)).round().astype(int))
    keep = np.ones(len(invariants), bool)
    with np.errstate(all="ignore"):
        for i in rows:
            y0_i = np.asarray(row_of(y0, i), np.float64)
            p_i = np.asarray(row_of(params, i), np.float64)
            tolerance = np.broadcast_to(np.asarray(atol, np.float64) + np.asarray(rtol, np.float64) * np.abs(y0_i),
                                        y0_i.shape)
            for k in picks:
                state = np.asarray(y[i, k], np.float64)
                if not np.all(np.isfinite(state)):
                    continue
                try:
                    keep &= ~_moving(system, invariants, times[k], state, p_i, tolerance, span, verify, span_share)
                except Exception:  # noqa: BLE001 - the user's rhs failing here tells nothing
                    continue
    return invariants[keep]
