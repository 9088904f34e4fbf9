"""Where the straight-line sparse LU keeps its factor between operations: registers or memory (issue #10).

The straight-line factor and solve (:mod:`.sparse_lu_ir`) read and write the
factor at literal slots.  Written as plain loads and stores, the compiler
forwards every stored word to its next use, so the factor lives in registers:
the fastest place while it fits beside the step, the worst when it does not,
because ptxas then spills it as it goes (radau's kernel at 32 Brusselator
states: 19 KB of spill stores in its SASS, 4768 spill store instructions for
701 spill loads).  In ``"memory"`` storage every load and store is issued where
the code reads and writes it (inline PTX the compiler can neither forward nor
drop): the factor stays in the buffer the plan placed, in local or shared
memory, and the compiler holds only the pivot's row and the row being updated.

Each solve then reads the whole factor from memory: cheap in shared memory,
a pass through L2 from local memory (the factors of the resident threads do
not fit in L1).  So memory storage pays where a factor serves few solves, or
sits in shared memory, and each family's ``"auto"`` follows that, as measured
on the H200 (Brusselator, 65536 trajectories, float32, fixed dt 1e-3, kernel
ms, registers -> memory; ``benchmarks/results/factor_storage_2026-12-01/``):

* FIRK (radau, gauss4), one solve per block per Newton iteration:
  ``"memory"`` (radau all-local, n = 32 / 64 / 128: 29.7 -> 22.3,
  26.7 -> 12.0, 51.9 -> 46.8);
* DIRK, whose every stage solves with one factor, each Newton iteration:
  ``"memory if shared"`` (sdirk4 with its factor in shared memory, n = 32 / 64:
  4.43 -> 4.28, 10.3 -> 4.41; all-local n = 32: 3.41 -> 6.13);
* Rosenbrock, six solves in straight-line code, which the compiler schedules
  best from registers: ``"registers"`` (rodas4 all-local n = 32: 3.15 -> 6.23).

A factor of fewer than :data:`MEMORY_ENTRIES` stored entries stays in registers whatever
the family (radau n = 8: 0.57 ms in registers, 2.96 with its LU arrays in memory).  The storage
changes no buffer, so a Plan does not depend on it; it applies to the
straight-line IR form on the CUDA target (the simulator's Python form and the
looped form of very large factors read memory as written).
"""

from __future__ import annotations

from planner.buffers import in_memory  # the cost model reads the same rule

from ..errors import ConfigurationError, describe

__all__ = ["STORAGE_FORMS", "STORAGE_CHOICES", "MEMORY_ENTRIES", "storage_for", "in_memory", "check_storage",
           "planned_storage"]

STORAGE_FORMS = ("registers", "memory", "memory if shared")  # SparseLUSettings.storage
STORAGE_CHOICES = ("auto",) + STORAGE_FORMS  # SolverOptions.factor_storage
MEMORY_ENTRIES = 128  # counted in entries whatever the precision (measured in float32: an entry a word)
_FAMILY_STORAGE = {"firk": "memory", "dirk": "memory if shared", "rosenbrock": "registers"}


def check_storage(owner, value, choices):
    """``value`` if it is one of ``choices``, else a ConfigurationError naming ``owner``."""
    if value not in choices:
        raise ConfigurationError(f"{owner}: expected one of {list(choices)}, got {describe(value)}")
    return value


def storage_for(choice, family, entries) -> str:
    """The :data:`STORAGE_FORMS` entry for a factor of ``entries`` stored entries in a step of ``family``.

    ``choice``: the user's ``SolverOptions.factor_storage`` (``"auto"`` applies the family's rule
    above; anything else is taken as given); ``family``: ``"firk"``, ``"dirk"``, ``"rosenbrock"``
    or None (no rule: registers).
    """
    if choice != "auto":
        return choice
    if entries < MEMORY_ENTRIES:
        return "registers"
    return _FAMILY_STORAGE.get(family, "registers")


def planned_storage(storage, unrolled) -> str:
    """The factor buffer's ``planner.Buffer.storage`` (what the cost model counts) for an LU's ``storage``.

    In memory storage, or looped (index tables), the factor is read and written in memory wherever it
    lives: ``"memory"``.  Otherwise it is in registers when local and in memory when shared (the
    compiler promotes a local array to registers, not a shared one: its literal-slot loads and stores
    stay), ``"memory if shared"``.  Measured on the H200: a register-storage factor moved to shared
    memory left no spills where all-local spilled (radau n = 8 float64, 672 -> 0 local bytes, 1.39x
    faster).
    """
    return "memory" if storage == "memory" or not unrolled else "memory if shared"
