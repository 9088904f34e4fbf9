"""CP-SAT planner internals: the search paths the greedy hint usually short-cuts, and fallbacks."""

import dataclasses
import itertools
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

import planner.cpsat as cpsat
from planner import Buffer, InfeasibleError, Placement, PlanningProblem, live_peak, report, solve
from planner.errors import LocalMemoryError
from planner.csvio import load_minimalloc_csv
from planner.errors import InfeasibleError as _Infeasible
from planner.device import without_shared_limit

from test_planners import CPSAT, brute_force_peak, independent_check, problems

CHALLENGING = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "minimalloc-challenging"


#: Capacities here are abstract (elements, not a GPU block's bytes): a device without a shared limit.
UNLIMITED = without_shared_limit("h100")


def _refuse(*_, **__):
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
            chosen = tuple(pinned) + chosen  # an empty problem is refused: its peak is 0
            peak = brute_force_peak(PlanningProblem(buffers=chosen, device=UNLIMITED,
                                                    shared_capacity=10 ** 6)) if chosen else 0
            if peak > problem.capacity_elems:
                continue
            key = (-sum(round(b.weight * 1000) * b.size_elems for b in chosen if b.location.value == "auto"), peak)
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
    problem = PlanningProblem(buffers=buffers, device=UNLIMITED, shared_capacity=5)
    plan = solve(problem, "cpsat", **CPSAT)
    assert plan.shared_elements == 5
    independent_check(problem, plan)


def test_falls_back_to_greedy_when_cpsat_finds_nothing(monkeypatch):
    monkeypatch.setattr(cpsat._Model, "_run", lambda self, *a, **k: (None, cp_model.UNKNOWN))
    buffers = tuple(Buffer(f"c.b{i}", 5 + i, "shared", lifetime=((i, i + 3),)) for i in range(6))
    plan = solve(PlanningProblem(buffers=buffers, device=UNLIMITED, shared_capacity=100), "cpsat", **CPSAT)
    greedy = solve(PlanningProblem(buffers=buffers, device=UNLIMITED, shared_capacity=100), "greedy")
    assert plan.provenance.status in ("GREEDY_FALLBACK", "OPTIMAL")
    assert plan.shared_elements == greedy.shared_elements


def _choosing():
    """Auto buffers alive together beside a pinned one, more than the capacity holds: a choice to make."""
    buffers = (Buffer("c.pin", 2, "shared", lifetime=((0, 6),)),) + tuple(
        Buffer(f"c.a{i}", 3 + i % 3, lifetime=((i, i + 4),), weight=1.0 + i) for i in range(6))
    return PlanningProblem(buffers=buffers, device=UNLIMITED, shared_capacity=9)


def test_fallback_is_greedys_plan_and_claims_no_proof(monkeypatch):
    monkeypatch.setattr(cpsat._Model, "_run", lambda self, *a, **k: (None, cp_model.UNKNOWN))
    problem = _choosing()
    plan, greedy = solve(problem, "cpsat", **CPSAT), solve(problem, "greedy")
    assert plan.provenance.status == "GREEDY_FALLBACK"
    assert plan.buffers == greedy.buffers and plan.shared_elements == greedy.shared_elements
    assert plan.provenance.lower_bound == 2 < plan.shared_elements  # the pinned buffer's size: all that is proven
    assert "gap 0 elements" not in report.plan_totals(plan)


def test_a_search_cut_short_below_greedy_returns_greedys_layout(monkeypatch):
    problem = _choosing()

    def pinned_only(self, model, auto, deadline, budget):  # a CP-SAT incumbent that keeps every auto buffer local
        return {"c.pin": 0}, "FEASIBLE", 2, 1

    monkeypatch.setattr(cpsat._Part, "_search", pinned_only)
    plan, greedy = solve(problem, "cpsat", **CPSAT), solve(problem, "greedy")
    assert plan.provenance.status == "FEASIBLE" and plan.buffers == greedy.buffers
    assert plan.provenance.lower_bound == 2


def test_large_weights_plan_by_ratio_and_oversize_buffers_stay_local():
    # weights count relative to the largest (test_cpsat_weights.py): 1e17 no longer passes CP-SAT's integers
    big = PlanningProblem((Buffer("c.a", 4, lifetime=((0, 2),), weight=1e17), Buffer("c.b", 4, lifetime=((1, 3),))))
    assert {b.placement for b in solve(big, "cpsat", **CPSAT).buffers} == {Placement.SHARED}
    huge = PlanningProblem((Buffer("c.a", 10 ** 17, lifetime=((0, 2),)), Buffer("c.b", 4, lifetime=((1, 3),))))
    with pytest.raises(LocalMemoryError):  # as greedy's: it stays local, past CUDA's local memory
        solve(huge, "cpsat", **CPSAT)
    wide = PlanningProblem((Buffer("c.a", 10 ** 4, lifetime=((0, 2),)), Buffer("c.b", 4, lifetime=((1, 3),))),
                           device=UNLIMITED, shared_capacity=100)
    assert solve(wide, "cpsat", **CPSAT).by_name()["c.a"].placement is Placement.LOCAL


def test_no_layout_and_no_greedy_raises(monkeypatch, no_greedy):
    monkeypatch.setattr(cpsat._Model, "_run", lambda self, *a, **k: (None, cp_model.UNKNOWN))
    buffers = (Buffer("c.a", 3, "shared", lifetime=((0, 2),)), Buffer("c.b", 2, "shared", lifetime=((1, 3),)))
    with pytest.raises(InfeasibleError, match="no layout .* within 100 elements"):
        solve(PlanningProblem(buffers=buffers, device=UNLIMITED, shared_capacity=100), "cpsat", time_limit_s=0.3,
              workers=1)


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
    problem = PlanningProblem(buffers=buffers, device=UNLIMITED, shared_capacity=100)
    plan = solve(problem, "cpsat", **CPSAT)
    by_name = plan.by_name()
    assert plan.shared_elements == 18 and plan.provenance.status == "OPTIMAL"
    # s1, s2 and y meet every other buffer: stacked from 0, biggest first; x and z share the rest
    assert [by_name[n].offset_elems for n in ("c.y", "c.s2", "c.s1", "c.x", "c.z")] == [0, 6, 11, 14, 14]


def test_auto_part_below_the_floor_of_another_part(no_greedy):
    """A lone auto buffer whose layout ends below the plan's floor (set by another part) still plans."""
    buffers = (Buffer("c.big", 8, "shared", lifetime=((6, 7),)),
               Buffer("c.small", 2, "auto", lifetime=((0, 1), (3, 4)), weight=3.0))
    plan = solve(PlanningProblem(buffers=buffers, device=UNLIMITED, shared_capacity=28), "cpsat", **CPSAT)
    assert plan.by_name()["c.small"].placement is Placement.SHARED
    assert plan.shared_elements == 8 and plan.provenance.status == "OPTIMAL"


def _first_fit_runs(patch):
    """Record the keyword arguments of every race run for a first fit (FIRST_FIT_* schedules)."""
    calls, race = [], cpsat._Model.race

    def spy(self, upper, budget, seed, workers, **kwargs):
        calls.append(kwargs)
        return race(self, upper, budget, seed, workers, **kwargs)

    patch.setattr(cpsat._Model, "race", spy)
    return calls


@settings(max_examples=25, deadline=None)
@given(problems(max_buffers=6, max_size=12), st.integers(-2, 3))
def test_fit_goal_finds_a_layout_exactly_when_brute_force_does(problem, slack):
    """Capacity at, above and below the optimum: a fit is found and verifies, or none exists.

    At the optimum the first-fit search follows the TIGHT schedule when the live
    peak is the optimum and the ROOMY one when it lies below; above, ROOMY.
    """
    best = brute_force_peak(problem)
    capacity = max(best + slack, 0)
    problem = dataclasses.replace(problem, shared_capacity=capacity)
    live = live_peak(problem, [b.name for b in problem.planned])
    with pytest.MonkeyPatch.context() as patch:  # hypothesis cannot share a function-scoped fixture
        patch.setattr(cpsat, "choose_greedily", _refuse)
        calls = _first_fit_runs(patch)
        if capacity < best:
            with pytest.raises(InfeasibleError):
                solve(problem, "cpsat", goal="fit", **CPSAT)
            return
        plan = solve(problem, "cpsat", goal="fit", **CPSAT)
    assert plan.shared_elements <= capacity
    independent_check(problem, plan)
    expected = cpsat.FIRST_FIT_ROOMY if live < capacity else cpsat.FIRST_FIT_TIGHT
    assert all(call == expected for call in calls if "slices" in call)


def test_first_fit_runs_are_limited_in_deterministic_time(monkeypatch, no_greedy):
    """Every fixed-search run of the first-fit race has a deterministic-time limit: load cannot change the plan."""
    runs, run = [], cpsat._Model._run

    def spy(self, budget, seed, workers, fixed=False, work=None, presolve=True):
        runs.append((fixed, work))
        return run(self, budget, seed, workers, fixed, work, presolve)

    monkeypatch.setattr(cpsat._Model, "_run", spy)
    buffers = (Buffer("c.a", 3, "shared", lifetime=((0, 2),)), Buffer("c.b", 2, "shared", lifetime=((1, 3),)),
               Buffer("c.c", 3, "shared", lifetime=((2, 4),)), Buffer("c.d", 2, "shared", lifetime=((0, 1), (3, 4))))
    plan = solve(PlanningProblem(buffers=buffers, device=UNLIMITED, shared_capacity=5), "cpsat", goal="fit", **CPSAT)
    assert plan.shared_elements == 5
    assert runs and all(fixed and work is not None for fixed, work in runs)


def test_tie_order_start_is_earliest_first_then_biggest(no_greedy):
    buffers = (Buffer("c.late", 9, "shared", lifetime=((3, 5),)), Buffer("c.small", 1, "shared", lifetime=((0, 4),)),
               Buffer("c.big", 4, "shared", lifetime=((0, 2),)), Buffer("c.mid", 2, "shared", lifetime=((1, 6),)))
    problem = PlanningProblem(buffers=buffers, device=UNLIMITED, shared_capacity=100)
    names = [b.name for b in buffers]
    facts = {"sizes": problem.by_name(), "lifetimes": cpsat._lifetimes(problem), "floor": 0,
             "degree": lambda n: 0, "goal": "fit"}
    model = cpsat._Model(problem, names, set(names), facts, float("inf"))
    assert model.tie_order("start") == ["c.big", "c.small", "c.mid", "c.late"]


@pytest.mark.parametrize("instance", ["B", "J"])  # the TIGHT and the ROOMY first-fit schedule
def test_minimalloc_instance_fits_at_defaults_with_one_plan(instance):
    problem = load_minimalloc_csv(CHALLENGING / f"{instance}.1048576.csv")
    plans = [solve(problem, "cpsat", goal="fit") for _ in range(2)]
    assert all(plan.shared_elements <= problem.capacity_elems for plan in plans)
    assert plans[0].digest == plans[1].digest
    _no_overlap(problem, plans[0])


def _no_overlap(problem, plan):
    """Pairwise, vectorised: buffers alive together have disjoint address ranges (CSV lifetimes: one interval)."""
    placed = plan.by_name()
    rows = [(start, end, placed[b.name].offset_elems, b.size_elems) for b in problem.planned
            for start, end in b.lifetime]
    lo, hi, off, size = (np.array(column, dtype=np.int64) for column in zip(*rows))
    alive_together = (lo[:, None] < hi[None, :]) & (lo[None, :] < hi[:, None])
    apart = (off[:, None] + size[:, None] <= off[None, :]) | (off[None, :] + size[None, :] <= off[:, None])
    np.fill_diagonal(alive_together, False)
    assert not (alive_together & ~apart & (size[:, None] > 0) & (size[None, :] > 0)).any()
    assert (off + size).max() == plan.shared_elements
