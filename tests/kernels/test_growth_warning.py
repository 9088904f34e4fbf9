"""A solve whose implicit steps stepped over a growth at trajectories' initial states (the growth note's case) draws
one SuspectSuccessWarning naming them, at a bounded cost, and ordinary runs draw none (kernels/growth_warning.py)."""

import warnings

import numpy as np
import pytest

import kernels
from kernels.growth_note import GrowthProbe
from kernels.growth_warning import MAX_JUDGED, quiet_successes
from test_growth_note import AUTOCATALYSIS, H2O2, LOGISTIC, SIRS, SIRS_Y0, _ignition_inputs

STEPPED_OVER = "may have been stepped over with success reported"


def _solve_warned(*args, **kwargs):
    """``(result, [SuspectSuccessWarning texts])`` of ``kernels.solve_ivp(*args, **kwargs)`` and its growth warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = kernels.solve_ivp(*args, progress=False, **kwargs)
    return result, [str(w.message) for w in caught if issubclass(w.category, kernels.SuspectSuccessWarning)]


def _ignition_sweep(temperatures, method="radau", **kwargs):
    """The H2/O2 ignition over 2 ms from each of ``temperatures`` (float64, rtol 1e-4 and atol 1e-10 unless given)."""
    rows = [_ignition_inputs(T0) for T0 in temperatures]
    y0, params = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    options = {"rtol": 1e-4, "atol": 1e-10, **kwargs}
    return _solve_warned(H2O2, (0.0, 2e-3), y0, params, method=method, precision=np.float64, **options)


@pytest.mark.parametrize("method", ["radau", "rodas5p"])
def test_a_sweep_that_stepped_over_its_ignitions_is_warned_once(method):
    """A chemist's T0 sweep at loose tolerances ended the ignitions in 1 to 3 steps at their start temperature with
    status 0, told only in each res.message(i) (float32 at rtol 1e-4: the 1000 to 1300 K rows)."""
    result, told = _ignition_sweep([900.0, 1000.0, 1100.0], method)
    assert result.status.tolist() == [kernels.SUCCESS] * 3 and np.all(result.y[1:, -1, 8] < result.y[1:, 0, 8] + 1)
    assert len(told) == 1, told
    text = told[0]
    assert text.startswith("2 of 3 trajectories (trajectory 1 and trajectory 2) ended with success still within "
                           "1 % of their initial state"), text
    assert STEPPED_OVER in text and "controller='pi'" in text and "res.message(i)" in text
    assert "dt below about 4.4e-07, 0.1 of the shortest e-folding time found" in text  # 1100 K: 2.26e5 /s
    assert "mode growing at rate" in result.message(1) and "mode growing at rate" not in result.message(0)


def test_a_large_sweep_judges_at_most_a_handful(monkeypatch):
    """20 stepped-over rows: 8 get the note's test (each two host eigenvalue problems), picked across the batch."""
    calls = []
    judge = GrowthProbe.stepped_over
    monkeypatch.setattr(GrowthProbe, "stepped_over", lambda self, i, *a: calls.append(i) or judge(self, i, *a))
    result, told = _ignition_sweep([1000.0] * 20)
    assert np.all(result.status == kernels.SUCCESS)
    assert len(calls) == MAX_JUDGED and min(calls) == 0 and max(calls) == 19
    assert len(told) == 1 and told[0].startswith(
        "20 of 20 trajectories ended with success still within 1 % of their initial state; of the 8 of them "
        "checked, 8 (trajectory 0, trajectory 3, trajectory 5, ...) did so"), told


def test_a_small_first_step_follows_the_ignition_and_draws_no_warning():
    result, told = _ignition_sweep([1000.0, 1100.0], dt=1e-8, controller="pi")
    assert np.all(result.y[:, -1, 8] > 2000.0) and told == []


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def _oscillator(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * p[0] * y[0]


DECAY = kernels.ODESystem(_decay, 1, 1, name="decay_growth_warning")
OSCILLATOR = kernels.ODESystem(_oscillator, 2, 1, name="oscillator_growth_warning")


@pytest.mark.parametrize("method", ["radau", "rodas5p", "kvaerno5"])
def test_ordinary_runs_draw_no_warning(method):
    """A stiff decay (moves: not judged), an exact equilibrium with a growing mode, a non-stiff oscillator back at
    its start after three periods and a logistic growth followed to its capacity (judged, and found not growing)."""
    cases = [(DECAY, (0.0, 10.0), [[1.0], [2.0]], [[1e4], [1.0]], False),
             (AUTOCATALYSIS, (0.0, 1000.0), [1.0, 0.0], [5.0], True),
             (OSCILLATOR, (0.0, 3.0), [1.0, 0.0], [2.0 * np.pi], True),
             (LOGISTIC, (0.0, 1000.0), [1e-3], [5.0, 10.0], False)]
    for system, span, y0, params, quiet in cases:
        result, told = _solve_warned(system, span, y0, params, method=method, rtol=1e-6, precision=np.float64)
        assert np.all(result.status == kernels.SUCCESS) and told == [], (system.name, told)
        candidates = quiet_successes(result, result.stiffness_probe.growth)[0]
        assert candidates.size == (len(np.atleast_2d(y0)) if quiet else 0), system.name  # judged where quiet


def test_explicit_runs_and_results_without_a_probe_draw_no_warning():
    result, told = _solve_warned(OSCILLATOR, (0.0, 3.0), [1.0, 0.0], [2.0 * np.pi], method="tsit5")
    assert result.success and told == [] and getattr(result.stiffness_probe, "growth", None) is None


def test_the_solve_itself_warns_once():
    rows = [_ignition_inputs(T0) for T0 in (1000.0, 1100.0)]
    with pytest.warns(kernels.SuspectSuccessWarning, match="stepped over") as caught:
        kernels.solve_ivp(H2O2, (0.0, 2e-3), np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
                          method="radau", rtol=1e-4, atol=1e-10, precision=np.float64, progress=False)
    assert sum(STEPPED_OVER in str(w.message) for w in caught) == 1


def test_a_sweeps_row_with_no_seed_draws_no_warning():
    """The SIRS sweep's control row I0 = 0 with waning immunity (f(y0) != 0): its growing mode on I has no seed and
    I stays 0, but the solve warned that trajectory 0 may have stepped over a growth (a regression hunt)."""
    result, told = _solve_warned(SIRS, (0.0, 365.0), SIRS_Y0, method="radau", precision=np.float64, rtol=1e-6,
                                 atol=1e-10)
    assert result.status.tolist() == [kernels.SUCCESS] * 2 and told == [], told
