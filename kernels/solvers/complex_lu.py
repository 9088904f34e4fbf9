"""Sparse LU of a complex matrix stored as its real 2m x 2m form: Radau's complex-pair block at half the cost.

A FIRK step's complex eigenvalue pair ``alpha +- i beta`` of ``A^-1`` gives a
real ``2m x 2m`` system whose interleaved 2 x 2 blocks (row ``2 i + ra``) all
have the form ``[[x, y], [-y, x]]``: it is the complex ``m x m`` system
``C = (alpha - i beta) / h I - J`` in disguise (Hairer & Wanner, *Solving ODEs
II*, IV.8, solve it in complex arithmetic).  Factoring the real form spends
four words and eight multiply-adds per 2 x 2 block where the complex form
spends two words and four; this solver keeps the complex form: slot ``s`` of
the factor is ``(a[2 s], a[2 s + 1]) = (re, im)`` of complex entry
``entries[s]``, and the right-hand side is the step's interleaved real vector
read as ``(b[2 i], b[2 i + 1]) = (re, im)`` of unknown ``i``.

The settings take the same arguments as :class:`~kernels.solvers.SparseLUSettings`
(``n`` real unknowns, the interleaved real ``pattern``) so the FIRK step
plans and calls it as the real sparse LU; the symbolic work (minimum degree
order, fill) runs on the complex pattern ``{(i // 2, j // 2)}``.  As there,
the pivots are diagonal in a static order (no numerical pivoting: meant for
``C``, diagonally dominant for small ``h``), a pivot is singular when
``|re| + |im|`` is not above ``m eps`` times ``sum_j (|re l_kj| + |im l_kj|)(|re u_jk| + |im u_jk|)``
(its ``m`` terms), nor above the smallest normal number (the rule of :mod:`kernels.solvers.base`),
and ``factor`` and ``solve`` are straight-line code over literal slots (the
factor must fit :attr:`unroll`; the caller falls back to the real form above it).
Those operations are data, the settings' :class:`~kernels.solvers.sparse_lu.LUProgram`
over complex slots, emitted as Python source (:func:`complex_lu_sources`) or
as LLVM IR (:mod:`kernels.solvers.complex_lu_ir`) as :attr:`emit` says, with
the real form's semantics (``"auto"``: IR on the CUDA target).  A pivot's
inverse is ``conj(p) / |p|^2`` with ``p`` scaled by ``1 / (|re| + |im|)``, both
reciprocals :func:`kernels.approx.pivot_reciprocal` (no division subroutine).
"""

from __future__ import annotations

import dataclasses
import functools

from ..errors import ConfigurationError
from .base import singular_check_lines
from .sparse_lu import (SparseLUSettings, _elimination_sets, built_lu, lu_constants, minimum_degree_order,
                        symbolic_fill)

__all__ = ["ComplexSparseLUSettings", "build_complex_sparse_lu", "complex_lu_sources"]


@dataclasses.dataclass(frozen=True)
class ComplexSparseLUSettings(SparseLUSettings):
    """A sparse LU of the complex ``n / 2`` system whose real interleaved form has ``pattern``.

    Same parameters as :class:`~kernels.solvers.SparseLUSettings`; ``n`` (real unknowns) must be even.
    :attr:`nnz` is the factor's length in real words (two per complex entry of ``L + U``);
    :attr:`order`, :attr:`entries` and :attr:`slots` are those of the complex pattern.
    """

    def __post_init__(self):
        super().__post_init__()
        if self.n % 2:
            raise ConfigurationError(f"ComplexSparseLUSettings n: expected an even number of real unknowns "
                                     f"(re, im interleaved), got {self.n}")

    @functools.cached_property
    def complex_pattern(self) -> tuple:
        """The complex matrix's structural nonzeros ``(i, j)`` (the 2 x 2 blocks of ``pattern``)."""
        return tuple(sorted({(i // 2, j // 2) for i, j in self.pattern}))

    @functools.cached_property
    def order(self) -> tuple:
        return minimum_degree_order(self.n // 2, self.complex_pattern)

    @functools.cached_property
    def entries(self) -> tuple:
        """The complex entries of ``L + U``: the complex pattern first, then the fill-in (sorted)."""
        fill = symbolic_fill(self.n // 2, self.complex_pattern, self.order) - set(self.complex_pattern)
        return self.complex_pattern + tuple(sorted(fill))

    @property
    def nnz(self) -> int:
        """Real words of the factor (two per complex entry)."""
        return 2 * len(self.entries)

    @property
    def fill(self) -> int:
        return len(self.entries) - len(self.complex_pattern)

    def flops(self) -> int:
        """Real multiply-adds of one factorisation (four per complex update)."""
        return 4 * sum(len(r) * len(c) + len(r) for r, c in _elimination_sets(self))


def _product(terms, part):
    """``sum x * y`` over complex pairs ``((xr, xi), (yr, yi))``: its real (``part=0``) or imaginary part."""
    if part == 0:
        return " + ".join(f"{xr} * {yr} - {xi} * {yi}" for (xr, xi), (yr, yi) in terms)
    return " + ".join(f"{xr} * {yi} + {xi} * {yr}" for (xr, xi), (yr, yi) in terms)


def complex_lu_sources(settings):
    """The generated straight-line sources ``(factor, solve)`` of ``settings`` (the Python form of its program)."""
    program = settings.program
    re = lambda s: f"a[{2 * s}]"  # noqa: E731 - short source helpers
    im = lambda s: f"a[{2 * s + 1}]"  # noqa: E731
    given = 2 * program.pattern
    lines = ["def factor(a, piv):"] + [f"    a[{q}] = ZERO" for q in range(given, 2 * program.nnz)]
    for (kk, rows), terms in zip(program.pivots, program.terms):
        lines += [f"    dr = {re(kk)}", f"    di = {im(kk)}", "    sc = abs(dr) + abs(di)"]
        lines += singular_check_lines("sc", [f"(abs({re(lk)}) + abs({im(lk)})) * (abs({re(uk)}) + abs({im(uk)}))"
                                             for lk, uk in terms])
        lines += ["    s = RCP(sc)", "    dr = dr * s", "    di = di * s", "    q = RCP(sc * (dr * dr + di * di))",
                  "    dr = dr * q", "    di = -di * q", f"    {re(kk)} = dr", f"    {im(kk)} = di"]
        for rk, updates in rows:
            lines += [f"    lr = {re(rk)}", f"    li = {im(rk)}", "    mr = lr * dr - li * di",
                      "    mi = lr * di + li * dr", f"    {re(rk)} = mr", f"    {im(rk)} = mi"]
            for rc, kc in updates:
                lines += [f"    {re(rc)} -= mr * {re(kc)} - mi * {im(kc)}",
                          f"    {im(rc)} -= mr * {im(kc)} + mi * {re(kc)}"]
    lines.append("    return OK")
    factor = "\n".join(lines) + "\n"

    def pairs(terms):
        return [((re(s), im(s)), (f"b[{2 * j}]", f"b[{2 * j + 1}]")) for s, j in terms]

    lines = ["def solve(a, piv, b):"]
    for i, lower in program.forward:
        if lower:
            lines += [f"    xr = b[{2 * i}] - ({_product(pairs(lower), 0)})",
                      f"    xi = b[{2 * i + 1}] - ({_product(pairs(lower), 1)})",
                      f"    b[{2 * i}] = xr", f"    b[{2 * i + 1}] = xi"]
    for i, upper, d in program.backward:
        if upper:
            lines += [f"    xr = b[{2 * i}] - ({_product(pairs(upper), 0)})",
                      f"    xi = b[{2 * i + 1}] - ({_product(pairs(upper), 1)})"]
        else:
            lines += [f"    xr = b[{2 * i}]", f"    xi = b[{2 * i + 1}]"]
        lines += [f"    b[{2 * i}] = xr * {re(d)} - xi * {im(d)}", f"    b[{2 * i + 1}] = xr * {im(d)} + xi * {re(d)}"]
    return factor, "\n".join(lines) + "\n"


def build_complex_sparse_lu(settings, layout, dtype):
    """Build the complex LU of ``settings`` under a planned ``layout`` (the interface of :func:`build_sparse_lu`)."""
    from . import complex_lu_ir

    if not settings.unrolled:
        raise ConfigurationError(f"ComplexSparseLUSettings: a factor of {settings.nnz} words is above unroll="
                                 f"{settings.unroll} (straight-line code only); use the real SparseLUSettings")
    return built_lu(settings, layout, dtype, lu_constants(dtype, settings.n), complex_lu_sources, complex_lu_ir)
