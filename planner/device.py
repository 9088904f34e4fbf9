"""Device models: the per-SM limits that decide occupancy and the shared budget.

Preset values come from NVIDIA's CUDA C++ Programming Guide, "Technical
Specifications per Compute Capability" (threads, blocks, registers and shared
memory per SM and per block, the 1 KB the runtime reserves per block from
compute capability 8.0 on), and from the CUDA Occupancy Calculator's
allocation granularities (registers in units of 256 per warp, warps in groups
of 4, shared memory in units of 128 bytes from 8.0 on and 256 bytes on 7.x).
SM counts are the product datasheets' (H100 SXM5 and H200 SXM: 132). The live GPU is
modelled by ``kernels.device.live_device`` (the planner never imports Numba).
"""

import math
from dataclasses import asdict, dataclass, fields, replace

from .errors import ConfigurationError
from .ints import is_int
from .wording import unknown_keys

#: CUDA's limit on local memory per thread (every compute capability so far): 512 KiB.
LOCAL_BYTES_PER_THREAD_LIMIT = 512 * 1024

# Cost-model constants (planner.costmodel), each with a default so that device files written before
# them still load. Registers = base + per word * live local 32-bit words, fitted by hand on ptxas's
# counts of all-local rk4 and tsit5 kernels at 3 to 16 states for sm_90 (float32: 40 to 148 registers
# for 24 to 162 words; float64 kernels need fewer registers per word: 53 to 236 for 48 to 324).
# Access costs are relative to one register access with its arithmetic: first guesses, read off the
# H100 sweep's ratios (RK4 at n = 3: all-shared 9x slower than registers), not yet fitted per card.
# ``shared_access_cost`` is for a buffer the code holds in registers when local (each access in shared
# memory becomes a load or store); ``shared_memory_access_cost`` for one it accesses in memory wherever
# it is (a factor in "memory" storage), whose loads only get cheaper in shared memory.
# ``l2_access_factor`` scales the local-memory access cost while the resident threads' local bytes (all
# SMs) stay within what the L2 cache holds of them (``l2_bytes``, fitted; 0: no such term): their spills
# and in-memory buffers then stay on chip (DeviceModel.local_memory_factor).
# ``local_byte_cost`` prices each byte of a thread's local memory (spilled words, memory-held buffers) that
# the L2 does not hold, once a step: a kernel whose local working set streams through device memory is bound
# by that traffic, whatever its occupancy (planner.costmodel.throughput takes the larger of the two bounds;
# 0: no such bound).  Below ``traffic_occupancy`` too few warps are resident to keep device memory busy
# (Little's law: bytes in flight over latency), and the traffic bound grows as occupancy falls under it.
# ``l1_bytes`` (the data sheet's unified L1/shared array per SM; 0: no L1 term) and ``l1_factor`` (fitted; 0: no
# L1 term) take from that traffic the share of the resident local bytes the L1 holds (DeviceModel.l1_held): the
# shared carve-out comes out of the same array, so resident blocks with a large shared footprint leave the
# spills that remain less L1.  ``traffic_access_share`` (0: off) prices, in that share, the bytes the local accesses
# move a step instead of the frame once (planner.traffic.local_access_bytes); ``traffic_parallelism`` (0: off) scales
# the occupancy the traffic bound sees by the accesses a step per local byte (over 4), to that power: a proxy of the
# loads a thread keeps in flight.  Both were fitted offline on 2026-12-06 (137 configurations) and left off: access
# bytes alone rate 123 within 5 % (129 now), parallelism 2 rates 130 at one grid point only (neighbours 128, 129).
COST_DEFAULTS = {"register_bases": (("default", 20),), "registers_per_word": 0.8,
                 "registers_per_word_64": 0.65, "shared_access_cost": 6.0, "shared_memory_access_cost": 2.0,
                 "spill_access_cost": 30.0, "saturation_occupancy": 0.25, "l2_access_factor": 1.0,
                 "local_byte_cost": 0.0, "traffic_occupancy": 0.0625, "l1_factor": 0.0,
                 "traffic_access_share": 0.0, "traffic_parallelism": 0.0}
_COST_FLOATS = ("registers_per_word", "registers_per_word_64", "shared_access_cost", "shared_memory_access_cost",
                "spill_access_cost", "saturation_occupancy", "l2_access_factor", "traffic_occupancy")


@dataclass(frozen=True)
class DeviceModel:
    """Limits of one GPU model that occupancy and the shared budget need.

    All memory sizes are bytes.
    """

    name: str
    compute_capability: tuple
    multiprocessors: int
    max_threads_per_sm: int
    max_blocks_per_sm: int
    max_threads_per_block: int
    registers_per_sm: int
    max_registers_per_thread: int
    register_alloc_unit: int
    warp_alloc_granularity: int
    shared_bytes_per_sm: int
    max_shared_bytes_per_block: int
    reserved_shared_bytes_per_block: int
    shared_alloc_unit_bytes: int
    warp_size: int = 32
    register_bases: tuple = COST_DEFAULTS["register_bases"]
    registers_per_word: float = COST_DEFAULTS["registers_per_word"]
    registers_per_word_64: float = COST_DEFAULTS["registers_per_word_64"]
    shared_access_cost: float = COST_DEFAULTS["shared_access_cost"]
    shared_memory_access_cost: float = COST_DEFAULTS["shared_memory_access_cost"]
    spill_access_cost: float = COST_DEFAULTS["spill_access_cost"]
    saturation_occupancy: float = COST_DEFAULTS["saturation_occupancy"]
    l2_access_factor: float = COST_DEFAULTS["l2_access_factor"]
    l2_bytes: int = 0
    local_byte_cost: float = COST_DEFAULTS["local_byte_cost"]
    traffic_occupancy: float = COST_DEFAULTS["traffic_occupancy"]
    l1_bytes: int = 0
    l1_factor: float = COST_DEFAULTS["l1_factor"]
    traffic_access_share: float = COST_DEFAULTS["traffic_access_share"]
    traffic_parallelism: float = COST_DEFAULTS["traffic_parallelism"]

    def __post_init__(self):
        cc = self.compute_capability
        if isinstance(cc, list):
            cc = tuple(cc)
            object.__setattr__(self, "compute_capability", cc)
        if not (isinstance(cc, tuple) and len(cc) == 2 and all(is_int(v) for v in cc)):
            raise ConfigurationError(f"device compute_capability: expected [major, minor], got {cc!r}")
        object.__setattr__(self, "compute_capability", tuple(int(v) for v in cc))
        self._check_cost()
        for f in fields(self):
            if f.name in ("name", "compute_capability", "register_bases", "local_byte_cost", "l1_factor",
                          "traffic_access_share", "traffic_parallelism") or (
                    f.name in _COST_FLOATS):
                continue
            value = getattr(self, f.name)
            minimum = 0 if f.name in ("reserved_shared_bytes_per_block", "l2_bytes", "l1_bytes") else 1
            if not is_int(value) or value < minimum:
                raise ConfigurationError(
                    f"device {f.name}: expected an integer >= {minimum}, got {value!r}")
            object.__setattr__(self, f.name, int(value))

    def _check_cost(self):
        bases = self.register_bases
        if isinstance(bases, dict):
            bases = tuple(sorted(bases.items()))
        try:
            bases = tuple((str(k), v) for k, v in bases)
        except (TypeError, ValueError):
            bases = None
        if not bases or any(not is_int(v) or v < 0 for _, v in bases):
            raise ConfigurationError(f"device register_bases: expected an object of method family -> registers "
                                     f"(integers >= 0), got {self.register_bases!r}")
        object.__setattr__(self, "register_bases", tuple((k, int(v)) for k, v in bases))
        for name in _COST_FLOATS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ConfigurationError(f"device {name}: expected a finite number > 0, got {value!r}")
            object.__setattr__(self, name, float(value))
        for name, what in (("local_byte_cost", "local-traffic bound"), ("l1_factor", "L1 term"),
                           ("traffic_access_share", "frame bytes alone"),
                           ("traffic_parallelism", "loads in flight term")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigurationError(f"device {name}: expected a finite number >= 0 (0: no {what}), got {value!r}")
            object.__setattr__(self, name, float(value) + 0.0)  # -0.0 is 0
        if self.traffic_access_share > 1:
            raise ConfigurationError(f"device traffic_access_share: expected a share in [0, 1] (of the traffic bound's "
                                     "bytes that are local accesses, not frame bytes), got "
                                     f"{self.traffic_access_share!r}")
        if self.l2_access_factor > 1:
            raise ConfigurationError(f"device l2_access_factor: expected a number in (0, 1] (the share of a miss's "
                                     f"cost an access the L2 serves takes), got {self.l2_access_factor!r}")
        for name in ("saturation_occupancy", "traffic_occupancy"):
            if getattr(self, name) > 1:
                raise ConfigurationError(f"device {name}: expected an occupancy in (0, 1] (a share of the SM's "
                                         f"threads), got {getattr(self, name)!r}")

    def l2_held(self, occupancy, block_size, local_bytes_per_thread):
        """The share of the resident threads' local bytes the L2 cache holds (0 without ``l2_bytes``).

        The local bytes of every resident thread (``occupancy``'s blocks on every SM) are the working set the
        L2 cache serves.  Up to 0.75 ``l2_bytes`` it holds them all, beyond 1.25 ``l2_bytes`` none, linear
        between, so that a local-byte count a little off moves the costs a little.  ``l2_bytes`` is fitted,
        not the data sheet's L2 size (the H200's 50 MB, two partitions); 0 turns the term off."""
        if not self.l2_bytes:
            return 0.0
        resident = self.multiprocessors * occupancy.blocks_per_sm * block_size * local_bytes_per_thread
        return min(1.0, max(0.0, (1.25 * self.l2_bytes - resident) / (0.5 * self.l2_bytes)))

    def l1_held(self, occupancy, block_size, local_bytes_per_thread, shared_bytes_per_block=0):
        """The share of the resident threads' local bytes the L1 cache holds (0 without ``l1_bytes`` or ``l1_factor``).

        On Hopper (as from Volta on) L1 and shared memory are one array per SM (``l1_bytes``, 256 KB): the shared
        carve-out of the resident blocks (their footprint, reserve included) comes out of it, and what is left
        holds ``l1_factor`` times its size's share of the local bytes of the SM's resident threads (at most all).
        So a layout with a large shared footprint leaves its remaining spills less L1: rodas4 at 128 states
        float32 with 67 KB a block shared (three blocks an SM, 28 KB of L1 left) ran 17 % slower than all-local
        (four blocks, the whole array L1) for 5 % fewer local bytes.  ``l1_factor`` is fitted (2 on Hopper), not a
        data-sheet figure: read it as the share of a thread's local bytes that are re-read while the L1 still
        holds them being about one half."""
        if not (self.l1_bytes and self.l1_factor and occupancy.blocks_per_sm and local_bytes_per_thread):
            return 0.0
        free = self.l1_bytes - occupancy.blocks_per_sm * self.block_shared_footprint(shared_bytes_per_block)
        resident = occupancy.blocks_per_sm * block_size * local_bytes_per_thread
        return min(1.0, max(0.0, self.l1_factor * free / resident))

    def local_memory_factor(self, occupancy, block_size, local_bytes_per_thread):
        """The factor on local-memory access costs: ``l2_access_factor`` while the L2 holds the resident local
        bytes (:meth:`l2_held`), 1 when it holds none of them."""
        held = self.l2_held(occupancy, block_size, local_bytes_per_thread)
        return 1.0 - (1.0 - self.l2_access_factor) * held

    def register_base(self, family):
        """Registers a kernel of method ``family`` takes besides its local working set."""
        bases = dict(self.register_bases)
        return bases.get(family, bases.get("default", 20))

    def word_registers(self, itemsize):
        """Registers per 32-bit word of local working set for elements of ``itemsize`` bytes."""
        return self.registers_per_word_64 if itemsize == 8 else self.registers_per_word

    def to_json(self):
        data = asdict(self)
        data["compute_capability"] = list(self.compute_capability)
        data["register_bases"] = dict(self.register_bases)
        return data

    @classmethod
    def from_json(cls, data):
        """Build a model from a preset name or a dict of limits."""
        if isinstance(data, str):
            return get_device(data)
        if not isinstance(data, dict):
            raise ConfigurationError(f"device: expected a preset name or an object of limits, got {data!r}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        optional = {"warp_size", "register_bases", "l2_bytes", "local_byte_cost", "l1_bytes", "l1_factor",
                    "traffic_access_share", "traffic_parallelism",
                    *_COST_FLOATS}
        missing = sorted(f.name for f in fields(cls) if f.name not in data and f.name not in optional)
        if unknown:
            raise ConfigurationError(unknown_keys("device", unknown, names))
        if missing:
            raise ConfigurationError(f"device: missing key(s) {missing}")
        return cls(**data)

    def occupancy(self, block_size, registers_per_thread=32, shared_bytes_per_block=0):
        """Resident blocks per SM and the fraction of the SM's threads they keep busy.

        Returns
        -------
        Occupancy
            ``blocks_per_sm``, ``occupancy`` (0..1) and the limiting resource.
        """
        check_block_size(block_size, self)
        if registers_per_thread > self.max_registers_per_thread or registers_per_thread < 1:
            raise ConfigurationError(
                f"registers_per_thread: expected 1..{self.max_registers_per_thread}, got {registers_per_thread}")
        warps = -(-block_size // self.warp_size)
        limits = {
            "blocks": self.max_blocks_per_sm,
            "threads": self.max_threads_per_sm // (warps * self.warp_size),
        }
        regs_per_warp = _round_up(registers_per_thread * self.warp_size, self.register_alloc_unit)
        warps_by_regs = self.registers_per_sm // regs_per_warp
        warps_by_regs -= warps_by_regs % self.warp_alloc_granularity
        limits["registers"] = warps_by_regs // warps
        smem = self.block_shared_footprint(shared_bytes_per_block)
        if shared_bytes_per_block > self.max_shared_bytes_per_block:
            limits["shared"] = 0
        elif smem > 0:  # a block without shared memory (and no reserve, as on a V100) is never limited by it
            limits["shared"] = self.shared_bytes_per_sm // smem
        limiter = min(limits, key=lambda k: (limits[k], k))
        blocks = limits[limiter]
        fraction = blocks * warps * self.warp_size / self.max_threads_per_sm
        return Occupancy(blocks_per_sm=blocks, occupancy=fraction, limited_by=limiter)

    def block_shared_footprint(self, shared_bytes_per_block):
        """Bytes of the SM's shared memory one block takes, reserve and rounding included."""
        return _round_up(shared_bytes_per_block + self.reserved_shared_bytes_per_block,
                         self.shared_alloc_unit_bytes)

    def shared_budget_bytes(self, min_blocks_per_sm=1):
        """Largest dynamic shared memory per block that keeps ``min_blocks_per_sm`` resident."""
        if not is_int(min_blocks_per_sm) or min_blocks_per_sm < 1:
            raise ConfigurationError(f"min_blocks_per_sm: expected an integer >= 1, got {min_blocks_per_sm!r}")
        if min_blocks_per_sm > self.max_blocks_per_sm:
            raise ConfigurationError(
                f"min_blocks_per_sm: {min_blocks_per_sm} blocks cannot be resident on one SM of {self.name}, "
                f"which holds at most {self.max_blocks_per_sm} blocks per SM; give 1..{self.max_blocks_per_sm}")
        per_block = self.shared_bytes_per_sm // min_blocks_per_sm
        per_block -= per_block % self.shared_alloc_unit_bytes
        per_block -= self.reserved_shared_bytes_per_block
        return max(0, min(per_block, self.max_shared_bytes_per_block))


@dataclass(frozen=True)
class Occupancy:
    blocks_per_sm: int
    occupancy: float
    limited_by: str


def _round_up(value, unit):
    return -(-value // unit) * unit


def check_block_size(block_size, device):
    if not is_int(block_size) or not (1 <= block_size <= device.max_threads_per_block):
        raise ConfigurationError(
            f"block_size: expected an integer in 1..{device.max_threads_per_block}, got {block_size!r}")


_KB = 1024
# Hopper's explicit-method register base, fitted to ptxas's counts (sm_90, the same offline as on the GPU)
# of 42 all-local erk kernels, fixed and adaptive, 3 to 8 states, both precisions, at the default rates
# (benchmarks/register_bases.py -> register_bases_erk_h200.json): 20 -> 18 once the fixed-step loop
# stopped holding its interval's times and index across the steps (kernels.rematerialize).
_HOPPER_BASES = (("default", 20), ("erk", 18))
# Hopper's access costs, fitted (benchmarks/access_costs.py) to three runs of the 24 stiff Brusselator
# configurations timed interleaved on the H200 (results/placement_interleaved_2026-12-01/: all-local
# twice, e59f773's auto, the factor alone in shared memory, a storage-aware auto that moved vectors
# to shared memory, and the next one): with each buffer's storage in the model, shared 40 for a register-held
# buffer, 1 for a memory-held one and spill 10 rate the fastest placement (within 5 %) in 69 of 72
# (with the acceptance run of the first storage-aware auto).  Refitted on 2026-12-02 with the L2 term
# (local_memory_factor: local accesses at 0.7 of a miss while the resident threads' local bytes are under
# 30 MB, ramping to 1 at 50 MB; l2_bytes 40 MB, fitted: 44 fails, 30 to 40 work), over those runs,
# session15_cubie_2026-12-02 and the radau probes of factor_reuse_2026-12-02/probe: shared 30, 1 and spill
# 10 rate 100 of 100 configurations within 5 %; without the term at best 99, radau's 2x complex-factor
# placement at 32 states missed (27 MB resident against rodas4's slower factor-shared plans at 50 MB).
# local_byte_cost 150 (2026-12-05): with it those constants rate 80 of 85 configurations within 5 % (the
# stiff runs of sessions 29 and 36 and the explicit chains of session 39's H100 placement sweep; 76 without
# it): where all-local Tsit5 and RK4 at 128 to 256 states spill 3.5 to 26 KB a thread, the greedy plan's
# loop and stage state in shared memory (1 block an SM) cut those bytes and ran 1.06 to 1.73x faster; 100
# to 200 rate the same (``traffic_occupancy`` keeps its default, 1/16: those wins ran at four warps an SM, and
# nothing was timed below).  The H100 (same SM, slower memory) shares them: that sweep was timed on one.
# Refitted on 2026-12-06 over 111 configurations (those 85 rated apart per run, session 42's re-solved stiff
# plans on the H200, session 43's rodas4 at 64 states and quick placement sweep on an H100; the command is in
# results/session43_2026-12-06/README.md): shared 15, shared-memory 4 and spill 30 rate 104 within 5 %, today's
# 101.  The three they gain: rodas4 at 64 states float64, whose `auto` plan (its stage increments shared, one
# block an SM) ran 41 % (H200) and 30 % (H100) slower than all-local at two, and Tsit5 on a chain of 128 float32,
# whose `auto` shared the proposed state where greedy's stage state ran 2.6x faster.  ``traffic_occupancy``
# keeps 1/16: any higher value rated the explicit greedy wins at one block an SM as losses (81 to 83 of 111).
# Timed with plans re-solved under them (133 configurations with those runs) they stay the grid's best, 124
# within 5 %; rodas4 at 128 states float32 became a miss (parameters and jac_product shared: 18 % slower).
# The L1 term (l1_bytes 256 KB, the unified L1/shared array; l1_factor 2, fitted 2026-12-06 over 137 configurations:
# those runs, session 43's refit runs and sweeps and session 44's rodas4 128 float32 on an H100): 129 within 5 %
# against 127 without it, every factor from 1.75 to 2.5 the same (1 to 1.5: 127, 3: 127), the access costs the
# grid's best still.  It gains rodas4 128 float32 twice (its auto plan's three blocks of 67 KB shared leave 28 KB
# of L1) and loses none; RK4 on 256 states float32 stays a miss (greedy's one block an SM keeps more L1 a thread
# than all-local: no L1 term rates it slower).
_HOPPER_COSTS = dict(register_bases=_HOPPER_BASES, shared_access_cost=15.0, shared_memory_access_cost=4.0,
                     spill_access_cost=30.0, l2_access_factor=0.7, l2_bytes=40 * _KB * _KB, local_byte_cost=150.0,
                     l1_bytes=256 * _KB, l1_factor=2.0)
PRESETS = {
    "h100": DeviceModel("h100", (9, 0), 132, 2048, 32, 1024, 65536, 255, 256, 4,
                        228 * _KB, 227 * _KB, 1 * _KB, 128, **_HOPPER_COSTS),
    # The H200 (SXM) is the H100's Hopper chip with more, faster memory: the same per-SM limits.
    "h200": DeviceModel("h200", (9, 0), 132, 2048, 32, 1024, 65536, 255, 256, 4,
                        228 * _KB, 227 * _KB, 1 * _KB, 128, **_HOPPER_COSTS),
    "a100": DeviceModel("a100", (8, 0), 108, 2048, 32, 1024, 65536, 255, 256, 4,
                        164 * _KB, 163 * _KB, 1 * _KB, 128),
    "rtx4090": DeviceModel("rtx4090", (8, 9), 128, 1536, 24, 1024, 65536, 255, 256, 4,
                           100 * _KB, 99 * _KB, 1 * _KB, 128),
    "v100": DeviceModel("v100", (7, 0), 80, 2048, 32, 1024, 65536, 255, 256, 4,
                        96 * _KB, 96 * _KB, 0, 256),
}


def without_shared_limit(device, name=None):
    """``device`` with unbounded shared memory (below CP-SAT's 64-bit range) per SM and per block.

    For problems whose ``shared_capacity`` is an abstract memory's, not a GPU block's (benchmarks of the
    planners, MiniMalloc instances): a problem on a real device refuses a capacity it cannot launch.
    """
    device = get_device(device)
    return replace(device, name=name or f"{device.name}-unlimited", shared_bytes_per_sm=2 ** 62,
                   max_shared_bytes_per_block=2 ** 62, reserved_shared_bytes_per_block=0, shared_alloc_unit_bytes=1)


def get_device(name):
    """Return the preset DeviceModel called ``name`` (case-insensitive)."""
    if isinstance(name, DeviceModel):
        return name
    key = name.lower() if isinstance(name, str) else name
    if key not in PRESETS:
        hint = (" (a device model of your own is an object of limits: give it as the problem JSON's \"device\" "
                "or DeviceModel.from_json, not as a preset name)" if isinstance(name, str)
                and (name.lower().endswith(".json") or "/" in name) else "")
        raise ConfigurationError(f"device: unknown preset {name!r}; expected one of {sorted(PRESETS)}{hint}")
    return PRESETS[key]
