"""All-local DIRK plans compile with no local memory (ptxas, no GPU needed), float32.

As ``test_compiled_resources.py``: PTX for compute capability 9.0 in a
subprocess with Numba's CUDA target, counted by ``ptxas -v``.  Robertson
(3 states) and HIRES (8 states) with dense LU, so the step's stages, Newton's
vectors and the 3x3 / 8x8 factor all stay in registers.  Measured when added:
Kvaerno5 124 registers at n = 3 and 234 at n = 8, SDIRK4 220 at n = 8,
Kvaerno3 126 at n = 3.
"""

import pytest
from kernel_helpers import run_cases_on_cuda_target

from kernels.resources import ptxas_path

pytestmark = pytest.mark.skipif(ptxas_path() is None, reason="needs ptxas (pip install 'bufferplan[compile]')")

CASES = [("kvaerno5", "robertson"), ("kvaerno5", "hires")]

_SCRIPT = """
import json, sys
import numpy as np
import kernels
rows = []
for method, system in json.loads(sys.argv[1]):
    integ = kernels.Integrator(getattr(kernels, system)(), method, precision=np.float32, solver="lu")
    r = integ.build(integ.plan("local", block_size=128, device="h200")).resources()
    rows.append([method, system, r.registers_per_thread, r.local_bytes_per_thread, r.source])
print(json.dumps(rows))
"""


@pytest.fixture(scope="module")
def counted():
    return {tuple(r[:2]): r[2:] for r in run_cases_on_cuda_target(_SCRIPT, CASES)}


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_all_local_dirk_plan_keeps_its_buffers_in_registers(counted, case):
    registers, local_bytes, source = counted[case]
    assert source == "ptxas"
    assert local_bytes == 0, f"{case}: {local_bytes} bytes of local memory with {registers} registers"
    assert 16 <= registers <= 255
