"""Explicit Runge-Kutta step: one generic builder driven by a Butcher tableau.

Device-function contract of an algorithm step (every family follows it)::

    step(t, dt, y, p, y_new, err, first_valid, driver_times, driver_values,
         region, persistent) -> None

1. ``t`` and ``dt`` are float64; ``y`` (n_states) and ``p`` (n_params) are
   read-only; ``y_new`` receives the proposed state.
2. ``err`` receives the embedded error estimate ``dt * sum((b - b_hat) k)``
   for adaptive tableaus when ``estimate_error`` is set; it is not touched
   otherwise (a fixed-step loop passes a one-element stub).
3. ``first_valid`` tells a first-same-as-last method that its persistent
   ``fsal_cache`` holds ``f(t, y)`` (the last stage of the previous, accepted
   step).  The step always leaves ``f(t + dt, y_new)`` there, so after a
   rejected step the loop calls ``prime`` again (or passes ``first_valid = False``).
4. ``region`` is the thread's shared region and ``persistent`` its
   persistent-local array; every working array comes from an allocator built
   from the Plan (:mod:`kernels.allocators`).
5. The step does not decide acceptance, touch time, or check finiteness:
   the loop and the controller do.

A step comes with ``prime(t, y, p, driver_times, driver_values, region,
persistent) -> None``, which makes the FSAL cache hold ``f(t, y)`` (a no-op
for other methods).  A loop that primes once and never rejects (fixed step)
passes ``first_valid = True`` as a constant, so the step's first-stage branch
is compiled away.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numba import cuda

from planner import Buffer, BufferSettings, Location, Phase

from .allocators import AllocatorFactory
from .drivers import make_driver_evaluator
from .tableaus import ButcherTableau

__all__ = ["ERKBufferSettings", "ERKStep", "STAGE_RHS_SLOT"]

STAGE_RHS_SLOT = "stage_rhs_{}"


@dataclasses.dataclass(frozen=True)
class ERKBufferSettings:
    """The buffers of an explicit Runge-Kutta step.

    ``stage_rhs`` stacks the stage derivatives ``k_j`` (views
    ``stage_rhs_<j>``); an FSAL method keeps ``k_0`` in the persistent
    ``fsal_cache`` instead.  ``stage_state`` holds the stage's argument
    ``y + dt sum_j a_ij k_j``; ``stage_drivers`` the drivers at the stage time (size 0 without drivers: a
    one-element local array then stands in for the unused argument).

    Parameters
    ----------
    tableau : ButcherTableau
    n_states, n_drivers : int
    locations : dict, optional
        Buffer name -> :class:`planner.Location` pin; others are ``AUTO``.
    estimate_error : bool
        Write the embedded error estimate (adaptive control); a fixed-step run
        of an embedded pair skips it, and its ``err`` argument may be a stub.
    """

    tableau: ButcherTableau
    n_states: int
    n_drivers: int = 0
    locations: tuple = ()
    estimate_error: bool = True

    component = "erk"

    def __post_init__(self):
        if isinstance(self.locations, dict):
            object.__setattr__(self, "locations", tuple(sorted(self.locations.items())))

    @property
    def stacked_stages(self) -> tuple:
        """Stage indices whose derivative lives in ``stage_rhs`` (all but 0 for FSAL)."""
        return tuple(range(1 if self.tableau.fsal else 0, self.tableau.stages))

    def buffer_settings(self) -> BufferSettings:
        """The component's :class:`planner.BufferSettings`."""
        tab, n = self.tableau, self.n_states
        s = tab.stages
        pins = dict(self.locations)
        stages = [f"stage_{i}" for i in range(s)]
        phases = tuple(Phase(name) for name in stages) + (Phase("combine"),)
        stacked = self.stacked_stages

        def buf(name, size, lifetime=(), persistent=False, weight=1.0):
            return Buffer(name, size_elems=size, location=pins.get(name, Location.AUTO),
                          persistent=persistent, lifetime=lifetime, weight=weight)

        # Accesses per step: each k_j is written once, read by the later stages and twice in combine.
        reads = sum(len([j for j in stacked if j < i]) for i in range(s)) + 2 * len(stacked)
        buffers = [buf("stage_rhs", len(stacked) * n, ((f"stage_{stacked[0]}", "combine"),),
                       weight=float((len(stacked) + reads) * n))]
        buffers += [Buffer(STAGE_RHS_SLOT.format(j), size_elems=n, view_of="stage_rhs",
                           view_offset_elems=i * n) for i, j in enumerate(stacked)]
        if s > 1:
            buffers.append(buf("stage_state", n, (("stage_1", stages[-1]),), weight=float(2 * n * (s - 1))))
        buffers.append(buf("stage_drivers", self.n_drivers, (("stage_0", stages[-1]),),
                           weight=float(2 * self.n_drivers * s)))
        if tab.fsal:
            buffers.append(buf("fsal_cache", n, persistent=True, weight=float(4 * n)))
        return BufferSettings(component=self.component, phases=phases, buffers=tuple(buffers))


def _typed(values, dtype):
    return tuple(dtype(v) for v in values)


def _nonzeros(values):
    return sum(1 for v in values if v != 0)


def _first_nonzero(values):
    """Index of the first nonzero value, or -1 (no term: the sum stays 0)."""
    return next((j for j, v in enumerate(values) if v != 0), -1)


@cuda.jit(device=True, inline="always")
def _same(region, persistent, fallback):
    return fallback


def _with_fallback(alloc):
    @cuda.jit(device=True, inline="always")
    def take(region, persistent, fallback):
        return alloc(region, persistent)

    return take


class ERKStep:
    """Builds the device step of one tableau for one system under one Plan.

    Parameters
    ----------
    settings : ERKBufferSettings
    system : ODESystem
    layout : planner.ComponentLayout
        ``settings.buffer_settings()`` laid out under the Plan.
    dtype : numpy scalar type
        Working precision.

    Attributes
    ----------
    device_function : numba device function
        ``step(t, dt, y, p, y_new, err, first_valid, driver_times, driver_values, region, persistent)``.
    prime_function : numba device function
        ``prime(t, y, p, driver_times, driver_values, region, persistent)``: ``f(t, y)`` into the FSAL cache.
    records : list of AllocationRecord
        The buffers the step allocates (memory audit).
    """

    def __init__(self, settings, system, layout, dtype):
        self.settings = settings
        allocate = AllocatorFactory(layout, dtype)
        self.device_function, self.prime_function = _build_step(settings, system, allocate, dtype)
        self.records = allocate.records


def _build_step(settings, system, allocate, dtype):
    tab = settings.tableau
    S, N, FSAL = tab.stages, settings.n_states, tab.fsal
    ADAPTIVE = tab.adaptive and settings.estimate_error
    J0 = 1 if FSAL else 0  # stage j's derivative is slot j - J0 of stage_rhs (j >= J0)
    A = _typed([row[j] if j < len(row) else 0.0 for row in tab.a for j in range(S)], dtype)
    B = _typed(tab.b, dtype)
    E = _typed(tab.error_weights, dtype)
    C = tuple(float(c) for c in tab.c)
    # Each sum starts from its first nonzero term (0 + x is not folded: -0 + 0 is +0), so the
    # unrolled loops below compute exactly the tableau's nonzero products and nothing else.
    A_FIRST = tuple(_first_nonzero(A[s * S:s * S + s]) for s in range(S))
    B_FIRST, E_FIRST = _first_nonzero(B), _first_nonzero(E)
    # A sum of m < N terms is cheaper as y + (h a_1) k_1 + ... (m products h a_j once a step, then
    # m fused multiply-adds per element) than as y + h (a_1 k_1 + ...) (m + 1 per element).
    A_SCALED = tuple(0 < _nonzeros(A[s * S:s * S + s]) < N for s in range(S))
    B_SCALED = 0 < _nonzeros(B) < N
    rhs = system.device_rhs
    eval_drivers = make_driver_evaluator(settings.n_drivers)

    alloc_k = allocate("stage_rhs")
    slot = allocate.slots("stage_rhs", tuple(STAGE_RHS_SLOT.format(j) for j in settings.stacked_stages))
    alloc_first = _with_fallback(allocate("fsal_cache")) if FSAL else _same
    alloc_stage = _with_fallback(allocate("stage_state")) if S > 1 else _same
    alloc_u = allocate("stage_drivers")
    zero = dtype(0.0)

    @cuda.jit(device=True, inline="always")
    def k_at(first, k, j, i):
        """Element ``i`` of stage ``j``'s derivative."""
        if FSAL and j == 0:
            return first[i]
        return k[(j - J0) * N + i]

    @cuda.jit(device=True)
    def prime(t, y, p, driver_times, driver_values, region, persistent):
        if FSAL:
            k = alloc_k(region, persistent)
            first = alloc_first(region, persistent, k)
            u = alloc_u(region, persistent)
            eval_drivers(t, driver_times, driver_values, u)
            rhs(t, y, p, u, first)

    @cuda.jit(device=True)
    def step(t, dt, y, p, y_new, err, first_valid, driver_times, driver_values, region, persistent):
        k = alloc_k(region, persistent)
        first = alloc_first(region, persistent, k)
        stage = alloc_stage(region, persistent, k)
        u = alloc_u(region, persistent)
        h = dtype(dt)
        if not (FSAL and first_valid):
            eval_drivers(t, driver_times, driver_values, u)
            if FSAL:
                rhs(t, y, p, u, first)
            else:
                rhs(t, y, p, u, slot(k, 0))
        for s in range(1, S):
            for i in range(N):
                if A_SCALED[s]:
                    acc = y[i]
                    for j in range(s):
                        if A[s * S + j] != zero:
                            acc += (h * A[s * S + j]) * k_at(first, k, j, i)
                    stage[i] = acc
                else:
                    acc = zero
                    for j in range(s):
                        a = A[s * S + j]
                        if j == A_FIRST[s]:
                            acc = a * k_at(first, k, j, i)
                        elif a != zero:
                            acc += a * k_at(first, k, j, i)
                    stage[i] = y[i] + h * acc
            ts = t + C[s] * dt
            eval_drivers(ts, driver_times, driver_values, u)
            rhs(ts, stage, p, u, slot(k, s - J0))
        for i in range(N):
            acc = zero
            acc_err = zero
            if B_SCALED:
                acc = y[i]
            for j in range(S):
                kj = k_at(first, k, j, i)
                if B_SCALED:
                    if B[j] != zero:
                        acc += (h * B[j]) * kj
                elif j == B_FIRST:
                    acc = B[j] * kj
                elif B[j] != zero:
                    acc += B[j] * kj
                if ADAPTIVE and j == E_FIRST:
                    acc_err = E[j] * kj
                elif ADAPTIVE and E[j] != zero:
                    acc_err += E[j] * kj
            y_new[i] = acc if B_SCALED else y[i] + h * acc
            if ADAPTIVE:
                err[i] = h * acc_err
        if FSAL:
            for i in range(N):
                first[i] = k[(S - 1 - J0) * N + i]

    return step, prime

