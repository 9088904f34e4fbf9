"""Plans for ``benchmarks.stiff_peers`` solved here and shipped as JSON (issue #14, item 6).

On the GPU machine the carried cubie site and the OR-Tools wheel do not fit the
carry limit together, and ``plan="auto"`` needs CP-SAT and ptxas (the compiler in
the loop).  So the placements are planned here, one fresh process per plan (a
plan past ``--budget-s`` is killed and recorded), on the Integrator the worker
builds (``stiff_worker.make_integrator``) at the block size it launches with,
and written to ``DIR/<method>[-<solver>]_n<n>_<precision>_<choice>.json``:
the plan's JSON (with its cost record: predicted and ptxas-measured registers and
spills for ``auto``), what it was solved for, and the command.  ``DIR/index.json``
records every attempt (written, infeasible, error, timeout) and its seconds.
Choices are ``kernels.planning.PLAN_CHOICES`` or ``sweep_plans`` groups
(``factor-shared``: the LU factor(s) shared, the rest local; ``factor-local``),
each planned for the launch's default block size or, with a ``.b<k>`` suffix
(``factor-shared.b64``), for blocks of k threads (:func:`block_of`).

    NUMBA_ENABLE_CUDASIM=0 python -m benchmarks.stiff_plans              # ptxas in the loop
    python -m benchmarks.stiff_plans --sizes 4 --dir /tmp/p             # simulator plans (block 1)
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime
import json
import os
import subprocess
import sys
import time

from . import environment as env
from . import stiff_problem

SCHEMA = "bufferplan.stiff_plan/1"
DATA = os.path.join(env.ROOT, "benchmarks", "data", "stiff_plans")
CHOICES = ("auto", "factor-shared", "factor-local", "loop-shared")
PLANNED_BY_WORKER = ("local", "shared")  # stiff_worker plans these itself: no file


def base_choice(choice):
    """``choice`` without its suffixes: ``local#2`` is ``local`` timed again under a second label, and
    ``local+r128`` is ``local`` built with at most 128 registers a thread (:func:`register_cap`)."""
    return choice.split("#")[0].split("+")[0]


def register_cap(choice):
    """The register cap of a choice's ``+r<k>`` suffix (``local+r128``: 128), None without one.

    None builds with the library's own cap (``Integrator.max_registers``, :mod:`kernels.register_cap`:
    128 for large implicit steps); ``+r255`` builds without a cap.

    A cap trades registers for occupancy: more threads resident an SM to hide the latency of a kernel
    that keeps much of its state in local memory anyway.  Raises ValueError for a malformed suffix.
    """
    head = choice.split("#")[0]
    if "+" not in head:
        return None
    suffix = head.split("+", 1)[1]
    if not (suffix.startswith("r") and suffix[1:].isdigit() and 16 <= int(suffix[1:]) <= 255):
        raise ValueError(f"plan choice {choice!r}: a '+' suffix is a register cap, '+r<k>' with k from 16 to 255 "
                         f"(e.g. local+r128); got '+{suffix}'")
    return int(suffix[1:])


def block_of(choice):
    """``(placement, block size or None)`` of a plan-file choice: ``factor-shared.b64`` is the
    ``factor-shared`` placement planned for blocks of 64 threads (the plan's block size is the launch's);
    without a ``.b<k>`` suffix, the launch default.  Raises ValueError for a malformed suffix."""
    head, dot, tail = choice.rpartition(".b")
    if not dot:
        return choice, None
    if not (tail.isdigit() and 1 <= int(tail) <= 1024 and head):
        raise ValueError(f"plan choice {choice!r}: a '.b' suffix is a block size, '.b<k>' with k from 1 to 1024 "
                         f"(e.g. factor-shared.b64)")
    return head, int(tail)


def planned_by_worker(choice):
    """Whether stiff_worker plans ``choice`` itself (no plan file), its suffixes aside (:func:`base_choice`)."""
    return base_choice(choice) in PLANNED_BY_WORKER


class PlanFileError(Exception):
    """A plan file that is missing or was solved for another configuration."""


def file_name(method, n, precision, choice, impl_name="bufferplan-lu"):
    solver = impl_name.split("-", 1)[1]
    tag = method if solver == "lu" else f"{method}-{solver}"
    return f"{tag}_n{n}_{precision}_{choice}.json"


def plan_path(plan_dir, cfg):
    """The plan file of a stiff_peers/stiff_plans configuration (``method``, ``n``, ``precision``, ...).

    A choice timed again (``auto#2``) reads the same file.
    """
    return os.path.join(plan_dir, file_name(cfg["run_method"], cfg["n"], cfg["precision"], base_choice(cfg["plan"]),
                                            cfg["impl_name"]))


def load_plan(integ, path):
    """The plan in file ``path`` verified against ``integ`` (``kernels.PlanMismatchError`` when it does not fit)."""
    import planner

    if not path or not os.path.exists(path):
        raise PlanFileError(f"no plan file {path!r}: {_index_reason(path)}")
    with open(path) as fh:
        doc = json.load(fh)
    got = doc.get("config", {})
    want = {"run_method": integ.method.name, "n": integ.system.n_states}
    if any(got.get(k) != v for k, v in want.items()):
        raise PlanFileError(f"plan file {path!r} was solved for {got}, not {want}")
    return integ.plan(planner.Plan.from_json(doc["plan"]))


def _index_reason(path):
    """Why ``path`` was not written, from its directory's index.json, or how to write it."""
    index = os.path.join(os.path.dirname(path or ""), "index.json")
    if path and os.path.exists(index):
        with open(index) as fh:
            entry = json.load(fh).get(os.path.basename(path)[:-5])
        if entry:
            return f"{entry['status']}: {entry.get('reason', '')}"[:300]
    return "solve it with python -m benchmarks.stiff_plans (OR-Tools, ptxas) and commit it"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    stiff_problem.add_configuration_arguments(ap)
    ap.add_argument("--choices", default=",".join(CHOICES))
    ap.add_argument("--impls", default="bufferplan-lu",
                    help="bufferplan-lu, bufferplan-gmres, bufferplan-lujac, bufferplan-lumem, bufferplan-lureg")
    ap.add_argument("--budget-s", type=float, default=300.0, help="a plan's process is killed past it")
    ap.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    ap.add_argument("--dir", default=DATA)
    ap.add_argument("--one", help=argparse.SUPPRESS)  # a child: one configuration as JSON
    args = ap.parse_args(argv)
    bad = [c for c in args.choices.split(",") if c in PLANNED_BY_WORKER]
    if bad:
        ap.error(f"--choices: {bad} are planned by stiff_worker itself (no file); choose others")
    for choice in args.choices.split(","):
        try:
            block_of(choice)
        except ValueError as exc:
            ap.error(f"--choices: {exc}")
    return args


def configurations(args):
    from .stiff_peers import SOLVER_OF

    out = []
    for n in (int(s) for s in args.sizes.split(",")):  # small first: a cut-off run has them
        for precision in args.precisions.split(","):
            for method in args.methods.split(","):
                for impl in args.impls.split(","):
                    for choice in args.choices.split(","):
                        out.append({"run_method": method, "n": n, "precision": precision, "impl_name": impl,
                                    "solver": SOLVER_OF[impl], "plan": choice})
    return out


def solve_one(cfg, plan_dir, command):
    """Plan one configuration in this process and write its file; the attempt's record."""
    from kernels.backend import backend
    from kernels.device import default_block_size

    from .stiff_worker import make_integrator
    from .sweep_plans import plan_config

    t = time.perf_counter()
    integ = make_integrator(cfg)
    placement, block = block_of(cfg["plan"])
    if block is None:  # what stiff_worker's launch uses (128 on a GPU or offline, 1 on the simulator)
        block = default_block_size()
    plan, failure = plan_config({"placement": placement, "block_size": block}, integ)
    seconds = round(time.perf_counter() - t, 2)
    if plan is None:
        return {"status": failure[0], "reason": failure[1], "seconds": seconds}
    cost = plan.cost
    doc = {"schema": SCHEMA, "config": dict(cfg, block_size=block), "integrator": repr(integ),
           "jacobian": integ.jacobian, "solver": str(integ.solver), "device_model": integ.device().name,
           "backend": backend(),
           "summary": plan.summary(), "plan_seconds": seconds,
           "compiler_note": None if cost is None else cost.note,
           "plan": plan.to_json(), "command": command,
           "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "git": env.git_state()}
    env.write_json(os.path.join(plan_dir, file_name(cfg["run_method"], cfg["n"], cfg["precision"], cfg["plan"],
                                                    cfg["impl_name"])), doc)
    return {"status": "written", "seconds": seconds, "summary": doc["summary"], "compiler_note": doc["compiler_note"]}


def run_child(cfg, args, command):
    t = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.stiff_plans", "--one", json.dumps(cfg),
                               "--dir", args.dir, "--choices", cfg["plan"]],
                              capture_output=True, text=True, timeout=args.budget_s, cwd=env.ROOT,
                              env=dict(os.environ, STIFF_PLANS_COMMAND=command))
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "reason": f"not solved within --budget-s {args.budget_s:g} s",
                "seconds": round(time.perf_counter() - t, 1)}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if lines:
        return json.loads(lines[-1][7:])
    return {"status": "error", "reason": f"exit {proc.returncode}: {proc.stderr.strip()[-600:]}",
            "seconds": round(time.perf_counter() - t, 1)}


def main(argv=None):
    args = parse_args(argv)
    if args.one:  # a child process
        try:
            res = solve_one(json.loads(args.one), args.dir, os.environ.get("STIFF_PLANS_COMMAND", ""))
        except Exception as exc:  # noqa: BLE001 - the parent records why
            res = {"status": "error", "reason": env.short_error(exc)}
        print("RESULT " + json.dumps(res), flush=True)
        return 0
    command = " ".join(["python", "-m", "benchmarks.stiff_plans"] + list(sys.argv[1:] if argv is None else argv))
    index_path = os.path.join(args.dir, "index.json")
    index = {}
    if os.path.exists(index_path):
        with open(index_path) as fh:
            index = json.load(fh)
    start = time.perf_counter()
    configs = configurations(args)
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_child, c, args, command): c for c in configs}
        for fut in cf.as_completed(futures):
            cfg = futures[fut]
            key = file_name(cfg["run_method"], cfg["n"], cfg["precision"], cfg["plan"], cfg["impl_name"])[:-5]
            index[key] = res = dict(fut.result(), command=command)
            env.write_json(index_path, dict(sorted(index.items())))
            print(f"[{time.perf_counter() - start:7.1f} s] {key}: {res['status']} ({res.get('seconds')} s) "
                  f"{res.get('reason') or res.get('compiler_note') or ''}"[:220], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
