"""Right-hand-side evaluations per trajectory: exact for explicit steps on both loops."""

import numpy as np
import pytest

import kernels
from kernels import Event


@pytest.mark.parametrize("method, per_step, prime", [("rk4", 4, 0), ("tsit5", 6, 1), ("euler", 1, 0),
                                                     ("dopri5", 6, 1)])
def test_fixed_step_counts_stages_less_fsal_reuse(method, per_step, prime):
    res = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.2), [1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0], method=method,
                            dt=0.01, controller="fixed", t_eval=[0.05, 0.2], precision=np.float64)
    assert res.success and int(res.n_steps[0]) == 20
    assert res.n_rhs.shape == (1,) and res.n_rhs.dtype == np.int32
    assert int(res.n_rhs[0]) == 20 * per_step + prime


@pytest.mark.parametrize("dt", [None, 0.01])
def test_adaptive_counts_attempts_primes_and_the_first_step_choice(dt):
    """Tsit5: 6 per attempt, the FSAL cache primed at the start and after each rejection, and f(t0, y0) and
    f(t0 + h0, y0 + h0 f0) to choose dt."""
    res = kernels.solve_ivp(kernels.van_der_pol(), (0.0, 10.0), [[2.0, 0.0]], [[5.0]], method="tsit5", dt=dt,
                            rtol=1e-6, atol=1e-6, precision=np.float64)
    accepted, rejected = int(res.n_steps[0]), int(res.n_rejected[0])
    assert res.success and rejected > 0
    assert int(res.n_rhs[0]) == 6 * (accepted + rejected) + 1 + rejected + (2 if dt is None else 0)


def test_event_location_adds_its_evaluations():
    def height(t, y, p):
        return y[0] - 1.7

    plain = kernels.solve_ivp(kernels.van_der_pol(), (0.0, 1.0), [2.0, 0.0], method="rk4", dt=0.1,
                              precision=np.float64)
    stopped = kernels.solve_ivp(kernels.van_der_pol(), (0.0, 1.0), [2.0, 0.0], method="rk4", dt=0.1,
                                precision=np.float64, events=Event(height, terminal=True))
    counted = kernels.solve_ivp(kernels.van_der_pol(), (0.0, 1.0), [2.0, 0.0], method="rk4", dt=0.1,
                                precision=np.float64, events=Event(height))
    assert plain.success and int(plain.n_rhs[0]) == 40
    assert int(stopped.status[0]) == kernels.Status.EVENT
    # two evaluations locate the crossing on the interpolant, then each re-taken step of the refinement is
    # one rk4 step (four evaluations), at least one and at most nine
    extra = int(stopped.n_rhs[0]) - 4 * int(stopped.n_steps[0]) - 2
    assert extra % 4 == 0 and 4 <= extra <= 36
    # a crossing counted without a terminal event in the step is not located: no extra evaluation
    assert int(counted.event_count[0, 0]) == 1 and int(counted.n_rhs[0]) == 40
