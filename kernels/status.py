"""Per-trajectory status codes.

The device writes one ``int32`` code per trajectory; the host turns codes into
messages with :data:`STATUS_MESSAGES`.  The values are part of the public API:
never renumber them.
"""

from __future__ import annotations

import enum

__all__ = ["Status", "STATUS_MESSAGES"]


class Status(enum.IntEnum):
    """Outcome of one trajectory's integration."""

    SUCCESS = 0
    MAX_STEPS = 1
    STEP_SIZE_UNDERFLOW = 2
    NONFINITE_STATE = 3


STATUS_MESSAGES: dict[int, str] = {
    Status.SUCCESS: "The solver successfully reached the end of the integration interval.",
    Status.MAX_STEPS: "The maximum number of steps (max_steps) was taken before reaching the end.",
    Status.STEP_SIZE_UNDERFLOW: (
        "The step size fell below the minimum step (dt_min) or below what float64 time can resolve."
    ),
    Status.NONFINITE_STATE: "The state became non-finite (inf or nan); the trajectory was stopped.",
}

# Plain ints for device code: closures over IntEnum members are not typed by Numba.
SUCCESS = int(Status.SUCCESS)
MAX_STEPS = int(Status.MAX_STEPS)
STEP_SIZE_UNDERFLOW = int(Status.STEP_SIZE_UNDERFLOW)
NONFINITE_STATE = int(Status.NONFINITE_STATE)

