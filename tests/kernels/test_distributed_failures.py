"""Chunks lost for good (Dask's KilledWorker) or cancelled (a restart): named as the library's error, every one of
them, and the finished chunks kept.

A LocalCluster of two CPU worker processes on Numba's CUDA simulator whose scheduler allows no failure
(``distributed.scheduler.allowed-failures = 0``): the first death of a worker running a chunk loses that chunk.
The death is made by the chunk itself, on the workers armed by :func:`_arm`, so it is deterministic; the batch is two
chunks, one a worker, since a dying worker loses the chunks queued on it too.
"""

import numpy as np
import pytest

import kernels

distributed = pytest.importorskip("distributed")
from kernels.distributed import ChunkLostError  # noqa: E402
from kernels import distributed_failures as failures  # noqa: E402

LORENZ = kernels.lorenz()
SPAN, DT = (0.0, 0.05), 0.01
PARAMS = np.column_stack([np.full(6, 10.0), np.linspace(0.0, 28.0, 6), np.full(6, 8.0 / 3.0)])


@pytest.fixture(scope="module")
def strict_client():
    """A client whose scheduler (created in this process, where the setting is read) allows no worker death."""
    import dask

    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn",
                          "distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                      env={"NUMBA_ENABLE_CUDASIM": "1"}) as cluster:
            with distributed.Client(cluster) as c:
                c.wait_for_workers(2, timeout=300)
                yield c


def _arm(client, start):
    """Make every worker process die (``os._exit``) when it starts the chunk of trajectories from ``start`` (or
    from any of the ints ``start`` holds); a worker the nanny restarts is not armed."""
    client.wait_for_workers(2, timeout=300)
    starts = {start} if isinstance(start, int) else set(start)

    def arm():  # a local function: sent by value
        import os

        import kernels.distributed_worker as worker

        solve_rows = worker._solve_rows

        def dying(*args):
            if args[-2] in starts:  # _solve_rows(..., start, lazy)
                os._exit(1)
            return solve_rows(*args)

        worker._solve_rows = dying

    client.run(arm)


def test_a_chunk_lost_for_good_names_its_trajectories_and_the_remedies(strict_client):
    """It surfaced as Dask's KilledWorker ("Attempted to run task 'bufferplan-chunk-...' on 4 different workers"),
    naming neither the trajectories nor what to do (a Dask user's trial)."""
    _arm(strict_client, 3)
    with pytest.raises(ChunkLostError) as error:
        kernels.solve_ivp(LORENZ, SPAN, [1.0, 1.0, 1.0], PARAMS, method="rk4", dt=DT, client=strict_client,
                          chunk_size=3, progress=False)
    text = str(error.value)
    assert (error.value.chunk, error.value.start, error.value.stop) == (1, 3, 6)
    assert isinstance(error.value, kernels.KernelError)
    for said in ("chunk 1 of 2 (numbered from 0; trajectories 3 to 5) was lost: the Dask worker that ran it (or "
                 "held it queued) died, 1 time",
                 "distributed.scheduler.allowed-failures = 0", "'distributed.scheduler.allowed-failures': 3",
                 "chunk_size=", "gather=False", "ChunkedResult.futures[i].result() one by one"):
        assert said in text, text


def test_with_gather_false_the_finished_chunks_are_read_one_by_one(strict_client):
    """What ChunkLostError advises: each finished chunk's future returns its result, the lost one's raises
    KilledWorker, and solving the lost trajectories again completes the batch bit for bit."""
    from distributed.scheduler import KilledWorker

    integ = kernels.Integrator(LORENZ, "rk4", precision=np.float32)
    local = integ.solve(SPAN, [1.0, 1.0, 1.0], PARAMS, dt=DT)
    _arm(strict_client, 3)
    chunked = integ.solve(SPAN, [1.0, 1.0, 1.0], PARAMS, dt=DT, client=strict_client, gather=False, chunk_size=3)
    rows = {}
    for (start, stop), future in zip(chunked.ranges, chunked.futures):
        try:
            rows[start] = future.result().y
        except KilledWorker:
            assert (start, stop) == (3, 6)
            rows[start] = integ.solve(SPAN, [1.0, 1.0, 1.0], PARAMS[start:stop], dt=DT).y  # here: the workers are armed
    assert sorted(rows) == [0, 3]
    np.testing.assert_array_equal(np.concatenate([rows[k] for k in sorted(rows)]), local.y)


def test_every_lost_chunk_is_named_with_the_ranges_to_solve_again(strict_client):
    """A worker's death lost two chunks (the one it ran and one queued on it) and the error named only the first,
    telling to "solve again only the lost trajectories" (a scale-out user's trial): the gather now waits for every
    chunk and names every lost one, with its ``ranges``."""
    _arm(strict_client, (0, 3))  # both chunks' workers die
    chunked = kernels.solve_ivp(LORENZ, SPAN, [1.0, 1.0, 1.0], PARAMS, method="rk4", dt=DT, client=strict_client,
                                chunk_size=3, gather=False, progress=False)
    with pytest.raises(ChunkLostError) as error:
        chunked.gather()
    text = str(error.value)
    for said in ("2 chunks of 2 (numbered from 0: chunk 0: trajectories 0 to 2; chunk 1: trajectories 3 to 5) were "
                 "lost", "died, 1 time each", "this error's .ranges ([(0, 3), (3, 6)];", "gather=False"):
        assert said in text, text
    assert error.value.chunks == (0, 1) and error.value.ranges == ((0, 3), (3, 6))
    assert (error.value.chunk, error.value.start, error.value.stop) == (0, 0, 3)


def test_a_cancelled_chunk_is_named_as_a_lost_one_and_drivers_only_when_scattered(strict_client):
    """A cancelled chunk raised a ConfigurationError blaming client.cancel or the drivers' samples of a run that had
    none (a scale-out user's trial): it is a ChunkLostError naming the chunk, the drivers only where scattered."""
    strict_client.wait_for_workers(2, timeout=300)
    chunked = kernels.solve_ivp(LORENZ, SPAN, [1.0, 1.0, 1.0], PARAMS, method="rk4", dt=DT, client=strict_client,
                                chunk_size=3, gather=False, progress=False)
    strict_client.cancel([chunked.futures[1]])
    with pytest.raises(ChunkLostError) as error:
        chunked.gather()
    text = str(error.value)
    assert isinstance(error.value, failures.ChunkCancelledError), text
    assert not isinstance(error.value, kernels.ConfigurationError)
    assert error.value.ranges == ((3, 6),), text
    for said in ("chunk 1 of 2 (numbered from 0; trajectories 3 to 5) was cancelled", "client.cancel",
                 "client.restart()", "Solve again", "gather=False the finished chunks are kept"):
        assert said in text, text
    assert "drivers" not in text
    scattered = str(failures.cancelled_chunks_error(None, [1], [(0, 3), (3, 6)], ("drivers",)))
    assert "every worker that held the drivers' samples, scattered once to the workers, went away" in scattered


def test_a_restart_during_a_solve_is_named():
    """client.restart() during a solve was told as client.cancel or lost drivers' samples, as a ConfigurationError
    (a scale-out user's trial).  A restart drops the finished chunks' results too: every chunk is named.  A cluster
    of its own: the strict one's nanny, after the deaths above, did not bring a worker back within the restart's
    120 s."""
    import dask

    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}):
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                                      env={"NUMBA_ENABLE_CUDASIM": "1"}) as cluster, distributed.Client(cluster) as c:
            chunked = kernels.solve_ivp(LORENZ, SPAN, [1.0, 1.0, 1.0], PARAMS, method="rk4", dt=DT, client=c,
                                        chunk_size=3, gather=False, progress=False)
            c.restart()
            with pytest.raises(ChunkLostError) as error:
                chunked.gather()
    text = str(error.value)
    assert isinstance(error.value, failures.ChunkCancelledError), text
    assert error.value.reason == "scheduler-restart" and error.value.ranges == ((0, 3), (3, 6))
    for said in ("the solve's 2 chunks (trajectories 0 to 5) were cancelled: the cluster was restarted",
                 "client.restart() restarts every worker", "Solve again once client.restart() has returned"):
        assert said in text, text
    assert "drivers" not in text and "client.cancel" not in text


def test_a_sweeps_configuration_lost_for_good_is_named():
    """map_configurations yielded Dask's raw KilledWorker for a configuration whose worker died (a Dask user's trial:
    left alone by the first fix); it is a ChunkLostError naming the configuration and the resume."""
    import dask

    def run(configuration):  # a local function: sent by value
        import os

        if configuration == "dies":
            os._exit(1)
        return configuration.upper()

    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn",
                          "distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                                      env={"NUMBA_ENABLE_CUDASIM": "1"}) as cluster, distributed.Client(cluster) as c:
            results = dict(kernels.map_configurations(c, run, ["dies"], errors="return"))
            with pytest.raises(ChunkLostError, match=r"configuration 'dies' was lost: .*done="):
                list(kernels.map_configurations(c, run, ["dies"]))
    assert isinstance(results["dies"], ChunkLostError) and "allowed-failures = 0" in str(results["dies"])
