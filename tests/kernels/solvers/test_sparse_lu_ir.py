"""The sparse LU's IR form (an intrinsic writing LLVM IR) against its Python form, bit for bit, without a GPU.

The intrinsics lower on Numba's CPU target too, so ``numba.njit`` runs them
here; the Python form runs as plain Python (NumPy scalars: one IEEE operation
each, like LLVM without fast-math) or under ``njit``.  Both read the same
:class:`~kernels.solvers.sparse_lu.LUProgram`, so factor, solution and status
must be identical to the last bit, singular and NaN matrices included.  On
the CUDA target the two forms compile to the same PTX: the compile test at
the end checks that with ``compile_ptx`` and ``ptxas`` (no GPU needed).
"""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solver_helpers import assert_identical, emitted_ptx, plan_component, run_forms
from test_sparse_lu import brusselator_pattern, random_sparse

from kernels import Status, backend, brusselator
from kernels.errors import ConfigurationError
from kernels.resources import ptxas_path
from kernels.solvers import SparseLUSettings, build_sparse_lu
from kernels.solvers.sparse_lu import sparse_lu_sources
from kernels.solvers import sparse_lu_ir


def compact(lu, matrix, dtype):
    """The compact factor array of ``matrix`` (pattern slots filled, fill-in left as garbage to be zeroed)."""
    a = np.full(lu.nnz, 7.0, dtype)
    a[:len(lu.pattern)] = [matrix[i, j] for i, j in lu.pattern]
    return a


def run_both(lu, dtype, matrices, rhs, jit):
    """Factor and solve every matrix in both forms; returns ``[(status, factor, solution)] per form``."""
    cases = [(compact(lu, matrix, dtype), np.array(b, dtype)) for matrix, b in zip(matrices, rhs)]
    return run_forms(lu, sparse_lu_sources, sparse_lu_ir, dtype, cases, jit)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [8, 32])
def test_brusselator_bit_identical(n, dtype):
    """``I - c J`` of the Brusselator (jit Python form against the IR form), and NumPy's solution to 100 n eps."""
    lu, rng = SparseLUSettings(n, brusselator_pattern(n)), np.random.default_rng(n)
    system, jac = brusselator(n), np.zeros(n * n)
    matrices = []
    for c in (0.01, 0.3):
        system.jac(0.0, rng.uniform(0.5, 3.0, n), np.array([1.0, 3.0, 0.02]), jac)
        matrices.append(np.eye(n) - c * jac.reshape(n, n))
    rhs = rng.standard_normal((2, n))
    python_rows, ir_rows = run_both(lu, dtype, matrices, rhs, jit=True)
    assert_identical(python_rows, ir_rows)
    eps = np.finfo(dtype).eps
    for (code, _, x), matrix, b in zip(ir_rows, matrices, rhs):
        reference = np.linalg.solve(matrix, b)
        assert code == 0
        np.testing.assert_allclose(x, reference, rtol=0, atol=100 * n * eps * np.abs(reference).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(1, 24), density=st.sampled_from([0.05, 0.15, 0.4]))
def test_random_patterns_bit_identical(dtype, seed, n, density):
    """Random patterns and diagonally dominant matrices: plain-Python form and IR form agree to the bit."""
    rng = np.random.default_rng(seed)
    pattern, matrices = random_sparse(rng, n, density, 2)
    python_rows, ir_rows = run_both(SparseLUSettings(n, pattern), dtype, matrices, rng.standard_normal((2, n)),
                                    jit=False)
    assert_identical(python_rows, ir_rows)
    assert all(code == 0 for code, _, _ in ir_rows)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_singular_and_nan_matrices_flagged(dtype):
    """A zero pivot (exactly, or after elimination), a zero matrix and a NaN pivot: SINGULAR_MATRIX in both forms."""
    pattern = ((0, 0), (0, 1), (1, 0), (1, 1), (2, 2))
    good = np.diag([2.0, 3.0, 4.0])
    rank_one = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 1.0]])
    nan_pivot, nan_first = good.copy(), good.copy()
    nan_pivot[1, 1] = np.nan
    nan_first[0, 0] = np.nan
    matrices = [good, rank_one, np.zeros((3, 3)), nan_pivot, nan_first]
    python_rows, ir_rows = run_both(SparseLUSettings(3, pattern), dtype, matrices, np.ones((5, 3)), jit=True)
    assert_identical(python_rows, ir_rows)
    assert [code for code, _, _ in ir_rows] == [0] + [Status.SINGULAR_MATRIX] * 4


def test_emit_setting():
    """``emit`` is checked; ``auto`` is the Python form on the simulator, where ``ir`` is refused at build time."""
    with pytest.raises(ConfigurationError, match="emit"):
        SparseLUSettings(2, ((0, 0), (1, 1)), emit="llvm")
    lu = SparseLUSettings(4, tuple((i, i) for i in range(4)), emit="ir")
    assert lu.emitted == "ir" and SparseLUSettings(4, lu.pattern).emitted == ("python" if backend() == "simulator"
                                                                               else "ir")
    if backend() == "simulator":
        layout, _ = plan_component(lu.buffer_settings(), "local", np.float64)
        with pytest.raises(ConfigurationError, match="emit='auto' or 'python'"):
            build_sparse_lu(lu, layout, np.float64)




@pytest.mark.skipif(ptxas_path() is None, reason="needs ptxas (pip install 'bufferplan[compile]')")
@pytest.mark.slow
def test_rodas4_brusselator_compiles_to_the_same_ptx():
    """RODAS4 on the Brusselator n = 12, all-local float32: both forms give identical PTX (so identical
    ptxas counts), and the kernel has no stack frame (its factor stays in registers).

    Measured when added: n = 12 takes 186 registers and 0 stack bytes in both forms; n = 16 (254 registers,
    an 8-byte stack frame) gave identical PTX too.  One size keeps the check to two compiles in CI.
    """
    rows = emitted_ptx("rodas4", "kernels.solvers.sparse_lu_ir", "kernels.solvers.options", "SparseLUSettings",
                       [(12, "python"), (12, "ir")])
    assert [made for _, _, made, _, _ in rows] == [0, 1]  # intrinsics built only for the IR form
    (_, _, _, python_resources, python_ptx), (_, _, _, ir_resources, ir_ptx) = rows
    assert ir_resources == python_resources
    assert ir_ptx == python_ptx
    registers, stack_bytes, spill_stores, _ = ir_resources
    assert stack_bytes == 0 and spill_stores == 0, ir_resources
    # every pivot's reciprocal is the approximate seed with its correction, not a division subroutine
    assert ir_ptx.count("rcp.approx.ftz.f32") >= 12 and ir_ptx.count("fma.rn.f32") >= 24
