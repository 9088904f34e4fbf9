"""Two helpers of ``sass_report``: a cubin linked as the GPU machine links it, and SASS stall counts.

* :func:`link_nvjitlink` links PTX to a sm_90 cubin through nvJitLink (``cuda.core``'s
  ``Linker``), which is what numba-cuda does on the GPU machine (its image has nvJitLink 13.0.88).
  The ``ptxas`` command line of the same release does not give the same SASS: it differs in register
  assignment and, without ``-maxrregcount``, in the schedule of the step loop (Lorenz RK4: 32 registers
  and 151 stall cycles a loop with ptxas, 150 through nvJitLink; a kernel's SASS from nvJitLink on this
  machine equals, instruction for instruction, the one the GPU loaded, checked 2026-12-04 with the cubins
  of ``benchmarks/results/session26_2026-12-04/``).  nvJitLink runs without a GPU: ``pip download
  --no-deps "nvidia-nvjitlink==13.0.*"``, unzip, and pass the folder as ``--tools``.
* :func:`stall_cycles` reads the stall count of each instruction from the control bits of its encoding
  (bits 105 to 108 of the 128-bit word, the high word's bits 41 to 44), as ``cuobjdump -sass`` prints it.
  The sum over a loop is the cycles one warp needs for it when nothing else waits; a static figure, not a
  time (two kernels with equal sums timed 6 % apart on the H200).
"""

from __future__ import annotations

import ctypes
import glob
import os
import re

_INSTR = re.compile(r"/\*([0-9a-f]{4,})\*/\s+.*?;\s*/\*\s*0x[0-9a-f]+\s*\*/")
_HIGH = re.compile(r"^\s*/\*\s*0x([0-9a-f]+)\s*\*/\s*$")


def load_nvjitlink(dirs):
    """Load the first ``libnvJitLink.so*`` found under ``dirs`` (globally, so ``cuda.core`` finds it)."""
    for d in dirs:
        libs = sorted(glob.glob(os.path.join(d, "**", "libnvJitLink.so*"), recursive=True))
        if libs:
            ctypes.CDLL(libs[-1], mode=ctypes.RTLD_GLOBAL)
            return libs[-1]
    raise SystemExit(f"sass_report: libnvJitLink.so not found under {list(dirs)}; see benchmarks/sass_link.py")


def link_nvjitlink(ptx, cubin_path, max_registers=None):
    """Link ``ptx`` (text) to a sm_90 cubin at ``cubin_path``; returns nvJitLink's info log."""
    from cuda.core import Linker, LinkerOptions, ObjectCode

    options = LinkerOptions(arch="sm_90", max_register_count=max_registers)
    linker = Linker(ObjectCode.from_ptx(ptx.encode()), options=options)
    result = linker.link("cubin")
    with open(cubin_path, "wb") as fh:
        fh.write(bytes(result.code))
    return linker.get_info_log() or ""


def stall_cycles(sass):
    """``{address: stall count}`` of the first function in ``cuobjdump -sass`` text."""
    lines = sass.splitlines()
    stalls, started = {}, False
    for i, line in enumerate(lines[:-1]):
        if "Function :" in line:
            if started:
                break
            started = True
            continue
        m = _INSTR.search(line)
        high = _HIGH.match(lines[i + 1]) if m else None
        if m and high and started:
            stalls[int(m.group(1), 16)] = (int(high.group(1), 16) >> 41) & 0xF
    return stalls
