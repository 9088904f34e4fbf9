"""The method registry agrees with the step families that exist."""

from kernels import METHODS, methods, steps


def test_built_families_are_the_step_families():
    assert methods.BUILT_FAMILIES == frozenset(steps.FAMILIES)


def test_every_method_has_a_built_family():
    assert {m.family for m in METHODS.values()} <= set(steps.FAMILIES)
