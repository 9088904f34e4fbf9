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

from numba import cuda

__all__ = ["UNROLL_STATES", "elementwise", "linear_combination", "compile_device"]

# Up to this many states, element loops are written out statement by statement (indices are
# literals); beyond it they stay loops with constant trip counts (the buffers are then too large
# for registers anyway, and the code size would grow the compile time for nothing).
UNROLL_STATES = 16

_serial = itertools.count()


def elementwise(n, statement, unroll=None, indent=1):
    """Source lines applying ``statement(i)`` for ``i`` in ``range(n)``.

    ``statement`` maps an index expression (a literal like ``"3"`` when
    unrolled, ``"i"`` in a loop) to one line of source.  Unrolled when
    ``n <= unroll`` (default :data:`UNROLL_STATES`).
    """
    unroll = UNROLL_STATES if unroll is None else unroll
    pad = "    " * indent
    if n <= unroll:
        return [pad + statement(str(i)) for i in range(n)]
    return [f"{pad}for i in range({n}):", pad + "    " + statement("i")]


def linear_combination(terms, index):
    """``c_1 * x_1[index] + c_2 * x_2[index] + ...`` for ``terms = [(coefficient_name, array_name)]``.

    Returns ``None`` for no terms (the caller decides what an empty sum means:
    ``0 + x`` is not folded in floating point, so nothing is added).
    """
    if not terms:
        return None
    return " + ".join(f"{c} * {x}[{index}]" for c, x in terms)


def compile_device(source, name, namespace, inline=False):
    """Compile generated ``source`` defining function ``name`` into a device function.

    ``namespace`` holds the globals it reads (constants, device functions).
    The source gets a unique file name so Numba's error messages and caches
    never confuse two generated functions.
    """
    scope = dict(namespace)
    code = compile(source, f"<bufferplan:{name}:{next(_serial)}>", "exec")
    exec(code, scope)  # noqa: S102 - source generated here from tableau data and sizes
    func = scope[name]
    func.__bufferplan_source__ = source
    return cuda.jit(device=True, inline="always" if inline else "never")(func)
