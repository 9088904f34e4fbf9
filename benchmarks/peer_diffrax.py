"""diffrax as a peer: ``jax.jit(jax.vmap(diffeqsolve))``, Tsit5 or a classical RK4 ERK, ``SaveAt(t1=True)``.

Kernel time is the wall time to ``block_until_ready`` with the inputs on the device (JAX
has no events to put around one kernel; its jitted call is the unit).
"""

from __future__ import annotations

import math
import time

import numpy as np

from .environment import short_error
from .lorenz_problem import step_stats
from .peer_base import Peer, Unavailable
from .peer_problems import problem_of


class DiffraxPeer(Peer):
    name = "diffrax"

    def prepare(self, case):
        try:
            import diffrax
            import jax
            import jax.numpy as jnp
        except Exception as exc:  # noqa: BLE001
            raise Unavailable(f"import failed: {short_error(exc)}") from exc
        jax.config.update("jax_enable_x64", False)
        self.device = next((d for d in jax.devices() if d.platform == "gpu"), None)
        if self.device is None:
            if not self.args.allow_cpu:
                raise Unavailable(f"JAX sees no GPU (devices: {jax.devices()})")
            self.device = jax.devices()[0]
        self.jax, self.jnp = jax, jnp
        solver = diffrax.Tsit5() if case.method == "tsit5" else _diffrax_rk4()()
        ctrl = (diffrax.PIDController(rtol=case.rtol, atol=case.atol) if case.adaptive
                else diffrax.ConstantStepSize())
        t1, dt = self.args.t1, case.dt
        max_steps = self.args.max_steps if case.adaptive else int(math.ceil(t1 / dt)) + 16

        problem = problem_of(self.args)
        vf, unpack = _vector_field(problem.name, jnp)

        def one(y0, p):
            sol = diffrax.diffeqsolve(diffrax.ODETerm(vf), solver, t0=0.0, t1=t1, dt0=dt, y0=y0,
                                      args=unpack(p), stepsize_controller=ctrl,
                                      saveat=diffrax.SaveAt(t1=True), max_steps=max_steps, throw=False)
            return sol.ys[-1], sol.stats["num_accepted_steps"], sol.result == diffrax.RESULTS.successful

        self.fn = jax.jit(jax.vmap(one))
        notes = [f"jax.jit(jax.vmap(diffeqsolve)) on {self.device}, float32 (time too), max_steps={max_steps}"]
        if problem.name != "lorenz":
            notes.append(f"{problem.name}: the right-hand side in jax.numpy (jnp.roll on the ring of "
                         f"{problem.n_states}), vmapped over y0 and params {tuple(problem.param_names)}; "
                         f"{problem.varying()}")
        if case.adaptive:
            notes.append("PIDController(rtol, atol) defaults: an I controller, RMS norm, per trajectory under vmap "
                         "(the batched while loop runs until the slowest trajectory ends)")
        if case.method == "rk4":
            notes.append("classical RK4 as a diffrax.AbstractERK with the Kutta tableau (diffrax has no built-in RK4)")
        return {"method": f"diffrax.{type(solver).__name__}" + ("/pid" if case.adaptive else "/constant"),
                "notes": notes}

    def full(self, case, y0, params):
        put = lambda a: self.jax.device_put(a, self.device)  # noqa: E731
        y, steps, ok = self.fn(put(y0), put(params))
        y = np.asarray(y)
        extra = step_stats(np.asarray(steps), np.where(np.asarray(ok), 0, 1))
        return y, extra

    def load(self, case, y0, params):
        self.dev = (self.jax.device_put(y0, self.device), self.jax.device_put(params, self.device))
        self.jax.block_until_ready(self.dev)

    def kernel(self, case):
        t = time.perf_counter()
        self.jax.block_until_ready(self.fn(*self.dev))
        return (time.perf_counter() - t) * 1e3, "wall to block_until_ready, inputs on device"

    def unload(self):
        self.dev = None
        super().unload()


def _vector_field(problem, jnp):
    """``(vf(t, y, args), unpack(params row) -> args)`` of ``problem`` in jax.numpy."""
    if problem == "lorenz":
        def vf(t, y, args):
            s, r, b = args
            return jnp.stack([s * (y[1] - y[0]), y[0] * (r - y[2]) - y[1], y[0] * y[1] - b * y[2]])

        return vf, lambda p: (p[0], p[1], p[2])
    if problem == "lorenz96":
        def vf96(t, y, args):
            # dx_i = (x_{i+1} - x_{i-2}) x_{i-1} - d x_i + F on the ring (floor_problems.lorenz96_rhs)
            forcing, damping = args
            return (jnp.roll(y, -1) - jnp.roll(y, 2)) * jnp.roll(y, 1) - damping * y + forcing

        return vf96, lambda p: (p[0], p[1])
    raise Unavailable(f"no jax.numpy right-hand side for problem {problem!r}")


def _diffrax_rk4():
    import diffrax

    class RK4(diffrax.AbstractERK):
        """Classical RK4 (Kutta 1901) for diffrax: no error estimate (fixed steps only)."""

        tableau = diffrax.ButcherTableau(
            c=np.array([0.5, 0.5, 1.0]), b_sol=np.array([1 / 6, 1 / 3, 1 / 3, 1 / 6]), b_error=np.zeros(4),
            a_lower=(np.array([0.5]), np.array([0.0, 0.5]), np.array([0.0, 0.0, 1.0])))
        interpolation_cls = diffrax.ThirdOrderHermitePolynomialInterpolation.from_k

        def order(self, terms):
            return 4

    return RK4


