"""A params row negative in a column that every other row of the batch has at 0 or above is named (kernels.param_sign),
and nothing else is."""

import numpy as np

import kernels
from kernels.param_sign import lone_negative_columns, lone_negative_note

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
