"""benchmarks.adaptive_steps: one small run writes its rows, with SciPy's step count beside the library's."""

import json

from benchmarks import adaptive_steps


def test_a_small_run_writes_steps_errors_and_scipys_steps(tmp_path):
    adaptive_steps.main(["--n", "2", "--methods", "dop853", "--rtols", "1e-6", "--problems", "van_der_pol",
                         "--out", str(tmp_path), "--tag", "t"])
    (path,) = tmp_path.glob("adaptive_steps_*_t.json")
    doc = json.loads(path.read_text())
    (row,) = doc["rows"]
    assert doc["schema"] == adaptive_steps.SCHEMA and row["success"]
    assert row["scipy_method"] == "DOP853" and row["scipy_steps"] > 0
    # the combined estimate takes SciPy's steps to within a quarter (the old 5th-order one took 1.4x and more)
    assert 0.75 < row["steps"] / row["scipy_steps"] < 1.25
    assert row["error_tolerances"] < 20.0 and "kernel_ms" not in row  # no GPU: not timed
