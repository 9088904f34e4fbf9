"""What the compiler made of a kernel: registers, local memory and shared memory per thread/block.

The planner can only call a buffer "local"; whether it lives in registers
or in off-chip local memory is the compiler's decision, so it is read back
here.  On a GPU from the compiled kernel itself; without one, by compiling
to PTX for the target compute capability (``numba.cuda.compile_ptx`` needs no
driver) and running ``ptxas -v`` from the ``nvidia-cuda-nvcc`` wheel (the
``compile`` extra), which reports registers, the stack frame and spills.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import threading

from .backend import backend, driver_usable
from .compile_cache import active_cache, cached_ptxas
from .errors import ConfigurationError

__all__ = ["Resources", "kernel_resources", "ptxas_path", "ptxas_resources"]


@dataclasses.dataclass(frozen=True)
class Resources:
    """Per-thread and per-block resources of a compiled kernel.

    Attributes
    ----------
    registers_per_thread : int
    local_bytes_per_thread : int
        The stack frame: local arrays the compiler could not keep in registers, and spills.
    spill_store_bytes, spill_load_bytes : int or None
        Spill traffic per thread as ptxas reports it (None where only the GPU's counts are known).
    shared_bytes_per_block : int
        Dynamic shared memory of a launch (the Plan's) plus any static shared memory.
    source : str
        ``"cuda"`` (the compiled kernel's attributes) or ``"ptxas"`` (offline compile).
    """

    registers_per_thread: int
    local_bytes_per_thread: int
    spill_store_bytes: int | None
    spill_load_bytes: int | None
    shared_bytes_per_block: int
    source: str

    def to_json(self):
        return dataclasses.asdict(self)


def ptxas_path():
    """The ``ptxas`` of the ``nvidia-cuda-nvcc`` wheel (or on PATH), or None."""
    spec = importlib.util.find_spec("nvidia")
    for root in (spec.submodule_search_locations if spec else ()):
        for sub in ("cu13", "cuda_nvcc", "cu12"):
            candidate = os.path.join(root, sub, "bin", "ptxas")
            if os.access(candidate, os.X_OK):
                return candidate
    return shutil.which("ptxas")


_ENTRY = re.compile(r"Compiling entry function '([^']+)'")
_FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_REGS = re.compile(r"Used (\d+) registers")


def ptxas_resources(ptx, compute_capability=(9, 0), max_registers=None):
    """``(registers, stack bytes, spill stores, spill loads)`` of the PTX's entry function by ``ptxas -v``."""
    binary = ptxas_path()
    if binary is None:
        raise ConfigurationError("ptxas was not found: install the compile extra "
                                 "(pip install 'bufferplan[compile]') or put CUDA's ptxas on PATH")
    arch = f"sm_{compute_capability[0]}{compute_capability[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "kernel.ptx")
        with open(source, "w") as handle:
            handle.write(ptx)
        cap = ["-maxrregcount", str(int(max_registers))] if max_registers else []
        done = subprocess.run([binary, "-v", f"-arch={arch}", *cap, source, "-o", os.path.join(tmp, "kernel.cubin")],
                              capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ConfigurationError(f"ptxas failed on the kernel's PTX: {done.stderr.strip()[:500]}")
    report = done.stderr
    start = _ENTRY.search(report)
    block = report[start.start():] if start else report
    frame, regs = _FRAME.search(block), _REGS.search(block)
    if frame is None or regs is None:
        raise ConfigurationError(f"could not read ptxas's report: {report[:500]}")
    return int(regs.group(1)), int(frame.group(1)), int(frame.group(2)), int(frame.group(3))


_OFFLINE_TURN = threading.RLock()


class _OfflineDevice:
    def __init__(self, compute_capability):
        self.compute_capability = tuple(compute_capability)


@contextlib.contextmanager
def _offline_device(compute_capability):
    """Let Numba compile device functions with no driver.

    Numba's device-function dispatcher asks the current device for its
    compute capability (numba-cuda 0.30: ``dispatcher.get_current_device``),
    which needs a driver; for an offline compile it gets the target's instead.
    """
    from numba.cuda import dispatcher

    with _OFFLINE_TURN:  # a process-wide swap: two threads' compiles take turns (else one restores the other's)
        original = dispatcher.get_current_device
        dispatcher.get_current_device = lambda: _OfflineDevice(compute_capability)
        try:
            yield
        finally:
            dispatcher.get_current_device = original


def kernel_resources(kernel, argument_types, shared_bytes_per_block, compute_capability=(9, 0), max_registers=None):
    """Resources of a Numba CUDA kernel compiled for ``argument_types`` (with its register cap, if any)."""
    if backend() != "cuda":
        raise ConfigurationError(
            "kernel resources need Numba's CUDA target, and this process runs the simulator: run with "
            "NUMBA_ENABLE_CUDASIM=0 (no GPU needed: the kernel is compiled to PTX and counted by ptxas)")
    if driver_usable():
        compiled = kernel.compile(tuple(argument_types))
        return Resources(int(compiled.regs_per_thread), int(compiled.local_mem_per_thread), None, None,
                         shared_bytes_per_block + int(compiled.shared_mem_per_block), "cuda")
    from numba import cuda

    with _offline_device(compute_capability):
        ptx, _ = cuda.compile_ptx(kernel.py_func, tuple(argument_types), cc=tuple(compute_capability))
    regs, stack, stores, loads = cached_ptxas(active_cache(), ptx, compute_capability, max_registers, ptxas_resources)
    return Resources(regs, stack, stores, loads, shared_bytes_per_block, "ptxas")
