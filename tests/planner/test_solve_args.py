"""planner.solve's arguments checked up front: the problem's type, seed and workers (ConfigurationError, not
an AttributeError or OR-Tools' TypeError from deep inside, nor a silent fallback)."""

import json
import pathlib

import numpy as np
import pytest

import planner
from planner import Buffer, ConfigurationError, PlanningProblem, solve
from planner.cpsat import plan_cpsat

from cli_helpers import PROBLEM

SMALL = PlanningProblem(buffers=(Buffer("a", 4, lifetime=((0, 2),)), Buffer("b", 4, lifetime=((1, 3),))),
                        shared_capacity=16)


@pytest.mark.parametrize("given, needle", [
    (PROBLEM, "got a dict; build one from parsed JSON with planner.PlanningProblem.from_json(data)"),
    ("problem.json", "got the path 'problem.json'; read the file with planner.load_problem(path)"),
    (pathlib.Path("problem.json"), "got the path 'problem.json'; read the file with planner.load_problem(path)"),
    (None, "got None; read a problem file with planner.load_problem(path), or build one"),
    (42, "got an object of type int; read a problem file"),
    (planner.BufferSettings(component="k", phases=(planner.Phase("run"),), buffers=(Buffer("a", 4, persistent=True),)),
     "got a BufferSettings; make one from the component with settings.to_problem("),
])
def test_solve_names_what_a_problem_is_and_how_to_get_one(given, needle):
    """A parsed JSON dict, a path or None raised "'dict' object has no attribute 'objective'"."""
    with pytest.raises(ConfigurationError) as info:
        solve(given, "greedy")
    assert str(info.value).startswith("problem: expected a PlanningProblem, ")
    assert needle in str(info.value)


def test_the_remedies_named_exist():
    """The message's advice works: load_problem and PlanningProblem.from_json give what solve takes."""
    assert solve(PlanningProblem.from_json(json.loads(json.dumps(PROBLEM))), "greedy").verify() is None
    assert callable(planner.load_problem)


BAD_SEARCH_ARGS = [
    (dict(workers=2.5), "workers: expected an integer >= 1", "got 2.5"),
    (dict(workers=0), "workers: expected an integer >= 1", "got 0"),
    (dict(workers=-3), "workers: expected an integer >= 1", "got -3"),  # fell back to greedy, silently
    (dict(workers=True), "workers: expected an integer >= 1", "got True"),
    (dict(workers="2"), "workers: expected an integer >= 1", "got '2'"),
    (dict(seed="x"), "seed: expected an integer in -2147483648..2147483647", "got 'x'"),
    (dict(seed=1.5), "seed: expected an integer", "got 1.5"),
    (dict(seed=2 ** 31), "seed: expected an integer", "got 2147483648"),  # OR-Tools' TypeError
]


@pytest.mark.parametrize("planner_name", ["cpsat", "greedy", "sequential"])
@pytest.mark.parametrize("kwargs, needle, got", BAD_SEARCH_ARGS)
def test_solve_checks_seed_and_workers_whatever_the_planner(planner_name, kwargs, needle, got):
    """workers=2.5 or seed='x' raised OR-Tools' TypeError, and only on problems CP-SAT searched."""
    with pytest.raises(ConfigurationError) as info:
        solve(SMALL, planner_name, time_limit_s=2, **kwargs)
    assert needle in str(info.value) and got in str(info.value)


@pytest.mark.parametrize("kwargs, needle, got", BAD_SEARCH_ARGS)
def test_plan_cpsat_checks_seed_and_workers(kwargs, needle, got):
    with pytest.raises(ConfigurationError, match=needle):
        plan_cpsat(SMALL, time_limit_s=2, **kwargs)


def test_good_seed_and_workers_are_taken_numpy_integers_included():
    for kwargs in (dict(seed=-1, workers=2), dict(seed=np.int64(7), workers=np.int32(1))):
        assert solve(SMALL, "cpsat", time_limit_s=2, **kwargs).shared_elements == 8
