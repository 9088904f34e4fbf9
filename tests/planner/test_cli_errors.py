"""Bad input to the ``planner`` command line: exit 2, one line naming what to fix, no traceback, nothing written."""

import concurrent.futures
import json
import os
import re
import subprocess
import sys

import pytest

from planner.device import without_shared_limit

from cli_helpers import CHALLENGING, PROBLEM, run, write_json


# -- bad input: exit 2, one line, no traceback, nothing written -----------------------
def _problem(**changes):
    data = json.loads(json.dumps(PROBLEM))
    data.update(changes)
    return data


def _buffer(index, **changes):
    data = _problem()
    data["buffers"][index].update(changes)
    return data


BAD_PROBLEMS = {
    "malformed-json": ('{"buffers": [', "malformed JSON: Expecting value at line 1"),
    # json's own message ends in "at": it said "starting at at line 1"
    "malformed-json-open-string": ('{"buffers": [{"name": "k', "Unterminated string starting at line 1 column 23"),
    "not-an-object": ("[]", "problem: expected a JSON object"),
    "unknown-key": (_problem(colour="red"), "unknown key(s) ['colour']"),
    "unknown-buffer-key": (_buffer(1, colour=1), "buffers[1]: unknown key(s) ['colour']"),
    "duplicate-json-key": ('{"buffers": [], "buffers": []}', "duplicate key(s) ['buffers']"),
    "negative-size": (_buffer(1, size=-4), "buffer 'k.b' size: expected an integer >= 0, got -4"),
    "fractional-size": (_buffer(1, size=2.5), "buffer 'k.b' size: expected an integer >= 0, got 2.5"),
    "string-size": (_buffer(1, size="4"), "buffer 'k.b' size: expected an integer >= 0, got '4'"),
    "duplicate-name": (_buffer(1, name="k.a"), "duplicate name 'k.a'"),
    "empty-lifetime": (_buffer(1, lifetime=[]), "buffer 'k.b' lifetime: empty"),
    "reversed-lifetime": (_buffer(1, lifetime=[[6, 2]]), "interval [6, 2) is reversed"),
    "zero-length-lifetime": (_buffer(1, lifetime=[[3, 3]]), "[3, 3) is empty"),
    "lifetime-past-int64": (_buffer(1, lifetime=[[0, 10 ** 19]]), "end 10000000000000000000 is too large"),
    "unknown-location": (_buffer(1, location="texture"), "buffer 'k.b' location: unknown value 'texture'"),
    "unknown-device": (_problem(device="tpu"), "device: unknown preset 'tpu'"),
    "unknown-precision": (_problem(precision="int8"), "unknown precision 'int8'"),
    "view-outside-parent": (_buffer(5, view_offset=7), "view [7, 9) lies outside its parent 'k.a' of size 8"),
    "infeasible-budget": (_buffer(0, size=1000), "the budget admits 907 (over by 93)"),
    # planned with the lifetime silently ignored, where BufferSettings refuses it (a user's trial, 2026-12-06)
    "persistent-with-lifetime": (_buffer(4, lifetime=[[0, 2]]), "buffers[4] 'k.p': persistent true with lifetime "
                                                                "[[0, 2]]; a persistent buffer lives the whole kernel"),
}


def assert_clean_failure(res, needle, folder, code=2):
    assert res.returncode == code, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("planner: error: ")
    assert needle in lines[0], lines[0]
    assert res.stdout == ""
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".planner-") or p.name.startswith("out")]
    assert leftovers == []


def _bad_problem_args(case, folder):
    content = BAD_PROBLEMS[case][0]
    path = folder / "problem.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return ["plan", path, "--planner", "greedy", "--json", folder / "out.json"]


@pytest.mark.parametrize("case", sorted(BAD_PROBLEMS))
def test_bad_problem_file(bad_runs, case):
    res, folder = bad_runs["problem", case]
    assert_clean_failure(res, BAD_PROBLEMS[case][1], folder)


def _ok_problem(folder):
    return write_json(folder / "problem.json", PROBLEM)


def _past_cpsat_integers():
    """Eight auto buffers of 7e16 elements, weight 9, one after the other on a device without a shared limit: past
    2^62 in CP-SAT's objective, though greedy shares them all at offset 0."""
    size = 7 * 10 ** 16
    return {"precision": "float16", "block_size": 32, "device": without_shared_limit("h100").to_json(),
            "shared_capacity": size,
            "buffers": [{"name": f"k.b{i}", "size": size, "weight": 9.0, "lifetime": [[i, i + 1]]} for i in range(8)]}


BAD_COMMANDS = {
    "missing-file": (lambda d: ["plan", d / "nope.json", "--json", d / "out.json"],
                     "cannot access", "No such file or directory"),
    "directory": (lambda d: ["plan", d, "--json", d / "out.json"], "cannot access", "directory"),
    "not-utf8": (lambda d: ["plan", _write(d / "p.json", b"\xff\xfe{}"), "--json", d / "out.json"], "not UTF-8", ""),
    "unknown-planner": (lambda d: ["plan", _ok_problem(d), "--planner", "magic", "--json", d / "out.json"],
                        "invalid choice: 'magic'", "--help"),
    "unknown-device-flag": (lambda d: ["plan", _ok_problem(d), "--device", "tpu", "--json", d / "out.json"],
                            "device: unknown preset 'tpu'", "h100"),
    "bad-block-size": (lambda d: ["plan", _ok_problem(d), "--block-size", 0, "--json", d / "out.json"],
                       "block_size: expected an integer in 1..1024, got 0", ""),
    "non-int-block-size": (lambda d: ["plan", _ok_problem(d), "--block-size", "big"], "invalid int value", ""),
    "bad-time-limit": (lambda d: ["plan", _ok_problem(d), "--time-limit", -1, "--json", d / "out.json"],
                       "--time-limit: expected a finite number of seconds > 0, got '-1'", ""),
    "unbounded-time-limit": (lambda d: ["compare", _ok_problem(d), "--time-limit", "inf"],
                             "--time-limit: expected a finite number of seconds > 0, got 'inf'", ""),
    "bad-min-blocks": (lambda d: ["plan", _ok_problem(d), "--min-blocks", 0], "min_blocks_per_sm", ""),
    "bad-capacity": (lambda d: ["plan", _ok_problem(d), "--capacity", -5], "shared_capacity", ""),
    "json-into-missing-folder": (lambda d: ["plan", _ok_problem(d), "--planner", "greedy",
                                            "--json", d / "no" / "out.json"], "cannot access", "No such file"),
    "no-command": (lambda d: [], "required", ""),
    "unknown-command": (lambda d: ["optimise"], "invalid choice: 'optimise'", ""),
    "csv-bad-row": (lambda d: ["plan", _write(d / "x.8.csv", b"id,lower,upper,size\n0,0,1,one\n"),
                               "--json", d / "out.json"], "line 2: size 'one' is not an integer", ""),
    "csv-no-capacity": (lambda d: ["plan", _write(d / "x.csv", b"id,lower,upper,size\n0,0,1,1\n")],
                        "no capacity", "--capacity"),
    "csv-over-capacity": (lambda d: ["compare", _write(d / "x.4.csv", b"id,lower,upper,size\n0,0,2,3\n1,1,3,3\n")],
                          "over by 2", ""),
    "csv-header-only": (lambda d: ["plan", _write(d / "h.8.csv", b"id,lower,upper,size\n"), "--json", d / "out.json"],
                        "h.8.csv: a header and no rows", "nothing to plan"),
    "json-no-buffers": (lambda d: ["plan", write_json(d / "p.json", {"buffers": []}), "--json", d / "out.json"],
                        "the problem has no buffers", ""),
    "capacity-1e18": (lambda d: ["plan", _write(d / "x.8.csv", b"id,lower,upper,size\n0,0,1,1\n"), "--capacity",
                                 10 ** 18, "--json", d / "out.json"], "below 10^18 (1000000000000000000)", "--capacity"),
    "capacity-2e63": (lambda d: ["compare", _ok_problem(d), "--capacity", 2 ** 63], "below 10^18", ""),
    "csv-capacity-in-name-1e18": (lambda d: ["plan", _write(d / f"x.{10 ** 18}.csv", b"id,lower,upper,size\n0,0,1,1\n")],
                                  "capacity: 1000000000000000000 is too large", ""),
    "plan-as-problem": (lambda d: ["plan", _plan_file(d), "--json", d / "out.json"],
                        "is a plan (it has 'totals' and 'provenance'), not a problem", ""),
    "problem-as-plan": (lambda d: ["verify", _ok_problem(d), "--problem", _ok_problem(d)],
                        "is a problem (its buffers have no placements", "planner plan"),
    "csv-as-plan": (lambda d: ["show", _write(d / "x.8.csv", b"id,lower,upper,size\n0,0,1,1\n"), "--out", d / "out.png"],
                    "is a MiniMalloc CSV problem, not a plan", ""),
    "compare-infeasible": (lambda d: ["compare", write_json(d / "p.json", _buffer(0, size=1000))], "over by 93", ""),
    "verify-missing-problem-flag": (lambda d: ["verify", d / "plan.json"], "--problem", ""),
    "verify-malformed-plan": (lambda d: ["verify", write_json(d / "plan.json", {"buffers": []}), "--problem",
                                         _ok_problem(d)], "malformed plan JSON", ""),
    "verify-string-offset": (lambda d: ["verify", write_json(d / "plan.json", _bad_offset_plan(d)), "--problem",
                                        _ok_problem(d)], "buffer 'k.a' offset: expected an integer, got 'x'", ""),
    "verify-missing-plan": (lambda d: ["verify", d / "nope.json", "--problem", _ok_problem(d)], "cannot access", ""),
    "show-bad-suffix": (lambda d: ["show", d / "plan.json", "--out", d / "out.jpg"], "its extension is '.jpg'",
                        "show writes PNG or SVG, chosen by the file name's extension (.png or .svg)"),
    "show-out-stdout": (lambda d: ["show", _plan_file(d), "--out", "/dev/stdout"],
                        "--out '/dev/stdout': show writes PNG or SVG", "it has no extension; give a path ending"),
    # an empty output name: refused, naming the option, before any work (it used to write nothing and exit 0)
    "plan-json-empty": (lambda d: ["plan", _ok_problem(d), "--json", ""], "--json '': expected a file name", "'-'"),
    "demo-json-empty": (lambda d: ["demo", "--json", ""], "--json '': expected a file name", ""),
    "demo-save-problem-empty": (lambda d: ["demo", "--save-problem", ""], "--save-problem '': expected a file", ""),
    "show-out-empty": (lambda d: ["show", _plan_file(d), "--out", ""], "--out '': expected a file name,", ""),
    "calibrate-out-empty": (lambda d: ["calibrate", d / "s.jsonl", "--device", "h100", "--out", ""],
                            "--out '': expected a file name", ""),
    "show-missing-plan": (lambda d: ["show", d / "nope.json", "--out", d / "out.png"], "cannot access", ""),
    "demo-json-into-missing-folder": (lambda d: ["demo", "--planner", "greedy", "--save-problem", d / "out-p.json",
                                                 "--json", d / "no" / "out.json"], "cannot access", "no/out.json"),
    # two outputs on stdout wrote two JSON documents one after the other, exit 0
    "demo-two-outputs-on-stdout": (lambda d: ["demo", "--planner", "greedy", "--json", "-", "--save-problem", "-"],
                                   "--json '-' and --save-problem '-' would both write to standard output",
                                   "give standard output to one of them at most"),
    # "cannot access 'newdir/': Not a directory", after solving
    "json-into-missing-folder-slash": (lambda d: ["plan", _ok_problem(d), "--planner", "greedy",
                                                  "--json", f"{d}/newdir/"],
                                       "names a folder (it ends in '/'), and the folder", "newdir' does not exist"),
    "json-file-with-slash": (lambda d: ["plan", _ok_problem(d), "--json", f"{_ok_problem(d)}/"],
                             "names a folder (it ends in '/'), but", "problem.json' is a file"),
    # "cannot access '-': No such file or directory"
    "plan-problem-stdin": (lambda d: ["plan", "-", "--json", d / "out.json"],
                           "PROBLEM '-': reading the problem from standard input is not supported",
                           "give the problem file's path"),
    "verify-problem-stdin": (lambda d: ["verify", _plan_file(d), "--problem", "-"],
                             "--problem '-': reading the problem from standard input is not supported", ""),
    "explain-plan-stdin": (lambda d: ["explain", "-"], "PLAN '-': reading the plan from standard input", ""),
    # a CSV under another name said only "malformed JSON: Expecting value at line 1 column 1"
    "csv-content-named-txt": (lambda d: ["plan", _write(d / "m.txt", b"id,lower,upper,size\n0,0,2,4\n"),
                                         "--capacity", 8, "--json", d / "out.json"],
                              "malformed JSON: Expecting value at line 1 column 1; it looks like CSV",
                              "a MiniMalloc CSV problem is read only from a file whose name ends in .csv"),
    "demo-unknown-method": (lambda d: ["demo", "--method", "rk4"], "invalid choice: 'rk4'", ""),
    "cpsat-sizes-past-int64": (lambda d: ["plan", write_json(d / "p.json", _past_cpsat_integers()),
                                          "--json", d / "out.json"],
                               "buffer 'k.b0' (size 70000000000000000, weight 9): the auto buffers' sizes times "
                               "their weights, the largest weight counted as 9 (the coarsest unit), sum to 5.04e+18, "
                               "which is not below CP-SAT's integer limit 2^62 (4.61e+18)",
                               "pin the largest auto buffers local or shared, or use the greedy planner"),
    "cpsat-size-1e17": (lambda d: ["compare", write_json(d / "p.json", _buffer(1, size=10 ** 17))],
                        "local memory", ""),
    # a negative number in exponent form was taken for an option: "expected one argument"
    "time-limit-negative-exponent": (lambda d: ["plan", _ok_problem(d), "--time-limit", "-1e-3"],
                                     "--time-limit: expected a finite number of seconds > 0, got '-1e-3'", ""),
    "compare-time-limit-minus-inf": (lambda d: ["compare", _ok_problem(d), "--time-limit", "-inf"],
                                     "got '-inf'", ""),
    # a repeated output option silently wrote only the last file
    "plan-json-twice": (lambda d: ["plan", _ok_problem(d), "--planner", "greedy", "--json", d / "out-a.json",
                                   "--json", d / "out-b.json"],
                        "argument --json: expected once (one file); got it twice", "give --json once"),
    "demo-save-problem-twice": (lambda d: ["demo", "--save-problem", d / "out-a.json", "--save-problem",
                                           d / "out-b.json"], "argument --save-problem: expected once", ""),
    "show-out-twice": (lambda d: ["show", _plan_file(d), "--out", d / "out-a.svg", "--out", d / "out-b.svg"],
                       "argument --out: expected once", ""),
    # a flag the chosen planner does not read was silently ignored
    "goal-with-greedy": (lambda d: ["plan", _ok_problem(d), "--planner", "greedy", "--goal", "fit",
                                    "--json", d / "out.json"],
                         "--goal fit: expected only with --planner cpsat", "got --planner greedy"),
    "goal-with-sequential": (lambda d: ["plan", _ok_problem(d), "--planner", "sequential", "--goal", "min-peak"],
                             "--goal min-peak: expected only with --planner cpsat", "drop --goal"),
}

if os.path.exists("/dev/full"):  # a write that fails (no space left) names the file
    BAD_COMMANDS["plan-json-dev-full"] = (lambda d: ["plan", _ok_problem(d), "--planner", "greedy", "--json",
                                                     "/dev/full"], "cannot access '/dev/full': No space left", "")

if os.path.exists("/dev/stdout"):  # '-' and /dev/stdout are both standard output
    BAD_COMMANDS["demo-dash-and-dev-stdout"] = (
        lambda d: ["demo", "--planner", "greedy", "--json", "-", "--save-problem", "/dev/stdout"],
        "--json '-' and --save-problem '/dev/stdout' would both write to standard output", "")


def _write(path, data):
    path.write_bytes(data)
    return path


def _plan_file(folder):
    res = run("plan", _ok_problem(folder), "--planner", "greedy", "--json", "-")
    return write_json(folder / "plan.json", json.loads(res.stdout))


def _bad_offset_plan(folder):
    res = run("plan", _ok_problem(folder), "--planner", "greedy", "--json", "-")
    plan = json.loads(res.stdout)
    plan["buffers"][0]["offset"] = "x"
    return plan


@pytest.mark.parametrize("case", sorted(BAD_COMMANDS))
def test_bad_command(bad_runs, case):
    _, needle, also = BAD_COMMANDS[case]
    res, folder = bad_runs["command", case]
    assert_clean_failure(res, needle, folder)
    assert also in res.stderr


def test_large_numbers_in_messages_are_compact(bad_runs):
    """A weight of 1e300 gave a message of 700 characters, most of them one integer's digits (such a weight is
    planned since weights count relative to the largest: only sizes pass CP-SAT's 2^62 now)."""
    res, _ = bad_runs["command", "cpsat-sizes-past-int64"]
    assert len(res.stderr) < 400 and not re.search(r"\d{20}", res.stderr), res.stderr


@pytest.mark.parametrize("args", [["plan", "{problem}", "--planner", "greedy", "--json", "-"], ["demo"]],
                         ids=["plan-json-stdout", "demo"])
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_stdout_that_cannot_be_written_is_named(tmp_path, args):
    """``> /dev/full`` said "cannot access: No space left on device", naming nothing."""
    problem = write_json(tmp_path / "problem.json", PROBLEM)
    with open("/dev/full", "w") as full:
        res = subprocess.run([sys.executable, "-m", "planner.cli",
                              *(a.format(problem=problem) for a in args)], stdout=full, stderr=subprocess.PIPE,
                             text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr == "planner: error: cannot write standard output: No space left on device\n"


@pytest.mark.parametrize("args", [["plan", "{problem}", "--planner", "greedy", "--json", "{keep}"],
                                  ["demo", "--planner", "greedy", "--save-problem", "{keep}"],
                                  ["demo", "--planner", "greedy", "--json", "{keep}", "--save-problem", "{new}"]],
                         ids=["plan-json", "demo-save-problem", "demo-both"])
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_stdout_that_cannot_be_written_leaves_the_output_files_untouched(tmp_path, args):
    """A user's trial (2026-12-05): ``planner plan p.json --json keep.json > /dev/full`` failed (exit 2) but
    replaced keep.json, where docs/cli.md promises that a failed run leaves an existing file untouched."""
    problem = write_json(tmp_path / "problem.json", PROBLEM)
    keep, new = tmp_path / "keep.json", tmp_path / "new.json"
    keep.write_text("KEEP")
    with open("/dev/full", "w") as full:
        res = subprocess.run([sys.executable, "-m", "planner.cli",
                              *(a.format(problem=problem, keep=keep, new=new) for a in args)],
                             stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert res.returncode == 2, res.stderr
    assert keep.read_text() == "KEEP" and not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.json", "problem.json"]  # no temporary left


def test_time_limit_beside_a_planner_that_ignores_it_is_noted(work, tmp_path):
    """--planner sequential --time-limit 5 said nothing of the time limit it did not read."""
    root, _ = work
    res = run("plan", root / "problem.json", "--planner", "sequential", "--time-limit", 5)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ("planner: note: --time-limit bounds only the cpsat planner; --planner sequential does "
                          "not read it and ran to the end\n")
    assert "sequential" in res.stdout


@pytest.mark.skipif(not CHALLENGING.is_dir(), reason="MiniMalloc benchmarks not present")
@pytest.mark.parametrize("command", ["plan", "compare"])
def test_csv_out_of_time_names_the_option_and_no_local_pin(tmp_path, command):
    """It said "raise time_limit_s or pin some buffers local": the API's name, and no CSV buffer can be local."""
    res = run(command, CHALLENGING / "A.1048576.csv", "--time-limit", "0.001", cwd=tmp_path)
    assert_clean_failure(res, "raise --time-limit, or give the buffers more room with --capacity", tmp_path)
    assert "time_limit_s" not in res.stderr and "local" not in res.stderr


def test_command_line_spelling():
    from planner.cli import command_line_spelling

    api = "found in the time limit (...); raise time_limit_s or pin some buffers local"
    assert command_line_spelling(api) == "found in the time limit (...); raise --time-limit or pin some buffers local"
    assert command_line_spelling(api, csv=True).endswith("raise --time-limit, or give the buffers more room with "
                                                         "--capacity")


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    """Every bad-input case run once, a few processes at a time, each in a folder of its own."""
    jobs = {}
    for kind, cases in (("problem", BAD_PROBLEMS), ("command", BAD_COMMANDS)):
        for case in cases:
            folder = tmp_path_factory.mktemp(f"bad-{case}")
            args = _bad_problem_args(case, folder) if kind == "problem" else BAD_COMMANDS[case][0](folder)
            jobs[kind, case] = (args, folder)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = {key: pool.submit(run, *args, cwd=folder) for key, (args, folder) in jobs.items()}
        return {key: (future.result(), jobs[key][1]) for key, future in futures.items()}


def test_compare_shows_a_planner_that_refuses_beside_the_others(tmp_path):
    """Sizes past CP-SAT's integer objective (a weight of 1e16 until weights counted relative to the largest,
    2026-12-07): compare stopped with cpsat's one line (which itself says to use the
    greedy planner) though greedy and sequential plan it (a CLI user's trial); now a row and a note, exit 0."""
    problem = write_json(tmp_path / "heavy.json", _past_cpsat_integers())  # was a weight of 1e16: planned now
    result = run("compare", problem)
    assert result.returncode == 0, result.stderr
    assert "cpsat: buffer 'k.b0' (size 70000000000000000, weight 9)" in result.stdout and "greedy" in result.stdout


def test_an_unrecognized_argument_points_at_its_subcommand_s_help():
    result = run("plan", PROBLEM, "--bogus")
    assert result.returncode == 2
    assert result.stderr.strip() == "planner: error: unrecognized arguments: --bogus (see 'planner plan --help')"


@pytest.mark.parametrize("command, verifies", [("plan", False), ("verify", True), ("compare", False), ("show", True),
                                               ("explain", True), ("calibrate", False), ("demo", False)])
def test_each_subcommand_s_help_gives_the_exit_codes_it_can_give(capsys, command, verifies):
    """Every subcommand's --help said "1 the plan fails verification", also those that check no plan (a user's
    trial, 2026-12-06): plan, compare, calibrate and demo."""
    from planner.cli import main

    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    codes = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert codes == ("exit codes: 0 success" + (", 1 the plan fails verification" if verifies else "") +
                     ", 2 bad input, 141 the reader of the output went away")


@pytest.mark.parametrize("before, after", [
    (["--device", "h100"], ["plan", "x.json"]),
    (["--device=h100", "--time-limit", "5"], ["compare", "x.json"]),
])
def test_an_option_before_the_subcommand_says_it_goes_after(capsys, before, after):
    """A user's trial: ``planner --device h100 plan x.json`` said "argument COMMAND: invalid choice: 'h100'"."""
    from planner.cli import main

    with pytest.raises(SystemExit) as info:
        main(before + after)
    assert info.value.code == 2
    given = " ".join(before)
    assert capsys.readouterr().err == (f"planner: error: {given}: expected after the subcommand (the options belong "
                                       f"to it), got before {after[0]}; give planner {' '.join(after)} {given} (see "
                                       f"'planner {after[0]} --help')\n")
    with pytest.raises(SystemExit) as info:
        main(before)
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith(f"planner: error: {given}: expected after a subcommand (the options "
                                              "belong to it), got no subcommand; give one of plan, verify, compare")


@pytest.mark.skipif(not CHALLENGING.is_dir(), reason="MiniMalloc benchmarks not present")
def test_the_auto_objective_on_a_csv_says_it_has_nothing_to_decide(tmp_path):
    """A MiniMalloc CSV's buffers all go in the arena: `--objective auto` said the pinned buffers overflow the shared
    budget (a CLI user's trial)."""
    res = run("plan", CHALLENGING / "A.1048576.csv", "--objective", "auto", cwd=tmp_path)
    assert_clean_failure(res, "nothing for it to decide", tmp_path)
    assert "--objective auto" in res.stderr and "drop --objective" in res.stderr
