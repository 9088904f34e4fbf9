"""bufferplan beside its peers on the standard GPU ensemble problem (issue #4, part 1).

    python -m benchmarks.peers --peers reference,bufferplan-auto --cases a,b,c --sizes 20,22 --out DIR

The problem (``benchmarks.lorenz_problem``): Lorenz with sigma = 10, beta = 8/3,
u0 = (1, 0, 0), t in [0, 1], rho = linspace(0, 21, N) (one per trajectory), float32,
final state only.  Cases:

    a  tsit5_fixed     Tsit5, fixed dt = 0.001 (1000 steps)
    b  tsit5_adaptive  Tsit5, rtol = atol = 1e-8, first dt = 0.001
    c  rk4_fixed       classical RK4, fixed dt = 0.001

``--problem lorenz96`` puts the same cases to a larger explicit system instead
(``benchmarks.peer_problems``): Lorenz-96 on a ring of 16 states from
``benchmarks.floor_problems``, params (F, d) with d = 1 and F = linspace(4, 12, N) one per
trajectory (the sweep of ``floor_systems``), the same y0 for all.  There ``reference`` is the
hand-written kernel of ``benchmarks.handwritten_systems`` (benchmarks/peer_handwritten.py),
diffrax, torchdiffeq and cubie get the 16-state right-hand side, and the Lorenz-only ``floor``
file is recorded as unavailable; results go to ``peers_<device>_lorenz96[_<tag>].json``.

Peers, one adapter module each (a peer that cannot be imported or has no GPU is recorded
as "unavailable: <reason>" and the run goes on):

    reference         hand-written Numba CUDA kernels (benchmarks/reference_kernels.py)
    floor             an outside hand-written file given by --floor PATH (benchmarks/peer_floor.py)
    bufferplan-<plan> kernels.Integrator with plan="auto", "local", ... (benchmarks/peer_bufferplan.py)
    diffrax           jax.jit(jax.vmap(diffeqsolve)) (benchmarks/peer_diffrax.py)
    torchdiffeq       odeint on one (N, 3) tensor (benchmarks/peer_torchdiffeq.py)
    cubie             cubie 0.17.0 Solver (benchmarks/peer_cubie.py; needs .cubie/)

Per peer, case and N: one warm-up call (which compiles), then (1) the kernel on inputs
already on the GPU, ``--repeats`` times, timed by ``benchmarks.timing`` (CUDA events
around the launch for the Numba kernels, bufferplan's ``BatchKernel.launch`` included;
torch.cuda events around odeint; for JAX the wall time to block_until_ready;
``--cupti-check`` adds one CUPTI measurement per N as a cross-check), and (2) the whole
call from host arrays to host arrays, ``--wall-repeats`` times (wall clock).  Medians are
reported.  Each final state is compared with the reference kernel's at the same N and, for
8 sampled trajectories, with a float64 SciPy DOP853 solution at rtol = atol = 1e-12;
fixed-step step counts are checked.

Results: ``<out>/peers_<device>[_<tag>].json``, rewritten after every measurement (a run
that is cut off keeps what it measured), a table printed last, and with ``--plot`` a
log-log PNG (``python -m benchmarks.plot_peers`` redraws it from the JSON files anywhere).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import time
import traceback

if not __package__:  # run as a file: the imports below are package-relative
    raise SystemExit("run it as a module from the repository root: python -m benchmarks.peers [options]")

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # JAX would take 75 % of the GPU

import numpy as np  # noqa: E402

from . import timing  # noqa: E402 - imports kernels, which chooses the GPU or the simulator
from .environment import (RESULTS, device_info, device_label, header, is_oom, short_error,  # noqa: E402
                          write_json)
from .lorenz_problem import CASES, deviation, fixed_step_count  # noqa: E402
from .peer_base import PEER_NAMES, Unavailable, make_peer  # noqa: E402
from .peer_problems import PROBLEM_NAMES, get_problem, table_title  # noqa: E402

TARGET_RATIO = 1.10
TARGET_LOG2 = 22
SCHEMA = "bufferplan.peers/1"
COMPARED = ("reference", "floor")  # peers the others are compared with, run first


# -- the run -------------------------------------------------------------------------------
class Run:
    def __init__(self, args):
        self.args = args
        self.t_start = time.perf_counter()
        self.info = device_info()
        self.problem = get_problem(args.problem)
        label = device_label(self.info) + ("" if args.problem == "lorenz" else f"_{args.problem}") \
            + (f"_{args.tag}" if args.tag else "")
        os.makedirs(args.out, exist_ok=True)
        self.path = os.path.join(args.out, f"peers_{label}.json")
        self.png = os.path.join(args.out, f"peers_{label}.png")
        a = args
        settings = {"sizes_log2": list(a.sizes), "repeats": a.repeats, "wall_repeats": a.wall_repeats,
                    "time_budget_s": a.time_budget_s, "budgets": a.budgets, "deadline_s": a.deadline_s, "t1": a.t1,
                    "max_steps": a.max_steps, "ref_block": a.ref_block, "bp_block": a.bp_block,
                    "agree_tol": a.agree_tol, "floor": a.floor, "floor_block": a.floor_block,
                    "problem": self.problem.settings(a.t1)}
        self.doc = header(SCHEMA, self.info, settings)
        self.doc.update(cases={k: dataclasses.asdict(CASES[k]) for k in args.cases}, results={}, finished=False)
        self.compared_y = {}  # (peer, case, N) -> final states of the reference and the floor

    def elapsed(self):
        return time.perf_counter() - self.t_start

    def save(self):
        write_json(self.path, self.doc)

    def log(self, msg):
        print(f"[{self.elapsed():7.1f}s] {msg}", flush=True)

    def run(self):
        self.log(f"device {self.info.get('name')} ({self.info.get('backend')}); writing {self.path}")
        # GPU-kernel peers first, for every case (the target measurements), then the slow ones.
        fast = [p for p in self.args.peers if p in COMPARED or p.startswith("bufferplan-")]
        slow = [p for p in self.args.peers if p not in fast]
        for group in (fast, slow):
            for key in self.args.cases:
                case = CASES[key]
                results = self.doc["results"].setdefault(case.name, {})
                for name in group:
                    if self.args.deadline_s and self.elapsed() > self.args.deadline_s:
                        results[name] = {"status": "skipped: --deadline-s reached"}
                        continue
                    self.run_peer(case, name)
                    self.save()
        self.doc["finished"] = True
        self.doc["wall_s"] = round(self.elapsed(), 1)
        self.save()

    def run_peer(self, case, name):
        entry = {"status": "ok", "measurements": []}
        self.doc["results"][case.name][name] = entry
        peer = make_peer(name, self.args)
        try:
            entry.update(peer.prepare(case))
        except Unavailable as exc:
            entry["status"] = f"unavailable: {exc}"
            self.log(f"{case.name} {name}: {entry['status']}")
            return
        except Exception as exc:  # noqa: BLE001
            entry["status"] = f"unavailable: {short_error(exc)}"
            entry["traceback"] = traceback.format_exc()[-3000:]
            self.log(f"{case.name} {name}: {entry['status']}")
            return
        for note in entry.get("notes", []):
            self.log(f"{case.name} {name}: note: {note}")
        spent, last_cost, last_k, last_warm = 0.0, None, None, 0.0
        budget = self.args.budgets.get(name, self.args.time_budget_s)
        entry["time_budget_s"] = budget
        for k in self.args.sizes:
            n = 2 ** k
            if last_cost is not None:
                predicted = predict_cost(last_cost, last_warm, k - last_k, self.args)
                if spent + predicted > budget:
                    entry["stopped"] = (f"time budget: {spent:.1f} s spent, N=2^{k} predicted {predicted:.1f} s, "
                                        f"budget {budget:g} s")
                    break
                if self.args.deadline_s and self.elapsed() + predicted > self.args.deadline_s:
                    entry["stopped"] = f"--deadline-s {self.args.deadline_s:.0f} s: N=2^{k} predicted {predicted:.1f} s"
                    break
            t = time.perf_counter()
            try:
                m = self.measure(peer, case, n)
            except Exception as exc:  # noqa: BLE001
                why = "out of memory" if is_oom(exc) else "error"
                entry["stopped"] = f"{why} at N=2^{k}: {short_error(exc)}"
                entry["error_traceback"] = traceback.format_exc()[-3000:]
                self.log(f"{case.name} {name} N=2^{k}: {entry['stopped']}")
                peer.unload()
                break
            last_cost, last_k, last_warm = time.perf_counter() - t, k, m["warmup_ms"] / 1e3
            spent += last_cost
            m["cost_s"] = round(last_cost, 3)
            entry["measurements"].append(m)
            self.log(f"{case.name} {name} N=2^{k}: kernel {m['kernel_ms_median']:.3f} ms, wall "
                     f"{m['wall_ms_median']:.3f} ms, dev vs ref {fmt_dev(m.get('scaled_dev_vs_reference'))}, "
                     f"err vs scipy {fmt_dev(m.get('scaled_err_vs_scipy'))} ({last_cost:.1f} s)")
            self.save()
            if spent > budget:
                entry["stopped"] = f"time budget: {spent:.1f} s spent after N=2^{k} > {budget:g} s"
                break
        if not entry["measurements"] and entry.get("stopped"):
            entry["status"] = f"failed: {entry['stopped']}"
        peer.unload()

    def measure(self, peer, case, n):
        y0, params = self.problem.make_problem(n)
        reps = self.args.repeats
        t = time.perf_counter()
        y, extra = peer.full(case, y0, params)  # warm-up: compiles; its result is checked
        timing.synchronize()
        warm_ms = (time.perf_counter() - t) * 1e3
        walls = [us / 1e3 for us in timing.host_times_us(lambda: peer.full(case, y0, params),
                                                          repeats=self.args.wall_repeats, warmup=0,
                                                          sync_inside=True)]
        peer.load(case, y0, params)
        peer.kernel(case)  # warm-up
        kernel, how = [], ""
        for _ in range(reps):
            ms, how = peer.kernel(case)
            kernel.append(ms)
        m = {"log2_n": int(round(math.log2(n))), "n": n, "warmup_ms": round(warm_ms, 3),
             "kernel_ms": [round(x, 4) for x in kernel], "kernel_ms_median": float(np.median(kernel)),
             "kernel_timing": how, "wall_ms": [round(x, 4) for x in walls],
             "wall_ms_median": float(np.median(walls)), **extra}
        if hasattr(peer, "cupti") and self.args.cupti_check:
            try:
                cms, count = peer.cupti(case)
                m["kernel_ms_cupti"] = cms
                m["kernel_count_cupti"] = count
            except Exception as exc:  # noqa: BLE001
                m["kernel_ms_cupti"] = f"unavailable: {short_error(exc, 200)}"
        peer.unload()
        y = np.asarray(y)
        m["nonfinite"] = int(np.size(y) - np.isfinite(y).sum())
        if not case.adaptive:
            m["steps_expected"] = fixed_step_count(0.0, self.args.t1, case.dt)[0]
            seen = next((m[k] for k in ("n_steps_max", "n_steps", "batch_steps_attempted") if m.get(k) is not None),
                        None)
            m["steps_match"] = None if seen is None else bool(seen == m["steps_expected"])
        if peer.name in COMPARED:
            self.compared_y[(peer.name, case.name, n)] = y
        for other in COMPARED:
            ref = self.compared_y.get((other, case.name, n))
            if ref is not None and peer.name != other:
                m[f"max_abs_dev_vs_{other}"], m[f"scaled_dev_vs_{other}"] = deviation(y, ref)
                m[f"agrees_with_{other}"] = m[f"scaled_dev_vs_{other}"] <= self.args.agree_tol
        truth = None
        if self.args.scipy_check:
            try:
                truth = self.problem.scipy_truth(n, self.args.t1)
            except ImportError as exc:
                m["scaled_err_vs_scipy_unavailable"] = short_error(exc, 200)
        if truth is not None:
            idx, exact = truth
            m["max_abs_err_vs_scipy"], m["scaled_err_vs_scipy"] = deviation(y[idx], exact)
        return m


def predict_cost(last_cost, last_warm, doublings, args):
    """Seconds the next size should take, from the last size's total and warm-up seconds.

    The warm-up is a compile (the same again for JAX, which compiles per shape) plus one call;
    the rest is ``calls`` more calls, and a call's time grows like N.
    """
    calls = args.repeats + args.wall_repeats + 1
    per_call = max(last_cost - last_warm, 0.0) / calls
    compile_s = max(last_warm - per_call, 0.0)
    return compile_s + per_call * 2 ** max(doublings, 0) * (calls + 1)


def fmt_dev(x):
    return "n/a" if x is None else f"{x:.1e}"


# -- the report ----------------------------------------------------------------------------
def table(doc, out=None):
    """Print, per case, kernel and wall ms per N per peer, the ratios at the largest N and the target."""
    lines = []
    for case_name, peers in doc["results"].items():
        lines.append("")
        lines.append(f"== {case_name} == ({doc['device'].get('name')}, float32, {table_title(doc['settings'])}, "
                     f"t in [0, {doc['settings']['t1']}])")
        ok = {p: {m["log2_n"]: m for m in e.get("measurements", [])} for p, e in peers.items()}
        cols = [p for p in peers if ok[p]]
        for p, e in peers.items():
            if not ok[p]:
                why = f"no measurement: {e['stopped']}" if e.get("stopped") else str(e.get("status"))
                lines.append(f"  {p}: {why}")
            elif e.get("stopped"):
                lines.append(f"  {p}: stopped: {e['stopped']}")
        if not cols:
            continue
        sizes = sorted({k for p in cols for k in ok[p]})
        for what, key in (("kernel ms (median)", "kernel_ms_median"), ("wall ms incl. transfers", "wall_ms_median")):
            lines.append(f"  {what}")
            lines.append("  " + f"{'N':>6}" + "".join(f"{p:>18}" for p in cols))
            for k in sizes:
                cells = "".join(f"{ok[p][k][key]:>18.3f}" if k in ok[p] else f"{'-':>18}" for p in cols)
                lines.append("  " + f"{'2^' + str(k):>6}" + cells)
        base = next((p for p in ("bufferplan-auto", "bufferplan-local") if p in cols), None)
        if base:
            kmax = max(ok[base])
            ratios = ", ".join(f"{p} {ok[p][kmax]['kernel_ms_median'] / ok[base][kmax]['kernel_ms_median']:.2f}x"
                               for p in cols if p != base and kmax in ok[p])
            lines.append(f"  kernel time / {base} at N=2^{kmax}: {ratios or 'no other peer at that N'}")
        ours = [p for p in cols if p.startswith("bufferplan-")]
        for other in (o for o in COMPARED if o in cols):
            kmax = max(ok[other])
            for p in ours:
                k = TARGET_LOG2 if TARGET_LOG2 in ok[p] and TARGET_LOG2 in ok[other] else kmax
                if k in ok[p]:
                    r = ok[p][k]["kernel_ms_median"] / ok[other][k]["kernel_ms_median"]
                    verdict = f" ({'meets' if r <= TARGET_RATIO else 'MISSES'} <= {TARGET_RATIO})" \
                        if other == "reference" and k == TARGET_LOG2 else ""
                    lines.append(f"  {p} / {other} kernel time at N=2^{k} = {r:.3f}{verdict}")
        for p in cols:
            errs = [m["scaled_err_vs_scipy"] for m in ok[p].values() if m.get("scaled_err_vs_scipy") is not None]
            parts = []
            for other in COMPARED:
                devs = [m[f"scaled_dev_vs_{other}"] for m in ok[p].values()
                        if m.get(f"scaled_dev_vs_{other}") is not None]
                if devs:
                    agree = "agrees" if max(devs) <= doc["settings"]["agree_tol"] else "DISAGREES"
                    parts.append(f"max |y - y_{other}| / (1 + |y_{other}|) = {fmt_dev(max(devs))} {agree}")
            if errs:
                parts.append(f"vs SciPy DOP853 1e-12 (8 trajectories): {fmt_dev(max(errs))}")
            if parts:
                lines.append(f"  {p}: " + "; ".join(parts))
        for p in cols:
            bad = sorted(k for k, m in ok[p].items() if m.get("steps_match") is False)
            if bad:
                lines.append(f"  {p}: STEP COUNT differs from {ok[p][bad[0]]['steps_expected']} at N=2^{bad}")
        for p in cols:
            hows = sorted({m["kernel_timing"] for m in ok[p].values()})
            lines.append(f"  {p} kernel timing: {'; '.join(hows)}")
    print("\n".join(lines), file=out or sys.stdout, flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problem", default="lorenz", choices=PROBLEM_NAMES,
                    help="lorenz (3 states, the standard problem) or lorenz96 (16 states, F per trajectory)")
    ap.add_argument("--min-log2", type=int, default=10)
    ap.add_argument("--max-log2", type=int, default=23)
    ap.add_argument("--log2-step", type=int, default=1, help="run every k-th power of two (default 1)")
    ap.add_argument("--cases", default="a,b,c", help="comma list of a,b,c or tsit5_fixed,tsit5_adaptive,rk4_fixed")
    ap.add_argument("--peers", default=",".join(PEER_NAMES),
                    help=f"comma list of {', '.join(PEER_NAMES)} (bufferplan-<plan> takes any plan name)")
    ap.add_argument("--sizes", dest="sizes_text", default="",
                    help="comma list of log2 N (overrides --min/--max-log2, --log2-step)")
    ap.add_argument("--repeats", type=int, default=5, help="timed kernel runs per N (after one warm-up)")
    ap.add_argument("--wall-repeats", type=int, default=3, help="timed whole calls per N (after the warm-up)")
    ap.add_argument("--budget", default="", help="per-peer budgets overriding --time-budget-s: NAME=S,NAME=S")
    ap.add_argument("--time-budget-s", type=float, default=60.0,
                    help="per peer per case, warm-ups included: stop before a size predicted to exceed it")
    ap.add_argument("--deadline-s", type=float, default=0.0, help="stop starting new work after this many seconds")
    ap.add_argument("--out", default=RESULTS, help="results folder (default benchmarks/results)")
    ap.add_argument("--tag", default="", help="suffix of the output file names")
    ap.add_argument("--plot", action="store_true", help="write the PNG (needs matplotlib)")
    ap.add_argument("--t1", type=float, default=1.0, help="end time (1.0 is the standard problem; less for tests)")
    ap.add_argument("--max-steps", type=int, default=100000)
    ap.add_argument("--ref-block", type=int, default=128, help="block size of the reference kernel")
    ap.add_argument("--floor", default="", metavar="PATH",
                    help="a hand-written floor file imported by path (e.g. shared/reference/lorenz_handwritten.py); "
                         "adds the 'floor' peer")
    ap.add_argument("--floor-block", type=int, default=128, help="block size of the floor's kernels")
    ap.add_argument("--bp-block", type=int, default=0, help="block_size for bufferplan (0: its default)")
    ap.add_argument("--agree-tol", type=float, default=None,
                    help="max |y - y_ref| / (1 + |y_ref|) to agree (default: the problem's, 1e-4 for lorenz, "
                         "5e-3 for lorenz96; benchmarks/peer_problems.py says why)")
    ap.add_argument("--allow-cpu", action="store_true", help="run JAX/torch on CPU when there is no GPU (tests)")
    ap.add_argument("--no-scipy-check", dest="scipy_check", action="store_false")
    ap.add_argument("--cupti-check", action="store_true",
                    help="also time the reference and bufferplan kernels once per N by CUPTI (torch.profiler), "
                         "a cross-check of the event timing; CUPTI may slow later launches, so use it in its own run")
    args = ap.parse_args(argv)
    names = {c.name: k for k, c in CASES.items()}
    cases = [names.get(c.strip(), c.strip()) for c in args.cases.split(",") if c.strip()]
    bad = [c for c in cases if c not in CASES]
    if bad:
        ap.error(f"--cases: unknown {bad}; use a, b, c or {list(names)}")
    args.cases = cases
    args.peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    bad = [p for p in args.peers if p not in PEER_NAMES and not p.startswith("bufferplan-")]
    if bad:
        ap.error(f"--peers: unknown {bad}; use {list(PEER_NAMES)}")
    if args.floor and "floor" not in args.peers:
        args.peers.append("floor")
    # the reference and the floor first, so the others are compared with them
    args.peers = [p for p in COMPARED if p in args.peers] + [p for p in args.peers if p not in COMPARED]
    if not 0 <= args.min_log2 <= args.max_log2 <= 30 or args.log2_step < 1:
        ap.error(f"need 0 <= --min-log2 <= --max-log2 <= 30 and --log2-step >= 1; got {args.min_log2}, "
                 f"{args.max_log2}, {args.log2_step}")
    args.sizes = list(range(args.min_log2, args.max_log2 + 1, args.log2_step))
    if args.sizes_text:
        try:
            args.sizes = sorted({int(x) for x in args.sizes_text.split(",") if x.strip()})
        except ValueError:
            ap.error(f"--sizes: expected a comma list of integers; got {args.sizes_text!r}")
        if not args.sizes or not all(0 <= k <= 30 for k in args.sizes):
            ap.error(f"--sizes: each log2 N must be in [0, 30]; got {args.sizes_text!r}")
    if args.repeats < 1 or args.wall_repeats < 1:
        ap.error(f"--repeats and --wall-repeats must be >= 1; got {args.repeats}, {args.wall_repeats}")
    if args.agree_tol is None:
        args.agree_tol = get_problem(args.problem).agree_tol
    elif not args.agree_tol > 0:
        ap.error(f"--agree-tol must be > 0; got {args.agree_tol}")
    args.budgets = {}
    for item in filter(None, (x.strip() for x in args.budget.split(","))):
        peer, _, sec = item.partition("=")
        try:
            args.budgets[peer.strip()] = float(sec)
        except ValueError:
            ap.error(f"--budget: expected NAME=SECONDS; got {item!r}")
    return args


def main(argv=None):
    args = parse_args(argv)
    run = Run(args)
    try:
        run.run()
    except KeyboardInterrupt:
        run.doc["interrupted"] = True
        run.save()
    table(run.doc)
    if args.plot:
        try:
            from . import plot_peers

            plot_peers.plot([run.doc], run.png)
            print(f"plot: {run.png}")
        except Exception as exc:  # noqa: BLE001 - no matplotlib, or one that does not load: the run stands
            print(f"plot skipped: {short_error(exc, 300)} "
                  f"(re-plot anywhere: python -m benchmarks.plot_peers {run.path})")
    print(f"results: {run.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
