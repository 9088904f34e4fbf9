"""Exception hierarchy of the ``kernels`` package: one hierarchy with the planner's.

:class:`KernelError` is the root of every error bufferplan raises on purpose
(it *is* ``planner.BufferplanError``), so a planner error raised through the
kernels is caught as a kernels error too.  Argument problems are
:class:`ConfigurationError`, the same class as ``planner.ConfigurationError``
and also a :class:`ValueError`, so code written against SciPy's ``solve_ivp``
keeps working.
"""

from __future__ import annotations

from planner.errors import BufferplanError, ConfigurationError

__all__ = [
    "KernelError",
    "ConfigurationError",
    "TableauError",
    "PlanMismatchError",
]


KernelError = BufferplanError
"""Root of every error raised on purpose by ``kernels`` (and by ``planner``)."""

# ConfigurationError (imported above): an argument or setting has the wrong type, shape, value or
# combination; the message names the argument, what was expected and what was given.


class TableauError(KernelError):
    """A Butcher tableau is malformed or fails its order conditions."""


class PlanMismatchError(ConfigurationError):
    """A :class:`planner.Plan` handed in does not match the kernel's buffers."""


def describe(value: object) -> str:
    """Return a short, readable description of ``value`` for error messages."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if isinstance(shape, tuple) and dtype is not None:
        return f"array of shape {tuple(shape)} and dtype {dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
