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
