"""Kernels tests: import ``kernels`` first.

Importing ``kernels`` lets it choose the backend (the CUDA simulator on a
machine without a GPU) before anything else imports ``numba.cuda``.  Shared
helpers live in ``kernel_helpers.py``; the Dask ``client`` fixture here.
"""

import kernels  # noqa: F401
import pytest


@pytest.fixture(scope="session")
def client():
    """A client of two spawned CPU worker processes on the simulator, shared by the Dask tests."""
    distributed = pytest.importorskip("distributed")
    import dask

    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                      env={"NUMBA_ENABLE_CUDASIM": "1"}) as cluster:
            with distributed.Client(cluster) as c:
                c.wait_for_workers(2, timeout=300)
                yield c
