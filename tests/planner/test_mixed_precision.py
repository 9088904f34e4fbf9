"""Buffers of another precision than the problem's: the plan records it, and bytes use it.

Found by a user's trial (2026-12-04): a 100-element float32 buffer in a float64 problem was shown as
800 B, and a plan the planner made with a 100000-element float32 buffer (400000 B, under CUDA's
512 KiB) was refused by ``verify``/``show``/``explain`` without the problem as 800000 B.
"""

import pytest

from planner import Buffer, BufferSettings, ConfigurationError, Phase, Plan, PlanError, PlanningProblem, solve
from planner.report import plan_totals


def _problem(n=100):
    return PlanningProblem((Buffer("narrow", n, lifetime=((0, 2),), location="local", precision="float32"),
                            Buffer("kept", 4, persistent=True, location="local", precision="float32"),
                            Buffer("wide", 10, lifetime=((0, 2),))), precision="float64", block_size=32)


def test_the_plan_records_a_buffers_own_precision_and_round_trips():
    plan = solve(_problem(), planner="greedy")
    by_name = plan.by_name()
    assert by_name["narrow"].precision == "float32" and by_name["wide"].precision is None
    data = plan.to_json()
    assert [b.get("precision") for b in data["buffers"]] == ["float32", "float32", None]
    again = Plan.from_json(data)
    assert again == plan
    again.verify(_problem())


def test_an_older_plan_without_precisions_still_loads_and_verifies():
    plan = solve(_problem(), planner="greedy")
    data = plan.to_json()
    for b in data["buffers"]:
        b.pop("precision", None)
    Plan.from_json(data).verify(_problem())


def test_a_recorded_precision_that_differs_from_the_problems_is_a_mismatch():
    data = solve(_problem(), planner="greedy").to_json()
    data["buffers"][0]["precision"] = "float16"
    with pytest.raises(PlanError, match="narrow: plan precision float16 != declared float32"):
        Plan.from_json(data).verify(_problem())
    data["buffers"][0]["precision"] = "float8"
    with pytest.raises(ConfigurationError, match="'narrow' precision: expected one of"):
        Plan.from_json(data)


def test_the_totals_show_each_buffers_own_bytes():
    text = plan_totals(solve(_problem(), planner="greedy"))
    assert "100 per thread, 400 B (1 buffer)" in text  # was 800 B: float64's 8 B an element
    assert "4 per thread, 16 B (1 buffer)" in text


def test_a_plan_alone_counts_local_memory_at_each_buffers_precision():
    plan = solve(_problem(100000), planner="greedy")  # 400000 B of float32: under 512 KiB
    assert plan.local_bytes() == 100000 * 4 + 4 * 4
    plan.verify()  # was: local-memory, 800000 B
    Plan.from_json(plan.to_json()).verify()


def test_a_plan_alone_refuses_a_shared_buffer_of_another_precision():
    data = solve(_problem(), planner="greedy").to_json()
    wide = next(b for b in data["buffers"] if b["name"] == "wide")
    assert wide["placement"] == "shared"
    wide["precision"] = "float32"
    with pytest.raises(PlanError, match="wide has precision float32, cannot share float64 memory"):
        Plan.from_json(data).verify()


def test_the_layout_names_each_buffers_precision_beside_its_persistent_slice():
    """A user's trial (2026-12-05): a float64 persistent buffer of a float32 problem gets a slice of the one
    persistent array, which a kernel allocates in the plan's precision; the layout says which buffers differ."""
    tree = BufferSettings("c", phases=(Phase("a"),), buffers=(
        Buffer("h32", 3, persistent=True, location="local"),
        Buffer("h64", 2, persistent=True, location="local", precision="float64"),
        Buffer("tail", 1, view_of="h64", view_offset_elems=1)))
    layout = tree.layout(solve(tree.to_problem(precision="float32"), planner="greedy"))
    assert layout.persistent_indices["h64"] == slice(3, 5) and layout.local_sizes["h64"] == 2
    assert [layout.precision(n) for n in ("h32", "h64", "tail")] == ["float32", "float64", "float64"]
    with pytest.raises(ConfigurationError, match="has no buffer 'h6'"):
        layout.precision("h6")
