"""benchmarks.stiff_plans writes plan files that stiff_peers' worker loads, verifies and runs (simulator sizes)."""

import json

import pytest

from benchmarks import stiff_peers, stiff_plans, stiff_worker

PEERS = ["--sim", "--methods", "rodas4", "--precisions", "float64", "--jobs", "1", "--impls", "bufferplan-lu"]


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("plans")
    argv = ["--methods", "rodas4", "--sizes", "4", "--precisions", "float64", "--choices", "auto", "--dir", str(out)]
    assert stiff_plans.main(argv) == 0
    return out


def test_a_plan_file_records_what_it_was_solved_for(plan_dir):
    doc = json.loads((plan_dir / "rodas4_n4_float64_auto.json").read_text())
    assert doc["schema"] == stiff_plans.SCHEMA and doc["config"]["n"] == 4 and doc["config"]["plan"] == "auto"
    assert doc["plan"]["cost"]["predicted"]["registers"] > 0  # auto's cost record travels with the plan
    assert "rodas4" in doc["integrator"] and "stiff_plans" in doc["command"]
    index = json.loads((plan_dir / "index.json").read_text())
    assert index["rodas4_n4_float64_auto"]["status"] == "written"


def test_peers_run_the_plan_file_beside_local(plan_dir, tmp_path):
    argv = PEERS + ["--plans", "local,auto,factor-local", "--plan-dir", str(plan_dir), "--out", str(tmp_path)]
    assert stiff_peers.main(argv) == 0
    (path,) = tmp_path.glob("stiff_peers_*.json")
    doc = json.loads(path.read_text())
    rows = {r["id"]: r for r in doc["results"]}
    auto, local = rows["bufferplan-lu@auto:n4:float64:rodas4"], rows["bufferplan-lu@local:n4:float64:rodas4"]
    assert auto["ok"] and local["ok"], (auto, local)
    assert auto["plan"]["file"].endswith("rodas4_n4_float64_auto.json") and local["plan"]["file"] is None
    # one worker ran the configuration's placements, their timed launches interleaved
    assert auto["kernel"]["interleaved_with"] == local["kernel"]["interleaved_with"] == 2
    missing = rows["bufferplan-lu@factor-local:n4:float64:rodas4"]  # never written: an error row, not a crash
    assert not missing["ok"] and "PlanFileError: no plan file" in missing["error"]
    agree = {a["impl"]: a for a in doc["agreement"]}
    assert agree["bufferplan-lu@auto"]["max_rel_diff"] < 1e-12  # placement does not change the arithmetic
    (group,) = doc["summary"]["groups"]
    assert set(group["ms"]) == {"local", "auto"} and group["fastest"] in group["ms"]
    assert min(group["regret"].values()) == 0.0 and "factor-local" in group["failed"]


def test_a_placement_named_twice_is_timed_twice(tmp_path):
    """``local#2``: the same plan under a second label, a control for the run's noise."""
    argv = PEERS + ["--plans", "local,local#2", "--out", str(tmp_path)]
    assert stiff_peers.main(argv) == 0
    doc = json.loads(next(tmp_path.glob("stiff_peers_*.json")).read_text())
    rows = {r["choice"]: r for r in doc["results"]}
    assert set(rows) == {"local", "local#2"} and all(r["ok"] for r in rows.values())
    assert rows["local#2"]["plan"]["shared_bytes_per_block"] == rows["local"]["plan"]["shared_bytes_per_block"]
    (again,) = [a for a in doc["agreement"] if a["impl"].endswith("local#2")]
    assert again["max_rel_diff"] == 0.0


@pytest.mark.parametrize("tamper", ["size", "method"])
def test_a_tampered_plan_file_is_a_recorded_error(plan_dir, tmp_path, capsys, tamper):
    doc = json.loads((plan_dir / "rodas4_n4_float64_auto.json").read_text())
    if tamper == "size":  # the buffers no longer match the solve's: the build's verification says so
        doc["plan"]["buffers"][0]["size"] += 1
    else:
        doc["config"]["run_method"] = "sdirk4"
    (tmp_path / "rodas4_n4_float64_auto.json").write_text(json.dumps(doc))
    (cfg,) = stiff_peers.configurations(stiff_peers.parse_args(PEERS + ["--plans", "auto",
                                                                         "--plan-dir", str(tmp_path)]))
    cfg_path = tmp_path / "cfg.json"
    cfg_path.write_text(json.dumps(dict(cfg, out_npy=str(tmp_path / "y.npy"))))
    assert stiff_worker.main([str(cfg_path)]) == 0
    (line,) = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("RESULT ")]
    res = json.loads(line[7:])
    assert not res["ok"]
    expected = "PlanMismatchError: plan does not match" if tamper == "size" else "PlanFileError"
    assert res["error"].startswith(expected), res["error"]


def test_choices_planned_by_the_worker_have_no_file(capsys):
    with pytest.raises(SystemExit):
        stiff_plans.parse_args(["--choices", "auto,local"])
    assert "planned by stiff_worker" in capsys.readouterr().err


def test_a_register_cap_builds_the_same_placement_capped(plan_dir, tmp_path):
    """``+r<k>``: the placement's plan (worker-planned or from its file), built with at most k registers."""
    assert stiff_plans.base_choice("auto+r96#2") == "auto" and stiff_plans.register_cap("auto+r96#2") == 96
    argv = PEERS + ["--plans", "local,local+r64,auto+r96", "--plan-dir", str(plan_dir), "--out", str(tmp_path)]
    assert stiff_peers.main(argv) == 0
    doc = json.loads(next(tmp_path.glob("stiff_peers_*.json")).read_text())
    rows = {r["choice"]: r for r in doc["results"]}
    assert all(r["ok"] for r in rows.values()), rows
    assert [rows[c]["plan"]["max_registers"] for c in ("local", "local+r64", "auto+r96")] == [None, 64, 96]
    assert rows["auto+r96"]["plan"]["file"].endswith("rodas4_n4_float64_auto.json")
    # the simulator has no registers: the cap is recorded, the arithmetic is the same
    assert all(a["max_rel_diff"] == 0.0 for a in doc["agreement"] if "+r" in a["impl"])


@pytest.mark.parametrize("choice", ["local+r8", "local+x", "local+r300"])
def test_a_malformed_register_cap_is_refused_before_anything_runs(choice, capsys):
    with pytest.raises(SystemExit) as stop:
        stiff_peers.parse_args(PEERS + ["--plans", f"local,{choice}"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"--plans: plan choice 'local+" in err and "'+r<k>' with k from 16 to 255" in err, err


def test_a_block_suffix_plans_for_that_block_and_the_worker_launches_it(tmp_path):
    """``factor-shared.b2``: the placement planned for blocks of 2 threads; the plan's block is the launch's."""
    assert stiff_plans.block_of("factor-shared.b64") == ("factor-shared", 64)
    assert stiff_plans.block_of("auto") == ("auto", None)
    plans = tmp_path / "plans"
    argv = ["--methods", "rodas4", "--sizes", "4", "--precisions", "float64", "--choices", "factor-shared.b2",
            "--dir", str(plans)]
    assert stiff_plans.main(argv) == 0
    doc = json.loads((plans / "rodas4_n4_float64_factor-shared.b2.json").read_text())
    assert doc["config"]["block_size"] == 2 and doc["plan"]["block_size"] == 2
    argv = PEERS + ["--plans", "local,factor-shared.b2", "--plan-dir", str(plans), "--out", str(tmp_path)]
    assert stiff_peers.main(argv) == 0
    rows = {r["choice"]: r for r in json.loads(next(tmp_path.glob("stiff_peers_*.json")).read_text())["results"]}
    shared = rows["factor-shared.b2"]
    assert shared["ok"] and shared["plan"]["block_size"] == 2 and shared["plan"]["shared_bytes_per_block"] > 0


@pytest.mark.parametrize("choice", ["factor-shared.b0", "factor-shared.bx", ".b64", "auto.b2000"])
def test_a_malformed_block_suffix_is_an_argument_error(choice, capsys):
    with pytest.raises(SystemExit) as stop:
        stiff_plans.parse_args(["--choices", choice])
    assert stop.value.code == 2 and "'.b<k>'" in capsys.readouterr().err
