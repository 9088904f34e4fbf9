"""The Jacobian check's warning names the slip the numbers show: a transposed J, a factor of the drivers, or neither.

It chose by ``n_drivers`` alone: a column-major jac of two coupled FitzHugh-Nagumo cells with an input current
was told a factor of the drivers was left out and to build the system without jac (a neuroscientist's trial).
"""

import warnings

import numpy as np
import pytest

import kernels
from kernels import ODESystem
from kernels.derivative_check import check_derivatives_at

FHN_Y0, FHN_P, FHN_U = [-1.2, -0.6, -1.0, -0.5], [5.0], np.array([0.5])


def _fhn2(t, y, p, u, dydt):
    """Two gap-junction-coupled FitzHugh-Nagumo cells, current u into cell 0."""
    dydt[0] = y[0] - y[0] ** 3 / 3.0 - y[1] + u[0] + p[0] * (y[2] - y[0])
    dydt[1] = 0.08 * (y[0] + 0.7 - 0.8 * y[1])
    dydt[2] = y[2] - y[2] ** 3 / 3.0 - y[3] + p[0] * (y[0] - y[2])
    dydt[3] = 0.08 * (y[2] + 0.7 - 0.8 * y[3])


def _fhn2_jac(t, y, p, J):
    for k in range(16):
        J[k] = 0.0
    J[0] = 1.0 - y[0] * y[0] - p[0]
    J[1] = -1.0
    J[2] = p[0]
    J[4] = 0.08
    J[5] = -0.064
    J[8] = p[0]
    J[10] = 1.0 - y[2] * y[2] - p[0]
    J[11] = -1.0
    J[14] = 0.08
    J[15] = -0.064


def _fhn2_jac_colmajor(t, y, p, J):
    """MATLAB's habit: d f_i / d y_j at J[j * n + i] (u does not enter J)."""
    for k in range(16):
        J[k] = 0.0
    J[0] = 1.0 - y[0] * y[0] - p[0]
    J[4] = -1.0
    J[8] = p[0]
    J[1] = 0.08
    J[5] = -0.064
    J[2] = p[0]
    J[10] = 1.0 - y[2] * y[2] - p[0]
    J[14] = -1.0
    J[11] = 0.08
    J[15] = -0.064


def _fhn2_jac_coupling_slip(t, y, p, J):
    """The coupling's -p[0] left out of d f_0 / d y_0: wrong, and not transposed."""
    for k in range(16):
        J[k] = 0.0
    J[0] = 1.0 - y[0] * y[0]
    J[1] = -1.0
    J[2] = p[0]
    J[4] = 0.08
    J[5] = -0.064
    J[8] = p[0]
    J[10] = 1.0 - y[2] * y[2] - p[0]
    J[11] = -1.0
    J[14] = 0.08
    J[15] = -0.064


def _fhn2_system(jac):
    return ODESystem(_fhn2, 4, 1, n_drivers=1, name="fhn2", jac=jac)


def _warnings_at_inputs(system):
    """The JacobianCheckWarning messages of the check at a solve's inputs (FHN_Y0, FHN_P, u = FHN_U at t = 0)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_derivatives_at(system, "jac", 0.0, {0: (FHN_Y0, FHN_P)}, u=FHN_U)
    return [str(w.message) for w in caught if issubclass(w.category, kernels.JacobianCheckWarning)]


def test_a_transposed_jac_with_drivers_is_called_transposed_not_a_drivers_slip():
    (message,) = _warnings_at_inputs(_fhn2_system(_fhn2_jac_colmajor))
    assert "row-major: a transposed J, column-major as MATLAB and Fortran store it" in message
    assert "write d f_i / d y_j to J[i * n + j], where yours writes it to J[j * n + i]" in message
    assert "drivers" not in message and "without jac" not in message


def test_a_jac_with_drivers_wrong_otherwise_keeps_the_drivers_remark():
    (message,) = _warnings_at_inputs(_fhn2_system(_fhn2_jac_coupling_slip))
    assert "a factor of the drivers left out is a common slip" in message
    assert "build the system without jac" in message and "transposed" not in message


def test_a_right_jac_with_drivers_gives_no_warning():
    assert _warnings_at_inputs(_fhn2_system(_fhn2_jac)) == []


def test_a_transposed_jac_with_drivers_is_named_in_a_solve():
    """The trial's path: a Rosenbrock solve checks the jac at its inputs, with the drivers' values at t0."""
    ts = np.linspace(0.0, 1.0, 11)
    with pytest.warns(kernels.JacobianCheckWarning, match=r"row-major: a transposed J") as caught:
        kernels.solve_ivp(_fhn2_system(_fhn2_jac_colmajor), (0.0, 0.05), FHN_Y0, FHN_P, method="rodas4",
                          precision=np.float64, drivers=(ts, np.full((11, 1), 0.5)), progress=False)
    text = " ".join(str(w.message) for w in caught if issubclass(w.category, kernels.JacobianCheckWarning))
    assert "does not receive the drivers" not in text


def _pendulum(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * np.sin(y[0]) - p[1] * y[1]


def _pendulum_jac_transposed(t, y, p, J):
    J[0] = 0.0
    J[1] = -p[0] * np.cos(y[0])
    J[2] = 1.0
    J[3] = -p[1]


def _pendulum_jac_damping_sign(t, y, p, J):
    J[0] = 0.0
    J[1] = 1.0
    J[2] = -p[0] * np.cos(y[0])
    J[3] = p[1]  # the sign of the damping lost: wrong, and not transposed


def test_a_transposed_jac_without_drivers_is_told_to_swap_its_indices():
    with pytest.warns(kernels.JacobianCheckWarning, match=r"matches the differences here\)\. .* write d f_i / d y_j "
                                                          r"to J\[i \* n \+ j\], where yours writes it to J\[j"):
        ODESystem(_pendulum, 2, 2, name="pendulum", jac=_pendulum_jac_transposed)


def test_a_wrong_jac_that_is_not_transposed_is_not_called_transposed():
    with pytest.warns(kernels.JacobianCheckWarning, match=r"J\[3\] \(d f_1 / d y_1\)") as caught:
        ODESystem(_pendulum, 2, 2, name="pendulum", jac=_pendulum_jac_damping_sign)
    text = " ".join(str(w.message) for w in caught if issubclass(w.category, kernels.JacobianCheckWarning))
    assert "must be d f_i / d y_j (row-major)" in text and "transposed" not in text
