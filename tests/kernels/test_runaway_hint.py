"""A failed trajectory whose start grows past any number's range over the span is told so, not that it is stiff
(kernels.runaway_hint)."""

import numpy as np
import pytest

import kernels


def _sir(t, y, p, dydt):
    infection = p[0] * y[0] * y[1]
    dydt[0] = -infection
    dydt[1] = infection - p[1] * y[1]
    dydt[2] = p[1] * y[1]


SIR = kernels.ODESystem(_sir, 3, 2, name="sir_runaway")
# draw 1's recovery rate given as -60 instead of 1/6 (a sign slip): its infected grow as e^(60 t)
PARAMS = np.array([[0.5, 1.0 / 6.0], [0.5, -60.0]])


@pytest.mark.parametrize("method", ["tsit5", "rodas5p"])
def test_a_rate_given_negative_is_told_to_grow_without_bound(method):
    """tsit5 ran out of steps and was told the problem looked stiff (the growing mode taken for a fast one), rodas5p
    to raise max_steps (an epidemiologist's trial); the other draw is unaffected."""
    result = kernels.solve_ivp(SIR, (0.0, 120.0), [0.99, 0.01, 0.0], PARAMS, method=method, max_steps=300,
                               precision=np.float64, progress=False)
    assert result.status[0] == kernels.Status.SUCCESS and result.status[1] != kernels.Status.SUCCESS
    message = result.message(1)
    assert "mode growing at rate 60" in message and "grows without bound" in message, message
    assert "looks stiff" not in message and "Check the signs and units of the rate parameters" in message
    assert "grows without bound" not in result.message(0)


def test_growth_within_range_is_no_runaway():
    """A start growing 8 e-folds over the span (rate 1 per unit of t to t = 8) that runs out of steps is told to
    raise max_steps, not that it grows past any number's range."""
    def _growth(t, y, p, dydt):
        dydt[0] = y[0]
        dydt[1] = -y[1]

    system = kernels.ODESystem(_growth, 2, name="growth_in_range")
    result = kernels.solve_ivp(system, (0.0, 8.0), [1.0, 1.0], method="tsit5", max_steps=5, precision=np.float64,
                               progress=False)
    assert result.status[0] == kernels.Status.MAX_STEPS
    assert "grows without bound" not in result.message(0) and "max_steps" in result.message(0)


def test_a_growth_that_saturates_is_no_runaway():
    """Van der Pol with mu = 1000 from near its origin: the start's mode grows at +1000 (1e4 e-folds over the span),
    but the growth saturates on the limit cycle; out of steps with tsit5 it is stiffness, not a runaway."""
    result = kernels.solve_ivp(kernels.van_der_pol(), (0.0, 10.0), [0.01, 0.0], [[1000.0]], method="tsit5",
                               max_steps=500, precision=np.float64, progress=False)
    assert result.status[0] == kernels.Status.MAX_STEPS
    assert "grows without bound" not in result.message(0)


def _logistic(t, y, p, dydt):
    dydt[0] = p[0] * y[0] * (1.0 - y[0] / p[1])


def test_growth_to_a_capacity_far_above_the_start_is_no_runaway():
    """Logistic growth at rate 1 to a capacity 1e9 times its start over a span of 1000 (1000 e-folds at the start):
    the host follow reaches the capacity, where the mode decays, so running out of steps is told as such."""
    system = kernels.ODESystem(_logistic, 1, 2, name="logistic_capacity")
    for method in ("tsit5", "rodas5p"):
        result = kernels.solve_ivp(system, (0.0, 1000.0), [1.0], [1.0, 1e9], method=method, max_steps=15,
                                   precision=np.float64, progress=False)
        assert result.status[0] == kernels.Status.MAX_STEPS
        assert "grows without bound" not in result.message(0) and "Raise max_steps" in result.message(0)


@pytest.mark.parametrize("method", ["tsit5", "rodas5p"])
def test_a_runaway_from_one_rows_negative_rate_names_that_parameter_first(method):
    """Draw 1's recovery rate, -60 where draw 0's is 1/6, is named before the runaway hint (kernels.param_sign); with
    both draws negative (a sweep across 0) the hint stays and names no parameter."""
    result = kernels.solve_ivp(SIR, (0.0, 120.0), [0.99, 0.01, 0.0], PARAMS, method=method, max_steps=300,
                               precision=np.float64, progress=False)
    message = result.message(1)
    told = "params[1, 1] = -60 is negative where every other row's column 1 is >= 0: check its sign"
    assert told in message and message.index(told) < message.index("grows without bound"), message
    both = np.array([[0.5, -50.0], [0.5, -60.0]])
    result = kernels.solve_ivp(SIR, (0.0, 120.0), [0.99, 0.01, 0.0], both, method=method, max_steps=300,
                               precision=np.float64, progress=False)
    assert "grows without bound" in result.message(1) and "check its sign" not in result.message(1)
