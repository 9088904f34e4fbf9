"""The sparse LU's straight-line ``factor`` and ``solve`` written directly as LLVM IR (issue #10).

Numba's compile time for generated Python source grows with the number of
statements (typing and lowering are quadratic in a basic block's length), and
the straight-line sparse LU is thousands of ``a[t] -= m * a[s]`` statements.
Here the same :class:`~kernels.solvers.sparse_lu.LUProgram` is emitted by a
Numba ``@intrinsic`` whose code generator writes every operation with
llvmlite's IRBuilder, so Numba types and lowers one call per device function.

The IR is the Python form's operation for operation, in the same order and
with no fast-math flags: loads and stores through the array's data pointer at
literal slots, ``fmul``/``fsub``/``fadd`` in the array's dtype, the pivots'
reciprocal as :func:`kernels.approx.pivot_reciprocal` computes it (a division on the CPU),
``abs`` and ``max`` by the target's own implementations (the CPU's keeps a
NaN operand, CUDA's ``fmax`` skips it), and the singular pivot
test ``not abs(d) > max(m EPS * g, TINY)`` (``g = sum |l_kj u_jk|`` over the
``m`` terms of the program's :attr:`~kernels.solvers.sparse_lu.LUProgram.terms`) as an early exit returning
``SINGULAR_MATRIX``.  So results are bit-identical to the Python form on the
same target, and NVVM sees the same code.

The intrinsics lower on any Numba target (the CUDA target, and the CPU one,
which the tests use to check them without a GPU); they do not run on Numba's
CUDA simulator, which interprets Python: there the Python form is used
(:attr:`~kernels.solvers.SparseLUSettings.emit`).

The machinery shared with the complex LU's IR form
(:mod:`kernels.solvers.complex_lu_ir`) lives here: :class:`Emitter` (literal
loads and stores, constants and the target's builtins) and
:func:`lu_factor_intrinsic` (the factor's frame: the zeroed fill-in, each pivot's singular threshold,
the singular exit and the returned status), which calls back per pivot, and
:func:`lu_solve_intrinsic` (the solve's typed frame).
"""

from __future__ import annotations

import hashlib
import operator

from llvmlite import ir
from numba import types
from numba.core.extending import intrinsic

from ..approx import emit_pivot_reciprocal

__all__ = ["Emitter", "lu_factor_intrinsic", "lu_solve_intrinsic", "float_vector", "factor_intrinsic",
           "solve_intrinsic"]


def _outlined(context, builder, signature, args, body, result, key):
    """``body(context, builder, signature, args)`` emitted into a ``noinline`` function of its own, and a call to it.

    For a factor or solve in "memory" storage on the CUDA target (issue #10): NVVM at -O3 spent most of a radau
    kernel's compile (9.6 of 18.8 s offline at 64 states) optimising the step with both LU factors and solves
    inlined into it; outlined, it optimises each apart (3.5 s) and ptxas still inlines the bodies at their call
    sites (one .text section in the cubin offline).  A factor in "registers" storage stays inline: NVVM must see
    its loads and stores to keep it in registers.  ``result``: the LLVM return type, or None for void.

    ``key`` (with the signature) names the function: everything its body depends on.  Numba links each
    caller's module into the kernel's, where functions of one name are one function (weak linkage): two
    bodies must never share a name (a per-module unique name gave the factor and the solve one, and both
    calls ran the solve), and equal bodies may.
    """
    types_in = [context.get_value_type(t) for t in signature.args]
    digest = hashlib.sha1(repr((key, str(signature))).encode()).hexdigest()[:20]
    fn = ir.Function(builder.module, ir.FunctionType(result or ir.VoidType(), types_in),
                     name=f"bufferplan_lu_{digest}")
    fn.linkage = "internal"
    fn.attributes.add("noinline")
    inner = ir.IRBuilder(fn.append_basic_block("entry"))
    value = body(context, inner, signature, list(fn.args))
    if result is None:
        inner.ret_void()
    else:
        inner.ret(value)
    call = builder.call(fn, list(args))
    return call if result is not None else context.get_dummy_value()


#: Entries of a factor (its program's ``nnz``) from which a memory-storage factor and solve are outlined
#: (:func:`_outlined`).  Radau on the Brusselator, H200, fixed steps, 65536 trajectories: at 128 states (634
#: entries) outlined kernels time as inline ones did (float32 15.8 ms, float64 40.9) and compile in 30 s;
#: at 64 states (314) outlined ones were 1.2 to 1.6x slower (float32 12.4 ms against 7.95 inline, float64
#: 27.8 against 22.9) for a compile of 15 to 18 s (18.2 -> 11.7 s offline), so 64 states stays inline; at 16
#: and 32 (74, 154) outlined bodies spilled more (a regression hunt: 0 -> 376 B at 16 states).
OUTLINE_MIN_ENTRIES = 512
#: Entries from which a memory-storage factor in local memory is outlined alone, its solves staying inline (it
#: runs once a Jacobian, a solve at every Newton iteration or stage).  Radau at 64 states (314 entries): NVVM
#: 8.6 -> 4.8 s offline, the cold compile alone on an H100 21.9 -> 17.6 s, kernels level (float32 8.34 against
#: 8.27 / 8.23 ms, float64 24.92 against 24.81 / 24.76; session 49); at 32 states (154) its spills grew offline
#: (340 -> 376 B), so it stays inline there.  A factor in shared memory waits for :data:`OUTLINE_MIN_ENTRIES`:
#: sdirk4 at 64 states float32, its factor shared (``auto``), ran 10 % slower with it outlined (4.03 against 3.66
#: / 3.69 ms).
FACTOR_OUTLINE_MIN_ENTRIES = 256


def outline(program, memory):
    """Whether a factor of ``program`` (real or complex: ``nnz`` counts entries) in ``memory`` storage gets its
    solve outlined."""
    return memory and program.nnz >= OUTLINE_MIN_ENTRIES


def outline_factor(program, memory, shared=False):
    """Whether a factor of ``program`` in ``memory`` storage (``shared``: placed in shared memory) is factored by
    an outlined function: from :data:`FACTOR_OUTLINE_MIN_ENTRIES` in local memory, :data:`OUTLINE_MIN_ENTRIES` in
    shared."""
    return memory and program.nnz >= (OUTLINE_MIN_ENTRIES if shared else FACTOR_OUTLINE_MIN_ENTRIES)


def _on_cuda(context):
    return type(context).__name__ == "CUDATargetContext"


class _Slots:
    """Loads and stores of one 1-D array at literal indices (contiguous: a GEP; strided: through ``strides``).

    ``in_memory``: each load and store is an inline PTX ``ld``/``st`` with side effects (generic
    addressing, so the array may be local or shared), which the compiler can neither forward nor
    remove: the array is not promoted to registers, and a value stored is read back where the code
    reads it (:attr:`SparseLUSettings.storage` ``"memory"``; CUDA target only).
    """

    def __init__(self, context, builder, aryty, value, in_memory=False):
        self.builder = builder
        self.array = context.make_array(aryty)(context, builder, value)
        self.intp = context.get_value_type(types.intp)
        self.contiguous = aryty.layout in ("C", "F")
        self.stride = None if self.contiguous else builder.extract_value(self.array.strides, 0)
        self.in_memory = in_memory
        if in_memory:
            element = context.get_value_type(aryty.dtype)
            width, code = {32: ("f32", "f"), 64: ("f64", "d")}[aryty.dtype.bitwidth]
            address = ir.IntType(64)
            self._ld = ir.InlineAsm(ir.FunctionType(element, [address]), f"ld.{width} $0, [$1];",
                                    f"={code},l", side_effect=True)
            self._st = ir.InlineAsm(ir.FunctionType(ir.VoidType(), [address, element]), f"st.{width} [$0], $1;",
                                    f"l,{code}", side_effect=True)

    def pointer(self, index):
        data, builder = self.array.data, self.builder
        if self.contiguous:
            return builder.gep(data, [ir.Constant(self.intp, index)], inbounds=True)
        offset = builder.mul(ir.Constant(self.intp, index), self.stride)
        return builder.inttoptr(builder.add(builder.ptrtoint(data, self.intp), offset), data.type)

    def _address(self, index):
        return self.builder.ptrtoint(self.pointer(index), ir.IntType(64))

    def load(self, index):
        if self.in_memory:
            return self.builder.call(self._ld, [self._address(index)])
        return self.builder.load(self.pointer(index))

    def store(self, value, index):
        if self.in_memory:
            self.builder.call(self._st, [self._address(index), value])
        else:
            self.builder.store(value, self.pointer(index))


def float_vector(a):
    """Whether the Numba type ``a`` is a 1-D float array (what the intrinsics accept)."""
    return isinstance(a, types.Array) and a.ndim == 1 and isinstance(a.dtype, types.Float)


def _builtin(context, function, argument_types):
    """``call(builder, values)``: the target's implementation of a builtin (``abs``, ``max``, unary ``-``),
    resolved as a call in the Python form resolves it (the CPU types ``max(x, y)`` as ``max`` of one tuple:
    packed here)."""
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


class Emitter:
    """The IR of straight-line code over 1-D float arrays of one dtype, as the Python form's statements lower.

    ``arrays``: ``(numba type, value)`` per array argument, read and written at literal indices through
    :meth:`load` / :meth:`store` (``which``: the argument's position).  Arithmetic goes through
    :attr:`builder` (``fmul``, ``fsub``, ... without fast-math flags, as Numba lowers them); the builtins
    the Python form calls (``abs``, ``max``, unary ``-``) are the target's own implementations.

    ``memory``: array 0 (the factor) is read and written in memory (see :class:`_Slots`; on the CUDA
    target only, the CPU's lowering is the plain one).  The eliminations then read a pivot row's
    words once per pivot (:meth:`pivot_row`), where the plain form leaves that to the compiler.
    """

    def __init__(self, context, builder, arrays, memory=False):
        self.builder = builder
        self.cuda = _on_cuda(context)  # (the CPU target in tests: divisions)
        self.memory = bool(memory) and self.cuda
        self.arrays = [_Slots(context, builder, aryty, value, self.memory and k == 0)
                       for k, (aryty, value) in enumerate(arrays)]
        dtype = arrays[0][0].dtype
        self.real = context.get_value_type(dtype)
        self._abs, self._max, self._neg = (_builtin(context, function, (dtype,) * arity)
                                           for function, arity in ((abs, 1), (max, 2), (operator.neg, 1)))

    def load(self, index, which=0):
        return self.arrays[which].load(index)

    def store(self, value, index, which=0):
        self.arrays[which].store(value, index)

    def pivot_row(self):
        """``read(slot)``: the factor's word ``slot``, loaded once while one pivot's rows are updated."""
        if not self.memory:
            return self.load
        words = {}

        def read(slot):
            if slot not in words:
                words[slot] = self.load(slot)
            return words[slot]

        return read

    def constant(self, value):
        return ir.Constant(self.real, value)

    def fabs(self, value):
        return self._abs(self.builder, (value,))

    def larger(self, first, second):
        return self._max(self.builder, (first, second))

    def negate(self, value):
        return self._neg(self.builder, (value,))

    def pivot_reciprocal(self, value):
        """``1 / value`` as :func:`kernels.approx.pivot_reciprocal` computes it (a division off CUDA)."""
        return emit_pivot_reciprocal(self.builder, value, self.cuda, self.negate)


def lu_factor_intrinsic(program, eps, tiny, ok, singular, width, eliminate, memory=False, shared=False):
    """An intrinsic ``factor(a) -> int32`` running ``program``'s factorisation on ``a`` in place.

    The frame both forms share: the fill-in's words zeroed, then per pivot its threshold
    ``max(m eps * g, tiny)`` (``m`` terms) (``g`` the sum of ``program.terms``' magnitudes, the rule of
    :mod:`kernels.solvers.base`; ``tiny`` alone for a pivot with no terms) and
    ``eliminate(emitter, diagonal, rows, check)``, which emits the pivot's operations and calls
    ``check(magnitude)``, once a pivot, where the Python form tests ``if not threshold < magnitude < INF: return
    SINGULAR``.
    ``width``: words per slot (a term's magnitude ``|l u|``, or ``(|re l| + |im l|)(|re u| + |im u|)``
    for two); ``ok``/``singular``: the int32 codes returned; ``memory``: the factor stays in memory
    (:class:`Emitter`), ``shared``: in shared memory (:func:`outline_factor`).
    """

    @intrinsic
    def sparse_lu_factor(typingctx, a):
        if not float_vector(a):
            return None

        def body(context, builder, signature, args):
            emitter = Emitter(context, builder, [(signature.args[0], args[0])], memory)
            given, words = width * program.pattern, width * program.nnz
            for s in range(given, words):
                emitter.store(emitter.constant(0.0), s)
            exit_singular = builder.append_basic_block("sparse_lu.singular")
            threshold = [None]

            def magnitude(slot):
                if width == 1:
                    return emitter.load(slot)
                return builder.fadd(emitter.fabs(emitter.load(2 * slot)), emitter.fabs(emitter.load(2 * slot + 1)))

            def term(lk, uk):
                if width == 1:
                    return emitter.fabs(builder.fmul(magnitude(lk), magnitude(uk)))
                return builder.fmul(magnitude(lk), magnitude(uk))

            def bound(terms):
                """``max(m eps g, TINY)`` over the pivot's ``terms`` (``TINY`` alone for none)."""
                total = None
                for lk, uk in terms:
                    total = term(lk, uk) if total is None else builder.fadd(total, term(lk, uk))
                return emitter.constant(tiny) if total is None else emitter.larger(
                    builder.fmul(emitter.constant(len(terms) * eps), total), emitter.constant(tiny))

            def check(value):
                nonsingular = builder.append_basic_block("sparse_lu.pivot")
                # ``threshold < |d| < INF`` as Numba lowers the Python form's chained comparison (the same PTX)
                taken = builder.and_(builder.fcmp_ordered("<", threshold[0](), value),
                                     builder.fcmp_ordered("<", value, emitter.constant(float("inf"))))
                builder.cbranch(taken, nonsingular, exit_singular)
                builder.position_at_end(nonsingular)

            for (diagonal, rows), terms in zip(program.pivots, program.terms):
                # the real form's bound before the pivot's elimination, the complex forms' after its magnitude (as
                # their Python forms compute them)
                if width == 1:
                    threshold[0] = lambda computed=bound(terms): computed
                else:
                    threshold[0] = lambda terms=terms: bound(terms)
                eliminate(emitter, diagonal, rows, check)
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

        def codegen(context, builder, signature, args):
            if outline_factor(program, memory, shared) and _on_cuda(context):
                key = ("factor", eliminate.__module__, eliminate.__qualname__, program, eps, tiny, ok, singular, width)
                return _outlined(context, builder, signature, args, body, ir.IntType(32), key)
            return body(context, builder, signature, args)

        return types.int32(a), codegen

    return sparse_lu_factor


def _eliminate(emitter, kk, rows, check):
    """One real pivot: ``d = 1 / a[kk]``, then per row ``m = a[lk] * d`` and ``a[t] -= m * a[s]``."""
    builder = emitter.builder
    d = emitter.load(kk)
    check(emitter.fabs(d))
    d = emitter.pivot_reciprocal(d)
    emitter.store(d, kk)
    pivot_row = emitter.pivot_row()
    for lk, updates in rows:
        m = builder.fmul(emitter.load(lk), d)
        emitter.store(m, lk)
        for target, source in updates:
            emitter.store(builder.fsub(emitter.load(target), builder.fmul(m, pivot_row(source))), target)


def factor_intrinsic(program, eps, tiny, ok, singular, memory=False, shared=False):
    """An intrinsic ``factor(a) -> int32`` running ``program``'s factorisation on ``a`` in place.

    ``eps``, ``tiny``: the singularity rule's constants (:func:`kernels.solvers.base.singular_below`);
    ``ok``/``singular``: the int32 codes returned; ``memory``: ``a`` stays in memory (:class:`Emitter`);
    ``shared``: placed in shared memory (:func:`outline_factor`).
    """
    return lu_factor_intrinsic(program, eps, tiny, ok, singular, 1, _eliminate, memory, shared)


def lu_solve_intrinsic(emit, key, memory=False, outlined=False):
    """An intrinsic ``solve(a, b)`` (two float vectors of one dtype) whose code ``emit(emitter)`` writes.

    The frame both forms share; ``emitter`` reads the factor as array 0 (in memory with ``memory``)
    and ``b`` as array 1.  ``outlined``: the body is a function of its own (:func:`outline`), named by
    ``key``, what ``emit``'s code depends on (hashable, with a deterministic repr: the form and its program).
    """

    @intrinsic
    def lu_solve(typingctx, a, b):
        if not (float_vector(a) and float_vector(b) and a.dtype == b.dtype):
            return None

        def body(context, builder, signature, args):
            emit(Emitter(context, builder, list(zip(signature.args, args)), memory))

        def codegen(context, builder, signature, args):
            if outlined and _on_cuda(context):
                return _outlined(context, builder, signature, args, body, None, ("solve", key))
            body(context, builder, signature, args)
            return context.get_dummy_value()

        return types.void(a, b), codegen

    return lu_solve


def solve_intrinsic(program, memory=False):
    """An intrinsic ``solve(a, b)`` overwriting ``b`` with the solution from ``program``'s factor ``a``."""

    def emit(emitter):
        builder = emitter.builder

        def dot(terms):  # a[s1] * b[j1] + a[s2] * b[j2] + ..., left to right as Python adds
            total = None
            for s, j in terms:
                product = builder.fmul(emitter.load(s), emitter.load(j, 1))
                total = product if total is None else builder.fadd(total, product)
            return total

        for i, lower in program.forward:
            if lower:
                emitter.store(builder.fsub(emitter.load(i, 1), dot(lower)), i, 1)
        for i, upper, diagonal in program.backward:
            value = builder.fsub(emitter.load(i, 1), dot(upper)) if upper else emitter.load(i, 1)
            emitter.store(builder.fmul(value, emitter.load(diagonal)), i, 1)

    return lu_solve_intrinsic(emit, (__name__, program), memory, outline(program, memory))
