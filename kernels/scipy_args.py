"""SciPy's ``f(t, y, *args)`` told apart from the library's forms ``rhs(t, y, p, dydt)`` and ``rhs(t, y, p, u,
dydt)``, for :func:`kernels.system_checks.check_arity`: a function that returns its value and takes its parameters as
separate arguments (``solve_ivp(..., args=(beta, gamma))``) is told to read them from ``p`` and write its output
(:func:`separate_parameters_hint`), whether it has more arguments than the form or, with as many parameters as the form
has arrays after (t, y), the same count (:func:`refuse_scipy_args_form`).  They read the function's source (``ast``),
never call it.
"""

from __future__ import annotations

import ast
import itertools
import re

from .errors import ConfigurationError
from .function_source import own_definition

__all__ = ["output_named", "returns_value", "refuse_scipy_args_form", "separate_parameters_hint",
           "missing_params_hint"]


#: Names of an output array the library's forms end with: a function whose extra arguments end with one writes its
#: result (``rhs(t, y, p, u, dydt)`` with an early ``return 0`` was told to read ``p``, ``u`` and ``dydt`` from
#: ``p``: a regression hunt).
_OUTPUT_NAMES = frozenset({"dydt", "dy", "du", "out", "obs", "J", "jac", "f", "ydot", "res"})


def output_named(extra, names):
    """Whether the last of the ``extra`` arguments (after ``t, y``) is named as an output array (the form's own last
    name, or a usual one: :data:`_OUTPUT_NAMES`), so the function writes its result rather than taking SciPy's
    ``args=``."""
    return bool(extra) and (extra[-1] == names[-1] or extra[-1] in _OUTPUT_NAMES)


def _definition(func):
    """The ``def`` of ``func``'s own source (an ``ast.FunctionDef``: :func:`kernels.literals.own_definition`, which
    the other source checks read too), or None where it cannot be read or is no ``def`` (a lambda)."""
    found = own_definition(func)
    return found[1] if found is not None and isinstance(found[1], ast.FunctionDef) else None


def returns_value(func):
    """Whether ``func`` returns a value: a lambda, or a function whose own source (not a nested function's) has a
    ``return <expr>`` other than ``return None`` or a return of one of its arguments (``return dydt``, which the
    lead-and-output form may add).  False where the source cannot be read.  Tells SciPy's ``f(t, y, *args)`` from
    the form with drivers, ``rhs(t, y, p, u, dydt)``, which assigns into its last argument."""
    if getattr(func, "__name__", None) == "<lambda>":
        return True
    defined = _definition(func)
    if defined is None:
        return False
    arguments = {a.arg for a in defined.args.posonlyargs + defined.args.args}

    def returns(node):
        if isinstance(node, ast.Return):
            value = node.value
            return not (value is None or (isinstance(value, ast.Constant) and value.value is None)
                        or (isinstance(value, ast.Name) and value.id in arguments))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return False
        return any(returns(child) for child in ast.iter_child_nodes(node))

    return any(returns(statement) for statement in defined.body)


#: Names of the parameters array in the library's forms: a function of the right count with one of them after
#: (t, y) takes ``p``, whatever it returns (SciPy's ``args=`` has no such array).
_PARAMS_NAMES = frozenset({"p", "params", "param", "parameters", "pars", "par", "prm", "theta", "args", "P"})
#: Names that read as a derivative or output array beyond :data:`_OUTPUT_NAMES` (``dxdt``, ``xdot``, ``yp``,
#: ``output``, ``derivs``): a last argument so named is written into, whatever else the function returns.
_OUTPUT_LIKE = re.compile(r"d[a-z]{0,2}(dt|dx|dy)?|[a-z]{1,2}_?dot|out(put)?|derivs?|derivatives?|result|[a-z]p",
                          re.IGNORECASE)


def _writes_into(func, name):
    """Whether ``func``'s own source assigns into ``name`` (``name[i] = ...``, ``name[:] += ...``) or passes it to a
    call (a helper may write it); True where the source cannot be read or is a lambda's (no verdict: the function is
    trusted)."""
    defined = _definition(func)
    if defined is None:
        return True
    for node in ast.walk(defined):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and \
                isinstance(node.value, ast.Name) and node.value.id == name:
            return True
        if isinstance(node, ast.Call) and any(isinstance(arg, ast.Name) and arg.id == name
                                              for arg in list(node.args) + [k.value for k in node.keywords]):
            return True
    return False


def missing_params_hint(func, what, names, given):
    """The remedy for a function one argument short whose last argument is its output (``rhs(t, y, dydt)``: named
    as an output, :data:`_OUTPUT_NAMES` or :data:`_OUTPUT_LIKE`, or assigned into), so ``p`` is what it lacks; ''
    otherwise.  Such an rhs was told SciPy's returning form alone, never that ``p`` was missing (a physicist's
    trial).  ``names``: the form's arguments, ``given``: the function's."""
    if len(given) != len(names) - 1 or len(given) < 3 or "p" not in names:
        return ""
    last = given[-1]
    if any(name in _PARAMS_NAMES for name in given[2:]):  # p is there: another argument is missing (u)
        return ""
    named = last in _OUTPUT_NAMES or last == names[-1] or _OUTPUT_LIKE.fullmatch(last)
    if not named and not (_definition(func) is not None and _writes_into(func, last)):
        return ""
    form = ", ".join(list(given[:2]) + ["p"] + list(given[2:]))
    return (f"; {what}({', '.join(given)}) lacks p: write def {what}({form}), where p is the trajectory's parameter "
            "row (p[0], p[1], ...), passed even when n_params is 0 (then leave it unused)")


def refuse_scipy_args_form(func, what, names, given, n_states=None, n_params=None, n_outputs=None):
    """ConfigurationError where ``func``, of the right count of arguments ``given``, is SciPy's ``f(t, y, *args)``
    with as many parameters as the form has arrays after (t, y): ``def sir(t, y, beta, gamma): return [...]`` passed
    the count, and the construction check then said only "operands could not be broadcast together with shapes (2,)
    (3,)" (an epidemiologist's trial).  The cues, all needed (a form whose own bug raises such an error keeps that
    error): no argument after (t, y) is named as a parameters array (:data:`_PARAMS_NAMES`) or as an output
    (:data:`_OUTPUT_NAMES`, :data:`_OUTPUT_LIKE`), the last is neither assigned into nor passed on (a
    function whose source cannot be read, or a lambda, is not judged), and ``func`` returns a value
    (:func:`returns_value`).  The sizes, where given, shape the remedy (:func:`separate_parameters_hint`)."""
    extra = given[2:]
    if not extra or output_named(extra, names) or any(
            name in _PARAMS_NAMES or name in _OUTPUT_NAMES or _OUTPUT_LIKE.fullmatch(name) for name in extra):
        return  # (a p or dydt anywhere: the form, maybe its arguments in another order, which other checks name)
    if not returns_value(func) or _writes_into(func, extra[-1]):
        return
    name = getattr(func, "__name__", what)
    name = name if name.isidentifier() else what
    raise ConfigurationError(
        f"{what} is called {what}({', '.join(names)}) and must write into {names[-1]} and return nothing; got "
        f"{name}({', '.join(given)})"
        f"{separate_parameters_hint(func, what, names, extra, n_states, n_params, n_outputs)}")


def separate_parameters_hint(func, what, names, extra, n_states=None, n_params=None, n_outputs=None):
    """The remedy for SciPy's ``f(t, y, *args)`` with ``args=(g, A, w)``: a function returning its value that takes
    the parameters as separate arguments ``extra`` after (t, y).  ``def pend(t, y, gamma, A, omega): return [...]``
    was told the form with drivers, and with a fourth parameter nothing at all (a physicist's trial).

    Arguments that are arrays (``n_params`` above their count, or one used with ``@``, an index, ``.shape`` or
    ``len``) get the flattening instead (:func:`_flatten_hint`): ``def glv(t, y, A, r): return y * (r + A @ y)``
    with 30 parameters for 5 states was told ``A = p[0]; r = p[1]; dydt[0] = ...; dydt[1] = ...`` (a trial).
    ``n_states``, ``n_params`` and ``n_outputs`` (the entries of the output, ``n_states`` for rhs), where given,
    put numbers into it."""
    out = names[-1]
    returned = "derivative" if out == "dydt" else "observables"
    name = getattr(func, "__name__", what)
    name = name if name.isidentifier() else what
    listed = ", ".join(extra)
    head = (f"; it returns the {returned} and takes its parameters {listed} as separate arguments, SciPy's habit "
            f"(solve_ivp(..., args=({listed})))")
    uses = _array_uses(func, extra, names[1] if len(names) > 1 else "y")
    sizes = _sizes(extra, uses, n_states, n_params)
    if (sizes is None and (uses or (n_params is not None and n_params > len(extra)))) or (
            sizes is not None and max(sizes.values()) > 1):  # (a lone entry each: the scalars' remedy)
        return head + _flatten_hint(what, names, name, extra, uses, sizes, n_states, n_params,
                                    n_states if n_outputs is None and out == "dydt" else n_outputs, returned)
    reads = "; ".join(f"{arg} = p[{i}]" for i, arg in enumerate(extra))
    quoted = ", ".join(repr(arg) for arg in extra)
    return (f"{head}: here the parameters come as one array p, one row per trajectory, "
            f"and {what} writes the {returned} into a last argument {out} and returns nothing: def {name}"
            f"({', '.join(names)}): {reads}; {out}[0] = ...; {out}[1] = ... (the values it returned, in order); "
            f"give params columns in that order ({listed}), or param_names=({quoted}{',' if len(extra) == 1 else ''}) "
            "to ODESystem (README, 'Integrating batches')")


#: Attributes and functions that only an array has or takes: an argument so used is an array, not a scalar.
_ARRAY_ATTRIBUTES = frozenset({"shape", "size", "ndim", "T", "reshape", "ravel", "flatten", "dot"})
_ARRAY_CALLS = frozenset({"len", "dot", "matmul", "sum", "ravel", "reshape", "diag", "outer", "inner"})


def _array_uses(func, extra, state):
    """``{argument: "matrix" or "array"}`` for the ``extra`` arguments ``func``'s own source uses as arrays: a
    ``"matrix"`` is multiplied with the state ``state`` (``A @ y``, ``y @ A``, ``np.dot(A, y)``), so it is
    ``n_states x n_states``; an ``"array"`` is indexed, has ``.shape`` (and the like) or is passed to ``len`` or
    ``np.sum`` and the like.  An argument only added and multiplied is left out (a scalar, or an array that
    broadcasts: only the count of parameters tells).  Empty where the source cannot be read."""
    defined = _definition(func)
    if defined is None:
        return {}
    wanted, uses = set(extra), {}

    def named(node):
        return node.id if isinstance(node, ast.Name) and node.id in wanted else None

    def mark(arg, kind):
        if arg is not None and uses.get(arg) != "matrix":
            uses[arg] = kind

    for node in ast.walk(defined):
        pairs = []
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            pairs = [(node.left, node.right), (node.right, node.left)]
        elif isinstance(node, ast.Call) and len(node.args) == 2 and _called(node) in ("dot", "matmul"):
            pairs = [(node.args[0], node.args[1]), (node.args[1], node.args[0])]
        for side, other in pairs:
            mark(named(side), "matrix" if isinstance(other, ast.Name) and other.id == state else "array")
        if isinstance(node, ast.Subscript):
            mark(named(node.value), "array")
        elif isinstance(node, ast.Attribute) and node.attr in _ARRAY_ATTRIBUTES:
            mark(named(node.value), "array")
        elif isinstance(node, ast.Call) and _called(node) in _ARRAY_CALLS:
            for arg in node.args:
                mark(named(arg), "array")
    return uses


def _called(call):
    """The name a call calls: ``len`` for ``len(x)``, ``dot`` for ``np.dot(a, b)``; None for anything else."""
    function = call.func
    return function.id if isinstance(function, ast.Name) else (
        function.attr if isinstance(function, ast.Attribute) else None)


def _sizes(extra, uses, n_states, n_params):
    """Each argument's count of entries in ``p``, or None where the counts do not tell them apart: a matrix of
    ``@ y`` holds ``n_states**2``, a lone other argument the rest of ``n_params``, and several others one entry or
    ``n_states`` each: ``n_states`` to those used as arrays and one to the others where that adds up, else the one
    such split that does (none where several do: 31 numbers for (A, r, k) at 5 states)."""
    if n_states is None or n_params is None:
        return None
    sizes = {arg: n_states * n_states for arg in extra if uses.get(arg) == "matrix"}
    rest = [arg for arg in extra if arg not in sizes]
    left = n_params - sum(sizes.values())
    if len(rest) <= 1:
        return {**sizes, **({rest[0]: left} if rest else {})} if (left >= 1 if rest else left == 0) else None
    used = [n_states if arg in uses else 1 for arg in rest]
    if sum(used) == left:
        return {**sizes, **dict(zip(rest, used))}
    if len(rest) > _SPLIT_ARGUMENTS:
        return None
    splits = {split for split in itertools.product((1, n_states), repeat=len(rest)) if sum(split) == left}
    return {**sizes, **dict(zip(rest, splits.pop()))} if len(splits) == 1 else None


#: Arguments besides the matrices beyond which :func:`_sizes` tries no splits (2**n of them).
_SPLIT_ARGUMENTS = 8


def _unused_name(taken):
    """A name for a matrix in the hint's words that is none of the user's (``taken``): a user's own argument M was
    read as the generic matrix's."""
    return next(name for name in ("A", "C", "W", "Q", "X", "Mat", "Matrix") if name not in taken)


def _flatten_hint(what, names, name, extra, uses, sizes, n_states, n_params, n_outputs, returned):
    """The rest of :func:`separate_parameters_hint`'s remedy where some arguments are arrays: ``p`` holds them end to
    end, each flattened row-major (``p[i * n + j] = A[i, j]``, README 'Systems'), read at offsets (numbered where
    ``sizes`` are known), params built on the host with ``np.hstack`` (the README's wording for a tuple ``(A, r)``),
    and the output written entry by entry, ``out[0]`` to ``out[n_outputs - 1]``."""
    out, n = names[-1], n_states if n_states is not None else "n_states"
    if n_params is not None and n_params > len(extra):
        why = f"{n_params} numbers (n_params) for {len(extra)} arguments, so some are arrays"
    else:
        arrays = [arg for arg in extra if arg in uses]
        why = f"{', '.join(arrays)} used as {'an array' if len(arrays) == 1 else 'arrays'}"
    matrices = [arg for arg in extra if uses.get(arg) == "matrix"]
    reads, layout = _numbered_reads(extra, sizes, matrices, n), ""
    if sizes is None:
        # a row stride only for a matrix of ``@ y`` (n_states x n_states): a 3 x 3 B of a 6-state swing model was
        # told "M[i, j] as p[offset + i*6 + j]", n_states's stride under the name of its inertias M (a trial)
        shown = (f"{matrices[0]}[i, j] as p[offset + i*{n} + j]" if matrices else
                 f"a matrix {_unused_name(set(extra) | set(names))}[i, j] of m columns as p[offset + i*m + j]")
        counted = f"; {n_params} numbers in all" if n_params is not None else ""
        layout = (f", reading each argument at its offset in p, which holds {', then '.join(extra)} end to end, each "
                  f"flattened row-major ({shown}, a vector's v[i] as p[offset + i], a scalar at p[offset]{counted})")
    last = n_outputs - 1 if n_outputs is not None else ("n_states - 1" if out == "dydt" else "n_observables - 1")
    outputs = (f"{out}[0] = ..." if last == 0 else f"{out}[0] = ...; {out}[1] = ..." if last == 1 else
               f"{out}[0] = ...; ...; {out}[{last}] = ...")
    # a vector stacks as it is, (N, n); a matrix (N, n, n) and a scalar (N,) are reshaped to rows
    stacked = ", ".join(arg if sizes is not None and 1 < sizes[arg] and arg not in matrices
                        else f"np.reshape({arg}, (N, {1 if sizes is not None and sizes[arg] == 1 else -1}))"
                        for arg in extra)
    return (f", {why}: here the parameters come as one flat array p, one row per trajectory, holding the arrays end "
            f"to end, each flattened row-major, and {what} writes the {returned} into a last argument {out} entry by "
            f"entry and returns nothing: def {name}({', '.join(names)}): {reads}{outputs} (the values it returned, in "
            f"order{layout}); build params on the host as np.hstack([{stacked}]) for N trajectories, the arrays in "
            f"the order {what} reads them (README, 'Systems')")


def _numbered_reads(extra, sizes, matrices, n):
    """``'A = p[0:25] (read A[i, j] as p[i*5 + j]); r = p[25:30]; '``: each argument's read of ``p`` at its offset,
    from its count of entries (``sizes``), a matrix's entries told by row and column (``n`` per row); ``''`` where
    the counts are not known."""
    if sizes is None:
        return ""
    reads, at = [], 0
    for arg in extra:
        size = sizes[arg]
        offset = f"{at} + " if at else ""
        reads.append(f"{arg} = p[{at}]" if size == 1 else f"{arg} = p[{at}:{at + size}]" + (
            f" (read {arg}[i, j] as p[{offset}i*{n} + j])" if arg in matrices else ""))
        at += size
    return "; ".join(reads) + "; "
