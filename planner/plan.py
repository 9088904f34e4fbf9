"""Plan: the solved, immutable, independently verified layout."""

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass

from .buffers import Location, Placement, itemsize, parse_enum
from .device import LOCAL_BYTES_PER_THREAD_LIMIT
from .errors import ConfigurationError, PlanError
from .local_memory import local_memory_error, local_memory_message, local_size
from .overlap import check_disjoint, check_disjoint_in_time
from .plancheck import (check_keys, check_lifetime, check_peak_bound, check_provenance, check_types,
                        refuse_problem)
from .problem import pad_stride
from .wording import name_list


@dataclass(frozen=True)
class PlannedBuffer:
    """Where one buffer lives: placement, offset (elements) in its region, or None for local.

    ``precision`` is the buffer's element type where it differs from the plan's (None: the plan's);
    plans written before it was recorded have None throughout.
    """

    name: str
    size_elems: int
    placement: Placement
    offset_elems: int
    lifetime: tuple
    view_of: str = None
    precision: str = None

    def to_json(self):
        data = {"name": self.name, "size": self.size_elems, "placement": self.placement.value,
                "offset": self.offset_elems, "lifetime": [list(iv) for iv in self.lifetime]}
        if self.view_of is not None:
            data["view_of"] = self.view_of
        if self.precision is not None:
            data["precision"] = self.precision
        return data


@dataclass(frozen=True)
class Provenance:
    """How a plan was made: planner, solver status, objective, lower bound, times, input hash.

    Times are wall-clock seconds: ``setup_seconds`` model building (CP-SAT; 0 for
    greedy and sequential), ``solve_seconds`` the search, ``verify_seconds`` the
    plan's assembly and independent check, ``objective_seconds`` the ``auto``
    objective's search for the buffers to keep local (None for ``min-shared``),
    ``total_seconds`` the whole ``solve`` call. Plans written before these were
    recorded carry only ``solve_seconds`` (then the whole call); the others read as None.
    The times do not take part in ``==``: two solves of one problem give equal plans (a Dask
    user's check of a distributed result against one process's read False for the planner's time).
    """

    planner: str
    status: str
    objective_value: float
    lower_bound: int
    solve_seconds: float = dataclasses.field(compare=False)
    input_hash: str
    setup_seconds: float = dataclasses.field(default=None, compare=False)
    verify_seconds: float = dataclasses.field(default=None, compare=False)
    total_seconds: float = dataclasses.field(default=None, compare=False)
    objective_seconds: float = dataclasses.field(default=None, compare=False)
    goal: str = None  # cpsat's goal ("min-peak" or "fit"), recorded from 2026-12-05; None: greedy, or an older plan

    def to_json(self):
        return {k: v for k, v in self.__dict__.items() if v is not None or k not in TIMES + ("goal",)}

    @property
    def seconds(self):
        """The whole call: ``total_seconds``, or ``solve_seconds`` for a plan that predates it."""
        return self.solve_seconds if self.total_seconds is None else self.total_seconds


TIMES = ("solve_seconds", "setup_seconds", "verify_seconds", "total_seconds", "objective_seconds")
_PLAN_KEYS = {"precision", "block_size", "buffers", "totals", "provenance", "cost"}
_TOTAL_KEYS = {"shared_elements", "shared_stride", "shared_bytes_per_block", "local_elements",
               "persistent_local_elements"}
_PROVENANCE_KEYS = {f.name for f in dataclasses.fields(Provenance)}
_BUFFER_KEYS = {"name", "size", "placement", "offset", "lifetime", "view_of", "precision"}


@dataclass(frozen=True)
class Plan:
    """Per-buffer placements and offsets with the totals a kernel launch needs.

    ``shared_elements`` is the per-thread peak, ``shared_stride`` the padded
    per-thread stride, ``shared_bytes_per_block`` the launch's dynamic shared
    memory, ``local_elements`` the per-thread local elements (non-persistent),
    ``persistent_local_elements`` the size of the persistent-local array, in the plan's precision (a
    persistent buffer of another precision is not in it: it has an array of its own, at offset 0).
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
        """Build from the parsed JSON form (a dict); ``planner.load_plan(path)`` reads a file.

        Unknown keys, here as in problems, and missing ones are ConfigurationErrors naming them.
        """
        from .costmodel import CostRecord

        if not isinstance(data, dict):
            hint = (f" {data!r}; to read a file use planner.load_plan({data!r}) (or Plan.from_json(json.load(f)))"
                    if isinstance(data, (str, os.PathLike)) else "")
            raise ConfigurationError(f"plan: malformed plan JSON: Plan.from_json expects a JSON object (the parsed "
                                     f"dict), got {type(data).__name__}{hint}")
        refuse_problem(data, "plan: the object given", "planner.solve(planner.PlanningProblem.from_json(data)) (a "
                       "problem file: 'planner plan PROBLEM.json --json plan.json')")
        check_keys(data, "the plan", _PLAN_KEYS, _PLAN_KEYS - {"cost"})
        totals, prov = data["totals"], data["provenance"]
        check_keys(totals, "totals", _TOTAL_KEYS, _TOTAL_KEYS)
        check_keys(prov, "provenance", _PROVENANCE_KEYS, _PROVENANCE_KEYS - set(TIMES[1:]) - {"goal"})
        if not isinstance(data["buffers"], list):
            raise ConfigurationError(f"plan: malformed plan JSON: 'buffers' must be a list of buffer objects, "
                                     f"got {data['buffers']!r}")
        for i, b in enumerate(data["buffers"]):
            check_keys(b, f"buffers[{i}]", _BUFFER_KEYS, _BUFFER_KEYS - {"view_of", "precision"})
        cost = data.get("cost")
        if cost is not None:
            try:
                cost = CostRecord.from_json(cost)
            except (KeyError, TypeError, AttributeError, ValueError) as exc:
                which = f" (cost.predicted.{exc})" if str(exc).startswith("bound:") else ""
                raise ConfigurationError(
                    f"plan: malformed plan JSON: 'cost' must be the object a plan was saved with (predicted, "
                    f"measured, rounds, note), or null{which}; got {cost!r:.80}: drop the key (it only records the "
                    "auto objective's prediction), or save the plan again") from None
        try:
            buffers = tuple(PlannedBuffer(
                name=b["name"], size_elems=b["size"],
                placement=parse_enum(Placement, b["placement"], f"plan buffer {b.get('name')!r} placement"),
                offset_elems=b["offset"], lifetime=tuple(tuple(iv) for iv in b["lifetime"]),
                view_of=b.get("view_of"), precision=b.get("precision")) for b in data["buffers"])
            plan = cls(buffers=buffers, precision=data["precision"], block_size=data["block_size"],
                       shared_elements=totals["shared_elements"], shared_stride=totals["shared_stride"],
                       shared_bytes_per_block=totals["shared_bytes_per_block"],
                       local_elements=totals["local_elements"],
                       persistent_local_elements=totals["persistent_local_elements"],
                       provenance=Provenance(**prov),
                       cost=cost)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            if isinstance(exc, ConfigurationError):
                raise
            raise ConfigurationError(f"plan: malformed plan JSON ({type(exc).__name__}: {exc})") from None
        check_types(plan)  # a status string no planner gives is verify's rule "provenance", as docs/cli.md says
        return plan

    def summary(self):
        """One line: planner, status, the block size and precision planned for, the shared peak and its bytes a
        block, the local elements and the local bytes a thread (both local arrays, each buffer at its own precision)
        against CUDA's limit (a user asked "will a 70-state radau fit?": the bytes were in the plan's JSON only).
        The block size leads because the layout depends on it: a simulator solve plans at block size 1, and its
        summary read as the layout a GPU's 128 would get (a physicist's trial)."""
        p = self.provenance
        return (f"{p.planner} {p.status} at block size {self.block_size}, {self.precision}: "
                f"shared {self.shared_elements} elems/thread "
                f"(lower bound {p.lower_bound}, stride {self.shared_stride}, "
                f"{self.shared_bytes_per_block} B/block), local {self.local_elements}, "
                f"persistent local {self.persistent_local_elements} ({self.local_bytes()} B local a thread of "
                f"CUDA's {LOCAL_BYTES_PER_THREAD_LIMIT // 1024} KiB), {p.seconds:.3f} s")

    # -- verification --------------------------------------------------
    def verify(self, problem=None):
        """Re-check the plan against ``problem`` without trusting any solver; without one, the plan itself.

        Works from the plan's own buffers and the problem's declarations only.
        Overlap is checked by a sweep over time that keeps the buffers alive at
        each point ordered by address: O(n log n) for n lifetime intervals.
        Without ``problem`` only the rules that need nothing else are checked
        (duplicate, bounds, no-overlap, totals, view, local-memory at the plan's
        precision): what ``planner show`` and ``planner explain`` run on a plan alone.

        Raises
        ------
        ConfigurationError
            ``problem`` is neither None nor a PlanningProblem.
        PlanError
            With ``rule`` one of: duplicate, provenance, problem-mismatch, size, pin, placement, bounds,
            no-overlap, totals, budget, view, local-memory.
        """
        if problem is not None:
            from .solve import check_problem
            check_problem(problem)  # a dict or a component raised a raw AttributeError until 2026-12-05
        planned = self._unique()
        check_provenance(self)
        if problem is None:
            self._verify_regions(planned, {n: p.view_of is not None for n, p in planned.items()}, _itemsize(self))
            check_peak_bound(self)  # after the totals rule: shared_elements is then the buffers' peak
            self._verify_views_alone(planned)
            self._verify_local_bytes(self.itemsize_of)
            return
        declared = problem.by_name()
        if set(declared) != set(planned):
            missing = sorted(set(declared) - set(planned))
            extra = sorted(set(planned) - set(declared))
            parts = ([f"the problem's buffers {name_list(missing)} are missing from the plan"] if missing else []) + \
                ([f"the plan's buffers {name_list(extra)} are not in the problem"] if extra else [])
            raise PlanError("problem-mismatch", "; ".join(parts) + " (the plan was made for another problem)")
        if (self.precision, self.block_size) != (problem.precision, problem.block_size):
            raise PlanError("problem-mismatch",
                            f"plan is for {self.precision}/block {self.block_size}, problem is "
                            f"{problem.precision}/block {problem.block_size}")
        lifetime_of = _lifetime_reader(problem)
        for name, b in declared.items():
            p = planned[name]
            if p.size_elems != b.size_elems:
                raise PlanError("size", f"{name}: plan size {p.size_elems} != declared {b.size_elems}", buffer=name)
            declared_precision = b.precision or (declared[b.view_of].precision if b.is_view else None) \
                or problem.precision  # a view's None: its parent's
            if p.precision is not None and p.precision != declared_precision:
                raise PlanError("problem-mismatch", f"{name}: plan precision {p.precision} != declared "
                                f"{declared_precision} (the plan was made for another problem)", buffer=name)
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
        self._verify_regions(planned, {n: b.is_view for n, b in declared.items()}, problem.itemsize)
        check_peak_bound(self)
        if self.shared_elements > problem.capacity_elems:
            raise PlanError("budget", f"{self.shared_elements} shared elements per thread exceed the "
                            f"capacity of {problem.capacity_elems}")
        limit = problem.device.max_shared_bytes_per_block
        if self.shared_bytes_per_block > limit:
            raise PlanError("budget", f"{self.shared_bytes_per_block} B of shared memory per block exceed the "
                            f"{limit} B that {problem.device.name} allows a block: no kernel with it can launch")
        self._verify_views(declared, planned)
        self._verify_local_bytes(lambda p: itemsize(declared[p.name].precision or problem.precision))

    def _unique(self):
        """Name -> PlannedBuffer; PlanError "duplicate" when a name occurs twice."""
        planned = {}
        for p in self.buffers:
            if p.name in planned:
                raise PlanError("duplicate", f"duplicate buffer {p.name!r}: the plan lists it twice")
            planned[p.name] = p
        return planned

    def itemsize_of(self, planned):
        """Bytes an element of ``planned`` (a PlannedBuffer): its own precision's, else the plan's."""
        return itemsize(planned.precision or self.precision, f"plan buffer {planned.name!r} precision")

    def local_bytes(self, itemsize_of=None, placements=(Placement.LOCAL, Placement.PERSISTENT_LOCAL)):
        """Local bytes per thread: the buffers at ``placements`` (default local and persistent-local; views
        excluded) at ``itemsize_of(p)`` bytes an element (default: each buffer's own precision)."""
        itemsize_of = itemsize_of or self.itemsize_of
        return sum(p.size_elems * itemsize_of(p) for p in self.buffers
                   if p.view_of is None and p.placement in placements)

    def _verify_local_bytes(self, itemsize_of):
        used = self.local_bytes(itemsize_of)
        if used > LOCAL_BYTES_PER_THREAD_LIMIT:
            raise PlanError("local-memory", local_memory_message(used))

    def _verify_regions(self, planned, is_view, itemsize_bytes):
        regions = {Placement.SHARED: self.shared_elements,
                   Placement.PERSISTENT_LOCAL: self.persistent_local_elements}
        local = 0
        shared, persistent = [], []
        for name, p in planned.items():
            if is_view[name]:
                continue
            check_lifetime(p)
            if p.placement is Placement.SHARED and p.precision not in (None, self.precision):
                raise PlanError("pin", f"{name} has precision {p.precision}, cannot share {self.precision} memory",
                                buffer=name)
            if p.placement is Placement.LOCAL:
                if p.offset_elems is not None:
                    raise PlanError("bounds", f"{name} is local but has offset {p.offset_elems}")
                local += p.size_elems
                continue
            if p.offset_elems is None:
                raise PlanError("bounds", f"{name} is placed {p.placement.value} but has no offset (null); "
                                "expected an integer offset in elements inside its region")
            end = p.offset_elems + p.size_elems
            if own_array(self, p):
                _check_own_array(p)
                continue
            if p.offset_elems < 0 or end > regions[p.placement]:
                raise PlanError("bounds", f"{name} [{p.offset_elems}, {end}) outside its "
                                f"{p.placement.value} region of {regions[p.placement]} elements")
            if p.size_elems:
                (shared if p.placement is Placement.SHARED else persistent).append(p)
        check_disjoint_in_time(shared)
        check_disjoint(persistent)
        peak = max((p.offset_elems + p.size_elems for p in shared), default=0)
        expect = {"shared_elements": peak, "shared_stride": pad_stride(peak),
                  "shared_bytes_per_block": pad_stride(peak) * self.block_size * itemsize_bytes,
                  "local_elements": local,
                  "persistent_local_elements": max((p.offset_elems + p.size_elems for p in persistent), default=0)}
        for key, value in expect.items():
            if getattr(self, key) != value:
                raise PlanError("totals", f"{key} is {getattr(self, key)}, the buffers give {value}")

    def _verify_views_alone(self, planned):
        """The view rule from the plan alone: each view's parent is a planned buffer it lies inside."""
        for name, p in planned.items():
            if p.view_of is None:
                continue
            parent = planned.get(p.view_of)
            if parent is None or parent.view_of is not None:
                raise PlanError("view", f"{name} is a view of {p.view_of!r}, which is not a planned buffer of the plan")
            if p.placement is not parent.placement or tuple(p.lifetime) != tuple(parent.lifetime):
                raise PlanError("view", f"{name} is placed {p.placement.value} over {p.lifetime}, its parent "
                                f"{parent.name} {parent.placement.value} over {parent.lifetime}")
            if parent.offset_elems is None or p.offset_elems is None:
                ok = parent.offset_elems is None and p.offset_elems is None
            else:
                ok = parent.offset_elems <= p.offset_elems <= parent.offset_elems + parent.size_elems - p.size_elems
            if not ok or p.size_elems > parent.size_elems:
                raise PlanError("view", f"{name} at offset {p.offset_elems} (size {p.size_elems}) is not inside "
                                f"{parent.name} at offset {parent.offset_elems} (size {parent.size_elems})")

    def _verify_views(self, declared, planned):
        for name, b in declared.items():
            p = planned[name]
            if not b.is_view:
                # a hand-edited view_of on a buffer the problem declares whole was accepted for a local buffer
                if p.view_of is not None:
                    raise PlanError("view", f"{name} is not a view in the problem, but the plan makes it a view of "
                                    f"{p.view_of!r}; expected view_of null")
                continue
            parent = planned[b.view_of]
            if p.view_of != b.view_of:
                raise PlanError("view", f"{name} must be a view of {b.view_of!r}; the plan has view_of "
                                f"{p.view_of!r}")
            if p.placement is not parent.placement:
                raise PlanError("view", f"{name} is placed {p.placement.value}, its parent {parent.name} "
                                f"{parent.placement.value}: a view lies where its parent does")
            # a view's lifetime went unchecked against the problem until 2026-12-05 (a user's trial: widened
            # over another buffer's shared addresses, it passed verify(problem) and layout)
            if tuple(p.lifetime) != tuple(parent.lifetime):
                raise PlanError("view", f"{name} lives over {p.lifetime}, its parent {parent.name} over "
                                f"{parent.lifetime}: a view lives exactly when its parent does; expected its "
                                "parent's lifetime (the plan was edited by hand; re-plan the problem)", buffer=name)
            if parent.offset_elems is None:
                ok, want = p.offset_elems is None, "no offset (null), as its local parent"
            else:
                want = (f"offset {parent.offset_elems + b.view_offset_elems} (its parent's {parent.offset_elems} "
                        f"plus its view offset {b.view_offset_elems})")
                ok = p.offset_elems == parent.offset_elems + b.view_offset_elems
            if not ok or b.view_offset_elems + b.size_elems > parent.size_elems:
                raise PlanError("view", f"{name} at offset {p.offset_elems} is not where its view of {parent.name} "
                                f"lies: expected {want}")
        self._verify_views_alone(planned)  # so that verify(problem) refuses all that verify() does


def own_array(plan, p):
    """Whether planned buffer ``p`` of ``plan`` is persistent local in an array of its own: one of another
    precision than the plan's, which the plan-precision persistent array cannot hold."""
    return p.placement is Placement.PERSISTENT_LOCAL and p.precision not in (None, plan.precision)


def _check_own_array(p):
    """PlanError "bounds" unless a persistent-local buffer in an array of its own (:func:`own_array`) starts at 0."""
    if p.offset_elems != 0:
        raise PlanError("bounds", f"{p.name} is persistent local in {p.precision}, another precision than the plan's, "
                        f"so it has an array of its own: expected offset 0, got {p.offset_elems} (plans made before "
                        "2026-12-06 gave it a slice of the plan-precision array; re-plan the problem)", buffer=p.name)


def _itemsize(plan):
    """Bytes an element of the plan's precision; ConfigurationError for an unknown one."""
    return itemsize(plan.precision, "plan precision")


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


def build_plan(problem, shared_offsets, provenance_fields, start=None):
    """Assemble and verify a Plan from the shared offsets a planner chose.

    ``shared_offsets`` maps the names of buffers placed in shared memory to
    their offsets; every other planned buffer goes local or, when persistent,
    to the persistent-local array (packed in declaration order), one of another
    precision than the problem's to an array of its own (offset 0). ``start``
    (a ``time.perf_counter()`` reading at the start of the planner's call)
    fills ``total_seconds``; ``verify_seconds`` is the time taken here.
    """
    from .interference import live_peak

    begin = time.perf_counter()
    lifetime_of = _lifetime_reader(problem)
    entries, persistent_end, local, peak = {}, 0, 0, 0
    for b in problem.planned:
        lifetime = lifetime_of(b)
        own = b.precision if b.precision not in (None, problem.precision) else None  # recorded where it differs
        if b.name in shared_offsets:
            offset = shared_offsets[b.name]
            entries[b.name] = PlannedBuffer(b.name, b.size_elems, Placement.SHARED, offset, lifetime, precision=own)
            peak = max(peak, offset + b.size_elems)
        elif b.persistent:
            # one of another precision is its own array (offset 0): it took room in the plan-precision array
            # until 2026-12-06 (a user's trial: float16 'hist' at [0, 5) left 5 float32 elements unused)
            offset = 0 if own else persistent_end
            entries[b.name] = PlannedBuffer(b.name, b.size_elems, Placement.PERSISTENT_LOCAL, offset, lifetime,
                                            precision=own)
            persistent_end += 0 if own else b.size_elems
        else:
            entries[b.name] = PlannedBuffer(b.name, b.size_elems, Placement.LOCAL, None, lifetime, precision=own)
            local += b.size_elems
    buffers = []
    for b in problem.buffers:
        if b.is_view:
            parent = entries[b.view_of]
            offset = None if parent.offset_elems is None else parent.offset_elems + b.view_offset_elems
            buffers.append(PlannedBuffer(b.name, b.size_elems, parent.placement, offset, parent.lifetime, b.view_of,
                                         parent.precision))
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
    declared = problem.by_name()
    used = plan.local_bytes(lambda p: itemsize(declared[p.name].precision or problem.precision))
    if used > LOCAL_BYTES_PER_THREAD_LIMIT:
        sizes = [local_size(problem, declared[p.name]) for p in plan.buffers
                 if p.view_of is None and p.placement is not Placement.SHARED]
        raise local_memory_error(used, shared_bytes=problem.device.max_shared_bytes_per_block, sizes=sizes,
                                 precision=problem.precision)
    plan.verify(problem)
    end = time.perf_counter()
    times = {"verify_seconds": end - begin}
    if start is not None:
        times["total_seconds"] = end - start
    return dataclasses.replace(plan, provenance=dataclasses.replace(plan.provenance, **times))
