"""SciPy's ``f(t, y, *args)`` told apart from the library's forms ``rhs(t, y, p, dydt)`` and ``rhs(t, y, p, u,
dydt)``, for :func:`kernels.system_checks.check_arity`: a function that returns its value and takes its parameters as
separate arguments (``solve_ivp(..., args=(beta, gamma))``) is told to read them from ``p`` and write its output
(:func:`separate_parameters_hint`), whether it has more arguments than the form or, with as many parameters as the form
has arrays after (t, y), the same count (:func:`refuse_scipy_args_form`).  They read the function's source (``ast``),
never call it.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap

from .errors import ConfigurationError

__all__ = ["output_named", "returns_value", "refuse_scipy_args_form", "separate_parameters_hint"]


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
    """The ``def`` of ``func``'s own source (an ``ast.FunctionDef``), or None where it cannot be read or is no
    ``def`` (a lambda)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return None
    return tree.body[0] if tree.body and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)) else None


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


def refuse_scipy_args_form(func, what, names, given):
    """ConfigurationError where ``func``, of the right count of arguments ``given``, is SciPy's ``f(t, y, *args)``
    with as many parameters as the form has arrays after (t, y): ``def sir(t, y, beta, gamma): return [...]`` passed
    the count, and the construction check then said only "operands could not be broadcast together with shapes (2,)
    (3,)" (an epidemiologist's trial).  The cues, all needed (a form whose own bug raises such an error keeps that
    error): no argument after (t, y) is named as a parameters array (:data:`_PARAMS_NAMES`) or as an output
    (:data:`_OUTPUT_NAMES`, :data:`_OUTPUT_LIKE`), the last is neither assigned into nor passed on (a
    function whose source cannot be read, or a lambda, is not judged), and ``func`` returns a value
    (:func:`returns_value`)."""
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
        f"{name}({', '.join(given)}){separate_parameters_hint(func, what, names, extra)}")


def separate_parameters_hint(func, what, names, extra):
    """The remedy for SciPy's ``f(t, y, *args)`` with ``args=(g, A, w)``: a function returning its value that takes
    the parameters as separate arguments ``extra`` after (t, y).  ``def pend(t, y, gamma, A, omega): return [...]``
    was told the form with drivers, and with a fourth parameter nothing at all (a physicist's trial)."""
    out = names[-1]
    returned = "derivative" if out == "dydt" else "observables"
    name = getattr(func, "__name__", what)
    name = name if name.isidentifier() else what
    reads = "; ".join(f"{arg} = p[{i}]" for i, arg in enumerate(extra))
    listed = ", ".join(extra)
    quoted = ", ".join(repr(arg) for arg in extra)
    return (f"; it returns the {returned} and takes its parameters {listed} as separate arguments, SciPy's habit "
            f"(solve_ivp(..., args=({listed}))): here the parameters come as one array p, one row per trajectory, "
            f"and {what} writes the {returned} into a last argument {out} and returns nothing: def {name}"
            f"({', '.join(names)}): {reads}; {out}[0] = ...; {out}[1] = ... (the values it returned, in order); "
            f"give params columns in that order ({listed}), or param_names=({quoted}{',' if len(extra) == 1 else ''}) "
            "to ODESystem (README, 'Integrating batches')")
