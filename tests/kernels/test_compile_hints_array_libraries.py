"""A function of torch, JAX or another array library in a system's function (kernels/compile_hints.py): named, with the
math function to write instead, whether it failed on the host's test arrays (torch.sin of a NumPy float raises
TypeError) or reached the compile check (jnp.sin runs on the host)."""

import math
import types

import numpy as np
import pytest

import kernels
from kernels.compile_hints import array_library_message


def _library(name, **functions):
    """A stand-in module called ``name`` holding ``functions`` (the real libraries are not installed here)."""
    module = types.ModuleType(name)
    for key, function in functions.items():
        setattr(module, key, function)
    return module


def _tensor_only(name):
    """A function that, as torch.sin does, refuses a NumPy float: TypeError, "must be Tensor"."""
    def function(x):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__module__}."
                        f"{type(x).__name__}")
    function.__name__ = name
    return function


torch = _library("torch", sin=_tensor_only("sin"))
tf = _library("tensorflow", exp=_tensor_only("exp"))
jnp = _library("jax.numpy", sin=lambda x: math.sin(x))  # runs on a NumPy float, as jnp.sin does (to a JAX array)
tsin = _tensor_only("sin")
tsin.__module__ = "torch"  # from torch import sin as tsin


def _with_torch(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * torch.sin(y[0]) - p[1] * y[1]


def _with_tf(t, y, p, dydt):
    dydt[0] = -p[0] * tf.exp(y[0])
    dydt[1] = -y[1]


def _with_imported_sin(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * tsin(y[0]) - p[1] * y[1]


def _with_jnp(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * jnp.sin(y[0]) - p[1] * y[1]


def _odeint_order(y, t, p, dydt):  # odeint's f(y, t, ...) habit: t is an array, y a float
    dydt[0] = y[1]
    dydt[1] = -p[0] * math.sin(y[0]) - p[1] * y[1]


def test_a_torch_function_in_rhs_is_named_with_the_math_function_to_write():
    """torch.sin(y[0]) raised torch's TypeError on the test arrays, and the message said that such a TypeError
    usually means the arguments in another order, where jnp.sin got the subset message (a torch user's trial)."""
    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.ODESystem(_with_torch, n_states=2, n_params=2)
    message = str(caught.value)
    assert message.startswith("rhs of system '_with_torch' calls torch.sin (line "), message
    assert ("dydt[1] = -p[0] * torch.sin(y[0]) - p[1] * y[1]), a function of torch, which failed on NumPy's test "
            "arrays (TypeError: sin(): argument 'input' (position 1) must be Tensor, not numpy.float64) and does not "
            "compile for CUDA either. Numba CUDA compiles a subset of Python: scalar arithmetic, the math module, and "
            "indexing and loops over the arrays passed in, not torch's functions, which work on torch's own arrays: "
            "write math.sin(x) for torch.sin(x) on each number (import math).") in message, message
    assert "another order" not in message


def test_a_function_imported_from_torch_is_named_as_written():
    with pytest.raises(kernels.ConfigurationError, match=r"calls tsin \(line .*a function of torch.*write "
                                                         r"math.sin\(x\) for tsin\(x\) on each number"):
        kernels.ODESystem(_with_imported_sin, n_states=2, n_params=2)


def test_a_jax_function_that_reaches_the_compile_check_names_the_math_function_too():
    """jnp.sin runs on the host, so the compile check words it: it named Numba's subset but not math.sin."""
    with pytest.raises(kernels.ConfigurationError, match=r"does not compile for CUDA.*: it calls jnp.sin, a function "
                                                         r"of JAX \(Unknown attribute 'sin' of type Module\(<module "
                                                         r"'jax.numpy'>\)\)\. Numba CUDA compiles a subset of Python.*"
                                                         r"not JAX's functions.*write math.sin\(x\) for jnp.sin\(x\) "
                                                         r"on each number"):
        kernels.ODESystem(_with_jnp, n_states=2, n_params=2)


def _raised(function, *args):
    try:
        function(*args)
    except Exception as exc:  # noqa: BLE001 - the test wants it
        return exc
    raise AssertionError("did not raise")


@pytest.mark.parametrize("function, said", [
    (_with_torch, r"^rhs of system 'sys' calls torch.sin .*, a function of torch, .*write math.sin\(x\) for "
                  r"torch.sin\(x\)"),
    (_with_tf, r"^rhs of system 'sys' calls tf.exp .*, a function of TensorFlow, .*write math.exp\(x\) for "
               r"tf.exp\(x\)"),
])
def test_the_failing_line_names_the_library_call(function, said):
    exc = _raised(function, 0.0, np.ones(2), np.ones(2), np.zeros(2))
    assert array_library_message(exc, function, "rhs", "sys") is not None
    assert __import__("re").search(said, array_library_message(exc, function, "rhs", "sys"))


def test_a_type_error_of_the_arguments_order_keeps_its_hint():
    """y and t swapped (odeint's order) is no library call: told of the order, as before."""
    exc = _raised(_odeint_order, 0.0, np.ones(2), np.ones(2), np.zeros(2))
    assert array_library_message(exc, _odeint_order, "rhs", "sys") is None
    with pytest.raises(kernels.ConfigurationError, match=r"usually means the arguments in another order"):
        kernels.ODESystem(_odeint_order, n_states=2, n_params=2)


def test_one_helper_takes_a_modules_top_level_name():
    """kernels/module_origin.top_level, the helper of compile_hints' and foreign_functions' library checks: "" for
    what is no module name (a ``__module__`` of None), which names no library."""
    from kernels.module_origin import top_level

    assert [top_level(n) for n in ("jax.numpy", "torch", "a.b.c", "", None, 3)] == ["jax", "torch", "a", "", "", ""]
