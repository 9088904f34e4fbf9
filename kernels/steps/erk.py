"""Explicit Runge-Kutta family: one generic builder driven by a Butcher tableau.

The step is generated as source with every stage derivative a separate
array variable and every element index a literal (:mod:`kernels.codegen`),
so a Plan that keeps the stages local keeps them in registers: nothing is
left to the compiler's unrolling heuristics.  Only the tableau's nonzero
products are computed; each sum starts from its first nonzero term.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from planner import Buffer, BufferSettings, Phase, PhaseSpan

from ..allocators import AllocatorFactory
from ..codegen import elementwise, index, linear_combination
from ..drivers import make_driver_evaluator
from ..errors import ConfigurationError
from ..float32_rounding import consistent_constants
from ..moves_ir import compile_folded
from ..tableaus import ButcherTableau
from .base import STEP_OK, BuiltStep, fsal_prime

__all__ = ["ERKStepSettings", "build_erk_step", "STAGE_RHS_SLOT"]

STAGE_RHS_SLOT = "stage_rhs_{}"


@dataclasses.dataclass(frozen=True)
class ERKStepSettings:
    """The buffers of an explicit Runge-Kutta step.

    ``stage_rhs`` stacks the stage derivatives ``k_j`` (views
    ``stage_rhs_<j>``); an FSAL method keeps ``k_0`` in the persistent
    ``fsal_cache`` instead.  ``stage_state`` holds the stage's argument
    ``y + dt sum_j a_ij k_j``; ``stage_drivers`` the drivers at the stage time
    (size 0 without drivers: a one-element local array then stands in for
    the unused argument).

    Parameters
    ----------
    tableau : ButcherTableau
        An explicit tableau (strictly lower triangular ``a``).
    n_states, n_drivers : int
    estimate_error : bool
        Write the embedded error estimate (adaptive control); a fixed-step run
        of an embedded pair skips it, and its ``err`` argument may be a stub.
    """

    tableau: ButcherTableau
    n_states: int
    n_drivers: int = 0
    estimate_error: bool = True

    component = "erk"
    needs_tolerances = False
    newton_kappa = None
    explicit = True  # host item 8 of .base: a family subclassing these settings inherits it

    @classmethod
    def for_method(cls, tableau, system, estimate_error=True, solver=None):
        """The settings of one solve of ``system`` (``solver`` is ignored: no solver)."""
        return cls(tableau, system.n_states, system.n_drivers, estimate_error=estimate_error)

    def __post_init__(self):
        if not self.tableau.explicit:
            raise ConfigurationError(f"method {self.tableau.name!r} is implicit; the explicit Runge-Kutta "
                                     "family needs a strictly lower triangular a")

    @property
    def stacked_stages(self) -> tuple:
        """Stage indices whose derivative lives in ``stage_rhs`` (all but 0 for FSAL)."""
        return tuple(range(1 if self.tableau.fsal else 0, self.tableau.stages))

    @property
    def adaptive(self) -> bool:
        return self.tableau.adaptive and self.estimate_error

    @property
    def error_vectors(self) -> int:
        """2 for an adaptive run of a tableau with a combined estimate (contract item 2 of :mod:`.base`), else 1."""
        return 2 if self.adaptive and self.tableau.combined_error else 1

    def buffer_settings(self) -> BufferSettings:
        """The component's :class:`planner.BufferSettings`."""
        tab, n = self.tableau, self.n_states
        s = tab.stages
        stages = [f"stage_{i}" for i in range(s)]
        phases = tuple(Phase(name) for name in stages) + (Phase("combine"),)
        stacked = self.stacked_stages
        # Accesses per step: each k_j is written once, read by the later stages and twice in combine.
        reads = sum(len([j for j in stacked if j < i]) for i in range(s)) + 2 * len(stacked)
        buffers = [Buffer("stage_rhs", len(stacked) * n, lifetime=(PhaseSpan(f"stage_{stacked[0]}", "combine"),),
                          weight=float((len(stacked) + reads) * n))]
        buffers += [Buffer(STAGE_RHS_SLOT.format(j), size_elems=n, view_of="stage_rhs",
                           view_offset_elems=i * n) for i, j in enumerate(stacked)]
        if s > 1:
            buffers.append(Buffer("stage_state", n, lifetime=(PhaseSpan("stage_1", stages[-1]),),
                                  weight=float(2 * n * (s - 1))))
        buffers.append(Buffer("stage_drivers", self.n_drivers, lifetime=(PhaseSpan("stage_0", stages[-1]),),
                              weight=float(2 * self.n_drivers * s)))
        if tab.fsal:
            buffers.append(Buffer("fsal_cache", n, persistent=True, weight=float(4 * n)))
        return BufferSettings(component=self.component, phases=phases, buffers=tuple(buffers))


def _nonzero(values):
    return [(j, v) for j, v in enumerate(values) if v != 0.0]


def _normalised(terms):
    """``(j_ref, [(j, ratio)])``: the terms over one of their coefficients, the most repeated one.

    ``sum c_j k_j = c_ref * sum (c_j / c_ref) k_j``, and every term whose
    coefficient equals ``c_ref`` becomes a plain addition, so a sum of ``m``
    terms costs ``m - 1`` operations and the scale joins ``h`` (formed once a
    step) in the final fused multiply-add: RK4's ``(1, 2, 2, 1) / 6`` is the
    hand-written ``k_1 + 2 k_2 + 2 k_3 + k_4`` times ``h / 6``.
    """
    values = [v for _, v in terms]
    reference = max(range(len(terms)), key=lambda q: (values.count(values[q]), -q))
    c_ref = values[reference]
    return terms[reference][0], [(j, v / c_ref) for j, v in terms]


def _combination(coefficients, name, constants, normalise):
    """``(setup_lines, scale, sum)``: ``h * sum_j coefficient_j k_j[i]`` as ``scale * sum(i)``.

    Normalised (fixed steps): the sum is taken over one coefficient
    (:func:`_normalised`), whose product with ``h`` the setup line forms once
    a step, so ``m`` terms cost ``m`` operations with the scale.  Otherwise
    the scale is ``h`` and each term keeps its coefficient (``m + 1``
    operations): in float32 below its resolution (rtol 1e-8) the normalised
    stages made adaptive Tsit5 take 4 to 7 % more steps than the hand-written
    floor on the H200, the plain ones as many.  ``sum`` is None when no
    coefficient is nonzero.  Adds the constants it names to ``constants``.
    """
    terms = _nonzero(coefficients)
    if not terms:
        return [], None, None
    if not normalise and len(terms) > 1:
        for j, v in terms:
            constants[f"{name}_{j}"] = v
        products = [(f"{name}_{j}", f"k_{j}") for j, _ in terms]
        return [], "h", lambda i: linear_combination(products, i)
    reference, ratios = _normalised(terms)  # one term: one fused multiply-add with h c formed once a step
    constants[f"{name}_{reference}"] = dict(terms)[reference]
    template = _grouped_sum(ratios, name, constants)
    return [f"    h{name} = h * {name}_{reference}"], f"h{name}", lambda i: template.format(i=i)


def _grouped_sum(ratios, name, constants):
    """``sum ratio_j k_j[{i}]`` as a template, the terms of one ratio summed before their one multiplication.

    A unit term keeps its place; a group stands where its first term was: RK4's ``(1, 2, 2, 1)`` is
    ``k_0 + R (k_1 + k_2) + k_3``, the hand-written floor's form (its operations and rounding).  On the
    H200 that took fixed-step RK4 on Lorenz with three parameters from 1.071 to 1.019x the floor's time
    and the rho-only system from 1.066 to 1.064x, and left Tsit5 (no repeated ratio) as it was
    (``benchmarks/results/floor_variants_2026-12-02/``).
    """
    groups = {}  # ratio -> its stages, in order
    parts = []  # ("unit", stage) in its place, or ("group", ratio) at its first stage's place
    for j, ratio in ratios:
        if ratio == 1.0:
            parts.append(("unit", j))
        elif ratio in groups:
            groups[ratio].append(j)
        else:
            groups[ratio] = [j]
            parts.append(("group", ratio))

    def term(part):
        kind, value = part
        if kind == "unit":
            return f"k_{value}[{{i}}]"
        stages = groups[value]
        constants[f"R{name}_{stages[0]}"] = value
        inner = " + ".join(f"k_{j}[{{i}}]" for j in stages)
        return f"R{name}_{stages[0]} * ({inner})" if len(stages) > 1 else f"R{name}_{stages[0]} * {inner}"

    return " + ".join(term(part) for part in parts)


def _sum_lines(target, base, coefficients, n, name, constants, normalise):
    """``target[i] = base[i] + h * sum_j coefficient_j k_j[i]`` (:func:`_combination`).

    The terms are summed first and added to ``base`` once, so they round at
    the size of the increment, not of ``base`` (the form ``base + (h c_1) k_1
    + ...`` doubled the rounding noise of float32 error estimates), the scale
    joining them in one fused multiply-add.  Returns ``(setup_lines, element_lines)``.
    """
    setup, scale, total = _combination(coefficients, name, constants, normalise)
    if total is None:
        return [], elementwise(n, lambda i: f"{target}[{i}] = {base}[{i}]")
    return setup, elementwise(n, lambda i: f"{target}[{i}] = {base}[{i}] + {scale} * ({total(i)})")


def _step_source(settings, itemsize):
    """The generated source of ``step`` and the constants it names (untyped), at a working precision of ``itemsize``
    bytes (the error estimate's weights: :meth:`kernels.tableaus.ButcherTableau.error_weights_at`)."""
    tab, N = settings.tableau, settings.n_states
    S, FSAL, ADAPTIVE = tab.stages, tab.fsal, settings.adaptive
    stacked = settings.stacked_stages
    constants = {}
    lines = ["def step(t, dt, y, p, y_new, err, first_valid, tol, driver_times, driver_values, region, persistent):",
             "    k = alloc_k(region, persistent)",
             "    u = alloc_u(region, persistent)"]
    if FSAL:
        lines.append("    k_0 = alloc_first(region, persistent)")
    if S > 1:
        lines.append("    stage = alloc_stage(region, persistent)")
    for slot, j in enumerate(stacked):
        lines.append(f"    k_{j} = slot(k, {slot})")  # the allocator's view, at a literal index
    lines.append("    h = prec(dt)")
    first_eval = ["eval_drivers(t, driver_times, driver_values, u)", "rhs(t, y, p, u, k_0)"]
    if FSAL:
        lines.append("    if not first_valid:")
        lines += ["        " + s for s in first_eval]
    else:
        lines += ["    " + s for s in first_eval]
    for s in range(1, S):
        setup, body = _sum_lines("stage", "y", tab.row(s), N, f"A{s}", constants, not ADAPTIVE)
        constants[f"C_{s}"] = float(tab.c[s])
        lines += setup + body
        lines += [f"    ts = t + C_{s} * dt",
                  "    eval_drivers(ts, driver_times, driver_values, u)",
                  f"    rhs(ts, stage, p, u, k_{s})"]
    setup, body = _sum_lines("y_new", "y", tab.b, N, "B", constants, not ADAPTIVE)
    lines += setup + body
    if ADAPTIVE:
        setup, scale, total = _combination(tab.error_weights_at(itemsize), "E", constants, normalise=False)
        lines += setup + elementwise(N, lambda i: f"err[{i}] = {scale} * ({total(i)})")
        if settings.error_vectors == 2:
            setup, scale, total = _combination(tab.low_error_weights_at(itemsize), "EL", constants, normalise=False)
            lines += setup + elementwise(N, lambda i: f"err[{index(i, offset=N)}] = {scale} * ({total(i)})")
    if FSAL:
        lines += elementwise(N, lambda i: f"k_0[{i}] = k_{S - 1}[{i}]")
    lines.append("    return STEP_OK")
    return "\n".join(lines) + "\n", constants


def build_erk_step(settings, system, layout, dtype) -> BuiltStep:
    """Build the device step of ``settings`` for ``system`` under a planned ``layout``.

    Parameters
    ----------
    settings : ERKStepSettings
    system : ODESystem
    layout : planner.ComponentLayout
        ``settings.buffer_settings()`` laid out under the Plan.
    dtype : numpy scalar type
        Working precision.
    """
    tab = settings.tableau
    allocate = AllocatorFactory(layout, dtype)
    rhs = system.device_functions(dtype).rhs
    eval_drivers = make_driver_evaluator(settings.n_drivers)
    namespace = {"rhs": rhs, "eval_drivers": eval_drivers, "prec": dtype, "STEP_OK": np.int32(STEP_OK),
                 "alloc_k": allocate("stage_rhs"), "alloc_u": allocate("stage_drivers")}
    namespace["slot"] = allocate.slots("stage_rhs", tuple(STAGE_RHS_SLOT.format(j) for j in settings.stacked_stages))
    prime = fsal_prime(namespace, allocate, rhs) if tab.fsal else None

    if tab.stages > 1:
        namespace["alloc_stage"] = allocate("stage_state")
    source, constants = _step_source(settings, np.dtype(dtype).itemsize)
    constants = consistent_constants(tab, constants, dtype, settings.adaptive)  # float32: sum b = 1 held
    for key, value in constants.items():
        namespace[key] = float(value) if key.startswith("C_") else dtype(value)
    # the stage sums as IR on the CUDA target: the same operations, typed and lowered once a run
    step = compile_folded(source, "step", namespace)
    return BuiltStep(step, prime, tuple(allocate.records), tab.error_order, error_vectors=settings.error_vectors)
