"""The method registry agrees with the step families that exist."""

import pytest

import kernels
from kernels import METHODS, methods, steps
from kernels.tableaus import TABLEAUS


def test_built_families_are_the_step_families():
    assert methods.BUILT_FAMILIES == frozenset(steps.FAMILIES)


def test_every_method_has_a_built_family():
    assert {m.family for m in METHODS.values()} <= set(steps.FAMILIES)


@pytest.mark.parametrize("given", [TABLEAUS["rk4"], TABLEAUS["rk4"].to_json(), 4])
def test_a_tableau_or_its_json_as_the_method_is_told_where_a_new_tableau_goes(given):
    # a tableau's JSON (a dict) fell on "unhashable type: 'dict'" (an integrator developer's trial)
    with pytest.raises(kernels.ConfigurationError, match=r"^method must be a method's name, one of \['euler'.*"
                                                         r"joining its family's tuple in kernels/tableaus"):
        kernels.Integrator(kernels.lorenz(), given)


def test_scipy_solver_class_or_none_as_the_method_is_told_what_to_pass():
    # SciPy's solve_ivp takes method=RK45 (the class); here it got the advice on tableaus, and so did None
    # (a regression hunt)
    integrate = pytest.importorskip("scipy.integrate")
    with pytest.raises(kernels.ConfigurationError, match=r"^method RK45 is SciPy's solver class; here a method is a "
                                                         r"name: use 'dopri5' .* or 'tsit5'"):
        kernels.Integrator(kernels.lorenz(), integrate.RK45)
    with pytest.raises(kernels.ConfigurationError, match=r"use 'dop853'\."):
        kernels.Integrator(kernels.lorenz(), integrate.DOP853)
    with pytest.raises(kernels.ConfigurationError, match=r"got None: leave method out for the default, 'tsit5'"):
        kernels.Integrator(kernels.lorenz(), None)


@pytest.mark.parametrize("name, said", [
    ("Rosenbrock23", r"^method 'Rosenbrock23' is DifferentialEquations.jl's, and there is no such method here: the "
                     r"closest is 'ros3p'.*'rodas4' or 'rodas5p'"),
    ("GPURosenbrock23", r"^method 'GPURosenbrock23' is DiffEqGPU.jl's, .*the closest is 'ros3p'"),
    ("GPUTsit5", r"^method 'GPUTsit5' is DiffEqGPU.jl's name of the method called 'tsit5' here: pass "
                 r"method='tsit5'"),
    ("GPURodas5P", r"called 'rodas5p' here"),
    ("DP5", r"called 'dopri5' here"),
    ("KenCarp47", r"the closest is 'kvaerno5'.*or 'sdirk4'"),
    ("TRBDF2", r"the closest is 'sdirk2'"),
])
def test_a_diffeq_method_name_is_told_the_same_or_closest_method_here(name, said):
    """method="Rosenbrock23" listed the methods with no suggestion (a DiffEqGPU.jl user's trial)."""
    with pytest.raises(kernels.ConfigurationError, match=said):
        kernels.Integrator(kernels.lorenz(), name)
