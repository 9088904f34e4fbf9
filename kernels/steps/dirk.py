"""Diagonally implicit Runge-Kutta family (SDIRK, ESDIRK): one generic step driven by a tableau.

Stage ``i`` of a step from ``(t, y)`` with ``h = dt`` and the tableau's common
diagonal ``gamma``::

    base_i = y + h sum_{j<i} a_ij k_j
    z_i    = h gamma f(t + c_i h, base_i + z_i)      (simplified Newton)
    k_i    = z_i / (h gamma)

An ESDIRK's first stage (``a_00 = 0``) is explicit, ``k_0 = f(t, y)``.  The
stage derivative comes from the increment, not from one more right-hand side
at the stage value: for stiff problems it is the better choice (Hairer &
Wanner IV.8: ``f(Y_i)`` amplifies the Newton error by ``h |J|``), and it saves
an evaluation per stage.  Newton's iteration matrix ``M = I - h gamma J(t, y)``
is formed and factored once per step and reused by every implicit stage.
Every stage's Newton iteration starts from ``z_i = 0`` (the stage value
``base_i``).  Measured against the previous stage's increment
``h gamma k_{i-1}`` (Kvaerno3, SDIRK4, Kvaerno5 on Robertson, Van der Pol,
HIRES at rtol 1e-5 and 1e-7): the same accuracy, and on Robertson to
t = 1e5 Kvaerno5 took 201 steps with 44 Newton failures instead of 554
with 186, Kvaerno3 356 with 1 instead of 810 with 221; the increment
predictor carries the stiff components' ``f`` (large off the slow
manifold) into the next stage's starting point.  What the stages do share
is the contraction rate: each stage hands Newton the ``eta`` of the one
before (:mod:`kernels.solvers.newton`), so a later stage whose first
increment is already small stops after one iteration.  The last step's
rate carried into the next step's first stage (a persistent word, reset by
``prime``, trusted for a tenth of the constant as radau's) took sdirk4 from
6.0 to 5.3 iterations a step on the Brusselator in float32, but on the H200
it was up to 20 % slower than without it at 8 and 32 states (float64 5 %
slower at 8 states with no iteration saved: the word spills) and 4 %
faster at 64, and with the whole constant kvaerno5 on HIRES ended 66
tolerances off at rtol 1e-5: not kept (``results/newton_rate_2026-12-04/``).

Data that is the same is declared as a view: the Newton unknown ``z_i`` is
stage ``i``'s slot of ``stage_rhs`` (it becomes ``k_i`` by one scaling in
place).  Newton hands the residual one array of the step, ``stage_data``:
the drivers at the stage time (first, so the array itself is the driver
argument of ``rhs``) followed by the stage base.

The error estimate is ``err = h sum (b - b_hat) k``, not filtered through
``M^-1`` (as Hairer's codes and SciPy's Radau do) because measuring a
filtered variant did not favour it (Kvaerno3, SDIRK4, Kvaerno5 on
Robertson to t = 40 and 1e5, Van der Pol mu = 1000 and HIRES at rtol 1e-5 and
1e-7, float64): the plain estimate kept every error within 6x the tolerance
with at most 44 rejections per run (Newton failures), while the filtered one
took fewer steps (SDIRK4 half as many) but missed the tolerance by up to 17x
and rejected more (SDIRK4 on Robertson at 1e-7: 24 instead of 2).

In an adaptive run of a system whose rhs reads ``t`` or has drivers, sdirk2 and sdirk4 run their
step-start forms (:data:`kernels.tableaus.dirk.STEP_START_FORMS`): the SDIRK's solution, with an estimate
that also reads ``f(t, y)`` and so sees a switch in time before the first stage.

A stiffly accurate ESDIRK (kvaerno3, kvaerno5, trapezoid) is first same as last
(below :data:`FSAL_BELOW_STATES` states): its next step's explicit first stage
``f(t + h, y_new)`` is this step's last stage derivative ``z_s / (h gamma)``,
kept in the persistent ``fsal_cache`` (``prime`` evaluates ``f(t, y)`` there at
the start and after a rejection, contract item 3 of :mod:`.base`), not a fresh
``f(y_new)``.  A fresh one carries the last Newton iteration's error in the
stiff components amplified by ``h |J|`` into the error estimate (its first
term), which rejected step after step at loose tolerances: Robertson to
t = 1e5 at rtol 3e-4 (atol 1e-4 rtol) took kvaerno5 636 steps with 230
rejected and kvaerno3 455 with 226, now 51 with 2 and 127 with 1 (SciPy's
Radau 54); at rtol 1e-4 the error stayed within 0.2 tolerances; trapezoid in
float32 took 1031 steps instead of 26507.  Elsewhere in float64 (Robertson,
Van der Pol, HIRES, the Oregonator, E5, Brusselator, forced relaxations,
photolysis at rtol 1e-6 and 1e-8) the steps changed by under 10 % and the
errors by at most 1.6 tolerances either way; in float32 at rtol 1e-5, HIRES
ended 18.4 tolerances off with kvaerno5 (6.4 before) and 15.9 with kvaerno3
(8.7), where float32's rounding divided by ``h gamma`` is the increment's
cost; each step saves a right-hand side (a trial of 2026-12-05).

A stiffly accurate tableau takes ``y_new`` as its last stage value
``base + z`` directly.  From :data:`ONE_SITE_FROM_STATES` states the
implicit stages run as one loop around a single Newton call (each solved in
the last stage's slot, then copied out): the same operations, one inlined
copy of the iteration for the compiler (:attr:`DIRKStepSettings.one_site`).  Generated source with literal indices
(:mod:`kernels.codegen`) keeps local buffers in registers for small systems.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from planner import Buffer, BufferSettings, Phase, PhaseSpan

from .. import status as codes
from ..allocators import AllocatorFactory
from ..codegen import compile_device, elementwise, index, linear_combination
from ..drivers import make_driver_evaluator, make_driver_evaluator_before
from ..errors import ConfigurationError
from ..moves_ir import compile_folded
from ..solvers import build_newton, system_derivatives
from ..solvers.options import SolverOptions
from ..tableaus import ButcherTableau
from ..tableaus.dirk import step_start_form
from .base import STEP_OK, BuiltStep, counted, fsal_prime, work_buffer, work_lines, work_taker
from .time_dependence import reads_time

__all__ = ["DIRKStepSettings", "build_dirk_step"]

STAGE_RHS_SLOT = "stage_rhs_{}"
# States from which the implicit stages share one call of Newton's iterate (DIRKStepSettings.one_site).
# H200, Brusselator float32: compile 39.1 -> 26.8 s (sdirk4) at 128 states, kernels as fast or faster at
# 64 and 128; at 32 states kvaerno5 ran 1.95x slower (benchmarks/results/compile_time_2026-12-02/).
ONE_SITE_FROM_STATES = 64
# States below which a stiffly accurate ESDIRK keeps its last stage derivative for the next step's first stage
# (DIRKStepSettings.fsal).  Offline, Brusselator float32, all-local, kvaerno5: at 64 states the cache (n words
# kept across steps) took spill stores from 16 to 31 KB (32 states: 2.6 to 2.9 KB; 8: 208 to 215 registers);
# unmeasured on a GPU, so from 64 states the first stage is evaluated afresh.
FSAL_BELOW_STATES = 64
# Bytes of a state vector up to which the unrolled stages (below ONE_SITE_FROM_STATES) take a failed fixed-step
# stage solve up again through the step's one prepare, as the one-site loop does (DIRKStepSettings.restarts),
# instead of rerunning it in place with a Jacobian and a factorisation of its own in every stage.  H100,
# Brusselator, fixed steps, all-local (benchmarks/results/session48_2026-12-06/call1/restart_unrolled): 1.14-1.19x
# faster for sdirk4/kvaerno5 at 8 states float32 and 1.00-1.11x at 4 states float64, where neither form spills;
# from 16 states float32 (8 float64) the larger kernel spills more and loses up to 2x.
RESTART_UP_TO_BYTES = 32


def _diagonal(tableau):
    """The common nonzero diagonal ``gamma`` of a DIRK tableau (ConfigurationError otherwise)."""
    if not tableau.singly_diagonal:
        raise ConfigurationError(f"method {tableau.name!r}: the DIRK family needs a lower triangular a with one "
                                 "common nonzero diagonal (an explicit first stage allowed); choose a DIRK "
                                 "tableau of kernels.tableaus.DIRK")
    return next(tableau.a[i][i] for i in range(tableau.stages) if tableau.a[i][i] != 0.0)


@dataclasses.dataclass(frozen=True)
class DIRKStepSettings:
    """The buffers of a DIRK step, with simplified Newton as its child component.

    ``stage_rhs`` stacks the stage derivatives (views ``stage_rhs_<j>``; the
    Newton unknown of stage ``j`` lives in its slot).  ``stage_data`` holds
    the drivers at the stage time then the stage base; ``step_drivers`` the
    drivers at ``t`` (Newton's Jacobian point); ``stage_state`` is the
    residual's ``base + z``.

    Parameters
    ----------
    tableau : ButcherTableau
        A diagonally implicit tableau with one common diagonal.
    n_states, n_drivers : int
    newton : NewtonSettings
        Built with ``shared_by_parent=True`` (one iteration matrix per step).
    estimate_error : bool
        Write the embedded error estimate (adaptive control).
    one_site_from : int
        States from which the implicit stages share one call of Newton's ``iterate``
        (:attr:`one_site`); the default is :data:`ONE_SITE_FROM_STATES`.
    restart_up_to_bytes : int
        Bytes of a state vector up to which the unrolled stages take a failed fixed-step stage solve up
        again through the step's one ``prepare`` (:meth:`restarts`); the default is
        :data:`RESTART_UP_TO_BYTES`.
    count_work : bool
        Count the step's work (``SolverOptions.count_work``; item 8 of :mod:`kernels.steps.base`).
    """

    tableau: ButcherTableau
    n_states: int
    newton: object
    n_drivers: int = 0
    estimate_error: bool = True
    one_site_from: int = ONE_SITE_FROM_STATES
    restart_up_to_bytes: int = RESTART_UP_TO_BYTES
    count_work: bool = False

    component = "dirk"
    needs_tolerances = True
    error_vectors = 1

    @property
    def newton_kappa(self):
        """Newton's constant, tightened at the run's tolerances in ``tol[2 n]`` (contract item 4 of :mod:`.base`)."""
        return self.newton.kappa

    @classmethod
    def for_method(cls, tableau, system, estimate_error=True, solver=None):
        """The settings of one solve of ``system`` with ``solver`` (a SolverOptions; None: defaults)."""
        solver = SolverOptions() if solver is None else solver
        newton = solver.newton_for(system, shared_by_parent=True, family="dirk")
        if not (tableau.adaptive and estimate_error):  # fixed steps: no smaller step to retry (_newton_solve)
            newton = dataclasses.replace(newton, fixed_step=True)
        elif reads_time(system):  # an rhs that can switch in time: the estimate must see f(t, y) (STEP_START_FORMS)
            tableau = step_start_form(tableau)
        return cls(tableau, system.n_states, newton, system.n_drivers, estimate_error=estimate_error,
                   count_work=solver.count_work)

    def __post_init__(self):
        _diagonal(self.tableau)
        if self.newton.n != self.n_states or not self.newton.shared_by_parent:
            raise ConfigurationError(f"DIRKStepSettings newton: expected NewtonSettings for n = {self.n_states} "
                                     f"with shared_by_parent=True, got n = {self.newton.n}, shared_by_parent="
                                     f"{self.newton.shared_by_parent}; use SolverOptions.newton_for(system, "
                                     "shared_by_parent=True)")

    @property
    def gamma(self) -> float:
        return _diagonal(self.tableau)

    @property
    def explicit_first(self) -> bool:
        """ESDIRK: stage 0 is ``f(t, y)``."""
        return self.tableau.a[0][0] == 0.0

    @property
    def fsal(self) -> bool:
        """A stiffly accurate ESDIRK (kvaerno3, kvaerno5, trapezoid, a step-start form) below
        :data:`FSAL_BELOW_STATES` states: the next step's first stage is this step's last stage derivative, from its
        increment, kept in the persistent ``fsal_cache`` (module docstring)."""
        return self.explicit_first and self.tableau.stiffly_accurate and self.n_states < FSAL_BELOW_STATES

    @property
    def stacked_stages(self) -> tuple:
        """The stages whose derivatives ``stage_rhs`` holds (all but an FSAL step's first)."""
        return tuple(range(1 if self.fsal else 0, self.tableau.stages))

    @property
    def adaptive(self) -> bool:
        return self.tableau.adaptive and self.estimate_error

    def restarts(self, itemsize) -> bool:
        """Whether a failed stage solve is taken up again through the step's one ``prepare`` at a precision of
        ``itemsize`` bytes (fixed steps with an LU: the one-site stage loop, and unrolled stages whose state
        vector takes at most :attr:`restart_up_to_bytes`; :func:`_restart_lines`).  Larger unrolled stages rerun
        it in place (:func:`_refresh_lines`), which timed faster there."""
        small = self.n_states * itemsize <= self.restart_up_to_bytes
        return self.newton.fixed_step and self.newton.dense and (self.one_site or small)

    @property
    def one_site(self) -> bool:
        """Whether the implicit stages are one loop around a single Newton call (:func:`_one_site_stages`)."""
        implicit = self.tableau.stages - (1 if self.explicit_first else 0)
        return implicit > 1 and self.n_states >= self.one_site_from

    def buffer_settings(self) -> BufferSettings:
        """The component's :class:`planner.BufferSettings` (Newton as child, invoked by every implicit stage)."""
        tab, n, nd, s = self.tableau, self.n_states, self.n_drivers, self.tableau.stages
        newton = self.newton.component
        first = 1 if self.explicit_first else 0
        stages = [f"stage_{i}" for i in range(s)]
        phases = [Phase("jacobian", invokes=(newton,))]
        phases += [Phase(name, invokes=(newton,) if i >= first else ()) for i, name in enumerate(stages)]
        phases.append(Phase("combine"))
        iterations = self.newton.max_iterations
        implicit = s - first
        reads = sum(len([a for a in tab.row(i) if a != 0.0]) for i in range(s)) + 2 * s
        stacked = self.stacked_stages
        buffers = [Buffer("stage_rhs", len(stacked) * n, lifetime=(PhaseSpan("stage_0", "combine"),),
                          weight=float((reads + implicit * 2 * iterations) * n))]
        buffers += [Buffer(STAGE_RHS_SLOT.format(j), size_elems=n, view_of="stage_rhs", view_offset_elems=q * n)
                    for q, j in enumerate(stacked)]
        if self.fsal:
            buffers.append(Buffer("fsal_cache", n, persistent=True, weight=float(4 * n)))
        buffers += [
            Buffer("stage_data", nd + n, lifetime=(PhaseSpan(stages[first], stages[-1]),),
                   weight=float(implicit * (nd + n) * (2 + iterations))),
            Buffer("step_drivers", nd, lifetime=(PhaseSpan("jacobian", stages[-1]),),
                   weight=float(nd * (2 + implicit * iterations))),
            Buffer("stage_state", n, lifetime=(PhaseSpan(stages[first], stages[-1]),),
                   weight=float(2 * n * implicit * iterations)),
        ] + ([work_buffer()] if self.count_work else [])
        return BufferSettings(component=self.component, phases=tuple(phases), buffers=tuple(buffers),
                              children=(self.newton.buffer_settings(),))


def _residual_source(n, nd):
    lines = ["def residual(ts, c, y, p, u, data, z, out, region, persistent):",
             "    state = alloc_state(region, persistent)"]
    lines += elementwise(n, lambda i: f"state[{i}] = data[{index(i, offset=nd)}] + z[{i}]")
    lines.append("    rhs(ts, state, p, data, out)")
    lines += elementwise(n, lambda i: f"out[{i}] = z[{i}] - c * out[{i}]")
    return "\n".join(lines) + "\n"


def _step_source(settings, itemsize):
    """The generated source of ``step`` and the constants it names (untyped)."""
    tab, N, ND, S = settings.tableau, settings.n_states, settings.n_drivers, settings.tableau.stages
    first = 1 if settings.explicit_first else 0
    constants = {}
    lines = ["def step(t, dt, y, p, y_new, err, first_valid, tol, driver_times, driver_values, region, persistent):",
             "    k = alloc_k(region, persistent)",
             "    data = alloc_data(region, persistent)",
             "    u = alloc_u(region, persistent)",
             "    matrix = alloc_matrix(region, persistent)",
             "    aux = alloc_aux(region, persistent)"]
    if settings.fsal:
        lines.append("    k_0 = alloc_first(region, persistent)")
    lines += [f"    k_{j} = slot(k, {q})" for q, j in enumerate(settings.stacked_stages)] + work_lines()
    lines += ["    h = prec(dt)", "    hg = h * GAMMA", "    inv_hg = ONE / hg",
              "    eval_drivers(t, driver_times, driver_values, u)"]
    retry = settings.restarts(itemsize)
    first_rhs = []
    if settings.fsal:  # the cache holds f(t, y) from the last accepted step's increment, or from prime
        first_rhs = ["    if not first_valid:", "        rhs(t, y, p, u, k_0)", "        wk[0] += ONE"]
    elif first:
        first_rhs = ["    rhs(t, y, p, u, k_0)", "    wk[0] += ONE"]
    if retry:  # f(t, y) does not depend on M: taken once, before any restart (_restart_lines)
        lines += first_rhs + ["    jt = t", "    restarted = -1", f"    from_stage = {first}"]
        lines += elementwise(N, lambda m: f"y_new[{m}] = y[{m}]")
    body = ["    code = prepare(jt, hg, y_new, p, u, tol, matrix, aux, region, persistent)" if retry else
            "    code = prepare(t, hg, y, p, u, tol, matrix, aux, region, persistent)",
            "    wk[0] += PREPARE_RHS", "    wk[1] += ONE", "    wk[2] += FACTORS", "    if code != OK:"]
    body += ["        if restarted >= 0:", "            return NEWTON_FAILED"] if retry else []
    body += ["        return code", "    eta = ONE"] + ([] if retry else first_rhs)
    if settings.one_site:
        body += _one_site_stages(settings, constants, retry)
    else:
        for i in range(first, S):
            stage = _stage_base(settings, i, constants, 1) + _newton_solve(settings, i, 1, retry, str(i))
            if i == S - 1 and tab.stiffly_accurate:
                stage += elementwise(N, lambda m: f"y_new[{m}] = data[{index(m, offset=ND)}] + k_{i}[{m}]")
            stage += elementwise(N, lambda m: f"k_{i}[{m}] = k_{i}[{m}] * inv_hg")
            # a restart goes on from the failed stage: the stages before it keep their increments
            body += [f"    if from_stage <= {i}:"] + ["    " + line for line in stage] if retry else stage
    if not tab.stiffly_accurate:
        terms = [(j, v) for j, v in enumerate(tab.b) if v != 0.0]
        for j, v in terms:
            constants[f"B_{j}"] = v
        products = [(f"B_{j}", f"k_{j}") for j, _ in terms]
        body += elementwise(N, lambda m: f"y_new[{m}] = y[{m}] + h * ({linear_combination(products, m)})")
    if settings.adaptive:
        errors = [(j, v) for j, v in enumerate(tab.error_weights_at(itemsize)) if v != 0.0]
        for j, v in errors:
            constants[f"E_{j}"] = v
        products = [(f"E_{j}", f"k_{j}") for j, _ in errors]
        body += elementwise(N, lambda m: f"err[{m}] = h * ({linear_combination(products, m)})")
    if settings.fsal:  # f(t + dt, y_new) for the next step, as the last stage's increment gives it
        body += elementwise(N, lambda m: f"k_0[{m}] = k_{S - 1}[{m}]")
    body.append("    return OK")
    lines += ["    while True:"] + ["    " + line for line in body] if retry else body
    return "\n".join(counted(lines, settings.count_work)) + "\n", constants


def _stage_base(settings, i, constants, depth):
    """Source lines of stage ``i``'s base ``y + h sum_j a_ij k_j`` into ``data`` and its time ``ts``."""
    tab, N, ND = settings.tableau, settings.n_states, settings.n_drivers
    pad = "    " * depth
    lines = []
    row = [(j, v) for j, v in enumerate(tab.row(i)) if v != 0.0]
    for j, v in row:
        constants[f"A{i}_{j}"] = v
        lines.append(f"{pad}hA{i}_{j} = h * A{i}_{j}")
    products = [(f"hA{i}_{j}", f"k_{j}") for j, _ in row]
    if products:
        lines += elementwise(N, lambda m: f"data[{index(m, offset=ND)}] = y[{m}] + {linear_combination(products, m)}",
                             indent=depth)
    else:
        lines += elementwise(N, lambda m: f"data[{index(m, offset=ND)}] = y[{m}]", indent=depth)
    constants[f"C_{i}"] = float(tab.c[i])
    if tab.c[i] > 1.0:  # past the step's end: the drivers of the segment the end lies in (drivers.py)
        return lines + [f"{pad}ts = t + C_{i} * dt",
                        f"{pad}eval_drivers_before(ts, t + dt, driver_times, driver_values, data)"]
    return lines + [f"{pad}ts = t + C_{i} * dt", f"{pad}eval_drivers(ts, driver_times, driver_values, data)"]


def _newton_solve(settings, slot, depth, retry, stage="stage"):
    """Source lines of one stage's Newton solve into ``k_<slot>``, from the predictor ``z = 0`` (module
    docstring), returning the step's code when it fails.

    On fixed steps with an LU a failed solve is taken up again on an iteration matrix taken at the stage's
    last iterate, from that iterate: through the step's one ``prepare`` where ``retry``
    (:meth:`DIRKStepSettings.restarts`: :func:`_restart_lines`), in place otherwise (:func:`_refresh_lines`)."""
    pad = "    " * depth
    zero = elementwise(settings.n_states, lambda m: f"k_{slot}[{m}] = ZERO", indent=depth)
    solve = [f"code, eta, its = iterate(t, hg, y, p, u, tol, ts, data, k_{slot}, matrix, aux, region, persistent, eta)",
             "wk[0] += prec(its)", "wk[3] += prec(its)"]
    if retry:  # a stage taken up again through prepare goes on from its last iterate
        return ([f"{pad}if restarted != {stage}:"] + ["    " + line for line in zero] + [pad + line for line in solve]
                + [f"{pad}if code != OK:"] + _restart_lines(settings, slot, depth + 1, stage) + [f"{pad}    return code"])
    if not (settings.newton.fixed_step and settings.newton.dense):
        return zero + [pad + line for line in solve] + [f"{pad}if code != OK:", f"{pad}    return code"]
    return (zero + [f"{pad}for attempt in range(2):"] + ["    " + pad + line for line in solve]
            + _refresh_lines(settings, slot, depth + 1) + [f"{pad}if code != OK:", f"{pad}    return code"])


def _refresh_lines(settings, slot, depth):
    """A fixed step's rerun of a failed stage solve (inside ``for attempt in range(2)``).

    A fixed step cannot be retried smaller, so where Newton failed (not a linear solver's code) and its
    last iterate is finite, ``M = I - h gamma J`` is taken afresh at the stage state ``base + z``
    (written into ``y_new``, free until the step ends) and the iteration continues from that ``z``: the
    simplified Newton's ``J(t, y)`` is stale where ``y`` moves by far more than the tolerances within the
    step (:mod:`kernels.solvers.convergence`).  The fresh matrix serves the later stages too.  A
    factorisation that fails there is reported as the Newton failure it follows.
    """
    pad = "    " * depth
    lines = [f"{pad}if code != NEWTON_FAILED or attempt == 1:", f"{pad}    break"]
    lines += _iterate_state_lines(settings, slot, depth)
    return lines + [f"{pad}if not finite:", f"{pad}    break",
                    f"{pad}code = prepare(ts, hg, y_new, p, data, tol, matrix, aux, region, persistent)",
                    f"{pad}wk[0] += PREPARE_RHS", f"{pad}wk[1] += ONE", f"{pad}wk[2] += FACTORS",
                    f"{pad}if code != OK:", f"{pad}    code = NEWTON_FAILED", f"{pad}    break"]


def _iterate_state_lines(settings, slot, depth):
    """``y_new = base + z`` of the stage solving into ``k_<slot>`` (the state a fresh matrix is taken at) and
    ``finite``, whether every component of it is."""
    n, nd = settings.n_states, settings.n_drivers
    lines = ["    " * depth + "finite = True"]
    lines += elementwise(n, lambda m: f"y_new[{m}] = data[{index(m, offset=nd)}] + k_{slot}[{m}]", indent=depth)
    return lines + elementwise(n, lambda m: f"finite = finite and abs(y_new[{m}]) < HUGE", indent=depth)


def _restart_lines(settings, slot, depth, stage):
    """The take-up of a failed fixed-step stage solve through the step's one ``prepare`` (the one-site stage loop,
    and unrolled stages of a small state vector: :meth:`DIRKStepSettings.restarts`).

    A fixed step cannot be retried smaller, so where a stage's Newton failed (not a linear solver's code) for
    the first time in the step and its last iterate is finite, ``M = I - h gamma J`` is taken at that stage state
    ``base + z`` (written into ``y_new``, free until the step ends, where ``prepare`` reads it) with the stage's
    own drivers, and the stage loop is left and entered again at that stage (``from_stage``; the stages before
    it keep their increments, the stage its last iterate) round the ``while`` around ``prepare`` and the loop:
    the simplified Newton's ``J(t, y)`` is stale where ``y`` moves by far more than the tolerances within the
    step (:mod:`kernels.solvers.convergence`).  The fresh matrix serves the later stages too, and each of them
    may take it up once more (``restarted``).  The same numbers as :func:`_refresh_lines`' rerun in place, with
    one ``prepare`` and one ``iterate`` in the loop instead of two of each: sdirk4 and kvaerno5 on the
    64-state Brusselator ran 1.25 to 1.72x faster on an H100, 128 states 0.94 to 1.00x.  Unrolled stages
    (each its own ``if from_stage <= i`` block, left with ``continue``) ran 1.14 to 1.19x faster at 8 states
    float32 and up to 2x slower from 16 states (more spilled), hence :data:`RESTART_UP_TO_BYTES`.  A factorisation that fails on a fresh matrix is reported as the Newton failure it follows.
    """
    pad = "    " * depth
    lines = [f"{pad}if code == NEWTON_FAILED and restarted != {stage}:"] + _iterate_state_lines(settings, slot, depth + 1)
    # prepare reads the stage's own drivers, which its base took (past the step's end, kvaerno5's third stage
    # reads the segment the end lies in: a regression hunt found them evaluated afresh at ts instead)
    drivers = elementwise(settings.n_drivers, lambda j: f"u[{j}] = data[{j}]", indent=depth + 2)
    leave = ["restart = True", "break"] if settings.one_site else ["continue"]  # to the while round prepare
    return lines + [f"{pad}    if finite:", f"{pad}        jt = ts"] + drivers + [
        f"{pad}        restarted = {stage}", f"{pad}        from_stage = {stage}"] + [f"{pad}        {line}" for line in leave]


def _one_site_stages(settings, constants, retry):
    """The implicit stages as one run-time loop around a single call of Newton's ``iterate``.

    Every stage solves into the last stage's slot (free until the last stage) and a branch per
    stage copies it out, so the stage slots keep literal indices (registers where the plan keeps
    them local) while NVVM and ptxas see one inlined copy of ``iterate`` instead of one a stage.
    The operations and their order are those of the unrolled stages: the results are the same
    bit for bit.
    """
    tab, N, ND, S = settings.tableau, settings.n_states, settings.n_drivers, settings.tableau.stages
    first, last = (1 if settings.explicit_first else 0), S - 1
    lines = ["    ts = t"] + (["    restart = False"] if retry else [])
    lines += [f"    for stage in range({'from_stage' if retry else first}, {S}):"]
    for i in range(first, S):
        lines.append(f"        {'if' if i == first else 'elif'} stage == {i}:")
        lines += _stage_base(settings, i, constants, 3)
    lines += _newton_solve(settings, last, 2, retry)
    for i in range(first, last):
        lines.append(f"        {'if' if i == first else 'elif'} stage == {i}:")
        lines += elementwise(N, lambda m: f"k_{i}[{m}] = k_{last}[{m}] * inv_hg", indent=3)
    if retry:  # a stage's failed solve left the loop to take M afresh (_restart_lines)
        lines += ["    if restart:", "        continue"]
    if tab.stiffly_accurate:
        lines += elementwise(N, lambda m: f"y_new[{m}] = data[{index(m, offset=ND)}] + k_{last}[{m}]", indent=1)
    return lines + elementwise(N, lambda m: f"k_{last}[{m}] = k_{last}[{m}] * inv_hg", indent=1)


def build_dirk_step(settings, system, layout, dtype) -> BuiltStep:
    """Build the device step of ``settings`` for ``system`` under a planned ``layout``.

    Parameters
    ----------
    settings : DIRKStepSettings
    system : ODESystem
    layout : planner.ComponentLayout
        ``settings.buffer_settings()`` laid out under the Plan.
    dtype : numpy scalar type
        Working precision.
    """
    allocate = AllocatorFactory(layout, dtype)
    rhs, jac, jvp = system_derivatives(system, dtype)
    residual = compile_device(_residual_source(settings.n_states, settings.n_drivers), "residual",
                              {"rhs": rhs, "alloc_state": allocate("stage_state")})
    newton = build_newton(settings.newton, layout.child(settings.newton.component), dtype, residual, rhs,
                          jac=jac, jvp=jvp)
    namespace = {"rhs": rhs, "eval_drivers": make_driver_evaluator(settings.n_drivers),
                 "eval_drivers_before": make_driver_evaluator_before(settings.n_drivers), "prec": dtype,
                 "OK": np.int32(STEP_OK), "ZERO": dtype(0.0), "ONE": dtype(1.0), "GAMMA": dtype(settings.gamma),
                 "NEWTON_FAILED": np.int32(codes.NEWTON_NOT_CONVERGED), "HUGE": dtype(np.finfo(dtype).max),
                 "alloc_k": allocate("stage_rhs"), "alloc_data": allocate("stage_data"),
                 "alloc_u": allocate("step_drivers"), "alloc_matrix": newton.alloc_matrix,
                 "alloc_aux": newton.alloc_aux, "prepare": newton.prepare, "iterate": newton.iterate,
                 "PREPARE_RHS": dtype(settings.newton.prepare_rhs), "FACTORS": dtype(settings.newton.factors)}
    take_work = work_taker(settings.count_work, allocate, namespace)
    namespace["slot"] = allocate.slots("stage_rhs", tuple(STAGE_RHS_SLOT.format(j) for j in settings.stacked_stages))
    prime = fsal_prime(namespace, allocate, rhs) if settings.fsal else None

    source, constants = _step_source(settings, np.dtype(dtype).itemsize)
    for key, value in constants.items():
        namespace[key] = float(value) if key.startswith("C_") else dtype(value)
    step = compile_folded(source, "step", namespace)
    return BuiltStep(step, prime, tuple(allocate.records) + tuple(newton.records), settings.tableau.error_order,
                     can_fail=True, take_work=take_work, rhs_counted=settings.newton.rhs_counted,
                     prime_rhs=settings.fsal)
