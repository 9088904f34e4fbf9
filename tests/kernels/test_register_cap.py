"""The register cap a kernel is built with: the rule, the argument's checks, and that ptxas obeys it."""

import numpy as np
import pytest
from kernel_helpers import run_cases_on_cuda_target

import kernels
from kernels.errors import ConfigurationError
from kernels.register_cap import CAP, FROM_STATES, register_cap
from kernels.resources import ptxas_path


IMPLICIT, ERK = FROM_STATES["implicit"], FROM_STATES["erk"]


@pytest.mark.parametrize("method", ["sdirk4", "radau", "rodas4"])
@pytest.mark.parametrize("n", [IMPLICIT - 2, IMPLICIT, 128])
def test_auto_caps_large_implicit_steps_with_an_lu(method, n):
    integ = kernels.Integrator(kernels.brusselator(n), method, controller="fixed")
    assert integ.max_registers == (CAP if n >= IMPLICIT else None)


@pytest.mark.parametrize("method", ["rk4", "tsit5", "dop853"])
@pytest.mark.parametrize("n", [IMPLICIT, ERK - 2, ERK, 192])
def test_auto_caps_explicit_steps_from_their_own_size(method, n):
    integ = kernels.Integrator(kernels.brusselator(n), method, controller="fixed")
    assert integ.max_registers == (CAP if n >= ERK else None)


@pytest.mark.parametrize("method, solver", [("rodas4", "gmres"), ("sdirk4", "bicgstab"), ("kvaerno5", "gmres")])
def test_auto_leaves_matrix_free_newton_uncapped(method, solver):
    integ = kernels.Integrator(kernels.brusselator(192), method, controller="fixed", solver=solver)
    assert integ.max_registers is None


@pytest.mark.parametrize("choice, expected", [(None, None), (200, 200), (np.int64(64), 64), (255, 255)])
def test_a_given_cap_is_taken_as_given(choice, expected):
    integ = kernels.Integrator(kernels.brusselator(128), "rodas4", controller="fixed", max_registers=choice)
    assert integ.max_registers == expected


@pytest.mark.parametrize("bad", ["fast", 8, 256, True, 1.5])
def test_a_bad_cap_names_the_argument(bad):
    with pytest.raises(ConfigurationError, match="max_registers"):
        kernels.Integrator(kernels.robertson(), "rodas4", max_registers=bad)
    with pytest.raises(ConfigurationError, match="max_registers"):
        kernels.solve_ivp(kernels.robertson(), (0.0, 1.0), [1.0, 0.0, 0.0], method="rodas4", max_registers=bad)


@pytest.mark.parametrize("n", [64, IMPLICIT])
def test_auto_plans_predict_under_the_kernels_cap(n):
    """``plan="auto"`` predicts registers under the cap the kernel is built with: a prediction at 255
    against a kernel capped at 128 read as a contradiction, and the compiler loop fitted a register
    base of 917 from it (offline, rodas4 at 96 states)."""
    integ = kernels.Integrator(kernels.brusselator(n), "rodas4", controller="fixed")
    predicted = integ.plan("auto", block_size=128, device="h200").cost.predicted
    assert predicted.register_limit == (CAP if n >= IMPLICIT else 255)
    assert predicted.registers <= predicted.register_limit
    uncapped = kernels.plan_for(kernels.brusselator(n), "rodas4", controller="fixed", device="h200",
                                max_registers=None)
    assert uncapped.cost.predicted.register_limit == 255


def test_the_rule_is_by_family_solver_and_size():
    assert register_cap("auto", "firk", IMPLICIT, True) == CAP
    assert register_cap("auto", "erk", ERK, False) == CAP
    assert register_cap("auto", "erk", ERK - 1, False) is None
    assert register_cap("auto", "dirk", 1000, False) is None
    assert register_cap("auto", "rosenbrock", IMPLICIT - 1, True) is None


_SCRIPT = """
import json, sys
import kernels
rows = []
for cap in json.loads(sys.argv[1]):
    integ = kernels.Integrator(kernels.lorenz(), "rk4", controller="fixed", max_registers=cap)
    plan = integ.plan("local", block_size=128, device="h200")
    rows.append([cap, integ.build(plan).resources().registers_per_thread,
                 integ.build(plan, max_registers=255).resources().registers_per_thread])
print(json.dumps(rows))
"""


@pytest.mark.skipif(ptxas_path() is None, reason="needs ptxas (pip install 'bufferplan[compile]')")
def test_ptxas_builds_under_the_cap_and_255_lifts_it():
    (cap, capped, uncapped), = run_cases_on_cuda_target(_SCRIPT, [24], processes=1)
    assert capped <= cap < uncapped
