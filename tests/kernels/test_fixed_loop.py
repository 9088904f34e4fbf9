"""The fixed-step loop: its count of steps (no float64 division), its cap, and what it compiles to."""

import json
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from kernel_helpers import run_on_cuda_target

import kernels
from kernels import Status
from kernels.resources import ptxas_path


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


DECAY = kernels.ODESystem(_decay, 1, 1, name="decay")
EULER = kernels.Integrator(DECAY, "euler", controller="fixed", precision=np.float64)


def _expected_count(interval, dt):
    """ceil(interval / dt), the ratio first rounded to the nearest integer when within 1e-9 of one."""
    ratio = interval / dt
    nearest = math.floor(ratio + 0.5)
    return max(nearest, 1) if abs(ratio - nearest) <= 1e-9 * nearest else math.ceil(ratio)


@settings(max_examples=25, deadline=None)
@given(t0=st.floats(-10.0, 10.0), lengths=st.lists(st.floats(1e-3, 2.0), min_size=1, max_size=3),
       n_per=st.floats(1.0, 60.0))
def test_steps_between_saves_are_what_dt_implies(t0, lengths, n_per):
    """Any save times and dt: ceil(interval / dt) steps each (within 1e-9 of an integer: that integer)."""
    t_eval = t0 + np.concatenate([[0.0], np.cumsum(lengths)])
    dt = (t_eval[1] - t_eval[0]) / n_per
    expected = sum(_expected_count(b - a, dt) for a, b in zip(t_eval[:-1], t_eval[1:]))
    assume(expected <= 20_000)  # a short first interval and long later ones: beyond a simulator test's time
    res = EULER.solve((t_eval[0], t_eval[-1]), [[1.0]], [[0.0]], dt=dt, t_eval=t_eval, max_steps=expected)
    assert res.success
    assert int(res.n_steps[0]) == expected
    np.testing.assert_array_equal(res.t, t_eval)


def test_max_steps_caps_the_run_inside_a_save_interval():
    """Two saves of 5 steps of 0.1: 10 steps succeed; fewer stop at the cap with the first save kept."""
    t_eval = [0.0, 0.5, 1.0]
    for max_steps in range(1, 13):
        res = EULER.solve((0.0, 1.0), [[1.0]], [[1.0]], dt=0.1, t_eval=t_eval, max_steps=max_steps)
        steps, status = int(res.n_steps[0]), int(res.status[0])
        assert steps == min(max_steps, 10), max_steps
        assert status == (Status.SUCCESS if max_steps >= 10 else Status.MAX_STEPS), max_steps
        assert res.y[0, 0, 0] == 1.0
        if max_steps >= 5:  # Euler on y' = -y: 0.9 a step, exactly the fifth lands on 0.5
            assert res.y[0, 1, 0] == pytest.approx(0.9 ** 5, rel=1e-14)
        else:
            assert np.isnan(res.y[0, 1, 0])
        assert np.isnan(res.y[0, 2, 0]) == (max_steps < 10)


_SCRIPT = """
import json, sys
import numpy as np
from numba import cuda
import kernels
from kernels.resources import _offline_device
rows = []
for method in json.loads(sys.argv[1]):
    integ = kernels.Integrator(kernels.lorenz(), method, controller="fixed", precision=np.float32)
    built = integ.build(integ.plan("local", block_size=128, device="h200"))
    with _offline_device((9, 0)):
        ptx, _ = cuda.compile_ptx(built.kernel.py_func, tuple(built.argument_types()), cc=(9, 0))
    rows.append([method, built.resources().registers_per_thread, ptx])
print(json.dumps(rows))
"""

# Registers of the float32 Lorenz kernel (ptxas of the compile extra, sm_90): 38 (RK4) and 40 (Tsit5)
# once the float64 division left the loop; 40 and 48 since the steps between finiteness tests are a bare
# counted loop, which the compiler unrolls twice, and the fixed-step sums are taken over one coefficient
# (h c_ref formed once a step). That ran 1.06x and 0.91x the hand-written floor on the H200 where the
# 38-register RK4 ran 1.16x (benchmarks/results/floor_nvidia-h200_shipped.json). 32 and 40 since the loop
# reads its save times and trajectory again after the steps (kernels.rematerialize): 32 registers is
# 65536 / (128 x 32) = 16 blocks of 4 warps, all 64 warp slots of an SM, as the hand-written RK4 has.
# RK4 36 since its sums add the terms of one weight ratio first (k0 + 2 (k1 + k2) + k3): 48 warp slots,
# and yet 1.019x the floor where the 32-register form ran 1.071x (floor_nvidia-h200_grouped.json).
_REGISTER_CEILING = {"rk4": 36, "tsit5": 40}


@pytest.mark.skipif(ptxas_path() is None, reason="needs ptxas (pip install 'bufferplan[compile]')")
def test_fixed_loop_compiles_without_float64_division():
    for method, registers, ptx in run_on_cuda_target(_SCRIPT, json.dumps(sorted(_REGISTER_CEILING))):
        assert not any(op in ptx for op in ("div.rn.f64", "div.full.f64", "rcp.rn.f64")), method
        assert "call.uni" not in ptx, f"{method}: a subroutine call in the kernel"
        assert registers <= _REGISTER_CEILING[method], (method, registers)


@pytest.mark.parametrize("t_eval", [None, [1e-2, 1e30]])
def test_a_span_of_more_steps_than_an_int64_stops_at_max_steps(t_eval):
    """(0, 1e30) at dt 0.01 is 1e32 steps: the run stops at max_steps with MAX_STEPS (as any span beyond
    max_steps does), instead of overflowing the interval's step count (an OverflowError on the simulator)."""
    res = EULER.solve((0.0, 1e30), [[1.0]], [[1.0]], dt=0.01, t_eval=t_eval, max_steps=50, progress=False)
    assert res.status.tolist() == [Status.MAX_STEPS] and res.n_steps.tolist() == [50]
    assert "max_steps" in res.message(0)
