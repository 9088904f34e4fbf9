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
