"""The memory audit: a built kernel allocates exactly what its Plan declares.

Every working array of a kernel comes from an allocator (:mod:`kernels.allocators`), and each
allocator leaves an :class:`~kernels.allocators.AllocationRecord` on the built kernel.  The audit
compares those records with the buffers the components declare and with the Plan:

* every declared buffer has exactly one allocator, and no allocator serves an undeclared buffer;
* each has the Plan's placement: a view sits at its declared offset inside its declared parent, a
  local buffer has its size (at least one element: CUDA has no empty local arrays), a shared or
  persistent-local one has the Plan's slice ``[offset, offset + size)`` of its region.

That the slices fit the Plan's regions and totals is the Plan's own check (``Plan.verify``, run on
every layout); the summary's ``shared_elems`` and ``persistent_local_elems`` let a caller compare.

A mismatch is a bug in bufferplan or in a custom component's builder (a step or solver that asks
its allocator factory for a buffer twice, or never), not in the user's model: it raises
:class:`~kernels.errors.MemoryAuditError` naming the buffer.  ``Integrator.build`` runs the audit on
every kernel it builds, so such a layout never launches: about 0.03 ms, 0.01 to 0.04 % of a build on
the simulator (Brusselator, 128 states, radau and rodas4, 2026-12-05), given the declaration tree the
build already holds.  :meth:`kernels.batch.BatchKernel.audit` runs it again and returns the summary.
"""

from __future__ import annotations

import dataclasses
import types

from planner import Placement

from .errors import ConfigurationError, MemoryAuditError

__all__ = ["MemoryAudit", "audit", "declared_buffers"]

_REPORT = ("The kernel is not launched: this is a bug in bufferplan, or in a custom step's or solver's builder "
           "(every working array must come from its component's allocator factory, once per declared buffer); "
           "please report it with the method, the system's size and the plan (plan.to_json()).")


@dataclasses.dataclass(frozen=True)
class MemoryAudit:
    """What a built kernel allocates per thread, checked against its Plan.

    Attributes
    ----------
    n_buffers : int
        Declared buffers, views included (one allocator each).
    shared_elems : int
        Where the shared allocations end in the thread's region (the Plan's ``shared_elements``).
    local_elems : int
        Elements of the local arrays, each at least one, views excluded; a local array is created at
        each call of its allocator, so this bounds what is live at once from above.
    persistent_local_elems : int
        Where the persistent-local allocations end (the Plan's ``persistent_local_elements``).
    records : mapping
        ``(qualified component, buffer name) -> AllocationRecord``, read-only.
    """

    n_buffers: int
    shared_elems: int
    local_elems: int
    persistent_local_elems: int
    records: types.MappingProxyType = dataclasses.field(hash=False, repr=False)


def declared_buffers(settings, prefix=None):
    """``(qualified component, buffer name) -> Buffer`` over every level of the settings tree."""
    path = settings.component if prefix is None else f"{prefix}.{settings.component}"
    out = {(path, b.name): b for b in settings.buffers}
    for child in settings.children:
        out.update(declared_buffers(child, path))
    return out


def audit(built, buffer_settings=None) -> MemoryAudit:
    """Check that ``built`` (a :class:`kernels.batch.BatchKernel`) allocates what its Plan declares.

    ``buffer_settings`` is the declaration tree the kernel was built from, when the caller holds it:
    ``built.settings.buffer_settings()`` derives it again, which for a sparse LU reorders the Jacobian
    (25 ms for radau at 128 states, where the audit itself takes 0.03 ms).  Returns the
    :class:`MemoryAudit`; raises :class:`~kernels.errors.MemoryAuditError` naming the first
    ``component.buffer`` whose allocator is missing, repeated, undeclared, or placed or sized other
    than declared.
    """
    _check_built(built)
    tree = built.settings.buffer_settings() if buffer_settings is None else buffer_settings
    declared = declared_buffers(tree)
    records = _records_by_key(built.records)
    planned = built.plan.by_name()
    _check_coverage(declared, records, planned)
    for key, record in records.items():
        _check_record(key, record, declared[key], planned)
    return _summary(records)


def _check_built(built):
    """Refuse anything but a built kernel (a Plan or an Integrator is the likely mistake) with what to pass."""
    from .batch import BatchKernel  # batch imports this module

    if not isinstance(built, BatchKernel):
        raise ConfigurationError(f"audit built: expected a built kernel, integrator.build(plan), got "
                                 f"{type(built).__name__}; build the Plan first and audit what build returns")


def _qualified(key):
    """``component.buffer``, as the Plan names a buffer."""
    return f"{key[0]}.{key[1]}"


def _fail(key, declared, allocated):
    """Raise the audit's error for buffer ``key``, with what was declared and what was allocated."""
    raise MemoryAuditError(f"memory audit: buffer {_qualified(key)} was declared {declared} but allocated "
                           f"{allocated}. {_REPORT}", buffer=_qualified(key))


def _records_by_key(records):
    """The records keyed by ``(component, name)``; a buffer allocated twice is refused here."""
    out = {}
    for record in records:
        key = (record.component, record.name)
        if key in out:
            count = sum((r.component, r.name) == key for r in records)
            _fail(key, "once", f"{count} times ({_record_text(out[key])} and {_record_text(record)})")
        out[key] = record
    return out


def _check_coverage(declared, records, planned):
    """Every declared buffer has a record and every record a declaration (the first miss, in sorted order)."""
    for key in sorted(set(declared) - set(records)):
        entry = planned.get(_qualified(key))
        size = declared[key].size_elems
        where = f"{entry.placement.value} ({size} elements)" if entry is not None else f"({size} elements)"
        _fail(key, where, "never (no allocator was built for it)")
    for key in sorted(set(records) - set(declared)):
        _fail(key, "nowhere (its component declares no such buffer)", _record_text(records[key]))


def _check_record(key, record, buffer, planned):
    """One record against its declaration and its Plan entry."""
    entry = planned.get(_qualified(key))
    if entry is None:
        _fail(key, "by its component but is not in the Plan", _record_text(record))
    expected = _expected(buffer, entry)
    if expected != (record.placement, record.size_elems, record.start, record.stop, record.view_of):
        placement, size, start, stop, view_of = expected
        _fail(key, _record_text(dataclasses.replace(record, placement=placement, size_elems=size, start=start,
                                                    stop=stop, view_of=view_of)), _record_text(record))


def _expected(buffer, entry):
    """``(placement, size_elems, start, stop, view_of)`` as the declaration and the Plan call for them."""
    if buffer.is_view:
        start, size = buffer.view_offset_elems, buffer.size_elems
    elif entry.placement is Placement.LOCAL:
        start, size = 0, max(buffer.size_elems, 1)
    else:
        start, size = entry.offset_elems, buffer.size_elems
    return entry.placement, size, start, start + size, buffer.view_of


def _record_text(record):
    """A record as a message shows it: ``shared [3, 7) (4 elements)``, ``local view of 'stages' [0, 4) ...``."""
    where = f"{record.placement.value} view of {record.view_of!r}" if record.view_of else record.placement.value
    return f"{where} [{record.start}, {record.stop}) ({record.size_elems} elements)"


def _summary(records):
    """The :class:`MemoryAudit` of records that passed: views are counted in ``n_buffers`` only."""
    bases = [r for r in records.values() if not r.view_of]

    def end(placement):
        return max((r.stop for r in bases if r.placement is placement), default=0)

    local = sum(r.size_elems for r in bases if r.placement is Placement.LOCAL)
    return MemoryAudit(len(records), end(Placement.SHARED), local, end(Placement.PERSISTENT_LOCAL),
                       types.MappingProxyType(dict(records)))

