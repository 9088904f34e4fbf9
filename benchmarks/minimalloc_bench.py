"""MiniMalloc "challenging" instances at the ``planner`` command line's default settings.

Each CSV in ``benchmarks/data/minimalloc-challenging`` (google/minimalloc, ASPLOS 2023; see the
README there) is read and planned exactly as ``planner plan FILE.csv`` does with no options: the
cpsat planner, one worker, seed 0 (deterministic), a 10 s limit for the whole call, goal "fit"
(the default for a MiniMalloc CSV: stop at the first layout within the capacity, which is
MiniMalloc's problem), capacity from the file name (1048576). The options come from the CLI's own
parser, so a change of its defaults shows here.

Per instance: buffers, capacity, peak, whether it fits, status, the seconds of the solve call
(greedy hint, model building, search and verification; the provenance's ``total_seconds``), the
median over ``--repeat`` runs (default 3) with the CPU seconds of the process beside it (on a
shared machine wall time grows with the other load, CPU time much less), whether every run gave the
same plan (its digest), and MiniMalloc's seconds with their basis. MiniMalloc cannot be built here (no access to its
source repository from this machine), so its times are those issue 12 reports for MiniMalloc
built from its public source and run on this kind of machine (2 cores; about 0.75x its published
times): D 2.0 s, I 2.7 s, J 0.66 s, K 0.47 s. For the other seven instances the issue reports
only that the planner was faster; no time is given, so none is shown.

Usage::

    python -m benchmarks.minimalloc_bench [--dir DIR] [--instances A B ...] [--repeat N] [--out FILE]
"""

import argparse
import glob
import json
import os
import statistics
import sys
import time

if not __package__:  # run as a file: the imports below are package-relative
    raise SystemExit("run it as a module from the repository root: python -m benchmarks.minimalloc_bench [options]")

import planner.cpsat  # noqa: E402,F401  (import OR-Tools now, not inside the first timed solve)
from planner import cli  # noqa: E402
from planner.interference import live_peak  # noqa: E402

from .environment import ROOT  # noqa: E402
from .planner_bench import environment  # noqa: E402

DEFAULT_DIR = os.path.join(ROOT, "benchmarks", "data", "minimalloc-challenging")
MINIMALLOC_SECONDS = {"D": 2.0, "I": 2.7, "J": 0.66, "K": 0.47}
MINIMALLOC_BASIS = ("MiniMalloc built from its public source and run on this kind of machine (2 cores), "
                    "as reported in issue 12 (about 0.75x its published times)")
NO_TIME_BASIS = "no time given (issue 12 reports only that the planner was faster)"


def run(path, repeat=1):
    """Plan ``path`` as ``planner plan PATH`` does, ``repeat`` times: its record (medians over the runs)."""
    args = cli.build_parser().parse_args(["plan", path])
    start = time.perf_counter()
    problem = cli.load_problem(path, args)
    loaded = time.perf_counter()
    letter = os.path.basename(path).split(".")[0]
    record = {"instance": letter, "buffers": len(problem.planned), "capacity": problem.capacity_elems,
              "live_peak": live_peak(problem, [b.name for b in problem.planned]),
              "settings": {"planner": args.planner, "time_limit_s": args.time_limit, "workers": 1, "seed": 0,
                           "goal": cli.goal_for(path, args)},
              "minimalloc_seconds": MINIMALLOC_SECONDS.get(letter),
              "minimalloc_basis": MINIMALLOC_BASIS if letter in MINIMALLOC_SECONDS else NO_TIME_BASIS}
    plans, cpu = [], []
    for _ in range(repeat):
        begin, clock = time.perf_counter(), time.process_time()
        try:
            plans.append(cli.run_planner(problem, args.planner, args.time_limit, cli.goal_for(path, args)))
        except Exception as exc:  # noqa: BLE001  (a failure is a row of the table, not the end of the run)
            record.update(peak=None, fits=False, status=f"{type(exc).__name__}: {exc}", same_plan=None,
                          seconds=time.perf_counter() - begin, cpu_seconds=time.process_time() - clock,
                          load_seconds=loaded - start)
            return record
        cpu.append(time.process_time() - clock)
    plan, runs = plans[0], [q.provenance for q in plans]
    p = plan.provenance
    record.update(peak=plan.shared_elements, fits=plan.shared_elements <= problem.capacity_elems,
                  status=p.status, seconds=statistics.median(r.total_seconds for r in runs),
                  run_seconds=[r.total_seconds for r in runs], cpu_seconds=statistics.median(cpu),
                  same_plan=len({q.digest for q in plans}) == 1, plan_digest=plan.digest,
                  setup_seconds=p.setup_seconds, solve_seconds=p.solve_seconds, verify_seconds=p.verify_seconds,
                  load_seconds=loaded - start)
    mm = record["minimalloc_seconds"]
    record["faster_than_minimalloc"] = None if mm is None else record["seconds"] < mm
    return record


def table(records):
    head = (f"{'id':3s} {'n':>4s} {'capacity':>9s} {'peak':>9s} {'fits':>5s} {'status':9s} {'seconds':>8s} "
            f"{'cpu s':>6s} {'same':>5s} {'MiniMalloc s':>12s} {'faster':>6s}")
    lines = [head, "-" * len(head)]
    for r in records:
        peak = "-" if r["peak"] is None else str(r["peak"])
        mm = "-" if r["minimalloc_seconds"] is None else f"{r['minimalloc_seconds']:.2f}"
        faster = "-" if r.get("faster_than_minimalloc") is None else ("yes" if r["faster_than_minimalloc"] else "NO")
        same = "-" if r["same_plan"] is None else ("yes" if r["same_plan"] else "NO")
        lines.append(f"{r['instance']:3s} {r['buffers']:4d} {r['capacity']:9d} {peak:>9s} {str(r['fits']):>5s} "
                     f"{r['status'][:9]:9s} {r['seconds']:8.2f} {r['cpu_seconds']:6.2f} {same:>5s} {mm:>12s} "
                     f"{faster:>6s}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", default=DEFAULT_DIR, help="folder of the *.CAPACITY.csv files")
    parser.add_argument("--instances", nargs="*", help="letters to run (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per instance (median time; default 3)")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "minimalloc_bench.json"))
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat: expected at least 1 run per instance, got {args.repeat}")
    paths = sorted(glob.glob(os.path.join(args.dir, "*.csv")))
    if args.instances:
        paths = [p for p in paths if os.path.basename(p).split(".")[0] in args.instances]
    if not paths:
        parser.error(f"no CSV instances in {args.dir!r}; pass --dir")
    records = []
    for path in paths:
        records.append(run(path, args.repeat))
        r = records[-1]
        print(f"{r['instance']}: peak {r['peak']}, {r['status'][:60]}, {r['seconds']:.2f} s "
              f"(CPU {r['cpu_seconds']:.2f} s)", flush=True)
    print()
    print("planner at the CLI defaults: cpsat, 1 worker, seed 0, --time-limit 10 (whole call), goal fit "
          f"(default for .csv); seconds = the solve call (provenance total_seconds), median of {args.repeat} runs; "
          "cpu s = the process's CPU seconds for it; same = one plan digest over the runs")
    print(table(records))
    print(f"MiniMalloc's seconds: {MINIMALLOC_BASIS}; '-': {NO_TIME_BASIS}")
    fit = sum(r["fits"] for r in records)
    compared = [r for r in records if r.get("faster_than_minimalloc") is not None]
    print(f"fit: {fit}/{len(records)}; faster than MiniMalloc: "
          f"{sum(r['faster_than_minimalloc'] for r in compared)}/{len(compared)} of the instances with a time")
    result = dict(environment(), settings=records[0]["settings"], minimalloc_basis=MINIMALLOC_BASIS,
                  repeat=args.repeat, load_average=os.getloadavg(), instances=records)
    result["command"] = " ".join(["python -m benchmarks.minimalloc_bench"] + (argv or sys.argv[1:]))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
