"""Implicit methods on the 1D Brusselator ensemble: bufferplan (dense LU, GMRES) beside cubie 0.17.0 (issue #10).

Every configuration (implementation x n x precision x method x linear solver)
runs cold in its own process (``benchmarks.stiff_worker``), the placements of
one bufferplan configuration (``--plans``) together: its compile time
(construction to the end of a first one-step, one-trajectory launch), kernel
time (CUDA events, median of ``--repeats``; a configuration's placements timed
round by round, interleaved), registers/local/spill bytes
(``BatchKernel.resources()``), the Plan's shared bytes, steps and status.  A
placement named twice (``local,auto,local#2``) is timed twice under two labels:
the run's own noise, beside the differences it measures.  A ``+r<k>`` suffix
(``local+r128``) builds that placement with at most ``k`` registers a thread; without
one the library's own cap applies (``kernels.register_cap``), ``+r255`` lifts it.
Up to ``--jobs`` processes compile at once; a lock file lets one at a time use
the GPU for the timed part.  A configuration that fails or passes
``--config-timeout-s`` is recorded and the run goes on; ``--deadline-s`` starts
nothing new past it.  Afterwards the final states of every implementation are
compared with the first one's of the same (n, precision, method) (max relative
difference) and, for ``--ref-samples`` trajectories, with SciPy Radau (float64).

Problem: ``kernels.brusselator(n)``, N = ``--n-traj`` (65536), A = 1, B evenly
in [2.5, 3.5], alpha = 1/50, fixed dt = 1e-3.  The span is per n
(``--t1-by-n``, default 0.1 for n <= 32 (100 steps), 0.02 at 64, 0.01 at 128):
a dense LU per step costs n^3/3 per thread, so at n = 128 ten steps of 65536
trajectories already hold 65536 128x128 matrices in local memory; the short
spans keep each kernel under a few seconds; ``kernel_ms_per_step`` compares n.

    python3 -m benchmarks.stiff_peers --out DIR            # GPU (see benchmarks/README.md)
    python3 -m benchmarks.stiff_peers --sim --out DIR      # simulator: n = 4, N = 2, explicit fallback
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import environment as env
from . import stiff_problem as bp
from .stiff_plans import plan_path, planned_by_worker, register_cap
from .stiff_worker import members_of

SCHEMA = "bufferplan.stiff_peers/1"
IMPLS = ("bufferplan-lu", "bufferplan-gmres", "cubie-lu", "cubie-mr")
# bufferplan-lujac: the sparse LU with J from the system's dense jac (its jvp withheld), against
# bufferplan-lu's compressed jvp products; bufferplan-lumem / bufferplan-lureg: the sparse LU with its factor
# in memory / register storage whatever the family's rule (kernels.solvers.factor_storage); bufferplan-lusym /
# bufferplan-gmressym: the model from SymPy equations (stiff_problem.symbolic_brusselator: straight-line rhs,
# jac and jvp, as cubie builds its own), against the hand-written looped one; bufferplan-lufresh: the sparse LU
# with J taken and factored at every step (SolverOptions(reuse_factor=False)); bufferplan-lucount: the sparse LU
# counting each trajectory's work (SolverOptions(count_work=True)); bufferplan-gmresfd: GMRES on differenced
# products (the system's jac and jvp withheld); not in the default set
SOLVER_OF = {"bufferplan-lu": "lu", "bufferplan-lujac": "lu", "bufferplan-lumem": "lu", "bufferplan-lureg": "lu",
             "bufferplan-lufresh": "lu", "bufferplan-lucount": "lu",
             "bufferplan-lusym": "lu", "bufferplan-gmressym": "gmres",
             "bufferplan-gmres": "gmres", "bufferplan-gmresfd": "gmres", "cubie-lu": "lu",
             "cubie-mr": "minimal_residual"}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bp.add_configuration_arguments(ap)
    ap.add_argument("--impls", default=",".join(IMPLS), help=f"of {IMPLS}")
    ap.add_argument("--plans", "--plan", dest="plans", default="local",
                    help="bufferplan's placements, a comma list: local and shared are planned in the worker, any "
                         "other choice (auto, factor-shared, ...) is loaded from --plan-dir (benchmarks.stiff_plans); "
                         "'#k' times a choice again under its own label (local#2), '+r<k>' caps its registers a "
                         "thread at k (local+r128; without one the library's own cap, +r255 none)")
    ap.add_argument("--plan-dir", default=None, help="default benchmarks/data/stiff_plans")
    ap.add_argument("--n-traj", type=int, default=65536)
    ap.add_argument("--dt", type=float, default=1e-3)
    bp.add_span_arguments(ap)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--time-budget-s", type=float, default=10.0,
                    help="cubie: its timed launches stop past it (bufferplan times --repeats interleaved rounds)")
    ap.add_argument("--config-timeout-s", type=float, default=240.0)
    ap.add_argument("--deadline-s", type=float, default=510.0)
    ap.add_argument("--jobs", type=int, default=max(1, min(8, (os.cpu_count() or 2) // 2)))
    ap.add_argument("--ref-samples", type=int, default=4)
    ap.add_argument("--sim", action="store_true", help="simulator sizes; explicit rk4 where a method is missing")
    ap.add_argument("--tag", default="")
    ap.add_argument("--out", default=env.RESULTS)
    args = ap.parse_args(argv)
    bad = sorted(set(args.impls.split(",")) - set(SOLVER_OF))
    if bad:
        ap.error(f"--impls: unknown {bad}; choose from {list(SOLVER_OF)}")
    for choice in args.plans.split(","):
        try:
            register_cap(choice)
        except ValueError as exc:
            ap.error(f"--plans: {exc}")
    if args.plan_dir is None:
        from .stiff_plans import DATA
        args.plan_dir = DATA
    if args.sim:
        args.sizes, args.n_traj, args.t1_by_n, args.repeats, args.ref_samples = "4", 2, "4:0.002", 1, 1
    return args


def _mapping(text, key=str):
    return {key(k): float(v) for k, v in (item.split(":") for item in text.split(","))}


def run_method(method, sim):
    """``(method to run, note)``: the asked one, or on the simulator rk4 when the asked one is not built."""
    import kernels

    if method in kernels.METHOD_NAMES:
        return method, None
    if sim:
        return "rk4", f"{method} is not in kernels.METHOD_NAMES here: explicit rk4 ran instead (simulator fallback)"
    return method, None


def configurations(args):
    t1 = _mapping(args.t1_by_n, int)
    tol = _mapping(args.tol)
    out = []
    for n in (int(s) for s in args.sizes.split(",")):
        for precision in args.precisions.split(","):
            for method in args.methods.split(","):
                ran, note = run_method(method, args.sim)
                for impl in args.impls.split(","):
                    for choice in (args.plans.split(",") if impl.startswith("bufferplan") else [None]):
                        label = impl if choice is None else f"{impl}@{choice}"
                        cfg = {"id": f"{label}:n{n}:{precision}:{method}", "impl": impl.split("-")[0], "n": n,
                               "precision": precision, "method": method, "run_method": ran, "note": note,
                               "solver": SOLVER_OF[impl], "impl_name": impl, "label": label, "plan": choice,
                               "n_traj": args.n_traj, "t1": t1[n], "dt": args.dt, "tol": tol[precision],
                               "repeats": args.repeats, "time_budget_s": args.time_budget_s,
                               "kappa": args.kappa}
                        if choice is not None and not planned_by_worker(choice):
                            cfg["plan_file"] = plan_path(args.plan_dir, cfg)
                        if impl.startswith("bufferplan-gmres") and ran not in _implicit_methods():
                            cfg["skip"] = f"{ran} is explicit: no linear solver, the LU run is the same kernel"
                        out.append(cfg)
    return out


def _implicit_methods():
    import kernels

    return {m for m in kernels.METHOD_NAMES if kernels.METHODS[m].family != "erk"}


def worker_groups(configs):
    """The worker runs: each bufferplan configuration's placements together (timed interleaved), cubie's alone.

    A group is a config of the first member's fields with ``id`` naming the configuration and
    ``members`` its placements' configs; a group of one is that config itself.
    """
    groups = {}
    for cfg in configs:
        key = cfg["id"] if cfg["impl"] == "cubie" else (cfg["impl_name"], cfg["n"], cfg["precision"], cfg["method"])
        groups.setdefault(key, []).append(cfg)
    out = []
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0])
        else:
            first = members[0]
            gid = f"{first['impl_name']}:n{first['n']}:{first['precision']}:{first['method']}"
            out.append(dict(first, id=gid, members=members))
    return out


def run_one(cfg, work, timeout):
    """Run one worker group; returns ``{member id: result}``."""
    def stem(config):
        return os.path.join(work, config["id"].replace(":", "_").replace("#", "_"))

    path = stem(cfg) + ".json"
    members = [dict(m, out_npy=stem(m) + ".npy") for m in members_of(cfg)]
    cfg = dict(cfg, out_npy=members[0]["out_npy"], lock=os.path.join(work, "gpu.lock"))
    if "members" in cfg:
        cfg["members"] = members
    with open(path, "w") as fh:
        json.dump(cfg, fh)
    t = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.stiff_worker", path], capture_output=True,
                              text=True, timeout=timeout, cwd=env.ROOT)
    except subprocess.TimeoutExpired:
        return {res["id"]: dict(res, wall_s=timeout) for res in _failed(members, f"timeout after {timeout:.0f} s")}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if lines:
        got = json.loads(lines[-1][7:])
        got = got if isinstance(got, list) else [got]
    else:
        got = _failed(members, f"exit {proc.returncode}: {proc.stderr.strip()[-600:]}")
    wall, npy = time.perf_counter() - t, {m["id"]: m["out_npy"] for m in members}
    for res in got:
        res["wall_s"] = wall
        res["npy"] = npy[res["id"]] if res.get("ok") else None
    return {res["id"]: res for res in got}


def _failed(members, error):
    """An error row per member config: they ran (or not) in one worker, which gave no result of its own."""
    return [{"id": m["id"], "ok": False, "error": error} for m in members]


def agreement(doc, configs, results, args):
    """Per (n, precision, method): each implementation against the first that ran, and against SciPy."""
    groups = {}
    for cfg in configs:
        res = results.get(cfg["id"])
        if res and res.get("ok") and res.get("npy"):
            groups.setdefault((cfg["n"], cfg["precision"], cfg["method"]), []).append((cfg, res))
    rows = []
    for (n, precision, method), members in groups.items():
        finals = {cfg["label"]: np.load(res["npy"]) for cfg, res in members}
        base_name = members[0][0]["label"]
        k = min(args.ref_samples, args.n_traj)
        idx = np.unique(np.linspace(0, args.n_traj - 1, k).astype(int)) if k else np.array([], int)
        ref = None
        if k:
            _, params = bp.inputs(n, args.n_traj, np.float64)
            ref = bp.scipy_final(n, params[idx], members[0][0]["t1"])
        for name, y in finals.items():
            row = {"n": n, "precision": precision, "method": method, "impl": name, "against": base_name,
                   "max_rel_diff": bp.max_rel_diff(y, finals[base_name]), "nonfinite": int((~np.isfinite(y)).sum())}
            if ref is not None:
                row["max_rel_err_vs_scipy"] = bp.max_rel_diff(y[idx], ref)
            rows.append(row)
    doc["agreement"] = rows


def failed_share(row):
    """The note of a timed row whose trajectories did not all succeed (None when they did, or it was not run):
    its time is that of kernels that stopped early, not comparable with the others'."""
    share = row.get("success_fraction")
    if share is None or share >= 1.0:
        return None
    return f"ONLY {100.0 * share:.1f} % OF TRAJECTORIES SUCCEEDED: time not comparable"


def table(doc):
    print(f"{'config':52s} {'compile s':>9s} {'kernel ms':>10s} {'ms/step':>8s} {'regs':>5s} {'local':>6s} "
          f"{'shared':>7s}  note")
    for r in doc["results"]:
        res = r.get("resources") or {}
        ms = (r.get("kernel") or {}).get("median_ms")
        steps = r.get("nominal_steps") or 1
        print(f"{r['id']:52s} {r.get('compile_s', float('nan')):9.2f} "
              f"{ms if ms is not None else float('nan'):10.3f} {(ms or float('nan')) / steps:8.4f} "
              f"{str(res.get('registers_per_thread', '-')):>5s} {str(res.get('local_bytes_per_thread', '-')):>6s} "
              f"{str((r.get('plan') or {}).get('shared_bytes_per_block', '-')):>7s}  "
              f"{r.get('error') or r.get('skip') or failed_share(r) or r.get('note') or ''}"[:200])
    for a in doc.get("agreement", []):
        print(f"agree n={a['n']} {a['precision']} {a['method']} {a['impl']} vs {a['against']}: "
              f"{a['max_rel_diff']:.2e}; vs SciPy {a.get('max_rel_err_vs_scipy', float('nan')):.2e}")


def _ms(row):
    return (row.get("kernel") or {}).get("median_ms") if row.get("ok") else None


def summary(results):
    """Per (bufferplan implementation, method, n, precision): the fastest placement, auto's regret to it,
    all-local's, and cubie's best time; then the share of groups where auto is within 5 % (issue #14)."""
    cubie, groups = {}, {}
    for r in results:
        key = (r["method"], r["n"], r["precision"])
        if r["impl_name"].startswith("cubie"):
            if _ms(r) is not None and (key not in cubie or _ms(r) < cubie[key][1]):
                cubie[key] = (r["impl_name"], _ms(r))
        else:
            groups.setdefault((r["impl_name"],) + key, []).append(r)
    rows = []
    for (impl, method, n, precision), members in groups.items():
        times = {r["choice"]: _ms(r) for r in members if _ms(r) is not None}
        row = {"impl": impl, "method": method, "n": n, "precision": precision, "ms": times,
               "failed": {r["choice"]: r.get("error") or r.get("skip") for r in members if _ms(r) is None}}
        if times:
            best = min(times, key=times.get)
            local = next((r for r in members if r["choice"] == "local" and _ms(r) is not None), None)
            spills = None if local is None else (local.get("resources") or {}).get("local_bytes_per_thread")
            row.update(fastest=best, fastest_ms=times[best],
                       regret={c: t / times[best] - 1.0 for c, t in times.items()},
                       local_spills=None if spills is None else spills > 0,
                       cubie=cubie.get((method, n, precision)))
            if "auto" in times:
                row["auto_over_local"] = times["local"] / times["auto"] if "local" in times else None
                row["auto_over_cubie"] = row["cubie"][1] / times["auto"] if row["cubie"] else None
        rows.append(row)
    regrets = [r["regret"]["auto"] for r in rows if "auto" in r.get("regret", {})]
    spilling = [r for r in rows if r.get("local_spills") and r.get("auto_over_local")]
    return {"groups": rows,
            "auto_within_5pct": (sum(g <= 0.05 for g in regrets), len(regrets)),
            "auto_over_local_where_local_spills": [r["auto_over_local"] for r in spilling],
            "auto_over_cubie_where_local_spills": [r.get("auto_over_cubie") for r in spilling]}


def summary_table(summ):
    print(f"{'impl/method/n/precision':36s} {'fastest':>14s} {'ms':>9s} {'auto regret':>11s} {'local regret':>12s} "
          f"{'local spills':>12s} {'cubie ms':>9s}  failed")
    for r in summ["groups"]:
        reg = r.get("regret", {})
        fmt = lambda v: "-" if v is None else f"{100 * v:+.1f}%"  # noqa: E731
        print(f"{r['impl'] + '/' + r['method'] + '/n' + str(r['n']) + '/' + r['precision']:36s} "
              f"{str(r.get('fastest', '-')):>14s} {r.get('fastest_ms', float('nan')):9.3f} "
              f"{fmt(reg.get('auto')):>11s} {fmt(reg.get('local')):>12s} {str(r.get('local_spills', '-')):>12s} "
              f"{(r.get('cubie') or (None, float('nan')))[1]:9.3f}  "
              f"{'; '.join(f'{c}: {str(e)[:60]}' for c, e in r['failed'].items())}"[:240])
    ok, total = summ["auto_within_5pct"]
    print(f"auto within 5% of the fastest placement: {ok}/{total}; auto/local where local spills: "
          f"{summ['auto_over_local_where_local_spills']}; cubie/auto there: {summ['auto_over_cubie_where_local_spills']}")


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    info = env.device_info()
    configs = configurations(args)
    doc = env.header(SCHEMA, info, vars(args))
    doc.update(problem={"system": "kernels.brusselator(n)", "A": 1.0, "B": [bp.B_LOW, bp.B_HIGH],
                        "alpha": bp.ALPHA, "dt": args.dt, "t1_by_n": args.t1_by_n, "controller": "fixed"},
               notes=["compile_s: construction (Integrator, or cubie's create_ODE_system + Solver) to the end of "
                      "a first launch on one trajectory, in a fresh process; up to --jobs processes compile "
                      "at once, the timed launches hold a lock (one at a time on the GPU)",
                      "cubie-lu: linear_correction_type='lu'; cubie-mr: its matrix-free default "
                      "'minimal_residual' (cubie has no GMRES); Newton tolerances newton_atol = newton_rtol = "
                      "--tol; bufferplan's Newton gets rtol = atol = --tol"],
               results=[], finished=False)
    label = env.device_label(info) + (f"_{args.tag}" if args.tag else "")
    path = os.path.join(args.out, f"stiff_peers_{label}.json")
    results = {}
    with tempfile.TemporaryDirectory(prefix="stiff-peers-") as work:
        pending = [c for c in configs if "skip" not in c]
        for c in configs:
            if "skip" in c:
                results[c["id"]] = _annotate({"id": c["id"], "ok": False, "skip": c["skip"]}, c)
        with cf.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {}
            for group in worker_groups(pending):
                futures[pool.submit(_guarded, group, work, args, start)] = group
            for fut in cf.as_completed(futures):
                got = fut.result()
                for cfg in members_of(futures[fut]):
                    res = _annotate(got.get(cfg["id"]) or {"id": cfg["id"], "ok": False,
                                                           "error": "the worker returned no result for it"}, cfg)
                    results[cfg["id"]] = res
                    print(f"[{time.perf_counter() - start:6.1f} s] {cfg['id']}: "
                          f"{'ok' if res.get('ok') else res.get('error')}", flush=True)
                doc["results"] = [results[c["id"]] for c in configs if c["id"] in results]
                env.write_json(path, doc)
        try:
            agreement(doc, configs, results, args)
        except Exception as exc:  # noqa: BLE001 - the timings stay
            doc["agreement_error"] = env.short_error(exc)
    for r in results.values():
        r.pop("npy", None)
    doc["results"] = [results[c["id"]] for c in configs if c["id"] in results]
    doc["summary"] = summary(doc["results"])
    doc["finished"], doc["elapsed_s"] = True, time.perf_counter() - start
    env.write_json(path, doc)
    table(doc)
    summary_table(doc["summary"])
    print("wrote", path)
    return 0


def _annotate(res, cfg):
    """The configuration's facts on its result, and the kernel time per step."""
    res["choice"] = cfg["plan"]
    res.update({k: cfg[k] for k in ("impl_name", "label", "n", "precision", "method", "run_method", "solver", "t1", "dt",
                                    "note")})
    res["nominal_steps"] = int(round(cfg["t1"] / cfg["dt"]))
    if (res.get("kernel") or {}).get("median_ms") is not None:
        res["kernel_ms_per_step"] = res["kernel"]["median_ms"] / res["nominal_steps"]
    return res


def _guarded(group, work, args, start):
    left = args.deadline_s - (time.perf_counter() - start)
    members = members_of(group)
    if left < 5:
        return {res["id"]: res for res in _failed(members, "not started: --deadline-s reached")}
    return run_one(group, work, min(args.config_timeout_s * len(members), left))


if __name__ == "__main__":
    sys.exit(main())
