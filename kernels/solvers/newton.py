"""Simplified Newton for the stage equations of implicit steps, with the linear solver as a child.

Newton solves ``G(z) = 0`` for a step's unknowns (a DIRK stage increment)
with the iteration matrix ``M = I - c J(t, y)`` held fixed: ``J`` is taken
once at the step's Jacobian point ``(t, y)``, ``M`` is formed and factored
(LU) or preconditioned (Krylov) once by :func:`prepare`, and reused by every
iteration of :func:`iterate` and, when the step says so
(``shared_by_parent``), by every stage that has the same ``c``.  The
residual ``G`` is the step's own device function, handed to the builder, so
Newton is generic.

Convergence (the test on the contraction rate, the tightened ``kappa``, the rate carried from
one solve into the next and the one a solve hands on) is :mod:`kernels.solvers.convergence`,
which the coupled FIRK solve shares.  An iteration whose Krylov solve ran out of iterations short of its
target (:data:`kernels.solvers.krylov.INEXACT`, within the forcing term) updates ``z`` but does not pass that
test unless the increment itself is below the constant (a share of it wrong then leaves less than the constant).

How ``prepare`` forms ``M`` (the system's ``jac``, ``jvp`` products, or finite differences, dense or over a
sparse pattern) and the matrix-free operator ``v -> v - c J v`` are :mod:`kernels.solvers.iteration_matrix`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from planner import Buffer, BufferSettings, Phase, PhaseSpan

from .. import status as codes
from ..allocators import AllocatorFactory
from ..approx import norm_reciprocal, power
from ..codegen import UNROLL_STATES, compile_device, elementwise, index, loop_header
from ..errors import ConfigurationError
from ..moves_ir import fold_moves
from .base import SOLVER_OK
from .convergence import CARRY_POWER, carried_rate, convergence_lines
from .iteration_matrix import jacobian_source, jvp_operator, prepare_source, system_derivatives
from .krylov import INEXACT, BiCGSTABSettings, GMRESSettings, build_krylov
from .jacobian_assembly import column_groups, sparse_buffers, sparse_jacobian_path, switch_share
from .lu import LUSettings, build_lu
from .sparse_lu import SparseLUSettings, build_sparse_lu

# A direct Krylov solve (a Rosenbrock stage) aims at this share of the run's smallest rtol as its relative
# residual (capped by SolverOptions.krylov_tolerance): on a 20- to 60-state Allen-Cahn problem, float64, a
# target of 1e-8 gave rodas5p the LU's steps and error at rtol 1e-6, where 1e-5 took 75 steps against 43
# and ended 0.96 tolerances off (0.03 with LU).  It was 0.01 until a chemist's trial: a 20-species Arrhenius chain
# (rates 1e-2 to 1e6, a badly scaled J), float64, rtol 1e-6, exact jvp, gmres ended 6.0 tolerances off where the LU
# was 0.16; at 0.001, 0.20 in the LU's 102 steps.
DIRECT_RTOL_SHARE = 0.001
# Every Krylov solve here measures its residual in the norm of the error test (weights 1 / (atol + rtol |y|), as
# SUNDIALS' SPGMR) and also stops at an absolute target in it: a stage's solve at 1e-3 tolerances (rms), Newton's at
# 0.005 of its constant.  The unweighted residual left species near 1e-20 unresolved: rodas5p with
# gmres + Jacobi on a 30-species mechanism (concentrations 1 to 1e-20, atol 1e-12, rtol 1e-6, exact jvp, float64)
# ended 171.7 tolerances off with success, the LU 0.43; now 0.43 in the LU's 107 steps.  The weighted relative test
# alone let a residual in the abundant species through (||W b|| inflated by the scarce ones): kvaerno5 on HIRES at
# rtol 1e-4 ended 6.0 tolerances off (the LU 0.87); with the absolute target 0.85.  Newton's share was 0.05 (as
# eplifac) until a regression hunt (each solve within 0.0025 tolerances, exact solves in their place the LU's 0.18): with
# per-state atol (1e-4 to 1e-12) on HIRES (float64, rtol 1e-4) sdirk4 + gmres ended 1.5 to 8.8 tolerances off over
# eight rtol within 7 % of 1e-4 (median 5.1; the LU 0.20, the plain 2-norm's residual 0.19); at 0.005, median 0.20.
DIRECT_ABSOLUTE = 1e-3
NEWTON_ABSOLUTE = 0.005

__all__ = ["NewtonSettings", "BuiltNewton", "build_newton", "system_derivatives", "jacobian_source"]


@dataclasses.dataclass(frozen=True)
class NewtonSettings:
    """The buffers of simplified Newton and its linear solver (the child).

    Parameters
    ----------
    n : int
        Unknowns (the system's states).
    linear : LUSettings, SparseLUSettings, GMRESSettings or BiCGSTABSettings
        The linear solver; its ``spans_invocations`` and ``solves`` are set
        here (the factor lives from ``prepare`` to the last ``iterate``).
    analytic : bool
        The system gives ``jac`` (dense solver) or ``jvp`` (Krylov solver),
        or, with a sparse LU, either; False means finite differences, with their buffers.
    jvp : bool
        Sparse LU only (and then ``analytic``): the system gives ``jvp``, and
        ``M`` is assembled from compressed products of it, not from ``jac``
        and an ``n * n`` scratch.
    max_iterations : int
    kappa : float
        Convergence when the estimated error is below ``kappa`` tolerances
        (Hairer & Wanner suggest 0.01 to 0.1); at run time it becomes
        ``min(kappa, max(sqrt(rtol), eps / rtol))``, tighter at tight tolerances.
    shared_by_parent : bool
        The iteration matrix (and ``f(t, y)`` of finite-difference products)
        stays alive across this component's invocations within its parent:
        ``prepare`` once, ``iterate`` for every stage.
    direct : bool
        The parent calls only ``prepare`` and ``solve`` (a Rosenbrock stage:
        one linear solve per invocation, no iteration): the ``iterate`` phase
        becomes a ``solve`` phase run once, ``increment`` is empty and
        ``residual`` is kept only for a Krylov ``solve``'s right-hand side;
        ``iterate`` is not built and needs no ``residual`` function.  A Krylov
        solver keeps its strict test there (``accept_reduced`` 0).
    fixed_step : bool
        The parent's step cannot be retried smaller (fixed steps): ``iterate`` does not give up by
        predicting that the limit will not be enough, only on divergence, a non-finite norm or the
        limit, and the DIRK step reruns a failed stage once on a fresh iteration matrix
        (:mod:`kernels.solvers.convergence`).
    component : str
    """

    n: int
    linear: object
    analytic: bool = False
    max_iterations: int = 7
    kappa: float = 0.05
    shared_by_parent: bool = False
    component: str = "newton"
    direct: bool = False
    jvp: bool = False
    fixed_step: bool = False

    def __post_init__(self):
        for key in ("n", "max_iterations", "kappa", "analytic", "shared_by_parent", "direct", "jvp", "fixed_step"):
            if isinstance(getattr(self, key), np.generic):  # stored as the Python scalar: the settings stay plain
                object.__setattr__(self, key, getattr(self, key).item())
        for key, minimum in (("n", 1), ("max_iterations", 1)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ConfigurationError(f"NewtonSettings {key}: expected an integer >= {minimum}, got {value!r}")
        if not isinstance(self.linear, (LUSettings, SparseLUSettings, GMRESSettings, BiCGSTABSettings)):
            raise ConfigurationError("NewtonSettings linear: expected LUSettings, SparseLUSettings, GMRESSettings or "
                                     f"BiCGSTABSettings, got {type(self.linear).__name__}")
        if self.linear.n != self.n:
            raise ConfigurationError(f"NewtonSettings linear: its n is {self.linear.n}, expected n = {self.n}; "
                                     f"build it with n={self.n}")
        kappa = self.kappa
        if isinstance(kappa, bool) or not isinstance(kappa, (int, float)) or not 0.0 < kappa < 1.0:
            raise ConfigurationError(f"NewtonSettings kappa: expected a number in (0, 1), got {kappa!r}")
        for key in ("analytic", "shared_by_parent", "direct", "jvp", "fixed_step"):
            if not isinstance(getattr(self, key), bool):
                raise ConfigurationError(f"NewtonSettings {key}: expected True or False, got {getattr(self, key)!r}")
        if self.jvp and not (self.analytic and self.dense):
            raise ConfigurationError(f"NewtonSettings jvp=True assembles an LU's matrix from the system's jvp: "
                                     f"it needs LUSettings or SparseLUSettings and analytic=True, got "
                                     f"{type(self.linear).__name__} and analytic={self.analytic}; set jvp=False")
        levels = 1 + int(self.shared_by_parent)
        linear = dataclasses.replace(self.linear, spans_invocations=levels, solves=self.solves_per_invocation)
        if isinstance(linear, (GMRESSettings, BiCGSTABSettings)):
            # the residual in the norm of the error test, with an absolute target in it (DIRECT_ABSOLUTE above)
            linear = dataclasses.replace(linear, weighted=True, kappa_share=not self.direct,
                                         absolute=DIRECT_ABSOLUTE if self.direct else NEWTON_ABSOLUTE)
        if self.direct and isinstance(linear, (GMRESSettings, BiCGSTABSettings)):
            # a direct solve (a Rosenbrock stage) has no Newton iteration to correct an inexact one: the strict
            # test, and a target below the run's rtol (kernels.solvers.krylov)
            linear = dataclasses.replace(linear, accept_reduced=0.0, rtol_share=DIRECT_RTOL_SHARE)
        object.__setattr__(self, "linear", linear)

    @property
    def solves_per_invocation(self) -> int:
        """Linear solves per invocation: one (``direct``) or up to ``max_iterations``."""
        return 1 if self.direct else self.max_iterations

    @property
    def base_rhs(self) -> bool:
        """Whether a matrix-free ``prepare`` writes ``f(t, y)`` to ``aux``: differenced products need it, Newton's
        forward ones to difference against, a direct solve's central ones only for the Jacobi diagonal (``aux`` is
        their scratch for ``f(y - d v)``)."""
        return not self.analytic and (not self.direct or self.linear.preconditioned)

    @property
    def prepare_rhs(self) -> int:
        """Right-hand sides one ``prepare`` evaluates (finite differences, ``f(t, y)`` of differenced products)."""
        n = self.n
        if self.sparse:
            path = sparse_jacobian_path(self)
            return 0 if path in ("jac", "jvp") else 1 + len(column_groups(n, self.linear.pattern))
        if self.dense:
            return 0 if self.analytic else n + 1
        count = 1 if self.base_rhs else 0
        if self.linear.preconditioned:
            count += n + (1 if self.analytic else 0)
        return count

    @property
    def factors(self) -> int:
        """LU factorisations one ``prepare`` does (0 for a Krylov solver)."""
        return 1 if self.dense else 0

    @property
    def rhs_counted(self) -> bool:
        """Whether every right-hand side is counted: not where Krylov products difference it (their number varies)."""
        return self.dense or self.analytic

    @property
    def dense(self) -> bool:
        """A factored iteration matrix (dense or sparse LU: the system's dense ``jac``), not a Krylov solver."""
        return isinstance(self.linear, (LUSettings, SparseLUSettings))

    @property
    def sparse(self) -> bool:
        return isinstance(self.linear, SparseLUSettings)

    def buffer_settings(self) -> BufferSettings:
        """The component's :class:`planner.BufferSettings`, the linear solver as child."""
        n, k, child = self.n, self.solves_per_invocation, self.linear.component
        run = "solve" if self.direct else "iterate"
        prepare, iterate = (PhaseSpan("prepare", "prepare"),), (PhaseSpan(run, run),)
        residual = 0 if self.direct and self.dense else n
        buffers = [Buffer("residual", residual, lifetime=iterate, weight=float(5 * residual * k))]
        if self.sparse:
            buffers += sparse_buffers(self)
        elif self.dense:  # differences: the shifted state and two right-hand sides; jvp: a unit vector and J e_j
            fd = 0 if self.analytic and not self.jvp else n
            base = 0 if self.analytic else n
            buffers += [Buffer("jac_state", fd, lifetime=prepare, weight=float(3 * fd)),
                        Buffer("jac_rhs0", base, lifetime=prepare, weight=float(base * (base + 1))),
                        Buffer("jac_rhs1", fd, lifetime=prepare, weight=float(fd * (fd + 1)))]
        else:
            fd = 0 if self.analytic else n
            pre = n if self.linear.preconditioned else 0
            products = self.linear.max_products * k
            increment = 0 if self.direct else n
            # f(t, y) (a direct solve's central products: their scratch for f(y - d v)), then the increment's scales
            base = 2 * fd + 1 if fd else 0
            buffers += [Buffer("increment", increment, lifetime=iterate, weight=float(3 * increment * k)),
                        Buffer("jvp_base", base, lifetime=(PhaseSpan("prepare", run),),
                               weight=float(base * (1 + products)), spans_invocations=int(self.shared_by_parent)),
                        Buffer("jvp_state", fd, lifetime=iterate, weight=float(2 * fd * products)),
                        Buffer("jac_state", pre, lifetime=prepare, weight=float(3 * pre)),
                        Buffer("jac_rhs0", pre if self.analytic else 0, lifetime=prepare, weight=float(2 * pre)),
                        Buffer("jac_rhs1", pre, lifetime=prepare, weight=float(2 * pre))]
        phases = (Phase("prepare", invokes=(child,)), Phase(run, invokes=(child,), times=k))
        return BufferSettings(component=self.component, phases=phases, buffers=tuple(buffers),
                              children=(self.linear.buffer_settings(),))


@dataclasses.dataclass(frozen=True)
class BuiltNewton:
    """Newton's device functions and allocators (contract in :mod:`kernels.solvers.base`).

    Attributes
    ----------
    prepare : device function
        ``prepare(t, c, y, p, u, tolerances, matrix, aux, region, persistent) -> int32``.
    iterate : device function or None
        ``iterate(t, c, y, p, u, tolerances, ts, data, z, matrix, aux, region, persistent, carried)
        -> (int32, eta, iterations)`` (None for ``direct`` settings); each iteration evaluates the
        residual once.
    solve : device function
        ``solve(t, c, y, p, u, matrix, aux, b, x, region, persistent) -> int32``:
        ``x = M^-1 b`` with the prepared matrix (a Rosenbrock stage); ``b`` is
        unchanged, ``x`` may be ``b``.
    alloc_matrix, alloc_aux : device functions
        ``alloc(region, persistent)``: the arrays ``prepare`` fills and
        ``iterate`` reads (LU factor and pivots; Jacobi diagonal and
        ``f(t, y)`` with the differenced products' scales), allocated by the frame that spans both calls.
    records : tuple of AllocationRecord
        Newton's and the linear solver's allocators (memory audit).
    settings : NewtonSettings
    jacobian : str
        The path this build takes: :func:`jacobian_source`.
    """

    prepare: object
    iterate: object
    solve: object
    alloc_matrix: object
    alloc_aux: object
    records: tuple
    settings: NewtonSettings
    jacobian: str


def _iterate_source(settings):
    n, unroll = settings.n, UNROLL_STATES
    lines = ["def iterate(t, c, y, p, u, tolerances, ts, data, z, matrix, aux, region, persistent, carried):",
             "    g = alloc_residual(region, persistent)"]
    if not settings.dense:
        lines.append("    dz = alloc_increment(region, persistent)")
    lines += [f"    kap = tolerances[{2 * n}]"]
    lines += ["    eta = " + carried_rate("prec(carried)"), "    theta = ZERO", "    previous = ONE", "    worst = ZERO",
              "    for k in range(MAX_ITER):",
              "        residual(ts, c, y, p, u, data, z, g, region, persistent)"]
    lines += elementwise(n, lambda i: f"g[{i}] = -g[{i}]", unroll, indent=2)
    if settings.dense:
        lines.append("        lin_solve(matrix, aux, g)")
        increment = "g"
    else:
        # an inexact solve (out of iterations, residual within the forcing term) moves z; it ends Newton only
        # where the increment itself is below kappa (a share of it wrong then leaves less than kappa)
        lines += ["        code = lin_solve(t, c, y, p, u, matrix, aux, g, dz, region, persistent)",
                  "        if code != OK and code != INEXACT:", "            return code, ONE, k + 1"]
        increment = "dz"
    lines.append("        acc = ZERO")
    if n <= unroll:
        for i in range(n):
            lines += [f"        z[{i}] += {increment}[{i}]",
                      f"        e = {increment}[{i}] * rcp(tolerances[{i}] + tolerances[{n + i}] * abs(y[{i}]))",
                      "        acc += e * e"]
    else:
        lines += [loop_header(n, indent=2), f"            z[i] += {increment}[i]",
                  f"            e = {increment}[i] * rcp(tolerances[i] + tolerances[{index('i', offset=n)}] * abs(y[i]))",
                  "            acc += e * e"]
    lines += ["        norm = sqrt(acc * INV_N)"]
    # a first iteration that converges measured no rate: hand on the one carried in, not its inflated eta_0;
    # otherwise the slowest rate measured, not the last: the next stage's first iteration starts from z = 0 as
    # this one's did, and a last rate measured near convergence can be rounding alone (a user's trial: y' =
    # cos(tau), tau' = 1, whose second iteration ends it exactly: kvaerno5 790 tolerances off at rtol 1e-6)
    lines += convergence_lines("kap", ["return FAILED, ONE, k + 1"],
                               ["if k == 0:", "    return OK, prec(carried), 1", "return OK, max(worst, eta), k + 1"],
                               "eta * norm <= kap" if settings.dense else "eta * norm <= kap and (code == OK or norm <= kap)", 2,
                               predict=not settings.fixed_step)
    lines += ["        if k > 0:", "            worst = max(worst, eta)"]
    lines += ["    return FAILED, ONE, MAX_ITER"]
    return "\n".join(lines) + "\n"


_SOLVE_DENSE = """
def solve(t, c, y, p, u, matrix, aux, b, x, region, persistent):
    for i in range(N):
        x[i] = b[i]
    lin_solve(matrix, aux, x)
    return OK
"""

# A Krylov solve reads b while it writes x, so x = b goes through Newton's residual buffer.
_SOLVE_KRYLOV = """
def solve(t, c, y, p, u, matrix, aux, b, x, region, persistent):
    g = alloc_residual(region, persistent)
    for i in range(N):
        g[i] = b[i]
    return lin_solve(t, c, y, p, u, matrix, aux, g, x, region, persistent)
"""


def build_newton(settings, layout, dtype, residual, rhs, jac=None, jvp=None) -> BuiltNewton:
    """Build simplified Newton of ``settings`` under a planned ``layout``.

    Parameters
    ----------
    settings : NewtonSettings
    layout : planner.ComponentLayout
        ``settings.buffer_settings()`` laid out under the Plan.
    dtype : numpy scalar type
        Working precision.
    residual : device function or None
        ``residual(ts, c, y, p, u, data, z, out, region, persistent)``: writes ``G(z)`` (contract
        in :mod:`kernels.solvers.base`); None for ``direct`` settings (no ``iterate``).
    rhs : device function
        ``rhs(t, y, p, u, dydt)`` (``ODESystem.device_rhs``), for finite differences.
    jac, jvp : device functions, optional
        ``jac(t, y, p, J)`` (dense, needed when ``settings.analytic`` and the
        solver is LU, unless ``settings.jvp``) and ``jvp(t, y, p, v, out)`` (needed
        when ``settings.analytic`` and the solver is a Krylov one, or ``settings.jvp``).
        :func:`system_derivatives` gives all three for an ODESystem.
    """
    needed = "jac" if settings.dense and not settings.jvp else "jvp"
    given = jvp if needed == "jvp" else jac
    if settings.analytic and given is None:
        raise ConfigurationError(f"NewtonSettings analytic=True with a {type(settings.linear).__name__} needs "
                                 f"the system's {needed}; none was given: pass {needed}= or set analytic=False")
    allocate = AllocatorFactory(layout, dtype)
    eps = float(np.finfo(dtype).eps)
    namespace = {"N": settings.n, "UN": np.uint64(settings.n), "ZERO": dtype(0.0), "ONE": dtype(1.0), "EPS": dtype(eps),
                 "SQRT_EPS": dtype(math.sqrt(eps)), "CBRT_EPS": dtype(eps ** (1.0 / 3.0)),
                 "SWITCH_SHARE": dtype(switch_share(dtype)),  # a differenced column taken again (jacobian_assembly)
                 "HUGE": dtype(np.finfo(dtype).max),
                 "MAX_ITER": settings.max_iterations, "sqrt": math.sqrt,
                 "INV_N": dtype(1.0 / settings.n), "rcp": norm_reciprocal(dtype),  # the norm in the working precision
                 "power": power(dtype), "CARRY_POWER": dtype(CARRY_POWER), "prec": dtype,
                 "rhs": rhs, "jac": jac, "jvp": jvp, "residual": residual,
                 "OK": np.int32(SOLVER_OK), "INEXACT": np.int32(INEXACT), "FAILED": np.int32(codes.NEWTON_NOT_CONVERGED)}
    names = [b.name for b in settings.buffer_settings().buffers]
    for name in names:
        namespace[f"alloc_{name}"] = allocate(name)
    child = layout.child(settings.linear.component)
    if settings.dense:
        lu = (build_sparse_lu if settings.sparse else build_lu)(settings.linear, child, dtype)
        namespace.update(lu_factor=lu.factor, lin_solve=lu.solve)
        alloc_matrix, alloc_aux, child_records = lu.alloc_factor, lu.alloc_pivots, lu.records
    else:
        operator = jvp_operator(settings, namespace, jvp if settings.analytic else None, rhs,
                                 namespace.get("alloc_jvp_state"))
        krylov = build_krylov(settings.linear, child, dtype, operator)
        namespace["lin_solve"] = krylov.solve
        alloc_matrix, alloc_aux, child_records = krylov.alloc_diagonal, namespace["alloc_jvp_base"], krylov.records
    prepare = compile_device(fold_moves(prepare_source(settings, dtype), namespace), "prepare", namespace)
    solve = compile_device(_SOLVE_DENSE if settings.dense else _SOLVE_KRYLOV, "solve", namespace)
    iterate = None if settings.direct else compile_device(_iterate_source(settings), "iterate", namespace)
    return BuiltNewton(prepare, iterate, solve, alloc_matrix, alloc_aux, tuple(allocate.records) + tuple(child_records),
                       settings, jacobian_source(settings))
