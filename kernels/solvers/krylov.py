"""Matrix-free Krylov solvers: restarted GMRES(m) and BiCGSTAB, optionally Jacobi-preconditioned.

For systems too large for a dense matrix per thread (n = 64 to 256 and
beyond) the linear system ``M x = b`` of a Newton iteration is solved from
products ``M v`` alone.  The product is a device function handed to the
builder (the *operator*), so the solvers are generic: inside Newton it is
``v - c J(t, y) v`` from the system's ``jvp`` or one extra right-hand side
(:mod:`kernels.solvers.newton`); a standalone test passes a dense ``A v``.

Operator contract::

    op(t, c, y, p, u, aux, v, out, region, persistent) -> None

writes ``M v`` to ``out`` (``v`` and ``out`` never alias); ``t, c, y, p, u,
aux`` are what the solver's caller passed to ``solve``.

Preconditioning is on the right, ``M P^-1 (P x) = b`` with ``P = diag(M)``,
so the residual the solvers test is the true one.  The caller fills the
component's ``diagonal`` buffer with ``1 / M_ii`` before ``solve`` (Newton
does it once per iteration matrix); the buffer spans invocations like an LU
factor (``spans_invocations``).

Every vector is a planned buffer of the component, alive in its ``solve``
phase; the vectors are indexed at run time (they are meant for shared
memory at these sizes, where that costs nothing).  Convergence: the
residual's 2-norm at most ``tolerance`` times ``||b||``; otherwise the solve
returns :data:`kernels.status.LINEAR_SOLVER_NOT_CONVERGED` for that thread.

Inside Newton a solve that runs out of iterations with its residual reduced to
``accept_reduced`` times ``||b||`` is accepted as an inexact Newton step (the
forcing term of inexact Newton): it returns :data:`INEXACT`, on which Newton moves
but stops only where the increment itself is below Newton's constant
(:mod:`kernels.solvers.newton`).  Returned as OK, an increment cut short at the cap
passed Newton's test on a small carried rate with up to 32 % of it wrong in Newton's
norm: kvaerno5 on a 44-species mechanism (float64, rtol 1e-6, atol 1e-10, exact
``jvp``) hit GMRES(16)'s 64 products in 474 of 2544 solves, 258 stage solves ended on
one (145 with more error left than the constant, up to 0.39 tolerances), and the run
ended 4.9 tolerances off with success, 0.83 with the LU; now 0.83 in 151 steps (15
rejected, for 138 and 6).  In float32 on a badly scaled Jacobian BiCGSTAB stalls just
above a 1e-5 target: kvaerno5 on the Oregonator took 3885 steps, 1334 of them rejected,
for 305 in float64; with ``accept_reduced = 0.1`` it takes 957 (GMRES: 177); an
inexact step ending Newton only when small took it from 353 steps to 437 (0.29
tolerances off to 0.08).
The default 0 keeps the strict test (a solver on its own, and a Rosenbrock stage's
solve, which no Newton iteration follows).

A Rosenbrock stage's solve is the stage: its error goes into the step unchecked,
and a fixed relative residual of 1e-5 left rodas5p on a 20-state Allen-Cahn
problem 2.3 tolerances off at rtol 1e-8 (float64), in three times the steps of
an LU, with success reported.  With ``rtol_share > 0`` the solve aims at
``min(tolerance, rtol_share * rtol)`` instead (``rtol`` the smallest relative
tolerance of the run), but never below ``min(tolerance, 100 eps)``: the caller's
``prepare`` writes that target after the Jacobi diagonal in ``diagonal``
(:func:`target_lines`), so one compiled kernel serves every ``rtol``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from planner import Buffer, BufferSettings, Phase, PhaseSpan

from .. import status as codes
from ..allocators import AllocatorFactory
from ..codegen import compile_device
from ..errors import ConfigurationError
from .base import SOLVER_OK

__all__ = ["GMRESSettings", "BiCGSTABSettings", "BuiltKrylov", "build_krylov", "target_lines", "INEXACT"]

#: A solve out of iterations with its residual within ``accept_reduced ||b||`` (an inexact Newton step):
#: not a status (negative), only Newton sees it.
INEXACT = -1


def _check_int(owner, key, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(f"{owner} {key}: expected an integer >= {minimum}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class _KrylovSettings:
    n: int
    preconditioned: bool = False
    tolerance: float = 1e-6
    spans_invocations: int = 0
    solves: int = 1
    accept_reduced: float = 0.0
    rtol_share: float = 0.0

    @property
    def target_index(self):
        """Where in ``diagonal`` the run-time target sits (after the Jacobi diagonal), or None."""
        if self.rtol_share == 0.0:
            return None
        return self.n if self.preconditioned else 0

    def _check(self):
        owner = type(self).__name__
        _check_int(owner, "n", self.n, 1)
        _check_int(owner, "spans_invocations", self.spans_invocations, 0)
        _check_int(owner, "solves", self.solves, 1)
        if not isinstance(self.preconditioned, bool):
            raise ConfigurationError(f"{owner} preconditioned: expected True or False, got {self.preconditioned!r}")
        tol = self.tolerance
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0.0 < tol < 1.0:
            raise ConfigurationError(f"{owner} tolerance: expected a relative residual in (0, 1), got {tol!r}")
        loose = self.accept_reduced
        if isinstance(loose, bool) or not isinstance(loose, (int, float)) or not 0.0 <= loose < 1.0:
            raise ConfigurationError(f"{owner} accept_reduced: expected a relative residual in [0, 1) (0: only "
                                     f"the tolerance converges), got {loose!r}")
        share = self.rtol_share
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= share <= 1.0:
            raise ConfigurationError(f"{owner} rtol_share: expected a number in [0, 1] (0: a fixed tolerance), "
                                     f"got {share!r}")

    def _settings(self, vectors, scalars, products):
        """BufferSettings from ``vectors``/``scalars``: ``[(name, size_elems, accesses per product)]``."""
        n, span = self.n, (PhaseSpan("solve", "solve"),)
        weight = float(self.solves * products)
        size = (n if self.preconditioned else 0) + (0 if self.target_index is None else 1)
        buffers = [Buffer("diagonal", size, lifetime=(PhaseSpan("setup", "solve"),),
                          weight=float(n * (1 + 2 * self.solves * products)) if self.preconditioned else 0.0,
                          spans_invocations=self.spans_invocations)]
        buffers += [Buffer(name, size, lifetime=span, weight=weight * per) for name, size, per in vectors + scalars]
        return BufferSettings(component=self.component, phases=(Phase("setup"), Phase("solve")),
                              buffers=tuple(buffers))


@dataclasses.dataclass(frozen=True)
class GMRESSettings(_KrylovSettings):
    """Restarted GMRES(m) with modified Gram-Schmidt and Givens rotations.

    Parameters
    ----------
    n : int
        Unknowns.
    restart : int
        ``m``: Krylov vectors per cycle (the basis holds ``m + 1`` of them).
    max_restarts : int
        Cycles before giving up.
    preconditioned : bool
        Right Jacobi preconditioning (the caller fills ``diagonal``).
    tolerance : float
        Relative residual ``||b - M x|| <= tolerance ||b||``.
    accept_reduced : float
        A solve out of iterations with ``||b - M x|| <= accept_reduced ||b||`` returns
        :data:`INEXACT` (an inexact Newton step); 0, the default, fails it.
    rtol_share : float
        0 (the default): every solve aims at ``tolerance``.  Above 0: at
        ``min(tolerance, rtol_share * rtol)`` of the run, which the caller writes
        into ``diagonal`` (module notes, :func:`target_lines`).
    spans_invocations : int
        How long ``diagonal`` lives (see :class:`kernels.solvers.lu.LUSettings`).
    solves : int
        Solves per invocation (access weights).
    """

    restart: int = 16
    max_restarts: int = 4
    component: str = "gmres"

    def __post_init__(self):
        self._check()
        _check_int("GMRESSettings", "restart", self.restart, 1)
        _check_int("GMRESSettings", "max_restarts", self.max_restarts, 1)

    @property
    def max_products(self) -> int:
        return self.restart * self.max_restarts

    def buffer_settings(self) -> BufferSettings:
        n, m = self.n, self.restart
        # Per product: Gram-Schmidt reads and writes the basis about m times.
        vectors = [("basis", (m + 1) * n, 2 * (m + 2)), ("work", n, 3)]
        scalars = [("hessenberg", m * m, 1), ("rotations", 2 * m, 1), ("projected", m + 1, 1)]
        tree = self._settings(vectors, scalars, m)
        views = tuple(Buffer(name, n, view_of="basis", view_offset_elems=j * n)
                      for j, name in enumerate(self.basis_views))
        return dataclasses.replace(tree, buffers=tree.buffers + views)

    @property
    def basis_views(self) -> tuple:
        """Names of the Krylov vectors, views of ``basis``."""
        return tuple(f"basis_{j}" for j in range(self.restart + 1))


@dataclasses.dataclass(frozen=True)
class BiCGSTABSettings(_KrylovSettings):
    """BiCGSTAB (van der Vorst), two operator products per iteration.

    Parameters
    ----------
    n : int
    max_iterations : int
        Iterations (each two products) before giving up.
    preconditioned, tolerance, accept_reduced, rtol_share, spans_invocations, solves
        As for :class:`GMRESSettings`.
    """

    max_iterations: int = 32
    component: str = "bicgstab"

    def __post_init__(self):
        self._check()
        _check_int("BiCGSTABSettings", "max_iterations", self.max_iterations, 1)

    @property
    def max_products(self) -> int:
        return 2 * self.max_iterations

    def buffer_settings(self) -> BufferSettings:
        n, pre = self.n, self.preconditioned
        vectors = [("residual", n, 6), ("shadow", n, 2), ("direction", n, 3), ("product", n, 3),
                   ("stabiliser", n, 4), ("direction_hat", n if pre else 0, 2), ("residual_hat", n if pre else 0, 2)]
        return self._settings(vectors, [], self.max_iterations)


@dataclasses.dataclass(frozen=True)
class BuiltKrylov:
    """The device function and allocators of a Krylov solver.

    Attributes
    ----------
    solve : device function
        ``solve(t, c, y, p, u, diagonal, aux, b, x, region, persistent) -> int32``:
        ``x`` receives the solution from a zero initial guess; ``b`` is left
        unchanged.
    alloc_diagonal : device function
        ``alloc(region, persistent)`` of the ``diagonal`` buffer (``1 / M_ii``),
        allocated by the frame that spans its uses, like an LU factor.
    records : tuple of AllocationRecord
    settings : GMRESSettings or BiCGSTABSettings
    """

    solve: object
    alloc_diagonal: object
    records: tuple
    settings: object


_GMRES = """
def solve(t, c, y, p, u, diagonal, aux, b, x, region, persistent):
    V = alloc_basis(region, persistent)
    H = alloc_hessenberg(region, persistent)
    G = alloc_rotations(region, persistent)
    g = alloc_projected(region, persistent)
    w = alloc_work(region, persistent)
    bnorm = ZERO
    for i in range(UN):
        x[i] = ZERO
        bnorm += b[i] * b[i]
    bnorm = sqrt(bnorm)
    if bnorm == ZERO:
        return OK
    target = (diagonal[TARGET_AT] if SCALED else TOL) * bnorm
    for cycle in range(CYCLES):
        beta = ZERO
        if cycle == 0:
            for i in range(UN):
                V[i] = b[i]
                beta += b[i] * b[i]
        else:
            op(t, c, y, p, u, aux, x, w, region, persistent)
            for i in range(UN):
                r = b[i] - w[i]
                V[i] = r
                beta += r * r
        beta = sqrt(beta)
        if beta <= target:
            return OK
        if not beta < HUGE:
            return FAILED
        for i in range(UN):
            V[i] = V[i] / beta
        g[0] = beta
        used = 0
        residual = beta
        for j in range(M):
            col = uint64(j) * UN
            nxt = col + UN
            if PRE:
                for i in range(UN):
                    w[i] = diagonal[i] * V[col + i]
                op(t, c, y, p, u, aux, w, slot(V, j + 1), region, persistent)
            else:
                op(t, c, y, p, u, aux, slot(V, j), slot(V, j + 1), region, persistent)
            for k in range(j + 1):
                kn = uint64(k) * UN
                h = ZERO
                for i in range(UN):
                    h += V[nxt + i] * V[kn + i]
                for i in range(UN):
                    V[nxt + i] -= h * V[kn + i]
                H[k * M + j] = h
            hn = ZERO
            for i in range(UN):
                hn += V[nxt + i] * V[nxt + i]
            hn = sqrt(hn)
            for k in range(j):
                a = H[k * M + j]
                bb = H[(k + 1) * M + j]
                H[k * M + j] = G[k] * a + G[M + k] * bb
                H[(k + 1) * M + j] = G[k] * bb - G[M + k] * a
            a = H[j * M + j]
            r = sqrt(a * a + hn * hn)
            if r == ZERO:
                return FAILED
            G[j] = a / r
            G[M + j] = hn / r
            H[j * M + j] = r
            g[j + 1] = -G[M + j] * g[j]
            g[j] = G[j] * g[j]
            if hn != ZERO:
                for i in range(UN):
                    V[nxt + i] = V[nxt + i] / hn
            used = j + 1
            residual = abs(g[j + 1])
            if residual <= target or hn == ZERO:
                break
        for k in range(used - 1, -1, -1):
            s = g[k]
            for i in range(k + 1, used):
                s -= H[k * M + i] * g[i]
            g[k] = s / H[k * M + k]
        for i in range(UN):
            s = ZERO
            for k in range(used):
                s += g[k] * V[uint64(k) * UN + i]
            if PRE:
                s = s * diagonal[i]
            x[i] += s
        if residual <= target:
            return OK
    if residual <= LOOSE * bnorm:
        return INEXACT
    return FAILED
"""

_BICGSTAB = """
def solve(t, c, y, p, u, diagonal, aux, b, x, region, persistent):
    r = alloc_residual(region, persistent)
    rh = alloc_shadow(region, persistent)
    d = alloc_direction(region, persistent)
    v = alloc_product(region, persistent)
    s = alloc_stabiliser(region, persistent)
    if PRE:
        dh = alloc_direction_hat(region, persistent)
        rhat = alloc_residual_hat(region, persistent)
    else:
        dh = d
        rhat = r
    bnorm = ZERO
    for i in range(UN):
        x[i] = ZERO
        r[i] = b[i]
        rh[i] = b[i]
        d[i] = ZERO
        v[i] = ZERO
        bnorm += b[i] * b[i]
    bnorm = sqrt(bnorm)
    if bnorm == ZERO:
        return OK
    target = (diagonal[TARGET_AT] if SCALED else TOL) * bnorm
    rho = ONE
    alpha = ONE
    omega = ONE
    for it in range(ITERATIONS):
        rho_new = ZERO
        for i in range(UN):
            rho_new += rh[i] * r[i]
        if rho_new == ZERO or not abs(rho_new) < HUGE:
            return FAILED
        beta = (rho_new / rho) * (alpha / omega)
        for i in range(UN):
            d[i] = r[i] + beta * (d[i] - omega * v[i])
        if PRE:
            for i in range(UN):
                dh[i] = diagonal[i] * d[i]
        op(t, c, y, p, u, aux, dh, v, region, persistent)
        den = ZERO
        for i in range(UN):
            den += rh[i] * v[i]
        if den == ZERO:
            return FAILED
        alpha = rho_new / den
        norm = ZERO
        for i in range(UN):
            r[i] -= alpha * v[i]
            norm += r[i] * r[i]
        if sqrt(norm) <= target:
            for i in range(UN):
                x[i] += alpha * dh[i]
            return OK
        if PRE:
            for i in range(UN):
                rhat[i] = diagonal[i] * r[i]
        op(t, c, y, p, u, aux, rhat, s, region, persistent)
        ts = ZERO
        tt = ZERO
        for i in range(UN):
            ts += s[i] * r[i]
            tt += s[i] * s[i]
        if tt == ZERO:
            return FAILED
        omega = ts / tt
        norm = ZERO
        for i in range(UN):
            x[i] += alpha * dh[i] + omega * rhat[i]
            r[i] -= omega * s[i]
            norm += r[i] * r[i]
        if sqrt(norm) <= target:
            return OK
        if omega == ZERO:
            return FAILED
        rho = rho_new
    if sqrt(norm) <= LOOSE * bnorm:
        return INEXACT
    return FAILED
"""


def target_lines(settings, dtype, tolerances="tolerances", diagonal="matrix", pad="    "):
    """Source lines writing the run-time target of ``settings`` (``rtol_share > 0``) into ``diagonal``.

    ``tolerances`` holds ``atol`` then ``rtol`` per state (the step's ``tol``).  The target is
    ``min(tolerance, rtol_share * min(rtol))``, not below ``min(tolerance, 100 eps)``.
    """
    n, eps = settings.n, float(np.finfo(dtype).eps)
    cap = float(settings.tolerance)
    floor = min(cap, 100.0 * eps)
    lines = [f"{pad}kt = {tolerances}[{n}]"]
    if n > 1:
        lines += [f"{pad}for i in range(1, {n}):", f"{pad}    kt = min(kt, {tolerances}[{n} + i])"]
    lines += [f"{pad}kt = max(min(prec({cap!r}), prec({float(settings.rtol_share)!r}) * kt), prec({floor!r}))",
              f"{pad}{diagonal}[{settings.target_index}] = kt"]
    return lines


def build_krylov(settings, layout, dtype, operator) -> BuiltKrylov:
    """Build a GMRES or BiCGSTAB solver of ``settings`` around ``operator``.

    Parameters
    ----------
    settings : GMRESSettings or BiCGSTABSettings
    layout : planner.ComponentLayout
        ``settings.buffer_settings()`` laid out under the Plan.
    dtype : numpy scalar type
        Working precision; ``settings.tolerance`` must be at least ten times
        its machine epsilon.
    operator : device function
        ``op(t, c, y, p, u, aux, v, out, region, persistent)`` (module docstring).
    """
    eps = float(np.finfo(dtype).eps)
    if settings.tolerance < 10.0 * eps:
        # in the user's words: the class named alone sent a SolverOptions user looking for it (a user's trial)
        raise ConfigurationError(
            f"SolverOptions krylov_tolerance ({type(settings).__name__} tolerance): {settings.tolerance!r} is below "
            f"what {np.dtype(dtype).name} can reach (10 eps = {10.0 * eps:.3g}); pass krylov_tolerance of at least "
            f"that, or precision=np.float64")
    allocate = AllocatorFactory(layout, dtype)
    # UN: the element loops run over unsigned indices (no negative-index test; kernels.codegen.loop_header)
    namespace = {"UN": np.uint64(settings.n), "PRE": settings.preconditioned,
                 "TOL": dtype(settings.tolerance), "SCALED": settings.target_index is not None,
                 "TARGET_AT": settings.target_index or 0,
                 "LOOSE": dtype(settings.accept_reduced),
                 "ZERO": dtype(0.0), "ONE": dtype(1.0), "HUGE": dtype(np.finfo(dtype).max), "op": operator,
                 "sqrt": math.sqrt, "OK": np.int32(SOLVER_OK), "INEXACT": np.int32(INEXACT),
                 "FAILED": np.int32(codes.LINEAR_SOLVER_NOT_CONVERGED)}
    alloc_diagonal = allocate("diagonal")
    if isinstance(settings, GMRESSettings):
        for name in ("basis", "hessenberg", "rotations", "projected", "work"):
            namespace[f"alloc_{name}"] = allocate(name)
        namespace.update(M=settings.restart, CYCLES=settings.max_restarts,
                         slot=allocate.slots("basis", settings.basis_views))
        source = _GMRES
    elif isinstance(settings, BiCGSTABSettings):
        for name in ("residual", "shadow", "direction", "product", "stabiliser", "direction_hat", "residual_hat"):
            namespace[f"alloc_{name}"] = allocate(name)
        namespace["ITERATIONS"] = settings.max_iterations
        source = _BICGSTAB
    else:
        raise ConfigurationError(f"build_krylov: settings must be GMRESSettings or BiCGSTABSettings, "
                                 f"got {type(settings).__name__}")
    solve = compile_device(source, "solve", namespace)
    return BuiltKrylov(solve, alloc_diagonal, tuple(allocate.records), settings)
