"""Where the time of a large Lorenz batch goes: the plain call's phases and the Dask chunks' task stream.

The scale-out benchmark (``scaleout/bench.py``) measures wall time only; this
script splits it, on one GPU, so that the per-chunk host work can be seen:

* ``plain``: making the parameters, ``cuda.to_device``, the solve on device
  arrays (kernel + output allocation), and each output's ``copy_to_host``;
* ``dask``: the lazy path of the benchmark on ``--workers`` workers (all on
  GPU 0 unless ``--gpus`` says otherwise), with Dask's task stream: per task
  its kind (input block or chunk solve), worker, compute and transfer seconds.

Usage::

    PYTHONPATH=$PWD python3 scaleout/profile_chunks.py --log2 24 26 --out profile.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import kernels  # first: it chooses the backend
import numpy as np

from bench import DT, T_SPAN, Y0, gpus, params_dask, params_numpy, versions  # noqa: E402 (same directory)


def clock(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def plain_phases(integ, n):
    from numba import cuda

    row = {}
    row["make_params_s"], params = clock(lambda: params_numpy(n))
    row["to_device_s"], d_params = clock(lambda: cuda.to_device(params))
    cuda.synchronize()
    d_y0 = cuda.to_device(np.tile(np.asarray(Y0, dtype=np.float32), (n, 1)))  # device inputs are full batches

    def device_solve():
        result = integ.solve(T_SPAN, d_y0, d_params, dt=DT)
        cuda.synchronize()
        return result

    row["device_solve_s"], result = clock(device_solve)
    row["device_solve_again_s"], result = clock(device_solve)
    for name in ("y", "status", "n_steps", "n_rejected"):
        array = getattr(result, name)
        row[f"copy_{name}_s"], _ = clock(array.copy_to_host)
    row["host_solve_s"], _ = clock(lambda: integ.solve(T_SPAN, Y0, params, dt=DT))
    return row


def dask_stream(integ, n, devices, chunks_per_worker, threads, repeats=3):
    """The lazy path ``repeats`` times on one cluster: wall, submit and per-task times of each run."""
    from distributed import Client

    with kernels.gpu_cluster(devices, threads_per_worker=threads) as cluster, Client(cluster) as client:
        client.wait_for_workers(len(devices))
        integ.solve(T_SPAN, Y0, params_numpy(1 << 16), dt=DT, client=client)
        runs = [lazy_once(client, integ, n, chunks_per_worker, len(devices)) for _ in range(repeats)]
        return {"threads_per_worker": threads, "runs": runs}


def lazy_once(client, integ, n, chunks_per_worker, n_workers):
    from distributed import get_task_stream, wait

    epoch = time.time()
    round_trip = client.submit(time.time, pure=False).result() - epoch
    chunk = -(-n // (n_workers * chunks_per_worker))
    with get_task_stream(client) as stream:
        epoch, start = time.time(), time.perf_counter()
        chunked = integ.solve(T_SPAN, Y0, params_dask(n, chunk), dt=DT, client=client,
                              chunks_per_worker=chunks_per_worker, gather=False)
        submitted = time.perf_counter() - start
        wait(list(chunked.futures))
        wall = time.perf_counter() - start
    tasks = []
    for task in stream.data:
        stamps = [(s["start"], s["stop"]) for s in task.get("startstops", ()) if s["action"] == "compute"]
        if stamps:
            tasks.append({"key": str(task["key"])[:40], "worker": task.get("worker"),
                          "start_rel": min(a for a, _ in stamps) - epoch,
                          "stop_rel": max(b for _, b in stamps) - epoch})
    return {"wall_s": wall, "submit_s": submitted, "round_trip_s": round_trip,
            "first_task_start_s": min((t["start_rel"] for t in tasks), default=None), "tasks": tasks}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log2", type=int, nargs="+", default=[24, 26])
    parser.add_argument("--gpus", type=int, nargs="+", default=[0])
    parser.add_argument("--chunks-per-worker", type=int, default=4)
    parser.add_argument("--plain", action="store_true", help="also split the plain call's phases")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="threads per worker to compare")
    parser.add_argument("--out", default="profile_chunks.json")
    args = parser.parse_args(argv)
    integ = kernels.Integrator(kernels.lorenz(), "tsit5", controller="fixed", precision=np.float32)
    integ.solve(T_SPAN, Y0, params_numpy(1 << 16), dt=DT)
    report = {"command": " ".join(sys.argv), "gpus": args.gpus, "device": gpus(), "versions": versions(), "plain": {}, "dask": {}}
    for log2 in args.log2 if args.plain else ():
        report["plain"][log2] = plain_phases(integ, 1 << log2)
        print("plain", log2, json.dumps(report["plain"][log2]), file=sys.stderr)
    for threads in args.threads:
        for log2 in args.log2:
            row = report["dask"][f"{log2}/{threads}"] = dask_stream(integ, 1 << log2, args.gpus,
                                                                    args.chunks_per_worker, threads)
            print("dask", log2, threads, [round(r["wall_s"], 3) for r in row["runs"]],
                  [r["first_task_start_s"] for r in row["runs"]], file=sys.stderr)
    with open(args.out, "w") as handle:
        json.dump(report, handle, indent=1)


if __name__ == "__main__":
    main()
