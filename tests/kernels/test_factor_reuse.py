"""FIRK steps that keep their factors across steps (``SolverOptions(reuse_factor=True)``, the default).

Counted on the simulator through the system's own ``jac`` and ``jvp`` (radau and gauss4 take J from
``jvp`` products on a sparse pattern, sdirk4 from ``jac``): how often J is taken, and that the results
agree with the run that takes it at every step and with SciPy.
"""

import numpy as np
import pytest

import kernels
from kernel_helpers import counting_system, scipy_reference, simulator_only
from stiff_references import switching_runs

N_STATES = 8  # Brusselator, 4 grid points: the sparse LU over J's pattern, J from jvp products


def _counting_brusselator(calls):
    """``kernels.brusselator`` whose rhs, jvp and jac count their calls (host Python: simulator only)."""
    return counting_system(kernels.brusselator(N_STATES), calls)


def _run(method, reuse, steps=40, precision=np.float64):
    calls = {"rhs": 0, "jvp": 0, "jac": 0}
    system = _counting_brusselator(calls)
    y0 = kernels.brusselator_initial(N_STATES)
    result = kernels.solve_ivp(system, (0.0, steps * 1e-2), y0, method=method, dt=1e-2, controller="fixed",
                               rtol=1e-8, atol=1e-8, precision=precision,
                               solver=kernels.SolverOptions(reuse_factor=reuse))
    assert result.success and result.n_steps[0] == steps
    return result, calls, y0


@simulator_only
@pytest.mark.parametrize("method", ["radau", "gauss4"])
def test_fixed_steps_take_j_at_half_the_steps_or_fewer_and_agree(method):
    """A fixed-step run (40 steps of 1e-2) takes J at half the steps or fewer (again after a Newton slower
    than two iterations), where it took it at every step, and ends within 1e-9 (relative; measured 1.4e-11)
    of that run and within 1e-6 of SciPy at rtol 1e-12."""
    kept, kept_calls, y0 = _run(method, True)
    fresh, fresh_calls, _ = _run(method, False)
    assert fresh_calls["jvp"] >= 40 and kept_calls["jvp"] <= fresh_calls["jvp"] // 2, (kept_calls, fresh_calls)
    scale = np.abs(fresh.y[0, -1])
    assert np.max(np.abs(kept.y[0, -1] - fresh.y[0, -1]) / scale) < 1e-9
    system = kernels.brusselator(N_STATES)
    ref = scipy_reference(system, (0.0, 0.4), y0, [system.default_params], [0.4])[0, -1]
    assert np.max(np.abs(kept.y[0, -1] - ref) / np.abs(ref)) < 1e-6


@simulator_only
def test_dirk_takes_j_at_every_step():
    """sdirk4 does not keep its factor (module notes of kernels.solvers.options): J at each of 10 steps."""
    calls = {"rhs": 0, "jvp": 0, "jac": 0}
    result = kernels.solve_ivp(_counting_brusselator(calls), (0.0, 0.1), kernels.brusselator_initial(N_STATES),
                               method="sdirk4", dt=1e-2, controller="fixed", precision=np.float64)
    assert result.success and calls["jac"] >= 10


@pytest.mark.parametrize("method", ["gauss4", "radau"])
def test_newton_failing_on_a_kept_factor_retries_with_a_fresh_one(method):
    """At the jump Newton on the kept factor diverges; the step takes J again and goes on, and the run
    agrees with the one that takes J at every step (float64, fixed dt = 0.125)."""
    runs = switching_runs(method)
    assert all(r.success for r in runs), [r.status for r in runs]
    np.testing.assert_allclose(runs[0].y[0, -1], runs[1].y[0, -1], rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_reuse_factor_must_be_a_bool(value):
    with pytest.raises(kernels.errors.ConfigurationError, match="reuse_factor: expected True or False"):
        kernels.SolverOptions(reuse_factor=value)
