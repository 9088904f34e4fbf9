"""From solve_ivp's ``plan`` argument to a verified Plan for the kernel's buffers.

``plan`` is one of:

* ``"auto"``: CP-SAT under the ``auto`` objective (a register-sized working set
  stays local, the rest is placed to minimise shared memory);
* ``"local"`` / ``"shared"``: every buffer pinned local / shared (``"shared"``
  fails with :class:`ConfigurationError` when it exceeds the shared budget);
* a planner name (``"cpsat"``, ``"greedy"``, ``"sequential"``), every buffer ``AUTO``;
* a :class:`planner.Plan`, verified against the problem (:class:`PlanMismatchError`).

Problems are planned for the GPU in use (``planner.query_live_device()``) and
for the H100 preset on the simulator; the shared budget is the device's
opt-in maximum per block, which the batch kernel requests when it needs more
than the default 48 KiB.
"""

from __future__ import annotations

import functools

import numpy as np

import planner
from planner import Location, Plan, PlanningProblem

from .backend import backend
from .errors import ConfigurationError, PlanMismatchError, describe
from .erk import ERKBufferSettings
from .loop import LoopBufferSettings

__all__ = ["PLAN_CHOICES", "ByDigest", "make_settings", "resolve_plan", "default_device"]

PLAN_CHOICES = ("auto", "local", "shared") + tuple(planner.PLANNERS)
_PINS = {"local": Location.LOCAL, "shared": Location.SHARED}


def make_settings(system, tableau, adaptive, pin=None) -> LoopBufferSettings:
    """The loop's settings (with the step as child), every buffer pinned to ``pin`` if given."""
    step = ERKBufferSettings(tableau, system.n_states, system.n_drivers, estimate_error=adaptive)
    loop = LoopBufferSettings(step, system.n_params, system.n_observables, adaptive)
    if pin is None:
        return loop
    settings = loop.buffer_settings()
    step_pins = {b.name: pin for b in settings.children[0].buffers if not b.is_view}
    loop_pins = {b.name: pin for b in settings.buffers if not b.is_view}
    step = ERKBufferSettings(tableau, system.n_states, system.n_drivers, locations=step_pins,
                             estimate_error=adaptive)
    return LoopBufferSettings(step, system.n_params, system.n_observables, adaptive, locations=loop_pins)


class ByDigest:
    """A Plan or PlanningProblem as a cache key: equal when the digests are equal."""

    __slots__ = ("value", "digest")

    def __init__(self, value):
        self.value, self.digest = value, value.digest

    def __hash__(self):
        return hash(self.digest)

    def __eq__(self, other):
        return isinstance(other, ByDigest) and other.digest == self.digest


@functools.lru_cache(maxsize=64)
def _solve(problem, name):
    """Plans are immutable and solving is deterministic: plan each problem once per process."""
    return planner.solve(problem.value, planner=name)


@functools.cache
def default_device():
    """The planner's model of the GPU in use, or the H100 preset on the simulator."""
    if backend() == "cuda":
        live = planner.query_live_device()
        if live is not None:
            return live
    return planner.get_device("h100")


def _problem(settings, precision, block_size, device, objective="min-shared"):
    return settings.buffer_settings().to_problem(precision=np.dtype(precision).name, block_size=block_size,
                                                 objective=objective,
                                                 device=device)


def resolve_plan(plan, system, tableau, adaptive, precision, block_size, device=None):
    """Return ``(settings, plan)`` for solve_ivp's ``plan`` argument.

    Raises
    ------
    ConfigurationError
        Unknown choice; ``"shared"`` over the shared budget; a planner failure.
    PlanMismatchError
        A Plan object made for other buffers, precision or block size.
    """
    device = default_device() if device is None else device
    if isinstance(plan, Plan):
        settings = make_settings(system, tableau, adaptive)
        problem = _problem(settings, precision, plan.block_size if block_size is None else block_size, device)
        try:
            plan.verify(problem)
        except planner.PlanError as exc:
            raise PlanMismatchError(
                f"plan does not match this solve's buffers ({system.name}, method {tableau.name!r}, "
                f"{np.dtype(precision).name}, block_size {problem.block_size}): {exc}. Plan it with "
                "kernels.plan_for(...) or pass plan='auto'"
            ) from exc
        return settings, plan
    if not isinstance(plan, str) or plan not in PLAN_CHOICES:
        raise ConfigurationError(f"plan must be one of {list(PLAN_CHOICES)} or a planner.Plan; got {describe(plan)}")
    settings = make_settings(system, tableau, adaptive, _PINS.get(plan))
    problem = _problem(settings, precision, block_size, device, "auto" if plan == "auto" else "min-shared")
    name = {"auto": "cpsat", "local": "greedy", "shared": "greedy"}.get(plan, plan)
    try:
        return settings, _solve(ByDigest(problem), name)
    except planner.InfeasibleError as exc:
        raise ConfigurationError(
            f"plan={plan!r}: the buffers do not fit the shared-memory budget of {problem.capacity_elems} "
            f"elements per thread at block_size {block_size} ({exc}); use plan='auto' or a smaller block_size"
        ) from exc
    except planner.PlannerError as exc:
        raise ConfigurationError(f"plan={plan!r}: the planner failed: {exc}") from exc
