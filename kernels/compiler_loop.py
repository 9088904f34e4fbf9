"""The compiler in the loop: check an ``auto`` plan's prediction against the compiled kernel.

The planner predicts registers and spills from sizes; only the compiler knows
them. The all-local plan is compiled first and its resources read
(``BatchKernel.resources()``: the kernel's own counts on a GPU, ``ptxas -v``
offline; the Integrator keeps each kernel, so the solve reuses the one kept).
Where it needs no local memory it is kept after that one compile: no shared
layout can cut local traffic it does not have, and none ran faster in any
recorded sweep (issue #14), so the model's layouts are not compiled at all.
Otherwise the ``auto`` plan is compiled; where its figures contradict the
prediction (local memory where none was predicted or the reverse, registers
off by more than 20 %, local bytes off by more than 10 %), the register model
is corrected to reproduce the measurement (``planner.costmodel.corrected``:
the family's register base, or the registers per word where the compiler
spilled less than predicted) and the problem is planned again, at most
``MAX_ROUNDS`` compiles of the model's layouts; the one the model rates
fastest with its measured figures is kept.  When fewer rounds were needed, the
model's next choice (its best set of buffers kept local among those not
compiled yet) is compiled too and kept if its measured figures rate it faster
(:func:`_runner_up`).  A kept plan that uses shared memory is then held against
all-local's figures: the register model counts every declared word as live,
the compiler does not (sdirk4 on the Brusselator n = 8: 230 predicted, 166
compiled), so a layout moved to shared memory for an occupancy that all-local
reaches anyway cost its shared accesses for nothing (2x slower on the H200).
All-local is kept when the measured figures rate it at least as fast, within
``planner.objectives.MOVE_GAIN``, and where a shared plan that runs fewer warps
an SM gains less than it seems (:func:`all_local_kept`: the loads in flight at
its occupancy, or too small a cut of the local traffic; issue #14).  The Plan's
``cost`` records the prediction, the measurement and each round. On the
simulator, or without ptxas, nothing is compiled and the reason is recorded.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import planner
from planner import Location, Placement
from planner.costmodel import (MIN_ACCESS_CUT, CostRecord, access_cut, contradicts, corrected, guarded_throughput,
                               measured, predict_plan)
from planner.objectives import MOVE_GAIN

from .backend import backend
from .errors import ConfigurationError
from .plan_layout import layout_digest

__all__ = ["MAX_ROUNDS", "with_compiler"]

MAX_ROUNDS = 3
SIMULATOR_NOTE = ("not compiled: the simulator has no compiler to ask (run with NUMBA_ENABLE_CUDASIM=0 and "
                  "ptxas, or on a GPU)")


def with_compiler(integrator, solve, choice, block_size, device, pins=None):
    """The Plan for ``choice``: ``solve()``'s (the planner's), and for ``auto`` the one the compiler's figures keep.

    The all-local plan is compiled first: where it needs no local memory, no shared layout can cut local traffic
    (and none ran faster in a recorded sweep, issue #14), so it is kept after that one compile, which the solve
    reuses, and the model is not even solved.  Otherwise the model's layouts are compiled in turn and the kept one
    is held against all-local."""
    if choice != "auto" or backend() != "cuda":
        plan = solve()
        return _noted(plan, SIMULATOR_NOTE) if choice == "auto" and plan.cost is not None else plan
    problem = integrator.buffer_settings(pins).to_problem(
        precision=np.dtype(integrator.dtype).name, block_size=block_size, objective="auto", device=device)
    rounds = _Rounds()
    local, local_figures = _all_local(integrator, problem, block_size, device, pins, rounds)
    if local is not None and local_figures.local_bytes == 0:
        pinned = " (every buffer not pinned shared local)" if local.shared_elements else ""
        note = (f"all-local{pinned} compiled first with no local memory ({local_figures.registers} registers): kept, "
                "no shared layout can cut its local traffic")
        return _as_auto(problem, local, local_figures, rounds, note, device, integrator.max_registers)
    plan = solve()
    if plan.cost is None:
        return plan
    model, candidate, best, seen = device, plan, None, {}
    known = []  # the model's layouts that were compiled before (all-local's): the runner-up skips their kept sets
    if local is not None:
        seen[layout_digest(local)] = local_figures
    first = len(rounds)  # the model's compiles come after all-local's
    # each compile's outcome in turn, "; " between them
    note = "" if local is None else f"all-local (compile 1): {local_figures.local_bytes} B of local memory a thread"
    for _ in range(MAX_ROUNDS):
        predicted, layout = candidate.cost.predicted, layout_digest(candidate)
        if layout in seen:  # the model's first layout is all-local's, compiled first
            figures = seen[layout]
            known.append(candidate)
            note = _then(note, f"the model's layout is all-local's (compile {rounds.index(candidate)})")
        else:
            try:
                resources = integrator.build(candidate).resources()
            except (ConfigurationError, OSError) as exc:
                if best is None and local is None:
                    return _noted(plan, f"not compiled: {exc}")
                note = _then(note, f"stopped: {exc}")
                break
            figures = seen[layout] = measured(problem, candidate, resources, device)
            rounds.add(candidate, _round(predicted, figures))
        if best is None or figures.throughput > best[1].throughput:
            best = (candidate, figures)
        if not contradicts(predicted, figures):
            note = _then(note, "prediction confirmed" if len(rounds) == first + 1 else
                         f"compile {rounds.index(candidate)} confirmed its prediction")
            break
        before, model = model, corrected(model, problem, predicted, figures)
        candidate = planner.solve(problem, "cpsat", cost_model=model, max_registers=integrator.max_registers)
        resolved = _resolved_note(model, predicted, problem, len(rounds), unchanged=model == before)
        note = _then(note, resolved)
        again = seen.get(layout_digest(candidate))
        if again is not None:  # nothing new to compile: keep the corrected prediction of a known layout
            note += f": compile {rounds.index(candidate)}'s layout again"
            known.append(candidate)
            if best is None or again.throughput >= best[1].throughput:
                best = (candidate, again)
            break
    else:
        note += f": not compiled (at most {MAX_ROUNDS} compiles of the model's layouts before the runner-up)"
    if best is None:  # the model's first layout did not build: all-local, compiled first
        return _as_auto(problem, local, local_figures, rounds, note + "; all-local kept", device,
                        integrator.max_registers)
    if len(rounds) - first < MAX_ROUNDS:
        best, note = _runner_up(integrator, problem, model, device, best, seen, rounds, note, known)
    chosen, figures = best
    if chosen.shared_elements and local is not None:
        why = all_local_kept(problem, chosen, figures, local, local_figures, device)
        if why:
            return _as_auto(problem, local, local_figures, rounds, f"{note}; {why}: kept", device,
                            integrator.max_registers)
        trade = _trade(problem, chosen, figures, local, local_figures, device)
        note += f"; all-local (compile {rounds.index(local)}) measured slower{trade}"
    if len(rounds) > 1 and rounds.index(chosen):
        note += f"; kept compile {rounds.index(chosen)}'s layout"
    predicted = chosen.cost.predicted
    record = CostRecord(predicted, figures, tuple(rounds.figures), note + _contradiction_note(predicted, figures))
    return dataclasses.replace(chosen, cost=record)


def _as_auto(problem, local, figures, rounds, note, device, max_registers):
    """The all-local plan ``local`` kept as ``auto``'s, with its measured ``figures``, the ``rounds`` and ``note``:
    its input hash the ``auto`` problem's and its prediction's kept set every ``auto`` buffer it keeps local, so that
    ``planner explain`` reads it against that problem and says a buffer the model alone would share was kept local
    by the compiler loop's figures (it read "left local by the planner" with a note that the plan was made from
    another problem: an integrator developer's trial)."""
    shared = {b.name for b in local.buffers if b.placement is Placement.SHARED}
    kept = tuple(b.name for b in problem.planned if b.location is Location.AUTO and b.name not in shared)
    predicted = predict_plan(problem, local, device, max_registers, kept_local=kept)
    record = CostRecord(predicted, figures, tuple(rounds.figures), note + _contradiction_note(predicted, figures))
    provenance = dataclasses.replace(local.provenance, input_hash=problem.digest)
    return dataclasses.replace(local, provenance=provenance, cost=record)


def all_local_kept(problem, chosen, figures, local, local_figures, device):
    """Why the all-local plan ``local`` is kept over the shared plan ``chosen`` (their measured figures), or "".

    All-local stays where its figures rate it within ``MOVE_GAIN`` of the shared plan's, or where they do under
    :func:`planner.costmodel.guarded_throughput` (the loads a thread keeps in flight at the shared plan's occupancy),
    or where the shared plan runs fewer warps an SM and cuts the bytes its local accesses move a step by less than
    :data:`planner.costmodel.MIN_ACCESS_CUT`: the model sees device memory busy from four warps an SM, and such a
    trade of warps for traffic ran slower in every recorded case (issue #14)."""
    if local_figures.throughput * MOVE_GAIN >= figures.throughput:
        return f"all-local measured at least as fast (within {MOVE_GAIN - 1:.0%})"
    if (guarded_throughput(problem, local, local_figures, device) * MOVE_GAIN
            >= guarded_throughput(problem, chosen, figures, device)):
        return (f"all-local rated at least as fast (within {MOVE_GAIN - 1:.0%}) with the loads in flight at the "
                f"shared plan's {figures.blocks_per_sm} block(s) an SM")
    trade = _warp_trade(problem, chosen, figures, local, local_figures, device)
    if trade is not None and trade[2] < MIN_ACCESS_CUT:
        warps, local_warps, cut = trade
        return (f"all-local runs {local_warps} warps an SM to the shared plan's {warps}, which cuts the bytes "
                f"the local accesses move a step by {max(cut, 0.0):.0%}, less than {MIN_ACCESS_CUT:.0%}")
    return ""


def _warp_trade(problem, chosen, figures, local, local_figures, device):
    """``(warps, local_warps, cut)`` where the shared plan ``chosen`` runs fewer warps an SM than all-local by their
    measured figures, ``cut`` the share of the bytes the local accesses move a step it takes away
    (:func:`planner.costmodel.access_cut`); else None."""
    warps, local_warps = _warps(figures, chosen, device), _warps(local_figures, local, device)
    if warps >= local_warps:
        return None
    return warps, local_warps, access_cut(problem, chosen, figures, local, local_figures, device)


def _trade(problem, chosen, figures, local, local_figures, device):
    """Where the kept shared plan runs fewer warps an SM than all-local, the figures the guard passed it on: the warps
    and the cut of the bytes the local accesses move a step (an integrator developer could not check the note
    without them); else ''."""
    trade = _warp_trade(problem, chosen, figures, local, local_figures, device)
    if trade is None:
        return ""
    warps, local_warps, cut = trade
    return (f" (the kept layout runs {warps} warps an SM to all-local's {local_warps} and cuts the bytes the local "
            f"accesses move a step by {max(cut, 0.0):.0%}, at least {MIN_ACCESS_CUT:.0%})")


def _warps(figures, plan, device):
    """Warps an SM of ``plan``'s measured ``figures``: its resident blocks, each of ``plan.block_size`` threads
    rounded up to whole warps (as ``DeviceModel.occupancy`` counts them)."""
    return figures.blocks_per_sm * -(-plan.block_size // device.warp_size)


def _runner_up(integrator, problem, model, device, best, seen, rounds, note, known=()):
    """``(best, note)`` after compiling the model's next choice beside the layouts already compiled.

    The model can rate two layouts within a few per cent where the GPU does not
    (radau at 32 states, float32: its real factor alone in shared memory rated
    2.6 % below the complex one, and ran 1.47x slower on the H200), so one more
    layout is measured and the faster by the measured figures kept.
    """
    # the model's layouts compiled or ``known`` (all-local's, compiled first, whose own plan has no prediction)
    tried = [frozenset(plan.cost.predicted.kept_local) for plan in [*rounds.plans, *known] if plan.cost is not None]
    try:
        runner = planner.solve(problem, "cpsat", cost_model=model, max_registers=integrator.max_registers,
                               skip_local=tried)
    except planner.PlannerError:
        return best, note
    if layout_digest(runner) in seen or not runner.shared_elements:  # nothing new, or all-local (compiled first)
        return best, note
    try:
        resources = integrator.build(runner).resources()
    except (ConfigurationError, OSError):
        return best, note
    figures = seen[layout_digest(runner)] = measured(problem, runner, resources, device)
    rounds.add(runner, _round(runner.cost.predicted, figures))
    if figures.throughput > best[1].throughput:
        return (runner, figures), note + f"; the runner-up (compile {len(rounds)}) measured faster: kept"
    return best, note + f"; the runner-up (compile {len(rounds)}) measured slower"


def _all_local(integrator, problem, block_size, device, pins, rounds):
    """The all-local plan and its measured figures (a round appended), or ``(None, None)`` if it cannot be built."""
    try:
        local = integrator.plan("local", block_size=block_size, device=device, pins=pins)
        resources = integrator.build(local).resources()
    except (ConfigurationError, OSError):
        return None, None
    figures = measured(problem, local, resources, device)
    rounds.add(local, _round(predict_plan(problem, local, device, integrator.max_registers), figures))
    return local, figures


class _Rounds:
    """The compiles made so far: each one's ``CostRecord.rounds`` entry and the layout it compiled."""

    def __init__(self):
        self.figures, self.plans = [], []

    def add(self, plan, entry):
        self.figures.append(entry)
        self.plans.append(plan)

    def __len__(self):
        return len(self.figures)

    def index(self, plan):
        """The 1-based number of the first compile of ``plan``'s layout (0: not compiled)."""
        layout = layout_digest(plan)
        return next((k for k, compiled in enumerate(self.plans, 1) if layout_digest(compiled) == layout), 0)


def _resolved_note(model, predicted, problem, compile_number, unchanged=False):
    """What the re-solve after compile ``compile_number`` used: the register model fitted to that compile (its base
    can pass the register limit, standing for spills the model's count of live words does not see).  ``unchanged``:
    the fit moved nothing (registers measured as predicted, no spill to fit), so the same layout comes back."""
    base = model.register_base(predicted.family)
    past = (f", above the {predicted.register_limit}-register limit: it stands for the compiler's spills"
            if base > predicted.register_limit else "")
    fitted = "the register model, unchanged by" if unchanged else "the register model fitted to"
    return (f"re-solved with {fitted} compile {compile_number} (base {base} registers{past}; "
            f"{model.word_registers(problem.itemsize):.3g} registers a word)")


def _contradiction_note(predicted, figures):
    """Where the kept plan's recorded prediction still contradicts its measured figures (the model's best fit could
    not reproduce the compile: a spill it predicts that the compiler did not make), say so ("" where they agree)."""
    if not contradicts(predicted, figures):
        return ""
    said = f"{predicted.registers} registers, {predicted.spilled_words:.0f} words spilled"
    if figures.local_bytes == 0:
        made = f"{figures.registers} registers and spilled none"
    else:
        made = f"{figures.registers} registers and {figures.local_bytes} B of local memory a thread"
    return (f"; its recorded prediction ({said}) is the model's, which contradicts the compile: the compiler "
            f"made {made} (the measured figures are the compiler's)")


def _then(note, more):
    """``note`` with ``more`` after it: what the compiler loop did next."""
    return f"{note}; {more}" if note else more


def _round(predicted, figures):
    """One compile's entry in ``CostRecord.rounds``: predicted and measured registers, local bytes, throughput."""
    return (predicted.registers, figures.registers, figures.local_bytes, figures.throughput)


def _noted(plan, note):
    return dataclasses.replace(plan, cost=dataclasses.replace(plan.cost, note=note))
