"""params (and y0) given as one array per parameter of unlike shapes, a matrix per trajectory among them, in a dict
or a tuple: the refusal gives an expression that, run on the user's own arrays, is accepted (kernels/batch_layout.py,
kernels/batch_inputs.py, kernels/named_params.py).  An ecologist's trial: generalized Lotka-Volterra with A of shape
(N, n, n) and r of shape (N, n) was told np.column_stack, which NumPy refuses, or "a ragged list" for a tuple."""

import re
import warnings

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError

from kernel_helpers import call

_N, _n = 3, 2
_A = np.stack([-np.eye(_n) - 0.1 * k * np.ones((_n, _n)) for k in range(_N)])  # (N, n, n), a matrix per trajectory
_R = np.linspace(0.5, 1.0, _N * _n).reshape(_N, _n)  # (N, n)
_ROWS = np.hstack([np.reshape(_A, (_N, -1)), _R])  # what the rhs reads: p[i*n + j] = A[i, j], then p[n*n + i] = r[i]


def _glv(t, y, p, dydt):
    for i in range(2):
        s = p[4 + i]
        for j in range(2):
            s += p[i * 2 + j] * y[j]
        dydt[i] = y[i] * s


GLV = kernels.ODESystem(_glv, n_states=_n, n_params=_n * _n + _n, name="glv2")


def _solve(system, params, y0=(0.5, 0.5)):
    result = kernels.solve_ivp(system, (0.0, 0.5), y0, params, t_eval=[0.5], precision=np.float64, progress=False)
    assert result.success
    return result.y


def _remedy(message, what="params"):
    """The stacking expression a refusal gives (np.hstack or np.concatenate of a list)."""
    found = re.search(r"(np\.(?:hstack|concatenate)\(\[.*?\]\)), with the", message)
    assert found, message
    assert what in found.group(1)
    return found.group(1)


def _refusal(system, params, **inputs):
    with pytest.raises(ConfigurationError) as info:
        kernels.solve_ivp(system, (0.0, 0.5), inputs.get("y0", (0.5, 0.5)), params, progress=False)
    return str(info.value)


@pytest.fixture(scope="module")
def expected():
    return _solve(GLV, _ROWS)


def test_a_dict_holding_a_matrix_per_trajectory_is_told_a_stacking_that_runs(expected):
    """{"A": (N, n, n), "r": (N, n)} was told np.column_stack([params['A'], params['r']]), which NumPy refuses."""
    given = {"A": _A, "r": _R}
    text = _refusal(GLV, given)
    assert "column_stack" not in text
    assert text.startswith("params must be one row per trajectory, of shape (N, 6) (n_params), in the order the rhs "
                           "reads p[0], p[1], ...; got a dict of arrays of shapes (3, 2, 2), (3, 2), not one value per "
                           "trajectory each: flatten each per trajectory and stack them, np.hstack([np.reshape("
                           "params['A'], (3, -1)), params['r']]), with the keys in the order the rhs reads their "
                           "values")
    stacked = eval(_remedy(text), {"np": np, "params": given})
    assert np.array_equal(stacked, _ROWS)
    assert np.array_equal(_solve(GLV, stacked), expected)


@pytest.mark.parametrize("form", [tuple, list])
def test_a_tuple_of_per_parameter_arrays_is_told_a_stacking_that_runs(form, expected):
    """(A, r), SciPy's args and diffrax's habit, was refused as "a ragged list: give one row of 6 numbers"."""
    given = form([_A, _R])
    text = _refusal(GLV, given)
    assert "ragged" not in text
    assert (f"got a {form.__name__} of 2 per-parameter arrays, of shapes (3, 2, 2), (3, 2): flatten each per "
            "trajectory and stack them, np.hstack([np.reshape(params[0], (3, -1)), params[1]]), with the arrays in "
            "the order the rhs reads their values") in text
    stacked = eval(_remedy(text), {"np": np, "params": given})
    assert np.array_equal(_solve(GLV, stacked), expected)


@pytest.mark.parametrize("given", [{"A": _A, "r": _R[0]}, {"A": _A[0], "r": _R[0]}, (_A[0], _R[0])])
def test_shared_values_among_per_parameter_arrays_are_stacked_so_that_they_run(given):
    """Growth rates shared by every trajectory (a dict's r of shape (n,)) are repeated per trajectory; one
    trajectory's matrix and rates, (A0, r0), are joined into the one row every trajectory shares (not read as n
    trajectories of n + 1 values)."""
    text = _refusal(GLV, given)
    stacked = eval(_remedy(text), {"np": np, "params": given})
    shared = "join them into the one row every trajectory shares, np.concatenate" in text
    assert np.shape(stacked) == ((6,) if shared else (_N, 6))
    assert shared == (np.ndim(list(given.values())[0] if isinstance(given, dict) else given[0]) == 2)
    assert _solve(GLV, stacked).shape[0] == (1 if shared else _N)


def test_a_stacking_of_the_wrong_width_says_so():
    text = _refusal(GLV, (_A, _R[:, :1]))
    assert text.endswith("; that is 5 values per trajectory, and the system has 6")


def test_a_tuple_of_per_state_arrays_names_the_states():
    """y0 as (a pair of states (N, 2), one more state (N,)) for a 3-state system."""
    y0 = (np.ones((2, 2)), np.full(2, 0.5))
    with pytest.raises(ConfigurationError) as info:
        call(y0=y0)
    text = str(info.value)
    assert "y0 must be one row per trajectory, of shape (N, 3) (n_states)" in text
    assert "got a tuple of 2 per-state arrays, of shapes (2, 2), (2,)" in text
    assert call(y0=eval(_remedy(text, "y0"), {"np": np, "y0": y0})).success


def test_ragged_rows_are_still_a_ragged_list():
    """A list of rows of unequal length is not per-parameter arrays, whose first dimensions agree."""
    with pytest.raises(ConfigurationError, match=r"^params has rows of unequal length \(a ragged list\)"):
        _solve(GLV, [np.ones(6), np.ones(5)])
    with pytest.raises(ConfigurationError, match=r"^params has rows of unequal length \(a ragged list\)"):
        _solve(GLV, [np.ones((2, 2)), np.ones(3)])


sp = pytest.importorskip("sympy")


@pytest.fixture(scope="module")
def named():
    """The same model with parameter names, a00, a01, a10, a11, r0, r1 (the order the rhs reads)."""
    y = sp.symbols("y0:2")
    a = sp.Matrix(2, 2, sp.symbols("a00 a01 a10 a11"))
    r = sp.symbols("r0:2")
    rhs = [y[i] * (r[i] + sum(a[i, j] * y[j] for j in range(2))) for i in range(2)]
    return kernels.symbolic_system(list(y), rhs, params=list(a) + list(r), name="glv2named")


def test_a_named_systems_dict_of_unlike_shapes_is_stacked_in_the_systems_order(named, expected):
    """Keys the names, in another order, some values 2-D: np.column_stack of 2-D and 1-D values fails in NumPy."""
    flat = _ROWS
    given = {"r1": flat[:, 5], "r0": flat[:, 4:5], "a11": flat[:, 3], "a10": flat[:, 2], "a01": flat[:, 1],
             "a00": flat[:, 0]}
    text = _refusal(named, given)
    assert "column_stack" not in text
    assert ("np.hstack([np.reshape(params['a00'], (3, -1)), np.reshape(params['a01'], (3, -1)), np.reshape(params"
            "['a10'], (3, -1)), np.reshape(params['a11'], (3, -1)), params['r0'], np.reshape(params['r1'], (3, -1))])"
            ) in text
    assert np.allclose(_solve(named, eval(_remedy(text), {"np": np, "params": given})), expected)


def test_a_named_systems_dict_of_matrices_by_other_keys_is_stacked_in_its_own_order(named, expected):
    given = {"A": _A, "r": _R}
    text = _refusal(named, given)
    assert "got a dict without 'a00', 'a01', 'a10', 'a11', 'r0', 'r1' (its other keys: 'A', 'r'), of arrays" in text
    assert "column_stack" not in text
    assert np.allclose(_solve(named, eval(_remedy(text), {"np": np, "params": given})), expected)


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def _lorenz_like(t, y, p, dydt):
    dydt[0] = p[0] * (y[1] - y[0])
    dydt[1] = y[0] * (p[1] - y[2]) - y[1]
    dydt[2] = y[0] * y[1] - p[2] * y[2]


def test_one_number_is_the_row_of_a_one_parameter_or_one_state_system():
    """A neuroscientist's trial: solve_ivp(hh, span, [y0, y0], 10.0), SciPy's args=(10.0,) habit, was refused "params
    must have shape (2, 1) or (1,) (n_params); got shape ()"; y0 = 1.0 for one state was refused the same way."""
    system = kernels.ODESystem(_decay, 1, 1, name="decay1")
    given = kernels.solve_ivp(system, (0.0, 1.0), [[1.0], [2.0]], 0.5, progress=False)
    rows = kernels.solve_ivp(system, (0.0, 1.0), [[1.0], [2.0]], [[0.5], [0.5]], progress=False)
    np.testing.assert_array_equal(given.y, rows.y)
    scalar_y0 = kernels.solve_ivp(system, (0.0, 1.0), np.float64(1.0), np.array(0.5), progress=False)
    np.testing.assert_array_equal(scalar_y0.y[0], rows.y[0])


@pytest.mark.parametrize("y0, params, words", [
    ([1.0, 1.0, 1.0], 10.0, r"params is one number \(10.0\) and the system has 3 parameters: pass a list of 3 values"),
    (1.0, [10.0, 28.0, 2.0], r"y0 is one number \(1.0\) and the system has 3 states: pass a list of 3 values"),
])
def test_one_number_for_several_columns_is_refused_with_a_remedy(y0, params, words):
    system = kernels.ODESystem(_lorenz_like, 3, 3, name="lorenz_like")
    with pytest.raises(ConfigurationError, match=words):
        kernels.solve_ivp(system, (0.0, 1.0), y0, params, progress=False)


def test_a_wrongly_shaped_params_of_a_symbolic_system_names_its_params_in_order():
    """A chemist's trial: "(N, 5)" alone, for a mechanism whose params have names; the refusal lists them in the
    order the rhs reads them, so that the user sees which value goes where."""
    sp = pytest.importorskip("sympy")
    x, y = sp.symbols("x y")
    a, b, c = sp.symbols("a b c")
    system = kernels.symbolic_system([x, y], [a * x - b * x * y, c * x * y - y], params=[a, b, c])
    for params in ([1.0, 2.0], np.ones((4, 2))):
        with pytest.raises(ConfigurationError, match=re.escape("the system's params are, in order, [a, b, c]")):
            kernels.solve_ivp(system, (0.0, 1.0), [1.0, 1.0], params, progress=False)


def _henon_heiles(t, y, p, dydt):
    dydt[0] = y[2]
    dydt[1] = y[3]
    dydt[2] = -y[0] - 2.0 * y[0] * y[1]
    dydt[3] = -y[1] - y[0] * y[0] + y[1] * y[1]


HENON_HEILES = kernels.ODESystem(_henon_heiles, n_states=4, name="henon_heiles_layout")
_YS = np.array([0.1, -0.1, 0.2, 0.0])
#: Four starts on the E = 1/12 surface as SciPy's columns (x, y, px, py) x 4 trajectories: read as rows, trajectories
#: 0 and 3 sit at the origin (a user's trial: success, no word).
_HH_COLUMNS = np.vstack([np.zeros(4), _YS, np.sqrt(2 * (1 / 12 - 0.5 * _YS ** 2 + _YS ** 3 / 3)), np.zeros(4)])


def _square_y0_warnings(system, y0, params=None):
    """The ParamNamesWarning texts of a short solve of ``system`` from ``y0``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = kernels.solve_ivp(system, (0.0, 0.1), y0, params, method="rk4", dt=0.05, progress=False)
    assert result.success
    return [str(w.message) for w in caught if issubclass(w.category, kernels.ParamNamesWarning)]


@pytest.mark.parametrize("form", [np.asarray, lambda a: a.tolist()])
def test_a_square_y0_in_scipys_orientation_warns_that_it_reads_transposed(form):
    texts = _square_y0_warnings(HENON_HEILES, form(_HH_COLUMNS))
    assert len(texts) == 1, texts
    transpose = "y0.T" if form is np.asarray else "np.array(y0).T"
    assert texts[0].startswith("y0 is square (4 trajectories of 4 states) and reads as transposed: 2 of its rows hold "
                               "one value repeated and none of its columns do, as when each row holds one state's "
                               "values across the trajectories (SciPy's orientation), while a row is read here as one "
                               "trajectory's y[0], ..., y[3] (read so, trajectories 0 and 3 start at the same point, "
                               "every state 0, with the same params: one run twice)"), texts[0]
    assert f"if so, pass {transpose} (or np.column_stack of the per-state arrays)" in texts[0]
    assert not _square_y0_warnings(HENON_HEILES, _HH_COLUMNS.T)  # as rows: nothing to say


def _lorenz(t, y, p, dydt):
    dydt[0] = p[0] * (y[1] - y[0])
    dydt[1] = y[0] * (p[1] - y[2]) - y[1]
    dydt[2] = y[0] * y[1] - p[2] * y[2]


LORENZ = kernels.ODESystem(_lorenz, n_states=3, n_params=3, default_params=[10.0, 28.0, 8 / 3], name="lorenz_layout")


@pytest.mark.parametrize("y0, params", [
    (np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0], [2.0, 0.0, 1.0]]), None),  # distinct rows
    (np.eye(3), None),  # identity-like starts
    (np.ones(3) + 1e-3 * np.random.default_rng(5).standard_normal((3, 3)), None),  # a Lorenz ensemble
    # two trajectories from the origin, each with its own params (a sweep from one start), and a third
    (np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, 0.5]]), [[10.0, 28.0, 2.0], [10.0, 28.0, 3.0],
                                                                     [10.0, 28.0, 2.5]]),
    # ... and with a third start that runs up, read as a swept row (a regression hunt)
    (np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]), [[10.0, 20.0, 2.0], [10.0, 28.0, 2.0],
                                                                     [10.0, 35.0, 2.0]]),
    (np.array([[1.0, 1.0, 1.0], [5.0, 5.0, 5.0], [3.0, 2.0, 1.0]]), None),  # two constant starts, one that runs down
])
def test_an_ordinary_square_y0_does_not_warn(y0, params):
    assert not _square_y0_warnings(LORENZ, y0, None if params is None else np.asarray(params))


_LORENZ_SWEEP = np.array([[10.0, 20.0, 8 / 3], [10.0, 28.0, 8 / 3], [10.0, 35.0, 8 / 3]])


@pytest.mark.parametrize("form", [np.asarray, lambda a: a.tolist()])
def test_one_start_given_as_columns_for_a_params_sweep_warns_that_it_reads_transposed(form):
    """A neuroscientist's trial: Hodgkin-Huxley starts given as np.array([V0s, m0s, h0s, n0s]) for a sweep of 4
    currents (as many trajectories as states) ran each trajectory from all its states equal, with success and no
    word.  Every row holds one value repeated, the trajectories' params differ: it reads as transposed."""
    y0 = np.array([[1.0] * 3, [2.0] * 3, [0.5] * 3])  # x, y, z of one start, each repeated across 3 trajectories
    texts = _square_y0_warnings(LORENZ, form(y0), _LORENZ_SWEEP)
    assert len(texts) == 1, texts
    transpose = "y0.T" if form is np.asarray else "np.array(y0).T"
    assert texts[0] == ("y0 is square (3 trajectories of 3 states) and reads as transposed: every row holds one value "
                        "repeated, so read as given each trajectory starts with all its states equal (trajectory 0 "
                        "at 1, 1 at 2, 2 at 0.5), as when each row holds one state's value shared by every trajectory "
                        f"(SciPy's orientation: a sweep over params from one start); if so, pass {transpose} (or "
                        "np.column_stack of the per-state arrays), and if each row is one trajectory, as given, "
                        "ignore this warning")
    assert not _square_y0_warnings(LORENZ, y0.T, _LORENZ_SWEEP)  # as rows: nothing to say
    assert not _square_y0_warnings(LORENZ, y0)  # one params row for all: starts c * (1, 1, 1) are a sweep of their own
    assert not _square_y0_warnings(LORENZ, np.full((3, 3), 2.0), _LORENZ_SWEEP)  # one start for all, either way
