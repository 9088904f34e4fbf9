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

    template, headline = HEADLINES[0]
    states = "the largest magnitude of y[1] is 3.65e-05, below its atol 0.0001"
    hint = template.format(rtol=1e-4, t_end=40.0, states=states, suggested="[0.0001, 3e-08, 0.0001]", scalar=3e-8)
    assert cause_headline(" Some other text." + hint) == headline.format(states=states)


def _rosenzweig_macarthur(t, y, p, dydt):
    f = p[2] * y[0] / (1.0 + p[2] * p[3] * y[0])
    dydt[0] = p[0] * y[0] * (1.0 - y[0] / p[1]) - f * y[1]
    dydt[1] = p[4] * f * y[1] - p[5] * y[1]


RM_PARAMS = [[1.0, 20.0, 1.0, 1.0, 0.5, 0.2]]  # K = 20: the prey truly falls to 1e-17, then 1e-22, on its cycles


def _rm(atol, max_steps=1000):
    system = kernels.ODESystem(_rosenzweig_macarthur, 2, n_params=6, name="rosenzweig_macarthur")
    return kernels.solve_ivp(system, (0.0, 400.0), [0.5, 0.5], RM_PARAMS, t_eval=np.linspace(0, 400, 11),
                             method="dop853", rtol=1e-5, atol=atol, max_steps=max_steps, progress=False)


def test_a_state_that_dips_far_below_its_atol_and_was_taken_across_0_is_named():
    """The prey's largest value is 20, but it dips to 1e-17 and 1e-22 with atol 1e-9: the float32 run saved it at
    -3.2e-17 at t = 40, where logistic growth at N < 0 runs away, and it spent max_steps mostly rejected; the message
    said the host's Radau stops too, at t = 79.1 with y = [-3.29e+13, ...], so the solution itself is singular there
    (the loose host follow crossed 0 as well; an ecologist's trial)."""
    result = _rm(1e-9)
    assert int(result.status[0]) == int(kernels.Status.MAX_STEPS) and result.y[0, 1, 0] < 0
    message = result.message(0)
    assert message.startswith("Likely cause: y[0] falls to 6.") and "far below its atol 1e-09, so the run can " \
        "take it across 0, where the model runs away" in message, message
    assert "keeps its sign but falls to" in message
    assert "(it saved y[0] = -3.21e-17 at t = 40, its own path off the host's by then)" in message
    assert "past where the run stopped (before t = 80)" in message
    assert "atol=[6e-26, 1e-09]" in message and "solve for the logarithm of the state" in message
    assert "singular" not in message, message
    remedied = _rm([6e-26, 1e-9], max_steps=20000)  # the remedy it names works
    assert int(remedied.status[0]) == 0 and np.all(remedied.y[0, :, 0] > 0)


def _leslie_gower(t, y, p, dydt):
    dydt[0] = y[0] * (1.0 - y[0]) - p[0] * y[0] - y[0] * y[1] / (1.0 + y[0])
    dydt[1] = 0.2 * y[1] * (1.0 - y[1] / (p[1] * y[0]))


@pytest.mark.parametrize("precision", [np.float32, np.float64])
def test_a_state_decaying_far_below_its_atol_to_extinction_is_named(precision):
    """A prey harvested to extinction decays to 1e-88 by t = 200 (SciPy's Radau at atol 1e-300), and the predator
    P' = 0.2 P (1 - P / (h N)) with it: the run stopped with an underflowing step and the generic message (its last
    save at t = 0 in float32); float32 cannot hold such a prey, so float64 is named there."""
    system = kernels.ODESystem(_leslie_gower, 2, n_params=2, name="leslie_gower")
    result = kernels.solve_ivp(system, (0.0, 200.0), [0.5, 0.5], [[2.0, 1.0]], t_eval=np.linspace(0, 200, 5),
                               precision=precision, progress=False)
    assert int(result.status[0]) == int(kernels.Status.STEP_SIZE_UNDERFLOW)
    message = result.message(0)
    assert message.startswith("Likely cause: y[0] falls to "), message
    assert "reaches the span's end (t = 200), and along that path y[0] keeps its sign" in message
    assert ("Float32 cannot hold such values" in message) == (precision == np.float32), message
    assert "solve for the logarithm of the state" in message


def test_the_dip_headline_is_read_back_from_the_hint():
    from kernels.atol_scale_hint import HEADLINES
    from kernels.status_messages import cause_headline

    template, headline = HEADLINES[1]
    hint = template.format(rtol=1e-5, reach="reaches the span's end (t = 100)", state="N (y[0])", low=1.8e-87,
                           t_low=100.0, atol=1e-6, evidence="it stopped before t = 40", remedy="Give it less.")
    assert cause_headline(" Some other text." + hint) == headline.format(state="N (y[0])", low="1.8e-87", atol="1e-06")


def _stiff_beside_a_decaying_state(t, y, p, dydt):
    dydt[0] = -1e5 * (y[0] - 1.0)
    dydt[1] = -p[0] * y[1]


@pytest.mark.filterwarnings("ignore::kernels.ToleranceWarning")  # y[1] at 1e-9 under atol 1e-6, as the user gave it
@pytest.mark.parametrize("y1, rate", [(1e-9, 1.0), (1.0, 30.0)])
def test_a_decoupled_decaying_state_below_its_atol_is_not_blamed_for_another_cause(y1, rate):
    """tsit5 with dt_min = 1e-3 on y0' = -1e5 (y0 - 1) underflows its step: the user's dt_min is the cause.  Beside
    it, y1' = -y1 at 1e-9 stays below atol 1e-6, and y1' = -30 y1 from 1 dips to 1e-13: put at -1e-6 either decays
    back, so neither can have stopped the run; the message opened with atol (or the dip), dt_min pushed below it."""
    system = kernels.ODESystem(_stiff_beside_a_decaying_state, n_states=2, n_params=1, name="stiff_plus_decay")
    result = kernels.solve_ivp(system, (0.0, 1.0), [0.0, y1], [[rate]], method="tsit5", rtol=1e-6, atol=1e-6,
                               dt_min=1e-3, precision=np.float64, progress=False)
    assert int(result.status[0]) == int(kernels.Status.STEP_SIZE_UNDERFLOW)
    message = result.message(0)
    assert message.startswith("The step size fell below the minimum step (dt_min)"), message
    assert "atol is larger than a state" not in message and "far below its atol" not in message, message


def test_the_suggested_atol_keeps_an_untouched_state_s_atol_as_given():
    """The hint lowers y[1]'s atol only; the others print as the user gave them (2.5e-05), not rounded to one digit
    (3e-05, looser than given)."""
    probe = atol_scale_probe(kernels.robertson(), np.array([kernels.Status.STEP_SIZE_UNDERFLOW]), [[1.0, 0, 0]],
                             RATES[None], 0.0, 40.0, (1e-4, [2.5e-5, 1e-4, 2.5e-5]))
    hint = probe.hint(0)
    assert "atol=[2.5e-05, 3e-08, 2.5e-05] here, or a scalar atol of at most 3e-08." in hint, hint
