"""The registers a thread a batch kernel is built with: the hardware's 255, or a cap (issue #10).

A cap makes ptxas spill more, and lets more warps share a multiprocessor to hide
the latency of what is spilled.  Large implicit steps with a direct (LU) solver
are where that pays: their straight-line stages and factor spill kilobytes a
thread at 255 registers, and at 255 registers only 8 warps fit an SM.  Measured
on the H200 (1D Brusselator, 65536 trajectories, fixed steps, all-local plans,
kernel ms 255 registers -> 128; ``benchmarks/results/register_cap_2026-12-01/``):

=======  ===========================  ===========================  ===========================
states   rodas4 f32 / f64             sdirk4 f32 / f64             radau f32 / f64
=======  ===========================  ===========================  ===========================
64       5.62 -> 6.77 / 12.1 -> 13.8  9.85 -> 10.3 / 24.3 -> 28.6  11.4 -> 15.7 / 32.8 -> 39.4
96       11.5 -> 12.0 / 21.1 -> 20.4  18.6 -> 15.5 / 39.2 -> 39.6  23.4 -> 20.9 / 59.6 -> 44.7
128      20.1 -> 17.1 / 30.7 -> 28.5  30.1 -> 24.2 / 62.7 -> 57.5  45.2 -> 33.7 / 91.0 -> 63.7
192      38.5 -> 28.4 / 52.8 -> 45.5  53.6 -> 46.0 / 104 -> 90.4   72.9 -> 48.6 / 124 -> 92.6
=======  ===========================  ===========================  ===========================

At 128 states caps of 168, 96 and 72 were all slower than 128.  So ``"auto"``
caps a DIRK, FIRK or Rosenbrock step with a direct linear solver at
:data:`CAP` registers from :data:`FROM_STATES` states up (at 96 states the
worst case costs 5 %, the best gains 33 %), and leaves every other kernel
uncapped: explicit steps and matrix-free solvers were not measured under a cap.
A cap changes register allocation only, so results are the same bit for bit.
"""

from __future__ import annotations

from . import validation as check
from .errors import ConfigurationError, describe

__all__ = ["CAP", "FROM_STATES", "HARDWARE_LIMIT", "register_cap"]

CAP = 128
FROM_STATES = 96
HARDWARE_LIMIT = 255  # registers a thread on compute capability 9.0: a cap of 255 is no cap
_CAPPED_FAMILIES = ("dirk", "firk", "rosenbrock")


def register_cap(choice, family, n_states, direct_solver):
    """The register cap a kernel is built with, or None for none.

    Parameters
    ----------
    choice : "auto", None or int
        The user's ``max_registers``: ``"auto"`` applies the rule above, None builds
        without a cap, an integer from 16 to 255 is taken as given.
    family : str
        The step family (``"erk"``, ``"dirk"``, ``"firk"``, ``"rosenbrock"``).
    n_states : int
    direct_solver : bool
        Whether the step's Newton solver factors its matrix (LU, dense or sparse).
    """
    if choice is None:
        return None
    if isinstance(choice, str):
        if choice != "auto":
            raise ConfigurationError(f"max_registers: expected 'auto', None or an integer from 16 to "
                                     f"{HARDWARE_LIMIT}; got {describe(choice)}")
        capped = family in _CAPPED_FAMILIES and direct_solver and n_states >= FROM_STATES
        return CAP if capped else None
    value = check.check_int(choice, "max_registers", 16)
    if value > HARDWARE_LIMIT:
        raise ConfigurationError(f"max_registers: at most {HARDWARE_LIMIT} registers a thread on this GPU "
                                 f"generation (or None for no cap); got {value}")
    return value
