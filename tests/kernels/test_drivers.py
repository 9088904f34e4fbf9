"""The drivers' evaluator: linear between samples, the end segments' lines continued outside them."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import cuda

import kernels
from kernels.drivers import make_driver_evaluator

TIMES = np.array([0.0, 0.5, 2.0, 3.0])
VALUES = np.array([[1.0, 0.0], [2.0, -1.0], [0.5, 4.0], [0.5, 5.0]])


def _evaluate(ts):
    evaluate = make_driver_evaluator(2)

    @cuda.jit
    def run(ts, times, values, out):
        i = cuda.grid(1)
        if i < ts.shape[0]:
            evaluate(ts[i], times, values, out[i])

    out = np.zeros((len(ts), 2))
    run[1, len(ts)](np.asarray(ts, float), TIMES, VALUES, out)
    return out


def _line(t, lo, hi):
    w = (t - TIMES[lo]) / (TIMES[hi] - TIMES[lo])
    return VALUES[lo] + w * (VALUES[hi] - VALUES[lo])


@settings(max_examples=10, deadline=None)
@given(ts=st.lists(st.floats(-1.0, 4.0, allow_nan=False), min_size=1, max_size=8))
def test_drivers_are_the_piecewise_line_continued_past_the_samples(ts):
    got = _evaluate(ts)
    for t, row in zip(ts, got):
        seg = int(np.clip(np.searchsorted(TIMES, t, side="right") - 1, 0, len(TIMES) - 2))
        np.testing.assert_allclose(row, _line(t, seg, seg + 1), rtol=1e-12, atol=1e-12)


def test_samples_are_met_exactly():
    np.testing.assert_array_equal(_evaluate(TIMES), VALUES)


@pytest.mark.parametrize("t, want", [(3.5, [0.5, 5.5]), (-0.25, [0.5, 0.5])])
def test_past_the_ends(t, want):
    np.testing.assert_allclose(_evaluate([t])[0], want, rtol=1e-12)


def _driven_rc(t, y, p, u, dydt):
    dydt[0] = (u[0] - y[0]) / p[0]
    dydt[1] = y[0] - y[1]


def _wrong_rc_jac(t, y, p, J):
    J[0] = -1.0 / p[0]
    J[1] = 0.0
    J[2] = 1.0
    J[3] = 1.0 / p[0]  # should be -1


def test_a_wrong_jac_of_a_system_with_drivers_is_warned_at_the_solve():
    """The construction check skips systems with drivers, and so did the solve's: an RLC circuit's jac with one wrong
    entry ran 14 times the steps to 52 tolerances off with no word (a user's trial)."""
    system = kernels.ODESystem(_driven_rc, 2, 1, n_drivers=1, jac=_wrong_rc_jac, name="driven_rc")
    drivers = (np.array([0.0, 1.0]), np.array([[1.0], [1.0]]))
    with pytest.warns(kernels.JacobianCheckWarning, match=r"J\[3\] \(d f_1 / d y_1\)"):
        kernels.solve_ivp(system, (0.0, 0.1), [0.0, 0.0], [[0.5]], method="rodas4", drivers=drivers, progress=False)


def _rc_filter(t, y, p, u, dydt):
    dydt[0] = (u[0] - y[0]) / p[0]


def test_a_fixed_step_longer_than_the_drivers_sample_gaps_warns():
    """An RC filter driven by a 2 ms square wave (samples every millisecond) at dt 1.5 ms ended with the wrong sign,
    2.6e5 tolerances off with success (a user's trial); at dt 1 ms, no word."""
    system = kernels.ODESystem(_rc_filter, 1, 1, n_drivers=1, name="rc_filter")
    times = np.arange(0.0, 0.0105, 0.001)
    drivers = (times, np.where(np.arange(times.size) % 2 == 0, 1.0, -1.0)[:, None])
    args = dict(method="rk4", drivers=drivers, precision=np.float64, progress=False)
    with pytest.warns(kernels.SamplingWarning, match=r"dt = 0.0015 is longer than the widest gap .*\(0.001\)"):
        kernels.solve_ivp(system, (0.0, 0.009), [0.0], [[1e-3]], dt=1.5e-3, **args)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        kernels.solve_ivp(system, (0.0, 0.009), [0.0], [[1e-3]], dt=1e-3, **args)
        # a gap equal to dt but for rounding, and a ramp (samples on one line), skip nothing (a regression hunt)
        late = (np.linspace(10.0, 10.04, 5), np.array([[1.0], [-1.0], [1.0], [-1.0], [1.0]]))
        kernels.solve_ivp(system, (10.0, 10.04), [0.0], [[1e-3]], dt=0.01, **{**args, "drivers": late})
        ramp = (np.linspace(0.0, 1.0, 101), np.linspace(0.0, 2.0, 101)[:, None])
        kernels.solve_ivp(system, (0.0, 1.0), [0.0], [[1e-3]], dt=0.05, **{**args, "drivers": ramp})
