"""The Krylov solvers inside a solve whose states are huge: as the LU, in its steps (``kernels/solvers/krylov_source``).

Robertson in number densities: ``Y = S y`` with the rate constants of the quadratic terms over ``S``, the very
problem in other units, so the run must take the unscaled run's steps and the LU's answer.  The solves' norms were
sums of squares: at ``S = 2.5e19`` (float32; air's number density in cm^-3) bicgstab took 179 steps against the
LU's 30, and at ``S = 1e160`` (float64) gmres and bicgstab ended at ``MAX_STEPS`` (the LU: 31 steps).
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp as scipy_solve_ivp

import kernels

T_END = 40.0
K1, K2, K3 = 0.04, 3e7, 1e4  # kernels.robertson's parameters: y1 -> y2 (K1), 2 y2 -> y3 + y2 (K2), ...


def _reference():
    """SciPy's Radau at rtol 1e-12 on the unscaled problem, at ``T_END``."""
    def rhs(t, y):
        fast, mix = K2 * y[1] * y[1], K3 * y[1] * y[2]
        return [-K1 * y[0] + mix, K1 * y[0] - fast - mix, fast]

    return scipy_solve_ivp(rhs, (0.0, T_END), [1.0, 0.0, 0.0], method="Radau", rtol=1e-12, atol=1e-20).y[:, -1]


def _run(scale, precision, rtol, solver):
    """rodas5p on Robertson scaled by ``scale``, two trajectories, ``atol`` 1e-6 of the total; the result."""
    return kernels.solve_ivp(kernels.robertson(), (0.0, T_END), np.tile([scale, 0.0, 0.0], (2, 1)),
                             params=[K1, K2 / scale, K3 / scale], method="rodas5p", precision=precision, rtol=rtol,
                             atol=1e-6 * scale, solver=solver, max_steps=300, progress=False)


@pytest.mark.parametrize("precision, scale, rtol, solver", [(np.float32, 2.5e19, 1e-4, "bicgstab"),
                                                            (np.float64, 1e160, 1e-6, "gmres"),
                                                            (np.float64, 1e160, 1e-6, "bicgstab")],
                         ids=["float32-bicgstab", "float64-gmres", "float64-bicgstab"])
def test_huge_states_take_the_lus_steps_and_answer(precision, scale, rtol, solver):
    """Robertson at 2.5e19 (float32) and 1e160 (float64): the Krylov run succeeds in at most the LU's steps plus
    three (31 against 30; 31 and 31), within 0.5 tolerances of the LU's answer (0.012; 6e-6) and one of SciPy's
    Radau (0.034, the LU 0.046; 0.31 as the LU).  It took 179 steps (float32) and ended at MAX_STEPS (float64)."""
    lu, krylov = (_run(scale, precision, rtol, name) for name in ("lu", solver))
    assert (lu.status == 0).all() and (krylov.status == 0).all(), (lu.status, krylov.status)
    assert (krylov.n_steps <= lu.n_steps + 3).all(), (krylov.n_steps, lu.n_steps)
    atol = 1e-6 * scale
    y_lu, y = (np.asarray(r.y, dtype=np.float64)[:, -1] for r in (lu, krylov))
    off_lu = np.max(np.abs(y - y_lu) / (atol + rtol * np.abs(y_lu)))
    exact = scale * _reference()
    off_exact = np.max(np.abs(y - exact) / (atol + rtol * np.abs(exact)))
    assert off_lu < 0.5 and off_exact < 1.0, (off_lu, off_exact)
