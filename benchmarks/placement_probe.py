"""Kernel time of one implicit configuration under hand-pinned placements and block sizes (issue #14).

With the sparse LU's factor storage (``kernels/solvers/factor_storage.py``) a factor
placed in shared memory stays there, so where a buffer lives changes the time of a
spilling kernel.  This probe times, on the Brusselator ensemble of ``stiff_peers``
(65536 trajectories, fixed dt 1e-3 over ``--t1``, Newton tolerances 1e-5 in float32
and 1e-8 in float64), for every block size of ``--blocks``:

* the all-local plan, and
* per ``--shared PATTERN[,PATTERN...]`` (repeatable): the greedy plan with the buffers
  matching the shell patterns in shared memory and every other buffer local
  (``pins={"*": "local", PATTERN: "shared", ...}``),

recording kernel ms (CUDA events, median of ``--repeats``), the compiled kernel's
registers and local bytes (``--max-registers``: the Integrator's register cap, ``auto``
by default, ``none`` for 255), the plan's shared bytes per block and the fraction of
trajectories that succeeded.  ``auto`` is timed last, to see what it leaves.

    python3 -m benchmarks.placement_probe --method radau --n 32 --blocks 128,64,32 \\
        --shared 'loop.firk.lu_1.factor' --shared 'loop.firk.lu_*.factor' --out DIR
    python3 -m benchmarks.placement_probe --sim --out DIR      # simulator: n = 8, 2 trajectories
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from . import environment as env

SCHEMA = "bufferplan.placement_probe/1"
TOLERANCE = {"float32": 1e-5, "float64": 1e-8}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.placement_probe", description=__doc__.split("\n")[0])
    ap.add_argument("--method", default="radau", help="an implicit method of kernels.METHOD_NAMES")
    ap.add_argument("--n", type=int, default=32, help="Brusselator states")
    ap.add_argument("--precision", choices=sorted(TOLERANCE), default="float32")
    ap.add_argument("--blocks", default="128,64", help="block sizes, a comma list")
    ap.add_argument("--shared", action="append", default=[],
                    help="buffer patterns to place in shared memory together, a comma list (repeatable: one variant each)")
    ap.add_argument("--max-registers", default="auto", help="the register cap: auto (the library's rule), none, or 16-255")
    ap.add_argument("--n-traj", type=int, default=65536)
    ap.add_argument("--t1", type=float, default=0.1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sim", action="store_true", help="simulator sizes (n = 8, 2 trajectories, t1 = 0.002)")
    ap.add_argument("--no-auto", action="store_true", help="leave out the auto plan (its compiler rounds take longest)")
    ap.add_argument("--gpu-lock", default="", help="a lock file shared with other probes run at the same time: "
                    "each compiles outside it and runs on the GPU holding it")
    ap.add_argument("--tag", default="")
    ap.add_argument("--out", default=env.RESULTS)
    args = ap.parse_args(argv)
    try:
        args.block_sizes = [int(b) for b in args.blocks.split(",")]
    except ValueError:
        ap.error(f"--blocks: expected a comma list of integers, got {args.blocks!r}")
    if args.max_registers not in ("auto", "none") and not (args.max_registers.isdigit()
                                                            and 16 <= int(args.max_registers) <= 255):
        ap.error(f"--max-registers: expected auto, none or an integer from 16 to 255, got {args.max_registers!r}")
    args.cap = {"auto": "auto", "none": None}[args.max_registers] if not args.max_registers.isdigit() \
        else int(args.max_registers)
    if args.sim:
        args.n, args.n_traj, args.t1, args.repeats = 8, 2, 0.002, 1
    return args


def make_integrator(method, n, precision, max_registers="auto"):
    """The Integrator the probe times: ``method`` on the ``n``-state Brusselator, fixed steps, ``precision``."""
    import kernels

    return kernels.Integrator(kernels.brusselator(n), method, controller="fixed", precision=np.dtype(precision).type,
                              max_registers=max_registers)


def variants(block_sizes, patterns, auto=True):
    """``(label, plan choice, block size, pins)`` in the order timed (``auto`` last: its compiler rounds
    take longest, and a run cut short keeps the rows before it)."""
    out = []
    for block in block_sizes:
        out.append((f"local b{block}", "local", block, None))
        out += [(f"{p} shared b{block}", "greedy", block, {"*": "local", **{q: "shared" for q in p.split(",")}})
                for p in patterns]
    return out + ([("auto", "auto", None, None)] if auto else [])


def main(argv=None):
    args = parse_args(argv)
    from . import stiff_problem as bp
    from . import timing
    from .stiff_worker import gpu_lock

    info = env.device_info()
    doc = env.header(SCHEMA, info, {k: v for k, v in vars(args).items() if k not in ("block_sizes", "cap")})
    doc.update(problem={"system": f"kernels.brusselator({args.n})", "method": args.method, "dt": 1e-3,
                        "t1": args.t1, "n_traj": args.n_traj, "tolerance": TOLERANCE[args.precision]},
               results=[])
    path = os.path.join(args.out, f"placement_probe_{env.device_label(info)}"
                                  f"{'_' + args.tag if args.tag else ''}.json")
    dtype = np.dtype(args.precision).type
    tol = TOLERANCE[args.precision]
    y0, params = bp.inputs(args.n, args.n_traj, dtype)
    integ = make_integrator(args.method, args.n, args.precision, args.cap)
    for label, choice, block, pins in variants(args.block_sizes, args.shared, not args.no_auto):
        row = {"label": label, "choice": choice, "block_size": block, "pins": pins}
        try:
            plan = integ.plan(choice, block_size=block, pins=pins)
            start = time.perf_counter()
            try:  # the compile, outside the GPU lock
                row["resources"] = integ.build(plan).resources().to_json()
            except Exception as exc:  # noqa: BLE001 - the simulator has no compiled counts
                row["resources"] = {"unavailable": env.short_error(exc, 160)}
            with gpu_lock(args.gpu_lock) as waited:
                bound = timing.bind_launch(integ, plan, (0.0, args.t1), y0, params, dt=1e-3, rtol=tol, atol=tol)
                row["build_and_first_launch_s"] = time.perf_counter() - start - waited
                row["kernel"] = timing.time_gpu(bound, repeats=args.repeats, warmup=1).to_json()
            row["success_fraction"] = float(np.mean(bound.host_outputs()["status"] == 0))
            row["plan"] = {"block_size": plan.block_size, "shared_bytes_per_block": int(plan.shared_bytes_per_block),
                           "shared_elements": int(plan.shared_elements)}
            row["ok"] = True
            print(f"{label:40s} {row['kernel']['median_ms']:9.3f} ms  shared {plan.shared_bytes_per_block:7d} B/block",
                  flush=True)
        except Exception as exc:  # noqa: BLE001 - a failing variant is a row, the others still run
            row.update(ok=False, error=env.short_error(exc))
            print(f"{label:40s} failed: {row['error'][:200]}", flush=True)
        doc["results"].append(row)
        env.write_json(path, doc)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
