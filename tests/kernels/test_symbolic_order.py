"""kernels.symbolic_system multiplies a product's factors in an order whose partial products stay in float32's range
where the whole product is (kernels/symbolic_order.py): rhs, jac and jvp."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kernels
from kernels.symbolic_order import FactorOrder, _alternating

sympy = pytest.importorskip("sympy")

CHAPMAN_PARAMS = [1e-5, 6e-34, 1e-3, 8e-15, 2.5e19]  # j1, k2, j3, k4, M (cm^3 s^-1, molecules cm^-3)
DAYTIME = [1e9, 4.2e18, 5e17]  # O, O2, O3 in molecules cm^-3


def _chapman(**kwargs):
    o, o2, o3 = sympy.symbols("O O2 O3")
    j1, k2, j3, k4, m = sympy.symbols("j1 k2 j3 k4 M")
    r1, r2, r3, r4 = j1 * o2, k2 * m * o * o2, j3 * o3, k4 * o * o3
    return kernels.symbolic_system([o, o2, o3], [2 * r1 - r2 + r3 - r4, -r1 - r2 + r3 + 2 * r4, r2 - r3 - r4],
                                   params=[j1, k2, j3, k4, m], name="chapman_order", **kwargs)


def _in(system, dtype, y, p, v):
    """rhs, jac and jvp of ``system`` at ``(y, p, v)`` held in ``dtype``, as float64 arrays."""
    y, p, v = (np.asarray(a, dtype) for a in (y, p, v))
    n = system.n_states
    f, jac, jvp = np.zeros(n, dtype), np.zeros(n * n, dtype), np.zeros(n, dtype)
    with np.errstate(all="ignore"):  # the old order overflowed here
        system.rhs(0.0, y, p, f)
        system.jac(0.0, y, p, jac)
        system.jvp(0.0, y, p, v, jvp)
    return [a.astype(np.float64) for a in (f, jac, jvp)]


def _assert_float32_keeps_float64(system, y, p, v):
    for single, double in zip(_in(system, np.float32, y, p, v), _in(system, np.float64, y, p, v)):
        assert np.all(np.isfinite(single)), single
        np.testing.assert_allclose(single, double, rtol=1e-5, atol=1e-5 * np.max(np.abs(double)))


def test_a_three_body_rate_stays_in_float32s_range():
    """An atmospheric chemist's trial: SymPy printed k2*M*O*O2 as M*O*O2*k2 (p[4]*y[0]*y[1]*p[1]); M*O*O2 is 1e47 by
    day, inf in float32, though the rate is 1e4.  Every float32 run ended at max_steps.  The rate constants are
    multiplied first now, with or without default_params."""
    for system in (_chapman(), _chapman(default_params=CHAPMAN_PARAMS)):
        _assert_float32_keeps_float64(system, DAYTIME, CHAPMAN_PARAMS, [1.0, -1.0, 0.5])


def test_jacobian_and_jvp_products_stay_in_float32s_range():
    """d(k*X*Y*Z)/dZ = k*X*Y was printed X*Y*k (1e40, inf in float32) in the Jacobian and in its products."""
    x, y, z, k, j = sympy.symbols("X Y Z k j")
    system = kernels.symbolic_system([x, y, z], [-k * x * y * z + j * y, sympy.Integer(0), sympy.Integer(0)],
                                     params=[k, j])
    _assert_float32_keeps_float64(system, [1e20, 1e20, 1e20], [1e-30, 1.0], [1.0, 1.0, 1.0])


def test_default_params_pair_the_smallest_parameter_with_the_largest():
    """A*B*c*x with A = B = 1e25 and c = 1e-40: A*B is inf in float32 in any order of the params that the names give;
    with default_params the generator knows their sizes and multiplies A*c*B*x."""
    x, a, b, c = sympy.symbols("x A B c")
    system = kernels.symbolic_system([x], [-a * b * c * x], params=[a, b, c], default_params=[1e25, 1e25, 1e-40])
    _assert_float32_keeps_float64(system, [2.0], [1e25, 1e25, 1e-40], [1.0])


def test_a_product_of_t_keeps_sympys_order():
    """t is float64 in a float32 kernel: where it meets the product decides what is rounded to float32, so a product
    with t itself as a factor is left in SymPy's order (a far-from-t=0 phase keeps its precision)."""
    t, w, k, x = sympy.symbols("t w k x", real=True)
    order = FactorOrder([w, k], {w: 1e3, k: 1e-3}, time=t)
    assert order.ordered([w, t, k]) == [w, t, k]
    assert order.ordered([x, sympy.sin(w * t), k, w]) == [w, k, x, sympy.sin(w * t)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-40.0, 40.0), min_size=1, max_size=8))
def test_partial_products_stay_between_the_extremes(logs):
    """Large and small by turns: every partial product's magnitude is at most the largest of the single factors' and
    the whole product's (log10 sums here)."""
    order = _alternating([(m, i) for i, m in enumerate(logs)])
    assert sorted(order) == list(range(len(logs)))
    bound = max(max(abs(m) for m in logs), abs(sum(logs))) + 1e-9
    partial = 0.0
    for i in order:
        partial += logs[i]
        assert abs(partial) <= bound


def test_a_power_of_a_large_parameter_is_multiplied_as_its_factors():
    """An atmospheric chemist's trial: O + O2 + M with O2 = 0.21*M is 0.21*k*M**2*O to SymPy, and M*M is 6e38 at
    M = 2.46e19, inf in float32, though the rate is 1e-4 of that: every float32 row failed at step 0.  Given
    default_params the power is multiplied as M*k*M, in a product and where a common subexpression would hold it."""
    o, o3, k, m, j, q = sympy.symbols("O O3 k M j q")
    rate = k * (0.21 * m) * m * o
    params = [6e-34, 2.46e19, 1e-3, 1e-30]
    system = kernels.symbolic_system([o, o3], [-rate + j * o3, rate - j * o3 - q * m * m * o3], params=[k, m, j, q],
                                     default_params=params)
    assert "M**2" in str(sympy.sympify(rate))  # SymPy's own form: the trial's case
    assert "s0 = (p[1]*p[1])" not in system.jac.__bufferplan_source__  # M**2 alone: common to k's and q's products
    _assert_float32_keeps_float64(system, [1e9, 1e12], params, [1.0, -1.0])
