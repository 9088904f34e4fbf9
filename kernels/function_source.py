"""A user function's own definition in its source: finding the def or lambda that compiles to the code Python runs.

Several checks read a user's function from its source (:mod:`kernels.literals` rewrites its float literals;
:mod:`kernels.time_branches`, :mod:`kernels.scipy_args`, :mod:`kernels.input_writes` and others read its def), and
the source on disk need not be the code Python runs: a file edited since its import, a line holding several lambdas,
code exec'd under a file's name.  This module holds the matching alone: a def or lambda node is a function's own
when its name and positional arguments are the code's and it compiles, where the code's free variables are cells
and in its class for a method (private names mangled), to the code's bytecode, names and constants.  It is separate
from :mod:`kernels.literals` because it rewrites nothing: it only tells which source is a function's.
"""

from __future__ import annotations

import __future__
import ast
import copy
import dis
import functools
import inspect
import linecache
import operator
import os
import textwrap
import types

__all__ = ["parsed_source", "own_definition", "is_own_definition"]

# The name of the factory a def is compiled inside (its parameters: the code's free variables).
_FACTORY = "_bufferplan_factory"
# What tells a function's code from its source's, and the source's __future__ imports (annotations) it keeps.
_SKIPPED = frozenset({"NOP", "EXTENDED_ARG", "CACHE", "PUSH_NULL"})  # no operation of their own
_SAME_AS = {"LOAD_METHOD": "LOAD_ATTR"}
_FUTURES = functools.reduce(operator.or_, (getattr(__future__, f).compiler_flag for f in __future__.all_feature_names))


def parsed_source(func):
    """The parsed source of ``func``'s own code object (``inspect.getsource(func)`` would follow
    ``functools.wraps`` to the wrapped function); OSError, TypeError or SyntaxError where it cannot be read."""
    return ast.parse(textwrap.dedent(inspect.getsource(func.__code__)))


def own_definition(func):
    """``(function, def or lambda node, code)`` of ``func``'s own source (a dispatcher's Python function): of its
    defs and lambdas (a line may hold several) the one that compiles to its code; None where there is none (a
    file edited since its import, code exec'd) or its source cannot be read."""
    func = getattr(func, "py_func", func)
    if not isinstance(func, types.FunctionType):
        return None
    code = func.__code__
    try:
        tree = parsed_source(func)
    except (AttributeError, OSError, TypeError, SyntaxError):
        return None
    candidates = (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda)))
    node = next((n for n in candidates if is_own_definition(n, code)), None)
    return None if node is None else (func, node, code)


def is_own_definition(node, code):
    """Whether the parsed def or lambda ``node`` is ``code``'s: its name and positional arguments (a module edited
    since its import, or code exec'd under a file's name, hands ``getsource`` another function's lines), and the
    code it compiles to (a same-line edit, ``-2.0 * y`` to ``-5.0 * y``, keeps the name and arguments)."""
    return _same_signature(node, code) and _compiles_to(node, code)


def _same_signature(node, code):
    owner = _mangling_class(code)
    arguments = [_mangled(a.arg, owner) for a in node.args.posonlyargs + node.args.args]
    return (arguments == list(code.co_varnames[:code.co_argcount])
            and (not isinstance(node, ast.FunctionDef) or node.name == code.co_name))


def _defined_in_file(code):
    """The defs named as ``code`` in its file as it is on disk now, those of its qualified name first; none where
    the file is not there (code exec'd, a REPL) or does not parse."""
    filename = code.co_filename
    if not os.path.isfile(filename):
        return []
    linecache.checkcache(filename)
    try:
        tree = ast.parse("".join(linecache.getlines(filename)), filename)
    except (SyntaxError, ValueError):
        return []
    qualname = getattr(code, "co_qualname", code.co_name)
    found = []

    def visit(node, scope):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{scope}{child.name}"
                if isinstance(child, ast.FunctionDef) and child.name == code.co_name:
                    found.append((name != qualname, len(found), child))
                visit(child, f"{name}.<locals>." if not isinstance(child, ast.ClassDef) else f"{name}.")
            else:
                visit(child, scope)

    visit(tree, "")
    return [node for *_, node in sorted(found, key=lambda f: f[:2])]


def _mangling_class(code):
    """The class whose name Python mangles ``code``'s private names with (``__rate`` to ``_Model__rate``): the
    innermost class of its qualified name, a method's or that of the method a function is nested in
    (``Model.system.<locals>.rhs``); None outside classes."""
    parts = getattr(code, "co_qualname", code.co_name).split(".")
    owner = None
    for part, after in zip(parts, parts[1:]):
        # a class: a function's own names are under .<locals>, a comprehension's (<listcomp>.<lambda>) are not
        if part.isidentifier() and after != "<locals>":
            owner = part
    return owner


def _mangled(name, owner):
    """``name`` as Python compiles it in the class ``owner`` (``__rate`` to ``_Model__rate``)."""
    stripped = (owner or "").lstrip("_")
    if not stripped or not name.startswith("__") or name.endswith("__"):
        return name
    return f"_{stripped}{name}"


def _compiles_to(node, code):
    """Whether the def or lambda ``node``, compiled where ``code``'s free variables are cells (in its class, for a
    method: private names), gives ``code``'s bytecode, names and constants (strings up to whitespace: dedenting
    the source re-indents them)."""
    node = copy.deepcopy(node)
    node.args.defaults, node.args.kw_defaults = [], [None] * len(node.args.kwonlyargs)  # made outside the code
    owner = _mangling_class(code)
    free = [name for name in code.co_freevars if name != "__class__"]
    factory = ast.parse(f"def {_FACTORY}({', '.join(free)}):\n    pass\n").body[0]
    if not isinstance(node, ast.Lambda):
        node.decorator_list, node.returns = [], None
        for arg in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
            arg.annotation = None
    # a lambda: returned by the factory, or in a method an expression of its class body (no return there)
    inner = node if not isinstance(node, ast.Lambda) else ast.Expr(value=node) if owner else ast.Return(value=node)
    bound = owner or getattr(node, "name", None)
    factory.body = [ast.Global(names=[bound])] if bound and bound not in free else []  # a recursive call
    if owner:
        holder = ast.parse(f"class {owner}:\n    pass\n").body[0]
        holder.body = [inner]
        inner = holder
    factory.body += [inner, ast.Return(value=ast.Constant(value=None))]
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    try:
        compiled = compile(module, code.co_filename, "exec", code.co_flags & _FUTURES, dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    found = next((c for c in _nested(compiled) if c.co_name == code.co_name), None)
    return found is not None and _same_code(found, code)


def _nested(code):
    """The code objects inside ``code``, outermost first."""
    level = [c for c in code.co_consts if isinstance(c, types.CodeType)]
    while level:
        yield from level
        level = [c for outer in level for c in outer.co_consts if isinstance(c, types.CodeType)]


def _same_code(a, b):
    return ((a.co_names, a.co_varnames, a.co_freevars, a.co_cellvars)
            == (b.co_names, b.co_varnames, b.co_freevars, b.co_cellvars)
            and _same_constant(tuple(_instructions(a)), tuple(_instructions(b))))


def _instructions(code):
    """``(operation, argument)`` of each instruction, jumps to instruction counts: CPython 3.11 loads a method of
    a name the module imported (``np.uint64(0)``) with LOAD_ATTR, one of a name it did not with LOAD_METHOD."""
    kept, index = [], {}
    for instruction in dis.get_instructions(code):
        index[instruction.offset] = len(kept)
        if instruction.opname not in _SKIPPED:
            kept.append(instruction)
    for instruction in kept:
        jump = instruction.opcode in dis.hasjrel or instruction.opcode in dis.hasjabs
        yield (_SAME_AS.get(instruction.opname, instruction.opname),
               index.get(instruction.argval) if jump else instruction.argval)


def _same_constant(a, b):
    if isinstance(a, types.CodeType) or isinstance(b, types.CodeType):
        return isinstance(a, types.CodeType) and isinstance(b, types.CodeType) and _same_code(a, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(map(_same_constant, a, b))
    if isinstance(a, str):
        return a.split() == b.split()
    return repr(a) == repr(b) if isinstance(a, (float, complex)) else a == b
