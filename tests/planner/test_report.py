"""The plan report's lower bound line (a user's trial, 2026-12-05): a gap of 2710 elements on a peak of 10^8
read "0.0%", and greedy's plan of a problem whose buffers are all pinned shared, at its live lower bound,
read "not proven optimal ... not on which buffers go shared", though no buffer's placement was left to choose."""

import dataclasses

import pytest
from cli_helpers import run

from planner import Buffer, PlanningProblem, solve
from planner.device import without_shared_limit
from planner.report import percent, plan_totals


def _bound_line(text):
    return next(line for line in text.splitlines() if line.startswith("lower bound"))


@pytest.mark.parametrize("part, whole, shown", [(0, 5, "0.0%"), (1, 3, "33.3%"), (1, 1000, "0.1%"),
                                                (99, 100000, "0.099%"), (2710, 100038028 + 2710, "0.0027%"),
                                                (1, 10 ** 9, "<0.001%"), (-2, 1000, "-0.2%")])
def test_percent_shows_a_nonzero_share_with_a_nonzero_digit(part, whole, shown):
    assert percent(part, whole) == shown


def test_a_small_nonzero_gap_never_reads_zero_percent():
    problem = PlanningProblem((Buffer("big", 100, "shared", lifetime=((0, 2),)),), block_size=1,
                              device=without_shared_limit("h100"), shared_capacity=1000)
    plan = solve(problem, "greedy")
    peak = 100038028 + 2710  # the trial's numbers
    plan = dataclasses.replace(plan, shared_elements=peak,
                               provenance=dataclasses.replace(plan.provenance, lower_bound=100038028))
    line = _bound_line(plan_totals(plan))
    assert line.endswith("(gap 2710 elements, 0.0027%)") and "0.0%" not in line


def _pinned(location_of_last="shared"):
    lifetimes = ((0, 2), (1, 3), (2, 4), (0, 4))
    return PlanningProblem(tuple(Buffer(f"b{i}", 4, "shared" if i < 3 else location_of_last, lifetime=(lt,))
                                 for i, lt in enumerate(lifetimes)),
                           device=without_shared_limit("h100"), shared_capacity=12, block_size=1)


def test_a_plan_of_pinned_buffers_at_their_live_size_is_called_optimal():
    problem = _pinned()
    plan = solve(problem, "greedy")
    assert plan.shared_elements == plan.provenance.lower_bound == 12
    line = _bound_line(plan_totals(plan, problem))
    assert "gap 0 elements, 0.0%: optimal, as every buffer that may go shared is pinned shared" in line
    assert "not proven" not in line
    assert "not proven optimal (FEASIBLE)" in _bound_line(plan_totals(plan))  # without the problem: unknown


def test_a_plan_with_a_choice_of_shared_buffers_stays_not_proven():
    problem = _pinned("auto")
    plan = solve(problem, "greedy")
    assert plan.shared_elements == plan.provenance.lower_bound
    assert "not proven optimal (FEASIBLE)" in _bound_line(plan_totals(plan, problem))


def test_the_plan_command_says_greedys_layout_of_a_minimalloc_csv_at_its_bound_is_optimal(tmp_path):
    problem = tmp_path / "tiny.12.csv"
    problem.write_text("id,lower,upper,size\n0,0,2,4\n1,1,3,4\n2,2,4,4\n3,0,4,4\n")
    done = run("plan", problem, "--planner", "greedy")
    assert done.returncode == 0, done.stderr
    line = _bound_line(done.stdout)
    assert line.startswith("lower bound         12 (gap 0 elements, 0.0%: optimal, as every buffer")
    assert "not proven" not in line
