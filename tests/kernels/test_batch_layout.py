"""What a batch input laid out otherwise than one row per trajectory is told (kernels/batch_layout.py): here a tuple
mixing a number every trajectory shares with a column of one value per trajectory, diffrax's ``args`` habit."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError
from kernel_helpers import kuramoto_rhs


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


_kuramoto4 = kuramoto_rhs(4)


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


def test_a_shared_row_short_of_a_state_is_told_so_where_the_trajectories_are_counted():
    """An astrochemist's y0 without its electrons, 15 values for 16 states beside 16 rows of params, was told to
    tile a sweep of one state over 15 trajectories; the params count the trajectories, so it is a row short."""
    system = kernels.ODESystem(_kuramoto4, n_states=4, n_params=5, name="kuramoto4_short")
    with pytest.raises(ConfigurationError) as caught:
        kernels.solve_ivp(system, (0.0, 1.0), np.zeros(3), np.ones((6, 5)), progress=False)
    assert str(caught.value) == ("y0 must have shape (6, 4) or (4,) (n_states); got shape (3,): a 1-D y0 is the one "
                                 "row every trajectory shares, so it needs all 4 states in the order the rhs reads "
                                 "them; this one has 3, 1 short (states left out?)")
    with pytest.raises(ConfigurationError, match=r"for a sweep of one state over 6 trajectories"):
        kernels.solve_ivp(system, (0.0, 1.0), np.zeros(6), np.ones((6, 5)), progress=False)


def _duffing(t, y, p, dydt):
    """A forced Duffing oscillator, p = c, k, a, F, w."""
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[1] - p[1] * y[0] - p[2] * y[0] * y[0] * y[0] + p[3] * math.cos(p[4] * t)


DUFFING = kernels.ODESystem(_duffing, n_states=2, n_params=5, name="duffing_layout")
_SWEEP = np.column_stack([np.full(5, 0.1), np.ones(5), np.full(5, 0.5), np.full(5, 0.3), np.linspace(0.6, 1.8, 5)])


def _solve_duffing(params, y0=(0.0, 0.0)):
    """A short fixed-step solve (its warnings are what the tests read)."""
    return kernels.solve_ivp(DUFFING, (0.0, 0.1), y0, params, method="rk4", dt=0.05, progress=False)


@pytest.mark.parametrize("form", [np.asarray, lambda a: a.tolist()])
def test_a_square_sweep_in_scipys_orientation_warns_that_it_reads_transposed(form):
    """A 5-frequency sweep of a 5-parameter Duffing passed as P.T, SciPy's orientation, ran every trajectory with
    nonsense parameters with success and no word (N = 3 is refused): a mechanical engineer's trial."""
    with pytest.warns(kernels.ParamNamesWarning) as caught:
        _solve_duffing(form(_SWEEP.T))
    text = str(caught[0].message)
    transpose = "params.T" if form is np.asarray else "np.array(params).T"
    assert text.startswith("params is square (5 trajectories of 5 parameters) and reads as transposed: 4 of its "
                           "rows hold one value repeated and none of its columns do"), text
    assert f"if so, pass {transpose} (or np.column_stack of the per-parameter arrays)" in text
    assert text.endswith("if each row is one trajectory, as given, ignore this warning")


@pytest.mark.parametrize("params", [
    _SWEEP,  # the sweep itself, one row per trajectory
    np.column_stack([np.full(5, 0.2), np.linspace(0.5, 1.5, 5), np.full(5, 0.5), np.full(5, 0.3), np.full(5, 1.2)]),
    np.random.default_rng(3).uniform(0.1, 1.0, (5, 5)),  # every column varied
    np.outer(np.linspace(0.5, 1.0, 5), np.ones(5)),  # every row constant: the transposed reading is all alike
    np.tile([0.1, 1.0, 0.5, 0.3, 1.2], (5, 1)),  # one row repeated
    # a 2x2 contact matrix flattened, one per row: uniform at 0.2, 0.3, 0.4 and an assortative one (a hunt's)
    np.array([[0.2] * 5, [0.3] * 5, [0.4] * 5, [0.5, 0.1, 0.1, 0.5, 1.0], [0.6, 0.2, 0.2, 0.6, 1.0]]),
])
def test_an_honest_square_sweep_does_not_warn(params):
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ParamNamesWarning)
        assert _solve_duffing(params).success


def test_a_missing_column_is_named_before_scipys_orientation():
    """params of shape (5, 4), the forcing column forgotten, beside a shared y0 was told params.T first, which ran
    4 trajectories of nonsense parameters with success (a mechanical engineer's trial)."""
    forgot = np.delete(_SWEEP, 3, axis=1)
    with pytest.raises(ConfigurationError) as caught:
        _solve_duffing(forgot)
    text = str(caught.value)
    assert text.startswith("params must have shape (N, 5) or (5,) (n_params); got shape (5, 4): that is most likely "
                           "5 trajectories, one per row, where 1 column is missing: each row needs the system's 5 "
                           "parameters in the order the rhs reads p[0], ..., p[4], not 4"), text
    assert text.endswith("or, if its 4 columns are trajectories (SciPy's orientation), params.T")
    # y0 of 5 rows: 5 trajectories, so params.T (4 rows) is not offered at all
    with pytest.raises(ConfigurationError) as caught:
        _solve_duffing(forgot, y0=np.zeros((5, 2)))
    assert "5 trajectories of 4 values each, where the system has 5" in str(caught.value)
    assert ".T" not in str(caught.value)
    # columns in SciPy's orientation (its parameters constant rows) are still told to transpose first
    with pytest.raises(ConfigurationError, match=r"got shape \(5, 3\): that is 3 trajectories in columns, SciPy's "
                                                 r"orientation; here each trajectory is a row, params\.T; or"):
        _solve_duffing(_SWEEP[:3].T)
