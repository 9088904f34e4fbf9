"""At MAX_STEPS: a trajectory that keeps passing very close to a point where its rhs is singular (a near-collision
with a body under 1/r^2 gravity), told so instead of "Raise max_steps".

A CR3BP start at x = 0.98 at rest falls onto the Moon with a hair of angular momentum and swings round it within
1e-8 of its centre again and again: dop853 at rtol 1e-10 spent 100000 attempts (27766 rejected) on those passes and
was told to raise max_steps, which only buys more of them (an astrodynamicist's trial).  An exact collision, where the
solution itself is singular, is :mod:`kernels.rhs_hint`'s: its host follow stops there.

The check (:func:`close_approach_note`): the trajectory is followed on the host from its last finite save (else its
start) by SciPy's DOP853 within :data:`FOLLOW_EVALUATIONS` right-hand sides, and ``|dydt|`` (largest component) is
read at each step's end.  A close approach is a peak of ``|dydt|`` at least :data:`CLOSE_RATIO` times its typical size
on the followed path (the median over the time followed, not over the steps, which crowd at the peaks) that the path
spends at most :data:`BRIEF_SHARE` of its time near (above the geometric mean of peak and typical size): a rhs that
grows by orders of magnitude at a few brief passes.  A run that simply needs more steps (a circular orbit, Lorenz)
varies by less than 100 there, a Kepler orbit of eccentricity 0.999 by 2e6; the trial's passes by 1e8 and more.  The
follow costs at most :data:`FOLLOW_EVALUATIONS` host calls of ``rhs`` (about 0.1 s for the CR3BP), made only when the
message of a trajectory at MAX_STEPS that no hint explains is asked for.
"""

from __future__ import annotations

import numpy as np

from .batch_inputs import row_of
from .errors import state_text
from .host_follow import follow_on_host

__all__ = ["close_approach_note", "CLOSE_RATIO", "BRIEF_SHARE", "FOLLOW_EVALUATIONS"]

#: How many times its typical size on the followed path ``|dydt|`` must peak at (for 1/r^2, a pass within about 3e-4
#: of the path's typical distance).  The trial's fall onto the Moon, followed from 50 states along its path, peaked at
#: 1e8 to 4e8 times (onto Earth 6e11); a Kepler orbit of eccentricity 0.999 at 2e6, one of 0.9997 at 2e7.
CLOSE_RATIO = 1e7
#: The largest share of the followed time the path may spend near its peaks (above the geometric mean of peak and
#: typical ``|dydt|``) for them to be brief passes.
BRIEF_SHARE = 0.01
#: The right-hand sides the host follow may take (SciPy's DOP853: 12 a step).
FOLLOW_EVALUATIONS = 6000
#: The fewest steps a follow must take for its path to be judged.
FEWEST_STEPS = 20


def close_approach_note(result, trajectory) -> str:
    """What a MAX_STEPS message says, in place of raising max_steps, where ``trajectory`` keeps passing very close to a
    point where its rhs is singular (module docstring: the test and its numbers); else '', and '' where the result
    keeps no host inputs (a pickled result, device inputs) or the system has drivers or many states."""
    from .result_notes import host_inputs

    probe = host_inputs(result)
    if probe is None:
        return ""
    try:
        return _note(result, int(trajectory), probe)
    except Exception:  # noqa: BLE001 - a message must never fail: the usual advice stands
        return ""


def _start(result, trajectory, probe):
    """``(what, t, y)``: the trajectory's last finite save on the host (``"its last save"``), else its start."""
    y0 = np.asarray(probe.y0, np.float64)
    what, t, y = "its start", float(probe.t0), (row_of(y0, trajectory) if y0.ndim == 2 else y0)
    saved = getattr(result, "y", None)
    if isinstance(saved, np.ndarray) and saved.ndim == 3 and result.t is not None and len(result.t):
        finite = np.flatnonzero(np.all(np.isfinite(saved[trajectory]), axis=1))
        if finite.size:
            k = int(finite[-1])
            what, t, y = "its last save", float(result.t[k]), saved[trajectory][k]
    return what, t, np.array(y, np.float64)


def _note(result, trajectory, probe):
    """:func:`close_approach_note`'s text, given the probe that holds the host inputs."""
    from .host_follow import follows_on_host

    system = probe.system
    if not follows_on_host(system):
        return ""
    p = (np.asarray(row_of(probe.params, trajectory), np.float64) if system.n_params
         else np.zeros(0))
    what, t_from, y_from = _start(result, trajectory, probe)
    t_end = float(getattr(probe, "t_end", result.t[-1]))
    if not t_end > t_from:
        return ""
    times, sizes, steps, states = _follow(system, p, t_from, y_from, t_end, _tolerances(result, y_from))
    if steps.size < FEWEST_STEPS or not np.all(np.isfinite(sizes)):
        return ""
    at_end = sizes[1:]  # |dydt| at each step's end, weighted by the step's length
    order = np.argsort(at_end)
    covered = np.cumsum(steps[order])
    typical = float(at_end[order][np.searchsorted(covered, covered[-1] / 2)])
    k = int(np.argmax(sizes))
    peak = float(sizes[k])
    if not (typical > 0 and peak >= CLOSE_RATIO * typical):
        return ""
    near = sizes >= np.sqrt(peak * typical)
    if float(np.sum(steps[near[1:]])) > BRIEF_SHARE * float(np.sum(steps)):
        return ""
    passes = int(np.count_nonzero(near[1:] & ~near[:-1]) + near[0])
    seen = "one brief pass" if passes == 1 else f"{passes} brief passes"
    return (f" Likely cause: the trajectory keeps passing very close to a point where its rhs is singular (followed "
            f"on the host by SciPy's DOP853 from {what}, t = {t_from:.6g}, |dydt| rose to {peak / typical:.2g} times "
            f"its typical size on the path in {seen}, the closest near t = {float(times[k]):.6g}, y = "
            f"{state_text(states[k])}, with steps down to {float(np.min(steps)):.2g}), and raising max_steps only "
            "buys more of those passes: stop the trajectory at the close approach with a terminal event on the "
            "distance, kernels.Event(lambda t, y, p: r - R, terminal=True, direction=-1) with r computed from y and "
            "R the radius to stop at, or regularise the model there (a softened 1/(r^2 + eps^2), or regularised "
            "coordinates).")


def _tolerances(result, y_from):
    """``(rtol, atol)`` of the follow: the run's, where a probe of ``result`` keeps them, held between 1e-8 and 1e-6
    (rtol) and at most 1e-6 of the start's scale (atol); else rtol 1e-8 and atol 1e-10 of that scale.  Not tighter:
    at the trial's rtol 1e-10 the budget covered 2.5e-4 time units from a save inside a pass, too little of the path
    for its typical ``|dydt|`` (the peak read 2.5e7 times it; at 1e-8 the follow covered an orbit, 1.6e9)."""
    from .result_notes import result_probes

    scale = max(1.0, float(np.max(np.abs(y_from))))
    tolerances = next((probe.tolerances for probe in result_probes(result)
                       if getattr(probe, "tolerances", None) is not None), None)
    if tolerances is None:
        return 1e-8, 1e-10 * scale
    rtol, atol = tolerances
    return (min(max(float(np.min(rtol)), 1e-8), 1e-6),
            np.minimum(np.broadcast_to(np.asarray(atol, np.float64), y_from.shape), 1e-6 * scale))


def _follow(system, p, t0, y0, t_end, tolerances):
    """SciPy's DOP853 from ``(t0, y0)`` towards ``t_end`` within :data:`FOLLOW_EVALUATIONS` right-hand sides: the
    times, ``|dydt|`` (largest component) and states at the start and each step's end, and the steps' lengths."""
    def f(t, y):
        return system.evaluate_rhs(float(t), np.array(y, np.float64), p)

    times, states, status = follow_on_host(f, t0, t_end, y0, FOLLOW_EVALUATIONS, outcome=True, tolerances=tolerances,
                                           method="DOP853")
    if status == "failed":  # a stop the path cannot pass: rhs_hint's case, not a close approach
        return np.zeros(1), np.full(1, np.nan), np.zeros(0), np.zeros((1, y0.size))
    with np.errstate(all="ignore"):
        sizes = np.array([float(np.max(np.abs(f(t, y)))) for t, y in zip(times, states)])
    return times, sizes, np.diff(times), states
