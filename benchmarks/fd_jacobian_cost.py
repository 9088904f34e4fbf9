"""Kernel time, steps and accuracy of implicit methods whose Jacobian is differenced (no ``jac`` or ``jvp``).

Stiff problems built from their right-hand side alone, so every Jacobian is taken by finite differences in
the kernel: Van der Pol (mu swept 100 to 1000, to t = 300), Robertson (its rate constants swept +-0.5 decades), HIRES
and the Brusselator at ``--sizes`` states, plus the energy balance model with a hard ice-albedo switch on
its state (``0.7 if T < 250 else 0.289``, the state crossing it; issue #10's trials).  Run it from two trees
to compare a change to the differenced columns: the rows carry the tree's commit where known.

For each (problem, method, precision): the mean accepted and rejected steps, the share of trajectories
that ended with success, the largest error in tolerance units against SciPy's Radau (rtol 1e-10) on up to
``--sampled`` rows, and on a GPU the median kernel time of 5 launches (``timing.time_gpu``).  PI
controller, ``rtol`` from ``--rtols`` per precision, ``atol = rtol`` (Robertson's ``atol`` 1e-10 where
float64).

    python -m benchmarks.fd_jacobian_cost --n 16384 --tag head --out DIR        # on a GPU
    python -m benchmarks.fd_jacobian_cost --n 2 --problems vdp,ebm --out DIR    # on the simulator: no times
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess

import numpy as np

SCHEMA = "bufferplan.fd_jacobian_cost/1"


def _ebm(t, y, p, dydt):
    albedo = 0.7 if y[0] < 250.0 else 0.289
    dydt[0] = (p[0] * 342.0 * (1.0 - albedo) - 0.61 * 5.67e-8 * y[0] ** 4) / 12.7


def _plain(system, name):
    """``system`` rebuilt from its rhs alone (its ``jac`` and ``jvp`` dropped): the kernel differences J."""
    import kernels

    rhs = getattr(system.rhs, "py_func", system.rhs)
    return kernels.ODESystem(rhs, system.n_states, system.n_params, name=name,
                             default_params=system.default_params)


def problems(n, sizes):
    """``{name: (system, t_end, y0 (n, states), params (n, p), atol64)}``: sweeps of n rows each."""
    import kernels

    table = {}
    vdp = _plain(kernels.stiff_van_der_pol(), "vdp_fd")
    table["vdp"] = (vdp, 300.0, np.tile([2.0, 0.0], (n, 1)), np.geomspace(100.0, 1000.0, n)[:, None], None)
    rob = _plain(kernels.robertson(), "robertson_fd")
    k = np.asarray(rob.default_params) * np.geomspace(10 ** -0.5, 10 ** 0.5, n)[:, None]
    table["robertson"] = (rob, 40.0, np.tile([1.0, 0.0, 0.0], (n, 1)), k, 1e-10)
    hires = _plain(kernels.hires(), "hires_fd")
    y_h = np.tile([1.0, 0, 0, 0, 0, 0, 0, 0.0057], (n, 1))
    table["hires"] = (hires, 321.8122, y_h, np.tile(hires.default_params, (n, 1)), None)
    for size in sizes:
        bru = _plain(kernels.brusselator(size), f"brusselator{size}_fd")
        y_b = kernels.brusselator_initial(size)
        table[f"brusselator{size}"] = (bru, 10.0, np.tile(y_b, (n, 1)),
                                       np.tile(bru.default_params, (n, 1)), None)
    ebm = kernels.ODESystem(_ebm, 1, 1, name="ebm_switch", default_params=(4.0 / 3.0,))
    table["ebm"] = (ebm, 60.0, np.full((n, 1), 220.0), np.linspace(4.0 / 3.0, 1.6, n)[:, None], None)
    return table


def reference(system, t_end, y0, params):
    """SciPy Radau's final states (rtol 1e-10, atol 1e-12) of the given rows."""
    from scipy.integrate import solve_ivp

    return np.array([solve_ivp(system.host_rhs(p), (0.0, t_end), y, method="Radau", rtol=1e-10, atol=1e-12).y[:, -1]
                     for y, p in zip(y0, params)])


def measure(name, entry, method, precision, rtol, sampled, time_it):
    """One row: steps, rejections, success share, error in tolerances and (``time_it``) kernel ms."""
    import kernels

    from .timing import bind_launch, time_gpu

    system, t_end, y0, params, atol64 = entry
    atol = atol64 if (atol64 is not None and precision == "float64") else rtol
    integ = kernels.Integrator(system, method, "pi", np.dtype(precision).type)
    res = integ.solve((0.0, t_end), y0, params, rtol=rtol, atol=atol, progress=False)
    rows = np.unique(np.linspace(0, y0.shape[0] - 1, sampled).astype(int))
    ref = reference(system, t_end, y0[rows], params[rows])
    final = np.asarray(res.y, np.float64)[rows, -1]
    err = np.max(np.abs(final - ref) / (atol + rtol * np.abs(ref)))
    row = {"problem": name, "method": method, "precision": precision, "rtol": rtol, "atol": atol,
           "n": int(y0.shape[0]), "success_share": float(np.mean(np.asarray(res.status) == 0)),
           "steps": float(np.mean(res.n_steps)), "rejected": float(np.mean(res.n_rejected)),
           "error_tolerances": float(err) if math.isfinite(err) else None}
    if time_it:
        launch = bind_launch(integ, integ.plan("local"), (0.0, t_end), y0, params, rtol=rtol, atol=atol)
        row["kernel_ms"] = time_gpu(launch, repeats=5).median_ms
    return row


def _commit():
    """The tree's commit (``BUFFERPLAN_TREE`` where set, for an exported tree), or None."""
    if os.environ.get("BUFFERPLAN_TREE"):
        return os.environ["BUFFERPLAN_TREE"]
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv=None):
    from .environment import RESULTS, device_info, device_label, header, write_json
    from .timing import on_gpu

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="rodas5p,radau")
    ap.add_argument("--precisions", default="float64,float32")
    ap.add_argument("--rtols", default="float64:1e-8,float32:1e-5")
    ap.add_argument("--problems", default="vdp,robertson,hires,brusselator,ebm")
    ap.add_argument("--sizes", default="8,32", help="Brusselator states")
    ap.add_argument("--n", type=int, default=2, help="trajectories per run (16384 on a GPU)")
    ap.add_argument("--sampled", type=int, default=3)
    ap.add_argument("--out", default=RESULTS)
    ap.add_argument("--tag", default="")
    args = ap.parse_args(argv)
    info, time_it = device_info(), on_gpu()
    rtols = dict(item.split(":") for item in args.rtols.split(","))
    table = problems(args.n, [int(s) for s in args.sizes.split(",")])
    # in the order --problems names them (a deadline cuts the last: session 51's timeout never reached "ebm")
    wanted = [name for p in args.problems.split(",") for name in table if name.startswith(p)]
    rows, commit = [], _commit()
    for name in wanted:
        for method in args.methods.split(","):
            for precision in args.precisions.split(","):
                try:
                    row = measure(name, table[name], method, precision, float(rtols[precision]), args.sampled,
                                  time_it)
                except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
                    row = {"problem": name, "method": method, "precision": precision,
                           "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                row["commit"] = commit
                rows.append(row)
                print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                      flush=True)
    tag = f"_{args.tag}" if args.tag else ""
    path = os.path.join(args.out, f"fd_jacobian_cost_{device_label(info)}{tag}.json")
    write_json(path, dict(header(SCHEMA, info, vars(args)), rows=rows))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
