"""``planner calibrate`` on sweeps it cannot fit (a user's trial, 2026-12-07): bad fields crashed or were fitted,
a sweep of one size wrote absurd constants, a fit worse than the preset was written, a byte-order mark was refused."""

import json
import math

import pytest

from planner import ConfigurationError
from planner.calibrate import calibrate
from planner.cli import main


def _record(local=10, registers=30, precision="float32", persistent=0, placements=None, **changes):
    record = {"record": "config", "status": "ok", "precision": precision,
              "plan": {"local_elements": local, "persistent_local_elements": persistent,
                       "placements": placements or {"loop.erk.stage_rhs": "local"}},
              "kernel": {"registers_per_thread": registers, "local_bytes_per_thread": 0}}
    record.update(changes)
    return record


def _exact(sizes=(10, 40, 100), precision="float32"):
    """Records the h100 preset's form fits exactly: erk 30 registers + 0.5 per float32 word."""
    return [_record(n, 30 + n // 2, precision) for n in sizes]


def _write(path, records, prefix=b""):
    path.write_bytes(prefix + "".join(json.dumps(r) + "\n" for r in [{"record": "run"}] + records).encode())
    return path


def _cli_error(path, capsys, out):
    """The one error line of ``planner calibrate PATH --device h100 --out OUT``, checking exit 2 and no file."""
    assert main(["calibrate", str(path), "--device", "h100", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and not out.exists()
    (line,) = captured.err.strip().splitlines()
    return line


def _bad(section, field, value):
    record = _record()
    record[section][field] = value
    return record


@pytest.mark.parametrize("record, message", [
    (_bad("kernel", "registers_per_thread", 0), "kernel.registers_per_thread: expected an integer >= 1, got 0"),
    (_bad("kernel", "registers_per_thread", -5), "kernel.registers_per_thread: expected an integer >= 1, got -5"),
    (_bad("kernel", "registers_per_thread", True), "kernel.registers_per_thread: expected an integer >= 1, got true"),
    (_bad("kernel", "local_bytes_per_thread", 0.5), "kernel.local_bytes_per_thread: expected an integer >= 0, got 0.5"),
    (_bad("plan", "local_elements", "10"), "plan.local_elements: expected an integer from 0 to 131072 (CUDA's 512 KiB"
                                           " of local memory a thread, at 4 B an element), got \"10\""),
    (_bad("plan", "local_elements", 1e300), "plan.local_elements: expected an integer from 0 to 131072"),
    (_bad("plan", "local_elements", -3), "plan.local_elements: expected an integer from 0 to 131072"),
    (_bad("plan", "persistent_local_elements", 10 ** 9), "plan.persistent_local_elements: expected an integer"),
    (_record(kernel=None), "kernel: expected an object, as a record with status ok has, got null"),
    (_record(plan=[1]), "plan: expected an object"),
    (_record(precision="int8"), "precision: expected one of float16, float32, float64, got 'int8'"),
    (_record(placements={"loop..x": "local"}), "plan.placements: key 'loop..x': expected identifiers joined by '.'"),
], ids=["registers-0", "registers-negative", "registers-bool", "local-bytes-float", "local-string", "local-1e300",
        "local-negative", "persistent-huge", "kernel-null", "plan-list", "precision", "empty-family"])
def test_a_bad_field_is_named_with_its_file_and_line(tmp_path, capsys, record, message):
    """registers 0 was a ZeroDivisionError, "10" a TypeError, 1e300 'cannot convert float NaN to integer', -5 a fit
    with -500 % error, loop..x a base named '' in the report."""
    path = _write(tmp_path / "s.jsonl", _exact() + [record])
    line = _cli_error(path, capsys, tmp_path / "fit.json")
    assert line.startswith(f"planner: error: sweep {path}:5: ") and message in line, line
    assert line.endswith("; fix or drop the record (benchmarks/placement_sweep.py writes them)")


def test_records_without_plan_totals_are_skipped_and_counted(tmp_path):
    """``"plan": {}`` was fitted as 0 local elements, though the report says such records are skipped."""
    no_totals = [_record(plan={}), _record(plan={"local_elements": 40, "placements": {}}),
                 {k: v for k, v in _record().items() if k != "plan"}]
    result = calibrate(_write(tmp_path / "s.jsonl", _exact() + no_totals), "h100")
    assert len(result.samples) == 3 and result.skipped == 3
    assert "(3 others skipped: not ok, with local memory, at the register limit, or no plan totals)" in result.report()
    with pytest.raises(ConfigurationError, match="no configuration record with a kernel kept in registers"):
        calibrate(_write(tmp_path / "t.jsonl", no_totals), "h100")


@pytest.mark.parametrize("records, names", [
    ([_record(10, 30), _record(10, 31), _record(10, 30)], "the float32 records of each method family have one plan "
                                                          "size only (words a thread: erk 10)"),
    (_exact() + [_record(20, 60, "float64", placements={"loop.state": "local"}),
                 _record(20, 61, "float64", placements={"loop.state": "local"})],
     "the float64 records of each method family have one plan size only (words a thread: default 40)"),
], ids=["one-size", "one-float64-size"])
def test_a_sweep_whose_sizes_do_not_vary_is_refused(tmp_path, capsys, records, names):
    """Three records at one size wrote erk base 0 and 2.156 registers a word (the preset: 18 and 0.8), exit 0."""
    line = _cli_error(_write(tmp_path / "s.jsonl", records), capsys, tmp_path / "fit.json")
    assert names in line and "cannot both be fitted and nothing is written" in line, line
    assert line.endswith("run a placement sweep over several sizes of each method and precision (python -m "
                         "benchmarks.placement_sweep --sizes 3,16,64,128)")


def test_one_size_per_family_is_enough_where_another_family_fixes_the_rate(tmp_path):
    """The rate comes from erk's sizes; the default family's one record then fixes its base: no refusal."""
    records = _exact() + [_record(20, 52, placements={"loop.state": "local"})]
    result = calibrate(_write(tmp_path / "s.jsonl", records), "h100")
    assert dict(result.device.register_bases) == {"default": 42, "erk": 30}


def test_a_fit_worse_than_the_preset_is_not_written(tmp_path, capsys):
    """The trial's fit reported its error going from 0.3 to 0.7 registers and wrote the file all the same."""
    records = [_record(n, math.ceil(18 + 0.8 * n)) for n in (10, 20, 30, 50, 60, 70)] + [_record(40, 200)]
    line = _cli_error(_write(tmp_path / "s.jsonl", records), capsys, tmp_path / "fit.json")
    assert ("the fitted constants predict the 7 records' registers worse than the h100 preset (mean |error| 37.1 "
            "against 21.4), so nothing is written and the preset stays the better model") in line, line


def test_a_sweep_may_start_with_a_byte_order_mark(tmp_path, capsys):
    path = _write(tmp_path / "s.jsonl", _exact(), prefix="\ufeff".encode())
    assert main(["calibrate", str(path), "--device", "h100"]) == 0
    assert "register bases: default 20 (kept: no records), erk 30;" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\xff\xfe{}\n")
    assert "not UTF-8 text (invalid start byte at byte 0)" in _cli_error(bad, capsys, tmp_path / "fit.json")
