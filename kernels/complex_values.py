"""A complex value written into a real output array: how the checks catch it and what to tell the user.

The states, parameters and outputs of a system are real numbers (float32 or float64 on the device); a complex
system is solved as its real and imaginary parts, twice the states (the same remedy as the refusal of a complex
``y0`` in :mod:`kernels.validation`).  Complex arithmetic inside a function is fine (``cmath.exp``, then ``.real``
and ``.imag`` into ``dydt``); a complex value stored into ``dydt`` is not.  Two checks meet that store:

* the construction check runs the function on the host into a :func:`real_output`, which raises
  :class:`ComplexValueWritten` at the very line that stores a complex value.  A plain NumPy array said instead
  "TypeError: float() argument must be ... not 'complex'" for a Python complex, which the check took for arguments
  in another order, and only warned (ComplexWarning, imaginary part dropped) for a NumPy complex;
* the compile check (:mod:`kernels.compilecheck`) meets it as Numba's typing failure "No implementation of function
  setitem for setitem(array(float32, 1d, A), ..., complex128)" (:func:`compile_message`).

Both are worded by :func:`_words` (a quantum-optics physicist's trial), and so is the same store met by a run with
``check=False`` on the simulator (:func:`run_message`, for :mod:`kernels.user_faults`).  A complex value passed to a
function that takes real numbers (``math.exp(z)``, ``float(z)``) gets the same remedy with cmath's functions
(:func:`math_words`): on the host it raised "TypeError: must be real number, not complex", told to be arguments in
another order, and the compiler's "No implementation of function exp for exp(complex64)" got the generic hint.
"""

from __future__ import annotations

import cmath
import linecache
import math
import re
import sys
import traceback

import numpy as np

from .errors import ConfigurationError

__all__ = ["ComplexValueWritten", "real_output", "written_message", "compile_message", "host_message", "run_message"]

#: The output array's name of each of a system's functions, where the failing line does not name it.
_OUTPUTS = {"rhs": "dydt", "observables": "obs", "jac": "J", "jvp": "out"}

# "dydt[0] = dcg  # comment": the array, its subscript, and the value written (a plain or augmented assignment)
_STORE = re.compile(r"^\s*([A-Za-z_]\w*)\s*\[(.*?)\]\s*[-+*/]?=(?!=)\s*(.*?)\s*(?:#.*)?$")

# Numba's typing failure of a complex number stored into an array of real numbers
_COMPLEX_SETITEM = re.compile(r"setitem\(array\((?:float|int|uint)\d+\b[^)]*\),.*\bcomplex(?:64|128)\)")

# Numba's typing failure of a complex number passed to a function of real numbers: "No implementation of function
# exp for exp(complex64)", "... Function(<class 'float'>) for float(complex64)"
_COMPLEX_CALL = re.compile(r"No implementation of function .*? for (\w+)\([^()]*\bcomplex(?:64|128)\b")

# Python's TypeError for the same on the host: math.exp(z) "must be real number, not complex", float(z) "float()
# argument must be a string or a real number, not 'complex'" (a store into a NumPy float array says that too)
_COMPLEX_ARGUMENT = re.compile(r"real number, not '?complex'?")

# a call of the math module or float() or int() on a line: math.exp(, m.sqrt(, float(
_REAL_CALL = re.compile(r"(?<![\w.])((?:\w+\.)?(\w+))\s*\(")


class ComplexValueWritten(ConfigurationError):
    """A user function stored a complex value into a :func:`real_output`; ``filename``, ``line`` and ``source``
    say where (``line`` 0 where unknown).  The construction check words it with :func:`written_message`."""

    def __init__(self, value, filename, line):
        self.filename, self.line = filename, line
        self.source = linecache.getline(filename, line).strip() if filename and line else ""
        at = f" at line {line} of {filename}" if line else ""
        super().__init__(f"a complex value ({value!r}) was written into an array of real numbers{at}: write its "
                         ".real and .imag into two separate components")


class _RealOutput(np.ndarray):
    """A float64 output array that refuses a complex value stored into it (:func:`real_output`)."""

    def __setitem__(self, index, value):
        if np.iscomplexobj(value):
            caller = sys._getframe(1)  # the user's line that stores the value
            raise ComplexValueWritten(value, caller.f_code.co_filename, caller.f_lineno)
        super().__setitem__(index, value)


def real_output(out):
    """``out`` (a float64 array the construction check passes a user function as its output) as a view that raises
    :class:`ComplexValueWritten` where the function stores a complex value into it, at the storing line, where
    NumPy raised a TypeError that read as arguments in another order or dropped the imaginary part with a
    warning that leaked out of the check."""
    return out.view(_RealOutput)


def written_message(exc, what, system_name):
    """The message for the :class:`ComplexValueWritten` ``exc`` raised while ``what`` (``"rhs"``, ...) of the system
    ``system_name`` ran on the construction check's test arrays."""
    where = f" (line {exc.line} of {exc.filename}: {exc.source})" if exc.source else (
        f" (line {exc.line} of {exc.filename})" if exc.line else "")
    return _words(what, system_name, exc.source, where)


def compile_message(result, what, system_name):
    """The message for a compile check's ``result`` (:func:`kernels.ptxcheck.compile_check`) of ``what`` that is
    Numba refusing a complex value stored into an array of real numbers, with Numba's text as its detail; None for
    any other result."""
    summary = result.get("summary") or ""
    called = _COMPLEX_CALL.search(summary)
    if result.get("ok") is not False or not (_COMPLEX_SETITEM.search(summary) or called):
        return None
    filename, line = result.get("filename"), result.get("line")
    source = linecache.getline(filename, line).strip() if filename and line else ""
    where = (f" (line {line} of {filename}" + (f": {source}" if source else "") + ")") if filename and line else ""
    detail = f" (Numba: {summary.rstrip('.')})"
    if called and called.group(1) != "setitem":
        return math_words(what, system_name, source, where, called.group(1), detail)
    return _words(what, system_name, source, where, detail)


def host_message(exc, func, what, system_name):
    """The message for ``func`` (a system's ``what``) whose run on the construction check's test arrays raised
    ``exc``, a TypeError of a complex value passed to a function of real numbers (``math.exp(z)``, ``float(z)``:
    :func:`math_words`); None for any other exception."""
    code = getattr(getattr(func, "py_func", func), "__code__", None)
    if not (isinstance(exc, TypeError) and _COMPLEX_ARGUMENT.search(str(exc))) or code is None:
        return None
    lines = [line for frame, line in traceback.walk_tb(exc.__traceback__) if frame.f_code is code]
    source = linecache.getline(code.co_filename, lines[-1]).strip() if lines else ""
    where = f" (line {lines[-1]} of {code.co_filename}: {source})" if source else ""
    return math_words(what, system_name, source, where, None, f" (TypeError: {exc})")


def run_message(exc, name, source, where):
    """The words for ``exc``, raised by the user function ``name`` at the line ``source`` (located by ``where``)
    while a kernel ran on the simulator (:func:`kernels.user_faults.user_function_error`), where it is a complex
    value stored into its real output or passed to a function of real numbers; None otherwise.  With
    ``check=False`` the store said only "TypeError: float() argument must be ... not 'complex'" and to fix the
    function (a quantum-optics physicist's trial)."""
    if not (isinstance(exc, TypeError) and _COMPLEX_ARGUMENT.search(str(exc))):
        return None
    store = _STORE.match(source)
    role = next((role for role, array in _OUTPUTS.items() if store and store.group(1) == array), "rhs")
    detail = f" (TypeError: {str(exc).split(': ', 1)[-1] if str(exc).startswith('tid=') else exc})"
    if store and not _real_call(store.group(3), None):
        return _words(role, None, source, where, detail, subject=name)
    return math_words(role, None, source, where, None, detail, subject=name)


def _real_call(source, name):
    """The call on the line ``source`` of a function that takes real numbers, as written (``math.exp``, ``float``):
    the one named ``name`` (Numba's name for it), else the first of the math module, float() or int(); None."""
    for found in _REAL_CALL.finditer(source):
        written, function = found.group(1), found.group(2)
        if function == name if name else (function in ("float", "int") or (
                written != function and hasattr(math, function))):
            return written
    return None


def math_words(what, system_name, source, where, name, detail="", subject=None):
    """The one wording of a complex value passed to a function of real numbers (``name``, Numba's name for it, or
    None: the first such call on the failing line ``source``, located by ``where``): that such functions take real
    numbers, cmath's function for the complex arithmetic, and to store .real and .imag as for a complex value
    stored (:func:`_remedy`).  ``subject``: the function's own name where the system's is unknown."""
    call = _real_call(source, name) or (name if name in ("float", "int") else f"math.{name}" if name else None)
    function = call.rsplit(".", 1)[-1] if call else None
    instead = (f"take z.real, z.imag or abs(z) explicitly instead of {call}(z)" if function in ("float", "int") else
               f"use cmath.{function}(z) for complex arithmetic" if function and hasattr(cmath, function) else
               "use cmath's functions (cmath.exp, cmath.sqrt, cmath.log, ...) for complex arithmetic")
    store = _STORE.match(source)
    array = _OUTPUTS.get(what, "out")
    target = f"{array}[{store.group(2).strip()}]" if store and store.group(1) == array else f"{array}[i]"
    head = f"{what} of system {system_name!r}" if system_name is not None else (subject or what)
    return (f"{head} passes a complex value to {f'{call}()' if call else 'a function of real numbers'}{where}: the "
            f"math module's functions, float() and int() take real numbers only; {instead}, and store only real "
            f"numbers: {_remedy(what, target, 'w', 'w the complex value; ')}{detail}")


def _words(what, system_name, source, where, detail="", subject=None):
    """The one wording of a complex value stored into ``what``'s real output: which element (from the failing line
    ``source``, located by ``where``), that the array holds real numbers, and how to write the real system.
    ``subject``: the function's own name, where the system's is unknown (``system_name`` None: a kernel's run)."""
    store = _STORE.match(source)
    array = store.group(1) if store else _OUTPUTS.get(what, "its output")
    target = f"{array}[{store.group(2).strip()}]" if store else array
    named = store and re.fullmatch(r"[A-Za-z_]\w*", store.group(3))
    value, z = (store.group(3), "") if named else ("z", "z the value; ")
    head = f"{what} of system {system_name!r}" if system_name is not None else (subject or what)
    return (f"{head} writes a complex value into {target}{where}: {array} holds real numbers only, so "
            f"{_remedy(what, target, value, z)}; complex arithmetic inside {subject or what}, cmath included, is fine "
            f"as long as only real numbers are stored{detail}")


def _remedy(what, target, value, z):
    """How to write ``what`` (``"rhs"``, ...) so that it stores only real numbers: the complex ``value``'s .real
    into ``target`` (the output's element; ``z`` introduces ``value`` where the line has no name for it) and .imag
    into another component, or for a jac or jvp the derivatives of the real system."""
    system = "a complex system is solved as its real and imaginary parts (twice the states, all real"
    if what in ("jac", "jvp"):
        return f"write the derivatives of the real system: {system}), and {what} differentiates that system"
    parts = "state" if what == "rhs" else "component"
    return (f"write its .real and .imag into two separate {parts}s ({z}{target} = {value}.real, and "
            f"{value}.imag into another {parts}), as {system}; read a complex state as z = complex(y[0], y[1]))")
