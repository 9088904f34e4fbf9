"""Distributed chunks lost: their workers died more times than the scheduler allows, or they were cancelled.

A worker that dies mid-chunk (SIGKILL, the out-of-memory killer, a crash in a
driver) has its chunk run again elsewhere, up to the scheduler's
``distributed.scheduler.allowed-failures`` (3 by default); past that the
scheduler marks the chunk's task failed with Dask's ``KilledWorker``, whose
text names a task key and a worker address, not the trajectories nor what to
do.  :func:`lost_chunks_error` turns every such chunk of a solve into one
:class:`ChunkLostError` that names them all, their trajectories and the
remedies, once the client's gather has seen every chunk end
(:func:`kernels.distributed_results._wait`): a dying worker loses the chunks
queued on it too, so one death can lose several.

The chunks that finished are not lost with them: the gather waits for them
and cancels none, and their results stay on the workers while their futures
are held.  With ``gather=False``, reading ``ChunkedResult.futures[i]`` one by
one (also after ``ChunkedResult.gather()`` raised) returns every finished
chunk's :class:`kernels.IVPResult` and raises ``KilledWorker`` only for a lost
one, whose trajectories ``ChunkedResult.ranges[i]`` (and the error's
``ranges``) can be solved again.

A chunk cancelled before it ended (``client.restart()``, ``client.cancel``, or
every worker holding the options scattered to them gone at once) is a
:class:`ChunkCancelledError` (:func:`cancelled_chunks_error`), a
ChunkLostError too: something that happened during the run, not a bad
argument.
"""

from __future__ import annotations

from .errors import KernelError

__all__ = ["ChunkLostError", "ChunkCancelledError", "is_killed_worker", "lost_chunks_error", "cancelled_chunks_error",
           "lost_configuration_error"]

_NAMED = 8  # chunks a message names one by one; the rest are counted (every one is in the error's ranges)


class ChunkLostError(KernelError, RuntimeError):
    """Chunks of a distributed solve (or a configuration of ``map_configurations``) whose workers died more times
    than ``distributed.scheduler.allowed-failures`` allows.

    ``chunks`` and ``ranges``: every lost chunk's index and trajectories ``(start, stop)``, half-open, to solve
    again (empty for a configuration); ``chunk``, ``start`` and ``stop``: the first of them (None for a
    configuration).
    """

    def __init__(self, message, chunk=None, start=None, stop=None, chunks=None, ranges=None):
        super().__init__(message)
        self.chunk, self.start, self.stop = chunk, start, stop
        self.chunks = tuple(chunks) if chunks is not None else (() if chunk is None else (chunk,))
        self.ranges = tuple(ranges) if ranges is not None else (() if start is None else ((start, stop),))

    def __reduce__(self):
        return type(self), (str(self), self.chunk, self.start, self.stop, self.chunks, self.ranges)


class ChunkCancelledError(ChunkLostError):
    """Chunks of a distributed solve cancelled before they ended: by ``client.restart()`` (``reason``
    ``"scheduler-restart"``), by ``client.cancel``, or because every worker holding the options scattered to them
    went away at once.  A :class:`ChunkLostError` too (its ``chunks`` and ``ranges`` name them): it happened during
    the run, it is no bad argument (it was a ConfigurationError)."""

    def __init__(self, message, chunks=(), ranges=(), reason=None):
        first = (chunks[0], *ranges[0]) if chunks else (None, None, None)
        super().__init__(message, *first, chunks=chunks, ranges=ranges)
        self.reason = reason

    def __reduce__(self):
        return type(self), (str(self), self.chunks, self.ranges, self.reason)


def is_killed_worker(exc):
    """Whether ``exc`` is Dask's ``KilledWorker``: a task whose workers died more times than allowed."""
    try:
        from distributed.scheduler import KilledWorker
    except ImportError:  # no distributed: no Dask failure either
        return False
    return isinstance(exc, KilledWorker)


def lost_chunks_error(lost, ranges, n_chunks):
    """One :class:`ChunkLostError` naming every chunk of ``lost`` (``{index: KilledWorker}``, at least one) of the
    ``n_chunks`` chunks of trajectory ``ranges``, with the trajectories to solve again and the remedies."""
    chunks = sorted(lost)
    lost_ranges = [tuple(ranges[i]) for i in chunks]
    exc = lost[chunks[0]]
    which = _which_chunks(chunks, lost_ranges, n_chunks)
    workers = sorted({str(getattr(e.last_worker, "address", e.last_worker)) for e in lost.values()})
    return ChunkLostError(
        f"{_died(exc, which, len(chunks), workers)}; the other chunks ran to their end. {_CAUSE} Solve again "
        f"only the lost trajectories, this error's .ranges ({_ranges_text(lost_ranges)}; half-open [start, stop): "
        f"y0[start:stop], params[start:stop]). To keep the finished chunks, solve with gather=False: read "
        f"ChunkedResult.futures[i].result() one by one (also after ChunkedResult.gather() raised this): each finished "
        f"chunk returns its IVPResult (trajectories ChunkedResult.ranges[i]) and only a lost one raises KilledWorker "
        f"(with gather=True the finished chunks' results are dropped with this error). Or {_raise_limit(exc)} (the "
        f"scheduler reads it then); or take a smaller chunk_size= (less memory a chunk, less lost a death)",
        chunks[0], *lost_ranges[0], chunks=chunks, ranges=lost_ranges)


def cancelled_chunks_error(reason, cancelled, ranges, scattered=()):
    """The :class:`ChunkCancelledError` for the chunks ``cancelled`` (indices) of a solve of trajectory ``ranges``,
    cancelled for Dask's ``reason`` (``"scheduler-restart"``, ..., or None where Dask gives none); ``scattered``:
    the names of the options scattered to the workers (``("drivers",)``), whose loss is a cause only then."""
    if reason == "scheduler-restart":  # every chunk, the finished ones too: the restart dropped their results
        return ChunkCancelledError(
            f"the solve's {len(ranges)} chunk{'s' if len(ranges) > 1 else ''} (trajectories 0 to {ranges[-1][1] - 1}) "
            f"were cancelled: the cluster was restarted while they ran (client.restart() restarts every worker, which "
            f"cancels the chunks in flight and drops the finished chunks' results, held in the workers' memory, so "
            f"gather=False keeps none either). Solve again once client.restart() has returned",
            tuple(range(len(ranges))), tuple(ranges), reason)
    chunks, n_chunks = sorted(cancelled), len(ranges)
    ranges = [tuple(ranges[i]) for i in chunks]
    which = _which_chunks(chunks, ranges, n_chunks) + (" was cancelled before it ended" if len(chunks) == 1 else
                                                       " were cancelled before they ended")
    causes = ["by client.cancel (of the chunks' futures, or of every future, from another thread)",
              "by client.restart() (every worker restarted: the chunks in flight are cancelled)"]
    if scattered:
        causes.append(f"because every worker that held the {' and '.join(map(_OPTION_NAMES.get, scattered))}, "
                      f"scattered once to the workers, went away at once")
    told = "" if reason in (None, "unknown") else f" (Dask's reason: {reason})"
    return ChunkCancelledError(
        f"{which}{told}: {', '.join(causes[:-1])} or {causes[-1]}. Solve again: with "
        f"gather=False the finished chunks are kept (unless the cluster was restarted): read "
        f"ChunkedResult.futures[i].result() one by one, each finished chunk returns its IVPResult (trajectories "
        f"ChunkedResult.ranges[i]), and solve again only the ranges of those that raise (this error's .ranges: "
        f"{_ranges_text(ranges)})", chunks, ranges, reason)


def lost_configuration_error(exc, configuration):
    """The :class:`ChunkLostError` of ``map_configurations``' task for ``configuration`` lost to Dask's
    ``KilledWorker`` ``exc``, or None when ``exc`` is something else (a sweep yielded or raised the raw Dask error)."""
    if not is_killed_worker(exc):
        return None
    return ChunkLostError(
        f"{_died(exc, f'configuration {configuration!r:.80}')}. {_CAUSE} Record what finished and run the sweep "
        f"again with done= (it skips what is recorded); or {_raise_limit(exc)}")


#: Why a worker dies, and where to look (both messages).
_CAUSE = ("A worker killed from outside (out of memory, a job limit) or crashing (a driver fault) does this; its "
          "log says which.")

#: The options a solve may scatter to the workers, as a message names them.
_OPTION_NAMES = {"drivers": "drivers' samples", "t_eval": "save times t_eval"}


def _died(exc, which, count=1, workers=None):
    """``which`` (``count`` chunks, or a configuration) lost: how often its worker died, the last one (``workers``:
    the last of each lost chunk), and the limit."""
    allowed = exc.allowed_failures
    workers = workers or [str(getattr(exc.last_worker, "address", exc.last_worker))]
    them, were = ("it", "was") if count == 1 else ("them", "were")
    return (f"{which} {were} lost: the Dask worker{'s' if len(workers) > 1 else ''} that ran {them} (or held {them} "
            f"queued) died, {allowed + 1} time{'s' if allowed else ''}{' each' if count > 1 else ''} (the last on "
            f"{', '.join(workers)}), more than the scheduler allows (distributed.scheduler.allowed-failures = "
            f"{allowed})")


def _which_chunks(chunks, ranges, n_chunks):
    """``chunks`` (indices, their trajectory ``ranges``) of a solve's ``n_chunks``, as a message names them."""
    if len(chunks) == 1:
        return f"chunk {chunks[0]} of {n_chunks} (numbered from 0; trajectories {ranges[0][0]} to {ranges[0][1] - 1})"
    return f"{len(chunks)} chunks of {n_chunks} ({_listed(chunks, ranges)})"


def _listed(chunks, ranges):
    """``chunks`` with their trajectory ``ranges``, the first :data:`_NAMED` one by one, the rest counted."""
    named = "; ".join(f"chunk {i}: trajectories {start} to {stop - 1}"
                      for i, (start, stop) in zip(chunks[:_NAMED], ranges[:_NAMED]))
    more = f"; and {len(chunks) - _NAMED} more" if len(chunks) > _NAMED else ""
    return f"numbered from 0: {named}{more}"


def _ranges_text(ranges):
    """``ranges`` as Python writes them, the first :data:`_NAMED`, then how many more."""
    shown = ", ".join(f"({start}, {stop})" for start, stop in ranges[:_NAMED])
    more = f", ... {len(ranges) - _NAMED} more" if len(ranges) > _NAMED else ""
    return f"[{shown}{more}]"


def _raise_limit(exc):
    """The remedy of a higher limit, set where the scheduler reads it."""
    return (f"raise the limit with dask.config.set({{'distributed.scheduler.allowed-failures': "
            f"{exc.allowed_failures + 3}}}) before the cluster starts")
