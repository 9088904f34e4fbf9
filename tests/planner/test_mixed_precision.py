"""Buffers of another precision than the problem's: the plan records it, and bytes use it.

Found by a user's trial (2026-12-04): a 100-element float32 buffer in a float64 problem was shown as
800 B, and a plan the planner made with a 100000-element float32 buffer (400000 B, under CUDA's
512 KiB) was refused by ``verify``/``show``/``explain`` without the problem as 800000 B.
"""

import dataclasses

import pytest
from model_helpers import UNFITTED_H100

from planner import Buffer, BufferSettings, ConfigurationError, Phase, Plan, PlanError, PlanningProblem, solve
from planner.costmodel import memory_bytes, predict, step_cost
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
    data["totals"]["persistent_local_elements"] = 4  # such a plan packed float32 'kept' in the one array
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
    assert "0 per thread, 16 B (1 buffer)" in text  # float32 'kept' has an array of its own, not float64's


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
    """A user's trial (2026-12-05): the layout says which buffers differ in precision. A float64 persistent
    buffer of a float32 problem has an array of its own since 2026-12-06 (it took slice(3, 5) of the one
    plan-precision array, which could not hold it): no slice of that array, its size in local_sizes."""
    tree = BufferSettings("c", phases=(Phase("a"),), buffers=(
        Buffer("h32", 3, persistent=True, location="local"),
        Buffer("h64", 2, persistent=True, location="local", precision="float64"),
        Buffer("tail", 1, view_of="h64", view_offset_elems=1)))
    layout = tree.layout(solve(tree.to_problem(precision="float32"), planner="greedy"))
    assert layout.persistent_indices["h64"] == slice(0, 0) and layout.local_sizes["h64"] == 2
    assert layout.persistent_indices["tail"] == slice(0, 0) and layout.view("tail").window == slice(1, 2)
    assert layout.persistent_indices["h32"] == slice(0, 3) and layout.plan.persistent_local_elements == 3
    assert [layout.precision(n) for n in ("h32", "h64", "tail")] == ["float32", "float64", "float64"]
    with pytest.raises(ConfigurationError, match="has no buffer 'h6'"):
        layout.precision("h6")


def _hist_and_acc(objective):
    """The trial's component: a float16 persistent 'hist' of 5 beside a float32 persistent 'acc' of 4."""
    tree = BufferSettings("kern", phases=(Phase("p0"), Phase("p1")), buffers=(
        Buffer("x", 10, lifetime=(("p0", "p1"),)),
        Buffer("hist", 5, persistent=True, precision="float16"),
        Buffer("acc", 4, persistent=True, location="local")))
    return tree, tree.to_problem(precision="float32", block_size=128, device="h200", objective=objective)


@pytest.mark.parametrize("objective", ["min-shared", "auto"])
def test_a_persistent_buffer_of_another_precision_takes_no_room_in_the_plan_precision_array(objective):
    """A user's trial (2026-12-06): float16 'hist' took [0, 5) of the float32 persistent array and 'acc' [5, 9),
    so a kernel allocating max(persistent_local_elements, 1) elements, as the README says, left 5 unused."""
    tree, problem = _hist_and_acc(objective)
    plan = solve(problem)
    layout = tree.layout(plan)
    assert plan.persistent_local_elements == 4 and layout.persistent_local_elements == 4
    assert layout.persistent_indices["acc"] == slice(0, 4) and layout.persistent_indices["hist"] == slice(0, 0)
    assert (layout.placement("hist").value, layout.precision("hist"), layout.local_sizes["hist"]) == (
        "persistent_local", "float16", 5)
    hist = plan.by_name()["kern.hist"]
    assert (hist.offset_elems, hist.precision) == (0, "float16")  # offset 0 of its own array
    Plan.from_json(plan.to_json()).verify(problem)


def test_a_plan_giving_such_a_buffer_a_slice_of_the_array_is_refused():
    """What plans made before 2026-12-06 did: verify names the buffer and says to re-plan."""
    _, problem = _hist_and_acc("min-shared")
    data = solve(problem, planner="greedy").to_json()
    for b in data["buffers"]:
        b["offset"] = {"kern.hist": 4, "kern.acc": 0}.get(b["name"], b["offset"])
    data["totals"]["persistent_local_elements"] = 9
    for against in (problem, None):
        with pytest.raises(PlanError, match=r"bounds: kern.hist is persistent local in float16, another precision "
                                            r"than the plan's, so it has an array of its own: expected offset 0, "
                                            r"got 4") as info:
            Plan.from_json(data).verify(against)
        assert info.value.buffer == "kern.hist"


def _mixed_cost_problem():
    """A float64 problem whose register-held Jacobian is float32 (600 elements: 600 words, not 1200), beside
    16 float64 elements (32 words) and a memory-held float32 buffer of 100 elements (400 B, not 800)."""
    device = dataclasses.replace(UNFITTED_H100, register_bases=(("default", 20),), registers_per_word_64=0.5)
    return PlanningProblem((Buffer("jac", 600, lifetime=((0, 2),), location="local", precision="float32",
                                   weight=600.0),
                            Buffer("x", 16, lifetime=((0, 2),), location="local"),
                            Buffer("m", 100, lifetime=((0, 2),), location="local", precision="float32",
                                   storage="memory")), precision="float64", device=device)


def test_the_cost_model_counts_each_buffer_at_its_own_precision():
    """A user's trial (2026-12-06): a float32 buffer of a float64 problem was counted as float64 words, so
    its registers, spills and local bytes were doubled. Figures by hand: 600 + 32 = 632 live words;
    20 + 0.5 * 632 = 336 registers wanted, 255 allowed: (336 - 255) / 0.5 = 162 words spilled; local
    bytes 4 * 162 + 400 = 1048; the spill falls on the Jacobian (its 600 words pass half the budget,
    (255 - 20) / 2 / 0.5 = 235 words), one access per word: 162 spilled accesses."""
    problem = _mixed_cost_problem()
    names = ["jac", "x", "m"]
    p = predict(problem, names, 0)
    assert (p.local_words, p.registers, p.spilled_words) == (632.0, 255, 162.0)  # were 1232, 255, 762
    assert memory_bytes(problem, names) == 400  # was 800
    assert p.local_bytes == 4 * 162 + 400
    device = problem.device
    assert step_cost(problem, names, 162.0, device) == pytest.approx(
        602 + device.spill_access_cost * (162 + 1))  # was 602 + spill_access_cost * (81 + 1)


def test_a_float32_buffer_needs_fewer_registers_than_a_float64_one_of_the_same_size():
    """The repro of the trial: 256 elements of float32 and of float64 in a float64 problem, planned ``auto``,
    gave the same prediction (544 words); float32's is 256 + 32 = 288 words."""
    for precision, words in (("float32", 288.0), ("float64", 544.0)):
        settings = BufferSettings("c", (Phase("a"), Phase("b")),
                                  (Buffer("jac", 256, lifetime=(("a", "b"),), precision=precision),
                                   Buffer("x", 16, lifetime=(("a", "b"),))))
        plan = solve(settings.to_problem(precision="float64", objective="auto"))
        assert plan.cost.predicted.local_words == words
