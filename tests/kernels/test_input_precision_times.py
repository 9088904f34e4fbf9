"""Times a float64 solve cannot use as given (kernels/input_precision.py, warn_rounded_times): float32 t_eval, t_span
and dt, as jnp.linspace and torch.linspace make them, that are roundings of the decimals written."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernels import PrecisionWarning
from kernels.input_precision import warn_rounded_times


def _pend(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * math.sin(y[0]) - p[1] * y[1]


PEND = kernels.ODESystem(_pend, n_states=2, n_params=2, name="pend_times")
Y0 = np.array([[2.0, 0.0], [2.5, 0.0]])
P = np.array([[9.81, 0.1], [9.81, 0.3]])
REMEDY = (r"Make the times float64 from the original numbers: np.linspace\(\.\.\.\) or np.asarray\(ts, np.float64\) "
          r"in NumPy \(converting the float32 array keeps its rounding\), jnp.linspace\(\.\.\., dtype=jnp.float64\) "
          r"after jax.config.update\(\"jax_enable_x64\", True\) in JAX, or torch.linspace\(\.\.\., "
          r"dtype=torch.float64\) in torch$")


class _TorchFloat32:
    """Stands in for ``torch.float32``: not a NumPy dtype, printed as torch prints it."""

    def __str__(self):
        return "torch.float32"


class _Tensor:
    """Stands in for a CPU torch tensor of float32 times: a ``dtype`` of torch's, read by NumPy through
    ``__array__``."""

    dtype = _TorchFloat32()

    def __init__(self, values):
        self._values = np.asarray(values, np.float32)

    def __array__(self, dtype=None, copy=None):
        return self._values if dtype is None else self._values.astype(dtype)

    def __len__(self):
        return len(self._values)


def _solve(t_span, t_eval, **options):
    return kernels.solve_ivp(PEND, t_span, Y0, P, t_eval=t_eval, rtol=1e-10, atol=1e-12, precision=np.float64,
                             progress=False, **options)


def test_float32_save_times_warn_in_a_float64_solve():
    """jnp.linspace(0, 0.7, 8) is float32: a float64 solve at rtol 1e-10 saved at 0.10000000149 and ended at
    0.699999988, 4299 tolerances from the solution at the times written, with no word (a torch user's trial)."""
    with pytest.warns(PrecisionWarning, match=r"^t_eval is float32 in a float64 solve, so the times were rounded to "
                                              r"float32 before the solve read them \(t_eval\[7\] = 0.7 is "
                                              r"0.699999988079071 in float32\): it saves at the rounded times \(and "
                                              r"res.t reports them\), up to 6e-8 relative from the times written.*"
                                              + REMEDY):
        result = _solve((0.0, 0.7), np.linspace(0.0, 0.7, 8, dtype=np.float32))
    assert result.t[-1] == np.float32(0.7)  # what it warned of


def test_float32_span_ends_and_dt_warn_too():
    """(jnp.float32(0.0), jnp.float32(0.7)) and a float32 dt move the span's end and the steps the same way."""
    with pytest.warns(PrecisionWarning, match=r"^t_span\[1\] and dt are float32 in a float64 solve.*\(t_span\[1\] = "
                                              r"0.7 is 0.699999988079071 in float32\): it integrates over the rounded "
                                              r"span and steps by the rounded dt, each up to 6e-8"):
        kernels.solve_ivp(PEND, (np.float32(0.0), np.float32(0.7)), Y0, P, method="rk4", controller="fixed",
                          dt=np.float32(0.1), precision=np.float64, progress=False)


def test_a_torch_tensor_of_float32_times_warns():
    """torch.linspace(0, 0.7, 8) is float32 too, with a dtype NumPy does not know (torch.float32)."""
    with pytest.warns(PrecisionWarning, match=r"^t_eval is float32 in a float64 solve.*\(t_eval\[7\] = 0.7 is "):
        _solve((0.0, 0.7), _Tensor(np.linspace(0.0, 0.7, 8)))


def test_times_float32_holds_exactly_and_float32_solves_do_not_warn():
    """0, 0.25, 0.5 ... lose nothing in float32, and a float32 solve reads its times in float32 anyway."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrecisionWarning)
        _solve((0.0, 1.0), np.linspace(0.0, 1.0, 5, dtype=np.float32))
        kernels.solve_ivp(PEND, (0.0, 0.7), Y0, P.astype(np.float32), t_eval=np.linspace(0.0, 0.7, 8, dtype=np.float32),
                          precision=np.float32, progress=False)


@pytest.mark.parametrize("t_span, t_eval, dt, said", [
    ((0.0, 0.7), [np.float32(0.35), np.float32(0.7)], None, r"^t_eval is float32.*\(t_eval\[1\] = 0.7 is "),
    (np.array([0.0, 0.7], np.float16), None, None, r"^t_span\[1\] is float16.*0.7 is 0.7001953125 in float16\).*up "
                                                   r"to 5e-4 relative"),
    ((np.float32(0.1), np.float32(0.7)), None, None, r"^t_span is float32.*\(t_span\[0\] = 0.1 is "),
    ((0.0, 0.7), None, np.float32(0.01), r"^dt is float32.*: it steps by the rounded dt, up to"),
])
def test_the_rounded_times_are_named_as_given(t_span, t_eval, dt, said):
    with pytest.warns(PrecisionWarning, match=said):
        warn_rounded_times(t_span, t_eval, dt, np.float64)


@pytest.mark.parametrize("t_span, t_eval", [("ab", None), (iter([0.0, 1.0]), [[0.1, 0.2], [0.3]]), ((0.0,), None),
                                            ((0.0, 1.0), np.zeros((2, 2), np.float32))])
def test_malformed_times_are_left_to_their_refusals(t_span, t_eval):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_rounded_times(t_span, t_eval, object(), np.float64)
