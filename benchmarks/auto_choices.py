"""What the ``auto`` objective's cost model chooses for the library's own kernels, without compiling anything.

On the simulator ``Integrator.plan("auto")`` runs no compiler rounds, so each plan is the model's first
choice: the buffers it puts in shared memory, its predicted throughput, occupancy and registers, and the
planning time.  Run it on two versions of ``planner`` and compare the JSON files (``--compare``) to see
which configurations a change to the objective moves before spending GPU time on them (2026-12-04: the
single-buffer moves after the prefix search moved 1 of 102, rodas4 n8 float64, which the compiler loop
then kept all-local as before):

    python -m benchmarks.auto_choices --out benchmarks/results/DIR/auto_choices.json
    python -m benchmarks.auto_choices --compare OLD.json NEW.json

Configurations: sdirk4, kvaerno5, radau and rodas4 on the Brusselator (8 to 128 states), tsit5 and dopri5
(fixed and PI) and rk4 on oscillator chains (3 to 128 states), float32 and float64, block size 128, the
h200 preset.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import numpy as np

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")


def configurations():
    """``(tag, system factory, method, precision, controller)`` of every configuration."""
    import kernels

    out = []
    for n in (8, 32, 64, 128):
        for dtype in (np.float32, np.float64):
            for method in ("sdirk4", "kvaerno5", "radau", "rodas4"):
                out.append((f"{method}:n{n}:{dtype.__name__}", lambda n=n: kernels.brusselator(n), method, dtype, None))
    for n in (3, 4, 8, 16, 32, 64, 128):
        for dtype in (np.float32, np.float64):
            for method in ("tsit5", "rk4", "dopri5"):
                for controller in (("fixed",) if method == "rk4" else ("fixed", "pi")):
                    out.append((f"{method}-{controller}:chain{n}:{dtype.__name__}",
                                lambda n=n: kernels.oscillator_chain(n), method, dtype, controller))
    return out


def choose(factory, method, dtype, controller):
    """The model's choice for one configuration, as a JSON-ready dict."""
    import kernels
    from planner import Placement

    integ = kernels.Integrator(factory(), method=method, precision=dtype, controller=controller)
    start = time.perf_counter()
    plan = integ.plan("auto", block_size=128, device="h200")
    predicted = plan.cost.predicted
    return {"shared": sorted(b.name for b in plan.buffers if b.placement is Placement.SHARED),
            "throughput": predicted.throughput, "occupancy": predicted.occupancy,
            "registers": predicted.registers, "seconds": round(time.perf_counter() - start, 3)}


def compare(old_path, new_path):
    """Print the configurations whose shared set differs, with the predicted throughput ratio new / old."""
    old, new = (json.load(open(p))["choices"] for p in (old_path, new_path))
    moved = [k for k in old if k in new and old[k]["shared"] != new[k]["shared"]]
    for k in moved:
        print(f"{k:32s} x{new[k]['throughput'] / old[k]['throughput']:.3f}  {old[k]['shared']} -> {new[k]['shared']}")
    print(f"{len(moved)} of {len(old)} configurations moved")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="JSON file to write")
    ap.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two files and exit")
    args = ap.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    if not args.out:
        ap.error("--out is required (or --compare OLD NEW)")
    from benchmarks.environment import device_info, header, write_json

    warnings.simplefilter("ignore")
    choices = {}
    for tag, factory, method, dtype, controller in configurations():
        choices[tag] = choose(factory, method, dtype, controller)
        print(tag, len(choices[tag]["shared"]), f"{choices[tag]['throughput']:.6g}", flush=True)
    write_json(args.out, {**header("auto_choices/1", device_info(), {"block_size": 128, "device": "h200"}),
                          "choices": choices})


if __name__ == "__main__":
    main()
