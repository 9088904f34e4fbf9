"""The compiler loop's note on the simulator: compiles replayed from a recorded ``ptxas -v`` trial.

The loop's decisions are unit-tested here without compiling: the Integrator's ``build`` is replaced by one
that hands back the registers and local bytes ptxas reported for each compile in turn.
"""

import numpy as np
import pytest

import kernels
import planner
from kernels import compiler_loop
from kernels.resources import Resources
from planner.costmodel import contradicts
from planner.explain import input_hash_note


class _Replayed:
    """An Integrator whose compiles report ``counts`` in turn, ``(registers, local bytes)`` each."""

    def __init__(self, integrator, counts):
        self._integrator, self._counts, self.built = integrator, list(counts), []

    def __getattr__(self, name):
        return getattr(self._integrator, name)

    def build(self, plan):
        registers, local = self._counts.pop(0)
        self.built.append(plan)
        resources = Resources(registers, local, 0, 0, plan.shared_bytes_per_block, "ptxas")
        return type("Built", (), {"resources": lambda self: resources})()


def _with_compiler(replayed, plan, device):
    """The compiler loop run on ``plan`` (block size 128) as on a GPU, its compiles replayed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiler_loop, "backend", lambda: "cuda")
        return compiler_loop.with_compiler(replayed, lambda: plan, "auto", 128, device)


def _rodas4(counts):
    """The compiler loop on rodas4, Brusselator n = 8, float64, block 128, its compiles reporting ``counts``."""
    integ = kernels.Integrator(kernels.brusselator(8), "rodas4", precision=np.float64)
    plan = integ.plan("auto", block_size=128)  # the simulator: predicted, not compiled
    replayed = _Replayed(integ, counts)
    return _with_compiler(replayed, plan, integ.device(None)), replayed


def test_all_local_without_local_memory_ends_the_loop():
    """All-local is compiled first; where it needs no local memory, nothing else is compiled (issue #14's
    planning time: tsit5 on 32 states compiled three layouts to keep all-local)."""
    kept, replayed = _rodas4([(240, 0)])
    assert len(replayed.built) == 1 and len(kept.cost.rounds) == 1 and kept.shared_elements == 0
    assert kept.cost.note.startswith("all-local compiled first with no local memory (240 registers): kept")


def test_the_note_says_which_compile_each_re_solve_followed():
    """A performance engineer's trial (2026-12-07) offline: the note named the compile each re-solve was fitted
    to.  All-local is compile 1 (here 256 B of local memory a thread); the model's layout is compile 2; the
    re-solve fitted to it comes back to all-local's layout, which is not compiled again; the runner-up is
    compile 3."""
    kept, replayed = _rodas4([(255, 256), (240, 0), (240, 0)])
    note = kept.cost.note
    assert len(kept.cost.rounds) == 3 and len(replayed.built) == 3
    assert replayed.built[2].digest == kept.digest != replayed.built[1].digest
    assert note.startswith("all-local (compile 1): 256 B of local memory a thread; re-solved with the register "
                           "model fitted to compile 2 (base 98 registers; 0.65 registers a word): compile 1's layout "
                           "again; the runner-up (compile 3) measured faster: kept; all-local (compile 1) measured "
                           "slower; kept compile 3's layout")
    assert "the same layout again" not in note


def _radau(counts):
    """The compiler loop on radau, Brusselator n = 8, float32, block 128 (the model's layout keeps every buffer
    local, as all-local does), its compiles reporting ``counts``."""
    integ = kernels.Integrator(kernels.brusselator(8), "radau", precision=np.float32)
    plan = integ.plan("auto", block_size=128)
    assert plan.shared_elements == 0
    replayed = _Replayed(integ, counts)
    return _with_compiler(replayed, plan, integ.device(None)), replayed


def test_the_runner_up_follows_a_model_layout_that_is_all_locals():
    """The model's layout is all-local's, which compiled first with 48 B of local memory a thread.  The runner-up
    (the model's next choice, buffers shared) is still compiled and kept where its figures rate it faster: the
    offline plans of 2026-12-07 had kept all-local there at first, where the runner-up won before all-local was
    compiled first (radau n = 64 float64: 1.15x on an H100, session 49)."""
    kept, replayed = _radau([(254, 48), (128, 0)])
    assert len(replayed.built) == 2 and replayed.built[1].shared_elements > 0
    assert kept.shared_elements > 0 and kept.digest == replayed.built[1].digest
    assert kept.cost.note.startswith("all-local (compile 1): 48 B of local memory a thread; the model's layout is "
                                     "all-local's (compile 1); ")
    assert "; the runner-up (compile 2) measured faster: kept; all-local (compile 1) measured slower" in kept.cost.note


def test_a_kept_prediction_that_contradicts_its_compile_is_said_to():
    """The kept plan's recorded prediction (255 registers, none spilled) contradicts its measurement (128
    registers): the note says so, where it said nothing."""
    kept, _ = _radau([(254, 48), (128, 0)])
    predicted, measured = kept.cost.predicted, kept.cost.measured
    assert contradicts(predicted, measured) and measured.local_bytes == 0
    assert kept.cost.note.endswith(
        f"; its recorded prediction ({predicted.registers} registers, {predicted.spilled_words:.0f} words spilled) "
        f"is the model's, which contradicts the compile: the compiler made 128 registers and spilled none "
        "(the measured figures are the compiler's)")


def test_a_confirmed_prediction_adds_nothing():
    integ = kernels.Integrator(kernels.brusselator(8), "rodas4", precision=np.float64)
    plan = integ.plan("auto", block_size=128)
    replayed = _Replayed(integ, [(255, 256)] + [(plan.cost.predicted.registers, 0)] * 3)
    kept = _with_compiler(replayed, plan, integ.device(None))
    assert kept.cost.note.startswith("all-local (compile 1): 256 B of local memory a thread; prediction confirmed")
    assert "contradicts" not in kept.cost.note and kept.shared_elements == plan.shared_elements > 0



def test_all_local_kept_reads_true_in_planner_explain():
    """An integrator developer's trial: an auto plan that kept all-local carried the input hash of the all-local
    planning problem, so `planner explain` with the auto problem the README builds noted "made from another file",
    and its rows said buffers the model would share were "left local by the planner".  Now the plan is the auto
    problem's and those rows name the compiler loop."""
    kept, _ = _rodas4([(240, 0)])
    integ = kernels.Integrator(kernels.brusselator(8), "rodas4", precision=np.float64)
    problem = integ.buffer_settings().to_problem(precision="float64", block_size=128, device=integ.device(None),
                                                 objective="auto")
    assert kept.provenance.input_hash == problem.digest and not input_hash_note(kept, problem)
    text = planner.explain(kept, problem).text()
    assert "left local by the planner" not in text and "kept local by the compiler loop's measured figures" in text


def test_all_local_with_pins_says_the_pins_stayed():
    """The same trial: with a buffer pinned shared, "all-local compiled first" named a plan that was not all-local."""
    integ = kernels.Integrator(kernels.brusselator(8), "rodas4", precision=np.float64)
    plan = integ.plan("auto", block_size=128, pins={"loop.parameters": "shared"})
    replayed = _Replayed(integ, [(200, 0)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiler_loop, "backend", lambda: "cuda")
        kept = compiler_loop.with_compiler(replayed, lambda: plan, "auto", 128, integ.device(None),
                                           {"loop.parameters": "shared"})
    assert kept.shared_elements > 0 and len(replayed.built) == 1
    assert kept.cost.note.startswith("all-local (every buffer not pinned shared local) compiled first with no local "
                                     "memory (200 registers): kept")
