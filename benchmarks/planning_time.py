"""Planning ``auto`` with its compiler rounds against a plain all-local compile, cold, in fresh processes (issue #14).

For each configuration (``METHOD:SYSTEM:N``, SYSTEM ``chain`` for the oscillator chain or ``bruss`` for the
Brusselator; float32; tsit5 adaptive, the other methods on fixed steps), two fresh processes with the compile
cache off: ``local`` times ``Integrator.plan("local")`` and the build of its kernel with its resources read (the
compile a first solve pays), ``auto`` times ``Integrator.plan("auto")`` (CP-SAT, each compile round, the runner-up
and the all-local comparison: the chosen plan's kernel is kept for the solve) and the build of the chosen plan
(then nothing, or the kept kernel).  Reported per configuration: both times, their ratio, the rounds the Plan's
cost records, its note, and which buffers ``auto`` shared.  Processes run ``--jobs`` at a time, so compare the
ratio within a row, not times across runs.

``--repeat`` times a scientist's repeated script instead: ``auto`` (plan and build) in four fresh processes
that share one new compile-cache folder: ``cold`` (an empty folder), ``repeat`` (the decision that the cold run
kept, :mod:`kernels.plan_decisions`, with the compile cache's PTX and ptxas counts), ``repeat_again`` (the same:
some kernels' IR names count the compiles made before in the process, so the kept kernel, compiled first now,
can miss NVVM's cache once), and ``compile_cache_only`` (the decisions deleted first: a repeat as it was before
the decision cache, every round lowered again by Numba).

    python -m benchmarks.planning_time --out DIR                      # on a GPU (the driver compiles)
    NUMBA_ENABLE_CUDASIM=0 python -m benchmarks.planning_time --configs rk4:chain:16 --out DIR   # offline, ptxas
    NUMBA_ENABLE_CUDASIM=0 python -m benchmarks.planning_time --repeat --jobs 1 --configs rk4:chain:16 --out DIR
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SCHEMA = "bufferplan.planning_time/1"
_RUNS = ("cold", "repeat", "repeat_again", "compile_cache_only")
CONFIGS = "rk4:chain:16,rk4:chain:64,tsit5:chain:16,tsit5:chain:64,rodas4:bruss:8,rodas4:bruss:32,radau:bruss:8,radau:bruss:32"


def one(config, mode, block_size):
    """Time one mode of one configuration in this process; returns a JSON-able dict."""
    import numpy as np

    import kernels
    import planner

    method, system_name, n = config.split(":")
    system = kernels.oscillator_chain(int(n)) if system_name == "chain" else kernels.brusselator(int(n))
    integ = kernels.Integrator(system, method=method, precision=np.float32,
                               controller=None if method == "tsit5" else "fixed")
    start, cpu = time.perf_counter(), _cpu_s()
    plan = integ.plan(mode, block_size=block_size)
    planned = time.perf_counter()
    resources = integ.build(plan).resources()
    done = time.perf_counter()
    cost = plan.cost
    return {"config": config, "mode": mode, "plan_s": planned - start, "build_s": done - planned,
            "total_s": done - start, "cpu_s": _cpu_s() - cpu, "registers": resources.registers_per_thread,
            "local_bytes": resources.local_bytes_per_thread,
            "shared": sorted(b.name for b in plan.buffers if b.placement is planner.Placement.SHARED),
            "rounds": [list(r) for r in cost.rounds] if cost is not None and cost.rounds else [],
            "note": cost.note if cost is not None else None,
            "cache_stats": None if integ.compile_cache is None else dict(integ.compile_cache.stats)}


def _cpu_s():
    """CPU seconds of this process and its finished children (ptxas): a figure that other work on the machine
    moves less than the wall clock."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _child(config, mode, block_size, timeout, cache="off"):
    """:func:`one` in a fresh process (a cold compile with the cache ``off``), or the reason it gave nothing."""
    env = dict(os.environ, BUFFERPLAN_COMPILE_CACHE=cache)
    cmd = [sys.executable, "-m", "benchmarks.planning_time", "--one", config, "--mode", mode,
           "--block-size", str(block_size)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"config": config, "mode": mode, "error": f"timed out after {timeout} s"}
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    return {"config": config, "mode": mode, "error": (out.stderr or out.stdout)[-400:]}


def _pair(config, block_size, timeout):
    """Both modes of one configuration, one after the other (so a row's two figures share the load)."""
    local = _child(config, "local", block_size, timeout)
    auto = _child(config, "auto", block_size, timeout)
    row = {"config": config, "local": local, "auto": auto}
    if "error" not in local and "error" not in auto:
        row["auto_over_local"] = auto["total_s"] / local["total_s"]
    return row


def _repeat(config, block_size, timeout):
    """``auto`` cold, repeated, and repeated with the compile cache only, in fresh processes sharing one folder."""
    folder = tempfile.mkdtemp(prefix="bufferplan-planning-time-")
    try:
        row = {"config": config}
        for run in _RUNS[:-1]:
            row[run] = _child(config, "auto", block_size, timeout, folder)
        for name in os.listdir(folder):
            if name.startswith("plan-") and name.endswith(".bin"):  # the decisions: a repeat as before them
                os.remove(os.path.join(folder, name))
        row["compile_cache_only"] = _child(config, "auto", block_size, timeout, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not any("error" in row[k] for k in _RUNS):
        row["repeat_over_cold"] = row["repeat"]["total_s"] / row["cold"]["total_s"]
    return row


def _said(row):
    """One printed line of a row."""
    if "cold" in row:
        times = ", ".join(f"{k} {row[k].get('total_s', row[k].get('error'))} s (plan "
                          f"{row[k].get('plan_s')} s, CPU {row[k].get('cpu_s')} s)" for k in _RUNS)
        return f"{row['config']}: {times}; repeat note {row['repeat'].get('note')}"
    local, auto = row["local"], row["auto"]
    return (f"{row['config']}: local {local.get('total_s', local.get('error'))} s, auto "
            f"{auto.get('total_s', auto.get('error'))} s, ratio {row.get('auto_over_local')}, "
            f"rounds {len(auto.get('rounds', []))}, shared {auto.get('shared')}, note {auto.get('note')}")


def main(argv=None):
    from .environment import RESULTS, device_info, device_label, header, write_json

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", default=CONFIGS)
    ap.add_argument("--block-size", type=int, default=128)
    ap.add_argument("--jobs", type=int, default=4, help="configurations timed at once")
    ap.add_argument("--timeout", type=int, default=300, help="seconds a process may take")
    ap.add_argument("--out", default=RESULTS)
    ap.add_argument("--tag", default="")
    ap.add_argument("--repeat", action="store_true", help="cold vs repeated auto with one compile cache")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print("RESULT " + json.dumps(one(args.one, args.mode, args.block_size)), flush=True)
        return
    info, rows = device_info(), []
    tag = f"_{args.tag}" if args.tag else ""
    kind = "_repeat" if args.repeat else ""
    path = os.path.join(args.out, f"planning_time{kind}_{device_label(info)}{tag}.json")
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(_repeat if args.repeat else _pair, c, args.block_size, args.timeout)
                   for c in args.configs.split(",")]
        for future in concurrent.futures.as_completed(futures):
            row = future.result()
            rows.append(row)
            print(_said(row), flush=True)
            write_json(path, dict(header(SCHEMA, info, vars(args)), rows=rows))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
