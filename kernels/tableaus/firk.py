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
from fractions import Fraction

import numpy as np

from .base import ButcherTableau

__all__ = ["RADAU", "GAUSS4", "FIRK", "RADAU_GAMMA0", "RADAU_E", "explicit_first_stage", "implicit_stages",
           "firk_refusal"]

# The largest condition number of the implicit stages' block of a the FIRK step inverts (its A^-1).
_MAX_CONDITION = 1e12

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


def explicit_first_stage(tableau) -> bool:
    """True when stage 0 is explicit (``c[0] = 0``, first row of ``a`` zero): the FIRK step leaves it out of
    its coupled solve and takes ``f(t, y)`` for it, as radau's padded first stage."""
    return tableau.c[0] == 0.0 and not any(tableau.a[0])


def implicit_stages(tableau) -> tuple:
    """The tableau indices of the stages the FIRK step solves together (all but an explicit first one)."""
    return tuple(range(1 if explicit_first_stage(tableau) else 0, tableau.stages))


def _number(x):
    """``x`` as a message writes it: ``0.208333 (5/24)`` where a small fraction is it, else ``%g``."""
    exact = Fraction(x).limit_denominator(10_000)
    if exact.denominator > 1 and abs(float(exact) - x) <= 1e-15 * abs(x):
        return f"{x:g} ({exact})"
    return f"{x:g}"


def _weighted_first_stage(tableau):
    """Why the FIRK step cannot run ``tableau``'s explicit first stage, or None: the step leaves the stage out
    (its form is radau's, whose padded stage 0 is zero in column 0 and in ``b``), so an entry of ``a[1:, 0]``
    or ``b[0]`` that is not 0 would be dropped without a word (Lobatto IIIA ran to a wrong answer with
    success, a user's trial)."""
    if not explicit_first_stage(tableau):
        return None
    entries = [(f"a[{i}][0]", tableau.a[i][0]) for i in range(1, tableau.stages)] + [("b[0]", tableau.b[0])]
    weighted = [f"{field} = {_number(x)}" for field, x in entries if x != 0.0]
    if not weighted:
        return None
    return (f"the tableau {tableau.name!r} has an explicit first stage (c[0] = 0, row 0 of a zero) that carries "
            f"weight: {', '.join(weighted)} {'is' if len(weighted) == 1 else 'are'} not 0. The FIRK step solves "
            "the implicit stages together and runs an explicit first stage only as radau's, with column 0 of a "
            "and b[0] zero (it would drop these entries: a wrong answer). Give a tableau without an explicit first "
            "stage (Radau IIA, Gauss, Lobatto IIIC) or with one that carries no weight, or take a built-in FIRK "
            "method "
            f"({', '.join(t.name for t in FIRK)})")


def _singular_block(tableau):
    """Why the FIRK step cannot invert ``tableau``'s implicit block of ``a``, or None (its Newton works on
    ``A^-1``; a zero column, as Lobatto IIIB's last one, makes it singular)."""
    stages = implicit_stages(tableau)
    block = np.array(tableau.a, dtype=float)[np.ix_(stages, stages)]
    condition = np.linalg.cond(block)
    if np.isfinite(condition) and condition <= _MAX_CONDITION:
        return None
    return (f"the implicit stages {list(stages)} of the tableau {tableau.name!r} have a singular block of a "
            f"(condition number {condition:.3g}, above {_MAX_CONDITION:g}): the FIRK step solves for them through "
            "its inverse. Give a tableau whose implicit block is invertible (Radau IIA, Gauss, Lobatto IIIC), or "
            f"take a built-in FIRK method ({', '.join(t.name for t in FIRK)})")


def firk_refusal(tableau):
    """Why the FIRK step cannot run the fully implicit ``tableau`` (a sentence), or None when it can.

    Checked when a ``kernels.Method(name, 'firk', tableau)`` is made and by the step's settings, so a tableau the
    step would run wrongly (a weighted explicit first stage) or fail on (a singular block) is refused first.
    """
    return _weighted_first_stage(tableau) or _singular_block(tableau)
