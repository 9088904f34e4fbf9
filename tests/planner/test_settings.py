"""Component settings: nested invocations, spanning lifetimes, repeat weights and pins."""

import pytest

from planner import Buffer, BufferSettings, ConfigurationError, Location, Phase, PhaseSpan, solve


def _lu(spans=0):
    return BufferSettings("lu", phases=(Phase("factor"), Phase("solve")),
                          buffers=(Buffer("factor", 9, lifetime=(PhaseSpan("factor", "solve"),),
                                          spans_invocations=spans, weight=2.0),
                                   Buffer("rhs", 3, lifetime=(PhaseSpan("solve", "solve"),))))


def _dirk(spans=0, times=1):
    newton = BufferSettings("newton", phases=(Phase("iterate", invokes="lu", times=times),),
                            buffers=(Buffer("delta", 3, lifetime=(("iterate", "iterate"),)),),
                            children=(_lu(spans),))
    # Each stage: an explicit phase (one point), then Newton (two points): stage i's solve is [3i+1, 3i+3).
    stages = tuple(p for i in range(3) for p in (Phase(f"explicit_{i}"), Phase(f"stage_{i}", invokes="newton")))
    return BufferSettings("dirk", phases=stages + (Phase("combine"),),
                          buffers=(Buffer("acc", 3, lifetime=(("explicit_0", "combine"),)),),
                          children=(newton,))


def _by_name(settings):
    return {b.name: b for b in settings.qualified_buffers()}


def test_child_buffer_gets_one_interval_per_invocation_by_default():
    buffers = _by_name(_dirk())
    assert buffers["dirk.newton.lu.factor"].lifetime == ((1, 3), (4, 6), (7, 9))
    assert buffers["dirk.newton.lu.rhs"].lifetime == ((2, 3), (5, 6), (8, 9))
    assert buffers["dirk.acc"].lifetime == ((0, 10),)


def test_spanning_buffer_lives_across_every_invocation_of_its_ancestor():
    # spans 2 levels (Newton, then the step): from the first stage's factor to the last stage's solve
    assert _by_name(_dirk(spans=2))["dirk.newton.lu.factor"].lifetime == ((1, 9),)
    # spans 1 level groups by Newton's invocation: one interval per stage, as without spanning here
    assert _by_name(_dirk(spans=1))["dirk.newton.lu.factor"].lifetime == ((1, 3), (4, 6), (7, 9))
    # the levels above it plus the root's own invocation: the whole tree's invocation, as spans=2
    assert _by_name(_dirk(spans=3))["dirk.newton.lu.factor"].lifetime == ((1, 9),)


def test_spanning_more_levels_than_the_tree_has_is_refused():
    # accepted silently until 2026-12-05 (a user's trial): spans_invocations=7 in a tree of three levels
    with pytest.raises(ConfigurationError, match=r"'dirk.newton.lu.factor' spans_invocations: expected at most 3 "
                                                 r"here .*got 5"):
        _dirk(spans=5).to_problem()


def test_a_child_planned_alone_keeps_the_levels_it_spans_once_embedded():
    """A kernel's Newton LU spans 2 levels; planned alone it was refused as spanning more than the tree (a
    regression hunt): the root's own buffers are not checked."""
    lu = BufferSettings("lu", phases=(Phase("factor"), Phase("solve")),
                        buffers=(Buffer("factor", 4, lifetime=(("factor", "solve"),), spans_invocations=2),))
    assert [b.lifetime for b in lu.to_problem().buffers] == [((0, 2),)]


def _disjoint(a, b):
    return a.offset_elems + a.size_elems <= b.offset_elems or b.offset_elems + b.size_elems <= a.offset_elems


def test_spanning_factor_is_not_overlapped_by_buffers_alive_between_stages():
    # A buffer of the explicit phases between stages: dead wherever the per-stage factor is alive.
    gap = Buffer("between", 9, lifetime=(("explicit_1", "explicit_1"),))
    for spans, must_be_disjoint in ((0, False), (2, True)):
        dirk = _dirk(spans=spans)
        dirk = BufferSettings(dirk.component, dirk.phases, dirk.buffers + (gap,), dirk.children)
        problem = dirk.with_locations({"*": "shared"}).to_problem(precision="float64")
        for name in ("greedy", "cpsat"):
            entries = {e.name: e for e in solve(problem, planner=name).buffers}
            factor, between = entries["dirk.newton.lu.factor"], entries["dirk.between"]
            if must_be_disjoint:
                assert _disjoint(factor, between), name
        if not must_be_disjoint:
            # per-invocation factors are free to share the gap buffer's addresses: CP-SAT's peak shows it
            assert solve(problem, planner="cpsat").shared_elements < 9 + 9 + 3 + 3 + 3


def test_repeated_phase_scales_the_child_weights():
    once = _by_name(_dirk(times=1))
    four = _by_name(_dirk(times=4))
    # three stage invocations of Newton, each running the solver `times` times
    assert once["dirk.newton.lu.factor"].weight == pytest.approx(3 * 2.0)
    assert four["dirk.newton.lu.factor"].weight == pytest.approx(3 * 4 * 2.0)
    assert four["dirk.newton.delta"].weight == once["dirk.newton.delta"].weight == pytest.approx(3.0)


def test_with_locations_pins_by_name_and_pattern():
    pinned = _dirk().with_locations({"dirk.newton.*": "local", "dirk.newton.lu.factor": Location.SHARED})
    buffers = _by_name(pinned)
    assert buffers["dirk.acc"].location is Location.AUTO
    assert buffers["dirk.newton.delta"].location is Location.LOCAL
    assert buffers["dirk.newton.lu.rhs"].location is Location.LOCAL
    assert buffers["dirk.newton.lu.factor"].location is Location.SHARED


def test_with_locations_refuses_a_pin_that_matches_nothing():
    with pytest.raises(ConfigurationError, match="matches no buffer"):
        _dirk().with_locations({"dirk.newtn.*": "local"})
    with pytest.raises(ConfigurationError, match="unknown value"):
        _dirk().with_locations({"*": "registers"})


def test_phase_spans_are_their_own_type():
    buffer = Buffer("x", 2, lifetime=(("a", "b"),))
    assert buffer.lifetime == (PhaseSpan("a", "b"),)
    with pytest.raises(ConfigurationError, match="cannot be mixed"):
        Buffer("x", 2, lifetime=(PhaseSpan("a", "b"), (0, 1)))
    with pytest.raises(ConfigurationError, match="times"):
        Phase("p", times=0)


def test_a_pin_that_names_only_views_is_refused_with_the_parent_to_pin():
    """A user's trial: a pin on a view was silently dropped (views lie where their parent does)."""
    tree = BufferSettings("erk", phases=(Phase("a"), Phase("b")),
                          buffers=(Buffer("k", 6, lifetime=(("a", "b"),)),
                                   Buffer("k_1", 3, view_of="k", view_offset_elems=3)))
    with pytest.raises(ConfigurationError, match=r"'erk.k_1' names only views \(erk.k_1\).*pin the parent "
                                                 r"instead: 'erk.k'"):
        tree.with_locations({"erk.k_1": "shared"})
    assert _by_name(tree.with_locations({"erk.*": "shared"}))["erk.k"].location is Location.SHARED
