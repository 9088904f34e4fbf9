"""A float32 run's rhs that is not finite where float64's is: which component, and which operation left the range.

A chemist's Chapman rhs written ``p[6] * y[3] * y[0] * p[1]`` (M * O2 * O * k, with M * O2 = 1.3e38) overflows
float32 as soon as O passes 2.6: the finite-difference Jacobian and the iteration matrix are inf or NaN there, and
every trajectory ended SINGULAR_MATRIX with a message that advised the dense LU (a chemist's trial).  Nothing is
non-finite in float64, so the host follow of :mod:`kernels.rhs_hint` saw nothing.  It now evaluates ``rhs`` as the
GPU holds it too (its literals, states and params in float32), and where that is inf or NaN while float64's is finite
the hint names the component, the line of ``rhs`` whose operation first left the range (run again under NumPy's
traps) and, where the line parses alone, the operation itself with its operands' values.  Host only, when a message
is asked for; never raises.
"""

from __future__ import annotations

import ast
import linecache

import numpy as np

from .user_faults import is_float_fault

__all__ = ["held_rhs", "float32_rhs_fault", "first_fault", "float32_rhs_text", "FLOAT32_RHS", "FLOAT32_RHS_HEADLINE"]

#: The hint's first sentence: a template whose fields :func:`kernels.status_messages.template_pattern` reads back.
FLOAT32_RHS = (" The system's rhs is not finite in float32 {at}: dydt[{i}] is {held!r} there ({exact:.6g} in float64), "
               "and a step that reaches it fails (an implicit step's Jacobian is not finite either), whatever its "
               "size.")
FLOAT32_RHS_HEADLINE = ("Likely cause: float32 makes the system's rhs {held} (dydt[{i}]; {exact} in float64) on this "
                        "trajectory's path: order its products so that large factors meet small ones first, rescale "
                        "the units, or solve with precision=np.float64.")
_REMEDY = (" Keep every intermediate value inside float32's range (about 1.2e-38 to 3.4e38): order products so "
           "that large factors meet small ones first (k * M * O * O2, not M * O2 * O * k: symbolic_system orders them "
           "so), compute large constants in float64 outside rhs and pass the result as a parameter, rescale the units "
           "(concentrations in units of 1e10 cm^-3, say), or use precision=np.float64.")
_SYMBOLS = {ast.Mult: "*", ast.Div: "/", ast.Add: "+", ast.Sub: "-", ast.Pow: "**", ast.FloorDiv: "//",
            ast.Mod: "%"}


def held_rhs(system):
    """``system.rhs`` with its float literals as the GPU holds them in float32 (:func:`kernels.literals.for_system`);
    made once per follow (rewriting literals at each point took seconds: a regression hunt)."""
    from .literals import for_system

    return for_system(system.rhs, system, np.float32)


def float32_rhs_fault(system, held, t, y, p, exact):
    """``(i, out)``: the first component of ``held`` (:func:`held_rhs`) at ``(t, y, p)`` held in float32 that is inf
    or NaN where ``exact`` (float64's rhs there) is finite, and the float32 output; None when there is none, or when
    the float32 evaluation fails otherwise."""
    out = np.zeros(system.n_states, np.float32)
    try:
        with np.errstate(all="ignore"):
            system.run_host(held, (np.float64(t), np.asarray(y).astype(np.float32), np.asarray(p).astype(np.float32),
                                   out))
    except Exception:  # noqa: BLE001 - a fault float64 does not have is another check's; no verdict here
        return None
    bad = np.flatnonzero(~np.isfinite(out) & np.isfinite(np.asarray(exact, np.float64)))
    return (int(bad[0]), out) if bad.size else None


def first_fault(system, held, t, y, p):
    """Where ``held`` at ``(t, y, p)`` in float32 first overflows (or divides by 0, or makes a NaN) under NumPy's
    traps: a sentence naming the operation with its operands' values and the line of ``rhs``, or the line alone where
    the operation cannot be told; '' where no trap fires in ``rhs``'s own code."""
    out = np.zeros(system.n_states, np.float32)
    args = (np.float64(t), np.asarray(y).astype(np.float32), np.asarray(p).astype(np.float32), out)
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            held(*args)
    except Exception as exc:  # noqa: BLE001 - only a float fault is the point
        if not (isinstance(exc, FloatingPointError) or is_float_fault(exc)):
            return ""
        frame = _rhs_frame(exc.__traceback__, getattr(system.rhs, "__code__", None))
        return "" if frame is None else _located(frame)
    return ""


def _rhs_frame(tb, code):
    """The innermost traceback frame whose code comes from ``code``'s file (the rhs or a helper beside it), or None."""
    found = None
    while tb is not None and code is not None:
        if tb.tb_frame.f_code.co_filename == code.co_filename:
            found = tb
        tb = tb.tb_next
    return found


def _located(tb):
    """The sentence naming the operation (:func:`_operation`) and the line of the traceback entry ``tb``, the line's
    source shown where the operation cannot be told."""
    frame, line = tb.tb_frame, tb.tb_lineno
    source = linecache.getline(frame.f_code.co_filename, line).strip()
    if not source:
        return ""
    where = f"line {line} of {frame.f_code.co_filename.rsplit('/', 1)[-1]}"
    operation = _operation(source, frame)
    if operation:
        return f" It first leaves float32's range at {operation}, in {where}."
    shown = source if len(source) <= 100 else source[:97] + "..."
    return f" It first leaves float32's range in {where}: `{shown}`."


def _operation(source, frame):
    """The first binary operation of ``source`` (one line of ``rhs``, its statements in order, each operation after
    its operands) that ``frame``'s values make inf or NaN from finite operands, as ``"`a * b` (1.3e+38 * 3.2)"``;
    '' where the line does not parse alone or none does."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a line of a longer statement
        return ""
    for statement in tree.body:
        value = getattr(statement, "value", None)
        for node in _post_order(value) if isinstance(value, ast.AST) else ():
            if not isinstance(node, ast.BinOp) or type(node.op) not in _SYMBOLS or _calls(node):
                continue
            left, whole, right = (_value(part, frame) for part in (node.left, node, node.right))
            if None in (left, whole, right) or not (np.isfinite(left) and np.isfinite(right)) or np.isfinite(whole):
                continue
            # the whole operation unparsed, its operands' parentheses kept: `(N - N0) * S` was quoted as
            # `N - N0 * S` (each operand unparsed alone), which reads as another product (a physicist's trial)
            symbol = _SYMBOLS[type(node.op)]
            return f"`{ast.unparse(node)}` ({left:.3g} {symbol} {right:.3g})"
    return ""


def _calls(node):
    """Whether ``node`` calls anything: such an operation is not evaluated again (a call may do more than compute)."""
    return any(isinstance(part, ast.Call) for part in ast.walk(node))


def _post_order(node):
    """``node``'s sub-expressions, each after its children (the innermost operation comes first)."""
    for child in ast.iter_child_nodes(node):
        yield from _post_order(child)
    yield node


def _value(node, frame):
    """The float value of the expression ``node`` with ``frame``'s names (as the held rhs computed it), or None."""
    try:
        with np.errstate(all="ignore"):
            value = eval(compile(ast.Expression(node), "<rhs term>", "eval"),  # noqa: S307 - the user's own rhs
                         frame.f_globals, dict(frame.f_locals))
        return float(value)
    except Exception:  # noqa: BLE001 - not a number (an array, a call that fails): not this one
        return None


def float32_rhs_text(system, held, at, t, y, p, i, out, exact):
    """The hint for component ``i`` of a float32 rhs that is ``out[i]`` where float64's is ``exact[i]``, ``at`` the
    words for where (:data:`FLOAT32_RHS`), with the operation that left the range (:func:`first_fault`) and what to
    do."""
    return (FLOAT32_RHS.format(at=at, i=i, held=float(out[i]), exact=float(exact[i]))
            + first_fault(system, held, t, y, p) + _REMEDY)
