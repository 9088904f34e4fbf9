"""Accuracy and work of the implicit methods on the classic stiff problems, on the simulator (issue #10).

One trajectory per run, float64, adaptive (PI): Robertson (k = 0.04, 3e7,
1e4; y0 = (1, 0, 0)) to t = 40 and to t = 1e5, Van der Pol with mu = 1000
(y0 = (2, 0)) to t = 2, and HIRES to t = 321.8122, each at ``--rtols`` with
``atol = rtol * factor`` (1e-3 for Robertson and HIRES, 1 for Van der Pol, as
the tests take them).  A row holds the steps, the rejected steps, the Newton
iterations (``SolverOptions(count_work=True)``), the status and the final
state's error in tolerance units, ``max |y - y_ref| / (atol + rtol |y_ref|)``,
against SciPy's Radau at rtol 1e-10 with the analytic Jacobian.

The numbers are the same on a GPU (the same arithmetic in float64 up to
fused multiply-adds); the simulator makes this a CPU benchmark:

    python -m benchmarks.stiff_accuracy --methods kvaerno3,sdirk4,kvaerno5,sdirk2 --out benchmarks/results/DIR

Run it from another checkout (``cd OTHER && python -m benchmarks.stiff_accuracy``,
with this file copied there) to compare two versions of the library.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import kernels  # noqa: E402  (chooses the simulator before numba.cuda is imported)

from . import environment as env  # noqa: E402

SCHEMA = "bufferplan.stiff_accuracy/1"
# name -> (system factory, y0, end time, atol of the reference, atol / rtol of the runs)
# name -> (system factory, y0, t_end: kernels.STIFF_TESTS) + (atol of the reference, atol / rtol of the run)
_TOLERANCES = {"robertson-40": (1e-14, 1e-3), "robertson-1e5": (1e-14, 1e-3), "van_der_pol": (1e-12, 1.0),
               "hires": (1e-14, 1e-3)}
PROBLEMS = {name: kernels.STIFF_TESTS[name] + tolerances for name, tolerances in _TOLERANCES.items()}


def reference(name):
    """SciPy Radau's final state at rtol 1e-10 with the system's own Jacobian."""
    from scipy.integrate import solve_ivp

    factory, y0, t_end, atol, _ = PROBLEMS[name]
    system = factory()
    sol = solve_ivp(system.host_rhs(), (0.0, t_end), y0, method="Radau", rtol=1e-10, atol=atol,
                    jac=system.host_jac())
    if not sol.success:
        raise RuntimeError(f"SciPy's reference for {name} failed: {sol.message}")
    return sol.y[:, -1]


def run(name, method, rtol, ref):
    factory, y0, t_end, _, factor = PROBLEMS[name]
    atol = rtol * factor
    start = time.perf_counter()
    res = kernels.solve_ivp(factory(), (0.0, t_end), y0, None, method=method, rtol=rtol, atol=atol,
                            precision=np.float64, solver=kernels.SolverOptions(count_work=True))
    error = float(np.max(np.abs(res.y[0, -1] - ref) / (atol + rtol * np.abs(ref))))
    return {"problem": name, "method": method, "rtol": rtol, "atol": atol, "steps": int(res.n_steps[0]),
            "rejected": int(res.n_rejected[0]), "newton": int(res.n_newton[0]), "status": int(res.status[0]),
            "error_tol_units": error, "wall_s": time.perf_counter() - start}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="kvaerno3,sdirk4,kvaerno5,sdirk2")
    ap.add_argument("--problems", default=",".join(PROBLEMS))
    ap.add_argument("--rtols", default="1e-5,1e-7")
    ap.add_argument("--tag", default="")
    ap.add_argument("--out", default=None, help="a folder for stiff_accuracy[_TAG].json (default: print only)")
    args = ap.parse_args(argv)
    problems = [p for p in args.problems.split(",") if p]
    unknown = [p for p in problems if p not in PROBLEMS]
    if unknown:
        ap.error(f"--problems: unknown {unknown}; expected some of {sorted(PROBLEMS)}")
    methods = [m for m in args.methods.split(",") if m]
    try:
        rtols = [float(r) for r in args.rtols.split(",") if r]
    except ValueError:
        ap.error(f"--rtols: expected a comma list of numbers, got {args.rtols!r}")
    if not rtols or not all(0.0 < r < 1.0 for r in rtols):
        ap.error(f"--rtols: expected tolerances in (0, 1), got {args.rtols!r}")
    rows = []
    for name in problems:
        ref = reference(name)
        for method in methods:
            for rtol in rtols:
                row = run(name, method, rtol, ref)
                rows.append(row)
                print(f"{name:14s} {method:9s} rtol {rtol:g}: {row['steps']:6d} steps, {row['rejected']:4d} rejected, "
                      f"{row['newton']:6d} Newton iterations, status {row['status']}, "
                      f"error {row['error_tol_units']:.3g} tolerances", flush=True)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        settings = {"methods": methods, "problems": problems, "rtols": rtols, "precision": "float64",
                    "backend": "simulator", "library": os.path.dirname(os.path.abspath(kernels.__file__))}
        doc = env.header(SCHEMA, env.device_info(), settings)
        doc["results"] = rows
        path = os.path.join(args.out, f"stiff_accuracy{'_' + args.tag if args.tag else ''}.json")
        env.write_json(path, doc)
        print("wrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
