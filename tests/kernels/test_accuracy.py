"""Accuracy against SciPy's DOP853 (rtol = atol = 1e-12), per method, controller and placement.

Batches are tiny (the simulator runs a Python thread per trajectory).  Stated
tolerances: adaptive runs agree with the reference to 30x their rtol (global
error of a locally controlled method over a short horizon; 50x for bs3, whose pair SciPy's RK23 misses by 39x); fixed-step runs to
the method's known error at that step; placements agree to rounding.
"""

import numpy as np
import pytest
from numba import cuda

import kernels
from kernel_helpers import lorenz_params, scipy_reference

LORENZ = kernels.lorenz()
VDP = kernels.van_der_pol()
RHOS = [0.5, 15.0, 28.0]
T_EVAL = np.array([0.0, 0.2, 0.5])


@pytest.fixture(scope="module")
def lorenz_reference():
    return scipy_reference(LORENZ, (0.0, 0.5), [1.0, 1.0, 1.0], lorenz_params(RHOS), T_EVAL)


def _rel_err(y, ref):
    return np.max(np.abs(y - ref) / (1.0 + np.abs(ref)))


# bs3 is SciPy's RK23 pair, whose own error here at rtol 1e-7 is 39 times rtol: 50 for it.
@pytest.mark.parametrize("method, rtol, factor", [("heun", 1e-5, 30), ("bs3", 1e-7, 50), ("dopri5", 1e-9, 30),
                                                  ("tsit5", 1e-9, 30), ("dop853", 1e-10, 30), ("vern7", 1e-10, 30),
                                                  ("vern9", 1e-10, 30)])
def test_adaptive_methods(method, rtol, factor, lorenz_reference):
    result = kernels.solve_ivp(LORENZ, (0.0, 0.5), [1.0, 1.0, 1.0], lorenz_params(RHOS), method=method,
                               rtol=rtol, atol=rtol, t_eval=T_EVAL, precision=np.float64)
    assert result.success, result.status
    np.testing.assert_array_equal(result.t, T_EVAL)
    assert _rel_err(result.y, lorenz_reference) < factor * rtol
    assert np.all(result.n_steps > 0)


# Lorenz at rho = 28 stretches errors fast: tolerances are about 3x the error each method
# makes at that step (its order is checked separately by test_convergence.py).
@pytest.mark.parametrize("method, dt, tol", [("euler", 1e-3, 0.3), ("heun", 5e-3, 3e-2), ("rk4", 1e-2, 5e-4),
                                             ("bs3", 1e-2, 1.5e-2), ("dopri5", 2.5e-2, 5e-5),
                                             ("tsit5", 2.5e-2, 2.5e-4)])
def test_fixed_step(method, dt, tol, lorenz_reference):
    result = kernels.solve_ivp(LORENZ, (0.0, 0.5), [1.0, 1.0, 1.0], lorenz_params(RHOS), method=method,
                               dt=dt, controller="fixed", t_eval=T_EVAL, precision=np.float64)
    assert result.success
    assert _rel_err(result.y, lorenz_reference) < tol
    assert np.all(result.n_steps == round(0.5 / dt)) and np.all(result.n_rejected == 0)


@pytest.mark.parametrize("controller", ["i", "pi", "pid", kernels.ControllerSettings("pi", norm="max")])
def test_controllers(controller):
    params = np.array([[0.5], [2.0]])
    t_eval = np.array([1.0, 3.0])
    ref = scipy_reference(VDP, (0.0, 3.0), [2.0, 0.0], params, t_eval)
    result = kernels.solve_ivp(VDP, (0.0, 3.0), [2.0, 0.0], params, method="tsit5", rtol=1e-8, atol=1e-8,
                               t_eval=t_eval, controller=controller, precision=np.float64)
    assert result.success
    assert _rel_err(result.y, ref) < 30 * 1e-8


def test_rejected_steps_are_counted():
    """A large first step on a fast start is rejected, then the run recovers."""
    result = kernels.solve_ivp(VDP, (0.0, 1.0), [2.0, 0.0], [5.0], method="bs3", dt=0.9, rtol=1e-6,
                               atol=1e-6, precision=np.float64)
    assert result.success and result.n_rejected[0] >= 1


@pytest.mark.parametrize("plan", ["local", "shared", "auto", "sequential"])
def test_placements_agree(plan, lorenz_reference):
    """Every placement gives the same numbers (to rounding) as the greedy plan."""
    common = dict(method="tsit5", rtol=1e-8, atol=1e-8, t_eval=T_EVAL, precision=np.float64)
    base = kernels.solve_ivp(LORENZ, (0.0, 0.5), [1.0, 1.0, 1.0], lorenz_params(RHOS), plan="greedy", **common)
    other = kernels.solve_ivp(LORENZ, (0.0, 0.5), [1.0, 1.0, 1.0], lorenz_params(RHOS), plan=plan, **common)
    np.testing.assert_allclose(other.y, base.y, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(other.n_steps, base.n_steps)
    assert other.plan.provenance.planner == {"auto": "cpsat", "local": "greedy", "shared": "greedy"}.get(plan, plan)


def test_float32(lorenz_reference):
    result = kernels.solve_ivp(LORENZ, (0.0, 0.5), [1.0, 1.0, 1.0], lorenz_params(RHOS), rtol=1e-5, atol=1e-5,
                               t_eval=T_EVAL)
    assert result.y.dtype == np.float32 and result.success
    assert _rel_err(result.y, lorenz_reference) < 1e-3


def test_initial_save_and_exact_times():
    result = kernels.solve_ivp(VDP, (0.0, 1.0), [[2.0, 0.0], [1.0, 1.0]], [1.0], t_eval=[0.0, 0.3, 1.0],
                               precision=np.float64)
    np.testing.assert_array_equal(result.y[:, 0], [[2.0, 0.0], [1.0, 1.0]])
    np.testing.assert_array_equal(result.t, [0.0, 0.3, 1.0])
    assert result.y.shape == (2, 3, 2) and result.observables.shape == (2, 3, 0)


def test_default_saves_final_state_only():
    result = kernels.solve_ivp(VDP, (0.0, 0.5), [2.0, 0.0], precision=np.float64)
    assert result.y.shape == (1, 1, 2)
    np.testing.assert_array_equal(result.t, [0.5])


def test_observables_energy():
    chain = kernels.oscillator_chain(3)
    y0 = np.array([0.5, 0.0, -0.5, 0.0, 0.0, 0.0])
    params = np.array([[1.0, 0.2], [1.0, 0.0]])
    result = kernels.solve_ivp(chain, (0.0, 2.0), y0, params, t_eval=[0.0, 1.0, 2.0], rtol=1e-9, atol=1e-9,
                               precision=np.float64)
    energy = result.observables[:, :, 0]
    assert np.all(np.diff(energy[0]) < 0)                                  # damped: decays
    np.testing.assert_allclose(energy[1], energy[1, 0], rtol=1e-7)         # undamped: conserved
    y, k = result.y, params[:, :1]
    n = 3
    springs = (y[:, :, 0] ** 2 + y[:, :, n - 1] ** 2 + np.sum(np.diff(y[:, :, :n], axis=2) ** 2, axis=2))
    host = 0.5 * k * springs + 0.5 * np.sum(y[:, :, n:] ** 2, axis=2)
    np.testing.assert_allclose(energy, host, rtol=1e-12)


def test_drivers_interpolated_linearly():
    def forced(t, y, p, u, dydt):
        dydt[0] = -p[0] * y[0] + u[0]

    system = kernels.ODESystem(forced, 1, n_params=1, n_drivers=1, name="forced")
    times = np.linspace(0.0, 2.0, 21)
    values = np.sin(3.0 * times)[:, None]
    params = np.array([[1.0], [3.0]])

    def u(t):
        return np.array([np.interp(t, times, values[:, 0])])

    ref = scipy_reference(system, (0.0, 2.0), [1.0], params, times, drivers=u)
    # Saving at the sample times makes every step end on a kink of the interpolant.
    result = kernels.solve_ivp(system, (0.0, 2.0), [1.0], params, t_eval=times, drivers=(times, values),
                               rtol=1e-9, atol=1e-9, precision=np.float64)
    assert result.success
    np.testing.assert_allclose(result.y, ref, atol=1e-7)


def test_strided_views_as_t_eval_and_driver_times_give_the_contiguous_results():
    def forced(t, y, p, u, dydt):
        dydt[0] = -y[0] + u[0]

    system = kernels.ODESystem(forced, 1, n_drivers=1, name="forced")
    grid = np.linspace(0.0, 2.0, 41)
    table = np.column_stack([grid, np.sin(grid)])  # times and values as columns of one table: both strided
    strided = kernels.solve_ivp(system, (0.0, 2.0), [0.0], t_eval=grid[::4], drivers=(table[::2, 0], table[::2, 1:]),
                                precision=np.float64)
    copied = kernels.solve_ivp(system, (0.0, 2.0), [0.0], t_eval=grid[::4].copy(),
                               drivers=(table[::2, 0].copy(), table[::2, 1:].copy()), precision=np.float64)
    assert strided.success
    np.testing.assert_array_equal(strided.y, copied.y)


def test_device_arrays_in_and_out():
    y0 = cuda.to_device(np.tile(np.array([1.0, 1.0, 1.0]), (2, 1)))
    params = cuda.to_device(lorenz_params([5.0, 10.0]))
    result = kernels.solve_ivp(LORENZ, (0.0, 0.2), y0, params, precision=np.float64)
    assert not isinstance(result.y, np.ndarray) and not isinstance(result.status, np.ndarray)
    host = kernels.solve_ivp(LORENZ, (0.0, 0.2), [1.0, 1.0, 1.0], lorenz_params([5.0, 10.0]),
                             precision=np.float64)
    np.testing.assert_array_equal(result.y.copy_to_host(), host.y)
    assert result.success


def test_device_array_of_wrong_dtype():
    y0 = cuda.to_device(np.ones((2, 3), dtype=np.float64))
    with pytest.raises(kernels.ConfigurationError, match="y0 on the device must have dtype float32"):
        kernels.solve_ivp(LORENZ, (0.0, 0.2), y0, lorenz_params([5.0, 10.0]))
