"""Runge-Kutta tableaus as immutable data (importable without Numba).

:data:`TABLEAUS` maps every public method name to its
:class:`ButcherTableau`; :data:`kernels.methods.METHODS` says which step
family reads it.  A new tableau goes into the module of its family
(``explicit.py``, ...) and into the tuple collected here.
"""

from __future__ import annotations

import types

from .base import ButcherTableau
from .explicit import EXPLICIT

__all__ = ["ButcherTableau", "TABLEAUS", "TABLEAU_NAMES", "get_tableau"]

TABLEAUS = types.MappingProxyType({t.name: t for t in EXPLICIT})
TABLEAU_NAMES: tuple = tuple(TABLEAUS)


def get_tableau(method: str) -> ButcherTableau:
    """Return the tableau for ``method`` (case-insensitive; one of :data:`TABLEAU_NAMES`)."""
    key = method.lower() if isinstance(method, str) else method
    if key not in TABLEAUS:
        from ..errors import ConfigurationError

        raise ConfigurationError(f"method must be one of {list(TABLEAU_NAMES)}; got {method!r}")
    return TABLEAUS[key]
