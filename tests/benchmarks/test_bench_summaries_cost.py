"""benchmarks.summaries_cost on the simulator: every variant takes the same steps, the summaries keep the final state."""

import json

import pytest

from benchmarks import summaries_cost


@pytest.mark.parametrize("case", ["tsit5_adaptive", "rk4_fixed"])
def test_summaries_and_events_variants_agree_with_the_final_state_run(tmp_path, case):
    summaries_cost.main(["--sim", "--cases", case, "--tag", "t", "--out", str(tmp_path)])
    (path,) = tmp_path.glob("summaries_cost_*_t.json")
    rows = json.loads(path.read_text())["rows"]
    assert [r["variant"] for r in rows] == list(summaries_cost.variants(case))
    assert ("sampled" in summaries_cost.variants(case)) == ("sampled100" in summaries_cost.variants(case)) \
        == (case == "rk4_fixed")
    checks = rows[0]["checks"]
    assert checks["same_steps"] and checks["summary_final_equals_y"], checks
    if case == "tsit5_adaptive":  # to t = 1 (the fixed-step case stops at 0.05 on the simulator)
        assert checks["crossings_mean"] > 0  # the event on x sees the trajectories cross zero
    assert rows[0]["ratio_to_final"] == 1.0 and all(r["ms"] > 0 for r in rows)
