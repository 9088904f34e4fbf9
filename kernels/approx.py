"""Approximate reciprocal, base-2 logarithm and power where exact ones cost more than they give.

Users: the step-size control (:func:`reciprocal`, :func:`log2_approx`,
:func:`exp2_approx`), Newton's norm and rates (:func:`norm_reciprocal`,
:func:`power`) and the LU pivots (:func:`pivot_reciprocal`, within an ulp).

The error measure and the controller only steer the step size, so they can use
the GPU's special-function unit directly.  Numba's fast-math ``1 / x``,
``log2`` and ``exp2`` do, but without flush-to-zero (which Numba sets for a
whole kernel or not at all) each comes wrapped in a few instructions that
rescale subnormal inputs: about a sixth of the adaptive loop's control
overhead.  Here they are the bare PTX ``.approx.ftz`` instructions (one SASS
``MUFU`` each, max relative error about 2^-22).  Subnormal inputs count as
zero, which the callers never feed them: tolerances, error norms and step
factors are normal numbers or zero, and a zero or infinite input gives the
IEEE answer (``rcp(0) = inf``, ``log2(0) = -inf``, ``log2(inf) = inf``,
``exp2(-inf) = 0``).

On Numba's CUDA simulator they are the NumPy float32 operations.  Float64
kernels do not use the float32 ones (:func:`reciprocal` is then an exact
division; the others take a float64 seed and Newton corrections).
"""

from __future__ import annotations

import functools

import numpy as np

from .backend import backend

__all__ = ["reciprocal", "norm_reciprocal", "pivot_reciprocal", "emit_pivot_reciprocal", "power", "reciprocal_seed_f64",
           "log2_approx", "exp2_approx"]


def _simulated():
    f32 = np.float32

    def rcp(x):
        with np.errstate(divide="ignore"):
            return f32(1.0) / f32(x)

    def lg2(x):
        with np.errstate(divide="ignore"):
            return np.log2(f32(x))

    def ex2(x):
        with np.errstate(over="ignore"):
            return np.exp2(f32(x))

    def rcp64(x):
        with np.errstate(divide="ignore"):
            return np.float64(1.0) / np.float64(x)

    return rcp, lg2, ex2, rcp64


def _ptx():
    from llvmlite import ir
    from numba import types
    from numba.cuda.extending import intrinsic

    def unary(instruction):
        @intrinsic
        def op(typingctx, x):
            if x != types.float32:
                return None

            def codegen(context, builder, signature, args):
                f32 = ir.FloatType()
                asm = ir.InlineAsm(ir.FunctionType(f32, [f32]), f"{instruction} $0, $1;", "=f,f")
                return builder.call(asm, args)

            return types.float32(types.float32), codegen

        return op

    @intrinsic
    def rcp64(typingctx, x):
        if x != types.float64:
            return None

        def codegen(context, builder, signature, args):
            f64 = ir.DoubleType()
            # side_effect: kept where it is written, not hoisted out of loops (a live float64 pair)
            asm = ir.InlineAsm(ir.FunctionType(f64, [f64]), "rcp.approx.ftz.f64 $0, $1;", "=d,d", side_effect=True)
            return builder.call(asm, args)

        return types.float64(types.float64), codegen

    return unary("rcp.approx.ftz.f32"), unary("lg2.approx.ftz.f32"), unary("ex2.approx.ftz.f32"), rcp64


@functools.cache
def _ops():
    """The three operations for the backend in use (built on first use)."""
    return _ptx() if backend() == "cuda" else _simulated()


def reciprocal(dtype):
    """``1 / x`` for ``dtype`` scalars: approximate for float32, exact for float64 (a device callable)."""
    if np.dtype(dtype) == np.float32:
        return _ops()[0]
    from numba import cuda

    one = np.float64(1.0)

    @cuda.jit(device=True, inline="always")
    def exact(x):
        return one / x

    return exact


def norm_reciprocal(dtype):
    """``1 / x`` good to a few units in the last place of float32, for the weights of a norm (a device callable).

    Newton's increment norm and contraction rate only decide when to stop
    iterating, so they need no correctly rounded division, whose slow-path
    test and call cost about ten instructions each (n of them an iteration).
    float32: the bare ``rcp.approx.ftz.f32``; float64: the ``rcp.approx.ftz.f64``
    seed and one Newton correction (about 40 correct bits, no call).  Exact
    on the simulator.
    """
    if np.dtype(dtype) == np.float32:
        return _ops()[0]
    from numba import cuda

    seed, two = _ops()[3], np.float64(2.0)

    @cuda.jit(device=True, inline="always")
    def refined(x):
        r = seed(x)
        return r * (two - x * r)

    return refined


def pivot_reciprocal(dtype):
    """``1 / x`` to within an ulp without the correctly rounded division's slow path (a device callable).

    An LU's pivots: the IEEE division is a test and a call to a subroutine at every
    site, and a factor of n pivots holds n of them; the calls' register conventions
    cost spills at every site of a kernel near the register limit (radau on the
    Brusselator n = 32: 164 division sites).  Here: the ``rcp.approx.ftz`` seed and
    Newton corrections by FMA (one for float32, two for float64: within an ulp).
    Exact on the simulator.  A subnormal ``x`` gives infinity, which the LU's
    singularity test (never a pivot below the smallest normal number,
    :mod:`kernels.solvers.base`) keeps out of the factors.  :func:`emit_pivot_reciprocal` is the same as IR.
    """
    from numba import cuda

    one = np.dtype(dtype).type(1.0)
    if backend() != "cuda":

        @cuda.jit(device=True, inline="always")
        def exact(x):
            return one / x

        return exact
    single = np.dtype(dtype) == np.float32
    seed = _ops()[0] if single else _ops()[3]

    @cuda.jit(device=True, inline="always")
    def refined(x):
        r = seed(x)
        r = cuda.fma(r, cuda.fma(-x, r, one), r)
        if not single:
            r = cuda.fma(r, cuda.fma(-x, r, one), r)
        return r

    return refined


def emit_pivot_reciprocal(builder, value, cuda_target, negate):
    """The IR of :func:`pivot_reciprocal` for ``value`` (a float or double): exact division off CUDA.

    ``negate(value)``: the target's unary minus, as the device function's ``-x`` lowers.
    """
    from llvmlite import ir

    one = ir.Constant(value.type, 1.0)
    if not cuda_target:
        return builder.fdiv(one, value)
    single = isinstance(value.type, ir.FloatType)
    name, code = ("rcp.approx.ftz.f32", "f") if single else ("rcp.approx.ftz.f64", "d")
    asm = ir.InlineAsm(ir.FunctionType(value.type, [value.type]), f"{name} $0, $1;", f"={code},{code}",
                       side_effect=not single)
    r = builder.call(asm, [value])
    for _ in range(1 if single else 2):
        r = builder.fma(r, builder.fma(negate(value), r, one), r)
    return r


def power(dtype):
    """``x ** e`` for a positive ``dtype`` scalar ``x`` (a device callable ``power(x, e)``).

    float32: ``2 ** (e log2 x)`` on the special-function unit (a few ulp;
    for constants that only steer an iteration); float64: the exact power.
    """
    from numba import cuda

    if np.dtype(dtype) == np.float32:
        lg2, ex2 = _ops()[1], _ops()[2]

        @cuda.jit(device=True, inline="always")
        def approximate(x, e):
            return ex2(e * lg2(x))

        return approximate

    @cuda.jit(device=True, inline="always")
    def exact(x, e):
        return x ** e

    return exact


def reciprocal_seed_f64():
    """An approximate ``1 / x`` of a float64 (a device callable): a seed for a Newton correction.

    The bare ``rcp.approx.ftz.f64`` (about 20 correct bits, no slow-path
    subroutine); exact on the simulator.  Unlike the exact division, it keeps
    no call in the kernel, whose callee's registers add to the caller's peak.
    """
    return _ops()[3]


def log2_approx():
    """``log2(x)`` of a float32 (a device callable)."""
    return _ops()[1]


def exp2_approx():
    """``2 ** x`` of a float32 (a device callable)."""
    return _ops()[2]
