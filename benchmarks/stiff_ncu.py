"""Nsight Compute on the stiff Brusselator kernels: where the time of ours and cubie's goes (issue #10).

``python -m benchmarks.stiff_ncu --out DIR`` writes one ``benchmarks.stiff_worker``
config per (implementation, method), runs each under ``ncu --set full`` (the
clocks left alone, ``--clock-control none``), profiles the worker's second
launch (the whole batch; the first is its one-step compile launch) and exports
the report's ``details`` and ``raw`` pages as ``ncu_<impl>_<method>.csv`` and
``raw_<impl>_<method>.csv`` into ``DIR``.  ``--summarize DIR`` (no GPU) reads
those files back and prints, per kernel, what separates two kernels of the same
step: duration, warp instructions, local loads and stores, DRAM bytes,
registers, occupancy and the instructions a warp issues per step.

On the GPU machine with cubie (``carry: [".cubie"]``, ``benchmarks/results``
moved aside for the 64 MiB limit; about six minutes for the default four)::

    tar xJf .cubie/cubie-site.tar.xz -C /tmp && export PYTHONPATH=/tmp/cubie-site:$PWD && \\
      python3 -m benchmarks.stiff_ncu --out $OUT

``bufferplan-lusym`` (the model from SymPy equations) is accepted as an
implementation too.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

from . import environment as env
from . import stiff_peers
from .stiff_peers import SOLVER_OF

# ncu metric (raw page) -> (label, scale): the figures --summarize prints
RAW = {"gpu__time_duration.sum": ("ms", 1e-6), "smsp__inst_executed.sum": ("warp instr (M)", 1e-6),
       "smsp__sass_inst_executed_op_local_ld.sum": ("local loads (M)", 1e-6),
       "smsp__sass_inst_executed_op_local_st.sum": ("local stores (M)", 1e-6),
       "dram__bytes_read.sum": ("DRAM read (GB)", 1e-9), "dram__bytes_write.sum": ("DRAM write (GB)", 1e-9),
       "launch__registers_per_thread": ("registers", 1), "launch__block_size": ("block", 1),
       "launch__grid_size": ("grid", 1), "sm__warps_active.avg.pct_of_peak_sustained_active": ("occupancy %", 1)}
UNIT_SCALE = {"ns": 1, "us": 1e3, "usecond": 1e3, "ms": 1e6, "msecond": 1e6, "nsecond": 1,
              "byte": 1, "Kbyte": 1e3, "Mbyte": 1e6, "Gbyte": 1e9, "Tbyte": 1e12}


def parsed_with_ncu_options(ap, argv, timeout_help):
    """``ap``'s arguments with the options every Nsight Compute benchmark takes (``--ncu``, ``--timeout-s``,
    ``--out``, ``--summarize``): one of ``--out`` (profile) and ``--summarize`` (read back, no GPU) is required."""
    ap.add_argument("--ncu", default=None, help="the ncu executable (default: on PATH, else /usr/local/cuda/bin)")
    ap.add_argument("--timeout-s", type=float, default=280.0, help=timeout_help)
    ap.add_argument("--out", default=None, help="folder for the exported pages")
    ap.add_argument("--summarize", default=None, metavar="DIR", help="print the figures of the pages in DIR; no GPU")
    args = ap.parse_args(argv)
    if args.summarize is None and args.out is None:
        ap.error("--out (profile) or --summarize DIR (read back) is required")
    return args


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--impls", default="bufferplan-lu,cubie-lu", help=f"of {sorted(SOLVER_OF)}")
    ap.add_argument("--methods", default="rodas4,sdirk4")
    ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--precision", default="float32", choices=("float32", "float64"))
    ap.add_argument("--n-traj", type=int, default=65536)
    ap.add_argument("--steps", type=int, default=10, help="fixed steps of dt = 1e-3")
    args = parsed_with_ncu_options(ap, argv, "per profiled worker")
    bad = sorted(set(args.impls.split(",")) - set(SOLVER_OF))
    if bad:
        ap.error(f"--impls: unknown {bad}; choose from {sorted(SOLVER_OF)}")
    if args.n < 2 or args.n % 2:
        ap.error(f"--n: the Brusselator needs an even number of states of at least 2; got {args.n}")
    if args.steps < 1 or args.n_traj < 1:
        ap.error("--steps and --n-traj must be positive")
    return args


def worker_configs(args, work):
    """``[(stem, config)]``: the ``stiff_worker`` configs ``stiff_peers`` would write for these kernels
    (all-local plans, one timed launch), each writing its final states into ``work``."""
    argv = ["--impls", args.impls, "--methods", args.methods, "--sizes", str(args.n), "--precisions", args.precision,
            "--plans", "local", "--n-traj", str(args.n_traj), "--t1-by-n", f"{args.n}:{args.steps * 1e-3!r}",
            "--repeats", "1", "--time-budget-s", "1"]
    out = []
    for cfg in stiff_peers.configurations(stiff_peers.parse_args(argv)):
        stem = f"{cfg['impl_name']}_{cfg['method']}"
        out.append((stem, dict(cfg, out_npy=os.path.join(work, stem + ".npy"), lock=None)))
    return out


def profile(args):
    ncu = args.ncu or shutil.which("ncu") or "/usr/local/cuda/bin/ncu"
    if not (os.path.isfile(ncu) and os.access(ncu, os.X_OK)):
        print(f"--ncu: no Nsight Compute executable at {ncu!r} (it ships with the CUDA toolkit on the GPU "
              f"machine; give its path with --ncu)", file=sys.stderr)
        return None
    os.makedirs(args.out, exist_ok=True)
    failed = 0
    with tempfile.TemporaryDirectory() as work:
        for stem, cfg in worker_configs(args, work):
            path = os.path.join(work, stem + ".json")
            with open(path, "w") as fh:
                json.dump(cfg, fh)
            report = os.path.join(work, stem)
            cmd = [ncu, "--clock-control", "none", "--target-processes", "all", "--set", "full",
                   "--import-source", "no", "--launch-skip", "1", "--launch-count", "1", "-o", report,
                   sys.executable, "-m", "benchmarks.stiff_worker", path]
            try:
                run = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout_s, cwd=env.ROOT)
            except subprocess.TimeoutExpired:
                print(f"{stem}: timeout after {args.timeout_s:.0f} s", flush=True)
                failed += 1
                continue
            if run.returncode != 0 or not os.path.exists(report + ".ncu-rep"):
                print(f"{stem}: ncu failed ({run.returncode}): {(run.stderr or run.stdout)[-400:]}", flush=True)
                failed += 1
                continue
            try:
                for page, prefix in (("details", "ncu"), ("raw", "raw")):
                    with open(os.path.join(args.out, f"{prefix}_{stem}.csv"), "w") as fh:
                        subprocess.run([ncu, "-i", report + ".ncu-rep", "--csv", "--page", page], stdout=fh,
                                       check=True, timeout=120)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                print(f"{stem}: exporting the report failed: {exc}", flush=True)
                failed += 1
                continue
            print(f"{stem}: profiled", flush=True)
    return failed


def raw_figures(path, metrics=None):
    """``{label: value}`` of ``metrics`` (``{ncu metric: (label, scale)}``, default :data:`RAW`) from one
    exported raw page (its first kernel)."""
    metrics = RAW if metrics is None else metrics
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 3:
        raise ValueError(f"{path}: not an ncu raw page (expected a header, a units row and a kernel row)")
    names, units, values = rows[0], rows[1], rows[2]
    out = {}
    for metric, (label, scale) in metrics.items():
        if metric not in names:
            continue
        k = names.index(metric)
        try:
            value = float(values[k].replace(",", ""))
        except ValueError:
            raise ValueError(f"{path}: {metric} is {values[k]!r}, not a number") from None
        out[label] = value * UNIT_SCALE.get(units[k], 1) * scale
    return out


def summarize(folder, steps, n_traj):
    """The figures of every ``raw_*.csv`` in ``folder``, one dict per kernel (``kernel``: the file's stem)."""
    rows, warps = [], n_traj / 32
    for path in sorted(glob.glob(os.path.join(folder, "raw_*.csv"))):
        row = {"kernel": os.path.basename(path)[4:-4], **raw_figures(path)}
        if "warp instr (M)" in row:
            row["instr/warp/step"] = row["warp instr (M)"] * 1e6 / warps / steps
        rows.append(row)
    return rows


def read_pages(read, folder):
    """``read(folder)``'s rows of exported pages, or None after saying why on stderr: a page that could not be read,
    or no ``raw_*.csv`` in ``folder``."""
    try:
        rows = read(folder)
    except (OSError, ValueError) as exc:
        print(f"--summarize: {exc}", file=sys.stderr)
        return None
    if not rows:
        print(f"--summarize: no raw_*.csv in {folder}", file=sys.stderr)
    return rows or None


def print_rows(rows, labels, first, width):
    """Print ``rows`` (dicts with ``kernel`` and the ``labels``) as a table: the kernel in ``first`` columns, each
    label in ``width`` (cut to fit), NaN where a row lacks it."""
    print("kernel".ljust(first) + "".join(f"{label[:width - 1]:>{width}s}" for label in labels))
    for row in rows:
        print(row["kernel"].ljust(first) + "".join(f"{row.get(label, float('nan')):{width}.4g}" for label in labels))


def main(argv=None):
    args = parse_args(argv)
    if args.summarize is not None:
        rows = read_pages(lambda folder: summarize(folder, args.steps, args.n_traj), args.summarize)
        if rows is None:
            return 2
        print_rows(rows, [k for k in rows[0] if k != "kernel"], 26, 18)
        return 0
    failed = profile(args)
    return 2 if failed is None else 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
