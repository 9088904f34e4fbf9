"""Declaration mistakes in a component's settings: one ConfigurationError each, naming the argument,
what was expected and what was given (a user's trial, 2026-12-05: raw AttributeErrors and TypeErrors,
buffers planned as ``None.p``, a misleading "interval [1, 1] is empty")."""

import pytest

from planner import Buffer, BufferSettings, ConfigurationError, InfeasibleError, Location, Phase, solve

_X = Buffer("x", 2, lifetime=(("a", "a"),))


def _child():
    return BufferSettings("ch", phases=(Phase("a"),), buffers=(_X,))


@pytest.mark.parametrize("make, needle", [
    (lambda: BufferSettings("c", phases=("a", "b"), buffers=(_X,)),
     r"component 'c' phases: expected Phase objects, like Phase\('residual'\), got 'a'; write Phase\('a'\)"),
    (lambda: BufferSettings("c", phases=Phase("a"), buffers=(_X,)),
     r"component 'c' phases: expected a tuple of Phase, got a single Phase; write phases=\(Phase"),
    (lambda: BufferSettings("c", phases=(Phase("a"),), buffers=_X),
     r"component 'c' buffers: expected a tuple of Buffer, got a single Buffer"),
    (lambda: BufferSettings("c", phases=(Phase("a"),), buffers=({"name": "x", "size": 2},)),
     r"component 'c' buffers: expected Buffer objects, .* got \{'name': 'x', 'size': 2\}; build it with Buffer"),
    (lambda: BufferSettings("r", phases=(Phase("a", invokes="ch"),), children=("ch",)),
     r"component 'r' children: expected BufferSettings objects, .*got 'ch'; pass the child component's "
     r"BufferSettings"),
    (lambda: BufferSettings("r", phases=(Phase("a", invokes="ch"),), children=_child()),
     r"component 'r' children: expected a tuple of BufferSettings, got a single BufferSettings"),
    (lambda: Phase("a", invokes=None),
     r"phase 'a' invokes: expected a child component's name or a tuple of names, .*got None"),
    (lambda: Phase("a", invokes=(_child(),)),
     r"phase 'a' invokes: expected child component names \(strings\), .*name it by its component, invokes='ch'"),
    (lambda: Phase(1), r"Phase name: expected a non-empty string, like Phase\('residual'\), got 1"),
    (lambda: Phase(""), r"Phase name: expected a non-empty string"),
    (lambda: BufferSettings(None, phases=(Phase("a"),), buffers=(_X,)),
     r"BufferSettings component: expected an ASCII identifier .*got None"),
    (lambda: BufferSettings("my comp", phases=(Phase("a"),), buffers=(_X,)),
     r"BufferSettings component: expected an ASCII identifier .*got 'my comp'"),
    (lambda: BufferSettings("a.b", phases=(Phase("a"),), buffers=(_X,)),
     r"BufferSettings component: expected an ASCII identifier .*got 'a.b'"),
    (lambda: BufferSettings("c", phases=(Phase("a"),), buffers=(_X,)).to_problem(blocksize=64),
     r"to_problem: unknown keyword argument 'blocksize' \(did you mean 'block_size'\?\); it takes precision, "
     r"block_size"),
    (lambda: BufferSettings("c", phases=(Phase("a"),), buffers=(Buffer("p", 4, lifetime=(("a", "a"),)),
                                                                 Buffer("v", 2, view_of="p", view_offset_elems=3))),
     r"component 'c' buffer 'v': view \[3, 5\) lies outside its parent 'p' of size 4"),
])
def test_a_declaration_mistake_is_one_configuration_error(make, needle):
    with pytest.raises(ConfigurationError, match=needle):
        make()


def test_a_list_of_phases_buffers_and_children_is_still_accepted():
    tree = BufferSettings("r", phases=[Phase("a", invokes=["ch"])], buffers=[], children=[_child()])
    assert [b.name for b in tree.to_problem().buffers] == ["r.ch.x"]


def test_a_float64_buffer_pinned_shared_in_a_float32_problem_says_what_to_do():
    tree = BufferSettings("m", phases=(Phase("a"),),
                          buffers=(Buffer("x", 2, precision="float64", location=Location.SHARED,
                                          lifetime=(("a", "a"),)),))
    with pytest.raises(InfeasibleError, match=r"'m.x' is pinned shared but its precision float64 differs from the "
                                              r"problem's float32.*pin it local .*or plan the problem at float64"):
        solve(tree.to_problem(precision="float32"), "greedy")
    assert solve(tree.to_problem(precision="float64"), "greedy").shared_elements == 2


def test_a_persistent_buffer_with_a_phase_lifetime_is_refused():
    """persistent=True with lifetime (("a", "a"),) was accepted and the lifetime ignored (a user's trial)."""
    with pytest.raises(ConfigurationError, match=r"buffer 'k': persistent=True with lifetime .*drop the lifetime"):
        Buffer("k", 4, persistent=True, lifetime=(("a", "a"),))
    assert Buffer("k", 4, persistent=True).lifetime == ()


def test_iterables_that_planned_before_are_still_accepted_and_sets_are_not():
    """Generators, map() and dict views were refused by the declaration checks, and had planned fine; a set's
    order (the phases' timeline) changes from process to process; a component name that is no identifier failed
    later, blaming its buffer (regression hunts)."""
    kids = {"ch": _child()}
    tree = BufferSettings("newton_krylov", phases=(Phase(p, invokes="ch") for p in ("a",)),
                          buffers=map(lambda b: b, ()), children=kids.values())
    assert tree.phases == (Phase("a", invokes="ch"),) and tree.children == (kids["ch"],)
    assert [b.name for b in tree.to_problem().buffers] == ["newton_krylov.ch.x"]
    assert Phase("a", invokes=(k for k in kids)).invokes == ("ch",)
    assert Phase("a", invokes=kids.keys()).invokes == ("ch",)
    with pytest.raises(ConfigurationError, match="phases: expected a tuple of Phase"):
        BufferSettings("c", phases={Phase("a"), Phase("b")})
    with pytest.raises(ConfigurationError, match="invokes: expected a child component's name or a tuple"):
        Phase("a", invokes={"ch"})
    for name in ("newton-krylov", "2nd", "étape"):
        with pytest.raises(ConfigurationError, match="expected an ASCII identifier"):
            BufferSettings(name, phases=(Phase("a"),))
