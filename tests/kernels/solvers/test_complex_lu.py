"""Complex sparse LU (Radau's complex pair block) alone, on the simulator, against NumPy's complex solve."""

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import cuda
from solver_helpers import launch, plan_component, thread_memory

from kernels import Status, brusselator
from kernels.errors import ConfigurationError
from kernels.solvers.complex_lu import ComplexSparseLUSettings, build_complex_sparse_lu
from kernels.solvers.sparse_lu import SparseLUSettings


def interleaved(pattern):
    """The real ``2m x 2m`` pattern (row ``2 i + r``) of a complex pattern: a full 2 x 2 block per entry."""
    return tuple((2 * i + r, 2 * j + c) for i, j in pattern for r in range(2) for c in range(2))


@functools.cache  # one build per configuration, not one per hypothesis example
def complex_kernel(lu_settings, dtype=np.float64):
    """``run(C (k, m, m) complex, b (k, m) complex) -> (x, status)``: write C's pattern, factor, solve b."""
    layout, plan = plan_component(lu_settings.buffer_settings(), "local", dtype)
    built = build_complex_sparse_lu(lu_settings, layout, dtype)
    memory = thread_memory(plan, dtype)
    factor, solve, alloc_factor, alloc_pivots = built.factor, built.solve, built.alloc_factor, built.alloc_pivots
    m = lu_settings.n // 2
    where = np.array([i * m + j for i, j in lu_settings.complex_pattern], np.int64)
    count = where.size

    @cuda.jit
    def kernel(re, im, where, x, status):
        i = cuda.grid(1)
        region, persistent = memory()
        if i < re.shape[0]:
            a = alloc_factor(region, persistent)
            pivots = alloc_pivots(region, persistent)
            for s in range(count):
                a[2 * s] = re[i, where[s]]
                a[2 * s + 1] = im[i, where[s]]
            code = factor(a, pivots)
            status[i] = code
            if code == 0:
                solve(a, pivots, x[i])

    def run(c, b):
        k = c.shape[0]
        x = np.empty((k, 2 * m), dtype=dtype)
        x[:, 0::2], x[:, 1::2] = b.real, b.imag
        status = np.full(k, -1, np.int32)
        flat = c.reshape(k, -1)
        launch(kernel, plan, k, np.ascontiguousarray(flat.real, dtype=dtype),
               np.ascontiguousarray(flat.imag, dtype=dtype), where, x, status)
        return x[:, 0::2] + 1j * x[:, 1::2], status

    return run


def random_complex(rng, m, density, count):
    """``(pattern, matrices)``: a random pattern with the diagonal, diagonally dominant complex matrices on it."""
    mask = rng.random((m, m)) < density
    np.fill_diagonal(mask, True)
    pattern = tuple((int(i), int(j)) for i, j in zip(*np.nonzero(mask)))
    c = np.where(mask, rng.uniform(-1.0, 1.0, (count, m, m)) + 1j * rng.uniform(-1.0, 1.0, (count, m, m)), 0.0)
    rows = np.abs(c).sum(axis=2)
    for k in range(count):
        c[k][np.diag_indices(m)] = np.exp(2j * np.pi * rng.random(m)) * (rows[k] + rng.uniform(0.5, 1.5, m))
    return pattern, c


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), m=st.integers(1, 14), density=st.sampled_from([0.1, 0.3, 0.6]))
def test_random_complex_systems_match_numpy(dtype, seed, m, density):
    """Diagonally dominant complex systems on random patterns: NumPy's solution to 1e-11 (float64) / 2e-5 (float32)."""
    rng = np.random.default_rng(seed)
    pattern, c = random_complex(rng, m, density, 3)
    b = rng.standard_normal((3, m)) + 1j * rng.standard_normal((3, m))
    x, status = complex_kernel(ComplexSparseLUSettings(2 * m, interleaved(pattern)), dtype)(c, b)
    assert list(status) == [0, 0, 0]
    tol = 1e-11 if dtype == np.float64 else 2e-5
    for k in range(3):
        expected = np.linalg.solve(c[k], b[k])
        assert np.max(np.abs(x[k] - expected)) <= tol * np.max(np.abs(expected))


def test_brusselator_pair_block_half_the_real_form():
    """Brusselator n = 32: the complex factor holds fewer than 60 % of the words of the real 2n form's factor."""
    system = brusselator(32)
    jac = np.zeros(32 * 32)
    system.jac(0.0, np.linspace(0.5, 1.5, 32), np.array([1.0, 3.0, 0.02]), jac)
    pattern = tuple((i, j) for i in range(32) for j in range(32) if jac[i * 32 + j] != 0.0 or i == j)
    real_pattern = interleaved(pattern)
    complex_lu, real_lu = ComplexSparseLUSettings(64, real_pattern), SparseLUSettings(64, real_pattern)
    assert complex_lu.nnz < 0.6 * real_lu.nnz, (complex_lu.nnz, real_lu.nnz)
    assert complex_lu.flops() < 0.7 * real_lu.flops(), (complex_lu.flops(), real_lu.flops())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_singular_matrices_flagged(dtype):
    """A zero pivot (exactly, or after elimination), a zero matrix and a NaN give SINGULAR_MATRIX per thread."""
    pattern = ((0, 0), (0, 1), (1, 0), (1, 1), (2, 2))
    good = np.diag([2.0 + 1j, 3.0, 4.0j])
    rank_one = np.array([[1j, 2.0, 0.0], [2.0, -4j, 0.0], [0.0, 0.0, 1.0]])
    nan = good.copy()
    nan[1, 1] = np.nan
    c = np.array([good, rank_one, np.zeros((3, 3)), nan])
    _, status = complex_kernel(ComplexSparseLUSettings(6, interleaved(pattern)), dtype)(c, np.ones((4, 3)) + 0j)
    assert list(status) == [0] + [Status.SINGULAR_MATRIX] * 3


def test_settings_validate():
    with pytest.raises(ConfigurationError, match="even"):
        ComplexSparseLUSettings(3, ((0, 0), (1, 1), (2, 2)))
    with pytest.raises(ConfigurationError, match="diagonal"):
        ComplexSparseLUSettings(4, ((0, 0), (1, 1), (2, 2)))
