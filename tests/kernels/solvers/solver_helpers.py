"""Helpers for the standalone solver tests (imported by name: pytest puts this folder on sys.path).

A solver is planned alone here: its own BufferSettings become a problem,
the greedy planner lays it out, and a tiny test kernel gets the thread's
shared region and persistent-local array the way ``kernels/batch.py`` does.
"""

import json

import numpy as np
from numba import cuda

import planner
from kernels.allocators import make_block_shared, make_persistent_local, make_thread_region

BLOCK = 4  # threads per block: the simulator runs every thread in Python


def plan_component(tree, placement, dtype, block_size=BLOCK):
    """``(layout, plan)`` of a component tree with every buffer pinned to ``placement`` (or "auto")."""
    if placement != "auto":
        tree = tree.with_locations({"*": placement})
    problem = tree.to_problem(precision=np.dtype(dtype).name, block_size=block_size)
    plan = planner.solve(problem, planner="greedy")
    return tree.layout(plan), plan


def thread_memory(plan, dtype):
    """``memory() -> (region, persistent)`` for a test kernel: the thread's planned arrays."""
    block_shared = make_block_shared(dtype)
    thread_region = make_thread_region(plan.shared_stride)
    persistent_local = make_persistent_local(plan.persistent_local_elements, dtype)

    @cuda.jit(device=True, inline="always")
    def memory():
        return thread_region(block_shared(), cuda.threadIdx.x), persistent_local()

    return memory


def launch(kernel, plan, n_threads, *args):
    """Launch ``kernel`` over ``n_threads`` with the plan's block size and shared bytes."""
    block = plan.block_size
    grid = (n_threads + block - 1) // block
    kernel[grid, block, 0, plan.shared_bytes_per_block](*args)


def random_matrix(rng, n, condition):
    """A random n-by-n matrix with 2-norm condition number ``condition`` (U diag(s) V^T)."""
    u, _ = np.linalg.qr(rng.standard_normal((n, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.logspace(0.0, -np.log10(condition), n)
    return (u * s) @ v.T


_EMIT_PTX_SCRIPT = """
import dataclasses, json, re, sys
import importlib
import numpy as np
import kernels
from numba import cuda
from kernels.resources import _offline_device, ptxas_resources

cases = json.loads(sys.argv[1])
method, intrinsic_module, owner_module, settings_name = json.loads(sys.argv[2])
intrinsics = importlib.import_module(intrinsic_module)
owner = importlib.import_module(owner_module)
base = getattr(owner, settings_name)
made = []  # intrinsics built: proof that the IR form was used
original = intrinsics.factor_intrinsic
intrinsics.factor_intrinsic = lambda *args: made.append(args) or original(*args)
rows = []
for n, emit in cases:
    # every LU settings the owner makes takes this emit (a subclass: the owner checks isinstance)
    setattr(owner, settings_name, dataclasses.make_dataclass(
        settings_name, [("emit", str, dataclasses.field(default=emit))], bases=(base,), frozen=True))
    integ = kernels.Integrator(kernels.brusselator(n), method, controller="fixed", precision=np.float32)
    built = integ.build(integ.plan("local", block_size=128, device="h200"))
    with _offline_device((9, 0)):
        ptx, _ = cuda.compile_ptx(built.kernel.py_func, built.argument_types(), cc=(9, 0))
    body = [line for line in re.sub(r"_ZN\\w+", "SYMBOL", ptx).splitlines() if not line.lstrip().startswith("//")]
    rows.append([n, emit, len(made), list(ptxas_resources(ptx)), "\\n".join(body)])
    made.clear()
print(json.dumps(rows))
"""


def emitted_ptx(method, intrinsic_module, owner_module, settings_name, cases):
    """``[n, emit, intrinsics built, ptxas resources, PTX]`` of the Brusselator ``method`` kernel per ``(n, emit)``.

    Offline, all-local float32 for compute capability 9.0; ``owner_module.settings_name`` (the LU settings
    class the step or solver options make) is replaced by a subclass whose ``emit`` defaults to the case's,
    and ``intrinsic_module.factor_intrinsic`` is counted to prove the IR form was taken.
    """
    from kernel_helpers import run_cases_on_cuda_target

    # one process per case, compiling at once; the rows come back in the order of the cases
    return run_cases_on_cuda_target(_EMIT_PTX_SCRIPT, list(cases), len(cases),
                                    args=(json.dumps([method, intrinsic_module, owner_module, settings_name]),))


def lu_forms(lu, sources, intrinsics, dtype):
    """The Python-source and the IR forms of a sparse LU ``lu``, each ``(factor(a), solve(a, b))``.

    ``sources``: the generator of its ``(factor, solve)`` sources; ``intrinsics``: the module of its
    ``factor_intrinsic`` / ``solve_intrinsic``.  Returns ``(python(jit), ir)``: ``python(jit)`` runs the
    generated source as plain Python, or under ``njit``; ``ir`` calls the intrinsics compiled by
    ``njit`` for the CPU.
    """
    from numba import njit

    from kernels.solvers.sparse_lu import lu_constants

    constants = lu_constants(dtype, lu.n)

    one = constants["ONE"]

    def exact(x):  # the pivots' reciprocal off the GPU, as the intrinsics' CPU lowering divides
        return one / x

    def python(jit):
        scope = dict(constants, RCP=njit(exact) if jit else exact)
        for source in sources(lu):
            exec(source, scope)  # noqa: S102 - the library's own generated source
        factor, solve = scope["factor"], scope["solve"]
        if jit:
            factor, solve = njit(factor), njit(solve)
        return (lambda a: factor(a, None)), (lambda a, b: solve(a, None, b))

    factor = intrinsics.factor_intrinsic(lu.program, float(constants["EPS"]), float(constants["TINY"]),
                                         constants["OK"], constants["SINGULAR"])
    solve = intrinsics.solve_intrinsic(lu.program)
    return python, (njit(lambda a: factor(a)), njit(lambda a, b: solve(a, b)))


def run_forms(lu, sources, intrinsics, dtype, cases, jit):
    """Factor and solve every ``(a, x)`` of ``cases`` (copied) in both forms of :func:`lu_forms`.

    Returns ``[(status, factor words, solution)]`` per form, the Python form (under ``njit`` when ``jit``)
    first; ``solve`` runs only after a zero status.
    """
    python, ir = lu_forms(lu, sources, intrinsics, dtype)
    out = []
    for factor, solve in (python(jit), ir):
        rows = []
        for a0, x0 in cases:
            a, x = a0.copy(), x0.copy()
            code = int(factor(a))
            if code == 0:
                solve(a, x)
            rows.append((code, a, x))
        out.append(rows)
    return out


def assert_identical(python_rows, ir_rows):
    """Two forms' rows agree to the bit: status, factor words and solution (NaNs included)."""
    for (code_p, a_p, x_p), (code_i, a_i, x_i) in zip(python_rows, ir_rows):
        assert code_p == code_i
        assert a_p.tobytes() == a_i.tobytes()
        assert x_p.tobytes() == x_i.tobytes()
