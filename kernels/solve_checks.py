"""The checks a solve makes of its host inputs before a launch, in one place.

:meth:`kernels.Integrator.solve` makes them for its batch, and a Dask solve
(:mod:`kernels.distributed`) makes them once on the client for the whole batch
before any chunk is sent: a worker sees only its chunk's rows, already rounded
to the working precision, and its checks missed the float32 rounding of a
frequency far from t = 0 and warned once per chunk (a user's trial).  Written
twice, the two copies had drifted within a day.
"""

from __future__ import annotations

import numpy as np

from . import tolerances
from .far_time64 import warn_far_time_float64
from .float32_range import warn_float32_range
from .batch_inputs import given_rows, row_of
from .driver_switches import warn_hidden_switches
from .drivers import driven_on_host, drivers_at, validate_drivers, warn_step_past_samples
from .errors import ConfigurationError, JacobianCheckWarning, UnusedOptionWarning, warn_user
from .integrator_checks import (STABILITY_RHS_BUDGET, check_newton_scale, probe_rows, probed_inputs,
                                remember_checked, warn_float32_rtol, warn_kappa_capped, warn_tight_kept_factor,
                                warn_unstable_fixed_step)
from .time_branches import warn_time_branches
from .time_checks import check_dt_max_reach

__all__ = ["check_host_inputs", "warn_dt_past_saves", "warn_suspect_derivative"]

CHECKS_KEPT = 32  # verdicts an Integrator remembers per kind of check (the oldest dropped first)


def check_host_inputs(integrator, t0, t_end, dt, y0, params, given_params, rtol, atol, drivers, on_device=False,
                      t_eval=None, dt_max=np.inf, max_steps=None):
    """Check a solve's inputs on the host and warn where the run cannot be trusted; return ``(rtol, atol,
    driver_times, driver_values, host, unstable)``: the tolerances as per-state arrays, the drivers' samples, the
    system as the host's checks and hints see it (:func:`kernels.drivers.driven_on_host`), and an explicit fixed
    step's stability verdict for the solve's result (:func:`_checked_stability`; None where there is none).

    ``y0`` and ``params`` are the batch's rows in the working precision, ``given_params`` as the user gave them
    (the far-from-t=0 check compares their float32 rounding); ``rtol`` / ``atol`` None take the defaults.  With
    ``y0`` on the device (``on_device``) nothing that reads the rows is checked.  ``t_eval`` (the checked save
    times, where every step lands) and ``dt_max`` let an adaptive run's drivers be checked for a switch a step can
    hide (:func:`kernels.driver_switches.warn_hidden_switches`), and a fixed step's for one it passes over
    (:func:`kernels.drivers.warn_step_past_samples`); without ``t_eval`` those checks are skipped, as the landing
    times are unknown.  With ``max_steps``, a ``dt_max`` that needs more steps to reach the end is refused first
    (:func:`kernels.time_checks.check_dt_max_reach`).  A global or closure value the system's functions read that
    changed since it was built is refused first (:meth:`kernels.ODESystem.check_unchanged`), before any check runs
    those functions.
    """
    system, dtype = integrator.system, integrator.dtype
    if max_steps is not None and dt_max is not None:  # before anything runs the user's functions: a sure MAX_STEPS
        check_dt_max_reach(dt_max, max_steps, t0, _integrated_to(integrator, t_end, t_eval), integrator.adaptive,
                           t_eval, any(event.terminal for event in integrator.settings.events))
    # the checks below evaluate the live Python functions: after a global they read changed, those no longer match
    # the compiled code, and the float32 check compared the two (a long, irrelevant PrecisionWarning came before
    # the error that names the change: a climate modeller's notebook sweep of a heat capacity)
    system.check_unchanged()
    driver_times, driver_values = validate_drivers(drivers, system.n_drivers, dtype, (t0, t_end))
    host = driven_on_host(system, driver_times, driver_values)  # the host's checks see u interpolated at t
    unstable = None
    if not integrator.adaptive and integrator.method.explicit and not on_device and dt is not None:
        unstable = _checked_stability(integrator, host, dt, t0, t_end, y0, params)
    rtol, atol = _checked_tolerances(integrator, host, t0, t_end, y0, params, given_params, rtol, atol, on_device)
    reached = _integrated_to(integrator, t_end, t_eval)
    if (integrator._pattern is not None or integrator._given_pattern is not None) and not on_device:
        integrator._check_pattern(t0, y0, params, reached)
    if not integrator.adaptive and dt is not None and t_eval is not None:
        warn_dt_past_saves(dt, t0, reached, t_eval)
    if system.n_drivers and not integrator.adaptive:
        warn_step_past_samples(driver_times, driver_values, dt, t0, reached, t_eval)
    if system.n_drivers and integrator.adaptive and t_eval is not None:
        warn_hidden_switches(driver_times, driver_values, t0, reached, t_eval, np.inf if dt_max is None else dt_max)
    if t_eval is not None:  # a pulse written in the rhs as a function of t (a cardiac trial: missed, with success)
        warn_time_branches(system, t0, reached, t_eval, dt, integrator.adaptive, np.inf if dt_max is None else dt_max,
                           None if on_device or system.n_drivers else _rows_checked(y0, params, system.n_states))
    if not on_device and not integrator.method.explicit:  # with the drivers' values at t0 (a wrong jac went unseen)
        integrator._check_derivatives(t0, y0, params, drivers_at(t0, driver_times, driver_values))
    warn_suspect_derivative(integrator)
    return rtol, atol, driver_times, driver_values, host, unstable


def _rows_checked(y0, params, n_states):
    """``(y, p)`` in float64 of the rows the host checks look at (:func:`kernels.integrator_checks.probe_rows`): a
    pulse's jump is confirmed at any of them, since a stimulus amplitude swept from 0 has none in the first row (a
    neuroscientist's trial: radau stepped over the pulse in every other row, unwarned)."""
    return [(np.asarray(row_of(y0, r), np.float64), np.asarray(row_of(params, r), np.float64))
            for r in probe_rows(y0, params, n_states, 0)]


#: Share of ``dt`` by which a save interval must fall short of it for :func:`warn_dt_past_saves` to count it.
DT_SLACK = 1e-3


def warn_dt_past_saves(dt, t0, reached, t_eval, share=0.1):
    """UnusedOptionWarning where a fixed step ``dt`` is longer than the spacing of the save times over at least
    ``share`` of the span integrated (``t0`` to ``reached``), in 2 or more save intervals: fixed steps restart at
    each save time, so every step there is the save spacing, whatever ``dt``.  rk4 saved every 0.01 on [10, 20] gave
    the same answer there at dt = 0.05 and 0.02, and a dt convergence study measured nothing, with no word (a
    mechanical engineer's trial).  A save or two closer than ``dt`` (a time of interest near the start) says
    nothing: the steps elsewhere are still dt's."""
    times = np.concatenate(([t0], np.asarray(t_eval, np.float64), [reached]))
    gaps = np.diff(times[(times >= t0) & (times <= reached)])
    # A spacing within DT_SLACK of dt is dt's own: a linspace's rounding, float32 save times (1e-4 of dt by t = 4
    # at dt = 0.01) or float64 ones far from 0 (1.5e-5 at t = 1e8, dt = 1e-3) drew this warning on the step grid
    # itself (a regression hunt)
    short = (gaps > 0) & (gaps < dt * (1.0 - DT_SLACK))
    span = reached - t0
    if np.count_nonzero(short) < 2 or not span > 0 or np.sum(gaps[short]) < share * span:
        return
    where = np.flatnonzero(short)
    start, end = times[where[0]], times[where[-1] + 1]
    spacing = float(np.min(gaps[short]))
    warn_user(f"dt={dt:g} is longer than the spacing of t_eval ({spacing:.3g} at the closest) in {where.size} of "
              f"its intervals between t = {start:.12g} and {end:.12g}: fixed steps restart at each save time, so "
              f"there every step is the save spacing, not dt, and a change of dt changes nothing there (a dt "
              f"convergence study measures only the rest); save less densely there (t_eval spaced at least dt) or "
              f"take dt <= {spacing:.3g}", UnusedOptionWarning)


def _integrated_to(integrator, t_end, t_eval):
    """Where the loop stops: the last save time, or ``t_end`` where events or per-run summaries observe the whole
    span (:mod:`kernels.loop` item 3).  A switch past it is never met (a regression hunt: a ramp at t = 3 drew the
    fixed-step switch warning on a run saved at t = 2 alone, which stops there)."""
    if integrator.settings.whole_span or t_eval is None or not np.size(t_eval):
        return t_end
    return float(np.max(np.asarray(t_eval, np.float64)))


def _checked_stability(integrator, host, dt, t0, t_end, y0, params):
    """The fixed step's stability verdict on this batch (:func:`warn_unstable_fixed_step`, which warns), judged once
    per inputs and kept in the integrator's memo, so that a repeated call's result names it too (the warning, said
    once, was lost in a dosing loop): a :class:`kernels.step_stability.UnstableStep` with each trajectory's largest
    ``|y0|``, for the messages of the trajectories it names (:func:`kernels.result_notes.unstable_step_note`), or
    None where ``dt`` is stable at the rows probed."""
    # t_end in the key: the verdict counts the steps (a short solve's silence hid a long one's warning)
    tag = ("stable", float(dt), float(t0), float(t_end), getattr(host, "samples_digest", None))
    rows, key = probed_inputs(tag, y0, params, integrator.system.n_states, STABILITY_RHS_BUDGET)
    if key in integrator._stability_checked:  # once per inputs: a repeated call costs a lookup
        verdict = integrator._stability_checked[key]
    else:
        verdict = warn_unstable_fixed_step(integrator.method, host, dt, t0, t_end, rows)
        remember_checked(integrator._stability_checked, key, CHECKS_KEPT, verdict)
    if verdict is None:
        return None
    with np.errstate(invalid="ignore"):
        return verdict._replace(start=np.max(np.abs(np.asarray(y0, np.float64)), axis=1))


def _checked_tolerances(integrator, host, t0, t_end, y0, params, given_params, rtol, atol, on_device):
    """``rtol`` and ``atol`` as per-state arrays, checked against the precision and the rows (once per scalar pair
    for ``y0`` on the device, which is not inspected)."""
    system, dtype, method = integrator.system, integrator.dtype, integrator.method
    rtol = tolerances.default_rtol(dtype) if rtol is None else rtol
    atol = tolerances.DEFAULT_ATOL if atol is None else atol
    scalar_tolerances = (rtol, atol) if isinstance(rtol, float) and isinstance(atol, float) else None
    rtol, atol = integrator._tolerance(rtol, "rtol"), integrator._tolerance(atol, "atol")
    if scalar_tolerances is not None and on_device and scalar_tolerances in integrator._reachable:
        return rtol, atol
    if integrator.adaptive and np.any((rtol == 0) & (atol == 0)):
        raise ConfigurationError("rtol and atol must not both be 0 for the same state component")
    tolerances.check_tolerance_reachable(rtol, atol, y0, dtype, integrator.adaptive,
                                         newton=method.family in ("dirk", "firk"))

    def probed_rows():
        rows = probe_rows(y0, params, system.n_states, 0)  # 11 at most
        return zip(rows, (row_of(y0, r) for r in rows), given_rows(given_params, params, rows))

    warn_kappa_capped(integrator.solver, method, dtype, rtol, integrator.adaptive)
    if integrator.adaptive:
        warn_tight_kept_factor(integrator.solver, method, dtype, rtol)
        warn_float32_rtol(method, dtype, rtol, atol, None if on_device else y0)
        if not on_device:
            tolerances.warn_far_time_origin(host, t0, t_end, probed_rows, dtype, rtol, atol)
            warn_far_time_float64(host, t0, t_end, probed_rows, dtype, rtol, atol, method)
            tolerances.warn_far_time_events(integrator.settings.events, system, t0, t_end, probed_rows, dtype, rtol)
    if not on_device and np.dtype(dtype) == np.float32:
        warn_float32_range(host, t0, probed_rows(), dtype, integrator._cpu_compiled)
    if method.family in ("dirk", "firk") and not on_device:  # Rosenbrock steps have no Newton
        check_newton_scale(atol, y0)
    if scalar_tolerances is not None and on_device:
        integrator._reachable.add(scalar_tolerances)
    return rtol, atol


def warn_suspect_derivative(integrator):
    """JacobianCheckWarning, once per Integrator, where the method uses a ``jac`` or ``jvp`` that disagreed with
    differences of the rhs when the system was built."""
    suspect = integrator._suspect_derivative()
    if suspect is not None and not integrator._warned_suspect:
        integrator._warned_suspect = True
        warn_user(f"{integrator.method.name} uses the {suspect} of system {integrator.system.name!r}, which "
                  f"disagreed with differences of its rhs when the system was built: a wrong {suspect} can make "
                  "this run wrong, or crawl to max_steps; fix it, or build the system without it so that "
                  "differences are used", JacobianCheckWarning)
