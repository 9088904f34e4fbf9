"""A fixed step that passes over a short switch of the drivers (a ramp shorter than dt, its ends off the step grid)
draws a SamplingWarning; the grid restarts at each save time, and drivers without such switches draw none."""

import warnings

import numpy as np
import pytest
from scipy.integrate import solve_ivp as scipy_solve_ivp

import kernels
from kernels.driver_switches import hidden_switches

# 0.6-h infusions of 100 mg/h at 0 and 12 h, each edge a 1e-3-h ramp (the README's form for a switch)
RAMP, LENGTH = 1e-3, 0.6
TIMES = np.array([0.0, RAMP, LENGTH, LENGTH + RAMP, 12.0, 12.0 + RAMP, 12.0 + LENGTH, 12.0 + LENGTH + RAMP, 24.0])
RATES = np.array([0.0, 100.0, 100.0, 0.0, 0.0, 100.0, 100.0, 0.0, 0.0])
PARAMS = np.array([[2.0, 10.0, 1.0, 50.0]])  # CL, V1, Q, V2: a two-compartment model, fastest mode about 0.3 /h


def _two_compartment(t, y, p, u, dydt):
    dydt[0] = u[0] - (p[0] + p[2]) / p[1] * y[0] + p[2] / p[3] * y[1]
    dydt[1] = p[2] / p[1] * y[0] - p[2] / p[3] * y[1]


def _infusion_solve(t_eval, dt=0.25):
    system = kernels.ODESystem(_two_compartment, n_states=2, n_params=4, n_drivers=1, name="pk_fixed_ramps")
    return kernels.solve_ivp(system, (0.0, 24.0), [0.0, 0.0], PARAMS, method="rk4", controller="fixed", dt=dt,
                             drivers=(TIMES, RATES[:, None]), t_eval=t_eval, precision=np.float64, progress=False)


def _reference_at_24():
    """The amounts at 24 h by SciPy's DOP853, one sample segment at a time (the forcing is linear in each)."""
    p, y = PARAMS[0], np.zeros(2)

    def rhs(t, y):
        dydt = np.empty(2)
        _two_compartment(t, y, p, [np.interp(t, TIMES, RATES)], dydt)
        return dydt

    for a, b in zip(TIMES[:-1], TIMES[1:]):
        y = scipy_solve_ivp(rhs, (a, b), y, method="DOP853", rtol=1e-12, atol=1e-12).y[:, -1]
    return y


def test_a_fixed_step_passing_over_a_short_ramp_warns_once():
    """rk4 at dt 0.25 over the infusions, saves at 12 and 24 h: the total drug ended 16.7 % off with success and no
    word (a pharmacometrician's trial; the check compared dt with the widest sample gap only)."""
    with pytest.warns(kernels.SamplingWarning, match=r"drivers: column 0 changes by 100 between t = 0 and 0\.001, a "
                                                     r"segment 0\.001 long.*shorter than dt = 0\.25, with an end no "
                                                     r"fixed step lands on; 4 such segments in all: a fixed step "
                                                     r"passes over it.*Put both ends of every such segment in t_eval"
                                                     r".*np\.union1d\(t_eval, times\).*or take dt at most the "
                                                     r"segment's length \(0\.001\)") as record:
        result = _infusion_solve([12.0, 24.0])
    assert sum(issubclass(w.category, kernels.SamplingWarning) for w in record) == 1
    assert abs(result.y[0, -1].sum() / _reference_at_24().sum() - 1.0) > 0.05  # what the warning is about


def test_with_the_ramp_times_saved_a_fixed_step_is_silent_and_right():
    """The remedy the warning names: the ramp ends in t_eval, where fixed steps land; the run is then right."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        result = _infusion_solve(np.union1d([12.0, 24.0], TIMES))
    np.testing.assert_allclose(result.y[0, -1], _reference_at_24(), rtol=1e-6)


def test_only_a_switch_shorter_than_dt_off_the_step_grid_warns():
    """A dt below every segment, and evenly sampled drivers (a measured signal at about dt's spacing, with noise and
    jittered times), draw no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        system = kernels.ODESystem(_two_compartment, n_states=2, n_params=4, n_drivers=1, name="pk_measured")
        kernels.solve_ivp(system, (0.0, 1.0), [0.0, 0.0], PARAMS, method="rk4", controller="fixed", dt=7e-4,
                          drivers=(TIMES, RATES[:, None]), t_eval=[1.0], precision=np.float64, progress=False)
        rng = np.random.default_rng(0)
        times = np.linspace(0.0, 2.0, 201)
        times[1:-1] += rng.uniform(-2e-3, 2e-3, 199)
        rates = 50.0 + 20.0 * np.sin(times) + rng.normal(0.0, 5.0, times.size)
        kernels.solve_ivp(system, (0.0, 2.0), [0.0, 0.0], PARAMS, method="rk4", controller="fixed", dt=0.01,
                          drivers=(times, rates[:, None]), t_eval=[1.0, 2.0], precision=np.float64, progress=False)


def test_the_fixed_step_grid_restarts_at_each_save_time():
    """Between saves the steps lie at start + j dt from the last save: a switch at 1.3 is landed on with a save at 1
    (1, 1.3, 1.6, ...), not without one (0, 0.3, ..., 1.2, 1.5); its other end 1.301 only where saved."""
    times, values = np.array([0.0, 1.3, 1.301, 3.0]), np.array([[0.0], [0.0], [10.0], [10.0]])
    column, segments, _ = hidden_switches(times, values, 0.0, 3.0, [3.0], fixed_dt=0.3)
    assert (column, list(segments)) == (0, [1])
    assert hidden_switches(times, values, 0.0, 3.0, [1.0, 1.301, 3.0], fixed_dt=0.3)[0] is None
    assert hidden_switches(times, values, 0.0, 3.0, [1.301, 3.0], fixed_dt=0.3)[0] == 0  # 1.3 off the grid from 0
    assert hidden_switches(times, values, 0.0, 3.0, [3.0], fixed_dt=1e-3 / 2)[0] is None  # dt below the switch


def test_a_fixed_step_past_every_sample_gap_and_a_switch_warns_once():
    """Both fixed-step sampling checks would speak (dt beyond the widest gap, a ramp off the grid): one warning."""
    from kernels.drivers import warn_step_past_samples

    times, values = np.array([0.0, 0.5, 0.501, 1.0]), np.array([[0.0], [0.0], [10.0], [10.0]])
    with pytest.warns(kernels.SamplingWarning, match="longer than the widest gap") as record:
        warn_step_past_samples(times, values, 0.6, 0.0, 1.0, np.array([1.0]))
    assert len(record) == 1


def _forced(t, y, p, u, dydt):
    dydt[0] = -y[0] + u[0]


def test_a_switch_past_the_last_save_of_a_run_that_stops_there_is_not_named():
    """A run saved at t = 2 alone stops there (no events, no per-run summaries), so a ramp at t = 3 is never met:
    the fixed-step check warned of it (a regression hunt)."""
    system = kernels.ODESystem(_forced, n_states=1, n_drivers=1, name="forced_past_the_save")
    times, values = np.array([0.0, 3.0, 3.001, 10.0]), np.array([0.0, 0.0, 1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        kernels.solve_ivp(system, (0.0, 10.0), [0.0], method="rk4", dt=0.25, precision=np.float64,
                          drivers=(times, values), t_eval=[2.0], progress=False)


def test_noise_logged_at_irregular_times_is_no_switch():
    """White noise sampled at exponentially distributed times: its short segments sit among others that jump as
    much, so none is a switch (the fixed-step check warned at dt about the mean gap: a regression hunt)."""
    rng = np.random.default_rng(1)
    times = np.concatenate([[0.0], np.cumsum(rng.exponential(0.01, 1200))])
    values = rng.normal(size=(times.size, 1))
    assert hidden_switches(times, values, 0.0, float(times[-1]), [float(times[-1])], fixed_dt=0.01)[0] is None


def test_the_ramps_of_a_tapering_infusion_are_switches():
    """Four 1-hour pulses with 0.01-h ramps whose plateau tapers 100 -> 70 -> 50: the plateau beside a ramp changes by
    0.3 of it, and a rule that wanted a quarter hid the pulses, which tsit5 and radau then stepped over (A(10) = 0
    where 62 is right; a regression hunt)."""
    times, values = [0.0], [0.0]
    for start in (8.0, 20.0, 32.0, 44.0):
        times += [start, start + 0.01, start + 0.5, start + 0.99, start + 1.0]
        values += [0.0, 100.0, 70.0, 50.0, 0.0]
    times, values = np.array(times + [56.0]), np.array(values + [0.0])[:, None]
    column, segments, count = hidden_switches(times, values, 0.0, 56.0, [10.0, 56.0])
    assert column == 0 and times[segments[0]] == 8.0 and count == 8
