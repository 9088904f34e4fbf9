"""SciPy's f(t, y, *args) with array arguments is told how p holds them (kernels/scipy_args.py): a matrix's row stride
only where its shape is known, and never under a name the user's own arguments use."""

import numpy as np
import pytest

import kernels
from kernels.errors import ConfigurationError

N_MACHINES = 3


def swing_scipy(t, y, Pm, B, D, M):  # SciPy's habit: solve_ivp(swing_scipy, ..., args=(Pm, B, D, M)), B 3 x 3
    d, w = y[:N_MACHINES], y[N_MACHINES:]
    s = (B * np.sin(d[:, None] - d[None, :])).sum(1)
    return np.concatenate([w, (Pm - D * w - s) / M])


def _refusal(rhs):
    with pytest.raises(ConfigurationError) as info:
        kernels.ODESystem(rhs, n_states=2 * N_MACHINES, n_params=3 * N_MACHINES + N_MACHINES ** 2)
    return str(info.value)


def test_a_matrix_of_unknown_shape_gets_no_row_stride_and_no_users_name():
    """A power-systems user's swing model, 3 machines and 6 states: its 3 x 3 B was told to be read as "M[i, j] as
    p[offset + i*6 + j]", a stride of n_states and the name of its inertias M."""
    text = _refusal(swing_scipy)
    assert "i*6" not in text and "M[i, j]" not in text, text
    assert "(a matrix A[i, j] of m columns as p[offset + i*m + j], a vector's v[i] as p[offset + i]" in text, text


def _mixing(t, y, A, C):  # SciPy's habit with two arrays of unknown shapes
    return A.sum() * y + C[0]


def test_the_generic_matrix_takes_a_name_the_user_has_not_used():
    """Arguments A and C: the words' matrix is neither, and has no row stride (its shape is not known)."""
    from kernels.scipy_args import separate_parameters_hint

    text = separate_parameters_hint(_mixing, "rhs", ("t", "y", "p", "dydt"), ["A", "C"])
    assert "(a matrix W[i, j] of m columns as p[offset + i*m + j], a vector's v[i]" in text, text
    assert "n_states + j" not in text, text


def test_a_matrix_of_the_state_keeps_its_stride():
    """A of A @ y is n_states x n_states: its stride stays, by its own name, where the counts are not numbered."""
    from kernels.scipy_args import separate_parameters_hint

    def glv(t, y, A, r, k):
        return y * (r + A @ y) * k

    text = separate_parameters_hint(glv, "rhs", ("t", "y", "p", "dydt"), ["A", "r", "k"], n_states=5, n_params=31)
    assert "(A[i, j] as p[offset + i*5 + j], a vector's v[i]" in text, text
