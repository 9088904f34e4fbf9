"""The parameters ODESystem's construction check runs the functions at (kernels.system_checks.test_params): the
system's default_params where given, else linspace(0.5, 1, n_params); a refusal that changes with p names the p it
ran at and, without default_params, says to give them.  The jac and jvp comparison keeps linspace's p where the model
runs there (kernels/derivative_check.py says why).  A climate scientist's Lorenz-96 read its size as n = int(p[1])
and was refused with default_params=[8.0, 40.0] given, told only "did not assign dydt[1] ... dydt[39]"."""

import re
import warnings

import numpy as np
import pytest

import kernels

N = 8


def _lorenz96_size_in_p(t, y, p, dydt):
    n = int(p[1])
    for i in range(n):
        dydt[i] = (y[(i + 1) % n] - y[(i - 2) % n]) * y[(i - 1) % n] - y[i] + p[0]


def _lorenz96_jac(t, y, p, J):
    n = int(p[1])
    for k in range(n * n):
        J[k] = 0.0
    for i in range(n):
        J[i * n + (i + 1) % n] += y[(i - 1) % n]
        J[i * n + (i - 2) % n] -= y[(i - 1) % n]
        J[i * n + (i - 1) % n] += y[(i + 1) % n] - y[(i - 2) % n]
        J[i * n + i] -= 1.0


def test_a_size_read_from_p_is_checked_at_the_default_params():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no JacobianCheckWarning from a point where the model is not defined
        system = kernels.ODESystem(_lorenz96_size_in_p, n_states=N, n_params=2, name="l96",
                                   default_params=[8.0, float(N)], jac=_lorenz96_jac)
    y = np.linspace(0.5, 1.0, N)
    expected = (np.roll(y, -1) - np.roll(y, 2)) * np.roll(y, 1) - y + 8.0
    np.testing.assert_allclose(system.host_rhs()(0.0, y), expected)
    assert system.derivatives_disagree == ()


def test_without_default_params_the_refusal_names_p_and_says_to_give_them():
    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.ODESystem(_lorenz96_size_in_p, n_states=N, n_params=2, name="l96")
    message = str(caught.value)
    assert message.startswith("rhs of system 'l96' did not assign dydt[1], dydt[2]"), message
    assert message.endswith(
        "; this was at p = [0.5, 1], the check's test values linspace(0.5, 1, n_params) (the system has no "
        "default_params), and the outcome changes with p: if rhs reads a size, count or index from p (n = int(p[1])), "
        "give the system its real parameter values, ODESystem(..., default_params=[...]) in the order rhs reads p[0], "
        "p[1], ..., and the check runs at those"), message


def test_default_params_that_leave_components_unassigned_are_named():
    with pytest.raises(kernels.ConfigurationError, match=re.escape(
            "(4 of 8 components, at t=0 on test arrays)")) as caught:
        kernels.ODESystem(_lorenz96_size_in_p, n_states=N, n_params=2, name="l96", default_params=[8.0, 4.0])
    assert str(caught.value).endswith("; this was at p = [8, 4], the system's default_params, and the outcome changes "
                                      "with p: check default_params, which the check runs at, and what rhs reads "
                                      "from p"), caught.value


def _skips_a_component(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def test_an_unassigned_component_that_does_not_depend_on_p_gets_no_such_clause():
    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.ODESystem(_skips_a_component, n_states=2, n_params=1, name="skip")
    assert "this was at p" not in str(caught.value) and "default_params" not in str(caught.value)


def _mode_index_in_p(t, y, p, dydt):
    m = int(p[1] * 10.0)  # the state a forcing acts on, as p[1] = 0.1 * its index
    for i in range(3):
        dydt[i] = -y[i]
    dydt[m] += p[0]


def test_an_index_out_of_range_at_linspace_p_names_p_and_default_params():
    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.ODESystem(_mode_index_in_p, n_states=3, n_params=2, name="mode")
    message = str(caught.value)
    assert "IndexError: index 10 is out of bounds" in message, message
    assert "; this was at p = [0.5, 1], the check's test values linspace(0.5, 1, n_params)" in message, message
    assert "ODESystem(..., default_params=[...])" in message, message
    kernels.ODESystem(_mode_index_in_p, n_states=3, n_params=2, name="mode", default_params=[1.0, 0.2])


def _square_in_p(t, y, p, dydt):
    dydt[0] = p[0] * y[1] * y[1]
    dydt[1] = -y[0]


def _jac_without_p_term(t, y, p, J):
    J[0] = 0.0
    J[1] = 0.0  # d f_0 / d y_1 is 2 p[0] y[1]: 0 only where p[0] = 0
    J[2] = -1.0
    J[3] = 0.0


def test_the_jacobian_is_still_compared_at_linspace_p_where_the_defaults_hide_a_slip():
    """default_params=[0.0] makes the slip's term 0; linspace's p[0] = 0.5 shows it, as designed."""
    with pytest.warns(kernels.JacobianCheckWarning, match=r"J\[1\] \(d f_0 / d y_1\)"):
        system = kernels.ODESystem(_square_in_p, n_states=2, n_params=1, name="sq", default_params=[0.0],
                                   jac=_jac_without_p_term)
    assert system.derivatives_disagree == ("jac",)


def _rhs_two(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -y[0]


def _reads_past_y_at_large_p(t, y, p):
    if p[0] > 5.0:
        return y[2] - 1.0  # past y of 2: only at the default parameter
    return y[0] - 1.0


def test_event_functions_are_checked_at_the_default_params_too():
    system = kernels.ODESystem(_rhs_two, n_states=2, n_params=1, name="two", default_params=[8.0])
    with pytest.raises(kernels.ConfigurationError, match=r"events\[0\] function indexes past its arrays"):
        kernels.solve_ivp(system, (0.0, 0.1), [1.0, 0.0], [[8.0]], events=[kernels.Event(_reads_past_y_at_large_p)],
                          method="rk4", dt=0.05, progress=False)
