"""An exact piecewise form of a value in t, so that the times where an rhs switches can be read off it.

:mod:`kernels.time_branches` follows each value an rhs writes back to its time argument; this is the algebra it
computes with.  A value read exactly is a piecewise-affine function of t over the span (:class:`Pieces`):
arithmetic, comparisons, branches, ``%``, ``floor``, ``sign``, ``min`` and their kin cut and recombine its pieces,
and the inner bounds where it jumps are the rhs's switches.  A value that cannot be kept exact (a product of two
functions of t, a switch time set by a parameter, too many pieces) is a :class:`Form` that keeps only what is known:
the switch times it holds, how many more lie at unknown times, and how often it can cross a level, so that a
switch whose time is unknown is still counted and not taken for a smooth value.

A reading over a wide span serves every span inside it (:mod:`kernels.time_branches` reads a function once for a
moving window's solves) where it made no choice that a narrower span could make otherwise: a value that depends on t
over the wide span but could be one number over a narrower one (a 0/1 pulse outside it) asked whether it depends on
t, or for its number; a count of its switches; a product of two functions of t; too many pieces.  Such a choice marks
the reading span-sensitive (:func:`span_sensitive`), and the caller reads each span afresh.  A line's part in a
warning can depend on the span too: it is kept with the times where it counts (:func:`active_lines`).
"""

from __future__ import annotations

import ast
import dataclasses
import math
import operator
import threading
from dataclasses import dataclass

import numpy as np

__all__ = ["MAX_PIECES", "Pieces", "Form", "FREE", "exact", "timed", "known", "switches", "number", "mixed", "truth",
           "compared", "comparison", "arithmetic", "where", "logic", "not_", "with_line", "applied", "tracked",
           "span_sensitive", "active_lines"]

MAX_PIECES = 100_000  # a value split finer over the span is not listed (its switches count as unread)
_INF = math.inf


class _TooMany(Exception):
    """A value of more than :data:`MAX_PIECES` pieces over the span."""

    def __init__(self):
        super().__init__()
        _sensitive()  # a narrower span can hold fewer


_TRACK = threading.local()  # this thread's reading: whether it made a choice a narrower span could make otherwise


def tracked():
    """Start tracking a reading's span-sensitive choices (:func:`span_sensitive` then says whether it made one)."""
    _TRACK.sensitive = False


def span_sensitive():
    """Whether the reading since :func:`tracked` made a choice that a span inside its own could make otherwise."""
    return getattr(_TRACK, "sensitive", True)


def _sensitive():
    _TRACK.sensitive = True


def _settles(pieces):
    """Whether a value that depends on t over the span could be one number over a narrower span (a piece of
    slope 0): asked whether it depends on t, or for its number, it marks the reading span-sensitive."""
    if pieces.constant is None and bool(np.any(pieces.slope == 0.0)):
        _sensitive()


class Pieces:
    """A piecewise-affine function of t over the span: ``slope[i] * t + offset[i]`` on ``[bounds[i], bounds[i+1])``.
    ``bounds`` starts at t0 and ends at the span's end."""

    def __init__(self, bounds, slope, offset):
        self.bounds, self.slope, self.offset = bounds, slope, offset

    @classmethod
    def line(cls, span, slope, offset):
        """``slope * t + offset`` over ``span``, one piece."""
        return cls(np.asarray(span, np.float64), np.array([slope], np.float64), np.array([offset], np.float64))

    @property
    def constant(self):
        """The value where it is one number over the whole span, else None."""
        return float(self.offset[0]) if self.slope.size == 1 and self.slope[0] == 0.0 else None

    def on(self, bounds):
        """``(slope, offset)`` on the finer ``bounds`` (each new piece lies inside one of these)."""
        mids = 0.5 * (bounds[:-1] + bounds[1:])
        i = np.clip(np.searchsorted(self.bounds, mids, side="right") - 1, 0, self.slope.size - 1)
        return self.slope[i], self.offset[i]

    def jumps(self):
        """The inner bounds where the value jumps (beyond float64's rounding of the pieces' terms)."""
        t = self.bounds[1:-1]
        left, right = self.slope[:-1] * t + self.offset[:-1], self.slope[1:] * t + self.offset[1:]
        scale = np.maximum.reduce([np.abs(self.slope[:-1] * t), np.abs(self.offset[:-1]),
                                   np.abs(self.slope[1:] * t), np.abs(self.offset[1:]), np.full(t.shape, 1e-300)])
        return t[np.abs(left - right) > 1e-9 * scale]

    def split(self, step, shift, transform):
        """The pieces cut where the value crosses a level ``m * step + shift`` (``step`` None: ``shift`` alone), each
        new piece's ``(slope, offset)`` given by ``transform(slope, offset, value at its middle)``: ``%``, ``floor``,
        a comparison with 0 are each one such cut.  Raises :class:`_TooMany` past :data:`MAX_PIECES`."""
        s, o = self.slope, self.offset
        x0, x1 = s * self.bounds[:-1] + o, s * self.bounds[1:] + o
        lo, hi = np.minimum(x0, x1), np.maximum(x0, x1)
        if step is None:
            first, count = np.zeros(s.size), ((lo < shift) & (shift < hi)).astype(np.int64)
        else:
            first = np.floor((lo - shift) / step) + 1.0
            count = np.maximum(np.ceil((hi - shift) / step) - first, 0.0)
        count = np.where(s != 0.0, count, 0).astype(np.int64)
        if count.sum() + s.size > MAX_PIECES:
            raise _TooMany()
        piece = np.repeat(np.arange(s.size), count)
        rank = np.arange(piece.size) - np.repeat(np.cumsum(count) - count, count)
        levels = shift if step is None else (first[piece] + rank) * step + shift
        bounds = _merged(self.bounds, (levels - o[piece]) / s[piece] if piece.size else np.empty(0))
        slope, offset = self.on(bounds)
        middle = slope * 0.5 * (bounds[:-1] + bounds[1:]) + offset
        slope, offset = transform(slope, offset, middle)
        return Pieces(bounds, np.asarray(slope, np.float64) + 0.0 * offset, np.asarray(offset, np.float64))


def _merged(bounds, times):
    """``bounds`` (a span's) with ``times`` added inside it, times closer than float64's rounding there merged."""
    start, end = bounds[0], bounds[-1]
    tol = 64.0 * np.finfo(np.float64).eps * max(abs(start), abs(end))
    times = np.unique(np.concatenate((bounds, np.clip(times, start, end))))
    keep = np.concatenate(([True], np.diff(times) > tol))
    times = times[keep]
    times[-1] = end
    return times if times.size > 1 else np.array([start, end])


@dataclass(frozen=True)
class Form:
    """What the reading knows of a value as a function of t: ``pieces`` where it is read exactly; else the switch
    times it holds (``jumps``), how many more at unknown times (``unknown``: 0, 1, ... or inf) and how often it can
    cross a level (``crossings``: 0 free of t, 1 monotone, inf); ``lines``: ``(file, line)`` of its switches."""
    pieces: Pieces | None = None
    jumps: frozenset = frozenset()
    unknown: float = 0
    crossings: float = 0
    lines: frozenset = frozenset()
    fragile: bool = False  # its crossings, or whether it depends on t at all, could differ over a narrower span


FREE = Form()  # a value free of t (a state, a parameter, a number not read)


def _unread(lines):
    """A value that switches any number of times at times not read (too many pieces, or a form not followed)."""
    return Form(None, frozenset(), _INF, _INF, lines)


def exact(form):
    """Whether the value is read exactly (its pieces over the span known)."""
    return form.pieces is not None


def _timed(form):
    """Whether the value depends on t over this span (no choice recorded)."""
    if exact(form):
        return form.pieces.constant is None
    return bool(form.jumps or form.unknown or form.crossings)


def timed(form):
    """Whether the value depends on t."""
    if exact(form):
        _settles(form.pieces)
    elif form.fragile or (form.jumps and not form.unknown and not form.crossings):
        _sensitive()
    return _timed(form)


def known(form):
    """The number the value is over the whole span; None where it depends on t or is not read exactly."""
    if not exact(form):
        return None
    _settles(form.pieces)
    return form.pieces.constant


def _activity(pieces, jumps_only):
    """Where a line counts, as flat ``(start, end)`` pairs: at the value's jumps (``jumps_only``), or wherever it
    depends on t (its inner bounds, and its pieces of nonzero slope); () nowhere."""
    points = pieces.jumps() if jumps_only else pieces.bounds[1:-1]
    pairs = [np.repeat(points, 2).reshape(-1, 2)]
    if not jumps_only:
        sloped = pieces.slope != 0.0
        pairs.append(np.column_stack((pieces.bounds[:-1][sloped], pieces.bounds[1:][sloped])))
    return tuple(np.concatenate(pairs).ravel().tolist())


def _entry(line, pieces, jumps_only=True):
    """``line`` as a line of a value's switches, where it counts (:func:`_activity`); an empty set where nowhere."""
    activity = _activity(pieces, jumps_only)
    return frozenset([(*line, activity)]) if activity else frozenset()


def active_lines(lines, span, tol=0.0):
    """``(file, line)`` of the ``lines`` of a value read over a wider span that count over ``span``: each one added
    where the value depends on t (or jumps) counts where that happens strictly inside ``span``."""
    found = set()
    for entry in lines:
        if len(entry) == 2:
            found.add(entry)
            continue
        pairs = np.asarray(entry[2], np.float64).reshape(-1, 2)
        if np.any((pairs[:, 0] < span[1] - tol) & (pairs[:, 1] > span[0] + tol)):
            found.add(entry[:2])
    return frozenset(found)


def switches(form):
    """``(known switch times, count of unknown ones)``."""
    if exact(form):
        return form.pieces.jumps(), 0
    return np.array(sorted(form.jumps), np.float64), form.unknown


def number(value, span):
    """A finite real number as a constant over ``span``; anything else (an array, None) as free of t."""
    if isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(float(value)):
        return Form(Pieces.line(span, 0.0, float(value)))
    return FREE


def _constant(like, value):
    """The number ``value`` over the span of the pieces ``like``."""
    return Pieces.line(like.bounds[[0, -1]], 0.0, value)


def with_line(form, line):
    """``form`` with ``line`` among the lines of its switches (where it depends on t)."""
    if exact(form):
        return dataclasses.replace(form, lines=form.lines | _entry(line, form.pieces, False))
    return dataclasses.replace(form, lines=form.lines | {line}) if timed(form) else form


def _loose(form):
    """``form`` as a value mixed with something unread: its switches and how often it crosses a level."""
    if not exact(form):
        return form
    jumps = form.pieces.jumps()
    constant, single = form.pieces.constant is not None, form.pieces.slope.size == 1
    return Form(None, frozenset(jumps.tolist()), 0, 0 if constant else (1 if single else _INF), form.lines)


def mixed(forms, crossings=None, lines=frozenset()):
    """A value of ``forms`` not read exactly: their switches, and (``crossings`` None) the crossings of the one that
    depends on t, inf where several do."""
    moving = [f for f in forms if _timed(f)]
    loose = [_loose(f) for f in moving]
    if not loose:
        return FREE
    if crossings is None:
        crossings = loose[0].crossings if len(loose) == 1 else _INF
    # over a narrower span a value of several pieces may be one (it crossed less) or a number (it drops out)
    fragile = any(f.fragile or (exact(f) and f.pieces.slope.size > 1) for f in moving)
    if fragile and any(exact(f) and any(len(e) == 2 for e in f.lines) for f in moving):
        _sensitive()  # a line kept wherever the value is: dropped where it drops out
    return Form(None, frozenset().union(*(f.jumps for f in loose)), sum(f.unknown for f in loose), crossings,
                frozenset(lines).union(*(f.lines for f in loose)), fragile)


def truth(form, line=None):
    """The value as a branch reads it (1.0 true, 0.0 false); one not read exactly keeps its switches."""
    return compared(form, operator.ne, Form(_constant(form.pieces, 0.0)), line) if exact(form) else form


def compared(left, op, right, line=None):
    """``left op right`` as a 0/1 value: exact where both sides are; else its switches are unknown, as many as the
    difference can cross 0."""
    here = frozenset([line]) if line is not None else frozenset()
    if exact(left) and exact(right):
        difference = arithmetic(ast.Sub(), left, right).pieces
        if difference is not None:
            try:
                pieces = difference.split(None, 0.0, lambda s, o, x: (0.0 * s, op(x, 0.0).astype(np.float64)))
            except _TooMany:
                return _unread(left.lines | right.lines | here)
            lines = left.lines | right.lines | (_entry(line, pieces) if line is not None else frozenset())
            return Form(pieces, lines=lines)
    both = mixed([left, right])
    if not timed(both):
        return FREE
    count = both.crossings + both.unknown + (len(both.jumps) if both.crossings else 0)
    if both.jumps and both.crossings and math.isfinite(count):
        _sensitive()  # a narrower span holds fewer of the jumps counted
    return Form(None, frozenset(), count, count, both.lines | here)


_COMPARISONS = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
                ast.Eq: operator.eq, ast.NotEq: operator.ne}


def comparison(sides, ops, line):
    """A chained comparison ``sides[0] ops[0] sides[1] ...`` (``ops`` its ast operators; ``in``, ``is`` and their
    negations read as ``!=``) as a 0/1 value: an ``and`` of the links."""
    tests = [compared(a, _COMPARISONS.get(type(op), operator.ne), b, line) for a, op, b in zip(sides, ops, sides[1:])]
    return tests[0] if len(tests) == 1 else logic(tests, True)


def arithmetic(op, a, b):
    """``a op b`` for the ast operators + - * / // % **: exact where both are and the result is affine on each
    piece."""
    if exact(a) and exact(b):
        bounds = _merged(a.pieces.bounds, b.pieces.bounds)
        (sa, oa), (sb, ob) = a.pieces.on(bounds), b.pieces.on(bounds)
        lines = a.lines | b.lines
        with np.errstate(all="ignore"):
            if isinstance(op, (ast.Add, ast.Sub)):
                sign = 1.0 if isinstance(op, ast.Add) else -1.0
                return Form(Pieces(bounds, sa + sign * sb, oa + sign * ob), lines=lines)
            both = (sa != 0) & (sb != 0)
            if isinstance(op, ast.Mult) and not np.any(both):
                return Form(Pieces(bounds, sa * ob + sb * oa, oa * ob), lines=lines)
            if isinstance(op, ast.Mult) and not np.all(both):
                _sensitive()  # affine over a narrower span
            _settles(b.pieces)
            divisor = b.pieces.constant
            if divisor:
                if isinstance(op, ast.Div):
                    return Form(Pieces(bounds, sa / divisor, oa / divisor), lines=lines)
                if isinstance(op, (ast.Mod, ast.FloorDiv)):
                    return _periodic(a, op, divisor, lines)
            if isinstance(op, ast.Pow) and known(a) is not None and divisor is not None:
                return Form(_constant(a.pieces, a.pieces.constant ** divisor), lines=lines)
    crossings = None if isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div)) else _INF
    if isinstance(op, ast.Div) and timed(b):
        crossings = _INF
    return mixed([a, b], crossings)


def _periodic(a, op, divisor, lines, rounding=np.floor, shift=0.0):
    """``a % divisor`` (or ``a // divisor``; ``rounding`` trunc for fmod, rint with ``shift`` a half for remainder),
    cut where ``a`` crosses a multiple of ``divisor``."""
    quotient = isinstance(op, ast.FloorDiv)

    def transform(s, o, x):
        whole = rounding(x / divisor)
        return (0.0 * s, whole) if quotient else (s, o - divisor * whole)

    try:
        return Form(a.pieces.split(abs(divisor), shift * abs(divisor), transform), lines=lines)
    except _TooMany:
        return _unread(lines)


def where(condition, when, otherwise):
    """``when if condition else otherwise``: exact where all three are."""
    if exact(condition) and exact(when) and exact(otherwise):
        bounds = _merged(_merged(condition.pieces.bounds, when.pieces.bounds), otherwise.pieces.bounds)
        (_, c), (sw, ow), (so, oo) = (f.pieces.on(bounds) for f in (condition, when, otherwise))
        return Form(Pieces(bounds, np.where(c != 0, sw, so), np.where(c != 0, ow, oo)),
                    lines=condition.lines | when.lines | otherwise.lines)
    return mixed([condition, when, otherwise], _INF)


def logic(values, both):
    """``and`` (``both``) or ``or`` of branch tests, as a 0/1 value."""
    truths = [truth(v) for v in values]
    if all(exact(t) for t in truths):
        result = truths[0]
        for other in truths[1:]:
            result = where(result, other, result) if both else where(result, result, other)
        return result
    loose = mixed(truths, 0)
    count = loose.unknown + len(loose.jumps)
    if loose.fragile or (loose.jumps and math.isfinite(count)):
        _sensitive()  # a narrower span holds fewer of the jumps counted
    return Form(None, loose.jumps, loose.unknown, count, loose.lines)


def not_(value):
    """``not value`` as a 0/1 value (one not read exactly keeps its switches)."""
    test = truth(value)
    if exact(test):
        return Form(Pieces(test.pieces.bounds, test.pieces.slope, 1.0 - test.pieces.offset), lines=test.lines)
    return test


# -- library functions of t ------------------------------------------------------------------------------------------
def _absolute(s, o, x):
    """``abs`` as a :meth:`Pieces.split` transform: each piece where the value is negative mirrored."""
    return np.where(x < 0, -s, s), np.where(x < 0, -o, o)


_ABSOLUTES = (abs, np.abs, math.fabs)
_ROUNDINGS = {math.floor: np.floor, math.ceil: np.ceil, math.trunc: np.trunc, int: np.trunc, round: np.rint,
              np.floor: np.floor, np.ceil: np.ceil, np.trunc: np.trunc, np.rint: np.rint, np.round: np.rint,
              np.fix: np.trunc}
_REMAINDERS = {math.fmod: (np.trunc, 0.0), np.fmod: (np.trunc, 0.0), np.remainder: (np.floor, 0.0),  # np.mod too
               math.remainder: (np.rint, 0.5)}
_MONOTONE = {math.exp, math.log, math.sqrt, math.tanh, math.atan, math.expm1, math.log1p, math.log10, math.log2,
             np.exp, np.log, np.sqrt, np.tanh, np.arctan, np.expm1, np.log1p, np.log10, np.log2, np.cbrt, float,
             math.asinh, np.arcsinh}
_LEVELS = {np.sign: lambda s, o, x: (0.0 * s, np.sign(x)),
           np.heaviside: lambda s, o, x: (0.0 * s, (x > 0).astype(np.float64)),
           **dict.fromkeys(_ABSOLUTES, _absolute)}
_SELECTS = {min: operator.le, max: operator.ge, np.minimum: operator.le, np.maximum: operator.ge,
            np.fmin: operator.le, np.fmax: operator.ge}
_FOLLOWED = set(_ROUNDINGS) | set(_REMAINDERS) | _MONOTONE | set(_LEVELS) | set(_SELECTS)


def _safe(func, value):
    """``func(value)``, or None outside its domain."""
    try:
        return func(value)
    except Exception:  # noqa: BLE001 - outside the function's domain: not a number read
        return None


def applied(callee, args, line):
    """``callee(*args)`` (``args`` forms, the call at ``line``) where ``callee`` is a library function whose switches
    are read: a rounding, remainder, monotone, step or selecting function, or ``np.where``; None for any other."""
    if callee is np.where and len(args) == 3:
        return where(truth(args[0], line), args[1], args[2])
    try:
        if not args or callee not in _FOLLOWED:
            return None
    except TypeError:  # an unhashable callee
        return None
    a = args[0]
    if callee in _SELECTS and len(args) == 2:  # continuous (max(0, sin(t)) is a kink, no switch)
        if exact(args[0]) and exact(args[1]):
            return where(compared(args[0], _SELECTS[callee], args[1]), args[0], args[1])
        return mixed(args, _INF)
    if callee in _MONOTONE:
        if known(a) is not None:
            return number(_safe(callee, known(a)), a.pieces.bounds[[0, -1]])
        if callee is float:
            return a
        result = mixed([a], _loose(a).crossings)
        return dataclasses.replace(result, fragile=True) if exact(a) and a.pieces.slope.size > 1 else result
    if callee in _REMAINDERS and len(args) == 2:
        if exact(a) and known(args[1]):
            rounding, shift = _REMAINDERS[callee]
            return _periodic(a, ast.Mod(), known(args[1]), a.lines | {line}, rounding, shift)
        return mixed(args, _INF, [line])
    if not timed(a):
        return number(_safe(callee, known(a)), a.pieces.bounds[[0, -1]]) if exact(a) and len(args) == 1 else FREE
    if not exact(a) and callee in _ABSOLUTES:  # continuous too
        return mixed([a], _INF)
    if not exact(a) or (callee in _ROUNDINGS and len(args) > 1):
        if callee in _LEVELS and a.fragile:
            _sensitive()
        count = _loose(a).crossings + a.unknown if callee in _LEVELS else _INF
        return Form(None, _loose(a).jumps, count, _INF, a.lines | {line})
    try:
        if callee in _ROUNDINGS:
            rounding = _ROUNDINGS[callee]
            half = 0.5 if rounding is np.rint else 0.0
            pieces = a.pieces.split(1.0, half, lambda s, o, x: (0.0 * s, rounding(x)))
        else:
            pieces = a.pieces.split(None, 0.0, _LEVELS[callee])
    except _TooMany:
        return _unread(a.lines | {line})
    return Form(pieces, lines=a.lines | _entry(line, pieces))
