"""Event functions checked at the solve: indices past the system's arrays (run on the host with its test arrays)
and DiffEq's callback arguments (affect=, rootfind=) told what to do here."""

import math

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError, Event


def _decay_of_rate_p0(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


RATE_DECAY = kernels.ODESystem(_decay_of_rate_p0, 1, n_params=1, name="rate_decay")


def test_an_event_reading_past_the_parameters_is_refused_at_the_solve():
    """An Event does not know its system and g never ran on the host at its sizes: y[0] - p[1] on a 1-parameter
    system reached the kernel (on a GPU a read past the row, with no error; a DiffEqGPU.jl user's trial)."""
    event = Event(lambda t, y, p: y[0] - p[1], terminal=True)
    with pytest.raises(ConfigurationError, match=r"^events\[0\] function indexes past its arrays with system "
                                                 r"'rate_decay' \(at t = 0, y = \[0\.5\]; y of 1, p of 1 elements, at "
                                                 r"test_event_checks.py:\d+\): IndexError: index 1 is out of bounds.*On a "
                                                 r"GPU p\[1\], an index out of range, reads memory.*index y below 1 "
                                                 r"and p below 1 \(0-based\)$"):
        kernels.solve_ivp(RATE_DECAY, (0.0, 1.0), [1.0], [1.0], precision=np.float64, events=event, progress=False)


def _second_state_below_zero(t, y, p):
    if y[0] < 0.0:
        return y[1]
    return y[0] - 0.5


def test_an_event_indexing_past_the_state_in_a_branch_is_refused_as_the_second_event():
    events = [Event(lambda t, y, p: y[0] - 0.5), Event(_second_state_below_zero)]
    with pytest.raises(ConfigurationError, match=r"^events\[1\] function indexes past its arrays .*y\[1\], an index "
                                                 r"out of range, reads memory"):
        kernels.Integrator(RATE_DECAY, "tsit5", precision=np.float64, events=events).solve(
            (0.0, 1.0), [1.0], [1.0], progress=False)


def test_an_event_within_the_system_s_arrays_still_solves():
    result = kernels.solve_ivp(RATE_DECAY, (0.0, 2.0), [1.0], [1.0], precision=np.float64, progress=False,
                               events=Event(lambda t, y, p: y[0] - 0.5 * p[0], terminal=True))
    np.testing.assert_allclose(result.event_t, [math.log(2.0)], rtol=1e-5)


@pytest.mark.parametrize("call", [
    lambda g: Event(g, terminal=True, direction=-1, affect=None),
    lambda g: Event(g, True, -1, lambda integrator: None),  # affect! as DiffEq's second argument
    lambda g: Event(g, terminal=True, **{"affect!": None}),
])
def test_a_diffeq_affect_is_told_the_terminal_event_and_new_solve_recipe(call):
    """Event(g, terminal=True, affect=...) raised a bare TypeError about 'affect' (a DiffEqGPU.jl user's trial)."""
    with pytest.raises(ConfigurationError, match=r"^Event takes no affect function: .*a terminal event, then a new "
                                                 r"solve from result.event_y .*'Summaries, counters and events'"):
        call(lambda t, y, p: y[0])


def test_an_event_s_unknown_keyword_is_named_with_the_closest_or_what_it_was():
    with pytest.raises(ConfigurationError, match=r"got the keyword 'terminate': did you mean 'terminal'\?"):
        Event(lambda t, y, p: y[0], terminate=True)
    with pytest.raises(ConfigurationError, match=r"'rootfind' is a DifferentialEquations.jl callback option"):
        Event(lambda t, y, p: y[0], rootfind=True)
    assert Event(function=lambda t, y, p: y[0], terminal=True).terminal  # the fields by name still pass
