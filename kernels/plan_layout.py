"""What a compiled kernel depends on in a Plan: its layout, digested, so plans laid out alike share one kernel."""

from __future__ import annotations

import hashlib
import json

__all__ = ["layout_digest"]


def layout_digest(plan) -> str:
    """A digest of what a kernel compiled from ``plan`` depends on: buffers, placements, offsets, totals, precision.

    Provenance (planner, timings) and the block size are left out: plans that
    lay the buffers out identically share one compiled kernel.
    """
    data = {"precision": plan.precision, "stride": plan.shared_stride, "shared": plan.shared_elements,
            "persistent": plan.persistent_local_elements,
            "buffers": sorted((b.name, b.size_elems, b.placement.value, b.offset_elems) for b in plan.buffers)}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]
