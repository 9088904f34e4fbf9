"""A user's function with its float literals in the working precision.

Numba types a bare float literal as float64, so ``2.0 * u`` with ``u`` float32
is a float64 multiply (two conversions and an FP64 instruction, slow on most
GPUs).  :func:`in_precision` returns a copy of a plain Python function whose
float literals are constants of the working dtype instead: the source is parsed,
each ``ast.Constant`` of type float becomes a closure variable bound to
``dtype(value)``, and the rewritten code is rebuilt with the function's own
globals, closure cells and defaults.  Numba freezes closure values as typed
constants, so the copy compiles with float32 constants and no hidden float64.
Python floats the function reads from its closure or its module's globals
(``d = float((m + 1) ** 2)`` in a factory) are literals by another name and are
bound in the working precision too.  A module's float constants (``math.pi``, ``np.e``) stay float64,
as Numba types them on a GPU: they are bound as NumPy float64 scalars, so that the simulator, where a
Python float takes the precision of its other operand, computes ``2.0 * math.pi * t`` as the GPU does (the
module read from the globals or from a closure, ``import math as m`` in a factory).  ``from math import pi``
makes ``pi`` a Python float of the module's globals, held in the working precision like any other.

Left as written: integer literals, literals that are the argument of an
explicit cast (``float(0.1)``, ``np.float64(0.1 * x)``: nothing inside it),
NumPy scalars (``np.float64`` values stay float64), and values the dtype cannot
hold (they would overflow or flush to zero).  Where the copy cannot be
made (no source: lambdas, functions made by ``exec``, builtins, jitted
dispatchers; source that no longer matches the code), the function is returned
as written, with a debug-level log line; where its file was edited since the import (no def of its name there
compiles to the function's code: a literal changed, an argument renamed), with a :class:`StaleSourceWarning` naming
the file, once per function, at the user's call.  A function that only moved in its file (lines added above it) is
rewritten from where it now is.
"""

from __future__ import annotations

import ast
import collections
import logging
import math
import os
import sys
import types
import warnings
import weakref

import numpy as np

from .errors import StaleSourceWarning
from .function_source import (_FACTORY, _defined_in_file, _mangled, _mangling_class, _same_signature,
                              is_own_definition, own_definition, parsed_source)

# parsed_source, is_own_definition and own_definition live in kernels.function_source; they stay importable here.
__all__ = ["in_precision", "for_system", "holds", "parsed_source", "is_own_definition", "own_definition",
           "unheld_floats"]

_log = logging.getLogger(__name__)
_PREFIX = "_bufferplan_literal_"
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
# Functions a StaleSourceWarning named, once each (a solve reads the rhs twice or more): keyed on the function, whose
# stale source it is about, not on an ODESystem (a loop building a system a solve would warn at each; float32_range
# reads with no system).  Weak: it ends with the function, holds no plan's state; a worker process has its own.
_WARNED = weakref.WeakSet()
# Calls whose float argument the user wrote on purpose in double (or Python float) precision.
_EXPLICIT_CASTS = frozenset({"float", "float64", "double", "float_", "longdouble", "complex", "complex128"})


def in_precision(func, dtype):
    """``func`` with its float literals as ``dtype`` constants, or ``func`` itself when that cannot be done.

    Parameters
    ----------
    func : callable
        A plain Python function (a system's ``rhs``, ``observables``, ``jac`` or ``jvp``).
    dtype : numpy dtype or scalar type
        The working precision.  For float64 ``func`` is returned unchanged.

    Returns
    -------
    callable
        A new function of the same name, arguments, globals, closure and
        defaults, or ``func`` when nothing changes or the rewrite is not possible.
    """
    dtype = np.dtype(dtype)
    if dtype == np.float64 or dtype.kind != "f":
        return func
    try:
        return _rewrite(func, dtype.type)
    except _Edited as edited:
        if func not in _WARNED:
            _WARNED.add(func)
            warnings.warn(edited.message(dtype), StaleSourceWarning, stacklevel=_outside_package())
        return func
    except _AsWritten as reason:
        _log.debug("float literals of %s stay as written: %s", getattr(func, "__qualname__", func), reason)
        return func


def _outside_package():
    """The ``stacklevel`` that points a warning issued by :func:`in_precision` at the first caller outside this
    package (the user's ``solve_ivp``), not at the line of ``kernels`` that built the kernel."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level if frame is not None else 2


class _AsWritten(Exception):
    """Why a function keeps its literals as written."""


class _Edited(_AsWritten):
    """The function's file was edited since its import: its source there is not the code Python runs."""

    def __init__(self, func):
        super().__init__(func)
        self.func = func

    def message(self, dtype):
        name, module = self.func.__qualname__, self.func.__module__
        return (f"{self.func.__code__.co_filename} was edited since {module} was imported: {name} there is not the "
                f"code Python runs, so the {dtype} kernel compiles {name} as loaded, its float literals as written "
                f"(float64). Reload the module (importlib.reload({module})) or restart Python to solve the edited "
                f"{name}.")


def _rewrite(func, scalar):
    if not isinstance(func, types.FunctionType) or func.__name__ == "<lambda>":
        raise _AsWritten("not a def function with source")
    if getattr(func, "__wrapped__", None) is not None:  # getsource would read the wrapped function's source
        raise _AsWritten("a wrapper (functools.wraps)")
    definition, first_line = _own_definition(func)
    definition.decorator_list = []
    definition.args.defaults = []  # the function's own defaults are reused
    definition.args.kw_defaults = [None] * len(definition.args.kwonlyargs)
    enclosing = {name: _cell_value(cell) for name, cell in zip(func.__code__.co_freevars, func.__closure__ or ())}
    rewriter = _Literals(scalar, collections.ChainMap(enclosing, func.__globals__))  # `import math as m` in a factory
    definition = rewriter.visit(definition)
    cells = dict(zip(func.__code__.co_freevars, func.__closure__ or ()))
    changed = bool(rewriter.constants)
    # Python floats in the closure or module globals are literals by another name: Numba freezes them as float64.
    for name, cell in list(cells.items()):
        value = _cell_value(cell)
        if type(value) is float and holds(value, scalar):
            cells[name], changed = types.CellType(scalar(value)), True
    owner = _mangling_class(func.__code__)
    loaded = {_mangled(node.id, owner) for node in ast.walk(definition) if isinstance(node, ast.Name)}
    for name in sorted(loaded - set(cells)):
        value = func.__globals__.get(name)
        if type(value) is float and holds(value, scalar):
            cells[name], changed = types.CellType(scalar(value)), True
    cells.update((name, types.CellType(value)) for name, value in rewriter.constants.items())
    if not changed:
        raise _AsWritten("no float literal to rewrite")
    code = _inner_code(definition, func, tuple(cells), first_line)
    if (code.co_argcount, code.co_varnames[:code.co_argcount]) != (
            func.__code__.co_argcount, func.__code__.co_varnames[:func.__code__.co_argcount]):
        raise _AsWritten("the source does not match the function's code")
    if any(name not in cells for name in code.co_freevars):
        raise _AsWritten("the source's free variables do not match the function's closure")
    closure = tuple(cells[name] for name in code.co_freevars)
    copy = types.FunctionType(code, func.__globals__, func.__name__, func.__defaults__, closure or None)
    copy.__kwdefaults__ = func.__kwdefaults__
    copy.__qualname__, copy.__module__, copy.__doc__ = func.__qualname__, func.__module__, func.__doc__
    return copy


def _own_definition(func):
    """``(def node, line of its source's first line)`` of ``func``: the def its code's first line starts, or, where
    lines were added or removed above it since the import, the def of its name elsewhere in its file that
    compiles to its code (line numbers as in the file: the first line is 1).  :class:`_Edited` where the file holds
    a def of that name but none compiles to the code (a literal changed, an argument renamed); :class:`_AsWritten`
    where it holds none (no source: code exec'd, a REPL's function)."""
    code = func.__code__
    try:
        tree = parsed_source(func)
    except (OSError, TypeError, SyntaxError):
        tree = None
    named = (tree is not None and len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef)
             and tree.body[0].name == func.__name__)
    if named and is_own_definition(tree.body[0], code):
        return tree.body[0], code.co_firstlineno
    found = _defined_in_file(code)
    for node in found:
        if is_own_definition(node, code):  # moved, not changed: its literals are the code's
            return node, 1
    if found or (named and _same_signature(tree.body[0], code)):
        raise _Edited(func)
    raise _AsWritten("no source of this function" if tree is None else "the source is not one def of this name")


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell: a name the enclosing function has not bound yet
        return None


def _inner_code(definition, func, free, first_line):
    """The code object of ``definition`` (its source's first line at ``first_line`` of the file) compiled inside a
    factory whose parameters are ``free``, and in its class where it has one (private names mangled)."""
    factory = ast.parse(f"def {_FACTORY}({', '.join(free)}):\n    pass\n").body[0]
    definition.returns = None
    for arg in definition.args.posonlyargs + definition.args.args + definition.args.kwonlyargs:
        arg.annotation = None
    owner = _mangling_class(func.__code__)
    if owner:
        holder = ast.parse(f"class {owner}:\n    pass\n").body[0]
        holder.body = [definition]
        factory.body = [holder, ast.Return(value=ast.Constant(value=None))]
    else:
        factory.body = [definition, ast.Return(value=ast.Name(id=func.__name__, ctx=ast.Load()))]
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    ast.increment_lineno(module, first_line - 1)
    try:
        compiled = compile(module, func.__code__.co_filename, "exec")
    except (SyntaxError, ValueError) as exc:
        raise _AsWritten(f"the rewritten source does not compile ({exc})") from None
    factory_code = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    level = [c for c in factory_code.co_consts if isinstance(c, types.CodeType)]
    if owner:
        level = [c for outer in level for c in outer.co_consts if isinstance(c, types.CodeType)]
    inner = [c for c in level if c.co_name == func.__name__]
    if len(inner) != 1:
        raise _AsWritten("the rewritten function was not found")
    return inner[0]


def for_system(function, system, dtype):
    """``function`` (a system's rhs or an event's) as the GPU runs it: its float literals in ``dtype``
    (:func:`in_precision`), unless ``system`` keeps them as written (``ODESystem(..., literals="as written")``)."""
    return function if getattr(system, "literals", "working") == "as written" else in_precision(function, dtype)


def holds(value, scalar):
    """Whether the precision ``scalar`` (np.float32, np.float64) holds the float ``value`` without overflow or
    flushing to zero."""
    with np.errstate(over="ignore", under="ignore"):
        working = scalar(value)
    return not ((not np.isfinite(working) and np.isfinite(value))
                or (value != 0.0 and abs(float(working)) < float(np.finfo(scalar).tiny)))


def unheld_floats(func, scalar):
    """``[(name, value)]`` of the floats ``func`` uses that the precision ``scalar`` rounds to 0 or to inf, first
    use first: its source's literals (``name`` None; not in an explicit cast, ``np.float64(1e-50)``) and Python
    floats it reads from its closure or module; [] where its source cannot be read.  Why: float32 states are never
    within such a value (an extinction event ``y[0] - 1e-50`` never fired in float32, with no word: a trial)."""
    found = own_definition(func)
    if found is None:
        return []
    func, node, code = found
    cells = {name: _cell_value(cell) for name, cell in zip(code.co_freevars, func.__closure__ or ())}
    owner = _mangling_class(code)
    unheld, seen = [], set()
    for name, value in _floats_used(node.body if isinstance(node.body, list) else [node.body]):
        if name is not None:
            key = _mangled(name, owner)
            if key in code.co_varnames:  # a local name, bound in the function
                continue
            value = cells[key] if key in cells else func.__globals__.get(key)
            if type(value) is not float:
                continue
        if (name, value) not in seen and _rounds_away(value, scalar):
            seen.add((name, value))
            unheld.append((name, value))
    return unheld


def _floats_used(statements):
    """``(name, value)`` of each float literal (``name`` None) and ``(name, None)`` of each name loaded in
    ``statements``, in source order, skipping what an explicit cast holds (as :class:`_Literals` does)."""
    def visit(node):
        if isinstance(node, ast.Call):
            callee = node.func
            name = getattr(callee, "id", getattr(callee, "attr", ""))
            if name in _EXPLICIT_CASTS:
                return
        if _is_float(node):
            yield None, node.value
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            yield node.id, None
        for child in ast.iter_child_nodes(node):
            yield from visit(child)

    for statement in statements:
        yield from visit(statement)


def _rounds_away(value, scalar):
    """Whether ``scalar`` makes the nonzero finite ``value`` 0 or inf (a subnormal is kept, as a parameter is)."""
    if value == 0.0 or not math.isfinite(value):
        return False
    with np.errstate(over="ignore", under="ignore"):
        held = scalar(value)
    return held == 0.0 or not np.isfinite(held)


class _Literals(ast.NodeTransformer):
    """Replace float constants by names bound to working-precision constants (``constants``: name -> value)."""

    def __init__(self, scalar, namespace):
        self.scalar = scalar
        self.namespace = namespace
        self.constants = {}
        self._names = {}

    def visit_Call(self, node):
        callee = node.func
        name = callee.id if isinstance(callee, ast.Name) else callee.attr if isinstance(callee, ast.Attribute) else ""
        if name in _EXPLICIT_CASTS:  # np.float64(0.1 * x): the user asked for that precision
            return node
        return self.generic_visit(node)

    def visit_Attribute(self, node):
        """A module's float constant (``math.pi``, ``np.e``) as a float64 NumPy scalar, as Numba types it on a GPU.

        On the simulator it was a Python float, which NumPy 2 takes in the precision of the other operand: with
        ``2.0`` in float32, ``2.0 * math.pi * t / 365`` rounded 2 pi to float32 there and not on a GPU, and a
        seasonal model started at t = 7.4e5 ended 24 to 54 tolerances off on the simulator only (a user's trial).
        """
        owner = node.value
        if isinstance(node.ctx, ast.Load) and isinstance(owner, ast.Name):
            module = self.namespace.get(owner.id)
            value = getattr(module, node.attr, None) if isinstance(module, types.ModuleType) else None
            if type(value) is float:
                return self._bind(("module", owner.id, node.attr), np.float64(value), node)
        return self.generic_visit(node)

    def _bind(self, key, value, node):
        """A closure name for the constant ``value`` (one per ``key``), in place of ``node``."""
        if key not in self._names:
            self._names[key] = f"{_PREFIX}{len(self._names)}"
            self.constants[self._names[key]] = value
        return ast.copy_location(ast.Name(id=self._names[key], ctx=ast.Load()), node)

    def visit_Constant(self, node):
        if not _is_float(node) or not holds(node.value, self.scalar):
            return node  # not a float, or one the working precision cannot hold: left as written
        return self._bind((repr(node.value),), self.scalar(node.value), node)


def _is_float(node):
    return isinstance(node, ast.Constant) and type(node.value) is float
