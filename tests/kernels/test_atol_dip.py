"""A state that fell far below its atol and grew back by its own rate (kernels/atol_dip.py).

An ecologist's trial: Rosenzweig-MacArthur (r = 1, a = h = 1, e = 0.5, m = 0.2) from (0.5, 0.5) to t = 150 over
K = 8, 12, 16, 20 at the library defaults (float32, tsit5, rtol 1e-5, atol 1e-6): the prey truly falls to 4.4e-12,
5.9e-17 and 1.05e-22 (K = 12, 16, 20; at K = 8 to 4.2e-7, just below atol), where its size is not controlled, and the
runs ended 277 to 2e7 tolerances off with status success and no word (float64 at its defaults as wrong).  With the
prey's atol at 1e-30 they end 12 to 69 off, as SciPy does.
"""

import math
import re
import warnings

import numpy as np
import pytest

import kernels
from kernel_helpers import rosenzweig_macarthur

T_EVAL = np.linspace(0.0, 150.0, 16)


def _dipper(t, y, p, dydt):
    dydt[0] = p[0] * math.cos(y[1]) * y[0]  # y = exp(p sin t): least exp(-p) at t = 3 pi / 2, then regrows
    dydt[1] = 1.0  # a clock


def _lotka_volterra(t, y, p, dydt):
    dydt[0] = y[0] * (1.0 - y[1])
    dydt[1] = y[1] * (y[0] - 1.0)


def _oscillator(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -y[0]


def _chemostat(t, y, p, dydt):  # the second species loses and washes out (decays to 0 for good)
    s = y[0]
    g1 = s / (0.5 + s)
    g2 = 0.5 * s / (0.5 + s)
    dydt[0] = 0.3 * (1.0 - s) - g1 * y[1] - g2 * y[2]
    dydt[1] = (g1 - 0.3) * y[1]
    dydt[2] = (g2 - 0.3) * y[2]


def _inflow(t, y, p, dydt):  # decays to 8e-9, then an inflow (not its own rate) refills it to 29
    s = 0.5 * (1.0 + math.tanh(y[1] - 20.0))
    dydt[0] = s - 10.0 * (1.0 - s) * y[0]
    dydt[1] = 1.0


RM = kernels.ODESystem(rosenzweig_macarthur, 2, 6, name="rm")
DIPPER = kernels.ODESystem(_dipper, 2, 1, name="dipper")


def _rm_params():
    return np.array([[1.0, K, 1.0, 1.0, 0.5, 0.2] for K in (8.0, 12.0, 16.0, 20.0)])


def _dip_warnings(system, span, y0, params=None, **options):
    """The result and the texts of this check's ToleranceWarnings of one solve."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        res = kernels.solve_ivp(system, span, y0, params, progress=False, **options)
    return res, [str(w.message) for w in record
                 if issubclass(w.category, kernels.ToleranceWarning) and "fell far below" in str(w.message)]


def test_trial_at_the_library_defaults_warns_naming_the_trajectories_state_and_remedy():
    """The trial's 16 saves show the prey at 1.6e-11 to 7e-11 (K = 12 to 20) regrowing to 11 to 19: one warning
    names those three, not K = 8 (its prey dips to 0.42 atol, within the tolerance)."""
    res, texts = _dip_warnings(RM, (0.0, 150.0), [0.5, 0.5], _rm_params(), t_eval=T_EVAL)
    assert res.success and len(texts) == 1, texts
    text = texts[0]
    assert text.startswith("3 of 4 trajectories (trajectory 1, trajectory 2 and trajectory 3) ended with status "
                           "success after state y[0] fell far below its atol"), text
    low = float(re.search(r"y\[0\] was (\S+) \(saved at t = ", text).group(1))
    assert 1e-13 < low < 1e-8 and "of its atol 1e-06" in text
    assert "per-state atol vector such as atol=[" in text and ", 1e-06]" in text and "log" in text


def test_the_warning_is_a_tolerance_warning_where_no_summaries_were_asked_for():
    """Its remedy is an atol, and the run asked for no summaries: it came as a SummaryWarning, which told a user
    (the trial's ecologist, float32 May-Leonard and Rosenzweig-MacArthur runs) nothing of its cause."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        kernels.solve_ivp(RM, (0.0, 150.0), [0.5, 0.5], _rm_params(), t_eval=T_EVAL, progress=False)
    dips = [w for w in record if "fell far below its atol" in str(w.message)]
    assert [w.category for w in dips] == [kernels.ToleranceWarning], [(w.category, str(w.message)[:80]) for w in record]


def test_float64_summary_min_with_only_the_final_save_warns():
    """The default t_eval (the end alone) with a run's summary min of the prey: its min, below atol / 100, lies
    between y0 and the final save, where it has grown back."""
    summaries = kernels.Summaries(states=[0], stats=("min",))
    res, texts = _dip_warnings(RM, (0.0, 150.0), [0.5, 0.5], _rm_params(), precision=np.float64,
                               summaries=summaries)
    assert len(texts) == 1, texts
    assert "(its summary min over the run)" in texts[0] and "trajectory 1, trajectory 2 and trajectory 3" in texts[0]
    assert "trajectory 0" not in texts[0]


def test_nothing_said_where_nothing_kept_shows_the_dip_and_when_its_atol_is_below_the_low():
    """Only the final state saved, or only a run's min and max (their order unknown): nothing to check.  The prey's
    own atol at 1e-30 (below 1e-3 of its true least value) is what the warning asks for: silent."""
    for options in ({}, dict(summaries=kernels.Summaries(states=[0, 1], stats=("min", "max")),
                             save_trajectory=False)):
        _, texts = _dip_warnings(RM, (0.0, 150.0), [0.5, 0.5], _rm_params(), precision=np.float64, **options)
        assert texts == [], options
    res, texts = _dip_warnings(RM, (0.0, 150.0), [0.5, 0.5], _rm_params(), precision=np.float64,
                               atol=[1e-30, 1e-6], t_eval=T_EVAL)
    assert res.success and texts == []


def test_a_dip_just_below_atol_is_silent_a_deep_one_warns_with_state_names_and_summary_windows():
    """y = exp(p sin t) at atol 1e-2: p = 5 dips to 6.7e-3 (0.67 atol), p = 12 to 6.1e-6 and regrows to 1.6e5
    (saved at 1.0e-5 at t = 5 and 1.4e5 at t = 8).  With
    per-save summary windows the deep dip is read from its window's min."""
    system = kernels.ODESystem(_dipper, 2, 1, name="named_dipper")
    system.state_names = ("N", "clock")
    res, texts = _dip_warnings(system, (0.0, 8.0), [1.0, 0.0], [[5.0], [12.0]], precision=np.float64, atol=1e-2,
                               t_eval=np.linspace(0.0, 8.0, 9))
    assert res.success and len(texts) == 1, texts
    assert texts[0].startswith("1 of 2 trajectories (trajectory 1) ended with status success after state N (y[0])")
    low = float(re.search(r"N \(y\[0\]\) was (\S+) \(saved at t = 5\)", texts[0]).group(1))  # truly 1.0e-5
    suggested = float(re.search(r"atol=\[(\S+), 1e-02\]", texts[0]).group(1))
    assert 1e-6 < low < 1e-4 and suggested == pytest.approx(1e-3 * low, rel=0.5)
    summaries = kernels.Summaries(states=[0], stats=("min", "final"), per="save")
    _, texts = _dip_warnings(DIPPER, (0.0, 8.0), [1.0, 0.0], [[12.0]], precision=np.float64, atol=1e-2,
                             t_eval=[2.0, 8.0], summaries=summaries, save_trajectory=False)
    assert len(texts) == 1 and "(its summary min between t = 2 and 8)" in texts[0], texts


def test_a_float32_dip_below_its_range_is_left_to_the_underflow_warning():
    """float32 at atol 1e-37 (m = 0.1, K = 20): the prey is saved at 2.9e-40, below float32's range, where no atol
    helps: kernels.float32_underflow's PrecisionWarning says so, this check says nothing (it said so too, twice the
    words for one cause, with an atol float32 cannot hold)."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        kernels.solve_ivp(RM, (0.0, 300.0), [0.5, 0.5], [1.0, 20.0, 1.0, 1.0, 0.5, 0.1], t_eval=[100.0, 200.0, 300.0],
                          atol=1e-37, progress=False)
    said = [(w.category, str(w.message)) for w in record]
    assert any(c is kernels.PrecisionWarning and "smallest normal value" in t for c, t in said), said
    assert not any("fell far below its atol" in t for _, t in said), said


@pytest.mark.parametrize("case", ["robertson", "hires", "lotka_volterra", "oscillator", "chemostat", "inflow"])
def test_no_false_alarm(case):
    """Robertson (y2 at most 3.6e-5, then down to 1e-8 and below, never back), HIRES, a Lotka-Volterra cycle that
    stays large, an oscillator through 0, a chemostat's loser washing out, and a state that an inflow refills from
    8e-9 (its regrowth is not its own): no warning."""
    options = dict(precision=np.float64)
    if case == "robertson":
        args = (kernels.robertson(), (0.0, 1e5), [1.0, 0.0, 0.0])
        options.update(method="rodas5p", precision=np.float32, t_eval=np.logspace(-5, 5, 40))
    elif case == "hires":
        args = (kernels.hires(), (0.0, kernels.HIRES_T_END), [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057])
        options.update(method="rodas5p", t_eval=np.linspace(1.0, kernels.HIRES_T_END, 50))
    elif case == "lotka_volterra":
        args = (kernels.ODESystem(_lotka_volterra, 2, 0, name="lv"), (0.0, 100.0), [1.2, 0.8])
        options.update(t_eval=np.linspace(0.0, 100.0, 200))
    elif case == "oscillator":
        args = (kernels.ODESystem(_oscillator, 2, 0, name="osc"), (0.0, 30.0), [1.0, 0.0])
        options.update(t_eval=np.linspace(0.0, 30.0, 300))
    elif case == "chemostat":
        args = (kernels.ODESystem(_chemostat, 3, 0, name="chemostat"), (0.0, 400.0), [1.0, 0.1, 0.1])
        options.update(t_eval=np.linspace(0.0, 400.0, 100))
    else:
        args = (kernels.ODESystem(_inflow, 2, 0, name="inflow"), (0.0, 50.0), [1.0, 0.0])
        options.update(t_eval=np.linspace(0.0, 50.0, 100))
    res, texts = _dip_warnings(*args, **options)
    assert res.success and texts == []
    if case == "inflow":
        assert res.y[0, :, 0].min() < 1e-8 and res.y[0, -1, 0] > 10  # the scan flags it; the rhs test clears it
    if case == "chemostat":
        assert res.y[0, -1, 2] < 1e-8


def test_the_warning_reaches_the_client_with_trajectories_counted_in_the_batch(client):
    """Through client= in chunks of 2 the workers' warnings come home (a ToleranceWarning drawn from the results,
    which the client does not drop as it drops the ToleranceWarnings it checked itself) naming trajectories 1 to 3."""
    def rm(t, y, p, dydt):
        f = p[2] * y[0] / (1.0 + p[2] * p[3] * y[0])
        dydt[0] = p[0] * y[0] * (1.0 - y[0] / p[1]) - f * y[1]
        dydt[1] = p[4] * f * y[1] - p[5] * y[1]

    integrator = kernels.Integrator(kernels.ODESystem(rm, 2, 6, name="rm_client"), "tsit5", precision=np.float64)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        integrator.solve(t_span=(0.0, 150.0), y0=[0.5, 0.5], params=_rm_params(), t_eval=T_EVAL, client=client,
                         chunk_size=2)
    texts = [str(w.message) for w in record if issubclass(w.category, kernels.ToleranceWarning)
             and "fell far below its atol" in str(w.message)]
    assert texts, [str(w.message)[:80] for w in record]
    named = {int(i) for text in texts for i in re.findall(r"\btrajectory (\d+)\b", text)}
    assert named == {1, 2, 3}, texts


def _dosed(t, y, p, dydt):  # a one-compartment drug model dosed by a pulse in the rhs every 24 h
    dose = 0.0
    if (t % 24.0) >= 12.0 and (t % 24.0) < 12.5:
        dose = 2.0
    dydt[0] = -p[0] * y[0] + dose


def _short_dose(t, y, p, dydt):  # one dose of 0.05 h, between two of the 32 even times from the low to the regrowth
    dose = 0.0
    if 28.2 <= t < 28.25:
        dose = 20.0
    dydt[0] = -p[0] * y[0] + dose


def test_a_dose_written_in_the_rhs_as_a_function_of_t_is_an_inflow_no_false_alarm():
    """A regression hunt: between doses (12 <= t mod 24 < 12.5) the drug truly drains to ~1e-20 and each dose
    refills it; the rhs with the drug at 0 is 0 at t0, at the low (t = 35) and at the regrowth's save (t = 39), the
    dose off there, so both trajectories were warned.  The rate between the low and the regrowth shows the dose."""
    system = kernels.ODESystem(_dosed, 1, 1, name="pk_pulse")
    res, texts = _dip_warnings(system, (0.0, 48.0), [1.0], [[4.0], [3.0]], t_eval=np.arange(1.0, 49.0, 1.0),
                               method="tsit5", rtol=1e-6, atol=1e-8, precision=np.float64, dt_max=0.25)
    assert res.success and texts == [], texts
    assert res.y[:, 10, 0].max() < 1e-10 and res.y[:, 12, 0].min() > 1e-2  # drained below atol / 100, refilled


def test_a_dose_between_the_even_samples_is_found_at_the_rhs_switch_times():
    """A 0.05 h dose at t = 28.2 between the low saved at t = 24 (1e-21) and the regrowth at 30 falls between the
    32 even times of that window (28.06 and 28.26): the switch times read from the rhs find it."""
    system = kernels.ODESystem(_short_dose, 1, 1, name="short_dose")
    res, texts = _dip_warnings(system, (0.0, 30.0), [1.0], [[2.0]], t_eval=np.arange(6.0, 31.0, 6.0),
                               rtol=1e-6, atol=1e-8, precision=np.float64, dt_max=0.025)
    assert res.success and texts == [], texts
    assert res.y[0, 3, 0] < 1e-10 and res.y[0, 4, 0] > 1e-3


def _exposed_infected(t, y, p, dydt):  # E and I feed each other; the infection rate switches on at t = 30
    c = p[0] * (1.0 + math.tanh(t - 30.0))
    dydt[0] = c * y[1] - y[0]
    dydt[1] = y[0] - y[1]


def test_states_that_vanish_together_are_judged_together():
    """An epidemiologist's trial: a seasonal measles SEIR model's E and I fell to 4.9e-8 and 3.1e-8 (atol 1e-4) and
    grew back, radau ended 4e4 tolerances off with success and no word, where the SIR version warned: E's rate at
    E = 0 is the infection from I, I's at I = 0 is the flow from E, so neither vanishes alone, both together.  Here
    E and I fall to about 1e-12 by t = 30 and grow back to about 10 by t = 45."""
    system = kernels.ODESystem(_exposed_infected, 2, 1, name="exposed_infected")
    res, texts = _dip_warnings(system, (0.0, 45.0), [1.0, 1.0], [[4.5]], method="tsit5", precision=np.float64,
                               rtol=1e-6, atol=1e-6, t_eval=np.linspace(0.0, 45.0, 46))
    assert res.success and float(res.y[0, -1, 1]) > 1.0 and len(texts) == 1, texts
    assert texts[0].startswith("trajectory 0 ended with status success after states y[0] and y[1] fell far below "
                               "their atols and grew back: in trajectory 0 y[0] was "), texts[0]
    suggested = re.search(r"atol=\[(\S+), (\S+)\]", texts[0])
    assert all(float(value) < 1e-12 for value in suggested.groups()) and "Give each such state its own atol" in texts[0]
