"""Result messages of kernels.solve_ivp (kernels/api.py)."""

import warnings

import numpy as np
import pytest

import kernels
from kernel_helpers import stiff_pair


def _stiff_pair_jac_one_wrong(t, y, p, J):
    J[0] = -1000.0
    J[1] = 1.0
    J[2] = 1.0  # d f_1 / d y_0 is 0.5: a typo
    J[3] = -1.0


def test_a_successful_run_on_a_flagged_jac_names_it_too():
    """A new user's jac with one wrong entry: the run took 50x the steps and ended 1.4 tolerances off, and its
    message said plain success; failures already named the flagged jac."""
    with pytest.warns(kernels.JacobianCheckWarning):
        system = kernels.ODESystem(stiff_pair, 2, name="pair", jac=_stiff_pair_jac_one_wrong)
    with pytest.warns(kernels.JacobianCheckWarning, match="rodas5p uses the jac of system 'pair'"):
        result = kernels.solve_ivp(system, (0.0, 1.0), [1.0, 1.0], method="rodas5p", precision=np.float64,
                                   rtol=1e-6, atol=1e-9, progress=False)
    assert result.success
    message = result.message(0)
    assert message.startswith(kernels.STATUS_MESSAGES[kernels.Status.SUCCESS])
    assert "The system's jac disagreed with differences of its rhs when the system was built" in message
    assert "a run that succeeds can take many more steps and end outside its tolerances" in message
    with warnings.catch_warnings():  # an explicit method uses no Jacobian: plain success
        warnings.simplefilter("error", kernels.JacobianCheckWarning)
        explicit = kernels.solve_ivp(system, (0.0, 0.01), [1.0, 1.0], method="tsit5", precision=np.float64,
                                     progress=False)
    assert explicit.message(0) == kernels.STATUS_MESSAGES[kernels.Status.SUCCESS]


def test_message_names_the_valid_trajectories():
    """res.message(3) with N = 3 and res.message("0") raised NumPy's bare IndexError; now the range is named."""
    res = kernels.solve_ivp(kernels.lorenz(), (0.0, 0.01), np.ones((3, 3)), method="rk4", dt=0.01, progress=False)
    assert res.message(2) == res.message(-1) == res.message(np.int64(0))
    with pytest.raises(IndexError, match=r"trajectory 3 is out of range: this result has N = 3 trajectories, "
                                         r"indices 0\.\.2"):
        res.message(3)
    with pytest.raises(IndexError, match="trajectory -4 is out of range"):
        res.message(-4)
    for wrong in ("0", 1.0, True, None):
        with pytest.raises(TypeError, match=r"trajectory must be an integer index in 0\.\.2 \(N = 3\); got "):
            res.message(wrong)
