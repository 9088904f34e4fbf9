"""Integers as the planner accepts them: any ``numbers.Integral`` but bool (NumPy integers included).

Values are kept as Python ``int`` once accepted, so that JSON forms and digests do
not depend on where a number came from.
"""

import numbers

from .errors import ConfigurationError


def is_int(value):
    """Whether ``value`` is an integer the planner accepts: Python or NumPy integers, not bools or floats."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def as_int(value):
    """``int(value)`` for an accepted integer, ``value`` unchanged otherwise (its check then names it)."""
    return int(value) if is_int(value) else value


#: CP-SAT's ``random_seed`` and ``num_workers`` are 32-bit integers: a larger value raises OR-Tools' own TypeError.
INT32_MIN, INT32_MAX = -2 ** 31, 2 ** 31 - 1


def check_search_args(seed, workers):
    """``(seed, workers)`` as Python ints, or a ConfigurationError naming the bad one.

    Checked up front by every planner call that takes them, whatever the planner or problem: left to
    OR-Tools, ``workers=2.5`` raised its raw TypeError only on problems CP-SAT searched, and
    ``workers=-3`` silently fell back to greedy's layout.
    """
    if not is_int(seed) or not INT32_MIN <= seed <= INT32_MAX:
        raise ConfigurationError(f"seed: expected an integer in {INT32_MIN}..{INT32_MAX} (CP-SAT's 32-bit "
                                 f"random_seed), got {seed!r}")
    if not is_int(workers) or not 1 <= workers <= INT32_MAX:
        raise ConfigurationError(f"workers: expected an integer >= 1 (CP-SAT's search threads; 1 gives the "
                                 f"same plan on every run), got {workers!r}")
    return int(seed), int(workers)
