"""Right-hand-side evaluations per step of the implicit methods on the Brusselator, counted on the simulator.

A hardware-independent measure of the Newton work a step does, to set beside
cubie's own iteration counters (``stiff_peers`` records them: its sdirk4 does one
Newton iteration a stage).  The Brusselator's ``rhs`` is wrapped in a Python
function that counts its calls; on Numba's CUDA simulator a device function is
plain Python, so every call of every stage, Newton iteration and finite
difference is counted (on a GPU the wrapper would not compile: the script
refuses to run there).  The problem is ``stiff_peers``': one trajectory, B = 3,
fixed dt = 1e-3, the span per n of ``--t1-by-n``, Newton's tolerances per
precision of ``--tol``, ``solver="lu"``.

What a count means per family (fixed step, analytic Jacobian from the system's
``jvp``, so the matrix costs no right-hand sides):

* DIRK: one call per Newton iteration of each implicit stage, plus the explicit
  first stage of an ESDIRK: ``calls / stages`` is iterations a stage;
* radau: one call per step for ``f(t, y)`` and three per Newton iteration;
* Rosenbrock: one call per stage (no Newton iteration; the system is autonomous, so no ``f_t``).

    python -m benchmarks.newton_work --methods sdirk4,radau,rodas4 --sizes 8,32,128 --json OUT.json
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from . import environment as env
from . import stiff_problem as bp

SCHEMA = "bufferplan.newton_work/1"


def counted_brusselator(n):
    """``(system, calls)``: the Brusselator whose rhs adds one to ``calls[0]`` per call (simulator only)."""
    import kernels

    plain = kernels.brusselator(n)
    rhs = getattr(plain.rhs, "py_func", plain.rhs)
    calls = [0]

    def counted(t, y, p, dydt):  # never reads t: the Brusselator is autonomous, and a Rosenbrock step
        calls[0] += 1            # would otherwise add its f_t difference, which the benchmark kernel skips
        rhs(0.0, y, p, dydt)

    system = kernels.ODESystem(counted, n, plain.n_params, name=f"counted_{plain.name}", jac=plain.jac,
                               jvp=plain.jvp, default_params=plain.default_params, check=False)
    return system, calls


def reference(n, t1, precision):
    """SciPy Radau's final state (float64) for the trajectory :func:`count` integrates in ``precision``
    (its parameters rounded to that precision, as the kernel gets them)."""
    params = bp.inputs(n, 1, np.dtype(precision).type)[1]
    return bp.scipy_final(n, np.asarray(params, dtype=np.float64), t1)[0]


def count(method, n, precision, t1, tol, dt=1e-3, kappa=None, ref=None):
    """One row: calls, steps and calls per step of ``method`` at ``n`` states, and the final state's
    largest error against SciPy's Radau (relative to ``1 + |y|``; the accuracy the work bought).
    ``ref``: :func:`reference` of ``(n, t1, precision)``, computed here when not given."""
    import kernels

    dtype = np.dtype(precision).type
    system, calls = counted_brusselator(n)
    y0, params = bp.inputs(n, 1, dtype)
    run = dict(method=method, dt=dt, controller="fixed", rtol=tol, atol=tol, precision=dtype, plan="local",
               solver=kernels.SolverOptions(**({} if kappa is None else {"kappa": kappa})))
    # the first solve's host checks (the jac against differences of rhs at the inputs) call rhs too, once per
    # inputs: counted from the second, identical solve, which finds them done
    kernels.solve_ivp(system, (0.0, t1), y0, params, **run)
    calls[0] = 0
    res = kernels.solve_ivp(system, (0.0, t1), y0, params, **run)
    steps = int(res.n_steps[0])
    ref = reference(n, t1, precision) if ref is None else ref
    error = float(np.max(np.abs(np.asarray(res.y[0, -1], dtype=np.float64) - ref) / (1.0 + np.abs(ref))))
    return {"method": method, "n": n, "precision": precision, "t1": t1, "dt": dt, "tol": tol, "kappa": kappa,
            "status": int(res.status[0]), "steps": steps, "rhs_calls": calls[0],
            "rhs_per_step": round(calls[0] / max(steps, 1), 3), "error_vs_scipy": error}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bp.add_configuration_arguments(ap, sizes="8,32,128")
    bp.add_span_arguments(ap)
    ap.add_argument("--json", default=None, help="write the rows and how they were made here")
    args = ap.parse_args(argv)
    try:
        args.size_list = [int(s) for s in args.sizes.split(",")]
        args.t1 = {int(k): float(v) for k, v in (item.split(":") for item in args.t1_by_n.split(","))}
        args.tols = {k: float(v) for k, v in (item.split(":") for item in args.tol.split(","))}
    except ValueError as exc:
        ap.error(f"--sizes, --t1-by-n, --tol: expected '8,32' and 'key:value' lists ({exc})")
    missing = [n for n in args.size_list if n not in args.t1]
    if missing:
        ap.error(f"--t1-by-n: no span for size(s) {missing}")
    unknown = sorted(set(args.precisions.split(",")) - set(args.tols))
    if unknown:
        ap.error(f"--tol: no tolerance for precision(s) {unknown}")
    return args


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
    import kernels

    if kernels.backend() != "simulator":
        print("newton_work: counting needs Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1): a Python counter "
              "in the rhs does not compile for a GPU", file=sys.stderr)
        return 2
    rows = []
    for n in args.size_list:
        for precision in args.precisions.split(","):
            ref = reference(n, args.t1[n], precision)  # one SciPy run, shared by the methods
            for method in args.methods.split(","):
                rows.append(count(method, n, precision, args.t1[n], args.tols[precision], kappa=args.kappa,
                                  ref=ref))
                r = rows[-1]
                print(f"{method:8} n={n:<4} {precision}: {r['rhs_per_step']:6.2f} rhs a step over {r['steps']} steps "
                      f"(status {r['status']}), error {r['error_vs_scipy']:.2e}", flush=True)
    if args.json:
        settings = {k: v for k, v in vars(args).items() if k not in ("size_list", "t1", "tols")}
        env.write_json(args.json, dict(env.header(SCHEMA, {"name": "simulator"}, settings), rows=rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
