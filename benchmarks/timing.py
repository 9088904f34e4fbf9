"""The one way the benchmark scripts time things.

Kernel time
    :func:`bind_launch` prepares one launch of a bufferplan batch kernel as
    ``Integrator.solve`` makes it: the :class:`kernels.batch.BatchKernel` of
    ``Integrator.build(plan)`` and the argument tuple that
    ``kernels.launch.launch_batch`` builds from the validated inputs.
    :func:`time_gpu` then records CUDA events around the public
    ``BatchKernel.launch`` (or any other launch, such as a hand-written
    kernel's): ``warmup`` calls first, then ``repeats`` rounds of ``per_round``
    back-to-back calls, and the median per call.
Host time
    :func:`host_times_us`: ``time.perf_counter`` around a call.  With
    ``sync_inside=False`` the device is synchronised before the timer starts and
    after it stops, so the queue is empty and only host work is counted; with
    ``sync_inside=True`` the synchronise is inside the timed region (host work
    plus the GPU's).

On Numba's CUDA simulator there are no CUDA events: GPU times are then wall
time after a synchronise, and :class:`Timing` says so in ``method``.
"""

from __future__ import annotations

import dataclasses
import statistics
import time

import numpy as np

import kernels  # chooses the GPU or the simulator before anything imports numba.cuda

__all__ = ["on_gpu", "synchronize", "Stopwatch", "Timing", "time_gpu", "host_times_us", "BoundLaunch",
           "bind_launch", "cupti_kernel_ms"]

EVENTS = "cuda events"
SIMULATED = "wall clock after synchronize (simulator: no CUDA events)"


def on_gpu() -> bool:
    """True when kernels run on a real GPU (CUDA events time them)."""
    return kernels.backend() == "cuda"


def synchronize():
    """Wait for all work queued on the current device."""
    from numba import cuda

    cuda.synchronize()


class Stopwatch:
    """GPU time between :meth:`start` and :meth:`stop` (ms): CUDA events, or wall clock on the simulator."""

    def __init__(self):
        self.events = on_gpu()
        self.method = EVENTS if self.events else SIMULATED
        self._start = self._end = None
        self._t0 = 0.0

    def start(self):
        if self.events:
            from numba import cuda

            self._start, self._end = cuda.event(), cuda.event()
            self._start.record()
        else:
            synchronize()
            self._t0 = time.perf_counter()
        return self

    def stop(self) -> float:
        if self.events:
            self._end.record()
            self._end.synchronize()
            return float(self._start.elapsed_time(self._end))
        synchronize()
        return (time.perf_counter() - self._t0) * 1e3


def time_interleaved(launchers, reps, batch):
    """Milliseconds per launch of each of ``launchers`` (``{key: launch()}``), their rounds interleaved.

    One warm-up launch each (compile and load), then ``reps`` rounds; in a round, per launcher, one
    untimed launch queued ahead of the start event (the host prepares the timed launches while the
    GPU runs it), then ``batch`` launches timed together.  Returns ``({key: median}, {key: [ms]}, method)``.
    """
    for launch in launchers.values():
        launch()
    synchronize()
    samples = {key: [] for key in launchers}
    watch = Stopwatch()
    for _ in range(reps):
        for key, launch in launchers.items():
            launch()
            watch.start()
            for _ in range(batch):
                launch()
            samples[key].append(watch.stop() / batch)
    return {key: float(statistics.median(v)) for key, v in samples.items()}, samples, watch.method


@dataclasses.dataclass(frozen=True)
class Timing:
    """Repeated times of one call.

    Attributes
    ----------
    ms : tuple of float
        Milliseconds per call, one value per round (a round's time divided by its calls).
    method : str
        How they were taken (CUDA events, or wall clock on the simulator).
    per_round : int
        Back-to-back calls per round.
    """

    ms: tuple
    method: str
    per_round: int = 1

    @property
    def median_ms(self) -> float:
        return float(statistics.median(self.ms))

    @property
    def min_ms(self) -> float:
        return float(min(self.ms))

    def to_json(self):
        return {"median_ms": self.median_ms, "min_ms": self.min_ms, "ms": [round(x, 5) for x in self.ms],
                "per_round": self.per_round, "method": self.method}


def time_gpu(call, repeats=5, warmup=1, per_round=1, budget_s=None) -> Timing:
    """GPU time per ``call()``: ``warmup`` untimed calls, then rounds of ``per_round`` back-to-back calls.

    ``budget_s`` (optional) stops the rounds, after at least one, once the
    timed calls took that long in total.
    """
    if repeats < 1 or per_round < 1 or warmup < 0:
        raise ValueError(f"time_gpu: need repeats >= 1, per_round >= 1, warmup >= 0; got {repeats}, "
                         f"{per_round}, {warmup}")
    for _ in range(warmup):
        call()
    watch, times, spent = Stopwatch(), [], 0.0
    while len(times) < repeats and (budget_s is None or not times or spent < budget_s):
        watch.start()
        for _ in range(per_round):
            call()
        ms = watch.stop()
        times.append(ms / per_round)
        spent += ms / 1e3
    return Timing(tuple(times), watch.method, per_round)


def host_times_us(call, repeats=20, warmup=2, sync_inside=False):
    """Host wall time of ``call()`` in microseconds, per call (a list of ``repeats`` values).

    The device is synchronised before each timed call (outside the timer); with
    ``sync_inside`` a synchronise also ends the timed region, otherwise it
    follows it, untimed.
    """
    for _ in range(warmup):
        call()
        synchronize()
    out = []
    for _ in range(repeats):
        synchronize()
        t = time.perf_counter()
        call()
        if sync_inside:
            synchronize()
        out.append((time.perf_counter() - t) * 1e6)
        if not sync_inside:
            synchronize()
    return out


@dataclasses.dataclass
class BoundLaunch:
    """One prepared launch of a batch kernel; calling it launches again (asynchronously).

    Attributes
    ----------
    kernel : kernels.batch.BatchKernel
    n_traj : int
    args : tuple
        The kernel's arguments as ``kernels.launch.launch_batch`` passes them.
    outputs : tuple
        Device arrays the launches write: ``(y, observables or None, status, n_steps, n_rejected, ...)``
        (``kernels.launch.launch_batch``).
    """

    kernel: object
    n_traj: int
    args: tuple
    outputs: tuple

    def __call__(self):
        self.kernel.launch(self.n_traj, self.args)

    def host_outputs(self):
        """``{"y", "status", "n_steps", "n_rejected", "counts"}`` copied to the host (``counts``: ``n_rhs``,
        ``n_jac``, ``n_lu``, ``n_newton``, then events; :mod:`kernels.loop_work`)."""
        y, _, status, n_steps, n_rejected = self.outputs[:5]
        counts = self.outputs[-1]
        return {"y": y.copy_to_host(), "status": status.copy_to_host(), "n_steps": n_steps.copy_to_host(),
                "n_rejected": n_rejected.copy_to_host(), "counts": counts.copy_to_host()}


class _Recording:
    """A BatchKernel stand-in that records the launch ``launch_batch`` makes, and makes it."""

    def __init__(self, built):
        self._built = built
        self.calls = []

    def __getattr__(self, name):
        return getattr(self._built, name)

    def launch(self, n_traj, args, stream=0):
        self.calls.append((n_traj, args))
        self._built.launch(n_traj, args, stream)


def bind_launch(integrator, plan, t_span, y0, params, dt=None, rtol=1e-6, atol=1e-6, t_eval=None,
                max_steps=None, dt_min=0.0, dt_max=np.inf, max_registers=None) -> BoundLaunch:
    """Build ``plan``'s kernel and launch it once as ``integrator.solve`` would; return the launch, bound.

    Parameters
    ----------
    integrator : kernels.Integrator
    plan : planner.Plan
        From ``integrator.plan(...)``.
    t_span, dt, rtol, atol, t_eval, max_steps, dt_min, dt_max
        As for ``Integrator.solve`` (no drivers).
    y0, params : arrays (N, n_states), (N, n_params)
        Host or device arrays of the integrator's precision; host ones are copied to the device once.
    max_registers : int, optional
        As for ``Integrator.build``: a cap on registers per thread.

    The argument tuple is reconstructed here from ``kernels.validation``, ``kernels.time_checks`` and
    ``kernels.launch.launch_batch`` (the public API has no call that returns
    it); ``tests/benchmarks/test_bench_timing.py`` checks that it gives
    ``Integrator.solve``'s results bit for bit.
    """
    from numba import cuda

    from kernels import tolerances, validation as check
    from kernels.time_checks import check_span, check_step_bounds, check_t_eval
    from kernels.drivers import validate_drivers
    from kernels.launch import launch_batch, launch_constants

    system, dtype = integrator.system, integrator.dtype
    t0, t_end = check_span(t_span)
    t_eval = check_t_eval(t_eval, t0, t_end)
    y0, n_traj = check.check_batch(y0, "y0", system.n_states, None, dtype, "n_states")
    if system.n_params:
        params, _ = check.check_batch(params, "params", system.n_params, n_traj, dtype, "n_params")
    else:
        params = np.zeros((n_traj, 1), dtype=dtype)  # as Integrator.solve: a kernel argument may not be empty
    rtol = tolerances.check_tolerance(rtol, "rtol", system.n_states, dtype)
    atol = tolerances.check_tolerance(atol, "atol", system.n_states, dtype)
    driver_times, driver_values = validate_drivers(None, system.n_drivers, dtype)
    dt_min, dt_max = check_step_bounds(dt_min, dt_max)
    max_steps = check.check_int(kernels.DEFAULT_MAX_STEPS if max_steps is None else max_steps, "max_steps", 1)
    y0, params = (a if check.is_device_array(a) else cuda.to_device(a) for a in (y0, params))
    recording = _Recording(integrator.build(plan, max_registers=max_registers))
    constants = launch_constants(recording._built, t_eval, driver_times, driver_values, atol, rtol, cuda.to_device)
    times = (t0, t_end, 0.0 if dt is None else float(dt), dt_min, dt_max)
    outputs, _ = launch_batch(recording, system, n_traj, t_eval.shape[0], y0, params, constants, times, max_steps)
    if len(recording.calls) != 1:
        raise RuntimeError(f"launch_batch launched {len(recording.calls)} times; expected one launch")
    n, args = recording.calls[0]
    return BoundLaunch(recording._built, n, args, outputs)


def cupti_kernel_ms(call):
    """Sum of the GPU kernel durations inside ``call()`` by CUPTI (torch.profiler), and the kernel count.

    A cross-check of the event timing.  Memory copies and sets are left out.
    Raises RuntimeError when torch has no CUDA or nothing was recorded.
    """
    import torch
    from torch.profiler import ProfilerActivity, profile

    if not torch.cuda.is_available():
        raise RuntimeError("CUPTI check: torch has no CUDA")
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        call()
        torch.cuda.synchronize()
    total_us, count = 0.0, 0
    for e in prof.events():
        if str(getattr(e, "device_type", "")).split(".")[-1] != "CUDA":
            continue
        if str(e.name).lower().startswith(("memcpy", "memset")):
            continue
        total_us += e.time_range.elapsed_us()
        count += 1
    if count == 0:
        raise RuntimeError("CUPTI recorded no kernel")
    return total_us / 1000.0, count
