"""The summary of ``benchmarks.placement_sweep`` runs: per group the fastest placement and every placement's regret.

    python -m benchmarks.placement_sweep --summary --out DIR   # rewrites it from DIR/placement_sweep_*.jsonl
"""

from __future__ import annotations

import json
import os
import statistics

from .environment import json_default
from .sweep_plans import GROUPS, PLACEMENTS, PLANNERS, group_key

SCHEMA = "bufferplan.placement_sweep/1"


# -- summary -----------------------------------------------------------------------------------
def read_jsonl(paths):
    """Every parsable record of the files, in order (a line cut off by a kill is skipped)."""
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path) as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue


def summarize(paths):
    """Per group the fastest placement and every placement's regret; per placement its median and max regret."""
    latest = {}
    runs = []
    for rec in read_jsonl(paths):
        if rec.get("record") == "config":
            latest[(rec.get("device"), rec["key"])] = rec
        elif rec.get("record") == "run":
            runs.append({k: rec.get(k) for k in ("date_utc", "command", "backend")} | {
                "device": (rec.get("device") or {}).get("name")})
    groups = {}
    for (device, _), rec in latest.items():
        gk = (device, rec["n_traj"], rec["t_end"], rec["dt"]) + group_key(rec)
        groups.setdefault(gk, {})[rec["placement"]] = rec
    rows, per_placement = [], {}
    for gk in sorted(groups, key=lambda g: tuple((0, x, "") if isinstance(x, (int, float)) else (1, 0, str(x))
                                                 for x in g)):
        recs = groups[gk]
        ok = {p: r for p, r in recs.items() if r["status"] == "ok" and r.get("kernel_ms")}
        row = {"device": gk[0], "n_traj": gk[1], "t_end": gk[2], "dt": gk[3], "method": gk[4], "controller": gk[5],
               "n": gk[6], "precision": gk[7], "block_size": gk[8], "placements": {}}
        best = min(ok, key=lambda p: ok[p]["kernel_ms"]) if ok else None
        row["best"] = best
        row["best_ms"] = ok[best]["kernel_ms"] if best else None
        checks = [r["result"]["checksum"] for r in ok.values()]
        row["checksum_spread"] = (max(checks) - min(checks)) / max(abs(max(checks)), 1e-300) if checks else None
        for p, r in recs.items():
            entry = {"status": r["status"]}
            if p in ok:
                regret = ok[p]["kernel_ms"] / row["best_ms"] - 1.0
                entry.update(kernel_ms=r["kernel_ms"], regret=regret,
                             registers=r["kernel"]["registers_per_thread"],
                             local_bytes=r["kernel"]["local_bytes_per_thread"],
                             shared_bytes_per_block=r["plan"]["shared_bytes_per_block"],
                             occupancy=(r.get("occupancy") or {}).get("occupancy"),
                             predicted_occupancy=r["plan_prediction"]["occupancy"])
                stats = per_placement.setdefault(p, {"regrets": [], "wins": 0, "infeasible": 0, "failed": 0})
                stats["regrets"].append(regret)
                stats["wins"] += p == best
            else:
                stats = per_placement.setdefault(p, {"regrets": [], "wins": 0, "infeasible": 0, "failed": 0})
                stats["infeasible" if r["status"] == "infeasible" else "failed"] += 1
                entry["reason"] = r.get("reason", "")[:300]
            row["placements"][p] = entry
        rows.append(row)
    noise = []  # two placements that launched the same compiled kernel: the timing's own spread
    for recs in groups.values():
        for p, r in recs.items():
            twin = recs.get(r.get("same_kernel_as") or "")
            if r["status"] == "ok" and twin is not None and twin["status"] == "ok":
                noise.append(abs(r["kernel_ms"] / twin["kernel_ms"] - 1.0))
    overall = {}
    for p, s in per_placement.items():
        rg = s["regrets"]
        overall[p] = {"groups_measured": len(rg), "wins": s["wins"], "infeasible": s["infeasible"],
                      "failed": s["failed"], "median_regret": statistics.median(rg) if rg else None,
                      "max_regret": max(rg) if rg else None}
    return {"schema": SCHEMA + "/summary", "sources": [os.path.abspath(p) for p in paths], "runs": runs,
            "planners": list(PLANNERS), "groups": rows, "per_placement": overall,
            "same_kernel_spread": {"pairs": len(noise), "median": statistics.median(noise) if noise else None,
                                   "max": max(noise) if noise else None}}


def markdown(summary):
    order = [p for p in PLACEMENTS + GROUPS[2:] if p in summary["per_placement"]]
    order += sorted(p for p in summary["per_placement"] if p not in order)
    lines = ["# Placement sweep", "",
             "Regret = time / best time of the group - 1 (0 = fastest); `inf.` = infeasible (over the shared "
             "budget), `err` = failed or wrong result, `-` = not run.", "",
             "| device | method | n | precision | block | best | best ms | " + " | ".join(order) + " |",
             "|" + "---|" * (7 + len(order))]
    for r in summary["groups"]:
        cells = []
        for p in order:
            e = r["placements"].get(p)
            if e is None:
                cells.append("-")
            elif "regret" in e:
                cells.append(f"{e['regret']:.3f}")
            else:
                cells.append("inf." if e["status"] == "infeasible" else "err")
        best_ms = f"{r['best_ms']:.3f}" if r["best_ms"] is not None else "-"
        lines.append(f"| {r['device']} | {r['method']}/{r['controller']} | {r['n']} | {r['precision']} | "
                     f"{r['block_size']} | {r['best'] or '-'} | {best_ms} | " + " | ".join(cells) + " |")
    lines += ["", "| placement | groups | wins | median regret | max regret | infeasible | failed |",
              "|---|---|---|---|---|---|---|"]
    for p in order:
        s = summary["per_placement"][p]
        med = "-" if s["median_regret"] is None else f"{s['median_regret']:.3f}"
        mx = "-" if s["max_regret"] is None else f"{s['max_regret']:.3f}"
        lines.append(f"| {p}{' (planner)' if p in PLANNERS else ''} | {s['groups_measured']} | {s['wins']} | "
                     f"{med} | {mx} | {s['infeasible']} | {s['failed']} |")
    twins = summary["same_kernel_spread"]
    if twins["pairs"]:
        lines += ["", f"Timing noise: {twins['pairs']} pairs of placements launched the same compiled kernel; "
                  f"their times differ by {twins['median']:.3f} (median) and {twins['max']:.3f} (max) relative. "
                  "Regrets below that are ties."]
    spread = [r for r in summary["groups"] if r["checksum_spread"] and r["checksum_spread"] > 1e-4]
    if spread:
        lines += ["", "Groups whose placements disagree on the final states (relative checksum spread > 1e-4): "
                  + ", ".join(f"{r['method']} n={r['n']} {r['precision']} b{r['block_size']} "
                              f"({r['checksum_spread']:.2e})" for r in spread)]
    return "\n".join(lines) + "\n"


def write_summary(out_dir, paths):
    summary = summarize(paths)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "placement_sweep_summary.json"), "w") as fh:
        json.dump(summary, fh, indent=1, default=json_default)
    text = markdown(summary)
    with open(os.path.join(out_dir, "placement_sweep_summary.md"), "w") as fh:
        fh.write(text)
    print(text, flush=True)
    print(f"summary: {os.path.join(out_dir, 'placement_sweep_summary.json')} and .md", flush=True)
    return summary
