"""ptxas -v counts (sm_90, offline) of batch kernels without jac: Robertson and a 16-state Brusselator."""
import os, sys
os.environ["NUMBA_ENABLE_CUDASIM"] = "0"
import kernels
from numba import cuda
from kernels.resources import _offline_device, ptxas_resources
from kernels.solvers.options import SolverOptions
print(kernels.__file__, file=sys.stderr)  # run in each tree: PYTHONPATH=TREE python ptx_counts.py
rob = kernels.robertson()
robfd = kernels.ODESystem(rob.rhs, 3, 3, name="rob_fd", default_params=rob.default_params)
bru = kernels.brusselator(16)
brufd = kernels.ODESystem(bru.rhs, 16, 3, name="bru_fd", default_params=bru.default_params)
cases = [("rob", robfd, m, None) for m in ["radau", "rodas5p", "kvaerno5"]] + [
    ("bru16", brufd, "rodas5p", None), ("bru16", brufd, "radau", None), ("bru16", brufd, "kvaerno5", "dense"),
    ("bru16", brufd, "kvaerno5", SolverOptions(linear="gmres", preconditioned=True))]
for name, s, method, solver in cases:
    for prec in ["float32", "float64"]:
        try:
            integ = kernels.Integrator(s, method=method, precision=prec, solver=solver, compile_cache=None)
            built = integ.build(integ.plan("local", block_size=128))
            with _offline_device((9, 0)):
                ptx, _ = cuda.compile_ptx(built.kernel.py_func, built.argument_types(), cc=(9, 0))
            print(name, method, solver if isinstance(solver, str) or solver is None else "gmres+jacobi", prec, ptxas_resources(ptx), flush=True)
        except Exception as e:
            print(name, method, prec, "ERR", type(e).__name__, str(e)[:200], flush=True)
