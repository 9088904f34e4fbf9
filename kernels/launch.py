"""One launch of a built batch kernel: inputs on the device, outputs allocated or reused."""

from __future__ import annotations

import contextlib

import numpy as np

from .backend import backend
from .errors import ConfigurationError, UserFunctionError, describe
from .loop_work import EVENT_COLUMN
from .progress import Progress

__all__ = ["launch_batch", "launch_constants"]


_OUTPUTS = ("y", "observables", "status", "n_steps", "n_rejected", "summary_array", "event_t", "event_y",
            "counts")


def output_shapes(settings, system, n_traj, n_save, dtype):
    """``{name: (shape, dtype)}`` of the launch's outputs; None for an output this solve has not."""
    summaries = settings.summaries
    windows = (n_save if summaries.per == "save" else 1) if summaries is not None else 0
    saved = settings.save_trajectory
    return {
        "y": ((n_traj, n_save, system.n_states), dtype) if saved else None,
        "observables": ((n_traj, n_save, system.n_observables), dtype) if saved and system.n_observables else None,
        "status": ((n_traj,), np.int32), "n_steps": ((n_traj,), np.int32), "n_rejected": ((n_traj,), np.int32),
        "summary_array": (((n_traj, windows, summaries.n_quantities * len(summaries.stats)), dtype)
                          if summaries is not None else None),
        "event_t": ((n_traj,), np.float64) if settings.events else None,
        "event_y": ((n_traj, system.n_states), dtype) if settings.events else None,
        "counts": ((n_traj, EVENT_COLUMN + len(settings.events)), np.int32),
    }


def _reuse(out, shapes):
    """The device arrays of an earlier result ``out`` when they have this call's shapes and types."""
    from .ivp_result import IVPResult

    if not isinstance(out, IVPResult):
        raise ConfigurationError(f"out must be an earlier kernels.IVPResult (of a solve on device arrays with the "
                                 f"same shapes), or None; got {describe(out)}")
    arrays = tuple(None if shapes[name] is None else getattr(out, name, None) for name in _OUTPUTS)
    for name, array in zip(_OUTPUTS, arrays):
        if shapes[name] is None:
            continue
        shape, kind = shapes[name]
        if not hasattr(array, "copy_to_host") or tuple(array.shape) != shape or array.dtype != np.dtype(kind):
            raise ConfigurationError(
                f"out.{name} must be a device array of shape {shape} and dtype {np.dtype(kind)} (an earlier "
                f"result of a solve on device arrays with the same shapes); got {type(array).__name__} of shape "
                f"{getattr(array, 'shape', None)} and dtype {getattr(array, 'dtype', None)}")
    return arrays


def launch_constants(built, t_eval, driver_times, driver_values, atol, rtol, to_device):
    """The kernel's constant arrays ``(t_eval, driver_times, driver_values, atol, rtol)`` on the device.

    From validated host arrays: the tolerances laid out as ``built``'s loop reads them
    (:func:`kernels.loop.tolerance_arguments`), each array passed through ``to_device`` (a caller
    that keeps device copies across solves passes its own).
    """
    from .loop import tolerance_arguments

    # atol 0 becomes the smallest normal number: a component that stays exactly 0 then has a scale above 0, so
    # its zero error counts 0 where 0 * (1 / 0) = NaN rejected every step (a user's trial: a sweep's rate of 0,
    # STEP_SIZE_UNDERFLOW); any nonzero error there still dwarfs every tolerance.  Here, not in the kernel's
    # error norm, where a floor cost 2 % of Tsit5's adaptive time on Lorenz (H200).
    dtype = np.dtype(built.plan.precision)
    atol = np.maximum(atol, np.finfo(dtype).tiny).astype(dtype)
    atol, rtol = tolerance_arguments(built.settings, atol, rtol, dtype)
    return tuple(to_device(a) for a in (t_eval, driver_times, driver_values, atol, rtol))


def launch_batch(built, system, n_traj, n_save, y0, params, constants, times, max_steps, out=None,
                 progress=False):
    """Launch ``built`` over ``n_traj`` trajectories; return ``(outputs, canary_intact)``.

    ``outputs`` are the device arrays ``(y, observables, status, n_steps,
    n_rejected, summary_array, event_t, event_y, counts)`` (None for those
    this solve has not: :func:`output_shapes`); ``constants`` the device arrays ``(t_eval,
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
    shapes = output_shapes(built.settings, system, n_traj, n_save, dtype)
    if out is not None:
        outputs = _reuse(out, shapes)
    else:
        outputs = tuple(None if shapes[name] is None else cuda.device_array(shapes[name][0], dtype=shapes[name][1])
                        for name in _OUTPUTS)
    # Outputs a solve has not (no observables, no trajectory, no summaries or events) are never
    # written: small stand-ins, never copied back.
    stand_ins = ((dtype, (1, 1, 1)), (dtype, (1, 1, 1)), None, None, None, (dtype, (1, 1, 1)),
                 (np.float64, (1,)), (dtype, (1, 1)), None)
    kernel_outputs = tuple(a if a is not None else _stand_in(built, *stand_ins[i]) for i, a in enumerate(outputs))
    out_y, obs_arg, status, n_steps, n_rejected, summary, event_t, event_y, counts = kernel_outputs
    canary_ok = cuda.to_device(np.ones(1, dtype=np.int32)) if built.canary_elems else _stand_in(built, np.int32, (1,))
    t_eval, driver_times, driver_values, atol, rtol = constants
    if backend() == "simulator":
        # The simulator hands the kernel these values as they are: a Python float time makes a float32 rhs's
        # `p[0] * t` float32 under NumPy 2's promotion, where Numba types it float64 on the GPU (a user's
        # trial: cos(3 t) from t0 = 1e4, float32 tsit5, 16 tolerances off on the simulator, 0.06 on the H200).
        times = tuple(np.float64(v) for v in times)
    args = (y0, params, t_eval, times, max_steps, driver_times, driver_values, atol, rtol, out_y, obs_arg,
            status, n_steps, n_rejected, canary_ok, summary, event_t, event_y, counts)
    if progress is None:
        progress = None if backend() == "simulator" else False
    if backend() == "simulator":
        # (NumPy's overflow warnings of the simulator's threads are silenced in them, by the kernel itself:
        # kernels.batch._quiet_on_simulator; a warnings filter here made "default" show warnings at every solve)
        with _out_spoilt_by_a_fault(out, outputs):
            _launch_ranges(built, n_traj, args, progress)
    else:
        _launch_ranges(built, n_traj, args, progress)
    intact = bool(canary_ok.copy_to_host()[0]) if built.canary_elems else None
    return outputs, intact


@contextlib.contextmanager
def _out_spoilt_by_a_fault(out, outputs):
    """A user function that raised (the simulator's UserFunctionError) stopped the launch part-way: where the
    solve wrote into ``out``, its saved states become NaN (they mixed this call's trajectories with the last
    call's, with the last call's status) and the error says so."""
    try:
        yield
    except UserFunctionError as exc:
        if out is None:
            raise
        for array in outputs[:2]:  # y, observables
            if array is not None:
                host = array.copy_to_host()
                host[...] = np.nan
                array.copy_to_device(host)
        raise UserFunctionError(f"{exc} The result passed as out= was being written when it stopped: its saved "
                                "states are now NaN and its other arrays mix this call with the last; solve again "
                                "before reading it.") from None


PROGRESS_CHUNKS = 20
# y0, params, out_y, out_obs, status, n_steps, n_rejected, out_summary, event_t, event_y, counts
_PER_TRAJECTORY = (0, 1, 9, 10, 11, 12, 13, 15, 16, 17, 18)


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
    for start in range(0, n_traj, step):
        stop = min(start + step, n_traj)
        part = list(args)
        for i in _PER_TRAJECTORY:
            if args[i].shape[0] == n_traj:  # not a stand-in
                part[i] = args[i][start:stop]
        built.launch(stop - start, tuple(part), first=start)
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
