"""A run's status messages (kernels/status_messages.py): here where a run without events stops, its last save."""

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
