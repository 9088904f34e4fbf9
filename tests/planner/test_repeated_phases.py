"""A buffer spanning invocations of a child that a phase runs ``times`` times (a Newton iteration's carried value).

The timeline embeds the repetitions once; a value carried from one repetition to the next must still be
alive over all of them, so no other buffer of the child may take its addresses in between. Until
2026-12-05 (a user's trial) it got only its per-invocation lifetime, and a scratch buffer overlapped it.
"""

import pytest

from planner import Buffer, BufferSettings, Location, Phase, solve


def _leaf():
    return BufferSettings("leaf", phases=(Phase("p"), Phase("q")),
                          buffers=(Buffer("tmp", 4, lifetime=(("p", "p"),), location=Location.SHARED),
                                   Buffer("keep", 4, lifetime=(("q", "q"),), spans_invocations=1,
                                          location=Location.SHARED)))


def _looped(times=3):
    return BufferSettings("root", phases=(Phase("iterate", invokes="leaf", times=times), Phase("done")),
                          buffers=(Buffer("x", 1, lifetime=(("done", "done"),)),), children=(_leaf(),))


def _unrolled():
    phases = tuple(Phase(f"i{k}", invokes="leaf") for k in range(3)) + (Phase("done"),)
    return BufferSettings("root", phases=phases, buffers=(Buffer("x", 1, lifetime=(("done", "done"),)),),
                          children=(_leaf(),))


def _execution(tree):
    """Each buffer's alive steps when the tree runs, repetitions unrolled: {name: set of steps}, found
    from the declarations alone (not from the planner's lifetimes).  A buffer spanning k levels lives from
    its first to its last use within one invocation of its ancestor k levels up."""
    uses, clock, count = {}, [0], [0]

    def run(component, prefix, path):
        steps, kids = {}, {c.component: c for c in component.children}
        for phase in component.phases:
            first = clock[0]
            for _ in range(phase.times):
                for child in phase.invokes:
                    count[0] += 1
                    run(kids[child], f"{prefix}{child}.", path + (count[0],))
            if not phase.invokes:
                clock[0] += 1
            steps[phase.name] = (first, clock[0])
        for b in component.buffers:
            group = path[:max(1, len(path) - b.spans_invocations)] if b.spans_invocations else path
            for span in b.lifetime:
                uses.setdefault(prefix + b.name, {}).setdefault(group, []).append(
                    (steps[span.first][0], steps[span.last][1]))
    run(tree, f"{tree.component}.", (0,))
    return {name: {t for group in groups.values()
                   for t in range(min(i[0] for i in group), max(i[1] for i in group))}
            if any(b.spans_invocations for b in tree.qualified_buffers() if b.name == name)
            else {t for group in groups.values() for lo, hi in group for t in range(lo, hi)}
            for name, groups in uses.items()}


def _no_overlap_while_alive(tree, plan):
    """Independent check: two shared buffers alive at a common executed step never share an address."""
    alive = _execution(tree)
    shared = [b for b in plan.buffers if b.placement.value == "shared" and b.size_elems]
    for i, a in enumerate(shared):
        for b in shared[i + 1:]:
            if alive[a.name] & alive[b.name]:
                apart = (a.offset_elems + a.size_elems <= b.offset_elems
                         or b.offset_elems + b.size_elems <= a.offset_elems)
                assert apart, f"{a.name} and {b.name} are alive together but overlap in shared memory"


@pytest.mark.parametrize("planner", ["cpsat", "greedy", "sequential"])
def test_carried_buffer_is_not_overlapped_by_the_next_repetitions_scratch(planner):
    tree = _looped()
    plan = solve(tree.to_problem(), planner=planner)
    _no_overlap_while_alive(tree, plan)
    entries = {b.name: b for b in plan.buffers}
    # alive over the whole embedded repetition, as the unrolled tree's keep is over its three copies
    assert entries["root.leaf.keep"].lifetime == ((0, 2),)


def test_repeated_phase_keeps_the_carried_buffer_as_the_unrolled_tree_does():
    looped, unrolled = _looped(), _unrolled()
    for tree in (looped, unrolled):
        _no_overlap_while_alive(tree, solve(tree.to_problem(), planner="cpsat"))
    keep = {t.component: {b.name: b for b in t.qualified_buffers()}["root.leaf.keep"] for t in (looped,)}
    unrolled_keep = {b.name: b for b in unrolled.qualified_buffers()}["root.leaf.keep"]
    # the unrolled keep covers every copy of the leaf (from the first q to the last); the looped one the loop
    assert unrolled_keep.lifetime == ((1, 6),)
    assert keep["root"].lifetime == ((0, 2),)


def test_a_phase_run_once_keeps_the_per_invocation_lifetime():
    # times=1: nothing repeats, the spanning buffer keeps its own phases
    assert {b.name: b for b in _looped(times=1).qualified_buffers()}["root.leaf.keep"].lifetime == ((1, 2),)


def test_a_buffer_not_spanning_keeps_its_per_invocation_lifetime():
    leaf = _leaf()
    leaf = BufferSettings("leaf", leaf.phases, (leaf.buffers[0], Buffer("keep", 4, lifetime=(("q", "q"),))))
    tree = BufferSettings("root", phases=(Phase("iterate", invokes="leaf", times=3), Phase("done")),
                          buffers=(Buffer("x", 1, lifetime=(("done", "done"),)),), children=(leaf,))
    assert {b.name: b for b in tree.qualified_buffers()}["root.leaf.keep"].lifetime == ((1, 2),)


def test_repeated_phase_two_levels_up_widens_a_buffer_spanning_two_levels():
    mid = BufferSettings("mid", phases=(Phase("pre"), Phase("run", invokes="leaf")), children=(
        BufferSettings("leaf", phases=(Phase("p"), Phase("q")),
                       buffers=(Buffer("keep", 2, lifetime=(("q", "q"),), spans_invocations=2),
                                Buffer("one", 2, lifetime=(("q", "q"),), spans_invocations=1))),))
    tree = BufferSettings("root", phases=(Phase("a"), Phase("loop", invokes="mid", times=2), Phase("z")),
                          buffers=(Buffer("x", 1, lifetime=(("a", "z"),)),), children=(mid,))
    buffers = {b.name: b for b in tree.qualified_buffers()}
    # 'loop' spans [1, 4): keep spans mid's invocations too, so the whole loop; 'one' only its own (q)
    assert buffers["root.mid.leaf.keep"].lifetime == ((1, 4),)
    assert buffers["root.mid.leaf.one"].lifetime == ((3, 4),)
    _no_overlap_while_alive(tree, solve(tree.with_locations({"*": "shared"}).to_problem(), planner="greedy"))
