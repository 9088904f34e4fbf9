"""The cost model's register base of a method family, fitted to the compiler's own counts (no GPU).

Registers are a compile-time fact: ``ptxas -v`` for sm_90 gives the same count
offline as the driver does on the H200 (checked on the floor runs).  This
script compiles the all-local kernels of a family's methods at a few system
sizes, both precisions, and fits the one constant the model keeps per family,
``registers = base[family] + rate[precision] * words``, with the device
preset's rates held (they are shared with the other families):

    NUMBA_ENABLE_CUDASIM=0 python -m benchmarks.register_bases --family erk --out benchmarks/results

The result file lists every kernel's words, measured registers and the
prediction before and after.  The preset (planner/device.py) carries the value.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys

import numpy as np

# (method, controller) per family: the methods whose kernels the fit compiles
METHODS = {"erk": (("rk4", "fixed"), ("tsit5", "fixed"), ("dopri5", "fixed"), ("euler", "fixed"),
                   ("tsit5", "pi"), ("dopri5", "pi"), ("bs3", "pi"))}


def samples(family, sizes, device_name):
    import kernels
    import planner
    from planner.costmodel import predict_plan

    from .resources_table import system_for

    device = planner.get_device(device_name)
    rows = []
    for precision in (np.float32, np.float64):
        name = np.dtype(precision).name
        for method, controller in METHODS[family]:
            for n in sizes:
                integ = kernels.Integrator(system_for(kernels, n), method, controller=controller, precision=precision)
                plan = integ.plan("local", block_size=128, device=device)
                problem = integ.buffer_settings().to_problem(precision=name, block_size=128, objective="auto",
                                                             device=device)
                predicted = predict_plan(problem, plan, device)
                resources = integ.build(plan).resources()
                rows.append({"precision": name, "method": method, "controller": controller, "n_states": n,
                             "family": predicted.family, "words": predicted.local_words,
                             "rate": device.word_registers(problem.itemsize),
                             "registers": resources.registers_per_thread,
                             "local_bytes": resources.local_bytes_per_thread, "source": resources.source,
                             "predicted_before": predicted.registers})
                print(json.dumps(rows[-1]), flush=True)
    return device, rows


def fit_base(rows):
    """The least-squares intercept with the rates held: the mean of ``registers - rate * words``."""
    kept = [r for r in rows if r["local_bytes"] == 0]
    return round(statistics.fmean(r["registers"] - r["rate"] * r["words"] for r in kept)), len(kept)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", default="erk", choices=sorted(METHODS))
    ap.add_argument("--sizes", default="3,4,8", help="system sizes (the model is linear up to about 8 states)")
    ap.add_argument("--device", default="h200")
    ap.add_argument("--out", default="benchmarks/results")
    args = ap.parse_args(argv)
    import kernels

    if kernels.backend() != "cuda":
        raise SystemExit("register_bases: needs the CUDA target (NUMBA_ENABLE_CUDASIM=0) and ptxas")
    device, rows = samples(args.family, [int(s) for s in args.sizes.split(",")], args.device)
    base, used = fit_base(rows)
    for r in rows:
        r["predicted_after"] = max(1, int(np.ceil(base + r["rate"] * r["words"])))

    def mean_error(key):
        return statistics.fmean(abs(r[key] - r["registers"]) / r["registers"] for r in rows)

    doc = {"command": "python -m benchmarks.register_bases " + " ".join(sys.argv[1:] if argv is None else argv),
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "device_model": device.name, "family": args.family, "base_before": device.register_base(args.family),
           "base_after": base, "samples_used": used, "mean_relative_error_before": mean_error("predicted_before"),
           "mean_relative_error_after": mean_error("predicted_after"), "rows": rows}
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"register_bases_{args.family}_{device.name}.json")
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=1)
    print(f"{args.family}: base {doc['base_before']} -> {base} ({used} kernels); mean relative error "
          f"{doc['mean_relative_error_before']:.3f} -> {doc['mean_relative_error_after']:.3f}; wrote {path}")


if __name__ == "__main__":
    main()
