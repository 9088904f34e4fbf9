"""Registers and local (stack) bytes per thread of the compiled batch kernels, all-local plans.

On a GPU the compiled kernels' own counts; without one, run with
``NUMBA_ENABLE_CUDASIM=0``: each kernel is compiled to PTX for compute
capability 9.0 and counted by ``ptxas -v`` (the ``compile`` extra).

    NUMBA_ENABLE_CUDASIM=0 python3 benchmarks/resources_table.py --sizes 3,4,8,16 --out DIR
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time

import numpy as np


def system_for(kernels, n_states):
    """Lorenz for 3 states, an oscillator chain of ``n_states / 2`` masses otherwise."""
    if n_states == 3:
        return kernels.lorenz()
    if n_states % 2:
        raise SystemExit(f"--sizes: {n_states} is neither 3 nor even (chains have 2 states per mass)")
    return kernels.oscillator_chain(n_states // 2)


def measure(kernels, method, controller, n_states, precision=np.float32, plan="local", block_size=128):
    """One row: the kernel's resources under ``plan`` (all buffers local by default)."""
    integ = kernels.Integrator(system_for(kernels, n_states), method, controller=controller, precision=precision)
    start = time.perf_counter()
    resources = integ.build(integ.plan(plan, block_size=block_size, device="h200")).resources()
    return {"method": method, "controller": controller, "n_states": n_states,
            "precision": np.dtype(precision).name, "plan": plan, **resources.to_json(),
            "compile_s": round(time.perf_counter() - start, 2)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="euler,heun,rk4,bs3,dopri5,tsit5")
    ap.add_argument("--sizes", default="3,4,8,16")
    ap.add_argument("--precision", default="float32")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    import kernels

    rows = []
    for method in args.methods.split(","):
        controllers = ["fixed"] + (["pi"] if kernels.METHODS[method].adaptive else [])
        for n in (int(s) for s in args.sizes.split(",")):
            for controller in controllers:
                row = measure(kernels, method, controller, n, np.dtype(args.precision).type)
                rows.append(row)
                print(f"{method:7s} {controller:5s} n={n:3d} regs {row['registers_per_thread']:4d}  local "
                      f"{row['local_bytes_per_thread']:5d} B  ({row['source']}, {row['compile_s']} s)", flush=True)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        doc = {"command": " ".join([os.path.basename(sys.argv[0])] + (argv or sys.argv[1:])),
               "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "backend": kernels.backend(), "python": sys.version.split()[0], "rows": rows}
        try:
            import numba

            doc["numba"], doc["numpy"] = numba.__version__, np.__version__
            if rows and rows[0]["source"] == "cuda":
                from numba import cuda

                name = cuda.get_current_device().name
                doc["device"] = name.decode() if isinstance(name, bytes) else str(name)
        except Exception as exc:  # noqa: BLE001 - the table stands without the version notes
            doc["versions_error"] = repr(exc)
        name = "resources_" + ("gpu" if rows and rows[0]["source"] == "cuda" else "ptxas") + ".json"
        with open(os.path.join(args.out, name), "w") as handle:
            json.dump(doc, handle, indent=1)
    return rows


if __name__ == "__main__":
    main()
