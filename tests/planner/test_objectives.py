"""The "auto" objective: a register-sized working set stays local, the rest is planned as min-shared."""

from hypothesis import given, settings
from hypothesis import strategies as st

from planner import Buffer, Location, Placement, PlanningProblem, live_peak, solve
from planner.objectives import register_first


def _problem(buffers, **kw):
    return PlanningProblem(buffers=tuple(buffers), objective="auto", **kw)


def test_small_working_set_stays_local():
    p = _problem([Buffer("a", 8, lifetime=((0, 2),)), Buffer("b", 8, lifetime=((1, 3),)),
                  Buffer("s", 3, persistent=True)])
    plan = solve(p, "cpsat")
    assert plan.shared_elements == 0
    assert {b.name: b.placement for b in plan.buffers} == {
        "a": Placement.LOCAL, "b": Placement.LOCAL, "s": Placement.PERSISTENT_LOCAL}


def test_overflow_goes_to_shared_and_heaviest_stay_local():
    # float32: 64 words of registers. Two 40-element buffers alive together cannot both stay local;
    # the heavier one per element keeps its registers.
    p = _problem([Buffer("light", 40, lifetime=((0, 2),), weight=1.0),
                  Buffer("heavy", 40, lifetime=((0, 2),), weight=5.0)])
    plan = solve(p, "cpsat")
    placed = {b.name: b.placement for b in plan.buffers}
    assert placed == {"heavy": Placement.LOCAL, "light": Placement.SHARED}
    assert plan.shared_elements == 40


def test_float64_counts_two_words_per_element():
    p = _problem([Buffer("x", 20, lifetime=((0, 1),)), Buffer("y", 20, lifetime=((0, 1),))],
                 precision="float64")
    # 20 float64 elements are 40 words; two of them are 80 > 64.
    assert sum(b.location is Location.LOCAL for b in register_first(p).buffers) == 1


def test_pins_are_kept():
    p = _problem([Buffer("pinned", 4, location="shared", lifetime=((0, 1),)), Buffer("free", 4, lifetime=((0, 1),))])
    plan = solve(p, "greedy")
    placed = {b.name: b.placement for b in plan.buffers}
    assert placed == {"pinned": Placement.SHARED, "free": Placement.LOCAL}
    assert plan.provenance.input_hash == p.digest


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 6), st.integers(1, 4), st.floats(0, 10)),
                min_size=1, max_size=8))
def test_auto_plans_verify_against_the_original_problem(specs):
    buffers = [Buffer(f"b{i}", size, lifetime=((start, start + length),), weight=w)
               for i, (size, start, length, w) in enumerate(specs)]
    p = _problem(buffers)
    work = register_first(p)
    kept = [b.name for b in work.buffers if b.location is Location.LOCAL]
    assert live_peak(p, kept) <= 64  # float32: one word per element
    for b in p.buffers:  # an auto buffer left out would have overflowed the budget
        if b.name not in kept:
            assert live_peak(p, kept + [b.name]) > 64
    for planner in ("greedy", "sequential", "cpsat"):
        plan = solve(p, planner, time_limit_s=2.0, workers=1)
        plan.verify(p)
        placed = {b.name: b.placement for b in plan.buffers}
        assert all(placed[n] is Placement.LOCAL for n in kept)
