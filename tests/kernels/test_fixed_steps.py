"""Fixed steps are exact: the count that dt implies between saves, and blow-ups stop early."""

import warnings

import numpy as np
import pytest

import kernels
from kernels import Status
from kernels.loop import FINITE_CHECK_STEPS


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


DECAY = kernels.ODESystem(_decay, 1, 1, name="decay")


@pytest.mark.parametrize("span, dt, saves, expected", [
    ((0.0, 0.5), 1e-3, None, 500),
    ((0.0, 0.5), 1e-3, 51, 500),            # saves every 0.01: 10 steps each, no sliver steps
    ((0.0, 0.3), 0.1, None, 3),             # 0.3 / 0.1 = 2.9999999999999996 in float64
    ((0.0, 0.3), 0.1, 4, 3),
    ((1.0, 1.7), 0.1, 8, 7),                # 0.7 / 0.1 = 6.999999999999999
    ((0.0, 1.0), 0.3, None, 4),             # 3 steps of 0.3 and a last one of 0.1
    ((0.0, 1.0), 0.3, 3, 4),                # saves at 0, 0.5, 1: 2 steps a half (0.3 + 0.2)
])
def test_step_count_is_what_dt_implies(span, dt, saves, expected):
    t_eval = None if saves is None else np.linspace(span[0], span[1], saves)
    res = kernels.solve_ivp(DECAY, span, [1.0], [[1.0]], method="euler", dt=dt, t_eval=t_eval,
                            precision=np.float64)
    assert res.success and int(res.n_steps[0]) == expected
    if saves is not None:
        np.testing.assert_array_equal(res.t, t_eval)


def test_last_step_lands_on_the_save_time():
    """Euler on y' = -y with dt = 0.3 over [0, 1]: three steps of 0.3, then exactly 0.1."""
    res = kernels.solve_ivp(DECAY, (0.0, 1.0), [1.0], [[1.0]], method="euler", dt=0.3, precision=np.float64)
    assert res.y[0, -1, 0] == pytest.approx(0.7 ** 3 * 0.9, rel=1e-15)


def _stiff(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = p[0] * (1.0 - y[0] * y[0]) * y[1] - y[0]


def test_fixed_step_blowup_stops_within_the_check_interval_without_warnings():
    """Stiff Van der Pol with RK4 far beyond its stability limit blows up within tens of steps."""
    vdp = kernels.ODESystem(_stiff, 2, 1, name="vdp")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # none may reach the user
        res = kernels.solve_ivp(vdp, (0.0, 100.0), [2.0, 0.0], [[1000.0]], method="rk4", dt=0.01,
                                precision=np.float32)
    assert int(res.status[0]) == Status.NONFINITE_STATE
    # the state overflows float32 within a few dozen steps; it is found at the first test
    assert int(res.n_steps[0]) == FINITE_CHECK_STEPS
    assert np.all(np.isnan(res.y[0]))


@pytest.mark.parametrize("every", [10, 1000])
def test_sampled_summaries_blowup_stops_at_the_first_test_after_the_check_interval(every):
    """With ``Summaries(every=k)`` the state is tested after the run of k steps that passes the check interval."""
    vdp = kernels.ODESystem(_stiff, 2, 1, name="vdp")
    res = kernels.solve_ivp(vdp, (0.0, 100.0), [2.0, 0.0], [[1000.0]], method="rk4", dt=0.01, precision=np.float32,
                            summaries=kernels.Summaries(states=[0], stats=("mean",), every=every),
                            save_trajectory=False)
    assert int(res.status[0]) == Status.NONFINITE_STATE
    first = -(-FINITE_CHECK_STEPS // every) * every  # the first multiple of every at or past the interval
    assert int(res.n_steps[0]) == first
    assert np.isnan(res.summaries["mean"][0, 0, 0])


def _cubic(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[0] - y[0] * y[0] * y[0]


def test_rk4_fixed_step_rounds_as_the_hand_written_form():
    """Float32 RK4 sums its weights as ``k1 + 2 (k2 + k3) + k4`` times ``h / 6``, the hand-written floor's form:
    one step on the simulator (no fused multiply-adds there) equals that arithmetic bit for bit, and differs
    from the ungrouped ``k1 + 2 k2 + 2 k3 + k4`` for some of these trajectories (so the test can fail)."""
    f32 = np.float32
    rng = np.random.default_rng(7)
    y0 = rng.uniform(-2.0, 2.0, (32, 2)).astype(f32)
    p = rng.uniform(0.5, 3.0, (32, 1)).astype(f32)
    h = f32(0.25)
    system = kernels.ODESystem(_cubic, 2, 1, name="cubic")
    res = kernels.solve_ivp(system, (0.0, 0.25), y0, p, method="rk4", dt=0.25, precision=np.float32)
    assert res.success and (res.n_steps == 1).all()

    def rhs(y, q):
        return np.array([y[1], -q[0] * y[0] - y[0] * y[0] * y[0]], f32)

    grouped, plain = [], []
    for y, q in zip(y0, p):
        half = h * f32(0.5)
        k1 = rhs(y, q)
        k2 = rhs(y + half * k1, q)
        k3 = rhs(y + half * k2, q)
        k4 = rhs(y + h * f32(1.0) * k3, q)
        sixth = h * f32(1.0 / 6.0)
        grouped.append(y + sixth * (k1 + f32(2.0) * (k2 + k3) + k4))
        plain.append(y + sixth * (k1 + f32(2.0) * k2 + f32(2.0) * k3 + k4))
    np.testing.assert_array_equal(res.y[:, -1, :], np.array(grouped))
    assert not np.array_equal(np.array(grouped), np.array(plain))
