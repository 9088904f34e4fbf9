"""benchmarks.placement_sweep at its smallest on the simulator, and its placements planned through Integrator.plan."""

import json

import numpy as np
import pytest

import kernels
from benchmarks import placement_sweep
from benchmarks.sweep_plans import GROUPS, group_pins, plan_config

ARGV = ["--methods", "tsit5", "--sizes", "3", "--precisions", "float32", "--placements", "local,loop-shared",
        "--blocks", "4,8", "--n-traj", "8", "--t-end", "0.002", "--repeats", "2"]


def records(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    assert placement_sweep.main(ARGV + ["--out", str(out)]) == 0
    return out


def test_run_and_config_records(sweep):
    (path,) = sweep.glob("placement_sweep_*.jsonl")
    recs = records(path)
    run = recs[0]
    assert run["record"] == "run" and run["schema"] == "bufferplan.placement_sweep/1"
    for key in ("date_utc", "command", "device", "versions", "git", "settings", "device_model"):
        assert key in run
    by_block = {(r["placement"], r["block_size"]): r for r in recs if r["record"] == "config"}
    assert set(by_block) == {(p, b) for p in ("local", "loop-shared") for b in (4, 8)}
    assert recs[-1]["record"] == "end"
    # one compiled kernel per layout, whatever the block size
    assert [by_block[("local", b)]["compiled"] for b in (4, 8)] == [True, False]
    configs = {p: r for (p, b), r in by_block.items() if b == 4}
    for rec in by_block.values():
        assert rec["status"] == "ok", rec
        assert rec["result"]["ok"] and rec["result"]["n_steps_min"] == rec["result"]["n_steps_max"] == 2
        assert rec["kernel_ms"] > 0 and len(rec["kernel_ms_all"]) >= 1
        assert rec["kernel"]["launch_shared_bytes_per_block"] == rec["plan"]["shared_bytes_per_block"]
    pinned = configs["loop-shared"]["plan"]["placements"]
    assert all(v.startswith("shared@") for k, v in pinned.items() if not k.startswith("loop.erk."))
    assert not any(v.startswith("shared") for k, v in pinned.items() if k.startswith("loop.erk."))
    assert configs["local"]["plan"]["shared_bytes_per_block"] == 0
    # the placement changes where the numbers live, not the numbers
    assert configs["local"]["result"]["checksum"] == pytest.approx(configs["loop-shared"]["result"]["checksum"],
                                                                    rel=1e-6)


def test_summary_ranks_the_placements(sweep):
    summary = json.loads((sweep / "placement_sweep_summary.json").read_text())
    assert sorted(g["block_size"] for g in summary["groups"]) == [4, 8]
    for group in summary["groups"]:
        assert group["best"] in ("local", "loop-shared") and set(group["placements"]) == {"local", "loop-shared"}
        assert min(e["regret"] for e in group["placements"].values()) == 0.0
    assert "| placement | groups | wins |" in (sweep / "placement_sweep_summary.md").read_text()


def test_a_second_run_resumes(sweep):
    (path,) = sweep.glob("placement_sweep_*.jsonl")
    before = sum(r["record"] == "config" for r in records(path))
    assert placement_sweep.main(ARGV + ["--out", str(sweep)]) == 0
    assert sum(r["record"] == "config" for r in records(path)) == before


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize("method", ["rk4", "tsit5"])
def test_group_pins_place_the_groups(group, method):
    integ = kernels.Integrator(kernels.oscillator_chain(2), method, "fixed", np.float32)
    plan = integ.plan("greedy", block_size=32, pins=group_pins(integ, group))
    where = {b.name: b.placement.value for b in plan.buffers if b.view_of is None and b.size_elems}
    step = {k: v for k, v in where.items() if k.startswith("loop.erk.")}
    loop = {k: v for k, v in where.items() if k not in step}
    if group == "loop-shared":
        assert set(loop.values()) == {"shared"} and "shared" not in step.values()
    elif group == "step-shared":
        assert set(step.values()) == {"shared"} and "shared" not in loop.values()
    else:
        assert {k for k, v in where.items() if v == "shared"} == {k for k in step if ".stage_rhs" in k}


def test_over_the_budget_is_recorded_infeasible():
    integ = kernels.Integrator(kernels.oscillator_chain(128), "tsit5", "fixed", np.float64)
    plan, failure = plan_config({"placement": "shared", "block_size": 1024}, integ)
    assert plan is None and failure[0] == "infeasible" and "shared" in failure[1]


def test_a_pinned_placement_shares_what_its_pattern_matches():
    integ = kernels.Integrator(kernels.oscillator_chain(2), "rk4", "fixed", np.float32)
    plan, failure = plan_config({"placement": "shared:loop.state", "block_size": 32}, integ)
    assert failure is None
    shared = {b.name for b in plan.buffers if b.view_of is None and b.size_elems and b.placement.value == "shared"}
    assert shared == {"loop.state"}
    with pytest.raises(SystemExit):
        placement_sweep.parse_args(["--placements", "shared:", "--sizes", "3"])
    assert placement_sweep.parse_args(["--placements", "local,shared:loop.state"]).placements[1] == "shared:loop.state"
