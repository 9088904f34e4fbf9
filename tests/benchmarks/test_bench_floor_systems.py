"""benchmarks.floor_systems on the simulator: bufferplan and the hand-written kernels solve the same problems."""

import json

import numpy as np
import pytest

from benchmarks import floor_systems
from benchmarks.floor_problems import PROBLEMS


@pytest.fixture(scope="module")
def sim_rows(tmp_path_factory):
    out = tmp_path_factory.mktemp("floor_systems")
    assert floor_systems.main(["--sim", "--out", str(out)]) == 0
    (path,) = out.glob("floor_systems_*.json")
    doc = json.loads(path.read_text())
    assert doc["schema"] == floor_systems.SCHEMA and doc["device"]["backend"] == "simulator"
    assert doc["settings"]["sim"] is True and doc["versions"]["numpy"] == np.__version__ and doc["command"]
    return doc["rows"]


def test_every_problem_and_case_has_a_row(sim_rows):
    got = {(r["problem"], r["case"]) for r in sim_rows}
    assert got == {(p, c) for p in PROBLEMS for c in floor_systems.CASES}
    assert {r["n_states"] for r in sim_rows} == {4, 6, 16}


def test_bufferplan_and_the_floor_agree_and_match_scipy(sim_rows):
    # float32 over 10 steps of 1e-3 (fixed) or at tol 1e-5 (adaptive): both within a few float32 ulps
    # of each other and of DOP853 at 1e-12 (the methods' own error at these steps is far smaller).
    for r in sim_rows:
        assert r["status_ok"], r
        assert r["max_scaled_diff"] < 5e-6, r
        assert r["floor_err_vs_scipy"] < 5e-6 and r["bufferplan_err_vs_scipy"] < 5e-6, r


def test_adaptive_step_counts_follow_the_same_controller(sim_rows):
    for r in (r for r in sim_rows if r["case"] == "tsit5_adaptive"):
        assert r["floor_accepted"] >= 2 and abs(r["bufferplan_accepted"] - r["floor_accepted"]) <= 1, r
        assert r["floor_rejected"] == r["bufferplan_rejected"] == 0, r


def test_unknown_case_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="--cases"):
        floor_systems.main(["--sim", "--cases", "euler", "--out", str(tmp_path)])


def test_caps_are_variants_of_one_run(tmp_path):
    """``--caps none,32``: one row a case and cap, tagged, with the same numbers (a cap changes registers only)."""
    assert floor_systems.main(["--sim", "--problems", "two_mass", "--cases", "rk4_fixed", "--caps", "none,32",
                               "--tag", "capped", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "floor_systems_cudasim_capped.json").read_text())["rows"]
    assert [r["max_registers"] for r in rows] == [None, 32]
    assert rows[0]["max_scaled_diff"] == rows[1]["max_scaled_diff"]
    with pytest.raises(SystemExit, match="--caps"):
        floor_systems.main(["--sim", "--caps", "none,many", "--out", str(tmp_path)])
