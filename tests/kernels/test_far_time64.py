"""float64 far from t = 0: the rounding of t itself, warned about before the run (kernels.far_time64).

A geophysicist's trial: y' = -k (y - cos(2 pi (t - p[2]))) with the epoch p[2] = 1e9 in params over (1e9, 1e9 + 1),
tsit5 at rtol 1e-8, ended 36 tolerances off at k = 1 (461 at k = 1e3) with status success and no word.
"""

import math
import re
import warnings

import numpy as np
import pytest

import kernels
from kernels import Status

EPOCH = 1e9
TOLD = "float64 resolves t only to"


def _forced(t, y, p, dydt):  # the epoch in p[2]: t - p[2] is exact in float64, t itself is not
    dydt[0] = -p[0] * (y[0] - math.cos(p[1] * (t - p[2])))


def _decay(t, y, p, dydt):  # autonomous: never reads t
    dydt[0] = -y[0]


FORCED = kernels.ODESystem(_forced, 1, n_params=3, name="forced_epoch")
DECAY = kernels.ODESystem(_decay, 1, name="decay_far")


def _solve(system, t0, params, rtol, atol, **kw):
    """The run, with the warnings it raised that name float64's resolution of t."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = kernels.solve_ivp(system, (t0, t0 + 1.0), [0.5], params, method="tsit5", precision=np.float64,
                                rtol=rtol, atol=atol, progress=False, **kw)
    return res, [w for w in caught if TOLD in str(w.message)]


SAVES = np.array([0.25, 0.5, 0.75, 1.0])  # times from t0 (the trial's)


def _err_over_tol(res, params, rtol, atol):
    """The largest error of the saves, in tolerances, against the closed form of the forced decay (k, w; the epoch
    at t0, y0 = 0.5)."""
    k, w = params[0], params[1]
    c = k * k / (k * k + w * w)
    exact = c * np.cos(w * SAVES) + c * w / k * np.sin(w * SAVES) + (0.5 - c) * np.exp(-k * SAVES)
    return float(np.max(np.abs(res.y[0, :, 0] - exact) / (atol + rtol * np.abs(exact))))


def test_a_forcing_read_from_an_epoch_far_from_zero_warns_and_the_remedy_is_accurate():
    rtol, atol = 1e-8, 1e-9
    far, told = _solve(FORCED, EPOCH, [1.0, 2 * math.pi, EPOCH], rtol, atol, t_eval=EPOCH + SAVES)
    assert told and issubclass(told[0].category, kernels.ToleranceWarning), "no warning at t0 = 1e9"
    text = str(told[0].message)
    assert "1.2e-07" in text and "Start the time at 0 and keep the epoch in params" in text, text
    assert len(told) == 1  # once a call
    assert far.success and _err_over_tol(far, (1.0, 2 * math.pi), rtol, atol) > 10.0  # the defect it warns of
    # the remedy: the times from t0, and the epoch less t0 (0) in params
    near, told = _solve(FORCED, 0.0, [1.0, 2 * math.pi, 0.0], rtol, atol, t_eval=SAVES)
    assert not told and _err_over_tol(near, (1.0, 2 * math.pi), rtol, atol) < 2.0


def test_a_forcing_faster_than_the_span_is_judged_past_the_span_rule():
    """50 Hz over 1 s at rtol 1e-6: eps |t| = 2.2e-7 is below rtol times the span, yet it ended 6.4 tolerances off
    (1.0 from t = 0)."""
    _, told = _solve(FORCED, EPOCH, [1.0, 2 * math.pi * 50.0, EPOCH], 1e-6, 1e-8)
    assert told


@pytest.mark.parametrize("system, params, rtol", [
    (DECAY, None, 1e-8),                             # autonomous: t's rounding moves nothing
    (FORCED, [1.0, 2 * math.pi, EPOCH], 1e-4),       # rtol loose enough for it
])
def test_no_warning_where_the_rounding_of_t_is_within_the_tolerance(system, params, rtol):
    _, told = _solve(system, EPOCH, params, rtol, rtol * 0.1)
    assert not told


def test_a_run_from_zero_is_not_told_to_start_at_zero():
    """A tight rtol from t = 0 (no epoch to take out) is not warned: starting at 0 is what it does already."""
    _, told = _solve(FORCED, 0.0, [1.0, 2 * math.pi * 50.0, 0.0], 1e-12, 1e-14, max_steps=20)
    assert not told


def test_step_size_underflow_far_from_zero_names_the_time_resolution_before_a_singularity():
    """A span of 1 at t0 = 1e15 (8 representable times): the message led with a singularity of the model."""
    res = kernels.solve_ivp(DECAY, (1e15, 1e15 + 1.0), [1.0], method="dopri5", rtol=1e-8, atol=1e-10,
                            precision=np.float64, max_steps=1000, progress=False)
    assert int(res.status[0]) == Status.STEP_SIZE_UNDERFLOW
    message = res.message(0)
    assert "start the time at 0" in message, message
    assert message.index("start the time at 0") < message.index("singularity"), message


def _told_tolerances(params, rtol, atol, method="tsit5"):
    """The tolerances the warning says the run can end off (None without one), judged before the run (one step)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kernels.solve_ivp(FORCED, (EPOCH, EPOCH + 1.0), [0.5], params, method=method, precision=np.float64,
                          rtol=rtol, atol=atol, progress=False, max_steps=1)
    told = [str(w.message) for w in caught if TOLD in str(w.message)]
    return float(re.search(r"(?:about|up to) ([0-9.e+-]+) tolerances", told[0]).group(1)) if told else None


@pytest.mark.parametrize("params, rtol, atol, low, high", [
    # 200 Hz, k = 1, rtol 1e-8: tsit5 ended 67 to 397 tolerances off (rtol 0.8 to 1.25 times), told 1.1e4
    ([1.0, 2 * math.pi * 200.0, EPOCH], 1e-8, 1e-9, 67.0 / 3, 397.0 * 3),
    # the trial at k = 1e3: 262 to 546 tolerances off, told 140; the error lands where y is about 0 (atol alone)
    ([1e3, 2 * math.pi, EPOCH], 1e-8, 1e-9, 546.0 / 3, 262.0 * 3),
])
def test_the_told_error_is_within_three_times_the_error_reached(params, rtol, atol, low, high):
    told = _told_tolerances(params, rtol, atol)
    assert told is not None and low <= told <= high, told


def test_a_fast_forcing_at_a_loose_rtol_is_not_warned_where_its_rounding_stays_below_a_tolerance():
    """200 Hz, k = 1, rtol 1e-5: the controller's own steps (2 a period) are far shorter than the rounding asks,
    and the run ended 0.47 tolerances off (0.58 from t = 0); it was told 11."""
    params, rtol, atol = [1.0, 2 * math.pi * 200.0, EPOCH], 1e-5, 1e-6
    far, told = _solve(FORCED, EPOCH, params, rtol, atol, t_eval=EPOCH + SAVES)
    assert not told, str(told[0].message)
    assert far.success and _err_over_tol(far, params, rtol, atol) < 1.0
