"""kernels/outlier_inputs.py: a failed trajectory whose y0 or params row holds an entry ten times or more beyond every
other row's same column (a units slip) opens its message with that entry, where some other row succeeded; ordinary
sweeps, rows that succeed and batches of two are left alone (a battery modeller's trial: one row's temperature typed
in Celsius, 25, beside 298 to 318 K, ended SINGULAR_MATRIX with "an infinite or undefined derivative ... at x = 0")."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import kernels
from kernels.outlier_inputs import outlier_columns


def _cell(t, y, p, dydt):
    """A lumped cell: an Arrhenius-like rate with sqrt(T - 273) (undefined below 273 K), a thermal state."""
    rate = p[0] * math.exp(-p[1] / y[1]) * math.sqrt(y[1] - 273.0)
    dydt[0] = -rate * y[0]
    dydt[1] = p[2] * (p[3] - y[1]) + rate * y[0]


CELL = kernels.ODESystem(_cell, n_states=2, n_params=4, name="cell_outlier", param_names=["A", "Ea", "h", "Tamb"])
CELL.state_names = ("c", "T")
PLAIN = kernels.ODESystem(_cell, n_states=2, n_params=4, name="cell_outlier_plain")


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]
    dydt[1] = -p[1] * y[1]


DECAY = kernels.ODESystem(_decay, n_states=2, n_params=2, name="decay_outlier")


def _cell_rows(temperatures):
    params = np.array([[1.0, 300.0, 0.1, T] for T in temperatures])
    return np.array([[1.0, T] for T in temperatures]), params


def _solve(system, y0, params, method="rodas5p", max_steps=1000, span=1.0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kernels.solve_ivp(system, (0.0, span), y0, params, method=method, rtol=1e-3, atol=1e-6,
                                 precision=np.float64, max_steps=max_steps, progress=False)


@pytest.fixture(scope="module")
def celsius():
    """Four ambient temperatures, row 2's typed in Celsius in its y0 and its params (rodas5p: SINGULAR_MATRIX)."""
    return _solve(CELL, *_cell_rows((298.15, 308.15, 25.0, 318.15)))


def test_a_temperature_in_celsius_opens_its_row_s_message(celsius):
    """Named by state and parameter name, with the other rows' range, before the headline; said once."""
    assert [int(s) for s in celsius.status] == [0, 0, int(kernels.Status.SINGULAR_MATRIX), 0]
    message = celsius.message(2)
    assert message.startswith(
        "y0[2, 1] (T) = 25 is 12 times smaller than every other row's (298.15 to 318.15), and params[2, 3] (Tamb) = "
        "25 is 12 times smaller than theirs (298.15 to 318.15): check their units ("), message
    assert message.count("every other row's (") == 1
    for row in (0, 1, 3):  # the rows that succeeded: never
        assert "times smaller" not in celsius.message(row)


def test_the_headline_says_the_rhs_is_not_defined_at_the_initial_state(celsius):
    """Not "an infinite or undefined derivative ... at x = 0": no state is at 0 (kernels/jacobian_hint.py)."""
    message = celsius.message(2)
    assert "Likely cause: the rhs is not defined at this trajectory's initial state" in message, message
    assert "at x = 0" not in message and "start slightly inside the domain" not in message


def test_without_names_the_entries_are_named_by_index():
    res = _solve(PLAIN, *_cell_rows((298.15, 308.15, 25.0, 318.15)))
    assert res.message(2).startswith("y0[2, 1] = 25 is 12 times smaller than every other row's (298.15 to 318.15), "
                                     "and params[2, 3] = 25 is 12 times smaller"), res.message(2)


def test_a_batch_of_two_is_not_flagged():
    """Either row of two could be the odd one."""
    res = _solve(CELL, *_cell_rows((298.15, 25.0)))
    assert int(res.status[1]) != 0 and int(res.status[0]) == 0
    assert "every other row's (" not in res.message(1)


def test_a_lone_large_rate_that_ran_out_of_steps_is_named():
    """tsit5 on a rate 500 times the others' (stiff for it) stops at max_steps; the rows that reach the end: not."""
    res = _solve(DECAY, [1.0, 1.0], np.array([[1.0, 1.0], [1.5, 1.0], [2.0, 1.0], [1000.0, 1.0]]), "tsit5", 30)
    assert [int(s) for s in res.status] == [0, 0, 0, int(kernels.Status.MAX_STEPS)]
    assert res.message(3).startswith("params[3, 0] = 1000 is 500 times larger than every other row's (1 to 2): "
                                     "check its units ("), res.message(3)
    assert all("every other row's (" not in res.message(i) for i in range(3))


def test_a_sweep_over_two_decades_is_not_flagged():
    """1, 10, 100: its end is one grid step past the rest, and ran out of steps for its own reason."""
    res = _solve(DECAY, [1.0, 1.0], np.array([[1.0, 1.0], [10.0, 1.0], [100.0, 1.0], [1.5, 1.0]]), "tsit5", 12)
    assert int(res.status[2]) == int(kernels.Status.MAX_STEPS) and int(res.status[0]) == 0
    assert "every other row's (" not in res.message(2)


def test_after_a_lone_negative_note_for_the_same_row():
    """The sign note (kernels/param_sign.py) opens the message, the outlier note follows it, each once."""
    res = _solve(DECAY, [1.0, 1.0], np.array([[1.0, 1.0], [1.5, 1.0], [1000.0, -1000.0], [2.0, 1.0]]), "tsit5", 30)
    assert int(res.status[2]) != 0 and int(res.status[0]) == 0
    message = res.message(2)
    sign = ("params[2, 1] = -1e+03 is negative where every other row's column 1 is >= 0: check its sign (a rate given "
            "negative makes a mode grow). ")
    assert message.startswith(sign + "params[2, 0] = 1000 is 500 times larger than every other row's (1 to 2)"), \
        message
    assert message.count("check its sign") == 1 and message.count("times larger") == 1


@st.composite
def _grids(draw):
    """A column swept over a grid (geometric from 1e-3..1e3 over up to 6 decades, or linear from near 0), each
    point jittered by up to 15 %, shuffled, of either sign."""
    n = draw(st.integers(3, 10))
    lo = draw(st.floats(-3.0, 2.5))
    hi = draw(st.floats(lo + 0.05, 3.0))
    if draw(st.booleans()):
        column = np.logspace(lo, hi, n)
    else:
        column = np.linspace(10.0 ** lo, 10.0 ** hi, n)
    jitter = np.array(draw(st.lists(st.floats(1 / 1.15, 1.15), min_size=n, max_size=n)))
    order = draw(st.permutations(range(n)))
    return (-1.0 if draw(st.booleans()) else 1.0) * (column * jitter)[list(order)]


@settings(max_examples=300, deadline=None)
@given(_grids())
def test_no_end_of_an_ordinary_sweep_is_flagged(column):
    values = np.column_stack([column, np.full(column.size, 298.15)])
    for row in range(column.size):
        assert outlier_columns(values, row)[0].size == 0, (column, row)


def test_the_outlier_rule_by_example():
    """Flagged: a factor beyond tight others (Celsius beside 0 to 100 C in kelvin too); not: a zero, another sign, a
    NaN among the others, others spread over more than a decade, two of a kind."""
    def flagged(column, row):
        return outlier_columns(np.array(column, float)[:, None], row)[0].tolist() == [0]

    assert flagged([298.15, 308.15, 25.0, 318.15], 2) and flagged([273.15, 323.15, 373.15, 25.0], 3)
    assert flagged([1e-3, 1.2e-3, 1.1e-3, 5.0], 3) and flagged([-3.0, -3.5, -3e3], 2)
    assert not flagged([298.15, 308.15, 0.0, 318.15], 2) and not flagged([298.15, 308.15, -25.0, 318.15], 2)
    assert not flagged([298.15, np.nan, 25.0, 318.15], 2) and not flagged([1.0, 20.0, 1e3], 2)
    assert not flagged([298.15, 25.0, 25.0, 318.15], 1) and not flagged([298.15, 25.0], 1)
    assert not flagged([1e-3, 0.5, 1.0], 0)  # a linear sweep from near 0
