"""kernels/float32_range.py: a float32 rhs that leaves float32's range only once a state that starts at 0 is not 0."""

import warnings

import numpy as np
import pytest

import kernels
from kernels import float32_range

CHAPMAN_PARAMS = np.array([1e-5, 6e-34, 1e-3, 8e-15, 2.5e19])  # j1, k2, j3, k4, M
MIDNIGHT = np.array([0.0, 5e18, 1e12])  # O, O2, O3 in molecules cm^-3: no O at t0


def _chapman_reading_order(t, y, p, dydt):
    r1, r2, r3, r4 = p[0] * y[1], y[1] * p[4] * y[0] * p[1], p[2] * y[2], p[3] * y[0] * y[2]  # O2*M*O*k2: 1e47
    dydt[0] = 2.0 * r1 - r2 + r3 - r4
    dydt[1] = -r1 - r2 + r3 + 2.0 * r4
    dydt[2] = r2 - r3 - r4


def _chapman_rates_first(t, y, p, dydt):
    r1, r2, r3, r4 = p[0] * y[1], p[1] * p[4] * y[0] * y[1], p[2] * y[2], p[3] * y[0] * y[2]  # k2*M*O*O2
    dydt[0] = 2.0 * r1 - r2 + r3 - r4
    dydt[1] = -r1 - r2 + r3 + 2.0 * r4
    dydt[2] = r2 - r3 - r4


def _precision_warnings(system, y0, dtype=np.float32):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        float32_range.warn_float32_range(system, 0.0, [(0, y0, CHAPMAN_PARAMS)], dtype, {})
    return [str(w.message) for w in record if issubclass(w.category, kernels.PrecisionWarning)]


def test_a_product_past_float32s_range_is_seen_though_a_state_starts_at_0():
    """A chemist's trial: O = 0 at midnight made M*O*O2 0 where the check looked (y0 alone), and the float32 run
    ended at max_steps with half its steps rejected and no PrecisionWarning.  The states that start at 0 are judged
    again at the row's least magnitude (O3's 1e12): the warning comes, says where, and what to do."""
    system = kernels.ODESystem(_chapman_reading_order, 3, 5, name="chapman_reading_order")
    [message] = _precision_warnings(system, MIDNIGHT)
    assert message.startswith("rhs leaves float32's range at t0 for trajectory 0 with the states that start at 0 "
                              "(y[:, 0]) set to 1e+12, the least magnitude of its y0")
    assert "k * M * A * B, not M * A * B * k" in message and "precision=np.float64" in message
    with pytest.warns(kernels.PrecisionWarning, match=r"states that start at 0 \(y\[:, 0\]\) set to 1e\+12"):
        kernels.solve_ivp(system, (0.0, 0.5), MIDNIGHT, CHAPMAN_PARAMS, method="rk4", dt=0.25, progress=False)


def test_the_rates_first_order_float64_and_rows_without_a_0_say_nothing():
    """The same mechanism with each rate constant first keeps float32's range (k2*M*O*O2): no warning; nor in
    float64; nor is a row judged again where no state is 0, or every state is (no magnitude to take)."""
    rates_first = kernels.ODESystem(_chapman_rates_first, 3, 5, name="chapman_rates_first")
    reading = kernels.ODESystem(_chapman_reading_order, 3, 5, name="chapman_reading_order")
    assert _precision_warnings(rates_first, MIDNIGHT) == []
    assert _precision_warnings(reading, MIDNIGHT, np.float64) == []
    assert _precision_warnings(reading, np.array([1.0, 5e18, 1e12])) == []  # O = 1: M*O*O2 = 1.25e38, in range
    assert [y for _, y in float32_range._probes(np.array([1.0, 2.0]))] == [pytest.approx([1.0, 2.0])]
    assert len(list(float32_range._probes(np.zeros(3)))) == 1


def test_every_state_at_0_is_set_together():
    """Two states that start at 0 are set together, so a product of the two is judged too."""
    (_, y0), (words, probe) = float32_range._probes(np.array([0.0, 3e-5, 0.0, 2.0]))
    assert list(probe) == [3e-5, 3e-5, 3e-5, 2.0]
    assert "(y[:, 0], y[:, 2]) set to 3e-05" in words


LASER_ROW = np.array([4.0e-2, 1e-16, 2e-9, 2e-12, 2.5e-12, 1e24, 0.3, 2e-23, 1e-5])  # SI units, 3 times threshold


def _laser_n0_times_s(t, y, p, dydt):
    stim = y[0] * y[1] * p[4] - p[5] * y[1] * p[4]  # N0 * S: past 3.4e38 once S passes 3.4e14
    dydt[0] = p[0] / (1.602e-19 * p[1]) - y[0] / p[2] - stim / (1.0 + p[7] * y[1])
    dydt[1] = p[6] * stim / (1.0 + p[7] * y[1]) - y[1] / p[3] + p[6] * p[8] * y[0] / p[2]


def _laser_gain_first(t, y, p, dydt):
    gain = p[4] * (y[0] - p[5]) / (1.0 + p[7] * y[1])  # g0 (N - N0) first: every product stays in range
    dydt[0] = p[0] / (1.602e-19 * p[1]) - y[0] / p[2] - gain * y[1]
    dydt[1] = p[6] * gain * y[1] - y[1] / p[3] + p[6] * p[8] * y[0] / p[2]


def test_float32_stall_finds_where_the_float32_rhs_stops_being_finite_on_the_path():
    """A laser's N0 * S overflows float32 along the path from a start (N = 1e22, S = 1e10) where it is finite: tsit5
    stalled there at max_steps (a physicist's trial).  The point, moved back by bisection, has S at the overflow; the
    same model with g0 (N - N0) first has no such point up to 1e-8 s, nor has a run that ends before the growth."""
    overflowing = kernels.ODESystem(_laser_n0_times_s, 2, 9, name="laser_n0_times_s")
    t, y, i, out, exact = float32_range.float32_stall(overflowing, 0.0, [1e22, 1e10], LASER_ROW, 1e-10)
    assert 0.0 < t < 1e-10 and y[1] == pytest.approx(3.4e38 / 1e24, rel=1e-3)
    assert not np.isfinite(out[i]) and np.all(np.isfinite(exact))
    assert float32_range.float32_stall(overflowing, 0.0, [1e22, 1e10], LASER_ROW, 1e-13) is None
    gain_first = kernels.ODESystem(_laser_gain_first, 2, 9, name="laser_gain_first")
    assert float32_range.float32_stall(gain_first, 0.0, [1e22, 1e10], LASER_ROW, 1e-8) is None


def _rate_state_velocity(t, y, p, dydt):
    """A spring-slider with rate-and-state friction, y = (V, theta, tau); no rate reads tau."""
    v, th = y[0], y[1]
    dth = 1.0 - v * th / p[2]
    dv = (p[3] * (p[4] - v) - p[5] * p[1] / th * dth) / (p[5] * p[0] / v + p[6])
    dydt[0] = dv
    dydt[1] = dth
    dydt[2] = p[3] * (p[4] - v) - p[6] * dv


RATE_STATE = np.array([0.0075, 0.015, 1e-2, 1e6, 1e-9, 1e7, 5e6, 1e-6])  # a, b, Dc, k, Vpl, sigma, eta, V0
RATE_STATE_Y0 = np.array([1.1e-9, 1e7, 0.0])  # V (m/s), theta (s), tau (Pa)


def test_the_host_follow_probes_no_state_far_off_its_path():
    """Every point the host follow's rhs is asked at (its differenced Jacobian's too) stays near the path: SciPy
    multiplied the step in tau, which no rate reads, by 10 at each Jacobian and probed tau = -1.9e19 (the path stays
    below 4e6), and the hints that judge each point took the probe for the float32 run's overflow and told a
    geophysicist to rescale units (kernels/host_follow.py; a trial)."""
    from kernels.host_follow import follow_on_host

    seen = []

    def f(t, y):
        seen.append(np.abs(y[2]))
        out = np.empty(3)
        _rate_state_velocity(t, y, RATE_STATE, out)
        return out

    with np.errstate(all="ignore"):
        times, states, _ = follow_on_host(f, 0.0, 5e9, RATE_STATE_Y0, 5000)
    assert max(seen) <= 10.0 * np.max(np.abs(states[:, 2])) + 1.0


@pytest.mark.parametrize("status", [kernels.Status.SINGULAR_MATRIX, kernels.Status.NEWTON_NOT_CONVERGED,
                                    kernels.Status.STEP_SIZE_UNDERFLOW])
def test_a_float32_overflow_is_claimed_only_where_a_follow_at_the_runs_tolerances_meets_it(status):
    """The default host follow (rtol 1e-3, atol 1e-6 * theta0 = 10) took the slider's V ~ 1e-9 below 0 and theta to
    1.9e19, and a failed float32 run at rtol 1e-5, atol 1e-8 was told its state passes float32's square root there;
    SciPy's Radau at rtol 1e-10 keeps V in [3e-18, 0.36] and theta below 1.6e9 (a geophysicist's trial).  Followed
    again at the run's tolerances, the path stays in range: no float32 claim."""
    from kernels.rhs_hint import rhs_probe

    system = kernels.ODESystem(_rate_state_velocity, 3, 8, name="rate_state_velocity")
    probe = rhs_probe(system, [int(status)], [RATE_STATE_Y0], [RATE_STATE], 0.0, 5e9, np.float32,
                      tolerances=(1e-5, 1e-8))
    hint = probe.hint(0)
    assert "float32" not in hint and "square root" not in hint, hint
