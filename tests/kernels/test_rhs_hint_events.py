"""The failure hints' host follow honours the solve's terminal events: a point past a terminal event's crossing is
none of the run's, and is not named (a battery model's MAX_STEPS run was told of a domain error after its voltage
cut-off: a user's trial)."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernels.follow_events import TerminalWatch
from kernels.rhs_follow import Found, Reached, follow


def _draining(t, y, p, dydt):  # sqrt(y0) = 1 - t / 2: y0 reaches 0 at t = 2, where a step below 0 takes sqrt of < 0
    dydt[0] = -math.sqrt(y[0])
    dydt[1] = -y[1]


DRAINING = kernels.ODESystem(_draining, n_states=2, n_params=0, name="draining_cutoff")


def _cutoff(t, y, p):  # y0 falls through 0.25 at t = 1, before the domain error at t = 2
    return y[0] - 0.25


CUTOFF = kernels.Event(_cutoff, terminal=True, direction=-1)
DOMAIN = "math domain error"
# MAX_STEPS with one of three attempts rejected (the host follow is asked), and a fixed step that makes NaN
MAX_STEPS_RUN = dict(method="rodas5p", max_steps=2, rtol=1e-12, atol=1e-14)
FIXED_RUN = dict(method="rk4", dt=2.0)


def _solve(events, run):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kernels.solve_ivp(DRAINING, (0.0, 4.0), [1.0, 1.0], precision=np.float64, events=events,
                                 progress=False, **run)


def _scipy_cutoff(t, y, p):
    return y[0] - 0.25


_scipy_cutoff.terminal = True
_scipy_cutoff.direction = -1


@pytest.mark.parametrize("events", [CUTOFF, _scipy_cutoff], ids=["Event", "scipy_attributes"])
def test_a_max_steps_run_is_not_told_of_a_domain_error_past_its_terminal_event(events):
    res = _solve(events, MAX_STEPS_RUN)
    assert res.status[0] == kernels.Status.MAX_STEPS
    message = res.message(0)
    assert DOMAIN not in message and "1.99" not in message, message
    assert "Raise max_steps" in message, message  # the status's own advice stands


def test_a_fixed_step_failure_before_the_terminal_event_is_called_the_runs():
    res = _solve(CUTOFF, FIXED_RUN)
    assert res.status[0] == kernels.Status.NONFINITE_STATE
    message = res.message(0)
    assert DOMAIN not in message and "1.99" not in message, message
    assert "reaches its terminal event events[0] (_cutoff) by t = " in message, message
    assert "Take a smaller dt." in message, message


@pytest.mark.parametrize("run", [MAX_STEPS_RUN, FIXED_RUN], ids=["max_steps", "fixed_step"])
@pytest.mark.parametrize("events", [None, kernels.Event(_cutoff, terminal=False),
                                    kernels.Event(_cutoff, terminal=True, direction=1)],
                         ids=["no_event", "not_terminal", "other_direction"])
def test_the_domain_error_is_still_named_where_no_terminal_event_comes_first(events, run):
    res = _solve(events, run)
    assert not res.success
    message = res.message(0)
    assert f"The system's rhs raised ValueError ({DOMAIN}) at t = 1.99" in message, message


def test_the_watch_follows_the_events_crossing_rule():
    rising, falling, both = (kernels.Event(lambda t, y, p: y[0], terminal=True, direction=d) for d in (1, -1, 0))
    quiet = kernels.Event(lambda t, y, p: y[0], terminal=False)
    watch = TerminalWatch((quiet, rising, falling, both), np.zeros(0))
    watch.start(0.0, np.array([0.0]))  # a start on the zero is not a crossing
    assert watch.crossed(1.0, np.array([1.0])) is None
    assert watch.crossed(2.0, np.array([-1.0])) == 2  # falling: the first terminal event in its direction
    assert watch.crossed(3.0, np.array([0.0])) == 1  # rising: g_old < 0 <= g_new
    assert watch.crossed(4.0, np.array([0.5]), keep=False) is None  # from 0: no crossing
    assert not TerminalWatch((quiet,), np.zeros(0))


def _raising(t, y, p):
    raise ZeroDivisionError("g fails on the host")


def _not_finite(t, y, p):
    return math.nan if t > 0.5 else 1.0


def test_an_event_that_fails_on_the_host_is_ignored():
    events = tuple(kernels.Event(g, terminal=True) for g in (_raising, _not_finite))
    found = follow(DRAINING, np.array([1.0, 1.0]), np.zeros(0), 0.0, 4.0, events=events)
    assert isinstance(found, Found) and 1.9 < found.t < 2.1
    reached = follow(DRAINING, np.array([1.0, 1.0]), np.zeros(0), 0.0, 4.0, events=events + (CUTOFF,))
    assert isinstance(reached, Reached) and reached.event == 2 and 1.0 <= reached.t < 2.0
