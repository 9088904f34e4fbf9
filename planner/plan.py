"""Plan: the solved, immutable, independently verified layout."""

import dataclasses
import hashlib
import json
import time
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass

from .buffers import Location, Placement, parse_enum
from .errors import ConfigurationError, PlanError
from .problem import pad_stride


@dataclass(frozen=True)
class PlannedBuffer:
    """Where one buffer lives: placement, offset (elements) in its region, or None for local."""

    name: str
    size_elems: int
    placement: Placement
    offset_elems: int
    lifetime: tuple
    view_of: str = None

    def to_json(self):
        data = {"name": self.name, "size": self.size_elems, "placement": self.placement.value,
                "offset": self.offset_elems, "lifetime": [list(iv) for iv in self.lifetime]}
        if self.view_of is not None:
            data["view_of"] = self.view_of
        return data


@dataclass(frozen=True)
class Provenance:
    """How a plan was made: planner, solver status, objective, lower bound, times, input hash.

    Times are wall-clock seconds: ``setup_seconds`` model building (CP-SAT; 0 for
    greedy and sequential), ``solve_seconds`` the search, ``verify_seconds`` the
    plan's assembly and independent check, ``total_seconds`` the whole ``solve``
    call. Plans written before these were recorded carry only ``solve_seconds``
    (then the whole call); the other three read as None.
    """

    planner: str
    status: str
    objective_value: float
    lower_bound: int
    solve_seconds: float
    input_hash: str
    setup_seconds: float = None
    verify_seconds: float = None
    total_seconds: float = None

    def to_json(self):
        return {k: v for k, v in self.__dict__.items() if v is not None or k not in TIMES}

    @property
    def seconds(self):
        """The whole call: ``total_seconds``, or ``solve_seconds`` for a plan that predates it."""
        return self.solve_seconds if self.total_seconds is None else self.total_seconds


TIMES = ("solve_seconds", "setup_seconds", "verify_seconds", "total_seconds")


@dataclass(frozen=True)
class Plan:
    """Per-buffer placements and offsets with the totals a kernel launch needs.

    ``shared_elements`` is the per-thread peak, ``shared_stride`` the padded
    per-thread stride, ``shared_bytes_per_block`` the launch's dynamic shared
    memory, ``local_elements`` the per-thread local elements (non-persistent),
    ``persistent_local_elements`` the size of the persistent-local array.
    ``cost`` (a planner.costmodel.CostRecord, or None) is what the ``auto`` objective
    predicted, and what the compiler measured where it was asked; it takes no part in
    equality or the digest.
    """

    buffers: tuple
    precision: str
    block_size: int
    shared_elements: int
    shared_stride: int
    shared_bytes_per_block: int
    local_elements: int
    persistent_local_elements: int
    provenance: Provenance
    cost: object = dataclasses.field(default=None, compare=False)

    def by_name(self):
        return {b.name: b for b in self.buffers}

    def to_json(self):
        return {"precision": self.precision, "block_size": self.block_size,
                "buffers": [b.to_json() for b in self.buffers],
                "totals": {"shared_elements": self.shared_elements, "shared_stride": self.shared_stride,
                           "shared_bytes_per_block": self.shared_bytes_per_block,
                           "local_elements": self.local_elements,
                           "persistent_local_elements": self.persistent_local_elements},
                "provenance": self.provenance.to_json(),
                **({} if self.cost is None else {"cost": self.cost.to_json()})}

    @property
    def digest(self):
        """SHA-256 of the canonical JSON without timing: kernel builders memoise on it."""
        data = self.to_json()
        data["provenance"] = {k: v for k, v in data["provenance"].items() if k not in TIMES}
        data.pop("cost", None)
        return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    @classmethod
    def from_json(cls, data):
        from .costmodel import CostRecord

        try:
            totals = data["totals"]
            prov = data["provenance"]
            buffers = tuple(PlannedBuffer(
                name=b["name"], size_elems=b["size"],
                placement=parse_enum(Placement, b["placement"], f"plan buffer {b.get('name')!r} placement"),
                offset_elems=b["offset"], lifetime=tuple(tuple(iv) for iv in b["lifetime"]),
                view_of=b.get("view_of")) for b in data["buffers"])
            plan = cls(buffers=buffers, precision=data["precision"], block_size=data["block_size"],
                       shared_elements=totals["shared_elements"], shared_stride=totals["shared_stride"],
                       shared_bytes_per_block=totals["shared_bytes_per_block"],
                       local_elements=totals["local_elements"],
                       persistent_local_elements=totals["persistent_local_elements"],
                       provenance=Provenance(**prov),
                       cost=None if data.get("cost") is None else CostRecord.from_json(data["cost"]))
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ConfigurationError(f"plan: malformed plan JSON ({type(exc).__name__}: {exc})") from None
        _check_types(plan)
        return plan

    def summary(self):
        p = self.provenance
        return (f"{p.planner} {p.status}: shared {self.shared_elements} elems/thread "
                f"(lower bound {p.lower_bound}, stride {self.shared_stride}, "
                f"{self.shared_bytes_per_block} B/block), local {self.local_elements}, "
                f"persistent local {self.persistent_local_elements}, {p.seconds:.3f} s")

    # -- verification --------------------------------------------------
    def verify(self, problem):
        """Re-check the plan against ``problem`` without trusting any solver.

        Works from the plan's own buffers and the problem's declarations only.
        Overlap is checked by a sweep over time that keeps the buffers alive at
        each point ordered by address: O(n log n) for n lifetime intervals.

        Raises
        ------
        PlanError
            With ``rule`` one of: problem-mismatch, size, pin, placement, bounds,
            no-overlap, totals, budget, view.
        """
        declared = problem.by_name()
        planned = self.by_name()
        if set(declared) != set(planned) or len(planned) != len(self.buffers):
            missing = sorted(set(declared) - set(planned))
            extra = sorted(set(planned) - set(declared))
            raise PlanError("problem-mismatch", f"buffers missing from plan {missing}, unknown {extra}")
        if (self.precision, self.block_size) != (problem.precision, problem.block_size):
            raise PlanError("problem-mismatch",
                            f"plan is for {self.precision}/block {self.block_size}, problem is "
                            f"{problem.precision}/block {problem.block_size}")
        lifetime_of = _lifetime_reader(problem)
        for name, b in declared.items():
            p = planned[name]
            if p.size_elems != b.size_elems:
                raise PlanError("size", f"{name}: plan size {p.size_elems} != declared {b.size_elems}")
            if b.is_view:
                continue
            if b.location is Location.SHARED and p.placement is not Placement.SHARED:
                raise PlanError("pin", f"{name} is pinned shared but placed {p.placement.value}")
            if b.location is Location.LOCAL and p.placement is Placement.SHARED:
                raise PlanError("pin", f"{name} is pinned local but placed shared")
            if p.placement is Placement.SHARED and not problem.shareable(b):
                raise PlanError("pin", f"{name} has precision {b.precision}, cannot share {problem.precision} memory")
            want_persistent = b.persistent and p.placement is not Placement.SHARED
            if want_persistent != (p.placement is Placement.PERSISTENT_LOCAL):
                raise PlanError("placement", f"{name}: persistent={b.persistent} but placed {p.placement.value}")
            if tuple(p.lifetime) != tuple(lifetime_of(b)):
                raise PlanError("problem-mismatch", f"{name}: plan lifetime {p.lifetime} != {lifetime_of(b)}")
        self._verify_regions(problem, declared, planned)
        self._verify_views(declared, planned)

    def _verify_regions(self, problem, declared, planned):
        regions = {Placement.SHARED: self.shared_elements,
                   Placement.PERSISTENT_LOCAL: self.persistent_local_elements}
        local = 0
        shared, persistent = [], []
        for name, p in planned.items():
            if declared[name].is_view:
                continue
            if p.placement is Placement.LOCAL:
                if p.offset_elems is not None:
                    raise PlanError("bounds", f"{name} is local but has offset {p.offset_elems}")
                local += p.size_elems
                continue
            end = None if p.offset_elems is None else p.offset_elems + p.size_elems
            if end is None or p.offset_elems < 0 or end > regions[p.placement]:
                raise PlanError("bounds", f"{name} [{p.offset_elems}, {end}) outside its "
                                f"{p.placement.value} region of {regions[p.placement]} elements")
            if p.size_elems:
                (shared if p.placement is Placement.SHARED else persistent).append(p)
        _check_disjoint_in_time(shared)
        _check_disjoint(persistent)
        peak = max((p.offset_elems + p.size_elems for p in shared), default=0)
        expect = {"shared_elements": peak, "shared_stride": pad_stride(peak),
                  "shared_bytes_per_block": pad_stride(peak) * self.block_size * problem.itemsize,
                  "local_elements": local,
                  "persistent_local_elements": max((p.offset_elems + p.size_elems for p in persistent), default=0)}
        for key, value in expect.items():
            if getattr(self, key) != value:
                raise PlanError("totals", f"{key} is {getattr(self, key)}, the buffers give {value}")
        if self.shared_elements > problem.capacity_elems:
            raise PlanError("budget", f"{self.shared_elements} shared elements per thread exceed the "
                            f"capacity of {problem.capacity_elems}")

    def _verify_views(self, declared, planned):
        for name, b in declared.items():
            if not b.is_view:
                continue
            p, parent = planned[name], planned[b.view_of]
            if p.placement is not parent.placement or p.view_of != b.view_of:
                raise PlanError("view", f"{name} is placed {p.placement.value}, its parent {parent.name} "
                                f"{parent.placement.value}")
            if parent.offset_elems is None:
                ok = p.offset_elems is None
            else:
                ok = p.offset_elems == parent.offset_elems + b.view_offset_elems
            if not ok or b.view_offset_elems + b.size_elems > parent.size_elems:
                raise PlanError("view", f"{name} at offset {p.offset_elems} is not inside {parent.name} "
                                f"at offset {b.view_offset_elems}")


def _lifetime_reader(problem):
    """``problem.lifetime_of`` with the timeline's end computed once, not once per persistent buffer."""
    horizon = []

    def lifetime_of(buffer):
        if not buffer.persistent:
            return buffer.lifetime
        if not horizon:
            horizon.append(problem.horizon)
        return ((0, horizon[0]),)
    return lifetime_of


def _overlap(a, b):
    return PlanError("no-overlap", f"{a.name} [{a.offset_elems}, {a.offset_elems + a.size_elems}) "
                     f"and {b.name} [{b.offset_elems}, {b.offset_elems + b.size_elems}) "
                     "overlap in address while both alive")


def _check_disjoint(group):
    """PlanError unless the address ranges of ``group`` (sizes > 0) are pairwise disjoint."""
    widest = None
    for p in sorted(group, key=lambda p: (p.offset_elems, p.size_elems, p.name)):
        if widest is not None and p.offset_elems < widest.offset_elems + widest.size_elems:
            raise _overlap(widest, p)
        if widest is None or p.offset_elems + p.size_elems > widest.offset_elems + widest.size_elems:
            widest = p


def _check_disjoint_in_time(group):
    """PlanError unless no two of ``group`` (sizes > 0) overlap in address at a program point both are alive.

    A sweep over the interval ends in time order (ends before starts at one
    point: lifetimes are half-open). The buffers alive are kept disjoint and
    ordered by offset, so a newcomer need only be checked against its
    neighbours below and above in address.
    """
    events = []
    for k, p in enumerate(group):
        for lo, hi in p.lifetime:
            events.append((lo, 1, k))
            events.append((hi, 0, k))
    events.sort()
    alive = _AddressOrder()
    for _, starts, k in events:
        p = group[k]
        if not starts:
            alive.remove(p.offset_elems)
            continue
        below, above = alive.neighbours(p.offset_elems)
        if below is not None and group[below].offset_elems + group[below].size_elems > p.offset_elems:
            raise _overlap(group[below], p)
        if above is not None and group[above].offset_elems < p.offset_elems + p.size_elems:
            raise _overlap(p, group[above])
        alive.add(p.offset_elems, k)


class _AddressOrder:
    """Distinct offsets in ascending order with a value each: blocks of at most 2 * BLOCK sorted lists.

    Add, remove and the neighbour query cost O(log n) comparisons plus a move
    of at most 2 * BLOCK pointers (and n / BLOCK on a split or an emptied block).
    """

    BLOCK = 512

    def __init__(self):
        self.blocks, self.firsts, self.value = [], [], {}

    def _block(self, key):
        return max(bisect_right(self.firsts, key) - 1, 0)

    def add(self, key, value):
        self.value[key] = value
        if not self.blocks:
            self.blocks.append([key])
            self.firsts.append(key)
            return
        b = self._block(key)
        block = self.blocks[b]
        insort(block, key)
        self.firsts[b] = block[0]
        if len(block) > 2 * self.BLOCK:
            self.blocks[b:b + 1] = [block[:self.BLOCK], block[self.BLOCK:]]
            self.firsts[b:b + 1] = [block[0], block[self.BLOCK]]

    def remove(self, key):
        del self.value[key]
        b = self._block(key)
        block = self.blocks[b]
        del block[bisect_left(block, key)]
        if block:
            self.firsts[b] = block[0]
        else:
            del self.blocks[b], self.firsts[b]

    def neighbours(self, key):
        """Values of the largest offset below ``key`` and the smallest at or above it (None if none)."""
        if not self.blocks:
            return None, None
        b = self._block(key)
        block = self.blocks[b]
        i = bisect_left(block, key)
        below = block[i - 1] if i else (self.blocks[b - 1][-1] if b else None)
        above = block[i] if i < len(block) else (self.blocks[b + 1][0] if b + 1 < len(self.blocks) else None)
        return (None if below is None else self.value[below]), (None if above is None else self.value[above])


def _check_types(plan):
    """ConfigurationError unless every count in a plan read from JSON is an integer (offsets may be null)."""
    def count(value, what, none_ok=False, minimum=0):
        if value is None and none_ok:
            return
        if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
            bound = "" if minimum is None else f" >= {minimum}"
            raise ConfigurationError(f"plan: {what}: expected an integer{bound}, got {value!r}")

    count(plan.block_size, "block_size")
    for key in ("shared_elements", "shared_stride", "shared_bytes_per_block", "local_elements",
                "persistent_local_elements"):
        count(getattr(plan, key), f"totals {key}")
    for b in plan.buffers:
        if not isinstance(b.name, str) or not (b.view_of is None or isinstance(b.view_of, str)):
            raise ConfigurationError(f"plan: buffer name {b.name!r} / view_of {b.view_of!r}: expected strings")
        count(b.size_elems, f"buffer {b.name!r} size")
        count(b.offset_elems, f"buffer {b.name!r} offset", none_ok=True, minimum=None)  # < 0: verify's "bounds"
        for iv in b.lifetime:
            if len(iv) != 2:
                raise ConfigurationError(f"plan: buffer {b.name!r} lifetime: expected [start, end) pairs, got {iv!r}")
            for x in iv:
                count(x, f"buffer {b.name!r} lifetime")


def build_plan(problem, shared_offsets, provenance_fields, start=None):
    """Assemble and verify a Plan from the shared offsets a planner chose.

    ``shared_offsets`` maps the names of buffers placed in shared memory to
    their offsets; every other planned buffer goes local or, when persistent,
    to the persistent-local array (packed in declaration order). ``start``
    (a ``time.perf_counter()`` reading at the start of the planner's call)
    fills ``total_seconds``; ``verify_seconds`` is the time taken here.
    """
    from .interference import live_peak

    begin = time.perf_counter()
    lifetime_of = _lifetime_reader(problem)
    entries, persistent_end, local, peak = {}, 0, 0, 0
    for b in problem.planned:
        lifetime = lifetime_of(b)
        if b.name in shared_offsets:
            offset = shared_offsets[b.name]
            entries[b.name] = PlannedBuffer(b.name, b.size_elems, Placement.SHARED, offset, lifetime)
            peak = max(peak, offset + b.size_elems)
        elif b.persistent:
            entries[b.name] = PlannedBuffer(b.name, b.size_elems, Placement.PERSISTENT_LOCAL, persistent_end, lifetime)
            persistent_end += b.size_elems
        else:
            entries[b.name] = PlannedBuffer(b.name, b.size_elems, Placement.LOCAL, None, lifetime)
            local += b.size_elems
    buffers = []
    for b in problem.buffers:
        if b.is_view:
            parent = entries[b.view_of]
            offset = None if parent.offset_elems is None else parent.offset_elems + b.view_offset_elems
            buffers.append(PlannedBuffer(b.name, b.size_elems, parent.placement, offset, parent.lifetime, b.view_of))
        else:
            buffers.append(entries[b.name])
    stride = pad_stride(peak)
    fields = dict(provenance_fields)
    if "lower_bound" not in fields:
        fields["lower_bound"] = live_peak(problem, shared_offsets)
    fields.setdefault("objective_value", float(peak))
    fields["input_hash"] = problem.digest
    plan = Plan(buffers=tuple(buffers), precision=problem.precision, block_size=problem.block_size,
                shared_elements=peak, shared_stride=stride,
                shared_bytes_per_block=stride * problem.block_size * problem.itemsize,
                local_elements=local, persistent_local_elements=persistent_end,
                provenance=Provenance(**fields))
    plan.verify(problem)
    end = time.perf_counter()
    times = {"verify_seconds": end - begin}
    if start is not None:
        times["total_seconds"] = end - start
    return dataclasses.replace(plan, provenance=dataclasses.replace(plan.provenance, **times))
