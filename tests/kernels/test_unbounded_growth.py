"""A solution that grows without bound from its start: told so where it overflows (any method, either precision;
kernels.runaway_hint.unbounded_hint), warned of and noted where float64 follows it to the end with success
(kernels.unbounded_growth); and a float32 run at an rtol below its eps that runs out of steps is told the precision,
not to raise max_steps (kernels.status_messages.below_eps_note)."""

import math
import pickle
import warnings

import numpy as np
import pytest

import kernels
from kernels.status import MAX_STEPS, NONFINITE_STATE, SUCCESS
from kernels.status_messages import FLOAT32_RANGE_NOTE

GROWS = "it grows without bound from its start"
GREW = "grew without bound"


def _pendulum(t, y, p, dydt):
    """An inverted pendulum (p[2] = g / l) under PD control (gains p[0], p[1]): unstable where p[0] < p[2]."""
    dydt[0] = y[1]
    dydt[1] = (p[2] - p[0]) * y[0] - p[1] * y[1]


PENDULUM = kernels.ODESystem(_pendulum, n_states=2, n_params=3, name="pd_inverted_pendulum")
#: Row 1's proportional gain is below gravity's: a mode growing at 8.36 per unit of t (no negative entry to name).
GAINS = np.array([[120.0, 3.0, 100.0], [5.0, 3.0, 100.0]])


def _pid(t, y, p, dydt):
    """A PID loop (gains p) on x'' = u - 0.5 x' - 2 x, tracking 1; y[2] integrates the error."""
    e = 1.0 - y[0]
    u = p[0] * e + p[1] * y[2] - p[2] * y[1]
    dydt[0] = y[1]
    dydt[1] = u - 0.5 * y[1] - 2.0 * y[0]
    dydt[2] = e


PID = kernels.ODESystem(_pid, n_states=3, n_params=3, name="pid_mass_spring")
#: Row 1's integral gain of 50 is past the stability limit of 7: closed-loop eigenvalues 1.18 +- 3.68j.
PID_GAINS = np.array([[5.0, 1.0, 0.5], [5.0, 50.0, 0.5]])


def _solve(*args, **kwargs):
    """``(result, [SuspectSuccessWarning texts])`` of ``kernels.solve_ivp(*args, **kwargs)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = kernels.solve_ivp(*args, progress=False, **kwargs)
    return result, [str(w.message) for w in caught if issubclass(w.category, kernels.SuspectSuccessWarning)]


@pytest.mark.parametrize("method", ["tsit5", "dop853"])
def test_a_float64_overflow_from_an_unstable_loop_is_told_it_grows_without_bound(method):
    """A linear cart-pole with sign-flipped gains (rate 18) ended float64 tsit5 and dop853 non-finite with only "The
    state became non-finite" (a control engineer's trial): no time, no cause."""
    result, _ = _solve(PENDULUM, (0.0, 100.0), [0.1, 0.0], GAINS, method=method, rtol=1e-4, atol=1e-6,
                       precision=np.float64)
    assert result.status.tolist() == [SUCCESS, NONFINITE_STATE]
    message = result.message(1)
    assert "mode growing at rate 8.36 per unit of t (e-folding time 0.12)" in message, message
    assert GROWS in message and "float64 is the widest precision, and it only postpones such an overflow" in message
    assert "Check the signs and sizes of the gains" in message
    assert GROWS not in result.message(0)


def test_a_float32_overflow_from_growth_is_told_so_not_to_rescale_constants():
    """The PID row with Ki = 50 ended float32 tsit5 non-finite and was told only that constants multiplying out of
    float32's range should be rescaled, or to solve in float64, where the row then "succeeds" at -2.6e204."""
    result, _ = _solve(PID, (0.0, 100.0), [0.0, 0.0, 0.0], PID_GAINS, method="tsit5", precision=np.float32)
    assert result.status.tolist() == [SUCCESS, NONFINITE_STATE]
    message = result.message(1)
    assert "mode growing at rate 1.18" in message and GROWS in message, message
    assert FLOAT32_RANGE_NOTE not in message and "multiplies constants" not in message
    assert message.index(GROWS) < message.index("precision=np.float64 only postpones the overflow")
    assert "float64 would end near" in message and "with status SUCCESS" in message


def test_a_float32_implicit_failure_from_growth_is_told_so_before_precision_advice():
    """rodas5p in float32 ended with a singular matrix and was told that the state leaves float32's range, to solve
    with precision=np.float64: that only postpones the overflow of a solution growing without bound."""
    result, _ = _solve(PENDULUM, (0.0, 15.0), [0.1, 0.0], GAINS, method="rodas5p", precision=np.float32)
    assert result.status[0] == SUCCESS and result.status[1] != SUCCESS
    message = result.message(1)
    assert GROWS in message and "mode growing at rate 8.36" in message, message
    assert "Solve with precision=np.float64" not in message
    assert message.index(GROWS) < message.index("precision=np.float64 only postpones the overflow")


def _dimer(t, y, p, dydt):  # -2 k y^2: from y < 0 it runs to minus infinity in finite time
    dydt[0] = -2.0 * p[0] * y[0] * y[0]


DIMER = kernels.ODESystem(_dimer, n_states=1, n_params=1, name="dimer_singular")


def test_a_finite_time_singularity_ending_non_finite_is_no_unbounded_growth():
    """rk4 at dt 1e-3 on -2 k y^2 from y = -1e-3 (k = 1e9, a mode growing at 4e6 at the start) ends non-finite: the
    rate rises with the state, so the host follow's singularity is told, not a growing mode."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = kernels.solve_ivp(DIMER, (0.0, 1.0), [[1e-3], [-1e-3]], [1e9], method="rk4", dt=1e-3,
                                   precision=np.float64, progress=False)
    assert result.status[1] == NONFINITE_STATE
    message = result.message(1)
    assert "SciPy's Radau stops too" in message and "grows without bound" not in message, message


def _logistic(t, y, p, dydt):
    dydt[0] = p[0] * y[0] * (1.0 - y[0] / p[1])


def test_the_host_follow_confirms_steady_growth_only():
    """Linear growth keeps its rate past a millionfold; logistic growth to a capacity 1e9 times its start saturates
    (its rate at the end is negative), and -2 k y^2 speeds up past 10 times its start's rate."""
    from kernels.runaway_hint import RunawayProbe, grows_steadily

    linear = kernels.ODESystem(_pendulum, n_states=2, n_params=3, name="pd_host")
    grown = grows_steadily(linear, GAINS[1], 0.0, 100.0, np.array([0.1, 0.0]), 8.36)
    assert grown is not None and grown[1] > 1e6
    logistic = kernels.ODESystem(_logistic, 1, 2, name="logistic_host")
    assert grows_steadily(logistic, np.array([1.0, 1e9]), 0.0, 1000.0, np.array([1.0]), 1.0) is None
    assert grows_steadily(DIMER, np.array([1e9]), 0.0, 1.0, np.array([-1e-3]), 4e6) is None
    probe = RunawayProbe(DIMER, np.array([[-1e-3]]), np.array([[1e9]]), 0.0, 1.0, np.array([NONFINITE_STATE]))
    assert probe.hint(0, np.array([1.0]), np.full((1, 1), np.nan, np.float32)) == ""


@pytest.mark.parametrize("method", ["tsit5", "rodas5p"])
def test_a_success_grown_past_1e100_times_its_start_is_warned_of_once_and_told(method):
    """The PID row with Ki = 50 ended float64 tsit5 and rodas5p at -2.6e204 with status 0, and a gain sweep filtered
    on status == 0 kept it (a control engineer's trial)."""
    result, warned = _solve(PENDULUM, (0.0, 40.0), [0.1, 0.0], GAINS, method=method, rtol=1e-4, atol=1e-6,
                            precision=np.float64)
    assert result.status.tolist() == [SUCCESS, SUCCESS] and np.max(np.abs(result.y[1, -1])) > 1e100
    told = [w for w in warned if GREW in w]
    assert len(told) == 1, warned
    assert told[0].startswith("1 of 2 trajectories (trajectory 1) ended with status SUCCESS at a final saved state "
                              "more than 1e+100 times the start's size"), told[0]
    assert "SUCCESS only means the integrator followed that growth" in told[0]
    message = result.message(1)
    assert GREW in message and "status SUCCESS only means the integrator followed that growth" in message, message
    assert GREW not in result.message(0)
    assert GREW in pickle.loads(pickle.dumps(result)).message(1)


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def _oscillator(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[0]


@pytest.mark.parametrize("rhs, n_states, y0, params, span", [
    (_decay, 1, [1.0], [[1.0], [50.0]], 10.0),
    (_oscillator, 2, [1.0, 0.0], [[1.0], [400.0]], 10.0),
    (_logistic, 1, [1e-3], [[1.0, 1e9], [2.0, 1e12]], 60.0),
    (_decay, 1, [1.0], [[-1.0], [-1.5]], 150.0),  # grows to 1e65 and 1e97: past any model, short of the threshold
], ids=["decay", "oscillation", "logistic", "growth-below-1e100"])
def test_ordinary_runs_draw_no_unbounded_growth_warning(rhs, n_states, y0, params, span):
    system = kernels.ODESystem(rhs, n_states, len(params[0]), name=f"ordinary_{rhs.__name__}_{len(params[0])}")
    result, warned = _solve(system, (0.0, span), y0, np.array(params), precision=np.float64)
    assert result.success
    assert not [w for w in warned if GREW in w], warned
    assert all(GREW not in result.message(i) for i in range(len(params)))


def _prothero_robinson(t, y, p, dydt):
    dydt[0] = -1000.0 * (y[0] - math.cos(t)) - math.sin(t)


def test_a_growth_from_a_fixed_step_beyond_the_stable_step_is_left_to_its_stability_warning():
    """rk4 at dt 0.05 on a decay (stable below 0.0028) ends at -5.8e102 with success: the step's growth, not the
    model's, which the call's StabilityWarning and the message's unstable-step note already tell."""
    system = kernels.ODESystem(_prothero_robinson, 1, name="prothero_robinson_unbounded")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = kernels.solve_ivp(system, (0.0, 1.0), [1.0], method="rk4", dt=0.05, precision=np.float64,
                                   progress=False)
    assert result.success and abs(result.y[0, -1, 0]) > 1e100
    assert [w.category for w in caught] == [kernels.StabilityWarning]
    assert GREW not in result.message(0) and "beyond" in result.message(0)


def test_the_threshold_is_relative_to_the_start_and_judges_only_successes():
    from kernels.unbounded_growth import UNBOUNDED_GROWTH, unbounded_rows

    y = np.zeros((4, 2, 2))
    y[:, -1, 0] = [1e105, 1e111, np.nan, 1e150]
    rows, sizes, scales = unbounded_rows(y, np.array([SUCCESS, SUCCESS, SUCCESS, MAX_STEPS]), [1e10, 1e10, 1.0, 1.0])
    assert rows.tolist() == [1] and sizes.tolist() == [1e111] and scales.tolist() == [1e10]
    assert unbounded_rows(y, np.zeros(4, np.int32), 0.0)[0].tolist() == [0, 1, 3]  # one start for all, from 1
    assert unbounded_rows(y, np.zeros(4, np.int32), None)[0].tolist() == [0, 1, 3]  # not known: from 1
    assert not unbounded_rows(y, np.full(4, MAX_STEPS), None)[0].size
    assert UNBOUNDED_GROWTH == 1e100


def test_a_float32_run_below_eps_out_of_steps_is_told_the_precision_not_more_steps():
    """float32 at rtol 1e-12, atol 1e-14 took 100000 attempts (11610 rejected) and was told "Raise max_steps, or
    loosen rtol" (a control engineer's trial); the call's ToleranceWarning had said rtol >= 1e-05."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kernels.ToleranceWarning)
        result = kernels.solve_ivp(PID, (0.0, 5.0), [0.0, 0.0, 0.0], [[2.0, 1.0, 0.5]], rtol=1e-12, atol=1e-14,
                                   max_steps=400, progress=False)
    assert result.status[0] == MAX_STEPS
    message = result.message(0)
    assert "float32 cannot meet rtol=1e-12 (its eps is 1.2e-07)" in message, message
    assert "use precision=np.float64, or rtol >= 1e-05" in message and "a larger max_steps does not help" in message
    assert "Raise max_steps" not in message and "It took " in message


def test_a_float32_run_out_of_steps_below_its_quiet_rtol_is_pointed_to_float64():
    """A chemist's trial: a 40-species mechanism in float32 rodas5p at rtol 1e-6 ran out of steps (2750 before its
    first save, where float64 took 600 for the day) and was told only to raise max_steps or loosen rtol."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", kernels.ToleranceWarning)
        result = kernels.solve_ivp(kernels.lorenz(), (0.0, 5.0), [1.0, 1.0, 1.0], rtol=1e-6, atol=1e-6,
                                   max_steps=40, precision=np.float32, progress=False)
    assert result.status[0] == MAX_STEPS
    assert ("float32 at rtol=1e-06 asks for less than the 1e-05 relative it keeps over a long run"
            in result.message(0)), result.message(0)


def test_the_below_eps_note_speaks_only_below_the_precision_eps():
    from kernels.status_messages import below_eps_note

    assert below_eps_note(np.array([1e-5, 1e-4]), np.float32) == ""
    between = below_eps_note(np.array([1e-5, 1e-6]), np.float32)  # above eps, below the floor: no "cannot meet"
    assert between.startswith(" float32 at rtol=1e-06 asks for less than the 1e-05 relative it keeps over a long "
                              "run") and "cannot meet" not in between
    assert below_eps_note(np.array([np.float32(1e-5)], np.float64), np.float32) == ""  # 1e-5 as float32 holds it
    assert between.endswith("so before raising max_steps, try precision=np.float64 or rtol >= 1e-05.")
    assert below_eps_note(np.array([5e-15]), np.float64) == ""  # above eps, below float64's floor: no wider precision
    assert "float64 cannot meet rtol=1e-17 (its eps is 2.2e-16)" in below_eps_note(np.array([1e-17]), np.float64)
    assert "rtol >= 1.2e-14" in below_eps_note(np.array([0.0, 1e-17]), np.float64)
    assert below_eps_note(np.array([0.0]), np.float32) == ""  # rtol 0: absolute control, asked for on purpose


# -- what a regression hunt found the first version say ---------------------------------------------------------------
def _huge_constant(t, y, p, dydt):  # 1e20 * 1e20 is inf in float32 before the division brings it back to 1
    dydt[0] = (1e20 * 1e20 / 1e40) * y[0]


def _capacity(t, y, p, dydt):  # logistic growth written r y - r y^2 / K: y * y overflows float32 past 1.8e19
    dydt[0] = p[0] * y[0] - p[0] * y[0] * y[0] / p[1]


def test_a_float32_constant_out_of_range_keeps_the_float32_rhs_hint():
    system = kernels.ODESystem(_huge_constant, 1, 0, name="huge_constant")
    result, _ = _solve(system, (0.0, 50.0), [1.0], None, method="tsit5", precision=np.float32)
    message = result.message(0)
    assert result.status[0] == NONFINITE_STATE and GROWS not in message
    assert "float32 makes the system's rhs nan" in message, message


def test_a_bounded_growth_that_overflows_float32_keeps_the_precision_advice():
    # still exponential at 1e26 when the span ends (capacity 1e30): float64 is the remedy, nothing is unbounded
    system = kernels.ODESystem(_capacity, 1, 2, name="capacity")
    result, _ = _solve(system, (0.0, 60.0), [1.0], [[1.0, 1e30]], method="radau", precision=np.float32)
    message = result.message(0)
    assert result.status[0] != SUCCESS and GROWS not in message
    assert "solve with precision=np.float64" in message, message


def test_a_large_start_that_decays_is_not_told_it_grew():
    result, warned = _solve(kernels.ODESystem(_decay, 1, 1, name="decay_large"), (0.0, 1.0), [2e100], [[1e-3]],
                            method="tsit5", precision=np.float64)
    assert result.status[0] == SUCCESS and GREW not in result.message(0)
    assert not [w for w in warned if GREW in w]
