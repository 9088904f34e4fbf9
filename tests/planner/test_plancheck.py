"""A plan's provenance is checked too: a status no planner gives and a lower bound above an exact plan's own
peak were accepted by Plan.from_json and Plan.verify (a user's trial, 2026-12-05)."""

import copy

import pytest

from planner import Buffer, ConfigurationError, Plan, PlanError, PlanningProblem, solve


def _problem():
    return PlanningProblem((Buffer("k.a", 4, "shared", lifetime=((0, 2),)),
                            Buffer("k.b", 3, "shared", lifetime=((1, 3),))), block_size=32)


@pytest.mark.parametrize("planner", ["cpsat", "greedy"])
def test_a_lower_bound_above_the_peak_is_refused(planner):
    problem = _problem()
    data = copy.deepcopy(solve(problem, planner).to_json())
    data["provenance"]["lower_bound"] = 9999
    plan = Plan.from_json(data)
    with pytest.raises(PlanError, match=r"provenance: lower_bound 9999 is above the plan's shared peak of 7") as info:
        plan.verify(problem)
    assert info.value.rule == "provenance"
    with pytest.raises(PlanError, match="provenance"):
        plan.verify()


def test_an_unknown_status_is_refused():
    data = copy.deepcopy(solve(_problem(), "greedy").to_json())
    data["provenance"]["status"] = "WHATEVER"
    with pytest.raises(ConfigurationError, match=r"provenance status: expected one of OPTIMAL, FEASIBLE, "
                                                 r"GREEDY_FALLBACK, AUTO_TIME_LIMIT, got 'WHATEVER'"):
        Plan.from_json(data)


@pytest.mark.parametrize("precision", ["banana", 64, "int8", ["float32"]])
def test_an_unknown_plan_precision_is_refused_when_read(precision):
    """Accepted by Plan.from_json and refused only by verify (a user's trial, 2026-12-05)."""
    data = copy.deepcopy(solve(_problem(), "greedy").to_json())
    data["precision"] = precision
    with pytest.raises(ConfigurationError, match=r"plan: precision: expected one of \['float16', 'float32', "
                                                 r"'float64'\], got " + repr(precision).replace("[", r"\[")):
        Plan.from_json(data)


def test_the_plans_the_planners_give_pass():
    problem = _problem()
    for planner in ("cpsat", "greedy", "sequential"):
        plan = Plan.from_json(solve(problem, planner).to_json())
        plan.verify(problem)
        assert plan.provenance.lower_bound <= plan.shared_elements
