"""The hand-written reference kernels (``benchmarks.reference_kernels``) as a peer: bufferplan's floor."""

from __future__ import annotations

import numpy as np

from .lorenz_problem import DTYPE, fixed_step_count, step_stats
from .peer_base import HandWrittenPeer


class ReferencePeer(HandWrittenPeer):
    name = "reference"

    def prepare(self, case):
        from . import reference_kernels as rk

        self.rk = rk
        self.kern = rk.build(DTYPE)[case.name]
        notes = [f"hand-written Numba CUDA kernel {case.name}, block {self.args.ref_block}"]
        bad = rk.check_against_package_tableaus()
        if bad is None:
            notes.append("coefficients not cross-checked: kernels.tableaus not importable")
        elif bad:
            notes.append("COEFFICIENT MISMATCH with kernels.tableaus: " + "; ".join(bad[:5]))
        else:
            notes.append("coefficients equal kernels.tableaus (Tsit5, RK4) to 1e-15")
        return {"method": case.method + ("/pi" if case.adaptive else "/fixed"), "notes": notes}

    def _launch(self, case, d_y0, d_p, d_out, d_status, d_steps):
        rk, t1 = self.rk, self.args.t1
        if case.adaptive:
            rk.launch_adaptive(self.kern, d_y0, d_p, 0.0, t1, case.dt, case.rtol, case.atol, self.args.max_steps,
                               d_out, d_status, d_steps, block=self.args.ref_block)
        else:
            rk.launch_fixed(self.kern, d_y0, d_p, 0.0, t1, case.dt, d_out, block=self.args.ref_block)

    def _device(self, y0, params):
        from numba import cuda

        n = y0.shape[0]
        return (cuda.to_device(y0), cuda.to_device(params), cuda.device_array((n, 3), DTYPE),
                cuda.device_array(n, np.int32), cuda.device_array(n, np.int32))

    def full(self, case, y0, params):
        dev = self._device(y0, params)
        self._launch(case, *dev)
        y = dev[2].copy_to_host()
        if case.adaptive:
            return y, step_stats(dev[4].copy_to_host(), dev[3].copy_to_host())
        return y, {"n_steps": fixed_step_count(0.0, self.args.t1, case.dt)[0]}

    def load(self, case, y0, params):
        self.dev = self._device(y0, params)

