"""Systems a user writes, at several sizes, on a real GPU: explicit and implicit methods against SciPy.

Skipped unless ``kernels.backend() == "cuda"``; run them on the GPU machine.  The other GPU tests use
Lorenz, Robertson and the Brusselator; these take two models written here as a user would (loops over
a run-time index, a hand-written dense ``jac`` and a ``jvp``) at sizes chosen to cross the code
generator's thresholds: straight-line code up to 16 states, the sparse LU, the register cap from 96
states (implicit) and 128 (explicit), and a batch that is not a multiple of the block size.  A sample
of trajectories is compared with SciPy at rtol 1e-12 (explicit, DOP853) or 1e-10 (stiff, Radau on the model written in NumPy).
"""

import math

import numpy as np
import pytest
from kernel_helpers import gpu, reaction_diffusion
from scipy.integrate import solve_ivp as scipy_solve_ivp

import kernels

pytestmark = [pytest.mark.gpu, gpu]

N = 777  # not a multiple of any block size
CHECKED = np.array([0, 250, 511, 776])
BACKEND = "cuda"


def cubic_chain(masses):
    """A chain of masses with linear and cubic springs (FPU beta), damped: ``2 * masses`` states."""
    m = masses

    def rhs(t, y, p, dydt):
        k = p[0]
        beta = p[1]
        for i in range(m):
            left = y[i - 1] if i > 0 else 0.0
            right = y[i + 1] if i < m - 1 else 0.0
            dl = y[i] - left
            dr = right - y[i]
            dydt[i] = y[m + i]
            dydt[m + i] = k * (dr - dl) + beta * (dr * dr * dr - dl * dl * dl) - 0.05 * y[m + i]

    return kernels.ODESystem(rhs, 2 * m, 2, name=f"cubic_chain_{m}")


def _reference(system, t_end, y0, params, method, rtol):
    rows = []
    for i in CHECKED:
        sol = scipy_solve_ivp(system.host_rhs(params[i]), (0.0, t_end), y0, method=method, rtol=rtol,
                              atol=rtol * 1e-2)
        assert sol.success
        rows.append(sol.y[:, -1])
    return np.array(rows)


def _chain_problem(masses):
    system = cubic_chain(masses)
    y0 = np.zeros(2 * masses)
    y0[: masses] = 0.3 * np.sin(math.pi * (np.arange(masses) + 1.0) / (masses + 1.0))
    params = np.column_stack([np.linspace(0.5, 1.5, N), np.linspace(0.0, 2.0, N)])
    return system, y0, params


def _check_run(res):
    """Every trajectory succeeded, on the backend this module is for, and shared memory's canaries held
    (``None`` when the plan used no shared memory)."""
    assert res.backend == BACKEND and res.success
    assert res.canary_intact is not False


def _error(y, ref):
    return float(np.max(np.abs(y - ref) / (1.0 + np.abs(ref))))


@pytest.mark.parametrize("masses", [3, 7, 17, 48, 65])
@pytest.mark.parametrize("method, rtol", [("tsit5", 1e-9), ("dop853", 1e-11), ("vern9", 1e-11)])
def test_cubic_chain_float64(masses, method, rtol):
    system, y0, params = _chain_problem(masses)
    ref = _reference(system, 4.0, y0, params, "DOP853", 1e-12)
    res = kernels.solve_ivp(system, (0.0, 4.0), y0, params, method=method, rtol=rtol, atol=rtol * 1e-2,
                            precision=np.float64, _canary_elems=7)
    _check_run(res)
    assert _error(res.y[CHECKED, -1], ref) < 200 * rtol


@pytest.mark.parametrize("masses", [7, 48, 65])
@pytest.mark.parametrize("plan", ["local", "shared", "auto"])
def test_cubic_chain_fixed_float32(masses, plan):
    system, y0, params = _chain_problem(masses)
    ref = _reference(system, 2.0, y0, params, "DOP853", 1e-12)
    # every buffer shared takes 674 words a thread at 48 masses: block 128's budget (453 in float32) refuses it,
    # block 32's holds it
    block = 32 if plan == "shared" and masses > 7 else None
    res = kernels.solve_ivp(system, (0.0, 2.0), y0, params, method="rk4", dt=5e-3, plan=plan, block_size=block,
                            _canary_elems=7)
    _check_run(res)
    assert _error(res.y[CHECKED, -1], ref) < 2e-5


def _front_reference(n, y0, params, t_end):
    """SciPy Radau at rtol 1e-10 on the model written in NumPy (vectorised: the system's own loops run as Python
    on the host, too slow at 100 states), at the checked trajectories."""
    rows = []
    for i in CHECKED:
        d = params[i, 0] * (n + 1) ** 2
        r = params[i, 1]
        lap = d * (np.diag(np.full(n, -2.0)) + np.diag(np.ones(n - 1), 1) + np.diag(np.ones(n - 1), -1))

        def f(t, y):
            return lap @ y + r * y * y * (1.0 - y)

        def jac(t, y):
            return lap + np.diag(r * (2.0 * y - 3.0 * y * y))

        sol = scipy_solve_ivp(f, (0.0, t_end), y0, method="Radau", rtol=1e-10, atol=1e-12, jac=jac)
        assert sol.success
        rows.append(sol.y[:, -1])
    return np.array(rows)


def _front_problem(n):
    system = reaction_diffusion(n)
    x = (np.arange(n) + 1.0) / (n + 1.0)
    y0 = np.exp(-40.0 * (x - 0.5) ** 2)
    params = np.column_stack([np.linspace(0.005, 0.02, N), np.linspace(5.0, 20.0, N)])
    return system, y0, params


@pytest.mark.parametrize("n", [5, 19, 40, 100])
@pytest.mark.parametrize("method, solver", [("radau", "lu"), ("rodas5p", "lu"), ("kvaerno5", "lu"),
                                            ("rodas5p", "gmres")])
def test_reaction_diffusion_float64(n, method, solver):
    system, y0, params = _front_problem(n)
    ref = _front_reference(n, y0, params, 1.0)
    rtol = 1e-6
    res = kernels.solve_ivp(system, (0.0, 1.0), y0, params, method=method, solver=solver, rtol=rtol, atol=1e-8,
                            precision=np.float64, _canary_elems=7)
    _check_run(res)
    assert _error(res.y[CHECKED, -1], ref) < 50 * rtol


@pytest.mark.parametrize("n, method, solver", [(40, "kvaerno5", "gmres"), (40, "rodas4", "lu"),
                                               (100, "rodas4", "lu"), (19, "sdirk4", "bicgstab")])
def test_reaction_diffusion_float32(n, method, solver):
    system, y0, params = _front_problem(n)
    ref = _front_reference(n, y0, params, 1.0)
    res = kernels.solve_ivp(system, (0.0, 1.0), y0, params, method=method, solver=solver, rtol=1e-4,
                            atol=1e-6, _canary_elems=7)
    _check_run(res)
    assert _error(res.y[CHECKED, -1], ref) < 5e-3
