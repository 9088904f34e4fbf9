"""The ``planner`` command line, run as a subprocess like a user would."""

import concurrent.futures
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

CHALLENGING = pathlib.Path("/work/shared/benchmarks/minimalloc-challenging")
HAS_MPL = importlib.util.find_spec("matplotlib") is not None
PLANNERS = ("cpsat", "greedy", "sequential")

PROBLEM = {
    "precision": "float32", "block_size": 64, "device": "h100",
    "buffers": [
        {"name": "k.a", "size": 8, "location": "shared", "lifetime": [[0, 4]], "weight": 2.0},
        {"name": "k.b", "size": 4, "lifetime": [[2, 6]]},
        {"name": "k.c", "size": 6, "lifetime": [[4, 8]]},
        {"name": "k.l", "size": 3, "location": "local", "lifetime": [[0, 8]]},
        {"name": "k.p", "size": 2, "location": "local", "persistent": True},
        {"name": "k.v", "size": 2, "view_of": "k.a", "view_offset": 3},
    ],
}


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "planner.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def write_json(path, data):
    path.write_text(json.dumps(data))
    return path


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


def parse_plan_output(text):
    """(rows, totals) from ``planner plan``'s table and totals."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("buffer"))
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        name, size, placement, offset, lifetime = re.split(r"\s{2,}", line.strip())
        rows[name] = (int(size), placement, None if offset == "-" else int(offset), lifetime)
    totals = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in lines[start + len(rows) + 3:] if line.strip())
    return rows, totals


# -- plan, verify --------------------------------------------------------------
@pytest.mark.parametrize("name", PLANNERS)
def test_plan_prints_the_numbers_of_its_json(work, name):
    root, printed = work
    plan = json.loads((root / f"plan-{name}.json").read_text())
    rows, totals = parse_plan_output(printed[name])
    assert set(rows) == {b["name"] for b in plan["buffers"]}
    for b in plan["buffers"]:
        size, placement, offset, lifetime = rows[b["name"]]
        assert size == b["size"] and offset == b["offset"]
        assert placement.split(",")[0] == b["placement"]
        assert lifetime == " ".join(f"[{s}, {e})" for s, e in b["lifetime"])
    t, p = plan["totals"], plan["provenance"]
    assert totals["shared elements"].startswith(f"{t['shared_elements']} per thread")
    assert totals["shared stride"] == str(t["shared_stride"])
    assert totals["shared bytes/block"].startswith(f"{t['shared_bytes_per_block']} (block size 64, float32)")
    assert totals["local elements"].startswith(f"{t['local_elements']} per thread")
    assert totals["persistent local"].startswith(f"{t['persistent_local_elements']} per thread")
    assert totals["planner"] == p["planner"] == name
    assert totals["status"] == p["status"]
    assert totals["lower bound"].startswith(f"{p['lower_bound']} (gap {t['shared_elements'] - p['lower_bound']}")
    assert totals["solve time"] == f"{p['solve_seconds']:.3f} s"
    assert rows["k.v"][1] == "shared, view of k.a"
    assert rows["k.l"][1:3] == ("local", None)


@pytest.mark.parametrize("name", PLANNERS)
def test_json_round_trip_then_verify_ok(work, name):
    root, _ = work
    res = run("verify", root / f"plan-{name}.json", "--problem", root / "problem.json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("OK")
    assert "input hash differs" not in res.stdout


def test_cpsat_reaches_the_lower_bound_and_beats_sequential(work):
    root, _ = work
    cpsat = json.loads((root / "plan-cpsat.json").read_text())
    seq = json.loads((root / "plan-sequential.json").read_text())
    assert cpsat["provenance"]["status"] == "OPTIMAL"
    assert cpsat["totals"]["shared_elements"] == cpsat["provenance"]["lower_bound"] == 12
    assert seq["totals"]["shared_elements"] == 18


def _tamper(plan, name, **changes):
    for b in plan["buffers"]:
        if b["name"] == name:
            b.update(changes)
    return plan


TAMPER = {
    "no-overlap": lambda p, by: _tamper(p, "k.b", offset=by["k.a"]["offset"]),
    "bounds": lambda p, by: _tamper(p, "k.b", offset=p["totals"]["shared_elements"] - 1),
    "pin": lambda p, by: _tamper(p, "k.a", placement="local", offset=None),
    "placement": lambda p, by: _tamper(p, "k.b", placement="persistent_local", offset=0),
    "size": lambda p, by: _tamper(p, "k.c", size=7),
    "view": lambda p, by: _tamper(p, "k.v", offset=by["k.v"]["offset"] + 1),
    "totals": lambda p, by: p["totals"].update(shared_stride=p["totals"]["shared_stride"] + 2) or p,
    "problem-mismatch": lambda p, by: p.update(buffers=p["buffers"][1:]) or p,
}


@pytest.mark.parametrize("rule", sorted(TAMPER))
def test_tampered_plan_fails_verify_naming_the_rule(work, tmp_path, rule):
    root, _ = work
    plan = json.loads((root / "plan-greedy.json").read_text())
    by = {b["name"]: dict(b) for b in plan["buffers"]}
    bad = write_json(tmp_path / "bad.json", TAMPER[rule](plan, by))
    res = run("verify", bad, "--problem", root / "problem.json")
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout.startswith(f"FAILED: rule {rule}: ")
    assert len(res.stdout.splitlines()) == 1 and "Traceback" not in res.stderr


def test_verify_budget_rule_with_a_smaller_capacity(work):
    root, _ = work
    res = run("verify", root / "plan-cpsat.json", "--problem", root / "problem.json", "--capacity", 11)
    assert res.returncode == 1
    assert res.stdout.startswith("FAILED: rule budget: 12 shared elements per thread exceed the capacity of 11")


def test_overrides_change_the_plan_and_verify_with_them(work, tmp_path):
    root, _ = work
    out = tmp_path / "p.json"
    res = run("plan", root / "problem.json", "--planner", "greedy", "--block-size", 32, "--device", "A100",
              "--json", out)
    assert res.returncode == 0, res.stderr
    plan = json.loads(out.read_text())
    assert plan["block_size"] == 32 and plan["totals"]["shared_bytes_per_block"] == 13 * 32 * 4
    assert run("verify", out, "--problem", root / "problem.json").returncode == 1  # block size differs
    ok = run("verify", out, "--problem", root / "problem.json", "--block-size", 32, "--device", "a100")
    assert ok.returncode == 0 and ok.stdout.startswith("OK")


def test_json_to_stdout_keeps_stdout_pure(work):
    root, _ = work
    res = run("plan", root / "problem.json", "--planner", "greedy", "--json", "-")
    assert res.returncode == 0
    assert json.loads(res.stdout)["provenance"]["planner"] == "greedy"
    assert "shared stride" in res.stderr


# -- compare, show, demo ---------------------------------------------------------
def test_compare_prints_three_rows_matching_each_plan(work):
    root, _ = work
    res = run("compare", root / "problem.json", "--time-limit", 5)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["planner", "peak", "stride", "bytes/block", "local", "live size",
                                             "proven bound", "status", "seconds"]
    table = lines[2:lines.index("")]
    rows = {r[0]: r for r in (re.split(r"\s{2,}", line.strip()) for line in table)}
    assert sorted(rows) == sorted(PLANNERS)
    for name in PLANNERS:
        plan = json.loads((root / f"plan-{name}.json").read_text())
        t, p = plan["totals"], plan["provenance"]
        live = max(sum(b["size"] for b in plan["buffers"] if b["placement"] == "shared" and "view_of" not in b
                       and any(lo <= x < hi for lo, hi in b["lifetime"])) for x in range(8))
        expected = [name, t["shared_elements"], t["shared_stride"], t["shared_bytes_per_block"], t["local_elements"],
                    live, p["lower_bound"] if name == "cpsat" else "-", p["status"]]
        assert rows[name][:8] == [str(v) for v in expected]
        assert live <= t["shared_elements"] and (name != "cpsat" or live <= p["lower_bound"])
        float(rows[name][8])
    assert "proven bound: CP-SAT's proven lower bound" in res.stdout


def test_compare_shows_a_failing_planner_and_goes_on(tmp_path):
    path = tmp_path / "tiny.12.csv"
    path.write_text("id,lower,upper,size\n0,0,3,4\n1,2,5,4\n2,3,6,8\n")
    res = run("compare", path, "--time-limit", 5)
    assert res.returncode == 0, res.stderr
    rows = {line.split()[0]: line.split() for line in res.stdout.splitlines()[2:5]}
    assert rows["sequential"][1:8] == ["-"] * 6 + ["INFEASIBLE"]
    assert rows["cpsat"][1] == rows["greedy"][1] == "12"
    assert "sequential: shared budget" in res.stdout and "over by 4" in res.stdout


@pytest.mark.skipif(not HAS_MPL, reason="matplotlib not installed")
@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_show_writes_an_image(work, tmp_path, suffix):
    root, _ = work
    out = tmp_path / f"plan.{suffix}"
    res = run("show", root / "plan-cpsat.json", "--out", out)
    assert res.returncode == 0, res.stderr
    data = out.read_bytes()
    if suffix == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    else:
        text = data.decode()
        assert "<svg" in text and ">a<" in text and ">c<" in text  # buffer labels are text
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_show_without_matplotlib_is_a_clear_error(work, tmp_path):
    root, _ = work
    fake = tmp_path / "fake" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('matplotlib is hidden by this test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")]))
    out = tmp_path / "plan.png"
    res = run("show", root / "plan-greedy.json", "--out", out, env=env)
    assert res.returncode == 2
    assert res.stderr.startswith("planner: error: drawing needs matplotlib") and "bufferplan[plot]" in res.stderr
    assert not out.exists()


def test_demo_prints_plan_and_comparison_and_its_plan_verifies(tmp_path):
    res = run("demo", "--json", tmp_path / "plan.json", "--save-problem", tmp_path / "problem.json",
              "--time-limit", 5)
    assert res.returncode == 0, res.stderr
    assert "loop.dirk.newton.linear_solver.residual" in res.stdout
    lines = res.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("planner") and "peak" in line)
    rows, totals = parse_plan_output("\n".join(lines[:at]))
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert totals["shared elements"].startswith(f"{plan['totals']['shared_elements']} per thread")
    assert len(rows) == 21 and totals["planner"] == "cpsat"
    table = lines[at:]
    assert [line.split()[0] for line in table[2:5]] == list(PLANNERS)
    peaks = {line.split()[0]: int(line.split()[1]) for line in table[2:5]}
    assert peaks["cpsat"] <= peaks["greedy"] <= peaks["sequential"] and peaks["cpsat"] < peaks["sequential"]
    ok = run("verify", tmp_path / "plan.json", "--problem", tmp_path / "problem.json")
    assert ok.returncode == 0 and ok.stdout.startswith("OK")


def test_demo_tsit5_with_greedy():
    res = run("demo", "--method", "tsit5", "--planner", "greedy", "--time-limit", 5)
    assert res.returncode == 0, res.stderr
    assert "loop.tsit5.stage_derivatives" in res.stdout and "\nplanner             greedy" in res.stdout


# -- CSV input -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["cpsat", "greedy"])
def test_tiny_csv_plans_and_verifies(tmp_path, name):
    path = tmp_path / "tiny.12.csv"
    path.write_text("id,lower,upper,size\n0,0,3,4\n1,2,5,4\n2,3,6,8\n")
    out = tmp_path / "plan.json"
    res = run("plan", path, "--planner", name, "--json", out)
    assert res.returncode == 0, res.stderr
    rows, totals = parse_plan_output(res.stdout)
    assert rows["b0"][:2] == (4, "shared") and totals["shared elements"].startswith("12 per thread")
    assert run("verify", out, "--problem", path).stdout.startswith("OK")


@pytest.mark.skipif(not CHALLENGING.is_dir(), reason="MiniMalloc benchmarks not present")
def test_real_minimalloc_instance_with_greedy(tmp_path):
    src = CHALLENGING / "A.1048576.csv"
    # At the file's own capacity greedy overshoots: a clear budget error.
    res = run("plan", src, "--planner", "greedy", "--json", tmp_path / "x.json")
    assert res.returncode == 2 and res.stderr.startswith("planner: error: shared budget")
    assert "over by" in res.stderr and not (tmp_path / "x.json").exists()
    # With room to spare it plans, verifies and draws.
    out = tmp_path / "a.json"
    res = run("plan", src, "--planner", "greedy", "--capacity", 2 * 1048576, "--json", out)
    assert res.returncode == 0, res.stderr
    plan = json.loads(out.read_text())
    assert len(plan["buffers"]) == 154 and plan["provenance"]["lower_bound"] <= 1048576
    assert run("verify", out, "--problem", src, "--capacity", 2 * 1048576).stdout.startswith("OK")


# -- entry points and help --------------------------------------------------------
def test_python_m_planner_and_help_texts():
    res = subprocess.run([sys.executable, "-m", "planner", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "plan" in res.stdout and "verify" in res.stdout
    assert "141 the reader of the output went away" in res.stdout  # a closed pipe: the list left it out
    for command in ("plan", "verify", "compare", "show", "demo"):
        res = run(command, "--help")
        assert res.returncode == 0 and "example:" in res.stdout and f"planner {command}" in res.stdout


@pytest.mark.skipif(shutil.which("planner", path=os.path.dirname(sys.executable)) is None,
                    reason="console script not installed (pip install -e .)")
def test_console_script():
    exe = shutil.which("planner", path=os.path.dirname(sys.executable))
    res = subprocess.run([exe, "demo", "--planner", "sequential", "--time-limit", "5"], capture_output=True, text=True)
    assert res.returncode == 0 and "sequential" in res.stdout


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
    "reversed-lifetime": (_buffer(1, lifetime=[[6, 2]]), "interval [6, 2] is empty or reversed"),
    "zero-length-lifetime": (_buffer(1, lifetime=[[3, 3]]), "is empty or reversed"),
    "lifetime-past-int64": (_buffer(1, lifetime=[[0, 10 ** 19]]), "end 10000000000000000000 is too large"),
    "unknown-location": (_buffer(1, location="texture"), "buffer 'k.b' location: unknown value 'texture'"),
    "unknown-device": (_problem(device="tpu"), "device: unknown preset 'tpu'"),
    "unknown-precision": (_problem(precision="int8"), "unknown precision 'int8'"),
    "view-outside-parent": (_buffer(5, view_offset=7), "view [7, 9) lies outside its parent 'k.a' of size 8"),
    "infeasible-budget": (_buffer(0, size=1000), "the budget admits 907 (over by 93)"),
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
    "demo-unknown-method": (lambda d: ["demo", "--method", "rk4"], "invalid choice: 'rk4'", ""),
    "cpsat-weight-past-int64": (lambda d: ["plan", write_json(d / "p.json", _buffer(1, weight=1e17)),
                                           "--json", d / "out.json"], "buffer 'k.b': weight 1e+17 times size 4",
                                "does not fit CP-SAT's integer objective"),
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
    # the sum of weights times sizes was printed with all its 304 digits
    "cpsat-weight-1e300": (lambda d: ["plan", write_json(d / "p.json", _buffer(2, weight=1e300))],
                           "sum to 6.00e+303, which is not below the limit 2^62 (4.61e+18)", ""),
}

if os.path.exists("/dev/full"):  # a write that fails (no space left) names the file
    BAD_COMMANDS["plan-json-dev-full"] = (lambda d: ["plan", _ok_problem(d), "--planner", "greedy", "--json",
                                                     "/dev/full"], "cannot access '/dev/full': No space left", "")


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
    """A weight of 1e300 gave a message of 700 characters, most of them one integer's digits."""
    res, _ = bad_runs["command", "cpsat-weight-1e300"]
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
