"""Matrix-free Krylov solvers: restarted GMRES(m) and BiCGSTAB, optionally Jacobi-preconditioned.

For systems too large for a dense matrix per thread (n = 64 to 256 and beyond) ``M x = b`` of a
Newton iteration is solved from products ``M v`` alone.  The product is a device function handed
to the builder (the *operator*), so the solvers are generic: inside Newton it is ``v - c J(t, y) v``
from the system's ``jvp`` or one extra right-hand side (:mod:`kernels.solvers.newton`); a standalone
test passes a dense ``A v``.  Operator contract::

    op(t, c, y, p, u, aux, v, out, region, persistent) -> None

writes ``M v`` to ``out`` (``v`` and ``out`` never alias); ``t, c, y, p, u, aux`` are what the
solver's caller passed to ``solve``.  Preconditioning is on the right, ``M P^-1 (P x) = b`` with
``P = diag(M)``, so the residual tested is the true one; the caller fills ``diagonal`` with
``1 / M_ii`` before ``solve`` (Newton: once per iteration matrix; the buffer spans invocations
like an LU factor).  Every vector is a planned buffer of the component, alive in its ``solve``
phase, indexed at run time (meant for shared memory at these sizes).  Convergence: the residual's
2-norm at most ``tolerance`` times ``||b||``; otherwise :data:`kernels.status.LINEAR_SOLVER_NOT_CONVERGED`.
Every solve runs on ``b`` over the power of two just above its largest (weighted) entry and scales ``x`` back
(:mod:`kernels.solvers.krylov_source`): the norms are sums of squares, which overflowed past 1.8e19 in float32
(number densities in cm^-3), so a huge ``b`` failed where the LU solved it; only a ``b`` with an entry that is not
finite fails now.

``weighted`` (every solve inside Newton): the residual in the norm of the error test, ``W =
diag(1 / s)``, ``s_i = atol_i + rtol_i |y_i|`` at the Jacobian point, as SUNDIALS' SPGMR scales it:
the solver runs on ``W M D (D^-1 x) = W b``, ``D = P^-1 diag(s)``.  The plain 2-norm sees only the
abundant species: rodas5p, GMRES + Jacobi, a 30-species mechanism (concentrations 1 to 1e-20, atol
1e-12, rtol 1e-6, exact ``jvp``, float64) ended 171.7 tolerances off with success, the LU 0.43.
``absolute`` caps the target at that many tolerances (rms; a share of Newton's constant ``tol[2 n]``
with ``kappa_share``): the relative weighted test alone let a residual in the abundant species
through where the scarce ones inflate ``||W b||`` (kvaerno5 on HIRES at rtol 1e-4: 6.0 tolerances
off, the LU 0.87).  Both now end as the LU (0.43 in its 107 steps; 0.85).  The target is
``max(min(relative ||W b||, absolute), min(tolerance, 2 eps) ||W b||)`` (:data:`ABSOLUTE_FLOOR_EPS`); ``prepare``
writes ``s`` (over its largest value: the relative test is scale-free) and the targets into ``diagonal``
(:func:`target_lines`), ``2 n + 2`` elements.

Inside Newton a solve out of iterations with its residual within ``accept_reduced ||b||`` is an
inexact Newton step (the forcing term): it returns :data:`INEXACT`, on which Newton moves but
stops only where the increment itself is below Newton's constant (:mod:`kernels.solvers.newton`).
Returned as OK, an increment cut short at the cap passed Newton's test with up to 32 % of it wrong:
kvaerno5 on a 44-species mechanism (float64, rtol 1e-6, exact ``jvp``) ended 4.9 tolerances off with
success, 0.83 with the LU; now 0.83 in 151 steps.  In float32 BiCGSTAB stalls just above a 1e-5
target on a badly scaled Jacobian: kvaerno5 on the Oregonator took 3885 steps (305 in float64); with
``accept_reduced = 0.1``, 957 (GMRES: 177).  The default 0 keeps the strict test (a solver on its
own, and a Rosenbrock stage's solve, which no Newton iteration follows).

A Rosenbrock stage's solve is the stage: its error goes into the step unchecked, and a fixed
relative residual of 1e-5 left rodas5p on a 20-state Allen-Cahn problem 2.3 tolerances off at rtol
1e-8 (float64), in three times the LU's steps, with success.  With ``rtol_share > 0`` the relative
target is ``min(tolerance, rtol_share * rtol)`` (the run's smallest ``rtol``), not below
``min(tolerance, 100 eps)``, written by ``prepare`` too: one kernel serves every ``rtol``.
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
from .krylov_source import BICGSTAB_SOURCE, GMRES_SOURCE, SCALED_SOURCE

__all__ = ["GMRESSettings", "BiCGSTABSettings", "BuiltKrylov", "build_krylov", "target_lines", "INEXACT"]

#: A solve out of iterations with its residual within ``accept_reduced ||b||`` (an inexact Newton step):
#: not a status (negative), only Newton sees it.
INEXACT = -1

#: The absolute target's floor, in eps of the working precision times ``||W b||``: only a guard against a target
#: no precision can reach.  It was ``min(tolerance, 100 eps)``, the relative target's own floor, which in float32
#: (100 eps = 1.2e-5 above the default tolerance 1e-5) equals the relative target: the absolute one never bound.
#: A Rosenbrock stage's solution is some 1e4 tolerances in size there (rtol 1e-4), so a relative 1e-5 left 0.16
#: tolerances in a stage, and the stages' coupling (gamma C up to 35 in rodas5p) up to 1 in the step: rodas5p with
#: gmres on HIRES (float32, rtol 1e-4, atol 1e-6) ended 0.4 to 26 tolerances off over eight rtol within 7 % of
#: 1e-4 (median 5.5; the LU 0.49); with the floor at 2 eps, median 0.36 in the LU's steps.
ABSOLUTE_FLOOR_EPS = 2.0


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
    weighted: bool = False
    absolute: float = 0.0
    kappa_share: bool = False

    @property
    def scaled_in(self) -> bool:
        """``diagonal[:n]`` scales a Krylov vector before each product (Jacobi, weights, or both)."""
        return self.preconditioned or self.weighted

    @property
    def target_index(self):
        """Where in ``diagonal`` the run-time target sits (after the scales), or None (a fixed ``tolerance``)."""
        if self.rtol_share == 0.0 and not self.weighted:
            return None
        return (2 * self.n if self.weighted else self.n if self.preconditioned else 0)

    def _check(self):
        owner = type(self).__name__
        _check_int(owner, "n", self.n, 1)
        _check_int(owner, "spans_invocations", self.spans_invocations, 0)
        _check_int(owner, "solves", self.solves, 1)
        for key in ("preconditioned", "weighted", "kappa_share"):
            if not isinstance(getattr(self, key), bool):
                raise ConfigurationError(f"{owner} {key}: expected True or False, got {getattr(self, key)!r}")
        for key, low, high, what in (("tolerance", 0.0, 1.0, "a relative residual in (0, 1)"),
                                     ("accept_reduced", 0.0, 1.0, "a relative residual in [0, 1) (0: only the "
                                      "tolerance converges)"),
                                     ("rtol_share", 0.0, 1.0, "a number in [0, 1] (0: a fixed tolerance)"),
                                     ("absolute", 0.0, math.inf, "tolerances >= 0 (0: none)")):
            value = getattr(self, key)
            inside = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high
            if not inside or (key == "tolerance" and value in (0.0, 1.0)) or (key == "accept_reduced" and value == 1.0):
                raise ConfigurationError(f"{owner} {key}: expected {what}, got {value!r}")

    def _settings(self, vectors, scalars, products):
        """BufferSettings from ``vectors``/``scalars``: ``[(name, size_elems, accesses per product)]``."""
        n, span = self.n, (PhaseSpan("solve", "solve"),)
        weight = float(self.solves * products)
        size = (2 * n + 2 if self.weighted else n * self.preconditioned + int(self.target_index is not None))
        reads = 2 * self.scaled_in + self.weighted  # per product: the scales in (twice) and out
        buffers = [Buffer("diagonal", size, lifetime=(PhaseSpan("setup", "solve"),),
                          weight=float(n * (1 + reads * self.solves * products)) if reads else 0.0,
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
    weighted, absolute, kappa_share : bool, float, bool
        The residual in the error test's norm, its absolute target in tolerances (0: none), read as a share
        of Newton's constant (module notes); ``prepare`` writes the weights and targets.
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
    preconditioned, tolerance, accept_reduced, rtol_share, weighted, absolute, kappa_share, spans_invocations, solves
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
        n, pre = self.n, self.scaled_in
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


def target_lines(settings, dtype, tolerances="tolerances", diagonal="matrix", pad="    ", state="y"):
    """Source lines writing the run-time entries of ``diagonal`` (``target_index`` not None) in ``prepare``: the
    weights, the absolute target and the relative one (module notes).  ``tolerances`` holds ``atol`` then ``rtol``
    (Newton's constant at ``2 n`` where ``settings.kappa_share``), ``state`` is the Jacobian point."""
    n, eps = settings.n, float(np.finfo(dtype).eps)
    cap = float(settings.tolerance)
    floor = min(cap, 100.0 * eps)
    at = settings.target_index
    lines = []
    if settings.weighted:
        scale = f"{tolerances}[ki] + {tolerances}[{n} + ki] * abs({state}[ki])"
        keep = f"{diagonal}[ki] * " if settings.preconditioned else ""
        lines += [f"{pad}ks = prec(0.0)", f"{pad}for ki in range({n}):", f"{pad}    ks = max(ks, {scale})",
                  f"{pad}if not ks > prec(0.0):", f"{pad}    ks = prec(1.0)",
                  f"{pad}{diagonal}[{at + 1}] = ks * prec({math.sqrt(n) * settings.absolute!r})"
                  + (f" * {tolerances}[{2 * n}]" if settings.kappa_share else ""),
                  f"{pad}ks = prec(1.0) / ks",
                  f"{pad}for ki in range({n}):", f"{pad}    kw = max(({scale}) * ks, prec({eps!r}))",
                  f"{pad}    {diagonal}[ki] = {keep}kw", f"{pad}    {diagonal}[{n} + ki] = prec(1.0) / kw"]
    if settings.rtol_share == 0.0:
        return lines + [f"{pad}{diagonal}[{at}] = prec({cap!r})"]
    lines += [f"{pad}kt = {tolerances}[{n}]"]
    if n > 1:
        lines += [f"{pad}for ki in range(1, {n}):", f"{pad}    kt = min(kt, {tolerances}[{n} + ki])"]
    lines += [f"{pad}kt = max(min(prec({cap!r}), prec({float(settings.rtol_share)!r}) * kt), prec({floor!r}))",
              f"{pad}{diagonal}[{at}] = kt"]
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
    namespace = {"UN": np.uint64(settings.n), "PRE": settings.scaled_in, "WEIGHTED": settings.weighted,
                 "OUT": np.uint64(settings.n),
                 "TOL": dtype(settings.tolerance), "SCALED": settings.target_index is not None,
                 "TARGET_AT": settings.target_index or 0,
                 "LOOSE": dtype(settings.accept_reduced),
                 "FLOOR": dtype(min(settings.tolerance, ABSOLUTE_FLOOR_EPS * eps)),
                 "ABSOLUTE": settings.weighted and settings.absolute > 0.0,
                 "ZERO": dtype(0.0), "ONE": dtype(1.0), "HUGE": dtype(np.finfo(dtype).max), "op": operator,
                 "sqrt": math.sqrt, "frexp": math.frexp, "ldexp": math.ldexp,
                 "MIN_EXPONENT": int(np.finfo(dtype).minexp),
                 "OK": np.int32(SOLVER_OK), "INEXACT": np.int32(INEXACT),
                 "FAILED": np.int32(codes.LINEAR_SOLVER_NOT_CONVERGED)}
    alloc_diagonal = allocate("diagonal")
    if isinstance(settings, GMRESSettings):
        for name in ("basis", "hessenberg", "rotations", "projected", "work"):
            namespace[f"alloc_{name}"] = allocate(name)
        namespace.update(M=settings.restart, CYCLES=settings.max_restarts,
                         slot=allocate.slots("basis", settings.basis_views))
        source = GMRES_SOURCE
    elif isinstance(settings, BiCGSTABSettings):
        for name in ("residual", "shadow", "direction", "product", "stabiliser", "direction_hat", "residual_hat"):
            namespace[f"alloc_{name}"] = allocate(name)
        namespace["ITERATIONS"] = settings.max_iterations
        source = BICGSTAB_SOURCE
    else:
        raise ConfigurationError(f"build_krylov: settings must be GMRESSettings or BiCGSTABSettings, "
                                 f"got {type(settings).__name__}")
    # the solver runs on b scaled by a power of two, its entry point scales b and x (krylov_source)
    namespace["solve_scaled"] = compile_device(source, "solve_scaled", namespace)
    solve = compile_device(SCALED_SOURCE, "solve", namespace)
    return BuiltKrylov(solve, alloc_diagonal, tuple(allocate.records), settings)
