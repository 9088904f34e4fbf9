"""Where the sparse LU keeps its factor: the families' rules, the checks, and the PTX each storage gives.

The PTX test compiles the sparse LU of the 16-state Brusselator alone, offline for compute
capability 9.0: in memory storage every load and store of the program is one generic
``ld``/``st`` in the PTX (a pivot row's words read once per pivot), and in register storage
there is none.  Whether memory storage is faster is the GPU's to say
(``benchmarks/results/stiff_peers_nvidia-h200_storage*.json``).
"""

import os

import numpy as np
import pytest
from kernel_helpers import run_cases_on_cuda_target

import kernels
from kernels import ConfigurationError
from kernels.resources import ptxas_path
from kernels import SolverOptions
from kernels.solvers import SparseLUSettings, jacobian_pattern
from kernels.solvers.factor_storage import MEMORY_ENTRIES, in_memory, storage_for
from planner import Placement


def test_family_rules():
    assert storage_for("auto", "firk", MEMORY_ENTRIES) == "memory"
    assert storage_for("auto", "dirk", MEMORY_ENTRIES) == "memory if shared"
    assert storage_for("auto", "rosenbrock", 10 * MEMORY_ENTRIES) == "registers"
    assert storage_for("auto", "firk", MEMORY_ENTRIES - 1) == "registers"
    assert storage_for("auto", None, 10 * MEMORY_ENTRIES) == "registers"
    assert storage_for("memory", "rosenbrock", 4) == "memory"  # a user's choice is taken as given
    assert in_memory("memory", Placement.LOCAL) and in_memory("memory if shared", Placement.SHARED)
    assert not in_memory("memory if shared", Placement.LOCAL) and not in_memory("registers", Placement.SHARED)


def _storages(method, n, solver=None):
    integ = kernels.Integrator(kernels.brusselator(n), method, controller="fixed", solver=solver)
    step = integ.settings.step
    lus = step.lu_settings() if hasattr(step, "lu_settings") else (step.newton.linear,)
    return [lu.storage for lu in lus]


def test_integrators_choose_by_family_and_size():
    assert _storages("radau", 32) == ["memory", "memory"]  # the real and the complex block
    assert _storages("sdirk4", 32) == ["memory if shared"]
    assert _storages("rodas4", 32) == ["registers"]
    assert _storages("radau", 8) == ["registers", "registers"]  # 34 and 68 entries: below MEMORY_ENTRIES
    assert _storages("radau", 32, SolverOptions(factor_storage="registers")) == ["registers", "registers"]
    assert _storages("rodas4", 32, {"factor_storage": "memory"}) == ["memory"]


def _planned_storage(method, n, precision="float32"):
    """``{buffer name: storage}`` of the planning problem's buffers that are not held in registers."""
    integ = kernels.Integrator(kernels.brusselator(n), method, controller="fixed", precision=precision)
    problem = integ.buffer_settings().to_problem(precision=precision, block_size=128, objective="auto")
    return {b.name.split(".", 1)[1]: b.storage for b in problem.planned if b.storage != "registers"}


def test_the_planner_sees_each_buffers_storage():
    """The cost model counts a memory-held factor's accesses, not its words as registers (planner.costmodel).

    A factor in register storage is held in registers when local and accessed in memory when shared
    (the compiler does not promote a shared array), as "memory if shared" says.
    """
    assert _planned_storage("radau", 32) == {"firk.lu_0.factor": "memory", "firk.lu_1.factor": "memory"}
    assert _planned_storage("radau", 8) == {"firk.lu_0.factor": "memory if shared",
                                            "firk.lu_1.factor": "memory if shared"}  # register storage
    assert _planned_storage("sdirk4", 32) == {"dirk.newton.lu.factor": "memory if shared",
                                              "dirk.newton.jac_dense": "forwarded"}
    assert _planned_storage("rodas4", 32) == {"rosenbrock.newton.lu.factor": "memory if shared",
                                              "rosenbrock.newton.jac_dense": "forwarded"}
    # J from jvp products above 64 states: no dense scratch
    assert _planned_storage("rodas4", 128) == {"rosenbrock.newton.lu.factor": "memory if shared"}


def test_bad_storage_is_refused():
    with pytest.raises(ConfigurationError, match="SolverOptions factor_storage: expected one of"):
        SolverOptions(factor_storage="shared")
    with pytest.raises(ConfigurationError, match="SparseLUSettings storage"):
        SparseLUSettings(2, ((0, 0), (1, 1)), storage="auto")  # resolved by the family, not here


_SCRIPT = """
import json, re, sys
import numpy as np
from numba import cuda, float32, float64
import kernels
from kernels.resources import _offline_device
from kernels.solvers import SparseLUSettings, build_sparse_lu, jacobian_pattern
sys.path.insert(0, sys.argv[2])
from solver_helpers import plan_component, thread_memory

rows = []
for storage, placement, precision, n in json.loads(sys.argv[1]):
    pattern = tuple(sorted(set(jacobian_pattern(kernels.brusselator(n))) | {(i, i) for i in range(n)}))
    dtype = np.dtype(precision).type
    lu = SparseLUSettings(n, pattern, storage=storage, emit="ir")
    layout, plan = plan_component(lu.buffer_settings(), placement, dtype, block_size=32)
    built = build_sparse_lu(lu, layout, dtype)
    scope = {"cuda": cuda, "factor": built.factor, "solve": built.solve, "alloc_factor": built.alloc_factor,
             "alloc_pivots": built.alloc_pivots, "memory": thread_memory(plan, dtype),
             "real": float32 if precision == "float32" else float64}
    src = ["def kernel(m, rhs, out):", "    i = cuda.grid(1)", "    region, persistent = memory()",
           "    a = alloc_factor(region, persistent)", "    piv = alloc_pivots(region, persistent)",
           f"    b = cuda.local.array({n}, real)"]
    src += [f"    a[{s}] = m[i, {s}]" for s in range(len(pattern))] + [f"    b[{k}] = rhs[i, {k}]" for k in range(n)]
    src += ["    out[i, 0] = factor(a, piv)", "    solve(a, piv, b)"] + [f"    out[i, {k + 1}] = b[{k}]" for k in range(n)]
    exec("\\n".join(src), scope)
    array = "float32[:, :]" if precision == "float32" else "float64[:, :]"
    with _offline_device((9, 0)):
        ptx, _ = cuda.compile_ptx(scope["kernel"], f"void({array}, {array}, {array})", cc=(9, 0))
    width = precision[-2:]
    # the inline PTX's own spelling (one space after the opcode; what NVVM writes has a tab)
    rows.append([storage, placement, precision, n, ptx.count(f"ld.f{width} %"), ptx.count(f"st.f{width} ["),
                 len(set(re.findall(r"call[.a-z]*\\s[^;]*?(bufferplan_lu_[0-9a-f]+)", ptx)))])
print(json.dumps(rows))
"""


def _program_accesses(lu):
    """Loads and stores of the factor that ``lu``'s program makes, a pivot row's words read once per pivot."""
    program = lu.program
    loads, stores = 2 * sum(len(terms) for terms in program.terms), program.nnz - program.pattern  # |l u|; fill
    for _, rows in program.pivots:
        sources = {source for _, updates in rows for _, source in updates}
        loads += 1 + len(rows) + sum(len(updates) for _, updates in rows) + len(sources)
        stores += 1 + len(rows) + sum(len(updates) for _, updates in rows)
    loads += sum(len(terms) for _, terms in program.forward)
    loads += sum(len(terms) + 1 for _, terms, _ in program.backward)
    return loads, stores


@pytest.mark.skipif(ptxas_path() is None, reason="needs the CUDA target's toolchain (pip install 'bufferplan[compile]')")
def test_memory_storage_reads_and_writes_the_factor_where_written():
    accesses = {n: _brusselator_accesses(n) for n in (16, 64)}
    cases = [["memory", "local", "float32", 16], ["registers", "local", "float32", 16],
             ["memory if shared", "shared", "float32", 16], ["memory if shared", "local", "float32", 16],
             ["memory", "local", "float64", 16], ["memory", "local", "float32", 64],
             ["memory if shared", "shared", "float32", 64]]
    counted = _counted(cases)
    assert counted[("memory", "local", "float32", 16)] == accesses[16] + (0,)
    assert counted[("memory if shared", "shared", "float32", 16)] == accesses[16] + (0,)
    assert counted[("memory", "local", "float64", 16)] == accesses[16] + (0,)
    assert counted[("registers", "local", "float32", 16)] == (0, 0, 0)
    assert counted[("memory if shared", "local", "float32", 16)] == (0, 0, 0)
    # from FACTOR_OUTLINE_MIN_ENTRIES (314 entries at 64 states) a factor in local memory is outlined alone, its
    # solves inline; one in shared memory stays inline (sdirk4 64 float32 ran 10 % slower with it outlined)
    assert counted[("memory", "local", "float32", 64)] == accesses[64] + (1,)
    assert counted[("memory if shared", "shared", "float32", 64)] == accesses[64] + (0,)


@pytest.mark.slow  # a 128-state factor's straight-line code: too long a compile for CI's two cores
@pytest.mark.skipif(ptxas_path() is None, reason="needs the CUDA target's toolchain (pip install 'bufferplan[compile]')")
def test_a_factor_from_outline_min_entries_and_its_solve_are_outlined_apart():
    """From OUTLINE_MIN_ENTRIES (the Brusselator's 634 at 128 states) a factor held in memory and its solve are each
    a noinline function of their own, called by a name of its own (one shared name ran the solve twice: functions
    of one name are one in the linked kernel): NVVM optimises them apart from the step (radau at 64 states: 9.4 s
    of NVVM down to 3.3, issue #10); below it, where outlined bodies spilled more or ran slower on the GPU, and held
    in registers, where NVVM keeps the factor in registers, they stay inline."""
    counted = _counted([["memory", "local", "float32", 128]])
    assert counted[("memory", "local", "float32", 128)] == _brusselator_accesses(128) + (2,)


def _brusselator_accesses(n):
    """:func:`_program_accesses` of the sparse LU of the ``n``-state Brusselator's ``I - c J`` pattern."""
    return _program_accesses(SparseLUSettings(n, tuple(sorted(
        set(jacobian_pattern(kernels.brusselator(n))) | {(i, i) for i in range(n)}))))


def _counted(cases):
    """``(storage, placement, precision, n) -> (loads, stores, outlined functions)`` of :data:`_SCRIPT`'s kernels."""
    here = os.path.dirname(os.path.abspath(__file__))  # the script plans and lays out with solver_helpers
    return {tuple(row[:4]): tuple(row[4:]) for row in run_cases_on_cuda_target(_SCRIPT, cases, args=(here,))}


def test_radaus_real_and_complex_factors_are_outlined_from_the_same_size():
    """A regression hunt (2026-12-05): the complex program's nnz counts entries, not words, and halving it kept
    radau's complex factor inline up to 127 states while its real factor was outlined from 54."""
    from kernels.solvers.sparse_lu_ir import FACTOR_OUTLINE_MIN_ENTRIES, OUTLINE_MIN_ENTRIES, outline, outline_factor
    from kernels.steps.firk_blocks import block_lu_settings

    for n, expected in ((32, False), (64, True), (128, True)):  # the factor alone from FACTOR_OUTLINE_MIN_ENTRIES
        integ = kernels.Integrator(kernels.brusselator(n), "radau", precision=np.float32)
        for lu in block_lu_settings(integ.settings.step):
            assert outline_factor(lu.program, True) is expected, (n, type(lu).__name__, lu.program.nnz,
                                                                  FACTOR_OUTLINE_MIN_ENTRIES)
    for n, expected in ((96, False), (128, True)):
        integ = kernels.Integrator(kernels.brusselator(n), "radau", precision=np.float32)
        settings = block_lu_settings(integ.settings.step)
        assert len(settings) == 2
        for lu in settings:
            assert lu.storage == "memory"
            assert outline(lu.program, True) is expected, (n, type(lu).__name__, lu.program.nnz, OUTLINE_MIN_ENTRIES)
