"""MiniMalloc "challenging" instances: does every planner fit them under the capacity?

The eleven CSV files (google/minimalloc, ASPLOS 2023; see SOURCE.md beside
them) are read as problems with every buffer pinned shared, block size 1 and
one element per size unit. The capacity is the number in the file name
(1048576).

- ``cpsat`` is given that capacity as ``shared_capacity``: fitting under it is
  the bar, and a tight bound keeps CP-SAT's domains small. It still minimises
  the peak below the capacity in the time it has left.
- ``greedy`` and ``sequential`` overshoot that capacity, and a planner refuses a
  problem it cannot fit, so they are run with an unbounded capacity to measure
  how far over they land.

Per instance and planner: peak / capacity, whether it fits, seconds, and the
gap to the lower bound (the live-size peak, or CP-SAT's proven bound if larger).

Usage::

    python -m benchmarks.minimalloc_bench [--dir ../shared/benchmarks/minimalloc-challenging]
        [--time-limit 60] [--workers 2] [--instances A B ...] [--planners cpsat greedy sequential]
"""

import argparse
import csv
import glob
import json
import os
import statistics
import time

if not __package__:  # run as a file: the imports below are package-relative
    raise SystemExit("run it as a module from the repository root: python -m benchmarks.minimalloc_bench [options]")

from .environment import ROOT  # noqa: E402

from planner import Buffer, InfeasibleError, PlanningProblem, live_peak, solve  # noqa: E402

from .planner_bench import environment  # noqa: E402

DEFAULT_DIR = os.path.join(os.path.dirname(ROOT), "shared", "benchmarks", "minimalloc-challenging")
PLANNERS = ("cpsat", "greedy", "sequential")


def load(path):
    """The instance as a problem with capacity from its name; csvio's reader when it is there."""
    try:
        from planner.csvio import load_minimalloc_csv
    except ImportError:
        load_minimalloc_csv = None
    if load_minimalloc_csv is not None:
        return load_minimalloc_csv(path)
    capacity = int(os.path.basename(path).split(".")[1])
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    buffers = tuple(Buffer(f"b{r['id']}", int(r["size"]), "shared", lifetime=((int(r["lower"]), int(r["upper"])),))
                    for r in rows)
    return PlanningProblem(buffers=buffers, block_size=1, shared_capacity=capacity)


def run(problem, planner, time_limit, workers):
    capacity = problem.shared_capacity
    if planner != "cpsat":
        problem = problem.replace(shared_capacity=sum(b.size_elems for b in problem.planned))
    start = time.perf_counter()
    try:
        plan = solve(problem, planner, time_limit_s=time_limit, workers=workers)
    except InfeasibleError as exc:
        return {"planner": planner, "peak": None, "fits": False, "status": f"none: {exc}",
                "seconds": time.perf_counter() - start, "bound": 0}
    return {"planner": planner, "peak": plan.shared_elements, "fits": plan.shared_elements <= capacity,
            "status": plan.provenance.status, "seconds": time.perf_counter() - start,
            "bound": plan.provenance.lower_bound}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.minimalloc_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--dir", default=DEFAULT_DIR, help="folder of the *.CAPACITY.csv files")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance and planner")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers (threads)")
    parser.add_argument("--instances", nargs="*", help="letters to run (default: all)")
    parser.add_argument("--planners", nargs="*", default=list(PLANNERS), choices=PLANNERS)
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "minimalloc_bench.json"))
    args = parser.parse_args(argv)
    paths = sorted(glob.glob(os.path.join(args.dir, "*.csv")))
    if args.instances:
        paths = [p for p in paths if os.path.basename(p).split(".")[0] in args.instances]
    if not paths:
        parser.error(f"no CSV instances in {args.dir!r}; pass --dir")
    records = []
    for path in paths:
        problem = load(path)
        capacity = problem.shared_capacity
        live = live_peak(problem, [b.name for b in problem.planned])
        results = [run(problem, p, args.time_limit, args.workers) for p in args.planners]
        bound = max([live] + [r["bound"] for r in results])
        for r in results:
            r.update(instance=os.path.basename(path).split(".")[0], buffers=len(problem.planned),
                     capacity=capacity, lower_bound=bound,
                     peak_over_capacity=None if r["peak"] is None else r["peak"] / capacity,
                     gap_percent=None if r["peak"] is None else 100.0 * (r["peak"] / bound - 1))
            records.append(r)
            print(row(r), flush=True)
    print(table(records))
    summary = {p: {"fit": sum(r["fits"] for r in records if r["planner"] == p),
                   "instances": sum(r["planner"] == p for r in records),
                   "median_seconds": statistics.median(r["seconds"] for r in records if r["planner"] == p)}
               for p in args.planners}
    print("fits: " + ", ".join(f"{p} {s['fit']}/{s['instances']}" for p, s in summary.items()))
    result = dict(environment(), time_limit_s=args.time_limit, workers=args.workers,
                  capacity_rule="cpsat: shared_capacity = capacity from the file name; greedy and sequential: "
                                "unbounded capacity, fits = peak <= capacity",
                  summary=summary, instances=records)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)
    print(f"wrote {args.out}")


def row(r):
    peak = "-" if r["peak"] is None else f"{r['peak_over_capacity']:.4f}"
    gap = "-" if r["gap_percent"] is None else f"{r['gap_percent']:.2f}"
    return (f"{r['instance']:3s} {r['buffers']:5d} {r['planner']:10s} {peak:>9s} {str(r['fits']):>5s} "
            f"{gap:>7s} {r['seconds']:7.2f} {r['lower_bound'] / r['capacity']:8.4f} {r['status'][:40]}")


def table(records):
    head = (f"{'id':3s} {'n':>5s} {'planner':10s} {'peak/cap':>9s} {'fits':>5s} {'gap%':>7s} {'sec':>7s} "
            f"{'LB/cap':>8s} status")
    return "\n".join([head, "-" * len(head)] + [row(r) for r in records])


if __name__ == "__main__":
    main()
