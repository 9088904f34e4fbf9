"""The construction check's other test states (kernels/system_checks.py): where a fault there is a bug."""

import inspect
import math
import re

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError


def _reads_p3_below_half(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]
    if y[0] < 0.5:
        dydt[0] = -p[3] * y[0]  # p[3]: a 1-based habit, reached only below 0.5


def test_an_index_out_of_range_in_a_branch_is_refused_at_the_test_state_that_reaches_it():
    """The branch is not taken at the test point (y in (0.5, 1)), only at the other test states, where any fault
    was skipped as outside the model's domain: the system was built, and on a GPU p[3] reads past the row (a
    DiffEqGPU.jl user's trial)."""
    with pytest.raises(ConfigurationError, match=r"^rhs of system 'branchy' failed at t = 0, y = \[-?[0-9.]+\], a "
                                                 r"test state of the construction check \(y of 1, p of 3, dydt of 1 "
                                                 r"elements, at test_system_checks.py:\d+\): IndexError: index 3 is "
                                                 r"out of bounds.*on a GPU p\[3\], an index out of range, reads "
                                                 r"memory.*Index y and dydt below 1, p below 3 \(0-based\)$"):
        kernels.ODESystem(_reads_p3_below_half, 1, n_params=3, name="branchy")


def _writes_dydt1_when_negative(t, y, p, dydt):
    dydt[0] = -y[0]
    if y[0] < 0.0:
        dydt[1] = 0.0


def test_a_write_out_of_range_at_another_test_state_is_refused_as_a_write():
    with pytest.raises(ConfigurationError, match=r"dydt\[1\], an index out of range, writes memory the kernel does "
                                                 r"not own"):
        kernels.ODESystem(_writes_dydt1_when_negative, 1, name="writes_past")


def _divides_by_the_state(t, y, p, dydt):
    dydt[0] = 1.0 / float(y[0])  # a Python float: ZeroDivisionError at the test state y = 0


def test_a_float_fault_at_another_test_state_stays_skipped():
    """A ZeroDivisionError at y = 0 is the edge of the model's domain (NaN or inf on a GPU), not a bug."""
    system = kernels.ODESystem(_divides_by_the_state, 1, name="reciprocal")
    assert system.n_states == 1


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def _observes_p1_when_negative(t, y, p, obs):
    obs[0] = y[0]
    if y[0] < 0.0:
        obs[0] = p[1] * math.fabs(y[0])


def test_an_index_out_of_range_in_an_observables_branch_is_refused():
    """observables ran only at the test point, so a branch of it past p was not seen either."""
    with pytest.raises(ConfigurationError, match=r"^observables of system 'observed' failed at t = 0, y = .*obs of 1 "
                                                 r"elements.*p\[1\], an index out of range, reads memory.*Index y "
                                                 r"below 1, obs below 1, p below 1 \(0-based\)$"):
        kernels.ODESystem(_decay, 1, n_params=1, name="observed", observables=_observes_p1_when_negative,
                          n_observables=1)


def test_a_branch_that_indexes_within_its_arrays_still_builds():
    def rhs(t, y, p, dydt):
        dydt[0] = -p[0] * y[0] if y[0] < 0.5 else -p[2] * y[0]

    system = kernels.ODESystem(rhs, 1, n_params=3, name="fine")
    np.testing.assert_allclose(system.evaluate_rhs(0.0, np.array([0.0]), np.ones(3)), [-0.0])


_TABLE = np.array([0.1, 0.2, 0.3, 0.4, 0.5])


def _table_rate(t, y, p, dydt):
    dydt[0] = -_TABLE[int(y[0])] * y[0]  # a lookup valid over the model's domain, 0 <= y < 5


def test_a_table_of_the_users_own_run_past_at_a_far_test_state_is_the_models_domain():
    """Only an index past the kernel's own arrays (y, p, u, dydt, obs) is refused: the check's test states reach
    y = 7.7, where a lookup table of five entries valid for 0 <= y < 5 runs past its end, which the trajectories
    never do."""
    system = kernels.ODESystem(_table_rate, 1, name="table_rate")
    res = kernels.solve_ivp(system, (0.0, 1.0), [2.9], method="rk4", dt=0.1, precision=np.float64)
    assert res.success
    np.testing.assert_allclose(res.y[0, -1, 0], 2.9 * np.exp(-0.3), rtol=1e-6)  # y stays in [2, 3)


def _mode_rate(t, y, p, dydt):
    k = p[int(y[2])]  # y[2] is a mode flag, 0 or 1: an index valid over the model's domain
    dydt[0] = -k * y[0]
    dydt[1] = k * y[0]
    dydt[2] = 0.0


def _picked(t, y, p):
    return y[int(y[1])] - 0.5


def test_an_index_computed_from_the_state_is_the_models_domain():
    """p[int(y[2])] with a mode flag, and an event g = y[int(y[1])] - 0.5, run past their arrays only at the check's
    far test states (y = 7.7): both were refused by the index check (a regression hunt); only a literal index is
    wrong at every state."""
    system = kernels.ODESystem(_mode_rate, 3, 2, name="mode_rate")
    res = kernels.solve_ivp(system, (0.0, 1.0), [[1.0, 0.0, 0.0], [1.0, 0.0, 1.0]], [[0.5, 2.0]] * 2,
                            method="rk4", dt=0.01, precision=np.float64)
    np.testing.assert_allclose(res.y[:, -1, 0], np.exp([-0.5, -2.0]), rtol=1e-8)
    flagged = kernels.ODESystem(_mode_rate, 3, 2, name="mode_rate_event")
    res = kernels.solve_ivp(flagged, (0.0, 2.0), [[1.0, 0.0, 0.0]], [[0.5, 2.0]], method="rk4", dt=0.01,
                            precision=np.float64, events=kernels.Event(_picked, terminal=True))
    assert int(res.status[0]) == kernels.Status.EVENT
    assert res.event_t[0] == pytest.approx(2.0 * np.log(2.0), rel=1e-6)  # y0 = exp(-t / 2) reaches 0.5


def _sir_returns(t, y, p):  # SciPy's habit: returns the derivative
    return [-p[0] * y[0] * y[1], p[0] * y[0] * y[1] - p[1] * y[1], p[1] * y[1]]


def test_a_scipy_style_rhs_is_told_to_write_into_dydt():
    """rhs(t, y, p) returning the derivative got only the count of its arguments (an epidemiologist's trial), where
    rhs(t, y, p, dydt) returning a list is told to assign dydt[i]."""
    with pytest.raises(ConfigurationError) as info:
        kernels.ODESystem(_sir_returns, 3, 2, name="sir")
    text = str(info.value)
    assert text.startswith("rhs must take 4 arguments (t, y, p, dydt); got a function of 3 positional arguments; if "
                           "it returns the derivative, SciPy's habit: here rhs writes them into a last argument dydt "
                           "and returns nothing, def rhs(t, y, p, dydt): dydt[0] = ...; dydt[1] = ...")
    assert "with drivers (n_drivers > 0) it is rhs(t, y, p, u, dydt)" in text
    with pytest.raises(ConfigurationError, match=r"if it returns the observables, .* def observables\(t, y, p, obs\)"):
        kernels.ODESystem(lambda t, y, p, dydt: None, 1, observables=lambda t, y, p: y[0], n_observables=1)


def _pend_args(t, y, gamma, A, omega):  # SciPy's habit: solve_ivp(pend, ..., args=(gamma, A, omega))
    return [y[1], -gamma * y[1] - math.sin(y[0]) + A * math.cos(omega * t)]


def _pend_four_args(t, y, gamma, A, omega, extra):
    return [y[1], -gamma * y[1] - math.sin(y[0]) + A * math.cos(omega * extra * t)]


def _forced_returns_dydt(t, y, p, u, dydt):  # the form with drivers, returning its output: still that form
    dydt[0] = -p[0] * y[0] + u[0]
    return dydt


@pytest.mark.parametrize("rhs, listed", [(_pend_args, "gamma, A, omega"), (_pend_four_args, "gamma, A, omega, extra")])
def test_a_scipy_rhs_with_parameters_as_arguments_is_told_to_read_them_from_p(rhs, listed):
    """def pend(t, y, gamma, A, omega): return [...] (SciPy's args=(gamma, A, omega)) was told 'the form rhs(t, y,
    p, u, dydt) is for systems with drivers', and with a fourth parameter nothing at all (a physicist's trial)."""
    with pytest.raises(ConfigurationError) as info:
        kernels.ODESystem(rhs, n_states=2, n_params=len(listed.split(", ")))
    text = str(info.value)
    assert "drivers" not in text
    reads = "; ".join(f"{name} = p[{i}]" for i, name in enumerate(listed.split(", ")))
    assert (f"; it returns the derivative and takes its parameters {listed} as separate arguments, SciPy's habit "
            f"(solve_ivp(..., args=({listed}))): ") in text
    assert f"def {rhs.__name__}(t, y, p, dydt): {reads}; dydt[0] = ...; dydt[1] = ... (the values it returned" in text
    assert f"give params columns in that order ({listed}), or param_names=('gamma', 'A', 'omega'" in text


def test_a_five_argument_rhs_without_a_returned_value_keeps_the_drivers_remedy():
    with pytest.raises(ConfigurationError, match=r"the form rhs\(t, y, p, u, dydt\) is for systems with drivers: "
                                                 r"pass n_drivers"):
        kernels.ODESystem(_forced_returns_dydt, 1, 1)


def _drivers_form_returning_early(t, y, p, u, dydt):
    dydt[0] = -p[0] * y[0] + u[0]
    if y[0] < 0.0:
        return 0
    return 1


def test_a_drivers_form_rhs_that_returns_a_value_keeps_the_drivers_remedy():
    """An rhs of the drivers form that returns a value early was told it takes SciPy's args= ("p = p[0]; u = p[1];
    dydt = p[2]": a regression hunt): arguments ending with an output array write their result."""
    with pytest.raises(ConfigurationError, match=r"the form rhs\(t, y, p, u, dydt\) is for systems with drivers: "
                                                 r"pass n_drivers") as caught:
        kernels.ODESystem(_drivers_form_returning_early, 1, 1)
    assert "SciPy" not in str(caught.value)


def _two_decays(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]
    dydt[1] = y[0] - y[1]


def _forced_decays(t, y, p, u, dydt):
    dydt[0] = -p[0] * y[0] + u[0]
    dydt[1] = y[0] - y[1]


def _jac_returns(t, y, p):  # SciPy's habit: returns the matrix
    return np.array([[-p[0], 0.0], [1.0, -1.0]])


def _jac_takes_u(t, y, p, u, J):
    J[0] = -p[0]
    J[1] = 0.0
    J[2] = 1.0
    J[3] = -1.0


def _jac(t, y, p, J):
    J[0] = -p[0]
    J[1] = 0.0
    J[2] = 1.0
    J[3] = -1.0


def _jvp_returns(t, y, p, v):
    return [-p[0] * v[0], v[0] - v[1]]


def _jvp_takes_u(t, y, p, u, v, out):
    out[0] = -p[0] * v[0]
    out[1] = v[0] - v[1]


def _jvp(t, y, p, v, out):
    out[0] = -p[0] * v[0]
    out[1] = v[0] - v[1]


@pytest.mark.parametrize("role, wrong, right", [("jac", _jac_returns, _jac), ("jac", _jac_takes_u, _jac),
                                                ("jvp", _jvp_returns, _jvp), ("jvp", _jvp_takes_u, _jvp)])
@pytest.mark.parametrize("n_drivers", [0, 1])
def test_a_derivative_of_the_wrong_form_is_told_a_form_that_is_then_accepted(role, wrong, right, n_drivers):
    """jac(t, y, p) was told the observables' form and a jac(t, y, p, u, J) that is then refused; jac(t, y, p, u, J)
    without drivers was told to pass n_drivers, then refused (it never takes u); with drivers, jac(t, y, p) was told
    'the drivers come as u: jac(t, y, p, J)' (a neuroscientist's trial).  The form each message gives builds."""
    rhs = _forced_decays if n_drivers else _two_decays
    with pytest.raises(ConfigurationError) as info:
        kernels.ODESystem(rhs, 2, n_params=1, n_drivers=n_drivers, **{role: wrong})
    text = str(info.value)
    forms = re.findall(rf"def {role}\(([^)]*)\)", text)
    assert forms == [", ".join(inspect.signature(right).parameters)], text
    assert "observables" not in text and "u, J)" not in text and "u, v, out)" not in text
    if wrong in (_jac_returns, _jvp_returns):
        assert ("J[i * n + j] = d f_i / d y_j" if role == "jac" else "out[i] = sum_j J_ij v[j]") in text
    kernels.ODESystem(rhs, 2, n_params=1, n_drivers=n_drivers, **{role: right})  # the remedy is accepted


def _reads_p0(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def _reads_y1(t, y, p, dydt):
    dydt[0] = -p[0] * y[1]


def _writes_dydt1(t, y, p, dydt):
    dydt[0] = -y[0]
    dydt[1] = y[0]


def _other_names(t, x, k, dx):
    dx[0] = -k[0] * x[0]


def _reads_u1(t, y, p, u, dydt):
    dydt[0] = -u[1] * y[0]


TABLE = (1.0,)


def _reads_own_table(t, y, p, dydt):
    dydt[0] = -TABLE[2] * y[0]


def _reads_past_y_in_numpy(t, y, p, dydt):
    dydt[0] = np.take(y, 3)


def _plain_decay(t, y, p, dydt):
    dydt[0] = -y[0]


def _jac_reads_p0(t, y, p, J):
    J[0] = -p[0]


def _jvp_reads_p0(t, y, p, v, out):
    out[0] = -p[0] * v[0]


@pytest.mark.parametrize("make, words", [
    (lambda: kernels.ODESystem(_reads_p0, n_states=1, name="ok"),
     ": p[0] is past the end of p (n_params=0): pass n_params= to ODESystem as the rhs indexes p (at least "
     "n_params=1 for p[0])"),
    (lambda: kernels.ODESystem(_reads_y1, n_states=1, n_params=1, name="ok"),
     ": y[1] is past the end of y (n_states=1): pass n_states= to ODESystem as the rhs indexes y (at least "
     "n_states=2 for y[1]), or index y below 1 (0-based)"),
    (lambda: kernels.ODESystem(_writes_dydt1, n_states=1, name="ok"),
     ": dydt[1] is past the end of dydt (n_states=1): pass n_states= to ODESystem as the rhs indexes dydt (at "
     "least n_states=2 for dydt[1]), or index dydt below 1 (0-based)"),
    (lambda: kernels.ODESystem(_other_names, n_states=1, name="ok"),
     ": k[0] is past the end of k (the p argument, n_params=0): pass n_params= to ODESystem as the rhs indexes k "
     "(at least n_params=1 for k[0])"),
    (lambda: kernels.ODESystem(_reads_u1, n_states=1, n_drivers=1, name="ok"),
     ": u[1] is past the end of u (n_drivers=1): pass n_drivers= to ODESystem as the rhs indexes u (at least "
     "n_drivers=2 for u[1]), or index u below 1 (0-based)"),
    (lambda: kernels.ODESystem(_reads_past_y_in_numpy, n_states=1, name="ok"),
     ": an index past the end of y (n_states=1), p (n_params=0) or dydt (n_states=1): pass n_states= and "
     "n_params= to ODESystem as the rhs indexes them"),
    (lambda: kernels.ODESystem(_plain_decay, n_states=1, name="ok", jac=_jac_reads_p0),
     ": p[0] is past the end of p (n_params=0): pass n_params= to ODESystem as the jac indexes p (at least "
     "n_params=1 for p[0])"),
])
def test_an_index_past_the_test_arrays_names_the_array_and_the_size_to_pass(make, words):
    """ODESystem(rhs, n_states=1) of an rhs reading p[0] said only "IndexError: index 0 is out of bounds for axis 0
    with size 0" (a user's trial): the message now names the array, the keyword that sizes it and its value."""
    with pytest.raises(ConfigurationError, match=r"failed on test arrays") as info:
        make()
    assert words in str(info.value)


def test_an_index_past_a_jvps_parameters_names_them_not_out():
    with pytest.raises(ConfigurationError) as info:
        kernels.ODESystem(_plain_decay, n_states=1, name="ok", jvp=_jvp_reads_p0)
    assert str(info.value).endswith(": p[0] is past the end of p (n_params=0): pass n_params= to ODESystem as the "
                                    "jvp indexes p (at least n_params=1 for p[0])")


def test_an_index_past_a_table_of_the_users_own_gets_no_size_advice():
    with pytest.raises(ConfigurationError) as info:
        kernels.ODESystem(_reads_own_table, n_states=1, name="ok")
    assert str(info.value).endswith("IndexError: tuple index out of range")


def _sir_args(t, y, beta, gamma):  # SciPy's habit: solve_ivp(sir, ..., args=(beta, gamma)), as many as (p, dydt)
    return [-beta * y[0] * y[1], beta * y[0] * y[1] - gamma * y[1], gamma * y[1]]


def _forced_args(t, y, k, a, w):  # the same with three, the count of the drivers form rhs(t, y, p, u, dydt)
    return [-k * y[0] + a * math.cos(w * t)]


@pytest.mark.parametrize("rhs, n_states, n_drivers, listed", [(_sir_args, 3, 0, "beta, gamma"),
                                                              (_forced_args, 1, 1, "k, a, w")])
def test_a_scipy_rhs_with_as_many_parameters_as_the_form_has_arrays_is_told_to_read_them_from_p(rhs, n_states,
                                                                                                n_drivers, listed):
    """def sir(t, y, beta, gamma): return [...] has the four arguments of rhs(t, y, p, dydt): it passed the count,
    and the construction check said only "ValueError: operands could not be broadcast together with shapes (2,)
    (3,)" (an epidemiologist's trial)."""
    names = listed.split(", ")
    with pytest.raises(ConfigurationError) as info:
        kernels.ODESystem(rhs, n_states, len(names), n_drivers=n_drivers)
    text = str(info.value)
    form = "t, y, p, u, dydt" if n_drivers else "t, y, p, dydt"
    assert text.startswith(f"rhs is called rhs({form}) and must write into dydt and return nothing; got "
                           f"{rhs.__name__}(t, y, {listed}); it returns the derivative and takes its parameters "
                           f"{listed} as separate arguments, SciPy's habit (solve_ivp(..., args=({listed}))): "), text
    reads = "; ".join(f"{name} = p[{i}]" for i, name in enumerate(names))
    assert f"def {rhs.__name__}({form}): {reads}; dydt[0] = ..." in text and "broadcast" not in text


def _broadcast_bug(t, y, p, dydt):  # the library's form with a bug of its own: p has 2 entries, y 3
    dydt[:] = p * y


def _odd_names_writes_and_returns(t, y, k, z):  # writes its last argument, returns a status: not SciPy's args=
    z[0] = -k[0] * y[0]
    return 0


def _returns_through_helper(t, y, k, z):
    return _fill(z, -k[0] * y[0])


def _fill(z, value):
    z[0] = value


def test_the_library_form_with_a_bug_of_its_own_is_not_told_scipys_args():
    """The cues are all needed: the argument after (t, y) not named p, the last neither named as an output nor
    written, and a value returned; a broadcast error of rhs(t, y, p, dydt) itself keeps its own message."""
    with pytest.raises(ConfigurationError, match=r"failed on test arrays .*ValueError: operands could not be "
                                                 r"broadcast") as info:
        kernels.ODESystem(_broadcast_bug, 3, 2)
    assert "SciPy's habit" not in str(info.value)
    with pytest.raises(ConfigurationError, match=r"returned a int: rhs must write into dydt") as info:
        kernels.ODESystem(_odd_names_writes_and_returns, 1, 1)
    assert "SciPy's habit" not in str(info.value)
    kernels.ODESystem(_returns_through_helper, 1, 1, check=False)  # a helper may write z (the count check only)
    with pytest.raises(ConfigurationError, match="returned a list") as info:  # a lambda is not judged (no def)
        kernels.ODESystem(lambda t, y, a, b: [-a * y[0]], 1, 1)
    assert "SciPy's habit" not in str(info.value)


def _glv(t, y, A, r):  # SciPy's habit with a matrix parameter: solve_ivp(glv, ..., args=(A, r))
    return y * (r + A @ y)


def _two_rates(t, y, a, b):  # SciPy's habit with parameters used only in arithmetic
    return [a * y[0] - b * y[0] * y[1], -y[1]]


def test_a_scipy_rhs_with_a_matrix_parameter_is_told_to_flatten_it():
    """def glv(t, y, A, r): return y * (r + A @ y) with n_params=30 for 5 states was told "A = p[0]; r = p[1];
    dydt[0] = ...; dydt[1] = ...", a 5x5 matrix read as one number and two outputs for five (a trial): it is told
    that p holds the arrays end to end, flattened row-major, and to build params with np.hstack (README,
    'Systems')."""
    with pytest.raises(ConfigurationError) as info:
        kernels.ODESystem(_glv, n_states=5, n_params=30, name="glv")
    text = str(info.value)
    assert "A = p[0];" not in text and "dydt[1] = ... (the values" not in text
    assert ("here the parameters come as one flat array p, one row per trajectory, holding the arrays end to end, "
            "each flattened row-major, and rhs writes the derivative into a last argument dydt entry by entry") in text
    assert "build params on the host as np.hstack([np.reshape(A, (N, -1)), " in text and "(README, 'Systems')" in text


def test_the_flattening_gives_offsets_where_the_sizes_tell_them():
    """With the system's sizes (n_states, n_params), the matrix of A @ y holds n_states**2 entries and r the rest:
    the reads, the outputs dydt[0] to dydt[n_states - 1] and the host's np.hstack are numbered.  Where the counts
    cannot be told apart, the layout is given in words with the count; scalars keep their remedy."""
    from kernels.scipy_args import separate_parameters_hint

    names = ("t", "y", "p", "dydt")
    text = separate_parameters_hint(_glv, "rhs", names, ["A", "r"], n_states=5, n_params=30)
    assert ("30 numbers (n_params) for 2 arguments, so some are arrays: " in text and
            "def _glv(t, y, p, dydt): A = p[0:25] (read A[i, j] as p[i*5 + j]); r = p[25:30]; dydt[0] = ...; ...; "
            "dydt[4] = ... (the values it returned, in order); build params on the host as "
            "np.hstack([np.reshape(A, (N, -1)), r]) for N trajectories" in text), text
    text = separate_parameters_hint(_two_rates, "rhs", names, ["a", "b"], n_states=2, n_params=3)
    assert ("def _two_rates(t, y, p, dydt): dydt[0] = ...; dydt[1] = ... (the values it returned, in order, reading "
            "each argument at its offset in p, which holds a, then b end to end" in text and "3 numbers in all" in text)
    assert (separate_parameters_hint(_pend_args, "rhs", names, ["gamma", "A", "omega"], n_states=2, n_params=3)
            == separate_parameters_hint(_pend_args, "rhs", names, ["gamma", "A", "omega"]))


def test_odesystem_numbers_the_flattening_of_a_matrix_parameter():
    with pytest.raises(ConfigurationError, match=r"def _glv\(t, y, p, dydt\): A = p\[0:25\] \(read A\[i, j\] as "
                                                 r"p\[i\*5 \+ j\]\); r = p\[25:30\]; dydt\[0\] = \.\.\.; \.\.\.; "
                                                 r"dydt\[4\] = \.\.\."):
        kernels.ODESystem(_glv, n_states=5, n_params=30, name="glv")


def _rebinds_dydt(t, y, p, dydt):
    dydt = (y[1], -y[0])  # noqa: F841 - the mistake under test


def _rebinds_du(t, y, p, du):
    du[0] = y[1]
    du, rest = np.zeros(3), 0.0  # noqa: F841 - the mistake under test


def _skips_one(t, y, p, dydt):
    dydt[0] = y[1]


def test_an_rhs_that_rebinds_its_output_is_told_so():
    """``dydt = (y[1], -y[0])`` was told only "did not assign dydt[0], dydt[1] ... dydt is not zeroed", not that
    the name was rebound (a mechanical engineer's trial); the output's own name is the one the rhs gives it."""
    with pytest.raises(ConfigurationError) as caught:
        kernels.ODESystem(_rebinds_dydt, 2, name="rebound")
    text = str(caught.value)
    assert text.startswith("rhs of system 'rebound' did not assign dydt[0], dydt[1] (2 of 2 components, at t=0 on "
                           "test arrays): it assigns to the name dydt itself (line "), text
    assert text.endswith("its output argument; rebinding dydt makes a new local object and leaves the array the "
                         "integrator passed unwritten, so write each component into it: dydt[0] = ..., dydt[1] = ...")
    with pytest.raises(ConfigurationError, match=r"did not assign dydt\[1\] .*it assigns to the name du itself "
                                                 r"\(line \d+\).* write each component into it: du\[0\] = \.\.\., "
                                                 r"du\[1\] = \.\.\.$"):
        kernels.ODESystem(_rebinds_du, 2, name="rebound_du")
    with pytest.raises(ConfigurationError, match=r"did not assign dydt\[1\] .*: assign every component on every "
                                                 r"call; dydt is not zeroed"):
        kernels.ODESystem(_skips_one, 2, name="skips_one")
