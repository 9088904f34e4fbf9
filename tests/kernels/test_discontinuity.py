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


def _hill(t, y, p, dydt):  # a Hill term y ** n, n fractional, of a state that decays to 0 (p[5]: 1 clips it at 0)
    x = max(y[0], 0.0) if p[5] > 0.0 else y[0]
    xn = x ** p[2]
    dydt[0] = p[0] * xn / (p[1] ** p[2] + xn) - p[3] * y[0]
    dydt[1] = p[4] / (1.0 + xn) - y[1]


HILL = kernels.ODESystem(_hill, 2, 6, name="hill_rejected")


def test_a_success_that_spent_its_steps_rejected_below_zero_says_so_and_why():
    """A systems biologist's trial: float64 radau succeeded with 119 of 381 steps rejected (a third of the accepted
    ones), each an overshoot of y_0 below 0 into y ** 2.3 = NaN, with the plain success message; with max(y, 0.0)
    it takes 121 steps, none rejected, and is told nothing."""
    rows = [[0.5, 1.0, 2.3, 5.0, 2.0, 0.0], [0.5, 1.0, 2.3, 5.0, 2.0, 1.0]]
    res = kernels.solve_ivp(HILL, (0.0, 30.0), [1.0, 0.0], rows, t_eval=np.linspace(0.0, 30.0, 7), method="radau",
                            rtol=1e-6, atol=1e-9, precision=np.float64, progress=False)
    assert res.success and res.n_rejected[0] * 4 >= res.n_steps[0] + res.n_rejected[0] >= 100
    message = res.message(0)
    assert message.startswith(kernels.STATUS_MESSAGES[kernels.SUCCESS] + " It spent "), message
    assert f"It spent {res.n_rejected[0]} of its {res.n_steps[0] + res.n_rejected[0]} attempted steps" in message
    assert "The rhs is not finite where y[:, 0] dips just below 0" in message and "max(x, 0.0) ** n" in message
    assert res.n_rejected[1] == 0 and res.message(1) == kernels.STATUS_MESSAGES[kernels.SUCCESS]


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


@pytest.mark.parametrize("system, span, y0, params, method", [
    (kernels.lorenz(), (0.0, 20.0), [1.0, 1.0, 1.0], [[10.0, 28.0, 8.0 / 3.0]], "tsit5"),  # 12 % rejected
    (kernels.stiff_van_der_pol(), (0.0, 3000.0), [2.0, 0.0], [[1000.0]], "radau"),      # 24 %
    (kernels.stiff_van_der_pol(), (0.0, 3000.0), [2.0, 0.0], [[1000.0]], "rodas5p"),    # 32 %
    (kernels.robertson(), (0.0, 1e5), [1.0, 0.0, 0.0], [[0.04, 3e7, 1e4]], "rodas5p"),  # 2 %
    (kernels.ODESystem(_decay, 1, 1, name="decay_rejected"), (0.0, 100.0), [1.0], [[1.0]], "tsit5"),
])
def test_an_ordinary_success_gets_no_rejected_steps_note(system, span, y0, params, method):
    """At default tolerances and precision a smooth problem rejects up to about a third of its attempts: no note."""
    res = kernels.solve_ivp(system, span, y0, params, method=method, progress=False)
    assert res.success and res.message(0) == kernels.STATUS_MESSAGES[kernels.SUCCESS], res.message(0)


def test_the_rejected_note_needs_a_cause_and_a_quarter_of_100_attempts_and_a_krylov_run_gets_the_cause_only():
    """The share alone is no cause: an ordinary run rejects up to a third, and a Krylov run's own note says it."""
    from types import SimpleNamespace

    from kernels.discontinuity import rejected_success_note

    cause = SimpleNamespace(domain=SimpleNamespace(hint=lambda trajectory, t, y: " The cause."))  # a NotedProbe's

    def note(accepted, rejected, linear="lu", status=kernels.SUCCESS, probe=cause):
        result = SimpleNamespace(n_steps=np.array([accepted]), n_rejected=np.array([rejected]),
                                 status=np.array([status]), linear=linear, stiffness_probe=probe, y=None, t=None)
        return rejected_success_note(result, 0)

    assert note(160, 90) == " It spent 90 of its 250 attempted steps (36%) on rejected ones. The cause."
    assert note(160, 90, "gmres") == " The cause."
    assert note(160, 90, probe=None) == "" and note(128, 114, probe=None) == ""  # 47 %, but no cause named
    assert note(190, 60) == "" and note(60, 30) == ""  # 24 %; 90 attempts, too few to matter
    assert note(160, 90, status=kernels.MAX_STEPS) == ""
