"""A terminal event whose ``g`` starts on the side its crossing leads to (:func:`kernels.event_notes.far_side_note`):
it can fire only after ``g`` goes to the other side and comes back, and the message says so (an astrodynamicist's
trial: an impact event ``r - 0.05`` with the start at r = 0.01, inside the body, never fired, and the message spoke
only of step underflow and a singular solution)."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernels import Event, Status
from kernel_helpers import kepler
from test_events import BALL  # the falling ball of the events' own tests: y[0] its height, y[1] its velocity


KEPLER = kernels.ODESystem(kepler, n_states=4, n_params=1, name="kepler", default_params=[1.0])


def hit_surface(t, y, p):
    return math.sqrt(y[0] ** 2 + y[1] ** 2) - 0.05


def _ground(t, y, p):
    return y[0]


def _top(t, y, p):
    return y[0] - 2.0


_NOTE = "the side its direction"


def test_an_impact_event_that_starts_inside_the_body_is_named_in_the_failure_message():
    res = kernels.solve_ivp(KEPLER, (0.0, 5.0), [[0.01, 0.0, 0.0, 0.0]], method="dop853", rtol=1e-10, atol=1e-12,
                            precision=np.float64, max_steps=3000, progress=False,
                            events=Event(hit_surface, terminal=True, direction=-1))
    assert int(res.status[0]) not in (Status.SUCCESS, Status.EVENT)
    # a failure's message opens with it: the cause (a neuroscientist's trial found it last of 1100 characters)
    assert res.message(0).startswith(
        "Terminal event events[0] (hit_surface) starts with g = -0.04 < 0, the side its direction -1 crossing "
        "leads to, so it fires only after g rises above 0 and falls again: if the start is inside the region the "
        "event guards (a start inside the body, or a slip of units), fix the start; if it is to fire when g first "
        "reaches 0 from the start, give direction=+1. The step size fell below"), res.message(0)


def test_an_upward_event_that_starts_above_its_zero_is_named_at_the_end_of_the_span():
    # a ball tossed up at 3 m with an event for rising through 2 m: g = 1 > 0 at the start, and it stays above 2 m
    res = kernels.solve_ivp(BALL, (0.0, 0.4), [3.0, 1.0], method="tsit5", precision=np.float64, progress=False,
                            t_eval=np.linspace(0.0, 0.4, 5), events=Event(_top, terminal=True, direction=1))
    assert int(res.status[0]) == Status.SUCCESS
    assert ("Terminal event events[0] (_top) starts with g = 1 > 0, the side its direction +1 crossing leads to, so "
            "it fires only after g falls below 0 and rises again") in res.message(0)
    assert res.message(0).startswith("The solver successfully reached the end")  # a success's note stays after it


def test_no_far_side_note_where_the_event_fired_went_back_or_counts_both_ways():
    y0 = [[-1.0, 10.0], [-1.0, 10.0], [-1.0, 0.0]]  # thrown up from below the ground; the last one only falls
    fired = kernels.solve_ivp(BALL, (0.0, 3.0), y0[:1], method="tsit5", precision=np.float64, progress=False,
                              events=Event(_ground, terminal=True, direction=-1))
    assert int(fired.status[0]) == Status.EVENT and _NOTE not in fired.message(0)
    # the span ends before it lands: its saves show g rose above 0, so the crossing was armed (a launch): no note
    launched = kernels.solve_ivp(BALL, (0.0, 1.0), y0[1:2], method="tsit5", precision=np.float64, progress=False,
                                 t_eval=np.linspace(0.0, 1.0, 11), events=Event(_ground, terminal=True, direction=-1))
    assert int(launched.status[0]) == Status.SUCCESS and _NOTE not in launched.message(0)
    both = kernels.solve_ivp(BALL, (0.0, 1.0), y0[2:], method="tsit5", precision=np.float64, progress=False,
                             events=Event(_ground, terminal=True, direction=0))
    assert int(both.status[0]) == Status.SUCCESS and _NOTE not in both.message(0)


def _drain(t, y, p, dydt):
    dydt[0] = -1.0


def _sqrt_level(t, y, p):  # NaN once y[0] < 0: the domain of the model's sqrt
    return math.sqrt(y[0]) - 0.1


def test_a_terminal_event_whose_g_turns_nan_within_a_step_is_named_in_the_message():
    """A battery modeller's cut-off voltage held sqrt(x (1 - x)): within one step of rodas5p the stoichiometry passed
    1, g went from a number to NaN, which is no sign change, and the run ended with success and nothing said.  Here
    sqrt(y) - 0.1 with y draining by 1 per unit time, fixed steps of 0.6: g is 0.53 at t = 0.6 and NaN at 1.2."""
    system = kernels.ODESystem(_drain, n_states=1, n_params=0, name="drain")
    with pytest.warns(kernels.SuspectSuccessWarning, match=r"trajectory 0 ended with status SUCCESS, but terminal "
                      r"event events\[0\] \(_sqrt_level\) could not stop it: its g was 0\.532 at t = 0\.6 and NaN"):
        res = kernels.solve_ivp(system, (0.0, 2.4), [1.0], method="rk4", dt=0.6, t_eval=[0.6, 1.2, 1.8, 2.4],
                                precision=np.float64, progress=False,
                                events=Event(_sqrt_level, terminal=True, direction=-1))
    assert int(res.status[0]) == Status.SUCCESS and int(res.event_count[0, 0]) == 0
    assert ("Terminal event events[0] (_sqrt_level) did not fire: its g was 0.532 at t = 0.6 and NaN at t = 1.2, and "
            "a NaN is no sign change") in res.message(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.SuspectSuccessWarning)
        kept = kernels.solve_ivp(system, (0.0, 2.4), [1.0], method="rk4", dt=0.2, t_eval=[0.6, 1.2, 1.8, 2.4],
                                 precision=np.float64, progress=False,
                                 events=Event(_sqrt_level, terminal=True, direction=-1))
    assert int(kept.status[0]) == Status.EVENT and "NaN" not in kept.message(0)  # a step lands on y = 0: g = -0.1
