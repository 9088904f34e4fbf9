"""The Integrator plans once, builds once per layout, and reuses both; results pickle."""

import inspect
import math
import pickle

import numpy as np
import pytest

import kernels
import planner
from planner import Plan

LORENZ = kernels.lorenz()
PARAMS = np.array([[10.0, 28.0, 8.0 / 3.0]])


def _integ(**kw):
    return kernels.Integrator(LORENZ, "tsit5", precision=np.float64, **kw)


def test_built_once_per_layout_and_two_plans_coexist():
    integ = _integ()
    plan_a, plan_b = integ.plan("local", block_size=32), integ.plan("shared", block_size=32)
    assert plan_a.digest != plan_b.digest
    kernel_a = integ.build(plan_a)
    assert integ.build(plan_a) is kernel_a
    plan_a_again = Plan.from_json(plan_a.to_json())  # a new, equal Plan object: same layout, same kernel
    assert plan_a_again is not plan_a and integ.build(plan_a_again).kernel is kernel_a.kernel
    # another block size and another planner with the same layout share the compiled kernel too
    assert integ.build(integ.plan("local", block_size=64)).kernel is kernel_a.kernel
    assert kernels.layout_digest(plan_a) == kernels.layout_digest(integ.plan("local", block_size=64))
    kernel_b = integ.build(plan_b)
    assert kernel_b.kernel is not kernel_a.kernel
    pid = kernels.Integrator(LORENZ, "tsit5", controller="pid", precision=np.float64)
    assert pid.build(pid.plan("local", block_size=32)).kernel is not kernel_a.kernel
    common = dict(precision=np.float64, t_eval=[0.1, 0.2])
    a = integ.solve((0.0, 0.2), [1.0, 1.0, 1.0], PARAMS, plan=plan_a, t_eval=[0.1, 0.2])
    b = integ.solve((0.0, 0.2), [1.0, 1.0, 1.0], PARAMS, plan=plan_b, t_eval=[0.1, 0.2])
    again = kernels.solve_ivp(LORENZ, (0.0, 0.2), [1.0, 1.0, 1.0], PARAMS, plan=plan_a, **common)
    np.testing.assert_allclose(a.y, b.y, rtol=1e-12)
    np.testing.assert_array_equal(a.y, again.y)
    assert a.plan is plan_a and b.plan is plan_b


def test_plans_are_solved_once_and_solve_ivp_reuses_the_systems_integrator():
    integ = _integ()
    assert integ.plan("auto", block_size=8) is integ.plan("auto", block_size=8)
    assert kernels.integrator_for(LORENZ, "tsit5", None, np.float64) is \
        kernels.integrator_for(LORENZ, "TSIT5", None, np.float64)
    other = kernels.lorenz()
    assert kernels.integrator_for(other, "tsit5") is not kernels.integrator_for(LORENZ, "tsit5")


def test_pins_reach_the_plan():
    integ = _integ()
    plan = integ.plan("auto", block_size=8, pins={"loop.erk.*": "shared", "loop.state": "local"})
    placements = {b.name: b.placement for b in plan.buffers if b.view_of is None}
    assert placements["loop.erk.stage_rhs"] is planner.Placement.SHARED
    assert placements["loop.state"] is planner.Placement.PERSISTENT_LOCAL
    with pytest.raises(kernels.ConfigurationError, match="matches no buffer"):
        integ.plan("auto", block_size=8, pins={"loop.dirk.*": "shared"})


def test_the_order_of_pins_is_part_of_the_cached_plan():
    """A later pin wins where two match; the plan cache once sorted the pins, so the second order asked of one
    Integrator got the first order's plan (a user's trial)."""
    integ = _integ()
    step_shared = {"*": "local", "loop.erk.*": "shared"}
    all_local = {"loop.erk.*": "shared", "*": "local"}
    for pins, shared in ((all_local, False), (step_shared, True), (all_local, False)):
        plan = integ.plan("greedy", block_size=8, pins=pins)
        placed = {b.name: b.placement for b in plan.buffers}
        assert (placed["loop.erk.stage_rhs"] is planner.Placement.SHARED) is shared, pins
        assert (plan.shared_bytes_per_block > 0) is shared

def test_repeated_solve_reuses_outputs_and_constants():
    from numba import cuda

    integ = _integ()
    y0 = cuda.to_device(np.ones((2, 3)))
    params = cuda.to_device(np.tile(PARAMS, (2, 1)))
    first = integ.solve((0.0, 0.1), y0, params, t_eval=[0.05, 0.1])
    second = integ.solve((0.0, 0.1), y0, params, t_eval=[0.05, 0.1], out=first)
    assert second.y is first.y and second.status is first.status
    np.testing.assert_array_equal(second.y.copy_to_host(), first.y.copy_to_host())
    # t_eval, two driver stand-ins and the tolerances (atol and rtol are equal: one copy), kept
    assert len(integ._constants) == 4
    with pytest.raises(kernels.ConfigurationError, match="out.y must be a device array of shape"):
        integ.solve((0.0, 0.1), y0, params, t_eval=[0.1], out=first)


def test_results_pickle():
    res = kernels.solve_ivp(LORENZ, (0.0, 0.1), [1.0, 1.0, 1.0], PARAMS, precision=np.float64)
    back = pickle.loads(pickle.dumps(res))
    np.testing.assert_array_equal(back.y, res.y)
    assert back.message(0) == res.message(0) and back.plan == res.plan
    assert isinstance(back.status_messages, dict)


def test_planner_errors_are_kernel_errors():
    assert kernels.KernelError is planner.BufferplanError
    assert kernels.ConfigurationError is planner.ConfigurationError
    with pytest.raises(kernels.KernelError):
        planner.get_device("no-such-gpu")


def test_resources_need_the_cuda_target_on_the_simulator():
    if kernels.backend() == "cuda":
        pytest.skip("the simulator's message")
    integ = _integ()
    with pytest.raises(kernels.ConfigurationError, match="NUMBA_ENABLE_CUDASIM=0"):
        integ.build(integ.plan("local", block_size=8)).resources()


def test_progress_is_shown_when_asked_and_results_are_unchanged(capsys):
    integ = _integ()
    params = np.tile(PARAMS, (6, 1))
    quiet = integ.solve((0.0, 0.05), [1.0, 1.0, 1.0], params, plan="local", block_size=2, progress=False)
    assert capsys.readouterr().err == ""
    loud = integ.solve((0.0, 0.05), [1.0, 1.0, 1.0], params, plan="local", block_size=2, progress=True)
    err = capsys.readouterr().err
    assert "6/6 trajectories" in err and err.endswith("\n")
    np.testing.assert_array_equal(loud.y, quiet.y)
    np.testing.assert_array_equal(loud.n_steps, quiet.n_steps)
    auto = integ.solve((0.0, 0.05), [1.0, 1.0, 1.0], params, plan="local", block_size=2)  # fast: silent
    assert capsys.readouterr().err == ""
    np.testing.assert_array_equal(auto.y, quiet.y)


def test_a_matrix_beyond_cudas_local_limit_names_the_way_out():
    """300 states with a dense LU in float64 (720 KB a thread) cannot launch: say so and name solver='gmres'."""
    n = 300

    def decay(t, y, p, dydt):
        for i in range(n):
            dydt[i] = -y[i]

    system = kernels.ODESystem(decay, n, check=False, name="decay300")
    integ = kernels.Integrator(system, "rodas4", precision=np.float64, solver="dense")
    with pytest.raises(kernels.ConfigurationError, match=r"512 KiB.*solver='gmres'"):
        integ.plan("auto")


def test_radau_past_the_local_limit_is_not_told_to_take_a_solver_it_lacks():
    """radau with a dense LU at 200 states (1.9 MB a thread) was told to take gmres, which radau refuses, and to
    put buffers in shared memory, which holds 227 KiB at most (a user's trial)."""
    integ = kernels.Integrator(kernels.brusselator(200), "radau", controller="fixed", precision=np.float64,
                               solver="dense")
    with pytest.raises(kernels.ConfigurationError) as info:
        integ.plan("auto")
    text = str(info.value)
    assert "shared memory cannot take the excess (at most 232448 B a block" in text
    assert "they solve with an LU only: solver='lu' (the default) takes a sparse LU" in text
    assert "solver='dense' forces the dense factor: drop it" in text
    with pytest.raises(kernels.ConfigurationError, match=r"even a block of one thread cannot hold them.*"
                                                         r"use plan='auto'$"):  # and no smaller block_size
        integ.plan("shared", block_size=1)


def test_a_shared_plan_too_large_for_its_block_names_the_block_size_that_fits():
    """plan='shared' at block 128 said 'lower block_size' (a GPU battery: vern9 on 64 states in float64): it now
    says how far; that block size plans and the next does not."""
    integ = kernels.Integrator(kernels.oscillator_chain(32), "vern9", precision=np.float64)
    with pytest.raises(kernels.ConfigurationError, match=r"block_size <= 20 fits them \(below 32 a warp runs "
                                                         r"part-empty\), or pin some buffers local"):
        integ.plan("shared", block_size=128, device="h200")
    assert integ.plan("shared", block_size=20, device="h200").block_size == 20
    with pytest.raises(kernels.ConfigurationError):
        integ.plan("shared", block_size=21, device="h200")


def test_a_plan_as_its_json_dict_is_read_and_a_plan_file_is_named(tmp_path):
    """plan=plan.to_json() (json.load of a saved plan) gave "unhashable type: 'dict'"; a path gave the list of
    choices without saying how to read the file."""
    import json

    integ = _integ()
    plan = integ.plan("local")
    kw = dict(t_span=(0.0, 0.05), y0=[1.0, 1.0, 1.0], params=PARAMS)
    expected = integ.solve(**kw, plan=plan)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan.to_json()))
    for given in (plan.to_json(), json.loads(path.read_text())):
        result = integ.solve(**kw, plan=given)
        assert result.plan == plan
        np.testing.assert_array_equal(result.y, expected.y)
    assert integ.plan(plan.to_json()) == plan
    for given in (str(path), path):
        with pytest.raises(kernels.ConfigurationError, match=rf"is a file; .*planner\.load_plan\('{path}'\)"):
            integ.solve(**kw, plan=given)
    with pytest.raises(kernels.ConfigurationError, match=r"its JSON dict \(a saved plan: planner\.load_plan\(path\)\)"):
        integ.solve(**kw, plan="nowhere.json")
    with pytest.raises(kernels.ConfigurationError, match="malformed plan JSON"):
        integ.solve(**kw, plan={"buffers": []})


def test_out_of_another_precision_names_the_dtype_it_got():
    from numba import cuda

    y0, params = np.ones((2, 3)), np.tile(PARAMS, (2, 1))
    float64 = _integ().solve((0.0, 0.1), cuda.to_device(y0), cuda.to_device(params), t_eval=[0.1])
    float32 = kernels.Integrator(LORENZ, "tsit5", precision=np.float32)
    with pytest.raises(kernels.ConfigurationError, match=r"out.y must be a device array of shape \(2, 1, 3\) and dtype "
                                                         r"float32 .*; got \w+ of shape \(2, 1, 3\) and dtype float64"):
        float32.solve((0.0, 0.1), cuda.to_device(y0.astype(np.float32)), cuda.to_device(params.astype(np.float32)),
                      t_eval=[0.1], out=float64)


def _edited(plan, edit):
    """``plan`` after ``edit`` of its JSON dict, as a plan loaded from a hand-edited file."""
    data = plan.to_json()
    edit(data)
    return Plan.from_json(data)


def _overlap(data):
    offsets = {b["name"]: b["offset"] for b in data["buffers"]}
    for b in data["buffers"]:
        if b["name"] == "loop.parameters":  # live all run, as loop.state: the two now share elements
            b["offset"] = offsets["loop.state"]


def test_build_refuses_the_plans_that_solve_refuses_with_the_same_error():
    integ32, integ64 = kernels.Integrator(LORENZ, "tsit5"), _integ()
    shared = integ32.plan("shared", block_size=1)
    bad = {"totals": (integ32, _edited(shared, lambda d: d["totals"].update(shared_bytes_per_block=4))),
           "overlap": (integ32, _edited(shared, _overlap)),
           "precision": (integ64, integ32.plan("local", block_size=1))}
    for case, (integ, plan) in bad.items():
        with pytest.raises(kernels.PlanMismatchError) as built:
            integ.build(plan)
        with pytest.raises(kernels.PlanMismatchError) as solved:
            integ.solve((0.0, 0.1), [1.0, 1.0, 1.0], PARAMS, plan=plan)
        assert str(built.value) == str(solved.value), case
        assert "plan does not match" in str(built.value)
    assert integ32.build(shared).plan is shared  # a sound plan still builds, as given


@pytest.mark.parametrize("plan, pins, words", [
    ([], None, "plan must be one of ['auto', 'local', 'shared'"),
    (3, None, "plan must be one of"),
    ("greedy", ["loop.state"], "pins must map qualified buffer names or patterns to 'local' or 'shared'"),
    ("greedy", {"loop.state": ["local"]}, "pins must map"),
    ("greedy", {1: "local"}, "pins must map"),
])
def test_a_plan_or_pins_of_the_wrong_type_is_named(plan, pins, words):
    with pytest.raises(kernels.ConfigurationError) as info:
        _integ().plan(plan, block_size=1, pins=pins)
    assert words in str(info.value)
    with pytest.raises(kernels.ConfigurationError, match="pins apply when a plan is made"):  # not ignored
        _integ().plan(_integ().plan("local", block_size=1), pins={"*": "shared"})
    with pytest.raises(kernels.ConfigurationError, match=r"block_size must be an integer >= 1; got \[1\]"):
        _integ().plan(_integ().plan("local", block_size=1), block_size=[1])  # a Plan's check too (was unhashable)


@pytest.mark.parametrize("call, words", [
    (lambda: kernels.Integrator(LORENZ, "rk4", check=False),
     "unexpected keyword argument 'check': 'check' is an argument of kernels.ODESystem(...), not of "
     "kernels.Integrator(...)"),
    (lambda: kernels.Integrator(LORENZ, "rk4", rtol=1e-6), "'rtol' is an argument of Integrator.solve"),
    (lambda: kernels.Integrator(LORENZ, "rk4", precission=np.float64), "did you mean 'precision'?"),
    (lambda: _integ().plan("local", blocksize=1), "unexpected keyword argument 'blocksize': did you mean 'block_size'?"),
    (lambda: _integ().plan("local", method="rk4"), "'method' is an argument of kernels.Integrator(...)"),
    (lambda: _integ().build(_integ().plan("local", block_size=1), max_regs=64), "did you mean 'max_registers'?"),
    (lambda: _integ().build(_integ().plan("local", block_size=1), block_size=2),
     "'block_size' is an argument of Integrator.plan and Integrator.solve, not of Integrator.build"),
    (lambda: _integ().solve((0.0, 0.1), [1.0, 1.0, 1.0], PARAMS, rtoll=1e-6), "did you mean 'rtol'?"),
    (lambda: kernels.plan_for(LORENZ, "rk4", blocksize=1), "did you mean 'block_size'?"),
    (lambda: kernels.plan_for(LORENZ, "rk4", rtol=1e-6), "'rtol' is an argument of kernels.solve_ivp"),
])
def test_an_unknown_keyword_is_a_configuration_error_that_names_it(call, words):
    with pytest.raises(kernels.ConfigurationError) as info:
        call()
    assert words in str(info.value)


def test_signatures_stay_explicit():
    assert list(inspect.signature(kernels.Integrator).parameters)[:4] == ["system", "method", "controller",
                                                                        "precision"]
    assert list(inspect.signature(kernels.Integrator.plan).parameters) == ["self", "plan", "block_size", "device",
                                                                          "pins"]
    with pytest.raises(TypeError):  # not a keyword: Python's own error stands
        _integ().plan("local", 1, None, None, "extra")


def test_integrators_built_and_solved_in_threads_give_the_sequential_results():
    # On the simulator a launch swaps `cuda` in our modules' globals: another thread's build or launch failed
    # ("'FakeCUDAModule' object has no attribute 'jit'"); builds and launches now take turns there.
    import concurrent.futures

    def job(method):
        integ = kernels.Integrator(LORENZ, method, precision=np.float64)
        return integ.solve((0.0, 0.05), [1.0, 1.0, 1.0], np.tile(PARAMS, (2, 1)),
                           dt=0.01 if method == "rk4" else None).y

    methods = ["rk4", "tsit5", "bs3", "heun"]
    alone = [job(m) for m in methods]
    with concurrent.futures.ThreadPoolExecutor(len(methods)) as pool:
        together = list(pool.map(job, methods))
    for mine, theirs in zip(together, alone):
        np.testing.assert_array_equal(mine, theirs)


def _sine_forced(t, y, p, dydt):
    dydt[0] = -y[0] + math.sin(t)


def test_an_sdirk_plan_of_the_other_step_form_says_why_it_does_not_fit():
    """sdirk4 on a rhs that reads t runs its step-start form adaptive and the SDIRK at fixed steps: a plan of one in
    a solve of the other said only "the plan was made for another problem" (a regression hunt)."""
    system = kernels.ODESystem(_sine_forced, 1, name="sine_forced")
    fixed = kernels.Integrator(system, "sdirk4", controller="fixed", precision=np.float64).plan("local")
    adaptive = kernels.Integrator(system, "sdirk4", precision=np.float64)
    with pytest.raises(kernels.PlanMismatchError, match=r"sdirk2 and sdirk4 run their step-start form, with one "
                                                        r"stage more and an fsal_cache"):
        adaptive.solve((0.0, 0.1), [0.0], plan=fixed, progress=False)
    with pytest.raises(kernels.PlanMismatchError) as info:  # another method's mismatch gets no such note
        kernels.Integrator(system, "kvaerno5", precision=np.float64).solve((0.0, 0.1), [0.0], plan=fixed,
                                                                           progress=False)
    assert "step-start" not in str(info.value)


def test_a_fixed_step_plan_in_an_adaptive_solve_says_which_controller_it_was_made_for():
    """A user's trial: the mismatch said only "loop.error: plan size 0 != declared 3"."""
    plan = kernels.Integrator(kernels.lorenz(), "tsit5", controller="fixed").plan("local")
    with pytest.raises(kernels.PlanMismatchError, match=r"error estimate, empty for fixed steps: the plan was made "
                                                        r"for the other kind of controller"):
        kernels.Integrator(kernels.lorenz(), "tsit5").solve((0.0, 0.1), [1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0],
                                                             plan=plan, progress=False)


def _decay(t, y, p, dydt):
    dydt[0] = -y[0]


def test_an_integrator_refuses_to_pickle_and_says_what_to_send_instead():
    """pickle.dumps(integrator) raised "TypeError: cannot pickle '_thread.lock' object" (a user's trial)."""
    integ = kernels.Integrator(kernels.ODESystem(_decay, 1, name="decay"), "rk4", precision=np.float64)
    with pytest.raises(kernels.ConfigurationError, match=r"Integrator\(decay, method='rk4'.*\) does not pickle .*"
                                                         r"holds compiled kernels.*pickle its system.*build a new "
                                                         r"kernels\.Integrator\(system, method, \.\.\.\).*client=client"):
        pickle.dumps(integ)
    system = pickle.loads(pickle.dumps(integ.system))  # the advice works: the system pickles, a new one solves
    again = kernels.Integrator(system, integ.method.name, precision=integ.dtype)
    assert again.solve((0.0, 0.1), [1.0], dt=0.05, plan="local").success


def test_a_bare_rhs_function_is_told_how_to_build_a_system():
    """kernels.Integrator(rhs) said only 'system must be an ODESystem; got <function ...>' (a user's trial)."""
    with pytest.raises(kernels.ConfigurationError, match=r"got <function _decay at .*>: build one .* "
                                                         r"kernels\.ODESystem\(_decay, n_states=\.\.\., n_params=\.\.\.\)"):
        kernels.Integrator(_decay, "rk4")


@pytest.mark.parametrize("choice", ["auto", "greedy"])
def test_pins_past_the_shared_budget_are_named_not_plan_auto(choice):
    """plan='auto' with pins={'loop.parameters': 'shared'} over the budget was told "use plan='auto' or a smaller
    block_size" (an epidemiologist's trial): the remedy names the pins to remove or relax, and a smaller block."""
    integ = kernels.Integrator(kernels.oscillator_chain(32), "vern9", precision=np.float64)
    with pytest.raises(kernels.ConfigurationError) as info:
        integ.plan(choice, block_size=128, device="h200", pins={"loop.erk.*": "shared", "loop.state": "shared"})
    text = str(info.value)
    assert text.startswith(f"plan={choice!r}: the buffers do not fit the shared-memory budget")
    assert text.endswith("; remove or relax the pins 'loop.erk.*', 'loop.state' (drop them to let the planner "
                         "choose, or pin them 'local'), or lower block_size")
    assert "use plan='auto'" not in text
    with pytest.raises(kernels.ConfigurationError, match=r"the pin 'loop.erk.\*' \(drop it to let the planner "
                                                         r"choose, or pin it 'local'\), or lower block_size$"):
        integ.plan(choice, block_size=128, device="h200", pins={"loop.erk.*": "shared", "loop.state": "local"})


def _food_web(n):
    nn = n * n

    def rhs(t, y, p, dydt):
        for i in range(n):
            s = p[nn + i]
            for j in range(n):
                s += p[i * n + j] * y[j]
            dydt[i] = y[i] * s
    return kernels.ODESystem(rhs, n_states=n, n_params=nn + n, name=f"food_web_{n}")


def test_auto_leaves_all_local_only_for_more_than_the_move_gain():
    """An ecologist's trial (2026-12-05): Tsit5 on a 100-species food web (float64, block 128) moved its stages to
    shared memory at one block an SM for a predicted 1.8 %, a difference the model does not resolve."""
    integ = kernels.Integrator(_food_web(100), "tsit5", precision=np.float64)
    plan = integ.plan("auto", block_size=128, device="h200")
    assert plan.shared_bytes_per_block == 0, plan.summary()


def test_fixed_steps_of_an_adaptive_method_without_dt_are_told_both_ways_out():
    """controller='fixed' with tsit5 and no dt said only "dt is required ... got None" (a diffrax user's trial),
    where rk4 was told what to do."""
    with pytest.raises(kernels.ConfigurationError, match=r"dt is required for fixed-step integration \(method "
                                                         r"'tsit5', controller 'fixed'\); got None; pass dt=\.\.\., or "
                                                         r"drop controller='fixed' for adaptive steps \(tsit5's "
                                                         r"default\)$"):
        kernels.solve_ivp(kernels.lorenz(), (0.0, 1.0), [1.0, 1.0, 1.0], method="tsit5", controller="fixed",
                          progress=False)


def test_pins_take_planner_locations_as_their_values():
    """integ.plan('local', pins={name: planner.Location.SHARED}) was refused where with_locations takes it (a
    user's trial); a member keys the same cached plan as its string, and AUTO hands a buffer back to the planner."""
    integ = _integ()
    by_member = integ.plan("local", block_size=8, pins={"loop.erk.stage_rhs": planner.Location.SHARED})
    assert by_member is integ.plan("local", block_size=8, pins={"loop.erk.stage_rhs": "shared"})
    placed = {b.name: b.placement for b in by_member.buffers}
    assert placed["loop.erk.stage_rhs"] is planner.Placement.SHARED and placed["loop.state"] is not \
        planner.Placement.SHARED
    unpinned = {"*": planner.Location.LOCAL, "loop.erk.*": planner.Location.AUTO}
    assert integ.plan("auto", block_size=8, pins=unpinned) is \
        integ.plan("auto", block_size=8, pins={"*": "local", "loop.erk.*": "auto"})
    for wrong in (planner.Placement.SHARED, "sharde"):
        with pytest.raises(kernels.ConfigurationError, match=r"to 'local' or 'shared' \(or 'auto' to let the "
                                                             r"planner choose; planner.Location members too\)"):
            integ.plan("local", block_size=8, pins={"loop.state": wrong})


def test_a_plan_past_the_devices_shared_memory_names_the_bytes_and_the_block_size_that_fits():
    """An all-shared plan made for a device without a shared limit at block 1024 was told "plan does not match this
    Integrator's buffers: budget: 132 shared elements per thread exceed the capacity of 27" (a user's trial): its
    buffers match; the block's bytes, the device's and a block size that fits are the news."""
    from planner.device import without_shared_limit

    integ = kernels.Integrator(kernels.oscillator_chain(5), "tsit5", precision=np.float64)
    tree = integ.buffer_settings(pins={"*": "shared"})

    def planned(block_size):
        problem = tree.to_problem(precision="float64", block_size=block_size, device=without_shared_limit("h200"))
        return planner.solve(problem)

    with pytest.raises(kernels.PlanMismatchError) as info:
        integ.solve((0.0, 1.0), np.ones((2, 10)), np.tile([1.0, 0.1], (2, 1)), plan=planned(1024), progress=False)
    text = str(info.value)
    assert text.startswith("the plan needs 1089536 B of shared memory per block at block_size 1024 (132 float64 "
                           "elements a thread), but h200 allows 232448 B per block (27 elements a thread at this "
                           "block_size): it was planned for a device with more shared memory"), text
    assert "block_size 192 fits them" in text and "any block_size <= 218 fits" in text
    assert "let Integrator.plan() place the buffers" in text and "does not match" not in text
    assert integ.plan(planned(218), device="h200").block_size == 218  # what it names fits, one thread more does not
    with pytest.raises(kernels.PlanMismatchError, match="at block_size 219 .* any block_size <= 218 fits"):
        integ.plan(planned(219), device="h200")


def test_a_block_size_given_with_a_plan_of_another_block_size_is_told_to_leave_it_out():
    """solve_ivp(plan=<a Plan made at block size 1>, block_size=64) said "problem-mismatch: plan is for float64/block
    1, problem is float64/block 64. Plan it with Integrator.plan(...) ..., or pass plan='auto'", where leaving out
    block_size (a Plan brings its own) was all it took (a user's trial)."""
    integ = _integ()
    plan = integ.plan("local", block_size=1)
    words = ("plan does not match block_size=64 given with it (lorenz, method 'tsit5', float64): it was made for block "
             "size 1; leave out block_size=64 (a Plan brings its own) or pass block_size=1, or plan again at block "
             "size 64 with Integrator.plan(..., block_size=64)")
    kw = dict(t_span=(0.0, 0.05), y0=[1.0, 1.0, 1.0], params=PARAMS, plan=plan, block_size=64, progress=False)
    for call in (lambda: integ.plan(plan, block_size=64), lambda: integ.solve(**kw),
                 lambda: kernels.solve_ivp(LORENZ, method="tsit5", precision=np.float64, **kw)):
        with pytest.raises(kernels.PlanMismatchError) as info:
            call()
        assert str(info.value) == words
    assert integ.solve(**dict(kw, block_size=None)).plan is plan  # left out, the plan's own block size runs
    with pytest.raises(kernels.PlanMismatchError, match=r"plan is for float32/block 1, problem is float64/block 64"):
        integ.plan(kernels.Integrator(LORENZ, "tsit5").plan("local", block_size=1), block_size=64)  # not the only one
