"""The method registry: every public method name, its family and its tableau.

Method names are what users type (case-insensitive).  A new method is a
tableau in :mod:`kernels.tableaus` plus one entry here; a new family is a
module in :mod:`kernels.steps` plus its entry in ``kernels.steps.FAMILIES``.
"""

from __future__ import annotations

import dataclasses
import types

from .errors import ConfigurationError
from .tableaus import TABLEAUS, ButcherTableau

__all__ = ["Method", "METHODS", "METHOD_NAMES", "get_method"]


@dataclasses.dataclass(frozen=True)
class Method:
    """A public method: its name, the step family that runs it and its tableau."""

    name: str
    family: str
    tableau: ButcherTableau

    @property
    def adaptive(self) -> bool:
        """True when the method has an embedded error estimate (adaptive control works)."""
        return self.tableau.adaptive


def _family(tableau):
    if tableau.explicit:
        return "erk"
    raise ConfigurationError(f"tableau {tableau.name!r} belongs to no step family yet")


METHODS = types.MappingProxyType({name: Method(name, _family(t), t) for name, t in TABLEAUS.items()})
METHOD_NAMES: tuple = tuple(METHODS)


def get_method(method) -> Method:
    """Return the :class:`Method` called ``method`` (case-insensitive), or a Method as given."""
    if isinstance(method, Method):
        return method
    key = method.lower() if isinstance(method, str) else method
    if key not in METHODS:
        raise ConfigurationError(f"method must be one of {list(METHOD_NAMES)}; got {method!r}")
    return METHODS[key]
