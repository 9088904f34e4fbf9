"""The device model's L2 term (local memory gets cheaper while the L2 holds the resident threads' local bytes)
and its local-traffic bound (local bytes the L2 does not hold bound the throughput whatever the occupancy)."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import ConfigurationError, PlanningProblem, get_device
from planner.device import DeviceModel

H200 = get_device("h200")
MB = 1024 * 1024


def _factor(device, block_size, registers, local_bytes, shared_bytes=0):
    return device.local_memory_factor(device.occupancy(block_size, registers, shared_bytes), block_size, local_bytes)


def test_the_hopper_presets_carry_the_fitted_terms():
    for device in (H200, get_device("h100")):
        assert device.l2_bytes == 40 * MB and 0 < device.l2_access_factor < 1 and device.local_byte_cost == 150


def test_a_working_set_under_the_cache_costs_the_factor_and_one_far_over_it_costs_a_miss():
    # 132 SMs x 128 resident threads (one block of 128 at 255 registers) x 1616 B = 26 MB: held
    assert _factor(H200, 128, 255, 1616, shared_bytes=158208) == pytest.approx(H200.l2_access_factor)
    # 132 x 256 x 2848 B = 92 MB: not held
    assert _factor(H200, 128, 255, 2848) == 1.0
    assert _factor(H200, 128, 255, 0) == pytest.approx(H200.l2_access_factor)


def test_without_an_l2_size_there_is_no_term():
    plain = get_device("a100")
    assert plain.l2_bytes == 0 and _factor(plain, 128, 255, 16) == 1.0
    assert plain.l2_held(plain.occupancy(128, 255, 0), 128, 16) == 0.0 and plain.local_byte_cost == 0


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 20000), st.integers(0, 20000), st.sampled_from([32, 64, 128, 256]))
def test_the_factor_is_between_the_two_costs_and_grows_with_the_local_bytes(a, b, block):
    low, high = sorted((a, b))
    f_low, f_high = _factor(H200, block, 128, low), _factor(H200, block, 128, high)
    assert H200.l2_access_factor <= f_low <= f_high <= 1.0


def test_the_factor_is_continuous_across_the_cache_size():
    occ = H200.occupancy(128, 128, 0)
    threads = H200.multiprocessors * occ.blocks_per_sm * 128
    at = [H200.local_memory_factor(occ, 128, round(x * H200.l2_bytes / threads)) for x in (0.74, 0.76, 1.0, 1.24, 1.26)]
    assert at[0] == pytest.approx(H200.l2_access_factor) and at[-1] == 1.0
    assert all(later >= earlier for earlier, later in zip(at, at[1:]))
    assert max(b - a for a, b in zip(at, at[1:])) < 0.5 * (1 - H200.l2_access_factor)


def test_the_term_round_trips_through_json_and_old_files_load_without_it():
    again = DeviceModel.from_json(H200.to_json())
    assert again == H200
    old = {k: v for k, v in H200.to_json().items() if k not in ("l2_bytes", "l2_access_factor", "local_byte_cost")}
    assert DeviceModel.from_json(old).local_memory_factor(H200.occupancy(128), 128, 4) == 1.0
    assert DeviceModel.from_json(old).local_byte_cost == 0.0


@pytest.mark.parametrize("key, value, expected", [("l2_access_factor", 1.5, "in (0, 1]"),
                                                  ("l2_access_factor", 0, "finite number > 0"),
                                                  ("l2_bytes", -1, "integer >= 0"),
                                                  ("local_byte_cost", -1, "finite number >= 0"),
                                                  ("local_byte_cost", float("nan"), "finite number >= 0"),
                                                  ("local_byte_cost", "150", "finite number >= 0"),
                                                  ("traffic_occupancy", 1.5, "occupancy in (0, 1]"),
                                                  ("traffic_occupancy", 0, "finite number > 0")])
def test_a_bad_term_names_the_key(key, value, expected):
    with pytest.raises(ConfigurationError, match=f"{key}.*{re.escape(expected)}"):
        DeviceModel.from_json(dict(H200.to_json(), **{key: value}))


@pytest.mark.parametrize("blocks, shared, words", [
    (1, 1000, "1 block cannot be resident on one SM of h100: its shared_bytes_per_sm, 1000 B, holds the 1024 B "
              "the runtime reserves per block (reserved_shared_bytes_per_block) for 0 blocks only; give the device "
              "shared_bytes_per_sm of at least 1024 B"),
    (2, 2000, "for 1 blocks only; give the device shared_bytes_per_sm of at least 2048 B, or lower min_blocks_per_sm"),
], ids=["one-block", "two-blocks"])
def test_shared_memory_below_the_reserve_per_block_is_named_not_threads(blocks, shared, words):
    """A user's trial (2026-12-05): shared_bytes_per_sm=1000 under the 1024 B reserve was blamed on threads."""
    device = dict(get_device("h100").to_json(), shared_bytes_per_sm=shared)
    with pytest.raises(ConfigurationError) as info:
        PlanningProblem.from_json({"precision": "float32", "block_size": 64, "device": device,
                                   "min_blocks_per_sm": blocks,
                                   "buffers": [{"name": "a.x", "size": 1, "lifetime": [[0, 1]]}]})
    assert words in str(info.value) and "threads" not in str(info.value)


def test_a_negative_zero_byte_cost_is_zero():
    import math
    assert math.copysign(1.0, DeviceModel.from_json(dict(H200.to_json(), local_byte_cost=-0.0)).local_byte_cost) == 1.0


def test_a_device_file_given_as_a_preset_name_says_where_a_model_goes():
    """A performance engineer's trial (2026-12-05): `--device dev.json` said only "unknown preset"."""
    with pytest.raises(ConfigurationError, match=r"unknown preset 'dev\.json'.*problem JSON's \"device\""):
        get_device("dev.json")
    with pytest.raises(ConfigurationError) as info:
        get_device("h300")
    assert "problem JSON" not in str(info.value)


def test_the_l1_term_is_on_in_the_hopper_presets_and_off_in_old_files_and_other_presets():
    for device in (H200, get_device("h100")):
        assert device.l1_bytes == 256 * 1024 and device.l1_factor == 2.0
    old = {k: v for k, v in H200.to_json().items() if k not in ("l1_bytes", "l1_factor")}
    occ = H200.occupancy(128, 128, 0)
    assert DeviceModel.from_json(old).l1_held(occ, 128, 4000) == 0.0 < H200.l1_held(occ, 128, 4000)
    assert get_device("a100").l1_held(occ, 128, 4000) == 0.0
    assert DeviceModel.from_json(H200.to_json()) == H200


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([32, 64, 128, 256]), st.integers(0, 100_000), st.integers(1, 40_000))
def test_the_l1_share_falls_as_the_shared_footprint_grows(block, shared, local_bytes):
    occ = H200.occupancy(block, 128, shared)
    if occ.blocks_per_sm == 0:
        return
    held = H200.l1_held(occ, block, local_bytes, shared)
    assert 0.0 <= held <= 1.0
    assert H200.l1_held(occ, block, local_bytes, shared + 4096) <= held


@pytest.mark.parametrize("key, value, expected", [("l1_factor", -1, "finite number >= 0 (0: no L1 term)"),
                                                  ("l1_factor", "2", "finite number >= 0"),
                                                  ("l1_bytes", -1, "integer >= 0")])
def test_a_bad_l1_term_names_the_key(key, value, expected):
    with pytest.raises(ConfigurationError, match=f"{key}.*{re.escape(expected)}"):
        DeviceModel.from_json(dict(H200.to_json(), **{key: value}))
