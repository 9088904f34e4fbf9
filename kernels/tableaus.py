"""Butcher tableaus of the explicit Runge-Kutta methods, as immutable data.

Each tableau is a frozen :class:`ButcherTableau`; :data:`TABLEAUS` maps the
public method names to them.  Every coefficient set cites its source and was
checked against a second, independent one (noted beside it).  The invariants
(sum of ``b`` is 1, row sums of ``a`` equal ``c``, embedded weights sum to 1)
are checked on construction; the convergence order is checked empirically by
``tests/kernels/test_convergence.py``.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction as F

from .errors import TableauError

__all__ = ["ButcherTableau", "TABLEAUS", "TABLEAU_NAMES", "get_tableau"]

_TOL = 1e-14


@dataclasses.dataclass(frozen=True)
class ButcherTableau:
    """An explicit Runge-Kutta tableau.

    Parameters
    ----------
    name : str
        Public method name.
    a : tuple of tuple of float
        Strictly lower-triangular coupling matrix; row ``i`` has ``i`` entries.
    b : tuple of float
        Solution weights, one per stage.
    c : tuple of float
        Stage nodes, one per stage (``c[0] == 0``).
    order : int
        Order of the solution.
    b_hat : tuple of float or None
        Embedded weights (the error estimate is ``dt * sum((b - b_hat) k)``),
        or None for methods without an error estimate.
    embedded_order : int
        Order of the embedded solution (0 when there is none).
    fsal : bool
        First same as last: the last stage is evaluated at the new state, so
        its derivative is the next step's first stage.
    """

    name: str
    a: tuple
    b: tuple
    c: tuple
    order: int
    b_hat: tuple | None = None
    embedded_order: int = 0
    fsal: bool = False

    def __post_init__(self) -> None:
        for field in ("a", "b", "c", "b_hat"):
            value = getattr(self, field)
            if value is None:
                continue
            if field == "a":
                value = tuple(tuple(float(x) for x in row) for row in value)
            else:
                value = tuple(float(x) for x in value)
            object.__setattr__(self, field, value)
        self.check()

    @property
    def stages(self) -> int:
        """Number of stages."""
        return len(self.b)

    @property
    def adaptive(self) -> bool:
        """True when the tableau has an embedded error estimate."""
        return self.b_hat is not None

    @property
    def error_order(self) -> int:
        """Order used by step-size controllers: ``min(order, embedded_order)``."""
        return min(self.order, self.embedded_order) if self.adaptive else self.order

    @property
    def error_weights(self) -> tuple:
        """``b - b_hat`` (zeros for methods without an embedded estimate)."""
        if self.b_hat is None:
            return tuple(0.0 for _ in self.b)
        return tuple(x - y for x, y in zip(self.b, self.b_hat))

    def check(self) -> None:
        """Raise :class:`TableauError` unless the tableau is consistent."""
        s = len(self.b)
        if len(self.c) != s or len(self.a) != s:
            raise TableauError(
                f"tableau {self.name!r}: b, c and a must have one entry per stage; "
                f"got len(b)={s}, len(c)={len(self.c)}, len(a)={len(self.a)}"
            )
        for i, row in enumerate(self.a):
            if len(row) != i:
                raise TableauError(
                    f"tableau {self.name!r}: row {i} of a must have {i} entries (explicit method); "
                    f"got {len(row)}"
                )
            if abs(sum(row) - self.c[i]) > _TOL:
                raise TableauError(
                    f"tableau {self.name!r}: row {i} of a sums to {sum(row)!r}, expected c[{i}]={self.c[i]!r}"
                )
        if abs(sum(self.b) - 1.0) > _TOL:
            raise TableauError(f"tableau {self.name!r}: sum(b) = {sum(self.b)!r}, expected 1")
        if self.b_hat is not None:
            if len(self.b_hat) != s:
                raise TableauError(
                    f"tableau {self.name!r}: b_hat must have {s} entries; got {len(self.b_hat)}"
                )
            if abs(sum(self.b_hat) - 1.0) > _TOL:
                raise TableauError(
                    f"tableau {self.name!r}: sum(b_hat) = {sum(self.b_hat)!r}, expected 1"
                )
        if self.fsal:
            last = self.a[-1]
            if self.c[-1] != 1.0 or any(abs(x - y) > _TOL for x, y in zip(last, self.b[:-1])) or self.b[-1]:
                raise TableauError(
                    f"tableau {self.name!r}: fsal=True needs c[-1] = 1, a[-1] = b[:-1] and b[-1] = 0"
                )


def _f(*xs):
    return tuple(float(F(x)) if isinstance(x, str) else float(x) for x in xs)


# Forward Euler.  Hairer, Norsett & Wanner, "Solving ODEs I" (1993), sec. II.1.
# Second source: diffrax/_solver/euler.py.
EULER = ButcherTableau(name="euler", a=((),), b=(1.0,), c=(0.0,), order=1)

# Heun's method (explicit trapezoid) with embedded forward Euler, the Heun-Euler 2(1) pair.
# Hairer, Norsett & Wanner (1993), table II.1.1; second source: diffrax/_solver/heun.py
# (b_error = b - b_hat = (-1/2, 1/2)).
HEUN = ButcherTableau(
    name="heun", a=((), (1.0,)), b=(0.5, 0.5), c=(0.0, 1.0), order=2,
    b_hat=(1.0, 0.0), embedded_order=1,
)

# Classical Runge-Kutta 4.  Kutta (1901); Hairer, Norsett & Wanner (1993), table II.1.2.
# Second source: Butcher, "Numerical Methods for ODEs" (2016), sec. 23.
RK4 = ButcherTableau(
    name="rk4",
    a=((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)),
    b=_f("1/6", "1/3", "1/3", "1/6"),
    c=(0.0, 0.5, 0.5, 1.0),
    order=4,
)

# Bogacki-Shampine 3(2), FSAL.  Bogacki & Shampine, "A 3(2) pair of Runge-Kutta formulas",
# Appl. Math. Lett. 2(4), 321-325 (1989).  Second source: scipy/integrate/_ivp/rk.py (RK23).
BS3 = ButcherTableau(
    name="bs3",
    a=((), _f("1/2"), _f(0, "3/4"), _f("2/9", "1/3", "4/9")),
    b=_f("2/9", "1/3", "4/9", 0),
    c=_f(0, "1/2", "3/4", 1),
    order=3,
    b_hat=_f("7/24", "1/4", "1/3", "1/8"),
    embedded_order=2,
    fsal=True,
)

# Dormand-Prince 5(4), FSAL.  Dormand & Prince, "A family of embedded Runge-Kutta formulae",
# J. Comput. Appl. Math. 6(1), 19-26 (1980), table 2.  Second source: Hairer, Norsett &
# Wanner (1993), table II.5.2, and scipy/integrate/_ivp/rk.py (RK45), E = b - b_hat.
DOPRI5 = ButcherTableau(
    name="dopri5",
    a=(
        (),
        _f("1/5"),
        _f("3/40", "9/40"),
        _f("44/45", "-56/15", "32/9"),
        _f("19372/6561", "-25360/2187", "64448/6561", "-212/729"),
        _f("9017/3168", "-355/33", "46732/5247", "49/176", "-5103/18656"),
        _f("35/384", 0, "500/1113", "125/192", "-2187/6784", "11/84"),
    ),
    b=_f("35/384", 0, "500/1113", "125/192", "-2187/6784", "11/84", 0),
    c=_f(0, "1/5", "3/10", "4/5", "8/9", 1, 1),
    order=5,
    b_hat=_f("5179/57600", 0, "7571/16695", "393/640", "-92097/339200", "187/2100", "1/40"),
    embedded_order=4,
    fsal=True,
)

# Tsitouras 5(4), FSAL.  Ch. Tsitouras, "Runge-Kutta pairs of order 5(4) satisfying only the
# first column simplifying assumption", Comput. Math. Appl. 62(2), 770-775 (2011), table 1,
# with the sign of the last error weight corrected (b_hat[6] = +1/66).  Values as in
# diffrax/_solver/tsit5.py (b_hat = b_sol - b_error); second source: the Tsit5 tableau of
# OrdinaryDiffEq.jl (btilde = b_hat - b), checked to the last printed digit.
_TSIT5_ROW6 = (
    0.09646076681806522951816731316512876, 0.01, 0.47988965041449957477524953229059652,
    1.37900857410374189319227482185687277, -3.29006951543608067990104758571136385,
    2.32471052409977398241535591839876580,
)
TSIT5 = ButcherTableau(
    name="tsit5",
    a=(
        (),
        (0.161,),
        (-0.008480655492356988544426874250230774, 0.33548065549235698854442687425023077),
        (2.89715305710549343213043259419293876, -6.35944848997507484314815991238382563,
         4.36229543286958141101772731819088686),
        (5.32586482843925660442887792084051132, -11.7488835640628278777471703397857730,
         7.49553934288983620830460478456435816, -0.09249506636175524925650207933207192),
        (5.86145544294642002865925148698264789, -12.9209693178471092917061186817833594,
         8.15936789857615864318040079453925349, -0.07158497328140099722453054252582974,
         -0.02826905039406838290900305721271224),
        _TSIT5_ROW6,
    ),
    b=_TSIT5_ROW6 + (0.0,),
    c=(0.0, 0.161, 0.327, 0.9, 0.98002554090450968572981028628702460, 1.0, 1.0),
    order=5,
    b_hat=(
        0.09468075576583945807478876255758923, 0.00918356554034325309677636393664531,
        0.48777052842476157078556425996312282, 1.23429756693047898565510967388423765,
        -2.70771234998352545488110997505932167, 1.86662841817058703575371939956621150,
        1.0 / 66.0,
    ),
    embedded_order=4,
    fsal=True,
)

TABLEAUS: dict[str, ButcherTableau] = {
    t.name: t for t in (EULER, HEUN, RK4, BS3, DOPRI5, TSIT5)
}
TABLEAU_NAMES: tuple[str, ...] = tuple(TABLEAUS)


def get_tableau(method: str) -> ButcherTableau:
    """Return the tableau for ``method`` (one of :data:`TABLEAU_NAMES`)."""
    key = method.lower() if isinstance(method, str) else method
    if key not in TABLEAUS:
        from .errors import ConfigurationError

        raise ConfigurationError(
            f"method must be one of {list(TABLEAU_NAMES)}; got {method!r}"
        )
    return TABLEAUS[key]
