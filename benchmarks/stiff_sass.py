"""Static SASS counts of the stiff Brusselator kernels, without a GPU: where their memory traffic is issued.

For each configuration (method x n x precision x placement, the LU factor's
storage, and register caps) this builds the kernel ``benchmarks.stiff_peers``
times (``stiff_worker.make_integrator``: fixed step, ``solver="lu"``, block
size 128), compiles it to PTX for compute capability 9.0 once, then assembles
it with ``ptxas -arch=sm_90 -v`` once per register cap (``-maxrregcount``) and
disassembles it with ``cuobjdump -sass``.  Per kernel:

* ``regs``, ``stack_bytes``, ``spill_store_bytes``, ``spill_load_bytes`` (ptxas);
* ``instrs``: SASS instructions of the kernel, and its FP32/FP64 arithmetic;
* the memory instructions by space, each also in bytes a thread moves when it
  runs once (``.64`` and ``.128`` forms move 8 and 16 bytes): ``local_*``
  (``LDL``/``STL``: the compiler's spills and local arrays), ``generic_*``
  (``LD``/``ST``: the LU factor in memory storage reaches local memory through
  generic addresses), ``shared_*``, ``global_*``.

Static counts: every instruction once, a Newton loop's body once however often it
runs.  They say which kernels issue their local traffic as spills and how a cap
trades registers (occupancy: 65536 / (regs x 128) blocks an SM) for spill code;
the times come from ``stiff_peers`` (``local+r128`` builds the same cap).

Tools as for ``benchmarks.sass_report`` (``--tools DIR``).

    NUMBA_ENABLE_CUDASIM=0 python -m benchmarks.stiff_sass --methods rodas4,radau --sizes 64,128 \\
        --precisions float32 --impls bufferplan-lu --caps none,168,128 --json OUT.json
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import sys
import tempfile
import time

from . import environment as env
from . import sass_report as sr
from . import stiff_problem

SCHEMA = "bufferplan.stiff_sass/1"
SPACES = {"LDL": ("local", "load"), "STL": ("local", "store"), "LD": ("generic", "load"),
          "ST": ("generic", "store"), "LDS": ("shared", "load"), "STS": ("shared", "store"),
          "LDG": ("global", "load"), "STG": ("global", "store")}
FP32 = ("FADD", "FMUL", "FFMA")
FP64 = ("DADD", "DMUL", "DFMA")


def memory_counts(instrs):
    """``{space_load: count, space_load_bytes: bytes, ...}`` of the memory instructions in ``instrs``."""
    out = collections.Counter()
    for _, opcode, _ in instrs:
        parts = opcode.split(".")
        space = SPACES.get(parts[0])
        if space is None:
            continue
        width = 16 if "128" in parts else 8 if "64" in parts else 4
        key = f"{space[0]}_{space[1]}"
        out[key] += 1
        out[key + "_bytes"] += width
    return dict(out)


def sass_counts(ptx, cap, ptxas, cuobjdump, dump=None):
    """ptxas's figures and the SASS counts of ``ptx`` assembled at register cap ``cap`` (None: uncapped)."""
    with tempfile.TemporaryDirectory() as work:
        info, sass = sr.assemble(ptx, ptxas, cuobjdump, work, "k", max_registers=cap)
    if dump:
        with open(dump, "w") as fh:
            fh.write(sass)
    instrs = sr.parse_sass(sass)
    ops = collections.Counter(op.split(".")[0] for _, op, _ in instrs)
    row = {"cap": cap, **sr.ptxas_numbers(info), "instrs": len(instrs),
           "fp32": sum(ops[k] for k in FP32), "fp64": sum(ops[k] for k in FP64)}
    row.update(memory_counts(instrs))
    row["blocks_per_sm"] = 65536 // (max(row["regs"], 1) * 128) if row["regs"] > 0 else None
    return row


def kernel_ptx(method, n, precision, impl, choice):
    """The PTX of the batch kernel stiff_peers times for this configuration (``choice``: local or shared)."""
    from numba import cuda

    from kernels.resources import _offline_device

    from . import stiff_worker
    from .stiff_peers import SOLVER_OF

    cfg = {"impl_name": impl, "n": n, "precision": precision, "run_method": method, "solver": SOLVER_OF[impl]}
    integ = stiff_worker.make_integrator(cfg)
    built = integ.build(integ.plan(choice, block_size=128, device="h200"))
    with _offline_device((9, 0)):
        ptx, _ = cuda.compile_ptx(built.kernel.py_func, built.argument_types(), cc=(9, 0))
    return ptx


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stiff_problem.add_configuration_arguments(ap, sizes="64,128", precisions="float32")
    ap.add_argument("--impls", default="bufferplan-lu", help="stiff_peers' bufferplan implementations (lu, lumem, lureg)")
    ap.add_argument("--plans", default="local", help="placements planned here: local, shared")
    ap.add_argument("--caps", default="none,168,128", help="register caps, 'none' for uncapped")
    ap.add_argument("--tools", default=None, help="a folder with cuobjdump (see benchmarks.sass_report)")
    ap.add_argument("--dump", default=None, help="write each kernel's SASS to this folder")
    ap.add_argument("--json", default=None, help="write the rows and how they were made here")
    args = ap.parse_args(argv)
    try:
        args.cap_list = [None if c == "none" else int(c) for c in args.caps.split(",")]
    except ValueError:
        ap.error(f"--caps: expected a comma list of integers or 'none', got {args.caps!r}")
    if any(c is not None and not 16 <= c <= 255 for c in args.cap_list):
        ap.error(f"--caps: a register cap is from 16 to 255, got {args.caps!r}")
    from .stiff_peers import SOLVER_OF

    choices = {"--impls": (args.impls, sorted(k for k in SOLVER_OF if k.startswith("bufferplan"))),
               "--plans": (args.plans, ["local", "shared"]), "--precisions": (args.precisions, ["float32", "float64"])}
    for flag, (value, allowed) in choices.items():
        bad = sorted(set(value.split(",")) - set(allowed))
        if bad:
            ap.error(f"{flag}: unknown {bad}; choose from {allowed}")
    try:
        sizes = [int(x) for x in args.sizes.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 2 or any(x % 2 for x in sizes):
        ap.error(f"--sizes: expected a comma list of even Brusselator sizes >= 2, got {args.sizes!r}")
    return args


def main(argv=None):
    args = parse_args(argv)
    sr.prepare_numba(args.tools)
    from kernels.resources import ptxas_path

    ptxas, cuobjdump = ptxas_path(), sr.find_tool("cuobjdump", args.tools)
    if args.dump:
        os.makedirs(args.dump, exist_ok=True)
    rows = []
    device = {"name": "none (static: ptxas -arch=sm_90, no GPU)", "compute_capability": [9, 0]}
    settings = {k: v for k, v in vars(args).items() if k != "cap_list"}
    configs = itertools.product((int(s) for s in args.sizes.split(",")), args.precisions.split(","),
                                args.methods.split(","), args.impls.split(","), args.plans.split(","))
    failed = 0
    for n, precision, method, impl, choice in configs:
        start = time.perf_counter()
        try:
            ptx = kernel_ptx(method, n, precision, impl, choice)
        except Exception as exc:  # noqa: BLE001 - e.g. a method name the Integrator refuses: say which, go on
            print(f"{impl}@{choice} {method} n={n} {precision}: not built: {type(exc).__name__}: {exc}", flush=True)
            failed += 1
            continue
        ptx_s = round(time.perf_counter() - start, 1)
        for cap in args.cap_list:
            name = f"{impl}_{method}_n{n}_{precision}_{choice}_r{cap or 'none'}"
            dump = os.path.join(args.dump, name + ".sass") if args.dump else None
            rows.append({"method": method, "n": n, "precision": precision, "impl": impl, "plan": choice,
                         "ptx_s": ptx_s, **sass_counts(ptx, cap, ptxas, cuobjdump, dump)})
            print(_format(rows[-1]), flush=True)
        if args.json:  # rewritten after each configuration: a run cut short keeps what it made
            env.write_json(args.json, dict(env.header(SCHEMA, device, settings), rows=rows))
    if failed:
        print(f"stiff_sass: {failed} configuration(s) not built (above)", file=sys.stderr)
    return 1 if failed else 0


def _format(row):
    keys = ("regs", "stack_bytes", "spill_store_bytes", "instrs", "fp32", "local_load", "local_store",
            "local_load_bytes", "local_store_bytes", "generic_load", "generic_store")
    head = f"{row['impl']}@{row['plan']} {row['method']} n={row['n']} {row['precision']} cap={row['cap']}"
    return head + ": " + ", ".join(f"{k} {row.get(k, 0)}" for k in keys)


if __name__ == "__main__":
    sys.exit(main())
