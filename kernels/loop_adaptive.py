"""The adaptive loop (contract in :mod:`kernels.loop`).

A step built with ``confirm_first_step`` (the Rosenbrock family) does not have the first step the loop chose for it
accepted at its first pass: that step is taken again at half its size, and the step after it no larger (two half
steps).  The size is Hairer's guess from two right-hand sides, and a linearly implicit step meets it with the
Jacobian at ``y0``, which may not see the stiffness that appears within the step: Robertson from ``y2 = 0``, where
``df2/dy2 = 0``, had rodas4 and rodas5p accept such a step with an error estimate of 0.07 to 0.9 where the state
was 16 to 30 ``atol`` off, below ``y2``'s unstable root, and the run blow up (STEP_SIZE_UNDERFLOW) in windows of
rate constants at every precision (issue #10).  A step size the user gave (``dt``) is taken as given.  A first
step cut short to land on a save time at most half the chosen size is accepted as it comes (the confirmation waits
for the chosen size: halving a landing 1e-9 after t0 started rodas5p from 5e-10, 38 steps instead of 22), and the
retaken step is counted as rejected but not against ``max_steps``.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from . import status as codes
from .controllers import make_controller, make_error_norm, make_initial_step
from .loop_fixed import no_prime
from .loop_work import WorkCounter

__all__ = ["build_adaptive_loop", "FAILED_STEP_FACTOR"]

# A step that would leave less than this fraction of itself, or a few float64 ulps of the
# time, before a save time lands on it (no sliver step after accumulated rounding).
_SNAP = 1e-9
_ULPS = 16.0 * 2.0 ** -52
_INT32_MAX = 2 ** 31 - 1
# A step whose solver failed is retried this much smaller.
FAILED_STEP_FACTOR = 0.25


def build_adaptive_loop(parts, built, controller):
    """Adaptive step: error measure, controller, rejection; the step's FSAL cache stays valid.

    With a ``prime``, the cache is primed once and primed again after each
    rejection (the rejected step left its last stage there), so the step is
    called with a constant ``first_valid = True``: the common, accepted path
    carries no test for it.  The save target's float64 rounding margin
    changes only at a save, so it is computed there, not every step.  The
    hooks (:mod:`kernels.loop_hooks`) run after each acceptance when
    summaries or events are asked for.
    """
    N = parts.n_states
    buffers, start, save = parts.buffers, parts.start, parts.save
    all_finite, fill_nan = parts.all_finite, parts.fill_nan
    rhs, eval_drivers = parts.rhs, parts.eval_drivers
    step, PRIMED = built.device_function, built.prime_function is not None
    prime = built.prime_function if PRIMED else no_prime
    hooks, HOOKED, EVENTS, EXTEND = parts.hooks, parts.hooked, parts.events, parts.extend
    stop_time, stop_count = parts.stop_time, parts.stop_count
    on_accept, on_save, begin, finish = hooks.on_accept, hooks.on_save, hooks.begin, hooks.finish
    work = WorkCounter(built, refined=parts.events)
    WORKED, RHS_WORKED, NO_WORK = work.worked, work.rhs_counted, work.NONE
    add_work, record_work = work.add, work.record
    PRIME_RHS = work.prime_rhs
    COUNTED = parts.rhs_per_step is not None
    PER_STEP = parts.rhs_per_step if COUNTED else 0
    EVENT = codes.EVENT
    CAN_FAIL = built.can_fail
    CONFIRM = built.confirm_first_step
    control = make_controller(controller, built.error_order)
    error_norm = make_error_norm(N, controller.norm, parts.dtype, combined=built.error_vectors == 2)
    tolerances = parts.tolerances
    first_guess, initial_step = make_initial_step(N, parts.dtype, built.error_order)
    DT_FLOOR = 1e3 * float(np.finfo(parts.dtype).tiny)
    SUCCESS, MAX_STEPS = codes.SUCCESS, codes.MAX_STEPS
    UNDERFLOW, NONFINITE = codes.STEP_SIZE_UNDERFLOW, codes.NONFINITE_STATE

    @cuda.jit(device=True, inline="always")
    def edge_of(target):
        """A step of ``dt`` lands on ``target`` when ``edge - t <= dt (1 + _SNAP)``."""
        return target - _ULPS * abs(target)

    @cuda.jit(device=True)
    def loop(traj, y0, params, t_eval, times, max_steps, driver_times, driver_values, atol, rtol,
             out_y, out_obs, extras, region, persistent):
        y, p, y_new, err, u, obs = buffers(region, persistent)
        tol = tolerances(atol, rtol, region, persistent)
        t0, t_end, dt, dt_min, dt_max = times
        k = start(traj, y0, params, t_eval, t0, y, p, u, obs, driver_times, driver_values, out_y, out_obs)
        if HOOKED:
            begin(traj, k, t0, y, p, t_eval, driver_times, driver_values, extras, region, persistent)
        n_extra = np.int32(0)  # right-hand sides outside steps: the first-step choice, primes
        unconfirmed = False  # the chosen first step awaits its confirmation at half its size (module notes)
        halved = False  # the step after a confirmation is no larger than it
        if dt <= 0.0:  # the first step chosen here: two right-hand sides (kernels.controllers.make_initial_step)
            n_extra = np.int32(2)
            unconfirmed = CONFIRM
            span = t_end - t0
            eval_drivers(t0, driver_times, driver_values, u)
            rhs(t0, y, p, u, err)
            h0, d1 = first_guess(y, err, atol, rtol, span)
            for i in range(N):
                y_new[i] = y[i] + h0 * err[i]
            eval_drivers(t0 + h0, driver_times, driver_values, u)
            rhs(t0 + h0, y_new, p, u, err)
            dt = initial_step(y, y_new, err, h0, d1, atol, rtol, span)
            eval_drivers(t0, driver_times, driver_values, u)
        # A first step below what t resolves (or so small that h gamma underflows the working precision) is
        # raised, as SciPy raises first_step to its minimum step: dt=1e-20 at t0 = 1 ended at once in
        # STEP_SIZE_UNDERFLOW, and float32 radau at dt=1e-300 in SINGULAR_MATRIX (a user's trial)
        dt = min(max(dt, dt_min, _ULPS * abs(t0), DT_FLOOR), dt_max)
        t = t0
        n_save = t_eval.shape[0]
        status = SUCCESS
        # int32 (as returned): Numba widens int32 arithmetic to int64, so each update narrows again
        n_accepted = np.int32(0)
        n_rejected = np.int32(0)
        totals = NO_WORK  # the step's work (kernels.loop_work): rhs, Jacobians, factorisations, Newton
        attempts_left = np.int32(min(max_steps, _INT32_MAX))
        l1 = np.float32(0.0)  # log2 of the last two accepted error norms
        l2 = np.float32(0.0)
        # The stops: the save times, then t_end when the hooks need the whole span (kernels.loop item 3).
        n_stops = stop_count(t_eval, t_end)
        target = stop_time(t_eval, min(k, n_stops - 1), t_end)
        edge = edge_of(target)
        if k < n_stops:
            prime(t, y, p, driver_times, driver_values, region, persistent)
            if PRIME_RHS:
                n_extra = np.int32(n_extra + 1)
        while k < n_stops:
            if attempts_left <= 0:
                status = MAX_STEPS
                break
            attempts_left = np.int32(attempts_left - 1)
            # The step of the representable size: t + dt_try is the time the state reaches, exactly (a step
            # of the unrounded dt from a large t would integrate a span the time does not advance by).
            hit = edge - t <= dt * (1.0 + _SNAP)
            if hit:
                dt_try = target - t
            else:
                dt_try = (t + dt) - t
            if t + dt_try == t:
                status = UNDERFLOW
                break
            code = step(t, dt_try, y, p, y_new, err, PRIMED, tol, driver_times, driver_values, region, persistent)
            if WORKED:
                totals = add_work(totals, region, persistent)
            if CAN_FAIL and code != SUCCESS:
                accept = False
                dt_next = max(dt_try * FAILED_STEP_FACTOR, dt_min)
            else:
                # inf when y_new is not finite: rejected, the step shrinks by min_factor
                accept, dt_next, l1_next, l2_next = control(dt_try, error_norm(y, y_new, err, tol), l1, l2,
                                                            dt_min, dt_max)
                # A step cut short to land on a stop says nothing of the step size the tolerance allows:
                # its (small) error stays out of the filter's history, or a PI filter shrinks the next step
                # after every save (Tsit5, 41 saves in y' = -y at rtol 1e-6: 128 steps instead of 50).
                if not hit:
                    l1, l2 = l1_next, l2_next
            if accept and unconfirmed and (not hit or dt_try > 0.5 * dt) and dt_try * 0.5 > dt_min:
                accept = False
                unconfirmed = False
                halved = True
                dt_next = dt_try * 0.5
                attempts_left = np.int32(attempts_left + 1)  # not the run's attempt: max_steps is not charged
            elif accept and halved:
                halved = False
                dt_next = min(dt_next, dt_try)
            if accept:
                stopped = False
                if HOOKED:
                    stopped = on_accept(traj, k, t, dt_try, y, y_new, p, t_eval, t0, driver_times, driver_values,
                                        extras, region, persistent) == EVENT
                for i in range(N):
                    y[i] = y_new[i]
                n_accepted = np.int32(n_accepted + 1)
                if EVENTS and stopped:
                    status = EVENT
                    break
                if hit:
                    t = target
                    if not EXTEND or k < n_save:
                        save(traj, k, t, y, p, u, obs, driver_times, driver_values, out_y, out_obs)
                        if HOOKED:
                            on_save(traj, k, t_eval, t0, extras, region, persistent)
                    k += 1
                    if k < n_stops:
                        target = stop_time(t_eval, k, t_end)
                        edge = edge_of(target)
                    dt = max(dt_next, dt)
                else:
                    t = t + dt_try
                    dt = dt_next
            else:
                n_rejected = np.int32(n_rejected + 1)
                # The smallest step: dt_min (the controller's dt: the representable dt_try may round above it),
                # the float64 resolution of t, or a retry that would snap to the
                # same step again (the save time is within the snap's rounding margin of t: at t0 = 1e15 a span
                # of 1 is 8 ulps; SciPy's "required step size is less than spacing between numbers").
                # Or a retry no shorter than the step just rejected: within a few ulps of t a smaller dt rounds
                # back to the same representable step, which a finite-time blow-up (y' = y^2) then retried until
                # max_steps (100000 rejections, where SciPy stops at once).
                if (min(dt_try, dt) <= dt_min or t + dt_next == t or (t + dt_next) - t >= dt_try
                        or (hit and edge - t <= dt_next * (1.0 + _SNAP))):
                    if CAN_FAIL and code != SUCCESS:
                        status = code
                    else:
                        status = UNDERFLOW if all_finite(y_new) else NONFINITE
                    break
                dt = dt_next
                prime(t, y, p, driver_times, driver_values, region, persistent)
                if PRIME_RHS:
                    n_extra = np.int32(n_extra + 1)
        fill_nan(traj, k, out_y, out_obs)
        if HOOKED:
            finish(traj, k, status, t_eval, t0, t_end, extras, region, persistent)
        n_rhs = np.int32(-1)
        if COUNTED or RHS_WORKED:
            n_rhs = np.int32((n_accepted + n_rejected) * PER_STEP + n_extra + totals[0])
            if EVENTS:
                n_rhs = np.int32(n_rhs + extras[3][traj, 0])
        record_work(traj, extras[3], totals)
        return status, n_accepted, n_rejected, n_rhs

    return loop
