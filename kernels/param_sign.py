"""A params row with a lone negative entry: a parameter negative in one trajectory where every other row of the batch
has it at 0 or above, which a sign slip in a sweep makes.

A chemist's Chapman sweep with one row's O(1D) quenching constant given as -3e-11 (the others +3e-11) made O(1D) grow
at 1.1e7 /s from the start: radau and rodas5p stepped over the growth and ended that row with success and O(1D) =
-1618, and the message told of an ignition stepped over and a tiny first step, never of the parameter.  The growth
note (:mod:`kernels.growth_note`) and the runaway hint (:mod:`kernels.runaway_hint`) now open with
:func:`lone_negative_note` where it finds such an entry.  It reads the batch's params only: a vectorised look at the
columns where the row is negative, when a note or hint is about to be given, never at the solve.
"""

from __future__ import annotations

import numpy as np

from .named_params import param_names
from .stiffness import largest_growth

__all__ = ["lone_negative_columns", "lone_negative_entries", "lone_negative_note", "NAMED"]

#: Parameters a note names at most.
NAMED = 3


def lone_negative_columns(params, row):
    """The columns where ``params[row]`` is negative and every other row of ``params`` (rows of a batch, at least two)
    is at 0 or above (a NaN counts as neither); an empty array where there is none, or where ``params`` is not rows of
    a batch (one row shared by every trajectory says nothing of which is odd)."""
    params = np.asarray(params)
    if params.ndim != 2 or params.shape[0] < 2 or not 0 <= row < params.shape[0]:
        return np.zeros(0, int)
    candidates = np.flatnonzero(params[row] < 0.0)
    if not candidates.size:
        return candidates
    others = np.delete(params[:, candidates], row, axis=0)
    return candidates[np.all(others >= 0.0, axis=0)]


def _entries(system, params, row, columns):
    """``params[row]``'s entries in ``columns`` (the first :data:`NAMED`) as ``params[row, j] (name) = value``."""
    names = param_names(system)
    return [f"params[{row}, {j}]" + (f" ({names[j]})" if names else "") + f" = {float(params[row][j]):.3g}"
            for j in (int(j) for j in columns[:NAMED])]


def lone_negative_entries(system, params, row):
    """``params[row]``'s lone negative entries (:func:`lone_negative_columns`) as one text, ``params[3, 2] (beta) =
    -1``, for a hint that names them inside its own sentence (:mod:`kernels.jacobian_hint`'s state driven below 0);
    '' where there are none."""
    columns = lone_negative_columns(params, row)
    return ", ".join(_entries(system, params, row, columns)) + (", ..." if columns.size > NAMED else "")


#: The share of a growth rate that flipping a parameter's sign must take away for the note to name it.
GROWTH_SHARE = 0.5


def growth_columns(system, params, row, t, y, rate, backwards=False):
    """The lone negative columns of ``params[row]`` (:func:`lone_negative_columns`) whose sign, flipped, takes at least
    :data:`GROWTH_SHARE` of the growth ``rate`` at ``(t, y)`` away (:func:`kernels.stiffness.largest_growth` with
    those params, ``backwards`` for a span run backwards): a signed bias of -0.5 beside a growth rate of 1e4 common to
    every row was named first as the sign slip to check (a regression hunt).  A column whose flip cannot be judged
    (the rate not finite) is kept."""
    kept = []
    for j in lone_negative_columns(params, row):
        flipped = np.array(params[row], np.float64)
        flipped[j] = -flipped[j]
        try:
            other = float(largest_growth(system, float(t), np.asarray(y, np.float64), flipped, backwards=backwards))
        except Exception:  # noqa: BLE001 - a message must never fail: keep the column
            other = float("nan")
        if not np.isfinite(other) or other <= (1.0 - GROWTH_SHARE) * rate:
            kept.append(int(j))
    return np.array(kept, int)


def lone_negative_note(system, params, row, columns=None):
    """The sentence that names ``params[row]``'s lone negative entries (:func:`lone_negative_columns`, or the given
    ``columns`` of them: :func:`growth_columns`), by the system's parameter names where it has them, and asks to check
    their signs; '' where there are none."""
    columns = lone_negative_columns(params, row) if columns is None else np.asarray(columns, int)
    if not columns.size:
        return ""
    shown = [int(j) for j in columns[:NAMED]]
    entries = _entries(system, params, row, columns)
    more = ", ..." if columns.size > NAMED else ""
    if len(shown) == 1:
        return (f" {entries[0]} is negative where every other row's column {shown[0]} is >= 0: check its sign (a "
                "rate given negative makes a mode grow).")
    return (f" {', '.join(entries)}{more} are negative where every other row's columns "
            f"{', '.join(map(str, shown))}{more} are >= 0: check their signs (a rate given negative makes a mode "
            "grow).")
