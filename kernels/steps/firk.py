"""Fully implicit Runge-Kutta family (Radau IIA 5, Gauss-Legendre 4): coupled stages, transformed Newton.

The ``s`` implicit stages are solved together for the increments
``Z_i = Y_i - y``: ``Z = h (A (x) I) F(Z)``.  Multiplying by ``A^-1`` and
changing variables to ``W = (T^-1 (x) I) Z``, where ``T^-1 A^-1 T = Lambda``
is block diagonal (a 1x1 block per real eigenvalue of ``A^-1``, a 2x2 block
``[[alpha, beta], [-beta, alpha]]`` per complex pair), simplified Newton
with the Jacobian ``J`` taken once at ``(t, y)`` splits into one real
system per block (Hairer & Wanner, *Solving ODEs II*, IV.8):

    (Lambda_bb / h (x) I - I (x) J) dW_b = -(Lambda_bb / h (x) I) W_b + (T^-1 (x) I)_b F(Z).

Radau IIA: one n x n system (``mu / h I - J``) and one 2n x 2n real system
standing for the complex one; Gauss 4: one 2n x 2n system.  Each block is
factored once a step by the project's dense or sparse LU (a child component
``lu_<b>``, chosen as for DIRK and Rosenbrock, except that ``"lu"`` goes sparse
as soon as a 2n block would be a looped dense LU; a complex pair block over a
pattern is factored in complex arithmetic; see :mod:`.firk_blocks`).  Inside
the Newton loop only ``W`` is carried: each stage's state is ``y + (T W)_q``
and ``Z = (T (x) I) W`` is formed once after it.
Newton (its first guess, its convergence test and the rate it carries, and when the blocks' factors
are kept from one step to the next) is :mod:`.firk_newton`.

Radau's error estimate (Hairer & Wanner IV.8; see :mod:`kernels.tableaus.firk`)
is ``err = (I - h gamma0 J)^-1 (gamma0 h f(t, y) + sum_i e_i Z_i)``, computed
with the real block's factor (``mu = 1 / gamma0``); when its RMS norm is
above 1 on the first step or after a rejection (the loop's ``prime`` sets
``restart`` then, which also starts Newton from zero), it is filtered once more
with ``f(t, y + err)`` in place of ``f(t, y)`` (the second solve removes the
estimate's growth on stiff components that would shrink the step without
end), as in Hairer's RADAU5 and SciPy (``FIRST .OR. REJECT``).  Filtering
every step whose estimate was above 1 (2026-12-03 to 12-05) let a stiff
component that follows a time-dependent forcing through: photolysis that
ends at sunset (NO2 -> NO + O3 at ``j0 max(0, sin(2 pi t / 86400))``, NO
relaxing in 65 s) was accepted in one 1.05 h step and ended 181 tolerances
off in float64 (rtol 1e-6), 26 in float32 (rtol 1e-5), with status success;
filtered on a retry only, 7.05 and 0.37 (SciPy's Radau: 5.75).  That rule
had been taken for a float32 run whose unfiltered estimates stayed at 3 to 5
tolerances of rounding once Newton failures had cut its step (a 20-species
mechanism, rtol 1e-4, atol 1e-8: the step fell to 3e-14 in 126 rejections);
such a run now fails as it did, with the message that says to loosen atol
or take float64, rather than succeed with a wrong answer elsewhere.

The code is generated with literal indices up to :data:`kernels.codegen.UNROLL_STATES`
states (loops above), so local buffers can stay in registers; on the CUDA target its long
runs of element moves (the blocks' assembly) are folded into IR (:mod:`kernels.moves_ir`).
The coupled stages are solved by LU only (dense or sparse): a Krylov ``SolverOptions`` is refused.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from planner import Buffer, BufferSettings, Phase, PhaseSpan

from .. import status as codes
from ..allocators import AllocatorFactory
from ..approx import norm_reciprocal, power
from ..codegen import index
from ..drivers import make_driver_evaluator
from ..errors import ConfigurationError
from ..moves_ir import compile_folded
from ..solvers.complex_lu import ComplexSparseLUSettings, build_complex_sparse_lu
from ..solvers.jacobian_assembly import compressed_label, switch_share
from ..solvers.factor_storage import STORAGE_CHOICES, check_storage
from ..solvers.lu import LU_UNROLL, build_lu
from ..solvers.convergence import CARRY_POWER
from ..solvers.options import as_solver_options
from ..solvers.sparse_lu import SparseLUSettings, build_sparse_lu, full_pattern
from ..solvers.sparsity import jacobian_pattern
from ..tableaus import ButcherTableau
from ..tableaus.firk import firk_refusal
from .base import STEP_OK, BuiltStep, counted, work_buffer, work_lines, work_taker
from .firk_blocks import block_lu_settings, jacobian_rhs, jacobian_size
from .firk_newton import CARRIED_SHARE, REFRESH_RATE, SAME_STEP, combination, each, finish_lines, solve_lines
from .firk_transform import FIRKTransform, firk_transform

__all__ = ["FIRKStepSettings", "build_firk_step", "FIRKTransform", "firk_transform"]

def _pattern_for_pair_block(options, system):
    """J's pattern (else the full one) for ``"lu"`` when the 2n block would be a looped dense LU.

    Up to LU_UNROLL states DIRK and Rosenbrock factor one dense n x n matrix in straight-line code, but
    a FIRK step's complex pair block has 2n rows: above LU_UNROLL the dense LU is loops with run-time
    indices and a pivot search, its factor in local memory (radau, Brusselator n = 8: 1696 bytes of
    stack, float32).  The sparse LU over J's pattern is straight-line at any such size.
    """
    try:
        return options.pattern if options.pattern is not None else jacobian_pattern(system)
    except ConfigurationError:
        return full_pattern(system.n_states)  # not evaluable on the host: every entry


@dataclasses.dataclass(frozen=True)
class FIRKStepSettings:
    """The buffers of a FIRK step and of its LU children (one per block of ``Lambda``).

    Parameters
    ----------
    tableau : ButcherTableau
        A fully implicit tableau (optionally with an explicit first stage, as ``radau``).
    n_states, n_drivers : int
    estimate_error : bool
        Write the embedded error estimate (needs a tableau with ``b_hat``).
    jacobian : str
        Where ``J`` comes from: ``"jac"`` (the system's dense ``jac``), ``"jvp"`` (the system's ``jvp``,
        one product per column group: sparse LU only) or ``"finite differences"``.
    max_iterations : int
    kappa : float
        Newton's convergence constant (see :mod:`kernels.solvers.newton`).
    form : str
        ``"transformed"`` (one LU per block of ``Lambda``: Radau n and 2n) or ``"full"`` (one LU of
        ``s n`` unknowns, plus an n x n one for Radau's error filter), to measure which is faster.
    pattern : tuple of (int, int), optional
        ``J``'s structural nonzeros (the diagonal included): the blocks use the sparse LU over it;
        None: the dense LU.
    factor_storage : str
        ``SolverOptions.factor_storage`` for the sparse blocks' factors (``"auto"``: memory from
        :data:`~kernels.solvers.factor_storage.MEMORY_ENTRIES` entries, see that module).
    reuse_factor : bool
        Keep the factors across steps (``SolverOptions.reuse_factor``; see the module notes).
    count_work : bool
        Count the step's work (``SolverOptions.count_work``; item 8 of :mod:`kernels.steps.base`).
    """

    tableau: ButcherTableau
    n_states: int
    n_drivers: int = 0
    estimate_error: bool = True
    jacobian: str = "finite differences"
    max_iterations: int = 7
    kappa: float = 0.05
    form: str = "transformed"
    pattern: tuple = None
    factor_storage: str = "auto"
    reuse_factor: bool = True
    count_work: bool = False

    component = "firk"
    needs_tolerances = True
    error_vectors = 1
    # States from which Newton reads the tolerances from the kernel's shared array: radau on the H200 was 1.09x
    # (float32) and 1.35x (float64) faster so at 8 states, where the DIRK methods lost 3 to 6 % (kernels.loop)
    global_tolerances_from = 8

    @property
    def newton_kappa(self):
        """Newton's constant, tightened at the run's tolerances in ``tol[2 n]`` (contract item 4 of :mod:`.base`)."""
        return self.kappa

    @classmethod
    def for_method(cls, tableau, system, estimate_error=True, solver=None):
        """The settings of one solve of ``system``; ``solver`` must choose an LU (dense or sparse, as DIRK's)."""
        options = as_solver_options(solver)
        if not options.direct:
            raise ConfigurationError(f"solver linear={options.linear!r}: the FIRK methods ({tableau.name!r}) solve "
                                     "their coupled stages with an LU only (dense or sparse; no Krylov solver); use "
                                     "SolverOptions(linear='lu'), 'dense' or 'sparse'")
        newton = options.newton_for(system)  # the dense-or-sparse rule of DIRK and Rosenbrock
        pattern = newton.linear.pattern if newton.sparse else None
        if pattern is None and options.linear == "lu" and 2 * system.n_states > LU_UNROLL:
            pattern = _pattern_for_pair_block(options, system)
        has_jac, has_jvp = getattr(system, "jac", None) is not None, getattr(system, "jvp", None) is not None
        if has_jvp and (pattern is not None or not has_jac):  # dense: J e_j column by column, not differences
            jacobian = "jvp"
        else:
            jacobian = "jac" if getattr(system, "jac", None) is not None else "finite differences"
        return cls(tableau, system.n_states, system.n_drivers, estimate_error=estimate_error, jacobian=jacobian,
                   max_iterations=options.newton_iterations, kappa=options.kappa, form=options.coupled,
                   pattern=pattern, factor_storage=options.factor_storage, reuse_factor=options.reuse_factor,
                   count_work=options.count_work)

    def __post_init__(self):
        if self.form not in ("transformed", "full"):
            raise ConfigurationError(f"FIRKStepSettings form: expected 'transformed' or 'full', got {self.form!r}")
        check_storage("FIRKStepSettings factor_storage", self.factor_storage, STORAGE_CHOICES)
        if not isinstance(self.reuse_factor, bool):
            raise ConfigurationError(f"FIRKStepSettings reuse_factor: expected True or False, got {self.reuse_factor!r}")
        if self.jacobian not in ("jac", "jvp", "finite differences"):
            raise ConfigurationError(f"FIRKStepSettings jacobian: expected 'jac', 'jvp' or 'finite differences', "
                                     f"got {self.jacobian!r}")
        if self.pattern is not None:
            n = self.n_states
            entries = {(int(i), int(j)) for i, j in self.pattern} | {(i, i) for i in range(n)}
            object.__setattr__(self, "pattern", SparseLUSettings(n, tuple(entries)).pattern)  # checked, sorted
        if self.tableau.explicit or self.tableau.diagonally_implicit:
            raise ConfigurationError(f"method {self.tableau.name!r}: the FIRK family needs a fully implicit "
                                     "tableau (not explicit or diagonally implicit)")
        refusal = firk_refusal(self.tableau)
        if refusal:
            raise ConfigurationError(f"FIRKStepSettings tableau: {refusal}")
        if self.adaptive:
            tr = firk_transform(self.tableau)
            gamma = self.tableau.b_hat[0] - self.tableau.b[0]
            real = [bl for bl in tr.blocks if len(bl) == 1]
            if not (tr.explicit_first and real and abs(gamma * tr.lam[real[0][0], real[0][0]] - 1.0) < 1e-10):
                raise ConfigurationError(f"method {self.tableau.name!r}: its embedded formula is not of Radau's "
                                         "form (explicit first stage weighted by 1 / a real eigenvalue of A^-1); "
                                         "run it with fixed steps")

    @property
    def transform(self) -> FIRKTransform:
        return firk_transform(self.tableau, self.form)

    @property
    def jacobian_label(self) -> str:
        """:attr:`jacobian` with its cost where the blocks' LU is sparse, as a Newton's label reads
        (:func:`kernels.solvers.jacobian_assembly.sparse_jacobian_label`): ``"jvp (compressed, K products)"``,
        ``"jac (dense n x n scratch)"`` or ``"finite differences (compressed, K right-hand sides)"``."""
        n = self.n_states
        if self.pattern is None:
            return f"jvp ({n} products)" if self.jacobian == "jvp" else self.jacobian
        return compressed_label(self.jacobian, n, self.pattern)

    @property
    def adaptive(self) -> bool:
        return self.tableau.adaptive and self.estimate_error

    def lu_settings(self) -> tuple:
        """One dense or sparse LU settings per block of ``Lambda`` (``lu_0``, ``lu_1``, ...), see :mod:`.firk_blocks`."""
        return block_lu_settings(self)

    def buffer_settings(self) -> BufferSettings:
        """The component's :class:`planner.BufferSettings`."""
        n, k, s = self.n_states, self.max_iterations, len(self.transform.stages)
        lus = self.lu_settings()
        names = tuple(lu.component for lu in lus)
        phases = [Phase("prepare", invokes=names), Phase("iterate", invokes=names, times=k)]
        last = "iterate"
        if self.adaptive:
            phases.append(Phase("estimate", invokes=(names[self._filter_lu],)))
            last = "estimate"
        whole = (PhaseSpan("prepare", last),)
        fd = n if self.jacobian == "finite differences" else 0
        jm = jacobian_size(self)
        buffers = [Buffer("stage_drivers", self.n_drivers, lifetime=whole, weight=float(2 * self.n_drivers * s * k)),
                   Buffer("rhs0", n, lifetime=whole, weight=float(n * (fd + 3))),
                   Buffer("jacobian", jm, lifetime=(PhaseSpan("prepare", "prepare"),),
                          weight=float(jm * (1 + len(lus)))),
                   Buffer("stage_state", n, lifetime=whole, weight=float(2 * n * (s * k + fd + 2))),
                   Buffer("increments", s * n, lifetime=(PhaseSpan("iterate", last),), weight=float(3 * s * n * k)),
                   Buffer("transformed", s * n, lifetime=(PhaseSpan("iterate", "iterate"),),
                          weight=float(3 * s * n * k))]
        buffers += [Buffer(f"stage_rhs_{i}", n, lifetime=whole, weight=float(n * (1 + s) * k)) for i in range(s)]
        buffers += [Buffer(f"block_rhs_{b}", lu.n, lifetime=(PhaseSpan("iterate", "iterate"),),
                           weight=float(4 * lu.n * k)) for b, lu in enumerate(lus[:len(self.transform.blocks)])]
        buffers += [Buffer("restart", 1, persistent=True, weight=3.0),
                    Buffer("guess", s * n, persistent=True, weight=float(2 * s * s * n)),
                    Buffer("guess_step", 1, persistent=True, weight=2.0),
                    Buffer("contraction", 1, persistent=True, weight=2.0)]
        if self.reuse_factor:
            buffers.append(Buffer("factor_step", 1, persistent=True, weight=3.0))
        if self.count_work:
            buffers.append(work_buffer())
        return BufferSettings(component=self.component, phases=tuple(phases), buffers=tuple(buffers),
                              children=tuple(lu.buffer_settings() for lu in lus))

    @property
    def _filter_lu(self) -> int:
        """The LU whose factor is ``mu / h I - J`` (Radau's error filter)."""
        blocks = self.transform.blocks
        if self.form == "full":
            return len(blocks)
        return next(b for b, bl in enumerate(blocks) if len(bl) == 1)


def _estimate_lines(settings, tr, real):
    """Radau's filtered error estimate into ``err`` (the real block's factor, ``lu_<real>``)."""
    n, s = settings.n_states, len(tr.stages)
    ez = [(f"EZ_{q}", "z[{}]") for q in range(s)]

    def raw(source):
        return lambda i: [f"err[{i}] = LR * (GH * h * {source}[{i}] + " + combination(
            [(c, x.format(index(i, offset=q * n))) for q, (c, x) in enumerate(ez)]) + ")"]

    lines = each(n, raw("f0"))
    lines += [f"    lu_solve_{real}(fac_{real}, piv_{real}, err)", "    acc = ZERO"]
    lines += each(n, lambda i: [
        f"e = err[{i}] / (tol[{i}] + tol[{index(i, offset=n)}] * max(abs(y[{i}]), abs(y_new[{i}])))", "acc += e * e"])
    lines += ["    if acc > N and restart:"]
    lines += each(n, lambda i: [f"ys[{i}] = y[{i}] + err[{i}]"], 2)
    lines += ["        eval_drivers(t, driver_times, driver_values, u)", "        rhs(t, ys, p, u, f_0)",
              "        wk[0] += ONE"]
    lines += each(n, raw("f_0"), 2)
    lines.append(f"        lu_solve_{real}(fac_{real}, piv_{real}, err)")
    return lines


def _step_source(settings):
    tr, n = settings.transform, settings.n_states
    s = len(tr.stages)
    lines = ["def step(t, dt, y, p, y_new, err, first_valid, tol, driver_times, driver_values, region, persistent):",
             "    u = alloc_stage_drivers(region, persistent)", "    f0 = alloc_rhs0(region, persistent)",
             "    jm = alloc_jacobian(region, persistent)", "    ys = alloc_stage_state(region, persistent)",
             "    z = alloc_increments(region, persistent)", "    w = alloc_transformed(region, persistent)"]
    lines += [f"    f_{q} = alloc_stage_rhs_{q}(region, persistent)" for q in range(s)]
    lines += ["    flag = alloc_restart(region, persistent)", "    zg = alloc_guess(region, persistent)",
              "    zstep = alloc_guess_step(region, persistent)", "    carry = alloc_contraction(region, persistent)"]
    lines += [f"    r_{b} = alloc_block_rhs_{b}(region, persistent)" for b in range(len(tr.blocks))]
    for b in range(len(settings.lu_settings())):
        lines += [f"    fac_{b} = alloc_factor_{b}(region, persistent)", f"    piv_{b} = alloc_pivots_{b}(region, persistent)"]
    lines += ["    h = prec(dt)", "    rh = ONE / h"]
    lines += [f"    L_{a}_{c} = LAM_{a}_{c} * rh" for a in range(s) for c in range(s) if tr.lam[a, c] != 0.0]
    lines += work_lines()
    lines += ["    eval_drivers(t, driver_times, driver_values, u)", "    rhs(t, y, p, u, f0)", "    wk[0] += ONE",
              "    restart = flag[0] != ZERO", "    flag[0] = ZERO"]
    lines += solve_lines(settings, tr) + finish_lines(settings, tr)
    lines += each(n, lambda i: [f"y_new[{i}] = y[{i}] + " + combination(
        [(f"D_{q}", f"z[{index(i, offset=q * n)}]") for q in range(s) if tr.d[q] != 0.0])])
    if settings.adaptive:
        real = settings._filter_lu
        if settings.form == "transformed":
            lines += [f"    LR = L_{tr.blocks[real][0]}_{tr.blocks[real][0]}"]
        else:  # as the filter's block was factored with (set there too, where a kept factor skips it)
            lines += ["    LR = MU * rh"]
        lines += _estimate_lines(settings, tr, real)
    lines.append("    return OK")
    return "\n".join(counted(lines, settings.count_work)) + "\n"


def _guess_basis(nodes):
    """``P``: Newton's first guess extrapolates the last step's collocation polynomial through ``(0, 0)`` and
    ``(c_j, Z_j)``, ``Q(x) = sum_j sum_m P[m, j] x^(m+1) Z_j`` (column ``j``: the coefficients of ``L_j``).

    Only distinct nonzero nodes define it: a node at 0 (Lobatto IIIC) or a repeated one made the Vandermonde
    matrix singular (a LinAlgError at the build, a user's trial).  There ``P = 0``: every step starts Newton
    from ``Z = 0``, as the first step does.
    """
    s = len(nodes)
    if np.any(nodes == 0.0) or len(np.unique(nodes)) < s:
        return np.zeros((s, s))
    return np.linalg.inv(np.vander(nodes, s + 1, increasing=True)[:, 1:])  # x^1 .. x^s at the nodes


def _constants(settings, dtype):
    tr, tab = settings.transform, settings.tableau
    s = len(tr.stages)
    values = {}
    for a in range(s):
        values[f"D_{a}"] = tr.d[a]
        for c in range(s):
            values[f"LAM_{a}_{c}"], values[f"TI_{a}_{c}"], values[f"T_{a}_{c}"] = tr.lam[a, c], tr.t_inv[a, c], tr.t[a, c]
    nodes = np.array([tab.c[stage] for stage in tr.stages], dtype=float)
    basis = _guess_basis(nodes)
    for j in range(s):
        values[f"CX_{j}"] = nodes[j]
        for m in range(s):
            values[f"P_{j}_{m + 1}"] = basis[m, j]
    if settings.adaptive:
        weights = np.array(tab.b_hat, dtype=float)[list(tr.stages)] - np.array(tab.b, dtype=float)[list(tr.stages)]
        values["GH"] = tab.b_hat[0] - tab.b[0]
        values["MU"] = 1.0 / values["GH"]
        for q, e in enumerate(weights @ tr.a_inv):
            values[f"EZ_{q}"] = e
    out = {key: dtype(v) for key, v in values.items()}
    out.update({f"C_{stage}": float(tab.c[stage]) for stage in tr.stages})
    return out


def build_firk_step(settings, system, layout, dtype) -> BuiltStep:
    """Build the device step of ``settings`` for ``system`` under a planned ``layout``.

    Parameters
    ----------
    settings : FIRKStepSettings
    system : ODESystem
    layout : planner.ComponentLayout
        ``settings.buffer_settings()`` laid out under the Plan.
    dtype : numpy scalar type
        Working precision.
    """
    from numba import cuda

    derivative = None
    if settings.jacobian != "finite differences":
        derivative = getattr(system, settings.jacobian, None)
        if derivative is None:
            raise ConfigurationError(f"FIRKStepSettings jacobian={settings.jacobian!r} needs the system's "
                                     f"{settings.jacobian}; pass ODESystem({settings.jacobian}=...) or use "
                                     "jacobian='finite differences'")
        derivative = getattr(system.device_functions(dtype), settings.jacobian)
    allocate = AllocatorFactory(layout, dtype)
    eps = float(np.finfo(dtype).eps)
    namespace = {"N": settings.n_states, "S": len(settings.transform.stages), "ZERO": dtype(0.0), "ONE": dtype(1.0),
                 "SQRT_EPS": dtype(math.sqrt(eps)), "HUGE": dtype(np.finfo(dtype).max),
                 "SWITCH_SHARE": dtype(switch_share(dtype)), "MAX_ITER": settings.max_iterations, "sqrt": math.sqrt,
                 "prec": dtype, "rcp": norm_reciprocal(dtype), "power": power(dtype), "CARRY_POWER": dtype(CARRY_POWER),
                 "CARRIED_SHARE": dtype(CARRIED_SHARE), "EPS": dtype(eps), "SAME_STEP": dtype(SAME_STEP),
                 "REFRESH_RATE": dtype(REFRESH_RATE),
                 "INV_SN": dtype(1.0 / (len(settings.transform.stages) * settings.n_states)),
                 "rhs": system.device_functions(dtype).rhs, "eval_drivers": make_driver_evaluator(settings.n_drivers),
                 "jac": derivative if settings.jacobian == "jac" else None,
                 "jvp": derivative if settings.jacobian == "jvp" else None,
                 "OK": np.int32(STEP_OK), "FAILED": np.int32(codes.NEWTON_NOT_CONVERGED)}
    namespace.update(_constants(settings, dtype))
    for buffer in settings.buffer_settings().buffers:
        namespace[f"alloc_{buffer.name}"] = allocate(buffer.name)
    namespace["W_STAGES"] = dtype(len(settings.transform.stages))
    namespace["W_JACOBIAN_RHS"] = dtype(jacobian_rhs(settings))
    records = []
    for b, lu_settings in enumerate(settings.lu_settings()):
        build = build_sparse_lu if isinstance(lu_settings, SparseLUSettings) else build_lu
        if isinstance(lu_settings, ComplexSparseLUSettings):
            build = build_complex_sparse_lu
        lu = build(lu_settings, layout.child(lu_settings.component), dtype)
        namespace.update({f"lu_factor_{b}": lu.factor, f"lu_solve_{b}": lu.solve,
                          f"alloc_factor_{b}": lu.alloc_factor, f"alloc_pivots_{b}": lu.alloc_pivots})
        records += lu.records
    step = compile_folded(_step_source(settings), "step", namespace)
    alloc_flag, one = namespace["alloc_restart"], dtype(1.0)

    @cuda.jit(device=True)
    def prime(t, y, p, driver_times, driver_values, region, persistent):
        alloc_flag(region, persistent)[0] = one

    take_work = work_taker(settings.count_work, allocate, namespace)
    return BuiltStep(step, prime, tuple(allocate.records) + tuple(records), settings.tableau.error_order, can_fail=True,
                     take_work=take_work)
