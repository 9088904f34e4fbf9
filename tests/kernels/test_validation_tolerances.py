"""Bad tolerances and step sizes: refused or warned about with what to do (issue 11 items 1 and 5)."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernel_helpers import GOOD, LORENZ, call
from kernels import ConfigurationError
from kernels import tolerances


# -- tolerances the precision cannot meet (issue 11, item 1) -------------------------------------
@pytest.mark.parametrize("changes", [
    dict(rtol=1e-12, atol=1e-12),                                   # the call: 99983 steps, MAX_STEPS
    dict(rtol=3e-9, atol=3e-9, y0=[1.0, 0.0, 0.0]),                # just below eps32/16 = 7.45e-9 at |y0| = 1
    dict(rtol=5e-9, atol=0.0, y0=[1.0, 0.0, 0.0]),
    dict(rtol=[1e-6, 1e-6, 1e-12], atol=0.0),                      # one component is enough
    dict(rtol=0.0, atol=1e-6, y0=[1e3, 1e3, 1e3]),                 # atol is judged against the state's scale
    dict(rtol=1e-17, atol=0.0, precision=np.float64),              # eps64/16 = 1.39e-17
])
def test_tolerance_beyond_precision_is_refused(changes):
    with pytest.raises(ConfigurationError) as info:
        call(**changes)
    message = str(info.value)
    name = np.dtype(changes.get("precision", np.float32)).name
    for words in ("rtol=", "atol=", f"tighter than {name} can resolve", "loosen the tolerances"):
        assert words in message, words
    # float64 is the widest precision: only float32 runs are told to use it
    assert ("use precision=np.float64" in message) == (name == "float32")
    assert "np.float64(" not in message and "np.float32(" not in message


@pytest.mark.parametrize("changes", [
    dict(rtol=1e-8, atol=1e-8, y0=[1.0, 0.0, 0.0]),                # the peers benchmark: float32, 1e-8
    # pure relative, two components starting at 0, at eps/3 of float32 (below, the float32 error estimate of
    # those components is rounding noise near 1: on the simulator eps/12 never accepted a first step, on the
    # H200, whose step factor uses approximate float32 functions, eps/6 did not; eps/4 took 138 steps there)
    dict(rtol=4e-8, atol=0.0, y0=[1.0, 0.0, 0.0]),
    dict(rtol=1e-6, atol=1e-30),                                    # a negligible atol beside a fine rtol
    dict(rtol=0.0, atol=1e-6, y0=[1.0, 1.0, 1.0]),                 # atol alone, at a scale float32 resolves
    dict(rtol=1e-12, atol=1e-12, precision=np.float64),            # the call in float64: 889 steps
    dict(rtol=1e-12, atol=1e-12, method="rk4", dt=0.01),           # fixed steps ignore tolerances
])
def test_tolerance_within_precision_runs(changes):
    result = call(**changes)
    assert result.success


def test_tolerance_limit_is_a_sixteenth_of_eps():
    """Both sides of the limit, per precision: atol + rtol |y0| against |y0| eps / 16."""
    for dtype in (np.float32, np.float64):
        limit = np.finfo(dtype).eps / 16
        for scale in (1.0, 100.0):
            y0 = np.full((1, 3), scale, dtype=dtype)
            ok = np.full(3, 1.01 * limit, dtype=dtype)
            low = np.full(3, 0.99 * limit, dtype=dtype)
            zero = np.zeros(3, dtype=dtype)
            tolerances.check_tolerance_reachable(ok, zero, y0, dtype, adaptive=True)
            tolerances.check_tolerance_reachable(zero, ok * scale, y0, dtype, adaptive=True)
            with pytest.raises(ConfigurationError):
                tolerances.check_tolerance_reachable(low, zero, y0, dtype, adaptive=True)
            with pytest.raises(ConfigurationError):
                tolerances.check_tolerance_reachable(zero, low * scale, y0, dtype, adaptive=True)
            tolerances.check_tolerance_reachable(low, zero, y0, dtype, adaptive=False)


# -- a fixed step longer than the span (item 5) ---------------------------------------------------
def test_fixed_step_longer_than_span_is_refused():
    with pytest.raises(ConfigurationError) as info:
        call(method="rk4", dt=2.0, t_span=(0.0, 1.0))
    assert str(info.value).startswith("dt=2.0 is longer than the integration span t_end - t0 = 1.0")
    assert "use dt <= 1.0" in str(info.value)
    with pytest.raises(ConfigurationError, match="longer than the integration span"):
        call(method="tsit5", controller="fixed", dt=0.5, t_span=(0.0, 0.1))
    assert call(method="rk4", dt=0.1, t_span=(0.0, 0.1)).success  # exactly the span is one honest step


def test_adaptive_first_step_longer_than_span_is_cut():
    result = call(method="tsit5", dt=5.0, t_span=(0.0, 0.1))
    reference = call(method="tsit5", t_span=(0.0, 0.1))
    assert result.success and result.n_steps[0] > 1
    np.testing.assert_allclose(result.y, reference.y, rtol=1e-4)


def test_pure_relative_tolerance_with_a_zero_component():
    """atol 0 and a component starting at 0: the first-step guess used to divide by zero."""
    result = call(rtol=1e-6, atol=0.0, y0=[1.0, 0.0, 0.0])
    assert result.success and np.all(np.isfinite(result.y))


def test_tolerances_just_above_the_refusal_floor_warn():
    """rtol = atol = 1e-8 in float32 passes the eps/16 floor but asks for errors below eps (20 to 45 tolerances
    off on a smooth system): a ToleranceWarning; 1e-5 does not warn (1e-6 gets the float32 floor's warning)."""
    # (the error's magnitude: 559 tolerances was said, and a diffrax user's Robertson ended 3.06e4 off)
    with pytest.warns(kernels.ToleranceWarning, match=r"rtol=1e-08 and atol=1e-08 ask for errors below float32's "
                                                      r"resolution.*its error can be tens to tens of thousands of "
                                                      r"times the tolerance \(3e4: kvaerno5 on Robertson at rtol "
                                                      r"1e-8 in float32\), with status success; use "
                                                      r"precision=np.float64, or rtol >= 1e-05 \(rounding over "
                                                      r"a run"):  # 1.2e-07 was advised, and a run there ended 75 off
        call(rtol=1e-8, atol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ToleranceWarning)
        call(rtol=1e-5, atol=1e-5)
        call(rtol=1e-8, atol=1e-8, precision=np.float64)


@pytest.mark.parametrize("rtol", [1.0, 2.0, [1e-6, 1e-6, 3.0]])
def test_a_relative_tolerance_of_one_or_more_is_refused(rtol):
    with pytest.raises(ConfigurationError, match="rtol must be below 1"):
        kernels.solve_ivp(**GOOD, params=[10.0, 28.0, 8.0 / 3.0], rtol=rtol, progress=False)


def test_tolerances_given_to_a_fixed_step_explicit_run_are_said_to_do_nothing():
    common = dict(system=LORENZ, t_span=(0.0, 0.02), y0=[1.0, 1.0, 1.0], params=[10.0, 28.0, 8.0 / 3.0],
                  progress=False)
    with pytest.warns(kernels.ToleranceWarning, match=r"rtol and atol have no effect.*'rk4'.*dt=0\.01.*tsit5"):
        kernels.solve_ivp(**common, method="rk4", dt=0.01, rtol=1e-9, atol=1e-9)
    # the value users type most was taken for the default and passed in silence (a user's trial)
    with pytest.warns(kernels.ToleranceWarning, match=r"^rtol has no effect on this run") as record:
        kernels.solve_ivp(**common, method="rk4", dt=0.01, rtol=1e-6)
    # attributed to the user's line, not to the library's (kernels/api.py:529 before), so filters by module act
    assert [w.filename for w in record] == [__file__]
    with pytest.warns(kernels.ToleranceWarning) as record:
        kernels.Integrator(LORENZ, "rk4", "fixed").solve((0.0, 0.02), [1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0],
                                                         dt=0.01, atol=1e-3, progress=False)
    assert [w.filename for w in record] == [__file__]
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ToleranceWarning)
        kernels.solve_ivp(**common, method="rk4", dt=0.01)  # the defaults: nothing said
        kernels.solve_ivp(**common, method="tsit5", rtol=1e-5, atol=1e-5)  # adaptive: they act
        kernels.solve_ivp(**common, method="backward_euler", dt=0.01, rtol=1e-5, atol=1e-5)  # Newton's stop
    # a method with an error estimate run at fixed steps: the adaptive controller is the remedy, not another
    # method (the message listed tsit5 among the methods to use instead of tsit5, a porter's trial)
    with pytest.warns(kernels.ToleranceWarning, match=r"drop rtol, or drop controller='fixed' \(the adaptive "
                                                      r"controller, tsit5's default\) to choose the steps"):
        kernels.solve_ivp(**common, method="tsit5", controller="fixed", dt=0.01, rtol=1e-7)


def test_a_relative_tolerance_below_eps_warns_where_a_state_may_grow_past_what_atol_carries():
    """A porter's trial, float32: y0 = 0 passed the check at y0 on atol alone, and rtol = atol = 1e-9 ended 201
    tolerances off with status success and no word.  An atol that carries the error at magnitudes up to 1
    (atol / (eps - rtol) >= 1) is left alone, as is the same call in float64."""
    with pytest.warns(kernels.ToleranceWarning, match=r"^rtol=1e-09 is below float32's resolution \(eps 1\.2e-07\): "
                                                      r"y\[:, 0\] starts at \|y0\| up to 0, .* grows past 0\.0084"):
        call(rtol=1e-9, atol=1e-9, y0=[0.0, 0.0, 0.0], t_span=(0.0, 0.01))
    with pytest.warns(kernels.ToleranceWarning, match="grows past"):  # y' = y from 1e-3 at 1e-8 / 1e-9: 46 off
        call(rtol=1e-8, atol=1e-9, y0=[1e-3, 1e-3, 1e-3], t_span=(0.0, 0.01))
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ToleranceWarning)
        call(rtol=1e-9, atol=1e-3, y0=[0.0, 0.0, 0.0], t_span=(0.0, 0.01))
        call(rtol=1e-9, atol=1e-9, y0=[0.0, 0.0, 0.0], t_span=(0.0, 0.01), precision=np.float64)
        call(rtol=0.0, atol=1e-6, y0=[0.0, 0.0, 0.0], t_span=(0.0, 0.01))  # atol alone, resolvable up to 8.4
    # absolute control at 1e-7 on states of 0.3 asks float32 for 3.3e-7 relative: the float32 floor's warning
    with pytest.warns(kernels.ToleranceWarning, match=r"^rtol = 0 and atol = 1e-07 ask float32 for 3\.33e-07"):
        call(rtol=0.0, atol=1e-7, y0=[0.3, 0.3, 0.3], t_span=(0.0, 0.01))


def _pendulum(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -9.81 * math.sin(y[0]) - 0.3 * y[1]


@pytest.mark.parametrize("method", ["dop853", "vern7", "tsit5", "rodas5p"])
def test_float32_below_its_floor_warns(method):
    """Users' trials: in float32 at rtol 1e-6 (then the default) dop853 ended 4.7 tolerances off, vern7 6.6, tsit5
    8.7 on Hodgkin-Huxley and rodas5p 21.6 on SIR, with success and no warning (one fired only below eps, while
    its advice said rtol >= 1.2e-5); float64, rtol 1e-5 and the defaults (float32's default rtol is 1e-5) say
    nothing."""
    system = kernels.ODESystem(_pendulum, 2, name="pendulum")
    args = dict(t_span=(0.0, 0.5), y0=[1.0, 0.0], progress=False)
    extra = rf" \({method} is a method for tight tolerances: in float32 take tsit5\)$" if method[0] in "dv" else "$"
    with pytest.warns(kernels.ToleranceWarning, match=r"^rtol = 1e-06 and atol = 1e-06 ask float32 for 2e-06 "
                                                      r"relative on y\[:, 0\] \(at \|y\| = 1\), "
                                                      r"more than it keeps.*or tolerances of at least 1e-05 relative "
                                                      r"to the states \(rtol >= 1e-05, atol >= 1e-05 \|y\|\)" + extra):
        kernels.solve_ivp(system, method=method, rtol=1e-6, atol=1e-6, **args)
    # atol counts: on a state of order 1, absolute control at 1e-6 asks as much (dop853: 127 tolerances off)
    with pytest.warns(kernels.ToleranceWarning, match=r"^rtol = 0 and atol = 1e-06 ask float32 for 1e-06 relative "
                                                      r"on y\[:, 0\] \(at \|y\| = 1\)"):
        kernels.solve_ivp(system, method=method, rtol=0.0, atol=1e-6, **args)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ToleranceWarning)
        kernels.solve_ivp(system, method=method, precision=np.float64, rtol=1e-6, atol=1e-6, **args)
        kernels.solve_ivp(system, method=method, rtol=1e-5, atol=1e-5, **args)
        kernels.solve_ivp(system, method=method, rtol=0.0, atol=1e-4, **args)  # absolute control, loose enough
        kernels.solve_ivp(system, method=method, t_span=(0.0, 0.5), y0=[1.0, 0.5], rtol=1e-6, atol=1e-3,
                          progress=False)  # atol dominates where the states are (float32 = float64 there)
        kernels.solve_ivp(system, method=method, **args)


def test_the_default_rtol_follows_the_precision():
    """Not given, rtol is 1e-5 in float32 and 1e-6 in float64, atol 1e-6: the same steps as those given."""
    system = kernels.ODESystem(_pendulum, 2, name="pendulum")
    for precision, rtol, other in ((np.float32, 1e-5, 1e-6), (np.float64, 1e-6, 1e-5)):
        args = dict(t_span=(0.0, 1.0), y0=[1.0, 0.0], precision=precision, progress=False)
        default = kernels.solve_ivp(system, **args)
        given = kernels.solve_ivp(system, rtol=rtol, atol=1e-6, **args)
        assert np.array_equal(default.y, given.y) and np.array_equal(default.n_steps, given.n_steps)
        assert not np.array_equal(default.n_steps, kernels.solve_ivp(system, rtol=other, atol=1e-6, **args).n_steps)


def _seasonal(t, y, p, dydt):
    dydt[0] = -y[0] + math.sin(p[0] * t)


SEASONAL = kernels.ODESystem(_seasonal, 1, 1, name="seasonal")


def _ramp(t, y, p, dydt):
    dydt[0] = p[0] * t


RAMP = kernels.ODESystem(_ramp, 1, 1, name="ramp")


def _epoch_forcing(t, y, p, dydt):
    dydt[0] = -0.01 * y[0] + 0.01 * math.sin(p[1] * (t - p[0]))


def test_an_epoch_held_in_float32_params_warns_with_its_own_remedy():
    """A Julian-date epoch in params (2460123.37, 0.12 days off in float32) is as lossy from t = 0, which the
    far-time check compared with and said nothing: the run ended 734 tolerances off (an astronomer's trial)."""
    system = kernels.ODESystem(_epoch_forcing, 1, 2, name="epoch_forcing")
    with pytest.warns(kernels.ToleranceWarning, match=r"An offset of t held in params or a literal \(an epoch in "
                                                      r"t - p\[k\]\) is rounded from 0 too: measure the times"):
        kernels.solve_ivp(system, (2460000.5, 2460365.75), [1.0], [2460123.37, 0.2301], method="dop853",
                          progress=False)


def _slow_forcing(t, y, p, dydt):
    dydt[0] = -0.1 * y[0] + math.cos(t / 1000.0)


def test_a_float32_run_far_from_t_zero_with_a_time_dependent_rhs_warns():
    """A user's trial: a seasonal model from t = 7.4e5 days, its frequency in params, float32 at rtol 1e-5: 34 to 75
    tolerances off with success (p[0] * t is a float64 product, but p[0] holds float32's rounding)."""
    args = dict(y0=[1.0], params=[[2.0 * math.pi / 365.0]], rtol=1e-5, atol=1e-5, progress=False)
    with pytest.warns(kernels.ToleranceWarning, match=r"^t reaches 7\.38e\+05 in this float32 run over a span of 10, "
                                                      r"and rhs depends on t through coefficients float32 rounds .* "
                                                      r"Start the time at 0"):
        kernels.solve_ivp(SEASONAL, (738000.0, 738010.0), **args)
    # the first trajectory without a frequency, the second with: the second is looked at too (a regression hunt)
    with pytest.warns(kernels.ToleranceWarning, match=r"they change trajectory 1's dydt"):
        kernels.solve_ivp(SEASONAL, (738000.0, 738010.0), **dict(args, params=[[0.0], [2.0 * math.pi / 365.0]]))
    # a frequency float32 holds exactly changes nothing there (tests/kernels/test_large_t0.py runs one to 1
    # tolerance), nor does rounding that t is not in, which the run from 0 has as much of
    exact = dict(args, params=[[3.0]])
    untimed = kernels.ODESystem(_slow_forcing, 1, name="slow_forcing")
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ToleranceWarning)
        kernels.solve_ivp(SEASONAL, (738000.0, 738010.0), **exact)
        # a load rising as p[0] * t: rounding p[0] is a relative change its growing solution follows (a regression
        # hunt: warned of 1.5e4 tolerances at the tolerance of y0 = 0; the run ended 0.009 off)
        kernels.solve_ivp(RAMP, (1e6, 1e6 + 10.0), [0.0], [[0.1]], rtol=1e-5, atol=1e-6, progress=False)
        kernels.solve_ivp(untimed, (2e6, 2e6 + 2e4), [1.0], rtol=1e-5, atol=1e-5, dt=1.0, max_steps=10,
                          progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ToleranceWarning)
        kernels.solve_ivp(SEASONAL, (0.0, 10.0), **args)  # the same span from 0
        kernels.solve_ivp(SEASONAL, (738000.0, 738010.0), **args, precision=np.float64)
        kernels.solve_ivp(LORENZ, (738000.0, 738000.1), [1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0], rtol=1e-5,
                          atol=1e-5, progress=False)  # autonomous: t enters nowhere


def test_float32_tolerances_a_fixed_step_newton_cannot_meet_are_refused():
    # Fixed-step radau in float32 at rtol = atol = 1e-12 (the README's advice for convergence studies, in
    # float64) ended NEWTON_NOT_CONVERGED with NaN states and no word, where the adaptive run is refused (a
    # numerical analyst's trial); the Newton iteration of fixed steps stops by the tolerances too
    def decay(t, y, p, dydt):
        dydt[0] = -y[0]

    system = kernels.ODESystem(decay, 1, name="decay")
    for method in ("radau", "sdirk4"):
        with pytest.raises(kernels.ConfigurationError, match=r"tighter than float32 can resolve.*so Newton's "
                                                             r"iteration, which stops by them on these fixed steps"):
            kernels.solve_ivp(system, (0.0, 0.1), [1.0], method=method, controller="fixed", dt=0.05, rtol=1e-12,
                              atol=1e-12, progress=False)


def test_an_adaptive_radau_keeping_its_factor_below_1e_11_warns():
    def decay(t, y, p, dydt):
        dydt[0] = -y[0] + math.sin(t)

    system = kernels.ODESystem(decay, 1, name="forced_decay")
    args = dict(method="radau", precision=np.float64, rtol=1e-12, atol=1e-12, progress=False)
    with pytest.warns(kernels.ToleranceWarning, match=r"keeps its factored iteration matrix.*reuse_factor': False"):
        kernels.solve_ivp(system, (0.0, 1e-3), [1.0], **args)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ToleranceWarning)
        kernels.solve_ivp(system, (0.0, 1e-3), [1.0], solver={"reuse_factor": False}, **args)
        kernels.solve_ivp(system, (0.0, 1e-3), [1.0], **dict(args, rtol=1e-10, atol=1e-10))


def _forced(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -0.1 * y[1] - y[0] + p[0] * math.cos(p[1] * (t - p[2]))


FORCED = kernels.ODESystem(_forced, 2, 3, name="forced_far_time")


def _far_time_words(params, t_span):
    """The far-from-t=0 ToleranceWarning's words for a float32 solve at rtol 1e-7, raised as an error so that the
    solve stops before its launch (the rtol floor's warning, which comes first, is ignored)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.filterwarnings("error", message="t reaches", category=kernels.ToleranceWarning)
        with pytest.raises(kernels.ToleranceWarning) as caught:
            kernels.solve_ivp(FORCED, t_span, [0.0, 0.0], params, rtol=1e-7, atol=1e-9, progress=False)
    return str(caught.value)


def test_a_frequency_over_a_span_from_zero_is_not_told_the_epochs_remedy():
    """cos(1.1 t) over [0, 300] in float32 at rtol 1e-7 was told "(5.4e+02 with the span started at 0) ... an
    epoch in t - p[k] ... measure the times from it", though the span starts at 0 and holds no epoch (a mechanical
    engineer's trial); an epoch in params (t - p[2] with p[2] = 2460123.37) still gets its remedy."""
    text = _far_time_words([0.3, 1.1, 0.0], (0.0, 300.0))
    assert "with the span started at 0" not in text and "epoch in t - p[k]" not in text, text
    assert text.endswith("Here the span starts at 0 and rhs holds no offset of t (an epoch) to take out: the "
                         "rounding grows with t itself (a frequency p[k] * t), so use precision=np.float64, or a "
                         "looser rtol or a shorter span"), text
    epoch = _far_time_words([0.3, 1.1, 2460123.37], (0.0, 300.0))
    assert "An offset of t held in params or a literal (an epoch in t - p[k]) is rounded from 0 too" in epoch
