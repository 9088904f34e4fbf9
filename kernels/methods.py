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

from .diffeq_names import diffeq_method, symplectic_method
from .errors import ConfigurationError, describe
from .tableaus import IMPLICIT_TABLEAUS, TABLEAUS, ButcherTableau, RosenbrockTableau
from .tableaus.firk import firk_refusal

__all__ = ["Method", "METHODS", "METHOD_NAMES", "get_method", "method_advice"]


@dataclasses.dataclass(frozen=True)
class Method:
    """A public method: its name, the step family that runs it and its tableau.

    ``kernels.Method(name, family, tableau)`` runs a tableau of one's own: ``name`` follows the tableaus' rule
    (lower case, no spaces), ``family`` is one of :data:`BUILT_FAMILIES` (:data:`FAMILY_OF_TABLEAU` says which),
    ``tableau`` a ButcherTableau or RosenbrockTableau; a ConfigurationError names the argument that is not, and
    a ``family`` that does not run the tableau's shape (:func:`_family`: explicit for erk, singly diagonal for
    dirk, fully implicit for firk) with the family that does, or why none does: a Heun tableau given 'dirk' was
    told at the solve to "choose a DIRK tableau", and given 'rosenbrock' was accepted here (a user's trial).
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
_KNOWN_FAMILIES = _RUNGE_KUTTA_FAMILIES + ("rosenbrock",)  # the families whose tableau shape _family knows
FAMILY_OF_TABLEAU = ("'erk' for an explicit ButcherTableau, 'dirk' for a singly diagonally implicit one (SDIRK, "
                     "ESDIRK), 'firk' for a fully implicit one, 'rosenbrock' for a RosenbrockTableau")
# The shape of a ButcherTableau each Runge-Kutta family runs (what _family tells apart), as messages say it.
_SHAPES = {
    "erk": ("explicit", "a strictly lower triangular"),
    "dirk": ("singly diagonally implicit", "a lower triangular with one common nonzero diagonal entry, an explicit "
                                           "first stage allowed: SDIRK or ESDIRK, whose stages share one iteration "
                                           "matrix"),
    "firk": ("fully implicit", "entries of a above the diagonal"),
}


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
    fits = _family(tableau)
    if not isinstance(family, str) or family not in BUILT_FAMILIES:
        raise ConfigurationError(f"kernels.Method family must be one of {sorted(BUILT_FAMILIES)} "
                                 f"({FAMILY_OF_TABLEAU}); got {describe(family)}"
                                 + (f": this tableau takes {fits!r}" if fits else f"; {_no_family(tableau)}"))
    if isinstance(tableau, RosenbrockTableau) and family in _RUNGE_KUTTA_FAMILIES:  # an AttributeError at solve
        raise ConfigurationError(f"kernels.Method family {family!r} runs a ButcherTableau; got the RosenbrockTableau "
                                 f"{tableau.name!r}: pass family 'rosenbrock'")
    if family in _KNOWN_FAMILIES and family != fits:  # a family registered beside these says at its build
        raise ConfigurationError(_family_mismatch(family, tableau, fits))
    refusal = firk_refusal(tableau) if family == "firk" else None  # a weighted explicit first stage ran wrong
    if refusal:
        raise ConfigurationError(f"kernels.Method family 'firk': {refusal}")


def _family_mismatch(family, tableau, fits):
    """The message for a ButcherTableau given a ``family`` that does not run its shape: the family that does (its
    step refused it at the solve with advice for the wrong family, a user's trial), or why none does."""
    if fits is None:
        return f"kernels.Method family {family!r}: {_no_family(tableau)}"
    runs = "RosenbrockTableaus" if family == "rosenbrock" else "{} ButcherTableaus ({})".format(*_SHAPES[family])
    shape, rule = _SHAPES[fits]
    return (f"kernels.Method family {family!r} runs {runs}; the tableau {tableau.name!r} is "
            f"{shape} ({rule}{_first_entry(tableau, fits)}): pass family {fits!r}")


def _first_entry(tableau, fits):
    """``"; a[0][1] = 1e-18 is above the diagonal ..."``: the entry that makes ``tableau`` of the shape ``fits``
    rather than a lower one, or "" for an explicit tableau.  Rounding noise of 1e-18 above the diagonal of an
    explicit tableau was told "fully implicit" without a word of where (a user's trial)."""
    a, s = tableau.a, tableau.stages
    if fits == "firk":
        where = next((i, j) for i in range(s) for j in range(i + 1, s) if a[i][j] != 0.0)
        said = "above"
    elif fits == "dirk":
        where = next((i, i) for i in range(s) if a[i][i] != 0.0)
        said = "on"
    else:
        return ""
    i, j = where
    return f"; a[{i}][{j}] = {a[i][j]:g} is {said} the diagonal: write 0 there if it is rounding noise"


def _no_family(tableau):
    """Why no built family runs ``tableau`` (:func:`_family` None): in practice a diagonally implicit ``a`` whose
    diagonal is not one common nonzero value, over which the DIRK step cannot share one iteration matrix, and
    which the FIRK step (fully implicit tableaus only) refuses as well."""
    said = f"no built family runs the tableau {tableau.name!r}"
    if not (isinstance(tableau, ButcherTableau) and tableau.diagonally_implicit and not tableau.singly_diagonal):
        return said
    diagonal = ", ".join(f"{tableau.a[i][i]:g}" for i in range(tableau.stages))
    dirks = [n for n, t in IMPLICIT_TABLEAUS.items() if isinstance(t, ButcherTableau) and t.singly_diagonal]
    return (f"{said}: it is diagonally implicit with the diagonal ({diagonal}), not one common nonzero value; "
            f"'dirk' runs only singly diagonal tableaus ({_SHAPES['dirk'][1]}), 'firk' only fully implicit ones "
            f"({_SHAPES['firk'][1]}). Give the diagonal one value (an SDIRK), or take a built-in DIRK method "
            f"({', '.join(dirks)})")


def _family(tableau):
    """The step family that runs ``tableau``, or None where no built family does: a diagonally implicit ``a``
    whose diagonal entries differ (:func:`_no_family`), or a family not built.  The shapes are those the step
    settings accept, so a Method is checked when it is made."""
    if isinstance(tableau, RosenbrockTableau):
        family = "rosenbrock"
    elif tableau.explicit:
        family = "erk"
    elif tableau.diagonally_implicit:
        family = "dirk" if tableau.singly_diagonal else None
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
    if type(method).__module__.startswith("diffrax"):  # diffrax.Tsit5(): its name is the hint
        raise ConfigurationError(f"method {type(method).__name__}() is diffrax's solver object; here a method is a "
                                 f"name: {_diffrax_name(type(method).__name__)}. The methods are "
                                 f"{list(METHOD_NAMES)} (case-insensitive)")
    if not isinstance(method, str):  # a tableau or its JSON (a dict) fell on 'unhashable type' (a user's trial)
        raise ConfigurationError(f"method must be a method's name, one of {list(METHOD_NAMES)}; got "
                                 f"{type(method).__name__} {str(method)[:60]!r}: {_own_tableau(method)}")
    key = method.lower()
    if key not in METHODS:
        if key in IMPLICIT_TABLEAUS:
            raise ConfigurationError(
                f"method {method!r} is an implicit method whose step family does not exist yet (its tableau "
                f"is in kernels.tableaus.IMPLICIT_TABLEAUS); choose one of {list(METHOD_NAMES)}")
        diffeq = diffeq_method(method, METHODS) or symplectic_method(method)  # "Rosenbrock23", "leapfrog"
        if diffeq is not None:
            raise ConfigurationError(f"{diffeq}. The methods are {list(METHOD_NAMES)} (case-insensitive)")
        guess = did_you_mean(key, METHOD_NAMES, cutoff=0.75)
        raise ConfigurationError(f"method must be one of {list(METHOD_NAMES)}; got {method!r}{guess}")
    return METHODS[key]


def _diffrax_name(name):
    """What to pass for diffrax's solver class ``name``: its name where it is one here, else what
    :func:`kernels.diffeq_names.diffeq_method` says (a solver object was told to write a tableau of one's own)."""
    return method_advice(name) or "pass the name of the closest method of the list below"


def method_advice(name):
    """How to ask for the integration method called ``name`` as a sentence: ``"pass method='tsit5'"`` for a name here
    (case-insensitive), what :func:`kernels.diffeq_names.diffeq_method` and :func:`symplectic_method` say for
    DifferentialEquations.jl's, DiffEqGPU.jl's, diffrax's and torchdiffeq's names and a symplectic integrator's, and
    what to use for SciPy's ``RK45``, ``RK23``, ``BDF`` and ``LSODA``; None where ``name`` names no method."""
    from .integrator_checks import SCIPY_METHODS  # (here: integrator_checks imports this module)

    key = name.strip().lower()
    if key in METHODS:
        return f"pass method={key!r}"
    if key in SCIPY_METHODS:
        return f"method {name!r} is SciPy's; here use {SCIPY_METHODS[key]}"
    return diffeq_method(name, METHODS) or symplectic_method(name)
