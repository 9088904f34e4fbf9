"""Radau's solvers on the Brusselator: which LU each block gets, and what ptxas makes of the n = 8 kernel."""

import pytest

import kernels
from kernel_helpers import run_on_cuda_target
from kernels.resources import ptxas_path
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


_PTX_SCRIPT = """
import json
import numpy as np
import kernels
integ = kernels.Integrator(kernels.brusselator(8), "radau", controller="fixed", precision=np.float32)
r = integ.build(integ.plan("local", block_size=128, device="h200")).resources()
print(json.dumps([r.registers_per_thread, r.local_bytes_per_thread, r.spill_store_bytes, r.source]))
"""


@pytest.mark.skipif(ptxas_path() is None, reason="needs ptxas (pip install 'bufferplan[compile]')")
def test_radau_brusselator_8_float32_stack_stays_small():
    """Fixed-step radau, Brusselator n = 8, all local, float32: at most 256 bytes of stack (72 measured; 1696
    when the 16 x 16 pair block went through the looped dense LU with its factor in local memory)."""
    registers, local_bytes, spills, source = run_on_cuda_target(_PTX_SCRIPT)
    assert source == "ptxas"
    assert local_bytes <= 256 and spills <= 512, (registers, local_bytes, spills)
