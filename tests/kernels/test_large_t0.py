"""A large t0 (an epoch time stamp): the steps integrate the span the time advances by, as in SciPy."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernels import Status


def _decay(t, y, p, dydt):  # autonomous: the exact solution depends on t - t0 only
    dydt[0] = -p[0] * y[0]
    dydt[1] = p[0] * y[0] - p[1] * y[1]


DECAY = kernels.ODESystem(_decay, 2, n_params=2, name="decay_chain", default_params=(1.0, 0.5))
K1, K2 = 1.0, 0.5


def _exact(elapsed):
    a = np.exp(-K1 * elapsed)
    return np.array([a, K1 / (K2 - K1) * (a - np.exp(-K2 * elapsed))])


def _err_over_tol(y, elapsed, rtol, atol):
    ref = _exact(elapsed)
    return float(np.max(np.abs(y - ref) / (atol + rtol * np.abs(ref))))


@pytest.mark.parametrize("t0", [1e9, 1e11])
def test_dopri5_at_a_large_t0_ends_within_the_tolerance(t0):
    """The time advanced t + dt rounded while the step integrated dt: 8 tolerances off at 1e9, 3150 at 1e11."""
    rtol, atol = 1e-8, 1e-10
    res = kernels.solve_ivp(DECAY, (t0, t0 + 1.0), [1.0, 0.0], method="dopri5", rtol=rtol, atol=atol,
                            precision=np.float64)
    at_zero = kernels.solve_ivp(DECAY, (0.0, 1.0), [1.0, 0.0], method="dopri5", rtol=rtol, atol=atol,
                                precision=np.float64)
    assert res.success
    assert _err_over_tol(res.y[0, -1], 1.0, rtol, atol) <= 3.0
    assert int(res.n_steps[0]) <= int(at_zero.n_steps[0]) + 2


@pytest.mark.parametrize("t0", [1e9, 1e11])
def test_fixed_steps_at_a_large_t0_integrate_the_whole_interval(t0):
    """RK4 at dt 0.01 with saves: each interval's last step completes it (its start time is rounded at 1e11)."""
    t_eval = t0 + np.array([0.25, 0.5, 1.0])
    res = kernels.solve_ivp(DECAY, (t0, t0 + 1.0), [1.0, 0.0], method="rk4", dt=0.01, t_eval=t_eval,
                            precision=np.float64)
    assert res.success
    for j, elapsed in enumerate((0.25, 0.5, 1.0)):
        np.testing.assert_allclose(res.y[0, j], _exact(elapsed), atol=5e-10)


def test_a_span_below_the_time_resolution_stops_at_once_with_underflow():
    """t0 = 1e15 and a span of 1 (8 representable times): SciPy's 'step size less than spacing', not max_steps."""
    res = kernels.solve_ivp(DECAY, (1e15, 1e15 + 1.0), [1.0, 0.0], method="dopri5", rtol=1e-8, atol=1e-10,
                            precision=np.float64, max_steps=1000)
    assert int(res.status[0]) == Status.STEP_SIZE_UNDERFLOW
    assert int(res.n_steps[0]) + int(res.n_rejected[0]) <= 5
    assert "float64 time" in res.message(0)


def _driven(t, y, p, dydt):  # reads t: y(t) = (sin(w t) - sin(w t0)) / w
    dydt[0] = math.cos(p[0] * t)


@pytest.mark.parametrize("t0", [0.0, 1e4])
def test_float32_rhs_reads_the_time_in_float64_at_a_large_t0(t0):
    """``p[0] * t`` with ``p`` float32 is float64 on the GPU (Numba's typing); on the simulator a Python float
    time made it float32 (NumPy 2), and tsit5 ended 16 tolerances off from t0 = 1e4 (a user's trial)."""
    w, rtol = 3.0, 1e-5
    system = kernels.ODESystem(_driven, 1, n_params=1, name="driven_quadrature")
    res = kernels.solve_ivp(system, (t0, t0 + 3.0), [0.0], [w], method="tsit5", rtol=rtol, atol=rtol,
                            precision=np.float32)
    exact = (math.sin(w * (t0 + 3.0)) - math.sin(w * t0)) / w
    assert res.success
    assert abs(float(res.y[0, -1, 0]) - exact) <= rtol * (1.0 + abs(exact))
    assert int(res.n_steps[0]) <= 40  # 28 to 30 at either t0; 304 on the simulator before


def _slow_decay(t, y, p, dydt):
    dydt[0] = -0.001 * y[0]


def _switch_at(t, y, p):
    return t - p[0]


def _below_half(t, y, p):
    return y[0] - 0.5


def test_an_event_time_held_in_float32_far_from_t_zero_warns():
    """A switching time t - p[0] with p[0] = 738365.33 days: float32 holds 738365.3125, the event fired 0.0175 days
    early with success; warned now, and not for a state threshold or in float64."""
    system = kernels.ODESystem(_slow_decay, 1, 1, name="slow_decay")
    t0 = 738000.0
    common = dict(rtol=1e-5, atol=1e-8, progress=False)
    with pytest.warns(kernels.ToleranceWarning, match=r"events\[0\]: t reaches 7.39e\+05 .*move trajectory 0's event "
                                                      r"by about 0.017 in t"):
        kernels.solve_ivp(system, (t0, t0 + 730.0), [1.0], [[t0 + 365.33]], precision=np.float32,
                          events=kernels.Event(_switch_at, terminal=True), **common)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ToleranceWarning)
        kernels.solve_ivp(system, (t0, t0 + 730.0), [1.0], [[t0 + 365.33]], precision=np.float64,
                          events=kernels.Event(_switch_at, terminal=True), **common)
        kernels.solve_ivp(system, (t0, t0 + 730.0), [1.0], [[t0 + 365.33]], precision=np.float32,
                          events=kernels.Event(_below_half), **common)


def _lagged_absorption(t, y, p, dydt):
    dydt[0] = -2.0 * y[0] if t >= p[0] else 0.0 * y[0]


def test_a_switching_time_held_in_float32_far_from_t_zero_warns():
    """A pharmacometrician's trial: a lag time at T0 + 0.37 h past an epoch of 52560 h, held in float32 as
    T0 + 0.37109, put a PK run 160 to 955 tolerances off with success and no warning (the far-time check looked at
    t0, mid-span and t_end only, where both sides of the switch agree)."""
    system = kernels.ODESystem(_lagged_absorption, 1, 1, name="lagged")
    with pytest.warns(kernels.ToleranceWarning, match=r"t reaches 5.26e\+04 in this float32 run"):
        kernels.solve_ivp(system, (52560.0, 52561.0), [1.0], [52560.37], method="tsit5", rtol=1e-5, atol=1e-6,
                          progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ToleranceWarning)  # the same switch held exactly: nothing to say
        kernels.solve_ivp(system, (52560.0, 52561.0), [1.0], [52560.375], method="tsit5", rtol=1e-5, atol=1e-6,
                          progress=False)


def _infusion_with_small_lag(t, y, p, dydt):
    dydt[0] = 10.0 + (0.01 if t >= p[0] else 0.0) - 0.1 * y[0]


def test_a_switch_whose_rounding_window_changes_little_does_not_warn():
    """A regression hunt: 0.01 mg/h switched on beside an infusion of 10, its time moved 0.0011 h by float32, was
    judged over the whole 24 h span (240 tolerances) where the run ended 0.61 off as float64 did."""
    system = kernels.ODESystem(_infusion_with_small_lag, 1, 1, name="small_lag")
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ToleranceWarning)
        kernels.solve_ivp(system, (52560.0, 52561.0), [1.0], [52560.37], method="tsit5", rtol=1e-5, atol=1e-6,
                          progress=False)
