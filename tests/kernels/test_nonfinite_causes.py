"""The causes kernels/nonfinite_causes.py names, through kernels.solve_ivp: a y0 that the run's precision rounds onto a
removable singularity."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernels import Status


def _gate(t, y, p, dydt):
    v = y[0] + 40.0  # a Hodgkin-Huxley rate, 0 / 0 at V = -40: its limit there is 1
    dydt[0] = 0.1 * v / (1.0 - math.exp(-v / 10.0))


GATE = kernels.ODESystem(_gate, 1, name="gate")


def _solve(y0, method, precision):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kernels.solve_ivp(GATE, (0.0, 1.0), y0, method=method, precision=precision, progress=False)


@pytest.mark.parametrize("method, status", [("tsit5", Status.NONFINITE_STATE), ("rodas5p", Status.SINGULAR_MATRIX)])
def test_a_float32_y0_rounded_onto_a_removable_singularity_names_both_values(method, status):
    """A neuroscientist's trial: V = -40.000001 (mV) is off the 0 / 0 at -40, float32 holds it as -40.0, and the run
    ended at its start told only to write the limit; the message now names the given value, float32's, and both
    remedies (the rhs hint for tsit5's non-finite state, the Jacobian hint for rodas5p's singular matrix)."""
    result = _solve([[-40.000001], [-39.0]], method, np.float32)
    assert result.status[0] == status and result.status[1] == Status.SUCCESS
    text = result.message(0)
    assert text.startswith("Likely cause: float32 holds y0's y_0 = -40.000001 as -40.0, where the "), text
    assert "y0 gives y_0 = -40.000001, off it" in text and "float32 holds -40.000001 as -40.0, exactly on it" in text
    assert "with its limit at that value" in text and "precision=np.float64" in text
    float64 = _solve([[-40.000001], [-39.0]], method, np.float64)  # float64 holds it off the singularity
    assert float64.success, float64.message(0)
    np.testing.assert_allclose(float64.y[0, -1, 0], -40.000001 + 1.0, rtol=1e-3)  # rate 1 near V = -40


def test_a_y0_given_on_the_singularity_is_not_told_of_rounding():
    """y0 = -40 exactly: the state is where the user put it, and the message keeps to the limit."""
    text = _solve([-40.0], "tsit5", np.float32).message(0)
    assert "removable singularity" in text and "with its limit at that value" in text
    assert "holds" not in text and "precision=np.float64" not in text, text
