"""Diagonally implicit Runge-Kutta tableaus (SDIRK and ESDIRK), as data.

They are collected in :data:`kernels.tableaus.IMPLICIT_TABLEAUS`, and
:data:`kernels.methods.METHODS` gives each to its step family (``kernels/steps/``).
Every coefficient set cites its source and a second one that the tests compare
against (``tests/kernels/test_tableaus_implicit.py``); the order conditions,
the embedded order, stiff accuracy and L-stability are checked there too.

Conventions as in :class:`~kernels.tableaus.base.ButcherTableau`: ``a`` is the
full lower-triangular matrix (diagonal included), the error estimate is
``dt * sum((b - b_hat) k)``.  An ESDIRK has ``a[0][0] = 0``: its first stage is
explicit, ``f(t, y)``, and since these methods are stiffly accurate
(``b = a[-1]``, ``c[-1] = 1``) it equals the previous step's last stage.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

from .base import ButcherTableau

__all__ = ["BACKWARD_EULER", "TRAPEZOID", "SDIRK2", "KVAERNO3", "SDIRK4", "KVAERNO5", "DIRK"]


def _f(*xs):
    return tuple(float(F(x)) if isinstance(x, str) else float(x) for x in xs)


# Backward (implicit) Euler: order 1, L-stable, stiffly accurate; no embedded formula in the
# tableau (a step estimates its error otherwise, e.g. by comparing with an extrapolation).
# Hairer & Wanner, "Solving ODEs II" (1996), sec. IV.3 (stability function 1 / (1 - z)).
BACKWARD_EULER = ButcherTableau(name="backward_euler", a=((1.0,),), b=(1.0,), c=(1.0,), order=1)

# Trapezoidal rule (implicit, Crank-Nicolson): order 2, A-stable, not L-stable (R(-inf) = -1),
# stiffly accurate; first stage explicit (the ESDIRK form).  Embedded: forward Euler on the first
# stage, b_hat = (1, 0), so the estimate is dt * (k2 - k1) / 2, of order 1.
# Hairer & Wanner (1996), sec. IV.3 (R(z) = (1 + z/2) / (1 - z/2)); Hairer, Norsett & Wanner (1993),
# sec. II.7 (the trapezoidal rule as a Runge-Kutta method).
TRAPEZOID = ButcherTableau(
    name="trapezoid", a=((0.0,), (0.5, 0.5)), b=(0.5, 0.5), c=(0.0, 1.0), order=2,
    b_hat=(1.0, 0.0), embedded_order=1,
)

# Alexander's two-stage SDIRK of order 2, gamma = 1 - sqrt(2)/2: L-stable, stiffly accurate.
# R. Alexander, "Diagonally implicit Runge-Kutta methods for stiff O.D.E.'s", SIAM J. Numer. Anal.
# 14 (1977), 1006-1021; Hairer & Wanner (1996), sec. IV.6.  Embedded order 1 uses the second stage
# alone, b_hat = (0, 1).  Second source: diffrax/_solver/alexander2.py (b_error = b - b_hat).
_G2 = 1.0 - 0.5 * math.sqrt(2.0)
SDIRK2 = ButcherTableau(
    name="sdirk2", a=((_G2,), (1.0 - _G2, _G2)), b=(1.0 - _G2, _G2), c=(_G2, 1.0), order=2,
    b_hat=(0.0, 1.0), embedded_order=1,
)

# Kvaerno's ESDIRK 3(2), 4 stages, gamma = 0.4358665215 (the root of the L-stability condition,
# to the 10 digits published): stiffly accurate, L-stable, the embedded 2nd-order solution is the
# third stage value (c3 = 1).  A. Kvaerno, "Singly diagonally implicit Runge-Kutta methods with an
# explicit first stage", BIT 44 (2004), 489-502; coefficients in terms of gamma as in
# diffrax/_solver/kvaerno3.py.  Second source: OrdinaryDiffEq.jl's Kvaerno3Tableau (decimals).
_G3 = 0.4358665215
_K3_ROW3 = (
    (-4.0 * _G3 ** 2 + 6.0 * _G3 - 1.0) / (4.0 * _G3),
    (-2.0 * _G3 + 1.0) / (4.0 * _G3),
    _G3,
)
_K3_ROW4 = (
    (6.0 * _G3 - 1.0) / (12.0 * _G3),
    -1.0 / ((24.0 * _G3 - 12.0) * _G3),
    (-6.0 * _G3 ** 2 + 6.0 * _G3 - 1.0) / (6.0 * _G3 - 3.0),
    _G3,
)
KVAERNO3 = ButcherTableau(
    name="kvaerno3",
    a=((0.0,), (_G3, _G3), _K3_ROW3, _K3_ROW4),
    b=_K3_ROW4,
    c=(0.0, 2.0 * _G3, 1.0, 1.0),
    order=3,
    b_hat=_K3_ROW3 + (0.0,),
    embedded_order=2,
)

# Hairer & Wanner's SDIRK 4(3): 5 stages, gamma = 1/4, L-stable, stiffly accurate.
# Hairer & Wanner (1996), sec. IV.6, Table 6.5; their code SDIRK4.  Second source:
# OrdinaryDiffEq.jl's Hairer4Tableau (exact rationals; btilde = b_hat - b).
SDIRK4 = ButcherTableau(
    name="sdirk4",
    a=(
        _f("1/4"),
        _f("1/2", "1/4"),
        _f("17/50", "-1/25", "1/4"),
        _f("371/1360", "-137/2720", "15/544", "1/4"),
        _f("25/24", "-49/48", "125/16", "-85/12", "1/4"),
    ),
    b=_f("25/24", "-49/48", "125/16", "-85/12", "1/4"),
    c=_f("1/4", "3/4", "11/20", "1/2", 1),
    order=4,
    b_hat=_f("59/48", "-17/96", "225/32", "-85/12", 0),
    embedded_order=3,
)

# Kvaerno's ESDIRK 5(4), 7 stages, gamma = 0.26: stiffly accurate, L-stable; the embedded
# 4th-order solution is the sixth stage value (c6 = 1).  Kvaerno (2004), values as printed in
# diffrax/_solver/kvaerno5.py; second source: OrdinaryDiffEq.jl's Kvaerno5Tableau (btilde = a6 - a7).
_G5 = 0.26
_K5_ROW6 = (0.13855640231268224, 0.0, -0.04245337201752043, 0.02446657898003141, 0.61943039072480676, _G5)
_K5_ROW7 = (0.13659751177640291, 0.0, -0.05496908796538376, -0.04118626728321046, 0.62993304899016403,
            0.06962479448202728, _G5)
KVAERNO5 = ButcherTableau(
    name="kvaerno5",
    a=(
        (0.0,),
        (_G5, _G5),
        (0.13, 0.84033320996790809, _G5),
        (0.22371961478320505, 0.47675532319799699, -0.06470895363112615, _G5),
        (0.16648564323248321, 0.10450018841591720, 0.03631482272098715, -0.13090704451073998, _G5),
        _K5_ROW6,
        _K5_ROW7,
    ),
    b=_K5_ROW7,
    c=(0.0, 0.52, 1.23033320996790809, 0.8957659843500759, 0.43639360985864756, 1.0, 1.0),
    order=5,
    b_hat=_K5_ROW6 + (0.0,),
    embedded_order=4,
)

DIRK = (BACKWARD_EULER, TRAPEZOID, SDIRK2, KVAERNO3, SDIRK4, KVAERNO5)
