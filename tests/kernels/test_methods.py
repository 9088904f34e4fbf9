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
