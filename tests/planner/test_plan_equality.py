"""Plans compare by layout and provenance, not by how long the planner took."""

import dataclasses

from planner import Buffer, PlanningProblem, solve


def test_two_solves_of_one_problem_are_equal_whatever_their_times():
    """A Dask user's trial (2026-12-05): a distributed result compared with one process's read False with ``==``,
    the plans differing only in the planner's wall time (0.008 s against 0.282 s)."""
    problem = PlanningProblem(buffers=(Buffer("a", 8, lifetime=((0, 2),)), Buffer("b", 8, lifetime=((1, 3),))),
                              precision="float32", block_size=32)
    first, second = solve(problem, "cpsat"), solve(problem, "cpsat")
    slow = dataclasses.replace(first.provenance, solve_seconds=first.provenance.solve_seconds + 1.0,
                               total_seconds=12.0, setup_seconds=3.0, verify_seconds=4.0, objective_seconds=5.0)
    assert first == second and dataclasses.replace(first, provenance=slow) == first
    assert hash(slow) == hash(first.provenance)
    other = dataclasses.replace(first.provenance, status="FEASIBLE")
    assert dataclasses.replace(first, provenance=other) != first
