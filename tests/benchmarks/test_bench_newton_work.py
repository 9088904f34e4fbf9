"""benchmarks.newton_work: right-hand sides per step counted on the simulator, per family's structure."""

import json

import pytest

from benchmarks import newton_work


def test_counts_follow_each_familys_structure(tmp_path):
    out = tmp_path / "w.json"
    argv = ["--methods", "rodas4,sdirk4,radau", "--sizes", "4", "--precisions", "float64", "--t1-by-n", "4:0.003",
            "--json", str(out)]
    assert newton_work.main(argv) == 0
    rows = {r["method"]: r for r in json.loads(out.read_text())["rows"]}
    assert all(r["status"] == 0 and r["steps"] == 3 for r in rows.values())
    assert rows["rodas4"]["rhs_per_step"] == 6.0  # one per stage, no f_t for an autonomous system
    assert rows["sdirk4"]["rhs_per_step"] >= 5.0  # five implicit stages, at least one Newton iteration each
    radau = rows["radau"]
    assert (radau["rhs_calls"] - radau["steps"]) % 3 == 0  # f(t, y) once a step, three per Newton iteration


@pytest.mark.parametrize("argv, flag", [(["--sizes", "16"], "--t1-by-n"), (["--precisions", "float16"], "--tol"),
                                        (["--sizes", "x"], "--sizes")])
def test_bad_arguments_are_refused(argv, flag, capsys):
    with pytest.raises(SystemExit) as stop:
        newton_work.parse_args(argv)
    assert stop.value.code == 2 and flag in capsys.readouterr().err
