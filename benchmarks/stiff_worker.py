"""One configuration of ``benchmarks.stiff_peers``, cold, in its own process.

``python -m benchmarks.stiff_worker CONFIG.json``: imports, builds and runs one
(implementation, n, precision, method, linear solver) on the Brusselator
ensemble and prints one line ``RESULT {json}``; the final states go to the
config's ``out_npy``.  A bufferplan configuration may hold several placements
(``members``): they share the process, and the line holds a list, one result
each.  Timeline: ``import_s`` (the library's import), then ``compile_s``, from
the Integrator's (or cubie Solver's and system's) construction to the end of a
first launch of ONE step on ONE trajectory (the compile, outside the GPU lock;
one step, so that it takes no GPU time from another process's timed kernel);
then, holding the lock file (``fcntl``) so that only one process at a time
runs on the GPU, a warm-up launch of the whole batch and ``repeats`` timed
ones (bufferplan: the members' launches interleaved, each round's timed launch
queued behind an untimed one, so that host time never enters a kernel's).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import sys
import time

import numpy as np

from . import stiff_problem as bp


@contextlib.contextmanager
def gpu_lock(path):
    if not path:
        yield 0.0
        return
    t = time.perf_counter()
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield time.perf_counter() - t
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _counts(a):
    a = np.asarray(a)
    return {"mean": float(a.mean()), "max": int(a.max())} if a.size else None


def members_of(cfg):
    """The placements a worker config runs: its ``members``, or the config itself."""
    return cfg.get("members") or [cfg]


def make_integrator(cfg):
    """The Integrator of a bufferplan configuration (``benchmarks.stiff_plans`` plans the same one)."""
    import kernels

    dtype = np.dtype(cfg["precision"]).type
    system = kernels.brusselator(cfg["n"])
    if cfg["impl_name"].endswith("sym"):  # the same model from SymPy equations: straight-line rhs, jac and jvp
        system = bp.symbolic_brusselator(cfg["n"])
    if cfg["impl_name"].endswith("lujac"):  # J from the dense jac: the same system without its jvp
        system = kernels.ODESystem(system.rhs, cfg["n"], system.n_params, name=system.name, jac=system.jac,
                                   default_params=system.default_params)
    if cfg["impl_name"].endswith("gmresfd"):  # Krylov products by differences: the same system without jac or jvp
        system = kernels.ODESystem(system.rhs, cfg["n"], system.n_params, name=system.name,
                                   default_params=system.default_params)
    fields = {"linear": cfg["solver"]}
    storage = {"lumem": "memory", "lureg": "registers"}.get(cfg["impl_name"].rsplit("-", 1)[-1])
    if storage is not None:  # the factor's storage forced, the family's rule aside
        fields["factor_storage"] = storage
    if cfg["impl_name"].endswith("lufresh"):  # J and the factors at every step (reuse_factor off)
        fields["reuse_factor"] = False
    if cfg["impl_name"].endswith("lucount"):  # the work counts of each trajectory (count_work on)
        fields["count_work"] = True
    if cfg.get("kappa") is not None:  # Newton's stopping test, the library's default aside
        fields["kappa"] = cfg["kappa"]
    solver = kernels.SolverOptions(**fields)
    return kernels.Integrator(system, cfg["run_method"], controller="fixed", precision=dtype, solver=solver)


def worker_plan(integ, cfg):
    """``local``/``shared`` planned here; any other choice is the plan file ``cfg["plan_file"]``, verified.

    A choice may carry a ``#k`` suffix (``local#2``): the same placement timed again under its own
    label, a control for the run's noise.
    """
    from . import stiff_plans

    if stiff_plans.planned_by_worker(cfg["plan"]):
        return integ.plan(stiff_plans.base_choice(cfg["plan"]))
    return stiff_plans.load_plan(integ, cfg.get("plan_file"))


def run_bufferplan(cfg):
    """One ``out`` per member of ``cfg["members"]`` (or of ``cfg`` alone): the placements of one configuration.

    Each member's kernel is built and run for one step of one trajectory outside the GPU lock (its
    compile: a longer run would share the GPU with another process's timed kernel); then, holding the
    lock, each runs the whole batch once (warm-up and results) and the members' timed launches are
    interleaved round by round (``timing.time_interleaved``: an untimed launch queued ahead of each).
    A member whose plan fails is an error row; the others run.
    """
    t = time.perf_counter()
    import kernels  # the library's import is timed here

    from . import stiff_plans, timing
    import_s = time.perf_counter() - t
    dtype = np.dtype(cfg["precision"]).type
    n, n_traj, t1, dt, tol = cfg["n"], cfg["n_traj"], cfg["t1"], cfg["dt"], cfg["tol"]
    y0, params = bp.inputs(n, n_traj, dtype)
    t0 = time.perf_counter()  # the first member's compile includes the Integrator's construction
    integ = make_integrator(cfg)
    ready, outs = [], []
    for member in members_of(cfg):
        out = {"id": member["id"], "ok": False, "import_s": import_s}
        outs.append(out)
        try:
            if len(outs) > 1:
                t0 = time.perf_counter()
            plan = worker_plan(integ, member)
            cap = stiff_plans.register_cap(member["plan"])
            timing.bind_launch(integ, plan, (0.0, dt), y0[:1], params[:1], dt=dt, rtol=tol, atol=tol,
                               max_registers=cap)
            timing.synchronize()
            out["compile_s"] = time.perf_counter() - t0
            out["plan"] = {"choice": member["plan"], "file": member.get("plan_file"), "block_size": plan.block_size,
                           "shared_bytes_per_block": int(plan.shared_bytes_per_block),
                           "persistent_local_elements": int(plan.persistent_local_elements),
                           "max_registers": integ.max_registers if cap is None else cap}
            try:
                out["resources"] = integ.build(plan, max_registers=cap).resources().to_json()
            except Exception as exc:  # noqa: BLE001 - not on the simulator
                out["resources"] = {"unavailable": f"{type(exc).__name__}: {str(exc)[:160]}"}
            ready.append((member, out, plan, cap))
        except Exception as exc:  # noqa: BLE001 - this member's error row; the others run
            out["error"] = f"{type(exc).__name__}: {str(exc)[:800]}"
    if not ready:
        return outs
    with gpu_lock(cfg.get("lock")) as waited:
        bound = {}
        for member, out, plan, cap in ready:
            out["lock_wait_s"] = waited
            bound[member["id"]] = timing.bind_launch(integ, plan, (0.0, t1), y0, params, dt=dt, rtol=tol, atol=tol,
                                                     max_registers=cap)
        medians, samples, method = timing.time_interleaved(bound, cfg["repeats"], 1)
        results = {key: b.host_outputs() for key, b in bound.items()}
    for member, out, _, _ in ready:
        key = member["id"]
        times = samples[key]
        out["kernel"] = {"median_ms": medians[key], "min_ms": float(min(times)), "ms": [round(x, 5) for x in times],
                         "per_round": 1, "method": method, "interleaved_with": len(ready)}
        res = results[key]
        out["success_fraction"] = float(np.mean(res["status"] == 0))
        out["steps"] = _counts(res["n_steps"])
        work = res["counts"][:, :kernels.EVENT_COLUMN]
        if work.size and (work >= 0).all():  # counted (SolverOptions(count_work=True)): per trajectory
            out["work"] = {name: _counts(work[:, c]) for c, name in enumerate(kernels.WORK_COLUMNS)}
        np.save(member["out_npy"], res["y"][:, -1, :].astype(np.float64))
        out["ok"] = True
    return outs


def run_cubie(cfg, out):
    from . import stiff_cubie as sc

    t = time.perf_counter()
    ok, why = sc.available()
    out["import_s"] = time.perf_counter() - t
    if not ok:
        raise sc.CubieUnavailable(why)
    out["cubie_version"] = why
    dtype = np.dtype(cfg["precision"]).type
    n, n_traj, t1, dt, tol = cfg["n"], cfg["n_traj"], cfg["t1"], cfg["dt"], cfg["tol"]
    y0, params = bp.inputs(n, n_traj, dtype)
    names = bp.state_names(n)
    t0 = time.perf_counter()
    system = sc.make_system(f"bruss{n}", bp.cubie_equations(n), dict(zip(names, bp.initial(n).tolist())),
                            dict(zip(bp.PARAM_NAMES, params[0].tolist())), dtype, bp.PARAM_NAMES)
    algorithm = bp.CUBIE_ALGORITHMS.get(cfg["run_method"])
    if algorithm is None:
        raise sc.CubieUnavailable(f"no cubie algorithm mapped for {cfg['run_method']!r}")
    linear = None if cfg["solver"] == "default" else cfg["solver"]
    solver, settings = sc.make_solver(system, algorithm, dt, linear=linear, newton_tol=tol)
    run = sc.Run(system, solver, names, bp.PARAM_NAMES, dtype)
    run.solve(y0[:1], params[:1], dt)  # the compile: one step, so that no long run shares the GPU
    out["compile_s"] = time.perf_counter() - t0
    out["cubie_settings"] = settings
    out["resources"] = {"unavailable": "cubie's compiled kernel is not read back"}
    with gpu_lock(cfg.get("lock")) as waited:
        out["lock_wait_s"] = waited
        y, counters, status = run.solve(y0, params, t1)  # warm-up, and the results
        cuda = run.cuda
        dev = tuple(cuda.to_device(a) for a in run.arrays(y0, params))
        times, method = [], None
        spent = 0.0
        while len(times) < cfg["repeats"] and (not times or spent < (cfg.get("time_budget_s") or 1e30)):
            ms, method = run.kernel_ms(dev, t1)
            times.append(ms)
            spent += ms / 1e3
    out["kernel"] = {"median_ms": float(np.median(times)), "min_ms": float(min(times)), "ms": times,
                     "method": method}
    out["success_fraction"] = float(np.mean(status == 0))
    out["steps"] = _counts(counters["steps"])
    out["newton_iterations"] = _counts(counters["newton"])
    out["krylov_iterations"] = _counts(counters["krylov"])
    np.save(cfg["out_npy"], y)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0]) as fh:
        cfg = json.load(fh)
    members = members_of(cfg)
    outs = [{"id": m["id"], "ok": False} for m in members]
    t = time.perf_counter()
    try:
        if cfg["impl"] == "cubie":
            run_cubie(cfg, outs[0])
            outs[0]["ok"] = True
        else:
            outs = run_bufferplan(cfg)
    except Exception as exc:  # noqa: BLE001 - the parent records why
        for out in outs:
            if not out.get("ok"):
                out["error"] = f"{type(exc).__name__}: {str(exc)[:800]}"
    for out in outs:
        out["process_s"] = time.perf_counter() - t
    result = outs if "members" in cfg else outs[0]
    print("RESULT " + json.dumps(result, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
