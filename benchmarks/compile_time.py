"""Where the cold compile of an implicit kernel goes, measured without a GPU (issue #10).

Each configuration runs in a fresh process (``NUMBA_ENABLE_CUDASIM=0``; no
driver is needed): it builds ``kernels.Integrator(kernels.brusselator(n),
method, controller="fixed", solver=...)`` with an all-local plan, compiles the
kernel to PTX for compute capability 9.0 as :mod:`kernels.resources` does,
and runs ``ptxas -v`` on it (on a GPU the driver's JIT does that step, so the
ptxas time stands for it).  Numba's and NVVM's entry points are wrapped by
timers that count exclusive CPU time (a device function compiled while its
caller is being typed is charged to its own phases, not the caller's):

* ``python_build``: Integrator construction, plan and build, less the check
  that the user functions compile (``compile_check``: this process's CPU time
  only, as that check runs in a helper process here; in process on a GPU);
* ``numba_typing``, ``numba_lowering``, ``numba_other`` (the remaining
  passes: bytecode analysis, rewrites, IR legalisation) per compiled function;
* ``llvm_ir``: the module as text for NVVM and its linking;
* ``nvvm``: libNVVM (LLVM optimisation and PTX code generation);
* ``ptxas``: PTX to SASS, with registers, stack bytes and spills.

Usage: ``python -m benchmarks.compile_time --n 64 128 --method rodas4 sdirk4``
(from the repository root; writes ``benchmarks/results/compile_time.json``).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import re
import subprocess
import sys
import time

SCHEMA = "bufferplan.compile_time/1"
# CPU seconds of this process (the compile is single-threaded): stable on a loaded machine, and close
# to wall time on an idle one.  ptxas is a child process: its CPU time comes from getrusage.
_clock = time.process_time
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


class Timers:
    """Exclusive wall time per phase, with a stack so nested phases are not counted twice."""

    def __init__(self):
        self.total = collections.defaultdict(float)
        self.functions = collections.defaultdict(lambda: collections.defaultdict(float))
        self._stack = []  # [phase, function, start, child_time]

    def wrap(self, phase, func, name_of=None):
        timers = self

        def timed(*args, **kwargs):
            name = name_of(*args, **kwargs) if name_of else (timers._stack[-1][1] if timers._stack else "-")
            timers._stack.append([phase, name, _clock(), 0.0])
            try:
                return func(*args, **kwargs)
            finally:
                ph, nm, start, child = timers._stack.pop()
                spent = _clock() - start
                timers.total[ph] += spent - child
                timers.functions[nm][ph] += spent - child
                if timers._stack:
                    timers._stack[-1][3] += spent

        return timed


def _instrument(timers):
    """Wrap Numba-CUDA's compile phases (numba-cuda 0.30) with ``timers``."""
    from numba.cuda import codegen, compiler, dispatcher
    from numba.cuda.core import typed_passes
    from numba.cuda.cudadrv import nvvm

    from kernels import compilecheck

    def func_name(*args, **kwargs):
        pyfunc = args[0] if args else kwargs.get("pyfunc")
        return getattr(pyfunc, "__name__", str(pyfunc))

    compile_cuda = timers.wrap("numba_other", compiler.compile_cuda, func_name)
    compiler.compile_cuda = compile_cuda
    dispatcher.compile_cuda = compile_cuda
    typed_passes.type_inference_stage = timers.wrap("numba_typing", typed_passes.type_inference_stage)
    base = typed_passes.BaseNativeLowering
    base.run_pass = timers.wrap("numba_lowering", base.run_pass)
    lib = codegen.CUDACodeLibrary
    lib.get_asm_strs = timers.wrap("llvm_ir", lib.get_asm_strs, lambda *a, **k: "kernel")
    nvvm.compile_ir = timers.wrap("nvvm", nvvm.compile_ir)
    compilecheck.check_device_function = timers.wrap("compile_check", compilecheck.check_device_function,
                                                     lambda *a, **k: "compile_check")


def _sparse_settings(**fields):
    """Build every sparse LU with these SparseLUSettings ``fields`` (a variant: ``unroll``, ``emit``): Newton's
    (through ``SolverOptions``) and the FIRK step's blocks, the complex pair's included.

    Subclasses with those defaults (not partials: the callers check ``isinstance``)."""
    import dataclasses

    from kernels.solvers import complex_lu, options, sparse_lu
    from kernels.steps import firk_blocks

    def variant(base):
        return dataclasses.make_dataclass(
            base.__name__, [(key, type(value), dataclasses.field(default=value)) for key, value in fields.items()],
            bases=(base,), frozen=True)

    options.SparseLUSettings = firk_blocks.SparseLUSettings = variant(sparse_lu.SparseLUSettings)
    firk_blocks.ComplexSparseLUSettings = variant(complex_lu.ComplexSparseLUSettings)


_GATHER = re.compile(r"^    matrix\[(\d+)\] = -c \* jd\[(\d+)\]( \+ ONE)?$")


def _looped_gather():
    """Variant (a proposal for kernels/solvers/newton.py): the sparse ``prepare``'s gather of ``M = I - c J``
    as a loop over constant index tables instead of one line per pattern entry."""
    import numpy as np
    from numba import cuda

    from kernels.solvers import newton

    original = newton.compile_device

    def compile_device(source, name, namespace, inline=False):
        lines = source.splitlines()
        hits = [(i, _GATHER.match(line)) for i, line in enumerate(lines)]
        hits = [(i, m) for i, m in hits if m]
        if name != "prepare" or not hits:
            return original(source, name, namespace, inline)
        first, last = hits[0][0], hits[-1][0]
        slots = np.array([int(m.group(1)) for _, m in hits], np.int32)
        dense = np.array([int(m.group(2)) for _, m in hits], np.int32)
        diagonal = np.array([int(m.group(1)) for _, m in hits if m.group(3)], np.int32)
        loop = ["    g_slot = cuda.const.array_like(G_SLOT)", "    g_dense = cuda.const.array_like(G_DENSE)",
                "    g_diag = cuda.const.array_like(G_DIAG)",
                f"    for q in range({slots.size}):", "        matrix[g_slot[q]] = -c * jd[g_dense[q]]",
                f"    for q in range({diagonal.size}):", "        matrix[g_diag[q]] += ONE"]
        source = "\n".join(lines[:first] + loop + lines[last + 1:]) + "\n"
        scope = dict(namespace, cuda=cuda, G_SLOT=slots, G_DENSE=dense, G_DIAG=diagonal)
        return original(source, name, scope, inline)

    newton.compile_device = compile_device


def measure(method, n, precision, solver, plan_choice="local", sparse_unroll=None, looped_gather=False,
            opt=True, fastmath=False, sparse_emit=None, uncapped=False):
    """One cold compile in this process: the phase table and ptxas's counts."""
    os.environ["NUMBA_ENABLE_CUDASIM"] = "0"
    import numpy as np

    t = _clock()
    import kernels
    from kernels.resources import _offline_device, ptxas_resources
    from numba import cuda

    import_s = _clock() - t
    timers = Timers()
    _instrument(timers)
    fields = {"unroll": sparse_unroll, "emit": sparse_emit}
    fields = {key: value for key, value in fields.items() if value is not None}
    if fields:
        _sparse_settings(**fields)
    if looped_gather:
        _looped_gather()
    dtype = np.dtype(precision).type
    start = _clock()
    integ = kernels.Integrator(kernels.brusselator(n), method, controller="fixed", precision=dtype, solver=solver,
                               max_registers=None if uncapped else "auto")
    plan = integ.plan(plan_choice, block_size=128, device="h200")
    built = integ.build(plan)
    build_s = _clock() - start
    during_build = sum(timers.total.values())  # compile check and any eager Numba work
    with _offline_device((9, 0)):
        ptx, _ = cuda.compile_ptx(built.kernel.py_func, built.argument_types(), cc=(9, 0), opt=opt,
                                  fastmath=fastmath)
    ptx_s = _clock() - start - build_s
    before = _children_cpu()
    regs, stack, stores, loads = ptxas_resources(ptx, max_registers=built.max_registers)  # the cap it is built with
    ptxas_s = _children_cpu() - before
    phases = dict(timers.total)
    phases["python_build"] = build_s - during_build
    phases["ptxas"] = ptxas_s
    per_function = {name: {k: round(v, 3) for k, v in ph.items()} for name, ph in timers.functions.items()
                    if name not in ("kernel", "compile_check")}
    return {"method": method, "n": n, "precision": precision, "solver": solver, "plan": plan_choice,
            "sparse_unroll": sparse_unroll, "sparse_emit": sparse_emit, "looped_gather": looped_gather, "opt": opt, "fastmath": fastmath,
            "import_s": round(import_s, 3), "build_s": round(build_s, 3), "compile_ptx_s": round(ptx_s, 3),
            "total_s": round(build_s + ptx_s + ptxas_s, 3),
            "phases_s": {k: round(v, 3) for k, v in sorted(phases.items())},
            "per_function_s": per_function,
            "ptx_lines": ptx.count("\n"),
            "resources": {"registers": regs, "stack_bytes": stack, "spill_store_bytes": stores,
                          "spill_load_bytes": loads}}


def _children_cpu():
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _versions():
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ("numba", "numba-cuda", "llvmlite", "nvidia-cuda-nvcc", "nvidia-nvvm", "numpy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _child(args):
    row = measure(args.method[0], args.n[0], args.precision[0], args.solver, args.plan, args.sparse_unroll,
                  args.looped_gather, not args.no_opt, args.fastmath, args.sparse_emit, args.uncapped)
    print("RESULT " + json.dumps(row))


def _run_one(method, n, precision, args):
    cmd = [sys.executable, "-m", "benchmarks.compile_time", "--child", "--method", method, "--n", str(n),
           "--precision", precision, "--solver", args.solver, "--plan", args.plan]
    if args.sparse_unroll is not None:
        cmd += ["--sparse-unroll", str(args.sparse_unroll)]
    if args.sparse_emit is not None:
        cmd += ["--sparse-emit", args.sparse_emit]
    cmd += [flag for flag, on in (("--looped-gather", args.looped_gather), ("--no-opt", args.no_opt),
                                  ("--fastmath", args.fastmath), ("--uncapped", args.uncapped)) if on]
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"method": method, "n": n, "precision": precision, "error": done.stderr[-2000:]}


def _table(rows):
    keys = ["python_build", "compile_check", "numba_typing", "numba_lowering", "numba_other", "llvm_ir", "nvvm",
            "ptxas"]
    print(f"{'method':8s} {'n':>4s} " + " ".join(f"{k[:10]:>10s}" for k in keys) + "    total  regs stack spill")
    for r in rows:
        if "error" in r:
            print(r["method"], r["n"], "ERROR", r["error"][-300:])
            continue
        ph, res = r["phases_s"], r["resources"]
        print(f"{r['method']:8s} {r['n']:4d} " + " ".join(f"{ph.get(k, 0.0):10.2f}" for k in keys)
              + f" {r['total_s']:8.2f} {res['registers']:5d} {res['stack_bytes']:5d} {res['spill_store_bytes']:5d}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", nargs="+", default=["rodas4", "sdirk4"])
    ap.add_argument("--n", nargs="+", type=int, default=[64, 128])
    ap.add_argument("--precision", nargs="+", default=["float32"])
    ap.add_argument("--solver", default="lu")
    ap.add_argument("--plan", default="local")
    ap.add_argument("--sparse-unroll", type=int, default=None,
                    help="variant: SparseLUSettings.unroll for every sparse LU (default: the library's)")
    ap.add_argument("--sparse-emit", choices=["ir", "python"], default=None,
                    help="variant: SparseLUSettings.emit for every sparse LU (default: the library's, 'ir' here)")
    ap.add_argument("--looped-gather", action="store_true",
                    help="variant: the sparse prepare's gather as a loop over index tables (newton.py proposal)")
    ap.add_argument("--no-opt", action="store_true", help="variant: NVVM at -opt=0 (compile_ptx(opt=False))")
    ap.add_argument("--fastmath", action="store_true", help="variant: compile_ptx(fastmath=True)")
    ap.add_argument("--uncapped", action="store_true",
                    help="variant: max_registers=None (no register cap; by default the library's own)")
    ap.add_argument("--label", default="", help="suffix of the results file (a variant's name)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return _child(args)
    rows = []
    for precision in args.precision:
        for n in args.n:
            for method in args.method:
                rows.append(_run_one(method, n, precision, args))
                _table(rows[-1:])
    os.makedirs(RESULTS, exist_ok=True)
    name = "compile_time" + (f"_{args.label}" if args.label else "") + ".json"
    doc = {"schema": SCHEMA, "command": " ".join([os.path.basename(sys.executable), "-m", "benchmarks.compile_time",
                                                  *(argv if argv is not None else sys.argv[1:])]),
           "host": platform.node(), "cpu_count": os.cpu_count(), "versions": _versions(), "rows": rows}
    with open(os.path.join(RESULTS, name), "w") as handle:
        json.dump(doc, handle, indent=1)
    print("wrote", os.path.join(RESULTS, name))


if __name__ == "__main__":
    main()
