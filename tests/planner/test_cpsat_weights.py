"""CP-SAT's weights: only their ratios matter (a user's trial, 2026-12-07: weights below 0.0005 were rounded to 0
and left buffers local with room in shared memory; a weight of 1e306 crashed with OverflowError)."""

import pytest

import planner.cpsat as cpsat
from planner import Buffer, ConfigurationError, Placement, PlanningProblem, solve
from planner.device import without_shared_limit

from cli_helpers import run, write_json
from test_planners import CPSAT

UNLIMITED = without_shared_limit("h100")


def _choosing(scale, capacity=9):
    """Auto buffers alive together beside a pinned one, more than the capacity holds: a choice by weight."""
    buffers = (Buffer("c.pin", 2, "shared", lifetime=((0, 6),)),) + tuple(
        Buffer(f"c.a{i}", 3 + i % 3, lifetime=((i, i + 4),), weight=(1.0 + i) * scale) for i in range(6))
    return PlanningProblem(buffers=buffers, device=UNLIMITED, shared_capacity=capacity)


def _layout(plan):
    return {b.name: (b.placement, b.offset_elems) for b in plan.buffers}


@pytest.mark.parametrize("scale", [1e-4, 3e-7, 1e-200, 5e-320, 1e5, 1e290])
def test_weights_scaled_by_a_common_factor_give_the_same_plan(scale):
    reference = solve(_choosing(1.0), "cpsat", **CPSAT)
    plan = solve(_choosing(scale), "cpsat", **CPSAT)
    assert _layout(plan) == _layout(reference)
    assert plan.provenance.status == reference.provenance.status == "OPTIMAL"


def test_small_weights_go_shared_where_there_is_room():
    """The trial's problem: two buffers of weight 0.0003 stayed local, reported OPTIMAL, where greedy shared them."""
    buffers = (Buffer("rk.k1", 4, lifetime=((0, 4),), weight=0.0003), Buffer("rk.k2", 4, lifetime=((2, 6),),
                                                                               weight=0.0003))
    plan = solve(PlanningProblem(buffers=buffers, precision="float32", block_size=128, device="h100"), "cpsat",
                 **CPSAT)
    assert {b.placement for b in plan.buffers} == {Placement.SHARED} and plan.shared_elements == 8
    # and the ratio decides between small weights: 0.0004 beats 0.0003 for the one place there is
    one = (Buffer("c.a", 4, lifetime=((0, 4),), weight=0.0003), Buffer("c.b", 4, lifetime=((2, 6),), weight=0.0004))
    plan = solve(PlanningProblem(buffers=one, device=UNLIMITED, shared_capacity=4), "cpsat", **CPSAT)
    assert plan.by_name()["c.b"].placement is Placement.SHARED
    assert plan.by_name()["c.a"].placement is Placement.LOCAL


def test_a_huge_finite_weight_is_planned_by_its_ratio(tmp_path):
    lone = {"precision": "float32", "block_size": 128, "device": "h100",
            "buffers": [{"name": "a", "size": 4, "weight": 1e306, "lifetime": [[0, 2]]}]}
    for command in ("plan", "compare"):
        res = run(command, write_json(tmp_path / "huge.json", lone))
        assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    pair = (Buffer("c.a", 4, lifetime=((0, 4),), weight=1.0), Buffer("c.b", 4, lifetime=((2, 6),), weight=1e306))
    plan = solve(PlanningProblem(buffers=pair, device=UNLIMITED, shared_capacity=4), "cpsat", **CPSAT)
    assert plan.by_name()["c.b"].placement is Placement.SHARED
    assert plan.by_name()["c.a"].placement is Placement.LOCAL


def test_ordinary_weights_keep_the_thousandths_exact_ratios():
    """Weights below 10^6 with at most three decimals count as they did in thousandths, times one power of ten:
    the same integer model up to a common factor, so today's plans stay."""
    weights = [0.001, 0.125, 1.0, 2.5, 12.0, 999.999, 4096.0, 65536.0, 999999.0]
    for top in range(1, len(weights) + 1):
        auto = [Buffer(f"c.b{i}", 3 + i, lifetime=((0, 1),), weight=w) for i, w in enumerate(weights[:top])]
        scores = cpsat._weight_units(auto)
        old = {b.name: round(b.weight * 1000) * b.size_elems for b in auto}
        factor = scores["c.b0"] // old["c.b0"]
        assert factor >= 1 and all(scores[n] == old[n] * factor for n in old), (top, scores, old)


def test_sizes_past_cpsats_integers_are_named():
    """With weights relative to the largest, only the sizes can pass 2^62: the message names the largest buffer."""
    buffers = tuple(Buffer(f"c.b{i}", 7 * 10 ** 16, lifetime=((i, i + 1),), weight=9.0) for i in range(8))
    problem = PlanningProblem(buffers=buffers, precision="float16", block_size=32, device=UNLIMITED,
                              shared_capacity=7 * 10 ** 16)
    with pytest.raises(ConfigurationError, match=r"buffer 'c.b0' \(size 70000000000000000, weight 9\): the auto "
                                                 r"buffers' sizes times their weights, the largest weight counted "
                                                 r"as 9 \(the coarsest unit\), sum to 5.04e\+18"):
        solve(problem, "cpsat", **CPSAT)
    fewer = PlanningProblem(buffers=buffers[:2], precision="float16", block_size=32, device=UNLIMITED,
                            shared_capacity=7 * 10 ** 16)  # 2 * 9 * 7e16 < 2^62: planned
    assert solve(fewer, "cpsat", **CPSAT).shared_elements == 7 * 10 ** 16
