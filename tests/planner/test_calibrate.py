"""``planner calibrate``: the register constants fitted to a sweep's records, with the error reported."""

import json
import pathlib
import re

import pytest

from planner import DeviceModel
from planner.calibrate import calibrate
from planner.cli import main

SWEEP = pathlib.Path(__file__).parents[2] / "benchmarks" / "results" / "placement_sweep_nvidia-h100-80gb-hbm3.jsonl"


def _record(precision, local, registers, local_bytes=0, status="ok"):
    return {"record": "config", "status": status, "precision": precision,
            "plan": {"local_elements": local, "persistent_local_elements": 0,
                     "placements": {"loop.erk.stage_rhs": "local", "loop.state": "local"}},
            "kernel": {"registers_per_thread": registers, "local_bytes_per_thread": local_bytes}}


def _write(path, records):
    path.write_text("\n".join(json.dumps(r) for r in [{"record": "run"}] + records) + "\n")


def test_fit_recovers_the_constants_of_exact_records(tmp_path):
    # erk: 30 registers + 0.5 per float32 word, 0.75 per float64 word (2 words per element)
    records = [_record("float32", n, 30 + n // 2) for n in (10, 40, 100)]
    records += [_record("float64", n, 30 + round(0.75 * 2 * n)) for n in (20, 60)]
    records += [_record("float32", 500, 255), _record("float32", 50, 90, local_bytes=64),
                _record("float32", 5, 9, status="error")]
    _write(tmp_path / "s.jsonl", records)
    result = calibrate(tmp_path / "s.jsonl", "h200")
    assert dict(result.device.register_bases)["erk"] == 30
    assert result.device.registers_per_word == pytest.approx(0.5, abs=1e-6)
    assert result.device.registers_per_word_64 == pytest.approx(0.75, abs=1e-6)
    assert len(result.samples) == 5 and result.skipped == 3
    assert result.error_after[2] <= 1 < result.error_before[2]


def test_cli_writes_a_device_model_and_reports_the_error(tmp_path, capsys):
    out = tmp_path / "h100.json"
    assert main(["calibrate", str(SWEEP), "--device", "h100", "--out", str(out)]) == 0
    report = capsys.readouterr().out
    assert "registers predicted vs compiled" in report and "before" in report and "after" in report
    model = DeviceModel.from_json(json.loads(out.read_text()))
    assert "erk" in dict(model.register_bases)
    before, after = (float(x) for x in re.findall(r"([\d.]+) \([\d.]+ %\), worst \d+ (?:before|after)", report))
    assert after < before


@pytest.mark.parametrize("content, message", [("{\"record\": \"run\"}\n", "no configuration record"),
                                              ("not json\n", "not JSON"), (None, "cannot read"),
                                              # an indented problem file (an integrator developer's trial)
                                              ("{\n  \"buffers\": []\n}\n", "the file is one JSON document")])
def test_cli_bad_sweep_is_one_error_line(tmp_path, capsys, content, message):
    path = tmp_path / "s.jsonl"
    if content is not None:
        path.write_text(content)
    assert main(["calibrate", str(path), "--device", "h200"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
