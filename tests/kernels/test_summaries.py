"""Running summaries: computed in the loop, equal to the same statistics of the stored trajectory.

Fixed steps that land on every save make the saved trajectory the loop's step points, so the
trapezoid statistics of NumPy over it must agree to float64 rounding.  Adaptive runs are checked
against a SciPy dense solution: the trapezoid rule over the accepted steps is then the only error.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kernels
from kernels import ConfigurationError, Summaries

CHAIN = kernels.oscillator_chain(1)  # states (x, v), observable: energy
PARAMS = [1.0, 0.3]
Y0 = [1.0, 0.0]
STATS = ("mean", "min", "max", "rms", "argmax", "final")


def _reference(t, values):
    """The documented statistics of ``values`` (n_points, n_quantities) at times ``t``."""
    span = t[-1] - t[0]
    integrate = (lambda v: np.sum(np.diff(t)[:, None] * (v[1:] + v[:-1]) / 2, axis=0))
    if span > 0:
        mean, rms = integrate(values) / span, np.sqrt(integrate(values ** 2) / span)
    else:
        mean, rms = values[0], np.abs(values[0])
    return {"mean": mean, "min": values.min(axis=0), "max": values.max(axis=0), "rms": rms,
            "argmax": t[np.argmax(values, axis=0)], "final": values[-1]}


def _dense_fixed(span=(0.0, 0.6), dt=0.02):
    t_eval = np.linspace(span[0], span[1], int(round((span[1] - span[0]) / dt)) + 1)
    res = kernels.solve_ivp(CHAIN, span, Y0, PARAMS, method="rk4", dt=dt, t_eval=t_eval, precision=np.float64)
    assert res.success
    return t_eval, np.concatenate([res.y[0], res.observables[0]], axis=1)


@pytest.mark.parametrize("per", ["run", "save"])
def test_fixed_step_summaries_equal_numpy_on_the_saved_trajectory(per):
    t_dense, values = _dense_fixed()
    saves = t_dense[::10].copy()  # windows of 10 steps: 0, 0.2, 0.4, 0.6
    summaries = Summaries(states=[1, 0], observables=[0], stats=STATS, per=per)
    res = kernels.solve_ivp(CHAIN, (0.0, 0.6), Y0, PARAMS, method="rk4", dt=0.02, t_eval=saves,
                            precision=np.float64, summaries=summaries, save_trajectory=False)
    assert res.success and res.y is None and res.observables is None
    values = values[:, [1, 0, 2]]
    if per == "run":
        windows = [(0, len(t_dense))]
    else:  # the first window is the save at t0 (no length), then one per save interval
        windows = [(0, 1)] + [(10 * (k - 1), 10 * k + 1) for k in range(1, len(saves))]
    assert res.summaries["mean"].shape == (1, len(windows), 3)
    for w, (lo, hi) in enumerate(windows):
        expected = _reference(t_dense[lo:hi], values[lo:hi])
        for stat in STATS:
            np.testing.assert_allclose(res.summaries[stat][0, w], expected[stat], rtol=1e-12, atol=1e-14,
                                       err_msg=f"{stat}, window {w}")


def test_adaptive_summaries_match_scipy_dense_solution():
    """Tsit5 at rtol 1e-8: the trapezoid over accepted steps against a fine quadrature of SciPy's solution.

    Stated tolerances: mean and rms within 2e-4 (the trapezoid's h^2 error at these steps: 2e-5 measured),
    max over step points within 1e-3 (h^2 |v''| / 8), the time of the maximum within two mean steps.
    The velocity's maximum is inside the span, so max and argmax are not the initial values.
    """
    from scipy.integrate import solve_ivp

    span = (0.0, 8.0)
    summaries = Summaries(states=[0, 1], observables=[0], stats=("mean", "rms", "max", "argmax", "final"))
    res = kernels.solve_ivp(CHAIN, span, Y0, PARAMS, method="tsit5", rtol=1e-8, atol=1e-10, precision=np.float64,
                            summaries=summaries)
    assert res.success
    sol = solve_ivp(CHAIN.host_rhs(np.asarray(PARAMS)), span, Y0, method="DOP853", rtol=1e-12, atol=1e-12,
                    dense_output=True)
    t = np.linspace(*span, 200_001)
    x = sol.sol(t)
    values = np.stack([x[0], x[1], 0.5 * x[1] ** 2 + x[0] ** 2], axis=1)  # energy: one mass, two springs
    expected = _reference(t, values)
    np.testing.assert_allclose(res.summaries["final"][0, 0], values[-1], atol=1e-6)
    for stat, tol in (("mean", 2e-4), ("rms", 2e-4), ("max", 1e-3)):
        np.testing.assert_allclose(res.summaries[stat][0, 0], expected[stat], atol=tol, err_msg=stat)
    assert 0.5 < expected["argmax"][1] < 7.5
    mean_step = (span[1] - span[0]) / int(res.n_steps[0])
    np.testing.assert_allclose(res.summaries["argmax"][0, 0], expected["argmax"], atol=2 * mean_step)


def test_summaries_of_a_failed_run_are_nan():
    res = kernels.solve_ivp(CHAIN, (0.0, 1.0), Y0, PARAMS, method="rk4", dt=0.01, max_steps=50,
                            t_eval=[0.25, 0.5, 0.75, 1.0], precision=np.float64,
                            summaries=Summaries(states=[0], stats=("mean", "max"), per="save"))
    assert int(res.status[0]) == kernels.MAX_STEPS
    means = res.summaries["mean"][0, :, 0]
    assert np.all(np.isfinite(means[:2])) and np.all(np.isnan(means[2:]))


@pytest.mark.parametrize("kwargs, words", [
    (dict(states=[0], stats=("mean", "median")), "stats"),
    (dict(states=[0], stats=("mean", "mean")), "stats"),
    (dict(states=[0], per="step"), "per"),
    (dict(states=[-1]), "states"),
    (dict(), "at least one"),
])
def test_bad_summaries_are_refused(kwargs, words):
    with pytest.raises(ConfigurationError, match=words):
        Summaries(**kwargs)


@pytest.mark.parametrize("summaries, words", [
    (Summaries(states=[2]), "states index 2"),
    (Summaries(states=[0], observables=[1]), "observables index 1"),
    ("mean", "kernels.Summaries"),
])
def test_summaries_out_of_range_for_the_system_are_refused(summaries, words):
    with pytest.raises(ConfigurationError, match=words):
        kernels.solve_ivp(CHAIN, (0.0, 0.1), Y0, PARAMS, method="rk4", dt=0.05, summaries=summaries)


def test_save_trajectory_false_needs_something_to_keep():
    with pytest.raises(ConfigurationError, match="save_trajectory"):
        kernels.solve_ivp(CHAIN, (0.0, 0.1), Y0, PARAMS, method="rk4", dt=0.05, save_trajectory=False)


def test_summary_accumulators_are_planned_buffers():
    plan = kernels.plan_for(CHAIN, "tsit5", block_size=1, plan="local",
                            summaries=Summaries(states=[0, 1], observables=[0], stats=("mean", "argmax")))
    sizes = {b.name: b.size_elems for b in plan.buffers}
    # prev, integral and its lost rounding, max, time of max for each of three quantities
    assert sizes["loop.summaries.accumulators"] == 15
    assert sizes["loop.summaries.observables"] == 1


def _step_times(saves, dt):
    """The fixed-step loop's step points from 0: ``a + j dt`` in each save interval ``[a, b]``, then ``b``."""
    t, a = [0.0], 0.0
    for b in saves:
        n = int(np.ceil((b - a) / dt - 1e-9))
        t += [a + j * dt for j in range(1, n)] + [b]
        a = b
    return np.array(t)


@pytest.mark.parametrize("method", ["rk4", "sdirk4"])
@pytest.mark.parametrize("precision, tol", [(np.float64, 1e-7), (np.float32, 2e-6)])
@pytest.mark.parametrize("per", ["run", "save"])
def test_fixed_step_summaries_with_a_short_landing_step(per, precision, tol, method):
    """dt = 0.03 does not divide the save interval 0.25: eight steps of dt, then one of 0.01 lands on the save.

    Against the NumPy trapezoid (and min, max) over the same step points of a SciPy DOP853 solution
    (rtol 1e-12): stated tolerance 1e-7 in float64 (the methods' own error at dt = 0.03: 3e-8 measured),
    2e-6 in float32 (its rounding: 1e-6 measured).  Without argmax, max is one ``max``.  An explicit
    method sums its runs of equal steps without the previous value and corrects at the landing step
    (kernels.summaries); an implicit one (sdirk4: one call site) adds the trapezoid a step.  A wrong
    landing correction is off by about dt (v_0 - v_m) / 2 / 0.25, 1e-2.
    """
    from scipy.integrate import solve_ivp

    saves, dt = np.array([0.25, 0.5, 0.75, 1.0]), 0.03
    stats = ("mean", "min", "max", "rms", "final")
    summaries = Summaries(states=[0, 1], observables=[0], stats=stats, per=per)
    res = kernels.solve_ivp(CHAIN, (0.0, 1.0), Y0, PARAMS, method=method, controller="fixed", dt=dt, t_eval=saves,
                            precision=precision, summaries=summaries, save_trajectory=False)
    assert res.success
    t = _step_times(saves, dt)
    assert int(res.n_steps[0]) == len(t) - 1 == 36
    sol = solve_ivp(CHAIN.host_rhs(np.asarray(PARAMS)), (0.0, 1.0), Y0, method="DOP853", rtol=1e-12, atol=1e-12,
                    dense_output=True)
    x = sol.sol(t)
    values = np.stack([x[0], x[1], 0.5 * x[1] ** 2 + x[0] ** 2], axis=1)
    ends = [0] + [int(np.searchsorted(t, b)) for b in saves]
    windows = [(0, ends[-1] + 1)] if per == "run" else [(a, b + 1) for a, b in zip(ends[:-1], ends[1:])]
    assert res.summaries["mean"].shape == (1, len(windows), 3)
    for w, (lo, hi) in enumerate(windows):
        expected = _reference(t[lo:hi], values[lo:hi])
        for stat in stats:
            np.testing.assert_allclose(res.summaries[stat][0, w], expected[stat], rtol=0, atol=tol,
                                       err_msg=f"{stat}, window {w}")


def test_min_and_max_without_argmax_are_over_the_step_points():
    """A decaying oscillation whose extremes are inside the window: min and max of the saved step points."""
    t_dense, values = _dense_fixed(span=(0.0, 6.0), dt=0.05)
    summaries = Summaries(states=[0, 1], stats=("min", "max"), per="run")
    res = kernels.solve_ivp(CHAIN, (0.0, 6.0), Y0, PARAMS, method="rk4", dt=0.05, t_eval=[6.0],
                            precision=np.float64, summaries=summaries, save_trajectory=False)
    assert res.success
    np.testing.assert_allclose(res.summaries["min"][0, 0], values[:, :2].min(axis=0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res.summaries["max"][0, 0], values[:, :2].max(axis=0), rtol=1e-12, atol=1e-14)
    assert res.summaries["max"][0, 0, 1] > 0 > res.summaries["min"][0, 0, 0]  # not the initial values


def _sampled_reference(t, values, every, windows, saves):
    """The statistics over the step points whose index is a multiple of ``every`` or a save, plus the window's start."""
    out = []
    for lo, hi in windows:  # step-point indices [lo, hi] of one window
        keep = [lo] + [i for i in range(lo + 1, hi + 1) if i % every == 0 or i in saves]
        out.append(_reference(t[keep], values[keep]))
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(every=st.integers(1, 13), cuts=st.sets(st.integers(1, 29), max_size=4), per=st.sampled_from(["run", "save"]))
def test_sampled_summaries_are_the_statistics_of_every_kth_step_point(every, cuts, per):
    """``Summaries(every=k)``: statistics over the step points whose count is a multiple of k and the save times
    (to float64 rounding: the samples are the same step points as the saved trajectory's)."""
    t_dense, values = _dense_fixed()  # 30 steps of 0.02
    ends = sorted(cuts | {30})
    saves = t_dense[ends]
    summaries = Summaries(states=[1, 0], observables=[0], stats=STATS, per=per, every=every)
    res = kernels.solve_ivp(CHAIN, (0.0, 0.6), Y0, PARAMS, method="rk4", dt=0.02, t_eval=saves,
                            precision=np.float64, summaries=summaries, save_trajectory=False)
    assert res.success and int(res.n_steps[0]) == 30
    windows = [(0, 30)] if per == "run" else list(zip([0] + ends[:-1], ends))
    expected = _sampled_reference(t_dense, values[:, [1, 0, 2]], every, windows, set(ends))
    for w, want in enumerate(expected):
        for stat in STATS:
            np.testing.assert_allclose(res.summaries[stat][0, w], want[stat], rtol=1e-12, atol=1e-14,
                                       err_msg=f"{stat}, window {w}, every {every}")


def test_sampled_summaries_differ_from_every_step():
    """every=4 leaves out step points: its mean and max are not the every-step ones (the test above can fail)."""
    runs = [kernels.solve_ivp(CHAIN, (0.0, 0.6), Y0, PARAMS, method="rk4", dt=0.02, precision=np.float64,
                              summaries=Summaries(states=[1], stats=("mean", "max"), every=every),
                              save_trajectory=False) for every in (1, 4)]
    assert abs(runs[0].summaries["mean"][0, 0, 0] - runs[1].summaries["mean"][0, 0, 0]) > 1e-4


@pytest.mark.parametrize("every", [0, -2, 1.5, True, "10"])
def test_bad_every_is_refused(every):
    with pytest.raises(ConfigurationError, match="every must be an integer"):
        Summaries(states=[0], every=every)


@pytest.mark.parametrize("method, options, words", [
    ("tsit5", dict(rtol=1e-6), "adaptive"),
    ("sdirk4", dict(controller="fixed", dt=0.05), "implicit"),
    ("rk4", dict(dt=0.05, events=kernels.Event(lambda t, y, p: y[0])), "events"),
])
def test_sampling_where_the_loop_updates_every_step_is_refused(method, options, words):
    summaries = Summaries(states=[0], stats=("mean",), every=5)
    with pytest.raises(ConfigurationError, match=f"every=5.*{words}.*leave every=1"):
        kernels.solve_ivp(CHAIN, (0.0, 0.1), Y0, PARAMS, method=method, summaries=summaries, **options)


@pytest.mark.parametrize("precision", [np.float32, np.float64])
def test_argmax_keeps_the_steps_resolution_far_from_t_zero(precision):
    """A float32 run from t0 = 738000 (days since year 0) gave peak times rounded to 1/16 (49.875 for 49.9): the
    time was kept in the working precision.  It is kept from t0 and given back in float64."""
    t0, dt = 738000.0, 0.01
    summaries = Summaries(states=[0, 1], stats=("argmax",))
    near = kernels.solve_ivp(CHAIN, (0.0, 8.0), Y0, PARAMS, method="rk4", dt=dt, precision=precision,
                             summaries=summaries)
    far = kernels.solve_ivp(CHAIN, (t0, t0 + 8.0), Y0, PARAMS, method="rk4", dt=dt, precision=precision,
                            summaries=summaries)
    assert far.summaries["argmax"].dtype == np.float64
    np.testing.assert_allclose(far.summaries["argmax"] - t0, near.summaries["argmax"], atol=1e-6)
    assert 3.0 < near.summaries["argmax"][0, 0, 1] < 7.0  # the velocity's peak is inside the span


@pytest.mark.parametrize("states", [[0], [0, 1]])  # 2 sums compensated every step, 4 folded in blocks (fixed steps)
@pytest.mark.parametrize("method, options", [("rk4", {"dt": 0.0025}), ("tsit5", {"dt_max": 0.0025})])
def test_float32_mean_and_rms_do_not_drift_with_the_number_of_steps(method, options, states):
    """8000 steps of a constant state (0.7) in float32: mean and rms within 4 eps of 0.7.

    Summed plainly, each addition rounds at the running sum's magnitude and the error grows with the
    steps (rk4: 2e-6 and 4e-5 relative here); the compensated sums stay at one rounding.  Fixed steps
    (the telescoped sum of dt v, added to the compensated sum a block of steps at a time) and adaptive ones (the
    trapezoid a step, compensated a step) are both covered.
    """
    res = kernels.solve_ivp(CHAIN, (0.0, 20.0), [0.7, 0.0], [0.0, 0.0], method=method, t_eval=[20.0],
                            precision=np.float32, save_trajectory=False, progress=False,
                            summaries=Summaries(states=states, stats=("mean", "rms")), **options)
    assert res.success and 8000 <= int(res.n_steps[0]) <= 8010  # tsit5: a few short steps at the start
    assert kernels.summaries.folds_in_blocks(Summaries(states=states, stats=("mean", "rms"))) is (len(states) == 2)
    for stat in ("mean", "rms"):
        assert abs(res.summaries[stat][0, 0, 0] / np.float32(0.7) - 1) <= 4 * np.finfo(np.float32).eps, stat


@pytest.mark.parametrize("options", [dict(method="tsit5", rtol=1e-5), dict(method="rk4", dt=0.01)])
def test_a_sum_that_overflows_is_inf_not_nan(options):
    """The compensated sum's lost part became inf - inf = NaN once the sum overflowed, and NaN reads as a window not
    finished (a regression hunt: rms of a constant 1e20 in float32); fixed steps add blocks of steps."""
    res = kernels.solve_ivp(CHAIN, (0.0, 1.0), [1e20, 0.0], [0.0, 0.0], t_eval=[1.0], precision=np.float32,
                            save_trajectory=False, progress=False, summaries=Summaries(states=[0], stats=("mean", "rms")),
                            **options)
    assert res.success
    assert abs(res.summaries["mean"][0, 0, 0] / np.float32(1e20) - 1) <= 4 * np.finfo(np.float32).eps
    assert np.isinf(res.summaries["rms"][0, 0, 0])


def _osc(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -y[0]


def test_a_count_or_std_stat_is_pointed_to_what_gives_it_and_the_pointers_work():
    """stats=("count",) and ("std",) were refused with the list of names alone (a neuroscientist's trial): the
    message says how to get each, and both ways give the right value (cos over one period: std 1 / sqrt 2, one upward
    crossing of 0.5).  A name with no other way keeps the list alone."""
    with pytest.raises(ConfigurationError, match=r"for 'count', count threshold crossings with a non-terminal event, "
                                                 r"events=kernels\.Event\(.*result\.event_count\[:, k\]"):
        Summaries(states=[0], stats=("count",))
    with pytest.raises(ConfigurationError, match=r"for 'std', add \"mean\" and \"rms\" to stats and take "
                                                 r"np\.sqrt\(np\.maximum\(s\[\"rms\"\]\*\*2 - s\[\"mean\"\]\*\*2, 0\)\)"):
        Summaries(states=[0], stats=("mean", "std"))
    with pytest.raises(ConfigurationError) as refused:
        Summaries(states=[0], stats=("median",))
    assert str(refused.value).endswith("got ['median']")
    system = kernels.ODESystem(_osc, 2, name="osc_std")
    res = kernels.solve_ivp(system, (0.0, 2 * np.pi), [1.0, 0.0], method="tsit5", precision=np.float64, rtol=1e-10,
                            atol=1e-10, dt_max=0.01, summaries=Summaries(states=[0], stats=("mean", "rms")),
                            events=kernels.Event(lambda t, y, p: y[0] - 0.5, direction=1), save_trajectory=False,
                            progress=False)
    s = res.summaries
    assert np.sqrt(np.maximum(s["rms"]**2 - s["mean"]**2, 0))[0, 0, 0] == pytest.approx(np.sqrt(0.5), rel=1e-6)
    assert res.event_count[0, 0] == 1


@pytest.mark.parametrize("name", ["ptp", "amplitude", "range", "peak_to_peak"])
def test_a_peak_to_peak_stat_is_pointed_to_max_minus_min_over_a_late_window(name):
    """stats=("ptp",) and ("amplitude",) were refused with the list of names alone (a biologist's trial): the message
    says to take max - min, over [t_cut, t_end] as window 1 of per="save", and that gives the amplitude of cos there."""
    with pytest.raises(ConfigurationError) as refused:
        Summaries(states=[0], stats=(name,))
    message = str(refused.value)
    assert (f"for {name!r}, keep \"min\" and \"max\" (stats=(\"min\", \"max\")) and take s[\"max\"] - s[\"min\"]"
            in message), message
    assert "per=\"save\" and t_eval=[t_cut, t_end]: window 1 is [t_cut, t_end], s[\"max\"][:, 1] - s[\"min\"][:, 1]" \
        in message
    if name != "ptp":
        return
    system = kernels.ODESystem(_osc, 2, name="osc_ptp")
    t_cut, t_end = 1.5 * np.pi, 2.5 * np.pi  # cos from 0 up to 1 and back to 0: max - min is 1 there, 2 over the run
    res = kernels.solve_ivp(system, (0.0, t_end), [1.0, 0.0], t_eval=[t_cut, t_end], method="tsit5",
                            precision=np.float64, rtol=1e-10, atol=1e-10, dt_max=0.001, save_trajectory=False,
                            summaries=Summaries(states=[0], stats=("min", "max"), per="save"), progress=False)
    s = res.summaries
    assert (s["max"][:, 1] - s["min"][:, 1])[0, 0] == pytest.approx(1.0, abs=1e-5)
