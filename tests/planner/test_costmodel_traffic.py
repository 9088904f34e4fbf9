"""The traffic bound's local access bytes and loads-in-flight term (planner.traffic), both off by default."""

import dataclasses

import pytest

from planner import Buffer, ConfigurationError, DeviceModel, PlanningProblem, get_device
from planner.costmodel import family_of, predict, step_cost, throughput
from planner.traffic import (ACCESSES_PER_BYTE_REFERENCE, accesses_per_byte, local_access_bytes, spilled_accesses,
                             traffic_bytes)

H200 = get_device("h200")


def _problem(precision="float32", size=100):
    """A dense buffer (8 accesses an element), a sparse one (2) and one held in memory (3 accesses an element)."""
    return PlanningProblem(buffers=(Buffer("s.dense", size, lifetime=((0, 2),), weight=8.0 * size),
                                    Buffer("s.sparse", size, lifetime=((0, 2),), weight=2.0 * size),
                                    Buffer("s.mem", 50, lifetime=((0, 2),), weight=150.0, storage="memory")),
                           precision=precision, block_size=128, objective="auto", device=H200)


def test_the_least_accessed_words_spill_and_their_accesses_move_bytes():
    problem = _problem()
    names = [b.name for b in problem.buffers]
    family = family_of(problem)
    spilled = spilled_accesses(problem, names, 40.0, H200, family)
    assert [(b.name, a) for b, a in spilled] == [("s.sparse", pytest.approx(80.0))]  # 40 words at 2 accesses each
    assert local_access_bytes(problem, names, 40.0, H200, family) == pytest.approx(4 * 80.0 + 4 * 150.0)
    assert local_access_bytes(problem, names, 0.0, H200, family) == pytest.approx(4 * 150.0)
    assert local_access_bytes(problem, ["s.dense"], 0.0, H200, family) == 0.0  # the rest shared: no local accesses


def test_a_float64_element_access_moves_eight_bytes():
    problem = _problem("float64", 50)  # each buffer 100 words, within the cap
    names = [b.name for b in problem.buffers]
    family = family_of(problem)
    spilled = spilled_accesses(problem, names, 100.0, H200, family)  # the sparse buffer's 100 words: all of it
    assert [(b.name, a) for b, a in spilled] == [("s.sparse", pytest.approx(100.0))]
    assert local_access_bytes(problem, names, 100.0, H200, family) == pytest.approx(8 * 100.0 + 8 * 150.0)


def test_the_step_cost_prices_the_spilled_accesses_it_counts():
    problem = _problem()
    names = [b.name for b in problem.buffers]
    base = step_cost(problem, names, 0.0, H200)
    assert step_cost(problem, names, 40.0, H200) == pytest.approx(base + H200.spill_access_cost * 80.0)


def test_the_default_share_prices_the_frame_and_one_the_accesses():
    assert traffic_bytes(H200, 1000.0, 4000.0) == 1000.0
    assert traffic_bytes(dataclasses.replace(H200, traffic_access_share=1.0), 1000.0, 4000.0) == 4000.0
    assert traffic_bytes(dataclasses.replace(H200, traffic_access_share=0.25), 1000.0, 4000.0) == pytest.approx(1750.0)
    assert traffic_bytes(dataclasses.replace(H200, traffic_access_share=1.0), 1000.0, None) == 1000.0


def test_access_bytes_set_the_traffic_bound_only_where_asked():
    """RK4 on 256 states float32 (session 45's Nsight Compute): all-local 8400 B of frame, 31764 B accessed a step."""
    occ = H200.occupancy(128, 128, 0)
    old = throughput(occ, 1.0, H200, 8400, 128)
    assert throughput(occ, 1.0, H200, 8400, 128, 0, 31764.0) == old  # the presets: frame bytes
    access = dataclasses.replace(H200, traffic_access_share=1.0)
    assert throughput(occ, 1.0, access, 8400, 128, 0, 31764.0) == pytest.approx(old * 8400 / 31764)


def test_more_loads_in_flight_stream_faster_below_the_traffic_occupancy():
    """At one block an SM, Tsit5's greedy layout (45056 B accessed of 10592: six stage vectors read at once) reached
    1.78 TB/s where RK4's (25600 of 7488) reached 1.02: with traffic_parallelism the first is rated nearer full
    bandwidth."""
    occ = H200.occupancy(128, 128, 132608)
    device = dataclasses.replace(H200, traffic_parallelism=2.0, traffic_occupancy=0.125, l1_factor=0.0)
    per_byte = [throughput(occ, 1.0, device, frame, 128, 132608, access) * frame
                for frame, access in ((7488, 25600.0), (10592, 45056.0))]
    assert per_byte[1] > per_byte[0]
    assert accesses_per_byte(0, 100.0) == ACCESSES_PER_BYTE_REFERENCE  # no frame: the occupancy as it is
    flat = dataclasses.replace(device, traffic_parallelism=0.0)
    assert [throughput(occ, 1.0, flat, f, 128, 132608, a) * f for f, a in ((7488, 25600.0), (10592, 45056.0))] == (
        pytest.approx([throughput(occ, 1.0, flat, 7488, 128, 132608) * 7488] * 2))


def test_a_prediction_is_unchanged_by_the_new_terms_left_off():
    problem = _problem()
    names = [b.name for b in problem.buffers]
    off = dataclasses.replace(H200, traffic_access_share=0.0, traffic_parallelism=0.0)
    assert predict(problem, names, 0, device=off) == predict(problem, names, 0, device=H200)


def test_device_files_without_the_new_keys_load_with_them_off():
    old = {k: v for k, v in H200.to_json().items() if k not in ("traffic_access_share", "traffic_parallelism")}
    model = DeviceModel.from_json(old)
    assert model.traffic_access_share == 0.0 and model.traffic_parallelism == 0.0
    assert DeviceModel.from_json(dict(H200.to_json(), traffic_access_share=0.5)).traffic_access_share == 0.5


@pytest.mark.parametrize("key, value, expected", [("traffic_access_share", 1.5, "share in [0, 1]"),
                                                  ("traffic_access_share", -0.1, "finite number >= 0"),
                                                  ("traffic_parallelism", float("inf"), "finite number >= 0"),
                                                  ("traffic_parallelism", "2", "finite number >= 0")])
def test_a_bad_traffic_constant_names_the_key(key, value, expected):
    with pytest.raises(ConfigurationError, match=f"{key}.*{expected.replace('[', '.').replace(']', '.')}"):
        DeviceModel.from_json(dict(H200.to_json(), **{key: value}))
