"""y0 and params: their shapes, rows and values, each mistake named with what to do (kernels/batch_inputs.py)."""

import re

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError, ODESystem

from kernel_helpers import LORENZ, call


def _one(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


ONE = ODESystem(_one, 1, n_params=1, name="one")


def test_a_non_finite_params_row_says_how_to_run_the_others():
    """One NaN draw refused the whole sweep with no word of how to keep the rest (a pharmacologist's trial)."""
    params = np.array([[10.0, 28.0, 8.0 / 3.0], [np.nan, 28.0, 8.0 / 3.0], [10.0, 28.0, 8.0 / 3.0]])
    with pytest.raises(ConfigurationError) as info:
        call(params=params)
    assert str(info.value).endswith("found nan at index (1, 0) (1 of 3 rows); to run the others, drop those rows "
                                    "first: keep = (np.abs(np.asarray(params, float)) <= 3.40282e+38).all(axis=1), then "
                                    "pass np.asarray(params)[keep] (and the other inputs' rows [keep])")
    # the remedy works as written, for a value float32 cannot hold too (a regression hunt: isfinite kept 1e39)
    params[1, 0] = 1e39
    with pytest.raises(ConfigurationError):
        call(params=params)
    keep = (np.abs(np.asarray(params, float)) <= 3.40282e+38).all(axis=1)
    assert call(params=np.asarray(params)[keep]).success


@pytest.mark.parametrize("where", ["y0", "params"])
def test_complex_inputs_are_refused_with_what_to_do(where):
    inputs = {"y0": [1.0, 1.0, 1.0], "params": [10.0, 28.0, 8.0 / 3.0]}
    inputs[where] = np.array(inputs[where]) + 1j
    with pytest.raises(ConfigurationError, match=f"{where} must be an array of real numbers; got complex.*real and "
                                                 "imaginary parts"):
        kernels.solve_ivp(LORENZ, (0.0, 0.1), inputs["y0"], inputs["params"], progress=False)


def test_an_object_array_holding_none_says_it_is_not_a_number():
    """It was reported as "found nan at index (0, 1)": None became NaN on the way to float64."""
    y0 = np.array([[1.0, None, 1.0]] * 3, dtype=object)
    with pytest.raises(ConfigurationError, match=r"y0 must be an array of real numbers; found None \(not a real "
                                                 r"number\) at index \(0, 1\)"):
        call(y0=y0)
    assert call(y0=np.array([[1, 2.0, np.float32(3.0)]], dtype=object)).success  # numbers of mixed types are fine


def test_an_empty_batch_is_refused_on_the_host_and_on_the_device():
    from numba import cuda

    integ = kernels.Integrator(LORENZ, "rk4", precision=np.float64)
    for convert in (np.asarray, cuda.to_device):
        with pytest.raises(ConfigurationError, match=r"params must hold at least one trajectory; got shape \(0, 3\)"):
            integ.solve((0.0, 0.1), convert(np.zeros((0, 3))), convert(np.zeros((0, 3))), dt=0.01)
        with pytest.raises(ConfigurationError, match=r"y0 must hold at least one trajectory; got shape \(0, 3\)"):
            integ.solve((0.0, 0.1), convert(np.zeros((0, 3))), None, dt=0.01)


@pytest.mark.parametrize("y0, params, words", [
    ([1.0], [1.0, 2.0, 3.0, 4.0], "params must have shape (N, 1) or (1,) (n_params); got shape (4,): for a sweep "
                                  "of 4 values give shape (4, 1), e.g. params[:, None]"),
    ([1.0, 2.0, 3.0], [2.0], "y0 must have shape (N, 1) or (1,) (n_states); got shape (3,): for a sweep of 3 values "
                             "give shape (3, 1), e.g. y0[:, None]"),
])
def test_a_one_value_sweep_given_1d_says_how_to_make_it_a_column(y0, params, words):
    """The message offered shape (1, 1), never what a user with a 1-D sweep means, and no params[:, None]."""
    with pytest.raises(ConfigurationError) as info:
        kernels.solve_ivp(ONE, (0.0, 1.0), y0, params, progress=False)
    assert words in str(info.value)
    assert "(1, 1)" not in str(info.value)


def test_a_column_of_parameters_for_one_row_is_named():
    with pytest.raises(ConfigurationError, match=r"params must have shape \(N, 3\) or \(3,\) \(n_params\); got shape "
                                                 r"\(3, 1\): either a column holding the row of 3 values every "
                                                 r"trajectory shares, which has shape \(3,\), params.ravel\(\)"):
        call(params=np.array([[10.0], [28.0], [8.0 / 3.0]]))


def test_a_column_as_tall_as_n_params_also_names_a_missing_column():
    """params of shape (2, 1) for 2 trajectories of a system with n_params=2 (a column forgotten) was told only
    params.ravel(), which ran another model with success (a chemist's trial): both readings are named now."""
    system = ODESystem(_two, 1, n_params=2, name="two")
    with pytest.raises(ConfigurationError) as info:
        kernels.solve_ivp(system, (0.0, 1.0), np.ones((2, 1)), np.array([[900.0], [1100.0]]), progress=False)
    assert str(info.value).endswith(
        "got shape (2, 1): either a column holding the row of 2 values every trajectory shares, which has shape (2,), "
        "params.ravel(); or 2 trajectories, one per row, where each row needs 2 values (p[0], p[1]), not 1 (a column "
        "is missing)")


def test_rows_of_one_value_are_named_in_the_singular():
    with pytest.raises(ConfigurationError) as info:
        kernels.solve_ivp(ODESystem(_two, 1, n_params=2, name="two"), (0.0, 1.0), np.ones((3, 1)), np.ones((3, 1)),
                          progress=False)
    assert "3 trajectories of 1 value each, where the system has 2 (each row holds one trajectory's 2 values)" in str(
        info.value)


def _two(t, y, p, dydt):
    dydt[0] = -p[0] * p[1] * y[0]


def _three(t, y, p, dydt):
    for i in range(3):
        dydt[i] = -p[0] * y[i]


def test_a_one_row_2d_params_against_several_y0_rows_names_the_parameter_row():
    """params=[[1.0]] (2-D, one row) with 2 rows of y0: the message offered 'a single row (3,)', y0's row shape."""
    system = ODESystem(_three, 3, n_params=1, name="three")
    with pytest.raises(ConfigurationError) as info:
        kernels.solve_ivp(system, (0.0, 1.0), np.ones((2, 3)), [[1.0]], progress=False)
    assert str(info.value) == ("y0 has 2 rows (trajectories) and params 1: give both one row per trajectory, or params "
                               "as the 1-D row of shape (1,) that every trajectory shares (a 2-D params of one row "
                               "is a batch of one)")


@pytest.mark.parametrize("y0, params, what", [([1.0], [[1.0], [2.0, 3.0]], "params"),
                                              ([[1.0], [2.0, 3.0]], [1.0], "y0"),
                                              # beside 2-D params (NumPy's error again, a porter's trial)
                                              ([[1.0], [2.0, 3.0]], np.array([[1.0], [2.0]]), "y0")])
def test_a_ragged_list_is_named(y0, params, what):
    """A user's trial: a ragged list gave NumPy's 'inhomogeneous shape' ValueError, naming no argument."""
    with pytest.raises(ConfigurationError, match=rf"^{what} has rows of unequal length \(a ragged list\)"):
        kernels.solve_ivp(ONE, (0.0, 1.0), y0, params, progress=False)


def _unit_decay(t, y, p, dydt):
    dydt[0] = -y[0]


def test_params_for_a_system_without_parameters_says_to_leave_them_out():
    with pytest.raises(ConfigurationError, match=r"the system has no parameters \(n_params=0\), so leave params out"):
        kernels.solve_ivp(ODESystem(_unit_decay, 1, name="decay"), (0.0, 1.0), [1.0], [1.0], progress=False)


def test_a_batch_in_scipys_column_orientation_is_told_to_transpose():
    with pytest.raises(ConfigurationError, match=r"got shape \(3, 5\): that is 5 trajectories in columns, SciPy's "
                                                 r"orientation; here each trajectory is a row, y0.T"):
        call(y0=np.ones((3, 5)))


def test_params_too_wide_for_the_batch_of_y0_are_not_told_to_transpose():
    """params of shape (3, 5) beside y0 of 3 rows is 3 trajectories of 5 values, not 5 in columns: params.T was
    advised whenever the rows equalled n_params (a user's trial)."""
    with pytest.raises(ConfigurationError) as info:
        call(y0=np.ones((3, 3)), params=np.ones((3, 5)))
    assert "3 trajectories of 5 values each, where the system has 3" in str(info.value)
    assert ".T" not in str(info.value)
    with pytest.raises(ConfigurationError, match=r"params.T; or, as 3 trajectories, each row needs 3 values, not 5"):
        call(params=np.ones((3, 5)))  # y0 one shared row: either reading


class _ArrayLike:
    """An array by its shape and ``__array__`` only, as a JAX array is (not a NumPy array)."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype=np.float64)
        self.shape = self.values.shape

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)


_COLUMNS = [np.array([10.0, 11.0, 12.0]), np.array([28.0, 27.0, 26.0]), np.array([2.0, 2.5, 3.0])]


@pytest.mark.parametrize("where, noun", [("params", "parameter"), ("y0", "state")])
@pytest.mark.parametrize("form", [tuple, lambda columns: tuple(_ArrayLike(c) for c in columns)])
def test_a_square_sequence_of_1d_arrays_is_refused_as_ambiguous(where, noun, form):
    """params=(beta, gamma), diffrax's and SciPy's args habit, with as many trajectories as parameters read as rows:
    the batch came out transposed, with success (a user's trial); y0=(S0, I0, R0) the same."""
    with pytest.raises(ConfigurationError) as info:
        call(**{where: form(_COLUMNS)})
    text = str(info.value)
    assert text.startswith(f"{where} is a tuple of 3 1-D arrays of 3 values each")
    assert f"cannot tell one array per {noun} from one row per trajectory" in text
    assert f"np.column_stack({where}) for one array per {noun}" in text
    assert f"np.array({where}) (or np.stack({where})) for one row per trajectory" in text


def test_rows_given_as_nested_lists_or_a_2d_array_are_still_rows():
    rows = [[10.0, 28.0, 8.0 / 3.0], [11.0, 27.0, 3.0], [12.0, 26.0, 2.0]]
    by_list, by_array = call(params=rows), call(params=np.array(rows))
    assert by_list.success and np.array_equal(by_list.y, by_array.y)
    assert np.array_equal(call(params=np.column_stack(_COLUMNS)).y, call(params=np.array(_COLUMNS).T).y)
    assert call(params=(np.float64(10.0), 28.0, 8.0 / 3.0)).success  # a tuple of numbers: the shared row
    # a list of row arrays is rows, as np.array reads it ([default_params] * N: the library's own tests)
    assert np.array_equal(call(params=list(np.array(rows))).y, by_array.y)


@pytest.mark.parametrize("where, given, words", [
    ("params", {"sigma": np.array([10.0, 11.0]), "rho": np.array([28.0, 27.0]), "beta": np.array([2.0, 3.0]),
                "extra": np.array([0.0, 0.0])},
     "params must be one row per trajectory, of shape (N, 3) (n_params), in the order the rhs reads p[0], p[1], ...; "
     "got a dict: pass np.column_stack([params['sigma'], params['rho'], params['beta'], ...]) with the parameters "
     "in that order"),
    ("y0", {"x": [1.0, 2.0], "y": [1.0, 2.0], "z": [1.0, 2.0]},
     "y0 must be one row per trajectory, of shape (N, 3) (n_states), in the order the rhs reads y[0], y[1], ...; got "
     "a dict: pass np.column_stack([y0['x'], y0['y'], y0['z']]) with the states in that order"),
])
def test_a_dict_of_named_columns_says_how_to_stack_them(where, given, words):
    """diffrax's args dict was refused as "params must be an array of real numbers; got {...}" (a user's trial)."""
    with pytest.raises(ConfigurationError) as info:
        call(**{where: given})
    assert str(info.value) == words


@pytest.mark.parametrize("given, fix", [(np.array([True, False, True]), "params.astype(float)"),
                                        ([True, False, True], "np.asarray(params, dtype=float)")])
def test_boolean_params_say_how_to_pass_them_as_numbers(given, fix):
    with pytest.raises(ConfigurationError, match=rf"^params must be an array of real numbers; got booleans .*: pass "
                                                 rf"{re.escape(fix)} to give them as 0.0 and 1.0$"):
        call(params=given)


@pytest.mark.parametrize("where, form", [("params", tuple), ("y0", list)])
def test_a_sequence_of_columns_in_scipys_orientation_is_told_to_stack_them(where, form):
    """A tuple or list of 5-value columns was told ``params.T``, which a tuple or list lacks (a regression hunt)."""
    with pytest.raises(ConfigurationError) as info:
        call(**{where: form(np.ones((3, 5)))})
    assert (f"that is 5 trajectories in columns, SciPy's orientation; here each trajectory is a row, "
            f"np.column_stack({where}) (or np.array({where}).T)") in str(info.value)
    assert f"{where}.T" not in str(info.value)


def test_a_list_of_square_pandas_columns_is_refused_as_ambiguous():
    """[df.sigma, df.rho, df.beta] of 3 rows was read as rows, transposed, with success (a regression hunt)."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"sigma": _COLUMNS[0], "rho": _COLUMNS[1], "beta": _COLUMNS[2]})
    with pytest.raises(ConfigurationError, match=r"^params is a list of 3 1-D arrays of 3 values each, so the solver "
                                                 r"cannot tell one array per parameter from one row per trajectory"):
        call(params=[frame.sigma, frame.rho, frame.beta])


def test_a_list_of_a_dataframes_rows_is_read_as_rows():
    """[df.iloc[0], df.iloc[1], df.iloc[2]] (rows: the column names as index, the row label as name) was refused as
    ambiguous (a regression hunt); rows of a DataFrame of a NumPy array, integers both ways, still are."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"sigma": _COLUMNS[0], "rho": _COLUMNS[1], "beta": _COLUMNS[2]})
    args = dict(method="rk4", dt=0.05, progress=False)
    rows = call(params=[frame.iloc[i] for i in range(3)], **args)
    np.testing.assert_array_equal(rows.y, call(params=frame.to_numpy(), **args).y)
    bare = pd.DataFrame(frame.to_numpy())
    with pytest.raises(ConfigurationError, match=r"cannot tell one array per parameter from one row per trajectory"):
        call(params=[bare.iloc[i] for i in range(3)], **args)


def test_an_empty_dict_is_not_told_to_stack_no_columns():
    with pytest.raises(ConfigurationError) as info:
        call(params={})
    assert str(info.value) == ("params must be one row per trajectory, of shape (N, 3) (n_params), in the order the "
                               "rhs reads p[0], p[1], ...; got an empty dict")


def _matrix_and_rate(t, y, p, dydt):
    """dy/dt = k C y, C = [[p0, p1], [p2, p3]] (row-major) and k = p[4]."""
    dydt[0] = p[4] * (p[0] * y[0] + p[1] * y[1])
    dydt[1] = p[4] * (p[2] * y[0] + p[3] * y[1])


MATRIX = ODESystem(_matrix_and_rate, 2, n_params=5, name="matrix_and_rate")
_MATRICES = np.array([[[-1.0, 0.5], [0.0, -2.0]], [[-0.5, 0.0], [0.25, -1.0]]])
_ROWS = np.hstack([_MATRICES.reshape(2, -1), [[1.0], [2.0]]])


def test_a_list_of_dicts_one_per_trajectory_says_how_to_flatten_them():
    """[{"C": matrix, "k": rate}, ...] was refused as "params must be an array of real numbers; got [{'C': ..." with
    no way out (an epidemiologist's trial); the expression the message gives works as written."""
    params = [{"C": c, "k": k} for c, k in zip(_MATRICES, (1.0, 2.0))]
    with pytest.raises(ConfigurationError) as info:
        kernels.solve_ivp(MATRIX, (0.0, 0.1), [1.0, 1.0], params, progress=False)
    text = str(info.value)
    expression = "np.array([np.concatenate([np.ravel(d[k]) for k in ['C', 'k']]) for d in params])"
    assert text == ("params must be one row per trajectory, of shape (N, 5) (n_params), in the order the rhs reads "
                    f"p[0], p[1], ...; got a list of 2 dicts, one per trajectory: flatten each into its row, "
                    f"{expression}, with the keys in the order the rhs reads their values (np.ravel takes a matrix "
                    "row by row)")
    rows = eval(expression, {"np": np}, {"params": params})
    np.testing.assert_array_equal(rows, _ROWS)
    assert kernels.solve_ivp(MATRIX, (0.0, 0.1), [1.0, 1.0], rows, progress=False).success


def test_a_list_of_dicts_of_many_keys_names_them_and_the_order_to_give():
    keys = [f"k{i}" for i in range(10)]
    with pytest.raises(ConfigurationError, match=r"for k in ORDER\]\) for d in y0\]\), with ORDER the keys in the "
                                                 r"order the rhs reads their values \(keys seen: 'k0', 'k1', .*'k7', "
                                                 r"\.\.\. 10 in all\)"):
        call(y0=[dict.fromkeys(keys, 1.0)] * 2)


def test_a_matrix_per_trajectory_says_how_to_flatten_it_and_append_the_rest():
    """params of shape (N, 16, 16), a contact matrix per trajectory, got only the expected shape (an
    epidemiologist's trial): the message gives the flattening, its index order and the columns still missing."""
    with pytest.raises(ConfigurationError) as info:
        kernels.solve_ivp(MATRIX, (0.0, 0.1), [1.0, 1.0], _MATRICES, progress=False)
    assert str(info.value) == (
        "params must have shape (N, 5) or (5,) (n_params); got shape (2, 2, 2): a 3-D params is one row per "
        "trajectory flattened, np.reshape(params, (2, -1)), which lays out each trajectory's 2x2 values in C "
        "(row-major) order, p[i*2 + j] = params[n, i, j]; that is 4 values, and the system has 5: append the 1 other "
        "parameter in the order the rhs reads them, np.hstack([np.reshape(params, (2, -1)), rest]) with rest of "
        "shape (2, 1) if they come after the matrix")
    rows = np.hstack([np.reshape(_MATRICES, (2, -1)), [[1.0], [2.0]]])
    np.testing.assert_array_equal(rows, _ROWS)
    assert kernels.solve_ivp(MATRIX, (0.0, 0.1), [1.0, 1.0], rows, progress=False).success


def test_a_3d_y0_of_the_right_size_is_told_to_reshape():
    with pytest.raises(ConfigurationError, match=re.escape(
            "got shape (2, 1, 2): a 3-D y0 is one row per trajectory flattened, np.reshape(y0, (2, -1)), which lays "
            "out each trajectory's 1x2 values in C (row-major) order, y[i*2 + j] = y0[n, i, j]; that is 2 values, as "
            "many as the system has: pass np.reshape(y0, (2, -1))")):
        kernels.solve_ivp(MATRIX, (0.0, 0.1), np.ones((2, 1, 2)), _ROWS, progress=False)


def test_a_dataframe_with_a_nan_is_named_by_its_labels_and_its_remedy_keeps_the_names():
    """A DataFrame read by name, its columns in another order, with a NaN a1: the message said "index (1, 0)" (column
    0 of the user's frame is gamma) and to pass np.asarray(params)[keep], which reads the columns by position: a wrong
    result with success (a systems biologist's trial).  It names the labels, and its remedy gives the right rows."""
    pd = pytest.importorskip("pandas")

    def toggle(t, y, p, dydt):
        dydt[0] = p[0] / (1.0 + y[1] ** p[2]) - y[0]
        dydt[1] = p[1] / (1.0 + y[0] ** p[3]) - y[1]

    system = ODESystem(toggle, n_states=2, n_params=4, name="toggle_nan", param_names=("a1", "a2", "beta", "gamma"))
    df = pd.DataFrame({"gamma": [2.0] * 3, "beta": [3.0] * 3, "a2": [1.5] * 3, "a1": [8.0, np.nan, 8.0]},
                      index=[10, 11, 12])
    for precision in (np.float64, np.float32):
        with pytest.raises(ConfigurationError) as info:
            kernels.solve_ivp(system, (0.0, 20.0), [1.0, 1.0], df, precision=precision, progress=False)
        message = str(info.value)
        assert "found nan at row 11, column 'a1' (1 of 3 rows)" in message, message
        assert "np.asarray(params)" not in message and "then pass params[keep], which stays a DataFrame" in message
        assert "params.dropna(subset=['a1', 'a2', 'beta', 'gamma']) drops the same rows" in message
        keep = eval(re.search(r"keep = (.*?\.all\(axis=1\)), then", message).group(1),  # noqa: S307 - its own text
                    {"np": np, "params": df})
        assert keep.tolist() == [True, False, True]
        kept = kernels.solve_ivp(system, (0.0, 20.0), [1.0, 1.0], df[keep], precision=np.float64, progress=False)
        ordered = df[["a1", "a2", "beta", "gamma"]].dropna().to_numpy()  # the system's order, read by position
        expected = kernels.solve_ivp(system, (0.0, 20.0), [1.0, 1.0], ordered, precision=np.float64, progress=False)
        np.testing.assert_allclose(kept.y[:, -1], expected.y[:, -1])
    with pytest.raises(ConfigurationError, match=r"found nan at entry 'a1' of the Series$"):  # one shared row
        kernels.solve_ivp(system, (0.0, 20.0), [1.0, 1.0], df.iloc[1], precision=np.float64, progress=False)


def _capacity(t, y, p, dydt):
    dydt[0] = p[0] * y[0] * (1.0 - y[0] / p[1])


CAPACITY = ODESystem(_capacity, 1, n_params=2, name="capacity_sweep", param_names=("r", "K"))


def test_a_value_beyond_float32s_range_is_named_so_with_float64_first():
    """``K = np.logspace(0, 40, 4)`` in float32 was told "params must be finite in float32; found 1e+40 ... drop
    those rows first": 1e40 is finite, and precision=np.float64, which runs every row, was never offered; a single
    row got the same words and no remedy (a user's trial).  NaN and inf keep their words."""
    params = np.column_stack([np.ones(4), np.logspace(0, 40, 4)])
    with pytest.raises(ConfigurationError) as info:
        kernels.solve_ivp(CAPACITY, (0.0, 1.0), [0.5], params, progress=False)
    assert str(info.value).startswith(
        "params must lie within float32's range; found 1e+40 at index (3, 1) (1 of 4 rows): 1e+40 is beyond "
        "float32's largest value, 3.4e38; solve with precision=np.float64, which holds every row, or, to run the "
        "others in float32, drop those rows first: keep = (np.abs(np.asarray(params, float)) <= 3.40282e+38)"
        ".all(axis=1), then pass np.asarray(params)[keep] (and the other inputs' rows [keep])")
    assert kernels.solve_ivp(CAPACITY, (0.0, 1.0), [0.5], params, precision=np.float64, progress=False).success
    with pytest.raises(ConfigurationError, match=r"^params must lie within float32's range; found 1e\+40 at index "
                                                 r"\(0, 1\): 1e\+40 is beyond float32's largest value, 3\.4e38; solve "
                                                 r"with precision=np\.float64, which holds it, or rescale"):
        kernels.solve_ivp(CAPACITY, (0.0, 1.0), [0.5], [1.0, 1e40], progress=False)
    with pytest.raises(ConfigurationError, match=r"^y0 must lie within float32's range; found -1e\+39 at index "
                                                 r"\(1, 0\) \(1 of 2 rows\): -1e\+39 is beyond float32's largest "
                                                 r"value, 3\.4e38; solve with precision=np\.float64"):
        kernels.solve_ivp(CAPACITY, (0.0, 1.0), [[0.5], [-1e39]], [1.0, 2.0], progress=False)
    for bad in (np.nan, np.inf):
        with pytest.raises(ConfigurationError, match=r"^params must be finite in float32; found (nan|inf) at index "
                                                     r"\(0, 1\)(; the system's params are|$)"):
            kernels.solve_ivp(CAPACITY, (0.0, 1.0), [0.5], [1.0, bad], progress=False)


def test_a_frame_value_beyond_float32s_range_keeps_its_labels_and_a_dask_chunk_its_remedy():
    """The pandas refusal names labels and drops by label; a dask chunk's rows are not the batch's, so float64 is
    said to hold the value, not every row."""
    pd = pytest.importorskip("pandas")
    from kernels.distributed_inputs import dask_remedy
    from kernels.validation import finite_rows

    frame = pd.DataFrame({"r": [1.0, 1.0], "K": [2.0, 1e40]}, index=["low", "high"])
    with pytest.raises(ConfigurationError, match=r"^params must lie within float32's range; found 1e\+40 at row "
                                                 r"'high', column 'K' \(1 of 2 rows\): 1e\+40 is beyond float32's "
                                                 r"largest value, 3\.4e38; solve with precision=np\.float64, which "
                                                 r"holds every row, or, to run the others in float32, drop those rows "
                                                 r"first: keep = \(params\[\['r', 'K'\]\]\.abs\(\)"):
        kernels.solve_ivp(CAPACITY, (0.0, 1.0), [0.5], frame, progress=False)
    with pytest.raises(ConfigurationError, match=r"found 1e\+40 at index \(11, 0\): .*3\.4e38; solve with "
                                                 r"precision=np\.float64, which holds it; else the chunks are checked"):
        finite_rows(np.array([[1.0], [1e40]]), "params", np.float32, 10, remedy=dask_remedy("params", np.float32))
