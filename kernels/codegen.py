"""Generated device code: Python source built from compile-time constants, compiled by Numba.

A per-thread array stays in registers only when every index into it is a
compile-time constant after Numba and LLVM are done; loops over stages and
states are unrolled by LLVM only while its size threshold allows, which is
why a step can be fast for three states and many times slower for six.  So
the step families do not rely on unrolling: they write their stage sums as
source text with literal indices (:func:`elementwise`) and compile it here.

Constants reach the generated code as globals of its namespace, typed in the
working precision (a bare Python float would be float64 and promote a
float32 kernel's arithmetic).
"""

from __future__ import annotations

import itertools

import numpy as np
from numba import cuda

__all__ = ["UNROLL_STATES", "elementwise", "index", "loop_header", "linear_combination", "compile_device"]

# Up to this many states, element loops are written out statement by statement (indices are
# literals); beyond it they are loops with constant trip counts over an unsigned index, which LLVM
# may still unroll (it does for most at 64 and 128 states, and that is faster there: opaque trip
# counts that keep them loops were 1.2 to 3x slower on the H200, benchmarks/results/unsigned_loops_2026-12-02/).
UNROLL_STATES = 16

_serial = itertools.count()


def loop_header(n, var="i", indent=1):
    """``for var in range(n):`` over an unsigned index.

    Numba guards every access through a signed index against a negative value
    (64-bit compares and selects per access, which LLVM does not remove even
    where the index cannot be negative); an unsigned one has no such guard.
    Index arithmetic on ``var`` needs unsigned operands to stay unsigned (a
    signed ``int64`` operand makes the sum signed, and the guard returns):
    write it with :func:`index`.
    """
    return f"{'    ' * indent}for {var} in range(uint64({n})):"


def index(i, stride=1, offset=0):
    """Source of the index ``i * stride + offset``.

    ``i`` is a literal (``"3"``: the sum is folded here) or the unsigned
    loop variable of :func:`loop_header` (the constants are then written as
    ``uint64``, so the index stays unsigned).
    """
    if i.isdigit():
        return str(int(i) * stride + offset)
    term = i if stride == 1 else f"{i} * uint64({stride})"
    return f"{term} + uint64({offset})" if offset else term


def elementwise(n, statement, unroll=None, indent=1):
    """Source lines applying ``statement(i)`` for ``i`` in ``range(n)``.

    ``statement`` maps an index expression (a literal like ``"3"`` when
    unrolled, ``"i"`` in a loop) to one line of source.  Unrolled when
    ``n <= unroll`` (default :data:`UNROLL_STATES`); the loop's index is
    unsigned (:func:`loop_header`), so offsets go through :func:`index`.
    """
    unroll = UNROLL_STATES if unroll is None else unroll
    pad = "    " * indent
    if n <= unroll:
        return [pad + statement(str(i)) for i in range(n)]
    return [loop_header(n, indent=indent), pad + "    " + statement("i")]


def by_column(n, unroll, column):
    """Lines of ``column(j)`` for each column ``j < n``: a literal ``j`` (an int) up to ``unroll`` columns, above
    that one ``for j in range(N):`` around ``column("j")``, indented a level.  ``column`` gives lines at one
    level of indentation (Jacobians and iteration matrices filled column by column)."""
    if n <= unroll:
        return [line for j in range(n) for line in column(j)]
    return ["    for j in range(N):"] + ["    " + line for line in column("j")]


def linear_combination(terms, at):
    """``c_1 * x_1[at] + c_2 * x_2[at] + ...`` for ``terms = [(coefficient_name, array_name)]``.

    Returns ``None`` for no terms (the caller decides what an empty sum means:
    ``0 + x`` is not folded in floating point, so nothing is added).
    """
    if not terms:
        return None
    return " + ".join(f"{c} * {x}[{at}]" for c, x in terms)


def compile_device(source, name, namespace, inline=False):
    """Compile generated ``source`` defining function ``name`` into a device function.

    ``namespace`` holds the globals it reads (constants, device functions).
    The source gets a unique file name so Numba's error messages and caches
    never confuse two generated functions.
    """
    scope = {"uint64": np.uint64, **namespace}  # unsigned loop indices (loop_header, index)
    code = compile(source, f"<bufferplan:{name}:{next(_serial)}>", "exec")
    exec(code, scope)  # noqa: S102 - source generated here from tableau data and sizes
    func = scope[name]
    func.__bufferplan_source__ = source
    return cuda.jit(device=True, inline="always" if inline else "never")(func)
