"""The method registry: every public method name, its family and its tableau.

Method names are what users type (case-insensitive; tableau names are lower
case).  A new method is a tableau in its family's tuple under
:mod:`kernels.tableaus`, nothing here; a new family is a module in
:mod:`kernels.steps` plus its entry in ``kernels.steps.FAMILIES``, its name
in :data:`BUILT_FAMILIES` and a line in :func:`_family`; an explicit one says
so in its settings class (``explicit``, host item 8 of
:mod:`kernels.steps.base`), which ``Method.explicit`` reads.  Every tableau
of :data:`kernels.tableaus.TABLEAUS` (explicit) and
:data:`kernels.tableaus.IMPLICIT_TABLEAUS` (DIRK, FIRK, Rosenbrock) is a
method: the families of :data:`BUILT_FAMILIES` run them all.  Only a tableau of a family not in that set would stay data, and asking for it
would raise a :class:`ConfigurationError` that says so.  Messages that list
adaptive methods read them from :data:`METHODS` (``Method.adaptive``), so a new
tableau with an embedded estimate appears there by itself.  A tableau of one's
own also runs without joining a tuple, as ``kernels.Method(name, family,
tableau)``, which checks its arguments when it is made.
"""

from __future__ import annotations

import dataclasses
import types

from planner.wording import did_you_mean

from .diffeq_names import diffeq_method
from .errors import ConfigurationError, describe
from .tableaus import IMPLICIT_TABLEAUS, TABLEAUS, ButcherTableau, RosenbrockTableau

__all__ = ["Method", "METHODS", "METHOD_NAMES", "get_method"]


@dataclasses.dataclass(frozen=True)
class Method:
    """A public method: its name, the step family that runs it and its tableau.

    ``kernels.Method(name, family, tableau)`` runs a tableau of one's own: ``name`` follows the tableaus' rule
    (lower case, no spaces), ``family`` is one of :data:`BUILT_FAMILIES` (:data:`FAMILY_OF_TABLEAU` says which),
    ``tableau`` a ButcherTableau or RosenbrockTableau; a ConfigurationError names the argument that is not (and
    a RosenbrockTableau given a Runge-Kutta family).  Whether a ButcherTableau suits its family (strictly lower
    triangular for erk, singly diagonal for dirk) the family's step settings check when a solve builds them.
    """

    name: str
    family: str
    tableau: ButcherTableau | RosenbrockTableau

    def __post_init__(self):
        _check_method(self.name, self.family, self.tableau)

    @property
    def adaptive(self) -> bool:
        """True when the method has an embedded error estimate (adaptive control works)."""
        return self.tableau.adaptive

    @property
    def explicit(self) -> bool:
        """True when the method's step family is explicit (no solver, no Jacobian), as its settings class says
        (:func:`kernels.steps.explicit_family`): the checks meant for explicit methods read this, not the name."""
        from .steps import explicit_family  # here: kernels.steps imports Numba, this module does not

        return explicit_family(self.family)


# The families of kernels.steps.FAMILIES (kept here as names so this module imports without Numba;
# a test checks the two agree).
BUILT_FAMILIES = frozenset({"erk", "dirk", "firk", "rosenbrock"})
_RUNGE_KUTTA_FAMILIES = ("erk", "dirk", "firk")  # the built families that read a ButcherTableau only
FAMILY_OF_TABLEAU = ("'erk' for an explicit ButcherTableau, 'dirk' for a diagonally implicit one, 'firk' for a fully "
                     "implicit one, 'rosenbrock' for a RosenbrockTableau")


def _check_method(name, family, tableau):
    """ConfigurationError naming the argument of ``Method(name, family, tableau)`` that is wrong (a family
    unknown fell on a bare KeyError at planning, a user's trial)."""
    if not isinstance(name, str) or not name.strip():  # any case: a Method is passed as itself, never looked up
        # ("Tsit5_Custom" ran before this check and was refused by the tableaus' lower-case rule: a regression hunt)
        raise ConfigurationError(f"kernels.Method name must be a non-empty string (it names the method in results "
                                 f"and messages); got {describe(name)}: pass {getattr(tableau, 'name', 'a name')!r}")
    if not isinstance(tableau, (ButcherTableau, RosenbrockTableau)):
        raise ConfigurationError(f"kernels.Method tableau must be a ButcherTableau or a RosenbrockTableau "
                                 f"(kernels.tableaus; from JSON: ButcherTableau.from_json(d)); got "
                                 f"{type(tableau).__name__} {describe(tableau)}")
    if not isinstance(family, str) or family not in BUILT_FAMILIES:
        fits = _family(tableau)
        raise ConfigurationError(f"kernels.Method family must be one of {sorted(BUILT_FAMILIES)} "
                                 f"({FAMILY_OF_TABLEAU}); got {describe(family)}"
                                 + (f": this tableau takes {fits!r}" if fits else ""))
    if isinstance(tableau, RosenbrockTableau) and family in _RUNGE_KUTTA_FAMILIES:  # an AttributeError at solve
        raise ConfigurationError(f"kernels.Method family {family!r} runs a ButcherTableau; got the RosenbrockTableau "
                                 f"{tableau.name!r}: pass family 'rosenbrock'")


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


def _own_tableau(given):
    """What a tableau (or its JSON dict) given as the method becomes: ``kernels.Method`` first (public, and it
    runs end to end), a tuple of kernels/tableaus second (which the message offered alone, a user's trial)."""
    family = _family(given) if isinstance(given, (ButcherTableau, RosenbrockTableau)) else None
    if family is not None:
        use = f"kernels.Method({given.name!r}, {family!r}, tableau)"
    else:
        use = (f"kernels.Method(name, family, tableau), family {FAMILY_OF_TABLEAU} (from a JSON dict d: tableau = "
               "ButcherTableau.from_json(d) or RosenbrockTableau.from_json(d))")
    return (f"a tableau of your own runs as {use}; to ship it under its name, join its family's tuple in "
            "kernels/tableaus (README, 'A new tableau')")


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
        raise ConfigurationError(f"method must be a method's name, one of {list(METHOD_NAMES)}; got "
                                 f"{type(method).__name__} {str(method)[:60]!r}: {_own_tableau(method)}")
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
