"""Sparse LU alone, on the simulator, against NumPy: random patterns, the Brusselator's fill, singular matrices."""

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import cuda
from solver_helpers import launch, plan_component, thread_memory

from kernels import Status, brusselator
from kernels.errors import ConfigurationError
from kernels.solvers import SparseLUSettings, build_sparse_lu

SOLVES = 2  # right-hand sides per factorisation in the test kernel


@functools.cache  # one build per configuration, not one per hypothesis example
def sparse_kernel(lu_settings, placement, dtype=np.float64):
    """``run(A (m, n, n), B (m, SOLVES, n)) -> (X, status)``: gather A over the pattern, factor once, solve every B."""
    layout, plan = plan_component(lu_settings.buffer_settings(), placement, dtype)
    built = build_sparse_lu(lu_settings, layout, dtype)
    memory = thread_memory(plan, dtype)
    factor, solve, alloc_factor, alloc_pivots = built.factor, built.solve, built.alloc_factor, built.alloc_pivots
    n = lu_settings.n
    flat = np.array([i * n + j for i, j in lu_settings.pattern], np.int64)
    count = flat.size

    @cuda.jit
    def kernel(a_in, where, x, status):
        i = cuda.grid(1)
        region, persistent = memory()
        if i < a_in.shape[0]:
            a = alloc_factor(region, persistent)
            pivots = alloc_pivots(region, persistent)
            for s in range(count):
                a[s] = a_in[i, where[s]]
            code = factor(a, pivots)
            status[i] = code
            if code == 0:
                for r in range(x.shape[1]):
                    solve(a, pivots, x[i, r])

    def run(a, b):
        x = np.array(b, dtype=dtype)
        status = np.full(a.shape[0], -1, np.int32)
        launch(kernel, plan, a.shape[0], np.ascontiguousarray(a.reshape(a.shape[0], -1), dtype=dtype), flat, x,
               status)
        return x, status

    return run


def random_sparse(rng, n, density, count):
    """``(pattern, matrices)``: a random pattern with the diagonal, and diagonally dominant matrices on it."""
    mask = rng.random((n, n)) < density
    np.fill_diagonal(mask, True)
    pattern = tuple(zip(*np.nonzero(mask)))
    a = np.where(mask, rng.uniform(-1.0, 1.0, (count, n, n)), 0.0)
    rows = np.abs(a).sum(axis=2)
    for k in range(count):
        a[k][np.diag_indices(n)] = rng.choice([-1.0, 1.0], n) * (rows[k] + rng.uniform(0.5, 1.5, n))
    return pattern, a


def brusselator_pattern(n):
    system = brusselator(n)
    jac = np.zeros(n * n)
    system.jac(0.0, np.linspace(0.5, 1.5, n), np.array([1.0, 3.0, 0.02]), jac)
    return tuple((i, j) for i in range(n) for j in range(n) if jac[i * n + j] != 0.0 or i == j)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(1, 40), density=st.sampled_from([0.05, 0.15, 0.4]))
def test_random_sparse_systems_match_numpy(dtype, seed, n, density):
    """Diagonally dominant matrices of random patterns: the static-pivot solution is NumPy's to 100 n eps."""
    rng = np.random.default_rng(seed)
    pattern, a = random_sparse(rng, n, density, 2)
    b = rng.standard_normal((2, SOLVES, n))
    x, status = sparse_kernel(SparseLUSettings(n, pattern), "local", dtype)(a, b)
    assert (status == 0).all()
    eps = np.finfo(dtype).eps
    for k in range(2):
        reference = np.linalg.solve(a[k], b[k].T).T
        np.testing.assert_allclose(x[k], reference, rtol=0, atol=100 * n * eps * np.abs(reference).max())


def test_shared_placement():
    rng = np.random.default_rng(5)
    pattern, a = random_sparse(rng, 12, 0.2, 2)
    b = rng.standard_normal((2, SOLVES, 12))
    x, status = sparse_kernel(SparseLUSettings(12, pattern), "shared")(a, b)
    assert (status == 0).all()
    np.testing.assert_allclose(x[1], np.linalg.solve(a[1], b[1].T).T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [8, 32, 64])
def test_brusselator_fill_is_small(n):
    """Minimum degree keeps L + U of the Brusselator's pattern (4 n - 4 entries) under 5 n (n = 32: 154)."""
    lu = SparseLUSettings(n, brusselator_pattern(n))
    assert len(lu.pattern) == 4 * n - 4
    assert lu.nnz <= 5 * n
    assert lu.buffer_settings().buffers[0].size_elems == lu.nnz


@pytest.mark.parametrize("n, unroll, seed", [(32, None, 2), (64, 160, 3)], ids=["straight-32", "looped-64"])
def test_brusselator_solves(n, unroll, seed):
    """``I - 0.01 J`` of the Brusselator: straight-line at 32 states, looped at 64 (314 factor entries > 160)."""
    pattern = brusselator_pattern(n)
    system, rng = brusselator(n), np.random.default_rng(seed)
    jac = np.zeros(n * n)
    system.jac(0.0, rng.uniform(0.5, 3.0, n), np.array([1.0, 3.0, 0.02]), jac)
    a = (np.eye(n) - 0.01 * jac.reshape(n, n))[None]
    b = rng.standard_normal((1, SOLVES, n))
    lu = SparseLUSettings(n, pattern) if unroll is None else SparseLUSettings(n, pattern, unroll=unroll)
    assert lu.unrolled == (unroll is None)
    x, status = sparse_kernel(lu, "local")(a, b)
    assert status[0] == 0
    np.testing.assert_allclose(x[0], np.linalg.solve(a[0], b[0].T).T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("unroll", [None, 0], ids=["straight", "looped"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_singular_matrices_flagged(dtype, unroll):
    """A zero pivot (exactly, or after elimination), a zero matrix and a NaN give SINGULAR_MATRIX per thread."""
    pattern = ((0, 0), (0, 1), (1, 0), (1, 1), (2, 2))
    good = np.diag([2.0, 3.0, 4.0])
    rank_one = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 1.0]])
    nan = good.copy()
    nan[1, 1] = np.nan
    a = np.array([good, rank_one, np.zeros((3, 3)), nan])
    lu = SparseLUSettings(3, pattern) if unroll is None else SparseLUSettings(3, pattern, unroll=unroll)
    _, status = sparse_kernel(lu, "local", dtype)(a, np.ones((4, SOLVES, 3)))
    assert list(status) == [0] + [Status.SINGULAR_MATRIX] * 3


def test_settings_validate():
    with pytest.raises(ConfigurationError, match="diagonal"):
        SparseLUSettings(2, ((0, 0), (0, 1)))
    with pytest.raises(ConfigurationError, match="outside"):
        SparseLUSettings(2, ((0, 0), (1, 1), (2, 0)))
    with pytest.raises(ConfigurationError, match="n"):
        SparseLUSettings(0, ())
    lu = SparseLUSettings(2, [(1, 1), (0, 0), (0, 0)])
    assert lu.pattern == ((0, 0), (1, 1)) and lu.nnz == 2 and lu.fill == 0
