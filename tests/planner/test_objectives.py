"""The "auto" objective: the cost model chooses which buffers stay local, the rest is planned as min-shared."""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import Buffer, InfeasibleError, Placement, Plan, PlanningProblem, objectives, solve
from planner.costmodel import local_candidates, predict
from planner.device import without_shared_limit
from model_helpers import UNFITTED_H100


def _problem(buffers, **kw):
    return PlanningProblem(buffers=tuple(buffers), objective="auto", **dict({"device": UNFITTED_H100}, **kw))


def test_small_working_set_stays_local():
    p = _problem([Buffer("a", 8, lifetime=((0, 2),)), Buffer("b", 8, lifetime=((1, 3),)),
                  Buffer("s", 3, persistent=True)])
    plan = solve(p, "cpsat")
    assert plan.shared_elements == 0
    assert {b.name: b.placement for b in plan.buffers} == {
        "a": Placement.LOCAL, "b": Placement.LOCAL, "s": Placement.PERSISTENT_LOCAL}
    assert plan.cost.predicted.spilled_words == 0


def test_a_working_set_that_fits_registers_stays_local_even_when_large():
    # 80 words plus the base fit 255 registers at an occupancy that hides latency: shared would
    # only add access cost (the old fixed 64-word budget sent the lighter buffer to shared).
    p = _problem([Buffer("light", 40, lifetime=((0, 2),), weight=1.0),
                  Buffer("heavy", 40, lifetime=((0, 2),), weight=5.0)])
    plan = solve(p, "cpsat")
    assert plan.shared_elements == 0
    assert plan.cost.predicted.registers < 255


def test_overflow_goes_to_shared_and_heaviest_stay_local():
    # Two 200-element buffers alive together would need about 380 registers: all-local spills.
    # The heavier one per element keeps its registers, the lighter one goes to shared.
    p = _problem([Buffer("light", 200, lifetime=((0, 2),), weight=1.0),
                  Buffer("heavy", 200, lifetime=((0, 2),), weight=5.0)])
    plan = solve(p, "cpsat")
    placed = {b.name: b.placement for b in plan.buffers}
    assert placed == {"heavy": Placement.LOCAL, "light": Placement.SHARED}
    assert plan.cost.predicted.kept_local == ("heavy",)
    assert plan.cost.predicted.spilled_words == 0


def test_float64_counts_two_words_per_element():
    p32 = _problem([Buffer("x", 100, lifetime=((0, 1),), weight=2.0), Buffer("y", 100, lifetime=((0, 1),))])
    p64 = _problem(p32.buffers, precision="float64")
    all_local = ["x", "y"]
    fp32, fp64 = predict(p32, all_local, 0), predict(p64, all_local, 0)
    assert (fp32.local_words, fp64.local_words) == (200, 400)
    assert fp32.spilled_words == 0 and fp64.spilled_words > 0  # 400 words pass the 255 registers
    assert fp64.registers == 255 and fp64.step_cost > fp32.step_cost


def test_pins_are_kept():
    p = _problem([Buffer("pinned", 4, location="shared", lifetime=((0, 1),)), Buffer("free", 4, lifetime=((0, 1),))])
    plan = solve(p, "greedy")
    placed = {b.name: b.placement for b in plan.buffers}
    assert placed == {"pinned": Placement.SHARED, "free": Placement.LOCAL}
    assert plan.provenance.input_hash == p.digest


def test_prediction_round_trips_and_old_plans_load():
    plan = solve(_problem([Buffer("a", 300, lifetime=((0, 2),), weight=3.0), Buffer("b", 8, lifetime=((1, 3),))]))
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert again.cost == plan.cost and again.digest == plan.digest
    data = plan.to_json()
    del data["cost"]
    assert Plan.from_json(data).cost is None and Plan.from_json(data) == plan


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 6), st.integers(1, 4), st.floats(0, 10)),
                min_size=1, max_size=8))
def test_auto_plans_verify_and_beat_the_extremes_by_the_model(specs):
    buffers = [Buffer(f"b{i}", size, lifetime=((start, start + length),), weight=w)
               for i, (size, start, length, w) in enumerate(specs)]
    p = _problem(buffers)
    for planner in ("greedy", "sequential", "cpsat"):
        plan = solve(p, planner, time_limit_s=2.0, workers=1)
        plan.verify(p)
        placed = {b.name: b.placement for b in plan.buffers}
        assert all(placed[n] is Placement.LOCAL for n in plan.cost.predicted.kept_local)
    chosen = solve(p, "greedy").cost.predicted.throughput
    for pin in ("local", "shared"):  # keeping all local or none are candidates: never predicted better
        pinned = p.replace(buffers=tuple(b.relocated(pin) for b in p.buffers), objective="min-shared")
        try:
            other = solve(pinned.replace(objective="auto"), "greedy").cost.predicted.throughput
        except Exception:  # noqa: BLE001 - all-shared over the budget
            continue
        assert chosen >= other * (1 - 1e-9)


def test_a_buffer_held_in_memory_takes_no_registers_and_costs_its_accesses():
    vectors = [Buffer(f"v{i}", 32, lifetime=((0, 2),), weight=64.0) for i in range(3)]
    registers = _problem(vectors + [Buffer("factor", 300, lifetime=((0, 2),), weight=3000.0)])
    memory = _problem(vectors + [Buffer("factor", 300, lifetime=((0, 2),), weight=3000.0, storage="memory")])
    names = [b.name for b in registers.buffers]
    held, stored = predict(registers, names, 0), predict(memory, names, 0)
    assert (held.local_words, stored.local_words) == (396, 96)
    assert held.spilled_words > 0 and stored.spilled_words == 0
    spill, total = registers.device.spill_access_cost, 3 * 64.0 + 3000.0
    assert stored.step_cost == total + spill * 3000.0  # each access to the factor is a load or a store
    # a factor too large to be held whole spills its own words first, however often they are used
    # (its 300 words pass half the register budget by more than the 102 words spilled)
    assert 100 < held.spilled_words < 300 - 0.5 * (255 - 20) / 0.8
    assert abs(held.step_cost - (total + spill * (3000.0 / 300) * held.spilled_words)) < 1e-9


def test_a_factor_held_in_memory_when_shared_is_a_candidate_for_shared_memory_alone():
    """The densest buffer is in every densest-first prefix: a buffer held in memory when shared gets its own set."""
    vectors = [Buffer(f"v{i}", 64, lifetime=((0, 2),), weight=3000.0) for i in range(6)]
    factors = {storage: Buffer("factor", 320, lifetime=((0, 2),), weight=120000.0, storage=storage)
               for storage in ("registers", "memory if shared", "memory")}
    vector_names = frozenset(v.name for v in vectors)
    for storage, factor in factors.items():
        candidates = local_candidates(_problem(vectors + [factor]))
        assert (vector_names in candidates) == (storage != "registers"), storage
        assert frozenset() in candidates and vector_names | {"factor"} in candidates


def test_storage_round_trips_and_is_checked():
    import pytest

    from planner import ConfigurationError, STORAGE_FORMS

    for storage in STORAGE_FORMS:
        b = Buffer("f", 4, lifetime=((0, 1),), storage=storage)
        assert Buffer.from_json(json.loads(json.dumps(b.to_json()))) == b
    assert "storage" not in Buffer("f", 4, lifetime=((0, 1),)).to_json()  # the default is left out
    with pytest.raises(ConfigurationError, match="storage: expected one of"):
        Buffer("f", 4, lifetime=((0, 1),), storage="disk")


def test_local_bytes_off_from_the_prediction_contradict_it_and_correct_the_spill_both_ways():
    """The compiler keeps fewer words live than the model counts (radau at 32 states spilled 250 words where the
    model said 385): the correction lowers the register base until the predicted spill is the compiler's, as it
    raises it where the compiler spilled more."""
    from planner.costmodel import Measured, contradicts, corrected

    problem = _problem([Buffer(f"v{i}", 200, lifetime=((0, 2),), weight=400.0) for i in range(3)]
                       + [Buffer("factor", 100, lifetime=((0, 2),), weight=1000.0, storage="memory")])
    names = [b.name for b in problem.buffers]
    before = predict(problem, names, 0)
    assert before.registers == before.register_limit and before.spilled_words > 0
    assert before.local_bytes == 4 * before.spilled_words + 4 * 100  # spills and the memory-held factor
    for spill_words in (before.spilled_words / 2, before.spilled_words * 1.5):
        local_bytes = int(4 * (spill_words + 100))
        figures = Measured(255, local_bytes, 0, 0, 0, "ptxas", 1, 0.125, 0.0)
        assert contradicts(before, figures)
        after = predict(problem, names, 0, device=corrected(problem.device, problem, before, figures))
        assert abs(after.spilled_words - spill_words) <= 2 and abs(after.local_bytes - local_bytes) <= 8
        assert not contradicts(after, figures)
    close = Measured(255, int(before.local_bytes * 1.05), 0, 0, 0, "ptxas", 1, 0.125, 0.0)
    assert not contradicts(before, close)  # within LOCAL_BYTES_TOLERANCE


def test_skipped_local_sets_give_the_models_next_choice():
    """``skip_local`` (the compiler loop's runner-up): the kept set chosen before is not chosen again, the
    next plan is rated no better by the model, and skipping every candidate is refused."""
    p = _problem([Buffer("light", 200, lifetime=((0, 2),), weight=1.0),
                  Buffer("heavy", 200, lifetime=((0, 2),), weight=5.0)])
    first = solve(p, "cpsat")
    second = solve(p, "cpsat", skip_local=[first.cost.predicted.kept_local])
    second.verify(p)
    assert set(second.cost.predicted.kept_local) != set(first.cost.predicted.kept_local)
    assert second.cost.predicted.throughput <= first.cost.predicted.throughput
    every = local_candidates(p)
    with pytest.raises(InfeasibleError, match="every set of buffers to keep local was skipped"):
        solve(p, "cpsat", skip_local=every)


def test_a_local_set_beyond_cudas_local_limit_is_passed_over_for_shared():
    """A candidate that keeps more than 512 KiB a thread local cannot launch: ``auto`` takes the next one."""
    big = Buffer("factor", 70000, lifetime=((0, 2),), weight=1.0)  # 560 KB in float64
    p = PlanningProblem((big, Buffer("x", 4, lifetime=((0, 2),))), precision="float64", block_size=1,
                        device=without_shared_limit("h100"), shared_capacity=80000, objective="auto")
    plan = solve(p, "cpsat")
    assert plan.by_name()["factor"].placement is Placement.SHARED
    with pytest.raises(InfeasibleError, match="512 KiB"):
        solve(p.replace(shared_capacity=60000), "cpsat")


def _trial_solver(yhist="auto"):
    """A user's made-up solver (a trial): a persistent history, light per element, that the model rates faster
    shared, where the prefixes of the weight-per-element order keep it local with lighter buffers before it."""
    return _problem([
        Buffer("s.k", 18, lifetime=((1, 10),), weight=12.0),
        Buffer("s.ytmp", 6, lifetime=((0, 9),), weight=4.0),
        Buffer("s.err", 6, location="shared", lifetime=((9, 11),), weight=5.0),
        Buffer("s.yhist", 6, location=yhist, persistent=True, weight=2.0),
        Buffer("s.k_tail", 6, view_of="s.k", view_offset_elems=12, weight=1.0),
        Buffer("s.newton.res", 6, lifetime=((1, 9),), weight=40.0),
        Buffer("s.newton.jacbuf", 36, lifetime=((2, 4), (6, 8)), weight=24.0),
        Buffer("s.newton.dx", 6, lifetime=((2, 5), (6, 9)), weight=32.0),
        Buffer("s.newton.lin.lu", 36, lifetime=((2, 4), (6, 8)), weight=80.0, storage="memory"),
        Buffer("s.newton.lin.piv", 6, lifetime=((2, 4), (6, 8)), weight=12.0),
    ], precision="float64", block_size=128, device="h200")


def test_auto_moves_single_buffers_past_the_prefix_search():
    chosen = solve(_trial_solver(), "greedy")
    pinned = solve(_trial_solver(yhist="shared"), "greedy")
    assert chosen.cost.predicted.throughput >= pinned.cost.predicted.throughput
    assert {b.name: b.placement for b in chosen.buffers}["s.yhist"] is Placement.SHARED


# -- the auto search is bounded by a count, not by the clock (a user's trial, 2026-12-05) ---------------
def _many(n=40, seed=3):
    rng = random.Random(seed)
    buffers = []
    for i in range(n):
        start = rng.randrange(0, 60)
        buffers.append(Buffer(f"k.b{i}", rng.randrange(1, 40), lifetime=((start, start + rng.randrange(1, 20)),),
                              weight=rng.random() * 50))
    return PlanningProblem(tuple(buffers), block_size=128, objective="auto")


def test_the_auto_search_stops_at_its_count_whatever_the_clock(monkeypatch):
    problem = _many()
    full = objectives.choose_local(problem)
    assert not full.cut and full.candidates > 5
    monkeypatch.setattr(objectives, "SEARCH_WORK", 5 * len(problem.planned))  # five sets
    bounded = objectives.choose_local(problem, deadline=float("inf"))
    assert (bounded.candidates, bounded.cut) == (5, False)
    assert objectives.choose_local(problem).kept == bounded.kept


def test_an_auto_search_cut_by_the_time_limit_is_reported_so(monkeypatch):
    # a loaded machine: the deadline passes after two sets. It was reported OPTIMAL, with a kept-local set
    # that changed from run to run (87 / 100 / 147 shared elements under --time-limit 3).
    calls = []

    def past(deadline):
        calls.append(deadline)
        return deadline is not None and len(calls) > 2
    monkeypatch.setattr(objectives, "_past", past)
    plan = solve(_many(), "cpsat", time_limit_s=10.0)
    assert plan.provenance.status == "AUTO_TIME_LIMIT"
    plan.verify(_many())
    monkeypatch.undo()
    plans = [solve(_many(), "cpsat", time_limit_s=10.0) for _ in range(2)]
    assert {p.provenance.status for p in plans} == {"OPTIMAL"} and plans[0].digest == plans[1].digest
