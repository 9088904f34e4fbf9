"""benchmarks.e5_long on the simulator: radau keeps E5 within tolerance over its long span, and a row says so."""

from benchmarks import e5_long


def test_radau_row_on_e5_to_1e13():
    row = e5_long.run("radau", 1e-6, 1.7e-24, e5_long.reference())
    assert row["status"] == 0 and row["rejected"] == 0
    assert row["error_tolerances_final"] < 1.0 and len(row["error_tolerances"]) == len(e5_long.T_SAVE)
    assert abs(row["invariant_1e4"]) < 1e-24
