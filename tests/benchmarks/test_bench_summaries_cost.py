"""benchmarks.summaries_cost on the simulator: every variant takes the same steps, the summaries keep the final state."""

import json

from benchmarks import summaries_cost


def test_summaries_and_events_variants_agree_with_the_final_state_run(tmp_path):
    summaries_cost.main(["--sim", "--cases", "tsit5_adaptive", "--tag", "t", "--out", str(tmp_path)])
    (path,) = tmp_path.glob("summaries_cost_*_t.json")
    rows = json.loads(path.read_text())["rows"]
    assert [r["variant"] for r in rows] == list(summaries_cost.variants("tsit5_adaptive"))
    checks = rows[0]["checks"]
    assert checks["same_steps"] and checks["summary_final_equals_y"], checks
    assert checks["crossings_mean"] > 0  # the event on x sees the trajectories cross zero
    assert rows[0]["ratio_to_final"] == 1.0 and all(r["ms"] > 0 for r in rows)


def test_sampled_variants_only_for_fixed_steps():
    """Summaries(every > 1) needs a fixed step: the adaptive case leaves the sampled variants out (their
    statistics are checked against NumPy in tests/kernels/test_summaries.py)."""
    sampled = {"sampled", "sampled100", "all-every10"}
    assert sampled <= set(summaries_cost.variants("rk4_fixed")) == set(summaries_cost.VARIANTS)
    assert not sampled & set(summaries_cost.variants("tsit5_adaptive"))
    for variant in sampled:
        assert summaries_cost.integrator("rk4_fixed", variant).settings.summaries.every > 1
