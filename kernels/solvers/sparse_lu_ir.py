"""The sparse LU's straight-line ``factor`` and ``solve`` written directly as LLVM IR (issue #10).

Numba's compile time for generated Python source grows with the number of
statements (typing and lowering are quadratic in a basic block's length), and
the straight-line sparse LU is thousands of ``a[t] -= m * a[s]`` statements.
Here the same :class:`~kernels.solvers.sparse_lu.LUProgram` is emitted by a
Numba ``@intrinsic`` whose code generator writes every operation with
llvmlite's IRBuilder, so Numba types and lowers one call per device function.

The IR is the Python form's operation for operation, in the same order and
with no fast-math flags: loads and stores through the array's data pointer at
literal slots, ``fmul``/``fsub``/``fadd``/``fdiv`` in the array's dtype,
``abs`` and ``max`` by the target's own implementations (the CPU's keeps a
NaN ``amax``, CUDA's ``fmax`` skips a NaN operand), and the singular
pivot test ``not abs(d) > tiny`` as an early exit returning
``SINGULAR_MATRIX``.  So results are bit-identical to the Python form on the
same target, and NVVM sees the same code.

The intrinsics lower on any Numba target (the CUDA target, and the CPU one,
which the tests use to check them without a GPU); they do not run on Numba's
CUDA simulator, which interprets Python: there the Python form is used
(:attr:`~kernels.solvers.SparseLUSettings.emit`).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core.extending import intrinsic

__all__ = ["factor_intrinsic", "solve_intrinsic"]


class _Slots:
    """Loads and stores of one 1-D array at literal indices (contiguous: a GEP; strided: through ``strides``)."""

    def __init__(self, context, builder, aryty, value):
        self.builder = builder
        self.array = context.make_array(aryty)(context, builder, value)
        self.intp = context.get_value_type(types.intp)
        self.contiguous = aryty.layout in ("C", "F")
        self.stride = None if self.contiguous else builder.extract_value(self.array.strides, 0)

    def pointer(self, index):
        data, builder = self.array.data, self.builder
        if self.contiguous:
            return builder.gep(data, [ir.Constant(self.intp, index)], inbounds=True)
        offset = builder.mul(ir.Constant(self.intp, index), self.stride)
        return builder.inttoptr(builder.add(builder.ptrtoint(data, self.intp), offset), data.type)

    def load(self, index):
        return self.builder.load(self.pointer(index))

    def store(self, value, index):
        self.builder.store(value, self.pointer(index))


def _float_vector(a):
    return isinstance(a, types.Array) and a.ndim == 1 and isinstance(a.dtype, types.Float)


def _builtin(context, function, argument_types):
    """``call(builder, values)``: the target's implementation of a builtin (``abs``, ``max``), resolved as a
    call in the Python form resolves it (the CPU types ``max(x, y)`` as ``max`` of one tuple: packed here)."""
    typing = context.typing_context
    function_type = typing.resolve_value_type(function)
    signature = function_type.get_call_type(typing, argument_types, {})
    implementation = context.get_function(function_type, signature)
    packed = len(argument_types) > 1 and len(signature.args) == 1

    def call(builder, values):
        if packed:
            values = (context.make_tuple(builder, signature.args[0], values),)
        return implementation(builder, values)

    return call


def factor_intrinsic(program, eps, ok, singular):
    """An intrinsic ``factor(a) -> int32`` running ``program``'s factorisation on ``a`` in place.

    ``eps``: the relative singularity threshold (the dtype's machine epsilon); ``ok``/``singular``:
    the int32 codes returned.
    """

    @intrinsic
    def sparse_lu_factor(typingctx, a):
        if not _float_vector(a):
            return None

        def codegen(context, builder, signature, args):
            slots = _Slots(context, builder, signature.args[0], args[0])
            dtype = signature.args[0].dtype
            real = context.get_value_type(dtype)
            absolute, larger = (_builtin(context, function, (dtype,) * arity) for function, arity in ((abs, 1), (max, 2)))

            def fabs(value):
                return absolute(builder, (value,))

            amax = fabs(slots.load(0))
            for s in range(1, program.pattern):
                amax = larger(builder, (amax, fabs(slots.load(s))))
            tiny = builder.fmul(ir.Constant(real, eps), amax)
            for s in range(program.pattern, program.nnz):
                slots.store(ir.Constant(real, 0.0), s)
            exit_singular = builder.append_basic_block("sparse_lu.singular")
            for kk, rows in program.pivots:
                d = slots.load(kk)
                nonsingular = builder.append_basic_block("sparse_lu.pivot")
                builder.cbranch(builder.fcmp_unordered("<=", fabs(d), tiny), exit_singular,
                                nonsingular)
                builder.position_at_end(nonsingular)
                d = builder.fdiv(ir.Constant(real, 1.0), d)
                slots.store(d, kk)
                for lk, updates in rows:
                    m = builder.fmul(slots.load(lk), d)
                    slots.store(m, lk)
                    for target, source in updates:
                        slots.store(builder.fsub(slots.load(target), builder.fmul(m, slots.load(source))), target)
            factored = builder.block
            done = builder.append_basic_block("sparse_lu.done")
            builder.branch(done)
            builder.position_at_end(exit_singular)
            builder.branch(done)
            builder.position_at_end(done)
            code = builder.phi(ir.IntType(32))
            code.add_incoming(ir.Constant(ir.IntType(32), int(ok)), factored)
            code.add_incoming(ir.Constant(ir.IntType(32), int(singular)), exit_singular)
            return code

        return types.int32(a), codegen

    return sparse_lu_factor


def solve_intrinsic(program):
    """An intrinsic ``solve(a, b)`` overwriting ``b`` with the solution from ``program``'s factor ``a``."""

    @intrinsic
    def sparse_lu_solve(typingctx, a, b):
        if not (_float_vector(a) and _float_vector(b) and a.dtype == b.dtype):
            return None

        def codegen(context, builder, signature, args):
            factor = _Slots(context, builder, signature.args[0], args[0])
            rhs = _Slots(context, builder, signature.args[1], args[1])

            def dot(terms):  # a[s1] * b[j1] + a[s2] * b[j2] + ..., left to right as Python adds
                total = None
                for s, j in terms:
                    product = builder.fmul(factor.load(s), rhs.load(j))
                    total = product if total is None else builder.fadd(total, product)
                return total

            for i, lower in program.forward:
                if lower:
                    rhs.store(builder.fsub(rhs.load(i), dot(lower)), i)
            for i, upper, diagonal in program.backward:
                value = builder.fsub(rhs.load(i), dot(upper)) if upper else rhs.load(i)
                rhs.store(builder.fmul(value, factor.load(diagonal)), i)
            return context.get_dummy_value()

        return types.void(a, b), codegen

    return sparse_lu_solve
