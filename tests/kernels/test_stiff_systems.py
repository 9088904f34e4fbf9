"""The stiff test systems: analytic Jacobians and products against central differences, HIRES's reference."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stiff_references import reference

import kernels

SYSTEMS = [kernels.robertson, kernels.hires, kernels.stiff_van_der_pol,
           lambda: kernels.brusselator(6), lambda: kernels.brusselator(12)]


def _host(system, y, p):
    n = system.n_states
    f = np.zeros(n)
    system.rhs(0.0, y, p, f)
    jac = np.zeros(n * n)
    system.jac(0.0, y, p, jac)
    return f, jac.reshape(n, n)


@pytest.mark.parametrize("factory", SYSTEMS)
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1))
def test_jacobian_and_product_match_differences(factory, seed):
    system = factory()
    rng = np.random.default_rng(seed)
    n, p = system.n_states, np.asarray(system.default_params)
    y, v = rng.uniform(0.1, 2.0, n), rng.normal(size=n)
    _, jac = _host(system, y, p)
    h = 1e-6
    columns = [(_host(system, y + h * e, p)[0] - _host(system, y - h * e, p)[0]) / (2 * h) for e in np.eye(n)]
    numeric = np.array(columns).T
    assert np.allclose(jac, numeric, rtol=1e-6, atol=1e-6 * np.abs(numeric).max())
    product = np.zeros(n)
    system.jvp(0.0, y, p, v, product)
    assert np.allclose(product, jac @ v, rtol=1e-12, atol=1e-12 * np.abs(jac).max() * np.abs(v).max())


def test_hires_reference_agrees_with_scipy_radau():
    ref = np.asarray(kernels.HIRES_REFERENCE)
    assert np.allclose(reference("hires")[-1], ref, rtol=1e-7, atol=0)


def test_brusselator_needs_an_even_size():
    with pytest.raises(kernels.ConfigurationError, match="even"):
        kernels.brusselator(7)
    assert kernels.brusselator_initial(8).shape == (8,)


def test_stiff_tests_give_a_system_and_an_initial_state_of_its_size():
    assert set(kernels.STIFF_TESTS) == {"robertson-40", "robertson-1e5", "van_der_pol", "hires"}
    for name, (factory, y0, t_end) in kernels.STIFF_TESTS.items():
        system = factory()
        assert system.n_states == len(y0) and t_end > 0 and system.jac is not None, name
    assert kernels.STIFF_TESTS["hires"][2] == kernels.HIRES_T_END
