"""Implicit tableaus (DIRK, FIRK, Rosenbrock): order, stiff accuracy, L-stability, second sources.

Each is data only until its step family exists (kernels.methods.BUILT_FAMILIES); then it is a method.
"""

import math
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kernels
from kernels import TableauError
from kernels.methods import BUILT_FAMILIES, get_method
from kernels.tableaus import IMPLICIT_TABLEAUS, ButcherTableau, RosenbrockTableau
from kernels.tableaus.dirk import DIRK
from kernels.tableaus.firk import RADAU_E, RADAU_GAMMA0
from kernels.tableaus.conditions import rk_conditions, rosenbrock_conditions

RK = {n: t for n, t in IMPLICIT_TABLEAUS.items() if isinstance(t, ButcherTableau)}
ROS = {n: t for n, t in IMPLICIT_TABLEAUS.items() if isinstance(t, RosenbrockTableau)}

# name: (order, embedded order or None, stiffly accurate, L-stable)
CLAIMS = {
    "backward_euler": (1, None, True, True), "trapezoid": (2, 1, True, False), "sdirk2": (2, 1, True, True),
    "kvaerno3": (3, 2, True, True), "sdirk4": (4, 3, True, True), "kvaerno5": (5, 4, True, True),
    "radau": (5, 3, True, True), "gauss4": (4, None, False, False),
    "ros3p": (3, 2, None, False), "rodas4": (4, 3, None, True), "rodas5p": (5, 4, None, True),
}


def test_every_implicit_tableau_is_claimed_and_a_method_once_its_family_is_built():
    assert set(CLAIMS) == set(IMPLICIT_TABLEAUS)
    for name, tab in IMPLICIT_TABLEAUS.items():
        family = ("rosenbrock" if isinstance(tab, RosenbrockTableau)
                  else "dirk" if tab.diagonally_implicit else "firk")
        if family in BUILT_FAMILIES:
            assert get_method(name.upper()).family == family
            continue
        assert name not in kernels.METHODS
        with pytest.raises(ValueError, match="step family does not exist yet"):
            get_method(name.upper())


def _stability(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    s = len(b)
    return lambda z: 1.0 + z * b @ np.linalg.solve(np.eye(s) - z * a, np.ones(s))


def _stability_of(tab):
    if isinstance(tab, RosenbrockTableau):  # R(z) = 1 + z b^T (I - z (alpha + Gamma))^-1 1
        return _stability(np.array(tab.alpha) + np.array(tab.gamma_matrix), tab.b)
    return _stability(tab.a, tab.b)


@pytest.mark.parametrize("name", sorted(RK))
def test_rk_order_conditions(name):
    order, embedded, _, _ = CLAIMS[name]
    tab = RK[name]
    conditions = rk_conditions(tab.a)
    assert tab.order == order and conditions.satisfied(tab.b, order)
    assert not conditions.satisfied(tab.b, order + 1)
    if embedded is None:
        assert tab.b_hat is None
    else:
        assert tab.embedded_order == embedded and conditions.satisfied(tab.b_hat, embedded)
        assert not conditions.satisfied(tab.b_hat, embedded + 1)


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_stiff_accuracy_and_stability(name):
    _, _, stiffly_accurate, l_stable = CLAIMS[name]
    tab = IMPLICIT_TABLEAUS[name]
    if stiffly_accurate is not None:
        assert tab.stiffly_accurate == stiffly_accurate
        assert not tab.explicit
    r = _stability_of(tab)
    if l_stable:
        assert abs(r(-1e8)) < 1e-6
    else:  # R(-inf) away from 0: a theta method's -1/3 is a valid claim of "not L-stable" (a developer's trial)
        assert abs(r(-1e8)) > 1e-3
    # A-stability, sampled: |R| <= 1 on the imaginary axis and in the left half-plane.
    points = [1j * y for y in np.linspace(-50, 50, 101)] + [complex(x, y) for x in (-0.1, -1, -10, -1e3)
                                                            for y in np.linspace(-20, 20, 41)]
    assert max(abs(r(z)) for z in points) <= 1.0 + 1e-12


@pytest.mark.parametrize("name", sorted(ROS))
def test_rosenbrock_error_estimate_at_infinite_stiffness(name):
    """What the README says of choosing among them: the L-stable pairs' solutions both vanish at
    infinite stiffness, while ros3p's two share the limit 1 - sqrt(3), so its estimate is blind there."""
    tab = ROS[name]
    big = np.array(tab.alpha) + np.array(tab.gamma_matrix)
    r, r_hat = _stability(big, tab.b)(-1e8), _stability(big, tab.b_hat)(-1e8)
    if name == "ros3p":
        assert r == pytest.approx(1.0 - math.sqrt(3.0), abs=1e-6) and abs(r - r_hat) < 1e-6
    else:
        assert abs(r) < 1e-6 and abs(r_hat) < 1e-6


def test_the_dirk_tableaus_are_the_ones_tested_here():
    assert sorted(n for n, t in RK.items() if t.diagonally_implicit) == sorted(DIRK_NAMES)


DIRK_NAMES = sorted(t.name for t in DIRK)


@pytest.mark.parametrize("name", DIRK_NAMES)
def test_dirk_structure(name):
    """What the DIRK step needs: one iteration matrix for every stage (an explicit first stage aside).  Stiff
    accuracy is each tableau's claim (CLAIMS), not a requirement: a non-stiffly-accurate ESDIRK runs right."""
    tab = RK[name]
    assert tab.diagonally_implicit and tab.singly_diagonal
    diagonal = {tab.a[i][i] for i in range(tab.stages)} - {0.0}
    assert len(diagonal) == 1
    if tab.a[0][0] == 0.0:  # ESDIRK: the first stage is f(t, y)
        assert tab.c[0] == 0.0


def test_sdirk2_against_diffrax():
    """Alexander's method as in diffrax/_solver/alexander2.py: gamma = 1 - sqrt(2)/2, b_error = (1 - g, g - 1)."""
    g = 1 - 0.5 * np.sqrt(2)
    tab = RK["sdirk2"]
    np.testing.assert_allclose(tab.a, [[g, 0], [1 - g, g]], rtol=0, atol=1e-16)
    np.testing.assert_allclose(tab.error_weights, [1 - g, g - 1], rtol=0, atol=1e-16)
    np.testing.assert_allclose(tab.c, [g, 1], rtol=0, atol=1e-16)


def test_kvaerno3_against_ordinarydiffeq():
    """OrdinaryDiffEq.jl's Kvaerno3Tableau decimals (btilde = b_hat - b there)."""
    tab = RK["kvaerno3"]
    a = np.array(tab.a)
    expected = {(2, 0): 0.490563388419108, (2, 1): 0.073570090080892, (3, 0): 0.308809969973036,
                (3, 1): 1.490563388254106, (3, 2): -1.235239879727145}
    for index, value in expected.items():
        assert a[index] == pytest.approx(value, abs=1e-14)
    btilde = [0.181753418446072, -1.416993298173214, 1.671106401227145, -0.4358665215]
    np.testing.assert_allclose(-np.array(tab.error_weights), btilde, rtol=0, atol=1e-14)
    assert tab.a[1][1] == tab.a[3][3] == 0.4358665215 and tab.c[1] == 2 * 0.4358665215


def test_sdirk4_against_ordinarydiffeq():
    """OrdinaryDiffEq.jl's Hairer4Tableau: bhat = (59/48, -17/96, 225/32, -85/12, 0), btilde = bhat - b."""
    tab = RK["sdirk4"]
    q = lambda *xs: [float(Fraction(x)) for x in xs]  # noqa: E731
    np.testing.assert_allclose(tab.b_hat, q("59/48", "-17/96", "225/32", "-85/12", "0"), rtol=0, atol=1e-15)
    np.testing.assert_allclose(-np.array(tab.error_weights), q("3/16", "27/32", "-25/32", "0", "-1/4"),
                               rtol=0, atol=1e-15)
    np.testing.assert_allclose(tab.c, q("1/4", "3/4", "11/20", "1/2", "1"), rtol=0, atol=1e-16)


def test_kvaerno5_against_ordinarydiffeq():
    """OrdinaryDiffEq.jl's Kvaerno5Tableau btilde = a6 - a7 decimals, and its c (= row sums)."""
    tab = RK["kvaerno5"]
    btilde = [0.00195889053627933, 0.0, 0.01251571594786333, 0.06565284626324187, -0.01050265826535727,
              0.19037520551797272, -0.26]
    # the pair itself, b_hat - b: error_weights carry the tableau's error_scale (10) on top of it
    np.testing.assert_allclose(np.array(tab.b_hat) - np.array(tab.b), btilde, rtol=0, atol=1e-16)
    np.testing.assert_allclose(tab.c[1:], [0.52, 1.230333209967908, 0.8957659843500759, 0.43639360985864756,
                                           1.0, 1.0], rtol=0, atol=1e-15)


def _collocation_matrix(c):
    """A with sum_j a_ij c_j**(k-1) = c_i**k / k, k = 1..s: the collocation method on nodes c."""
    c = np.asarray(c, float)
    s = len(c)
    v = np.vander(c, s, increasing=True)  # v[j, k] = c_j**k
    rhs = np.column_stack([c ** (k + 1) / (k + 1) for k in range(s)])
    return np.linalg.solve(v.T, rhs.T).T


def test_radau_nodes_and_collocation():
    """c = the roots of P3(2x - 1) - P2(2x - 1) (Radau right points), A rebuilt from them by collocation."""
    tab = RK["radau"]
    roots = np.sort(np.polynomial.legendre.Legendre([0, 0, -1, 1]).roots())
    np.testing.assert_allclose(tab.c[1:], (roots + 1) / 2, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tab.c[1:], [(4 - math.sqrt(6)) / 10, (4 + math.sqrt(6)) / 10, 1.0], atol=1e-16)
    a = np.array(tab.a)
    assert not a[0].any() and not a[:, 0].any() and tab.b[0] == 0.0 and tab.c[0] == 0.0  # explicit stage k0
    np.testing.assert_allclose(a[1:, 1:], _collocation_matrix(tab.c[1:]), rtol=0, atol=1e-14)


def test_radau_against_scipy():
    """SciPy's radau.py: its nodes, error weights E (= e / gamma0), MU_REAL = 1/gamma0, and A = T L TI."""
    from scipy.integrate._ivp import radau as ref

    tab = RK["radau"]
    np.testing.assert_allclose(tab.c[1:], ref.C, rtol=0, atol=1e-16)
    np.testing.assert_allclose(np.array(RADAU_E) / RADAU_GAMMA0, ref.E, rtol=1e-15, atol=0)
    assert RADAU_GAMMA0 == pytest.approx(1 / ref.MU_REAL, rel=1e-15)
    a_inv = np.linalg.inv(np.array(tab.a)[1:, 1:])
    block = ref.TI @ a_inv @ ref.T
    mu = ref.MU_COMPLEX
    np.testing.assert_allclose(block, [[ref.MU_REAL, 0, 0], [0, mu.real, -mu.imag], [0, mu.imag, mu.real]],
                               rtol=0, atol=1e-13)
    # The estimate: y_hat - y_new = gamma0 h f0 + sum e_i z_i with z = h A k, i.e. b_hat - b = (gamma0, A^T e).
    expected = np.concatenate([[RADAU_GAMMA0], np.array(tab.a)[1:, 1:].T @ np.array(RADAU_E)])
    np.testing.assert_allclose(np.array(tab.b_hat) - np.array(tab.b), expected, rtol=0, atol=1e-15)


def test_gauss4_nodes_and_collocation():
    tab = RK["gauss4"]
    roots = np.sort(np.polynomial.legendre.Legendre([0, 0, 1]).roots())
    np.testing.assert_allclose(tab.c, (roots + 1) / 2, rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.array(tab.a), _collocation_matrix(tab.c), rtol=0, atol=1e-15)
    assert abs(_stability_of(tab)(1e3j)) == pytest.approx(1.0, abs=1e-12)  # symmetric: |R(iy)| = 1


# -- Rosenbrock ---------------------------------------------------------------------------------
def _table_7_1(tab):
    """Hairer & Wanner II, Table 7.1, written out: residuals of the conditions up to order 4."""
    g = tab.gamma
    b = np.array(tab.b)
    alpha = np.array(tab.alpha)
    beta = alpha + np.array(tab.gamma_matrix) - g * np.eye(tab.stages)  # strictly lower part of alpha + Gamma
    a_i = alpha.sum(1)
    beta_i = beta.sum(1)
    return {
        1: [b.sum() - 1],
        2: [b @ beta_i - (0.5 - g)],
        3: [b @ a_i ** 2 - 1 / 3, b @ beta @ beta_i - (1 / 6 - g + g * g)],
        4: [b @ a_i ** 3 - 1 / 4, b @ (a_i * (alpha @ beta_i)) - (1 / 8 - g / 3),
            b @ beta @ a_i ** 2 - (1 / 12 - g / 3), b @ beta @ beta @ beta_i - (1 / 24 - g / 2 + 1.5 * g * g - g ** 3)],
    }


@pytest.mark.parametrize("name", sorted(ROS))
def test_rosenbrock_table_7_1(name):
    """The written-out conditions: all of orders 1 to 3, and order 4 where the method claims it."""
    tab = ROS[name]
    residuals = _table_7_1(tab)
    for p in range(1, min(tab.order, 4) + 1):
        assert np.max(np.abs(residuals[p])) < 1e-12, (p, residuals[p])
    if tab.order == 3:
        assert np.max(np.abs(residuals[4])) > 1e-3


@pytest.mark.parametrize("name", sorted(ROS))
def test_rosenbrock_tree_conditions(name):
    """The rooted-tree form (agreeing with Table 7.1 to order 4), to the stated order and its failure at + 1."""
    order, embedded, _, _ = CLAIMS[name]
    tab = ROS[name]
    conditions = rosenbrock_conditions(tab.alpha, tab.gamma_matrix)
    assert (tab.order, tab.embedded_order) == (order, embedded)
    assert conditions.satisfied(tab.b, order, rtol=1e-12) and not conditions.satisfied(tab.b, order + 1)
    assert conditions.satisfied(tab.b_hat, embedded, rtol=1e-12) and not conditions.satisfied(tab.b_hat, embedded + 1)


def test_ros3p_against_diffrax():
    """diffrax/_solver/ros3p.py (implementation form; m_error is m_hat) from Lang & Verwer's classical form."""
    tab = ROS["ros3p"]
    np.testing.assert_allclose(np.array(tab.a)[1:, :2], [[1.267949192431123, 0], [1.267949192431123, 0.0]],
                               rtol=0, atol=1e-14)
    np.testing.assert_allclose(np.array(tab.C)[1:, :2], [[-1.607695154586736, 0],
                                                         [-3.464101615137755, -1.732050807568877]],
                               rtol=0, atol=1e-14)
    np.testing.assert_allclose(tab.m, [2.0, 0.5773502691896258, 0.4226497308103742], rtol=0, atol=1e-14)
    np.testing.assert_allclose(tab.m_hat, [2.113248654051871, 1.0, 0.4226497308103742], rtol=0, atol=1e-14)
    np.testing.assert_allclose(tab.c, [0.0, 1.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(tab.d, [0.7886751345948129, -0.2113248654051871, -1.0773502691896260], atol=1e-15)
    np.testing.assert_allclose(tab.b, [2 / 3, 0, 1 / 3], atol=1e-15)
    np.testing.assert_allclose(tab.b_hat, [1 / 3, 1 / 3, 1 / 3], atol=1e-15)


def test_rodas4_against_diffrax():
    """diffrax/_solver/rodas4.py: a, C, alpha (= c), gamma (= d), m_sol (= m)."""
    tab = ROS["rodas4"]
    a = np.array(tab.a)
    assert a[1, 0] == 1.544 and a[3, 2] == pytest.approx(0.9986419139977817, abs=1e-16)
    np.testing.assert_allclose(a[5, :5], [1.221224509226641, 6.019134481288629, 12.53708332932087,
                                          -0.6878860361058950, 1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.array(tab.C)[5, :5], [8.083246795921522, -7.981132988064893,
                                                        -31.52159432874371, 16.31930543123136,
                                                        -6.058818238834054], rtol=0, atol=1e-14)
    np.testing.assert_allclose(tab.c, [0, 0.386, 0.21, 0.63, 1, 1], atol=0)
    np.testing.assert_allclose(tab.d, [0.25, -0.1043, 0.1035, -0.0362, 0, 0], atol=0)
    np.testing.assert_allclose(tab.m, [1.221224509226641, 6.019134481288629, 12.53708332932087,
                                       -0.6878860361058950, 1, 1], atol=0)


def test_rodas5p_against_diffrax():
    """diffrax/_solver/rodas5p.py: a, C, alpha (= c), gamma (= d); its m_sol lists a[7] (our m_hat)."""
    tab = ROS["rodas5p"]
    np.testing.assert_allclose(np.array(tab.a)[3, :3], [-6.954028509809101, 2.489845061869568, -10.358996098473584],
                               rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.array(tab.C)[7, :7], [37.80277123390563, -3.2571969029072276, 112.26918849496327,
                                                        66.9347231244047, -40.06618937091002, -54.66780262877968,
                                                        -9.48861652309627], rtol=0, atol=1e-13)
    np.testing.assert_allclose(tab.c[1:5], [0.6358126895828704, 0.4095798393397535, 0.9769306725060716,
                                            0.4288403609558664], atol=0)
    np.testing.assert_allclose(tab.d[:5], [0.21193756319429014, -0.42387512638858027, -0.3384627126235924,
                                           1.8046452872882734, 2.325825639765069], atol=0)
    np.testing.assert_allclose(tab.m_hat, np.array(tab.a)[7], atol=0)
    assert tab.m[7] == 1.0 and tab.error_weights[:7] == (0.0,) * 7


@pytest.mark.parametrize("name", sorted(ROS))
def test_rosenbrock_classical_round_trip(name):
    tab = ROS[name]
    off = np.tril(np.array(tab.gamma_matrix), -1)
    back = RosenbrockTableau.from_classical(name, tab.gamma, tab.alpha, off, tab.b, tab.b_hat, tab.order,
                                            tab.embedded_order)
    for field in ("a", "C", "m", "m_hat", "c", "d"):
        np.testing.assert_allclose(getattr(back, field), getattr(tab, field), rtol=1e-12, atol=1e-12)
    assert RosenbrockTableau.from_json(tab.to_json()) == tab


def _ros3p(**changes):
    data = ROS["ros3p"].to_json()
    data.update(changes)
    return RosenbrockTableau.from_json(data)


@pytest.mark.parametrize("changes, words", [
    (dict(gamma=0.0), "gamma must be a finite number > 0"),
    (dict(gamma="x"), "gamma must be a number"),
    (dict(c=[0.0, 1.0, 0.9]), r"c\[2\] = 0.9 but row 2 of alpha"),
    (dict(d=[0.7886751345948129, -0.2113248654051871, -1.0]), r"d\[2\] = -1.0 but row 2 of Gamma"),
    (dict(m=[2.0, 0.6, 0.4226497308103742]), "classical weights b sum to"),
    (dict(a=[[0, 0, 0], [1.0, 0, 0], [1.0, 0, 0.5]]), "strictly lower triangular"),
    (dict(d=[0.1, 0.2]), "one entry per stage"),
    (dict(order=0), "order must be an int >= 1"),
])
def test_rosenbrock_validation(changes, words):
    with pytest.raises(TableauError, match=words):
        _ros3p(**changes)


def test_rosenbrock_json_keys_checked():
    with pytest.raises(TableauError, match="unknown key"):
        RosenbrockTableau.from_json({**ROS["rodas4"].to_json(), "stages": 6})
    with pytest.raises(TableauError, match="missing key"):
        RosenbrockTableau.from_json({k: v for k, v in ROS["rodas4"].to_json().items() if k != "d"})


def test_rosenbrock_tableaus_are_immutable():
    with pytest.raises(AttributeError):
        ROS["rodas5p"].gamma = 0.25


def _claiming_reached(build):
    """``build(order, embedded_order)`` claiming orders 1, raised to what a refusal says the weights reach (hypothesis
    draws degenerate tableaus, all-zero coefficients with equal weights, whose weights reach order 2)."""
    orders = [1, 1]
    for _ in range(4):
        try:
            return build(*orders)
        except TableauError as exc:
            found = re.search(r"(\w+) = \d+, but its weights satisfy the order conditions of order (\d+) too", str(exc))
            if found is None:
                raise
            orders[0 if found.group(1) == "order" else 1] = int(found.group(2))
    raise AssertionError(f"no claim accepted: {orders}")


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 6).flatmap(lambda s: st.tuples(
    st.floats(0.1, 1.0),
    st.lists(st.floats(-2.0, 2.0), min_size=s * s, max_size=s * s),
    st.lists(st.floats(-2.0, 2.0), min_size=s * s, max_size=s * s),
    st.lists(st.floats(0.05, 1.0), min_size=s, max_size=s),
)))
def test_classical_and_implementation_forms_are_inverse(data):
    """For any classical (alpha, Gamma, b), the Rodas form built from it gives them back."""
    gamma, alpha_flat, off_flat, weights = data
    s = len(weights)
    alpha = np.tril(np.reshape(alpha_flat, (s, s)), -1)
    off = np.tril(np.reshape(off_flat, (s, s)), -1)
    b = np.array(weights) / sum(weights)
    b_hat = (b + np.eye(s)[0]) / 2  # sums to 1 and differs from b (an equal pair is refused: no estimate)
    tab = _claiming_reached(lambda order, embedded: RosenbrockTableau.from_classical(
        "random", gamma, alpha, off, b, b_hat, order, embedded))
    np.testing.assert_allclose(tab.alpha, alpha, atol=1e-9)
    np.testing.assert_allclose(tab.gamma_matrix, off + gamma * np.eye(s), atol=1e-9)
    np.testing.assert_allclose(tab.b, b, atol=1e-9)
    np.testing.assert_allclose(tab.c, alpha.sum(1), atol=1e-12)
    assert RosenbrockTableau.from_json(tab.to_json()) == tab


def test_a_rosenbrock_tableau_is_held_to_the_orders_it_claims():
    with pytest.raises(TableauError, match=r"'rodas4x': order = 5, but its weights satisfy the order conditions "
                                           r"only up to order 4"):
        RosenbrockTableau(**{**ROS["rodas4"].to_json(), "name": "rodas4x", "order": 5})
    with pytest.raises(TableauError, match="m_hat equals the solution weights"):
        RosenbrockTableau(**{**ROS["rodas4"].to_json(), "name": "rodas4x", "m_hat": ROS["rodas4"].m})
    with pytest.raises(TableauError, match="lower-case"):
        RosenbrockTableau(**{**ROS["rodas4"].to_json(), "name": "Rodas4"})
    empty = dict(ROS["rodas4"].to_json(), name="none", m=[], c=[], d=[], m_hat=[], a=[], C=[])
    with pytest.raises(TableauError, match=r"^Rosenbrock tableau 'none' has no stages: m is empty"):  # an IndexError
        RosenbrockTableau(**empty)


def test_joining_the_families_refuses_a_name_twice_and_a_tableau_in_the_wrong_family():
    """A user's trial: a second tableau called rk4 silently became rk4, and an implicit one called cashkarp
    replaced the explicit one; a DIRK with an entry above the diagonal ran as a FIRK method."""
    from kernels import tableaus

    with pytest.raises(TableauError, match="tableau name 'rk4' is used twice"):
        tableaus._by_name([kernels.TABLEAUS["rk4"]], [RK["sdirk4"], kernels.TABLEAUS["rk4"]])
    full = ButcherTableau(**{**RK["sdirk2"].to_json(), "name": "leaky", "a": ((0.3, 0.1), (0.6, 0.3)),
                             "c": (0.4, 0.9), "b_hat": None, "embedded_order": 0, "order": 1})
    with pytest.raises(TableauError, match=r"'leaky' is in dirk.py's DIRK, but its a is not lower triangular"):
        tableaus._family_members((full,), "dirk")
    # two diagonal values: joined, then refused only when solved, as if it were not in DIRK (a developer's trial)
    mixed = ButcherTableau(name="dirk2d", a=((0.25, 0.0), (0.5, 0.5)), b=(2.0 / 3.0, 1.0 / 3.0), c=(0.25, 1.0),
                           order=2)
    assert mixed.diagonally_implicit and not mixed.singly_diagonal
    with pytest.raises(TableauError, match=r"'dirk2d' is in dirk.py's DIRK, but its a is not lower triangular with "
                                           r"one common nonzero diagonal"):
        tableaus._family_members((mixed,), "dirk")
    assert all(t.singly_diagonal for t in tableaus._DIRK)
