"""One launch of a built batch kernel: inputs on the device, outputs allocated or reused."""

from __future__ import annotations

import warnings

import numpy as np

from .backend import backend
from .errors import ConfigurationError
from .progress import Progress

__all__ = ["launch_batch"]


def _reuse(out, n_traj, n_save, system, dtype):
    """The device arrays of an earlier result ``out`` when they have this call's shapes and types."""
    arrays = (out.y, out.observables if system.n_observables else None, out.status, out.n_steps, out.n_rejected)
    expected = ((n_traj, n_save, system.n_states), (n_traj, n_save, system.n_observables), (n_traj,), (n_traj,),
                (n_traj,))
    types = (dtype, dtype, np.int32, np.int32, np.int32)
    for name, array, shape, kind in zip(("y", "observables", "status", "n_steps", "n_rejected"), arrays,
                                        expected, types):
        if array is None:
            continue
        if not hasattr(array, "copy_to_host") or tuple(array.shape) != shape or array.dtype != np.dtype(kind):
            raise ConfigurationError(
                f"out.{name} must be a device array of shape {shape} and dtype {np.dtype(kind)} (an earlier "
                f"result of a solve on device arrays with the same shapes); got {type(array).__name__} of shape "
                f"{getattr(array, 'shape', None)}")
    return arrays


def launch_batch(built, system, n_traj, n_save, y0, params, constants, times, max_steps, out=None,
                 progress=False):
    """Launch ``built`` over ``n_traj`` trajectories; return ``(outputs, canary_intact)``.

    ``outputs`` are the device arrays ``(y, observables or None, status,
    n_steps, n_rejected)``; ``constants`` the device arrays ``(t_eval,
    driver_times, driver_values, atol, rtol)``.  Host ``y0``/``params`` are
    copied to the device; device ones are used in place.  ``progress``:
    False (one launch), True (launches over :data:`PROGRESS_CHUNKS` ranges
    of trajectories with a progress line), or None (True on the simulator,
    where runs are slow, and shown only once the run takes a few seconds).
    """
    from numba import cuda

    from .validation import is_device_array

    dtype = np.dtype(built.plan.precision)
    y0, params = (a if is_device_array(a) else cuda.to_device(a) for a in (y0, params))
    if out is not None:
        out_y, out_obs, status, n_steps, n_rejected = _reuse(out, n_traj, n_save, system, dtype)
    else:
        out_y = cuda.device_array((n_traj, n_save, system.n_states), dtype=dtype)
        out_obs = None
        status, n_steps, n_rejected = (cuda.device_array(n_traj, dtype=np.int32) for _ in range(3))
        if system.n_observables:
            out_obs = cuda.device_array((n_traj, n_save, system.n_observables), dtype=dtype)
    # Without observables the kernel never writes out_obs: a one-element stand-in, never copied back.
    obs_arg = out_obs if out_obs is not None else _stand_in(built, dtype, (1, 1, 1))
    canary_ok = cuda.to_device(np.ones(1, dtype=np.int32)) if built.canary_elems else _stand_in(built, np.int32, (1,))
    t_eval, driver_times, driver_values, atol, rtol = constants
    args = (y0, params, t_eval, times, max_steps, driver_times, driver_values, atol, rtol, out_y, obs_arg,
            status, n_steps, n_rejected, canary_ok)
    if progress is None:
        progress = None if backend() == "simulator" else False
    if backend() == "simulator":
        # The simulator runs the kernel as NumPy scalar code, whose overflow warnings are the
        # trajectory's business (its status says so), not the user's. The filter is process-wide,
        # so it reaches the simulator's threads.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            _launch_ranges(built, n_traj, args, progress)
    else:
        _launch_ranges(built, n_traj, args, progress)
    intact = bool(canary_ok.copy_to_host()[0]) if built.canary_elems else None
    return (out_y, out_obs, status, n_steps, n_rejected), intact


PROGRESS_CHUNKS = 20
_PER_TRAJECTORY = (0, 1, 9, 10, 11, 12, 13)  # y0, params, out_y, out_obs, status, n_steps, n_rejected


def _launch_ranges(built, n_traj, args, progress):
    """One launch, or (with progress) one per range of whole blocks, reporting after each."""
    if progress is False or n_traj <= built.plan.block_size:
        built.launch(n_traj, args)
        return
    block = built.plan.block_size
    blocks = -(-n_traj // block)
    step = max(1, -(-blocks // PROGRESS_CHUNKS)) * block
    from numba import cuda

    bar = Progress(n_traj, enabled=progress)
    has_obs = args[10].shape[0] == n_traj
    for start in range(0, n_traj, step):
        stop = min(start + step, n_traj)
        part = list(args)
        for i in _PER_TRAJECTORY:
            if i != 10 or has_obs:
                part[i] = args[i][start:stop]
        built.launch(stop - start, tuple(part))
        if bar.enabled is not False:
            cuda.synchronize()
        bar.update(stop)
    bar.close()


def _stand_in(built, dtype, shape):
    """A small device array kept with the built kernel for arguments a launch does not use."""
    key = ("stand_in", np.dtype(dtype).str, shape)
    found = built._scratch.get(key)
    if found is None:
        from numba import cuda

        found = built._scratch[key] = cuda.device_array(shape, dtype=dtype)
    return found
