"""Long runs of element moves in generated source, emitted as LLVM IR by one intrinsic per run (issue #10).

The implicit steps assemble their matrices with thousands of one-line moves at literal indices
(``fac_1[502] = L_1_1 - jm[251]``, ``jm[122] = f_0[30]``, ``fac_1[501] = ZERO``): at 128
Brusselator states they are 2280 of the 2428 lines of radau's step.  Numba types and lowers a basic
block in time that grows faster than its length, so :func:`fold_moves` replaces each run of at
least :data:`MIN_RUN` such lines by one call of an intrinsic that writes the same loads, negations,
subtractions and stores as IR, in the same order (the same results), and leaves every other line
as it was.  On the simulator, which cannot run intrinsics, the source is returned unchanged.

A move is one line ``dst[i] = RHS`` with a literal index and ``RHS`` one of ``src[j]``,
``-src[j]``, ``x - src[j]``, ``x``, ``x * src[j]``, ``x * src[j] + y``, ``-x * src[j]``,
``-x * src[j] + y``, where ``src``/``dst`` are arrays of the working precision and ``x``, ``y`` are
float constants of the namespace (``ZERO``, ``ONE``) or scalar variables of the function in the
working precision (arguments of the call: their values where the run stands).  Newton's sparse
``prepare`` writes ``M = I - c J`` in the last forms (``matrix[k] = -c * jv[i] + ONE``); ``-x`` is
negated at each move, as Numba lowers each line, so the compiler sees the same operations.  The intrinsic
refuses (a typing error) arrays or scalars of any other dtype, so a fold never changes a rounding.

With ``expressions=True`` a run also takes element statements ``dst[i] = EXPR`` whose ``EXPR`` is built
from ``+``, ``-``, ``*``, unary ``-`` and parentheses over array elements at literal indices, scalar
variables and typed constants of the namespace (:func:`parse_expression`): the stage sums of every step
family.  Their operations are emitted in Python's order of evaluation (left operand, right operand,
operator), as Numba lowers them, so the compilers see the same arithmetic.
"""

from __future__ import annotations

import ast
import os
import re

import numpy as np
from numba import types
from numba.core.extending import intrinsic

from .backend import backend
from .codegen import compile_device
from .compile_cache import OFF_WORDS

__all__ = ["FOLD_RUN", "FOLD_SWITCH", "MIN_RUN", "compile_folded", "fold_moves", "folding_off", "parse_expression",
           "parse_move"]

# Shorter runs stay Python. 16 against 64: the same PTX, Numba's passes 0.6 s faster on radau at n = 64
# (benchmarks/results/compile_time_2026-12-01/).
MIN_RUN = 16
# The steps' stage sums (``expressions=True``) fold from two statements on: each is a handful of
# operations, and Numba takes milliseconds per operation (Tsit5 at 16 states: 20.6 -> 4.0 s,
# benchmarks/results/erk_fold_2026-12-02/).
FOLD_RUN = 2
# BUFFERPLAN_FOLD_IR=0 in the environment keeps every generated line as Python (read at each fold): the
# same PTX, compiled the slow way; for comparing the two forms (benchmarks/fold_ptx.py), or to rule the
# fold out when a kernel misbehaves.
FOLD_SWITCH = "BUFFERPLAN_FOLD_IR"


def folding_off():
    """Whether the environment turns the folds off (:data:`FOLD_SWITCH` = ``0``, ``off``, ``no``, ``false`` or
    ``none``; only ``0`` did, and ``off`` was ignored in silence); unset or empty, they are on."""
    return os.environ.get(FOLD_SWITCH, "1").strip().lower() in OFF_WORDS  # empty: unset


_LINE = re.compile(r"^(\s*)(\w+)\[(\d+)\] = (.+?)\s*$")
_ELEMENT = re.compile(r"^(-?)(\w+)\[(\d+)\]$")
_DIFFERENCE = re.compile(r"^(\w+) - (\w+)\[(\d+)\]$")
_SCALED = re.compile(r"^(-?)(\w+) \* (\w+)\[(\d+)\](?: \+ (\w+))?$")
_NAME = re.compile(r"^(\w+)$")


def parse_move(line):
    """``(indent, (dst, i), (kind, value, element))`` of a move line, or None.

    ``kind``: ``"copy"`` / ``"negate"`` (``element = (src, j)``), ``"difference"`` (``value - element``),
    ``"value"`` (``value`` alone), ``"scale"`` (``value * element``), ``"scale_add"``
    (``value[0] * element + value[1]``), or ``"neg_scale"`` / ``"neg_scale_add"`` (the same with
    ``-value``); ``value`` is a name (two for the ``_add`` kinds).
    """
    m = _LINE.match(line)
    if not m:
        return None
    indent, dst, index, rhs = m.group(1), m.group(2), int(m.group(3)), m.group(4)
    e = _ELEMENT.match(rhs)
    if e:
        return indent, (dst, index), ("negate" if e.group(1) else "copy", None, (e.group(2), int(e.group(3))))
    d = _DIFFERENCE.match(rhs)
    if d:
        return indent, (dst, index), ("difference", d.group(1), (d.group(2), int(d.group(3))))
    m = _SCALED.match(rhs)
    if m and not m.group(2).isdigit() and not (m.group(5) or "x").isdigit():
        element, kind = (m.group(3), int(m.group(4))), ("neg_scale" if m.group(1) else "scale")
        if m.group(5) is None:
            return indent, (dst, index), (kind, m.group(2), element)
        return indent, (dst, index), (kind + "_add", (m.group(2), m.group(5)), element)
    n = _NAME.match(rhs)
    if n and not rhs.isdigit():
        return indent, (dst, index), ("value", n.group(1), None)
    return None


_OPERATORS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul"}


def parse_expression(line, namespace):
    """``(indent, (dst, i), ("tree", tree, None))`` of an element statement, or None.

    ``dst[i] = EXPR`` with a literal ``i``; ``tree`` is ``("load", array, j)``, ``("value", name)``,
    ``("neg", tree)`` or ``(op, left, right)`` with ``op`` one of ``"add"``, ``"sub"``, ``"mul"``.  A name
    bound in ``namespace`` must be a NumPy float scalar (its precision is checked against the arrays' when
    the intrinsic is typed); a Python float or int there, a numeric literal, a call or any other operator
    leaves the line as it is, since Numba would type it differently.
    """
    m = _LINE.match(line)
    if not m or m.group(2) in namespace:
        return None
    try:
        node = ast.parse(m.group(4), mode="eval").body
    except SyntaxError:
        return None

    def tree(node):
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = tree(node.left), tree(node.right)
            return None if left is None or right is None else (_OPERATORS[type(node.op)], left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            operand = tree(node.operand)
            return None if operand is None else ("neg", operand)
        if isinstance(node, ast.Name):
            bound = namespace.get(node.id)
            return ("value", node.id) if bound is None or isinstance(bound, np.floating) else None
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and isinstance(node.slice, ast.Constant) and type(node.slice.value) is int and node.slice.value >= 0 \
                and node.value.id not in namespace:
            return ("load", node.value.id, node.slice.value)
        return None

    parsed = tree(node)
    return None if parsed is None else (m.group(1), (m.group(2), int(m.group(3))), ("tree", parsed, None))


def fold_moves(source, namespace, min_run=MIN_RUN, enabled=None, expressions=False):
    """``source`` with each run of at least ``min_run`` moves (same indentation, consecutive) as one call.

    The intrinsics are added to ``namespace`` as ``_MOVES_<k>``; returns the new source.  ``enabled``:
    None folds on Numba's CUDA target only (the simulator cannot run intrinsics); True folds anyway (the
    intrinsics also lower on the CPU target, where the tests compare both forms), unless the environment sets
    :data:`FOLD_SWITCH` to ``0`` (or ``off``).  ``expressions``: runs
    also take the element statements of :func:`parse_expression`.
    """
    if enabled is None:
        enabled = backend() != "simulator" and not folding_off()
    if not enabled:
        return source
    lines, out, k, i = source.split("\n"), [], 0, 0
    while i < len(lines):
        run, j = [], i  # the moves from line i on at its indentation (none if line i is not a move)
        while j < len(lines):
            move = parse_move(lines[j])
            if move is not None and not _typed_names(move[2][1], namespace):
                move = None  # a Python number in the namespace: Numba types it float64, so Numba lowers it
            if move is None and expressions:
                move = parse_expression(lines[j], namespace)
            if move is None or (run and move[0] != run[0][0]):
                break
            run.append(move)
            j += 1
        end = max(j, i + 1)
        if len(run) >= min_run:
            name = f"_MOVES_{k}"
            k += 1
            call, namespace[name] = _run_call(name, run, namespace)
            out.append(run[0][0] + call)
        else:
            out.extend(lines[i:end])  # each line parsed once: a short run's tail is shorter still
        i = end
    return "\n".join(out)


def compile_folded(source, name, namespace):
    """:func:`kernels.codegen.compile_device` of ``source`` with its moves and element statements folded
    (runs from :data:`FOLD_RUN` on): how the steps compile their generated code."""
    return compile_device(fold_moves(source, namespace, min_run=FOLD_RUN, expressions=True), name, namespace)


def _typed_names(value, namespace):
    """Whether the names of a move's ``value`` (None, a name or a pair) are variables or NumPy scalars."""
    names = () if value is None else value if isinstance(value, tuple) else (value,)
    return all(namespace.get(x) is None or isinstance(namespace.get(x), np.floating) for x in names)


def _run_call(name, run, namespace):
    """The call text and the intrinsic of one run of moves."""
    arrays, scalars, program = [], [], []

    def array(a):
        if a not in arrays:
            arrays.append(a)
        return arrays.index(a)

    def value(x):
        constant = namespace.get(x)
        if isinstance(constant, (float, np.floating)):
            return ("constant", float(constant))
        if x not in scalars:
            scalars.append(x)
        return ("scalar", scalars.index(x))

    precisions = set()

    def operand_tree(node):  # names resolved: arrays by position, scalars by position, constants by value
        if node[0] == "load":
            return ("load", array(node[1]), node[2])
        if node[0] == "value":
            constant = namespace.get(node[1])
            if constant is not None:
                precisions.add(np.dtype(type(constant)))
            return ("value", value(node[1]))
        return (node[0],) + tuple(operand_tree(child) for child in node[1:])

    for _, (dst, index), (kind, v, element) in run:
        if kind == "tree":
            program.append((array(dst), index, kind, operand_tree(v), None))
            continue
        source = None if element is None else (array(element[0]), element[1])
        operand = None if v is None else tuple(value(x) for x in v) if isinstance(v, tuple) else value(v)
        program.append((array(dst), index, kind, operand, source))
    call = f"{name}(({', '.join(arrays)},), ({', '.join(scalars)}{',' if scalars else ''}))"
    return call, _moves_intrinsic(tuple(program), frozenset(precisions))


def _moves_intrinsic(program, precisions=frozenset()):
    """The intrinsic of one run; ``precisions``: the NumPy dtypes of the typed constants its trees read."""
    from .solvers.sparse_lu_ir import Emitter

    @intrinsic
    def moves(typingctx, arrays, scalars):
        if not isinstance(arrays, types.BaseTuple) or not isinstance(scalars, types.BaseTuple):
            return None
        kinds = list(arrays)
        if not kinds or not all(isinstance(a, types.Array) and a.ndim == 1 for a in kinds):
            return None
        dtype = kinds[0].dtype
        if not isinstance(dtype, types.Float) or any(a.dtype != dtype for a in kinds) \
                or any(s != dtype for s in scalars) or any(p != np.dtype(str(dtype)) for p in precisions):
            return None

        def codegen(context, builder, signature, args):
            array_types, scalar_types = signature.args
            members = [(array_types[i], builder.extract_value(args[0], i)) for i in range(len(array_types))]
            values = [builder.extract_value(args[1], i) for i in range(len(scalar_types))]
            emitter = Emitter(context, builder, members)

            def scalar(operand):
                return emitter.constant(operand[1]) if operand[0] == "constant" else values[operand[1]]

            def evaluate(node):  # Python's order: the left operand, the right one, then the operator
                if node[0] == "load":
                    return emitter.load(node[2], node[1])
                if node[0] == "value":
                    return scalar(node[1])
                if node[0] == "neg":
                    return emitter.negate(evaluate(node[1]))
                left, right = evaluate(node[1]), evaluate(node[2])
                return {"add": builder.fadd, "sub": builder.fsub, "mul": builder.fmul}[node[0]](left, right)

            for dst, index, kind, operand, source in program:
                if kind == "tree":
                    emitter.store(evaluate(operand), index, dst)
                    continue
                if kind == "value":
                    result = scalar(operand)
                elif kind.startswith(("scale", "neg_scale")):  # (x * element) [+ y], as Python evaluates it
                    x, y = (operand, None) if not kind.endswith("_add") else operand
                    x = emitter.negate(scalar(x)) if kind.startswith("neg") else scalar(x)
                    result = builder.fmul(x, emitter.load(source[1], source[0]))
                    if y is not None:
                        result = builder.fadd(result, scalar(y))
                else:
                    element = emitter.load(source[1], source[0])
                    if kind == "copy":
                        result = element
                    elif kind == "negate":
                        result = emitter.negate(element)
                    else:
                        result = builder.fsub(scalar(operand), element)
                emitter.store(result, index, dst)
            return context.get_dummy_value()

        return types.void(arrays, scalars), codegen

    return moves

