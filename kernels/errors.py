"""Exception hierarchy of the ``kernels`` package: one hierarchy with the planner's.

:class:`KernelError` is the root of every error bufferplan raises on purpose
(it *is* ``planner.BufferplanError``), so a planner error raised through the
kernels is caught as a kernels error too.  Argument problems are
:class:`ConfigurationError`, the same class as ``planner.ConfigurationError``
and also a :class:`ValueError`, so code written against SciPy's ``solve_ivp``
keeps working.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import pickle
import sys
import warnings

import numpy as np

from planner import errors as planner_errors
from planner.errors import BufferplanError, ConfigurationError

__all__ = [
    "KernelError",
    "ConfigurationError",
    "TableauError",
    "StabilityWarning",
    "StiffnessWarning",
    "SummaryWarning",
    "PlanMismatchError",
    "PatternMissError",
    "DeviceUnavailableError",
    "MemoryAuditError",
    "CompileCheckWarning",
    "JacobianCheckWarning",
    "LateBindingWarning",
    "SuspectSuccessWarning",
    "ToleranceWarning",
    "PrecisionWarning",
    "StaleSourceWarning",
    "UnpicklableSystemError",
    "UnusedOptionWarning",
    "UserFunctionError",
]


KernelError = BufferplanError
"""Root of every error raised on purpose by ``kernels`` (and by ``planner``)."""

# ConfigurationError (imported above): an argument or setting has the wrong type, shape, value or
# combination; the message names the argument, what was expected and what was given.


class TableauError(KernelError):
    """A Butcher tableau is malformed or fails its order conditions."""


class PlanMismatchError(ConfigurationError):
    """A :class:`planner.Plan` handed in does not match the kernel's buffers."""


class PatternMissError(ConfigurationError):
    """A sparse LU's probed Jacobian pattern misses entries that are nonzero at a solve's own ``y0`` and ``params``.

    ``points`` holds those ``(t, y0 row, params row)`` (``t`` is ``t0``, or for a rhs that reads ``t`` each of the
    times checked across the span: :func:`kernels.integrator_checks.pattern_times`):
    ``kernels.solvers.jacobian_pattern(system, points=...)`` gives a pattern that covers them (``solve_ivp``
    rebuilds with it by itself).
    """

    def __init__(self, message, points=()):
        super().__init__(message)
        self.points = tuple(points)


class UnassignedOutputError(ConfigurationError):
    """A user function left an element of its output unassigned at some state (a path through it that skips the
    assignment), found where the host evaluates it: the construction check, ``host_rhs`` or a status hint."""


class UserFunctionError(KernelError, RuntimeError):
    """A user function (rhs, jac, an event, ...) raised while a kernel ran on the simulator.

    The message names the function's file and line; on a GPU the same fault (an index out of range)
    is not caught and writes to memory the kernel does not own.  Floating-point faults that Python
    raises and a GPU does not (``math.sqrt(-1.0)``, ``math.log(0.0)``, a division by zero, ``math.exp``
    overflowing) are not errors: the call's output becomes NaN, as on a GPU (:mod:`kernels.user_faults`).
    """


class DeviceUnavailableError(KernelError, RuntimeError):
    """The CUDA backend was forced (``NUMBA_ENABLE_CUDASIM=0``) but no usable GPU or driver is present."""


class MemoryAuditError(KernelError, RuntimeError):
    """A built kernel's allocators do not match its Plan (:mod:`kernels.memory_audit`): a buffer allocated twice,
    never, undeclared, or with another placement, size or slice than declared.

    A bug in bufferplan or in a custom component's builder, not in the user's model; ``buffer`` is the
    qualified ``component.buffer`` name, as the Plan names it.
    """

    def __init__(self, message, buffer=None):
        super().__init__(message)
        self.buffer = buffer


class CompileCheckWarning(UserWarning):
    """A right-hand side could not be checked for CUDA compilability (the check was skipped)."""


class ToleranceWarning(UserWarning):
    """Tolerances that will not act as asked: ones the precision can just resolve (the run finishes, its error
    can be many times the tolerance), or ones given to a fixed-step explicit run, which does not use them; or, after
    a solve, an ``atol`` that a state fell far below and grew back from (:mod:`kernels.atol_dip`)."""


class PrecisionWarning(UserWarning):
    """A model that the working precision cannot hold: in float32 its constants or parameters multiply past the
    range (inf on a GPU), where float64 holds them."""


class StaleSourceWarning(PrecisionWarning):
    """A function's file was edited since its module was imported: it is compiled as Python loaded it, its float
    literals as written (reload the module, or restart)."""


class UnpicklableSystemError(ConfigurationError, pickle.PicklingError):
    """A system whose function pickle cannot import by name where it is unpickled (a closure's, a
    symbolic_system's); a :class:`pickle.PicklingError` too, as pickle's own was."""


class UnusedOptionWarning(UserWarning):
    """An option given to a solve that its method does not use (``solver=`` with an explicit method); see also
    :class:`ToleranceWarning` for tolerances given to a fixed-step explicit run."""


class StabilityWarning(UserWarning):
    """A fixed step beyond the explicit method's stable step at a trajectory's initial state: the run grows
    without bound there and can end finite but wrong, with success reported."""


class StiffnessWarning(UserWarning):
    """An adaptive explicit run whose steps were held by the method's stability, not by its accuracy: the problem
    is stiff there, and an implicit method takes far fewer steps (:mod:`kernels.stiff_steps`)."""


class SamplingWarning(UserWarning):
    """A step can pass over what the forcing does: a fixed step longer than the spacing of the drivers' samples (a
    step sees the forcing only at its stages, so a square wave's half periods alias), a switch in the drivers a step
    can grow past, or a pulse written in the rhs as a function of t between two save times
    (:mod:`kernels.time_branches`)."""


class ParamNamesWarning(UserWarning):
    """A pandas DataFrame (or Series) of params with named columns, read by position for a system that has no
    parameter names: a table whose columns are in another order than the rhs reads gives wrong results silently."""


class SummaryWarning(UserWarning):
    """An adaptive run whose summaries (``mean``, ``rms``, ``min``, ``max``, ``argmax``) rest on few accepted steps:
    they are taken at the step points, which follow the states' error, so on a curved quantity they can be far
    outside the tolerances with success reported (:mod:`kernels.summary_points`); and, as its subclass
    :class:`SuspectSuccessWarning`, a success not to be trusted (a growth stepped over, a blow-up followed)."""


class SuspectSuccessWarning(SummaryWarning):
    """Trajectories that ended with status SUCCESS at a result not to be trusted, judged after the solve from its
    results: a growth an implicit run stepped over (:mod:`kernels.growth_warning`), a state past 1e100 times its
    start (:mod:`kernels.unbounded_growth`), a growth from a lone negative params or y0 entry
    (:mod:`kernels.sign_slip_success`), a terminal event whose ``g`` turned NaN, which stops nothing
    (:mod:`kernels.event_notes`).  A SummaryWarning before an ecologist's trial asked why a run without
    summaries drew one; it subclasses SummaryWarning, so filters written for that still catch it."""


class LateBindingWarning(UserWarning):
    """An event function that reads a comprehension's loop variable late: every lambda made in
    ``[Event(lambda t, y, p: y[i] - 1e-3) for i in range(S)]`` reads ``i`` when it is called, as Python does, so each
    event watches the loop's last state (:mod:`kernels.event_checks`; a system's rhs made so is refused at its solve,
    :mod:`kernels.frozen_values`)."""


class JacobianCheckWarning(UserWarning):
    """A system's ``jac`` or ``jvp`` disagrees with finite differences of its ``rhs`` at the construction test point."""


def plain(value: object) -> object:
    """Return ``value`` with NumPy scalars and arrays turned into Python ones (also inside tuples and lists).

    NumPy 2 prints scalars as ``np.float64(nan)``; messages should read ``nan``.
    """
    if isinstance(value, (np.generic, np.ndarray)):
        return value.item() if isinstance(value, np.generic) else value.tolist()
    if isinstance(value, (tuple, list)):
        return type(value)(plain(v) for v in value)
    return value


def describe(value: object) -> str:
    """Return a short, readable description of ``value`` for error messages."""
    try:
        shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    except Exception:  # noqa: BLE001 - a property that raises (SymPy's Indexed without a range): a traceback here
        shape = dtype = None
    if isinstance(shape, tuple) and dtype is not None and not isinstance(value, np.generic):
        return f"array of shape {tuple(int(n) for n in shape)} and dtype {dtype}"
    text = repr(plain(value))
    return text if len(text) <= 80 else text[:77] + "..."


def state_text(y):
    """A state vector as a message shows it (4 significant digits, long ones elided)."""
    return np.array2string(np.asarray(y, np.float64), threshold=16, separator=", ", max_line_width=10_000,
                           formatter={"float_kind": lambda v: f"{v:.4g}"})


_PACKAGES = tuple(os.path.dirname(os.path.abspath(m)) + os.sep for m in (__file__, planner_errors.__file__))


#: ``(shown, repeat)`` inside :func:`said_once`: the ``(category, text)`` pairs :func:`warn_user` has shown, and
#: whether this is the repeated attempt, which skips them.
_SAID = contextvars.ContextVar("kernels_said", default=None)


@contextlib.contextmanager
def said_once(shown, repeat=False):
    """Within: :func:`warn_user` adds each warning's ``(category, text)`` to the set ``shown``, and with ``repeat``
    skips one already in it.  ``solve_ivp`` runs a solve again after a :class:`PatternMissError` (with the pattern
    widened), and every check before the pattern's warned a second time: under the "always" filter a float32
    ToleranceWarning showed twice per call (a 40-species mechanism in float32 under rodas5p, a user's trial)."""
    token = _SAID.set((shown, repeat))
    try:
        yield
    finally:
        _SAID.reset(token)


def warn_user(message, category):
    """``warnings.warn`` attributed to the first caller outside this library (``kernels`` and ``planner``, and the
    ``__init__`` that dataclasses write for its value objects, file ``<string>``): the user's own line, whatever
    depth the warning is raised at (a fixed ``stacklevel`` named library lines, or ``sys:1`` past the top of a
    script), so that filters by module and ``-W error`` act on the user's call."""
    said = _SAID.get()
    if said is not None:  # a solve repeated by solve_ivp: what its first attempt said is not said again
        shown, repeat = said
        key = (category, str(message))
        if repeat and key in shown:
            return
        shown.add(key)
    frame, level = sys._getframe(1), 1
    while frame is not None and (os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGES) or (
            frame.f_code.co_filename == "<string>" and frame.f_code.co_name == "__init__")):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1 if frame is not None else level)
