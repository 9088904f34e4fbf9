"""A trajectory that an explicit adaptive method finished in many steps on a stiff problem is told so in its message,
by the MAX_STEPS hint's firm test, and only then (kernels/stiffness_note.py)."""

import copy
import math
import pickle
import re

import numpy as np
import pytest

import kernels
import kernels.stiffness

from stiff_references import hodgkin_huxley_rhs

SUCCESS_MESSAGE = kernels.STATUS_MESSAGES[kernels.SUCCESS]
MANY_STEPS = 1000  # kernels.stiffness_note.NOTE_MIN_STEPS: the accepted steps from which a success is judged


def _two_rates(t, y, p, dydt):  # y' = diag(-p[0], -1) y: stiff for p[0] = 1000 over t = 10
    dydt[0] = -p[0] * y[0]
    dydt[1] = -y[1]


TWO_RATES = kernels.ODESystem(_two_rates, 2, 1, name="two_rates")


@pytest.fixture
def follows(monkeypatch):
    """The host follows the stiffness judgements start (a list, one entry a follow)."""
    calls, follow = [], kernels.stiffness.follow_on_host

    def counted(*args, **kwargs):
        calls.append(args[1:3])
        return follow(*args, **kwargs)

    monkeypatch.setattr(kernels.stiffness, "follow_on_host", counted)
    return calls


def _advantage(message):
    return float(re.search(r"needs about ([0-9.]+) times the steps an implicit method takes", message).group(1))


@pytest.mark.parametrize("system, span, y0, params", [
    (TWO_RATES, (0.0, 10.0), [1.0, 1.0], [1000.0]),  # tsit5 2870 steps, SciPy's Radau 32
    (kernels.stiff_van_der_pol(), (0.0, 3.0), [2.0, 0.0], None),  # tsit5 2567, Radau 10
])
def test_a_long_explicit_success_on_a_stiff_problem_says_so_and_names_implicit_methods(system, span, y0, params):
    """A user's trial: tsit5 finished a stiff pharmacokinetic patient in 34300 steps, where an implicit method takes
    about 100, and the message said nothing; only a run stopped at MAX_STEPS was told."""
    result = kernels.solve_ivp(system, span, y0, params, method="tsit5", precision=np.float64, progress=False)
    assert int(result.status[0]) == kernels.SUCCESS and int(result.n_steps[0]) > 2000
    message = result.message(0)
    accepted, rejected = int(result.n_steps[0]), int(result.n_rejected[0])
    assert message.startswith(SUCCESS_MESSAGE + f" It took {accepted} accepted steps ({rejected} rejected).")
    assert "The problem looks stiff along its path" in message, message
    assert "try method='radau' (within a few tolerances" in message and "kvaerno5" not in message
    assert 10.0 <= _advantage(message) < 1000.0, message


def test_the_note_changes_nothing_but_the_message_and_is_worked_out_once(follows):
    """The note is the message's alone: status, success and the arrays stay; it is worked out when asked (not in the
    solve), once per trajectory; a pickled result drops it (its follow would run at every pickling)."""
    result = kernels.solve_ivp(TWO_RATES, (0.0, 10.0), [1.0, 1.0], [1000.0], method="tsit5", progress=False)
    assert not follows  # nothing followed during the solve
    before = copy.deepcopy(result)
    message = result.message(0)
    assert "looks stiff along its path" in message and len(follows) == 1  # float32 too
    assert result.message(0) == message and len(follows) == 1  # once
    assert result == before and result.success and int(result.status[0]) == kernels.SUCCESS
    assert np.array_equal(result.n_steps, before.n_steps) and np.array_equal(result.y, before.y)
    assert pickle.loads(pickle.dumps(result)).message(0) == SUCCESS_MESSAGE


def test_a_short_run_beside_a_long_one_costs_no_host_follow(follows):
    """Below NOTE_MIN_STEPS accepted steps the message reads the step count and follows nothing; a batch of short
    runs holds no probe at all (nothing copied)."""
    result = kernels.solve_ivp(TWO_RATES, (0.0, 10.0), [1.0, 1.0], [[1000.0], [1.0]], method="tsit5",
                               precision=np.float64, progress=False)
    assert int(result.n_steps[1]) < MANY_STEPS <= int(result.n_steps[0])
    assert result.message(1) == SUCCESS_MESSAGE and not follows
    assert "looks stiff along its path" in result.message(0) and len(follows) == 1
    short = kernels.solve_ivp(TWO_RATES, (0.0, 0.3), [1.0, 1.0], [1000.0], method="tsit5", progress=False)
    assert int(short.n_steps[0]) < MANY_STEPS and short.stiffness_probe is None
    assert short.message(0) == SUCCESS_MESSAGE


def test_a_failed_trajectory_keeps_its_hint_beside_a_noted_success_and_through_pickling():
    """The note rides beside the failure probes without joining what they explain: the MAX_STEPS hint of one
    trajectory is unchanged, and a pickled result keeps it (the first 16 failed trajectories' hints)."""
    result = kernels.solve_ivp(TWO_RATES, (0.0, 10.0), [1.0, 1.0], [[1000.0], [2000.0]], method="tsit5",
                               precision=np.float64, max_steps=4000, progress=False)
    assert [int(s) for s in result.status] == [kernels.SUCCESS, kernels.MAX_STEPS]
    assert "looks stiff along its path" in result.message(0)
    failed = result.message(1)
    assert "The problem looks stiff (its Jacobian's" in failed and "along its path" not in failed
    again = pickle.loads(pickle.dumps(result))
    assert again.message(1) == failed and again.message(0) == SUCCESS_MESSAGE


def _lorenz_span():
    return kernels.lorenz(), (0.0, 20.0), [1.0, 1.0, 1.0], None, dict(rtol=1e-10, atol=1e-10)


def _oscillator(t, y, p, dydt):  # x'' = -1e6 x: fast, not stiff (its solution moves as fast as its Jacobian)
    dydt[0] = y[1]
    dydt[1] = -1e6 * y[0]


def _pendulum(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -9.81 * math.sin(y[0])




@pytest.mark.parametrize("case", [
    _lorenz_span,  # accuracy-limited: tsit5 ~4700 steps over t = 20, implicit advantage 0.2
    lambda: (kernels.ODESystem(_oscillator, 2, name="fast_oscillator"), (0.0, 1.0), [1.0, 0.0], None, {}),  # 0.14
    lambda: (kernels.ODESystem(_pendulum, 2, name="pendulum"), (0.0, 30.0), [2.5, 0.0], None,
             dict(rtol=1e-10, atol=1e-10)),  # 0.09
    # spikes with fast gates: tsit5 1483 steps over 200 ms, SciPy's Radau about as many (0.76)
    lambda: (kernels.ODESystem(hodgkin_huxley_rhs, 4, 1, name="hh"), (0.0, 200.0), [-65.0, 0.0529, 0.5961, 0.3177],
             [[10.0]], {}),
], ids=["lorenz", "oscillator", "pendulum", "hodgkin_huxley"])
def test_a_long_run_of_a_problem_that_is_not_stiff_is_judged_and_gets_no_note(case, follows):
    """Many steps alone are no stiffness: each is followed on the host and found not stiff by the firm test."""
    system, span, y0, params, options = case()
    result = kernels.solve_ivp(system, span, y0, params, method="tsit5", precision=np.float64, progress=False,
                               **options)
    assert int(result.status[0]) == kernels.SUCCESS and int(result.n_steps[0]) >= MANY_STEPS
    assert result.message(0) == SUCCESS_MESSAGE and len(follows) == 1  # judged, silent


@pytest.mark.parametrize("method, options", [
    ("rk4", dict(dt=2e-3)),  # a fixed step: 5000 steps, the step the user chose
    ("dopri5", dict(controller="fixed", dt=2e-3)),
])
def test_a_fixed_step_explicit_run_gets_no_note(method, options, follows):
    result = kernels.solve_ivp(TWO_RATES, (0.0, 10.0), [1.0, 1.0], [1000.0], method=method, precision=np.float64,
                               progress=False, **options)
    assert int(result.status[0]) == kernels.SUCCESS and int(result.n_steps[0]) == 5000
    assert result.message(0) == SUCCESS_MESSAGE and not follows and result.stiffness_probe is None


def test_an_implicit_method_gets_no_note(follows):
    """rodas5p on a fast oscillation at tight tolerances: thousands of steps, no stiffness note (it is the remedy)."""
    result = kernels.solve_ivp(kernels.ODESystem(_oscillator, 2, name="fast_oscillator"), (0.0, 0.3), [1.0, 0.0],
                               method="rodas5p", precision=np.float64, rtol=1e-7, atol=1e-7, progress=False)
    assert int(result.status[0]) == kernels.SUCCESS and int(result.n_steps[0]) >= MANY_STEPS
    assert result.message(0) == SUCCESS_MESSAGE and not follows
