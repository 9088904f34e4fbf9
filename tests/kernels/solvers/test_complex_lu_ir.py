"""The complex sparse LU's IR form (Radau's complex pair block) against its Python form, bit for bit, without a GPU.

As for the real sparse LU (test_sparse_lu_ir.py): the intrinsics lower on
Numba's CPU target, so ``njit`` runs them here, and the Python form runs as
plain Python (NumPy scalars) or under ``njit``.  Both read the settings'
:class:`~kernels.solvers.sparse_lu.LUProgram` over complex slots, so factor
words, solution and status must agree to the last bit, singular and NaN
matrices included.  The compile test at the end checks on the CUDA target
(``compile_ptx`` and ``ptxas``, no GPU) that Radau's kernel has the same PTX
either way.
"""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from solver_helpers import assert_identical, emitted_ptx, plan_component, run_forms
from test_complex_lu import interleaved, random_complex
from test_sparse_lu import brusselator_pattern

from kernels import Status, backend, brusselator
from kernels.errors import ConfigurationError
from kernels.resources import ptxas_path
from kernels.solvers import complex_lu_ir
from kernels.solvers.complex_lu import ComplexSparseLUSettings, build_complex_sparse_lu, complex_lu_sources

# Radau IIA (order 5): the complex eigenvalue pair alpha +- i beta of A^-1 (Hairer & Wanner IV.8)
ALPHA, BETA = 2.6810828736277521, 3.0504301992474105


def compact(lu, matrix, dtype):
    """The interleaved factor words of complex ``matrix`` (pattern filled, fill-in left as garbage to be zeroed)."""
    a = np.full(lu.nnz, 7.0, dtype)
    values = np.array([matrix[i, j] for i, j in lu.complex_pattern])
    a[0:2 * values.size:2], a[1:2 * values.size:2] = values.real, values.imag
    return a


def run_both(lu, dtype, matrices, rhs, jit):
    """Factor and solve every complex matrix in both forms: ``[(status, factor, interleaved solution)]`` per form."""
    cases = []
    for matrix, b in zip(matrices, rhs):
        x = np.empty(2 * b.size, dtype)
        x[0::2], x[1::2] = b.real, b.imag
        cases.append((compact(lu, matrix, dtype), x))
    return run_forms(lu, complex_lu_sources, complex_lu_ir, dtype, cases, jit)


# m = 16 in float64 as well took 17 s of CI's njit compiles; 16 in float32 and both precisions at 8 stay
@pytest.mark.parametrize("m, dtype", [(8, np.float32), (8, np.float64), (16, np.float32)],
                         ids=["8-float32", "8-float64", "16-float32"])
def test_radau_brusselator_block_bit_identical(m, dtype):
    """Radau's complex block ``(alpha - i beta) / h I - J`` of the Brusselator: both forms (jit) agree to the
    bit, and match NumPy's complex solve to ``100 m eps`` of the solution's size."""
    lu, rng = ComplexSparseLUSettings(2 * m, interleaved(brusselator_pattern(m))), np.random.default_rng(m)
    system, jac = brusselator(m), np.zeros(m * m)
    matrices = []
    for h in (0.01, 0.3):
        system.jac(0.0, rng.uniform(0.5, 3.0, m), np.array([1.0, 3.0, 0.02]), jac)
        matrices.append((ALPHA - 1j * BETA) / h * np.eye(m) - jac.reshape(m, m))
    rhs = rng.standard_normal((2, m)) + 1j * rng.standard_normal((2, m))
    python_rows, ir_rows = run_both(lu, dtype, matrices, rhs, jit=True)
    assert_identical(python_rows, ir_rows)
    eps = np.finfo(dtype).eps
    for (code, _, x), matrix, b in zip(ir_rows, matrices, rhs):
        reference = np.linalg.solve(matrix, b)
        assert code == 0
        error = np.abs(x[0::2] + 1j * x[1::2] - reference).max()
        assert error <= 100 * m * eps * np.abs(reference).max(), error


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), m=st.integers(1, 14), density=st.sampled_from([0.1, 0.3, 0.6]))
def test_random_patterns_bit_identical(dtype, seed, m, density):
    """Random complex patterns and diagonally dominant matrices: plain-Python form and IR form agree to the bit."""
    rng = np.random.default_rng(seed)
    pattern, matrices = random_complex(rng, m, density, 2)
    rhs = rng.standard_normal((2, m)) + 1j * rng.standard_normal((2, m))
    lu = ComplexSparseLUSettings(2 * m, interleaved(pattern))
    python_rows, ir_rows = run_both(lu, dtype, matrices, rhs, jit=False)
    assert_identical(python_rows, ir_rows)
    assert all(code == 0 for code, _, _ in ir_rows)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_singular_and_nan_matrices_flagged(dtype):
    """A zero pivot (exactly, or after elimination), a zero matrix and NaN pivots: SINGULAR_MATRIX in both forms."""
    pattern = ((0, 0), (0, 1), (1, 0), (1, 1), (2, 2))
    good = np.diag([2.0 + 1j, 3.0, 4.0j])
    rank_one = np.array([[1.0 + 1j, 2.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    rank_one[1] = rank_one[0] * (0.5 - 0.5j)  # its second pivot is exactly 0 after eliminating the first
    nan_pivot, nan_first = good.copy(), good.copy()
    nan_pivot[1, 1] = complex(0.0, np.nan)
    nan_first[0, 0] = np.nan
    matrices = [good, rank_one, np.zeros((3, 3), complex), nan_pivot, nan_first]
    lu = ComplexSparseLUSettings(6, interleaved(pattern))
    python_rows, ir_rows = run_both(lu, dtype, matrices, np.ones((5, 3), complex), jit=True)
    assert_identical(python_rows, ir_rows)
    assert [code for code, _, _ in ir_rows] == [0] + [Status.SINGULAR_MATRIX] * 4


def test_emit_setting():
    """``emit`` is checked as for the real form; ``ir`` is refused at build time on the simulator."""
    with pytest.raises(ConfigurationError, match="emit"):
        ComplexSparseLUSettings(2, ((0, 0), (1, 1)), emit="llvm")
    lu = ComplexSparseLUSettings(4, interleaved(((0, 0), (1, 1))), emit="ir")
    assert lu.emitted == "ir"
    assert ComplexSparseLUSettings(4, lu.pattern).emitted == ("python" if backend() == "simulator" else "ir")
    if backend() == "simulator":
        layout, _ = plan_component(lu.buffer_settings(), "local", np.float64)
        with pytest.raises(ConfigurationError, match="ComplexSparseLUSettings emit: 'ir'.*emit='auto' or 'python'"):
            build_complex_sparse_lu(lu, layout, np.float64)




@pytest.mark.skipif(ptxas_path() is None, reason="needs ptxas (pip install 'bufferplan[compile]')")
@pytest.mark.slow
def test_radau_brusselator_compiles_to_the_same_ptx():
    """Radau on the Brusselator n = 8, all-local float32: the complex block's Python and IR forms give identical
    PTX, so identical ptxas counts.  (Checked the same way offline at n = 12 and n = 32 when added.)

    The IR form is the library's kernel on the CUDA target, so its stack is checked here too: at most 256
    bytes (72 measured; 1696 when the 16 x 16 pair block went through the looped dense LU with its factor in
    local memory)."""
    rows = emitted_ptx("radau", "kernels.solvers.complex_lu_ir", "kernels.steps.firk_blocks",
                       "ComplexSparseLUSettings", [(8, "python"), (8, "ir")])
    assert [made for _, _, made, _, _ in rows] == [0, 1]  # the complex intrinsics built only for the IR form
    (_, _, _, python_resources, python_ptx), (_, _, _, ir_resources, ir_ptx) = rows
    assert ir_resources == python_resources
    assert ir_ptx == python_ptx
    registers, stack_bytes, spill_stores, _ = ir_resources
    assert stack_bytes <= 256 and spill_stores <= 512, ir_resources
    # 4 complex pivots (and 8 real ones): two reciprocals each, none a division subroutine
    assert ir_ptx.count("rcp.approx.ftz.f32") >= 2 * 4 + 8
