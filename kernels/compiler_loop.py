"""The compiler in the loop: check an ``auto`` plan's prediction against the compiled kernel.

The planner predicts registers and spills from sizes; only the compiler knows
them. After ``auto`` planning, the kernel for the Plan is built (and kept by
the Integrator, so the solve reuses it) and its resources are read
(``BatchKernel.resources()``: the kernel's own counts on a GPU, ``ptxas -v``
offline). Where they contradict the prediction (local memory where none was
predicted or the reverse, registers off by more than 20 %), the register base
of the method's family is corrected to reproduce the measurement and the
problem is planned again, at most ``MAX_ROUNDS`` compiles in all; the plan the
model rates fastest with its measured figures is kept. The Plan's ``cost``
records the prediction, the measurement and each round. On the simulator, or
without ptxas, nothing is compiled and the reason is recorded.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import planner
from planner.costmodel import CostRecord, contradicts, corrected, measured

from .backend import backend
from .errors import ConfigurationError

__all__ = ["MAX_ROUNDS", "with_compiler"]

MAX_ROUNDS = 3
SIMULATOR_NOTE = ("not compiled: the simulator has no compiler to ask (run with NUMBA_ENABLE_CUDASIM=0 and "
                  "ptxas, or on a GPU)")


def with_compiler(integrator, plan, choice, block_size, device, pins=None):
    """``plan`` with the compiler's figures recorded, or a better plan re-solved from them (``auto`` only)."""
    if choice != "auto" or plan.cost is None:
        return plan
    if backend() != "cuda":
        return _noted(plan, SIMULATOR_NOTE)
    problem = integrator.buffer_settings(pins).to_problem(
        precision=np.dtype(integrator.dtype).name, block_size=block_size, objective="auto", device=device)
    model, candidate, rounds, best, seen = device, plan, [], None, {}
    note = "prediction confirmed"
    for _ in range(MAX_ROUNDS):
        try:
            resources = integrator.build(candidate).resources()
        except (ConfigurationError, OSError) as exc:
            if best is None:
                return _noted(plan, f"not compiled: {exc}")
            note = f"stopped: {exc}"
            break
        figures = seen[candidate.digest] = measured(problem, candidate, resources, device)
        predicted = candidate.cost.predicted
        rounds.append((predicted.registers, figures.registers, figures.local_bytes, figures.throughput))
        if best is None or figures.throughput > best[1].throughput:
            best = (candidate, figures)
        if not contradicts(predicted, figures):
            note = "prediction confirmed" if len(rounds) == 1 else f"re-solved: round {len(rounds)} confirmed"
            break
        model = corrected(model, problem, predicted, figures)
        candidate = planner.solve(problem, "cpsat", cost_model=model)
        note = f"re-solved with the measured register base {model.register_base(predicted.family)}"
        if candidate.digest in seen:  # nothing new to compile: keep the corrected prediction of a known layout
            note += "; the same layout again"
            if seen[candidate.digest].throughput >= best[1].throughput:
                best = (candidate, seen[candidate.digest])
            break
    chosen, figures = best
    record = CostRecord(chosen.cost.predicted, figures, tuple(rounds), note)
    return dataclasses.replace(chosen, cost=record)


def _noted(plan, note):
    return dataclasses.replace(plan, cost=dataclasses.replace(plan.cost, note=note))
