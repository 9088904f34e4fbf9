"""A lone outlier in a failed trajectory's inputs: an entry of its ``y0`` or ``params`` row ten times or more beyond
every other row's same column, which a units slip in one row of a sweep makes.

A battery modeller's single particle model swept over four ambient temperatures, one row's temperature given in
Celsius (``y0[2, 20] = 25`` and ``params[2, 5] = 25`` where the other rows have 298.15 to 318.15 K): the Arrhenius
factors collapse, a square root gets a negative argument, and radau ended that row SINGULAR_MATRIX after 528
rejected attempts.  Its message told of an infinite derivative at x = 0 and named the state only inside a list of
21 values; nothing pointed at the one entry that set the row apart.  :func:`outlier_first` now opens such a row's
message with :func:`outlier_note`, as :func:`kernels.result_notes.sign_first` does with a lone negative entry
(:mod:`kernels.param_sign`), and after that note where both speak for one row.

What counts (:func:`outlier_columns`): the other rows of the column (two at least: :data:`MIN_ROWS` rows in the
batch) are finite, nonzero and of one sign, within :data:`SPREAD` of each other; the entry has their sign and is
:data:`FACTOR` times or more beyond the nearest of them, that factor :data:`GAP_OVER_SPREAD` times their own spread
or more, and its distance from them :data:`LINEAR_GAP` times their range or more.  The last two keep a sweep's ends
unflagged however wide, geometric or linear: its end is one grid step past the rest, and the rest span a step at
least (three rows over two decades, 1, 10, 100: the factor 10 is the others' spread; 0.001, 0.5, 1: the distance
0.5 is their range).  A column drawn at random, not on a grid, can hold a lone far entry as a slip does.
It reads the result's host inputs only (:func:`kernels.result_notes.host_inputs`), once per result: each column's
smallest and largest magnitudes and its counts, kept in that probe's ``input_ranges`` memo (a million rows of 20
columns: about 0.2 s), then one row's entries against them, and the others' own extremes for the few columns where
that row holds one.
"""

from __future__ import annotations

import numpy as np

from .named_params import entry_label
from .status import EVENT, SUCCESS

__all__ = ["outlier_columns", "outlier_note", "outlier_first", "column_ranges", "FACTOR", "SPREAD",
           "GAP_OVER_SPREAD", "LINEAR_GAP", "MIN_ROWS", "NAMED"]

#: An entry this many times beyond the nearest of the other rows' (in size) is an outlier: a units slip is a factor
#: of 10 at least (Celsius for kelvin near room temperature: 12; mV for V, g for kg: 1000), where a sweep's neighbours
#: are a grid step apart.
FACTOR = 10.0

#: The other rows' own spread (largest over smallest, in size) beyond which nothing is an outlier: a column swept
#: over more than a decade has no "every other row's" scale to be off from.
SPREAD = 10.0

#: The gap (:data:`FACTOR`'s ratio) must also be this many times the other rows' spread: a geometric sweep's end is
#: one step past the rest, which spread over a step at least (1, 10, 100: gap 10, spread 10), so it is never flagged;
#: a jittered grid moves the ratio by its jitter to the fourth power (1.3 per point: 2.9).
GAP_OVER_SPREAD = 3.0

#: The entry's distance from the nearest other row's must also be this many times the other rows' own range (largest
#: less smallest): a linear sweep's end is one step from its neighbour, and the rest span a step at least, however
#: near 0 it starts (0.001, 0.5, 1: 500 times smaller, but no slip); 25 beside 273 to 373 (Celsius for kelvin over
#: 0 to 100 C) is 2.5 ranges away.
LINEAR_GAP = 2.0

#: Rows a batch needs for one of them to be the odd one (with two, either is).
MIN_ROWS = 3

#: Entries a note names at most.
NAMED = 3



def column_ranges(values):
    """``(smallest, largest, usable, positives)`` per column of ``values`` (rows of a batch, at least
    :data:`MIN_ROWS`): the smallest and largest magnitude of its finite nonzero entries (inf and -inf where there are
    none), how many such entries it has, and how many of them are above 0; None where ``values`` is not rows of a
    batch.  Four reductions (a million rows of 20 columns: about 0.2 s); a row's runner-ups are
    :func:`outlier_columns`' own, for the few columns where that row holds an extreme."""
    values = np.asarray(values, np.float64)
    if values.ndim != 2 or values.shape[0] < MIN_ROWS or not values.shape[1]:
        return None
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(values) & (values != 0.0)
        size = np.abs(values)
    return (np.min(size, axis=0, where=usable, initial=np.inf), np.max(size, axis=0, where=usable, initial=-np.inf),
            np.count_nonzero(usable, axis=0), np.count_nonzero(usable & (values > 0.0), axis=0))


def outlier_columns(values, row, ranges=None):
    """``(columns, ratios, lows, highs)``: the columns where ``values[row]`` is an outlier (module docstring), how
    many times beyond the nearest other row's it is, and the other rows' smallest and largest magnitude there;
    empty arrays where there is none or ``values`` is not rows of a batch.  ``ranges``: :func:`column_ranges` of
    ``values``, made once by the caller for many rows."""
    empty = (np.zeros(0, int),) + (np.zeros(0),) * 3
    ranges = column_ranges(values) if ranges is None else ranges
    values = np.asarray(values, np.float64)
    if ranges is None or values.ndim != 2 or not 0 <= row < values.shape[0]:
        return empty
    n = values.shape[0]
    smallest, largest, usable, positives = ranges
    x = values[row]
    with np.errstate(invalid="ignore"):
        size = np.abs(x)
        # the others all usable and of x's sign (x usable itself), x one of the column's extremes, and those a
        # FACTOR apart: only then are the others' own extremes (x left out) needed
        same_sign = (usable == n) & np.where(x > 0.0, positives == n, positives == 0) & np.isfinite(x) & (x != 0.0)
        candidates = np.flatnonzero(same_sign & ((size == smallest) | (size == largest))
                                    & (largest >= FACTOR * smallest))
    found = []
    for j in candidates:
        others = np.abs(np.delete(values[:, j], row))
        low, high = float(np.min(others)), float(np.max(others))
        spread, ratio = high / low, (size[j] / high if size[j] > high else low / size[j])
        gap = size[j] - high if size[j] > high else low - size[j]
        if (spread <= SPREAD and ratio >= FACTOR and ratio >= GAP_OVER_SPREAD * spread
                and gap >= LINEAR_GAP * (high - low)):
            found.append((int(j), ratio, low, high))
    if not found:
        return empty
    columns, ratios, lows, highs = (np.array(c) for c in zip(*found))
    return columns, ratios, lows, highs


def _ranges(probe, which, values):
    """:func:`column_ranges` of ``values`` (the probe's ``which``: ``"y0"`` or ``"params"``), kept in the probe's
    ``input_ranges`` memo (a declared field, not compared) so that the batch is read once per result; made afresh
    for a probe without one."""
    kept = getattr(probe, "input_ranges", None)
    if isinstance(kept, dict) and which in kept and kept[which][0] is values:
        return kept[which][1]
    ranges = column_ranges(values)
    if isinstance(kept, dict):
        kept[which] = (values, ranges)
    return ranges


def _names(system, which):
    """The system's names of its states (``"y0"``) or parameters, or None."""
    try:
        if which == "y0":
            from .named_states import state_names
            return state_names(system)
        from .named_params import param_names
        return param_names(system)
    except Exception:  # noqa: BLE001 - a message must never fail: indices alone
        return None


def _entries(probe, row):
    """``(label, value, ratio, low, high)`` of every outlier entry of ``row`` in the probe's ``y0``, then its
    ``params`` (each: rows of a batch)."""
    found = []
    for which in ("y0", "params"):
        values = getattr(probe, which, None)
        if values is None or np.ndim(values) != 2 or not 0 <= row < np.shape(values)[0]:
            continue
        columns, ratios, lows, highs = outlier_columns(values, row, _ranges(probe, which, values))
        names = _names(probe.system, which) if columns.size else None
        for j, ratio, low, high in zip(columns, ratios, lows, highs):
            found.append((entry_label(which, row, j, names), float(values[row][j]), float(ratio), float(low),
                          float(high)))
    return found


def _compared(value, ratio, low, high):
    """``12 times smaller than every other row's (298.2 to 318.2)`` for an entry ``value`` ``ratio`` times beyond the
    others' magnitudes ``low`` to ``high`` (signed as ``value``)."""
    way = "larger" if abs(value) > high else "smaller"
    sign = -1.0 if value < 0.0 else 1.0
    ends = sorted((sign * low, sign * high))
    span = f"{ends[0]:.5g}" if low == high else f"{ends[0]:.5g} to {ends[1]:.5g}"
    times = f"{ratio:.0f}" if ratio < 1e6 else f"{ratio:.2g}"
    return f"{times} times {way}{' in size' if sign < 0 else ''} than", span


def outlier_note(probe, row):
    """The sentence that names ``row``'s outlier entries of ``y0`` and ``params`` (:data:`NAMED` at most), by the
    system's names where it has them, and asks to check their units; '' where there are none."""
    found = _entries(probe, row)
    if not found:
        return ""
    parts = []
    for k, (label, value, ratio, low, high) in enumerate(found[:NAMED]):
        than, span = _compared(value, ratio, low, high)
        parts.append(f"{label} = {value:.5g} is {than} {'theirs' if k else 'every other row' + chr(39) + 's'} "
                     f"({span})")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", and " + parts[-1]
    more = ", ..." if len(found) > NAMED else ""
    its = "its units" if len(found) == 1 else "their units"
    return (f" {listed}{more}: check {its} (a value given in other units than the other rows', such as "
            "Celsius for kelvin or g for kg, or off by a scale factor?).")


def outlier_first(result, trajectory, code, text):
    """``text``, the message of ``trajectory`` of failed status ``code``, opened by :func:`outlier_note` where its
    ``y0`` or ``params`` row has an outlier entry and some other row of the batch succeeded (else the entry is not
    what sets this row apart); after the lone negative note or a first sentence that names the row's params
    (:func:`kernels.result_notes.sign_first`) where the message opens with one.  ``text`` itself for a success or a
    stop at an event, a result that keeps no host inputs, a message that already names an outlier, or wherever the
    note cannot be made (a message must never fail)."""
    try:
        return _opened(result, int(trajectory), int(code), text)
    except Exception:  # noqa: BLE001 - a message must never fail: the message as it was
        return text


def _opened(result, trajectory, code, text):
    from .result_notes import host_array, host_inputs

    if code in (SUCCESS, EVENT):
        return text
    status = np.asarray(host_array(result.status)).reshape(-1)
    others = np.delete(status, trajectory)
    if status.size < MIN_ROWS or not np.any((others == SUCCESS) | (others == EVENT)):
        return text
    probe = host_inputs(result)
    note = "" if probe is None else outlier_note(probe, trajectory).lstrip()
    if not note or note in text:  # none, or said already
        return text
    opening = text.split(". ", 1)
    if len(opening) == 2 and f"params[{trajectory}, " in opening[0]:  # the lone negative note (or its headline) first
        return f"{opening[0]}. {note} {opening[1]}"
    return f"{note} {text}"
