"""A float32 solve whose inputs moved since its Integrator's last solve by less than float32 resolves warns once
(kernels/input_resolution.py): SciPy's finite-difference step (1.5e-8 relative) rounded away in float32, the Jacobian
read 0 and least_squares stopped at its start with "xtol termination" and no word (a modeller's trial)."""

import warnings

import numpy as np
import pytest
from numba import cuda

import kernels

_P0 = np.array([0.8, 0.12, 0.06, 1.2])
_T_EVAL = np.linspace(1.0, 10.0, 10)


def _lotka_volterra(t, y, p, dydt):
    dydt[0] = p[0] * y[0] - p[1] * y[0] * y[1]
    dydt[1] = p[2] * y[0] * y[1] - p[3] * y[1]


@pytest.fixture
def lv():
    return kernels.ODESystem(_lotka_volterra, 2, 4, name="lv")  # a new system: new Integrators, no record yet


def _resolution_warnings(calls, precision=np.float32):
    """The resolution warnings of ``calls`` (params rows, or ``(y0, params)`` pairs) solved one after the other."""
    system = kernels.ODESystem(_lotka_volterra, 2, 4, name="lv")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for call in calls:
            y0, params = call if isinstance(call, tuple) else ([10.0, 5.0], call)
            kernels.solve_ivp(system, (0.0, 10.0), y0, params, t_eval=_T_EVAL, precision=precision, progress=False)
    return [str(w.message) for w in record if issubclass(w.category, kernels.PrecisionWarning)
            and "below what float32 resolves" in str(w.message)]


def test_scipys_two_point_step_in_float32_warns_once_with_what_to_do():
    """least_squares' 2-point Jacobian moves one parameter at a time by 1.5e-8 of itself: said at the first such
    solve, once an Integrator."""
    step = np.sqrt(np.finfo(np.float64).eps)
    calls = [_P0] + [_P0 + step * np.abs(_P0) * np.eye(4)[j] for j in range(4)]
    said = _resolution_warnings(calls)
    assert len(said) == 1, said
    assert said[0].startswith("params changed by at most 1.5e-08 relative since this Integrator's last solve")
    assert "about 6e-08" in said[0] and "precision=np.float64" in said[0] and "diff_step=1e-3" in said[0]


def test_a_change_that_rounds_to_the_same_float32_values_says_so():
    said = _resolution_warnings([_P0, _P0 * (1.0 + 1e-9)])
    assert len(said) == 1 and "its float32 values are the same" in said[0], said


def test_y0_moved_below_float32s_resolution_is_named():
    said = _resolution_warnings([([10.0, 5.0], _P0), ([10.0 * (1.0 + 2e-8), 5.0], _P0)])
    assert len(said) == 1 and said[0].startswith("y0 changed by at most 2e-08 relative"), said


@pytest.mark.parametrize("calls", [
    pytest.param([_P0, _P0, _P0.copy()], id="the same call again"),
    pytest.param([_P0, _P0 * (1.0 + 1e-3), _P0 * (1.0 - 1e-3)], id="MCMC steps of 1e-3"),
    pytest.param([_P0, np.vstack([_P0, _P0 * (1.0 + 1e-8)])], id="a new batch shape"),
    pytest.param([_P0, _P0 + np.array([1e-8, 0.0, 0.0, 0.1])], id="one change large"),
])
def test_repeats_and_ordinary_changes_say_nothing(calls):
    assert not _resolution_warnings(calls)


def test_float64_says_nothing():
    assert not _resolution_warnings([_P0, _P0 * (1.0 + 1.5e-8)], precision=np.float64)


def test_device_inputs_are_not_compared_and_a_record_never_fails_a_solve(lv):
    """Device arrays are left alone (not copied back); an input NumPy cannot read fails with the solve's own error."""
    integrator = kernels.Integrator(lv, "tsit5")
    y0 = cuda.to_device(np.array([[10.0, 5.0]], np.float32))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for params in (_P0, _P0 * (1.0 + 1e-9)):
            integrator.solve((0.0, 1.0), y0, cuda.to_device(np.atleast_2d(params).astype(np.float32)))
    assert not [w for w in record if "below what float32 resolves" in str(w.message)]
    with pytest.raises(kernels.ConfigurationError):
        integrator.solve((0.0, 1.0), [10.0, 5.0], ["a", "b", "c", "d"])
    assert integrator.solve((0.0, 1.0), [10.0, 5.0], _P0).success


def test_least_squares_in_float32_is_told_why_it_stopped_at_its_start(lv):
    """The trial's fit: least_squares on float32 solves with float64 residuals (SciPy then steps by 1.5e-8; float32
    residuals get 3.4e-4) ended at its start there, its steps rounded to 0 or an ulp; it is told why at its first
    finite difference."""
    optimize = pytest.importorskip("scipy.optimize")
    data = kernels.solve_ivp(lv, (0.0, 10.0), [10.0, 5.0], [1.0, 0.1, 0.075, 1.5], t_eval=_T_EVAL,
                             progress=False).y[0].astype(np.float64)  # float64 residuals: SciPy steps by 1.5e-8

    def residuals(p):
        return (kernels.solve_ivp(lv, (0.0, 10.0), [10.0, 5.0], p, t_eval=_T_EVAL, progress=False).y[0]
                - data).ravel()

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        optimize.least_squares(residuals, _P0, max_nfev=3)
    assert [w for w in record if issubclass(w.category, kernels.PrecisionWarning)
            and "diff_step=1e-3" in str(w.message)]


def test_a_run_continued_over_the_next_span_or_inputs_given_in_float32_say_nothing():
    """A run continued in chunks from its last state (a new t_span each time) near its steady state moved y0 below
    float32's resolution and was told about fits; np.float32(0.3) then 0.3 read as a change of 4e-8 (a regression
    hunt): another span is another solve, and inputs given in float32 are the solve's values already."""
    system = kernels.ODESystem(_lotka_volterra, 2, 4, name="lv")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        kernels.solve_ivp(system, (0.0, 10.0), [10.0, 5.0], _P0, precision=np.float32, progress=False)
        kernels.solve_ivp(system, (10.0, 20.0), [10.0 * (1.0 + 2e-8), 5.0], _P0, precision=np.float32, progress=False)
        kernels.solve_ivp(system, (10.0, 20.0), [10.0, 5.0], _P0.astype(np.float32), precision=np.float32,
                          progress=False)
        kernels.solve_ivp(system, (10.0, 20.0), [10.0, 5.0], _P0, precision=np.float32, progress=False)
    said = [str(w.message) for w in record if "below what float32 resolves" in str(w.message)]
    assert not said, said


def test_a_solve_refused_after_its_check_is_not_the_one_compared_with():
    """A solve refused after the check (here a save time past the span) was recorded: the next solve, moved by
    1e-9 from the last solve that ran, was compared with the refused one's inputs (1e-3 away) and said nothing (a
    regression hunt); only a solve that went ahead is recorded now."""
    system = kernels.ODESystem(_lotka_volterra, 2, 4, name="lv")
    options = {"precision": np.float32, "progress": False}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        kernels.solve_ivp(system, (0.0, 10.0), [10.0, 5.0], _P0, t_eval=_T_EVAL, **options)
        with pytest.raises(kernels.ConfigurationError):
            kernels.solve_ivp(system, (0.0, 10.0), [10.0, 5.0], _P0 * (1.0 + 1e-3), t_eval=[20.0], **options)
        kernels.solve_ivp(system, (0.0, 10.0), [10.0, 5.0], _P0 * (1.0 + 1e-9), t_eval=_T_EVAL, **options)
    said = [str(w.message) for w in record if "below what float32 resolves" in str(w.message)]
    assert len(said) == 1 and "its float32 values are the same" in said[0], said


def test_the_record_keeps_only_a_committed_solve():
    """InputRecord's two phases: check before the solve, commit once it went ahead; a checked solve not committed
    (refused) leaves the record as the last run left it, and a warning said there is said again at the next."""
    from kernels.input_resolution import InputRecord

    record, span, y0 = InputRecord(), (0.0, 10.0), [10.0, 5.0]
    record.check(y0, _P0, np.float32, span)
    record.commit()
    record.check(y0, _P0 * (1.0 + 1e-3), np.float32, span)  # refused: never committed
    with pytest.warns(kernels.PrecisionWarning, match="below what float32 resolves"):
        record.check(y0, _P0 * (1.0 + 1e-9), np.float32, span)  # against _P0, the last that ran
    with pytest.warns(kernels.PrecisionWarning, match="below what float32 resolves"):
        record.check(y0, _P0 * (1.0 + 1e-9), np.float32, span)  # the warned solve was refused: said again
    record.commit()
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.PrecisionWarning)
        record.check(y0, _P0 * (1.0 + 2e-9), np.float32, span)  # said once an Integrator, of solves that ran
