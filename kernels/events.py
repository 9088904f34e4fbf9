"""Events: sign changes of user functions ``g(t, y, p)`` detected and located in the loop.

After every accepted step ``[t, t + h]`` the loop evaluates each event's
``g`` at the step's end and compares its sign with the value kept from the
previous accepted point (the ``events`` component's persistent
``event_values``).  A crossing is ``g_old < 0 <= g_new`` (rising) or
``g_old > 0 >= g_new`` (falling), filtered by the event's ``direction``
(+1 rising only, -1 falling only, 0 both, as in SciPy; how SciPy's
``g.direction`` is read: :mod:`kernels.event_checks`); touching zero and
leaving again counts once.

Location, only when a terminal event's ``g`` changed sign (a counted
crossing needs no time, unless a terminal event cut the same step): the
cubic Hermite interpolant of the step is built from ``y_n``, ``y_{n+1}`` and
``f_n``, ``f_{n+1}`` (two right-hand-side evaluations, counted in ``n_rhs``;
the step's own stages are not reachable through the step contract), and the
Illinois variant of regula falsi finds the zero of ``g`` on it in ``theta =
(s - t) / h`` to :data:`THETA_TOL` (or :data:`MAX_ITERATIONS` iterations),
bisecting where it keeps one end without halving the bracket (a multiple zero).
The interpolant's error is ``O(h^4)``, far above the tolerance for the long
steps of the high-order methods (vern9 at rtol 1e-11 on ``y'' = -y``: the
time 5e-7 off, the state 7e4 tolerances), so a terminal event's zero is then
refined on the method's own steps (:func:`_make_refiner`): ``g`` at the
state of the step re-taken from ``(t, y)`` with size ``theta h``, secant
iterations from the interpolant's zero, at most :data:`MAX_REFINE_STEPS`
steps, then bisection where ``g`` jumps (``1.0 if y[0] > -20 else -1.0``,
whose secant only halves the bracket: 8 steps left it at h / 256) or once
the secant's are spent (a multiple zero: ``(y[0] - 0.5)**3``), at most
:data:`MAX_BISECTION_STEPS` steps more (all counted in ``n_rhs``).  The
located time and state are then as accurate as the solution (that problem at
1e-11: tsit5, dop853, vern7 and vern9 within 2e-13 in time, 0.03 tolerances
in the state; a ``g`` that jumps there is found where the smooth one is).
A start exactly on a zero of ``g`` is not a crossing.

A terminal event stops the trajectory at the earliest crossing of the step
(as the interpolant orders them): the state there (refined) is ``event_y``, its time
``event_t``, the status :data:`kernels.status.EVENT`; saves from then on are
NaN.  A non-terminal event counts crossings (``event_count``), those of a
step cut by a terminal event only up to it.  A terminal event's count is 1
when it stopped the trajectory.
"""

from __future__ import annotations

import dataclasses
import inspect
import math

import numpy as np
from numba import cuda

from planner import Buffer, BufferSettings, Phase

from .codegen import compile_device
from .diffeq_names import callback_arguments_refused
from .drivers import make_driver_evaluator
from .errors import ConfigurationError, describe
from .event_checks import (check_direction, check_events_compile, check_events_unchanged, check_function,
                           check_terminal, event_values, positional_parameters, scipy_attributes)
from .literals import for_system, unheld_floats
from .loop_work import EVENT_COLUMN
from .system_checks import cpu_jit_unwrapped
from .user_faults import value_function

__all__ = ["Event", "EventSettings", "as_events", "check_events_compile", "check_events_unchanged", "event_values",
           "make_event_functions", "THETA_TOL", "MAX_ITERATIONS"]

THETA_TOL = 1e-12
MAX_ITERATIONS = 60
#: Steps of the method a terminal event's refinement takes at most (each a whole step from the step's start).
MAX_REFINE_STEPS = 8
#: Steps of the method the refinement may add by bisection, where ``g`` jumps (a step function of the state).
MAX_BISECTION_STEPS = 50


@callback_arguments_refused  # DiffEq's affect= and callback options: what to do here, not a TypeError
@dataclasses.dataclass(frozen=True)
class Event:
    """An event function ``g(t, y, p) -> scalar`` whose zero crossings the loop detects.

    Parameters
    ----------
    function : callable
        A plain Python function of ``(t, y, p)`` that Numba CUDA can compile
        (like an ODESystem's rhs), returning a scalar.
    terminal : bool
        Stop the trajectory at the first crossing.
    direction : int
        +1: only upward crossings (``g`` rising through 0, negative to positive), -1: only downward (``g``
        falling through 0), 0: both.  Exactly one of these three: SciPy's attribute ``g.direction`` on a plain
        function is read by its sign (2 is +1; :func:`as_events`), an Event's direction is not.  The checks:
        :mod:`kernels.event_checks`.
    """

    function: object
    terminal: bool = False
    direction: int = 0
    # precision's scalar type -> unheld_floats(function, scalar): not part of the event's value (no eq, hash or repr)
    _unheld: dict = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "function", cpu_jit_unwrapped(self.function))
        check_function(self.function)
        object.__setattr__(self, "terminal", check_terminal(self.terminal))
        object.__setattr__(self, "direction", check_direction(self.direction))

    def unheld_floats(self, scalar):
        """:func:`kernels.literals.unheld_floats` of this event's function in the precision ``scalar``, remembered on
        the event: an Integrator keeps its events, and a solve checks them each time
        (:func:`kernels.event_checks.refuse_unheld_floats`), so the function's source is read once per event and
        precision, not per solve; another event of the same function reads it again (once, when first solved)."""
        if scalar not in self._unheld:
            self._unheld[scalar] = unheld_floats(self.function, scalar)
        return self._unheld[scalar]


def as_events(events):
    """``events`` as a tuple of :class:`Event`.

    A plain function is an Event with SciPy's attributes when it has them (``g.terminal = True``,
    ``g.direction = 1``), else a non-terminal event of both directions.  ``g.direction`` is read by its sign, as
    SciPy reads it: +1 (any positive number) counts upward crossings only (``g`` rising through 0), -1 (any
    negative one) downward only, 0 both (:func:`kernels.event_checks.scipy_attributes`); :class:`Event`'s own
    ``direction`` takes exactly +1, -1 or 0.
    """
    if events is None:
        return ()
    if isinstance(events, Event):
        return (events,)
    if events is Event or (isinstance(events, (list, tuple)) and any(e is Event for e in events)):
        raise ConfigurationError("events: got the class kernels.Event, not an event; make one of your function: "
                                 "events=kernels.Event(g, terminal=False, direction=1)")
    if callable(events):
        return (_from_function(events),)
    if isinstance(events, (str, bytes)):  # read one character at a time it was named as "got 'y'"
        raise ConfigurationError(f"events must be an Event, a function g(t, y, p) or a sequence of them; got the "
                                 f"string {describe(events)}: write the condition as a function whose sign "
                                 "changes at the event (def g(t, y, p): return y[0] for y[0] crossing 0)")
    try:
        items = tuple(events)
    except TypeError:
        raise ConfigurationError(f"events must be an Event, a function g(t, y, p) or a sequence of them; "
                                 f"got {describe(events)}") from None
    _refuse_callback_pair(items)
    return tuple(e if isinstance(e, Event) else _from_function(e) for e in items)


def _refuse_callback_pair(items):
    """ConfigurationError for ``events=(condition, affect!)``, Julia's callback pair: two functions, the second of one
    argument (the integrator), which read as two events made the second fail with "must take 3 arguments ... got 1"
    (a DiffEqGPU.jl user's trial)."""
    if len(items) != 2 or not all(callable(e) and not isinstance(e, Event) for e in items):
        return
    try:
        count = len(positional_parameters(inspect.signature(items[1]).parameters.values()))
    except (TypeError, ValueError):
        return
    if count == 1:
        raise ConfigurationError(
            f"events=({getattr(items[0], '__name__', 'condition')}, {getattr(items[1], '__name__', 'affect')}) "
            "reads as two events, and the second takes one "
            "argument, as a ContinuousCallback's affect!(integrator) does: events are conditions g(t, y, p) alone. "
            "A callback that stops is events=kernels.Event(condition, terminal=True); one that changes the state is "
            "a terminal event, then a new solve from result.event_y changed on the host (README, 'Summaries, "
            "counters and events')")


def _from_function(g):
    """An Event of a plain function, honouring SciPy's ``g.terminal`` and ``g.direction`` attributes (read as SciPy
    reads them: :func:`kernels.event_checks.scipy_attributes`)."""
    terminal, direction = scipy_attributes(g)
    return Event(g, terminal=terminal, direction=direction)


@dataclasses.dataclass(frozen=True)
class EventSettings:
    """The ``events`` component: ``g`` at the last accepted point (persistent), location scratch.

    ``slopes`` holds ``f_n`` then ``f_{n+1}`` and ``interpolated`` the
    interpolant's state while a crossing is located.  With a terminal event,
    ``event_state`` (persistent, so that no step's scratch shares its memory)
    keeps the interpolant's state at the crossing while the refinement
    re-steps, the answer if a re-step fails.
    """

    events: tuple
    n_states: int
    n_drivers: int = 0

    component = "events"

    @property
    def terminal(self) -> bool:
        """Some event is terminal (its crossing is located and refined)."""
        return any(e.terminal for e in self.events)

    def buffer_settings(self) -> BufferSettings:
        n, m = self.n_states, len(self.events)
        span = (("locate", "locate"),)
        buffers = (Buffer("event_values", size_elems=m, persistent=True, weight=float(2 * m)),
                   Buffer("slopes", size_elems=2 * n, lifetime=span, weight=float(n)),
                   Buffer("interpolated", size_elems=n, lifetime=span, weight=float(n)),
                   Buffer("drivers", size_elems=self.n_drivers, lifetime=span, weight=0.0))
        if self.terminal:
            buffers += (Buffer("event_state", size_elems=n, persistent=True, weight=0.0),)
        return BufferSettings(component=self.component, phases=(Phase("check"), Phase("locate")), buffers=buffers)


def _make_locator(g, n_states, dtype):
    """``locate(t, h, y, y_new, f, ys, p, g_old, g_new) -> theta`` of the interpolant's zero in (0, 1]."""

    @cuda.jit(device=True, inline="always")
    def interpolate(theta, h, y, y_new, f, ys):
        t2 = theta * theta
        t3 = t2 * theta
        c0 = dtype(2.0 * t3 - 3.0 * t2 + 1.0)
        c1 = dtype((t3 - 2.0 * t2 + theta) * h)
        c2 = dtype(-2.0 * t3 + 3.0 * t2)
        c3 = dtype((t3 - t2) * h)
        for i in range(n_states):
            ys[i] = c0 * y[i] + c1 * f[i] + c2 * y_new[i] + c3 * f[n_states + i]

    @cuda.jit(device=True)
    def locate(t, h, y, y_new, f, ys, p, g_old, g_new):
        # Illinois: [a, b] (either order) brackets the zero; the end kept twice has its value halved.
        a, b = 0.0, 1.0
        ga, gb = float(g_old), float(g_new)
        rising = gb > ga
        kept, wide, width = 0, 1.0, 1.0  # the times a was kept in a row; the bracket's width 2 and 1 iterations ago
        for _ in range(MAX_ITERATIONS):
            if gb == 0.0 or abs(b - a) <= THETA_TOL:
                break
            c = (a * gb - b * ga) / (gb - ga)
            # Dekker's guard: bisect where a was kept twice without halving the bracket (g at a multiple zero
            # falls faster than ga halves: (y0 - 0.5)**3 kept a = 1 all 60 iterations and stopped at the step's end)
            if not min(a, b) < c < max(a, b) or (kept > 1 and abs(b - a) > 0.5 * wide):
                c = 0.5 * (a + b)
            wide, width = width, abs(b - a)
            interpolate(c, h, y, y_new, f, ys)
            gc = float(g(t + c * h, ys, p))
            if (gc > 0.0) == (gb > 0.0) and gc != 0.0:
                ga, kept = 0.5 * ga, kept + 1
            else:
                a, ga, kept = b, gb, 0
            b, gb = c, gc
        # The end where g already has its new sign (or is zero): the crossing is not after it.
        if gb == 0.0 or (gb > 0.0) == rising:
            return b
        return a

    return locate, interpolate


def _make_refiner(g_at, restep, interpolate, alloc_saved, n_states, dtype):
    """``refine(e, theta_h, ...) -> theta``: terminal event ``e``'s crossing on the method's own steps.

    ``phi(theta) = g(t + theta h, step(t, y, theta h))`` (the step re-taken from the step's start, its
    size the representable ``(t + theta h) - t``) equals ``g_old`` at 0 and ``g_new`` at 1.  From the
    interpolant's zero ``theta_h``, secant steps through the last two points, kept inside the bracket of
    the sign change (its midpoint otherwise), and a step across the zero once they converge from one side,
    shrink the bracket to :data:`THETA_TOL` (4 eps in float32), the float64 resolution of the time, or
    :data:`MAX_REFINE_STEPS` steps.  Where ``g`` did not halve over a step wider than that twice running (it jumps), the
    midpoint is taken instead; bisection goes on, once those steps are spent (their last one twice as far
    across as they came: they crawl to a multiple zero), for at most :data:`MAX_BISECTION_STEPS` steps more.
    Returns the bracket's end on the new side (the event is never reported before the crossing) with its
    state in ``y_new``.  When a re-step fails (an implicit step's solver, or a non-finite state), the
    interpolant's answer stands.
    """
    TOL = max(THETA_TOL, 4.0 * float(np.finfo(dtype).eps))
    zero = dtype(0.0)

    @cuda.jit(device=True)
    def trial(e, t, h, theta, y, y_new, p, driver_times, driver_values, counts, traj, region, persistent):
        """``phi(theta)``, the state in ``y_new``; NaN when the step failed or its state is not finite."""
        t_theta = t + theta * h
        code = restep(t, t_theta - t, y, y_new, p, driver_times, driver_values, counts, traj, region, persistent)
        acc = zero
        for i in range(n_states):
            acc = y_new[i] * zero + acc
        if code != 0 or acc != zero:
            return math.nan
        return float(g_at(e, t_theta, y_new, p))

    @cuda.jit(device=True)
    def refine(e, theta_h, t, h, y, y_new, f, ys, p, g_old, g_new, driver_times, driver_values, counts, traj,
               region, persistent):
        if theta_h >= 1.0:  # g is zero at the step's end: y_new is the state there
            return 1.0
        saved = alloc_saved(region, persistent)
        interpolate(theta_h, h, y, y_new, f, ys)
        for i in range(n_states):
            saved[i] = ys[i]
        # From here on the steps may reuse the memory of f and ys (the plan lets them share it).
        rising = g_old < 0.0
        lo, glo, hi, ghi = 0.0, float(g_old), 1.0, float(g_new)
        c = theta_h if theta_h > 0.0 else 0.5
        xp, gp = 0.0, 0.0
        last = -1.0  # the theta whose state y_new holds
        halved = 0  # the trials from bisection (the others from the secant, the interpolant's zero the first)
        stalls = 0  # trials in a row that did not halve g
        for it in range(MAX_REFINE_STEPS + MAX_BISECTION_STEPS):
            gc = trial(e, t, h, c, y, y_new, p, driver_times, driver_values, counts, traj, region, persistent)
            if gc != gc:
                last = -2.0
                break
            last = c
            new = gc >= 0.0 if rising else gc <= 0.0
            if new:
                hi, ghi = c, gc
            else:
                lo, glo = c, gc
            if gc == 0.0 or hi - lo <= TOL or t + lo * h == t + hi * h:
                break
            if it == 0:  # the first secant is regula falsi through the far end of the bracket
                xp, gp = (lo, glo) if new else (hi, ghi)
            nxt = 0.5 * (lo + hi)
            if gc != gp:
                s = c - gc * (c - xp) / (gc - gp)
                if lo < s < hi or s == c:  # (s == c: g is flat there, as at a multiple zero)
                    nxt = s
            if abs(nxt - c) < 0.5 * TOL or (it + 2 == MAX_REFINE_STEPS and halved == 0):
                # step across the zero: converged from one side, or at the secant's last trial (crawling to a
                # multiple zero) twice as far as they came
                step = TOL if abs(nxt - c) < 0.5 * TOL else 2.0 * abs(c - theta_h)
                nxt = c - step if new else c + step
                if not lo < nxt < hi:
                    nxt = 0.5 * (lo + hi)
            # g did not halve over a step wider than TOL, twice running: it jumps, bisect (once alone is a curved g:
            # regula falsi through the bracket's far end crawls on a near-tangent crossing, and the secant after it
            # converges)
            stalls = stalls + 1 if abs(gc) > 0.5 * abs(gp) and abs(c - xp) > 2.0 * TOL else 0
            if stalls >= 2 or it + 1 - halved >= MAX_REFINE_STEPS:  # or the secant's trials are spent (a multiple zero)
                nxt, halved = 0.5 * (lo + hi), halved + 1
            if halved > MAX_BISECTION_STEPS:
                break
            xp, gp = c, gc
            c = nxt
        if last != hi and last != -2.0:  # the last step was on the old side: the state at hi
            g_hi = trial(e, t, h, hi, y, y_new, p, driver_times, driver_values, counts, traj, region, persistent)
            if g_hi == g_hi:
                return hi
            last = -2.0
        if last == -2.0:
            for i in range(n_states):
                y_new[i] = saved[i]
            return theta_h
        return hi

    return refine


def make_event_functions(settings, system, allocate, dtype, restep=None):
    """``(begin, check)`` device functions of the events component.

    * ``begin(traj, t, y, p, counts, region, persistent)``: ``g`` at the start, counts zeroed;
    * ``check(traj, t, h, y, y_new, p, driver_times, driver_values, counts, region, persistent) -> theta``:
      after an accepted step: counts crossings, and when a terminal event fires
      returns its ``theta`` in (0, 1] and leaves the interpolated state there in
      ``y_new``; 2.0 when nothing stops the step.  ``counts[traj, 0]`` gains
      the right-hand-side evaluations of location; ``counts[traj, EVENT_COLUMN + e]``
      counts event ``e``.

    ``restep(t, h, y, y_out, p, driver_times, driver_values, counts, traj, region, persistent) -> code``
    (the loop's step from ``(t, y)``, its work counted in ``counts``; :mod:`kernels.loop`) refines a
    terminal event's crossing; without it the interpolant's zero is the answer.
    """
    events = settings.events
    n = settings.n_states
    namespace = {"alloc_values": allocate("event_values"), "alloc_slopes": allocate("slopes"),
                 "alloc_ys": allocate("interpolated"), "alloc_u": allocate("drivers"),
                 "rhs": system.device_functions(dtype).rhs, "dtype": dtype, "NONE": 2.0}
    namespace["eval_drivers"] = make_driver_evaluator(settings.n_drivers)
    interpolate = None
    for e, event in enumerate(events):
        g = value_function(for_system(event.function, system, dtype))
        namespace[f"g_{e}"] = g
        namespace[f"locate_{e}"], interpolate = _make_locator(g, n, dtype)
    namespace["interpolate"] = interpolate
    terminal = [e for e in range(len(events)) if events[e].terminal]
    REFINE = restep is not None and bool(terminal)
    if REFINE:
        g_at = ["def g_at(e, t, y, p):"]
        for e in terminal:
            g_at += [f"    if e == {e}:", f"        return float(g_{e}(t, y, p))"]
        g_at.append("    return 0.0")
        namespace["refine"] = _make_refiner(compile_device("\n".join(g_at) + "\n", "g_at", namespace), restep,
                                            interpolate, allocate("event_state"), n, dtype)
    elif terminal:
        allocate("event_state")  # declared with a terminal event (unused without a step to refine with)

    def crossing(e, old, new):
        rising, falling = f"({old} < 0 and {new} >= 0)", f"({old} > 0 and {new} <= 0)"
        return {1: rising, -1: falling, 0: f"({rising} or {falling})"}[events[e].direction]

    begin = ["def begin(traj, t, y, p, counts, region, persistent):",
             "    gv = alloc_values(region, persistent)"]
    for e in range(len(events)):
        begin += [f"    gv[{e}] = g_{e}(t, y, p)", f"    counts[traj, {EVENT_COLUMN + e}] = 0"]
    # The slopes and the interpolated state are allocated here, once, and handed down: a local buffer's
    # allocator makes a fresh array at each call, so slopes written in one call would not be the array
    # another call of alloc_slopes reads (on the GPU: uninitialised; the simulator hid it).
    check = ["def check(traj, t, h, y, y_new, p, driver_times, driver_values, counts, region, persistent):",
             "    gv = alloc_values(region, persistent)",
             "    f = alloc_slopes(region, persistent)",
             "    ys = alloc_ys(region, persistent)",
             "    t_new = t + h",
             "    theta_stop = NONE",
             "    stop = -1",
             "    g_stop_old = 0.0",
             "    g_stop_new = 0.0",
             "    sloped = False"]
    for e in range(len(events)):
        check.append(f"    g_new_{e} = g_{e}(t_new, y_new, p)")
    slope_lines = ["        if not sloped:", "            sloped = True", "            slopes(t, h, y, y_new, p, "
                   "driver_times, driver_values, counts, traj, f, region, persistent)"]
    order = [e for e in range(len(events)) if events[e].terminal] + [e for e in range(len(events))
                                                                     if not events[e].terminal]
    for e in order:
        locate = f"locate_{e}(t, h, y, y_new, f, ys, p, gv[{e}], g_new_{e})"
        check.append(f"    if {crossing(e, f'gv[{e}]', f'g_new_{e}')}:")
        if events[e].terminal:
            check += slope_lines
            check += [f"        theta = {locate}", "        if theta < theta_stop:", "            theta_stop = theta",
                      f"            stop = {e}", f"            g_stop_old = float(gv[{e}])",
                      f"            g_stop_new = float(g_new_{e})"]
        else:  # located only when a terminal event cut the step: is it before the cut?
            check += ["        if stop < 0:", f"            counts[traj, {EVENT_COLUMN + e}] += 1",
                      f"        elif {locate} <= theta_stop:", f"            counts[traj, {EVENT_COLUMN + e}] += 1"]
    for e in range(len(events)):
        check.append(f"    gv[{e}] = g_new_{e}")
    check += ["    if stop >= 0:", f"        counts[traj, {EVENT_COLUMN} + stop] += 1"]
    if REFINE:  # the crossing on the method's own steps (after the last use of f and ys)
        check += ["        theta_stop = refine(stop, theta_stop, t, h, y, y_new, f, ys, p, g_stop_old, g_stop_new, "
                  "driver_times, driver_values, counts, traj, region, persistent)"]
    else:
        check += ["        if theta_stop < 1.0:",
                  "            interpolate(theta_stop, h, y, y_new, f, ys)",
                  f"            for i in range({n}):",
                  "                y_new[i] = ys[i]"]
    check.append("    return theta_stop")
    slopes = ["def slopes(t, h, y, y_new, p, driver_times, driver_values, counts, traj, f, region, persistent):",
              "    u = alloc_u(region, persistent)",
              "    eval_drivers(t, driver_times, driver_values, u)",
              "    rhs(t, y, p, u, f[:" + str(n) + "])",
              "    eval_drivers(t + h, driver_times, driver_values, u)",
              "    rhs(t + h, y_new, p, u, f[" + str(n) + ":])",
              "    counts[traj, 0] += 2"]
    if not events:
        raise ConfigurationError("events: make_event_functions needs at least one event")
    namespace["slopes"] = compile_device("\n".join(slopes) + "\n", "slopes", namespace)
    return (compile_device("\n".join(begin) + "\n", "begin", namespace),
            compile_device("\n".join(check) + "\n", "check", namespace))
