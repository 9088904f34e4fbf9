"""benchmarks.reference_kernels: the hand-written Lorenz floor integrates Lorenz (simulator, a few trajectories)."""

import numpy as np
import pytest
from numba import cuda
from scipy.integrate import solve_ivp

from benchmarks import reference_kernels as ref
from benchmarks.lorenz_problem import host_lorenz


def test_coefficients_match_the_package_tableaus():
    assert ref.check_against_package_tableaus() == []


@pytest.mark.parametrize("name", ["tsit5_fixed", "rk4_fixed"])
def test_fixed_kernels_match_scipy_with_a_short_last_step(name):
    y0 = np.tile(np.array([1.0, 0.0, 0.0], np.float32), (3, 1))
    params = np.array([[10.0, rho, 8.0 / 3.0] for rho in (0.5, 10.0, 21.0)], np.float32)
    out = cuda.device_array((3, 3), np.float32)
    n_steps = ref.launch_fixed(ref.build(np.float32)[name], cuda.to_device(y0), cuda.to_device(params), 0.0,
                               0.0105, 1e-3, out, block=32)
    assert n_steps == 11  # ten steps of 1e-3 and one of 5e-4
    got = out.copy_to_host()
    for j in range(3):
        exact = solve_ivp(host_lorenz(params[j]), (0.0, 0.0105), y0[j].astype(np.float64), method="DOP853",
                          rtol=1e-12, atol=1e-12).y[:, -1]
        # float32 rounding over 11 steps; the methods' own error at h = 1e-3 is far below it
        np.testing.assert_allclose(got[j], exact, rtol=0, atol=5e-7 * (1.0 + np.abs(exact).max()))
