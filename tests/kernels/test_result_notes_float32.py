"""kernels/result_notes.py, float32_stall_note: a float32 run at MAX_STEPS whose steps were rejected at a point where
its rhs is not finite in float32 (and is in float64) is told so, not to raise max_steps (a laser physicist's trial);
and an implicit run's float32-range headline does not read as if the start were the problem."""

import math
import warnings

import numpy as np

import kernels

#: I [A] (2 and 3 times the threshold), V [m^3], tau_n [s], tau_p [s], g0 [m^3/s], N0 [m^-3], Gamma, eps [m^3], beta:
#: SI units, as the trial had them
LASER = np.array([[2.67e-2, 1e-16, 2e-9, 2e-12, 2.5e-12, 1e24, 0.3, 2e-23, 1e-5],
                  [4.0e-2, 1e-16, 2e-9, 2e-12, 2.5e-12, 1e24, 0.3, 2e-23, 1e-5]])


def _laser_overflowing(t, y, p, dydt):
    """Carrier density N = y[0] (1e22 and up) and photon density S = y[1]: N0 * S (``p[5] * y[1]``) passes 3.4e38 once
    S passes 3.4e14, well before the first save at 1e-10 s."""
    stim = y[0] * y[1] * p[4] - p[5] * y[1] * p[4]
    dydt[0] = p[0] / (1.602e-19 * p[1]) - y[0] / p[2] - stim / (1.0 + p[7] * y[1])
    dydt[1] = p[6] * stim / (1.0 + p[7] * y[1]) - y[1] / p[3] + p[6] * p[8] * y[0] / p[2]


def _solve(system, precision=np.float32, max_steps=300):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kernels.solve_ivp(system, (0.0, 1e-8), [1e22, 1e10], LASER, method="tsit5", rtol=1e-4,
                                 atol=np.array([1e14, 1e8]), precision=precision, t_eval=[1e-10, 1e-9, 1e-8],
                                 max_steps=max_steps, progress=False)


def test_a_float32_rhs_that_overflows_where_the_run_stalled_is_named_not_more_steps():
    """tsit5 churned through 100000 attempts (45454 rejected) at a point where N0 * S is inf in float32, and the
    message said "Raise max_steps, or loosen rtol and atol": neither can get past it (radau and rodas5p, failing
    outright, were told of float32's range)."""
    system = kernels.ODESystem(_laser_overflowing, n_states=2, n_params=9, name="laser_overflowing_f32")
    res = _solve(system)
    for i in range(2):
        assert int(res.status[i]) == kernels.Status.MAX_STEPS and 5 * res.n_rejected[i] >= 300
        message = res.message(i)
        assert "The system's rhs is not finite in float32 near t = " in message, message
        assert "before the save at t = 1e-" in message and "which the run did not reach" in message
        assert "`p[5] * y[1]`" in message and "or use precision=np.float64" in message
        assert "a larger max_steps or looser tolerances cannot get past it" in message
        assert "Raise max_steps" not in message and "loosen rtol and atol" not in message
    assert kernels.solve_ivp(system, (0.0, 1e-8), [1e22, 1e10], LASER, method="tsit5", rtol=1e-4,
                             atol=np.array([1e14, 1e8]), precision=np.float64, t_eval=[1e-10, 1e-9, 1e-8],
                             max_steps=3000, progress=False).success  # float64 holds it


def _forced_growth(t, y, p, dydt):
    s = 1.0 if math.sin(400.0 * t) > 0 else -1.0  # a square wave: most attempted steps are rejected at its jumps
    dydt[0] = 50.0 * y[0] + 1e3 * s


def test_a_float32_run_out_of_steps_with_a_finite_rhs_keeps_the_advice():
    """Rejected steps at a square wave's jumps, the float32 rhs finite all the way (5e21 at most): more steps are the
    answer, and the message still says so."""
    system = kernels.ODESystem(_forced_growth, 1, name="forced_growth_f32_note")
    res = kernels.solve_ivp(system, (0.0, 1.0), [1.0], method="tsit5", rtol=1e-5, atol=1e-5, max_steps=300,
                            precision=np.float32, progress=False)
    assert int(res.status[0]) == kernels.Status.MAX_STEPS and 5 * res.n_rejected[0] >= 300
    message = res.message(0)
    assert "Raise max_steps" in message and "not finite in float32" not in message, message


def test_an_implicit_runs_float32_range_headline_does_not_blame_the_start():
    """rodas5p on the same laser: its headline said the solution leaves float32's range "near t = 0" only because no
    save came before the failure (y0 is fine): it now says it leaves the range some time after the initial state."""
    system = kernels.ODESystem(_laser_overflowing, n_states=2, n_params=9, name="laser_overflowing_rodas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = kernels.solve_ivp(system, (0.0, 1e-8), [1e22, 1e10], LASER[1:], method="rodas5p", rtol=1e-4,
                                atol=np.array([1e14, 1e8]), t_eval=[1e-10, 1e-9, 1e-8], max_steps=300, progress=False)
    message = res.message(0)
    # since 2026-12-07 the follow judges float32's range at accepted states only and names the operation that
    # overflows (the state 1e22 is above float32's square root from the start, but no product overflows there)
    assert message.startswith("Likely cause: float32 makes the system's rhs inf (dydt[0]; "), message
    assert "It first leaves float32's range at `p[5] * y[1]` (1e+24 * 3.4e+14)" in message
    assert "range near t = 0" not in message
