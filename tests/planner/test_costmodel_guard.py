"""The compiler loop's last checks in the cost model (issue #14): the throughput of measured figures with the loads a
thread keeps in flight (guarded_throughput), and the share of the local access bytes a shared plan cuts (access_cut).
"""

import dataclasses
from types import SimpleNamespace

import pytest

from planner import Buffer, Location, PlanningProblem, get_device, solve
from planner.costmodel import access_cut, family_of, guarded_throughput, measured, measured_access_bytes
from planner.traffic import local_access_bytes

H100 = get_device("h100")
NAMES = tuple(f"s.v{i}" for i in range(6)) + ("s.mem",)


def _problem(precision="float32"):
    """Six 40-element vectors, 4 accesses an element a step (a stage vector's), and a 20-element buffer held in
    memory (3 accesses an element: 80 bytes a thread in float32)."""
    vectors = tuple(Buffer(f"s.v{i}", 40, lifetime=((0, 2),), weight=160.0) for i in range(6))
    return PlanningProblem(buffers=vectors + (Buffer("s.mem", 20, lifetime=((0, 2),), weight=60.0,
                                                     storage="memory"),),
                           precision=precision, block_size=128, objective="auto", device=H100)


def _plan(problem, shared=()):
    """``problem`` planned with the buffers ``shared`` in shared memory and the rest local."""
    pinned = tuple(dataclasses.replace(b, location=Location.SHARED if b.name in shared else Location.LOCAL)
                   for b in problem.buffers)
    return solve(problem.replace(buffers=pinned, objective="min-shared"), "greedy")


def _figures(problem, plan, registers, local_bytes, shared_bytes=0):
    """Measured figures as the compiler would give them (``ptxas``)."""
    return measured(problem, plan, SimpleNamespace(registers_per_thread=registers, local_bytes_per_thread=local_bytes,
                                                   spill_store_bytes=None, spill_load_bytes=None,
                                                   shared_bytes_per_block=shared_bytes, source="ptxas"), H100)


def test_the_measured_local_bytes_past_the_memory_held_buffers_are_spilled_words():
    problem = _problem()
    local = _plan(problem)
    figures = _figures(problem, local, 128, 80 + 4 * 200)  # s.mem's 80 bytes, 200 words spilled
    assert measured_access_bytes(problem, local, figures, H100) == pytest.approx(
        local_access_bytes(problem, NAMES, 200.0, H100, family_of(problem)))
    shared = _plan(problem, ("s.v0", "s.v1"))
    figures = _figures(problem, shared, 128, 80 + 4 * 100, 2 * 40 * 4 * 128)
    assert measured_access_bytes(problem, shared, figures, H100) == pytest.approx(
        local_access_bytes(problem, NAMES[2:], 100.0, H100, family_of(problem)))


def test_the_cut_is_the_share_of_all_locals_access_bytes_a_plan_saves():
    problem = _problem()
    local, shared = _plan(problem), _plan(problem, ("s.v0", "s.v1"))
    local_figures = _figures(problem, local, 128, 80 + 4 * 200)
    figures = _figures(problem, shared, 128, 80 + 4 * 100, 2 * 40 * 4 * 128)
    before = measured_access_bytes(problem, local, local_figures, H100)
    after = measured_access_bytes(problem, shared, figures, H100)
    assert 0 < after < before
    assert access_cut(problem, shared, figures, local, local_figures, H100) == pytest.approx(1 - after / before)
    assert access_cut(problem, local, local_figures, local, local_figures, H100) == 0.0
    every = _plan(problem, NAMES)
    assert access_cut(problem, every, _figures(problem, every, 64, 0, 133120), local, local_figures, H100) == 1.0
    plain = problem.replace(buffers=problem.buffers[:-1])  # no memory-held buffer: all-local without local bytes
    plain_local = _plan(plain)
    assert access_cut(plain, _plan(plain, ("s.v0",)), _figures(plain, _plan(plain, ("s.v0",)), 128, 0, 20480),
                      plain_local, _figures(plain, plain_local, 128, 0), H100) == 0.0


def _streaming(precision):
    """Two 40-element vectors and four of 500 elements, 4 accesses an element a step: the large ones spill."""
    return PlanningProblem(buffers=tuple(Buffer(f"s.v{i}", 40 if i < 2 else 500, lifetime=((0, 2),),
                                                weight=160.0 if i < 2 else 2000.0) for i in range(6)),
                           precision=precision, block_size=128, objective="auto", device=H100)


def test_the_loads_in_flight_lower_only_a_plan_below_four_warps_an_sm():
    """All-local at 16 warps an SM rates as its measured figures do; one block of 4 warps streaming its spills past
    the L2 rates lower, a float32 one (4-byte loads: fewer bytes in flight) lower than a float64 one."""
    ratios = {}
    for precision, itemsize in (("float32", 4), ("float64", 8)):
        problem = _streaming(precision)
        local = _plan(problem)
        local_figures = _figures(problem, local, 128, 4 * 500 * itemsize)
        assert local_figures.blocks_per_sm == 4
        assert guarded_throughput(problem, local, local_figures, H100) == pytest.approx(local_figures.throughput)
        shared = _plan(problem, ("s.v0", "s.v1"))
        figures = _figures(problem, shared, 128, 4 * 450 * itemsize, 200000)
        assert figures.blocks_per_sm == 1
        ratios[precision] = guarded_throughput(problem, shared, figures, H100) / figures.throughput
    assert ratios["float32"] < 0.9 and ratios["float32"] < ratios["float64"] <= 1.0
