"""The batch kernel: one trajectory per thread, every working array from the Plan.

:func:`build_batch_kernel` composes step, loop and kernel for one
(system, method, controller, Plan, precision).  It does not cache: the
:class:`kernels.Integrator` that owns a build keeps it, keyed on the Plan's
layout, so two plans build side by side and a worker process holds its own.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from numba import cuda

from .allocators import make_block_shared, make_canary_views, make_persistent_local, make_thread_region
from .backend import backend, simulator_serialized
from .compile_cache import using
from .errors import KernelError
from .loop import IVPLoop, LoopBufferSettings
from .memory_audit import MemoryAudit, audit
from .resources import Resources, kernel_resources
from .steps import FAMILIES
from .user_faults import faults_named

__all__ = ["BatchKernel", "build_batch_kernel", "CANARY"]

CANARY = 1234.5625  # exactly representable in float32 and float64


@dataclasses.dataclass(frozen=True)
class BatchKernel:
    """A compiled-on-first-launch batch kernel and what it allocates.

    Attributes
    ----------
    kernel : numba CUDA kernel
        ``kernel(y0, params, t_eval, times, max_steps, driver_times, driver_values,
        atol, rtol, out_y, out_obs, status, n_steps, n_rejected, canary_ok,
        out_summary, event_t, event_y, counts)``; ``counts`` (N, 4 + n_events)
        int32 holds ``n_rhs``, the solver work and the event counts (:mod:`kernels.loop_work`).
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
    compute_capability: tuple = (9, 0)
    max_registers: int | None = None
    # where NVVM's PTX, the cubin and ptxas's counts are kept between processes (kernels.compile_cache), or None
    compile_cache: object = dataclasses.field(default=None, compare=False)
    # (layouts of y0 and params) -> compiled kernel, for launches that skip Numba's dispatcher
    _direct: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
    _resources: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
    # small device arrays for arguments a launch does not use (kernels.launch)
    _scratch: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
    # the same arguments launched again: their marshalled form (see _launch_prepared)
    _prepared: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def resources(self) -> Resources:
        """Registers and local (stack, spill) bytes per thread and shared bytes per block, as compiled.

        On a GPU the compiled kernel's own counts; without a driver (the
        CUDA target forced with ``NUMBA_ENABLE_CUDASIM=0``) the kernel is
        compiled to PTX for the planned device's compute capability and
        ``ptxas -v`` counts them.  Not available on the simulator
        (:class:`ConfigurationError` says how to get them there).
        """
        key = ("resources", self.shared_bytes)  # kernels are shared by plans of other block sizes
        if key not in self._resources:
            with using(self.compile_cache):
                self._resources[key] = kernel_resources(self.kernel, self.argument_types(), self.shared_bytes,
                                                        self.compute_capability, self.max_registers)
        return self._resources[key]

    def audit(self) -> MemoryAudit:
        """Check that every declared buffer has one allocator, placed and sized as the Plan says (the summary
        :class:`kernels.MemoryAudit`; :class:`kernels.MemoryAuditError` names a buffer that does not add up)."""
        return audit(self)

    def argument_types(self):
        """The Numba types of the kernel's arguments as :func:`kernels.Integrator.solve` passes them."""
        from numba import from_dtype, types

        real = from_dtype(np.dtype(self.plan.precision))
        f64 = types.float64
        i32 = types.Array(types.int32, 1, "C")
        return (types.Array(real, 2, "C"), types.Array(real, 2, "C"), types.Array(f64, 1, "C"),
                types.UniTuple(f64, 5), types.int64, types.Array(f64, 1, "C"), types.Array(real, 2, "C"),
                types.Array(real, 1, "C"), types.Array(real, 1, "C"), types.Array(real, 3, "C"),
                types.Array(real, 3, "C"), i32, i32, i32, i32, types.Array(real, 3, "C"), types.Array(f64, 1, "C"),
                types.Array(real, 2, "C"), types.Array(types.int32, 2, "C"))

    @property
    def shared_bytes(self) -> int:
        """Dynamic shared memory of a launch: the Plan's, plus the canary tail."""
        return self.plan.shared_bytes_per_block + self.canary_elems * np.dtype(self.plan.precision).itemsize

    def launch(self, n_traj, args, stream=0, first=0):
        """Launch over ``n_traj`` trajectories with the Plan's geometry (``first``: the index of the first
        trajectory in the whole batch, for the simulator's error naming the trajectory whose function raised).

        The first launch for a given memory layout of ``y0`` and ``params`` goes
        through Numba's dispatcher (which compiles); later ones call the compiled
        kernel directly, which saves the dispatcher's typing of the 19 arguments
        (about a quarter of the host time of a launch, measured on an H100 host when it had 15).
        The other arguments are built by :func:`kernels.solve_ivp` and always
        have the same types.
        """
        block = self.plan.block_size
        grid = (n_traj + block - 1) // block
        shared = self.shared_bytes
        key = _layout_key(args) if stream == 0 and _core_default_stream() is not None else None
        direct = self._direct.get(key)
        if direct is not None:
            if shared > _DEFAULT_DYNAMIC_SHARED_BYTES:
                _opt_in_dynamic_shared(self.kernel, args, shared)
            if not _launch_prepared(self._prepared, direct, args, grid, block, shared):
                direct.launch(args, (grid, 1, 1), (block, 1, 1), _core_default_stream(), shared)
            return
        with using(self.compile_cache):  # the first launch for these arguments compiles
            self._launch_dispatched(grid, block, stream, shared, args, key, first)

    def _launch_dispatched(self, grid, block, stream, shared, args, key, first=0):
        if shared > _DEFAULT_DYNAMIC_SHARED_BYTES:
            _opt_in_dynamic_shared(self.kernel, args, shared)
        if backend() != "cuda":
            with simulator_serialized(), faults_named(block, first):
                self.kernel[grid, block, stream, shared](*args)
        elif grid >= _NUMBA_MIN_GRID:
            self.kernel[grid, block, stream, shared](*args)
        else:  # a small batch is the caller's choice, not a problem to warn about
            _configured_quietly(self.kernel, grid, block, stream, shared)(*args)
        if key is not None:
            compiled = self.kernel.overloads.get(tuple(self.kernel.typeof_pyval(a) for a in args))
            if compiled is not None:
                self._direct[key] = compiled


_PREPARED_KEPT = 8


def _launch_prepared(cache, compiled, args, grid, block, shared):
    """Launch ``compiled`` with arguments marshalled once per set of argument objects; False if unavailable.

    Numba marshals the 19 arguments into driver values on every launch (the
    largest part of a launch's host time).  A repeated solve passes the same
    device arrays and scalars, so their marshalled form is kept (with the
    arguments themselves, so the arrays stay alive) and handed to cuda.core's
    ``launch`` directly.  Uses numba-cuda 0.30's ``_prepare_args`` and
    ``cuda.core.launch``; with other versions it returns False and the caller
    takes the ordinary path.
    """
    key = tuple(a if isinstance(a, (tuple, int, float)) else id(a) for a in args) + (grid, block, shared)
    found = cache.get(key)
    if found is None:
        try:
            from cuda.core import LaunchConfig, launch

            kernelargs, writeback = [], []
            for kind, value in zip(compiled.argument_types, args):
                compiled._prepare_args(kind, value, _core_default_stream(), writeback, kernelargs)
            if writeback:  # host arrays converted on the fly: not for reuse
                return False
            try:
                config = LaunchConfig(grid=(grid, 1, 1), block=(block, 1, 1), shmem_size=shared, is_cooperative=False)
            except TypeError:  # cuda.core before 1.0
                config = LaunchConfig(grid=(grid, 1, 1), block=(block, 1, 1), shmem_size=shared,
                                      cooperative_launch=False)
            found = (args, config, compiled._codelibrary.get_cufunc().kernel, tuple(kernelargs), launch)
        except (ImportError, AttributeError):
            return False
        if len(cache) >= _PREPARED_KEPT:
            cache.pop(next(iter(cache)))
        cache[key] = found
    _, config, kernel, kernelargs, launch = found
    launch(_core_default_stream(), config, kernel, *kernelargs)
    return True


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


# Numba warns of under-utilisation below this many blocks (numba-cuda's _LaunchConfiguration).
_NUMBA_MIN_GRID = 128


def _configured_quietly(kernel, grid, block, stream, shared):
    """``kernel[grid, block, stream, shared]`` without Numba's "Grid size ... under-utilization" warning.

    Numba checks the grid when it builds the launch configuration, and only where
    ``config.CUDA_LOW_OCCUPANCY_WARNINGS`` is set: the flag is cleared while it is built and restored at once.  A
    warnings filter did this before, and every change of the filters makes Python forget which warnings it has
    shown: under the "default" filter the library's own warnings (a ToleranceWarning) came back at every solve.
    (Another thread that configures a small grid in the same microseconds is not warned either.)
    """
    try:
        from numba.cuda.core import config
    except ImportError:  # numba-cuda before it kept its own (the same module as numba's in 0.30)
        from numba.core import config

    kept = config.CUDA_LOW_OCCUPANCY_WARNINGS
    config.CUDA_LOW_OCCUPANCY_WARNINGS = 0
    try:
        return kernel[grid, block, stream, shared]
    finally:
        config.CUDA_LOW_OCCUPANCY_WARNINGS = kept

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


def build_batch_kernel(system, method, loop_settings, controller, plan, canary_elems=0,
                       compute_capability=(9, 0), max_registers=None, compile_cache=None) -> BatchKernel:
    """Compose the method's step, the loop and the kernel under ``plan`` (compiled on first launch).

    Parameters
    ----------
    system : ODESystem
    method : kernels.methods.Method
    loop_settings : LoopBufferSettings
        The settings the Plan was made for (``kernels.planning.loop_settings``).
    controller : ControllerSettings
    plan : planner.Plan
    canary_elems : int
        Shared elements past the block's regions filled with a canary (testing).
    compute_capability : (int, int)
        Of the planned device: what :meth:`BatchKernel.resources` compiles for without a GPU.
    max_registers : int, optional
        A cap on registers per thread (``ptxas -maxrregcount``): a kernel whose hot loop needs
        fewer registers than its cold code (start, saves) then runs at a higher occupancy.
    compile_cache : kernels.CompileCache, optional
        Keeps the compile's NVVM, linker and ptxas results on disk (:mod:`kernels.compile_cache`).

    The built kernel passes the memory audit (:mod:`kernels.memory_audit`) or :class:`MemoryAuditError` is raised.
    """
    dtype = np.dtype(plan.precision).type
    declared = loop_settings.buffer_settings()
    layout = declared.layout(plan)
    build_step = FAMILIES[method.family][1]
    step = build_step(loop_settings.step, system, layout.child(loop_settings.step.component), dtype)
    loop = IVPLoop(loop_settings, system, step, controller, layout, dtype)
    kernel = _build_kernel(loop.device_function, plan, dtype, int(canary_elems), max_registers)
    built = BatchKernel(kernel, plan, loop_settings, tuple(step.records) + tuple(loop.records), int(canary_elems),
                        tuple(compute_capability), max_registers, compile_cache)
    audit(built, declared)  # a layout whose allocations do not add up never launches (0.04 % of a build at most)
    return built


def _build_kernel(loop, plan, dtype, canary_elems, max_registers=None):
    block_shared = make_block_shared(dtype)
    thread_region = make_thread_region(plan.shared_stride)
    persistent_local = make_persistent_local(plan.persistent_local_elements, dtype)
    padding, tail = make_canary_views(plan.shared_stride, plan.shared_elements, plan.block_size,
                                      canary_elems)
    CHECK = canary_elems > 0
    canary = dtype(CANARY)

    # The simulator takes no register cap (it has no registers).  No link-time optimisation: the kernel is one
    # NVVM program already; with LTO (numba-cuda's default where nvJitLink is) NVVM only emits LTO-IR and
    # nvJitLink optimises it.  H200, 2026-12-04, Brusselator at 64 and 128 states: cold compiles 30 to 40 % shorter
    # without (radau 128 float32 53 -> 36 s), kernel times within 2 % (at 32 states rodas4 and sdirk4 float32 run
    # 2 to 9 % slower without; results/ptx_compilers_2026-12-04/).  numba-cuda 0.30.4 drops `lto` from
    # `cuda.jit(**options)` used as a decorator factory, so the function is passed in the same call.
    options = {"lto": False} if backend() == "cuda" else {}
    if max_registers and backend() == "cuda":
        options["max_registers"] = int(max_registers)

    def kernel(y0, params, t_eval, times, max_steps, driver_times, driver_values, atol, rtol,
               out_y, out_obs, status, n_steps, n_rejected, canary_ok, out_summary, event_t, event_y, counts):
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
        if traj < status.shape[0]:
            code, accepted, rejected, n_rhs = loop(traj, y0, params, t_eval, times, max_steps, driver_times,
                                                   driver_values, atol, rtol, out_y, out_obs,
                                                   (out_summary, event_t, event_y, counts), region, persistent)
            status[traj] = code
            n_steps[traj] = accepted
            n_rejected[traj] = rejected
            counts[traj, 0] = n_rhs
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

    return cuda.jit(kernel if backend() == "cuda" else _quiet_on_simulator(kernel), **options)


def _quiet_on_simulator(kernel):
    """``kernel`` for the simulator, each of whose threads runs it under ``np.errstate(all="ignore")``.

    The simulator runs the kernel as NumPy scalar code, whose overflow and invalid-value warnings are the
    trajectory's business (its status says so), not the user's.  NumPy's error state belongs to a thread (a
    context in NumPy 2), so it is set in the simulator's own threads: a warnings filter around the launch did
    this before, and every change of the filters makes Python forget which warnings it has shown (under the
    "default" filter a ToleranceWarning came back at every solve).  Defined here, beside ``kernel``: the
    simulator swaps the ``cuda`` of the launched function's module, which must be ``kernel``'s.
    """
    def quiet(*args):
        with np.errstate(all="ignore"):
            kernel(*args)

    return quiet
