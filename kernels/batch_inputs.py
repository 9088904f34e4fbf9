"""A solve's y0 and params: shapes checked against the system, one-row inputs broadcast, the batch size found
(params with names read by the system's parameter names first, :mod:`kernels.named_params`; y0 with names by its
state names, :mod:`kernels.named_states`), and the refusal of a value an input's precision cannot hold
(:func:`not_finite_message`)."""

from __future__ import annotations

import numpy as np

from . import validation as check
from .batch_layout import TEXT, array_items_message, check_layout, is_pandas, shared_and_columns_message, \
    transposed_square_message
from .errors import ConfigurationError, ParamNamesWarning, plain, warn_user
from .named_params import by_name, param_names, positional_note
from .named_states import states_by_name

__all__ = ["batch_inputs", "given_rows", "row_index", "row_of", "not_finite_message"]


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
    given, given_y0 = params, y0
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
    _warn_transposed_square(given, params, "params", system.n_params)
    if not check.is_device_array(params):  # (its rows tell whether two equal starts are one run twice)
        _warn_transposed_square(given_y0, y0, "y0", system.n_states, params)
    return y0, params, n_traj


def _warn_transposed_square(given, checked, what, width, params=None):
    """:class:`kernels.ParamNamesWarning` where ``checked`` (params or y0, ``what``) is square, as many trajectories
    as columns, and reads as transposed (:func:`kernels.batch_layout.transposed_square_message`; ``params``: y0's
    checked params): a square params in SciPy's orientation runs without an error, every trajectory with another's
    parameters (a mechanical engineer's trial), and a square y0 so from another's start (a user's trial).  Not for a
    device array (left unread) nor a DataFrame, whose column names say which way it lies."""
    if check.is_device_array(checked) or is_pandas(given, "DataFrame"):
        return
    message = transposed_square_message(checked, what, width,
                                        isinstance(given, (list, tuple)) and not isinstance(given, TEXT), params)
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


def row_index(inputs, r):
    """The index of trajectory ``r``'s row in a 2-D input (y0 or params), whose one row may serve every trajectory."""
    return min(r, len(inputs) - 1)


def row_of(inputs, r):
    """Trajectory ``r``'s row of a checked 2-D input (y0 or params), whose one row may serve every trajectory."""
    return inputs[row_index(inputs, r)]


def not_finite_message(arr, out, what, dtype, first_row, remedy, labels):
    """:func:`kernels.validation.finite_rows`'s refusal: the first value of ``arr`` not finite in ``dtype`` (as
    ``out``), where it is, how many rows hold such values and how to drop them, or the caller's ``remedy``; a finite
    value beyond the precision's range gets :func:`_beyond_range_message`."""
    bad = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
    batch = out.ndim == 2 and out.shape[0] >= 2
    if labels is not None:
        at, drop = _labelled(out, what, dtype, bad, labels)
    else:
        # a test the precision's range passes too (1e39 is finite in float64, not in float32: a regression hunt)
        test = (f"np.isfinite(np.asarray({what}, float))" if np.dtype(dtype) == np.float64 else
                f"(np.abs(np.asarray({what}, float)) <= {float(np.finfo(dtype).max):.6g})")
        at = f"index {(bad[0] + int(first_row),) + bad[1:]}"
        drop = (f"drop those rows first: keep = {test}.all(axis=1), then pass np.asarray({what})[keep] (and the "
                "other inputs' rows [keep])") if batch else None
    rows = int(np.count_nonzero(~np.isfinite(out).all(axis=1))) if batch else 0
    count = f" ({rows} of {out.shape[0]} rows)" if drop is not None and remedy is None else ""
    with np.errstate(over="ignore", invalid="ignore"):
        wide = np.asarray(arr, dtype=np.float64)
    found = f"found {plain(arr[bad])!r} at {at}{count}"
    if np.isfinite(wide[bad]):
        return _beyond_range_message(what, dtype, found, plain(arr[bad]), drop, remedy, np.isfinite(wide).all())
    fix = f": {remedy}" if remedy is not None else f"; to run the others, {drop}" if drop is not None else ""
    return f"{what} must be finite in {np.dtype(dtype)}; {found}{fix}"


def _beyond_range_message(what, dtype, found, value, drop, remedy, all_wide):
    """The refusal of ``value``, finite but beyond ``dtype``'s largest value (``found``: where), with
    precision=np.float64 first (it holds every row where ``all_wide``), then dropping the rows (``drop``), or the
    caller's ``remedy``.  "params must be finite in float32; found 1e+40 ... drop those rows first" told a sweep of
    K over 40 decades that 1e40 was not finite, and never of float64, which runs every row (a user's trial)."""
    name, largest = np.dtype(dtype).name, float(np.finfo(dtype).max)
    every = drop is not None and remedy is None and all_wide  # (a dask chunk's rows are not the batch's)
    wider = f"solve with precision=np.float64, which holds {'every row' if every else 'it'}"
    if remedy is not None:
        fix = remedy if "precision=np.float64" in remedy else f"{wider}; else {remedy}"
    else:
        fix = wider + (f", or, to run the others in {name}, {drop}" if drop is not None else
                       f", or rescale that value's units into {name}'s range")
    shown = f"{largest:.2g}".replace("e+", "e")  # 3.4e38, as the library's other messages write it
    return f"{what} must lie within {name}'s range; {found}: {value!r} is beyond {name}'s largest value, {shown}; {fix}"


def _labelled(out, what, dtype, bad, labels):
    """``(where, drop)`` of :func:`kernels.validation.finite_rows`'s refusal of a pandas input: the value's row and
    column labels (its position after the columns were put in the system's order named column 0 as the user's
    column 0, a different one), and how to drop the rows by label (None for a Series or one row), which keeps the
    DataFrame's names (``np.asarray(params)[keep]``, the plain remedy, read a DataFrame given in another column
    order by position: a wrong result with success, a systems biologist's trial)."""
    row_labels, columns = labels
    if row_labels is None:
        return f"entry {plain(columns[bad[-1]])!r} of the Series", None
    where = f"row {plain(row_labels[bad[0]])!r}, column {plain(columns[bad[1]])!r}"
    if out.shape[0] < 2:
        return where, None
    finite = np.isfinite(out)
    names = [plain(label) for label in columns]
    test = (f"np.isfinite({what}[{names!r}]).all(axis=1)" if np.dtype(dtype) == np.float64 else
            f"({what}[{names!r}].abs() <= {float(np.finfo(dtype).max):.6g}).all(axis=1)")
    dropna = f"; {what}.dropna(subset={names!r}) drops the same rows" if np.isnan(out[~finite]).all() else ""
    return where, (f"drop those rows first: keep = {test}, then pass {what}[keep], which stays a DataFrame, its "
                   f"columns read as before{dropna} (and the other inputs' rows [keep])")
