"""Status codes: a failing trajectory is reported alone; the others finish with success."""

import numpy as np
import pytest

import kernels
from kernels import Status


def _blowup(t, y, p, dydt):
    dydt[0] = p[0] * y[0] * y[0]  # y = 1 / (1 - p t): blows up at t = 1/p for p > 0


pytestmark = [pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")]

BLOWUP = kernels.ODESystem(_blowup, 1, n_params=1, name="blowup")
P = np.array([[0.0], [1.0], [-1.0]])


def test_fixed_step_blowup_is_nonfinite_for_that_trajectory_only():
    result = kernels.solve_ivp(BLOWUP, (0.0, 3.0), [1.0], P, method="euler", dt=0.05, t_eval=[0.5, 3.0])
    np.testing.assert_array_equal(result.status, [Status.SUCCESS, Status.NONFINITE_STATE, Status.SUCCESS])
    assert np.isfinite(result.y[1, 0, 0]) and np.isnan(result.y[1, 1, 0])  # saved before, NaN after
    np.testing.assert_allclose(result.y[0, :, 0], 1.0)
    assert np.all(np.isfinite(result.y[2]))
    assert not result.success
    assert "non-finite" in result.message(1)


def test_max_steps():
    result = kernels.solve_ivp(BLOWUP, (0.0, 2.0), [1.0], P, method="tsit5", max_steps=30)
    np.testing.assert_array_equal(result.status, [Status.SUCCESS, Status.MAX_STEPS, Status.SUCCESS])
    assert result.n_steps[1] + result.n_rejected[1] == 30
    assert np.isnan(result.y[1, -1, 0])
    assert "max_steps" in result.message(1)


def test_step_size_underflow_at_dt_min():
    result = kernels.solve_ivp(BLOWUP, (0.0, 2.0), [1.0], P, method="tsit5", dt_min=1e-3, rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_array_equal(result.status, [Status.SUCCESS, Status.STEP_SIZE_UNDERFLOW, Status.SUCCESS])
    assert result.n_rejected[1] >= 1


@pytest.mark.parametrize("method", ["tsit5", "rodas5p"])
def test_a_blowup_ends_in_underflow_without_spending_max_steps(method):
    """Near t = 1 the steps shrink to a few ulps of t, where a smaller dt rounds back to the same step: it was
    retried until max_steps (99830 rejections of 100000, a user's trial); now the first such retry ends it."""
    result = kernels.solve_ivp(BLOWUP, (0.0, 2.0), [1.0], P, method=method, rtol=1e-6, atol=1e-9,
                               precision=np.float64, progress=False)
    np.testing.assert_array_equal(result.status, [Status.SUCCESS, Status.STEP_SIZE_UNDERFLOW, Status.SUCCESS])
    assert result.n_steps[1] + result.n_rejected[1] < 2000
    assert "singularity" in result.message(1)
    np.testing.assert_allclose(result.y[2, -1, 0], 1.0 / 3.0, rtol=1e-5)


def test_adaptive_nonfinite_from_the_start():
    """f(t0, y0) overflows float32: every step is rejected until the smallest step, then NONFINITE."""
    result = kernels.solve_ivp(BLOWUP, (0.0, 1.0), [[1.0], [1e30], [1.0]], P, method="bs3")
    np.testing.assert_array_equal(result.status, [Status.SUCCESS, Status.NONFINITE_STATE, Status.SUCCESS])
    assert result.n_steps[1] == 0 and result.n_rejected[1] >= 1


def _decay(t, y, p, dydt):
    dydt[0] = -y[0]


def test_small_steps_do_not_stall_time():
    """float64 time: a step far below float32 resolution of t still advances."""
    decay = kernels.ODESystem(_decay, 1, name="decay")
    result = kernels.solve_ivp(decay, (1.0e3, 1.0e3 + 1e-4), [1.0], method="euler", dt=1e-5)
    assert result.success and result.n_steps[0] == 10
    np.testing.assert_allclose(result.y[0, -1, 0], (1 - 1e-5) ** 10, rtol=1e-6)


def test_status_table():
    assert set(kernels.STATUS_MESSAGES) == set(Status)
    assert [int(s) for s in Status] == [0, 1, 2, 3, 4, 5, 6, 7]
    result = kernels.solve_ivp(BLOWUP, (0.0, 0.1), [1.0], P)
    assert result.success and result.status.dtype == np.int32
    messages = dict(result.status_messages)
    assert set(messages) == set(kernels.STATUS_MESSAGES)
    assert all(messages[code].startswith(text) for code, text in kernels.STATUS_MESSAGES.items())
    # float32 (the default): the non-finite message names float32's range and the way out
    nonfinite = messages[int(Status.NONFINITE_STATE)]
    assert "3.4e38" in nonfinite and "precision=np.float64" in nonfinite
    in_float64 = kernels.solve_ivp(BLOWUP, (0.0, 0.1), [1.0], P, precision=np.float64)
    assert dict(in_float64.status_messages) == kernels.STATUS_MESSAGES


def test_an_explicit_method_at_max_steps_says_how_far_it_got_and_what_to_do():
    """tsit5 at max_steps gave the bare status text (a user's trial); implicit methods already said more."""
    decay = kernels.ODESystem(_decay, 1, name="decay")
    result = kernels.solve_ivp(decay, (0.0, 10.0), [1.0], method="tsit5", max_steps=5, t_eval=[1e-3, 5.0, 10.0],
                               precision=np.float64, progress=False)
    assert result.status[0] == Status.MAX_STEPS
    assert "Its last save is at t = 0.001 of 10. Raise max_steps, or loosen rtol and atol" in result.message(0)



def _oscillator(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -y[0]


@pytest.mark.parametrize("method, precision, t0, dt", [("tsit5", np.float64, 1.0, 1e-20),
                                                       ("radau", np.float32, 0.0, 1e-300)])
def test_a_first_step_too_small_to_take_is_raised(method, precision, t0, dt):
    """A user's trial: dt=1e-20 at t0 = 1 (below what t resolves) ended at once in STEP_SIZE_UNDERFLOW, and float32
    radau at dt=1e-300 (h gamma underflows) in SINGULAR_MATRIX; SciPy raises first_step to its minimum step."""
    system = kernels.ODESystem(_oscillator, 2, name="oscillator")
    res = kernels.solve_ivp(system, (t0, t0 + 10.0), [1.0, 0.0], method=method, dt=dt, rtol=1e-6, atol=1e-6,
                            precision=precision, progress=False)
    assert res.success
    np.testing.assert_allclose(res.y[0, -1], [np.cos(10.0), -np.sin(10.0)], atol=1e-4)


def test_an_implicit_solver_failure_with_atol_zero_says_so():
    """radau on y' = -y to t = 800 with atol = 0 ended SINGULAR_MATRIX, its message silent on atol (a user's
    trial): the component's error scale had underflowed with it."""
    from kernels.status_messages import status_messages

    messages = status_messages(zero_atol=[2])
    for code in (Status.SINGULAR_MATRIX, Status.NEWTON_NOT_CONVERGED, Status.STEP_SIZE_UNDERFLOW):
        assert "atol is 0 for y[:, 2]: if one of them decays to 0" in messages[code]
    assert "atol is 0" not in messages[Status.SUCCESS] and "atol is 0" not in status_messages()[Status.SINGULAR_MATRIX]


def test_a_float32_fixed_step_newton_failure_names_float32_s_rounding():
    """A 20-state RC ladder in float32 failed Newton at step 0 at any dt, and the advice (a smaller dt, 20
    iterations) did nothing; float64 or a looser atol ran it (a user's trial)."""
    from kernels.status_messages import status_messages

    code = kernels.Status.NEWTON_NOT_CONVERGED
    f32 = status_messages(dtype=np.float32, fixed_step="the adaptive controller")[code]
    assert "In float32 a stiff step's Newton iteration settles at float32's rounding" in f32
    assert "loosen atol (and rtol), or use precision=np.float64" in f32
    assert "In float32" not in status_messages(dtype=np.float64, fixed_step="the adaptive controller")[code]


def test_a_fixed_step_newton_failure_says_what_was_tried_and_what_helps():
    """The message led with a smaller dt and said a larger iteration limit helps only at tight tolerances, where
    an enzyme's first step at dt = 0.1 to 1e-3 moved y by 6e4 tolerances and needed 10 to 12 iterations (a
    user's trial): it says what was tried (the limit, and the rerun on a fresh matrix where there is one)."""
    from kernels.status_messages import status_messages

    code = kernels.Status.NEWTON_NOT_CONVERGED
    lu = status_messages(fixed_step="the adaptive controller", linear="lu")[code]
    assert "its iteration limit (newton_iterations, 7 unless set) and once more on a fresh iteration matrix" in lu
    assert "moves y by far more than atol + rtol |y|" in lu and "solver={'newton_iterations': 20}" in lu
    assert lu.endswith("use a smaller dt, or the adaptive controller, which shrinks the step where this happens.")
    gmres = status_messages(fixed_step="the adaptive controller", linear="gmres")[code]
    assert "fresh iteration matrix" not in gmres and "solver={'newton_iterations': 20}" in gmres


def _rotation(t, y, p, dydt):
    for k in range(4):
        dydt[2 * k] = p[0] * y[2 * k] - p[1] * y[2 * k + 1]
        dydt[2 * k + 1] = p[1] * y[2 * k] + p[0] * y[2 * k + 1]


def test_a_zero_diagonal_pivot_of_a_regular_matrix_names_the_dense_lu():
    """At h gamma a = 1 the diagonal of I - c J is 0 while the matrix is regular: the dense LU solves it, the sparse
    one (static diagonal pivots) reported "singular ... use a smaller dt" (a user's trial); the message names
    solver='dense'. A gmres run out of steps is told of restart and krylov_tolerance."""
    from kernels.status_messages import status_messages

    system = kernels.ODESystem(_rotation, 8, 2, name="rotation_growth")
    runs = {solver: kernels.solve_ivp(system, (0.0, 1.0), np.tile([1.0, 0.0], 4), [4.0, 3.0],
                                      method="backward_euler", dt=0.25, precision=np.float64, solver=solver)
            for solver in ("dense", "sparse")}
    assert runs["dense"].success
    assert int(runs["sparse"].status[0]) == kernels.Status.SINGULAR_MATRIX
    assert "solver='dense' (partial pivoting) solves it there; judged at that state only" in runs["sparse"].message(0)
    assert "raise SolverOptions(restart=)" in status_messages(linear="gmres")[int(kernels.Status.MAX_STEPS)]


def _decay_far(t, y, p, dydt):
    dydt[0] = -y[0]


def test_a_stop_far_from_t_zero_writes_its_last_save_apart_from_the_end():
    """Far from t = 0 a save at 1e9 + 1 of an end at 1e9 + 100 read "at t = 1e+09 of 1e+09" (a geophysicist's
    trial): the times get the digits that show their difference."""
    system = kernels.ODESystem(_decay_far, 1, 1, name="decay_far")
    result = kernels.solve_ivp(system, (1e9, 1e9 + 100.0), [1.0], [0.0], t_eval=[1e9 + 1.0, 1e9 + 100.0], rtol=1e-10,
                               atol=1e-12, precision=np.float64, max_steps=30, progress=False)
    assert result.status[0] == kernels.Status.MAX_STEPS
    assert "Its last save is at t = 1000000001 of 1000000100." in result.message(0)
