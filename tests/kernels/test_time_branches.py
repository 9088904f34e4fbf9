"""A pulse written in the rhs as a function of t, which a step can pass over unseen, draws a SamplingWarning before
the run (kernels.time_branches): the rhs's source is read, its switch times listed, and each window between two
switches is checked against the landing points (t0, t_eval, the end) and dt_max, or the fixed step grid."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernel_helpers import span_cuts_match_fresh_readings
from kernels.time_branches import hidden_windows, time_switches

PERIOD, DURATION, DELAY = 1000.0, 2.0, 10.0  # a pacing protocol: a 2-ms stimulus every second, the first at 10 ms
EXACT = -85.0 + 25.0 * 20.0 * (1.0 - np.exp(-2.0 / 20.0)) * np.exp(-(1100.0 - 1012.0) / 20.0)


def _membrane(t, y, p, dydt):  # a leaky membrane, a 2-ms pulse of 25 at t in [1010, 1012)
    istim = 25.0 if (t >= 1010.0 and t < 1012.0) else 0.0
    dydt[0] = -(y[0] - p[0]) / 20.0 + istim


def _paced(t, y, p, dydt):  # the Beeler-Reuter protocol's form: module constants, an offset time, a modulo
    tt = t - DELAY
    istim = 0.0
    if tt >= 0.0 and (tt % PERIOD) < DURATION:
        istim = 25.0
    dydt[0] = -(y[0] - p[0]) / 20.0 + istim


def _pulse_at_p0(t, y, p, dydt):  # a pulse whose start differs per trajectory: its times cannot be read
    rate = 0.0
    if t >= p[0] and t < p[0] + 1.0:
        rate = 100.0
    dydt[0] = rate - 0.0 * y[0]


def _one_switch(t, y, p, dydt):
    dydt[0] = (1.0 if t < 500.0 else -1.0) - 0.01 * y[0]


def _one_switch_at_p0(t, y, p, dydt):
    dydt[0] = (1.0 if t < p[0] else -1.0) - 0.01 * y[0]


def _smooth_in_t(t, y, p, dydt):
    dydt[0] = -0.01 * (y[0] - p[0]) + math.sin(0.1 * t) * math.exp(-t / 100.0) + max(0.0, math.sin(t))


def _clipped_cosine(t, y, p, dydt):  # photolysis zero at night, clipped by hand
    c = -math.cos(2.0 * math.pi * t / 24.0)
    sun = c if c > 0.0 else 0.0
    day = 0.0 if c < 0.0 else c
    dydt[0] = 1e-3 * sun + 1e-3 * day - 0.01 * (y[0] - p[0])


def _autonomous(t, y, p, dydt):
    dydt[0] = -(y[0] - p[0]) / 20.0


MEMBRANE = kernels.ODESystem(_membrane, n_states=1, n_params=1, name="membrane", default_params=[-85.0])


def _solve(system, span=(0.0, 1100.0), params=(-85.0,), **options):
    options = {"method": "tsit5", **options}
    if options["method"] != "rk4":
        options = {"rtol": 1e-6, "atol": 1e-6, **options}
    return kernels.solve_ivp(system, span, [-85.0], list(params), precision=np.float64, progress=False, **options)


def _silent(system, **options):
    """The solve, with a SamplingWarning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        return _solve(system, **options)


@pytest.mark.parametrize("method", ["tsit5", "radau"])
def test_a_pulse_written_in_the_rhs_between_saves_warns_once(method):
    """A 2-ms stimulus in the rhs, saved at the end only: every adaptive method stepped over it and ended 1e8
    tolerances off with success and no word, where the same pulse as drivers= was warned of (a cardiac
    electrophysiologist's trial)."""
    with pytest.warns(kernels.SamplingWarning, match=(
            r"rhs of system 'membrane' switches on t at line \d+ of test_time_branches\.py \(istim = 25\.0 if "
            r"\(t >= 1010\.0 and t < 1012\.0\) else 0\.0\): it changes at t = 1010 and again at t = 1012, a window 2 "
            r"long with no save time in it \(the nearest are t = 0 and 1100\), and dt_max is not set: a step longer "
            r"than the pulse steps over it unseen, and the run then ends with status success, the pulse missed.*"
            r"Put each pulse's start and end times in t_eval \(steps land on save times\), or give the stimulus as "
            r"drivers= \(their switches are checked\), or set dt_max below the pulse width \(2\); e\.g\. t_eval = "
            r"np\.union1d\(t_eval, \[1010, 1012\]\)\.$")) as record:
        result = _solve(MEMBRANE, method=method)
    assert sum(issubclass(w.category, kernels.SamplingWarning) for w in record) == 1
    assert result.success and abs(result.y[0, -1, 0] - EXACT) > 0.5  # what the warning is about: the pulse missed


def _membrane_positional_only(t, y, /, p, dydt):
    istim = 25.0 if (t >= 1010.0 and t < 1012.0) else 0.0
    dydt[0] = -(y[0] - p[0]) / 20.0 + istim


def test_an_rhs_with_positional_only_parameters_is_read_too():
    """``def rhs(t, y, /, p, dydt)``: the source readers counted its parameters as co_posonlyargcount +
    co_argcount, which counts the positional-only ones twice, so its source was never read (a refactor's find)."""
    system = kernels.ODESystem(_membrane_positional_only, n_states=1, n_params=1, name="membrane_posonly")
    with pytest.warns(kernels.SamplingWarning, match=r"switches on t at line \d+ of test_time_branches\.py"):
        _solve(system)


@pytest.mark.parametrize("remedy", [{"t_eval": [1010.0, 1012.0, 1100.0]}, {"dt_max": 1.0}])
def test_the_remedies_it_names_are_silent_and_right(remedy):
    """Both edges in t_eval (steps land there), or dt_max below the width: no warning, the pulse seen."""
    result = _silent(MEMBRANE, **remedy)
    assert abs(result.y[0, -1, 0] - EXACT) < 1e-4


def test_a_pacing_protocol_with_module_constants_is_read_and_its_first_pulse_named():
    """``tt = t - DELAY``, ``tt % PERIOD < DURATION``: the windows are read through the local, the module's numbers
    and the modulo; the shortest hidden window, the earliest of those, is named, with the count."""
    system = kernels.ODESystem(_paced, n_states=1, n_params=1, name="paced")
    with pytest.warns(kernels.SamplingWarning, match=r"rhs of system 'paced' switches on t at line \d+ of "
                                                     r"test_time_branches\.py \(if tt >= 0\.0 and .*\): it changes at "
                                                     r"t = 10 and again at t = 12, a window 2 long with no save time "
                                                     r"in it \(the nearest are t = 0 and 1100\); 3 such windows in "
                                                     r"all, and dt_max is not set") as record:
        _solve(system)
    assert sum(issubclass(w.category, kernels.SamplingWarning) for w in record) == 1


def test_a_pulse_whose_times_depend_on_params_warns_unless_dt_max_is_finite():
    """A pulse from ``p[0]`` to ``p[0] + 1``: its times cannot be read, so the check says so; a finite dt_max is the
    user's bound on the step and silences it."""
    system = kernels.ODESystem(_pulse_at_p0, 1, n_params=1, name="pulse_at_p0")
    with pytest.warns(kernels.SamplingWarning, match=(
            r"rhs of system 'pulse_at_p0' switches on t at line \d+ of test_time_branches\.py \(if t >= p\[0\] and "
            r"t < p\[0\] \+ 1\.0:\), at times this check could not read.*a step longer than a pulse steps over it "
            r"unseen, and the run then ends with status success.*or set dt_max below the shortest pulse width")):
        _solve(system, span=(0.0, 24.0), params=[5.5])
    _silent(system, span=(0.0, 24.0), params=[5.5], dt_max=0.5)


@pytest.mark.parametrize("rhs", [_one_switch, _one_switch_at_p0, _smooth_in_t, _clipped_cosine, _autonomous])
def test_single_switches_and_smooth_uses_of_t_are_silent(rhs):
    """One switch (error control sees a step across it), t in sin and exp, a kink (max(0, sin t), and written as
    ``c if c > 0.0 else 0.0``: an atmospheric chemist's photolysis drew the pulse warning), no t at all."""
    _silent(kernels.ODESystem(rhs, n_states=1, n_params=1, name=rhs.__name__), params=[500.0])


def test_a_pulse_past_the_last_save_is_never_met():
    """A run saved at t = 500 alone stops there: the pulse at 1010 says nothing."""
    _silent(MEMBRANE, t_eval=[500.0])


@pytest.mark.parametrize("dt, t_eval, expected", [
    (3.0, None, r"a window 2 long, whose ends the fixed steps of dt = 3 do not both land on: it is shorter than dt, "
                r"so a step can pass over it whole"),
    (0.3, None, r"whose ends the fixed steps of dt = 0\.3 do not both land on: each step across an edge keeps an "
                r"error of order dt"),
    (0.5, None, None),  # the grid lands on 1010 and 1012
    (3.0, [1010.0, 1012.0, 1100.0], None),  # the grid restarts at each save time
])
def test_a_fixed_step_warns_where_its_grid_misses_a_pulses_edges(dt, t_eval, expected):
    """rk4 at dt 3 passed over the 2-ms pulse whole with success; at 0.3 it kept an error of order dt there."""
    options = {"method": "rk4", "dt": dt, **({"t_eval": t_eval} if t_eval else {})}
    if expected is None:
        _silent(MEMBRANE, **options)
        return
    with pytest.warns(kernels.SamplingWarning, match=expected):
        _solve(MEMBRANE, **options)


# -- the reading of the source -------------------------------------------------------------------------------------
def _elif_chain(time, y, p, dydt):  # the time argument by another name
    if time < 1010.0:
        s = 0.0
    elif time < 1012.0:
        s = 25.0
    else:
        s = 0.0
    dydt[0] = s - y[0]


def _heavisides(t, y, p, dydt):
    dydt[0] = np.heaviside(t - 1010.0, 1.0) - np.heaviside(t - 1012.0, 1.0) - y[0]


def _stimulus(t):
    if math.fmod(t, 500.0) < 1.0:
        return 10.0
    return 0.0


def _through_a_helper(t, y, p, dydt):
    dydt[0] = _stimulus(t) - y[0]


DOSES = (100.0, 400.0)


def _doses_in_a_loop(t, y, p, dydt):
    rate = 0.0
    for start in DOSES:
        if start <= t < start + 1.0:
            rate += 100.0
    dydt[0] = rate - y[0]


def _square_wave(t, y, p, dydt):
    dydt[0] = (1.0 if math.floor(t / 250.0) % 2 == 0 else -1.0) - y[0]


def _early_return(t, y, p, dydt):
    dydt[0] = -y[0]
    if not (1010.0 <= t < 1012.0):
        return
    dydt[0] += 25.0


def _closure(start, width):
    def rhs(t, y, p, dydt):
        dydt[0] = (25.0 if (t - start) % 300.0 < width else 0.0) - y[0]
    return rhs


@pytest.mark.parametrize("rhs, times", [
    (_membrane, [1010.0, 1012.0]),
    (_elif_chain, [1010.0, 1012.0]),
    (_heavisides, [1010.0, 1012.0]),
    (_through_a_helper, [1.0, 500.0, 501.0, 1000.0, 1001.0]),
    (_doses_in_a_loop, [100.0, 101.0, 400.0, 401.0]),
    (_square_wave, [250.0, 500.0, 750.0, 1000.0]),
    (_early_return, [1010.0, 1012.0]),
    (_closure(50.0, 5.0), [50.0, 55.0, 350.0, 355.0, 650.0, 655.0, 950.0, 955.0]),
])
def test_the_switch_times_are_read_exactly(rhs, times):
    """The forms a stimulus takes: a chained comparison, an elif chain, heaviside, a helper with fmod, a loop over a
    module's tuple, floor of t, an early return, a closure's numbers; each value written, one list of times."""
    found = time_switches(rhs, (0.0, 1100.0))
    assert found and all(unknown == 0 for _, unknown, _ in found)
    assert np.unique(np.concatenate([t for t, _, _ in found])).tolist() == pytest.approx(times)


@pytest.mark.parametrize("rhs", [_one_switch, _smooth_in_t, _autonomous, _one_switch_at_p0])
def test_a_lone_switch_or_smooth_t_lists_nothing(rhs):
    assert time_switches(rhs, (0.0, 1100.0)) == []


def test_a_function_without_source_is_skipped():
    """A function made by exec (a symbolic system's) has no source to read."""
    scope = {}
    exec("def rhs(t, y, p, dydt):\n    dydt[0] = 25.0 if 1010.0 <= t < 1012.0 else 0.0\n", scope)  # noqa: S102
    assert time_switches(scope["rhs"], (0.0, 1100.0)) == []


def test_the_window_rule():
    """Adaptive: hidden where no landing point lies in the window and dt_max is not below its width; fixed: where
    the grid, restarted at each save, misses an end."""
    times = [10.0, 12.0, 1010.0, 1012.0]
    assert hidden_windows(times, 0.0, 1100.0, [1100.0]) == (10.0, 12.0, 3)
    assert hidden_windows(times, 0.0, 1100.0, [11.0, 500.0, 1011.0, 1100.0]) is None
    assert hidden_windows(times, 0.0, 1100.0, [1100.0], dt_max=1.5) is None
    assert hidden_windows(times, 0.0, 1100.0, [1100.0], fixed_dt=0.5) is None
    assert hidden_windows(times, 0.0, 1100.0, [1100.0], fixed_dt=0.3) == (10.0, 12.0, 3)


HOURLY = np.linspace(10.0, 20.0, 200)


def _sawtooth_sine(t, y, p, dydt):
    dydt[0] = math.sin(2 * math.pi * (t % 24.0) / 24.0) - y[0]


def _hour_of_day(t, y, p, dydt):
    day = math.floor(t / 24.0)
    hour = t - 24.0 * day
    dydt[0] = math.cos(2 * math.pi * hour / 24.0) - y[0]


def _interpolated_hourly(t, y, p, dydt):
    i = int(t)
    f = t - i
    dydt[0] = HOURLY[i] * (1.0 - f) + HOURLY[i + 1] * f - y[0]


@pytest.mark.parametrize("rhs", [_sawtooth_sine, _hour_of_day, _interpolated_hourly])
def test_a_continuous_value_computed_through_a_cut_of_t_is_no_pulse(rhs):
    """``t % 24``, ``floor(t / 24)`` and ``int(t)`` cut t, but the rhs built from them here is continuous (a sine of
    the hour, a hand-written interpolation of hourly data): each drew the pulse warning, the interpolation naming 220
    windows to save at (a regression hunt).  The rhs is now checked for a jump at a window's edges."""
    system = kernels.ODESystem(rhs, n_states=1, n_params=0, name=rhs.__name__.strip("_"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        kernels.solve_ivp(system, (0.0, 100.0), [0.0], t_eval=[50.0, 100.0], method="tsit5", rtol=1e-6, atol=1e-8,
                          precision=np.float64, progress=False)


# -- a moving window, a staircase, a bound method, a while loop (a regression hunt) -----------------------------------
def _counted_reads(monkeypatch):
    """The number of times the rhs's source is read afresh (kernels.time_branches._read), as a one-item list."""
    import kernels.time_branches as time_branches

    count, read = [0], time_branches._read

    def counted(*args, **kwargs):
        count[0] += 1
        return read(*args, **kwargs)

    monkeypatch.setattr(time_branches, "_read", counted)
    return count


def test_a_moving_window_reads_the_source_once_and_warns_as_a_fresh_solve_does(monkeypatch):
    """Solved over [t0, t0 + 100], then the next window, ...: the source was read afresh at every new span (a
    150-branch if/elif rhs cost 0.27 s a solve); now a wide reading serves the later windows, with the same
    warning, at the window that holds the pulse alone."""
    system = kernels.ODESystem(_membrane, n_states=1, n_params=1, name="membrane_windows", default_params=[-85.0])
    fresh = kernels.ODESystem(_membrane, n_states=1, n_params=1, name="membrane_windows")
    with pytest.warns(kernels.SamplingWarning) as expected:
        _solve(fresh, span=(1000.0, 1100.0))
    count = _counted_reads(monkeypatch)
    said = {}
    for t0 in np.arange(0.0, 1200.0, 100.0):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            _solve(system, span=(t0, t0 + 100.0))
        said[t0] = [str(w.message) for w in record if issubclass(w.category, kernels.SamplingWarning)]
    assert count[0] <= 2, count  # 12 windows: one wide reading (and its span-sensitivity check) serves them
    assert said.pop(1000.0) == [str(w.message) for w in expected if issubclass(w.category, kernels.SamplingWarning)]
    assert not any(said.values()), said


@pytest.mark.parametrize("rhs", [_membrane, _elif_chain, _paced, _through_a_helper, _doses_in_a_loop, _square_wave,
                                 _early_return, _closure(50.0, 5.0), _interpolated_hourly, _pulse_at_p0])
def test_a_span_cut_from_a_wide_reading_is_what_a_fresh_reading_gives(rhs):
    """Spans moving forward, wide and narrow, each against the source read over that span alone."""
    span_cuts_match_fresh_readings(rhs)


def _hourly_steps(t, y, p, dydt):  # tabulated hourly data read as a staircase: a real jump at every hour
    dydt[0] = HOURLY[int(t)] - y[0]


def test_a_staircase_of_tabulated_data_is_worded_as_one_with_its_remedies():
    """``H[int(t)]`` was worded as a missed pulse (98 windows to put in t_eval); it is a piecewise-constant input
    whose steps a step passes over: given as drivers, or with dt_max below its width."""
    system = kernels.ODESystem(_hourly_steps, n_states=1, n_params=0, name="hourly")
    options = {"t_eval": [50.0, 100.0], "method": "tsit5", "rtol": 1e-6, "atol": 1e-8, "precision": np.float64,
               "progress": False}
    with pytest.warns(kernels.SamplingWarning) as record:
        kernels.solve_ivp(system, (0.0, 100.0), [0.0], **options)
    said = [str(w.message) for w in record if issubclass(w.category, kernels.SamplingWarning)]
    assert len(said) == 1 and said[0].startswith(
        "rhs of system 'hourly' is piecewise constant in t at line "), said
    assert "a staircase of 99 steps 1 apart (t = 1, 2, ..., 99)" in said[0] and "pulse" not in said[0]
    assert "drivers=" in said[0] and "set dt_max below the step width (1)" in said[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        kernels.solve_ivp(system, (0.0, 100.0), [0.0], dt_max=0.5, **options)


class _Model:
    """A class-based model: its rhs a bound method (one reading self does not compile for a GPU, and construction
    says so; with check=False the simulator runs it), the pulse's times literal or numbers on the instance."""

    def __init__(self, on, off):
        self.on, self.off = on, off

    def stimulus(self, t):
        return 25.0 if self.on <= t < self.off else 0.0

    def rhs_literal(self, t, y, p, dydt):
        dydt[0] = -(y[0] - p[0]) / 20.0 + (25.0 if 1010.0 <= t < 1012.0 else 0.0)

    def rhs(self, t, y, p, dydt):
        dydt[0] = -(y[0] - p[0]) / 20.0 + (25.0 if self.on <= t < self.off else 0.0)

    def rhs_with_helper(self, t, y, p, dydt):
        dydt[0] = -(y[0] - p[0]) / 20.0 + self.stimulus(t)

    @property
    def start(self):
        return self.on

    def rhs_with_property(self, t, y, p, dydt):
        dydt[0] = -(y[0] - p[0]) / 20.0 + (25.0 if self.start <= t < self.start + 2.0 else 0.0)


@pytest.mark.parametrize("method, check", [("rhs_literal", True), ("rhs", False), ("rhs_with_helper", False)])
def test_a_pulse_in_a_bound_method_rhs_is_read_past_self(method, check):
    """``model.rhs`` was skipped (not a plain function), its pulse missed without a word; ``self.on`` is read as the
    number the instance holds, ``self.stimulus(t)`` followed with self bound."""
    def system():
        return kernels.ODESystem(getattr(_Model(1010.0, 1012.0), method), 1, 1, name="model", check=check)

    with pytest.warns(kernels.SamplingWarning, match=r"switches on t at line \d+ of test_time_branches\.py .*: it "
                                                     r"changes at t = 1010 and again at t = 1012, a window 2 long"):
        _solve(system())
    _silent(system(), dt_max=1.0)


def test_a_bound_methods_switch_on_an_attribute_it_cannot_read_says_so():
    """A property is not read (it runs code): its switches count as unread, warned unless dt_max is finite."""
    system = kernels.ODESystem(_Model(1010.0, 1012.0).rhs_with_property, 1, 1, name="model", check=False)
    with pytest.warns(kernels.SamplingWarning, match=r"at times this check could not read"):
        _solve(system)
    _silent(system, dt_max=1.0)


def _counted_days(t, y, p, dydt):  # the day counted by a while loop on t, a 1-h pulse at each day's start
    n = 0
    while n * 24.0 <= t:
        n += 1
    dydt[0] = (25.0 if t - (n - 1) * 24.0 < 1.0 else 0.0) - y[0]


def test_a_pulse_switched_by_a_while_loop_on_t_counts_as_unread():
    """A ``while`` on t runs a number of times the reading does not follow: its pulse was missed without a word;
    it now draws the warning that the switch times could not be read, unless dt_max is finite."""
    system = kernels.ODESystem(_counted_days, n_states=1, n_params=1, name="days")
    with pytest.warns(kernels.SamplingWarning, match=r"switches on t at line \d+ of test_time_branches\.py \(while "
                                                     r"n \* 24\.0 <= t:\).*, at times this check could not read"):
        _solve(system, span=(0.0, 100.0))
    _silent(system, span=(0.0, 100.0), dt_max=0.5)


def _square_wave_by_modulo(t, y, p, dydt):  # a pulse train of equal on and off times: two levels in turn
    dydt[0] = (1.0 if (t % 2.0) < 1.0 else 0.0) - y[0]


def _sampling_words(system, span, t_eval):
    with pytest.warns(kernels.SamplingWarning) as record:
        kernels.solve_ivp(system, span, [0.0], [0.0], t_eval=t_eval, method="tsit5", rtol=1e-6, atol=1e-6,
                          precision=np.float64, progress=False)
    return [str(w.message) for w in record if issubclass(w.category, kernels.SamplingWarning)]


def test_a_square_wave_is_worded_as_a_pulse_train_not_a_staircase():
    """Its windows are all of one width, and it was worded as tabulated data read by H[int(t)] ("a staircase of 49
    steps 1 apart"); its rhs takes two levels in turn at the windows (a staircase of data takes more): pulses."""
    system = kernels.ODESystem(_square_wave_by_modulo, n_states=1, n_params=1, name="square")
    said = _sampling_words(system, (0.0, 50.0), [25.0, 50.0])
    assert len(said) == 1 and said[0].startswith("rhs of system 'square' switches on t at line "), said
    assert ": it changes at t = 1 and again at t = 2, a window 1 long with no save time in it" in said[0]
    assert "46 such windows in all" in said[0] and "staircase" not in said[0] and "piecewise" not in said[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SamplingWarning)
        _solve(system, span=(0.0, 50.0), params=(0.0,), t_eval=[25.0, 50.0], dt_max=0.5)
