#!/usr/bin/env python3
"""compute-sanitizer over bufferplan's kernels (issue #4, part 3).

The matrix is every method of ``kernels.TABLEAU_NAMES`` (with its default controller, and
also ``controller="fixed"`` for the adaptive ones) x placements (``local``, ``shared``,
``auto``) x block sizes (32, 64, 128), Lorenz with N = 100 (not a multiple of any block
size), float32, two save times.  Each tool (memcheck, racecheck, initcheck) runs the
configurations in a few long-lived Python processes under
``compute-sanitizer --tool T --error-exitcode 1`` (Numba compiles are the cost, so one
process per configuration would be too slow); the tools and chunks run in parallel.  A
process that dies, or whose CUDA context is poisoned by an error, is restarted on the
configurations it had not reached.

The child prints ``@@SANITIZE BEGIN/END <id>`` around each configuration and synchronises
before END, so the sanitizer's error reports between the two markers belong to that
configuration.  Each configuration's result is also checked against SciPy (3 trajectories),
because an out-of-bounds write inside one thread's own local memory is invisible to memcheck.

    python -m benchmarks.sanitize --out $OUT                 # the whole matrix
    python -m benchmarks.sanitize --tools memcheck --methods tsit5,rk4 --placements shared
    compute-sanitizer --tool memcheck python -m benchmarks.sanitize --one tsit5 shared 64

Writes ``<out>/sanitizer_<device>[_<tag>].json``, the raw logs ``sanitizer_<device>_<tool>_<k>.log``,
and prints a table with the error count per configuration and tool and the totals.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

if not __package__:  # run as a file: the imports below are package-relative
    raise SystemExit("run it as a module from the repository root: python -m benchmarks.sanitize [options]")

from .environment import RESULTS, ROOT  # noqa: E402

SCHEMA = "bufferplan.sanitizer/1"
TOOLS = ("memcheck", "racecheck", "initcheck")
PLACEMENTS = ("local", "shared", "auto")
BLOCKS = (32, 64, 128)
FALLBACK_METHODS = ("euler", "heun", "rk4", "bs3", "dopri5", "tsit5")
NON_ADAPTIVE = ("euler", "rk4")
MARK = "@@SANITIZE"
POISONED_RC = 3
SANITIZER_LINE = re.compile(r"^========= (\S.*)$")
NOT_ERRORS = ("COMPUTE-SANITIZER", "ERROR SUMMARY", "RACECHECK SUMMARY", "LEAK SUMMARY", "Target application",
              "This tool", "Note:", "Warning: Sanitizer", "Detected")
STICKY = ("ILLEGAL_ADDRESS", "LAUNCH_FAILED", "UNSPECIFIED_LAUNCH_FAILURE", "ILLEGAL_INSTRUCTION",
          "MISALIGNED_ADDRESS", "HARDWARE_STACK_ERROR", "CUDA_ERROR_ASSERT", "CONTEXT_IS_DESTROYED",
          "CUDA_ERROR_LAUNCH", "an illegal memory access", "unspecified launch failure")


# -- the child: run configurations ---------------------------------------------------------
def config_id(c):
    return f"{c['method']}/{c['controller']}/{c['placement']}/b{c['block']}"


def run_config(c, n, t1, device_arrays):
    """Solve one configuration; return a dict of what came out (raises on failure)."""
    import numpy as np
    from numba import cuda
    from scipy.integrate import solve_ivp as scipy_ivp

    import kernels

    from .lorenz_problem import host_lorenz

    system = kernels.lorenz() if callable(kernels.lorenz) and not hasattr(kernels.lorenz, "n_states") \
        else kernels.lorenz
    rho = np.linspace(0.0, 21.0, n)
    params = np.stack([np.full(n, 10.0), rho, np.full(n, 8.0 / 3.0)], axis=1).astype(np.float32)
    y0 = np.tile(np.array([1.0, 0.0, 0.0], np.float32), (n, 1))
    y0[:, 1] = np.linspace(0.0, 0.5, n, dtype=np.float32)
    kw = dict(method=c["method"], plan=c["placement"], block_size=c["block"], precision=np.float32,
              t_eval=np.array([t1 / 2, t1]), max_steps=10000)
    adaptive = c["controller"] != "fixed"
    if adaptive:
        kw.update(rtol=1e-6, atol=1e-6)  # dt=None: the first step is chosen on the device
        if c["controller"] != "default":
            kw["controller"] = c["controller"]
    else:
        kw.update(dt=t1 / 20, controller="fixed")
    a, b = (cuda.to_device(y0), cuda.to_device(params)) if device_arrays else (y0, params)
    t = time.perf_counter()
    res = kernels.solve_ivp(system, (0.0, t1), a, params=b, **kw)
    cuda.synchronize()
    seconds = time.perf_counter() - t
    host = lambda x: x.copy_to_host() if hasattr(x, "copy_to_host") else np.asarray(x)  # noqa: E731
    y, status = host(res.y), host(res.status)
    idx = [0, n // 2, n - 1]
    worst = 0.0
    for i in idx:
        ref = scipy_ivp(host_lorenz(params[i].astype(np.float64)), (0.0, t1), y0[i].astype(np.float64),
                        method="DOP853", rtol=1e-10, atol=1e-10).y[:, -1]
        d = np.abs(y[i, -1].astype(np.float64) - ref) / (1.0 + np.abs(ref))
        worst = max(worst, float(d.max()) if np.all(np.isfinite(d)) else math.inf)
    tol = 0.1 if c["method"] == "euler" else 1e-2
    codes, counts = np.unique(status, return_counts=True)
    plan = getattr(res, "plan", None)
    return {"seconds": round(seconds, 3), "status_counts": {str(int(k)): int(v) for k, v in zip(codes, counts)},
            "scaled_err_vs_scipy": worst, "result_ok": bool(worst <= tol and np.all(status == 0)),
            "shared_bytes_per_block": getattr(plan, "shared_bytes_per_block", None),
            "local_elements": getattr(plan, "local_elements", None)}


def child(configs, n, t1, device_arrays, settle_s=0.0):
    """Run ``configs`` in order, printing markers; exit POISONED_RC when the CUDA context is lost.

    Returns 1 when a configuration raised, else 0.
    """
    failed = 0
    for c in configs:
        cid = config_id(c)
        print(f"{MARK} BEGIN {cid}", flush=True)
        try:
            out = run_config(c, n, t1, device_arrays)
            time.sleep(settle_s)  # let the sanitizer print this configuration's reports before END
            print(f"{MARK} END {cid} {json.dumps(out)}", flush=True)
        except Exception as exc:  # noqa: BLE001
            text = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:800]
            failed = 1
            print(f"{MARK} FAIL {cid} {json.dumps({'error': text})}", flush=True)
            traceback.print_exc(file=sys.stdout)
            sys.stdout.flush()
            if any(s.lower() in text.lower() for s in STICKY):
                print(f"{MARK} POISONED {cid}", flush=True)
                os._exit(POISONED_RC)
    return failed


# -- the parent: the matrix ----------------------------------------------------------------
def parse_log(text):
    """Per configuration: sanitizer error lines, outcome and details; plus the process summary."""
    per, order, current = {}, [], None
    summary = {"error_summary": None, "racecheck_summary": None}
    for line in text.splitlines():
        if line.startswith(MARK):
            parts = line.split(" ", 3)
            kind, cid = parts[1], parts[2] if len(parts) > 2 else "?"
            if kind == "BEGIN":
                current = cid
                per[cid] = {"outcome": "started", "errors": 0, "api_errors": 0, "error_lines": []}
                order.append(cid)
            elif kind in ("END", "FAIL") and cid in per:
                per[cid]["outcome"] = "ran" if kind == "END" else "exception"
                try:
                    per[cid].update(json.loads(parts[3]) if len(parts) > 3 else {})
                except json.JSONDecodeError:
                    per[cid]["detail"] = parts[3] if len(parts) > 3 else ""
                current = None
            elif kind == "POISONED" and cid in per:
                per[cid]["poisoned_context"] = True
            continue
        m = SANITIZER_LINE.match(line)
        if not m:
            continue
        body = m.group(1)
        s = re.match(r"ERROR SUMMARY: (\d+) error", body)
        if s:
            summary["error_summary"] = int(s.group(1))
            continue
        s = re.match(r"RACECHECK SUMMARY: (.*)", body)
        if s:
            summary["racecheck_summary"] = s.group(1)
            continue
        if body.startswith(NOT_ERRORS):
            continue
        target = current if current is not None else "(outside any configuration)"
        entry = per.setdefault(target, {"outcome": "n/a", "errors": 0, "api_errors": 0, "error_lines": []})
        entry["errors"] += 1
        if body.startswith("Program hit"):  # a CUDA API call returned an error
            entry["api_errors"] += 1
        if len(entry["error_lines"]) < 5:
            entry["error_lines"].append(body[:300])
    return per, order, summary


def device_name():
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
        if out.returncode == 0 and out.stdout.strip():
            name, driver = [s.strip() for s in out.stdout.strip().splitlines()[0].split(",")][:2]
            return name, driver
    except Exception:  # noqa: BLE001
        pass
    return ("cudasim" if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else "no-gpu"), None


def find_sanitizer(arg):
    if arg == "none":
        return None
    for path in (arg, shutil.which("compute-sanitizer"), "/usr/local/cuda/bin/compute-sanitizer"):
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise SystemExit(f"sanitize: compute-sanitizer not found (tried {arg!r}, PATH, /usr/local/cuda/bin); "
                     "pass --sanitizer PATH, or --sanitizer none to run the configurations unsanitized")


def method_list(arg):
    try:
        import kernels.tableaus as tab  # imports numba.cuda but opens no CUDA context here

        names = tuple(tab.TABLEAU_NAMES)
        adaptive = {n for n in names if tab.TABLEAUS[n].adaptive}
    except Exception:  # noqa: BLE001
        names, adaptive = FALLBACK_METHODS, set(FALLBACK_METHODS) - set(NON_ADAPTIVE)
    if arg != "all":
        wanted = [m.strip() for m in arg.split(",") if m.strip()]
        bad = [m for m in wanted if m not in names]
        if bad:
            raise SystemExit(f"sanitize: unknown methods {bad}; kernels has {list(names)}")
        names = tuple(wanted)
    return names, adaptive


def build_matrix(args):
    methods, adaptive = method_list(args.methods)
    configs = []
    for m in methods:
        controllers = list(args.controllers) if m in adaptive else ["fixed"]
        for ctrl in controllers:
            for p in args.placements:
                for b in args.blocks:
                    configs.append({"method": m, "controller": ctrl, "placement": p, "block": b})
    return configs


class Job:
    def __init__(self, tool, chunk, configs, args, sanitizer, workdir, log_path):
        self.tool, self.chunk, self.pending, self.args = tool, chunk, list(configs), args
        self.configs = list(configs)
        self.sanitizer, self.workdir, self.log_path = sanitizer, workdir, log_path
        self.attempts, self.results, self.returncodes, self.proc = 0, {}, [], None
        self.summaries, self.wall_s = [], 0.0

    def start(self):
        self.attempts += 1
        cfg = os.path.join(self.workdir, f"{self.tool}_{self.chunk}_{self.attempts}.json")
        with open(cfg, "w") as fh:
            json.dump(self.pending, fh)
        cmd = [sys.executable, "-m", "benchmarks.sanitize", "--configs-file", cfg, "--n", str(self.args.n),
               "--t1", str(self.args.t1), "--settle-s", "0.1" if self.sanitizer else "0"] \
            + (["--device-arrays"] if self.args.device_arrays else [])
        if self.sanitizer:
            cmd = [self.sanitizer, "--tool", self.tool, "--error-exitcode", "1", "--print-limit",
                   str(self.args.print_limit)] + cmd
        self.cmd = cmd
        self.fh = open(self.log_path, "a")
        self.fh.write(f"\n### attempt {self.attempts}: {' '.join(shlex.quote(x) for x in cmd)}\n")
        self.fh.flush()
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=self.fh, stderr=subprocess.STDOUT, cwd=ROOT,
                                     env=dict(os.environ, PYTHONUNBUFFERED="1"))

    def finish(self, rc):
        self.wall_s += time.perf_counter() - self.t0
        self.fh.close()
        self.returncodes.append(rc)
        with open(self.log_path) as fh:
            text = fh.read().split(f"### attempt {self.attempts}:", 1)[-1]
        per, order, summary = parse_log(text)
        self.summaries.append(summary)
        for cid, r in per.items():
            self.results[cid] = r
        done = {cid for cid, r in per.items() if r["outcome"] in ("ran", "exception", "started")}
        remaining = [c for c in self.pending if config_id(c) not in done]
        # a configuration that started but never ended killed the process: do not retry it
        self.pending = remaining
        return bool(remaining) and self.attempts < self.args.max_attempts


def run_matrix(args):
    sanitizer = find_sanitizer(args.sanitizer)
    name, driver = device_name()
    label = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + (f"_{args.tag}" if args.tag else "")
    os.makedirs(args.out, exist_ok=True)
    configs = build_matrix(args)
    tools = args.tools if sanitizer else ["unsanitized"]
    per_tool = max(1, args.jobs // len(tools))
    workdir = tempfile.mkdtemp(prefix="sanitize_")
    jobs = []
    for tool in tools:
        chunks = [configs[i::per_tool] for i in range(min(per_tool, len(configs)))]
        for k, chunk in enumerate(chunks):
            log = os.path.join(args.out, f"sanitizer_{label}_{tool}_{k}.log")
            if os.path.exists(log):
                os.remove(log)
            jobs.append(Job(tool, k, chunk, args, sanitizer, workdir, log))
    version = None
    if sanitizer:
        try:
            version = subprocess.run([sanitizer, "--version"], capture_output=True, text=True,
                                     timeout=30).stdout.strip().splitlines()[-1]
        except Exception:  # noqa: BLE001
            pass
    print(f"sanitize: {len(configs)} configurations x {len(tools)} tool(s) in {len(jobs)} processes "
          f"({per_tool} per tool); sanitizer {sanitizer or 'none'}", flush=True)
    t_start = time.perf_counter()
    for j in jobs:
        j.start()
    running = list(jobs)
    while running:
        time.sleep(0.5)
        for j in list(running):
            rc = j.proc.poll()
            if rc is None and time.perf_counter() - t_start > args.timeout_s:
                j.proc.kill()
                rc = j.proc.wait()
                j.timed_out = True
            if rc is None:
                continue
            running.remove(j)
            again = j.finish(rc) and not getattr(j, "timed_out", False)
            print(f"  [{time.perf_counter() - t_start:6.1f}s] {j.tool} chunk {j.chunk} attempt {j.attempts}: "
                  f"rc {rc}, {len(j.results)} configurations seen" + (", restarting on the rest" if again else ""),
                  flush=True)
            if again:
                j.start()
                running.append(j)
    doc = {"schema": SCHEMA, "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "command": " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv), "host": platform.node(),
           "device": {"name": name, "driver_version": driver}, "sanitizer": sanitizer, "sanitizer_version": version,
           "versions": _versions(),
           "settings": {"tools": tools, "n": args.n, "t1": args.t1, "device_arrays": args.device_arrays,
                        "placements": list(args.placements), "blocks": list(args.blocks),
                        "controllers": list(args.controllers), "print_limit": args.print_limit},
           "wall_s": round(time.perf_counter() - t_start, 1), "processes": [], "results": []}
    for j in jobs:
        doc["processes"].append({"tool": j.tool, "chunk": j.chunk, "attempts": j.attempts,
                                 "returncodes": j.returncodes, "summaries": j.summaries,
                                 "timed_out": getattr(j, "timed_out", False), "wall_s": round(j.wall_s, 1),
                                 "log": os.path.basename(j.log_path),
                                 "outside_configurations": j.results.get("(outside any configuration)")})
        for c in j.configs:
            r = j.results.get(config_id(c), {"outcome": "not run", "errors": 0, "api_errors": 0, "error_lines": []})
            doc["results"].append({"tool": j.tool, **c, **r})
    path = os.path.join(args.out, f"sanitizer_{label}.json")
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=1)
    print_table(doc)
    print(f"results: {path}")
    bad = sum(r["errors"] for r in doc["results"]) + sum(
        (p["outside_configurations"] or {}).get("errors", 0) for p in doc["processes"])
    return 1 if bad or any(r["outcome"] != "ran" for r in doc["results"]) else 0


def _versions():
    import importlib.metadata

    out = {"python": platform.python_version()}
    for pkg in ("numpy", "numba", "numba-cuda", "ortools"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def print_table(doc):
    tools = doc["settings"]["tools"]
    rows = {}
    for r in doc["results"]:
        key = (r["method"], r["controller"], r["placement"], r["block"])
        cell = str(r["errors"]) + (f" ({r['api_errors']} api)" if r.get("api_errors") else "")
        if r["outcome"] != "ran":
            cell += f" {r['outcome']}"
        if r["outcome"] == "ran" and not r.get("result_ok", True):
            cell += " BADRESULT"
        rows.setdefault(key, {})[r["tool"]] = cell
    print(f"\n{'method':<8}{'controller':<11}{'placement':<10}{'block':>6}" + "".join(f"{t:>20}" for t in tools))
    for key in sorted(rows):
        m, c, p, b = key
        print(f"{m:<8}{c:<11}{p:<10}{b:>6}" + "".join(f"{rows[key].get(t, '-'):>20}" for t in tools))
    print("\ncells: sanitizer reports in that configuration (\"api\": CUDA API calls that returned an error);"
          " BADRESULT: the solution disagrees with SciPy or a status is not 0")
    print("totals:")
    for t in tools:
        rs = [r for r in doc["results"] if r["tool"] == t]
        outside = sum((p["outside_configurations"] or {}).get("errors", 0) for p in doc["processes"] if p["tool"] == t)
        summaries = [s.get("error_summary") for p in doc["processes"] if p["tool"] == t for s in p["summaries"]]
        print(f"  {t}: {sum(r['errors'] for r in rs)} errors in {len(rs)} configurations"
              f" (+{outside} outside any), ERROR SUMMARY lines total "
              f"{sum(s for s in summaries if s is not None)}; not run or failed: "
              f"{sum(r['outcome'] != 'ran' for r in rs)}; wrong results: "
              f"{sum(r['outcome'] == 'ran' and not r.get('result_ok', True) for r in rs)}")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.sanitize", description=__doc__.split("\n\n")[0])
    ap.add_argument("--one", nargs=3, metavar=("METHOD", "PLACEMENT", "BLOCK"),
                    help="run one configuration in this process (wrap it in compute-sanitizer yourself)")
    ap.add_argument("--controller", default=None, help="with --one: default, fixed, i, pi or pid")
    ap.add_argument("--configs-file", help=argparse.SUPPRESS)
    ap.add_argument("--settle-s", type=float, default=0.0, help=argparse.SUPPRESS)
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--methods", default="all", help="comma list, or all (kernels.TABLEAU_NAMES)")
    ap.add_argument("--placements", default=",".join(PLACEMENTS))
    ap.add_argument("--blocks", default=",".join(map(str, BLOCKS)))
    ap.add_argument("--controllers", default="default,fixed",
                    help="for adaptive methods, any of default (pi), fixed, i, pi, pid; the others always run fixed")
    ap.add_argument("--n", type=int, default=100, help="trajectories (default 100: no multiple of a block size)")
    ap.add_argument("--t1", type=float, default=0.05)
    ap.add_argument("--device-arrays", action="store_true", help="pass device arrays to solve_ivp")
    ap.add_argument("--jobs", type=int, default=min(12, os.cpu_count() or 4), help="processes in all")
    ap.add_argument("--max-attempts", type=int, default=4, help="restarts of a chunk after a crash")
    ap.add_argument("--timeout-s", type=float, default=450.0, help="kill what still runs after this")
    ap.add_argument("--print-limit", type=int, default=20)
    ap.add_argument("--sanitizer", default="compute-sanitizer", help="path, or none")
    ap.add_argument("--out", default=RESULTS, help="results folder (default benchmarks/results)")
    ap.add_argument("--tag", default="")
    args = ap.parse_args(argv)
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    bad = [t for t in args.tools if t not in TOOLS]
    if bad:
        ap.error(f"--tools: unknown {bad}; use {list(TOOLS)}")
    args.placements = [p.strip() for p in args.placements.split(",") if p.strip()]
    args.blocks = [int(b) for b in args.blocks.split(",") if b.strip()]
    args.controllers = [c.strip() for c in args.controllers.split(",") if c.strip()]
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.configs_file:
        with open(args.configs_file) as fh:
            return child(json.load(fh), args.n, args.t1, args.device_arrays, args.settle_s)
    if args.one:
        m, p, b = args.one
        methods, adaptive = method_list(m)
        ctrl = args.controller or ("default" if m in adaptive else "fixed")
        return child([{"method": m, "controller": ctrl, "placement": p, "block": int(b)}], args.n, args.t1,
                     args.device_arrays)
    return run_matrix(args)


if __name__ == "__main__":
    sys.exit(main())
