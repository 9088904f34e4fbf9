"""The LU's singular-pivot rule (``kernels.solvers.base`` item 6): a pivot is refused only within its own rounding.

``u_kk`` is singular when not above ``max(m eps sum_j |l_kj u_jk|, tiny)``.  Against one scale for every
pivot (the largest diagonal entry), ``I - h gamma J`` with one very stiff and one mild row was refused in
float32 for every ``h`` above 3e-2 although it is diagonal: sdirk4, radau and rodas5p on two decoupled
decays (rates 1e9 and 1e11 beside 1) took 494 to 673 steps, 171 to 446 rejected, some reaching max_steps,
where float64 took 52 to 97.  Measured after the change (this simulator, rtol 1e-4, atol 1e-6, t = 10,
rates 1e6 / 1e9 / 1e11): float32 sdirk4 91 / 96 / 99 steps, radau 80 / 85 / 88, rodas5p 62 / 69 / 72, none
rejected (float64: 90 / 94 / 97, 79 / 83 / 86, 52 / 57 / 61).
"""

import numpy as np
import pytest
from test_complex_lu import complex_kernel, interleaved
from test_lu import SOLVES, lu_kernel
from test_sparse_lu import sparse_kernel

import kernels
from kernels import Status
from kernels.solvers import SparseLUSettings
from kernels.solvers.complex_lu import ComplexSparseLUSettings


def _stiff_matrices(a):
    """``I - c J`` with one stiff (``a = c p``) and one mild (``c``) rate: decoupled, upper and lower coupled."""
    b = 1.0 + 1e-2 * a / 1e9
    return np.array([[[1.0 + a, 0.0], [0.0, b]],  # diag(1 + a, b)
                     [[1.0 + a, -a], [0.0, b]],  # y0' = -p (y0 - y1)
                     [[b, 0.0], [-a, 1.0 + a]],  # y1' = p (y0 - y1): a fast species fed by a slow one
                     [[1.0, 0.0], [0.0, a]]])  # diag(1, a)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scaled_regular_matrices_are_not_singular(dtype):
    """Diagonal and triangular matrices with entries 1 and 1e9 (float32) or 1e17 (float64): solved, dense and sparse."""
    a = 1e9 if dtype == np.float32 else 1e17
    matrices = _stiff_matrices(a)
    rhs = np.ones((len(matrices), SOLVES, 2))
    pattern = ((0, 0), (0, 1), (1, 0), (1, 1))
    for run in (lu_kernel(2, "local", dtype), sparse_kernel(SparseLUSettings(2, pattern), "local", dtype)):
        x, status = run(matrices, rhs)
        np.testing.assert_array_equal(status, 0)
        for i, m in enumerate(matrices):
            np.testing.assert_allclose(x[i, 0], np.linalg.solve(m, rhs[i, 0]), rtol=10 * np.finfo(dtype).eps)


def test_scaled_regular_complex_matrix_is_not_singular():
    """The complex LU (Radau's pair block) on ``diag(1 + 1e9 i, 1)`` and its upper-coupled form, float32."""
    lu = ComplexSparseLUSettings(4, interleaved(((0, 0), (0, 1), (1, 0), (1, 1))))
    c = np.array([[[1.0 + 1e9j, 0.0], [0.0, 1.0]], [[1.0 + 1e9j, -1e9], [0.0, 1.0 + 1e-2j]]])
    b = np.ones((2, 2), complex)
    x, status = complex_kernel(lu, np.float32)(c, b)
    np.testing.assert_array_equal(status, 0)
    for i in range(2):
        np.testing.assert_allclose(x[i], np.linalg.solve(c[i], b[i]), rtol=1e-5)


def test_cancelled_pivots_are_singular_at_any_scale():
    """Two equal rows (a pivot cancelled to rounding), scaled by 1e-30 or 1e30: still SINGULAR_MATRIX in float32."""
    rng = np.random.default_rng(5)
    base = rng.uniform(-1.0, 1.0, (3, 3))
    base[2] = base[0]
    matrices = np.array([base * 1e-30, base * 1e30, np.diag([1e-30, 1.0, 1e30])])
    _, status = lu_kernel(3, "local", np.float32)(matrices, np.ones((3, SOLVES, 3)))
    np.testing.assert_array_equal(status, [Status.SINGULAR_MATRIX, Status.SINGULAR_MATRIX, 0])


def _decays(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]
    dydt[1] = -y[1]


def _decays_jac(t, y, p, J):
    J[0] = -p[0]
    J[1] = 0.0
    J[2] = 0.0
    J[3] = -1.0


# float64 steps and rejections of the three trajectories (rates 1e6, 1e9, 1e11), measured on this simulator: the
# rejections are the first steps' (the first step's choice of kernels.controllers.make_initial_step overshoots a
# decay of rate 1e6 to 1e11 by a factor or two, as SciPy's does; rodas5p's second is its first step retaken at half
# its size, kernels.loop_adaptive)
FLOAT64_STEPS = {"sdirk4": [70, 74, 76], "radau": [60, 64, 67], "rodas5p": [41, 46, 50]}
FLOAT64_REJECTED = {"sdirk4": 2, "radau": 2, "rodas5p": 2}


@pytest.mark.parametrize("method", sorted(FLOAT64_STEPS))
def test_float32_stiff_decays_take_the_float64_steps(method):
    """Two decoupled decays, one of rate up to 1e11: float32 succeeds in about float64's steps and rejections."""
    system = kernels.ODESystem(_decays, 2, n_params=1, name="decays", jac=_decays_jac)
    result = kernels.solve_ivp(system, (0.0, 10.0), [1.0, 1.0], [[1e6], [1e9], [1e11]], method=method, rtol=1e-4,
                               atol=1e-6, precision=np.float32, progress=False, max_steps=1000)
    np.testing.assert_array_equal(result.status, 0)
    assert (result.n_rejected <= FLOAT64_REJECTED[method]).all()
    assert (result.n_steps <= 1.25 * np.array(FLOAT64_STEPS[method])).all(), result.n_steps
    np.testing.assert_allclose(result.y[:, -1, 1], np.exp(-10.0), rtol=1e-2)
