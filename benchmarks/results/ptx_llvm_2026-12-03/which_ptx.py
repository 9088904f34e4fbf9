import os, sys, time
import numpy as np
import kernels
method, n, prec = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t = time.time()
integ = kernels.Integrator(kernels.brusselator(n), method, controller="fixed", precision=np.dtype(prec).type, solver="lu")
plan = integ.plan("local", block_size=128)
built = integ.build(plan)
k = built.kernel
sig = tuple(built.argument_types())
ck = k.compile(sig)
lib = getattr(ck, "_codelibrary", None) or getattr(ck, "library", None)
print("RESULT", os.environ.get("BUFFERPLAN_PTX_COMPILER", "nvvm"), "compile s", round(time.time() - t, 1), "regs", ck.regs_per_thread,
      "local", ck.local_mem_per_thread, "lib lto", getattr(lib, "_lto", "?"), "max_regs", getattr(lib, "_max_registers", "?"))
print("RESULT ptx head", [l for l in lib.get_asm_str().splitlines()[:3] if l.strip()][:2])
