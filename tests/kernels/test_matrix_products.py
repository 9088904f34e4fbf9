"""A matrix product in a user function is told the loop over components to write (kernels/matrix_products.py).

A vectorised rhs, ``dydt[:] = y * (r + A @ y)``, was told Numba's raw "No implementation of function matmul ..." and
the generic note that Numba compiles a subset of Python (an ecologist's trial, coming from diffrax).
"""

import numpy as np
import pytest

import kernels

S = 3
A = -np.eye(S)
A32 = -np.eye(S, dtype=np.float32)  # float32 matmul is typed, then refused as an allocation: told the same
W = np.ones(S)


def _glv_vectorised(t, y, p, dydt):
    dydt[:] = y * (p[0:3] + A @ y)


def _matmul_float32(t, y, p, dydt):
    dydt[:] = A32 @ y


def _row_product(t, y, p, dydt):
    for i in range(3):
        dydt[i] = y[i] * (p[i] + A[i] @ y)


def _vector_times_matrix(t, y, p, dydt):
    dydt[:] = y @ A


def _np_dot(t, y, p, dydt):
    for i in range(3):
        dydt[i] = y[i] * (p[i] + np.dot(W, y))


def _array_dot(t, y, p, dydt):
    dydt[:] = A.dot(y)


def _whole_array(t, y, p, dydt):
    dydt[:] = y * p[0:3]


@pytest.mark.parametrize("rhs, product, loop", [
    (_glv_vectorised, "A @ y", "for i in range(n): s = 0.0; for j in range(n): s += A[i, j] * y[j], then component "
                               "i from s, which is (A @ y)[i]"),
    (_matmul_float32, "A32 @ y", "s += A32[i, j] * y[j]"),
    (_row_product, "A[i] @ y", "s = 0.0; for j in range(n): s += A[i, j] * y[j], then s for A[i] @ y"),
    (_vector_times_matrix, "y @ A", "for j in range(n): s = 0.0; for i in range(n): s += y[i] * A[i, j]"),
    (_np_dot, "np.dot(W, y)", "s = 0.0; for j in range(n): s += W[j] * y[j], then s for np.dot(W, y)"),
    (_array_dot, "A.dot(y)", "s += A[i, j] * y[j]"),
])
def test_a_matrix_product_in_rhs_is_told_the_loop_over_components(rhs, product, loop):
    with pytest.raises(kernels.ConfigurationError) as info:
        kernels.ODESystem(rhs, S, n_params=3)
    message = str(info.value)
    assert f"{product} is a matrix product, which device code cannot compute" in message, message
    assert "write the loop over components in scalar arithmetic" in message and loop in message, message
    assert "Numba CUDA compiles a subset of Python" not in message, message


def test_the_trials_rhs_is_told_where_its_matrix_goes_per_trajectory():
    with pytest.raises(kernels.ConfigurationError, match=r"a matrix flattened: A\[i, j\] as p\[i \* n \+ j\]"):
        kernels.ODESystem(_glv_vectorised, S, n_params=3)


def test_whole_array_arithmetic_keeps_its_own_words():
    """y * p[0:3] fails as an allocation, told so (no product to name)."""
    with pytest.raises(kernels.ConfigurationError, match=r"an operation here creates a new array.*Compute each "
                                                         r"component with scalar arithmetic"):
        kernels.ODESystem(_whole_array, S, n_params=3)


def _decay(t, y, p, dydt):
    for i in range(3):
        dydt[i] = -y[i]


def _weighted(t, y, p):
    return A[0] @ y + 0.5


def test_a_matrix_product_in_an_event_is_told_to_return_one_number():
    system = kernels.ODESystem(_decay, S, n_params=3, name="decay3")
    with pytest.raises(kernels.ConfigurationError) as info:
        kernels.solve_ivp(system, (0.0, 1.0), [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], events=kernels.Event(_weighted),
                          progress=False)
    message = str(info.value)
    assert "A[0] @ y is a matrix product" in message, message
    assert "s = 0.0; for j in range(n): s += A[0, j] * y[j], then s for A[0] @ y, and return it as one number" \
        in message, message
