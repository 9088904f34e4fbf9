"""Local-memory accesses of a step: which words spill, and the bytes a thread's local accesses move.

The cost model (:mod:`planner.costmodel`) prices each spilled access and each access to a local buffer held
in memory.  This module says which accesses those are (:func:`spilled_accesses`: the words the compiler
spills first) and how many bytes they move a step (:func:`local_access_bytes`), for the traffic bound's
option of counting the bytes a step reads and writes rather than the thread's local frame once
(``DeviceModel.traffic_access_share``), and for its proxy of the loads a thread has in flight
(:func:`accesses_per_byte`, ``DeviceModel.traffic_parallelism``).

Nsight Compute on an H100 (issue #14, session 45: RK4 and Tsit5 on 256 states float32) measured the DRAM
bytes a thread moves a step near the model's local access bytes (30.4 KB against 31.8 for all-local RK4,
67.8 against 57.4 for Tsit5), not its frame bytes (8400 and 13040: a ratio of 0.64 where the times' was
0.43).
"""

from .buffers import Placement, itemsize


#: A register-held buffer's words beyond this share of the register budget spill before any other's.
CAP_SHARE = 0.5

#: Accesses a step per local byte at which ``DeviceModel.traffic_parallelism`` leaves the occupancy as it is:
#: about an explicit method's stage vectors (each element written once and read three or four times).
ACCESSES_PER_BYTE_REFERENCE = 4.0


def elem_bytes(problem, buffer):
    """Bytes an element of a planned ``buffer``: its own precision's, else the problem's.

    The model counts every buffer at its own element size, as the plan's totals do: a float32 Jacobian
    of a float64 problem is one 32-bit word (one register) an element, not two.
    """
    return itemsize(buffer.precision or problem.precision)


def spilled_accesses(problem, local_names, spilled_words, device, family):
    """``[(buffer, accesses a step spilled)]`` of the register-held local buffers among ``local_names``.

    ``spilled_words`` come first from each register-held buffer's words beyond :data:`CAP_SHARE` of the
    register budget (an array too large to be held whole beside the rest: an LU factor), then from the
    least accessed words (the compiler spills what it uses least).  A buffer's accesses spread evenly
    over its words.  ``family``: the problem's method family (its register base sets the budget).
    """
    local = set(local_names)
    held = []  # [accesses per word, words, buffer]
    for b in problem.planned:
        if b.name in local and not b.in_memory(Placement.LOCAL) and b.holds_registers(Placement.LOCAL) and (
                b.size_elems):
            words = b.size_elems * elem_bytes(problem, b) / 4
            held.append([b.weight / words, words, b])
    cap = CAP_SHARE * (device.max_registers_per_thread - device.register_base(family)) / (
        device.word_registers(problem.itemsize))
    out, left = [], spilled_words
    for item in held:
        take = min(max(0.0, item[1] - cap), left)
        if take > 0:
            out.append((item[2], item[0] * take))
        item[1] -= take
        left -= take
    for density, words, b in sorted(held, key=lambda h: (h[0], h[1])):  # the least accessed words first
        if left <= 0:
            break
        take = min(words, left)
        out.append((b, density * take))
        left -= take
    return out


def local_access_bytes(problem, local_names, spilled_words, device, family):
    """Bytes a thread's local-memory accesses move a step: its spilled accesses (:func:`spilled_accesses`) and
    its accesses to local buffers held in memory, each at its element size."""
    local = set(local_names)
    spilled = sum(accesses * elem_bytes(problem, b)
                  for b, accesses in spilled_accesses(problem, local, spilled_words, device, family))
    memory = sum(b.weight * elem_bytes(problem, b) for b in problem.planned
                 if b.name in local and b.in_memory(Placement.LOCAL))
    return spilled + memory


def priced_access_bytes(problem, local_names, spilled_words, device, family):
    """:func:`local_access_bytes` where the device's traffic bound reads them (``traffic_access_share`` or
    ``traffic_parallelism`` set), else None: both are off in every preset, and ``auto``'s search predicts every
    candidate set, so the bytes are not counted for nothing."""
    if not (device.traffic_access_share or device.traffic_parallelism):
        return None
    return local_access_bytes(problem, local_names, spilled_words, device, family)


def traffic_bytes(device, frame_bytes, access_bytes):
    """The bytes the traffic bound prices: the thread's local frame once a step, its local access bytes,
    or a blend (``DeviceModel.traffic_access_share`` of the access bytes; 0: the frame alone, as before)."""
    share = device.traffic_access_share
    if not share or access_bytes is None:
        return frame_bytes
    return (1.0 - share) * frame_bytes + share * access_bytes


def accesses_per_byte(frame_bytes, access_bytes):
    """Local accesses a step per byte of the local frame: the proxy of loads in flight (a stage sum that
    reads six stage vectors at once reads each of their bytes more often than one that reads one)."""
    if not frame_bytes or access_bytes is None:
        return ACCESSES_PER_BYTE_REFERENCE
    return access_bytes / frame_bytes


def traffic_occupancy_share(device, occupancy, frame_bytes, access_bytes):
    """The share of device memory's bandwidth the resident warps reach: occupancy over ``traffic_occupancy``
    (at most 1), the occupancy scaled by the loads a thread has in flight where ``traffic_parallelism`` is
    set (:func:`accesses_per_byte` over :data:`ACCESSES_PER_BYTE_REFERENCE`, to that power; 0: not scaled)."""
    effective = occupancy
    if device.traffic_parallelism:
        effective *= (accesses_per_byte(frame_bytes, access_bytes) / ACCESSES_PER_BYTE_REFERENCE) ** (
            device.traffic_parallelism)
    return min(1.0, effective / device.traffic_occupancy)
