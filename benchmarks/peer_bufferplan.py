"""bufferplan itself as a peer: ``kernels.Integrator`` with one plan choice (``bufferplan-<plan>``).

The Integrator is ``kernels.integrator_for(...)``, the one ``kernels.solve_ivp`` uses, so
the whole-call measurement (``solve_ivp`` on host arrays) and the kernel measurement
share one compiled kernel.  Kernel time: CUDA events around ``BatchKernel.launch`` of
``Integrator.build(plan)`` with the argument tuple ``Integrator.solve`` passes
(``benchmarks.timing.bind_launch``), inputs on the device.
"""

from __future__ import annotations

import numpy as np

from . import timing
from .environment import short_error
from .lorenz_problem import DTYPE, step_stats
from .peer_base import Peer, Unavailable
from .peer_problems import problem_of


class BufferplanPeer(Peer):
    def __init__(self, args, plan):
        super().__init__(args)
        self.plan_choice = plan
        self.name = f"bufferplan-{plan}"
        self.bound = None

    def prepare(self, case):
        try:
            import kernels
        except Exception as exc:  # noqa: BLE001 - the peer is unavailable, the run goes on
            raise Unavailable(f"import kernels failed: {short_error(exc)}") from exc
        self.kernels = kernels
        problem = problem_of(self.args)
        self.system = problem.system()
        self.controller = "pi" if case.adaptive else "fixed"
        self.integ = kernels.integrator_for(self.system, case.method, self.controller, DTYPE)
        try:
            self.plan = self.integ.plan(self.plan_choice, block_size=self.args.bp_block or None)
        except kernels.KernelError as exc:
            raise Unavailable(f"plan={self.plan_choice!r}: {short_error(exc)}") from exc
        if problem.name == "lorenz":
            what = "lorenz", "params (sigma, rho, beta)"
        else:
            what = (f"{problem.name} (floor_problems.PROBLEMS[{problem.name!r}].system())",
                    f"params {tuple(problem.param_names)}; {problem.varying()}")
        notes = [f"kernels.Integrator({what[0]}, {case.method!r}, {self.controller!r}, float32).plan("
                 f"{self.plan_choice!r}, block_size={self.plan.block_size}); {what[1]}",
                 f"plan: {self.plan.shared_bytes_per_block} shared bytes per block, "
                 f"{self.plan.local_elements} local + {self.plan.persistent_local_elements} persistent local "
                 f"elements per thread ({self.plan.provenance.planner})",
                 f"backend: {kernels.backend()}"]
        return {"method": case.method + f"/{self.controller}", "notes": notes, "plan": self._plan_json()}

    def _plan_json(self):
        p = self.plan
        return {"shared_elements": p.shared_elements, "shared_stride": p.shared_stride,
                "shared_bytes_per_block": p.shared_bytes_per_block, "local_elements": p.local_elements,
                "persistent_local_elements": p.persistent_local_elements, "block_size": p.block_size,
                "planner": p.provenance.planner,
                "placements": {b.name: b.placement.value for b in p.buffers if b.view_of is None}}

    def _solve_kwargs(self, case):
        kw = {"dt": case.dt, "t_eval": np.array([self.args.t1]), "max_steps": self.args.max_steps}
        if case.adaptive:
            kw.update(rtol=case.rtol, atol=case.atol)
        return kw

    def full(self, case, y0, params):
        res = self.kernels.solve_ivp(self.system, (0.0, self.args.t1), y0, params, method=case.method,
                                     controller=self.controller, precision=DTYPE, plan=self.plan,
                                     **self._solve_kwargs(case))
        extra = step_stats(res.n_steps, res.status)
        resources = self._resources()
        if resources is not None:
            extra["resources"] = resources
        return np.asarray(res.y)[:, -1, :], extra

    def _resources(self):
        """Registers, local and shared bytes of the compiled kernel (GPU only; None on the simulator)."""
        if not timing.on_gpu():
            return None
        try:
            return self.integ.build(self.plan).resources().to_json()
        except self.kernels.KernelError as exc:
            return {"error": short_error(exc, 300)}

    def load(self, case, y0, params):
        self.bound = timing.bind_launch(self.integ, self.plan, (0.0, self.args.t1), y0, params,
                                        **self._solve_kwargs(case))
        timing.synchronize()

    def kernel(self, case):
        t = timing.time_gpu(self.bound, repeats=1, warmup=0)
        return t.median_ms, (f"{t.method} around BatchKernel.launch (Integrator.build(plan)), the arguments "
                             "of Integrator.solve, inputs on the device")

    def cupti(self, case):
        return timing.cupti_kernel_ms(self.bound)

    def unload(self):
        self.bound = None
        super().unload()
