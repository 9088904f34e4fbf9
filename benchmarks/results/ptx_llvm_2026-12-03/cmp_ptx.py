import sys, time, resource
from kernels.resources import ptxas_resources
tag = sys.argv[1]; cap = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "None" else None
for kind in ("nvvm", "llvm"):
    ptx = open(f".var/ir_{tag}/{kind}.ptx").read()
    t = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    r = ptxas_resources(ptx, max_registers=cap)
    print(kind, "lines", ptx.count("\n"), "regs/stack/spill st/ld", r, "ptxas s", round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - t, 2))
