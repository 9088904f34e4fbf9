"""Local means registers: all-local plans compile with no local memory (ptxas, no GPU needed).

Each kernel is compiled to PTX for compute capability 9.0 in a subprocess
that forces Numba's CUDA target (``NUMBA_ENABLE_CUDASIM=0``; no driver is
needed to compile) and counted by ``ptxas -v`` from the ``compile`` extra.
"""

import pytest
from kernel_helpers import run_cases_on_cuda_target

from kernels.resources import ptxas_path

pytestmark = pytest.mark.skipif(ptxas_path() is None, reason="needs ptxas (pip install 'bufferplan[compile]')")

# (method, controller, n_states): every explicit method at 16 states, Tsit5 adaptive too (its error
# estimate is the code every adaptive pair shares; dopri5 adaptive at 16 and Tsit5 adaptive at 8 were
# dropped from CI for time, both 0 bytes when last run), and the smallest size where Tsit5's stages went
# to local memory before (24 n bytes at n = 4 to 16).  The high-order pairs adaptive at 8 states (their
# 12 to 16 stages fit there; adaptive Vern9 at 16 states needs more than 255 registers and spills 16
# bytes, measured when they were added).
CASES = ([(m, "fixed", 16) for m in ("euler", "heun", "rk4", "bs3", "dopri5", "tsit5")]
         + [("tsit5", "pi", 16), ("tsit5", "fixed", 4), ("rk4", "fixed", 3)]
         + [(m, "pi", 8) for m in ("dop853", "vern7", "vern9")])

_SCRIPT = """
import json, sys
import numpy as np
import kernels
rows = []
for method, controller, n in json.loads(sys.argv[1]):
    system = kernels.lorenz() if n == 3 else kernels.oscillator_chain(n // 2)
    integ = kernels.Integrator(system, method, controller=controller, precision=np.float32)
    r = integ.build(integ.plan("local", block_size=128, device="h200")).resources()
    rows.append([method, controller, n, r.registers_per_thread, r.local_bytes_per_thread, r.source])
print(json.dumps(rows))
"""


@pytest.fixture(scope="module")
def counted():
    return {tuple(r[:3]): r[3:] for r in run_cases_on_cuda_target(_SCRIPT, CASES)}


@pytest.mark.parametrize("case", CASES, ids=["-".join(map(str, c)) for c in CASES])
def test_all_local_plan_keeps_its_buffers_in_registers(counted, case):
    registers, local_bytes, source = counted[case]
    assert source == "ptxas"
    assert local_bytes == 0, f"{case}: {local_bytes} bytes of local memory with {registers} registers"
    assert 16 <= registers <= 255


_LTO_SCRIPT = """
import json
import numba.cuda.decorators as decorators
decorators._have_nvjitlink = lambda: True  # as on a GPU machine with nvJitLink, where Numba's default is LTO
import kernels
integ = kernels.Integrator(kernels.lorenz(), "rk4", compile_cache=None, max_registers=64)
options = integ.build(integ.plan("local", block_size=128, device="h200")).kernel.targetoptions
print(json.dumps([options.get("lto"), options.get("max_registers")]))
"""


def test_batch_kernel_links_without_lto_where_numba_would_use_it():
    # The kernel's PTX is what ptxas compiles: with LTO NVVM would only emit LTO-IR and nvJitLink optimise it,
    # 30 to 40 % longer for the 64- and 128-state implicit kernels (H200, results/ptx_compilers_2026-12-04/).
    # numba-cuda 0.30.4's decorator factory `cuda.jit(lto=False)` drops the option; this catches it.
    from kernel_helpers import run_on_cuda_target

    assert run_on_cuda_target(_LTO_SCRIPT) == [False, 64]


_THREADS_SCRIPT = """
import concurrent.futures, json
import numpy as np
import kernels
from numba.cuda import dispatcher
original = dispatcher.get_current_device

def counts(choice):
    integ = kernels.Integrator(kernels.lorenz(), "rk4", compile_cache=None)
    r = integ.build(integ.plan(choice, block_size=64, device="h200")).resources()
    return [r.registers_per_thread, r.local_bytes_per_thread, r.shared_bytes_per_block]

with concurrent.futures.ThreadPoolExecutor(2) as pool:
    (local, shared) = pool.map(counts, ["local", "shared"])
print(json.dumps([local[1:] == [0, 0], shared[2] > 0, dispatcher.get_current_device is original]))
"""


def test_offline_counts_from_two_threads_are_both_made():
    # The offline compile swaps Numba's get_current_device process-wide: from two threads one compile found the
    # driver-less original (CudaSupportError) and the stand-in stayed installed; now they take turns.
    from kernel_helpers import run_on_cuda_target

    assert run_on_cuda_target(_THREADS_SCRIPT) == [True, True, True]


_HELPER_SCRIPT = """
import json
import numpy as np
from numba import cuda
import kernels

@cuda.jit(device=True)
def cube(x):
    return x * x * x

def rhs(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -y[0] - cube(y[0])

integ = kernels.Integrator(kernels.ODESystem(rhs, 2, name="cubic"), "rk4", compile_cache=None)
r = integ.build(integ.plan("local", block_size=128, device="h200")).resources()
print(json.dumps([r.source, r.local_bytes_per_thread]))
"""


def test_a_system_calling_device_helpers_builds_offline():
    # Offline (the CUDA target with no driver) the construction check's one-thread probe of an rhs that calls a
    # cuda.jit device function raised CudaSupportError from the driver (a user's trial); its outputs go unchecked
    # there, and the kernel compiles and is counted.
    from kernel_helpers import run_on_cuda_target

    assert run_on_cuda_target(_HELPER_SCRIPT) == ["ptxas", 0]
