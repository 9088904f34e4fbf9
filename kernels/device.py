"""The planner's model of the GPU in use (the planner itself never imports Numba).

:func:`live_device` reads the current CUDA device's limits through Numba and
starts from the planner preset of its chip (``h200``/``h100`` by name for
compute capability 9.0); :func:`default_device` is what plans use when none
is given: the live GPU, or the ``h200`` preset on the simulator (the GPU
machine this project measures on).  Neither is cached: after
``cuda.select_device`` the next plan models the newly selected GPU.
"""

from __future__ import annotations

import dataclasses

import planner

from .backend import backend

__all__ = ["live_device", "default_device", "SIMULATOR_DEVICE", "default_block_size", "current_device_id"]

SIMULATOR_DEVICE = "h200"
_BY_CC = {(9, 0): "h100", (8, 0): "a100", (8, 9): "rtx4090", (7, 0): "v100"}
_ATTRIBUTES = {"multiprocessors": "MULTIPROCESSOR_COUNT",
               "max_threads_per_sm": "MAX_THREADS_PER_MULTIPROCESSOR",
               "max_threads_per_block": "MAX_THREADS_PER_BLOCK",
               "registers_per_sm": "MAX_REGISTERS_PER_MULTIPROCESSOR",
               "shared_bytes_per_sm": "MAX_SHARED_MEMORY_PER_MULTIPROCESSOR",
               "max_shared_bytes_per_block": "MAX_SHARED_MEMORY_PER_BLOCK_OPTIN"}


def _preset_for(name, cc):
    lowered = name.lower()
    for key in planner.PRESETS:
        if key in lowered.replace(" ", ""):
            return planner.PRESETS[key]
    return planner.PRESETS[_BY_CC.get(cc, "h100")]


def live_device():
    """Model the GPU Numba uses now, or None without a usable CUDA driver (or on the simulator)."""
    if backend() != "cuda":
        return None
    try:
        from numba import cuda

        if not cuda.is_available():
            return None
        dev = cuda.get_current_device()
        cc = tuple(dev.compute_capability)
        name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
    except Exception:  # noqa: BLE001 - no driver, or a driver that cannot answer: no live model
        return None
    values = {}
    for key, attribute in _ATTRIBUTES.items():
        try:
            values[key] = int(getattr(dev, attribute))
        except Exception:  # noqa: BLE001 - an attribute this driver lacks keeps the preset's value
            pass
    return dataclasses.replace(_preset_for(name, cc), name=name, compute_capability=cc, **values)


def default_device():
    """The live GPU's model, or the :data:`SIMULATOR_DEVICE` preset without one."""
    live = live_device()
    return live if live is not None else planner.get_device(SIMULATOR_DEVICE)


def default_block_size():
    """Threads per block when none is given (and no Plan brings one).

    128 on a GPU.  On Numba's simulator a block's threads run as Python
    threads that take two locks on every device-function call; with several
    busy threads per block they convoy and a run can take 100x longer at
    random, while blocks run one after another: one thread per block costs
    nothing there and keeps run times steady.
    """
    return 128 if backend() == "cuda" else 1


def current_device_id():
    """The current CUDA device's id (plans and kernels are kept per device), or -1 on the simulator."""
    if backend() != "cuda":
        return -1
    try:
        from numba import cuda

        return cuda.get_current_device().id
    except Exception:  # noqa: BLE001 - no driver: compiling offline (resources), one "device"
        return -1
