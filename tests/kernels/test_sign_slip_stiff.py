"""The MAX_STEPS stiffness hint opens with a params row's lone negative entry where that sign made the problem stiff
(kernels.param_sign.stiff_columns), and is unchanged for stiff problems with no such entry or one elsewhere."""

import re

import numpy as np

import kernels
from kernels.stiffness import STIFF_MARK

SIGN = "is negative where every other row's column"


def _sir(t, y, p, dydt):  # S, I, R fractions; p = beta, gamma
    infections = p[0] * y[0] * y[1]
    dydt[0] = -infections
    dydt[1] = infections - p[1] * y[1]
    dydt[2] = p[1] * y[1]


def test_an_sir_draw_with_gamma_given_negative_is_told_the_parameter_before_stiffness():
    """An epidemiologist's trial: gamma = -1/7 in one draw grows I at 1/7 a day to where S decays at beta I, 500 and
    more times faster than the solution changes; tsit5 stopped at MAX_STEPS and was told only that the problem looks
    stiff and to try radau, which then "succeeded" with I = 6.3e6 in a population of fractions."""
    system = kernels.ODESystem(_sir, 3, 2, name="sir_sign_slip", param_names=("beta", "gamma"))
    params = np.array([[0.5, 1 / 7], [0.5, -1 / 7], [0.4, 1 / 7]])
    result = kernels.solve_ivp(system, (0.0, 120.0), [0.999, 0.001, 0.0], params, method="tsit5",
                               precision=np.float64, rtol=1e-6, atol=1e-9, max_steps=300, progress=False)
    assert result.status.tolist() == [kernels.SUCCESS, kernels.MAX_STEPS, kernels.SUCCESS]
    message = result.message(1)
    assert ("params[1, 1] (gamma) = -0.143 is negative where every other row's column 1 is >= 0: check its sign"
            in message), message
    assert message.index(SIGN) < message.index(STIFF_MARK)  # it leads the hint
    assert SIGN not in result.message(0) and SIGN not in result.message(2)


def _forced_vdp(t, y, p, dydt):  # Van der Pol with mu = p[0], forced at amplitude p[1] (no part of the Jacobian)
    dydt[0] = y[1]
    dydt[1] = p[0] * (1.0 - y[0] * y[0]) * y[1] - y[0] + p[1] * np.sin(t)


def _hint_follows_the_steps(message):
    """Whether the stiffness hint comes right after the steps taken, with nothing put before it."""
    return re.search(r"accepted steps? \(\d+ rejected\)\." + re.escape(STIFF_MARK), message) is not None


def test_a_lone_negative_entry_that_is_not_in_the_stiff_mode_is_not_named():
    """A forcing amplitude given negative in one row leaves the Jacobian as it is: the stiffness is mu's, and the
    hint stays as it was."""
    system = kernels.ODESystem(_forced_vdp, 2, 2, name="forced_vdp_sign")
    params = np.array([[1000.0, 0.5], [1000.0, -0.5], [1200.0, 0.5]])
    result = kernels.solve_ivp(system, (0.0, 1.0), [2.0, 0.0], params, method="tsit5", max_steps=50,
                               progress=False)
    for i in range(3):
        message = result.message(i)
        assert int(result.status[i]) == kernels.MAX_STEPS
        assert SIGN not in message and _hint_follows_the_steps(message), message


def test_stiff_problems_with_positive_parameters_keep_their_hint():
    """Van der Pol in a batch with varied mu, and Robertson: no entry is negative, so the hint is today's."""
    vdp = kernels.solve_ivp(kernels.stiff_van_der_pol(), (0.0, 1.0), [2.0, 0.0], [[1000.0], [800.0], [1200.0]],
                            method="tsit5", max_steps=50, progress=False)
    robertson = kernels.solve_ivp(kernels.robertson(), (0.0, 100.0), [1.0, 0.0, 0.0],
                                  [[0.04, 3e7, 1e4], [0.05, 3e7, 1e4]], method="tsit5", precision=np.float64,
                                  max_steps=500, progress=False)
    for result in (vdp, robertson):
        for i in range(result.status.shape[0]):
            message = result.message(i)
            assert SIGN not in message and _hint_follows_the_steps(message), message


def _net_decay(t, y, p, dydt):  # y0 decays at p[0] - p[1] (loss less production); y1 slowly
    dydt[0] = -(p[0] - p[1]) * y[0]
    dydt[1] = -0.01 * y[1]


def test_a_sign_that_makes_the_fast_mode_itself_is_named():
    """A production rate given negative turns a net decay of 1 into one of 2e4 beside a solution changing at 0.01:
    flipping its sign back takes the fast mode away, so it leads the hint."""
    system = kernels.ODESystem(_net_decay, 2, 2, name="net_decay_sign", param_names=("loss", "production"))
    params = np.array([[1e4, 9999.0], [1e4, -9999.0], [1e4, 9999.5]])
    result = kernels.solve_ivp(system, (0.0, 100.0), [1.0, 1.0], params, method="tsit5", precision=np.float64,
                               max_steps=300, progress=False)
    assert int(result.status[1]) == kernels.MAX_STEPS
    message = result.message(1)
    assert "params[1, 1] (production) = -1e+04 is negative" in message, message
    assert message.index(SIGN) < message.index(STIFF_MARK)


def test_the_criterion_at_the_judged_state():
    """At an SIR state with I grown to 150 (where the hint judged it), gamma's flip takes the growth away; a span too
    short for that growth to carry the state anywhere names nothing, nor does a forcing amplitude, which is no part
    of the Jacobian."""
    from kernels.param_sign import stiff_columns

    forced = kernels.ODESystem(_forced_vdp, 2, 2, name="forced_vdp_state")
    forcing = np.array([[1000.0, 0.5], [1000.0, -0.5], [1200.0, 0.5]])
    assert stiff_columns(forced, forcing, 1, 0.1, np.array([1.9, -0.01]), 1.0).size == 0
    system = kernels.ODESystem(_sir, 3, 2, name="sir_sign_state")
    params = np.array([[0.5, 1 / 7], [0.5, -1 / 7], [0.4, 1 / 7]])
    grown = np.array([2e-8, 152.7, -151.7])
    start = (0.0, np.array([0.999, 0.001, 0.0]))
    assert stiff_columns(system, params, 1, 45.6, grown, 120.0, start=start).tolist() == [1]
    assert stiff_columns(system, params, 0, 45.6, grown, 120.0, start=start).size == 0  # no lone negative entry
    # under one e-fold of gamma's growth at 1/7 over the span, and gamma is no part of the fast mode
    assert stiff_columns(system, params, 1, 45.6, grown, 1.0, start=start).size == 0
    # a start as stiff as the judged state: the growth did not carry it to the fast mode
    assert stiff_columns(system, params, 1, 45.6, grown, 120.0, start=(45.6, grown)).size == 0


def _vdp_offset(t, y, p, dydt):
    x = y[0] - p[1]
    dydt[0] = y[1]
    dydt[1] = p[0] * (1.0 - x * x) * y[1] - x


def _coupled_sensor(t, y, p, dydt):
    dydt[0] = p[0] * (y[1] - y[0])
    dydt[1] = p[0] * (y[0] - y[1])
    dydt[2] = -1e4 * (y[2] - y[0])


def test_legitimately_negative_parameters_of_a_stiff_sweep_are_not_accused():
    """A regression hunt: Van der Pol (mu = 1000) with an offset swept through 0, and a sweep of signed couplings
    beside a sensor relaxing at 1e4 in every row, opened row 0's stiffness hint with "check its sign": the offset
    moves the fast mode by a factor 4 only, and the coupling's growth did not make the problem stiff (every row is)."""
    offset = kernels.ODESystem(_vdp_offset, 2, 2, name="vdp_offset_sign", param_names=("mu", "offset"))
    result = kernels.solve_ivp(offset, (0.0, 1.0), [2.0, 0.0], np.array([[1000.0, -0.5], [1000.0, 0.0],
                               [1000.0, 0.5], [1000.0, 1.0]]), method="tsit5", precision=np.float64, max_steps=50,
                               progress=False)
    coupled = kernels.ODESystem(_coupled_sensor, 3, 1, name="coupled_sensor_sign", param_names=("k",))
    signed = kernels.solve_ivp(coupled, (0.0, 20.0), [1.0, 0.9, 1.0], np.linspace(-0.2, 1.0, 4)[:, None],
                               method="tsit5", precision=np.float64, max_steps=60, progress=False)
    for res in (result, signed):
        assert int(res.status[0]) == kernels.MAX_STEPS
        message = res.message(0)
        assert STIFF_MARK in message and SIGN not in message, message
