"""A trajectory at MAX_STEPS that keeps passing very close to a point where its rhs is singular is told so, with an
event on the distance or a regularised model to use, instead of "Raise max_steps" (:mod:`kernels.close_approach`;
an astrodynamicist's trial: a CR3BP fall onto the Moon passed within 1e-8 of its centre again and again); a run that
simply needs more steps, or a stiff one on an explicit method, keeps its message."""

import math

import numpy as np
import pytest

import kernels
from kernels.close_approach import close_approach_note

ADVICE = " Raise max_steps, or loosen rtol and atol to what the answer needs."
CLOSE = "keeps passing very close to a point where its rhs is singular"
EVENT = "kernels.Event(lambda t, y, p: r - R, terminal=True, direction=-1)"
MU = 0.01215  # the Moon's share of the Earth-Moon mass


def _cr3bp(t, y, p, dydt):
    mu = p[0]
    r1 = math.sqrt((y[0] + mu) ** 2 + y[1] * y[1])
    r2 = math.sqrt((y[0] - 1 + mu) ** 2 + y[1] * y[1])
    dydt[0] = y[2]
    dydt[1] = y[3]
    dydt[2] = 2 * y[3] + y[0] - (1 - mu) * (y[0] + mu) / r1 ** 3 - mu * (y[0] - 1 + mu) / r2 ** 3
    dydt[3] = -2 * y[2] + y[1] - (1 - mu) * y[1] / r1 ** 3 - mu * y[1] / r2 ** 3


def _kepler(t, y, p, dydt):
    r2 = y[0] * y[0] + y[1] * y[1]
    r3 = r2 * math.sqrt(r2)
    dydt[0] = y[2]
    dydt[1] = y[3]
    dydt[2] = -y[0] / r3
    dydt[3] = -y[1] / r3


CR3BP = kernels.ODESystem(_cr3bp, n_states=4, n_params=1, name="cr3bp", default_params=[MU])
KEPLER = kernels.ODESystem(_kepler, n_states=4, n_params=0, name="kepler")


@pytest.fixture(scope="module")
def near_collisions():
    """x = 0.98 at rest falls onto the Moon; x = 0 at rest sits 0.012 from Earth's centre and falls onto it: both
    swing round the primary's centre within 1e-8, pass after pass, and run out of steps."""
    return kernels.solve_ivp(CR3BP, (0.0, 1.0), [[0.98, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]], [[MU], [MU]],
                             t_eval=np.linspace(0.0, 1.0, 41), method="dop853", rtol=1e-10, atol=1e-12,
                             precision=np.float64, max_steps=2000, progress=False)


def test_a_near_collision_at_max_steps_names_the_close_approach_and_an_event_on_the_distance(near_collisions):
    res = near_collisions
    for i in (0, 1):
        assert int(res.status[i]) == kernels.MAX_STEPS
        message = res.message(i)
        assert CLOSE in message and "raising max_steps only buys more of those passes" in message, message
        assert EVENT in message and "or regularise the model" in message
        assert ADVICE not in message and "accepted steps" in message


@pytest.mark.parametrize("eccentricity", [0.0, 0.9])
def test_an_orbit_that_simply_needs_more_steps_keeps_the_advice_to_raise_max_steps(eccentricity):
    speed = math.sqrt((1 + eccentricity) / (1 - eccentricity))  # a = 1, mu = 1, from periapsis
    res = kernels.solve_ivp(KEPLER, (0.0, 200.0), [[1 - eccentricity, 0.0, 0.0, speed]], method="dop853",
                            rtol=1e-10, atol=1e-12, t_eval=np.linspace(0.0, 200.0, 21), precision=np.float64,
                            max_steps=300, progress=False)
    assert int(res.status[0]) == kernels.MAX_STEPS
    assert ADVICE in res.message(0) and CLOSE not in res.message(0)
    assert close_approach_note(res, 0) == ""


def test_a_stiff_problem_on_an_explicit_method_keeps_its_stiffness_hint():
    res = kernels.solve_ivp(kernels.stiff_van_der_pol(), (0.0, 1.0), [2.0, 0.0], method="tsit5", max_steps=50,
                            progress=False)
    assert int(res.status[0]) == kernels.MAX_STEPS
    assert "The problem looks stiff" in res.message(0) and CLOSE not in res.message(0)
    assert close_approach_note(res, 0) == ""  # (nor would the check itself speak, were it asked)
