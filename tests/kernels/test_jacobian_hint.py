"""The non-finite Jacobian hint of implicit methods' solver failures (kernels/jacobian_hint.py)."""

import math

import numpy as np
import pytest

import kernels


def _half_order_decay(t, y, p, dydt):
    dydt[0] = -p[0] * math.sqrt(y[0])
    dydt[1] = -y[1]


def _half_order_jac(t, y, p, J):
    J[0] = -p[0] / (2.0 * math.sqrt(y[0]))  # -inf at y[0] = 0 (p[0] is a NumPy float: no ZeroDivisionError)
    J[1] = 0.0
    J[2] = 0.0
    J[3] = -1.0


@pytest.mark.parametrize("method", ["rodas5p", "radau"])
def test_an_infinite_jacobian_at_the_start_is_named(method):
    """d f_0 / d y_0 = -k / (2 sqrt(y_0)) is infinite at y_0 = 0: the iteration matrix is singular at any step, and the
    message said only that; it names the entry, the state and what to do."""
    system = kernels.ODESystem(_half_order_decay, 2, n_params=1, name="half_order", jac=_half_order_jac)
    result = kernels.solve_ivp(system, (0.0, 1.0), [[0.0, 1.0], [1.0, 1.0]], [1.0], method=method,
                               precision=np.float64, rtol=1e-6, atol=1e-9, progress=False)
    assert result.status[0] in (kernels.Status.SINGULAR_MATRIX, kernels.Status.NEWTON_NOT_CONVERGED)
    assert result.status[1] == kernels.Status.SUCCESS
    message = result.message(0)
    assert "The system's jac is not finite at the initial state (t = 0, y = [0, 1])" in message
    assert "J[0 * 2 + 0] = J[0] (d f_0 / d y_0) is -inf" in message
    assert "start slightly inside the domain (y_0 at 1e-12 instead of 0" in message and "regularise" in message
    assert result.message(1) == kernels.STATUS_MESSAGES[kernels.Status.SUCCESS]


def _half_order_jac_raising(t, y, p, J):
    J[0] = -1.0 / (2.0 * math.sqrt(y[0]))  # Python floats: ZeroDivisionError on the host at y[0] = 0, inf on a GPU
    J[1] = 0.0
    J[2] = 0.0
    J[3] = -1.0


def test_a_jac_that_raises_a_float_fault_at_the_start_is_named():
    system = kernels.ODESystem(_half_order_decay, 2, n_params=1, name="raising", jac=_half_order_jac_raising,
                               check=False)  # the construction check would run jac at y = (0.5, 1)
    result = kernels.solve_ivp(system, (0.0, 1.0), [0.0, 1.0], [1.0], method="rodas5p", precision=np.float64,
                               rtol=1e-6, atol=1e-9, progress=False)
    assert result.status[0] in (kernels.Status.SINGULAR_MATRIX, kernels.Status.NEWTON_NOT_CONVERGED)
    assert ("The system's jac raised ZeroDivisionError (float division by zero) at the initial state (t = 0, "
            "y = [0, 1]), where a GPU gives inf or NaN" in result.message(0))
