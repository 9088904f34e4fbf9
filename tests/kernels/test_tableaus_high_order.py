"""DOP853, Vern7 and Vern9: second sources, embedded orders, registration.

The rooted-tree order conditions (to order 9, and the failure at order + 1)
run for these in ``test_tableaus.py::test_order_conditions`` with every other
explicit tableau; here each is compared with an independent transcription.
"""

from fractions import Fraction

import numpy as np
import pytest

import kernels
from kernels import TABLEAUS
from kernels.methods import get_method
from kernels.tableaus.conditions import rk_conditions
from tableau_references import VERN7_FLOAT, VERN9_FLOAT64


def _dense(entries, shape):
    out = np.zeros(shape)
    for index, value in entries.items():
        out[index] = value
    return out


def test_dop853_against_scipy():
    """Second source: SciPy's dop853_coefficients (A, B, C, and E3, E5 = b - the embedded weights)."""
    from scipy.integrate._ivp import dop853_coefficients as ref

    tab = TABLEAUS["dop853"]
    s = ref.N_STAGES
    assert tab.stages == s == 12
    np.testing.assert_allclose(np.array(tab.a), ref.A[:s, :s], rtol=0, atol=1e-14)
    np.testing.assert_allclose(tab.b, ref.B, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tab.c, ref.C[:s], rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.array(tab.b) - np.array(tab.b_hat), ref.E5[:s], rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.array(tab.b) - np.array(tab.b_hat_low), ref.E3[:s], rtol=0, atol=1e-15)
    assert ref.E5[s] == ref.E3[s] == 0.0  # SciPy's 13th (FSAL) entry carries no error weight


def test_dop853_error_estimators():
    """b_hat is the 5th-order formula the generic step uses; b_hat_low the 3rd-order one on stages 1, 9, 12."""
    tab = TABLEAUS["dop853"]
    assert (tab.order, tab.embedded_order, tab.embedded_order_low, tab.error_order) == (8, 5, 3, 7)
    assert tab.combined_error and TABLEAUS["dopri5"].combined_error is False
    assert [i for i, w in enumerate(tab.b_hat_low) if w] == [0, 8, 11]
    assert not tab.fsal


def test_vern7_against_verner_float_file():
    """Exact rationals (the module) against Verner's 40-digit decimals (QuTiP's transcription)."""
    tab = TABLEAUS["vern7"]
    assert tab.stages == 10
    np.testing.assert_allclose(np.array(tab.a), _dense(VERN7_FLOAT["a"], (10, 10)), rtol=1e-15, atol=1e-14)
    np.testing.assert_allclose(tab.c, _dense(VERN7_FLOAT["c"], (10,)), rtol=0, atol=1e-15)
    np.testing.assert_allclose(tab.b, _dense(VERN7_FLOAT["b"], (10,)), rtol=0, atol=1e-15)
    np.testing.assert_allclose(tab.b_hat, _dense(VERN7_FLOAT["b_hat"], (10,)), rtol=0, atol=1e-15)


def test_vern7_error_weights_match_the_published_btilde():
    """b - b_hat from the published b_hat equals the published btilde (OrdinaryDiffEq.jl's exact values)."""
    btilde = {0: "522643094875451/205198530479410398", 3: "-550343178903849903000000/56980811630923291362927263",
              4: "197654115880170560000000000/4698810880303595192357998239",
              5: "-3171408959554499061315206389277085667739969057641653677018211151/"
                 "47560021699187396356176810016036479298162906422060184484892853758",
              6: "40831491787144609375000/154075434327392684084601",
              7: "-66898316144057728000/227310933007074849597", 8: "181081444637946577/2226845467039736466",
              9: "-2152106665253777/106040260335225546"}
    expected = np.zeros(10)
    for i, q in btilde.items():
        expected[i] = float(Fraction(q))
    np.testing.assert_allclose(TABLEAUS["vern7"].error_weights, expected, rtol=0, atol=1e-15)


def test_vern9_against_ordinarydiffeq():
    """Verner's 40-digit decimals (the module) against OrdinaryDiffEq.jl's Float64 values."""
    tab = TABLEAUS["vern9"]
    assert tab.stages == 16
    np.testing.assert_allclose(np.array(tab.a), _dense(VERN9_FLOAT64["a"], (16, 16)), rtol=1e-14, atol=1e-14)
    c = _dense(VERN9_FLOAT64["c"], (16,))
    c[14:] = 1.0
    np.testing.assert_allclose(tab.c, c, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tab.b, _dense(VERN9_FLOAT64["b"], (16,)), rtol=0, atol=1e-15)
    np.testing.assert_allclose(tab.error_weights, _dense(VERN9_FLOAT64["btilde"], (16,)), rtol=0, atol=1e-14)


@pytest.mark.parametrize("name, order, embedded", [("dop853", 8, 5), ("vern7", 7, 6), ("vern9", 9, 8)])
def test_orders_as_stated(name, order, embedded):
    """Stated orders hold and the next fails (also for the embedded formula), through the tree checker."""
    tab = TABLEAUS[name]
    conditions = rk_conditions(tab.a)
    assert (tab.order, tab.embedded_order) == (order, embedded)
    assert conditions.satisfied(tab.b, order) and not conditions.satisfied(tab.b, order + 1)
    assert conditions.satisfied(tab.b_hat, embedded) and not conditions.satisfied(tab.b_hat, embedded + 1)


@pytest.mark.parametrize("name", ["dop853", "vern7", "vern9"])
def test_registered_as_explicit_methods(name):
    method = kernels.METHODS[name]
    assert method.family == "erk" and method.tableau is TABLEAUS[name] and method.adaptive
    assert get_method(name.upper()) is method
