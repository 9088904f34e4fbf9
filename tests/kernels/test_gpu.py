"""The accuracy and memory checks on a real GPU, with realistic batch sizes.

Skipped unless ``kernels.backend() == "cuda"``; run them on the GPU machine.
"""

import math

import numpy as np
import pytest

import kernels
from kernel_helpers import gpu, lorenz_params, scipy_reference

pytestmark = [pytest.mark.gpu, gpu]

LORENZ = kernels.lorenz()
N = 1024
RHOS = np.linspace(0.0, 28.0, N)
CHECKED = np.arange(0, N, 97)  # trajectories compared with SciPy (each reference costs CPU time)
T_EVAL = np.array([0.0, 0.5, 1.0])


@pytest.fixture(scope="module")
def reference():
    return scipy_reference(LORENZ, (0.0, 1.0), [1.0, 1.0, 1.0], lorenz_params(RHOS[CHECKED]), T_EVAL)


def _rel_err(y, ref):
    return np.max(np.abs(y - ref) / (1.0 + np.abs(ref)))


@pytest.mark.parametrize("method", ["heun", "bs3", "dopri5", "tsit5"])
@pytest.mark.parametrize("plan", ["local", "shared", "auto"])
def test_adaptive_float64(method, plan, reference):
    rtol = {"heun": 1e-6, "bs3": 1e-8}.get(method, 1e-10)
    result = kernels.solve_ivp(LORENZ, (0.0, 1.0), [1.0, 1.0, 1.0], lorenz_params(RHOS), method=method,
                               rtol=rtol, atol=rtol, t_eval=T_EVAL, precision=np.float64, plan=plan,
                               _canary_elems=7)
    assert result.backend == "cuda" and result.success
    assert result.canary_intact is True
    assert _rel_err(result.y[CHECKED], reference) < 100 * rtol


@pytest.mark.parametrize("method, dt, tol", [("euler", 1e-4, 0.1), ("rk4", 1e-3, 1e-6)])
def test_fixed_float64(method, dt, tol, reference):
    result = kernels.solve_ivp(LORENZ, (0.0, 1.0), [1.0, 1.0, 1.0], lorenz_params(RHOS), method=method,
                               dt=dt, t_eval=T_EVAL, precision=np.float64)
    assert result.success and _rel_err(result.y[CHECKED], reference) < tol


@pytest.mark.parametrize("controller", ["i", "pi", "pid"])
def test_controllers_float32(controller, reference):
    result = kernels.solve_ivp(LORENZ, (0.0, 1.0), [1.0, 1.0, 1.0], lorenz_params(RHOS), rtol=1e-5,
                               atol=1e-5, t_eval=T_EVAL, controller=controller)
    assert result.success and _rel_err(result.y[CHECKED], reference) < 2e-3


def test_placements_agree_float64():
    common = dict(method="tsit5", rtol=1e-8, atol=1e-8, t_eval=[0.5], precision=np.float64)
    runs = [kernels.solve_ivp(LORENZ, (0.0, 0.5), [1.0, 1.0, 1.0], lorenz_params(RHOS), plan=plan, **common)
            for plan in ("local", "shared", "auto", "sequential")]
    for other in runs[1:]:
        # Different placements compile to different instruction streams (FMA contraction), so
        # agreement is to rounding, amplified a little by the chaotic flow over t = 0.5.
        np.testing.assert_allclose(other.y, runs[0].y, rtol=1e-9, atol=1e-9)


def test_device_arrays_stay_on_device():
    from numba import cuda

    y0 = cuda.to_device(np.ones((N, 3), dtype=np.float32))
    params = cuda.to_device(lorenz_params(RHOS).astype(np.float32))
    result = kernels.solve_ivp(LORENZ, (0.0, 1.0), y0, params)
    assert isinstance(result.y, cuda.cudadrv.devicearray.DeviceNDArray)
    host = kernels.solve_ivp(LORENZ, (0.0, 1.0), [1.0, 1.0, 1.0], lorenz_params(RHOS))
    np.testing.assert_array_equal(result.y.copy_to_host(), host.y)


def test_repeated_launches_and_a_second_layout_agree():
    """Later launches skip Numba's dispatcher; a differently laid-out input still gets its own kernel."""
    from numba import cuda

    params = lorenz_params(RHOS).astype(np.float32)
    y0 = cuda.to_device(np.ones((N, 3), dtype=np.float32))
    runs = [kernels.solve_ivp(LORENZ, (0.0, 1.0), y0, cuda.to_device(p), t_eval=T_EVAL).y.copy_to_host()
            for p in (params, params, np.asfortranarray(params), np.asfortranarray(params))]
    for y in runs[1:]:
        np.testing.assert_array_equal(y, runs[0])


def test_observables_and_drivers_compile():
    chain = kernels.oscillator_chain(16)
    result = kernels.solve_ivp(chain, (0.0, 2.0), np.linspace(-1.0, 1.0, 32), np.tile([1.0, 0.1], (256, 1)),
                               t_eval=[0.0, 1.0, 2.0], precision=np.float64, rtol=1e-8, atol=1e-8)
    assert result.success and np.all(np.diff(result.observables[:, :, 0], axis=1) < 0)


def test_more_than_48_kib_of_dynamic_shared_memory():
    """A plan above the default 48 KiB per block launches (the kernel opts in) and agrees with local."""
    chain = kernels.oscillator_chain(8)
    y0, params = np.linspace(-1.0, 1.0, 16), np.tile([1.0, 0.1], (256, 1))
    common = dict(t_eval=[1.0], precision=np.float64, rtol=1e-8, atol=1e-8, block_size=64)
    shared = kernels.solve_ivp(chain, (0.0, 1.0), y0, params, plan="shared", _canary_elems=3, **common)
    assert shared.plan.shared_bytes_per_block > 48 * 1024
    assert shared.success and shared.canary_intact is True
    local = kernels.solve_ivp(chain, (0.0, 1.0), y0, params, plan="local", **common)
    np.testing.assert_allclose(shared.y, local.y, rtol=1e-10, atol=1e-12)


def _uncompilable(t, y, p, dydt):
    dydt.__setitem__(0, -y[0])  # runs in Python, but Numba CUDA cannot type it


def test_rhs_that_does_not_compile_is_named():
    """Refused on construction (as everywhere), before any kernel is built."""
    with pytest.raises(kernels.ConfigurationError, match="rhs of system 'broken' does not compile for CUDA"):
        kernels.ODESystem(_uncompilable, 1, name="broken")


@pytest.mark.parametrize("every", [1, 7])
@pytest.mark.parametrize("per", ["run", "save"])
def test_fixed_step_summaries_equal_numpy_on_the_saved_step_points(per, every):
    """RK4 float64 at dt = 0.01: the loop's statistics against NumPy's over the same step points, saved by a run
    that lands on every one (each step then is the same step: agreement to rounding); every=7 samples them."""
    dt, saves = 0.01, [0.3, 0.55, 1.0]
    grid = np.round(np.arange(1, 101) * dt, 12)
    params = lorenz_params(RHOS)
    full = kernels.solve_ivp(LORENZ, (0.0, 1.0), [1.0, 1.0, 1.0], params, method="rk4", dt=dt, t_eval=grid,
                             precision=np.float64)
    stats = ("mean", "min", "max", "rms", "argmax", "final")
    res = kernels.solve_ivp(LORENZ, (0.0, 1.0), [1.0, 1.0, 1.0], params, method="rk4", dt=dt, t_eval=saves,
                            precision=np.float64, save_trajectory=False,
                            summaries=kernels.Summaries(states=[0, 2], stats=stats, per=per, every=every))
    assert full.success and res.success and int(res.n_steps[0]) == 100
    t = np.concatenate([[0.0], grid])
    y = np.concatenate([np.ones((N, 1, 3)), full.y], axis=1)[:, :, [0, 2]]
    ends = [int(round(s / dt)) for s in saves]
    windows = [(0, 100)] if per == "run" else list(zip([0] + ends[:-1], ends))
    for w, (lo, hi) in enumerate(windows):
        keep = [lo] + [i for i in range(lo + 1, hi + 1) if i % every == 0 or i in ends]
        tw, v = t[keep], y[:, keep]
        span = tw[-1] - tw[0]
        trapezoid = (lambda u: np.sum(np.diff(tw)[None, :, None] * (u[:, 1:] + u[:, :-1]) / 2, axis=1) / span)
        expected = {"mean": trapezoid(v), "rms": np.sqrt(trapezoid(v * v)), "min": v.min(1), "max": v.max(1),
                    "argmax": tw[v.argmax(1)], "final": v[:, -1]}
        for stat in stats:
            np.testing.assert_allclose(res.summaries[stat][:, w], expected[stat], rtol=1e-10, atol=1e-10,
                                       err_msg=f"{stat}, window {w}")


def _oscillator(t, y, p, dydt):  # y'' = -p0 y
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[0]


def _falls_below(t, y, p):
    return y[0] - 0.3


def _jumps_below(t, y, p):
    return 1.0 if y[0] > 0.3 else -1.0


@pytest.mark.parametrize("g", [_falls_below, _jumps_below])
@pytest.mark.parametrize("method", ["tsit5", "radau"])
def test_terminal_events_are_located_on_the_gpu(g, method):
    """Events never ran on a GPU before 2026-12-05: y'' = -w^2 y from (1, 0) falls through 0.3 at
    acos(0.3) / w; the refinement on the method's own steps (secant, bisection where g jumps) must
    find it there as on the simulator, and a counting event must count every crossing."""
    w2 = np.linspace(0.5, 2.0, N)
    system = kernels.ODESystem(_oscillator, 2, 1, name="oscillator")
    exact = math.acos(0.3) / np.sqrt(w2)
    result = kernels.solve_ivp(system, (0.0, 10.0), [1.0, 0.0], w2[:, None], method=method, rtol=1e-10,
                               atol=1e-10, precision=np.float64, events=kernels.Event(g, terminal=True))
    assert result.backend == "cuda" and np.all(result.status == kernels.Status.EVENT)
    assert np.max(np.abs(result.event_t - exact)) < 1e-7
    counted = kernels.solve_ivp(system, (0.0, 10.0), [1.0, 0.0], w2[:, None], method=method, rtol=1e-10,
                                atol=1e-10, precision=np.float64, events=kernels.Event(g, direction=-1))
    falls = np.floor((10.0 * np.sqrt(w2) - math.acos(0.3)) / (2.0 * math.pi)) + 1  # y = cos(w t) down through 0.3
    assert counted.success and np.array_equal(counted.event_count[:, 0], falls.astype(int))
