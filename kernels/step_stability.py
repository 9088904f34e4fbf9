"""Whether a fixed step keeps an explicit method stable at a state: every mode of the Jacobian, not only decay.

An explicit Runge-Kutta step multiplies a mode ``exp(lambda t)`` of the linearised problem by its stability
polynomial ``R(lambda dt)`` each step.  Where ``|R| > 1`` for a mode that does not grow in the exact solution
(``Re lambda <= 0``), the run amplifies it without bound: a decaying mode past the method's real-axis
boundary (rk4 at dt 0.05 on ``y' = -1000 (y - cos t) - sin t``: -5.8e102 at t = 1) or an oscillation past its
imaginary-axis reach (rk4 on ``x'' = -1e6 x`` at dt 0.01: 7.8e262), both ending finite with success.
:func:`judge_fixed_step` finds the worst such mode at one state (host, float64), from the eigenvalues of the
Jacobian (:func:`kernels.stiffness.host_jacobian`), and the largest stable step along its ray.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import numpy as np

__all__ = ["Amplified", "UnstableStep", "stability_polynomial", "judge_fixed_step", "GROWTH_LIMIT"]

#: Growth over the run (``|R|`` to the power of the steps) from which a mode counts as unstable: a mode that does
#: not grow, grown tenfold, is a result off by an order of magnitude wherever the mode is present.  It was 100,
#: and tsit5 at dt 0.06 on ``y' = [[0, 50], [-50, 0]] y`` over [0, 1] ended 80 times too large with success and no
#: word (|R| = 1.27 for 17 steps, 54-fold; an accuracy audit).
GROWTH_LIMIT = 10.0
#: ... where each step grows it by at least this factor; a mode amplified less a step counts from 100-fold (the
#: Jacobian at the start stands for the whole run, and a transient fast mode, a logistic decay from 5 under rk4 at
#: dt 0.3125, |R| = 1.04 for 64 steps, ended 3e-10 off: a regression hunt).
STEP_GROWTH = 1.1
SLOW_GROWTH_LIMIT = 100.0
_DENSE_LIMIT = 256  # eigenvalues of a dense Jacobian only up to this size


@dataclasses.dataclass(frozen=True)
class Amplified:
    """The worst non-growing mode a fixed step amplifies: its eigenvalue, ``|R(lambda dt)|`` and the largest
    stable step along ``lambda``'s ray (0 when none is: the method's region misses that direction near 0)."""

    eigenvalue: complex
    factor: float
    stable_dt: float


class UnstableStep(NamedTuple):
    """A fixed step's stability verdict on a batch, kept with the check's memo and the solve's result (plain numbers,
    so results pickle; :func:`kernels.result_notes.unstable_step_note` reads it): ``dt``, the method's name, the
    ``probed`` rows (sorted), ``unstable`` ``((row, stable_dt), ...)`` for each probed row whose initial state ``dt``
    amplifies (:func:`judge_fixed_step`; ``stable_dt`` 0 where no step is stable), and ``start``: each trajectory's
    largest ``|y0|`` (float64, one per row of ``y0``), added per solve (None in the memo)."""

    dt: float
    method: str
    probed: tuple
    unstable: tuple
    start: object = None


def stability_polynomial(tableau):
    """Coefficients (lowest first) of an explicit tableau's ``R(z) = 1 + sum_k (b^T A^(k-1) 1) z^k``."""
    a, b = np.array(tableau.a, dtype=float), np.array(tableau.b, dtype=float)
    coefficients, power = [1.0], np.ones(len(b))
    for _ in range(len(b)):
        coefficients.append(float(b @ power))
        power = a @ power
    return np.array(coefficients)


def _stable_dt(coefficients, eigenvalue, dt, points=400):
    """The largest step ``s <= dt`` with ``|R(s lambda)| <= 1`` at every step below it: the first unstable
    point of a geometric grid from ``dt / 1e6``, refined by bisection (0 when the grid's smallest step is
    already unstable)."""
    def stable(s):
        return abs(np.polynomial.polynomial.polyval(s * eigenvalue, coefficients)) <= 1.0 + 1e-12

    steps = dt * np.geomspace(1e-6, 1.0, points)
    unstable = [k for k, s in enumerate(steps) if not stable(s)]
    if not unstable:
        return dt
    if unstable[0] == 0:
        return 0.0
    low, high = steps[unstable[0] - 1], steps[unstable[0]]
    for _ in range(40):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if stable(middle) else (low, middle)
    return float(low)


def judge_fixed_step(system, tableau, t, y, p, dt, n_steps):
    """An :class:`Amplified` when a fixed ``dt`` of the explicit ``tableau`` grows a non-growing mode of the
    Jacobian at ``(t, y)`` by more than :data:`GROWTH_LIMIT` over ``n_steps``, else None (also for a system
    too large for dense eigenvalues, or a Jacobian that is not finite).  A differenced column across a jump of
    ``rhs`` (``sign(v)`` at ``v = 0``) is no mode: it is differenced past the jump before a verdict
    (:func:`kernels.discontinuity.jump_aware_jacobian`)."""
    from .stiffness import host_jacobian

    if system.n_states > _DENSE_LIMIT:
        return None
    y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
    coefficients = stability_polynomial(tableau)
    with np.errstate(all="ignore"):
        eigenvalues = _eigenvalues(host_jacobian(system, t, y, p))
        found = _worst_mode(eigenvalues, coefficients, dt, n_steps)
        # A jump also shows as a huge growing "mode" (y0 exactly at `if x > 0.5`, the stiff branch active there:
        # the forward difference read +3e11, no warning, a regression hunt): judged past the jump too
        fast = eigenvalues is not None and np.max(np.abs(eigenvalues)) * dt > 1.0  # a mode of any sign past 1 / dt
        if system.jac is None and (found is not None or fast):
            from .discontinuity import jump_aware_jacobian

            jac, columns = jump_aware_jacobian(system, t, y, p)
            if columns:
                found = _worst_mode(_eigenvalues(jac), coefficients, dt, n_steps)
    if found is None:
        return None
    lam, factor = found
    return Amplified(lam, factor, _stable_dt(coefficients, lam, dt))


def _eigenvalues(jac):
    """The eigenvalues of ``jac``, None where an entry is not finite."""
    return np.linalg.eigvals(jac) if np.all(np.isfinite(jac)) else None


def _worst_mode(eigenvalues, coefficients, dt, n_steps):
    """``(eigenvalue, |R|)`` of the non-growing mode among ``eigenvalues`` (None: none) that ``dt`` amplifies
    past the limits, or None."""
    if eigenvalues is None:
        return None
    scale = np.abs(eigenvalues)
    candidates = eigenvalues[(eigenvalues.real <= 1e-9 * scale) & (scale > 0)]  # growing modes grow anyway
    if candidates.size == 0:
        return None
    factors = np.abs(np.polynomial.polynomial.polyval(candidates * dt, coefficients))
    worst = int(np.argmax(factors))
    factor = float(factors[worst])
    growth = max(1, int(n_steps)) * math.log(factor) if factor > 1.0 else 0.0
    if growth <= math.log(GROWTH_LIMIT if factor >= STEP_GROWTH else SLOW_GROWTH_LIMIT):
        return None
    return complex(candidates[worst]), factor
