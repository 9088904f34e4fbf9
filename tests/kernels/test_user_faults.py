"""A user function's faults on the simulator (kernels/user_faults.py): float faults as on a GPU, bugs named."""

import math

import numpy as np
import pytest
from numba import cuda

import kernels

pytestmark = pytest.mark.skipif(kernels.backend() == "cuda", reason="the simulator's Python faults; a GPU has none")


def _sqrt_of_a_falling_state(t, y, p, dydt):
    dydt[0] = -p[0]
    dydt[1] = math.sqrt(y[0])  # y[0] = 0.5 - p[0] t goes negative where p[0] > 0.5


@pytest.mark.parametrize("method, options", [("rk4", {"dt": 0.1}), ("tsit5", {}),
                                             ("rodas5p", {"precision": np.float64})])
def test_sqrt_of_a_negative_state_stops_only_that_trajectory(method, options):
    """On a GPU sqrt(-x) is NaN and only that trajectory stops; the simulator's math domain error must not abort
    the batch (it raised UserFunctionError for all three)."""
    system = kernels.ODESystem(_sqrt_of_a_falling_state, 2, n_params=1, name="sqrt_falling")
    result = kernels.solve_ivp(system, (0.0, 1.0), [0.5, 0.0], [[0.1], [0.2], [1.0]], method=method,
                               progress=False, **options)
    assert list(result.status) == [0, 0, int(kernels.Status.NONFINITE_STATE)]
    assert np.allclose(result.y[:2, -1, 0], [0.4, 0.3], atol=1e-5)
    assert "non-finite" in result.message(2)


def _log_jacobian_rhs(t, y, p, dydt):
    dydt[0] = -p[0]
    dydt[1] = -y[1]


def _log_jacobian(t, y, p, J):
    J[0] = 0.0
    J[1] = 0.0
    J[2] = 0.0
    J[3] = -1.0 + 0.0 * math.log(y[0])  # a domain error once y[0] < 0; the value is right elsewhere


def test_a_domain_error_in_jac_stops_only_that_trajectory():
    system = kernels.ODESystem(_log_jacobian_rhs, 2, n_params=1, name="log_jac", jac=_log_jacobian)
    result = kernels.solve_ivp(system, (0.0, 1.0), [0.5, 1.0], [[0.1], [1.0]], method="rodas5p",
                               precision=np.float64, progress=False)
    assert result.status[0] == 0 and result.status[1] != 0
    assert np.isclose(result.y[0, -1, 1], math.exp(-1.0), rtol=1e-4)


def _name_error_after(t, y, p, dydt):
    dydt[0] = -y[0]
    if t > 0.05:
        dydt[0] = undefined_rate * y[0]  # noqa: F821 - the bug under test


def test_a_bug_that_is_not_an_index_error_is_named_without_the_memory_claim():
    system = kernels.ODESystem(_name_error_after, 1, name="typo", check=False)
    with pytest.raises(kernels.UserFunctionError, match=r"_name_error_after raised NameError at .*test_user_faults.py"
                                                        r":\d+ .*undefined_rate.*This is a bug in the function, not a "
                                                        r"floating-point fault") as info:
        kernels.solve_ivp(system, (0.0, 0.1), [1.0], method="rk4", dt=0.01, progress=False)
    assert "memory" not in str(info.value)


def _index_bug(t, y, p, dydt):
    dydt[0] = y[5]  # the bug under test: a 1-state system


def test_a_bug_in_a_function_sent_by_value_names_its_file_and_line():
    """A Dask worker gets the user's functions by value (cloudpickle), their code's file renamed
    ``<dynamic-code>``: the error still names the file (from the function's module globals) and the line."""
    cloudpickle = pytest.importorskip("cloudpickle")
    import inspect
    import sys

    module = sys.modules[_index_bug.__module__]
    cloudpickle.register_pickle_by_value(module)  # as Dask sends the functions of a script's __main__
    try:
        copy = cloudpickle.loads(cloudpickle.dumps(_index_bug))
    finally:
        cloudpickle.unregister_pickle_by_value(module)
    assert copy.__code__.co_filename == "<dynamic-code>"
    line = inspect.getsourcelines(_index_bug)[1] + 1
    system = kernels.ODESystem(copy, 1, name="by_value", check=False)
    with pytest.raises(kernels.UserFunctionError) as info:
        kernels.solve_ivp(system, (0.0, 0.1), [1.0], method="rk4", dt=0.01, progress=False)
    assert f"_index_bug raised IndexError at {__file__}:{line} ('dydt[0] = y[5]" in str(info.value)


def _raises_for_a_large_rate(t, y, p, dydt):
    if p[0] > 5.0 and t > 0.05:
        raise RuntimeError("rate out of range")
    dydt[0] = -p[0] * y[0]


@pytest.mark.skipif(kernels.backend() != "simulator", reason="Python exceptions in kernels exist on the simulator only")
def test_a_raise_names_its_trajectory_and_spoils_out_with_nan():
    """A user's trial: the message named no trajectory, and out= kept a mix of the two calls with status success."""
    integrator = kernels.Integrator(kernels.ODESystem(_raises_for_a_large_rate, 1, 1, name="large_rate"), "tsit5",
                                    precision=np.float64)
    from numba import cuda

    y0 = cuda.to_device(np.ones((4, 1)))
    first = integrator.solve((0.0, 0.1), y0, cuda.to_device(np.array([[1.0], [2.0], [3.0], [4.0]])),
                             t_eval=[0.05, 0.1], progress=False)
    assert (first.status.copy_to_host() == 0).all()
    with pytest.raises(kernels.UserFunctionError, match=r"for trajectory 2: rate out of range.*out=.*NaN"):
        integrator.solve((0.0, 0.1), y0, cuda.to_device(np.array([[1.0], [2.0], [9.0], [4.0]])),
                         t_eval=[0.05, 0.1], progress=False, out=first)
    assert np.isnan(first.y.copy_to_host()).all()


def _reversible(t, y, p, dydt):
    kf = p[0]
    kb = kf / math.exp(p[1] / p[2])  # the equilibrium constant overflows below T = 282 K: inf, so kb = 0
    dydt[0] = -(kf * y[0] - kb * y[1])
    dydt[1] = kf * y[0] - kb * y[1]


exp = math.exp  # as `from math import exp` binds it


@cuda.jit(device=True)
def _arrhenius(a, ea, temperature):  # a helper the rhs calls: its math is a GPU's too
    return a * exp(-ea / temperature)


def _reversible_with_helper(t, y, p, dydt):
    kb = p[0] / _arrhenius(1.0, -p[1], p[2])
    dydt[0] = -(p[0] * y[0] - kb * y[1])
    dydt[1] = p[0] * y[0] - kb * y[1]




@pytest.mark.parametrize("rhs", [_reversible, _reversible_with_helper])
@pytest.mark.parametrize("method", ["tsit5", "radau"])
def test_a_math_overflow_to_inf_gives_the_gpu_s_finite_derivative(rhs, method):
    """kb = kf / exp(200000 / 250) is 0 on a GPU (exp overflows to inf); the simulator's OverflowError failed the
    trajectory where compiled code ran it (a chemist's trial).  A -> B then goes as exp(-kf t)."""
    system = kernels.ODESystem(rhs, 2, n_params=3, name=rhs.__name__)
    params = [[2.0, 2e5, 400.0], [2.0, 2e5, 250.0]]
    result = kernels.solve_ivp(system, (0.0, 1.0), [1.0, 0.0], params, method=method, rtol=1e-8, atol=1e-10,
                               precision=np.float64, progress=False)
    assert list(result.status) == [0, 0]
    np.testing.assert_allclose(result.y[1, -1], [math.exp(-2.0), 1.0 - math.exp(-2.0)], rtol=1e-6)


def _python_float_division(t, y, p, dydt):
    dydt[0] = -1.0 / (p[0] - 1.0)  # Python floats: ZeroDivisionError where p[0] = 1 (inf on a GPU)


def test_an_operator_on_python_floats_that_raises_still_leaves_nan():
    system = kernels.ODESystem(_python_float_division, 1, n_params=1, name="division")
    result = kernels.solve_ivp(system, (0.0, 1.0), [1.0], [[2.0], [1.0]], method="rk4", dt=0.1,
                               precision=np.float64, progress=False)
    assert list(result.status) == [0, int(kernels.Status.NONFINITE_STATE)]


def _factory_rhs():
    import math as m  # the README's factory pattern: the module reaches the rhs through its closure

    @cuda.jit(device=True)
    def equilibrium(dh, temperature):
        return m.exp(dh / temperature)

    def rhs(t, y, p, dydt):
        kb = p[0] / equilibrium(p[1], p[2])
        dydt[0] = -(p[0] * y[0] - kb * y[1])
        dydt[1] = p[0] * y[0] - kb * y[1]

    return rhs


def _integer_power(t, y, p, dydt):
    # pow(10, 400) and ldexp(1, 2000) are inf on a GPU: the rate is 1
    dydt[0] = -min(1.0, math.pow(10, 400)) * min(1.0, math.ldexp(1.0, 2000)) * y[0]


def test_a_gpu_s_math_reaches_closures_and_integer_arguments():
    """A regression hunt: `import math as m` in a factory, and a device helper made there, still failed the 250 K
    row; the construction check refused the rhs outright (exp overflows at its test point); math.pow(10, 400) came
    out 0 (NumPy's power of integers wraps)."""
    system = kernels.ODESystem(_factory_rhs(), 2, n_params=3, name="factory")
    result = kernels.solve_ivp(system, (0.0, 1.0), [1.0, 0.0], [[2.0, 2e5, 400.0], [2.0, 2e5, 250.0]],
                               method="tsit5", rtol=1e-8, atol=1e-10, precision=np.float64, progress=False)
    assert list(result.status) == [0, 0]
    np.testing.assert_allclose(result.y[1, -1], [math.exp(-2.0), 1.0 - math.exp(-2.0)], rtol=1e-6)
    power = kernels.ODESystem(_integer_power, 1, name="integer_power")
    result = kernels.solve_ivp(power, (0.0, 1.0), [1.0], method="rk4", dt=0.01, precision=np.float64, progress=False)
    np.testing.assert_allclose(result.y[0, -1, 0], math.exp(-1.0), rtol=1e-8)


def _gated_relaxation(t, y, p, dydt):
    gate = 1.0 / (1.0 + math.exp(-(y[0] - 50.0) / 0.01))  # exp(5000) at y = 0: inf on a GPU, the gate 0
    dydt[0] = -p[0] * y[0] + gate
    dydt[1] = y[0] - y[1]


def test_the_host_checks_answer_a_math_overflow_as_a_gpu_does():
    """A steep gate's exp overflowed on the host, and every host check skipped the model: an unstable fixed step
    ran to 1e240 with success and no StabilityWarning (a regression hunt).  The checks now see the GPU's 0."""
    system = kernels.ODESystem(_gated_relaxation, 2, 1, name="gated_relaxation")
    np.testing.assert_allclose(system.evaluate_rhs(0.0, np.array([1.0, 0.0]), np.array([1e3])), [-1e3, 1.0])
    with pytest.warns(kernels.StabilityWarning):
        kernels.solve_ivp(system, (0.0, 0.1), [1.0, 0.0], [1e3], method="rk4", dt=0.01, precision=np.float64,
                          progress=False)


def _gate_then_root(t, y, p, dydt):
    gate = 1.0 / (1.0 + math.exp(1000.0 * (1.0 + y[1])))  # overflows, harmlessly: 0 on a GPU
    dydt[0] = -math.sqrt(y[0]) + gate  # the root of a level that reaches 0 at t = 2
    dydt[1] = 0.0


def _flat_jac_behind_a_gate(t, y, p, J):
    e = math.exp((2.0 - y[0]) / 1e-4)  # overflows at the test state
    J[0, 0] = -1.0 / (1.0 + e)  # a bug: J is flat


def test_the_fault_named_is_the_one_a_gpu_cannot_answer():
    """A harmless overflow before the real fault was named in its place: the message said OverflowError where the
    cause is sqrt of a negative number, and the construction check said OverflowError where the jac indexes a flat J
    in two dimensions (a regression hunt)."""
    system = kernels.ODESystem(_gate_then_root, 2, name="gate_then_root")
    result = kernels.solve_ivp(system, (0.0, 3.0), [1.0, 2.0], method="tsit5", precision=np.float64,
                               progress=False)
    assert result.status[0] == kernels.Status.NONFINITE_STATE
    assert "raised ValueError (math domain error)" in result.message(0), result.message(0)
    with pytest.raises(kernels.ConfigurationError, match=r"IndexError.*J is flat"):
        kernels.ODESystem(_gate_then_root, 2, name="flat_jac", jac=_flat_jac_behind_a_gate)


def _reads_p3(t, y, p, dydt):
    dydt[0] = -p[3] * y[0]


def _writes_dydt1(t, y, p, dydt):
    dydt[0] = -y[0]
    dydt[1] = y[0]


def _adds_to_dydt1(t, y, p, dydt):
    dydt[0] = -y[0]
    dydt[1] += y[0]


@pytest.mark.parametrize("precision", [np.float32, np.float64])
@pytest.mark.parametrize("rhs, n_params, said", [
    (_reads_p3, 3, r"p\[3\], an index out of range, reads memory the kernel does not own: another trajectory's "
                   r"data or garbage"),
    (_writes_dydt1, 0, r"dydt\[1\], an index out of range, writes memory the kernel does not own"),
    (_adds_to_dydt1, 0, r"dydt\[1\], an index out of range, reads and writes memory the kernel does not own"),
])
def test_an_index_fault_says_whether_the_function_read_or_wrote_there(rhs, n_params, said, precision):
    """The message said "an index out of range writes memory the kernel does not own" for p[3], a read (a
    DiffEqGPU.jl user's trial): the faulting instruction tells a read from a write (float32 runs a rewritten copy
    of the function, whose spans still name the subscript)."""
    system = kernels.ODESystem(rhs, 1, n_params=n_params, name=rhs.__name__, check=False)
    with pytest.raises(kernels.UserFunctionError, match=r"On a GPU the same fault is not caught \(" + said):
        kernels.solve_ivp(system, (0.0, 0.1), [1.0], np.ones(n_params), method="rk4", dt=0.05, precision=precision,
                          progress=False)


def test_an_index_fault_inside_a_numpy_call_says_reads_or_writes():
    from kernels.index_faults import gpu_effect, index_access

    try:
        np.take(np.zeros(2), 5)
    except IndexError as exc:
        assert index_access(exc) == ("reads or writes", "")
        assert gpu_effect(exc).startswith("an index out of range reads or writes memory the kernel does not own")


def test_an_index_fault_of_an_indented_function_in_float32_names_its_subscript():
    """float32 compiles a copy rewritten from the dedented source, whose columns are short by the def's indentation:
    the subscript was not found there, while a Dask worker (the function as it is) named it (a regression hunt)."""
    def nested(t, y, p, dydt):
        dydt[0] = y[5]
        dydt[1] = 0.0

    system = kernels.ODESystem(nested, 2, name="nested", check=False)
    with pytest.raises(kernels.UserFunctionError, match=r"not caught \(y\[5\], an index out of range, reads memory"):
        kernels.solve_ivp(system, (0.0, 0.1), [1.0, 1.0], method="rk4", dt=0.05, progress=False)
