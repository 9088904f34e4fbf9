"""The integration loop of one trajectory: steps, control, saves, status.

Device-function contract::

    loop(traj, y0, params, t_eval, times, max_steps, driver_times, driver_values,
         atol, rtol, out_y, out_obs, region, persistent) -> (status, n_accepted, n_rejected)

1. ``traj`` indexes the trajectory's rows of ``y0`` (N, n_states), ``params``
   (N, n_params), ``out_y`` (N, n_save, n_states) and ``out_obs``
   (N, n_save, n_observables); ``t_eval`` (n_save,) float64 is increasing.
2. ``times`` is ``(t0, t_end, dt0, dt_min, dt_max)`` in float64; ``dt0 <= 0``
   asks for an automatic first step (adaptive methods only).
3. Time is float64 and saves never interpolate.  A fixed-step run takes,
   between consecutive save times (or ``t0`` and the first save), exactly
   the ``ceil(interval / dt)`` steps that ``dt`` implies, at times
   ``start + j dt`` from an integer count; the last one is shortened to land
   on the save time when ``dt`` does not divide the interval.  An adaptive
   run accumulates time and clips a step to land on the next save time.
4. Returns a status code of :mod:`kernels.status`; on failure the saves not
   reached are filled with NaN.  A fixed-step run tests finiteness every
   :data:`FINITE_CHECK_STEPS` steps, before each save and when it stops (a
   non-finite component stays non-finite, so this finds every blow-up at
   most that many steps after it: ``n_accepted`` then counts the steps up
   to the test) and reports NONFINITE_STATE there, ahead of any other
   failure; an adaptive run tests every proposal, rejects a non-finite one
   and shrinks the step, and reports NONFINITE_STATE only when it is still
   non-finite at the smallest step (``dt_min``, or the float64 resolution of
   ``t``).  A step whose solver failed (the step returned a nonzero code,
   :mod:`kernels.steps.base`) is rejected like a large error, the step
   shrinks by :data:`FAILED_STEP_FACTOR`, and its code is reported if it
   still fails at the smallest step; a fixed-step run stops with the code.
5. Only what the call uses is built: a fixed-step loop has no controller, no
   error norm and no error buffer.  Both loops call the step with a constant
   ``first_valid``: the FSAL cache is primed before the first step and, in
   the adaptive loop, again after each rejection (:mod:`kernels.erk`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numba import cuda

from planner import Buffer, BufferSettings, Phase

from . import status as codes
from .allocators import AllocatorFactory
from .controllers import make_controller, make_error_norm, make_initial_step
from .drivers import make_driver_evaluator

__all__ = ["LoopBufferSettings", "IVPLoop", "FINITE_CHECK_STEPS", "FAILED_STEP_FACTOR"]

# A step that would leave less than this fraction of itself, or a few float64 ulps of the
# time, before a save time lands on it (no sliver step after accumulated rounding).
_SNAP = 1e-9
_ULPS = 16.0 * 2.0 ** -52
_INT32_MAX = 2 ** 31 - 1
# A fixed-step run tests the state for inf/NaN every this many steps (a power of two: one AND).
FINITE_CHECK_STEPS = 32
# A step whose solver failed is retried this much smaller.
FAILED_STEP_FACTOR = 0.25


@dataclasses.dataclass(frozen=True)
class LoopBufferSettings:
    """The loop's buffers, with the step component as its child.

    ``state`` and ``parameters`` are persistent; ``proposed_state`` lives from
    the step to the acceptance; ``error`` (adaptive only, else size 0) from
    the step to the controller and as ``f(t0, y0)`` scratch while choosing the
    first step; ``drivers`` and ``observables`` in the save phase (and the
    first-step choice).

    Parameters
    ----------
    step : step settings (e.g. :class:`kernels.steps.ERKStepSettings`)
        The algorithm step's settings (the child component).
    n_params, n_observables : int
    adaptive : bool
    """

    step: object
    n_params: int = 0
    n_observables: int = 0
    adaptive: bool = True

    component = "loop"

    @property
    def uses_tolerances(self) -> bool:
        """The error norm or the step reads ``atol``/``rtol`` (then kept in the ``tolerances`` buffer)."""
        return self.adaptive or self.step.needs_tolerances

    def buffer_settings(self) -> BufferSettings:
        n, child = self.step.n_states, self.step.component

        def buf(name, size, lifetime=(), persistent=False, weight=1.0):
            return Buffer(name, size_elems=size, persistent=persistent, lifetime=lifetime, weight=weight)

        phases = (Phase("init"), Phase("step", invokes=(child,)), Phase("control"), Phase("accept"),
                  Phase("save"))
        buffers = (
            buf("state", n, persistent=True, weight=float(4 * n)),
            buf("parameters", self.n_params, persistent=True, weight=float(2 * self.n_params)),
            buf("proposed_state", n, (("step", "accept"),), weight=float(3 * n)),
            buf("error", n if self.adaptive else 0, (("init", "init"), ("step", "control")),
                weight=float(2 * n)),
            buf("drivers", self.step.n_drivers, (("init", "init"), ("save", "save")),
                weight=float(self.step.n_drivers)),
            buf("observables", self.n_observables, (("save", "save"),), weight=float(self.n_observables)),
            # atol then rtol, loaded once so the error norm reads no global memory per step.
            # (also in a fixed-step run of an implicit step: Newton measures its increments with them).
            buf("tolerances", 2 * n if self.uses_tolerances else 0, persistent=True, weight=float(2 * n)),
        )
        return BufferSettings(component=self.component, phases=phases, buffers=buffers,
                              children=(self.step.buffer_settings(),))


class IVPLoop:
    """Builds the loop device function around a step, under one Plan.

    Parameters
    ----------
    settings : LoopBufferSettings
    system : ODESystem
    step : kernels.steps.BuiltStep
        The algorithm step (contract in :mod:`kernels.steps.base`).  Its
        ``prime`` (FSAL cache <- ``f(t, y)``), when it has one, is called once
        by the fixed-step loop and once and after each rejection by the
        adaptive loop, and both call the step with ``first_valid = True``.
        Without it the step evaluates ``f(t, y)`` itself every step
        (``first_valid = False``).
    controller : ControllerSettings
    layout : planner.ComponentLayout
        ``settings.buffer_settings()`` laid out under the Plan.
    dtype : numpy scalar type

    Attributes
    ----------
    device_function, records
    """

    def __init__(self, settings, system, step, controller, layout, dtype):
        allocate = AllocatorFactory(layout, dtype)
        parts = _LoopParts(settings, system, allocate, dtype)
        if settings.adaptive:
            self.device_function = _build_adaptive_loop(parts, step, controller)
        else:
            self.device_function = _build_fixed_loop(parts, step)
        self.records = allocate.records


class _LoopParts:
    """Device functions shared by both loops: allocation, start, save, finiteness, NaN fill."""

    def __init__(self, settings, system, allocate, dtype):
        N, NP, NO = settings.step.n_states, settings.n_params, settings.n_observables
        self.n_states = N
        self.dtype = dtype
        self.rhs = system.device_rhs
        self.eval_drivers = eval_drivers = make_driver_evaluator(settings.step.n_drivers)
        observe = system.device_observables
        alloc_state, alloc_params = allocate("state"), allocate("parameters")
        alloc_proposed, alloc_error = allocate("proposed_state"), allocate("error")
        alloc_drivers, alloc_obs = allocate("drivers"), allocate("observables")
        alloc_tolerances = allocate("tolerances")
        LOAD_TOLERANCES = settings.uses_tolerances
        nan, zero = dtype(math.nan), dtype(0.0)

        @cuda.jit(device=True, inline="always")
        def buffers(region, persistent):
            return (alloc_state(region, persistent), alloc_params(region, persistent),
                    alloc_proposed(region, persistent), alloc_error(region, persistent),
                    alloc_drivers(region, persistent), alloc_obs(region, persistent))

        @cuda.jit(device=True)
        def save(traj, k, t, y, p, u, obs, driver_times, driver_values, out_y, out_obs):
            for i in range(N):
                out_y[traj, k, i] = y[i]
            if NO > 0:
                eval_drivers(t, driver_times, driver_values, u)
                observe(t, y, p, u, obs)
                for i in range(NO):
                    out_obs[traj, k, i] = obs[i]

        @cuda.jit(device=True)
        def start(traj, y0, params, t_eval, t0, y, p, u, obs, driver_times, driver_values, out_y, out_obs):
            """Load the trajectory's state and parameters, save at ``t_eval <= t0``; return the next save."""
            for i in range(N):
                y[i] = y0[traj, i]
            for i in range(NP):
                p[i] = params[traj, i]
            n_save = t_eval.shape[0]
            k = 0
            while k < n_save and t_eval[k] <= t0:
                save(traj, k, t0, y, p, u, obs, driver_times, driver_values, out_y, out_obs)
                k += 1
            return k

        @cuda.jit(device=True, inline="always")
        def tolerances(atol, rtol, region, persistent):
            """The ``tolerances`` buffer, loaded with ``atol`` then ``rtol`` when anything reads it."""
            tol = alloc_tolerances(region, persistent)
            if LOAD_TOLERANCES:
                for i in range(N):
                    tol[i] = atol[i]
                    tol[N + i] = rtol[i]
            return tol

        @cuda.jit(device=True, inline="always")
        def all_finite(y):
            # Branch-free: x * 0 is 0 for finite x and NaN for inf or NaN, and NaN propagates
            # (one multiply-add per element; a plain sum could overflow for finite values).
            acc = y[0] * zero
            for i in range(1, N):
                acc = y[i] * zero + acc
            return acc == zero

        @cuda.jit(device=True)
        def fill_nan(traj, k, out_y, out_obs):
            """NaN in every save from ``k`` on (a trajectory that stopped early)."""
            for j in range(k, out_y.shape[1]):
                for i in range(N):
                    out_y[traj, j, i] = nan
                for i in range(NO):
                    out_obs[traj, j, i] = nan

        self.buffers, self.save, self.start, self.tolerances = buffers, save, start, tolerances
        self.all_finite, self.fill_nan = all_finite, fill_nan


@cuda.jit(device=True, inline="always")
def _no_prime(t, y, p, driver_times, driver_values, region, persistent):
    pass


def _build_fixed_loop(parts, built):
    """Fixed step: no controller, no error estimate, no rejection; an integer count per step.

    Between save times the loop takes exactly ``ceil(interval / dt)`` steps
    (the ratio is rounded to the nearest integer first when it is within
    :data:`_SNAP` of one, so float64 rounding never adds a sliver step), at
    ``start + j dt``; the last one lands on the save time.  The count, its
    ``max_steps`` cap and the stalled-time test are computed once a save
    interval.  Per step: the step, the state copy, an integer count and one
    AND-and-branch for the finiteness test every :data:`FINITE_CHECK_STEPS`.
    """
    N = parts.n_states
    buffers, start, save, tolerances = parts.buffers, parts.start, parts.save, parts.tolerances
    all_finite, fill_nan = parts.all_finite, parts.fill_nan
    step, PRIMED = built.device_function, built.prime_function is not None
    prime = built.prime_function if PRIMED else _no_prime
    CAN_FAIL = built.can_fail
    SUCCESS, MAX_STEPS = codes.SUCCESS, codes.MAX_STEPS
    UNDERFLOW, NONFINITE = codes.STEP_SIZE_UNDERFLOW, codes.NONFINITE_STATE
    CHECK_MASK = FINITE_CHECK_STEPS - 1

    @cuda.jit(device=True, inline="always")
    def advance(t, h, y, p, y_new, err, tol, driver_times, driver_values, region, persistent):
        """One step of ``h`` from ``t``; the state takes the proposal unless the step failed."""
        code = step(t, h, y, p, y_new, err, PRIMED, tol, driver_times, driver_values, region, persistent)
        if not (CAN_FAIL and code != SUCCESS):
            for i in range(N):
                y[i] = y_new[i]
        return code

    @cuda.jit(device=True, inline="always")
    def count(interval, dt):
        ratio = interval / dt
        nearest = math.floor(ratio + 0.5)
        if abs(ratio - nearest) <= _SNAP * nearest:
            return max(np.int64(nearest), np.int64(1))
        return np.int64(math.ceil(ratio))

    @cuda.jit(device=True)
    def loop(traj, y0, params, t_eval, times, max_steps, driver_times, driver_values, atol, rtol,
             out_y, out_obs, region, persistent):
        y, p, y_new, err, u, obs = buffers(region, persistent)
        tol = tolerances(atol, rtol, region, persistent)
        t0, t_end, dt, dt_min, dt_max = times
        k = start(traj, y0, params, t_eval, t0, y, p, u, obs, driver_times, driver_values, out_y, out_obs)
        n_save = t_eval.shape[0]
        t_start = t0
        status = SUCCESS
        n_accepted = np.int32(0)  # int32 as returned (see the adaptive loop)
        limit_steps = np.int32(min(max_steps, _INT32_MAX))
        if k < n_save:
            prime(t_start, y, p, driver_times, driver_values, region, persistent)
        while k < n_save:
            target = t_eval[k]
            if t_start + dt == t_start:
                status = UNDERFLOW
                break
            n_interval = count(target - t_start, dt)
            n_run = np.int32(min(n_interval, np.int64(limit_steps - n_accepted)))
            # Steps of exactly dt (the step size is loop-invariant, so the step's conversion of it
            # to the working precision is hoisted and the time is dead code for an autonomous rhs),
            # then the one step that lands on the save time.
            n_full = np.int32(min(n_run, np.int32(n_interval - 1)))
            j = np.int32(0)
            while j < n_full:
                code = advance(t_start + j * dt, dt, y, p, y_new, err, tol, driver_times, driver_values, region,
                               persistent)
                if CAN_FAIL and code != SUCCESS:
                    status = code
                    break
                n_accepted = np.int32(n_accepted + 1)
                j = np.int32(j + 1)
                if (n_accepted & CHECK_MASK) == 0 and not all_finite(y):
                    status = NONFINITE
                    break
            if status != SUCCESS:
                break
            if n_run < n_interval:
                status = MAX_STEPS
                break
            t_last = t_start + n_full * dt
            code = advance(t_last, target - t_last, y, p, y_new, err, tol, driver_times, driver_values, region,
                           persistent)
            if CAN_FAIL and code != SUCCESS:
                status = code
                break
            n_accepted = np.int32(n_accepted + 1)
            t_start = target
            if not all_finite(y):
                status = NONFINITE
                break
            save(traj, k, target, y, p, u, obs, driver_times, driver_values, out_y, out_obs)
            k += 1
        if status != SUCCESS and not all_finite(y):
            status = NONFINITE
        fill_nan(traj, k, out_y, out_obs)
        return status, n_accepted, 0

    return loop


def _build_adaptive_loop(parts, built, controller):
    """Adaptive step: error measure, controller, rejection; the step's FSAL cache stays valid.

    With a ``prime``, the cache is primed once and primed again after each
    rejection (the rejected step left its last stage there), so the step is
    called with a constant ``first_valid = True``: the common, accepted path
    carries no test for it.  The save target's float64 rounding margin
    changes only at a save, so it is computed there, not every step.
    """
    N = parts.n_states
    buffers, start, save = parts.buffers, parts.start, parts.save
    all_finite, fill_nan = parts.all_finite, parts.fill_nan
    rhs, eval_drivers = parts.rhs, parts.eval_drivers
    step, PRIMED = built.device_function, built.prime_function is not None
    prime = built.prime_function if PRIMED else _no_prime
    CAN_FAIL = built.can_fail
    control = make_controller(controller, built.error_order)
    error_norm = make_error_norm(N, controller.norm, parts.dtype)
    tolerances = parts.tolerances
    initial_step = make_initial_step(N)
    SUCCESS, MAX_STEPS = codes.SUCCESS, codes.MAX_STEPS
    UNDERFLOW, NONFINITE = codes.STEP_SIZE_UNDERFLOW, codes.NONFINITE_STATE

    @cuda.jit(device=True, inline="always")
    def edge_of(target):
        """A step of ``dt`` lands on ``target`` when ``edge - t <= dt (1 + _SNAP)``."""
        return target - _ULPS * abs(target)

    @cuda.jit(device=True)
    def loop(traj, y0, params, t_eval, times, max_steps, driver_times, driver_values, atol, rtol,
             out_y, out_obs, region, persistent):
        y, p, y_new, err, u, obs = buffers(region, persistent)
        tol = tolerances(atol, rtol, region, persistent)
        t0, t_end, dt, dt_min, dt_max = times
        k = start(traj, y0, params, t_eval, t0, y, p, u, obs, driver_times, driver_values, out_y, out_obs)
        if dt <= 0.0:
            eval_drivers(t0, driver_times, driver_values, u)
            rhs(t0, y, p, u, err)
            dt = initial_step(y, err, atol, rtol, t_end - t0)
        dt = min(max(dt, dt_min), dt_max)
        t = t0
        n_save = t_eval.shape[0]
        status = SUCCESS
        # int32 (as returned): Numba widens int32 arithmetic to int64, so each update narrows again
        n_accepted = np.int32(0)
        n_rejected = np.int32(0)
        attempts_left = np.int32(min(max_steps, _INT32_MAX))
        l1 = np.float32(0.0)  # log2 of the last two accepted error norms
        l2 = np.float32(0.0)
        target = t_eval[min(k, n_save - 1)]
        edge = edge_of(target)
        if k < n_save:
            prime(t, y, p, driver_times, driver_values, region, persistent)
        while k < n_save:
            if attempts_left <= 0:
                status = MAX_STEPS
                break
            attempts_left = np.int32(attempts_left - 1)
            dt_try = dt
            hit = edge - t <= dt * (1.0 + _SNAP)
            if hit:
                dt_try = target - t
            if t + dt_try == t:
                status = UNDERFLOW
                break
            code = step(t, dt_try, y, p, y_new, err, PRIMED, tol, driver_times, driver_values, region, persistent)
            if CAN_FAIL and code != SUCCESS:
                accept = False
                dt_next = max(dt_try * FAILED_STEP_FACTOR, dt_min)
            else:
                # inf when y_new is not finite: rejected, the step shrinks by min_factor
                accept, dt_next, l1, l2 = control(dt_try, error_norm(y, y_new, err, tol), l1, l2, dt_min, dt_max)
            if accept:
                for i in range(N):
                    y[i] = y_new[i]
                n_accepted = np.int32(n_accepted + 1)
                if hit:
                    t = target
                    save(traj, k, t, y, p, u, obs, driver_times, driver_values, out_y, out_obs)
                    k += 1
                    if k < n_save:
                        target = t_eval[k]
                        edge = edge_of(target)
                    dt = max(dt_next, dt)
                else:
                    t = t + dt_try
                    dt = dt_next
            else:
                n_rejected = np.int32(n_rejected + 1)
                if dt_try <= dt_min or t + dt_next == t:
                    if CAN_FAIL and code != SUCCESS:
                        status = code
                    else:
                        status = UNDERFLOW if all_finite(y_new) else NONFINITE
                    break
                dt = dt_next
                prime(t, y, p, driver_times, driver_values, region, persistent)
        fill_nan(traj, k, out_y, out_obs)
        return status, n_accepted, n_rejected

    return loop
