"""E5 over its long span: the implicit methods against SciPy's Radau, on the simulator (issue #10).

E5 (Hairer & Wanner's stiff test set: four species, rate constants 7.89e-10,
1.1e7, 1.13e3 and 1e6, y0 = (1.76e-3, 0, 0, 0)) to t = 1e13 at the
literature's atol 1.7e-24 and rtol 1e-6, float64, adaptive, the analytic
Jacobian given.  Its solution keeps ``y2 - y3 - y4 = 0`` exactly; the
components fall to 1e-22 while the steps grow to 1e9.  A row holds each
method's status, steps, rejected steps, the final state's error in tolerance
units, ``max |y - y_ref| / (atol + rtol |y_ref|)`` at t = 1e13 (SciPy's Radau
at rtol 1e-10, atol 1e-30), and the invariant's value at t = 1e4.  A user's
trial found the Rosenbrock methods ending far off with status success here
(README, "Tolerances and precision"); this script reproduces it:

    python -m benchmarks.e5_long --methods radau,kvaerno5,sdirk4,rodas5p,rodas4 --out benchmarks/results/DIR

The numbers are those of a GPU run up to fused multiply-adds (float64 arithmetic).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import kernels  # noqa: E402  (chooses the simulator before numba.cuda is imported)

from . import environment as env  # noqa: E402

SCHEMA = "bufferplan.e5_long/1"
PARAMS = (7.89e-10, 1.1e7, 1.13e3, 1e6)
Y0 = (1.76e-3, 0.0, 0.0, 0.0)
T_SAVE = (1e4, 1e7, 1e10, 1e13)


def e5_rhs(t, y, p, dydt):
    a, b, c, m = p[0], p[1], p[2], p[3]
    r1 = a * y[0]
    r2 = b * y[0] * y[2]
    r3 = m * c * y[1] * y[2]
    r4 = c * y[3]
    dydt[0] = -r1 - r2
    dydt[1] = r1 - r3
    dydt[3] = r2 - r4
    dydt[2] = dydt[1] - dydt[3]


def e5_jac(t, y, p, J):
    a, b, c, m = p[0], p[1], p[2], p[3]
    J[0] = -a - b * y[2]
    J[1] = 0.0
    J[2] = -b * y[0]
    J[3] = 0.0
    J[4] = a
    J[5] = -m * c * y[2]
    J[6] = -m * c * y[1]
    J[7] = 0.0
    J[12] = b * y[2]
    J[13] = 0.0
    J[14] = b * y[0]
    J[15] = -c
    for k in range(4):
        J[8 + k] = J[4 + k] - J[12 + k]


def system():
    return kernels.ODESystem(e5_rhs, 4, 4, name="e5", jac=e5_jac, default_params=PARAMS)


def reference():
    """SciPy's Radau at rtol 1e-10, atol 1e-30, at ``T_SAVE``."""
    from scipy.integrate import solve_ivp

    e5 = system()
    sol = solve_ivp(e5.host_rhs(), (0.0, T_SAVE[-1]), Y0, method="Radau", rtol=1e-10, atol=1e-30,
                    jac=e5.host_jac(), t_eval=T_SAVE)
    return sol.y.T


def run(method, rtol, atol, ref):
    start = time.perf_counter()
    res = kernels.solve_ivp(system(), (0.0, T_SAVE[-1]), Y0, method=method, rtol=rtol, atol=atol,
                            t_eval=np.array(T_SAVE), precision=np.float64, progress=False)
    y = np.asarray(res.y)[0]
    error = np.abs(y - ref) / (atol + rtol * np.abs(ref))
    return {"method": method, "status": int(res.status[0]), "steps": int(res.n_steps[0]),
            "rejected": int(res.n_rejected[0]), "error_tolerances_final": float(error[-1].max()),
            "error_tolerances": [float(e) for e in error.max(axis=1)],
            "invariant_1e4": float(y[0, 1] - y[0, 2] - y[0, 3]), "wall_s": time.perf_counter() - start}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.e5_long", description=__doc__.split("\n")[0])
    ap.add_argument("--methods", default="radau,kvaerno5,sdirk4,rodas5p,rodas4")
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1.7e-24)
    ap.add_argument("--out", default=env.RESULTS)
    args = ap.parse_args(argv)
    info = env.device_info()
    doc = env.header(SCHEMA, info, vars(args))
    doc.update(problem={"system": "E5", "params": PARAMS, "y0": Y0, "t_save": T_SAVE}, results=[])
    ref = reference()
    path = os.path.join(args.out, f"e5_long_{env.device_label(info)}.json")
    for method in args.methods.split(","):
        row = run(method, args.rtol, args.atol, ref)
        doc["results"].append(row)
        print(f"{method:9s} status {row['status']}  steps {row['steps']:5d}  rejected {row['rejected']:3d}  "
              f"error/tol at t = 1e4, 1e7, 1e10, 1e13: "
              + ", ".join(f"{e:.3g}" for e in row["error_tolerances"])
              + f"  invariant at 1e4 {row['invariant_1e4']:.2g}", flush=True)
        env.write_json(path, doc)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
