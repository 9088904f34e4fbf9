"""Capture the NVVM input of one kernel compile (offline) into .var/ir_<tag>/."""
import os, sys, pickle
os.environ["NUMBA_ENABLE_CUDASIM"] = "0"
import numpy as np
import kernels
from kernels.resources import _offline_device
from numba import cuda
from numba.cuda.cudadrv import nvvm

method, n, prec = sys.argv[1], int(sys.argv[2]), sys.argv[3]
captured = []
orig = nvvm.compile_ir
def compile_ir(llvmir, **options):
    captured.append((llvmir, dict(options)))
    return orig(llvmir, **options)
nvvm.compile_ir = compile_ir
integ = kernels.Integrator(kernels.brusselator(n), method, controller="fixed", precision=np.dtype(prec).type, solver="lu")
plan = integ.plan("local", block_size=128, device="h200")
built = integ.build(plan)
captured.clear()
with _offline_device((9, 0)):
    ptx, _ = cuda.compile_ptx(built.kernel.py_func, built.argument_types(), cc=(9, 0))
tag = f"{method}_{n}_{prec}"
os.makedirs(f".var/ir_{tag}", exist_ok=True)
with open(f".var/ir_{tag}/capture.pkl", "wb") as fh:
    pickle.dump(captured, fh)
with open(f".var/ir_{tag}/nvvm.ptx", "w") as fh:
    fh.write(ptx)
print(len(captured), [ (type(c[0]), c[1]) for c in captured], built.max_registers)
