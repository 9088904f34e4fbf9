"""benchmarks.access_costs rebuilds the timed Plans of a stiff_peers run and rates them (simulator sizes)."""

import json

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
