"""The runaway hint: a trajectory out of steps, or whose implicit solver failed, where its initial state has a mode
growing so fast that the exact solution leaves any number's range within the span.

An epidemiologist's draw with a recovery rate of -60 instead of 1/6 (a sign slip among thousands of draws) grows as
``e^(60 t)`` over 120 days: tsit5 ran out of steps and was told the problem looked stiff (the stiffness test took the
growing mode for a fast one), rodas5p was told to raise ``max_steps``, or, given them, that a Jacobian entry was not
finite near a ``sqrt`` or ``log`` at 0, with the state at 1e282 (a user's trial).  Where the largest real part of the
eigenvalues of the Jacobian at ``(t0, y0)`` (host, float64; :func:`kernels.stiffness.largest_growth`) times the span
is more than :data:`OVERFLOW_EFOLDS`, and SciPy's Radau followed from ``y0`` on the host takes the state past
:data:`RUNAWAY_GROWTH` times its start with the mode still growing at half its rate or more there (a growth that
saturates, Van der Pol with mu = 1000 from near its unstable origin, is no runaway: it was told so, where its
stiffness is the cause; nor is logistic growth to a capacity 1e9 times its start), the message says the solution
grows without bound from its start and asks for the signs and units of the rates, before any other hint
(:func:`kernels.rhs_hint.failure_probe`), opening with the parameter where the trajectory's params row is negative in
a column every other row of the batch has at 0 or above (:mod:`kernels.param_sign`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .param_sign import growth_columns, lone_negative_note
from .status import MAX_STEPS, NEWTON_NOT_CONVERGED, SINGULAR_MATRIX
from .stiffness import HostProbe, follow_on_host, follows_on_host, largest_growth, states_to_probe

__all__ = ["OVERFLOW_EFOLDS", "RUNAWAY_GROWTH", "RUNAWAY_HINT", "RunawayProbe", "runaway_probe"]

#: E-folds over the span past which a mode growing at ``y0`` takes the exact solution out of float64's range
#: (e^709 is its largest number): no tolerance, step count or method can follow it there.
OVERFLOW_EFOLDS = 709.0
#: How far past its largest ``|y0|`` (or 1) the host follow must take the state to confirm a runaway, and the right-
#: hand sides it may spend getting there (the SEIR draw's follow, its Jacobian differenced, reached 1.3e11 in 3000).
RUNAWAY_GROWTH = 1e6
FOLLOW_EVALUATIONS = 3000

RUNAWAY_HINT = (" Its initial state has a mode growing at rate {rate:.3g} per unit of t (e-folding time {fold:.3g}): "
                "over the span of {span:.3g} that is {efolds:.3g} e-folds, past any number's range, so the solution "
                "grows without bound and the steps chase it. Check the signs and units of the rate parameters (a "
                "decay or recovery rate given negative, a rate per day given per year), or end the span before the "
                "growth takes it out of range.")


@dataclasses.dataclass(frozen=True)
class RunawayProbe(HostProbe):
    """The solve's host ``system`` and inputs (``y0`` and ``params`` rows; a one-row array is every trajectory's),
    ``t0`` and ``t_end``: :data:`RUNAWAY_HINT` for a failed trajectory whose start grows past
    :data:`OVERFLOW_EFOLDS` e-folds over the span."""

    # a non-finite state or an underflowing step is left to the host follow, which says where it blows up (a
    # finite-time singularity, -2 k H^2 from H < 0, is better told so than as a growing mode)
    STATUSES = (MAX_STEPS, SINGULAR_MATRIX, NEWTON_NOT_CONVERGED)

    system: object
    y0: np.ndarray
    params: np.ndarray
    t0: float
    t_end: float

    def _hint(self, trajectory, t_saved=None, y_saved=None) -> str:
        p, candidates = states_to_probe(self, trajectory)
        _, t, y = candidates[0]
        span = abs(float(self.t_end) - float(self.t0))
        rate = largest_growth(self.system, t, y, p, backwards=self.t_end < self.t0)
        if not (np.isfinite(rate) and rate > 0.0 and rate * span > OVERFLOW_EFOLDS) or not self._runs_away(y, p, rate):
            return ""
        row = min(trajectory, len(self.params) - 1)  # a row negative where the batch's others are not: named first
        grows = growth_columns(self.system, self.params, row, t, y, rate, self.t_end < self.t0)
        return lone_negative_note(self.system, self.params, row, grows) + RUNAWAY_HINT.format(
            rate=rate, fold=1.0 / rate, span=span, efolds=rate * span)

    def _runs_away(self, y0, p, rate) -> bool:
        """Whether SciPy's Radau, followed from ``y0`` on the host, takes the state past :data:`RUNAWAY_GROWTH` times
        its start with its last state's growth still at least half of ``rate`` (not saturating), or out of range."""
        p = np.asarray(p, np.float64)
        jac = self.system.host_jac(p) if self.system.jac is not None else None
        times, states, _ = follow_on_host(self.system.host_rhs(p), float(self.t0), float(self.t_end), y0,
                                          FOLLOW_EVALUATIONS, jac=jac, outcome=True)
        scale = max(float(np.max(np.abs(y0))), 1.0)
        with np.errstate(invalid="ignore"):
            sizes = np.max(np.abs(states), axis=1) if states.size else np.zeros(1)
        if not np.all(np.isfinite(sizes)):
            return True
        if not sizes[-1] > RUNAWAY_GROWTH * scale:
            return False
        last = largest_growth(self.system, float(times[-1]), states[-1], p, backwards=self.t_end < self.t0)
        return bool(last >= 0.5 * rate)


def runaway_probe(system, status, y0, params, t0, t_end):
    """A :class:`RunawayProbe` where a trajectory failed with a status it explains and the host can evaluate
    ``system`` (:func:`kernels.stiffness.follows_on_host`), else None (nothing is evaluated here)."""
    if status is None or not follows_on_host(system):
        return None
    if not np.any(np.isin(np.asarray(status), RunawayProbe.STATUSES)):
        return None
    return RunawayProbe(system, np.array(y0, np.float64), np.array(params, np.float64), float(t0), float(t_end))
