"""The method registry agrees with the step families that exist."""

import dataclasses
import math
import types
from fractions import Fraction

import numpy as np
import pytest

import kernels
from kernels import METHODS, batch, methods, planning, steps
from kernels.integrator_checks import adaptive_alike, fixed_step_remedy
from kernels.loop_hooks import rhs_per_step
from kernels.register_cap import CAP, register_cap
from kernels.tableaus import TABLEAUS, ButcherTableau

# SSPRK3 (Shu and Osher), exact: a tableau of one's own that no family's tuple holds
SSPRK3 = ButcherTableau(name="ssprk3", a=((), (Fraction(1),), (Fraction(1, 4), Fraction(1, 4))),
                        b=(Fraction(1, 6), Fraction(1, 6), Fraction(2, 3)), c=(0, 1, Fraction(1, 2)), order=3)


def test_built_families_are_the_step_families():
    assert methods.BUILT_FAMILIES == frozenset(steps.FAMILIES)


def test_every_method_has_a_built_family():
    assert {m.family for m in METHODS.values()} <= set(steps.FAMILIES)


@pytest.mark.parametrize("given, route", [
    (TABLEAUS["rk4"], r"kernels.Method\('rk4', 'erk', tableau\)"),
    (METHODS["rodas4"].tableau, r"kernels.Method\('rodas4', 'rosenbrock', tableau\)"),
    (TABLEAUS["rk4"].to_json(), r"kernels.Method\(name, family, tableau\), family 'erk' for an explicit "
                                r"ButcherTableau.*ButcherTableau.from_json\(d\)"),
    (4, r"kernels.Method\(name, family, tableau\)"),
])
def test_a_tableau_or_its_json_as_the_method_is_told_of_kernels_method_first(given, route):
    # a tableau's JSON (a dict) fell on "unhashable type: 'dict'", then was told only of the tuples in
    # kernels/tableaus, though kernels.Method(name, family, tableau) runs it (an integrator developer's trial)
    with pytest.raises(kernels.ConfigurationError, match=r"^method must be a method's name, one of \['euler'.*"
                                                         r"a tableau of your own runs as " + route + r".*; to ship "
                                                         r"it under its name, join its family's tuple in "
                                                         r"kernels/tableaus"):
        kernels.Integrator(kernels.lorenz(), given)


def test_the_method_the_message_names_runs_a_tableau_of_ones_own():
    """``kernels.Method(name, family, tableau)``, the route the message above gives first, solves as a method."""
    def decay(t, y, p, dydt):
        dydt[0] = -y[0]

    system = kernels.ODESystem(decay, n_states=1, name="decay")
    result = kernels.solve_ivp(system, (0.0, 1.0), [1.0], method=kernels.Method("ssprk3", "erk", SSPRK3), dt=0.05,
                               precision=np.float64, progress=False)
    assert result.success and abs(result.y[0, -1, 0] - math.exp(-1.0)) < 1e-5


@pytest.mark.parametrize("args, said", [
    (("ssprk3", "rk", SSPRK3), r"^kernels.Method family must be one of \['dirk', 'erk', 'firk', 'rosenbrock'\] "
                               r"\('erk' for an explicit ButcherTableau.*got 'rk': this tableau takes 'erk'$"),
    (("ssprk3", None, SSPRK3), r"family must be one of .*got None: this tableau takes 'erk'$"),
    (("  ", "erk", SSPRK3), r"^kernels.Method name must be a non-empty string .*got '  ': pass 'ssprk3'$"),
    (("rodas4", "dirk", METHODS["rodas4"].tableau), r"^kernels.Method family 'dirk' runs a ButcherTableau; got the "
                                                    r"RosenbrockTableau 'rodas4': pass family 'rosenbrock'$"),
    (("ssprk3", "erk", SSPRK3.to_json()), r"^kernels.Method tableau must be a ButcherTableau or a RosenbrockTableau "
                                          r".*ButcherTableau.from_json\(d\)\); got dict \{'name'"),
])
def test_a_method_of_ones_own_is_checked_when_made(args, said):
    """``Method("ssprk3", "rk", tableau)`` fell on a bare KeyError: 'rk' at planning (an integrator developer's
    trial); each argument is checked when the Method is made, by the rules the tableaus and families follow."""
    with pytest.raises(kernels.ConfigurationError, match=said):
        kernels.Method(*args)


def test_explicit_is_what_the_family_name_said_for_every_method():
    """``Method.explicit`` (read from the family's settings class) agrees with the test it replaces."""
    assert {name: m.explicit for name, m in METHODS.items()} == {
        name: m.family == "erk" for name, m in METHODS.items()}
    assert steps.ERKStepSettings.explicit is True
    assert [family for family in steps.FAMILIES if steps.explicit_family(family)] == ["erk"]


@pytest.fixture
def lserk(monkeypatch):
    """A second explicit family, registered as an integrator developer's trial did: ERKStepSettings subclassed
    under another component name, beside erk in ``kernels.steps.FAMILIES`` and ``methods.BUILT_FAMILIES``.  The
    registries are immutable, so for this test the modules that read them see extended copies."""

    @dataclasses.dataclass(frozen=True)
    class LSERKStepSettings(steps.ERKStepSettings):
        component = "lserk"

    families = types.MappingProxyType({**steps.FAMILIES, "lserk": (LSERKStepSettings, steps.build_erk_step)})
    for module in (steps, planning, batch):
        monkeypatch.setattr(module, "FAMILIES", families)
    monkeypatch.setattr(methods, "BUILT_FAMILIES", methods.BUILT_FAMILIES | {"lserk"})
    return kernels.Method("ssprk3", "lserk", SSPRK3)


def test_a_new_explicit_family_keeps_the_fixed_step_stability_warning(lserk):
    """The trial's family lost the StabilityWarning (the run ended at -1.9e81 with success and no word): the check
    tested ``family == "erk"``; it reads ``Method.explicit`` now."""
    def stiff(t, y, p, dydt):
        dydt[0] = -1000.0 * (y[0] - math.cos(t)) - math.sin(t)

    system = kernels.ODESystem(stiff, n_states=1, name="stiff1")
    with pytest.warns(kernels.StabilityWarning, match="beyond ssprk3's stable step"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], method=lserk, dt=0.05, controller="fixed",
                          precision=np.float64, progress=False)


def test_a_new_explicit_family_gets_the_other_checks_of_explicit_methods(lserk):
    assert lserk.explicit
    with pytest.warns(kernels.UnusedOptionWarning, match="method 'ssprk3' is explicit"):
        kernels.Integrator(kernels.lorenz(), lserk, controller="fixed", solver="gmres")
    assert fixed_step_remedy(lserk, adaptive=False) is None  # an implicit method's advice
    assert adaptive_alike(lserk) == adaptive_alike(METHODS["rk4"])  # explicit methods, not rodas5p and radau
    assert register_cap("auto", "lserk", 128, False) == CAP  # the explicit steps' cap
    assert planning.memory_hint("lserk", "lu") is None  # no n-by-n matrix to blame


def test_a_built_step_may_give_its_right_hand_sides_per_step():
    """``loop_hooks.rhs_per_step`` read ``BuiltStep.rhs_per_step``, a field BuiltStep did not have (host item 12
    of the step contract): a family that counts neither with take_work nor from an explicit tableau gives it."""
    built = steps.BuiltStep(None, None, (), 1, rhs_per_step=5)
    assert rhs_per_step(types.SimpleNamespace(), built) == 5
    assert rhs_per_step(types.SimpleNamespace(), steps.BuiltStep(None, None, (), 1)) is None


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


def test_a_method_of_ones_own_may_be_named_in_any_case():
    """A Method is passed as itself, never looked up by name: "Tsit5_Custom" ran before the Method check and was
    refused by the tableaus' lower-case rule (a regression hunt)."""
    method = kernels.Method("Tsit5_Custom", "erk", METHODS["tsit5"].tableau)
    res = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.01), [1.0, 1.0, 1.0], method=method, precision=np.float64)
    assert res.success and res.method == "Tsit5_Custom"


# A user's own tableaus of each shape (the trial's): Heun's explicit one, and a valid diagonally implicit one whose
# diagonal entries differ (a DIRK, but not singly diagonal: no built family runs it)
HEUN = ButcherTableau(name="my_heun", a=((), (1.0,)), b=(0.5, 0.5), c=(0.0, 1.0), order=2)
UNEQUAL_DIRK = ButcherTableau(name="my_dirk", a=((0.5, 0.0), (0.25, 0.25)), b=(0.5, 0.5), c=(0.5, 0.5), order=2)


@pytest.mark.parametrize("tableau, family, said", [
    (HEUN, "dirk", r"^kernels.Method family 'dirk' runs singly diagonally implicit ButcherTableaus \(a lower "
                   r"triangular with one common nonzero diagonal.*\); the tableau 'my_heun' is explicit \(a strictly "
                   r"lower triangular\): pass family 'erk'$"),
    (HEUN, "firk", r"^kernels.Method family 'firk' runs fully implicit ButcherTableaus .*is explicit .*pass family "
                   r"'erk'$"),
    (HEUN, "rosenbrock", r"^kernels.Method family 'rosenbrock' runs RosenbrockTableaus; the tableau 'my_heun' is "
                         r"explicit .*: pass family 'erk'$"),
    (METHODS["sdirk4"].tableau, "erk", r"^kernels.Method family 'erk' runs explicit ButcherTableaus .*the tableau "
                                       r"'sdirk4' is singly diagonally implicit .*: pass family 'dirk'$"),
    (METHODS["radau"].tableau, "dirk", r"the tableau 'radau' is fully implicit .*: pass family 'firk'$"),
])
def test_a_tableau_given_the_wrong_family_is_told_the_family_that_runs_it(tableau, family, said):
    """An explicit Heun tableau given 'dirk' was told at the solve to "choose a DIRK tableau of
    kernels.tableaus.DIRK", and given 'rosenbrock' was accepted when made (a tableau developer's trial): the
    family is checked against the tableau's shape when the Method is made, and the message names the one to pass."""
    with pytest.raises(kernels.ConfigurationError, match=said):
        kernels.Method(tableau.name, family, tableau)


@pytest.mark.parametrize("family", ["dirk", "firk", "erk", "rosenbrock"])
def test_a_dirk_whose_diagonal_entries_differ_is_told_no_family_runs_it(family):
    """The trial's valid DIRK with diagonal (0.5, 0.25) was refused by 'dirk' and 'firk' at the solve without a
    word that no built family runs it: the DIRK step shares one iteration matrix over its stages, and the FIRK
    step takes fully implicit tableaus only."""
    with pytest.raises(kernels.ConfigurationError,
                       match=rf"^kernels.Method family '{family}': no built family runs the tableau 'my_dirk': it is "
                             r"diagonally implicit with the diagonal \(0.5, 0.25\), not one common nonzero value; "
                             r"'dirk' runs only singly diagonal tableaus .*'firk' only fully implicit ones .*Give "
                             r"the diagonal one value \(an SDIRK\), or take a built-in DIRK method \(.*sdirk4"):
        kernels.Method("my_dirk", family, UNEQUAL_DIRK)
    with pytest.raises(kernels.ConfigurationError, match=r"got 'sdirk'; no built family runs the tableau 'my_dirk'"):
        kernels.Method("my_dirk", "sdirk", UNEQUAL_DIRK)


@pytest.mark.parametrize("a, said", [
    (((0.0, 1e-18), (1.0, 0.0)), r"is fully implicit \(entries of a above the diagonal; a\[0\]\[1\] = 1e-18 is above "
                                 r"the diagonal: write 0 there if it is rounding noise\): pass family 'firk'$"),
    (((1e-18,), (1.0, 1e-18)), r"is singly diagonally implicit \(.*; a\[0\]\[0\] = 1e-18 is on the diagonal: write 0 "
                               r"there if it is rounding noise\): pass family 'dirk'$"),
])
def test_a_family_mismatch_names_the_entry_that_makes_the_shape(a, said):
    """Heun with 1e-18 of noise above the diagonal was told it was "fully implicit ... pass family 'firk'" without
    the entry, so the user could not see it was noise (a user's trial)."""
    noisy = ButcherTableau(name="noisy_heun", a=a, b=(0.5, 0.5), c=(sum(a[0]), 1.0), order=2)
    with pytest.raises(kernels.ConfigurationError, match=said):
        kernels.Method("noisy_heun", "erk", noisy)


def test_every_tableau_is_accepted_by_its_own_family_and_refused_by_the_others():
    """The shape check agrees with the families' tuples: each built-in method's tableau is a Method of its family
    (METHODS is built so), and of no other built family."""
    for name, method in METHODS.items():
        assert kernels.Method(name, method.family, method.tableau).family == method.family
        for other in sorted(methods.BUILT_FAMILIES - {method.family}):
            with pytest.raises(kernels.ConfigurationError, match=rf"pass family '{method.family}'$"):
                kernels.Method(name, other, method.tableau)


@pytest.mark.parametrize("solver, said", [
    ("Tsit5", r"^method Tsit5\(\) is diffrax's solver object; here a method is a name: pass method='tsit5'\."),
    ("Dopri8", r"^method Dopri8\(\) is diffrax's solver object; .*the closest is 'dop853'"),
])
def test_a_diffrax_solver_object_as_the_method_is_told_the_name_to_pass(solver, said):
    """method=diffrax.Tsit5() was told to write a tableau of one's own (kernels.Method(...))."""
    stand_in = type(solver, (), {"__module__": f"diffrax._solver.{solver.lower()}"})  # diffrax is not imported
    with pytest.raises(kernels.ConfigurationError, match=said):
        kernels.Integrator(kernels.lorenz(), stand_in())
