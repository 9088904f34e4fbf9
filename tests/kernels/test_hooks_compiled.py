"""Summaries and events compile for the CUDA target and keep an all-local plan in registers (ptxas, no GPU).

The simulator runs device code as Python, so it cannot catch what the CUDA target refuses to type;
this compiles the hooked kernels to PTX in a subprocess (``NUMBA_ENABLE_CUDASIM=0``), as
``test_compiled_resources`` does for the plain ones.
"""

import pytest
from kernel_helpers import run_cases_on_cuda_target

from kernels.resources import ptxas_path

pytestmark = pytest.mark.skipif(ptxas_path() is None, reason="needs ptxas (pip install 'bufferplan[compile]')")

# Each hook in each loop family once: summaries in the fixed loop (its regular-step form) and the adaptive one,
# events in the adaptive one (events at fixed steps are compiled and run by the GPU tests).
CASES = [("summaries", "fixed"), ("summaries", "pi"), ("events", "pi")]

_SCRIPT = """
import json, sys
import numpy as np
import kernels

def x(t, y, p):
    return y[0]

HOOKS = {"summaries": dict(summaries=kernels.Summaries(states=[0, 2], stats=("mean", "rms", "max", "argmax"),
                                                       per="save"), save_trajectory=False),
         "events": dict(events=[kernels.Event(x), kernels.Event(x, terminal=True, direction=-1)])}
rows = []
for hook, controller in json.loads(sys.argv[1]):
    integ = kernels.Integrator(kernels.lorenz(), "tsit5", controller=controller, precision=np.float32,
                               **HOOKS[hook])
    r = integ.build(integ.plan("local", block_size=128, device="h200")).resources()
    rows.append([hook, controller, r.registers_per_thread, r.local_bytes_per_thread, r.source])
print(json.dumps(rows))
"""


@pytest.fixture(scope="module")
def counted():
    return {tuple(r[:2]): r[2:] for r in run_cases_on_cuda_target(_SCRIPT, CASES)}


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_hooked_kernel_compiles_and_stays_in_registers(counted, case):
    registers, local_bytes, source = counted[case]
    assert source == "ptxas"
    assert local_bytes == 0, f"{case}: {local_bytes} bytes of local memory with {registers} registers"
    assert 16 <= registers <= 255
