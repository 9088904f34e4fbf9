"""JAX's and torch's objects where a plain function or array is expected (kernels/foreign_functions.py,
kernels/validation.py's refuse_autograd), the torchdiffeq form f(t, y), and a dict of a few parameters
(kernels/batch_layout.py), from a diffrax/torchdiffeq user's and a laser physicist's trials.  JAX and torch are not
imported: small stand-ins carry the type names and module names the checks read."""

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError


def lv(t, y, p, dydt):
    dydt[0] = p[0] * y[0] - p[1] * y[0] * y[1]
    dydt[1] = -p[2] * y[1] + p[3] * y[0] * y[1]


class PjitFunction:
    """A stand-in for what ``jax.jit(f)`` returns: a jaxlib type that wraps ``f`` (``__wrapped__``)."""

    __module__ = "jaxlib._jax"

    def __init__(self, fun):
        self.__wrapped__ = fun

    def __call__(self, *args):
        return self.__wrapped__(*args)


def _jax_transformed(fun):
    """A stand-in for ``jax.vmap(f)``: a plain function of JAX's module, wrapping ``f`` as functools.wraps does."""
    namespace = {"__name__": "jax._src.traceback_util", "fun": fun}
    exec("def wrapper(*args):\n    return fun(*args)\n", namespace)
    wrapper = namespace["wrapper"]
    wrapper.__wrapped__, wrapper.__name__ = fun, fun.__name__
    return wrapper


Module = type("Module", (), {"__module__": "torch.nn.modules.module",
                             "__call__": lambda self, *args, **kwargs: self.forward(*args, **kwargs)})


class ODEFunc(Module):
    """torchdiffeq's habit: the rhs as an nn.Module whose forward returns the derivative."""

    def forward(self, t, y):
        return -y


class Decay:
    """A callable object of the user's own."""

    def __init__(self, k):
        self.k = k

    def __call__(self, t, y, p, dydt):
        dydt[0] = -self.k * y[0]
        dydt[1] = -self.k * y[1]


def test_a_jax_jitted_rhs_is_told_to_pass_the_plain_function():
    """jax.jit(lv), rightly written with 4 arguments, got JAX's advice "use x = x.at[idx].set(y)", which would
    break the rhs, and then that the arguments were in another order (a diffrax user's trial)."""
    with pytest.raises(ConfigurationError, match=r"^rhs is a JAX-compiled function \(jax\.jit\); pass the plain "
                                                 r"Python function, lv itself \(lv\.__wrapped__ where @jax\.jit "
                                                 r"decorates its def; or drop the decorator\): it is compiled for CUDA "
                                                 r"by Numba"):
        kernels.ODESystem(PjitFunction(lv), n_states=2, n_params=4)


def test_a_jax_transformed_function_is_told_to_be_a_plain_function():
    """jax.vmap or jax.jacfwd (as a jac) return a plain function of JAX's module; the one it wraps need not be the
    one to pass (jacfwd wraps the rhs), so the form is named instead."""
    with pytest.raises(ConfigurationError, match=r"^jac is a function transformed by JAX \(jax\.vmap, jax\.grad, "
                                                 r"jax\.jacfwd, \.\.\.\): write jac\(t, y, p, J\) as a plain "
                                                 r"Python function"):
        kernels.ODESystem(lv, n_states=2, n_params=4, jac=_jax_transformed(lambda t, y, p, J: None))


def test_a_torch_module_is_told_to_be_written_as_a_plain_rhs():
    """An ODEFunc(nn.Module) instance, the torchdiffeq habit, was told to drop a **kwargs it never wrote (that of
    Module.__call__)."""
    with pytest.raises(ConfigurationError) as info:
        kernels.ODESystem(ODEFunc(), n_states=4)
    text = str(info.value)
    assert text.startswith("rhs is a torch Module (ODEFunc, an nn.Module instance, called through ODEFunc.forward): "
                           "a torch Module cannot run in a CUDA kernel")
    assert "write a plain rhs(t, y, p, dydt)" in text and "with the weights flattened into params" in text
    assert "**kwargs" not in text


def test_a_callable_object_is_told_which_method_runs_and_to_write_a_function():
    """It passed the test arrays and was refused at the compile check as "does not provide its bytecode", naming
    neither the object nor its method."""
    with pytest.raises(ConfigurationError, match=r"^rhs is an instance of class Decay, which a call runs through its "
                                                 r"method Decay\.__call__; .* write rhs\(t, y, p, dydt\) as a plain "
                                                 r"function"):
        kernels.ODESystem(Decay(2.0), n_states=2)


def _torchdiffeq_f(t, y):
    return -y


def test_the_two_argument_form_gets_the_rewrite_recipe():
    """f(t, y) got only the count of its arguments, where the 3-argument f(t, y, args) gets the recipe."""
    with pytest.raises(ConfigurationError) as info:
        kernels.ODESystem(_torchdiffeq_f, n_states=2)
    text = str(info.value)
    assert text.startswith("rhs must take 4 arguments (t, y, p, dydt); got a function of 2 positional arguments; "
                           "rhs(t, y) is torchdiffeq's and SciPy's form: here rhs also takes p")
    assert ("here rhs writes them into a last argument dydt and returns nothing, def rhs(t, y, p, dydt): dydt[0] = "
            "...; dydt[1] = ...") in text
    with pytest.raises(ConfigurationError, match=r"def rhs\(t, y, p, u, dydt\): .*; u holds the drivers at time t "
                                                 r"\(README"):
        kernels.ODESystem(_torchdiffeq_f, n_states=2, n_drivers=1)


class Tensor:
    """A stand-in for a torch tensor that requires grad: NumPy's conversion raises torch's RuntimeError."""

    __module__ = "torch"
    requires_grad = True

    def __init__(self, values):
        self._values = np.asarray(values, dtype=np.float32)
        self.shape, self.ndim = self._values.shape, self._values.ndim

    def numpy(self):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")

    def __array__(self, *args, **kwargs):
        return self.numpy()

    def __len__(self):
        return len(self._values)


@pytest.mark.parametrize("where", ["params", "y0", "params rows"])
def test_a_tensor_that_requires_grad_is_told_there_are_no_gradients(where):
    """torch's raw RuntimeError "Can't call numpy() on Tensor that requires grad" came out of np.asarray (a
    torchdiffeq user's trial); a JAX tracer is refused saying why, and so is this now."""
    system = kernels.ODESystem(lv, n_states=2, n_params=4, name="lv")
    y0, params = [1.0, 1.0], [1.5, 1.0, 3.0, 1.0]
    if where == "params":
        params = Tensor(params)
    elif where == "y0":
        y0 = Tensor(np.ones((3, 2)))
    else:
        params = [Tensor(params), Tensor(params)]
    what = where.split()[0]
    verb = "holds" if where == "params rows" else "is"
    with pytest.raises(ConfigurationError, match=rf"^{what} {verb} a tensor that requires grad \(Tensor\): solve_ivp "
                                                 r"runs compiled CUDA kernels outside autograd, so there are no "
                                                 r"gradients or adjoint here .*\.detach\(\).* gradient-free "
                                                 r"optimiser or differences over a batch of perturbed params"):
        kernels.solve_ivp(system, (0.0, 1.0), y0, params, progress=False)


def test_a_dict_of_a_few_parameters_is_told_all_columns_are_needed():
    """A dict of 2 of 9 parameters was told np.column_stack of those 2, which the column count then refused (a laser
    physicist's trial)."""
    system = kernels.ODESystem(_nine, n_states=1, n_params=9, name="laser")
    params = {"I": np.array([1.0, 2.0]), "V": np.full(2, 1e-16)}
    with pytest.raises(ConfigurationError) as info:
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], params, progress=False)
    text = str(info.value)
    assert "got a dict of 2 keys ('I', 'V') where all 9 parameters are needed, one column each" in text
    assert "P = np.tile(base, (2, 1)), then P[:, j] = params['I'] for each swept parameter's column j" in text
    assert "np.column_stack([params['I'], params['V']])" not in text


def _nine(t, y, p, dydt):
    dydt[0] = -(p[0] + p[1] + p[2] + p[3] + p[4] + p[5] + p[6] + p[7] + p[8]) * y[0]
