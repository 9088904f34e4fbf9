"""Bad method choices: the method, its controller and dt, its solver options and its plan, each refused or warned
about with the method or the option to use.

The other arguments' checks are in ``test_validation.py``.
"""

import warnings

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError, ODESystem, PlanMismatchError

from kernel_helpers import LORENZ, call


@pytest.mark.parametrize("method, family_of_suggestions", [("rk4", "erk"), ("euler", "erk"),
                                                          ("gauss4", None), ("backward_euler", None)])
def test_an_adaptive_controller_on_a_fixed_step_method_suggests_methods_of_the_same_kind(
        method, family_of_suggestions):
    """An explicit method is pointed to adaptive explicit ones, an implicit one (a stiff problem) to implicit."""
    with pytest.raises(ConfigurationError) as info:
        kernels.Integrator(kernels.van_der_pol(), method, controller="pi")
    message = str(info.value)
    suggested = message[message.rindex("(") + 1:message.rindex(")")].split(", ")
    assert "controller='fixed' with dt" in message and len(suggested) >= 3
    for name in suggested:
        assert kernels.METHODS[name].adaptive
        assert (kernels.METHODS[name].family == "erk") == (family_of_suggestions == "erk")


def test_a_fixed_step_method_without_dt_says_that_tolerances_do_not_choose_its_steps():
    with pytest.raises(ConfigurationError) as info:
        kernels.solve_ivp(kernels.van_der_pol(), (0.0, 1.0), [2.0, 0.0], method="gauss4", rtol=1e-6)
    message = str(info.value)
    assert "dt is required" in message and "'gauss4' has no error estimate" in message and "radau" in message
    with pytest.raises(ConfigurationError) as info:  # an adaptive method run fixed: only dt is missing
        kernels.solve_ivp(kernels.van_der_pol(), (0.0, 1.0), [2.0, 0.0], method="radau", controller="fixed")
    assert "has no error estimate" not in str(info.value)


def test_a_fixed_step_method_without_dt_gives_only_the_error():
    """method='euler' without dt also warned 'rtol and atol have no effect: ... fixed steps of dt=None'."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ConfigurationError, match="dt is required for fixed-step integration"):
            call(method="euler", rtol=1e-8, atol=1e-8)


def test_fixed_steps_refuse_step_bounds():
    with pytest.raises(ConfigurationError, match="dt_min and dt_max bound the steps of an adaptive controller"):
        kernels.solve_ivp(LORENZ, (0.0, 0.1), [1.0, 1.0, 1.0], method="rk4", dt=0.01, dt_max=0.001)


def test_fixed_steps_past_max_steps_say_how_many_to_allow():
    """rk4 at dt 1e-6 over a span of 1 ended in MAX_STEPS with no word of why (a user's trial)."""
    result = call(method="rk4", dt=1e-3, t_span=(0.0, 1.0), max_steps=50, progress=False)
    assert result.status[0] == kernels.MAX_STEPS
    assert result.message(0).endswith("This dt needs 1000 fixed steps to reach the end, more than max_steps = 50: "
                                      "raise max_steps to at least 1000, or take a larger dt.")


def test_dt_given_to_a_defaulted_adaptive_controller_warns_that_it_is_only_the_first_step():
    """A tableau developer's bs3 took 75 steps at dt 0.1, 0.05 and 0.025 with no word: with controller= left out
    an embedded pair runs adaptive, and dt is only its first step.  The Integrator asks
    ``warn_first_step_only`` once a solve."""
    from kernels.controllers import ControllerSettings
    from kernels.integrator_checks import warn_first_step_only

    with pytest.warns(kernels.UnusedOptionWarning) as record:
        warn_first_step_only(kernels.METHODS["bs3"], ControllerSettings("pi"), named=False, dt=np.float64(0.05))
    assert len(record) == 1
    assert str(record[0].message) == (
        "dt=0.05 is only the first step of this run: method 'bs3' has an error estimate, so with controller= left "
        "out its steps are adaptive (controller='pi', chosen by rtol and atol). For fixed steps of dt pass "
        "controller='fixed'; to keep dt as the first step, name the controller (controller='pi') and this warning "
        "goes; or drop dt to let the controller choose the first step")


@pytest.mark.parametrize("controller, named, dt", [
    ("pi", True, 0.05),      # an adaptive controller named: dt is meant as the first step
    ("i", True, 0.05),
    ("fixed", True, 0.05),   # fixed steps of dt
    ("fixed", False, 0.05),  # a method without an estimate defaults to fixed (rk4)
    ("pi", False, None),     # no dt: the controller chooses the first step
    ("pi", False, -0.1),     # refused by the solve's dt check, which says what to pass: no warning before it
    ("pi", False, b"1"),
    ("pi", False, float("nan")),
])
def test_dt_as_a_first_step_does_not_warn_where_the_run_is_what_was_asked(controller, named, dt):
    from kernels.controllers import ControllerSettings
    from kernels.integrator_checks import warn_first_step_only

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_first_step_only(kernels.METHODS["tsit5"], ControllerSettings(controller), named=named, dt=dt)


def test_a_solve_warns_once_that_dt_is_only_the_first_step_of_a_defaulted_adaptive_run():
    """The trial's solve_ivp(..., method=bs3, dt=dt) ran adaptive at every dt with no word; now once a call, and
    never where the controller was named or the method has no estimate (rk4 runs fixed steps of dt)."""
    with pytest.warns(kernels.UnusedOptionWarning, match=r"^dt=0.01 is only the first step") as record:
        call(method="bs3", dt=0.01, precision=np.float64)
    assert sum(issubclass(w.category, kernels.UnusedOptionWarning) for w in record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.UnusedOptionWarning)
        for changes in (dict(method="bs3", controller="pi"), dict(method="bs3", controller="fixed"),
                        dict(method="rk4"), dict(method="Bs3", controller="PI")):
            call(dt=0.01, precision=np.float64, **changes)
        call(method="bs3", precision=np.float64)


@pytest.mark.parametrize("name, words", [
    ("RK45", "'dopri5' (the same Dormand-Prince 5(4) pair) or 'tsit5'"),
    ("RK23", "'bs3' (the same Bogacki-Shampine 3(2) pair)"),
    ("BDF", "for a stiff problem 'rodas5p' or 'radau'"),
    ("LSODA", "'rodas5p' or 'radau' for a stiff problem"),
])
def test_scipy_method_names_get_the_method_to_use(name, words):
    """RK45, RK23, BDF and LSODA got only the list of names (DOP853 and Radau are names here)."""
    with pytest.raises(ConfigurationError) as info:
        kernels.Integrator(LORENZ, name)
    assert f"method {name!r} is SciPy's; here use {words}" in str(info.value)
    assert kernels.Integrator(LORENZ, "DOP853").method.name == "dop853"
    assert kernels.Integrator(LORENZ, "Radau").method.name == "radau"


def test_a_close_method_name_is_suggested():
    with pytest.raises(ConfigurationError, match=r"got 'rodas5' \(did you mean 'rodas5p'\?\)"):
        kernels.Integrator(LORENZ, "rodas5")


def test_the_adaptive_explicit_methods_suggested_are_those_of_methods():
    """The list was written out by hand: a new adaptive tableau would not have appeared in the messages."""
    from kernels.integrator_checks import adaptive_alike

    expected = [name for name, m in kernels.METHODS.items() if m.family == "erk" and m.adaptive]
    assert adaptive_alike(kernels.METHODS["rk4"]).split(", ") == expected
    assert {"tsit5", "dopri5", "dop853", "vern7", "vern9", "bs3", "heun"} <= set(expected)


def test_atol_zero_on_a_component_starting_at_zero_is_refused_for_implicit_methods():
    with pytest.raises(ConfigurationError, match=r"atol is 0 for y\[:, 1\], which starts at 0: an implicit method"):
        kernels.solve_ivp(kernels.robertson(), (0.0, 1.0), [1.0, 0.0, 0.0], method="radau", rtol=1e-6, atol=0.0,
                          precision=np.float64)


def test_a_rosenbrock_method_takes_atol_zero_on_a_component_that_starts_at_zero():
    """The refusal (Newton's scale is 0 there) is for DIRK and FIRK steps; a Rosenbrock step has no Newton."""
    system = ODESystem(_feeding, 2, name="feeding")
    res = kernels.solve_ivp(system, (0.0, 1.0), [1.0, 0.0], method="rodas5p", rtol=1e-6, atol=[1e-8, 0.0],
                            precision=np.float64, progress=False)
    assert res.success
    np.testing.assert_allclose(res.y[0, -1], [np.exp(-1.0), np.exp(-1.0) - np.exp(-2.0)], rtol=1e-5)
    with pytest.raises(ConfigurationError, match=r"atol is 0 for y\[:, 1\], which starts at 0: an implicit method"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0, 0.0], method="radau", rtol=1e-6, atol=[1e-8, 0.0],
                          precision=np.float64, progress=False)


def _feeding(t, y, p, dydt):
    dydt[0] = -y[0]
    dydt[1] = y[0] - 2.0 * y[1]


def test_solver_given_to_an_explicit_method_warns():
    """solve_ivp(..., method="tsit5", solver="gmres") ignored solver= without a word."""
    import warnings

    system = kernels.ODESystem(_decay_for_solver, 1, name="decay_solver")
    with pytest.warns(kernels.UnusedOptionWarning, match=r"solver='gmres' has no effect on this run: method 'tsit5' "
                                                         r"is explicit, and solver= sets the Newton and linear solvers "
                                                         r"of implicit methods only \(rodas5p, radau, kvaerno5"):
        kernels.solve_ivp(system, (0.0, 0.1), [1.0], method="tsit5", solver="gmres", progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.UnusedOptionWarning)
        kernels.solve_ivp(system, (0.0, 0.1), [1.0], method="tsit5", progress=False)
        kernels.solve_ivp(system, (0.0, 0.1), [1.0], method="rodas5p", solver="gmres", precision=np.float64,
                          progress=False)


def _decay_for_solver(t, y, p, dydt):
    dydt[0] = -y[0]


@pytest.mark.parametrize("method, options, words", [
    ("kvaerno5", dict(coupled="full"), r"solver option coupled='full' has no effect with method 'kvaerno5' "
                                       r"\(coupled: it sets how a fully implicit method \(radau, gauss4\)"),
    ("rodas4", dict(newton_iterations=3, kappa=0.5), r"solver options newton_iterations=3, kappa=0.5 have no effect "
                                                     r"with method 'rodas4' \(newton_iterations: a Rosenbrock method "
                                                     r"has no Newton iteration"),
    ("rodas4", dict(linear="lu", restart=4, krylov_tolerance=1e-8),
     r"krylov_tolerance=1e-08, restart=4 have no effect.*the linear solver is 'lu'"),
    ("sdirk4", dict(linear="bicgstab", restart=4), r"restart=4 has no effect.*GMRES's Krylov vectors per cycle, and "
                                                   r"the linear solver is 'bicgstab'"),
    ("kvaerno5", dict(reuse_factor=False), r"reuse_factor=False has no effect with method 'kvaerno5' \(reuse_factor: "
                                           r"it keeps a fully implicit method's"),
])
def test_solver_options_the_method_does_not_use_warn(method, options, words):
    """kvaerno5 with coupled='full', rodas4 with Newton's or the Krylov solvers' options were accepted without a
    word, while solver= on an explicit method warned."""
    with pytest.warns(kernels.UnusedOptionWarning, match=words):
        kernels.Integrator(LORENZ, method, solver=kernels.SolverOptions(**options))


def test_solver_options_the_method_uses_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.UnusedOptionWarning)
        kernels.Integrator(LORENZ, "radau", solver=kernels.SolverOptions(coupled="full", kappa=0.1))
        kernels.Integrator(LORENZ, "kvaerno5", solver=dict(linear="gmres", restart=4, krylov_tolerance=1e-6,
                                                            newton_iterations=5, preconditioned=True))
        kernels.Integrator(LORENZ, "rodas4", solver=dict(linear="bicgstab", krylov_tolerance=1e-6))


def test_plan_for_another_problem():
    other = kernels.plan_for(LORENZ, method="bs3", precision=np.float64, block_size=32, plan="greedy")
    with pytest.raises(PlanMismatchError, match="plan does not match"):
        call(method="tsit5", precision=np.float64, plan=other)
    with pytest.raises(PlanMismatchError, match="plan does not match"):
        call(method="bs3", precision=np.float32, plan=other)
    with pytest.raises(PlanMismatchError, match="plan does not match"):
        call(method="bs3", precision=np.float64, plan=other, block_size=64)
    vdp = kernels.van_der_pol()
    with pytest.raises(PlanMismatchError, match="plan does not match"):
        kernels.solve_ivp(vdp, (0.0, 0.1), [2.0, 0.0], method="bs3", precision=np.float64, plan=other)


def test_plan_of_same_shape_is_accepted():
    """Tsit5 and Dopri5 have the same buffers, so one plan serves both."""
    plan = kernels.plan_for(LORENZ, method="dopri5", precision=np.float64, block_size=32, plan="greedy")
    result = call(method="tsit5", precision=np.float64, plan=plan)
    assert result.plan is plan and result.success


def test_shared_over_budget():
    big = kernels.oscillator_chain(64)
    with pytest.raises(ConfigurationError, match="plan='shared': the buffers do not fit"):
        kernels.solve_ivp(big, (0.0, 0.1), np.zeros(128), plan="shared", block_size=1024,
                          precision=np.float64)


def test_plan_names_are_case_insensitive_as_method_names():
    """plan='Auto' was refused although method names are case-insensitive."""
    result = call(plan="Auto", method="RK4", dt=0.05, precision=np.float64)
    assert result.success and result.plan.provenance.planner == "cpsat"
    assert kernels.plan_for(LORENZ, "rk4", precision=np.float64, plan="LOCAL").shared_elements == 0
