"""The planner's model through its public API: buffers, problems, timelines, plans, layouts, devices."""

import dataclasses
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner
from planner import (PRESETS, Buffer, BufferSettings, ConfigurationError, DeviceModel, Location, Phase,
                     Placement, Plan, PlanError, PlanningProblem, get_device)
from planner.buffers import PRECISIONS
from planner.demo import demo_problem, demo_settings


# -- timeline embedding ----------------------------------------------------------
def test_child_invoked_from_two_phases_gets_two_intervals():
    child = BufferSettings("child", (Phase("a"), Phase("b")), (
        Buffer("x", 4, lifetime=(("a", "b"),)),
        Buffer("y", 2, lifetime=(("b", "b"),)),
    ))
    root = BufferSettings("root", (Phase("p0"), Phase("p1", invokes="child"), Phase("p2"),
                                   Phase("p3", invokes="child")),
                          (Buffer("r", 3, lifetime=(("p1", "p2"),)),), (child,))
    # p0 [0,1)  p1 [1,3) = child at 1  p2 [3,4)  p3 [4,6) = child at 4
    assert root.length == 6
    lifetimes = {b.name: b.lifetime for b in root.qualified_buffers()}
    assert lifetimes == {"root.r": ((1, 4),), "root.child.x": ((1, 3), (4, 6)),
                         "root.child.y": ((2, 3), (5, 6))}


def test_newton_in_dirk_in_loop_nests_at_the_right_points():
    linear = BufferSettings("lin", (Phase("init"), Phase("iterate")),
                            (Buffer("v", 8, lifetime=(("init", "iterate"),)),))
    newton = BufferSettings("newton", (Phase("res"), Phase("solve", invokes="lin"), Phase("upd")),
                            (Buffer("d", 8, lifetime=(("solve", "upd"),)),
                             Buffer("r", 8, lifetime=(("res", "res"),))), (linear,))
    dirk = BufferSettings("dirk", (Phase("s1", invokes="newton"), Phase("s2", invokes="newton"), Phase("comb")),
                          (Buffer("k", 16, lifetime=(("s1", "comb"),)),), (newton,))
    loop = BufferSettings("loop", (Phase("pre"), Phase("step", invokes="dirk"), Phase("acc")),
                          (Buffer("prop", 8, lifetime=(("step", "acc"),)),
                           Buffer("state", 8, persistent=True)), (dirk,))
    # lin: 2 points; newton: 1 + 2 + 1 = 4; dirk: 4 + 4 + 1 = 9; loop: 1 + 9 + 1 = 11.
    assert (linear.length, newton.length, dirk.length, loop.length) == (2, 4, 9, 11)
    problem = loop.to_problem()
    got = {b.name: b.lifetime for b in problem.buffers}
    assert got == {
        "loop.prop": ((1, 11),), "loop.state": (),
        "loop.dirk.k": ((1, 10),),
        "loop.dirk.newton.d": ((2, 5), (6, 9)),       # newton at 1 and at 5: solve..upd = [b+1, b+4)
        "loop.dirk.newton.r": ((1, 2), (5, 6)),
        "loop.dirk.newton.lin.v": ((2, 4), (6, 8)),
    }
    assert problem.horizon == 11
    assert problem.lifetime_of(problem.by_name()["loop.state"]) == ((0, 11),)
    # Newton's residual and the linear solver's vector are never alive together: they may share.
    graph = planner.interference_graph(problem)
    assert not graph.has_edge("loop.dirk.newton.r", "loop.dirk.newton.lin.v")
    assert graph.has_edge("loop.dirk.newton.d", "loop.dirk.newton.lin.v")


def test_phase_invoking_two_children_runs_them_in_order():
    a = BufferSettings("a", (Phase("only"),), (Buffer("x", 1, lifetime=(("only", "only"),)),))
    b = BufferSettings("b", (Phase("one"), Phase("two")), (Buffer("y", 1, lifetime=(("two", "two"),)),))
    root = BufferSettings("root", (Phase("start"), Phase("both", invokes=("a", "b"))), (), (a, b))
    got = {q.name: q.lifetime for q in root.qualified_buffers()}
    assert got == {"root.a.x": ((1, 2),), "root.b.y": ((3, 4),)}
    assert root.length == 4


def test_demo_tree_embeds_three_newton_solves():
    problem = demo_problem("dirk")
    by_name = problem.by_name()
    assert len(by_name["loop.dirk.newton.residual"].lifetime) == 3
    assert len(by_name["loop.dirk.newton.linear_solver.intermediate"].lifetime) == 3
    assert demo_settings("tsit5").to_problem().by_name()["loop.tsit5.stage_derivatives"].size_elems == 56
    with pytest.raises(ConfigurationError, match="method"):
        demo_settings("rk4")


# -- validation ---------------------------------------------------------------
@pytest.mark.parametrize("kwargs, needle", [
    (dict(name="1bad", size_elems=1, lifetime=((0, 1),)), "buffer name"),
    (dict(name="a..b", size_elems=1, lifetime=((0, 1),)), "buffer name"),
    (dict(name="a", size_elems=-1, lifetime=((0, 1),)), "size"),
    (dict(name="a", size_elems=2.0, lifetime=((0, 1),)), "size"),
    (dict(name="a", size_elems=True, lifetime=((0, 1),)), "size"),
    (dict(name="a", size_elems=1, location="texture", lifetime=((0, 1),)), "location"),
    (dict(name="a", size_elems=1, persistent="yes"), "persistent"),
    (dict(name="a", size_elems=1, lifetime=((0, 1),), weight=-1.0), "weight"),
    (dict(name="a", size_elems=1, lifetime=((0, 1),), weight=math.nan), "weight"),
    (dict(name="a", size_elems=1, lifetime=((0, 1),), weight=math.inf), "weight"),
    (dict(name="a", size_elems=1, lifetime=((0, 1),), precision="int8"), "precision"),
    (dict(name="a", size_elems=1, lifetime=()), "lifetime: empty"),
    (dict(name="a", size_elems=1, lifetime=((3, 3),)), "[3, 3) is empty"),
    (dict(name="a", size_elems=1, lifetime=((5, 2),)), "[5, 2) is reversed"),
    (dict(name="a", size_elems=1, lifetime=((-1, 2),)), "below 0"),
    (dict(name="a", size_elems=1, lifetime=((0, 2 ** 63),)), "end 9223372036854775808 is too large"),
    (dict(name="a", size_elems=1, lifetime=((0, 10 ** 18),)), "program points below 10^18"),
    (dict(name="a", size_elems=1, lifetime=((0.5, 2),)), "integers"),
    (dict(name="a", size_elems=1, lifetime=((0, 1, 2),)), "pairs"),
    (dict(name="a", size_elems=1, view_of="9x"), "view_of"),
    (dict(name="a", size_elems=1, view_of="p", view_offset_elems=-1), "view offset"),
    (dict(name="a", size_elems=1, lifetime=((0, 1),), view_offset_elems=2), "without view_of"),
])
def test_bad_buffer_names_the_argument(kwargs, needle):
    with pytest.raises(ConfigurationError) as info:
        Buffer(**kwargs)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)


def _two():
    return (Buffer("a", 4, lifetime=((0, 2),)), Buffer("b", 4, lifetime=((1, 3),)))


@pytest.mark.parametrize("kwargs, needle", [
    (dict(buffers=(Buffer("a", 1, lifetime=((0, 1),)), Buffer("a", 2, lifetime=((0, 1),)))), "duplicate name 'a'"),
    (dict(buffers=_two() + (Buffer("v", 3, view_of="a", view_offset_elems=2),)), "outside its parent"),
    (dict(buffers=_two() + (Buffer("v", 1, view_of="zz"),)), "not a planned buffer"),
    (dict(buffers=_two() + (Buffer("v", 1, view_of="a"), Buffer("w", 1, view_of="v"))), "not a planned buffer"),
    (dict(buffers=(Buffer("a", 1, lifetime=(("x", "y"),)),)), "names phases"),
    (dict(buffers=("a",)), "expected Buffer objects"),
    (dict(buffers=_two(), precision="float128"), "precision"),
    (dict(buffers=_two(), block_size=0), "block_size"),
    (dict(buffers=_two(), block_size=2048), "block_size"),
    (dict(buffers=_two(), device="tpu"), "unknown preset 'tpu'"),
    (dict(buffers=_two(), objective="fast"), "objective"),
    (dict(buffers=_two(), min_blocks_per_sm=0), "min_blocks_per_sm"),
    (dict(buffers=_two(), shared_capacity=-1), "shared_capacity"),
])
def test_bad_problem_names_the_argument(kwargs, needle):
    with pytest.raises(ConfigurationError) as info:
        PlanningProblem(**kwargs)
    assert needle in str(info.value)


@pytest.mark.parametrize("data, needle", [
    ([], "expected a JSON object"),
    ({"buffers": [], "colour": 1}, "unknown key(s) ['colour']"),
    ({"precision": "float32"}, "'buffers' must be a list"),
    ({"buffers": [{"size": 1, "lifetime": [[0, 1]]}]}, "buffers[0]: missing required key 'name'"),
    ({"buffers": [{"name": "a", "size": 1, "lifetime": [[0, 1]], "colour": 2}]}, "buffers[0]: unknown key(s)"),
    ({"buffers": [{"name": "a", "size": 1, "lifetime": [["s", "e"]]}]}, "integer program points"),
    ({"buffers": [{"name": "a", "size": 1, "lifetime": "0-1"}]}, "list of [start, end] pairs"),
    ({"buffers": [], "device": {"name": "x"}}, "device: missing key(s)"),
    ({"buffers": [], "device": dict(PRESETS["h100"].to_json(), fancy=1)}, "device: unknown key(s) ['fancy']"),
    ({"buffers": [], "device": dict(PRESETS["h100"].to_json(), multiprocessors=0)}, "multiprocessors"),
])
def test_bad_problem_json_names_the_key(data, needle):
    with pytest.raises(ConfigurationError) as info:
        PlanningProblem.from_json(data)
    assert needle in str(info.value)


@pytest.mark.parametrize("build, needle", [
    (lambda: BufferSettings("c", ()), "at least one phase"),
    (lambda: BufferSettings("c", (Phase("a"), Phase("a"))), "duplicate name 'a'"),
    (lambda: BufferSettings("c", (Phase("a", invokes="kid"),)), "unknown child 'kid'"),
    (lambda: BufferSettings("c", (Phase("a"),), (), (BufferSettings("kid", (Phase("x"),)),)), "never invoked"),
    (lambda: BufferSettings("c", (Phase("a"),), (Buffer("b", 1, lifetime=(("a", "z"),)),)), "unknown phase 'z'"),
    (lambda: BufferSettings("c", (Phase("a"), Phase("b")), (Buffer("x", 1, lifetime=(("b", "a"),)),)), "reversed"),
    (lambda: BufferSettings("c", (Phase("a"),), (Buffer("x", 1, lifetime=((0, 1),)),)), "must name phases"),
    (lambda: BufferSettings("c", (Phase("a"),), (Buffer("v", 1, view_of="nope"),)), "view_of 'nope'"),
    (lambda: BufferSettings(  # a dotted name meets the child's buffer: the two would share addresses
        "dirk", (Phase("s0", invokes="newton"),), (Buffer("newton.delta", 4, lifetime=(("s0", "s0"),)),),
        (BufferSettings("newton", (Phase("r"),), (Buffer("delta", 8, lifetime=(("r", "r"),)),)),)),
     "buffer 'dirk.newton.delta' is declared twice: as 'newton.delta' in component 'dirk' and as 'delta' in "
     "component 'dirk.newton'"),
])
def test_bad_settings_name_the_problem(build, needle):
    with pytest.raises(ConfigurationError) as info:
        build()
    assert needle in str(info.value)


# -- JSON round trips -------------------------------------------------------------
NAMES = [f"c{i}.b{i}" for i in range(12)]


@st.composite
def problems(draw):
    precision = draw(st.sampled_from(["float16", "float32", "float64"]))
    count = draw(st.integers(1, 8))
    buffers = []
    for i in range(count):
        size = draw(st.integers(0, 48))
        persistent = draw(st.booleans())
        intervals = tuple((s, s + draw(st.integers(1, 6))) for s in draw(st.lists(st.integers(0, 20), min_size=1,
                                                                                   max_size=3)))
        buffers.append(Buffer(NAMES[i], size, draw(st.sampled_from(list(Location))), persistent,
                              () if persistent else intervals,
                              draw(st.floats(0, 1e6, allow_nan=False, allow_infinity=False)),
                              draw(st.sampled_from([None, precision, "float64"]))))
    parents = [b for b in buffers if b.size_elems]
    for j in range(draw(st.integers(0, min(2, len(parents))))):
        parent = parents[j]
        size = draw(st.integers(0, parent.size_elems))
        offset = draw(st.integers(0, parent.size_elems - size))
        buffers.append(Buffer(f"view{j}", size, view_of=parent.name, view_offset_elems=offset))
    device = draw(st.sampled_from(sorted(PRESETS)))
    if draw(st.booleans()):
        device = dataclasses.replace(get_device(device), name="custom", multiprocessors=draw(st.integers(1, 200)))
    block_size = draw(st.integers(1, 1024))
    resident = get_device(device).max_threads_per_sm // (-(-block_size // 32) * 32)  # blocks an SM can hold
    most = get_device(device).max_shared_bytes_per_block // (block_size * PRECISIONS[precision])
    most -= 1 if most % 2 == 0 and most > 0 else 0  # a capacity the device's shared memory per block holds
    return PlanningProblem(tuple(buffers), precision, block_size, device,
                           draw(st.sampled_from(["min-shared", "auto"])), draw(st.integers(1, min(4, resident))),
                           draw(st.one_of(st.none(), st.integers(0, min(200, most)))))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_problem_json_round_trip(problem):
    text = json.dumps(problem.to_json())
    again = PlanningProblem.from_json(json.loads(text))
    assert again == problem
    assert again.digest == problem.digest


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(planner.PLANNERS))
def test_plan_json_round_trip_and_verify(problem, name):
    try:
        plan = planner.solve(problem, name, time_limit_s=2, workers=1)
    except planner.InfeasibleError:
        return
    plan.verify(problem)
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert again == plan
    assert again.digest == plan.digest
    again.verify(problem)
    assert plan.provenance.lower_bound <= plan.shared_elements <= problem.capacity_elems
    assert plan.provenance.input_hash == problem.digest


def test_plan_from_bad_json_is_a_configuration_error():
    plan = planner.solve(PlanningProblem(_two()), "greedy")
    good = plan.to_json()
    for mutate, needle in [
        (lambda d: d.pop("totals"), "malformed plan JSON"),
        (lambda d: d["buffers"][0].update(placement="texture"), "placement"),
        (lambda d: d["buffers"][0].update(size="4"), "size"),
        (lambda d: d["buffers"][0].update(offset=1.5), "offset"),
        (lambda d: d["buffers"][0].update(lifetime=[[0, "2"]]), "lifetime"),
        (lambda d: d["totals"].update(shared_elements=-8), "shared_elements"),
        (lambda d: d["provenance"].update(extra=1), "malformed plan JSON"),
    ]:
        data = json.loads(json.dumps(good))
        mutate(data)
        with pytest.raises(ConfigurationError, match=needle):
            Plan.from_json(data)


# -- verify catches each rule ---------------------------------------------------
@pytest.fixture(scope="module")
def rich():
    """A problem with shared, local, persistent and view buffers, and its greedy plan."""
    buffers = (
        Buffer("k.a", 8, Location.SHARED, lifetime=((0, 4),)),
        Buffer("k.b", 4, Location.AUTO, lifetime=((2, 6),)),
        Buffer("k.c", 6, Location.AUTO, lifetime=((4, 8),)),
        Buffer("k.l", 3, Location.LOCAL, lifetime=((0, 8),)),
        Buffer("k.p", 2, Location.LOCAL, persistent=True),
        Buffer("k.q", 5, Location.LOCAL, persistent=True),
        Buffer("k.h", 3, Location.AUTO, lifetime=((0, 3),), precision="float64"),
        Buffer("k.v", 2, view_of="k.a", view_offset_elems=3),
    )
    problem = PlanningProblem(buffers, "float32", 64)
    plan = planner.solve(problem, "greedy")
    return problem, plan


def _with(plan, name, **changes):
    return dataclasses.replace(plan, buffers=tuple(dataclasses.replace(b, **changes) if b.name == name else b
                                                   for b in plan.buffers))


def test_rich_plan_is_as_expected(rich):
    problem, plan = rich
    got = {b.name: (b.placement, b.offset_elems) for b in plan.buffers}
    assert got["k.a"] == (Placement.SHARED, got["k.a"][1])
    assert got["k.l"] == (Placement.LOCAL, None)
    assert got["k.h"] == (Placement.LOCAL, None)  # float64 cannot share float32 memory
    assert got["k.p"][0] is got["k.q"][0] is Placement.PERSISTENT_LOCAL
    assert got["k.v"] == (Placement.SHARED, got["k.a"][1] + 3)
    assert plan.shared_elements == 12 == plan.provenance.lower_bound  # a+b at point 2..4, b+c at 4..6
    assert plan.shared_stride == 13 and plan.shared_bytes_per_block == 13 * 64 * 4
    assert plan.local_elements == 6 and plan.persistent_local_elements == 7
    plan.verify(problem)


def _rule(plan, problem):
    with pytest.raises(PlanError) as info:
        plan.verify(problem)
    return info.value.rule


def test_verify_catches_each_rule(rich):
    problem, plan = rich
    by = plan.by_name()
    a, b, c = by["k.a"], by["k.b"], by["k.c"]
    r = dataclasses.replace
    cases = {
        "problem-mismatch": [
            r(plan, buffers=plan.buffers[1:]),
            r(plan, block_size=128),
            r(plan, precision="float64"),
            _with(plan, "k.b", lifetime=((2, 7),)),
        ],
        "size": [_with(plan, "k.b", size_elems=5)],
        "pin": [
            _with(plan, "k.a", placement=Placement.LOCAL, offset_elems=None),
            _with(plan, "k.l", placement=Placement.SHARED, offset_elems=0),
            _with(plan, "k.h", placement=Placement.SHARED, offset_elems=0),
        ],
        "placement": [
            _with(plan, "k.b", placement=Placement.PERSISTENT_LOCAL, offset_elems=0),
        ],
        "bounds": [
            _with(plan, "k.b", offset_elems=plan.shared_elements - 1),
            _with(plan, "k.b", offset_elems=-1),
            _with(plan, "k.b", offset_elems=None),
            _with(plan, "k.l", offset_elems=0),
            _with(plan, "k.q", offset_elems=6),
        ],
        "no-overlap": [
            _with(plan, "k.b", offset_elems=a.offset_elems + 2),
            _with(plan, "k.c", offset_elems=b.offset_elems - 2),  # [6, 12) meets b [8, 12) at 4..6
            _with(plan, "k.q", offset_elems=1),
        ],
        "totals": [
            r(plan, shared_elements=plan.shared_elements + 1),
            r(plan, shared_stride=plan.shared_stride + 2),
            r(plan, shared_bytes_per_block=plan.shared_bytes_per_block * 2),
            r(plan, local_elements=plan.local_elements + 1),
            r(plan, persistent_local_elements=plan.persistent_local_elements + 1),
        ],
        "view": [
            _with(plan, "k.v", offset_elems=by["k.v"].offset_elems + 1),
            _with(plan, "k.v", placement=Placement.LOCAL, offset_elems=None),
        ],
    }
    assert c.placement is Placement.SHARED
    for rule, plans in cases.items():
        for tampered in plans:
            assert _rule(tampered, problem) == rule, (rule, tampered)
    assert _rule(plan, problem.replace(shared_capacity=plan.shared_elements - 1)) == "budget"


def test_a_view_inside_its_parent_and_a_zero_size_buffer_are_fine():
    problem = PlanningProblem((Buffer("x.a", 4, Location.SHARED, lifetime=((0, 2),)),
                               Buffer("x.z", 0, Location.SHARED, lifetime=((0, 2),)),
                               Buffer("x.v", 4, view_of="x.a")))
    for name in planner.PLANNERS:
        plan = planner.solve(problem, name, time_limit_s=2)
        plan.verify(problem)
        assert plan.shared_elements == 4


# -- ComponentLayout ------------------------------------------------------------
def test_component_layout_answers():
    inner = BufferSettings("inner", (Phase("i"),), (Buffer("t", 5, Location.SHARED, lifetime=(("i", "i"),)),))
    outer = BufferSettings("outer", (Phase("one"), Phase("two", invokes="inner")), (
        Buffer("s", 4, Location.SHARED, lifetime=(("one", "two"),)),
        Buffer("l", 3, Location.LOCAL, lifetime=(("one", "one"),)),
        Buffer("e", 0, Location.LOCAL, lifetime=(("two", "two"),)),
        Buffer("p", 2, Location.LOCAL, persistent=True),
        Buffer("w", 2, view_of="s", view_offset_elems=1),
    ), (inner,))
    problem = outer.to_problem(block_size=32)
    plan = planner.solve(problem, "sequential")
    layout = outer.layout(plan)
    s = plan.by_name()["outer.s"].offset_elems
    assert layout.placement("s") is Placement.SHARED
    assert layout.placement("p") is Placement.PERSISTENT_LOCAL
    assert layout.shared_indices["s"] == slice(s, s + 4)
    assert layout.shared_indices.s == slice(s, s + 4)  # attribute access too
    assert layout.shared_indices["w"] == slice(s + 1, s + 3)
    assert layout.shared_indices["l"] == slice(0, 0) == layout.shared_indices["p"] == layout.shared_indices["e"]
    assert layout.persistent_indices["p"] == slice(0, 2)
    assert layout.persistent_indices["s"] == slice(0, 0)
    assert layout.local_sizes.size("e") == 0 and layout.local_sizes.nonzero("e") == 1
    assert layout.local_sizes.nonzero("l") == 3
    assert layout.shared_memory_elements == 4          # the view is not counted twice
    assert layout.local_memory_elements == 3 + 1       # a zero-size local array still takes one element
    assert layout.persistent_local_elements == 2
    child = layout.child("inner")
    t = plan.by_name()["outer.inner.t"].offset_elems
    assert child.shared_indices["t"] == slice(t, t + 5)
    assert layout.local_end == max(s + 4, t + 5) == plan.shared_elements
    with pytest.raises(ConfigurationError, match="no child"):
        layout.child("nope")
    with pytest.raises(AttributeError):
        layout.shared_indices.missing
    other = BufferSettings("other", (Phase("x"),), (Buffer("q", 1, lifetime=(("x", "x"),)),))
    with pytest.raises(ConfigurationError, match="another problem"):
        other.layout(plan)


# -- device model --------------------------------------------------------------
def test_h100_128_threads_32_registers_no_shared_is_full_occupancy():
    occ = get_device("h100").occupancy(128, registers_per_thread=32, shared_bytes_per_block=0)
    assert (occ.blocks_per_sm, occ.occupancy) == (16, 1.0)


def test_occupancy_limited_by_registers():
    # 128 regs x 32 threads = 4096 per warp: 64 Ki / 4096 = 16 warps = 4 blocks of 4 warps.
    occ = get_device("h100").occupancy(128, registers_per_thread=128)
    assert (occ.blocks_per_sm, occ.occupancy, occ.limited_by) == (4, 0.25, "registers")
    # 40 regs round up to 1280 per warp: 51 warps, down to 48 by the warp granularity: 12 blocks.
    occ = get_device("h100").occupancy(128, registers_per_thread=40)
    assert (occ.blocks_per_sm, occ.limited_by) == (12, "registers")


def test_occupancy_limited_by_shared_memory():
    # 48 KiB + 1 KiB reserved = 50176 B per block; 228 KiB / 50176 = 4 blocks.
    occ = get_device("h100").occupancy(128, registers_per_thread=32, shared_bytes_per_block=48 * 1024)
    assert (occ.blocks_per_sm, occ.occupancy, occ.limited_by) == (4, 0.25, "shared")
    # 100 B rounds up with the reserve to 1152 B: 202 blocks by shared memory, so threads limit.
    occ = get_device("h100").occupancy(64, registers_per_thread=16, shared_bytes_per_block=100)
    assert (occ.blocks_per_sm, occ.limited_by) == (32, "blocks")
    # More than a block may have: nothing runs.
    occ = get_device("h100").occupancy(128, shared_bytes_per_block=228 * 1024)
    assert (occ.blocks_per_sm, occ.occupancy) == (0, 0.0)


def test_occupancy_rejects_bad_arguments():
    with pytest.raises(ConfigurationError, match="registers_per_thread"):
        get_device("h100").occupancy(128, registers_per_thread=300)
    with pytest.raises(ConfigurationError, match="block_size"):
        get_device("h100").occupancy(2048)


@pytest.mark.parametrize("device, blocks, expected", [
    ("h100", 1, 227 * 1024),           # min(228 KiB - 1 KiB reserve, 227 KiB opt-in maximum)
    ("h100", 2, 114 * 1024 - 1024),
    ("h100", 3, 76 * 1024 - 1024),
    ("a100", 1, 163 * 1024),
    ("v100", 1, 96 * 1024),
    ("v100", 5, 19456),                 # 19660 rounded down to 256-byte units, no reserve
])
def test_shared_budget_bytes(device, blocks, expected):
    assert get_device(device).shared_budget_bytes(blocks) == expected


def test_occupancy_without_shared_memory_on_every_preset():
    # a V100 reserves no shared bytes per block: a block using none must not divide by zero
    for name, device in PRESETS.items():
        found = device.occupancy(device.warp_size, registers_per_thread=1, shared_bytes_per_block=0)
        assert found.limited_by != "shared" or device.reserved_shared_bytes_per_block > 0, name
        assert 0 < found.occupancy <= 1, name


def test_budget_keeps_the_blocks_resident():
    for name, device in PRESETS.items():
        for blocks in (1, 2, 3, 4, 8):
            budget = device.shared_budget_bytes(blocks)
            assert blocks * device.block_shared_footprint(budget) <= device.shared_bytes_per_sm, (name, blocks)


def test_problem_capacity_follows_the_budget():
    problem = PlanningProblem(_two(), "float64", 128, "h100", min_blocks_per_sm=2)
    assert problem.shared_budget_bytes == 113 * 1024
    assert problem.capacity_elems == 113  # 115712 // (128 * 8) = 113, already odd
    assert PlanningProblem(_two(), "float32", 128).capacity_elems == 453  # 454 padded down to odd
    assert PlanningProblem(_two(), shared_capacity=10).capacity_elems == 10


def test_presets_and_device_json():
    assert {"h100", "a100", "rtx4090", "v100"} <= set(PRESETS)
    assert get_device("H100") is PRESETS["h100"]
    assert DeviceModel.from_json(PRESETS["a100"].to_json()) == PRESETS["a100"]
    with pytest.raises(ConfigurationError, match="unknown preset"):
        get_device("gtx480")
    with pytest.raises(ConfigurationError, match="min_blocks_per_sm"):
        PRESETS["h100"].shared_budget_bytes(0)
