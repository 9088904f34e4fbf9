"""Inputs a float64 solve cannot use as given (kernels/input_precision.py, kernels/validation.py): float32 values that
are roundings of shorter decimals (JAX's default dtype), and JAX tracers (a solve inside jax.jit or jax.grad)."""

import math
import time
import warnings

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError, PrecisionWarning
from kernels.input_precision import SAMPLED, rounded_decimal


def _pend(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * math.sin(y[0]) - p[1] * y[1]


PEND = kernels.ODESystem(_pend, n_states=2, n_params=2, name="pend_inputs")
TRACER_SAID = (r"(is|holds) a JAX tracer \(JVPTracer\): solve_ivp runs compiled CUDA kernels outside JAX's tracing, "
               r"so it cannot be jit-compiled or differentiated by JAX \(no adjoint or sensitivities here\).*call it "
               r"outside jax.jit/grad/vmap with concrete arrays")


def _solve(y0, params, **options):
    return kernels.solve_ivp(PEND, (0.0, 0.5), y0, params, precision=np.float64, rtol=1e-8, atol=1e-10,
                             progress=False, **options)


def test_float32_params_rounded_from_decimals_warn_in_a_float64_solve():
    """jnp.array([9.81, 0.3]) is float32: 9.81 became 9.8100004196167 and a float64 solve at rtol 1e-8 ended 54
    tolerances off with success and no word (a diffrax user's trial)."""
    with pytest.warns(PrecisionWarning, match=r"params is float32 in a float64 solve, and its values are roundings "
                                              r"\(params\[0\] is 9.81 rounded to 9.8100004196167 in float32\): the "
                                              r"inputs carry float32 rounding \(about 6e-8 relative\) that the float64 "
                                              r"solve cannot undo.*np.asarray\(x, np.float64\) of the original "
                                              r"numbers.*jax_enable_x64"):
        _solve([1.0, 0.0], np.array([9.81, 0.3], np.float32))


@pytest.mark.parametrize("constant", [1.380649e-23, 2.99792458e8, 6.02214076e23, 1.602176634e-19])
def test_exact_constants_of_more_than_six_digits_stored_in_float32_warn(constant):
    """Boltzmann's constant and its kin have seven to ten significant digits: a first version of the float32-draw
    rule (values of more than six digits taken for float32 values by nature) let their float32 roundings, 2e-8 to
    4e-8 off, into a float64 solve unwarned (a regression hunt)."""
    assert rounded_decimal(np.array([constant], np.float32)) is not None
    with pytest.warns(PrecisionWarning, match=r"params is float32 in a float64 solve"):  # a short span: g = 6e23
        kernels.solve_ivp(PEND, (0.0, 1e-12), [1.0, 0.0], np.array([constant, 0.3], np.float32),
                          precision=np.float64, rtol=1e-8, atol=1e-10, progress=False)


def test_the_rounding_warning_says_how_to_pass_float32_values_by_nature():
    """A float32 random draw cannot be told from the rounding of a written number, so it is warned about too (a
    physicist's trial was told to convert "the original numbers"): the warning says how to pass such values."""
    with pytest.warns(PrecisionWarning, match=r"dtype=jnp.float64\); if they are float32 values by nature \(random "
                                              r"draws\), pass them as float64 \(params.astype\(np.float64\)\) to "
                                              r"silence this$"):
        _solve([1.0, 0.0], np.array([9.81, 0.3], np.float32))


def test_float32_y0_and_float16_rows_warn_too():
    with pytest.warns(PrecisionWarning, match=r"y0 is float32 .*trajectory 1's y0\[0\] is 0.1 rounded"):
        _solve(np.array([[1.0, 0.0], [0.1, 0.0]], np.float32), [9.81, 0.3])
    with pytest.warns(PrecisionWarning, match=r"params is float16 .*about 5e-4 relative"):
        _solve([1.0, 0.0], np.array([9.81, 0.3], np.float16))


def _lag(t, y, p, u, dydt):
    dydt[0] = -p[0] * y[0] + u[0]


def test_float32_driver_values_warn_as_params_do():
    """A control engineer's trial: a flight log stored in float32 (motor commands to 3 decimals) ended 2.6
    tolerances off in a float64 solve with no word, where float32 params warned."""
    lag = kernels.ODESystem(_lag, n_states=1, n_params=1, n_drivers=1, name="lag_inputs")
    times = np.arange(0.0, 1.0 + 1e-9, 0.01)
    values = np.round(0.8 + 0.1 * np.sin(7 * times), 3).astype(np.float32)[:, None]
    options = dict(precision=np.float64, rtol=1e-9, atol=1e-12, progress=False)
    with pytest.warns(PrecisionWarning, match=r"drivers values is float32 in a float64 solve, and its values are "
                                              r"roundings \(drivers values\[0, 0\] is 0.8 rounded"):
        kernels.solve_ivp(lag, (0.0, 1.0), [0.0], [2.3], drivers=(times, values), **options)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrecisionWarning)  # float64 samples, and float32 ones in a float32 solve
        kernels.solve_ivp(lag, (0.0, 1.0), [0.0], [2.3], drivers=(times, values.astype(np.float64)), **options)
        kernels.solve_ivp(lag, (0.0, 1.0), [0.0], [2.5], drivers=(times, values),
                          **dict(options, precision=np.float32, rtol=1e-5, atol=1e-6))


@pytest.mark.parametrize("given", [
    dict(y0=np.array([1.0, 0.0], np.float32), params=np.array([0.5, 3.0], np.float32)),  # float32 holds them
    dict(y0=[1.0, 0.0], params=np.array([9.81, 0.3])),                                    # float64 as given
    dict(y0=np.array([1, 0], np.int32), params=[9.81, 0.3]),                              # integers
])
def test_exact_float32_values_and_float64_inputs_do_not_warn(given):
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrecisionWarning)
        assert _solve(**given).success


def test_a_float32_solve_of_float32_inputs_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrecisionWarning)
        kernels.solve_ivp(PEND, (0.0, 0.5), [1.0, 0.0], np.array([9.81, 0.3], np.float32), progress=False)


def test_device_inputs_are_not_read_for_the_check():
    from numba import cuda

    y0 = cuda.to_device(np.array([[1.0, 0.0]]))
    params = cuda.to_device(np.array([[9.81, 0.3]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrecisionWarning)
        assert _solve(y0, params).success


def test_a_large_float32_batch_is_sampled_not_read_whole():
    """Each value read is formatted as a decimal: a batch of a million rows reads SAMPLED of them."""
    exact = np.full((1_000_000, 2), 0.5, np.float32)
    exact[-1, 1] = 0.1  # the last value is always among those read
    start = time.perf_counter()
    assert rounded_decimal(exact) == ((999_999, 1), "0.1", float(np.float32(0.1)))
    assert time.perf_counter() - start < 0.5
    assert rounded_decimal(np.full(10 * SAMPLED, 0.25, np.float32)) is None


def test_float32_rows_with_client_warn_once_and_a_dask_array_of_them_too(client):
    """Host rows are checked on the client (once); a dask array's chunks are checked on the workers
    (kernels/distributed_inputs.py), whose warnings reach the client once, as one kind."""
    da = pytest.importorskip("dask.array")
    rows = np.tile(np.array([9.81, 0.3], np.float32), (4, 1))
    integrator = kernels.Integrator(PEND, "tsit5", precision=np.float64)
    with pytest.warns(PrecisionWarning, match="params is float32") as caught:
        eager = integrator.solve((0.0, 0.5), [1.0, 0.0], rows, rtol=1e-8, atol=1e-10, client=client)
    assert sum(issubclass(w.category, PrecisionWarning) for w in caught) == 1
    with pytest.warns(PrecisionWarning, match="params is float32") as caught:
        lazy = integrator.solve((0.0, 0.5), [1.0, 0.0], da.from_array(rows, chunks=2), rtol=1e-8, atol=1e-10,
                                client=client)
    assert sum(issubclass(w.category, PrecisionWarning) for w in caught) == 1
    assert eager.success and lazy.success and lazy.y.shape == (4, 1, 2)
    np.testing.assert_array_equal(lazy.y, eager.y)


class JVPTracer:
    """A stand-in for JAX's tracer (its type's module and name are what the check reads): NumPy cannot read it."""

    __module__ = "jax._src.interpreters.ad"
    dtype = np.dtype(np.float32)

    def __init__(self, shape=(2,)):
        self.shape, self.ndim = shape, len(shape)

    def __array__(self, *args, **kwargs):
        raise TypeError("The numpy.ndarray conversion method __array__() was called on traced array")

    def __float__(self):
        raise TypeError("ConcretizationTypeError")

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        return iter([JVPTracer(self.shape[1:]) for _ in range(len(self))])


@pytest.mark.parametrize("where", ["params", "y0", "params item", "t_span end", "t_eval", "rtol", "dt"])
def test_a_jax_tracer_is_told_that_the_solve_cannot_be_traced(where):
    """jax.grad through solve_ivp was refused as "params must be an array of real numbers; got array of shape (1,)
    and dtype float32" (a diffrax user's trial)."""
    tracer = JVPTracer()
    args = {"y0": [1.0, 0.0], "params": [9.81, 0.3], "t_span": (0.0, 0.5)}
    options = {}
    if where == "params item":
        args["params"] = [tracer, 0.3]
    elif where == "t_span end":
        args["t_span"] = (0.0, JVPTracer(()))
    elif where in ("params", "y0"):
        args[where] = tracer
    elif where == "dt":
        options = dict(dt=tracer, controller="fixed")
    else:
        options = {where: tracer}
    with pytest.raises(ConfigurationError, match=TRACER_SAID):
        kernels.solve_ivp(PEND, args["t_span"], args["y0"], args["params"], progress=False, **options)


@pytest.mark.parametrize("bound", ["dt_min", "dt_max"])
def test_a_jax_tracer_step_bound_is_named(bound):
    """dt_min or dt_max as a tracer was refused as "an argument is a JAX tracer" (a diffrax user's trial)."""
    scalar = JVPTracer(())
    with pytest.raises(ConfigurationError, match=rf"^{bound} is a JAX tracer"):
        kernels.solve_ivp(PEND, (0.0, 0.5), [1.0, 0.0], [9.81, 0.3], progress=False, **{bound: scalar})


def test_jax_grad_through_solve_ivp_is_refused_with_why():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    loss = lambda p: kernels.solve_ivp(PEND, (0.0, 0.5), [1.0, 0.0], p, progress=False).y[0, -1, 0]  # noqa: E731
    assert np.isfinite(loss(jnp.array([9.81, 0.3])))  # concrete arrays run
    for transform in (jax.grad, jax.jit):
        with pytest.raises(ConfigurationError, match=r"params is a JAX tracer .*cannot be jit-compiled or "
                                                     r"differentiated by JAX"):
            transform(loss)(jnp.array([9.81, 0.3]))
