"""Short renderings shared by the planner's messages: lists of names, counts and byte counts.

Messages name what is wrong with the values; these keep them one readable line
whatever the values: a long list of buffer names is cut to its first few, and a
count or byte count too large for a plain number is written in scientific notation.
"""

import math
from decimal import Decimal

NAMES_SHOWN = 8  # names a message lists before "... and N more"
_PLAIN_BELOW = 10 ** 15  # byte counts below this are written out; larger ones in scientific notation


def name_list(names, limit=NAMES_SHOWN):
    """``['a', 'b']``, or the first ``limit`` names and ``... and N more``: one line for any number of names."""
    names = list(names)
    shown = "[" + ", ".join(repr(n) for n in names[:limit])
    if len(names) > limit:
        return f"{shown}, ...] and {len(names) - limit} more"
    return shown + "]"


def joined_words(words):
    """``words`` (a non-empty sequence of strings) as an English list: ``a``, ``a and b``, ``a, b and c``."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def rounded_up(value, digits=2):
    """``value`` (> 0) written in ``digits`` significant digits, rounded up where plain rounding writes less: a
    bound a message asks for must pass as written (float64's rtol floor 1.11e-14 written 1.1e-14 was itself below
    it, and warned)."""
    shown = float(f"{value:.{digits}g}")
    if shown < value:
        shown = float(f"{shown + 10.0 ** (math.floor(math.log10(value)) - digits + 1):.{digits}g}")
    return f"{shown:.{digits}g}"


def format_count(n):
    """An integer as a message shows it: ``4096``; from 10^15 on three significant digits, ``6.00e+300``
    (exact for any integer: a 301-digit sum is no line to read)."""
    return f"{_number(n, 1)}" if abs(n) < _PLAIN_BELOW else f"{Decimal(n):.2e}"


def format_bytes(n_bytes):
    """``524288 B``; from 10^15 bytes on in scientific notation, ``8.0e+30 B`` (exact for any integer)."""
    return f"{_number(n_bytes, 1)} B"


def format_kib(n_bytes):
    """``n_bytes`` in KiB: ``512.0 KiB``; from 10^15 bytes on in scientific notation, ``7.8e+27 KiB``."""
    return f"{_number(n_bytes, 1024)} KiB" if abs(n_bytes) >= _PLAIN_BELOW else f"{n_bytes / 1024:.1f} KiB"


def _number(n_bytes, unit):
    if abs(n_bytes) < _PLAIN_BELOW:
        return f"{n_bytes}"
    return f"{Decimal(n_bytes) / unit:.1e}"  # Decimal: no float overflow past 10^308


def did_you_mean(name, known, cutoff=0.6):
    """`` (did you mean 'residual'?)`` when a name of ``known`` is close to ``name`` (difflib's ratio at least
    ``cutoff``), else ``""``."""
    close = closest(name, known, cutoff)
    return f" (did you mean {close!r}?)" if close else ""


def closest(name, known, cutoff=0.6):
    """The name of ``known`` closest to ``name`` (difflib's ratio at least ``cutoff``), or None."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=cutoff) if isinstance(name, str) else []
    return close[0] if close else None


def unknown_keys(where, unknown, allowed):
    """``where: unknown key(s) ['devic'] (did you mean 'device'?); allowed: [...]``: the one wording of JSON keys
    ``unknown`` beyond ``allowed`` (a problem's, a buffer's, a device's, a plan's), with the key each misspelt one
    most likely meant; a problem file's 'devic' was named with no suggestion where a keyword got one (a user's
    trial)."""
    guesses = [(key, closest(key, allowed)) for key in unknown]
    guesses = [(key, close) for key, close in guesses if close]
    if len(unknown) == 1 and guesses:
        hint = f" (did you mean {guesses[0][1]!r}?)"
    else:
        hint = (" (did you mean " + ", ".join(f"{close!r} for {key!r}" for key, close in guesses) + "?)"
                if guesses else "")
    return f"{where}: unknown key(s) {list(unknown)}{hint}; allowed: {sorted(allowed)}"
