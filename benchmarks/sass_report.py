"""Static SASS report: bufferplan's batch kernel beside the hand-written reference, without a GPU.

For the Lorenz float32 cases of ``peers.py`` (Tsit5 and RK4 fixed step, Tsit5
adaptive) this compiles, for compute capability 9.0 (H100):

* the hand-written kernels of ``benchmarks/reference_kernels.py``, and
* bufferplan's batch kernel (``kernels.batch.build_kernel``) under ``plan="local"``
  and ``plan="auto"`` (planned for the H100 preset, block size 128),

to PTX with Numba (no device needed), to a cubin with ``ptxas -arch=sm_90 -v``,
and disassembles it with ``cuobjdump -sass``.  Columns, per kernel:

* ``regs``, ``stack``, ``spill``: registers per thread, stack frame and spill
  store bytes (ptxas);
* the step loop is found by its back-edges (see :func:`main_loop`); for it,
  static counts over its whole span (head to back-edge, cold save and exit
  code included): ``loop`` instructions, ``+callee`` with called subroutines
  followed once, ``fp64`` (``D*`` arithmetic and compares, float64
  conversions), ``LDG``, ``LDL``, ``STL``, ``CALL``, and ``inner`` (loops
  nested in it: a runtime loop left inside a step), ``stalls`` (the stall
  cycles its instructions' control codes ask for, :func:`sass_link.stall_cycles`);
* per step on the loop's common path (see :func:`hot_path`; an inner loop is
  counted once, not per trip): ``steps`` (steps per iteration, > 1 when the
  compiler unrolled the loop), ``hot/step`` instructions, ``fp64/st`` and
  ``fp32/st`` (FADD/FMUL/FFMA: the method's arithmetic);
* ``total``: instructions of the whole kernel.

``hot/step`` is the number to compare with the reference: the kernels are
throughput-bound (one trajectory per thread, millions of threads), so time per
step follows issued instructions per step.  A static count is not a time; the
adaptive kernels' common path is a guess (accept or reject, whichever the
compiler laid out as the fall-through).

Tools: ``ptxas`` (CUDA toolkit), ``cuobjdump`` and NVRTC (NVRTC only because
Numba asks it for the supported architectures and the CUDA paths).  They are
found on ``PATH``, under ``/usr/local/cuda*``, in any ``nvidia/*`` wheel on
``sys.path``, or under ``--tools DIR`` (searched recursively), e.g. a folder
where the wheels ``nvidia-cuda-cuobjdump``, ``nvidia-cuda-nvdisasm`` (cuobjdump runs it, and
fails without it) and ``nvidia-cuda-nvrtc`` were unpacked (``pip download --no-deps
"nvidia-cuda-cuobjdump==13.2.51" "nvidia-cuda-nvdisasm==13.2.51" "nvidia-cuda-nvrtc==13.0.*"``,
then ``unzip`` each; seen working 2026-12-06 beside the ``nvidia-cuda-nvcc`` 13.0 wheel's ptxas).

Usage::

    python -m benchmarks.sass_report [--tools DIR] [--cases a,b,c] [--plans local,auto]
                                     [--json OUT.json] [--dump DIR] [--linker ptxas|nvjitlink]

``--dump DIR`` writes each kernel's PTX and SASS there for reading.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

if not __package__:  # run as a file: the imports below are package-relative
    raise SystemExit("run it as a module from the repository root: python -m benchmarks.sass_report [options]")

from . import sass_link  # noqa: E402

CASES = {"a": ("tsit5", False), "b": ("tsit5", True), "c": ("rk4", False)}
REFERENCE_NAME = {("tsit5", False): "tsit5_fixed", ("tsit5", True): "tsit5_adaptive", ("rk4", False): "rk4_fixed"}
BLOCK_SIZE = 128


# -- tools ------------------------------------------------------------------------------------
def _candidates(tools_dir):
    dirs = []
    if tools_dir:
        dirs += [d for d, _, _ in os.walk(tools_dir)]
    dirs += os.environ.get("PATH", "").split(os.pathsep)
    dirs += sorted(glob.glob("/usr/local/cuda*/bin")) + sorted(glob.glob("/usr/local/cuda*/lib*"))
    for entry in sys.path:
        dirs += glob.glob(os.path.join(entry, "nvidia", "*", "bin"))
        dirs += glob.glob(os.path.join(entry, "nvidia", "*", "lib"))
    return [d for d in dirs if d and os.path.isdir(d)]


def find_tool(name, tools_dir):
    for d in _candidates(tools_dir):
        path = os.path.join(d, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise SystemExit(f"sass_report: {name} not found on PATH, under /usr/local/cuda*, in nvidia wheels or "
                     f"under --tools {tools_dir!r}; see this script's docstring")


def prepare_numba(tools_dir):
    """Select the real CUDA target (no device needed for PTX) and make NVRTC loadable."""
    if "numba.cuda" in sys.modules:
        raise SystemExit("sass_report: numba.cuda was imported before the environment was set")
    os.environ["NUMBA_ENABLE_CUDASIM"] = "0"
    os.environ.setdefault("NUMBA_FORCE_CUDA_CC", "9.0")
    import ctypes

    for d in _candidates(tools_dir):
        libs = sorted(glob.glob(os.path.join(d, "libnvrtc.so.1[2-9]")))
        if libs:
            ctypes.CDLL(libs[-1], mode=ctypes.RTLD_GLOBAL)  # the pathfinder accepts an already loaded one
            break
    # Device functions compile for the current device's compute capability: without a GPU, say 9.0.
    import types as pytypes

    from numba.cuda import dispatcher

    fake = pytypes.SimpleNamespace(compute_capability=(9, 0))
    dispatcher.get_current_device = lambda: fake


# -- compile ----------------------------------------------------------------------------------
def ptx_of(pyfunc, sig):
    from numba import cuda

    ptx, _ = cuda.compile_ptx(pyfunc, sig, cc=(9, 0), device=False)
    return ptx


def assemble(ptx, ptxas, cuobjdump, workdir, name, max_registers=None, linker="ptxas"):
    """``(ptxas -v output, SASS)`` of ``ptx`` for sm_90, at most ``max_registers`` a thread when given.

    ``linker="nvjitlink"`` links as the GPU machine does (:mod:`benchmarks.sass_link`); the resource
    figures then come from ``cuobjdump -res-usage``, written as ptxas would.
    """
    ptx_path = os.path.join(workdir, name + ".ptx")
    cubin = os.path.join(workdir, name + ".cubin")
    with open(ptx_path, "w") as fh:
        fh.write(ptx)
    if linker == "nvjitlink":
        sass_link.link_nvjitlink(ptx, cubin, max_registers)
        usage = subprocess.run([cuobjdump, "-res-usage", cubin], capture_output=True, text=True, check=True).stdout
        m = re.search(r"REG:(\d+) STACK:(\d+)", usage)
        text = f"Used {m.group(1)} registers, {m.group(2)} bytes stack frame" if m else ""
    else:
        capped = ["-maxrregcount", str(max_registers)] if max_registers else []
        info = subprocess.run([ptxas, "-arch=sm_90", "-v", *capped, ptx_path, "-o", cubin], capture_output=True,
                              text=True, check=True)
        text = info.stderr + info.stdout
    sass = subprocess.run([cuobjdump, "-sass", cubin], capture_output=True, text=True, check=True).stdout
    return text, sass


def ptxas_numbers(text):
    """Registers, stack frame and spill bytes of the entry function (the largest numbers reported)."""
    regs = max((int(x) for x in re.findall(r"Used (\d+) registers", text)), default=-1)
    stack = max((int(x) for x in re.findall(r"(\d+) bytes stack frame", text)), default=0)
    spill_st = max((int(x) for x in re.findall(r"(\d+) bytes spill stores", text)), default=0)
    spill_ld = max((int(x) for x in re.findall(r"(\d+) bytes spill loads", text)), default=0)
    return {"regs": regs, "stack_bytes": stack, "spill_store_bytes": spill_st, "spill_load_bytes": spill_ld}


# -- SASS analysis ----------------------------------------------------------------------------
_LINE = re.compile(r"/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;")
_TARGET = re.compile(r"\b0x([0-9a-f]+)\b")
_FP64_OPS = ("DADD", "DMUL", "DFMA", "DSETP", "DMNMX", "DSET", "MUFU.RCP64H", "MUFU.RSQ64H")


def parse_sass(sass):
    """Return ``[(address, opcode, text)]`` of the first (entry) function in ``sass``."""
    out = []
    started = False
    for line in sass.splitlines():
        if "Function :" in line:
            if started:
                break
            started = True
            continue
        m = _LINE.search(line)
        if m and started:
            text = m.group(2).strip()
            body = re.sub(r"^@!?U?P[T0-9]+\s+", "", text)
            opcode = body.split()[0] if body else ""
            out.append((int(m.group(1), 16), opcode, text))
    return out


def _is_fp64(opcode):
    """float64 arithmetic, compares and conversions (``F2F.F32.F64``, ``I2F.F64``, ...)."""
    return opcode.startswith(_FP64_OPS) or (opcode.split(".")[0] in ("F2F", "F2I", "I2F") and "64" in opcode)


def _classify(instrs):
    counts = {"instrs": 0, "fp64": 0, "ldg": 0, "ldl": 0, "stl": 0, "calls": 0}
    for _, op, text in instrs:
        if op in ("NOP",):
            continue
        counts["instrs"] += 1
        counts["fp64"] += _is_fp64(op)
        counts["ldg"] += op.startswith("LDG")
        counts["ldl"] += op.startswith("LDL")
        counts["stl"] += op.startswith("STL")
        counts["calls"] += op.startswith("CALL")
    return counts


def _subroutine(instrs, by_addr, start):
    """Instructions from ``start`` to the first RET after it (a called subroutine, approximately)."""
    i = by_addr.get(start)
    if i is None:
        return []
    body = []
    for ins in instrs[i:]:
        body.append(ins)
        if ins[1].startswith("RET"):
            break
    return body


def _fp32_ops(instrs):
    return sum(1 for _, op, _ in instrs if op.split(".")[0] in ("FADD", "FMUL", "FFMA"))


def _branch_target(op, text):
    if op.startswith(("BRA", "JMP")) and not op.startswith("BRA.DIV"):
        m = _TARGET.search(text)
        if m:
            return int(m.group(1), 16)
    return None


def hot_path(instrs, head, tail):
    """Instructions one iteration of the loop ``[head, tail]`` executes on its common path.

    From the head to the back-edge: a branch out of the loop (an exit:
    max steps, underflow, non-finite) is taken as not taken, a forward branch
    over a region that stores to global memory (a save) as taken, any other
    branch as falling through; predicated instructions count as executed.
    """
    by_addr = {a: i for i, (a, _, _) in enumerate(instrs)}
    lo, hi = instrs[head][0], instrs[tail][0]
    path, i, seen = [], head, set()
    while head <= i <= tail and i not in seen:
        seen.add(i)
        addr, op, text = instrs[i]
        path.append(instrs[i])
        if op.startswith(("BREAK", "EXIT", "RET")) and not text.startswith("@"):
            break
        target = _branch_target(op, text)
        if i == tail or target is None or target not in by_addr:
            i += 1
            continue
        conditional = text.startswith("@")
        if not (lo <= target <= hi):
            if not conditional:
                break
            i += 1
            continue
        skipped = instrs[i + 1:by_addr[target]] if target > addr else []
        if not conditional or any(o.startswith(("STG", "ST.")) for _, o, _ in skipped):
            i = by_addr[target]
        else:
            i += 1
    return path


def main_loop(instrs):
    """Counts of the step loop, callees followed once.

    The step loop is the loop (back-edge) whose common path (:func:`hot_path`)
    is shortest among those whose common path does at least half of the most
    FP32 arithmetic any loop's does: the cheapest way around a step.  ``steps`` (steps per iteration, > 1 when the compiler unrolled
    the loop) is the number of float64 -> float32 conversions of the step size
    on the hot path (each kernel here converts its float64 step once a step).
    """
    by_addr = {a: i for i, (a, _, _) in enumerate(instrs)}
    edges = []
    for i, (addr, op, text) in enumerate(instrs):
        target = _branch_target(op, text)
        if target is not None and target < addr and target in by_addr:
            edges.append((by_addr[target], i))
    if not edges:
        return None
    paths = {e: hot_path(instrs, *e) for e in edges}
    most = max(_fp32_ops(p) for p in paths.values())
    head, tail = min((e for e in edges if _fp32_ops(paths[e]) >= 0.5 * most),
                     key=lambda e: (len(paths[e]), e[1] - e[0]))
    body = instrs[head:tail + 1]
    counts = _classify(body)
    counts["inner_loops"] = sum(1 for h, t in edges if head <= h and t <= tail and (h, t) != (head, tail))
    hot = paths[(head, tail)]
    steps = max(1, sum(1 for _, op, _ in hot if op.startswith("F2F.F32.F64")))
    hot_counts = _classify(hot)
    counts["steps"] = steps
    counts["hot_per_step"] = round(hot_counts["instrs"] / steps, 1)
    counts["hot_fp64_per_step"] = round(hot_counts["fp64"] / steps, 1)
    counts["hot_fp32_per_step"] = round(_fp32_ops(hot) / steps, 1)
    seen, extra = set(), []
    for _, op, text in body:
        if op.startswith("CALL"):
            m = _TARGET.search(text)
            if m and int(m.group(1), 16) not in seen:
                seen.add(int(m.group(1), 16))
                extra += _subroutine(instrs, by_addr, int(m.group(1), 16))
    callee = _classify(extra)
    counts["with_callees"] = counts["instrs"] + callee["instrs"]
    counts["fp64_with_callees"] = counts["fp64"] + callee["fp64"]
    counts["total_instrs"] = len(instrs)
    counts["span"] = (instrs[head][0], instrs[tail][0])
    return counts


# -- kernels ----------------------------------------------------------------------------------
def reference_kernels():
    import numpy as np
    from numba import types

    from . import reference_kernels as ref

    built = ref.build(np.float32)
    arr = types.Array(types.float32, 2, "C")
    i32 = types.Array(types.int32, 1, "C")
    f64, i64 = types.float64, types.int64
    fixed = (arr, arr, f64, f64, f64, i64, f64, arr)
    adaptive = (arr, arr, f64, f64, f64, f64, f64, i64, arr, i32, i32)
    for key, name in REFERENCE_NAME.items():
        yield key, "reference", built[name].py_func, adaptive if key[1] else fixed


def bufferplan_kernel(method, adaptive, plan_kind):
    """The Python function and argument types of bufferplan's kernel, planned for the h100 preset."""
    import numpy as np

    import kernels

    integ = kernels.Integrator(kernels.lorenz(), method, "pi" if adaptive else "fixed", np.float32)
    plan = integ.plan(plan_kind, block_size=BLOCK_SIZE, device="h200")
    built = integ.build(plan)
    return built.kernel.py_func, built.argument_types(), f"shared {plan.shared_elements} elems/thread"


def floor_kernels(path):
    """The hand-written kernels of a file like ../shared/reference/lorenz_handwritten.py (``--floor``)."""
    import importlib.util

    from numba import types

    spec = importlib.util.spec_from_file_location("lorenz_floor", path)
    floor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor)
    f32, i32 = types.float32, types.int32
    arr1, arr2 = types.Array(f32, 1, "C"), types.Array(f32, 2, "C")
    fixed = (arr1, arr2, f32, i32, i32)
    adaptive = (arr1, arr2, types.Array(i32, 2, "C"), f32, f32, f32, f32, i32, i32)
    yield ("tsit5", False), "floor", floor.tsit5_fixed.py_func, fixed
    yield ("rk4", False), "floor", floor.rk4_fixed.py_func, fixed
    yield ("tsit5", True), "floor", floor.tsit5_adaptive.py_func, adaptive


def run(args):
    prepare_numba(args.tools)
    ptxas = find_tool("ptxas", args.tools)
    cuobjdump = find_tool("cuobjdump", args.tools)
    if args.linker == "nvjitlink":
        sass_link.load_nvjitlink([args.tools] if args.tools else sys.path)
    rows = []
    scratch = None if args.dump else tempfile.TemporaryDirectory(prefix="sass_report_")
    workdir = args.dump or scratch.name
    os.makedirs(workdir, exist_ok=True)
    jobs = []
    for key, label, func, sig in reference_kernels():
        jobs.append((key, label, func, sig, ""))
    if args.floor:
        for key, label, func, sig in floor_kernels(args.floor):
            jobs.append((key, label, func, sig, ""))
    for case in args.cases:
        method, adaptive = CASES[case]
        for plan_kind in args.plans:
            func, sig, note = bufferplan_kernel(method, adaptive, plan_kind)
            jobs.append(((method, adaptive), f"bufferplan-{plan_kind}", func, sig, note))
    wanted = {CASES[c] for c in args.cases}
    for (method, adaptive), label, func, sig, note in jobs:
        if (method, adaptive) not in wanted:
            continue
        case = f"{method}_{'adaptive' if adaptive else 'fixed'}"
        name = f"{case}__{label}"
        info, sass = assemble(ptx_of(func, sig), ptxas, cuobjdump, workdir, name, linker=args.linker)
        if args.dump:
            with open(os.path.join(workdir, name + ".sass"), "w") as fh:
                fh.write(sass)
        row = {"case": case, "kernel": label, "note": note, **ptxas_numbers(info)}
        row.update(main_loop(parse_sass(sass)) or {})
        if "span" in row:
            lo, hi = row.pop("span")
            row["stalls"] = sum(s for a, s in sass_link.stall_cycles(sass).items() if lo <= a <= hi)
        rows.append(row)
        print(_format(row), flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    if scratch is not None:
        scratch.cleanup()
    return rows


_COLUMNS = (("case", 15), ("kernel", 17), ("regs", 5), ("stack_bytes", 6), ("spill_store_bytes", 6),
            ("instrs", 7), ("with_callees", 8), ("fp64", 5), ("ldg", 4), ("ldl", 4), ("stl", 4),
            ("calls", 5), ("inner_loops", 6), ("steps", 6), ("hot_per_step", 9), ("hot_fp64_per_step", 9),
            ("hot_fp32_per_step", 9), ("stalls", 7), ("total_instrs", 7))
_HEAD = ("case", "kernel", "regs", "stack", "spill", "loop", "+callee", "fp64", "LDG", "LDL", "STL", "CALL",
         "inner", "steps", "hot/step", "fp64/st", "fp32/st", "stalls", "total")


def _format(row):
    return " ".join(str(row.get(k, "-")).rjust(w) if i > 1 else str(row.get(k, "-")).ljust(w)
                    for i, (k, w) in enumerate(_COLUMNS))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sass_report", description=__doc__.splitlines()[0])
    parser.add_argument("--tools", help="folder searched recursively for ptxas, cuobjdump and libnvrtc")
    parser.add_argument("--cases", default="a,b,c", help="comma-separated: a tsit5 fixed, b tsit5 adaptive, "
                                                          "c rk4 fixed")
    parser.add_argument("--plans", default="local,auto", help="comma-separated bufferplan plan choices")
    parser.add_argument("--json", help="write the rows as JSON here")
    parser.add_argument("--floor", help="also the hand-written kernels of this file (lorenz_handwritten.py)")
    parser.add_argument("--dump", help="keep each kernel's PTX, cubin and SASS in this folder")
    parser.add_argument("--linker", choices=("ptxas", "nvjitlink"), default="ptxas",
                        help="nvjitlink: link as numba-cuda does on the GPU machine (the same SASS; "
                             "benchmarks/sass_link.py says how to get it)")
    args = parser.parse_args(argv)
    args.cases = [c for c in args.cases.split(",") if c]
    args.plans = [p for p in args.plans.split(",") if p]
    bad = [c for c in args.cases if c not in CASES]
    if bad:
        parser.error(f"--cases: unknown {bad}; choose from {sorted(CASES)}")
    print(" ".join(h.rjust(w) if i > 1 else h.ljust(w) for i, (h, (_, w)) in enumerate(zip(_HEAD, _COLUMNS))))
    run(args)


if __name__ == "__main__":
    main()
