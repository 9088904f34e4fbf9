"""A user function that assigns into its input arrays, found in its source: refused when it is built.

On the GPU ``y`` is the integrator's own stage state (``p`` the trajectory's parameters), so a write into either
corrupts the step silently, and the run at a test point only sees the branch it takes.  The source is read
instead (never run): a write into an input, into a local name bound to one (``v = y``, or a slice ``v = y[1:]``,
a view in Numba too), or into the argument of a helper the function passes an input to (a device function or a
plain function read from its module or closure, followed :data:`DEPTH` calls down) is refused, with its line.
A local name counts as a view only where such a binding reaches the write in source order (``w = y[0:2]``, then
``w`` bound to a local array, leaves ``w[0] = s`` a write into the local array).
"""

from __future__ import annotations

import ast
import os
import re
import types

from .compile_hints import LIBRARY_MODULES
from .errors import ConfigurationError
from .module_origin import top_level

__all__ = ["refuse_input_writes", "input_written_in_source"]

DEPTH = 2  # helper calls followed below the user's function
_LIBRARIES = LIBRARY_MODULES | {"kernels", "planner"}  # this library's own functions are not followed either


def refuse_input_writes(func, label, output=None, system=None, order=None):
    """ConfigurationError where ``func`` assigns into one of its input arrays (read in its source, see the module).

    ``label`` names the function in the message (``"rhs"``, ``"event function"``); ``output`` is the name of its
    last argument, the array it writes (``"dydt"``), or None for a function that returns its value, such as an
    event function ``g(t, y, p)``, whose every argument but ``t`` is then an input; ``system``: the system's name;
    ``order``: the arguments the integrator passes, in order (``"t, y, p, dydt"`` where None), for the message of a
    function that names them in another order (:func:`_other_order`).
    """
    written = input_written_in_source(func, has_output=output is not None)
    if written is None:
        _refuse_permuted_names(func, label, output, system, order)  # a swap that writes nothing it should not
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
    order = _other_order(func, name, output, order)
    if order is not None:
        raise ConfigurationError(head + order)
    raise ConfigurationError(
        head + f"{label} must only read its inputs and write {output}; on the GPU y is the integrator's own stage "
        "state, so writing it corrupts the step, even in a branch the run takes rarely (a reset belongs in a "
        "terminal event, then a new solve from the reset state). Copy the values you want to change into local "
        "variables (clamp with max(y[i], 0.0) in the formula, for example)")


#: Names that say "the derivative array" (lower case): a write into one of them is a write into the output, passed
#: in another order; and a last argument named so is where the output is (a write elsewhere is a genuine one).
_OUTPUT_NAMES = re.compile(r"(d[a-z]{0,2}(dt|dx|dy)?|[a-z]{1,2}_?dot|out(put)?|f|derivs?|derivatives?|res|j|jac)",
                           re.IGNORECASE)


def _other_order(func, written, output, order):
    """What to say where ``func`` assigns into its input ``written`` because it names its arguments in another
    order than the integrator passes them (``def rhs(t, y, dydt, p)``: a user's trial was told to copy dydt into
    local variables), else None: ``written`` is named as an output (dydt, dy, dydx, out, du, ydot, f) and the
    last argument, where the output is passed, is not.  A write into ``p`` of ``rhs(t, y, p, yp)`` or into the
    state of ``rhs(t, f, p, dfdt)`` is a genuine one (a regression hunt: both were told "another order")."""
    names = positional_names(func) or []
    if written not in names:
        return None
    if not _OUTPUT_NAMES.fullmatch(written) or _OUTPUT_NAMES.fullmatch(names[-1]) or names[-1] == output:
        return None  # only an input named as an output, with no output-named last argument, is a swap
    order, passed = _passed(order, output)
    slot = names.index(written)
    receives = f", so its {written} receives {passed[slot]}" if slot < len(passed) else ""
    return (f"the integrator passes the arguments in the order ({order}){receives}; this function names them "
            f"({', '.join(names)}), in another order (Julia's f(du, u, p, t), "
            f"odeint's f(y, t, ...) and swapped p and {output} are the usual slips): write it as "
            f"def {getattr(func, '__name__', 'f')}({order})")


def _refuse_permuted_names(func, label, output, system, order):
    """ConfigurationError where ``func`` names its arguments with exactly the names the integrator passes
    (``order``), in another order: ``jvp(t, y, v, p, out)`` or a driven ``rhs(t, y, u, p, dydt)`` read the
    parameters as the vector (or the drivers) and write nothing they should not, so no write gives them away (a
    regression hunt).  Names of their own are not judged (``jvp(t, x, p, y, v)``, a driven ``rhs(t, u, p, y, du)``
    are correct code: a regression hunt found them refused by a test of two names alone), nor ``t`` out of place:
    a float indexed fails at the test call, whose message names the line."""
    if output is None:
        return
    order, passed = _passed(order, output)
    names = positional_names(func) or []
    if sorted(names) != sorted(passed) or names == passed or names[0] != "t":
        return
    moved = [name for slot, name in enumerate(names) if passed.index(name) != slot]
    of = f"{label} of system {system!r}" if system else label
    receives = ", ".join(f"its {name} receives {passed[names.index(name)]}" for name in moved)
    raise ConfigurationError(
        f"{of} names its arguments ({', '.join(names)}), but the integrator passes them in the order ({order}), so "
        f"{receives}: write it as def {getattr(func, '__name__', 'f')}({order}) (Julia's f(du, u, p, t) and "
        f"odeint's f(y, t, ...) are the usual sources of another order)")


def input_written_in_source(func, has_output=True):
    """``(input, line, chain)`` of the first assignment into an input array of ``func`` (every argument but ``t``
    and, ``has_output``, the last), or None (also when the source cannot be read).  ``chain``: ``(helper,
    argument, line, file)`` of each helper the input is passed down to, [] for a write in ``func`` itself.

    An Izhikevich reset ``if y[0] >= 30: y[0] = -65`` in rhs was not refused by a run at the test point, nor
    ``v = y; v[0] = 1.0`` or a device helper ``clamp(y)`` that writes its argument (users' trials).  A name,
    an input's own too, is what its bindings that reach a statement make it there (``y = ...`` binds it again).
    """
    names = positional_names(func)
    if names is None:
        return None
    names = names[1:]
    return _first_write(func, names[:-1] if has_output else names, DEPTH)


def positional_names(func):
    """The names of ``func``'s positional parameters (a dispatcher's, its Python function's), or None where it has
    no code to read them from."""
    code = getattr(getattr(func, "py_func", func), "__code__", None)
    return None if code is None else list(code.co_varnames[:code.co_argcount])


def _passed(order, output):
    """``(order, names)``: the arguments the integrator passes, as text (``"t, y, p, <output>"`` where ``order`` is
    None) and as a list."""
    order = order or f"t, y, p, {output}"
    return order, [name.strip() for name in order.split(",")]


def _first_write(func, inputs, depth):
    """``(input, line, chain)`` of the first write (by line) into one of the parameters ``inputs`` of ``func``
    or, ``depth`` above 0, in a helper it passes one to; None for none.  A write counts only where a binding of
    its name to an input or a view of one reaches it (:class:`_Flow`): ``w = y[0:2]; s = w[0]`` then
    ``w`` bound to a local array, ``w[0] = s`` writes that array, not y (a user's trial was refused)."""
    found = _definition(func)
    if found is None:
        return None
    func, node, code = found
    flow = _Flow(func, inputs, depth)
    start = {name: frozenset([name]) for name in inputs}
    if isinstance(node.body, list):
        flow.block(node.body, start)
    else:  # a lambda
        flow.expression(node.body, start)
    if not flow.writes:
        return None
    line, name, chain = min(flow.writes.values(), key=lambda write: write[0])
    return name, line + code.co_firstlineno - 1, chain


def _definition(func):
    """``(function, def or lambda node, code)`` of ``func``'s own source, or None where it cannot be read or is not
    this function's (:func:`kernels.literals.own_definition`)."""
    from .function_source import own_definition

    return own_definition(func)


class _Flow:
    """The inputs each local name may be a view of, statement by statement in source order (the bindings that
    reach it): a name bound again is what it is bound to from there on, bindings in the branches of an ``if``
    (or a ``try``) join after it, and those of a loop body reach its start again on the next iteration, so
    ``for ...: w[0] = 1.0; w = y`` still writes y.  ``writes``: ``(line, input, chain)`` of each write into a view,
    and of each call passing one to a helper that writes it (``depth`` above 0).  Functions nested in the body
    are not read (a helper's own ``y`` is not the input's: a regression hunt)."""

    def __init__(self, func, inputs, depth):
        self.func, self.inputs, self.depth = func, list(inputs), depth
        self.writes = {}  # (node, parameter) -> (line, input, chain): a loop's body is read until it settles
        self.loops = []  # ([state at a break], [state at a continue]) of each loop around the statement read

    def block(self, statements, state):
        """The state (name -> the inputs it may view) after ``statements``; None where no path goes on (after a
        return, raise, break or continue)."""
        for statement in statements:
            if state is None:
                break
            state = self.statement(statement, state)
        return state

    def statement(self, node, state):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            if node.value is None:  # `x: float`, an annotation only
                return state
            after = self.expression(node.value, state)
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                after = self.bind(target, node.value, state, after)
            return after
        if isinstance(node, ast.AugAssign):  # `v += 1` leaves v the array it was
            state = self.expression(node.value, state)
            return state if isinstance(node.target, ast.Name) else self.bind(node.target, None, state, state)
        if isinstance(node, ast.If):
            state = self.expression(node.test, state)
            return _joined(self.block(node.body, state), self.block(node.orelse, state))
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            return self.loop(node, state)
        if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            reached = [state]
            for statement in node.body:
                reached.append(self.statement(statement, reached[-1]) if reached[-1] is not None else None)
            raised = _joined(*reached)  # a handler starts wherever the body may have stopped
            handled = [self.block(h.body, _bound(raised, h.name, frozenset()) if h.name else raised)
                       for h in node.handlers]
            done = _joined(self.block(node.orelse, reached[-1]), *handled)
            return self.block(node.finalbody, _joined(done, raised)) if node.finalbody else done
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                after = self.expression(item.context_expr, state)
                state = self.bind(item.optional_vars, None, state, after) if item.optional_vars else after
            return self.block(node.body, state)
        if isinstance(node, getattr(ast, "Match", ())):
            state = self.expression(node.subject, state)
            return _joined(state, *(self.block(case.body, self.expression(case.guard, state))
                                    for case in node.cases))
        if isinstance(node, (ast.Break, ast.Continue)):
            if self.loops:
                self.loops[-1][isinstance(node, ast.Continue)].append(state)
            return None
        if isinstance(node, (ast.Return, ast.Raise)):
            self.expression(node, state)
            return None
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:
                state = self.expression(decorator, state)
            return _bound(state, node.name, frozenset())
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                state = _bound(state, (alias.asname or alias.name).split(".")[0], frozenset())
            return state
        if isinstance(node, ast.Delete):
            for target in node.targets:
                state = (_bound(state, target.id, frozenset()) if isinstance(target, ast.Name)
                         else self.expression(target, state))
            return state
        return self.expression(node, state)  # an expression statement, pass, global, ...

    def loop(self, node, state):
        """The state after a ``for`` or ``while`` loop, its body read again from the join of the states it is
        entered with and those at its end (or a continue) until they no longer grow."""
        entry = self.expression(node.iter, state) if isinstance(node, (ast.For, ast.AsyncFor)) else state
        head = entry
        while True:
            self.loops.append(([], []))
            tested = self.expression(node.test, head) if isinstance(node, ast.While) else head
            body = tested if isinstance(node, ast.While) else self.bind(node.target, None, tested, tested)
            end = self.block(node.body, body)
            breaks, continues = self.loops.pop()
            grown = _joined(entry, end, *continues)
            if grown == head:
                return _joined(self.block(node.orelse, tested), *breaks)
            head = grown

    def bind(self, target, value, before, state):
        """``state`` with ``target`` bound to ``value`` (None: not a view), its views read in ``before``, the state
        ``value`` was evaluated in (``v, w = w, v``); a subscript target is a write."""
        if isinstance(target, ast.Name):
            return _bound(state, target.id, _view_of(value, before) if value is not None else frozenset())
        if isinstance(target, ast.Starred):
            return self.bind(target.value, None, before, state)
        if isinstance(target, (ast.Tuple, ast.List)):
            values = [None] * len(target.elts)
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(values) and not any(
                    isinstance(v, ast.Starred) for v in value.elts + target.elts):
                values = value.elts  # `a, b = y, p[0:1]` pairs them one by one
            for t, v in zip(target.elts, values):
                state = self.bind(t, v, before, state)
            return state
        state = self.expression(target, state)
        if isinstance(target, ast.Subscript):
            self.wrote((target, None), target.lineno, _view_of(target.value, state), [])
        return state

    def expression(self, node, state):
        """The state after evaluating ``node``: a walrus binds, a helper a view is passed to is read."""
        if node is None or isinstance(node, ast.Lambda):
            return state
        if isinstance(node, ast.NamedExpr):
            viewed = _view_of(node.value, state)
            return _bound(self.expression(node.value, state), node.target.id, viewed)
        if isinstance(node, ast.IfExp):
            state = self.expression(node.test, state)
            return _joined(self.expression(node.body, state), self.expression(node.orelse, state))
        if isinstance(node, ast.BoolOp):
            state = self.expression(node.values[0], state)
            for value in node.values[1:]:  # evaluated or not
                state = _joined(state, self.expression(value, state))
            return state
        before = state
        for child in ast.iter_child_nodes(node):
            state = self.expression(child, state)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return _joined(before, state)  # its body may run no time
        if isinstance(node, ast.Call) and self.depth > 0:
            helper = _callee(node.func, self.func)
            for argument, viewed in _arguments_viewing(node, helper, _joined(before, state)):
                key = (node, argument)
                if key not in self.writes:
                    below = _first_write(helper, [argument], self.depth - 1)
                    if below is not None:
                        filename = os.path.basename(helper.__code__.co_filename)
                        self.wrote(key, node.lineno, viewed,
                                   [(helper.__name__, argument, below[1], filename)] + below[2])
        return state

    def wrote(self, key, line, viewed, chain):
        if viewed:
            self.writes[key] = (line, min(viewed, key=self.inputs.index), chain)


def _bound(state, name, viewed):
    """``state`` with ``name`` a view of the inputs ``viewed`` (none: not a view)."""
    state = {key: value for key, value in state.items() if key != name}
    if viewed:
        state[name] = viewed
    return state


def _joined(*states):
    """The state where any of ``states`` may have been: each name a view of the inputs it views in any of them;
    None where none is reached."""
    reached = [state for state in states if state is not None]
    if not reached:
        return None
    joined = {}
    for state in reached:
        for name, viewed in state.items():
            joined[name] = joined.get(name, frozenset()) | viewed
    return joined


def _view_of(expression, views):
    """The inputs ``expression`` may be (a name in ``views``, name -> inputs) or a slice of (``y[1:]``): a
    frozenset, empty for none."""
    if isinstance(expression, ast.NamedExpr):
        expression = expression.value
    if isinstance(expression, ast.Name):
        return views.get(expression.id, frozenset())
    if isinstance(expression, ast.Subscript):
        index = expression.slice
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        if any(isinstance(part, ast.Slice) for part in parts):
            return _view_of(expression.value, views)
    return frozenset()


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
    module = top_level(getattr(value, "__module__", None))
    return value if isinstance(value, types.FunctionType) and module not in _LIBRARIES else None


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def _arguments_viewing(call, helper, views):
    """``(parameter, inputs)`` of each parameter of ``helper`` the ``call`` passes an input (or a view of one) to,
    ``views`` as in :func:`_view_of`; [] where ``helper`` is None."""
    if helper is None:
        return []
    code = helper.__code__
    parameters = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    passed = []
    for position, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred):
            break
        if position < code.co_argcount:
            passed.append((parameters[position], argument))
    passed += [(k.arg, k.value) for k in call.keywords if k.arg in parameters]
    return [(parameter, viewed) for parameter, argument in passed if (viewed := _view_of(argument, views))]
