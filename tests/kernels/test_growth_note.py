"""A trajectory that an adaptive implicit method finished in steps too long for a mode growing at its initial state
(an ignition stepped over, with SUCCESS) is told so in its message, and only then (kernels/growth_note.py)."""

import math
import pickle
import re

import numpy as np
import pytest

import kernels
from kernels.growth_note import GROWTH_EFOLDS, GrowthProbe, growth_probe
from kernels.methods import get_method

SUCCESS_MESSAGE = kernels.STATUS_MESSAGES[kernels.SUCCESS]
GROWS = "mode growing at rate"
SPAN = (0.0, 2e-3)  # s; the reference (SciPy's Radau at rtol 1e-10) ignites at 187 us from T0 = 1000 K


def _h2o2(t, y, p, dydt):
    """A chemical engineer's 9-state H2/O2 ignition (constant volume, adiabatic, cgs): mass fractions of H2, O2, H,
    O, OH, H2O, HO2, N2, then T; p[0] = rho."""
    rho, T = p[0], y[8]
    iT, lT = 1.0 / T, math.log(T)
    cH2, cO2, cH, cO = rho * y[0] / 2.016, rho * y[1] / 31.998, rho * y[2] / 1.008, rho * y[3] / 15.999
    cOH, cH2O, cHO2, cN2 = rho * y[4] / 17.007, rho * y[5] / 18.015, rho * y[6] / 33.006, rho * y[7] / 28.014
    cM = cH2 + cO2 + cH + cO + cOH + cH2O + cHO2 + cN2
    r1 = 3.52e16 * math.exp(-0.7 * lT - 8590.0 * iT) * cH * cO2
    r2 = 5.06e4 * math.exp(2.67 * lT - 3166.0 * iT) * cO * cH2
    r3 = 1.17e9 * math.exp(1.3 * lT - 1829.0 * iT) * cOH * cH2
    r4 = 5.75e19 * math.exp(-1.4 * lT) * cH * cO2 * cM
    r5 = 7.08e13 * math.exp(-148.0 * iT) * cHO2 * cH
    r6 = 4.0e22 * math.exp(-2.0 * lT) * cH * cOH * cM
    r7 = 7.4e5 * math.exp(2.433 * lT - 26926.0 * iT) * cH2 * cO2
    r8 = 2.9e13 * math.exp(252.0 * iT) * cHO2 * cOH
    wH, wO = -r1 + r2 + r3 - r4 - r5 - r6 + r7, r1 - r2
    wOH, wH2O, wHO2 = r1 + r2 - r3 + 2.0 * r5 - r6 - r8, r3 + r6 + r8, r4 - r5 + r7 - r8
    dydt[0] = 2.016 * (-r2 - r3 - r7) / rho
    dydt[1] = 31.998 * (-r1 - r4 - r7 + r8) / rho
    dydt[2] = 1.008 * wH / rho
    dydt[3] = 15.999 * wO / rho
    dydt[4] = 17.007 * wOH / rho
    dydt[5] = 18.015 * wH2O / rho
    dydt[6] = 33.006 * wHO2 / rho
    dydt[7] = 0.0
    dydt[8] = -(2.18e12 * wH + 2.492e12 * wO + 3.9e11 * wOH - 2.418e12 * wH2O + 1.2e11 * wHO2) / rho / 1.2e7


H2O2 = kernels.ODESystem(_h2o2, 9, 1, name="h2o2")


def _ignition_inputs(T0=1000.0):
    """``(y0, params)`` of a stoichiometric H2/O2/N2 mixture at 1 atm and ``T0``."""
    weights = np.array([2.016, 31.998, 1.008, 15.999, 17.007, 18.015, 33.006, 28.014])
    x = np.array([2.0, 1.0, 0, 0, 0, 0, 0, 3.76]) / 6.76
    mean_weight = float(x @ weights)
    return np.append(x * weights / mean_weight, T0), np.array([1.01325e6 * mean_weight / (8.314e7 * T0)])


def _solve(method, **kwargs):
    y0, p = _ignition_inputs()
    return kernels.solve_ivp(H2O2, SPAN, y0, p, method=method, precision=np.float64, progress=False, **kwargs)


@pytest.mark.parametrize("method, tolerances", [("radau", {}), ("rodas5p", {}),
                                                ("radau", {"rtol": 1e-4, "atol": 1e-10}),
                                                ("rodas5p", {"rtol": 1e-4, "atol": 1e-10})])
def test_a_stepped_over_ignition_is_told(method, tolerances):
    res = _solve(method, **tolerances)
    assert res.status[0] == kernels.SUCCESS and res.n_steps[0] <= 3
    assert res.y[0, -1, 8] < 1001.0  # stepped over: still at T0, where the reference burns at 2300 K
    message = res.message(0)
    assert message.startswith(SUCCESS_MESSAGE)
    assert GROWS + " 8.64e+04" in message and "stepped over" in message and "dt below about 1.2e-06" in message
    efolds = 8.64e4 * (SPAN[1] - SPAN[0]) / res.n_steps[0]
    told = re.search(r"accepted steps? averaged (\S+) in t \((\S+) e-folds each\)", message)
    assert efolds > GROWTH_EFOLDS and told, message
    assert float(told.group(1)) == pytest.approx(SPAN[1] / res.n_steps[0], rel=1e-2)
    assert float(told.group(2)) == pytest.approx(efolds, rel=1e-2)


@pytest.mark.parametrize("method", ["radau", "rodas5p"])
def test_a_small_first_step_follows_the_ignition_and_is_told_nothing(method):
    res = _solve(method, dt=1e-8, controller="pi")
    assert res.status[0] == kernels.SUCCESS and res.y[0, -1, 8] > 2000.0  # ignited
    assert GROWS not in res.message(0)


@pytest.mark.parametrize("case", ["robertson", "van der pol"])
def test_stiff_problems_that_do_not_grow_are_told_nothing(case):
    if case == "robertson":
        system, span, y0, p = kernels.robertson(), (0.0, 4e4), [1.0, 0.0, 0.0], [0.04, 3e7, 1e4]
    else:
        system, span, y0, p = kernels.stiff_van_der_pol(), (0.0, 3000.0), [2.0, 0.0], [1000.0]
    for method in ("radau", "rodas5p"):
        res = kernels.solve_ivp(system, span, y0, p, method=method, rtol=1e-6, precision=np.float64,
                                progress=False)
        assert res.status[0] == kernels.SUCCESS
        assert res.stiffness_probe.growth is not None  # judged, and found not growing
        assert GROWS not in res.message(0)


def test_a_pickled_result_drops_the_note_and_still_tells_its_message():
    res = _solve("radau")
    assert GROWS in res.message(0)
    again = pickle.loads(pickle.dumps(res))
    assert again.message(0) == SUCCESS_MESSAGE or again.message(0).startswith(SUCCESS_MESSAGE)
    assert GROWS not in again.message(0)


def test_only_adaptive_implicit_successes_keep_a_probe_of_references():
    y0, p = _ignition_inputs()
    rows, params = np.array([y0, y0]), np.array([p])
    status = np.array([kernels.SUCCESS, kernels.SUCCESS])
    probe = growth_probe(H2O2, get_method("radau"), True, status, rows, params, 0.0, 1.0)
    assert probe.y0 is rows and probe.params is params  # references: nothing copied at the solve
    assert growth_probe(H2O2, get_method("tsit5"), True, status, rows, params, 0.0, 1.0) is None
    assert growth_probe(H2O2, get_method("radau"), False, status, rows, params, 0.0, 1.0) is None
    assert growth_probe(H2O2, get_method("radau"), True, status + 1, rows, params, 0.0, 1.0) is None


def test_a_state_the_host_cannot_evaluate_gets_no_note():
    y0, p = _ignition_inputs()
    probe = GrowthProbe(H2O2, np.array([np.full(9, np.nan)]), np.array([p]), 0.0, 2e-3)
    assert probe.note(0, 1, (2e-3, y0)) == "" and math.isnan(probe.rate(0))
    stepped_over = GrowthProbe(H2O2, np.array([y0]), np.array([p]), 0.0, 2e-3)
    assert stepped_over.note(0, 1, (2e-3, y0)) != ""
    assert stepped_over.note(0, 1, None) == ""  # no saved state: no note


def _logistic(t, y, p, dydt):
    dydt[0] = p[0] * y[0] * (1.0 - y[0] / p[1])


LOGISTIC = kernels.ODESystem(_logistic, 1, 2, name="logistic_growth")


@pytest.mark.parametrize("method", ["radau", "rodas5p"])
def test_a_growth_followed_to_rest_gets_no_note(method):
    """Logistic growth at rate 5 from 1e-3 to its capacity over a span of 1000: the start's mode grows, and the mean
    step (most of the span at rest) is about 50 e-folds of it, but the growth happened: at the end the mode decays.
    Judged at the start alone, radau, rodas5p and kvaerno5 were told they had stepped over it (a review)."""
    result = kernels.solve_ivp(LOGISTIC, (0.0, 1000.0), [1e-3], [5.0, 10.0], method=method, precision=np.float64,
                               progress=False)
    assert result.success and abs(result.y[0, -1, 0] - 10.0) < 1e-6
    assert 5.0 * 1000.0 / result.n_steps[0] > 20  # the start's test alone would speak
    assert "e-folds" not in result.message(0)


@pytest.mark.parametrize("method", ["radau", "rodas5p"])
def test_a_run_saved_over_its_start_alone_is_judged_over_that_stretch(method):
    """Saves over [0, 10] of a span to 1000: the loop stops at t = 10, and the note divided the whole span by the
    steps (29 e-folds a step where the run took 0.29: a regression hunt)."""
    result = kernels.solve_ivp(LOGISTIC, (0.0, 1000.0), [1.0], [1.0, 1e9], method=method, precision=np.float64,
                               progress=False, t_eval=np.linspace(0.0, 10.0, 11))
    assert result.success and abs(result.y[0, -1, 0] / 22025.966 - 1.0) < 1e-5
    assert "e-folds" not in result.message(0)


def _autocatalysis(t, y, p, dydt):
    rate = p[0] * y[0] * y[1]
    dydt[0] = -rate
    dydt[1] = rate


AUTOCATALYSIS = kernels.ODESystem(_autocatalysis, 2, 1, name="autocatalysis")


@pytest.mark.parametrize("method", ["radau", "rodas5p"])
def test_an_exact_equilibrium_with_a_growing_mode_is_no_growth_stepped_over(method):
    """A + B -> 2B from B0 = 0: the start is an exact equilibrium (f = 0), nothing seeds the growth, and the run that
    stays there is exact, but its few long steps drew the note (a regression hunt: a sweep's rows with no seed)."""
    result = kernels.solve_ivp(AUTOCATALYSIS, (0.0, 1000.0), [1.0, 0.0], [5.0], method=method,
                               precision=np.float64, progress=False)
    assert result.success and result.y[0, -1, 1] == 0.0
    assert "e-folds" not in result.message(0)


def _chapman(t, y, p, dydt):
    """The Chapman mechanism (O, O1D, O3, O2 in molecules cm^-3), p[4] the O(1D) quenching constant, p[6] M."""
    r1, r2, r3 = p[0] * y[3], p[1] * y[0] * y[3] * p[6], p[2] * y[2]
    r3b, r4, r5 = p[3] * y[2], p[4] * y[1] * p[6], p[5] * y[0] * y[2]
    dydt[0] = 2.0 * r1 - r2 + r3 + r4 - r5
    dydt[1] = r3b - r4
    dydt[2] = r2 - r3 - r3b - r5
    dydt[3] = -r1 - r2 + r3 + r3b + 2.0 * r5


CHAPMAN_NAMES = ["j_O2", "k_O_O2_M", "j_O3", "j_O3_O1D", "k_O1D_M", "k_O_O3", "M"]
CHAPMAN = kernels.ODESystem(_chapman, 4, 7, name="chapman_sweep", param_names=CHAPMAN_NAMES)
CHAPMAN_P = np.array([3e-12, 6e-34 * (220 / 300) ** -2.4, 4e-4, 6e-3, 3e-11, 8e-12 * np.exp(-2060 / 220), 3.7e17])
CHAPMAN_Y0 = np.array([0.0, 0.0, 3e12, 0.21 * 3.7e17])
SIGN_TOLD = "params[1, 4] (k_O1D_M) = -3e-11 is negative where every other row's column 4 is >= 0: check its sign"


def _chapman_sweep(params, method):
    return kernels.solve_ivp(CHAPMAN, (0.0, 3600.0), CHAPMAN_Y0, params, method=method, rtol=1e-4, atol=1e2,
                             precision=np.float64, progress=False)


@pytest.mark.parametrize("method", ["radau", "rodas5p"])
def test_a_growth_from_one_rows_negative_rate_names_that_parameter_first(method):
    """One row of a Chapman sweep with the O(1D) quenching constant -3e-11: radau and rodas5p ended it with success
    and O(1D) = -1618, told only of an ignition stepped over and a tiny first step (a chemist's trial)."""
    params = np.tile(CHAPMAN_P, (3, 1))
    params[1, 4] = -3e-11
    res = _chapman_sweep(params, method)
    assert res.status.tolist() == [kernels.SUCCESS] * 3 and res.y[1, -1, 1] < 0.0
    message = res.message(1)
    assert message.startswith(SUCCESS_MESSAGE + " " + SIGN_TOLD), message
    assert message.index(SIGN_TOLD) < message.index(GROWS) and "stepped over" in message  # the advice follows
    assert "check its sign" not in res.message(0) and "check its sign" not in res.message(2)


@pytest.mark.parametrize("method", ["radau", "rodas5p"])
def test_a_growth_with_negative_rates_in_several_rows_or_a_one_row_batch_names_no_parameter(method):
    """Silence: the column negative in two rows (a sweep across 0, not a slip), and one params row for the batch;
    the growth note itself stays."""
    several = np.tile(CHAPMAN_P, (3, 1))
    several[1:, 4] = -3e-11
    res = _chapman_sweep(several, method)
    assert GROWS in res.message(1) and GROWS in res.message(2)
    assert "check its sign" not in res.message(1) + res.message(2)
    single = CHAPMAN_P.copy()
    single[4] = -3e-11
    res = _chapman_sweep(single, method)
    assert GROWS in res.message(0) and "check its sign" not in res.message(0)


def _seed_and_bias(t, y, p, dydt):
    dydt[0] = p[0] * y[0]
    dydt[1] = -(y[1] - p[1])


def test_a_lone_negative_parameter_that_does_not_make_the_growth_is_not_named():
    """A signed bias of -0.5 in one row (the others 0 and above) beside a growth rate of 1e4 common to every row was
    named first as the sign slip to check (a regression hunt): a lone negative entry is named only where flipping its
    sign takes at least half the growth away (kernels.param_sign.growth_columns)."""
    system = kernels.ODESystem(_seed_and_bias, 2, 2, name="seed_and_bias", param_names=("growth", "bias"))
    params = np.array([[1e4, -0.5], [1e4, 0.0], [1e4, 0.5], [1e4, 1.0]])
    res = kernels.solve_ivp(system, (0.0, 10.0), np.column_stack([np.full(4, 1e-12), params[:, 1]]), params,
                            method="radau", precision=np.float64, atol=1e-6, rtol=1e-3, progress=False)
    message = res.message(0)
    assert "mode growing at rate 1e+04" in message
    assert "params[0, 1]" not in message and "check its sign" not in message


def _sirs(t, y, p, dydt):
    """S, I, R with infection p[0], recovery p[1] and immunity waning at p[2]."""
    infections = p[0] * y[0] * y[1]
    dydt[0] = -infections + p[2] * y[2]
    dydt[1] = infections - p[1] * y[1]
    dydt[2] = p[1] * y[1] - p[2] * y[2]


SIRS = kernels.ODESystem(_sirs, 3, 3, name="sirs_growth", param_names=("beta", "gamma", "waning"),
                         default_params=(1.25, 0.5, 1e-4))
SIRS_Y0 = np.array([[0.9, 0.0, 0.1], [0.9, 1e-6, 0.1 - 1e-6]])  # the control row with no infected, then a seeded one


def test_a_growing_mode_with_no_seed_is_no_growth_stepped_over():
    """An SIRS sweep's control row I0 = 0 with waning immunity: f(y0) != 0 (no exact equilibrium), but the growing
    mode lives on I, which is 0 with dI/dt = 0 and stays 0; radau's 8 long steps drew the note (a regression hunt)."""
    result = kernels.solve_ivp(SIRS, (0.0, 365.0), SIRS_Y0, method="radau", precision=np.float64, rtol=1e-6,
                               atol=1e-10, progress=False)
    assert result.status.tolist() == [kernels.SUCCESS] * 2 and abs(result.y[0, -1, 1]) < 1e-20
    assert "e-folds" not in result.message(0) and "e-folds" not in result.message(1)


def test_only_the_unseeded_mode_is_left_out():
    """The probe's own test (whatever the method): the row with no infected is not judged stepped over (its seeded
    modes: 0 and -waning), the same row with I0 = 1e-12 (a seed, left where it was) is, at the I mode's growth rate
    beta S - gamma = 0.625."""
    p = np.array([[1.25, 0.5, 1e-4]])
    unseeded = GrowthProbe(SIRS, SIRS_Y0[:1], p, 0.0, 365.0)
    assert unseeded.stepped_over(0, 1, (365.0, SIRS_Y0[0])) is None and unseeded.rate(0) <= 0.0
    y0 = np.array([0.9, 1e-12, 0.1])
    rate, step = GrowthProbe(SIRS, np.array([y0]), p, 0.0, 365.0).stepped_over(0, 1, (365.0, y0))
    assert rate == pytest.approx(0.625, rel=1e-6) and step == 365.0
