"""The time arguments' checks (kernels.time_checks): the span, the save times and their messages."""

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError


def test_float32_times_that_round_together_are_told_to_be_float64():
    # 1000 float32 save times from an epoch of 7e8 hold 157 values: "pass np.unique(t_eval)" would have dropped 843
    # saves, and a float32 t_span of 30 s there was "empty" (an orbital mechanic's trial)
    from kernels.time_checks import check_span, check_t_eval

    with pytest.raises(ConfigurationError, match=r"t_eval is float32, which holds times near 7e\+08 only to 64: if "
                                                 r"these saves were meant to differ, make them in float64 \(np.unique "
                                                 r"would drop"):
        check_t_eval(np.linspace(7e8, 7e8 + 1000.0, 1000).astype(np.float32), 7e8, 7e8 + 2000.0)
    with pytest.raises(ConfigurationError, match=r"t_span holds float32 times, which hold times near 7e\+08 only "
                                                 r"to 64: if its ends were meant to differ, give them in float64"):
        check_span((np.float32(7e8), np.float32(7e8 + 30.0)))
    with pytest.raises(ConfigurationError, match=r"pass np.unique\(t_eval\)"):
        check_t_eval([0.0, 1.0, 1.0], 0.0, 2.0)


def test_per_trajectory_spans_are_told_the_span_is_shared():
    from kernels.time_checks import check_span

    with pytest.raises(ConfigurationError, match=r"shared by the whole batch; .*keep each epoch as a parameter"):
        check_span((np.array([0.0, 10.0]), np.array([100.0, 110.0])))


def test_equal_float32_times_get_both_remedies():
    # Equal float32 times may be equal as given ([0.5, 1, 1, 2], a span (2, 2): float64 fixes nothing, a regression
    # hunt) or distinct times rounded together ([1e5 + 0.5, 1e5 + 0.501], a span (1e5, 1e5 + 0.001): np.unique
    # drops a save, the next regression hunt); the values cannot tell which, so both remedies are given
    from kernels.time_checks import check_span, check_t_eval

    for times in ([0.5, 1.0, 1.0, 2.0], [1e5 + 0.5, 1e5 + 0.501]):
        arr = np.array(times, np.float32)
        with pytest.raises(ConfigurationError, match=r"if these saves were meant to differ, make them in float64 .*"
                                                     r"if they repeat as given, pass np.unique\(t_eval\)$"):
            check_t_eval(arr, 0.0, 2e5)
    for span in ((2.0, 2.0), (1e5, 1e5 + 0.001)):
        with pytest.raises(ConfigurationError, match=r"if its ends were meant to differ, give them in float64; if "
                                                     r"not, the state at t0 is y0 itself$"):
            check_span(tuple(np.float32(v) for v in span))
    with pytest.raises(ConfigurationError, match=r"got \(2.0, 2.0\): the span is empty: the state at t0 is y0 itself$"):
        check_span((2.0, 2.0))  # float64 as given: equal as given


def _spiking_cell(t, y, p, u, dydt):
    dydt[0] = (u[0] - y[0]) / p[0]


def test_per_trajectory_spans_tell_driven_models_to_write_their_input_in_rhs():
    # Restarting each trajectory from its own terminal event (spike times): t + p[k] shifts the rhs's clock but not
    # the drivers', which are sampled in absolute time and shared by the batch (a neuroscientist's trial)
    from kernels.time_checks import check_span

    words = (r"; with drivers, which are sampled in absolute time and shared by the batch, write the input in rhs as "
             r"a function of t \+ p\[k\] too, instead of as a driver\)$")
    with pytest.raises(ConfigurationError, match=r"keep each epoch as a parameter \(t \+ p\[k\] in rhs" + words):
        check_span((np.array([0.0, 10.0]), np.array([100.0, 110.0])))
    cell = kernels.ODESystem(_spiking_cell, 1, 1, n_drivers=1, name="spiking_cell")
    drivers = (np.linspace(0.0, 20.0, 21), np.ones((21, 1)))
    with pytest.raises(ConfigurationError, match=words):  # as a solve with drivers says it
        kernels.solve_ivp(cell, (np.array([0.0, 3.2]), 20.0), [[0.0], [0.0]], [[1.0], [1.0]], drivers=drivers,
                          progress=False)
