"""Steps, accuracy and (on a GPU) kernel time of the explicit adaptive methods against SciPy's step counts.

For each problem, method and tolerance: a batch of N trajectories (parameter sweeps of Lorenz, Van der Pol
and an oscillator chain), the mean accepted and rejected steps, the largest error in tolerance units
(``|y - ref| / (atol + rtol |ref|)``, against SciPy's DOP853 at rtol 1e-13 on up to 4 sampled trajectories),
SciPy's own steps for the matching method on those (``DOP853`` for dop853, ``RK45`` for dopri5 and tsit5), and,
on a GPU, the median time of 5 launches of the kernel (``timing.time_gpu``).  Float64, the
default PI controller, ``rtol = atol``.

Usage (from the repository root)::

    python -m benchmarks.adaptive_steps --methods dop853,dopri5,tsit5 --rtols 1e-5,1e-8,1e-11 --n 65536

On the simulator keep ``--n`` small (4): the steps and errors are the same there, the time is not measured.
Writes ``benchmarks/results/adaptive_steps_<device>.json`` (``--out``, ``--tag``).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

SCHEMA = "bufferplan.adaptive_steps/1"
SCIPY_METHOD = {"dop853": "DOP853", "dopri5": "RK45", "tsit5": "RK45", "bs3": "RK23"}
SAMPLED = 4


def problems(n):
    """``{name: (system, t_end, y0 (n, states), params (n, p))}``: sweeps of one parameter each."""
    import kernels

    lorenz = kernels.lorenz()
    rho = np.linspace(20.0, 28.0, n)
    vdp = kernels.van_der_pol()
    chain = kernels.oscillator_chain(4)
    y_chain = np.zeros((n, chain.n_states))
    y_chain[:, 0] = np.linspace(0.5, 1.5, n)
    p_chain = np.tile(np.asarray(chain.default_params, float), (n, 1))
    return {
        "lorenz": (lorenz, 2.0, np.tile([1.0, 1.0, 1.0], (n, 1)),
                   np.column_stack([np.full(n, 10.0), rho, np.full(n, 8.0 / 3.0)])),
        "van_der_pol": (vdp, 10.0, np.tile([2.0, 0.0], (n, 1)), np.linspace(2.0, 8.0, n)[:, None]),
        "oscillator_chain": (chain, 10.0, y_chain, p_chain),
    }


def scipy_runs(system, t_end, y0, params, method, rtol):
    """``(reference final states, SciPy's steps)`` of the sampled rows."""
    from scipy.integrate import solve_ivp

    refs, steps = [], []
    for y, p in zip(y0, params):
        f = system.host_rhs(p)
        refs.append(solve_ivp(f, (0.0, t_end), y, method="DOP853", rtol=1e-13, atol=1e-13).y[:, -1])
        if method is not None:
            steps.append(solve_ivp(f, (0.0, t_end), y, method=method, rtol=rtol, atol=rtol).t.size - 1)
    return np.array(refs), (float(np.mean(steps)) if steps else None)


def measure(name, system, t_end, y0, params, method, rtol, time_it):
    """One row: steps, rejections, error in tolerances, SciPy's steps and (``time_it``) the kernel's ms."""
    import kernels

    from .timing import bind_launch, time_gpu

    integ = kernels.Integrator(system, method, "pi", np.float64)
    res = integ.solve((0.0, t_end), y0, params, rtol=rtol, atol=rtol, progress=False)
    rows = np.unique(np.linspace(0, y0.shape[0] - 1, SAMPLED).astype(int))
    refs, scipy_steps = scipy_runs(system, t_end, y0[rows], params[rows], SCIPY_METHOD.get(method), rtol)
    final = np.asarray(res.y)[rows, -1]
    err = float(np.max(np.abs(final - refs) / (rtol + rtol * np.abs(refs))))
    row = {"problem": name, "method": method, "rtol": rtol, "n": int(y0.shape[0]),
           "success": bool(np.all(res.success)), "steps": float(np.mean(res.n_steps)),
           "rejected": float(np.mean(res.n_rejected)), "error_tolerances": err,
           "scipy_method": SCIPY_METHOD.get(method), "scipy_steps": scipy_steps}
    if time_it:
        plan = integ.plan("auto")
        launch = bind_launch(integ, plan, (0.0, t_end), y0, params, rtol=rtol, atol=rtol)
        row["kernel_ms"] = time_gpu(launch, repeats=5).median_ms
    return row


def main(argv=None):
    from .environment import RESULTS, device_info, device_label, header, write_json
    from .timing import on_gpu

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="dop853,dopri5,tsit5")
    ap.add_argument("--rtols", default="1e-5,1e-8,1e-11")
    ap.add_argument("--problems", default="lorenz,van_der_pol,oscillator_chain")
    ap.add_argument("--n", type=int, default=4, help="trajectories per run (65536 on a GPU)")
    ap.add_argument("--out", default=RESULTS)
    ap.add_argument("--tag", default="")
    args = ap.parse_args(argv)
    info = device_info()
    time_it = on_gpu()
    table = problems(args.n)
    rows = []
    for name in args.problems.split(","):
        system, t_end, y0, params = table[name]
        for method in args.methods.split(","):
            for rtol in (float(r) for r in args.rtols.split(",")):
                row = measure(name, system, t_end, y0, params, method, rtol, time_it)
                rows.append(row)
                timed = f" {row['kernel_ms']:.3f} ms" if "kernel_ms" in row else ""
                print(f"{name:16s} {method:7s} rtol {rtol:.0e}: steps {row['steps']:7.1f} rejected "
                      f"{row['rejected']:5.1f} (SciPy {row['scipy_method']}: {row['scipy_steps']}) error "
                      f"{row['error_tolerances']:.3g} tolerances{timed}", flush=True)
    tag = f"_{args.tag}" if args.tag else ""
    path = os.path.join(args.out, f"adaptive_steps_{device_label(info)}{tag}.json")
    write_json(path, dict(header(SCHEMA, info, vars(args)), rows=rows))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
