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

At 128 states caps of 168, 96 and 72 were all slower than 128.  Explicit steps
(same problem, 255 -> 128; ``benchmarks/results/caps_explicit_2026-12-02/``):

=======  ===========================  ===========================  ===========================
states   rk4 f32 / f64                tsit5 f32 / f64              dop853 f32 / f64
=======  ===========================  ===========================  ===========================
64       0.19 -> 0.61 / 1.0 -> 2.7    0.49 -> 1.9 / 2.8 -> 5.4     10.1 -> 12.0 / 21.7 -> 26.4
96       1.32 -> 1.58 / 3.1 -> 3.8    5.27 -> 4.93 / 9.9 -> 9.0    11.1 -> 9.2 / 18.0 -> 15.7
128      3.15 -> 2.96 / 5.9 -> 5.7    10.7 -> 8.2 / 15.4 -> 12.7   20.3 -> 14.4 / 27.8 -> 21.7
192      (not run)                    19.1 -> 13.4 / (not run)     36.1 -> 23.9 / (not run)
=======  ===========================  ===========================  ===========================

Matrix-free Newton (GMRES) lost 24 to 30 % under the cap at 64 and 96 states.
So ``"auto"`` caps at :data:`CAP` registers a DIRK, FIRK or Rosenbrock step with
a direct linear solver from ``FROM_STATES["implicit"]`` (96) states up (there
the worst case costs 5 %, the best gains 33 %), and an explicit step from
``FROM_STATES["erk"]`` (128) states up (every method faster there, 1.03 to
1.51x; at 96 rk4 lost 17 %), and leaves every other kernel uncapped.  A cap
changes register allocation only, so results are the same bit for bit.
"""

from __future__ import annotations

from . import validation as check
from .errors import ConfigurationError, describe
from .steps import explicit_family

__all__ = ["CAP", "FROM_STATES", "HARDWARE_LIMIT", "register_cap"]

CAP = 128
# States from which "auto" caps: implicit steps with a direct (LU) solver, and explicit steps (those of any explicit
# family, kernels.steps.explicit_family; the key names the family it was measured on).
FROM_STATES = {"implicit": 96, "erk": 128}
HARDWARE_LIMIT = 255  # registers a thread on compute capability 9.0: a cap of 255 is no cap
_IMPLICIT_FAMILIES = ("dirk", "firk", "rosenbrock")


def register_cap(choice, family, n_states, direct_solver):
    """The register cap a kernel is built with, or None for none.

    Parameters
    ----------
    choice : "auto", None or int
        The user's ``max_registers``: ``"auto"`` applies the rule above, None builds
        without a cap, an integer from 16 to 255 is taken as given.
    family : str
        The step family (a key of ``kernels.steps.FAMILIES``: ``"erk"``, ``"dirk"``, ``"firk"``, ``"rosenbrock"``).
    n_states : int
    direct_solver : bool
        Whether the step's Newton solver factors its matrix (LU, dense or sparse); an
        explicit step has none.
    """
    if choice is None:
        return None
    if isinstance(choice, str):
        if choice != "auto":
            raise ConfigurationError(f"max_registers: expected 'auto', None or an integer from 16 to "
                                     f"{HARDWARE_LIMIT}; got {describe(choice)}")
        if family in _IMPLICIT_FAMILIES:
            capped = direct_solver and n_states >= FROM_STATES["implicit"]
        else:
            capped = explicit_family(family) and n_states >= FROM_STATES["erk"]
        return CAP if capped else None
    value = check.check_int(choice, "max_registers", 16)
    if value > HARDWARE_LIMIT:
        raise ConfigurationError(f"max_registers: at most {HARDWARE_LIMIT} registers a thread on this GPU "
                                 f"generation (or None for no cap); got {value}")
    return value
