"""A params row negative in a column that every other row of the batch has at 0 or above is named (kernels.param_sign),
and nothing else is."""

import warnings

import numpy as np

import kernels
from kernels.param_sign import lone_negative_columns, lone_negative_note
from kernel_helpers import swing2

SWEEP = np.array([[3e-12, 3e-11, 5.0], [3e-12, -3e-11, 5.0], [3e-12, 3e-11, 5.0]])


def _two(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]
    dydt[1] = -p[1] * y[1] + p[2]


def test_a_lone_negative_entry_is_named_with_its_row_column_and_name():
    plain = kernels.ODESystem(_two, 2, 3, name="two_plain")
    named = kernels.ODESystem(_two, 2, 3, name="two_named", param_names=["kA", "kO1D", "source"])
    assert lone_negative_columns(SWEEP, 1).tolist() == [1]
    assert lone_negative_note(plain, SWEEP, 1) == (
        " params[1, 1] = -3e-11 is negative where every other row's column 1 is >= 0: check its sign (a rate given "
        "negative makes a mode grow).")
    assert lone_negative_note(named, SWEEP, 1).startswith(" params[1, 1] (kO1D) = -3e-11 is negative")
    both = SWEEP.copy()
    both[1, 0] = -1.0
    assert lone_negative_note(plain, both, 1).startswith(" params[1, 0] = -1, params[1, 1] = -3e-11 are negative "
                                                          "where every other row's columns 0, 1 are >= 0")


def test_silent_for_mixed_signs_one_row_rows_without_a_negative_and_nan():
    plain = kernels.ODESystem(_two, 2, 3, name="two_silent")
    mixed = SWEEP.copy()
    mixed[2, 1] = -1e-11  # two rows negative in that column: a sweep across 0, not a slip
    assert lone_negative_note(plain, mixed, 1) == "" and lone_negative_note(plain, mixed, 2) == ""
    assert lone_negative_note(plain, SWEEP[1:2], 0) == ""  # one row shared by the batch: nothing to compare with
    assert lone_negative_note(plain, SWEEP, 0) == "" and lone_negative_note(plain, SWEEP, 2) == ""
    unknown = SWEEP.copy()
    unknown[0, 1] = np.nan  # a NaN elsewhere is not ">= 0"
    assert lone_negative_note(plain, unknown, 1) == ""
    assert lone_negative_note(plain, SWEEP[0], 0) == ""  # not rows of a batch


def test_the_lone_negative_entries_are_one_text_for_a_hint_to_name():
    """kernels.jacobian_hint names them inside its sentence on a state driven below 0 (a biologist's trial)."""
    from kernels.param_sign import lone_negative_entries

    named = kernels.ODESystem(_two, 2, 3, name="sign_entries", param_names=("kO", "kO1D", "P"))
    assert lone_negative_entries(named, SWEEP, 1) == "params[1, 1] (kO1D) = -3e-11"
    both = SWEEP.copy()
    both[1, 0] = -1.0
    assert lone_negative_entries(named, both, 1) == "params[1, 0] (kO) = -1, params[1, 1] (kO1D) = -3e-11"
    assert lone_negative_entries(named, SWEEP, 0) == "" and lone_negative_entries(named, SWEEP[1:2], 0) == ""


def test_a_negative_entry_near_zero_is_no_sign_slip():
    """A power injection of -0.03 beside 0.46 to 0.97 in the other rows (a power-systems user's trial) was told
    "check its sign (a rate given negative makes a mode grow)"; a slip keeps the size, so -0.65 is still named, and a
    column that reaches 0 in another row keeps the rule as it was."""
    plain = kernels.ODESystem(_two, 2, 3, name="two_near_zero")
    injections = np.array([[0.46, 1.0, 1.0], [-0.0305, 1.0, 1.0], [0.97, 1.0, 1.0], [0.65, 1.0, 1.0]])
    assert lone_negative_columns(injections, 1).size == 0 and lone_negative_note(plain, injections, 1) == ""
    slipped = injections.copy()
    slipped[1, 0] = -0.65
    assert lone_negative_columns(slipped, 1).tolist() == [0]
    from_zero = injections.copy()
    from_zero[0, 0] = 0.0
    assert lone_negative_columns(from_zero, 1).tolist() == [0]


def test_a_zero_inertia_failure_is_not_told_of_an_unrelated_negative_injection():
    """Through the solve: the row whose inertias M are 0 (and whose first injection is -0.03) fails for the zeros,
    and its message names them without a sign to check."""
    system = kernels.ODESystem(swing2, n_states=4, n_params=10, name="swing2_injection")
    params = np.array([[0.5, -0.5, 0.0, 1.2, 1.2, 0.0, 0.02, 0.02, 0.1, 0.15],
                       [-0.03, 0.03, 0.0, 0.8, 0.8, 0.0, 0.02, 0.02, 0.0, 0.0],
                       [0.9, -0.9, 0.0, 1.5, 1.5, 0.0, 0.02, 0.02, 0.12, 0.1],
                       [0.6, -0.6, 0.0, 1.0, 1.0, 0.0, 0.02, 0.02, 0.2, 0.05]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = kernels.solve_ivp(system, (0.0, 0.5), [0.1, -0.1, 0.0, 0.0], params, method="tsit5",
                                precision=np.float64, progress=False)
    assert int(res.status[1]) != kernels.SUCCESS
    message = res.message(1)
    assert "makes the right-hand side not finite" in message
    assert "check its sign" not in message and "params[1, 0]" not in message, message


def test_a_zero_parameter_cause_drops_the_sign_note_of_its_row():
    """The same failing row with an injection of -0.5 (a lone negative of the size of the others'): the zero inertias
    explain the failure, so the message names them and no sign to check."""
    system = kernels.ODESystem(swing2, n_states=4, n_params=10, name="swing2_slip")
    params = np.array([[0.5, -0.5, 0.0, 1.2, 1.2, 0.0, 0.02, 0.02, 0.1, 0.15],
                       [-0.5, 0.5, 0.0, 0.8, 0.8, 0.0, 0.02, 0.02, 0.0, 0.0],
                       [0.9, -0.9, 0.0, 1.5, 1.5, 0.0, 0.02, 0.02, 0.12, 0.1],
                       [0.6, -0.6, 0.0, 1.0, 1.0, 0.0, 0.02, 0.02, 0.2, 0.05]])
    assert lone_negative_columns(params, 1).tolist() == [0]  # a slip by the sign rule alone
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = kernels.solve_ivp(system, (0.0, 0.5), [0.1, -0.1, 0.0, 0.0], params, method="tsit5",
                                precision=np.float64, progress=False)
    message = res.message(1)
    assert "p[8] = 0, p[9] = 0" in message and "check its sign" not in message, message


def test_a_blow_up_is_a_blow_up_status_a_grown_save_or_an_underflow_the_host_could_not_follow():
    """kernels.param_sign.blew_up, the rule that lets a failure open with its row's lone negative entry: a step size
    underflow counts where the host could not follow the trajectory (where it could, the follow's stop decides:
    stop_sign_note), so a dt_min too large for a fast oscillation keeps its own advice first."""
    from kernels.param_sign import blew_up

    start, nan = np.array([0.5, 0.5]), np.full((2, 2), np.nan)
    for code in (kernels.Status.NONFINITE_STATE, kernels.Status.SINGULAR_MATRIX, kernels.Status.NEWTON_NOT_CONVERGED):
        assert blew_up(code, nan, start, followed=True)
    assert blew_up(kernels.Status.STEP_SIZE_UNDERFLOW, nan, start, followed=False)
    assert not blew_up(kernels.Status.STEP_SIZE_UNDERFLOW, nan, start, followed=True)
    assert blew_up(kernels.Status.MAX_STEPS, [[1.0, 0.5], [150.0, 0.9], [np.nan, np.nan]], start, followed=True)
    bounded = [[0.0, 1.0, 0.0], [-0.9, 0.4, -0.9], [np.nan] * 3]  # a fast oscillation of amplitude 1: not grown
    assert not blew_up(kernels.Status.MAX_STEPS, bounded, [0.0, 1.0, 0.0], followed=True)


def test_a_host_stop_the_state_ran_away_to_names_the_lone_negative_entry_and_a_stop_in_place_does_not():
    """kernels.param_sign.stop_sign_note, for the step size underflow hint (kernels.rhs_hint): K = -5 in one row of
    a Rosenzweig-MacArthur sweep of [2, -5, 8] stopped the host follow at a prey of 2.7e14 from 0.5 (a user's
    trial); a stop at a jump of the rhs, the state where it was, is no blow-up."""
    from kernels.param_sign import stop_sign_note

    system = kernels.ODESystem(_two, 2, 3, name="two_stop", param_names=["kA", "kO1D", "source"])
    told = stop_sign_note(system, SWEEP, 1, [0.5, 0.5], [2.706e14, 0.9502])
    assert told == lone_negative_note(system, SWEEP, 1) and told.startswith(" params[1, 1] (kO1D) = -3e-11")
    assert stop_sign_note(system, SWEEP, 1, [0.5, 0.5], [np.inf, 0.9]) == told  # non-finite where it stopped
    assert stop_sign_note(system, SWEEP, 1, [0.5, 0.5], [0.7, 0.9]) == ""  # stopped in place
    assert stop_sign_note(system, SWEEP, 0, [0.5, 0.5], [2.7e14, 0.9]) == ""  # no lone negative in row 0
