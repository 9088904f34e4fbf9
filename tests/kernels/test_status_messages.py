"""A run's status messages (kernels/status_messages.py): here where a run without events stops, its last save."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernels import STATUS_MESSAGES, Status

LAST_SAVE = ("The solver successfully reached the last save time t = 1.0 (t_eval ends before t_span[1] = 2.0: "
             "without events or per-run summaries, integration stops there).")


def _lv(t, y, p, dydt):
    dydt[0] = y[0] - y[0] * y[1]
    dydt[1] = y[0] * y[1] - y[1]


LV = kernels.ODESystem(_lv, n_states=2, name="lv_messages")


@pytest.mark.parametrize("method, options", [("tsit5", {}), ("rk4", dict(dt=0.01))])
def test_a_run_whose_saves_end_before_the_span_says_it_stopped_at_the_last_save(method, options):
    """t_eval=[0.5, 1.0] in t_span (0, 2) stopped at t = 1 and said it "reached the end of the integration interval"
    (a diffrax user's trial)."""
    result = kernels.solve_ivp(LV, (0.0, 2.0), [1.0, 2.0], t_eval=[0.5, 1.0], method=method, progress=False,
                               **options)
    assert result.success and result.message(0) == LAST_SAVE


def test_a_run_that_reaches_t_end_keeps_the_plain_message():
    result = kernels.solve_ivp(LV, (0.0, 2.0), [1.0, 2.0], t_eval=[0.5, 2.0], progress=False)
    assert result.message(0) == STATUS_MESSAGES[Status.SUCCESS]


@pytest.mark.parametrize("settings", [dict(events=kernels.Event(lambda t, y, p: y[0] - 100.0)),
                                      dict(summaries=kernels.Summaries(states=(0,), stats=("max",)))])
def test_a_run_with_events_or_run_summaries_goes_on_to_t_end_and_keeps_the_plain_message(settings):
    integrator = kernels.Integrator(LV, "tsit5", precision=np.float64, **settings)
    result = integrator.solve((0.0, 2.0), [1.0, 2.0], t_eval=[0.5, 1.0])
    assert result.success and result.message(0) == STATUS_MESSAGES[Status.SUCCESS]


def _morris_lecar(t, y, p, dydt):
    V, w = y[0], y[1]
    minf = 0.5 * (1.0 + math.tanh((V - p[7]) / p[8]))
    winf = 0.5 * (1.0 + math.tanh((V - p[9]) / p[10]))
    tauw = 1.0 / math.cosh((V - p[9]) / (2.0 * p[10]))
    dydt[0] = (p[0] - p[3] * (V - p[6]) - p[1] * minf * (V - p[4]) - p[2] * w * (V - p[5])) / p[12]
    dydt[1] = p[11] * (winf - w) / tauw


ML = kernels.ODESystem(_morris_lecar, n_states=2, n_params=13, name="ml_negative_c")
# I, gCa, gK, gL, VCa, VK, VL, V1, V2, V3, V4, phi, C: the capacitance given -20 (a sign slip)
ML_NEGATIVE_C = [90.0, 4.4, 8.0, 2.0, 120.0, -84.0, -60.0, -1.2, 18.0, 2.0, 30.0, 0.04, -20.0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("solver", ["lu", "dense"])
def test_a_matrix_singular_in_fact_is_not_said_to_be_solved_by_the_dense_lu(solver):
    """Morris-Lecar with C = -20 ran V off to -3e4: radau ended SINGULAR_MATRIX and was told solver='dense' (partial
    pivoting) solves it, which failed the same way, then with no word of why (a neuroscientist's trial).  The host
    finds J's growing mode at the start: the dense advice is conditional, and either run is told the matrix is
    singular in fact and to check the parameters' signs."""
    res = kernels.solve_ivp(ML, (0.0, 100.0), [-60.0, 0.0], [ML_NEGATIVE_C], method="radau", solver=solver,
                            precision=np.float64, rtol=1e-6, atol=1e-6, t_eval=[100.0], progress=False)
    assert int(res.status[0]) == Status.SINGULAR_MATRIX
    message = res.message(0)
    assert "solves it" not in message and "factors such a matrix" not in message
    assert ("At the initial state (t = 0) the Jacobian has a real eigenvalue 0.0971 > 0 (a mode growing), so I - c J "
            "is singular at c = 10.3 whatever the pivoting") in message
    assert "singular in fact" in message and "check the signs and units of the parameters" in message
    if solver == "lu":
        assert "solver='dense' (partial pivoting) may factor the matrices this run met, or fail the same way. If it " \
               "fails, the matrix is singular in fact" in message
    else:
        assert "This run's LU pivots by rows (solver='dense'), so the matrix was singular in fact" in message


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_the_pivot_note_names_how_far_the_last_saved_state_moved_from_its_start():
    """Where the result saved a state before the stop, the note says how far it moved (V = -3e4 from -60 in the
    trial); the last saved state is the one judged."""
    import dataclasses

    from kernels.pivot_check import pivot_note

    res = kernels.solve_ivp(ML, (0.0, 100.0), [-60.0, 0.0], [ML_NEGATIVE_C], method="radau", solver="dense",
                            precision=np.float64, rtol=1e-6, atol=1e-6, t_eval=[100.0], progress=False)
    saved = dataclasses.replace(res, t=np.array([65.0, 100.0]),
                                y=np.array([[[-3.00447994e4, -3.29343475e-09], [np.nan, np.nan]]]))
    text = pivot_note(saved, 0, saved.status_messages[Status.SINGULAR_MATRIX])
    assert ("look at how far the state has moved from its start (here y_0 = -3e+04 at t = 65, its last saved state, "
            "from -60 at t = 0)") in text
    assert "At the last finite saved state (t = 65) the Jacobian has a real eigenvalue 0.1 > 0" in text


def _hh_rates(t, y, p, dydt):
    V, n = y[0], y[1]
    an = 0.01 * (V + 55.0) / (1.0 - math.exp(-(V + 55.0) / 10.0))  # 0 / 0 at V = -55 exactly
    bn = 0.125 * math.exp(-(V + 65.0) / 80.0)
    dydt[0] = p[0] - 36.0 * n ** 4 * (V + 77.0) - 0.3 * (V + 54.387)
    dydt[1] = an * (1.0 - n) - bn * n


HH_RATES = kernels.ODESystem(_hh_rates, n_states=2, n_params=1, name="hh_rates_at_minus_55")


def test_a_message_whose_probes_meet_a_zero_over_zero_warns_nothing():
    """Hodgkin-Huxley's alpha_n at V = -55 exactly is 0 / 0: message(i) re-evaluated the rhs there and NumPy printed
    "invalid value encountered in scalar divide" at the user's line four times a message (a neuroscientist's trial).
    The message names the cause; it warns nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the solve's own (the simulator's), not the point
        res = kernels.solve_ivp(HH_RATES, (0.0, 5.0), [-55.0, 0.3177], [10.0], method="rodas5p",
                                precision=np.float64, rtol=1e-6, atol=1e-8, progress=False)
    assert int(res.status[0]) != Status.SUCCESS
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        message = res.message(0)
    assert "0 / 0 at exactly y_0 = -55" in message
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]
    before = np.geterr()
    res.message(0)
    assert np.geterr() == before  # the user's own settings, at solve time too, are untouched
