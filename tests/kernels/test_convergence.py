"""Empirical convergence order of every method on a fixed step (diffrax's ``test_ode_order``).

The slope of log(error) against log(dt) must equal the tableau's order within
0.25: this catches a wrong coefficient that still passes the sum checks.
float64, one trajectory, error at the end against SciPy DOP853.  Orders 1 to 4
use Van der Pol (mu = 1) on [0, 1]; the fifth-order pairs, whose error
constants are tiny, reach their asymptotic slope only on a harder problem:
Lorenz (rho = 28) on [0, 1].
"""

import numpy as np
import pytest

import kernels
from kernel_helpers import lorenz_params, scipy_reference

VDP = (kernels.van_der_pol(), [2.0, 0.0], [[1.0]])
LORENZ = (kernels.lorenz(), [1.0, 1.0, 1.0], lorenz_params([28.0]))
CASES = {1: (VDP, (50, 100, 200, 400)), 2: (VDP, (20, 40, 80, 160)), 3: (VDP, (10, 20, 40, 80)),
         4: (VDP, (5, 10, 20, 40)), 5: (LORENZ, (160, 320, 640))}


@pytest.fixture(scope="module")
def references():
    return {id(case): scipy_reference(case[0], (0.0, 1.0), case[1], case[2], [1.0])[0, -1]
            for case in (VDP, LORENZ)}


@pytest.mark.parametrize("method", kernels.TABLEAU_NAMES)
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
