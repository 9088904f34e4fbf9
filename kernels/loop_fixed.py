"""The fixed-step loop (contract in :mod:`kernels.loop`)."""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from . import status as codes
from .approx import reciprocal_seed_f64
from .loop_work import WorkCounter
from .rematerialize import rematerializers
from .time_checks import STEP_SNAP

__all__ = ["build_fixed_loop", "FINITE_CHECK_STEPS", "lands_apart", "no_prime"]

_INT32_MAX = 2 ** 31 - 1
# An interval's step count is capped here, far above any max_steps (an int32), so that a span of more than
# 2^63 steps (t_span (0, 1e30) at dt 0.01) stops at MAX_STEPS instead of overflowing the int64 count.
_MOST_STEPS = float(2 ** 62)
# A fixed-step run tests the state for inf/NaN every this many steps (a power of two: one AND).  The
# test ends a run of steps, and each run costs the loop a few dozen instructions: at 32 that was 1.5 %
# of RK4's time on Lorenz (H200, benchmarks/results/floor_check_interval_2026-12-02/); at 1024 it is
# noise.  A trajectory that blows up steps on in NaN until the test, as its warp does anyway.
FINITE_CHECK_STEPS = 1024


def lands_apart(built):
    """Whether the loop calls the step that lands on a save time apart from its runs of steps of exactly ``dt``.

    True for a step that cannot fail (explicit); an implicit one is called from one site, its landing
    step selected at run time.  The hooks are then built with ``regular_steps`` (:mod:`kernels.loop_hooks`).
    """
    return not built.can_fail


@cuda.jit(device=True, inline="always")
def no_prime(t, y, p, driver_times, driver_values, region, persistent):
    pass


def build_fixed_loop(parts, built):
    """Fixed step: no controller, no error estimate, no rejection; an integer count per step.

    Between save times the loop takes exactly ``ceil(interval / dt)`` steps
    (the ratio is rounded to the nearest integer first when it is within
    :data:`kernels.time_checks.STEP_SNAP` of one, so float64 rounding never adds a sliver step), at
    ``start + j dt``; the last one lands on the save time.  The count, its
    ``max_steps`` cap and the stalled-time test are computed once a save
    interval.  Per step: the step, the state copy, an integer count and one
    AND-and-branch for the finiteness test every :data:`FINITE_CHECK_STEPS`.
    The hooks (:mod:`kernels.loop_hooks`) are compiled in only when summaries
    or events are asked for; ``n_rhs`` is arithmetic on the counts at the end.
    """
    N = parts.n_states
    buffers, start, save, tolerances = parts.buffers, parts.start, parts.save, parts.tolerances
    all_finite, fill_nan = parts.all_finite, parts.fill_nan
    hooks, HOOKED, EVENTS, EXTEND = parts.hooks, parts.hooked, parts.events, parts.extend
    stop_time, stop_count = parts.stop_time, parts.stop_count
    on_step, on_land, on_save = hooks.on_step, hooks.on_land, hooks.on_save
    begin, finish = hooks.begin, hooks.finish
    COUNTED = parts.rhs_per_step is not None
    PER_STEP = parts.rhs_per_step if COUNTED else 0
    step, PRIMED = built.device_function, built.prime_function is not None
    prime = built.prime_function if PRIMED else no_prime
    CAN_FAIL = built.can_fail
    work = WorkCounter(built, refined=parts.events)
    WORKED, RHS_WORKED, NO_WORK = work.worked, work.rhs_counted, work.NONE
    add_work, record_work = work.add, work.record
    PRIME_RHS = work.prime_rhs
    # An implicit step (one that can fail) is thousands of instructions: called from one site, the
    # landing step's time and size selected in the loop, it is inlined once, which halves the kernel's
    # code and its compile time.  An explicit step is small; its run of full steps stays a bare
    # counted loop (unrolled by the compiler) and the landing step its own call.
    ONE_SITE = CAN_FAIL
    assert not (ONE_SITE and hooks.regular_steps), "one call site: the landing step is not called apart"
    STOPS = CAN_FAIL or EVENTS  # a step can end the run with a code
    SUCCESS, MAX_STEPS, EVENT = codes.SUCCESS, codes.MAX_STEPS, codes.EVENT
    UNDERFLOW, NONFINITE = codes.STEP_SIZE_UNDERFLOW, codes.NONFINITE_STATE
    CHECK_MASK = np.int32(FINITE_CHECK_STEPS - 1)
    ONE32 = np.int32(1)
    rcp64 = reciprocal_seed_f64()

    # Summaries(every > 1), explicit steps without events only (kernels.integrator refuses the rest): the
    # runs of steps are unhooked, and the general hook takes a sample at every step count that is a multiple
    # of EVERY and after the landing step, given the span from the last sample (the trapezoid's step).
    EVERY = np.int32(parts.sample_every)
    SAMPLED = HOOKED and EVERY > 1
    assert not (SAMPLED and (ONE_SITE or EVENTS or hooks.regular_steps)), "sampled summaries: explicit, no events"
    # An explicit loop that is unhooked, or hooked only at its samples (whose spans are counts times dt), holds
    # nothing of the interval across its runs of steps: the times and the trajectory's index are read again
    # after them (kernels.rematerialize), which frees their registers.
    REREAD = not ONE_SITE and (SAMPLED or not HOOKED)
    reread, grid_index = rematerializers()

    def make_advance(on_accept):
        HOOK = HOOKED and on_accept is not None

        @cuda.jit(device=True, inline="always")
        def advance(traj, k, t, h, dt, y, p, y_new, err, tol, t_eval, t0, driver_times, driver_values, extras,
                    region, persistent, totals):
            """One step of ``h`` from ``t`` (``dt`` the run's step); the state takes the proposal unless it failed.

            Returns the step's code, or EVENT when a terminal event cut the step (the state is then the event's),
            and ``totals`` with the step's work (taken before the hook, whose event refinement steps again).
            """
            code = step(t, h, y, p, y_new, err, PRIMED, tol, driver_times, driver_values, region, persistent)
            if WORKED:
                totals = add_work(totals, region, persistent)
            if not (CAN_FAIL and code != SUCCESS):
                if HOOK:
                    code = on_accept(traj, k, t, h, dt, y, y_new, p, t_eval, t0, driver_times, driver_values,
                                     extras, region, persistent)
                for i in range(N):
                    y[i] = y_new[i]
            return code, totals

        return advance

    # The runs of steps of dt, and the step that lands on the save time (the hooks' on_step and on_land).
    advance, advance_landing = make_advance(on_step), make_advance(on_land)
    if SAMPLED:
        advance = advance_landing = make_advance(None)

    @cuda.jit(device=True, inline="always")
    def sample(traj, k, t_last, span, dt, y, p, t_eval, t0, driver_times, driver_values, extras, region,
               persistent):
        """The statistics at ``t_last + span`` (state ``y``): ``span`` is the trapezoid's step from the last sample."""
        on_step(traj, k, t_last, span, dt, y, y, p, t_eval, t0, driver_times, driver_values, extras, region,
                persistent)

    @cuda.jit(device=True, inline="always")
    def taken(code):
        """1 when the step counts: it was accepted, or a terminal event cut it; 0 when it failed."""
        if not STOPS or code == SUCCESS or (EVENTS and code == EVENT):
            return np.int32(1)
        return np.int32(0)

    @cuda.jit(device=True, inline="always")
    def count(interval, dt):
        # interval / dt without a division: float64 division is a subroutine call, whose registers
        # add to the ones live at the call.  From a ~2^-20 reciprocal, two corrections reach an ulp.
        inv = rcp64(dt)
        ratio = interval * inv
        ratio = ratio + (interval - ratio * dt) * inv
        ratio = min(ratio + (interval - ratio * dt) * inv, _MOST_STEPS)
        nearest = math.floor(ratio + 0.5)
        if abs(ratio - nearest) <= STEP_SNAP * nearest:
            return max(np.int64(nearest), np.int64(1))
        return np.int64(math.ceil(ratio))

    @cuda.jit(device=True, inline="always")
    def landing(t_start, n_full, dt, target):
        """``(t_last, h_last)``: the time and size of the interval's last step, which lands on ``target``.

        ``h_last`` completes the ``n_full`` steps of ``dt`` to the interval's length, so the steps integrate
        ``target - t_start`` whatever the rounding of ``t_last`` (an ulp of ``t``: 1.5e-5 at t = 1e11).
        """
        span = n_full * dt
        return t_start + span, (target - t_start) - span

    @cuda.jit(device=True)
    def loop(traj, y0, params, t_eval, times, max_steps, driver_times, driver_values, atol, rtol,
             out_y, out_obs, extras, region, persistent):
        y, p, y_new, err, u, obs = buffers(region, persistent)
        tol = tolerances(atol, rtol, region, persistent)
        t0, t_end, dt, dt_min, dt_max = times
        k = start(traj, y0, params, t_eval, t0, y, p, u, obs, driver_times, driver_values, out_y, out_obs)
        if HOOKED:
            begin(traj, k, t0, y, p, t_eval, driver_times, driver_values, extras, region, persistent)
        n_save = t_eval.shape[0]
        k_first = k
        t_start = t0
        status = SUCCESS
        n_accepted = np.int32(0)  # int32 as returned (see the adaptive loop)
        totals = NO_WORK  # the step's work (kernels.loop_work): rhs, Jacobians, factorisations, Newton
        limit_steps = np.int32(min(max_steps, _INT32_MAX))
        # The stops: the save times, then t_end when the hooks need the whole span (kernels.loop item 3).
        n_stops = stop_count(t_eval, t_end)
        primed = k < n_stops
        if primed:
            prime(t_start, y, p, driver_times, driver_values, region, persistent)
        while k < n_stops:
            target = stop_time(t_eval, k, t_end)
            if t_start + dt == t_start:
                status = UNDERFLOW
                break
            # Everything about the interval is settled before its steps, so that only the state, the
            # parameters, the step size, the count and its bound stay live across the step loop (its
            # register peak; with REREAD the times and the trajectory's index are read again after it).
            # A capped run (n_interval > steps left) takes the steps left, all of exactly dt, and stops:
            # its bound is then the cap itself, which is how it is recognised.
            n_interval = count(target - t_start, dt)
            n_full = np.int32(min(n_interval - 1, np.int64(limit_steps - n_accepted)))
            t_last, h_last = landing(t_start, n_full, dt, target)
            base = n_accepted
            stop = np.int32(n_accepted + n_full)
            # Steps of exactly dt at t_start + j dt (the step size is loop-invariant, so the step's
            # conversion of it to the working precision is hoisted and the time is dead code for an
            # autonomous rhs), then the one step that lands on the save time.  One counter: the step
            # index is its distance from base, and a finiteness failure shows as a loop left early.
            # The steps run in runs that end on multiples of FINITE_CHECK_STEPS, where the state is tested: a
            # run's own loop is a bare counted loop (the step and the count), which the compiler unrolls.
            # With ONE_SITE the landing step is the loop's last (its time and size selected), so the step
            # is inlined once.
            last = stop
            if ONE_SITE and stop != limit_steps:
                last = np.int32(stop + 1)
            while SAMPLED and n_accepted < last:
                # Unhooked steps to the next sample (the next multiple of EVERY) or to the last full step, the
                # sample there over the span from the last one (base's or a multiple of EVERY); then blocks of
                # EVERY steps (a constant trip count, unrolled), each closed by a sample over EVERY dt, while
                # they fit and have not passed a multiple of FINITE_CHECK_STEPS; then the finiteness test.  Only
                # the count and its bound are carried across the steps: the rest is derived from them.
                to = np.int32(n_accepted + (EVERY - n_accepted % EVERY))
                while n_accepted < min(last, to):
                    advance(traj, k, t_start + np.int32(n_accepted - base) * dt, dt, dt, y, p, y_new, err, tol,
                            t_eval, t0, driver_times, driver_values, extras, region, persistent, NO_WORK)
                    n_accepted = np.int32(n_accepted + ONE32)
                if n_accepted == to:
                    from_count = max(np.int32(n_accepted - EVERY), base)
                    sample(traj, k, t_start + np.int32(from_count - base) * dt,
                           np.int32(n_accepted - from_count) * dt, dt, y, p, t_eval, t0, driver_times, driver_values,
                           extras, region, persistent)
                    while np.int32(n_accepted + EVERY) <= last and (n_accepted & CHECK_MASK) >= EVERY:
                        j = np.int32(0)
                        while j < EVERY:
                            advance(traj, k, t_start + np.int32(n_accepted + j - base) * dt, dt, dt, y, p, y_new,
                                    err, tol, t_eval, t0, driver_times, driver_values, extras, region, persistent,
                                    NO_WORK)
                            j = np.int32(j + ONE32)
                        sample(traj, k, t_start + np.int32(n_accepted - base) * dt, EVERY * dt, dt, y, p, t_eval,
                               t0, driver_times, driver_values, extras, region, persistent)
                        n_accepted = np.int32(n_accepted + EVERY)
                if not all_finite(y):
                    break
            while not SAMPLED and n_accepted < last:
                run_end = min(last, np.int32((n_accepted | CHECK_MASK) + ONE32))
                while n_accepted < run_end:
                    ts, hs = t_start + np.int32(n_accepted - base) * dt, dt
                    if ONE_SITE and n_accepted == stop:
                        ts, hs = t_last, h_last
                    code, totals = advance(traj, k, ts, hs, dt, y, p, y_new, err, tol, t_eval, t0, driver_times,
                                           driver_values, extras, region, persistent, totals)
                    n_accepted = np.int32(n_accepted + taken(code))
                    if STOPS and code != SUCCESS:
                        status = code
                        break
                if STOPS and status != SUCCESS:
                    break
                if (n_accepted & CHECK_MASK) == 0 and not all_finite(y):
                    break
            if REREAD:
                traj = grid_index()
                target = t_end if EXTEND and k == n_save else reread(t_eval, k)
                t_start = t0 if k == k_first else reread(t_eval, k - 1)
                t_last, h_last = landing(t_start, n_full, dt, target)
            if STOPS and status != SUCCESS:
                break
            if n_accepted < last:
                status = NONFINITE
                break
            if stop == limit_steps:
                status = MAX_STEPS
                break
            if not ONE_SITE:
                code, totals = advance_landing(traj, k, t_last, h_last, dt, y, p, y_new, err, tol, t_eval, t0,
                                               driver_times, driver_values, extras, region, persistent, totals)
                n_accepted = np.int32(n_accepted + taken(code))
                if STOPS and code != SUCCESS:
                    status = code
                    break
                if SAMPLED:  # the last sample: the last multiple of EVERY in the window, else its start
                    t_last = t_start + np.int32(max(np.int32(stop - stop % EVERY), base) - base) * dt
                    sample(traj, k, t_last, target - t_last, dt, y, p, t_eval, t0, driver_times, driver_values,
                           extras, region, persistent)
            t_start = target
            if not all_finite(y):
                status = NONFINITE
                break
            if not EXTEND or k < n_save:
                save(traj, k, target, y, p, u, obs, driver_times, driver_values, out_y, out_obs)
                if HOOKED:
                    on_save(traj, k, t_eval, t0, extras, region, persistent)
            k += 1
        if status != SUCCESS and not all_finite(y):
            status = NONFINITE
        fill_nan(traj, k, out_y, out_obs)
        if HOOKED:
            finish(traj, k, status, t_eval, t0, t_end, extras, region, persistent)
        n_rhs = np.int32(-1)
        if COUNTED or RHS_WORKED:
            n_rhs = np.int32(n_accepted * PER_STEP + (1 if PRIME_RHS and primed else 0) + totals[0])
            if EVENTS:
                n_rhs = np.int32(n_rhs + extras[3][traj, 0])
        record_work(traj, extras[3], totals)
        return status, n_accepted, 0, n_rhs

    return loop
