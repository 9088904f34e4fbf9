"""kernels/result_notes.py, sign_first: a failed trajectory whose params row is negative in a column that every other
row of the batch has at 0 or above opens its message with that entry, whatever its failure status, once (a laser
physicist's trial: a photon lifetime given as -2 ps in one row of four pump currents)."""

import warnings

import numpy as np
import pytest

import kernels
from kernels.result_notes import sign_first

NAMES = ("I", "V", "tau_n", "tau_p", "g0", "N0", "Gamma", "eps", "beta")
#: Four pump currents (0.5 to 3 times threshold) in SI units; row 2's photon lifetime tau_p typed as -2 ps: its photon
#: density grows as e^(5e11 t), past float64's range within the span.
PUMPS = np.array([[I, 1e-16, 2e-9, 2e-12, 2.5e-12, 1e24, 0.3, 2e-23, 1e-5] for I in (6.7e-3, 1.34e-2, 2.67e-2, 4e-2)])
PUMPS[2, 3] = -2e-12
TOLD = ("params[2, 3] (tau_p) = -2e-12 is negative where every other row's column 3 is >= 0: check its sign (a rate "
        "given negative makes a mode grow).")
#: The method, a max_steps that lets the other rows finish, and the status row 2 ends with.
RUNS = [("radau", 500, kernels.Status.MAX_STEPS), ("rodas5p", 2000, kernels.Status.SINGULAR_MATRIX),
        ("tsit5", 3000, kernels.Status.NONFINITE_STATE)]


def _laser(t, y, p, dydt):
    gain = p[4] * (y[0] - p[5]) / (1.0 + p[7] * y[1])
    dydt[0] = p[0] / (1.602e-19 * p[1]) - y[0] / p[2] - gain * y[1]
    dydt[1] = p[6] * gain * y[1] - y[1] / p[3] + p[6] * p[8] * y[0] / p[2]


LASER = kernels.ODESystem(_laser, n_states=2, n_params=9, name="laser_sign", param_names=NAMES)


@pytest.fixture(scope="module")
def solved():
    """Each of :data:`RUNS` solved once, by method (float64: the growth passes float64's range)."""
    results = {}
    for method, max_steps, _ in RUNS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results[method] = kernels.solve_ivp(LASER, (0.0, 2e-9), [1e22, 1e10], PUMPS, method=method, rtol=1e-6,
                                                atol=np.array([1e12, 1e6]), precision=np.float64,
                                                t_eval=[1e-10, 2e-9], max_steps=max_steps, progress=False)
    return results


@pytest.mark.parametrize("method, max_steps, status", RUNS)
def test_a_lone_negative_parameter_opens_a_failure_no_hint_explains(solved, method, max_steps, status):
    """No hint spoke for row 2 (radau: "a smaller dt_min ... may help", tsit5: "The state became non-finite", rodas5p:
    solver='dense' first): the sign opens the message, once; the rows that succeeded are left as they were."""
    res = solved[method]
    assert [int(s) for s in res.status] == [0, 0, int(status), 0]
    text = res.status_messages[int(status)]
    opened = sign_first(res, 2, int(status), text, "")
    assert opened == TOLD + " " + text
    assert sign_first(res, 2, int(status), opened, "") == opened  # said once
    assert sign_first(res, 0, 0, res.status_messages[0], "") == res.status_messages[0]


def test_a_hint_that_holds_the_note_gives_it_first_once_and_one_that_left_it_out_is_kept(solved):
    """The runaway, stiffness and non-finite rhs hints name the entry inside themselves: it moves to the front; a hint
    that judged the sign and left it out (a zero inertia beside a negative injection) is not overruled; and a batch
    in which no other row succeeded gives no reason to single the entry out."""
    res = solved["tsit5"]
    code = int(kernels.Status.NONFINITE_STATE)
    hint = " " + TOLD + " Its initial state has a mode growing at rate 5e+11 per unit of t."
    text = "Likely cause: something. " + res.status_messages[code] + hint
    moved = sign_first(res, 2, code, text, hint)
    assert moved.startswith(TOLD + " Likely cause: something. ") and moved.count("is negative where") == 1, moved
    judged = " The system's rhs is not finite at t = 1e-09: p[8] = 0 causes it."
    assert sign_first(res, 2, code, res.status_messages[code] + judged, judged) == res.status_messages[code] + judged
    headline = ("Likely cause: this trajectory's params[2, 3] (tau_p) = -2e-12, negative where every other row's is "
                ">= 0.")
    assert sign_first(res, 2, code, headline + " " + TOLD, TOLD) == headline + " " + TOLD  # named already: as it is
    all_failed = kernels.solve_ivp(LASER, (0.0, 2e-9), [1e22, 1e10], PUMPS, method="tsit5", rtol=1e-6,
                                   atol=np.array([1e12, 1e6]), precision=np.float64, t_eval=[1e-10, 2e-9],
                                   max_steps=20, progress=False)
    assert np.all(all_failed.status != 0)
    text = all_failed.status_messages[int(all_failed.status[2])]
    assert sign_first(all_failed, 2, int(all_failed.status[2]), text, "") == text


@pytest.mark.parametrize("method, max_steps, status", RUNS)
def test_the_message_of_a_row_with_a_sign_slip_opens_with_it(solved, method, max_steps, status):
    """Through IVPResult.message: row 2's message opens with its tau_p, once, whatever the status."""
    message = solved[method].message(2)
    assert message.startswith(TOLD) and message.count("is negative where") == 1, message
    assert "check its sign" not in solved[method].message(0)


@pytest.mark.parametrize("method", ["tsit5", "rodas5p"])
def test_a_runaway_hints_sign_note_opens_the_message_once(method):
    """A recovery rate of -60 where draw 0's is 1/6: the runaway hint names it; the message now opens with it."""
    from test_runaway_hint import PARAMS, SIR

    result = kernels.solve_ivp(SIR, (0.0, 120.0), [0.99, 0.01, 0.0], PARAMS, method=method, max_steps=300,
                               precision=np.float64, progress=False)
    message = result.message(1)
    assert message.startswith("params[1, 1] = -60 is negative where every other row's column 1 is >= 0"), message
    assert message.count("is negative where") == 1 and "grows without bound" in message


def _relax(t, y, p, dydt):
    """y[0] relaxes to the set point p[0] at rate p[1]; (y[1], y[2]) oscillate at frequency p[2]."""
    dydt[0] = -p[1] * (y[0] - p[0])
    dydt[1] = p[2] * y[2]
    dydt[2] = -p[2] * y[1]


def _setpoint_sweep(**options):
    """A set point swept across 0 (negative on purpose in row 0, whose oscillation is 200 times faster), tsit5."""
    system = kernels.ODESystem(_relax, 3, 3, name="relax_sweep", param_names=("setpoint", "rate", "omega"))
    params = np.array([[-0.5, 1.0, 200.0], [0.5, 1.0, 1.0], [1.0, 1.0, 1.0], [1.5, 1.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kernels.solve_ivp(system, (0.0, 10.0), [0.0, 1.0, 0.0], params, method="tsit5", precision=np.float64,
                                 progress=False, **options)


def test_a_row_that_ran_out_of_steps_without_growing_is_not_told_its_sign():
    """Row 0 of the set-point sweep runs out of steps on a fast, bounded oscillation, not for its sign: its message
    keeps the max_steps advice first (a regression hunt)."""
    res = _setpoint_sweep(max_steps=300)
    assert int(res.status[0]) == kernels.MAX_STEPS and (np.asarray(res.status[1:]) == kernels.SUCCESS).all()
    assert "check its sign" not in res.message(0), res.message(0)


def test_a_step_size_underflow_at_a_dt_min_too_large_is_not_told_its_sign():
    """Row 0's fast oscillation needs steps below dt_min, which ends it STEP_SIZE_UNDERFLOW with nothing grown and
    the host getting past: its sign is not the cause."""
    res = _setpoint_sweep(dt_min=0.02)
    assert int(res.status[0]) == kernels.Status.STEP_SIZE_UNDERFLOW and (np.asarray(res.status[1:]) == 0).all()
    assert "check its sign" not in res.message(0), res.message(0)
