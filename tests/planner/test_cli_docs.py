"""docs/cli.md's examples are the command line's real output (a user's trial, 2026-12-07: the ``planner explain``
example gave step costs 24 vs 30 and a throughput of 0.0333 where the command prints 51 vs 66 and 0.0152)."""

import json
import pathlib
import re

import pytest

from cli_helpers import run

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _example_problem():
    """The PlanningProblem of the docs' Inputs section (the first JSON block)."""
    text = DOCS.read_text()
    return json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))


def _documented_output(command):
    """The lines the docs show after ``$ COMMAND``, up to the next ``$`` line or the block's end."""
    block = re.search(rf"^\$ {re.escape(command)}\n(.*?)(?=^\$ |^```)", DOCS.read_text(), re.S | re.M).group(1)
    return block.rstrip("\n").splitlines()


def _timeless(lines):
    """The lines with every time in seconds as ``T s``: they differ from run to run."""
    return [re.sub(r"\d+\.\d+ s\b", "T s", line) for line in lines]


@pytest.mark.parametrize("command", ["planner plan problem.json --json plan.json",
                                     "planner explain plan.json --problem problem.json"])
def test_the_documented_output_is_the_real_one(tmp_path, command):
    (tmp_path / "problem.json").write_text(json.dumps(_example_problem()))
    planned = run("plan", "problem.json", "--json", "plan.json", cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    result = planned if command.startswith("planner plan") else run(*command.split()[1:], cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert _timeless(result.stdout.rstrip("\n").splitlines()) == _timeless(_documented_output(command))
