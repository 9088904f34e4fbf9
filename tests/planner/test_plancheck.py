"""A plan's provenance is checked too: a status no planner gives and a lower bound above an exact plan's own
peak were accepted by Plan.from_json and Plan.verify (a user's trial, 2026-12-05)."""

import copy
import dataclasses
import json
import re

import pytest
from cli_helpers import PROBLEM, run, write_json

from planner import PRESETS, Buffer, ConfigurationError, Plan, PlanError, PlanningProblem, load_plan, solve
from planner.device import without_shared_limit


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
    """A status string no planner gives is the rule provenance of verify, as docs/cli.md says (Plan.from_json
    refused it as malformed JSON, the CLI's exit 2, until 2026-12-06: a user's trial)."""
    data = copy.deepcopy(solve(_problem(), "greedy").to_json())
    data["provenance"]["status"] = "WHATEVER"
    plan = Plan.from_json(data)
    for against in (_problem(), None):
        with pytest.raises(PlanError, match=r"provenance: status 'WHATEVER' is not one a planner gives; expected one "
                                            r"of OPTIMAL, FEASIBLE, GREEDY_FALLBACK, AUTO_TIME_LIMIT") as info:
            plan.verify(against)
        assert info.value.rule == "provenance"


@pytest.mark.parametrize("status", [7, None, ["OPTIMAL"]])
def test_a_status_that_is_not_a_string_is_bad_input(status):
    data = copy.deepcopy(solve(_problem(), "greedy").to_json())
    data["provenance"]["status"] = status
    with pytest.raises(ConfigurationError, match=r"plan: provenance status: expected a string, one of OPTIMAL, "):
        Plan.from_json(data)


def test_verify_fails_an_unknown_status_as_rule_provenance(tmp_path):
    """The trial's command: `planner verify t_status.json --problem g20.json` exited 2, "malformed plan JSON"."""
    problem = write_json(tmp_path / "p.json", _problem().to_json())
    data = copy.deepcopy(solve(_problem(), "greedy").to_json())
    data["provenance"]["status"] = "INFEASIBLE"
    plan = write_json(tmp_path / "plan.json", data)
    res = run("verify", plan, "--problem", problem)
    assert res.returncode == 1, res.stderr
    assert res.stdout.startswith("FAILED: rule provenance: status 'INFEASIBLE' is not one a planner gives")
    res = run("show", plan, "--out", tmp_path / "plan.svg")
    assert res.returncode == 1 and "the plan fails rule provenance" in res.stderr


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


def _pinned_tiny():
    """tiny.12.csv of the trial: four buffers of 4, peak 12."""
    lifetimes = ((0, 2), (1, 3), (2, 4), (0, 4))
    return PlanningProblem(tuple(Buffer(f"b{i}", 4, "shared", lifetime=(lt,)) for i, lt in enumerate(lifetimes)),
                           device=without_shared_limit("h100"), shared_capacity=12, block_size=1)


@pytest.mark.parametrize("status", ["OPTIMAL", "AUTO_TIME_LIMIT"])
@pytest.mark.parametrize("bound", [0, 11])
def test_a_bound_lowered_under_an_optimal_peak_is_refused(status, bound):
    """An OPTIMAL plan's lower_bound edited to 0 verified OK (a user's trial, 2026-12-05): a proven-optimal peak
    is its own bound, under "min-peak" and, since then, under "fit" (below)."""
    problem = _pinned_tiny()
    data = copy.deepcopy(solve(problem, "cpsat", goal="fit").to_json())
    assert data["provenance"]["status"] == "OPTIMAL" and data["provenance"]["lower_bound"] == 12
    data["provenance"].update(status=status, lower_bound=bound)
    plan = Plan.from_json(data)
    for against in (problem, None):
        with pytest.raises(PlanError, match=rf"provenance: lower_bound {bound} is below the plan's shared peak of 12 "
                                            rf"elements, but its status {status} says that peak is proven optimal"):
            plan.verify(against)


@pytest.mark.parametrize("status", ["FEASIBLE", "GREEDY_FALLBACK"])
def test_a_plan_not_proven_optimal_keeps_a_bound_below_its_peak(status):
    problem = _pinned_tiny()
    data = copy.deepcopy(solve(problem, "cpsat").to_json())
    data["provenance"].update(status=status, lower_bound=10)
    Plan.from_json(data).verify(problem)


def test_a_fit_plan_is_optimal_only_where_its_peak_meets_its_bound():
    """Under "fit", CP-SAT's proof that the most weight went shared was reported OPTIMAL with a bound of 0 under a
    peak of 5: no proof about the peak, which the verify rule above would refuse. Now FEASIBLE."""
    problem = PlanningProblem((Buffer("b0", 5, "auto", lifetime=((5, 7),)), Buffer("b1", 5, "auto", lifetime=((2, 6),)),
                               Buffer("b2", 3, "local", lifetime=((6, 8),), weight=2.5)),
                              device=without_shared_limit("h100"), shared_capacity=7, block_size=1)
    fit = solve(problem, "cpsat", goal="fit", workers=1)
    assert (fit.shared_elements, fit.provenance.lower_bound, fit.provenance.status) == (5, 0, "FEASIBLE")
    low = solve(problem, "cpsat", goal="min-peak", workers=1)
    assert (low.shared_elements, low.provenance.lower_bound, low.provenance.status) == (5, 5, "OPTIMAL")
    for plan in (fit, low):
        Plan.from_json(plan.to_json()).verify(problem)


def test_verify_of_an_optimal_plan_with_its_bound_lowered_fails_on_the_command_line(tmp_path):
    problem = tmp_path / "tiny.12.csv"
    problem.write_text("id,lower,upper,size\n0,0,2,4\n1,1,3,4\n2,2,4,4\n3,0,4,4\n")
    made = run("plan", problem, "--json", tmp_path / "plan.json")
    assert made.returncode == 0, made.stderr
    data = json.loads((tmp_path / "plan.json").read_text())
    data["provenance"]["lower_bound"] = 0
    write_json(tmp_path / "edited.json", data)
    checked = run("verify", tmp_path / "edited.json", "--problem", problem)
    assert checked.returncode == 1
    assert checked.stdout.startswith("FAILED: rule provenance: lower_bound 0 is below the plan's shared peak of 12")


def test_a_fit_plan_saved_before_the_goal_was_recorded_still_verifies():
    """A regression hunt (2026-12-05): cpsat's fit plans said OPTIMAL with their proven bound below the peak before
    that day, and the proven-peak rule refused every one of them as edited by hand; plans now record their goal,
    and only those are held to the rule."""
    problem = PlanningProblem.from_json({
        "precision": "float32", "block_size": 64, "device": "h100", "shared_capacity": 16,
        "buffers": [{"name": "b0", "size": 5, "lifetime": [[8, 9]], "weight": 0.5},
                    {"name": "b1", "size": 4, "lifetime": [[1, 9]]},
                    {"name": "b2", "size": 8, "lifetime": [[6, 10]]},
                    {"name": "b3", "size": 4, "lifetime": [[6, 8]], "location": "shared"}]})
    plan = solve(problem, "cpsat", goal="fit")
    data = plan.to_json()
    assert data["provenance"]["goal"] == "fit" and plan.provenance.lower_bound < plan.shared_elements
    data["provenance"]["status"] = "OPTIMAL"  # what the old code wrote for this problem, without a goal
    with pytest.raises(PlanError, match="provenance"):
        Plan.from_json(data).verify(problem)
    del data["provenance"]["goal"]
    Plan.from_json(data).verify(problem)


@pytest.mark.parametrize("planner, goal", [("cpsat", "banana"), ("cpsat", 5), ("greedy", "fit")])
def test_a_goal_no_planner_records_is_refused(planner, goal):
    """A regression hunt (2026-12-05): a goal of "banana", 5, or on a greedy plan loaded and verified, each a plan
    of its own digest."""
    problem = PlanningProblem((Buffer("k.a", 4, "shared", lifetime=((0, 2),)),
                               Buffer("k.b", 3, "shared", lifetime=((1, 3),))), block_size=32)
    data = copy.deepcopy(solve(problem, planner).to_json())
    data["provenance"]["goal"] = goal
    words = ("only cpsat records a goal, one of min-peak, fit" if planner == "greedy" else
             f"goal {goal!r}: expected one of min-peak, fit")
    with pytest.raises(PlanError, match=r"provenance.*" + re.escape(words)):
        Plan.from_json(data).verify(problem)


def _with_total_raised(problem):
    """The JSON of problem's cpsat plan (OPTIMAL, min-peak) with ``totals.shared_elements`` raised by 2 by hand."""
    data = copy.deepcopy(solve(problem, "cpsat").to_json())
    assert (data["provenance"]["status"], data["provenance"]["goal"]) == ("OPTIMAL", "min-peak")
    data["totals"]["shared_elements"] += 2
    return data


def test_a_hand_edited_shared_total_is_blamed_on_the_totals_not_the_bound():
    """A user's trial: ``planner verify`` of a plan with its shared_elements raised by 2 said "rule provenance:
    lower_bound 7 is below the plan's shared peak of 9", taking the edited total for the peak the buffers give."""
    problem = _problem()
    plan = Plan.from_json(_with_total_raised(problem))
    for against in (problem, None):
        with pytest.raises(PlanError, match=r"^totals: shared_elements is 9, the buffers give 7$") as info:
            plan.verify(against)
        assert info.value.rule == "totals"


def test_a_hand_edited_shared_total_fails_verify_on_the_command_line_as_totals(tmp_path):
    problem = _problem()
    write_json(tmp_path / "problem.json", problem.to_json())
    write_json(tmp_path / "edited.json", _with_total_raised(problem))
    checked = run("verify", tmp_path / "edited.json", "--problem", tmp_path / "problem.json")
    assert checked.returncode == 1
    assert checked.stdout.startswith("FAILED: rule totals: shared_elements is 9, the buffers give 7"), checked.stdout


_TAMPERED = {  # provenance edits of a user's trial (2026-12-06): each passed ``planner verify`` or failed it as rule 1
    "planner-magic": ({"planner": "magic"}, "provenance planner: expected one of cpsat, greedy, sequential, got 'magic'"),
    "planner-int": ({"planner": 7}, "provenance planner: expected one of cpsat, greedy, sequential, got 7"),
    "negative-seconds": ({"solve_seconds": -5.0}, "provenance solve_seconds: expected a number of seconds >= 0, "
                                                  "got -5.0"),
    "string-seconds": ({"solve_seconds": "1"}, "provenance solve_seconds: expected a number of seconds >= 0"),
    "null-seconds": ({"solve_seconds": None}, "provenance solve_seconds: expected a number of seconds >= 0"),
    "negative-total": ({"total_seconds": -1.0}, "provenance total_seconds: expected a number of seconds >= 0"),
    "nan-verify-time": ({"verify_seconds": float("nan")}, "provenance verify_seconds: expected a number of seconds"),
    "hash-int": ({"input_hash": 12}, "provenance input_hash: expected a string"),
    "bound-string": ({"lower_bound": "0"}, "provenance lower_bound: expected an integer >= 0 (elements), got '0'"),
    "bound-null": ({"lower_bound": None}, "provenance lower_bound: expected an integer >= 0 (elements), got None"),
    "bound-nan": ({"lower_bound": float("nan")}, "provenance lower_bound: expected an integer >= 0"),
}


@pytest.mark.parametrize("case", sorted(_TAMPERED))
def test_a_provenance_field_no_planner_writes_is_bad_input(case):
    edit, words = _TAMPERED[case]
    data = copy.deepcopy(solve(_problem(), "cpsat").to_json())
    data["provenance"].update(edit)
    with pytest.raises(ConfigurationError, match=re.escape(words)):
        Plan.from_json(data)


def test_an_unknown_planner_beside_a_goal_is_named_as_the_planner():
    """With the goal kept, planner "magic" was reported as "goal 'min-peak' of a magic plan"."""
    problem = _problem()
    plan = solve(problem, "cpsat")
    data = copy.deepcopy(plan.to_json())
    data["provenance"]["planner"] = "magic"
    with pytest.raises(ConfigurationError, match="provenance planner: expected one of cpsat, greedy, sequential"):
        Plan.from_json(data)
    made = dataclasses.replace(plan, provenance=dataclasses.replace(plan.provenance, planner="magic"))
    with pytest.raises(PlanError, match=r"^provenance: planner 'magic' is not one the package has; expected one of "
                                        r"cpsat, greedy, sequential"):
        made.verify(problem)


@pytest.mark.parametrize("case", ["planner-magic", "negative-seconds", "hash-int", "bound-string"])
def test_tampered_provenance_exits_2_on_the_command_line(tmp_path, case):
    """Every wrongly typed field of a plan is bad input (exit 2, one line): a string lower_bound exited 1 as
    "FAILED: rule provenance", and the others printed OK."""
    problem = _problem()
    write_json(tmp_path / "problem.json", problem.to_json())
    data = copy.deepcopy(solve(problem, "greedy").to_json())
    data["provenance"].update(_TAMPERED[case][0])
    write_json(tmp_path / "edited.json", data)
    checked = run("verify", tmp_path / "edited.json", "--problem", tmp_path / "problem.json")
    assert (checked.returncode, checked.stdout) == (2, ""), checked.stdout
    assert checked.stderr.startswith("planner: error: plan: " + _TAMPERED[case][1]), checked.stderr


@pytest.mark.parametrize("lifetime", [[0, 2], "0-2", [[0, 2], 3]])
def test_a_flat_lifetime_names_its_buffer_and_the_form(lifetime):
    """``"lifetime": [0, 1]`` said "malformed plan JSON (TypeError: 'int' object is not iterable)", no buffer named."""
    data = copy.deepcopy(solve(_problem(), "greedy").to_json())
    data["buffers"][1]["lifetime"] = lifetime
    with pytest.raises(ConfigurationError, match=re.escape(
            f"plan: buffer 'k.b' (buffers[1]) lifetime: expected a list of [start, end) pairs, like [[0, 4]], "
            f"got {lifetime!r}")):
        Plan.from_json(data)


def test_overlapping_lifetime_intervals_are_written_half_open():
    """The bounds rule wrote ``[0, 2] and [1, 3]``; intervals are half-open everywhere else."""
    data = copy.deepcopy(solve(_problem(), "greedy").to_json())
    data["buffers"][1]["lifetime"] = [[0, 2], [1, 3]]
    with pytest.raises(PlanError, match=re.escape("k.b has lifetime intervals [0, 2) and [1, 3), which overlap")):
        Plan.from_json(data).verify()


def test_a_problem_given_as_a_plan_dict_is_named_as_a_problem_as_its_file_is(tmp_path):
    """json.load of a problem file passed as a plan said "malformed plan JSON: the plan: unknown key(s) ['device',
    'min_blocks_per_sm', 'objective']", where planner.load_plan of the file said it is a problem and how to plan it
    (a user's trial): both now give the one wording."""
    reason = "(its buffers have no placements, and it has no 'totals' or 'provenance'), not a plan; make a plan of it"
    with pytest.raises(ConfigurationError) as from_dict:
        Plan.from_json(json.loads(json.dumps(PROBLEM)))
    assert str(from_dict.value).startswith(f"plan: the object given is a problem {reason} with planner.solve("
                                           "planner.PlanningProblem.from_json(data))")
    path = write_json(tmp_path / "problem.json", PROBLEM)
    with pytest.raises(ConfigurationError, match=re.escape(f"{path} is a problem {reason} with 'planner plan ")):
        load_plan(path)
    with pytest.raises(ConfigurationError, match=re.escape("is a problem (it has the problem's key(s) ['device', "
                                                           "'objective'] and no 'totals' or 'provenance')")):
        Plan.from_json({"device": "h100", "objective": "auto", "buffers": []})
    with pytest.raises(ConfigurationError, match=re.escape("malformed plan JSON: the plan: missing key(s)")):
        Plan.from_json({"buffers": []})  # no sign of a problem: a malformed plan, as before


def _misspelt(data, key, typo):
    """``data`` (a JSON object) with ``key`` spelt ``typo``."""
    data = dict(data)
    data[typo] = data.pop(key)
    return data


_DEVICE = PRESETS["h100"].to_json()
_PLAN = solve(_problem(), "greedy").to_json()


@pytest.mark.parametrize("read, data, words", [
    (PlanningProblem.from_json, _misspelt(PROBLEM, "device", "devic"),
     "problem: unknown key(s) ['devic'] (did you mean 'device'?); allowed: ['block_size', "),
    (PlanningProblem.from_json, _misspelt(dict(PROBLEM, objective="auto"), "objective", "objectiv") | {"devic": 1},
     "problem: unknown key(s) ['devic', 'objectiv'] (did you mean 'device' for 'devic', 'objective' for "
     "'objectiv'?); allowed: "),
    (PlanningProblem.from_json, dict(PROBLEM, colour=1), "problem: unknown key(s) ['colour']; allowed: "),
    (PlanningProblem.from_json, dict(PROBLEM, buffers=[_misspelt(PROBLEM["buffers"][0], "lifetime", "lifetme")]),
     "buffers[0]: unknown key(s) ['lifetme'] (did you mean 'lifetime'?); allowed: "),
    (PlanningProblem.from_json, dict(PROBLEM, device=_misspelt(_DEVICE, "multiprocessors", "multiprocesors")),
     "device: unknown key(s) ['multiprocesors'] (did you mean 'multiprocessors'?); allowed: "),
    (Plan.from_json, _misspelt(_PLAN, "provenance", "provenence"),
     "plan: malformed plan JSON: the plan: unknown key(s) ['provenence'] (did you mean 'provenance'?); allowed: "),
    (Plan.from_json, dict(_PLAN, buffers=[_misspelt(_PLAN["buffers"][0], "placement", "placment")]),
     "plan: malformed plan JSON: buffers[0]: unknown key(s) ['placment'] (did you mean 'placement'?); allowed: "),
])
def test_a_misspelt_json_key_is_told_the_key_it_meant(read, data, words):
    """A problem file's 'devic' got "unknown key(s) ['devic']; allowed: [...]" with no suggestion, where a misspelt
    keyword of kernels.solve_ivp gets one (a user's trial): problems, their buffers and devices, and plans now say
    which key was meant (one wording, planner.wording.unknown_keys)."""
    with pytest.raises(ConfigurationError) as info:
        read(data)
    assert str(info.value).startswith(words)


def test_a_misspelt_problem_key_is_told_on_the_command_line(tmp_path):
    res = run("plan", write_json(tmp_path / "p.json", _misspelt(PROBLEM, "device", "devic")), "--json",
              tmp_path / "plan.json")
    assert res.returncode == 2 and "unknown key(s) ['devic'] (did you mean 'device'?)" in res.stderr
