"""Solver work per trajectory: ``n_rhs``, ``n_jac``, ``n_lu`` and ``n_newton`` (``kernels.loop_work``).

Counted on the simulator through a Brusselator (8 states) whose rhs, jac and jvp count their calls
(host Python): what a solve reports must be what it evaluated, on every Jacobian path, both loops,
rejected and failed steps included.  The Integrator is built, and its pattern checked at the solve's y0 by a
one-step solve, before the counting starts, so the host's probes of the Jacobian's pattern are not counted.
"""

import numpy as np
import pytest

import kernels
from kernel_helpers import counting_system, simulator_only
from kernels.solvers.jacobian_assembly import column_groups
from kernels.solvers.sparsity import jacobian_pattern

N_STATES = 8

# method, solver, derivatives the system gives, controller, LU factorisations per Jacobian
CASES = [
    ("sdirk4", "lu", ("jac",), "pi", 1),               # dense jac scratch, gathered into the sparse LU
    ("kvaerno3", "lu", (), "pi", 1),                   # compressed finite differences
    ("sdirk4", "dense", (), "fixed", 1),               # dense finite differences, column by column
    ("rodas4", "lu", ("jac", "jvp"), "pi", 1),
    ("ros3p", "lu", (), "fixed", 1),
    ("radau", "lu", ("jac", "jvp"), "pi", 2),          # real and complex blocks
    ("radau", "lu", (), "pi", 2),
    ("gauss4", "lu", ("jvp",), "fixed", 1),           # one complex block (two stages)
    ("kvaerno5", "gmres", ("jvp",), "pi", 0),          # matrix-free: no factor
]


def _solve(method, solver, derivatives, controller, events=None, t_end=0.5):
    calls = {"rhs": 0, "jac": 0, "jvp": 0}
    system = counting_system(kernels.brusselator(N_STATES), calls, derivatives)
    integ = kernels.Integrator(system, method, controller=controller, precision=np.float64,
                               solver=kernels.SolverOptions(linear=solver, count_work=True), events=events)
    plan = integ.plan("local")
    options = {"dt": 0.01} if controller == "fixed" else {}
    y0 = kernels.brusselator_initial(N_STATES)
    # A first solve of one step checks the probed pattern at this y0 on the host (once per Integrator and rows)
    integ.solve((0.0, t_end), y0, [system.default_params], plan=plan, rtol=1e-6, atol=1e-8, max_steps=1, **options)
    for key in calls:
        calls[key] = 0
    result = integ.solve((0.0, t_end), y0, [system.default_params], plan=plan, rtol=1e-6, atol=1e-8, **options)
    return result, calls, integ


@simulator_only
@pytest.mark.parametrize("method, solver, derivatives, controller, factors", CASES)
def test_counts_are_the_evaluations_made(method, solver, derivatives, controller, factors):
    result, calls, integ = _solve(method, solver, derivatives, controller)
    steps = int(result.n_steps[0]) + int(result.n_rejected[0])
    n_jac, n_lu, n_newton = int(result.n_jac[0]), int(result.n_lu[0]), int(result.n_newton[0])
    assert result.success
    assert int(result.n_rhs[0]) == calls["rhs"]
    assert 1 <= n_jac <= steps and n_lu == factors * n_jac
    if "jac" in integ.jacobian and "jvp (" not in integ.jacobian:
        assert calls["jac"] == n_jac
    if integ.jacobian.startswith("jvp (compressed"):
        groups = len(column_groups(N_STATES, jacobian_pattern(kernels.brusselator(N_STATES))))
        assert calls["jvp"] == groups * n_jac
    if method in ("rodas4", "ros3p"):
        assert n_newton == 0
    else:
        assert n_newton >= steps  # at least one iteration a stage


@simulator_only
def test_a_differenced_krylov_product_leaves_n_rhs_uncounted():
    result, calls, _ = _solve("sdirk4", "gmres", (), "pi")
    assert result.success and int(result.n_rhs[0]) == -1
    assert int(result.n_jac[0]) >= 1 and int(result.n_lu[0]) == 0 and int(result.n_newton[0]) > 0


@simulator_only
@pytest.mark.parametrize("method, derivatives", [("rodas4", ("jac", "jvp")), ("kvaerno5", ())])
def test_event_location_and_counts_on_an_implicit_step(method, derivatives):
    """A counting event's columns sit after the work's; a terminal one's location adds two evaluations, and an
    FSAL step's primes there are counted too (kvaerno5 missed them: a regression hunt)."""
    def u_first(t, y, p):
        return y[0] - 1.5

    result, calls, _ = _solve(method, "lu", derivatives, "pi",
                              events=[kernels.Event(u_first), kernels.Event(u_first, terminal=True)], t_end=2.0)
    assert int(result.status[0]) == kernels.Status.EVENT
    assert int(result.n_rhs[0]) == calls["rhs"]
    assert result.event_count.shape == (1, 2) and list(result.event_count[0]) == [1, 1]


@pytest.mark.parametrize("precision", [np.float32, np.float64])
def test_a_fixed_step_rosenbrock_run_counts_what_its_tableau_says(precision):
    """Backend-independent (GPU too): rodas4 on the autonomous Brusselator, J from its jac, 20 steps:
    6 right-hand sides, one Jacobian and one factorisation a step, no Newton iteration."""
    system = kernels.brusselator(N_STATES)
    res = kernels.solve_ivp(system, (0.0, 0.2), kernels.brusselator_initial(N_STATES), [system.default_params] * 3,
                            method="rodas4", controller="fixed", dt=0.01, precision=precision,
                            solver={"count_work": True})
    assert res.success and list(res.n_steps) == [20] * 3
    assert list(res.n_rhs) == [120] * 3 and list(res.n_jac) == [20] * 3 and list(res.n_lu) == [20] * 3
    assert list(res.n_newton) == [0] * 3


def test_without_count_work_an_implicit_step_has_no_work_buffer_and_reports_minus_one():
    system = kernels.brusselator(N_STATES)
    integ = kernels.Integrator(system, "radau", controller="fixed", precision=np.float64)
    assert not any(b.name == "work" for b in integ.buffer_settings().children[0].buffers)
    counted = kernels.Integrator(system, "radau", controller="fixed", precision=np.float64,
                                 solver={"count_work": True})
    assert any(b.name == "work" for b in counted.buffer_settings().children[0].buffers)
    res = kernels.solve_ivp(system, (0.0, 0.02), kernels.brusselator_initial(N_STATES), method="radau", dt=0.01,
                            controller="fixed", precision=np.float64)
    assert res.success
    for counts in (res.n_rhs, res.n_jac, res.n_lu, res.n_newton):
        assert int(counts[0]) == -1


def test_count_work_must_be_a_bool():
    with pytest.raises(kernels.ConfigurationError, match="count_work"):
        kernels.SolverOptions(count_work="yes")


def test_explicit_methods_report_no_solver_work():
    res = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.2), [1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0], method="tsit5",
                            precision=np.float64)
    assert res.success and int(res.n_rhs[0]) > 0
    for counts in (res.n_jac, res.n_lu, res.n_newton):
        assert counts.shape == (1,) and counts.dtype == np.int32 and int(counts[0]) == 0


@simulator_only
@pytest.mark.parametrize("method, implicit, before", [("sdirk4", 5, 138), ("kvaerno5", 6, 160)])
def test_a_dirk_stage_that_stops_at_once_hands_its_rate_on(method, implicit, before):
    """Brusselator, float32, rtol 1e-5, 20 fixed steps: each step's first stage has no rate and takes two
    iterations, every later stage one.  Before a first-iteration stop handed on the rate it was given (not its
    ``eta^0.8``, 2026-12-04) the rate compounded from stage to stage and later stages took a second:
    ``before`` iterations in all."""
    system = kernels.brusselator(N_STATES)
    integ = kernels.Integrator(system, method, controller="fixed", precision=np.float32,
                               solver=kernels.SolverOptions(linear="lu", count_work=True))
    steps = 20
    result = integ.solve((0.0, steps * 1e-3), np.tile(kernels.brusselator_initial(N_STATES), (2, 1)),
                         [system.default_params] * 2, dt=1e-3, rtol=1e-5, atol=1e-5)
    assert result.success and (result.n_steps == steps).all()
    assert (result.n_newton == (implicit + 1) * steps).all() and (implicit + 1) * steps < before
