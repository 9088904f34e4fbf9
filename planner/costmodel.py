"""The cost model behind the ``auto`` objective: registers, spills, occupancy and a throughput estimate.

A buffer the plan calls local is held as its ``storage`` says
(:data:`planner.buffers.STORAGE_FORMS`): in registers (the default), in
memory (each access a load or store: no registers), or forwarded (no words
of its own).  Predicted registers are a per-family base (the integrator's own
scalars and addresses) plus ``registers_per_word`` for each 32-bit word of the
register-held working set alive at once (a buffer's words at its own element size:
a float64 element is two words, a float32 one one, whatever the problem's
precision; the rate per word is the problem precision's, the kernel's, as
calibrated).  What exceeds the per-thread register
limit spills to off-chip local memory: first the words of any register-held
buffer beyond half the register budget (an LU factor too large to be held
whole spills its own words, however often they are used), then the least
accessed words.  Occupancy follows from the
registers and the shared bytes per block (DeviceModel.occupancy).  A step's
cost per thread is its accesses (each with its arithmetic, cost 1), plus
``shared_access_cost`` for each access to a register-held buffer placed in
shared memory (a register operand became a load or store),
``shared_memory_access_cost`` for each access to a memory-held one there, and
``spill_access_cost`` for each spilled access and each access to a local
buffer held in memory (times ``DeviceModel.local_memory_factor``: less while
the L2 cache holds the resident threads' local bytes, so fewer resident
threads can make local memory cheaper).  Throughput is the smaller of two
bounds: the fraction of latency hidden (occupancy over
``saturation_occupancy``, at most 1) over that cost, and one over the local
traffic (``local_byte_cost`` for each byte of the thread's local memory that
the L2 cache does not hold, once a step, more below ``traffic_occupancy``; less the share the L1 holds,
which the resident blocks' shared memory takes from on Hopper: ``DeviceModel.l1_held``):
a kernel whose spills stream through device memory is bound by their bytes
rather than by its occupancy, so that fewer resident threads with part of the
working set in shared memory can be faster.  Two options of that bound, off in
every preset (:mod:`planner.traffic`): pricing the bytes the local accesses
move a step instead of the frame (``traffic_access_share``), and scaling the
occupancy it sees by a proxy of the loads a thread has in flight
(``traffic_parallelism``).  Units are relative: only
comparisons between plans of one problem mean anything.  The compiler loop's last checks of a shared
plan that runs fewer warps an SM than all-local read two figures from here: :func:`guarded_throughput`
(the loads in flight) and :func:`access_cut` (the share of the local traffic it saves).
"""

import dataclasses
import math
from dataclasses import dataclass

from .buffers import Location, Placement
from .interference import _lifetimes, live_size
from .problem import pad_stride
from .traffic import (elem_bytes, local_access_bytes, priced_access_bytes, spilled_accesses, traffic_bytes,
                      traffic_occupancy_share)


#: What ``Prediction.bound`` may say: which bound set the throughput ("" in plans recorded before it).
BOUNDS = ("", "latency", "local traffic")


@dataclass(frozen=True)
class Prediction:
    """What the model expects of a plan; ``registers_measured`` style figures live in :class:`Measured`."""

    family: str
    local_words: float
    registers: int
    register_limit: int
    spilled_words: float
    shared_bytes_per_block: int
    blocks_per_sm: int
    occupancy: float
    limited_by: str
    step_cost: float
    throughput: float
    kept_local: tuple = ()
    candidates: int = 0
    local_bytes: float = 0.0  # spilled words and memory-held local buffers, per thread
    bound: str = ""  # which bound sets the throughput: "latency" or "local traffic" (see throughput)

    def to_json(self):
        data = dataclasses.asdict(self)
        data["kept_local"] = list(self.kept_local)
        return data

    @classmethod
    def from_json(cls, data):
        """A Prediction from its JSON form; ``bound`` must be one :func:`bound` gives (or absent: older plans)."""
        if data.get("bound", "") not in BOUNDS:
            raise ValueError(f"bound: expected one of {BOUNDS}, got {data.get('bound')!r}")
        return cls(**dict(data, kept_local=tuple(data.get("kept_local", ()))))


@dataclass(frozen=True)
class Measured:
    """What the compiler made of the plan's kernel, and the model's throughput with those figures."""

    registers: int
    local_bytes: int
    spill_store_bytes: int
    spill_load_bytes: int
    shared_bytes_per_block: int
    source: str
    blocks_per_sm: int
    occupancy: float
    throughput: float

    def to_json(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(**data)


@dataclass(frozen=True)
class CostRecord:
    """The prediction a plan was chosen by, the compiler's figures where known, and the rounds run.

    ``rounds``: one ``(registers predicted, registers measured, local bytes measured,
    throughput measured)`` tuple per compile; ``note``: why no measurement was made, or
    what the compiler loop concluded.
    """

    predicted: Prediction
    measured: Measured = None
    rounds: tuple = ()
    note: str = ""

    def to_json(self):
        return {"predicted": self.predicted.to_json(),
                "measured": None if self.measured is None else self.measured.to_json(),
                "rounds": [list(r) for r in self.rounds], "note": self.note}

    @classmethod
    def from_json(cls, data):
        measured = data.get("measured")
        return cls(Prediction.from_json(data["predicted"]), None if measured is None else Measured.from_json(measured),
                   tuple(tuple(r) for r in data.get("rounds", ())), data.get("note", ""))


def family_of(problem):
    """The method family a problem's buffers belong to: the step component under the loop (``loop.erk.*``)."""
    for b in problem.buffers:
        parts = b.name.split(".")
        if len(parts) >= 3 and parts[0] == "loop":
            return parts[1]
    return "default"


def register_limit(device, max_registers=None):
    return min(device.max_registers_per_thread, max_registers or device.max_registers_per_thread)


def predict(problem, local_names, shared_elements, device=None, max_registers=None, kept_local=(), candidates=0):
    """The Prediction for ``problem`` with ``local_names`` local and ``shared_elements`` shared per thread.

    ``device`` supplies the cost constants (default the problem's own model).
    """
    device = device or problem.device
    local = set(local_names)
    held = [b.name for b in problem.planned if b.name in local and b.holds_registers(Placement.LOCAL)]
    words = live_words(problem, held)
    family = family_of(problem)
    per_word = device.word_registers(problem.itemsize)
    raw = device.register_base(family) + per_word * words
    limit = register_limit(device, max_registers)
    registers = max(1, min(limit, math.ceil(raw)))
    spilled = max(0.0, (raw - limit) / per_word)
    shared_bytes = pad_stride(shared_elements) * problem.block_size * problem.itemsize
    occ = device.occupancy(problem.block_size, registers, shared_bytes)
    local_bytes = 4 * spilled + memory_bytes(problem, local)
    cost = step_cost(problem, local_names, spilled, device,
                     device.local_memory_factor(occ, problem.block_size, local_bytes))
    access = priced_access_bytes(problem, local, spilled, device, family)
    rate, which = _rated(occ, cost, device, local_bytes, problem.block_size, shared_bytes, access)
    return Prediction(family, words, registers, limit, spilled, shared_bytes, occ.blocks_per_sm, occ.occupancy,
                      occ.limited_by, cost, rate, tuple(sorted(kept_local)), candidates, local_bytes, which)


@dataclass(frozen=True)
class _Words:
    """A buffer's size in 32-bit words, in the form :func:`planner.interference.live_size` reads."""

    size_elems: float


def live_words(problem, names):
    """The most 32-bit words alive at one program point among the planned buffers ``names``, each buffer's
    elements at its own element size (:func:`elem_bytes`)."""
    planned = {b.name: b for b in problem.planned}
    words = {n: _Words(planned[n].size_elems * elem_bytes(problem, planned[n]) / 4)
             for n in dict.fromkeys(names) if n in planned}
    return live_size(words, _lifetimes(problem), list(words))


def memory_bytes(problem, local_names):
    """Bytes a thread of the local buffers among ``local_names`` held in memory (each access a load or store),
    each at its own element size."""
    local = set(local_names)
    return sum(b.size_elems * elem_bytes(problem, b) for b in problem.planned
               if b.name in local and b.in_memory(Placement.LOCAL))


def step_cost(problem, local_names, spilled_words, device, local_factor=1.0):
    """Relative cost of a step per thread: accesses, plus shared, spilled and in-memory accesses at their extra cost.

    ``spilled_words`` are the compiler's least used words (:func:`planner.traffic.spilled_accesses`: first
    the words of a register-held buffer beyond :data:`planner.traffic.CAP_SHARE` of the register budget).
    ``local_factor`` scales the local-memory (spilled and in-memory) accesses: ``DeviceModel.local_memory_factor``.
    """
    local = set(local_names)
    total = shared = shared_memory = memory = 0.0
    for b in problem.planned:
        total += b.weight
        if b.name not in local:
            if b.in_memory(Placement.SHARED):
                shared_memory += b.weight
            else:
                shared += b.weight
        elif b.in_memory(Placement.LOCAL):
            memory += b.weight
    spilled = sum(a for _, a in spilled_accesses(problem, local, spilled_words, device, family_of(problem)))
    return (max(total, 1.0) + device.shared_access_cost * shared + device.shared_memory_access_cost * shared_memory
            + device.spill_access_cost * local_factor * (spilled + memory))


def _bounds(occ, cost, device, local_bytes, block_size, shared_bytes=0, access_bytes=None):
    """``(latency-bound time, traffic-bound time)`` per thread and step, in the model's relative units.

    The traffic is the bytes of :func:`planner.traffic.traffic_bytes` (the thread's local frame ``local_bytes``
    once a step, or its ``access_bytes`` a step: ``DeviceModel.traffic_access_share``) that neither the L2
    (:meth:`DeviceModel.l2_held`) nor the L1 holds (the L1 what the resident blocks' ``shared_bytes`` a block
    leave of it: :meth:`DeviceModel.l1_held`); both caches hold a share of the frame, the working set.  Below
    ``traffic_occupancy`` (:func:`planner.traffic.traffic_occupancy_share`) it takes longer."""
    streamed = traffic_bytes(device, local_bytes, access_bytes) * (
        1.0 - device.l2_held(occ, block_size, local_bytes)) * (
        1.0 - device.l1_held(occ, block_size, local_bytes, shared_bytes))
    return (cost / min(1.0, occ.occupancy / device.saturation_occupancy),
            device.local_byte_cost * streamed / traffic_occupancy_share(device, occ.occupancy, local_bytes,
                                                                         access_bytes))


def _rated(occ, cost, device, local_bytes, block_size, shared_bytes=0, access_bytes=None):
    """``(throughput, bound)``: one over the larger of the two bounds of :func:`_bounds`, and which it was (0
    and "latency" when nothing launches)."""
    if occ.blocks_per_sm == 0:
        return 0.0, "latency"
    latency, traffic = _bounds(occ, cost, device, local_bytes, block_size, shared_bytes, access_bytes)
    return 1.0 / max(latency, traffic), "local traffic" if traffic > latency else "latency"


def throughput(occ, cost, device, local_bytes=0.0, block_size=0, shared_bytes=0, access_bytes=None):
    """One over the larger of the latency bound (``cost`` over the share of latency hidden) and the traffic
    bound (``local_byte_cost`` per byte of ``local_bytes``, the thread's local memory, or of its
    ``access_bytes`` a step as ``DeviceModel.traffic_access_share`` says, that neither the L2 nor the L1
    holds: ``DeviceModel.l2_held`` and ``l1_held`` of ``block_size`` threads and ``shared_bytes`` a block;
    over occupancy / ``traffic_occupancy`` below it: too few warps to keep device memory busy); 0 when
    nothing launches."""
    return _rated(occ, cost, device, local_bytes, block_size, shared_bytes, access_bytes)[0]


def bound(occ, cost, device, local_bytes=0.0, block_size=0, shared_bytes=0, access_bytes=None):
    """Which bound :func:`throughput` took: ``"local traffic"`` or ``"latency"``."""
    return _rated(occ, cost, device, local_bytes, block_size, shared_bytes, access_bytes)[1]


def _local_of(plan):
    """Names of ``plan``'s buffers held in local memory or registers (not shared, not views)."""
    return [b.name for b in plan.buffers if b.placement is not Placement.SHARED and b.view_of is None]


def _spilled_of(problem, local, local_bytes):
    """Words of ``local_bytes`` (the compiler's local bytes a thread) beyond the memory-held ``local`` buffers:
    the compiler's spills."""
    return max(0.0, (local_bytes - memory_bytes(problem, local)) / 4)


def predict_plan(problem, plan, device=None, max_registers=None, kept_local=(), candidates=0):
    """The Prediction for a solved ``plan`` of ``problem``."""
    local = _local_of(plan)
    return predict(problem, local, plan.shared_elements, device, max_registers, kept_local, candidates)


def measured(problem, plan, resources, device=None):
    """A Measured from the compiler's ``resources`` (registers, local bytes, spills, shared bytes)."""
    device = device or problem.device
    registers = max(1, min(resources.registers_per_thread, device.max_registers_per_thread))
    occ = device.occupancy(plan.block_size, registers, resources.shared_bytes_per_block)
    local = _local_of(plan)
    spilled = _spilled_of(problem, local, resources.local_bytes_per_thread)
    cost = step_cost(problem, local, spilled, device,
                     device.local_memory_factor(occ, plan.block_size, resources.local_bytes_per_thread))
    access = priced_access_bytes(problem, local, spilled, device, family_of(problem))
    return Measured(resources.registers_per_thread, resources.local_bytes_per_thread,
                    resources.spill_store_bytes or 0, resources.spill_load_bytes or 0,
                    resources.shared_bytes_per_block, resources.source, occ.blocks_per_sm, occ.occupancy,
                    throughput(occ, cost, device, resources.local_bytes_per_thread, plan.block_size,
                               resources.shared_bytes_per_block, access))


#: The compiler loop's last check (``kernels.compiler_loop``; issue #14): before a shared plan that runs fewer warps
#: an SM replaces all-local, its measured figures are rated again with the occupancy the traffic bound sees scaled by
#: the loads a thread keeps in flight, (local accesses a step per local byte / 4) ** GUARD_PARALLELISM, and by the
#: bytes a load moves, (element bytes / 8) ** GUARD_ELEM_EXPONENT.  Below ``traffic_occupancy`` (four warps an SM)
#: too few bytes are in flight to keep device memory busy: on an H100, RK4 on 256 states float32 at one block an SM
#: (the step's stage in shared memory) moved 46 % fewer DRAM bytes than all-local and ran 1.19x slower at 1.02 TB/s,
#: where Tsit5 (stage sums over six vectors) kept 1.78 TB/s and float64 layouts won.  Fitted offline over every
#: recorded group (sweeps of sessions 39 to 53, stiff runs of sessions 29 to 49): exponents 0.25 to 0.5 with
#: parallelism 0.75 to 1.5 keep all-local there and change no other pick.  Not in the search: there it moved RK4 to an
#: untimed layout (``loop.state`` shared) that ran 2.2x slower (session 50's fit 316, session 51).
GUARD_PARALLELISM = 1.0
GUARD_ELEM_EXPONENT = 0.375

#: The compiler loop's other last check (issue #14): a shared plan that runs fewer warps an SM than all-local must
#: cut the local bytes its accesses move a step (:func:`measured_access_bytes`) by at least this share, or all-local
#: is kept.  The model's traffic bound sees device memory busy from four warps an SM on, so a layout that gives up
#: warps for a small cut rates faster and is not: RK4 on 256 states float32 at block 64 (an H100, session 53) with
#: the parameters, proposed state and observables shared (6 warps an SM against 16) cut them by 10 % and ran 1.25x
#: slower than all-local.  Of the 238 recorded shared layouts (sweeps of sessions 39 to 53, stiff runs of sessions
#: 29 to 49) that ran fewer warps than their all-local, the 109 that cut those bytes by less than 15 % (99 against
#: an all-local without local memory) all ran slower; the 87 that ran faster all cut them by 18.9 % or more.
#: Replayed on the compiler loop's recorded picks, 10 % to 19 % keep all-local in the same four groups (that case
#: and three of session 43's) and change no other pick.
MIN_ACCESS_CUT = 0.15


def measured_access_bytes(problem, plan, figures, device=None):
    """Bytes a thread's local-memory accesses move a step (:func:`planner.traffic.local_access_bytes`) with the
    compiler's local bytes of ``figures`` (a :class:`Measured`): what they exceed the plan's memory-held local
    buffers by is spilled words.  Nsight Compute found the DRAM bytes near these, not the frame's (issue #14)."""
    device = device or problem.device
    local = _local_of(plan)
    spilled = _spilled_of(problem, local, figures.local_bytes)
    return local_access_bytes(problem, local, spilled, device, family_of(problem))


def access_cut(problem, plan, figures, local, local_figures, device=None):
    """The share by which ``plan``'s local access bytes a step (:func:`measured_access_bytes`) fall below those of the
    all-local plan ``local``, each with its measured figures: 1 where ``plan`` makes none, at most 0 where it makes
    more, and 0 where all-local makes none (nothing to cut)."""
    before = measured_access_bytes(problem, local, local_figures, device)
    if before <= 0:
        return 0.0
    return 1.0 - measured_access_bytes(problem, plan, figures, device) / before


def guarded_throughput(problem, plan, figures, device=None):
    """The throughput of ``plan``'s measured ``figures`` (a :class:`Measured`) with the traffic bound's occupancy
    scaled by the loads in flight (:data:`GUARD_PARALLELISM`, :data:`GUARD_ELEM_EXPONENT`); the latency bound and
    the caches' shares as :func:`measured` has them.  0 when nothing launches."""
    device = dataclasses.replace(device or problem.device, traffic_parallelism=GUARD_PARALLELISM,
                                 traffic_access_share=0.0)
    registers = max(1, min(figures.registers, device.max_registers_per_thread))
    occ = device.occupancy(plan.block_size, registers, figures.shared_bytes_per_block)
    if occ.blocks_per_sm == 0:
        return 0.0
    local = _local_of(plan)
    spilled = _spilled_of(problem, local, figures.local_bytes)
    cost = step_cost(problem, local, spilled, device,
                     device.local_memory_factor(occ, plan.block_size, figures.local_bytes))
    access = measured_access_bytes(problem, plan, figures, device)
    scaled = dataclasses.replace(occ, occupancy=occ.occupancy * (problem.itemsize / 8) ** GUARD_ELEM_EXPONENT)
    latency, _ = _bounds(occ, cost, device, figures.local_bytes, plan.block_size, figures.shared_bytes_per_block,
                         access)
    _, traffic = _bounds(scaled, cost, device, figures.local_bytes, plan.block_size, figures.shared_bytes_per_block,
                         access)
    return 1.0 / max(latency, traffic)


def corrected(device, problem, prediction, measured_figures):
    """``device`` with its register model moved so that it reproduces the measurement.

    Registers below the limit shift the family's register base by the difference.  At the limit the
    predicted spill is made the compiler's (its local bytes less the memory-held buffers'): where it
    spilled more, the base rises; where it spilled less (it keeps fewer words live at once than the
    model's count of every declared word), the registers per word fall for this problem's precision.
    Where the model spilled and the compiler made no local bytes at all, the registers per word fall
    until the predicted live words just fit in the registers measured (at most the limit): the base,
    moved by measured less predicted registers, does not move at the limit, and the compiler loop
    would solve the same layout again.
    """
    family = prediction.family
    base = device.register_base(family)
    per_word = device.word_registers(problem.itemsize)
    in_memory = max(0.0, prediction.local_bytes - 4 * prediction.spilled_words)
    spill = max(0.0, measured_figures.local_bytes - in_memory) / 4
    bases = dict(device.register_bases)
    field = "registers_per_word_64" if problem.itemsize == 8 else "registers_per_word"
    if measured_figures.local_bytes == 0 and prediction.spilled_words > 0 and prediction.local_words > 0:
        target = min(measured_figures.registers, prediction.register_limit)
        rate = max((target - base) / prediction.local_words, 1e-3)
        while rate > 1e-3 and base + rate * prediction.local_words > target:  # rounding must not spill a word
            rate = math.nextafter(rate, 0.0)
        return dataclasses.replace(device, **{field: rate})
    if measured_figures.local_bytes > 0 and spill > prediction.spilled_words:
        target = prediction.register_limit + per_word * spill
        bases[family] = max(0, math.ceil(target - per_word * prediction.local_words))
    elif (measured_figures.local_bytes > 0 and measured_figures.registers >= prediction.register_limit
          and prediction.local_words > spill):
        rate = (prediction.register_limit - base) / (prediction.local_words - spill)
        return dataclasses.replace(device, **{field: max(rate, 1e-3)})
    else:
        bases[family] = max(0, int(base + measured_figures.registers - prediction.registers))
    return dataclasses.replace(device, register_bases=tuple(sorted(bases.items())))


#: Local bytes off by more than this share contradict a prediction (they move the L2 term and the spill cost).
LOCAL_BYTES_TOLERANCE = 0.1


def contradicts(prediction, measured_figures, tolerance=0.2):
    """Whether the compiler's figures contradict the prediction.

    Spills not predicted or the reverse, registers off by more than ``tolerance``, or local bytes off
    by more than :data:`LOCAL_BYTES_TOLERANCE` (plans recorded before predictions carried local bytes
    skip that test).
    """
    if measured_figures.local_bytes > 0 and prediction.spilled_words == 0:
        return True
    if measured_figures.local_bytes == 0 and prediction.spilled_words > 0:
        return True
    if prediction.local_bytes and measured_figures.local_bytes and abs(
            prediction.local_bytes - measured_figures.local_bytes) > LOCAL_BYTES_TOLERANCE * max(
            prediction.local_bytes, measured_figures.local_bytes):
        return True
    return abs(measured_figures.registers - prediction.registers) > tolerance * max(prediction.registers, 1)


MAX_CANDIDATES = 33  # prefixes tried; a problem with more auto buffers tries evenly spread prefix lengths


def local_candidates(problem):
    """Sets of ``auto`` buffers to keep local.

    The first k in order of accesses per element, k = 0 .. all; then, for each ``auto`` buffer that is
    held in memory when shared (``storage`` "memory" or "memory if shared": a factor), every other
    ``auto`` buffer local, so that it can go to shared memory alone, and (with several) all of them
    together.  Their accesses are loads and stores wherever they live, so shared memory serves them
    without adding a load to a register value, which no prefix of the first order reaches: such a
    buffer is the densest.
    """
    autos = sorted((b for b in problem.planned if b.location is Location.AUTO),
                   key=lambda b: (-(b.weight / b.size_elems) if b.size_elems else 0.0, b.size_elems, b.name))
    count = len(autos)
    lengths = range(count + 1) if count < MAX_CANDIDATES else sorted(
        {round(i * count / (MAX_CANDIDATES - 1)) for i in range(MAX_CANDIDATES)})
    out = [frozenset(b.name for b in autos[:k]) for k in lengths]
    every = frozenset(b.name for b in autos)
    movable = [b.name for b in autos if b.size_elems and b.in_memory(Placement.SHARED)]
    groups = [[name] for name in movable] + ([movable] if len(movable) > 1 else [])
    for group in groups:
        keep = every - set(group)
        if keep not in out:
            out.append(keep)
    return out


def keep_local(problem, names):
    """``problem`` as ``min-shared`` with the ``auto`` buffers ``names`` pinned local."""
    buffers = tuple(dataclasses.replace(b, location=Location.LOCAL) if b.name in names else b
                    for b in problem.buffers)
    return problem.replace(buffers=buffers, objective="min-shared")
