"""An outside hand-written floor (``--floor PATH``, e.g. ``shared/reference/lorenz_handwritten.py``) as a peer.

The file is imported by path (``importlib``), never copied into the project.  It must
define Numba CUDA kernels with these arguments (those of ``lorenz_handwritten.py``):

    tsit5_fixed(ps, out, dt, nsteps, n)  and  rk4_fixed(ps, out, dt, nsteps, n)
    tsit5_adaptive(ps, out, stats, tf, dt0, atol, rtol, maxiters, n)

with ``ps`` (N,) float32 rho per trajectory (sigma = 10, beta = 8/3 and u0 = (1, 0, 0)
compiled in, as in our problem), ``out`` (3, N), ``stats`` (2, N) int32 accepted and
rejected steps.  Its adaptive kernel is an I controller, not the PI controller of the
other peers: its step counts differ, and agreement is within the tolerance only.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np

from .lorenz_problem import DTYPE, fixed_step_count, step_stats
from .peer_base import HandWrittenPeer, Unavailable

_KERNELS = {"tsit5_fixed": "tsit5_fixed", "rk4_fixed": "rk4_fixed", "tsit5_adaptive": "tsit5_adaptive"}
_MODULES = {}


def load_floor(path):
    """The module at ``path``, imported once per process under a private name."""
    path = os.path.abspath(path)
    if path not in _MODULES:
        if not os.path.isfile(path):
            raise Unavailable(f"--floor {path!r}: no such file (copy lorenz_handwritten.py there, or drop --floor)")
        spec = importlib.util.spec_from_file_location(f"bufferplan_floor_{len(_MODULES)}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[path] = module
    return _MODULES[path]


class FloorPeer(HandWrittenPeer):
    name = "floor"

    def prepare(self, case):
        problem = getattr(self.args, "problem", None) or "lorenz"
        if problem != "lorenz":
            raise Unavailable(f"the floor file is Lorenz-only (rho per trajectory; sigma, beta and u0 compiled in, "
                              f"3 states): it cannot run --problem {problem}")
        if not self.args.floor:
            raise Unavailable("no --floor PATH given")
        module = load_floor(self.args.floor)
        name = _KERNELS[case.name]
        self.kern = getattr(module, name, None)
        if self.kern is None:
            raise Unavailable(f"{self.args.floor} defines no kernel {name!r}")
        self.nsteps, dt_last = fixed_step_count(0.0, self.args.t1, case.dt)
        if not case.adaptive and abs(dt_last - case.dt) > 1e-12:
            raise Unavailable(f"t1 = {self.args.t1} is not a whole number of steps of {case.dt}: the floor's fixed "
                              "kernels take no shortened last step")
        notes = [f"{os.path.basename(self.args.floor)}:{name} imported by path, block {self.args.floor_block}; "
                 "sigma, beta and u0 compiled in, rho per trajectory, output (3, N)"]
        if case.adaptive:
            notes.append("the floor's adaptive kernel is an I controller (safety 0.9, factor in [0.2, 10]): step "
                         "counts differ from the PI-controlled peers, agreement is within the tolerance only")
        return {"method": case.method + ("/i" if case.adaptive else "/fixed"), "notes": notes}

    def _device(self, params):
        from numba import cuda

        n = params.shape[0]
        return (cuda.to_device(np.ascontiguousarray(params[:, 1], dtype=DTYPE)), cuda.device_array((3, n), DTYPE),
                cuda.device_array((2, n), np.int32))

    def _launch(self, case, d_ps, d_out, d_stats):
        n = d_ps.shape[0]
        block = self.args.floor_block
        grid = (n + block - 1) // block
        if case.adaptive:
            self.kern[grid, block](d_ps, d_out, d_stats, DTYPE(self.args.t1), DTYPE(case.dt), DTYPE(case.atol),
                                   DTYPE(case.rtol), np.int32(self.args.max_steps), np.int32(n))
        else:
            self.kern[grid, block](d_ps, d_out, DTYPE(case.dt), np.int32(self.nsteps), np.int32(n))

    def full(self, case, y0, params):
        if not np.allclose(y0, (1.0, 0.0, 0.0)):
            raise Unavailable("the floor's kernels start every trajectory at u0 = (1, 0, 0)")
        dev = self._device(params)
        self._launch(case, *dev)
        y = np.ascontiguousarray(dev[1].copy_to_host().T)
        if case.adaptive:
            stats = dev[2].copy_to_host()
            status = np.where(np.isfinite(y).all(axis=1), 0, 3)
            return y, {**step_stats(stats[0], status), "n_rejected_max": int(stats[1].max())}
        return y, {"n_steps": self.nsteps}

    def load(self, case, y0, params):
        self.dev = self._device(params)

