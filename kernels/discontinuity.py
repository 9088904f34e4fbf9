"""Does the right-hand side jump at a state?  Stick-slip friction, ``sign(v)``, a branch on the state.

Across a jump of size ``J`` a forward difference with increment ``d`` reads ``J / d``: a "rate" that grows
without bound as ``d`` shrinks, which the stability and stiffness checks took for a fast mode (a mass at
rest under Coulomb friction, ``sign(v)`` at ``v = 0``: "decaying mode of rate 6.58e8" for a run that was
stable, and "looks stiff, try an implicit method" for a run no method can finish, SciPy's Radau included: a
user's trial).  :func:`jumps_at` differences ``rhs`` twice, with increments :data:`WIDEN` times apart: across
a jump the quotients differ by that factor, on a smooth rhs (stiff or not) they agree to the curvature's
share, and at a kink (``abs``, ``min``, ``max``) they agree too (each reads one side's slope).
"""

from __future__ import annotations

import numpy as np

from .stiffness import HostProbe, host_jacobian, states_to_probe

__all__ = ["WIDEN", "JUMP_RATIO", "HINT", "jumps_at", "DiscontinuityProbe", "discontinuity_probe"]

#: Ratio of the two increments, and the ratio of the largest difference quotients from which the rhs jumps
#: (``WIDEN`` across a jump; about ``sqrt(WIDEN)`` at a square-root singularity such as ``sqrt(y)`` at 0).
WIDEN = 100.0
JUMP_RATIO = 20.0
#: Largest system looked at (two differenced Jacobians: ``2 n + 1`` right-hand sides).
MAX_STATES = 64
HINT = (" The rhs jumps at {where} (t = {t:.6g}): its difference quotients grow as the increment shrinks, as "
        "across sign(v) or a branch on the state, so the steps stay tiny where the state keeps meeting the switch "
        "(stick-slip friction) and no method, implicit or explicit, finishes: smooth the switch (tanh(v / eps), eps "
        "small against v's scale) or stop at it with an event (terminal) and start the next regime from there.")


def jumps_at(system, t, y, p) -> bool:
    """Whether ``system.rhs`` jumps at ``(t, y)``: its largest forward-difference quotient shrinks by
    :data:`JUMP_RATIO` or more when the increments grow :data:`WIDEN`-fold (host, float64)."""
    if system.n_drivers or system.n_states > MAX_STATES:
        return False
    y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
    if not np.all(np.isfinite(y)):
        return False
    with np.errstate(all="ignore"):
        try:
            near = np.max(np.abs(host_jacobian(system, t, y, p, differences=True)))
            far = np.max(np.abs(host_jacobian(system, t, y, p, differences=True, widen=WIDEN)))
        except (ValueError, ArithmeticError):  # a math domain error of the user's rhs: no verdict
            return False
    return bool(np.isfinite(near) and np.isfinite(far) and near > JUMP_RATIO * far)


class DiscontinuityProbe(HostProbe):
    """:data:`HINT` for a trajectory stopped at MAX_STEPS whose rhs jumps at its initial or last saved state."""

    def __init__(self, system, y0, params, t0):
        from .status import MAX_STEPS

        self.STATUSES = (MAX_STEPS,)
        self.system, self.y0, self.params, self.t0 = system, y0, params, t0

    def _hint(self, trajectory, t_saved=None, y_saved=None):
        p, candidates = states_to_probe(self, trajectory, t_saved, y_saved)
        for what, t, y in candidates:
            if jumps_at(self.system, t, y, p):
                return HINT.format(where=what, t=t)
        return ""


def discontinuity_probe(system, status, y0, params, t0):
    """A :class:`DiscontinuityProbe` when a trajectory stopped at MAX_STEPS and the system can be looked at, else
    None."""
    from .status import MAX_STEPS

    if status is None or system.n_drivers or system.n_states > MAX_STATES or not np.any(
            np.asarray(status) == MAX_STEPS):
        return None
    return DiscontinuityProbe(system, np.array(y0, np.float64), np.array(params, np.float64), float(t0))
