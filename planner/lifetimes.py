"""Lifetimes: lists of half-open integer intervals ``[start, end)``.

A program point is an integer on one step's timeline. A buffer is alive at
point ``t`` when ``start <= t < end`` for one of its intervals. Two buffers
interfere when any of their intervals intersect. This module is the only
place these rules are stated.
"""

from .errors import ConfigurationError
from .ints import is_int

POINT_LIMIT = 10 ** 18  # program points stay below it, as CSV values do: the planners' 64-bit integers hold them


def normalize(intervals, what="lifetime"):
    """Validate integer intervals and return them sorted with overlaps merged.

    Parameters
    ----------
    intervals : iterable of pairs of int
        Half-open ``[start, end)`` intervals with ``0 <= start < end``.
    what : str
        Name used in error messages.

    Returns
    -------
    tuple of (int, int)
    """
    pairs = []
    for item in intervals:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ConfigurationError(f"{what}: expected [start, end) pairs, got {item!r}")
        start, end = item
        for value in (start, end):
            if not is_int(value):
                raise ConfigurationError(
                    f"{what}: interval bounds must be integers, got {item!r}")
        start, end = int(start), int(end)
        if start < 0:
            raise ConfigurationError(f"{what}: interval [{start}, {end}) starts below 0; program points start at 0")
        if end <= start:
            state = "empty" if end == start else "reversed"
            raise ConfigurationError(f"{what}: interval [{start}, {end}) is {state} (start {start} is not below end "
                                     f"{end}); a buffer is alive on [start, end): give start < end")
        if end >= POINT_LIMIT:
            raise ConfigurationError(f"{what}: interval [{start}, {end}): end {end} is too large; the planner takes "
                                     f"program points below 10^18 ({POINT_LIMIT})")
        pairs.append((start, end))
    pairs.sort()
    merged = []
    for start, end in pairs:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def intersects(a, b):
    """True when two normalized lifetimes share a program point."""
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i][0] < b[j][1] and b[j][0] < a[i][1]:
            return True
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return False


def span(lifetimes):
    """The ``(first, end)`` pair covering every interval of every lifetime."""
    starts = [iv[0] for lt in lifetimes for iv in lt]
    ends = [iv[1] for lt in lifetimes for iv in lt]
    if not starts:
        return (0, 1)
    return (min(starts), max(ends))
