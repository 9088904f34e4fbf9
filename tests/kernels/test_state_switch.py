"""A rhs that jumps in the state (a hard if/else on ``y``) and a Jacobian taken by differences of it.

A climate scientist's trial: a 0-D energy balance model, ``albedo = 0.7 if T < 250 else 0.289``, warming from
220 K (float64, rtol = atol = 1e-8, no jac).  Within its increment below 250 K a differenced column straddles the
jump and reads a rate of +4e6 where ``df/dT`` is -0.17: rodas5p held T at 249.99999823 K from t = 22 to 60 with
success (2e7 tolerances off; the answer is 311.157 K), rodas4 ran out of steps, and radau crossed 557 tolerances
off with success.  Such a column is now taken again on the other side of ``y_j``
(:func:`kernels.solvers.jacobian_assembly.one_sided_lines`), the smaller one kept.
"""

import math
import warnings

import numpy as np
import pytest
from scipy.integrate import solve_ivp as scipy_solve

import kernels

SPAN = (0.0, 30.0)
SAVES = np.array([10.0, 20.0, 25.0, 30.0])  # the path crosses 250 K at t = 22.49 (mu = 4/3), 11.4 (mu = 1.4667)
MU = (4.0 / 3.0, 1.4667)


def _ebm(t, y, p, dydt):
    if y[0] < 250.0:
        alb = 0.7
    else:
        alb = 0.289
    dydt[0] = (p[0] * 342.0 * (1.0 - alb) - 0.61 * 5.67e-8 * y[0] ** 4) / 12.7


EBM = kernels.ODESystem(_ebm, n_states=1, n_params=1, name="ebm_hard_switch")


def _bands(n):
    """``n`` latitude bands, each with its own hard albedo switch, coupled by diffusion (tridiagonal J)."""
    def rhs(t, y, p, dydt):
        for i in range(n):
            if y[i] < 250.0:
                alb = 0.7
            else:
                alb = 0.289
            left = y[i - 1] if i > 0 else y[i]
            right = y[i + 1] if i < n - 1 else y[i]
            dydt[i] = (p[0] * (1.3 - 0.08 * i) * 342.0 * (1.0 - alb) - 0.61 * 5.67e-8 * y[i] ** 4
                       + 0.5 * (left - 2.0 * y[i] + right)) / 12.7
    return kernels.ODESystem(rhs, n_states=n, n_params=1, name=f"bands_{n}")


def _reference(system, y0, mu, t_eval, span=SPAN):
    """SciPy's DOP853 at rtol 1e-12 on the system's host rhs (it steps through the switch)."""
    p = np.array([mu])
    result = scipy_solve(lambda t, y: system.evaluate_rhs(t, y, p), span, y0, method="DOP853", rtol=1e-12,
                         atol=1e-12, t_eval=t_eval)
    assert result.success
    return result.y.T


def _tolerances_off(result, references, tol):
    """The largest error of each trajectory over its saves, in tolerances (``tol`` both rtol and atol)."""
    return [float(np.max(np.abs(result.y[i] - ref) / (tol + tol * np.abs(ref)))) for i, ref in enumerate(references)]


@pytest.mark.parametrize("method, precision, bound", [("rodas5p", np.float64, 10.0), ("rodas4", np.float64, 10.0),
                                                      ("rodas5p", np.float32, 10.0), ("rodas4", np.float32, 10.0)])
def test_rosenbrock_crosses_a_hard_switch_on_the_state(method, precision, bound):
    # before: rodas5p float64 stuck at 250 K (1.4e7 tolerances off at t = 30, success), rodas4 float64 out of
    # steps, rodas4 float32 2e4 tolerances off and rodas5p float32 373, with success
    tol = 1e-8 if precision == np.float64 else 1e-5
    references = [_reference(EBM, [220.0], mu, SAVES) for mu in MU]
    result = kernels.solve_ivp(EBM, SPAN, [220.0], np.array(MU)[:, None], t_eval=SAVES, method=method, rtol=tol,
                               atol=tol, precision=precision, progress=False, max_steps=3000)
    assert kernels.Integrator(EBM, method).jacobian == "finite differences"
    assert result.success, result.message(0)
    assert np.all(result.y[:, -1, 0] > 290.0)  # past the switch
    assert max(_tolerances_off(result, references, tol)) < bound


def test_radau_crosses_a_hard_switch_as_with_an_analytic_jac():
    # before: 557 and 616 tolerances off at the first save after the crossing, with success (with jac: 0.06, 0.27;
    # SciPy's Radau at the same tolerances 0.2 and 0.4)
    references = [_reference(EBM, [220.0], mu, SAVES) for mu in MU]
    result = kernels.solve_ivp(EBM, SPAN, [220.0], np.array(MU)[:, None], t_eval=SAVES, method="radau", rtol=1e-8,
                               atol=1e-8, precision=np.float64, progress=False)
    assert result.success
    assert max(_tolerances_off(result, references, 1e-8)) < 3.0


@pytest.mark.parametrize("method, bound", [("rodas5p", 40.0), ("radau", 5.0)])
def test_compressed_differences_cross_the_switches_of_a_banded_model(method, bound):
    # six bands, a tridiagonal J: the sparse LU differences groups of columns; before: rodas5p 3289 tolerances
    # off, radau 174 (with an analytic jac 20 and 1.0), success reported
    system, t_eval = _bands(6), np.linspace(0.0, 60.0, 7)
    reference = _reference(system, np.full(6, 220.0), 1.2, t_eval, span=(0.0, 60.0))
    integrator = kernels.Integrator(system, method, precision=np.float64)
    assert integrator.jacobian.startswith("finite differences (compressed")
    result = integrator.solve((0.0, 60.0), np.full(6, 220.0), [[1.2]], t_eval=t_eval, rtol=1e-8, atol=1e-8,
                              progress=False)
    assert result.success
    assert _tolerances_off(result, [reference], 1e-8)[0] < bound


def test_dense_columns_in_a_loop_cross_the_switches():
    # nine states: past the unrolled columns, the dense LU's differences run in a loop over j; before: 1226
    # tolerances off with success (now 41; tsit5 29, radau 3)
    system, t_eval = _bands(9), np.linspace(0.0, 30.0, 4)
    reference = _reference(system, np.full(9, 220.0), 1.2, t_eval)
    result = kernels.solve_ivp(system, SPAN, np.full(9, 220.0), [[1.2]], t_eval=t_eval, method="rodas5p",
                               rtol=1e-8, atol=1e-8, precision=np.float64, progress=False, solver="dense",
                               max_steps=3000)
    assert result.success
    assert _tolerances_off(result, [reference], 1e-8)[0] < 100.0


@pytest.mark.parametrize("width", [0.1, 1.0])
def test_a_smoothed_switch_runs_quietly(width):
    # the remedy the messages name: no warning, and the errors of before (rodas5p 26 tolerances at 0.1 K, a steep
    # transition for a Rosenbrock method at rtol 1e-8; radau 0.1)
    def smooth(t, y, p, dydt):
        alb = 0.4945 - 0.2055 * math.tanh((y[0] - 250.0) / width)
        dydt[0] = (p[0] * 342.0 * (1.0 - alb) - 0.61 * 5.67e-8 * y[0] ** 4) / 12.7

    system = kernels.ODESystem(smooth, n_states=1, n_params=1, name=f"ebm_tanh_{width}")
    references = [_reference(system, [220.0], mu, SAVES) for mu in MU]
    for method in ("rodas5p", "radau"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = kernels.solve_ivp(system, SPAN, [220.0], np.array(MU)[:, None], t_eval=SAVES, method=method,
                                       rtol=1e-8, atol=1e-8, precision=np.float64, progress=False)
        # the library's own warnings only: Python 3.12 on the GPU machine adds a DeprecationWarning of its own
        assert [str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)] == []
        assert result.success and max(_tolerances_off(result, references, 1e-8)) < 40.0


# The generated column, run as plain Python: which side's difference is kept.

def _column(rhs, y, tolerances=(1e-8, 1e-8)):
    """Column 0 of ``J`` by :func:`one_sided_lines` at ``y`` (float64), and the right-hand sides it took."""
    from kernels.solvers.jacobian_assembly import one_sided_lines, switch_share

    n, calls = len(y), []

    def counted(t, state, p, u, out):
        calls.append(None)
        out[:] = rhs(np.array(state))

    source = ["def column(t, y, p, u, tolerances, ys, f1, f0, jm):"] + one_sided_lines(
        0, n, n, "w = ONE / d", lambda i: f"jm[{i}] = w * (f1[{i}] - f0[{i}])")
    scope = {"rhs": counted, "ZERO": 0.0, "ONE": 1.0, "N": n, "SQRT_EPS": math.sqrt(np.finfo(float).eps),
             "SWITCH_SHARE": switch_share(np.float64)}
    exec("\n".join(source), scope)  # noqa: S102 - the generated source under test
    y = np.asarray(y, float)
    jm, f0 = np.zeros(n), rhs(y)
    scope["column"](0.0, y, None, None, np.repeat(tolerances, n), y.copy(), np.zeros(n), f0, jm)
    return jm, len(calls)


def test_a_column_straddling_a_jump_is_taken_on_the_other_side():
    up = lambda y: np.array([1.0 if y[0] < 1.0 else 10.0, 2.0 * y[0]])  # noqa: E731
    column, evaluations = _column(up, [1.0 - 1e-9, 0.0])
    assert evaluations == 2 and column == pytest.approx([0.0, 2.0])  # the branch's own slopes, not 9 / 1.5e-8


def test_a_smooth_column_takes_one_right_hand_side():
    column, evaluations = _column(lambda y: np.array([-3.0 * y[0] + 1.0, y[0] ** 2]), [2.0, 0.0])
    assert evaluations == 1 and column == pytest.approx([-3.0, 4.0], rel=1e-6)


def test_a_jump_that_holds_the_state_at_its_switch_keeps_its_steep_column():
    # a relay whose own rate falls across the switch (1 below, -1 above): the steep entry is the stiff mode that
    # holds the state there, as the flow does; it is kept (one right-hand side, no retry)
    column, evaluations = _column(lambda y: np.array([1.0 if y[0] < 1.0 else -1.0]), [1.0 - 1e-9])
    assert evaluations == 1 and column[0] < -1e7


def test_a_group_straddling_a_jump_is_taken_on_the_other_side():
    # a sparse LU's compressed differences: columns 0 and 1 share no row, one group; column 0 straddles its jump
    from kernels.solvers.jacobian_assembly import grouped_jacobian_lines, switch_share

    pattern = [(0, 0), (1, 1), (2, 1)]
    rhs = lambda y: np.array([1.0 if y[0] < 1.0 else 10.0, -y[1], 3.0 * y[1]])  # noqa: E731
    source = ["def jacobian(t, y, p, u, tolerances, ys, f1, f0, jm):"] + grouped_jacobian_lines(
        3, pattern, False, lambda k, value: f"    jm[{k}] = {value}", ("ys", "f1"))
    scope = {"rhs": lambda t, state, p, u, out: out.__setitem__(slice(None), rhs(state)), "ZERO": 0.0, "ONE": 1.0,
             "N": 3, "SQRT_EPS": math.sqrt(np.finfo(float).eps), "SWITCH_SHARE": switch_share(np.float64)}
    exec("\n".join(source), scope)  # noqa: S102 - the generated source under test
    y = np.array([1.0 - 1e-9, 2.0, 0.0])
    jm = np.zeros(len(pattern))
    scope["jacobian"](0.0, y, None, None, np.full(6, 1e-8), y.copy(), np.zeros(3), rhs(y), jm)
    assert jm == pytest.approx([0.0, -1.0, 3.0], rel=1e-6)


def _sqrt_tail(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]
    dydt[1] = y[0] ** 0.5 - y[1]


@pytest.mark.parametrize("method", ["rodas5p", "radau"])
def test_a_state_within_its_increment_of_zero_is_not_differenced_below_it(method):
    # y0 decays to 4e-18 and feeds sqrt: its column's other side lay below 0, where the rhs is NaN, and that NaN
    # column was kept (NaN compares false), so the LU failed at t = 19-22 where the run had succeeded (a hunt)
    system = kernels.ODESystem(_sqrt_tail, 2, 1, name="sqrt_tail")
    result = kernels.solve_ivp(system, (0.0, 40.0), [1.0, 0.0], [[1.0], [1.2]], method=method, precision=np.float64,
                               rtol=1e-6, atol=1e-8, t_eval=np.linspace(0.0, 40.0, 41), progress=False)
    assert result.success, result.message(0)
    assert np.all(np.isfinite(result.y))


def test_a_column_whose_other_side_is_not_finite_keeps_its_first():
    # a jump just above y_0 asks for the other side, where the rhs is not defined (NaN): the first side's column
    # is kept, steep as it is, not the NaN one
    def rhs(y):
        first = np.nan if y[0] < 1.0 - 1e-8 else (1.0 if y[0] < 1.0 else 10.0)
        return np.array([first, 2.0 * y[0]])

    column, evaluations = _column(rhs, [1.0 - 1e-9, 0.0])
    assert evaluations == 2 and np.all(np.isfinite(column)) and column[0] > 1e8
