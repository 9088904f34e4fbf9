"""FP64 instructions of float32 kernels with the system's float literals as written and in the working precision.

For each case (Brusselator n = 8 and 32 with rodas4, sdirk4 and radau; the
oscillator chain of 8 masses with tsit5; all float32, ``plan="local"``,
block size 128, planned for the H200) the batch kernel is built twice, from
``ODESystem(..., literals="as written")`` and ``literals="working"``, compiled
to PTX for compute capability 9.0 (no GPU needed), assembled by ``ptxas`` and
disassembled by ``cuobjdump``.  Per kernel:

* ``regs``, ``stack_bytes``, ``spill_store_bytes``: ptxas;
* ``ptx_f64``: PTX arithmetic, compare and conversion instructions on ``.f64``
  (loads, stores and moves not counted);
* ``sass_fp64``: SASS float64 instructions of the whole kernel (``D*`` arithmetic,
  compares, float64 conversions: :func:`sass_report._is_fp64`), and
  ``loop_fp64`` over the step loop's span (:func:`sass_report.main_loop`; its
  per-step hot path is left out: the guessed fall-through path changes with the
  code layout, so it does not compare two builds).

The time arithmetic of the loop is float64 by design (it stays in both columns).

Usage::

    python -m benchmarks.literals_fp64 --tools DIR --json benchmarks/results/literals_fp64_counts.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile

if not __package__:  # run as a file: the import below is package-relative
    raise SystemExit("run it as a module from the repository root: python -m benchmarks.literals_fp64 [options]")

from . import sass_report  # noqa: E402

CASES = [("brusselator", 8, m) for m in ("rodas4", "sdirk4", "radau")] + \
        [("brusselator", 32, m) for m in ("rodas4", "sdirk4", "radau")] + [("oscillator_chain", 8, "tsit5")]
_PTX_F64 = re.compile(r"^\s*(?:@!?%p\d+\s+)?([a-z][a-z0-9]*)(?:\.[a-z0-9]+)*\.f64\b", re.MULTILINE)


def ptx_f64_count(ptx):
    """float64 arithmetic, compares and conversions in ``ptx`` (not loads, stores or moves)."""
    return sum(1 for op in _PTX_F64.findall(ptx) if op not in ("ld", "st", "mov"))


def system_for(kind, size, literals):
    import kernels
    from kernels.stiff_systems import brusselator

    base = brusselator(size) if kind == "brusselator" else kernels.oscillator_chain(size)
    return kernels.ODESystem(base.rhs, base.n_states, base.n_params, name=base.name, jac=base.jac, jvp=base.jvp,
                             observables=base.observables, n_observables=base.n_observables,
                             default_params=base.default_params, check=False, literals=literals)


def kernel_of(kind, size, method, literals):
    import numpy as np

    import kernels

    integ = kernels.Integrator(system_for(kind, size, literals), method, precision=np.float32)
    built = integ.build(integ.plan("local", block_size=128, device="h200"))
    return built.kernel.py_func, built.argument_types()


def run(args):
    sass_report.prepare_numba(args.tools)
    ptxas = sass_report.find_tool("ptxas", args.tools)
    cuobjdump = sass_report.find_tool("cuobjdump", args.tools)
    rows = []
    with tempfile.TemporaryDirectory(prefix="literals_fp64_") as workdir:
        for kind, size, method in CASES:
            for literals in ("as written", "working"):
                func, sig = kernel_of(kind, size, method, literals)
                ptx = sass_report.ptx_of(func, sig)
                info, sass = sass_report.assemble(ptx, ptxas, cuobjdump, workdir, f"{kind}{size}_{method}")
                instrs = sass_report.parse_sass(sass)
                loop = sass_report.main_loop(instrs) or {}
                row = {"system": f"{kind}_{size}", "method": method, "literals": literals,
                       **sass_report.ptxas_numbers(info), "ptx_f64": ptx_f64_count(ptx),
                       "sass_fp64": sum(1 for _, op, _ in instrs if sass_report._is_fp64(op)),
                       "sass_instrs": len(instrs), "loop_fp64": loop.get("fp64")}
                rows.append(row)
                print(json.dumps(row), flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"command": " ".join(["python", "-m", "benchmarks.literals_fp64"] + sys.argv[1:]),
                       "precision": "float32", "plan": "local", "block_size": 128, "compute_capability": "9.0",
                       "rows": rows}, fh, indent=1)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", default=None, help="folder searched for ptxas, cuobjdump and NVRTC")
    parser.add_argument("--json", default=None, help="write the rows here")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
