"""Memory audit: what the device functions allocate is what the Plan declares.

* Every allocator built (recorded by the allocator factory) corresponds to
  one declared buffer of its component, with the declared size and the
  Plan's placement and offset, and every declared buffer gets one.
* The launch's dynamic shared memory is the Plan's.
* Canaries in the stride padding and past the end of the block's regions
  survive a run, and a layout that writes past its region is caught.
"""

import dataclasses

import numpy as np
import pytest

from numba import cuda

import kernels
from kernels.launch import launch_batch
from kernel_helpers import audit_allocations
from planner import Placement


def _forced(t, y, p, u, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[0] + u[0]


def _observe(t, y, p, u, obs):
    obs[0] = y[0] * y[0] + y[1] * y[1] + u[0]


FORCED = kernels.ODESystem(_forced, 2, n_params=1, n_drivers=1, observables=_observe, n_observables=1,
                           name="forced")


def _build(system, method, plan_kind, block_size=32, precision=np.float64, canary_elems=0, controller=None):
    integ = kernels.Integrator(system, method, controller=controller, precision=precision)
    return integ.build(integ.plan(plan_kind, block_size=block_size), canary_elems=canary_elems), integ


@pytest.mark.parametrize("system", [kernels.lorenz(), FORCED], ids=["lorenz", "forced"])
@pytest.mark.parametrize("plan_kind", ["local", "shared", "greedy"])
@pytest.mark.parametrize("method", kernels.TABLEAU_NAMES)
def test_allocations_equal_declarations(method, plan_kind, system):
    built, _ = _build(system, method, plan_kind)
    plan = built.plan
    audit_allocations(built)
    shared_end = max((r.stop for r in built.records if r.placement is Placement.SHARED and not r.view_of),
                     default=0)
    persistent_end = max((r.stop for r in built.records
                          if r.placement is Placement.PERSISTENT_LOCAL and not r.view_of), default=0)
    assert shared_end == plan.shared_elements <= plan.shared_stride
    assert persistent_end == plan.persistent_local_elements
    assert built.shared_bytes == plan.shared_bytes_per_block
    if plan_kind == "local":
        assert plan.shared_bytes_per_block == 0
    if plan_kind == "shared":
        assert all(r.placement is Placement.SHARED for r in built.records)


def test_step_writes_no_error_estimate_without_control():
    """A fixed-step run of an embedded pair declares a stub error buffer; the step must not write it."""
    built, _ = _build(kernels.lorenz(), "tsit5", "greedy")
    sizes = {b.name: b.size_elems for b in built.settings.buffer_settings().buffers}
    assert sizes["error"] == 3
    fixed, integ = _build(kernels.lorenz(), "tsit5", "greedy", controller="fixed")
    assert {b.name: b.size_elems for b in fixed.settings.buffer_settings().buffers}["error"] == 0
    assert not integ.settings.step.estimate_error


@pytest.mark.parametrize("method, plan_kind", [("tsit5", "shared"), ("tsit5", "auto"), ("bs3", "greedy"),
                                               ("rk4", "shared")])
def test_canaries_survive(method, plan_kind):
    n = 8
    kwargs = dict(dt=0.05) if method == "rk4" else {}
    result = kernels.solve_ivp(FORCED, (0.0, 0.5), [1.0, 0.0], np.linspace(1.0, 2.0, n)[:, None],
                               method=method, plan=plan_kind, block_size=n, precision=np.float32,
                               drivers=([0.0, 1.0], [[0.0], [1.0]]), t_eval=[0.25, 0.5], _canary_elems=5,
                               **kwargs)
    assert result.success
    assert result.canary_intact is True


def test_canary_catches_an_overlapping_layout(monkeypatch):
    """Shift the top buffer of a plan by one element: it then writes into the stride padding.  Every layout is
    verified (planner.settings.layout), so that check is switched off here: the canary is the second line."""
    import planner.settings

    monkeypatch.setattr(planner.settings, "verify_for_tree", lambda tree, plan: None)
    system, n = kernels.lorenz(), 4
    integ = kernels.Integrator(system, "tsit5", precision=np.float64)
    plan = integ.plan("shared", block_size=n)
    assert plan.shared_stride == plan.shared_elements + 1  # an even peak: one padding element
    top = {b.name for b in plan.buffers if b.placement is Placement.SHARED
           and b.offset_elems + b.size_elems == plan.shared_elements}
    top |= {b.name for b in plan.buffers if b.view_of in top}
    shifted = tuple(dataclasses.replace(b, offset_elems=b.offset_elems + 1) if b.name in top else b
                    for b in plan.buffers)
    bad = dataclasses.replace(plan, buffers=shifted)
    for candidate, intact in ((plan, True), (bad, False)):
        # The shifted plan does not verify (solve and build refuse it), so it is built unchecked and launched directly.
        built = integ._build(candidate, canary_elems=3)
        y0 = np.ones((n, 3))
        params = np.tile([10.0, 28.0, 8.0 / 3.0], (n, 1))
        constants = tuple(cuda.to_device(a) for a in (np.array([0.1]), np.zeros(1), np.zeros((1, 1)),
                                                       np.full(3, 1e-6), np.full(3, 1e-6)))
        _, canary_intact = launch_batch(built, system, n, 1, y0, params, constants, (0.0, 0.1, 0.0, 0.0, np.inf),
                                        1000)
        assert canary_intact is intact
