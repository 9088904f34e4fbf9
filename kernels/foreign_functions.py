"""User functions that are not plain Python functions: JAX's and torch's compiled functions, a torch ``nn.Module``,
and callable objects, for :func:`kernels.system_checks.check_arity`.

A system's functions are compiled for CUDA by Numba from their Python bytecode, so only a plain function (``def``
or ``lambda``) can be one.  An rhs wrapped in ``jax.jit`` ran on the construction check's test arrays as JAX code and
came back with JAX's advice to write ``x = x.at[idx].set(y)`` (which would break the rhs), and a torchdiffeq
``ODEFunc(nn.Module)`` was told to drop a ``**kwargs`` it never wrote (that of ``Module.__call__``: a diffrax and
torchdiffeq user's trial).  They are told here by their type's module and name, so that neither JAX nor torch is
imported for it.
"""

from __future__ import annotations

import functools
import inspect
import types

from .module_origin import top_level

__all__ = ["foreign_function_message"]

_JAX = frozenset({"jax", "jaxlib"})
_LIBRARIES = frozenset({"numba", "numba_cuda", "kernels", "functools"})  # their callable objects are handled elsewhere


def foreign_function_message(func, what, names):
    """The refusal's words where ``func`` (a system's ``what``, called with ``names``) is no plain Python function
    but a JAX or torch one, a torch Module or another callable object; None for a function (or a Numba one)."""
    kind = type(func)
    form = f"{what}({', '.join(names)})"
    if any(top_level(cls.__module__) == "torch" and ".nn." in f"{cls.__module__}." for cls in kind.__mro__):
        return _module_words(func, what, form)
    if top_level(kind.__module__) in _JAX:
        label = "a JAX-compiled function (jax.jit)" if "jit" in kind.__name__.lower() else \
            f"a JAX {kind.__name__} object"
        return _wrapped_words(func, what, label, "@jax.jit")
    if top_level(kind.__module__) == "torch":
        return _wrapped_words(func, what, f"a TorchScript function (torch.jit.script; a {kind.__name__})",
                              "@torch.jit.script")
    if isinstance(func, types.FunctionType) and hasattr(func, "__wrapped__"):
        origin = top_level(getattr(func, "__globals__", {}).get("__name__"))
        if origin in _JAX:  # jax.vmap, jax.grad, jax.jacfwd: the function it wraps is not this one (jac of f)
            return (f"{what} is a function transformed by JAX (jax.vmap, jax.grad, jax.jacfwd, ...): write {form} as "
                    "a plain Python function, which is compiled for CUDA by Numba; Numba cannot run JAX's code")
        if origin == "torch":
            return _wrapped_words(func, what, "a torch.compile'd function", "@torch.compile")
    return _callable_object_words(func, what, form)


def _wrapped_words(func, what, label, decorator):
    """What a JAX or torch compiled ``func`` is told: pass the plain Python function, named where ``func`` wraps one
    (``__wrapped__``, as functools.wraps leaves it)."""
    inner = inspect.unwrap(func) if hasattr(func, "__wrapped__") else func
    name = getattr(inner, "__name__", None) if inner is not func else None
    if name and name != "<lambda>":
        which = f"{name} itself ({name}.__wrapped__ where {decorator} decorates its def; or drop the decorator)"
    elif name:
        which = "the lambda it wraps"
    else:
        which = f"the function it compiled (drop {decorator})"
    return (f"{what} is {label}; pass the plain Python function, {which}: it is compiled for CUDA by Numba, which "
            "cannot run JAX's or torch's compiled code")


def _module_words(func, what, form):
    """What a torch ``nn.Module`` (torchdiffeq's ``ODEFunc``) is told: it cannot run in a CUDA kernel; its network
    is written as a plain rhs with the weights flattened into params."""
    kind = type(func)
    owner = next((cls for cls in kind.__mro__ if "forward" in vars(cls) and top_level(cls.__module__) != "torch"), None)
    called = f", called through {owner.__qualname__}.forward" if owner is not None else ""  # not torch's own
    return (f"{what} is a torch Module ({kind.__qualname__}, an nn.Module instance{called}): a torch Module cannot "
            f"run in a CUDA kernel, which compiles only a plain Python function of scalar arithmetic; write a plain "
            f"{form} that computes the network in loops, with the weights flattened into params "
            f"(np.concatenate([w.detach().cpu().numpy().ravel() for w in module.parameters()]), read as p[k]) "
            "(README, 'Coming from torchdiffeq': a neural ODE's weights as parameters)")


def _callable_object_words(func, what, form):
    """What an instance of a class of the user's with a ``__call__`` is told: the method a call runs, and that a
    plain function is expected (such an object passed the test arrays and was refused only at the compile check,
    as "does not provide its bytecode", which named neither)."""
    if isinstance(func, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, functools.partial, type)):
        return None
    kind = type(func)
    if not isinstance(inspect.getattr_static(kind, "__call__", None), types.FunctionType) or \
            top_level(kind.__module__) in _LIBRARIES:
        return None
    owner = next(cls for cls in kind.__mro__ if "__call__" in vars(cls))
    return (f"{what} is an instance of class {kind.__qualname__}, which a call runs through its method "
            f"{owner.__qualname__}.__call__; a CUDA kernel compiles only a plain Python function (def or lambda), "
            f"with no object or self: write {form} as a plain function, reading what it took from the object "
            f"from params (self.k -> p[0]) or binding numbers in a closure (def make(k): def {form}: ...; return "
            f"{what})")
