"""Exception hierarchy of the ``kernels`` package.

Every error raised on purpose by ``kernels`` derives from :class:`KernelError`,
so callers can catch the package's failures in one place.  Argument problems
are :class:`ConfigurationError`, which is also a :class:`ValueError` so code
written against SciPy's ``solve_ivp`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "KernelError",
    "ConfigurationError",
    "TableauError",
    "PlanMismatchError",
]


class KernelError(Exception):
    """Root of every error raised on purpose by ``kernels``."""


class ConfigurationError(KernelError, ValueError):
    """An argument or setting has the wrong type, shape, value or combination.

    The message names the argument, what was expected and what was given.
    """


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
