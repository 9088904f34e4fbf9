"""The module globals and closure values a system's functions read, as compiled code keeps them.

Numba compiles a global or closure number (``K`` in ``dydt[0] = -K * y[0]``)
or array into the code as a constant, at the function's first compile for a
precision.  A user who changes ``K`` and solves again would get the old value
silently, and float32 and float64 runs of one system could disagree (each
compiled at its own first solve).  So :class:`FrozenValues` records those
values when the system is built and :meth:`FrozenValues.check` refuses a solve
after one of them changed, saying how to vary it instead (a parameter, or a
new system).  Only plain numbers, NumPy scalars and arrays are recorded: what
Numba freezes.
"""

from __future__ import annotations

import ast
import dis
import linecache
import numbers
import os
import types
import weakref

import numpy as np

from .errors import ConfigurationError

__all__ = ["FrozenValues", "changed_error", "loop_variables_read", "late_binding", "show", "values_read"]

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_FUNCTIONS = (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)  # their parameters shadow a loop variable
# A lambda's code -> loop_variables_read: a memo of a pure function of an immutable key (the code object, in the file
# it was compiled from, parsed once).  The Events of one comprehension share only that code (S events, S lambdas),
# made one by one in the user's expression before any system or Integrator holds them, so no owner spans the reads;
# one would only add plumbing.  Weak: it ends with the code.
_LOOP_READS = weakref.WeakKeyDictionary()


def _python_function(func):
    """The plain Python function behind ``func`` (a CUDA device dispatcher's ``py_func``), or None."""
    func = getattr(func, "py_func", func)
    return func if isinstance(func, types.FunctionType) else None


def _frozen(value, copy):
    """``value`` (a copy of an array when ``copy``) when Numba would compile it in as a constant, else None: a
    number, a numeric array, or a tuple of numbers (``LEVELS[0]``, rebound, was missed: a regression hunt)."""
    if isinstance(value, (bool, np.bool_, numbers.Number)):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        return value.copy() if copy else value
    if isinstance(value, tuple) and value and all(_frozen(v, False) is not None and not isinstance(v, np.ndarray)
                                                  for v in value):  # nested tuples too (NESTED[0][0])
        return value
    return None


def _same(old, new) -> bool:
    if isinstance(old, np.ndarray):
        return (isinstance(new, np.ndarray) and old.shape == new.shape and old.dtype == new.dtype
                and old.tobytes() == new.tobytes())  # bit for bit, as the compiled constant: NaN included
    if type(old) is not type(new):
        return False
    if isinstance(old, tuple):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new))
    return bool(old == new) or (old != old and new != new)  # NaN stays NaN


def _globals_loaded(code):
    """The global names ``code`` (and code nested in it: a comprehension's or a lambda's) loads, sorted: not
    attribute names, which share ``co_names``."""
    def loaded(code):
        names = {i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names |= loaded(const)
        return names

    return sorted(loaded(code))


def _module_attributes(code):
    """``(where, root, attributes)`` of the attribute chains ``code`` (and code nested in it) reads from a global or
    a closure variable (``where``: ``"global"`` or ``"closure"``): ``cfg.LEVEL``, ``cfg.deep.K``, and ``c.SCALE``
    with ``c`` a module held by a closure (``import pkg.cfg as c`` in a factory)."""
    found = set()
    instructions = list(dis.get_instructions(code))
    for k, first in enumerate(instructions):
        where = {"LOAD_GLOBAL": "global", "LOAD_NAME": "global", "LOAD_DEREF": "closure"}.get(first.opname)
        if where is None:
            continue
        chain = []
        for later in instructions[k + 1:]:
            if later.opname not in ("LOAD_ATTR", "LOAD_METHOD"):
                break
            chain.append(later.argval)
        if chain:
            found.add((where, first.argval, tuple(chain)))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found.update(_module_attributes(const))
    return sorted(found)


def _attribute_value(root, chain):
    """``root.a.b...`` while each step is a module's attribute (Numba freezes those), else None."""
    value = root
    for name in chain:
        if not isinstance(value, types.ModuleType) or not hasattr(value, name):
            return None
        value = getattr(value, name)
    return value


def values_read(func, names=None, attributes=None):
    """``{(kind, name): value}`` of what ``func`` reads from outside: the module globals it loads (``names``, or
    found from its bytecode), the attributes of modules it reads (``attributes``: :func:`_module_attributes`'s
    chains, or found from its bytecode) and its closure cells (``kind`` ``"global"``, ``"module attribute"`` or
    ``"closure variable"``); {} for a
    function that is not plain Python."""
    func = _python_function(func)
    if func is None:
        return {}
    names = _globals_loaded(func.__code__) if names is None else names
    values = {("global", name): func.__globals__[name] for name in names if name in func.__globals__}
    cells = {}
    for name, cell in zip(func.__code__.co_freevars, func.__closure__ or ()):
        try:
            cells[name] = values[("closure variable", name)] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    attributes = _module_attributes(func.__code__) if attributes is None else attributes
    for where, root, chain in attributes:  # cfg.LEVEL: Numba freezes it too
        held = func.__globals__.get(root) if where == "global" else cells.get(root)
        value = _attribute_value(held, chain)
        if value is not None:
            values[("module attribute", ".".join((root,) + chain))] = value
    return values


def _read(func, names, attributes, copy=False):
    """``{(kind, name): value}`` of the globals ``names`` and the closure cells ``func`` reads that Numba freezes
    (arrays copied when ``copy``: a record, not a look)."""
    values = {}
    for key, value in values_read(func, names, attributes).items():
        frozen = _frozen(value, copy)
        if frozen is not None:
            values[key] = frozen
    return values


def loop_variables_read(func):
    """The closure names of ``func``, a lambda, that are loop variables of a comprehension it is written in (``i`` of
    ``[Event(lambda t, y, p: y[i] - 1e-3) for i in range(3)]``), sorted; () for any other function, or where its
    file cannot be read.

    Why: Python's late binding gives every lambda made there the loop variable's value when it is called, the
    loop's last once the comprehension ends, so each event watched the same state (a user's trial meant one event
    a species); a compiled kernel keeps the value the function was built with."""
    func = _python_function(func)
    if func is None or func.__name__ != "<lambda>" or not func.__code__.co_freevars:
        return ()
    code = func.__code__
    if code not in _LOOP_READS:
        targets = _comprehension_targets(code)
        _LOOP_READS[code] = tuple(sorted(set(targets or ()) & set(code.co_freevars)))
    return _LOOP_READS[code]


def _comprehension_targets(code):
    """The loop variables of the comprehensions around the lambda whose code is ``code``, in its file as it is on
    disk (a lambda's own source is its first line only: a comprehension over several lines was missed), or None."""
    from .function_source import is_own_definition

    filename = code.co_filename
    if not os.path.isfile(filename):
        return None
    linecache.checkcache(filename)
    try:
        tree = ast.parse("".join(linecache.getlines(filename)), filename)
    except (SyntaxError, ValueError):
        return None

    def visit(node, targets):
        if isinstance(node, ast.Lambda) and node.lineno == code.co_firstlineno and is_own_definition(node, code):
            return targets
        outer = {}
        if isinstance(node, _COMPREHENSIONS):  # the first iterable is read outside the comprehension's scope
            outer[id(node.generators[0].iter)] = targets
            targets = targets | {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        elif isinstance(node, _FUNCTIONS):
            outer.update(_read_outside(node, targets))
            targets = targets - _parameters(node)
        for child in ast.iter_child_nodes(node):
            found = visit(child, outer.get(id(child), targets))
            if found is not None:
                return found
        return None

    return visit(tree, frozenset())


def _parameters(node):
    """The parameter names of the def or lambda ``node``: inside its body they shadow a comprehension's loop
    variable of the same name, which each call binds anew (``(lambda i: lambda t, y, p: y[i] - THR)(i)`` in a
    comprehension gives every inner lambda its own ``i``; it was warned about as late-bound: a user's trial)."""
    arguments = node.args
    named = arguments.posonlyargs + arguments.args + arguments.kwonlyargs + [arguments.vararg, arguments.kwarg]
    return frozenset(a.arg for a in named if a is not None)


def _read_outside(node, targets):
    """``{id(child): targets}`` for the parts of the def or lambda ``node`` evaluated where it is made, not in its
    body: its defaults (``i=i`` reads the loop's ``i`` of that iteration), decorators and annotations."""
    arguments = node.args
    outside = arguments.defaults + [d for d in arguments.kw_defaults if d is not None]
    outside += getattr(node, "decorator_list", []) + [n for n in (getattr(node, "returns", None),) if n is not None]
    return {id(child): targets for child in outside}


def late_binding(func, name, ended=None):
    """``(why, remedy)``: why ``func`` reads ``name`` as the loop left it and how to bind it, where ``name`` is a
    loop variable of the comprehension the lambda ``func`` is made in (:func:`loop_variables_read`), else None;
    ``ended``: the value the loop left, where it has ended."""
    if name not in loop_variables_read(func):
        return None
    last = f"{ended!r} once the loop ends" if ended is not None else "the loop's last once it ends"
    return (f"{name} is the loop variable of the comprehension the lambda is made in, and Python's late binding "
            f"gives every lambda made there the value {name} has when it is called ({last}), not the one of its "
            f"own iteration", f"to give each its own {name}, make the lambda in a function, def make({name}): "
            f"return lambda ..., and call make({name}) in the comprehension")


class FrozenValues:
    """What a system's functions read from their module and closure, recorded when the system is built.

    Parameters
    ----------
    functions : mapping
        Role (``"rhs"``, ``"jac"``, ...) -> the user's function or None.

    The names each function loads are found once, here; :meth:`check` only reads their values (a solve's
    host time stays in microseconds).
    """

    def __init__(self, functions):
        self._functions = {role: f for role, f in ((r, _python_function(f)) for r, f in functions.items())
                           if f is not None}
        self._names = {role: _globals_loaded(f.__code__) for role, f in self._functions.items()}
        self._attributes = {role: _module_attributes(f.__code__) for role, f in self._functions.items()}
        self._values = {role: _read(f, self._names[role], self._attributes[role], copy=True)
                        for role, f in self._functions.items()}

    def __getstate__(self):
        """As recorded, a ``numba.njit`` function going as its module's dispatcher (it pickles by reference)."""
        from .system_checks import picklable_function

        return {**self.__dict__, "_functions": {r: picklable_function(f) for r, f in self._functions.items()}}

    def __setstate__(self, state):
        from .system_checks import cpu_jit_unwrapped

        self.__dict__.update(state)
        self._functions = {r: cpu_jit_unwrapped(f) for r, f in state["_functions"].items()}

    def changed(self):
        """``(role, kind, name, old, new)`` of the first recorded value that has changed since, or None."""
        for role, func in self._functions.items():
            recorded = self._values[role]
            if not recorded:
                continue
            now = _read(func, self._names[role], self._attributes[role])
            for (kind, name), old in recorded.items():
                new = now.get((kind, name))
                if new is None or not _same(old, new):
                    return role, kind, name, old, new
        return None

    def check(self, system_name):
        """Raise ConfigurationError when a recorded value has changed since the system was built."""
        found = self.changed()
        if found is not None:
            role = found[0]
            raise changed_error(found, f"{role} of system {system_name!r}", "the system was built", "",
                                "build a new ODESystem after changing it", self._functions[role])


def changed_error(found, subject, since, in_params, renew, function=None):
    """The ConfigurationError for :meth:`FrozenValues.changed`'s ``found``: ``subject`` reads it, it changed after
    ``since``; to vary it pass it in params (``in_params`` says how it is read), or ``renew``.  Where ``function``
    is a lambda reading its comprehension's loop variable, the message says so (:func:`late_binding`): "it
    changed" named no change of the user's (``[ODESystem(lambda ...: ... r ...) for r in rates]``)."""
    _, kind, name, old, new = found
    late = late_binding(function, name, new) if kind == "closure variable" and function is not None else None
    if late is not None:
        return ConfigurationError(
            f"{subject} reads the closure variable {name!r}, {show(old)} when it was built and {show(new)} now: "
            f"{late[0]}; {late[1]}, or pass {name} in params (p[i]){in_params}")
    was = f"it was {show(old)}, now {show(new)}"
    if (isinstance(old, np.ndarray) and isinstance(new, np.ndarray) and old.shape == new.shape and old.size > 6
            and old.dtype == new.dtype):  # "an array of shape (10, 10), now an array of shape (10, 10)" said nothing
        differ = np.argwhere(~((old == new) | ((old != old) & (new != new))))
        if differ.size:  # (none where only a zero's sign or a NaN's payload changed: the bits do)
            k = tuple(int(i) for i in differ[0])
            was = f"its entry {list(k)} was {old[k].item()!r}, now {new[k].item()!r}"
    return ConfigurationError(
        f"{subject} reads the {kind} {name!r}, which changed after {since} ({was}): "
        f"compiled code keeps the value it was built with. To vary {name} between runs, pass it in params "
        f"(p[i]){in_params}; or {renew}")


def show(value):
    """A recorded value as a message shows it (an array by its shape past six elements)."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}" if value.size > 6 else np.array2string(value, separator=", ")
    return "not a number" if value is None else repr(value)
