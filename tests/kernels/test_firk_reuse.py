"""FIRK steps that keep their factors across steps (``SolverOptions(reuse_factor=True)``, the default).

Counted on the simulator through the system's own ``jvp`` (its Jacobian path on a sparse
pattern): how often the blocks are factored, and that the results agree with the run that
factors at every step and with SciPy's Radau.
"""

import numpy as np
import pytest

import kernels
from kernel_helpers import scipy_reference

N_STATES = 8  # Brusselator, 4 grid points: the sparse LU over J's pattern, J from jvp products


def _counting_brusselator(calls):
    """``kernels.brusselator`` whose rhs and jvp count their calls (host Python: simulator only)."""
    base = kernels.brusselator(N_STATES)
    rhs0, jvp0 = base.rhs, base.jvp

    def rhs(t, y, p, dydt):
        calls["rhs"] += 1
        rhs0(t, y, p, dydt)

    def jvp(t, y, p, v, out):
        calls["jvp"] += 1
        jvp0(t, y, p, v, out)

    return kernels.ODESystem(rhs, N_STATES, base.n_params, name="counted", jvp=jvp, jac=base.jac,
                             default_params=base.default_params, check=False)


def _run(method, reuse, steps=40, precision=np.float64):
    calls = {"rhs": 0, "jvp": 0}
    system = _counting_brusselator(calls)
    y0 = kernels.brusselator_initial(N_STATES)
    result = kernels.solve_ivp(system, (0.0, steps * 1e-2), y0, method=method, dt=1e-2, controller="fixed",
                               rtol=1e-8, atol=1e-8, precision=precision,
                               solver=kernels.SolverOptions(reuse_factor=reuse))
    assert result.success and result.n_steps[0] == steps
    return result, calls, y0


@pytest.mark.parametrize("method", ["radau", "gauss4"])
def test_fixed_steps_factor_once_and_agree(method):
    """A fixed-step run takes J (one jvp per column group) at half the steps or fewer (radau: 6 of 40, gauss4:
    16, dt = 1e-2), where it took it at every step, and ends
    within 1e-9 (relative) of that run and within 1e-6 of SciPy's Radau at rtol 1e-10."""
    kept, kept_calls, y0 = _run(method, True)
    fresh, fresh_calls, _ = _run(method, False)
    groups = fresh_calls["jvp"] // 40
    assert groups >= 1 and fresh_calls["jvp"] == 40 * groups
    # refreshed only after a slow Newton (more than two iterations at a rate above 1e-3)
    assert kept_calls["jvp"] % groups == 0 and kept_calls["jvp"] <= fresh_calls["jvp"] // 2, (kept_calls, fresh_calls)
    scale = np.abs(fresh.y[0, -1])
    assert np.max(np.abs(kept.y[0, -1] - fresh.y[0, -1]) / scale) < 1e-9
    system = kernels.brusselator(N_STATES)
    ref = scipy_reference(system, (0.0, 0.4), y0, [system.default_params], [0.4])[0, -1]
    assert np.max(np.abs(kept.y[0, -1] - ref) / np.abs(ref)) < 1e-6


def _switching(t, y, p, dydt):
    rate = 1.0 if t < 0.5 else 2000.0  # J jumps by 2000x at t = 0.5, a step boundary
    dydt[0] = -rate * (y[0] - np.cos(t))
    dydt[1] = y[0] - y[1]


def test_newton_failing_on_a_kept_factor_retries_with_a_fresh_one():
    """gauss4 (interior nodes: a step on either side of t = 0.5 sees one rate), dt = 0.125: at the jump
    Newton on the kept factor diverges, the step refactors and goes on, and the run agrees with the one
    that factors at every step."""
    system = kernels.ODESystem(_switching, 2, name="switching")
    runs = [kernels.solve_ivp(system, (0.0, 1.0), [1.0, 0.0], method="gauss4", dt=0.125, controller="fixed",
                              rtol=1e-8, atol=1e-8, precision=np.float64,
                              solver=kernels.SolverOptions(reuse_factor=reuse)) for reuse in (True, False)]
    assert all(r.success for r in runs), [r.status for r in runs]
    np.testing.assert_allclose(runs[0].y[0, -1], runs[1].y[0, -1], rtol=1e-7, atol=1e-10)


def test_reuse_factor_must_be_a_bool():
    with pytest.raises(kernels.errors.ConfigurationError, match="reuse_factor"):
        kernels.SolverOptions(reuse_factor="yes")
