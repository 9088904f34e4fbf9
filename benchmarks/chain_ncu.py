"""Nsight Compute on the oscillator-chain kernels of the placement sweep: where a layout's bytes go (issue #14).

The cost model rates a plan's local-memory traffic by the thread's local bytes
(the stack frame), as if every byte streamed from device memory once a step,
less what the L2 and L1 hold.  RK4 on 256 states float32 breaks it: its plan
with the stages in shared memory cuts 11 % of the local bytes and runs 21 %
slower than all-local, where Tsit5's cuts 19 % and runs 20 % faster.  This
profiles such kernels with a few counters (DRAM bytes, L1 and L2 hit rates,
local load and store instructions and sectors, occupancy) to see which figure
separates them.

``python -m benchmarks.chain_ncu --out DIR`` runs, for each (method, chain
length, precision, placement), ``benchmarks.placement_sweep`` on that one
configuration under ``ncu --metrics ... --launch-count 1`` (the configuration's
first launch: the whole batch, its kernel already compiled), and exports the
report's raw page as ``raw_<method>_n<n>_<precision>_<placement>.csv`` into DIR;
``--summarize DIR`` (no GPU) prints the figures of those pages::

    python3 -m benchmarks.chain_ncu --methods rk4,tsit5 --sizes 128 --precisions float32 \\
        --placements local,greedy --t-end 0.1 --out $OUT/ncu
"""

from __future__ import annotations

import argparse
import glob
import itertools
import os
import shutil
import subprocess
import sys
import tempfile

from . import environment as env
from .stiff_ncu import parsed_with_ncu_options, print_rows, raw_figures, read_pages

#: ncu metric -> (label, scale): what the summary prints.
METRICS = {"gpu__time_duration.sum": ("ms", 1e-6),
           "dram__bytes_read.sum": ("DRAM read (GB)", 1e-9), "dram__bytes_write.sum": ("DRAM write (GB)", 1e-9),
           "lts__t_sector_hit_rate.pct": ("L2 hit %", 1), "l1tex__t_sector_hit_rate.pct": ("L1 hit %", 1),
           "smsp__sass_inst_executed_op_local_ld.sum": ("local ld instr (M)", 1e-6),
           "smsp__sass_inst_executed_op_local_st.sum": ("local st instr (M)", 1e-6),
           "l1tex__t_sectors_pipe_lsu_mem_local_op_ld.sum": ("local ld sectors (M)", 1e-6),
           "l1tex__t_sectors_pipe_lsu_mem_local_op_st.sum": ("local st sectors (M)", 1e-6),
           "smsp__inst_executed.sum": ("warp instr (M)", 1e-6),
           "sm__warps_active.avg.pct_of_peak_sustained_active": ("occupancy %", 1),
           "launch__registers_per_thread": ("registers", 1)}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.chain_ncu", description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="rk4,tsit5")
    ap.add_argument("--sizes", default="128", help="chain lengths n (2n states)")
    ap.add_argument("--precisions", default="float32")
    ap.add_argument("--placements", default="local,greedy", help="placement_sweep placements")
    ap.add_argument("--t-end", type=float, default=0.1, help="fixed steps of dt 1e-3 to this time")
    ap.add_argument("--n-traj", type=int, default=65536)
    args = parsed_with_ncu_options(ap, argv, "per profiled configuration")
    if not args.t_end > 0 or args.n_traj < 1:
        ap.error(f"--t-end must be positive and --n-traj at least 1; got {args.t_end}, {args.n_traj}")
    return args


def configurations(args):
    """``[(stem, placement_sweep argv)]`` for every (method, n, precision, placement)."""
    out = []
    for method, n, precision, placement in itertools.product(
            args.methods.split(","), args.sizes.split(","), args.precisions.split(","), args.placements.split(",")):
        stem = f"{method}_n{n}_{precision}_{placement}"
        out.append((stem, ["--methods", method, "--sizes", n, "--precisions", precision, "--placements", placement,
                           "--blocks", "128", "--t-end", repr(args.t_end), "--n-traj", str(args.n_traj),
                           "--repeats", "1", "--launches-max", "1", "--repeat-budget-s", "0"]))
    return out


def profile(args):
    """Profile every configuration; the number that failed, or None without ncu."""
    ncu = args.ncu or shutil.which("ncu") or "/usr/local/cuda/bin/ncu"
    if not (os.path.isfile(ncu) and os.access(ncu, os.X_OK)):
        print(f"--ncu: no Nsight Compute executable at {ncu!r} (it ships with the CUDA toolkit on the GPU "
              "machine; give its path with --ncu)", file=sys.stderr)
        return None
    os.makedirs(args.out, exist_ok=True)
    failed = 0
    with tempfile.TemporaryDirectory() as work:
        for stem, argv in configurations(args):
            report = os.path.join(work, stem)
            cmd = [ncu, "--clock-control", "none", "--target-processes", "all", "--metrics", ",".join(METRICS),
                   "--launch-count", "1", "-o", report, sys.executable, "-m", "benchmarks.placement_sweep",
                   *argv, "--out", os.path.join(work, stem + "_sweep")]
            try:
                run = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout_s, cwd=env.ROOT)
                if run.returncode != 0 or not os.path.exists(report + ".ncu-rep"):
                    raise RuntimeError(f"ncu failed ({run.returncode}): {(run.stderr or run.stdout)[-400:]}")
                with open(os.path.join(args.out, f"raw_{stem}.csv"), "w") as fh:
                    subprocess.run([ncu, "-i", report + ".ncu-rep", "--csv", "--page", "raw"], stdout=fh,
                                   check=True, timeout=120)
            except (subprocess.TimeoutExpired, subprocess.CalledProcessError, RuntimeError) as exc:
                print(f"{stem}: {exc}", flush=True)
                failed += 1
                continue
            print(f"{stem}: profiled", flush=True)
    return failed


def _rows(folder):
    """The figures of :data:`METRICS` of every ``raw_*.csv`` in ``folder``, one dict per kernel (its file's stem)."""
    paths = sorted(glob.glob(os.path.join(folder, "raw_*.csv")))
    return [{"kernel": os.path.basename(p)[4:-4], **raw_figures(p, METRICS)} for p in paths]


def main(argv=None):
    args = parse_args(argv)
    if args.summarize is None:
        failed = profile(args)
        if failed is None:
            return 2
        args.summarize = args.out
    rows = read_pages(_rows, args.summarize)
    if rows is None:
        return 2
    print_rows(rows, [label for label, _ in METRICS.values()], 28, 17)
    return 0


if __name__ == "__main__":
    sys.exit(main())
