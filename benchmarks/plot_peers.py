#!/usr/bin/env python3
"""Draw time against N (log-log), one panel per case, from ``peers_*.json`` files of ``peers.py``.

    python -m benchmarks.plot_peers benchmarks/results/peers_nvidia-h100*.json -o peers.png

Several files (for instance one run per case, told apart by ``--tag``) are merged
(``FILE:peer1,peer2`` takes only the named peers from a file):
for one case and peer, a later file's measurements replace an earlier one's at the
same N.  Solid lines: kernel time (median); dashed, same colour: wall time of the
whole call including transfers (``--no-wall`` leaves them out).
"""

from __future__ import annotations

import argparse
import json
import sys

from .peer_problems import problem_name, table_title

CASE_ORDER = ("tsit5_fixed", "tsit5_adaptive", "rk4_fixed")


def merge(docs):
    """{case: {peer: {log2_n: measurement}}} from peers.py documents, later ones winning.

    Raises ValueError for documents of different problems (one figure holds one problem)."""
    names = sorted({problem_name(doc.get("settings") or {}) for doc in docs})
    if len(names) > 1:
        raise ValueError(f"the files hold different problems ({', '.join(names)}): draw one figure per problem")
    out = {}
    for doc in docs:
        for case, peers in doc.get("results", {}).items():
            for peer, entry in peers.items():
                for m in entry.get("measurements", []):
                    out.setdefault(case, {}).setdefault(peer, {})[m["log2_n"]] = m
    return out


def plot(docs, path, wall=True):
    """Write the PNG to ``path``; raises ImportError without matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = merge(docs)
    cases = [c for c in CASE_ORDER if c in data] + [c for c in data if c not in CASE_ORDER]
    if not cases:
        raise ValueError("no measurements in the given files")
    fig, axes = plt.subplots(1, len(cases), figsize=(5.2 * len(cases), 4.4), squeeze=False)
    colours = {}
    for ax, case in zip(axes[0], cases):
        for peer in sorted(data[case], key=lambda p: (p != "reference", p)):
            ms = data[case][peer]
            ks = sorted(ms)
            ns = [2 ** k for k in ks]
            colour = colours.setdefault(peer, f"C{len(colours) % 10}")
            ax.loglog(ns, [ms[k]["kernel_ms_median"] for k in ks], "o-", color=colour, ms=3, label=peer)
            if wall:
                ax.loglog(ns, [ms[k]["wall_ms_median"] for k in ks], "--", color=colour, lw=0.9, alpha=0.6)
        ax.set_xscale("log", base=2)
        ax.set_title(case)
        ax.set_xlabel("N (trajectories)")
        ax.set_ylabel("time per solve (ms)")
        ax.grid(True, which="both", lw=0.3, alpha=0.5)
        ax.legend(fontsize=7)
    device = docs[-1].get("device", {}).get("name", "?")
    title = table_title(docs[-1].get("settings", {}))
    fig.suptitle(f"{title}, float32, {device} (solid: kernel, dashed: wall incl. transfers)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.plot_peers", description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+",
                    help="peers_*.json written by peers.py; FILE:peer1,peer2 takes only those peers from FILE")
    ap.add_argument("-o", "--output", default=None, help="PNG path (default: the first file with .png)")
    ap.add_argument("--no-wall", dest="wall", action="store_false")
    args = ap.parse_args(argv)
    docs = []
    for spec in args.files:
        name, _, only = spec.partition(":")
        try:
            with open(name) as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as exc:
            print(f"plot_peers: error: cannot read {name!r} as a peers.py JSON ({exc})", file=sys.stderr)
            return 2
        if only:
            keep = set(only.split(","))
            doc["results"] = {case: {p: e for p, e in peers.items() if p in keep}
                              for case, peers in doc.get("results", {}).items()}
        docs.append(doc)
    path = args.output or args.files[0].partition(":")[0].rsplit(".", 1)[0] + ".png"
    try:
        plot(docs, path, wall=args.wall)
    except ImportError as exc:
        print(f"plot_peers: matplotlib is needed ({exc})", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"plot_peers: error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
