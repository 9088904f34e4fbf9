"""The integration loop of one trajectory: steps, control, saves, status.

Device-function contract::

    loop(traj, y0, params, t_eval, times, max_steps, driver_times, driver_values,
         atol, rtol, out_y, out_obs, extras, region, persistent)
        -> (status, n_accepted, n_rejected, n_rhs)

1. ``traj`` indexes the trajectory's rows of ``y0`` (N or 1, n_states), ``params``
   (N or 1, n_params: a single row is every trajectory's), ``out_y`` (N, n_save, n_states) and ``out_obs``
   (N, n_save, n_observables); ``t_eval`` (n_save,) float64 is increasing.  ``traj`` is the
   thread's ``cuda.grid(1)``: the fixed-step loop reads it again from the special registers after
   each run of steps rather than holding it (:mod:`kernels.rematerialize`).
2. ``times`` is ``(t0, t_end, dt0, dt_min, dt_max)`` in float64; ``dt0 <= 0``
   asks for an automatic first step (adaptive methods only).
3. Time is float64 and saves never interpolate.  A fixed-step run takes,
   between consecutive save times (or ``t0`` and the first save), exactly
   the ``ceil(interval / dt)`` steps that ``dt`` implies, at times
   ``start + j dt`` from an integer count; the last one is shortened to land
   on the save time when ``dt`` does not divide the interval, its size
   ``interval - n dt`` so that the steps integrate the whole interval (the
   rounding of a large ``start + j dt`` shifts where ``f`` is evaluated by
   half an ulp of ``t`` at most, not the span integrated).  An adaptive
   run accumulates time and clips a step to land on the next save time; its
   step is the representable ``(t + dt) - t`` (SciPy's ``h = t_new - t``), so
   a large ``t0`` (an epoch time stamp) costs no accuracy, and a step the
   controller cannot shrink below the float64 resolution of ``t`` ends the
   trajectory with STEP_SIZE_UNDERFLOW.  With events, or summaries over the
   run, the loops integrate on past the last save to ``t_end`` (one more,
   unsaved interval), as SciPy integrates to ``t_span[1]`` whatever
   ``t_eval``.
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
6. ``extras`` carries the outputs of summaries, events and counters
   (:mod:`kernels.loop_hooks`); the hooks that fill them are compiled in only
   when the settings ask for summaries or events.  A terminal event ends the
   run with EVENT (:mod:`kernels.events`).  ``n_rhs`` counts right-hand-side
   evaluations (-1 when the step has no fixed count per step).
7. With ``save_trajectory`` False nothing is written to ``out_y``/``out_obs``.

The loops are :mod:`kernels.loop_fixed` and :mod:`kernels.loop_adaptive`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numba import cuda

from planner import Buffer, BufferSettings, Phase

from .allocators import AllocatorFactory
from .drivers import make_driver_evaluator
from .events import EventSettings
from .loop_adaptive import FAILED_STEP_FACTOR, build_adaptive_loop
from .loop_fixed import FINITE_CHECK_STEPS, build_fixed_loop, lands_apart, no_prime
from .loop_hooks import LoopHooks, rhs_per_step
from .loop_work import WorkCounter
from .solvers.base import newton_kappa_device, newton_kappa_host
from .summaries import SummarySettings, folds_in_blocks

__all__ = ["LoopBufferSettings", "IVPLoop", "FINITE_CHECK_STEPS", "FAILED_STEP_FACTOR", "GLOBAL_TOLERANCES_FROM",
           "tolerance_arguments"]

# States from which a step with a Newton iteration reads atol, rtol and its constant from one global array that
# every thread shares (LoopBufferSettings.tolerances_global) instead of a per-thread copy, unless its settings say
# otherwise (``global_tolerances_from``: FIRK from 8): H200, Brusselator, fixed steps, all-local plans: sdirk4,
# kvaerno5 and radau 1.04 to 1.54x faster at 32 to 128 states in both precisions (radau float32 at 64 and 128 states
# 2 and 6 % slower); at 8 states, where the copy sits in registers, the DIRK methods 3 to 6 % slower and radau 1.09
# and 1.35x faster (benchmarks/results/newton_rate_2026-12-04/).
GLOBAL_TOLERANCES_FROM = 32


def tolerance_arguments(settings, atol, rtol, dtype):
    """The kernel's ``(atol, rtol)`` arguments from validated host arrays (``n_states`` each, ``dtype``).

    With :attr:`LoopBufferSettings.tolerances_global` the first is ``atol``, ``rtol`` and Newton's
    constant at them (``2 n + 1`` elements, the layout of the ``tolerances`` buffer; the constant
    computed in ``dtype`` as the device computes it), which every thread reads; otherwise they are
    ``atol`` and ``rtol`` as given, which the loop copies into each thread's buffer.
    """
    if not settings.tolerances_global:
        return atol, rtol
    prec = np.dtype(dtype).type
    kappa = newton_kappa_host(settings.step.newton_kappa, rtol, prec, settings.adaptive)
    return np.concatenate([atol, rtol, [kappa]]).astype(prec), rtol


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
    summaries: object = None
    events: tuple = ()
    save_trajectory: bool = True
    global_tolerances_from: int = None

    component = "loop"

    def summary_settings(self):
        """The ``summaries`` child's settings, or None."""
        if self.summaries is None:
            return None
        # fixed steps: every thread adds its blocks to the compensated sums at the same steps, where enough is summed
        return SummarySettings(self.summaries, self.step.n_states, self.n_observables, self.step.n_drivers,
                               blocked=not self.adaptive and folds_in_blocks(self.summaries))

    def event_settings(self):
        """The ``events`` child's settings, or None."""
        return EventSettings(self.events, self.step.n_states, self.step.n_drivers) if self.events else None

    @property
    def whole_span(self) -> bool:
        """Whether the loop integrates on past the last save to ``t_end``: events and per-run summaries observe the
        whole span, as SciPy's solve_ivp integrates to ``t_span[1]`` whatever ``t_eval``; otherwise it stops at
        the last save."""
        return bool(self.events) or (self.summaries is not None and self.summaries.per == "run")

    @property
    def hook_children(self) -> tuple:
        """The settings of the children run after each accepted step (events, then summaries)."""
        return tuple(c for c in (self.event_settings(), self.summary_settings()) if c is not None)

    @property
    def uses_tolerances(self) -> bool:
        """The error norm or the step reads ``atol``/``rtol`` (kept in the ``tolerances`` buffer, or in the
        kernel's global array: :attr:`tolerances_global`)."""
        return self.adaptive or self.step.needs_tolerances

    @property
    def tolerances_global(self) -> bool:
        """The step's Newton reads ``atol``, ``rtol`` and its constant from the kernel's shared global array
        (:func:`tolerance_arguments`), not from a per-thread ``tolerances`` buffer: a step with a Newton
        iteration from ``global_tolerances_from`` states (None: the step settings' own threshold, else
        :data:`GLOBAL_TOLERANCES_FROM`), in a run without events (a terminal event's re-steps read the buffer)."""
        start = self.global_tolerances_from
        if start is None:
            start = getattr(self.step, "global_tolerances_from", GLOBAL_TOLERANCES_FROM)
        return (self.uses_tolerances and self.step.newton_kappa is not None and not self.events
                and self.step.n_states >= start)

    @property
    def tolerance_elements(self) -> int:
        """``atol``, ``rtol`` and, for a step with a Newton iteration, its constant at them (or 0: none, or
        :attr:`tolerances_global`)."""
        if not self.uses_tolerances or self.tolerances_global:
            return 0
        return 2 * self.step.n_states + (self.step.newton_kappa is not None)

    def buffer_settings(self) -> BufferSettings:
        n, child = self.step.n_states, self.step.component

        def buf(name, size, lifetime=(), persistent=False, weight=1.0):
            return Buffer(name, size_elems=size, persistent=persistent, lifetime=lifetime, weight=weight)

        hooked = tuple(c.component for c in self.hook_children)
        phases = (Phase("init", invokes=hooked), Phase("step", invokes=(child,)), Phase("control"),
                  Phase("accept", invokes=hooked), Phase("save"))
        buffers = (
            buf("state", n, persistent=True, weight=float(4 * n)),
            buf("parameters", self.n_params, persistent=True, weight=float(2 * self.n_params)),
            buf("proposed_state", n, (("step", "accept"),), weight=float(3 * n)),
            buf("error", n * self.step.error_vectors if self.adaptive else 0, (("init", "init"), ("step", "control")),
                weight=float(2 * n * self.step.error_vectors)),
            buf("drivers", self.step.n_drivers, (("init", "init"), ("save", "save")),
                weight=float(self.step.n_drivers)),
            buf("observables", self.n_observables, (("save", "save"),), weight=float(self.n_observables)),
            # atol then rtol, loaded once so the error norm reads no global memory per step
            # (also in a fixed-step run of an implicit step: Newton measures its increments with them),
            # then Newton's constant at those tolerances, computed once here rather than in every stage.
            buf("tolerances", self.tolerance_elements, persistent=True, weight=float(2 * n)),
        )
        return BufferSettings(component=self.component, phases=phases, buffers=buffers,
                              children=(self.step.buffer_settings(),)
                              + tuple(c.buffer_settings() for c in self.hook_children))


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
        # Summaries(every > 1): the fixed-step loop samples its statistics (general hooks, spans it gives).
        parts.sample_every = settings.summaries.every if settings.summaries is not None else 1
        regular = not settings.adaptive and lands_apart(step) and parts.sample_every == 1
        parts.rhs_per_step = rhs_per_step(settings.step, step)
        restep = make_restep(parts, step) if settings.events else None
        parts.hooks, factories = LoopHooks.build(settings, system,
                                                 lambda name: AllocatorFactory(layout.child(name), dtype), dtype,
                                                 regular_steps=regular, restep=restep)
        parts.hooked = bool(settings.hook_children)
        if settings.adaptive:
            self.device_function = build_adaptive_loop(parts, step, controller)
        else:
            self.device_function = build_fixed_loop(parts, step)
        self.records = list(allocate.records) + [r for f in factories for r in f.records]


def make_restep(parts, built):
    """``restep(t, h, y, y_out, p, driver_times, driver_values, counts, traj, region, persistent) -> code``.

    The loop's step of ``h`` from ``(t, y)`` into ``y_out``, for a terminal event's refinement
    (:mod:`kernels.events`), which happens once, when the trajectory stops: the FSAL cache is primed
    first (the step is called with the loop's constant ``first_valid``), and the step's persistent state
    (FSAL cache, kept factors) is left as the step leaves it.  Its right-hand sides (and, for a step that
    counts its work, its Jacobians, factorisations and Newton iterations) go to ``counts[traj, 0:4]``,
    which the loops add to the run's totals.
    """
    step, PRIMED = built.device_function, built.prime_function is not None
    prime = built.prime_function if PRIMED else no_prime
    alloc_error, alloc_tolerances = parts.alloc_error, parts.alloc_tolerances
    work = WorkCounter(built)
    WORKED, NO_WORK, add_work = work.worked, work.NONE, work.add
    COUNTED = parts.rhs_per_step is not None
    PER_CALL = np.int32((parts.rhs_per_step if COUNTED else 0) + (1 if work.prime_rhs else 0))
    PRIME_WORKED = np.int32(1 if WORKED and work.prime_rhs else 0)  # an implicit FSAL step's prime (a regression hunt)

    @cuda.jit(device=True)
    def restep(t, h, y, y_out, p, driver_times, driver_values, counts, traj, region, persistent):
        err = alloc_error(region, persistent)
        tol = alloc_tolerances(region, persistent)  # persistent: the loop loaded it
        prime(t, y, p, driver_times, driver_values, region, persistent)
        code = step(t, h, y, p, y_out, err, PRIMED, tol, driver_times, driver_values, region, persistent)
        if WORKED:
            done = add_work(NO_WORK, region, persistent)
            for c in range(4):
                counts[traj, c] = np.int32(counts[traj, c] + done[c])
            counts[traj, 0] = np.int32(counts[traj, 0] + PRIME_WORKED)
        elif COUNTED:
            counts[traj, 0] = np.int32(counts[traj, 0] + PER_CALL)
        return code

    return restep


class _LoopParts:
    """Device functions shared by both loops: allocation, start, save, finiteness, NaN fill."""

    def __init__(self, settings, system, allocate, dtype):
        N, NP, NO = settings.step.n_states, settings.n_params, settings.n_observables
        self.n_states = N
        self.dtype = dtype
        device = system.device_functions(dtype)
        self.rhs = device.rhs
        self.eval_drivers = eval_drivers = make_driver_evaluator(settings.step.n_drivers)
        observe = device.observables
        alloc_state, alloc_params = allocate("state"), allocate("parameters")
        alloc_proposed, alloc_error = allocate("proposed_state"), allocate("error")
        alloc_drivers, alloc_obs = allocate("drivers"), allocate("observables")
        alloc_tolerances = allocate("tolerances")
        LOAD_TOLERANCES = settings.uses_tolerances
        GLOBAL_TOLERANCES = settings.tolerances_global
        NEWTON = LOAD_TOLERANCES and settings.step.newton_kappa is not None
        KAPPA = dtype(settings.step.newton_kappa if NEWTON else 0.0)
        kappa_at = newton_kappa_device(dtype, settings.adaptive)
        SAVE = settings.save_trajectory
        nan, zero = dtype(math.nan), dtype(0.0)

        @cuda.jit(device=True, inline="always")
        def buffers(region, persistent):
            return (alloc_state(region, persistent), alloc_params(region, persistent),
                    alloc_proposed(region, persistent), alloc_error(region, persistent),
                    alloc_drivers(region, persistent), alloc_obs(region, persistent))

        @cuda.jit(device=True)
        def save(traj, k, t, y, p, u, obs, driver_times, driver_values, out_y, out_obs):
            if not SAVE:
                return
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
            # A one-row input is shared by every trajectory (a 1-D y0 or params on the host).
            row = traj if y0.shape[0] > 1 else 0
            for i in range(N):
                y[i] = y0[row, i]
            row = traj if params.shape[0] > 1 else 0
            for i in range(NP):
                p[i] = params[row, i]
            n_save = t_eval.shape[0]
            k = 0
            while k < n_save and t_eval[k] <= t0:
                save(traj, k, t0, y, p, u, obs, driver_times, driver_values, out_y, out_obs)
                k += 1
            return k

        @cuda.jit(device=True, inline="always")
        def tolerances(atol, rtol, region, persistent):
            """The ``tolerances`` buffer, loaded with ``atol`` then ``rtol`` when anything reads it, or the
            kernel's global array (``atol`` then) with the same layout (:func:`tolerance_arguments`)."""
            if GLOBAL_TOLERANCES:
                return atol
            tol = alloc_tolerances(region, persistent)
            if LOAD_TOLERANCES:
                for i in range(N):
                    tol[i] = atol[i]
                    tol[N + i] = rtol[i]
                if NEWTON:
                    rt = tol[N]
                    for i in range(1, N):
                        rt = min(rt, tol[N + i])
                    tol[2 * N] = kappa_at(KAPPA, rt)
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
            if not SAVE:
                return
            for j in range(k, out_y.shape[1]):
                for i in range(N):
                    out_y[traj, j, i] = nan
                for i in range(NO):
                    out_obs[traj, j, i] = nan

        # Events and per-run summaries observe the whole span (t0, t_end), as SciPy's solve_ivp integrates to
        # t_span[1] whatever t_eval: the loops then take one more interval, unsaved, from t_eval[-1] to t_end.
        self.events = bool(settings.events)
        self.extend = settings.whole_span

        EXTEND = self.extend

        @cuda.jit(device=True, inline="always")
        def stop_time(t_eval, k, t_end):
            """The end of interval ``k``: save time ``k``, or ``t_end`` past the last one.

            Without the extra interval the test is left out at compile time: the fixed-step loop's schedule
            depends on it (H200, Lorenz RK4: a run-time test here took the kernel from 36 to 32 registers
            and 5.6 % slower, benchmarks/results/session26_2026-12-04/).
            """
            if not EXTEND or k < t_eval.shape[0]:
                return t_eval[k]
            return t_end

        @cuda.jit(device=True, inline="always")
        def stop_count(t_eval, t_end):
            """The intervals a run takes: one a save time, and one more to ``t_end`` when the hooks observe it."""
            n_save = t_eval.shape[0]
            if EXTEND and t_end > t_eval[n_save - 1]:
                return n_save + 1
            return n_save

        self.stop_time, self.stop_count = stop_time, stop_count
        self.alloc_error, self.alloc_tolerances = alloc_error, alloc_tolerances  # (for make_restep)
        self.buffers, self.save, self.start, self.tolerances = buffers, save, start, tolerances
        self.all_finite, self.fill_nan = all_finite, fill_nan
