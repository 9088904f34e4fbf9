"""Dense problems and the cpsat deadline (a user's trial, 2026-12-05).

``planner plan`` of 3000 buffers all alive on [0, 10) took 5.2 s at ``--time-limit 1`` and 5000 took
47 s and 2 GB at the default 10 s, nearly all of it set-up: the interference graph (n^2 pairs) built
twice, once for greedy's hint and once for CP-SAT's components, and a model-free answer found only after
both. Buffers alive together now just stack without a graph; a problem whose greedy layout settles the
answer builds no second graph; and past the deadline no graph or model is built: greedy's layout is
returned. No test here reads a clock: deadlines are already past, or work is counted.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import Buffer, PlanningProblem, solve
from planner import cpsat, interference, selection
from planner.device import without_shared_limit
from planner.greedy import greedy_offsets, stack
from planner.interference import Interference, alive_together

UNLIMITED = without_shared_limit("h100")


def _problem(buffers, capacity=10 ** 6):
    return PlanningProblem(tuple(buffers), device=UNLIMITED, shared_capacity=capacity, block_size=1)


@st.composite
def _alive_together(draw):
    """Buffers that all hold the program point 5, some with a second interval, some of size 0."""
    buffers = []
    for i in range(draw(st.integers(1, 8))):
        lifetime = [(draw(st.integers(0, 5)), draw(st.integers(6, 9)))]
        if draw(st.booleans()):
            lifetime.append((draw(st.integers(11, 12)), 13))
        buffers.append(Buffer(f"b{i}", draw(st.integers(0, 6)), "shared", lifetime=tuple(lifetime)))
    return _problem(buffers)


@settings(max_examples=60, deadline=None)
@given(_alive_together(), st.one_of(st.none(), st.integers(0, 30)))
def test_buffers_alive_together_stack_as_greedy_lays_them_out(problem, limit):
    names = [b.name for b in problem.planned]
    assert alive_together(problem, names)
    assert stack(problem, names, limit) == greedy_offsets(problem, names, Interference(problem, names), limit)


def test_alive_together_needs_one_point_for_all():
    chain = _problem([Buffer("a", 1, "shared", lifetime=((0, 2),)), Buffer("b", 1, "shared", lifetime=((1, 3),)),
                      Buffer("c", 1, "shared", lifetime=((0, 1), (2, 3)))])  # pairwise alive together, never all
    assert not alive_together(chain, ["a", "b", "c"])
    assert alive_together(chain, ["a", "b"]) and alive_together(chain, ["c"])


def _all_alive(n, pinned=True):
    return [Buffer(f"b{i}", (7 * i) % 11, "shared" if pinned or i % 3 == 0 else "auto", lifetime=((0, 10),),
                   weight=1.0 + i % 4) for i in range(n)]


@pytest.fixture
def no_graph(monkeypatch):
    """Building an interference graph fails the test."""
    def refuse(*_, **__):
        raise AssertionError("an interference graph was built")
    monkeypatch.setattr(interference.Interference, "__init__", refuse)


@pytest.mark.parametrize("planner", ["cpsat", "greedy", "sequential"])
def test_buffers_all_alive_plan_without_an_interference_graph(no_graph, planner):
    problem = _problem(_all_alive(300))
    plan = solve(problem, planner, time_limit_s=5.0)
    plan.verify(problem)
    total = sum(b.size_elems for b in problem.planned)
    assert plan.shared_elements == total == plan.provenance.lower_bound
    if planner == "cpsat":
        assert plan.provenance.status == "OPTIMAL"


@pytest.mark.parametrize("planner", ["cpsat", "greedy", "sequential"])
def test_auto_buffers_all_alive_choose_without_an_interference_graph(no_graph, planner):
    problem = _problem(_all_alive(30, pinned=False), capacity=60)
    plan = solve(problem, planner, time_limit_s=1.0, workers=1)
    plan.verify(problem)
    assert plan.shared_elements <= 60


def _greedy_not_optimal():
    """All pinned, not all alive at once: greedy peaks at 11, the live size (and CP-SAT's layout) at 10."""
    spans = {"b0": (5, (1, 2)), "b1": (3, (2, 4)), "b2": (1, (5, 7)), "b3": (3, (2, 3)), "b4": (4, (3, 5)),
             "b5": (3, (1, 4))}
    return _problem([Buffer(n, size, "shared", lifetime=(lt,)) for n, (size, lt) in spans.items()])


@pytest.fixture
def graphs_built(monkeypatch):
    """A list that grows by one for each interference graph built."""
    built, init = [], interference.Interference.__init__

    def counting(self, problem, names):
        built.append(list(names))
        init(self, problem, names)
    monkeypatch.setattr(interference.Interference, "__init__", counting)
    return built


def test_cpsat_past_its_deadline_returns_greedys_layout_without_a_graph_or_model(graphs_built, monkeypatch):
    def refuse(*_, **__):
        raise AssertionError("a CP-SAT model was built past the deadline")
    monkeypatch.setattr(cpsat, "_Model", refuse)
    problem = _greedy_not_optimal()
    plan = cpsat.plan_cpsat(problem, time_limit_s=1e-9, workers=1)  # the deadline passes during greedy's hint
    assert len(graphs_built) == 1  # greedy's own; was 2: CP-SAT's components were built too
    assert plan.provenance.status == "GREEDY_FALLBACK"
    assert plan.shared_elements == 11 and plan.provenance.lower_bound == 10
    greedy = selection.choose_greedily(problem, greedy_offsets)
    assert {p.name: p.offset_elems for p in plan.buffers} == greedy
    plan.verify(problem)


def test_cpsat_past_its_deadline_without_a_greedy_layout_says_so(monkeypatch):
    monkeypatch.setattr(cpsat, "choose_greedily", lambda *_, **__: (_ for _ in ()).throw(
        cpsat.InfeasibleError("greedy overshoots")))
    monkeypatch.setattr(cpsat, "_Model", lambda *_: pytest.fail("a CP-SAT model was built past the deadline"))
    with pytest.raises(cpsat.InfeasibleError, match="no layout of the buffers pinned shared within 1000000 elements "
                                                    "per thread was found in the time limit"):
        cpsat.plan_cpsat(_greedy_not_optimal(), time_limit_s=1e-9, workers=1)


def test_cpsat_with_greedy_at_the_bound_builds_no_second_graph(graphs_built):
    blocks = _problem([Buffer(f"c{i}", 1 + i % 5, "shared", lifetime=((i // 3 * 2, i // 3 * 2 + 2),))
                       for i in range(60)])  # 20 blocks of 3 apart in time: greedy stacks each
    plan = solve(blocks, "cpsat", time_limit_s=10.0)
    assert len(graphs_built) == 1  # was 2
    assert plan.provenance.status == "OPTIMAL" and plan.shared_elements == plan.provenance.lower_bound


def test_greedy_with_every_buffer_pinned_grows_no_subgraph(monkeypatch):
    monkeypatch.setattr(selection, "SubGraph", lambda *_: pytest.fail("a SubGraph copied the pinned buffers' graph"))
    problem = _greedy_not_optimal()
    assert max(off + problem.by_name()[n].size_elems
               for n, off in selection.choose_greedily(problem, greedy_offsets).items()) == 11


class _LateClock:
    """``time`` for cpsat whose first reading is 0 s and every later one 2 s: a deadline at 1 s passes between."""

    def __init__(self):
        self.readings = 0

    def perf_counter(self):
        self.readings += 1
        return 0.0 if self.readings == 1 else 2.0


def test_model_building_checks_the_deadline_while_adding_live_size_constraints(monkeypatch):
    """The redundant live-size constraints (a sum per program point over the auto buffers alive) are
    quadratic on dense problems: their loop reads the clock too, not only the loop over buffers."""
    problem = _problem([Buffer(f"a{i}", 2 + i % 3, "auto", lifetime=((i, i + 5),)) for i in range(20)], capacity=9)
    names = [b.name for b in problem.planned]
    facts = {"sizes": problem.by_name(), "lifetimes": interference._lifetimes(problem), "floor": 0,
             "degree": Interference(problem, names).degree, "goal": "min-peak"}
    monkeypatch.setattr(cpsat, "time", _LateClock())
    with pytest.raises(cpsat._OutOfTime):
        cpsat._Model(problem, names, set(), facts, deadline=1.0)
