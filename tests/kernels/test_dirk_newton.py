"""DIRK stages' Newton iteration, on the simulator: the rate a stage hands on, the Krylov solves' stopping point,
the stage layouts (one Newton site in a loop, or unrolled stages) and where a failed fixed-step stage takes its fresh
matrix (through the step's one ``prepare``, or rerun in place; with the drivers of its own time).

The core step tests (order, accuracy, placements, memory, failures) are in ``test_dirk.py``.
"""

import math

import numpy as np
import pytest
from kernel_helpers import ENZYME, ENZYME_P, ENZYME_Y0, enzyme_binding

import kernels
from kernels import Status


@pytest.mark.parametrize("method, n, controller", [("sdirk4", 8, "fixed"), ("kvaerno3", 20, "pi"),
                                                   ("kvaerno5", 8, "pi")])
def test_one_newton_site_gives_the_same_numbers(method, n, controller):
    """The implicit stages as one loop around a single Newton call (``one_site``, the default from
    ``ONE_SITE_FROM_STATES``) compute what the unrolled stages compute, bit for bit: here forced on at
    small sizes (literal element indices at 8 states, element loops at 20) against forced off."""
    import dataclasses

    y0 = np.array([kernels.brusselator_initial(n), 1.1 * kernels.brusselator_initial(n)])
    results = []
    for one_site_from in (1, 10**9):
        integ = kernels.Integrator(kernels.brusselator(n), method, controller=controller, precision=np.float64)
        integ.settings = dataclasses.replace(integ.settings, step=dataclasses.replace(
            integ.settings.step, one_site_from=one_site_from))
        assert integ.settings.step.one_site == (one_site_from == 1)
        kwargs = dict(dt=0.05) if controller == "fixed" else dict(rtol=1e-5, atol=1e-5)
        results.append(integ.solve((0.0, 0.2), y0, None, **kwargs))
    one, unrolled = results
    assert one.success and (one.n_steps == unrolled.n_steps).all()
    np.testing.assert_array_equal(one.y, unrolled.y)


def _phase_driven(t, y, p, dydt):
    dydt[0] = math.cos(y[1])
    dydt[1] = 1.0


def _phase_driven_jac(t, y, p, J):
    J[0] = 0.0
    J[1] = -math.sin(y[1])
    J[2] = 0.0
    J[3] = 0.0


@pytest.mark.parametrize("method", ["kvaerno5", "sdirk4"])
def test_a_stage_hands_on_its_slowest_rate_not_a_last_one_near_rounding(method):
    """A user's trial: y' = cos(tau), tau' = 1 (y = sin t). A stage's second iteration ends it exactly, so its
    third measured a rate of rounding size; handed on, it let every later stage stop after one iteration, an
    error of (h gamma)^2 / 2: kvaerno5 790 tolerances off at rtol 1e-6 with success, worse at smaller fixed dt."""
    system = kernels.ODESystem(_phase_driven, 2, jac=_phase_driven_jac, name="phase_driven")
    adaptive = kernels.solve_ivp(system, (0.0, 1.0), [0.0, 0.0], method=method, rtol=1e-6, atol=1e-9,
                                 precision=np.float64, progress=False)
    assert adaptive.success
    assert abs(adaptive.y[0, -1, 0] - math.sin(1.0)) < 1e-9 + 1e-6 * math.sin(1.0)
    fixed = kernels.solve_ivp(system, (0.0, 1.0), [0.0, 0.0], method=method, controller="fixed", dt=0.05,
                              rtol=1e-10, atol=1e-13, precision=np.float64, progress=False)
    assert abs(fixed.y[0, -1, 0] - math.sin(1.0)) < 1e-8  # the method's own error at dt = 0.05, not Newton's


def test_newton_krylov_solves_keep_sdirk4_on_hires_with_per_state_atol():
    """Per-state atol from 1e-4 to 1e-12 on HIRES (float64, rtol 1e-4): with Newton's Krylov solves stopping at 0.05 of
    its constant (tolerances, rms), sdirk4 + gmres ended 1.5 tolerances off (1.5 to 8.8 over nearby rtol), the LU
    0.18; at 0.005 of it, the LU's error (kernels.solvers.newton.NEWTON_ABSOLUTE)."""
    from scipy.integrate import solve_ivp as scipy_solve_ivp
    system, y0 = kernels.hires(), np.array([1, 0, 0, 0, 0, 0, 0, 0.0057])
    atol, params = np.logspace(-4, -12, 8), np.array([280.0])
    ref = scipy_solve_ivp(system.host_rhs(params), (0.0, kernels.HIRES_T_END), y0, method="Radau", rtol=1e-12,
                          atol=1e-20).y[:, -1]
    run = kernels.solve_ivp(system, (0.0, kernels.HIRES_T_END), y0, params, method="sdirk4", rtol=1e-4, atol=atol,
                            precision=np.float64, solver=kernels.SolverOptions(linear="gmres"), progress=False)
    error = float(np.max(np.abs(run.y[0, -1] - ref) / (atol + 1e-4 * np.abs(ref))))
    assert run.success and error < 0.8, error


@pytest.mark.parametrize("method", ["sdirk2", "sdirk4", "kvaerno5"])
def test_a_fixed_step_one_site_loop_takes_its_fresh_matrix_at_the_one_prepare(method):
    """In the one-site stage loop (64 states and up) a failed fixed-step stage takes its matrix afresh through the
    step's one ``prepare`` (kernels.steps.dirk._restart_lines): a rerun inside the loop put a second Jacobian and
    factorisation and a second ``iterate`` there, and sdirk4 and kvaerno5 at 64 states ran 1.25 to 1.72x slower on
    an H100 (benchmarks/results/session46_2026-12-06/one_prepare); the unrolled stages keep their rerun in place,
    which timed 1.4 to 2.7x faster at 32 states than the one-prepare form."""
    import dataclasses

    from kernels.steps import dirk

    for one_site_from in (1, 10**9):
        integ = kernels.Integrator(kernels.brusselator(8), method, controller="fixed", precision=np.float64)
        step = dataclasses.replace(integ.settings.step, one_site_from=one_site_from)
        source = dirk._step_source(step, 8)[0]
        implicit = step.tableau.stages - (1 if step.explicit_first else 0)
        assert step.restarts(8) == step.one_site
        assert source.count("prepare(") == (1 if step.one_site else 1 + implicit)
        assert source.count("iterate(") == (1 if step.one_site else implicit)


@pytest.mark.parametrize("method", ["sdirk4", "kvaerno5"])
def test_small_unrolled_fixed_steps_take_a_failed_stage_up_again_through_the_one_prepare(method):
    """Unrolled stages whose state vector takes at most 32 bytes (8 states float32, 4 float64) take a failed
    fixed-step stage up again through the step's one ``prepare`` (one Jacobian and factorisation in the source, as
    the one-site loop): on an H100 1.14 to 1.19x faster at 8 states float32, and up to 2x slower from 16 states
    float32 and 8 float64, which keep the rerun in place (benchmarks/results/session48_2026-12-06/)."""
    from kernels.steps import dirk

    for n, dtype, restarts in ((8, np.float32, True), (4, np.float64, True), (16, np.float32, False),
                               (8, np.float64, False)):
        step = kernels.Integrator(kernels.brusselator(n), method, controller="fixed", precision=dtype).settings.step
        source = dirk._step_source(step, np.dtype(dtype).itemsize)[0]
        implicit = step.tableau.stages - (1 if step.explicit_first else 0)
        assert not step.one_site and step.restarts(np.dtype(dtype).itemsize) == restarts, (n, dtype)
        assert source.count("prepare(") == (1 if restarts else 1 + implicit), (n, dtype)
        assert source.count("iterate(") == implicit, (n, dtype)


@pytest.mark.parametrize("method", ["sdirk4", "sdirk2"])
def test_a_restarted_fixed_step_gives_the_same_numbers_in_both_stage_layouts(method):
    """A multi-stage fixed step on the enzyme at dt = 0.1 (the first steps move y by far more than the
    tolerances, so stages fail on J(t0, y0) and are rerun on a matrix at their last iterate): the one-site
    stage loop and the unrolled stages compute the same numbers, close to SciPy's Radau."""
    import dataclasses

    results = []
    # the one-site loop; unrolled stages taking the stage up again through prepare (4 states float64: 32 bytes);
    # unrolled stages rerunning it in place
    for one_site_from, restart_bytes in ((1, 0), (10**9, 32), (10**9, 0)):
        integ = kernels.Integrator(ENZYME, method, controller="fixed", precision=np.float64)
        integ.settings = dataclasses.replace(integ.settings, step=dataclasses.replace(
            integ.settings.step, one_site_from=one_site_from, restart_up_to_bytes=restart_bytes))
        results.append(integ.solve((0.0, 0.5), ENZYME_Y0, ENZYME_P, dt=0.1, rtol=1e-3, atol=1e-6))
    one, unrolled, in_place = results
    assert list(one.status) == [Status.SUCCESS], one.message(0)
    np.testing.assert_array_equal(one.y, unrolled.y)
    np.testing.assert_array_equal(one.y, in_place.y)
    from scipy.integrate import solve_ivp

    reference = solve_ivp(lambda t, y: _enzyme_f(y), (0.0, 0.5), ENZYME_Y0, method="Radau", rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(one.y[0, -1], reference.y[:, -1], rtol=0, atol=2e-3)


def _enzyme_f(y):
    out = np.zeros(4)
    enzyme_binding(0.0, y, ENZYME_P, out)
    return out


def _driven_relaxation(t, y, p, u, dydt):
    dydt[0] = -p[0] * (y[0] - u[0]) - y[0] * y[0] * y[0]
    dydt[1] = y[0] - p[1] * y[1] * u[1]


def test_a_stage_past_the_step_end_takes_its_fresh_matrix_with_its_own_drivers():
    """kvaerno5's third stage lies past the step's end (c = 1.23) and reads the drivers of the segment the end lies
    in; where its Newton fails on a fixed step, the fresh matrix must be taken with those drivers, not with the
    drivers evaluated afresh at the stage time (the next segment: y[1] ended 6.2e-4 off in a trial version whose
    rerun went through the step's one prepare, a regression hunt): 5.3e-5 from SciPy's Radau on the same
    interpolated drivers."""
    from scipy.integrate import solve_ivp

    system = kernels.ODESystem(_driven_relaxation, 2, 2, n_drivers=2, name="driven_relaxation")
    times = np.linspace(0.0, 1.0, 11)
    values = np.stack([3.0 * np.sin(5.0 * times), 1.0 + times], axis=1)
    p = np.array([50.0, 2.0])
    result = kernels.solve_ivp(system, (0.0, 1.0), [0.0, 1.0], [p], method="kvaerno5", dt=0.1, controller="fixed",
                               drivers=(times, values), precision=np.float64, progress=False)
    assert result.success, result.message(0)

    def f(t, y):
        u = [np.interp(t, times, values[:, j]) for j in range(2)]
        return [-p[0] * (y[0] - u[0]) - y[0] ** 3, y[0] - p[1] * y[1] * u[1]]

    reference = solve_ivp(f, (0.0, 1.0), [0.0, 1.0], method="Radau", rtol=1e-12, atol=1e-14, t_eval=[1.0]).y[:, -1]
    assert abs(result.y[0, -1, 1] - reference[1]) < 2e-4
