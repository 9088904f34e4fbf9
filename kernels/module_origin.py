"""Whether a module named like one of the standard library's is the user's own file (a chemist's ``glob.py``).

The compile check and its hints tell library code from the user's by the module's top-level name
(:data:`kernels.compile_hints.LIBRARY_MODULES`: the standard library's names, NumPy, Numba, ...).  A chemist's
helpers in ``glob.py`` beside the script carry the standard library's name ``glob``: a jac calling ``G2.jac(...)``
of an undecorated helper there was told "Numba CUDA compiles a subset of Python", with no remedy, where the same
helper imported by name was told to decorate it with ``@numba.cuda.jit(device=True)`` (a chemist's trial), and its
functions were sent to the compiler process by reference, where the name imports the standard library's module.
:func:`shadows_stdlib` says where a module of such a name was loaded from a file outside the standard library;
:func:`top_level` takes a dotted name's top-level name, one helper for these checks and for
:mod:`kernels.foreign_functions`' (JAX's and torch's types).
"""

from __future__ import annotations

import os
import sys

__all__ = ["STDLIB_DIR", "shadows_stdlib", "top_level"]

#: The standard library's directory (that of ``os.py``; its compiled modules are in ``lib-dynload`` below it).
STDLIB_DIR = os.path.dirname(os.path.realpath(os.__file__))


def top_level(module) -> str:
    """The top-level package name of the dotted module name ``module`` (``"jax"`` of ``"jax.numpy"``); "" for
    anything that is not a string (a ``__module__`` of None, a ``__globals__`` without ``__name__``), which names no
    library."""
    return module.split(".")[0] if isinstance(module, str) else ""


def shadows_stdlib(name) -> bool:
    """Whether the module ``name`` (dotted or not), as this process imported it, has a standard library module's
    top-level name but was loaded from a file outside the standard library's directory: the user's ``glob.py``.
    False for the standard library's own modules, built-in ones (no file), other names, and a name not imported."""
    if top_level(name) not in sys.stdlib_module_names:
        return False
    file = getattr(sys.modules.get(name), "__file__", None)
    if not isinstance(file, str) or not file:
        return False
    try:
        return os.path.commonpath([os.path.realpath(file), STDLIB_DIR]) != STDLIB_DIR
    except ValueError:  # another drive (Windows): not under the standard library
        return True
