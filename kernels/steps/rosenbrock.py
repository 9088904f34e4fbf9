"""Rosenbrock (linearly implicit) family: one generic step reading a :class:`RosenbrockTableau`.

The step uses the transformed form of Hairer & Wanner, *Solving ODEs II*,
IV.7, eq. (7.25) (the tableau's storage), with unknowns ``u_i``::

    (I / (h gamma) - J) u_i = f(t + c_i h, y + sum_j a_ij u_j) + sum_j (C_ij / h) u_j + d_i h f_t

Multiplied by ``h gamma`` this is ``M u_i = b_i`` with Newton's iteration
matrix ``M = I - c J``, ``c = h gamma``, and ``b_i = c f_i + sum_j (gamma C_ij) u_j
+ (gamma d_i h^2) f_t``: Newton's ``prepare`` forms and factors ``M`` once
per step at ``(t, y)`` (analytic ``jac``/``jvp`` or finite differences) and
its ``solve`` applies ``M^-1`` in place for every stage; Newton's ``iterate``
is not used (its settings are ``direct``: no iteration buffers).  Then
``y_new = y + sum m_i u_i`` and ``err = sum (m_i - m_hat_i) u_i``.  A stiffly
accurate tableau (the last stage's argument is the embedded solution, as in
RODAS4 and RODAS5P) gives ``y_new = stage + u_last`` and ``err = u_last``.

``f_t`` is a forward difference in ``t`` at fixed ``y``, one extra
right-hand side per step, the drivers taken at ``t + delta`` too, divided by
the float64 difference ``(t + delta) - t``.  With the step ``h`` standing in for
the forcing's time scale, ``delta = sqrt((eps |h| + eps_t |t|) |h|)`` balances
the difference's truncation (``delta / h``) against the rounding of ``f`` in
the working precision (``eps``) and of ``t`` in the rhs's own float64
arithmetic on it (``eps_t = 2^-52``): ``sqrt(eps) |h|`` near ``t = 0``, at
least :data:`TIME_ULPS` of ``|t|``.  Its error, about ``sqrt(eps)`` relative
near ``t = 0``, enters ``u_i`` multiplied by ``h^2``.  The increment was
``sqrt(eps) * max(|t|, |h|)``: far from ``t = 0`` it outgrew the forcing's time
scale (a user's trial: ``y' = -3 y + sin(20 t)`` from ``t0 = 1e6`` in float64,
rodas4 7968 steps for 385 and 5.5 tolerances off with success).  A system whose
rhs never reads ``t`` and has no drivers is autonomous (:func:`reads_time`, from
:mod:`kernels.steps.time_dependence`, inspects the bytecode): the difference and
its buffer are dropped.

Element statements have literal indices (:mod:`kernels.codegen`), so an
all-local plan keeps the stages in registers.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from planner import Buffer, BufferSettings, Phase, PhaseSpan

from ..allocators import AllocatorFactory
from ..codegen import elementwise, linear_combination
from ..drivers import make_driver_evaluator
from ..errors import ConfigurationError
from ..moves_ir import compile_folded
from ..solvers.options import SolverOptions
from ..solvers.iteration_matrix import system_derivatives
from ..solvers.newton import NewtonSettings, build_newton
from ..tableaus import RosenbrockTableau
from .base import STEP_OK, BuiltStep, counted, work_buffer, work_lines, work_taker
from .time_dependence import reads_time

__all__ = ["RosenbrockStepSettings", "build_rosenbrock_step", "reads_time", "STAGE_SLOT"]

STAGE_SLOT = "stage_increment_{}"
EPS_T = 2.0 ** -52  # the rounding of t (float64) in the rhs's own arithmetic on it
#: The smallest increment of f_t's difference, relative to |t|: 64 float64 ulps (time is float64 in every kernel).
TIME_ULPS = 64.0 * EPS_T


def _nonzero(values):
    return [(j, v) for j, v in enumerate(values) if v != 0.0]


@dataclasses.dataclass(frozen=True)
class RosenbrockStepSettings:
    """The buffers of a Rosenbrock step, with Newton (prepare and solve only) as child.

    ``stage_increment_<i>`` holds ``f`` of stage ``i`` and then, solved in
    place, ``u_i``; each lives from its stage to its last reader.
    ``stage_state`` is a stage's argument ``y + sum_j a_ij u_j`` (and, for a
    stiffly accurate tableau, the embedded solution in ``combine``);
    ``time_derivative`` holds ``f_t`` (size 0 for an autonomous system);
    ``jacobian_drivers`` the drivers at ``t`` (the Jacobian point, kept
    through the stages when finite-difference Krylov products read them) and
    ``stage_drivers`` those at a stage time (both size 0 without drivers).

    Parameters
    ----------
    tableau : RosenbrockTableau
    n_states : int
    newton : NewtonSettings
        ``direct`` and ``shared_by_parent`` (one matrix per step, every stage solves with it).
    n_drivers : int
    estimate_error : bool
        Write the embedded error estimate (adaptive control).
    time_derivative : bool
        Compute ``f_t`` (False only for a system known to be autonomous).
    count_work : bool
        Count the step's work (``SolverOptions.count_work``; item 8 of :mod:`kernels.steps.base`).
    """

    tableau: RosenbrockTableau
    n_states: int
    newton: NewtonSettings
    n_drivers: int = 0
    estimate_error: bool = True
    time_derivative: bool = True
    count_work: bool = False

    component = "rosenbrock"
    error_vectors = 1
    newton_kappa = None  # no Newton iteration: each stage is one linear solve

    @classmethod
    def for_method(cls, tableau, system, estimate_error=True, solver=None):
        """The settings of one solve of ``system``; ``solver`` a SolverOptions (None: dense LU)."""
        solver = SolverOptions() if solver is None else solver
        newton = dataclasses.replace(solver.newton_for(system, shared_by_parent=True, family="rosenbrock"),
                                     direct=True)
        return cls(tableau, system.n_states, newton, system.n_drivers, estimate_error=estimate_error,
                   time_derivative=reads_time(system), count_work=solver.count_work)

    def __post_init__(self):
        if not isinstance(self.tableau, RosenbrockTableau):
            raise ConfigurationError(f"RosenbrockStepSettings tableau: expected a RosenbrockTableau, got "
                                     f"{type(self.tableau).__name__}; pick a method of kernels.tableaus.ROSENBROCK")
        if not (isinstance(self.newton, NewtonSettings) and self.newton.direct and self.newton.shared_by_parent
                and self.newton.n == self.n_states):
            raise ConfigurationError("RosenbrockStepSettings newton: expected NewtonSettings with direct=True, "
                                     f"shared_by_parent=True and n={self.n_states}; got {self.newton!r}; "
                                     "use RosenbrockStepSettings.for_method")

    @property
    def needs_tolerances(self) -> bool:
        """Finite-difference Jacobian columns (dense, or a Krylov preconditioner's diagonal) scale with atol/rtol,
        and a Krylov solve's target with rtol."""
        newton = self.newton
        if newton.dense:
            return not newton.analytic
        return newton.linear.preconditioned or newton.linear.target_index is not None

    @property
    def adaptive(self) -> bool:
        return self.estimate_error

    @property
    def uses_time_derivative(self) -> bool:
        """``f_t`` is computed: the system may read ``t`` and some ``d_i`` is nonzero."""
        return self.time_derivative and any(d != 0.0 for d in self.tableau.d)

    @property
    def stiffly_accurate(self) -> bool:
        """``m = a_last + e_last`` and ``m_hat = a_last``: ``y_new = stage + u_last``, ``err = u_last``."""
        tab, s = self.tableau, self.tableau.stages
        last = tab.a[s - 1]
        return (s > 1 and tuple(tab.m[:s - 1]) == tuple(last[:s - 1]) and tab.m[s - 1] == 1.0
                and tuple(tab.m_hat[:s - 1]) == tuple(last[:s - 1]) and tab.m_hat[s - 1] == 0.0)

    def last_reader(self, j) -> int:
        """The last phase index (stage, or ``stages`` for combine) reading ``u_j``."""
        tab, s = self.tableau, self.tableau.stages
        if not self.stiffly_accurate and (tab.m[j] != 0.0 or (self.adaptive and tab.error_weights[j] != 0.0)):
            return s
        if self.stiffly_accurate and j == s - 1:
            return s
        readers = [i for i in range(j + 1, s) if tab.a[i][j] != 0.0 or tab.C[i][j] != 0.0]
        return max(readers, default=j)

    def buffer_settings(self) -> BufferSettings:
        """The component's :class:`planner.BufferSettings`, Newton as child."""
        tab, n, s, nd = self.tableau, self.n_states, self.tableau.stages, self.n_drivers
        names = [f"stage_{i}" for i in range(s)] + ["combine"]
        child = self.newton.component
        phases = tuple(Phase(name, invokes=(child,)) for name in names[:-1]) + (Phase("combine"),)
        buffers = []
        for j in range(s):
            last = self.last_reader(j)
            reads = sum(1 for i in range(j + 1, s) if tab.a[i][j] != 0.0) + \
                sum(1 for i in range(j + 1, s) if tab.C[i][j] != 0.0) + 2
            buffers.append(Buffer(STAGE_SLOT.format(j), n, lifetime=(PhaseSpan(names[j], names[last]),),
                                  weight=float(n * (4 + reads))))
        if s > 1:
            end = "combine" if self.stiffly_accurate else names[s - 1]
            buffers.append(Buffer("stage_state", n, lifetime=(PhaseSpan("stage_1", end),),
                                  weight=float(n * (2 * (s - 1) + 1))))
        used = [i for i, d in enumerate(tab.d) if d != 0.0]
        ft = n if self.uses_time_derivative else 0
        buffers.append(Buffer("time_derivative", ft, lifetime=(PhaseSpan("stage_0", names[max(used, default=0)]),),
                              weight=float(ft * (2 + len(used)))))
        krylov_fd = not self.newton.dense and not self.newton.analytic
        buffers.append(Buffer("jacobian_drivers", nd, lifetime=(PhaseSpan("stage_0", names[s - 1 if krylov_fd else 0]),),
                              weight=float(2 * nd)))
        buffers.append(Buffer("stage_drivers", nd, lifetime=(PhaseSpan("stage_0", names[s - 1]),),
                              weight=float(2 * nd * s)))
        if self.count_work:
            buffers.append(work_buffer())
        return BufferSettings(component=self.component, phases=phases, buffers=tuple(buffers),
                              children=(self.newton.buffer_settings(),))


def _sum(target, base, terms, n, plus=False):
    """``target[i] = base[i] + sum coefficient_j x_j[i]`` (``+=`` when ``plus``) over ``terms = [(c, x)]``."""
    combo = linear_combination(terms, "{i}")
    if combo is None:
        return [] if plus else elementwise(n, lambda i: f"{target}[{i}] = {base}[{i}]")
    if plus:
        return elementwise(n, lambda i: f"{target}[{i}] += " + combo.replace("{i}", i))
    return elementwise(n, lambda i: f"{target}[{i}] = {base}[{i}] + " + combo.replace("{i}", i))


def _step_source(settings):
    """The generated source of ``step`` and the constants it names (untyped)."""
    tab, N, S = settings.tableau, settings.n_states, settings.tableau.stages
    FT = settings.uses_time_derivative
    CHECK_SOLVE = not settings.newton.dense  # a dense solve always succeeds
    constants = {"GAMMA": tab.gamma}
    lines = ["def step(t, dt, y, p, y_new, err, first_valid, tol, driver_times, driver_values, region, persistent):",
             "    matrix = alloc_matrix(region, persistent)",
             "    aux = alloc_aux(region, persistent)",
             "    ud = alloc_jacobian_drivers(region, persistent)",
             "    us = alloc_stage_drivers(region, persistent)",
             "    ft = alloc_time_derivative(region, persistent)"]
    lines += [f"    u_{i} = alloc_u_{i}(region, persistent)" for i in range(S)]
    if S > 1:
        lines.append("    stage = alloc_stage_state(region, persistent)")
    # the work counts (every right-hand side where it is evaluated; Krylov products are not counted)
    constants.update(W_PREPARE=float(settings.newton.prepare_rhs), W_FACTORS=float(settings.newton.factors), W_ONE=1.0)
    lines += work_lines()
    lines += ["    h = prec(dt)", "    c = h * GAMMA",
              "    eval_drivers(t, driver_times, driver_values, ud)",
              "    rhs(t, y, p, ud, u_0)", "    wk[0] += W_ONE"]
    if FT:
        # the increment's floor (the smallest normal number of the working precision) keeps tp - t above
        # zero when dt has underflowed at t = 0: 1 / (tp - t) stays finite, and only that trajectory fails
        lines += ["    h_abs = abs(dt)",
                  "    tp = t + max(math.sqrt((EPS * h_abs + EPS_T * abs(t)) * h_abs), TIME_ULPS * abs(t),",
                  "                 STEP_FLOOR)",
                  "    eval_drivers(tp, driver_times, driver_values, us)",
                  "    rhs(tp, y, p, us, ft)", "    wk[0] += W_ONE",
                  "    w = prec(1.0 / (tp - t))"]
        lines += elementwise(N, lambda i: f"ft[{i}] = (ft[{i}] - u_0[{i}]) * w")
    lines += ["    code = prepare(t, c, y, p, ud, tol, matrix, aux, region, persistent)",
              "    wk[0] += W_PREPARE", "    wk[1] += W_ONE", "    wk[2] += W_FACTORS",
              "    if code != OK:", "        return code"]
    if FT:
        hh = "h * h"
        for i, d in _nonzero(tab.d):
            constants[f"GD_{i}"] = tab.gamma * d
            lines.append(f"    hd_{i} = {hh} * GD_{i}")
    for i in range(S):
        if i > 0:
            row = tab.a[i]
            previous = tab.a[i - 1]
            if i >= 2 and tuple(row[:i - 1]) == tuple(previous[:i - 1]):
                # the stage state still holds row i - 1's argument: add the one new term
                terms = []
                if row[i - 1] != 0.0:
                    constants[f"A{i}_{i - 1}"] = row[i - 1]
                    terms = [(f"A{i}_{i - 1}", f"u_{i - 1}")]
                lines += _sum("stage", "stage", terms, N, plus=True)
            else:
                terms = []
                for j, v in _nonzero(row[:i]):
                    constants[f"A{i}_{j}"] = v
                    terms.append((f"A{i}_{j}", f"u_{j}"))
                lines += _sum("stage", "y", terms, N)
            constants[f"C_{i}"] = float(tab.c[i])
            lines += [f"    ts = t + C_{i} * dt",
                      "    eval_drivers(ts, driver_times, driver_values, us)",
                      f"    rhs(ts, stage, p, us, u_{i})", "    wk[0] += W_ONE"]
        terms = []
        for j, v in _nonzero(tab.C[i][:i]):
            constants[f"GC{i}_{j}"] = tab.gamma * v
            terms.append((f"GC{i}_{j}", f"u_{j}"))
        if FT and tab.d[i] != 0.0:
            terms.append((f"hd_{i}", "ft"))
        combo = linear_combination(terms, "{i}")
        extra = "" if combo is None else " + " + combo
        lines += elementwise(N, lambda k: f"u_{i}[{k}] = c * u_{i}[{k}]" + extra.replace("{i}", k))
        lines.append(f"    code = solve(t, c, y, p, ud, matrix, aux, u_{i}, u_{i}, region, persistent)")
        if CHECK_SOLVE:
            lines += ["    if code != OK:", "        return code"]
    last = f"u_{S - 1}"
    if settings.stiffly_accurate:
        lines += elementwise(N, lambda k: f"y_new[{k}] = stage[{k}] + {last}[{k}]")
        if settings.adaptive:
            lines += elementwise(N, lambda k: f"err[{k}] = {last}[{k}]")
    else:
        terms = []
        for j, v in _nonzero(tab.m):
            constants[f"M_{j}"] = v
            terms.append((f"M_{j}", f"u_{j}"))
        lines += _sum("y_new", "y", terms, N)
        if settings.adaptive:
            errors = []
            for j, v in _nonzero(tab.error_weights):
                constants[f"E_{j}"] = v
                errors.append((f"E_{j}", f"u_{j}"))
            combo = linear_combination(errors, "{i}") or "ZERO"
            lines += elementwise(N, lambda k: f"err[{k}] = " + combo.replace("{i}", k))
    lines.append("    return OK")
    return "\n".join(counted(lines, settings.count_work)) + "\n", constants


def build_rosenbrock_step(settings, system, layout, dtype) -> BuiltStep:
    """Build the device step of ``settings`` for ``system`` under a planned ``layout``.

    Parameters
    ----------
    settings : RosenbrockStepSettings
    system : ODESystem
    layout : planner.ComponentLayout
        ``settings.buffer_settings()`` laid out under the Plan.
    dtype : numpy scalar type
        Working precision.
    """
    tab = settings.tableau
    rhs, jac, jvp = system_derivatives(system, dtype)
    newton = build_newton(settings.newton, layout.child(settings.newton.component), dtype, None, rhs, jac, jvp)
    allocate = AllocatorFactory(layout, dtype)
    eps = float(np.finfo(dtype).eps)
    namespace = {"rhs": rhs, "eval_drivers": make_driver_evaluator(settings.n_drivers), "prec": dtype,
                 "OK": np.int32(STEP_OK), "ZERO": dtype(0.0), "EPS": float(eps), "EPS_T": EPS_T, "math": math,
                 "STEP_FLOOR": float(np.finfo(dtype).tiny), "TIME_ULPS": TIME_ULPS,
                 "prepare": newton.prepare, "solve": newton.solve,
                 "alloc_matrix": newton.alloc_matrix, "alloc_aux": newton.alloc_aux}
    for i in range(tab.stages):
        namespace[f"alloc_u_{i}"] = allocate(STAGE_SLOT.format(i))
    for name in ("stage_state", "time_derivative", "jacobian_drivers", "stage_drivers"):
        if any(b.name == name for b in layout.settings.buffers):
            namespace[f"alloc_{name}"] = allocate(name)
    source, constants = _step_source(settings)
    for key, value in constants.items():
        namespace[key] = float(value) if key.startswith("C_") else dtype(value)
    take_work = work_taker(settings.count_work, allocate, namespace)
    step = compile_folded(source, "step", namespace)
    # Robertson from y2 = 0, where df2/dy2 = 0: the first step chosen for it passed its error estimate 26
    # to 30 atol off, below y2's unstable root, and the run blew up (kernels.loop_adaptive)
    return BuiltStep(step, None, tuple(allocate.records) + tuple(newton.records), tab.error_order, can_fail=True,
                     take_work=take_work, rhs_counted=settings.newton.rhs_counted, confirm_first_step=True)
