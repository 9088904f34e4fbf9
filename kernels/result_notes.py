"""What a stopped trajectory's message adds at MAX_STEPS or a step-size underflow: how far it got, whether the saves
or the span need more steps, the pace, and the float32 notes (rounding, and a float32 rhs that stops being finite where
the run stalled); what opens a failed one whose params row has a lone negative entry (:func:`sign_first`); and what a
successful one adds where its fixed step was beyond the stable step (:meth:`kernels.ivp_result.IVPResult.message`).  Each
reads the result (host arrays; a device array is copied)."""

from __future__ import annotations

import math

import re

import numpy as np

from .batch_inputs import row_of
from .errors import state_text
from .status import EVENT, MAX_STEPS, SUCCESS
from .step_stability import GROWTH_LIMIT
from .rhs_hint import mostly_rejected
from .close_approach import close_approach_note
from .status_messages import BELOW_EPS_MARK, FIXED_MARK, FLOAT32_REJECTED_NOTE, REJECTED_SHARE, SUSPECT_MARK

__all__ = ["host_array", "max_steps_note", "steps_taken",
           "reached_note", "saves_beyond_max_steps", "pace_note", "rejected_note", "krylov_rejected_note",
           "unstable_step_note", "step_was_unstable", "float32_stall_note", "sign_first", "host_inputs",
           "result_probes"]


def host_array(array):
    """``array`` on the host (a device array copied)."""
    return array if isinstance(array, np.ndarray) else array.copy_to_host()


def _saved_finite(result, trajectory):
    """Which of the trajectory's saves are finite (a bool per save time), or None where the result holds no saved
    trajectory (device arrays, ``save_trajectory=False``)."""
    if not (isinstance(result.y, np.ndarray) and result.y.ndim == 3):
        return None
    return np.all(np.isfinite(result.y[trajectory]), axis=1)


def max_steps_note(result, trajectory, advise=True, steps=False):
    """At MAX_STEPS: how far the trajectory got (its last finite save) and, with ``advise``, what to do: where a
    float32 run stalled at a rhs float32 cannot hold, that (:func:`float32_stall_note`); for
    a trajectory that keeps passing very close to a point where its rhs is singular, that, and an event or
    regularisation (:func:`kernels.close_approach.close_approach_note`); for
    an implicit method of order 3 or less the higher-order ones to try (a user's trial: trapezoid and sdirk2 on
    POLLU spent 3000 steps before t = 0.2 and 0.6 with no word of it): radau and rodas5p, not kvaerno5, whose
    error estimate is optimistic on oscillations and forcing (README); else raise max_steps or loosen the
    tolerances.  Where rtol is below the precision's eps, only the steps taken (the status's note names that cause:
    :func:`kernels.status_messages.below_eps_note`).  No such advice where the step used a jac or jvp found wrong
    (its note says to fix it) or where a hint names the cause; with ``steps`` (the stiffness hint, whose own
    remedies follow) the steps taken still (:func:`steps_taken`: a Hodgkin-Huxley run was told only "looks stiff",
    where raising max_steps was the fix)."""
    from .methods import METHODS

    method = METHODS.get(result.method)
    if method is None:
        return ""
    note = reached_note(result, trajectory)
    saves = saves_beyond_max_steps(result, trajectory)
    if saves:  # the saves alone need more steps than max_steps allowed: no tolerance helps
        return note + saves
    if BELOW_EPS_MARK in result.status_messages[MAX_STEPS]:  # rtol below eps: its note says what to do, not more steps
        return note + steps_taken(result, trajectory)
    if not advise or SUSPECT_MARK in result.status_messages[MAX_STEPS] or FIXED_MARK in result.status_messages[
            MAX_STEPS]:
        return note + (steps_taken(result, trajectory) if steps else "")
    stall = float32_stall_note(result, trajectory)
    if stall:  # steps rejected at a float32 rhs that is not finite: no step count or tolerance gets past it
        return note + stall
    close = close_approach_note(result, trajectory)
    if close:  # passes by a point where the rhs is singular: more steps buy more passes (an astrodynamicist's trial)
        return note + close + steps_taken(result, trajectory)
    if not method.explicit and method.tableau.order <= 3:
        note += (f" {method.name} is of order {method.tableau.order}, so at tight tolerances it takes many small "
                 "steps: radau (the most accurate there) or rodas5p take far fewer; or raise max_steps.")
    else:
        note += " Raise max_steps, or loosen rtol and atol to what the answer needs." + pace_note(result, trajectory)
    return note


def result_probes(result):
    """``result``'s probes, ``stiffness_probe`` first, then its chains' and wrappers' (breadth first); none for a
    result without one (a pickled result's hints as text)."""
    waiting = [getattr(result, "stiffness_probe", None)]
    while waiting:
        probe = waiting.pop(0)
        if probe is None:
            continue
        yield probe
        waiting.extend(getattr(probe, "probes", ()))
        waiting.extend(getattr(probe, name, None) for name in ("rest", "note", "domain", "growth"))


def host_inputs(result):
    """The first of ``result``'s probes (:func:`result_probes`) that holds the solve's host ``system`` and inputs
    (``y0``, ``params``, ``t0``), or None: the notes below read the system and a trajectory's rows from it, as the
    hints do (the result keeps no params)."""
    return next((probe for probe in result_probes(result)
                 if all(hasattr(probe, name) for name in ("system", "y0", "params", "t0"))), None)


def float32_stall_note(result, trajectory):
    """For a float32 trajectory at MAX_STEPS with at least a fifth of its attempts rejected
    (:func:`kernels.rhs_hint.mostly_rejected`): where its rhs held in float32 is not finite on the host path from its
    last finite save (else its start) to the first save it did not reach (else the span's end), where float64's is
    (:func:`kernels.float32_range.float32_stall`), that point, the operation that left float32's range and what to do
    (:func:`kernels.float32_rhs.float32_rhs_text`), and that more steps cannot get past it; else ''.

    A laser rate equation in SI units, ``p[5] * y[1]`` past 3.4e38 once the photon density passed 3.4e14, took tsit5
    through 100000 attempts (45454 rejected) and was told to raise max_steps, where radau and rodas5p, failing
    outright, were told of float32's range (a physicist's trial): every trial step that reaches such a point is
    rejected, whatever its size."""
    if (getattr(result.plan, "precision", None) != "float32" or result.n_steps is None or result.n_rejected is None
            or not mostly_rejected(*(int(host_array(c)[trajectory]) for c in (result.n_steps, result.n_rejected)))):
        return ""
    probe = host_inputs(result)
    if probe is None:
        return ""
    try:
        return _stall_text(result, trajectory, probe)
    except Exception:  # noqa: BLE001 - a message must never fail: the usual advice stands
        return ""


def _stall_text(result, trajectory, probe):
    """:func:`float32_stall_note`'s text for ``trajectory`` with ``probe``'s system and rows, or ''."""
    from .float32_range import float32_stall
    from .float32_rhs import float32_rhs_text, held_rhs

    system = probe.system
    p = (np.asarray(row_of(probe.params, trajectory), np.float64) if system.n_params
         else np.zeros(0))
    what, t_from, y_from = "its start", float(probe.t0), row_of(probe.y0, trajectory)
    until, missed = float(getattr(probe, "t_end", result.t[-1])), "the end of the span"
    finite = _saved_finite(result, trajectory)
    if finite is not None and result.t is not None and len(result.t):
        reached, unreached = np.flatnonzero(finite), np.flatnonzero(~finite)
        if reached.size:
            k = int(reached[-1])
            what, t_from, y_from = "its last finite save", float(result.t[k]), result.y[trajectory][k]
        if unreached.size:
            until, missed = float(result.t[unreached[0]]), f"the save at t = {float(result.t[unreached[0]]):.6g}"
    found = float32_stall(system, t_from, y_from, p, until)
    if found is None:
        return ""
    t, y, i, out, exact = found
    at = (f"near t = {t:.6g}, y = {state_text(y)} (on the path SciPy's Radau took on the host from {what}, "
          f"t = {t_from:.6g}, before {missed}, which the run did not reach)")
    counted = _steps_counted(result, trajectory)
    return (float32_rhs_text(system, held_rhs(system), at, t, y, p, i, out, exact)
            + f" So a larger max_steps or looser tolerances cannot get past it: its {counted} stopped short of it.")


#: The sentence of :func:`kernels.param_sign.lone_negative_note` for a row, as formatted in a message: it opens with the
#: row's first entry (``params[2, 3]``) and ends with its reason (:func:`sign_first` finds it inside a hint).
_SIGN_NOTE = r" params\[{row}, \d+\](?:(?!\. [A-Z]).)*? negative where every other row's (?:(?!\. [A-Z]).)*?" \
             r"\(a rate given negative makes a mode grow\)\."


def sign_first(result, trajectory, code, text, hint):
    """``text``, the message of ``trajectory`` of failed status ``code`` (``hint`` the probes' hint it holds, or ''),
    opened by :func:`kernels.param_sign.lone_negative_note` where its params row is negative in a column that every
    other row of the batch has at 0 or above; ``text`` itself for a success, a stop at an event, or a row without such
    an entry.  Said once: where the hint already holds the note (the runaway, stiffness and non-finite rhs hints name
    it), it moves to the front; where a hint that judges signs left it out (the entry does not explain the failure: a
    zero inertia beside a negative injection) or the message already opens by naming the entry, ``text`` stays; where no
    hint speaks, it is added where some other row of the batch succeeded (else the entry is not what sets this row
    apart).

    Four pump currents with one photon lifetime given as -2 ps grew past float64's range: radau was told that a
    smaller dt_min or a jac may help, tsit5 only that the state became non-finite, rodas5p to try solver='dense' first
    (a physicist's trial).  An entry of the row ten times or more beyond every other row's (a units slip) is named
    next: :func:`kernels.outlier_inputs.outlier_first`."""
    from .outlier_inputs import outlier_first

    return outlier_first(result, trajectory, code, _sign_first(result, trajectory, code, text, hint))


def _sign_first(result, trajectory, code, text, hint):
    """:func:`sign_first`'s lone negative note alone."""
    if int(code) in (SUCCESS, EVENT):
        return text
    probe = host_inputs(result)
    if probe is None or probe.params is None or np.ndim(probe.params) != 2:
        return text
    row = min(int(trajectory), len(probe.params) - 1)
    opening = text.split(". ", 1)[0]  # (the note itself opens with a lower-case "params")
    if f"params[{row}, " in opening:
        return text
    held = re.search(_SIGN_NOTE.format(row=row), text)
    if held is not None:
        return held.group(0).lstrip() + " " + text.replace(held.group(0), "", 1)
    if hint or not _others_succeeded(result, trajectory) or not _grew(result, trajectory, probe, row):
        return text
    from .param_sign import lone_negative_note

    try:
        note = lone_negative_note(probe.system, probe.params, row)
    except Exception:  # noqa: BLE001 - a message must never fail: the message as it was
        return text
    return note.lstrip() + " " + text if note else text


def _grew(result, trajectory, probe, row):
    """Whether ``trajectory`` failed as a rate given negative makes it fail (:func:`kernels.param_sign.blew_up`): a
    non-finite state, a singular matrix or a Newton failure (a blow-up's), a step size underflow the host could not
    follow (where it can, the follow's stop says whether the state ran away: :func:`kernels.param_sign.stop_sign_note`
    in the hint), or a state saved at :data:`kernels.param_sign.GROWTH_SHOWN` times its own start (1 at least) or
    more.  A row of a set point swept across 0 that ran out of steps on a fast, bounded oscillation opened with
    "check its sign" (a regression hunt)."""
    from .param_sign import blew_up
    from .host_follow import follows_on_host

    code = int(host_array(result.status).reshape(-1)[int(trajectory)])
    try:
        saved = np.asarray(host_array(result.y), np.float64)[int(trajectory)].reshape(-1, probe.system.n_states)
        start = np.asarray(probe.y0, np.float64)
        start = row_of(start, row) if start.ndim == 2 else start
    except Exception:  # noqa: BLE001 - a message must never fail (no saves kept): the status alone
        saved, start = np.zeros((0, 1)), np.zeros(1)
    return blew_up(code, saved, start, followed=follows_on_host(probe.system))


def _others_succeeded(result, trajectory):
    """Whether a trajectory of ``result`` other than ``trajectory`` reached the end or stopped at a terminal event."""
    status = np.asarray(host_array(result.status)).reshape(-1)
    others = np.delete(status, int(trajectory))
    return bool(np.any((others == SUCCESS) | (others == EVENT)))


def pace_note(result, trajectory):
    """`` Its N accepted steps (R rejected) ended before the save at t = X; ...``: what the result holds of how far
    the steps went (the first save not reached; the last one reached is :func:`reached_note`'s), where that save is
    not the last one, and that only more steps tell how many the rest needs; else ''.  No figure for the whole
    span: an extrapolation from the pace so far said "about 3.8e+04 steps" for Robertson to t = 1e5 stopped at
    max_steps=40, which 129 attempts solve (its steps grow by orders of magnitude: a user's trial), and "at least
    about 1.5e4" for a decaying fast oscillation that took 2027 (a regression hunt)."""
    finite = _saved_finite(result, trajectory)
    if finite is None or result.t is None or result.n_steps is None or not len(result.t):
        return ""
    counted = _steps_counted(result, trajectory)
    if len(result.t) == 1:  # the end alone saved: nothing says how far the steps went (a control engineer's trial)
        return (f" It took {counted}; save at more times (t_eval) to see how far they went." if not finite[0]
                else "")
    missed = np.flatnonzero(~finite)
    if not missed.size or missed[0] == len(result.t) - 1:  # none missed, or only the end: reached_note says where
        return steps_taken(result, trajectory)
    return (f" Its {counted} ended before the save at t = {float(result.t[missed[0]]):.6g}; "
            "how many the rest of the span needs the result cannot tell (the step size may grow by orders of "
            "magnitude as the solution settles): n_steps of a run with a larger max_steps says.")


def steps_taken(result, trajectory):
    """`` It took N accepted steps (R rejected).``, or '' where the result holds no counts: what a MAX_STEPS
    message always says (README: how many steps were taken), that a larger max_steps is the first thing to try."""
    return "" if result.n_steps is None else f" It took {_steps_counted(result, trajectory)}."


def _steps_counted(result, trajectory):
    """``N accepted steps (R rejected)`` of a result that holds step counts (the rejected ones where it holds
    them): the one wording of :func:`pace_note` and :func:`steps_taken`."""
    accepted = int(host_array(result.n_steps)[trajectory])
    rejected = "" if result.n_rejected is None else f" ({int(host_array(result.n_rejected)[trajectory])} rejected)"
    return f"{accepted} accepted steps{rejected}"


def _told_apart(a, b):
    """``a`` and ``b`` written with 6 significant digits, or with enough more to show their difference to 3 (far from
    t = 0 a save at 1e9 + 1 of 1e9 + 100 read "1e+09 of 1e+09": a geophysicist's trial)."""
    digits = 6
    if a != b and math.isfinite(a) and math.isfinite(b):
        digits = min(17, max(6, math.ceil(math.log10(max(abs(a), abs(b)) / abs(b - a))) + 3))
    return f"{a:.{digits}g}", f"{b:.{digits}g}"


def reached_note(result, trajectory, where=False):
    """How far a stopped trajectory got: its last finite save, or that it saved nothing (with ``where`` and one
    save time, to save at more: an orbit stopped at dt_min was told to look where its saved values stop, with
    none saved; a user's trial)."""
    finite = _saved_finite(result, trajectory)
    if finite is None or result.t is None or not len(result.t):
        return ""
    reached = np.flatnonzero(finite)
    if reached.size:
        last, end = _told_apart(float(result.t[reached[-1]]), float(result.t[-1]))
        return f" Its last save is at t = {last} of {end}." if len(result.t) > 1 else ""
    if len(result.t) > 1:
        return f" It saved nothing before t = {float(result.t[0]):.6g}."
    return (f" It saved nothing before t = {float(result.t[0]):.6g}: pass more save times in t_eval to see where "
            "it stopped." if where else "")


def saves_beyond_max_steps(result, trajectory):
    """At MAX_STEPS, where ``t`` holds more save times past the start than the steps the trajectory attempted
    (every save ends a step), a sentence that says so; else ''.  Not where a fifth or more of the attempts were
    rejected (the saves are not what stopped it) nor for a fixed step (its own note counts the steps)."""
    if (result.n_steps is None or result.n_rejected is None or result.t is None or result.t_start is None
            or FIXED_MARK in result.status_messages.get(MAX_STEPS, "")):
        return ""
    accepted, rejected = (int(host_array(c)[trajectory]) for c in (result.n_steps, result.n_rejected))
    attempted = accepted + rejected
    times = np.asarray(result.t, np.float64)
    saves = int(np.count_nonzero(times > result.t_start))
    if saves <= attempted or mostly_rejected(accepted, rejected):
        return ""
    finite = _saved_finite(result, trajectory)
    if finite is not None:  # the saves it reached took fewer than half its steps: the span, not they, needs more
        reached = int(np.count_nonzero(finite & (times > result.t_start)))
        if 2 * reached < accepted:  # (an orbit with 999 saves over 1e7 s spent 500 steps before t = 1.2e5)
            return ""
    return (f" t_eval has {saves} save times after t0 and every save ends a step, so {attempted} steps "
            f"(max_steps) cannot reach them all: raise max_steps above {saves}, or save at fewer times.")


def rejected_note(result, trajectory):
    """:data:`FLOAT32_REJECTED_NOTE` for a float32 trajectory of an implicit method whose rejected steps were
    more than :data:`REJECTED_SHARE` of its attempts, else ''."""
    from .methods import METHODS

    method = METHODS.get(result.method)
    if method is None or method.explicit or getattr(result.plan, "precision", None) != "float32":
        return ""
    counted = _mostly_rejected(result, trajectory)
    return "" if counted is None else FLOAT32_REJECTED_NOTE.format(rejected=counted[0], attempts=counted[1])


def _mostly_rejected(result, trajectory):
    """``(rejected, attempts)`` of a trajectory whose rejected steps were more than :data:`REJECTED_SHARE` of its
    attempts, else None: the one test of :func:`rejected_note` and :func:`krylov_rejected_note`."""
    if result.n_steps is None or result.n_rejected is None:
        return None
    accepted, rejected = (int(host_array(a)[trajectory]) for a in (result.n_steps, result.n_rejected))
    return (rejected, accepted + rejected) if rejected > REJECTED_SHARE * (accepted + rejected) else None


def krylov_rejected_note(result, trajectory):
    """What to try where a run with a Krylov solver (``result.linear``) rejected more than
    :data:`REJECTED_SHARE` of its attempted steps, else ''.  rodas5p + gmres on a 70-species food web took
    242 steps with 114 rejected where the LU took 111 with 2, with success and no word (an ecologist's trial): a
    Krylov solve stopping short costs rejected steps, not a failure, and the README's remedies were not in the
    message."""
    counted = _mostly_rejected(result, trajectory) if result.linear in ("gmres", "bicgstab") else None
    if counted is None:
        return ""
    rejected, attempts = counted
    remedy = ("SolverOptions(linear='gmres', restart=32) (more stiff modes held at once) or preconditioned=True"
              if result.linear == "gmres" else "SolverOptions(linear='gmres') or preconditioned=True")
    return (f" {rejected} of its {attempts} attempted steps were rejected, many for an implicit method: "
            f"its {result.linear} solves may stop short of what the step needs. Solve a few trajectories with "
            f"solver='lu' (where an n-by-n factor a thread fits); if the LU takes far fewer steps, try {remedy}.")


def step_was_unstable(result, trajectory) -> bool:
    """Whether :func:`unstable_step_note` speaks for ``trajectory``: the solve found its fixed ``dt`` beyond the
    explicit method's stable step, so a growth it ended with is the step's, not the model's (rk4 at dt 0.05 on a
    decay ended at -5.8e102), which the solve's growth warnings leave to that note and its StabilityWarning."""
    return _unstable_row(result, int(trajectory)) is not None


def unstable_step_note(result, trajectory):
    """What a successful trajectory's message adds where the solve found its fixed ``dt`` beyond the explicit
    method's stable step (``result.unstable_step``, a :class:`kernels.step_stability.UnstableStep`): that it did, the
    stable step, how far the states grew, and what to do; else ''.  rk4 at dt 0.07 on a patient stable below 0.055
    ended at 1.1e81 with success and "reached the end" (a pharmacometrician's trial: the call's StabilityWarning,
    said once, is lost in a dosing loop).  Said for a trajectory probed unstable itself, or one not probed whose
    saved states grew far past the batch's; not for one probed stable (:func:`_unstable_row`)."""
    found = _unstable_row(result, trajectory)
    if found is None:
        return ""
    row, stable, start, peak = found
    from .integrator_checks import adaptive_alike
    from .methods import METHODS

    verdict, method = result.unstable_step, METHODS.get(result.method)
    adaptive = ("an adaptive controller (controller='pi')" if method is None or method.adaptive else
                f"an adaptive method ({adaptive_alike(method)})")
    where = f"at the initial state of trajectory {row}"
    limit = (f"about {stable:.3g} {where}" if stable > 0 else
             f"{where} no dt is: its stability region misses the direction of a mode there")
    grew = (f"its states grew from {start:.3g} to {peak:.3g}" if peak is not None and peak > GROWTH_LIMIT * start else
            "a mode that does not grow in the exact solution is amplified each step, so its states can be wrong "
            "though finite")
    remedy = f"take dt below {stable:.3g}, {adaptive}," if stable > 0 else f"take {adaptive}"
    return (f" But dt = {verdict.dt:g} is beyond {verdict.method}'s stable step for this problem ({limit}): {grew}; "
            f"{remedy} or for a stiff problem an implicit method (rodas5p, radau).")


#: How far beyond the larger of its own largest ``|y0|`` and the probed stable trajectories' largest saved magnitude a
#: trajectory not probed must have grown for :func:`unstable_step_note` to speak for it: a step's instability grows a
#: mode by its factor to the power of the steps (1.1e81 from 100 in 171 rk4 steps), where a correct run's growth is
#: the model's.  Tenfold over ``|y0|`` alone put the note on 118 of 120 correct trajectories that started at 0 under a
#: constant input, or grew as ``y' = 3 y`` does (a regression hunt).
UNPROBED_GROWTH = 1e6


def _saved_peak(result, trajectory):
    """The largest magnitude of ``trajectory``'s saved states, or None where none are saved (NaN ignored)."""
    if not (isinstance(result.y, np.ndarray) and result.y.ndim == 3 and result.y.shape[1]):
        return None
    with np.errstate(invalid="ignore"):
        peak = float(np.nanmax(np.abs(result.y[trajectory]))) if np.any(np.isfinite(result.y[trajectory])) else None
    return peak


def _unstable_row(result, trajectory):
    """``(row, stable_dt, start, peak)`` where :func:`unstable_step_note` speaks for ``trajectory``: the row whose
    stable step it names (its own where it was probed unstable, else the batch's smallest), that step, the
    trajectory's largest ``|y0|`` and its saved states' largest magnitude (None where none are saved); else None.
    A trajectory not probed is spoken for only where it grew :data:`UNPROBED_GROWTH` times past the larger of its own
    start and the probed stable trajectories' saved magnitudes (none of those: its start alone, where it is not 0)."""
    verdict = getattr(result, "unstable_step", None)
    if verdict is None or not verdict.unstable:
        return None
    starts = np.asarray(verdict.start if verdict.start is not None else [0.0], np.float64)
    start = float(starts[min(trajectory, starts.size - 1)])
    peak = _saved_peak(result, trajectory)
    unstable = dict(verdict.unstable)
    if trajectory in unstable:
        return trajectory, unstable[trajectory], start, peak
    if trajectory in verdict.probed or peak is None:
        return None
    healthy = [_saved_peak(result, r) for r in verdict.probed if r not in unstable and r < result.y.shape[0]]
    reference = max([start] + [p for p in healthy if p is not None])
    if not (reference > 0 and peak > UNPROBED_GROWTH * reference):
        return None
    row, stable = min(verdict.unstable, key=lambda pair: pair[1])
    return row, stable, start, peak
