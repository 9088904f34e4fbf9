"""A user function that assigns into its input arrays, found in its source: refused when it is built.

On the GPU ``y`` is the integrator's own stage state (``p`` the trajectory's parameters), so a write into either
corrupts the step silently, and the run at a test point only sees the branch it takes.  The source is read
instead (never run): a write into an input, into a local name bound to one (``v = y``, or a slice ``v = y[1:]``,
a view in Numba too), or into the argument of a helper the function passes an input to (a device function or a
plain function read from its module or closure, followed :data:`DEPTH` calls down) is refused, with its line.
"""

from __future__ import annotations

import ast
import os
import sys
import types

from .errors import ConfigurationError

__all__ = ["refuse_input_writes", "input_written_in_source"]

DEPTH = 2  # helper calls followed below the user's function
_LIBRARIES = frozenset(sys.stdlib_module_names) | {"numpy", "numba", "numba_cuda", "scipy", "kernels", "planner"}


def refuse_input_writes(func, label, output=None, system=None):
    """ConfigurationError where ``func`` assigns into one of its input arrays (read in its source, see the module).

    ``label`` names the function in the message (``"rhs"``, ``"event function"``); ``output`` is the name of its
    last argument, the array it writes (``"dydt"``), or None for a function that returns its value, such as an
    event function ``g(t, y, p)``, whose every argument but ``t`` is then an input; ``system``: the system's name.
    """
    written = input_written_in_source(func, has_output=output is not None)
    if written is None:
        return
    name, line, chain = written
    via = ""
    if chain:
        _, argument, at, filename = chain[-1]
        via = (f": it passes {name} to " + ", which passes it to ".join(helper for helper, _, _, _ in chain)
               + f", which assigns into its argument {argument} at line {at} of {filename}")
    of = f"{label} of system {system!r}" if system else label
    head = f"{of} assigns into its input {name} (line {line}{via}): "
    if output is None:
        raise ConfigurationError(
            head + f"an {label} must only read t, y and p and return a number; on the GPU y is the integrator's "
            "own state, so writing it changes the trajectory without an event being counted (a reset written "
            "there ran with status success and a wrong trajectory). For a reset, make the event terminal "
            "(kernels.Event(g, terminal=True)), then start a new solve from the result's event_t and event_y with "
            "the reset applied (README, 'Summaries, counters and events': terminal event and restart)")
    raise ConfigurationError(
        head + f"{label} must only read its inputs and write {output}; on the GPU y is the integrator's own stage "
        "state, so writing it corrupts the step, even in a branch the run takes rarely (a reset belongs in a "
        "terminal event, then a new solve from the reset state). Copy the values you want to change into local "
        "variables (clamp with max(y[i], 0.0) in the formula, for example)")


def input_written_in_source(func, has_output=True):
    """``(input, line, chain)`` of the first assignment into an input array of ``func`` (every argument but ``t``
    and, ``has_output``, the last), or None (also when the source cannot be read).  ``chain``: ``(helper,
    argument, line, file)`` of each helper the input is passed down to, [] for a write in ``func`` itself.

    An Izhikevich reset ``if y[0] >= 30: y[0] = -65`` in rhs was not refused by a run at the test point, nor
    ``v = y; v[0] = 1.0`` or a device helper ``clamp(y)`` that writes its argument (users' trials).  An input
    name the function binds again (``y = ...``) is left alone.
    """
    code = getattr(getattr(func, "py_func", func), "__code__", None)
    if code is None:
        return None
    names = list(code.co_varnames[:code.co_posonlyargcount + code.co_argcount])[1:]
    return _first_write(func, names[:-1] if has_output else names, DEPTH)


def _first_write(func, inputs, depth):
    """``(input, line, chain)`` of the first write (by line) into one of the parameters ``inputs`` of ``func``
    or, ``depth`` above 0, in a helper it passes one to; None for none."""
    found = _definition(func)
    if found is None:
        return None
    func, node, code = found
    offset = code.co_firstlineno - 1
    own = list(_own_nodes(node))
    targets = _targets(own)
    rebound = {target.id for target in targets if isinstance(target, ast.Name)}
    views = _aliases(own, {name: name for name in inputs if name not in rebound})
    writes = [(target.lineno, viewed, []) for target in targets
              if isinstance(target, ast.Subscript) and (viewed := _view_of(target.value, views))]
    calls = [n for n in own if isinstance(n, ast.Call)] if depth > 0 else []
    for call in calls:
        helper = _callee(call.func, func)
        for argument, name in _arguments_viewing(call, helper, views):
            below = _first_write(helper, [argument], depth - 1)
            if below is not None:
                filename = os.path.basename(helper.__code__.co_filename)
                writes.append((call.lineno, name, [(helper.__name__, argument, below[1], filename)] + below[2]))
    if not writes:
        return None
    line, name, chain = min(writes, key=lambda write: write[0])
    return name, line + offset, chain


def _definition(func):
    """``(function, def or lambda node, code)`` of ``func``'s own source (a dispatcher's Python function), or None
    where it cannot be read or is not this function's (a file edited since it was imported, code exec'd)."""
    from .literals import is_own_definition, parsed_source

    func = getattr(func, "py_func", func)
    code = getattr(func, "__code__", None)
    if not isinstance(func, types.FunctionType):
        return None
    try:
        tree = parsed_source(func)
    except (AttributeError, OSError, TypeError, SyntaxError):
        return None
    node = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))), None)
    return (func, node, code) if node is not None and is_own_definition(node, code) else None


def _own_nodes(function):
    """The nodes of ``function``'s body, not those of functions nested in it (a helper's own ``y`` is not the
    input's: a regression hunt)."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    pending = list(function.body) if isinstance(function.body, list) else [function.body]
    while pending:
        node = pending.pop()
        if isinstance(node, nested):
            continue
        yield node
        pending += list(ast.iter_child_nodes(node))


def _targets(nodes):
    """Every assignment target among ``nodes``, tuples and lists unpacked."""
    targets = []
    for n in nodes:
        if isinstance(n, ast.Assign):
            targets += n.targets
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
            targets.append(n.target)
    flat = []
    while targets:
        target = targets.pop(0)
        if isinstance(target, (ast.Tuple, ast.List)):
            targets = list(target.elts) + targets
        else:
            flat.append(target)
    return flat


def _aliases(nodes, views):
    """``views`` (local name -> the input it is) with every local name bound to an input or a slice of one,
    through other such names too (``v = y``, ``w = v[1:]``)."""
    pairs = []
    for n in nodes:
        if isinstance(n, ast.Assign):
            pairs += [pair for target in n.targets for pair in _paired(target, n.value)]
        elif isinstance(n, (ast.AnnAssign, ast.NamedExpr)) and n.value is not None:
            pairs += _paired(n.target, n.value)
    views, grown = dict(views), True
    while grown:
        grown = False
        for name, value in pairs:
            viewed = _view_of(value, views)
            if viewed and name not in views:
                views[name], grown = viewed, True
    return views


def _paired(target, value):
    """``(name, value)`` of each plain name ``target`` binds (``a, b = y, p`` pairs them one by one)."""
    if isinstance(target, ast.Name):
        return [(target.id, value)]
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) and len(
            target.elts) == len(value.elts):
        return [pair for t, v in zip(target.elts, value.elts) for pair in _paired(t, v)]
    return []


def _view_of(expression, views):
    """The input ``expression`` is (a name in ``views``) or a slice of (``y[1:]``), else None."""
    if isinstance(expression, ast.NamedExpr):
        expression = expression.value
    if isinstance(expression, ast.Name):
        return views.get(expression.id)
    if isinstance(expression, ast.Subscript):
        index = expression.slice
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        if any(isinstance(part, ast.Slice) for part in parts):
            return _view_of(expression.value, views)
    return None


def _callee(expression, func):
    """The plain Python function (a device function's or ``njit`` dispatcher's own) the call ``expression`` in
    ``func`` names, from its module or closure (``helper(...)``, ``module.helper(...)``), else None; library
    functions (NumPy, math, ...) are not followed."""
    closure = dict(zip(func.__code__.co_freevars, (_cell(c) for c in func.__closure__ or ())))
    chain = []
    while isinstance(expression, ast.Attribute):
        chain.insert(0, expression.attr)
        expression = expression.value
    if not isinstance(expression, ast.Name):
        return None
    value = closure.get(expression.id, func.__globals__.get(expression.id))
    for attribute in chain:
        if not isinstance(value, types.ModuleType):
            return None
        value = getattr(value, attribute, None)
    value = getattr(value, "py_func", value)
    module = (getattr(value, "__module__", None) or "").split(".")[0]
    return value if isinstance(value, types.FunctionType) and module not in _LIBRARIES else None


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def _arguments_viewing(call, helper, views):
    """``(parameter, input)`` of each parameter of ``helper`` the ``call`` passes an input (or a view of one) to;
    [] where ``helper`` is None."""
    if helper is None:
        return []
    code = helper.__code__
    parameters = code.co_varnames[:code.co_posonlyargcount + code.co_argcount + code.co_kwonlyargcount]
    passed = []
    for position, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred):
            break
        if position < code.co_posonlyargcount + code.co_argcount:
            passed.append((parameters[position], argument))
    passed += [(k.arg, k.value) for k in call.keywords if k.arg in parameters]
    return [(parameter, viewed) for parameter, argument in passed if (viewed := _view_of(argument, views))]
