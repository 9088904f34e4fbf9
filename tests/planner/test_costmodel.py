"""The cost model's two bounds: latency (cost over the share of latency hidden) and local traffic."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from model_helpers import UNFITTED_H100

from planner import Buffer, ConfigurationError, Plan, PlanningProblem, explain, get_device, solve
from planner.costmodel import bound, throughput

H200 = get_device("h200")


@settings(max_examples=80, deadline=None)
@given(st.sampled_from([32, 64, 128, 256]), st.integers(32, 255), st.integers(0, 200_000),
       st.floats(1.0, 1e6), st.integers(0, 40_000))
def test_throughput_is_the_smaller_bound_and_never_above_the_latency_one(block, registers, shared, cost, local_bytes):
    occ = H200.occupancy(block, registers, min(shared, H200.max_shared_bytes_per_block))
    if occ.blocks_per_sm == 0:
        return
    latency_only = throughput(occ, cost, dataclasses.replace(H200, local_byte_cost=0.0), local_bytes, block)
    both = throughput(occ, cost, H200, local_bytes, block, shared)
    assert latency_only == pytest.approx(min(1.0, occ.occupancy / H200.saturation_occupancy) / cost)
    assert both <= latency_only
    streamed = local_bytes * (1 - H200.l2_held(occ, block, local_bytes)) * (
        1 - H200.l1_held(occ, block, local_bytes, shared))
    traffic = H200.local_byte_cost * streamed / min(1.0, occ.occupancy / H200.traffic_occupancy)
    assert both == pytest.approx(min(latency_only, 1.0 / max(traffic, 1e-300)))
    assert bound(occ, cost, H200, local_bytes, block, shared) == (
        "local traffic" if both < latency_only else "latency")


def test_local_bytes_the_l2_holds_cost_no_traffic():
    occ = H200.occupancy(128, 255, 0)  # 2 blocks of 128 an SM: 33792 threads
    held = throughput(occ, 1000.0, H200, 512, 128)  # 17 MB resident: the L2 holds them
    assert held == throughput(occ, 1000.0, H200, 0, 128)
    streamed = throughput(occ, 1000.0, H200, 8192, 128)  # 277 MB: none held (the L1 a share)
    assert streamed == pytest.approx(1 / (H200.local_byte_cost * 8192 * (1 - H200.l1_held(occ, 128, 8192))))


def _streaming(device):
    """Six 300-element float32 buffers, 2 accesses an element a step: all-local spills 6 KB a thread."""
    return PlanningProblem(buffers=tuple(Buffer(f"s.b{i}", 300, lifetime=((0, 2),), weight=600.0) for i in range(6)),
                           precision="float32", block_size=128, objective="auto", device=device)


def test_auto_moves_a_streaming_working_set_to_shared_memory_for_fewer_local_bytes():
    """Session 39's H100 sweep: all-local Tsit5 and RK4 at 128 and 256 states spill 3.5 to 13 KB a thread and
    ran 1.06 to 1.73x slower than the greedy plan's state and stages in shared memory at one block an SM."""
    fitted, unfitted = solve(_streaming(H200), "cpsat"), solve(_streaming(UNFITTED_H100), "cpsat")
    assert unfitted.shared_bytes_per_block == 0 and unfitted.cost.predicted.bound == "latency"
    p = fitted.cost.predicted
    assert fitted.shared_bytes_per_block > 0 and p.local_bytes < unfitted.cost.predicted.local_bytes
    assert p.occupancy < unfitted.cost.predicted.occupancy and p.bound == "local traffic"
    assert "(bound by local traffic)" in explain(fitted).text()


def test_the_bound_round_trips_and_a_plan_with_an_unknown_one_is_refused():
    plan = solve(_streaming(H200), "cpsat")
    data = plan.to_json()
    assert Plan.from_json(data).cost.predicted.bound == "local traffic"
    del data["cost"]["predicted"]["bound"]  # plans saved before the bound load with none
    assert Plan.from_json(data).cost.predicted.bound == ""
    for bad in ("banana", None):
        data["cost"]["predicted"]["bound"] = bad
        with pytest.raises(ConfigurationError, match=r"malformed plan JSON: 'cost'.*\(cost\.predicted\.bound: "
                                                     r"expected one of \('', 'latency', 'local traffic'\)"):
            Plan.from_json(data)


def test_too_few_warps_cannot_stream_at_full_bandwidth():
    """A performance engineer's trial (2026-12-05): with the traffic bound blind to occupancy, auto put 256 states
    of Tsit5 float64 at block 32 in one warp an SM to cut local bytes by a quarter."""
    one_warp, full = H200.occupancy(32, 255, 200_000), H200.occupancy(32, 64, 0)
    assert one_warp.occupancy < H200.traffic_occupancy <= full.occupancy
    slow = throughput(one_warp, 1.0, H200, 20_000, 32, 200_000)
    streamed = 20_000 * (1 - H200.l1_held(one_warp, 32, 20_000, 200_000))
    assert slow == pytest.approx(one_warp.occupancy / H200.traffic_occupancy / (H200.local_byte_cost * streamed))
    assert throughput(full, 1.0, H200, 26_000, 32) > slow


def test_shared_memory_takes_the_l1_that_held_the_remaining_spills():
    """Session 44's H100 (kernel ms): rodas4 on the 128-state Brusselator, float32, all-local (4 blocks of 128 an SM,
    11888 B local) ran 20.5 ms and the layout with 67072 B a block shared (3 blocks, 11344 B local) 23.9: its
    shared carve-out leaves 28 KB of the SM's 256 KB L1/shared array.  Without the L1 term its 5 % fewer local bytes
    rate it faster.  Tsit5 on 256 states float32 keeps its win: the greedy plan's one block of 132608 B shared (10592 B
    local) ran 1679 ms against all-local's 2074 (13040 B): 19 % fewer local bytes, half the array still L1."""
    without = dataclasses.replace(H200, l1_factor=0.0)

    def rate(device, blocks_shared, local_bytes, shared_bytes):
        occ = H200.occupancy(128, 128, shared_bytes)
        assert occ.blocks_per_sm == blocks_shared
        return throughput(occ, 1.0, device, local_bytes, 128, shared_bytes)  # equal latency: the traffic decides

    local, shared = rate(H200, 4, 11888, 0), rate(H200, 3, 11344, 67072)
    assert local > shared  # all-local, timed faster, rated faster
    assert rate(without, 4, 11888, 0) < rate(without, 3, 11344, 67072)  # the miss without the term
    assert rate(H200, 1, 10592, 132608) > rate(H200, 4, 13040, 0)  # greedy's win kept
    assert H200.l1_held(H200.occupancy(128, 128, 0), 128, 11888) == pytest.approx(
        2.0 * (256 - 4) * 1024 / (4 * 128 * 11888))
    assert without.l1_held(H200.occupancy(128, 128, 0), 128, 11888) == 0.0


@pytest.mark.parametrize("registers", [255, 200])
def test_a_predicted_spill_the_compiler_did_not_make_lowers_the_registers_per_word(registers):
    """The model spilled at the register limit, the compiler kept every word in registers (no local bytes): the
    correction makes the live words just fit in the registers measured, so the compiler loop's re-solve sees a plan
    without spills instead of the same layout again (the base alone, moved by measured less predicted registers,
    did not move at the limit)."""
    from planner.costmodel import Measured, contradicts, corrected, predict

    problem = PlanningProblem(buffers=tuple(Buffer(f"s.v{i}", 200, lifetime=((0, 2),), weight=400.0) for i in range(3)),
                              precision="float32", block_size=128, objective="auto", device=H200)
    names = [b.name for b in problem.buffers]
    before = predict(problem, names, 0)
    assert before.registers == before.register_limit and before.spilled_words > 0
    figures = Measured(registers, 0, 0, 0, 0, "ptxas", 2, 0.125, 0.0)
    assert contradicts(before, figures)
    device = corrected(problem.device, problem, before, figures)
    after = predict(problem, names, 0, device=device)
    assert after.spilled_words == 0 and after.local_bytes == 0 and after.registers == registers
    assert not contradicts(after, figures)
    assert device.registers_per_word < H200.registers_per_word and device.register_bases == H200.register_bases
