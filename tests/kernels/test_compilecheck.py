"""The compile check's helper process (kernels/compilecheck.py)."""

import dataclasses
import functools
import math
import os
import subprocess
import sys
import types

import numpy as np
import pytest
from numba import cuda

import kernels
import plain_helpers
from kernel_helpers import contact_matrix_rhs
from plain_helpers import decay

_SCRIPT = """
import kernels
def decay(t, y, p, dydt):
    dydt[0] = -y[0]
kernels.ODESystem(decay, 1, name="decay")
print("built")
"""


@pytest.mark.skipif(kernels.backend() == "cuda", reason="with a GPU the check runs in this process: no helper")
def test_the_helper_pipes_are_closed():
    """Every new process said ResourceWarning: unclosed file <_io.BufferedReader name=5> (the helper's stdout)
    at exit, under -X dev or -W error."""
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", BUFFERPLAN_COMPILE_CACHE="off")
    done = subprocess.run([sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c", _SCRIPT],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "built" in done.stdout
    assert "ResourceWarning" not in done.stderr and "unclosed" not in done.stderr, done.stderr[-2000:]


RATES = [1.0, 2.0]


def _reads_a_list(t, y, p, dydt):
    dydt[0] = -RATES[0] * y[0]
    dydt[1] = -RATES[1] * y[1]


def test_a_list_read_as_a_global_is_named_with_what_to_use():
    """The message was Numba's '<numba.cuda.core.base.OverloadSelector object at 0x...>, (List(float64, True),)'
    with the generic hint."""
    with pytest.raises(kernels.ConfigurationError) as info:
        kernels.ODESystem(_reads_a_list, 2, name="rates")
    message = str(info.value)
    assert "dydt[0] = -RATES[0] * y[0]): it reads RATES, a Python list (Numba type List(float64, True))" in message
    assert "make RATES a tuple of numbers (RATES = tuple(...)) or a NumPy array (RATES = np.array(...))" in message
    assert "object at 0x" not in message and "OverloadSelector" not in message


WEIGHTS = [[0.1, 0.0], [0.0, 0.2]]


def _reads_a_nested_list(t, y, p, dydt):
    for i in range(2):
        dydt[i] = -WEIGHTS[i][i] * y[i]


def test_a_list_of_lists_read_as_a_global_is_named_too():
    """A weight matrix as a list of lists got 'a Python list is used here ... use scalars and the arrays passed
    in', which named no list and steered to params (a user's trial)."""
    with pytest.raises(kernels.ConfigurationError, match=r"it reads WEIGHTS, a Python list\. .*make WEIGHTS a "
                                                         r"NumPy array \(WEIGHTS = np\.array\(\.\.\.\), indexed "
                                                         r"WEIGHTS\[i, j\]\) or a tuple of tuples"):
        kernels.ODESystem(_reads_a_nested_list, 2, name="weights")


def _uses_np_exp(t, y, p, dydt):
    dydt[0] = -p[0] * np.exp(-t) * y[0]
    dydt[1] = -y[1]


def _uses_np_abs(t, y, p, dydt):
    dydt[0] = -np.abs(y[0])


def _uses_np_sign(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -y[0] - 0.2 * np.sign(y[1])


def _sign_as_advised(t, y, p, dydt):
    x = y[1]
    dydt[0] = y[1]
    dydt[1] = -y[0] - 0.2 * (1.0 if x > 0 else (-1.0 if x < 0 else 0.0))


def test_a_numpy_ufunc_on_a_scalar_names_the_math_function():
    """np.exp(-t) creates no array, yet the message said device code has 'only the part of NumPy that creates
    no arrays', and never said to use math.exp (numba-cuda compiles np.sin but not np.exp, np.sqrt or np.abs)."""
    with pytest.raises(kernels.ConfigurationError) as info:
        kernels.ODESystem(_uses_np_exp, 2, n_params=1, name="np_exp")
    message = str(info.value)
    assert "np.exp is a NumPy ufunc that numba-cuda does not compile" in message
    assert "numba-cuda compiles only some NumPy ufuncs for the device, and not this one, even on a number" in message
    assert "math.exp(x) for np.exp(x)" in message
    assert "creates no arrays" not in message
    with pytest.raises(kernels.ConfigurationError, match=r"abs\(x\) for np\.absolute"):
        kernels.ODESystem(_uses_np_abs, 1, name="np_abs")
    # np.sign is 0 at 0; math.copysign(1.0, x), the hint before, is +-1 there (a mass at rest felt friction)
    with pytest.raises(kernels.ConfigurationError, match=r"\(1\.0 if x > 0 else \(-1\.0 if x < 0 else 0\.0\)\) for np\.sign"):
        kernels.ODESystem(_uses_np_sign, 2, name="np_sign")
    kernels.ODESystem(_sign_as_advised, 2, name="sign_advised")  # the advice compiles (float(bool) would not)


_DAYS = np.arange(0.0, 366.0)
_TEMPERATURE = 10.0 + 5.0 * np.sin(2.0 * np.pi * _DAYS / 365.0)


def _uses_np_interp(t, y, p, dydt):
    dydt[0] = -y[0] + np.interp(t, _DAYS, _TEMPERATURE)


def test_np_interp_in_rhs_points_to_drivers():
    """np.interp of a sampled series in rhs was told not to allocate arrays, with no word of drivers= (a user's
    trial)."""
    with pytest.raises(kernels.ConfigurationError, match=r"np.interp does not compile for the device. For forcing "
                                                         r"sampled in time .* n_drivers and pass drivers=\(times, "
                                                         r"values\)"):
        kernels.ODESystem(_uses_np_interp, 1, name="np_interp")


def _reshapes_a_slice_of_p(t, y, p, dydt):
    C = p[1:17].reshape((4, 4))
    for i in range(4):
        lam = 0.0
        for j in range(4):
            lam += C[i, j] * y[j]
        dydt[i] = -p[0] * lam


def test_a_reshaped_slice_of_p_is_told_to_index_it():
    """A contact matrix read back with p[1:17].reshape((4, 4)) got only Numba's "reshape() supports contiguous array
    only" (an epidemiologist's trial); the index it names compiles."""
    with pytest.raises(kernels.ConfigurationError, match=r"A slice of p cannot be reshaped into a matrix on the "
                                                         r"device: read its entries by index instead, C\[i, j\] as "
                                                         r"p\[1 \+ i\*4 \+ j\]"):
        kernels.ODESystem(_reshapes_a_slice_of_p, 4, n_params=17, name="reshape_slice")
    kernels.ODESystem(contact_matrix_rhs, 4, n_params=17, name="indexed")  # the advised index compiles


_S = 4


def _reshapes_by_names(t, y, p, dydt):
    A = p[0:_S * _S].reshape(_S, _S)
    for i in range(_S):
        s = p[_S * _S + i]
        for j in range(_S):
            s += A[i, j] * y[j]
        dydt[i] = y[i] * s


def test_a_slice_reshaped_by_names_is_told_to_index_it():
    """A DiffEqGPU.jl user's trial: Julia's reshape(p[1:S*S], S, S) ported as p[0:S*S].reshape(S, S) got only Numba's
    words: the hint needed the sizes written as numbers."""
    with pytest.raises(kernels.ConfigurationError, match=r"read its entries by index instead, C\[i, j\] as "
                                                         r"p\[i\*_S \+ j\]"):
        kernels.ODESystem(_reshapes_by_names, _S, n_params=_S * _S + _S, name="reshape_names")


class _Model:
    """A SciPy user's class-based model: its rhs a method reading self."""

    def __init__(self, k):
        self.k = k

    def rhs(self, t, y, p, dydt):
        dydt[0] = y[1]
        dydt[1] = -self.k * y[0]


def _rhs_with_k(t, y, p, dydt, k=1.0):
    dydt[0] = y[1]
    dydt[1] = -k * y[0]


@pytest.mark.parametrize("make, words", [
    (lambda: _Model(4.0).rhs, r"A method of a class cannot be compiled .* pass what it reads from the object as params"),
    (lambda: functools.partial(_rhs_with_k, k=4.0), r"not functools.partial or another callable object: bind the "
                                                     r"values in a closure"),
])
def test_a_method_or_a_partial_is_told_what_to_write_instead(make, words):
    """A user porting class-based SciPy models got "Variable 'self' is not defined" and "does not provide its
    bytecode" with only the generic hint."""
    with pytest.raises(kernels.ConfigurationError, match=words):
        kernels.ODESystem(make(), 2, name="ported")


def _uses_cbrt(t, y, p, dydt):
    dydt[0] = -math.cbrt(y[0])


def _uses_factorial(t, y, p, dydt):
    dydt[0] = -y[0] / math.factorial(3)


def _cbrt_as_advised(t, y, p, dydt):
    x = y[0]
    dydt[0] = -math.copysign(abs(x) ** (1.0 / 3.0), x) / math.gamma(3 + 1.0)


@pytest.mark.parametrize("rhs, words", [
    (_uses_cbrt, r"math\.cbrt is not available in CUDA device code\. Write math\.copysign\(abs\(x\) \*\* "
                 r"\(1\.0 / 3\.0\), x\) for math\.cbrt\(x\) instead\."),
    (_uses_factorial, r"math\.factorial is not available in CUDA device code\. Write math\.gamma\(n \+ 1\.0\)"),
], ids=["cbrt", "factorial"])
def test_a_math_function_the_device_lacks_is_named_with_a_replacement(rhs, words):
    """math.cbrt got "Unknown attribute 'cbrt' of type Module(<module 'math' ...>)" and the generic hint that
    device code compiles 'the math module', which contradicted it (a user's trial)."""
    with pytest.raises(kernels.ConfigurationError, match=words) as info:
        kernels.ODESystem(rhs, 1, name="math_missing")
    assert "Unknown attribute" not in str(info.value) and "the math module" not in str(info.value)
    kernels.ODESystem(_cbrt_as_advised, 1, name="cbrt_advised")  # the advice compiles


@cuda.jit(device=True)
def _ipow(x, n):
    if n == 0:
        return 1.0
    return x * _ipow(x, n - 1)


def _calls_a_recursive_helper(t, y, p, dydt):
    dydt[0] = -_ipow(y[0], 3)


def test_a_recursive_helper_is_told_to_become_a_loop():
    """A helper calling itself got Numba's "'JITCUDACodegen' object has no attribute 'insert_unresolved_ref'"
    with the generic hint (a user's trial)."""
    with pytest.raises(kernels.ConfigurationError, match=r"_ipow calls itself\. A CUDA device function cannot call "
                                                         r"itself .*rewrite _ipow as a loop") as info:
        kernels.ODESystem(_calls_a_recursive_helper, 1, name="recursive")
    assert "insert_unresolved_ref" not in str(info.value)


def _imports_cbrt():
    from math import cbrt, factorial as fact  # a name imported from math, not read as math.cbrt

    def by_name(t, y, p, dydt):
        dydt[0] = -cbrt(y[0])

    def by_alias(t, y, p, dydt):
        dydt[0] = -y[0] / fact(3)

    return by_name, by_alias


@pytest.mark.parametrize("which, words", [
    (0, r"\): math\.cbrt is not available in CUDA device code\. Write math\.copysign\(abs\(x\) \*\* "),
    (1, r"\): math\.factorial \(imported as fact\) is not available in CUDA device code\. Write math\.gamma"),
], ids=["cbrt", "alias"])
def test_a_math_function_imported_by_name_is_named_with_a_replacement_too(which, words):
    """cbrt of `from math import cbrt` got "Untyped global name 'cbrt'" and the hint that device code compiles
    'the math module' (a regression hunt), where math.cbrt got the replacement."""
    with pytest.raises(kernels.ConfigurationError, match=words) as info:
        kernels.ODESystem(_imports_cbrt()[which], 1, name="math_imported")
    assert "Untyped global name" not in str(info.value) and "the math module" not in str(info.value)


@cuda.jit(device=True)
def _ping(x, n):
    if n <= 0:
        return x
    return _pong(x, n - 1)


@cuda.jit(device=True)
def _pong(x, n):
    if n <= 0:
        return x
    return _ping(x, n - 1)


def _calls_mutually_recursive_helpers(t, y, p, dydt):
    dydt[0] = -_ping(y[0], 3)


def test_mutually_recursive_helpers_are_named():
    """Two helpers calling each other were told "the helper calls itself ... rewrite the helper as a loop", naming
    neither (a regression hunt)."""
    with pytest.raises(kernels.ConfigurationError, match=r"_ping and _pong call each other \(_ping calls _pong, which "
                                                         r"calls _ping\)\. A CUDA device function cannot call itself "
                                                         r".*rewrite _ping and _pong as a loop"):
        kernels.ODESystem(_calls_mutually_recursive_helpers, 1, name="mutual")


_PAR = {"gL": 0.3, "EL": -54.387}
_NS = types.SimpleNamespace(gL=0.3, EL=-54.387)


@dataclasses.dataclass(frozen=True)
class _Constants:
    gL: float = 0.3
    EL: float = -54.387


_CI = _Constants()
_NPD = {"gL": np.float32(0.3), "n": np.int64(2)}  # NumPy scalars, as from a loaded table


def _leak_numpy_dict(t, y, p, dydt):
    dydt[0] = -_NPD["gL"] * y[0] ** _NPD["n"] + p[0]


def _leak_dict(t, y, p, dydt):
    dydt[0] = -_PAR["gL"] * (y[0] - _PAR["EL"]) + p[0]


def _leak_namespace(t, y, p, dydt):
    dydt[0] = -_NS.gL * (y[0] - _NS.EL) + p[0]


def _leak_dataclass(t, y, p, dydt):
    dydt[0] = -_CI.gL * (y[0] - _CI.EL) + p[0]


@pytest.mark.parametrize("rhs, kind", [(_leak_dict, "_PAR is a dict"), (_leak_namespace, "_NS is a SimpleNamespace"),
                                       (_leak_dataclass, "_CI is an instance of the dataclass _Constants")])
def test_a_dict_or_object_of_constants_is_named_with_what_to_use(rhs, kind):
    """A dict of model constants got "Untyped global name 'PAR': Cannot determine Numba type of <class 'dict'>"
    and the generic hint that Numba compiles a subset of Python, which said nothing of what to do (a user's
    trial)."""
    with pytest.raises(kernels.ConfigurationError) as info:
        kernels.ODESystem(rhs, 1, n_params=1, name="leak")
    message = str(info.value)
    assert kind in message
    assert "put its values into module-level float constants (gL = 0.3, EL = -54.387), a tuple" in message
    assert "or pass them as params (columns of the params array" in message
    assert "compiles a subset of Python" not in message


def test_a_dict_of_numpy_scalars_is_named_with_its_own_values():
    """A dict of NumPy scalars got made-up values in the remedy ("GL = 0.3", "(0.3, -54.4)"), none of the user's
    (a regression hunt)."""
    with pytest.raises(kernels.ConfigurationError) as info:
        kernels.ODESystem(_leak_numpy_dict, 1, n_params=1, name="leak_np")
    message = str(info.value)
    assert "module-level float constants (gL = 0.3, n = 2), a tuple (_NPD = (0.3, 2), read as _NPD[0])" in message, message


def _quantised(t, y, p, dydt):
    xm = np.round(y[0] / p[0]) * p[0]  # a sensor quantised to steps of p[0]
    dydt[0] = -xm


def test_np_round_that_nvvm_rejects_is_named_with_what_to_write():
    """np.round compiles to IR that NVVM rejects: the message was "ERROR_INVALID_IR (6)" with no line and no remedy
    (a control engineer's trial)."""
    with pytest.raises(kernels.ConfigurationError, match=r"NVVM rejected the code numba-cuda made of np.round .*"
                                                         r"round\(x\) for np.round"):
        kernels.ODESystem(_quantised, 1, n_params=1, name="quant")


def _calls_a_module_helper(t, y, p, dydt):
    plain_helpers.decay(t, y, p, dydt)


def _calls_an_imported_helper(t, y, p, dydt):
    decay(t, y, p, dydt)


@pytest.mark.parametrize("rhs, words", [
    # Numba's "Unknown attribute 'decay' of type Module(...)" came with the generic hint (a chemist's trial)
    (_calls_a_module_helper, "it calls plain_helpers.decay, a plain Python function, not a CUDA device function "
                             "(Unknown attribute 'decay' of type Module("),
    (_calls_an_imported_helper, "Untyped global name 'decay': Cannot determine Numba type of <class 'function'>"),
])
def test_a_plain_helper_from_another_module_is_named_with_its_module(rhs, words):
    """A helper called from rhs must be a device function; the message says which one to decorate, and where."""
    with pytest.raises(kernels.ConfigurationError) as info:
        kernels.ODESystem(rhs, 1, n_params=1, name="helper")
    message = str(info.value)
    assert words in message, message
    assert ("A function it calls must be a CUDA device function too: decorate the helper with "
            "@numba.cuda.jit(device=True) on the line above def decay in plain_helpers (its body then follows the "
            "same rules), or write its lines inline") in message, message
    assert "compiles a subset of Python" not in message


def _local_plain_helper(t, y, p, dydt):
    dydt[0] = -y[0]


def _calls_a_local_helper(t, y, p, dydt):
    _local_plain_helper(t, y, p, dydt)


def test_a_plain_helper_of_the_same_file_keeps_its_message():
    """A regression hunt (2026-12-05): the same-file helper's message had changed with the other-module one."""
    with pytest.raises(kernels.ConfigurationError, match=r"decorate the helper with @numba\.cuda\.jit\(device=True\) "
                                                         r"\(its body then follows the same rules\), or write its "
                                                         r"lines inline\."):
        kernels.ODESystem(_calls_a_local_helper, 1, name="local")
