"""Planner benchmark: peak, gap to the lower bound and solve time of every planner.

Two families of instances, each at 10, 50, 200 and 1000 buffers and several seeds:

- ``random``: lifetimes of one or two random intervals on a timeline as long as
  the buffer count, sizes 1..100 elements, one buffer in ten persistent;
- ``integrator``: integrator-like component trees built with BufferSettings:
  a loop (persistent state, FSAL cache, error estimate) stepping through
  substeps, each a DIRK-like step of s stages whose stage solves invoke Newton,
  which invokes a linear solver in each iteration; sizes scale with a random
  state dimension; scratch buffers on random phase ranges top each instance up
  to the exact buffer count.

Every buffer is pinned shared and the capacity is unbounded, so every planner
places the same set and the peaks compare directly. The gap is
``peak / lower_bound - 1`` with the lower bound the live-size peak or CP-SAT's
proven bound, whichever is larger.

Usage::

    python -m benchmarks.planner_bench [--sizes 10 50 200 1000] [--seeds 5]
        [--time-limit 5] [--workers 2] [--out benchmarks/results/planner_bench.json]
"""

import argparse
import datetime
import json
import os
import platform
import random
import statistics
import sys
import time

if not __package__:  # run as a file: the imports below are package-relative
    raise SystemExit("run it as a module from the repository root: python -m benchmarks.planner_bench [options]")

from .environment import ROOT  # noqa: E402

import planner.cpsat  # noqa: E402,F401  (import OR-Tools now, not inside the first timed solve)
from planner import Buffer, BufferSettings, Phase, PlanningProblem, live_peak, solve  # noqa: E402
from planner.device import without_shared_limit  # noqa: E402

PLANNERS = ("sequential", "greedy", "cpsat")
UNBOUNDED = 10 ** 12
# an abstract memory's capacity, not a GPU block's: the device without a shared-memory limit (a problem on a real
# device refuses a capacity it cannot launch)
ABSTRACT = without_shared_limit("h100")


def random_problem(n, seed):
    """``n`` buffers with one or two random intervals each on a timeline of ``n`` points."""
    rng = random.Random(seed)
    buffers = []
    for i in range(n):
        intervals = []
        for _ in range(rng.choice((1, 1, 2))):
            start = rng.randrange(n)
            intervals.append((start, rng.randint(start + 1, min(n, start + max(2, n // 4)))))
        buffers.append(Buffer(f"b{i}", rng.randint(1, 100), "shared", rng.random() < 0.1, tuple(intervals)))
    return PlanningProblem(buffers=tuple(buffers), shared_capacity=UNBOUNDED, device=ABSTRACT)


def _linear_solver(rng, dim):
    krylov = rng.randint(2, 6)
    return BufferSettings("linear", (Phase("init"), Phase("arnoldi"), Phase("update"), Phase("finish")), (
        Buffer("basis", dim * krylov, "shared", lifetime=(("init", "update"),)),
        Buffer("hessenberg", krylov * (krylov + 1), "shared", lifetime=(("arnoldi", "update"),)),
        Buffer("work", dim, "shared", lifetime=(("arnoldi", "arnoldi"),)),
        Buffer("givens", 2 * krylov, "shared", lifetime=(("arnoldi", "finish"),)),
    ))


def _newton(rng, dim):
    iterations = rng.randint(1, 3)
    phases = [Phase("residual")] + [Phase(f"iter{k}", "linear") for k in range(iterations)] + [Phase("check")]
    last = phases[-2].name
    return BufferSettings("newton", tuple(phases), (
        Buffer("residual", dim, "shared", lifetime=(("residual", last),)),
        Buffer("delta", dim, "shared", lifetime=(("iter0", "check"),)),
        Buffer("jac_diag", dim, "shared", lifetime=(("residual", "iter0"),)),
    ), (_linear_solver(rng, dim),))


def _dirk(name, rng, dim):
    stages = rng.randint(2, 5)
    phases = [Phase(f"stage{k}", "newton") for k in range(stages)] + [Phase("combine"), Phase("error")]
    buffers = [Buffer("stage_increments", dim * stages, "shared", lifetime=(("stage0", "combine"),)),
               Buffer("stage_base", dim, "shared", lifetime=(("stage0", f"stage{stages - 1}"),)),
               Buffer("error_estimate", dim, "shared", lifetime=(("combine", "error"),))]
    buffers += [Buffer(f"rhs{k}", dim, "shared", lifetime=((f"stage{k}", "combine"),)) for k in range(stages)]
    return BufferSettings(name, tuple(phases), tuple(buffers), (_newton(rng, dim),))


def integrator_problem(n, seed):
    """A loop of DIRK-like substeps (Newton, linear solver inside), topped up to ``n`` buffers."""
    rng = random.Random(seed)
    substeps, count = [], 3
    while count < n and (not substeps or count + 20 <= n):
        step = _dirk(f"sub{len(substeps)}", rng, rng.randint(2, 24))
        substeps.append(step)
        count += len(step.buffers) + 3 + 4
    phases = [Phase("start")] + [Phase(f"p{k}", s.component) for k, s in enumerate(substeps)] + [Phase("save")]
    loop_buffers = [Buffer("state", rng.randint(2, 24), "shared", persistent=True),
                    Buffer("fsal", rng.randint(2, 24), "shared", persistent=True),
                    Buffer("error", rng.randint(2, 24), "shared", lifetime=(("p0", "save"),))]
    loop = BufferSettings("loop", tuple(phases), tuple(loop_buffers), tuple(substeps))
    buffers = list(loop.qualified_buffers())[:n]
    horizon = loop.length
    for i in range(n - len(buffers)):  # scratch buffers on random ranges of the timeline
        start = rng.randrange(horizon)
        buffers.append(Buffer(f"scratch.s{i}", rng.randint(1, 48), "shared",
                              lifetime=((start, rng.randint(start + 1, min(horizon, start + 8))),)))
    return PlanningProblem(buffers=tuple(buffers), shared_capacity=UNBOUNDED, device=ABSTRACT)


FAMILIES = {"random": random_problem, "integrator": integrator_problem}


def scale_problem(n, seed=0):
    """``n`` buffers in the shape of a long trace: a timeline of ``n`` points, each buffer alive for
    1 + Exp(mean 16) points from a random start (about 32 alive at a time), sizes 1..1024, all pinned
    shared, capacity unbounded."""
    rng = random.Random(seed)
    buffers = []
    for i in range(n):
        start = rng.randrange(n)
        end = min(n, start + 1 + int(rng.expovariate(1 / 16)))
        buffers.append(Buffer(f"b{i}", rng.randint(1, 1024), "shared", lifetime=((start, max(end, start + 1)),)))
    return PlanningProblem(buffers=tuple(buffers), block_size=1, shared_capacity=UNBOUNDED, device=ABSTRACT)


def scale(n, planner, time_limit, workers):
    """One planner on ``scale_problem(n)``: the solve call's wall time, its provenance times, peak RSS."""
    import resource

    problem = scale_problem(n)
    start = time.perf_counter()
    plan = solve(problem, planner, time_limit_s=time_limit, workers=workers)
    seconds = time.perf_counter() - start
    p = plan.provenance
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    record = {"family": "scale", "buffers": n, "planner": planner, "peak": plan.shared_elements,
              "lower_bound": p.lower_bound, "status": p.status, "seconds": seconds,
              "setup_seconds": p.setup_seconds, "solve_seconds": p.solve_seconds,
              "verify_seconds": p.verify_seconds, "total_seconds": p.total_seconds,
              "max_rss_mib": round(rss, 1)}
    print(f"scale n={n} {planner}: peak {plan.shared_elements} (live bound {p.lower_bound}), {p.status}, "
          f"{seconds:.2f} s for the solve call (set-up {p.setup_seconds:.2f}, solve {p.solve_seconds:.2f}, "
          f"verify {p.verify_seconds:.2f}), peak RSS {rss:.0f} MiB (the whole process)")
    return record


def run_one(problem, planner, time_limit, workers):
    start = time.perf_counter()
    plan = solve(problem, planner, time_limit_s=time_limit, workers=workers)
    seconds = time.perf_counter() - start
    return plan, seconds


def bench(sizes, seeds, time_limit, workers, log=print):
    records = []
    for family, make in FAMILIES.items():
        for n in sizes:
            for seed in range(seeds):
                problem = make(n, seed)
                live = live_peak(problem, [b.name for b in problem.planned])
                plans = {p: run_one(problem, p, time_limit, workers) for p in PLANNERS}
                bound = max([live] + [plan.provenance.lower_bound for plan, _ in plans.values()])
                for planner, (plan, seconds) in plans.items():
                    records.append({"family": family, "buffers": n, "seed": seed, "planner": planner,
                                    "peak": plan.shared_elements, "lower_bound": bound,
                                    "gap_percent": 100.0 * (plan.shared_elements / bound - 1) if bound else 0.0,
                                    "status": plan.provenance.status, "seconds": seconds})
                cp = plans["cpsat"][0]
                log(f"  {family:10s} n={n:5d} seed={seed} bound={bound} " + " ".join(
                    f"{p}={plans[p][0].shared_elements}" for p in PLANNERS) +
                    f" cpsat {cp.provenance.status} {plans['cpsat'][1]:.2f}s")
    return records


def summarise(records):
    rows = []
    keys = sorted({(r["family"], r["buffers"], r["planner"]) for r in records},
                  key=lambda k: (k[0], k[1], PLANNERS.index(k[2])))
    for family, n, planner in keys:
        group = [r for r in records if (r["family"], r["buffers"], r["planner"]) == (family, n, planner)]
        greedy = {r["seed"]: r["peak"] for r in records
                  if (r["family"], r["buffers"], r["planner"]) == (family, n, "greedy")}
        rows.append({"family": family, "buffers": n, "planner": planner, "instances": len(group),
                     "median_peak": statistics.median(r["peak"] for r in group),
                     "median_gap_percent": statistics.median(r["gap_percent"] for r in group),
                     "max_gap_percent": max(r["gap_percent"] for r in group),
                     "median_seconds": statistics.median(r["seconds"] for r in group),
                     "max_seconds": max(r["seconds"] for r in group),
                     "optimal": sum(r["gap_percent"] == 0 for r in group),
                     "worse_than_greedy": sum(r["peak"] > greedy[r["seed"]] for r in group)})
    return rows


def table(rows):
    head = (f"{'family':10s} {'n':>5s} {'planner':10s} {'med peak':>9s} {'med gap%':>8s} {'max gap%':>8s} "
            f"{'med s':>7s} {'max s':>7s} {'at LB':>6s} {'>greedy':>7s}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['family']:10s} {r['buffers']:5d} {r['planner']:10s} {r['median_peak']:9.0f} "
                     f"{r['median_gap_percent']:8.2f} {r['max_gap_percent']:8.2f} {r['median_seconds']:7.3f} "
                     f"{r['max_seconds']:7.3f} {r['optimal']:>3d}/{r['instances']:<2d} {r['worse_than_greedy']:7d}")
    return "\n".join(lines)


def environment():
    """CPU model, core count, package versions and date of the run."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import networkx
    import numpy
    import ortools
    return {"device": f"{cpu} ({os.cpu_count()} cores)", "python": platform.python_version(),
            "versions": {"ortools": ortools.__version__, "networkx": networkx.__version__,
                         "numpy": numpy.__version__},
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join(["python -m benchmarks.planner_bench"] + sys.argv[1:])}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.planner_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200, 1000])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=5.0, help="CP-SAT seconds per instance")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers (threads)")
    parser.add_argument("--scale", type=int, metavar="N",
                        help="instead: plan one scale_problem(N) with --planner and report time and memory")
    parser.add_argument("--planner", choices=PLANNERS, default="greedy", help="planner for --scale")
    parser.add_argument("--out", default=None, help="JSON results (default benchmarks/results/planner_bench.json, "
                        "or planner_scale_N_PLANNER.json with --scale)")
    args = parser.parse_args(argv)
    if args.scale:
        result = dict(environment(), time_limit_s=args.time_limit, workers=args.workers,
                      instance=scale_problem.__doc__.replace("\n", " "),
                      record=scale(args.scale, args.planner, args.time_limit, args.workers))
        _write(args.out or os.path.join(ROOT, "benchmarks", "results",
                                        f"planner_scale_{args.scale}_{args.planner}.json"), result)
        return
    records = bench(args.sizes, args.seeds, args.time_limit, args.workers)
    rows = summarise(records)
    print(table(rows))
    result = dict(environment(), time_limit_s=args.time_limit, workers=args.workers,
                  summary=rows, instances=records)
    _write(args.out or os.path.join(ROOT, "benchmarks", "results", "planner_bench.json"), result)


def _write(path, result):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
