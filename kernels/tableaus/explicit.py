"""Butcher tableaus of the explicit Runge-Kutta methods, as immutable data.

Every coefficient set cites its source and was checked against a second,
independent one (noted beside it).  The invariants are checked on
construction (:class:`~kernels.tableaus.base.ButcherTableau`); the
convergence order is checked empirically by ``tests/kernels/test_convergence.py``.
"""

from __future__ import annotations

from fractions import Fraction as F

from .base import ButcherTableau

__all__ = ["EULER", "HEUN", "RK4", "BS3", "DOPRI5", "TSIT5", "EXPLICIT"]


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

EXPLICIT = (EULER, HEUN, RK4, BS3, DOPRI5, TSIT5)
