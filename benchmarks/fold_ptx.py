"""The PTX of kernels with the IR fold of generated lines and without it, compared (no GPU needed).

``kernels.moves_ir`` emits runs of generated element statements as LLVM IR intrinsics on the CUDA
target, to cut Numba's typing and lowering time; the claim is that the compilers see the same
arithmetic, so the PTX (and the GPU's work) is the same.  This script checks it per configuration:
each kernel is built twice in one process, with ``BUFFERPLAN_FOLD_IR=0`` (every line Python) and with the
fold, compiled to PTX for sm_90, and the two texts compared after masking names that only count
compiles (mangled symbols, the shared-memory symbol's serial).  It also reports each build's CPU seconds
(the unfolded build runs first, so the folded one profits from a warm process: a ratio here overstates
the cold one; ``benchmarks.compile_time`` measures cold compiles).

Usage (a case is ``method:controller:system:n:precision:plan[:solver]``; ``system`` one of ``chain``
(``oscillator_chain(n // 2)``), ``bruss``, ``lorenz``, ``robertson``, ``hires``)::

    NUMBA_ENABLE_CUDASIM=0 python -m benchmarks.fold_ptx tsit5:pi:chain:16:float32:local \\
        rodas4:fixed:bruss:8:float32:local:lu --out benchmarks/results
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

import numpy as np

from . import environment

SCHEMA = "bufferplan.fold_ptx/1"
SYSTEMS = ("chain", "bruss", "lorenz", "robertson", "hires")


def _system(kernels, name, n):
    if name == "chain":
        return kernels.oscillator_chain(n // 2)
    if name == "bruss":
        return kernels.brusselator(n)
    return {"lorenz": kernels.lorenz, "robertson": kernels.robertson, "hires": kernels.hires}[name]()


def _ptx(kernels, case, fold):
    from numba import cuda

    from kernels.moves_ir import FOLD_SWITCH
    from kernels.resources import _offline_device, ptxas_resources

    method, controller, system, n, precision, plan, solver = case
    os.environ[FOLD_SWITCH] = "1" if fold else "0"
    options = {} if solver is None else {"solver": solver}
    start = time.process_time()
    integ = kernels.Integrator(_system(kernels, system, n), method, controller=controller,
                               precision=getattr(np, precision), **options)
    built = integ.build(integ.plan(plan, block_size=128, device="h200"))
    with _offline_device((9, 0)):
        ptx, _ = cuda.compile_ptx(built.kernel.py_func, built.argument_types(), cc=(9, 0))
    seconds = time.process_time() - start
    masked = re.sub(r"_cudapy_smem_\d+", "SMEM", re.sub(r"_ZN\w+", "SYMBOL", ptx))
    body = "\n".join(line for line in masked.splitlines() if not line.lstrip().startswith("//"))
    return seconds, body, list(ptxas_resources(ptx))


def parse_case(text):
    parts = text.split(":")
    if len(parts) not in (6, 7) or not parts[3].isdigit() or parts[2] not in SYSTEMS \
            or parts[4] not in ("float32", "float64"):
        raise argparse.ArgumentTypeError(f"a case is method:controller:system:n:precision:plan[:solver] with system one "
                                         f"of {', '.join(SYSTEMS)}, n an integer and precision float32 or float64; "
                                         f"got {text!r}")
    return (parts[0], parts[1], parts[2], int(parts[3]), parts[4], parts[5], parts[6] if len(parts) == 7 else None)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cases", nargs="+", type=parse_case)
    ap.add_argument("--out", default=None, help="folder for fold_ptx[_TAG].json (default: print only)")
    ap.add_argument("--tag", default="")
    args = ap.parse_args(argv)
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") != "0":
        sys.exit("fold_ptx compiles for the CUDA target: run with NUMBA_ENABLE_CUDASIM=0 (no GPU needed)")
    import kernels
    from planner.errors import BufferplanError

    rows = []
    for case in args.cases:
        try:
            (plain_s, plain, plain_res), (fold_s, folded, fold_res) = (_ptx(kernels, case, f) for f in (False, True))
        except BufferplanError as exc:  # a case the library refuses (a plan that does not fit): said, not compared
            sys.exit(f"fold_ptx: case {':'.join(str(c) for c in case if c is not None)}: {exc}")
        row = {"case": list(case), "same_ptx": plain == folded, "ptx_lines": folded.count("\n") + 1,
               "unfolded_s": round(plain_s, 2), "folded_s": round(fold_s, 2), "ptxas": fold_res,
               "ptxas_unfolded": plain_res}
        rows.append(row)
        print(f"{':'.join(str(c) for c in case if c is not None):48s} {'same PTX' if row['same_ptx'] else 'DIFFERENT'}"
              f"  unfolded {plain_s:6.1f} s  folded {fold_s:6.1f} s  ptxas {fold_res}", flush=True)
    print(f"different: {sum(not r['same_ptx'] for r in rows)} of {len(rows)}")
    if args.out:
        name = f"fold_ptx{'_' + args.tag if args.tag else ''}.json"
        doc = environment.header(SCHEMA, {"name": "offline sm_90 (ptxas)"}, {"cases": [r["case"] for r in rows]})
        doc["rows"] = rows
        environment.write_json(os.path.join(args.out, name), doc)
        print("wrote", os.path.join(args.out, name))
    return 0 if all(r["same_ptx"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
