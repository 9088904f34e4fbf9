"""benchmarks.placement_probe on the simulator: every variant is a row, a pattern matching nothing a failed one."""

import json

import pytest

from benchmarks import placement_probe


def test_variants_pin_one_pattern_shared_and_the_rest_local():
    rows = placement_probe.variants([128, 64], ["loop.firk.lu_1.factor"])
    assert [label for label, *_ in rows] == ["local b128", "loop.firk.lu_1.factor shared b128", "local b64",
                                             "loop.firk.lu_1.factor shared b64", "auto"]
    assert rows[1][1:] == ("greedy", 128, {"*": "local", "loop.firk.lu_1.factor": "shared"})


def test_simulator_run_records_each_variant(tmp_path, capsys):
    placement_probe.main(["--sim", "--blocks", "4", "--shared", "loop.firk.lu_1.factor", "--shared", "no.such",
                          "--out", str(tmp_path)])
    (path,) = tmp_path.glob("placement_probe_*.json")
    rows = {row["label"]: row for row in json.loads(path.read_text())["results"]}
    assert rows["local b4"]["ok"] and rows["local b4"]["success_fraction"] == 1.0
    shared = rows["loop.firk.lu_1.factor shared b4"]
    assert shared["ok"] and shared["plan"]["shared_bytes_per_block"] > 0
    assert not rows["no.such shared b4"]["ok"] and "matches no buffer" in rows["no.such shared b4"]["error"]


def test_bad_block_list_is_refused(capsys):
    with pytest.raises(SystemExit):
        placement_probe.main(["--blocks", "64,x"])
    assert "--blocks: expected a comma list of integers" in capsys.readouterr().err


def test_a_comma_list_pins_several_patterns_in_one_variant_and_auto_can_be_left_out():
    rows = placement_probe.variants([32], ["a.factor,b.stage_*"], auto=False)
    assert [label for label, *_ in rows] == ["local b32", "a.factor,b.stage_* shared b32"]
    assert rows[1][3] == {"*": "local", "a.factor": "shared", "b.stage_*": "shared"}


@pytest.mark.parametrize("given, cap", [("auto", "auto"), ("none", None), ("128", 128)])
def test_register_cap_argument(given, cap):
    assert placement_probe.parse_args(["--max-registers", given]).cap == cap


def test_bad_register_cap_is_refused(capsys):
    with pytest.raises(SystemExit):
        placement_probe.parse_args(["--max-registers", "300"])
    assert "--max-registers: expected auto, none or an integer from 16 to 255" in capsys.readouterr().err
