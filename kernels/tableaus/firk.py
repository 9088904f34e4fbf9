"""Fully implicit Runge-Kutta tableaus (collocation methods), as data.

They are collected in :data:`kernels.tableaus.IMPLICIT_TABLEAUS`, and
:data:`kernels.methods.METHODS` gives each to its step family (``kernels/steps/``).

``radau``: Radau IIA of order 5 (3 implicit stages, nodes the roots of the
Radau polynomial, stiffly accurate, L-stable), written with an extra *explicit
first stage* ``k0 = f(t, y)`` (``c[0] = 0``, first row and first column of
``a`` zero, ``b[0] = 0``) so that its embedded error estimate is a plain
``b_hat``: Hairer & Wanner's estimate of order 3 for RADAU5,

    y_hat - y_new = gamma0 h f(t, y) + sum_i e_i z_i,   z_i = Y_i - y,
    (e_1, e_2, e_3) = gamma0 (-13 - 7 sqrt6, -13 + 7 sqrt6, -1) / 3,

with ``gamma0 = 1 / mu``, ``mu = 3 + 3**(2/3) - 3**(1/3)`` the real eigenvalue
of ``A**-1``.  Since ``z = h A k``, ``b_hat = (gamma0, b + A^T e)``.  The stage
``k0`` costs nothing in a step: the method is stiffly accurate, so the previous
step's last stage is ``f(t, y)``.  For stiff problems Hairer's code filters the
estimate, ``err = (I - h gamma0 J)**-1 (y_hat - y_new)``; that is the step's
business (it owns J), not the tableau's.  The implicit system is the 3x3 block
``a[1:, 1:]``.
Sources: Hairer & Wanner, "Solving ODEs II" (1996), sec. IV.5, Table 5.6 (the
tableau) and sec. IV.8 (the error estimate); second source: SciPy's
``scipy/integrate/_ivp/radau.py`` (``C``, ``E``, ``MU_REAL``, ``T``, ``TI``),
compared in the tests, where ``A`` is also rebuilt from its nodes by collocation.

``gauss4``: the two-stage Gauss-Legendre method of order 4 (A-stable, not
L-stable: ``|R(-inf)| = 1``; symmetric).  No embedded formula.  Hairer & Wanner
(1996), sec. IV.5, Table 5.1; checked in the tests against the collocation
conditions on the roots of the shifted Legendre polynomial.
"""

from __future__ import annotations

import math

from .base import ButcherTableau

__all__ = ["RADAU", "GAUSS4", "FIRK", "RADAU_GAMMA0", "RADAU_E"]

_S6 = math.sqrt(6.0)

_RADAU_A = (
    ((88.0 - 7.0 * _S6) / 360.0, (296.0 - 169.0 * _S6) / 1800.0, (-2.0 + 3.0 * _S6) / 225.0),
    ((296.0 + 169.0 * _S6) / 1800.0, (88.0 + 7.0 * _S6) / 360.0, (-2.0 - 3.0 * _S6) / 225.0),
    ((16.0 - _S6) / 36.0, (16.0 + _S6) / 36.0, 1.0 / 9.0),
)
_RADAU_C = ((4.0 - _S6) / 10.0, (4.0 + _S6) / 10.0, 1.0)

RADAU_GAMMA0 = 1.0 / (3.0 + 3.0 ** (2.0 / 3.0) - 3.0 ** (1.0 / 3.0))
"""``gamma0``: the weight of ``f(t, y)`` in Radau IIA's embedded formula (and of J in its filter)."""

RADAU_E = tuple(RADAU_GAMMA0 * e / 3.0 for e in (-13.0 - 7.0 * _S6, -13.0 + 7.0 * _S6, -1.0))
"""``e_i``: the weights of ``z_i = Y_i - y`` in Radau IIA's error estimate."""

_RADAU_B = _RADAU_A[2]
_RADAU_B_HAT = (RADAU_GAMMA0,) + tuple(
    _RADAU_B[j] + sum(RADAU_E[i] * _RADAU_A[i][j] for i in range(3)) for j in range(3)
)

RADAU = ButcherTableau(
    name="radau",
    a=((0.0, 0.0, 0.0, 0.0),) + tuple((0.0,) + row for row in _RADAU_A),
    b=(0.0,) + _RADAU_B,
    c=(0.0,) + _RADAU_C,
    order=5,
    b_hat=_RADAU_B_HAT,
    embedded_order=3,
)

_S3 = math.sqrt(3.0)
GAUSS4 = ButcherTableau(
    name="gauss4",
    a=((0.25, 0.25 - _S3 / 6.0), (0.25 + _S3 / 6.0, 0.25)),
    b=(0.5, 0.5),
    c=(0.5 - _S3 / 6.0, 0.5 + _S3 / 6.0),
    order=4,
)

FIRK = (RADAU, GAUSS4)
