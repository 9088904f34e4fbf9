"""CP-SAT planner internals: the search paths the greedy hint usually short-cuts, and fallbacks."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

import planner.cpsat as cpsat
from planner import Buffer, InfeasibleError, Placement, PlanningProblem, solve
from planner.errors import InfeasibleError as _Infeasible

from test_planners import CPSAT, brute_force_peak, independent_check, problems


def _refuse(*_):
    raise _Infeasible("greedy disabled for this test")


@pytest.fixture
def no_greedy(monkeypatch):
    """CP-SAT without the greedy hint, fallback or short cut: every path searches."""
    monkeypatch.setattr(cpsat, "choose_greedily", _refuse)


@settings(max_examples=20, deadline=None)
@given(problems(max_buffers=5, max_size=12))
def test_search_without_hint_is_optimal(problem):
    with pytest.MonkeyPatch.context() as patch:  # hypothesis cannot share a function-scoped fixture
        patch.setattr(cpsat, "choose_greedily", _refuse)
        plan = solve(problem, "cpsat", **CPSAT)
    assert plan.provenance.status == "OPTIMAL"
    assert plan.shared_elements == brute_force_peak(problem)
    independent_check(problem, plan)


def _best_selection(problem):
    """Brute force: the largest weighted size of auto buffers that fits, then the lowest peak."""
    auto = [b for b in problem.planned if b.location.value == "auto" and b.size_elems]
    pinned = [b for b in problem.planned if b.location.value == "shared"]
    best = None
    for k in range(len(auto) + 1):
        for chosen in itertools.combinations(auto, k):
            sub = PlanningProblem(buffers=tuple(pinned) + chosen, shared_capacity=10 ** 6)
            peak = brute_force_peak(sub) if sub.buffers else 0
            if peak > problem.capacity_elems:
                continue
            key = (-sum(round(b.weight * 1000) * b.size_elems for b in chosen), peak)
            best = key if best is None else min(best, key)
    return best


@settings(max_examples=20, deadline=None)
@given(problems(max_buffers=5, max_size=12, locations=("auto", "auto", "shared", "local"),
                capacity=st.integers(0, 30)))
def test_lexicographic_objective_matches_brute_force(problem):
    try:
        plan = solve(problem, "cpsat", **CPSAT)
    except InfeasibleError:
        assert _best_selection(problem) is None
        return
    shared = {b.name for b in plan.buffers if b.placement is Placement.SHARED}
    weight = sum(round(b.weight * 1000) * b.size_elems for b in problem.planned
                 if b.location.value == "auto" and b.name in shared)
    assert (-weight, plan.shared_elements) == _best_selection(problem)
    independent_check(problem, plan)


def test_tight_packing_found_without_hint(no_greedy):
    """Three buffers that only fit the capacity in one arrangement (greedy-by-size misses it)."""
    buffers = (Buffer("c.a", 3, "shared", lifetime=((0, 2),)), Buffer("c.b", 2, "shared", lifetime=((1, 3),)),
               Buffer("c.c", 3, "shared", lifetime=((2, 4),)), Buffer("c.d", 2, "shared", lifetime=((0, 1), (3, 4))))
    problem = PlanningProblem(buffers=buffers, shared_capacity=5)
    plan = solve(problem, "cpsat", **CPSAT)
    assert plan.shared_elements == 5
    independent_check(problem, plan)


def test_falls_back_to_greedy_when_cpsat_finds_nothing(monkeypatch):
    monkeypatch.setattr(cpsat._Model, "_run", lambda self, *a, **k: (None, cp_model.UNKNOWN))
    buffers = tuple(Buffer(f"c.b{i}", 5 + i, "shared", lifetime=((i, i + 3),)) for i in range(6))
    plan = solve(PlanningProblem(buffers=buffers, shared_capacity=100), "cpsat", **CPSAT)
    greedy = solve(PlanningProblem(buffers=buffers, shared_capacity=100), "greedy")
    assert plan.provenance.status in ("GREEDY_FALLBACK", "OPTIMAL")
    assert plan.shared_elements == greedy.shared_elements


def test_no_layout_and_no_greedy_raises(monkeypatch, no_greedy):
    monkeypatch.setattr(cpsat._Model, "_run", lambda self, *a, **k: (None, cp_model.UNKNOWN))
    buffers = (Buffer("c.a", 3, "shared", lifetime=((0, 2),)), Buffer("c.b", 2, "shared", lifetime=((1, 3),)))
    with pytest.raises(InfeasibleError, match="no layout .* within 100 elements"):
        solve(PlanningProblem(buffers=buffers, shared_capacity=100), "cpsat", time_limit_s=0.3, workers=1)


def test_rebase_moves_full_lifetime_buffers_to_the_bottom():
    units = {"p": 2, "q": 3, "a": 4, "b": 1}
    offsets = {"a": 0, "p": 4, "b": 6, "q": 7}  # p and q are alive everywhere, interleaved with a and b
    moved = cpsat._rebase(offsets, {"q": 0, "p": 3}, units, 1)
    assert moved == {"q": 0, "p": 3, "a": 5, "b": 9}  # a and b close up above the stack of 5
    ends = max(moved[n] + units[n] for n in units)
    assert ends == max(offsets[n] + units[n] for n in units)


def test_persistent_buffers_stack_at_the_bottom(no_greedy):
    buffers = (Buffer("c.s1", 3, "shared", persistent=True), Buffer("c.s2", 5, "shared", persistent=True),
               Buffer("c.x", 4, "shared", lifetime=((0, 2),)), Buffer("c.y", 6, "shared", lifetime=((1, 3),)),
               Buffer("c.z", 4, "shared", lifetime=((2, 4),)))
    problem = PlanningProblem(buffers=buffers, shared_capacity=100)
    plan = solve(problem, "cpsat", **CPSAT)
    by_name = plan.by_name()
    assert plan.shared_elements == 18 and plan.provenance.status == "OPTIMAL"
    # s1, s2 and y meet every other buffer: stacked from 0, biggest first; x and z share the rest
    assert [by_name[n].offset_elems for n in ("c.y", "c.s2", "c.s1", "c.x", "c.z")] == [0, 6, 11, 14, 14]


def test_auto_part_below_the_floor_of_another_part(no_greedy):
    """A lone auto buffer whose layout ends below the plan's floor (set by another part) still plans."""
    buffers = (Buffer("c.big", 8, "shared", lifetime=((6, 7),)),
               Buffer("c.small", 2, "auto", lifetime=((0, 1), (3, 4)), weight=3.0))
    plan = solve(PlanningProblem(buffers=buffers, shared_capacity=28), "cpsat", **CPSAT)
    assert plan.by_name()["c.small"].placement is Placement.SHARED
    assert plan.shared_elements == 8 and plan.provenance.status == "OPTIMAL"
