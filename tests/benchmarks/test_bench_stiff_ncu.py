"""benchmarks.stiff_ncu: the worker configs it profiles, the figures it reads back, and its arguments."""

import json
import os

import pytest

from benchmarks import stiff_ncu, stiff_worker

RESULTS = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "results", "sym_rhs_2026-12-02")


def test_the_committed_profiles_read_back_with_their_figures():
    rows = {r["kernel"]: r for r in stiff_ncu.summarize(RESULTS, steps=10, n_traj=65536)}
    assert set(rows) == {"bufferplan_rodas4", "bufferplan_sdirk4", "cubie_rodas4", "cubie_sdirk4"}
    ours, cubie = rows["bufferplan_rodas4"], rows["cubie_rodas4"]
    assert ours["ms"] == pytest.approx(17.29, abs=0.01) and cubie["ms"] == pytest.approx(7.709, abs=0.001)
    assert ours["registers"] == 128 and cubie["registers"] == 255 and ours["grid"] * ours["block"] == 65536
    # 1640.1 M warp instructions over 2048 warps and 10 steps
    assert ours["instr/warp/step"] == pytest.approx(1640.101888e6 / 2048 / 10)
    assert ours["local loads (M)"] == pytest.approx(302.415872) and ours["DRAM read (GB)"] > 3 * cubie["DRAM read (GB)"]


def test_a_page_that_is_not_ncu_raw_is_refused(tmp_path, capsys):
    path = tmp_path / "raw_x.csv"
    path.write_text("just one line\n")
    with pytest.raises(ValueError, match="not an ncu raw page"):
        stiff_ncu.raw_figures(str(path))
    path.write_text('"gpu__time_duration.sum"\n"ms"\n"n/a"\n')
    assert stiff_ncu.main(["--summarize", str(tmp_path)]) == 2
    assert "gpu__time_duration.sum is 'n/a', not a number" in capsys.readouterr().err


def test_worker_config_runs_in_the_stiff_worker(tmp_path, capsys):
    """The config it hands ncu is one stiff_worker runs (simulator: 4 states, 2 trajectories, 2 steps)."""
    args = stiff_ncu.parse_args(["--out", str(tmp_path), "--n", "4", "--n-traj", "2", "--steps", "2",
                                 "--precision", "float64", "--impls", "bufferplan-lusym", "--methods", "rodas4"])
    ((stem, cfg),) = stiff_ncu.worker_configs(args, str(tmp_path))
    assert stem == "bufferplan-lusym_rodas4"
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(cfg))
    assert stiff_worker.main([str(path)]) == 0
    (line,) = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("RESULT ")]
    res = json.loads(line[7:])
    assert res["ok"], res
    assert res["steps"]["max"] == 2 and res["success_fraction"] == 1.0


@pytest.mark.parametrize("argv, flag", [([], "--out"), (["--out", "x", "--impls", "teleport"], "--impls"),
                                        (["--out", "x", "--n", "7"], "--n"), (["--out", "x", "--steps", "0"], "--steps")])
def test_bad_arguments_name_the_flag(argv, flag, capsys):
    with pytest.raises(SystemExit) as stop:
        stiff_ncu.parse_args(argv)
    assert stop.value.code == 2 and flag in capsys.readouterr().err


def test_summarize_of_an_empty_folder_says_so(tmp_path, capsys):
    assert stiff_ncu.main(["--summarize", str(tmp_path)]) == 2
    assert "no raw_*.csv" in capsys.readouterr().err


def test_a_missing_ncu_is_one_message_and_nothing_written(tmp_path, capsys):
    out = tmp_path / "out"
    assert stiff_ncu.main(["--out", str(out), "--ncu", str(tmp_path / "no-ncu")]) == 2
    assert "--ncu: no Nsight Compute executable" in capsys.readouterr().err and not out.exists()
