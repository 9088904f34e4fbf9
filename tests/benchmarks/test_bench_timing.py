"""benchmarks.timing: the bound launch is Integrator.solve's launch, and the timers return what they promise."""

import numpy as np
import pytest

import kernels
from benchmarks import timing
from benchmarks.lorenz_problem import make_problem


@pytest.mark.parametrize("method, controller", [("tsit5", "fixed"), ("tsit5", "pi"), ("rk4", "fixed")])
def test_bound_launch_reproduces_solve_bit_for_bit(method, controller):
    integ = kernels.Integrator(kernels.lorenz(), method, controller, np.float32)
    plan = integ.plan("local")
    y0, params = make_problem(5)
    kw = dict(dt=1e-3, t_eval=np.array([0.004, 0.008]), max_steps=500)
    if controller != "fixed":  # (a fixed-step explicit run takes no tolerances)
        kw.update(rtol=1e-5, atol=1e-5)
    solved = integ.solve((0.0, 0.008), y0, params, plan=plan, **kw)
    bound = timing.bind_launch(integ, plan, (0.0, 0.008), y0, params, **kw)
    got = bound.host_outputs()
    np.testing.assert_array_equal(got["y"], solved.y)
    np.testing.assert_array_equal(got["status"], solved.status)
    np.testing.assert_array_equal(got["n_steps"], solved.n_steps)
    np.testing.assert_array_equal(got["n_rejected"], solved.n_rejected)
    assert bound.kernel is integ.build(plan)  # the Integrator's own kernel, not a copy
    bound()  # launching again writes the same numbers
    np.testing.assert_array_equal(bound.host_outputs()["y"], solved.y)


def test_time_gpu_counts_rounds_and_calls():
    calls = []
    t = timing.time_gpu(lambda: calls.append(1), repeats=3, warmup=2, per_round=4)
    assert len(t.ms) == 3 and t.per_round == 4 and len(calls) == 2 + 3 * 4
    assert t.min_ms <= t.median_ms and all(ms >= 0 for ms in t.ms)
    assert t.method == (timing.EVENTS if timing.on_gpu() else timing.SIMULATED)
    assert set(t.to_json()) == {"median_ms", "min_ms", "ms", "per_round", "method"}


def test_time_gpu_budget_stops_after_one_round():
    t = timing.time_gpu(lambda: None, repeats=50, warmup=0, budget_s=0.0)
    assert len(t.ms) == 1


@pytest.mark.parametrize("bad", [dict(repeats=0), dict(per_round=0), dict(warmup=-1)])
def test_time_gpu_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="time_gpu"):
        timing.time_gpu(lambda: None, **{"repeats": 1, **bad})


@pytest.mark.parametrize("sync_inside", [False, True])
def test_host_times_us(sync_inside):
    calls = []
    out = timing.host_times_us(lambda: calls.append(1), repeats=4, warmup=1, sync_inside=sync_inside)
    assert len(out) == 4 and len(calls) == 5 and all(us >= 0 for us in out)


def test_interleaved_rounds_warm_up_once_and_lead_each_sample_with_an_untimed_launch():
    calls = {"a": 0, "b": 0}

    def launcher(key):
        def launch():
            calls[key] += 1
        return launch

    medians, samples, method = timing.time_interleaved({k: launcher(k) for k in calls}, reps=3, batch=2)
    assert calls == {"a": 1 + 3 * (1 + 2), "b": 1 + 3 * (1 + 2)}
    assert set(medians) == {"a", "b"} and all(len(v) == 3 for v in samples.values())
    assert all(m >= 0.0 for m in medians.values()) and method
