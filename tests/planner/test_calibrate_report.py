"""``planner calibrate``'s report: which register constants were fitted and which kept, and the sweep's card."""

import json

from planner.calibrate import calibrate
from planner.cli import main


def _record(precision, local, registers):
    return {"record": "config", "status": "ok", "precision": precision,
            "plan": {"local_elements": local, "persistent_local_elements": 0,
                     "placements": {"loop.erk.stage_rhs": "local", "loop.state": "local"}},
            "kernel": {"registers_per_thread": registers, "local_bytes_per_thread": 0}}


def _sweep(path, name="NVIDIA H100 80GB HBM3", capability=(9, 0), precisions=("float32",)):
    run = {"record": "run", "device": {"name": name, "compute_capability": list(capability)}}
    records = [_record(p, n, 30 + n // 2) for p in precisions for n in (10, 40, 100)]
    path.write_text("\n".join(json.dumps(r) for r in [run] + records) + "\n")
    return path


def test_the_report_says_which_bases_and_rates_were_fitted_and_which_kept(tmp_path):
    """A performance engineer's trial (2026-12-06): "register bases: default 20, erk 60" read as two fitted bases,
    though the sweep had no record of the default family (its base is the preset's)."""
    report = calibrate(_sweep(tmp_path / "s.jsonl"), "h100").report()
    assert "register bases: default 20 (kept: no records), erk 30;" in report
    assert "rate float32 0.500, float64 " in report and "registers/word" in report
    assert report.split("float64 ")[1].split(" registers/word")[0].endswith("(kept: no records)")


def test_a_sweep_from_another_card_is_noted_not_refused(tmp_path, capsys):
    """The same trial: an H100 sweep calibrated as --device h200 wrote an h200 model without a word."""
    out = tmp_path / "h200.json"
    assert main(["calibrate", str(_sweep(tmp_path / "s.jsonl")), "--device", "h200", "--out", str(out)]) == 0
    report = capsys.readouterr().out
    assert ("note: the sweep ran on NVIDIA H100 80GB HBM3, fitted here as --device h200 (both compute capability "
            "9.0, which ptxas compiles alike)") in report
    assert out.exists()
    other = calibrate(_sweep(tmp_path / "a.jsonl", "NVIDIA A100-SXM4-80GB", (8, 0)), "h200").report()
    assert "compute capability 8.0 against 9.0: the register counts may not carry over" in other
    same = calibrate(_sweep(tmp_path / "h.jsonl"), "h100").report()
    assert "note:" not in same
