"""SummaryWarning: an adaptive run whose summaries rest on few accepted steps says so, once a solve; and where it stays
silent (kernels/summary_points.py)."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernel_helpers import kuramoto_rhs
from kernels.summary_points import SUMMARY_MIN_STEPS


def _ramp_rhs(t, y, p, dydt):  # states linear in t: the error estimate is 0 and the steps grow to the span
    dydt[0] = p[0] if p[0] >= 0.0 else math.sqrt(p[0])  # a negative rate: NaN, the trajectory fails


def _sine(t, y, p, o):
    o[0] = math.sin(y[0])


RAMP = kernels.ODESystem(_ramp_rhs, 1, n_params=1, observables=_sine, n_observables=1, name="ramp")
EXACT_MEAN = (1.0 - math.cos(3.0)) / 3.0  # of sin(t) over [0, 3]
STATS = kernels.Summaries(observables=[0], stats=("mean", "max"))


def _said(solve):
    """``(result, texts of the SummaryWarnings solve() raised)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = solve()
    return result, [str(w.message) for w in caught if issubclass(w.category, kernels.SummaryWarning)]


def _ramp(params=((1.0,),), method="tsit5", summaries=STATS, **options):
    options = {"rtol": 1e-6, "atol": 1e-6, **options} if method != "rk4" else options
    return kernels.solve_ivp(RAMP, (0.0, 3.0), [0.0], np.asarray(params), method=method, precision=np.float64,
                             summaries=summaries, save_trajectory=summaries is None, **options)


def test_the_kuramoto_trial_is_warned_and_dt_max_as_told_fixes_it():
    """Kuramoto, N = 4, K = 0: 5 tsit5 steps over [0, 10] at rtol 1e-6, and the time mean of r(t) came out 0.3047
    against 0.3509 with success and no word (a physicist's trial)."""
    n = 4

    def order(t, y, p, o):
        c = 0.0
        s = 0.0
        for i in range(n):
            c += math.cos(y[i])
            s += math.sin(y[i])
        o[0] = math.sqrt(c * c + s * s) / n

    system = kernels.ODESystem(kuramoto_rhs(n), n_states=n, n_params=n + 1, observables=order, n_observables=1)
    w, y0 = np.array([0.126, -0.132, 0.640, 0.105]), np.array([5.1, 2.3, 0.4, 1.9])
    tt = np.linspace(0.0, 10.0, 100001)
    exact = np.trapezoid(np.abs(np.exp(1j * (y0[:, None] + w[:, None] * tt)).mean(0)), tt) / 10.0

    def solve(**options):
        return kernels.solve_ivp(system, (0.0, 10.0), y0, np.r_[0.0, w], method="tsit5", precision=np.float64,
                                 rtol=1e-6, atol=1e-6, summaries=STATS, save_trajectory=False, **options)

    result, said = _said(solve)
    assert result.success and result.n_steps[0] < SUMMARY_MIN_STEPS
    assert abs(result.summaries["mean"][0, 0, 0] / exact - 1) > 0.1  # the defect: 13 % off
    assert len(said) == 1 and "1 of 1 trajectories" in said[0]
    assert f"trajectory 0: {result.n_steps[0]} accepted steps over [0, 10]" in said[0]
    assert "dt_max=0.1 for 100 points" in said[0] and "mean is the trapezoid rule" in said[0]
    result, said = _said(lambda: solve(dt_max=0.1))  # the remedy it names: silent and right
    assert said == [] and abs(result.summaries["mean"][0, 0, 0] / exact - 1) < 1e-3


def test_counts_the_coarse_trajectories_not_the_failed_ones():
    """A negative rate fails its trajectory (a NaN derivative; its own message says so): it is not counted."""
    result, said = _said(lambda: _ramp([[1.0], [2.0], [-1.0]]))
    assert list(result.status[:2]) == [0, 0] and result.status[2] != 0
    assert len(said) == 1 and "the summaries of 2 of 3 trajectories" in said[0]
    assert abs(result.summaries["mean"][0, 0, 0] / EXACT_MEAN - 1) > 0.1  # 8 steps: 23 % off


@pytest.mark.parametrize("per", ["run", "save"])
def test_a_long_stretch_after_clustered_saves_is_warned(per):
    """25 saves in [0, 0.5] and one at 3: 33 steps, at most 8 of them in [0.5, 3]; the run's mean was 8 % off."""
    t_eval = np.r_[np.linspace(0.02, 0.5, 25), 3.0]
    summaries = kernels.Summaries(observables=[0], stats=("mean", "rms", "argmax"), per=per)
    result, said = _said(lambda: _ramp(t_eval=t_eval, summaries=summaries))
    assert result.n_steps[0] >= SUMMARY_MIN_STEPS and len(said) == 1
    assert f"at most {result.n_steps[0] - 25} of its {result.n_steps[0]} accepted steps in [0.5, 3]" in said[0]
    assert "mean and rms are the trapezoid rule over the step points and argmax is taken at them" in said[0]


@pytest.mark.parametrize("case", ["dt_max", "dense_saves", "fixed_step", "final_only", "no_summaries", "failed"])
def test_silent_where_the_summaries_rest_on_enough_steps_or_are_not_step_points(case):
    """dt_max giving the span 30 steps; 101 saves per window (one step a window, each window 0.03 long: right);
    a fixed step (the user's choice); final only (exact); no summaries; a failed trajectory (its own message)."""
    options = {"dt_max": dict(dt_max=0.1),
               "dense_saves": dict(t_eval=np.linspace(0.0, 3.0, 101),
                                   summaries=kernels.Summaries(observables=[0], stats=("mean", "max"), per="save")),
               "fixed_step": dict(method="rk4", dt=0.5),
               "final_only": dict(summaries=kernels.Summaries(observables=[0], stats=("final",))),
               "no_summaries": dict(summaries=None),
               "failed": dict(params=[[-1.0]])}[case]
    result, said = _said(lambda: _ramp(**options))
    assert said == []
    if case == "dense_saves":  # each window's mean is right though it rests on one or two steps
        edges = np.linspace(0.0, 3.0, 101)
        exact = (np.cos(edges[:-1]) - np.cos(edges[1:])) / np.diff(edges)
        np.testing.assert_allclose(result.summaries["mean"][0, 1:, 0], exact, rtol=1e-3)
    if case == "failed":
        assert result.status[0] == kernels.NONFINITE_STATE
    if case == "dt_max":
        assert abs(result.summaries["mean"][0, 0, 0] / EXACT_MEAN - 1) < 1e-3


def test_integrator_solve_warns_once_each_solve():
    """Integrator.solve, the path solve_ivp takes too: one warning a solve, every solve (a sweep's rows differ)."""
    integrator = kernels.Integrator(RAMP, "tsit5", precision=np.float64, summaries=STATS, save_trajectory=False)
    for _ in range(2):
        _, said = _said(lambda: integrator.solve((0.0, 3.0), [0.0], np.ones((4, 1)), rtol=1e-6, atol=1e-6))
        assert len(said) == 1 and "4 of 4 trajectories" in said[0]


def test_warned_once_through_client(client):
    """Through client= each chunk's worker solve checks its rows; the client raises the warning once."""
    integrator = kernels.Integrator(RAMP, "tsit5", precision=np.float64, summaries=STATS, save_trajectory=False)
    _, said = _said(lambda: integrator.solve((0.0, 3.0), [0.0], np.ones((2, 1)), rtol=1e-6, atol=1e-6,
                                             client=client, chunk_size=1))
    assert len(said) == 1 and "trajectory 0:" in said[0] and "2 of 2 chunks" in said[0], said
