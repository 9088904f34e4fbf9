"""A distributed chunk lost for good: its workers died more times than the scheduler allows.

A worker that dies mid-chunk (SIGKILL, the out-of-memory killer, a crash in a
driver) has its chunk run again elsewhere, up to the scheduler's
``distributed.scheduler.allowed-failures`` (3 by default); past that the
scheduler marks the chunk's task failed with Dask's ``KilledWorker``, whose
text names a task key and a worker address, not the trajectories nor what to
do.  :func:`lost_chunk_error` turns it into a :class:`ChunkLostError` that
names the chunk, its trajectories and the remedies, where the client gathers
the chunks (:func:`kernels.distributed_results._wait`).

The chunks that finished are not lost with it: their results stay on the
workers while their futures are held, and the gather cancels only the chunks
still running.  With ``gather=False``, reading ``ChunkedResult.futures[i]``
one by one (instead of ``ChunkedResult.gather()``) returns every finished
chunk's :class:`kernels.IVPResult` and raises ``KilledWorker`` only for the
lost one, whose trajectories ``ChunkedResult.ranges[i]`` can be solved again.
"""

from __future__ import annotations

from .errors import KernelError

__all__ = ["ChunkLostError", "lost_chunk_error", "lost_configuration_error"]


class ChunkLostError(KernelError, RuntimeError):
    """A chunk of a distributed solve (or a configuration of ``map_configurations``) whose workers died more times
    than ``distributed.scheduler.allowed-failures`` allows; ``chunk``, ``start`` and ``stop`` (its trajectories
    ``[start, stop)``) say which chunk (None for a configuration)."""

    def __init__(self, message, chunk=None, start=None, stop=None):
        super().__init__(message)
        self.chunk, self.start, self.stop = chunk, start, stop

    def __reduce__(self):
        return type(self), (str(self), self.chunk, self.start, self.stop)


def lost_chunk_error(exc, futures, ranges):
    """The :class:`ChunkLostError` for Dask's ``KilledWorker`` ``exc`` raised by one of ``futures`` (trajectory
    ranges ``ranges``, in the same order), or None when ``exc`` is something else."""
    if not _is_killed_worker(exc):
        return None
    keys = [f.key for f in futures]
    chunk = keys.index(exc.task) if exc.task in keys else None
    start, stop = ranges[chunk] if chunk is not None and ranges else (None, None)
    return ChunkLostError(_message(exc, chunk, start, stop, len(futures)), chunk, start, stop)


def _is_killed_worker(exc):
    try:
        from distributed.scheduler import KilledWorker
    except ImportError:  # no distributed: no Dask failure either
        return False
    return isinstance(exc, KilledWorker)


def _message(exc, chunk, start, stop, n_chunks):
    """What happened (which chunk, how often its worker died, the limit) and what to do."""
    which = "a chunk" if chunk is None else f"chunk {chunk} of {n_chunks} (numbered from 0"
    if chunk is not None:
        which += ")" if start is None else f"; trajectories {start} to {stop - 1})"
    return (
        f"{_died(exc, which)}; the chunks still running were cancelled. {_CAUSE} Solve again; or "
        f"{_raise_limit(exc)} (the scheduler reads it then); or take a "
        f"smaller chunk_size= (less memory a chunk, less lost a death); or solve with gather=False and, instead of "
        f"ChunkedResult.gather(), read ChunkedResult.futures[i].result() one by one: each finished chunk returns "
        f"its IVPResult (trajectories ChunkedResult.ranges[i]) and only a lost one raises KilledWorker, so you keep "
        f"the finished chunks and solve again only the lost trajectories")


def lost_configuration_error(exc, configuration):
    """The :class:`ChunkLostError` of ``map_configurations``' task for ``configuration`` lost to Dask's
    ``KilledWorker`` ``exc``, or None when ``exc`` is something else (a sweep yielded or raised the raw Dask error)."""
    if not _is_killed_worker(exc):
        return None
    return ChunkLostError(
        f"{_died(exc, f'configuration {configuration!r:.80}')}. {_CAUSE} Record what finished and run the sweep "
        f"again with done= (it skips what is recorded); or {_raise_limit(exc)}")


#: Why a worker dies, and where to look (both messages).
_CAUSE = ("A worker killed from outside (out of memory, a job limit) or crashing (a driver fault) does this; its "
          "log says which.")


def _died(exc, which):
    """``which`` (the chunk or configuration) lost: how often its worker died, the last one, and the limit."""
    allowed = exc.allowed_failures
    worker = getattr(exc.last_worker, "address", exc.last_worker)
    return (f"{which} was lost: the Dask worker that ran it (or held it queued) died, {allowed + 1} "
            f"time{'s' if allowed else ''} (the last on {worker}), more than the scheduler allows "
            f"(distributed.scheduler.allowed-failures = {allowed})")


def _raise_limit(exc):
    """The remedy of a higher limit, set where the scheduler reads it."""
    return (f"raise the limit with dask.config.set({{'distributed.scheduler.allowed-failures': "
            f"{exc.allowed_failures + 3}}}) before the cluster starts")
