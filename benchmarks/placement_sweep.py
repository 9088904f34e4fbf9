"""Sweep memory placements of the batch kernels and measure each (issue #4, part 2).

    python -m benchmarks.placement_sweep --preset quick --deadline-s 510 --out DIR

Configurations: method (``kernels.TABLEAU_NAMES``) x system size (``kernels.oscillator_chain(n)``,
2n states) x precision x placement x block size.  Placements:

    local, shared        every buffer pinned local / shared (shared may be infeasible)
    sequential, greedy,  the planners, every buffer AUTO, min-shared objective
    cpsat
    auto                 solve_ivp's default: register-first, then CP-SAT min-shared
    loop-shared          the loop's buffers pinned shared, the step's local
    step-shared          the step's buffers pinned shared, the loop's local
    stages-shared        (extra, not in the default set) only erk.stage_rhs shared, the rest local

Every configuration is planned through ``kernels.Integrator.plan`` (``benchmarks.sweep_plans``:
the named placements by their plan choice, the groups as ``plan="greedy"`` with ``pins=``);
one that cannot be planned (shared over the budget) is recorded as ``infeasible`` with the
reason.  The Integrator builds one kernel per layout, so two placements that give the same
layout launch the same compiled kernel (``same_kernel_as``).

Per configuration: one warm-up launch (it compiles), then ``--repeats`` rounds of back-to-back
``BatchKernel.launch`` calls with ``Integrator.solve``'s arguments on device arrays, timed by
``benchmarks.timing`` (CUDA events; median of rounds; on the simulator, wall time);
registers, local (stack and spill) and shared bytes of the compiled kernel
(``BatchKernel.resources()``; null on the simulator); the Plan's totals;
theoretical occupancy from ``DeviceModel.occupancy`` with the measured registers (live device
model) and the Plan's own prediction (registers assumed 32, the model's default); the status
codes, step counts and a checksum of the final states.

Fixed step (``--controller fixed``, the default) with t in [0, --t-end] and ``--dt``, so
every placement does the same work; ``--controller default`` gives the adaptive methods
their default PI controller (``--rtol``, ``--atol``).

Output: ``<out>/placement_sweep_<device>[_<tag>].jsonl``, one JSON object per line: a
``run`` record per invocation (device, versions, git, date, command, settings) and a
``config`` record per configuration.  A run skips configurations already in the file (or in
``benchmarks/results/`` under the same name, which is copied first: a second device call
resumes the first), stops starting new ones past ``--deadline-s`` and ends by writing
``placement_sweep_summary.json`` and ``.md``: per (method, n, precision, block) the fastest
placement and each placement's regret (its time / best - 1), and per placement the median and
max regret.  ``--summary`` only rewrites the summary; ``--dry-run`` only plans and estimates.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import sys
import time

if not __package__:  # run as a file: the imports below are package-relative
    raise SystemExit("run it as a module from the repository root: python -m benchmarks.placement_sweep [options]")

T_IMPORT = time.perf_counter()  # the deadline counts from here (kernels and Numba load after it)

import numpy as np  # noqa: E402

from . import timing  # noqa: E402 - imports kernels, which chooses the GPU or the simulator
from .environment import RESULTS, device_info, device_label, header, json_default, short_error  # noqa: E402
from .sweep_plans import (GROUPS, PINNED_PREFIX, PLACEMENTS, PRECISIONS, SIZES, compile_key, config_key,  # noqa: E402
                          layout_key, make_configs, plan_config, plan_record)
from .sweep_summary import SCHEMA, read_jsonl, write_summary  # noqa: E402

# CUDA errors after which the context is unusable: every later configuration would fail too.
_CONTEXT_LOST = ("CUDA_ERROR_ILLEGAL", "LAUNCH_FAILED", "MISALIGNED_ADDRESS", "CUDA_ERROR_ASSERT",
                 "HARDWARE_STACK_ERROR")
COMPILE_ESTIMATE_S = 6.0  # per new kernel before one is measured (3-6 s seen on the H100)


# -- measuring ------------------------------------------------------------------------------
def kernel_record(batch_kernel):
    """Registers, local and shared bytes of the compiled kernel (``BatchKernel.resources()``); null on the simulator."""
    out = {"registers_per_thread": None, "local_bytes_per_thread": None, "spill_store_bytes": None,
           "spill_load_bytes": None, "shared_bytes_per_block": None,
           "launch_shared_bytes_per_block": int(batch_kernel.shared_bytes), "source": None}
    if not timing.on_gpu():
        out["source"] = "simulator: no compiled kernel"
        return out
    try:
        out.update(batch_kernel.resources().to_json())
    except Exception as exc:  # noqa: BLE001 - a driver that cannot answer: the measurement stands
        out["resources_error"] = short_error(exc, 300)
    return out


class Inputs:
    """Device arrays of one (n, precision): chain displaced by a sine mode, stiffness varied per trajectory."""

    def __init__(self):
        self.key, self.arrays = None, None

    def get(self, n, precision, n_traj):
        from numba import cuda

        if self.key != (n, precision, n_traj):
            self.arrays = None
            dtype = np.dtype(precision)
            x = np.sin(np.pi * np.arange(1, n + 1) / (n + 1))
            amp = np.linspace(0.5, 1.5, n_traj)[:, None]
            y0 = np.hstack([amp * x, np.zeros((n_traj, n))]).astype(dtype)
            params = np.column_stack([np.linspace(0.5, 1.5, n_traj), np.full(n_traj, 0.1)]).astype(dtype)
            self.arrays = (cuda.to_device(y0), cuda.to_device(params))
            self.key = (n, precision, n_traj)
        return self.arrays


class Sweep:
    def __init__(self, args):
        import kernels

        self.args, self.kernels = args, kernels
        self.t_start = T_IMPORT
        self.info = device_info()
        self.device_model = kernels.default_device()
        self.label = device_label(self.info) + (f"_{args.tag}" if args.tag else "")
        os.makedirs(args.out, exist_ok=True)
        self.path = os.path.join(args.out, f"placement_sweep_{self.label}.jsonl")
        self.done = self._resume()
        self.integrators, self.inputs, self.layouts = {}, Inputs(), {}
        self.compiled = set()  # compiled kernels: an Integrator builds one per layout, whatever the block size
        self.compile_s = []  # first call minus a timed call, per new kernel
        settings = {k: v for k, v in vars(args).items() if k not in ("summary", "dry_run")}
        self.header = {"record": "run", **header(SCHEMA, self.info, settings), "backend": kernels.backend(),
                       "device_model": self.device_model.to_json(),
                       "device_model_source": "live" if kernels.backend() == "cuda" else "preset (simulator)",
                       "problem": "kernels.oscillator_chain(n), params (k, c) = (linspace(0.5, 1.5, N), 0.1), "
                                  "x0 = linspace(0.5, 1.5, N) * sin(pi i / (n + 1)), v0 = 0; final state saved"}

    def _resume(self):
        seed = os.path.join(RESULTS, os.path.basename(self.path))
        fresh = not os.path.exists(self.path)
        if fresh and os.path.exists(seed) and os.path.abspath(seed) != os.path.abspath(self.path):
            with open(seed) as src, open(self.path, "w") as dst:
                dst.write(src.read())
            self.log(f"resuming from {seed}")
        if os.path.exists(self.path) and os.path.getsize(self.path):
            with open(self.path, "rb+") as fh:  # a line cut off by a kill must not swallow the next record
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    fh.write(b"\n")
        done = {}
        for rec in read_jsonl([self.path]):
            if rec.get("record") == "config":
                done[rec["key"]] = rec["status"]
        return done

    def elapsed(self):
        return time.perf_counter() - self.t_start

    def log(self, msg):
        print(f"[{self.elapsed():7.1f}s] {msg}", flush=True)

    def write(self, rec):
        with open(self.path, "a") as fh:
            fh.write(json.dumps(rec, default=json_default) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def integrator(self, c):
        """One Integrator per (method, controller, n, precision): it keeps the plans and kernels it built."""
        key = (c["method"], c["controller"], c["n"], c["precision"])
        if key not in self.integrators:
            self.integrators[key] = self.kernels.Integrator(self.kernels.oscillator_chain(c["n"]), c["method"],
                                                            c["controller"], np.dtype(c["precision"]).type)
        return self.integrators[key]

    def predicted_s(self, c, plan):
        """Seconds the next configuration is expected to take (for the deadline)."""
        new = plan is not None and compile_key(c, plan) not in self.compiled
        # The first compile also warms Numba up: leave it out once others are known.
        known = self.compile_s[1:][-5:] if len(self.compile_s) > 1 else self.compile_s[-1:]
        first = COMPILE_ESTIMATE_S if self.kernels.backend() == "cuda" else 0.5
        compile_s = max(known, default=first) if new else 0.0
        return compile_s + self.last_run_s

    def run(self, configs):
        todo = [c for c in configs if self.done.get(config_key(c)) not in ("ok", "infeasible", "bad_result")
                and (self.args.retry_errors or config_key(c) not in self.done)]
        self.log(f"device {self.info.get('name')} ({self.kernels.backend()}); {len(configs)} configurations, "
                 f"{len(configs) - len(todo)} already in {self.path}, {len(todo)} to run")
        self.write(self.header)
        self.last_run_s = 1.0
        stopped = None
        for i, c in enumerate(todo, 1):
            integ = self.integrator(c)
            t_plan = time.perf_counter()
            plan, failure = plan_config(c, integ)
            plan_s = time.perf_counter() - t_plan
            if self.args.deadline_s and self.elapsed() + self.predicted_s(c, plan) > self.args.deadline_s:
                stopped = f"deadline: {self.elapsed():.0f} s + predicted {self.predicted_s(c, plan):.0f} s > " \
                          f"{self.args.deadline_s:.0f} s before {config_key(c)}"
                break
            rec = {"record": "config", "key": config_key(c), **c, "n_states": integ.system.n_states,
                   "device": self.label, "backend": self.kernels.backend(), "plan_s": round(plan_s, 4)}
            if failure:
                rec.update(status=failure[0], reason=failure[1][:1000])
            else:
                rec.update(plan_record(plan, self.device_model))
                t0 = time.perf_counter()
                try:
                    rec.update(self.measure(c, integ, plan))
                except Exception as exc:  # noqa: BLE001 - one configuration's failure is a result, not the end
                    rec.update(status="error", reason=f"{type(exc).__name__}: {exc}"[:1000])
                    if any(m in str(exc) for m in _CONTEXT_LOST):
                        rec["reason"] += " (context lost: stopping)"
                        stopped = "context lost"
                self.last_run_s = time.perf_counter() - t0 - rec.get("compile_s", 0.0)
            rec["elapsed_s"] = round(self.elapsed(), 1)
            self.write(rec)
            self.done[rec["key"]] = rec["status"]
            self.log(f"{i}/{len(todo)} {progress_line(rec)}")
            if stopped:
                break
        self.write({"record": "end", "stopped": stopped, "elapsed_s": round(self.elapsed(), 1),
                    "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")})
        self.log(f"stopped early ({stopped})" if stopped else "all configurations done")
        return stopped

    def measure(self, c, integ, plan):
        key = layout_key(c, plan)
        same = self.layouts.get(key)
        out = {"same_kernel_as": same}
        d_y0, d_params = self.inputs.get(c["n"], c["precision"], c["n_traj"])
        steps = int(round(c["t_end"] / c["dt"]))
        kw = dict(dt=c["dt"], t_eval=np.array([c["t_end"]]),
                  max_steps=steps + 10 if c["controller"] == "fixed" else self.args.max_steps)
        if c["controller"] != "fixed":
            kw.update(rtol=self.args.rtol, atol=self.args.atol)
        t = time.perf_counter()
        bound = timing.bind_launch(integ, plan, (0.0, c["t_end"]), d_y0, d_params, **kw)  # builds, launches once
        timing.synchronize()
        first_s = time.perf_counter() - t
        single = timing.time_gpu(bound, repeats=1, warmup=0).median_ms
        # A slow kernel (n = 128 spills: seconds) gets fewer launches per round and fewer rounds.
        per_round = max(1, min(self.args.launches_max, int(self.args.round_s * 1e3 / max(single, 1e-3))))
        rounds = timing.time_gpu(bound, repeats=self.args.repeats, warmup=0, per_round=per_round,
                                 budget_s=max(self.args.repeat_budget_s - single / 1e3, 0.0))
        compile_s = max(0.0, first_s - single / 1e3)
        compiled = compile_key(c, plan) not in self.compiled
        if compiled:
            self.compiled.add(compile_key(c, plan))
            self.compile_s.append(compile_s)
        if same is None:
            self.layouts[key] = c["placement"]
        attrs = kernel_record(bound.kernel)
        out.update(kernel=attrs, occupancy=self.occupancy(c, attrs))
        out.update(kernel_ms=rounds.median_ms, kernel_ms_min=rounds.min_ms, kernel_ms_all=list(rounds.ms),
                   launches_per_round=per_round, kernel_ms_single=single, first_call_s=round(first_s, 3),
                   compile_s=round(compile_s, 3), compiled=compiled,
                   timing=f"{rounds.method} around {per_round} back-to-back BatchKernel.launch calls with "
                          "Integrator.solve's arguments (benchmarks.timing.bind_launch), per launch, median of "
                          "rounds; kernel_ms_single: one launch")
        out["result"] = result_check(bound.host_outputs(), c, steps)
        out["status"] = "ok" if out["result"]["ok"] else "bad_result"
        return out

    def occupancy(self, c, attrs):
        regs = attrs["registers_per_thread"]
        if regs is None:
            return None
        shared = attrs["shared_bytes_per_block"] or attrs["launch_shared_bytes_per_block"]
        occ = self.device_model.occupancy(c["block_size"], max(regs, 1), shared)
        grid = -(-c["n_traj"] // c["block_size"])
        resident = occ.blocks_per_sm * self.device_model.multiprocessors
        return {"occupancy": occ.occupancy, "blocks_per_sm": occ.blocks_per_sm, "limited_by": occ.limited_by,
                "shared_bytes_per_block": shared, "waves": round(grid / resident, 3) if resident else None}


def result_check(outputs, c, steps):
    """Status codes, step counts and a checksum of the final states; ``ok`` when all succeeded as expected."""
    status, n_steps = outputs["status"], outputs["n_steps"]
    y = outputs["y"][:, -1, :].astype(np.float64)
    codes, counts = np.unique(status, return_counts=True)
    finite = np.isfinite(y)
    out = {"status_counts": {str(int(k)): int(v) for k, v in zip(codes, counts)},
           "n_steps_min": int(n_steps.min()), "n_steps_max": int(n_steps.max()),
           "steps_expected": steps if c["controller"] == "fixed" else None,
           "nonfinite": int((~finite).sum()), "checksum": float(np.abs(y[finite]).sum()),
           "y_traj0": [float(v) for v in y[0, :4]]}
    out["ok"] = bool(np.all(status == 0) and out["nonfinite"] == 0 and (
        c["controller"] != "fixed" or (out["n_steps_min"] == out["n_steps_max"] == steps)))
    return out


def progress_line(rec):
    head = (f"{rec['method']}/{rec['controller']} n={rec['n']} {rec['precision']} b{rec['block_size']} "
            f"{rec['placement']}: {rec['status']}")
    if rec["status"] in ("infeasible", "error"):
        return f"{head} ({rec.get('reason', '')[:160]})"
    k, o = rec["kernel"], rec.get("occupancy") or {}
    same = f", same kernel as {rec['same_kernel_as']}" if rec.get("same_kernel_as") else ""
    return (f"{head} {rec['kernel_ms']:.3f} ms (regs {k['registers_per_thread']}, "
            f"local {k['local_bytes_per_thread']} B, "
            f"shared {rec['plan']['shared_bytes_per_block']} B/block, occ {o.get('occupancy')}), "
            f"first call {rec['first_call_s']:.1f} s{same}")



# -- dry run -----------------------------------------------------------------------------------
def dry_run(args, configs):
    """Plan every configuration and estimate the device time from the number of distinct kernels."""
    import kernels

    layouts, infeasible, integrators = set(), 0, {}
    for c in configs:
        key = (c["method"], c["controller"], c["n"], c["precision"])
        if key not in integrators:
            integrators[key] = kernels.Integrator(kernels.oscillator_chain(c["n"]), c["method"], c["controller"],
                                                  np.dtype(c["precision"]).type)
        plan, failure = plan_config(c, integrators[key])
        if failure:
            infeasible += failure[0] == "infeasible"
            print(f"{config_key(c)}: {failure[0]}")
            continue
        layouts.add(compile_key(c, plan))
    kernels_new = len(layouts)
    run_s = len(configs) * args.run_estimate_s
    total = kernels_new * args.compile_estimate_s + run_s
    print(f"{len(configs)} configurations, {infeasible} infeasible, {kernels_new} distinct kernels to compile; "
          f"estimate {total:.0f} s = {kernels_new} x {args.compile_estimate_s:g} s compile + "
          f"{len(configs)} x {args.run_estimate_s:g} s runs")


# -- command line ------------------------------------------------------------------------------
def _list(kind):
    def parse(text):
        items = [x.strip() for x in text.split(",") if x.strip()]
        return tuple(kind(x) for x in items)
    return parse


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.placement_sweep", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=("quick", "full"),
                    help="quick: every placement, in this order: block 128 x tsit5 x n 3, 16, 64, 128 x float32, "
                         "then float64; rk4 x the same n x float32; tsit5 n=16 float32 at blocks 64, 256; "
                         "rk4 float64 at block 128; tsit5 n=16 float64 at blocks 64, 256 (one or two device "
                         "calls). full: every method, size, precision, block. The selections below then "
                         "only filter the preset")
    ap.add_argument("--methods", type=_list(str), help="comma list of kernels.METHOD_NAMES (default all)")
    ap.add_argument("--sizes", type=_list(int),
                    help=f"chain lengths n (2n states); default {','.join(map(str, SIZES))}")
    ap.add_argument("--precisions", type=_list(str), help="float32,float64 (default both)")
    ap.add_argument("--placements", type=_list(str),
                    help=f"default {','.join(PLACEMENTS)}; also {','.join(GROUPS[2:])} and {PINNED_PREFIX}PATTERN "
                         "(greedy, the buffers the shell pattern matches shared, every other local)")
    ap.add_argument("--blocks", type=_list(int), help="block sizes, default 128,64,256")
    ap.add_argument("--controller", choices=("fixed", "default"), default="fixed",
                    help="fixed: every method fixed step (default, the same work for every placement); "
                         "default: adaptive methods with their default controller (pi)")
    ap.add_argument("--n-traj", type=int, default=2 ** 16)
    ap.add_argument("--t-end", type=float, default=1.0)
    ap.add_argument("--dt", type=float, default=1e-3, help="fixed step; the first step of adaptive runs")
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1e-6)
    ap.add_argument("--max-steps", type=int, default=100_000, help="adaptive runs only")
    ap.add_argument("--repeats", type=int, default=5,
                    help="timed rounds after the warm-up; each round is back-to-back launches (median of rounds)")
    ap.add_argument("--repeat-budget-s", type=float, default=2.0,
                    help="stop the rounds (after at least one) once a configuration's timed launches took this long")
    ap.add_argument("--round-s", type=float, default=0.1,
                    help="launches per round: as many as fit this long (by one launch's time), 1 to --launches-max")
    ap.add_argument("--launches-max", type=int, default=20)
    ap.add_argument("--deadline-s", type=float, default=0.0,
                    help="start no configuration predicted to end after this many seconds (0: no deadline)")
    ap.add_argument("--out", default=RESULTS, help="results folder (default benchmarks/results)")
    ap.add_argument("--tag", default="", help="suffix of the JSONL name")
    ap.add_argument("--retry-errors", action="store_true", help="run again configurations recorded as error")
    ap.add_argument("--summary", action="store_true", help="only write the summary of the JSONL files in --out")
    ap.add_argument("--inputs", nargs="*", help="JSONL files for --summary (default placement_sweep_*.jsonl in --out)")
    ap.add_argument("--dry-run", action="store_true", help="only plan and estimate the device time (CPU)")
    ap.add_argument("--compile-estimate-s", type=float, default=5.0, help="for --dry-run")
    ap.add_argument("--run-estimate-s", type=float, default=0.5, help="for --dry-run: launches per configuration")
    args = ap.parse_args(argv)
    if args.summary:
        return args
    import kernels

    checks = {"methods": tuple(kernels.METHOD_NAMES), "precisions": PRECISIONS, "placements": PLACEMENTS + GROUPS}
    for key, allowed in checks.items():
        bad = [v for v in getattr(args, key) or () if v not in allowed
               and not (key == "placements" and v.startswith(PINNED_PREFIX) and len(v) > len(PINNED_PREFIX))]
        if bad:
            ap.error(f"--{key}: unknown {bad}; expected some of {list(allowed)}")
    if any(n < 1 for n in args.sizes or ()) or any(not 1 <= b <= 1024 for b in args.blocks or ()):
        ap.error(f"--sizes must be >= 1 and --blocks in 1..1024; got {args.sizes}, {args.blocks}")
    if args.n_traj < 1 or args.repeats < 1 or not args.t_end > 0 or not args.dt > 0:
        ap.error(f"need --n-traj >= 1, --repeats >= 1, --t-end > 0, --dt > 0; got {args.n_traj}, {args.repeats}, "
                 f"{args.t_end}, {args.dt}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.summary:
        paths = args.inputs or sorted(glob.glob(os.path.join(args.out, "placement_sweep_*.jsonl")))
        if not paths:
            print(f"no placement_sweep_*.jsonl in {args.out}")
            return 1
        write_summary(args.out, paths)
        return 0
    configs = make_configs(args)
    if args.dry_run:
        dry_run(args, configs)
        return 0
    sweep = Sweep(args)
    try:
        sweep.run(configs)
    except KeyboardInterrupt:
        sweep.log("interrupted")
    write_summary(args.out, [sweep.path])
    print(f"results: {sweep.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
