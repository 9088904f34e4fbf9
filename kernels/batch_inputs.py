"""A solve's y0 and params: shapes checked against the system, one-row inputs broadcast, the batch size found
(params with names read by the system's parameter names first, :mod:`kernels.named_params`; y0 with names by its
state names, :mod:`kernels.named_states`)."""

from __future__ import annotations

import numpy as np

from . import validation as check
from .batch_layout import TEXT, array_items_message, check_layout, is_pandas, shared_and_columns_message, \
    transposed_square_message
from .errors import ConfigurationError, ParamNamesWarning, warn_user
from .named_params import by_name, param_names, positional_note
from .named_states import states_by_name

__all__ = ["batch_inputs", "given_rows", "row_of"]


def batch_inputs(system, y0, params, dtype):
    """``(y0, params, n_traj)`` checked in ``dtype``: the batch size from whichever of params and y0 is 2-D; 1-D is broadcast.

    ``params=None`` takes the system's ``default_params``; a system without parameters gets one shared row of
    zeros (a kernel argument may not be empty).  Device arrays are taken as batched.  A DataFrame's columns are
    taken by the system's parameter names where it has them (:func:`kernels.named_params.by_name`), else by position;
    y0's by its state names (:func:`kernels.named_states.states_by_name`, which refuses labels it would misread).
    """
    if params is None:
        if system.n_params and system.default_params is None:
            raise ConfigurationError(_params_required_message(system))
        params = system.default_params if system.n_params else np.zeros(0)
    for value, what in ((y0, "y0"), (params, "params")):  # before is_device_array, where a CUDA one raises
        check.refuse_autograd(value, what, items=False)
    given = params
    params = by_name(system, params)
    y0 = states_by_name(system, y0)
    params_batched = check.is_device_array(params) or _dims(params, "params", system.n_params, "n_params") == 2
    y0_on_device = check.is_device_array(y0)
    y0_batched = y0_on_device or _dims(y0, "y0", system.n_states, "n_states") == 2
    n_traj = None
    if params_batched:  # y0's rows only word the message of a wrongly shaped params
        with positional_note(system, params):
            params, n_traj = check.check_batch(params, "params", system.n_params, None, dtype, "n_params",
                                               rows_hint=len(y0) if y0_batched and not y0_on_device else None)
    y0, n_traj = check.check_batch(y0, "y0", system.n_states, n_traj, dtype, "n_states",
                                   ("params", system.n_params))
    if not params_batched:  # a shared y0 row sets no batch size for params to match
        with positional_note(system, params):
            params, _ = check.check_batch(params, "params", system.n_params, n_traj if y0_batched else None, dtype,
                                          "n_params")
    if system.n_params == 0:
        params = np.zeros((1, 1), dtype=dtype)  # a kernel argument may not be empty (one shared row)
    _warn_transposed_square(given, params, system.n_params)
    return y0, params, n_traj


def _warn_transposed_square(given, params, n_params):
    """:class:`kernels.ParamNamesWarning` where ``params`` (checked) is square, as many trajectories as parameters,
    and reads as transposed (:func:`kernels.batch_layout.transposed_square_message`): a square params in SciPy's
    orientation runs without an error, every trajectory with another's parameters (a mechanical engineer's trial).
    Not for a device array (left unread) nor a DataFrame, whose column names say which way it lies."""
    if check.is_device_array(params) or is_pandas(given, "DataFrame"):
        return
    message = transposed_square_message(params, "params", n_params,
                                        isinstance(given, (list, tuple)) and not isinstance(given, TEXT))
    if message:
        warn_user(message, ParamNamesWarning)


def _params_required_message(system):
    """What a solve without params says of a system with parameters and no defaults: the shapes params may take and
    how the system gets defaults (the bare "params are required" left a user to find both in the README)."""
    n = system.n_params
    names = param_names(system)
    order = f"[{', '.join(names)}]" if names else (f"p[0] to p[{n - 1}]" if n > 1 else "p[0]")
    one = f"a ({n},) array" + (" or one number" if n == 1 else "")
    return (f"params are required: system {system.name!r} has {n} parameter{'s' if n > 1 else ''} and no "
            f"default_params. Pass params as {one} (one row that every trajectory shares) or an (N, {n}) array (one "
            f"row per trajectory), in the order the rhs reads them ({order}); or build the system with "
            f"default_params ({n} number{'s' if n > 1 else ''}: kernels.ODESystem(..., default_params=[...]), or "
            "kernels.symbolic_system(..., default_params=...), which also takes a dict keyed by the params) to "
            "solve without params")


def _dims(value, what, width, width_name):
    """``np.ndim(value)``, or a ConfigurationError naming ``what`` for a ragged list (rows of unequal length), or
    for a tuple of per-parameter arrays of unlike shapes, ``(A, r)``, which NumPy finds ragged too (it was told to
    give rows, as a ragged list: an ecologist's trial), with :func:`kernels.batch_layout.check_layout`'s remedy; a
    tuple of numbers and columns, ``(g, friction)``, is stacked into rows
    (:func:`kernels.batch_layout.shared_and_columns_message`); rows of one length holding an array among their numbers
    are named so (:func:`kernels.batch_layout.array_items_message`).  A list holding a JAX tracer is refused as one
    (:func:`kernels.validation.refuse_traced`), one holding a tensor that requires grad as such
    (:func:`kernels.validation.refuse_autograd`)."""
    try:
        return np.ndim(value)
    except (TypeError, RuntimeError):  # a list holding a JAX tracer, or torch tensors that require grad
        check.refuse_traced(value, what)
        check.refuse_autograd(value, what)
        raise
    except ValueError:
        check_layout(value, what, width, width_name)
        items = (shared_and_columns_message(value, what, width, width_name)  # (g, friction): diffrax's args
                 or array_items_message(value, what, width, width_name))
        if items:  # [[beta, C], ...]: rows of one length holding a matrix (an epidemiologist's trial)
            raise ConfigurationError(items) from None
        raise ConfigurationError(f"{what} has rows of unequal length (a ragged list): give one row of {width} numbers "
                                 f"({width_name}) per trajectory, or one row for all") from None


def given_rows(given, checked, rows):
    """Trajectories ``rows``' parameters as the user gave them (float64, before the working precision rounded
    them), else those of ``checked`` (``given`` None, a device array, or not readable as numbers); a one-row
    input serves every trajectory.  A given row is taken only where it rounds to the checked one: a DataFrame
    read by name (:mod:`kernels.named_params`) holds its columns in its own order, which the rhs would misread."""
    checked = np.asarray(checked)
    values = _given_table(given, checked.shape[1:])
    return [_given_row(values, checked, r) for r in rows]


def _given_table(given, columns):
    """``given`` as a 2-D float64 array of ``columns``, or None where it is none, or not read that way."""
    if given is None or check.is_device_array(given):
        return None
    try:
        values = np.atleast_2d(np.asarray(given, dtype=np.float64))
    except (TypeError, ValueError):
        return None
    return values if values.shape[1:] == columns else None


def _given_row(values, checked, r):
    """Row ``r`` of ``values`` (the given table) where it rounds to ``checked``'s (in its precision), else that
    row of ``checked``, in float64."""
    row = row_of(checked, r)
    if values is not None:
        mine = row_of(values, r)
        with np.errstate(over="ignore"):
            if np.array_equal(mine.astype(row.dtype), row):
                return mine
    return row.astype(np.float64)


def row_of(inputs, r):
    """Trajectory ``r``'s row of a checked 2-D input (y0 or params), whose one row may serve every trajectory."""
    return inputs[min(r, inputs.shape[0] - 1)]
