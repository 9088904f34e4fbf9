"""The drivers' evaluator: linear between samples, the end segments' lines continued outside them."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import cuda

import kernels
from kernels.drivers import make_driver_evaluator, make_driver_evaluator_before

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


def _stiff_relaxation(t, y, p, u, dydt):
    dydt[0] = -1000.0 * (y[0] - u[0]) - u[1]


def test_an_unstable_fixed_step_with_drivers_warns():
    """The stability check skipped systems with drivers: rk4 at dt 0.05 on y' = -1000 (y - u) - u' with u = cos t
    as samples ended at -1.1e103 with success and no word, where written in t it warned (a user's trial)."""
    system = kernels.ODESystem(_stiff_relaxation, 1, n_drivers=2, name="stiff_driven")
    ts = np.linspace(0.0, 0.1, 3)
    drivers = (ts, np.column_stack([np.cos(ts), np.sin(ts)]))
    with pytest.warns(kernels.StabilityWarning, match=r"dt = 0.05 is beyond rk4's stable step .*decaying mode of "
                                                      r"rate 1e\+03"):
        kernels.solve_ivp(system, (0.0, 0.1), [1.0], method="rk4", dt=0.05, drivers=drivers,
                          precision=np.float64, progress=False)


def _seasonal(t, y, p, u, dydt):
    dydt[0] = p[0] * (1.0 + 0.2 * math.sin(p[1] * t)) * (1.0 + 0.01 * u[0]) * y[0] * (1.0 - y[0])


def test_float32_far_from_time_zero_with_drivers_warns():
    """The float32 far-from-t=0 check skipped systems with drivers: a seasonal SIR model from t0 = 365000 days
    with its frequency in params and a temperature driver ended 70 tolerances off with no word (a user's trial)."""
    system = kernels.ODESystem(_seasonal, 1, 2, n_drivers=1, name="seasonal_driven")
    t0 = 365000.0
    days = t0 + np.arange(0.0, 11.0)
    with pytest.warns(kernels.ToleranceWarning, match=r"t reaches 3.65e\+05 in this float32 run"):
        kernels.solve_ivp(system, (t0, t0 + 10.0), [1e-3], [[0.5, 2 * math.pi / 365.0]], method="tsit5",
                          drivers=(days, 1.0 + np.cos(days)), precision=np.float32, rtol=1e-5, atol=1e-8,
                          max_steps=50, progress=False)


def _fast_relaxation(t, y, p, u, dydt):
    dydt[0] = -1e5 * (y[0] - u[0])


def test_max_steps_of_an_explicit_run_with_drivers_gets_the_stiffness_hint():
    """The stiffness probe skipped systems with drivers: tsit5 on y' = -1e5 (y - u) said "raise max_steps" where
    written in t it said the problem looks stiff (a user's trial)."""
    system = kernels.ODESystem(_fast_relaxation, 1, n_drivers=1, name="fast_driven")
    ts = np.linspace(0.0, 10.0, 11)
    res = kernels.solve_ivp(system, (0.0, 10.0), [1.0], method="tsit5", drivers=(ts, np.cos(ts)), max_steps=100,
                            precision=np.float64, progress=False)
    assert res.status[0] == kernels.Status.MAX_STEPS
    assert "looks stiff" in res.message(0) and "rodas5p" in res.message(0)


def test_a_masked_array_with_masked_samples_is_refused():
    """A netCDF reader's masked array lost its mask: the fill under it (-999, 9.97e36) was read as data, with
    success and a wrong y (a user's trial).  An array with nothing masked passes as its data."""
    system = kernels.ODESystem(_rc_filter, 1, 1, n_drivers=1, name="rc_masked")
    days = np.arange(0.0, 5.0)
    temp = np.ma.masked_values([15.0, -999.0, -999.0, 15.0, 15.0], -999.0)
    with pytest.raises(kernels.ConfigurationError, match=r"drivers values: a masked array with 2 masked samples "
                                                         r"\(e.g. from a netCDF reader\); fill them \(np.ma.filled"):
        kernels.solve_ivp(system, (0.0, 4.0), [15.0], [[1.0]], drivers=(days, temp), progress=False)
    from kernels.drivers import validate_drivers

    _, values = validate_drivers((days, np.ma.masked_array(np.full(5, 15.0))), 1, np.float64, (0.0, 4.0))
    np.testing.assert_array_equal(values[:, 0], 15.0)


def _temperature_decay(t, y, p, u, dydt):
    dydt[0] = -p[0] * math.exp(0.0633 * (u[0] - 20.0)) * y[0]


def _jac_without_temperature(t, y, p, J):
    J[0] = -p[0]  # the temperature factor left out: jac has no u


def test_a_jac_that_leaves_out_a_driver_is_told_to_leave_jac_out():
    """The warning blamed a transposed J and said to ignore it; following that, rodas5p took 9007 steps where
    without jac it took 384 (a user's trial)."""
    system = kernels.ODESystem(_temperature_decay, 1, 1, n_drivers=1, jac=_jac_without_temperature, name="tdecay")
    with pytest.warns(kernels.JacobianCheckWarning, match=r"jac\(t, y, p, J\) does not receive the drivers") as w:
        kernels.solve_ivp(system, (0.0, 0.1), [1.0], [[5.0]], method="rodas4", progress=False,
                          drivers=(np.array([0.0, 1.0]), np.array([12.0, 13.0])), precision=np.float64)
    text = " ".join(str(x.message) for x in w if issubclass(x.category, kernels.JacobianCheckWarning))
    assert "build the system without jac (differences of rhs see u)" in text
    assert "transposed" not in text and "check=False" not in text


@pytest.mark.parametrize("drivers, expected", [
    (lambda: __import__("pandas").Series([1.0, 2.0, 3.0], index=[0.0, 1.0, 2.0]),
     r"pass drivers=\(s.index.to_numpy\(\), s.to_numpy\(\)\)"),
    (lambda: (np.arange("2020-01-01", "2020-01-04", dtype="datetime64[D]"), [1.0, 2.0, 3.0]),
     r"convert them to numbers, e.g. days since a reference: \(times - t_ref\) / np.timedelta64\(1, 'D'\)"),
    (lambda: (__import__("pandas").date_range("2024-01-01", periods=3, freq="D", tz="UTC"), [1.0, 2.0, 3.0]),
     r"got datetime64\[\w+, UTC\] values: convert them to numbers"),  # objects, as a list of datetime: a hunt
    (lambda: ([__import__("datetime").datetime(2024, 1, d) for d in (1, 2, 3)], [1.0, 2.0, 3.0]),
     r"got datetime values: convert them to numbers"),
    (lambda: ([1.0, 0.5, 0.7], [0.0, 1.0, 2.0]), r"the values are increasing and the times are not, so they may "
                                                 r"be swapped"),
    (lambda: ([0.0, 1.0, 2.0], np.ones((3, 2))), r"one driver per site .* u\[int\(p\[k\]\)\]"),
])
def test_driver_input_mistakes_say_what_to_pass(drivers, expected):
    system = kernels.ODESystem(_rc_filter, 1, 1, n_drivers=1, name="rc_mistakes")
    with pytest.raises(kernels.ConfigurationError, match=expected):
        kernels.solve_ivp(system, (0.0, 2.0), [0.0], [[1.0]], drivers=drivers(), progress=False)


def _seasonal_co2(t, y, p, u, dydt):  # a driver under a square root: NaN where extrapolated below 0
    dydt[0] = -0.1 * y[0] + p[0] * math.sin(p[1] * t) + 1e-3 * math.sqrt(u[0])


def test_the_far_from_time_zero_check_reads_the_drivers_at_the_runs_times():
    """Its comparison run over the span moved to start at 0 read a CO2 series (400 at t0 = 7.4e5) extrapolated to
    t = 0, -7000, whose sqrt is NaN: the warning went missing on a run 32 tolerances off (a regression hunt)."""
    t0 = 7.4e5
    times = np.linspace(t0, t0 + 730.0, 50)
    system = kernels.ODESystem(_seasonal_co2, 1, 2, name="seasonal_co2", n_drivers=1)
    with pytest.warns(kernels.ToleranceWarning, match=r"t reaches 7.41e\+05 in this float32 run"):
        kernels.solve_ivp(system, (t0, t0 + 730.0), [0.0], [1.0, 2 * np.pi / 365.25], method="tsit5",
                          drivers=(times, 400.0 + 0.01 * (times - t0)), max_steps=5, progress=False)


def _toggle_driven(t, y, p, u, dydt):
    dydt[0] = p[0] / (1.0 + y[1] ** p[2]) - y[0] + 0.0 * u[0]
    dydt[1] = p[1] / (1.0 + y[0] ** p[2]) - y[1]


def _toggle_driven_jac(t, y, p, J):
    d1, d0 = 1.0 + y[1] ** p[2], 1.0 + y[0] ** p[2]
    J[0] = -1.0
    J[1] = -p[0] * p[2] * y[1] ** (p[2] - 1.0) / (d1 * d1)
    J[2] = -p[1] * p[2] * y[0] ** (p[2] - 1.0) / (d0 * d0)
    J[3] = -1.0


def test_a_driven_systems_float32_jac_is_named_where_it_leaves_the_range():
    """The float32 copy of a driven system's jac was handed the drivers too (a test of identity missed the copy),
    failed, and the hint that names the entry went missing (a regression hunt)."""
    system = kernels.ODESystem(_toggle_driven, 2, 3, name="toggle_u", jac=_toggle_driven_jac, n_drivers=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = kernels.solve_ivp(system, (0.0, 10.0), [10.0, 0.1], [3.0, 3.0, 40.0], method="rodas5p", rtol=1e-4,
                                atol=1e-6, drivers=(np.linspace(0.0, 10.0, 11), np.zeros(11)), progress=False)
    assert res.status[0] == kernels.Status.SINGULAR_MATRIX
    assert "jac is not finite in float32 at the initial state" in res.message(0), res.message(0)


def _evaluate_before(ts, ends):
    evaluate = make_driver_evaluator_before(2)

    @cuda.jit
    def run(ts, ends, times, values, out):
        i = cuda.grid(1)
        if i < ts.shape[0]:
            evaluate(ts[i], ends[i], times, values, out[i])

    out = np.zeros((len(ts), 2))
    run[1, len(ts)](np.asarray(ts, float), np.asarray(ends, float), TIMES, VALUES, out)
    return out


@settings(max_examples=10, deadline=None)
@given(ends=st.lists(st.floats(-1.0, 4.0, allow_nan=False), min_size=1, max_size=8),
       past=st.floats(0.0, 0.5, allow_nan=False))
def test_a_stage_past_its_steps_end_reads_the_segment_the_end_lies_in(ends, past):
    """The segment is taken from the left of the step's end (a step that lands on a sample reads the segment it
    came through), its line continued to the stage's time."""
    ts = [end + past for end in ends]
    got = _evaluate_before(ts, ends)
    for t, end, row in zip(ts, ends, got):
        seg = int(np.clip(np.searchsorted(TIMES, end, side="left") - 1, 0, len(TIMES) - 2))
        np.testing.assert_allclose(row, _line(t, seg, seg + 1), rtol=1e-12, atol=1e-12)


def _forced_oscillator(t, y, p, u, dydt):
    dydt[0] = y[1]
    dydt[1] = u[0] - 0.1 * y[1] - 4.0 * y[0]


def test_kvaerno5_keeps_its_order_on_drivers_when_its_steps_land_on_the_samples():
    """kvaerno5's third stage lies at t + 1.23 h: it read the segment after a sample its step landed on, across
    the kink, and its fixed-step error fell as dt^2, 4e4 times the right one at dt = 1/32 (a diffrax user's
    trial: 69 to 193 tolerances off, adaptive, with the sample times in t_eval). It reads the segment it came
    through, so the order is 5 again."""
    from scipy.integrate import solve_ivp as scipy_solve

    times = np.linspace(0.0, 2.0, 9)
    values = np.sin(1.3 * times) + 0.5 * np.cos(3.1 * times)

    def f(t, y):
        return [y[1], np.interp(t, times, values) - 0.1 * y[1] - 4.0 * y[0]]

    exact = np.zeros(2)
    for a, b in zip(times[:-1], times[1:]):  # a solve per sample gap: no kink inside a step
        exact = scipy_solve(f, (a, b), exact, method="DOP853", rtol=1e-13, atol=1e-15).y[:, -1]
    system = kernels.ODESystem(_forced_oscillator, 2, n_drivers=1, name="forced_oscillator")
    errors = [np.abs(kernels.solve_ivp(system, (0.0, 2.0), [0.0, 0.0], method="kvaerno5",
                                       drivers=(times, values[:, None]),
                                       dt=0.25 / k, controller="fixed", precision=np.float64).y[0, -1] - exact).max()
              for k in (2, 4)]
    assert math.log2(errors[0] / errors[1]) > 4.0


def _one_compartment(t, y, p, u, dydt):
    dydt[0] = u[0] - p[0] / p[1] * y[0]


def _infusions():
    """1-hour infusions of 100 at 8, 20, 32 and 44 h with 0.01-h ramps, as samples over [0, 56] h."""
    times, values = [0.0], [0.0]
    for start in (8.0, 20.0, 32.0, 44.0):
        times += [start, start + 0.01, start + 1.0, start + 1.01]
        values += [0.0, 100.0, 100.0, 0.0]
    return np.array(times + [56.0]), np.array(values + [0.0])[:, None]


def _host_checks(method, drivers, t_eval, **options):
    """The host checks of a solve of the infusion model over [0, 56] h (kernels.solve_checks.check_host_inputs)."""
    from kernels.batch_inputs import batch_inputs
    from kernels.solve_checks import check_host_inputs

    system = kernels.ODESystem(_one_compartment, 1, 2, n_drivers=1, name="pk_infusion")
    integ = kernels.Integrator(system, method, precision=np.float64, **options.pop("integrator", {}))
    y0, params, _ = batch_inputs(system, [0.0], [[5.0, 30.0]], np.float64)
    return check_host_inputs(integ, 0.0, 56.0, options.pop("dt", None), y0, params, params, 1e-6, 1e-8, drivers,
                             t_eval=np.asarray(t_eval, np.float64), **options)


def test_a_switch_an_adaptive_step_can_hide_warns():
    """1-hour infusions as a driver with 0.01-h ramps, the ramp times not in t_eval: tsit5, radau and rodas5p
    stepped over the first infusion (A(10 h) = 0 where 78 is right) with success and no word (a pharmacometrician's
    trial).  With the ramp times in t_eval, or dt_max below the ramps, or fixed steps, this check says nothing."""
    times, values = _infusions()
    t_eval = [10.0, 20.0, 22.0, 32.0, 34.0, 44.0, 46.0, 56.0]
    for method in ("tsit5", "rodas5p"):
        with pytest.warns(kernels.SamplingWarning, match=r"drivers: column 0 changes by 100 between t = 8 and 8\.01, "
                                                         r"a segment 0\.01 long.*; 8 such segments in all: .*Put both "
                                                         r"ends of every such segment in t_eval.*or give dt_max below "
                                                         r"the segment's length \(0\.01\)") as record:
            _host_checks(method, (times, values), t_eval)
        assert sum(issubclass(w.category, kernels.SamplingWarning) for w in record) == 1  # one per solve
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        _host_checks("tsit5", (times, values), np.union1d(t_eval, times))
        _host_checks("tsit5", (times, values), t_eval, dt_max=0.005)
        _host_checks("rk4", (times, values), t_eval, dt=0.005, integrator=dict(controller="fixed"))


def test_only_switches_draw_the_hidden_switch_warning():
    """A step switch (0 to 10 over 1e-9) is one; smooth sampled forcing is none: a daily temperature sampled hourly
    for a year, 1000 evenly spaced samples of a sine, a measured signal with noise at jittered times."""
    from kernels.driver_switches import hidden_switches

    column, segments, count = hidden_switches(np.array([0.0, 1.0, 1.0 + 1e-9, 2.0]), np.array([0.0, 0.0, 10.0, 10.0]),
                                              0.0, 2.0, [2.0])
    assert (column, list(segments), count) == (0, [1], 1)
    assert hidden_switches(np.array([0.0, 1.0, 1.0 + 1e-9, 2.0]), np.array([0.0, 0.0, 10.0, 10.0]), 0.0, 2.0,
                           [1.0, 1.0 + 1e-9, 2.0])[0] is None
    rng = np.random.default_rng(0)
    days = np.arange(0.0, 365 * 24 + 1) / 24.0
    temperature = 15.0 + 10.0 * np.sin(2 * np.pi * days / 365.0) + 5.0 * np.sin(2 * np.pi * days)
    x = np.linspace(0.0, 10.0, 1000)
    jittered = np.sort(np.clip(x + rng.uniform(-2e-3, 2e-3, x.size), 0.0, 10.0))
    for times, values in ((days, temperature + rng.normal(0.0, 1.0, days.size)), (x, np.sin(x)),
                          (jittered, np.sin(jittered) + rng.normal(0.0, 0.1, x.size)),
                          (x, rng.normal(0.0, 1.0, x.size))):
        assert hidden_switches(times, values[:, None], times[0], times[-1], [times[-1]])[0] is None


class _StandInInterpolation:  # diffrax.LinearInterpolation's samples, without diffrax
    def __init__(self, ts, ys):
        self.ts, self.ys = ts, ys


def test_an_interpolation_object_as_drivers_is_told_to_pass_its_samples():
    """A diffrax user passed a diffrax.LinearInterpolation as drivers and was told only "expected (times, values)"."""
    system = kernels.ODESystem(_rc_filter, 1, 1, n_drivers=1, name="rc_interp")
    interp = _StandInInterpolation(np.linspace(0.0, 2.0, 5), np.ones((5, 1)))
    with pytest.raises(kernels.ConfigurationError, match=r"got _StandInInterpolation, an interpolation object \(it "
                                                         r"has \.ts and \.ys.*drivers=\(np\.asarray\(interp\.ts\), "
                                                         r"np\.asarray\(interp\.ys\)\)"):
        kernels.solve_ivp(system, (0.0, 2.0), [0.0], [[1.0]], drivers=interp, progress=False)


def test_a_solve_warns_of_a_hidden_switch_once_and_not_with_the_ramp_times_saved():
    """End to end through solve_ivp: the infusions' ramp times not in t_eval warn once; in t_eval, no warning, and the
    first dose is there (A(10 h) = 78.0 by SciPy's LSODA at max_step 0.005)."""
    times, values = _infusions()
    system = kernels.ODESystem(_one_compartment, 1, 2, n_drivers=1, name="pk_infusion_e2e")
    t_eval = np.array([10.0, 20.0, 56.0])
    with pytest.warns(kernels.SamplingWarning, match="8 such segments") as record:
        kernels.solve_ivp(system, (0.0, 56.0), [0.0], [5.0, 30.0], method="tsit5", drivers=(times, values),
                          t_eval=t_eval, rtol=1e-6, atol=1e-8, precision=np.float64)
    assert sum(issubclass(w.category, kernels.SamplingWarning) for w in record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        res = kernels.solve_ivp(system, (0.0, 56.0), [0.0], [5.0, 30.0], method="tsit5", drivers=(times, values),
                                t_eval=np.union1d(t_eval, times[1:-1]), rtol=1e-6, atol=1e-8, precision=np.float64)
    at_10 = res.y[0, list(res.t).index(10.0), 0]
    assert at_10 == pytest.approx(78.04, abs=0.01)


def test_a_table_of_samples_is_told_how_to_split():
    """A day column and a rate column as one (4, 2) array got only its shape (an epidemiologist's trial); the split
    it is told is taken."""
    from kernels import ConfigurationError
    from kernels.drivers import validate_drivers

    table = np.array([[0.0, 0.0], [30.0, 0.0], [30.001, 0.02], [200.0, 0.02]])
    with pytest.raises(ConfigurationError) as info:
        validate_drivers(table, 1, np.float64, (0.0, 200.0))
    text = str(info.value)
    assert "column 0 the sample times, the other columns one driver each" in text
    split = "(table[:, 0], table[:, 1:])"
    assert f"drivers={split}, with table this array" in text
    times, values = validate_drivers(eval(split, {"table": table}), 1, np.float64, (0.0, 200.0))
    np.testing.assert_array_equal(times, table[:, 0])
    np.testing.assert_array_equal(values, table[:, 1:])
    with pytest.raises(ConfigurationError, match=r"drivers=\(table\[:, 0\], table\[:, 1:\]\), with table = "
                                                 r"np\.asarray\(this list\)$"):
        validate_drivers(table.tolist(), 1, np.float64, (0.0, 200.0))
    with pytest.raises(ConfigurationError, match=r"row 0 the sample times, .* drivers=\(table\[0\], table\[1:\]\.T\)"):
        validate_drivers(table.T, 1, np.float64, (0.0, 200.0))
    with pytest.raises(ConfigurationError, match=r"that is 1 drivers, and the system has n_drivers=2$"):
        validate_drivers(table, 2, np.float64, (0.0, 200.0))


def _forced_lorenz(t, y, p, u, dydt):
    dydt[0] = p[0] * (y[1] - y[0]) + u[0]
    dydt[1] = y[0] * (p[1] - y[2]) - y[1] + u[1]
    dydt[2] = y[0] * y[1] - p[2] * y[2]


@pytest.mark.parametrize("form, count", [("pair", "n_drivers=2"), ("dict", "n_drivers=2"), ("column", "n_drivers=1"),
                                         ("unreadable", "n_drivers=k (k the number of driver columns)")])
def test_drivers_given_to_a_system_without_them_are_told_how_to_declare_them(form, count):
    """lorenz() given drivers was told only that it takes none (a neuroscientist's trial): the message says to build
    the system with n_drivers (the columns given) and rhs(t, y, p, u, dydt), or to drop drivers=; that system
    then takes the same drivers."""
    from kernels import ConfigurationError

    ts = np.linspace(0.0, 0.1, 11)
    values = np.column_stack([np.sin(ts), np.cos(ts)])
    drivers = {"pair": (ts, values), "dict": {"times": ts, "values": values}, "column": [ts, np.sin(ts)],
               "unreadable": (ts, "sin")}[form]
    with pytest.raises(ConfigurationError) as info:
        kernels.solve_ivp(kernels.lorenz(), (0.0, 0.1), [1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0], drivers=drivers)
    text = str(info.value)
    assert text.startswith("drivers: the system declares n_drivers=0 and takes no drivers; got ")
    assert text.endswith(f"to force it with them, build the ODESystem with {count} and rhs(t, y, p, u, dydt), u "
                         "holding the drivers at time t (observables, if any, take u too: observables(t, y, p, u, "
                         "obs)); else drop drivers=")
    if form == "pair":  # the remedy, taken
        forced = kernels.ODESystem(_forced_lorenz, 3, 3, n_drivers=2, name="forced_lorenz")
        res = kernels.solve_ivp(forced, (0.0, 0.1), [1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0], drivers=drivers,
                                method="rk4", dt=0.01, precision=np.float64, progress=False)
        assert res.success


def test_a_span_inside_one_sample_interval_warns_of_the_units():
    """A neuroscientist's trial: an input sampled over [0, 50] ms drove a run over t_span (0, 0.1) s with success and
    no word, reading one straight segment of it.  Samples that cover the span in a few intervals say nothing."""
    system = kernels.ODESystem(_rc_filter, 1, 1, n_drivers=1, name="rc_filter_units")
    times = np.linspace(0.0, 50.0, 401)  # ms
    drivers = (times, np.sin(times)[:, None])
    args = dict(method="tsit5", drivers=drivers, precision=np.float64, progress=False)
    with pytest.warns(kernels.SamplingWarning, match=r"runs over \[0, 0.1\], inside one sample interval \[0, 0.125\] "
                                                     r"of 401 samples over \[0, 50\]: the run reads one straight "
                                                     r"segment .* other units than t_span"):
        kernels.solve_ivp(system, (0.0, 0.1), [0.0], [[1e-3]], **args)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        kernels.solve_ivp(system, (0.0, 0.5), [0.0], [[1e-3]], **args)  # four intervals
        kernels.solve_ivp(system, (0.0, 0.1), [0.0], [[1e-3]], **{**args, "drivers": (times[:3], drivers[1][:3])})
