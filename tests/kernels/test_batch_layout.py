"""What a batch input laid out otherwise than one row per trajectory is told (kernels/batch_layout.py): here a tuple
mixing a number every trajectory shares with a column of one value per trajectory, diffrax's ``args`` habit."""

import math

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError


def _pend(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * math.sin(y[0]) - p[1] * y[1]


PEND = kernels.ODESystem(_pend, n_states=2, n_params=2, name="pend_layout")
FRICTION = np.linspace(0.0, 1.0, 4)


def _told(params, y0=(1.0, 0.0)):
    with pytest.raises(ConfigurationError) as caught:
        kernels.solve_ivp(PEND, (0.0, 1.0), y0, params, progress=False)
    return str(caught.value)


def _stacking(message):
    """The np.column_stack expression a message gives (up to its matching bracket)."""
    start = message.index("np.column_stack([")
    depth = 0
    for end in range(start, len(message)):
        depth += {"(": 1, ")": -1}.get(message[end], 0)
        if depth == 0 and message[end] == ")":
            return message[start:end + 1]
    raise AssertionError(message)


@pytest.mark.parametrize("params, expected", [
    ((9.81, FRICTION), np.column_stack([np.full(4, 9.81), FRICTION])),
    ([FRICTION, 0.3], np.column_stack([FRICTION, np.full(4, 0.3)])),
    ((np.float32(9.5), FRICTION), np.column_stack([np.full(4, 9.5), FRICTION])),
])
def test_a_shared_number_beside_a_column_is_told_the_column_stack_that_builds_the_rows(params, expected):
    """params=(9.81, friction) was told to flatten into 5 numbers (a diffrax user's trial); the expression given
    builds the (N, n_params) rows, in the order given."""
    message = _told(params)
    assert "1-D arrays of 4 values, one parameter each (diffrax's args habit)" in message
    assert "flatten" not in message
    built = eval(_stacking(message), {"np": np, "params": params})  # noqa: S307 - the message's own expression
    assert built.shape == (4, 2)
    np.testing.assert_array_equal(built, expected)
    result = kernels.solve_ivp(PEND, (0.0, 1.0), [1.0, 0.0], built, progress=False)
    assert result.success and result.y.shape == (4, 1, 2)


def test_a_count_unlike_the_systems_is_said():
    message = _told((9.81, FRICTION, 0.1))
    assert "np.column_stack([np.full(4, 9.81), params[1], np.full(4, 0.1)])" in message
    assert "that is 3 values per trajectory, and the system has 2" in message


def test_one_trajectorys_row_holding_an_array_is_still_told_to_flatten():
    """(9.81, [0.3]) adds up to the system's 2 values: one trajectory's row, flattened."""
    assert "flatten it into the 2 numbers" in _told((9.81, np.array([0.3])))


def test_y0_given_so_is_told_in_states():
    message = _told([9.81, 0.3], y0=(1.0, np.zeros(3)))
    assert "y0 is a tuple of numbers and 1-D arrays of 3 values, one state each" in message
    assert "np.column_stack([np.full(3, 1.0), y0[1]])" in message
