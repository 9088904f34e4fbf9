"""params given with names (pandas DataFrames, Series, dicts) read by the names of a system that knows them
(kernels/named_params.py, through kernels/batch_inputs.py): a pharmacometrician's trial read a NONMEM table's columns
CL, V, ka by position for params [ka, CL, V], a wrong result without a word."""

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError
from kernels.batch_inputs import batch_inputs, given_rows
from kernel_helpers import contact_matrix_rhs

pd = pytest.importorskip("pandas")
sp = pytest.importorskip("sympy")

_A0, _A1, _KA, _CL, _V = sp.symbols("A0 A1 ka CL V")
_RHS = [-_KA * _A0, _KA * _A0 - _CL / _V * _A1]
_ORDERED = np.array([[1.0, 5.0, 30.0], [0.8, 4.0, 40.0]])  # ka, CL, V: the order the rhs reads
_Y0 = [100.0, 0.0]


@pytest.fixture(scope="module")
def pk():
    """A one-compartment oral model whose params [ka, CL, V] have names."""
    return kernels.symbolic_system([_A0, _A1], _RHS, params=[_KA, _CL, _V], name="pk1")


@pytest.fixture(scope="module")
def plain(pk):
    """The same model as an ODESystem of its functions: no parameter names."""
    return kernels.ODESystem(pk.rhs, 2, 3, name="plain", jac=pk.jac, check=False)


def _table(ids=True):
    """Two patients in a NONMEM table's order (CL, V, ka), with an ID column."""
    frame = pd.DataFrame({"ID": ["P1", "P2"], "CL": [5.0, 4.0], "V": [30.0, 40.0], "ka": [1.0, 0.8]})
    return frame if ids else frame.drop(columns="ID")


def _params(system, params):
    return batch_inputs(system, _Y0, params, np.float64)[1]


def _central_at_12h(system, params, **options):
    result = kernels.solve_ivp(system, (0.0, 12.0), _Y0, params, t_eval=[12.0], precision=np.float64,
                               progress=False, **options)
    assert result.success
    return result.y[:, -1, 1]


def test_a_dataframe_in_another_order_is_read_by_the_systems_parameter_names(pk):
    """The trial's reproducer: the central amount at 12 h was -2e-7 where 16.24 is right, success=True."""
    expected = _central_at_12h(pk, _ORDERED)
    np.testing.assert_allclose(expected, [16.2394966, 34.4144551], rtol=1e-6)
    assert np.array_equal(_central_at_12h(pk, _table(ids=False)), expected)


def test_columns_beside_the_parameters_are_left_out_in_silence(pk, recwarn):
    """An ID column (text) was refused as not a number; with the names it is not read at all."""
    assert np.array_equal(_params(pk, _table()), _ORDERED)
    assert not recwarn.list


def test_a_series_row_and_a_list_of_rows_are_read_by_name(pk):
    """One patient (df.iloc[0]) and a list of rows are read by their index labels as a DataFrame by its columns."""
    table = _table()
    assert np.array_equal(_params(pk, table.iloc[0]), _ORDERED[:1])
    assert np.array_equal(_params(pk, [table.iloc[0], table.iloc[1]]), _ORDERED)


def test_a_missing_parameter_names_the_missing_and_the_other_columns(pk):
    with pytest.raises(ConfigurationError) as info:
        _params(pk, _table().rename(columns={"ka": "KA"}))
    assert str(info.value) == (
        "params is a DataFrame whose columns system 'pk1' reads by its parameter names, 'ka', 'CL', 'V' (in the "
        "order of p[0], p[1], ...); it has no column 'ka', and its other columns are 'ID', 'KA': rename it, "
        "params.rename(columns={'KA': 'ka'}), or pass a NumPy array of shape (N, 3) with the parameters in that "
        "order, which is read by position")
    with pytest.raises(ConfigurationError, match=r"a pandas Series whose index labels .* no index labels 'CL', 'V', "
                                                 r"and its other index labels are 'ID': give each parameter an index "
                                                 r"label .* shape \(3,\)"):
        _params(pk, _table().iloc[0][["ID", "ka"]])
    with pytest.raises(ConfigurationError, match=r"it has no column 'V', and no columns besides 'ka', 'CL': give each "
                                                 r"parameter a column"):  # a trial read "its other columns are none"
        _params(pk, _table()[["ka", "CL"]])


def test_a_parameter_column_given_twice_is_refused(pk):
    with pytest.raises(ConfigurationError, match="it has the column 'ka' more than once: keep one of each"):
        _params(pk, pd.concat([_table(), _table()[["ka"]]], axis=1))


def test_a_dict_of_named_columns_is_told_to_stack_them_in_the_systems_order(pk):
    """The dict's refusal stacked its keys in its own order (CL, V, ka): followed, a misreading."""
    columns = dict(_table(ids=False).items())
    with pytest.raises(ConfigurationError) as info:
        _params(pk, columns)
    assert str(info.value) == (
        "params must be one row per trajectory, of shape (N, 3) (n_params), in the order system 'pk1' reads its "
        "parameters, 'ka', 'CL', 'V'; got a dict: pass np.column_stack([params['ka'], params['CL'], params['V']]), "
        "or pd.DataFrame(params), whose columns a solve reads by name")
    with pytest.raises(ConfigurationError, match=r"got a dict without 'ka' \(its other keys: 'k_a'\): add them"):
        _params(pk, {"CL": 5.0, "V": 30.0, "k_a": 1.0})


def test_without_names_columns_are_read_by_position_and_a_wrong_count_says_so(plain):
    """A system without names keeps reading by position; its refusal of a wrong count did not say so."""
    assert np.array_equal(_params(plain, _table(ids=False)), _table(ids=False).to_numpy())
    assert np.array_equal(_params(plain, pd.DataFrame(_ORDERED)), _ORDERED)  # integer labels: by position
    with pytest.raises(ConfigurationError) as info:
        _params(plain, _table(ids=False)[["CL", "V"]])
    assert str(info.value) == (
        "params must have shape (N, 3) or (3,) (n_params); got shape (2, 2): 2 trajectories of 2 values each, where "
        "the system has 3 (each row holds one trajectory's 3 values); the DataFrame's columns are read by position, "
        "as p[0], p[1], ... (system 'plain' has no parameter names), and it has 2: 'CL', 'V': pass the 3 the rhs "
        "reads, in its order, as params[[...]], or build the system with kernels.ODESystem(..., param_names=[...]) "
        "to have the DataFrame's columns read by name")
    with pytest.raises(ConfigurationError, match=r"got shape \(4,\); the Series' entries are read by position, .* "
                                                 r"it has 4: 'ID', 'CL', 'V', 'ka': .* kernels\.ODESystem\(\.\.\., "
                                                 r"param_names=\[\.\.\.\]\) to have the Series' entries read by "
                                                 r"name$"):
        _params(plain, pd.Series({"ID": 7.0, "CL": 5.0, "V": 30.0, "ka": 1.0}))


def _pk_rhs(t, y, p, dydt):
    """The pk1 model as a Python function: p[0] is ka, p[1] CL, p[2] V."""
    dydt[0] = -p[0] * y[0]
    dydt[1] = p[0] * y[0] - p[1] / p[2] * y[1]


@pytest.fixture(scope="module")
def named():
    """The pk1 model as an ODESystem of Python functions given its parameter names."""
    return kernels.ODESystem(_pk_rhs, 2, 3, name="pk_named", param_names=("ka", "CL", "V"))


def test_an_odesystem_given_param_names_reads_a_dataframe_by_name(pk):
    """The trial's reproducer with an ODESystem of Python functions: a table in NONMEM's order (CL, V, ka) was read
    by position, with no way to give the system its names."""
    named = kernels.ODESystem(_pk_rhs, 2, 3, name="pk_named", param_names=["ka", "CL", "V"])
    expected = _central_at_12h(named, _ORDERED)
    np.testing.assert_allclose(expected, _central_at_12h(pk, _ORDERED), rtol=1e-9)
    assert np.array_equal(_central_at_12h(named, _table()), expected)  # the ID column left out
    assert np.array_equal(_central_at_12h(named, _table()[["V", "ka", "CL"]]), expected)


def test_an_odesystem_with_names_reads_as_a_symbolic_system_does(pk, named, recwarn):
    """Series, lists of rows, a missing column and a dict: as for symbolic_system, its name in the messages."""
    table = _table()
    assert np.array_equal(_params(named, table), _ORDERED) and not recwarn.list
    assert np.array_equal(_params(named, table.iloc[1]), _ORDERED[1:])
    assert np.array_equal(_params(named, [table.iloc[0], table.iloc[1]]), _ORDERED)
    assert np.array_equal(_params(named, _ORDERED), _ORDERED)  # an array: by position, as always
    for wrong in (table.rename(columns={"ka": "KA"}), dict(_table(ids=False).items())):
        assert _refusal(named, _Y0, wrong) == _refusal(pk, _Y0, wrong).replace("'pk1'", "'pk_named'")


def test_an_odesystem_with_names_is_told_them_for_a_wrong_count(named):
    with pytest.raises(ConfigurationError, match=r"got shape \(2,\); the system's params are, in order, "
                                                 r"\[ka, CL, V\]"):
        _params(named, [1.0, 5.0])
    with pytest.raises(ConfigurationError, match=r"in the order the rhs reads them \(\[ka, CL, V\]\)"):
        kernels.solve_ivp(named, (0.0, 1.0), _Y0)


def test_param_names_survive_pickling_and_are_shown(named):
    """The names define how a solve reads a table: a pickled system (a process pool's) reads it the same way."""
    import pickle

    again = pickle.loads(pickle.dumps(named))
    assert again.param_names == ("ka", "CL", "V")
    assert np.array_equal(_params(again, _table()), _ORDERED)
    assert repr(named).endswith("n_drivers=0, param_names=('ka', 'CL', 'V'))")
    assert "param_names" not in repr(kernels.ODESystem(_pk_rhs, 2, 3, check=False))


def test_a_distributed_solve_of_an_odesystem_reads_the_dataframe_by_name(named, client):
    """The client takes the columns by name before the chunks travel (the workers' system has no names to read)."""
    expected = _central_at_12h(named, _ORDERED)
    assert np.array_equal(_central_at_12h(named, _table(), client=client, chunk_size=1), expected)


def test_given_rows_take_the_users_values_only_where_they_round_to_the_checked_ones():
    """The host checks evaluate the rhs at the user's float64 rows: a DataFrame read by name gave them in its own
    column order (CL, V, ka), a misreading of the checks that warn before a launch."""
    checked = _ORDERED.astype(np.float32)
    rows = given_rows(_table(ids=False), checked, [0, 1])
    assert [list(row) for row in rows] == [list(row) for row in checked.astype(np.float64)]
    exact = np.array([[0.1, 5.0, 30.0]])  # the user's own values where they are the checked ones: float64 kept
    assert given_rows(exact, exact.astype(np.float32), [0, 3])[1][0] == 0.1


def test_a_distributed_solve_reads_the_dataframe_by_name(pk, client):
    """The Dask path checks and cuts the chunks from the same rows as one process."""
    expected = _central_at_12h(pk, _ORDERED)
    assert np.array_equal(_central_at_12h(pk, _table(), client=client, chunk_size=1), expected)


def test_rows_of_a_frame_indexed_by_patient_are_read_by_name(pk):
    """df.loc["P01"] and iterrows()'s rows carry a string row label, not an integer one: they were read by position,
    1e8 tolerances off with success (a regression hunt)."""
    frame = _table(ids=False).set_axis(["P01", "P02"])
    for rows in ([frame.loc["P01"], frame.loc["P02"]], [row for _, row in frame.iterrows()]):
        np.testing.assert_array_equal(_params(pk, rows), _ORDERED)


def test_a_named_frame_keeps_the_float32_far_from_time_zero_warning(pk):
    """The host checks compare the float64 parameters as given with their float32 rounding; a DataFrame in another
    order (or with an ID column) was handed to them unread by name, so they fell back to the rounded rows and the
    far-from-t=0 ToleranceWarning of the same run with a NumPy array was lost (a regression hunt)."""
    y, w, k, a, t = sp.symbols("y w k A t")
    season = kernels.symbolic_system([y], [-k * y + a * sp.sin(w * t)], params=[w, k, a], t=t, name="season_df")
    rows = np.array([[2 * np.pi / 365.0, 0.1, 1.0], [2 * np.pi / 365.0 * 1.01, 0.2, 2.0]])
    frame = pd.DataFrame({"ID": [1, 2], "A": rows[:, 2], "k": rows[:, 1], "w": rows[:, 0]})
    for params in (rows, frame):
        with pytest.warns(kernels.ToleranceWarning, match=r"t reaches 7.4e\+05 in this float32 run"):
            kernels.solve_ivp(season, (7.4e5, 7.4e5 + 20.0), [1.0], params, precision=np.float32, rtol=1e-5,
                              atol=1e-6, progress=False)


def _decay16(t, y, p, dydt):
    for i in range(16):
        dydt[i] = -p[0] * y[i]


def _refusal(system, y0, params):
    with pytest.raises(ConfigurationError) as info:
        batch_inputs(system, y0, params, np.float64)
    return str(info.value)


def test_a_tuple_of_compartments_of_one_shape_is_told_to_stack_them():
    """y0 = (S, E, I, R), each (N, 4), for 16 states: NumPy reads it as one (4, N, 4) array, and the message took the
    compartments for 4 trajectories and told np.reshape(y0, (4, -1)) (an epidemiologist's trial); the stacking it
    tells now rebuilds the states in order."""
    system = kernels.ODESystem(_decay16, 16, 1, name="seir16", check=False)
    rng = np.random.default_rng(1)
    S, E, I, R = (rng.random((3, 4)) for _ in range(4))
    y0 = (S, E, I, R)
    text = _refusal(system, y0, np.full((3, 1), 0.1))
    assert "got a tuple of 4 per-state arrays, of shapes (3, 4), (3, 4), (3, 4), (3, 4)" in text
    assert "np.reshape(y0, (4, -1))" not in text
    remedy = "np.hstack([y0[0], y0[1], y0[2], y0[3]])"
    assert remedy in text
    np.testing.assert_array_equal(eval(remedy, {"np": np, "y0": y0}), np.hstack([S, E, I, R]))
    # a list of one 4x4 matrix per trajectory is still one row per trajectory flattened
    assert "np.reshape(y0, (2, -1))" in _refusal(system, [np.ones((4, 4)), np.ones((4, 4))], [0.1])


def _matrix16(t, y, p, dydt):
    for i in range(4):
        dydt[i] = -p[i * 4 + i] * y[i]


def test_a_list_of_one_matrix_per_trajectory_is_rows_and_a_tuple_of_them_columns():
    """params = [M0, M1, M2, M3], one 4x4 matrix per trajectory of a 16-param system, fits both readings: it was told
    np.hstack per column, which scrambles the matrices (a regression hunt).  A list is rows, as the README says: the
    reshape told rebuilds each trajectory's matrix; a tuple, the args habit, is still told the stacking."""
    system = kernels.ODESystem(_matrix16, 4, 16, name="matrix16", check=False)
    mats = [np.diag([1.0, 2.0, 3.0, 4.0]) * (k + 1) for k in range(4)]
    text = _refusal(system, np.ones(4), mats)
    assert "np.hstack" not in text and "pass np.reshape(params, (4, -1))" in text
    rows = eval("np.reshape(params, (4, -1))", {"np": np, "params": mats})  # noqa: S307 - the message's expression
    np.testing.assert_array_equal(rows[2].reshape(4, 4), mats[2])
    assert "got a tuple of 4 per-parameter arrays" in _refusal(system, np.ones(4), tuple(mats))


@pytest.mark.parametrize("kind", [list, tuple])
def test_arrays_that_fit_only_as_columns_are_told_the_stacking_as_a_list_or_a_tuple(kind):
    """Three (2, 1) arrays for 3 states add up only per column (each holds 2 values, not 3): both are stacked."""
    system = kernels.ODESystem(_decay16, 3, 1, name="three", check=False)
    y0 = kind(np.full((2, 1), float(k)) for k in range(3))
    text = _refusal(system, y0, [0.1])
    assert f"got a {kind.__name__} of 3 per-state arrays" in text and "np.hstack([y0[0], y0[1], y0[2]])" in text


@pytest.mark.parametrize("y0", [[[1.0, 2.0], None], (np.ones(3), None), [None, [1.0, 2.0]]])
def test_none_in_a_row_is_not_counted_as_a_number(y0):
    """[[1., 2.], None] was told it is one row of 2 items whose item 0 is an array, None counted as a number (a
    regression hunt): it is ragged, as it was told before."""
    system = kernels.ODESystem(_decay16, 3, 1, name="three", check=False)
    text = _refusal(system, y0, [0.1])
    assert text == ("y0 has rows of unequal length (a ragged list): give one row of 3 numbers (n_states) per "
                    "trajectory, or one row for all")


def test_rows_holding_a_matrix_are_not_called_ragged():
    """[[beta, C], ...] with C 4x4: rows of 2 items each were "rows of unequal length" (an epidemiologist's trial);
    the message names the matrix and its flattening runs, beta then C row by row."""
    system = kernels.ODESystem(contact_matrix_rhs, 4, 17, name="contact", check=False)
    C = np.arange(16.0).reshape(4, 4)
    rows = [[0.1, C], [0.2, C]]
    text = _refusal(system, np.ones(4), rows)
    assert "unequal length (a ragged list)" not in text
    assert "rows of 2 items each" in text and "item 1 of each row is a 4x4 array" in text
    assert "giving the 17 numbers (n_params) per row" in text
    remedy = "np.array([np.concatenate([np.ravel(v) for v in row]) for row in params])"
    assert remedy in text and "np.concatenate([[x0], np.ravel(x1)]) for a row [x0, x1]" in text
    expected = np.array([np.r_[beta, C.ravel()] for beta in (0.1, 0.2)])
    np.testing.assert_array_equal(eval(remedy, {"np": np, "params": rows}), expected)
    np.testing.assert_array_equal(batch_inputs(system, np.ones(4), expected, np.float64)[1], expected)
    one = _refusal(system, np.ones(4), [0.1, C])  # one row for every trajectory
    assert "params is one row of 2 items, and item 1 is a 4x4 array" in one
    assert "np.concatenate([np.ravel(v) for v in params])" in one


def test_params_left_out_say_the_shapes_params_take_and_how_to_give_defaults(pk):
    """A user's trial: "params are required: system 'X' has 4 parameters and no default_params" said neither the
    shapes params may take nor how a system gets defaults."""
    system = kernels.ODESystem(_four_parameters, 2, 4, name="four")
    with pytest.raises(ConfigurationError, match=r"^params are required: system 'four' has 4 parameters and no "
                                                 r"default_params\. Pass params as a \(4,\) array \(one row that every "
                                                 r"trajectory shares\) or an \(N, 4\) array \(one row per trajectory\), "
                                                 r"in the order the rhs reads them \(p\[0\] to p\[3\]\); or build the "
                                                 r"system with default_params \(4 numbers: "
                                                 r"kernels\.ODESystem\(\.\.\., default_params=\[\.\.\.\]\)"):
        kernels.solve_ivp(system, (0.0, 1.0), _Y0)
    with pytest.raises(ConfigurationError, match=r"a \(3,\) array .* in the order the rhs reads them "
                                                 r"\(\[ka, CL, V\]\).*symbolic_system\(\.\.\., default_params=\.\.\.\), "
                                                 r"which also takes a dict keyed by the params"):
        batch_inputs(pk, _Y0, None, np.float64)


def _four_parameters(t, y, p, dydt):
    dydt[0] = p[0] - p[1] * y[0]
    dydt[1] = p[2] * y[0] - p[3] * y[1]


def test_named_columns_read_by_position_warn_and_say_how_to_have_them_read_by_name():
    """A DataFrame in alphabetical column order for a system without names was read by position, silently: an SEIR
    draw's beta took the contact matrix's first entry (an epidemiologist's trial, after a pharmacometrician's).
    The position read stays (it is documented), with a ParamNamesWarning; .to_numpy() and param_names silence it."""
    import warnings

    pd = pytest.importorskip("pandas")

    def _decay(t, y, p, dydt):
        dydt[0] = -p[0] * y[0] + p[1]

    unnamed = kernels.ODESystem(_decay, 1, 2, name="decay_unnamed")
    named = kernels.ODESystem(_decay, 1, 2, name="decay_named", param_names=("k", "source"))
    table = pd.DataFrame({"k": [1.0, 2.0], "source": [0.5, 0.1]})
    with pytest.warns(kernels.ParamNamesWarning, match=r"read by position.*param_names=\[\.\.\.\]"):
        by_position = kernels.solve_ivp(unnamed, (0.0, 1.0), [1.0], table, method="tsit5", progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ParamNamesWarning)
        as_array = kernels.solve_ivp(unnamed, (0.0, 1.0), [1.0], table.to_numpy(), method="tsit5", progress=False)
        by_name = kernels.solve_ivp(named, (0.0, 1.0), [1.0], table[["source", "k"]], method="tsit5",
                                    progress=False)
    np.testing.assert_array_equal(by_position.y, as_array.y)
    np.testing.assert_array_equal(by_name.y, as_array.y)


def test_named_columns_read_by_position_warn_once_in_a_loop_and_never_for_one_parameter():
    """Five solves in a loop warned five times (each solve's own checks reset Python's once-per-line record: a
    regression hunt); an Integrator warns once for the same labels. One parameter cannot be out of order."""
    import warnings

    pd = pytest.importorskip("pandas")

    def _decay(t, y, p, dydt):
        dydt[0] = -p[0] * y[0] + p[1]

    def _one(t, y, p, dydt):
        dydt[0] = -p[0] * y[0]

    integ = kernels.Integrator(kernels.ODESystem(_decay, 1, 2, name="decay_loop"), "tsit5")
    table = pd.DataFrame({"k": [1.0, 2.0], "source": [0.5, 0.1]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            integ.solve((0.0, 1.0), [1.0], table, progress=False)
        kernels.solve_ivp(kernels.ODESystem(_one, 1, 1, name="one_rate"), (0.0, 1.0), [1.0], table[["k"]],
                          method="tsit5", progress=False)
    assert sum(issubclass(w.category, kernels.ParamNamesWarning) for w in caught) == 1


_TU, _TV, _TA1, _TA2 = sp.symbols("u v a1 a2")  # the toggle switch's
_TOGGLE_Y0 = pd.DataFrame({"v": [3.0, 0.1], "u": [0.1, 3.0]})  # v first: the system's states are [u, v]


@pytest.fixture(scope="module")
def toggle():
    """A toggle switch, states [u, v], params [a1, a2], built with names."""
    return kernels.symbolic_system([_TU, _TV], [_TA1 / (1 + _TV**2) - _TU, _TA2 / (1 + _TU**2) - _TV],
                                   params=[_TA1, _TA2], name="toggle_sym")


def _y0(system, y0, params=(5.0, 5.0)):
    return batch_inputs(system, y0, list(params), np.float64)[0]


def test_a_y0_dataframe_in_another_order_is_read_by_the_systems_state_names(toggle):
    """A systems biologist's trial: y0 = DataFrame(v=..., u=...) was read by position, so the row starting with v high
    ended with u high (4.79, the other basin), success and no warning."""
    result = kernels.solve_ivp(toggle, (0.0, 20.0), _TOGGLE_Y0, pd.DataFrame({"a2": [5.0, 5.0], "a1": [5.0, 5.0]}),
                               precision=np.float64, progress=False)
    assert result.success
    assert result.y[0, -1, 0] < 0.5 < 4.0 < result.y[1, -1, 0]  # row 0 starts with v high: u ends low
    ordered = [[0.1, 3.0], [3.0, 0.1]]
    assert np.array_equal(_y0(toggle, _TOGGLE_Y0), ordered)
    assert np.array_equal(_y0(toggle, _TOGGLE_Y0.iloc[0]), [ordered[0]])  # a Series: by its index labels
    assert np.array_equal(_y0(toggle, [_TOGGLE_Y0.iloc[0], _TOGGLE_Y0.iloc[1]]), ordered)  # a DataFrame's rows
    both = _TOGGLE_Y0.assign(a1=5.0, a2=5.0)  # one table for y0 and params: the parameter columns left out
    assert np.array_equal(batch_inputs(toggle, both, both, np.float64)[0], ordered)


def test_a_y0_dataframe_missing_or_misspelling_a_state_is_refused_with_the_names(toggle):
    with pytest.raises(ConfigurationError) as info:
        _y0(toggle, _TOGGLE_Y0.rename(columns={"u": "U"}))
    assert str(info.value) == (
        "y0 is a DataFrame whose columns system 'toggle_sym' reads by its state names, 'u', 'v' (in the order of "
        "y[0], y[1], ...); it has no column 'u', and column 'U' that names no state: rename it, "
        "y0.rename(columns={'U': 'u'}), or pass a NumPy array of shape (N, 2) with the states in that order, which "
        "is read by position")
    # a column that names no state (an ID, a time) is left out, as params' are (a regression hunt: an ID column
    # refused a NONMEM-style table the params path read)
    ordered = _y0(toggle, _TOGGLE_Y0[["u", "v"]])
    assert np.array_equal(_y0(toggle, _TOGGLE_Y0.assign(ID=["a", "b"])), ordered)
    with pytest.raises(ConfigurationError, match=r"; it has no index label 'u', and no index labels besides 'v': "
                                                 r"give each state an index label"):
        _y0(toggle, _TOGGLE_Y0.iloc[0][["v"]])


def test_without_state_names_a_named_y0_dataframe_is_refused_and_positions_stay_silent(toggle, recwarn):
    """An ODESystem of Python functions has no state names: string columns as many as its states would be read by
    position whatever they say, so they are refused; integer labels, .to_numpy() and a DataFrame's rows (documented
    as rows) are read by position, and one state cannot be out of order."""
    plain = kernels.ODESystem(toggle.rhs, 2, 2, name="toggle_plain", jac=toggle.jac, check=False)
    with pytest.raises(ConfigurationError) as info:
        _y0(plain, _TOGGLE_Y0)
    assert str(info.value) == (
        "y0 is a DataFrame whose columns 'v', 'u' would be read by position, as y[0], y[1], ... in the order of system "
        "'toggle_plain''s states, since it has no state names: pass y0[[...]].to_numpy() with the labels in the order "
        "the rhs reads its states, or build the system with kernels.symbolic_system, which reads them by name")
    with pytest.raises(ConfigurationError, match=r"^y0 is a pandas Series whose index labels 'v', 'u' would be read"):
        _y0(plain, _TOGGLE_Y0.iloc[0])
    positions = [[3.0, 0.1], [0.1, 3.0]]
    assert np.array_equal(_y0(plain, _TOGGLE_Y0.to_numpy()), positions)
    assert np.array_equal(_y0(plain, pd.DataFrame(positions)), positions)
    assert np.array_equal(_y0(plain, [_TOGGLE_Y0.iloc[0], _TOGGLE_Y0.iloc[1]]), positions)
    one = kernels.ODESystem(lambda t, y, p, dydt: None, 1, 0, name="one_state", check=False)
    assert np.array_equal(batch_inputs(one, pd.DataFrame({"x": [1.0, 2.0]}), None, np.float64)[0], [[1.0], [2.0]])
    assert not recwarn.list


def test_a_distributed_solve_reads_a_y0_dataframe_by_the_state_names(pk, client):
    """The Dask path cuts its chunks from batch_inputs' rows, so y0's columns are read by name there too."""
    y0 = pd.DataFrame({"A1": [0.0, 0.0], "A0": [100.0, 100.0]})
    result = kernels.solve_ivp(pk, (0.0, 12.0), y0, _ORDERED, t_eval=[12.0], precision=np.float64, progress=False,
                               client=client, chunk_size=1)
    assert np.array_equal(result.y[:, -1, 1], _central_at_12h(pk, _ORDERED))
