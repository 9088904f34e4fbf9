"""A plan past CUDA's local memory per thread: the message names the largest buffers and only offers what helps."""

import pytest

from planner import Buffer, PlanningProblem, solve
from planner.errors import LocalMemoryError


def _problem(precision, sizes):
    return PlanningProblem(buffers=tuple(Buffer(name, size, lifetime=((0, 2),), location="local")
                                         for name, size in sizes), precision=precision, block_size=128,
                           device="h200")


def test_buffers_too_large_for_shared_memory_are_named_and_not_sent_there():
    """An ecologist's trial (2026-12-05): 40200 parameters a trajectory and a 200-state matrix in float64 (321.6
    and 320 KB) were told to put buffers in shared memory, which holds 227 KB a block, and not that float32 fits."""
    problem = _problem("float64", [("loop.parameters", 40200), ("loop.step.factor", 40000), ("loop.state", 200)])
    with pytest.raises(LocalMemoryError) as info:
        solve(problem, "greedy")
    text = str(info.value)
    assert "(the largest: loop.parameters 321600 B, loop.step.factor 320000 B, loop.state 1600 B)" in text
    assert "shared memory cannot take the excess" in text and "put buffers in shared memory" not in text
    assert text.endswith("; in float32 precision they would take 321600 B")


def test_shared_memory_is_offered_where_buffers_that_fit_it_could_take_the_excess():
    problem = _problem("float32", [("a", 40000), ("b", 40000), ("c", 60000)])  # 560 KB; a and b fit a block
    with pytest.raises(LocalMemoryError) as info:
        solve(problem, "greedy")
    text = str(info.value)
    assert "put buffers in shared memory" in text and "float32 (precision" not in text


def test_buffers_that_cannot_go_shared_are_not_offered_shared_memory():
    """A regression hunt (2026-12-05): a 480000 B float64 buffer and a float32 one (of another precision than the
    problem's, so never shared) were offered shared memory, and float32 was said to halve both."""
    problem = PlanningProblem(buffers=(Buffer("jac", 60000, lifetime=((0, 4),), location="local"),
                                       Buffer("params", 30000, lifetime=((0, 4),), location="local",
                                              precision="float32")),
                              precision="float64", block_size=32, device="h100")
    with pytest.raises(LocalMemoryError) as info:
        solve(problem, "greedy")
    text = str(info.value)
    assert "shared memory cannot take the excess" in text and "put buffers in shared memory" not in text
    assert text.endswith("; in float32 precision they would take 360000 B")


def test_the_summary_gives_the_local_bytes_a_thread_against_the_limit():
    """An ecologist's trial (2026-12-06): "will a 70-state radau fit?" had its answer only in the plan's JSON."""
    plan = solve(_problem("float64", [("loop.state", 70), ("loop.step.factor", 4900)]), "greedy")
    assert "(39760 B local a thread of CUDA's 512 KiB)" in plan.summary()


@pytest.mark.parametrize("precision, block_size", [("float32", 1), ("float64", 128)])
def test_the_summary_names_the_block_size_and_precision_it_was_planned_for(precision, block_size):
    """A simulator solve plans at block size 1, and res.plan.summary() read as the layout a GPU's 128 would get
    (a physicist's trial): the layout depends on both."""
    problem = PlanningProblem(buffers=(Buffer("loop.state", 4, lifetime=((0, 2),)),),
                              precision=precision, block_size=block_size, device="h200")
    summary = solve(problem, "greedy").summary()
    assert summary.startswith(f"greedy FEASIBLE at block size {block_size}, {precision}: shared "), summary
