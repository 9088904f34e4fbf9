"""Argument validation for the host API: one clear message per argument.

Each validator names the argument, what was expected and what was given
(SciPy's ``validate_tol`` style) and raises :class:`ConfigurationError`.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from .errors import ConfigurationError, describe

__all__ = ["as_precision", "check_span", "check_batch", "check_tolerance", "check_t_eval",
           "check_positive", "check_int", "check_step_bounds", "is_device_array", "as_device_array"]

_PRECISIONS = {np.dtype(np.float32): np.float32, np.dtype(np.float64): np.float64}


def as_precision(precision):
    """Return np.float32 or np.float64 for ``precision`` (a dtype-like)."""
    try:
        dtype = np.dtype(precision)
    except TypeError:
        dtype = None
    if dtype not in _PRECISIONS:
        raise ConfigurationError(f"precision must be np.float32 or np.float64; got {describe(precision)}")
    return _PRECISIONS[dtype]


def _finite_float(value, what):
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{what} must be a real number; got {describe(value)}") from None
    if not math.isfinite(out):
        raise ConfigurationError(f"{what} must be finite; got {out!r}")
    return out


def check_span(t_span):
    """``t_span`` as ``(t0, t_end)`` floats with ``t_end > t0``."""
    try:
        t0, t_end = t_span
    except (TypeError, ValueError):
        raise ConfigurationError(f"t_span must be a pair (t0, t_end); got {describe(t_span)}") from None
    t0, t_end = _finite_float(t0, "t_span[0]"), _finite_float(t_end, "t_span[1]")
    if not t_end > t0:
        raise ConfigurationError(
            f"t_span must satisfy t_end > t0 (forward integration only); got ({t0!r}, {t_end!r})")
    return t0, t_end


def check_positive(value, what, allow_none=False):
    """A finite float > 0 (or None when allowed)."""
    if value is None and allow_none:
        return None
    out = _finite_float(value, what)
    if not out > 0:
        raise ConfigurationError(f"{what} must be > 0; got {out!r}")
    return out


def check_step_bounds(dt_min, dt_max):
    """``0 <= dt_min < dt_max`` (``dt_max`` may be inf); return both as floats."""
    try:
        low, high = float(dt_min), float(dt_max)
    except (TypeError, ValueError):
        raise ConfigurationError(
            f"dt_min and dt_max must be real numbers; got {describe(dt_min)}, {describe(dt_max)}") from None
    if not (0.0 <= low < high) or math.isinf(low) or math.isnan(high):
        raise ConfigurationError(f"dt_min and dt_max must satisfy 0 <= dt_min < dt_max; got {low!r}, {high!r}")
    return low, high


def check_int(value, what, minimum):
    """An integer >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigurationError(f"{what} must be an integer >= {minimum}; got {describe(value)}")
    return int(value)


def is_device_array(value) -> bool:
    """True for Numba device arrays and objects with ``__cuda_array_interface__``."""
    if isinstance(value, np.ndarray):
        return False
    devicearray = sys.modules.get("numba.cuda.cudadrv.devicearray")  # the simulator's stand-in there
    if devicearray is None:
        from numba.cuda.cudadrv import devicearray
    return devicearray.is_cuda_ndarray(value) or hasattr(value, "__cuda_array_interface__")


def as_device_array(value):
    """A Numba view of a device array (no copy)."""
    from numba import cuda
    from numba.cuda.cudadrv import devicearray

    return value if devicearray.is_cuda_ndarray(value) else cuda.as_cuda_array(value)


def check_batch(value, what, width, n_traj, dtype, name_width):
    """Validate a per-trajectory 2-D input; return ``(array, n_traj)``.

    Host arrays of shape ``(width,)`` are broadcast to ``(n_traj or 1, width)``
    and converted to ``dtype``; device arrays must already be
    ``(n_traj, width)`` of ``dtype`` (they are used in place, not copied).
    """
    if is_device_array(value):
        arr = as_device_array(value)
        if arr.ndim != 2 or arr.shape[1] != width or (n_traj is not None and arr.shape[0] != n_traj):
            rows = "N" if n_traj is None else n_traj
            raise ConfigurationError(
                f"{what} must have shape ({rows}, {width}) ({name_width}); got device array of shape {arr.shape}")
        if arr.dtype != np.dtype(dtype):
            raise ConfigurationError(
                f"{what} on the device must have dtype {np.dtype(dtype)} (the precision); got {arr.dtype}")
        return arr, arr.shape[0]
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{what} must be an array of real numbers; got {describe(value)}") from None
    if arr.dtype.kind not in "iuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{what} must be an array of real numbers; got {describe(value)}") from None
    if arr.ndim == 1 and arr.shape[0] == width:
        arr = np.broadcast_to(arr, (n_traj or 1, width))
    rows = "N" if n_traj is None else n_traj
    if arr.ndim != 2 or arr.shape[1] != width or (n_traj is not None and arr.shape[0] != n_traj):
        raise ConfigurationError(
            f"{what} must have shape ({rows}, {width}) or ({width},) ({name_width}); got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ConfigurationError(f"{what} must hold at least one trajectory; got shape {arr.shape}")
    # One conversion (none when the caller already passes contiguous arrays of the precision), then the
    # finiteness check in the precision itself, so values that overflow it are caught too.
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(arr, dtype=dtype)
    if not np.isfinite(out).all():
        bad = np.argwhere(~np.isfinite(out))[0]
        raise ConfigurationError(f"{what} must be finite in {np.dtype(dtype)}; found {arr[tuple(bad)]!r} "
                                 f"at index {tuple(bad)}")
    return out, arr.shape[0]


def check_tolerance(value, what, n_states, dtype):
    """``rtol``/``atol``: a scalar or ``(n_states,)`` of finite values >= 0."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{what} must be a number or an array of {n_states}; got {describe(value)}") from None
    if arr.ndim == 0:
        arr = np.full(n_states, float(arr))
    if arr.shape != (n_states,):
        raise ConfigurationError(f"{what} must be a scalar or have shape ({n_states},); got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ConfigurationError(f"{what} must be finite and >= 0; got {arr.tolist()}")
    return arr.astype(dtype)


def check_t_eval(t_eval, t0, t_end):
    """Save times: strictly increasing, inside ``[t0, t_end]``; ``None`` means ``[t_end]``."""
    if t_eval is None:
        return np.array([t_end])
    try:
        arr = np.asarray(t_eval, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigurationError(f"t_eval must be a 1-D array of times; got {describe(t_eval)}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ConfigurationError(f"t_eval must be a non-empty 1-D array; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ConfigurationError("t_eval must be finite; found inf or nan")
    if np.any(np.diff(arr) <= 0):
        raise ConfigurationError("t_eval must be strictly increasing")
    if arr[0] < t0 or arr[-1] > t_end:
        raise ConfigurationError(
            f"t_eval must lie within t_span [{t0!r}, {t_end!r}]; got [{arr[0]!r}, {arr[-1]!r}]")
    return arr
