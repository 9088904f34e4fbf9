"""Values read again where they are needed, instead of held in registers across a hot loop.

The fixed-step loop settles a save interval (its times, and the addresses of
the trajectory's rows) and then runs thousands of steps that touch none of
it.  Compiled as written, each such value, and every address the compiler
derives from it and hoists, holds a register for the whole run of steps.  For
RK4 on Lorenz that was 40 registers against the 28 of a hand-written loop, so
48 resident warps an SM instead of 64 (Nsight Compute on the H200: no warp
ready to issue in 17 % of cycles against 12 %; issue #9).  With this module it
is 32 registers, 64 warps.

The compiler keeps a value live because it may reuse it: a plain load of
``t_eval[k]`` after the steps is forwarded from the one before them, and
``cuda.grid(1)`` is computed once.  These two operations are opaque to it
(inline PTX with side effects), so they are done again where they are
written, at the cost of one load or three special-register reads per
interval, and nothing stays live across the steps:

* :func:`reread` ``(array, i)`` loads ``array[i]`` from global memory
  (``ld.global.nc``: the arrays it reads are never written by the kernel);
* :func:`grid_index` ``()`` is ``cuda.grid(1)``, the thread's trajectory.

On the simulator they are the plain operations.
"""

from __future__ import annotations

import functools

from numba import cuda

from .backend import backend

__all__ = ["rematerializers"]


def _simulated():
    def reread(array, index):
        return array[index]

    # A device function with ``cuda`` a module global, which the simulator swaps for the thread's own.
    grid_index = cuda.jit(device=True)(_grid_index)
    return reread, grid_index


def _grid_index():
    return cuda.grid(1)


def _ptx():
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.cuda.extending import intrinsic

    widths = {types.float64: ("b64", "d"), types.int64: ("b64", "l"), types.float32: ("b32", "f"),
              types.int32: ("b32", "r")}

    @intrinsic
    def reread(typingctx, array, index):
        if not (isinstance(array, types.Array) and array.dtype in widths and isinstance(index, types.Integer)):
            return None

        def codegen(context, builder, signature, args):
            array_type = signature.args[0]
            width, code = widths[array_type.dtype]
            struct = context.make_array(array_type)(context, builder, value=args[0])
            ptr = cgutils.get_item_pointer(context, builder, array_type, struct, [args[1]], wraparound=False)
            address = builder.ptrtoint(ptr, ir.IntType(64))
            fn = ir.FunctionType(context.get_value_type(array_type.dtype), [address.type])
            text = "{ .reg .u64 a; cvta.to.global.u64 a, $1; " f"ld.global.nc.{width} $0, [a]; }}"
            return builder.call(ir.InlineAsm(fn, text, f"={code},l", side_effect=True), [address])

        return array.dtype(array, index), codegen

    @intrinsic
    def grid_index(typingctx):
        def codegen(context, builder, signature, args):
            fn = ir.FunctionType(ir.IntType(64), [])
            text = ("{ .reg .u32 b, n, t; .reg .u64 w; mov.u32 b, %ctaid.x; mov.u32 n, %ntid.x; "
                    "mov.u32 t, %tid.x; mul.wide.u32 $0, b, n; cvt.u64.u32 w, t; add.s64 $0, $0, w; }")
            return builder.call(ir.InlineAsm(fn, text, "=l", side_effect=True), [])

        return types.int64(), codegen

    return reread, grid_index


@functools.cache
def _ops():
    return _ptx() if backend() == "cuda" else _simulated()


def rematerializers():
    """``(reread, grid_index)`` for the backend in use (see the module docstring)."""
    return _ops()
