"""``--objective`` and ``--max-registers`` on the command line: the problem's objective overridden as its block size
is, and the ``auto`` objective planned for the kernel's register cap as the Python API plans it (a structural
engineer's trial: the CLI refused ``--objective`` and planned every ``auto`` problem for 255 registers)."""

import json

import pytest

from cli_helpers import PROBLEM, run, write_json
from planner import ConfigurationError, PlanningProblem, solve
from planner.demo import demo_problem


def _placements(plan_json):
    return {b["name"]: (b["placement"], b["offset"]) for b in plan_json["buffers"]}


@pytest.fixture(scope="module")
def dirk(tmp_path_factory):
    """The demo's DIRK problem under the ``auto`` objective, whose greedy plan depends on the register cap."""
    root = tmp_path_factory.mktemp("overrides")
    problem = demo_problem("dirk").replace(objective="auto")
    return write_json(root / "dirk-auto.json", problem.to_json()), problem


def test_objective_overrides_the_problems_and_verify_reads_the_file(tmp_path):
    problem = write_json(tmp_path / "problem.json", PROBLEM)  # objective min-shared (the default)
    auto = write_json(tmp_path / "auto.json", dict(PROBLEM, objective="auto"))
    out, ref = tmp_path / "plan.json", tmp_path / "ref.json"
    res = run("plan", problem, "--objective", "auto", "--planner", "greedy", "--json", out)
    assert res.returncode == 0, res.stderr
    assert run("plan", auto, "--planner", "greedy", "--json", ref).returncode == 0
    plan = json.loads(out.read_text())
    assert "cost" in plan and plan["provenance"]["objective_seconds"] is not None  # planned as auto
    assert _placements(plan) == _placements(json.loads(ref.read_text()))
    # the file's problem still verifies it, with the note of another option; the same override drops the note
    plain = run("verify", out, "--problem", problem)
    assert plain.returncode == 0 and plain.stdout.startswith("OK") and "input hash differs" in plain.stdout
    same = run("verify", out, "--problem", problem, "--objective", "auto")
    assert same.returncode == 0 and same.stdout.startswith("OK") and "note" not in same.stdout
    assert run("verify", ref, "--problem", auto, "--objective", "auto").stdout.rstrip().endswith("B/block")


def test_objective_min_shared_overrides_an_auto_problem_and_compare_takes_it(tmp_path):
    auto = write_json(tmp_path / "auto.json", dict(PROBLEM, objective="auto"))
    out = tmp_path / "plan.json"
    res = run("plan", auto, "--objective", "min-shared", "--planner", "greedy", "--json", out)
    assert res.returncode == 0, res.stderr
    assert "cost" not in json.loads(out.read_text())  # min-shared records no prediction
    res = run("compare", auto, "--objective", "min-shared", "--time-limit", 5)
    assert res.returncode == 0, res.stderr
    assert [line.split()[0] for line in res.stdout.splitlines()[2:5]] == ["cpsat", "greedy", "sequential"]


def test_max_registers_gives_the_apis_plan(dirk, tmp_path):
    path, problem = dirk
    out, uncapped = tmp_path / "capped.json", tmp_path / "uncapped.json"
    res = run("plan", path, "--planner", "greedy", "--max-registers", 128, "--json", out)
    assert res.returncode == 0, res.stderr
    assert run("plan", path, "--planner", "greedy", "--json", uncapped).returncode == 0
    plan = json.loads(out.read_text())
    api = solve(problem, "greedy", max_registers=128).to_json()
    assert _placements(plan) == _placements(api)
    assert _placements(plan) != _placements(json.loads(uncapped.read_text()))  # the cap changes this plan
    assert plan["cost"]["predicted"]["register_limit"] == 128  # recorded: explain reads it
    assert json.loads(uncapped.read_text())["cost"]["predicted"]["register_limit"] == 255
    explained = run("explain", out, "--problem", path)
    assert explained.returncode == 0, explained.stderr
    assert "128 registers" in explained.stdout and "255 registers" not in explained.stdout


def test_compare_passes_max_registers(dirk):
    path, problem = dirk
    res = run("compare", path, "--max-registers", 16, "--time-limit", 5)
    assert res.returncode == 0, res.stderr
    greedy = next(line for line in res.stdout.splitlines() if line.startswith("greedy"))
    capped = solve(problem, "greedy", max_registers=16).shared_elements
    assert greedy.split()[1] == str(capped) and capped != solve(problem, "greedy").shared_elements


@pytest.mark.parametrize("args, message", [
    (("--max-registers", 300), "--max-registers 300: expected an integer from 16 to 255, the registers a thread "
                               "may have on h100; give a cap in that range"),
    (("--max-registers", 15), "--max-registers 15: expected an integer from 16 to 255"),
    (("--max-registers", "12.5"), "argument --max-registers: expected an integer number of registers a thread"),
    (("--objective", "fast"), "argument --objective: invalid choice: 'fast'"),
    (("--objective", "min-shared", "--max-registers", 128),
     "--max-registers 128: expected only with the auto objective, the one whose cost model reads the register "
     "cap; got --objective min-shared, which ignores it; drop --max-registers, or add --objective auto"),
])
def test_bad_objective_or_register_cap_is_one_line_and_writes_nothing(dirk, tmp_path, args, message):
    path, _ = dirk
    out = tmp_path / "never.json"
    res = run("plan", path, *args, "--json", out)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.startswith("planner: error: " + message), res.stderr
    assert len(res.stderr.splitlines()) == 1 and not out.exists()


def test_max_registers_beside_a_min_shared_problem_names_its_objective(tmp_path):
    problem = write_json(tmp_path / "problem.json", PROBLEM)
    for command in ("plan", "compare"):
        res = run(command, problem, "--max-registers", 64)
        assert res.returncode == 2
        assert res.stderr == ("planner: error: --max-registers 64: expected only with the auto objective, the one "
                              "whose cost model reads the register cap; got the problem's objective, min-shared, "
                              "which ignores it; drop --max-registers, or add --objective auto\n")


def test_explain_without_a_problem_refuses_objective(tmp_path):
    problem = write_json(tmp_path / "problem.json", PROBLEM)
    plan = tmp_path / "plan.json"
    assert run("plan", problem, "--planner", "greedy", "--json", plan).returncode == 0
    res = run("explain", plan, "--objective", "auto")
    assert res.returncode == 2
    assert res.stderr.startswith("planner: error: --objective changes the problem given with --problem")


@pytest.mark.parametrize("cap, message", [
    (64, "max_registers=64: expected only with the auto objective, the one whose cost model reads the register cap; "
         "got the problem's objective, min-shared, which ignores it; drop max_registers, or solve "
         "problem.replace(objective='auto')"),
    (300, "max_registers=300: expected an integer from 16 to 255, the registers a thread may have on h100; give a cap "
          "in that range, or leave it out to plan for 255"),
    (64.0, "max_registers=64.0: expected an integer from 16 to 255"),
])
def test_solve_refuses_a_register_cap_as_the_command_line_does(tmp_path, cap, message):
    """A user's trial: ``planner.solve(problem, max_registers=64)`` of a min-shared problem planned silently, where
    ``planner plan --max-registers 64`` refused; both now run the one check, each in its own terms."""
    problem = PlanningProblem.from_json(PROBLEM)  # objective min-shared
    with pytest.raises(ConfigurationError) as info:
        solve(problem, "greedy", max_registers=cap)
    assert str(info.value).startswith(message)
    if isinstance(cap, int):
        res = run("plan", write_json(tmp_path / "problem.json", PROBLEM), "--max-registers", cap)
        assert res.returncode == 2
        cli = message.replace(f"max_registers={cap}", f"--max-registers {cap}").replace(
            "drop max_registers, or solve problem.replace(objective='auto')",
            "drop --max-registers, or add --objective auto")
        assert res.stderr.startswith("planner: error: " + cli)
    capped = solve(problem.replace(objective="auto"), "greedy", max_registers=64)  # the remedy
    assert capped.cost.predicted.register_limit == 64
