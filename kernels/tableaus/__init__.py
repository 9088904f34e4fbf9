"""Runge-Kutta and Rosenbrock tableaus as immutable data (importable without Numba).

:data:`TABLEAUS` maps the name of every method a step family runs today to
its :class:`ButcherTableau`; :data:`kernels.methods.METHODS` says which family
reads it.  :data:`IMPLICIT_TABLEAUS` holds the implicit tableaus (DIRK, FIRK,
Rosenbrock) that are data only until their step families exist; they are not
methods yet.  A new tableau goes into the module of its family (``explicit.py``,
``dirk.py``, ...) and into the tuple collected here.
"""

from __future__ import annotations

import types

from .base import ButcherTableau
from .dirk import DIRK
from .dop853 import DOP853
from .explicit import EXPLICIT
from .firk import FIRK
from .rosenbrock import ROSENBROCK, RosenbrockTableau
from .verner import VERN7, VERN9

__all__ = ["ButcherTableau", "RosenbrockTableau", "TABLEAUS", "TABLEAU_NAMES", "IMPLICIT_TABLEAUS",
           "IMPLICIT_TABLEAU_NAMES", "get_tableau"]

TABLEAUS = types.MappingProxyType({t.name: t for t in EXPLICIT + (DOP853, VERN7, VERN9)})
TABLEAU_NAMES: tuple = tuple(TABLEAUS)

IMPLICIT_TABLEAUS = types.MappingProxyType({t.name: t for t in DIRK + FIRK + ROSENBROCK})
"""Implicit tableaus (data only): DIRK and FIRK :class:`ButcherTableau` and :class:`RosenbrockTableau`."""
IMPLICIT_TABLEAU_NAMES: tuple = tuple(IMPLICIT_TABLEAUS)


def get_tableau(method: str):
    """Return the tableau called ``method`` (case-insensitive), explicit or implicit."""
    key = method.lower() if isinstance(method, str) else method
    if key in TABLEAUS:
        return TABLEAUS[key]
    if key in IMPLICIT_TABLEAUS:
        return IMPLICIT_TABLEAUS[key]
    from ..errors import ConfigurationError

    raise ConfigurationError(f"method must be one of {list(TABLEAU_NAMES + IMPLICIT_TABLEAU_NAMES)}; "
                             f"got {method!r}")
