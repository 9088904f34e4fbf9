"""A user's helper module whose name is a standard library module's (a chemist's glob.py) is the user's code to the
compile check: its functions are checked, and a plain helper called as its attribute is told the remedy
(kernels/module_origin.py, kernels/compilecheck.py, and the hook in kernels/compile_hints.py)."""

import importlib.util
import sys
import warnings

import pytest

import kernels
import kernels.compile_hints
from kernels.module_origin import shadows_stdlib

# a standard library name that nothing imports while the tests run; it stands in for the chemist's glob.py
NAME = "tabnanny"
SOURCE = '''
def rhs(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def jac(t, y, p, J):
    J[0] = -p[0]


def listed_rhs(t, y, p, dydt):
    rates = [1.0, 2.0]
    dydt[0] = -rates[0] * y[0]
'''
REMEDY = ("decorate the helper with @numba.cuda.jit(device=True) on the line above def jac in " + NAME
          + " (its body then follows the same rules), or write its lines inline")


def _import_users_file(tmp_path, monkeypatch, source):
    """The user's file named like the standard library's module, imported from a folder the compiler process
    cannot import it from (its name there is the standard library's), as a notebook's helper file is."""
    path = tmp_path / f"{NAME}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(NAME, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, NAME, module)
    return module


@pytest.fixture
def users_module(tmp_path, monkeypatch):
    return _import_users_file(tmp_path, monkeypatch, SOURCE)


@pytest.fixture
def users_module_with_lock(tmp_path, monkeypatch):
    """The same file holding a global that cannot be pickled (the hunt's glob.py: ``_lock = threading.Lock()``)."""
    return _import_users_file(tmp_path, monkeypatch, "import threading\n_lock = threading.Lock()\n" + SOURCE)


def test_a_users_file_is_told_from_the_standard_librarys(users_module):
    assert shadows_stdlib(NAME) and shadows_stdlib(NAME + ".sub") is False  # (a submodule not imported)
    assert not shadows_stdlib("glob") and not shadows_stdlib("math") and not shadows_stdlib("sys")
    assert not shadows_stdlib("numpy") and not shadows_stdlib("kernels") and not shadows_stdlib("not_imported")


def test_functions_of_such_a_module_are_checked(users_module):
    """They were sent to the compiler process by reference, where their module's name imports the standard
    library's: "could not check ... AttributeError: Can't get attribute 'rhs' on <module 'glob' from
    '.../lib/python3.11/glob.py'>" (a chemist's helpers in glob.py), and an rhs that cannot compile went through."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.CompileCheckWarning)
        kernels.ODESystem(users_module.rhs, 1, 1, jac=users_module.jac, name="shadowing")
        with pytest.raises(kernels.ConfigurationError, match="does not compile for CUDA.*Python list"):
            kernels.ODESystem(users_module.listed_rhs, 1, 1, name="shadowing_list")


def _calling_as_attribute(module):
    def jac(t, y, p, J):
        module.jac(t, y, p, J)
    return jac


def test_a_plain_helper_called_as_its_attribute_is_told_the_remedy(users_module):
    """G2.jac(...) of an undecorated helper in the chemist's glob.py was told only "Numba CUDA compiles a subset
    of Python", where the same helper imported by name was told to decorate it (a chemist's trial)."""
    with pytest.raises(kernels.ConfigurationError) as raised:
        kernels.ODESystem(users_module.rhs, 1, 1, jac=_calling_as_attribute(users_module), name="shadowing_jac")
    text = str(raised.value)
    assert f"it calls {NAME}.jac, a plain Python function, not a CUDA device function" in text, text
    assert REMEDY in text, text


def test_a_plain_helper_of_a_module_holding_a_lock_is_still_refused(users_module_with_lock):
    """The module travelled with its whole state, and a Lock in it made the check fail: "could not check ...
    cannot pickle '_thread.lock' object", and G2.jac(...) of an undecorated helper was accepted (the hunt's
    glob.py).  Its unpicklable globals are left out, so the check runs and refuses it as before."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.CompileCheckWarning)
        kernels.ODESystem(users_module_with_lock.rhs, 1, 1, name="shadowing_lock_rhs")
        with pytest.raises(kernels.ConfigurationError) as raised:
            kernels.ODESystem(users_module_with_lock.rhs, 1, 1, jac=_calling_as_attribute(users_module_with_lock),
                              name="shadowing_lock_jac")
    text = str(raised.value)
    assert f"it calls {NAME}.jac, a plain Python function, not a CUDA device function" in text, text
    assert REMEDY in text, text
