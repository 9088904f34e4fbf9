"""The implicit methods on a real GPU: a Robertson sweep over rate constants against SciPy Radau.

Skipped unless ``kernels.backend() == "cuda"``; run them on the GPU machine.  Each implicit family
(DIRK, Radau IIA, Rosenbrock) integrates 1024 trajectories of Robertson with rate constants over a
decade, the shared-memory canaries survive, placements agree, and a sample of trajectories matches
SciPy's Radau at rtol 1e-10.  (Each implicit kernel takes tens of seconds to compile, so the set is
small: every placement and solver is also checked on the simulator in CI.)
"""

import math

import numpy as np
import pytest
from kernel_helpers import gpu
from scipy.integrate import solve_ivp as scipy_solve_ivp
from stiff_references import kept_and_fresh, switching_runs

import kernels

pytestmark = [pytest.mark.gpu, gpu]

ROBERTSON = kernels.robertson()
N = 1024
RATES = np.column_stack([0.04 * np.logspace(-0.5, 0.5, N), np.full(N, 3e7), 1e4 * np.logspace(0.5, -0.5, N)])
CHECKED = np.arange(0, N, 127)
T_END = 40.0
COMMON = dict(rtol=1e-7, atol=1e-11, precision=np.float64)


def _host(params):
    def f(t, y):
        out = np.zeros(3)
        ROBERTSON.rhs(t, y, params, out)
        return out

    def jac(t, y):
        out = np.zeros(9)
        ROBERTSON.jac(t, y, params, out)
        return out.reshape(3, 3)

    return f, jac


@pytest.fixture(scope="module")
def reference():
    rows = []
    for i in CHECKED:
        f, jac = _host(RATES[i])
        sol = scipy_solve_ivp(f, (0.0, T_END), [1.0, 0.0, 0.0], method="Radau", rtol=1e-10, atol=1e-14, jac=jac)
        rows.append(sol.y[:, -1])
    return np.array(rows)


def _error(y, reference):
    return np.max(np.abs(y - reference) / (1e-4 + np.abs(reference)))


@pytest.mark.parametrize("method", ["kvaerno5", "sdirk4", "radau", "rodas5p", "rodas4"])
def test_robertson_sweep_float64(method, reference):
    result = kernels.solve_ivp(ROBERTSON, (0.0, T_END), [1.0, 0.0, 0.0], RATES, method=method, _canary_elems=5,
                               **COMMON)
    assert result.backend == "cuda" and result.success, np.unique(result.status)
    assert result.canary_intact is True
    assert _error(result.y[CHECKED, -1], reference) < 1e-5


@pytest.mark.parametrize("method", ["kvaerno5", "rodas5p"])
def test_placements_agree(method):
    runs = [kernels.solve_ivp(ROBERTSON, (0.0, T_END), [1.0, 0.0, 0.0], RATES, method=method, plan=plan,
                              _canary_elems=5 if plan == "shared" else 0, **COMMON) for plan in ("local", "shared")]
    assert runs[1].canary_intact is True
    # Different placements compile to different instruction streams (FMA contraction), so on the GPU
    # they agree to rounding: within the run's tolerances, not bit for bit (the simulator is exact).
    np.testing.assert_allclose(runs[1].y, runs[0].y, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("method", ["kvaerno5", "rodas5p"])
def test_robertson_matrix_free_float64(method, reference):
    result = kernels.solve_ivp(ROBERTSON, (0.0, T_END), [1.0, 0.0, 0.0], RATES, method=method, solver="gmres",
                               **COMMON)
    assert result.success, np.unique(result.status)
    assert _error(result.y[CHECKED, -1], reference) < 1e-4


def test_brusselator_float32_agrees_with_float64():
    n = 16
    system = kernels.brusselator(n)
    params = np.column_stack([np.ones(N), np.linspace(2.5, 3.5, N), np.full(N, 1.0 / 50.0)])
    common = dict(method="rodas4", dt=1e-2, t_eval=[1.0], controller="fixed")
    r32 = kernels.solve_ivp(system, (0.0, 1.0), kernels.brusselator_initial(n), params, precision=np.float32,
                            **common)
    r64 = kernels.solve_ivp(system, (0.0, 1.0), kernels.brusselator_initial(n), params, precision=np.float64,
                            **common)
    assert r32.success and r64.success
    assert np.max(np.abs(r32.y - r64.y) / (1.0 + np.abs(r64.y))) < 1e-4


@pytest.mark.parametrize("method", ["radau", "gauss4"])
def test_kept_factors_agree_with_fresh_ones(method):
    """Fixed steps keep the FIRK factors (the default): the Brusselator at 16 states, 1024 parameter sets,
    100 steps, float64, within 1e-9 (relative) of the run that factors at every step."""
    n = 16
    system = kernels.brusselator(n)
    params = np.column_stack([np.ones(N), np.linspace(2.5, 3.5, N), np.full(N, 1.0 / 50.0)])
    runs = kept_and_fresh(system, (0.0, 0.1), kernels.brusselator_initial(n), params, method=method, dt=1e-3,
                          controller="fixed", rtol=1e-8, atol=1e-8, precision=np.float64)
    assert all(r.success for r in runs)
    assert np.max(np.abs(runs[0].y - runs[1].y) / np.abs(runs[1].y)) < 1e-9


@pytest.mark.parametrize("method", ["radau", "gauss4"])
def test_newton_failing_on_a_kept_factor_retries(method):
    """J jumps 2000x at a step boundary: Newton fails on the kept factor, the step factors again and goes on."""
    runs = switching_runs(method)
    assert all(r.success for r in runs), [r.status for r in runs]
    np.testing.assert_allclose(runs[0].y[0, -1], runs[1].y[0, -1], rtol=1e-7, atol=1e-10)


def _forced(t, y, p, u, dydt):
    dydt[0] = y[1]
    dydt[1] = u[0] - p[0] * y[1] - 4.0 * y[0]


def test_kvaerno5_reads_the_drivers_its_step_came_through():
    """kvaerno5's stage at t + 1.23 h reads the segment its step's end lies in (kernels.drivers'
    make_driver_evaluator_before): fixed steps landing on the samples keep order 5 on the GPU, as on the simulator
    (it fell as dt^2 when the stage read across the sample); 1024 damping values, float64."""
    times = np.linspace(0.0, 2.0, 9)
    values = (np.sin(1.3 * times) + 0.5 * np.cos(3.1 * times))[:, None]
    system = kernels.ODESystem(_forced, 2, 1, n_drivers=1, name="forced_gpu")
    damping = np.linspace(0.05, 0.2, N)[:, None]
    finals = [kernels.solve_ivp(system, (0.0, 2.0), [0.0, 0.0], damping, method="kvaerno5", drivers=(times, values),
                                dt=dt, controller="fixed", precision=np.float64).y[:, -1] for dt in (1 / 8, 1 / 16, 1 / 64)]
    finest = finals[2]
    errors = [np.abs(f - finest).max() for f in finals[:2]]
    assert np.log2(errors[0] / errors[1]) > 4.0


def _relaxation(t, y, p, dydt):
    u = 3.0 * math.sin(5.0 * t)
    dydt[0] = -p[0] * (y[0] - u) - y[0] * y[0] * y[0]
    dydt[1] = -p[0] * (y[1] - y[0] * y[0])


@pytest.mark.parametrize("method", ["sdirk4", "kvaerno5"])
def test_fixed_step_stages_taken_up_again_on_a_fresh_matrix(method):
    """A forced relaxation at dt = 0.1 over rates 1e2 to 1e4: stages fail on J(t, y) and are rerun on a matrix at
    their last iterate (kernels.steps.dirk._refresh_lines); every trajectory succeeds and ends where SciPy's Radau
    does, within the fixed step's own error (0.29 at most on the simulator, kvaerno5 at rate 1e2)."""
    system = kernels.ODESystem(_relaxation, 2, 1, name="relaxation_gpu")
    rates = np.logspace(2.0, 4.0, N)[:, None]
    result = kernels.solve_ivp(system, (0.0, 2.0), [0.0, 0.0], rates, method=method, controller="fixed", dt=0.1,
                               precision=np.float64, progress=False)
    assert result.success, [result.message(i) for i in np.flatnonzero(result.status)[:2]]
    for i in (0, N // 2, N - 1):
        k = float(rates[i, 0])
        f = lambda t, y: [-k * (y[0] - 3.0 * math.sin(5.0 * t)) - y[0] ** 3, -k * (y[1] - y[0] ** 2)]  # noqa: E731
        ref = scipy_solve_ivp(f, (0.0, 2.0), [0.0, 0.0], method="Radau", rtol=1e-12, atol=1e-14).y[:, -1]
        assert np.abs(result.y[i, -1] - ref).max() < 0.35
