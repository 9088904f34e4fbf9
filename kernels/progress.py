"""A progress line on stderr for long batch runs: silent for fast calls.

``Progress(total, enabled)`` counts finished trajectories; with
``enabled=None`` (automatic) it says nothing until the run has taken
:data:`QUIET_SECONDS`, so a fast call prints nothing, and a slow one (the
simulator, a huge batch) shows where it is.
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress", "QUIET_SECONDS"]

QUIET_SECONDS = 2.0


class Progress:
    """Report ``done`` of ``total`` trajectories on ``stream`` (stderr by default)."""

    def __init__(self, total, enabled=None, label="trajectories", stream=None):
        self.total, self.enabled, self.label = int(total), enabled, label
        self.stream = sys.stderr if stream is None else stream
        self.start = time.perf_counter()
        self.shown = False

    def update(self, done):
        """Record ``done`` finished trajectories; draw the line when it is due."""
        if self.enabled is False:
            return
        elapsed = time.perf_counter() - self.start
        if self.enabled is None and elapsed < QUIET_SECONDS:
            return
        fraction = done / self.total if self.total else 1.0
        bar = "#" * int(30 * fraction)
        eta = elapsed / fraction - elapsed if fraction > 0 else float("nan")
        self.stream.write(f"\r[{bar:<30s}] {done}/{self.total} {self.label}  {elapsed:6.1f} s elapsed, "
                          f"about {eta:5.1f} s left")
        self.stream.flush()
        self.shown = True

    def close(self):
        """End the line if one was drawn."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
