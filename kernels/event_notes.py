"""What a trajectory's message says of its terminal events: which one stopped it, and which one never fired because its
``g`` started on 0.

A run with events keeps an :class:`EventStart` in its result (``IVPResult.event_start``): each event's label
(``events[1] (hit_earth)``), whether it is terminal and its direction, and, for the check of ``g`` at ``t0``, the
functions and references to the solve's inputs (not copies).  :func:`event_note` composes the text on the host, when
a message is asked for, from that and the result's ``event_count`` and ``event_t``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .event_checks import zero_at_start
from .result_notes import host_array
from .status import EVENT

__all__ = ["EventStart", "event_note", "fired_note", "unfired_note", "event_label"]


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

    @classmethod
    def of(cls, events, t0, y0, params):
        """The EventStart of a solve's ``events`` (:class:`kernels.Event` tuple) and inputs, or None without
        events: references only, nothing evaluated until a message asks."""
        if not events:
            return None
        return cls(tuple(event_label(e, event.function) for e, event in enumerate(events)),
                   tuple(bool(event.terminal) for event in events), tuple(int(event.direction) for event in events),
                   tuple(event.function for event in events), float(t0), y0, params)

    def __getstate__(self):
        """The labels, terminal flags and directions; not the functions or the inputs."""
        return {**self.__dict__, "functions": None, "y0": None, "params": None}

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


def unfired_note(start, counts, trajectory, dtype):
    """One sentence for each terminal event of ``trajectory`` that did not fire (its count 0 in ``counts``, its row of
    ``event_count``) and whose ``g`` was 0, to within rounding, at ``t0`` (:func:`kernels.event_checks.zero_at_start`:
    one host call of ``g``): a start on 0 is not a crossing, and what to do; '' where there is none or the inputs
    are not kept (a pickled result)."""
    if start.functions is None or start.y0 is None or start.params is None:
        return ""
    notes = []
    for e, terminal in enumerate(start.terminal):
        if not terminal or counts[e] > 0:
            continue
        y_row, p_row = (_row(a, trajectory) for a in (start.y0, start.params))
        value = zero_at_start(start.functions[e], start.t0, y_row, p_row, dtype)
        if value is None:
            continue
        shift = f"{max(1.0, float(np.max(np.abs(y_row)))) * (1e-5 if np.dtype(dtype) == np.float32 else 1e-9):.0e}"
        side, how, where = _SIDE[start.direction[e]]
        was = "0" if value == 0.0 else f"{value:.3g}, 0 within rounding,"
        notes.append(f" {start.labels[e]} is terminal and did not fire: its g was {was} at t0 = {start.t0:g}, and a "
                     "start on a zero of g is not a crossing (only a sign change after a step is; SciPy stops at t0 "
                     "there), so g leaving 0 at the start stopped nothing; where it should stop the trajectory, make "
                     f"g(t0) {side}: {how.format(shift=shift)}, or start a hair {where} its zero.")
    return "".join(notes)


def _row(array, trajectory):
    """Row ``trajectory`` of a host or device array (one row copied), as float64; its one row where the batch shares
    it (params of one row)."""
    return np.asarray(host_array(array[trajectory if array.shape[0] > trajectory else 0]), dtype=np.float64)


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
    return unfired_note(start, counts, trajectory, np.dtype(getattr(start.y0, "dtype", np.float64)))
