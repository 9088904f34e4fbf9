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
