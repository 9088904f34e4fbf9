"""The method registry: every public method name, its family and its tableau.

Method names are what users type (case-insensitive; tableau names are lower
case).  A new method is a tableau in its family's tuple under
:mod:`kernels.tableaus`, nothing here; a new family is a module in
:mod:`kernels.steps` plus its entry in ``kernels.steps.FAMILIES`` and a line
in :func:`_family`.  Every tableau of :data:`kernels.tableaus.TABLEAUS`
(explicit) and :data:`kernels.tableaus.IMPLICIT_TABLEAUS` (DIRK, FIRK,
Rosenbrock) is a method: the families of :data:`BUILT_FAMILIES` run them all.
Only a tableau of a family not in that set would stay data, and asking for it
would raise a :class:`ConfigurationError` that says so.  Messages that list
adaptive methods read them from :data:`METHODS` (``Method.adaptive``), so a new
tableau with an embedded estimate appears there by itself.
"""

from __future__ import annotations

import dataclasses
import types

from planner.wording import did_you_mean

from .diffeq_names import diffeq_method
from .errors import ConfigurationError
from .tableaus import IMPLICIT_TABLEAUS, TABLEAUS, ButcherTableau, RosenbrockTableau

__all__ = ["Method", "METHODS", "METHOD_NAMES", "get_method"]


@dataclasses.dataclass(frozen=True)
class Method:
    """A public method: its name, the step family that runs it and its tableau."""

    name: str
    family: str
    tableau: ButcherTableau | RosenbrockTableau

    @property
    def adaptive(self) -> bool:
        """True when the method has an embedded error estimate (adaptive control works)."""
        return self.tableau.adaptive


# The families of kernels.steps.FAMILIES (kept here as names so this module imports without Numba;
# a test checks the two agree).
BUILT_FAMILIES = frozenset({"erk", "dirk", "firk", "rosenbrock"})


def _family(tableau):
    """The step family that runs ``tableau``, or None while that family is not built."""
    if isinstance(tableau, RosenbrockTableau):
        family = "rosenbrock"
    elif tableau.explicit:
        family = "erk"
    elif tableau.diagonally_implicit:
        family = "dirk"
    else:
        family = "firk"
    return family if family in BUILT_FAMILIES else None


METHODS = types.MappingProxyType({
    name: Method(name, _family(t), t)
    for name, t in {**TABLEAUS, **IMPLICIT_TABLEAUS}.items() if _family(t) is not None
})
METHOD_NAMES: tuple = tuple(METHODS)


def get_method(method) -> Method:
    """Return the :class:`Method` called ``method`` (case-insensitive), or a Method as given."""
    if isinstance(method, Method):
        return method
    if method is None:
        raise ConfigurationError(f"method must be a method's name, one of {list(METHOD_NAMES)}; got None: leave "
                                 "method out for the default, 'tsit5', or pass a name")
    if isinstance(method, type) and method.__module__.startswith("scipy.integrate"):  # SciPy's solve_ivp takes these
        from .integrator_checks import SCIPY_METHODS  # (here: integrator_checks imports this module)

        name = method.__name__.lower()
        use = SCIPY_METHODS.get(name, repr(name) if name in METHODS else "a name of the list below")
        raise ConfigurationError(f"method {method.__name__} is SciPy's solver class; here a method is a name: use "
                                 f"{use}. The methods are {list(METHOD_NAMES)} (case-insensitive)")
    if not isinstance(method, str):  # a tableau or its JSON (a dict) fell on 'unhashable type' (a user's trial)
        raise ConfigurationError(
            f"method must be a method's name, one of {list(METHOD_NAMES)}; got {type(method).__name__} "
            f"{str(method)[:60]!r}: a tableau of your own becomes a method by joining its family's tuple in "
            "kernels/tableaus (README, 'A new tableau')")
    key = method.lower()
    if key not in METHODS:
        if key in IMPLICIT_TABLEAUS:
            raise ConfigurationError(
                f"method {method!r} is an implicit method whose step family does not exist yet (its tableau "
                f"is in kernels.tableaus.IMPLICIT_TABLEAUS); choose one of {list(METHOD_NAMES)}")
        diffeq = diffeq_method(method, METHODS)  # "GPUTsit5", "Rosenbrock23": what to pass here
        if diffeq is not None:
            raise ConfigurationError(f"{diffeq}. The methods are {list(METHOD_NAMES)} (case-insensitive)")
        guess = did_you_mean(key, METHOD_NAMES, cutoff=0.75)
        raise ConfigurationError(f"method must be one of {list(METHOD_NAMES)}; got {method!r}{guess}")
    return METHODS[key]
