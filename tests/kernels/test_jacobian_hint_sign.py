"""A params row whose lone negative entry makes an implicit step's iteration matrix singular (kernels/jacobian_hint.py,
lone_sign_cause): named first, before the states' remedy, whose "start slightly inside the domain" hid the sign."""

import warnings

import numpy as np
import pytest

import kernels

# x activates y through a Hill term x ** n / (K ** n + x ** n); row 1's exponent typed with the wrong sign
HILL_PARAMS = [[1.0, 2.0, 0.3], [1.0, -2.0, 0.3], [1.0, 2.5, 0.3]]


def _hill(t, y, p, dydt):
    dydt[0] = 1.0 - p[0] * y[0]
    dydt[1] = y[0] ** p[1] / (p[2] ** p[1] + y[0] ** p[1]) - y[1]


def _hill_jac(t, y, p, J):
    x, n, k = y[0], p[1], p[2]
    J[0] = -p[0]
    J[1] = 0.0
    J[2] = n * x ** (n - 1.0) * k ** n / (k ** n + x ** n) ** 2  # nan at x = 0 for n < 0: inf / inf
    J[3] = -1.0


HILL = kernels.ODESystem(_hill, 2, n_params=3, name="hill_sign", jac=_hill_jac, param_names=["k", "n", "K"])


def _solve(system, y0, params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kernels.solve_ivp(system, (0.0, 5.0), y0, params, method="rodas5p", precision=np.float64,
                                 progress=False)


def test_a_lone_negative_exponent_is_named_before_the_states_remedy():
    """n = -2 in one row of a sweep, x starting at 0: the hint told to start x at 1e-12, and following it the row
    ended with success, the activator acting as a repressor, with nothing said (a modeller's trial)."""
    result = _solve(HILL, [0.0, 0.0], HILL_PARAMS)
    assert list(result.status) == [0, kernels.Status.SINGULAR_MATRIX, 0]
    message = result.message(1)
    assert message.startswith("Likely cause: this trajectory's params[1, 1] (n) = -2, negative where every other "
                              "row's is >= 0, makes the Jacobian not finite at this state, which the other sign (2) "
                              "does not: check its sign; starting a state off 0 would only hide it. "), message
    sign = message.index("params[1, 1] (n) = -2 is negative where every other row's column 1 is >= 0: check its sign")
    remedy = message.index("With params[1, 1] (n) = -2 of the other sign (2) the Jacobian is finite at this state")
    states = message.index("start slightly inside the domain (y_0 at 1e-12 instead of 0")
    assert message.index("The system's jac is not finite at the initial state") < sign < remedy < states, message


def test_the_trial_s_symbolic_system_names_the_sign_first():
    sp = pytest.importorskip("sympy")
    x, y, k, n, big_k = sp.symbols("x y k n K")
    system = kernels.symbolic_system([x, y], [1 - k * x, x ** n / (big_k ** n + x ** n) - y], params=[k, n, big_k])
    message = _solve(system, [0.0, 0.0], HILL_PARAMS).message(1)
    assert message.startswith("Likely cause: this trajectory's params[1, 1] (n) = -2, negative where every other "
                              "row's is >= 0"), message


def _decay_with_offset(t, y, p, dydt):
    dydt[0] = -p[0] * y[0] ** 0.5
    dydt[1] = -y[1] + p[1]


def _decay_with_offset_jac(t, y, p, J):
    J[0] = -p[0] * 0.5 * y[0] ** -0.5  # -inf at y_0 = 0, whatever p[1]
    J[1] = 0.0
    J[2] = 0.0
    J[3] = -1.0


def test_a_lone_negative_entry_the_singularity_does_not_need_is_not_named():
    """An offset negative in one row only (a signed input) that has nothing to do with sqrt(y_0) at 0: the states'
    remedy alone, as before."""
    system = kernels.ODESystem(_decay_with_offset, 2, n_params=2, name="offset_sign", jac=_decay_with_offset_jac)
    result = _solve(system, [[0.0, 1.0], [0.0, 1.0], [1.0, 1.0]], [[1.0, 0.5], [1.0, -0.5], [1.0, 0.5]])
    message = result.message(1)
    assert result.status[1] == kernels.Status.SINGULAR_MATRIX, message
    assert "check its sign" not in message and "start slightly inside the domain (y_0 at 1e-12" in message, message
