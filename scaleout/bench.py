"""Scale-out benchmark: one Lorenz batch on 1 and 2 GPUs through ``client=``, against the plain single-GPU call.

The issue's acceptance run (issue 13): 2^24 and 2^26 Lorenz trajectories,
Tsit5 with a fixed dt of 0.001 over (0, 1) (1000 steps), float32, final state
only.  Everything is measured in one process, one run:

* ``plain``: ``Integrator.solve`` on host arrays, on GPU 0 of this process;
* ``dask-N-gather``: ``solve(..., client=)`` on N one-GPU workers (``kernels.gpu_cluster``),
  NumPy inputs sent from the client and one result gathered back;
* ``dask-N-lazy``: inputs as a dask array computed on the workers and the result
  left there (``gather=False``), timed until every chunk is done: the path for
  batches too big for one host.

Every timed call is repeated (``--repeats``) after a warm-up that compiles the
kernel in each process and runs the lazy path once (a worker's first
dask-array task imports ``dask.array``: about 1 s, once per process); results
are compared bit for bit (SHA-256 of the final states and the status codes).  Writes JSON with the device, versions, date and
command line.

Usage (on a two-GPU machine, from the repository root)::

    PYTHONPATH=$PWD python3 scaleout/bench.py --log2-sizes 24 26 --out scaleout-h200x2.json
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time

import kernels  # first: it chooses the backend before numba.cuda is imported
import kernels.distributed

import numpy as np

T_SPAN, DT, Y0 = (0.0, 1.0), 1e-3, [1.0, 1.0, 1.0]
WARM_UP = 1 << 16  # trajectories of the warm-up solve in each process


def params_numpy(n):
    """sigma 10, rho in [20, 30) in 1024 exactly representable steps, beta 8/3 (float32)."""
    rho = 20.0 + (np.arange(n) % 1024) * (10.0 / 1024.0)
    return np.column_stack([np.full(n, 10.0), rho, np.full(n, 8.0 / 3.0)]).astype(np.float32)


def params_dask(n, chunk):
    """The same numbers as :func:`params_numpy`, computed lazily on the workers."""
    import dask.array as da

    rho = 20.0 + (da.arange(n, chunks=chunk) % 1024) * (10.0 / 1024.0)
    return da.stack([da.full(n, 10.0, chunks=chunk), rho, da.full(n, 8.0 / 3.0, chunks=chunk)],
                    axis=1).astype(np.float32)


def fingerprint(result):
    y = np.ascontiguousarray(result.y[:, -1, :])
    return {"y_sha256": hashlib.sha256(y.tobytes()).hexdigest(),
            "status_sha256": hashlib.sha256(np.ascontiguousarray(result.status).tobytes()).hexdigest(),
            "failed": int(np.count_nonzero(result.status)), "y_finite": bool(np.all(np.isfinite(y)))}


def timed(call, repeats):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = call()
        times.append(time.perf_counter() - start)
    return {"seconds": times, "best_s": min(times), "median_s": float(np.median(times))}, value


def versions():
    names = ["bufferplan", "numba", "numba-cuda", "numpy", "dask", "distributed", "ortools", "cloudpickle"]
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    found["python"] = platform.python_version()
    try:
        found["git_commit"] = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                             check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        found["git_commit"] = None
    return found


def gpus():
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, check=False).stdout
    except OSError:
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def run_dask(integ, devices, sizes, repeats, chunks_per_worker, record):
    from distributed import Client, wait

    label = f"dask-{len(devices)}"
    if kernels.backend() == "cuda":
        cluster = kernels.gpu_cluster(devices)
    else:  # a smoke test without a GPU: CPU worker processes on the simulator
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=len(devices), threads_per_worker=1, dashboard_address=None)
    with cluster, Client(cluster) as client:
        client.wait_for_workers(len(devices))
        # warm-up: every worker plans, builds and launches once
        integ.solve(T_SPAN, Y0, params_numpy(WARM_UP), dt=DT, client=client, chunks_per_worker=4)
        # and once through the lazy path: a worker's first dask-array task imports dask.array (about 1 s)
        integ.solve(T_SPAN, Y0, params_dask(WARM_UP, WARM_UP // 4), dt=DT, client=client, chunks_per_worker=4,
                    gather=False).gather()
        for log2 in sizes:
            n = 1 << log2
            entry = record[str(log2)]
            params = params_numpy(n)
            stats, result = timed(lambda: integ.solve(T_SPAN, Y0, params, dt=DT, client=client,
                                                      chunks_per_worker=chunks_per_worker), repeats)
            entry[f"{label}-gather"] = {**stats, **fingerprint(result)}
            del params, result
            chunk = -(-n // (len(devices) * chunks_per_worker))

            def lazy():
                chunked = integ.solve(T_SPAN, Y0, params_dask(n, chunk), dt=DT, client=client,
                                      chunks_per_worker=chunks_per_worker, gather=False)
                wait(list(chunked.futures))
                return chunked

            stats, chunked = timed(lazy, repeats)
            entry[f"{label}-lazy"] = {**stats, **fingerprint(chunked.gather()),
                                      "chunks": len(chunked), "chunk_trajectories": chunked.ranges[0][1]}
            del chunked
            print(f"{label} 2^{log2}: gather {entry[f'{label}-gather']['best_s']:.3f} s, "
                  f"lazy {entry[f'{label}-lazy']['best_s']:.3f} s", file=sys.stderr)


def _at_least_one(text):
    """An argparse type: an int of at least 1 (``--repeats 0`` ended the whole run in ``min()`` of nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an int of at least 1; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an int of at least 1 (every timing takes the best of the "
                                         f"repeats); got {value}")
    return value


def main(argv=None):
    global T_SPAN, WARM_UP
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log2-sizes", type=int, nargs="+", default=[24, 26])
    parser.add_argument("--repeats", type=_at_least_one, default=3, help="timed calls of each kind (at least 1)")
    parser.add_argument("--chunks-per-worker", type=_at_least_one,
                        default=kernels.distributed.DEFAULT_CHUNKS_PER_WORKER)
    parser.add_argument("--gpus", type=int, nargs="+", default=[0, 1], help="device indices of the 2-GPU run")
    parser.add_argument("--out", default="scaleout.json")
    parser.add_argument("--t-end", type=float, default=T_SPAN[1], help="shorter only for a smoke test")
    args = parser.parse_args(argv)
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder):  # found before the run, not after it (a mistyped folder lost a whole run)
        parser.error(f"argument --out: folder {folder} does not exist; create it first, or name a file in an "
                     f"existing folder")
    T_SPAN = (0.0, args.t_end)
    if kernels.backend() != "cuda":
        WARM_UP = 4
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    integ = kernels.Integrator(kernels.lorenz(), "tsit5", controller="fixed", precision=np.float32)
    record = {str(log2): {"n_trajectories": 1 << log2} for log2 in args.log2_sizes}
    # plain single-GPU call in this process (warm-up compiles first)
    integ.solve(T_SPAN, Y0, params_numpy(WARM_UP), dt=DT)
    for log2 in args.log2_sizes:
        params = params_numpy(1 << log2)
        stats, result = timed(lambda: integ.solve(T_SPAN, Y0, params, dt=DT), args.repeats)
        record[str(log2)]["plain"] = {**stats, **fingerprint(result)}
        print(f"plain 2^{log2}: {stats['best_s']:.3f} s", file=sys.stderr)
        del params, result
    run_dask(integ, args.gpus[:1], args.log2_sizes, args.repeats, args.chunks_per_worker, record)
    run_dask(integ, args.gpus, args.log2_sizes, args.repeats, args.chunks_per_worker, record)
    n = len(args.gpus)
    for entry in record.values():
        plain = entry["plain"]
        for mode in ("gather", "lazy"):
            one, many = entry[f"dask-1-{mode}"], entry[f"dask-{n}-{mode}"]
            entry[f"speedup_{n}_vs_1_{mode}"] = one["best_s"] / many["best_s"]
            entry[f"speedup_{n}_vs_plain_{mode}"] = plain["best_s"] / many["best_s"]
        entry["identical"] = all(entry[k]["y_sha256"] == plain["y_sha256"]
                                 and entry[k]["status_sha256"] == plain["status_sha256"]
                                 for k in entry if k.startswith("dask-"))
    report = {"benchmark": "scaleout", "issue": 13, "date_utc": started, "command": " ".join(sys.argv),
              "device": {"gpus": gpus(), "host": platform.node(), "backend": kernels.backend()},
              "versions": versions(),
              "problem": {"system": "lorenz", "method": "tsit5", "controller": "fixed", "dt": DT, "t_span": T_SPAN,
                          "steps": round((T_SPAN[1] - T_SPAN[0]) / DT), "precision": "float32",
                          "saved": "final state", "y0": Y0, "params": "sigma 10, rho 20 + (i % 1024) * 10/1024, "
                                                                    "beta 8/3"},
              "plan": integ.plan().to_json(),
              "repeats": args.repeats, "chunks_per_worker": args.chunks_per_worker, "results": record}
    with open(args.out, "w") as handle:
        json.dump(report, handle, indent=1)
    print(json.dumps({k: {m: v for m, v in e.items() if m.startswith(("speedup", "identical"))}
                      for k, e in record.items()}, indent=1))


if __name__ == "__main__":
    main()
