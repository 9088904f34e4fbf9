"""ODESystem checks its functions on construction, on any machine (issue 11, items 3 and 8): components left
unassigned, outputs returned, the drivers' form, arguments in another order, and what a hand-kernel writer or a porter
brings (wrapped and numba.njit functions, pickled systems, flat Jacobians, param_names).

Every construction here also runs the compile check (the real CUDA compiler, NVVM from the ``compile`` extra, even on
the simulator), whose refusals (item 2) are in ``test_systems_compile.py``.
"""

import functools
import math

import numba
import numpy as np
import pytest
from numba import cuda

import kernels
from kernels import ConfigurationError, ODESystem


# -- item 3: rhs mistakes that used to give silent wrong results ----------------------------------
def _frozen(t, y, p, dydt):
    dydt[0] = y[1]  # dydt[1] never written: the component used to stay frozen, with status success


def _scipy_style(t, y, p, dydt):
    return [y[1], -y[0]]


def _accumulates(t, y, p, dydt):
    dydt[0] += y[1]  # reads what the GPU left in dydt
    dydt[1] = -y[0]


def _skips_many(t, y, p, dydt):
    dydt[0] = y[0]


def test_unassigned_component_is_named():
    with pytest.raises(ConfigurationError) as info:
        ODESystem(_frozen, 2, name="frozen")
    assert str(info.value) == (
        "rhs of system 'frozen' did not assign dydt[1] (1 of 2 components, at t=0 on test arrays): assign "
        "every component on every call; dydt is not zeroed, so a component left unassigned or only updated "
        "(+=) keeps whatever was there")


def test_update_in_place_counts_as_unassigned():
    with pytest.raises(ConfigurationError, match=r"did not assign dydt\[0\] \(1 of 2"):
        ODESystem(_accumulates, 2)


def test_many_unassigned_components_are_listed_briefly():
    with pytest.raises(ConfigurationError) as info:
        ODESystem(_skips_many, 12)
    assert "did not assign dydt[1], dydt[2]" in str(info.value)
    assert "dydt[8], ... (11 of 12 components" in str(info.value)


def _skips_when_negative(t, y, p, dydt):
    dydt[0] = y[1]
    if y[0] > 0.0:  # no else: dydt[1] keeps what the previous stage left, on a GPU
        dydt[1] = -y[0]


def _sqrt_model(t, y, p, dydt):
    dydt[0] = math.sqrt(y[0])  # raises on the host below 0: outside its domain, not a skipped component
    dydt[1] = -y[1]


def _skips_after_one(t, y, p, dydt):
    dydt[0] = y[1]
    if t < 1.0:  # the construction check runs at t = 0, where the branch is taken
        dydt[1] = -y[0]


def _returns_its_output(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -y[0]
    return dydt


def _scipy_args_style(t, y, g, c):  # SciPy: solve_ivp(fun, ..., args=(9.81, 0.3))
    return np.array([y[1], -g * math.sin(y[0]) - c * y[1]])


def test_a_porters_rhs_gets_the_fix_that_applies():
    """A porter's trial: an rhs that writes dydt and then returns it was told to assign dydt[i] (it does), and a
    SciPy args= function fun(t, y, g, c) got only NumPy's 'inhomogeneous shape'."""
    with pytest.raises(ConfigurationError, match=r"returns dydt after writing it: rhs must return nothing .*remove "
                                                 r"the return"):
        ODESystem(_returns_its_output, 2, name="returns")
    with pytest.raises(ConfigurationError, match=r"takes its parameters g, c as separate arguments, SciPy's habit .* "
                                                 r"g = p\[0\]; c = p\[1\]; dydt\[0\] = \.\.\."):
        ODESystem(_scipy_args_style, 2, n_params=2, name="pend")


def test_a_component_skipped_on_another_path_is_named():
    """The test point has every component in (0.5, 1), where ``if y[0] > 0`` takes its branch; a user's model
    with no else then ran and was reported as stiff.  The check also runs at other states."""
    with pytest.raises(kernels.UnassignedOutputError) as info:
        ODESystem(_skips_when_negative, 2, name="half")
    text = str(info.value)
    assert "rhs of system 'half' did not assign dydt[1] at t = 0, y = [-" in text
    assert "assign every component on every path through rhs" in text and "test state" in text
    ODESystem(_sqrt_model, 2, name="sqrt")  # a state outside the domain is skipped, not refused


def test_host_rhs_refuses_a_skipped_component():
    system = ODESystem(_skips_after_one, 2, name="late")
    f = system.host_rhs()
    assert list(f(0.5, np.array([1.0, 0.0]))) == [0.0, -1.0]
    with pytest.raises(kernels.UnassignedOutputError, match=r"did not assign dydt\[1\] at t = 2"):
        f(2.0, np.array([1.0, 0.0]))


def test_a_run_whose_rhs_skips_a_component_says_so():
    """Where the construction check cannot see it (a branch on t), a failed trajectory's message names it."""
    system = ODESystem(_skips_after_one, 2, name="late")
    res = kernels.solve_ivp(system, (0.0, 3.0), [1.0, 0.0], method="tsit5", precision=np.float64,
                            progress=False)
    assert not res.success
    assert "did not assign dydt[1] at t = 1" in res.message()


def test_scipy_style_return_is_named():
    with pytest.raises(ConfigurationError) as info:
        ODESystem(_scipy_style, 2, name="scipy")
    assert str(info.value) == (
        "rhs of system 'scipy' returned a list: rhs must write into dydt and return nothing (SciPy-style "
        "functions return a list); assign dydt[i] = ... for each of the 2 components instead")


def test_returning_a_scalar_is_refused_too():
    def returns(t, y, p, dydt):
        dydt[0] = -y[0]
        return dydt[0]

    with pytest.raises(ConfigurationError, match="returned a float64: rhs must write into dydt and return nothing"):
        ODESystem(returns, 1)


def test_observables_are_checked_the_same_way():
    def decay(t, y, p, dydt):
        dydt[0] = -y[0]

    def two_observables(t, y, p, obs):
        obs[0] = y[0]

    with pytest.raises(ConfigurationError, match=r"observables of system 'decay' did not assign obs\[1\]"):
        ODESystem(decay, 1, observables=two_observables, n_observables=2)


def test_check_false_skips_the_checks():
    system = ODESystem(_frozen, 2, check=False)
    assert system.n_states == 2


# -- item 8: the five-argument form without drivers -----------------------------------------------
def test_drivers_form_without_drivers_says_what_to_do():
    def with_u(t, y, p, u, dydt):
        dydt[0] = -y[0]

    with pytest.raises(ConfigurationError) as info:
        ODESystem(with_u, 1)
    assert str(info.value) == (
        "rhs must take 4 arguments (t, y, p, dydt); got a function of 5 positional arguments; the form "
        "rhs(t, y, p, u, dydt) is for systems with drivers: pass n_drivers (and drivers to solve_ivp), or drop u")
    assert ODESystem(with_u, 1, n_drivers=1).n_drivers == 1


# -- the call's shape: arguments in another order, wrappers and helpers, exec'd code ---------------------------
def _julia_in_place(du, u, p, t):
    du[0] = u[1]
    du[1] = -p[0] * u[0]


def _odeint_order(y, t, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[0]


@pytest.mark.parametrize("rhs", [_julia_in_place, _odeint_order])
def test_arguments_in_another_order_get_the_call_and_the_line(rhs):
    """A user porting from DiffEqGPU got only "TypeError: 'float' object does not support item assignment"."""
    with pytest.raises(ConfigurationError) as info:
        ODESystem(rhs, 2, 1, name="ported")
    message = str(info.value)
    assert "at test_systems.py:" in message
    assert "it is called rhs(t, y, p, dydt) with t a float" in message and "Julia's f(du, u, p, t)" in message


def _model_order(t, y, dydt, p):
    dydt[0] = -p[0] * y[0]


def _adapted(model):
    device = cuda.jit(device=True)(model)

    @functools.wraps(model)
    def rhs(t, y, p, dydt):
        device(t, y, dydt, p)

    return rhs


def _with_a_helper(t, y, p, dydt):
    def put(y, v):  # a helper's own y: the output it is given
        y[0] = v

    put(dydt, -y[0])


def test_wrapped_functions_and_helpers_writing_their_own_arguments_are_accepted():
    """functools.wraps led the source check to the wrapped model's argument order, and a nested helper's own y was
    taken for the input (a regression hunt): both had run before."""
    assert kernels.solve_ivp(ODESystem(_adapted(_model_order), 1, 1), (0.0, 0.5), [1.0], [[1.0]], method="rk4",
                             dt=0.05, progress=False).success
    assert kernels.solve_ivp(ODESystem(_with_a_helper, 1), (0.0, 0.5), [1.0], method="rk4", dt=0.05,
                             progress=False).success


def test_a_source_that_is_not_the_function_s_own_is_not_read(tmp_path):
    """Code exec'd under a file's name, and a module edited since it was imported, gave the check another
    function's source: a valid rhs was refused as writing an input it does not have (a regression hunt)."""
    namespace = {"__name__": "not_a_module"}
    script = tmp_path / "model.py"
    script.write_text("def put(k, out, v):\n    out[k] = v\n")
    exec(compile("def rhs(t, y, p, dydt):\n    dydt[0] = -y[0]\n", str(script), "exec"), namespace)
    assert kernels.solve_ivp(ODESystem(namespace["rhs"], 1), (0.0, 0.1), [1.0], method="rk4", dt=0.01,
                             progress=False).success


# -- a hand-kernel writer's habits: numba.njit functions; pickled systems ---------------------------------------
def _decay(t, y, p, dydt):
    dydt[0] = -y[0]
    dydt[1] = -2.0 * y[1]


def _first_state(t, y, p, obs):
    obs[0] = y[0]


def _quarter(t, y, p):
    return y[0] - 0.25


def test_njit_functions_are_taken_as_their_python_functions():
    import numba

    # A numba.njit rhs passed construction and then failed in the simulator's solve ("'CPUDispatcher' object has
    # no attribute '__globals__'"), as did njit observables and event functions (a user's trial).
    system = ODESystem(numba.njit(_decay), 2, name="njit_decay", observables=numba.njit(_first_state),
                       n_observables=1)
    assert system.rhs is _decay and system.observables is _first_state
    crossing = kernels.Event(numba.njit(_quarter), terminal=True)
    assert crossing.function is _quarter
    res = kernels.solve_ivp(system, (0.0, 1.0), [0.5, 0.5], method="rk4", dt=0.01, precision=np.float64,
                            events=crossing, progress=False)
    assert res.success
    np.testing.assert_allclose(np.ravel(res.event_t)[0], np.log(2.0), rtol=1e-6)


def test_a_solved_system_pickles_and_solves_the_same_on_the_other_side():
    import pickle

    # Once solved it held its compiled device functions and Integrators: "Can't pickle local object" (a user's
    # trial, told by the Integrator's refusal to pickle the system instead).
    system = kernels.lorenz()
    args = ((0.0, 0.05), [1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0])
    first = kernels.solve_ivp(system, *args, method="rk4", dt=0.01, progress=False)
    again = kernels.solve_ivp(pickle.loads(pickle.dumps(system)), *args, method="rk4", dt=0.01, progress=False)
    np.testing.assert_array_equal(first.y, again.y)


def _decay_two(t, y, p, dydt):
    dydt[0] = -y[0]
    dydt[1] = -y[1]


def _jac_of_three(t, y, p, J):  # written for a system of 3 states: J[4] is past the end of 2 * 2 entries
    for i in range(9):
        J[i] = 0.0


def _jac_in_two_indices(t, y, p, J):
    J[0, 0] = -1.0


@pytest.mark.parametrize("jac, words", [
    (_jac_of_three, "IndexError: index 4 is out of bounds for axis 0 with size 4: J is flat with n*n = 4 entries "
                    "(J[i * 2 + j] for row i, column j, both below 2), so this jac may be written for a system of "
                    "another size (n_states=2 here)"),
    (_jac_in_two_indices, "but 2 were indexed: J is flat, write J[i * 2 + j] for d f_i / d y_j (row-major), not "
                          "J[i, j]"),
])
def test_a_jac_index_error_is_told_apart_from_two_dimensional_indexing(jac, words):
    """A jac written for 8 states (J[49] with n = 7) was told to write J[i * 7 + j] instead of J[i, j], which it
    did (a chemist's trial): an index past the end names the n*n entries and another system size instead."""
    with pytest.raises(ConfigurationError) as info:
        ODESystem(_decay_two, 2, name="two", jac=jac)
    assert str(info.value).endswith(words)
    assert jac is _jac_in_two_indices or "J[i, j]" not in str(info.value)


@numba.njit
def _njit_decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def test_a_system_of_njit_functions_pickles():
    # Taken as its Python function, the rhs no longer matched its module's name (the dispatcher): "Can't pickle
    # <function _njit_decay>: it's not the same object" (a regression hunt)
    import pickle

    system = ODESystem(_njit_decay, 1, 1, name="njit_decay")
    again = pickle.loads(pickle.dumps(system))
    assert again.rhs is _njit_decay.py_func
    args = ((0.0, 1.0), [1.0], [[1.0], [2.0]])
    first = kernels.solve_ivp(system, *args, method="rk4", dt=0.05, precision=np.float64, progress=False)
    second = kernels.solve_ivp(again, *args, method="rk4", dt=0.05, precision=np.float64, progress=False)
    np.testing.assert_array_equal(first.y, second.y)


def _decay_factory(k):
    def rhs(t, y, p, dydt):
        dydt[0] = -k * y[0]

    return rhs


def test_a_closures_or_symbolic_system_is_told_what_to_send_instead_of_pickle_s_error():
    """Pickling a closure's system raised "Can't pickle local object", a symbolic_system's a bare PicklingError
    (a user's trial); an Integrator's refusal said what to send instead, and so do they now.  cloudpickle (as
    Dask uses) still sends them by value."""
    import pickle

    cloudpickle = pytest.importorskip("cloudpickle")
    sympy = pytest.importorskip("sympy")
    x, v = sympy.symbols("x v")
    closure = ODESystem(_decay_factory(2.0), 1, name="closure")
    for system, what in ((closure, r"rhs \(_decay_factory.<locals>.rhs of module test_systems\)"),
                         (kernels.symbolic_system([x, v], [v, -x], t=None), r"rhs \(rhs of module kernels\.symbolic")):
        with pytest.raises(pickle.PicklingError, match=rf"ODESystem '\w+' does not pickle: its {what}.*send what "
                           r"builds it") as info:
            pickle.dumps(system)
        assert isinstance(info.value, ConfigurationError)
    again = pickle.loads(cloudpickle.dumps(closure))
    y = kernels.solve_ivp(again, (0.0, 1.0), [1.0], method="rk4", dt=0.05, precision=np.float64, progress=False).y
    np.testing.assert_allclose(y[0, -1, 0], np.exp(-2.0), rtol=1e-5)


# -- param_names: a DataFrame's columns read by name (kernels/named_params.py) -----------------------------------
def _three_params(t, y, p, dydt):
    dydt[0] = -p[0] * y[0] + p[1] - p[2]


@pytest.mark.parametrize("names, message", [
    (("ka", "cl"), r"^param_names: 2 names for n_params = 3; give one name for each of the 3 parameters, in the "
                   r"order the rhs reads p\[0\], p\[1\], \.\.\.$"),
    (("ka", "cl", "ka"), r"^param_names has 'ka' more than once: give each of the 3 parameters its own name"),
    (("ka", "", 3), r"^param_names must be non-empty strings \(a DataFrame's column labels\); got '' at position 1, "
                    r"3 at position 2: give each parameter a name"),
    ("ka, cl, v", r"^param_names must be a list or tuple of 3 strings, .*; got 'ka, cl, v': pass one name per "
                  r"parameter \(param_names=\('ka', 'cl', 'v'\), not one string\)$"),
    ({"ka", "cl", "v"}, r"got \{.*\}: pass one name per parameter, as a list: a set has no order$"),
    (3, r"^param_names must be a list or tuple of 3 strings"),
])
def test_param_names_that_cannot_name_the_parameters_are_refused(names, message):
    """Names that could not tell a DataFrame's columns apart, or say nothing of the rhs's order, are refused at
    construction, not ignored at the solve."""
    with pytest.raises(ConfigurationError, match=message):
        ODESystem(_three_params, 1, 3, param_names=names, check=False)


def test_param_names_without_n_params_are_told_to_give_it():
    """n_params defaults to 0 (it is not counted from the names, as it is not from default_params)."""
    with pytest.raises(ConfigurationError, match=r"^param_names: 3 names for n_params = 0 \(its default\): pass "
                                                 r"n_params=3 with them if the rhs reads 3 parameters"):
        ODESystem(_three_params, 1, param_names=["ka", "cl", "v"], check=False)
    assert ODESystem(_decay, 1, param_names=(), check=False).param_names == ()


def test_param_names_are_kept_as_plain_strings_and_need_not_be_identifiers():
    """A NONMEM table's labels such as "CL/F" are names too; a NumPy array of them is a sequence of names."""
    system = ODESystem(_three_params, 1, 3, param_names=np.array(["KA", "CL/F", "V (L)"]))
    assert system.param_names == ("KA", "CL/F", "V (L)") and all(type(n) is str for n in system.param_names)
    assert ODESystem(_three_params, 1, 3, check=False).param_names is None
    # the names change no compiled code: the same solve gives the same numbers with or without them
    plain = ODESystem(_three_params, 1, 3, check=False)
    runs = [kernels.solve_ivp(s, (0.0, 1.0), [1.0], [0.5, 0.2, 0.1], method="rk4", dt=0.1, precision=np.float64,
                              progress=False).y for s in (system, plain)]
    np.testing.assert_array_equal(*runs)
