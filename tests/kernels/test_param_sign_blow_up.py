"""A failed row whose finite-time blow-up the host follow shows (a step size underflow where the state ran away)
opens its message with the row's lone negative parameter (kernels.param_sign.stop_sign_note in kernels.rhs_hint)."""

import numpy as np
import pytest

import kernels

TOLD = ("params[1, 1] (K) = -5 is negative where every other row's column 1 is >= 0: check its sign (a rate given "
        "negative makes a mode grow).")


def _predator_prey(t, y, p, dydt):
    """Rosenzweig-MacArthur: logistic prey N to capacity K, a Holling type II predator P."""
    eaten = p[2] * y[0] / (1.0 + p[2] * p[3] * y[0])
    dydt[0] = p[0] * y[0] * (1.0 - y[0] / p[1]) - eaten * y[1]
    dydt[1] = p[4] * eaten * y[1] - p[5] * y[1]


SYSTEM = kernels.ODESystem(_predator_prey, n_states=2, n_params=6, name="rosenzweig_macarthur_blow_up",
                           param_names=("r", "K", "a", "h", "e", "m"))
#: A K sweep with a sign slip in row 1: its prey grows as N^2 / 5 and blows up near t = 2.83.
SWEEP = np.tile([1.0, 5.0, 1.0, 1.0, 0.5, 0.1], (3, 1))
SWEEP[:, 1] = [2.0, -5.0, 8.0]


@pytest.mark.parametrize("t_eval", [[25.0, 50.0, 75.0, 100.0], [1.0, 2.0, 2.5, 2.7, 100.0]],
                         ids=["no-save-before-the-blow-up", "saves-grown-74-fold"])
def test_a_step_size_underflow_the_state_ran_away_to_opens_with_the_lone_negative_entry(t_eval):
    """The K = -5 row ended STEP_SIZE_UNDERFLOW with no save, or with saves grown 74-fold (the hundredfold rule
    missed them), and its message spoke of dt_min, singularities and SciPy's Radau stopping too, never of K (a
    user's trial): it now opens with K, once; the rows that succeeded say nothing of signs."""
    res = kernels.solve_ivp(SYSTEM, (0.0, 100.0), [0.5, 0.5], SWEEP, t_eval=t_eval, method="tsit5", rtol=1e-6,
                            atol=1e-9, precision=np.float64, progress=False)
    assert [int(s) for s in res.status] == [0, int(kernels.Status.STEP_SIZE_UNDERFLOW), 0]
    message = res.message(1)
    assert message.startswith(TOLD + " The step size fell below the minimum step"), message
    assert message.count("is negative where") == 1 and "SciPy's Radau stops too" in message
    assert "check its sign" not in res.message(0)
