"""Sparse LU of one n-by-n matrix per thread over a fixed pattern, with a static pivot order.

The matrices Newton factors are ``M = I - c J`` whose structural nonzeros
(the pattern of ``J`` plus the diagonal) are known before the kernel is
built.  So the whole symbolic work happens once, on the host, when
:class:`SparseLUSettings` is made:

* a symmetric pivot order by minimum degree on the graph of ``A + A^T``
  (ties to the lowest index), which keeps the fill-in of banded and
  block-banded patterns (reaction-diffusion, the Brusselator) small;
* the fill-in of ``L + U`` eliminating in that order;
* one slot of a compact array per entry of ``L + U``: the pattern's entries
  first, in the order of ``pattern`` (the caller writes ``M[i, j]`` to slot
  ``k`` for ``pattern[k] == (i, j)``), the fill-in after them (``factor``
  zeroes it).

``factor`` and ``solve`` are then straight-line code over literal slot
indices (:mod:`kernels.codegen`): no index is computed at run time, so a
local factor stays in registers while it fits, and the work is the
pattern's, not ``n^3 / 3``.  A factor of more than
:attr:`SparseLUSettings.unroll` entries cannot stay in registers, and its
straight-line code costs most of the kernel's compile time (Numba's work is
quadratic in a basic block's length; NVVM and ptxas see one copy per call
site): it is factored and solved instead by short loops over constant
index tables (``cuda.const.array_like``: every thread reads the same entry,
a broadcast from the constant cache), the same operations in the same order.
The straight-line operations are data (:class:`LUProgram`), emitted either as
Python source for Numba to compile statement by statement, or, on the CUDA
target, directly as LLVM IR by an intrinsic (:mod:`kernels.solvers.sparse_lu_ir`),
which spares Numba's typing and lowering of every statement
(:attr:`SparseLUSettings.emit`).

No numerical pivoting: the pivots are the diagonal entries in the static
order.  That is safe for the matrices this solver is meant for, ``I - c J``
with small ``c h``-scaled Jacobians (diagonally dominant), and for any
matrix whose LU without pivoting is stable; it is not a general solver.  A
pivot ``u_kk`` is singular when its magnitude is not above ``m eps`` times
``sum_j |l_kj u_jk|`` (the ``m`` terms eliminated into it, :attr:`LUProgram.terms`),
nor above the smallest normal number (zero, a NaN and a zero matrix included; the rule of
:mod:`kernels.solvers.base`): ``factor`` then returns
:data:`kernels.status.SINGULAR_MATRIX` for that thread alone, as the dense
solver does.

The diagonal of the factor holds ``1 / u_kk`` so eliminations and the solve
multiply; the strict lower entries hold ``L``'s multipliers (unit diagonal).
The reciprocal is :func:`kernels.approx.pivot_reciprocal` (within an ulp, with
no division subroutine to call at every pivot).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from numba import cuda

from planner import Buffer, BufferSettings, Phase, PhaseSpan, Placement

from .. import status as codes
from ..allocators import AllocatorFactory
from ..approx import pivot_reciprocal
from ..backend import backend
from ..codegen import compile_device
from ..errors import ConfigurationError
from .base import SOLVER_OK, singular_check_lines, singular_constants
from .factor_storage import STORAGE_FORMS, check_storage, in_memory, planned_storage
from .sparsity import full_pattern, minimum_degree_order, symbolic_fill

__all__ = ["SPARSE_UNROLL", "EMIT_FORMS", "LUProgram", "SparseLUSettings", "lu_program", "lu_constants",
           "build_sparse_lu", "ir_device_functions", "minimum_degree_order", "symbolic_fill", "full_pattern"]

# Largest factor written as straight-line code; loops over constant index tables above it.  The
# loops compile 2-3x faster (Numba lowers one long basic block in time quadratic in its length),
# but on the H200 they ran the Brusselator n = 64 rodas4 kernel 5x slower (42 ms against 7.8 ms,
# float32, 65536 trajectories; benchmarks/results/stiff_peers_nvidia-h200_jvp_looped.json), so
# every factor met so far stays straight-line (issue #10).
SPARSE_UNROLL = 4096
EMIT_FORMS = ("auto", "ir", "python")  # SparseLUSettings.emit


def _normalise(n, pattern):
    try:
        entries = {(int(i), int(j)) for i, j in pattern}
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"SparseLUSettings pattern: expected a sequence of (row, column) pairs of "
                                 f"integers; got {type(pattern).__name__} ({exc})") from exc
    bad = sorted((i, j) for i, j in entries if not (0 <= i < n and 0 <= j < n))
    if bad:
        raise ConfigurationError(f"SparseLUSettings pattern: entries {bad[:5]} lie outside the {n} x {n} matrix; "
                                 f"rows and columns are 0 .. {n - 1}")
    missing = [i for i in range(n) if (i, i) not in entries]
    if missing:
        raise ConfigurationError(f"SparseLUSettings pattern: the diagonal must be in the pattern (the pivots are "
                                 f"diagonal); missing ({missing[0]}, {missing[0]}) and {len(missing) - 1} more: "
                                 "add the diagonal (jacobian_pattern does)")
    return tuple(sorted(entries))


@dataclasses.dataclass(frozen=True)
class SparseLUSettings:
    """The buffer of a sparse LU solver over a fixed pattern.

    Parameters
    ----------
    n : int
        Rows of the square matrix.
    pattern : sequence of (int, int)
        Structural nonzeros ``(i, j)``, the diagonal included; stored sorted.
    spans_invocations, solves, component
        As for :class:`kernels.solvers.LUSettings`.
    unroll : int
        Largest factor (:attr:`nnz` entries) written as straight-line code with literal slots; a
        larger one is factored and solved by loops over constant index tables (see the module notes).
    emit : str
        How the straight-line code reaches Numba: ``"ir"`` (LLVM IR written by an intrinsic,
        :mod:`kernels.solvers.sparse_lu_ir`: one call for Numba to compile, much faster to build),
        ``"python"`` (generated Python source, one statement per operation), or ``"auto"`` (the
        default: ``"ir"`` on the CUDA target, ``"python"`` on Numba's simulator, which cannot run
        intrinsics).  Both run the same operations in the same order (bit-identical results).  The
        looped form (above :attr:`unroll`) is Python source either way.
    storage : str
        Where the IR form keeps the factor between its operations: ``"registers"`` (plain loads
        and stores, which the compiler forwards), ``"memory"`` (every load and store issued where
        written) or ``"memory if shared"`` (memory when the plan puts the factor in shared
        memory); see :mod:`kernels.solvers.factor_storage`.  No buffer depends on it.
    persistent : bool
        As for :class:`kernels.solvers.LUSettings`: the factor is kept from one step to the next.

    The symbolic analysis (:attr:`order`, :attr:`entries`, :attr:`slots`)
    is derived from ``n`` and ``pattern`` on first use.
    """

    n: int
    pattern: tuple
    spans_invocations: int = 0
    solves: int = 1
    component: str = "lu"
    unroll: int = SPARSE_UNROLL
    emit: str = "auto"
    storage: str = "registers"
    persistent: bool = False

    def __post_init__(self):
        for key, minimum in (("n", 1), ("spans_invocations", 0), ("solves", 1), ("unroll", 0)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ConfigurationError(f"SparseLUSettings {key}: expected an integer >= {minimum}, got {value!r}")
        if not isinstance(self.persistent, bool):
            raise ConfigurationError(f"SparseLUSettings persistent: expected True or False, got {self.persistent!r}")
        if self.emit not in EMIT_FORMS:
            raise ConfigurationError(f"SparseLUSettings emit: expected one of {list(EMIT_FORMS)}, got {self.emit!r}")
        check_storage("SparseLUSettings storage", self.storage, STORAGE_FORMS)
        object.__setattr__(self, "pattern", _normalise(self.n, self.pattern))

    @functools.cached_property
    def order(self) -> tuple:
        """The pivot order (minimum degree)."""
        return minimum_degree_order(self.n, self.pattern)

    @functools.cached_property
    def entries(self) -> tuple:
        """The entries of ``L + U``: ``pattern`` first, then the fill-in (sorted)."""
        fill = symbolic_fill(self.n, self.pattern, self.order) - set(self.pattern)
        return self.pattern + tuple(sorted(fill))

    @functools.cached_property
    def slots(self) -> dict:
        """``{(i, j): slot}`` of every entry of ``L + U`` in the compact factor array."""
        return {entry: s for s, entry in enumerate(self.entries)}

    @functools.cached_property
    def program(self) -> "LUProgram":
        """The straight-line operations of ``factor`` and ``solve`` (:class:`LUProgram`)."""
        return lu_program(self)

    @property
    def nnz(self) -> int:
        """Entries of ``L + U`` (the factor's size)."""
        return len(self.entries)

    @property
    def unrolled(self) -> bool:
        """Whether ``factor`` and ``solve`` are straight-line code (else loops over index tables)."""
        return self.nnz <= self.unroll

    @property
    def emitted(self) -> str:
        """The form the straight-line code is built in: :attr:`emit`, with ``"auto"`` resolved for the backend."""
        if self.emit != "auto":
            return self.emit
        return "python" if backend() == "simulator" else "ir"

    @property
    def fill(self) -> int:
        """Entries created by the elimination."""
        return len(self.entries) - len(self.pattern)

    @property
    def density(self) -> float:
        return len(self.pattern) / float(self.n * self.n)

    def flops(self) -> int:
        """Multiply-adds of one factorisation."""
        return sum(len(r) * len(c) + len(r) for r, c in _elimination_sets(self))

    def buffer_settings(self) -> BufferSettings:
        """The component's :class:`planner.BufferSettings`: the compact factor, nothing else."""
        span = () if self.persistent else (PhaseSpan("factor", "solve"),)  # persistent: the whole kernel
        weight = float(self.flops() + self.solves * self.nnz)
        storage = planned_storage(self.storage, self.unrolled)
        return BufferSettings(component=self.component, phases=(Phase("factor"), Phase("solve")), buffers=(
            Buffer("factor", self.nnz, lifetime=span, weight=weight, spans_invocations=self.spans_invocations,
                   storage=storage, persistent=self.persistent),
        ))


def _elimination_sets(settings):
    """Per pivot in order: (later rows r with (r, k) in L+U, later columns c with (k, c) in L+U)."""
    position = {v: p for p, v in enumerate(settings.order)}
    entries = settings.slots
    result = []
    for k in settings.order:  # the unknowns in pivot order (the complex form's are n / 2)
        rows = [r for r in settings.order[position[k] + 1:] if (r, k) in entries]
        cols = [c for c in settings.order[position[k] + 1:] if (k, c) in entries]
        result.append((rows, cols))
    return result


@dataclasses.dataclass(frozen=True)
class LUProgram:
    """The straight-line ``factor`` and ``solve`` as data: every operation in order, over literal slots.

    Both emitted forms read it (the Python source of :func:`_straight_sources` and the LLVM IR of
    :mod:`kernels.solvers.sparse_lu_ir`), so they run the same operations in the same order.

    A slot is one entry of ``L + U``: one word of the factor array in the real form, two (re, im) in the
    complex one (:mod:`kernels.solvers.complex_lu`, whose schedule has the same shape).

    Attributes
    ----------
    pattern : int
        Slots the caller fills.
    nnz : int
        Slots of the factor; ``pattern .. nnz`` (the fill-in) are zeroed first.
    pivots : tuple
        Per pivot in order: ``(diagonal slot, rows)``, each row ``(multiplier slot, updates)`` and each
        update ``(target, source)``: ``a[target] -= m * a[source]``.
    forward : tuple
        Per row in pivot order: ``(row, terms)``, terms ``(slot, column)`` of ``L`` (may be empty).
    backward : tuple
        Per row in reverse pivot order: ``(row, terms, diagonal slot)``, terms of ``U`` (may be empty).
    terms : tuple
        Per pivot in order: the ``(l slot, u slot)`` pairs of the earlier pivots ``j`` whose products
        ``l_kj u_jk`` were eliminated into it (the singular test's scale, :mod:`kernels.solvers.base`).
    """

    pattern: int
    nnz: int
    pivots: tuple
    forward: tuple
    backward: tuple
    terms: tuple = ()


def lu_program(settings):
    """The :class:`LUProgram` of ``settings`` (its elimination sets and triangular rows)."""
    slot = settings.slots
    pivots = tuple((slot[(k, k)], tuple((slot[(r, k)], tuple((slot[(r, c)], slot[(k, c)]) for c in cols))
                                         for r in rows))
                   for k, (rows, cols) in zip(settings.order, _elimination_sets(settings)))
    rows = _triangular_rows(settings)
    forward = tuple((i, tuple(lower)) for i, lower, _ in rows)
    backward = tuple((i, tuple(upper), slot[(i, i)]) for i, _, upper in reversed(rows))
    given = len(settings.entries) - settings.fill  # the pattern's entries (the fill-in comes after them)
    order = settings.order
    terms = tuple(tuple((slot[(k, j)], slot[(j, k)]) for j in order[:p] if (k, j) in slot and (j, k) in slot)
                  for p, k in enumerate(order))
    return LUProgram(given, len(settings.entries), pivots, forward, backward, terms)


def _straight_sources(settings):
    """``(factor, solve)`` as straight-line Python source over literal slot indices."""
    program = settings.program
    lines = ["def factor(a, piv):"] + [f"    a[{s}] = ZERO" for s in range(program.pattern, program.nnz)]
    for (kk, rows), terms in zip(program.pivots, program.terms):
        lines.append(f"    d = a[{kk}]")
        lines += singular_check_lines("abs(d)", [f"abs(a[{lk}] * a[{uk}])" for lk, uk in terms])
        lines += ["    d = RCP(d)", f"    a[{kk}] = d"]
        for lk, updates in rows:
            lines += [f"    m = a[{lk}] * d", f"    a[{lk}] = m"]
            lines += [f"    a[{t}] -= m * a[{s}]" for t, s in updates]
    lines.append("    return OK")
    factor = "\n".join(lines) + "\n"

    lines = ["def solve(a, piv, b):"]
    for i, lower in program.forward:
        if lower:
            lines.append(f"    b[{i}] -= " + " + ".join(f"a[{s}] * b[{j}]" for s, j in lower))
    for i, upper, diagonal in program.backward:
        if upper:
            terms = " + ".join(f"a[{s}] * b[{j}]" for s, j in upper)
            lines.append(f"    b[{i}] = (b[{i}] - ({terms})) * a[{diagonal}]")
        else:
            lines.append(f"    b[{i}] = b[{i}] * a[{diagonal}]")
    return factor, "\n".join(lines) + "\n"


def _triangular_rows(settings):
    """Per row ``i`` in pivot order: ``(i, [(slot, j)] of L left of the pivot, [(slot, j)] of U right of it)``."""
    slot = settings.slots
    position = {v: p for p, v in enumerate(settings.order)}
    ranked = settings.order
    rows = []
    for i in settings.order:
        lower = [(slot[(i, j)], j) for j in ranked if (i, j) in slot and position[j] < position[i]]
        upper = [(slot[(i, j)], j) for j in ranked if (i, j) in slot and position[j] > position[i]]
        rows.append((i, lower, upper))
    return rows


def _tables(settings):
    """The constant index tables of the looped form (int32 arrays, one global each of the generated code).

    Factor: per pivot ``p`` its diagonal slot ``DIAG[p]``, its rows ``ROW_START[p] .. ROW_START[p + 1]`` in
    ``LOWER`` (the slot of ``L``'s multiplier) and ``NCOLS[p]`` updates per row, read in sequence from
    ``TARGET`` / ``SOURCE`` (``a[TARGET[e]] -= m * a[SOURCE[e]]``), and the singular test's terms
    ``T_START[p] .. T_START[p + 1]`` of ``T_LOWER`` / ``T_UPPER`` (:attr:`LUProgram.terms`).
    Solve: per row in pivot order
    ``ROW[p]``, its ``L`` terms ``F_START[p] .. F_START[p + 1]`` of ``F_SLOT`` / ``F_COL`` and its ``U``
    terms likewise (``B_*``), and ``DIAG_OF_ROW[p]`` (the slot of ``1 / u_ii``).
    """
    program = settings.program  # the straight-line form's schedule, laid out as tables
    diag, row_start, lower, ncols, target, source = [], [0], [], [], [], []
    for kk, rows in program.pivots:
        diag.append(kk)
        ncols.append(len(rows[0][1]) if rows else 0)  # every row of a pivot updates the same columns
        for lk, updates in rows:
            lower.append(lk)
            target += [t for t, _ in updates]
            source += [s for _, s in updates]
        row_start.append(len(lower))
    t_start, t_lower, t_upper = [0], [], []
    for terms in program.terms:
        t_lower += [lk for lk, _ in terms]
        t_upper += [uk for _, uk in terms]
        t_start.append(len(t_lower))
    in_order = tuple(reversed(program.backward))  # per row in pivot order: (row, U terms, diagonal slot)
    tables = {"DIAG": diag, "ROW_START": row_start, "LOWER": lower, "NCOLS": ncols, "TARGET": target,
              "SOURCE": source, "T_START": t_start, "T_LOWER": t_lower, "T_UPPER": t_upper, "ROW": [i for i, _ in program.forward], "DIAG_OF_ROW": [d for _, _, d in in_order]}
    for prefix, terms in (("F", [lower for _, lower in program.forward]), ("B", [upper for _, upper, _ in in_order])):
        start, slots, cols = [0], [], []
        for row in terms:
            slots += [s for s, _ in row]
            cols += [j for _, j in row]
            start.append(len(slots))
        tables.update({f"{prefix}_START": start, f"{prefix}_SLOT": slots, f"{prefix}_COL": cols})
    return {name: np.asarray(values or [0], dtype=np.int32) for name, values in tables.items()}


_LOOPED_FACTOR = """def factor(a, piv):
    diag = cuda.const.array_like(DIAG)
    row_start = cuda.const.array_like(ROW_START)
    lower = cuda.const.array_like(LOWER)
    ncols = cuda.const.array_like(NCOLS)
    target = cuda.const.array_like(TARGET)
    source = cuda.const.array_like(SOURCE)
    t_start = cuda.const.array_like(T_START)
    t_lower = cuda.const.array_like(T_LOWER)
    t_upper = cuda.const.array_like(T_UPPER)
    for s in range(PATTERN, NNZ):
        a[s] = ZERO
    e = 0
    for p in range(N):
        kk = diag[p]
        d = a[kk]
        g = ZERO
        w = ZERO
        for q in range(t_start[p], t_start[p + 1]):
            g += abs(a[t_lower[q]] * a[t_upper[q]])
            w += EPS
        if not max(w * g, TINY) < abs(d) < INF:
            return SINGULAR
        d = RCP(d)
        a[kk] = d
        width = ncols[p]
        for q in range(row_start[p], row_start[p + 1]):
            lk = lower[q]
            m = a[lk] * d
            a[lk] = m
            for c in range(e, e + width):
                a[target[c]] -= m * a[source[c]]
            e += width
    return OK
"""

_LOOPED_SOLVE = """def solve(a, piv, b):
    row = cuda.const.array_like(ROW)
    diag = cuda.const.array_like(DIAG_OF_ROW)
    f_start = cuda.const.array_like(F_START)
    f_slot = cuda.const.array_like(F_SLOT)
    f_col = cuda.const.array_like(F_COL)
    b_start = cuda.const.array_like(B_START)
    b_slot = cuda.const.array_like(B_SLOT)
    b_col = cuda.const.array_like(B_COL)
    for p in range(N):
        i = row[p]
        acc = b[i]
        for q in range(f_start[p], f_start[p + 1]):
            acc -= a[f_slot[q]] * b[f_col[q]]
        b[i] = acc
    for p in range(N - 1, -1, -1):
        i = row[p]
        acc = b[i]
        for q in range(b_start[p], b_start[p + 1]):
            acc -= a[b_slot[q]] * b[b_col[q]]
        b[i] = acc * a[diag[p]]
"""


def sparse_lu_sources(settings):
    """The generated sources ``(factor, solve)`` of ``settings`` (for inspection and tests).

    Straight-line code while ``settings.nnz <= settings.unroll``; above it, loops over constant index
    tables (:func:`_tables`, passed as globals) whose source does not grow with the pattern.
    """
    if settings.unrolled:
        return _straight_sources(settings)
    return _LOOPED_FACTOR, _LOOPED_SOLVE


def _no_pivots(region, persistent):
    return persistent


def lu_constants(dtype, n):
    """The constants the generated code of an ``n``-unknown LU reads, typed in ``dtype`` (the Python form's globals)."""
    return {**singular_constants(dtype, n), "ONE": dtype(1.0),
            "ZERO": dtype(0.0), "OK": np.int32(SOLVER_OK), "SINGULAR": np.int32(codes.SINGULAR_MATRIX),
            "RCP": pivot_reciprocal(dtype)}


def ir_device_functions(settings, namespace, emitters, memory=False, shared=False):
    """``(factor, solve)`` device functions each calling one intrinsic that emits ``settings.program`` as LLVM IR.

    ``emitters``: the module making the intrinsics (``factor_intrinsic(program, eps, tiny, ok, singular, memory,
    shared)``
    and ``solve_intrinsic(program, memory)``: :mod:`~kernels.solvers.sparse_lu_ir` or its complex
    counterpart); ``namespace``: the constants of :func:`lu_constants`; ``memory``: the factor is read
    and written in memory (:mod:`~kernels.solvers.factor_storage`), ``shared``: placed in shared memory.
    """
    if backend() == "simulator":
        raise ConfigurationError(f"{type(settings).__name__} emit: 'ir' needs Numba's CUDA target (an intrinsic "
                                 "writes the code), and this process runs the simulator: use emit='auto' or 'python'")
    program = settings.program
    scope = {"FACTOR": emitters.factor_intrinsic(program, float(namespace["EPS"]), float(namespace["TINY"]),
                                                 namespace["OK"],
                                                 namespace["SINGULAR"], memory, shared),
             "SOLVE": emitters.solve_intrinsic(program, memory)}
    factor = compile_device("def factor(a, piv):\n    return FACTOR(a)\n", "factor", scope)
    solve = compile_device("def solve(a, piv, b):\n    SOLVE(a, b)\n", "solve", scope)
    return factor, solve


def build_sparse_lu(settings, layout, dtype):
    """Build the sparse LU of ``settings`` under a planned ``layout`` (same interface as :func:`build_lu`).

    ``factor(a, pivots)`` and ``solve(a, pivots, b)`` ignore ``pivots``;
    ``alloc_pivots`` is a placeholder that allocates nothing (it hands back
    ``persistent``) so callers written for the dense solver need no change.
    ``a`` is the compact array of :attr:`SparseLUSettings.entries`, its first
    ``len(pattern)`` slots filled by the caller.
    """
    from . import sparse_lu_ir

    namespace = lu_constants(dtype, settings.n)
    if not settings.unrolled:
        namespace.update(_tables(settings), cuda=cuda, N=settings.n, PATTERN=len(settings.pattern),
                         NNZ=settings.nnz)
    return built_lu(settings, layout, dtype, namespace, sparse_lu_sources, sparse_lu_ir)


def built_lu(settings, layout, dtype, namespace, sources, emitters):
    """The :class:`~kernels.solvers.lu.BuiltLU` of a sparse LU (real or complex) under ``layout``.

    Straight-line code in the form ``settings.emitted`` says: LLVM IR from the intrinsics of module
    ``emitters`` (:func:`ir_device_functions`), or the Python source ``sources(settings)`` compiled
    with the globals ``namespace`` (also the looped form's).  No pivots are allocated (:func:`_no_pivots`).
    The IR form keeps the factor as ``settings.storage`` says, given where ``layout`` places it.
    """
    from .lu import BuiltLU

    allocate = AllocatorFactory(layout, dtype)
    if settings.unrolled and settings.emitted == "ir":
        placement = layout.placement("factor")
        memory = in_memory(settings.storage, placement)
        factor, solve = ir_device_functions(settings, namespace, emitters, memory, placement is Placement.SHARED)
    else:
        factor_source, solve_source = sources(settings)
        factor = compile_device(factor_source, "factor", namespace)
        solve = compile_device(solve_source, "solve", namespace)
    alloc_factor = allocate("factor")
    alloc_pivots = cuda.jit(device=True, inline="always")(_no_pivots)
    return BuiltLU(factor, solve, alloc_factor, alloc_pivots, tuple(allocate.records), settings)
