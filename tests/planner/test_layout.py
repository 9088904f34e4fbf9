"""``BufferSettings.layout``: the plan is verified for the tree, and unknown names are clear errors.

Found by a user's trial (2026-12-04): a hand-edited plan with two live buffers at one address, or
with wrong totals, was laid out; so was a plan made for a tree differing only in a pin or a buffer's
precision; and a misspelt buffer name raised a bare KeyError.
"""

import dataclasses

import pytest

from planner import (Buffer, BufferSettings, ConfigurationError, Location, Phase, Placement, PlanError, Plan,
                     solve)


def _tree(pin=Location.AUTO, precision=None):
    lin = BufferSettings("linsolve", phases=(Phase("factor"), Phase("solve")),
                         buffers=(Buffer("lu", 16, lifetime=(("factor", "solve"),), weight=4.0),
                                  Buffer("piv", 4, lifetime=(("factor", "solve"),), location=pin, precision=precision)))
    newton = BufferSettings("newton", phases=(Phase("residual"), Phase("linear", invokes="linsolve"),
                                              Phase("update")),
                            buffers=(Buffer("residual", 4, lifetime=(("residual", "linear"),), weight=6.0),
                                     Buffer("delta", 4, lifetime=(("linear", "update"),), weight=5.0),
                                     Buffer("trial", 4, lifetime=(("update", "update"),), weight=2.0)),
                            children=(lin,))
    return BufferSettings("loop", phases=(Phase("step", invokes="newton"), Phase("accept")),
                          buffers=(Buffer("state", 4, persistent=True, weight=10.0),),
                          children=(newton,))


def _plan(tree=None):
    tree = tree or _tree()
    plan = solve(tree.to_problem(precision="float64", block_size=64), planner="greedy")
    assert plan.by_name()["loop.newton.linsolve.piv"].placement is Placement.SHARED
    return plan


def _edited(plan, name, **changes):
    return dataclasses.replace(plan, buffers=tuple(dataclasses.replace(p, **changes) if p.name == name else p
                                                   for p in plan.buffers))


def test_layout_refuses_a_plan_whose_buffers_overlap():
    plan = _plan()
    delta, trial = plan.by_name()["loop.newton.delta"], plan.by_name()["loop.newton.trial"]
    assert delta.placement is trial.placement is Placement.SHARED and delta.offset_elems != trial.offset_elems
    assert set(delta.lifetime) & set(trial.lifetime) or any(  # alive together at "update"
        a < d and c < b for a, b in delta.lifetime for c, d in trial.lifetime)
    with pytest.raises(PlanError, match="no-overlap") as info:
        _tree().layout(_edited(plan, "loop.newton.trial", offset_elems=delta.offset_elems))
    assert info.value.rule == "no-overlap"


def test_layout_refuses_a_plan_with_wrong_totals():
    plan = _plan()
    bad = dataclasses.replace(plan, shared_elements=plan.shared_elements + 2)
    with pytest.raises(PlanError, match="totals") as info:
        _tree().layout(bad)
    assert info.value.rule == "totals"


def test_layout_refuses_overlapping_offsets_in_a_plan_read_from_json():
    plan = _plan()
    data = plan.to_json()
    shared = [b for b in data["buffers"] if b["placement"] == "shared" and b.get("view_of") is None]
    first = shared[0]
    for b in shared[1:]:
        if any(a < d and c < e for a, e in first["lifetime"] for c, d in b["lifetime"]):
            b["offset"] = first["offset"]
            break
    else:
        pytest.skip("no two shared buffers alive together")
    with pytest.raises(PlanError, match="no-overlap"):
        _tree().layout(Plan.from_json(data))


@pytest.mark.parametrize("other", [_tree(pin=Location.LOCAL), _tree(precision="float32")],
                         ids=["pinned-local", "other-precision"])
def test_layout_refuses_a_plan_made_for_a_tree_with_other_pins_or_precisions(other):
    with pytest.raises(PlanError, match="piv") as info:
        other.layout(_plan())
    assert info.value.rule == "pin"


def test_layout_accepts_the_plan_of_its_own_tree():
    tree = _tree(precision="float32")
    plan = solve(tree.to_problem(precision="float64", block_size=64))
    layout = tree.layout(plan).child("newton").child("linsolve")
    assert layout.placement("piv") is Placement.LOCAL


@pytest.mark.parametrize("call", [
    lambda lay: lay.placement("residul"),
    lambda lay: lay.local_sizes.nonzero("residul"),
    lambda lay: lay.local_sizes.size("residul"),
    lambda lay: lay.local_sizes["residul"],
    lambda lay: lay.shared_indices["residul"],
    lambda lay: lay.persistent_indices["residul"],
    lambda lay: lay.view("residul"),
], ids=["placement", "nonzero", "size", "local_sizes[]", "shared_indices", "persistent_indices", "view"])
def test_a_misspelt_buffer_name_is_a_configuration_error_with_the_names(call):
    layout = _tree().layout(_plan()).child("newton")
    with pytest.raises(ConfigurationError) as info:
        call(layout)
    message = str(info.value)
    assert "component 'newton' has no buffer 'residul' (did you mean 'residual'?)" in message
    assert "['residual', 'delta', 'trial']" in message


def test_slice_indices_still_read_as_a_dict_and_by_attribute():
    shared = _tree().layout(_plan()).child("newton").shared_indices
    assert "residul" not in shared and shared.get("residul") is None
    assert shared.residual == shared["residual"]
    assert not hasattr(shared, "residul")


def test_a_misspelt_child_suggests_the_closest():
    with pytest.raises(ConfigurationError, match=r"has no child 'linsolv' \(did you mean 'linsolve'\?\); its "
                                                 r"children are \['linsolve'\]"):
        _tree().layout(_plan()).child("newton").child("linsolv")


def test_local_sizes_read_by_name_like_the_dict_its_repr_shows():
    """A user's trial (2026-12-05): ``layout.local_sizes["x"]`` raised TypeError ('not subscriptable')."""
    sizes = _tree().layout(_plan()).child("newton").local_sizes
    assert sizes["residual"] == sizes.size("residual") == 4
    assert "delta" in sizes and "residul" not in sizes and list(sizes) == ["residual", "delta", "trial"]


@pytest.mark.parametrize("wrong, words", [
    (lambda tree, plan: tree.to_problem(), "got a PlanningProblem; solve it first"),
    (lambda tree, plan: plan.to_json(), "got a dict; build one from parsed JSON with planner.Plan.from_json"),
    (lambda tree, plan: "plan.json", "got the path 'plan.json'; read the file with planner.load_plan"),
    (lambda tree, plan: None, "got None"),
], ids=["problem", "dict", "path", "None"])
def test_layout_of_something_else_than_a_plan_names_the_argument(wrong, words):
    """A user's trial (2026-12-05): ``tree.layout(problem)`` raised a raw AttributeError."""
    tree = _tree()
    with pytest.raises(ConfigurationError, match=rf"plan: expected a Plan, {words}"):
        tree.layout(wrong(tree, _plan()))
