"""The contract every solver component (Newton, the linear solvers) follows.

A solver is a component of the step that uses it: it declares its own
buffers (a :class:`planner.BufferSettings` with every vector and matrix, its
lifetime and its location), is invoked from a phase of its parent (which
embeds its timeline there), and is built by a factory that closes over
compile-time constants and the allocators of its planned layout.

Device-function contract of a solver::

    solve(..., region, persistent) -> int32 status

1. Its inputs and outputs are arrays of the working precision passed by the
   parent; every working array of its own comes from an allocator built
   from the Plan (:mod:`kernels.allocators`), never from the parent's
   scratch.
2. It returns :data:`SOLVER_OK` (0) on success, or a nonzero trajectory
   status code of :mod:`kernels.status` (a singular matrix, an iteration
   that did not converge).  A failure stays in its own trajectory: it never
   synchronises or touches another thread's memory.
3. A solver whose buffer must survive from one invocation to the next (an
   LU factor reused across Newton iterations and stages) declares it with
   ``spans_invocations`` so the planner keeps its addresses alive in between.
4. A standalone build (a test kernel) and a build inside a step produce the
   same device function from the same settings and layout.
"""

from __future__ import annotations

__all__ = ["SOLVER_OK"]

SOLVER_OK = 0
