"""The increment of a differenced Jacobian column (``jacobian_assembly.perturbation_lines``).

A state far below ``atol / rtol`` is moved by ``sqrt(eps) * atol`` where ``rtol < sqrt(eps)`` (float32 at
ordinary tolerances), not ``sqrt(eps) * atol / rtol``: at ``rtol = atol = 1e-5`` that was 3.5e-4 for Robertson's
``y2 ~ 1e-5``, whose ``k3 y2^2`` column then came out 18 times too steep.  Measured on the simulator before:
radau 71381 steps (33 with the analytic jac), rodas5p NaN after 160, kvaerno5 245 tolerances off.
"""

import numpy as np
import pytest
from stiff_references import reference

import kernels
from kernels.systems import ODESystem


def differenced(system):
    """``system`` from its rhs alone: every implicit method differences ``J`` in the kernel."""
    return ODESystem(system.rhs, system.n_states, system.n_params, name=system.name + "_fd",
                     default_params=system.default_params)


@pytest.mark.parametrize("method", ["radau", "rodas5p", "kvaerno5"])
def test_float32_robertson_without_jac_takes_the_analytic_jacobians_steps(method):
    rob = kernels.robertson()
    tol = 1e-5
    runs = [kernels.solve_ivp(system, (0.0, 40.0), [1.0, 0.0, 0.0], [rob.default_params], method=method, rtol=tol,
                              atol=tol, precision=np.float32, max_steps=400, progress=False)
            for system in (rob, differenced(rob))]
    analytic, fd = runs
    assert analytic.success and fd.success
    assert fd.n_steps[0] <= 2 * analytic.n_steps[0]
    ref = reference("robertson", 40.0)[-1]
    assert np.max(np.abs(fd.y[0, -1] - ref) / (tol + tol * np.abs(ref))) < 5.0


def test_float64_increment_is_unchanged_at_ordinary_tolerances():
    # rtol >= sqrt(eps): the floor stays atol / rtol, so the generated column is the one of before
    from kernels.solvers.jacobian_assembly import perturbation_lines

    lines = perturbation_lines(0)
    assert "fl = (tolerances[0] / tolerances[N + 0] if tolerances[N + 0] >= SQRT_EPS else tolerances[0])" in lines[2]
    rob = differenced(kernels.robertson())
    result = kernels.solve_ivp(rob, (0.0, 40.0), [1.0, 0.0, 0.0], [rob.default_params], method="rodas5p",
                               rtol=1e-6, atol=1e-10, precision=np.float64, progress=False)
    ref = reference("robertson", 40.0)[-1]
    assert result.success
    assert np.max(np.abs(result.y[0, -1] - ref) / (1e-10 + 1e-6 * np.abs(ref))) < 5.0
