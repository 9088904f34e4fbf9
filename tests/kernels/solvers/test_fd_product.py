"""The matrix-free Newton/Rosenbrock product from finite differences (a system without ``jvp``), on the simulator.

The increment is ``d = step / max_i |v_i| / sc_i``, ``sc_i = max(|y_i|, step max|y|)``
(:mod:`kernels.solvers.iteration_matrix`): these Robertson runs took 22378 steps (``atol = 0``) and ended
at ``MAX_STEPS`` (states near 2.5e19 in float32) with ``d = sqrt(eps (1 + ||y||_2)) / ||v||_2``; each is
held here within three times the LU's steps.  HIRES (six states starting at 0) ended 2.1 to 6.9 tolerances
off with rodas5p + bicgstab when the Rosenbrock stages' products were forward differences with
``step = sqrt(eps)``: now central with ``step = eps^(1/3)``.
"""

import warnings

import numpy as np
import pytest

import kernels
from kernels.stiff_systems import _hires_rhs, _robertson_rhs

#: Air's number density (cm^-3): float32 sums of squares of states this size overflow (above 1.8e19).
AIR = 2.5e19


def _robertson_without_jvp(params):
    return kernels.ODESystem(_robertson_rhs, 3, 3, name="robertson_fd", default_params=params)


def _steps(system, y0, params, solver, rtol, atol, precision, max_steps):
    """Attempted steps of rodas5p to t = 40 with ``solver``; fails the test where the run does not succeed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # differenced products with a Rosenbrock method warn (ToleranceWarning)
        res = kernels.solve_ivp(system, (0.0, 40.0), np.array([y0], dtype=float), np.array([params]),
                                t_eval=np.array([40.0]), method="rodas5p", solver=solver, rtol=rtol, atol=atol,
                                precision=precision, max_steps=max_steps, progress=False)
    assert bool(np.all(res.success)), f"{solver}: {res.status} after {res.n_steps} steps"
    return int(res.n_steps[0])


@pytest.mark.parametrize("solver", ["gmres", "bicgstab"])
def test_pure_relative_tolerance_takes_about_the_lus_steps(solver):
    """atol = 0: an increment of about 1e-8 in every component swamped y_2 (1e-5 to 1e-10), 22378 steps for 79."""
    params = (0.04, 3e7, 1e4)
    system = _robertson_without_jvp(params)
    lu = _steps(system, [1.0, 0.0, 0.0], params, "lu", 1e-6, 0.0, np.float64, 10_000)
    assert _steps(system, [1.0, 0.0, 0.0], params, solver, 1e-6, 0.0, np.float64, 3 * lu) <= 3 * lu


def test_states_near_air_density_in_float32_do_not_overflow_the_increment():
    """||y||_2 and ||v||_2 as sums of squares overflowed in float32 at 2.5e19: d was 0 or NaN, MAX_STEPS."""
    params = (0.04, 3e7 / AIR, 1e4 / AIR)
    system = _robertson_without_jvp(params)
    y0 = [AIR, 0.0, 0.0]
    lu = _steps(system, y0, params, "lu", 1e-4, 1e-6 * AIR, np.float32, 10_000)
    assert _steps(system, y0, params, "gmres", 1e-4, 1e-6 * AIR, np.float32, 3 * lu) <= 3 * lu


@pytest.mark.parametrize("solver", ["bicgstab", "gmres"])
def test_states_starting_at_zero_leave_the_rosenbrock_products_accurate(solver):
    """HIRES, rodas5p, float64, rtol 1e-6, atol 1e-10: within 0.5 tolerances of the reference (the LU 0.11).

    Its zero states' floor set the increment: d ~ 2e-6 moved the states near 1 by ~1e-12 of themselves, and
    J v was ~1e-4 rounding: bicgstab ended 1.76 tolerances off here (2.1 to 6.9 at rtol * 0.93..1.07), gmres
    1.04; now 0.22 and 0.12.
    """
    rtol, atol = 1e-6, 1e-10
    system = kernels.ODESystem(_hires_rhs, 8, 1, name="hires_fd", default_params=(280.0,))  # no jac, no jvp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = kernels.solve_ivp(system, (0.0, kernels.HIRES_T_END), np.array([[1, 0, 0, 0, 0, 0, 0, 0.0057]], float),
                                np.array([[280.0]]), t_eval=[kernels.HIRES_T_END], method="rodas5p", solver=solver,
                                rtol=rtol, atol=atol, precision=np.float64, progress=False)
    assert bool(np.all(res.success)), f"{solver}: {res.status} after {res.n_steps} steps"
    ref = np.asarray(kernels.HIRES_REFERENCE)
    error = float(np.max(np.abs(np.asarray(res.y)[0, -1] - ref) / (atol + rtol * np.abs(ref))))
    assert error <= 0.5, f"{solver}: {error:.3g} tolerances off in {int(res.n_steps[0])} steps"
