"""Fixtures of the planner tests."""

import pytest

from cli_helpers import PLANNERS, PROBLEM, run, write_json


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A folder with problem.json and, for each planner, plan-<planner>.json and the printed table."""
    root = tmp_path_factory.mktemp("cli")
    write_json(root / "problem.json", PROBLEM)
    printed = {}
    for name in PLANNERS:
        limit = ["--time-limit", 5] if name == "cpsat" else []  # the others do not read it (and note that)
        res = run("plan", root / "problem.json", "--planner", name, *limit, "--json", root / f"plan-{name}.json")
        assert res.returncode == 0, res.stderr
        assert res.stderr == ""
        printed[name] = res.stdout
    return root, printed
