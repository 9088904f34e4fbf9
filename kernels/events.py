"""Events: sign changes of user functions ``g(t, y, p)`` detected and located in the loop.

After every accepted step ``[t, t + h]`` the loop evaluates each event's
``g`` at the step's end and compares its sign with the value kept from the
previous accepted point (the ``events`` component's persistent
``event_values``).  A crossing is ``g_old < 0 <= g_new`` (rising) or
``g_old > 0 >= g_new`` (falling), filtered by the event's ``direction``
(+1 rising only, -1 falling only, 0 both, as in SciPy); touching zero and
leaving again counts once.

Location, only when a terminal event's ``g`` changed sign (a counted
crossing needs no time, unless a terminal event cut the same step): the
cubic Hermite interpolant of the step is built from ``y_n``, ``y_{n+1}`` and
``f_n``, ``f_{n+1}`` (two right-hand-side evaluations, counted in ``n_rhs``;
the step's own stages are not reachable through the step contract), and the
Illinois variant of regula falsi finds the zero of ``g`` on it in ``theta =
(s - t) / h`` to :data:`THETA_TOL` (or :data:`MAX_ITERATIONS` iterations).
The interpolant's error is ``O(h^4)``: the located time is about as accurate
as the solution itself for the fourth- and fifth-order methods (measured on
Van der Pol against SciPy: 1e-8 with RK4 at dt 0.02, 3e-8 with Tsit5 at
rtol 1e-9).  A start exactly on a zero of ``g`` is not a crossing.

A terminal event stops the trajectory at the earliest located crossing of
the step: the state there (interpolated) is ``event_y``, its time
``event_t``, the status :data:`kernels.status.EVENT`; saves from then on are
NaN.  A non-terminal event counts crossings (``event_count``), those of a
step cut by a terminal event only up to it.  A terminal event's count is 1
when it stopped the trajectory.
"""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
from numba import cuda

from planner import Buffer, BufferSettings, Phase

from .codegen import compile_device
from .drivers import make_driver_evaluator
from .errors import ConfigurationError, describe
from .literals import in_precision
from .loop_work import EVENT_COLUMN

__all__ = ["Event", "EventSettings", "as_events", "check_events_compile", "make_event_functions", "THETA_TOL",
           "MAX_ITERATIONS"]

THETA_TOL = 1e-12
MAX_ITERATIONS = 60


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
        +1: only rising crossings (negative to positive), -1: only falling, 0: both.
    """

    function: object
    terminal: bool = False
    direction: int = 0

    def __post_init__(self):
        _check_function(self.function)
        if not isinstance(self.terminal, (bool, np.bool_)):
            raise ConfigurationError(f"Event terminal must be True or False; got {describe(self.terminal)}")
        if isinstance(self.direction, bool) or self.direction not in (-1, 0, 1):
            raise ConfigurationError(f"Event direction must be -1, 0 or +1; got {describe(self.direction)}")
        object.__setattr__(self, "direction", int(self.direction))
        object.__setattr__(self, "terminal", bool(self.terminal))


def _check_function(func):
    if not callable(func):
        raise ConfigurationError(f"Event function must be a callable g(t, y, p); got {describe(func)}")
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) != 3 or any(p.kind is p.VAR_POSITIONAL for p in params):
        raise ConfigurationError(f"Event function must take 3 arguments (t, y, p); got a function of "
                                 f"{len(positional)} positional arguments")
    # Returns a value: a host call on a sample state must give a finite-typed scalar.
    try:
        value = func(0.0, np.zeros(64), np.zeros(64))
    except Exception:  # noqa: BLE001 - indices past the sample or device-only code: the compile test decides
        return
    if value is None:
        raise ConfigurationError("Event function must return a scalar g(t, y, p); it returned None (a "
                                 "missing return statement?)")
    if np.ndim(value) != 0:  # (the sample arrays' size is ours, not the user's: not quoted)
        raise ConfigurationError("Event function must return one number g(t, y, p) whose sign change is the "
                                 "event, such as y[0] - 1.0; it returned an array")


def as_events(events):
    """``events`` as a tuple of :class:`Event` (a bare Event or function is one non-terminal event)."""
    if events is None:
        return ()
    if isinstance(events, Event):
        return (events,)
    if callable(events):
        return (Event(events),)
    try:
        items = tuple(events)
    except TypeError:
        raise ConfigurationError(f"events must be an Event, a function g(t, y, p) or a sequence of them; "
                                 f"got {describe(events)}") from None
    return tuple(e if isinstance(e, Event) else Event(e) for e in items)


@dataclasses.dataclass(frozen=True)
class EventSettings:
    """The ``events`` component: ``g`` at the last accepted point (persistent), location scratch.

    ``slopes`` holds ``f_n`` then ``f_{n+1}`` and ``interpolated`` the
    interpolant's state while a crossing is located.
    """

    events: tuple
    n_states: int
    n_drivers: int = 0

    component = "events"

    def buffer_settings(self) -> BufferSettings:
        n, m = self.n_states, len(self.events)
        span = (("locate", "locate"),)
        buffers = (Buffer("event_values", size_elems=m, persistent=True, weight=float(2 * m)),
                   Buffer("slopes", size_elems=2 * n, lifetime=span, weight=float(n)),
                   Buffer("interpolated", size_elems=n, lifetime=span, weight=float(n)),
                   Buffer("drivers", size_elems=self.n_drivers, lifetime=span, weight=0.0))
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
        for _ in range(MAX_ITERATIONS):
            if gb == 0.0 or abs(b - a) <= THETA_TOL:
                break
            c = (a * gb - b * ga) / (gb - ga)
            if not min(a, b) < c < max(a, b):
                c = 0.5 * (a + b)
            interpolate(c, h, y, y_new, f, ys)
            gc = float(g(t + c * h, ys, p))
            if (gc > 0.0) == (gb > 0.0) and gc != 0.0:
                ga = 0.5 * ga
            else:
                a, ga = b, gb
            b, gb = c, gc
        # The end where g already has its new sign (or is zero): the crossing is not after it.
        if gb == 0.0 or (gb > 0.0) == rising:
            return b
        return a

    return locate, interpolate


def make_event_functions(settings, system, allocate, dtype):
    """``(begin, check)`` device functions of the events component.

    * ``begin(traj, t, y, p, counts, region, persistent)``: ``g`` at the start, counts zeroed;
    * ``check(traj, t, h, y, y_new, p, driver_times, driver_values, counts, region, persistent) -> theta``:
      after an accepted step: counts crossings, and when a terminal event fires
      returns its ``theta`` in (0, 1] and leaves the interpolated state there in
      ``y_new``; 2.0 when nothing stops the step.  ``counts[traj, 0]`` gains
      the right-hand-side evaluations of location; ``counts[traj, EVENT_COLUMN + e]``
      counts event ``e``.
    """
    events = settings.events
    n = settings.n_states
    namespace = {"alloc_values": allocate("event_values"), "alloc_slopes": allocate("slopes"),
                 "alloc_ys": allocate("interpolated"), "alloc_u": allocate("drivers"),
                 "rhs": system.device_functions(dtype).rhs, "dtype": dtype, "NONE": 2.0}
    namespace["eval_drivers"] = make_driver_evaluator(settings.n_drivers)
    interpolate = None
    for e, event in enumerate(events):
        g = cuda.jit(device=True)(_in_precision(event.function, system, dtype))
        namespace[f"g_{e}"] = g
        namespace[f"locate_{e}"], interpolate = _make_locator(g, n, dtype)
    namespace["interpolate"] = interpolate

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
                      f"            stop = {e}"]
        else:  # located only when a terminal event cut the step: is it before the cut?
            check += ["        if stop < 0:", f"            counts[traj, {EVENT_COLUMN + e}] += 1",
                      f"        elif {locate} <= theta_stop:", f"            counts[traj, {EVENT_COLUMN + e}] += 1"]
    for e in range(len(events)):
        check.append(f"    gv[{e}] = g_new_{e}")
    check += ["    if stop >= 0:",
              f"        counts[traj, {EVENT_COLUMN} + stop] += 1",
              "        if theta_stop < 1.0:",
              "            interpolate(theta_stop, h, y, y_new, f, ys)",
              f"            for i in range({n}):",
              "                y_new[i] = ys[i]",
              "    return theta_stop"]
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


def _in_precision(function, system, dtype):
    """An event function with its float literals in ``dtype``, unless the system keeps them as written."""
    return function if getattr(system, "literals", "working") == "as written" else in_precision(function, dtype)


def check_events_compile(events, system, precision):
    """On a real GPU backend, compile each ``g`` for ``precision``: ConfigurationError if it does not or returns nothing."""
    from .backend import backend

    if backend() != "cuda" or not events:
        return
    from numba import from_dtype, types

    arr = types.Array(from_dtype(np.dtype(precision)), 1, "A")
    for e, event in enumerate(events):
        try:
            _, returned = cuda.compile_ptx_for_current_device(_in_precision(event.function, system, precision),
                                                              (types.float64, arr, arr), device=True)
        except Exception as exc:  # noqa: BLE001
            raise ConfigurationError(f"events[{e}] function does not compile for CUDA in {np.dtype(precision)} "
                                     f"with system {system.name!r}: {type(exc).__name__}: "
                                     f"{str(exc).splitlines()[0] if str(exc) else ''}") from exc
        if returned == types.none:
            raise ConfigurationError(f"events[{e}] function must return a scalar g(t, y, p); it returns nothing")
