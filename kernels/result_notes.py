"""What a stopped trajectory's message adds at MAX_STEPS or a step-size underflow: how far it got, whether the saves
or the span need more steps, the pace, and the float32 note (:meth:`kernels.api.IVPResult.message`).  Each reads the
result (host arrays; a device array is copied)."""

from __future__ import annotations

import numpy as np

from .status import MAX_STEPS
from .rhs_hint import mostly_rejected
from .status_messages import FIXED_MARK, FLOAT32_REJECTED_NOTE, REJECTED_SHARE, SUSPECT_MARK

__all__ = ["host_array", "max_steps_note", "reached_note", "saves_beyond_max_steps", "pace_note", "rejected_note"]


def host_array(array):
    """``array`` on the host (a device array copied)."""
    return array if isinstance(array, np.ndarray) else array.copy_to_host()


def _saved_finite(result, trajectory):
    """Which of the trajectory's saves are finite (a bool per save time), or None where the result holds no saved
    trajectory (device arrays, ``save_trajectory=False``)."""
    if not (isinstance(result.y, np.ndarray) and result.y.ndim == 3):
        return None
    return np.all(np.isfinite(result.y[trajectory]), axis=1)


def max_steps_note(result, trajectory, advise=True):
    """At MAX_STEPS: how far the trajectory got (its last finite save) and, with ``advise``, what to do: for
    an implicit method of order 3 or less the higher-order ones to try (a user's trial: trapezoid and sdirk2 on
    POLLU spent 3000 steps before t = 0.2 and 0.6 with no word of it), else raise max_steps or loosen the
    tolerances.  No such advice where the step used a jac or jvp found wrong (its note says to fix it) or where
    the stiffness hint names the cause."""
    from .methods import METHODS

    method = METHODS.get(result.method)
    if method is None:
        return ""
    note = reached_note(result, trajectory)
    saves = saves_beyond_max_steps(result, trajectory)
    if saves:  # the saves alone need more steps than max_steps allowed: no tolerance helps
        return note + saves
    if not advise or SUSPECT_MARK in result.status_messages[MAX_STEPS] or FIXED_MARK in result.status_messages[
            MAX_STEPS]:
        return note
    if method.family != "erk" and method.tableau.order <= 3:
        note += (f" {method.name} is of order {method.tableau.order}, so at tight tolerances it takes many small "
                 "steps: radau, rodas5p or kvaerno5 take far fewer; or raise max_steps.")
    else:
        note += " Raise max_steps, or loosen rtol and atol to what the answer needs." + pace_note(result, trajectory)
    return note


def pace_note(result, trajectory):
    """`` At the pace so far ...``: how many steps the whole span would take at the rate the trajectory went, an
    extrapolation, not a bound (a decaying fast oscillation spent its small steps early: "at least about 1.5e4" for
    a span of 2027 steps, a regression hunt): its accepted steps over the span up to the first save it did not reach
    (it stopped before that save; the last one reached would count every step taken after it as before it: 2.7e6
    for 1281 with saves at 0.01 and 100, a regression hunt), where that is at least twice the steps taken; else ''."""
    finite = _saved_finite(result, trajectory)
    if finite is None or result.t is None or result.t_start is None or result.n_steps is None or len(result.t) < 2:
        return ""
    missed = np.flatnonzero(~finite)
    accepted = int(host_array(result.n_steps)[trajectory])
    covered = float(result.t[missed[0]]) - result.t_start if missed.size else 0.0
    span = float(result.t[-1]) - result.t_start
    if covered <= 0.0 or span <= 0.0 or span < 2.0 * covered:
        return ""
    return (f" At the pace so far ({accepted} steps before t = {float(result.t[missed[0]]):.6g}) the span would take "
            f"about {accepted * span / covered:.2g} steps; the pace changes as the solution's time scales do, so "
            "this is a rough guide.")


def reached_note(result, trajectory, where=False):
    """How far a stopped trajectory got: its last finite save, or that it saved nothing (with ``where`` and one
    save time, to save at more: an orbit stopped at dt_min was told to look where its saved values stop, with
    none saved; a user's trial)."""
    finite = _saved_finite(result, trajectory)
    if finite is None or result.t is None or not len(result.t):
        return ""
    reached = np.flatnonzero(finite)
    if reached.size:
        return (f" Its last save is at t = {float(result.t[reached[-1]]):.6g} of {float(result.t[-1]):.6g}."
                if len(result.t) > 1 else "")
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
    if method is None or method.family == "erk" or getattr(result.plan, "precision", None) != "float32":
        return ""
    accepted, rejected = (int(host_array(a)[trajectory]) for a in (result.n_steps, result.n_rejected))
    if rejected <= REJECTED_SHARE * (accepted + rejected):
        return ""
    return FLOAT32_REJECTED_NOTE.format(rejected=rejected, attempts=accepted + rejected)
