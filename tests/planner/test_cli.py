"""The ``planner`` command line, run as a subprocess like a user would."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from cli_helpers import CHALLENGING, PLANNERS, run, write_json

HAS_MPL = importlib.util.find_spec("matplotlib") is not None
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
