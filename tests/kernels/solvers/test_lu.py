"""Dense LU alone, on the simulator, against NumPy: random systems, singular ones, one factor many solves."""

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import cuda
from solver_helpers import launch, plan_component, random_matrix, thread_memory

from kernels import Status
from kernels.errors import ConfigurationError
from kernels.solvers import LU_UNROLL, LUSettings, NewtonSettings, build_lu
from kernels.solvers.lu import lu_sources

SOLVES = 2  # right-hand sides per factorisation in the test kernel


@functools.cache  # one build per configuration, not one per hypothesis example
def lu_kernel(n, placement, dtype=np.float64, unroll=LU_UNROLL):
    """``run(A (m, n, n), B (m, SOLVES, n)) -> (X, status)``: factor each A once, solve every B row."""
    lu_settings = LUSettings(n, unroll=unroll)
    layout, plan = plan_component(lu_settings.buffer_settings(), placement, dtype)
    built = build_lu(lu_settings, layout, dtype)
    memory = thread_memory(plan, dtype)
    factor, solve, alloc_factor, alloc_pivots = built.factor, built.solve, built.alloc_factor, built.alloc_pivots
    nn = n * n

    @cuda.jit
    def kernel(a_in, x, status):
        i = cuda.grid(1)
        region, persistent = memory()
        if i < a_in.shape[0]:
            a = alloc_factor(region, persistent)
            pivots = alloc_pivots(region, persistent)
            for j in range(nn):
                a[j] = a_in[i, j]
            code = factor(a, pivots)
            status[i] = code
            if code == 0:
                for r in range(x.shape[1]):
                    solve(a, pivots, x[i, r])

    def run(a, b):
        x = np.array(b, dtype=dtype)
        status = np.full(a.shape[0], -1, np.int32)
        launch(kernel, plan, a.shape[0], np.ascontiguousarray(a.reshape(a.shape[0], -1), dtype=dtype), x, status)
        return x, status

    return run


def _check_solutions(a, b, x, condition, eps):
    for i in range(a.shape[0]):
        reference = np.linalg.solve(a[i], b[i].T).T
        scale = np.abs(reference).max()
        np.testing.assert_allclose(x[i], reference, rtol=0, atol=50 * a.shape[1] * condition * eps * scale)


@pytest.mark.parametrize("placement", ["local", "shared"])
@pytest.mark.parametrize("n", [1, 3, LU_UNROLL, LU_UNROLL + 2])
@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), log_condition=st.sampled_from([1.0, 8.0]))
def test_random_systems_match_numpy(n, placement, seed, log_condition):
    """Well- (cond 10) and ill-conditioned (cond 1e8) systems, unrolled and looped code, both placements."""
    rng = np.random.default_rng(seed)
    condition = 10.0 ** log_condition if n > 1 else 1.0
    a = np.array([random_matrix(rng, n, condition) for _ in range(3)])
    b = rng.standard_normal((3, SOLVES, n))
    x, status = lu_kernel(n, placement)(a, b)
    assert (status == 0).all()
    _check_solutions(a, b, x, condition, np.finfo(np.float64).eps)


def test_float32():
    rng = np.random.default_rng(3)
    a = np.array([random_matrix(rng, 5, 100.0) for _ in range(2)])
    b = rng.standard_normal((2, SOLVES, 5))
    x, status = lu_kernel(5, "local", np.float32)(a, b)
    assert (status == 0).all() and x.dtype == np.float32
    _check_solutions(a, b, x, 100.0, np.finfo(np.float32).eps)


def test_pivoting_is_needed_and_done():
    """A zero leading entry: elimination without row exchanges would divide by zero."""
    a = np.array([[[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]]])
    b = np.array([[[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]]])
    for unroll in (LU_UNROLL, 0):
        x, status = lu_kernel(3, "local", unroll=unroll)(a, b)
        assert status[0] == 0
        _check_solutions(a, b, x, 10.0, np.finfo(np.float64).eps)


@pytest.mark.parametrize("n", [4, LU_UNROLL + 2])
def test_singular_matrix_fails_alone(n):
    """Exactly singular and zero matrices give SINGULAR_MATRIX; their neighbours are solved."""
    rng = np.random.default_rng(7)
    a = np.array([random_matrix(rng, n, 10.0) for _ in range(5)])
    a[1, 2] = a[1, 0]  # two equal rows
    a[3] = 0.0
    b = rng.standard_normal((5, SOLVES, n))
    x, status = lu_kernel(n, "shared")(a, b)
    np.testing.assert_array_equal(status, [0, Status.SINGULAR_MATRIX, 0, Status.SINGULAR_MATRIX, 0])
    keep = [0, 2, 4]
    _check_solutions(a[keep], b[keep], x[keep], 10.0, np.finfo(np.float64).eps)


def test_singularity_is_judged_against_the_pivots_own_rounding():
    """A pivot not above m eps times the terms eliminated into it is singular; an entry elsewhere sets no scale.

    Row 0's coupling (1e30) says nothing of row 1's pivot (1, nothing eliminated into it: l = 0): against the
    largest entry of all this regular matrix was refused.  Rows 1 and 1 + eps/2 leave a pivot of half eps
    (rounded to 0) after one term of 1: singular; 1 + 4 eps leaves 4 eps, above eps * 1: regular.
    """
    eps = np.finfo(np.float64).eps
    a = np.array([[[1.0, 1e30], [0.0, 1.0]], [[1.0, 1.0], [1.0, 1.0 + 0.5 * eps]], [[1.0, 1.0], [1.0, 1.0 + 4 * eps]]])
    x, status = lu_kernel(2, "local")(a, np.ones((3, SOLVES, 2)))
    np.testing.assert_array_equal(status, [0, Status.SINGULAR_MATRIX, 0])
    np.testing.assert_allclose(x[0, 0], [1.0 - 1e30, 1.0], rtol=1e-12)


def test_generated_code_indexes_with_literals_up_to_unroll():
    small, large = LUSettings(LU_UNROLL), LUSettings(LU_UNROLL + 1)
    assert all("for " not in src and "[k" not in src for src in lu_sources(small))
    assert all("for k in range(N" in src for src in lu_sources(large))


def test_settings_validated_and_factor_spans_newton_iterations():
    with pytest.raises(ConfigurationError, match="LUSettings n: expected an integer >= 1, got 0"):
        LUSettings(0)
    with pytest.raises(ConfigurationError, match="spans_invocations"):
        LUSettings(3, spans_invocations=-1)
    tree = NewtonSettings(3, LUSettings(3)).buffer_settings()
    lifetimes = {b.name: b.lifetime for b in tree.qualified_buffers()}
    # One interval from Newton's prepare (factor) to the end of its iterations (solves).
    (factor,) = lifetimes["newton.lu.factor"]
    (residual,) = lifetimes["newton.residual"]
    assert factor[0] == 0 and factor[1] >= residual[1]
    assert lifetimes["newton.lu.pivots"] == lifetimes["newton.lu.factor"]
