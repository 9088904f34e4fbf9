#!/usr/bin/env python3
"""bufferplan beside its peers on the standard GPU ensemble problem (issue #4, part 1).

The problem of the GPU ODE benchmark literature: Lorenz with sigma = 10, beta = 8/3,
u0 = (1, 0, 0), t in [0, 1], rho = linspace(0, 21, N) (one per trajectory), float32,
final state only.  Cases:

    a  tsit5_fixed     Tsit5, fixed dt = 0.001 (1000 steps)
    b  tsit5_adaptive  Tsit5, rtol = atol = 1e-8, first dt = 0.001
    c  rk4_fixed       classical RK4, fixed dt = 0.001

Peers (each optional: one that cannot be imported or has no GPU is recorded as
"unavailable: <reason>" and the run goes on):

    reference         hand-written Numba CUDA kernels (benchmarks/reference_kernels.py): the floor
    bufferplan-auto   kernels.solve_ivp(..., plan="auto")
    bufferplan-local  kernels.solve_ivp(..., plan="local")
    diffrax           jax.jit(jax.vmap(diffeqsolve)), Tsit5 / a 4-stage RK4 ERK, SaveAt(t1=True)
    torchdiffeq       odeint on one (N, 3) tensor: one step size for the whole batch; it has no
                      Tsit5 (dopri5 stands in, said in the output) and its "rk4" is the 3/8 rule
    cubie             cubie 0.17.0 Solver, Tsit5 / classical RK4 (benchmarks/peer_cubie.py; needs .cubie/)

Per peer, case and N: one warm-up call (which compiles), then timed calls of
(1) the kernel on inputs already on the GPU, ``--repeats`` times: CUDA events around the
launch for the Numba kernels, bufferplan's included (peers.py wraps
kernels.batch.BatchKernel.launch while solve_ivp runs on device arrays); torch.cuda events
around odeint; for JAX the wall time to block_until_ready; ``--cupti-check`` adds one CUPTI
measurement per N as a cross-check; and (2) the whole call from host arrays to host arrays,
``--wall-repeats`` times (wall clock).  Medians are reported.  Each final state is compared
with the reference kernel's at the same N and, for 8 sampled trajectories, with a float64
SciPy DOP853 solution at rtol = atol = 1e-12; fixed-step step counts are checked.

Results: ``<out>/peers_<device>[_<tag>].json``, rewritten after every measurement (a run
that is cut off keeps what it measured), a table printed last, and with ``--plot`` a
log-log PNG (``benchmarks/plot_peers.py`` redraws it from the JSON files anywhere).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import gc
import importlib.metadata
import inspect
import json
import math
import os
import platform
import re
import shlex
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for _p in (ROOT, HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # JAX would take 75 % of the GPU

import numpy as np  # noqa: E402

SIGMA, BETA, RHO_MAX = 10.0, 8.0 / 3.0, 21.0
U0 = (1.0, 0.0, 0.0)
DTYPE = np.float32
TARGET_RATIO = 1.10
TARGET_LOG2 = 22
SCHEMA = "bufferplan.peers/1"


@dataclasses.dataclass(frozen=True)
class Case:
    key: str
    name: str
    method: str
    adaptive: bool
    dt: float = 1e-3
    rtol: float = 1e-8
    atol: float = 1e-8


CASES = {
    "a": Case("a", "tsit5_fixed", "tsit5", False),
    "b": Case("b", "tsit5_adaptive", "tsit5", True),
    "c": Case("c", "rk4_fixed", "rk4", False),
}
PEER_NAMES = ("reference", "bufferplan-auto", "bufferplan-local", "diffrax", "torchdiffeq", "cubie")
VERSION_PACKAGES = ("numpy", "numba", "numba-cuda", "llvmlite", "scipy", "jax", "jaxlib", "diffrax", "equinox",
                    "torch", "torchdiffeq", "ortools", "networkx", "matplotlib", "cubie")


class Unavailable(Exception):
    """The peer cannot run here (missing package, no GPU, no API)."""


def is_oom(exc):
    text = f"{type(exc).__name__}: {exc}".lower()
    return any(s in text for s in ("out of memory", "out_of_memory", "resource_exhausted", "outofmemory",
                                   "cuda_error_out_of_memory", "failed to allocate"))


def short_error(exc, limit=600):
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= limit else text[:limit] + " ..."


# -- the problem ---------------------------------------------------------------------------
def make_problem(n):
    """Host inputs for N trajectories: y0 (N, 3) and params (N, 3) = (sigma, rho, beta), float32."""
    rho = np.linspace(0.0, RHO_MAX, n)
    y0 = np.tile(np.asarray(U0, dtype=DTYPE), (n, 1))
    params = np.stack([np.full(n, SIGMA), rho, np.full(n, BETA)], axis=1).astype(DTYPE)
    return y0, params


def sample_indices(n, k=8):
    return np.unique(np.linspace(0, n - 1, min(k, n)).round().astype(np.int64))


_TRUTH = {}


def scipy_truth(n, t1):
    """(indices, float64 final states) of sampled trajectories by DOP853 at 1e-12, or None."""
    key = (n, t1)
    if key not in _TRUTH:
        try:
            from scipy.integrate import solve_ivp

            from reference_kernels import host_lorenz
        except Exception:  # noqa: BLE001
            _TRUTH[key] = None
            return None
        y0, params = make_problem(n)
        idx = sample_indices(n)
        out = np.array([solve_ivp(host_lorenz(params[i].astype(np.float64)), (0.0, t1), y0[i].astype(np.float64),
                                  method="DOP853", rtol=1e-12, atol=1e-12).y[:, -1] for i in idx])
        _TRUTH[key] = (idx, out)
    return _TRUTH[key]


def deviation(y, ref):
    """(max |y - ref|, max |y - ref| / (1 + |ref|)); inf when anything is not finite."""
    y = np.asarray(y, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if y.shape != ref.shape:
        return math.inf, math.inf
    d = np.abs(y - ref)
    if not np.all(np.isfinite(d)):
        return math.inf, math.inf
    return float(d.max(initial=0.0)), float((d / (1.0 + np.abs(ref))).max(initial=0.0))


# -- timing helpers ------------------------------------------------------------------------
def numba_events_ms(launch):
    """GPU time of ``launch()`` by numba CUDA events; None on the simulator."""
    stop = event_timer()
    launch()
    ms = stop()
    return ms if ms is not None and ms >= 0 else None


def event_timer():
    """Record a CUDA event now; return ``stop() -> ms`` (None or negative on the simulator)."""
    from numba import cuda

    start, end = cuda.event(), cuda.event()
    start.record()

    def stop():
        end.record()
        end.synchronize()
        return start.elapsed_time(end)
    return stop


@contextlib.contextmanager
def timed_batch_launch(held, timer=None):
    """Time every ``kernels.batch.BatchKernel.launch`` inside the block.

    ``held`` receives ``ms`` (the sum; None when CUDA events give no time, as on the simulator),
    ``count``, and the last launch's ``kernel`` and ``call`` (its arguments), or ``why`` when
    nothing could be patched. ``timer()``, if given, returns a ``stop() -> ms`` function that
    replaces the CUDA events.
    """
    try:
        from kernels.batch import BatchKernel

        original = BatchKernel.launch
    except Exception as exc:  # noqa: BLE001
        held["why"] = short_error(exc, 200)
        yield held
        return
    held.update(ms=0.0, count=0)

    def launch(self, *args, **kwargs):
        stop = (timer or event_timer)()
        out = original(self, *args, **kwargs)
        ms = stop()
        if ms is None or ms < 0:
            held["ms"] = None  # the simulator has no event timing
        elif held["ms"] is not None:
            held["ms"] += ms
        held["count"] += 1
        held.update(kernel=self, call=(args, kwargs))
        return out

    BatchKernel.launch = launch
    try:
        yield held
    finally:
        BatchKernel.launch = original


def cupti_kernel_ms(call):
    """Sum of the GPU kernel durations inside ``call()`` (CUPTI via torch.profiler), and the kernel count.

    Memory copies and sets are left out.  Raises when torch has no CUDA or nothing was recorded.
    """
    import torch
    from torch.profiler import ProfilerActivity, profile

    if not torch.cuda.is_available():
        raise Unavailable("torch has no CUDA")
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        call()
        torch.cuda.synchronize()
    total_us, count = 0.0, 0
    for e in prof.events():
        if str(getattr(e, "device_type", "")).split(".")[-1] != "CUDA":
            continue
        name = str(e.name)
        if name.lower().startswith(("memcpy", "memset")):
            continue
        total_us += e.time_range.elapsed_us()
        count += 1
    if count == 0:
        raise RuntimeError("CUPTI recorded no kernel")
    return total_us / 1000.0, count


def sync_all():
    try:
        from numba import cuda

        cuda.synchronize()
    except Exception:  # noqa: BLE001
        pass


# -- peers ---------------------------------------------------------------------------------
class Peer:
    """One system under test.  ``prepare`` once per case, then per N: ``full`` and ``load``/``kernel``."""

    name = ""

    def __init__(self, args):
        self.args = args

    def prepare(self, case):
        """Check the peer can run ``case``; return {"method": ..., "notes": [...]} or raise Unavailable."""
        raise NotImplementedError

    def full(self, case, y0, params):
        """The whole call, host arrays in and out; return (y_final (N, 3), extra dict)."""
        raise NotImplementedError

    def load(self, case, y0, params):
        """Put the inputs on the GPU for ``kernel``."""

    def kernel(self, case):
        """One timed run on the loaded inputs; return (ms, timing method)."""
        raise NotImplementedError

    def unload(self):
        gc.collect()


class ReferencePeer(Peer):
    name = "reference"

    def prepare(self, case):
        import reference_kernels as rk

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

    def full(self, case, y0, params):
        from numba import cuda

        n = y0.shape[0]
        d_y0, d_p = cuda.to_device(y0), cuda.to_device(params)
        d_out = cuda.device_array((n, 3), DTYPE)
        d_status = cuda.device_array(n, np.int32)
        d_steps = cuda.device_array(n, np.int32)
        self._launch(case, d_y0, d_p, d_out, d_status, d_steps)
        y = d_out.copy_to_host()
        extra = {}
        if case.adaptive:
            extra = step_stats(d_steps.copy_to_host(), d_status.copy_to_host())
        else:
            extra = {"n_steps": self.rk.fixed_step_count(0.0, self.args.t1, case.dt)[0]}
        return y, extra

    def load(self, case, y0, params):
        from numba import cuda

        n = y0.shape[0]
        self.dev = (cuda.to_device(y0), cuda.to_device(params), cuda.device_array((n, 3), DTYPE),
                    cuda.device_array(n, np.int32), cuda.device_array(n, np.int32))

    def kernel(self, case):
        ms = numba_events_ms(lambda: self._launch(case, *self.dev))
        if ms is None:
            t = time.perf_counter()
            self._launch(case, *self.dev)
            sync_all()
            return (time.perf_counter() - t) * 1e3, "wall (simulator: no CUDA events)"
        return ms, "cuda events"

    def cupti(self, case):
        return cupti_kernel_ms(lambda: self._launch(case, *self.dev))

    def unload(self):
        self.dev = None
        gc.collect()


def step_stats(steps, status):
    steps = np.asarray(steps)
    status = np.asarray(status)
    codes, counts = np.unique(status, return_counts=True)
    return {"n_steps_mean": float(steps.mean()) if steps.size else None,
            "n_steps_max": int(steps.max()) if steps.size else None,
            "status_counts": {str(int(c)): int(k) for c, k in zip(codes, counts)}}


class BufferplanPeer(Peer):
    def __init__(self, args, plan):
        super().__init__(args)
        self.plan = plan
        self.name = f"bufferplan-{plan}"

    def prepare(self, case):
        try:
            import kernels
        except Exception as exc:  # noqa: BLE001
            raise Unavailable(f"import kernels failed: {short_error(exc)}") from exc
        if not hasattr(kernels, "solve_ivp"):
            raise Unavailable("kernels has no solve_ivp (the package's public API is not there yet)")
        self.kernels = kernels
        system = getattr(kernels, "lorenz", None)
        if system is None:
            raise Unavailable("kernels has no lorenz system")
        if callable(system) and not hasattr(system, "n_states"):
            system = system()
        if getattr(system, "n_states", 3) != 3 or getattr(system, "n_params", 3) != 3:
            raise Unavailable(f"kernels.lorenz is not 3 states / 3 params: {system!r}")
        self.system = system
        try:
            self.signature = inspect.signature(kernels.solve_ivp).parameters
        except (TypeError, ValueError):
            self.signature = None
        notes = [f"kernels.solve_ivp(plan={self.plan!r}); params order (sigma, rho, beta) as kernels.lorenz",
                 f"backend: {kernels.backend() if hasattr(kernels, 'backend') else 'unknown'}"]
        dropped = [k for k in self._kwargs(case) if not self._accepts(k)]
        if dropped:
            notes.append(f"solve_ivp does not take {dropped}: left out")
        self.device_inputs = None  # decided on first load
        return {"method": case.method + ("/pi" if case.adaptive else "/fixed"), "notes": notes}

    def _accepts(self, key):
        if self.signature is None:
            return True
        if any(p.kind is p.VAR_KEYWORD for p in self.signature.values()):
            return True
        return key in self.signature

    def _kwargs(self, case):
        kw = {"method": case.method, "dt": case.dt, "t_eval": np.array([self.args.t1]), "precision": DTYPE,
              "plan": self.plan, "max_steps": self.args.max_steps}
        if case.adaptive:
            kw.update(rtol=case.rtol, atol=case.atol, controller="pi")
        else:
            kw.update(controller="fixed")
        if self.args.bp_block:
            kw["block_size"] = self.args.bp_block
        return kw

    def _solve(self, case, y0, params):
        kw = {k: v for k, v in self._kwargs(case).items() if self._accepts(k)}
        return self.kernels.solve_ivp(self.system, (0.0, self.args.t1), y0, params=params, **kw)

    @staticmethod
    def _host(a):
        if a is None:
            return None
        if hasattr(a, "copy_to_host"):
            return a.copy_to_host()
        return np.asarray(a)

    def full(self, case, y0, params):
        res = self._solve(case, y0, params)
        y = self._host(res.y)
        y = y[:, -1, :] if y.ndim == 3 else y
        extra = step_stats(self._host(getattr(res, "n_steps", np.zeros(0))),
                           self._host(getattr(res, "status", np.zeros(0))))
        plan = getattr(res, "plan", None)
        if plan is not None:
            extra["plan"] = {k: getattr(plan, k, None) for k in
                             ("shared_elements", "shared_stride", "shared_bytes_per_block", "local_elements",
                              "persistent_local_elements", "block_size")}
            prov = getattr(plan, "provenance", None)
            if prov is not None:
                extra["plan"]["planner"] = getattr(prov, "planner", None)
        return y, extra

    def load(self, case, y0, params):
        self.host_inputs = (y0, params)
        if self.device_inputs is None:  # does solve_ivp take device arrays?  Try once.
            self.device_inputs = False
            try:
                from numba import cuda

                self._solve(case, cuda.to_device(y0), cuda.to_device(params))
                self.device_inputs = True
            except Exception as exc:  # noqa: BLE001
                self.device_note = f"solve_ivp does not take device arrays ({short_error(exc, 200)})"
        if self.device_inputs:
            from numba import cuda

            self.dev = (cuda.to_device(y0), cuda.to_device(params))
            sync_all()

    def kernel(self, case):
        inputs = self.dev if self.device_inputs else self.host_inputs
        what = "device arrays in and out" if self.device_inputs else \
            "host arrays in (" + getattr(self, "device_note", "") + ")"
        held = {}
        with timed_batch_launch(held):
            self._solve(case, *inputs)
            sync_all()
        if held.get("count") and held.get("ms") is not None:
            return held["ms"], f"cuda events around the kernel launch inside solve_ivp (kernels.batch.BatchKernel.launch, {held['count']} launch(es))"
        t = time.perf_counter()
        ms = numba_events_ms(lambda: self._solve(case, *inputs))
        if ms is None:
            sync_all()
            return (time.perf_counter() - t) * 1e3, f"wall of solve_ivp, {what} (no CUDA events)"
        return ms, f"cuda events around the whole solve_ivp call, {what} (launch not patchable: {held.get('why', '')})"

    def cupti(self, case):
        inputs = self.dev if self.device_inputs else self.host_inputs
        return cupti_kernel_ms(lambda: self._solve(case, *inputs))

    def unload(self):
        self.dev = None
        self.host_inputs = None
        gc.collect()


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

        def vf(t, y, args):
            s, r, b = args
            return jnp.stack([s * (y[1] - y[0]), y[0] * (r - y[2]) - y[1], y[0] * y[1] - b * y[2]])

        def one(y0, p):
            sol = diffrax.diffeqsolve(diffrax.ODETerm(vf), solver, t0=0.0, t1=t1, dt0=dt, y0=y0,
                                      args=(p[0], p[1], p[2]), stepsize_controller=ctrl,
                                      saveat=diffrax.SaveAt(t1=True), max_steps=max_steps, throw=False)
            return sol.ys[-1], sol.stats["num_accepted_steps"], sol.result == diffrax.RESULTS.successful

        self.fn = jax.jit(jax.vmap(one))
        notes = [f"jax.jit(jax.vmap(diffeqsolve)) on {self.device}, float32 (time too), max_steps={max_steps}"]
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
        gc.collect()


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
        return {"method": f"torchdiffeq.{self.method}", "notes": notes}

    def _rhs(self, params):
        s, r, b = params[:, 0], params[:, 1], params[:, 2]
        torch = self.torch

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
        gc.collect()
        if self.device.type == "cuda":
            self.torch.cuda.empty_cache()


def _per_trajectory_norm(x):
    return x.pow(2).mean(dim=1).sqrt().max()


class CubiePeer(Peer):
    """cubie 0.17.0 through ``cubie.Solver``: the adapter is benchmarks/peer_cubie.py."""

    name = "cubie"

    def prepare(self, case):
        import peer_cubie

        self.impl = peer_cubie.CubieAdapter(self.args.t1, DTYPE, (SIGMA, RHO_MAX, BETA))
        try:
            return self.impl.prepare(case)
        except peer_cubie.CubieUnavailable as exc:
            raise Unavailable(str(exc)) from exc

    def full(self, case, y0, params):
        y, steps, status, extra = self.impl.full(case, y0, params)
        if steps is not None:
            extra = {**step_stats(steps, status), **extra}
        else:
            codes, counts = np.unique(status, return_counts=True)
            extra = {"status_counts": {str(int(c)): int(k) for c, k in zip(codes, counts)}, **extra}
        return y, extra

    def load(self, case, y0, params):
        self.impl.load(y0, params)

    def kernel(self, case):
        return self.impl.kernel(case)

    def unload(self):
        if getattr(self, "impl", None) is not None:
            self.impl.unload()
        gc.collect()


def make_peer(name, args):
    if name == "reference":
        return ReferencePeer(args)
    if name.startswith("bufferplan-"):
        return BufferplanPeer(args, name.split("-", 1)[1])
    return {"diffrax": DiffraxPeer, "torchdiffeq": TorchdiffeqPeer, "cubie": CubiePeer}[name](args)


# -- environment -----------------------------------------------------------------------------
def versions():
    out = {"python": platform.python_version()}
    for pkg in VERSION_PACKAGES:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def git_state():
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        if rev.returncode == 0:
            return {"commit": rev.stdout.strip(), "dirty_files": len(dirty.stdout.splitlines())}
    except Exception:  # noqa: BLE001
        pass
    return None


def device_info():
    """Name, compute capability, driver and memory of GPU 0 (numba, then nvidia-smi)."""
    info = {"backend": "unknown"}
    try:
        from numba import cuda

        from numba.cuda.core import config

        if config.ENABLE_CUDASIM:
            info.update(backend="simulator", name="cudasim")
        else:
            dev = cuda.get_current_device()
            name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
            info.update(backend="cuda", name=name, compute_capability=list(dev.compute_capability))
            try:
                from numba.cuda.cudadrv import driver

                info["cuda_driver_api"] = list(driver.driver.get_version())
            except Exception:  # noqa: BLE001
                pass
            try:
                free, total = cuda.current_context().get_memory_info()
                info["memory_total_bytes"] = int(total)
            except Exception:  # noqa: BLE001
                pass
    except Exception as exc:  # noqa: BLE001
        info["numba_error"] = short_error(exc, 200)
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm",
                              "--format=csv,noheader"], capture_output=True, text=True, timeout=20)
        if smi.returncode == 0 and smi.stdout.strip():
            fields = [s.strip() for s in smi.stdout.strip().splitlines()[0].split(",")]
            info.update(nvidia_smi_name=fields[0], driver_version=fields[1], memory_total=fields[2],
                        max_sm_clock=fields[3] if len(fields) > 3 else None)
    except Exception:  # noqa: BLE001
        pass
    if "name" not in info:
        info["name"] = info.get("nvidia_smi_name", "unknown")
    return info


def device_label(info):
    return re.sub(r"[^a-z0-9]+", "-", str(info.get("name", "unknown")).lower()).strip("-") or "unknown"


# -- the run -------------------------------------------------------------------------------
class Run:
    def __init__(self, args):
        self.args = args
        self.t_start = time.perf_counter()
        self.info = device_info()
        label = device_label(self.info) + (f"_{args.tag}" if args.tag else "")
        os.makedirs(args.out, exist_ok=True)
        self.path = os.path.join(args.out, f"peers_{label}.json")
        self.png = os.path.join(args.out, f"peers_{label}.png")
        self.doc = {
            "schema": SCHEMA,
            "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv),
            "cwd": os.getcwd(), "host": platform.node(), "device": self.info, "versions": versions(),
            "git": git_state(),
            "settings": {"sizes_log2": list(args.sizes), "repeats": args.repeats, "wall_repeats": args.wall_repeats,
                         "time_budget_s": args.time_budget_s, "budgets": args.budgets,
                         "deadline_s": args.deadline_s, "t1": args.t1, "max_steps": args.max_steps,
                         "ref_block": args.ref_block, "bp_block": args.bp_block, "agree_tol": args.agree_tol,
                         "problem": {"system": "lorenz", "sigma": SIGMA, "beta": BETA, "rho": f"linspace(0, {RHO_MAX}, N)",
                                     "u0": list(U0), "t_span": [0.0, args.t1], "precision": "float32",
                                     "save": "final state only"}},
            "cases": {k: dataclasses.asdict(CASES[k]) for k in args.cases},
            "results": {},
            "finished": False,
        }
        self.reference_y = {}

    def elapsed(self):
        return time.perf_counter() - self.t_start

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(self.doc, fh, indent=1, default=json_default)
        os.replace(tmp, self.path)

    def log(self, msg):
        print(f"[{self.elapsed():7.1f}s] {msg}", flush=True)

    def run(self):
        self.log(f"device {self.info.get('name')} ({self.info.get('backend')}); writing {self.path}")
        # GPU-kernel peers first, for every case (the target measurements), then the slow ones.
        fast = [p for p in self.args.peers if p == "reference" or p.startswith("bufferplan-")]
        slow = [p for p in self.args.peers if p not in fast]
        for group in (fast, slow):
            for key in self.args.cases:
                case = CASES[key]
                results = self.doc["results"].setdefault(case.name, {})
                for name in group:
                    if self.args.deadline_s and self.elapsed() > self.args.deadline_s:
                        results[name] = {"status": "skipped: --deadline-s reached"}
                        continue
                    self.run_peer(case, name)
                    self.save()
        self.doc["finished"] = True
        self.doc["wall_s"] = round(self.elapsed(), 1)
        self.save()

    def run_peer(self, case, name):
        entry = {"status": "ok", "measurements": []}
        self.doc["results"][case.name][name] = entry
        peer = make_peer(name, self.args)
        try:
            entry.update(peer.prepare(case))
        except Unavailable as exc:
            entry["status"] = f"unavailable: {exc}"
            self.log(f"{case.name} {name}: {entry['status']}")
            return
        except Exception as exc:  # noqa: BLE001
            entry["status"] = f"unavailable: {short_error(exc)}"
            entry["traceback"] = traceback.format_exc()[-3000:]
            self.log(f"{case.name} {name}: {entry['status']}")
            return
        for note in entry.get("notes", []):
            self.log(f"{case.name} {name}: note: {note}")
        spent, last_cost, last_k, last_warm = 0.0, None, None, 0.0
        budget = self.args.budgets.get(name, self.args.time_budget_s)
        entry["time_budget_s"] = budget
        for k in self.args.sizes:
            n = 2 ** k
            if last_cost is not None:
                predicted = predict_cost(last_cost, last_warm, k - last_k, self.args)
                if spent + predicted > budget:
                    entry["stopped"] = (f"time budget: {spent:.1f} s spent, N=2^{k} predicted {predicted:.1f} s, "
                                        f"budget {budget:g} s")
                    break
                if self.args.deadline_s and self.elapsed() + predicted > self.args.deadline_s:
                    entry["stopped"] = f"--deadline-s {self.args.deadline_s:.0f} s: N=2^{k} predicted {predicted:.1f} s"
                    break
            t = time.perf_counter()
            try:
                m = self.measure(peer, case, n)
            except Exception as exc:  # noqa: BLE001
                why = "out of memory" if is_oom(exc) else "error"
                entry["stopped"] = f"{why} at N=2^{k}: {short_error(exc)}"
                entry["error_traceback"] = traceback.format_exc()[-3000:]
                self.log(f"{case.name} {name} N=2^{k}: {entry['stopped']}")
                peer.unload()
                break
            last_cost, last_k, last_warm = time.perf_counter() - t, k, m["warmup_ms"] / 1e3
            spent += last_cost
            m["cost_s"] = round(last_cost, 3)
            entry["measurements"].append(m)
            self.log(f"{case.name} {name} N=2^{k}: kernel {m['kernel_ms_median']:.3f} ms, wall "
                     f"{m['wall_ms_median']:.3f} ms, dev vs ref {fmt_dev(m.get('scaled_dev_vs_reference'))}, "
                     f"err vs scipy {fmt_dev(m.get('scaled_err_vs_scipy'))} ({last_cost:.1f} s)")
            self.save()
            if spent > budget:
                entry["stopped"] = f"time budget: {spent:.1f} s spent after N=2^{k} > {budget:g} s"
                break
        if not entry["measurements"] and entry.get("stopped"):
            entry["status"] = f"failed: {entry['stopped']}"
        peer.unload()

    def measure(self, peer, case, n):
        y0, params = make_problem(n)
        reps = self.args.repeats
        t = time.perf_counter()
        y, extra = peer.full(case, y0, params)  # warm-up: compiles; its result is checked
        sync_all()
        warm_ms = (time.perf_counter() - t) * 1e3
        walls = []
        for _ in range(self.args.wall_repeats):
            t = time.perf_counter()
            peer.full(case, y0, params)
            sync_all()
            walls.append((time.perf_counter() - t) * 1e3)
        peer.load(case, y0, params)
        peer.kernel(case)  # warm-up
        kernel, how = [], ""
        for _ in range(reps):
            ms, how = peer.kernel(case)
            kernel.append(ms)
        m = {"log2_n": int(round(math.log2(n))), "n": n, "warmup_ms": round(warm_ms, 3),
             "kernel_ms": [round(x, 4) for x in kernel], "kernel_ms_median": float(np.median(kernel)),
             "kernel_timing": how, "wall_ms": [round(x, 4) for x in walls],
             "wall_ms_median": float(np.median(walls)), **extra}
        if hasattr(peer, "cupti") and self.args.cupti_check:
            try:
                cms, count = peer.cupti(case)
                m["kernel_ms_cupti"] = cms
                m["kernel_count_cupti"] = count
            except Exception as exc:  # noqa: BLE001
                m["kernel_ms_cupti"] = f"unavailable: {short_error(exc, 200)}"
        peer.unload()
        y = np.asarray(y)
        m["nonfinite"] = int(np.size(y) - np.isfinite(y).sum())
        if not case.adaptive:
            from reference_kernels import fixed_step_count

            m["steps_expected"] = fixed_step_count(0.0, self.args.t1, case.dt)[0]
            seen = next((m[k] for k in ("n_steps_max", "n_steps", "batch_steps_attempted") if m.get(k) is not None),
                        None)
            m["steps_match"] = None if seen is None else bool(seen == m["steps_expected"])
        if isinstance(peer, ReferencePeer):
            self.reference_y[(case.name, n)] = y
        ref = self.reference_y.get((case.name, n))
        if ref is not None and not isinstance(peer, ReferencePeer):
            m["max_abs_dev_vs_reference"], m["scaled_dev_vs_reference"] = deviation(y, ref)
            m["agrees_with_reference"] = m["scaled_dev_vs_reference"] <= self.args.agree_tol
        truth = scipy_truth(n, self.args.t1) if self.args.scipy_check else None
        if truth is not None:
            idx, exact = truth
            m["max_abs_err_vs_scipy"], m["scaled_err_vs_scipy"] = deviation(y[idx], exact)
        return m


def predict_cost(last_cost, last_warm, doublings, args):
    """Seconds the next size should take, from the last size's total and warm-up seconds.

    The warm-up is a compile (the same again for JAX, which compiles per shape) plus one call;
    the rest is ``calls`` more calls, and a call's time grows like N.
    """
    calls = args.repeats + args.wall_repeats + 1
    per_call = max(last_cost - last_warm, 0.0) / calls
    compile_s = max(last_warm - per_call, 0.0)
    return compile_s + per_call * 2 ** max(doublings, 0) * (calls + 1)


def json_default(o):
    """JSON form of NumPy scalars and arrays, sets (as lists) and anything else (as text)."""
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (tuple, set)):
        return list(o)
    return str(o)


def fmt_dev(x):
    return "n/a" if x is None else f"{x:.1e}"


# -- the report ----------------------------------------------------------------------------
def table(doc, out=sys.stdout):
    """Print, per case, kernel and wall ms per N per peer, the ratios at the largest N and the target."""
    lines = []
    for case_name, peers in doc["results"].items():
        lines.append("")
        lines.append(f"== {case_name} == ({doc['device'].get('name')}, float32, Lorenz, "
                     f"rho = linspace(0, 21, N), t in [0, {doc['settings']['t1']}])")
        ok = {p: {m["log2_n"]: m for m in e.get("measurements", [])} for p, e in peers.items()}
        cols = [p for p in peers if ok[p]]
        for p, e in peers.items():
            if not ok[p]:
                lines.append(f"  {p}: " + (f"no measurement: {e['stopped']}" if e.get("stopped") else str(e.get("status"))))
            elif e.get("stopped"):
                lines.append(f"  {p}: stopped: {e['stopped']}")
        if not cols:
            continue
        sizes = sorted({k for p in cols for k in ok[p]})
        for what, key in (("kernel ms (median)", "kernel_ms_median"), ("wall ms incl. transfers", "wall_ms_median")):
            lines.append(f"  {what}")
            lines.append("  " + f"{'N':>6}" + "".join(f"{p:>18}" for p in cols))
            for k in sizes:
                cells = "".join(f"{ok[p][k][key]:>18.3f}" if k in ok[p] else f"{'-':>18}" for p in cols)
                lines.append("  " + f"{'2^' + str(k):>6}" + cells)
        base = next((p for p in ("bufferplan-auto", "bufferplan-local") if p in cols), None)
        if base:
            kmax = max(ok[base])
            ratios = ", ".join(f"{p} {ok[p][kmax]['kernel_ms_median'] / ok[base][kmax]['kernel_ms_median']:.2f}x"
                               for p in cols if p != base and kmax in ok[p])
            lines.append(f"  kernel time / {base} at N=2^{kmax}: {ratios or 'no other peer at that N'}")
        if "reference" in cols:
            for p in ("bufferplan-auto", "bufferplan-local"):
                if p in cols and TARGET_LOG2 in ok[p] and TARGET_LOG2 in ok["reference"]:
                    r = ok[p][TARGET_LOG2]["kernel_ms_median"] / ok["reference"][TARGET_LOG2]["kernel_ms_median"]
                    verdict = "meets" if r <= TARGET_RATIO else "MISSES"
                    lines.append(f"  target: {p} / reference at N=2^{TARGET_LOG2} = {r:.3f} ({verdict} <= {TARGET_RATIO})")
            for p in cols:
                devs = [m.get("scaled_dev_vs_reference") for m in ok[p].values()
                        if m.get("scaled_dev_vs_reference") is not None]
                errs = [m.get("scaled_err_vs_scipy") for m in ok[p].values() if m.get("scaled_err_vs_scipy") is not None]
                if devs or errs:
                    agree = ("agrees" if devs and max(devs) <= doc["settings"]["agree_tol"] else
                             ("DISAGREES" if devs else ""))
                    lines.append(f"  {p}: max |y - y_ref| / (1 + |y_ref|) = {fmt_dev(max(devs) if devs else None)} "
                                 f"{agree}; vs SciPy DOP853 1e-12 (8 trajectories): {fmt_dev(max(errs) if errs else None)}")
        for p in cols:
            bad = sorted(k for k, m in ok[p].items() if m.get("steps_match") is False)
            if bad:
                lines.append(f"  {p}: STEP COUNT differs from {ok[p][bad[0]]['steps_expected']} at N=2^{bad}")
        for p in cols:
            hows = sorted({m["kernel_timing"] for m in ok[p].values()})
            lines.append(f"  {p} kernel timing: {'; '.join(hows)}")
    print("\n".join(lines), file=out, flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--min-log2", type=int, default=10)
    ap.add_argument("--max-log2", type=int, default=23)
    ap.add_argument("--log2-step", type=int, default=1, help="run every k-th power of two (default 1)")
    ap.add_argument("--cases", default="a,b,c", help="comma list of a,b,c or tsit5_fixed,tsit5_adaptive,rk4_fixed")
    ap.add_argument("--peers", default=",".join(PEER_NAMES),
                    help=f"comma list of {', '.join(PEER_NAMES)} (bufferplan-<plan> takes any plan name)")
    ap.add_argument("--sizes", dest="sizes_text", default="", help="comma list of log2 N (overrides --min/--max-log2, --log2-step)")
    ap.add_argument("--repeats", type=int, default=5, help="timed kernel runs per N (after one warm-up)")
    ap.add_argument("--wall-repeats", type=int, default=3, help="timed whole calls per N (after the warm-up)")
    ap.add_argument("--budget", default="", help="per-peer budgets overriding --time-budget-s: NAME=S,NAME=S")
    ap.add_argument("--time-budget-s", type=float, default=60.0,
                    help="per peer per case, warm-ups included: stop before a size predicted to exceed it")
    ap.add_argument("--deadline-s", type=float, default=0.0, help="stop starting new work after this many seconds")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--tag", default="", help="suffix of the output file names")
    ap.add_argument("--plot", action="store_true", help="write the PNG (needs matplotlib)")
    ap.add_argument("--t1", type=float, default=1.0, help="end time (1.0 is the standard problem; less for tests)")
    ap.add_argument("--max-steps", type=int, default=100000)
    ap.add_argument("--ref-block", type=int, default=128, help="block size of the reference kernel")
    ap.add_argument("--bp-block", type=int, default=0, help="block_size for bufferplan (0: its default)")
    ap.add_argument("--agree-tol", type=float, default=1e-4, help="max |y - y_ref| / (1 + |y_ref|) to agree")
    ap.add_argument("--allow-cpu", action="store_true", help="run JAX/torch on CPU when there is no GPU (tests)")
    ap.add_argument("--no-scipy-check", dest="scipy_check", action="store_false")
    ap.add_argument("--cupti-check", action="store_true",
                    help="also time the reference and bufferplan kernels once per N by CUPTI (torch.profiler), "
                         "a cross-check of the event timing; CUPTI may slow later launches, so use it in its own run")
    args = ap.parse_args(argv)
    names = {c.name: k for k, c in CASES.items()}
    cases = [names.get(c.strip(), c.strip()) for c in args.cases.split(",") if c.strip()]
    bad = [c for c in cases if c not in CASES]
    if bad:
        ap.error(f"--cases: unknown {bad}; use a, b, c or {list(names)}")
    args.cases = cases
    args.peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    bad = [p for p in args.peers if p not in PEER_NAMES and not p.startswith("bufferplan-")]
    if bad:
        ap.error(f"--peers: unknown {bad}; use {list(PEER_NAMES)}")
    if "reference" in args.peers:  # first, so the others are compared with it
        args.peers = ["reference"] + [p for p in args.peers if p != "reference"]
    if not 0 <= args.min_log2 <= args.max_log2 <= 30 or args.log2_step < 1:
        ap.error(f"need 0 <= --min-log2 <= --max-log2 <= 30 and --log2-step >= 1; got {args.min_log2}, "
                 f"{args.max_log2}, {args.log2_step}")
    args.sizes = list(range(args.min_log2, args.max_log2 + 1, args.log2_step))
    if args.sizes_text:
        try:
            args.sizes = sorted({int(x) for x in args.sizes_text.split(",") if x.strip()})
        except ValueError:
            ap.error(f"--sizes: expected a comma list of integers; got {args.sizes_text!r}")
        if not args.sizes or not all(0 <= k <= 30 for k in args.sizes):
            ap.error(f"--sizes: each log2 N must be in [0, 30]; got {args.sizes_text!r}")
    if args.repeats < 1 or args.wall_repeats < 1:
        ap.error(f"--repeats and --wall-repeats must be >= 1; got {args.repeats}, {args.wall_repeats}")
    args.budgets = {}
    for item in filter(None, (x.strip() for x in args.budget.split(","))):
        peer, _, sec = item.partition("=")
        try:
            args.budgets[peer.strip()] = float(sec)
        except ValueError:
            ap.error(f"--budget: expected NAME=SECONDS; got {item!r}")
    return args


def main(argv=None):
    args = parse_args(argv)
    run = Run(args)
    try:
        run.run()
    except KeyboardInterrupt:
        run.doc["interrupted"] = True
        run.save()
    table(run.doc)
    if args.plot:
        try:
            import plot_peers

            plot_peers.plot([run.doc], run.png)
            print(f"plot: {run.png}")
        except Exception as exc:  # noqa: BLE001 - no matplotlib, or one that does not load: the run stands
            print(f"plot skipped: {short_error(exc, 300)} (re-plot anywhere: python benchmarks/plot_peers.py {run.path})")
    print(f"results: {run.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
