"""The atol-scale hint: a failed trajectory one of whose states stays below its atol along the path is told so."""

import numpy as np
import pytest

import kernels
from kernels.atol_scale_hint import atol_scale_probe, small_states, suggested_atol

ROW_SCALE = -0.5 + 4935 / 8191  # the H100 sweep's row: Robertson's rates times 10**s, s in [-0.5, 0.5]
RATES = 10.0 ** ROW_SCALE * np.array([0.04, 3e7, 1e4])
HEADLINE = "Likely cause: atol is larger than a state it controls: the largest magnitude of y[1] is 3.65e-05, below " \
           "its atol 0.0001"


def _robertson(precision, atol):
    return kernels.Integrator(kernels.robertson(), "radau", "pi", precision).solve(
        (0.0, 40.0), [[1.0, 0.0, 0.0]], RATES[None], rtol=1e-4, atol=atol, progress=False)


@pytest.mark.parametrize("precision", [np.float64, np.float32])
def test_a_state_below_its_atol_all_along_the_path_is_named_with_an_atol_per_state(precision):
    """y[1] stays near 3.6e-5 on the true path, below atol 1e-4: an accepted step took it to -7.9e-5, where -k2 y1^2
    drives it down, and the step size underflowed; the message spoke of dt_min, time resolution and singularities (an
    H100 sweep: 0.3 % of rows, float64 and float32)."""
    result = _robertson(precision, 1e-4)
    assert int(result.status[0]) == int(kernels.Status.STEP_SIZE_UNDERFLOW)
    message = result.message(0)
    assert message.startswith(HEADLINE), message
    assert "reaches the span's end (t = 40) without trouble" in message
    assert "atol=[0.0001, 3e-08, 0.0001] here, or a scalar atol of at most 3e-08." in message
    remedied = _robertson(precision, [1e-4, 3e-8, 1e-4])  # the remedy it names works
    assert int(remedied.status[0]) == 0


def _blowup(t, y, p, dydt):
    dydt[0] = y[0] * y[0]


def _blowup_beside_a_small_state(t, y, p, dydt):
    dydt[0] = y[0] * y[0]
    dydt[1] = -y[1]


@pytest.mark.parametrize("rhs, n_states, y0", [(_blowup, 1, [1.0]), (_blowup_beside_a_small_state, 2, [1.0, 1e-6])])
def test_a_true_blow_up_is_not_blamed_on_atol(rhs, n_states, y0):
    """y' = y^2 from 1 blows up at t = 1: the host follow does not reach t = 2, so no state is blamed, not even one
    far below its atol beside it."""
    system = kernels.ODESystem(rhs, n_states, name=rhs.__name__.lstrip("_"))
    result = kernels.solve_ivp(system, (0.0, 2.0), y0, method="radau", rtol=1e-4, atol=1e-4, precision=np.float64)
    assert int(result.status[0]) != 0
    message = result.message(0)
    assert "atol is larger than a state" not in message and "atol per state" not in message, message


def test_a_state_that_stays_zero_or_near_its_atol_is_not_named():
    largest = np.array([1.0, 0.0, 3.65e-5, 6e-5])
    assert small_states(largest, np.full(4, 1e-4)).tolist() == [2]  # 0: never nonzero; 6e-5: within the margin
    assert suggested_atol(largest, np.full(4, 1e-4), np.array([2])).tolist() == pytest.approx([1e-4, 1e-4, 3e-8, 1e-4])


def test_a_fixed_step_run_or_a_success_gets_no_probe():
    system = kernels.robertson()
    args = (system, np.array([kernels.Status.STEP_SIZE_UNDERFLOW]), [[1.0, 0, 0]], RATES[None], 0.0, 40.0)
    assert atol_scale_probe(*args, None) is None  # fixed step: no atol
    assert atol_scale_probe(*args[:1], np.array([0]), *args[2:], (1e-4, 1e-4)) is None
    assert atol_scale_probe(*args, (1e-4, 1e-4)) is not None


def test_the_headline_is_read_back_from_the_hint():
    from kernels.atol_scale_hint import HEADLINES
    from kernels.status_messages import cause_headline

    (template, headline), = HEADLINES
    states = "the largest magnitude of y[1] is 3.65e-05, below its atol 0.0001"
    hint = template.format(rtol=1e-4, t_end=40.0, states=states, suggested="[0.0001, 3e-08, 0.0001]", scalar=3e-8)
    assert cause_headline(" Some other text." + hint) == headline.format(states=states)
