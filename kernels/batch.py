"""The batch kernel: one trajectory per thread, every working array from the Plan.

:func:`build_kernel` composes step, loop and kernel for one
(system, tableau, controller, Plan, precision) and memoises the result on the
Plan's digest and the other keys, so a second solve with the same inputs does
not compile again and two different Plans coexist in one process.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings

import numpy as np
from numba import cuda

from .allocators import make_block_shared, make_canary_views, make_persistent_local, make_thread_region
from .backend import backend
from .controllers import ControllerSettings
from .errors import KernelError
from .erk import ERKStep
from .loop import IVPLoop, LoopBufferSettings
from .planning import ByDigest

__all__ = ["BatchKernel", "build_kernel", "CANARY"]

CANARY = 1234.5625  # exactly representable in float32 and float64


@dataclasses.dataclass(frozen=True)
class BatchKernel:
    """A compiled-on-first-launch batch kernel and what it allocates.

    Attributes
    ----------
    kernel : numba CUDA kernel
        ``kernel(y0, params, t_eval, times, max_steps, driver_times, driver_values,
        atol, rtol, out_y, out_obs, status, n_steps, n_rejected, canary_ok)``.
    plan : planner.Plan
    settings : LoopBufferSettings
    records : tuple of AllocationRecord
        Every allocator the step and the loop built (memory audit).
    canary_elems : int
        Extra shared elements past the block's regions checked for canaries.
    """

    kernel: object
    plan: object
    settings: LoopBufferSettings
    records: tuple
    canary_elems: int
    # (layouts of y0 and params) -> compiled kernel, for launches that skip Numba's dispatcher
    _direct: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @property
    def shared_bytes(self) -> int:
        """Dynamic shared memory of a launch: the Plan's, plus the canary tail."""
        return self.plan.shared_bytes_per_block + self.canary_elems * np.dtype(self.plan.precision).itemsize

    def launch(self, n_traj, args, stream=0):
        """Launch over ``n_traj`` trajectories with the Plan's geometry.

        The first launch for a given memory layout of ``y0`` and ``params`` goes
        through Numba's dispatcher (which compiles); later ones call the compiled
        kernel directly, which saves the dispatcher's typing of the 15 arguments
        (about a quarter of the host time of a launch, measured on an H100 host).
        The other arguments are built by :func:`kernels.solve_ivp` and always
        have the same types.
        """
        block = self.plan.block_size
        grid = (n_traj + block - 1) // block
        shared = self.shared_bytes
        if shared > _DEFAULT_DYNAMIC_SHARED_BYTES:
            _opt_in_dynamic_shared(self.kernel, args, shared)
        key = _layout_key(args) if stream == 0 and _core_default_stream() is not None else None
        direct = self._direct.get(key)
        if direct is not None:
            direct.launch(args, (grid, 1, 1), (block, 1, 1), _core_default_stream(), shared)
            return
        if grid >= _NUMBA_MIN_GRID:
            self.kernel[grid, block, stream, shared](*args)
        else:
            with warnings.catch_warnings():
                # A small batch is the caller's choice, not a problem to warn about on every call.
                warnings.filterwarnings("ignore", message=".*Grid size .* under-utilization")
                self.kernel[grid, block, stream, shared](*args)
        if key is not None:
            compiled = self.kernel.overloads.get(tuple(self.kernel.typeof_pyval(a) for a in args))
            if compiled is not None:
                self._direct[key] = compiled


def _layout_key(args):
    """What may change the compiled kernel's argument types between calls: the user's arrays' layouts."""
    return tuple((a.flags["C_CONTIGUOUS"], a.flags["F_CONTIGUOUS"]) for a in args[:2])


@functools.cache
def _core_default_stream():
    """The default stream as a compiled kernel's ``launch`` takes it, or None.

    None on the simulator and on numba-cuda versions without the conversion
    (there every launch goes through the dispatcher).
    """
    if backend() != "cuda":
        return None
    from numba.cuda.cudadrv import driver

    to_core = getattr(driver, "_to_core_stream", None)
    return to_core(0) if to_core is not None else None


# Numba warns of under-utilisation below this many blocks; the warning filter, about 10 us of
# host time a launch, is only set up then.
_NUMBA_MIN_GRID = 128

# A kernel launches with at most this much dynamic shared memory unless it opts in to more.
_DEFAULT_DYNAMIC_SHARED_BYTES = 48 * 1024


def _opt_in_dynamic_shared(kernel, args, nbytes):
    """Let the kernel compiled for ``args`` use ``nbytes`` of dynamic shared memory (GPU only).

    CUDA caps dynamic shared memory at 48 KiB per block unless the function's
    MAX_DYNAMIC_SHARED_SIZE_BYTES attribute is raised (up to 227 KiB on an
    H100); Numba does not do it, so the kernel is compiled for the arguments
    first and the attribute set on the result before the launch.
    """
    if backend() != "cuda":
        return
    from numba.cuda.cudadrv.driver import binding, driver

    compiled = kernel.compile(tuple(kernel.typeof_pyval(a) for a in args))
    function = compiled.library.get_cufunc()
    attribute = binding.CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
    try:
        driver.cuKernelSetAttribute(attribute, int(nbytes), function.handle, function.device.id)
    except Exception as exc:  # noqa: BLE001 - the driver's own error type varies by version
        raise KernelError(
            f"the device refused {nbytes} bytes of dynamic shared memory per block ({exc}); "
            "plan with a smaller block_size or plan='local'"
        ) from exc


def build_kernel(system, settings: LoopBufferSettings, controller: ControllerSettings, plan,
                 canary_elems: int = 0) -> BatchKernel:
    """Build (or fetch from the memo) the batch kernel for these inputs."""
    return _build(system, settings, controller, ByDigest(plan), int(canary_elems))


@functools.lru_cache(maxsize=64)
def _build(system, settings, controller, key, canary_elems):
    plan = key.value
    dtype = np.dtype(plan.precision).type
    layout = settings.buffer_settings().layout(plan)
    step = ERKStep(settings.step, system, layout.child(settings.step.component), dtype)
    loop = IVPLoop(settings, system, step.device_function, controller, settings.step.tableau.error_order,
                   layout, dtype, prime=step.prime_function)
    kernel = _build_kernel(loop.device_function, plan, dtype, canary_elems)
    return BatchKernel(kernel, plan, settings, tuple(step.records + loop.records), canary_elems)


def _build_kernel(loop, plan, dtype, canary_elems):
    block_shared = make_block_shared(dtype)
    thread_region = make_thread_region(plan.shared_stride)
    persistent_local = make_persistent_local(plan.persistent_local_elements, dtype)
    padding, tail = make_canary_views(plan.shared_stride, plan.shared_elements, plan.block_size,
                                      canary_elems)
    CHECK = canary_elems > 0
    canary = dtype(CANARY)

    @cuda.jit
    def kernel(y0, params, t_eval, times, max_steps, driver_times, driver_values, atol, rtol,
               out_y, out_obs, status, n_steps, n_rejected, canary_ok):
        traj = cuda.grid(1)
        thread = cuda.threadIdx.x
        block = block_shared()
        region = thread_region(block, thread)
        persistent = persistent_local()
        if CHECK:
            pad = padding(block, thread)
            for i in range(pad.shape[0]):
                pad[i] = canary
            if thread == 0:
                end = tail(block)
                for i in range(end.shape[0]):
                    end[i] = canary
            cuda.syncthreads()
        if traj < y0.shape[0]:
            code, accepted, rejected = loop(traj, y0, params, t_eval, times, max_steps, driver_times,
                                            driver_values, atol, rtol, out_y, out_obs, region, persistent)
            status[traj] = code
            n_steps[traj] = accepted
            n_rejected[traj] = rejected
        if CHECK:
            cuda.syncthreads()
            pad = padding(block, thread)
            for i in range(pad.shape[0]):
                if pad[i] != canary:
                    canary_ok[0] = 0
            if thread == 0:
                end = tail(block)
                for i in range(end.shape[0]):
                    if end[i] != canary:
                        canary_ok[0] = 0

    return kernel
