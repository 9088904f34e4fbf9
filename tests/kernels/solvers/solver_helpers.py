"""Helpers for the standalone solver tests (imported by name: pytest puts this folder on sys.path).

A solver is planned alone here: its own BufferSettings become a problem,
the greedy planner lays it out, and a tiny test kernel gets the thread's
shared region and persistent-local array the way ``kernels/batch.py`` does.
"""

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
