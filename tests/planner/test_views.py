"""Views: what a view may declare beside its parent, whose accesses count, and where a local view lies.

Found by a user's trial (2026-12-04): a view's own lifetime, persistence and precision were silently
dropped (another buffer took its addresses; a float64 view of a float32 parent verified), its weight
was ignored when its parent was placed, and a view placed local had no way to its parent's array.
"""

import pytest

from planner import (Buffer, BufferSettings, ConfigurationError, Location, Phase, Placement, PlanningProblem,
                     explain, solve)
from planner.views import ViewWindow


def _tree(view, phases=("a", "b")):
    return BufferSettings("c", phases=tuple(Phase(p) for p in phases),
                          buffers=(Buffer("p", 4, lifetime=(("a", "a"),), location="shared"), view,
                                   Buffer("q", 4, lifetime=(("b", "b"),), location="shared")))


@pytest.mark.parametrize("view, words", [
    (Buffer("tail", 2, view_of="p", view_offset_elems=2, lifetime=(("a", "b"),)), "declares lifetime ('a', 'b')"),
    (Buffer("keep", 2, view_of="p", persistent=True), "declared persistent"),
])
def test_a_view_with_a_lifetime_of_its_own_is_refused_in_the_component(view, words):
    with pytest.raises(ConfigurationError) as info:
        _tree(view)
    message = str(info.value)
    assert f"buffer {view.name!r}" in message and words in message
    assert "declare it on the parent 'p'" in message


def test_a_view_may_repeat_its_parents_lifetime_and_precision():
    tree = BufferSettings("c", phases=(Phase("a"),), buffers=(
        Buffer("p", 4, lifetime=(("a", "a"),), precision="float32"),
        Buffer("v", 2, view_of="p", lifetime=(("a", "a"),), precision="float32")))
    solve(tree.to_problem(precision="float32"), planner="greedy")


def test_a_view_of_another_precision_is_refused_in_the_problem():
    # 4 float64 elements (32 B) inside a float32 parent of 4 (16 B) used to verify
    tree = _tree(Buffer("wide", 4, view_of="p", precision="float64"))
    with pytest.raises(ConfigurationError, match=r"buffer 'c.wide': a view declares precision 'float64', but its "
                                                 r"parent 'c.p' holds float32.*declare it on the parent"):
        tree.to_problem(precision="float32")


@pytest.mark.parametrize("extra, words", [
    ({"lifetime": ((0, 3),)}, "declares lifetime [0, 3)"),
    ({"persistent": True}, "declared persistent"),
    ({"precision": "float64"}, "declares precision 'float64'"),
])
def test_a_problem_view_with_its_own_lifetime_persistence_or_precision_is_refused(extra, words):
    parent = Buffer("p", 4, lifetime=((0, 1),))
    with pytest.raises(ConfigurationError, match=rf"buffer 'v': .*{words.replace('[', '.').replace(')', '.')}"):
        PlanningProblem((parent, Buffer("v", 2, view_of="p", **extra)), precision="float32")


def test_a_view_of_a_view_says_to_point_at_the_parent():
    with pytest.raises(ConfigurationError, match=r"'w': view_of 'v' is not a planned buffer: it is itself a view "
                                                 r"of 'p', and views of views are not supported; point view_of at "
                                                 r"'p' and add 'v''s view offset 1"):
        BufferSettings("c", phases=(Phase("a"),), buffers=(
            Buffer("p", 4, lifetime=(("a", "a"),)), Buffer("v", 2, view_of="p", view_offset_elems=1),
            Buffer("w", 1, view_of="v")))


def test_a_views_default_weight_is_zero_and_a_buffers_one():
    assert Buffer("p", 4, lifetime=((0, 1),)).weight == 1.0
    assert Buffer("v", 2, view_of="p").weight == 0.0
    assert Buffer.from_json({"name": "v", "size": 2, "view_of": "p"}).weight == 0.0
    assert Buffer.from_json({"name": "p", "size": 2, "lifetime": [[0, 1]]}).weight == 1.0


def _weighted(view_weight, parent_weight, objective):
    tree = BufferSettings("c", phases=(Phase("a"),), buffers=(
        Buffer("stages", 12, lifetime=(("a", "a"),), weight=parent_weight),
        Buffer("stage1", 4, view_of="stages", view_offset_elems=4, weight=view_weight),
        Buffer("other", 12, lifetime=(("a", "a"),), weight=1.0)))
    return tree.to_problem(precision="float64", objective=objective).replace(shared_capacity=12)


@pytest.mark.parametrize("objective", ["min-shared", "auto"])
def test_a_views_weight_counts_as_its_parents(objective):
    through_view = solve(_weighted(100.0, 0.0, objective))
    through_parent = solve(_weighted(0.0, 100.0, objective))
    placements = {p.name: p.placement for p in through_view.buffers}
    assert placements == {p.name: p.placement for p in through_parent.buffers}
    if objective == "min-shared":
        assert placements["c.stages"] is Placement.SHARED  # was local: the 100 accesses were not counted
    problem = _weighted(100.0, 0.0, objective)
    assert problem.by_name()["c.stages"].weight == 100.0 and problem.planned[0].weight == 100.0
    assert problem.buffers[0].weight == 0.0  # the declaration (and the problem's JSON) is unchanged
    assert "weight 0" not in explain(through_view, problem).text()


def test_a_local_view_gives_its_parent_and_offset():
    tree = BufferSettings("c", phases=(Phase("a"),), buffers=(
        Buffer("stages", 12, lifetime=(("a", "a"),), location=Location.LOCAL),
        Buffer("stage1", 4, view_of="stages", view_offset_elems=4)))
    layout = tree.layout(solve(tree.to_problem(), planner="greedy"))
    assert layout.placement("stage1") is Placement.LOCAL
    window = layout.view("stage1")
    assert window == ViewWindow("stages", 4, 4) and window.window == slice(4, 8)
    assert layout.view("stages") is None
    local = list(range(layout.local_sizes.nonzero(window.parent)))
    assert local[window.window] == [4, 5, 6, 7]


def test_a_buffer_that_views_itself_is_told_so():
    """view_of naming the buffer itself got the views-of-views advice to do what it already did (a CLI user's
    trial)."""
    with pytest.raises(ConfigurationError, match=r"view_of 'v' names the buffer itself; a buffer cannot be a view of "
                                                 r"itself"):
        PlanningProblem((Buffer("a", 4, lifetime=((0, 2),)), Buffer("v", 2, view_of="v")), block_size=1,
                        shared_capacity=8)


@pytest.mark.parametrize("views, cycle", [
    ((("a", "b"), ("b", "a")), "a -> b -> a"),
    ((("a", "b"), ("b", "c"), ("c", "a")), "a -> b -> c -> a"),
])
def test_a_cycle_of_views_is_named_as_one(views, cycle):
    """A user's trial (2026-12-06): a -> b -> a was told to "point view_of at 'a'", its own name, which is refused."""
    buffers = tuple(Buffer(name, 4, view_of=parent) for name, parent in views)
    with pytest.raises(ConfigurationError, match=rf"buffer 'a': view_of forms a cycle: {cycle}; a view must view a "
                                                 r"planned buffer .*drop view_of from the one that should hold it"):
        PlanningProblem(buffers + (Buffer("p", 4, lifetime=((0, 1),)),))


def test_a_cycle_of_views_in_a_component_is_named_as_one():
    with pytest.raises(ConfigurationError, match=r"component 'c' buffer 'a': view_of forms a cycle: a -> b -> a"):
        BufferSettings("c", phases=(Phase("a"),), buffers=(Buffer("a", 4, view_of="b"), Buffer("b", 4, view_of="a")))


def test_a_chain_of_views_is_pointed_at_its_planned_buffer():
    """A view of a view of a view was told to point at the middle one, itself a view (refused again)."""
    buffers = (Buffer("a", 1, view_of="b", view_offset_elems=1), Buffer("b", 4, view_of="c", view_offset_elems=2),
               Buffer("c", 7, view_of="d", view_offset_elems=1), Buffer("d", 9, lifetime=((0, 1),)))
    with pytest.raises(ConfigurationError, match=r"buffer 'a': view_of 'b' is not a planned buffer: it is itself a "
                                                 r"view of 'c', .*point view_of at 'd' and add the view offsets of "
                                                 r"\['b', 'c'\] \(3 in all\) to this view's"):
        PlanningProblem(buffers)
