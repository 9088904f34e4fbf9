"""Runge-Kutta and Rosenbrock tableaus as immutable data (importable without Numba).

:data:`TABLEAUS` maps the name of every explicit method to its
:class:`ButcherTableau`, :data:`IMPLICIT_TABLEAUS` that of every implicit one
(DIRK and FIRK :class:`ButcherTableau`, :class:`RosenbrockTableau`);
:data:`kernels.methods.METHODS` says which step family runs each (the erk, dirk,
firk and rosenbrock families all exist).  A new tableau goes into the tuple of
its family's module (``EXPLICIT`` in ``explicit.py``, ``DIRK`` in ``dirk.py``,
``FIRK`` in ``firk.py``, ``ROSENBROCK`` in ``rosenbrock.py``); this module only
joins those tuples (and the single high-order tableaus ``DOP853``, ``VERN7``,
``VERN9``, listed below).
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
"""Implicit tableaus: DIRK and FIRK :class:`ButcherTableau` and :class:`RosenbrockTableau` (methods of the dirk,
firk and rosenbrock families)."""
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
