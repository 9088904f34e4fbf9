"""The first step a Rosenbrock run chooses is confirmed at half its size (``kernels.loop_adaptive``; issue #10).

Robertson from ``y = (1, 0, 0)`` with its rate constants scaled by ``10 ** s`` (``benchmarks.fd_jacobian_cost``'s
sweep over s in [-0.5, 0.5]): in windows of ``s`` rodas4 and rodas5p accepted a first step chosen by Hairer's rule
whose error estimate (0.07 to 0.9) did not see that ``y2`` had gone 16 to 30 ``atol`` below its unstable root (the
Jacobian at ``y0`` has ``df2/dy2 = 0``), and the run ended STEP_SIZE_UNDERFLOW after 170 to 270 steps, in float32
and float64 alike (on the simulator in float64: rows 4779 to 4789 of 8192 for rodas4, 5440 and 5441 for rodas5p).
"""

import numpy as np
import pytest

import kernels
from scipy.integrate import solve_ivp as scipy_solve_ivp

ROBERTSON_K = np.array([0.04, 3e7, 1e4])


def _rows(rows):
    """The rate constants of rows of the 8192-row sweep."""
    return np.outer(10.0 ** (-0.5 + np.asarray(rows) / 8191.0), ROBERTSON_K)


def _robertson(t, y, k):
    return [-k[0] * y[0] + k[2] * y[1] * y[2], k[0] * y[0] - k[2] * y[1] * y[2] - k[1] * y[1] ** 2, k[1] * y[1] ** 2]


def _exact(k):
    sol = scipy_solve_ivp(_robertson, (0.0, 40.0), [1.0, 0.0, 0.0], method="Radau", rtol=1e-10, atol=1e-14, args=(k,))
    assert sol.success
    return sol.y[:, -1]


@pytest.mark.parametrize("method, rows", [("rodas4", [4779, 4780, 4785]), ("rodas5p", [5440, 5441])])
def test_robertson_rows_whose_first_step_was_accepted_wrongly_succeed(method, rows):
    k = _rows(rows)
    system = kernels.robertson()
    res = kernels.Integrator(system, method, "pi", np.float64).solve(
        (0.0, 40.0), np.tile([1.0, 0.0, 0.0], (len(k), 1)), k, rtol=1e-5, atol=1e-5, progress=False)
    assert np.all(np.asarray(res.status) == 0), [res.message(i) for i in range(len(k))]
    assert np.max(res.n_steps) < 60
    for i, row in enumerate(k):
        exact = _exact(row)
        scaled = np.abs(res.y[i, -1, :] - exact) / (1e-5 + 1e-5 * np.abs(exact))
        assert np.max(scaled) < 10.0


def test_a_first_step_the_user_gives_is_taken_as_given():
    """The confirmation is for the loop's own guess: with ``dt`` given, y' = -y is not rejected once, and
    without it the first step's confirmation is the one rejection."""
    system = kernels.ODESystem(_decay, 1, 0, name="decay_first_step")
    integ = kernels.Integrator(system, "rodas4", "pi", np.float64)
    given = integ.solve((0.0, 1.0), [[1.0]], None, dt=1e-3, rtol=1e-6, atol=1e-9, progress=False)
    chosen = integ.solve((0.0, 1.0), [[1.0]], None, rtol=1e-6, atol=1e-9, progress=False)
    assert int(given.n_rejected[0]) == 0
    assert int(chosen.n_rejected[0]) == 1
    for res in (given, chosen):
        assert abs(res.y[0, -1, 0] - np.exp(-1.0)) < 1e-5


def _decay(t, y, p, dydt):
    dydt[0] = -y[0]


@pytest.mark.parametrize("method", ["ros3p", "rodas4", "rodas5p"])
def test_the_confirmation_is_not_charged_to_max_steps(method):
    """y' = -y over (0, 1e-3) takes one step: with max_steps=2 it succeeded before the confirmation and must still
    (a regression hunt: status MAX_STEPS, the final state NaN)."""
    system = kernels.ODESystem(_decay, 1, 0, name="decay_max_steps")
    res = kernels.Integrator(system, method, "pi", np.float64).solve(
        (0.0, 1e-3), [[1.0]], None, rtol=1e-6, atol=1e-9, max_steps=2, progress=False)
    assert int(res.status[0]) == 0, res.message(0)
    assert abs(res.y[0, -1, 0] - np.exp(-1e-3)) < 1e-8


def test_a_first_save_near_t0_does_not_restart_the_step_from_it():
    """A landing on a save 1e-9 after t0 is accepted as it comes: halving it started rodas5p from 5e-10 and took 38
    steps to t = 10 where 25 sufficed without that save (a regression hunt)."""
    system = kernels.ODESystem(_decay, 1, 0, name="decay_early_save")
    integ = kernels.Integrator(system, "rodas5p", "pi", np.float64)
    plain = integ.solve((0.0, 10.0), [[1.0]], None, rtol=1e-6, atol=1e-9, progress=False)
    early = integ.solve((0.0, 10.0), [[1.0]], None, t_eval=[1e-9, 10.0], rtol=1e-6, atol=1e-9, progress=False)
    assert int(early.status[0]) == 0
    assert int(early.n_steps[0]) <= int(plain.n_steps[0]) + 2
