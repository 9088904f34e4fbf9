"""Why a plan past CUDA's local memory per thread cannot launch, and what to do about it.

The message names the largest local buffers, offers shared memory only where buffers that could go there would
take the excess, and says what float32 would take where the problem is float64.
"""

from .buffers import itemsize
from .device import LOCAL_BYTES_PER_THREAD_LIMIT
from .errors import LocalMemoryError
from .wording import format_bytes, format_kib

__all__ = ["local_memory_error", "local_memory_message", "local_size"]


def local_memory_error(used_bytes, whose="the plan", shared_bytes=None, sizes=(), precision=None):
    """The LocalMemoryError of a plan (or of the buffers ``whose`` names) that needs ``used_bytes`` a thread;
    ``shared_bytes``: the most shared memory one thread could have (the device's per block), where known;
    ``sizes``, ``precision``: see :func:`local_memory_message` (:func:`local_size` makes an entry)."""
    return LocalMemoryError("local memory: " + local_memory_message(used_bytes, whose, shared_bytes, sizes, precision))


def local_memory_message(used_bytes, whose="the plan", shared_bytes=None, sizes=(), precision=None):
    """Why a plan whose local memory passes CUDA's limit per thread cannot launch, and what to do.

    ``sizes``: ``(name, bytes, itemsize, of the problem's precision)`` of the local buffers, where known: the
    largest are named, and shared memory is offered only where buffers of the problem's precision small enough
    for it could take the excess (``shared_bytes``: the most a thread could have, a block of one thread;
    unknown: offered); with ``precision`` "float64", what the float64 buffers would take in float32.  (An
    ecologist's trial: 40200 parameters a trajectory and a 200-state matrix, 321 and 320 KB, were told to go to
    shared memory, which holds 227 KB a block, and that the matrix was "most of it".)"""
    cap = float("inf") if shared_bytes is None else shared_bytes
    movable = min(cap, sum(b for _, b, _, same in sizes if same and b <= cap) if sizes else cap)
    shared = ("put buffers in shared memory (pin them shared, or allow more shared memory), or "
              if used_bytes - movable <= LOCAL_BYTES_PER_THREAD_LIMIT else
              f"shared memory cannot take the excess (at most {format_bytes(shared_bytes)} a block, even of one "
              "thread, and only whole buffers of the problem's precision that fit it); "
              if shared_bytes is not None else "")
    largest = sorted(sizes, key=lambda item: -item[1])[:3]
    named = (" (the largest: " + ", ".join(f"{item[0]} {format_bytes(item[1])}" for item in largest) + ")"
             if largest else "")
    single = sum(b // 2 if size == 8 else b for _, b, size, _ in sizes)
    half = (f"; in float32 precision they would take {format_bytes(single)}"
            if precision == "float64" and sizes and single < used_bytes else "")
    return (f"{whose}: {format_bytes(used_bytes)} of local memory per thread ({format_kib(used_bytes)}){named}, "
            f"above CUDA's limit of {LOCAL_BYTES_PER_THREAD_LIMIT} B (512 KiB) per thread: no kernel with it can "
            f"launch; {shared}make the buffers smaller (fewer states or parameters a trajectory; for an implicit "
            f"integrator, a sparse or matrix-free linear solver){half}")


def local_size(problem, buffer):
    """``(name, bytes, itemsize, of the problem's precision)`` of a local ``buffer`` (local_memory_message)."""
    size = itemsize(buffer.precision or problem.precision)
    return buffer.name, buffer.size_elems * size, size, buffer.precision in (None, problem.precision)
