"""A run that stalls at MAX_STEPS on a switch met between saves (stick-slip): the jump is named, not "raise max_steps".

A structural engineer's trial: a forced mass under Coulomb friction, moving at its last save (t = 0.08), sticks at
t = 0.0861 and every tsit5 step flips v's sign there; the message said "Raise max_steps, or loosen rtol and atol",
which does not help (5 times the steps got no further).  The probe follows the path on the host from the last save.
"""

import math

import numpy as np
import pytest

import kernels
from kernels.discontinuity import jump_columns, stall_switch

ADVICE = "Raise max_steps, or loosen rtol and atol"


def _forced_friction(t, y, p, dydt):  # a forced mass on a spring under Coulomb friction: sign(v) with branches
    v = y[1]
    sign = 1.0 if v > 0.0 else (-1.0 if v < 0.0 else 0.0)
    dydt[0] = v
    dydt[1] = -p[0] * y[0] - p[1] * v - p[2] * sign + p[3] * math.sin(p[4] * t)


def _relay(t, y, p, dydt):  # a bang-bang relay the path crosses twice a period: never held at its switch
    dydt[0] = y[1]
    dydt[1] = -y[0] - (1.0 if y[0] > 0.0 else -1.0) * p[0]


FORCED = kernels.ODESystem(_forced_friction, 2, 5, name="forced_friction")
STICKS = np.array([100.0, 0.5, 5.0, 6.0, 3.0])    # the spring and forcing stay within the friction: it sticks
SLIPS = np.array([100.0, 0.5, 0.3, 60.0, 3.0])    # weak friction, strong forcing: v crosses 0, never held there


def _counted(monkeypatch, system):
    """A list whose length counts the host right-hand sides ``system`` evaluates from now on."""
    calls, evaluate = [], system.evaluate_rhs

    def counting(*args, **kwargs):
        calls.append(None)
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(system, "evaluate_rhs", counting)
    return calls


def test_a_switch_met_between_saves_is_named_where_the_run_stalls(monkeypatch):
    res = kernels.solve_ivp(FORCED, (0.0, 0.3), [0.0, 0.5], [STICKS], method="tsit5", rtol=1e-6, atol=1e-9,
                            t_eval=np.linspace(0.01, 0.3, 30), precision=np.float64, progress=False, max_steps=300)
    assert int(res.status[0]) == kernels.Status.MAX_STEPS
    last = np.flatnonzero(np.all(np.isfinite(res.y[0]), axis=1))[-1]
    assert res.t[last] == pytest.approx(0.08) and abs(res.y[0][last][1]) > 0.01  # moving at its last save
    calls = _counted(monkeypatch, FORCED)
    message = res.message(0)
    assert message.startswith("Likely cause: the rhs jumps at y = [0.02177, ")
    assert "(t = 0.08609" in message and "smooth the switch (tanh(v / eps)" in message
    assert "friction model with a stuck state" in message
    assert "That is where this trajectory stalls: followed on the host from the last finite saved state (t = 0.08)" \
           in message and "short of t = 0.09, which the run did not reach" in message
    assert ADVICE not in message and "looks stiff" not in message
    assert len(calls) < 4000  # the host follow's budget and its jump tests: a few hundredths of a second
    assert res.message(0) == message and len(calls) < 4000  # worked out once


def test_the_stall_is_found_from_a_state_beside_the_switch_not_on_it():
    """v = 1e-12, stuck: jump_columns' increments (relative to v) never cross 0, so only the follow sees it."""
    y = np.array([0.0217676, 1e-12])
    assert jump_columns(FORCED, 0.1, y, STICKS) == {}
    t, at, step = stall_switch(FORCED, STICKS, 0.1, y, 0.11)
    assert 0.1 <= t < 0.1001 and abs(at[1]) < 1e-15 and step < 1e-6


@pytest.mark.parametrize("system, p, y0, t_stop", [
    (FORCED, SLIPS, [0.0, 0.5], 20.0),                                     # friction reversing mid-swing
    (kernels.ODESystem(_relay, 2, 1, name="relay"), np.array([0.5]), [3.0, 0.0], 50.0),  # a relay crossed
    (kernels.lorenz(), np.array([10.0, 28.0, 8.0 / 3.0]), [1.0, 1.0, 1.0], 10.0),  # smooth
])
def test_a_switch_the_path_crosses_or_no_switch_is_no_stall(monkeypatch, system, p, y0, t_stop):
    """A regression hunt: the host budget ending as the path crosses a switch (its steps shrunk there) read as a
    stall in 4 of 170 budgets tried (these among them): the flow on the far side leads away, and the probe asks
    that the flow on both sides lead back into the switch."""
    for evaluations in (905, 2000, 3067, 3412):
        monkeypatch.setattr("kernels.discontinuity.STALL_EVALUATIONS", evaluations)
        assert stall_switch(system, p, 0.0, np.array(y0, np.float64), t_stop) is None


def _oscillator(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[0]


@pytest.mark.parametrize("system, span, y0, p, options, words", [
    (kernels.lorenz(), (0.0, 10.0), [1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0],
     dict(rtol=1e-10, atol=1e-10, max_steps=200), ADVICE),
    (kernels.stiff_van_der_pol(), (0.0, 1.0), [2.0, 0.0], [1000.0], dict(max_steps=50), "looks stiff"),
    (kernels.ODESystem(_oscillator, 2, 1, name="oscillator"), (0.0, 100.0), [1.0, 0.0], [400.0],
     dict(rtol=1e-8, atol=1e-10, max_steps=300), ADVICE),
])
def test_max_steps_without_a_switch_names_no_jump(system, span, y0, p, options, words):
    """Lorenz at rtol 1e-10, Van der Pol with mu = 1000 (its stiffness hint stays) and a smooth oscillator."""
    res = kernels.solve_ivp(system, span, y0, [p], method="tsit5", t_eval=np.linspace(*span, 11),
                            precision=np.float64, progress=False, **options)
    assert int(res.status[0]) == kernels.Status.MAX_STEPS
    message = res.message(0)
    assert words in message and "rhs jumps" not in message and "stalls" not in message


def _bang_bang(t, y, p, dydt):  # the time-optimal law for a double integrator: the origin by t = 2 sqrt(2) from x = -2
    s = y[0] + y[1] * abs(y[1]) / (2.0 * p[0])
    dydt[0] = y[1]
    dydt[1] = -p[0] if s > 0.0 else p[0]


BANG_BANG = kernels.ODESystem(_bang_bang, 2, 1, name="bang_bang")


@pytest.mark.parametrize("y", [[-1.5000000000000044, 0.9999999999999938],   # radau's save at t = 1
                               [-1.4999999999999984, 1.0000000000000027],   # rodas5p's
                               [-1.5, 1.0]])
def test_a_bang_bang_law_chattering_at_its_target_is_a_stall_from_any_of_its_saves(y):
    """A control engineer's trial: the law reaches the origin at t = 2.83 and chatters there (SciPy's Radau stalls
    too).  Its path crosses the switch curve near the origin on most of its collapsed steps, where the flow runs along
    the curve on one side, so the sliding test found it from rodas5p's save at t = 1 and not from radau's, 1e-15
    away: the message depended on the method."""
    t, at, step = stall_switch(BANG_BANG, np.array([1.0]), 1.0, np.array(y), 6.0)
    assert 2.8 < t < 3.0 and np.all(np.abs(at) < 1e-6) and step < 1e-6


@pytest.mark.parametrize("method", ["radau", "tsit5"])
def test_a_bang_bang_law_at_max_steps_names_the_jump_for_every_method(method):
    """radau and tsit5 were told "Raise max_steps, or loosen rtol and atol" (also at 4 times the steps) where rodas5p
    and kvaerno5 were told of the jump: the same trajectory, saved at t = 1 only."""
    res = kernels.solve_ivp(BANG_BANG, (0.0, 6.0), [-2.0, 0.0], [[1.0]], method=method, rtol=1e-6, atol=1e-6,
                            t_eval=[1.0, 6.0], precision=np.float64, progress=False, max_steps=300)
    assert int(res.status[0]) == kernels.Status.MAX_STEPS
    message = res.message(0)
    assert message.startswith("Likely cause: the rhs jumps at y = [")
    t = float(message.split("(t = ", 1)[1].split(")", 1)[0])
    assert 2.8 < t < 3.0 and "smooth the switch (tanh(v / eps)" in message
    assert "That is where this trajectory stalls: followed on the host from the last finite saved state (t = 1)" \
           in message and ADVICE not in message and "looks stiff" not in message
