"""The looped sparse LU (a factor above ``unroll`` entries) against the straight-line one and NumPy, on the simulator.

The Brusselator solve and the singular-matrix flags of both forms are in ``test_sparse_lu.py``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sparse_lu import SOLVES, brusselator_pattern, random_sparse, sparse_kernel

from kernels import brusselator
from kernels.errors import ConfigurationError
from kernels.solvers import SparseLUSettings
from kernels.solvers.sparse_lu import SPARSE_UNROLL, sparse_lu_sources


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(1, 40), density=st.sampled_from([0.05, 0.15, 0.4]))
def test_looped_matches_straight_line_and_numpy(dtype, seed, n, density):
    """Same operations in the same order: the two forms agree to a few ulps, and both are NumPy's to 100 n eps."""
    rng = np.random.default_rng(seed)
    pattern, a = random_sparse(rng, n, density, 2)
    b = rng.standard_normal((2, SOLVES, n))
    looped, status = sparse_kernel(SparseLUSettings(n, pattern, unroll=0), "local", dtype)(a, b)
    straight, _ = sparse_kernel(SparseLUSettings(n, pattern, unroll=10 ** 6), "local", dtype)(a, b)
    assert (status == 0).all()
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(looped, straight, rtol=0, atol=8 * n * eps * np.abs(straight).max())
    for k in range(2):
        reference = np.linalg.solve(a[k], b[k].T).T
        np.testing.assert_allclose(looped[k], reference, rtol=0, atol=100 * n * eps * np.abs(reference).max())


def test_form_follows_unroll():
    """Straight-line code grows with the factor; the looped source is the same for every pattern."""
    small = SparseLUSettings(16, brusselator_pattern(16), unroll=160)
    large = SparseLUSettings(128, brusselator_pattern(128), unroll=160)
    assert small.nnz <= 160 < large.nnz and small.unrolled and not large.unrolled
    assert SparseLUSettings(128, brusselator_pattern(128)).nnz <= SPARSE_UNROLL  # the default: straight-line
    assert sparse_lu_sources(large) == sparse_lu_sources(SparseLUSettings(64, brusselator_pattern(64), unroll=160))
    assert len(sparse_lu_sources(SparseLUSettings(128, brusselator_pattern(128), unroll=10 ** 6))[0]) > 10 * len(
        sparse_lu_sources(large)[0])
    with pytest.raises(ConfigurationError, match="unroll"):
        SparseLUSettings(2, ((0, 0), (1, 1)), unroll=-1)


def test_brusselator_64_rodas4_through_solve_ivp():
    """Three fixed steps of the 64-state Brusselator through solve_ivp's sparse LU: the dense LU's result to 1e-10."""
    import kernels

    y0 = kernels.brusselator_initial(64)
    runs = {solver: kernels.solve_ivp(brusselator(64), (0.0, 0.03), y0, None, method="rodas4", dt=0.01,
                                      controller="fixed", precision=np.float64, solver=solver)
            for solver in ("lu", "dense")}
    assert runs["lu"].n_steps[0] == 3 and np.abs(runs["lu"].y[0, -1] - y0).max() > 1e-3
    np.testing.assert_allclose(runs["lu"].y[0, -1], runs["dense"].y[0, -1], rtol=0, atol=1e-10)
