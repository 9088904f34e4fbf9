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

Both are worded by :func:`_words` (a quantum-optics physicist's trial).
"""

from __future__ import annotations

import linecache
import re
import sys

import numpy as np

from .errors import ConfigurationError

__all__ = ["ComplexValueWritten", "real_output", "written_message", "compile_message"]

#: The output array's name of each of a system's functions, where the failing line does not name it.
_OUTPUTS = {"rhs": "dydt", "observables": "obs", "jac": "J", "jvp": "out"}

# "dydt[0] = dcg  # comment": the array, its subscript, and the value written (a plain or augmented assignment)
_STORE = re.compile(r"^\s*([A-Za-z_]\w*)\s*\[(.*?)\]\s*[-+*/]?=(?!=)\s*(.*?)\s*(?:#.*)?$")

# Numba's typing failure of a complex number stored into an array of real numbers
_COMPLEX_SETITEM = re.compile(r"setitem\(array\((?:float|int|uint)\d+\b[^)]*\),.*\bcomplex(?:64|128)\)")


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
    if result.get("ok") is not False or not _COMPLEX_SETITEM.search(summary):
        return None
    filename, line = result.get("filename"), result.get("line")
    source = linecache.getline(filename, line).strip() if filename and line else ""
    where = (f" (line {line} of {filename}" + (f": {source}" if source else "") + ")") if filename and line else ""
    return _words(what, system_name, source, where, f" (Numba: {summary.rstrip('.')})")


def _words(what, system_name, source, where, detail=""):
    """The one wording of a complex value stored into ``what``'s real output: which element (from the failing line
    ``source``, located by ``where``), that the array holds real numbers, and how to write the real system."""
    store = _STORE.match(source)
    array = store.group(1) if store else _OUTPUTS.get(what, "its output")
    target = f"{array}[{store.group(2).strip()}]" if store else array
    named = store and re.fullmatch(r"[A-Za-z_]\w*", store.group(3))
    value, z = (store.group(3), "") if named else ("z", "z the value; ")
    system = "a complex system is solved as its real and imaginary parts (twice the states, all real"
    if what in ("jac", "jvp"):
        remedy = f"so write the derivatives of the real system: {system}), and {what} differentiates that system"
    else:
        parts = "state" if what == "rhs" else "component"
        remedy = (f"so write its .real and .imag into two separate {parts}s ({z}{target} = {value}.real, and "
                  f"{value}.imag into another {parts}), as {system}; read a complex state as z = complex(y[0], y[1]))")
    return (f"{what} of system {system_name!r} writes a complex value into {target}{where}: {array} holds real "
            f"numbers only, {remedy}; complex arithmetic inside {what}, cmath included, is fine as long as only real "
            f"numbers are stored{detail}")
