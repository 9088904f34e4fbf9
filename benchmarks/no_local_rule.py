"""Does any layout beat an all-local kernel that needs no local memory?  Read from every recorded sweep (issue #14).

``plan("auto")`` compiles the all-local plan first and keeps it, without solving the model, where the compiler
gives it no local memory (``kernels/compiler_loop.py``).  This reads the placement sweeps
(``placement_sweep*.jsonl``) and the stiff runs (``stiff_peers*.json``) under ``benchmarks/results`` and, per
group (method, size, precision, block size or implementation), compares the all-local kernel with the fastest
placement measured beside it in the same run.  It prints, per file, the groups whose all-local kernel had no
local memory and every one among them where a placement that shares buffers ran more than ``--margin`` faster.

    python -m benchmarks.no_local_rule [--margin 0.05] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os

from .environment import write_json
from .sweep_summary import read_jsonl

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def sweep_groups(path):
    """``{group: {placement: (kernel ms, local bytes)}}`` of one placement sweep's measured configurations."""
    groups = collections.defaultdict(dict)
    for r in read_jsonl([path]):
        if r.get("record") == "config" and r.get("status") == "ok" and r.get("kernel_ms"):
            key = (r["method"], r["n"], r["precision"], f"b{r['block_size']}")
            groups[key][r["placement"]] = (r["kernel_ms"], (r.get("kernel") or {}).get("local_bytes_per_thread"),
                                           (r.get("plan") or {}).get("shared_bytes_per_block"))
    return groups


def stiff_groups(path):
    """The same for one ``stiff_peers`` run: our implementations' placements (``choice``) per configuration."""
    with open(path) as fh:
        doc = json.load(fh)
    groups = collections.defaultdict(dict)
    for r in doc.get("results") or []:
        if not (r.get("ok") and str(r.get("impl_name", "")).startswith("bufferplan") and "choice" in r):
            continue
        key = (r["impl_name"], r["method"], r["n"], r["precision"])
        groups[key][r["choice"]] = (r["kernel"]["median_ms"], (r.get("resources") or {}).get("local_bytes_per_thread"),
                                    (r.get("plan") or {}).get("shared_bytes_per_block"))
    return groups


def verdicts(groups, margin):
    """Per group with an all-local kernel of no local memory and a placement that shares something: all-local's
    time over the fastest such placement's.  (Placements of no shared bytes lay the buffers out as all-local does:
    the early runs timed one such kernel twice, not interleaved, up to 1.25x apart.)"""
    rows = []
    for key, placements in sorted(groups.items(), key=lambda kv: str(kv[0])):
        local = placements.get("local")
        shared = [ms for ms, _, shared_bytes in placements.values() if shared_bytes]
        if local is None or local[1] != 0 or not shared:
            continue
        best = min(shared + [local[0]])
        rows.append({"group": list(key), "local_over_best": local[0] / best,
                     "beaten": local[0] > best * (1 + margin)})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--margin", type=float, default=0.05, help="how much faster another placement must run")
    ap.add_argument("--results", default=RESULTS)
    ap.add_argument("--out", help="also write the rows as JSON")
    args = ap.parse_args(argv)
    files = sorted(glob.glob(os.path.join(args.results, "**", "placement_sweep*.jsonl"), recursive=True))
    files += sorted(glob.glob(os.path.join(args.results, "**", "stiff_peers*.json"), recursive=True))
    report, groups_seen, beaten = [], 0, 0
    for path in files:
        try:
            groups = sweep_groups(path) if path.endswith(".jsonl") else stiff_groups(path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"{os.path.relpath(path, args.results)}: skipped ({type(exc).__name__}: {exc})")
            continue
        rows = verdicts(groups, args.margin)
        if not rows:
            continue
        lost = [r for r in rows if r["beaten"]]
        groups_seen, beaten = groups_seen + len(rows), beaten + len(lost)
        report.append({"file": os.path.relpath(path, args.results), "groups": len(rows), "beaten": lost})
        said = "; ".join(f"{'/'.join(map(str, r['group']))} {r['local_over_best']:.3f}x" for r in lost)
        print(f"{os.path.relpath(path, args.results)}: {len(rows)} groups, all-local beaten in {len(lost)}"
              + (f": {said}" if said else ""))
    print(f"total: {groups_seen} groups whose all-local kernel had no local memory, a placement sharing buffers more "
          f"than {args.margin:.0%} faster in {beaten}")
    if args.out:
        write_json(args.out, {"schema": "bufferplan.no_local_rule/1", "margin": args.margin, "files": report,
                              "groups": groups_seen, "beaten": beaten})


if __name__ == "__main__":
    main()
