"""Rate today's ``auto`` plans by a committed placement sweep's timings, without a GPU (issue #14).

A placement sweep times every placement of a configuration on one card.  When the cost model
changes, the ``auto`` plan it picks now is often a layout the sweep already timed (all-local, the
greedy plan, a buffer group in shared memory).  This plans ``auto`` again for every group of a sweep
JSONL, with the compiler in the loop where ``ptxas`` is installed (run with ``NUMBA_ENABLE_CUDASIM=0``:
Numba's CUDA target compiles for compute capability 9.0 without a driver, and ``ptxas -v`` gives the
registers and spills the GPU would), finds the timed placement with the same layout (every buffer's
placement and offset, the block size), and reports the regret the sweep measured for that layout:

    NUMBA_ENABLE_CUDASIM=0 python -m benchmarks.sweep_replay SWEEP.jsonl --device h200 --out DIR

A group whose new ``auto`` layout the sweep never timed is listed as ``not timed``: only a GPU run can
rate it.  The timings are the sweep's card's; the plans are the ``--device`` preset's (give the
preset of the card the sweep ran on, or one with the same limits).  Writes ``sweep_replay.json`` and
``sweep_replay.md`` under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

if not __package__:  # run as a file: the imports below are package-relative
    raise SystemExit("run it as a module from the repository root: python -m benchmarks.sweep_replay SWEEP.jsonl")

from . import environment as env  # noqa: E402
from .sweep_plans import group_key, plan_record  # noqa: E402

WITHIN = 0.05  # the acceptance's "within 5 % of the fastest measured placement"


def timed_groups(path):
    """``{group key: [config record, ...]}`` of the sweep's timed configurations, and its run record."""
    groups, run = {}, None
    with open(path) as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("record") == "run" and run is None:
                run = rec
            elif rec.get("record") == "config" and rec.get("status") == "ok" and rec.get("kernel_ms"):
                groups.setdefault(group_key(rec), []).append(rec)
    return groups, run


def _layout(record, block_size):
    return block_size, record["plan"]["shared_bytes_per_block"], tuple(sorted(record["plan"]["placements"].items()))


def replay_group(members, device):
    """The row of one group: today's ``auto`` plan, the timed placement with its layout and that regret."""
    import kernels

    c = members[0]
    integ = kernels.Integrator(kernels.oscillator_chain(c["n"]), c["method"], c["controller"],
                               np.dtype(c["precision"]).type)
    start = time.perf_counter()
    plan = integ.plan("auto", block_size=c["block_size"], device=device)
    planning_s = time.perf_counter() - start
    mine = _layout(plan_record(plan, device), plan.block_size)
    best = min(members, key=lambda m: m["kernel_ms"])
    same = [m for m in members if _layout(m, m["block_size"]) == mine]
    cost = plan.cost
    row = {"method": c["method"], "controller": c["controller"], "n": c["n"], "precision": c["precision"],
           "block_size": c["block_size"], "best": best["placement"], "best_ms": best["kernel_ms"],
           "auto_shared_bytes": plan.shared_bytes_per_block, "planning_s": round(planning_s, 2),
           "compiler_note": cost.note if cost else "", "compiler_rounds": len(cost.rounds) if cost else 0,
           "timed_as": None, "regret": None}
    if same:
        timed = min(same, key=lambda m: m["kernel_ms"])
        row.update(timed_as=sorted({m["placement"] for m in same}), auto_ms=timed["kernel_ms"],
                   regret=round(timed["kernel_ms"] / best["kernel_ms"] - 1.0, 4))
    local = [m for m in members if m["placement"] == "local"]
    if local and same:
        row["vs_local"] = round(local[0]["kernel_ms"] / row["auto_ms"], 3)
    return row


def summary_md(rows, header):
    lines = [header, "", "| method | n | precision | block | fastest | fastest ms | auto timed as | auto ms | regret "
             "| x all-local | planning s | compiler |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        timed = ", ".join(r["timed_as"]) if r["timed_as"] else "not timed"
        regret = "-" if r["regret"] is None else f"{r['regret']:.3f}"
        auto_ms = f"{r['auto_ms']:.3f}" if r.get("auto_ms") else "-"
        lines.append(f"| {r['method']}/{r['controller']} | {r['n']} | {r['precision']} | {r['block_size']} | "
                     f"{r['best']} | {r['best_ms']:.3f} | {timed} | {auto_ms} | {regret} | "
                     f"{r.get('vs_local', '-')} | {r['planning_s']} | {r['compiler_note']} |")
    rated = [r for r in rows if r["regret"] is not None]
    within = sum(r["regret"] <= WITHIN for r in rated)
    lines += ["", f"auto within {WITHIN:.0%} of the fastest timed placement in {within} of {len(rated)} groups whose "
                  f"auto layout was timed; {len(rows) - len(rated)} groups not timed."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    import planner

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", help="a placement_sweep JSONL file")
    parser.add_argument("--device", default="h200", help="the device preset to plan on (default h200)")
    parser.add_argument("--out", required=True, help="directory for sweep_replay.json and sweep_replay.md")
    args = parser.parse_args(argv)
    device = planner.get_device(args.device)
    groups, run = timed_groups(args.sweep)
    if not groups:
        parser.error(f"sweep: no timed configuration in {args.sweep}")
    rows = []
    for key in sorted(groups, key=lambda k: (k[0], k[2], k[3], k[4])):
        rows.append(replay_group(groups[key], device))
        r = rows[-1]
        print(f"{key}: auto as {r['timed_as'] or 'not timed'}, regret {r['regret']}, {r['planning_s']} s",
              file=sys.stderr, flush=True)
    os.makedirs(args.out, exist_ok=True)
    card = (run or {}).get("device", {}).get("name", "unknown")
    header = (f"# Sweep replay: today's auto plans ({args.device} preset) rated by {os.path.basename(args.sweep)} "
              f"(timed on {card})")
    env.write_json(os.path.join(args.out, "sweep_replay.json"), {
        "command": " ".join(["python", "-m", "benchmarks.sweep_replay"] + (argv or sys.argv[1:])),
        "sweep": args.sweep, "timed_on": card, "device_preset": device.to_json(),
        "backend": os.environ.get("NUMBA_ENABLE_CUDASIM", ""), "git": env.git_state(), "versions": env.versions(),
        "rows": rows})
    with open(os.path.join(args.out, "sweep_replay.md"), "w") as fh:
        fh.write(summary_md(rows, header))
    return rows


if __name__ == "__main__":
    main()
