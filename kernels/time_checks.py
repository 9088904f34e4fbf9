"""Checks of the time arguments of a solve: the integration span, the save times and the step bounds.

Each names the argument, the rule and the value given, and raises :class:`ConfigurationError` (as
:mod:`kernels.validation` does for the other arguments, whose number checks these share).  Low-precision times get
messages of their own: equal float32 times may be distinct times rounded together or equal as given.
"""

from __future__ import annotations

import collections.abc
import math

import numpy as np

from planner.wording import rounded_up

from .batch_layout import TEXT
from .errors import ConfigurationError, describe
from .validation import as_real, finite_float, reals_or_none

__all__ = ["check_span", "check_t_eval", "check_step_bounds", "check_fixed_step", "fixed_step_count", "STEP_SNAP",
           "dt_max_step_count", "check_dt_max_reach"]

#: A fixed step that would leave less than this fraction of itself before a save time lands on it: an interval
#: within it of a whole number of steps takes that number (:mod:`kernels.loop_fixed`, and the host's picture of
#: where its steps land, :func:`kernels.driver_switches.hidden_switches`).
STEP_SNAP = 1e-9


#: What a span that ends before it starts is told (forward integration only).
_BACKWARDS = ("to integrate backwards, solve dz/ds = -f(-s, z) from s = -t0 to -t_end (the rhs with t and dydt "
              "negated) and read the saves at s = -t_eval (README, 'Integrating batches')")


def check_span(t_span):
    """``t_span`` as ``(t0, t_end)`` floats with ``t_end > t0``.

    A span given per trajectory is refused with the shared form that does the same
    (:func:`per_trajectory_span_message`), looked for only once the pair does not unpack into two numbers: a plain
    pair costs what it did, and a one-shot iterable is read once."""
    if isinstance(t_span, collections.abc.Iterator):  # iter((0, 1)) and generators: unpacked once, here
        t_span = tuple(t_span)
    try:
        if isinstance(t_span, TEXT):  # "05" and b"01" unpack into two characters, or two byte values
            raise TypeError
        t0, t_end = t_span
    except (TypeError, ValueError):
        raise ConfigurationError(per_trajectory_span_message(t_span) or "t_span must be a pair (t0, t_end) of real "
                                 f"numbers; got {describe(t_span)}") from None
    if _an_array(t0) or _an_array(t_end):  # (what per_trajectory_span_message looks for: never '' here)
        raise ConfigurationError(per_trajectory_span_message(t_span))
    t0, t_end = finite_float(t0, "t_span[0]"), finite_float(t_end, "t_span[1]")
    if not t_end > t0:
        kinds = [np.dtype(getattr(v, "dtype", np.float64)) for v in t_span]  # (t_span was unpacked: a pair)
        low = next((k for k in kinds if k.kind == "f" and k.itemsize < 8), None)
        how = (f"the span is empty: t_span holds {low.name} times, which hold times near {t0:.3g} only to "
               f"{_spacing_in(t0, low):.3g}: if its ends were meant to differ, give them in float64; if not, the "
               "state at t0 is y0 itself" if t_end == t0 and low is not None else
               "the span is empty: the state at t0 is y0 itself" if t_end == t0 else
               _BACKWARDS)
        raise ConfigurationError(
            f"t_span must satisfy t_end > t0 (forward integration only); got ({t0!r}, {t_end!r}): {how}")
    return t0, t_end


def _spacing_in(value, kind):
    """``kind``'s spacing at ``value`` where ``kind`` is a float type narrower than float64, else None.

    Equal low-precision times may be distinct times rounded together (1000 float32 saves 1 s apart at an epoch of 7e8
    hold 157 values: np.unique would drop 843, an orbital mechanic's trial) or equal as given (float32 [0.5, 1, 1, 2]:
    float64 fixes nothing, a regression hunt); which, the values cannot tell, so the messages give both remedies."""
    kind = np.dtype(kind)
    return float(np.spacing(kind.type(value))) if kind.kind == "f" and kind.itemsize < 8 else None


def check_t_eval(t_eval, t0, t_end):
    """Save times: strictly increasing, inside ``[t0, t_end]``; ``None`` means ``[t_end]``."""
    if t_eval is None:
        return np.array([t_end])
    arr = reals_or_none(t_eval, "t_eval")
    if _rows_of_times(t_eval, arr):
        raise ConfigurationError(per_trajectory_saves_message(t_eval, arr))
    if arr is None:
        raise ConfigurationError(f"t_eval must be a 1-D array of times (real numbers); got {describe(t_eval)}")
    if arr.ndim == 0:  # t_eval=3600.0 for one save time (a chemist's trial was told "got shape ()")
        raise ConfigurationError(_scalar_t_eval_message(arr))
    if arr.ndim == 1 and arr.size == 0:  # SciPy takes one; a dosing loop's interval with no samples passed one
        raise ConfigurationError("t_eval must be a non-empty 1-D array; got shape (0,): every run saves at least one "
                                 "time (SciPy's empty t_eval saves none); leave t_eval out to save the end of t_span "
                                 "alone, whose state starts the next interval of a split solve (a pharmacometrician's "
                                 "trial)")
    if arr.ndim != 1:
        raise ConfigurationError(f"t_eval must be a non-empty 1-D array; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ConfigurationError("t_eval must be finite; found inf or nan")
    if np.any(np.diff(arr) <= 0):
        i = int(np.flatnonzero(np.diff(arr) <= 0)[0])
        kind = np.dtype(getattr(t_eval, "dtype", None) or np.asarray(t_eval).dtype)  # (a list of np.float32 too)
        spacing = _spacing_in(arr[i], kind) if arr[i + 1] == arr[i] else None
        fix = (f"t_eval is {kind.name}, which holds times near {float(arr[i]):.3g} only to {spacing:.3g}: if these "
               "saves were meant to differ, make them in float64 (np.unique would drop the saves its rounding "
               "merged); if they repeat as given, pass np.unique(t_eval)" if spacing is not None
               else "pass np.unique(t_eval), which sorts and drops repeats")
        raise ConfigurationError(f"t_eval must be strictly increasing; t_eval[{i + 1}] = {float(arr[i + 1])!r} "
                                 f"follows t_eval[{i}] = {float(arr[i])!r}: {fix}")
    if arr[0] < t0 or arr[-1] > t_end:
        raise ConfigurationError(
            f"t_eval must lie within t_span [{t0!r}, {t_end!r}]; got [{float(arr[0])!r}, {float(arr[-1])!r}]"
            + (_rounded_times_note(t_eval, arr, t0, t_end) or _units_note(arr, t0, t_end)
               or _outside_remedy(t_eval, arr, t0, t_end)))
    return arr


def _scalar_t_eval_message(arr):
    """The refusal of a single number given as ``t_eval`` (``arr``, 0-d): the list it should be, and what a solve
    without ``t_eval`` saves (:func:`check_t_eval`: the end of the span alone)."""
    value = float(arr)
    return (f"t_eval must be a 1-D array of save times; got the scalar {value!r}: pass t_eval=[{value!r}] to save at "
            "that one time (without t_eval, only the state at t_span[1] is saved)")


#: Factor by which every save time's magnitude exceeds the span's ends before the refusal asks about time units.
UNITS_FACTOR = 100.0


def _units_note(arr, t0, t_end):
    """Where every save time lies outside ``[t0, t_end]`` and beyond :data:`UNITS_FACTOR` times the larger of
    ``|t0|`` and ``|t_end|``: a question about the time units, else ''.

    Why: a laser physicist gave t_eval in ns with t_span in s ((0, 2e-8), t_eval [5, 10, 20]) and was told to extend
    t_span to (0, 20): 1e13 photon lifetimes, where the times were 1e9 off."""
    reach = max(abs(t0), abs(t_end))
    if reach == 0 or np.any((arr >= t0) & (arr <= t_end)):
        return ""
    ratio = float(np.max(np.abs(arr))) / reach
    if ratio < UNITS_FACTOR:
        return ""
    return (f": every save time lies outside it, the largest about 1e{round(math.log10(ratio))} times the span's "
            "end: check that t_eval and t_span are in the same time unit (t_eval in ns with t_span in s, say), and "
            "convert one of them")


def _outside_remedy(t_eval, arr, t0, t_end):
    """What to do with save times ``arr`` (``t_eval`` as given) outside ``[t0, t_end]``: drop them, or move the span's
    end out to the last one; an earlier start only where ``y0`` is the state there (the refusal gave no remedy: an
    epidemiologist's trial)."""
    outside = int(np.count_nonzero((arr < t0) | (arr > t_end)))
    kept = (f"t_eval[(t_eval >= {t0!r}) & (t_eval <= {t_end!r})]" if isinstance(t_eval, np.ndarray) else
            f"[t for t in t_eval if {t0!r} <= t <= {t_end!r}]")
    words = [f": {outside} of the {arr.size} times {'lies' if outside == 1 else 'lie'} outside it. Drop "
             f"{'it' if outside == 1 else 'them'}, t_eval = {kept}"]
    if arr[-1] > t_end:
        words.append(f", or extend t_span to ({t0!r}, {float(arr[-1])!r}) to integrate up to the last one")
    if arr[0] < t0:
        words.append(f"; a save before t0 needs t_span to start there, ({float(arr[0])!r}, ...), with y0 the state "
                     "at that time (integration runs forward from t0, where y0 holds)")
    return "".join(words)


def _rounded_times_note(t_eval, arr, t0, t_end):
    """Why a low-precision ``t_eval`` (float32 from ``jnp.linspace`` or ``np.float32``) lies outside its span, when
    it is only its own rounding of ``t0`` or ``t_end`` that does; else ''."""
    kind = getattr(t_eval, "dtype", None)
    if kind is None or np.dtype(kind).kind != "f" or np.dtype(kind).itemsize >= 8:
        return ""
    low = np.dtype(kind).type
    ends = [(float(arr[0]), t0)] if arr[0] < t0 else []
    ends += [(float(arr[-1]), t_end)] if arr[-1] > t_end else []
    if not all(low(value) == low(bound) for value, bound in ends):
        return ""
    return (f": t_eval is {np.dtype(kind).name}, whose rounding of {ends[0][1]!r} is {ends[0][0]!r}; make the "
            "times in float64 (np.linspace(..., dtype=np.float64); converting the rounded array keeps its "
            "rounding), or end t_span at float(t_eval[-1])")


def check_step_bounds(dt_min, dt_max):
    """``0 <= dt_min < dt_max`` (``dt_max`` may be inf); return both as floats."""
    low, high = as_real(dt_min, "dt_min"), as_real(dt_max, "dt_max")
    if low is None or high is None:
        raise ConfigurationError(f"dt_min and dt_max must be real numbers; got {describe(dt_min)}, {describe(dt_max)}")
    if not (0.0 <= low < high) or math.isinf(low) or math.isnan(high):
        raise ConfigurationError(f"dt_min and dt_max must satisfy 0 <= dt_min < dt_max; got {low!r}, {high!r}")
    return low, high


def check_fixed_step(dt, t0, t_end, adaptive, what="dt"):
    """Refuse a fixed step ``dt`` longer than the span ``t_end - t0``.

    Such a step would be cut to the span: one step over the whole interval, whose
    result is as wrong as the step is large, with status success.  An adaptive
    first step may be longer; the loop cuts it to the span and the controller
    shrinks it when its error is too large.
    """
    if adaptive or dt is None or dt <= t_end - t0:
        return
    raise ConfigurationError(
        f"{what}={dt!r} is longer than the integration span t_end - t0 = {t_end - t0!r}: fixed-step "
        f"integration would take one step over the whole span; use {what} <= {t_end - t0!r} "
        f"(the span / the number of steps)")


def fixed_step_count(dt, t0, t_end, adaptive):
    """The fewest fixed steps of ``dt`` that reach ``t_end`` (saves may add some), or None for adaptive runs."""
    if adaptive or dt is None:
        return None
    return math.ceil((t_end - t0) / dt * (1.0 - 1e-12))


def dt_max_step_count(dt_max, t0, reached, t_eval=None):
    """``(steps, stops)``: the fewest steps no longer than ``dt_max`` that integrate from ``t0`` to ``reached``
    landing on every save time of ``t_eval`` between them (each save ends a step), and how many such stops there
    are (what the saves alone need); None where ``dt_max`` bounds nothing (inf).  A step that lands on a stop may
    pass ``dt_max`` by the loop's snap, so each interval's count is taken a little short."""
    if not math.isfinite(dt_max) or not reached > t0:
        return None
    saves = np.asarray(t_eval if t_eval is not None else (), np.float64).ravel()
    stops = np.unique(np.concatenate(([t0], saves[(saves > t0) & (saves < reached)], [reached])))
    gaps = np.diff(stops)
    steps = np.ceil(gaps / (dt_max * (1.0 + 16.0 * STEP_SNAP)))
    return int(np.sum(np.maximum(steps, 1.0))), int(gaps.size)


def check_dt_max_reach(dt_max, max_steps, t0, reached, adaptive, t_eval=None, terminal=False):
    """Refuse an adaptive run whose ``dt_max`` needs more steps than ``max_steps`` to reach ``reached`` (where the
    loop stops: ``t_end``, or the last save), before it runs: every trajectory would end at MAX_STEPS, told to raise
    max_steps or loosen rtol and atol, which cannot help (dt_max=1e-4 over a span of 1 at max_steps=2000 ran for
    minutes on the simulator: a physicist's trial).  A fixed step's count is told after the run, in its MAX_STEPS
    message.  A run with a terminal event may stop before; one whose saves alone need more than ``max_steps`` is
    told so after the run (:func:`kernels.result_notes.saves_beyond_max_steps`)."""
    counted = dt_max_step_count(dt_max, t0, reached, t_eval) if adaptive and not terminal else None
    if counted is None or isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)):
        return
    needed, stops = counted
    if needed <= max_steps or stops > max_steps:
        return
    saves = f", landing on the {stops - 1} save times before it," if stops > 1 else ""
    least = rounded_up((reached - t0) / int(max_steps), 3)  # the span over max_steps, written so that it suffices
    raise ConfigurationError(
        f"no step is longer than dt_max={dt_max!r}, so integrating from t = {t0!r} to {reached!r}{saves} takes at "
        f"least {needed} steps, more than max_steps={int(max_steps)}: every trajectory would stop at MAX_STEPS, "
        f"whatever rtol and atol; raise max_steps to at least {needed} (more where the tolerances need shorter "
        f"steps), or raise dt_max to at least {least} (the span over max_steps)")


# -- times given per trajectory: the span and the save times are the batch's ---------------------------------------
#: Where the README says that the span and the save times are shared, and how to read per-trajectory times.
_README = "(README, 'Integrating batches', Saves)"
_EPOCHS = ("keep each epoch as a parameter (t + p[k] in rhs; with drivers, which are sampled in absolute time and "
           "shared by the batch, write the input in rhs as a function of t + p[k] too, instead of as a driver)")


#: The shared forms of per-trajectory spans, where the spans themselves cannot be read into a remedy with numbers.
_SHARED_FORMS = ("for trajectories with their own ends, integrate to the latest end, save at every trajectory's own "
                 "end (t_eval=np.unique(ends)) and read trajectory i's state there as res.y[i, np.searchsorted(res.t, "
                 f"ends[i])]; for their own start times (epochs), {_EPOCHS} {_README}")


def per_trajectory_span_message(t_span):
    """The refusal of a ``t_span`` given per trajectory (a 2-D array, rows ``(t0, t_end)`` or a pair of arrays), with
    the shared span that does the same, else ''.  A pharmacologist's first try was each patient's own span, an
    ``(N, 2)`` array, which was told only that ``t_span`` must be a pair."""
    if isinstance(t_span, TEXT) or not _given_per_trajectory(t_span):
        return ""
    head = f"t_span must be a pair (t0, t_end) of real numbers, shared by the whole batch; got {describe(t_span)}"
    spans = _starts_and_ends(t_span)
    if spans is None:
        return f"{head}: {_SHARED_FORMS}"
    starts, ends = spans
    unusable = _unusable_spans(starts, ends)
    if unusable:
        return f"{head}: {unusable}. With every span finite and ending after it starts, {_SHARED_FORMS}"
    if np.all(starts == starts[0]):
        return f"{head}, a span per trajectory: {_own_ends_remedy(float(starts[0]), ends)}"
    durations = ends - starts
    longest = float(np.max(durations))
    if np.all(durations == durations[0]):
        return (f"{head}: for trajectories with their own epochs, integrate over the shared duration from 0, "
                f"t_span=(0.0, {longest!r}), and {_EPOCHS}")
    return (f"{head}: for trajectories with their own epochs and durations, integrate from 0 to the longest "
            f"duration, t_span=(0.0, {longest!r}), save at every trajectory's own duration (t_eval="
            "np.unique(durations), durations = t_end - t0 of each) and read trajectory i's end state as "
            f"res.y[i, np.searchsorted(res.t, durations[i])], and {_EPOCHS}")


def _unusable_spans(starts, ends):
    """What is wrong with the trajectories' spans ``(starts[i], ends[i])`` that no shared span can stand for: a
    start or end not finite, a span that ends before it starts (told what check_span tells one such pair), or every
    span empty; else ''.  The shared remedy built from them offered ``t_span=(0.0, nan)`` for a NaN end and saves
    at a negative duration for a reversed row, both refused in turn (a regression hunt)."""
    bad = np.flatnonzero(~(np.isfinite(starts) & np.isfinite(ends)))
    if bad.size:
        return (f"{_spans_named(starts, ends, bad)} {'is' if bad.size == 1 else 'are'} not finite: give every t0 and "
                "t_end as a finite number")
    bad = np.flatnonzero(ends < starts)
    if bad.size:
        return (f"{_spans_named(starts, ends, bad)} {'ends' if bad.size == 1 else 'end'} before "
                f"{'it starts' if bad.size == 1 else 'they start'}, and integration runs forward only (t_end > t0): "
                f"{_BACKWARDS}")
    if not np.any(ends > starts):
        return "every span is empty (t_end == t0): the state at t0 is y0 itself"
    return ""


def _spans_named(starts, ends, bad):
    """The first of the trajectories ``bad`` (indices) named with its span, and how many more there are."""
    i = int(bad[0])
    more = f" (and {bad.size - 1} more)" if bad.size > 1 else ""
    return f"trajectory {i}'s span ({float(starts[i])!r}, {float(ends[i])!r}){more}"


def _own_ends_remedy(t0, ends):
    """What to pass for trajectories that start together at ``t0`` and end at their own ``ends``."""
    latest = float(np.max(ends))
    if np.all(ends == ends[0]):
        return f"every row is the same span: pass it once, t_span=({t0!r}, {latest!r})"
    return (f"they start at {t0!r} and end at {np.unique(ends).size} different times, {float(np.min(ends))!r} to "
            f"{latest!r}: integrate to the latest end, t_span=({t0!r}, {latest!r}), and save at every trajectory's "
            "own end (the save times t_eval are shared by the batch too): t_eval=np.unique(ends) (ends: each "
            "trajectory's t_end; with save times of your own, np.unique(np.concatenate([t_eval, ends]))), then read "
            "trajectory i's state at its end as res.y[i, np.searchsorted(res.t, ends[i])]; or keep each trajectory's duration "
            "as a parameter p[k] and integrate over (0, 1) in s = (t - t0) / p[k], rhs writing p[k] times the "
            f"derivative at t = t0 + p[k] * s {_README}")


def _given_per_trajectory(t_span):
    """Whether ``t_span`` is given per trajectory: 2-D (ragged rows too), or a pair with an array end (one of a
    single element too: the span of one trajectory given as arrays)."""
    try:
        if np.ndim(t_span) >= 2:
            return True
    except ValueError:  # ragged: rows of their own lengths, or a pair of an array and a number
        pass
    try:
        t0, t_end = t_span
    except (TypeError, ValueError):
        return False
    return _an_array(t0) or _an_array(t_end)


def _an_array(value):
    """Whether ``value`` is an array or sequence, not one number (``np.array([1.0])`` too: a span of one trajectory
    given as arrays is told to pass it once)."""
    try:
        return np.ndim(value) > 0
    except ValueError:  # ragged
        return True


def _starts_and_ends(t_span):
    """``(starts, ends)``, float64 arrays with one entry per trajectory, of a ``t_span`` given per trajectory: rows
    ``(t0, t_end)`` of an ``(N, 2)`` array, or a pair ``(t0s, t_ends)`` (a ``(2, N)`` array, or a tuple of an array
    and a number).  A ``(2, 2)`` reads both ways: the one whose ends follow their starts, else rows first for an
    array and the pair first for a tuple or list.  None where neither reading fits."""
    try:
        arr = np.asarray(t_span, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    if arr is None:
        readings = [_broadcast_pair(t_span)]
    elif arr.ndim == 2:
        rows = (arr[:, 0], arr[:, 1]) if arr.shape[1] == 2 else None
        pair = (arr[0], arr[1]) if arr.shape[0] == 2 else None
        readings = [pair, rows] if isinstance(t_span, (tuple, list)) else [rows, pair]
    else:
        readings = []
    readings = [reading for reading in readings if reading is not None]
    if not readings:
        return None
    return next((reading for reading in readings if np.all(reading[1] > reading[0])), readings[0])


def _broadcast_pair(t_span):
    """``(starts, ends)`` of a pair whose ends broadcast together (``(t0s, t_end)``), else None."""
    try:
        t0, t_end = t_span
        starts, ends = np.broadcast_arrays(np.ravel(np.asarray(t0, np.float64)),
                                           np.ravel(np.asarray(t_end, np.float64)))
    except (TypeError, ValueError):
        return None
    return starts, ends


def _rows_of_times(t_eval, arr):
    """Whether ``t_eval`` (``arr``: it as float64, None where refused) holds rows of times: 2-D or more, or a
    list or tuple of sequences of their own lengths."""
    if arr is not None:
        return arr.ndim >= 2
    if not isinstance(t_eval, (list, tuple)) or not t_eval:
        return False
    try:
        return all(np.ndim(row) == 1 and np.size(row) > 0 for row in t_eval)
    except ValueError:
        return False


def per_trajectory_saves_message(t_eval, arr):
    """The refusal of save times given per trajectory (``arr``: ``t_eval`` as float64, None for ragged rows), with
    the shared save times that hold every trajectory's own: their sorted union, each trajectory's picked from the
    result by ``np.searchsorted`` (each patient's own sampling times, a pharmacologist's first try)."""
    given = describe(t_eval) if arr is None else f"shape {arr.shape}"
    single = ("; a single row or column of times is np.ravel(t_eval)"
              if arr is not None and arr.ndim == 2 and 1 in arr.shape else "")
    return (f"t_eval must be a non-empty 1-D array of save times, shared by the whole batch as t_span is; got {given}"
            ", rows of times: pass the sorted union of every trajectory's own times, t_eval=np.unique("
            "np.concatenate(rows)) (rows: each trajectory's times, of any lengths), and pick trajectory i's own "
            f"saves from the result as res.y[i, np.searchsorted(res.t, rows[i])]{single} {_README}")
