"""Plain-text tables of plans and planner comparisons, for the CLI."""

import math

from .buffers import Placement
from .errors import ConfigurationError
from .selection import auto_candidates
from .wording import format_bytes

COMPARE_HEADERS = ("planner", "peak", "stride", "bytes/block", "local", "live size", "proven bound", "status",
                   "seconds")
PROVERS = ("cpsat",)  # planners whose lower bound is a proof about the problem, not their own placement


def format_table(headers, rows):
    """Columns padded to their widest cell: numbers right-aligned, text left-aligned."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in cells[1:]) and len(cells) > 1 for i in range(len(headers))]

    def line(row):
        out = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric)]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return text == "-"
    return True


def format_lifetime(lifetime, limit=4):
    """``[3, 9) [12, 15)``; past ``limit`` intervals, a count of the rest."""
    shown = " ".join(f"[{a}, {b})" for a, b in lifetime[:limit])
    if len(lifetime) > limit:
        shown += f" (+{len(lifetime) - limit} more)"
    return shown


def plan_rows(plan):
    """One row per buffer: name, size, placement, offset ("-" for local), lifetime."""
    rows = []
    for b in plan.buffers:
        placement = b.placement.value if b.view_of is None else f"{b.placement.value}, view of {b.view_of}"
        offset = "-" if b.offset_elems is None else b.offset_elems
        rows.append((b.name, b.size_elems, placement, offset, format_lifetime(b.lifetime)))
    return rows


def plan_table(plan):
    return format_table(("buffer", "size", "placement", "offset", "lifetime"), plan_rows(plan))


def plan_totals(plan, problem=None):
    """The totals and provenance, one ``label  value`` line each; with the ``problem`` it was made from, the
    lower bound line can say that a plan meeting it is optimal where no buffer's placement was left to choose."""
    p = plan.provenance
    counts = {pl: _count(sum(1 for b in plan.buffers if b.placement is pl and b.view_of is None), "buffer")
              for pl in Placement}
    lines = [
        ("shared elements", f"{plan.shared_elements} per thread (peak, {counts[Placement.SHARED]})"),
        ("shared stride", f"{plan.shared_stride}"),
        ("shared bytes/block", f"{plan.shared_bytes_per_block} (block size {plan.block_size}, {plan.precision})"),
        ("local elements", f"{plan.local_elements} per thread, {_bytes(plan, Placement.LOCAL)} "
                           f"({counts[Placement.LOCAL]})"),
        ("persistent local", f"{plan.persistent_local_elements} per thread, "
                             f"{_bytes(plan, Placement.PERSISTENT_LOCAL)} ({counts[Placement.PERSISTENT_LOCAL]})"),
        ("planner", p.planner),
        ("status", p.status),
        ("lower bound", f"{p.lower_bound} ({_gap(plan, problem is not None and not auto_candidates(problem))})"),
        ("solve time", f"{p.solve_seconds:.3f} s"),
    ]
    if p.total_seconds is not None:
        lines.append(("total time", f"{p.total_seconds:.3f} s (the whole call: {_time_parts(p)})"))
    width = max(len(label) for label, _ in lines)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in lines)


def _bytes(plan, placement):
    """The bytes per thread of the buffers at ``placement``, each at its own precision's element size
    (CUDA allows 512 KiB of local memory per thread); "? B" for a precision the plan cannot name."""
    try:
        return format_bytes(plan.local_bytes(placements=(placement,)))
    except ConfigurationError:
        return "? B"


def _gap(plan, pinned=False):
    """The peak's gap to the lower bound; for a plan not proven optimal with no gap, why 0 proves nothing.

    The lower bound is on the peak of the buffers a plan must share (those pinned, or every candidate
    when all fit); while which ``auto`` buffers go shared is unproven (a fallback, a search cut short),
    a plan keeping them local can meet it with a peak no better placement would have. ``pinned``: the
    problem has no ``auto`` buffer that may go shared (a MiniMalloc CSV), so there is no such choice and
    a peak at its live size is optimal, whatever the planner (greedy's said "not proven" until 2026-12-05).
    """
    p = plan.provenance
    gap = plan.shared_elements - p.lower_bound
    if pinned and gap == 0 and p.status != "OPTIMAL":
        return ("gap 0 elements, 0.0%: optimal, as every buffer that may go shared is pinned shared (no choice of "
                "which go shared) and no layout of them peaks below this bound, their live size")
    if p.objective_seconds is not None and p.lower_bound:  # auto: the bound is on its own choice (a CLI user's trial: greedy's
        # choice peaked at 235 under cpsat's "proven" 687)
        return (f"gap {gap} elements to this bound, which is on the peak of the buffers this plan shares: the auto "
                "objective chose them by its cost model, and another choice can peak lower")
    if gap == 0 and p.status != "OPTIMAL":
        return (f"gap 0 elements to this bound, but not proven optimal ({p.status}): the bound is on the peak of "
                "the buffers the plan shares, not on which buffers go shared")
    gap_pct = f", {percent(gap, plan.shared_elements)}" if plan.shared_elements else ""
    return f"gap {gap} elements{gap_pct}"


def percent(part, whole):
    """``part`` as a percentage of ``whole`` (> 0) with enough decimals that a nonzero part never reads 0.0 %:
    one decimal from 0.1 %, two significant digits below, "<0.001%" below that (a gap of 2710 elements on
    10^8 read "0.0%" until 2026-12-05)."""
    share = 100.0 * part / whole
    if part == 0 or abs(share) >= 0.1:
        return f"{share:.1f}%"
    if abs(share) < 0.001:
        return ("<" if share > 0 else ">-") + "0.001%"
    return f"{share:.{1 - math.floor(math.log10(abs(share)))}f}%"


def _time_parts(p):
    """``set-up 0.004 s, solve ..., verify ...`` and what else the call spent, adding up to its total."""
    parts = [("set-up", p.setup_seconds), ("solve", p.solve_seconds), ("verify", p.verify_seconds)]
    if p.objective_seconds is not None:
        parts.append(("auto objective's search", p.objective_seconds))
    rest = p.total_seconds - sum(seconds or 0.0 for _, seconds in parts)
    if rest >= 0.0005:
        parts.append(("other (imports and cost prediction)", rest))
    return ", ".join(f"{label} {seconds or 0.0:.3f} s" for label, seconds in parts)


def plan_report(plan, problem=None):
    """The plan table, a blank line, then the totals (``problem``: see :func:`plan_totals`)."""
    return plan_table(plan) + "\n\n" + plan_totals(plan, problem)


def _count(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def comparison_rows(results):
    """Rows of the comparison; ``results`` maps planner -> Plan or the error it raised."""
    rows, notes = [], []
    for name, result in results.items():
        if isinstance(result, Exception):
            status = "UNAVAILABLE" if isinstance(result, ImportError) else type(result).__name__.replace(
                "Error", "").upper() or "ERROR"
            rows.append((name, "-", "-", "-", "-", "-", "-", status, "-"))
            notes.append(f"{name}: {result}")
            continue
        p = result.provenance
        # under auto, a bound on its own choice only (a bound of 0 is one on every choice)
        proven = name in PROVERS and (p.objective_seconds is None or p.lower_bound == 0)
        rows.append((name, result.shared_elements, result.shared_stride, result.shared_bytes_per_block,
                     result.local_elements, live_size(result), p.lower_bound if proven else "-", p.status,
                     f"{p.seconds:.3f}"))
        if name in PROVERS and not proven:
            notes.append(f"{name}: no proven bound under the auto objective: its bound ({p.lower_bound}) is on the "
                         "peak of the buffers it chose to share, and another choice can peak lower")
    return rows, notes


def live_size(plan):
    """The most shared elements alive at one program point in ``plan``: no layout of its shared
    buffers peaks lower (a bound for that placement; planners may place different buffers shared)."""
    events = sorted((t, starts, b.size_elems) for b in plan.buffers
                    if b.placement is Placement.SHARED and b.view_of is None
                    for lo, hi in b.lifetime for t, starts in ((lo, 1), (hi, 0)))
    live = peak = 0
    for _, starts, size in events:
        live += size if starts else -size
        peak = max(peak, live)
    return peak


def comparison_table(results):
    """The planners side by side, then what the bound columns mean and one note per planner that failed.

    "live size" is each plan's own bound (its shared buffers alive at once);
    "proven bound" is CP-SAT's proof about the problem (the lowest peak any
    layout of the buffers it places shared can have); "seconds" is each whole call.
    """
    rows, notes = comparison_rows(results)
    text = format_table(COMPARE_HEADERS, rows)
    text += ("\n\nlive size: the plan's shared buffers alive at one program point (its own lower bound); "
             "proven bound: CP-SAT's proven lower bound on the peak; seconds: the whole call")
    if notes:
        text += "\n\n" + "\n".join(notes)
    return text
