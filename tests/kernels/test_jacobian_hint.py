"""The non-finite Jacobian hint of implicit methods' solver failures (kernels/jacobian_hint.py)."""

import math
import re
import warnings

import numpy as np
import pytest

import kernels
from kernel_helpers import swing2


def _quiet_solve(system, y0, params, method, **options):
    """A float64 solve over (0, 1) with its warnings silenced: the tests below read its messages."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kernels.solve_ivp(system, (0.0, 1.0), y0, params, method=method, precision=np.float64, progress=False,
                                 **options)


def _half_order_decay(t, y, p, dydt):
    dydt[0] = -p[0] * math.sqrt(y[0])
    dydt[1] = -y[1]


def _half_order_jac(t, y, p, J):
    J[0] = -p[0] / (2.0 * math.sqrt(y[0]))  # -inf at y[0] = 0 (p[0] is a NumPy float: no ZeroDivisionError)
    J[1] = 0.0
    J[2] = 0.0
    J[3] = -1.0


def _coupled_half_order(t, y, p, dydt):
    dydt[0] = -p[0] * math.sqrt(y[1])
    dydt[1] = -y[1]


def _coupled_half_order_jac(t, y, p, J):
    J[0] = 0.0
    J[1] = -p[0] / (2.0 * math.sqrt(y[1]))  # -inf at y[1] = 0: an off-diagonal entry, so elimination meets inf - inf
    J[2] = 0.0
    J[3] = -1.0


@pytest.mark.parametrize("method", ["rodas5p", "radau"])
def test_an_infinite_jacobian_at_the_start_is_named(method):
    """d f_0 / d y_1 = -k / (2 sqrt(y_1)) is infinite at y_1 = 0: the factorisation of the iteration matrix is NaN
    at any step, and the message said only that it is singular; it names the entry, the state and what to do."""
    system = kernels.ODESystem(_coupled_half_order, 2, n_params=1, name="half_order", jac=_coupled_half_order_jac)
    result = kernels.solve_ivp(system, (0.0, 1.0), [[1.0, 0.0], [1.0, 1.0]], [1.0], method=method,
                               precision=np.float64, rtol=1e-6, atol=1e-9, progress=False)
    assert result.status[0] in (kernels.Status.SINGULAR_MATRIX, kernels.Status.NEWTON_NOT_CONVERGED)
    assert result.status[1] == kernels.Status.SUCCESS
    message = result.message(0)
    assert "The system's jac is not finite at the initial state (t = 0, y = [1, 0])" in message
    assert "J[0 * 2 + 1] = J[1] (d f_0 / d y_1) is -inf" in message
    assert "start slightly inside the domain (y_1 at 1e-12 instead of 0" in message and "regularise" in message
    assert result.message(1) == kernels.STATUS_MESSAGES[kernels.Status.SUCCESS]


def test_the_infinite_entry_leads_the_message_before_the_status():
    """The status's text ("The iteration matrix ... was singular (a pivot of its LU factorisation was zero ...)")
    points at the linear algebra; the entry the model makes infinite, the cause, comes first (a biologist's trial)."""
    system = kernels.ODESystem(_coupled_half_order, 2, n_params=1, name="half_order", jac=_coupled_half_order_jac)
    result = _quiet_solve(system, [1.0, 0.0], [1.0], "rodas5p")
    code = int(result.status[0])
    message = result.message(0)
    assert message.startswith("Likely cause: a Jacobian entry that is not finite, J[1] (d f_0 / d y_1) = -inf at "
                              "the initial state (t = 0, y = [1, 0]), makes the iteration matrix singular at any step "
                              "size. " + kernels.STATUS_MESSAGES[code]), message


def _fed_half_order(t, y, p, dydt):
    dydt[0] = -p[0] * math.sqrt(y[0]) + p[1] * y[1]  # fed by y[1]: y[0] leaves 0 at once
    dydt[1] = -p[1] * y[1] + 1.0


def _fed_half_order_jac(t, y, p, J):
    J[0] = -p[0] / (2.0 * math.sqrt(y[0]))  # -inf at y[0] = 0: an infinite pivot
    J[1] = p[1]
    J[2] = 0.0
    J[3] = -p[1]


@pytest.mark.parametrize("method", ["rodas5p", "radau", "sdirk4"])
def test_an_infinite_diagonal_jacobian_entry_is_a_failure_named_not_a_frozen_component(method):
    """An infinite diagonal entry of J is an infinite pivot: taken as its limit it froze y_0 at 0 for the whole run
    (the linearisation says infinitely stiff) while y_0' = 1000 there, and the run reported success 1 away from
    the solution. The pivot rule refuses it (kernels.solvers.base item 6); the message names the entry and says
    to start inside the domain, which then gives SciPy's answer."""
    system = kernels.ODESystem(_fed_half_order, 2, n_params=2, name="fed", jac=_fed_half_order_jac)
    params = [[1.0, 1e3]]
    result = kernels.solve_ivp(system, (0.0, 1.0), [0.0, 1.0], params, method=method, precision=np.float64,
                               rtol=1e-6, atol=1e-8, progress=False)
    assert result.status[0] in (kernels.Status.SINGULAR_MATRIX, kernels.Status.NEWTON_NOT_CONVERGED)
    assert "J[0 * 2 + 0] = J[0] (d f_0 / d y_0) is -inf" in result.message(0)
    with warnings.catch_warnings():  # the exact jac at y_0 = 1e-12 beside a term of 1000: rounding, not a slip
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        inside = kernels.solve_ivp(system, (0.0, 1.0), [1e-12, 1.0], params, method=method, precision=np.float64,
                                   rtol=1e-6, atol=1e-8, progress=False)
    from scipy.integrate import solve_ivp

    ref = solve_ivp(lambda t, y: [-math.sqrt(max(y[0], 0.0)) + 1e3 * y[1], -1e3 * y[1] + 1.0], (0.0, 1.0),
                    [0.0, 1.0], method="Radau", rtol=1e-11, atol=1e-13)
    assert inside.success
    np.testing.assert_allclose(inside.y[0, -1], ref.y[:, -1], rtol=1e-5)


def _half_order_jac_raising(t, y, p, J):
    J[0] = -1.0 / (2.0 * math.sqrt(y[0]))  # Python floats: ZeroDivisionError on the host at y[0] = 0, inf on a GPU
    J[1] = 0.0
    J[2] = 0.0
    J[3] = -1.0


def test_a_jac_that_raises_a_float_fault_at_the_start_is_named():
    system = kernels.ODESystem(_half_order_decay, 2, n_params=1, name="raising", jac=_half_order_jac_raising,
                               check=False)  # the construction check would run jac at y = (0.5, 1)
    result = kernels.solve_ivp(system, (0.0, 1.0), [0.0, 1.0], [1.0], method="rodas5p", precision=np.float64,
                               rtol=1e-6, atol=1e-9, progress=False)
    assert result.status[0] in (kernels.Status.SINGULAR_MATRIX, kernels.Status.NEWTON_NOT_CONVERGED)
    assert ("The system's jac raised ZeroDivisionError (float division by zero) at the initial state (t = 0, "
            "y = [0, 1]), where a GPU gives inf or NaN" in result.message(0))


def _divides_by_a_parameter(t, y, p, dydt):
    dydt[0] = -y[0] / p[0]
    dydt[1] = -1000.0 * (y[1] - math.cos(t))


def test_a_parameter_at_zero_is_named_instead_of_a_harmless_state():
    """rhs y_0 / p_0 with p_0 = 0 and y_1 = 0: the hint said to start y_1 at 1e-12 instead of 0, which changes
    nothing; the cause is the parameter."""
    system = kernels.ODESystem(_divides_by_a_parameter, 2, n_params=1, name="by_p")
    result = kernels.solve_ivp(system, (0.0, 1.0), [1.0, 0.0], [[1.0], [0.0]], method="radau",
                               precision=np.float64, rtol=1e-6, atol=1e-8, max_steps=3000, progress=False)
    assert result.status[0] == kernels.Status.SUCCESS and result.status[1] != kernels.Status.SUCCESS
    message = result.message(1)
    assert "The system's rhs is not finite at the initial state (t = 0, y = [1, 0]): dydt[0] is inf or NaN" in message
    assert ("A parameter causes it: this trajectory has p[0] = 0, and with p[0] nudged off it the rhs is finite"
            in message)
    assert "y_1 at 1e-12" not in message


def test_a_state_at_zero_is_still_named_when_a_parameter_is_zero_too():
    """sqrt(y_0) at y_0 = 0 with an unrelated p_1 = 0: the state is the cause, and is named."""
    system = kernels.ODESystem(_half_order_decay, 2, n_params=2, name="half_order_p", jac=_half_order_jac)
    result = kernels.solve_ivp(system, (0.0, 1.0), [0.0, 1.0], [1.0, 0.0], method="radau",
                               precision=np.float64, rtol=1e-6, atol=1e-9, progress=False)
    assert result.status[0] in (kernels.Status.SINGULAR_MATRIX, kernels.Status.NEWTON_NOT_CONVERGED)
    message = result.message(0)
    assert "start slightly inside the domain (y_0 at 1e-12 instead of 0" in message
    assert "or a like small fraction of the state's own scale" in message  # 1e-12 alone, for a state of 1e24
    assert "A parameter causes it" not in message


def _arrhenius_heating(t, y, p, dydt):
    rate = p[0] * y[0] * math.exp(-p[1] / y[2])
    dydt[0] = -rate
    dydt[1] = rate
    dydt[2] = p[2] * rate


def _arrhenius_heating_jac(t, y, p, J):
    k = p[0] * math.exp(-p[1] / y[2])
    dk = k * p[1] / (y[2] * y[2])
    J[0], J[1], J[2] = -k, 0.0, -y[0] * dk
    J[3], J[4], J[5] = k, 0.0, y[0] * dk
    J[6], J[7], J[8] = p[2] * k, 0.0, p[2] * y[0] * dk


def test_a_negative_temperature_is_named_not_a_state_at_zero():
    """T0 = -20 (Celsius for kelvin) overflows exp(-E / T): the hint said to start the product, at 0, at 1e-12
    (a chemist's trial); it names the negative state."""
    for method, jac, what in (("radau", _arrhenius_heating_jac, "jac"), ("rodas5p", None, "rhs"),
                              ("tsit5", None, "right-hand side")):
        system = kernels.ODESystem(_arrhenius_heating, 3, 3, name="heating", jac=jac)
        result = _quiet_solve(system, [1.0, 0.0, -20.0], [1e6, 2e4, 100.0], method)
        assert result.status[0] != 0
        message = result.message(0)
        assert f"With y_2 = +20 (positive) instead of -20 the {what} is finite" in message, message
        assert "y_1 at 1e-12" not in message


def _hill_cascade(t, y, p, dydt):
    dydt[0] = -y[0]
    dydt[1] = y[0] ** p[0] / (1.0 + y[0] ** p[0]) - y[1]
    dydt[2] = y[1] ** p[0] / (1.0 + y[1] ** p[0]) - y[2]  # NaN for y_1 < 0 at a fractional n


@pytest.mark.parametrize("method, what", [("radau", "rhs"), ("tsit5", "right-hand side")])
def test_a_negative_state_is_shown_with_the_value_tried(method, what):
    """y_1 = -0.01 under a Hill power of 2.5: the hint read "With y_1 = -0.01 positive instead the rhs is finite"
    (a user's trial); it shows the value tried, +0.01, beside the one given."""
    system = kernels.ODESystem(_hill_cascade, 3, 1, name="hill_cascade")
    result = _quiet_solve(system, [1.0, -0.01, 0.0], [2.5], method)
    assert result.status[0] != 0
    message = result.message(0)
    assert f"With y_1 = +0.01 (positive) instead of -0.01 the {what} is finite" in message, message
    assert "-0.01 positive" not in message


def _michaelis_chain(t, y, p, dydt):
    v1 = p[0] * y[0]
    v2 = p[1] * y[1] / (p[2] + y[1])  # 0 / 0 at Km = p[2] = 0 and y_1 = 0
    dydt[0] = -v1
    dydt[1] = v1 - v2
    dydt[2] = v2


@pytest.mark.parametrize("method, what", [("radau", "rhs"), ("tsit5", "right-hand side")])
def test_a_zero_michaelis_constant_is_named_with_only_the_state_that_matters(method, what):
    """Km = 0 in V y_1 / (Km + y_1) at y_1 = 0: the hint said to start y_1, y_2 at 1e-12, never naming p[2] = 0
    (all that differs from the row that succeeds), and y_2 plays no part (a user's trial)."""
    system = kernels.ODESystem(_michaelis_chain, 3, 3, name="mm_chain")
    result = _quiet_solve(system, [1.0, 0.0, 0.0], [[1.0, 0.5, 0.0], [1.0, 0.5, 0.1]], method)
    assert result.status[0] != 0 and result.status[1] == 0
    message = result.message(0)
    assert (f"A parameter of 0 causes it: this trajectory has p[2] = 0, and with p[2] at 1e-06 instead the {what} "
            "is finite (as it is with y_1 moved off 0" in message), message
    assert "Michaelis constant" in message and "Give p[2] a small positive value" in message
    assert "y_2" not in message and "start slightly inside the domain" not in message


def _inverse_growth(t, y, p, dydt):
    dydt[0] = p[0] / y[0]  # inf at y_0 = 0
    dydt[1] = -y[1]


def test_only_the_states_whose_move_makes_the_rhs_finite_are_named():
    """1 / y_0 at y_0 = 0 beside y_1 = 0: the hint said to start y_0, y_1 at 1e-12; y_1 alone changes nothing."""
    system = kernels.ODESystem(_inverse_growth, 2, 1, name="inverse_growth", check=False)
    result = _quiet_solve(system, [0.0, 0.0], [1.0], "rodas5p")
    assert result.status[0] in (kernels.Status.SINGULAR_MATRIX, kernels.Status.NEWTON_NOT_CONVERGED)
    message = result.message(0)
    assert "start slightly inside the domain (y_0 at 1e-12 instead of 0" in message, message
    assert "y_0, y_1" not in message and "A parameter" not in message

def _toggle(t, y, p, dydt):
    dydt[0] = p[0] / (1.0 + y[1] ** p[2]) - y[0]
    dydt[1] = p[1] / (1.0 + y[0] ** p[2]) - y[1]


def _toggle_jac(t, y, p, J):
    a1, a2, n = p[0], p[1], p[2]
    d1 = 1.0 + y[1] ** n
    d0 = 1.0 + y[0] ** n
    J[0] = -1.0
    J[1] = -a1 * n * y[1] ** (n - 1.0) / (d1 * d1)
    J[2] = -a2 * n * y[0] ** (n - 1.0) / (d0 * d0)
    J[3] = -1.0


def test_a_jac_that_leaves_float32s_range_is_named_in_a_float32_run():
    """A steep Hill term's derivative, n y**(n-1) / (1 + y**n)**2 at n = 40 and y = 10, is finite in float64 and
    inf / inf in float32: every step failed as SINGULAR_MATRIX and the message named nothing (a user's trial)."""
    toggle = kernels.ODESystem(_toggle, 2, 3, name="toggle", jac=_toggle_jac)
    args = ((0.0, 10.0), [10.0, 0.1], [3.0, 3.0, 40.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = kernels.solve_ivp(toggle, *args, method="rodas5p", rtol=1e-4, atol=1e-6, precision=np.float32,
                                progress=False)
    assert res.status[0] == kernels.Status.SINGULAR_MATRIX
    assert re.search(r"jac is not finite in float32 at the initial state .* J\[1 \* 2 \+ 0\] = J\[2\] .* is nan "
                     r"there \(-1.2e-39 in float64\).*divide before multiplying.*precision=np.float64",
                     res.message(0))
    assert kernels.solve_ivp(toggle, *args, method="rodas5p", rtol=1e-4, atol=1e-6, precision=np.float64,
                             progress=False).success  # float64 holds it


def _repressed(t, y, p, dydt):
    dydt[0] = -p[0] * y[0] / (p[1] + y[0])
    dydt[1] = 1.0 / (1.0 + (y[0] / p[2]) ** p[3]) - 0.5 * y[1]


@pytest.mark.parametrize("value, other, words", [
    (-1.05e-10, 0.1925, "is just below 0 \\(a decay a step took past 0.*max\\(x, 0.0\\) \\*\\* n"),
    (-20.0, 0.1925, "check the sign and units of y_0"),
    (-5e-7, 1e-9, "check the sign and units of y_0"),  # small, but not beside the other state
    (-1.69e-10, 0.0, "is just below 0 \\(a decay a step took past 0"),  # no other scale: 1
])
def test_a_state_just_below_zero_is_an_overshoot_not_a_sign_error(value, other, words):
    """-1e-10 beside 0.19, a decay overshooting 0 under a fractional power, was told to check its sign and units
    (a user's trial); a clearly negative state still is."""
    from kernels.nonfinite_causes import negative_state_cause

    system = kernels.ODESystem(_repressed, 2, 4, name="repressed")

    def finite(system, t, y, p):
        with np.errstate(all="ignore"):
            return bool(np.all(np.isfinite(system.evaluate_rhs(t, y, p))))

    text = negative_state_cause(system, 0.5, np.array([value, other]), np.array([2.0, 1e-5, 0.3, 1.5]), finite,
                                "right-hand side")
    assert re.search(words, text), text


def test_a_symbolic_jac_that_leaves_float32s_range_mid_run_is_found_on_the_host_path():
    """A SymPy toggle switch (Hill exponent 40) from y = (1, 0.5): its generated jac is inf / inf once y_0 passes
    about 9, after t = 0, where no saved state is; the host follow finds the point (a user's trial)."""
    sp = pytest.importorskip("sympy")
    u, v, a1, a2, n = sp.symbols("u v a1 a2 n")
    toggle = kernels.symbolic_system([u, v], [a1 / (1 + v ** n) - u, a2 / (1 + u ** n) - v], params=[a1, a2, n],
                                     name="toggle_sym")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = kernels.solve_ivp(toggle, (0.0, 10.0), [1.0, 0.5], [10.0, 10.0, 40.0], method="rodas5p", rtol=1e-4,
                                atol=1e-6, progress=False)
    assert res.status[0] == kernels.Status.SINGULAR_MATRIX
    assert re.search(r"jac is not finite in float32 at t = [0-9.]+, y = \[[89]\.[0-9]+, .*on the path SciPy's Radau "
                     r"took.*J\[1 \* 2 \+ 0\]", res.message(0)), res.message(0)


def _gate(t, y, p, dydt):
    dydt[0] = 0.1 * (y[0] + 40.0) / (1.0 - math.exp(-(y[0] + 40.0) / 10.0)) - y[0] * 0.0


def _pole(t, y, p, dydt):
    dydt[0] = 1.0 / (y[0] + 40.0)


def _even_pole(t, y, p, dydt):
    dydt[0] = -1.0 / ((y[0] + 40.0) * (y[0] + 40.0))


def test_a_removable_singularity_at_one_value_is_named_not_the_sign():
    """A Hodgkin-Huxley rate (V + 40) / (1 - exp(-(V + 40) / 10)) at V = -40 is 0 / 0: the hint said "check the sign
    and units of y_0" (a user's trial); a pole at the same value is not called removable."""
    from kernels.nonfinite_causes import exact_value_cause

    def finite(system, t, y, p):
        with np.errstate(all="ignore"):
            try:
                return bool(np.all(np.isfinite(system.evaluate_rhs(t, y, p))))
            except Exception:  # noqa: BLE001 - the float fault of 0 / 0 on the host
                return False

    gate = kernels.ODESystem(_gate, 1, name="gate", check=False)
    text = exact_value_cause(gate, 0.0, np.array([-40.0]), np.zeros(0), finite, "right-hand side")
    assert "At exactly y_0 = -40 the right-hand side is not finite" in text and "its limit" in text
    for rhs in (_pole, _even_pole):  # an even pole agrees on both sides, but is inf, not 0 / 0 (a regression hunt)
        pole = kernels.ODESystem(rhs, 1, name="pole", check=False)
        assert exact_value_cause(pole, 0.0, np.array([-40.0]), np.zeros(0), finite, "right-hand side") == ""


def test_a_named_non_finite_start_drops_the_sparse_pivot_advice():
    """A neuroscientist's trial (2026-12-05): Hodgkin-Huxley's 0 / 0 rate at V = -40 under radau ended SINGULAR_MATRIX,
    whose message opened with the sparse LU's pivoting and solver='dense', which changes nothing."""
    def gated(t, y, p, dydt):
        dydt[0] = 0.1 * (y[0] + 40.0) / (1.0 - math.exp(-(y[0] + 40.0) / 10.0)) - y[1]
        dydt[1] = y[0] - y[1]

    system = kernels.ODESystem(gated, 2, name="gated")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = kernels.solve_ivp(system, (0.0, 1.0), [-40.0, 0.0], method="radau", precision=np.float64,
                                   progress=False)
    assert result.status[0] == kernels.Status.SINGULAR_MATRIX
    text = result.message(0)
    assert "removable singularity" in text and "solver='dense'" not in text, text


def _repressilator(t, y, p, dydt):
    a, a0, b, n = p[0], p[1], p[2], p[3]
    dydt[0] = -y[0] + a / (1.0 + y[5] ** n) + a0
    dydt[1] = -y[1] + a / (1.0 + y[3] ** n) + a0
    dydt[2] = -y[2] + a / (1.0 + y[4] ** n) + a0
    dydt[3] = -b * (y[3] - y[0])
    dydt[4] = -b * (y[4] - y[1])
    dydt[5] = -b * (y[5] - y[2])


def _solved_over(t_end, system, y0, params, method, **options):
    """A float64 solve over (0, t_end) with its warnings silenced (as :func:`_quiet_solve`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kernels.solve_ivp(system, (0.0, t_end), y0, params, method=method, precision=np.float64,
                                 progress=False, **options)


REPRESSILATOR = kernels.ODESystem(_repressilator, n_states=6, n_params=4, name="repressilator_sign",
                                  param_names=("alpha", "alpha0", "beta", "n"))


@pytest.mark.parametrize("column, value, flow, method", [(2, -1.0, "-14.4", "tsit5"), (1, -5.0, "-1.4", "tsit5"),
                                                         (2, -1.0, "-14.4", "radau")])
def test_a_state_the_flow_drives_below_zero_is_no_overshoot_and_names_the_lone_negative_rate(column, value, flow,
                                                                                                method):
    """A repressilator row with beta = -1 (others +5), or alpha0 = -5 (negative basal production), drives y_5 below 0
    itself (dy5/dt = -14 at y_5 = 0): the message said "a decay a step took past 0" and to clip the power with
    max(x, 0), which hides the sign slip (a systems biologist's trial).  It now names the parameter and the flow."""
    params = np.array([[216.0, 0.216, 5.0, 2.5]] * 4)
    params[3, column] = value
    res = _solved_over(30.0, REPRESSILATOR, [1.0, 2.0, 3.0, 0.5, 0.5, 0.5], params, method, rtol=1e-6, atol=1e-8)
    assert res.status.tolist()[:3] == [0, 0, 0] and int(res.status[3]) != 0
    message = res.message(3)
    entry = f"params[3, {column}] ({REPRESSILATOR.param_names[column]}) = {value:g}"
    assert message.startswith(f"Likely cause: the flow itself drives y_5 below 0 (dydt[5] = {flow} with y_5 set to "
                              f"0), where the right-hand side is not finite: check the signs of the rates, {entry} "
                              "first"), message
    # named in the cause's remedy, so the note that would name it again is left out
    assert f" {entry} is negative where every other row's column {column} is >= 0" not in message
    assert "a decay a step took past 0" not in message and "so that an overshoot does not stop the run" not in message


def test_a_state_just_below_zero_keeps_the_overshoot_wording_where_the_flow_keeps_it_at_or_above_zero():
    """The flow's test: f_i at y_i = 0 below 0 is the model's doing, at or above 0 a step's overshoot (as before)."""
    from kernels.nonfinite_causes import Suspects, negative_state_cause

    def finite(system, t, y, p):
        with np.errstate(all="ignore"):
            return bool(np.all(np.isfinite(system.evaluate_rhs(t, y, p))))

    y = np.array([12.65, 13.36, 14.42, 0.1157, 0.06329, -6.7e-11])
    batch = np.array([[216.0, 0.216, 5.0, 2.5]] * 3 + [[216.0, 0.216, -1.0, 2.5]])
    driven = negative_state_cause(REPRESSILATOR, 0.06, y, batch[3], finite, "right-hand side")
    assert "the flow itself drives it there: with y_5 set to 0 the rhs gives dydt[5] = -14.4" in driven
    assert "Check the signs of the rates that drive y_5 (a decay or degradation rate given negative" in driven
    named = negative_state_cause(REPRESSILATOR, 0.06, y, batch[3], finite, "right-hand side", Suspects(None, batch, 3))
    assert "Check the signs of the rates, params[3, 2] (beta) = -1 first, negative where every other row" in named
    kept = negative_state_cause(REPRESSILATOR, 0.06, y, batch[0], finite, "right-hand side")  # dy5/dt = +72 at 0
    assert "is just below 0 (a decay a step took past 0, or a rounding)" in kept


def _half_power(t, y, p, dydt):
    dydt[0] = 1.0 - y[0]
    dydt[1] = p[0] * y[0] ** 0.5 - y[1]


def _half_power_jac(t, y, p, J):
    J[0] = -1.0
    J[1] = 0.0
    J[2] = 0.5 * p[0] * y[0] ** -0.5
    J[3] = -1.0


@pytest.mark.parametrize("method, jac, what, floor", [
    ("tsit5", None, "right-hand side", "at 0 or above"),
    ("radau", None, "rhs", "at 0 or above"),
    ("radau", _half_power_jac, "Jacobian", "above 0 (y_0 at 1e-12, for example: at 0 the Jacobian is not finite "
                                           "either)")])
def test_a_y0_just_below_zero_is_named_as_y0_not_as_a_steps_overshoot(method, jac, what, floor):
    """y0 = [-1e-9, 0] under y ** 0.5 stopped after 0 steps, told "a decay a step took past 0" (a systems biologist's
    SymPy Hill term): no step was taken, the value is the user's y0 (where the Jacobian is not finite at 0 either,
    starting at 0 would fail too: above 0)."""
    system = kernels.ODESystem(_half_power, n_states=2, n_params=1, jac=jac, name=f"half_power_y0_{jac is None}")
    res = _solved_over(10.0, system, [-1e-9, 0.0], [[2.0], [3.0]], method, rtol=1e-6, atol=1e-9)
    assert int(res.status[0]) != 0 and int(res.n_steps[0]) == 0
    message = res.message(0)
    assert message.startswith(f"Likely cause: y0 has y_0 = -1e-09 < 0, where the {what} is not finite: start "
                              f"{floor}."), message
    assert "a decay a step took past 0" not in message and "a step's overshoot" not in message


def _sqrt_chain(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]
    dydt[1] = p[0] * y[0] - p[1] * y[1] ** 0.5
    dydt[2] = p[1] * y[1] ** 0.5


def test_an_upstream_state_a_rounding_below_zero_does_not_make_the_flow_the_cause():
    """A -> B -> C with B ** 0.5: with A overshot to -1e-16, f_B at B = 0 is -1e-13, and the verdict was "the flow
    itself drives y_1 below 0 ... check the signs of the rates" (a regression hunt); states within a rounding of 0
    count as 0 there (jacobian_hint.ROUNDING_SHARE), so both signs of A get the overshoot's wording."""
    from kernels import jacobian_hint

    system = kernels.ODESystem(_sqrt_chain, 3, 2, name="sqrt_chain")
    suspects = jacobian_hint.Suspects(np.array([1.0, 0.0, 0.0]), np.array([[1000.0, 2.0]]), 0)
    for a in (-1e-16, 1e-16):
        text = jacobian_hint.negative_state_cause(system, 1.0, np.array([a, -2.8e-10, 1.0]), [1000.0, 2.0],
                                                  jacobian_hint._finite_rhs, "rhs", suspects)
        assert "a decay a step took past 0" in text and "flow itself" not in text, (a, text)


SWING2 = kernels.ODESystem(swing2, n_states=4, n_params=10, name="swing2_zero_inertia")
#: Four scenarios; B's diagonal (p[2], p[5]) is 0 in every row by construction; row 1's inertias M were left at 0.
SWING2_P = np.array([[0.5, -0.5, 0.0, 1.2, 1.2, 0.0, 0.02, 0.02, 0.1, 0.15],
                     [-0.03, 0.03, 0.0, 0.8, 0.8, 0.0, 0.02, 0.02, 0.0, 0.0],
                     [0.9, -0.9, 0.0, 1.5, 1.5, 0.0, 0.02, 0.02, 0.12, 0.1],
                     [0.6, -0.6, 0.0, 1.0, 1.0, 0.0, 0.02, 0.02, 0.2, 0.05]])


def test_a_parameter_cause_names_only_the_zeros_that_are_needed():
    """A power-systems user's trial: inertias M = 0 in one scenario named "p[3] = 0, p[7] = 0, p[11] = 0, p[15] = 0,
    ..." though B's zero diagonal is 0 in every row, those that succeed included; the zeros moved off 0 together are
    now thinned to those the rhs needs moved."""
    res = _solved_over(0.5, SWING2, [0.1, -0.1, 0.0, 0.0], SWING2_P, "tsit5")
    assert int(res.status[1]) != kernels.SUCCESS and np.all(res.status[[0, 2, 3]] == kernels.SUCCESS)
    message = res.message(1)
    assert message.startswith("Likely cause: this trajectory's p[8] = 0, p[9] = 0 makes the right-hand side not "
                              "finite: check its params row."), message
    assert "p[2] = 0" not in message and "p[5] = 0" not in message
