"""The step contract every method family follows, and what a built step hands the loop.

Device-function contract of an algorithm step::

    step(t, dt, y, p, y_new, err, first_valid, tol, driver_times, driver_values,
         region, persistent) -> int32 status

1. ``t`` and ``dt`` are float64; ``y`` (n_states) and ``p`` (n_params) are
   read-only; ``y_new`` receives the proposed state.
2. ``err`` receives the embedded error estimate for adaptive tableaus when the
   step was built with ``estimate_error``; it is not touched otherwise (a
   fixed-step loop passes a one-element stub).  A step whose settings say
   ``error_vectors == 2`` (a combined estimate, DOP853's) writes two: the
   primary in ``err[:n]`` and the lower-order one in ``err[n:2n]``, which the
   loop's error norm combines.
3. ``first_valid`` tells a first-same-as-last method that its persistent
   ``fsal_cache`` holds ``f(t, y)`` (the last stage of the previous, accepted
   step).  The step always leaves ``f(t + dt, y_new)`` there, so after a
   rejected step the loop calls ``prime`` again (or passes ``first_valid = False``).
4. ``tol`` holds ``atol`` then ``rtol`` (2 n elements) when the step's
   settings say ``needs_tolerances`` (a Newton iteration measures its
   increments with them); otherwise it is a stub the step does not read.
   When the settings' ``newton_kappa`` is a number (the step's Newton
   constant), ``tol[2 n]`` holds that constant tightened at the run's
   tolerances (:func:`kernels.solvers.base.newton_kappa`), computed once.
   It is the loop's persistent ``tolerances`` buffer or, with
   ``LoopBufferSettings.tolerances_global``, the kernel's global array of
   the same layout that every thread reads: either way read-only to the step.
5. ``region`` is the thread's shared region and ``persistent`` its
   persistent-local array; every working array comes from an allocator built
   from the Plan (:mod:`kernels.allocators`).
6. It returns :data:`STEP_OK` (0) when ``y_new`` (and ``err``) are valid, or
   a nonzero trajectory status code of :mod:`kernels.status` when its solver
   failed (Newton did not converge, a singular iteration matrix): the loop
   rejects the step and retries with a smaller one, and reports the code if
   the step cannot shrink further.  An explicit step always returns 0, a
   constant the loop's test folds away.
7. The step does not decide acceptance, touch time, or check finiteness:
   the loop and the controller do.
8. A step with a solver, built with ``count_work`` (``SolverOptions``),
   counts its work: its persistent ``work`` buffer (:func:`work_buffer`,
   one element per :data:`WORK_FIELDS`) is zeroed at the start of every
   call and holds, when it returns (failed calls too), the call's
   right-hand-side evaluations, Jacobians taken, factorisations and Newton
   iterations.  The loop reads it after each call through
   ``BuiltStep.take_work`` and keeps the run's totals in int32 (a call's
   counts are small integers, exact in either precision).

A step comes with ``prime(t, y, p, driver_times, driver_values, region,
persistent) -> None``, which makes the FSAL cache hold ``f(t, y)`` (a no-op
for other methods).  A loop that primes once and never rejects (fixed step)
passes ``first_valid = True`` as a constant, so the step's first-stage branch
is compiled away.

A family is a module in this package with a ``*StepSettings`` (the
component's buffers) and a ``build`` function returning a :class:`BuiltStep`,
registered in :data:`kernels.steps.FAMILIES` (and its name in
:data:`kernels.methods.BUILT_FAMILIES`); :data:`kernels.methods.METHODS` maps
each method name to its family and tableau.  Host-side contract of the
settings class (the loop, the Integrator and its checks read these):

1. ``for_method(tableau, system, estimate_error, solver)`` (a classmethod):
   the settings of one solve (``solver`` is a
   :class:`kernels.solvers.SolverOptions`, which an explicit family ignores).
2. ``component`` (str): the component's name; its buffers are planned as
   ``loop.<component>.*`` and the builder gets ``layout.child(component)``.
3. ``n_states`` and ``n_drivers`` (ints): the loop sizes its state, error and
   drivers buffers and the hooks by them.
4. ``buffer_settings()``: the step's :class:`planner.BufferSettings` (named
   ``component``), which the loop takes as the child its ``step`` phase invokes.
5. ``needs_tolerances`` (bool): the step reads ``tol`` (device item 4).
6. ``newton_kappa``: a float (the step's Newton constant, device item 4), or
   None for a step without a Newton iteration.
7. ``error_vectors``: 1, or 2 for a combined estimate (device item 2).
8. ``explicit`` (bool, a class attribute; False where a class does not set
   it): the family takes no solver and no Jacobian.  ``Method.explicit``
   reads it (:func:`kernels.steps.explicit_family`), and so does every check
   meant for explicit methods (the fixed-step stability check, the stiffness
   hint, the unused ``solver=`` and tolerance warnings, the register cap);
   :class:`~kernels.steps.erk.ERKStepSettings` sets True, so a family that
   subclasses it is explicit too.

Optional attributes, read with ``getattr`` (absent: the default said):

9. ``global_tolerances_from`` (int): the states from which a Newton step reads
   its tolerances from the kernel's global array
   (``LoopBufferSettings.tolerances_global``; default
   :data:`kernels.loop.GLOBAL_TOLERANCES_FROM`).
10. ``newton`` (:class:`kernels.solvers.NewtonSettings`): the step's Newton
    solver, whose Jacobian path ``Integrator.jacobian`` reports and whose
    sparse LU's pattern (``newton.sparse``, ``newton.linear.pattern``) the
    pattern check reads; None or absent for a step without one.
11. ``jacobian_label`` (str) and ``pattern`` (tuple of ``(i, j)`` or None): the
    same, for a step with a solver of its own and no ``newton`` (FIRK's).
12. ``tableau``: where the built step gives no right-hand-side count
    (:attr:`BuiltStep.take_work`, :attr:`BuiltStep.rhs_per_step`), the loop
    counts an explicit tableau's stages (one less with FSAL); otherwise
    ``n_rhs`` is -1 (:func:`kernels.loop_hooks.rhs_per_step`).

The builder is ``build(settings, system, layout, dtype) -> BuiltStep``.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
from numba import cuda

from planner import Buffer

__all__ = ["STEP_OK", "BuiltStep", "WORK_FIELDS", "work_buffer", "work_lines", "counted", "make_take_work",
           "work_taker"]

STEP_OK = 0

#: What a step with a solver counts a call (contract item 8), in the order of its ``work`` buffer:
#: right-hand sides, Jacobians taken, LU factorisations, Newton iterations.
WORK_FIELDS = ("n_rhs", "n_jac", "n_lu", "n_newton")
_WORK_NAME = re.compile(r"\bwk\b")


def work_buffer() -> Buffer:
    """The persistent ``work`` buffer of a step with a solver (contract item 8)."""
    return Buffer("work", len(WORK_FIELDS), persistent=True, weight=float(4 * len(WORK_FIELDS)))


def work_lines(indent="    "):
    """Source lines at the top of ``step``: ``wk`` (the namespace's ``alloc_work``) zeroed.

    The step then adds to ``wk[0]`` (right-hand sides), ``wk[1]`` (Jacobians),
    ``wk[2]`` (factorisations) and ``wk[3]`` (Newton iterations) in the working
    precision (``prec``).
    """
    return [f"{indent}wk = alloc_work(region, persistent)"] + [
        f"{indent}wk[{i}] = prec(0.0)" for i in range(len(WORK_FIELDS))]


def counted(lines, count_work):
    """A step's source lines with its work lines (those naming ``wk``), or without them.

    A family writes each count on a line of its own beside what it counts; a step
    built without ``count_work`` drops those lines, and its source is then what it
    was before counting existed (no ``work`` buffer, nothing live for it).
    """
    if count_work:
        return list(lines)
    return [line for line in lines if not _WORK_NAME.search(line)]


def work_taker(count_work, allocate, namespace):
    """``BuiltStep.take_work`` of a step that counts (None otherwise); ``namespace`` gains ``alloc_work``.

    ``allocate`` is the step's AllocatorFactory; an ``alloc_work`` already in ``namespace`` is reused.
    """
    if not count_work:
        return None
    if "alloc_work" not in namespace:
        namespace["alloc_work"] = allocate("work")
    return make_take_work(namespace["alloc_work"])


def make_take_work(alloc_work):
    """``take_work(region, persistent) -> (int32,) * 4``: the last call's counts (contract item 8)."""
    from numba import cuda

    @cuda.jit(device=True, inline="always")
    def take_work(region, persistent):
        w = alloc_work(region, persistent)
        return np.int32(w[0]), np.int32(w[1]), np.int32(w[2]), np.int32(w[3])

    return take_work


@dataclasses.dataclass(frozen=True)
class BuiltStep:
    """A step's device functions and what they allocate.

    Attributes
    ----------
    device_function : numba device function
        ``step(...) -> int32`` (contract above).
    prime_function : numba device function or None
        ``prime(...)``; None when the method has no FSAL cache.
    records : tuple of AllocationRecord
        Every allocator the step (and its solvers) built: the memory audit.
    error_order : int
        Order of the error estimate, for the controller's exponent.
    error_vectors : int
        1, or 2 when ``err`` holds two estimates the error norm combines
        (contract item 2).
    can_fail : bool
        Whether the step can return a nonzero status (it has a solver); the
        loop tests the status only then.
    take_work : numba device function or None
        ``take_work(region, persistent)``: the last call's counts (contract
        item 8); None for a step without a solver (the loop counts its
        right-hand sides from the tableau).
    rhs_counted : bool
        Whether ``take_work``'s right-hand sides are all of them: False where
        a matrix-free solver differences the right-hand side (a number of
        products that varies), and ``n_rhs`` is then -1.
    prime_rhs : bool
        Whether ``prime`` evaluates the right-hand side for the loop to count although the step counts its
        own work (an implicit FSAL step's cache); an explicit step's prime is counted by the loop anyway.
    rhs_per_step : int or None
        Right-hand sides of one step, for a family that counts neither with ``take_work`` nor from an
        explicit tableau (host item 12); None: the loop counts from the tableau, or reports -1.
    confirm_first_step : bool
        Whether the adaptive loop takes the first step whose size it chose itself at half that size before
        accepting any (:mod:`kernels.loop_adaptive`): a linearly implicit step's Jacobian at ``y0`` may not
        see the stiffness that appears within the step, and its error estimate is then no judge of it.
    """

    device_function: object
    prime_function: object
    records: tuple
    error_order: int
    can_fail: bool = False
    error_vectors: int = 1
    take_work: object = None
    rhs_counted: bool = True
    prime_rhs: bool = False
    rhs_per_step: object = None
    confirm_first_step: bool = False


def fsal_prime(namespace, allocate, rhs):
    """``prime`` of a first-same-as-last step: ``f(t, y)`` into its ``fsal_cache`` (contract item 3), the drivers at
    ``t`` in the step's ``alloc_u`` buffer; ``namespace["alloc_first"]`` is set to the cache's allocator for the
    step's source, and ``namespace`` must hold ``alloc_u`` and ``eval_drivers``."""
    alloc_first = namespace["alloc_first"] = allocate("fsal_cache")
    alloc_u, eval_drivers = namespace["alloc_u"], namespace["eval_drivers"]

    @cuda.jit(device=True)
    def prime(t, y, p, driver_times, driver_values, region, persistent):
        first = alloc_first(region, persistent)
        u = alloc_u(region, persistent)
        eval_drivers(t, driver_times, driver_values, u)
        rhs(t, y, p, u, first)

    return prime
