"""The non-finite right-hand side hint: where along a failed trajectory its ``rhs`` stopped being finite.

A model whose ``rhs`` returns inf or NaN somewhere along the path (the square root or
logarithm of a quantity that crossed zero, a division by it, a time-dependent term past its
domain) stops the trajectory with a non-finite state, a Newton iteration that never
converges, a singular iteration matrix (the derivative blows up where the rhs leaves its
domain), or a step size that underflows, usually between two saved states, where
nothing shows which term failed.  When :meth:`kernels.IVPResult.message` is asked about
such a trajectory, :class:`RhsProbe` follows it on the host (float64) from its last finite
saved state (its initial state when there is none) with SciPy's Radau at rtol 1e-3, as
:mod:`kernels.stiffness` follows a path, and stops at the first point where ``rhs`` is not
finite or raises a floating-point fault: the hint names that time, the state, the first
such component and what to check.  It costs at most :data:`RHS_EVALUATIONS` right-hand
sides, only when the message is asked for; systems with drivers or more than
:data:`kernels.stiffness.HOST_FOLLOW_STATES` states are not followed, and a probe that cannot be evaluated adds
nothing.  The point is the host's, near the path the GPU took, not on it.  For a float32 solve the follow
(:mod:`kernels.rhs_follow`) also stops where ``rhs`` held in float32 is not finite on the path, or where a state of
the path passes float32's largest value (a solution growing past float32's range fails as a singular matrix or a
Newton failure, with nothing non-finite on the float64 host), and the hint says so; where the float64 solution itself
goes on out of that range from there, precision=np.float64 is no remedy, and the row's lone negative parameter is
named instead (a photon lifetime given as -2 ps), or, where there is none, the path's first state past the square
root of float32's largest value is told (a finite-time blow-up).  A trajectory stopped at MAX_STEPS is followed too
when at least a fifth of its attempted steps were rejected (:func:`mostly_rejected`): a rhs not finite at
the initial state, or a solution that blows up, spends a user's small ``max_steps`` on rejections before the
step size can underflow (a statistician's trial: a prior draw K = 0 of a logistic model was told to raise
max_steps or loosen the tolerances).  A stop of that follow with ``rhs`` finite all the way (SciPy's Radau
taking no step) is reported as the model's only where Radau at the run's rtol and atol (:data:`RECHECK_TOLERANCES`
where the caller did not pass them) cannot get past it either (:func:`passes_stop`): Robertson with k2 = 3e9 stops
at t = 4945 at rtol 1e-3 and reaches t = 1e5 at rtol 1e-6, atol 1e-10, and a run of it at max_steps=3 was told its
solution is singular there, with no word of max_steps (a user's trial).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .batch_inputs import row_index
from .status import MAX_STEPS, NEWTON_NOT_CONVERGED, NONFINITE_STATE, SINGULAR_MATRIX, STEP_SIZE_UNDERFLOW
from .host_follow import SCIPY_RTOL_FLOOR, follow_jac, follow_tolerances, follows_on_host
from .stiffness import HostProbe, host_jacobian, states_to_probe
from .errors import UnassignedOutputError, state_text
from .float32_rhs import FLOAT32_RHS, FLOAT32_RHS_HEADLINE, float32_rhs_text, held_rhs
from .jacobian_hint import float32_jacobian_text
from .nonfinite_causes import Suspects, exact_value_cause, given_start, negative_state_cause, parameter_cause
from .param_sign import lone_negative_note, stop_sign_note
from .atol_scale_hint import atol_scale_probes
from .follow_events import event_name
from .rhs_follow import RHS_EVALUATIONS, Found, Reached, Stopped, blames_float32, evaluate, follow, runs_away

__all__ = ["RhsProbe", "ProbeChain", "RHS_STATUSES", "rhs_probe", "chain", "mostly_rejected", "passes_stop",
           "HEADLINES"]

#: The statuses the hint explains (MAX_STEPS only where :func:`mostly_rejected`; there, and at NONFINITE_STATE, not
#: float32's range).
RHS_STATUSES = (NONFINITE_STATE, NEWTON_NOT_CONVERGED, STEP_SIZE_UNDERFLOW, SINGULAR_MATRIX, MAX_STEPS)
#: rtol and atol (times the initial state's largest magnitude, at least 1) at which a stop of the host follow is
#: checked again where the run's own are not known: tighter than most runs' (Robertson with k2 = 3e9 to t = 1e5 takes
#: about 4200 right-hand sides at them)
RECHECK_TOLERANCES = (1e-8, 1e-12)

_NOT_FINITE = (" The system's rhs {fails}, on the path SciPy's Radau took following this trajectory on the host from "
               "{what} (t = {t_from:.6g}).")
_OUT_OF_RANGE = (" Followed on the host in float64 from {what} (t = {t_from:.6g}), this trajectory reaches y = {y} at "
                 "t = {t:.6g}, with dydt = {f}: {passed}, so the {precision} run fails there. Solve with "
                 "precision=np.float64, or rescale the model's units so that its values stay well inside that range "
                 "(or end the span before t, if the solution really blows up).")
_RUNS_AWAY = (" Followed on the host in float64 from {what} (t = {t_from:.6g}), the solution itself leaves float32's "
              "range and goes on: it reaches y = {y} at t = {t:.6g}{how}, so precision=np.float64 would not make the "
              "run succeed.")
#: ``(template, headline)`` as :data:`kernels.jacobian_hint.HEADLINES`: the causes this module's hints name where
#: no more specific one (a parameter, a state below 0, a 0 / 0) follows them.
HEADLINES = (
    (FLOAT32_RHS, FLOAT32_RHS_HEADLINE),
    (_OUT_OF_RANGE, "Likely cause: the solution leaves {precision}'s range some time after {what} (t = {t_from}), "
                    "where {passed}: solve with precision=np.float64, or rescale the model's units."),
    (_NOT_FINITE, "Likely cause: the system's rhs {fails} (on this trajectory's path, followed on the host)."),
)


class _Spent(Exception):
    """The re-check of a stop spent its right-hand sides (:func:`passes_stop`)."""


def mostly_rejected(n_steps, n_rejected):
    """Per trajectory, whether at least a fifth of its attempted steps were rejected (None without counts): radau
    meeting y' = y^2's blow-up at max_steps=200 had 23 % rejected (a regression hunt)."""
    if n_steps is None or n_rejected is None:
        return None
    accepted, rejected = np.asarray(n_steps, np.int64), np.asarray(n_rejected, np.int64)
    return 5 * rejected >= accepted + rejected


def rhs_probe(system, status, y0, params, t0, t_end, dtype=np.float64, rejected=None, tolerances=None, events=None,
              given_y0=None):
    """A :class:`RhsProbe` when a trajectory ended with one of :data:`RHS_STATUSES` (MAX_STEPS where
    ``rejected``, :func:`mostly_rejected`'s mask) and the system can be followed on the host, else None.
    ``dtype``: the solve's working precision (its range is looked at); ``tolerances``: the run's ``(rtol, atol)``,
    at which a stop of the host follow is checked again (None: :data:`RECHECK_TOLERANCES`); ``events``: the solve's
    events, whose terminal ones end the follow (:mod:`kernels.follow_events`); ``given_y0``: y0 as the user gave it,
    before ``dtype`` rounded it (:func:`kernels.nonfinite_causes.given_start`)."""
    if status is None:
        return None
    status = np.asarray(status)
    followed = np.isin(status, [code for code in RHS_STATUSES if code != MAX_STEPS])
    if rejected is not None:
        followed |= (status == MAX_STEPS) & np.asarray(rejected, bool)
    if not np.any(followed) or not follows_on_host(system):
        return None
    return RhsProbe(system, np.array(y0, np.float64), np.array(params, np.float64), float(t0), float(t_end),
                    np.dtype(dtype).name, np.array(status), followed, tolerances, tuple(events or ()),
                    given_y0=given_y0)


def _rhs_finite(system, t, y, p):
    """Whether ``rhs`` at ``(t, y)`` is finite on the host (for :func:`kernels.jacobian_hint.parameter_cause`)."""
    return evaluate(system, t, y, p)[0] is not None


@dataclasses.dataclass(frozen=True)
class RhsProbe(HostProbe):
    """What :meth:`IVPResult.message` needs to follow a failed trajectory on the host: the system and its inputs."""

    system: object
    y0: np.ndarray
    params: np.ndarray
    t0: float
    t_end: float
    precision: str = "float64"
    status: np.ndarray = None  # the solve's statuses, by trajectory
    followed: np.ndarray = None  # by trajectory, whether its status is one to follow (MAX_STEPS: mostly rejected)
    tolerances: tuple = None  # the run's (rtol, atol), where a stop of the follow is checked again (passes_stop)
    # the solve's events: the follow ends where a terminal one crosses, as the run would (a battery model's cut-off
    # came before a sqrt's domain error that its MAX_STEPS run was told of: a user's trial)
    events: tuple = ()
    # hints already found, by trajectory: a follow of a 40-state system takes about a second (a regression hunt)
    found: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
    # column_ranges of y0 and params, kept by kernels.outlier_inputs (a batch read once a result)
    input_ranges: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
    # y0 as the user gave it (a reference, read only for a message): a value the precision rounded onto a 0 / 0
    given_y0: object = dataclasses.field(default=None, compare=False, repr=False)

    STATUSES = RHS_STATUSES

    def _hint(self, trajectory, t_saved, y_saved):
        """Where the host follow found ``rhs`` not finite, or '' when it did not (or could not look)."""
        if self.followed is not None and not self.followed[trajectory]:
            return ""
        if trajectory not in self.found:
            self.found[trajectory] = self._followed_hint(trajectory, t_saved, y_saved)
        return self.found[trajectory]

    def _followed_hint(self, trajectory, t_saved, y_saved):
        p, candidates = states_to_probe(self, trajectory, t_saved, y_saved)
        what, t_from, y_from = candidates[-1]  # the last finite saved state, else the initial one
        # float32's range, which float64 on the host does not share (a float64 run's range is the host's); a
        # non-finite state's message already has float32's range (api.FLOAT32_RANGE_NOTE)
        # not at MAX_STEPS either: a float32 run that passes the root on its way has not failed of it (a regression
        # hunt: y' = 50 y at max_steps=300 was told "the float32 run fails there"; it succeeds with more steps)
        code = None if self.status is None else int(self.status[trajectory])
        largest = (float(np.finfo(self.precision).max) if self.precision != "float64"
                   and code not in (NONFINITE_STATE, MAX_STEPS) else np.inf)
        # a float32 jac that is inf / inf mid-run (a steep Hill term reaching y = 10) fails the implicit step with
        # nothing non-finite in float64 at the saved states (a user's trial)
        float32_jac = (self.precision == "float32" and self.system.jac is not None
                       and code in (SINGULAR_MATRIX, NEWTON_NOT_CONVERGED))
        # a float32 rhs that overflows where float64's does not (M * O2 * O * k past 3.4e38 in a Chapman model ended
        # SINGULAR_MATRIX, told of the sparse LU's pivots: a chemist's trial); not at MAX_STEPS (the run went on)
        float32_rhs = self.precision == "float32" and code not in (None, MAX_STEPS)
        checks = (self.system, np.asarray(y_from, np.float64), np.asarray(p, np.float64), float(t_from), self.t_end,
                  largest, float32_jac, float32_rhs)
        found = follow(*checks, events=self.events)
        tolerances = None if self.tolerances is None else follow_tolerances(*self.tolerances, checks[1])
        if blames_float32(found) and tolerances is not None:  # confirmed on a path as close as the run's
            found = follow(*checks, tolerances, events=self.events)
        if found is None:
            return ""
        if isinstance(found, Reached):
            return self._reached_text(found, what, t_from, code)
        away = self._runaway_text(found, what, t_from, p, trajectory, largest, tolerances)
        if away:
            return away
        if getattr(found, "rhs32", None) is not None:
            i, held = found.rhs32
            at = (f"at t = {found.t:.6g}, y = {state_text(found.y)} (on the path SciPy's Radau took following this "
                  f"trajectory on the host from {what})")
            return float32_rhs_text(self.system, held_rhs(self.system), at, found.t, found.y, p, i, held, found.f) + (
                f" If the run stopped well before t = {found.t:.6g} (its n_steps say how far it got), look for another "
                "cause.")
        if getattr(found, "jacobian", None) is not None:
            k, held = found.jacobian
            exact = host_jacobian(self.system, found.t, np.asarray(found.y, np.float64), p).ravel()
            # the follow may pass where the run failed (at its first step, for another reason: a regression hunt)
            return float32_jacobian_text(self.system, f"at t = {found.t:.6g}, y = {state_text(found.y)} (on the "
                                         f"path SciPy's Radau took following this trajectory on the host from {what})",
                                         k, held, exact) + (f" If the run stopped well before t = {found.t:.6g} (its "
                                                            "n_steps say how far it got), look for another cause.")
        if isinstance(found, Stopped):  # the step size underflowing on the host too: where, to say so
            return self._stopped_text(found, what, float(t_from), np.asarray(y_from, np.float64), p, trajectory)
        at = f"at t = {found.t:.6g}, y = {state_text(found.y)}"
        if found.out_of_range:
            return self._out_of_range_text(found.t, found.y, found.f, what, t_from, largest)
        if found.fault is not None:
            fails = f"raised {type(found.fault).__name__} ({found.fault}) {at}, where a GPU gives inf or NaN"
        else:
            i = int(np.flatnonzero(~np.isfinite(found.f))[0])
            fails = f"is not finite {at}: dydt[{i}] = {float(found.f[i])!r}"
        where = (self.system, found.t, np.asarray(found.y, np.float64), np.asarray(p, np.float64), _rhs_finite,
                 "right-hand side")
        row = row_index(self.params, trajectory)
        suspects = Suspects(np.asarray(candidates[0][2], np.float64), self.params, row,  # its y0, the batch's params
                            given_start(self.given_y0, self.y0, trajectory, self.precision), self.precision)
        param_cause = parameter_cause(*where)
        cause = param_cause or exact_value_cause(*where, suspects) or negative_state_cause(*where, suspects)
        generic = (" An exp, cosh or power whose argument is too large overflows there: check the magnitude and "
                   "units of the state and parameters there (millivolts where volts are meant, a state started far "
                   "out), or keep the argument in range (exp(min(x, 80)))." if isinstance(found.fault, OverflowError)
                   else " A square root, logarithm or power of a quantity that crossed 0 there, a division by it, or "
                   "a term of t past its domain stops the GPU's run the same way: check the model there (keep the "
                   "quantity in its domain, e.g. sqrt(max(x, 0)), or end the span before t).")
        # a row's rate given negative where the batch's others are not is named first, as the runaway hint does (a
        # repressilator row with beta = -1 was told of a decay's overshoot, a biologist's trial)
        sign = lone_negative_note(self.system, self.params, row)
        # its remedy names the entry already, or a parameter of this row explains the failure (a power-systems
        # trial: a zero inertia was told to check an unrelated negative injection's sign)
        sign = "" if param_cause or (cause and f"params[{row}, " in cause) else sign
        return sign + _NOT_FINITE.format(fails=fails, what=what, t_from=t_from) + (cause or generic)

    def _reached_text(self, reached, what, t_from, code):
        """The follow met a terminal event's crossing before any finding: the trajectory never gets past it, so a
        point past it is none of the run's (a battery model's MAX_STEPS run was told of a sqrt's domain error after
        its voltage cut-off: a user's trial).  At MAX_STEPS nothing (the status's own advice stands), else that the
        failure is the run's, with the remedy of its step: a smaller dt (fixed steps: no ``tolerances``), tighter
        rtol and atol (or float64)."""
        if code == MAX_STEPS:
            return ""
        remedy = ("Take a smaller dt" if self.tolerances is None else "Tighten rtol and atol" + (
            ", or solve with precision=np.float64" if self.precision != "float64" else ""))
        return (f" Followed on the host in float64 from {what} (t = {t_from:.6g}), this trajectory reaches its terminal "
                f"event {event_name(self.events, reached.event)} by t = {reached.t:.6g} with its rhs finite all the "
                f"way: the failure is this run's, not the model's. {remedy}.")

    def _out_of_range_text(self, t, y, f, what, t_from, largest):
        """The hint that the path leaves the working precision's range at ``(t, y)`` (``f`` its rhs there)."""
        root = np.sqrt(largest)
        passed = (f"dydt passes {self.precision}'s largest value, {largest:.3g}" if np.max(np.abs(f)) > largest else
                  f"the state passes {root:.3g}, the square root of {self.precision}'s largest value {largest:.3g}, "
                  "from which a product of two such values overflows")
        return _OUT_OF_RANGE.format(what=what, t_from=t_from, y=state_text(y), t=t, f=state_text(f), passed=passed,
                                    precision=self.precision)

    def _runaway_text(self, found, what, t_from, p, trajectory, largest, tolerances):
        """Where float32's range or rhs failed on the path (``found``) and the float64 solution itself goes on out of
        float32's range (:func:`kernels.rhs_follow.runs_away`), precision=np.float64 is no remedy: the row's lone
        negative parameter opens the hint (a photon lifetime given as -2 ps: its float32 radau run was told to solve
        in float64, a physicist's trial), or, where there is none, the path's first state past the square root of
        the range is told (a finite-time blow-up, whose span may end before it).  '' where that is not so."""
        if not (isinstance(found, Found) and (found.out_of_range or found.rhs32 is not None)):
            return ""
        away = runs_away(self.system, p, found.t, found.y, self.t_end, largest, tolerances, self.events)
        if away is None:
            return ""
        row = row_index(self.params, trajectory)
        sign = lone_negative_note(self.system, self.params, row)
        if sign:
            t, y, how = away
            return sign + _RUNS_AWAY.format(what=what, t_from=t_from, y=state_text(y), t=t, how=how)
        if found.past_root is not None:
            return self._out_of_range_text(*found.past_root, what, t_from, largest)
        return ""

    def _stopped_text(self, stopped, what, t_from, y_from, p, trajectory):
        """Where the follow at rtol 1e-3 stopped with ``rhs`` finite, when Radau at the run's tolerances stops there
        too; else '' (the stop was the loose tolerances', and the status's own advice stands: raise max_steps).  A
        stop the state grew to from ``y_from`` (a finite-time blow-up) opens with the row's lone negative parameter
        (:func:`kernels.param_sign.stop_sign_note`): K = -5 in a Rosenzweig-MacArthur sweep stopped at a prey of
        2.7e14, and the message never named K (a user's trial)."""
        rtol, atol = self.tolerances if self.tolerances is not None else (None, None)
        if passes_stop(self.system, p, t_from, y_from, stopped.t, self.t_end, rtol, atol):
            return ""
        again = ("the run's rtol and atol" if self.tolerances is not None else
                 f"rtol {RECHECK_TOLERANCES[0]:g} and atol {RECHECK_TOLERANCES[1]:g}")
        sign = stop_sign_note(self.system, self.params, row_index(self.params, trajectory), y_from, stopped.y)
        return (f"{sign} Followed on the host in float64 from {what} (t = {t_from:.6g}), SciPy's Radau stops too, at "
                f"t = {stopped.t:.6g} (y = {state_text(stopped.y)}), with no step it can take, at rtol 1e-3 and "
                f"again at {again}: the solution itself is singular or changes abruptly there. Check the model "
                "near that time, or end the span before it.")


def passes_stop(system, p, t0, y0, stop, t_end, rtol=None, atol=None):
    """Whether SciPy's Radau at ``rtol`` and ``atol`` (:data:`RECHECK_TOLERANCES` where None) gets from ``(t0, y0)``
    past ``stop`` (by a tenth of the way there, or to ``t_end``), where the host follow at rtol 1e-3 stopped, within
    :data:`RHS_EVALUATIONS` right-hand sides: then that stop was the loose tolerances', not the model's.  A re-check
    that fails, raises, or spends its budget short of the stop does not pass it (y' = y^2 at rtol 1e-8 takes 15000
    right-hand sides to reach its blow-up at t = 1)."""
    from scipy.integrate import Radau

    scale = max(float(np.max(np.abs(y0))), 1.0)
    # at least SciPy's floor, to which Radau would raise it with a warning (whose filter made "default" show the
    # library's warnings again after every hint)
    rtol = max(RECHECK_TOLERANCES[0] if rtol is None else float(np.min(rtol)), SCIPY_RTOL_FLOOR)
    atol = RECHECK_TOLERANCES[1] * scale if atol is None else np.broadcast_to(np.asarray(atol, np.float64), y0.shape)
    calls, f = [0], system.host_rhs(p)

    def counted(t, y):
        calls[0] += 1
        if calls[0] > RHS_EVALUATIONS:
            raise _Spent  # the budget spent: not past the stop
        return f(t, y)

    target = min(t_end, stop + 0.1 * (stop - t0))
    try:
        with np.errstate(all="ignore"):
            solver = Radau(counted, t0, y0, t_end, rtol=rtol, atol=atol,
                           jac=follow_jac(system, p))
            while solver.status == "running" and solver.t < target:
                solver.step()
    except UnassignedOutputError:  # the cause: HostProbe.hint says it
        raise
    except Exception:  # noqa: BLE001 - _Spent, or the rhs failing on this path: not past the stop
        return False
    return solver.status != "failed" and (solver.t >= target or solver.status == "finished")


@dataclasses.dataclass(frozen=True)
class ProbeChain:
    """Several probes asked in turn about a trajectory: the first hint of one that explains its status."""

    probes: tuple
    status: np.ndarray  # the solve's statuses (host), by trajectory

    def explains(self, code) -> bool:
        return any(probe.explains(code) for probe in self.probes)

    def hint(self, trajectory, t_saved=None, y_saved=None) -> str:
        code = int(self.status[trajectory])
        for probe in self.probes:
            text = probe.hint(trajectory, t_saved, y_saved) if probe.explains(code) else ""
            if text:
                return text
        return ""


#: Failed trajectories whose hints a pickled result keeps, as text (each hint may follow its path on the host).
PICKLED_HINTS = 16


@dataclasses.dataclass(frozen=True)
class ResolvedHints:
    """Hints worked out when a result was pickled (its probes hold the system, whose functions need not pickle):
    ``hints`` maps a trajectory to its text, ``n`` is the batch size."""

    hints: dict
    n: int

    def explains(self, code) -> bool:
        return True

    def hint(self, trajectory, t_saved=None, y_saved=None) -> str:
        return self.hints.get(int(trajectory) % self.n, "")


def resolve_hints(probe, status, t_saved, y_saved):
    """A :class:`ResolvedHints` of ``probe``'s hints for the first :data:`PICKLED_HINTS` trajectories it explains
    (``y_saved``: the result's saved states, or None when not on the host); ``probe`` itself when it is one (a
    result pickled again kept only the first 16 trajectories' hints, successes among them: a regression hunt)."""
    if isinstance(probe, ResolvedHints):
        return probe
    status = np.asarray(status)
    explained = [code for code in np.unique(status) if probe.explains(code)]
    hints = {}
    for i in np.flatnonzero(np.isin(status, explained))[:PICKLED_HINTS]:
        text = probe.hint(int(i), t_saved, y_saved[i] if isinstance(y_saved, np.ndarray) else None)
        if text:
            hints[int(i)] = text
    return ResolvedHints(hints, len(status))


def chain(status, *probes):
    """One probe for ``IVPResult.stiffness_probe`` from several (None where none is given)."""
    probes = tuple(p for p in probes if p is not None)
    if len(probes) < 2:
        return probes[0] if probes else None
    return ProbeChain(probes, np.asarray(status))


def failure_probe(system, method, adaptive, dtype, status, y0, params, t0, t_end, max_steps, dt, rejected=None,
                  tolerances=None, events=None, given_y0=None):
    """The hints :meth:`IVPResult.message` may give after a solve of ``method``: a DiscontinuityProbe for a
    trajectory at MAX_STEPS whose rhs jumps where it started or last saved, a StiffnessProbe when an explicit
    method left a trajectory at MAX_STEPS (adaptive) or with a non-finite state (fixed step), a JacobianProbe when
    an implicit one's solver failed, then an RhsProbe for a non-finite state, a failed Newton or an underflowing
    step (where along the path ``rhs`` stopped being finite), a DomainProbe (at MAX_STEPS, a rhs not finite
    just below 0 in a state driven there), where along the path it is asked before the RhsProbe, which follows a
    trajectory at MAX_STEPS only where ``rejected`` (:func:`mostly_rejected`) says most steps were, and checks a
    stop of its follow again at ``tolerances``, the run's ``(rtol, atol)`` (:func:`passes_stop`); None when none
    applies.  A failed trajectory that started a state negative where every successful one started it at 0 or above
    is told so before them all (:mod:`kernels.state_sign_hint`), and one whose start grows past any number's range
    over the span next (:mod:`kernels.runaway_hint`).  ``events``: the solve's events; the RhsProbe's follow ends at a
    terminal one's crossing (:mod:`kernels.follow_events`).  ``given_y0``: y0 as the user gave it, where the
    JacobianProbe and RhsProbe see that ``dtype`` rounded a state onto a removable singularity."""
    from .discontinuity import discontinuity_probes
    from .jacobian_hint import jacobian_probe
    from .runaway_hint import runaway_probe
    from .state_sign_hint import with_sign_hint
    from .stiffness import StiffnessProbe, explained_status, stability_boundary

    if not method.explicit:
        first = jacobian_probe(system, status, y0, params, t0, dtype, given_y0)
    elif system.n_drivers or status is None or not np.any(np.asarray(status) == explained_status(adaptive)):
        first = None  # nothing to explain: no probe, and no stability boundary computed
    else:
        fixed = {} if adaptive else {"dt": float(dt), "boundary": stability_boundary(method.tableau)}
        first = StiffnessProbe(system, np.array(y0, np.float64), np.array(params, np.float64), t0, t_end, max_steps,
                               **fixed)
    jump, domain = discontinuity_probes(system, status, y0, params, t0, t_end)  # a jump first: it is no stiffness
    host = rhs_probe(system, status, y0, params, t0, t_end, dtype, rejected, tolerances, events, given_y0)
    runaway = runaway_probe(system, status, y0, params, t0, t_end)  # a start that overflows the span: no other cause
    small, dip = atol_scale_probes(system, status, y0, params, t0, t_end, tolerances, rejected, dtype)  # below atol
    return with_sign_hint(chain(status, runaway, jump, first, domain, dip, host, small), status, y0)  # a neg. start 1st
