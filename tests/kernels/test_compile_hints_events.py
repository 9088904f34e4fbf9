"""An event function that does not compile is told a remedy for a function that returns one number
(kernels/compile_hints.py), not the rhs's "write it into the output array"."""

import math

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError


def _three_angles(t, y, p, dydt):
    dydt[0] = 1.0
    dydt[1] = 0.5
    dydt[2] = -0.5


def _spread_np(t, y, p):  # np.max of an array: device code cannot make the array
    return math.pi - np.max(np.abs(y[1:3] - y[0]))


def _spread_generator(t, y, p):  # a generator expression: a Python object
    return math.pi - max(abs(y[i] - y[0]) for i in range(1, 3))


@pytest.mark.skipif(kernels.backend() == "cuda", reason="the simulator's compile check to PTX words the refusal")
@pytest.mark.parametrize("g, words", [(_spread_np, "Compute the value from entries of y and p with scalar "
                                                   "arithmetic and return it as one number"),
                                      (_spread_generator, "accumulate into a scalar in a for loop (m = 0.0; for i "
                                                          "in range(n): m = max(m, abs(y[i]))) and return it as one "
                                                          "number")])
def test_an_event_function_that_does_not_compile_is_told_to_return_one_number(g, words):
    """A power-systems user's trial: np.max(np.abs(y[1:N] - y[0])) in an event was told to "compute each component
    with scalar arithmetic and write it into the output array", which an event function does not have."""
    system = kernels.ODESystem(_three_angles, n_states=3, name="three_angles_event")
    with pytest.raises(ConfigurationError) as caught:
        kernels.solve_ivp(system, (0.0, 1.0), np.zeros(3), events=kernels.Event(g, terminal=True), progress=False)
    text = str(caught.value)
    assert text.startswith("events[0]: the event function of system 'three_angles_event' does not compile"), text
    assert words in text and "output array" not in text, text
