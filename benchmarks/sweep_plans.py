"""Configurations of ``benchmarks.placement_sweep`` and how each placement is planned.

Every placement is planned through the public ``kernels.Integrator.plan``: the named ones
(``local``, ``shared``, the planners, ``auto``) by their plan choice, the buffer groups
(``loop-shared``, ``step-shared``, ``stages-shared``) as ``plan="greedy"`` with pins on the
settings tree (``pins={"loop.*": "shared", "loop.erk.*": "local"}``; see
``planner.BufferSettings.with_locations``).
"""

from __future__ import annotations

import itertools

import numpy as np

SIZES = (3, 8, 16, 32, 64, 128)
BLOCKS = (128, 64, 256)  # 128 first: a cut-off run has the default block for everything
PRECISIONS = ("float32", "float64")
NAMED = ("local", "shared", "sequential", "greedy", "cpsat", "auto")
GROUPS = ("loop-shared", "step-shared", "stages-shared")
STIFF_GROUPS = ("factor-shared", "factor-local")  # implicit steps: the LU factor(s) against every other buffer
PLACEMENTS = NAMED + GROUPS[:2]
# ``shared:PATTERN``: greedy with the buffers matching the shell pattern shared, every other local (a layout no
# named placement or group gives: ``shared:loop.state``, the one a cost-model variant chose for RK4 on 256 states)
PINNED_PREFIX = "shared:"
PLANNERS = ("sequential", "greedy", "cpsat", "auto")
QUICK_SIZES = (3, 16, 64, 128)


# -- configurations --------------------------------------------------------------------------
def config_key(c):
    return (f"{c['method']}/{c['controller']}/n{c['n']}/{c['precision']}/b{c['block_size']}/{c['placement']}"
            f"/N{c['n_traj']}/t{c['t_end']:g}/dt{c['dt']:g}")


def group_key(c):
    return (c["method"], c["controller"], c["n"], c["precision"], c["block_size"])


def preset_dims(name):
    """The (methods, sizes, precisions, placements, blocks) products of a preset."""
    import kernels

    if name == "quick":
        # In order of priority: the first four (74 kernels) fit one 9-minute device call at up to
        # 6 s per compile; the last two (32 more kernels) fit too when compiles take about 3 s,
        # and are otherwise left to a second call of the same command (it resumes).
        return [(("tsit5",), QUICK_SIZES, ("float32",), PLACEMENTS, (128,)),
                (("tsit5",), QUICK_SIZES, ("float64",), PLACEMENTS, (128,)),
                (("rk4",), QUICK_SIZES, ("float32",), PLACEMENTS, (128,)),
                (("tsit5",), (16,), ("float32",), PLACEMENTS, (64, 256)),
                (("rk4",), QUICK_SIZES, ("float64",), PLACEMENTS, (128,)),
                (("tsit5",), (16,), ("float64",), PLACEMENTS, (64, 256))]
    return [(tuple(kernels.TABLEAU_NAMES), SIZES, PRECISIONS, PLACEMENTS, BLOCKS)]


def make_configs(args):
    """The configurations in run order: a preset's, filtered by the selections, or the selections' product."""
    import kernels

    dims = preset_dims(args.preset or "full")
    names = ("methods", "sizes", "precisions", "placements", "blocks")
    configs, seen = [], set()
    for dim in dims:
        chosen = []
        for name, values in zip(names, dim):
            pick = getattr(args, name)
            if pick is None:
                chosen.append(values)
            elif args.preset:  # a preset is filtered
                chosen.append(tuple(v for v in values if v in pick))
            else:  # without one, the selection is the dimension (in its order)
                chosen.append(pick)
        methods, sizes, precisions, placements, blocks = chosen
        for block, method, n, prec, placement in itertools.product(blocks, methods, sizes, precisions, placements):
            adaptive = args.controller == "default" and kernels.TABLEAUS[method].adaptive
            c = {"method": method, "controller": "pi" if adaptive else "fixed", "n": n, "precision": prec,
                 "placement": placement, "block_size": block, "n_traj": args.n_traj, "t_end": args.t_end,
                 "dt": args.dt}
            if config_key(c) not in seen:
                seen.add(config_key(c))
                configs.append(c)
    return configs


# -- planning ----------------------------------------------------------------------------------
def group_pins(integ, placement):
    """The pins of a buffer-group placement on ``integ``'s settings tree (the loop and its step child), or of a
    ``shared:PATTERN`` one (:data:`PINNED_PREFIX`)."""
    tree = integ.buffer_settings()
    loop = tree.component
    step = f"{loop}.{tree.children[0].component}"
    groups = {"loop-shared": {f"{loop}.*": "shared", f"{step}.*": "local"},
              "step-shared": {f"{loop}.*": "local", f"{step}.*": "shared"},
              "stages-shared": {"*": "local", f"{step}.stage_rhs*": "shared"},
              "factor-shared": {"*": "local", "*.factor": "shared"},
              "factor-local": {"*": "shared", "*.factor": "local"}}
    if placement.startswith(PINNED_PREFIX) and len(placement) > len(PINNED_PREFIX):
        return {"*": "local", placement[len(PINNED_PREFIX):]: "shared"}
    if placement not in groups:
        raise ValueError(f"placement: unknown group {placement!r}; expected one of {GROUPS + STIFF_GROUPS} or "
                         f"{PINNED_PREFIX}PATTERN")
    return groups[placement]


def plan_config(c, integ):
    """Plan configuration ``c`` on ``integ``: ``(plan, None)`` or ``(None, (status, reason))``."""
    import kernels
    import planner

    try:
        if c["placement"] in NAMED:
            return integ.plan(c["placement"], block_size=c["block_size"]), None
        return integ.plan("greedy", block_size=c["block_size"], pins=group_pins(integ, c["placement"])), None
    except kernels.KernelError as exc:  # the root of planner's and kernels' errors
        infeasible = isinstance(exc, planner.InfeasibleError) or isinstance(exc.__cause__, planner.InfeasibleError)
        return None, ("infeasible" if infeasible else "error", f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - a planning bug is recorded, and the sweep goes on
        return None, ("error", f"planning: {type(exc).__name__}: {exc}")


def compile_key(c, plan):
    """Configurations with equal keys share one compiled kernel (an Integrator builds one per layout)."""
    import kernels

    return (c["method"], c["controller"], c["n"], c["precision"], kernels.layout_digest(plan))


def layout_key(c, plan):
    """Configurations with equal keys launch the same compiled kernel with the same geometry and batch."""
    return compile_key(c, plan) + (c["n_traj"], plan.block_size)


def plan_record(plan, device_model):
    p = plan.provenance
    itemsize = np.dtype(plan.precision).itemsize
    occ = device_model.occupancy(plan.block_size, 32, plan.shared_bytes_per_block)
    return {
        "plan": {"planner": p.planner, "status": p.status, "lower_bound": p.lower_bound,
                 "solve_seconds": round(p.solve_seconds, 4), "shared_elements": plan.shared_elements,
                 "shared_stride": plan.shared_stride, "shared_bytes_per_block": plan.shared_bytes_per_block,
                 "local_elements": plan.local_elements, "persistent_local_elements": plan.persistent_local_elements,
                 "placements": {b.name: b.placement.value + ("" if b.offset_elems is None else f"@{b.offset_elems}")
                                for b in plan.buffers if b.view_of is None}},
        "plan_prediction": {"registers_assumed": 32, "occupancy": occ.occupancy, "blocks_per_sm": occ.blocks_per_sm,
                            "limited_by": occ.limited_by,
                            "local_words": (plan.local_elements + plan.persistent_local_elements) * itemsize // 4},
    }
