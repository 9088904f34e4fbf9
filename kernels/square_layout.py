"""A square batch input (as many trajectories as the system has columns) that reads as transposed: SciPy's
orientation, one row per parameter or state, runs without an error when the counts agree, every trajectory with
nonsense inputs, so :func:`transposed_square_message` words the warning where the values show it."""

from __future__ import annotations

import numpy as np

__all__ = ["COLUMNS", "constant_lines", "rhs_reads", "transposed_square_message"]

#: What a batch input's columns are, for the messages (here and :mod:`kernels.batch_layout`'s): (noun, name in the rhs).
COLUMNS = {"params": ("parameter", "p"), "y0": ("state", "y")}


def rhs_reads(letter, width):
    """The entries the rhs reads, ``p[0], ..., p[4]``, written out where there are one or two (``p[0]``,
    ``p[0], p[1]``): a one-parameter system was told "the order the rhs reads p[0], ..., p[0]" (a PDE user's
    trial)."""
    if width <= 2:
        return ", ".join(f"{letter}[{i}]" for i in range(max(width, 1)))
    return f"{letter}[0], ..., {letter}[{width - 1}]"


def constant_lines(values):
    """``(rows, columns)``: how many rows and columns of the 2-D array ``values`` hold one value repeated (a
    parameter every trajectory shares is a constant column of a sweep laid out one row per trajectory)."""
    arr = np.asarray(values, np.float64)
    return (int(np.count_nonzero(np.all(arr == arr[:, :1], axis=1))),
            int(np.count_nonzero(np.all(arr == arr[:1, :], axis=0))))


def _swept_rows(values):
    """Whether every row of the 2-D ``values`` that does not hold one value repeated runs strictly up or down, as a
    swept parameter's values do (linspace, logspace, arange), read across the trajectories.  Rows of uniform contact
    matrices beside an assortative one, a sweep as given, drew the transposed warning (a regression hunt): its
    varying row is a matrix's entries, not a sweep."""
    arr = np.asarray(values, np.float64)
    steps = np.diff(arr[~np.all(arr == arr[:, :1], axis=1)], axis=1)
    return bool(np.all(np.all(steps > 0, axis=1) | np.all(steps < 0, axis=1)))


def transposed_square_message(values, what, width, sequence=False, params=None):
    """The warning's words where a square 2-D ``values`` (as many trajectories as the system has columns,
    ``width``) reads as transposed, else None.  Square, SciPy's orientation (one row per parameter) runs without an
    error, every trajectory with nonsense parameters: a 5-frequency sweep of a 5-parameter Duffing passed as P.T
    ended with success (a mechanical engineer's trial).  A sweep one row per trajectory has its shared parameters
    as constant columns; transposed, they are constant rows.  So: at least 2 constant rows, more than constant
    columns, and not every row (then the transposed reading makes every trajectory the same), and every other row
    swept (:func:`_swept_rows`), or, for ``what`` ``"y0"`` (``params``: the checked params, one shared row or one a
    trajectory), two trajectories that read as given are one run twice (:func:`_twin_starts`).  ``sequence``: the
    input was a list or tuple, which has no ``.T``."""
    if np.ndim(values) != 2 or np.shape(values) != (width, width):
        return None
    rows, columns = constant_lines(values)
    if rows == width and what == "y0":
        return _uniform_starts_message(values, width, sequence, params)
    if rows < 2 or rows <= columns or rows == width:
        return None
    twins = _twin_starts(values, params) if what == "y0" else None
    if twins is None and (what == "y0" or not _swept_rows(values)):  # y0's starts are spread, not swept: twins only
        return None
    noun, letter = COLUMNS.get(what, ("column", "x"))
    transpose = f"np.array({what}).T" if sequence else f"{what}.T"
    few = "none of its columns do" if not columns else f"only {columns} of its columns do{'es' * (columns == 1)}"
    same = ("" if twins is None else f" (read so, trajectories {twins[0]} and {twins[1]} start at the same point, "
            f"every state {twins[2]:g}, with the same params: one run twice)")
    return (f"{what} is square ({width} trajectories of {width} {noun}s) and reads as transposed: {rows} of its "
            f"rows hold one value repeated and {few}, as when each row holds one "
            f"{noun}'s values across the trajectories (SciPy's orientation), while a row is read here as one "
            f"trajectory's {rhs_reads(letter, width)}{same}; if so, pass {transpose} (or np.column_stack of "
            f"the per-{noun} arrays), and if each row is one trajectory, as given, ignore this warning")


def _uniform_starts_message(values, width, sequence, params):
    """The warning's words for a square y0 whose every row holds one value repeated, the values not all one, run
    with params of their own a trajectory that are not all one row (a sweep), else None.  Read as given, each
    trajectory starts with all its states equal; transposed, every trajectory starts at one point, as a sweep over
    params from one start does: Hodgkin-Huxley starts given as np.array([V0s, m0s, h0s, n0s]) for 4 currents ran
    from V = m = h = n = 0.0529 with success (a neuroscientist's trial)."""
    arr = np.asarray(values, np.float64)
    if params is None or np.shape(params)[0] != width or np.all(arr == arr[0, 0]):
        return None
    table = np.asarray(params, np.float64)
    if np.all(table == table[:1]):
        return None
    shown = ", ".join(f"{k} at {arr[k, 0]:g}" for k in range(min(width, 3))) + (", ..." if width > 3 else "")
    transpose = "np.array(y0).T" if sequence else "y0.T"
    return (f"y0 is square ({width} trajectories of {width} states) and reads as transposed: every row holds one "
            f"value repeated, so read as given each trajectory starts with all its states equal (trajectory {shown}), "
            f"as when each row holds one state's value shared by every trajectory (SciPy's orientation: a sweep over "
            f"params from one start); if so, pass {transpose} (or np.column_stack of the per-state arrays), and if "
            f"each row is one trajectory, as given, ignore this warning")


def _twin_starts(values, params):
    """``(i, j, value)``: the first two rows of a square y0 ``values`` that hold the same value repeated and whose
    trajectories share their ``params`` row (None: one row for all), so that read as given they are one run twice;
    None where there are none.  A y0 in SciPy's orientation has a state every trajectory starts at 0 (a position, a
    momentum) as a constant row, and two such rows read as two trajectories at the origin: Henon-Heiles starts given
    as columns ran with success (a user's trial).  A y0's rows are spread starts, not sweeps, so this stands in for
    :func:`_swept_rows`; starts that repeat with distinct params rows (a sweep from one start) are ordinary."""
    arr = np.asarray(values, np.float64)
    shared = params is None or np.shape(params)[0] == 1
    table = None if shared else np.asarray(params, np.float64)
    seen = {}
    for i in np.flatnonzero(np.all(arr == arr[:, :1], axis=1)):
        key = (arr[i, 0],) + (() if shared else tuple(table[i]))
        if key in seen:
            return seen[key], int(i), float(arr[i, 0])
        seen[key] = int(i)
    return None
