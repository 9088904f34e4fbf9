"""Radau's solvers on the Brusselator: which LU each block gets."""

import pytest

import kernels
from kernels.solvers import SparseLUSettings
from kernels.solvers.complex_lu import ComplexSparseLUSettings


@pytest.mark.parametrize("n", [8, 32])
def test_radau_blocks_are_straight_line_sparse_with_a_complex_pair(n):
    """solver "lu": the real block on J's pattern and the pair block as the complex LU, both straight-line
    code; at n = 8 too, where the 2n x 2n dense LU would be loops with its factor in local memory."""
    real, pair = kernels.Integrator(kernels.brusselator(n), "radau", controller="fixed").settings.step.lu_settings()
    assert type(real) is SparseLUSettings and isinstance(pair, ComplexSparseLUSettings)
    assert real.unrolled and pair.unrolled
    assert pair.nnz == 2 * real.nnz  # the complex pattern is J's: the same fill as the real block


# What ptxas makes of the n = 8 float32 kernel (its stack) is checked where that kernel is compiled for the
# same-PTX test of the complex LU's two forms (tests/kernels/solvers/test_complex_lu_ir.py).
