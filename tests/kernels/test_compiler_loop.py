"""The compiler in the loop: ``auto`` plans carry the compiler's figures and are re-solved when they contradict.

The offline cases compile to PTX for compute capability 9.0 in a subprocess that forces Numba's
CUDA target (``NUMBA_ENABLE_CUDASIM=0``, no driver needed) and count with ``ptxas -v``.
"""

import re

import numpy as np
import pytest
from kernel_helpers import run_cases_on_cuda_target, run_on_cuda_target

import kernels
from kernels.compiler_loop import SIMULATOR_NOTE
from kernels.resources import ptxas_path


def test_simulator_records_why_nothing_was_compiled():
    integ = kernels.Integrator(kernels.lorenz(), "rk4", precision=np.float32)
    plan = integ.plan("auto", block_size=1)
    assert plan.cost.note == SIMULATOR_NOTE and plan.cost.measured is None
    assert integ.plan("local", block_size=1).cost is None  # only auto plans are predicted


_SCRIPT = """
import dataclasses, json
import numpy as np
import kernels, planner
rows = []
for base in (None, 200):  # the preset's model, then one whose register base is far off
    device = planner.get_device("h200")
    if base is not None:
        device = dataclasses.replace(device, name="h200-wrong", register_bases=(("default", base),))
    integ = kernels.Integrator(kernels.lorenz(), "rk4", controller="fixed", precision=np.float32)
    plan = integ.plan("auto", block_size=128, device=device)
    compiled = integ.build(plan).resources()
    cost = plan.cost
    rows.append({"predicted": cost.predicted.to_json(), "measured": cost.measured.to_json(),
                 "rounds": [list(r) for r in cost.rounds], "note": cost.note,
                 "compiled": [compiled.registers_per_thread, compiled.local_bytes_per_thread],
                 "kernels": len(integ._kernels)})
print(json.dumps(rows))
"""


@pytest.fixture(scope="module")
def offline():
    if ptxas_path() is None:
        pytest.skip("needs ptxas (pip install 'bufferplan[compile]')")
    return run_on_cuda_target(_SCRIPT)


def test_auto_plan_records_the_compilers_figures(offline):
    row = offline[0]
    measured = row["measured"]
    assert measured["source"] == "ptxas"
    assert [measured["registers"], measured["local_bytes"]] == row["compiled"]
    assert measured["local_bytes"] == 0 and row["predicted"]["spilled_words"] == 0
    assert abs(row["predicted"]["registers"] - measured["registers"]) <= 0.2 * measured["registers"]
    # all-local, compiled first, needs no local memory: kept after that one compile
    assert row["note"].startswith("all-local compiled first with no local memory (") and len(row["rounds"]) == 1
    assert row["kernels"] == 1  # the solve reuses the kernel compiled for the check


def test_a_prediction_far_off_is_said_to_and_the_compilers_figures_kept(offline):
    """Under a register base of 200 the model predicts over 200 registers for Lorenz; the compiler makes far fewer
    and no local memory, so all-local is kept after one compile and the note says the prediction was off (the
    re-solve from measured figures, where all-local spills, is tested on replayed compiles in
    test_compiler_loop_notes)."""
    row = offline[1]
    first = row["rounds"][0]
    assert first[0] > 200 and first[1] < 100  # predicted from the wrong base, measured far lower
    assert len(row["rounds"]) == 1 and row["measured"]["local_bytes"] == 0
    assert row["note"].startswith("all-local compiled first with no local memory")
    assert "which contradicts the compile: the compiler made " in row["note"]


_KEPT_SCRIPT = """
import json
import numpy as np
import kernels
integ = kernels.Integrator(kernels.oscillator_chain(64), "rk4", controller="fixed", precision=np.float32)
plan = integ.plan("auto", block_size=128, device="h200")
print(json.dumps({"note": plan.cost.note, "rounds": [list(r) for r in plan.cost.rounds],
                  "measured": plan.cost.measured.to_json(), "shared": plan.shared_bytes_per_block}))
"""


def test_the_note_names_the_compile_whose_layout_was_kept():
    """A performance engineer's trial (2026-12-05): RK4 on 128 states compiled three layouts and kept the second,
    but the note only gave the last re-solve's register base (156: a base past the 255-register limit unexplained)
    and said nothing of the all-local compile that lost."""
    if ptxas_path() is None:
        pytest.skip("needs ptxas (pip install 'bufferplan[compile]')")
    row = run_on_cuda_target(_KEPT_SCRIPT)
    assert len(row["rounds"]) > 1 and row["shared"] > 0, row
    kept = int(re.search(r"kept compile (\d+)'s layout", row["note"]).group(1))
    assert row["rounds"][kept - 1][1:3] == [row["measured"]["registers"], row["measured"]["local_bytes"]]
    assert row["note"].startswith("all-local (compile 1): 3472 B of local memory a thread; ")
    assert row["rounds"][0][2] == 3472 and "all-local (compile 1) measured slower" in row["note"]
    # the figures the warps guard passed it on (an integrator developer's trial could not check the note without them)
    assert re.search(r"measured slower \(the kept layout runs \d+ warps an SM to all-local's \d+ and cuts the bytes "
                     r"the local accesses move a step by \d+%, at least 15%\)", row["note"]), row["note"]


_ALL_LOCAL_SCRIPT = """
import dataclasses
import json
import numpy as np
import kernels
import planner
integ = kernels.Integrator(kernels.brusselator(8), "sdirk4", controller="fixed", precision=np.float32)
overcounting = dataclasses.replace(planner.get_device("h200"), registers_per_word=1.2)
plan = integ.plan("auto", block_size=128, device=overcounting)
local = integ.plan("local", block_size=128, device="h200")
print(json.dumps({"shared": plan.shared_elements, "note": plan.cost.note, "rounds": [list(r) for r in plan.cost.rounds],
                  "same_as_local": [b.placement.value for b in plan.buffers] == [b.placement.value for b in local.buffers],
                  "measured": plan.cost.measured.to_json()}))
"""


def test_all_local_without_local_memory_is_kept_after_one_compile():
    """sdirk4 on the Brusselator n = 8 under a register model that overcounts (1.2 registers a word; the
    shipped model did so by counting the dense Jacobian scratch as n^2 live words): the model moves words to
    shared memory for an occupancy that the compiled all-local kernel reaches too (166 registers), and such a
    layout measured 2x slower on the H200.  All-local, compiled first, needs no local memory, so it is kept
    and the model's layouts are not compiled (three compiles before, issue #14's planning time)."""
    if ptxas_path() is None:
        pytest.skip("needs ptxas (pip install 'bufferplan[compile]')")
    row = run_on_cuda_target(_ALL_LOCAL_SCRIPT)
    assert len(row["rounds"]) == 1 and row["rounds"][0][2] == 0
    assert row["shared"] == 0 and row["same_as_local"], row
    assert row["note"].startswith("all-local compiled first with no local memory (")
    assert row["measured"]["registers"] == row["rounds"][0][1] and row["measured"]["local_bytes"] == 0


_CHAIN_SCRIPT = """
import json, sys
import numpy as np
import kernels
rows = []
for block_size in json.loads(sys.argv[1]):
    integ = kernels.Integrator(kernels.oscillator_chain(128), "rk4", controller="fixed", precision=np.float32)
    plan = integ.plan("auto", block_size=block_size, device="h100")
    rows.append({"block_size": block_size, "shared": plan.shared_bytes_per_block, "note": plan.cost.note,
                 "rounds": [list(r) for r in plan.cost.rounds], "measured": plan.cost.measured.to_json()})
print(json.dumps(rows))
"""


@pytest.fixture(scope="module")
def chain_256():
    """RK4 on 256 states float32 planned ``auto`` for an H100 at blocks 128 and 64 (compiled at once)."""
    if ptxas_path() is None:
        pytest.skip("needs ptxas (pip install 'bufferplan[compile]')")
    return {row["block_size"]: row for row in run_cases_on_cuda_target(_CHAIN_SCRIPT, [128, 64])}


@pytest.mark.slow  # two auto plans of a 256-state kernel, three to four compiles each: too long for CI's two cores
def test_a_layout_at_four_warps_an_sm_that_ran_slower_is_held_back(chain_256):
    """Issue #14: RK4 on 256 states float32 (block 128, an H100). Greedy's layout (the stage in shared memory, one
    block an SM) measured 7488 local bytes against all-local's 8400 and ran 1049 ms against 879 (sessions 44 to 53);
    the compiler loop kept it on its measured figures. The guard on the loads in flight keeps all-local."""
    row = chain_256[128]
    assert row["shared"] == 0, row
    assert [128, 7488] in [r[1:3] for r in row["rounds"]]  # greedy's layout was compiled, as on the GPU
    assert row["measured"]["local_bytes"] == 8400
    assert "with the loads in flight at the shared plan's 1 block(s) an SM: kept" in row["note"]


@pytest.mark.slow  # (the same fixture)
def test_a_layout_that_gives_up_warps_for_a_small_cut_is_held_back(chain_256):
    """Issue #14, session 53: the same chain at block 64. The compiler loop kept the loop's vectors in shared memory
    (3 blocks, 6 warps, an SM against all-local's 16; 7360 local bytes against 8400), which ran 1085.7 ms against
    all-local's 867.7: the bytes its local accesses move a step fall by 10 %, too little for the warps given up."""
    row = chain_256[64]
    assert row["shared"] == 0, row
    assert [128, 7360] in [r[1:3] for r in row["rounds"]]  # the layout timed on the GPU was compiled
    assert row["measured"]["local_bytes"] == 8400
    assert ("all-local runs 16 warps an SM to the shared plan's 6, which cuts the bytes the local accesses move a "
            "step by 10%, less than 15%: kept") in row["note"]
