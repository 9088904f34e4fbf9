"""What a DifferentialEquations.jl or diffrax user's method name is here (kernels/diffeq_names.py): the same method,
or the closest, said to be the closest; never an alias."""

import re

import pytest

import kernels
from kernels.diffeq_names import DIFFRAX_METHODS, DIFFRAX_SDE, diffeq_method
from kernels.methods import METHODS

# every solver diffrax exports (diffrax/_solver/__init__.py) that is not a name here
DIFFRAX_SOLVERS = ("Bosh3", "Dopri5", "Dopri8", "Euler", "EulerHeun", "Heun", "ImplicitEuler", "KenCarp3", "KenCarp4",
                   "KenCarp5", "Kvaerno3", "Kvaerno4", "Kvaerno5", "LeapfrogMidpoint", "Midpoint", "ItoMilstein",
                   "StratonovichMilstein", "Ralston", "ReversibleHeun", "SEA", "SemiImplicitEuler", "ShARK",
                   "GeneralShARK", "Sil3", "SlowRK", "SPaRK", "SRA1", "Tsit5")


@pytest.mark.parametrize("name, said", [
    ("Dopri8", r"^method 'Dopri8' is diffrax's, and there is no such method here: the closest is 'dop853'"),
    ("Midpoint", r"^method 'Midpoint' is diffrax's, .*the closest is 'heun', explicit, of order 2"),
    ("Ralston", r"^method 'Ralston' is diffrax's, .*the closest is 'heun'"),
    ("Bosh3", r"^method 'Bosh3' is diffrax's name of the method called 'bs3' here: pass method='bs3'"),
    ("ImplicitEuler", r"^method 'ImplicitEuler' is DifferentialEquations.jl's and diffrax's name of the method called "
                      r"'backward_euler' here"),
    ("KenCarp4", r"^method 'KenCarp4' is DifferentialEquations.jl's and diffrax's, .*the closest is 'kvaerno5'"),
    ("Kvaerno4", r"the closest is 'sdirk4'.*or 'kvaerno5'"),
    ("Sil3", r"the closest is 'kvaerno3'.*no IMEX splitting"),
    ("SemiImplicitEuler", r"the closest is 'gauss4'.*symplectic"),
    ("ItoMilstein", r"^method 'ItoMilstein' is diffrax's solver of SDEs, and there are no stochastic terms here"),
    ("Rosenbrock23", r"^method 'Rosenbrock23' is DifferentialEquations.jl's, and"),  # not diffrax's
])
def test_a_diffrax_method_name_is_told_the_same_or_closest_method_here(name, said):
    """method="Dopri8" was told "did you mean 'dopri5'?", a method of order 5, and "Midpoint" and "Ralston" got no
    hint (a diffrax user's trial)."""
    with pytest.raises(kernels.ConfigurationError, match=said):
        kernels.Integrator(kernels.lorenz(), name)


@pytest.mark.parametrize("name", DIFFRAX_SOLVERS)
def test_every_diffrax_solver_is_a_method_here_or_has_a_hint_naming_methods_that_exist(name):
    key = name.lower()
    if key in METHODS:
        return
    hint = diffeq_method(name, METHODS)
    assert hint is not None, name
    quoted = re.findall(r"'(\w+)'", hint)  # the name given, then the method to take
    assert quoted[0] == name and quoted[1] in METHODS, hint


def test_the_tables_name_no_method_of_this_library():
    """A name here is never a key of the tables (it would be refused with a hint instead of running)."""
    assert not set(DIFFRAX_METHODS) & set(METHODS) and not set(DIFFRAX_SDE) & set(METHODS)


# torchdiffeq's method strings (torchdiffeq/_impl/odeint.py, SOLVERS)
TORCHDIFFEQ_SOLVERS = ("dopri8", "dopri5", "bosh3", "fehlberg2", "adaptive_heun", "euler", "midpoint", "heun2", "heun3",
                       "rk4", "explicit_adams", "implicit_adams", "fixed_adams", "scipy_solver")


@pytest.mark.parametrize("name, said", [
    ("adaptive_heun", r"^method 'adaptive_heun' is torchdiffeq's name of the method called 'heun' here: pass "
                      r"method='heun'\. The methods are"),
    ("heun2", r"^method 'heun2' is torchdiffeq's name of the method called 'heun' here: pass method='heun', with "
              r"controller='fixed' and dt= for fixed steps \(torchdiffeq's options=dict\(step_size=\.\.\.\)\)"),
    ("bosh3", r"^method 'bosh3' is torchdiffeq's name of the method called 'bs3' here: pass method='bs3'"),
    ("dopri8", r"^method 'dopri8' is torchdiffeq's, and there is no such method here: the closest is 'dop853'"),
    ("midpoint", r"^method 'midpoint' is torchdiffeq's, .*the closest is 'heun'"),
    ("fehlberg2", r"^method 'fehlberg2' is torchdiffeq's, .*the closest is 'heun', explicit of order 2 with an "
                  r"embedded order-1 estimate"),
    ("heun3", r"^method 'heun3' is torchdiffeq's, .*the closest is 'bs3', explicit of order 3"),
    ("explicit_adams", r"^method 'explicit_adams' is torchdiffeq's, .*the closest is 'tsit5' \(adaptive steps\) or "
                       r"'rk4' with controller='fixed'.*: multistep methods \(Adams\) are not offered here"),
    ("implicit_adams", r"^method 'implicit_adams' is torchdiffeq's, .*the closest is 'tsit5' for a non-stiff problem"
                       r".*'rodas5p' or 'kvaerno5' for a stiff one: multistep methods \(Adams\) are not offered here"),
    ("fixed_adams", r"^method 'fixed_adams' is torchdiffeq's, .*multistep methods \(Adams\) are not offered here"),
    ("scipy_solver", r"^method 'scipy_solver' is torchdiffeq's, .*matches the SciPy solver it wraps.*'dopri5' or "
                     r"'tsit5' for 'RK45'"),
])
def test_a_torchdiffeq_method_name_is_told_the_same_or_closest_method_here(name, said):
    """torchdiffeq's adaptive_heun, implicit_adams, fehlberg2 ... were told only the list of methods, where diffrax's
    and SciPy's names get what to pass (a torch user's trial)."""
    with pytest.raises(kernels.ConfigurationError, match=said):
        kernels.solve_ivp(kernels.lorenz(), (0.0, 1.0), [1.0, 1.0, 1.0], method=name, progress=False)


@pytest.mark.parametrize("name", TORCHDIFFEQ_SOLVERS)
def test_every_torchdiffeq_method_is_a_method_here_or_has_a_hint_naming_methods_that_exist(name):
    if name in METHODS:
        return
    hint = diffeq_method(name, METHODS)
    assert hint is not None and "torchdiffeq's" in hint and "diffrax's" not in hint, hint
    quoted = re.findall(r"'(\w+)'", hint)
    assert quoted[0] == name and quoted[1] in METHODS, hint


def test_a_name_of_diffrax_and_torchdiffeq_is_said_to_be_the_one_whose_spelling_it_has():
    """Bosh3, Dopri8 and Midpoint are diffrax's classes, bosh3, dopri8 and midpoint torchdiffeq's strings."""
    for diffrax, torch in (("Bosh3", "bosh3"), ("Dopri8", "dopri8"), ("Midpoint", "midpoint")):
        assert re.match(rf"method '{diffrax}' is diffrax's[ ,]", diffeq_method(diffrax, METHODS))
        assert re.match(rf"method '{torch}' is torchdiffeq's[ ,]", diffeq_method(torch, METHODS))


def test_the_torchdiffeq_tables_name_no_method_of_this_library():
    from kernels.diffeq_names import TORCHDIFFEQ_METHODS

    assert not set(TORCHDIFFEQ_METHODS) & set(METHODS)


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


DECAY = kernels.ODESystem(_decay, 1, 1, name="decay")


@pytest.mark.parametrize("given, said", [
    (dict(t0=0.0, t1=10.0), r"^unexpected keyword arguments t0=0\.0 and t1=10\.0 \(diffrax's\): the span here is one "
                            r"argument, t_span=\(t0, t1\): pass t_span=\(0\.0, 10\.0\)$"),
    (dict(t1=10.0), r"^unexpected keyword argument t1=10\.0 \(diffrax's\): .*pass t_span=\(t0, 10\.0\) with t0 the "
                    r"start$"),
    (dict(t0=0.0), r"^unexpected keyword argument t0=0\.0 \(diffrax's\): .*pass t_span=\(0\.0, t1\) with t1 the end$"),
])
def test_diffrax_t0_and_t1_are_told_to_be_t_span(given, said):
    """diffeqsolve(terms, solver, t0, t1, dt0, y0): solve_ivp(system, t0=0.0, t1=10.0, y0=..., params=...) raised
    Python's "solve_ivp() missing 1 required positional argument: 't_span'" (a diffrax user's trial)."""
    with pytest.raises(kernels.ConfigurationError, match=said):
        kernels.solve_ivp(DECAY, y0=[1.0], params=[1.0], progress=False, **given)
    with pytest.raises(kernels.ConfigurationError, match=said):
        kernels.Integrator(DECAY).solve(y0=[1.0], params=[1.0], progress=False, **given)


@pytest.mark.parametrize("span", ["positional", "keyword"])
def test_diffrax_t0_beside_a_t_span_is_told_the_span_is_given(span):
    spanned = dict(t_span=(0.0, 10.0)) if span == "keyword" else {}
    args = (DECAY,) if spanned else (DECAY, (0.0, 10.0))
    with pytest.raises(kernels.ConfigurationError, match=r"^unexpected keyword argument t1=5\.0 \(diffrax's\): the "
                                                         r"span here is one argument, t_span=\(t0, t1\), given as "
                                                         r"\(0\.0, 10\.0\) too: drop t1=, and put the span you mean"):
        kernels.solve_ivp(*args, y0=[1.0], params=[1.0], t1=5.0, progress=False, **spanned)


@pytest.mark.parametrize("given, name, use", [
    (dict(tspan=(0.0, 1.0), y0=[1.0], params=[1.0]), "tspan", "t_span"),
    (dict(t_span=(0.0, 1.0), u0=[1.0], params=[1.0]), "u0", "y0"),
    (dict(t_span=(0.0, 1.0), y0=[1.0], p=[1.0]), "p", "params"),
])
def test_julias_argument_names_are_told_this_librarys(given, name, use):
    """A DiffEqGPU.jl user's trial: ODEProblem(f, u0, tspan, p) ported as solve_ivp(system, tspan=..., u0=...)
    raised Python's "missing 1 required positional argument: 't_span'" (or 'y0'), and p= drew the list of every
    argument."""
    said = rf"^unexpected keyword argument '{name}' \(DifferentialEquations.jl's ODEProblem\(f, u0, tspan, p\)\): use " \
           rf"{use}=$"
    with pytest.raises(kernels.ConfigurationError, match=said):
        kernels.solve_ivp(DECAY, progress=False, **given)
    with pytest.raises(kernels.ConfigurationError, match=said):
        kernels.Integrator(DECAY).solve(progress=False, **given)


def test_save_start_and_julias_result_names_point_to_this_librarys():
    """The same trial: save_start=True drew "did you mean 'save_trajectory'?", which saves something else, and sol.u,
    sol.retcode and sol.destats drew a bare AttributeError."""
    with pytest.raises(kernels.ConfigurationError, match=r"'save_start' \(DifferentialEquations.jl's\): .*put "
                                                         r"t_span\[0\] in t_eval"):
        kernels.solve_ivp(DECAY, (0.0, 1.0), [1.0], [1.0], save_start=True, progress=False)
    result = kernels.solve_ivp(DECAY, (0.0, 1.0), [1.0], [1.0], progress=False)
    for name, use in (("u", "use y, shape"), ("retcode", "use status"), ("destats", "use n_steps")):
        with pytest.raises(AttributeError, match=rf"^IVPResult has no '{name}' \(DifferentialEquations.jl's name\): "
                                                 rf"{use}"):
            getattr(result, name)
