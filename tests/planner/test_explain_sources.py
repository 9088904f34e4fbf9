"""``planner explain`` says whose each figure and placement is: the problem's own model, the plan's recorded
prediction, the compiler loop or the plan's planner; and notes recorded occupancy the device model does not give."""

import dataclasses

from planner import Buffer, Plan, PlanningProblem, explain, get_device, solve
from planner.costmodel import CostRecord, Measured, keep_local, predict_plan


def _measured(plan, registers, device="h200"):
    """Measured figures as the compiler loop records them (no local memory)."""
    occ = get_device(device).occupancy(plan.block_size, registers, plan.shared_bytes_per_block)
    return Measured(registers, 0, 0, 0, plan.shared_bytes_per_block, "ptxas", occ.blocks_per_sm, occ.occupancy, 1e-3)


def _compiled(plan, predicted, registers):
    """``plan`` with a cost record the compiler loop would leave: ``predicted``, one compile measuring ``registers``."""
    measured = _measured(plan, registers)
    record = CostRecord(predicted, measured, ((predicted.registers, registers, 0, measured.throughput),), "")
    return dataclasses.replace(plan, cost=record)


def _joint():
    """Two light buffers that the model shares together (the registers they free cross an occupancy step) though
    either alone in shared memory rates slower than all-local (0.93)."""
    return PlanningProblem(buffers=(
        Buffer("c.fixed", 130, location="local", lifetime=((0, 2),), weight=1000.0),
        Buffer("c.a", 8, lifetime=((0, 2),), weight=5.0),
        Buffer("c.b", 8, lifetime=((0, 2),), weight=5.0)), precision="float32", block_size=128, objective="auto",
        device="h200")


def test_a_joint_move_the_compiler_loop_undid_is_its_decision():
    """A performance engineer's trial (2026-12-06): rodas4's compiled plan kept loop.error and loop.tolerances
    local, which the problem's own model shares together; each row said "cost model: kept local", since either
    buffer moved alone rates lower.  The README promises such placements are the compiler loop's."""
    problem = _joint()
    assert {b.name for b in solve(problem, "cpsat").buffers if b.placement.value == "shared"} == {"c.a", "c.b"}
    local = solve(keep_local(problem, {"c.a", "c.b"}), "cpsat")  # the compiler loop's all-local plan
    compiled = _compiled(local, predict_plan(problem, local), 140)
    reasons = {r.name: r.reason for r in explain(compiled, problem).reasons}
    assert reasons["c.a"].startswith("kept local by the compiler loop's measured figures: the problem's own model, "
                                     "solving alone, shares it together with c.b, a joint move"), reasons["c.a"]
    assert "together with c.a" in reasons["c.b"] and "in shared: predicted throughput x0.93" in reasons["c.b"]


def test_the_rows_model_and_the_recorded_prediction_are_named():
    """The same trial: the rows said "step cost ... vs 1910" (the problem's own model) and the predicted line "step
    cost 2167" (the compiler loop's fitted model) with nothing saying whose each was."""
    problem = PlanningProblem(buffers=tuple(Buffer(f"s.b{i}", 100, lifetime=((0, 2),), weight=50.0 * (i + 1))
                                            for i in range(6)), precision="float32", block_size=128,
                              objective="auto", device="h200")
    fitted = dataclasses.replace(get_device("h200"), register_bases=(("default", 200),))
    plan = solve(problem, "cpsat", cost_model=fitted)
    text = explain(_compiled(plan, plan.cost.predicted, 120), problem).text()
    own = predict_plan(problem, plan)
    assert (f"models: the rows above rate moves under the problem's own model (h200, at the plan's 255-register "
            f"cap), which gives this plan {own.registers} registers") in text
    assert f"step cost {own.step_cost:.0f}, throughput" in text and f"vs {own.step_cost:.0f})" in text
    assert "the predicted: line is the plan's recorded prediction, the compiler loop's" in text
    assert "models:" not in explain(solve(problem, "cpsat"), problem).text()  # one model: nothing to tell apart


def test_a_plan_with_no_cost_record_is_its_planners():
    """The same trial: a greedy plan (no cost record, nothing compiled) explained with an auto problem read "shared
    by the compiler loop's measured figures" and "cost model: shared; local rates at most 2% higher"."""
    problem = _joint()
    plan = solve(problem.replace(objective="min-shared"), "greedy")
    assert plan.cost is None
    explained = explain(plan, problem)
    shared = [r.reason for r in explained.reasons if r.placement == "shared"]
    assert shared and all(r.startswith("placed shared by the greedy planner, with no cost record") for r in shared)
    assert "compiler loop" not in explained.text() and "cost model:" not in explained.text()


def test_recorded_occupancy_the_device_does_not_give_is_noted():
    """The same trial: a plan whose cost.predicted.registers was edited to 12 verified and explained with the
    recorded 2 blocks/SM, which the H200 gives for 12 registers only with 6."""
    problem = _joint()
    plan = solve(problem, "cpsat")
    assert not [line for line in explain(plan, problem).text().splitlines() if line.startswith("note:")]
    data = plan.to_json()
    data["cost"]["predicted"]["registers"] = 1 + data["cost"]["predicted"]["registers"] * 3
    tampered = Plan.from_json(data)
    tampered.verify(problem)  # cost is no rule of verify
    p = tampered.cost.predicted
    occ = get_device("h200").occupancy(128, min(p.registers, 255), p.shared_bytes_per_block)
    assert (occ.blocks_per_sm, occ.occupancy) != (p.blocks_per_sm, p.occupancy)
    notes = [line for line in explain(tampered, problem).text().splitlines() if line.startswith("note:")]
    assert notes == [f"note: the recorded prediction's {p.blocks_per_sm} blocks/SM, occupancy {p.occupancy:.3f} "
                     f"(limited by {p.limited_by}) is not what h200's occupancy gives for {p.registers} "
                     f"registers/thread and {p.shared_bytes_per_block} B shared/block at block size 128: "
                     f"{occ.blocks_per_sm} blocks/SM, occupancy {occ.occupancy:.3f} (limited by {occ.limited_by}) "
                     "(a hand-edited record, or one made on another device)"]
    alone = [line for line in explain(tampered).text().splitlines() if line.startswith("note:")]
    assert len(alone) == 1 and "is what no device preset (a100, h100, h200, rtx4090, v100) gives for" in alone[0]
