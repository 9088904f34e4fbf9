"""Integers as the planner accepts them: any ``numbers.Integral`` but bool (NumPy integers included).

Values are kept as Python ``int`` once accepted, so that JSON forms and digests do
not depend on where a number came from.
"""

import numbers


def is_int(value):
    """Whether ``value`` is an integer the planner accepts: Python or NumPy integers, not bools or floats."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def as_int(value):
    """``int(value)`` for an accepted integer, ``value`` unchanged otherwise (its check then names it)."""
    return int(value) if is_int(value) else value
