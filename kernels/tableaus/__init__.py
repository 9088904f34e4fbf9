"""Runge-Kutta and Rosenbrock tableaus as immutable data (importable without Numba).

:data:`TABLEAUS` maps the name of every explicit method to its
:class:`ButcherTableau`, :data:`IMPLICIT_TABLEAUS` that of every implicit one
(DIRK and FIRK :class:`ButcherTableau`, :class:`RosenbrockTableau`);
:data:`kernels.methods.METHODS` says which step family runs each (the erk, dirk,
firk and rosenbrock families all exist).  A new tableau goes into the tuple of
its family's module (``EXPLICIT`` in ``explicit.py``, ``DIRK`` in ``dirk.py``,
``FIRK`` in ``firk.py``, ``ROSENBROCK`` in ``rosenbrock.py``); this module only
joins those tuples (and the single high-order tableaus ``DOP853``, ``VERN7``,
``VERN9``, listed below), refusing a name used twice and a tableau whose ``a``
does not have its family's shape.  Each tableau checks itself when it is made
(shapes, row sums, finite coefficients, and the orders it claims against the
rooted-tree conditions of :mod:`kernels.tableaus.conditions`).
"""

from __future__ import annotations

import types

from ..errors import TableauError
from .base import ButcherTableau
from .dirk import DIRK
from .dop853 import DOP853
from .explicit import EXPLICIT
from .firk import FIRK
from .rosenbrock import ROSENBROCK, RosenbrockTableau
from .verner import VERN7, VERN9

__all__ = ["ButcherTableau", "RosenbrockTableau", "TABLEAUS", "TABLEAU_NAMES", "IMPLICIT_TABLEAUS",
           "IMPLICIT_TABLEAU_NAMES", "get_tableau"]

#: family -> (where its tuple is, what its a must satisfy, the shape said in the message)
_FAMILIES = {
    "explicit": ("the explicit tableaus (explicit.py's EXPLICIT)", lambda t: t.explicit, "strictly lower triangular"),
    "dirk": ("dirk.py's DIRK", lambda t: t.singly_diagonal,
             "lower triangular with one common nonzero diagonal (an explicit first stage allowed: an SDIRK or "
             "ESDIRK, whose stages share one iteration matrix)"),
    "firk": ("firk.py's FIRK", lambda t: not t.explicit and not t.diagonally_implicit,
             "full (entries above the diagonal)"),
}


def _family_members(tableaus, family):
    """``tableaus``, each checked to have the shape of ``family`` (:data:`_FAMILIES`), whose tuple it was put in."""
    where, belongs, shape = _FAMILIES[family]
    for t in tableaus:
        if not belongs(t):
            raise TableauError(f"tableau {t.name!r} is in {where}, but its a is not {shape}; move it to its "
                               "family's tuple, or check a for entries on the wrong side of the diagonal")
    return tableaus


def _by_name(*groups):
    """``{name: tableau}`` over ``groups``; a TableauError for a name used twice (it would replace a method)."""
    out = {}
    for t in (t for group in groups for t in group):
        if t.name in out:
            raise TableauError(f"tableau name {t.name!r} is used twice; a method name must be unique, so rename "
                               "one of them")
        out[t.name] = t
    return out


_EXPLICIT = _family_members(EXPLICIT + (DOP853, VERN7, VERN9), "explicit")
_DIRK = _family_members(DIRK, "dirk")
_FIRK = _family_members(FIRK, "firk")
_by_name(_EXPLICIT, _DIRK, _FIRK, ROSENBROCK)  # names unique across families too: one METHODS table holds them

TABLEAUS = types.MappingProxyType(_by_name(_EXPLICIT))
TABLEAU_NAMES: tuple = tuple(TABLEAUS)

IMPLICIT_TABLEAUS = types.MappingProxyType(_by_name(_DIRK, _FIRK, ROSENBROCK))
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
