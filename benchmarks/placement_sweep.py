#!/usr/bin/env python3
"""Sweep memory placements of the batch kernels and measure each (issue #4, part 2).

Configurations: method (``kernels.TABLEAU_NAMES``) x system size (``kernels.oscillator_chain(n)``,
2n states) x precision x placement x block size.  Placements:

    local, shared        every buffer pinned local / shared (shared may be infeasible)
    sequential, greedy,  the planners, every buffer AUTO, min-shared objective
    cpsat
    auto                 solve_ivp's default: register-first, then CP-SAT min-shared
    loop-shared          the loop's buffers pinned shared, the step's local
    step-shared          the step's buffers pinned shared, the loop's local
    stages-shared        (extra, not in the default set) only erk.stage_rhs shared, the rest local

Every configuration is planned here (``kernels.planning.resolve_plan`` for the named ones,
``planner.solve`` on pinned ``LoopBufferSettings`` for the groups) and the Plan object is
passed to ``kernels.solve_ivp(plan=...)``; one that cannot be planned (shared over the
budget) is recorded as ``infeasible`` with the reason.  Two placements that give the same
layout launch the same compiled kernel (the first one's Plan is reused, ``same_kernel_as``).

Per configuration: one warm-up call (it compiles), then ``--repeats`` calls on device arrays
with CUDA events around ``kernels.batch.BatchKernel.launch`` (median reported; on the
simulator, wall time of the launch); registers, local and static shared bytes of the compiled
kernel (numba-cuda ``_Kernel.regs_per_thread`` etc.; null on the simulator); the Plan's totals;
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

import argparse
import datetime
import glob
import itertools
import json
import os
import shlex
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for _p in (ROOT, HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import numpy as np  # noqa: E402

from peers import event_timer, json_default, timed_batch_launch  # noqa: E402

T_IMPORT = time.perf_counter()  # the deadline counts from here (kernels and Numba load after it)

SCHEMA = "bufferplan.placement_sweep/1"
SIZES = (3, 8, 16, 32, 64, 128)
BLOCKS = (128, 64, 256)  # 128 first: a cut-off run has the default block for everything
PRECISIONS = ("float32", "float64")
NAMED = ("local", "shared", "sequential", "greedy", "cpsat", "auto")
GROUPS = ("loop-shared", "step-shared", "stages-shared")
PLACEMENTS = NAMED + GROUPS[:2]
PLANNERS = ("sequential", "greedy", "cpsat", "auto")
QUICK_SIZES = (3, 16, 64, 128)
# CUDA errors after which the context is unusable: every later configuration would fail too.
_CONTEXT_LOST = ("CUDA_ERROR_ILLEGAL", "LAUNCH_FAILED", "MISALIGNED_ADDRESS", "CUDA_ERROR_ASSERT",
                 "HARDWARE_STACK_ERROR")
COMPILE_ESTIMATE_S = 6.0  # per new kernel before one is measured (3-6 s seen on the H100)


# -- configurations --------------------------------------------------------------------------
def config_key(c):
    return (f"{c['method']}/{c['controller']}/n{c['n']}/{c['precision']}/b{c['block_size']}/{c['placement']}"
            f"/N{c['n_traj']}/t{c['t_end']:g}/dt{c['dt']:g}")


def group_key(c):
    return (c["method"], c["controller"], c["n"], c["precision"], c["block_size"])


def preset_dims(name):
    """The (methods, sizes, precisions, placements, blocks) products of a preset."""
    import kernels

    if name == "quick":
        # In order of priority: the first four (74 kernels) fit one 9-minute device call at up to
        # 6 s per compile; the last two (32 more kernels) fit too when compiles take about 3 s,
        # and are otherwise left to a second call of the same command (it resumes).
        return [(("tsit5",), QUICK_SIZES, ("float32",), PLACEMENTS, (128,)),
                (("tsit5",), QUICK_SIZES, ("float64",), PLACEMENTS, (128,)),
                (("rk4",), QUICK_SIZES, ("float32",), PLACEMENTS, (128,)),
                (("tsit5",), (16,), ("float32",), PLACEMENTS, (64, 256)),
                (("rk4",), QUICK_SIZES, ("float64",), PLACEMENTS, (128,)),
                (("tsit5",), (16,), ("float64",), PLACEMENTS, (64, 256))]
    return [(tuple(kernels.TABLEAU_NAMES), SIZES, PRECISIONS, PLACEMENTS, BLOCKS)]


def make_configs(args):
    """The configurations in run order: a preset's, filtered by the selections, or the selections' product."""
    import kernels

    dims = preset_dims(args.preset or "full")
    names = ("methods", "sizes", "precisions", "placements", "blocks")
    configs, seen = [], set()
    for dim in dims:
        chosen = []
        for name, values in zip(names, dim):
            pick = getattr(args, name)
            if pick is None:
                chosen.append(values)
            elif args.preset:  # a preset is filtered
                chosen.append(tuple(v for v in values if v in pick))
            else:  # without one, the selection is the dimension (in its order)
                chosen.append(pick)
        methods, sizes, precisions, placements, blocks = chosen
        for block, method, n, prec, placement in itertools.product(blocks, methods, sizes, precisions, placements):
            adaptive = args.controller == "default" and kernels.TABLEAUS[method].adaptive
            c = {"method": method, "controller": "pi" if adaptive else "fixed", "n": n, "precision": prec,
                 "placement": placement, "block_size": block, "n_traj": args.n_traj, "t_end": args.t_end,
                 "dt": args.dt}
            if config_key(c) not in seen:
                seen.add(config_key(c))
                configs.append(c)
    return configs


# -- planning ----------------------------------------------------------------------------------
def group_settings(system, tableau, adaptive, placement):
    """LoopBufferSettings with the buffer groups of ``placement`` pinned."""
    from kernels.erk import ERKBufferSettings
    from kernels.loop import LoopBufferSettings
    from kernels.planning import make_settings
    from planner import Location

    shared, local = Location.SHARED, Location.LOCAL
    base = make_settings(system, tableau, adaptive).buffer_settings()
    step_names = [b.name for b in base.children[0].buffers if not b.is_view]
    loop_names = [b.name for b in base.buffers if not b.is_view]
    if placement == "loop-shared":
        step_pin, loop_pin = {b: local for b in step_names}, {b: shared for b in loop_names}
    elif placement == "step-shared":
        step_pin, loop_pin = {b: shared for b in step_names}, {b: local for b in loop_names}
    elif placement == "stages-shared":
        step_pin = {b: shared if b == "stage_rhs" else local for b in step_names}
        loop_pin = {b: local for b in loop_names}
    else:
        raise ValueError(f"placement: unknown group {placement!r}; expected one of {GROUPS}")
    step = ERKBufferSettings(tableau, system.n_states, system.n_drivers, locations=step_pin,
                             estimate_error=adaptive)
    return LoopBufferSettings(step, system.n_params, system.n_observables, adaptive, locations=loop_pin)


def plan_config(c, system, tableau, adaptive):
    """Return ``(plan, None)`` or ``(None, (status, reason))``."""
    import planner
    from kernels import KernelError
    from kernels.planning import default_device, resolve_plan

    dtype = np.dtype(c["precision"]).type
    try:
        if c["placement"] in NAMED:
            return resolve_plan(c["placement"], system, tableau, adaptive, dtype, c["block_size"])[1], None
        settings = group_settings(system, tableau, adaptive, c["placement"])
        problem = settings.buffer_settings().to_problem(precision=c["precision"], block_size=c["block_size"],
                                                        device=default_device(), objective="min-shared")
        return planner.solve(problem, planner="greedy"), None
    except (planner.PlannerError, KernelError) as exc:
        infeasible = isinstance(exc, planner.InfeasibleError) or isinstance(exc.__cause__, planner.InfeasibleError)
        return None, ("infeasible" if infeasible else "error", f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - a planning bug is recorded, and the sweep goes on
        return None, ("error", f"planning: {type(exc).__name__}: {exc}")


def layout_signature(plan):
    return (plan.precision, plan.block_size, plan.shared_stride, plan.persistent_local_elements,
            tuple((b.name, b.placement.value, b.offset_elems) for b in plan.buffers))


def plan_record(plan, device_model):
    p = plan.provenance
    itemsize = np.dtype(plan.precision).itemsize
    occ = device_model.occupancy(plan.block_size, 32, plan.shared_bytes_per_block)
    return {
        "plan": {"planner": p.planner, "status": p.status, "lower_bound": p.lower_bound,
                 "solve_seconds": round(p.solve_seconds, 4), "shared_elements": plan.shared_elements,
                 "shared_stride": plan.shared_stride, "shared_bytes_per_block": plan.shared_bytes_per_block,
                 "local_elements": plan.local_elements, "persistent_local_elements": plan.persistent_local_elements,
                 "placements": {b.name: b.placement.value + ("" if b.offset_elems is None else f"@{b.offset_elems}")
                                for b in plan.buffers if b.view_of is None}},
        "plan_prediction": {"registers_assumed": 32, "occupancy": occ.occupancy, "blocks_per_sm": occ.blocks_per_sm,
                            "limited_by": occ.limited_by,
                            "local_words": (plan.local_elements + plan.persistent_local_elements) * itemsize // 4},
    }


# -- measuring ------------------------------------------------------------------------------
def _timer():
    """Start timing; return ``stop()`` -> ms: CUDA events on a GPU, wall clock after a synchronize on the simulator."""
    from numba import cuda

    from kernels.backend import backend

    if backend() == "cuda":
        return event_timer()
    t = time.perf_counter()

    def stop_wall():
        cuda.synchronize()
        return (time.perf_counter() - t) * 1e3
    return stop_wall


def time_launches(batch_kernel, call, count):
    """Milliseconds per launch of ``count`` back-to-back launches (the host's dispatch hides behind the GPU's work)."""
    args, kwargs = call
    stop = _timer()
    for _ in range(count):
        batch_kernel.launch(*args, **kwargs)
    return stop() / count


def kernel_attributes(batch_kernel, args):
    """Registers, local and static shared bytes of the compiled kernel; nulls on the simulator."""
    from kernels.backend import backend

    out = {"registers_per_thread": None, "local_bytes_per_thread": None, "static_shared_bytes_per_block": None,
           "const_bytes": None, "max_threads_per_block": None,
           "launch_shared_bytes_per_block": int(batch_kernel.shared_bytes)}
    if backend() != "cuda":
        return out
    dispatcher = batch_kernel.kernel
    overloads = dict(dispatcher.overloads)  # one: a kernel is built per Plan and always launched alike
    out["overloads"] = len(overloads)
    k = None
    try:  # the overload of these arguments, as kernels.batch's shared-memory opt-in finds it
        k = overloads.get(tuple(dispatcher.typeof_pyval(a) for a in args))
    except Exception:  # noqa: BLE001
        pass
    if k is None and len(overloads) == 1:
        k = next(iter(overloads.values()))
    if k is None:
        out["attributes_error"] = f"no compiled overload for the launch's argument types among {len(overloads)}"
        return out
    for key, attr in (("registers_per_thread", "regs_per_thread"), ("local_bytes_per_thread", "local_mem_per_thread"),
                      ("static_shared_bytes_per_block", "shared_mem_per_block"), ("const_bytes", "const_mem_size"),
                      ("max_threads_per_block", "max_threads_per_block")):
        try:
            out[key] = int(getattr(k, attr))
        except Exception as exc:  # noqa: BLE001 - the driver binding's errors vary by version
            out.setdefault("attributes_error", f"{attr}: {type(exc).__name__}: {exc}"[:300])
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
        from kernels.planning import default_device
        from peers import device_info, device_label, git_state, versions

        self.args, self.kernels = args, kernels
        self.t_start = T_IMPORT
        self.info = device_info()
        self.device_model = default_device()
        self.label = device_label(self.info) + (f"_{args.tag}" if args.tag else "")
        os.makedirs(args.out, exist_ok=True)
        self.path = os.path.join(args.out, f"placement_sweep_{self.label}.jsonl")
        self.done = self._resume()
        self.systems, self.inputs, self.layouts = {}, Inputs(), {}
        self.compile_s = []  # first call minus a timed call, per new kernel
        self.header = {"record": "run", "schema": SCHEMA,
                       "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                       "command": " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv),
                       "device": self.info, "backend": kernels.backend(),
                       "device_model": self.device_model.to_json(),
                       "device_model_source": "live" if kernels.backend() == "cuda" else "preset (simulator)",
                       "versions": versions(), "git": git_state(),
                       "settings": {k: v for k, v in vars(args).items() if k not in ("summary", "dry_run")},
                       "problem": "kernels.oscillator_chain(n), params (k, c) = (linspace(0.5, 1.5, N), 0.1), "
                                  "x0 = linspace(0.5, 1.5, N) * sin(pi i / (n + 1)), v0 = 0; final state saved"}

    def _resume(self):
        seed = os.path.join(HERE, "results", os.path.basename(self.path))
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

    def system(self, n):
        if n not in self.systems:
            self.systems[n] = self.kernels.oscillator_chain(n)
        return self.systems[n]

    def predicted_s(self, c, plan):
        """Seconds the next configuration is expected to take (for the deadline)."""
        new = plan is not None and self._layout_key(c, plan) not in self.layouts
        # The first compile also warms Numba up: leave it out once others are known.
        known = self.compile_s[1:][-5:] if len(self.compile_s) > 1 else self.compile_s[-1:]
        first = COMPILE_ESTIMATE_S if self.kernels.backend() == "cuda" else 0.5
        compile_s = max(known, default=first) if new else 0.0
        return compile_s + self.last_run_s

    def _layout_key(self, c, plan):
        return (c["method"], c["controller"], c["n"], c["n_traj"]) + layout_signature(plan)

    def run(self, configs):
        todo = [c for c in configs if self.done.get(config_key(c)) not in ("ok", "infeasible", "bad_result")
                and (self.args.retry_errors or config_key(c) not in self.done)]
        self.log(f"device {self.info.get('name')} ({self.kernels.backend()}); {len(configs)} configurations, "
                 f"{len(configs) - len(todo)} already in {self.path}, {len(todo)} to run")
        self.write(self.header)
        self.last_run_s = 1.0
        stopped = None
        for i, c in enumerate(todo, 1):
            tableau = self.kernels.TABLEAUS[c["method"]]
            system = self.system(c["n"])
            t_plan = time.perf_counter()
            plan, failure = plan_config(c, system, tableau, c["controller"] != "fixed")
            plan_s = time.perf_counter() - t_plan
            if self.args.deadline_s and self.elapsed() + self.predicted_s(c, plan) > self.args.deadline_s:
                stopped = f"deadline: {self.elapsed():.0f} s + predicted {self.predicted_s(c, plan):.0f} s > " \
                          f"{self.args.deadline_s:.0f} s before {config_key(c)}"
                break
            rec = {"record": "config", "key": config_key(c), **c, "n_states": system.n_states,
                   "device": self.label, "backend": self.kernels.backend(), "plan_s": round(plan_s, 4)}
            if failure:
                rec.update(status=failure[0], reason=failure[1][:1000])
            else:
                rec.update(plan_record(plan, self.device_model))
                t0 = time.perf_counter()
                try:
                    rec.update(self.measure(c, system, plan))
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

    def measure(self, c, system, plan):
        kernels = self.kernels
        key = self._layout_key(c, plan)
        same = self.layouts.get(key)
        out = {"same_kernel_as": None}
        if same is not None:
            out["same_kernel_as"] = same[0]
            plan = same[1]  # the same layout: launch the kernel already compiled for it
        d_y0, d_params = self.inputs.get(c["n"], c["precision"], c["n_traj"])
        steps = int(round(c["t_end"] / c["dt"]))
        kw = dict(method=c["method"], dt=c["dt"], controller=c["controller"], precision=np.dtype(c["precision"]).type,
                  plan=plan, t_eval=np.array([c["t_end"]]),
                  max_steps=steps + 10 if c["controller"] == "fixed" else self.args.max_steps)
        if c["controller"] != "fixed":
            kw.update(rtol=self.args.rtol, atol=self.args.atol)

        def call(held):
            with timed_batch_launch(held, _timer):
                res = kernels.solve_ivp(system, (0.0, c["t_end"]), d_y0, d_params, **kw)
            if held["count"] != 1:
                raise RuntimeError(f"expected one kernel launch per solve_ivp, saw {held['count']}")
            return res

        t = time.perf_counter()
        warm = {}
        res = call(warm)  # compiles; keeps the kernel and its arguments
        first_s = time.perf_counter() - t
        single = {}
        call(single)  # one launch inside solve_ivp, timed as peers.py does (host dispatch included)
        bk, launch = warm["kernel"], warm["call"]  # BatchKernel.launch(n_traj, kernel_args, ...)
        per_round = max(1, min(self.args.launches_max, int(self.args.round_s * 1e3 / max(single["ms"], 1e-3))))
        times, spent = [], single["ms"] / 1e3  # a slow kernel (n = 128 spills: seconds) gets fewer rounds
        while len(times) < self.args.repeats and (not times or spent < self.args.repeat_budget_s):
            ms = time_launches(bk, launch, per_round)
            times.append(ms)
            spent += ms * per_round / 1e3
        compiled = same is None
        compile_s = max(0.0, first_s - single["ms"] / 1e3)
        if compiled:
            self.layouts[key] = (c["placement"], plan)
            self.compile_s.append(compile_s)
        attrs = kernel_attributes(bk, launch[0][1])
        out.update(kernel=attrs, occupancy=self.occupancy(c, attrs, plan))
        events = kernels.backend() == "cuda"
        out.update(kernel_ms=statistics.median(times), kernel_ms_min=min(times), kernel_ms_all=times,
                   launches_per_round=per_round, kernel_ms_single=single["ms"], first_call_s=round(first_s, 3),
                   compile_s=round(compile_s, 3), compiled=compiled,
                   timing=("cuda events around " if events else "wall time (simulator: no CUDA events) of ")
                   + f"{per_round} back-to-back kernels.batch.BatchKernel.launch calls with the warm-up "
                   "solve_ivp's arguments, per launch, median of rounds; kernel_ms_single: one launch inside "
                   "solve_ivp, host dispatch included (as peers.py)")
        out["result"] = result_check(res, c, steps)
        out["status"] = "ok" if out["result"]["ok"] else "bad_result"
        return out

    def occupancy(self, c, attrs, plan):
        regs = attrs["registers_per_thread"]
        if regs is None:
            return None
        shared = attrs["launch_shared_bytes_per_block"] + (attrs["static_shared_bytes_per_block"] or 0)
        occ = self.device_model.occupancy(c["block_size"], max(regs, 1), shared)
        grid = -(-c["n_traj"] // c["block_size"])
        resident = occ.blocks_per_sm * self.device_model.multiprocessors
        return {"occupancy": occ.occupancy, "blocks_per_sm": occ.blocks_per_sm, "limited_by": occ.limited_by,
                "shared_bytes_per_block": shared, "waves": round(grid / resident, 3) if resident else None}


def result_check(res, c, steps):
    status = res.status.copy_to_host()
    n_steps = res.n_steps.copy_to_host()
    y = res.y.copy_to_host()[:, -1, :].astype(np.float64)
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


# -- summary -----------------------------------------------------------------------------------
def read_jsonl(paths):
    """Every parsable record of the files, in order (a line cut off by a kill is skipped)."""
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path) as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue


def summarize(paths):
    """Per group the fastest placement and every placement's regret; per placement its median and max regret."""
    latest = {}
    runs = []
    for rec in read_jsonl(paths):
        if rec.get("record") == "config":
            latest[(rec.get("device"), rec["key"])] = rec
        elif rec.get("record") == "run":
            runs.append({k: rec.get(k) for k in ("date_utc", "command", "backend")} | {
                "device": (rec.get("device") or {}).get("name")})
    groups = {}
    for (device, _), rec in latest.items():
        gk = (device, rec["n_traj"], rec["t_end"], rec["dt"]) + group_key(rec)
        groups.setdefault(gk, {})[rec["placement"]] = rec
    rows, per_placement = [], {}
    for gk in sorted(groups, key=lambda g: tuple((0, x, "") if isinstance(x, (int, float)) else (1, 0, str(x))
                                                 for x in g)):
        recs = groups[gk]
        ok = {p: r for p, r in recs.items() if r["status"] == "ok" and r.get("kernel_ms")}
        row = {"device": gk[0], "n_traj": gk[1], "t_end": gk[2], "dt": gk[3], "method": gk[4], "controller": gk[5],
               "n": gk[6], "precision": gk[7], "block_size": gk[8], "placements": {}}
        best = min(ok, key=lambda p: ok[p]["kernel_ms"]) if ok else None
        row["best"] = best
        row["best_ms"] = ok[best]["kernel_ms"] if best else None
        checks = [r["result"]["checksum"] for r in ok.values()]
        row["checksum_spread"] = (max(checks) - min(checks)) / max(abs(max(checks)), 1e-300) if checks else None
        for p, r in recs.items():
            entry = {"status": r["status"]}
            if p in ok:
                regret = ok[p]["kernel_ms"] / row["best_ms"] - 1.0
                entry.update(kernel_ms=r["kernel_ms"], regret=regret,
                             registers=r["kernel"]["registers_per_thread"],
                             local_bytes=r["kernel"]["local_bytes_per_thread"],
                             shared_bytes_per_block=r["plan"]["shared_bytes_per_block"],
                             occupancy=(r.get("occupancy") or {}).get("occupancy"),
                             predicted_occupancy=r["plan_prediction"]["occupancy"])
                stats = per_placement.setdefault(p, {"regrets": [], "wins": 0, "infeasible": 0, "failed": 0})
                stats["regrets"].append(regret)
                stats["wins"] += p == best
            else:
                stats = per_placement.setdefault(p, {"regrets": [], "wins": 0, "infeasible": 0, "failed": 0})
                stats["infeasible" if r["status"] == "infeasible" else "failed"] += 1
                entry["reason"] = r.get("reason", "")[:300]
            row["placements"][p] = entry
        rows.append(row)
    noise = []  # two placements that launched the same compiled kernel: the timing's own spread
    for recs in groups.values():
        for p, r in recs.items():
            twin = recs.get(r.get("same_kernel_as") or "")
            if r["status"] == "ok" and twin is not None and twin["status"] == "ok":
                noise.append(abs(r["kernel_ms"] / twin["kernel_ms"] - 1.0))
    overall = {}
    for p, s in per_placement.items():
        rg = s["regrets"]
        overall[p] = {"groups_measured": len(rg), "wins": s["wins"], "infeasible": s["infeasible"],
                      "failed": s["failed"], "median_regret": statistics.median(rg) if rg else None,
                      "max_regret": max(rg) if rg else None}
    return {"schema": SCHEMA + "/summary", "sources": [os.path.abspath(p) for p in paths], "runs": runs,
            "planners": list(PLANNERS), "groups": rows, "per_placement": overall,
            "same_kernel_spread": {"pairs": len(noise), "median": statistics.median(noise) if noise else None,
                                   "max": max(noise) if noise else None}}


def markdown(summary):
    order = [p for p in PLACEMENTS + GROUPS[2:] if p in summary["per_placement"]]
    order += sorted(p for p in summary["per_placement"] if p not in order)
    lines = ["# Placement sweep", "",
             "Regret = time / best time of the group - 1 (0 = fastest); `inf.` = infeasible (over the shared "
             "budget), `err` = failed or wrong result, `-` = not run.", "",
             "| device | method | n | precision | block | best | best ms | " + " | ".join(order) + " |",
             "|" + "---|" * (7 + len(order))]
    for r in summary["groups"]:
        cells = []
        for p in order:
            e = r["placements"].get(p)
            if e is None:
                cells.append("-")
            elif "regret" in e:
                cells.append(f"{e['regret']:.3f}")
            else:
                cells.append("inf." if e["status"] == "infeasible" else "err")
        best_ms = f"{r['best_ms']:.3f}" if r["best_ms"] is not None else "-"
        lines.append(f"| {r['device']} | {r['method']}/{r['controller']} | {r['n']} | {r['precision']} | "
                     f"{r['block_size']} | {r['best'] or '-'} | {best_ms} | " + " | ".join(cells) + " |")
    lines += ["", "| placement | groups | wins | median regret | max regret | infeasible | failed |",
              "|---|---|---|---|---|---|---|"]
    for p in order:
        s = summary["per_placement"][p]
        med = "-" if s["median_regret"] is None else f"{s['median_regret']:.3f}"
        mx = "-" if s["max_regret"] is None else f"{s['max_regret']:.3f}"
        lines.append(f"| {p}{' (planner)' if p in PLANNERS else ''} | {s['groups_measured']} | {s['wins']} | "
                     f"{med} | {mx} | {s['infeasible']} | {s['failed']} |")
    twins = summary["same_kernel_spread"]
    if twins["pairs"]:
        lines += ["", f"Timing noise: {twins['pairs']} pairs of placements launched the same compiled kernel; "
                  f"their times differ by {twins['median']:.3f} (median) and {twins['max']:.3f} (max) relative. "
                  "Regrets below that are ties."]
    spread = [r for r in summary["groups"] if r["checksum_spread"] and r["checksum_spread"] > 1e-4]
    if spread:
        lines += ["", "Groups whose placements disagree on the final states (relative checksum spread > 1e-4): "
                  + ", ".join(f"{r['method']} n={r['n']} {r['precision']} b{r['block_size']} "
                              f"({r['checksum_spread']:.2e})" for r in spread)]
    return "\n".join(lines) + "\n"


def write_summary(out_dir, paths):
    summary = summarize(paths)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "placement_sweep_summary.json"), "w") as fh:
        json.dump(summary, fh, indent=1, default=json_default)
    text = markdown(summary)
    with open(os.path.join(out_dir, "placement_sweep_summary.md"), "w") as fh:
        fh.write(text)
    print(text, flush=True)
    print(f"summary: {os.path.join(out_dir, 'placement_sweep_summary.json')} and .md", flush=True)
    return summary


# -- dry run -----------------------------------------------------------------------------------
def dry_run(args, configs):
    """Plan every configuration and estimate the device time from the number of distinct kernels."""
    import kernels

    layouts, infeasible = set(), 0
    for c in configs:
        system = kernels.oscillator_chain(c["n"])
        plan, failure = plan_config(c, system, kernels.TABLEAUS[c["method"]], c["controller"] != "fixed")
        if failure:
            infeasible += failure[0] == "infeasible"
            print(f"{config_key(c)}: {failure[0]}")
            continue
        layouts.add((c["method"], c["controller"], c["n"]) + layout_signature(plan))
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
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=("quick", "full"),
                    help="quick: every placement, in this order: block 128 x tsit5 x n 3, 16, 64, 128 x float32, "
                         "then float64; rk4 x the same n x float32; tsit5 n=16 float32 at blocks 64, 256; "
                         "rk4 float64 at block 128; tsit5 n=16 float64 at blocks 64, 256 (one or two device "
                         "calls). full: every method, size, precision, block. The selections below then "
                         "only filter the preset")
    ap.add_argument("--methods", type=_list(str), help="comma list of kernels.TABLEAU_NAMES (default all)")
    ap.add_argument("--sizes", type=_list(int),
                    help=f"chain lengths n (2n states); default {','.join(map(str, SIZES))}")
    ap.add_argument("--precisions", type=_list(str), help="float32,float64 (default both)")
    ap.add_argument("--placements", type=_list(str),
                    help=f"default {','.join(PLACEMENTS)}; also {','.join(GROUPS[2:])}")
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
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
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

    checks = {"methods": tuple(kernels.TABLEAU_NAMES), "precisions": PRECISIONS, "placements": PLACEMENTS + GROUPS}
    for key, allowed in checks.items():
        bad = [v for v in getattr(args, key) or () if v not in allowed]
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
