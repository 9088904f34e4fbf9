"""Empirical convergence order of every method on a fixed step (diffrax's ``test_ode_order``).

The slope of log(error) against log(dt) must equal the tableau's order within
0.25: this catches a wrong coefficient that still passes the sum checks.
float64, one trajectory, error at the end against SciPy DOP853.  Orders 1 to 4
use Van der Pol (mu = 1) on [0, 1]; the fifth-order pairs, whose error
constants are tiny, reach their asymptotic slope only on a harder problem:
Lorenz (rho = 28) on [0, 1].

The high-order pairs (DOP853, Vern7, Vern9) use a 2-state non-autonomous
rotation, ``y' = (1 + t) J y`` on [0, 6] (exact solution: the angle
``t + t**2 / 2``), with 40 to 96 steps: their errors (5e-7 down to 2e-11) stay
far above float64 rounding.  Vern9's error constant is so small that the
``h**10`` term still bends the plain slope there (9.8), and it reaches 9
only where rounding takes over; so for orders >= 7 the fit is
``log e = a + p log h + k h`` (the leading term and its first correction,
``C h**p (1 + K h)``) and ``p`` must be within 0.3 of the order (it gives
8.05, 6.83 and 8.98); the plain slope must still be within 1.
"""

import numpy as np
import pytest

import kernels
from kernel_helpers import lorenz_params, scipy_reference

def _rotation_rhs(t, y, p, dydt):
    w = 1.0 + t
    dydt[0] = -w * y[1]
    dydt[1] = w * y[0]


VDP = (kernels.van_der_pol(), [2.0, 0.0], [[1.0]])
ROTATION = (kernels.ODESystem(_rotation_rhs, 2, 0, name="rotation"), [1.0, 0.0], None)
ROTATION_END = 6.0
HIGH_ORDER_COUNTS = (40, 48, 64, 80, 96)
LORENZ = (kernels.lorenz(), [1.0, 1.0, 1.0], lorenz_params([28.0]))
CASES = {1: (VDP, (50, 100, 200, 400)), 2: (VDP, (20, 40, 80, 160)), 3: (VDP, (10, 20, 40, 80)),
         4: (VDP, (5, 10, 20, 40)), 5: (LORENZ, (160, 320, 640))}


@pytest.fixture(scope="module")
def references():
    return {id(case): scipy_reference(case[0], (0.0, 1.0), case[1], case[2], [1.0])[0, -1]
            for case in (VDP, LORENZ)}


LOW_ORDER = [m for m in kernels.TABLEAU_NAMES if kernels.TABLEAUS[m].order <= 5]
HIGH_ORDER = [m for m in kernels.TABLEAU_NAMES if kernels.TABLEAUS[m].order > 5]


def test_every_method_has_a_case():
    assert set(LOW_ORDER) | set(HIGH_ORDER) == set(kernels.TABLEAU_NAMES)
    assert {"dop853", "vern7", "vern9"} <= set(HIGH_ORDER)


@pytest.mark.parametrize("method", HIGH_ORDER)
def test_high_order(method):
    order = kernels.TABLEAUS[method].order
    system, y0, params = ROTATION
    angle = ROTATION_END + ROTATION_END ** 2 / 2.0
    exact = np.array([np.cos(angle), np.sin(angle)])
    errors = []
    for n in HIGH_ORDER_COUNTS:
        result = kernels.solve_ivp(system, (0.0, ROTATION_END), y0, params, method=method, dt=ROTATION_END / n,
                                   controller="fixed", precision=np.float64)
        assert result.n_steps[0] == n
        errors.append(np.max(np.abs(result.y[0, -1] - exact)))
    errors = np.array(errors)
    assert np.all(errors > 1e-11), errors  # far above rounding
    h = ROTATION_END / np.array(HIGH_ORDER_COUNTS)
    fit = np.linalg.lstsq(np.column_stack([np.ones_like(h), np.log(h), h]), np.log(errors), rcond=None)[0]
    slope = np.polyfit(np.log(h), np.log(errors), 1)[0]
    assert abs(fit[1] - order) < 0.3, (method, fit, slope, errors)
    assert abs(slope - order) < 1.0, (method, fit, slope, errors)


@pytest.mark.parametrize("method", LOW_ORDER)
def test_order(method, references):
    order = kernels.TABLEAUS[method].order
    (system, y0, params), counts = CASES[order]
    reference = references[id(CASES[order][0])]
    errors = []
    for n in counts:
        result = kernels.solve_ivp(system, (0.0, 1.0), y0, params, method=method, dt=1.0 / n,
                                   controller="fixed", precision=np.float64)
        assert result.n_steps[0] == n
        errors.append(np.max(np.abs(result.y[0, -1] - reference)))
    errors = np.array(errors)
    assert np.all(errors > 1e-12), errors  # well above rounding: the slope is the method's
    slope = np.polyfit(np.log(1.0 / np.array(counts)), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.25, (method, slope, errors)
