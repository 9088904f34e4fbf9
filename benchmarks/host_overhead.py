"""Host time per repeated solve (issue 8, item 3): what a loop of calls pays before the kernel runs.

    python -m benchmarks.host_overhead --sizes 10,14,20 --out DIR

The problem is the Lorenz ensemble of ``benchmarks.peers`` (Tsit5, fixed dt = 1e-3 on
[0, 1] by default; ``--problem lorenz96``, ``--method``, ``--adaptive``, ``--t1``, ``--dt``
change it).  For each N
and each call path, after warm-up calls (the first one plans and compiles):

    host_us        time.perf_counter around one call; the device is synchronised before the
                   timer starts and after it stops, outside the timed region, so the GPU queue
                   is empty and only the host's work is counted
    host_sync_us   the same with the synchronise inside the timed region (host work + the GPU's)
    span_ms        CUDA events recorded before and after the call: the GPU-timeline span of
                   the call (idle gaps and copies included)

and once per N ``kernel_ms``: CUDA events around the bare ``BatchKernel.launch`` of the same
plan with ``Integrator.solve``'s arguments (``benchmarks.timing``), the kernel's own time.

Call paths (``--paths``):

    integrator-out    Integrator.solve(t_span, d_y0, d_params, dt=..., out=previous) on device
                      arrays, writing the previous result's arrays again (the repeated-call path)
    solve_ivp-out     kernels.solve_ivp(..., d_y0, d_params, out=previous): the thin wrapper
    solve_ivp-device  kernels.solve_ivp on device arrays without out (outputs allocated per call)
    solve_ivp-host    kernels.solve_ivp on host arrays without out, results copied back (the old way)

The last two use only the API that bufferplan had before ``Integrator`` existed, so running
``--paths solve_ivp-device,solve_ivp-host`` against an older checkout measures "before"
(without ``kernels.Integrator`` the kernel time is left out and said so).

Output: ``<out>/host_overhead_<device>[_<tag>].json`` (device, versions, git, date, command,
settings, one row per path and N) and a table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

if not __package__:  # run as a file: the imports below are package-relative
    raise SystemExit("run it as a module from the repository root: python -m benchmarks.host_overhead [options]")

import numpy as np  # noqa: E402

from . import timing  # noqa: E402 - imports kernels, which chooses the GPU or the simulator
from .environment import RESULTS, device_info, device_label, header, short_error, write_json  # noqa: E402
from .lorenz_problem import DTYPE  # noqa: E402
from .peer_problems import PROBLEM_NAMES, get_problem  # noqa: E402

SCHEMA = "bufferplan.host_overhead/1"
PATHS = ("integrator-out", "solve_ivp-out", "solve_ivp-device", "solve_ivp-host")
TARGET_US, TARGET_LOG2 = 100.0, 10


def _stats_us(values):
    values = sorted(values)
    return {"median": float(statistics.median(values)), "min": float(values[0]),
            "p90": float(values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]),
            "all": [round(v, 2) for v in values]}


class Problem:
    """The inputs, solve arguments and (new API only) the Integrator of one N."""

    def __init__(self, args, n):
        import kernels

        self.kernels, self.args, self.n = kernels, args, n
        problem = get_problem(args.problem)
        self.system = problem.system()
        self.y0, self.params = problem.make_problem(n)
        from numba import cuda

        self.d_y0, self.d_params = cuda.to_device(self.y0), cuda.to_device(self.params)
        self.controller = "pi" if args.adaptive else "fixed"
        self.kw = {"dt": args.dt, "t_eval": np.array([args.t1])}
        if args.adaptive:
            self.kw.update(rtol=args.rtol, atol=args.atol)
        self.integ, self.launch_y = None, None
        if hasattr(kernels, "Integrator"):
            self.integ = kernels.Integrator(self.system, args.method, self.controller, DTYPE)

    def call(self, path):
        """A zero-argument function making one call of ``path`` (warmed up by the caller)."""
        k, span, kw = self.kernels, (0.0, self.args.t1), self.kw
        common = dict(method=self.args.method, controller=self.controller, precision=DTYPE, **kw)
        if path == "integrator-out":
            held = [self.integ.solve(span, self.d_y0, self.d_params, **kw)]
            return lambda: self.integ.solve(span, self.d_y0, self.d_params, out=held[0], **kw)
        if path == "solve_ivp-out":
            held = [k.solve_ivp(self.system, span, self.d_y0, self.d_params, **common)]
            return lambda: k.solve_ivp(self.system, span, self.d_y0, self.d_params, out=held[0], **common)
        if path == "solve_ivp-device":
            return lambda: k.solve_ivp(self.system, span, self.d_y0, self.d_params, **common)
        if path == "solve_ivp-host":
            return lambda: k.solve_ivp(self.system, span, self.y0, self.params, **common)
        raise ValueError(f"path must be one of {PATHS}; got {path!r}")

    def kernel_ms(self):
        """Events around the bare launch of the plan ``Integrator.solve`` uses by default (``plan="auto"``)."""
        if self.integ is None:
            return None, "kernels.Integrator is not there (an older checkout): kernel time left out"
        bound = timing.bind_launch(self.integ, self.integ.plan("auto"), (0.0, self.args.t1), self.d_y0,
                                   self.d_params, **self.kw)
        t = timing.time_gpu(bound, repeats=self.args.kernel_repeats, warmup=1)
        self.launch_y = bound.host_outputs()["y"][:, -1, :]
        return t.to_json(), None


def final_states(result):
    """The final states (N, n_states) of a result, on the host."""
    y = result.y.copy_to_host() if hasattr(result.y, "copy_to_host") else np.asarray(result.y)
    return y[:, -1, :]


def measure(args, n, path, problem):
    """One row: host times with the synchronise outside and inside the timed region, and the span."""
    call = problem.call(path)
    host = timing.host_times_us(call, repeats=args.repeats, warmup=args.warmup, sync_inside=False)
    host_sync = timing.host_times_us(call, repeats=args.repeats, warmup=0, sync_inside=True)
    span = timing.time_gpu(call, repeats=min(args.repeats, args.kernel_repeats), warmup=0)
    row = {"path": path, "log2_n": int(np.log2(n)), "n": n, "host_us": _stats_us(host),
           "host_sync_us": _stats_us(host_sync), "span_ms": span.to_json()}
    y = final_states(call())
    row["nonfinite"] = int(np.size(y) - np.isfinite(y).sum())
    if problem.launch_y is not None:  # the same plan, kernel and inputs: the same numbers, bit for bit
        row["max_abs_diff_vs_launch"] = float(np.max(np.abs(y.astype(np.float64) - problem.launch_y)))
        row["agrees_with_launch"] = row["max_abs_diff_vs_launch"] == 0.0
    return row


def run(args):
    import kernels

    info = device_info()
    label = device_label(info) + (f"_{args.tag}" if args.tag else "")
    path = os.path.join(args.out, f"host_overhead_{label}.json")
    doc = {**header(SCHEMA, info, dict(vars(args))),
           "problem": {**get_problem(args.problem).settings(args.t1), "method": args.method,
                       "controller": "pi" if args.adaptive else "fixed", "dt": args.dt},
           "timing": {"host_us": "perf_counter around one call, cuda.synchronize() before and after, outside "
                                 "the timed region", "host_sync_us": "the same with the synchronize inside",
                      "span_ms": "events before and after the call", "kernel_ms": "events around the bare "
                      "BatchKernel.launch with Integrator.solve's arguments (benchmarks.timing.bind_launch)",
                      "method": timing.Stopwatch().method},
           "kernels_module": kernels.__file__, "results": [], "kernels": {}, "finished": False}
    for k in args.sizes:
        n = 2 ** k
        problem = Problem(args, n)
        try:
            doc["kernels"][str(k)], why = problem.kernel_ms()
        except Exception as exc:  # noqa: BLE001 - recorded; the host times still stand
            doc["kernels"][str(k)], why = None, short_error(exc)
        if why:
            doc["kernels"][f"{k}_note"] = why
        for p in args.paths:
            if p.startswith(("integrator", "solve_ivp-out")) and problem.integ is None:
                doc["results"].append({"path": p, "log2_n": k, "n": n, "skipped": "needs kernels.Integrator"})
                continue
            row = measure(args, n, p, problem)
            doc["results"].append(row)
            print(f"N=2^{k} {p}: host {row['host_us']['median']:.1f} us, host+sync "
                  f"{row['host_sync_us']['median']:.1f} us, span {row['span_ms']['median_ms']:.3f} ms", flush=True)
            write_json(path, doc)
    doc["finished"] = True
    write_json(path, doc)
    return doc, path


def table(doc, out=None):
    kernel = doc["kernels"]
    lines = [f"host time per call ({doc['device'].get('name')}, {doc['problem']['method']}/"
             f"{doc['problem']['controller']}, t in {doc['problem']['t_span']}; {doc['timing']['method']})",
             f"  {'path':<18}{'N':>6}{'host us':>11}{'host+sync us':>14}{'span ms':>10}{'kernel ms':>11}"]
    for r in doc["results"]:
        if "skipped" in r:
            lines.append(f"  {r['path']:<18}{'2^' + str(r['log2_n']):>6}  skipped: {r['skipped']}")
            continue
        km = kernel.get(str(r["log2_n"]))
        lines.append(f"  {r['path']:<18}{'2^' + str(r['log2_n']):>6}{r['host_us']['median']:>11.1f}"
                     f"{r['host_sync_us']['median']:>14.1f}{r['span_ms']['median_ms']:>10.3f}"
                     + (f"{km['median_ms']:>11.3f}" if km else f"{'-':>11}"))
    bad = [f"{r['path']} 2^{r['log2_n']}" for r in doc["results"] if r.get("agrees_with_launch") is False]
    lines.append("  results: " + (f"DIFFER from the bare launch's in {bad}" if bad else
                                  "every path gives the bare launch's final states bit for bit"
                                  if any("agrees_with_launch" in r for r in doc["results"]) else "not compared"))
    target = next((r for r in doc["results"] if r["path"] == "integrator-out" and r["log2_n"] == TARGET_LOG2
                   and "host_us" in r), None)
    if target is not None:
        us = target["host_us"]["median"]
        lines.append(f"  target: integrator-out host time at N=2^{TARGET_LOG2} = {us:.1f} us "
                     f"({'meets' if us <= TARGET_US else 'MISSES'} <= {TARGET_US:g} us)")
    print("\n".join(lines), file=out or sys.stdout, flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.host_overhead", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10,14,20", help="comma list of log2 N (default 10,14,20)")
    ap.add_argument("--paths", default=",".join(PATHS), help=f"comma list of {', '.join(PATHS)}")
    ap.add_argument("--problem", default="lorenz", choices=PROBLEM_NAMES,
                    help="lorenz (3 states, rho per trajectory) or lorenz96 (16 states, F per trajectory): "
                         "the problems of benchmarks.peers")
    ap.add_argument("--method", default="tsit5")
    ap.add_argument("--adaptive", action="store_true", help="PI controller (rtol, atol) instead of fixed steps")
    ap.add_argument("--t1", type=float, default=1.0)
    ap.add_argument("--dt", type=float, default=1e-3, help="the fixed step; the first step when adaptive")
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1e-6)
    ap.add_argument("--repeats", type=int, default=100, help="timed calls per path, N and measure")
    ap.add_argument("--warmup", type=int, default=3, help="untimed calls first (the first one compiles)")
    ap.add_argument("--kernel-repeats", type=int, default=20, help="timed bare launches per N (and span calls)")
    ap.add_argument("--out", default=RESULTS, help="results folder (default benchmarks/results)")
    ap.add_argument("--tag", default="", help="suffix of the output file name")
    args = ap.parse_args(argv)
    try:
        args.sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    except ValueError:
        ap.error(f"--sizes: expected a comma list of integers; got {args.sizes!r}")
    if not args.sizes or not all(0 <= k <= 26 for k in args.sizes):
        ap.error(f"--sizes: each log2 N must be in [0, 26]; got {args.sizes}")
    args.paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    bad = [p for p in args.paths if p not in PATHS]
    if bad or not args.paths:
        ap.error(f"--paths: unknown {bad}; use some of {list(PATHS)}")
    if args.repeats < 1 or args.warmup < 1 or args.kernel_repeats < 1:
        ap.error(f"--repeats, --warmup and --kernel-repeats must be >= 1; got {args.repeats}, {args.warmup}, "
                 f"{args.kernel_repeats}")
    if not (args.t1 > 0 and args.dt > 0):
        ap.error(f"--t1 and --dt must be > 0; got {args.t1}, {args.dt}")
    return args


def main(argv=None):
    args = parse_args(argv)
    doc, path = run(args)
    table(doc)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
