"""Inputs rounded to a shorter float before a float64 solve reads them: a float32 (or float16) ``y0`` or ``params``.

JAX makes float32 arrays by default (``jnp.array([9.81, 0.3])``), and converting one to float64 keeps its rounding:
9.81 becomes 9.8100004196167, 4e-8 away, and a float64 solve at rtol 1e-8 of a pendulum so given ended 54
tolerances from the solution for 9.81, with success and no word (a diffrax user's trial).  The solve cannot undo
the rounding, so :func:`warn_rounded_inputs` says so where the values are roundings of shorter decimals; values
that float32 holds exactly (0.5, 3.0, small integers) give no warning, as nothing was lost.  Values that are float32
by nature (random draws) warn too, with how to silence it (``x.astype(np.float64)``): they cannot be told from the
roundings of written numbers, which a first version tried by their digits and so missed exact constants of more than
six (Boltzmann's 1.380649e-23, 2.99792458e8: a regression hunt).
"""

from __future__ import annotations

import numpy as np

from .errors import PrecisionWarning, warn_user

__all__ = ["warn_rounded_inputs", "rounded_decimal", "SAMPLED"]

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
