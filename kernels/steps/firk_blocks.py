"""The linear systems of a FIRK step: one per diagonal block of ``Lambda``, factored dense or sparse.

A block with stage indices ``bl`` (``k`` of them: 1 for a real eigenvalue,
2 for a complex pair, ``s`` for the untransformed form) is the ``k n``
system ``Lambda_bb / h (x) I - I (x) J``.  The step writes its entries from
``J`` and a few scalars (``L_a_c = Lambda_ac / h``); this module says which
entries, where, and with which LU.

Dense (the default when ``J``'s pattern is more than half full and a 2n
block stays within :data:`~kernels.solvers.LU_UNROLL` rows, or
``SolverOptions(linear="dense")``): row ``ra n + i`` stands for stage
``bl[ra]`` and state ``i`` (stage-major), and ``J`` is a dense ``n x n``
array filled by the system's ``jac`` or by finite differences column by
column.

Sparse (the rule of :meth:`SolverOptions.newton`: ``"lu"`` with ``J`` at
most half full, or ``"sparse"``; and ``"lu"`` whenever a 2n block would exceed LU_UNROLL rows,
see :class:`~kernels.steps.FIRKStepSettings`): the states are interleaved, row ``i k + ra``, so the
block's pattern is ``J``'s pattern (the diagonal included) on every stage
plus a ``k x k`` coupling at each state, and the minimum-degree order of
:mod:`kernels.solvers.sparse_lu` eliminates each state's stages together
(the complex pair block then fills no more than ``J`` itself does).  A
complex pair block (``Lambda_bb = [[alpha, beta], [-beta, alpha]]``) is
factored as the complex ``n x n`` matrix ``(alpha - i beta) / h I - J`` it
stands for (:mod:`kernels.solvers.complex_lu`: two words a complex entry
against four for the real form's 2 x 2 block) while its factor fits
straight-line code; the step's interleaved vectors are its ``(re, im)``
pairs, so nothing else changes.  ``J``
is gathered over its pattern, in order of preference, from the system's
``jvp`` (one product per group of structurally orthogonal columns, Curtis,
Powell & Reid 1974), its dense ``jac`` (into an ``n x n`` scratch), or
finite differences over the same column groups.
"""

from __future__ import annotations

import dataclasses

from ..codegen import UNROLL_STATES, by_column, elementwise, index
from ..solvers.lu import LU_UNROLL, LUSettings
from ..solvers.jacobian_assembly import column_groups, grouped_jacobian_lines, one_sided_lines
from ..solvers.complex_lu import ComplexSparseLUSettings
from ..solvers.factor_storage import storage_for
from ..solvers.sparse_lu import SparseLUSettings

__all__ = ["BlockSystem", "block_systems", "block_pattern", "block_index", "block_lu_settings",
           "jacobian_size", "jacobian_lines", "factor_lines"]


@dataclasses.dataclass(frozen=True)
class BlockSystem:
    """One linear system ``Lambda_bb / h (x) I - I (x) J`` of ``k`` stages.

    Attributes
    ----------
    k : int
        Stages of the block.
    scalars : tuple of (int, int, str)
        ``(ra, rc, name)``: the nonzero entries of ``Lambda_bb / h`` as source names of the step.
    complex_pair : bool
        ``Lambda_bb`` is ``[[alpha, beta], [-beta, alpha]]``: over a pattern, the complex LU takes it.
    """

    k: int
    scalars: tuple
    complex_pair: bool = False


def block_systems(settings) -> tuple:
    """The step's blocks: one per block of ``Lambda``, plus Radau's ``mu / h I - J`` in the full form."""
    tr = settings.transform
    blocks = [BlockSystem(len(bl), tuple((ra, rc, f"L_{a}_{c}") for ra, a in enumerate(bl)
                                         for rc, c in enumerate(bl) if tr.lam[a, c] != 0.0), _is_pair(tr.lam, bl))
              for bl in tr.blocks]
    if settings.adaptive and settings.form == "full":
        blocks.append(BlockSystem(1, ((0, 0, "LR"),)))  # the error filter
    return tuple(blocks)


def _is_pair(lam, bl):
    """Whether ``Lambda``'s block ``bl`` is ``[[alpha, beta], [-beta, alpha]]``: a complex eigenvalue pair."""
    if len(bl) != 2:
        return False
    a, c = bl
    scale = abs(lam[a, a]) + abs(lam[a, c])
    return lam[a, c] != 0.0 and abs(lam[a, a] - lam[c, c]) <= 1e-12 * scale and abs(lam[a, c] + lam[c, a]) <= 1e-12 * scale


def block_pattern(n, pattern, block) -> tuple:
    """The structural nonzeros of ``block``'s ``k n`` system with interleaved states (row ``i k + ra``)."""
    k = block.k
    entries = {(i * k + r, j * k + r) for i, j in pattern for r in range(k)}
    entries |= {(i * k + ra, i * k + rc) for i in range(n) for ra, rc, _ in block.scalars}
    entries |= {(i, i) for i in range(n * k)}
    return tuple(sorted(entries))


def block_lu_settings(settings) -> tuple:
    """One LU settings per block (``lu_0``, ``lu_1``, ...): dense, or sparse over :func:`block_pattern`."""
    n, solves = settings.n_states, settings.max_iterations + 2
    out = []
    for b, block in enumerate(block_systems(settings)):
        if settings.pattern is None:
            out.append(LUSettings(block.k * n, spans_invocations=1, solves=solves, component=f"lu_{b}",
                                  persistent=settings.reuse_factor))
        else:
            pattern = block_pattern(n, settings.pattern, block)
            common = dict(spans_invocations=1, solves=solves, component=f"lu_{b}", persistent=settings.reuse_factor)
            # a complex pair in the complex form, where its factor fits straight-line code
            kind = ComplexSparseLUSettings if block.complex_pair else SparseLUSettings
            lu = kind(block.k * n, pattern, **common)
            if kind is ComplexSparseLUSettings and not lu.unrolled:
                lu = SparseLUSettings(block.k * n, pattern, **common)
            out.append(dataclasses.replace(lu, storage=storage_for(settings.factor_storage, "firk", lu.nnz)))
    return tuple(out)


def block_index(settings, k, ra, i):
    """Source index of stage ``ra``, state ``i`` (a literal or ``"i"``) in a vector of a ``k``-stage block."""
    if settings.pattern is None:
        offset = ra * settings.n_states
        return index(i, offset=offset)
    return index(i, k, ra)


def jacobian_size(settings) -> int:
    """Elements of the step's ``J`` buffer: ``n^2`` (dense, or the dense ``jac``'s scratch), else J's pattern."""
    n = settings.n_states
    return n * n if settings.pattern is None or settings.jacobian == "jac" else len(settings.pattern)


def _entry(settings, slot, i, j):
    """Source of ``J[i, j]`` in the ``jm`` buffer (``slot``: J's pattern to compact index)."""
    return f"jm[{i * settings.n_states + j}]" if settings.jacobian == "jac" else f"jm[{slot[(i, j)]}]"


#: The work count of a differenced column or group taken again on the other side of ``y`` (a jump straddled).
RETRIED = ("wk[0] += ONE",)


def jacobian_rhs(settings):
    """Right-hand sides :func:`jacobian_lines` evaluates: ``n`` (dense differences), a group's one
    (sparse differences, :func:`~kernels.solvers.jacobian_assembly.column_groups`), none (``jac``, ``jvp``);
    a column or group taken again at a jump (:data:`RETRIED`) counts one more where it happens."""
    if settings.jacobian in ("jac", "jvp"):
        return 0
    if settings.pattern is None:
        return settings.n_states
    return len(column_groups(settings.n_states, settings.pattern))


def jacobian_lines(settings):
    """Lines writing ``J`` at ``(t, y)`` into ``jm`` (``f0 = f(t, y)``; ``ys`` and ``f_0`` are scratch)."""
    n = settings.n_states
    if settings.jacobian == "jac":
        return ["    jac(t, y, p, jm)"]
    if settings.pattern is None and settings.jacobian == "jvp":  # dense, column j = J e_j (a system without jac)
        column = ["ys[{j}] = ONE", "jvp(t, y, p, ys, f_0)", "ys[{j}] = ZERO"]
        return elementwise(n, lambda i: f"ys[{i}] = ZERO") + _dense_columns(n, column, "f_0[{i}]")
    if settings.pattern is None:  # dense finite differences, column by column (again on the other side at a jump)
        def column(j):
            unrolled = isinstance(j, int)

            def entry(i):
                return f"jm[{int(i) * n + j if unrolled else f'{i} * N + j'}] = jw * (f_0[{i}] - f0[{i}])"

            return one_sided_lines(j, n, LU_UNROLL if unrolled else 0, "jw = ONE / d", entry,
                                   names=("ys", "f_0", "f0"), tolerances="tol", retried=RETRIED)

        return elementwise(n, lambda i: f"ys[{i}] = y[{i}]") + by_column(n, LU_UNROLL, column)
    return grouped_jacobian_lines(n, settings.pattern, settings.jacobian == "jvp",
                                  lambda k, value: f"    jm[{k}] = {value}", names=("ys", "f_0"),
                                  tolerances="tol", unroll=UNROLL_STATES, retried=RETRIED)


def _dense_columns(n, column, entry):
    """Lines filling the dense ``jm`` column by column: ``column``'s lines (``{j}`` the column), then
    ``jm[i, j] = entry`` for every row (``{i}`` the row)."""
    def lines(j):
        head = ["    " + c.format(j=j) for c in column]
        if isinstance(j, int):
            return head + [f"    jm[{i * n + j}] = " + entry.format(i=i) for i in range(n)]
        return head + ["    for i in range(N):", "        jm[i * N + j] = " + entry.format(i="i")]

    return by_column(n, LU_UNROLL, lines)


def _dense_fill(settings, b, block):
    n, k = settings.n_states, block.k
    m, scalar = k * n, {(ra, rc): name for ra, rc, name in block.scalars}
    lines = []
    for ra in range(k):
        for rc in range(k):
            diag = scalar.get((ra, rc))
            if n <= LU_UNROLL:
                for i in range(n):
                    for j in range(n):
                        d = diag if i == j and diag else ""
                        value = f"{d} - jm[{i * n + j}]" if ra == rc else (d or "ZERO")
                        lines.append(f"    fac_{b}[{(ra * n + i) * m + rc * n + j}] = {value}")
                continue
            entry = "-jm[i * N + j]" if ra == rc else "ZERO"
            lines += ["    for i in range(N):", "        for j in range(N):",
                      f"            fac_{b}[({ra * n} + i) * {m} + {rc * n} + j] = {entry}"]
            if diag:
                lines.append(f"        fac_{b}[({ra * n} + i) * {m} + {rc * n} + i] += {diag}")
    return lines


def _complex_fill(settings, b, block, lu):
    """``C = (L_a_a + i L_c_a) I - J`` of a complex pair block ``(a, c)`` over the complex LU's slots."""
    slot = {entry: q for q, entry in enumerate(settings.pattern)}
    scalar = {(ra, rc): name for ra, rc, name in block.scalars}
    lines = []
    for s, (i, j) in enumerate(lu.complex_pattern):
        minus_j = f"{_entry(settings, slot, i, j)}" if (i, j) in slot else None
        if i == j:
            real = f"{scalar[(0, 0)]} - {minus_j}" if minus_j else scalar[(0, 0)]
            imag = scalar[(1, 0)]
        else:
            real, imag = (f"-{minus_j}" if minus_j else "ZERO"), "ZERO"
        lines += [f"    fac_{b}[{2 * s}] = {real}", f"    fac_{b}[{2 * s + 1}] = {imag}"]
    return lines


def _sparse_fill(settings, b, block, lu):
    if isinstance(lu, ComplexSparseLUSettings):
        return _complex_fill(settings, b, block, lu)
    k, slot = block.k, {entry: q for q, entry in enumerate(settings.pattern)}
    scalar = {(ra, rc): name for ra, rc, name in block.scalars}
    lines = []
    for s, (r, c) in enumerate(lu.pattern):
        (i, ra), (j, rc) = divmod(r, k), divmod(c, k)
        diag = scalar.get((ra, rc)) if i == j else None
        minus_j = ra == rc and (i, j) in slot
        if diag and minus_j:
            value = f"{diag} - {_entry(settings, slot, i, j)}"
        elif minus_j:
            value = f"-{_entry(settings, slot, i, j)}"
        else:
            value = diag or "ZERO"
        lines.append(f"    fac_{b}[{s}] = {value}")
    return lines


def factor_lines(settings):
    """Fill each block's matrix from ``jm`` and the ``L_a_c`` (and ``LR``) scalars, and factor it.

    Each factorisation is counted (``wk[2]``, item 8 of :mod:`kernels.steps.base`; the step drops the
    line when it does not count).
    """
    lines = []
    lus = block_lu_settings(settings)
    for b, (block, lu) in enumerate(zip(block_systems(settings), lus)):
        if any(name == "LR" for _, _, name in block.scalars):
            lines.append("    LR = MU * rh")
        lines += _dense_fill(settings, b, block) if settings.pattern is None else _sparse_fill(settings, b, block, lu)
        lines += [f"    code = lu_factor_{b}(fac_{b}, piv_{b})", "    wk[2] += ONE", "    if code != OK:",
                  "        return code"]
    return lines
