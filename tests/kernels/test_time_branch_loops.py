"""A switch on t inside loops (kernels.time_branches): a fault window in a swing model's coupling loops, read
through the loop indices and warned of as a pulse in the rhs is (test_time_branches.py), and the values bound in a
branch's arms told apart, so that arms binding the same values record no switch.  Apart from the plain pulses'
tests because the loops' reading is a topic of its own, with its own models."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernel_helpers import span_cuts_match_fresh_readings
from kernels.time_branches import time_switches

# -- a fault window inside coupling loops (a power engineer's trial) ---------------------------------------------------
K_POST = np.array([[0.0, 1.8], [1.8, 0.0]])  # two machines' couplings after the fault is cleared, and during it
K_FAULT = np.array([[0.0, 0.3], [0.3, 0.0]])
ANGLES = np.array([0.3, -0.2])
SWING_P = [0.1, 0.15, 0.02, 0.02, *(K_POST * np.sin(ANGLES[:, None] - ANGLES[None, :])).sum(1), 1.0, 1.0, 1.05]


def _swing_indexed(t, y, p, dydt):  # the fault's couplings read K[i, j] in the loops
    for i in range(2):
        pe = 0.0
        for j in range(2):
            if 1.0 <= t < 1.05:
                k = K_FAULT[i, j]
            else:
                k = K_POST[i, j]
            pe += k * math.sin(y[i] - y[j])
        dydt[i] = y[2 + i]
        dydt[2 + i] = (p[4 + i] - p[2 + i] * y[2 + i] - pe) / p[i]


def _swing_rows(t, y, p, dydt):  # K[i][j]
    for i in range(2):
        pe = 0.0
        for j in range(2):
            if 1.0 <= t < 1.05:
                k = K_FAULT[i][j]
            else:
                k = K_POST[i][j]
            pe += k * math.sin(y[i] - y[j])
        dydt[i] = y[2 + i]
        dydt[2 + i] = (p[4 + i] - p[2 + i] * y[2 + i] - pe) / p[i]


def _swing_scaled(t, y, p, dydt):  # each arm a value not read as a number (a coupling scaled by a param)
    for i in range(2):
        pe = 0.0
        for j in range(2):
            if 1.0 <= t < 1.05:
                k = p[6] * K_FAULT[i, j]
            else:
                k = p[6] * K_POST[i, j]
            pe += k * math.sin(y[i] - y[j])
        dydt[i] = y[2 + i]
        dydt[2 + i] = (p[4 + i] - p[2 + i] * y[2 + i] - pe) / p[i]


def _swing_at_params(t, y, p, dydt):  # the fault's times are params
    for i in range(2):
        pe = 0.0
        for j in range(2):
            if p[7] <= t < p[8]:
                k = K_FAULT[i, j]
            else:
                k = K_POST[i, j]
            pe += k * math.sin(y[i] - y[j])
        dydt[i] = y[2 + i]
        dydt[2 + i] = (p[4 + i] - p[2 + i] * y[2 + i] - pe) / p[i]


def _swing_flag_at_params(t, y, p, dydt):  # the same, as a flag outside the loops
    f = 1.0 if p[7] <= t < p[8] else 0.0
    for i in range(2):
        pe = 0.0
        for j in range(2):
            pe += (f * K_FAULT[i, j] + (1.0 - f) * K_POST[i, j]) * math.sin(y[i] - y[j])
        dydt[i] = y[2 + i]
        dydt[2 + i] = (p[4 + i] - p[2 + i] * y[2 + i] - pe) / p[i]


def _solve_swing(rhs, **options):
    system = kernels.ODESystem(rhs, n_states=4, n_params=9, name=rhs.__name__.strip("_"))
    y0 = [*ANGLES, 0.0, 0.0]  # at equilibrium: only the fault moves it
    return kernels.solve_ivp(system, (0.0, 5.0), y0, [SWING_P] * 2, method="tsit5", rtol=1e-8, atol=1e-10,
                             precision=np.float64, progress=False, **options)


@pytest.mark.parametrize("rhs", [_swing_indexed, _swing_rows, _swing_scaled])
def test_a_fault_window_inside_coupling_loops_warns(rhs):
    """``if 1.0 <= t < 1.05: k = KFAULT[i, j] else: k = KPOST[i, j]`` in a swing model's coupling loops: both arms
    were read as one unknown value, no switch was recorded, and tsit5 stepped over the fault in 12 steps, ending at
    the start state with success and no word.  K[i, j] and K[i][j] at unrolled loop indices are read as numbers, and
    two values not read as numbers from different sources count as different (the arms of _swing_scaled)."""
    with pytest.warns(kernels.SamplingWarning, match=(
            r"switches on t at line \d+ of test_time_branch_loops\.py \(if 1\.0 <= t < 1\.05:\): it changes at t = 1 "
            r"and again at t = 1\.05, a window 0\.05 long with no save time in it")) as record:
        result = _solve_swing(rhs)
    assert sum(issubclass(w.category, kernels.SamplingWarning) for w in record) == 1
    assert result.success and np.abs(result.y[:, -1, :2] - ANGLES).max() == 0.0  # what it is about: the fault missed
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        seen = _solve_swing(rhs, t_eval=[1.0, 1.05, 5.0])
    assert np.abs(seen.y[:, -1, :2] - ANGLES).max() > 1e-3


@pytest.mark.parametrize("rhs", [_swing_at_params, _swing_flag_at_params])
def test_a_fault_window_at_params_inside_loops_is_worded_as_outside_them(rhs):
    """``if p[7] <= t < p[8]:`` in the loops drew no warning at all (the trial's row with a 0.05 fault took 12 steps
    against 250 for the others); it now says, as the flag outside the loops does, that its times could not be read,
    unless dt_max is finite."""
    with pytest.warns(kernels.SamplingWarning, match=r"switches on t at line \d+ of test_time_branch_loops\.py \(.*"
                                                     r"p\[7\] <= t < p\[8\].*\), at times this check could not read"):
        _solve_swing(rhs)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        _solve_swing(rhs, dt_max=0.01)


def _same_in_both_arms(t, y, p, dydt):  # each arm binds the same values: no switch
    n = int(p[0])
    for i in range(2):
        if 1.0 <= t < 1.05:
            g = p[i] * y[i]
            k = K_FAULT[0, 0]
            s = 0.0
            for j in range(n):
                s += y[j]
        else:
            g = p[i] * y[i]
            k = K_POST[0, 0]
            s = 0.0
            for j in range(n):
                s += y[j]
        dydt[i] = -g + k + s


def _different_loops_in_the_arms(t, y, p, dydt):
    n = int(p[0])
    s = 0.0
    if 1.0 <= t < 1.05:
        for j in range(n):
            s += y[j]
    else:
        for j in range(n):
            s -= y[j]
    dydt[0] = s


def test_arms_that_bind_the_same_value_record_no_switch_and_different_ones_do():
    """Two values not read as numbers are the same only for the same source reading the same locals: the same
    product, equal elements, the same loop in both arms record no switch; loops that differ do."""
    assert time_switches(_same_in_both_arms, (0.0, 5.0)) == []
    assert [times.tolist() for times, _, _ in time_switches(_different_loops_in_the_arms, (0.0, 5.0))] == [[1.0, 1.05]]
    found = time_switches(_swing_indexed, (0.0, 5.0))
    assert [(times.tolist(), unknown) for times, unknown, _ in found] == [([1.0, 1.05], 0)] * 2


@pytest.mark.parametrize("rhs", [_swing_indexed, _swing_scaled, _swing_at_params, _different_loops_in_the_arms])
def test_a_fault_windows_span_cut_from_a_wide_reading_is_what_a_fresh_reading_gives(rhs):
    span_cuts_match_fresh_readings(rhs)


def _scaled_pulse(t, y, p, dydt):  # a stimulus amplitude per trajectory (an f-I curve sweeps it from 0)
    istim = p[0] if (t >= 1010.0 and t < 1012.0) else 0.0
    dydt[0] = -(y[0] + 85.0) / 20.0 + istim


SCALED = kernels.ODESystem(_scaled_pulse, n_states=1, n_params=1, name="scaled_pulse")


@pytest.mark.parametrize("amplitudes", [[0.0, 10.0, 25.0], [25.0, 10.0, 0.0], [0.0, 0.0, 0.0, 0.0, 25.0]])
def test_a_pulse_whose_amplitude_is_swept_from_zero_warns_in_any_row_order(amplitudes):
    """The rhs's jump at a window's edges is checked at a few rows, not the first alone: an f-I sweep whose first
    amplitude is 0 has no pulse in that row, and radau stepped over it in every other row with success and no word
    (a neuroscientist's trial; the reversed order warned)."""
    with pytest.warns(kernels.SamplingWarning, match=r"switches on t at line \d+ of test_time_branch_loops\.py"):
        result = kernels.solve_ivp(SCALED, (0.0, 1100.0), [-85.0], np.array(amplitudes)[:, None], method="tsit5",
                                   rtol=1e-6, atol=1e-6, precision=np.float64, progress=False)
    assert np.all(result.status == 0)


def test_a_sweep_that_is_zero_in_every_row_stays_quiet():
    """No row jumps at the window's edges (every amplitude 0): nothing to warn of."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        kernels.solve_ivp(SCALED, (0.0, 1100.0), [-85.0], np.zeros((3, 1)), method="tsit5", rtol=1e-6, atol=1e-6,
                          precision=np.float64, progress=False)
