"""The construction check's helpers: the unwritten-NaN marker, the other test states, and what a failure says.

:class:`kernels.ODESystem` runs its user functions on test arrays when it is made (``_check_runs``); these
are the pieces it and the status hints share: an output is filled with a NaN that arithmetic never makes, so
an element still holding it was never assigned (:func:`unassigned`); :data:`OTHER_STATES` are where the check
also looks for a component left unassigned on some path; and the rest words a failure (which input a function
wrote into, where in the user's file it failed, how the integrator calls it).
"""

from __future__ import annotations

import ast
import functools
import inspect
import os
import re
import sys
import traceback
import types

import numpy as np

from .complex_values import ComplexValueWritten, real_output, written_message
from .derivative_check import second_point
from .errors import ConfigurationError, UnpicklableSystemError, describe, state_text
from .foreign_functions import foreign_function_message
from .index_faults import gpu_effect, index_access
from .scipy_args import (missing_params_hint, output_named, refuse_scipy_args_form, returns_value,
                         separate_parameters_hint)
from .validation import defaulted_parameter

__all__ = ["UNWRITTEN", "OTHER_STATES", "unassigned", "input_written",
           "calls_device_code", "first_lines", "signature", "where", "cpu_jit_unwrapped", "picklable_function",
           "pickled_functions", "index_hint", "argument_arrays", "unassigned_message",
           "check_jvp_runs", "check_arity", "refuse_index_fault", "check_observables_elsewhere", "check_events_index",
           "ODESYSTEM_POSITIONS", "refuse_misplaced_functions"]


def picklable_function(func):
    """The ``numba.njit`` dispatcher a module holds under ``func``'s name when ``func`` is its Python function, else
    ``func``: pickle writes a module function by reference, and the module's name leads to the dispatcher, so the
    function itself did not pickle ('not the same object as njmod.rhs': a regression hunt).  Undone by
    :func:`cpu_jit_unwrapped`."""
    import sys

    module = sys.modules.get(getattr(func, "__module__", None) or "")
    held = getattr(module, getattr(func, "__qualname__", ""), None) if module is not None else None
    return held if held is not func and getattr(held, "py_func", None) is func else func


def pickled_functions(state, roles, name):
    """``state``'s functions of ``roles`` as pickle writes them (:func:`picklable_function`); refused, with what to
    send instead, where pickle would save one by name that cannot be imported by it (pickle said "Can't pickle
    local object" or "import of module 'kernels.symbolic.generated' failed").  cloudpickle and dill save such a
    function by value (Dask does), and ``copy.copy`` does not save it: they pass."""
    for role in roles:
        func = state[role] = picklable_function(state[role])
        if isinstance(func, types.FunctionType) and not _importable(func) and not _by_value():
            raise UnpicklableSystemError(
                f"ODESystem {name!r} does not pickle: its {role} ({func.__qualname__} of module {func.__module__}) "
                "cannot be imported by name on the other side. An ODESystem of module-level functions pickles; for "
                "a closure's or symbolic_system's, send what builds it (the factory's arguments, the expressions) "
                "and build the system there, or pickle it with cloudpickle (functions by value)")
    return state


def _importable(func):
    found = sys.modules.get(func.__module__ or "")
    for part in func.__qualname__.split("."):
        found = getattr(found, part, None)
    return found is func


def _by_value():
    """Whether a pickler that saves functions by value (cloudpickle, dill), or ``copy``, is up the stack."""
    frame = sys._getframe(2)
    while frame is not None:
        if {"cloudpickle", "dill", "copy"} & set(str(frame.f_globals.get("__name__", "")).split(".")):
            return True
        frame = frame.f_back
    return False


def cpu_jit_unwrapped(func):
    """The Python function behind a ``numba.njit`` dispatcher, else ``func`` itself.

    The kernels compile a system's functions for the GPU from their Python source either way; kept as CPU
    dispatchers they ran as CPU code on the simulator, which cannot swap their globals, and the solve failed
    there with an AttributeError after construction had passed (a user's trial).
    """
    from numba.core.registry import CPUDispatcher

    return func.py_func if isinstance(func, CPUDispatcher) else func


def input_written(exc, func, y, p, u, size, takes_u):
    """The name of the read-only test input ``func`` assigned into (``exc`` says so), else None."""
    if not (isinstance(exc, ValueError) and "read-only" in str(exc)):
        return None
    for name in ("y", "p", "u"):  # writable one at a time: the one whose write then succeeds
        arrays = {"y": y, "p": p, "u": u}
        arrays[name] = arrays[name].copy()
        try:
            args = (arrays["y"], arrays["p"], arrays["u"]) if takes_u else (arrays["y"], arrays["p"])
            func(0.0, *args, np.zeros(size))
        except ValueError as again:
            if "read-only" in str(again):
                continue
        except Exception:  # noqa: BLE001 - another failure past the write: that input was the one
            pass
        return name
    return "y or p"


def calls_device_code(exc):
    """True when ``exc`` is Numba refusing a CUDA device function called from the host (real GPU only)."""
    from .backend import backend

    return backend() == "cuda" and isinstance(exc, ValueError) and "launch configuration" in str(exc).lower()


UNWRITTEN_BITS = np.uint64(0x7FF8_0BAD_5EED_0DD5)  # a quiet NaN with a distinctive payload
UNWRITTEN = UNWRITTEN_BITS.reshape(1).view(np.float64)[0]


# States besides the test point at which the construction check makes sure rhs assigns every component: the
# test values negated, at 0, and of alternating sign and larger magnitude.
OTHER_STATES = (
    lambda n: -second_point(n, 0.0),
    lambda n: np.zeros(n),
    lambda n: 10.0 * second_point(n, 0.5) * np.where(np.arange(n) % 2 == 0, -1.0, 1.0),
)


def unassigned(out):
    """Indices of ``out`` (float64, filled with the unwritten NaN before a user function ran) it left unassigned."""
    return np.flatnonzero(np.asarray(out, np.float64).view(np.uint64) == UNWRITTEN_BITS)


def unassigned_message(what, name, func, out_name, missing, size):
    """The refusal of ``what`` (a user function of system ``name``) that left the components ``missing`` of its
    output ``out_name`` (of ``size``) unassigned at the test point; where its source binds the output argument's own
    name (:func:`_output_rebound`), that this is why: ``dydt = (y[1], -y[0])`` was told only "did not assign dydt[0],
    dydt[1]", not that the name was rebound (a mechanical engineer's trial)."""
    shown = ", ".join(f"{out_name}[{i}]" for i in missing[:8]) + (", ..." if missing.size > 8 else "")
    head = (f"{what} of system {name!r} did not assign {shown} ({missing.size} of {size} components, at t=0 on "
            "test arrays)")
    rebound = _output_rebound(func)
    if rebound is None:
        return (f"{head}: assign every component on every call; {out_name} is not zeroed, so a component left "
                "unassigned or only updated (+=) keeps whatever was there")
    argument, line = rebound
    writes = ", ".join(f"{argument}[{i}] = ..." for i in range(min(size, 3))) + (", ..." if size > 3 else "")
    return (f"{head}: it assigns to the name {argument} itself (line {line}), its output argument; rebinding "
            f"{argument} makes a new local object and leaves the array the integrator passed unwritten, so write "
            f"each component into it: {writes}")


def _output_rebound(func):
    """``(name, line)`` of the first assignment (``=``, annotated, or a ``for`` target) to the name of ``func``'s
    last positional argument, its output array, in its own source; None for none, a function without one, or a
    source that cannot be read.  Functions nested in it are not read (their names are their own)."""
    from .function_source import own_definition

    found = own_definition(func)
    if found is None:
        return None
    _, node, code = found
    arguments = node.args.posonlyargs + node.args.args
    if not arguments or isinstance(node, ast.Lambda):
        return None
    output = arguments[-1].arg
    lines = []
    pending = list(node.body)
    while pending:
        statement = pending.pop()
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        targets = (statement.targets if isinstance(statement, ast.Assign) else
                   [statement.target] if isinstance(statement, (ast.AnnAssign, ast.For, ast.NamedExpr)) else [])
        if any(output in _bound_names(target) for target in targets):
            lines.append(statement.lineno)
        pending.extend(ast.iter_child_nodes(statement))
    return (output, min(lines) + code.co_firstlineno - 1) if lines else None


def _bound_names(target):
    """The names an assignment target binds: itself, or those of a tuple or list unpacked (``a, *b``); none for an
    item or attribute written (``dydt[0] = ...`` writes into the array, which is the right thing)."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*map(_bound_names, target.elts))
    return set()


def first_lines(message):
    """A Numba error's headline and its first specific line, without terminal colour codes."""
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", message).splitlines() if line.strip()]
    detail = [line for line in lines[1:] if not line.startswith(("Failed in", "During:", "File "))]
    return " / ".join(lines[:1] + detail[:1])


def signature(what, out_name, takes_u):
    """How the integrator calls ``what``: its arguments in order, with what each is."""
    drivers = ", u" if takes_u else ""
    return (f"{what}(t, y, p{drivers}, {out_name}) with t a float, y and p arrays{' and u the drivers' if takes_u else ''}"
            f", and {out_name} the array it writes in place")


def where(exc, func):
    """``", at FILE:LINE"`` of the last frame of ``exc``'s traceback in ``func``'s file, or ""."""
    code = getattr(func, "__code__", None) or getattr(getattr(func, "py_func", None), "__code__", None)
    if code is None:
        return ""
    lines = [line for frame, line in traceback.walk_tb(exc.__traceback__)
             if frame.f_code.co_filename == code.co_filename]
    return f", at {os.path.basename(code.co_filename)}:{lines[-1]}" if lines else ""


def argument_arrays(system, out_name, takes_u=False):
    """The arrays the construction check passes a function of ``system`` after ``t``, in order, as ``(name,
    keyword, value, size)``: the keyword of ODESystem that sizes each, its value and the array's length (``J``
    holds n_states^2); ``out_name`` is the output ("dydt", "obs", "J"; jvp's "out" comes after "v")."""
    n, k = system.n_states, system.n_params
    arrays = [("y", "n_states", n, n), ("p", "n_params", k, k)]
    if takes_u:
        arrays.append(("u", "n_drivers", system.n_drivers, system.n_drivers))
    if out_name == "out":
        arrays.append(("v", "n_states", n, n))
    outputs = {"obs": ("n_observables", system.n_observables, system.n_observables), "J": ("n_states", n, n * n)}
    return arrays + [(out_name, *outputs.get(out_name, ("n_states", n, n)))]


def index_hint(exc, func, what, arrays, notes=None):
    """What to do about an IndexError ``exc`` of the user's ``what`` (``func``) on the test ``arrays``
    (:func:`argument_arrays`), as a clause: the array its subscript ran past, with the keyword that sizes it; or, where
    the subscript is not at hand, every array.  "" for another exception, or a subscript of the user's own table.
    ``notes`` maps an array's name to a clause of its own.  ``ODESystem(rhs, n_states=1)`` of an rhs reading p[0]
    said only "IndexError: index 0 is out of bounds for axis 0 with size 0" (a user's trial)."""
    if not isinstance(exc, IndexError) or str(exc).startswith("too many indices"):
        return ""
    _, text = index_access(exc)
    found = re.fullmatch(r"([A-Za-z_]\w*)\s*\[(.*)\]", text)
    if not found:
        named = ", ".join(f"{name} ({kw}={value})" for name, kw, value, _ in arrays[:-1])
        keywords = " and ".join(f"{kw}=" for kw in dict.fromkeys(kw for _, kw, _, _ in arrays))
        return (f": an index past the end of {named} or {arrays[-1][0]} ({arrays[-1][1]}={arrays[-1][2]}): pass "
                f"{keywords} to ODESystem as the {what} indexes them")
    try:
        params = list(inspect.signature(func).parameters)[1:]
    except (TypeError, ValueError):
        return ""
    if found[1] not in params or params.index(found[1]) >= len(arrays):
        return ""
    name, kw, value, size = arrays[params.index(found[1])]
    if name in (notes or {}):
        return notes[name]
    sizes = [f"the {name} argument"] * (found[1] != name) + [f"{size} elements"] * (size != value) + [f"{kw}={value}"]
    label = f"{found[1]} ({', '.join(sizes)})"
    literal = re.fullmatch(r"\s*(-?\d+)\s*", found[2])
    need = (int(literal[1]) + 1 if int(literal[1]) >= 0 else -int(literal[1])) if literal else 0
    least = f" (at least {kw}={need} for {text})" if literal and size == value else ""
    below = f", or index {found[1]} below {size} (0-based)" if size else ""
    remedy = f"pass {kw}= to ODESystem as the {what} indexes {found[1]}"
    return f": {text} is past the end of {label}: {remedy}{least}{below}"


def check_jvp_runs(system, y, p):
    """ConfigurationError where ``system``'s ``jvp`` fails on the test arrays (``y``, ``p`` read only), returns a
    value or leaves a component of ``out`` unassigned: a jvp writing ``out[5]`` of a 2-state system was only found
    by the solve (and on a GPU not at all: a write past ``out``; a regression hunt).  Device code is left to the
    compile check."""
    from .user_faults import run_as_on_a_gpu

    n = system.n_states
    v = np.linspace(1.5, 0.5, n)
    out = real_output(np.full(n, UNWRITTEN))
    try:
        with np.errstate(all="ignore"):
            returned = run_as_on_a_gpu(system.jvp, (0.0, y, p, v, out), finite_only=False)
    except Exception as exc:  # noqa: BLE001 - report any failure of user code
        if calls_device_code(exc):
            return
        if isinstance(exc, ComplexValueWritten):
            raise ConfigurationError(written_message(exc, "jvp", system.name)) from exc
        size = index_hint(exc, system.jvp, "jvp", argument_arrays(system, "out"), notes={
            "out": f": out has n_states = {n} entries (out[i] = sum_j d f_i / d y_j v[j] for i below {n})"})
        raise ConfigurationError(
            f"jvp of system {system.name!r} failed on test arrays (y and v of {n}, p of {system.n_params}, out of "
            f"{n} elements{where(exc, system.jvp)}): {type(exc).__name__}: {exc}{size}") from exc
    if returned is not None:
        raise ConfigurationError(f"jvp of system {system.name!r} returned a {type(returned).__name__}: jvp must write "
                                 "into out and return nothing")
    missing = unassigned(out)
    if missing.size:
        raise ConfigurationError(
            f"jvp of system {system.name!r} did not assign out[{int(missing[0])}] ({missing.size} of {n} components, "
            "at t=0 on test arrays): assign every component on every call; out is not zeroed")


#: ``kernels.ODESystem``'s leading arguments in their order (a test holds it to the signature): a function passed
#: by position past ``n_states`` lands in whichever of them stands there.
ODESYSTEM_POSITIONS = ("rhs", "n_states", "n_params", "name", "observables", "n_observables", "jvp", "n_drivers",
                       "default_params", "check", "jac")


def refuse_misplaced_functions(**slots):
    """ConfigurationError where a function sits in one of ``kernels.ODESystem``'s ``slots`` that take no function
    (``n_params``, ``name``, ``check``, ...), most likely a jac or jvp passed by position, and where ``check`` is no
    bool.  ``ODESystem(rhs, 2, 0, "osc", None, 0, None, 0, None, jac)`` put jac in ``check``, which took it as True,
    and the system had no jac, with no word; a function as ``name`` became its repr (a physicist's trial)."""
    for what, value in slots.items():
        if callable(value) and not isinstance(value, type):
            position = f" (position {ODESYSTEM_POSITIONS.index(what) + 1})" if what in ODESYSTEM_POSITIONS else ""
            name = getattr(value, "__name__", value)
            raise ConfigurationError(
                f"ODESystem's {what}{position} got the function {name}, which looks like a jac or jvp passed by "
                f"position (the order is {', '.join(ODESYSTEM_POSITIONS)}, ...): pass functions by keyword, jac=..., "
                f"jvp=... or observables=..., and give {what} its own value")
    check = slots.get("check", True)
    flag = isinstance(check, (bool, np.bool_)) or (isinstance(check, (int, np.integer)) and check in (0, 1))
    if not flag:  # 0 and 1 as before; None, which read as False, is ambiguous beside a default of True
        raise ConfigurationError(f"ODESystem's check must be True or False (whether the functions are run and "
                                 f"compiled on test inputs when the system is made); got {describe(check)}")


def check_arity(func, what, expected, names, n_drivers=None, derivative=False, sizes=None):
    """ConfigurationError unless ``func`` is a callable of ``expected`` plain positional arguments ``names`` (no
    defaults, ``*args`` or ``**kwargs``), with what a wrong count most likely meant.  ``sizes``: the system's
    ``n_states``, ``n_params`` (and ``n_outputs``), for the SciPy form's layout of array parameters
    (:mod:`kernels.scipy_args`)."""
    if not callable(func):
        raise ConfigurationError(f"{what} must be a callable {what}({', '.join(names)}); got {describe(func)}")
    foreign = foreign_function_message(func, what, names)  # jax.jit, an nn.Module: before its signature is read
    if foreign is not None:
        raise ConfigurationError(foreign)
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    # a functools.partial's bound keywords show as defaults: the compile check names the partial itself
    defaulted = (None if isinstance(func, functools.partial)
                 else defaulted_parameter(list(params), what, ", ".join(names)))
    if defaulted is not None:
        raise defaulted
    if any(p.kind is p.VAR_POSITIONAL for p in params):  # "got a function of 4 positional arguments" (a hunt)
        raise ConfigurationError(f"{what} takes *args (variable arguments), which a device function cannot: it is "
                                 f"called with exactly ({', '.join(names)}); write {what}({', '.join(names)})")
    if len(positional) == expected and not derivative:
        refuse_scipy_args_form(func, what, names, [p.name for p in positional], **(sizes or {}))
    if len(positional) != expected:
        extra = [p.name for p in positional[2:]] if len(positional) > expected else []  # after (t, y)
        if derivative:
            hint = _derivative_hint(what, names, len(positional) - expected, n_drivers)
        elif extra and returns_value(func) and not output_named(extra, names):
            hint = separate_parameters_hint(func, what, names, extra, **(sizes or {}))
        elif len(positional) == 2:  # f(t, y): torchdiffeq's and SciPy's form, which returns the derivative
            hint = (f"; {what}(t, y) is torchdiffeq's and SciPy's form: here {what} also takes p, the trajectory's "
                    f"parameters (p[0], p[1], ...; unused where n_params=0)" + _returned_form_hint(what, names))
        else:
            hint = _arity_hint(what, names, len(positional) - expected, n_drivers)
        lacks_p = missing_params_hint(func, what, names, [p.name for p in positional])
        if lacks_p:  # p first; SciPy's returning form only where the function returns a value
            hint = lacks_p + (hint if returns_value(func) else "")
        raise ConfigurationError(
            f"{what} must take {expected} arguments ({', '.join(names)}); "
            f"got a function of {len(positional)} positional arguments{hint}"
        )


def _arity_hint(what, names, extra, n_drivers):
    """What a function of the lead-and-output form (rhs, observables) given ``extra`` arguments more (or, negative,
    fewer) than ``names`` most likely meant, or ''."""
    if n_drivers == 0 and extra == 1:
        return (f"; the form {what}(t, y, p, u, {names[-1]}) is for systems with drivers: pass n_drivers "
                f"(and drivers to solve_ivp), or drop u")
    if n_drivers and extra == -1:
        return f"; with n_drivers={n_drivers} the drivers come as u: {what}({', '.join(names)})"
    if n_drivers == 0 and extra == -1:
        return _returned_form_hint(what, names)
    return ""


def _derivative_hint(what, names, extra, n_drivers):
    """What a ``jac`` or ``jvp`` (``names``: the arguments it takes) given one argument more or fewer most likely
    meant, or ''.  They never take u, with drivers or without, so the lead-and-output remedies of rhs are wrong for
    them: ``jac(t, y, p)`` was told the observables' form and a ``jac(t, y, p, u, J)`` that is refused, and
    ``jac(t, y, p, u, J)`` on a system without drivers to pass n_drivers, which is refused too (a
    neuroscientist's trial)."""
    form = f"def {what}({', '.join(names)})"
    if extra == 1:
        forced = (f", where the Jacobian does not depend on the forcing; one that does is not supported, so for such "
                  f"a model leave {what} out and the solvers difference rhs, which sees u" if n_drivers else
                  f" (this system has no drivers; for a forced model whose Jacobian depends on u, pass n_drivers and "
                  f"leave {what} out: the solvers difference rhs, which sees u)")
        return f"; {what} does not receive u, with drivers or without: drop u, {form}{forced} (README, 'Systems')"
    if extra == -1:
        out = names[-1]
        product = ("the Jacobian matrix, SciPy's habit: here jac writes it into a last argument J, flat and row-major, "
                   "J[i * n + j] = d f_i / d y_j (n = n_states)" if what == "jac" else
                   f"the product J v: here {what} writes it into a last argument {out}, {out}[i] = sum_j J_ij v[j] "
                   "(J_ij = d f_i / d y_j)")
        return (f"; if it returns {product}, and returns nothing: {form}: {out}[0] = ...; {out}[1] = ...; "
                f"{what} never takes u, with drivers or without (README, 'Systems')")
    return ""


def _returned_form_hint(what, names):
    """The remedy for SciPy's form ``rhs(t, y, p)`` that returns the derivative: one argument short, it got only the
    count (an epidemiologist's trial), where the 4-argument one returning a list is told to assign ``dydt[i]``."""
    out = names[-1]
    returned = "derivative" if out == "dydt" else "observables"
    drivers = ("u holds the drivers at time t" if "u" in names else f"with drivers (n_drivers > 0) it is "
               f"{what}({', '.join(names[:-1])}, u, {out}), u holding the drivers at time t")
    return (f"; if it returns the {returned}, SciPy's habit: here {what} writes them into a last argument {out} and "
            f"returns nothing, def {what}({', '.join(names)}): {out}[0] = ...; {out}[1] = ... (assign {out}[i] = ... "
            f"for each component, the values it returned, in order); {drivers} (README, 'Integrating batches')")


def _kernel_array_fault(exc, func):
    """Whether ``exc`` is an index out of range that is wrong at every state: a literal index (``p[3]``) on one of
    the arrays the kernel passes ``func`` (its arguments after ``t``: y, p, u, dydt or obs).  An index computed from
    the state (``p[int(y[2])]``, a mode flag of 0 or 1) or a table of the user's own (``TABLE[int(y[0])]``) run past
    at a test state far outside the model's domain (y = 7.7) is the domain's edge (both were refused: a regression
    hunt); so is a subscript whose source is not at hand."""
    if not isinstance(exc, IndexError):
        return False
    _, text = index_access(exc)
    found = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*\[\s*-?\d+\s*\]\s*", text or "")
    if not found:
        return False
    try:
        names = list(inspect.signature(func).parameters)[1:]
    except (TypeError, ValueError):
        return False
    return found.group(1) in names


def refuse_index_fault(exc, system, what, y):
    """ConfigurationError where ``exc``, raised by ``system``'s ``what`` ("rhs" or "observables") at the test state
    ``y`` of the construction check, is an index out of range; nothing otherwise (a float or math-domain fault
    there is the edge of the model's domain, skipped).  ``dydt[0] = -p[3] * y[0]`` under ``if y[0] < 0.5`` on a
    3-parameter system passed the check, and on a GPU it reads past the parameters without an error (a user's
    trial): an index is wrong at every state."""
    func = getattr(system, what)
    if not _kernel_array_fault(exc, func):
        return
    n = system.n_states
    out_name, size = ("dydt", n) if what == "rhs" else ("obs", system.n_observables)
    drivers = f", u of {system.n_drivers}" if system.n_drivers else ""
    bounds = f"y and dydt below {n}" if what == "rhs" else f"y below {n}, obs below {size}"
    raise ConfigurationError(
        f"{what} of system {system.name!r} failed at t = 0, y = {state_text(y)}, a test state of the construction "
        f"check (y of {n}, p of {system.n_params}{drivers}, {out_name} of {size} elements"
        f"{where(exc, getattr(system, what))}): IndexError: {exc}. An index out of range is a bug at every state, "
        f"not the edge of the model's domain: on a GPU {gpu_effect(exc)}. Index {bounds}, p below "
        f"{system.n_params}{drivers.replace(' of ', ' below ')} (0-based)") from exc


def check_observables_elsewhere(system, p, u):
    """Run ``system``'s observables at each of :data:`OTHER_STATES` (``p``, ``u`` the test arrays) and refuse an
    index out of range there (:func:`refuse_index_fault`); any other fault is skipped, as for ``rhs``."""
    from .user_faults import run_as_on_a_gpu

    if system.observables is None:
        return
    for make in OTHER_STATES:
        y = make(system.n_states)
        y.flags.writeable = False
        out = np.full(system.n_observables, UNWRITTEN)
        try:
            with np.errstate(all="ignore"):
                run_as_on_a_gpu(system.observables, (0.0, y, p, u, out) if system.n_drivers else (0.0, y, p, out))
        except Exception as exc:  # noqa: BLE001 - outside the model's domain, unless an index is out of range
            refuse_index_fault(exc, system, "observables", y)


def check_events_index(events, system):
    """ConfigurationError where an event function ``g(t, y, p)`` indexes past ``system``'s arrays at the
    construction check's test point or one of :data:`OTHER_STATES` (``p`` its test values, of ``n_params``).

    At the system's default_params where given (:func:`construction_params`).
    An :class:`kernels.Event` does not know its system, so its own check runs ``g`` on arrays of 64; on a GPU
    ``y[0] - p[1]`` of a 1-parameter system reads past the parameters with no error (a user's trial).  Any other
    fault (a float fault, device-only code) is left to the compile check and the run."""
    from .construction_params import construction_params  # (that module imports this one)

    n = system.n_states
    p = construction_params(system)
    states = [np.linspace(0.5, 1.0, n)] + [make(n) for make in OTHER_STATES]
    for e, event in enumerate(events or ()):
        for y in states:
            try:
                with np.errstate(all="ignore"):
                    event.function(0.0, y.copy(), p.copy())
            except IndexError as exc:
                if not _kernel_array_fault(exc, event.function):
                    continue  # an index computed from the state, past its end at a test state: the model's domain
                raise ConfigurationError(
                    f"events[{e}] function indexes past its arrays with system {system.name!r} (at t = 0, y = "
                    f"{state_text(y)}; y of {n}, p of {system.n_params} elements{where(exc, event.function)}): "
                    f"IndexError: {exc}. On a GPU {gpu_effect(exc)}; g reads the solve's state and parameters: "
                    f"index y below {n} and p below {system.n_params} (0-based)") from exc
            except Exception:  # noqa: BLE001 - not an index: the compile check and the run decide
                continue
