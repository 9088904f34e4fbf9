"""Dask-array ``y0`` and ``params`` of a distributed solve: checked on the client, computed and checked per chunk.

The client never holds a dask array's values: :func:`stand_in` checks its
shape and dtype and gives a one-row host stand-in for the rest of the
client's validation, :func:`lazy_rows` settles the batch size, and
:func:`lazy_parts` cuts the array at the chunks' trajectory ranges, computed on
the workers.  There each chunk's rows are checked for finite values
(:func:`check_chunk`), with the index a message names counted in the whole
batch, as one process would name it.

Host inputs are checked once on the client for the whole batch
(:func:`host_checks`), as :meth:`kernels.Integrator.solve` checks them in one
process: the same warnings, each once, before any chunk is sent.
"""

from __future__ import annotations

import numpy as np

from .errors import (ConfigurationError, JacobianCheckWarning, PrecisionWarning, SamplingWarning, StabilityWarning,
                     ToleranceWarning, UnusedOptionWarning)
from .validation import finite_rows

__all__ = ["is_dask_array", "stand_in", "check_partner", "lazy_rows", "lazy_parts", "check_chunk", "host_checks",
           "CHECKED_ON_CLIENT"]

# the categories of the warnings of host_checks: a chunk's warnings of these are not raised again
CHECKED_ON_CLIENT = (ToleranceWarning, PrecisionWarning, StabilityWarning, SamplingWarning, JacobianCheckWarning,
                     UnusedOptionWarning)


def is_dask_array(value) -> bool:
    module = type(value).__module__
    return module.startswith("dask.array") or module.startswith("dask_array")


def stand_in(value, what, width):
    """A one-row host stand-in for a dask array (checked for shape here, computed on the workers); else ``value``."""
    if not is_dask_array(value):
        return value
    if value.ndim == 2 and value.shape[1] == width and np.isnan(value.shape[0]):
        raise ConfigurationError(f"a dask array {what} must have shape (N, {width}) with N known; got shape "
                                 f"{value.shape}, whose row count is unknown (as after filtering by a condition): "
                                 f"call {what}.compute_chunk_sizes() first, which computes its chunks' lengths")
    if value.ndim != 2 or value.shape[1] != width or any(np.isnan(n) for n in value.shape):
        raise ConfigurationError(f"a dask array {what} must have shape (N, {width}) with N known; "
                                 f"got shape {value.shape}")
    if value.dtype.kind not in "iuf":
        raise ConfigurationError(f"{what} must hold real numbers; got a dask array of dtype {value.dtype}")
    return np.zeros((1, width))


def check_partner(y0, params, lazy, n_params):
    """Beside a dask array, the other input must be one row (broadcast) or a dask array too.

    Checked before the inputs' shapes are compared, where the dask array's one-row stand-in would be named.
    """
    if lazy["y0"] == lazy["params"]:
        return
    eager, value = ("params", params) if lazy["y0"] else ("y0", y0)
    if eager == "params" and (n_params == 0 or value is None):
        return
    rows = np.shape(value)[0] if np.ndim(value) == 2 else 1
    if rows != 1:
        raise ConfigurationError(f"with a dask array input, {eager} must be one row (broadcast) or a dask array "
                                 f"too; got {rows} rows")


def lazy_rows(y0, params, n_traj, lazy):
    """The batch size when y0 or params is a dask array (their row counts must agree)."""
    rows = {name: int(value.shape[0]) for name, value in (("y0", y0), ("params", params)) if lazy[name]}
    if len(set(rows.values())) > 1:
        raise ConfigurationError(f"y0 and params must have the same number of rows N; got {rows}")
    return next(iter(rows.values())) if rows else n_traj


def lazy_parts(client, array, ranges):
    """Futures of ``array``'s rows cut at ``ranges``, computed on the workers (recomputable when lost)."""
    sizes = tuple(stop - start for start, stop in ranges)
    blocks = array.rechunk({0: sizes, 1: -1}).to_delayed().ravel().tolist()
    return client.compute(blocks)


def check_chunk(rows, what, dtype, start):
    """A dask array's chunk (its rows from ``start``) on a worker, as ``dtype``; refused when not finite."""
    return finite_rows(np.asarray(rows), what, dtype, start)


# -- the host-side checks of a solve, once on the client ------------------------------------------
def host_checks(integrator, t_span, y0, params, given_params, dt, rtol, atol, drivers):
    """The checks :meth:`kernels.Integrator.solve` makes of host inputs before launching, made once here on the
    client for the whole batch (``y0`` and ``params``: the checked rows; ``given_params``: as the user gave them,
    whose float32 rounding the far-from-t=0 check compares), with one process's warnings, each once.

    A worker sees only its chunk's rows, already rounded to the working precision: its checks missed the rounding
    of a frequency far from t = 0 and warned once per chunk.  Returns the run's validated ``(rtol, atol)`` and the
    system as the host's checks and hints see it (:func:`kernels.drivers.driven_on_host`).
    """
    from . import tolerances
    from .drivers import driven_on_host, validate_drivers
    from .integrator import _CONSTANTS_KEPT
    from .integrator_checks import STABILITY_RHS_BUDGET, probed_inputs, remember_checked, warn_unstable_fixed_step
    from .validation import check_positive, check_span

    system, dtype = integrator.system, integrator.dtype
    dt = check_positive(dt, "dt", allow_none=True)
    t0, t_end = check_span(t_span)
    driver_times, driver_values = validate_drivers(drivers, system.n_drivers, dtype, (t0, t_end))
    host = driven_on_host(system, driver_times, driver_values)  # the host's checks see u interpolated at t
    if not integrator.adaptive and integrator.method.family == "erk" and dt is not None:
        tag = ("stable", float(dt), float(t0), float(t_end), getattr(host, "samples_digest", None))
        rows, key = probed_inputs(tag, y0, params, system.n_states, STABILITY_RHS_BUDGET)
        if key not in integrator._stability_checked:  # once per inputs, as one process
            warn_unstable_fixed_step(integrator.method, host, dt, t0, t_end, rows)
            remember_checked(integrator._stability_checked, key, _CONSTANTS_KEPT)
    rtol = integrator._tolerance(tolerances.default_rtol(dtype) if rtol is None else rtol, "rtol")
    atol = integrator._tolerance(tolerances.DEFAULT_ATOL if atol is None else atol, "atol")
    if integrator.adaptive and np.any((rtol == 0) & (atol == 0)):
        raise ConfigurationError("rtol and atol must not both be 0 for the same state component")
    _tolerance_checks(integrator, host, t0, t_end, y0, params, given_params, rtol, atol)
    _derivative_checks(integrator, t0, y0, params, dt, driver_times, driver_values)
    return rtol, atol, host


def _tolerance_checks(integrator, host, t0, t_end, y0, params, given_params, rtol, atol):
    from . import tolerances
    from .batch_inputs import given_rows, row_of
    from .integrator_checks import check_newton_scale, probe_rows, warn_float32_rtol, warn_kappa_capped

    system, dtype, method = integrator.system, integrator.dtype, integrator.method

    def probed_rows():
        rows = probe_rows(y0, params, system.n_states, 0)  # 11 at most
        return zip(rows, (row_of(y0, r) for r in rows), given_rows(given_params, params, rows))

    tolerances.check_tolerance_reachable(rtol, atol, y0, dtype, integrator.adaptive)
    warn_kappa_capped(integrator.solver, method, dtype, rtol)
    if integrator.adaptive:
        warn_float32_rtol(method, dtype, rtol, atol, y0)
        tolerances.warn_far_time_origin(host, t0, t_end, probed_rows, dtype, rtol, atol)
        tolerances.warn_far_time_events(integrator.settings.events, system, t0, t_end, probed_rows, dtype, rtol)
    if np.dtype(dtype) == np.float32:
        tolerances.warn_float32_range(host, t0, probed_rows(), dtype)
    if method.family in ("dirk", "firk"):  # Rosenbrock steps have no Newton
        check_newton_scale(atol, y0)


def _derivative_checks(integrator, t0, y0, params, dt, driver_times, driver_values):
    from .drivers import drivers_at, warn_step_past_samples
    from .errors import warn_user

    system = integrator.system
    if integrator._pattern is not None or integrator._given_pattern is not None:
        integrator._check_pattern(t0, y0, params)
    if system.n_drivers and not integrator.adaptive:
        warn_step_past_samples(driver_times, driver_values, dt)
    if integrator.method.family != "erk":  # with the drivers' values at t0
        integrator._check_derivatives(t0, y0, params, drivers_at(t0, driver_times, driver_values))
    suspect = integrator._suspect_derivative()
    if suspect is not None and not integrator._warned_suspect:
        integrator._warned_suspect = True
        warn_user(f"{integrator.method.name} uses the {suspect} of system {system.name!r}, which disagreed with "
                  f"differences of its rhs when the system was built: a wrong {suspect} can make this run wrong, "
                  f"or crawl to max_steps; fix it, or build the system without it so that differences are used",
                  JacobianCheckWarning)
