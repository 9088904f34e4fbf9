"""Diagonally implicit Runge-Kutta tableaus (SDIRK and ESDIRK), as data.

They are collected in :data:`kernels.tableaus.IMPLICIT_TABLEAUS`, and
:data:`kernels.methods.METHODS` gives each to its step family (``kernels/steps/``).
Every coefficient set cites its source and a second one that the tests compare
against (``tests/kernels/test_tableaus_implicit.py``); the order conditions,
the embedded order, stiff accuracy and L-stability are checked there too.

Conventions as in :class:`~kernels.tableaus.base.ButcherTableau`: ``a`` is the
full lower-triangular matrix (diagonal included), the error estimate is
``dt * error_scale * sum((b - b_hat) k)`` (``error_scale`` is 1 but for
KVAERNO5's 10, below).  An ESDIRK has ``a[0][0] = 0``: its first stage is
explicit, ``f(t, y)``, and since these methods are stiffly accurate
(``b = a[-1]``, ``c[-1] = 1``) it equals the previous step's last stage.

:data:`STEP_START_FORMS` gives SDIRK4 and SDIRK2 a second form for systems whose rhs
can jump in time: the same method with ``f(t, y)`` at the step's start as an
explicit first stage that only the error estimate reads.  Without it every stage
of a step lies past ``t + c_0 h`` (``c_0 = 1/4`` and ``0.29``): a switch of the rhs
in time before that is seen by every stage alike, the step errs by the jump times
``x h`` and the estimate (``sum(b - b_hat) = 0``) is exactly 0.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

from .base import ButcherTableau

__all__ = ["BACKWARD_EULER", "TRAPEZOID", "SDIRK2", "KVAERNO3", "SDIRK4", "KVAERNO5", "DIRK", "SDIRK2_STEP_START",
           "SDIRK4_STEP_START", "STEP_START_FORMS", "step_start_form"]


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
#
# error_scale = 10: the pair's order-5 solution has a principal error coefficient 4.25 times the order-4 one's
# (Dormand-Prince 0.34, kvaerno3 0.44, sdirk4 0.20), so the step it keeps errs about as much as the estimate says
# (0.45 to 0.88 of it; other methods 0.01 to 0.02) and a run ended 100 to 170 tolerances off with success on smooth
# dynamics.  Measured with the library (simulator, float64, 2026-12; atol = rtol / 100, SciPy Radau at rtol 1e-12 as
# the reference, max over 11 output times) at rtol 1e-4 / 1e-6 / 1e-8, scale 1 -> 10: Lorenz rho 12.67 on [0, 1]
# 38.6 / 124 / 125 -> 9.0 / 12.8 / 12.0 tolerances, rho 28 32.2 / 111 / 88.4 -> 11.5 / 10.7 / 8.3, Van der Pol
# mu = 1 to t = 10 12.6 / 142 / 151 -> 12.5 / 12.2 / 16.5, Lotka-Volterra 33.7 / 89.4 / 82.8 -> 7.2 / 9.0 / 8.9
# (kvaerno3 there 3.8 to 14.2, sdirk4 0.3 to 83); scale 5 left up to 44.6, 20 up to 7.8.  Steps grow about as
# scale^(1/5): +6 to +70 % on the stiff tests (Robertson to 1e5 54 / 87 / 161 -> 66 / 116 / 228, HIRES 77 / 144 /
# 366 -> 87 / 204 / 607, Van der Pol mu = 1000 to 2 17 / 20 / 28 -> 18 / 23 / 36, the Oregonator to 30 148 / 299 /
# 781 -> 183 / 447 / 1326), still below sdirk4's and kvaerno3's; their errors (atol 1e-3 rtol, 1 rtol for Van der
# Pol) stayed within 1.1 tolerances (Robertson to 1e5 at 1e-8 2.0 -> 0.31, HIRES 1.7 -> 0.34).
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
    error_scale=10.0,
)

DIRK = (BACKWARD_EULER, TRAPEZOID, SDIRK2, KVAERNO3, SDIRK4, KVAERNO5)


def _step_start(sdirk, b_hat):
    """``sdirk`` with ``f(t, y)`` as an explicit stage 0 (a zero first row and column, ``c_0 = b_0 = 0``) and the
    embedded weights ``b_hat`` over the stages with it: the SDIRK's solution, an estimate that reads stage 0.

    The form keeps ``sdirk.error_scale``: the new ``b_hat`` were chosen to keep the estimate's size (below), and
    the scale calibrates the estimate against the error of the solution, which is the SDIRK's."""
    return ButcherTableau(name=sdirk.name, a=((0.0,),) + tuple((0.0,) + tuple(row) for row in sdirk.a),
                          b=(0.0,) + tuple(sdirk.b), c=(0.0,) + tuple(sdirk.c), order=sdirk.order, b_hat=b_hat,
                          embedded_order=sdirk.embedded_order, error_scale=sdirk.error_scale)


# The step-start (ESDIRK) forms of SDIRK2 and SDIRK4: a zero first row and column, c_0 = 0, b_0 = 0, so the
# solution and the stability function are the SDIRK's; only the estimate reads the new stage 0, f(t, y) (free from
# the FSAL cache below 64 states, kernels/steps/dirk.py).  A jump of f at t + x h with x < c_1 now moves the estimate
# by the jump times h b_hat_0.  Trial of 2026-12-06 (a NumPy copy of the step and PI controller): a pulse y' = 100 on
# [p, p + 1) in the rhs ended 8.7e6 to 6.0e7 tolerances off at rtol 1e-8, within 1.1 with these forms; on Robertson,
# HIRES and Van der Pol (mu = 1000) at rtol 1e-4 to 1e-8 the errors stayed comparable.
#
# SDIRK2: b_hat = (w, 0, 1 - w), of order 1 for w != 1/2 (w = 1/2 is of order 2: an estimate of the error's order,
# up to 62 tolerances off on Van der Pol).  The estimate's leading term is sum((b - b_hat) c) = w - (1 - gamma)^2
# (the SDIRK's -(1 - gamma)^2 = -1/2).  w = 1 (forward Euler on stage 0, as TRAPEZOID's) keeps its size: steps and
# errors as the SDIRK's (a forced Van der Pol, mu = 10, rtol 1e-4 / 1e-6: 1091 / 10893 steps, 1.08 / 2.14 tolerances,
# before 1090 / 10895, 0.99 / 2.12), a pulse in the rhs within 0.73 (rtol 1e-8) and 0.92 (1e-5).  w = 1/4 halved
# the estimate: 26 to 29 % fewer steps, but that Van der Pol ended 5.4 to 5.9 tolerances off (a regression hunt).
SDIRK2_STEP_START = _step_start(SDIRK2, b_hat=(1.0, 0.0, 0.0))

# SDIRK4: the order-3 conditions over the six stages leave b_hat_0 and b_hat_5 free; b_hat_5 = 0 as in Hairer's
# b_hat, b_hat_0 = -1/4 (so the estimate of a jump in the first quarter step is at least the error it makes).  In the
# trial the steps changed by -5 % to +19 % (Van der Pol at rtol 1e-4 the most, 267 -> 317 accepted).
SDIRK4_STEP_START = _step_start(SDIRK4, b_hat=_f("-1/4", "23/12", "1/6", "25/4", "-85/12", 0))

#: The built-in tableau -> its step-start form, for systems whose rhs reads t or has drivers (identity pairs: a
#: user's own tableau of the same name is not replaced).
STEP_START_FORMS = ((SDIRK2, SDIRK2_STEP_START), (SDIRK4, SDIRK4_STEP_START))


def step_start_form(tableau):
    """``tableau``'s step-start form where :data:`STEP_START_FORMS` has one (``tableau`` itself otherwise): the form
    whose estimate sees a switch of the rhs in time early in a step."""
    return next((form for built_in, form in STEP_START_FORMS if tableau is built_in), tableau)
