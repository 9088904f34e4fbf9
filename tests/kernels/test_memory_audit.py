"""The public memory audit (``kernels.audit``, ``BatchKernel.audit()``): a built kernel allocates what its Plan
declares, and a record that does not add up is named in a ``MemoryAuditError``."""

import dataclasses

import numpy as np
import pytest

import kernels
from kernels.allocators import AllocatorFactory
from planner import Placement

SYSTEM = kernels.brusselator(4)


@pytest.fixture(scope="module")
def integrators():
    """One Integrator per method (each keeps its builds), shared by the tests of this file."""
    cache = {}

    def get(method):
        if method not in cache:
            cache[method] = kernels.Integrator(SYSTEM, method, precision=np.float64)
        return cache[method]

    return get


def _built(integrators, method, plan_kind):
    integ = integrators(method)
    return integ.build(integ.plan(plan_kind, block_size=32))


@pytest.mark.parametrize("plan_kind", ["local", "shared", "auto"])
@pytest.mark.parametrize("method", ["tsit5", "sdirk4", "radau", "rodas4"], ids=["erk", "dirk", "firk", "rosenbrock"])
def test_built_kernels_pass_the_audit(integrators, method, plan_kind):
    built = _built(integrators, method, plan_kind)
    result = built.audit()
    assert isinstance(result, kernels.MemoryAudit) and result == kernels.audit(built)
    assert result.n_buffers == len(built.records) == len(result.records)
    assert result.records[(built.records[0].component, built.records[0].name)] is built.records[0]
    plan = built.plan
    assert (result.shared_elems, result.persistent_local_elems) == (plan.shared_elements,
                                                                    plan.persistent_local_elements)
    local = [r for r in built.records if r.placement is Placement.LOCAL and not r.view_of]
    assert result.local_elems == sum(r.size_elems for r in local) >= plan.local_elements
    if plan_kind == "shared":
        assert result.local_elems == result.persistent_local_elems == 0 < result.shared_elems


def _tampered(built, index, **changes):
    records = list(built.records)
    records[index] = dataclasses.replace(records[index], **changes)
    return dataclasses.replace(built, records=tuple(records))


def _index(built, placement, view=False):
    return next(i for i, r in enumerate(built.records) if r.placement is placement and bool(r.view_of) is view)


def _raises_naming(built, index):
    record = built.records[index] if isinstance(index, int) else index
    name = f"{record.component}.{record.name}"
    with pytest.raises(kernels.MemoryAuditError, match=f"buffer {name} was declared") as caught:
        kernels.audit(built)
    assert caught.value.buffer == name
    assert "bug in bufferplan" in str(caught.value) and "not launched" in str(caught.value)
    assert isinstance(caught.value, kernels.KernelError)
    return str(caught.value)


@pytest.mark.parametrize("plan_kind, placement, view", [("local", Placement.LOCAL, False),
                                                         ("local", Placement.PERSISTENT_LOCAL, False),
                                                         ("local", Placement.LOCAL, True),
                                                         ("shared", Placement.SHARED, False),
                                                         ("shared", Placement.SHARED, True)])
def test_a_record_sized_or_sliced_otherwise_is_named(integrators, plan_kind, placement, view):
    built = _built(integrators, "tsit5", plan_kind)
    i = _index(built, placement, view)
    record = built.records[i]
    message = _raises_naming(_tampered(built, i, size_elems=record.size_elems + 1, stop=record.stop + 1), i)
    assert f"({record.size_elems} elements) but allocated" in message
    _raises_naming(_tampered(built, i, start=record.start + 1, stop=record.stop + 1), i)


@pytest.mark.parametrize("placement, other", [(Placement.LOCAL, Placement.SHARED),
                                              (Placement.PERSISTENT_LOCAL, Placement.LOCAL)])
def test_a_record_placed_otherwise_is_named(integrators, placement, other):
    built = _built(integrators, "rodas4", "local")
    i = _index(built, placement)
    message = _raises_naming(_tampered(built, i, placement=other), i)
    assert f"declared {placement.value} [" in message and f"allocated {other.value} [" in message


def test_a_view_of_another_parent_is_named(integrators):
    built = _built(integrators, "tsit5", "shared")
    i = _index(built, Placement.SHARED, view=True)
    _raises_naming(_tampered(built, i, view_of="state"), i)


def test_a_dropped_record_is_named(integrators):
    built = _built(integrators, "sdirk4", "auto")
    dropped = built.records[3]
    message = _raises_naming(dataclasses.replace(built, records=built.records[:3] + built.records[4:]), dropped)
    assert "allocated never" in message


def test_a_duplicated_record_is_named(integrators):
    built = _built(integrators, "radau", "shared")
    twice = built.records[5]
    message = _raises_naming(dataclasses.replace(built, records=built.records + (twice,)), twice)
    assert "declared once but allocated 2 times" in message


def test_an_undeclared_record_is_named(integrators):
    built = _built(integrators, "radau", "local")
    extra = dataclasses.replace(built.records[0], name="undeclared")
    message = _raises_naming(dataclasses.replace(built, records=built.records + (extra,)), extra)
    assert "declares no such buffer" in message


@pytest.mark.parametrize("wrong", ["plan", "integrator", "none"])
def test_anything_but_a_built_kernel_is_refused_with_what_to_pass(integrators, wrong):
    """The likely mistake, the Plan (or the Integrator) instead of what build returns, is told what to pass."""
    integ = integrators("rk4")
    given = {"plan": integ.plan("local"), "integrator": integ, "none": None}[wrong]
    with pytest.raises(kernels.ConfigurationError, match=r"audit built: expected a built kernel, "
                                                         r"integrator\.build\(plan\)"):
        kernels.audit(given)


def test_build_refuses_a_component_that_allocates_a_buffer_twice(monkeypatch):
    """A component that asks its allocator factory for a buffer twice (a custom step's bug) never launches."""
    once = AllocatorFactory.__call__

    def twice(self, name):
        once(self, name)
        return once(self, name)

    monkeypatch.setattr(AllocatorFactory, "__call__", twice)
    integ = kernels.Integrator(kernels.lorenz(), "rk4", controller="fixed", precision=np.float64)
    with pytest.raises(kernels.MemoryAuditError, match="declared once but allocated 2 times"):
        integ.build(integ.plan("local", block_size=32))
