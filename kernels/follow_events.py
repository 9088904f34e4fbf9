"""A solve's terminal events watched along a host follow (:mod:`kernels.rhs_follow`).

The failure hints follow a failed trajectory on the host to say where its ``rhs`` stops being finite, or where it
leaves float32's range.  A trajectory with a terminal event never gets past that event's crossing, so a point the
follow finds after it is none of the run's: a battery model's gmres run, stopped at MAX_STEPS before its voltage
cut-off, was told of a square root's domain error that lies past the cut-off (a user's trial).  :class:`TerminalWatch`
evaluates each terminal event's ``g`` at the follow's accepted steps (never at the solver's trial points) and says
when one crosses zero by the rule of :mod:`kernels.events`: rising ``g_old < 0 <= g_new``, falling
``g_old > 0 >= g_new``, filtered by the event's direction; a start exactly on a zero is not a crossing.  An event
whose ``g`` raises or is not finite on the host is dropped from the watch (a hint must never fail of it).
"""

from __future__ import annotations

import math

__all__ = ["TerminalWatch", "event_name"]


def event_name(events, k):
    """How the messages name the solve's event ``k``: ``events[k] (its function's name)``."""
    name = getattr(events[k].function, "__name__", "")
    return f"events[{k}]" + (f" ({name})" if name and name != "<lambda>" else "")


class TerminalWatch:
    """The terminal ones of a solve's ``events`` (:class:`kernels.events.Event` values, or None) along a follow with
    parameter row ``p``, started at ``(t, y)`` (:meth:`start`)."""

    def __init__(self, events, p):
        self.events = tuple(events or ())
        self.p = p
        self.last = {}  # index in events (terminal ones) -> g at the latest accepted point

    def __bool__(self):
        return any(getattr(e, "terminal", False) for e in self.events)

    def _g(self, k, t, y):
        """``g`` of event ``k`` at ``(t, y)`` as a float, or None where it raises or is not finite."""
        try:
            value = float(self.events[k].function(t, y, self.p))
        except Exception:  # noqa: BLE001 - the user's g failing on the host: not watched
            return None
        return value if math.isfinite(value) else None

    def start(self, t, y):
        """Keep ``g`` at the follow's first point (a zero there is not a crossing)."""
        self.last = {}
        for k in (k for k, e in enumerate(self.events) if getattr(e, "terminal", False)):
            value = self._g(k, t, y)
            if value is not None:
                self.last[k] = value

    def crossed(self, t, y, keep=True):
        """The index (in ``events``) of the first terminal event whose ``g`` changed sign (in its direction) from the
        latest accepted point to ``(t, y)``, or None; with ``keep``, ``(t, y)`` becomes the latest accepted point."""
        hit = None
        for k in sorted(self.last):
            new, old = self._g(k, t, y), self.last[k]
            if new is None:  # dropped: its g cannot be judged on the host
                del self.last[k]
                continue
            direction = self.events[k].direction
            rising, falling = old < 0.0 <= new, old > 0.0 >= new
            if hit is None and ((rising and direction >= 0) or (falling and direction <= 0)):
                hit = k
            if keep:
                self.last[k] = new
        return hit
