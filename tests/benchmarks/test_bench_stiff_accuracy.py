"""benchmarks.stiff_accuracy: stiff problems on the simulator against SciPy's Radau, in tolerance units."""

import json

import pytest

from benchmarks import stiff_accuracy


def test_a_run_is_recorded_within_its_tolerance(tmp_path):
    argv = ["--methods", "sdirk2", "--problems", "van_der_pol", "--rtols", "1e-5", "--tag", "t", "--out", str(tmp_path)]
    assert stiff_accuracy.main(argv) == 0
    (row,) = json.loads((tmp_path / "stiff_accuracy_t.json").read_text())["results"]
    assert row["status"] == 0 and row["steps"] > 10 and row["newton"] >= row["steps"]
    assert row["error_tol_units"] < 20.0  # the tests' bound on the stiff problems


@pytest.mark.parametrize("argv, flag", [(["--problems", "lorenz"], "--problems"), (["--rtols", "x"], "--rtols"),
                                        (["--rtols", "2"], "--rtols")])
def test_bad_arguments_are_refused(argv, flag, capsys):
    with pytest.raises(SystemExit) as stop:
        stiff_accuracy.main(argv)
    assert stop.value.code == 2 and flag in capsys.readouterr().err
