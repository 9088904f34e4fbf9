"""benchmarks.floor on the simulator: bufferplan beside the shared hand-written Lorenz kernels, one row a variant."""

import json
import pathlib

import pytest

from benchmarks import floor

FLOOR = pathlib.Path(__file__).resolve().parents[3] / "shared" / "reference" / "lorenz_handwritten.py"


@pytest.mark.skipif(not FLOOR.exists(), reason="needs ../shared/reference/lorenz_handwritten.py beside the repository")
def test_block_sizes_are_variants_that_agree_with_the_floor(tmp_path):
    floor.main(["--floor", str(FLOOR), "--sim", "--cases", "rk4_fixed", "--systems", "rho", "--blocks", "128,256",
                "--t1", "0.01", "--tag", "blocks", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "floor_simulator_blocks.json").read_text())["rows"]
    assert [r["variant"] for r in rows] == ["bufferplan-rho", "bufferplan-rho@b256"]
    # the rho-only system with RK4's grouped sums is the floor's own arithmetic: equal bit for bit
    assert all(r["max_scaled_diff"] == 0.0 for r in rows), rows


@pytest.mark.skipif(not FLOOR.exists(), reason="needs ../shared/reference/lorenz_handwritten.py beside the repository")
def test_the_reference_kernels_run_beside_the_floor_like_for_like(tmp_path):
    floor.main(["--floor", str(FLOOR), "--sim", "--cases", "rk4_fixed,tsit5_adaptive", "--systems", "lorenz3",
                "--reference", "--t1", "0.05", "--tag", "reference", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "floor_simulator_reference.json").read_text())["rows"]
    ours = {r["case"]: r for r in rows if r["variant"] == "reference"}
    assert set(ours) == {"rk4_fixed", "tsit5_adaptive"}
    # float32 arithmetic in another order than the floor's: agreement to a few float32 roundings a step
    assert all(r["max_scaled_diff"] < 1e-5 for r in ours.values()), ours
    # the reference's adaptive kernel runs the floor's I controller: the same steps on the same problem
    adaptive = ours["tsit5_adaptive"]
    assert adaptive["controller"] == "i"
    assert abs(adaptive["steps_bufferplan"] - adaptive["steps_floor"]) <= 0.05 * adaptive["steps_floor"]
