"""PlanningProblem: the flat set of buffers the planners place, with its JSON form."""

import hashlib
import json
from dataclasses import dataclass

from .buffers import JSON_KEYS, Buffer, Location, check_json_keys, itemsize, precision_name
from .device import DeviceModel, check_block_size, get_device
from .errors import ConfigurationError
from .ints import as_int, is_int
from .lifetimes import span
from .views import check_parent, check_view, fold_view_weights
from .wording import unknown_keys

OBJECTIVES = ("min-shared", "auto")
NO_BUFFERS = "problem: the problem has no buffers; there is nothing to plan (give at least one buffer)"
#: A problem file's buffer keys: a Buffer's less the component's ``spans_invocations``.
PROBLEM_BUFFER_KEYS = JSON_KEYS - {"spans_invocations"}
_KEYS = {"precision", "block_size", "device", "objective", "buffers", "min_blocks_per_sm", "shared_capacity"}


def pad_stride(elems):
    """Per-thread stride for ``elems`` shared elements: odd, so a warp reading the
    same element index of consecutive threads' regions hits 32 different banks
    (gcd(stride, 32) = 1; an even stride S is gcd(S, 32)-way conflicted)."""
    return elems + 1 if elems % 2 == 0 and elems > 0 else elems


@dataclass(frozen=True)
class PlanningProblem:
    """Buffers with integer lifetimes and the limits they are planned under.

    Parameters
    ----------
    buffers : tuple of Buffer
        Qualified, unique names; integer lifetimes; views name a planned buffer.
    precision : str
        Element type of shared memory ("float32", "float64", "float16").
    block_size : int
        Threads per block; every thread gets its own shared region.
    device : DeviceModel or str
        Device preset name or model, for the shared budget and occupancy.
    objective : str
        "min-shared" (default: the most access-weighted ``auto`` elements in shared memory the
        budget admits, then the smallest peak) or "auto" (the cost model chooses which ``auto``
        buffers stay local for the highest predicted throughput, then the rest is planned as
        "min-shared"; ``solve`` records the prediction in the plan's ``cost``).
    min_blocks_per_sm : int
        Resident blocks per SM the shared budget must keep possible.
    shared_capacity : int or None
        Per-thread shared elements allowed; None derives it from the device. One whose stride passes
        the device's shared memory per block at this block size and precision is refused
        (:meth:`check_launchable`).
    """

    buffers: tuple
    precision: str = "float32"
    block_size: int = 128
    device: DeviceModel = "h100"
    objective: str = "min-shared"
    min_blocks_per_sm: int = 1
    shared_capacity: int = None

    def __post_init__(self):
        object.__setattr__(self, "device", DeviceModel.from_json(self.device)
                           if not isinstance(self.device, DeviceModel) else self.device)
        for key in ("block_size", "min_blocks_per_sm", "shared_capacity"):
            object.__setattr__(self, key, as_int(getattr(self, key)))
        object.__setattr__(self, "precision", precision_name(self.precision))
        check_block_size(self.block_size, self.device)
        if self.objective not in OBJECTIVES:
            raise ConfigurationError(f"objective: unknown value {self.objective!r}; expected one of {OBJECTIVES}")
        self.device.shared_budget_bytes(self.min_blocks_per_sm)
        self._check_residency()
        cap = self.shared_capacity
        if cap is not None and (not is_int(cap) or cap < 0):
            raise ConfigurationError(f"shared_capacity: expected an integer >= 0 (elements per thread), got {cap!r}")
        self.check_launchable()
        buffers = tuple(self.buffers)
        object.__setattr__(self, "buffers", buffers)
        if not buffers:
            raise ConfigurationError(NO_BUFFERS)
        seen = {}
        for b in buffers:
            if not isinstance(b, Buffer):
                raise ConfigurationError(f"buffers: expected Buffer objects, got {type(b).__name__}")
            if b.name in seen:
                raise ConfigurationError(f"buffers: duplicate name {b.name!r}; names must be unique")
            if b.has_phase_lifetime:
                raise ConfigurationError(
                    f"buffer {b.name!r}: lifetime names phases {b.lifetime!r}; a problem needs integer "
                    "program points (build problems from BufferSettings.to_problem)")
            seen[b.name] = b
        for b in buffers:
            if b.is_view:
                parent = seen.get(b.view_of)
                check_parent(b, parent, f"buffer {b.name!r}", "problem", seen)
                check_view(b, parent, f"buffer {b.name!r}", self.precision)
                if b.location is not Location.AUTO and b.location is not parent.location:
                    raise ConfigurationError(
                        f"buffer {b.name!r}: a view is placed with its parent, but it asks for location "
                        f"{b.location.value!r} and its parent {parent.name!r} for {parent.location.value!r}; "
                        "drop the view's location (or give it its parent's)")
                if b.view_offset_elems + b.size_elems > parent.size_elems:
                    raise ConfigurationError(
                        f"buffer {b.name!r}: view [{b.view_offset_elems}, {b.view_offset_elems + b.size_elems}) "
                        f"lies outside its parent {parent.name!r} of size {parent.size_elems}")
        object.__setattr__(self, "_planned", fold_view_weights(buffers))

    def _check_residency(self):
        """ConfigurationError unless ``min_blocks_per_sm`` blocks of ``block_size`` threads fit one SM's threads
        (and its shared memory their reserves)."""
        # the device's occupancy without registers or shared memory to limit it: its thread (and block) limit,
        # or the shared memory its reserve per block takes (blamed on threads until 2026-12-05: a user's trial)
        occupancy = self.device.occupancy(self.block_size, registers_per_thread=1)
        most, dev = occupancy.blocks_per_sm, self.device
        if self.min_blocks_per_sm > most and occupancy.limited_by == "shared":
            raise _reserve_error(dev, self.min_blocks_per_sm, most)
        if self.min_blocks_per_sm > most:
            raise ConfigurationError(
                f"min_blocks_per_sm: {self.min_blocks_per_sm} blocks of {self.block_size} threads cannot be "
                f"resident on one SM of {self.device.name}, which runs at most {self.device.max_threads_per_sm} "
                f"threads ({most} such blocks); lower min_blocks_per_sm or the block size")

    def check_launchable(self, what="shared_capacity"):
        """ConfigurationError unless a plan within ``shared_capacity`` fits the device's shared memory per block.

        The constructor checks it (``what`` names the argument that set the capacity): a capacity beyond
        the device gave verified plans that cannot launch. An abstract capacity (the planner benchmarks,
        MiniMalloc instances) needs a device without that limit:
        ``device=planner.device.without_shared_limit("h100")``. Returns the problem.
        """
        cap = self.shared_capacity
        if cap is None:
            return self
        per_block = pad_stride(cap) * self.block_size * self.itemsize
        limit = self.device.max_shared_bytes_per_block
        if per_block > limit:
            most = limit // (self.block_size * self.itemsize)
            most -= 1 if most % 2 == 0 and most > 0 else 0
            raise ConfigurationError(
                f"{what}: {cap} elements per thread is {per_block} B per block at block size "
                f"{self.block_size}, {self.precision} (stride padded to {pad_stride(cap)}), but "
                f"{self.device.name} allows at most {limit} B of shared memory per block; give at most "
                f"{most} elements per thread, or leave {what} out to derive it from the device")
        return self

    # -- derived facts -------------------------------------------------
    @property
    def itemsize(self):
        return itemsize(self.precision)

    @property
    def planned(self):
        """Buffers the planners place (views excluded), each with its views' weights added to its own."""
        return self._planned

    @property
    def horizon(self):
        """End of the timeline: the last program point any lifetime reaches."""
        return span([b.lifetime for b in self.planned if not b.persistent])[1]

    def lifetime_of(self, buffer):
        """Integer lifetime with persistent buffers stretched over the whole timeline."""
        return ((0, self.horizon),) if buffer.persistent else buffer.lifetime

    def shareable(self, buffer):
        """Whether a buffer may go to shared memory (its precision is the problem's)."""
        return buffer.location is not Location.LOCAL and buffer.precision in (None, self.precision)

    @property
    def shared_budget_bytes(self):
        return self.device.shared_budget_bytes(self.min_blocks_per_sm)

    @property
    def capacity_elems(self):
        """Most per-thread shared elements a plan may use, stride padding included."""
        if self.shared_capacity is not None:
            return self.shared_capacity
        per_thread = self.shared_budget_bytes // (self.block_size * self.itemsize)
        return per_thread if per_thread % 2 == 1 or per_thread == 0 else per_thread - 1

    def by_name(self):
        """Name -> Buffer in declaration order; planned ones as :attr:`planned` gives them (views' weights added)."""
        planned = {b.name: b for b in self._planned}
        return {b.name: planned.get(b.name, b) for b in self.buffers}

    # -- JSON ----------------------------------------------------------
    def to_json(self):
        data = {"precision": self.precision, "block_size": self.block_size,
                "device": self.device.name if self.device == _preset_or_none(self.device.name)
                else self.device.to_json(),
                "objective": self.objective, "min_blocks_per_sm": self.min_blocks_per_sm,
                "buffers": [b.to_json() for b in self.buffers]}
        if self.shared_capacity is not None:
            data["shared_capacity"] = self.shared_capacity
        return data

    @classmethod
    def from_json(cls, data):
        """Build from the parsed JSON form (a dict); ``planner.load_problem(path)`` reads a file."""
        if not isinstance(data, dict):
            raise ConfigurationError(f"problem: expected a JSON object (the parsed dict), got {type(data).__name__}"
                                     + (f" {data!r}; to read a file use planner.load_problem({data!r})"
                                        if isinstance(data, str) else ""))
        if {"totals", "provenance"} & set(data):
            raise ConfigurationError("problem: this is a plan (it has 'totals' and 'provenance'), not a problem; "
                                     "give the problem it was made from (PlanningProblem JSON or MiniMalloc CSV), "
                                     "or read it with Plan.from_json")
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            raise ConfigurationError(unknown_keys("problem", unknown, _KEYS))
        if "buffers" not in data or not isinstance(data["buffers"], list):
            raise ConfigurationError("problem: 'buffers' must be a list of buffer objects")
        buffers = tuple(buffer_from_json(b, i) for i, b in enumerate(data["buffers"]))
        kwargs = {k: data[k] for k in _KEYS - {"buffers"} if k in data}
        return cls(buffers=buffers, **kwargs)

    def canonical_json(self):
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))

    @property
    def digest(self):
        """SHA-256 of the canonical JSON: the input hash recorded in a Plan."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def replace(self, **changes):
        fields = dict(buffers=self.buffers, precision=self.precision, block_size=self.block_size,
                      device=self.device, objective=self.objective,
                      min_blocks_per_sm=self.min_blocks_per_sm, shared_capacity=self.shared_capacity)
        fields.update(changes)
        return PlanningProblem(**fields)


def buffer_from_json(data, index):
    """A problem file's buffer ``buffers[index]``: :meth:`Buffer.from_json`, less what only a component declares.

    A problem's lifetimes are program points, which ``BufferSettings.to_problem`` makes of a component's
    phase names and ``spans_invocations``, so a problem file refuses those; and a persistent buffer lives
    the whole kernel, so a lifetime beside ``persistent: true`` is refused as ``Buffer(...)`` refuses it
    in a component (it was planned with the lifetime silently ignored: a user's trial, 2026-12-06).
    """
    where = f"buffers[{index}]"
    if isinstance(data, dict):
        lifetime = data.get("lifetime", [])
        if isinstance(lifetime, list) and any(isinstance(x, str) for iv in lifetime if isinstance(iv, list)
                                              for x in iv):
            raise ConfigurationError(f"{where} lifetime: expected integer program points, got {lifetime!r} (phase "
                                     "names are a component's: build problems from BufferSettings.to_problem)")
        if "spans_invocations" in data:
            raise ConfigurationError(f"{where}: 'spans_invocations' is a component's key, which "
                                     "BufferSettings.to_problem turns into lifetimes; a problem takes none: drop it")
        # listed as allowed in the unknown-key message, which the line above then refused (a user's trial)
        check_json_keys(data, where, PROBLEM_BUFFER_KEYS)
        if data.get("persistent") is True and lifetime:
            raise ConfigurationError(
                f"{where} {data.get('name')!r}: persistent true with lifetime {lifetime!r}; a persistent buffer "
                "lives the whole kernel (every step), so a lifetime cannot narrow it: drop the lifetime (or give "
                "[]), or drop persistent")
    return Buffer.from_json(data, index)


def _preset_or_none(name):
    try:
        return get_device(name)
    except ConfigurationError:
        return None


def _reserve_error(device, blocks, most):
    """The ConfigurationError of a device whose shared memory per SM cannot hold ``blocks`` blocks' reserve."""
    need = blocks * device.block_shared_footprint(0)
    lower = "" if blocks == 1 else ", or lower min_blocks_per_sm"
    return ConfigurationError(
        f"min_blocks_per_sm: {blocks} block{'s' if blocks > 1 else ''} cannot be resident on one SM of "
        f"{device.name}: its shared_bytes_per_sm, {device.shared_bytes_per_sm} B, holds the "
        f"{device.reserved_shared_bytes_per_block} B the runtime reserves per block "
        f"(reserved_shared_bytes_per_block) for {most} blocks only; give the device shared_bytes_per_sm of at "
        f"least {need} B{lower}")
