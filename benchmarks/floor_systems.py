"""bufferplan beside hand-written kernels on three more problems than Lorenz (issue #9's floor, item 2).

For each problem of :mod:`benchmarks.floor_problems` (4, 6 time-dependent and
16 states) and each case (fixed-step Tsit5 and RK4, ``dt = 1e-3`` on
``[0, t1]``; adaptive Tsit5 with the PI controller at ``rtol = atol = tol``)
it launches bufferplan's all-local float32 kernel (``Integrator.plan("local")``,
launched as ``Integrator.solve`` launches it, :func:`benchmarks.timing.bind_launch`)
and the hand-written kernel of :mod:`benchmarks.handwritten_systems` on the
same device arrays.  Timing: CUDA events around ``--batch`` back-to-back
launches (one untimed launch queued ahead of the first event), ``--reps`` rounds with all kernels of a problem interleaved, the
median per launch.  Reported per row: both times and their ratio, the largest
difference of the final states scaled by ``1 + |y_floor|``, each side's error
against a SciPy DOP853 solution on a few trajectories, and for the adaptive
case both sides' mean accepted/rejected steps and the time per attempted step
(the controllers share their formulas but not their rounding, so counts may
differ a little; ``ratio_per_step`` is the fair one then).

    python -m benchmarks.floor_systems --sizes 22,23 --reps 5 --out benchmarks/results

``--sim`` runs 4 trajectories over a short span on the simulator (correctness only).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

if not __package__:  # run as a file
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

import kernels  # noqa: E402 - chooses the GPU or the simulator before numba.cuda is imported

from . import environment, handwritten_systems, timing  # noqa: E402
from .floor_problems import PROBLEMS, problem  # noqa: E402

__all__ = ["main", "compile_problem", "run_problem", "scipy_reference"]

CASES = ("tsit5_fixed", "rk4_fixed", "tsit5_adaptive")
# The hand-written adaptive kernel implements bufferplan's PI controller (handwritten_systems), so the
# comparison is like for like.  Step counts still differ at float32 tol 1e-8, where the error estimate
# is rounding noise: bufferplan's stage sums y + (h a_1) k_1 + ... round at |y| once per term (the
# hand-written y + h (a_1 k_1 + ...) once), and the noisier estimate takes ~15-50 % more steps.
ADAPTIVE_CONTROLLER = "pi"
SCHEMA = "bufferplan-floor-systems/1"


def scipy_reference(prob, y0, params, t1):
    """DOP853 at rtol = atol = 1e-12 from each row of ``y0``/``params`` to ``t1`` (float64); None without SciPy."""
    try:
        from scipy.integrate import solve_ivp
    except ImportError:
        return None

    out = []
    for y, p in zip(y0.astype(np.float64), params.astype(np.float64)):
        sol = solve_ivp(prob.host_rhs(p), (0.0, t1), y, method="DOP853", rtol=1e-12, atol=1e-12)
        out.append(sol.y[:, -1])
    return np.array(out)


def _scaled(a, b):
    return float(np.max(np.abs(a.astype(np.float64) - b) / (1.0 + np.abs(b))))


def _kernel_resources(kernel):
    """Registers and local bytes per thread of a compiled hand-written kernel (GPU only)."""
    out = {}
    for key, getter in (("registers_per_thread", "get_regs_per_thread"),
                        ("local_bytes_per_thread", "get_local_mem_per_thread")):
        try:
            value = getattr(kernel, getter)()
            out[key] = list(value.values())[0] if isinstance(value, dict) else value
        except Exception as exc:  # noqa: BLE001 - recorded, not fatal
            out[key] = environment.short_error(exc, 120)
    return out


def compile_problem(prob, cases, block):
    """``{case: (hand-written kernel, Integrator, Plan)}``: made once per problem, reused for every size."""
    hand = handwritten_systems.build(prob)
    out = {}
    for case in cases:
        method = "rk4" if case == "rk4_fixed" else "tsit5"
        controller = ADAPTIVE_CONTROLLER if case == "tsit5_adaptive" else "fixed"
        integ = kernels.Integrator(prob.system(), method, controller=controller, precision=np.float32)
        out[case] = hand[case], integ, integ.plan("local", block_size=block)
    return out


def _launchers(prob, case, compiled, d_y0, d_params, n, t1, dt, tol, block, caps=(None,)):
    """``(floor_launch, floor_read, {cap: ours_bound}, floor_kernel)`` of one case on shared inputs.

    ``caps``: the register caps bufferplan's kernel is built with, one bound launch each (None: the
    library's default, ``max_registers="auto"``)."""
    from numba import cuda

    built, integ, plan = compiled[case]
    d_out = cuda.device_array((n, prob.n_states), np.float32)
    ours = {cap: timing.bind_launch(integ, plan, (0.0, t1), d_y0, d_params, dt=dt, rtol=tol, atol=tol,
                                    max_steps=10**6, max_registers=cap)
            for cap in caps}
    if case == "tsit5_adaptive":
        d_stats = cuda.device_array((2, n), np.int32)

        def launch():
            handwritten_systems.launch_adaptive(built, d_y0, d_params, d_out, d_stats, t1, dt, tol, tol, 10**6,
                                                block)

        def read():
            return d_out.copy_to_host(), d_stats.copy_to_host()
    else:
        n_steps = int(round(t1 / dt))

        def launch():
            handwritten_systems.launch_fixed(built, d_y0, d_params, d_out, dt, n_steps, block)

        def read():
            return d_out.copy_to_host(), None

    return launch, read, ours, built


def run_problem(prob, compiled, n, t1, dt, tol, reps, batch, block, time_it=True, n_check=4, caps=(None,)):
    """Rows of one problem at ``n`` trajectories (``compiled`` from :func:`compile_problem`), one a case and cap."""
    from numba import cuda

    y0, params = prob.batch(n)
    d_y0, d_params = cuda.to_device(y0), cuda.to_device(params)
    parts = {case: _launchers(prob, case, compiled, d_y0, d_params, n, t1, dt, tol, block, caps)
             for case in compiled}
    launchers = {}
    for case, (launch, _, ours, _) in parts.items():
        launchers[("floor", case)] = launch
        launchers.update({(_label(cap), case): bound for cap, bound in ours.items()})
    if time_it:
        medians, _, method = timing.time_interleaved(launchers, reps, batch)
    else:
        for launch in launchers.values():
            launch()
        timing.synchronize()
        medians, method = {key: float("nan") for key in launchers}, "not timed"
    check = np.unique(np.linspace(0, n - 1, min(n, n_check)).astype(int))
    exact = scipy_reference(prob, y0[check], params[check], t1)
    rows = []
    for case, (_, read, bound, built) in parts.items():
        y_floor, stats = read()
        for cap, ours in bound.items():
            rows.append(_row(prob, n, case, cap, ours, y_floor, stats, built, medians, method, check, exact))
    return rows


def _label(cap):
    return "bufferplan" if cap is None else f"bufferplan@{cap}"


def _row(prob, n, case, cap, ours, y_floor, stats, built, medians, method, check, exact):
    """One result row (printed as it is made): bufferplan under ``cap`` beside the hand-written kernel."""
    got = ours.host_outputs()
    y_ours = got["y"][:, -1, :]
    row = {"problem": prob.name, "n_states": prob.n_states, "n_params": prob.n_params, "n": n, "case": case,
           "max_registers": cap, "floor_ms": medians[("floor", case)], "bufferplan_ms": medians[(_label(cap), case)],
           "timing": method, "status_ok": bool((got["status"] == 0).all()),
           "max_scaled_diff": _scaled(y_ours, y_floor),
           "floor_err_vs_scipy": _scaled(y_floor[check], exact) if exact is not None else float("nan"),
           "bufferplan_err_vs_scipy": _scaled(y_ours[check], exact) if exact is not None else float("nan"),
           "resources_bufferplan": ours.kernel.resources().to_json() if timing.on_gpu() else None,
           "resources_floor": _kernel_resources(built) if timing.on_gpu() else None}
    row["ratio"] = row["bufferplan_ms"] / row["floor_ms"]
    extra = ""
    if stats is not None:
        tried_floor = stats[0] + stats[1]
        tried_ours = got["n_steps"] + got["n_rejected"]
        row.update(controller=ADAPTIVE_CONTROLLER,
                   floor_accepted=float(stats[0].mean()), floor_rejected=float(stats[1].mean()),
                   bufferplan_accepted=float(got["n_steps"].mean()),
                   bufferplan_rejected=float(got["n_rejected"].mean()))
        row["ratio_per_step"] = row["ratio"] * float(tried_floor.mean()) / float(tried_ours.mean())
        extra = (f"  per-step {row['ratio_per_step']:.3f} (steps {row['bufferplan_accepted']:.1f} vs floor "
                 f"{row['floor_accepted']:.1f}, both controller {ADAPTIVE_CONTROLLER!r})")
    print(f"{prob.name:14s} n=2^{np.log2(n):4.1f} {case:15s} floor {row['floor_ms']:9.3f} ms  {_label(cap)} "
          f"{row['bufferplan_ms']:9.3f} ms  ratio {row['ratio']:.3f}{extra}  diff {row['max_scaled_diff']:.1e}"
          f"  err(scipy) floor {row['floor_err_vs_scipy']:.1e} ours {row['bufferplan_err_vs_scipy']:.1e}",
          flush=True)
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", default=",".join(PROBLEMS))
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--sizes", default="22,23", help="log2 of the trajectory counts")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=2, help="back-to-back launches per timed round")
    ap.add_argument("--block", type=int, default=128)
    ap.add_argument("--t1", type=float, default=1.0)
    ap.add_argument("--dt", type=float, default=1e-3)
    ap.add_argument("--tol", type=float, default=1e-8, help="rtol = atol of the adaptive case")
    ap.add_argument("--out", default=environment.RESULTS, help="folder of the JSON result")
    ap.add_argument("--caps", default="none",
                    help="bufferplan's register caps, each a variant timed beside the others (none: the default)")
    ap.add_argument("--tag", default="", help="suffix of the JSON file's name")
    ap.add_argument("--sim", action="store_true", help="4 trajectories, t1 = 0.01, tol 1e-5, not timed")
    args = ap.parse_args(argv)
    try:
        caps = tuple(None if c == "none" else int(c) for c in args.caps.split(","))
    except ValueError:
        raise SystemExit(f"--caps: expected 'none' or integers separated by commas; got {args.caps!r}") from None
    cases = [c for c in args.cases.split(",") if c]
    bad = sorted(set(cases) - set(CASES))
    if bad:
        raise SystemExit(f"--cases: unknown {bad}; choose from {list(CASES)}")
    probs = [problem(name) for name in args.problems.split(",") if name]
    if args.sim:
        sizes, args.t1, args.tol, args.block = [4], 0.01, 1e-5, 32
    else:
        sizes = [1 << int(s) for s in args.sizes.split(",")]
    info = environment.device_info()
    doc = environment.header(SCHEMA, info, {k: v for k, v in vars(args).items()})
    doc["rows"] = []
    tag = f"_{args.tag}" if args.tag else ""
    path = os.path.join(args.out, f"floor_systems_{environment.device_label(info)}{tag}.json")
    compiled = {prob.name: compile_problem(prob, cases, args.block) for prob in probs}
    for n in sizes:
        for prob in probs:
            doc["rows"] += run_problem(prob, compiled[prob.name], n, args.t1, args.dt, args.tol, args.reps, args.batch,
                                       args.block, time_it=not args.sim, caps=caps)
            environment.write_json(path, doc)
    print("wrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
