"""The hand-written kernels of ``benchmarks.handwritten_systems`` as the ``reference`` peer of a non-Lorenz problem.

``benchmarks.peers --problem lorenz96`` takes these in the role of ``reference_kernels``:
one thread per trajectory, the problem's right-hand side (``floor_problems``) inlined,
float32 throughout; the adaptive kernel implements bufferplan's PI controller, so step
counts are comparable.  The fixed-step kernels take ``n_steps`` whole steps of ``dt`` (no
shortened last step), so ``t1`` must be a whole number of steps.
"""

from __future__ import annotations

import numpy as np

from .lorenz_problem import DTYPE, fixed_step_count, step_stats
from .peer_base import HandWrittenPeer, Unavailable
from .peer_problems import problem_of


class HandwrittenSystemPeer(HandWrittenPeer):
    name = "reference"

    def prepare(self, case):
        from . import handwritten_systems as hs

        self.hs = hs
        self.problem = problem_of(self.args)
        floor = getattr(self.problem, "floor", None)
        if floor is None:
            raise Unavailable(f"no hand-written kernels of handwritten_systems for problem {self.problem.name!r}")
        self.kern = hs.build(floor)[case.name]  # one peer per case: only this kernel is compiled
        self.nsteps, dt_last = fixed_step_count(0.0, self.args.t1, case.dt)
        if not case.adaptive and abs(dt_last - case.dt) > 1e-9:
            raise Unavailable(f"t1 = {self.args.t1} is not a whole number of steps of {case.dt}: the hand-written "
                              "fixed-step kernels take no shortened last step")
        notes = [f"hand-written Numba CUDA kernel handwritten_systems.build(floor_problems.PROBLEMS["
                 f"{self.problem.name!r}])[{case.name!r}], block {self.args.ref_block}; the right-hand side "
                 "inlined, every working array a cuda.local.array, time in float32",
                 "Tsit5 coefficients from benchmarks.reference_kernels (checked there against kernels.tableaus)"]
        if hasattr(self.problem, "varying"):
            notes.append(f"per-trajectory parameter: {self.problem.varying()}")
        if case.adaptive:
            notes.append("adaptive kernel: bufferplan's PI controller (0.9 e^(-0.7/5) e_prev^(0.4/5) in [0.2, 10]), "
                         "RMS norm, time and step size in float32")
        return {"method": case.method + ("/pi" if case.adaptive else "/fixed"), "notes": notes}

    def _device(self, y0, params):
        from numba import cuda

        n = y0.shape[0]
        return (cuda.to_device(np.ascontiguousarray(y0, dtype=DTYPE)),
                cuda.to_device(np.ascontiguousarray(params, dtype=DTYPE)),
                cuda.device_array((n, self.problem.n_states), DTYPE), cuda.device_array((2, n), np.int32))

    def _launch(self, case, d_y0, d_p, d_out, d_stats):
        hs, block = self.hs, self.args.ref_block
        if case.adaptive:
            hs.launch_adaptive(self.kern, d_y0, d_p, d_out, d_stats, self.args.t1, case.dt, case.atol, case.rtol,
                               self.args.max_steps, block)
        else:
            hs.launch_fixed(self.kern, d_y0, d_p, d_out, case.dt, self.nsteps, block)

    def full(self, case, y0, params):
        dev = self._device(y0, params)
        self._launch(case, *dev)
        y = dev[2].copy_to_host()
        if case.adaptive:
            stats = dev[3].copy_to_host()
            finite = np.isfinite(y).all(axis=1)
            status = np.where(~finite, 3, np.where(stats[0] + stats[1] >= self.args.max_steps, 1, 0))
            return y, {**step_stats(stats[0], status), "n_rejected_max": int(stats[1].max(initial=0))}
        return y, {"n_steps": self.nsteps}

    def load(self, case, y0, params):
        self.dev = self._device(y0, params)
