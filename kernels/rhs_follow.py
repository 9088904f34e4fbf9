"""The host follow behind :mod:`kernels.rhs_hint`: SciPy's Radau along a failed trajectory's path, stopped at the first
point where ``rhs`` is not finite, or where a float32 run's range or its float32 rhs or jac fails.

Float32's range is judged only at the states of the path (the follow's accepted steps), never at the solver's trial
points, and a state past the square root of float32's largest value is no overflow by itself: an SI laser's carrier
density of 1e24 is its normal scale.  There the rhs held in float32 is checked, and the follow goes on while it stays
finite and the state stays within float32's range.  SciPy's first-step probe ``y0 + h f(y0)`` (``h`` the whole span)
took such a laser to N = 6.2e24 at t = 5e-9, and its float32 radau run was told that its solution leaves float32's
range there and to solve in float64 (a physicist's trial), where the run failed of a photon lifetime given as -2 ps
(float64 fails too) or of a product ``(N - N0) * S`` that overflows float32 near t = 2e-11 (which tsit5's message
named).  :func:`runs_away` says whether the float64 path itself leaves float32's range from a point the follow found
(precision=np.float64 then does not help).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .errors import UnassignedOutputError
from .float32_rhs import float32_rhs_fault, held_rhs
from .follow_events import TerminalWatch
from .host_follow import follow_on_host
from .jacobian_hint import float32_jacobian_fault
from .user_faults import is_float_fault

__all__ = ["RHS_EVALUATIONS", "follow", "runs_away", "blames_float32", "evaluate", "Found", "Stopped", "Reached"]

RHS_EVALUATIONS = 5000  # right-hand sides the host follow may take (about 0.1 s of a Python rhs)
_ROOT32 = float(np.sqrt(np.finfo(np.float32).max))


class Found(Exception):
    """The follow reached a point where ``rhs`` is not finite (or float32's range, rhs or jac fails)."""

    def __init__(self, t, y, f, fault, out_of_range=False, jacobian=None, rhs32=None):
        super().__init__()
        self.t, self.y, self.f, self.fault, self.out_of_range = t, y, f, fault, out_of_range
        self.jacobian = jacobian  # (k, float32 Jacobian): the jac float32 makes inf or NaN at (t, y)
        self.rhs32 = rhs32  # (i, float32 rhs): the rhs float32 makes inf or NaN at (t, y), float64's finite
        self.past_root = None  # (t, y, f): the first state of the path past the square root of the range, if any


@dataclasses.dataclass(frozen=True)
class Stopped:
    """SciPy's Radau failed before ``t_end`` at ``(t, y)``, the right-hand side finite all the way."""

    t: float
    y: np.ndarray


@dataclasses.dataclass(frozen=True)
class Reached:
    """The follow met a crossing of the solve's terminal event ``event`` (its index) in the step to ``(t, y)``, the
    right-hand side finite (and float32's checks passed) all the way: the trajectory stops there."""

    t: float
    y: np.ndarray
    event: int


def blames_float32(found):
    """Whether the follow's finding is float32's (its range, its rhs or its jac not finite where float64's are), which
    :meth:`kernels.rhs_hint.RhsProbe._followed_hint` checks again at the run's tolerances: the default follow (rtol
    1e-3, atol 1e-6 of the largest state) took a spring-slider's V ~ 1e-9 below 0 and theta past 1e19, and the float32
    run was told it overflows there, where the real path stays in range (a geophysicist's trial)."""
    return isinstance(found, Found) and (found.out_of_range or found.rhs32 is not None
                                         or found.jacobian is not None)


def follow(system, y0, p, t0, t_end, largest=np.inf, float32_jac=False, float32_rhs=False, tolerances=None,
           events=None):
    """The first point (a :class:`Found`) where ``rhs`` is not finite along SciPy's Radau path (its trial points
    included, the point then narrowed back towards the path), or, with ``float32_jac``, where the system's ``jac``
    held in float32 is not finite (found with its ``jacobian``), or, with ``float32_rhs``, where its ``rhs`` held in
    float32 is not finite and float64's is (found with ``rhs32``: at the trial points where the state is below the
    square root of float32's largest value, at the path's states above it), or where a state of the path passes
    ``largest`` (the working precision's range; without ``float32_rhs``, its square root, or ``rhs`` past
    ``largest``), found ``out_of_range``; a :class:`Stopped` where Radau fails with ``rhs`` finite; None when there
    is none.  A finding records the first state of the path past the square root of ``largest`` (``past_root``).
    ``tolerances``: the follow's ``(rtol, atol)`` (:func:`kernels.host_follow.follow_on_host`; None: its default).
    ``events``: the solve's events, whose terminal ones end the follow where one crosses zero at an accepted step
    (:class:`kernels.follow_events.TerminalWatch`), or, at a finding, between the latest accepted step and it: the
    trajectory never gets past it, and the follow gives a :class:`Reached` there (None where it met a finding)."""
    last = [(t0, y0)]  # the latest point where rhs was finite
    path = [(t0, y0)]  # the latest state of the path (an accepted step)
    past_root = [None]
    root = np.sqrt(largest)
    if float32_jac:  # its float32 copy made once: rewriting its literals at each point took seconds (a hunt)
        from .literals import for_system

        jac32 = for_system(system.jac, system, np.float32)
    rhs32 = held_rhs(system) if float32_rhs else None

    def f(t, y):
        out, found = evaluate(system, t, y, p)
        if found is not None:
            raise found
        held = float32_jacobian_fault(system, t, y, p, jac32) if float32_jac else None
        if held is not None:
            raise Found(t, np.array(y), out, None, jacobian=held)
        held = (float32_rhs_fault(system, rhs32, t, y, p, out) if float32_rhs and np.max(np.abs(y)) <= _ROOT32
                else None)
        if held is not None:
            raise Found(t, np.array(y), np.array(out), None, rhs32=held)
        last[0] = (t, np.array(y))
        return out

    def on_step(t, y):
        """Float32's range, judged on the path only (a trial point may lie far off it: a physicist's trial)."""
        size = np.max(np.abs(y))
        if size > root or not float32_rhs:
            out, found = evaluate(system, t, y, p)
            if found is not None:
                raise found
            if past_root[0] is None and size > root:
                past_root[0] = (t, np.array(y), np.array(out))
            if size > largest or not float32_rhs and (np.max(np.abs(out)) > largest or size > root):
                raise Found(t, np.array(y), out, None, out_of_range=True)
            held = float32_rhs_fault(system, rhs32, t, y, p, out)
            if held is not None:
                raise Found(t, np.array(y), np.array(out), None, rhs32=held)
        path[0] = (t, np.array(y))

    watch = TerminalWatch(events, p)
    judged = np.isfinite(largest)

    def stepped(t, y):
        """A terminal event crossed in the step (before its end's state is judged) ends the follow."""
        k = watch.crossed(t, y)
        if k is not None:
            raise _Terminal(Reached(float(t), np.array(y), k))
        if judged:
            on_step(t, y)

    if not (np.all(np.isfinite(y0)) and t_end > t0):
        return None
    try:
        watch.start(t0, y0)
        if judged:
            on_step(t0, y0)  # the start is on the path
        times, states, outcome = follow_on_host(f, t0, t_end, y0, RHS_EVALUATIONS, outcome=True, tolerances=tolerances,
                                                on_step=stepped if judged or watch else None)
        if outcome == "failed":  # Radau itself failed there, rhs finite all the way
            return Stopped(float(times[-1]), states[-1])
    except _Terminal as terminal:  # the trajectory stops at its terminal event first: nothing of the run's past it
        return terminal.args[0]
    except Found as found:
        if found.rhs32 is not None:
            # from the path's last state where the check ran (the previous step's, for a state past the root)
            good = last[0] if np.max(np.abs(found.y)) <= _ROOT32 else path[0]
            found = _narrowed32(system, p, good, found, rhs32)
        elif not found.out_of_range:
            found = _narrowed(system, p, last[0], found)
        found.past_root = past_root[0]
        # found at a trial point: a terminal event that crossed between the latest accepted step and it comes first
        return None if watch.crossed(found.t, found.y, keep=False) is not None else found
    except UnassignedOutputError:  # the cause: HostProbe.hint says it
        raise
    except Exception:  # noqa: BLE001 - the rhs failing otherwise on the host: no hint
        return None
    return None


def runs_away(system, p, t, y, t_end, largest, tolerances=None, events=None):
    """Where SciPy's Radau from ``(t, y)`` (where the follow found float32 failing) takes the float64 solution itself
    past ``largest`` (float32's largest value), or fails, or meets a ``rhs`` that is not finite, before ``t_end``:
    ``(t, y, how)`` there (``how``: '' past the range, else the words for the stop), where precision=np.float64 does
    not help (a photon lifetime given as -2 ps).  None where it reaches ``t_end`` within the range, or spends
    :data:`RHS_EVALUATIONS` right-hand sides first, or cannot be followed, or where a terminal event of ``events``
    crosses zero first (as in :func:`follow`: float64 would stop there, in range)."""
    y = np.asarray(y, np.float64)
    if np.max(np.abs(y)) > largest:
        return float(t), y, ""
    if not (np.all(np.isfinite(y)) and t_end > t):
        return None
    latest = [(float(t), y, "")]
    watch = TerminalWatch(events, p)

    class _Away(Exception):
        pass

    def f(s, x):
        out, found = evaluate(system, s, x, p)
        if found is not None:
            if watch.crossed(s, x, keep=False) is not None:  # a terminal event before this point stops float64's run
                raise _Terminal
            latest[0] = (latest[0][0], latest[0][1], ", next to a point where its rhs is not finite")
            raise _Away
        return out

    def on_step(s, x):
        if watch.crossed(s, x) is not None:
            raise _Terminal
        latest[0] = (float(s), np.array(x), "")
        if np.max(np.abs(x)) > largest:
            raise _Away

    try:
        watch.start(t, y)
        _, _, outcome = follow_on_host(f, t, t_end, y, RHS_EVALUATIONS, outcome=True, tolerances=tolerances,
                                       on_step=on_step)
    except _Terminal:
        return None
    except _Away:
        return latest[0]
    except UnassignedOutputError:
        raise
    except Exception:  # noqa: BLE001 - the rhs failing otherwise on the host: no verdict
        return None
    if outcome == "failed":
        return latest[0][0], latest[0][1], ", where SciPy's Radau stops"
    return None


class _Terminal(Exception):
    """A terminal event crossed zero on the follow's path: the trajectory stops there."""


def evaluate(system, t, y, p):
    """``(f, None)`` where ``rhs`` is finite at ``(t, y)``, else ``(None, Found)``; other errors propagate."""
    out = np.empty(system.n_states)
    try:
        with np.errstate(all="ignore"):
            system.evaluate_rhs(t, y, p, out=out)
    except UnassignedOutputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a float fault is the point; anything else ends the follow
        if is_float_fault(exc):
            return None, Found(t, np.array(y), out, exc)
        raise
    if not np.all(np.isfinite(out)):
        return None, Found(t, np.array(y), out, None)
    return out, None


def _bisected(good, found, rounds, judge):
    """``found`` moved back by bisection along the segment from ``good`` (``(t, y)``, the last point that passed) to
    it: ``judge(t, y)`` gives a new failing point (a :class:`Found`) where the midpoint fails, None where it passes,
    and :data:`_STOP` to end the search there."""
    (ta, ya), tb, yb = good, found.t, found.y
    for _ in range(rounds):
        tm, ym = 0.5 * (ta + tb), 0.5 * (ya + yb)
        failed = judge(tm, ym)
        if failed is _STOP:
            break
        if failed is None:
            ta, ya = tm, ym
        else:
            tb, yb, found = tm, ym, failed
    return found


_STOP = object()  # a :func:`_bisected` judge's verdict: search no further


def _narrowed(system, p, good, found, rounds=30):
    """The failing point moved back along the segment from the last finite one (bisection): the solver's
    trial point may lie well past where ``rhs`` stops being finite (a step over ``t = 1.2`` in ``sqrt(1.2 - t)``)."""
    return _bisected(good, found, rounds, lambda t, y: evaluate(system, t, y, p)[1])


def _narrowed32(system, p, good, found, held, rounds=50):
    """The point where the float32 rhs (``held``) stops being finite moved back along the segment from the last
    point where it was (bisection; float64's stays finite on the way, or the search stops): the host follow's first
    trial point lay at t = 3600 of a Chapman run whose float32 rhs overflowed within 1e-8 s (a chemist's trial)."""
    def judge(t, y):
        exact, failed = evaluate(system, t, y, p)
        if failed is not None:
            return _STOP
        fault = float32_rhs_fault(system, held, t, y, p, exact)
        return None if fault is None else Found(t, y, exact, None, rhs32=fault)

    return _bisected(good, found, rounds, judge)
