"""The negative initial state hint (kernels.state_sign_hint): a failed trajectory that started a state below 0 where
every trajectory that succeeded started it at 0 or above is told so in its message."""

import pickle

import numpy as np
import pytest

import kernels
from kernels.state_sign_hint import SignProbe, negative_starts, not_settled, sign_note, with_sign_hint
from kernels.status import EVENT, MAX_STEPS, NONFINITE_STATE, STEP_SIZE_UNDERFLOW

NOTE = ("y0[0] = -0.001 of this trajectory is negative where every trajectory that succeeded starts it at 0 or above; "
        "if y[0] is a concentration or a population, start it at 0 or above.")


def _dimer(t, y, p, dydt):  # H + H -> H2 at k = 1e9 (a combustion mechanism's H radical), p[1] a source
    dydt[0] = -2.0 * p[0] * y[0] * y[0] + p[1]
    dydt[1] = p[0] * y[0] * y[0]


@pytest.fixture(scope="module")
def dimer_result():
    system = kernels.ODESystem(_dimer, n_states=2, n_params=2, name="dimer")
    y0 = np.array([[1e-3, 0.0], [-1e-3, 0.0]])
    return kernels.solve_ivp(system, (0.0, 10.0), y0, [[1e9, 0.0], [1e9, 0.0]], method="rodas5p", rtol=1e-6,
                             atol=1e-10, precision=np.float64, progress=False)


def test_a_negative_start_that_blew_up_is_named_in_its_message(dimer_result):
    # -2 k H^2 from H = -1e-3 runs to minus infinity in microseconds: the message blamed a singularity of the model
    # and never said that y0 started negative (a chemist's trial)
    res = dimer_result
    assert res.status.tolist() == [0, STEP_SIZE_UNDERFLOW]
    message = res.message(1)
    assert NOTE in message
    assert message.index(NOTE) < message.index("Followed on the host")  # before the other probes' hint
    assert "negative" not in res.message(0)
    assert NOTE in pickle.loads(pickle.dumps(res)).message(1)  # a pickled result keeps it as text


def test_only_failures_beside_successes_that_start_the_component_at_0_or_above_are_flagged():
    y0 = np.array([[1.0, 0.0, 2.0], [-1.0, -0.5, 2.0], [0.5, -2.0, -1.0], [1.0, 1.0, 1.0]])
    status = np.array([0, NONFINITE_STATE, MAX_STEPS, EVENT])  # an event counts as a success, as res.success does
    flagged = negative_starts(status, y0)
    # MAX_STEPS (trajectory 2) is no runaway: an oscillator started at -1 beside one at +1 lost its max_steps advice
    np.testing.assert_array_equal(flagged, [[False] * 3, [True, True, False], [False] * 3, [False] * 3])
    assert negative_starts(np.array([0, MAX_STEPS]), np.array([[1.0], [-1.0]])) is None
    y0[0, 1] = -0.1  # y[1] negative in a trajectory that succeeded: the sign is not what differs
    assert not negative_starts(status, y0)[:, 1].any()
    for status in ([0, 0, 0, 0], [NONFINITE_STATE] * 4):  # no failure; no success to compare with
        assert negative_starts(np.array(status), y0) is None
    assert negative_starts(np.array([0, NONFINITE_STATE]), np.array([[-1.0, 0.0]])) is None  # a y0 shared by both


def test_the_probe_adds_its_note_only_to_flagged_failures_and_keeps_the_other_hints():
    class Rest:
        def explains(self, code):
            return code == NONFINITE_STATE

        def hint(self, trajectory, t_saved=None, y_saved=None):
            return " rest"

    status = np.array([0, NONFINITE_STATE, NONFINITE_STATE])
    y0 = np.array([[1e-3, 0.0], [-1e-3, 0.0], [1e-3, 0.0]])
    probe = with_sign_hint(Rest(), status, y0)
    assert isinstance(probe, SignProbe) and not probe.explains(0) and probe.explains(NONFINITE_STATE)
    assert probe.hint(1) == " " + NOTE + " rest"
    assert probe.hint(2) == " rest" and probe.hint(0) == ""
    rest = Rest()
    assert with_sign_hint(rest, np.array([0, 0, 0]), y0) is rest and with_sign_hint(None, status, None) is None
    assert "y0[0] = -1 and y0[3] = -2 of this trajectory are negative" in sign_note(np.array([-1.0, 0, 0, -2.0]),
                                                                                      np.array([0, 3]))


def _blows_up(t, y, p, dydt):  # y[0] runs away at t = 1 / (p y0) when p > 0; y[1] is a harmless decay
    dydt[0] = p[0] * y[0] * y[0]
    dydt[1] = -y[1]


def test_a_negative_start_that_settled_toward_0_is_not_blamed():
    """y[0], started at +1, ran away through its parameter while y[1] decayed from -0.1 to -0.09, and the note blamed
    y0[1] (a regression hunt): a component whose last finite save lies closer to 0 than its start is not named."""
    system = kernels.ODESystem(_blows_up, 2, 1, name="blows_up")
    res = kernels.solve_ivp(system, (0.0, 1.0), [[1.0, 0.1], [1.0, -0.1]], [[0.0], [10.0]], method="tsit5",
                            t_eval=np.linspace(0.0, 1.0, 21), precision=np.float64, progress=False)
    assert res.status.tolist() == [0, STEP_SIZE_UNDERFLOW]
    assert np.isfinite(res.y[1, 1]).all()  # a save past the start: the evidence the note reads
    assert "negative" not in res.message(1)


def test_a_negative_start_that_ran_away_between_saves_is_still_named():
    # the mass-action runaway is over in microseconds: no save past t0 shows it, so the note stays (rodas4 too)
    system = kernels.ODESystem(_dimer, n_states=2, n_params=2, name="dimer_saved")
    res = kernels.solve_ivp(system, (0.0, 10.0), [[1e-3, 0.0], [-1e-3, 0.0]], [[1e9, 0.0], [1e9, 0.0]],
                            method="rodas4", rtol=1e-6, atol=1e-10, t_eval=np.linspace(0.0, 10.0, 5),
                            precision=np.float64, progress=False)
    assert int(res.status[0]) == 0 and int(res.status[1]) != 0
    assert NOTE in res.message(1)


def test_only_components_that_moved_back_toward_0_past_rounding_are_dropped():
    y0 = np.array([-1.0, -1.0, -1.0, -1.0, -1.0])
    flagged = np.arange(5)
    saves = np.array([[-1.0, -1.0, -1.0, -1.0, -1.0],
                      [-0.5, -2.0, 5.0, -1.0 + 1e-9, 0.9],  # back toward 0; further down; past its magnitude; t0
                      [np.nan] * 5])  # rounding of the start; crossed 0 within its magnitude
    np.testing.assert_array_equal(not_settled(y0, flagged, saves), [1, 2, 3])
    np.testing.assert_array_equal(not_settled(y0, flagged, saves[[0, 2]]), flagged)  # only the start: no evidence
    np.testing.assert_array_equal(not_settled(y0, flagged, None), flagged)
    np.testing.assert_array_equal(not_settled(y0, flagged, saves[:, :3]), flagged)  # not rows of this state


def _toggle(t, y, p, dydt):  # a toggle switch with Hill exponents 2.5 and 2.3: y ** 2.3 is NaN below 0
    dydt[0] = 3.0 / (1.0 + y[1] ** 2.5) - y[0]
    dydt[1] = 4.0 / (1.0 + y[0] ** 2.3) - y[1]


def test_a_negative_start_the_hint_already_names_is_said_once():
    """A systems biologist's trial: a toggle switch started at y0[0] = -1e-9 (its Hill term NaN there) was told the
    cause three times: the headline, this note, and the non-finite rhs hint's "y0 has y_0 = -1e-09 < 0".  Where the
    hint names that start, this note is left out."""
    system = kernels.ODESystem(_toggle, n_states=2, name="toggle_sign")
    res = kernels.solve_ivp(system, (0.0, 2.0), [[-1e-9, 1.5], [0.5, 1.5]], method="tsit5", precision=np.float64,
                            progress=False)
    assert res.status.tolist() == [NONFINITE_STATE, 0]
    message = res.message(0)
    assert message.startswith("Likely cause: y0 has y_0 = -1e-09 < 0, where the right-hand side is not finite")
    assert "of this trajectory is negative where every trajectory that succeeded" not in message, message
    assert message.count("y0 has y_0 = -1e-09 < 0") == 2  # the headline and the hint, no more
