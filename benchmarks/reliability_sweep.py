"""Failed and silently wrong rows of stiff parameter sweeps, per method, precision and tolerance (issue #10).

Each problem is a sweep of ``--n`` rows over a parameter (:func:`problems`): Robertson from ``(1, 0, 0)`` to
t = 40 with its rate constants scaled by ``10 ** s``, ``s`` over ``[-0.5, 0.5]`` (with its ``jac``, and without:
``robertson_fd``); stiff Van der Pol with ``mu`` from 10 to 1e4 to t = 2000; HIRES with ``k`` scaled +-0.5
decades to t = 321.8122; the Brusselator at 8 states with ``B`` from 2 to 4 to t = 10; the Oregonator (Field-Noyes,
``s`` from 20 to 200) to t = 360, from its rhs alone.  Rosenbrock methods accepted a first step whose error estimate
missed that Robertson's ``y2`` had left its root (the Jacobian at ``y0`` has ``df2/dy2 = 0``), and those rows ended
STEP_SIZE_UNDERFLOW: this counts such rows for every method; run it from two trees to compare.

Each output row: rows that did not end with success (count, first indices and their statuses), rows that did but
end more than :data:`WRONG` tolerances (``atol + rtol |y|``) from the reference (silently wrong), the largest error in
tolerances among the successful rows, mean accepted and rejected steps.  The reference is this library's ``radau``
in float64 at rtol 1e-10 (atol 1e-10 times the problem's scale) over every row, itself checked against SciPy's Radau
on ``--sampled`` rows (``reference_check``, in the same units); rows where the reference failed are left out.
``atol = rtol * a`` for each ``a`` of ``--atol-factors`` (times the problem's scale).

    python -m benchmarks.reliability_sweep --n 8192 --tag new --out DIR           # on a GPU
    python -m benchmarks.reliability_sweep --n 8 --methods rodas4 --problems robertson --out DIR   # the simulator

Session 54's first call ran it as ``benchmarks/first_step_sweep.py`` (Robertson only, ``--atol-factors 1``).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

SCHEMA = "bufferplan.reliability_sweep/1"
WRONG = 10.0  # tolerances off, with success: silently wrong


def _oregonator(t, y, p, dydt):
    """Field-Noyes Oregonator (Hairer & Wanner II, IV.1), parameter s (77.27 in the test set)."""
    s, q, w = p[0], 8.375e-6, 0.161
    dydt[0] = s * (y[1] - y[0] * y[1] + y[0] - q * y[0] * y[0])
    dydt[1] = (-y[1] - y[0] * y[1] + y[2]) / s
    dydt[2] = w * (y[0] - y[2])


def problems(n, names):
    """``{name: (system, t_end, y0 (n, states), params (n, p), scale)}`` for ``names``; ``scale`` multiplies atol."""
    import kernels

    from .fd_jacobian_cost import _plain

    table = {}
    for name in names:
        if name in ("robertson", "robertson_fd"):
            rob = kernels.robertson()
            system = rob if name == "robertson" else _plain(rob, "robertson_fd")
            params = np.outer(np.geomspace(10 ** -0.5, 10 ** 0.5, n), rob.default_params)
            table[name] = (system, 40.0, np.tile([1.0, 0.0, 0.0], (n, 1)), params, 1.0)
        elif name == "vdp":
            table[name] = (kernels.stiff_van_der_pol(), 2000.0, np.tile([2.0, 0.0], (n, 1)),
                           np.geomspace(10.0, 1e4, n)[:, None], 1.0)
        elif name == "hires":
            hires = kernels.hires()
            table[name] = (hires, kernels.HIRES_T_END, np.tile([1.0, 0, 0, 0, 0, 0, 0, 0.0057], (n, 1)),
                           np.outer(np.geomspace(10 ** -0.5, 10 ** 0.5, n), hires.default_params), 1.0)
        elif name == "brusselator8":
            bru = kernels.brusselator(8)
            params = np.tile(bru.default_params, (n, 1))
            params[:, 1] = np.linspace(2.0, 4.0, n)
            table[name] = (bru, 10.0, np.tile(kernels.brusselator_initial(8), (n, 1)), params, 1.0)
        elif name == "oregonator":
            ore = kernels.ODESystem(_oregonator, 3, 1, name="oregonator_fd", default_params=(77.27,))
            table[name] = (ore, 360.0, np.tile([1.0, 2.0, 3.0], (n, 1)), np.geomspace(20.0, 200.0, n)[:, None], 1.0)
        else:
            raise SystemExit(f"--problems: unknown problem {name!r}")
    return table


def reference(system, t_end, y0, params, scale, sampled):
    """Final states by ``radau`` float64 at rtol 1e-10 (NaN rows where it failed) and their largest scaled distance
    from SciPy's Radau at the same tolerances on ``sampled`` rows."""
    import kernels
    from scipy.integrate import solve_ivp

    atol = 1e-10 * scale
    res = kernels.Integrator(system, "radau", "pi", np.float64).solve(
        (0.0, t_end), y0, params, rtol=1e-10, atol=atol, progress=False, max_steps=10 ** 6)
    final = np.asarray(res.y, np.float64)[:, -1].copy()
    final[np.asarray(res.status) != 0] = np.nan
    rows = np.unique(np.linspace(0, len(y0) - 1, sampled).astype(int))
    exact = np.array([solve_ivp(system.host_rhs(p), (0.0, t_end), y, method="Radau", rtol=1e-10, atol=atol).y[:, -1]
                      for y, p in zip(y0[rows], params[rows])])
    check = float(np.nanmax(np.abs(final[rows] - exact) / (atol + 1e-10 * np.abs(exact))))
    return final, check


def measure(entry, final, method, precision, rtol, atol):
    """One output row (module notes)."""
    import kernels

    system, t_end, y0, params, _ = entry
    res = kernels.Integrator(system, method, "pi", np.dtype(precision).type).solve(
        (0.0, t_end), y0, params, rtol=rtol, atol=atol, progress=False)
    status = np.asarray(res.status)
    known = np.all(np.isfinite(final), axis=1)
    with np.errstate(invalid="ignore"):
        err = np.max(np.abs(np.asarray(res.y, np.float64)[:, -1] - final) / (atol + rtol * np.abs(final)), axis=1)
    ok = (status == 0) & known
    failed = np.flatnonzero((status != 0) & known)
    wrong = np.flatnonzero(ok & ~(err <= WRONG))
    return {"method": method, "precision": precision, "rtol": rtol, "atol": atol, "n": int(known.sum()),
            "failed": int(failed.size), "failed_rows": failed[:8].tolist(),
            "failed_status": sorted(set(status[failed].tolist())),
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
    ap.add_argument("--atol-factors", default="1", help="atol = rtol times each of these (times the scale)")
    ap.add_argument("--problems", default="robertson,robertson_fd")
    ap.add_argument("--n", type=int, default=8, help="rows of each sweep (8192 on a GPU)")
    ap.add_argument("--sampled", type=int, default=3, help="rows of the reference checked against SciPy")
    ap.add_argument("--out", default=RESULTS)
    ap.add_argument("--tag", default="")
    args = ap.parse_args(argv)
    info, commit, rows = device_info(), _commit(), []
    table = problems(args.n, args.problems.split(","))
    tag = f"_{args.tag}" if args.tag else ""
    path = os.path.join(args.out, f"reliability_sweep_{device_label(info)}{tag}.json")
    for problem, entry in table.items():
        final, check = reference(*entry[:4], entry[4], args.sampled)
        for method in args.methods.split(","):
            for precision in args.precisions.split(","):
                for rtol in (float(r) for r in args.rtols.split(",")):
                    if precision == "float32" and rtol < 1e-6:
                        continue
                    for factor in (float(a) for a in args.atol_factors.split(",")):
                        try:
                            row = measure(entry, final, method, precision, rtol, rtol * factor * entry[4])
                        except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
                            row = {"method": method, "precision": precision, "rtol": rtol,
                                   "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                        row.update(problem=problem, reference_check=check, commit=commit)
                        rows.append(row)
                        print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                       for k, v in row.items()), flush=True)
            write_json(path, dict(header(SCHEMA, info, vars(args)), rows=rows))  # as it grows: a deadline cuts
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
