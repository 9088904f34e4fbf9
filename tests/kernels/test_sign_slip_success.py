"""A sign slip in one row of a sweep whose trajectory ends with success: the solve warns once and the message opens
its success notes with the lone negative entry and the growth from the start (kernels.sign_slip_success); a sweep
across 0, a growth every row has, a row that did not grow far, and a batch without a lone negative entry are told
nothing, and only a grown row with such an entry is evaluated on the host."""

import copy
import math
import pickle
import warnings

import numpy as np
import pytest
from kernel_helpers import heat_system

import kernels
import kernels.sign_slip_success as slip
from kernels.status import SUCCESS

SIGN = "params[2, 1] = -1e-06 is negative where every other row's column 1 is >= 0: check its sign"
GREW = "The solution grew from there"


def _rc(t, y, p, dydt):
    """An RC circuit driven by sin t: R = p[0], C = p[1]."""
    dydt[0] = (math.sin(t) - y[0]) / (p[0] * p[1])


RC = kernels.ODESystem(_rc, n_states=1, n_params=2, name="rc_sign_slip")
#: Four rows, tau = 1 ms; row 2's C typed negative (a user's Monte Carlo had it in row 5 of 8).
RC_PARAMS = np.column_stack([np.full(4, 1e3), np.full(4, 1e-6)])
RC_PARAMS[2, 1] = -1e-6


def _coupled(t, y, p, dydt):
    """Two relaxing states coupled by p[0] (eigenvalues -1 +- p[0]), pushed by p[1]."""
    dydt[0] = -y[0] + p[0] * y[1] + p[1]
    dydt[1] = -y[1] + p[0] * y[0]


COUPLED = kernels.ODESystem(_coupled, n_states=2, n_params=2, name="coupled_sign_slip")


def _growth(t, y, p, dydt):
    """A growth every row has (rate p[0]) with an offset p[1]."""
    dydt[0] = p[0] * y[0] + p[1]


GROWTH = kernels.ODESystem(_growth, n_states=1, n_params=2, name="growth_sign_slip")


def _damped(t, y, p, dydt):  # x'' + c x' + x = 0: c < 0 grows
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[1] - y[0]


DAMPED = kernels.ODESystem(_damped, n_states=2, n_params=1, name="damped_sign_slip")


def _pk(t, y, p, dydt):  # a dose absorbed at ka = p[0], eliminated at ke = p[1]
    dydt[0] = -p[0] * y[0]
    dydt[1] = p[0] * y[0] - p[1] * y[1]


PK = kernels.ODESystem(_pk, n_states=2, n_params=2, name="pk_sign_slip")


def _solve(*args, **kwargs):
    """``(result, [SuspectSuccessWarning texts])`` of ``kernels.solve_ivp(*args, **kwargs)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = kernels.solve_ivp(*args, progress=False, **kwargs)
    return result, [str(w.message) for w in caught if issubclass(w.category, kernels.SuspectSuccessWarning)]


@pytest.mark.parametrize("method, precision", [("tsit5", np.float64), ("rodas5p", np.float64),
                                               ("tsit5", np.float32)])
def test_a_successful_row_grown_from_a_lone_negative_capacitance_is_warned_of_and_noted(method, precision):
    """Row 5's C = -1e-6 in an RC Monte Carlo ended at -5.2e18 with status 0 and "successfully reached the end", no
    warning (tsit5 and rodas5p, float64 and float32: a user's trial)."""
    result, texts = _solve(RC, (0.0, 0.02), [0.0], RC_PARAMS, method=method, precision=precision)
    assert result.status.tolist() == [SUCCESS] * 4 and abs(float(result.y[2, -1, 0])) > 1e5
    found = [text for text in texts if "negative where every other row has it at 0 or above" in text]
    assert len(found) == 1, texts
    assert found[0].startswith("1 of 4 trajectories (trajectory 2) ended with status SUCCESS at a final saved state "
                               "more than 100 times their start and where the other rows ended"), found[0]
    assert "(as params[2, 1] = -1e-06)" in found[0] and "res.message(i) says it for each" in found[0]
    message = result.message(2)
    assert message.startswith("The solver successfully reached the end of the integration interval. " + SIGN), message
    assert message.index(SIGN) < message.index(GREW)
    assert "on a mode growing at rate 1e+03 per unit of t at its start that this sign makes" in message
    assert all(SIGN not in result.message(i) and GREW not in result.message(i) for i in (0, 1, 3))


def test_the_note_survives_a_pickle_and_a_copy_of_an_implicit_run():
    """The solve's verdict travels with a pickled result; a copy without it judges the row from its probes."""
    result, _ = _solve(RC, (0.0, 0.02), [0.0], RC_PARAMS, method="rodas5p", precision=np.float64)
    assert SIGN in pickle.loads(pickle.dumps(result)).message(2)
    copied = copy.deepcopy(result)
    assert not hasattr(copied, "_sign_slip_notes")
    assert SIGN in copied.message(2) and GREW in copied.message(2)
    assert GREW not in copied.message(0)


def test_a_heat_equation_row_with_a_negative_diffusivity_is_named_where_radau_held_it_down():
    """D = -0.1 in one of four rows: radau ended it at 414 times its start with status 0 (rodas5p at 5.6e9), the
    rows with D = +0.1 at 0.9 (a user's trial: 32 cells to t = 0.1; here 8 cells to t = 0.5)."""
    n = 8
    system = heat_system(n)
    x = np.arange(1, n + 1) / (n + 1)
    y0 = np.sin(np.pi * x) + 0.01 * np.sin(7 * np.pi * x)
    result, texts = _solve(system, (0.0, 0.5), y0, [[0.1], [0.1], [0.1], [-0.1]], method="radau", rtol=1e-6,
                           atol=1e-8, precision=np.float64)
    assert result.status.tolist() == [SUCCESS] * 4
    assert any("(trajectory 3)" in text and "(as params[3, 0] = -0.1)" in text for text in texts), texts
    assert result.message(3).startswith("The solver successfully reached the end of the integration interval. "
                                        "params[3, 0] = -0.1 is negative where every other row's column 0 is >= 0")


@pytest.mark.parametrize("system, params, y0, span", [
    (COUPLED, [[-2.0, 0.0], [-1.0, 0.0], [1.0, 0.0], [2.0, 0.0]], [1.0, 0.5], 6.0),  # a coupling swept across 0
    (COUPLED, [[0.5, -1.0], [0.5, 1.0], [0.5, 2.0], [0.5, 3.0]], [1.0, 0.5], 6.0),  # a lone negative push: no growth
    (GROWTH, [[1.0, 1.0], [1.0, 2.0], [1.0, -1.0], [1.0, 3.0]], [2.0], 8.0),  # a growth every row has
    (GROWTH, [[1.0, 1.0], [1.0, 2.0], [1.0, -5e3], [1.0, 3.0]], [2.0], 8.0),  # ... its offset's row 1000 times past
    (RC, RC_PARAMS, [0.0], 0.002),  # the slip's row grew, but not 100 times past the others
    (DAMPED, [[-1.0], [0.0], [0.5], [1.0]], [1.0, 0.0], 10.0),  # a damping swept through 0 (a regression hunt)
])
def test_no_word_where_the_growth_is_not_a_lone_sign_slips(system, params, y0, span):
    result, texts = _solve(system, (0.0, span), y0, np.asarray(params, float), method="tsit5",
                           precision=np.float64)
    assert result.status.tolist() == [SUCCESS] * 4
    assert not [text for text in texts if "negative where every other row" in text], texts
    assert all(GREW not in result.message(i) for i in range(4))


def test_only_a_grown_row_with_a_lone_negative_entry_is_evaluated_on_the_host(monkeypatch):
    """A batch without a lone negative entry, and one whose such row did not grow, evaluate nothing on the host;
    the slip's row, once (its Jacobian at y0, then its flipped sign's)."""
    calls = []
    real = slip.largest_growth
    monkeypatch.setattr(slip, "largest_growth", lambda *a, **k: calls.append(a) or real(*a, **k))
    for params, span in ((np.abs(RC_PARAMS), 0.02), (RC_PARAMS, 0.002)):
        result, _ = _solve(RC, (0.0, span), [0.0], params, method="tsit5", precision=np.float64)
        assert calls == [] and GREW not in result.message(2)
    _solve(RC, (0.0, 0.02), [0.0], RC_PARAMS, method="tsit5", precision=np.float64)
    assert len(calls) == 1 and calls[0][3][1] == -1e-6


def test_the_candidates_are_the_rows_of_columns_with_one_negative_entry():
    params = np.array([[1.0, -1.0, 2.0, -3.0], [1.0, -2.0, -2.0, 3.0], [-1.0, 1.0, 2.0, np.nan]])
    assert slip.slip_candidates(params).tolist() == [1, 2]  # column 1 has two, column 3 a NaN
    assert slip.slip_candidates(params[:1]).size == 0 and slip.slip_candidates(np.array([-1.0, 2.0])).size == 0


def test_a_slip_is_judged_by_where_the_other_rows_ended_not_where_they_started():
    """A PK row of 1 dose with ke = -0.2 grew 12300-fold beside rows of 10 to 1000 doses: with hourly saves the other
    rows' starts (1000) hid it (a regression hunt)."""
    params = np.column_stack([np.ones(4), [-0.2, 0.2, 0.2, 0.2]])
    y0 = np.column_stack([[1.0, 10.0, 100.0, 1000.0], np.zeros(4)])
    result, texts = _solve(PK, (0.0, 48.0), y0, params, t_eval=np.linspace(0.0, 48.0, 13), method="tsit5",
                           precision=np.float64)
    assert result.status.tolist() == [SUCCESS] * 4
    assert any("(trajectory 0)" in text for text in texts), texts


def _monod(t, y, p, dydt):
    """A chemostat of one species: nutrient S = y[0], biomass X = y[1]; p = D, S0, mu, K, Y, and k, the decay rate
    of a tracer z = y[2]."""
    g = p[2] * y[0] / (p[3] + y[0])
    dydt[0] = p[0] * (p[1] - y[0]) - g * y[1] / p[4]
    dydt[1] = y[1] * (g - p[0])
    dydt[2] = -p[5] * y[2]


MONOD = kernels.ODESystem(_monod, n_states=3, n_params=6, name="monod_sign_slip",
                          param_names=("D", "S0", "mu", "K", "Y", "k"))
MONOD.state_names = ("S", "X", "z")
MONOD_PARAMS = np.array([0.3, 10.0, 1.0, 0.2, 0.5, 3.0])
#: Row 2's nutrient typed -0.5 (an ecologist's trial: the others 10, 5, 2).
MONOD_Y0 = np.array([[10.0, 0.01, 1.0], [5.0, 0.01, 1.0], [-0.5, 0.01, 1.0], [2.0, 0.01, 1.0]])
Y0_SIGN = "y0[2, 0] (S) = -0.5 is negative where every other row's column 0 is above 0"


@pytest.mark.parametrize("method, precision", [("tsit5", np.float64), ("radau", np.float64),
                                               ("tsit5", np.float32)])
def test_a_chemostat_row_whose_nutrient_was_typed_negative_in_y0_is_warned_of_and_noted(method, precision):
    """S = -0.5 where the other rows start at 10, 5, 2: below -K the uptake runs away, and row 2 ended at S = -3e15,
    X = 1.5e15 with status 0 and no word (tsit5 and radau, float64 and float32), the other rows near (0.086, 4.96)."""
    result, texts = _solve(MONOD, (0.0, 50.0), MONOD_Y0, MONOD_PARAMS, method=method, precision=precision)
    assert result.status.tolist() == [SUCCESS] * 4 and abs(float(result.y[2, -1, 0])) > 1e12
    found = [text for text in texts if "negative where every other row has it at 0 or above" in text]
    assert len(found) == 1, texts
    assert found[0].startswith("1 of 4 trajectories (trajectory 2) ended with status SUCCESS"), found[0]
    assert "each with a y0 entry negative" in found[0] and "(as y0[2, 0] (S) = -0.5)" in found[0], found[0]
    message = result.message(2)
    assert message.startswith("The solver successfully reached the end of the integration interval. " + Y0_SIGN
                              + " and stays so at their saves: check its sign (if S is a concentration or a "
                              "population, start it at 0 or above"), message
    assert message.index(Y0_SIGN) < message.index(GREW) and "params[" not in message
    assert all(Y0_SIGN not in result.message(i) and GREW not in result.message(i) for i in (0, 1, 3))


def test_a_y0_slip_survives_a_copy_and_is_judged_from_the_probes():
    result, _ = _solve(MONOD, (0.0, 50.0), MONOD_Y0, MONOD_PARAMS, method="radau", precision=np.float64)
    assert Y0_SIGN in pickle.loads(pickle.dumps(result)).message(2)
    copied = copy.deepcopy(result)
    assert not hasattr(copied, "_sign_slip_notes")
    assert Y0_SIGN in copied.message(2) and GREW not in copied.message(0)


def test_a_params_slip_and_a_y0_slip_in_one_solve_draw_one_warning_and_each_row_its_note():
    """Row 1's tracer decay k typed -3, row 2's nutrient -0.5: one warning for both, each message its own entry."""
    params = np.tile(MONOD_PARAMS, (4, 1))
    params[1, 5] = -3.0
    result, texts = _solve(MONOD, (0.0, 10.0), MONOD_Y0, params, method="tsit5", precision=np.float64)
    assert result.status.tolist() == [SUCCESS] * 4
    found = [text for text in texts if "negative where every other row has it at 0 or above" in text]
    assert len(found) == 1 and found[0].startswith("2 of 4 trajectories (trajectory 1 and trajectory 2)"), texts
    assert "each with a params or y0 entry negative" in found[0]
    assert result.message(1).startswith("The solver successfully reached the end of the integration interval. "
                                        "params[1, 5] (k) = -3 is negative"), result.message(1)
    assert Y0_SIGN in result.message(2) and "params[" not in result.message(2)
    assert all(GREW not in result.message(i) for i in (0, 3))


def _escape(t, y, p, dydt):
    """A particle in a well for x > -2 that escapes past the barrier at x = -2 (force x + 2 beyond it)."""
    dydt[0] = y[1]
    dydt[1] = -y[0] + 2.0 * (y[0] + 1.0) / (1.0 + math.exp(10.0 * (y[0] + 1.0)))


ESCAPE = kernels.ODESystem(_escape, n_states=2, n_params=1, name="escape_sign_slip")


def _saddle(t, y, p, dydt):  # x'' = x: growing along (1, 1), decaying along (1, -1)
    dydt[0] = y[1]
    dydt[1] = y[0]


SADDLE = kernels.ODESystem(_saddle, n_states=2, n_params=1, name="saddle_sign_slip")


@pytest.mark.parametrize("system, y0, params, span, grown", [
    (DAMPED, [[1.0, 0.0], [0.5, 0.0], [-1.0, 0.0], [2.0, 0.0]], [0.5], 10.0, False),  # started negative, bounded
    # started past the barrier, it escapes (x = -1.1e4), where the other rows swing through 0 in the well
    (ESCAPE, [[1.2, 0.0], [1.0, 0.0], [-3.0, 0.0], [0.8, 0.0]], [0.0], 10.0, True),
    # a linear saddle: the sign moves no rate, the row off the stable direction grows (x = -2.2e4)
    (SADDLE, [[1.0, -1.0], [2.0, -2.0], [-1.0, -1.0], [0.5, -0.5]], [0.0], 10.0, True),
    # a sweep through 0: two negative starts, or a 0 among the others
    (MONOD, [[10.0, 0.01, 1.0], [-0.3, 0.01, 1.0], [-0.5, 0.01, 1.0], [2.0, 0.01, 1.0]], MONOD_PARAMS, 50.0, True),
    (MONOD, [[10.0, 0.01, 1.0], [0.0, 0.01, 1.0], [-0.5, 0.01, 1.0], [2.0, 0.01, 1.0]], MONOD_PARAMS, 50.0, True),
])
def test_no_word_where_a_negative_start_is_not_a_lone_sign_slip(system, y0, params, span, grown):
    result, texts = _solve(system, (0.0, span), np.asarray(y0, float), np.asarray(params, float), method="tsit5",
                           precision=np.float64, t_eval=np.linspace(0.0, span, 21))
    assert result.status.tolist() == [SUCCESS] * 4
    assert (abs(float(result.y[2, -1, 0])) > 1e3) == grown  # row 2 started negative: grown past 100 times or not
    assert not [text for text in texts if "negative where every other row" in text], texts
    assert all(GREW not in result.message(i) and "y0[" not in result.message(i) for i in range(4))


def test_a_y0_column_is_judged_by_the_spread_of_its_sweep():
    """A -0.5 typed among starts of 10, 5 and 2 is a slip of a sweep of starts; a params column keeps its size."""
    assert slip.slip_candidates(MONOD_Y0, by_spread=True).tolist() == [2]
    assert slip.slip_candidates(MONOD_Y0).size == 0
    assert slip.slip_columns(MONOD_Y0, 2).tolist() == [0] and slip.slip_columns(MONOD_Y0, 1).size == 0
    assert slip.slip_candidates(np.array([[10.0], [5.0], [-0.1], [2.0]]), by_spread=True).size == 0  # far smaller
