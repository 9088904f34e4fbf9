"""Values read again after the steps (kernels.rematerialize): same values, fewer registers.

On the simulator the two operations are checked against the plain ones.  On
the CUDA target (compiled to PTX, counted by ``ptxas``, no GPU needed) the
fixed-step loop's re-reads must free the registers they were written for: RK4
on Lorenz fits in 32 registers, a full SM of warps at 128-thread blocks like
the hand-written kernel (it was 40, 48 warps, before), and it re-reads its
times after the steps rather than keeping them.
"""

import json

import numpy as np
import pytest
from kernel_helpers import run_on_cuda_target
from numba import cuda

from kernels.rematerialize import rematerializers
from kernels.resources import ptxas_path


def test_reread_and_grid_index_are_the_plain_operations():
    reread, grid_index = rematerializers()

    @cuda.jit
    def probe(values, out, index):
        i = cuda.grid(1)
        if i < out.shape[0]:
            out[i] = reread(values, i % values.shape[0]) + 0.0 * values[0]
            index[i] = grid_index()

    values = np.array([0.5, -2.25, 1e300, np.pi])
    out, index = np.zeros(10), np.zeros(10, np.int64)
    probe[3, 4](values, out, index)
    np.testing.assert_array_equal(out, values[np.arange(10) % 4])
    np.testing.assert_array_equal(index, np.arange(10))


_SCRIPT = """
import json
import numpy as np
import kernels
from numba import cuda
rows = {}
for name, system in (("lorenz", kernels.lorenz()), ("chain4", kernels.oscillator_chain(2))):
    integ = kernels.Integrator(system, "rk4", controller="fixed", precision=np.float32)
    built = integ.build(integ.plan("local", block_size=128, device="h200"))
    r = built.resources()
    ptx, _ = cuda.compile_ptx(built.kernel.py_func, built.argument_types(), cc=(9, 0))
    rows[name] = [r.registers_per_thread, r.local_bytes_per_thread, ptx.count("ld.global.nc.b64")]
print(json.dumps(rows))
"""


@pytest.mark.skipif(ptxas_path() is None, reason="needs ptxas (pip install 'bufferplan[compile]')")
def test_fixed_rk4_on_lorenz_fits_a_full_sm_of_warps():
    rows = run_on_cuda_target(_SCRIPT)
    registers, local_bytes, rereads = rows["lorenz"]
    # 65536 registers / (128 threads x 32) = 16 blocks of 4 warps: all 64 warp slots of an SM.
    assert registers <= 32 and local_bytes == 0, rows
    assert rereads >= 2, "the save time and the interval's start are read again after the steps"
    assert rows["chain4"][0] <= 40 and rows["chain4"][1] == 0, rows
