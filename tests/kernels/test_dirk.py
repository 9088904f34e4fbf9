"""The DIRK family through the public API, on the simulator: the core step tests.

* Fixed-step convergence order of every DIRK on Van der Pol (mu = 1, not
  stiff) on [0, 1]: the slope of log error against log dt equals the order
  within 0.25 (the approach of ``test_convergence.py``), float64.
* Adaptive accuracy against SciPy Radau (rtol 1e-10) on the stiff problems
  (Robertson to t = 40 and 1e5, Van der Pol mu = 1000, HIRES), float64:
  the error, in the units of the tolerance (``|y - ref| / (atol + rtol |ref|)``,
  max over states), is below ``ACCURACY_FACTOR``; measured at most 5.8
  (Kvaerno3 on HIRES at rtol 1e-5).
* Placements give the same numbers; Krylov solvers and finite differences
  (a system without ``jac``/``jvp``) reach the same accuracy.
* Memory audit (declared == allocated, canaries) and per-trajectory failures.
* Large systems (element loops) and fixed steps whose Newton runs to its limit.

Newton inside the stages (its rate, its Krylov solves, the stage layouts and
where a failed fixed-step stage takes its fresh matrix) is in
``test_dirk_newton.py``; the error estimate and the step-start forms in
``test_dirk_estimates.py``.
"""

import numpy as np
import pytest
from kernel_helpers import (COUNTS, ENZYME, ENZYME_FD, ENZYME_P, ENZYME_Y0, audit_allocations, enzyme_binding,
                            enzyme_binding_jac, scipy_reference)
from stiff_references import PROBLEMS, oregonator, oregonator_reference, reference
from test_memory import FORCED

import kernels
from kernels import Status
from kernels.methods import get_method
from kernels.tableaus import DIRK
from planner import Placement

DIRK_NAMES = [t.name for t in DIRK]
ADAPTIVE = [t.name for t in DIRK if t.adaptive]
ACCURACY_FACTOR = 20.0
VDP = (kernels.van_der_pol(), [2.0, 0.0], [[1.0]])


def _stiff(name, t_end, method, rtol, atol_factor, system=None, **kwargs):
    """Run one stiff problem; return (error in tolerance units, result)."""
    factory, y0, _, _ = PROBLEMS[name]
    ref = reference(name, t_end)[-1]
    atol = rtol * atol_factor
    result = kernels.solve_ivp(system or factory(), (0.0, t_end), y0, None, method=method, rtol=rtol, atol=atol,
                               precision=np.float64, **kwargs)
    assert result.status[0] == Status.SUCCESS
    return np.max(np.abs(result.y[0, -1] - ref) / (atol + rtol * np.abs(ref))), result


def test_family_registered():
    for name in DIRK_NAMES:
        assert get_method(name.upper()).family == "dirk"


@pytest.mark.parametrize("method", DIRK_NAMES)
def test_order(method):
    order = get_method(method).tableau.order
    system, y0, params = VDP
    ref = scipy_reference(system, (0.0, 1.0), y0, params, [1.0])[0, -1]
    counts = COUNTS[order]
    errors = []
    for n in counts:
        result = kernels.solve_ivp(system, (0.0, 1.0), y0, params, method=method, dt=1.0 / n, controller="fixed",
                                   precision=np.float64, rtol=1e-12, atol=1e-12)
        assert result.n_steps[0] == n
        errors.append(np.max(np.abs(result.y[0, -1] - ref)))
    errors = np.array(errors)
    assert np.all(errors > 1e-12), errors
    slope = np.polyfit(np.log(1.0 / np.array(counts)), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.25, (method, slope, errors)


# (problem, end time, atol = rtol * factor)
STIFF = [("robertson", 40.0, 1e-3), ("robertson", 1e5, 1e-3), ("van_der_pol", 2.0, 1.0),
         ("hires", kernels.HIRES_T_END, 1e-3)]


# Two tolerances per method; the lower orders' second one is 1e-6 (at 1e-7 they take 2000 steps on HIRES).
TOLERANCES = [(m, r) for m, pair in (("kvaerno3", (1e-5, 1e-6)), ("sdirk4", (1e-5, 1e-6)),
                                     ("kvaerno5", (1e-5, 1e-7))) for r in pair]


@pytest.mark.parametrize("problem", STIFF, ids=[f"{p}-{t:g}" for p, t, _ in STIFF])
@pytest.mark.parametrize("method, rtol", TOLERANCES)
def test_stiff_accuracy(method, problem, rtol):
    error, _ = _stiff(*problem[:2], method, rtol, problem[2])
    assert error < ACCURACY_FACTOR, error


@pytest.mark.parametrize("method", ["trapezoid", "sdirk2"])
@pytest.mark.parametrize("problem", STIFF[:3:2], ids=["robertson-40", "van_der_pol"])
def test_stiff_accuracy_second_order(method, problem):
    error, _ = _stiff(*problem[:2], method, 1e-5, problem[2])
    assert error < ACCURACY_FACTOR, error


def test_placements_agree():
    runs = [_stiff("robertson", 40.0, "kvaerno5", 1e-6, 1e-3, plan=plan)[1] for plan in ("local", "shared", "auto")]
    for other in runs[1:]:
        np.testing.assert_array_equal(other.y, runs[0].y)
        np.testing.assert_array_equal(other.n_steps, runs[0].n_steps)


@pytest.mark.parametrize("solver", ["gmres", "bicgstab", {"linear": "gmres", "preconditioned": True}])
def test_krylov(solver):
    error, result = _stiff("hires", kernels.HIRES_T_END, "kvaerno5", 1e-5, 1e-3, solver=solver)
    assert error < ACCURACY_FACTOR, error


def test_bicgstab_in_float32_on_a_badly_scaled_jacobian():
    """BiCGSTAB stalls just above its 1e-5 target in float32 on the Oregonator (Jacobian entries from 0.2
    to 1e6); Newton takes such a solve as an inexact step (residual under 0.1 ||b||): 528 steps where a
    rejected step per stall took 3012, and the answer stays within the tolerance."""
    ref = oregonator_reference(30.0)
    result = kernels.solve_ivp(oregonator(), (0.0, 30.0), [1.0, 2.0, 3.0], method="kvaerno5", rtol=1e-3,
                               atol=1e-3, precision=np.float32, solver="bicgstab")
    assert result.success
    assert int(result.n_steps[0]) < 1000, int(result.n_steps[0])
    assert np.max(np.abs(result.y[0, -1] - ref) / (1e-3 + 1e-3 * np.abs(ref))) < 1.0


@pytest.mark.parametrize("solver", ["lu", "gmres"])
def test_finite_differences(solver):
    """A system without jac or jvp: Newton's matrix (LU) or its products (GMRES) by differences."""
    full = kernels.robertson()
    bare = kernels.ODESystem(full.rhs, 3, 3, name="robertson_bare", default_params=full.default_params)
    error, _ = _stiff("robertson", 40.0, "kvaerno5", 1e-6, 1e-3, system=bare, solver=solver)
    assert error < ACCURACY_FACTOR, error


@pytest.mark.parametrize("precision", [np.float32, np.float64])
def test_drivers_in_both_precisions(precision):
    """A forced oscillator (drivers interpolated at every stage time) with Kvaerno5 against SciPy."""
    t_eval = [0.5, 1.0]
    drivers = ([0.0, 1.0], [[0.0], [1.0]])
    result = kernels.solve_ivp(FORCED, (0.0, 1.0), [1.0, 0.0], [[2.0]], method="kvaerno5", rtol=1e-5, atol=1e-5,
                               drivers=drivers, t_eval=t_eval, precision=precision)
    assert result.success

    def f(t, y):
        return [y[1], -2.0 * y[0] + t]

    from scipy.integrate import solve_ivp as scipy_solve_ivp
    ref = scipy_solve_ivp(f, (0.0, 1.0), [1.0, 0.0], t_eval=t_eval, rtol=1e-12, atol=1e-12).y.T
    np.testing.assert_allclose(result.y[0], ref, atol=1e-4)


def _forced_by_t(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[0] + t


def test_a_stage_past_the_span_sees_the_forcing_continued():
    """Kvaerno5's third stage lies at t + 1.23 h, past the last step's end and the last driver sample: the
    forcing u = t given as samples on [0, 1] must equal t written in the rhs there too (held at its last value,
    the last step saw a kink and the solve ended 6 tolerances off with success)."""
    args = dict(method="kvaerno5", rtol=1e-5, atol=1e-5, t_eval=[0.5, 1.0], precision=np.float64, progress=False)
    forced = kernels.solve_ivp(FORCED, (0.0, 1.0), [1.0, 0.0], [[2.0]], drivers=([0.0, 1.0], [[0.0], [1.0]]), **args)
    written = kernels.solve_ivp(kernels.ODESystem(_forced_by_t, 2, 1, name="forced_by_t"), (0.0, 1.0), [1.0, 0.0],
                                [[2.0]], **args)
    assert forced.success and written.success and forced.n_steps[0] == written.n_steps[0]
    np.testing.assert_allclose(forced.y, written.y, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("solver", ["lu", "gmres"])
@pytest.mark.parametrize("method", DIRK_NAMES)
def test_memory_audit(method, solver):
    """Every declared buffer (step, Newton, linear solver) has one allocator with the Plan's placement and slice."""
    controller = None if get_method(method).adaptive else "fixed"
    integ = kernels.Integrator(FORCED, method, controller=controller, precision=np.float64, solver=solver)
    for plan_kind in ("local", "shared", "greedy"):
        built = integ.build(integ.plan(plan_kind, block_size=32))
        _, records = audit_allocations(built)
        assert ("loop.dirk.newton", "residual") in records
        shared_end = max((r.stop for r in built.records if r.placement is Placement.SHARED and not r.view_of),
                         default=0)
        assert shared_end == built.plan.shared_elements
        assert built.shared_bytes == built.plan.shared_bytes_per_block
        if plan_kind == "shared":
            assert all(r.placement is Placement.SHARED for r in built.records)


@pytest.mark.parametrize("method, solver", [("kvaerno5", "lu"), ("sdirk4", {"linear": "bicgstab", "krylov_tolerance": 1e-5})])
def test_canaries_survive(method, solver):
    n = 4
    result = kernels.solve_ivp(FORCED, (0.0, 0.2), [1.0, 0.0], np.linspace(1.0, 2.0, n)[:, None], method=method,
                               plan="shared", block_size=n, precision=np.float32, solver=solver,
                               drivers=([0.0, 1.0], [[0.0], [1.0]]), t_eval=[0.1, 0.2], _canary_elems=5)
    assert result.success
    assert result.canary_intact is True


def _linear(t, y, p, dydt):
    dydt[0] = p[0] * y[0]


def _linear_jac(t, y, p, J):
    J[0] = p[0]


LINEAR = kernels.ODESystem(_linear, 1, 1, name="linear", jac=_linear_jac)


def test_singular_matrix_stops_only_its_trajectory():
    """Backward Euler with dt = 1 on y' = p y: M = 1 - p is singular for p = 1 (fixed step stops with the code)."""
    result = kernels.solve_ivp(LINEAR, (0.0, 2.0), [1.0], [[1.0], [-1.0]], method="backward_euler", dt=1.0,
                               controller="fixed", precision=np.float64)
    assert list(result.status) == [Status.SINGULAR_MATRIX, Status.SUCCESS]
    np.testing.assert_allclose(result.y[1, -1], [0.25])


def _cubic(t, y, p, dydt):
    dydt[0] = -p[0] * y[0] * y[0] * y[0]


def _cubic_jac(t, y, p, J):
    J[0] = -3.0 * p[0] * y[0] * y[0]


CUBIC = kernels.ODESystem(_cubic, 1, 1, name="cubic", jac=_cubic_jac)


@pytest.mark.parametrize("controller", ["fixed", "pi"])
def test_newton_failure_stops_only_its_trajectory(controller):
    """y' = -p y^3 from 1: with p = 1e6 Newton cannot converge on steps of 0.1 (fixed) or >= dt_min 0.05."""
    kwargs = dict(dt=0.1) if controller == "fixed" else dict(rtol=1e-6, atol=1e-6, dt_min=0.05)
    result = kernels.solve_ivp(CUBIC, (0.0, 1.0), [1.0], [[1.0], [1e6]], method="kvaerno5", controller=controller,
                               precision=np.float64, **kwargs)
    assert list(result.status) == [Status.SUCCESS, Status.NEWTON_NOT_CONVERGED]
    np.testing.assert_allclose(result.y[0, -1], [1.0 / np.sqrt(3.0)], rtol=1e-5)
    # What to do: at a fixed step, a smaller dt or the adaptive controller; the Jacobian is already analytic
    advice = "use a smaller dt, or the adaptive controller" if controller == "fixed" else "A smaller dt_min (where one is set)"
    assert advice in result.message(1) and "jac=" not in result.message(1)


@pytest.mark.parametrize("solver", ["lu", "gmres"])
def test_large_system_uses_loops(solver):
    """A 20-state Brusselator (above kernels.codegen.UNROLL_STATES: element loops) against SciPy Radau."""
    from scipy.integrate import solve_ivp as scipy_solve_ivp
    from stiff_references import host_functions

    system = kernels.brusselator(20)
    y0 = kernels.brusselator_initial(20)
    f, jac = host_functions(system)
    ref = scipy_solve_ivp(f, (0.0, 1.0), y0, method="Radau", rtol=1e-10, atol=1e-12, jac=jac).y[:, -1]
    result = kernels.solve_ivp(system, (0.0, 1.0), y0, None, method="kvaerno5", rtol=1e-6, atol=1e-6,
                               precision=np.float64, solver=solver)
    assert result.success
    assert np.max(np.abs(result.y[0, -1] - ref) / (1e-6 + 1e-6 * np.abs(ref))) < ACCURACY_FACTOR


@pytest.mark.parametrize("solver", ["lu", {"linear": "gmres", "krylov_tolerance": 1e-5}], ids=["lu", "gmres"])
def test_float32_stiff(solver):
    """Robertson in float32 at rtol 1e-4 (measured 0.3x the tolerance; GMRES needs a tolerance float32 reaches)."""
    ref = reference("robertson", 40.0)[-1]
    result = kernels.solve_ivp(kernels.robertson(), (0.0, 40.0), [1.0, 0.0, 0.0], None, method="kvaerno5",
                               rtol=1e-4, atol=1e-6, precision=np.float32, solver=solver)
    assert result.success
    assert np.max(np.abs(result.y[0, -1] - ref) / (1e-6 + 1e-4 * np.abs(ref))) < ACCURACY_FACTOR


def _forced_chain(t, y, p, u, dydt):
    for i in range(18):
        left = y[i - 1] if i > 0 else 0.0
        dydt[i] = -p[0] * (1.0 + 0.1 * i) * y[i] + 0.5 * left + u[0] * np.sin(t + i)


FORCED_CHAIN = kernels.ODESystem(_forced_chain, 18, 1, n_drivers=1, name="forced_chain_18")


def test_large_system_with_a_driver_uses_offset_loops():
    """18 states (element loops, above kernels.codegen.UNROLL_STATES) with a driver: the stage data holds the
    drivers before the state, so the loops index it at an unsigned offset (codegen.index). Against SciPy."""
    times, values = np.array([0.0, 0.25, 0.5]), np.array([[0.0], [2.0], [-1.0]])
    y0, params = np.linspace(0.2, 1.0, 18), np.array([[50.0], [80.0]])
    result = kernels.solve_ivp(FORCED_CHAIN, (0.0, 0.5), y0, params, method="sdirk4", rtol=1e-7, atol=1e-9,
                               precision=np.float64, drivers=(times, values))
    assert result.success
    ref = scipy_reference(FORCED_CHAIN, (0.0, 0.5), y0, params, [0.5],
                          drivers=lambda t: [np.interp(t, times, values[:, 0])])
    np.testing.assert_allclose(result.y[:, -1], ref[:, -1], rtol=1e-5, atol=1e-8)


def test_newton_failure_of_a_fixed_step_only_method_names_adaptive_ones():
    result = kernels.solve_ivp(CUBIC, (0.0, 1.0), [1.0], [[1e6]], method="backward_euler", dt=0.1, precision=np.float64)
    assert list(result.status) == [Status.NEWTON_NOT_CONVERGED]
    assert "use a smaller dt, or an adaptive implicit method (rodas5p, radau" in result.message(0)


def _numpy_backward_euler(y0, p, dt, steps):
    """Backward Euler with a full Newton (J at every iterate) to 1e-13."""
    y = np.array(y0, dtype=float)
    for _ in range(steps):
        z = y.copy()
        for _ in range(50):
            f, jac = np.zeros(4), np.zeros(16)
            enzyme_binding(0.0, z, p, f)
            enzyme_binding_jac(0.0, z, p, jac)
            dz = np.linalg.solve(np.eye(4) - dt * jac.reshape(4, 4), -(z - y - dt * f))
            z += dz
            if np.abs(dz).max() < 1e-13:
                break
        y = z
    return y


@pytest.mark.parametrize("system", [ENZYME, ENZYME_FD], ids=["jac", "differences"])
def test_fixed_step_newton_converges_where_the_step_moves_y_far(system):
    """A fixed step cannot be retried smaller, so Newton does not give up by predicting the limit will not do,
    and a failed stage is rerun on a matrix taken at its last iterate.  The enzyme's first step at dt = 0.1
    moves y by 6.6e4 tolerances (default rtol = atol = 1e-6) and the simplified Newton on J(t0, y0) contracts
    at 0.09 an iteration: it gave up after 2 (NEWTON_NOT_CONVERGED after 0 steps, a user's trial) and needs
    11 at J(t0, y0); a plain Newton takes 5."""
    result = kernels.solve_ivp(system, (0.0, 0.5), ENZYME_Y0, ENZYME_P, method="backward_euler", controller="fixed",
                               dt=0.1, precision=np.float64)
    assert list(result.status) == [Status.SUCCESS] and result.n_steps[0] == 5, result.message(0)
    np.testing.assert_allclose(result.y[0, -1], _numpy_backward_euler(ENZYME_Y0, ENZYME_P, 0.1, 5), rtol=0, atol=1e-7)


def _gaussian_decay(t, y, p, dydt):
    dydt[0] = -2.0 * t * y[0]


def _gaussian_decay_jac(t, y, p, J):
    J[0] = -2.0 * t


def test_a_fixed_step_at_tight_tolerances_runs_at_the_default_newton_limit():
    """A user's accuracy audit: fixed-step backward Euler at dt = 0.1 and rtol 1e-12 (the README's advice for
    convergence studies) failed its first step; J from the step's start contracts at 0.02 an iteration and the
    prediction gave up after 2.  A fixed step now runs to the limit and reruns a failed stage on J at the
    stage (its time t + dt, where this J is exact): 9 iterations a step; 20 iterations run it on J(t0) alone."""
    system = kernels.ODESystem(_gaussian_decay, 1, jac=_gaussian_decay_jac, name="gaussian_decay")
    kwargs = dict(method="backward_euler", controller="fixed", dt=0.1, rtol=1e-12, atol=1e-12, precision=np.float64,
                  progress=False)
    exact = np.prod(1.0 / (1.0 + 0.2 * np.arange(1, 11) * 0.1))  # backward Euler's own product at t = 1
    for solver in (None, {"newton_iterations": 20}):
        ran = kernels.solve_ivp(system, (0.0, 1.0), [1.0], solver=solver, **kwargs)
        assert ran.success, ran.message(0)
        assert ran.y[0, -1, 0] == pytest.approx(exact, rel=1e-10)
