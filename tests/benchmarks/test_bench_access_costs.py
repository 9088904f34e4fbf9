"""benchmarks.access_costs rebuilds the timed Plans of a stiff_peers run and rates them (simulator sizes)."""

import json

import numpy as np

import pytest

from benchmarks import access_costs


def _run(tmp_path, local_ms, shared_ms):
    rows = []
    for choice, ms in (("local", local_ms), ("shared", shared_ms)):
        rows.append({"impl_name": "bufferplan-lu", "run_method": "rodas4", "n": 4, "precision": "float64",
                     "solver": "lu", "choice": choice, "kernel": {"median_ms": ms}, "plan": {},
                     "resources": {"registers_per_thread": 64, "local_bytes_per_thread": 0,
                                   "shared_bytes_per_block": None, "source": "ptxas"}})
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"results": rows}))
    return str(path)


def test_the_fit_reads_a_run_and_rates_its_placements(tmp_path, capsys):
    """Equal registers: shared accesses only cost, so every constant picks all-local, the faster here."""
    out = tmp_path / "fit.json"
    access_costs.main([_run(tmp_path, 1.0, 1.5), "--out", str(out)])
    doc = json.loads(out.read_text())
    assert doc["configurations"] == 1
    (pick,) = doc["fitted"]["choices"].values()
    assert pick == {"model": "local", "regret": 0.0, "fastest": "local"}
    assert doc["current"]["within_5pct"] == 1 and "1 configurations" in capsys.readouterr().out


def test_the_model_keeps_its_pick_when_the_times_disagree(tmp_path):
    """Shared timed faster with the same registers: no access cost rates it faster, so the regret shows."""
    access = access_costs.main([_run(tmp_path, 1.5, 1.0), "--out", str(tmp_path / "fit.json")])
    doc = json.loads((tmp_path / "fit.json").read_text())
    (pick,) = doc["fitted"]["choices"].values()
    assert pick["model"] == "local" and pick["regret"] == pytest.approx(0.5) and set(access) == set(access_costs.COSTS)


def test_a_run_without_two_placements_is_refused(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"results": []}))
    with pytest.raises(SystemExit) as exc:
        access_costs.main([str(path)])
    assert exc.value.code == 2


def test_a_placement_probe_adds_a_configuration_per_block_size(tmp_path):
    """The probe's pinned plans are rebuilt from their pins and rated; its auto row is left out."""
    rows = []
    for label, choice, pins, ms, local_bytes in (
            ("local b1", "local", None, 2.0, 64),
            ("factor shared b1", "greedy", {"*": "local", "loop.firk.lu_1.factor": "shared"}, 1.0, 0),
            ("auto", "auto", None, 1.5, 0)):
        rows.append({"label": label, "choice": choice, "block_size": 1, "pins": pins, "kernel": {"median_ms": ms},
                     "resources": {"registers_per_thread": 255, "local_bytes_per_thread": local_bytes,
                                   "shared_bytes_per_block": None}})
    path = tmp_path / "probe.json"
    path.write_text(json.dumps({"schema": access_costs.PROBE_SCHEMA, "results": rows,
                                "settings": {"method": "radau", "n": 4, "precision": "float64"}}))
    out = tmp_path / "fit.json"
    access_costs.main([str(path), "--out", str(out)])
    doc = json.loads(out.read_text())
    assert doc["configurations"] == 1  # auto is not rebuilt: its two pinned peers make the configuration
    (pick,) = doc["fitted"]["choices"].values()
    assert pick["fastest"] == "factor shared b1"


def _sweep(tmp_path, local_ms, greedy_ms, greedy_shared_bytes=None):
    """A placement_sweep JSONL of one group (RK4 on a chain of 3 at block 128): all-local and the greedy plan."""
    import kernels

    integ = kernels.Integrator(kernels.oscillator_chain(3), "rk4", "fixed", np.float32)
    lines = [json.dumps({"record": "run"})]
    for placement, ms in (("local", local_ms), ("greedy", greedy_ms)):
        shared = integ.plan(placement, block_size=128, device="h100").shared_bytes_per_block
        if placement == "greedy" and greedy_shared_bytes is not None:
            shared = greedy_shared_bytes
        lines.append(json.dumps({"record": "config", "status": "ok", "method": "rk4", "controller": "fixed", "n": 3,
                                 "precision": "float32", "block_size": 128, "placement": placement,
                                 "kernel_ms": ms, "plan": {"shared_bytes_per_block": shared},
                                 "kernel": {"registers_per_thread": 40, "local_bytes_per_thread": 0,
                                            "shared_bytes_per_block": shared}}))
    path = tmp_path / "placement_sweep_test.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_a_placement_sweep_is_rated_beside_the_runs(tmp_path):
    """--sweep rebuilds each placement's plan as the sweep planned it (on the h100 preset) and rates them: with equal
    registers and no spills, the greedy plan's shared accesses only cost, so the model picks all-local."""
    doc_path = tmp_path / "fit.json"
    access_costs.main(["--sweep", _sweep(tmp_path, 1.0, 0.8), "--out", str(doc_path)])
    doc = json.loads(doc_path.read_text())
    assert doc["configurations"] == 1
    (key, pick), = doc["fitted"]["choices"].items()
    assert key.startswith("sweep/rk4/fixed/3/float32") and pick["model"] == "local" and pick["fastest"] == "greedy"
    assert pick["regret"] == pytest.approx(0.25)


def test_a_sweep_plan_that_is_not_the_one_timed_is_left_out(tmp_path, capsys):
    """A placement whose plan now has other shared bytes than the ones timed is skipped, with a line; a group left
    with one placement is no comparison, and without any the fit says so."""
    with pytest.raises(SystemExit):
        access_costs.main(["--sweep", _sweep(tmp_path, 1.0, 0.8, greedy_shared_bytes=12345)])
    assert "not the plan timed" in capsys.readouterr().err
