"""What to tell a user whose function does not compile for CUDA: the failure's cause and its remedy.

:func:`failure_message` turns a compile check's result (:mod:`kernels.compilecheck`) into one message: the
first line of the compiler's error, and where it recognises the cause (a NumPy call, a matrix product
(:mod:`kernels.matrix_products`), a math function Numba lacks, recursion, a plain Python helper, a list or a
constant read from a module, a function of torch, JAX or another array library), what to write instead.
:func:`array_library_message` words the same cause where such a function already failed on the host's test arrays
(``torch.sin`` of a NumPy float raises TypeError, which was told to be the arguments in another order: a torch user's
trial).
"""

from __future__ import annotations

import linecache
import re
import sys
import types

import numpy as np

from planner.wording import joined_words

from .complex_values import ComplexValueWritten, compile_message, host_message, written_message
from .frozen_values import values_read
from .matrix_products import PRODUCT_HINTS, matrix_product
from .module_origin import shadows_stdlib, top_level

__all__ = ["failure_message", "array_library_message", "host_refusal", "LIBRARY_MODULES", "ARRAY_LIBRARIES"]

#: Top-level modules that are library code, not the user's: their functions are not followed into.
LIBRARY_MODULES = frozenset(sys.stdlib_module_names) | {"numpy", "numba", "numba_cuda", "llvmlite", "scipy", "cuda"}

#: Array libraries other than NumPy (top-level module -> the name a message gives it): their functions take their own
#: arrays (tensors), run on the host or their own device, and never compile into a CUDA device function.
ARRAY_LIBRARIES = {"torch": "torch", "jax": "JAX", "jaxlib": "JAX", "tensorflow": "TensorFlow", "cupy": "CuPy",
                   "mxnet": "MXNet", "paddle": "Paddle", "mlx": "MLX", "dask": "Dask"}


_HINTS = {
    "allocation": "Compute each component with scalar arithmetic and write it into the output array, "
                  "without np.zeros, np.empty, np.eye, np.linalg or array expressions such as y * y.",
    "numpy": "Device code cannot create arrays: no np.zeros, np.empty, np.eye, np.linalg or array "
             "expressions such as y * y (nor NumPy ufuncs such as np.exp: use math.exp); compute each component with scalar "
             "arithmetic and write it into the output array.",
    "ufunc": "numba-cuda compiles only some NumPy ufuncs for the device, and not this one, even on a number "
             "(np.exp(x) of a scalar x is refused as np.exp(y) of an array is): use the math module's function "
             "on each number instead, {instead} (import math; math has them all).",
    "random": "{what} cannot draw random numbers on the device: draw them on the host and pass them as parameters (a "
              "column of params per value), or compute a deterministic hash of the trajectory's parameters in a "
              "@cuda.jit(device=True) helper.",
    "python-object": "Device code has no Python lists, dicts, sets or strings: use scalars and the arrays "
                     "passed in.",
    "other": "Numba CUDA compiles a subset of Python: scalar arithmetic, the math module, and indexing "
             "and loops over the arrays passed in.",
    "array-library": "Numba CUDA compiles a subset of Python: scalar arithmetic, the math module, and indexing and "
                     "loops over the arrays passed in, not {library}'s functions, which work on {library}'s own "
                     "arrays: write {instead} on each number (import math).",
    "helper": "A function it calls must be a CUDA device function too: decorate the helper with "
              "@numba.cuda.jit(device=True){at} (its body then follows the same rules), or write its lines inline.",
    "method": "A method of a class cannot be compiled (device code has no objects, so no self): write it as a plain "
              "function, pass what it reads from the object as params (self.k -> p[0], one row per trajectory) or "
              "bind numbers in a closure (def make(k): def rhs(t, y, p, dydt): ...; return rhs).",
    "bytecode": "Only a plain Python function (def or lambda) can be compiled, not functools.partial or another "
                "callable object: bind the values in a closure instead (def make(k): def rhs(t, y, p, dydt): ...; "
                "return rhs), or pass them as params.",
    "import": "Device code cannot import: put the import (import math) at the top of the module, outside the "
              "function; the function then reads the module as a global.",
    "comprehension": "A list comprehension or a generator expression (sum(y[i] for i in ...)) builds a Python "
                     "object, which device code cannot: accumulate into a scalar in a for loop (s = 0.0; for i in "
                     "range(n): s += y[i]), or write each component into the output array.",
    "nested-list": "Device code cannot read a Python list from its module or closure: make {it} a NumPy array "
                   "({example} = np.array(...), indexed {example}[i, j]) or a tuple of tuples ({example} = "
                   "tuple(map(tuple, ...))); either is compiled in as a constant.",
    "list": "Device code cannot read a Python list from its module or closure (nor one inside a tuple): make "
            "{it} a tuple of numbers ({example} = tuple(...)) or a NumPy array ({example} = np.array(...)); either "
            "is compiled in as a constant.",
    "math": "Write {instead} instead.",
    "constants": "Numba cannot read {kind} on the GPU (from a module or closure it reads only numbers, tuples "
                 "and NumPy arrays): put its values into module-level float constants ({constants}), a tuple ({it} = "
                 "{as_tuple}, read as {it}[0]) or a NumPy array, which are compiled in as constants, or pass them as "
                 "params (columns of the params array, read as p[i]: one row per trajectory).",
    "interp": "np.interp does not compile for the device. For forcing sampled in time (a series at sample times), "
              "build the system with n_drivers and pass drivers=(times, values) to the solve: they are interpolated "
              "linearly on the device and reach the function as u, rhs(t, y, p, u, dydt) (README: drivers=).",
    "reshape": "A slice of {array} cannot be reshaped into a matrix on the device: read its entries by index "
               "instead, {example} (a matrix goes into {array} flattened in row-major order, p[i * m + j] = C[i, j] "
               "for an m-column C, as params.reshape(N, -1) gives it: README, 'Integrating batches').",
    "recursion": "A CUDA device function cannot call itself (no recursion on the device): rewrite {it} as a loop "
                 "(for example r = 1.0; for _ in range(n): r *= x for a power).",
}

#: The hints above that tell an rhs to write into its output array, as an event function needs them: it returns one
#: number (np.max of y[1:N] - y[0] in an event was told to "write it into the output array", a power-systems user's
#: trial).
_EVENT_HINTS = {
    "allocation": "Compute the value from entries of y and p with scalar arithmetic and return it as one number, "
                  "without np.zeros, np.max, np.abs of an array or array expressions such as y[1:] - y[0]: a largest "
                  "over states as a loop (m = abs(y[1] - y[0]); for i in range(2, n): m = max(m, abs(y[i] - y[0]))) "
                  "or max(a, b, ...) of numbers.",
    "numpy": "Device code cannot create arrays: no np.zeros, np.max of an array, np.linalg or array expressions such "
             "as y[1:] - y[0] (nor NumPy ufuncs such as np.exp: use math.exp); compute the value from entries of y "
             "and p with scalar arithmetic and return it as one number.",
    "comprehension": "A list comprehension or a generator expression (max(abs(y[i]) for i in ...)) builds a Python "
                     "object, which device code cannot: accumulate into a scalar in a for loop (m = 0.0; for i in "
                     "range(n): m = max(m, abs(y[i]))) and return it as one number.",
}


def _hint_for(category, what):
    """The remedy of ``category`` for ``what``: an event function's own (:data:`_EVENT_HINTS`) where it has one."""
    if category == "matrix-product":
        return PRODUCT_HINTS["event" if "event" in what else "rhs"]
    if "event" in what and category in _EVENT_HINTS:
        return _EVENT_HINTS[category]
    return _HINTS[category]


def failure_message(result, what, system_name, func=None):
    """The message of a compile failure from :func:`check_device_function` (``func``: the function, to name a list
    it reads)."""
    stored = compile_message(result, what, system_name)
    if stored:  # setitem(array(float32, ...), ..., complex128): a complex value into dydt (a physicist's trial)
        return stored
    where, source = "", ""
    if result.get("filename") and result.get("line"):
        source = linecache.getline(result["filename"], result["line"]).strip()
        where = f" (line {result['line']} of {result['filename']}" + (f": {source}" if source else "") + ")"
    category, hint_names = result["category"], {}
    summary = re.sub(r"<[\w.]+ object at 0x[0-9a-fA-F]+>,?\s*", "", result["summary"]).strip().rstrip(".")
    ufunc = re.search(r"<ufunc '(\w+)'>", summary)
    if ufunc:
        category = "ufunc"
        hint_names = {"instead": _math_for(ufunc.group(1))}
        summary = f"np.{ufunc.group(1)} is a NumPy ufunc that numba-cuda does not compile ({summary})"
    elif category == "other" and re.search(r"\b(np|numpy)\.", source):
        category = "numpy"
    elif category == "other" and "ERROR_INVALID_IR" in summary and _numpy_calls(func):
        # np.round(x) compiles to IR that NVVM rejects, with no line (a control engineer's trial)
        names = _numpy_calls(func)
        category, hint_names = "ufunc", {"instead": _math_for(names[0])}
        summary = (f"NVVM rejected the code numba-cuda made of {', '.join(f'np.{n}' for n in names)} "
                   f"({summary})")
    product = matrix_product(summary, source) if category in ("other", "numpy", "allocation") else None
    if product:  # A @ y, np.dot(w, y), A.dot(y) of a vectorised rhs: Numba's "No implementation of function matmul"
        category, hint_names = "matrix-product", product  # was told only the generic subset (an ecologist's trial)
        head = summary.split(" (")[0]  # (Numba's "Intrinsic in function 'dot_2_impl...'" is its own code's)
        summary = f"{product['product']} is a matrix product, which device code cannot compute ({head})"
    if category in ("other", "numpy") and _draws_random(summary, source):
        category, hint_names = "random", {"what": what}  # np.random.seed was told "cannot create arrays" (a trial)
    library = _array_library_call(func, source, summary) if category in ("other", "numpy") else None
    if library:  # jnp.sin or torch.sin in rhs: "Unknown attribute 'sin' of type Module(<module 'jax.numpy'>)"
        category, hint_names = "array-library", library
        where_from = re.sub(r" from '[^']*'", "", summary)  # (the module's file: a site-packages path)
        summary = f"it calls {library['call']}, a function of {library['library']} ({where_from})"
    missing = re.search(r"Unknown attribute '(\w+)' of type Module\(<module 'math'", summary)
    untyped = re.search(r"Untyped global name '(\w+)'", summary)
    imported = untyped and _from_math(func, untyped.group(1))  # cbrt of `from math import cbrt` (a regression hunt)
    if missing or imported:  # math.cbrt, math.fsum: numba-cuda lacks some of the math module (a user's trial)
        name = missing.group(1) if missing else imported
        category, hint_names = "math", {"instead": _MATH_MISSING.get(name, _MATH_MISSING[None])}
        alias = f" (imported as {untyped.group(1)})" if imported and imported != untyped.group(1) else ""
        summary = f"math.{name}{alias} is not available in CUDA device code"
    constants = untyped and category == "other" and _constants_read(func, untyped.group(1))
    if constants:  # PAR["gL"] of a dict, NS.gL of a SimpleNamespace or a dataclass (a user's trial)
        category, hint_names = "constants", constants
        summary = f"{constants['it']} is {constants['kind']} ({summary.split(': ', 1)[-1]})"
    cycles = _recursive_helpers(func) if category == "other" else []
    if category == "other" and ("insert_unresolved_ref" in summary or any(
            re.search(rf"\b{re.escape(name)}\s*\(", source) for cycle in cycles for name in cycle)):
        category = "recursion"  # Numba said 'JITCUDACodegen' ... 'insert_unresolved_ref'
        summary, hint_names = _recursion_words(cycles, source)
    helper = _helper_words(func, summary) if category == "other" else None
    if helper:  # a plain Python function called from rhs, from this file or a module (a chemist's trial)
        category, (summary, hint_names) = "helper", helper
    if category == "other" and (re.search(r"Variable 'self' is not defined", summary)
                                or getattr(func, "__self__", None) is not None):
        category = "method"  # a bound method (a class-based SciPy model, a user's trial)
    if category == "other" and "does not provide its bytecode" in summary:
        category = "bytecode"  # functools.partial, a builtin, a callable object
    if category == "other" and (re.search(r"Unknown attribute 'append' of type list", summary)
                                or "use of yield in a closure" in summary):
        category = "comprehension"  # [y[i] for i in ...] or sum(y[i] for i in ...): a user's trial
    if category == "other" and "unsupported opcode (IMPORT_NAME)" in summary:
        category = "import"
    nested = category == "python-object" and func is not None and [  # W[i][j] of a list of lists (a user's trial)
        entry for entry in _lists_read(func, source) if re.search(rf"\b{re.escape(entry[0])}\b", source)]
    if (category == "other" and re.search(r"\b(Reflected)?List\(", summary)) or nested:
        category = "list"
        names = nested or _lists_read(func, source)
        numba_type = re.sub(r"^\((.*),\)$", r"\1", summary)
        if names:
            read = " and ".join(f"{name}, a {'Python list' if kind is list else 'tuple that holds a Python list'}"
                                for name, kind in names[:2])
            summary = f"it reads {read}" + ("" if nested else f" (Numba type {numba_type})")
        hint_names = {"it": " and ".join(name for name, _ in names[:2]) or "it",
                      "example": names[0][0] if names else "K"}
        if nested:  # tuple(W) of a list of lists is a tuple of lists, refused again (a regression hunt)
            category = "nested-list"
    # p[0:16].reshape(4, 4), or with names: p[0:S*S].reshape(S, S) (a DiffEqGPU.jl user's trial got no hint)
    sliced = re.search(r"\b([A-Za-z_]\w*)\s*\[\s*([^:\]]*?)\s*:[^\]]*\]\s*\.reshape\s*\(\s*\(?\s*[\w*+ ]+?\s*,\s*"
                       r"([\w*+]+)", source)
    if category == "other" and "reshape() supports contiguous array only" in summary and sliced:
        name, start, columns = sliced.group(1), sliced.group(2) or "0", sliced.group(3)
        columns = columns if columns.isalnum() or columns.isidentifier() else f"({columns})"
        offset = "" if start == "0" else f"{start} + "
        category = "reshape"
        hint_names = {"array": name, "example": f"C[i, j] as {name}[{offset}i*{columns} + j]"}
    precision = " in float64" if result["precision"] == "float64" else ""
    if re.search(r"\bfunction interp\b", summary) or re.search(r"\b(np|numpy)\.interp\s*\(", source):
        category = "interp"  # np.interp of a sampled series in rhs (a user's trial)
    return (f"{what} of system {system_name!r} does not compile for CUDA{precision}, so it would fail on a GPU"
            f"{where}: {summary}. {_hint_for(category, what).format(**hint_names)} (Checked by compiling to PTX for "
            f"compute capability {result['cc'][0]}.{result['cc'][1]}, which needs no GPU.)")


def _draws_random(summary, source):
    """Whether the failure is a draw of random numbers: the compiler refused an attribute of the module ``random``
    or ``numpy.random``, or the failing line calls ``np.random``, ``numpy.random`` or ``random.``."""
    return bool(re.search(r"of type Module\(<module '(numpy\.)?random'", summary)
                or re.search(r"\b(?:(?:np|numpy)\.random\b|random\.\w+\s*\()", source))


def _numpy_calls(func):
    """The NumPy functions ``func``'s own source calls (``np.round(...)``), in order, each once; [] where none or
    the source cannot be read."""
    import inspect

    try:
        source = inspect.getsource(getattr(func, "py_func", func))
    except (OSError, TypeError):
        return []
    return list(dict.fromkeys(re.findall(r"\b(?:np|numpy)\.(\w+)\s*\(", source)))


# NumPy ufuncs whose math-module (or built-in) equivalent has another name
_MATH_NAMES = {"round": "round(x)", "around": "round(x)", "rint": "round(x)", "absolute": "abs(x)", "abs": "abs(x)", "fabs": "abs(x)", "arcsin": "math.asin(x)",
               "arccos": "math.acos(x)", "arctan": "math.atan(x)", "arctan2": "math.atan2(y, x)",
               "arcsinh": "math.asinh(x)", "arccosh": "math.acosh(x)", "arctanh": "math.atanh(x)",
               "power": "x ** a", "square": "x * x", "maximum": "max(a, b)", "minimum": "min(a, b)",
               "fmax": "max(a, b)", "fmin": "min(a, b)", "negative": "-x", "reciprocal": "1.0 / x",
               "sign": "(1.0 if x > 0 else (-1.0 if x < 0 else 0.0))", "deg2rad": "math.radians(x)",
               "rad2deg": "math.degrees(x)", "clamp": "min(max(x, lo), hi)", "clip": "min(max(x, lo), hi)",
               "relu": "max(x, 0.0)", "sigmoid": "1.0 / (1.0 + math.exp(-x))", "pow": "x ** a"}


# math functions numba-cuda does not compile, and what to write instead (None: any other)
_MATH_MISSING = {"cbrt": "math.copysign(abs(x) ** (1.0 / 3.0), x) for math.cbrt(x)",
                 "fsum": "a plain sum (a + b + ..., or s += y[i] in a for loop) for math.fsum",
                 "prod": "a plain product (a * b * ..., or r *= y[i] in a for loop) for math.prod",
                 "factorial": "math.gamma(n + 1.0) (or a loop: r = 1.0; for k in range(2, n + 1): r *= k) for "
                              "math.factorial(n)",
                 "comb": "math.exp(math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)) (or a "
                         "loop) for math.comb(n, k)",
                 "perm": "math.exp(math.lgamma(n + 1.0) - math.lgamma(n - k + 1.0)) (or a loop) for math.perm(n, k)",
                 "dist": "math.sqrt((p0 - q0) ** 2 + (p1 - q1) ** 2 + ...) for math.dist",
                 "isclose": "abs(a - b) <= max(rel_tol * max(abs(a), abs(b)), abs_tol) for math.isclose(a, b)",
                 "isqrt": "int(math.sqrt(n)) for math.isqrt(n)",
                 "gcd": "a loop (while b: a, b = b, a % b) for math.gcd(a, b)",
                 "lcm": "a // g * b, with g the gcd from a loop (while b: a, b = b, a % b), for math.lcm(a, b)",
                 "ulp": "math.nextafter(abs(x), math.inf) - abs(x) for math.ulp(x)",
                 None: "arithmetic, loops and the math functions the device has (math.exp, math.log, math.sqrt, "
                       "math.pow, math.gamma, ...)"}


def _functions_reached(func):
    """``(function, values_read, ids of the device functions it calls)`` of ``func`` and of every device function it
    calls, directly or through another (``func`` first); only ``func``'s for a function that is not plain Python."""
    reached, seen, todo = [], {id(func)}, [func]
    while todo:
        caller = todo.pop(0)
        values = values_read(caller)
        callees = [value for (kind, _), value in values.items()
                   if kind == "global" and isinstance(getattr(value, "py_func", None), types.FunctionType)]
        reached.append((caller, values, [id(value) for value in callees]))
        todo += [value for value in callees if id(value) not in seen]
        seen.update(id(value) for value in callees)
    return reached


def _recursive_helpers(func):
    """The call cycles among the device functions ``func`` calls (directly or through another), each as the names
    of its functions in call order: ``[["power"]]`` for one that calls itself, ``[["ping", "pong"]]`` for two that
    call each other; [] for none or a function that is not plain Python."""
    reached = _functions_reached(func)
    graph = {id(function): callees for function, _, callees in reached}
    names = {id(function): function.py_func.__name__ for function, _, _ in reached
             if isinstance(getattr(function, "py_func", None), types.FunctionType)}
    cycles = []
    for start in names:
        cycle = _cycle(graph, start)
        if cycle and all(set(cycle) != set(found) for found in cycles):
            cycles.append(cycle)
    return [[names[node] for node in cycle] for cycle in cycles]


def _cycle(graph, start):
    """The shortest path of calls from ``start`` back to itself in ``graph`` (id -> ids called), as the ids from
    ``start`` on; [] when there is none."""
    paths, seen = [[start]], set()
    while paths:
        path = paths.pop(0)
        for callee in graph.get(path[-1], ()):
            if callee == start:
                return path
            if callee not in seen:
                seen.add(callee)
                paths.append(path + [callee])
    return []


def _recursion_words(cycles, source):
    """The summary and the hint's names of a recursion failure: the cycle named on the failing line ``source``
    first (``ping calls pong, which calls ping``)."""
    on_line = [cycle for cycle in cycles if any(re.search(rf"\b{re.escape(n)}\s*\(", source) for n in cycle)]
    cycles = on_line + [cycle for cycle in cycles if cycle not in on_line]
    if not cycles:
        return "the helper calls itself", {"it": "the helper"}
    cycle = cycles[0]
    if len(cycle) == 1:
        return f"{cycle[0]} calls itself", {"it": cycle[0]}
    names = joined_words(cycle)
    calls = f"{cycle[0]} calls " + ", which calls ".join(cycle[1:] + cycle[:1])
    return f"{names} call each other ({calls})", {"it": names}


def _helper_words(func, summary):
    """The summary and the hint's names of a call to a plain Python function, not a device function, or None.

    ``helpers.decay(...)`` of an undecorated ``def decay`` in the module ``helpers``: Numba says "Unknown attribute
    'decay' of type Module(...)", which reads like a typo; ``decay(...)`` of one imported or defined in this file:
    "Untyped global name 'decay' ... <class 'function'>".  Both are named with their module, where it is another.
    """
    attribute = re.search(r"Unknown attribute '(\w+)' of type Module\(<module '([\w.]+)'", summary)
    if attribute:
        name, module = attribute.groups()
        if (top_level(module) in LIBRARY_MODULES and not shadows_stdlib(module)) or not isinstance(
                getattr(sys.modules.get(module), name, None), types.FunctionType):
            return None
        return (f"it calls {module}.{name}, a plain Python function, not a CUDA device function ({summary})",
                {"at": f" on the line above def {name} in {module}"})
    untyped = re.search(r"Untyped global name '(\w+)'.*<class 'function'>", summary)
    if not untyped:
        return None
    name, module = untyped.group(1), None
    for caller, values, _ in _functions_reached(func):
        value = values.get(("global", name), values.get(("closure variable", name)))
        if isinstance(value, types.FunctionType):
            home = getattr(value, "__module__", None)
            module = home if home and home != getattr(getattr(caller, "py_func", caller), "__module__", home) else None
            break
    return summary, {"at": f" on the line above def {name} in {module}" if module else ""}


def _from_math(func, name):
    """The math module's name of the function ``func`` (or a device function it calls) reads as the global or
    closure variable ``name`` (``from math import cbrt``), or None when ``name`` is not one of math's."""
    import math

    for _, values, _ in _functions_reached(func):
        value = values.get(("global", name), values.get(("closure variable", name)))
        real = getattr(value, "__name__", None)
        if isinstance(real, str) and getattr(math, real, None) is value:
            return real
    return None


def _math_for(ufunc, called=None):
    """What to write instead of ``np.<ufunc>`` (or ``called``, the function as written: ``torch.sin``) on a number,
    as text (``math.exp(x)`` for exp)."""
    import math

    called = called or f"np.{ufunc}"
    if ufunc in _MATH_NAMES:
        return f"{_MATH_NAMES[ufunc]} for {called}(...)"
    if hasattr(math, ufunc):
        return f"math.{ufunc}(x) for {called}(x)"
    prefix = called.rsplit(".", 1)[0] if "." in called else "np"
    return f"math.exp, math.sin, math.sqrt, ... for {prefix}.exp, {prefix}.sin, {prefix}.sqrt, ..."


def _lists_read(func, source):
    """``(name, list or tuple)`` of the Python lists (and tuples holding one) ``func`` reads from its module or
    closure, those on the failing line ``source`` first; [] when there are none or ``func`` is not a plain function."""
    lists = [(name, type(value)) for (_, name), value in values_read(func).items() if _holds_list(value)]
    on_line = [entry for entry in lists if re.search(rf"\b{re.escape(entry[0])}\b", source)]
    return on_line + [entry for entry in lists if entry not in on_line]


def _holds_list(value):
    return isinstance(value, list) or (isinstance(value, tuple) and any(_holds_list(v) for v in value))


def _constants_read(func, name):
    """The hint's names for the dict, SimpleNamespace, dataclass or other object ``func`` (or a device function it
    calls) reads as the global or closure variable ``name``, or None when it is none of those."""
    import dataclasses

    for _, values, _ in _functions_reached(func):
        value = values.get(("global", name), values.get(("closure variable", name)))
        if isinstance(value, dict):
            kind, items = "a dict", value
        elif isinstance(value, types.SimpleNamespace):
            kind, items = "a SimpleNamespace", vars(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            kind = f"an instance of the dataclass {type(value).__name__}"
            items = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
        elif hasattr(value, "__dict__") and not isinstance(value, (type, types.ModuleType)) and not callable(value):
            kind, items = f"an instance of {type(value).__name__}", vars(value)
        else:
            continue
        numbers = [(k, _plain_number(v)) for k, v in items.items()  # np.float32 and np.int64 too
                   if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)]
        named = [(k, v) for k, v in numbers if isinstance(k, str) and k.isidentifier()][:3]
        return {"it": name, "kind": kind,
                "constants": ", ".join(f"{k} = {v!r}" for k, v in named) or "GL = 0.3",
                "as_tuple": "(" + ", ".join(repr(v) for _, v in numbers[:3]) + ("," if len(numbers) == 1 else "")
                            + ")" if numbers else "(0.3, -54.4)"}
    return None


def _plain_number(value):
    """A Python number as the user wrote it: np.float32(0.3) as 0.3 (its shortest repr), not 0.30000001192092896."""
    if isinstance(value, np.floating):
        return float(str(value))
    return value.item() if isinstance(value, np.integer) else value


def host_refusal(exc, func, what, system_name):
    """The message for ``func`` (a system's ``what``) whose run on the host's test arrays raised ``exc`` for a cause
    the compiler refuses too, where the exception's own words would mislead: a complex value stored into its real
    output or passed to a math function (:mod:`kernels.complex_values`; "must be real number, not complex" was told
    to be arguments in another order) or a function of an array library (:func:`array_library_message`); None
    for any other cause."""
    if isinstance(exc, ComplexValueWritten):
        return written_message(exc, what, system_name)
    return host_message(exc, func, what, system_name) or array_library_message(exc, func, what, system_name)


def array_library_message(exc, func, what, system_name):
    """The message for ``func`` (a system's ``what``) whose run on the host's test arrays raised ``exc`` on a line
    that calls a function of torch, JAX or another array library (:data:`ARRAY_LIBRARIES`): that such a function
    does not compile for CUDA, and the math function to write instead; None where the failing line calls none.

    ``torch.sin`` of a NumPy float raises TypeError, which was told to be the arguments in another order, where
    ``jnp.sin``, which runs on the host, reached the compile check's message (a torch user's trial)."""
    code = getattr(getattr(func, "py_func", func), "__code__", None)
    lines = [line for frame, line in _walk(exc) if frame.f_code is code] if code is not None else []
    if not lines:
        return None
    source = linecache.getline(code.co_filename, lines[-1]).strip()
    library = _array_library_call(func, source, "")
    if not library:
        return None
    error = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (f"{what} of system {system_name!r} calls {library['call']} (line {lines[-1]} of {code.co_filename}: "
            f"{source}), a function of {library['library']}, which failed on NumPy's test arrays "
            f"({type(exc).__name__}{': ' + error if error else ''}) and does not compile for CUDA either. "
            f"{_HINTS['array-library'].format(**library)}")


def _walk(exc):
    """``(frame, line)`` of each frame of ``exc``'s traceback, outermost first."""
    import traceback

    return list(traceback.walk_tb(exc.__traceback__))


def _array_library_call(func, source, summary):
    """``{"library", "call", "instead"}`` for the first call on the line ``source`` (or named in a compile error's
    ``summary``: "Unknown attribute 'sin' of type Module(<module 'jax.numpy'>)") of a function of an array library
    that ``func`` reads as a module (``torch.sin``, ``jnp.sin``) or a name (``from torch import sin``); None where
    there is none."""
    attribute = re.search(r"Unknown attribute '(\w+)' of type Module\(<module '([\w.]+)'", summary)
    for (kind, name), value in values_read(func).items() if func is not None else ():
        if kind == "module attribute":
            continue
        if isinstance(value, types.ModuleType):
            library = ARRAY_LIBRARIES.get(top_level(value.__name__))
            called = re.search(rf"(?<![\w.]){re.escape(name)}((?:\.\w+)*)\.(\w+)\s*\(", source)
            if library and called:
                return _library_words(library, f"{name}{called.group(1)}", called.group(2))
            if library and attribute and attribute.group(2) == value.__name__:
                return _library_words(library, name, attribute.group(1))
        elif callable(value):
            library = ARRAY_LIBRARIES.get(top_level(getattr(value, "__module__", None)))
            if library and re.search(rf"(?<![\w.]){re.escape(name)}\s*\(", source):
                return {"library": library, "call": name, "instead": _math_for(getattr(value, "__name__", name), name)}
    if attribute and ARRAY_LIBRARIES.get(top_level(attribute.group(2))):  # the module read other than by a name
        return _library_words(ARRAY_LIBRARIES[top_level(attribute.group(2))], attribute.group(2), attribute.group(1))
    return None


def _library_words(library, prefix, function):
    """The hint's names for ``<prefix>.<function>`` of ``library``: ``math.sin(x) for torch.sin(x)``."""
    return {"library": library, "call": f"{prefix}.{function}", "instead": _math_for(function, f"{prefix}.{function}")}
