"""Why each buffer of a plan went where it did, and what the cost model expects of the plan.

For every buffer: the pin, the constraint (precision, empty, view, capacity)
or the cost term that decided its place; with the problem at hand, the
model's throughput had that one buffer gone the other way. Then the
predicted registers, spills and occupancy, and the compiler's where the plan
records them (kernels' compiler loop).

Each figure says whose it is: the rows rate moves under the problem's own
model, the ``predicted:`` line is the plan's recorded prediction (under the
compiler loop's fitted register model where it re-solved).  A compiled plan's
buffer that the problem's own model, solving alone, places otherwise is said to
come from the compiler loop, also where only a joint move of several buffers
shows it; a plan with no cost record (greedy, min-shared) is said to be its
planner's.  Recorded blocks per SM and occupancy that the device model does
not give for the recorded registers and shared bytes are noted.
"""

from dataclasses import dataclass

from .buffers import Location, Placement
from .device import PRESETS, get_device
from .costmodel import predict, predict_plan
from .errors import ConfigurationError, PlannerError
from .interference import live_peak
from .objectives import MOVE_GAIN


@dataclass(frozen=True)
class BufferReason:
    """One buffer's placement and the reason for it."""

    name: str
    size_elems: int
    placement: str
    reason: str


@dataclass(frozen=True)
class Explanation:
    """Per-buffer reasons and the plan-wide prediction (and measurement) lines; ``text()`` renders them.

    ``note`` is "" where the plan was made from the problem as given, else why the explanation may not be the
    plan's (:func:`problem_note`): the CLI prints it on stderr, ``text()`` as its first line.
    """

    reasons: tuple
    summary: tuple
    note: str = ""

    def text(self, with_note=True):
        """The table and the summary, after a ``note:`` line where there is a note (``with_note``: whether to
        include it; the CLI prints it on stderr instead)."""
        width = max([len("buffer")] + [len(r.name) for r in self.reasons])
        rows = [f"{'buffer'.ljust(width)}  {'size':>6}  {'placement':<16}  why"]
        rows += [f"{r.name.ljust(width)}  {r.size_elems:>6}  {r.placement:<16}  {r.reason}" for r in self.reasons]
        head = [f"note: {self.note}"] if with_note and self.note else []
        return "\n".join(head + rows + [""] + list(self.summary))


def explain(plan, problem=None):
    """Explain ``plan``; with its ``problem`` (a PlanningProblem) the pins and cost terms are named too.

    The problem must have the plan's precision and block size (:func:`check_settings`); the plan is then
    verified (``Plan.verify``: against the problem, or without one the rules that need only the plan), so a
    self-contradictory plan raises PlanError instead of being explained.  A problem the plan was not made from
    (another input hash: other pins, device, objective or capacity) is explained under its own settings, with
    the ``note`` saying so.

    Returns
    -------
    Explanation

    Raises
    ------
    ConfigurationError
        ``problem`` has another precision or block size than the plan.
    PlanError
        The plan fails a rule of ``Plan.verify``.
    """
    record = plan.cost
    kept = set(record.predicted.kept_local) if record is not None else set()
    declared = problem.by_name() if problem is not None else {}
    if problem is not None:
        check_settings(plan, problem)
    plan.verify(problem)  # without the problem, the rules that need only the plan
    if problem is not None:
        # the rows compare the plan with each buffer moved under one model, the problem's own at the plan's register
        # cap: a prediction recorded under the compiler loop's fitted model (a register base of hundreds) against
        # unfitted moves read "shared beats local; in local: x1.66" (a chemist's trial)
        cap = record.predicted.register_limit if record is not None else None
        context = _Context(problem, plan, predict_plan(problem, plan, max_registers=cap))
        context.own = _own_placements(problem, plan, cap)
    reasons = []
    for p in plan.buffers:
        b = declared.get(p.name)
        if problem is None:
            why = _plan_only_reason(p, kept, record.predicted if record is not None else None)
        else:
            why = _reason(p, b, kept, context)
        reasons.append(BufferReason(p.name, p.size_elems, p.placement.value, why))
    estimate = context.estimate if problem is not None else None
    note = problem_note(plan, problem) if problem is not None else ""
    return Explanation(tuple(reasons), tuple(_summary(plan, problem, estimate)), note)


def check_settings(plan, problem, what="problem",
                   remedy="pass the problem the plan was made from, or solve this one for a plan of its own"):
    """ConfigurationError unless ``problem`` has the plan's precision and block size.

    A plan's shared bytes per block, its budget and the occupancy its explanation rates hold at its own
    precision and block size only (the kernel launches with the plan's), and ``Plan.verify`` fails such a
    problem on rule problem-mismatch, which ``planner explain`` reported as a failed plan (exit 1, a user's
    trial): this is bad input instead.  ``what`` and ``remedy`` put the message in the caller's terms.
    """
    got = ([f"precision {problem.precision}"] if problem.precision != plan.precision else []) + \
        ([f"block size {problem.block_size}"] if problem.block_size != plan.block_size else [])
    if got:
        raise ConfigurationError(f"{what}: expected the plan's precision and block size ({plan.precision}, block "
                                 f"size {plan.block_size}), got {' and '.join(got)}, at which the plan's shared "
                                 f"bytes and occupancy do not hold; {remedy}")


def input_hash_note(plan, problem):
    """The note of ``verify`` and ``explain`` when ``plan`` was not made from ``problem`` as given ("" if it was)."""
    if plan.provenance.input_hash == problem.digest:
        return ""
    return ("the plan's input hash differs from this problem's (made from another file, or with other options or "
            "pins)")


def problem_note(plan, problem):
    """The explanation's note when ``plan`` was not made from ``problem`` as given ("" if it was): the rows are
    under this problem's pins and settings, which may not be the plan's (a pinned placement was said to be the
    greedy planner's, with no word of it from ``planner.explain``: a user's trial)."""
    note = input_hash_note(plan, problem)
    if not note:
        return ""
    return (f"{note}; the explanation below is for this problem's settings (device {problem.device.name}, "
            f"objective {problem.objective}, capacity {problem.capacity_elems} shared elements/thread, and its "
            "pins), which may not be the plan's")


def _own_placements(problem, plan, cap):
    """Which buffers the problem's own model, solving alone at the plan's register cap, puts in shared memory
    (a name -> bool dict), for a plan the compiler loop made (its cost record has compiles) under the ``auto``
    objective; None otherwise.  The rows move one buffer at a time; this sees the joint moves they cannot."""
    record = plan.cost
    if record is None or not record.rounds or problem.objective != "auto":
        return None
    from .solve import solve  # solve imports the planners, which import this package's modules

    try:
        own = solve(problem, "cpsat", max_registers=cap)
    except (PlannerError, ConfigurationError):
        return None
    return {b.name: b.placement is Placement.SHARED for b in own.buffers}


def _plan_only_reason(p, kept, estimate):
    """``p``'s reason from the plan alone: a view, empty, kept by the auto objective (``estimate``: its Prediction)."""
    if p.view_of is not None:
        return f"view of {p.view_of}: placed with it"
    if p.size_elems == 0:
        return "empty: takes no memory"
    if p.name in kept:
        return f"cost model: kept local ({_in_registers(estimate)}) by the auto objective"
    if p.placement is Placement.SHARED:
        return "shared (give the problem with --problem for the deciding term)"
    persistent = " in the persistent-local array" if p.placement is Placement.PERSISTENT_LOCAL else ""
    return f"local{persistent} (give the problem with --problem for the deciding term)"


def _in_registers(estimate):
    """Where the model holds the register-kept buffers, true to ``estimate`` (the plan's Prediction, or None): "in
    registers" only while they fit; where the prediction spills, the spilled words, which the model does not assign
    to any one buffer, are in local memory (a plan spilling 1941 words said "in registers": a user's trial)."""
    if estimate is None or not estimate.spilled_words:
        return "in registers"
    return (f"registers while they fit; the prediction below spills {estimate.spilled_words:.0f} of the "
            f"{estimate.local_words:g} live local words past {estimate.register_limit} registers to local memory")


class _Context:
    """The problem, the plan's local and shared sets, and the plan's throughput by the model."""

    def __init__(self, problem, plan, estimate):
        self.problem, self.estimate = problem, estimate
        self.record, self.planner = plan.cost, plan.provenance.planner
        self.own = None  # the problem's own solve's placements (shared: True), where the compiler loop made the plan
        self.shared = [b.name for b in plan.buffers if b.placement is Placement.SHARED and b.view_of is None]
        self.local = [b.name for b in plan.buffers if b.placement is not Placement.SHARED and b.view_of is None]
        self.peak = plan.shared_elements

    def flipped(self, name, to_shared):
        """The model's prediction with ``name`` moved to the other region (peak: the live bound)."""
        if to_shared:
            local = [n for n in self.local if n != name]
            peak = max(self.peak, live_peak(self.problem, self.shared + [name]))
        else:
            local = self.local + [name]
            peak = live_peak(self.problem, [n for n in self.shared if n != name])
        return predict(self.problem, local, peak, max_registers=self.estimate.register_limit)

    def moved_jointly(self, name, shared):
        """The buffers the problem's own solve places otherwise than the plan, where ``name`` (``shared`` in the
        plan or not) is one of them (the others: a tuple, maybe empty); None where it is not, or no own solve was
        made."""
        if self.own is None or self.own.get(name, shared) == shared:
            return None
        return tuple(n for n in self.own if self.own[n] != (n in self.shared) and n != name
                     and n in self.shared + self.local)

    def ratio(self, name, to_shared):
        """The model's throughput with ``name`` moved over the plan's (above 1: the move would be faster)."""
        now = self.estimate
        return self.flipped(name, to_shared).throughput / now.throughput if now.throughput else float("inf")

    def compare(self, name, to_shared):
        other = self.flipped(name, to_shared)
        now = self.estimate
        where = "shared" if to_shared else "local"
        ratio = self.ratio(name, to_shared)
        if to_shared and other.shared_bytes_per_block > 0 and other.blocks_per_sm == 0:
            return f"in {where} it would not fit one block per SM"
        extra = f", {other.spilled_words:.0f} words spilled" if other.spilled_words else ""
        return (f"in {where}: predicted throughput x{ratio:.2f} ({other.registers} registers{extra}, "
                f"occupancy {other.occupancy:.2f}, step cost {other.step_cost:.0f} vs {now.step_cost:.0f})")


#: A placement the problem's own model rates more than MOVE_GAIN below the other one: the compiler loop decided it,
#: with a register model fitted to the compiled kernel (the plan's recorded prediction), or the 2 % margin for
#: leaving all-local kept it.
_FITTED = {"shared": "shared by the compiler loop's measured figures (a register model fitted to the compiled kernel: "
                     "the plan's recorded prediction; the problem's own model, below, rates local higher)",
           "kept local": "kept local by the compiler loop's measured figures or the auto search's 2 % margin for "
                         "leaving all-local (the problem's own model, below, rates shared higher)"}


def _cost_head(where, ratio):
    """The cost model's reason for a buffer ``where`` it is, the other placement rated ``ratio`` of the plan: better
    rated, within the 2 % a move must gain (:data:`planner.objectives.MOVE_GAIN`), or beyond it (:data:`_FITTED`)."""
    other = "local" if where == "shared" else "shared"
    if ratio <= 1:
        return "cost model: shared beats local" if where == "shared" else "cost model: kept local"
    if ratio <= MOVE_GAIN:
        return f"cost model: {where}; {other} rates at most {MOVE_GAIN - 1:.0%} higher, less than a move must gain"
    return _FITTED[where]


def _auto_head(ctx, name, where):
    """The reason head of a buffer ``where`` it is ("shared" or "kept local") in a plan explained under the ``auto``
    objective: its planner's where no cost record says the model chose it, the compiler loop's where the problem's
    own solve places it otherwise, else the cost term (:func:`_cost_head`)."""
    shared = where == "shared"
    if ctx.record is None:
        return (f"placed {'shared' if shared else 'local'} by the {ctx.planner} planner, with no cost record (the "
                "cost model did not choose this plan; the figures after it are the model's, for information)")
    others = ctx.moved_jointly(name, shared)
    if others is not None:
        return _joint_head(where, others)
    return _cost_head(where, ctx.ratio(name, not shared))


def _joint_head(where, others, shown=3):
    """A placement the compiler loop's measured figures decided against the problem's own solve, which places this
    buffer (with ``others``: a joint move that moving one buffer at a time, in the figures after it, does not
    show) in the other region."""
    other = "shares it" if where == "kept local" else "keeps it local"
    with_ = ""
    if others:
        listed = ", ".join(others[:shown]) + (f" and {len(others) - shown} more" if len(others) > shown else "")
        with_ = f" together with {listed}, a joint move that moving it alone (below) does not show"
    return f"{where} by the compiler loop's measured figures: the problem's own model, solving alone, {other}{with_}"


def _reason(p, b, kept, ctx):
    problem = ctx.problem
    if b.is_view:
        return f"view of {b.view_of}: placed with it"
    if p.size_elems == 0:
        return "empty: takes no memory"
    persistent = " (persistent: in the persistent-local array)" if p.placement is Placement.PERSISTENT_LOCAL else ""
    if b.location is Location.LOCAL:
        return "pinned local" + persistent
    if b.location is Location.SHARED:
        return "pinned shared"
    if b.precision not in (None, problem.precision):
        return (f"precision {b.precision} differs from the shared region's {problem.precision}: cannot share"
                + persistent)
    held = "" if b.storage == "registers" else f" [{b.storage}]"
    if p.placement is Placement.SHARED:
        head = _auto_head(ctx, p.name, "shared") if problem.objective == "auto" else \
            f"min-shared: placed shared by access weight ({b.weight:g} accesses per step)"
        return f"{head}{held}; {ctx.compare(p.name, to_shared=False)}"
    if p.name in kept or ctx.moved_jointly(p.name, False) is not None:  # kept, or local against the own solve
        where = ("in memory" if b.in_memory(Placement.LOCAL) else
                 "forwarded: no registers of its own" if b.storage == "forwarded" else _in_registers(ctx.estimate))
        head = _auto_head(ctx, p.name, "kept local")
        return f"{head} ({where}){persistent}; {ctx.compare(p.name, to_shared=True)}"
    if b.weight == 0:
        return "weight 0: shared memory would buy nothing" + persistent
    alive = live_peak(problem, ctx.shared + [p.name])
    if alive > problem.capacity_elems:
        return (f"capacity: with it shared, {alive} elements per thread would be live at once, over the budget "
                f"of {problem.capacity_elems}{persistent}")
    return f"left local by the planner{persistent}; {ctx.compare(p.name, to_shared=True)}"


def _summary(plan, problem, estimate=None):
    """The plan line, the prediction (recorded, or the model's estimate), whose model the rows used where the two
    differ (``estimate``: the rows' prediction of the plan), the measurement, each compile and the notes."""
    record = plan.cost
    lines = [f"plan: {plan.summary()}"]
    if record is None and problem is None:
        return lines + ["no prediction recorded (plans of the auto objective record one; give --problem for the "
                        "model's estimate)"]
    p = record.predicted if record is not None else predict_plan(problem, plan)
    label = "predicted" if record is not None else "model's estimate (not recorded in the plan)"
    lines.append(f"{label}: {p.registers} registers/thread (family {p.family}, {p.local_words:g} live local words, "
                 f"limit {p.register_limit}), {p.spilled_words:.0f} words spilled"
                 + (f" ({p.local_bytes:.0f} B local/thread with memory-held buffers)" if p.local_bytes else "")
                 + f", {p.shared_bytes_per_block} B "
                 f"shared/block, {p.blocks_per_sm} blocks/SM, occupancy {p.occupancy:.3f} (limited by "
                 f"{p.limited_by}), step cost {p.step_cost:.0f}, throughput {p.throughput:.3g}"
                 + (f" (bound by {p.bound})" if p.bound else "")
                 + (f", {p.candidates} local sets compared" if p.candidates else ""))
    if record is not None and estimate is not None:
        lines += _models_line(record, estimate, problem)
    device = problem.device if problem is not None else None
    if record is None:
        return lines
    m = record.measured
    if m is not None:
        lines.append(f"measured ({m.source}): {m.registers} registers/thread, {m.local_bytes} B local/thread "
                     f"(spill stores {m.spill_store_bytes} B, loads {m.spill_load_bytes} B), "
                     f"{m.shared_bytes_per_block} B shared/block, {m.blocks_per_sm} blocks/SM, occupancy "
                     f"{m.occupancy:.3f}, throughput by the model {m.throughput:.3g}")
    for k, (reg_p, reg_m, local_b, thr) in enumerate(record.rounds, 1):
        lines.append(f"compile {k}: registers predicted {reg_p}, measured {reg_m}, local {local_b} B, "
                     f"throughput {thr:.3g}")
    if record.note:
        lines.append(f"compiler: {record.note}")
    return lines + [f"note: {n}" for n in occupancy_notes(plan, device)]


def _models_line(record, estimate, problem):
    """Where the rows' model (the problem's own, at the plan's register cap) rates the plan otherwise than the
    ``predicted:`` line (the plan's recorded prediction), one line saying whose each figure is, so that "step cost
    ... vs 1910" above and "step cost 2167" below are not read as contradicting each other."""
    p, e = record.predicted, estimate
    if (p.registers, round(p.spilled_words), round(p.step_cost)) == (e.registers, round(e.spilled_words),
                                                                         round(e.step_cost)):
        return []
    whose = ("the compiler loop's (under the register model it fitted to its compiles where it re-solved: "
             "compiler, below)" if record.rounds else "made when the plan was solved, under another model or problem")
    spilled = f", {e.spilled_words:.0f} words spilled" if e.spilled_words else ""
    return [f"models: the rows above rate moves under the problem's own model ({problem.device.name}, at the plan's "
            f"{p.register_limit}-register cap), which gives this plan {e.registers} registers{spilled}, step cost "
            f"{e.step_cost:.0f}, throughput {e.throughput:.3g}; the predicted: line is the plan's recorded "
            f"prediction, {whose}"]


def occupancy_notes(plan, device=None):
    """Where the plan's cost record gives blocks per SM or an occupancy that ``device``'s occupancy (the problem's;
    without one, every preset's) does not give for its recorded registers and shared bytes at the plan's block
    size (the prediction's limiting resource too): one note each for the prediction and the measurement.  A
    hand-edited record verifies (cost is not a rule of ``verify``), so ``explain`` says where its figures do not
    follow from each other."""
    record = plan.cost
    if record is None:
        return []
    devices = [device] if device is not None else [get_device(name) for name in sorted(PRESETS)]
    figures = [("recorded prediction", record.predicted)]
    if record.measured is not None:
        figures.append(("recorded measurement", record.measured))
    notes = []
    for label, f in figures:
        recomputed = [_occupancy(d, plan.block_size, f.registers, f.shared_bytes_per_block) for d in devices]
        recorded = (f.blocks_per_sm, round(f.occupancy, 6), getattr(f, "limited_by", None))
        if any(r is not None and r[:2] == recorded[:2] and recorded[2] in (None, r[2]) for r in recomputed):
            continue
        limited = f" (limited by {f.limited_by})" if hasattr(f, "limited_by") else ""
        said = f"{f.blocks_per_sm} blocks/SM, occupancy {f.occupancy:.3f}{limited}"
        given = (f"{f.registers} registers/thread and {f.shared_bytes_per_block} B shared/block at block size "
                 f"{plan.block_size}")
        if device is None:
            notes.append(f"the {label}'s {said} is what no device preset ({', '.join(sorted(PRESETS))}) gives for "
                         f"{given} (a hand-edited record?)")
        else:
            notes.append(f"the {label}'s {said} is not what {device.name}'s occupancy gives for {given}: "
                         f"{_occupancy_text(recomputed[0])} (a hand-edited record, or one made on another device)")
    return notes


def _occupancy(device, block_size, registers, shared_bytes):
    """``(blocks per SM, occupancy rounded)`` of ``device`` for these figures (registers clamped to the device's
    range, as the compiler loop's measured figures are); None where the device cannot take the block size."""
    registers = max(1, min(registers, device.max_registers_per_thread))
    try:
        occ = device.occupancy(block_size, registers, shared_bytes)
    except ConfigurationError:
        return None
    return occ.blocks_per_sm, round(occ.occupancy, 6), occ.limited_by


def _occupancy_text(recomputed):
    """The recomputed occupancy in the words of the ``predicted:`` line."""
    if recomputed is None:
        return "it cannot run that block size"
    return f"{recomputed[0]} blocks/SM, occupancy {recomputed[1]:.3f} (limited by {recomputed[2]})"
