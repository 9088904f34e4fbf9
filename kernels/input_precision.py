"""Inputs rounded to a shorter float before a float64 solve reads them: a float32 (or float16) ``y0`` or ``params``.

JAX makes float32 arrays by default (``jnp.array([9.81, 0.3])``), and converting one to float64 keeps its rounding:
9.81 becomes 9.8100004196167, 4e-8 away, and a float64 solve at rtol 1e-8 of a pendulum so given ended 54
tolerances from the solution for 9.81, with success and no word (a diffrax user's trial).  The solve cannot undo
the rounding, so :func:`warn_rounded_inputs` says so where the values are roundings of shorter decimals; values
that float32 holds exactly (0.5, 3.0, small integers) give no warning, as nothing was lost.  Values that are float32
by nature (random draws) warn too, with how to silence it (``x.astype(np.float64)``): they cannot be told from the
roundings of written numbers, which a first version tried by their digits and so missed exact constants of more than
six (Boltzmann's 1.380649e-23, 2.99792458e8: a regression hunt).

Times are rounded so too: ``jnp.linspace(0, 0.7, 8)`` and ``torch.linspace`` are float32, and a float64 solve at rtol
1e-10 given them saved at 0.10000000149 and ended at 0.699999988 instead of 0.7, 4299 tolerances from the solution at
the times written, with no word (a torch user's trial).  :func:`warn_rounded_times` says so for ``t_eval``, the ends of
``t_span`` and ``dt`` as given, before the solve reads them as float64.
"""

from __future__ import annotations

import numpy as np

from planner.wording import joined_words

from .errors import PrecisionWarning, warn_user

__all__ = ["warn_rounded_inputs", "warn_rounded_times", "rounded_decimal", "SAMPLED"]

#: The most values of an input that :func:`rounded_decimal` reads (evenly spaced, first and last included): each is
#: formatted as a decimal, so a large batch is sampled, not read whole (one rounded value is enough to warn).
SAMPLED = 64


def warn_rounded_inputs(arr, what, dtype, rows_are_trajectories=True):
    """PrecisionWarning where the host array ``arr`` (a solve's ``what``, as given) is of a float type narrower than
    float64, the solve's ``dtype`` is float64, and a value of it is the rounding of a shorter decimal.

    A 2-D ``arr``'s value is named by its trajectory (its row) where ``rows_are_trajectories``, else by its index
    (the drivers' values: a row per sample time)."""
    kind = arr.dtype
    if np.dtype(dtype) != np.float64 or kind.kind != "f" or kind.itemsize >= 8:
        return
    found = rounded_decimal(arr)
    if found is None:
        return
    index, decimal, held = found
    # a batch's row named as its trajectory, which a dask chunk's warning counts in the whole batch
    where = (f"{what}{list(index)}" if len(index) != 2 or not rows_are_trajectories else
             f"trajectory {index[0]}'s {what}[{index[1]}]")
    relative = f"{float(np.finfo(kind).eps) / 2:.0e}".replace("e-0", "e-")
    warn_user(f"{what} is {kind.name} in a float64 solve, and its values are roundings ({where} is "
              f"{decimal} rounded to {held!r} in {kind.name}): the inputs carry {kind.name} rounding (about {relative} "
              "relative) that the float64 solve cannot undo, so at a tight rtol its result is that of the rounded "
              "inputs, many tolerances from that of the numbers written. Make them float64 before converting: "
              f"np.asarray(x, np.float64) of the original numbers (not of the {kind.name} array, which keeps its "
              "rounding), or in JAX jax.config.update(\"jax_enable_x64\", True) and jnp.array(..., "
              f"dtype=jnp.float64); if they are {kind.name} values by nature (random draws), pass them as float64 "
              f"({what if what.isidentifier() else 'x'}.astype(np.float64)) to silence this", PrecisionWarning)


def rounded_decimal(arr):
    """``(index, decimal, value)`` of the first sampled value of ``arr`` (a float array) that is the rounding of a
    shorter decimal: its shortest decimal in its own type, read as float64, is not the value itself (9.81 as float32
    is 9.8100004196167; 0.5 is 0.5).  None where no sampled value is; non-finite values are not rounded."""
    flat = np.ravel(arr)
    picked = (np.arange(flat.size) if flat.size <= SAMPLED else
              np.unique(np.linspace(0, flat.size - 1, SAMPLED).astype(np.intp)))
    for position in picked:
        value = flat[position]
        decimal = str(value)  # the shortest decimal that reads back as this value in its own type
        if np.isfinite(value) and float(decimal) != float(value):
            return tuple(int(i) for i in np.unravel_index(position, np.shape(arr))), decimal, float(value)
    return None


#: What a float64 solve does with each time argument rounded, for :func:`warn_rounded_times`'s message.
_TIME_EFFECTS = {"t_eval": "saves at the rounded times (and res.t reports them)",
                 "t_span": "integrates over the rounded span", "dt": "steps by the rounded dt"}


def warn_rounded_times(t_span, t_eval, dt, dtype):
    """PrecisionWarning where the solve's ``dtype`` is float64 and a time argument, as given, is of a float type
    narrower than float64 holding the rounding of a shorter decimal (:func:`rounded_decimal`): ``t_eval``, an end of
    ``t_span``, or ``dt`` (the fixed step, or an adaptive run's first step).

    Called with the arguments as the user gave them, before they are read as float64 floats, which keeps their
    rounding and loses their type; never raises (a malformed argument is refused by the checks that follow)."""
    if np.dtype(dtype) != np.float64:
        return
    found = [hit for name, value in _time_arguments(t_span, t_eval, dt)
             for hit in (_rounded_time(name, value),) if hit is not None]
    if not found:
        return
    what, kind, decimal, held = found[0]
    names = list(dict.fromkeys(_argument_of(name) for name, *_ in found))
    if "t_span[0]" in names and "t_span[1]" in names:  # both ends: the argument
        names = ["t_span" if name == "t_span[0]" else name for name in names if name != "t_span[1]"]
    kinds = "/".join(dict.fromkeys(k.name for _, k, _, _ in found))
    effects = joined_words(list(dict.fromkeys(_TIME_EFFECTS[name.split("[")[0]] for name in names)))
    relative = f"{float(np.finfo(kind).eps) / 2:.0e}".replace("e-0", "e-")
    warn_user(f"{joined_words(names)} {'is' if len(names) == 1 else 'are'} {kinds} in a float64 solve, so the times were "
              f"rounded to {kinds} before the solve read them ({what} = {decimal} is {held!r} in {kind.name}): it "
              f"{effects}, {'each ' if len(names) > 1 else ''}up to {relative} relative from the times written, which "
              "at a tight rtol moves the saved states by many tolerances. Make the times float64 from the original "
              f"numbers: np.linspace(...) or np.asarray(ts, np.float64) in NumPy (converting the {kind.name} array "
              "keeps its rounding), jnp.linspace(..., dtype=jnp.float64) after jax.config.update(\"jax_enable_x64\", "
              "True) in JAX, or torch.linspace(..., dtype=torch.float64) in torch", PrecisionWarning)


def _argument_of(name):
    """The argument a time named ``name`` is of: ``t_eval`` for ``t_eval[7]``; an end of ``t_span`` as itself."""
    return name if name.startswith("t_span") else name.split("[")[0]


def _time_arguments(t_span, t_eval, dt):
    """``(name, value)`` of each time a solve is given: ``t_eval`` whole, each end of ``t_span`` (a pair, or an
    array of two), ``dt``; None ones left out, and a ``t_span`` that is no pair (refused later) too."""
    arguments = [] if t_eval is None else [("t_eval", t_eval)]
    try:
        if not isinstance(t_span, (str, bytes)) and np.ndim(t_span) == 1 and len(t_span) == 2:
            arguments += [("t_span[0]", t_span[0]), ("t_span[1]", t_span[1])]
    except Exception:  # noqa: BLE001 - a ragged or odd t_span: check_span words its refusal
        pass
    return arguments + ([] if dt is None else [("dt", dt)])


def _rounded_time(name, value):
    """``(name, dtype, decimal, value)`` where ``value`` is a float narrower than float64 (NumPy, JAX or torch, an
    array or a scalar) that holds the rounding of a shorter decimal, named as ``name`` or, in a 1-D ``t_eval``, by
    its last such entry (the end of the span the user meant, 0.7 as 0.699999988); else None."""
    kind = _narrow_float(value)
    if kind is None:
        return None
    try:
        arr = np.asarray(value).astype(kind, copy=False)
    except Exception:  # noqa: BLE001 - a torch tensor with requires_grad, a JAX tracer: their own checks refuse them
        return None
    if arr.ndim > 1:  # rows of times: refused by check_t_eval
        return None
    found = rounded_decimal(arr[::-1] if arr.ndim else arr)
    if found is None:
        return None
    index, decimal, held = found
    return (f"{name}[{arr.size - 1 - index[0]}]" if arr.ndim else name), kind, decimal, held


def _narrow_float(value):
    """The NumPy float dtype of ``value`` where it is narrower than float64 (float32, float16: of a NumPy or JAX
    array, a torch tensor's ``torch.float32``, or a list of NumPy float32 scalars), else None."""
    kind = getattr(value, "dtype", None)
    try:
        if kind is None:
            kind = np.asarray(value).dtype if isinstance(value, (list, tuple)) else np.dtype(type(value))
        kind = kind if isinstance(kind, np.dtype) else np.dtype(str(kind).removeprefix("torch."))
    except Exception:  # noqa: BLE001 - not a NumPy type (bfloat16, an object): not judged
        return None
    return kind if kind.kind == "f" and kind.itemsize < 8 else None
