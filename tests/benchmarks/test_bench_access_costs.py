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


def _sweep(tmp_path, local_ms, greedy_ms, greedy_shared_bytes=None, figures=None, name="test"):
    """A placement_sweep JSONL of one group (RK4 on a chain of 3 at block 128): all-local and the greedy plan
    (``figures``: placement -> (registers, local bytes) the compiler reported, default 40 and none)."""
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
                                 "kernel": {"registers_per_thread": (figures or {}).get(placement, (40, 0))[0],
                                            "local_bytes_per_thread": (figures or {}).get(placement, (40, 0))[1],
                                            "shared_bytes_per_block": shared}}))
    path = tmp_path / f"placement_sweep_{name}.jsonl"
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


def test_two_sweeps_keep_their_groups_apart(tmp_path):
    """Two runs of one group (another day, another card) are two configurations, each rated on its own times: they
    were one group of four placements, two of each name, whose times of two runs were compared."""
    doc_path = tmp_path / "fit.json"
    access_costs.main(["--sweep", _sweep(tmp_path, 1.0, 0.8, name="a"), _sweep(tmp_path, 0.7, 0.8, name="b"),
                       "--out", str(doc_path)])
    doc = json.loads(doc_path.read_text())
    assert doc["configurations"] == 2
    picks = doc["fitted"]["choices"]
    assert picks["sweep/placement_sweep_a/rk4/fixed/3/float32/b128"]["fastest"] == "greedy"
    assert picks["sweep/placement_sweep_b/rk4/fixed/3/float32/b128"]["fastest"] == "local"


def test_a_sweep_plan_that_is_not_the_one_timed_is_left_out(tmp_path, capsys):
    """A placement whose plan now has other shared bytes than the ones timed is skipped, with a line; a group left
    with one placement is no comparison, and without any the fit says so."""
    with pytest.raises(SystemExit):
        access_costs.main(["--sweep", _sweep(tmp_path, 1.0, 0.8, greedy_shared_bytes=12345)])
    assert "not the plan timed" in capsys.readouterr().err


def test_traffic_occupancy_joins_the_grid(tmp_path, capsys):
    """All-local at 4 blocks an SM (128 registers, 4000 local bytes) against greedy at 2 (255 registers, 2500 bytes),
    both bound by local traffic, the L2 holding none of it: below the h200 preset's traffic_occupancy (1/16) greedy
    rates faster; at 0.25 its 1/8 occupancy doubles its traffic and all-local, timed faster here, wins.  --only holds
    every other constant at the device's value: two grid points, the current constants reported with the new one.
    The L1 term is off in the grid (greedy's fewer threads an SM keep more L1 each, which would rate it faster)."""
    sweep = _sweep(tmp_path, 1.0, 1.5, figures={"local": (128, 4000), "greedy": (255, 2500)})
    out = tmp_path / "fit.json"
    constants = access_costs.main(["--sweep", sweep, "--traffic-occupancies", "0.0625,0.25", "--l1-factors", "0",
                                   "--only", "traffic_occupancy,l1_factor", "--out", str(out)])
    doc = json.loads(out.read_text())
    (now,), (fitted,) = doc["current"]["choices"].values(), doc["fitted"]["choices"].values()
    assert now["model"] == "greedy" and now["regret"] == pytest.approx(0.5)
    assert fitted == {"model": "local", "regret": 0.0, "fastest": "local"}
    import planner

    held = planner.get_device("h200").shared_access_cost
    assert constants["traffic_occupancy"] == 0.25 and constants["shared_access_cost"] == held
    assert doc["current"]["traffic_occupancy"] == 0.0625
    assert set(doc["by_traffic_occupancy"]) == {"0.0625", "0.25"}
    assert doc["by_traffic_occupancy"]["0.0625"]["within_5pct"] == 0
    assert "traffic_occupancy 0.25: best" in capsys.readouterr().out


def test_only_holds_the_other_constants_at_the_device_values():
    import planner

    device = planner.get_device("h200")
    names, axes = access_costs.grid(device, byte_costs=(100.0, 150.0), traffic_occupancies=(0.0625, 0.125),
                                    only=("traffic_occupancy", "local_byte_cost"))
    own = {name: (getattr(device, name),) for name in access_costs.COSTS}
    assert dict(zip(names, axes)) == dict(own, local_byte_cost=(100.0, 150.0), traffic_occupancy=(0.0625, 0.125))
    names, axes = access_costs.grid(device, traffic_occupancies=(0.125,))
    assert names[-1] == "traffic_occupancy" and len(axes[0]) == len(access_costs.SHARED)
    with pytest.raises(ValueError, match="unknown constant"):
        access_costs.grid(device, only=("traffic",))


def test_an_unknown_constant_for_only_is_refused(tmp_path):
    with pytest.raises(SystemExit) as exc:
        access_costs.main(["--sweep", _sweep(tmp_path, 1.0, 0.8), "--only", "traffic"])
    assert exc.value.code == 2


def test_the_traffic_bounds_access_share_and_parallelism_join_the_grid():
    """``--access-shares`` and ``--parallelisms`` vary ``traffic_access_share`` (0: the traffic bound prices the local
    frame, 1: the local accesses' bytes) and ``traffic_parallelism`` (0: no loads-in-flight term) like the others."""
    import planner

    device = planner.get_device("h200")
    names, axes = access_costs.grid(device, access_shares=(0.0, 1.0), parallelisms=(0.0, 2.0),
                                    only=("traffic_access_share", "traffic_parallelism"))
    lists = dict(zip(names, axes))
    assert lists["traffic_access_share"] == (0.0, 1.0) and lists["traffic_parallelism"] == (0.0, 2.0)
    assert lists["shared_access_cost"] == (device.shared_access_cost,)
