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


def _kuramoto4(t, y, p, dydt):
    """Four Kuramoto oscillators: p[0] the coupling K, p[1:5] the natural frequencies."""
    for i in range(4):
        s = 0.0
        for j in range(4):
            s += math.sin(y[j] - y[i])
        dydt[i] = p[1 + i] + p[0] / 4.0 * s


def test_a_one_dimensional_sweep_of_one_parameter_is_told_to_build_the_table():
    """A power-systems user's sweep of K alone, params of shape (8,) for a 9-parameter Kuramoto model, was told only
    "must have shape (N, 9) or (9,)"; it is told the row is shared, and how to build the table of one row per
    trajectory (a length that is a multiple of the row's: rows laid end to end, too)."""
    system = kernels.ODESystem(_kuramoto4, n_states=4, n_params=5, name="kuramoto4_layout")
    with pytest.raises(ConfigurationError) as caught:
        kernels.solve_ivp(system, (0.0, 1.0), np.zeros(4), np.linspace(0.0, 4.0, 8), progress=False)
    text = str(caught.value)
    assert text.startswith("params must have shape (N, 5) or (5,) (n_params); got shape (8,): a 1-D params is the "
                           "one row every trajectory shares, so it needs all 5 parameters; for a sweep of one "
                           "parameter over 8 trajectories (a value each), build the full table of 8 rows of 5: "
                           "P = np.tile(p_base, (8, 1)); P[:, j] = values"), text
    with pytest.raises(ConfigurationError, match=r"got shape \(10,\): .* or, if it holds 2 rows of 5 end to end, "
                                                 r"np\.reshape\(params, \(2, 5\)\)$"):
        kernels.solve_ivp(system, (0.0, 1.0), np.zeros(4), np.arange(10.0), progress=False)
