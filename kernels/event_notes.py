"""What a trajectory's message says of its terminal events: which one stopped it, which one never fired because its
``g`` started on 0, and which one never fired because its ``g`` started on the side its crossing leads to.

A run with events keeps an :class:`EventStart` in its result (``IVPResult.event_start``): each event's label
(``events[1] (hit_earth)``), whether it is terminal and its direction, and, for the check of ``g`` at ``t0``, the
functions and copies of the solve's host inputs (a reference read the user's buffer when the message was asked for:
a result that started at height 5 said its ``g`` was 0 at ``t0`` once the user zeroed ``y0`` for the next solve).
:func:`event_note` composes the text on the host, when a message is asked for, from that and the result's
``event_count``, ``event_t`` and saves.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .errors import SuspectSuccessWarning, warn_user
from .event_checks import g_at_start, g_value, zero_at_start
from .result_notes import host_array
from .status import EVENT, SUCCESS

__all__ = ["EventStart", "event_note", "fired_note", "unfired_note", "far_side_note", "nan_note", "nan_after_number",
           "event_label", "warn_event_nan"]

#: Successful trajectories :func:`warn_event_nan` looks at, evenly spaced over those with an unfired terminal event.
NAN_CHECK_ROWS = 8


def event_label(index, function):
    """``events[1] (hit_earth)``: an event as a message names it, by its place in the ``events`` list and its
    function's ``__name__`` (a lambda's is left out: ``<lambda>`` tells nothing)."""
    name = getattr(getattr(function, "func", function), "__name__", None)  # (a functools.partial: its function's)
    return f"events[{index}] ({name})" if name and name != "<lambda>" else f"events[{index}]"


@dataclasses.dataclass(frozen=True)
class EventStart:
    """A run's events as its messages need them (:func:`event_note`).

    ``labels``, ``terminal`` and ``direction`` (one entry per event) survive pickling and are what two results
    compare on (a distributed solve's chunks must agree); ``functions`` and the inputs ``t0``, ``y0`` (N, n_states)
    and ``params`` (N, n_params), host or device arrays, are dropped when pickled (a lambda need not pickle), and
    with them the note of an event whose ``g`` started on 0.
    """

    labels: tuple
    terminal: tuple
    direction: tuple
    functions: tuple | None = dataclasses.field(default=None, compare=False, repr=False)
    t0: float = dataclasses.field(default=0.0, compare=False)
    y0: object = dataclasses.field(default=None, compare=False, repr=False)
    params: object = dataclasses.field(default=None, compare=False, repr=False)
    n: int | None = dataclasses.field(default=None, compare=False)
    rhs: object = dataclasses.field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, events, t0, y0, params, rhs=None):
        """The EventStart of a solve's ``events`` (:class:`kernels.Event` tuple) and inputs, or None without
        events; nothing evaluated until a message asks.  Where some event is terminal, ``y0`` and ``params`` are
        copied (host arrays; a device array is not kept, and its trajectories get no note of a start on 0): the
        user may refill the buffers for the next solve, and the note of this result must not read them.  ``rhs``: the
        system's host ``f(t, y, p)`` (``ODESystem.evaluate_rhs``; None with drivers), for which way ``g`` left 0
        where no save shows it (:func:`_first_step`)."""
        if not events:
            return None
        terminal = tuple(bool(event.terminal) for event in events)
        kept = [np.array(a, copy=True) if any(terminal) and isinstance(a, np.ndarray) else None for a in (y0, params)]
        rows = [a.shape[0] for a in kept if a is not None and a.ndim == 2]
        return cls(tuple(event_label(e, event.function) for e, event in enumerate(events)),
                   terminal, tuple(int(event.direction) for event in events),
                   tuple(event.function for event in events), float(t0), *kept, max(rows) if rows else None,
                   rhs if any(terminal) else None)

    def __getstate__(self):
        """The labels, terminal flags and directions; not the functions or the inputs."""
        return {**self.__dict__, "functions": None, "y0": None, "params": None, "rhs": None}

    def __deepcopy__(self, memo):
        """Itself: it only reads, and a copy through :meth:`__getstate__` would lose the functions."""
        return self


def fired_note(start, counts, event_t):
    """`` It was events[1] (hit_earth), at t = 0.1540147332.``: the terminal event that stopped a trajectory of status
    EVENT (the terminal event whose count is 1: only the one that stopped it counts; ``counts`` its row of
    ``event_count``), and its time; '' where none is found.  With an Earth and a Moon impact the message said only
    that a terminal event occurred, and users read which from ``event_count`` (an astrodynamicist's trial)."""
    fired = [e for e, terminal in enumerate(start.terminal) if terminal and counts[e] > 0]
    if len(fired) != 1:
        return ""
    when = f", at t = {float(event_t):.10g}" if event_t is not None and np.isfinite(event_t) else ""
    return f" It was {start.labels[fired[0]]}{when}."


#: What makes ``g(t0)`` a crossing's start, by direction: the side it must be on and how to shift ``g``.
_SIDE = {-1: ("a hair positive", "add {shift} to g (r - (R - {shift}) for r - R)", "above"),
         1: ("a hair negative", "subtract {shift} from g (r - (R + {shift}) for r - R)", "below"),
         0: ("a hair off 0 on the side g leaves from", "add or subtract {shift}", "off")}


def unfired_note(start, counts, trajectory, dtype, saved=None, saves=None):
    """One sentence for each terminal event of ``trajectory`` that did not fire (its count 0 in ``counts``, its row of
    ``event_count``): :func:`far_side_note` where its ``g`` started on the side its crossing leads to; else where its
    ``g`` was 0, to within rounding, at ``t0`` (:func:`kernels.event_checks.zero_at_start`: one host call of ``g``),
    and then went to the side a crossing in the event's direction ends on (:func:`_left_toward`, from ``saved``:
    ``(t, y)`` of the trajectory's first finite save after ``t0``, else a small Euler step from the start,
    :func:`_first_step`): a start on 0 is not a crossing, and what to do.  '' where there is none, where neither shows
    which way ``g`` went, or the inputs are not kept (a pickled result, device inputs, a row of another chunk).
    ``saves``: ``(t, y)`` of the trajectory's saves, for :func:`far_side_note`.

    Why the side: ``g`` rising from 0 under ``direction=-1`` (a ball thrown up from the ground) or a trajectory
    that failed for its own reason had missed nothing, and the note misled (a hunt's cases); SciPy stops at ``t0``
    exactly where ``g`` leaves 0 the event's way (its ``up``/``down`` tests take ``g(t0) = 0``)."""
    if start.functions is None or start.y0 is None or start.params is None:
        return ""
    y_row, p_row = (_row(a, trajectory, start.n) for a in (start.y0, start.params))
    if y_row is None or p_row is None:
        return ""
    notes, left = [], []
    for e, terminal in enumerate(start.terminal):
        if not terminal or counts[e] > 0:
            continue
        lost = nan_note(start, e, p_row, saves)
        if lost:
            notes.append(lost)
            continue
        far = far_side_note(start, e, y_row, p_row, dtype, saves)
        if far:
            notes.append(far)
            continue
        value = zero_at_start(start.functions[e], start.t0, y_row, p_row, dtype)
        if value is None:
            continue
        if not left:  # the first step's state, taken once and only where some g started on 0
            left.append(saved if saved is not None else _first_step(start, y_row, p_row))
        if left[0] is None or not _left_toward(start.functions[e], start.direction[e], left[0], p_row):
            continue
        shift = f"{max(1.0, float(np.max(np.abs(y_row)))) * (1e-5 if np.dtype(dtype) == np.float32 else 1e-9):.0e}"
        side, how, where = _SIDE[start.direction[e]]
        was = "0" if value == 0.0 else f"{value:.3g}, 0 within rounding,"
        notes.append(f" {start.labels[e]} is terminal and did not fire: its g was {was} at t0 = {start.t0:g} and "
                     f"then went {_WENT[start.direction[e]]}, and a start on a zero of g is not a crossing (only a "
                     "sign change after a step is; SciPy stops at t0 where g leaves 0 that way), so g leaving 0 at the "
                     f"start stopped nothing; where it should stop the trajectory, make g(t0) {side}: "
                     f"{how.format(shift=shift)}, or start a hair {where} its zero.")
    return "".join(notes)


#: Words of :func:`far_side_note`'s sentence: a failed trajectory's message opens with it (``IVPResult.message``).
FAR_SIDE_MARK = "crossing leads to, so it fires only after"

#: The most saves :func:`far_side_note` evaluates ``g`` at (evenly strided beyond): a message's cost stays bounded.
FAR_SIDE_SAVES = 2000


def far_side_note(start, e, y_row, p_row, dtype, saves=None):
    """`` Terminal event events[0] (hit_surface) starts with g = -0.04 < 0, ...``: where terminal
    event ``e`` of a trajectory (start ``y_row``, ``p_row``) that it did not stop has a ``direction`` of -1 or +1 and
    its ``g`` at ``t0`` (one host call, :func:`kernels.event_checks.g_at_start`) lies on the side that direction's
    crossing leads to, off 0 by more than rounding (a start on 0 is :func:`unfired_note`'s own case), so that it can
    fire only after ``g`` has gone to the other side and come back; else ''.  Not said where one of the finite
    ``saves`` (``(t, y)``, at most :data:`FAR_SIDE_SAVES` of them looked at) shows ``g`` on the other side: the
    crossing was then armed, and the trajectory simply ended before it (a launch from the ground under a descent
    event).  Direction 0 counts both ways, so no start is on its far side.

    A Kepler fall whose impact event ``r - 0.05`` (``direction=-1``) started at r = 0.01, inside the body, never fired,
    and the message spoke only of step underflow and a singular solution (an astrodynamicist's trial)."""
    direction = start.direction[e]
    value = g_at_start(start.functions[e], start.t0, y_row, p_row) if direction else None
    if value is None or not value * direction > 0 or zero_at_start(
            start.functions[e], start.t0, y_row, p_row, dtype) is not None or _went_back(start, e, p_row, saves):
        return ""
    sign, away, back = ("<", "rises above", "falls") if direction < 0 else (">", "falls below", "rises")
    return (f" Terminal event {start.labels[e]} starts with g = {value:.3g} {sign} 0, the side its direction "
            f"{direction:+d} crossing leads to, so it fires only after g {away} 0 and {back} again: if the start is "
            "inside the region the event guards (a start inside the body, or a slip of units), fix the start; if it "
            f"is to fire when g first reaches 0 from the start, give direction={-direction:+d}.")


def nan_after_number(start, e, p_row, saves):
    """``(t, g, t_nan)``: a finite save where ``g`` of terminal event ``e`` is the number ``g`` and a later one where
    it is NaN (the saves strided as :func:`_went_back`'s), else None.  A NaN is no sign change, so a ``g`` that leaves
    its domain within one step (a battery's voltage with ``sqrt(x (1 - x))`` once the surface stoichiometry passed 1)
    stops nothing, and the run ended with success at stoichiometries of -7.8 and 5.3 (a battery modeller's trial;
    SciPy's sign test misses it too)."""
    if saves is None:
        return None
    times, states = saves
    rows = np.flatnonzero(np.all(np.isfinite(states), axis=1))
    number = None
    for k in rows[::max(1, -(-rows.size // FAR_SIDE_SAVES))]:
        value = g_value(start.functions[e], times[k], states[k], p_row)
        if value is None:  # device-only code or a fault of the user's g: nothing to say
            return None
        if np.isfinite(value):
            number = (float(times[k]), value)
        elif number is not None:
            return (*number, float(times[k]))
    return None


def _nan_words(seen):
    """What :func:`nan_note` and :func:`warn_event_nan` say of ``seen`` (:func:`nan_after_number`)."""
    t, value, t_nan = seen
    return (f"its g was {value:.3g} at t = {t:g} and NaN at t = {t_nan:g}, and a NaN is no sign change, so the run "
            "went on past where g stopped being a number, with nothing stopped (the states there may lie outside the "
            "model's domain: the argument of a sqrt or log below 0); keep g finite there (clip the argument, e.g. "
            "min(max(x, 0.0), 1.0)), or add an event on the argument itself.")


def nan_note(start, e, p_row, saves):
    """`` Terminal event events[0] did not fire: its g was 0.53 at t = 0.6 and NaN at t = 1.2 ...``
    (:func:`nan_after_number`), else ''."""
    seen = nan_after_number(start, e, p_row, saves)
    return f" Terminal event {start.labels[e]} did not fire: {_nan_words(seen)}" if seen else ""


def _went_back(start, e, p_row, saves):
    """Whether ``g`` of event ``e`` is on the side opposite its crossing's end (above 0 for ``direction=-1``) at one of
    the finite ``saves`` (``(t, y)``, strided to at most :data:`FAR_SIDE_SAVES`); False without saves."""
    if saves is None:
        return False
    times, states = saves
    rows = np.flatnonzero(np.all(np.isfinite(states), axis=1))
    rows = rows[::max(1, -(-rows.size // FAR_SIDE_SAVES))]
    direction = start.direction[e]
    for k in rows:
        value = g_at_start(start.functions[e], float(times[k]), states[k], p_row)
        if value is not None and value * direction < 0:
            return True
    return False


#: Which way ``g`` went from its zero at ``t0``, as the note says it, by direction.
_WENT = {-1: "negative", 1: "positive", 0: "off 0"}


#: Euler steps :func:`_first_step` takes: more than one, so that a start at rest (a fall from the surface, whose
#: first step changes only the velocity) moves its position too.
FIRST_STEPS = 4


def _first_step(start, y_row, p_row):
    """``(t, y)`` a few small Euler steps from ``(t0, y0)`` along the host ``rhs``, standing in for the first save
    where none after ``t0`` is finite (the default saves only the end, and a fall through ``r = 0`` ends in
    STEP_SIZE_UNDERFLOW: the astrodynamicist's case itself); None without ``rhs`` or where it fails.  Each step
    moves the state by 1e-6 of its size: enough for ``g`` to leave a zero it starts on, far below any crossing
    back."""
    if start.rhs is None:
        return None
    try:
        t, y, p = start.t0, np.asarray(y_row, np.float64).copy(), np.asarray(p_row, np.float64)
        h = None
        for _ in range(FIRST_STEPS):
            with np.errstate(all="ignore"):
                dydt = np.asarray(start.rhs(t, y.copy(), p.copy()), np.float64)
            speed = float(np.max(np.abs(dydt)))
            if not (np.all(np.isfinite(dydt)) and speed > 0.0):
                return None
            h = h or 1e-6 * max(1.0, float(np.max(np.abs(y)))) / speed
            t, y = t + h, y + h * dydt
        return t, y
    except Exception:  # noqa: BLE001 - a message must never fail: no note
        return None


def _left_toward(function, direction, saved, p_row):
    """Whether ``g`` at ``saved`` (``(t, y)``: the trajectory's first finite save after ``t0``) is on the side a
    crossing in ``direction`` ends on: below 0 for -1, above for +1, off 0 for 0; False where the host cannot
    evaluate it.  The first save, not the last: with no counted crossing, ``g`` that left 0 the event's way can
    still have crossed back once the other way (uncounted), and only the saves before that show where it went."""
    value = g_at_start(function, *saved, p_row)
    return value is not None and (value < 0 if direction < 0 else value > 0 if direction > 0 else value != 0)


def _first_save_after_start(result, trajectory, t0):
    """``(t, y)`` of ``trajectory``'s first save after ``t0`` whose state is finite, or None (no saves on the host,
    ``save_trajectory=False``, or none finite: a trajectory that stopped before its first save)."""
    y, t = getattr(result, "y", None), getattr(result, "t", None)
    if not (isinstance(y, np.ndarray) and y.ndim == 3 and t is not None):
        return None
    rows = y[trajectory]
    after = np.flatnonzero((np.asarray(t, np.float64) != t0) & np.all(np.isfinite(rows), axis=1))
    return (float(t[after[0]]), rows[after[0]]) if after.size else None


def _row(array, trajectory, n=None):
    """Row ``trajectory`` of a host or device array (one row copied), as float64: its one row where the batch shares
    it (params of one row); None where ``trajectory`` is past the solve's ``n`` trajectories or past the array's
    rows.  (A ``client=`` solve keeps chunk 0's EventStart: its rows are the batch's first, and a trajectory of a
    later chunk was told of chunk 0's row 0.)"""
    if (n is not None and trajectory >= n) or (array.shape[0] != 1 and trajectory >= array.shape[0]):
        return None
    return np.asarray(host_array(array[trajectory if array.shape[0] > 1 else 0]), dtype=np.float64)


def event_note(result, trajectory):
    """What ``result.message(trajectory)`` adds of the run's terminal events: :func:`fired_note` where a terminal event
    stopped the trajectory, else :func:`unfired_note`; '' without events (``result.event_start`` None) or counts."""
    start = getattr(result, "event_start", None)
    if start is None or result.counts is None or not any(start.terminal):
        return ""
    counts = result.event_count[trajectory]
    if int(host_array(result.status)[trajectory]) == EVENT:
        event_t = None if result.event_t is None else float(host_array(result.event_t)[trajectory])
        return fired_note(start, counts, event_t)
    return unfired_note(start, counts, trajectory, np.dtype(getattr(start.y0, "dtype", np.float64)),
                        _first_save_after_start(result, trajectory, start.t0), _saves(result, trajectory))


def _saves(result, trajectory):
    """``(t, y)`` of ``trajectory``'s saves on the host (NaN rows where it did not reach them), or None (no saves on
    the host, ``save_trajectory=False``)."""
    y, t = getattr(result, "y", None), getattr(result, "t", None)
    if not (isinstance(y, np.ndarray) and y.ndim == 3 and t is not None and len(t) == y.shape[1]):
        return None
    return np.asarray(t, np.float64), y[trajectory]


def warn_event_nan(result):
    """One :class:`kernels.SuspectSuccessWarning` a solve where, among up to :data:`NAN_CHECK_ROWS` successful
    trajectories (evenly spaced) with a terminal event that did not fire, one's ``g`` went from a number to NaN
    between saves (:func:`nan_note`): the event could not stop it, and success says nothing of that (a battery
    modeller's cut-off).  Host inputs and saves only; never raises: a warning must not fail a solve."""
    start = getattr(result, "event_start", None)
    if start is None or result.counts is None or not any(start.terminal) or start.functions is None:
        return
    try:
        status, counts = host_array(result.status), host_array(result.event_count)
        unfired = np.flatnonzero((status == SUCCESS) & np.any(
            (counts == 0) & np.asarray(start.terminal, bool)[None, :], axis=1))
        rows = unfired[np.unique(np.linspace(0, unfired.size - 1, min(NAN_CHECK_ROWS, unfired.size)).astype(int))] \
            if unfired.size else unfired
        for i in rows:
            p_row = _row(start.params, int(i), start.n)
            for e in np.flatnonzero(np.asarray(start.terminal, bool) & (counts[i] == 0)) if p_row is not None else ():
                seen = nan_after_number(start, int(e), p_row, _saves(result, int(i)))
                if seen:
                    warn_user(f"trajectory {int(i)} ended with status SUCCESS, but terminal event {start.labels[e]} "
                              f"could not stop it: {_nan_words(seen)} res.message(i) says it for each trajectory (up "
                              f"to {NAN_CHECK_ROWS} successful ones were looked at here).", SuspectSuccessWarning)
                    return
    except Exception:  # noqa: BLE001 - a warning must never fail a solve: none
        return
