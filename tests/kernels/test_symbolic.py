"""kernels.symbolic_system: generated rhs, jac and jvp equal hand-derived ones; integration; errors."""

import functools
import io
import re
import sys
import tokenize
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kernels
from kernels.errors import ConfigurationError

sympy = pytest.importorskip("sympy")


def _evaluate(system, y, p, v, t=0.0):
    n = system.n_states
    f, jac, jvp = np.empty(n), np.empty(n * n), np.empty(n)
    system.rhs(t, y, p, f)
    system.jac(t, y, p, jac)
    system.jvp(t, y, p, v, jvp)
    return f, jac, jvp


def _assert_same(generated, reference, y, p, v, t=0.0):
    for mine, theirs in zip(_evaluate(generated, y, p, v, t), _evaluate(reference, y, p, v, t)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12 * (1.0 + np.max(np.abs(theirs))))


def symbolic_robertson():
    y1, y2, y3, k1, k2, k3 = sympy.symbols("y1 y2 y3 k1 k2 k3")
    rhs = {y1: -k1 * y1 + k3 * y2 * y3, y2: k1 * y1 - k2 * y2 ** 2 - k3 * y2 * y3, y3: k2 * y2 ** 2}
    return kernels.symbolic_system([y1, y2, y3], rhs, [k1, k2, k3], name="robertson_sym")


def symbolic_brusselator(m):
    """The 1D Brusselator of kernels.brusselator(2 m), written out point by point."""
    u, w = sympy.symbols(f"u1:{m + 1}"), sympy.symbols(f"w1:{m + 1}")
    a, b, alpha = sympy.symbols("A B alpha")
    c = alpha * (m + 1) ** 2
    rhs = []
    for i in range(m):
        ul, ur = (u[i - 1] if i > 0 else a), (u[i + 1] if i < m - 1 else a)
        rhs.append(a + u[i] ** 2 * w[i] - (b + 1) * u[i] + c * (ul - 2 * u[i] + ur))
    for i in range(m):
        wl, wr = (w[i - 1] if i > 0 else b / a), (w[i + 1] if i < m - 1 else b / a)
        rhs.append(b * u[i] - u[i] ** 2 * w[i] + c * (wl - 2 * w[i] + wr))
    return kernels.symbolic_system(list(u) + list(w), rhs, [a, b, alpha], name="brusselator_sym")


def _forced_rhs(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[0] - p[1] * y[1] * y[0] ** 2 + np.sin(p[2] * t) / 3.0


def _forced_jac(t, y, p, J):
    J[0], J[1] = 0.0, 1.0
    J[2], J[3] = -p[0] - 2.0 * p[1] * y[1] * y[0], -p[1] * y[0] ** 2


def _forced_jvp(t, y, p, v, out):
    out[0] = v[1]
    out[1] = (-p[0] - 2.0 * p[1] * y[1] * y[0]) * v[0] - p[1] * y[0] ** 2 * v[1]


def symbolic_forced():
    x, v, k, c, w, t = sympy.symbols("x v k c w t")
    return kernels.symbolic_system([x, v], [v, -k * x - c * v * x ** 2 + sympy.sin(w * t) / 3], [k, c, w], t=t,
                                   name="forced_sym")


_values = st.floats(-3.0, 3.0, allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(y=st.lists(_values, min_size=3, max_size=3), p=st.lists(st.floats(0.01, 5.0), min_size=3, max_size=3),
       v=st.lists(_values, min_size=3, max_size=3))
def test_robertson_matches_the_hand_written_one(y, p, v):
    _assert_same(_symbolic("robertson"), kernels.robertson(), np.array(y), np.array(p), np.array(v))


@settings(max_examples=25, deadline=None)
@given(y=st.lists(st.floats(0.1, 4.0), min_size=6, max_size=6), p=st.lists(st.floats(0.1, 5.0), min_size=3,
       max_size=3), v=st.lists(_values, min_size=6, max_size=6))
def test_brusselator_matches_the_hand_written_one(y, p, v):
    _assert_same(_symbolic("brusselator"), kernels.brusselator(6), np.array(y), np.array(p), np.array(v))


@settings(max_examples=25, deadline=None)
@given(y=st.lists(_values, min_size=2, max_size=2), p=st.lists(st.floats(0.01, 5.0), min_size=3, max_size=3),
       v=st.lists(_values, min_size=2, max_size=2), t=st.floats(0.0, 100.0))
def test_time_dependent_model_matches_the_hand_derived_one(y, p, v, t):
    reference = kernels.ODESystem(_forced_rhs, 2, 3, jac=_forced_jac, jvp=_forced_jvp, check=False)
    _assert_same(_symbolic("forced"), reference, np.array(y), np.array(p), np.array(v), t)


@functools.cache
def _symbolic(name):
    """The symbolic test systems, built when a test first asks (not at collection: every xdist worker collects)."""
    return {"robertson": symbolic_robertson, "brusselator": lambda: symbolic_brusselator(3),
            "forced": symbolic_forced}[name]()


def _bare_numbers(source):
    """Numeric literals outside index brackets and the constant definitions (they would force float64)."""
    found = []
    for line in source.splitlines()[1:]:
        if re.match(r"\s+K\d+ = W\(", line) or re.match(r"\s+for k in range", line):
            continue
        depth = 0
        for tok in tokenize.generate_tokens(io.StringIO(line.strip()).readline):
            depth += tok.string == "[" and 1 or (tok.string == "]" and -1 or 0)
            if tok.type == tokenize.NUMBER and depth == 0:
                found.append(line)
    return found


@pytest.mark.parametrize("name", ["robertson", "brusselator", "forced"])
def test_generated_code_has_no_float64_literals_and_writes_zeros_once(name):
    system = _symbolic(name)
    for func in (system.rhs, system.jac, system.jvp):
        assert _bare_numbers(func.__bufferplan_source__) == []
    jac = system.jac.__bufferplan_source__
    n = system.n_states
    for k in range(n * n):
        assert len(re.findall(rf"J\[{k}\] =", jac)) == 1
    # CSE: Robertson's k3*y2*y3 and k2*y2^2 appear once in the rhs
    if name == "robertson":
        assert system.rhs.__bufferplan_source__.count("p[2]*y[1]*y[2]") == 1


def test_tsit5_on_a_symbolic_model_equals_the_hand_written_one():
    s, r, b = sympy.symbols("sigma rho beta")
    x, y, z = sympy.symbols("x y z")
    lorenz = kernels.symbolic_system([x, y, z], [s * (y - x), x * (r - z) - y, x * y - b * z], [s, r, b])
    params = np.array([[10.0, 28.0, 8.0 / 3.0], [10.0, 20.0, 8.0 / 3.0]])
    t_eval = np.linspace(0.0, 0.5, 6)
    mine = kernels.solve_ivp(lorenz, (0.0, 0.5), [1.0, 1.0, 1.0], params, t_eval=t_eval, precision=np.float64,
                             rtol=1e-8, atol=1e-8)
    theirs = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.5), [1.0, 1.0, 1.0], params, t_eval=t_eval,
                               precision=np.float64, rtol=1e-8, atol=1e-8)
    assert mine.success and theirs.success
    np.testing.assert_array_equal(mine.n_steps, theirs.n_steps)
    np.testing.assert_allclose(mine.y, theirs.y, rtol=1e-10, atol=1e-10)


def test_float32_solve_of_a_time_dependent_model():
    result = kernels.solve_ivp(_symbolic("forced"), (0.0, 1.0), [1.0, 0.0], [1.0, 0.1, 2.0], precision=np.float32)
    assert result.success and result.y.dtype == np.float32
    reference = kernels.solve_ivp(_symbolic("forced"), (0.0, 1.0), [1.0, 0.0], [1.0, 0.1, 2.0], precision=np.float64)
    np.testing.assert_allclose(result.y, reference.y, rtol=1e-4, atol=1e-5)


def test_observables_and_default_params():
    x, v, k = sympy.symbols("x v k")
    system = kernels.symbolic_system([x, v], [v, -k * x], [k], observables=[(v ** 2 + k * x ** 2) / 2],
                                     default_params=[4.0])
    obs = np.empty(1)
    system.observables(0.0, np.array([1.0, 2.0]), np.array([4.0]), obs)
    assert obs[0] == pytest.approx(4.0)
    assert system.default_params.tolist() == [4.0]


def test_errors_name_the_problem(monkeypatch):
    x, y, k, q, t = sympy.symbols("x y k q t")
    with pytest.raises(ConfigurationError, match="states must be SymPy symbols"):
        kernels.symbolic_system([x, "y"], [y, x])
    with pytest.raises(ConfigurationError, match=r"rhs\[1\].* uses the symbol q, which is not a state or a "
                                                 r"parameter: add it to states or params"):
        kernels.symbolic_system([x, y], [y, -k * x * q], [k])
    # The wording was "uses t, which is neither a state, a parameter nor t: ... passes its time symbol as t="
    with pytest.raises(ConfigurationError, match=r"rhs\[0\] = x\*sin\(t\) uses the symbol t, which is not a state or "
                                                 r"a parameter: add it to states or params; if it is time, pass it "
                                                 r"as t=t$"):
        kernels.symbolic_system([x], [sympy.sin(t) * x])
    with pytest.raises(ConfigurationError, match=r"uses the symbols q, t, which are not states or parameters: add "
                                                 r"them to states or params; if t is time, pass it as t=t$"):
        kernels.symbolic_system([x], [q * t * x])
    with pytest.raises(ConfigurationError, match=r"uses the symbol q, which is not a state or a parameter \(nor the "
                                                 r"time symbol\): add it to states or params$"):
        kernels.symbolic_system([x], [q * sympy.sin(t) * x], t=t)
    with pytest.raises(ConfigurationError, match="one expression per state"):
        kernels.symbolic_system([x, y], [y])
    with pytest.raises(ConfigurationError, match="missing"):
        kernels.symbolic_system([x, y], {x: y})
    with pytest.raises(ConfigurationError, match="more than once"):
        kernels.symbolic_system([x, y], [y, x], [x])
    with pytest.raises(ConfigurationError, match="undefined function g"):
        kernels.symbolic_system([x], [sympy.Function("g")(x)])
    monkeypatch.setitem(sys.modules, "sympy", None)
    with pytest.raises(ConfigurationError, match=r"needs SymPy.*bufferplan\[symbolic\]"):
        kernels.symbolic_system([x], [x])


def test_integrator_names_the_jacobian_path():
    assert kernels.Integrator(_symbolic("robertson"), "tsit5").jacobian is None
    assert kernels.Integrator(kernels.lorenz(), "dopri5").jacobian is None


def test_integrator_reports_the_newton_jacobian_of_its_step():
    """An implicit step carries NewtonSettings as ``newton``: its analytic/dense choice is the path named."""
    import dataclasses

    from kernels.solvers.krylov import GMRESSettings
    from kernels.solvers.lu import LUSettings
    from kernels.solvers.newton import NewtonSettings

    integrator = kernels.Integrator(_symbolic("robertson"), "tsit5")

    @dataclasses.dataclass(frozen=True)
    class FakeImplicitStep:
        newton: NewtonSettings

    for newton, path in ((NewtonSettings(3, LUSettings(3), analytic=True), "jac"),
                         (NewtonSettings(3, GMRESSettings(3), analytic=True), "jvp"),
                         (NewtonSettings(3, LUSettings(3), analytic=False), "finite differences")):
        integrator.settings = dataclasses.replace(integrator.settings, step=FakeImplicitStep(newton))
        assert integrator.jacobian == path


def test_piecewise_abs_and_unsupported_functions():
    x = sympy.Symbol("x")
    system = kernels.symbolic_system([x], [sympy.Piecewise((x, x > 1), (2 * x, True)) + sympy.Abs(x)])
    jac = np.empty(1)
    for value, slope in ((-0.5, 1.0), (0.5, 3.0), (2.0, 2.0)):
        system.jac(0.0, np.array([value]), np.zeros(0), jac)
        assert jac[0] == slope
    assert _bare_numbers(system.jac.__bufferplan_source__) == []
    with pytest.raises(ConfigurationError, match=r"rhs\[0\]: Piecewise .* True\) branch"):
        kernels.symbolic_system([x], [sympy.Piecewise((x, x > 1))])
    with pytest.raises(ConfigurationError, match="function zeta cannot be written"):
        kernels.symbolic_system([x], [sympy.zeta(x)])


def test_a_hill_term_with_a_parameter_exponent_has_a_finite_jacobian_at_zero():
    # SymPy writes d(y**n)/dy as n*y**n/y, which is 0/0 at y = 0: every implicit step from no protein failed
    # (SINGULAR_MATRIX, hundreds of rejections) with a hint blaming the model
    x, y, k, n = sympy.symbols("x y K n")
    system = kernels.symbolic_system([x, y], [k ** n / (k ** n + y ** n) - x, x - y], params=[k, n])
    jac = np.empty(4)
    for exponent, slope in ((1.0, -1.0), (2.0, 0.0), (3.5, 0.0)):  # d/dy K^n/(K^n + y^n) at y = 0, K = 1
        system.jac(0.0, np.array([0.5, 0.0]), np.array([1.0, exponent]), jac)
        assert jac.tolist() == [-1.0, slope, 1.0, -1.0]
    result = kernels.solve_ivp(system, (0.0, 10.0), [0.0, 0.0], [1.0, 2.0], method="rodas5p", rtol=1e-8,
                               atol=1e-10, precision=np.float64)
    from scipy.integrate import solve_ivp

    ref = solve_ivp(lambda t, z: [1 / (1 + z[1] ** 2) - z[0], z[0] - z[1]], (0.0, 10.0), [0.0, 0.0],
                    method="Radau", rtol=1e-12, atol=1e-14)
    assert result.success
    np.testing.assert_allclose(result.y[0, -1], ref.y[:, -1], rtol=1e-6)


def test_a_hill_term_written_as_a_power_of_a_quotient_is_finite_at_zero_too():
    """(y/K)**n differentiates to n*(y/K)**n/y, 0/0 at y = 0: a MAPK cascade from no phosphoprotein failed at
    step 0 with every implicit method (a user's trial). By the chain rule, n*(y/K)**(n-1)/K, it is 0 there, for
    parameters of either sign; sqrt(x*y) of two negative states keeps its real derivative."""
    x, y, k, n = sympy.symbols("x y K n")
    system = kernels.symbolic_system([x, y], [1 / (1 + (y / k) ** n) - x, x - y], params=[k, n])
    jac = np.empty(4)
    system.jac(0.0, np.array([0.5, 0.0]), np.array([1.0, 2.3]), jac)
    assert jac.tolist() == [-1.0, 0.0, 1.0, -1.0]
    result = kernels.solve_ivp(system, (0.0, 5.0), [0.0, 0.0], [1.0, 2.3], method="radau", rtol=1e-8,
                               atol=1e-8, precision=np.float64, progress=False)
    assert result.success and abs(result.y[0, -1, 0] - 0.69694711) < 1e-7
    product = kernels.symbolic_system([x, y], [-sympy.sqrt(x * y), -y])
    product.jac(0.0, np.array([-1.0, -4.0]), np.zeros(0), jac)
    assert np.allclose(jac, [1.0, 0.25, 0.0, -1.0])  # -y / (2 sqrt(xy)) and -x / (2 sqrt(xy)) at (-1, -4)
    numeric = kernels.symbolic_system([x, y], [1 / (1 + (y / k) ** 2.5) - x, x - y], params=[k])
    numeric.jac(0.0, np.array([0.5, 0.0]), np.array([1.0]), jac)  # 2.5*(y/K)**2.5/y was NaN too
    assert jac.tolist() == [-1.0, 0.0, 1.0, -1.0]
    negative = kernels.symbolic_system([x, y], [1 / (1 + (y / k) ** n) - x, x - y], params=[k, n])
    negative.jac(0.0, np.array([0.5, -2.0]), np.array([-1.0, 2.5]), jac)  # y/K = 2 > 0: a real derivative
    assert np.allclose(jac[1], -2.5 * 2.0 ** 1.5 / (-1.0) / (1.0 + 2.0 ** 2.5) ** 2)


@pytest.mark.parametrize("step", ["Heaviside", "sign", "floor", "ceiling"])
def test_steps_in_a_model_have_the_zero_derivative_of_a_piecewise_switch(step):
    x, y = sympy.symbols("x y")
    switch = getattr(sympy, step)(y - sympy.Rational(1, 3))
    system = kernels.symbolic_system([x, y], [switch - x, x - y])
    jac = np.empty(4)
    system.jac(0.0, np.array([0.5, 0.8]), np.zeros(0), jac)
    assert jac.tolist() == [-1.0, 0.0, 1.0, -1.0]


def test_a_jacobian_of_zeros_is_generated():
    """A quadrature y' = cos(t), or a constant rhs: every Jacobian entry is 0, and construction raised
    AttributeError from the printer (a user's trial)."""
    x, y, t = sympy.symbols("x y t")
    quadrature = kernels.symbolic_system([x], [sympy.cos(t)], t=t, name="quadrature")
    constant = kernels.symbolic_system([x, y], [sympy.Integer(1), sympy.Float(0.5)], name="constant")
    J = np.full(4, np.nan)
    constant.jac(0.0, np.ones(2), np.zeros(0), J)
    assert quadrature.jac is not None and list(J) == [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("make, words", [
    (lambda x, k, t: [sympy.Eq(sympy.Derivative(x, t), -k * x)], r"rhs\[0\] is an equation .*rhs\[0\]\.rhs"),
    (lambda x, k, t: [x > 0], r"is a StrictGreaterThan, not a number-valued expression .*Piecewise"),
    (lambda x, k, t: [sympy.true], r"is a BooleanTrue, not a number-valued expression"),
    (lambda x, k, t: [sympy.Mod(x, 1)], r"Derivative\(Mod\(x, 1\), x\) cannot be written as Python for the GPU \(the Jacobian"),
    (lambda x, k, t: [-k * x + sympy.I], r"contains the imaginary unit I"),
    (lambda x, k, t: [-k * x + sympy.zoo], r"contains zoo or nan"),
    (lambda x, k, t: [-sympy.oo * x], r"contains oo \(infinity\): give the rate as a large finite number"),
    (lambda x, k, t: [-sympy.Symbol("x", positive=True)], r"uses Symbol\('x', positive=True\), and Symbol\('x'\) "
                                                           r"was declared: their assumptions differ"),
    (lambda x, k, t: [sympy.cos(sympy.Symbol("t", real=True))], r"uses Symbol\('t', real=True\), and Symbol\('t'\) "
                                                                 r"was declared"),
])
def test_what_is_not_a_real_expression_is_named(make, words):
    """Each of these leaked a raw SymPy exception, or a message about a symbol that looked declared (a trial)."""
    x, k, t = sympy.symbols("x k t")
    with pytest.raises(kernels.ConfigurationError, match=words):
        kernels.symbolic_system([x], make(x, k, t), params=[k], t=t)


def test_time_stays_float64_in_a_float32_kernel():
    """The generated functions read t as W(t), float32 in a float32 kernel: sin(20 t) from t0 = 1e5 was computed on
    t rounded to 0.008 and tsit5 ended 405 tolerances off with success (a user's trial); a hand-written rhs keeps
    t float64 (README), and so does the generated one now."""
    sympy = pytest.importorskip("sympy")
    y, t, a, omega = sympy.symbols("y t a omega")
    system = kernels.symbolic_system([y], [-a * y + sympy.sin(omega * t)], params=[a, omega], t=t)
    span = (1e5, 1e5 + 2.0)
    from scipy.integrate import solve_ivp as scipy_solve_ivp

    ref = scipy_solve_ivp(lambda s, u: -3.0 * u + np.sin(20.0 * s), span, [1.0], method="DOP853", rtol=1e-12,
                          atol=1e-14).y[0, -1]
    res = kernels.solve_ivp(system, span, [1.0], [3.0, 20.0], method="tsit5", rtol=1e-4, atol=1e-6,
                            precision=np.float32, progress=False)
    assert res.success and abs(res.y[0, -1, 0] - ref) <= 2.0 * (1e-6 + 1e-4 * abs(ref))


def test_a_column_matrix_of_equations_is_taken_as_a_list():
    """sympy.Matrix([...]) is SymPy's idiom for a vector field; it was refused as "must be a list" (a user's trial)."""
    sympy = pytest.importorskip("sympy")
    x, y, k = sympy.symbols("x y k")
    as_matrix = kernels.symbolic_system([x, y], sympy.Matrix([-k * x, k * x - y]), params=[k])
    as_list = kernels.symbolic_system([x, y], [-k * x, k * x - y], params=[k])
    runs = [kernels.solve_ivp(s, (0.0, 1.0), [1.0, 0.0], [1.0], precision=np.float64, progress=False)
            for s in (as_matrix, as_list)]
    np.testing.assert_array_equal(runs[0].y, runs[1].y)


def test_a_number_float32_cannot_hold_stays_float64():
    """A user's trial: 1e39 in an equation became W(1e39) = inf in a float32 kernel, and the run failed with a
    'singular matrix' that named nothing; hand-written literals already stay float64 there."""
    sympy = pytest.importorskip("sympy")
    x, k = sympy.symbols("x k")
    system = kernels.symbolic_system([x], [-k * x * sympy.Float(1e39) / (sympy.Float(1e39) + x)], params=[k])
    for method in ("tsit5", "rodas5p"):
        res = kernels.solve_ivp(system, (0.0, 2.0), [1.0], [1.0], method=method, rtol=1e-5, atol=1e-7,
                                precision=np.float32, progress=False)
        assert res.success and abs(res.y[0, -1, 0] - np.exp(-2.0)) < 1e-4


def test_the_construction_check_prints_no_numpy_warning():
    """A chemist's trial: building an adiabatic mechanism printed NumPy's RuntimeWarnings ('invalid value encountered
    in scalar subtract' from <bufferplan-symbolic:jac>) while the check ran the jac at its second test point, where
    10**(400 k) overflows (k = 0.92 there); the other host checks run quietly."""
    sympy = pytest.importorskip("sympy")
    x, k = sympy.symbols("x k")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        system = kernels.symbolic_system([x], [10 ** (400 * k) * x * (1 - x)], params=[k], name="steep")
    assert [str(w.message) for w in caught] == []
    assert system.derivatives_disagree == ()
    J = np.empty(1)
    system.jac(0.0, np.array([0.25]), np.array([0.01]), J)
    assert J[0] == pytest.approx(10.0 ** 4 * 0.5)


def test_a_set_a_dict_or_indexed_symbols_as_states_or_params_are_refused_with_what_to_pass():
    """params={k, a, b} gave p[0], p[1], p[2] in an order that changed with the hash seed (dydt -2, -4 or 0 for the
    same inputs, no word); params={k: 2.0} dropped the value; c[0] of an IndexedBase raised SymPy's IndexException
    from the message itself; default_params={k: 2.0} a bare TypeError (a SymPy user's trial)."""
    sp = pytest.importorskip("sympy")
    x, k, a, b = sp.symbols("x k a b")
    with pytest.raises(kernels.ConfigurationError, match=r"params must be an ordered sequence .* got a set.*"
                                                         r"write \[a, b, k\] in the order you index them"):
        kernels.symbolic_system([x], [a - b - k * x], params={k, a, b})
    with pytest.raises(kernels.ConfigurationError, match=r"params must be a sequence of SymPy symbols; got a dict: "
                                                         r"pass its keys, params=\[\.\.\.\], and their values as "
                                                         r"default_params"):
        kernels.symbolic_system([x], [-k * x], params={k: 2.0})
    c = sp.IndexedBase("c")
    with pytest.raises(kernels.ConfigurationError, match=r"states must be SymPy symbols, not indexed ones: got "
                                                         r"c\[0\] among them; make them with sympy.symbols\('c0:2'\)"):
        kernels.symbolic_system([c[0], c[1]], [-c[0], c[0]])
    system = kernels.symbolic_system([x], [-k * x], params=[k], default_params={k: 2.0})
    assert list(system.default_params) == [2.0]


def test_default_params_keyed_by_names_are_read_as_their_symbols():
    """{"T": 500.0, ...} was refused naming the same keys as both missing and not params (a chemist's trial)."""
    x, T, k0 = sympy.symbols("x T k0")
    rhs = [-k0 * sympy.exp(-1.0 / T) * x]
    by_name = kernels.symbolic_system([x], rhs, params=[T, k0], default_params={"k0": 3.0, "T": 500.0})
    mixed = kernels.symbolic_system([x], rhs, params=[T, k0], default_params={T: 500.0, "k0": 3.0})
    assert list(by_name.default_params) == list(mixed.default_params) == [500.0, 3.0]
    with pytest.raises(kernels.ConfigurationError, match=r"missing \['k0'\], not params \['K0'\]"):
        kernels.symbolic_system([x], rhs, params=[T, k0], default_params={"T": 500.0, "K0": 3.0})
    with pytest.raises(kernels.ConfigurationError, match=r"'T' is given twice, as a symbol and as its name"):
        kernels.symbolic_system([x], rhs, params=[T, k0], default_params={T: 500.0, "T": 500.0, "k0": 3.0})
    # two params that share a name (k, and k declared positive) are read by their symbols (a regression hunt)
    k1, k2 = sympy.Symbol("k"), sympy.Symbol("k", positive=True)
    shared = kernels.symbolic_system([x], [-k1 * x + k2], params=[k1, k2], default_params={k1: 1.0, k2: 2.0})
    assert list(shared.default_params) == [1.0, 2.0]


def test_a_dict_of_states_to_right_hand_sides_gives_the_states_in_its_order():
    """A regression hunt: states given as the dict {x: -k x, y: k x} (the rhs's own form) ran before the refusal of
    dict params and was then refused with advice about default_params; a dict keeps its insertion order, so its keys
    are the states in order."""
    sp = pytest.importorskip("sympy")
    x, y, k = sp.symbols("x y k")
    equations = {y: k * x, x: -k * x}
    system = kernels.symbolic_system(equations, equations, params=[k], default_params=[2.0], name="dict_states")
    dydt = np.empty(2)
    system.rhs(0.0, np.array([0.25, 1.0]), np.array([2.0]), dydt)
    np.testing.assert_allclose(dydt, [2.0, -2.0])  # y[0] is y (k x = 2), y[1] is x (-k x = -2)


def test_a_symbolic_system_records_its_parameter_names_in_order():
    """A solve reads a DataFrame's columns by them (kernels/named_params.py): a NONMEM table's order CL, V, ka was
    read by position for params [ka, CL, V] (a pharmacometrician's trial)."""
    a, ka, cl, v = sympy.symbols("a ka CL V")
    system = kernels.symbolic_system([a], [-ka * a + cl / v], params=[ka, cl, v], name="names")
    assert system.param_names == ("ka", "CL", "V")
    assert kernels.symbolic_system([a], [-a]).param_names == ()
