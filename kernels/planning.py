"""From a ``plan`` choice to the settings tree and a verified Plan.

``plan`` is one of:

* ``"auto"``: CP-SAT under the ``auto`` objective (a register-sized working set
  stays local, the rest is placed to minimise shared memory);
* ``"local"`` / ``"shared"``: every buffer pinned local / shared (``"shared"``
  fails with :class:`ConfigurationError` when it exceeds the shared budget);
* a planner name (``"cpsat"``, ``"greedy"``, ``"sequential"``), every buffer ``AUTO``;
* a :class:`planner.Plan`, verified against the problem (:class:`PlanMismatchError`), or its JSON
  form as a dict (``plan.to_json()``, or ``json.load`` of a saved plan), read with ``Plan.from_json``.

A path is not a plan: a string naming an existing file is refused with the way to read it,
``planner.load_plan(path)`` (a file named like a choice, ``auto``, would otherwise be ambiguous).

Pins of any subset of buffers go through ``BufferSettings.with_locations``
(``pins={"loop.erk.*": "shared"}``).
"""

from __future__ import annotations

import math
import os

import numpy as np

import planner
from planner.selection import block_advice, largest_block  # the planner's own budget wording

from .errors import ConfigurationError, PlanMismatchError, describe
from .loop import LoopBufferSettings
from .steps import FAMILIES, explicit_family

__all__ = ["PLAN_CHOICES", "loop_settings", "solve_plan", "check_plan", "plan_argument", "check_choice"]

PLAN_CHOICES = ("auto", "local", "shared") + tuple(planner.PLANNERS)
_PINS = {"local": "local", "shared": "shared"}


def plan_argument(plan):
    """``plan`` as the planner takes it: a Plan's JSON dict becomes the Plan; a choice or a Plan stays.

    A string naming an existing file (not a choice) is refused: ``planner.load_plan(path)`` reads it.
    """
    if isinstance(plan, dict):
        return planner.Plan.from_json(plan)
    if isinstance(plan, (str, os.PathLike)) and plan not in PLAN_CHOICES and os.path.isfile(plan):
        raise ConfigurationError(f"plan={os.fspath(plan)!r} is a file; plan takes one of {list(PLAN_CHOICES)}, a "
                                 f"planner.Plan or its JSON dict: load the file with "
                                 f"planner.load_plan({os.fspath(plan)!r}) and pass the Plan it returns")
    return plan


def check_choice(choice):
    """Refuse a ``plan`` that is neither a named choice nor a Plan (``plan_argument`` has read a JSON dict)."""
    if not isinstance(choice, planner.Plan) and (not isinstance(choice, str) or choice not in PLAN_CHOICES):
        raise ConfigurationError(f"plan must be one of {list(PLAN_CHOICES)}, a planner.Plan or its JSON dict "
                                 f"(a saved plan: planner.load_plan(path)); got {describe(choice)}")
    return choice


def loop_settings(system, method, adaptive, solver=None) -> LoopBufferSettings:
    """The loop's settings with the method's step as child (its buffers unpinned).

    ``solver`` (a :class:`kernels.solvers.SolverOptions`) configures an implicit step's Newton and
    linear solvers; explicit families ignore it.
    """
    settings_class = FAMILIES[method.family][0]
    step = settings_class.for_method(method.tableau, system, estimate_error=adaptive, solver=solver)
    return LoopBufferSettings(step, system.n_params, system.n_observables, adaptive)


def _problem(tree, precision, block_size, device, objective):
    return tree.to_problem(precision=np.dtype(precision).name, block_size=block_size, objective=objective,
                           device=device)


# What a PlanMismatchError of check_plan ends with (kernels.solve_ivp words it otherwise where replanning the
# same way cannot help)
REPLAN = ". Plan it with Integrator.plan(...) or kernels.plan_for(...), or pass plan='auto'"


# A plan of sdirk2 or sdirk4 made for the other form of the step (kernels.tableaus.dirk.STEP_START_FORMS): said only
# "the plan was made for another problem" (a regression hunt)
STEP_START_NOTE = (" (sdirk2 and sdirk4 run their step-start form, with one stage more and an fsal_cache, in adaptive "
                   "runs of a rhs that reads t or has drivers: a plan made for fixed steps, or before 2026-12-06, does "
                   "not fit such a run, nor the reverse)")


def _step_start_mismatch(message, what):
    """Whether a problem-mismatch ``message`` of an sdirk2 or sdirk4 solve (``what`` names the method) is the
    step-start form's buffers against the SDIRK's."""
    sdirk = any(f"method '{name}'" in what for name in ("sdirk2", "sdirk4"))
    return sdirk and "loop.dirk.fsal_cache" in message and "loop.dirk.stage_rhs_" in message


def check_plan(plan, tree, precision, block_size, device, what):
    """Verify a user's Plan against the buffers of this solve; PlanMismatchError names the rule."""
    problem = _problem(tree, precision, plan.block_size if block_size is None else block_size, device,
                       "min-shared")
    try:
        plan.verify(problem)
    except planner.PlanError as exc:
        if block_size is not None and block_size != plan.block_size and _fits_at_own_block(plan, tree, precision,
                                                                                             device):
            raise PlanMismatchError(block_size_message(plan, block_size, precision, what)) from exc
        # loop.error holds the error estimate only when the controller is adaptive (a user's trial: a fixed-step
        # plan in an adaptive solve said only "loop.error: plan size 0 != declared 3")
        if exc.rule == "budget":  # the buffers match (verify checks them first): the device is the trouble
            raise PlanMismatchError(over_budget_message(plan, problem, what)) from exc
        controller = ""
        if exc.rule == "size" and exc.buffer == "loop.error":
            controller = (" (loop.error is the adaptive controller's error estimate, empty for fixed steps: the plan "
                          "was made for the other kind of controller)")
        elif exc.rule == "problem-mismatch" and _step_start_mismatch(str(exc), what):
            controller = STEP_START_NOTE
        raise PlanMismatchError(
            f"plan does not match this Integrator's buffers ({what}, {np.dtype(precision).name}, block_size "
            f"{problem.block_size}): {exc}{controller}{REPLAN}") from exc
    return plan


def _fits_at_own_block(plan, tree, precision, device):
    """Whether ``plan`` passes verification at its own block size: then a ``block_size`` given with it is the only
    mismatch."""
    try:
        plan.verify(_problem(tree, precision, plan.block_size, device, "min-shared"))
    except planner.PlanError:
        return False
    return True


def block_size_message(plan, block_size, precision, what):
    """Why a Plan that fits this solve at its own block size is refused at the ``block_size`` given with it, and the
    ways out: a user passed ``block_size=64`` with a Plan made at block 1 and was told to plan again, or pass
    plan='auto' (a user's trial), where leaving out block_size was all it took."""
    return (f"plan does not match block_size={block_size} given with it ({what}, {np.dtype(precision).name}): it was "
            f"made for block size {plan.block_size}; leave out block_size={block_size} (a Plan brings its own) or pass "
            f"block_size={plan.block_size}, or plan again at block size {block_size} with Integrator.plan(..., "
            f"block_size={block_size})")


def over_budget_message(plan, problem, what):
    """Why ``plan``, which matches this solve's buffers, cannot run here: its shared memory per block passes what
    ``problem``'s device allows at the plan's block size (``Plan.verify``'s "budget" rule), in bytes, with the
    block size that would fit and how to re-plan.  Such a plan was made for a device with more shared memory
    (a user's all-shared plan for ``without_shared_limit("h200")`` at block 1024 was told "plan does not match
    this Integrator's buffers: budget: 132 shared elements per thread exceed the capacity of 27")."""
    device, budget, block = problem.device.name, problem.shared_budget_bytes, problem.block_size
    fits = largest_block(budget, problem.itemsize, plan.shared_elements)
    lower = (f"at a lower block_size ({block_advice(fits)}), or " if 1 <= fits < block else
             "(even a block of one thread cannot hold its shared buffers): " if fits < 1 else "")
    return (f"the plan needs {plan.shared_bytes_per_block} B of shared memory per block at block_size {block} "
            f"({plan.shared_elements} {problem.precision} elements a thread), but {device} allows {budget} B per "
            f"block ({problem.capacity_elems} elements a thread at this block_size): it was planned for a device with "
            f"more shared memory ({what}; its buffers match). Re-plan it for {device} {lower}let Integrator.plan() "
            "place the buffers for the device in use (plan='auto' keeps local what does not fit)")


# What a plan past CUDA's local memory per thread says for an implicit method (solve_plan's memory_hint), by
# family; a radau user was told to take gmres, which radau does not have (a user's trial)
MEMORY_HINTS = {
    "firk": ("The FIRK methods' (radau, gauss4) n-by-n block factors take n^2 elements each, and they solve with an "
             "LU only: solver='lu' (the default) takes a sparse LU where the Jacobian's pattern is at most half full "
             "(the pattern is probed from rhs, or give SolverOptions(pattern=...)); or take rodas5p or kvaerno5 with "
             "solver='gmres', which needs no matrix"),
    "other": ("An implicit method's n-by-n matrix takes n^2 elements: solver='gmres' (or 'bicgstab') needs none, and "
              "solver='lu' (the default) takes a sparse LU where the Jacobian's pattern is at most half full"),
}


def memory_hint(family, linear):
    """:data:`MEMORY_HINTS` for a step ``family`` and its linear solver (None for an explicit method)."""
    if explicit_family(family):
        return None
    hint = MEMORY_HINTS["firk" if family == "firk" else "other"]
    if linear == "dense":
        hint += "; solver='dense' forces the dense factor: drop it"
    return hint


# What a local-memory refusal says first where a system's jac, written to a dense n x n scratch beside a sparse LU,
# is the buffer to blame: a method-of-lines user at 256 states (the sparse LU's factor 6 KB, the scratch 512 KiB)
# was told to take the sparse LU they were on (a PDE user's trial)
JAC_SCRATCH_NOTE = ("{name}, the largest local buffer ({size} B), is the dense {n} x {n} matrix the system's jac "
                    "writes, of which the sparse LU reads only the pattern's entries: remove it by giving jvp as "
                    "well (ODESystem(..., jac=jac, jvp=jvp): compressed products over the pattern, no {n} x {n} "
                    "scratch), by writing the model with kernels.symbolic_system (which generates jvp), or by dropping "
                    "jac (the kernel then differences the columns over the pattern)")


def local_memory_refusal(choice, exc, tree, itemsize, memory_hint):
    """The ConfigurationError's words for a plan past CUDA's local memory per thread (``exc``, the planner's
    LocalMemoryError) of the buffers ``tree``: :data:`JAC_SCRATCH_NOTE` first where the largest buffer it names is
    a user jac's dense scratch (:func:`dense_jac_scratch`; the family's ``memory_hint`` would offer the sparse LU
    already in use), else the planner's words with ``memory_hint`` after them."""
    scratch = dense_jac_scratch(tree)
    largest = max((b.size_elems for b in tree.qualified_buffers()), default=0)
    if scratch is not None and scratch[2] == largest and f"{scratch[0]} " in str(exc):
        name, n, size = scratch
        note = JAC_SCRATCH_NOTE.format(name=name, size=size * itemsize, n=n)
        return f"plan={choice!r}: {note}. {exc}"
    return f"plan={choice!r}: {exc}" + (f". {memory_hint}" if memory_hint else "")


def dense_jac_scratch(tree):
    """``(qualified name, n, elements)`` of the dense ``n x n`` scratch that a system's ``jac`` writes beside a
    sparse LU in ``tree`` (a planner BufferSettings, read through its ``qualified_buffers``), or None: a sparse
    Newton's ``jac_dense`` (Rosenbrock, DIRK), or a FIRK step's ``jacobian`` of ``n * n`` elements whose block LUs
    are sparse (no ``pivots``: with a dense LU that matrix is needed anyway, and without ``jac`` it holds the
    pattern's entries only)."""
    pairs = [(b.name, b) for b in tree.qualified_buffers()]
    for name, buffer in pairs:
        if name.endswith(".jac_dense"):
            return name, math.isqrt(buffer.size_elems), buffer.size_elems
    for name, buffer in pairs:
        if not name.endswith("firk.jacobian"):
            continue
        step = name[:-len("jacobian")]
        states = [b.size_elems for key, b in pairs if key == step + "rhs0"]
        dense_lu = any(key.startswith(step) and key.endswith(".pivots") for key, _ in pairs)
        if states and states[0] > 1 and buffer.size_elems == states[0] ** 2 and not dense_lu:
            return name, states[0], buffer.size_elems
    return None


def solve_plan(choice, tree, precision, block_size, device, pins=None, max_registers=None, memory_hint=None):
    """Plan ``tree`` (a BufferSettings) for a named ``choice``; ``pins`` are applied after its own.

    ``max_registers``: the register cap the kernel is built with, which ``auto``'s prediction assumes.
    ``memory_hint``: what to add where the plan passes CUDA's local memory per thread (:func:`memory_hint`).
    """
    check_choice(choice)
    if choice in _PINS:
        tree = tree.with_locations({"*": _PINS[choice]})
    if pins:
        tree = tree.with_locations(pins)
    problem = _problem(tree, precision, block_size, device, "auto" if choice == "auto" else "min-shared")
    name = {"auto": "cpsat", "local": "greedy", "shared": "greedy"}.get(choice, choice)
    try:
        return planner.solve(problem, planner=name,
                         max_registers=max_registers if problem.objective == "auto" else None)
    except planner.LocalMemoryError as exc:
        raise ConfigurationError(local_memory_refusal(choice, exc, tree, problem.itemsize, memory_hint)) from exc
    except planner.InfeasibleError as exc:
        raise ConfigurationError(
            f"plan={choice!r}: the buffers do not fit the shared-memory budget of {problem.capacity_elems} "
            f"elements per thread at block_size {block_size} ({exc}); {_budget_remedy(choice, block_size, pins, exc)}"
        ) from exc
    except planner.PlannerError as exc:
        raise ConfigurationError(f"plan={choice!r}: the planner failed: {exc}") from exc


def _budget_remedy(choice, block_size, pins, exc):
    """What to do when the buffers pinned shared pass the budget (InfeasibleError ``exc``), fit to the call: the
    user's pins to shared where there are some, plan='auto' only where the plan is not auto already (an auto call
    with pins={'loop.parameters': 'shared'} was told to use plan='auto': a user's trial), and a smaller block_size
    while one may fit."""
    one_thread = "even a block of one thread" in str(exc)
    smaller = block_size > 1 and not one_thread
    shared = [key for key, where in (pins or {}).items() if str(getattr(where, "value", where)) == "shared"]
    if shared and choice != "shared":
        them, keys = "them" if len(shared) > 1 else "it", ", ".join(repr(key) for key in shared)
        return (f"remove or relax the pin{'s' * (len(shared) > 1)} {keys} (drop {them} to let the planner choose, "
                f"or pin {them} 'local')" + (", or lower block_size" if smaller else ""))
    if choice == "auto":  # no pin of the user's to shared (the planner's budget errors need one)
        return "lower block_size" if smaller else "pin some buffers local"
    return "use plan='auto'" + ("" if one_thread else " or a smaller block_size" if smaller else
                                " (block_size 1 is the smallest)")
