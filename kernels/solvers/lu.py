"""Dense LU factorisation with partial pivoting of one n-by-n matrix per thread.

``factor`` and ``solve`` are separate device functions so one factorisation
serves many solves (every simplified-Newton iteration of every stage that
shares the iteration matrix).  The matrix is factored in place in the
component's ``factor`` buffer; the row interchanges go to its ``pivots``
buffer, stored as numbers of the working precision (exact integers).

Why generated code: a matrix that the Plan keeps local stays in registers
only if every index into it is a compile-time constant.  Up to
:attr:`LUSettings.unroll` rows the factorisation and the solve are written
out statement by statement with literal indices (:mod:`kernels.codegen`),
and the pivot search and row interchange are compare-and-swap sequences
over literal rows (each candidate row is swapped with the pivot row under a
predicate), so nothing is indexed at run time.  Above it they are loops (the
matrix is then too large for registers and the planner should put it in
shared memory).

Factor layout: row-major ``a[i * n + j]``; after :func:`factor` the strict
lower triangle holds the multipliers of ``L`` (unit diagonal), the upper
triangle ``U``, and the diagonal the reciprocals ``1 / u_kk`` (a solve
multiplies instead of dividing).  ``pivots[k]`` is the row exchanged with
row ``k`` at elimination step ``k`` (LAPACK's convention, 0-based).

A pivot ``u_kk`` is singular when it is not larger than ``k eps`` times
``sum_j |l_kj u_jk|`` (the ``k`` terms eliminated into it, read from the factor
after the row interchange), nor than the smallest normal number (an exact
zero, a NaN and a zero matrix included; the rule of
:mod:`kernels.solvers.base`): ``factor`` then returns
:data:`kernels.status.SINGULAR_MATRIX` for that thread alone.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from planner import Buffer, BufferSettings, Phase, PhaseSpan

from .. import status as codes
from ..allocators import AllocatorFactory
from ..codegen import compile_device
from ..errors import ConfigurationError
from .base import SOLVER_OK, singular_check_lines, singular_constants
from .factor_storage import planned_storage

__all__ = ["LUSettings", "BuiltLU", "build_lu", "LU_UNROLL"]

# Up to this many rows the factor and solve are straight-line code with literal indices.  ptxas
# keeps a float64 local factor in registers with no stack at n = 8 (tests/kernels/solvers); at
# n = 16 the 256 entries cannot fit the 255-register budget whatever the code.
LU_UNROLL = 8


@dataclasses.dataclass(frozen=True)
class LUSettings:
    """The buffers of a dense LU solver.

    Parameters
    ----------
    n : int
        Rows of the square matrix.
    spans_invocations : int
        0: the factor lives from ``factor`` to the last ``solve`` of one
        invocation.  ``k >= 1``: it stays alive across the invocations of
        this component within one invocation of its ancestor ``k`` levels up
        (1: across the Newton iterations; 2: across the Newton solves of
        every stage of a step), see :class:`planner.Buffer`.
    solves : int
        Solves per factorisation (access weight of the factor).
    unroll : int
        Straight-line code up to this ``n``; loops above.
    component : str
        The component's name.
    persistent : bool
        The factor and pivots live on the whole timeline (kept from one step to the next: a step
        that reuses its factor, ``SolverOptions.reuse_factor``); ``spans_invocations`` is then moot.
    """

    n: int
    spans_invocations: int = 0
    solves: int = 1
    unroll: int = LU_UNROLL
    component: str = "lu"
    persistent: bool = False

    def __post_init__(self):
        for key, minimum in (("n", 1), ("spans_invocations", 0), ("solves", 1), ("unroll", 0)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ConfigurationError(f"LUSettings {key}: expected an integer >= {minimum}, got {value!r}")
        if not isinstance(self.persistent, bool):
            raise ConfigurationError(f"LUSettings persistent: expected True or False, got {self.persistent!r}")

    @property
    def unrolled(self) -> bool:
        return self.n <= self.unroll

    def buffer_settings(self) -> BufferSettings:
        """The component's :class:`planner.BufferSettings`."""
        n, k = self.n, self.spans_invocations
        span = () if self.persistent else (PhaseSpan("factor", "solve"),)  # persistent: the whole kernel
        # Factor: about n^3 / 3 updates plus n^2 per solve; pivots: n per factor and per solve.
        factor_weight = float(n * n * (n + 2) // 3 + self.solves * n * n)
        storage = planned_storage("registers", self.unrolled)
        return BufferSettings(component=self.component, phases=(Phase("factor"), Phase("solve")), buffers=(
            Buffer("factor", n * n, lifetime=span, weight=factor_weight, spans_invocations=k, storage=storage,
                   persistent=self.persistent),
            Buffer("pivots", n, lifetime=span, weight=float(n * (1 + self.solves)), spans_invocations=k,
                   storage=storage, persistent=self.persistent),
        ))


@dataclasses.dataclass(frozen=True)
class BuiltLU:
    """The device functions and allocators of a dense LU solver.

    Attributes
    ----------
    factor : device function
        ``factor(a, pivots) -> int32``: factors ``a`` (n * n, row-major) in
        place; :data:`SOLVER_OK` or ``SINGULAR_MATRIX``.
    solve : device function
        ``solve(a, pivots, b) -> None``: overwrites ``b`` (n) with the
        solution of ``A x = b`` from a successful ``factor``.
    alloc_factor, alloc_pivots : device functions
        ``alloc(region, persistent) -> array``: the planned buffers.  The
        caller that spans every use (the frame that calls ``factor`` and all
        the ``solve`` calls that reuse it) allocates them and passes them down,
        so a local factor is one array of that frame.
    records : tuple of AllocationRecord
    settings : LUSettings
    """

    factor: object
    solve: object
    alloc_factor: object
    alloc_pivots: object
    records: tuple
    settings: LUSettings


def _factor_unrolled(n):
    lines = ["def factor(a, piv):"]
    for k in range(n):
        lines += [f"    best = abs(a[{k * n + k}])", f"    row = {k}"]
        for r in range(k + 1, n):
            lines += [f"    v = abs(a[{r * n + k}])", "    if v > best:", "        best = v", f"        row = {r}"]
        lines.append(f"    piv[{k}] = row")
        for r in range(k + 1, n):
            lines.append(f"    if row == {r}:")
            for j in range(n):
                lines += [f"        x = a[{k * n + j}]", f"        a[{k * n + j}] = a[{r * n + j}]",
                          f"        a[{r * n + j}] = x"]
        lines += singular_check_lines("best", [f"abs(a[{k * n + j}] * a[{j * n + k}])" for j in range(k)])
        lines += [f"    d = ONE / a[{k * n + k}]", f"    a[{k * n + k}] = d"]
        for r in range(k + 1, n):
            lines += [f"    m = a[{r * n + k}] * d", f"    a[{r * n + k}] = m"]
            lines += [f"    a[{r * n + j}] -= m * a[{k * n + j}]" for j in range(k + 1, n)]
    lines.append("    return OK")
    return "\n".join(lines) + "\n"


def _solve_unrolled(n):
    lines = ["def solve(a, piv, b):"]
    for k in range(n - 1):
        lines.append(f"    row = piv[{k}]")
        for r in range(k + 1, n):
            lines += [f"    if row == {r}:", f"        x = b[{k}]", f"        b[{k}] = b[{r}]", f"        b[{r}] = x"]
    for i in range(1, n):
        lines.append(f"    b[{i}] -= " + " + ".join(f"a[{i * n + j}] * b[{j}]" for j in range(i)))
    for i in reversed(range(n)):
        if i == n - 1:
            lines.append(f"    b[{i}] = b[{i}] * a[{i * n + i}]")
        else:
            terms = " + ".join(f"a[{i * n + j}] * b[{j}]" for j in range(i + 1, n))
            lines.append(f"    b[{i}] = (b[{i}] - ({terms})) * a[{i * n + i}]")
    return "\n".join(lines) + "\n"


_FACTOR_LOOPS = """
def factor(a, piv):
    for k in range(N):
        best = abs(a[k * N + k])
        row = k
        for r in range(k + 1, N):
            v = abs(a[r * N + k])
            if v > best:
                best = v
                row = r
        piv[k] = row
        if row != k:
            for j in range(N):
                x = a[k * N + j]
                a[k * N + j] = a[row * N + j]
                a[row * N + j] = x
        g = ZERO
        w = ZERO
        for j in range(k):
            g += abs(a[k * N + j] * a[j * N + k])
            w += EPS
        if not max(w * g, TINY) < best < INF:
            return SINGULAR
        d = ONE / a[k * N + k]
        a[k * N + k] = d
        for r in range(k + 1, N):
            m = a[r * N + k] * d
            a[r * N + k] = m
            for j in range(k + 1, N):
                a[r * N + j] -= m * a[k * N + j]
    return OK
"""

_SOLVE_LOOPS = """
def solve(a, piv, b):
    for k in range(N - 1):
        row = int(piv[k])
        if row != k:
            x = b[k]
            b[k] = b[row]
            b[row] = x
    for i in range(1, N):
        s = b[i]
        for j in range(i):
            s -= a[i * N + j] * b[j]
        b[i] = s
    for i in range(N - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, N):
            s -= a[i * N + j] * b[j]
        b[i] = s * a[i * N + i]
"""


def lu_sources(settings):
    """The generated sources ``(factor, solve)`` of ``settings`` (for inspection and tests)."""
    if settings.unrolled:
        return _factor_unrolled(settings.n), _solve_unrolled(settings.n)
    return _FACTOR_LOOPS, _SOLVE_LOOPS


def build_lu(settings, layout, dtype) -> BuiltLU:
    """Build the LU solver of ``settings`` under a planned ``layout``.

    Parameters
    ----------
    settings : LUSettings
    layout : planner.ComponentLayout
        ``settings.buffer_settings()`` laid out under the Plan.
    dtype : numpy scalar type
        Working precision.
    """
    allocate = AllocatorFactory(layout, dtype)
    namespace = {"N": settings.n, **singular_constants(dtype, settings.n - 1),
                 "ONE": dtype(1.0), "ZERO": dtype(0.0), "OK": np.int32(SOLVER_OK),
                 "SINGULAR": np.int32(codes.SINGULAR_MATRIX)}
    factor_source, solve_source = lu_sources(settings)
    factor = compile_device(factor_source, "factor", namespace)
    solve = compile_device(solve_source, "solve", namespace)
    alloc_factor, alloc_pivots = allocate("factor"), allocate("pivots")
    return BuiltLU(factor, solve, alloc_factor, alloc_pivots, tuple(allocate.records), settings)
