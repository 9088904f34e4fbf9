"""A fixed step beyond an explicit method's stable step, on a run that ends finite with success: the trajectory's
message says so (the call's StabilityWarning is said once, and lost in a dosing loop), and a stable trajectory's
does not."""

import dataclasses
import pickle
import re
import warnings

import numpy as np
import pytest

import kernels

# CL, V1, Q, V2, kin, kout, Imax, IC50 of four patients; patient 0 distributes fast (Q / V1 = 50 /h), so rk4 is
# stable below dt 0.0549 there, and the others far above 0.07
PATIENTS = np.array([[0.5, 2.0, 100.0, 200.0, 5.0, 0.1, 0.9, 1.0],
                     [1.1, 7.9, 2.1, 43.0, 3.9, 0.19, 0.9, 2.2],
                     [3.3, 15.0, 4.5, 120.0, 1.5, 0.08, 0.9, 0.7],
                     [0.8, 4.4, 1.3, 60.0, 8.0, 0.35, 0.9, 4.0]])
STABLE_DT = "0.0549"


def _pkpd(t, y, p, dydt):
    c = y[0] / p[1]
    dydt[0] = -(p[0] / p[1]) * y[0] - (p[2] / p[1]) * y[0] + (p[2] / p[3]) * y[1]
    dydt[1] = (p[2] / p[1]) * y[0] - (p[2] / p[3]) * y[1]
    dydt[2] = p[4] * (1.0 - p[6] * c / (p[7] + c)) - p[5] * y[2]


SYSTEM = kernels.ODESystem(_pkpd, n_states=3, n_params=8, name="pkpd_unstable_note")


def _solve(params, dt):
    y0 = np.column_stack([np.full(len(params), 100.0), np.zeros(len(params)), params[:, 4] / params[:, 5]])
    return kernels.solve_ivp(SYSTEM, (0.0, 12.0), y0, params, method="rk4", controller="fixed", dt=dt,
                             precision=np.float64, progress=False)


def test_a_fixed_step_beyond_the_stable_step_is_named_in_the_message():
    """rk4 at dt 0.07 on a patient stable below 0.055 ended at +-1.1e81 with status 0 and "reached the end of the
    integration interval" (a pharmacometrician's trial, warnings filtered in a dosing loop); a repeated call, which
    does not warn again, and its pickled result say it too; the status stays success."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = _solve(PATIENTS[:1], 0.07)
    expected = (rf"reached the end of the integration interval\. But dt = 0\.07 is beyond rk4's stable step for this "
                rf"problem \(about {STABLE_DT} at the initial state of trajectory 0\): its states grew from 100 to "
                rf"1\.09e\+81; take dt below {STABLE_DT}, an adaptive method \(.*tsit5.*\)")
    assert result.success and int(result.status[0]) == 0
    assert float(result.y[0, -1, 0]) == pytest.approx(1.0896e81, rel=1e-3)
    assert re.search(expected, result.message(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.StabilityWarning)  # the memo: no second warning
        again = _solve(PATIENTS[:1], 0.07)
    assert again.message(0) == result.message(0)
    assert pickle.loads(pickle.dumps(again)).message(0) == result.message(0)


def test_only_the_unstable_trajectory_of_a_batch_is_told():
    """In a batch of four patients only patient 0 is beyond the stable step at dt 0.07; at dt 0.05 none is."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = _solve(PATIENTS, 0.07)
    assert [("beyond rk4's stable step" in result.message(i)) for i in range(4)] == [True, False, False, False]
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.StabilityWarning)
        stable = _solve(PATIENTS, 0.05)
    assert not any("stable step" in stable.message(i) for i in range(4))


def test_a_trajectory_not_probed_is_told_where_its_states_grew():
    """A batch larger than the check's budget is probed at some rows only: a trajectory not probed is told where its
    saved states grew a millionfold past its largest |y0| and the probed stable rows' (with the batch's smallest stable
    step; kernels.result_notes.UNPROBED_GROWTH), not otherwise; one probed stable is never told."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = _solve(PATIENTS, 0.07)
    y = np.array(result.y)
    y[2] *= 1e9  # trajectory 2's states, as if they had grown
    unprobed = dataclasses.replace(result, y=y, unstable_step=result.unstable_step._replace(probed=(0,)))
    assert [("beyond rk4's stable step" in unprobed.message(i)) for i in range(4)] == [True, False, True, False]
    assert f"(about {STABLE_DT} at the initial state of trajectory 0): its states grew from 100 to" in \
        unprobed.message(2)
    probed = dataclasses.replace(result, y=y)  # trajectory 2 probed, and stable at its initial state
    assert "stable step" not in probed.message(2)


def _forced_decay(t, y, p, dydt):
    for i in range(20):
        dydt[i] = 1.0 - p[0] * y[i]


def test_stable_trajectories_beyond_the_probed_rows_are_not_told():
    """120 trajectories of a 20-state model from y0 = 0 under a constant input, two of them (5 and 60) unstable at
    dt 0.05: only those two are told; the others, not probed in a batch this large and right, were told the step
    was unstable where growth tenfold over their start of 0 was the criterion (a regression hunt)."""
    system = kernels.ODESystem(_forced_decay, n_states=20, n_params=1, name="forced_decay20")
    params = np.full((120, 1), 0.5) + np.linspace(0.0, 1e-3, 120)[:, None]
    params[[5, 60]] = 100.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = kernels.solve_ivp(system, (0.0, 1.0), np.zeros(20), params, method="rk4", dt=0.05,
                                   precision=np.float64, progress=False, t_eval=[0.5, 1.0])
    told = [i for i in range(120) if "stable step" in result.message(i)]
    assert told == [5, 60], told
    np.testing.assert_allclose(result.y[7, -1, 0], (1.0 - np.exp(-params[7, 0])) / params[7, 0], rtol=1e-6)


def test_the_warning_bounds_every_trajectory_checked():
    """The call's StabilityWarning gave trajectory 0's stable step alone: dt 0.7 below its 0.781 still blew up a row
    that needed 0.26 (a battery modeller's trial).  Here patient 1 distributes twice as fast as patient 0."""
    faster = PATIENTS[:1].copy()
    faster[0, 2] = 200.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _solve(np.vstack([PATIENTS[:1], faster]), 0.07)
    said = [str(w.message) for w in caught if issubclass(w.category, kernels.StabilityWarning)]
    assert len(said) == 1, said
    bound = float(re.search(r"dt must stay below about ([0-9.e+-]+) for it", said[0]).group(1))
    assert "initial state of trajectory 1" in said[0] and bound < 0.03, said[0]
    assert "(2 of the 2 trajectories checked at their initial states are beyond their stable step" in said[0]
