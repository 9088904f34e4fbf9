"""GMRES(m) and BiCGSTAB alone, on the simulator, against NumPy (a dense A v as the operator)."""

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import cuda
from solver_helpers import launch, plan_component, random_matrix, thread_memory

from kernels import Status
from kernels.errors import ConfigurationError
from kernels.solvers import BiCGSTABSettings, GMRESSettings, build_krylov
from kernels.solvers.krylov import INEXACT

N = 12


def dense_operator(n):
    @cuda.jit(device=True)
    def op(t, c, y, p, u, aux, v, out, region, persistent):
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += p[i * n + j] * v[j]
            out[i] = s

    return op


@functools.cache
def krylov_kernel(solver_settings, placement, dtype=np.float64):
    """``run(A (m, n, n), b (m, n)) -> (x, status)`` with ``diagonal = 1 / diag(A)`` when preconditioned."""
    n = solver_settings.n
    layout, plan = plan_component(solver_settings.buffer_settings(), placement, dtype)
    built = build_krylov(solver_settings, layout, dtype, dense_operator(n))
    memory = thread_memory(plan, dtype)
    solve, alloc_diagonal = built.solve, built.alloc_diagonal
    pre = solver_settings.preconditioned

    @cuda.jit
    def kernel(a, b, x, status):
        i = cuda.grid(1)
        region, persistent = memory()
        if i < a.shape[0]:
            diagonal = alloc_diagonal(region, persistent)
            for j in range(n if pre else 0):
                diagonal[j] = 1.0 / a[i, j * n + j]
            status[i] = solve(0.0, 0.0, b[i], a[i], b[i], diagonal, diagonal, b[i], x[i], region, persistent)

    def run(a, b):
        x = np.zeros(b.shape, dtype=dtype)
        status = np.full(a.shape[0], -1, np.int32)
        launch(kernel, plan, a.shape[0], np.ascontiguousarray(a.reshape(a.shape[0], -1), dtype=dtype),
               np.array(b, dtype=dtype), x, status)
        return x, status

    return run


def _check(a, b, x, tolerance, condition):
    for i in range(a.shape[0]):
        residual = np.linalg.norm(a[i] @ x[i] - b[i]) / np.linalg.norm(b[i])
        assert residual <= 10 * tolerance, (i, residual)
        reference = np.linalg.solve(a[i], b[i])
        error = np.linalg.norm(x[i] - reference) / np.linalg.norm(reference)
        assert error <= 10 * tolerance * condition, (i, error)


def _near_identity(rng, m, n):
    """Well-conditioned, eigenvalues clustered around 1: restarted Krylov converges fast."""
    return np.array([np.eye(n) + 0.3 * rng.standard_normal((n, n)) / np.sqrt(n) for _ in range(m)])


SOLVERS = [GMRESSettings(N, restart=6, max_restarts=6, tolerance=1e-10),
           GMRESSettings(N, restart=6, max_restarts=6, tolerance=1e-10, preconditioned=True),
           BiCGSTABSettings(N, max_iterations=30, tolerance=1e-10),
           BiCGSTABSettings(N, max_iterations=30, tolerance=1e-10, preconditioned=True)]
IDS = ["gmres", "gmres-jacobi", "bicgstab", "bicgstab-jacobi"]


@pytest.mark.parametrize("placement", ["local", "shared"])
@pytest.mark.parametrize("solver", SOLVERS, ids=IDS)
@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_well_conditioned_systems_match_numpy(solver, placement, seed):
    rng = np.random.default_rng(seed)
    a = _near_identity(rng, 3, N)
    b = rng.standard_normal((3, N))
    x, status = krylov_kernel(solver, placement)(a, b)
    assert (status == 0).all()
    _check(a, b, x, solver.tolerance, np.linalg.cond(a).max())


@pytest.mark.parametrize("solver", [s for s in SOLVERS if s.preconditioned], ids=["gmres", "bicgstab"])
@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_badly_scaled_systems_get_jacobi(solver, seed):
    """Columns scaled over six decades (cond ~ 1e6): solved with the Jacobi preconditioner, whatever the draw."""
    rng = np.random.default_rng(seed)
    a = _near_identity(rng, 2, N) * np.logspace(0, 6, N)
    b = rng.standard_normal((2, N))
    x, status = krylov_kernel(solver, "shared")(a, b)
    assert (status == 0).all()
    _check(a, b, x, solver.tolerance, np.linalg.cond(a).max())


@pytest.mark.parametrize("solver", [s for s in SOLVERS if s.preconditioned], ids=["gmres", "bicgstab"])
def test_badly_scaled_systems_need_jacobi(solver):
    """The same systems without it fail (a fixed draw: plain BiCGSTAB converges on some draws, seed 121850 one)."""
    rng = np.random.default_rng(7)
    a = _near_identity(rng, 2, N) * np.logspace(0, 6, N)
    b = rng.standard_normal((2, N))
    plain = krylov_kernel(type(solver)(**{**solver.__dict__, "preconditioned": False}), "shared")
    _, status = plain(a, b)
    assert (status == Status.LINEAR_SOLVER_NOT_CONVERGED).all()


def test_full_gmres_on_ill_conditioned_random_systems():
    """GMRES(n) without restarts solves a random cond-1e6 system (exact in n steps up to rounding)."""
    rng = np.random.default_rng(11)
    a = np.array([random_matrix(rng, N, 1e6) for _ in range(2)])
    b = rng.standard_normal((2, N))
    solver = GMRESSettings(N, restart=N, max_restarts=3, tolerance=1e-9)
    x, status = krylov_kernel(solver, "local")(a, b)
    assert (status == 0).all()
    _check(a, b, x, solver.tolerance, 1e6)


@pytest.mark.parametrize("solver", [GMRESSettings(N, restart=2, max_restarts=1, tolerance=1e-12),
                                    BiCGSTABSettings(N, max_iterations=1, tolerance=1e-12)], ids=["gmres", "bicgstab"])
def test_not_converged_fails_alone(solver):
    """A trajectory that needs more iterations than allowed fails with its code; an easy neighbour does not."""
    rng = np.random.default_rng(5)
    a = np.array([random_matrix(rng, N, 1e4), np.eye(N), 2.0 * np.eye(N)])
    b = rng.standard_normal((3, N))
    b[2] = 0.0  # zero right-hand side: x = 0 at once
    x, status = krylov_kernel(solver, "shared")(a, b)
    np.testing.assert_array_equal(status, [Status.LINEAR_SOLVER_NOT_CONVERGED, 0, 0])
    np.testing.assert_allclose(x[1], b[1], atol=1e-12)
    assert (x[2] == 0.0).all()


def test_float32_and_its_tolerance_limit():
    rng = np.random.default_rng(2)
    a = _near_identity(rng, 2, N)
    b = rng.standard_normal((2, N))
    solver = GMRESSettings(N, restart=8, tolerance=1e-5)
    x, status = krylov_kernel(solver, "local", np.float32)(a, b)
    assert (status == 0).all()
    _check(a, b, x, 1e-5, np.linalg.cond(a).max())
    tight = GMRESSettings(N, tolerance=1e-8)
    layout, _ = plan_component(tight.buffer_settings(), "local", np.float32)
    with pytest.raises(ConfigurationError, match="below what float32 can reach"):
        build_krylov(tight, layout, np.float32, dense_operator(N))


@pytest.mark.parametrize("kind, limit", [(GMRESSettings, dict(restart=2, max_restarts=1)),
                                         (BiCGSTABSettings, dict(max_iterations=1))], ids=["gmres", "bicgstab"])
def test_a_reduced_residual_is_accepted_only_when_asked(kind, limit):
    """Out of iterations above ``tolerance``: NOT_CONVERGED by default; INEXACT (not OK: Newton may move on it
    but not stop on it) where the residual is at most ``accept_reduced ||b||`` (Newton's inexact step), checked
    against NumPy's residual of the returned x."""
    rng = np.random.default_rng(8)
    a = _near_identity(rng, 4, N)
    b = rng.standard_normal((4, N))
    strict = kind(N, tolerance=1e-12, **limit)
    _, status = krylov_kernel(strict, "local")(a, b)
    assert (status == Status.LINEAR_SOLVER_NOT_CONVERGED).all()
    loose = kind(N, tolerance=1e-12, accept_reduced=0.5, **limit)
    x, status = krylov_kernel(loose, "local")(a, b)
    residual = np.linalg.norm(np.einsum("mij,mj->mi", a, x) - b, axis=1) / np.linalg.norm(b, axis=1)
    assert (status == INEXACT).all() and (residual <= 0.5).all(), (status, residual)
    tight = kind(N, tolerance=1e-12, accept_reduced=0.2 * residual.min(), **limit)
    _, status = krylov_kernel(tight, "local")(a, b)
    assert (status == Status.LINEAR_SOLVER_NOT_CONVERGED).all()


def test_settings_validated():
    with pytest.raises(ConfigurationError, match="GMRESSettings restart: expected an integer >= 1, got 0"):
        GMRESSettings(8, restart=0)
    with pytest.raises(ConfigurationError, match="tolerance: expected a relative residual in"):
        BiCGSTABSettings(8, tolerance=2.0)
    for bad in (1.0, -0.1, True, "0.1"):
        with pytest.raises(ConfigurationError, match="accept_reduced: expected a relative residual in"):
            GMRESSettings(8, accept_reduced=bad)
    names = {b.name: b.size_elems for b in BiCGSTABSettings(8).buffer_settings().buffers}
    assert names["direction_hat"] == 0 and names["diagonal"] == 0 and names["residual"] == 8
    for bad in (-0.1, 1.5, True, "0.01"):
        with pytest.raises(ConfigurationError, match="rtol_share: expected a number in"):
            GMRESSettings(8, rtol_share=bad)


@pytest.mark.parametrize("preconditioned, at", [(False, 0), (True, 8)])
def test_a_run_time_target_sits_after_the_jacobi_diagonal(preconditioned, at):
    """``rtol_share > 0`` adds one element to ``diagonal``: the target ``prepare`` writes, read by the solve."""
    for kind in (GMRESSettings, BiCGSTABSettings):
        plain = kind(8, preconditioned=preconditioned)
        scaled = kind(8, preconditioned=preconditioned, rtol_share=0.01)
        assert plain.target_index is None and scaled.target_index == at
        sizes = [{b.name: b.size_elems for b in s.buffer_settings().buffers}["diagonal"] for s in (plain, scaled)]
        assert sizes == [at, at + 1]



@functools.cache
def weighted_kernel(solver_settings, dtype=np.float64, absolute=1e300):
    """``run(A, b, s) -> (x, status)``: the solve in ``dtype`` in the norm with weights ``1 / s``, ``diagonal``
    filled as Newton's ``prepare`` fills it (the scales in, Jacobi times ``s``; the scales out, ``1 / s``; the
    relative target, then the ``absolute`` one in ``||W r||``)."""
    n = solver_settings.n
    layout, plan = plan_component(solver_settings.buffer_settings(), "local", dtype)
    built = build_krylov(solver_settings, layout, dtype, dense_operator(n))
    memory = thread_memory(plan, dtype)
    solve, alloc_diagonal = built.solve, built.alloc_diagonal
    pre, at, target = solver_settings.preconditioned, solver_settings.target_index, solver_settings.tolerance

    @cuda.jit
    def kernel(a, b, s, x, status):
        i = cuda.grid(1)
        region, persistent = memory()
        if i < a.shape[0]:
            diagonal = alloc_diagonal(region, persistent)
            for j in range(n):
                diagonal[j] = (1.0 / a[i, j * n + j] if pre else 1.0) * s[i, j]
                diagonal[n + j] = 1.0 / s[i, j]
            diagonal[at] = target
            diagonal[at + 1] = absolute
            status[i] = solve(0.0, 0.0, b[i], a[i], b[i], diagonal, diagonal, b[i], x[i], region, persistent)

    def run(a, b, s):
        x = np.zeros(b.shape, dtype)
        status = np.full(a.shape[0], -1, np.int32)
        launch(kernel, plan, a.shape[0], np.ascontiguousarray(a.reshape(a.shape[0], -1), dtype), np.array(b, dtype),
               np.array(s, dtype), x, status)
        return x, status

    return run


@pytest.mark.parametrize("kind", [GMRESSettings, BiCGSTABSettings], ids=["gmres", "bicgstab"])
@pytest.mark.parametrize("preconditioned", [False, True], ids=["plain", "jacobi"])
def test_a_weighted_solve_tests_the_residual_in_the_error_norm(kind, preconditioned):
    """``weighted``: the residual tested is ``||(b - A x) / s||`` (``s = atol + rtol |x|``, atol 1e-12, rtol 1e-6, a
    solution from 1 down to 1e-14, as in a chemical mechanism's stage), checked against NumPy's of the returned x;
    the plain 2-norm of the same relative residual leaves the scarce components off their tolerance (BiCGSTAB)."""
    rng = np.random.default_rng(3)
    a = np.array([np.eye(N) + 0.3 * rng.standard_normal((N, N)) / np.sqrt(N) for _ in range(2)])
    a = a * np.logspace(0, 2, N)[:, None]  # rows over two decades: the Jacobi scaling has work to do
    exact = np.logspace(0, -14, N)[None, :] * rng.uniform(0.5, 1.0, (2, N))
    b = np.einsum("mij,mj->mi", a, exact)
    s = 1e-12 + 1e-6 * np.abs(exact)
    limit = dict(restart=N, max_restarts=2) if kind is GMRESSettings else dict(max_iterations=4 * N)
    plain = kind(N, tolerance=1e-9, preconditioned=preconditioned, **limit)
    x, status = krylov_kernel(plain, "local")(a, b)
    assert (status == 0).all()
    if kind is BiCGSTABSettings:  # GMRES(N) is exact here
        assert np.max(np.abs(x - exact) / s) > 3.0, np.max(np.abs(x - exact) / s)
    weighted = kind(N, tolerance=1e-9, preconditioned=preconditioned, weighted=True, **limit)
    sizes = {b.name: b.size_elems for b in weighted.buffer_settings().buffers}
    assert weighted.target_index == 2 * N and sizes["diagonal"] == 2 * N + 2
    x, status = weighted_kernel(weighted)(a, b, s)
    assert (status == 0).all(), status
    residual = np.linalg.norm((np.einsum("mij,mj->mi", a, x) - b) / s, axis=1) / np.linalg.norm(b / s, axis=1)
    assert (residual <= 1e-9 * (1 + 1e-6)).all(), residual


def _absolute_below_relative(kind):
    """``(a, b, absolute, settings)``: two well-conditioned float32 systems, an absolute target (3e-7 of the least
    ``||b||``) below the default relative one (1e-5), and ``kind``'s weighted settings with room to reach it."""
    rng = np.random.default_rng(5)
    a = np.array([np.eye(N) + 0.3 * rng.standard_normal((N, N)) / np.sqrt(N) for _ in range(2)])
    b = rng.standard_normal((2, N))
    absolute = 3e-7 * float(np.linalg.norm(b, axis=1).min())
    limit = dict(restart=N, max_restarts=2) if kind is GMRESSettings else dict(max_iterations=4 * N)
    return a, b, absolute, kind(N, tolerance=1e-5, weighted=True, absolute=1.0, **limit)


@pytest.mark.parametrize("kind", [GMRESSettings, BiCGSTABSettings], ids=["gmres", "bicgstab"])
def test_a_float32_absolute_target_binds_below_the_relative_one(kind):
    """float32, the default tolerance 1e-5: the absolute target (here 3e-7 ||b||) must stop the solve, not the
    relative one.  Its floor was ``min(tolerance, 100 eps)`` = 1e-5 there, the relative target itself, so the
    absolute one never bound (rodas5p + gmres on HIRES, rtol 1e-4: 0.4 to 26 tolerances off, the LU 0.49)."""
    a, b, absolute, settings32 = _absolute_below_relative(kind)
    x, status = weighted_kernel(settings32, np.float32, absolute)(a, b, np.ones_like(b))
    assert (status == 0).all(), status
    exact = np.linalg.solve(a, b[..., None])[..., 0]
    residual = np.linalg.norm(np.einsum("mij,mj->mi", a, x.astype(np.float64)) - b, axis=1)
    error = np.linalg.norm(x - exact, axis=1) / np.linalg.norm(exact, axis=1)
    assert (error < 2e-6).all(), (error, residual / np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("kind", [GMRESSettings, BiCGSTABSettings], ids=["gmres", "bicgstab"])
@pytest.mark.parametrize("weighted", [False, True], ids=["plain", "weighted"])
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # the simulator's NumPy scalars
def test_a_right_hand_side_that_is_not_finite_fails(kind, weighted):
    """A ``b`` with an inf entry, one whose weighted entry overflows to inf, or a NaN ``b``, fails the solve: it must
    not return OK with ``x = 0``.  GMRES did (``beta <= target`` was inf <= inf): a Rosenbrock stage that blew up on
    too large a first step (Robertson, rodas5p, atol 0, ``y`` near 1e74) got a zero error estimate, and the run
    ended at -1e74 with status success.  A well-scaled neighbour still converges.  (A finite ``b`` whose norm
    overflows, 1e200 in float64, is solved: :func:`test_a_scaled_right_hand_side_gives_a_scaled_solution`.)"""
    a = np.array([np.eye(N), np.eye(N), 2.0 * np.eye(N)])
    b = np.ones((3, N))
    b[0, :2] = np.inf if not weighted else 1e160  # weighted: 1e160 / 1e-160 overflows
    b[1, 3] = np.nan
    limit = dict(restart=N, max_restarts=2) if kind is GMRESSettings else dict(max_iterations=4 * N)
    if weighted:
        s = np.ones((3, N))
        s[0, :2] = 1e-160
        x, status = weighted_kernel(kind(N, tolerance=1e-9, weighted=True, **limit))(a, b, s)
    else:
        x, status = krylov_kernel(kind(N, tolerance=1e-9, **limit), "local")(a, b)
    failed = Status.LINEAR_SOLVER_NOT_CONVERGED
    np.testing.assert_array_equal(status, [failed, failed, 0])
    np.testing.assert_allclose(x[2], 0.5, rtol=1e-9)


SCALE_SOLVERS = SOLVERS + [GMRESSettings(N, restart=8, tolerance=1e-5),
                           BiCGSTABSettings(N, max_iterations=30, tolerance=1e-5)]
SCALE_IDS = IDS + ["gmres-float32", "bicgstab-float32"]


def _scales(solver):
    """Right-hand side scales each precision's sums of squares over- or underflowed on: the float64 solvers'
    ``1e200`` and ``1e-200``, float32's ``1e30``, ``1e-30`` and a subnormal ``1e-40`` (each also as the nearest power
    of two, which scales exactly)."""
    if solver.tolerance < 1e-6:
        return np.float64, (1e200, 2.0 ** 664, 1e-200, 2.0 ** -664)
    return np.float32, (1e30, 2.0 ** 100, 1e-30, 2.0 ** -100, 1e-40)


@pytest.mark.parametrize("solver", SCALE_SOLVERS, ids=SCALE_IDS)
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # the simulator's NumPy scalars
@pytest.mark.filterwarnings("ignore:underflow encountered:RuntimeWarning")
def test_a_scaled_right_hand_side_gives_a_scaled_solution(solver):
    """``b`` times a huge or tiny number gives ``x`` times it, as accurate as the unscaled solve: the solve runs on
    ``b`` over a power of two (``krylov_source``).  The norms were sums of squares: ``b`` at 1e30 in float32 (1e200
    in float64) failed, as a number density of 2.5e19 cm^-3 did in a Rosenbrock stage, and at 1e-30 returned
    ``x = 0``.  A power-of-two scale gives the unscaled ``x`` bit for bit; a subnormal ``b`` (float32, 1e-40,
    about five digits) is solved to those digits."""
    dtype, scales = _scales(solver)
    run = krylov_kernel(solver, "local", dtype)
    rng = np.random.default_rng(4)
    a = _near_identity(rng, 2, N)
    b = rng.standard_normal((2, N)).astype(dtype).astype(np.float64)
    exact = np.linalg.solve(a, b[..., None])[..., 0]
    x, status = run(a, b)
    assert (status == 0).all(), status
    bound = 10 * solver.tolerance * np.linalg.cond(a).max()
    for scale in scales:
        x_scaled, status = run(a, b * scale)
        assert (status == 0).all(), (scale, status)
        back = x_scaled.astype(np.float64) / scale
        error = np.linalg.norm(back - exact, axis=1) / np.linalg.norm(exact, axis=1)
        assert (error <= (1e-4 if scale < np.finfo(dtype).tiny else bound)).all(), (scale, error)
        if np.log2(scale) % 1 == 0:
            np.testing.assert_array_equal(back, x.astype(np.float64), err_msg=f"scale 2^{np.log2(scale):g}")


@pytest.mark.parametrize("kind", [GMRESSettings, BiCGSTABSettings], ids=["gmres", "bicgstab"])
def test_the_absolute_target_is_scaled_with_the_right_hand_side(kind):
    """float32, the weighted solve with an absolute target below the relative one (as in
    :func:`test_a_float32_absolute_target_binds_below_the_relative_one`), ``b`` and that target times 1e30: the
    same solution as unscaled.  The absolute target is divided by ``b``'s scale with it; left as it is, the relative
    target would stop the solve at 1e-5."""
    a, b, absolute, settings32 = _absolute_below_relative(kind)
    x, status = weighted_kernel(settings32, np.float32, absolute * 1e30)(a, b * 1e30, np.ones_like(b))
    assert (status == 0).all(), status
    exact = np.linalg.solve(a, b[..., None])[..., 0]
    error = np.linalg.norm(x / 1e30 - exact, axis=1) / np.linalg.norm(exact, axis=1)
    assert (error < 2e-6).all(), error
