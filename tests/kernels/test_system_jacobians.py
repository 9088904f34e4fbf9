"""A system's own jac and jvp: kept, checked against differences of its rhs on construction, named when wrong.

The check runs on the host (any machine); a derivative flagged here is named again by every run that uses it.
"""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError, ODESystem
from kernel_helpers import stiff_pair


def _vdp(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = p[0] * (1.0 - y[0] * y[0]) * y[1] - y[0]


def _vdp_jac(t, y, p, J):
    J[0] = 0.0
    J[1] = 1.0
    J[2] = -2.0 * p[0] * y[0] * y[1] - 1.0
    J[3] = p[0] * (1.0 - y[0] * y[0])


def test_a_dense_jacobian_is_kept_and_checked_like_the_rhs():
    system = ODESystem(_vdp, 2, 1, jac=_vdp_jac, name="vdp")
    assert system.jac is _vdp_jac

    def missing(t, y, p, J):  # J[3] never assigned
        J[0] = 0.0
        J[1] = 1.0
        J[2] = -1.0

    with pytest.raises(ConfigurationError, match=r"jac of system 'vdp' did not assign J\[3\]"):
        ODESystem(_vdp, 2, 1, jac=missing, name="vdp")
    def with_drivers(t, y, p, u, J):
        J[0] = 0.0

    with pytest.raises(ConfigurationError, match=r"jac must take 4 arguments \(t, y, p, J\)"):
        ODESystem(_vdp, 2, 1, jac=with_drivers, name="vdp")


def test_host_jac_matches_differences_of_host_rhs_and_needs_a_jac():
    """``host_jac`` (SciPy's ``jac=``) is the system's ``jac`` as an n x n array: central differences of
    ``host_rhs`` agree to 1e-6 relative on Robertson; a system without ``jac`` is refused by name."""
    system = kernels.robertson()
    f, jac = system.host_rhs(), system.host_jac()
    y, h = np.array([0.9, 2e-5, 0.1]), 1e-7
    columns = [(f(0.0, y + h * e) - f(0.0, y - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(jac(0.0, y), np.stack(columns, axis=1), rtol=1e-6, atol=1e-6)
    with pytest.raises(ConfigurationError, match="host_jac: system 'bare' has no jac"):
        kernels.ODESystem(system.rhs, 3, 3, name="bare").host_jac()


def _pendulum(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * np.sin(y[0]) - p[1] * y[1]


def _pendulum_jac(t, y, p, J):
    J[0] = 0.0
    J[1] = 1.0
    J[2] = -p[0] * np.cos(y[0])
    J[3] = -p[1]


def _pendulum_jac_transposed(t, y, p, J):
    J[0] = 0.0
    J[1] = -p[0] * np.cos(y[0])
    J[2] = 1.0
    J[3] = -p[1]


def _pendulum_jvp_sign(t, y, p, v, out):
    out[0] = v[1]
    out[1] = -p[0] * np.cos(y[0]) * v[0] + p[1] * v[1]


def test_a_transposed_jac_is_flagged_with_what_to_check():
    with pytest.warns(kernels.JacobianCheckWarning, match=r"J\[1\] \(d f_0 / d y_1\) is -0.438791, the differences "
                                                          r"give 1 .*row-major: a transposed J"):
        ODESystem(_pendulum, 2, 2, name="pendulum", jac=_pendulum_jac_transposed)
    with pytest.warns(kernels.JacobianCheckWarning, match=r"jvp of system 'pendulum' .*out\[1\]"):
        ODESystem(_pendulum, 2, 2, name="pendulum", jac=_pendulum_jac, jvp=_pendulum_jvp_sign)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        ODESystem(_pendulum, 2, 2, name="pendulum", jac=_pendulum_jac)  # the right one passes
        ODESystem(_pendulum, 2, 2, name="pendulum", jac=_pendulum_jac_transposed, check=False)  # not checked


def _robertson_jvp_middle_slip(t, y, p, v, out):
    """Robertson's J v with d f / d y_1's 2 k2 y_1 written k2 y_1: a slip in the middle of three columns."""
    out[0] = -p[0] * v[0] + p[2] * y[2] * v[1] + p[2] * y[1] * v[2]
    out[1] = p[0] * v[0] - p[2] * y[2] * v[1] - p[1] * y[1] * v[1] - p[2] * y[1] * v[2]
    out[2] = p[1] * y[1] * v[1]


def test_a_jvp_slip_in_any_column_is_flagged():
    """The check's v was linspace(1, -1, n): zero in the middle for odd n, so a user's trial found Robertson's jvp
    wrong in d/dy_1 unflagged (rodas5p with GMRES then took 4696 steps for 70)."""
    robertson = kernels.robertson()
    with pytest.warns(kernels.JacobianCheckWarning, match=r"jvp of system 'robertson_slip'"):
        ODESystem(robertson.rhs, 3, 3, name="robertson_slip", jvp=_robertson_jvp_middle_slip)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        ODESystem(robertson.rhs, 3, 3, name="robertson_right", jvp=robertson.jvp)


def _cubic_decay(t, y, p, dydt):
    dydt[0] = -p[1] * y[0] + y[2]
    dydt[1] = p[1] * y[0] - y[1]
    dydt[2] = -p[0] * y[2] * y[2] * y[2]


def _cubic_decay_jac_lost_a_power(t, y, p, J):
    for i in range(9):
        J[i] = 0.0
    J[0], J[2], J[3], J[4] = -p[1], 1.0, p[1], -1.0
    J[8] = -3.0 * p[0] * y[2]  # should be -3 p0 y2^2: equal where y2 = 1, the first test point's last entry


def test_a_jac_right_only_where_a_state_is_one_is_flagged_at_the_second_point():
    """A user's trial: at linspace(0.5, 1, 3) the last state is 1, where y, y^2 and y^3 agree; the jac passed,
    and rodas5p reported success 58 to 123 tolerances off."""
    with pytest.warns(kernels.JacobianCheckWarning, match=r"at a second point .*J\[8\] \(d f_2 / d y_2\)"):
        ODESystem(_cubic_decay, 3, 2, name="cubic_decay", jac=_cubic_decay_jac_lost_a_power)


def _stepped(t, y, p, dydt):
    dydt[0] = math.floor(y[1]) - y[0]  # the test point's y[1] = 1.0 sits on floor's jump
    dydt[1] = -abs(y[1] - 1.0)  # and on the kink of abs


def _stepped_jac(t, y, p, J):
    J[0] = -1.0
    J[1] = 0.0  # floor's derivative where it has one
    J[2] = 0.0
    J[3] = -1.0 if y[1] >= 1.0 else 1.0  # the right-hand derivative of -|y1 - 1|


def test_a_jac_at_a_jump_or_kink_of_the_rhs_passes_where_a_one_sided_difference_agrees():
    """A model with floor/Heaviside/abs whose jump sits at the test point was flagged: the central difference
    there measures the jump (1 / 2h), not the derivative."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        system = ODESystem(_stepped, 2, name="stepped", jac=_stepped_jac)
    assert system.derivatives_disagree == ()

    def wrong(t, y, p, J):
        J[0] = -1.0
        J[1] = 0.0
        J[2] = 1.0  # d f_1 / d y_0 is 0: a slip beside the kink is still found
        J[3] = -1.0
    with pytest.warns(kernels.JacobianCheckWarning, match=r"J\[2\] \(d f_1 / d y_0\) is 1"):
        ODESystem(_stepped, 2, name="stepped", jac=wrong)


def _stiff_pair_jac_transposed(t, y, p, J):
    J[0] = -1000.0
    J[1] = 0.5
    J[2] = 1.0
    J[3] = -1.0


def test_a_flagged_jac_is_named_again_when_a_step_uses_it_and_in_its_failures():
    """A new user's transposed jac: the construction warning alone was easy to miss, and the run ended in
    max_steps with no word of the Jacobian (and took minutes at the default max_steps)."""
    with pytest.warns(kernels.JacobianCheckWarning):
        system = ODESystem(stiff_pair, 2, name="pair", jac=_stiff_pair_jac_transposed)
    assert system.derivatives_disagree == ("jac",)
    with pytest.warns(kernels.JacobianCheckWarning, match="rodas4 uses the jac of system 'pair', which disagreed"):
        result = kernels.solve_ivp(system, (0.0, 1.0), [1.0, 1.0], method="rodas4", precision=np.float64,
                                   max_steps=100, progress=False)
    assert int(result.status[0]) == kernels.Status.MAX_STEPS
    assert "The system's jac disagreed with differences of its rhs" in result.message(0)
    with warnings.catch_warnings():  # an explicit method uses no Jacobian: nothing said
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        explicit = kernels.solve_ivp(system, (0.0, 0.01), [1.0, 1.0], method="tsit5", precision=np.float64,
                                     progress=False)
    assert "jac" not in explicit.status_messages[int(kernels.Status.MAX_STEPS)]


def _forced(t, y, p, u, dydt):
    dydt[0] = -y[0] + u[0]


def _jac_with_u(t, y, p, u, J):
    J[0] = -1.0


def test_a_jac_that_takes_u_on_a_system_with_drivers_is_told_jac_gets_no_u():
    """It said only 'jac must take 4 arguments (t, y, p, J)'; the README says why jac has no u."""
    with pytest.raises(ConfigurationError) as info:
        ODESystem(_forced, 1, n_drivers=1, name="forced", jac=_jac_with_u)
    message = str(info.value)
    assert message.startswith("jac must take 4 arguments (t, y, p, J); got a function of 5 positional arguments; "
                              "jac does not receive u, with drivers or without")
    assert "leave jac out and the solvers difference rhs, which sees u" in message


def _pair(t, y, p, dydt):
    dydt[0] = -y[0]
    dydt[1] = -2.0 * y[1]


def _jac_2d(t, y, p, J):
    J[0, 0] = -1.0
    J[0, 1] = 0.0
    J[1, 0] = 0.0
    J[1, 1] = -2.0


def test_a_jac_indexed_in_two_dimensions_is_told_j_is_flat():
    with pytest.raises(ConfigurationError, match=r"IndexError: too many indices.*: J is flat, write J\[i \* 2 \+ j\] "
                                                 r"for d f_i / d y_j \(row-major\), not J\[i, j\]"):
        ODESystem(_pair, 2, name="pair_2d", jac=_jac_2d)


def _logistic(t, y, p, dydt):
    dydt[0] = p[0] * y[0] * (1.0 - y[0])


def _logistic_jac(t, y, p, J):
    J[0] = p[0] * (1.0 - 2.0 * y[0])


def _logistic_jac_slip(t, y, p, J):
    J[0] = p[0] * (1.0 - 2.0 * y[0]) + 1e-6 * p[0]


def test_an_exact_jac_that_is_zero_at_the_test_point_is_not_flagged():
    """The check's test point y = 0.5 is where the logistic's r (1 - 2 y) vanishes: the differences there are
    rounding alone (1e-12), and a user's accuracy audit saw the exact jac flagged at every solve."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        ODESystem(_logistic, 1, 1, name="logistic", jac=_logistic_jac)
    with pytest.warns(kernels.JacobianCheckWarning):  # a slip of 1e-6 r is still seen
        ODESystem(_logistic, 1, 1, name="logistic_slip", jac=_logistic_jac_slip)


def _hot_decay(t, y, p, dydt):
    dydt[0] = -(p[0] - 900.0) * 0.01 * y[0] if p[0] > 900.0 else -y[0]
    dydt[1] = y[0] - y[1]


def _hot_decay_jac_slip(t, y, p, J):
    J[0] = (p[0] - 900.0) * 0.01 if p[0] > 900.0 else -1.0  # the hot branch's sign slipped
    J[1] = 0.0
    J[2] = 1.0
    J[3] = -1.0


def test_a_jac_wrong_only_in_a_branch_the_inputs_reach_is_flagged_at_the_solve():
    """A chemist's trial: a jac wrong only above 900 K passed the construction check (its test point is below),
    and rodas5p took 3509 steps for 120, ending 2.6 tolerances off with success and no word."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        system = ODESystem(_hot_decay, 2, 1, name="hot_decay", jac=_hot_decay_jac_slip)
    params = np.array([[300.0], [1200.0]])
    with pytest.warns(kernels.JacobianCheckWarning, match=r"jac of system 'hot_decay' disagrees with central "
                                                          r"differences of rhs at t=0 at trajectory 1's y0 and params"):
        result = kernels.solve_ivp(system, (0.0, 1.0), [1.0, 0.0], params, method="rodas5p", precision=np.float64)
    assert "disagreed with differences of its rhs when the system was built or at this solve's inputs" in \
        result.message(1)


def _michaelis_menten(t, y, p, dydt):
    rate = p[0] * y[0] / (p[1] + y[0])
    dydt[0] = -rate
    dydt[1] = rate


def _michaelis_menten_jac(t, y, p, J):
    d = p[0] * p[1] / ((p[1] + y[0]) ** 2)
    J[0] = -d
    J[1] = 0.0
    J[2] = d
    J[3] = 0.0


def test_an_exact_jac_at_small_states_is_not_flagged_and_a_verdict_holds_for_its_inputs_only():
    """A regression hunt: Michaelis-Menten in molar units (y = 1e-6, Km = 5e-7): a difference step of 6e-6 crossed
    0 and flagged the exact jac, and every later solve's messages named it, at millimolar inputs too."""
    system = ODESystem(_michaelis_menten, 2, 2, name="mm", jac=_michaelis_menten_jac)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        small = kernels.solve_ivp(system, (0.0, 1.0), [1e-6, 0.0], [[1e-6, 5e-7]], method="rodas5p",
                                  rtol=1e-4, atol=1e-12, precision=np.float64)
    assert small.success and "disagreed" not in small.message(0)


def test_a_jac_slip_small_beside_a_fast_rate_in_another_row_is_flagged():
    """A regression hunt: d f_2 / d y_1 doubled (a slip of 5) passed beside a rate of 2e6 in another row (the
    match was within 1e-5 of the matrix's largest entry); rodas4 ended 62 tolerances off with success."""
    def rhs(t, y, p, dydt):
        dydt[0] = -2e6 * y[0]
        dydt[1] = -y[1]
        dydt[2] = 5.0 * y[1] - y[2]

    def jac(t, y, p, J):
        for k in range(9):
            J[k] = 0.0
        J[0] = -2e6
        J[4] = -1.0
        J[7] = 10.0  # 5.0
        J[8] = -1.0

    with pytest.warns(kernels.JacobianCheckWarning, match=r"J\[7\] \(d f_2 / d y_1\) is 10"):
        ODESystem(rhs, 3, name="slip_beside_fast", jac=jac)


def _toggle(t, y, p, dydt):  # a Hill toggle: y ** 2.3 is NaN below 0, where a central difference at 0 steps
    dydt[0] = 1.0 / (1.0 + y[1] ** p[0]) - y[0]
    dydt[1] = 1.0 / (1.0 + y[0] ** p[0]) - y[1]


def _toggle_jac(t, y, p, jac):
    n = p[0]
    jac[0] = -1.0
    jac[1] = -n * y[1] ** (n - 1.0) / (1.0 + y[1] ** n) ** 2
    jac[2] = -n * y[0] ** (n - 1.0) / (1.0 + y[0] ** n) ** 2
    jac[3] = -1.0


def test_an_exact_jac_at_the_edge_of_the_rhs_domain_is_not_called_wrong():
    """At y0 = 0 the central differences of y ** 2.3 step to y < 0 and are NaN: the solve-time check called an exact
    jac wrong ('the differences give nan') and every message of the solve repeated it (a user's trial)."""
    system = ODESystem(_toggle, 2, 1, name="toggle", jac=_toggle_jac, default_params=[2.3])
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        result = kernels.solve_ivp(system, (0.0, 1.0), [0.0, 0.0], [[2.3]], method="rodas5p", rtol=1e-8, atol=1e-8,
                                   precision=np.float64, progress=False)
    assert result.success and result.message(0) == kernels.STATUS_MESSAGES[kernels.SUCCESS]


def _heat_release(t, y, p, dydt):
    """A radical R (y[1], 0 at the start) in a mixture of 1e-5 beside a temperature of 950 (y[2]): the rate and its
    heat go through R squared over the mixture, a curvature on the scale of the concentrations."""
    mixture = y[0] + y[1]
    rate = 1e12 * y[0] * y[1] * y[1] / mixture + 1e3 * y[0]
    dydt[0] = -rate
    dydt[1] = rate
    dydt[2] = 1e6 * rate / mixture


def _heat_release_jac_with(slip):
    def jac(t, y, p, J):
        a, r = y[0], y[1]
        m = a + r
        da = 1e12 * r * r * r / (m * m) + 1e3
        dr = 1e12 * a * r * (2.0 * m - r) / (m * m)
        rate = 1e12 * a * r * r / m + 1e3 * a
        J[0], J[1], J[2] = -da, -dr, 0.0
        J[3], J[4], J[5] = da, dr, 0.0
        J[6] = 1e6 * (da * m - rate) / (m * m)
        J[7] = slip * 1e6 * (dr * m - rate) / (m * m)
        J[8] = 0.0
    return jac


def test_an_exact_jac_is_not_flagged_where_a_state_at_zero_sits_beside_a_large_one():
    """A chemist's trial: a difference step for a radical at 0 of 1e-3 of the largest state (a temperature of 950)
    moved it by half the mixture of 1e-5, and symbolic_system's exact jac was called wrong at every solve; a slip
    in that column is still found."""
    y0 = [1e-5, 0.0, 950.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        system = ODESystem(_heat_release, 3, name="heat_release", jac=_heat_release_jac_with(1.0))
        kernels.solve_ivp(system, (0.0, 1e-6), y0, method="rodas5p", rtol=1e-4, atol=1e-16, precision=np.float64,
                          progress=False)
    slipped = ODESystem(_heat_release, 3, name="heat_release_slip", check=False,
                        jac=_heat_release_jac_with(2.0))
    with pytest.warns(kernels.JacobianCheckWarning, match=r"J\[7\] \(d f_2 / d y_1\)"):
        kernels.solve_ivp(slipped, (0.0, 1e-6), y0, method="rodas5p", rtol=1e-4, atol=1e-16, precision=np.float64,
                          progress=False)


def _pk(t, y, p, dydt):
    dydt[0] = -y[0]
    dydt[1] = y[0] / 5e4 - 2.0 * y[1] / (4.0 + y[1])


def _pk_jac(t, y, p, J):
    J[0], J[1] = -1.0, 0.0
    J[2], J[3] = 1.0 / 5e4, -8.0 / ((4.0 + y[1]) * (4.0 + y[1]))


def _drag(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -9.81 - 0.5 * y[1] * abs(y[1])


def _drag_jac(t, y, p, J):
    J[0], J[1], J[2], J[3] = 0.0, 1.0, 0.0, -abs(y[1])


@pytest.mark.parametrize("rhs, jac, y0", [(_pk, _pk_jac, [2e5, 0.0]), (_drag, _drag_jac, [1.0, 0.0])])
def test_an_exact_jac_at_a_state_at_zero_beside_a_large_or_unit_one_is_not_flagged(rhs, jac, y0):
    """A regression hunt: stepping every state at 0 by the smallest nonzero state's magnitude flagged an exact
    Michaelis-Menten jac beside a dose of 2e5 (a step of 1.2 against Km = 4) and quadratic drag at rest."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        system = ODESystem(rhs, 2, name=rhs.__name__.strip("_"), jac=jac)
        kernels.solve_ivp(system, (0.0, 1e-3), y0, method="rodas4", rtol=1e-6, atol=1e-9, precision=np.float64,
                          progress=False)



def _trace_beside_hot(t, y, p, dydt):
    dydt[0] = -0.01 * y[0] + 1e3 * y[2]
    dydt[1] = -y[1]
    dydt[2] = -y[2] / (p[0] + y[2]) + y[1]


def _trace_beside_hot_jac_slipped(t, y, p, J):
    J[0], J[1], J[2] = -0.01, 0.0, -1e3  # d f_0 / d y_2 is +1e3
    J[3], J[4], J[5] = 0.0, -1.0, 0.0
    J[6], J[7], J[8] = 0.0, 1.0, -p[0] / ((p[0] + y[2]) * (p[0] + y[2]))


def test_a_jac_slip_beside_a_state_kept_at_1e_20_is_flagged():
    """A regression hunt: a state at 0 whose rhs curves (Km = 1e-3) took a step of 6e-26 from a trace state of
    1e-20 beside it, whose rounding allowance (1e11) hid a sign slip of 2e3 in that column; at 0 and 1e-3 it warned."""
    system = ODESystem(_trace_beside_hot, 3, 1, name="trace_beside_hot", check=False,
                       jac=_trace_beside_hot_jac_slipped)
    with pytest.warns(kernels.JacobianCheckWarning, match=r"J\[2\] \(d f_0 / d y_2\) is -1000, the differences"):
        kernels.solve_ivp(system, (0.0, 1e-3), [950.0, 1e-20, 0.0], [1e-3], method="rodas4", rtol=1e-6,
                          atol=1e-12, precision=np.float64, progress=False)


def _dose(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]
    dydt[1] = p[0] * y[0] * 1e-6 - p[1] * y[1] / (p[2] + y[1])


def _dose_jac(t, y, p, J):
    J[0], J[1] = -p[0], 0.0
    J[2], J[3] = p[0] * 1e-6, -p[1] * p[2] / ((p[2] + y[1]) * (p[2] + y[1]))


def _cubic(t, y, p, dydt):
    dydt[0] = -p[0] * y[0] * y[0] * y[0] - p[1] * y[0]


def _cubic_jac(t, y, p, J):
    J[0] = -3.0 * p[0] * y[0] * y[0] - p[1]


@pytest.mark.parametrize("rhs, jac, y0, params", [(_dose, _dose_jac, [2e5, 0.0], [[1.0, 0.5, 1e-2], [1.0, 0.5, 1e-4]]),
                                                  (_cubic, _cubic_jac, [0.0], [[2.0, 0.0]])])
def test_an_exact_jac_where_the_rhs_curves_below_the_step_or_is_0_is_not_flagged(rhs, jac, y0, params):
    """A regression hunt: Michaelis-Menten elimination at 0 beside a dose of 2e5 took a step of 1.2e-3 against
    Km = 0.01 (J[3] is -50, the differences gave -50.74; at Km = 1e-4 they gave +34), and y' = -2 y^3 at its
    equilibrium y = 0, where f is 0 and no rounding floor hides a difference of step^2, was flagged too."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        system = ODESystem(rhs, len(y0), len(params[0]), name=rhs.__name__.strip("_"), jac=jac)
        kernels.solve_ivp(system, (0.0, 1e-3), y0, params, method="rodas4", rtol=1e-6, atol=1e-12,
                          precision=np.float64, progress=False)


@pytest.mark.parametrize("factor", [-1.0, 2.0])
def test_a_jac_off_by_a_sign_or_a_factor_2_at_an_equilibrium_is_flagged(factor):
    """At y = 0, where f is 0 (no rounding floor), a slip in the linear part is still found."""
    def jac(t, y, p, J):
        J[0] = factor * (-3.0 * p[0] * y[0] * y[0] - p[1])
    system = ODESystem(_cubic, 1, 2, name="cubic", check=False, jac=jac)
    with pytest.warns(kernels.JacobianCheckWarning, match=r"J\[0\] \(d f_0 / d y_0\) is -?[12], the differences"):
        kernels.solve_ivp(system, (0.0, 1e-3), [0.0], [2.0, 1.0], method="rodas4", rtol=1e-6, atol=1e-12,
                          precision=np.float64, progress=False)

def _writes_past_out(t, y, p, v, out):
    out[0] = v[1]
    out[1] = -v[0]
    out[5] = 0.0


def _leaves_out(t, y, p, v, out):
    out[0] = v[1]


def _rotation(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -y[0]


@pytest.mark.parametrize("jvp, words", [
    (_writes_past_out, r"jvp of system 'rotation' failed on test arrays .*IndexError: index 5 is out of bounds .*: out "
                       r"has n_states = 2 entries"),
    (_leaves_out, r"jvp of system 'rotation' did not assign out\[1\]"),
])
def test_a_jvp_that_writes_past_out_or_leaves_a_component_is_refused_at_construction(jvp, words):
    """A regression hunt: a jvp writing out[5] of a 2-state system was built without a word (the construction check
    never ran it) and found only by the solve; on a GPU it writes memory it does not own."""
    with pytest.raises(ConfigurationError, match=words):
        ODESystem(_rotation, 2, name="rotation", jvp=jvp)
