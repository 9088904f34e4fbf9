"""Robertson over many rate-constant sets: adaptive rodas5p and radau in float64 (issue #10, item 3).

Per (method, N, t1): kernel time (CUDA events around ``BatchKernel.launch``,
median of ``--repeats``), accepted and rejected steps per trajectory (mean,
max), the fraction that ended with SUCCESS and the status counts, and for
``--ref-samples`` trajectories the error against SciPy Radau (rtol 1e-10,
atol 1e-14), as the maximum absolute error and in units of the run's
tolerances (``|y - ref| / (atol + rtol |ref|)``).  Rate constants are
log-uniform within +-``--decades`` of (0.04, 3e7, 1e4) (seeded), y0 = (1, 0, 0),
PI controller, rtol 1e-6, atol 1e-10 for every state (y2 stays below 4e-5, so
a smaller atol there only costs steps), first step 1e-6.  Each configuration is
guarded (an error is recorded and the run goes on) and ``--deadline-s`` starts
nothing predicted to end past it (the last time at N times the size ratio).

    python3 -m benchmarks.robertson_sweep --out DIR
    python3 -m benchmarks.robertson_sweep --sim --out DIR     # N = 4, t1 = 1e-3, tsit5 if a method is missing
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from . import environment as env

SCHEMA = "bufferplan.robertson_sweep/1"
K0 = (0.04, 3e7, 1e4)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="rodas5p,radau")
    ap.add_argument("--log2-sizes", default="16,20")
    ap.add_argument("--t1", default="40,1e5")
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1e-10)
    ap.add_argument("--dt0", type=float, default=1e-6)
    ap.add_argument("--decades", type=float, default=1.0)
    ap.add_argument("--max-steps", type=int, default=100_000)
    ap.add_argument("--plan", default="local")
    ap.add_argument("--solver", default="lu")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--time-budget-s", type=float, default=20.0)
    ap.add_argument("--deadline-s", type=float, default=300.0)
    ap.add_argument("--ref-samples", type=int, default=6)
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--sim", action="store_true")
    ap.add_argument("--tag", default="")
    ap.add_argument("--out", default=env.RESULTS)
    args = ap.parse_args(argv)
    if args.sim:
        args.log2_sizes, args.t1, args.repeats, args.ref_samples = "2", "1e-3", 1, 2
    return args


def rates(n, decades, seed):
    """(n, 3) rate constants, log-uniform within +-decades of K0."""
    rng = np.random.default_rng(seed)
    return np.asarray(K0) * 10.0 ** rng.uniform(-decades, decades, size=(n, 3))


def robertson_rhs(t, y, k1, k2, k3):
    return [-k1 * y[0] + k3 * y[1] * y[2], k1 * y[0] - k2 * y[1] ** 2 - k3 * y[1] * y[2], k2 * y[1] ** 2]


def robertson_jac(t, y, k1, k2, k3):
    return [[-k1, k3 * y[2], k3 * y[1]], [k1, -2 * k2 * y[1] - k3 * y[2], -k3 * y[1]], [0.0, 2 * k2 * y[1], 0.0]]


def scipy_final(k, t1):
    from scipy.integrate import solve_ivp

    sol = solve_ivp(robertson_rhs, (0.0, t1), [1.0, 0.0, 0.0], method="Radau", rtol=1e-10, atol=1e-14,
                    jac=robertson_jac, args=tuple(k))
    return sol.y[:, -1]


def run_method(method, sim):
    import kernels

    if method in kernels.METHOD_NAMES:
        return method, None
    if sim:
        return "tsit5", f"{method} is not in kernels.METHOD_NAMES here: explicit tsit5 ran instead (simulator fallback)"
    return method, None


def measure(integ, plan, n, t1, args):
    import kernels

    from . import timing

    k = rates(n, args.decades, args.seed)
    y0 = np.tile([1.0, 0.0, 0.0], (n, 1))
    bound = timing.bind_launch(integ, plan, (0.0, t1), y0, k, dt=args.dt0, rtol=args.rtol, atol=args.atol,
                               max_steps=args.max_steps)
    tm = timing.time_gpu(bound, repeats=args.repeats, warmup=0, budget_s=args.time_budget_s)
    res = bound.host_outputs()
    status, acc, rej = res["status"], res["n_steps"], res["n_rejected"]
    codes, counts = np.unique(status, return_counts=True)
    row = {"kernel": tm.to_json(), "success_fraction": float(np.mean(status == kernels.SUCCESS)),
           "status_counts": {str(int(c)): int(m) for c, m in zip(codes, counts)},
           "accepted": {"mean": float(acc.mean()), "max": int(acc.max())},
           "rejected": {"mean": float(rej.mean()), "max": int(rej.max())}}
    idx = np.unique(np.linspace(0, n - 1, min(args.ref_samples, n)).astype(int))
    errs, scaled = [], []
    for i in idx:
        ref = scipy_final(k[i], t1)
        y = res["y"][i, -1, :]
        errs.append(float(np.max(np.abs(y - ref))))
        scaled.append(float(np.max(np.abs(y - ref) / (args.atol + args.rtol * np.abs(ref)))))
    row["vs_scipy"] = {"samples": idx.tolist(), "max_abs_err": max(errs), "max_err_in_tolerances": max(scaled),
                       "per_sample_abs_err": errs}
    return row


def main(argv=None):
    args = parse_args(argv)
    import kernels

    start = time.perf_counter()
    info = env.device_info()
    doc = env.header(SCHEMA, info, vars(args))
    doc.update(problem={"system": "kernels.robertson()", "k0": K0, "decades": args.decades, "y0": [1, 0, 0],
                        "controller": "pi", "rtol": args.rtol, "atol": args.atol, "dt0": args.dt0,
                        "reference": "SciPy Radau rtol 1e-10 atol 1e-14, analytic Jacobian"},
               results=[], finished=False)
    path = env.os.path.join(args.out, f"robertson_sweep_{env.device_label(info)}"
                                      f"{'_' + args.tag if args.tag else ''}.json")
    sizes = [1 << int(s) for s in args.log2_sizes.split(",")]
    spans = [float(s) for s in args.t1.split(",")]
    for method in args.methods.split(","):
        ran, note = run_method(method, args.sim)
        last = {}
        try:
            t0 = time.perf_counter()
            integ = kernels.Integrator(kernels.robertson(), ran, controller="pi", precision=np.float64,
                                       solver=args.solver)
            plan = integ.plan(args.plan)
            built = integ.build(plan)
            try:
                resources = built.resources().to_json()
            except Exception as exc:  # noqa: BLE001 - not on the simulator
                resources = {"unavailable": env.short_error(exc, 160)}
            build_s = time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001
            doc["results"].append({"method": method, "ok": False, "error": env.short_error(exc)})
            env.write_json(path, doc)
            continue
        for t1 in spans:
            for n in sizes:
                row = {"method": method, "ran": ran, "note": note, "n": n, "t1": t1, "plan": args.plan,
                       "shared_bytes_per_block": int(plan.shared_bytes_per_block), "resources": resources,
                       "build_s": build_s}
                prev = last.get(t1)
                elapsed = time.perf_counter() - start
                if prev and elapsed + prev[1] * n / prev[0] * (args.repeats + 1) / 1e3 > args.deadline_s:
                    row.update(ok=False, error="not started: predicted past --deadline-s")
                else:
                    try:
                        t = time.perf_counter()
                        row.update(measure(integ, plan, n, t1, args), ok=True)
                        row["wall_s"] = time.perf_counter() - t
                        last[t1] = (n, row["kernel"]["median_ms"])
                    except Exception as exc:  # noqa: BLE001
                        row.update(ok=False, error=env.short_error(exc))
                doc["results"].append(row)
                env.write_json(path, doc)
                _print(row)
    doc["finished"], doc["elapsed_s"] = True, time.perf_counter() - start
    env.write_json(path, doc)
    print("wrote", path)
    return 0


def _print(r):
    if not r.get("ok"):
        print(f"{r['method']:8s} N={r['n']:8d} t1={r['t1']:g}: {r.get('error')}", flush=True)
        return
    print(f"{r['method']:8s} N={r['n']:8d} t1={r['t1']:g}: {r['kernel']['median_ms']:10.2f} ms  "
          f"accepted {r['accepted']['mean']:.1f} (max {r['accepted']['max']})  rejected {r['rejected']['mean']:.2f} "
          f"(max {r['rejected']['max']})  success {r['success_fraction']:.4f}  "
          f"err/tol {r['vs_scipy']['max_err_in_tolerances']:.2f}  {r['note'] or ''}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
