"""A float32 state that falls below float32's normal range and grows again (kernels/float32_underflow.py).

An ecologist's trial: Rosenzweig-MacArthur (r = 1, K = 20, a = h = 1, e = 0.5, m = 0.1) from (0.5, 0.5) to t = 300
in float32 (tsit5, rtol 1e-5, atol 1e-37): the prey truly falls to 4.5e-56 on the cycle, below float32's least
value, and the run ended 1.2e32 tolerances off with success and no word (float64 right).  At K = 15 its least value
is 7.4e-40 (subnormal); at K = 10, 3.6e-24 (in range)."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernel_helpers import rosenzweig_macarthur

FLOAT32_TINY = float(np.finfo(np.float32).tiny)  # 1.18e-38, float32's smallest normal value


def _rm_pairs(t, y, p, dydt):
    for k in range(3):  # three uncoupled predator-prey pairs, carrying capacities p[0..2]
        N = y[2 * k]
        P = y[2 * k + 1]
        f = N / (1.0 + N)
        dydt[2 * k] = N * (1.0 - N / p[k]) - f * P
        dydt[2 * k + 1] = 0.5 * f * P - 0.1 * P


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]  # decays to 0 for good
    dydt[1] = -y[1]  # starts at 0 and stays there
    dydt[2] = 1.0 - y[2]


RM = kernels.ODESystem(rosenzweig_macarthur, 2, 6, name="rm")
RM_PAIRS = kernels.ODESystem(_rm_pairs, 6, 3, name="rm_pairs")
DECAY = kernels.ODESystem(_decay, 3, 1, name="decay")


def _params(*capacities):
    return np.array([[1.0, K, 1.0, 1.0, 0.5, 0.1] for K in capacities])


def _underflow_warnings(system, y0, params, t_end=300.0, precision=np.float32, **options):
    """The result and the texts of the PrecisionWarnings about float32's lower range of one solve."""
    options = {"method": "tsit5", "rtol": 1e-5, "atol": 1e-37, **options}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        res = kernels.solve_ivp(system, (0.0, t_end), y0, params, precision=precision, progress=False, **options)
    texts = [str(w.message) for w in record
             if issubclass(w.category, kernels.PrecisionWarning) and "smallest normal value" in str(w.message)]
    return res, texts


def test_trial_warns_where_the_only_save_is_the_end():
    """The trial at the default t_eval (t = 300 alone, where float32's prey is 1.2e-5, the reference's 1.3e-35):
    nothing in the saves shows it, so the host follow in float64 finds the dip and names it."""
    res, texts = _underflow_warnings(RM, [0.5, 0.5], _params(20.0))
    assert res.success
    assert len(texts) == 1, texts
    text = texts[0]
    assert "state y[0] of trajectory 0 fell to " in text
    assert float(text.split(" fell to ")[1].split()[0]) < 1e-50  # its first dip's least value: 5e-54 near t = 39
    assert "followed on the host in float64" in text
    assert "precision=np.float64" in text and "atol below the smallest value" in text and "y = log N" in text


def test_trial_warns_from_the_saves():
    """At the trial's saves (100, 200, 300) float32's prey is saved at 4.7e-40 at t = 200 and regrows by 300."""
    res, texts = _underflow_warnings(RM, [0.5, 0.5], _params(20.0), t_eval=[100.0, 200.0, 300.0])
    assert len(texts) == 1, texts
    assert "state y[0] of trajectory 0 was saved at" in texts[0] and "at t = 200" in texts[0]
    assert float(np.abs(res.y[0, 1, 0])) < FLOAT32_TINY  # what the warning read


def test_a_batch_names_the_trajectory_that_dips():
    """A batch of carrying capacities: K = 2, 5 and 10 stay in range (K = 10's least prey is 3.6e-24), K = 15
    dips to 7.4e-40 (subnormal) and grows back; the dense saves show it, for that trajectory."""
    res, texts = _underflow_warnings(RM, [0.5, 0.5], _params(2.0, 5.0, 10.0, 15.0),
                                     t_eval=np.linspace(1.0, 300.0, 300))
    assert len(texts) == 1, texts
    assert "of trajectory 3 was saved at" in texts[0]


def test_a_larger_system_names_the_state():
    """Six states (three uncoupled pairs at K = 5, 20 and 5): the middle prey, y[2], dips; found by the host
    follow (default t_eval)."""
    res, texts = _underflow_warnings(RM_PAIRS, [0.5] * 6, [[5.0, 20.0, 5.0]])
    assert len(texts) == 1, texts
    assert "state y[2] of trajectory 0 fell to" in texts[0]


@pytest.mark.parametrize("capacity", [5.0, 10.0])
def test_cycles_in_range_stay_quiet(capacity):
    _, texts = _underflow_warnings(RM, [0.5, 0.5], _params(capacity), t_eval=np.linspace(1.0, 300.0, 60))
    assert texts == []


def test_float64_stays_quiet():
    _, texts = _underflow_warnings(RM, [0.5, 0.5], _params(20.0), precision=np.float64, atol=1e-60, rtol=1e-6)
    assert texts == []


def test_decays_to_zero_and_zero_states_stay_quiet():
    """A decay into float32's subnormals for good (saved there, densely; it ends at 1.4e-45 or 0), a state that
    starts at 0 and stays there, and one that grows from 0: nothing to warn of, from the saves or the host follow."""
    res, texts = _underflow_warnings(DECAY, [1.0, 0.0, 0.0], [[1.0], [3.0]], t_end=200.0,
                                     t_eval=np.linspace(1.0, 200.0, 400), atol=1e-6)
    saved = np.abs(res.y[:, :, 0])
    assert ((saved > 0) & (saved < FLOAT32_TINY)).any() and (saved[:, -1] < FLOAT32_TINY).all()  # it went there
    assert texts == []


def _exposed_infected(t, y, p, dydt):  # E and I feed each other; the infection rate switches on at t = p[1]
    c = p[0] * (1.0 + math.tanh(t - p[1]))
    dydt[0] = c * y[1] - y[0]
    dydt[1] = y[0] - y[1]


def test_states_that_vanish_together_are_judged_together_from_the_saves():
    """E and I of an SEIR-like pair feed each other (neither's rate vanishes alone, both together: an
    epidemiologist's trial, kernels/atol_dip.py): here both fall below float32's range by t = 100 (to about 4e-44
    and 4e-42, subnormal) and grow back to about 100 by t = 150, and the saves show it."""
    system = kernels.ODESystem(_exposed_infected, 2, 2, name="exposed_infected_f32")
    res, texts = _underflow_warnings(system, [1.0, 1.0], [[4.5, 100.0]], t_end=150.0,
                                     t_eval=np.linspace(0.0, 150.0, 31))
    assert res.success and len(texts) == 1, texts
    assert "of trajectory 0 was saved at" in texts[0]
