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

The numbers are those of a GPU run up to fused multiply-adds (float64 arithmetic).  ``--numpy`` also runs
:func:`numpy_rosenbrock`, the same Rosenbrock method in NumPy (the library's tableau, a dense solve with
partial pivoting, an I controller) in float64, float64 with one step of iterative refinement per stage
solve, and 80-bit long double: whether the error follows the working precision's rounding.
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


def _e5_numpy(y, dtype):
    """``(f, J)`` of E5 at ``y`` from :func:`e5_rhs` and :func:`e5_jac` run as NumPy code in ``dtype``."""
    p = np.array(PARAMS, dtype=dtype)
    f, jac = np.empty(4, dtype=dtype), np.empty(16, dtype=dtype)
    e5_rhs(0.0, y, p, f)
    e5_jac(0.0, y, p, jac)
    return f, jac.reshape(4, 4)


def _solve(matrix, rhs):
    """Gaussian elimination with partial pivoting in the arrays' own precision (NumPy's solve is float64)."""
    a, x, n = matrix.copy(), rhs.copy(), len(rhs)
    for k in range(n):
        pivot = k + int(np.argmax(np.abs(a[k:, k])))
        a[[k, pivot]], x[[k, pivot]] = a[[pivot, k]], x[[pivot, k]]
        for i in range(k + 1, n):
            factor = a[i, k] / a[k, k]
            a[i, k:] -= factor * a[k, k:]
            x[i] -= factor * x[k]
    for i in range(n - 1, -1, -1):
        x[i] = (x[i] - a[i, i + 1:] @ x[i + 1:]) / a[i, i]
    return x


def numpy_rosenbrock(method, dtype, refine, rtol, atol, ref, max_steps=20000):
    """E5 to ``T_SAVE[-1]`` with ``method``'s tableau in NumPy at ``dtype``; the row of :func:`run`'s keys that apply."""
    from kernels.tableaus.rosenbrock import ROSENBROCK

    tab = {t.name: t for t in ROSENBROCK}[method]
    gamma, s = dtype(tab.gamma), len(tab.m)
    a = [[dtype(v) for v in row] for row in tab.a]
    cc = [[dtype(v) for v in row] for row in tab.C]
    weights = [dtype(v) for v in tab.m]
    errors = [dtype(v) - dtype(w) for v, w in zip(tab.m, tab.m_hat)]
    rtol, atol = dtype(rtol), dtype(atol)
    y, t, h, end = np.array(Y0, dtype=dtype), dtype(0), dtype(1e-6), dtype(T_SAVE[-1])
    steps = rejected = 0
    while t < end and steps + rejected < max_steps:
        h = min(h, end - t)
        f0, jac = _e5_numpy(y, dtype)
        w = np.eye(4, dtype=dtype) / (h * gamma) - jac
        u = []
        for i in range(s):
            stage = y + sum((a[i][j] * u[j] for j in range(i)), np.zeros(4, dtype))
            rhs = _e5_numpy(stage, dtype)[0] + sum((cc[i][j] / h * u[j] for j in range(i)), np.zeros(4, dtype))
            x = _solve(w, rhs)
            if refine:
                x = x + _solve(w, rhs - w @ x)
            u.append(x)
        y_new = y + sum(wi * ui for wi, ui in zip(weights, u))
        err = sum(ei * ui for ei, ui in zip(errors, u))
        scale = atol + rtol * np.maximum(np.abs(y), np.abs(y_new))
        e = float(np.sqrt(np.mean((err / scale) ** 2)))
        e = e if np.isfinite(e) else 1e10
        if e <= 1.0:
            t, y, steps = t + h, y_new, steps + 1
        else:
            rejected += 1
        h = h * dtype(min(5.0, max(0.2, 0.9 * max(e, 1e-10) ** (-1.0 / (tab.embedded_order + 1)))))
    error = np.abs(np.asarray(y, np.float64) - ref[-1]) / (float(atol) + float(rtol) * np.abs(ref[-1]))
    return {"method": f"numpy {method} {np.dtype(dtype).name}{' refined' if refine else ''}",
            "reached_end": bool(t >= end), "steps": steps, "rejected": rejected,
            "error_tolerances_final": float(error.max()), "invariant_final": float(y[1] - y[2] - y[3])}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.e5_long", description=__doc__.split("\n")[0])
    ap.add_argument("--methods", default="radau,kvaerno5,sdirk4,rodas5p,rodas4")
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1.7e-24)
    ap.add_argument("--numpy", action="store_true", help="also the NumPy Rosenbrock check (rodas5p, about a minute)")
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
    if args.numpy:
        for dtype, refine in ((np.float64, False), (np.float64, True), (np.longdouble, False)):
            row = numpy_rosenbrock("rodas5p", dtype, refine, args.rtol, args.atol, ref)
            doc.setdefault("numpy", []).append(row)
            print(f"{row['method']:32s} steps {row['steps']:5d}  rejected {row['rejected']:3d}  error/tol at t = 1e13 "
                  f"{row['error_tolerances_final']:.3g}  invariant {row['invariant_final']:.2g}", flush=True)
            env.write_json(path, doc)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
