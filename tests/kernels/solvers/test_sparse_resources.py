"""The sparse-LU Rosenbrock kernel plans no n * n Jacobian scratch (compiled offline by ptxas, no GPU needed).

RODAS4 on the 32-state Brusselator (which gives ``jvp``), float32, all-local
plan, compiled for compute capability 9.0 as in ``test_rosenbrock_resources.py``.
``M`` is assembled from 6 compressed products into the compact factor, so the
largest planned buffer is the factor (154 entries), and the stack frame
stays below the 4 KB a 32 x 32 float32 scratch alone would take.  Measured
when added: 255 registers, 1384 local bytes (the dense-jac path planned a
1024-entry scratch; at n = 128 its kernel had 74736 local bytes, this one 10224).
"""

import pytest
from kernel_helpers import run_on_cuda_target

from kernels.resources import ptxas_path

pytestmark = pytest.mark.skipif(ptxas_path() is None, reason="needs ptxas (pip install 'bufferplan[compile]')")

N = 32

_SCRIPT = """
import json, sys
import numpy as np
import kernels
n = int(sys.argv[1])
b = kernels.brusselator(n)  # its jvp only: the products path (with jac too, n <= 64 takes the scratch)
system = kernels.ODESystem(b.rhs, n, b.n_params, name=b.name, jvp=b.jvp, default_params=b.default_params)
integ = kernels.Integrator(system, "rodas4", controller="fixed", precision=np.float32)
plan = integ.plan("local", block_size=128, device="h200")
largest = max((b.size_elems, b.name) for b in plan.buffers)
r = integ.build(plan).resources()
print(json.dumps([integ.jacobian, largest, plan.local_elements, r.registers_per_thread,
                  r.local_bytes_per_thread, r.source]))
"""


def test_brusselator_rodas4_plans_no_dense_jacobian():
    jacobian, (size, name), local_elements, registers, local_bytes, source = run_on_cuda_target(_SCRIPT, str(N))
    assert source == "ptxas"
    assert jacobian == "jvp (compressed, 6 products)"
    assert name.endswith(".lu.factor") and size < N * N // 4, (name, size)
    assert local_elements < N * N
    assert local_bytes < 4 * N * N, f"{local_bytes} bytes of local memory with {registers} registers"
