"""Host-side checks of events: an event function's signature and value, its ``direction``, SciPy's attributes on a
plain function, what it reads, and that it compiles.

Kept apart from :mod:`kernels.events`, whose concern is the device code that detects and locates crossings.

The rule of ``direction``, one for both ways of giving it: +1 counts upward crossings only (``g`` rising through 0,
negative to positive), -1 downward only (``g`` falling through 0), 0 both.  :class:`kernels.Event` takes exactly
these three values (:func:`check_direction`).  SciPy's attribute ``g.direction`` on a plain function is read by its
sign, as SciPy reads it (:func:`scipy_attributes`: 2 is +1, -0.5 is -1).
"""

from __future__ import annotations

import ast
import decimal
import functools
import inspect
import numbers
import weakref

import numpy as np
from numba import cuda

from .errors import ConfigurationError, LateBindingWarning, describe, warn_user
from .frozen_values import FrozenValues, changed_error, late_binding, loop_variables_read
from .function_source import own_definition
from .input_writes import refuse_input_writes
from .literals import for_system
from .validation import defaulted_parameter

__all__ = ["check_direction", "check_terminal", "count_refused",
           "check_events_compile", "check_events_unchanged", "check_function", "event_values",
           "refuse_unheld_floats", "scipy_attributes", "positional_parameters", "g_value", "g_at_start",
           "zero_at_start", "START_ZERO_ULPS"]

#: How many units of the working precision's rounding, times the start's magnitude, ``g(t0)`` may be off 0 and still
#: be a start on a zero (:func:`zero_at_start`): the GPU evaluates ``g`` in the working precision, the host in float64.
START_ZERO_ULPS = 16

#: Words for a direction that a user may pass as a string, and the number that says it.
_DIRECTION_WORDS = {"up": 1, "upward": 1, "upwards": 1, "rising": 1, "increasing": 1, "positive": 1, "+": 1,
                    "down": -1, "downward": -1, "downwards": -1, "falling": -1, "decreasing": -1, "negative": -1,
                    "-": -1, "both": 0, "any": 0, "either": 0, "+1": 1, "1": 1, "-1": -1, "0": 0}


def _real_number(value):
    """``value`` is a real number (Python or NumPy), not a bool: what a direction's sign can be read from."""
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _real_value(value):
    """``value`` as one real number that is not NaN (a 0-d array unwrapped, a Decimal kept), else None.

    Why: a direction is compared, never converted, so every real type passes that Event took before this module's checks
    (``np.array(1)``, ``Decimal(1)``, ``Fraction(1)``, NumPy scalars); a bool, a string, a sequence, a complex number
    and NaN stay refused.  Infinities pass: SciPy's ``g.direction = inf`` is +1 by its sign."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]  # a NumPy scalar, or the object a 0-d object array holds
    if isinstance(value, decimal.Decimal):
        return None if value.is_nan() else value  # (comparing a signalling NaN raises; is_nan() does not)
    if not _real_number(value) or value != value:
        return None
    return value


def _sign(value):
    """+1, -1 or 0: the sign of a real number from :func:`_real_value`, by comparison, which every real type has
    (np.sign of a Decimal is an object, and an int past float's range does not convert to a float)."""
    return int(value > 0) - int(value < 0)


def _signed(direction):
    """+1, -1 or 0 as a message writes it."""
    return f"{direction:+d}" if direction else "0"


def check_direction(direction, what="Event direction", remedy="pass direction={}"):
    """``direction`` as the int +1, -1 or 0 (any real number equal to one of them passes: 1.0, ``np.array(1)``,
    ``Decimal(1)``, ``Fraction(-1)``), else a ConfigurationError that says what each value means; ``what`` names the
    argument and ``remedy`` (formatted with the value meant) says what to write instead, where that can be told.

    Strict, unlike SciPy's attribute (:func:`scipy_attributes`): :class:`kernels.Event` is this package's own API,
    and ``Event(g, direction=2)`` was refused with "must be -1, 0 or +1; got 2", which said nothing of SciPy's
    ``g.direction = 2`` being taken as +1, nor of what ``"up"`` should have been (a neuroscientist's trial)."""
    value = _real_value(direction)
    if value is not None and value in (-1, 0, 1):
        return _sign(value)
    rule = (f"{what} must be +1 (upward crossings, g rising through 0), -1 (downward, g falling through 0) or 0 "
            f"(both); got {describe(direction)}")
    if isinstance(direction, str) and direction.strip().lower() in _DIRECTION_WORDS:
        rule += ": " + remedy.format(_signed(_DIRECTION_WORDS[direction.strip().lower()]))
    elif value is not None:
        rule += "; SciPy's g.direction is read by its sign, an Event's direction is not: " + remedy.format(
            _signed(_sign(value)))
    raise ConfigurationError(rule)


def scipy_attributes(g):
    """``(terminal, direction)`` of a plain function ``g`` from SciPy's attributes ``g.terminal`` and ``g.direction``
    (False and 0 where it has none), read as SciPy reads them: ``direction`` by its sign (2 is +1, -0.5 is -1; the
    rule in this module's docstring), ``terminal`` as a bool or a count of 0 or 1.  ConfigurationError for a count
    above 1 (SciPy >= 1.11: stop after that many occurrences) and for a direction that is no real number or NaN
    (an infinity has a sign: ``float('inf')`` is +1, as SciPy reads it)."""
    terminal = getattr(g, "terminal", False)
    direction = getattr(g, "direction", 0)
    if isinstance(terminal, (int, np.integer)) and not isinstance(terminal, (bool, np.bool_)):
        if terminal not in (0, 1):
            raise ConfigurationError(f"event function attribute terminal={terminal}: " + count_refused(terminal))
        terminal = bool(terminal)
    value = _real_value(direction)
    if value is not None:
        return terminal, _sign(value)  # SciPy reads only the sign (inf is +1)
    return terminal, check_direction(direction, "event function attribute direction", "set g.direction = {}")


def count_refused(count):
    """Why a count of occurrences as ``terminal`` is refused and what to do instead: one text for
    :class:`kernels.Event`'s argument and SciPy's attribute (``Event(g, terminal=3)`` said only "must be True or
    False; got 3", where ``g.terminal = 3`` named the remedy: a neuroscientist's trial)."""
    return (f"stopping after {count} occurrences is not supported; use True (stop at the first) or count the "
            "crossings with a non-terminal event (event_count)")


def check_terminal(terminal):
    """:class:`kernels.Event`'s ``terminal`` as a bool; ConfigurationError for anything else, with
    :func:`count_refused`'s remedy for an integer count (strict, unlike SciPy's attribute, which reads 0 and 1)."""
    if isinstance(terminal, (bool, np.bool_)):
        return bool(terminal)
    if isinstance(terminal, (int, np.integer)) and terminal > 1:
        raise ConfigurationError(f"Event terminal={int(terminal)}: " + count_refused(int(terminal)))
    raise ConfigurationError(f"Event terminal must be True or False; got {describe(terminal)}")


def positional_parameters(params):
    """The parameters among ``params`` (an ``inspect.signature``'s) that a positional call fills."""
    return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def check_function(func):
    """ConfigurationError unless ``func`` is a callable ``g(t, y, p)`` that returns one number: its signature, no
    writes into its inputs, and its value at a sample state (where the host can call it)."""
    if not callable(func):
        raise ConfigurationError(f"Event function must be a callable g(t, y, p); got {describe(func)}")
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return
    positional = positional_parameters(params)
    defaulted = None if isinstance(func, functools.partial) else defaulted_parameter(params, "Event function g",
                                                                                      "t, y, p")
    if defaulted is not None:
        raise defaulted
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        raise ConfigurationError("Event function takes *args (variable arguments), which a device function cannot: "
                                 "it is called with exactly (t, y, p), so write g(t, y, p)")
    if len(positional) != 3:
        drivers = (" Event functions do not receive the drivers u: where a crossing depends on a driver, write the "
                   "forcing as a function of t inside g (g may read module arrays of its samples)."
                   if len(positional) == 4 else "")
        raise ConfigurationError(f"Event function must take 3 arguments (t, y, p); got a function of "
                                 f"{len(positional)} positional arguments.{drivers}")
    names = [p.name for p in positional]
    if names[1] == "t" and names[0] != "t":  # its second argument named t: Julia's condition(u, t, integrator)
        raise ConfigurationError(
            f"Event function {getattr(func, '__name__', 'g')}({', '.join(names)}) takes t second, as Julia's "
            "ContinuousCallback condition(u, t, integrator) does; here it is called g(t, y, p), t first: write it "
            f"as def {getattr(func, '__name__', 'g')}(t, y, p)")
    refuse_input_writes(func, "event function")  # a reset written in g changed y without a count (a trial)
    _warn_late_binding(func)
    _check_value(func)


# Lambdas' code objects a late-binding warning named: once a lambda expression, not once an event.  The Events of one
# comprehension share only that code (their lambdas are S functions), made one by one in the user's expression before
# any system or Integrator holds them, so the code is the key and the record ends with it (weak, as
# kernels.frozen_values' memo of what it reads); it holds no plan's state.
_LATE_WARNED = weakref.WeakSet()


def _warn_late_binding(func):
    """A :class:`kernels.LateBindingWarning` (a plain UserWarning before an ecologist's trial) where ``func`` is a
    lambda that reads the loop variable of the comprehension it is made in
    (:func:`kernels.frozen_values.loop_variables_read`), once per lambda: every event made there watches the
    loop's last value, as Python calls them, which ``[Event(lambda t, y, p: y[i] - 1e-3) for i in range(S)]``
    (one event a species) did not mean.  Solves give what Python gives; this says why."""
    names = loop_variables_read(func)
    code = getattr(func, "__code__", None)
    if not names or code in _LATE_WARNED:
        return
    _LATE_WARNED.add(code)
    why, remedy = late_binding(func, names[0])
    warn_user(f"Event function {func.__qualname__} reads the closure variable {names[0]!r}: {why}, so every "
              f"event made by it watches the same {names[0]}; {remedy}", LateBindingWarning)


def _check_value(func):
    """ConfigurationError where a host call of ``func`` on a sample state returns no single number (None, an array,
    a bool); silent where the host cannot call it (indices past the sample, device-only code: the compile test
    decides)."""
    try:
        with np.errstate(all="ignore"):  # zeros are our sample, not the user's: y[1] / p[2] is 0/0 there
            value = func(0.0, np.zeros(64), np.zeros(64))
    except Exception:  # noqa: BLE001 - indices past the sample or device-only code: the compile test decides
        return
    if value is None:
        raise ConfigurationError("Event function must return a scalar g(t, y, p); it returned None (a "
                                 "missing return statement?)")
    if np.ndim(value) != 0:  # (the sample arrays' size is ours, not the user's: not quoted)
        raise ConfigurationError("Event function must return one number g(t, y, p) whose sign change is the "
                                 "event, such as y[0] - 1.0; it returned an array")
    if isinstance(value, (bool, np.bool_)):  # True/False has no sign change to locate: the crossing time was a step's
        raise ConfigurationError("Event function must return one number g(t, y, p) whose sign change is the event; "
                                 "it returned a bool (a condition such as y[0] < 0): " + _difference_advice(func))


#: The direction of ``a - b`` in which a comparison ``a OP b`` becomes true.
_BECOMES_TRUE = {ast.Gt: 1, ast.GtE: 1, ast.Lt: -1, ast.LtE: -1}


def _difference_advice(func):
    """How to write ``func``'s own condition as a difference: ``return abs(y[0]) > math.pi`` is told ``return
    abs(y[0]) - math.pi`` with ``direction=1`` (the crossing where it becomes true); a condition that is not one
    comparison of two values is told the general form.  (A swing model's loss of synchronism, ``abs(y[0]) >
    math.pi``, was told "y[0] - 0.0, with direction=-1": a power engineer's trial.)"""
    general = "return the difference instead, such as y[0] - 1.0 for y[0] > 1.0, with direction=1 for the crossing "\
              "where it becomes true (direction=-1 for y[0] < 1.0)"
    found = own_definition(func)
    if found is None:
        return general
    node = found[1]
    returns = [node.body] if isinstance(node, ast.Lambda) else [
        n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
    if len(returns) != 1 or not isinstance(returns[0], ast.Compare) or len(returns[0].ops) != 1:
        return general
    compare = returns[0]
    direction = _BECOMES_TRUE.get(type(compare.ops[0]))
    if direction is None:
        return general
    left, right = ast.unparse(compare.left), ast.unparse(compare.comparators[0])
    if isinstance(compare.comparators[0], (ast.BinOp, ast.BoolOp, ast.IfExp, ast.Compare)):
        right = f"({right})"
    return (f"return the difference instead, {left} - {right}, with direction={direction} for the crossing where "
            f"{ast.unparse(compare)} becomes true")


def event_values(events):
    """What each event function reads from its module and closure, recorded now (when its Integrator is built:
    compiled code keeps these values as constants), for :func:`check_events_unchanged`."""
    return tuple(FrozenValues({"g": event.function}) for event in events or ())


def check_events_unchanged(recorded):
    """ConfigurationError when a global or closure number an event function reads changed since
    :func:`event_values` recorded it: compiled code keeps the old value, and the simulator read the new one (a
    user's trial: ``y[0] - LEVEL`` with LEVEL changed between solves gave three event times on the simulator
    where a GPU keeps one)."""
    for e, values in enumerate(recorded):
        found = values.changed()
        if found is not None:
            raise changed_error(found, f"events[{e}] function", "it was first used", " and read it in g",
                                "define a new event function after changing it")


def check_events_compile(events, system, precision):
    """Compile each ``g`` for ``precision`` (on the simulator for CUDA, through :mod:`kernels.compilecheck`):
    ConfigurationError if it does not, or (on a GPU) if it returns nothing.  (An index past the system's arrays is
    checked once, at an Integrator's first solve: :func:`kernels.system_checks.check_events_index`.)"""
    from .backend import backend

    if not events:
        return
    refuse_unheld_floats(events, precision)
    if backend() != "cuda":
        # On the simulator: compiled to PTX anywhere, as a system's rhs is (np.exp in g ran on the simulator
        # and failed only on a GPU, a user's trial)
        from . import compile_hints, compilecheck

        for e, event in enumerate(events):
            result = compilecheck.check_device_function(event.function, 3)
            if result.get("ok") is False:
                raise ConfigurationError(f"events[{e}]: " + compile_hints.failure_message(
                    result, "the event function", system.name, event.function))
        return
    from numba import from_dtype, types

    arr = types.Array(from_dtype(np.dtype(precision)), 1, "A")
    for e, event in enumerate(events):
        try:
            _, returned = cuda.compile_ptx_for_current_device(for_system(event.function, system, precision),
                                                              (types.float64, arr, arr), device=True)
        except Exception as exc:  # noqa: BLE001
            raise ConfigurationError(f"events[{e}] function does not compile for CUDA in {np.dtype(precision)} "
                                     f"with system {system.name!r}: {type(exc).__name__}: "
                                     f"{str(exc).splitlines()[0] if str(exc) else ''}") from exc
        if returned == types.none:
            raise ConfigurationError(f"events[{e}] function must return a scalar g(t, y, p); it returns nothing")


def refuse_unheld_floats(events, precision):
    """ConfigurationError where an event function uses a float that ``precision`` rounds to 0 or to inf (a literal,
    or a Python float it reads from its closure or module: :func:`kernels.literals.unheld_floats`), as a parameter
    that float32 rounds to 0 is refused (:mod:`kernels.validation`): the float32 states are never within it, so
    the event cannot fire where float64's does (an extinction event ``y[0] - 1e-50`` never fired in float32, with
    status success and no word: a user's trial).  Nothing for float64."""
    scalar = np.dtype(precision).type
    if scalar == np.float64:
        return
    info = np.finfo(scalar)
    for e, event in enumerate(events):
        for name, value in event.unheld_floats(scalar):  # (remembered on the event: its source is read once)
            what = f"the literal {value!r}" if name is None else f"{name} = {value!r} (from its closure or module)"
            small = abs(value) < float(info.tiny)
            bound = (f"smaller in magnitude than {info.dtype}'s smallest number ({float(info.smallest_subnormal):.2g})"
                     if small else f"larger in magnitude than {info.dtype}'s largest number ({float(info.max):.2g})")
            units = (f"units where it is above {float(info.tiny):.2g}" if small else
                     f"units where it is below {float(info.max):.2g}")
            raise ConfigurationError(
                f"events[{e}] function {getattr(event.function, '__name__', 'g')!r} uses {what}, {bound}: the "
                f"{info.dtype} states it is compared with never reach it, so the event cannot fire where a "
                f"float64 solve's does (an extinction threshold y[0] - 1e-50 never fired); rescale the states "
                f"({units}) or use precision=np.float64")


def g_value(function, t, y_row, p_row):
    """``g(t, y, p)`` of one trajectory, one call on the host in float64 (copies of the rows): NaN for Python's math
    domain error (where a GPU gives NaN), None where the host cannot call ``g`` (device-only code, another fault of
    the user's ``g``)."""
    y = np.array(y_row, dtype=np.float64).ravel()
    p = np.array(p_row, dtype=np.float64).ravel()
    try:
        with np.errstate(all="ignore"):
            return float(function(float(t), y, p))
    except (ValueError, ArithmeticError):
        return float("nan")
    except Exception:  # noqa: BLE001 - device-only code or a fault of the user's g: no note, the run's message stands
        return None


def g_at_start(function, t0, y_row, p_row):
    """:func:`g_value` at ``t0`` where it is a finite number, else None: what :func:`zero_at_start` and
    :func:`kernels.event_notes.far_side_note` judge."""
    value = g_value(function, t0, y_row, p_row)
    return value if value is not None and np.isfinite(value) else None


def zero_at_start(function, t0, y_row, p_row, dtype):
    """``g(t0, y0, p)`` of one trajectory, evaluated on the host in float64, where it is 0 to within the working
    ``dtype``'s rounding (:data:`START_ZERO_ULPS` units of it times the larger of 1, ``|t0|`` and ``|y0|``); else None,
    and None where the host cannot call ``g`` (device-only code) or it returns no finite number.

    Why: a start on a zero of ``g`` is not a crossing (:mod:`kernels.events`; SciPy stops at ``t0`` where ``g`` then
    leaves 0 the event's way), so a terminal impact event ``r - 1`` of a fall that starts on the surface never fires,
    and the run fell through ``r = 0`` to a message that blamed a singularity of the model (an astrodynamicist's
    trial).  One call of ``g``, made only where a message asks about a trajectory whose terminal event did not fire.

    Why this scale: the GPU evaluates ``g`` in the working precision, the host in float64, so a start the kernel saw
    on 0 can be a few of ``dtype``'s units off 0 here.  The note also asks that ``g`` then went the event's way
    (:func:`kernels.event_notes.unfired_note`), which is what rules out a start that was merely near 0 (a ball
    thrown up from 1e-7 under ``direction=-1``); the scale only keeps a start off 0 by rounding from being missed,
    and a start near 0 that went the event's way was a hair from a missed crossing all the same."""
    value = g_at_start(function, t0, y_row, p_row)
    if value is None:
        return None
    y = np.array(y_row, dtype=np.float64).ravel()
    finite = y[np.isfinite(y)]
    scale = max(1.0, abs(float(t0)), float(np.max(np.abs(finite))) if finite.size else 0.0)
    if not (abs(value) <= START_ZERO_ULPS * float(np.finfo(dtype).eps) * scale):
        return None
    return value
