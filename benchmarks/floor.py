"""bufferplan's kernels beside hand-written ones on Lorenz: the floor (issue "Kernels that honour their plan").

The hand-written kernels are those of a file given by path (``--floor``, e.g. a
copy of ``../shared/reference/lorenz_handwritten.py``: fp32, all-local,
rho the only parameter, u0 = (1, 0, 0), t in [0, 1]).  bufferplan solves the
same problem through the public API (``Integrator.plan/build`` and
``BatchKernel.launch``) with every buffer local, twice: with the library's
``kernels.lorenz()`` (sigma, rho and beta read per trajectory) and with a
Lorenz system whose only parameter is rho, sigma and beta constants of its
right-hand side like the floor's (``--systems``, variant ``bufferplan-rho``); the adaptive case uses
``controller="i"``, the floor's own controller (like for like).  ``--reference`` adds the
project's own hand-written kernels (``benchmarks/reference_kernels.py``, three parameters, the I
controller too), which issue #9 asks to be at least as fast as the floor; a row's ``variant`` names
what ran, and its ``bufferplan_ms`` (``steps_bufferplan``) is that variant's figure whichever it is.
Each timing sample is
``--batch`` launches between two CUDA events, after one untimed launch queued
ahead of the first event (the host's launch cost then overlaps the GPU's work), samples of all kernels are interleaved, and the
median is reported.

    python3 -m benchmarks.floor --floor PATH --sizes 20,22,23 --reps 7 --out DIR

On the simulator (``--sim``) it runs N = 64 for correctness only.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import sys

import numpy as np


# The shared floor's adaptive Tsit5 uses an I controller (safety 0.9, factor in [0.2, 10], exponent -1/5 on
# the RMS error norm): bufferplan's controller="i" is the same formula, so the comparison is like for like.
# With "pi" (bufferplan's default) the float32 run at rtol = atol = 1e-8 takes ~1.7x the steps: below float32
# resolution the error estimate is rounding noise, and PI's steady state aims at a 0.17 norm where I aims at 0.59.
ADAPTIVE_CONTROLLER = "i"


def load_floor(path):
    spec = importlib.util.spec_from_file_location("lorenz_floor", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SIGMA, BETA = np.float32(10.0), np.float32(8.0 / 3.0)


def _lorenz_rho_rhs(t, y, p, dydt):
    dydt[0] = SIGMA * (y[1] - y[0])
    dydt[1] = p[0] * y[0] - y[1] - y[0] * y[2]
    dydt[2] = y[0] * y[1] - BETA * y[2]


def lorenz_system(kernels, which):
    """``"lorenz3"``: the library's ``kernels.lorenz()``; ``"rho"``: rho the only parameter, as the floor's."""
    if which == "rho":
        return kernels.ODESystem(_lorenz_rho_rhs, 3, 1, name="lorenz_rho", default_params=(28.0,))
    return kernels.lorenz()


def bufferplan_case(kernels, case, n, rho, max_registers=None, system="lorenz3", t1=1.0, block=128):
    """``(launch, read)`` for bufferplan on one case: fixed Tsit5/RK4 dt 1e-3, or adaptive Tsit5 1e-8.

    The launch is the one ``Integrator.solve`` makes (``timing.bind_launch``), bound once so that a timed
    round launches only the kernel.
    """
    from . import timing

    method = "rk4" if case == "rk4_fixed" else "tsit5"
    controller = ADAPTIVE_CONTROLLER if case == "tsit5_adaptive" else "fixed"
    integ = kernels.Integrator(lorenz_system(kernels, system), method, controller=controller, precision=np.float32)
    plan = integ.plan("local", block_size=block if kernels.backend() == "cuda" else 1)
    if system == "rho":
        params = rho.astype(np.float32).reshape(n, 1)
    else:
        params = np.column_stack([np.full(n, 10.0), rho, np.full(n, 8.0 / 3.0)]).astype(np.float32)
    y0 = np.tile(np.array([1.0, 0.0, 0.0], np.float32), (n, 1))
    bound = timing.bind_launch(integ, plan, (0.0, t1), y0, params, dt=1e-3, rtol=1e-8, atol=1e-8,
                               max_steps=100000, max_registers=max_registers)
    resources = bound.kernel.resources().to_json() if kernels.backend() == "cuda" else None

    def read():
        out = bound.host_outputs()
        assert (out["status"] == 0).all(), f"bufferplan {case}: status {np.unique(out['status'])}"
        return out["y"][:, -1, :], out["n_steps"]

    return bound, read, resources


def reference_case(case, n, rho, t1=1.0, block=128):
    """``(launch, read, None)`` for the project's own hand-written kernels (``benchmarks.reference_kernels``).

    They solve the three-parameter Lorenz (sigma, rho and beta read per trajectory, as ``lorenz3``); the
    adaptive kernel runs the floor's I controller (``ADAPTIVE_CONTROLLER``), like for like.
    """
    from numba import cuda

    from . import reference_kernels as rk
    from . import timing

    kernel = rk.build(np.float32, controller=ADAPTIVE_CONTROLLER)[case]
    params = np.column_stack([np.full(n, 10.0), rho, np.full(n, 8.0 / 3.0)]).astype(np.float32)
    y0 = np.tile(np.array([1.0, 0.0, 0.0], np.float32), (n, 1))
    d_y0, d_p = cuda.to_device(y0), cuda.to_device(params)
    out, status, steps = (cuda.device_array((n, 3), np.float32), cuda.device_array(n, np.int32),
                          cuda.device_array(n, np.int32))
    if not timing.on_gpu():
        block = 32
    if case == "tsit5_adaptive":
        def launch():
            rk.launch_adaptive(kernel, d_y0, d_p, 0.0, t1, 1e-3, 1e-8, 1e-8, 100000, out, status, steps, block=block)
    else:
        def launch():
            rk.launch_fixed(kernel, d_y0, d_p, 0.0, t1, 1e-3, out, block=block)

    def read():
        if case != "tsit5_adaptive":
            return out.copy_to_host(), None
        codes = status.copy_to_host()
        assert (codes == 0).all(), f"reference {case}: status {np.unique(codes)}"
        return out.copy_to_host(), steps.copy_to_host()

    return launch, read, None


def floor_case(floor, case, n, rho, t1=1.0, block=128):
    from numba import cuda

    from . import timing

    ps = cuda.to_device(rho.astype(np.float32))
    out = cuda.device_array((3, n), np.float32)
    stats = cuda.device_array((2, n), np.int32)
    if not timing.on_gpu():
        block = 32
    grid = (n + block - 1) // block
    F = np.float32
    kernel = getattr(floor, case)
    if case == "tsit5_adaptive":
        def launch():
            kernel[grid, block](ps, out, stats, F(t1), F(1e-3), F(1e-8), F(1e-8), np.int32(100000), np.int32(n))
    else:
        def launch():
            kernel[grid, block](ps, out, F(0.001), np.int32(round(t1 / 1e-3)), np.int32(n))

    def read():
        return out.copy_to_host().T, stats.copy_to_host()[0] if case == "tsit5_adaptive" else None

    return launch, read, floor.resources(kernel)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--floor", required=True, help="path of the hand-written kernels' file")
    ap.add_argument("--sizes", default="20,22,23")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--batch", type=int, default=3)
    ap.add_argument("--cases", default="tsit5_fixed,rk4_fixed,tsit5_adaptive")
    ap.add_argument("--out", default="benchmarks/results")
    ap.add_argument("--tag", default="floor")
    ap.add_argument("--caps", default="none", help="bufferplan variants: register caps, e.g. none,32,40")
    ap.add_argument("--systems", default="lorenz3,rho",
                    help="bufferplan's Lorenz: lorenz3 (kernels.lorenz(), 3 parameters) and/or rho (rho only)")
    ap.add_argument("--t1", type=float, default=1.0, help="end time (the issue's floor: 1.0, 1000 fixed steps)")
    ap.add_argument("--blocks", default="128", help="bufferplan's block sizes, each a variant (@b<size> beyond the first)")
    ap.add_argument("--floor-block", type=int, default=128, help="the hand-written kernels' block size")
    ap.add_argument("--reference", action="store_true",
                    help="also time the project's own hand-written kernels (benchmarks/reference_kernels.py)")
    ap.add_argument("--sim", action="store_true")
    args = ap.parse_args(argv)
    import kernels
    from numba import cuda

    from . import timing

    floor = load_floor(args.floor)
    sizes = [64] if args.sim else [1 << int(s) for s in args.sizes.split(",")]
    cases = args.cases.split(",")
    doc = {"command": " ".join([os.path.basename(sys.argv[0])] + (argv or sys.argv[1:])),
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "backend": kernels.backend(), "python": platform.python_version(), "rows": [], "resources": {}}
    if kernels.backend() == "cuda":
        import numba

        dev = cuda.get_current_device()
        doc["device"] = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
        doc["numba"], doc["numpy"] = numba.__version__, np.__version__
    for n in sizes:
        rho = np.linspace(0.0, 21.0, n)
        launchers, readers = {}, {}
        caps = [None if c == "none" else int(c) for c in args.caps.split(",")]
        blocks = [int(b) for b in args.blocks.split(",")]
        for case in cases:
            launch, read, resources = floor_case(floor, case, n, rho, args.t1, args.floor_block)
            launchers[("floor", case)], readers[("floor", case)] = launch, read
            doc["resources"][f"floor:{case}"] = resources
            variants = [(c, s, b) for c in caps for s in args.systems.split(",") for b in blocks]
            for cap, system, block in variants:
                who = ("bufferplan" + ("-rho" if system == "rho" else "") + ("" if cap is None else f"@{cap}")
                       + ("" if block == blocks[0] else f"@b{block}"))
                launch, read, resources = bufferplan_case(kernels, case, n, rho, cap, system, args.t1, block)
                launchers[(who, case)], readers[(who, case)] = launch, read
                doc["resources"][f"{who}:{case}"] = resources
            if args.reference:
                launchers[("reference", case)], readers[("reference", case)], _ = reference_case(
                    case, n, rho, args.t1, args.floor_block)
        if args.sim:
            for launch in launchers.values():
                launch()
            medians = {k: float("nan") for k in launchers}
        else:
            medians, _, _ = timing.time_interleaved(launchers, args.reps, args.batch)
        for case in cases:
            ref = readers[("floor", case)]()
            for who in [w for w, c in launchers if c == case and w != "floor"]:
                ours = readers[(who, case)]()
                scale = 1.0 + np.abs(ref[0])
                agree = float(np.max(np.abs(ours[0] - ref[0]) / scale))
                row = {"n": n, "case": case, "variant": who, "floor_ms": medians[("floor", case)],
                       "bufferplan_ms": medians[(who, case)], "max_scaled_diff": agree}
                row["ratio"] = row["bufferplan_ms"] / row["floor_ms"]
                if case == "tsit5_adaptive":
                    row["controller"] = ADAPTIVE_CONTROLLER
                    row["steps_bufferplan"] = float(np.mean(ours[1]))
                    row["steps_floor"] = float(np.mean(ref[1]))
                doc["rows"].append(row)
                print(f"N=2^{int(np.log2(n))} {case:16s} floor {row['floor_ms']:.3f} ms  {who:15s} "
                      f"{row['bufferplan_ms']:.3f} ms  ratio {row['ratio']:.3f}  diff {agree:.1e}"
                      + (f"  steps {row['steps_bufferplan']:.1f} vs floor {row['steps_floor']:.1f} (controller "
                         f"{ADAPTIVE_CONTROLLER!r}, as the floor's)" if "controller" in row else ""), flush=True)
    os.makedirs(args.out, exist_ok=True)
    label = doc.get("device", "simulator").lower().replace(" ", "-")
    path = os.path.join(args.out, f"floor_{label}_{args.tag}.json")
    with open(path, "w") as handle:
        json.dump(doc, handle, indent=1, default=float)
    print("wrote", path)


if __name__ == "__main__":
    main()
