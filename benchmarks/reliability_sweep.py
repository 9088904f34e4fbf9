"""Failed and silently wrong rows of Robertson sweeps, per method, precision and tolerance (issue #10).

Robertson from ``y = (1, 0, 0)`` to t = 40 with its three rate constants scaled by ``10 ** s``, ``s`` evenly over
``[-0.5, 0.5]`` in ``--n`` rows (``benchmarks.fd_jacobian_cost``'s sweep), with the analytic Jacobian
(``robertson``) and without it (``robertson_fd``, the Jacobian differenced in the kernel).  Rosenbrock methods
accepted a first step whose error estimate missed that ``y2`` had left its root (the Jacobian at ``y0`` has
``df2/dy2 = 0``) in windows of ``s``, and those rows ended STEP_SIZE_UNDERFLOW; run this from two trees to compare.

Each row of the output: rows that did not end with success (their count and the first indices), rows that did
but end more than 10 tolerances from the reference (silently wrong), the largest error in tolerances among the
successful rows, mean accepted and rejected steps.  The reference is this library's ``radau`` in float64 at
rtol 1e-10, atol 1e-14 over every row, itself checked against SciPy's Radau on ``--sampled`` rows
(``reference_check``, in the same units at rtol 1e-10).  ``atol = rtol``.

    python -m benchmarks.first_step_sweep --n 8192 --tag new --out DIR           # on a GPU, seconds
    python -m benchmarks.first_step_sweep --n 8 --methods rodas4 --out DIR       # on the simulator
"""

from __future__ import annotations

import argparse
import os

import numpy as np

SCHEMA = "bufferplan.first_step_sweep/1"
T_END = 40.0
WRONG = 10.0  # tolerances off, with success: silently wrong


def sweep(n, with_jac):
    """``(system, y0, params)`` of the n-row sweep; ``with_jac`` False drops Robertson's ``jac`` and ``jvp``."""
    import kernels

    from .fd_jacobian_cost import _plain

    rob = kernels.robertson()
    system = rob if with_jac else _plain(rob, "robertson_fd")
    params = np.outer(np.geomspace(10 ** -0.5, 10 ** 0.5, n), rob.default_params)
    return system, np.tile([1.0, 0.0, 0.0], (n, 1)), params


def reference(system, y0, params, sampled):
    """Final states by ``radau`` float64 at rtol 1e-10 (every row) and their largest scaled distance from SciPy's
    Radau at the same tolerance on ``sampled`` rows."""
    import kernels

    from .fd_jacobian_cost import reference as scipy_reference

    res = kernels.Integrator(system, "radau", "pi", np.float64).solve(
        (0.0, T_END), y0, params, rtol=1e-10, atol=1e-14, progress=False)
    assert np.all(np.asarray(res.status) == 0), "the reference run failed"
    final = np.asarray(res.y, np.float64)[:, -1]
    rows = np.unique(np.linspace(0, len(y0) - 1, sampled).astype(int))
    exact = scipy_reference(system, T_END, y0[rows], params[rows])
    check = float(np.max(np.abs(final[rows] - exact) / (1e-12 + 1e-10 * np.abs(exact))))
    return final, check


def measure(system, y0, params, final, method, precision, rtol):
    """One output row (module notes)."""
    import kernels

    res = kernels.Integrator(system, method, "pi", np.dtype(precision).type).solve(
        (0.0, T_END), y0, params, rtol=rtol, atol=rtol, progress=False)
    status = np.asarray(res.status)
    err = np.max(np.abs(np.asarray(res.y, np.float64)[:, -1] - final) / (rtol + rtol * np.abs(final)), axis=1)
    ok = status == 0
    failed = np.flatnonzero(~ok)
    wrong = np.flatnonzero(ok & ~(err <= WRONG))
    return {"method": method, "precision": precision, "rtol": rtol, "n": int(len(y0)),
            "failed": int(failed.size), "failed_rows": failed[:8].tolist(),
            "wrong": int(wrong.size), "wrong_rows": wrong[:8].tolist(),
            "max_error_tolerances": float(np.max(err[ok])) if ok.any() else None,
            "steps": float(np.mean(res.n_steps)), "rejected": float(np.mean(res.n_rejected))}


def main(argv=None):
    from .environment import RESULTS, device_info, device_label, header, write_json
    from .fd_jacobian_cost import _commit

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="ros3p,rodas4,rodas5p,radau")
    ap.add_argument("--precisions", default="float64,float32")
    ap.add_argument("--rtols", default="1e-4,1e-5,1e-6")
    ap.add_argument("--problems", default="robertson,robertson_fd")
    ap.add_argument("--n", type=int, default=8, help="rows of the sweep (8192 on a GPU)")
    ap.add_argument("--sampled", type=int, default=3, help="rows of the reference checked against SciPy")
    ap.add_argument("--out", default=RESULTS)
    ap.add_argument("--tag", default="")
    args = ap.parse_args(argv)
    info, commit, rows = device_info(), _commit(), []
    for problem in args.problems.split(","):
        system, y0, params = sweep(args.n, problem == "robertson")
        final, check = reference(system, y0, params, args.sampled)
        for method in args.methods.split(","):
            for precision in args.precisions.split(","):
                for rtol in (float(r) for r in args.rtols.split(",")):
                    if precision == "float32" and rtol < 1e-6:
                        continue
                    try:
                        row = measure(system, y0, params, final, method, precision, rtol)
                    except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
                        row = {"method": method, "precision": precision, "rtol": rtol,
                               "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                    row.update(problem=problem, reference_check=check, commit=commit)
                    rows.append(row)
                    print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                          flush=True)
    tag = f"_{args.tag}" if args.tag else ""
    path = os.path.join(args.out, f"first_step_sweep_{device_label(info)}{tag}.json")
    write_json(path, dict(header(SCHEMA, info, vars(args)), rows=rows))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
