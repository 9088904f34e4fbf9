"""Fit the cost model's access costs (shared, spilled) to a stiff placement run's measured times (issue #14).

``planner calibrate`` fits the register constants; the access costs need each
buffer's access weight, which only the planning problem has.  A
``stiff_peers`` run with several placements per configuration has both: for
every timed bufferplan kernel this rebuilds its Plan (``local``/``shared``
planned as the worker did, any other choice from the plan files) and the
planning problem of its Integrator, and rates it with the model's
``measured`` figures (the run's own registers, local bytes and shared bytes)
under each candidate ``(shared_access_cost, shared_memory_access_cost,
spill_access_cost)``.  Per
configuration the model's choice is the placement it rates fastest; its
regret is that placement's measured time over the fastest one's.  A
``placement_probe`` run (hand-pinned placements of one configuration per
block size) adds one configuration per block size, its plans rebuilt from
their pins (its ``auto`` row with the committed plan file it timed).  The grid
point with the smallest total regret (ties: most configurations within 5 %)
is reported beside the device model's current constants.

Usage::

    python -m benchmarks.access_costs RUN.json[=PLAN_DIR] [RUN.json ...] [--out FILE.json]

where each RUN.json is a ``stiff_peers`` or a ``placement_probe`` result (``=PLAN_DIR``: the plan
files that run timed, where they are not ``--plan-dir``'s; with several runs, each one's
configurations are rated apart).

``--saturations``, ``--byte-costs``, ``--traffic-occupancies``, ``--l1-factors``, ``--access-shares`` and
``--parallelisms`` (comma lists) add ``saturation_occupancy``, ``local_byte_cost``, ``traffic_occupancy``,
``l1_factor`` (0: no L1 term), ``traffic_access_share`` (0: frame bytes, 1: access bytes) and
``traffic_parallelism`` (0: no loads-in-flight term) to the grid (without them, the device's own value); with
``--traffic-occupancies`` the best point of each of its values is printed too. The full grid is 1680 points of
the four access costs times those lists, each a rating of every placement; ``--only NAME,NAME`` fits those
constants alone and holds every other at the device's value (``--only traffic_occupancy,local_byte_cost``:
``len(traffic occupancies) x len(byte costs)`` points).

Runs on the CPU (the simulator's backend is enough: nothing is compiled), with the
plan files the run timed (its commit): a configuration whose plan file has changed
since is left out, with a line saying so.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import sys

if not __package__:  # run as a file: the imports below are package-relative
    raise SystemExit("run it as a module from the repository root: python -m benchmarks.access_costs RUN.json")

from . import environment as env  # noqa: E402

SHARED = (1.0, 2.0, 4.0, 6.0, 10.0, 15.0, 20.0, 30.0)
SHARED_MEMORY = (0.5, 1.0, 2.0, 4.0, 6.0)
SPILL = (4.0, 10.0, 15.0, 20.0, 30.0, 40.0, 60.0)
L2_FACTOR = (1.0, 0.7, 0.5, 0.3, 0.2, 0.1)  # local accesses the L2 serves cost this share of a miss


PROBE_SCHEMA = "bufferplan.placement_probe/1"


def _load(paths):
    """``(stiff_peers documents, placement_probe documents)`` of ``paths``."""
    runs, probes = [], []
    for path in paths:
        with open(path) as fh:
            doc = json.load(fh)
        (probes if doc.get("schema") == PROBE_SCHEMA else runs).append(doc)
    return runs, probes


def rows_of(docs):
    """``(config key, choice, ms, resources, row)`` of every timed bufferplan kernel in the runs."""
    out = []
    for doc in docs:
        for row in doc["results"]:
            ms = (row.get("kernel") or {}).get("median_ms")
            res = row.get("resources") or {}
            if not row.get("impl_name", "").startswith("bufferplan") or ms is None or "registers_per_thread" not in res:
                continue
            key = (row["impl_name"], row["run_method"], row["n"], row["precision"])
            out.append((key, row["choice"], ms, res, row))
    return out


def rated(rows, plan_dir=None):
    """Per configuration: ``[(choice, ms, problem, plan, resources)]`` with the Plan and problem rebuilt."""
    from . import stiff_plans
    from .stiff_worker import make_integrator, worker_plan

    groups, integrators, problems = {}, {}, {}
    for key, choice, ms, res, row in rows:
        cfg = {"run_method": row["run_method"], "n": row["n"], "precision": row["precision"],
               "impl_name": row["impl_name"], "solver": row["solver"], "plan": choice}
        if key not in integrators:  # one Integrator a configuration, whatever its placements
            integrators[key] = make_integrator(cfg)
        integ = integrators[key]
        if not stiff_plans.planned_by_worker(choice):
            cfg["plan_file"] = stiff_plans.plan_path(plan_dir or stiff_plans.DATA, cfg)
        block = (row.get("plan") or {}).get("block_size")
        try:  # a worker-planned choice at the block size the run launched it with (the simulator's default is 1)
            plan = (integ.plan(stiff_plans.base_choice(choice), block_size=block)
                    if block and stiff_plans.planned_by_worker(choice) else worker_plan(integ, cfg))
        except Exception as exc:  # noqa: BLE001 - a plan file changed since the run: left out, said why
            print(f"skip {key} {choice}: {type(exc).__name__}: {str(exc)[:100]}", file=sys.stderr)
            continue
        timed = (row.get("plan") or {}).get("shared_bytes_per_block")
        if timed is not None and timed != plan.shared_bytes_per_block:
            print(f"skip {key} {choice}: the plan file is not the one timed ({plan.shared_bytes_per_block} "
                  f"shared bytes a block, the run {timed}): check out the run's commit", file=sys.stderr)
            continue
        if (key, plan.block_size) not in problems:
            problems[key, plan.block_size] = _auto_problem(integ, plan.block_size)
        groups.setdefault(key, []).append((choice, ms, problems[key, plan.block_size], plan,
                                           _timed_resources(res, plan, res.get("source", ""))))
    return {k: v for k, v in groups.items() if len(v) > 1}


def _auto_problem(integ, block_size):
    """The planning problem of ``integ`` at ``block_size`` that the model rates plans against."""
    import numpy as np

    return integ.buffer_settings().to_problem(precision=np.dtype(integ.dtype).name, block_size=block_size,
                                              objective="auto", device="h200")


def _timed_resources(res, plan, source):
    """The Resources a run recorded for ``plan`` (its shared bytes where the run left them out)."""
    from kernels.resources import Resources

    return Resources(res["registers_per_thread"], res["local_bytes_per_thread"], None, None,
                     res.get("shared_bytes_per_block") or plan.shared_bytes_per_block, source)


def _probe_auto_plan(integ, cfg, row, plan_dir):
    """The probe's ``auto`` plan: the plan file of its configuration when its shared bytes are the ones timed."""
    from . import stiff_plans

    path = stiff_plans.plan_path(plan_dir or stiff_plans.DATA, {"run_method": cfg["method"], "n": cfg["n"],
                                                                "precision": cfg["precision"], "plan": "auto",
                                                                "impl_name": "bufferplan-lu"})
    try:
        plan = stiff_plans.load_plan(integ, path)
    except Exception as exc:  # noqa: BLE001 - no such file, or not this solve's: left out, said why
        print(f"skip probe auto {cfg['method']} n{cfg['n']}: {type(exc).__name__}: {str(exc)[:100]}", file=sys.stderr)
        return None
    timed = (row.get("plan") or {}).get("shared_bytes_per_block")
    if timed != plan.shared_bytes_per_block:
        print(f"skip probe auto {cfg['method']} n{cfg['n']}: the plan file is not the one timed", file=sys.stderr)
        return None
    return plan


def probe_groups(probes, plan_dir=None):
    """Per probe and block size: ``[(label, ms, problem, plan, resources)]``, each plan rebuilt from its pins.

    The ``auto`` row joins its block size's group when the plan file of its configuration (``plan_dir``, default
    the committed ones) is the plan it timed (its shared bytes)."""
    from .placement_probe import make_integrator

    groups, problems = {}, {}
    for doc in probes:
        cfg = doc["settings"]
        integ = make_integrator(cfg["method"], cfg["n"], cfg["precision"])
        for row in doc["results"]:
            ms, res = (row.get("kernel") or {}).get("median_ms"), row.get("resources") or {}
            if ms is None or "registers_per_thread" not in res:
                continue
            if row["choice"] == "auto":
                plan = _probe_auto_plan(integ, cfg, row, plan_dir)
                if plan is None:
                    continue
                block = plan.block_size
            else:
                block = row["block_size"]
                plan = integ.plan(row["choice"], block_size=block, pins=row["pins"])
            key = ("probe", cfg["method"], cfg["n"], f"{cfg['precision']}-b{block}")
            if key not in problems:
                problems[key] = _auto_problem(integ, block)
            groups.setdefault(key, []).append((row["label"], ms, problems[key], plan,
                                               _timed_resources(res, plan, "probe")))
    return {k: v for k, v in groups.items() if len(v) > 1}


def sweep_groups(paths):
    """Per placement-sweep group (method, n, precision, block): ``[(placement, ms, problem, plan, resources)]``.

    Each placement is planned again as the sweep planned it (:func:`benchmarks.sweep_plans.plan_config`, on the
    device model its run record carries: the live card's, with the cost constants of that day); one whose shared
    bytes differ from the ones timed is left out, with a line saying so.  With several sweeps each one's groups
    are kept apart (their keys carry the file's name): times of two runs are not compared."""
    import numpy as np

    import kernels
    import planner

    from .sweep_plans import plan_config

    groups, integrators, problems = {}, {}, {}
    for path in paths:
        with open(path) as fh:
            records = [json.loads(line) for line in fh if line.strip()]
        models = [planner.DeviceModel.from_json(r["device_model"]) for r in records
                  if r.get("record") == "run" and isinstance(r.get("device_model"), dict)]
        model = models[0] if models else "h100"
        for c in records:
            kernel = c.get("kernel") or {}
            if c.get("record") != "config" or c.get("status") != "ok" or not kernel.get("registers_per_thread"):
                continue
            key = (c["method"], c["controller"], c["n"], c["precision"])
            if key not in integrators:
                integrators[key] = kernels.Integrator(kernels.oscillator_chain(c["n"]), c["method"], c["controller"],
                                                      np.dtype(c["precision"]).type)
            integ = integrators[key]
            plan, failure = plan_config(c, _on_device(integ, model))
            if failure or plan.shared_bytes_per_block != c["plan"]["shared_bytes_per_block"]:
                print(f"skip sweep {key} {c['placement']}: not the plan timed", file=sys.stderr)
                continue
            tag = (os.path.basename(path).rsplit(".", 1)[0],) if len(paths) > 1 else ()  # each sweep apart
            gkey = ("sweep",) + tag + key + (f"b{c['block_size']}",)
            if (key, plan.block_size) not in problems:
                problems[key, plan.block_size] = _auto_problem(integ, plan.block_size)
            groups.setdefault(gkey, []).append((c["placement"], c["kernel_ms"], problems[key, plan.block_size], plan,
                                                _timed_resources(kernel, plan, "sweep")))
    return {k: v for k, v in groups.items() if len(v) > 1}


class _on_device:
    """``integ`` planning on a given device model (the sweep planned on the live device)."""

    def __init__(self, integ, device):
        self.integ, self.device = integ, device

    def plan(self, choice, block_size=None, pins=None):
        return self.integ.plan(choice, block_size=block_size, device=self.device, pins=pins)

    def buffer_settings(self):
        return self.integ.buffer_settings()


def score(groups, device):
    """``(total regret, configurations within 5 %, per-configuration choices)`` of ``device``'s constants."""
    from planner.costmodel import measured

    total, within, picks = 0.0, 0, {}
    for key, members in groups.items():
        best_ms = min(ms for _, ms, *_ in members)
        ratings = [(measured(problem, plan, res, device).throughput, choice, ms)
                   for choice, ms, problem, plan, res in members]
        _, choice, ms = max(ratings, key=lambda r: r[0])
        regret = ms / best_ms - 1.0
        total += regret
        within += regret <= 0.05
        picks["/".join(map(str, key))] = {"model": choice, "regret": round(regret, 4),
                                          "fastest": min(members, key=lambda m: m[1])[0]}
    return total, within, picks


COSTS = ("shared_access_cost", "shared_memory_access_cost", "spill_access_cost", "l2_access_factor")
#: The constants a grid may vary besides :data:`COSTS`, each with its command-line list (default: the device's own).
EXTRA = ("saturation_occupancy", "local_byte_cost", "traffic_occupancy", "l1_factor", "traffic_access_share",
         "traffic_parallelism")
FITTABLE = COSTS + EXTRA


def grid(device, saturations=(), byte_costs=(), traffic_occupancies=(), only=None, l1_factors=(), access_shares=(),
         parallelisms=()):
    """``(names, axes)`` of the fit's grid: the four access costs' lists, then each extra constant given a list.

    ``only`` (names among :data:`FITTABLE`): those constants vary, every other is held at ``device``'s value.
    """
    lists = dict(zip(COSTS, (SHARED, SHARED_MEMORY, SPILL, L2_FACTOR)))
    lists.update((n, tuple(v)) for n, v in zip(EXTRA, (saturations, byte_costs, traffic_occupancies, l1_factors,
                                                       access_shares, parallelisms)) if v)
    if only is not None:
        unknown = sorted(set(only) - set(FITTABLE))
        if unknown:
            raise ValueError(f"only: unknown constant(s) {unknown}; expected some of {list(FITTABLE)}")
        lists = {n: (v if n in only else (getattr(device, n),)) for n, v in lists.items()}
    names = tuple(lists)
    return names, tuple(lists[n] for n in names)


def fit(groups, device, saturations=(), byte_costs=(), traffic_occupancies=(), only=None, by=None, l1_factors=(),
        access_shares=(), parallelisms=()):
    """``(constants, total regret, within 5 %, picks)`` of the grid point with the smallest total regret.

    ``saturations`` adds ``saturation_occupancy`` (the occupancy from which latency counts as hidden),
    ``byte_costs`` ``local_byte_cost`` (the traffic bound's price of a local byte) and ``traffic_occupancies``
    ``traffic_occupancy`` (the occupancy below which the traffic bound grows) to the grid; by default the
    device's own; ``l1_factors`` ``l1_factor`` (the L1 term's, 0: none), ``access_shares``
    ``traffic_access_share`` (the traffic bound's share of local access bytes against frame bytes) and
    ``parallelisms`` ``traffic_parallelism`` (its loads-in-flight exponent, 0: none); ``only``: see :func:`grid`.
    Ties go to more configurations within 5 %, then to the point nearest the device's own constants.  ``by`` (a dict,
    filled in): the same four for the best point of each value of ``traffic_occupancy`` where it is fitted.
    """
    names, axes = grid(device, saturations, byte_costs, traffic_occupancies, only, l1_factors, access_shares,
                       parallelisms)
    best = None
    for point in itertools.product(*axes):
        values = dict(zip(names, point))
        trial = dataclasses.replace(device, **values)
        total, within, picks = score(groups, trial)
        key = (total, -within, sum(abs(v - getattr(device, c)) for c, v in values.items()))
        entry = (key, values, total, within, picks)
        if best is None or key < best[0]:
            best = entry
        if by is not None and "traffic_occupancy" in values and traffic_occupancies:
            value = values["traffic_occupancy"]
            if value not in by or key < by[value][0]:
                by[value] = entry
    if by is not None:
        for value in list(by):
            by[value] = by[value][1:]
    return best[1:]


def load_groups(specs, sweeps=(), plan_dir=None):
    """Every configuration of the runs ``specs`` (``RUN.json[=PLAN_DIR]``) and the placement sweeps ``sweeps``."""
    loaded = [(path, own, _load([path])) for path, _, own in (s.partition("=") for s in specs)]  # each read once
    groups = {}
    for _, own, (_, probes) in loaded:  # each probe's auto row with its own plan files
        groups.update(probe_groups(probes, own or plan_dir))
    for path, own, (runs, _) in loaded:  # each stiff_peers run rated with its own plan files, apart
        tag = (os.path.basename(path)[:-5],) if len(specs) > 1 else ()
        groups.update({tag + key: members for key, members in rated(rows_of(runs), own or plan_dir).items()})
    groups.update(sweep_groups(sweeps))
    return groups


def main(argv=None):
    import planner

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", help="stiff_peers or placement_probe JSON files with several placements "
                                                "per configuration; RUN.json=DIR rates a run with the plan files "
                                                "of DIR")
    parser.add_argument("--out", help="write the fit and the per-configuration choices here")
    parser.add_argument("--sweep", nargs="*", default=[],
                        help="placement_sweep JSONL files to rate beside the runs (explicit chains)")
    parser.add_argument("--saturations", default="",
                        help="comma list of saturation_occupancy values to fit too (default: the device's own)")
    parser.add_argument("--byte-costs", default="",
                        help="comma list of local_byte_cost values to fit too (default: the device's own)")
    parser.add_argument("--traffic-occupancies", default="",
                        help="comma list of traffic_occupancy values to fit too (default: the device's own)")
    parser.add_argument("--l1-factors", default="",
                        help="comma list of l1_factor values to fit too (0: no L1 term; default: the device's own)")
    parser.add_argument("--access-shares", default="",
                        help="comma list of traffic_access_share values to fit too (0: the traffic bound prices the "
                             "local frame once a step, 1: the local accesses' bytes; default: the device's own)")
    parser.add_argument("--parallelisms", default="",
                        help="comma list of traffic_parallelism values to fit too (0: no loads-in-flight term; "
                             "default: the device's own)")
    parser.add_argument("--only", default=None,
                        help="comma list of the constants to fit (of %s); every other is held at the device's "
                             "value" % ", ".join(FITTABLE))
    parser.add_argument("--plan-dir", default=None,
                        help="the plan files the run timed (default benchmarks/data/stiff_plans)")
    args = parser.parse_args(argv)
    device = planner.get_device("h200")
    groups = load_groups(args.runs, args.sweep, args.plan_dir)
    if not groups:
        parser.error("no configuration has two timed placements in these runs")
    now_total, now_within, now_picks = score(groups, device)
    saturations, byte_costs, occupancies, l1_factors, shares, parallelisms = (_floats(v) for v in (
        args.saturations, args.byte_costs, args.traffic_occupancies, args.l1_factors, args.access_shares,
        args.parallelisms))
    only = None if args.only is None else tuple(v.strip() for v in args.only.split(",") if v.strip())
    try:
        grid(device, saturations, byte_costs, occupancies, only, l1_factors, shares, parallelisms)
    except ValueError as exc:
        parser.error(str(exc))
    by = {}
    constants, total, within, picks = fit(groups, device, saturations, byte_costs, occupancies, only, by, l1_factors,
                                          shares, parallelisms)
    n = len(groups)
    current = {c: getattr(device, c) for c in FITTABLE}
    print(f"{n} configurations; current constants {current}: total regret {now_total:.3f}, {now_within}/{n} within 5 %")
    print(f"fitted: {constants}: total regret {total:.3f}, {within}/{n} within 5 %")
    for value in sorted(by):
        point, v_total, v_within, v_picks = by[value]
        moved = sorted(k for k in v_picks if v_picks[k]["model"] != now_picks[k]["model"])
        print(f"  traffic_occupancy {value:g}: best {point}: total regret {v_total:.3f}, {v_within}/{n} within 5 %; "
              f"{len(moved)} choice(s) moved: {', '.join(moved) or '-'}")
    for key in sorted(picks):
        print(f"  {key:40s} now {now_picks[key]['model']:>13s} {now_picks[key]['regret']:+.3f}   fitted "
              f"{picks[key]['model']:>13s} {picks[key]['regret']:+.3f}   fastest {picks[key]['fastest']}")
    if args.out:
        env.write_json(args.out, {"command": " ".join(["python", "-m", "benchmarks.access_costs"] + sys.argv[1:]),
                                  "runs": args.runs, "device_model": device.name,
                                  "current": dict(current, total_regret=now_total, within_5pct=now_within,
                                                  choices=now_picks),
                                  "fitted": dict(constants, total_regret=total, within_5pct=within, choices=picks),
                                  "by_traffic_occupancy": {f"{v:g}": dict(by[v][0], total_regret=by[v][1],
                                                                          within_5pct=by[v][2], choices=by[v][3])
                                                           for v in sorted(by)},
                                  "configurations": n, "git": env.git_state()})
    return constants


def _floats(text):
    return tuple(float(v) for v in text.split(",") if v.strip())


if __name__ == "__main__":
    main()
