"""How long a kernel takes to build cold and again from the compile cache, as a user sees it.

Each configuration runs twice in fresh processes that share one new cache
folder (:class:`kernels.CompileCache`): the first compiles in full and fills
the cache, the second (a user running the same script again) reads NVVM's PTX
and the linked cubin from it.  A process's time runs from ``import kernels``
to the end of a first ``solve`` of a small batch (construction, planning, the
check that the user's functions compile, Numba's typing and lowering, NVVM,
the link, the launch), wall clock; the final states of both runs are compared
bit for bit, and each run's cache counts are recorded.  A third run with
``compile_cache=None`` gives the time without any cache.

Configurations (``method:n``): ``kernels.brusselator(n)`` with a fixed step,
``plan="local"`` (no OR-Tools needed), float32, ``solver="lu"`` for implicit
methods; ``tsit5:3``, Lorenz with a fixed step (a small explicit kernel); and
``robertson-<method>:3``, the README's stiff sweep (Robertson, adaptive,
float64, rtol 1e-6) with that method.  Without a GPU
(``NUMBA_ENABLE_CUDASIM=0`` on a machine with no driver) the runs compile to
PTX and count with ptxas (``BatchKernel.resources()``) instead of solving.

    python -m benchmarks.compile_cache --configs rodas4:128,radau:64,tsit5:3 --out benchmarks/results
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from .environment import RESULTS, device_info, device_label, header, write_json

SCHEMA = "bufferplan.compile_cache/1"
DEFAULT_CONFIGS = "tsit5:3,robertson-radau:3,rodas4:64,rodas4:128,radau:64,radau:128,sdirk4:128"

_RUN = r"""
import hashlib, json, os, sys, time
start = time.perf_counter()
import numpy as np
import kernels
method, n, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cache = None if folder == "none" else kernels.CompileCache(folder)
robertson = method.startswith("robertson-")
if robertson:  # the README's stiff sweep: adaptive, float64
    system, y0 = kernels.robertson(), np.array([1.0, 0.0, 0.0])
    params = np.column_stack([0.04 * np.logspace(-0.5, 0.5, 256), np.full(256, 3e7), np.full(256, 1e4)])
    integ = kernels.Integrator(system, method.split("-", 1)[1], precision=np.float64, compile_cache=cache)
    span, step = (0.0, 40.0), dict(rtol=1e-6, atol=1e-10)
else:
    if method == "tsit5":
        system, y0, params = kernels.lorenz(), np.array([1.0, 1.0, 1.0]), np.array([[10.0, 28.0, 8.0 / 3.0]] * 256)
    else:
        system, y0 = kernels.brusselator(n), kernels.brusselator_initial(n)
        params = np.column_stack([np.ones(256), np.linspace(2.5, 3.5, 256), np.full(256, 1.0 / 50.0)])
    integ = kernels.Integrator(system, method, controller="fixed", precision=np.float32,
                               solver=None if method == "tsit5" else "lu", compile_cache=cache)
    span, step = (0.0, 0.01), dict(dt=1e-3)
plan = integ.plan("local", block_size=128)
if kernels.backend() == "cuda" and not os.environ.get("OFFLINE"):
    res = integ.solve(span, y0, params, plan=plan, **step)
    y = np.ascontiguousarray(res.y)
    digest, ok = hashlib.sha256(y.tobytes()).hexdigest(), bool(np.all(res.status == 0))
    resources = integ.build(plan).resources().to_json()
else:
    resources = integ.build(plan).resources().to_json()
    digest, ok = None, True
print(json.dumps({"wall_s": time.perf_counter() - start, "digest": digest, "ok": ok, "resources": resources,
                  "stats": None if cache is None else cache.stats}))
"""


def run_once(method, n, folder, timeout):
    """One fresh process; its JSON line, or an error record."""
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", _RUN, method, str(n), folder], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip()[-1500:]}
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row["process_s"] = time.perf_counter() - started
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--configs", default=DEFAULT_CONFIGS, help="method:n pairs (tsit5 runs Lorenz)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds a process may take")
    ap.add_argument("--out", default=RESULTS)
    ap.add_argument("--tag", default="")
    args = ap.parse_args(argv)
    configs = []
    for item in args.configs.split(","):
        method, _, n = item.partition(":")
        if not method or not n.isdigit():
            ap.error(f"--configs: expected method:n pairs, got {item!r}")
        configs.append((method, int(n)))
    info = device_info()
    doc = header(SCHEMA, info, {"configs": configs, "timeout_s": args.timeout})
    doc["rows"] = []
    suffix = f"_{args.tag}" if args.tag else ""
    path = os.path.join(args.out, f"compile_cache_{device_label(info)}{suffix}.json")
    for method, n in configs:
        with tempfile.TemporaryDirectory(prefix="bufferplan-cc-") as folder:
            cold = run_once(method, n, folder, args.timeout)
            warm = run_once(method, n, folder, args.timeout)
        plain = run_once(method, n, "none", args.timeout)
        same = cold.get("digest") == warm.get("digest") == plain.get("digest")
        row = {"method": method, "n": n, "cold": cold, "warm": warm, "no_cache": plain, "same_numbers": same}
        doc["rows"].append(row)
        write_json(path, doc)  # after every configuration: a run cut off keeps what it measured
        print(f"{method:7s} n={n:4d}  no cache {plain.get('wall_s', float('nan')):6.1f} s  cold {cold.get('wall_s', float('nan')):6.1f} s"
              f"  warm {warm.get('wall_s', float('nan')):6.1f} s  same numbers {same}  warm counts {warm.get('stats')}"
              + "".join(f"  {k}: {r['error'][-300:]}" for k, r in (("cold", cold), ("warm", warm), ("none", plain))
                        if "error" in r), flush=True)
    print("wrote", path)


if __name__ == "__main__":
    main()
