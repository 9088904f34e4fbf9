"""The non-finite rhs hint: a failed trajectory's message names where along its path the rhs stopped being finite."""

import math
import re
import warnings

import numpy as np
import pytest

import kernels
from kernels.status_messages import FLOAT32_RANGE_NOTE
from kernels.rhs_hint import ProbeChain, chain


def _time_limited(t, y, p, dydt):  # sqrt of a negative number from t = 1.2 on
    dydt[0] = -p[0] * (y[0] - math.cos(t)) + math.sqrt(1.2 - t)
    dydt[1] = -2.0 * y[1]


def _draining(t, y, p, dydt):  # y0 reaches 0 at t = 2 (y0 = 1): a solver's step below 0 takes sqrt of a negative
    dydt[0] = -math.sqrt(y[0])
    dydt[1] = -y[1]


TIME_LIMITED = kernels.ODESystem(_time_limited, n_states=2, n_params=1, name="time_limited", default_params=[50.0])
DRAINING = kernels.ODESystem(_draining, n_states=2, n_params=0, name="draining")


def _time_in(message):
    return float(message.split("at t = ")[-1].split(",")[0])


@pytest.mark.parametrize("method", ["tsit5", "radau", "rodas4"])
def test_a_term_of_t_past_its_domain_is_named_with_its_time(method):
    res = kernels.solve_ivp(TIME_LIMITED, (0.0, 2.0), [1.0, 1.0], method=method, rtol=1e-6, atol=1e-8)
    assert not res.success
    message = res.message(0)
    assert "The system's rhs raised ValueError (math domain error) at t = " in message, message
    assert abs(_time_in(message) - 1.2) < 1e-6
    assert FLOAT32_RANGE_NOTE not in message  # the cause is named: float32's range is not it


def test_a_state_that_leaves_the_domain_is_named_near_where_it_does():
    res = kernels.solve_ivp(DRAINING, (0.0, 4.0), [1.0, 1.0], method="tsit5", rtol=1e-6, atol=1e-8)
    assert res.status[0] == kernels.Status.NONFINITE_STATE
    message = res.message(0)
    assert "The system's rhs raised ValueError (math domain error)" in message, message
    assert 1.8 < _time_in(message) < 2.2


def _tank(t, y, p, dydt):  # a draining tank and a fast follower: sqrt(y0) goes negative at t = 2.02 (p = 1)
    dydt[0] = -p[0] * math.sqrt(y[0])
    dydt[1] = -1000.0 * (y[1] - y[0])


def _tank_jac(t, y, p, J):
    J[0] = -0.5 * p[0] / math.sqrt(y[0])
    J[1] = 0.0
    J[2] = 1000.0
    J[3] = -1000.0


def test_a_singular_matrix_where_the_rhs_leaves_its_domain_is_named_too():
    """A user's trial: radau, kvaerno5 and sdirk4 ended the tank with SINGULAR_MATRIX and no time or cause,
    where rodas5p's NONFINITE_STATE named the sqrt at t = 2.02; the rhs hint now explains SINGULAR_MATRIX too."""
    tank = kernels.ODESystem(_tank, 2, 1, name="tank", jac=_tank_jac)
    res = kernels.solve_ivp(tank, (0.0, 3.0), [[1.0, 1.0], [1.0, 1.0]], [[1.0], [0.1]], method="radau",
                            t_eval=[1.5, 3.0], rtol=1e-8, atol=1e-10, precision=np.float64, progress=False)
    assert list(res.status) == [kernels.Status.SINGULAR_MATRIX, kernels.Status.SUCCESS]
    message = res.message(0)
    assert "The system's rhs raised ValueError (math domain error) at t = " in message, message
    assert abs(_time_in(message) - 2.0) < 0.05  # sqrt(y0) = 1 - t / 2 empties at t = 2


def test_no_hint_where_the_rhs_stays_finite():
    decay = kernels.ODESystem(_fast_decay, n_states=1, name="fast_decay")
    with pytest.warns(kernels.StabilityWarning):  # unstable (said before the run): overflows, rhs finite
        res = kernels.solve_ivp(decay, (0.0, 5.0), [1.0], method="rk4", dt=0.1)
    assert res.status[0] == kernels.Status.NONFINITE_STATE
    message = res.message(0)
    assert "rhs raised" not in message and "rhs is not finite" not in message
    good = kernels.solve_ivp(TIME_LIMITED, (0.0, 1.0), [1.0, 1.0], method="tsit5")
    assert good.success and "rhs" not in good.message(0)


def _fast_decay(t, y, p, dydt):
    dydt[0] = -100.0 * y[0]


class _Says:
    def __init__(self, codes, text):
        self.codes, self.text = codes, text

    def explains(self, code):
        return code in self.codes

    def hint(self, trajectory, t_saved=None, y_saved=None):
        return self.text


def test_chain_asks_each_probe_that_explains_the_trajectory_status_in_turn():
    status = np.array([3, 5])
    first, second = _Says({5}, " first"), _Says({3, 5}, " second")
    probe = chain(status, first, None, second)
    assert isinstance(probe, ProbeChain) and probe.explains(3) and not probe.explains(0)
    assert probe.hint(0) == " second" and probe.hint(1) == " first"
    assert chain(status, None, second) is second and chain(status) is None
    assert ProbeChain((_Says({5}, ""), second), status).hint(1) == " second"


def _grows_past_float32(t, y, p, dydt):  # y = 1e19 / (1 - t / 10): past float32's square root at t = 4.6
    dydt[0] = 1e-20 * y[0] * y[0]


@pytest.mark.parametrize("method", ["rodas5p", "radau"])
def test_a_float32_solution_leaving_the_range_is_named(method):
    """Growing past 1.8e19, y * y overflows float32: rodas5p ended singular and radau with a failed Newton, and
    the float64 host follow found nothing non-finite, so nothing said float32's range was the cause."""
    system = kernels.ODESystem(_grows_past_float32, 1, name="growing")
    res = kernels.solve_ivp(system, (0.0, 20.0), [1e19], method=method, rtol=1e-6, atol=1e-8, progress=False)
    assert not res.success
    message = res.message()
    assert "the state passes 1.84e+19, the square root of float32's largest value" in message, message
    assert "Solve with precision=np.float64" in message
    assert 4.5 < _time_in(message) < 10.0
    res64 = kernels.solve_ivp(system, (0.0, 20.0), [1e19], method=method, rtol=1e-6, atol=1e-8,
                              precision=np.float64, progress=False)
    assert not res64.success and "largest value" not in res64.message()


def _sir(t, y, p, dydt):
    infection = p[0] * y[0] * y[1] / p[2]
    dydt[0] = -infection
    dydt[1] = infection - p[1] * y[1]
    dydt[2] = p[1] * y[1]


def test_an_explicit_run_stopped_by_a_zero_parameter_names_it():
    """A population N = 0 in one params row: the implicit methods' message named p[2] = 0, the explicit ones' spoke
    of a quantity crossing 0 and ending the span early (an epidemiologist's trial)."""
    system = kernels.ODESystem(_sir, 3, 3, name="sir")
    params = np.array([[0.3, 0.1, 1e5], [0.3, 0.1, 0.0]])
    result = kernels.solve_ivp(system, (0.0, 10.0), [1e5 - 10, 10.0, 0.0], params, method="tsit5",
                               precision=np.float64)
    assert result.status.tolist() == [0, int(kernels.Status.NONFINITE_STATE)]
    message = result.message(1)
    assert "A parameter causes it: this trajectory has p[2] = 0, and with p[2] nudged off it the right-hand side " \
           "is finite" in message
    assert "end the span before t" not in message


def _blowup(t, y, p, dydt):
    dydt[0] = y[0] * y[0]


def test_a_step_size_underflow_says_where_the_host_follow_stops_too():
    """y' = y^2 from 1 blows up at t = 1 with its rhs finite all the way: the message said to check the model
    near where the saved values stop, and with the default saves none did (an epidemiologist's trial)."""
    system = kernels.ODESystem(_blowup, 1, name="blowup")
    result = kernels.solve_ivp(system, (0.0, 2.0), [1.0], method="tsit5", precision=np.float64)
    assert int(result.status[0]) == int(kernels.Status.STEP_SIZE_UNDERFLOW)
    message = result.message(0)
    assert "SciPy's Radau stops too, at t = 1.0000" in message and "end the span before it" in message


def _sir_with_root(t, y, p, dydt):
    infection = p[0] * y[0] * y[1] / p[2] * math.sqrt(p[3])
    dydt[0] = -infection
    dydt[1] = infection - p[1] * y[1]
    dydt[2] = p[1] * y[1]


@pytest.mark.parametrize("method", ["tsit5", "rodas4"])
def test_a_negative_parameter_under_a_root_is_named(method):
    """p[3] = -1 under sqrt: the explicit methods spoke of a quantity crossing 0, rodas4 of starting a state at
    1e-12 (a regression hunt)."""
    system = kernels.ODESystem(_sir_with_root, 3, 4, name="sir_root")
    params = np.array([[0.3, 0.1, 1000.0, 1.0], [0.3, 0.1, 1000.0, -1.0]])
    result = kernels.solve_ivp(system, (0.0, 1.0), [990.0, 10.0, 0.0], params, method=method,
                               precision=np.float64)
    assert int(result.status[0]) == 0 and int(result.status[1]) != 0
    assert "A parameter causes it: this trajectory has p[3] = -1" in result.message(1)


def _logistic(t, y, p, dydt):
    dydt[0] = p[0] * y[0] * (1.0 - y[0] / p[1])


LOGISTIC = kernels.ODESystem(_logistic, 1, 2, name="logistic")


@pytest.mark.parametrize("method, precision", [("rodas5p", np.float64), ("rodas5p", np.float32), ("tsit5", np.float64)])
def test_a_small_max_steps_spent_on_rejections_gets_the_cause_not_more_steps(method, precision):
    """A prior draw K = 0 (rhs -inf at y0) and one that blows up at t = 0.264 under max_steps=300: the message said
    to raise max_steps or loosen rtol and atol (and in float32 blamed rounding), where the default max_steps got the
    cause (a statistician's trial).  At least a quarter of the attempts rejected: the host follow is asked."""
    params = np.array([[1.0, 2.0], [3.0, 0.0], [2.85, -1.12]])
    res = kernels.solve_ivp(LOGISTIC, (0.0, 1.0), [1.0], params, t_eval=[0.5, 1.0], method=method,
                            precision=precision, max_steps=300, progress=False)
    assert res.status[0] == 0
    zero_k, blow_up = res.message(1), res.message(2)
    if res.status[1] == kernels.Status.MAX_STEPS:
        assert "A parameter causes it: this trajectory has p[1] = 0" in zero_k, zero_k
    for status, message in ((res.status[1], zero_k), (res.status[2], blow_up)):
        if status == kernels.Status.MAX_STEPS:
            assert "Raise max_steps" not in message and "rounding" not in message, message
    if res.status[2] == kernels.Status.MAX_STEPS:
        assert "SciPy's Radau stops too, at t = 0.263" in blow_up, blow_up


def test_max_steps_below_the_number_of_saves_says_so():
    res = kernels.solve_ivp(LOGISTIC, (0.0, 1.0), [1.0], [1.0, 2.0], t_eval=np.linspace(0.0, 1.0, 101),
                            method="tsit5", precision=np.float64, max_steps=50, progress=False)
    assert res.status[0] == kernels.Status.MAX_STEPS and res.n_rejected[0] == 0
    message = res.message(0)
    assert "t_eval has 100 save times after t0 and every save ends a step, so 50 steps (max_steps) cannot reach " \
           "them all: raise max_steps above 100, or save at fewer times." in message, message
    assert "loosen rtol" not in message


def test_a_result_with_a_failed_trajectory_converts_with_dataclasses_asdict():
    """asdict deep-copies every field, the failure probe with its system among them: 'cannot pickle
    _thread.lock' once a row failed (a statistician's trial)."""
    import copy
    import dataclasses

    res = kernels.solve_ivp(LOGISTIC, (0.0, 1.0), [1.0], [[1.0, 2.0], [3.0, 0.0]], method="rodas5p",
                            precision=np.float64, max_steps=300, progress=False)
    assert res.status[1] != 0 and res.stiffness_probe is not None
    fields = dataclasses.asdict(res)
    np.testing.assert_array_equal(fields["y"], res.y)
    assert copy.deepcopy(res).message(1) == res.message(1)


def _forced_growth(t, y, p, dydt):
    s = 1.0 if math.sin(400.0 * t) > 0 else -1.0  # a square wave: most attempted steps are rejected at its jumps
    dydt[0] = 50.0 * y[0] + 1e3 * s


def test_a_float32_run_stopped_at_max_steps_is_not_told_the_range_fails_it():
    """Linear growth to 5e21 at t = 1, which float32 holds and reaches with the default max_steps; at max_steps=300,
    with half the attempts rejected, the hint said "the float32 run fails there" (a regression hunt)."""
    system = kernels.ODESystem(_forced_growth, 1, name="forced_growth")
    res = kernels.solve_ivp(system, (0.0, 1.0), [1.0], method="tsit5", rtol=1e-5, atol=1e-5, max_steps=300,
                            progress=False)
    assert res.status[0] == kernels.Status.MAX_STEPS and 5 * res.n_rejected[0] >= 300
    assert "fails there" not in res.message(0)


def test_the_saves_note_is_not_given_where_rejections_stopped_the_run():
    """K = 0 (rhs -inf from the start) with 60 saves and max_steps=50: the note said to raise max_steps above 60
    before naming p[1] = 0 (a regression hunt)."""
    res = kernels.solve_ivp(LOGISTIC, (0.0, 1.0), [1.0], [3.0, 0.0], t_eval=np.linspace(0.0, 1.0, 61),
                            method="rodas5p", precision=np.float64, max_steps=50, progress=False)
    assert res.status[0] == kernels.Status.MAX_STEPS
    message = res.message(0)
    assert "save times after t0" not in message and "p[1] = 0" in message, message


def _cosh_rate(t, y, p, dydt):
    dydt[0] = -0.01 * math.cosh(y[0] / 30.0) - y[1]
    dydt[1] = y[0] - y[1]


def test_an_overflow_is_told_to_check_magnitudes_not_square_roots():
    """Morris-Lecar started at V = -6e4 (a units slip): cosh overflows, and the hint spoke of square roots and
    quantities crossing 0 (a user's trial)."""
    system = kernels.ODESystem(_cosh_rate, 2, name="cosh_rate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = kernels.solve_ivp(system, (0.0, 1.0), [-6e4, 0.0], method="tsit5", precision=np.float64, progress=False)
    assert res.status[0] == kernels.Status.NONFINITE_STATE
    assert "An exp, cosh or power whose argument is too large overflows there" in res.message(0), res.message(0)


def _rober(t, y, p, dydt):
    dydt[0] = -p[0] * y[0] + p[2] * y[1] * y[2]
    dydt[1] = p[0] * y[0] - p[2] * y[1] * y[2] - p[1] * y[1] * y[1]
    dydt[2] = p[1] * y[1] * y[1]


def _rober_jac(t, y, p, jac):
    jac[0], jac[1], jac[2] = -p[0], p[2] * y[2], p[2] * y[1]
    jac[3], jac[4], jac[5] = p[0], -p[2] * y[2] - 2.0 * p[1] * y[1], -p[2] * y[1]
    jac[6], jac[7], jac[8] = 0.0, 2.0 * p[1] * y[1], 0.0


ROBER = kernels.ODESystem(_rober, 3, 3, name="rober_k2", jac=_rober_jac)
ROBER_K = [0.4, 3e9, 1e2]  # SciPy's Radau stops at t = 4945 at rtol 1e-3, and reaches 1e5 at 1e-6, atol 1e-10


def test_a_stop_only_the_loose_host_follow_meets_is_not_called_singular():
    """max_steps=3 spent on rejections: the host follow at rtol 1e-3 stopped at t = 4945, and the message said the
    solution is singular there, with no word of max_steps; the default max_steps succeeds (a user's trial)."""
    res = kernels.solve_ivp(ROBER, (0.0, 1e5), [1.0, 0.0, 0.0], ROBER_K, method="rodas5p", rtol=1e-6, atol=1e-10,
                            precision=np.float64, max_steps=3, progress=False)
    assert res.status[0] == kernels.Status.MAX_STEPS and res.n_rejected[0] >= res.n_steps[0]
    message = res.message(0)
    assert "singular" not in message and "stops too" not in message, message
    assert "Raise max_steps" in message, message


@pytest.mark.parametrize("tolerances, claimed", [((1e-3, 1e-6), True), ((1e-6, 1e-10), False)])
def test_a_host_stop_is_called_singular_only_where_the_runs_tolerances_stop_there_too(tolerances, claimed):
    """The run's (rtol, atol), where the caller passes them, decide: SciPy's Radau stops on this model at rtol 1e-3,
    atol 1e-6 and not at rtol 1e-6, atol 1e-10.  Where it stops depends on the BLAS's thread count (t = 4944.6 with
    OpenBLAS on two threads, 6895.2 on one: a Dask cluster started in the process sets OMP_NUM_THREADS=1), so the
    time is not pinned."""
    from kernels.rhs_hint import rhs_probe

    probe = rhs_probe(ROBER, [int(kernels.Status.MAX_STEPS)], [[1.0, 0.0, 0.0]], [ROBER_K], 0.0, 1e5,
                      rejected=[True], tolerances=tolerances)
    hint = probe.hint(0)
    stop = re.search(r"SciPy's Radau stops too, at t = ([0-9.e+]+) ", hint)
    assert (stop is not None and 1e3 < float(stop.group(1)) < 1e5 and "again at the run's rtol and atol" in hint) \
        == claimed, hint
    assert claimed or hint == "", hint


def _rober_jac_swapped(t, y, p, jac):  # entries (0, 1) and (1, 0) swapped
    jac[0], jac[3], jac[2] = -p[0], p[2] * y[2], p[2] * y[1]
    jac[1], jac[4], jac[5] = p[0], -p[2] * y[2] - 2.0 * p[1] * y[1], -p[2] * y[1]
    jac[6], jac[7], jac[8] = 0.0, 2.0 * p[1] * y[1], 0.0


def test_a_host_follow_leaves_a_jac_flagged_wrong_out():
    """A reaction engineer's trial: radau on a network whose jac had two entries swapped crawled to MAX_STEPS, and
    the host follow, on that same jac, stopped at t = 351 and said the solution itself is singular there: check the
    model.  A follow takes the jac only where it agreed with differences of the rhs (here SciPy differences it and
    reaches 1e5 at the run's tolerances, as with the right jac)."""
    from kernels.rhs_hint import rhs_probe

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kernels.JacobianCheckWarning)
        swapped = kernels.ODESystem(_rober, 3, 3, name="rober_jac_swapped", jac=_rober_jac_swapped)
    assert swapped.derivatives_disagree == ("jac",)
    probe = rhs_probe(swapped, [int(kernels.Status.MAX_STEPS)], [[1.0, 0.0, 0.0]], [ROBER_K], 0.0, 1e5,
                      rejected=[True], tolerances=(1e-6, 1e-10))
    assert probe.hint(0) == "", probe.hint(0)


def _chapman_naive(t, y, p, dydt):
    """Chapman at surface air density, M * O2 * O * k written in that order: p[6] * y[3] = 1.3e38, which float32
    holds, times O past 2.6 overflows."""
    r1 = p[0] * y[3]
    r2 = p[6] * y[3] * y[0] * p[1]
    r3, r3b, r4, r5 = p[2] * y[2], p[3] * y[2], p[4] * y[1] * p[6], p[5] * y[0] * y[2]
    dydt[0] = 2.0 * r1 - r2 + r3 + r4 - r5
    dydt[1] = r3b - r4
    dydt[2] = r2 - r3 - r3b - r5
    dydt[3] = -r1 - r2 + r3 + r3b + 2.0 * r5


def _chapman_ordered(t, y, p, dydt):
    """The same mechanism with the small factors first (k * M * O * O2): in range in float32."""
    r1 = p[0] * y[3]
    r2 = p[1] * p[6] * y[0] * y[3]
    r3, r3b, r4, r5 = p[2] * y[2], p[3] * y[2], p[4] * p[6] * y[1], p[5] * y[0] * y[2]
    dydt[0] = 2.0 * r1 - r2 + r3 + r4 - r5
    dydt[1] = r3b - r4
    dydt[2] = r2 - r3 - r3b - r5
    dydt[3] = -r1 - r2 + r3 + r3b + 2.0 * r5


CHAPMAN_P = np.array([3e-12, 6e-34 * (220 / 300) ** -2.4, 4e-4, 6e-3, 3e-11, 8e-12 * np.exp(-2060 / 220), 2.5e19])
CHAPMAN_Y0 = np.array([0.0, 0.0, 1e12, 5.2e18])


def _chapman(rhs, method, precision=np.float32, **kwargs):
    system = kernels.ODESystem(rhs, 4, 7, name=rhs.__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kernels.PrecisionWarning)  # the start's warning: right, and not the point
        return kernels.solve_ivp(system, (0.0, 3600.0), CHAPMAN_Y0, np.tile(CHAPMAN_P, (2, 1)), method=method,
                                 rtol=1e-4, atol=1e2, precision=precision, progress=False, **kwargs)


@pytest.mark.parametrize("method, solver", [("rodas5p", None), ("radau", None), ("rodas5p", "dense")])
def test_a_float32_rhs_overflowing_where_float64_does_not_is_named_with_its_product(method, solver):
    """Every trajectory ended SINGULAR_MATRIX, told of the sparse LU's diagonal pivots and to try solver='dense',
    which failed the same way with no word of why (a chemist's trial)."""
    from kernels.status_messages import SPARSE_PIVOT_NOTE

    res = _chapman(_chapman_naive, method, solver=solver)
    assert not np.any(res.status == kernels.SUCCESS)
    message = res.message(0)
    assert message.startswith("Likely cause: float32 makes the system's rhs -inf (dydt[0]; "), message
    assert "The system's rhs is not finite in float32 at t = " in message
    assert _time_in(message) < 1e-6  # narrowed to where O passes 2.6, not the host follow's first trial point
    assert "It first leaves float32's range at `p[6] * y[3] * y[0]` (1.3e+38 * 2.6" in message
    assert "order products so that large factors meet small ones first" in message
    assert "precision=np.float64" in message
    assert SPARSE_PIVOT_NOTE not in message and "solver='dense'" not in message


def test_no_float32_rhs_hint_where_float32_is_not_the_cause():
    """Silence: the same model with its small factors first succeeds in float32; the naive one in float64 does too;
    a float32 run whose rhs fails in float64 as well is told that cause; a solution growing past float32's square
    root keeps the range hint."""
    for res in (_chapman(_chapman_ordered, "rodas5p"), _chapman(_chapman_naive, "rodas5p", np.float64)):
        assert np.all(res.status == kernels.SUCCESS) and "float32" not in res.message(0)
    res = kernels.solve_ivp(TIME_LIMITED, (0.0, 2.0), [1.0, 1.0], method="radau", rtol=1e-4, atol=1e-6,
                            precision=np.float32, progress=False)
    assert "raised ValueError (math domain error)" in res.message(0)
    assert "not finite in float32" not in res.message(0)
    system = kernels.ODESystem(_grows_past_float32, 1, name="growing_silent")
    for method in ("rodas5p", "tsit5"):
        res = kernels.solve_ivp(system, (0.0, 20.0), [1e19], method=method, rtol=1e-4, atol=1e-8, progress=False)
        assert not res.success and "not finite in float32" not in res.message(0), res.message(0)


# -- an SI laser (carrier density N ~ 1e24 m^-3, photon density S): a physicist's trial -------------------------------
_Q, _V, _TAU_N, _N0, _GAMMA, _EPS, _BETA = 1.602176634e-19, 1.5e-16, 2e-9, 1e24, 0.3, 1e-23, 1e-4
_QV = _Q * _V


def _laser_overflowing_si(t, y, p, dydt):  # (N - N0) * S passes 3.4e38 once S passes 3.4e14 (near t = 2e-11)
    N = y[0]
    S = y[1]
    gain = (N - _N0) * S * p[1] / (1.0 + _EPS * S)
    dydt[0] = p[0] / _QV - N / _TAU_N - gain
    dydt[1] = _GAMMA * gain - S / 2e-12 + _GAMMA * _BETA * N / _TAU_N


def _laser_safe_si(t, y, p, dydt):  # its products in a safe order; p[2] the photon lifetime
    N = y[0]
    S = y[1]
    G = p[1] * (N - _N0) / (1.0 + _EPS * S)
    dydt[0] = p[0] / _QV - N / _TAU_N - G * S
    dydt[1] = _GAMMA * G * S - S / p[2] + _GAMMA * _BETA * N / _TAU_N


def _laser_si(rhs, params, precision=np.float32):
    system = kernels.ODESystem(rhs, n_states=2, n_params=len(params[0]), name=rhs.__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kernels.solve_ivp(system, (0.0, 5e-9), [0.0, 0.0], params, method="radau", rtol=1e-5,
                                 atol=[1e14, 1e10], precision=precision, progress=False)


def test_a_float32_rhs_overflowing_past_the_square_root_is_named_not_a_trial_point():
    """radau in float32 on an SI laser whose (N - N0) * S overflows float32 near t = 2e-11 was told that the solution
    reaches y = [5.042e+24, 0] at t = 5e-09 (SciPy's first-step probe y0 + h f(y0), a state never on the path: N stays
    below 1.85e24) and passes the square root of float32's largest value, to solve in float64; N ~ 1e24 is the model's
    scale, not an overflow.  The float32 rhs is now checked on the path past that root and its operation named, with
    its parentheses (it was quoted `N - N0 * S`)."""
    res = _laser_si(_laser_overflowing_si, [[1.1 * _QV * (_N0 + 1.0 / (_GAMMA * 2e-12 * 2e-12)) / _TAU_N, 2e-12]])
    assert not res.success
    message = res.message(0)
    assert message.startswith("Likely cause: float32 makes the system's rhs inf (dydt[0]; "), message
    assert "It first leaves float32's range at `(N - _N0) * S` (-9.7" in message
    assert "5.042e+24" not in message and "the square root of float32's largest value" not in message
    assert 1e-12 < _time_in(message) < 1e-10


def test_a_sign_slip_that_runs_away_in_float64_too_is_not_told_to_use_float64():
    """The same laser in a safe product order with one row's photon lifetime given as -2 ps: radau in float64 opened
    with that entry, in float32 with "the solution leaves float32's range ... solve with precision=np.float64" (a
    state past 1.84e19 at a trial point).  The float64 path itself grows past float32's range, so the float32 run now
    names the entry first and says float64 would not help."""
    params = [[0.03, 2e-12, 2e-12], [0.03, 2e-12, -2e-12]]
    res = _laser_si(_laser_safe_si, params)
    assert res.status[0] == kernels.SUCCESS and res.status[1] != kernels.SUCCESS
    message = res.message(1)
    opening = "params[1, 2] = -2e-12 is negative where every other row's column 2 is >= 0"
    assert message.startswith(opening), message
    assert "Solve with precision=np.float64" not in message and "solve with precision=np.float64" not in message
    assert "the solution itself leaves float32's range" in message
    assert "would not make the run succeed" in message
    res64 = _laser_si(_laser_safe_si, params, np.float64)
    assert res64.message(1).startswith(opening)
