"""torchdiffeq as a peer: ``odeint`` on one (N, n_states) tensor (one step size for the whole batch).

torchdiffeq has no Tsit5 (dopri5 stands in, said in the notes) and its ``rk4`` is the
3/8 rule.  Kernel time: torch.cuda events around ``odeint`` with the inputs on the device.
"""

from __future__ import annotations

import time

from .environment import short_error
from .peer_base import Peer, Unavailable
from .peer_problems import problem_of


class TorchdiffeqPeer(Peer):
    name = "torchdiffeq"

    def prepare(self, case):
        try:
            import torch
            import torchdiffeq
        except Exception as exc:  # noqa: BLE001
            raise Unavailable(f"import failed: {short_error(exc)}") from exc
        if torch.cuda.is_available():
            self.device = torch.device("cuda")
        elif self.args.allow_cpu:
            self.device = torch.device("cpu")
        else:
            raise Unavailable("torch has no CUDA")
        self.torch, self.odeint = torch, torchdiffeq.odeint
        self.problem = problem_of(self.args).name
        if self.problem not in ("lorenz", "lorenz96"):
            raise Unavailable(f"no torch right-hand side for problem {self.problem!r}")
        t1 = self.args.t1
        self.t = torch.tensor([0.0, t1], dtype=torch.float64, device=self.device)
        if case.name == "rk4_fixed":
            self.method, self.options, self.tol = "rk4", {"step_size": case.dt}, (1e-8, 1e-8)
            notes = ["torchdiffeq 'rk4' is Kutta's 3/8 rule (4 stages, 4th order), not the classical RK4 "
                     "tableau: same cost, slightly different rounding"]
        elif case.name == "tsit5_fixed":
            n = int(round(t1 / case.dt))
            grid = torch.linspace(0.0, t1, n + 1, dtype=torch.float64)[1:]
            self.method, self.tol = "dopri5", (1e10, 1e10)
            # first_step is 2 dt, not dt: a step that lands exactly on a step_t point without being
            # clipped never advances torchdiffeq 0.2.5's step_t index, and the grid is then ignored.
            self.options = {"first_step": 2 * case.dt, "step_t": grid}
            notes = ["torchdiffeq has no Tsit5 and no fixed-step 5th-order method: dopri5 (Dormand-Prince 5(4), "
                     "7 stages FSAL like Tsit5) is forced onto the dt grid by step_t with rtol = atol = 1e10 "
                     "(every step accepted, each clipped to the next grid point; the step count is checked "
                     "from the right-hand-side evaluations)"]
        else:
            self.method, self.tol = "dopri5", (case.rtol, case.atol)
            self.options = {"first_step": case.dt, "norm": _per_trajectory_norm}
            notes = ["torchdiffeq has no Tsit5: dopri5 (Dormand-Prince 5(4)) stands in",
                     "one step size for the whole batch (torchdiffeq integrates one (N, 3) tensor); the error "
                     "norm is the max over trajectories of each one's RMS norm, so every trajectory meets the "
                     "tolerance; error control arithmetic is float64 (torchdiffeq's default)"]
        notes.append(f"on {self.device}; t in float64, state float32")
        if self.problem == "lorenz96":
            notes.append("lorenz96: the right-hand side on the (N, 16) tensor with torch.roll along the ring; "
                         + problem_of(self.args).varying())
        return {"method": f"torchdiffeq.{self.method}", "notes": notes}

    def _rhs(self, params):
        torch = self.torch
        if self.problem == "lorenz96":
            forcing, damping = params[:, 0:1], params[:, 1:2]

            def f96(t, y):  # dx_i = (x_{i+1} - x_{i-2}) x_{i-1} - d x_i + F (floor_problems.lorenz96_rhs)
                return ((torch.roll(y, -1, dims=1) - torch.roll(y, 2, dims=1)) * torch.roll(y, 1, dims=1)
                        - damping * y + forcing)

            return f96
        s, r, b = params[:, 0], params[:, 1], params[:, 2]

        def f(t, y):
            x, yy, z = y[:, 0], y[:, 1], y[:, 2]
            return torch.stack([s * (yy - x), x * (r - z) - yy, x * yy - b * z], dim=1)

        return f

    def _solve(self, y0, params, count=None):
        f = self._rhs(params)
        if count is not None:
            inner = f

            def f(t, y):  # noqa: F811 - counting wrapper, for the step check
                count[0] += 1
                return inner(t, y)

        opts = dict(self.options)
        if "step_t" in opts:
            opts["step_t"] = opts["step_t"].to(self.device)
        with self.torch.no_grad():
            return self.odeint(f, y0, self.t, rtol=self.tol[0], atol=self.tol[1], method=self.method,
                               options=opts)[-1]

    def _sync(self):
        if self.device.type == "cuda":
            self.torch.cuda.synchronize()

    def full(self, case, y0, params):
        torch = self.torch
        count = [0]
        y = self._solve(torch.from_numpy(y0).to(self.device), torch.from_numpy(params).to(self.device), count)
        out = y.cpu().numpy()
        steps = count[0] / 4 if self.method == "rk4" else (count[0] - 1) / 6  # dopri5: FSAL, one initial f
        return out, {"rhs_evaluations": count[0], "batch_steps_attempted": steps}

    def load(self, case, y0, params):
        self.dev = (self.torch.from_numpy(y0).to(self.device), self.torch.from_numpy(params).to(self.device))
        self._sync()

    def kernel(self, case):
        torch = self.torch
        if self.device.type != "cuda":
            t = time.perf_counter()
            self._solve(*self.dev)
            return (time.perf_counter() - t) * 1e3, "wall (cpu)"
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        self._solve(*self.dev)
        end.record()
        end.synchronize()
        return start.elapsed_time(end), "torch.cuda events around odeint, inputs on device"

    def unload(self):
        self.dev = None
        super().unload()
        if self.device.type == "cuda":
            self.torch.cuda.empty_cache()


def _per_trajectory_norm(x):
    return x.pow(2).mean(dim=1).sqrt().max()


