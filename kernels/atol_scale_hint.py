"""The atol-scale hint: a failed trajectory one of whose states stays below its ``atol`` along the whole path.

The error control of an adaptive run weighs each state's error against ``atol + rtol * |y|``; a state whose every
value is below its ``atol`` is held to nothing finer than ``atol`` itself, so an accepted step may move it by about
its own size, to the wrong sign.  Where the model is unstable there (a term like ``-k * y**2``, which drives a state
below 0 further down), the run then follows a branch the true solution never takes, until the step size underflows or
the state is not finite.  Robertson with its rates scaled by 10**0.1 at rtol = atol = 1e-4 (an H100 sweep of 8192
scalings: 0.3 % of rows failed, in float64 and float32): y[1] stays near 3.6e-5 on the true path, an accepted step
at t = 0.19 (error estimate 0.0076 of the tolerance) took it to -7.9e-5, and the run blew up.  Its message told of
dt_min, float64's time resolution and singular solutions, none of them the cause.

For a trajectory that ended with one of :data:`ATOL_STATUSES`, :class:`AtolScaleProbe` follows it on the host
(float64, SciPy's Radau, :func:`kernels.host_follow.follow_on_host`) from its initial state at the run's rtol (at
most 1e-3) and :data:`FOLLOW_ATOL_FRACTION` of its atol (at most the default follow's, 1e-6 of the start's largest
magnitude): a path that resolves each small state to a thousandth of its atol.  Where that follow reaches the span's
end within :data:`FOLLOW_EVALUATIONS` right-hand sides while the run failed, and some state nonzero somewhere on the
path has an atol more than :data:`ATOL_MARGIN` times its largest magnitude there, the hint names the state, that
magnitude and its atol, and suggests an atol per state (:func:`suggested_atol`).  A true blow-up (``y' = y**2`` past
``t = 1``) is not followed to the end and gets no such hint; the hint comes after every other
(:func:`kernels.rhs_hint.failure_probe`), and costs one host follow, only when the message is asked for.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .host_follow import follow_on_host, follows_on_host
from .named_states import state_names
from .status import NEWTON_NOT_CONVERGED, NONFINITE_STATE, STEP_SIZE_UNDERFLOW
from .stiffness import HostProbe, states_to_probe

__all__ = ["ATOL_STATUSES", "ATOL_MARGIN", "FOLLOW_ATOL_FRACTION", "FOLLOW_EVALUATIONS", "HEADLINES",
           "AtolScaleProbe", "atol_scale_probe", "small_states", "suggested_atol"]

#: The statuses the hint explains: a run that went down a wrong branch ends in one of these.
ATOL_STATUSES = (STEP_SIZE_UNDERFLOW, NONFINITE_STATE, NEWTON_NOT_CONVERGED)
#: How many times a state's largest magnitude along the followed path its atol must be for the hint (Robertson's
#: y[1] at 3.65e-5 under atol 1e-4: 2.7).
ATOL_MARGIN = 2.0
#: The follow's atol as a fraction of the run's (each state resolved far below the atol that let the run stray).
FOLLOW_ATOL_FRACTION = 1e-3
#: Right-hand sides the follow may take (Robertson to t = 40 at rtol 1e-4 and atol 1e-7 takes about 300).
FOLLOW_EVALUATIONS = 10000
#: What the suggested atol of a small state is, times its largest magnitude along the path.
SUGGESTED_FRACTION = 1e-3

_SMALL = (" Followed on the host in float64 from its initial state (SciPy's Radau at rtol {rtol:.3g} and 1e-3 times "
          "the run's atol), this trajectory reaches the span's end (t = {t_end:.6g}) without trouble, and along that "
          "path {states}: the error control holds such a state to nothing finer than its atol, so an accepted step "
          "may move it by about its own size, to the wrong sign, and from there the run can follow a branch the "
          "true solution never takes (a term like -k * y**2 drives a state below 0 further down) until it fails. "
          "Give atol per state, about 1e-3 times each state's largest magnitude or less: atol={suggested} here, or "
          "a scalar atol of at most {scalar:.1g}.")
#: ``(template, headline)`` as :data:`kernels.rhs_hint.HEADLINES`: the one sentence the message opens with.
HEADLINES = (
    (_SMALL, "Likely cause: atol is larger than a state it controls: {states} (on this trajectory's path, followed "
             "on the host), so the run strayed from the true solution; give atol per state (see below)."),
)


def atol_scale_probe(system, status, y0, params, t0, t_end, tolerances):
    """An :class:`AtolScaleProbe` where a trajectory ended with one of :data:`ATOL_STATUSES`, the run was adaptive
    (``tolerances``, its ``(rtol, atol)``, given) and the system can be followed on the host; else None."""
    if status is None or tolerances is None or not follows_on_host(system):
        return None
    status = np.asarray(status)
    if not np.any(np.isin(status, ATOL_STATUSES)):
        return None
    n = system.n_states
    rtol, atol = (np.broadcast_to(np.asarray(v, np.float64), (n,)).copy() for v in tolerances)
    if not np.any(atol > 0):
        return None
    return AtolScaleProbe(system, np.array(y0, np.float64), np.array(params, np.float64), float(t0), float(t_end),
                          rtol, atol, np.array(status))


@dataclasses.dataclass(frozen=True)
class AtolScaleProbe(HostProbe):
    """The solve's host ``system``, its inputs (a one-row ``y0`` or ``params`` is every trajectory's), span, the
    run's ``rtol`` and ``atol`` (per state) and statuses: :data:`_SMALL` for a failed trajectory whose host path
    reaches the end with a state below its atol all the way (:func:`small_states`)."""

    system: object
    y0: np.ndarray
    params: np.ndarray
    t0: float
    t_end: float
    rtol: np.ndarray
    atol: np.ndarray
    status: np.ndarray
    found: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)  # hints, by trajectory

    STATUSES = ATOL_STATUSES

    def _hint(self, trajectory, t_saved=None, y_saved=None) -> str:
        if trajectory not in self.found:
            self.found[trajectory] = self._followed_hint(trajectory)
        return self.found[trajectory]

    def _followed_hint(self, trajectory) -> str:
        p, candidates = states_to_probe(self, trajectory)
        _, t0, y0 = candidates[0]  # the whole path: its largest values may lie before the last saved state
        y0, p = np.asarray(y0, np.float64), np.asarray(p, np.float64)
        if not np.all(np.isfinite(y0)) or self.t_end == t0:
            return ""
        rtol, atol = self._follow_tolerances(y0)
        jac = self.system.host_jac(p) if self.system.jac is not None else None
        times, states, outcome = follow_on_host(self.system.host_rhs(p), float(t0), self.t_end, y0,
                                                FOLLOW_EVALUATIONS, jac=jac, outcome=True, tolerances=(rtol, atol))
        if outcome != "finished" or not np.all(np.isfinite(states)):  # a blow-up, or not followed to the end
            return ""
        largest = np.max(np.abs(states), axis=0)
        small = small_states(largest, self.atol)
        if not small.size:
            return ""
        suggested = suggested_atol(largest, self.atol, small)
        return _SMALL.format(rtol=rtol, t_end=self.t_end, states=self._states_text(small, largest),
                             suggested="[" + ", ".join(f"{v:.1g}" for v in suggested) + "]",
                             scalar=float(np.min(suggested[small])))

    def _follow_tolerances(self, y0):
        """The follow's ``(rtol, atol)``: the run's rtol (at most 1e-3, at least SciPy's floor) and
        :data:`FOLLOW_ATOL_FRACTION` of its atol, no looser than the default follow's 1e-6 of the start's largest
        magnitude (at least 1); a state of atol 0 gets 1e-12 of it."""
        scale = max(float(np.max(np.abs(y0))), 1.0)
        rtol = min(max(float(np.min(self.rtol)), 100 * np.finfo(np.float64).eps), 1e-3)
        atol = np.minimum(FOLLOW_ATOL_FRACTION * self.atol, 1e-6 * scale)
        return rtol, np.where(atol > 0, atol, 1e-12 * scale)

    def _states_text(self, small, largest):
        names = state_names(self.system)
        parts = []
        for i in small:
            label = f"{names[i]} (y[{i}])" if names else f"y[{i}]"
            parts.append(f"the largest magnitude of {label} is {largest[i]:.3g}, below its atol {self.atol[i]:.3g}")
        return "; ".join(parts)


def small_states(largest, atol):
    """The indices of the states whose atol is more than :data:`ATOL_MARGIN` times ``largest``, their largest
    magnitude along a path, and which are nonzero somewhere on it (a state that stays 0 is told nothing)."""
    largest, atol = np.asarray(largest, np.float64), np.asarray(atol, np.float64)
    return np.flatnonzero((largest > 0) & (atol > ATOL_MARGIN * largest))


def suggested_atol(largest, atol, small):
    """The run's ``atol`` with each of the ``small`` states' lowered to :data:`SUGGESTED_FRACTION` times its
    ``largest`` magnitude, rounded down to one significant digit (Robertson's y[1] at 3.65e-5: 3e-8)."""
    suggested = np.array(atol, np.float64)
    target = SUGGESTED_FRACTION * np.asarray(largest, np.float64)[small]
    exponent = np.floor(np.log10(target))
    suggested[small] = np.floor(target / 10.0 ** exponent) * 10.0 ** exponent
    return suggested
