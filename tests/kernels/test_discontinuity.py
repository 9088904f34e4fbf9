"""A right-hand side that jumps (stick-slip friction): no stiffness claimed, no false stability warning, a hint."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernels.discontinuity import jump_columns


def _friction(t, y, p, dydt):  # a mass on a spring with Coulomb friction: sign(v) written with branches
    v = y[1]
    sign = 0.0
    if v > 0.0:
        sign = 1.0
    elif v < 0.0:
        sign = -1.0
    dydt[0] = v
    dydt[1] = -p[0] * y[0] - p[1] * 9.81 * sign


def _kink(t, y, p, dydt):
    dydt[0] = -abs(y[0]) - y[1]
    dydt[1] = y[0]


def _stiff(t, y, p, dydt):
    dydt[0] = -1e6 * (y[0] - math.cos(t))
    dydt[1] = -y[1]


def _root(t, y, p, dydt):
    dydt[0] = -math.sqrt(abs(y[0]))
    dydt[1] = -y[1]


def _quarter(t, y, p, dydt):
    dydt[0] = -abs(y[0]) ** 0.25
    dydt[1] = -y[1]


def _michaelis_menten(t, y, p, dydt):  # K = 1e-6, below the increment at y = 0 (scaled to the reservoir, 1000)
    dydt[0] = 1e-3 - y[0] / (1e-6 + y[0])
    dydt[1] = -1e-3


def _copysign(t, y, p, dydt):  # +1 at v = 0: only increments to the left cross the switch
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[0] - p[1] * 9.81 * math.copysign(1.0, y[1])


FRICTION = kernels.ODESystem(_friction, 2, 2, name="friction")


@pytest.mark.parametrize("system, y, columns", [
    (FRICTION, [0.1, 0.0], {1: (1.0, -1.0)}),                                    # v = 0: sign jumps
    (FRICTION, [0.1, 0.3], {}),                                                  # moving: smooth there
    (kernels.ODESystem(_copysign, 2, 2, name="copysign"), [0.1, 0.0], {1: (-1.0,)}),  # from the left
    (kernels.ODESystem(_kink, 2, name="kink"), [0.0, 1.0], {}),                  # a kink reads one side's slope
    (kernels.ODESystem(_stiff, 2, name="stiff"), [1.0, 1.0], {}),                # stiff, smooth
    (kernels.ODESystem(_root, 2, name="root"), [0.0, 1.0], {}),                  # singular slopes at 0, no jump
    (kernels.ODESystem(_quarter, 2, name="quarter"), [0.0, 1.0], {}),
    (kernels.ODESystem(_michaelis_menten, 2, name="mm"), [0.0, 1000.0], {}),
])
def test_jump_columns_tell_a_jump_from_stiffness_kinks_and_singular_slopes(system, y, columns):
    """A regression hunt: y ** 0.25 and a Michaelis-Menten term with K below the increment, at 0, read as
    jumps (quotients 32 and 94 times apart at one step) and hid a genuine StabilityWarning; copysign(1, v) at 0
    was missed (increments to the right never cross it)."""
    p = np.array([80.0, 0.2])[:system.n_params]
    assert jump_columns(system, 0.0, np.array(y), p) == columns


def test_a_fixed_step_from_rest_under_friction_does_not_warn_of_instability():
    """A user's trial: rk4 at dt 1e-3 from v = 0 warned of a 'decaying mode of rate 6.58e8' (the difference quotient
    across sign's jump) on a run that is stable and ends within 4e-4 of SciPy's Radau."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.StabilityWarning)
        res = kernels.solve_ivp(FRICTION, (0.0, 0.2), [0.1, 0.0], [[80.0, 0.2]], method="rk4", dt=1e-3,
                                precision=np.float64, progress=False)
    assert res.success and np.all(np.isfinite(res.y))


def test_a_stiff_spring_beside_friction_at_rest_still_warns():
    """The jump at v = 0 silenced the whole check: x'' = -1e6 x with friction, rk4 at dt 0.01 from rest ended at
    -1.25e259 with success and no warning (a regression hunt). The jumping column is differenced past the jump;
    the spring's mode stays."""
    with pytest.warns(kernels.StabilityWarning, match="an oscillation of"):
        kernels.solve_ivp(FRICTION, (0.0, 0.05), [0.1, 0.0], [[1e6, 0.2]], method="rk4", dt=0.01,
                          precision=np.float64, progress=False)


@pytest.mark.parametrize("method", ["tsit5", "radau"])
def test_stick_slip_at_max_steps_names_the_jump_not_stiffness(method):
    """tsit5 was told 'the problem looks stiff: try an implicit method', and radau, which it named, stopped at
    MAX_STEPS too with 'raise max_steps, or loosen rtol' (SciPy's Radau fails as well): neither remedy helps."""
    res = kernels.solve_ivp(FRICTION, (0.0, 1.0), [0.1, 0.0], [[80.0, 0.2]], method=method, rtol=1e-6,
                            atol=1e-8, precision=np.float64, max_steps=300, progress=False)
    assert int(res.status[0]) == kernels.Status.MAX_STEPS
    message = res.message(0)
    assert "The rhs jumps at the initial state (t = 0)" in message and "smooth the switch (tanh(v / eps)" in message
    assert "looks stiff" not in message and "Raise max_steps" not in message


def _dips(t, y, p, dydt):  # x decays fast to 0; x ** 2.7 is NaN for the overshoots below 0
    dydt[0] = -p[0] * y[0]
    dydt[1] = 1.0 / (1.0 + y[0] ** p[1]) - 0.1 * y[1]


def test_a_rhs_not_finite_just_below_zero_is_named_at_max_steps():
    """A user's trial: every overshoot of a decaying x below 0 made x ** 2.7 NaN and the step rejected (float64:
    33499 steps, 28078 rejected; with max(x, 0.0) 31); in float32 the MAX_STEPS message blamed float32's rounding.
    A state far from 0 that the rhs never drives there is not asked."""
    system = kernels.ODESystem(_dips, 2, 2, name="dips")
    res = kernels.solve_ivp(system, (0.0, 20.0), [1.0, 0.0], [[1000.0, 2.7]], method="rodas5p", rtol=1e-5,
                            atol=1e-6, max_steps=200, progress=False)
    assert int(res.status[0]) == kernels.Status.MAX_STEPS
    message = res.message(0)
    assert "The rhs is not finite where y[:, 0] dips just below 0 (at -1e-07 it gives NaN)" in message
    assert "max(x, 0.0) ** n" in message and "float32" not in message and "Raise max_steps" not in message
    from kernels.discontinuity import domain_edge

    assert domain_edge(system, 0.0, np.array([1.0, 0.0]), np.array([1e-3, 2.7]), 20.0) is None  # slow: stays away


def _drag(t, y, p, dydt):  # a smooth but steep drag at v = 0, beside a large unrelated state
    dydt[0] = 0.0
    dydt[1] = -100.0 * y[1] / (0.01 + abs(y[1]))


def _threshold(t, y, p, dydt):  # the stiff branch is the one active at x = 0.5
    if y[0] > 0.5:
        dydt[0] = -1.0
    else:
        dydt[0] = -1.0e4 * (y[0] - 0.2)
    dydt[1] = -y[1]


@pytest.mark.parametrize("rhs, y0", [(_drag, [1e8, 0.0]), (_threshold, [0.5, 1.0])])
def test_steep_or_switching_columns_keep_a_genuine_stability_warning(rhs, y0):
    """A regression hunt: beside a state of 1e8 the step at v = 0 was 1.5, past the drag's 0.01, so its rate of 1e4
    read as 66 (no warning, 9.8e4 tolerances off); at x0 = 0.5 exactly the forward difference crossed into the slow
    branch (no warning, 4e8 off). Both warn now."""
    system = kernels.ODESystem(rhs, 2, name="steep")
    with pytest.warns(kernels.StabilityWarning, match="rate 1e\\+04"):
        kernels.solve_ivp(system, (0.0, 0.1), [y0], method="rk4", dt=0.01, precision=np.float64, progress=False)


def _rises(t, y, p, dydt):  # z grows from 0: z ** 1.5 is never asked below 0
    dydt[0] = 1.0 - y[0] ** 1.5
    dydt[1] = -y[1]


def test_a_state_rising_from_zero_gets_no_domain_hint():
    system = kernels.ODESystem(_rises, 2, name="rises")
    res = kernels.solve_ivp(system, (0.0, 10.0), [0.0, 1.0], method="tsit5", max_steps=5, precision=np.float64,
                            progress=False)
    assert int(res.status[0]) == kernels.Status.MAX_STEPS
    assert "dips just below 0" not in res.message(0) and "Raise max_steps" in res.message(0)
