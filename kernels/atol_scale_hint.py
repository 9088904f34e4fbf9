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
path has an atol more than :data:`ATOL_MARGIN` times its largest magnitude there, and the state runs away from its
wrong side (:func:`runs_away`), the hint names the state, that magnitude and its atol, and suggests an atol per state
(:func:`suggested_atol`).  A true blow-up (``y' = y**2`` past ``t = 1``) is not followed to the end and gets no
such hint; the hint comes after every other (:func:`kernels.rhs_hint.failure_probe`), and costs one host follow (and
the relevance follows of :func:`runs_away`), only when the message is asked for.

A state whose largest value is large may still dip far below its atol for part of the path, and the run may take it
across 0 there, where a growth term like ``r * N * (1 - N / K)`` drives it further down: a Rosenzweig-MacArthur prey
(K = 20, atol 1e-9, float32) truly falls to 1e-17 and 1e-22 on its cycles; the run saved -3.2e-17 at t = 40 and
stopped at MAX_STEPS, and its message blamed a singular solution, because the loose host follow crossed 0 too (an
ecologist's trial; a ratio-dependent predator saved at -316 and a harvested prey ended likewise).  The dip probe
(:func:`atol_scale_probes`, asked before :class:`kernels.rhs_hint.RhsProbe`; at MAX_STEPS only where most attempts
were rejected) follows the path in rounds (:func:`dip_follow`): each state's atol 1e-3 of its smallest magnitude
seen before it first changed sign, up to :data:`DIP_ROUNDS` follows.  Where the last reaches the span's end, or the
first save the run did not reach, and a state it keeps of one sign falls below :data:`DIP_SHARE` of its atol after
being at its atol or above, before the run stopped, the hint names the state, its smallest magnitude, its atol,
the run's save of the other sign, and the remedy: an atol for it below 1e-3 of that magnitude, float64 where that is
below float32's normal range, or its logarithm as the state.  A float32 path past the square root of float32's
largest value is left to the range hint.

Either hint tells of a state only where the mechanism it describes can have stopped the run (:func:`runs_away`): put
at minus its atol (the wrong side, by as much as the error control allows) at a point of the followed path, the state
must pass :data:`RUNAWAY_FACTOR` times its atol there, some state far outgrow its path, or the host follow from there
fail, within :data:`RUNAWAY_EVALUATIONS` right-hand sides.  Robertson's y[1] at -1e-4 under ``-k2 * y1**2`` runs
away; a decoupled ``y1' = -y1`` at 1e-9 (or decaying to 1e-13) under atol 1e-6 beside ``y0' = -1e5 (y0 - 1)``, whose
tsit5 run failed at dt_min, decays back and is not named (its message opened with atol, the dt_min cause below it,
before this test).  A suggested atol prints as given for the states it leaves alone, rounded down for those it lowers.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .host_follow import follow_jac, follow_on_host, follow_tolerances, follows_on_host
from .named_states import state_label, state_names
from .status import MAX_STEPS, NEWTON_NOT_CONVERGED, NONFINITE_STATE, STEP_SIZE_UNDERFLOW
from .stiffness import HostProbe, states_to_probe

__all__ = ["ATOL_STATUSES", "ATOL_MARGIN", "FOLLOW_ATOL_FRACTION", "FOLLOW_EVALUATIONS", "HEADLINES", "DIP_SHARE",
           "DIP_ROUNDS", "RUNAWAY_FACTOR", "RUNAWAY_EVALUATIONS", "AtolScaleProbe", "atol_scale_probe",
           "atol_scale_probes", "dip_follow", "small_states", "suggested_atol", "runs_away", "atol_text"]

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
#: A state dips where it falls below this share of its atol after being at its atol or above.
DIP_SHARE = 1e-2
#: Follows of a dip at most (:func:`dip_follow`; the RM prey needs 3: atol 1e-12, 5e-21, 2.4e-26).
DIP_ROUNDS = 8
#: Right-hand sides a dip's follows after the first may take together (the RM prey's three: about 12000).
DIP_EVALUATIONS = 3 * FOLLOW_EVALUATIONS
#: A state put at minus its atol runs away where it then passes this many times its atol (:func:`runs_away`).
RUNAWAY_FACTOR = 100.0
#: Right-hand sides each follow of :func:`runs_away` may take.
RUNAWAY_EVALUATIONS = 2000
_FLOAT32_TINY = float(np.finfo(np.float32).tiny)
_FLOAT32_ROOT = float(np.sqrt(np.finfo(np.float32).max))

_SMALL = (" Followed on the host in float64 from its initial state (SciPy's Radau at rtol {rtol:.3g} and 1e-3 times "
          "the run's atol), this trajectory reaches the span's end (t = {t_end:.6g}) without trouble, and along that "
          "path {states}: the error control holds such a state to nothing finer than its atol, so an accepted step "
          "may move it by about its own size, to the wrong sign, and from there the run can follow a branch the "
          "true solution never takes (a term like -k * y**2 drives a state below 0 further down) until it fails. "
          "Give atol per state, about 1e-3 times each state's largest magnitude or less: atol={suggested} here, or "
          "a scalar atol of at most {scalar:.1g}.")
_DIP = (" Followed on the host in float64 from its initial state (SciPy's Radau at rtol {rtol:.3g}, each state's "
        "atol 1e-3 of its smallest magnitude on the path), this trajectory {reach}, and along that path {state} keeps "
        "its sign but falls to {low:.3g} at t = {t_low:.6g}, far below its atol {atol:.3g}: the error control holds it "
        "to nothing finer than its atol there, so the run can take it across 0 ({evidence}), where the model runs "
        "away (a term like r * N * (1 - N / K) drives a state below 0 further down) until it failed. {remedy}")
#: ``(template, headline)`` as :data:`kernels.rhs_hint.HEADLINES`: the one sentence the message opens with.
HEADLINES = (
    (_SMALL, "Likely cause: atol is larger than a state it controls: {states} (on this trajectory's path, followed "
             "on the host), so the run strayed from the true solution; give atol per state (see below)."),
    (_DIP, "Likely cause: {state} falls to {low} on this trajectory's path (followed on the host), far below its atol "
           "{atol}, so the run can take it across 0, where the model runs away; give it an atol below 1e-3 of that, or "
           "solve for its logarithm (see below)."),
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


def atol_scale_probes(system, status, y0, params, t0, t_end, tolerances, rejected=None, dtype=np.float64):
    """``(small, dip)`` for :func:`kernels.rhs_hint.failure_probe`: the :class:`AtolScaleProbe` of a state below its
    atol all along the path (asked last), and its twin (the same follows) of a state that dips far below it (asked
    before the host follow; also at MAX_STEPS where ``rejected``, :func:`kernels.rhs_hint.mostly_rejected`'s mask,
    says most attempts were); each None where it has no trajectory to explain."""
    if status is None or tolerances is None or not follows_on_host(system):
        return None, None
    stopped = np.isin(np.asarray(status), ATOL_STATUSES)
    if rejected is not None:
        stopped |= (np.asarray(status) == MAX_STEPS) & np.asarray(rejected, bool)
    probe = atol_scale_probe(system, stopped * STEP_SIZE_UNDERFLOW, y0, params, t0, t_end, tolerances)  # any stopped
    if probe is None:
        return None, None
    probe = dataclasses.replace(probe, status=np.array(status), followed=stopped, precision=np.dtype(dtype).name)
    small = probe if np.any(np.isin(probe.status, ATOL_STATUSES)) else None
    return small, dataclasses.replace(probe, dips=True)  # (replace keeps the same dict of follows)


@dataclasses.dataclass(frozen=True)
class AtolScaleProbe(HostProbe):
    """The solve's host ``system``, its inputs (a one-row ``y0`` or ``params`` is every trajectory's), span, the
    run's ``rtol`` and ``atol`` (per state) and statuses: :data:`_SMALL` for a failed trajectory whose host path
    reaches the end with a state below its atol all the way (:func:`small_states`) that runs away from its wrong
    side (:func:`runs_away`)."""

    system: object
    y0: np.ndarray
    params: np.ndarray
    t0: float
    t_end: float
    rtol: np.ndarray
    atol: np.ndarray
    status: np.ndarray
    found: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)  # hints, by trajectory
    dips: bool = False  # the twin that tells of a dip far below atol (:func:`atol_scale_probes`)
    followed: np.ndarray = None  # by trajectory, whether the dip twin may look (MAX_STEPS: mostly rejected)
    precision: str = "float64"
    # column_ranges of y0 and params, kept by kernels.outlier_inputs (a batch read once a result)
    input_ranges: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    STATUSES = ATOL_STATUSES

    def explains(self, code) -> bool:
        return int(code) in ATOL_STATUSES + ((MAX_STEPS,) if self.dips else ())

    def _hint(self, trajectory, t_saved=None, y_saved=None) -> str:
        if self.dips:
            if self.followed is not None and not self.followed[trajectory]:
                return ""
            key = ("dip", trajectory)
            if key not in self.found:
                self.found[key] = self._dip_hint(trajectory, t_saved, y_saved)
            return self.found[key]
        if trajectory not in self.found:
            self.found[trajectory] = self._followed_hint(trajectory)
        return self.found[trajectory]

    def _start(self, trajectory):
        """``(f, jac, t0, y0)`` of ``trajectory``'s host follow from its start, or None where it cannot start."""
        p, candidates = states_to_probe(self, trajectory)
        _, t0, y0 = candidates[0]  # the whole path: its largest values may lie before the last saved state
        y0, p = np.asarray(y0, np.float64), np.asarray(p, np.float64)
        if not np.all(np.isfinite(y0)) or self.t_end == t0:
            return None
        jac = follow_jac(self.system, p)
        return self.system.host_rhs(p), jac, float(t0), y0

    def _first_follow(self, trajectory):
        """The follow at :meth:`_follow_tolerances` (both twins use it, one follow): ``(rtol, atol, (times, states,
        outcome))``, or None."""
        key = ("follow", trajectory)
        if key not in self.found:
            start = self._start(trajectory)
            if start is None:
                self.found[key] = None
            else:
                f, jac, t0, y0 = start
                rtol, atol = self._follow_tolerances(y0)
                self.found[key] = (rtol, atol, follow_on_host(f, t0, self.t_end, y0, FOLLOW_EVALUATIONS, jac=jac,
                                                              outcome=True, tolerances=(rtol, atol)))
        return self.found[key]

    def _followed_hint(self, trajectory) -> str:
        first = self._first_follow(trajectory)
        if first is None:
            return ""
        rtol, atol, (times, states, outcome) = first
        if outcome != "finished" or not np.all(np.isfinite(states)):  # a blow-up, or not followed to the end
            return ""
        largest = np.max(np.abs(states), axis=0)
        f, jac = self._start(trajectory)[:2]
        small = np.array([i for i in small_states(largest, self.atol) if runs_away(
            f, jac, self.t_end, times, states, i, self.atol, (rtol, atol), (int(np.argmax(np.abs(states[:, i]))), 0))],
            dtype=np.intp)  # only a state that can have stopped the run
        if not small.size:
            return ""
        suggested = suggested_atol(largest, self.atol, small)
        return _SMALL.format(rtol=rtol, t_end=self.t_end, states=self._states_text(small, largest),
                             suggested=atol_text(suggested, small, self.precision),
                             scalar=float(np.min(suggested[small])))

    def _dip_hint(self, trajectory, t_saved, y_saved) -> str:
        """:data:`_DIP` where the tight path (:func:`dip_follow`) gets past where the run stopped, keeping of one sign
        a state that dips below :data:`DIP_SHARE` of its atol before that; else ''."""
        first, start = self._first_follow(trajectory), self._start(trajectory)
        if first is None or start is None:
            return ""
        f, jac, t0, y0 = start
        rtol, atol, path = first
        times, states, outcome = dip_follow(f, jac, t0, self.t_end, y0, rtol, atol, path, FOLLOW_EVALUATIONS)
        bound = _stop_bound(t_saved, y_saved, self.t_end)
        if not (outcome == "finished" or times[-1] > bound) or not np.all(np.isfinite(states)):
            return ""
        if self.precision == "float32" and np.max(np.abs(states)) > _FLOAT32_ROOT:  # the range hint's
            return ""
        for i in range(states.shape[1]):
            low = _dip(times, states[:, i], self.atol[i], bound)
            if low is None or not runs_away(f, jac, self.t_end, times, states, i, self.atol, (rtol, atol),
                                            (low, _smallest(states[:, i]))):  # decays back from its wrong side
                continue
            crossed = _saved_across(t_saved, y_saved, i, states[:, i])
            # at MAX_STEPS only where a save shows it: Robertson at max_steps=3 stopped long before y[1]'s decay
            if crossed is not None or int(self.status[trajectory]) != MAX_STEPS:
                return self._dip_text(i, times, states[:, i], rtol, bound, outcome, crossed)
        return ""

    def _dip_text(self, i, times, values, rtol, bound, outcome, crossed):
        names = state_names(self.system)
        state = state_label(self.system, i, names)
        k = _smallest(values)
        low = abs(float(values[k]))
        reach = (f"reaches the span's end (t = {self.t_end:.6g})" if outcome == "finished" else
                 f"gets to t = {times[-1]:.6g}, past where the run stopped (before t = {bound:.6g})")
        evidence = (f"it stopped before t = {bound:.6g}" if crossed is None else  # the run's path, not the host's
                    f"it saved {state} = {crossed[1]:.3g} at t = {crossed[0]:.6g}"
                    + (", its own path off the host's by then" if crossed[0] < times[k] else ""))
        lows = np.zeros(len(self.atol))
        lows[i] = low
        suggested = suggested_atol(lows, self.atol, [i])
        atols = atol_text(suggested, [i], self.precision)
        if self.precision == "float32" and suggested[i] < _FLOAT32_TINY:
            remedy = (f"float32 cannot hold such values (below its smallest normal value, 1.2e-38; see the float32 "
                      f"underflow warning): solve with precision=np.float64 and atol={atols}")
        else:
            remedy = f"Give it an atol of about 1e-3 times that smallest value or less: atol={atols}"
        return _DIP.format(rtol=rtol, reach=reach, state=state, low=low, t_low=float(times[k]),
                           atol=float(self.atol[i]), evidence=evidence,
                           remedy=remedy[0].upper() + remedy[1:] + ", or solve for the logarithm of the state "
                           f"(u = log({names[i] if names else f'y[{i}]'}), du/dt = its rate divided by it), "
                           "which cannot cross 0.")

    def _follow_tolerances(self, y0):
        """The follow's ``(rtol, atol)``: the run's rtol (at most 1e-3, at least SciPy's floor) and
        :data:`FOLLOW_ATOL_FRACTION` of its atol, no looser than the default follow's 1e-6 of the start's largest
        magnitude (at least 1); a state of atol 0 gets 1e-12 of it."""
        rtol, atol = follow_tolerances(self.rtol, FOLLOW_ATOL_FRACTION * self.atol, y0)
        return rtol, np.where(atol > 0, atol, 1e-12 * max(float(np.max(np.abs(y0))), 1.0))

    def _states_text(self, small, largest):
        return "; ".join(f"the largest magnitude of {state_label(self.system, i)} is {largest[i]:.3g}, below its "
                         f"atol {self.atol[i]:.3g}" for i in small)


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


def atol_text(suggested, lowered, precision="float64"):
    """``suggested`` as ``atol=`` would take it: each of the ``lowered`` states' (already rounded down) to one
    significant digit, every other as the run was given it: the shortest text that is exactly that value in the
    run's ``precision`` (2.5e-05, never a looser 3e-05; a float32 run's 1e-4, held as 9.99999975e-05, is 0.0001)."""
    lowered = set(int(i) for i in lowered)
    given = (lambda v: repr(float(str(np.float32(v))))) if np.dtype(precision) == np.float32 else (
        lambda v: repr(float(v)))
    return "[" + ", ".join(f"{v:.1g}" if i in lowered else given(v) for i, v in enumerate(suggested)) + "]"


def runs_away(f, jac, t_end, times, states, i, atol, tolerances, points):
    """Whether state ``i`` of a followed path (``times``, ``states``) can have stopped a run that took it to its wrong
    side: from each of ``points`` (indices into the path) before ``t_end``, with the state put at minus its ``atol``
    (the run's, per state) against its sign there, the host follow of ``f`` at ``tolerances`` either fails, meets a
    non-finite state or, within :data:`RUNAWAY_EVALUATIONS` right-hand sides, takes the state past
    :data:`RUNAWAY_FACTOR` times its atol on that wrong side, or any state past that factor times its largest
    magnitude on the path from there on (its atol where that is larger).  Robertson's y[1] at -1e-4 under
    -k2 * y1**2 runs away, the RM prey at -1e-9 to -1; y' = -y decays back.  A harvested prey ``N`` at -1e-6 decays
    back too, but its predator ``P' = 0.2 P (1 - P / (h N))`` runs away from 5.5e-8 to 1.5."""
    atol = np.broadcast_to(np.asarray(atol, np.float64), np.shape(states[0]))
    for k in dict.fromkeys(int(k) for k in points):
        if times[k] == t_end:
            continue
        y = np.array(states[k], np.float64)
        wrong = -(np.sign(y[i]) or 1.0)
        y[i] = wrong * atol[i]
        _, path, outcome = follow_on_host(f, float(times[k]), t_end, y, RUNAWAY_EVALUATIONS, jac=jac, outcome=True,
                                          tolerances=tolerances)
        ahead = np.maximum(np.max(np.abs(states[k:]), axis=0), atol)
        if outcome == "failed" or not np.all(np.isfinite(path)) or np.any(np.abs(path) > RUNAWAY_FACTOR * ahead) \
                or np.max(wrong * path[:, i]) > RUNAWAY_FACTOR * atol[i]:
            return True
    return False


def _smallest(values):
    """The index of the smallest nonzero magnitude in ``values``."""
    nonzero = np.flatnonzero(values)
    return int(nonzero[np.argmin(np.abs(values[nonzero]))])


def dip_follow(f, jac, t0, t_end, y0, rtol, atol, path, evaluations):
    """The tightest of up to :data:`DIP_ROUNDS` host follows of ``f`` from ``(t0, y0)`` at ``rtol``: ``path``
    (``(times, states, outcome)`` of :func:`kernels.host_follow.follow_on_host` at ``atol``) first, then each state's
    atol lowered to 1e-3 of its smallest nonzero magnitude before it first changed sign, while that lowers one by
    more than 10 times and the right-hand sides of the later follows stay within :data:`DIP_EVALUATIONS` (each
    within ``evaluations``): a follow at loose atol takes a state that dips far below it across 0 itself (the RM
    prey at atol 1e-12 went to -1.2e-14, at 6e-18 and 5e-22 to -1 deeper on its cycles; at 5e-28 it stays above
    6.7e-23)."""
    atol, calls = np.array(atol, np.float64), [0]

    def counted(t, y):
        calls[0] += 1
        return f(t, y)

    for _ in range(DIP_ROUNDS - 1):
        lowered = np.maximum(np.minimum(atol, 1e-3 * _smallest_before_crossing(path[1])), 1e-300)
        budget = min(evaluations, DIP_EVALUATIONS - calls[0])
        if not np.any(lowered < 0.1 * atol) or budget < evaluations // 10:
            break
        atol = lowered
        tighter = follow_on_host(counted, t0, t_end, y0, budget, jac=jac, outcome=True, tolerances=(rtol, atol))
        if tighter[0][-1] < path[0][-1] and not _crosses(path[1]):  # a decay's tail, chased out of budget: kept
            break
        path = tighter
    return path


def _crosses(states):
    """Whether a state in ``states`` (rows in time order) takes the sign opposite to its first nonzero value's."""
    return bool(np.any(np.isfinite(_smallest_before_crossing(states, crossed_only=True))))


def _smallest_before_crossing(states, crossed_only=False):
    """Per state, its smallest nonzero magnitude in ``states`` (rows in time order) before it first takes the sign
    opposite to its first nonzero value's (inf where it is 0 throughout, or with ``crossed_only`` never crosses)."""
    smallest = np.full(states.shape[1], np.inf)
    for i in range(states.shape[1]):
        values = states[:, i]
        nonzero = np.flatnonzero(values)
        if not nonzero.size:
            continue
        crossed = np.flatnonzero(np.sign(values) == -np.sign(values[nonzero[0]]))
        if crossed_only and not crossed.size:
            continue
        before = values[:crossed[0]] if crossed.size else values
        smallest[i] = np.min(np.abs(before[before != 0]))
    return smallest


def _saved_across(t_saved, y_saved, i, values):
    """``(t, y)`` of the first save of state ``i`` with the sign opposite to that of its path ``values`` (kept of
    one sign), or None."""
    if y_saved is None or t_saved is None:
        return None
    saved = np.asarray(y_saved, np.float64)[:, i]
    other = np.flatnonzero(np.isfinite(saved) & (np.sign(saved) == -np.sign(values[np.flatnonzero(values)[0]])))
    return (float(t_saved[other[0]]), float(saved[other[0]])) if other.size else None


def _stop_bound(t_saved, y_saved, t_end):
    """The time before which the run stopped: its first save not reached (a non-finite one after the last finite
    save), else ``t_end``."""
    if t_saved is None or y_saved is None:
        return float(t_end)
    finite = np.all(np.isfinite(np.asarray(y_saved, np.float64)), axis=1)
    last = np.flatnonzero(finite)
    after = np.flatnonzero(~finite)
    after = after[after > last[-1]] if last.size else after
    return float(t_saved[after[0]]) if after.size else float(t_end)


def _dip(times, values, atol, bound):
    """Where a state's ``values`` along the path keep one sign, the index of the first time before ``bound`` that
    they fall below :data:`DIP_SHARE` of ``atol`` after being at ``atol`` or above; else None."""
    nonzero = np.flatnonzero(values)
    if not nonzero.size or np.any(np.sign(values) == -np.sign(values[nonzero[0]])):
        return None
    high = np.flatnonzero(np.abs(values) >= atol)
    if not high.size:
        return None
    low = np.flatnonzero((np.abs(values) < DIP_SHARE * atol) & (times <= bound))
    low = low[low > high[0]]
    return int(low[0]) if low.size else None
