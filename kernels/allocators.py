"""Allocators: the only way a device function obtains a working array.

Every per-thread working array of ``kernels`` comes from an allocator built
here from a :class:`planner.Plan`.  This module is the only one in
``kernels`` that creates CUDA arrays or slices shared memory (a test scans the
sources to keep it so).  Three kinds of allocator exist, one per placement:

* ``Placement.SHARED``: a view ``region[start:stop]`` of the thread's region of
  the block's dynamic shared array;
* ``Placement.PERSISTENT_LOCAL``: a view ``persistent[start:stop]`` of the
  thread's persistent local array, created once by the kernel;
* ``Placement.LOCAL``: a fresh local array of ``max(size, 1)`` elements, at
  every call: a buffer that must outlive one device function is allocated
  by their common caller and handed down.  On the simulator a fresh float
  array is filled with NaN, as the GPU's is uninitialised (NumPy's allocator
  tends to hand back the array just freed, with its old values, which hid
  such a read in the events' slopes until they ran on a GPU).

Every allocator has the same signature, ``alloc(region, persistent) -> array``,
so call sites do not depend on the placement.  Allocators are compiled with
``inline="always"`` (Numba IR inlining): a local array returned by an inlined
function lives in the caller's frame, which is what makes returning it legal.

The batch kernel's per-thread shared region is thread ``t``'s stride-sized
slice ``[t * stride, (t + 1) * stride)`` of the block's one dynamic shared
array; the Plan makes ``stride`` odd, so a warp reading element ``k`` of its
buffers touches 32 different banks.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numba import cuda, from_dtype

from planner import Placement

from .backend import backend
from .errors import ConfigurationError

__all__ = [
    "AllocationRecord",
    "AllocatorFactory",
    "make_block_shared",
    "make_thread_region",
    "make_persistent_local",
    "make_canary_views",
]


@dataclasses.dataclass(frozen=True)
class AllocationRecord:
    """What one allocator hands out (for the memory audit).

    ``component`` is the component's qualified path in the settings tree
    (``"loop.erk"``), so records of components at every level stay apart.

    ``size_elems`` is the length of the array the allocator returns (a local
    array of a zero-size buffer has one element).  ``start``/``stop`` index
    the placement's region, or the parent's array for a view (``view_of``).
    """

    component: str
    name: str
    placement: Placement
    size_elems: int
    start: int
    stop: int
    view_of: str | None = None


def _element_type(dtype):
    """The Numba type of ``dtype`` (what both CUDA and the simulator accept for arrays)."""
    return from_dtype(np.dtype(dtype))


def _shared_allocator(start, stop):
    @cuda.jit(device=True, inline="always")
    def alloc(region, persistent):
        return region[start:stop]

    return alloc


def _persistent_allocator(start, stop):
    @cuda.jit(device=True, inline="always")
    def alloc(region, persistent):
        return persistent[start:stop]

    return alloc


def _local_allocator(size, dtype):
    element = _element_type(dtype)
    if backend() == "simulator" and np.issubdtype(np.dtype(dtype), np.floating):
        poison = np.dtype(dtype).type(np.nan)

        @cuda.jit(device=True, inline="always")
        def poisoned(region, persistent):
            fresh = cuda.local.array(size, element)
            fresh[:] = poison  # the simulator's array is NumPy's: a whole-array fill
            return fresh

        return poisoned

    @cuda.jit(device=True, inline="always")
    def alloc(region, persistent):
        return cuda.local.array(size, element)

    return alloc


class AllocatorFactory:
    """Builds the allocators of one component from its planned layout.

    Parameters
    ----------
    layout : planner.settings.ComponentLayout
        The component's layout under a Plan (``settings.layout(plan)``).
    dtype : numpy scalar type
        Element type of the arrays (the plan's precision).

    Attributes
    ----------
    records : list of AllocationRecord
        One record per allocator built, in build order: what the component's
        device functions allocate.  The memory audit compares it with the
        component's declared buffers.
    """

    def __init__(self, layout, dtype):
        self.layout = layout
        self.dtype = dtype
        self.component = layout.prefix[:-1]  # qualified: "loop.erk", unique at every level of the tree
        self.records: list[AllocationRecord] = []
        self._declared = {b.name: b for b in layout.settings.buffers}

    def __call__(self, name: str):
        """Return the device allocator for buffer ``name`` of this component."""
        buffer = self._declared.get(name)
        if buffer is None:
            raise ConfigurationError(
                f"component {self.component!r} declares no buffer {name!r}; "
                f"declared: {sorted(self._declared)}"
            )
        if buffer.is_view:
            raise ConfigurationError(
                f"buffer {self.component}.{name} is a view of {buffer.view_of!r}; "
                "use slots() with the parent's name"
            )
        placement = self.layout.placement(name)
        if placement is Placement.SHARED:
            index = self.layout.shared_indices[name]
            alloc = _shared_allocator(index.start, index.stop)
            start, stop = index.start, index.stop
        elif placement is Placement.PERSISTENT_LOCAL:
            index = self.layout.persistent_indices[name]
            alloc = _persistent_allocator(index.start, index.stop)
            start, stop = index.start, index.stop
        else:
            size = self.layout.local_sizes.nonzero(name)
            alloc = _local_allocator(size, self.dtype)
            start, stop = 0, size
        self.records.append(
            AllocationRecord(self.component, name, placement, stop - start, start, stop)
        )
        return alloc

    def slots(self, parent: str, views: tuple):
        """Return ``slot(parent_array, j) -> array``: the ``j``-th of equal consecutive views.

        ``views`` names views of ``parent`` declared in the component's
        settings at offsets ``0, size, 2 * size, ...`` (each of ``size``
        elements): a stage's slot of a stacked buffer, chosen at run time.
        """
        declared = [self._declared.get(v) for v in views]
        size = declared[0].size_elems if declared and declared[0] is not None else 0
        for j, (name, buffer) in enumerate(zip(views, declared)):
            if buffer is None or buffer.view_of != parent or buffer.view_offset_elems != j * size \
                    or buffer.size_elems != size:
                raise ConfigurationError(
                    f"component {self.component!r}: {name!r} must be declared as a view of {parent!r} "
                    f"at offset {j * size} of {size} elements"
                )
        for j, name in enumerate(views):
            placement = self.layout.placement(name)
            self.records.append(AllocationRecord(self.component, name, placement, size, j * size,
                                                 (j + 1) * size, view_of=parent))
        return _slot_view(size)


def _slot_view(size):
    @cuda.jit(device=True, inline="always")
    def slot(parent, j):
        return parent[j * size:(j + 1) * size]

    return slot


def make_block_shared(dtype):
    """Return ``block_shared() -> array``: the block's dynamic shared array.

    Its length is whatever dynamic shared memory the launch asked for; the
    batch kernel asks for ``plan.shared_bytes_per_block``.
    """
    dtype = _element_type(dtype)

    @cuda.jit(device=True, inline="always")
    def block_shared():
        return cuda.shared.array(0, dtype)

    return block_shared


def make_thread_region(stride_elems):
    """Return ``thread_region(block, t) -> array``: thread ``t``'s shared region.

    The region is ``block[t * stride : (t + 1) * stride]``.  With a zero
    stride (nothing planned in shared memory) it is empty.
    """

    @cuda.jit(device=True, inline="always")
    def thread_region(block, thread):
        return block[thread * stride_elems:(thread + 1) * stride_elems]

    return thread_region


def make_persistent_local(size_elems, dtype):
    """Return ``persistent_local() -> array`` of ``max(size_elems, 1)`` elements.

    The kernel calls it once per thread; persistent-local buffers are views
    of this array, so they survive from one step to the next.
    """
    size = max(int(size_elems), 1)
    dtype = _element_type(dtype)

    @cuda.jit(device=True, inline="always")
    def persistent_local():
        return cuda.local.array(size, dtype)

    return persistent_local


def make_canary_views(stride_elems, used_elems, block_threads, canary_elems):
    """Return ``(padding, tail)`` views for canary checks of the shared layout.

    ``padding(block, t)`` is thread ``t``'s unused stride padding
    ``[t * stride + used, (t + 1) * stride)``; ``tail(block)`` is the
    ``canary_elems`` past the end of the block's regions (the launch allocates
    them on top of the Plan's bytes when canaries are asked for).
    """
    end = stride_elems * block_threads

    @cuda.jit(device=True, inline="always")
    def padding(block, thread):
        return block[thread * stride_elems + used_elems:(thread + 1) * stride_elems]

    @cuda.jit(device=True, inline="always")
    def tail(block):
        return block[end:end + canary_elems]

    return padding, tail
