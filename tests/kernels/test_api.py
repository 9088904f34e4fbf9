"""Result messages of kernels.solve_ivp (kernels/api.py, kernels/status_messages.py)."""

import dataclasses
import warnings

import numpy as np
import pytest

import kernels
from kernel_helpers import stiff_pair
from kernels.status_messages import status_messages


def _stiff_pair_jac_one_wrong(t, y, p, J):
    J[0] = -1000.0
    J[1] = 1.0
    J[2] = 1.0  # d f_1 / d y_0 is 0.5: a typo
    J[3] = -1.0


def test_a_successful_run_on_a_flagged_jac_names_it_too():
    """A new user's jac with one wrong entry: the run took 50x the steps and ended 1.4 tolerances off, and its
    message said plain success; failures already named the flagged jac."""
    with pytest.warns(kernels.JacobianCheckWarning):
        system = kernels.ODESystem(stiff_pair, 2, name="pair", jac=_stiff_pair_jac_one_wrong)
    with pytest.warns(kernels.JacobianCheckWarning, match="rodas5p uses the jac of system 'pair'"):
        result = kernels.solve_ivp(system, (0.0, 1.0), [1.0, 1.0], method="rodas5p", precision=np.float64,
                                   rtol=1e-6, atol=1e-9, progress=False)
    assert result.success
    message = result.message(0)
    assert message.startswith(kernels.STATUS_MESSAGES[kernels.Status.SUCCESS])
    assert "The system's jac disagreed with differences of its rhs when the system was built" in message
    assert "a run that succeeds can take many more steps and end outside its tolerances" in message
    with warnings.catch_warnings():  # an explicit method uses no Jacobian: plain success
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        explicit = kernels.solve_ivp(system, (0.0, 0.01), [1.0, 1.0], method="tsit5", precision=np.float64,
                                     progress=False)
    assert explicit.message(0) == kernels.STATUS_MESSAGES[kernels.Status.SUCCESS]


def test_message_names_the_valid_trajectories():
    """res.message(3) with N = 3 and res.message("0") raised NumPy's bare IndexError; now the range is named."""
    res = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.01), np.ones((3, 3)), method="rk4", dt=0.01, progress=False)
    assert res.message(2) == res.message(-1) == res.message(np.int64(0))
    with pytest.raises(IndexError, match=r"trajectory 3 is out of range: this result has N = 3 trajectories, "
                                         r"indices 0\.\.2"):
        res.message(3)
    with pytest.raises(IndexError, match="trajectory -4 is out of range"):
        res.message(-4)
    for wrong in ("0", 1.0, True):
        with pytest.raises(TypeError, match=r"trajectory must be an integer index in 0\.\.2 \(N = 3\); got "):
            res.message(wrong)


def _result(method, precision, n_steps, n_rejected, status, messages=None, linear=None):
    """An IVPResult as a solve leaves it, without the solve (the messages read only these fields)."""
    import types

    plan = types.SimpleNamespace(precision=precision, summary=lambda: "greedy optimal: shared 0 elems/thread")
    status = np.asarray(status, np.int32)
    return kernels.IVPResult(t=np.array([1.0]), y=np.zeros((status.size, 1, 2)), observables=None, status=status,
                             status_messages=messages or status_messages(),
                             n_steps=np.asarray(n_steps, np.int32), n_rejected=np.asarray(n_rejected, np.int32),
                             plan=plan, method=method, backend="simulator", linear=linear)


def test_max_steps_after_many_rejections_in_float32_says_what_to_do():
    """E5 in float32 with radau: MAX_STEPS after 14329 accepted and 5671 rejected steps, and the message had only
    the bare MAX_STEPS sentence; the README's advice is now in it."""
    max_steps = kernels.Status.MAX_STEPS
    result = _result("radau", "float32", [14329, 90000, 14329], [5671, 10000, 5671], [max_steps] * 3)
    advice = ("5671 of its 20000 attempted steps were rejected: in float32 a stiff problem's right-hand side carries "
              "rounding errors larger than a small atol allows")
    assert advice in result.message(0)
    assert "loosen atol to what the answer needs, or use precision=np.float64." in result.message(0)
    assert "rejected" not in result.message(1)  # 10 %: nothing said
    for method, precision in (("radau", "float64"), ("tsit5", "float32")):
        assert "rejected" not in _result(method, precision, [14329], [5671], [max_steps]).message(0)


def test_max_steps_of_a_bicgstab_run_suggests_gmres():
    """rodas5p with bicgstab on POLLU crawled to MAX_STEPS (313 accepted, 87 rejected) where gmres took 91 steps."""
    messages = status_messages(linear="bicgstab")
    result = _result("rodas5p", "float64", [313], [87], [kernels.Status.MAX_STEPS], messages)
    assert "The linear solver is bicgstab, which can stall" in result.message(0)
    assert "solver='gmres' is the robust matrix-free choice" in result.message(0)
    assert "bicgstab" not in status_messages(linear="gmres")[kernels.Status.MAX_STEPS]


def test_a_krylov_run_with_many_rejected_steps_is_told_where_to_look():
    """An ecologist's trial: rodas5p + gmres on a 70-species food web took 242 steps with 114 rejected (the LU 111
    with 2), success, and no word of the README's remedies."""
    success = kernels.Status.SUCCESS
    gmres = _result("rodas5p", "float64", [128, 128], [114, 10], [success] * 2, linear="gmres")
    assert gmres.message(0).startswith("The solver successfully reached the end")
    assert ("114 of its 242 attempted steps were rejected, many for an implicit method: its gmres solves may stop "
            "short" in gmres.message(0))
    assert "solver='lu'" in gmres.message(0) and "restart=32" in gmres.message(0)
    assert "rejected" not in gmres.message(1)  # 7 %: nothing said
    bicgstab = _result("kvaerno5", "float64", [128], [114], [success], linear="bicgstab")
    assert "SolverOptions(linear='gmres') or preconditioned=True" in bicgstab.message(0)
    for linear in ("lu", None):
        assert "rejected" not in _result("rodas5p", "float64", [128], [114], [success], linear=linear).message(0)
    solved = kernels.solve_ivp(kernels.robertson(), (0.0, 1e-3), [1.0, 0.0, 0.0], method="rodas5p", solver="gmres",
                               precision=np.float64, progress=False)
    assert solved.linear == "gmres" and solved.success


def test_the_repr_of_a_result_is_one_short_line():
    """print(res) dumped the whole Plan (about 5 KB)."""
    result = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.1), [[1.0, 1.0, 1.0]] * 2, method="rk4", dt=0.05,
                               precision=np.float64, progress=False)
    text = repr(result)
    assert "\n" not in text and len(text) < 400, text
    assert text.startswith("IVPResult(y shape (2, 1, 3), method='rk4', backend=")
    assert "success=True, status {SUCCESS: 2}, plan: " + result.plan.summary() in text
    failed = _result("radau", "float32", [5, 5], [0, 0], [0, kernels.Status.MAX_STEPS])
    assert "success=False, status {SUCCESS: 1, MAX_STEPS: 1}" in repr(failed)


def test_kernels_solvers_is_reachable_after_a_plain_import():
    """The README names kernels.solvers.jacobian_pattern; after `import kernels` alone it raised AttributeError."""
    import subprocess
    import sys

    code = "import kernels; print(kernels.solvers.jacobian_pattern.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "NUMBA_ENABLE_CUDASIM": "1"})
    assert done.returncode == 0 and done.stdout.strip() == "jacobian_pattern", done.stderr


@pytest.mark.parametrize("name, words", [("nfev", "use n_rhs"), ("njev", "use n_jac"), ("t_events", "use event_t"),
                                         ("y_events", "use event_y"), ("sol", "there is no dense output")])
def test_scipy_result_names_point_to_this_results_own(name, words):
    """A user porting SciPy scripts got a bare AttributeError for sol.nfev, sol.t_events, ..."""
    res = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.01), [1.0, 1.0, 1.0], method="rk4", dt=0.005, progress=False)
    with pytest.raises(AttributeError, match=rf"IVPResult has no '{name}' \(SciPy's name\): {words}"):
        getattr(res, name)
    with pytest.raises(AttributeError, match="has no attribute 'nfevv'"):
        res.nfevv  # noqa: B018 - any other name: the usual error


_DIFFRAX_POINTERS = {"ys": ("y", "t"), "ts": ("t",), "result": ("status", "success", "message"), "t0": ("t_start",),
                     "stats": ("n_steps", "n_rejected", "n_rhs", "n_jac", "n_lu", "n_newton"), "evaluate": ("t_eval",)}


def test_diffrax_result_names_point_to_attributes_this_result_has():
    """res.ys, res.ts, res.stats and res.result (diffrax's Solution) raised bare AttributeErrors (a user's trial)."""
    res = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.01), [1.0, 1.0, 1.0], method="rk4", dt=0.005, progress=False)
    for name, pointers in _DIFFRAX_POINTERS.items():
        with pytest.raises(AttributeError, match=rf"IVPResult has no '{name}' \(diffrax's name\): ") as info:
            getattr(res, name)
        for pointer in pointers:
            assert pointer in str(info.value), (name, pointer)
            assert pointer == "t_eval" or hasattr(res, pointer), (name, pointer)  # t_eval: solve_ivp's argument
    assert "shape (N, len(t), n_states)" in str(pytest.raises(AttributeError, getattr, res, "ys").value)
    assert res.y.shape == (1, len(res.t), 3)


def _decay(t, y, p, dydt):
    dydt[0] = -y[0]


def test_a_bare_rhs_function_as_the_system_is_told_how_to_build_one():
    """solve_ivp(rhs, ...) said only 'system must be an ODESystem; got <function ...>' (a user's trial)."""
    with pytest.raises(kernels.ConfigurationError, match=r"system must be an ODESystem; got <function _decay at .*>: "
                                                         r"build one .* kernels\.ODESystem\(_decay, n_states=\.\.\., "
                                                         r"n_params=\.\.\.\)"):
        kernels.solve_ivp(_decay, (0.0, 1.0), [1.0], progress=False)


def test_message_without_an_index_is_the_only_trajectorys_or_says_to_give_one():
    one = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.01), [1.0, 1.0, 1.0], method="rk4", dt=0.005, progress=False)
    assert one.message() == one.message(0)
    two = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.01), [[1.0, 1.0, 1.0], [2.0, 1.0, 1.0]], method="rk4", dt=0.005,
                            progress=False)
    with pytest.raises(TypeError, match=r"one message per trajectory \(N = 2\); give an index"):
        two.message()


def test_max_steps_spent_far_before_the_saves_says_the_pace_not_the_saves():
    """An orbit with 999 saves over 1e7 s stopped at max_steps=1000 with its last save at 2.6e5: told to raise
    max_steps above 999 (the saves), where the span needs about 38000 steps (an orbital mechanic's trial)."""
    t = np.linspace(0.0, 1e7, 1000)
    y = np.full((1, t.size, 2), np.nan)
    y[0, :27] = 1.0  # saved up to t = 2.6e5
    result = dataclasses.replace(_result("dop853", "float64", [1000], [0], [kernels.Status.MAX_STEPS]), t=t, y=y,
                                 t_start=0.0)
    text = result.message(0)
    assert "t_eval has" not in text and "Raise max_steps" in text, text
    # what the result holds, and no extrapolated figure: a decaying fast oscillation was told "at least about
    # 1.5e+04 steps" for a span of 2027 (a regression hunt), Robertson "about 3.8e+04" for 129 (a user's trial)
    assert " Its last save is at t = 260260 of 1e+07." in text, text
    assert (" Its 1000 accepted steps (0 rejected) ended before the save at t = 270270; how many the rest of the span "
            "needs the result cannot tell" in text and "about" not in text), text
    sparse = dataclasses.replace(result, t=np.array([1.0e5, 1e7]), y=np.array([[[1.0, 1.0], [np.nan, np.nan]]]))
    assert "ended before" not in sparse.message(0)  # stopped before the save at the end: reached_note says it


def _rober(t, y, p, dydt):
    dydt[0] = -p[0] * y[0] + p[2] * y[1] * y[2]
    dydt[1] = p[0] * y[0] - p[2] * y[1] * y[2] - p[1] * y[1] * y[1]
    dydt[2] = p[1] * y[1] * y[1]


def test_max_steps_on_a_run_whose_steps_grow_gives_no_extrapolated_step_count():
    """Robertson to t = 1e5 takes 127 accepted and 2 rejected steps; at max_steps=40 the message said "the span
    would take about 3.8e+04 steps", extrapolated from the early small ones (a user's trial)."""
    system = kernels.ODESystem(_rober, 3, 3, name="rober_pace")
    result = kernels.solve_ivp(system, (0.0, 1e5), [1.0, 0.0, 0.0], [0.04, 3e7, 1e4], method="rodas5p", rtol=1e-6,
                               atol=1e-10, t_eval=[1.0, 100.0, 1e4, 1e5], precision=np.float64, max_steps=40,
                               progress=False)
    assert result.status[0] == kernels.Status.MAX_STEPS
    text = result.message(0)
    assert "Raise max_steps" in text and "would take" not in text and "e+04 steps" not in text, text
    assert f" Its {int(result.n_steps[0])} accepted steps ({int(result.n_rejected[0])} rejected) ended before the " \
           "save at t = 100;" in text, text


def test_max_steps_with_the_end_alone_saved_says_how_many_steps_were_taken():
    """Only the final state saved: the message said "Raise max_steps" and nothing of how far the steps went,
    where the README promised the steps taken (a control engineer's trial)."""
    system = kernels.ODESystem(_rober, 3, 3, name="rober_end_only")
    result = kernels.solve_ivp(system, (0.0, 1e5), [1.0, 0.0, 0.0], [0.04, 3e7, 1e4], method="rodas5p", rtol=1e-6,
                               atol=1e-10, precision=np.float64, max_steps=40, progress=False)
    assert result.status[0] == kernels.Status.MAX_STEPS
    assert f" It took {int(result.n_steps[0])} accepted steps ({int(result.n_rejected[0])} rejected); save at more " \
           "times (t_eval) to see how far they went." in result.message(0), result.message(0)


def test_a_result_on_device_arrays_pickles_as_host_arrays():
    """A result solved on device arrays (README: Repeated solves) failed to unpickle with a RecursionError (the
    simulator's arrays) in the receiving process (a user's trial): its arrays now travel as host arrays."""
    import pickle

    from numba import cuda

    integrator = kernels.Integrator(kernels.lorenz(), "rk4", precision=np.float64)
    y0, params = np.ones((2, 3)), np.tile([10.0, 28.0, 8.0 / 3.0], (2, 1))
    result = integrator.solve((0.0, 0.05), cuda.to_device(y0), cuda.to_device(params), dt=0.01, progress=False)
    again = pickle.loads(pickle.dumps(result))
    assert isinstance(again.y, np.ndarray) and isinstance(again.status, np.ndarray)
    np.testing.assert_array_equal(again.y, result.y.copy_to_host())
    assert again.success


def test_results_compare_by_their_arrays_and_do_not_hash():
    """``res == other`` raised NumPy's "truth value of an array ... is ambiguous" (a regression check after a
    pickle round trip, a user's trial): fields compare as arrays (NaN equal to NaN), the answer is a bool."""
    import pickle

    system = kernels.van_der_pol()
    result = kernels.solve_ivp(system, (0.0, 0.5), [2.0, 0.0], [[1.0], [2.0]], method="rk4", dt=0.05,
                               precision=np.float64, progress=False)
    stopped = dataclasses.replace(result, y=np.where(np.arange(2)[:, None, None] == 1, np.nan, result.y))
    assert (result == pickle.loads(pickle.dumps(result))) is True
    assert (stopped == pickle.loads(pickle.dumps(stopped))) is True  # a trajectory's NaN saves
    assert (result == stopped) is False and (result != stopped) is True
    assert (result == dataclasses.replace(result, method="tsit5")) is False and result != "a result"
    with pytest.raises(TypeError, match="unhashable"):
        hash(result)


@pytest.mark.parametrize("keyword, value, said", [
    ("adaptive", False, r"fixed steps are controller='fixed' with dt= the step"),
    ("callback", None, r"events= takes kernels.Event\(g, .*a terminal event, then a new solve from result.event_y"),
    ("saveat", [0.5, 1.0], r"pass the save times as t_eval="),
    ("abstol", 1e-8, r"use atol="),
])
def test_a_diffeq_keyword_is_told_the_argument_to_pass(keyword, value, said):
    """solve_ivp(..., adaptive=False) listed every argument; callback= and saveat= too (a DiffEqGPU.jl user's
    trial): each names what to pass here."""
    with pytest.raises(kernels.ConfigurationError, match=rf"^unexpected keyword argument '{keyword}' "
                                                         rf"\(DifferentialEquations.jl's\): {said}"):
        kernels.solve_ivp(kernels.lorenz(), (0.0, 1.0), [1.0, 0.0, 0.0], dt=0.01, **{keyword: value})
    with pytest.raises(kernels.ConfigurationError, match=rf"^unexpected keyword argument '{keyword}' "
                                                         rf"\(DifferentialEquations.jl's\)"):
        kernels.Integrator(kernels.lorenz(), "tsit5", **{keyword: value})
    with pytest.raises(kernels.ConfigurationError, match=rf"^unexpected keyword argument '{keyword}' "
                                                         rf"\(DifferentialEquations.jl's\)"):  # a regression hunt
        kernels.Integrator(kernels.lorenz(), "tsit5").solve((0.0, 1.0), [1.0, 0.0, 0.0], **{keyword: value})
