"""What a user function's faults do on the simulator: as on a GPU where the GPU has an answer, named otherwise.

The simulator runs a user's ``rhs``, ``observables``, ``jac``, ``jvp`` and event functions as
Python, where some floating-point faults raise: ``math.sqrt(-1.0)`` and
``math.log(0.0)`` raise ``ValueError("math domain error")``, ``math.exp(1e3)``
``OverflowError("math range error")``, ``1.0 / 0.0`` on Python floats
``ZeroDivisionError``.  On a GPU the same operations give NaN or inf, and only the
trajectory that met them stops (a non-finite state, or a rejected step).  So
:func:`device_function` compiles a user function that, on the simulator, fills its
output (the last argument) with NaN when it raises one of :data:`FLOAT_FAULTS`: the
trajectory then takes the library's non-finite path alone, as it would on a GPU;
:func:`value_function` does the same for a function that returns its value (an event's ``g``: NaN).

Before that, a function that raised a float fault is run once more with its ``math`` functions as a GPU's
(:func:`ieee_variant`): ``math.exp(800.0)`` is inf there, not an OverflowError, so an equilibrium constant
``Kc = math.exp(dH / T)`` that overflows at a low temperature gives ``kb = kf / Kc = 0`` and a finite
derivative, as on a GPU (a chemist's trial: the simulator failed that trajectory where compiled code ran it).
Only the operators on Python floats keep raising (``1.0 / 0.0``, ``10.0 ** 400``): those leave NaN.

Every other exception (an index out of range, a ``TypeError``, a ``NameError``) is
a bug in the function: :func:`faults_named` turns it into one
:class:`~kernels.errors.UserFunctionError` naming the function's file and line.
"""

from __future__ import annotations

import contextlib
import linecache
import math
import os
import re
import sysconfig
import threading
import traceback
import types

import numba
import numpy as np
from numba import cuda

from .backend import backend
from .complex_values import run_message
from .errors import KernelError, UserFunctionError
from .index_faults import gpu_effect

__all__ = ["FLOAT_FAULTS", "device_function", "value_function", "is_float_fault", "faults_named", "user_function_error",
           "DYNAMIC_CODE", "library_file", "ieee_variant", "host_variant", "CUDA_ON_HOST", "cuda_array_on_host",
           "run_as_on_a_gpu"]

#: Exceptions that Python raises where a GPU's floating-point arithmetic gives NaN or inf.
FLOAT_FAULTS = (ZeroDivisionError, OverflowError, ValueError)


def is_float_fault(exc) -> bool:
    """Whether ``exc`` is a floating-point fault (NaN or inf on a GPU), not a bug of the function."""
    if isinstance(exc, (ZeroDivisionError, OverflowError)):
        return True
    return isinstance(exc, ValueError) and "math domain error" in str(exc)


def device_function(func):
    """``cuda.jit(device=True)(func)``; on the simulator a float fault of ``func`` leaves NaN in its output.

    ``func`` writes into its last argument (``dydt``, ``obs``, ``J`` or ``out``) and returns nothing.
    """
    def fill_nan(args):
        out = args[-1]
        for i in range(out.shape[0]):
            out[i] = math.nan

    return _faults_as_nan(func, fill_nan)


def value_function(func):
    """``cuda.jit(device=True)(func)`` for a function that returns its value (an event's ``g``); on the simulator a
    float fault of ``func`` returns NaN, as the GPU's arithmetic does, instead of stopping every trajectory."""
    return _faults_as_nan(func, lambda args: math.nan)


def _faults_as_nan(func, on_fault):
    """``func`` as a device function; on the simulator one whose float faults return ``on_fault(args)`` instead."""
    compiled = cuda.jit(device=True)(func)
    if backend() == "cuda":
        return compiled
    # The simulator's device-function call swaps its fake ``cuda`` module into the function's globals (a scan of
    # them, under a lock, on every call): a function that does not read ``cuda`` is called as it is, so the
    # wrapper costs no second such call (with two, the Lorenz system with tsit5 ran 20 % slower; now 10 % faster).
    reads_cuda = _reads_cuda(func)
    call = compiled if reads_cuda else func
    # The function with a GPU's math, made here: in a simulator thread ``cuda`` is the simulator's own module.
    variant = ieee_variant(func)
    retry = cuda.jit(device=True)(variant) if reads_cuda and variant is not func else variant

    def nan_on_float_fault(*args):
        try:
            return call(*args)
        except FLOAT_FAULTS as exc:
            if not is_float_fault(exc):
                raise
        try:
            return retry(*args)
        except FLOAT_FAULTS as exc:
            if not is_float_fault(exc):
                raise
            return on_fault(args)

    nan_on_float_fault.__name__ = getattr(func, "__name__", "function")
    nan_on_float_fault.__qualname__ = getattr(func, "__qualname__", nan_on_float_fault.__name__)
    return cuda.jit(device=True)(nan_on_float_fault)


def _gamma(x):
    """CUDA's tgamma where Python's raises: inf at 0 (with its sign) and on overflow, NaN at a negative integer."""
    x = float(x)
    if x == 0.0:
        return math.copysign(math.inf, x)
    return math.nan if x < 0.0 and x == math.floor(x) else math.inf


def _twin(name):
    """The function that gives what a GPU gives where ``math.<name>`` raises (inf, -inf or NaN), or None: NumPy's
    of the same name (arguments as floats: ``np.power`` of integers wraps, ``math.pow(10, 400)`` came out 0)."""
    special = {"log": lambda x, base=None: np.log(x) if base is None else np.log(x) / np.log(base),
               "gamma": _gamma, "lgamma": lambda x: math.inf,
               "ldexp": lambda x, i: np.ldexp(x, int(i))}  # NumPy's ldexp refuses a float exponent
    if name in special:
        return special[name]
    return getattr(np, {"pow": "power", "acos": "arccos", "asin": "arcsin", "atan": "arctan", "acosh": "arccosh",
                        "asinh": "arcsinh", "atanh": "arctanh"}.get(name, name), None)


def _ieee(name, function):
    """``math.<name>`` that returns its twin's inf or NaN where it would raise a float fault."""
    twin = _twin(name)
    if twin is None or not callable(function):
        return function

    def as_on_a_gpu(*args):
        try:
            return function(*args)
        except FLOAT_FAULTS as exc:
            if not is_float_fault(exc):
                raise
            with np.errstate(all="ignore"):
                value = float(twin(*(float(a) for a in args)))
            faults = getattr(_FAULTS, "seen", None)
            if faults is not None:  # run_as_on_a_gpu is listening on this thread
                faults.append((exc, value))
            return value

    as_on_a_gpu.__name__ = name
    return as_on_a_gpu


#: The faults a GPU's math answered on this thread while :func:`run_as_on_a_gpu` listens (None otherwise): the
#: one whose answer is NaN is the cause to name (a harmless exp overflow before a sqrt of a negative number was
#: named instead: a regression hunt).  Per thread: the simulator runs a thread per trajectory.
_FAULTS = threading.local()

#: ``math`` with a GPU's answers where Python's raises (a read-only namespace, built once).
IEEE_MATH = types.SimpleNamespace(**{name: _ieee(name, value) for name, value in vars(math).items()
                                     if not name.startswith("_")})
_MATH_FUNCTIONS = {id(value): getattr(IEEE_MATH, name) for name, value in vars(math).items()
                   if not name.startswith("_") and callable(value)}


def ieee_variant(func, _seen=None):
    """``func`` with the ``math`` module (and functions taken from it) as :data:`IEEE_MATH`, in its globals and its
    closure (``import math as m`` in a factory), and the user's functions, device functions and modules it reads
    made so too; ``func`` itself when it reads none."""
    return _rebound(func, _ieee_value, _seen)


def host_variant(func):
    """``func`` with ``numba.cuda`` as :data:`CUDA_ON_HOST` (its ``local.array`` a NumPy array), in its globals, in
    the user's functions and modules it reads and in its device functions (their Python functions, called
    directly); ``func`` itself when it reads none.  A hand-kernel writer's rhs with a CUDA ``local.array``
    scratch was refused by the construction check, which runs it on the host (a user's trial)."""
    return _rebound(func, _host_value, None)


def _rebound(func, value_of, seen):
    """``func`` with each global and closure value it reads replaced by ``value_of(value, names, seen)``."""
    code, names = getattr(func, "__code__", None), getattr(func, "__globals__", None)
    if not isinstance(func, types.FunctionType) or code is None or names is None:
        return func
    seen = {} if seen is None else seen
    if id(func) in seen:
        return seen[id(func)]
    seen[id(func)] = func
    replaced = {}
    for name in code.co_names:
        if name in names:
            value = value_of(names[name], code.co_names, seen)
            if value is not names[name]:
                replaced[name] = value
    cells = func.__closure__ or ()
    closure = tuple(cell if _empty(cell) else types.CellType(value_of(cell.cell_contents, code.co_names, seen))
                    for cell in cells)
    if not replaced and all(_empty(a) or a.cell_contents is b.cell_contents for a, b in zip(cells, closure)):
        return func
    variant = types.FunctionType(code, {**names, **replaced}, func.__name__, func.__defaults__, closure or None)
    variant.__kwdefaults__, variant.__qualname__ = func.__kwdefaults__, func.__qualname__
    seen[id(func)] = variant
    return variant


def _empty(cell):
    try:
        cell.cell_contents
    except ValueError:  # a cell not filled yet
        return True
    return False


def _ieee_value(value, attributes, seen, depth=0):
    """``value`` as :func:`ieee_variant` binds it: the math module or one of its functions as a GPU's, a user's
    function or device function (the simulator's object) made so, a user's module with those of the names in
    ``attributes`` made so (``helpers.rate(...)``, ``package.sub.rate(...)`` down to three modules deep);
    anything else as it is."""
    if value is math:
        return IEEE_MATH
    if id(value) in _MATH_FUNCTIONS:
        return _MATH_FUNCTIONS[id(value)]
    if _user_function(value):
        return ieee_variant(value, seen)
    if getattr(value, "_device", False) and _user_function(getattr(value, "py_func", None)):
        variant = ieee_variant(value.py_func, seen)
        return value if variant is value.py_func else cuda.jit(device=True)(variant)
    return _module_members(value, attributes, seen, depth, _ieee_value)


def _host_value(value, attributes, seen, depth=0):
    """``value`` as :func:`host_variant` binds it (as :func:`_ieee_value` does, for ``numba.cuda``)."""
    if value is cuda:
        return CUDA_ON_HOST
    if value is numba:  # numba's cuda module reached through numba (a regression hunt)
        return NUMBA_ON_HOST
    if _user_function(value):
        return _rebound(value, _host_value, seen)
    if getattr(value, "_device", False) and _user_function(getattr(value, "py_func", None)):
        return _rebound(value.py_func, _host_value, seen)
    return _module_members(value, attributes, seen, depth, _host_value)


def _module_members(value, attributes, seen, depth, value_of):
    """A user's module with those of ``attributes`` it has bound by ``value_of`` (three modules deep at most), else
    ``value`` as it is."""
    if isinstance(value, types.ModuleType) and not library_file(getattr(value, "__file__", None) or "<"):
        if depth >= 3:
            return value
        members = {name: value_of(getattr(value, name), attributes, seen, depth + 1) for name in attributes
                   if hasattr(value, name)}
        if any(members[name] is not getattr(value, name) for name in members):
            return types.SimpleNamespace(**{**vars(value), **members})
    return value


def _host_dtype(dtype):
    """A NumPy dtype of a Numba type (``numba.float64``) or of anything NumPy reads."""
    from numba.np.numpy_support import as_dtype

    try:
        return as_dtype(dtype)
    except Exception:  # noqa: BLE001 - not a Numba type
        return np.dtype(dtype)


class _CudaOnHost:
    """``numba.cuda`` as a device function run on the host sees it: a local array is a NumPy array (of NaN: the GPU
    leaves it unset), a constant array its values; anything else is Numba's own."""

    local = types.SimpleNamespace(array=lambda shape, dtype: np.full(shape, np.nan, _host_dtype(dtype)))
    const = types.SimpleNamespace(array_like=lambda values: np.array(values))

    def __getattr__(self, name):
        return getattr(cuda, name)


CUDA_ON_HOST = _CudaOnHost()


class _NumbaOnHost:
    """``numba`` as a device function run on the host sees it: its ``cuda`` is :data:`CUDA_ON_HOST`."""

    cuda = CUDA_ON_HOST

    def __getattr__(self, name):
        return getattr(numba, name)


NUMBA_ON_HOST = _NumbaOnHost()


def cuda_array_on_host(exc):
    """Whether ``exc`` is CUDA's ``local.array`` or ``const.array_like`` called outside a kernel."""
    text = str(exc)
    return ((isinstance(exc, AttributeError) and ("'local'" in text or "'const'" in text))
            or (isinstance(exc, NotImplementedError) and "cannot be called from host code" in text))


def run_as_on_a_gpu(func, args, finite_only=True):
    """``func(*args)`` on the host (its output the last argument; its return value returned), as a GPU answers it:
    where a ``math`` function raises a float fault, run again with a GPU's math (:func:`ieee_variant`), and that
    output kept where it is finite (``kf / math.exp(dH / T)`` at a low temperature, a steep sigmoid's ``exp``), or
    whatever it is without ``finite_only`` (ODESystem's construction check: exp overflowing at its test point was
    refused); otherwise the first fault propagates, for the checks and hints that name it.  With Python's fault the
    host checks (stability, Jacobian, precision, hints) skipped such a model (a regression hunt: an unstable fixed
    step ran to 1e240 with success and no StabilityWarning)."""
    from .system_checks import unassigned

    out = args[-1]
    before = np.array(out, copy=True)
    try:
        return func(*args)
    except Exception as exc:  # noqa: BLE001 - re-raised unless a GPU's math answers it
        on_host = host_variant(func) if cuda_array_on_host(exc) else func
        if on_host is not func:
            out[...] = before
            return run_as_on_a_gpu(on_host, args, finite_only)
        if not is_float_fault(exc):
            raise
        variant = ieee_variant(func)
        if variant is func:
            raise
        out[...] = before
        _FAULTS.seen = []
        try:
            returned = variant(*args)
        except Exception as second:  # noqa: BLE001 - a float fault of an operator: the first is the one to report;
            if is_float_fault(second):  # anything else is the function's bug (an index), hidden behind the fault
                raise exc from None
            raise
        finally:
            faults, _FAULTS.seen = _FAULTS.seen, None
        bad = ~np.isfinite(out)
        bad.flat[unassigned(out)] = False
        if finite_only and bad.any():  # the GPU meets inf or NaN there too: name the fault that gave NaN, if any
            out[...] = before
            cause = next((fault for fault, value in faults if math.isnan(value)), exc)
            raise cause from None
        return returned


def _user_function(value):
    return isinstance(value, types.FunctionType) and not library_file(value.__code__.co_filename)


def _reads_cuda(func):
    """Whether ``func`` reads the ``numba.cuda`` module from its globals (or cannot be inspected)."""
    code, names = getattr(func, "__code__", None), getattr(func, "__globals__", None)
    if code is None or names is None:
        return True
    return any(names.get(name) is cuda or getattr(names.get(name), "cuda", None) is cuda for name in code.co_names)


@contextlib.contextmanager
def faults_named(block_size=None, first=0):
    """On the simulator: an exception raised in a user function becomes one UserFunctionError naming its line
    (and, given the launch's ``block_size`` and its ``first`` trajectory, the trajectory whose thread raised it)."""
    try:
        yield
    except KernelError:
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised, named
        named = user_function_error(exc, block_size, first)
        if named is None:
            raise
        raise named from None


#: cloudpickle's file name for the code of a function it sent by value (a Dask worker runs the user's functions so).
DYNAMIC_CODE = "<dynamic-code>"


def user_function_error(exc, block_size=None, first=0):
    """``exc`` as one UserFunctionError naming the innermost user-code line it passed, or None when none did.

    The simulator prefixes the text with the thread (``tid=[x, 0, 0] ctaid=[b, 0, 0]: ...``): with the launch's
    ``block_size`` that is the trajectory ``b * block_size + x`` of the launch, which the message names.

    On a Dask worker the user's functions arrive by value (cloudpickle), their code's file name replaced by
    ``<dynamic-code>``: the file is then read from the function's module globals (``__file__``), which
    cloudpickle keeps, so the message names the same file and line as in one process.
    """
    found = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if filename == DYNAMIC_CODE:
            origin = frame.f_globals.get("__file__")
            found = (frame.f_code.co_name, origin if isinstance(origin, str) else filename, lineno)
        elif not library_file(filename):
            found = (frame.f_code.co_name, filename, lineno)
    if found is None:
        return None
    name, filename, lineno = found
    line = linecache.getline(filename, lineno).strip() if not filename.startswith("<") else ""
    detail = str(exc).split(": ", 1)[-1] if str(exc).startswith("tid=") else str(exc)
    source = f" ({line!r})" if line else ""
    thread = _THREAD.match(str(exc))
    which = (f" for trajectory {first + int(thread['block']) * block_size + int(thread['thread'])}"
             if thread and block_size else "")
    complex_words = run_message(exc, name, line, f" (line {lineno} of {filename}: {line}, while the kernel ran{which})"
                                if line else f" (at {filename}:{lineno}, while the kernel ran{which})")
    if complex_words:  # dydt[0] = z of a complex z, with check=False: "float() argument must be ..." (a trial)
        return UserFunctionError(complex_words)
    return UserFunctionError(f"{name} raised {type(exc).__name__} at {filename}:{lineno}{source} while the kernel "
                             f"ran{which}: {detail}. {_on_a_gpu(exc)}")


_THREAD = re.compile(r"tid=\[(?P<thread>\d+),[^\]]*\] ctaid=\[(?P<block>\d+),")


def _on_a_gpu(exc):
    """What the same fault does on a GPU, and what to do."""
    if isinstance(exc, IndexError):
        return f"On a GPU the same fault is not caught ({gpu_effect(exc)}): fix the function"
    if cuda_array_on_host(exc) and "numba.cuda" in str(exc):  # reached through the numba module (a regression hunt)
        return ("Numba's CUDA simulator provides local and constant arrays only through a global named cuda: write "
                "`from numba import cuda` and take the array from cuda.local (it compiles the same on a GPU)")
    return ("This is a bug in the function, not a floating-point fault (those leave NaN in its output, as on a "
            "GPU, and stop only that trajectory): fix the function")


def library_file(filename):
    """Whether ``filename`` is the library's, Numba's or generated code (not the user's)."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.abspath(filename)
    return (filename.startswith("<") or path.startswith(here + os.sep) or _in_stdlib(path)
            or any(part.startswith("numba") for part in path.split(os.sep)))


_STDLIB = os.path.abspath(sysconfig.get_paths()["stdlib"])  # the simulator's threads run from threading.py


def _in_stdlib(path):
    return path.startswith(_STDLIB + os.sep) and not {"site-packages", "dist-packages"} & set(path.split(os.sep))
