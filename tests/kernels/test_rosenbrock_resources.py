"""All-local Rosenbrock kernels keep every buffer in registers (ptxas, no GPU needed).

RODAS5P (8 stages, the largest tableau) adaptive in float32 with dense LU,
on Robertson (3 states) and HIRES (8 states, an 8 x 8 factor), compiled for
compute capability 9.0 as in ``test_compiled_resources.py``; the two builds
run in parallel subprocesses (about a minute for the 8-state one).
Measured when added: 90 and 200 registers, 0 local bytes (ROS3P: 72 and
181; RODAS4 with finite differences on 8 states: 195).
"""

import pytest
from kernel_helpers import cuda_target_result, start_on_cuda_target

from kernels.resources import ptxas_path

pytestmark = pytest.mark.skipif(ptxas_path() is None, reason="needs ptxas (pip install 'bufferplan[compile]')")

CASES = (("rodas5p", "robertson", 3), ("rodas5p", "hires", 8))

_SCRIPT = """
import json, sys
import numpy as np
import kernels
method, name = sys.argv[1], sys.argv[2]
integ = kernels.Integrator(getattr(kernels, name)(), method, controller="pi", precision=np.float32)
r = integ.build(integ.plan("local", block_size=128, device="h200")).resources()
print(json.dumps([r.registers_per_thread, r.local_bytes_per_thread, r.source]))
"""


@pytest.fixture(scope="module")
def counted():
    runs = {case: start_on_cuda_target(_SCRIPT, case[0], case[1]) for case in CASES}  # in parallel
    return {case: cuda_target_result(proc) for case, proc in runs.items()}


@pytest.mark.parametrize("case", CASES, ids=["-".join(map(str, c)) for c in CASES])
def test_all_local_plan_keeps_its_buffers_in_registers(counted, case):
    registers, local_bytes, source = counted[case]
    assert source == "ptxas"
    assert local_bytes == 0, f"{case}: {local_bytes} bytes of local memory with {registers} registers"
    assert 16 <= registers <= 255
