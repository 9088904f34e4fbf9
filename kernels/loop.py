"""The integration loop of one trajectory: steps, control, saves, status.

Device-function contract::

    loop(traj, y0, params, t_eval, times, max_steps, driver_times, driver_values,
         atol, rtol, out_y, out_obs, region, persistent) -> (status, n_accepted, n_rejected)

1. ``traj`` indexes the trajectory's rows of ``y0`` (N, n_states), ``params``
   (N, n_params), ``out_y`` (N, n_save, n_states) and ``out_obs``
   (N, n_save, n_observables); ``t_eval`` (n_save,) float64 is increasing.
2. ``times`` is ``(t0, t_end, dt0, dt_min, dt_max)`` in float64; ``dt0 <= 0``
   asks for an automatic first step (adaptive methods only).
3. Time is accumulated in float64; each step is clipped to land exactly on
   the next save time, so saves never interpolate.
4. Returns a status code of :mod:`kernels.status`; on failure the saves not
   reached are filled with NaN.  A non-finite proposal stops a fixed-step
   run at once; an adaptive run rejects it and shrinks the step, and reports
   NONFINITE_STATE only when it is still non-finite at the smallest step
   (``dt_min``, or the float64 resolution of ``t``).
"""

from __future__ import annotations

import dataclasses
import math

from numba import cuda

from planner import Buffer, BufferSettings, Location, Phase

from . import status as codes
from .allocators import AllocatorFactory
from .controllers import make_controller, make_error_norm, make_initial_step
from .drivers import make_driver_evaluator

__all__ = ["LoopBufferSettings", "IVPLoop"]

# A step that would leave less than this fraction of itself, or a few float64 ulps of the
# time, before a save time lands on it (no sliver step after accumulated rounding).
_SNAP = 1e-9
_ULPS = 16.0 * 2.0 ** -52


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
    step : ERKBufferSettings
        The algorithm step's settings (the child component).
    n_params, n_observables : int
    adaptive : bool
    locations : dict, optional
        Buffer name -> :class:`planner.Location` pin; others are ``AUTO``.
    """

    step: object
    n_params: int = 0
    n_observables: int = 0
    adaptive: bool = True
    locations: tuple = ()

    component = "loop"

    def __post_init__(self):
        if isinstance(self.locations, dict):
            object.__setattr__(self, "locations", tuple(sorted(self.locations.items())))

    def buffer_settings(self) -> BufferSettings:
        n, child = self.step.n_states, self.step.component
        pins = dict(self.locations)

        def buf(name, size, lifetime=(), persistent=False, weight=1.0):
            return Buffer(name, size_elems=size, location=pins.get(name, Location.AUTO),
                          persistent=persistent, lifetime=lifetime, weight=weight)

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
        )
        return BufferSettings(component=self.component, phases=phases, buffers=buffers,
                              children=(self.step.buffer_settings(),))


class IVPLoop:
    """Builds the loop device function around a step, under one Plan.

    Parameters
    ----------
    settings : LoopBufferSettings
    system : ODESystem
    step : device function
        The algorithm step (see :mod:`kernels.erk` for its contract).
    controller : ControllerSettings
    error_order : int
        Order of the step's error estimate (for the controller exponent).
    layout : planner.ComponentLayout
        ``settings.buffer_settings()`` laid out under the Plan.
    dtype : numpy scalar type

    Attributes
    ----------
    device_function, records
    """

    def __init__(self, settings, system, step, controller, error_order, layout, dtype):
        allocate = AllocatorFactory(layout, dtype)
        self.device_function = _build_loop(settings, system, step, controller, error_order, allocate, dtype)
        self.records = allocate.records


def _build_loop(settings, system, step, controller, error_order, allocate, dtype):
    N, NP, NO = settings.step.n_states, settings.n_params, settings.n_observables
    ADAPTIVE = settings.adaptive
    rhs, observe = system.device_rhs, system.device_observables
    eval_drivers = make_driver_evaluator(settings.step.n_drivers)
    control = make_controller(controller, error_order)
    error_norm = make_error_norm(N, controller.norm)
    initial_step = make_initial_step(N)
    alloc_state, alloc_params = allocate("state"), allocate("parameters")
    alloc_proposed, alloc_error = allocate("proposed_state"), allocate("error")
    alloc_drivers, alloc_obs = allocate("drivers"), allocate("observables")
    SUCCESS, MAX_STEPS = codes.SUCCESS, codes.MAX_STEPS
    UNDERFLOW, NONFINITE = codes.STEP_SIZE_UNDERFLOW, codes.NONFINITE_STATE
    nan = dtype(math.nan)

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
    def all_finite(y):
        for i in range(N):
            if math.isinf(y[i]) or math.isnan(y[i]):
                return False
        return True

    @cuda.jit(device=True)
    def loop(traj, y0, params, t_eval, times, max_steps, driver_times, driver_values, atol, rtol,
             out_y, out_obs, region, persistent):
        y = alloc_state(region, persistent)
        p = alloc_params(region, persistent)
        y_new = alloc_proposed(region, persistent)
        err = alloc_error(region, persistent)
        u = alloc_drivers(region, persistent)
        obs = alloc_obs(region, persistent)
        t0, t_end, dt, dt_min, dt_max = times
        for i in range(N):
            y[i] = y0[traj, i]
        for i in range(NP):
            p[i] = params[traj, i]
        if ADAPTIVE:
            if dt <= 0.0:
                eval_drivers(t0, driver_times, driver_values, u)
                rhs(t0, y, p, u, err)
                dt = initial_step(y, err, atol, rtol, t_end - t0)
            dt = min(max(dt, dt_min), dt_max)
        t = t0
        n_save = t_eval.shape[0]
        k = 0
        while k < n_save and t_eval[k] <= t0:
            save(traj, k, t0, y, p, u, obs, driver_times, driver_values, out_y, out_obs)
            k += 1
        status = SUCCESS
        n_accepted = 0
        n_rejected = 0
        first_valid = False
        e1 = 1.0
        e2 = 1.0
        while k < n_save:
            if n_accepted + n_rejected >= max_steps:
                status = MAX_STEPS
                break
            target = t_eval[k]
            dt_try = dt
            hit = target - t <= dt * (1.0 + _SNAP) + _ULPS * abs(target)
            if hit:
                dt_try = target - t
            if t + dt_try == t:
                status = UNDERFLOW
                break
            step(t, dt_try, y, p, y_new, err, first_valid, driver_times, driver_values, region, persistent)
            finite = all_finite(y_new)
            if ADAPTIVE:
                en = error_norm(y, y_new, err, atol, rtol) if finite else math.inf
                accept, dt_next, e1, e2 = control(dt_try, en, e1, e2, dt_min, dt_max)
            else:
                accept = finite
                dt_next = dt
            if not (finite or ADAPTIVE):
                status = NONFINITE
                break
            if accept:
                for i in range(N):
                    y[i] = y_new[i]
                n_accepted += 1
                first_valid = True
                if hit:
                    t = target
                    save(traj, k, t, y, p, u, obs, driver_times, driver_values, out_y, out_obs)
                    k += 1
                    dt = max(dt_next, dt) if ADAPTIVE else dt_next
                else:
                    t = t + dt_try
                    dt = dt_next
            else:
                n_rejected += 1
                first_valid = False
                if dt_try <= dt_min or t + dt_next == t:
                    status = UNDERFLOW if finite else NONFINITE
                    break
                dt = dt_next
        while k < n_save:
            for i in range(N):
                out_y[traj, k, i] = nan
            for i in range(NO):
                out_obs[traj, k, i] = nan
            k += 1
        return status, n_accepted, n_rejected

    return loop
