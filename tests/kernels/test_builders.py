"""Kernel builders are memoised on the Plan's digest; different Plans coexist in one process."""

import numpy as np

import kernels
from kernels.batch import build_kernel
from kernels.controllers import ControllerSettings
from kernels.planning import resolve_plan
from kernels.tableaus import get_tableau
from planner import Plan

LORENZ = kernels.lorenz()


def _resolve(kind):
    return resolve_plan(kind, LORENZ, get_tableau("tsit5"), True, np.float64, 32)


def test_memoised_on_digest_and_two_plans_coexist():
    ctrl = ControllerSettings("pi")
    settings_a, plan_a = _resolve("local")
    settings_b, plan_b = _resolve("shared")
    assert plan_a.digest != plan_b.digest
    kernel_a = build_kernel(LORENZ, settings_a, ctrl, plan_a)
    assert build_kernel(LORENZ, settings_a, ctrl, plan_a) is kernel_a
    plan_a_again = Plan.from_json(plan_a.to_json())  # a new, equal Plan object: same digest, same kernel
    assert plan_a_again is not plan_a and build_kernel(LORENZ, settings_a, ctrl, plan_a_again) is kernel_a
    kernel_b = build_kernel(LORENZ, settings_b, ctrl, plan_b)
    assert kernel_b is not kernel_a
    assert build_kernel(LORENZ, settings_a, ControllerSettings("pid"), plan_a) is not kernel_a
    common = dict(method="tsit5", precision=np.float64, t_eval=[0.1, 0.2])
    params = np.array([[10.0, 28.0, 8.0 / 3.0]])
    a = kernels.solve_ivp(LORENZ, (0.0, 0.2), [1.0, 1.0, 1.0], params, plan=plan_a, **common)
    b = kernels.solve_ivp(LORENZ, (0.0, 0.2), [1.0, 1.0, 1.0], params, plan=plan_b, **common)
    again = kernels.solve_ivp(LORENZ, (0.0, 0.2), [1.0, 1.0, 1.0], params, plan=plan_a, **common)
    np.testing.assert_allclose(a.y, b.y, rtol=1e-12)
    np.testing.assert_array_equal(a.y, again.y)
    assert a.plan is plan_a and b.plan is plan_b


def test_distinct_systems_get_distinct_kernels():
    ctrl = ControllerSettings("pi")
    settings, plan = _resolve("greedy")
    other = kernels.lorenz()
    assert build_kernel(LORENZ, settings, ctrl, plan) is not build_kernel(other, settings, ctrl, plan)


def test_plans_are_solved_once_per_problem():
    assert _resolve("auto")[1] is _resolve("auto")[1]
