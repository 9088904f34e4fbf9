"""The complex sparse LU's straight-line ``factor`` and ``solve`` written directly as LLVM IR (issue #10).

Radau's complex-pair block (:mod:`kernels.solvers.complex_lu`) is straight-line
code over interleaved ``(re, im)`` words, four real operations per complex
multiply-add: the largest generated source of a Radau kernel, and most of its
compile time as Python source.  Here its :class:`~kernels.solvers.sparse_lu.LUProgram`
(slots are complex entries: words ``2 s`` and ``2 s + 1``) is emitted by
intrinsics built on the real form's machinery (:mod:`kernels.solvers.sparse_lu_ir`).

Every real operation is the Python form's, in the order Python evaluates the
generated source (left to right; a sum of products ``x - y + z - w`` as
``((x - y) + z) - w``), each array read a fresh load where the source reads
it (in the factor's ``"memory"`` storage a pivot row's words are loaded once
per pivot), with no fast-math flags and the target's own ``abs``, ``max`` and
unary ``-``: bit-identical results and the same code for NVVM.
"""

from __future__ import annotations

from .sparse_lu_ir import lu_factor_intrinsic, lu_solve_intrinsic, outline

__all__ = ["factor_intrinsic", "solve_intrinsic"]


def _eliminate(emitter, kk, rows, check):
    """One complex pivot: ``d = 1 / a_kk`` (scaled by ``|re| + |im|``), multipliers ``m = a_rk d`` and updates
    ``a_rc -= m a_kc`` in complex arithmetic over the words ``(2 s, 2 s + 1)``."""
    builder, load, store = emitter.builder, emitter.load, emitter.store
    pivot_row = emitter.pivot_row()
    dr, di = load(2 * kk), load(2 * kk + 1)
    sc = builder.fadd(emitter.fabs(dr), emitter.fabs(di))
    check(sc)
    s = emitter.pivot_reciprocal(sc)
    dr, di = builder.fmul(dr, s), builder.fmul(di, s)
    norm = builder.fadd(builder.fmul(dr, dr), builder.fmul(di, di))
    q = emitter.pivot_reciprocal(builder.fmul(sc, norm))
    dr, di = builder.fmul(dr, q), builder.fmul(emitter.negate(di), q)
    store(dr, 2 * kk)
    store(di, 2 * kk + 1)
    for rk, updates in rows:
        lr, li = load(2 * rk), load(2 * rk + 1)
        mr = builder.fsub(builder.fmul(lr, dr), builder.fmul(li, di))
        mi = builder.fadd(builder.fmul(lr, di), builder.fmul(li, dr))
        store(mr, 2 * rk)
        store(mi, 2 * rk + 1)
        for rc, kc in updates:
            # a[2 rc] -= mr * a[2 kc] - mi * a[2 kc + 1];  a[2 rc + 1] -= mr * a[2 kc + 1] + mi * a[2 kc]
            for word, (first, second, combine) in enumerate(((2 * kc, 2 * kc + 1, builder.fsub),
                                                             (2 * kc + 1, 2 * kc, builder.fadd))):
                target = load(2 * rc + word)
                product = builder.fmul(mr, pivot_row(first))
                update = combine(product, builder.fmul(mi, pivot_row(second)))
                store(builder.fsub(target, update), 2 * rc + word)


def factor_intrinsic(program, eps, tiny, ok, singular, memory=False, shared=False):
    """An intrinsic ``factor(a) -> int32`` running the complex ``program``'s factorisation on ``a`` in place.

    As :func:`kernels.solvers.sparse_lu_ir.factor_intrinsic`, with two words per slot; a pivot is singular
    when ``|re| + |im|`` is not above ``max(m eps * g, tiny)``, ``g`` the sum over the ``m`` terms eliminated into it
    of ``(|re l| + |im l|)(|re u| + |im u|)``.
    """
    return lu_factor_intrinsic(program, eps, tiny, ok, singular, 2, _eliminate, memory, shared)


def _product_sum(emitter, terms, part):
    """``sum a_s * b_j`` over ``terms`` ``(s, j)``: its real (``part=0``) or imaginary part, as Python evaluates
    ``xr*yr - xi*yi + ...`` (real) or ``xr*yi + xi*yr + ...`` (imaginary) left to right."""
    builder = emitter.builder
    combine = builder.fsub if part == 0 else builder.fadd
    total = None
    for s, j in terms:
        first = builder.fmul(emitter.load(2 * s), emitter.load(2 * j + part, 1))
        total = first if total is None else builder.fadd(total, first)
        total = combine(total, builder.fmul(emitter.load(2 * s + 1), emitter.load(2 * j + 1 - part, 1)))
    return total


def solve_intrinsic(program, memory=False):
    """An intrinsic ``solve(a, b)`` overwriting the interleaved ``b`` with the solution from the complex factor ``a``."""

    def emit(emitter):
        builder, load, store = emitter.builder, emitter.load, emitter.store

        def row_value(i, terms):  # (xr, xi) = b_i - sum terms, or b_i
            if not terms:
                return load(2 * i, 1), load(2 * i + 1, 1)
            xr = builder.fsub(load(2 * i, 1), _product_sum(emitter, terms, 0))
            return xr, builder.fsub(load(2 * i + 1, 1), _product_sum(emitter, terms, 1))

        for i, lower in program.forward:
            if lower:
                xr, xi = row_value(i, lower)
                store(xr, 2 * i, 1)
                store(xi, 2 * i + 1, 1)
        for i, upper, d in program.backward:
            xr, xi = row_value(i, upper)
            # b[2 i] = xr * a[2 d] - xi * a[2 d + 1];  b[2 i + 1] = xr * a[2 d + 1] + xi * a[2 d]
            real = builder.fmul(xr, load(2 * d))
            store(builder.fsub(real, builder.fmul(xi, load(2 * d + 1))), 2 * i, 1)
            imag = builder.fmul(xr, load(2 * d + 1))
            store(builder.fadd(imag, builder.fmul(xi, load(2 * d))), 2 * i + 1, 1)

    return lu_solve_intrinsic(emit, (__name__, program), memory, outline(program, memory))
