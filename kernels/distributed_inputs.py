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
from .input_precision import warn_rounded_inputs
from .validation import finite_rows

__all__ = ["is_dask_array", "stand_in", "check_partner", "lazy_rows", "lazy_parts", "check_chunk", "host_checks",
           "dask_remedy", "CHECKED_ON_CLIENT"]

# the categories of the warnings of host_checks: a chunk's warnings of these raised before its kernel launched
# are not raised again (those drawn from its results are: kernels.distributed_worker.raise_warnings)
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
        lazy_name = "y0" if eager == "params" else "params"
        raise ConfigurationError(f"with a dask array input, {eager} must be one row (broadcast) or a dask array "
                                 f"too; got {rows} rows: make it a dask array cut as {lazy_name} is, "
                                 f"{eager} = dask.array.from_array({eager}, chunks=({lazy_name}.chunks[0], -1)), "
                                 f"or pass one row")


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
    """A dask array's chunk (its rows from ``start``) on a worker, as ``dtype``; refused when not finite, with the
    remedy one process gives (drop the bad rows: ``keep = ...``), spelled for a dask array (:func:`dask_remedy`).
    Float32 rows of a float64 solve are warned about as one process's are (:func:`warn_rounded_inputs`): the
    client's stand-in holds no values."""
    rows = np.asarray(rows)
    warn_rounded_inputs(rows, what, dtype)
    return finite_rows(rows, what, dtype, start, remedy=dask_remedy(what, dtype))


def dask_remedy(what, dtype):
    """How to drop the rows of a dask array ``what`` that are not finite in ``dtype``, lazily: the plain remedy's
    ``np.asarray(what)[keep]`` would pull the whole batch to the client, and a masked dask array needs its chunks'
    lengths (:func:`stand_in` refuses it without)."""
    test = (f"np.isfinite({what})" if np.dtype(dtype) == np.float64 else
            f"(abs({what}) <= {float(np.finfo(dtype).max):.6g})")
    return (f"the chunks are checked on the workers, so other rows may fail too; to run the others, drop every "
            f"such row first: keep = {test}.all(axis=1), then pass {what}[keep].compute_chunk_sizes() (and the "
            f"other inputs' rows [keep], a dask array's with .compute_chunk_sizes() too)")


# -- the host-side checks of a solve, once on the client ------------------------------------------
def host_checks(integrator, t_span, y0, params, given_params, dt, rtol, atol, drivers, t_eval=None, dt_max=np.inf,
                max_steps=None):
    """The checks :meth:`kernels.Integrator.solve` makes of host inputs before launching
    (:func:`kernels.solve_checks.check_host_inputs`), made once here on the client for the whole batch (``y0`` and
    ``params``: the checked rows; ``given_params``: as the user gave them), with one process's warnings, each once.
    Returns the run's validated ``(rtol, atol)`` and the system as the host's checks and hints see it."""
    from .solve_checks import check_host_inputs
    from .time_checks import check_span, check_step_bounds, check_t_eval
    from .validation import check_positive

    t0, t_end = check_span(t_span)
    rtol, atol, _, _, host, _ = check_host_inputs(integrator, t0, t_end, check_positive(dt, "dt", allow_none=True), y0,
                                               params, given_params, rtol, atol, drivers,
                                               t_eval=check_t_eval(t_eval, t0, t_end),
                                               dt_max=check_step_bounds(0.0, dt_max)[1], max_steps=max_steps)
    return rtol, atol, host
