"""Tableaus: invariants, rooted-tree order conditions, and a second source (SciPy).

The high-order pairs (DOP853, Vern7, Vern9) have their own second-source
tests in ``test_tableaus_high_order.py``; the implicit tableaus in
``test_tableaus_implicit.py``.
"""

import json
from fractions import Fraction

import numpy as np
import pytest

from kernels import TABLEAUS, TableauError
from kernels.tableaus import IMPLICIT_TABLEAUS, ButcherTableau, RosenbrockTableau, get_tableau
from kernels.tableaus.conditions import density, rk_conditions, rooted_trees


def order_satisfied(tab, weights, order):
    return rk_conditions(tab.a).satisfied(weights, order)


def test_tree_counts():
    """The number of rooted trees (OEIS A000081) and a few densities gamma(t)."""
    assert [len(rooted_trees(p)) for p in range(1, 11)] == [1, 1, 2, 4, 9, 20, 48, 115, 286, 719]
    assert density(((),)) == 2 and density(((), ())) == 3 and density((((),),)) == 6
    assert density(((),) * 8) == 9 and sum(1 for t in rooted_trees(9) if density(t) == 9) == 1


def test_checker_rejects_a_perturbed_coefficient():
    """One coefficient of RK4 moved by 1e-9 breaks an order condition the checker sees."""
    tab = TABLEAUS["rk4"]
    a = np.array(tab.a)
    a[3, 2] += 1e-9
    assert rk_conditions(tab.a).satisfied(tab.b, 4)
    assert not rk_conditions(a).satisfied(tab.b, 4)


@pytest.mark.parametrize("name", sorted(TABLEAUS))
def test_invariants(name):
    tab = TABLEAUS[name]
    assert abs(sum(tab.b) - 1.0) < 1e-14
    assert all(len(row) == tab.stages for row in tab.a)  # square, padded with zeros
    assert tab.explicit  # the registered explicit methods: strictly lower triangular
    for i, row in enumerate(tab.a):
        assert row[i:] == (0.0,) * (tab.stages - i)
        assert abs(sum(row) - tab.c[i]) < 1e-14
    if tab.b_hat is not None:
        assert abs(sum(tab.b_hat) - 1.0) < 1e-14
        assert len(tab.b_hat) == tab.stages
    if tab.fsal:
        assert tab.c[-1] == 1.0 and tab.b[-1] == 0.0
        np.testing.assert_allclose(tab.a[-1], tab.b, rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", sorted(TABLEAUS))
def test_order_conditions(name):
    """Every rooted-tree condition up to the stated order holds; the next order fails."""
    tab = TABLEAUS[name]
    assert order_satisfied(tab, tab.b, tab.order)
    assert not order_satisfied(tab, tab.b, tab.order + 1)
    if tab.b_hat is not None:
        assert order_satisfied(tab, tab.b_hat, tab.embedded_order)
        assert not order_satisfied(tab, tab.b_hat, tab.embedded_order + 1)
    if tab.b_hat_low is not None:
        assert order_satisfied(tab, tab.b_hat_low, tab.embedded_order_low)
        assert not order_satisfied(tab, tab.b_hat_low, tab.embedded_order_low + 1)


@pytest.mark.parametrize("name, scipy_name", [("dopri5", "RK45"), ("bs3", "RK23")])
def test_against_scipy(name, scipy_name):
    """Second source: SciPy's coefficients, with its E = b_hat - b (extended by the FSAL stage)."""
    from scipy.integrate._ivp import rk

    ref = getattr(rk, scipy_name)
    tab = TABLEAUS[name]
    s = ref.n_stages
    a = np.array(tab.a)[:ref.A.shape[0], :ref.A.shape[1]]
    np.testing.assert_allclose(a, ref.A, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tab.b[:s], ref.B, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tab.c[:s], ref.C, rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.array(tab.b_hat) - np.array(tab.b), ref.E, rtol=0, atol=1e-15)


def test_tsit5_known_values():
    """Spot values from Tsitouras (2011) as printed by OrdinaryDiffEq.jl (btilde = b_hat - b)."""
    tab = TABLEAUS["tsit5"]
    btilde = np.array(tab.b_hat) - np.array(tab.b)
    expected = [-0.00178001105222577714, -0.0008164344596567469, 0.007880878010261995,
                -0.1447110071732629, 0.5823571654525552, -0.45808210592918697, 0.015151515151515152]
    np.testing.assert_allclose(btilde, expected, rtol=1e-13, atol=1e-17)
    assert tab.c[4] == pytest.approx(0.9800255409045097, abs=1e-16)


def test_error_weights_zero_without_embedding():
    assert TABLEAUS["rk4"].error_weights == (0.0, 0.0, 0.0, 0.0)
    assert not TABLEAUS["rk4"].adaptive and TABLEAUS["tsit5"].adaptive


def test_tableaus_are_immutable():
    with pytest.raises(AttributeError):
        TABLEAUS["rk4"].order = 3


@pytest.mark.parametrize("kwargs, words", [
    (dict(a=((), (0.4,)), b=(0.5, 0.5), c=(0.0, 0.5)), "row 1 of a sums"),
    (dict(a=((), (0.5,)), b=(0.6, 0.5), c=(0.0, 0.5)), "sum(b)"),
    (dict(a=((), (0.5,)), b=(0.5, 0.5), c=(0.0, 0.5), b_hat=(1.0, 0.5), embedded_order=1), "sum(b_hat)"),
    (dict(a=((), (0.5, 0.0, 0.1)), b=(0.5, 0.5), c=(0.0, 0.5)), "more than the 2 stages"),
    (dict(a=((), (0.5,)), b=(0.5, 0.5), c=(0.0, 0.5), fsal=True), "fsal=True needs"),
    (dict(a=((),), b=(1.0,), c=(0.0, 1.0)), "a has 1 rows, b 1 entries and c 2: each must have one per stage"),
    # was "sum(b) = 0, expected 1 ... as fractions.Fraction objects" (a user's trial)
    (dict(a=(), b=(), c=()), "tableau 'bad' has no stages: a, b and c are empty"),
])
def test_bad_tableau(kwargs, words):
    with pytest.raises(TableauError, match=words.replace("(", r"\(").replace(")", r"\)")):
        ButcherTableau(name="bad", order=1, **kwargs)


_HEUN = dict(a=((), (1.0,)), b=(0.5, 0.5), c=(0.0, 1.0))


@pytest.mark.parametrize("change, words", [
    # mistakes of a user's trial of adding a method (each ran, or failed far from the tableau, before)
    (dict(name="Heun2"), "name must be a non-empty lower-case string"),
    (dict(name="my method"), "name must be a non-empty lower-case string"),
    (dict(b=(0.5, float("nan"))), "b must be finite numbers"),
    (dict(a=((), (float("inf"),))), "row 1 of a must be finite numbers"),
    (dict(b=(0.5, 0.5, 0.0)), "a has 2 rows, b 3 entries and c 2: each must have one per stage"),
    (dict(b_hat=(0.5, 0.5), embedded_order=1), "b_hat equals the solution weights"),
    (dict(b_hat=(1.0, 0.0)), "b_hat is given, so embedded_order is needed"),
    (dict(embedded_order=1), "embedded_order = 1 without the weights it describes"),
    (dict(order="2"), "order must be an int >= 1; got '2'"),
    (dict(order=3), "order = 3, but its weights satisfy the order conditions only up to order 2"),
    # an under-claim ran with the controller's exponent of the claim (Cash-Karp claimed 3 for 4, a developer's trial)
    (dict(order=1), "order = 1, but its weights satisfy the order conditions of order 2 too; claim 2"),
    (dict(b_hat=(1.0, 0.0), embedded_order=2), "embedded_order = 2, but its weights satisfy the order conditions "
                                               "only up to order 1 (the first that fails has 2 nodes"),
])
def test_a_mistyped_tableau_is_refused_where_it_is_made(change, words):
    kwargs = {"name": "heun2", "order": 2, **_HEUN, **change}
    with pytest.raises(TableauError, match=words.replace("(", r"\(").replace(")", r"\)")):
        ButcherTableau(**kwargs)


def test_swapped_weights_are_refused_as_the_order_they_reach():
    """A user's trial: Cash-Karp with b[2] and b[3] swapped ran at order 0.9 while claiming 5."""
    tab = TABLEAUS["dopri5"]
    b = list(tab.b)
    b[2], b[3] = b[3], b[2]
    with pytest.raises(TableauError, match=r"order = 5, but its weights satisfy the order conditions only up to "
                                           r"order 1"):
        ButcherTableau(**{**tab.to_json(), "name": "swapped", "b": tuple(b), "b_hat": None, "embedded_order": 0,
                          "fsal": False})


def test_square_and_json_round_trip():
    implicit = ButcherTableau(name="midpoint", a=((0.5,),), b=(1.0,), c=(0.5,), order=2)
    assert not implicit.explicit and implicit.diagonally_implicit
    back = ButcherTableau.from_json(TABLEAUS["tsit5"].to_json())
    assert back == TABLEAUS["tsit5"]
    with pytest.raises(TableauError, match="unknown key"):
        ButcherTableau.from_json({**TABLEAUS["rk4"].to_json(), "stages": 4})


def test_explicit_family_refuses_an_implicit_tableau():
    from kernels.steps import ERKStepSettings

    implicit = ButcherTableau(name="midpoint", a=((0.5,),), b=(1.0,), c=(0.5,), order=2)
    with pytest.raises(ValueError, match="implicit"):
        ERKStepSettings(implicit, 2)


def test_fractions_exact():
    assert TABLEAUS["rk4"].b[0] == float(Fraction(1, 6))


def test_unknown_method():
    with pytest.raises(ValueError, match="method must be one of"):
        get_tableau("rk45")


def test_get_tableau_finds_implicit_tableaus_case_insensitively():
    assert get_tableau("RADAU").name == "radau" and get_tableau("Rodas5P").name == "rodas5p"
    assert get_tableau("Vern9") is TABLEAUS["vern9"]


def test_json_round_trip_keeps_the_low_order_weights():
    back = ButcherTableau.from_json(TABLEAUS["dop853"].to_json())
    assert back == TABLEAUS["dop853"] and back.b_hat_low == TABLEAUS["dop853"].b_hat_low
    old = {k: v for k, v in TABLEAUS["tsit5"].to_json().items() if k not in ("b_hat_low", "embedded_order_low")}
    assert ButcherTableau.from_json(old) == TABLEAUS["tsit5"]  # JSON written before the field existed


def test_low_order_weights_need_primary_ones():
    with pytest.raises(TableauError, match="b_hat_low needs b_hat"):
        ButcherTableau(name="bad", a=((), (0.5,)), b=(0.0, 1.0), c=(0.0, 0.5), order=2, b_hat_low=(1.0, 0.0))


_ROS = IMPLICIT_TABLEAUS["rodas4"]


@pytest.mark.parametrize("cls, data, words", [
    # a user's trial: bare TypeErrors ("missing 2 required positional arguments", "'NoneType' object is not
    # iterable"), and fsal="false" stored as the string
    (ButcherTableau, {"name": "ralston", "a": [[], [2 / 3]], "b": [0.25, 0.75]},
     "tableau JSON: missing key(s) ['c', 'order']; required: ['name', 'a', 'b', 'c', 'order']"),
    (ButcherTableau, {**TABLEAUS["bs3"].to_json(), "name": "mybs3", "fsal": "false"},
     "tableau 'mybs3': fsal must be True or False; got 'false'"),
    (ButcherTableau, {**TABLEAUS["rk4"].to_json(), "name": "myrk4", "a": None},
     "tableau 'myrk4': a must be a sequence of rows (one per stage), each a sequence of numbers; got None"),
    (ButcherTableau, {**TABLEAUS["rk4"].to_json(), "name": "myrk4", "c": 3.0},
     "tableau 'myrk4': c must be a sequence of numbers; got 3.0"),
    (ButcherTableau, {**TABLEAUS["rk4"].to_json(), "name": "myrk4", "b": "1"},
     "tableau 'myrk4': b must be a sequence of numbers; got '1'"),
    (RosenbrockTableau, {**_ROS.to_json(), "name": "myros", "a": None},
     "Rosenbrock tableau 'myros': a must be a sequence of rows (one per stage), each a sequence of numbers; got None"),
    (RosenbrockTableau, {**_ROS.to_json(), "name": "myros", "C": 3.0},
     "Rosenbrock tableau 'myros': C must be a sequence of rows"),
    (RosenbrockTableau, {**_ROS.to_json(), "name": "myros", "gamma": None},
     "Rosenbrock tableau 'myros': gamma must be a number (finite, > 0); got None"),
    (RosenbrockTableau, {**_ROS.to_json(), "name": "myros", "gamma": True},
     "Rosenbrock tableau 'myros': gamma must be a number (finite, > 0); got True"),
    (RosenbrockTableau, {**_ROS.to_json(), "name": "myros", "order": None},
     "Rosenbrock tableau 'myros': order must be an int >= 1; got None"),
])
def test_tableau_json_mistakes_are_tableau_errors_naming_the_field(cls, data, words):
    with pytest.raises(TableauError) as info:
        cls.from_json(data)
    assert str(info.value).startswith(words), str(info.value)


@pytest.mark.parametrize("cls, data, number", [
    (ButcherTableau, {"name": "mymid", "a": [0, 0.5, 0, 0], "b": [0, 1], "c": [0, 0.5], "order": 2}, 0),
    (ButcherTableau, {"name": "mymid", "a": [[0], 0.5], "b": [0, 1], "c": [0, 0.5], "order": 2}, 1),
    (RosenbrockTableau, {**_ROS.to_json(), "name": "myros", "a": [x for row in _ROS.to_json()["a"] for x in row]}, 0),
])
def test_a_flat_coefficient_matrix_is_refused_as_flat(cls, data, number):
    """A user's trial: ``"a": [0, 0.5, 0, 0]`` for a two-stage method was refused as "a has 4 rows, b 2 entries",
    which does not say that each row must be a list."""
    kind = "tableau" if cls is ButcherTableau else "Rosenbrock tableau"
    value = data["a"][number]
    with pytest.raises(TableauError) as info:
        cls.from_json(data)
    assert str(info.value) == (f"{kind} {data['name']!r}: a must be a list of rows, one per stage, each a list of "
                               f"numbers; row {number} is the number {value!r}: write a row by row, like [[0], "
                               "[0.5]] for two stages, not as one flat list")


@pytest.mark.parametrize("tableau", [TABLEAUS["dop853"], IMPLICIT_TABLEAUS["kvaerno3"], IMPLICIT_TABLEAUS["radau"],
                                     _ROS], ids=lambda t: t.name)
def test_every_field_of_every_family_refuses_none_and_wrong_types_as_tableau_errors(tableau):
    data = {**tableau.to_json(), "name": "mine"}
    for key in data:
        for value in (None, 3.0, "x", {}, [[None]]):
            if (key in ("b_hat", "b_hat_low") and value is None) or (key, value) in (("name", "x"),
                                                                                    ("error_scale", 3.0)):
                continue  # no embedded weights, a valid name, a valid error_scale (where b_hat is): allowed
            with pytest.raises(TableauError):
                type(tableau).from_json({**data, key: value})


def test_numpy_scalars_are_taken_and_stored_as_python_ones():
    # refused until 2026-12-05 (a user's trial): "order must be an int >= 1; got np.int64(2)"
    tab = ButcherTableau(name="ralston", a=((), (2 / 3,)), b=(0.25, 0.75), c=(0.0, 2 / 3), order=np.int64(2))
    assert type(tab.order) is int and tab.order == 2
    bs3 = ButcherTableau(**{**TABLEAUS["bs3"].to_json(), "name": "mybs3", "fsal": np.bool_(True),
                            "embedded_order": np.int32(2)})
    assert type(bs3.fsal) is bool and type(bs3.embedded_order) is int
    ros = RosenbrockTableau(**{**_ROS.to_json(), "name": "myros", "gamma": np.float32(0.25), "order": np.int64(4)})
    assert type(ros.gamma) is float and type(ros.order) is int
    assert json.loads(json.dumps(bs3.to_json())) == bs3.to_json()


def test_weights_rounded_within_the_order_conditions_tolerance_are_taken():
    """Kutta's third-order method with b to 12 digits was refused "sum(b) = 1.000000000001, expected 1" (1e-14)
    while the order conditions hold to 1e-9: one tolerance for both now."""
    a, c = ((), (0.5,), (-1.0, 2.0)), (0.0, 0.5, 1.0)
    for digits in (10, 12):
        b = tuple(round(x, digits) for x in (1 / 6, 2 / 3, 1 / 6))
        assert ButcherTableau(name="kutta3", a=a, b=b, c=c, order=3).b == b
    b = tuple(round(x, 6) for x in (1 / 6, 2 / 3, 1 / 6))
    with pytest.raises(TableauError, match=r"sum\(b\) = 1.000001.*expected 1 \(to a relative 1e-09.*more digits"):
        ButcherTableau(name="kutta3", a=a, b=b, c=c, order=3)


def test_tableaus_and_methods_import_without_numba():
    """Tableaus are data: a fresh process imports them (and the method registry) without Numba."""
    import subprocess
    import sys

    code = ("import sys, kernels.tableaus, kernels.methods; "
            "assert 'numba' not in sys.modules, sorted(m for m in sys.modules if m.startswith('numba')); "
            "print(len(kernels.methods.METHODS))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 9


def test_a_fraction_typed_as_a_string_is_told_to_use_fractions_fraction():
    """The hint said "or as fractions", and "1/6" was refused with no word of what a fraction is here (an
    integrator developer's trial): it names fractions.Fraction, which gives the exact coefficients (JSON keeps
    their floats exactly)."""
    ssprk3 = dict(name="ssprk3", a=((), (1.0,), (0.25, 0.25)), c=(0.0, 1.0, 0.5), order=3)
    with pytest.raises(TableauError, match=r"b must be a sequence of numbers \(an exact fraction is "
                                           r"fractions.Fraction\(1, 6\), not the string '1/6'\); got \['1/6'"):
        ButcherTableau.from_json({**ssprk3, "b": ["1/6", "1/6", "2/3"]})
    with pytest.raises(TableauError, match=r"more digits, or exactly, as fractions.Fraction objects"):
        ButcherTableau(**ssprk3, b=(0.1667, 0.1667, 0.6667))  # sums to 1.0001
    with pytest.raises(TableauError, match=r"10 significant digits; fractions.Fraction objects are exact"):
        ButcherTableau(**ssprk3, b=(0.1667, 0.1667, 0.6666))  # sums to 1, and reaches order 2 only
    exact = ButcherTableau(**ssprk3, b=(Fraction(1, 6), Fraction(1, 6), Fraction(2, 3)))
    assert ButcherTableau.from_json(json.loads(json.dumps(exact.to_json()))) == exact


def _jump_step(tab, x):
    """One step of ``tab`` (h = 1) on ``y' = H(t - x)``, ``y(0) = 0``, where every stage derivative is the
    forcing at its node (J = 0; an explicit first stage at ``c = 0`` reads it before the jump): (error, estimate)."""
    k = np.array([1.0 if c >= x and not (i == 0 and c == 0.0) else 0.0 for i, c in enumerate(tab.c)])
    return float(np.dot(tab.b, k) - (1.0 - x)), float(np.dot(tab.error_weights, k))


@pytest.mark.parametrize("pair", range(2), ids=["sdirk2", "sdirk4"])
def test_step_start_forms_keep_the_method_and_see_a_jump_before_the_first_stage(pair):
    """SDIRK2 and SDIRK4 see a switch of the rhs in time at t + x h, x < c_1, in every stage alike: the step errs
    by x h per unit jump and the estimate (sum(b - b_hat) = 0) is exactly 0 (a pulse in the rhs ended 1e7
    tolerances off with success).  Their step-start forms are the same method (b and a over the SDIRK's stages, so
    the same stability function), of the same orders exactly, and their estimate sees such a jump at least as
    large as about the error it makes (SDIRK4: b_hat_0 = -1/4 = -c_1; SDIRK2: b_hat_0 = 1/4 against c_1 = 0.29)."""
    from kernels.tableaus.dirk import STEP_START_FORMS, step_start_form

    sdirk, form = STEP_START_FORMS[pair]
    assert step_start_form(sdirk) is form and form.name == sdirk.name
    assert form.a[0] == (0.0,) * form.stages and all(row[0] == 0.0 for row in form.a) and form.c[0] == 0.0
    assert [row[1:] for row in form.a[1:]] == list(sdirk.a) and form.b[1:] == sdirk.b and form.c[1:] == sdirk.c
    assert form.stiffly_accurate and form.singly_diagonal and not form.estimate_blind_on_linear
    conditions = rk_conditions(form.a)
    assert conditions.order_of(form.b, form.order + 1) == form.order == sdirk.order
    assert conditions.order_of(form.b_hat, form.order) == form.embedded_order == sdirk.embedded_order
    early = np.linspace(1e-3, sdirk.c[0] - 1e-3, 50)
    assert all(est == 0.0 and err > 0.0 for err, est in (_jump_step(sdirk, x) for x in early))  # the defect
    for x in np.linspace(1e-3, 1.0 - 1e-3, 999):
        err, est = _jump_step(form, x)
        assert est != 0.0 or err == 0.0, x
        if x < sdirk.c[0]:
            assert abs(err) <= 1.2 * abs(est), (x, err, est)


def test_step_start_form_replaces_only_the_built_in_objects():
    """A tableau of one's own named sdirk4 (equal values, another object) is not replaced."""
    import dataclasses

    from kernels.tableaus.dirk import KVAERNO5, SDIRK4, step_start_form

    own = dataclasses.replace(SDIRK4)
    assert own == SDIRK4 and step_start_form(own) is own and step_start_form(KVAERNO5) is KVAERNO5


def test_error_scale_multiplies_both_estimates_and_keeps_through_json():
    """error_scale (kvaerno5's calibration) is in the weights every explicit and DIRK step reads, both of a
    combined measure, leaves the controller's order alone, and travels in the JSON form; JSON written before the
    key existed loads as 1.0."""
    import dataclasses

    dop853 = TABLEAUS["dop853"]
    scaled = dataclasses.replace(dop853, error_scale=4.0)
    assert scaled.error_weights == tuple(4.0 * x for x in dop853.error_weights)
    assert scaled.low_error_weights == tuple(4.0 * x for x in dop853.low_error_weights)
    assert scaled.error_order == dop853.error_order and scaled.b_hat == dop853.b_hat
    data = json.loads(json.dumps(scaled.to_json()))
    assert data["error_scale"] == 4.0 and ButcherTableau.from_json(data) == scaled
    older = {key: value for key, value in dop853.to_json().items() if key != "error_scale"}
    assert ButcherTableau.from_json(older).error_scale == 1.0 and ButcherTableau.from_json(older) == dop853
    kvaerno5 = IMPLICIT_TABLEAUS["kvaerno5"]
    assert kvaerno5.error_scale == 10.0 and ButcherTableau.from_json(kvaerno5.to_json()) == kvaerno5
    assert "error_scale=10.0" in repr(kvaerno5)
    assert type(dataclasses.replace(dop853, error_scale=np.float32(2.0)).error_scale) is float


@pytest.mark.parametrize("tableau, value, words", [
    (TABLEAUS["tsit5"], 0.0, "error_scale must be a finite number > 0"),
    (TABLEAUS["tsit5"], -2.0, "error_scale must be a finite number > 0"),
    (TABLEAUS["tsit5"], float("nan"), "error_scale must be a finite number > 0"),
    (TABLEAUS["tsit5"], float("inf"), "error_scale must be a finite number > 0"),
    (TABLEAUS["tsit5"], True, "error_scale must be a finite number > 0"),
    (TABLEAUS["tsit5"], "10", "error_scale must be a finite number > 0"),
    (TABLEAUS["tsit5"], None, "error_scale must be a finite number > 0"),
    (TABLEAUS["rk4"], 2.0, "error_scale = 2.0 without b_hat: there is no embedded estimate to scale"),
    (IMPLICIT_TABLEAUS["radau"], 2.0, "error_scale = 2.0 on a fully implicit a: the firk family forms its estimate"),
])
def test_error_scale_is_refused_where_it_is_not_a_positive_factor_or_would_do_nothing(tableau, value, words):
    with pytest.raises(TableauError, match=words):
        ButcherTableau.from_json({**tableau.to_json(), "name": "mine", "error_scale": value})


def test_a_step_start_form_keeps_the_sdirks_error_scale():
    """The step-start forms are built from the SDIRK (kernels.tableaus.dirk._step_start): a scaled SDIRK's form
    keeps the scale (its solution, which the scale calibrates the estimate against, is the SDIRK's)."""
    import dataclasses

    from kernels.tableaus.dirk import SDIRK4, SDIRK4_STEP_START, STEP_START_FORMS, _step_start

    form = _step_start(dataclasses.replace(SDIRK4, error_scale=3.0), SDIRK4_STEP_START.b_hat)
    assert form.error_scale == 3.0 and form.error_weights == tuple(3.0 * x for x in SDIRK4_STEP_START.error_weights)
    assert all(sdirk.error_scale == built.error_scale == 1.0 for sdirk, built in STEP_START_FORMS)
