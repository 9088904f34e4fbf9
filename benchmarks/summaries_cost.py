"""What running summaries and counting events cost on the GPU (issue #9): against a run saving only the final state.

    python -m benchmarks.summaries_cost --sizes 22,23 --reps 5 --out DIR

The problem is the Lorenz ensemble of ``benchmarks.peers`` (``kernels.lorenz()``, sigma 10,
beta 8/3, rho = linspace(0, 21, N), u0 = (1, 0, 0)), float32, all-local plans, t in [0, 1].
Method cases: RK4 and Tsit5 at fixed dt 1e-3 (1000 steps), Tsit5 adaptive at rtol = atol = 1e-6
(the default PI controller).  Variants of each case:

    final      the default save: the final state only
    summaries  ``save_trajectory=False`` and ``Summaries(states=[0, 1, 2])`` with all six statistics
               over the run (mean, rms, min, max, argmax, final): no state saved
    no-argmax  the same without ``argmax`` (five statistics of each state)
    light      ``save_trajectory=False`` and the mean and max of ``x`` only
    sampled    the same sampled every 10 steps (``Summaries(every=10)``; fixed-step cases only)
    sampled100 the same sampled every 100 steps
    all-every10  the six statistics of x, y, z (as ``summaries``) sampled every 10 steps
    events     the final state and a counting event on ``x`` (both directions)

Each variant's kernel is launched bare (``timing.bind_launch``: ``Integrator.solve``'s own
arguments), the variants' samples interleaved (``timing.time_interleaved``), the median reported
with its ratio to ``final``.  Checks, through ``Integrator.solve``: every variant takes the same
steps, and the summaries' ``final`` statistic equals the final-state run's state bit for bit.

Output: ``<out>/summaries_cost_<device>[_<tag>].json`` (device, versions, git, date, command,
settings, one row per case, variant and N) and a table.  On the simulator (``--sim``) it runs
N = 8 for correctness only (fixed steps to t = 0.05).
"""

from __future__ import annotations

import argparse
import os

if not __package__:  # run as a file: the imports below are package-relative
    raise SystemExit("run it as a module from the repository root: python -m benchmarks.summaries_cost [options]")

import numpy as np  # noqa: E402

from . import timing  # noqa: E402 - imports kernels, which chooses the GPU or the simulator
from .environment import RESULTS, device_info, device_label, header, write_json  # noqa: E402
from .lorenz_problem import make_problem  # noqa: E402

import kernels  # noqa: E402
from kernels.summaries import SUMMARY_STATS  # noqa: E402

SCHEMA = "bufferplan.summaries_cost/1"
CASES = {"rk4_fixed": ("rk4", "fixed"), "tsit5_fixed": ("tsit5", "fixed"), "tsit5_adaptive": ("tsit5", "pi")}
VARIANTS = ("final", "summaries", "no-argmax", "light", "sampled", "sampled100", "all-every10", "events")
_SUMMARIES = {"summaries": ([0, 1, 2], SUMMARY_STATS, 1),
              "no-argmax": ([0, 1, 2], tuple(s for s in SUMMARY_STATS if s != "argmax"), 1),
              "light": ([0], ("mean", "max"), 1), "sampled": ([0], ("mean", "max"), 10),
              "sampled100": ([0], ("mean", "max"), 100), "all-every10": ([0, 1, 2], SUMMARY_STATS, 10)}
DT, TOL, T1 = 1e-3, 1e-6, 1.0


def _x(t, y, p):
    return y[0]


def integrator(case, variant, max_registers="auto"):
    """The ``kernels.Integrator`` of one case and variant (``max_registers`` as the Integrator takes it)."""
    method, controller = CASES[case]
    options = {}
    if variant in _SUMMARIES:
        states, stats, every = _SUMMARIES[variant]
        options = dict(summaries=kernels.Summaries(states=states, stats=stats, per="run", every=every),
                       save_trajectory=False)
    elif variant == "events":
        options = dict(events=kernels.Event(_x, direction=0))
    return kernels.Integrator(kernels.lorenz(), method, controller=controller, precision=np.float32,
                              max_registers=max_registers, **options)


def variants(case):
    """The variants of ``case``: sampling needs a fixed step."""
    return tuple(v for v in VARIANTS if _SUMMARIES.get(v, (0, 0, 1))[2] == 1 or CASES[case][1] == "fixed")


def _solve_args(case):
    return dict(dt=DT) if CASES[case][1] == "fixed" else dict(rtol=TOL, atol=TOL)


def check(integrators, case, n, block, t1=T1):
    """Solve every variant through ``Integrator.solve``; the summaries' final state against the saved one."""
    y0, params = make_problem(n)
    results = {v: integ.solve((0.0, t1), y0, params, plan="local", block_size=block, **_solve_args(case))
               for v, integ in integrators.items()}
    final = results["final"]
    assert all(r.success for r in results.values()), case
    same_steps = all(np.array_equal(r.n_steps, final.n_steps) for r in results.values())
    summary_final = results["summaries"].summaries["final"][:, 0, :]
    equal = bool(np.array_equal(summary_final, final.y[:, -1, :]))
    return {"same_steps": same_steps, "summary_final_equals_y": equal,
            "mean_steps": float(np.mean(final.n_steps)),
            "crossings_mean": float(np.mean(results["events"].event_count[:, 0]))}


def measure(integrators, case, n, reps, batch, block, t1=T1):
    """Interleaved kernel times of the variants (``timing.time_interleaved``) and their compiled resources."""
    y0, params = make_problem(n)
    launches, resources = {}, {}
    for variant, integ in integrators.items():
        plan = integ.plan("local", block_size=block)
        launches[variant] = timing.bind_launch(integ, plan, (0.0, t1), y0, params, **_solve_args(case))
        if timing.on_gpu():
            resources[variant] = integ.build(plan).resources().to_json()
    medians, samples, method = timing.time_interleaved(launches, reps, batch)
    return medians, samples, method, resources


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="22,23", help="log2 of the batch sizes")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=3, help="launches per timed sample")
    ap.add_argument("--cases", default=",".join(CASES), help=f"of {list(CASES)}")
    ap.add_argument("--block", type=int, default=128)
    ap.add_argument("--out", default=RESULTS)
    ap.add_argument("--tag", default="")
    ap.add_argument("--max-registers", type=int, default=None,
                    help="a register cap for every variant's kernel (default: the library's own)")
    ap.add_argument("--sim", action="store_true", help="simulator: N = 8, correctness only")
    args = ap.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        ap.error(f"--cases: unknown {unknown}; expected some of {list(CASES)}")
    sizes = [3] if args.sim else [int(s) for s in args.sizes.split(",")]
    if args.sim:
        args.reps, args.batch = 1, 1
    block = args.block if timing.on_gpu() else 1
    info = device_info()
    doc = header(SCHEMA, info, {"sizes_log2": sizes, "reps": args.reps, "batch": args.batch, "block": block,
                                "dt": DT, "tol": TOL, "t1": T1, "max_registers": args.max_registers, "variants": VARIANTS})
    doc["rows"] = []
    for case in cases:
        cap = args.max_registers if args.max_registers else "auto"
        integrators = {v: integrator(case, v, cap) for v in variants(case)}
        t1 = 50 * DT if args.sim and CASES[case][1] == "fixed" else T1  # the simulator: 50 fixed steps, not 1000
        checks = check(integrators, case, 1 << sizes[0], block, t1)
        print(f"{case}: {checks}", flush=True)
        for log2 in sizes:
            n = 1 << log2
            medians, samples, method, resources = measure(integrators, case, n, args.reps, args.batch, block, t1)
            for variant in integrators:
                ratio = medians[variant] / medians["final"]
                doc["rows"].append({"case": case, "variant": variant, "n": n, "ms": medians[variant],
                                    "samples_ms": samples[variant], "ratio_to_final": ratio, "method": method,
                                    "resources": resources.get(variant), "checks": checks})
                print(f"N=2^{log2} {case:15s} {variant:10s} {medians[variant]:9.3f} ms  x{ratio:.3f} of final",
                      flush=True)
    os.makedirs(args.out, exist_ok=True)
    suffix = f"_{args.tag}" if args.tag else ""
    path = os.path.join(args.out, f"summaries_cost_{device_label(info)}{suffix}.json")
    write_json(path, doc)
    print("wrote", path)


if __name__ == "__main__":
    main()
