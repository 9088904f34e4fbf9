"""The results of a distributed solve: chunks of :class:`kernels.IVPResult` joined into one, in trajectory order.

Every field of :class:`kernels.IVPResult` has one of four fates when the
chunks come back from the workers (:func:`concatenate`):

* per trajectory (``y``, ``status``, the counters, summaries, events): the
  chunks' arrays joined along the first axis, in the order of the ranges;
* shared (``t``, ``method``, ``backend``, ``summary_stats``): the same in
  every chunk (checked), taken from the first;
* ``status_messages``: the chunks' tables merged;
* set on the client: ``plan`` (the one Plan every chunk used),
  ``canary_intact`` (None: canaries are refused with ``client=``) and
  ``stiffness_probe`` (rebuilt from the client's host inputs, since a pickled
  result drops it; None for dask-array inputs, which the client never holds).

Every field of IVPResult must be named in exactly one of :data:`PER_TRAJECTORY`,
:data:`SHARED` and :data:`ON_CLIENT` (a test checks it), so a new field cannot
be dropped silently.
"""

from __future__ import annotations

import dataclasses
import functools
import time

import numpy as np

from .chunk_failures import ChunkFailure, raise_failures
from .distributed_failures import cancelled_chunks_error, is_killed_worker, lost_chunks_error
from .distributed_worker import raise_warnings
from .errors import ConfigurationError
from .progress import Progress
from .rhs_hint import mostly_rejected

__all__ = ["ChunkedResult", "concatenate", "bytes_per_trajectory", "probe_factory", "closed_client_error",
           "PER_TRAJECTORY", "SHARED", "ON_CLIENT"]

PER_TRAJECTORY = ("y", "observables", "status", "n_steps", "n_rejected", "summary_array", "event_t", "event_y",
                  "counts")
SHARED = ("t", "method", "backend", "summary_stats", "t_start", "linear", "event_start")
ON_CLIENT = ("plan", "canary_intact", "stiffness_probe", "status_messages", "unstable_step", "invariant_drift")
WORKERLESS_SECONDS = 10.0  # a gather raises once the cluster has had no worker this long
_POLL_SECONDS = 0.02  # between looks at the chunks (and, each second, at the scheduler's worker count)


@dataclasses.dataclass(frozen=True)
class ChunkedResult:
    """A distributed result: one future per chunk, in trajectory order (``gather=False``).

    Attributes
    ----------
    futures : tuple of distributed.Future
        Future ``i`` holds the :class:`kernels.IVPResult` of trajectories ``ranges[i]``, or a
        :class:`kernels.chunk_failures.ChunkFailure` holding the KernelError it failed with.
    ranges : tuple of (int, int)
        Half-open trajectory ranges ``[start, stop)``, contiguous from 0.
    plan : planner.Plan
    stiffness_probe : callable or None
        ``status -> StiffnessProbe or None`` for the gathered result (see :func:`probe_factory`).
    checked : tuple of Warning classes
        The categories of the host-side checks the client made for the whole batch: the chunks' warnings of
        these categories raised before their kernels launched are not raised again; those drawn from the results
        are (see :func:`kernels.distributed_worker.raise_warnings`).
    scattered : tuple of str
        The options scattered once to every worker instead of travelling in each chunk (``"drivers"``,
        ``"t_eval"``: over 1 MiB), whose loss with every worker cancels the chunks; a message names them.
    """

    futures: tuple
    ranges: tuple
    plan: object
    stiffness_probe: object = dataclasses.field(default=None, repr=False, compare=False)
    checked: tuple = dataclasses.field(default=(), repr=False, compare=False)
    scattered: tuple = dataclasses.field(default=(), repr=False, compare=False)

    def __len__(self):
        return len(self.futures)

    def gather(self, progress=False):
        """Wait for every chunk; one :class:`kernels.IVPResult` in the original order, every field joined.

        The warnings the chunks' solves raised on the workers (a
        :class:`kernels.ToleranceWarning`, ...) are raised here, each once.  A
        chunk that failed with a :class:`kernels.KernelError` raises it here
        (the first in trajectory order, as one process reports it): the
        chunks after it are cancelled as soon as it fails, and the error is
        raised once the chunks before it have ended.  With no worker left for
        :data:`WORKERLESS_SECONDS`, every chunk not ended is cancelled and a
        ConfigurationError says so.  Chunks whose workers died more times
        than the scheduler allows raise one
        :class:`kernels.distributed_failures.ChunkLostError` once every chunk
        has ended, naming every lost chunk's trajectories (its ``ranges``) and
        the remedies (the finished chunks' futures are kept).  Chunks cancelled
        before they ended (``client.restart()``, ``client.cancel``) raise a
        :class:`kernels.distributed_failures.ChunkCancelledError` naming them.
        Call it while the Client that solved is open: after its ``with`` block
        a ConfigurationError says so.
        """
        error = closed_client_error(self.futures[0].client, "ChunkedResult.gather()") if self.futures else None
        if error is not None:
            raise error
        parts = _wait(self, progress)
        raise_warnings(parts, self.checked, self.ranges)
        return concatenate(parts, self.plan, self.stiffness_probe)


def closed_client_error(client, what):
    """The ConfigurationError for a call (``what``) that needs ``client`` while it is closing or closed, else None."""
    status = str(getattr(client, "status", ""))
    if status not in ("closing", "closed"):
        return None
    if what == "client=":
        return ConfigurationError(f"client= is {status}: it cannot run chunks any more; solve inside its "
                                  "'with Client(...) as client:' block (before client.close()), or make a new Client")
    return ConfigurationError(f"{what} needs the Client that solved, which is {status}: its chunks' results lived "
                              f"on its cluster; gather inside the 'with Client(...) as client:' block (before "
                              f"client.close()), or solve again with gather=True")


def _wait(chunked, progress):
    """The results of ``chunked``'s chunks in trajectory order, each fetched as it ends.

    A chunk that fails (a ChunkFailure) cancels every chunk after it at once; the error is raised as soon as the
    chunks before it have ended (one of them may fail first, as one process would report), with their warnings.
    An exception past a chunk's retries, a chunk cancelled (:func:`_cancelled`), and a cluster left without a worker
    for :data:`WORKERLESS_SECONDS` (the scheduler would wait for one for ever) cancel every chunk not yet ended and
    raise at once.  A chunk lost for good (Dask's KilledWorker) is noted and the others run on: once every chunk has
    ended one ChunkLostError names every lost chunk (a worker's death loses the chunks queued on it too; naming the
    first alone hid the others).  The chunks that ended are not cancelled: with ``gather=False`` their futures still
    hold their results.
    """
    from concurrent.futures import CancelledError

    from distributed import as_completed

    futures, ranges = chunked.futures, chunked.ranges
    client, n = futures[0].client, len(futures)
    index = {f.key: i for i, f in enumerate(futures)}
    parts, lost, bar = [None] * n, {}, Progress(n, enabled=progress, label="chunks")
    pending, left, failed, workerless = as_completed(futures), set(range(n)), n, _Workerless(client)
    try:
        while min(left, default=n) < failed:
            batch = [f for f in pending.next_batch(block=False) if index[f.key] < failed]
            if not batch:
                workerless.check()
                time.sleep(_POLL_SECONDS)
                continue
            try:
                gathered = _gathered(client, batch)
            except CancelledError as exc:
                raise _cancelled(exc, chunked, [i for i in left if i < failed]) from None
            for future, part in zip(batch, gathered):
                i = index[future.key]
                left.discard(i)
                if is_killed_worker(part):
                    lost[i] = part
                    continue
                parts[i] = part
                if isinstance(part, ChunkFailure) and i < failed:
                    failed = i
                    client.cancel([futures[j] for j in left if j > i])
            bar.update(n - len(left))
    except BaseException:
        client.cancel([futures[i] for i in left if not futures[i].done()])
        raise
    finally:
        bar.close()
    if failed < n:
        raise_warnings(parts[:failed + 1], chunked.checked, ranges)
        raise_failures([parts[failed]])
    if lost:
        raise lost_chunks_error(lost, ranges, n)
    return parts


def _gathered(client, batch):
    """``client.gather(batch)`` (futures that ended), with a chunk lost for good (Dask's KilledWorker: its workers
    died too often) in its place as that exception, so that the gather goes on and names every lost chunk at the
    end; any other exception, and a cancelled chunk's CancelledError, is raised."""
    lost = {f.key: f.exception() for f in batch if f.status == "error" and is_killed_worker(f.exception())}
    results = iter(client.gather([f for f in batch if f.key not in lost]))
    return [lost[f.key] if f.key in lost else next(results) for f in batch]


def _cancelled(exc, chunked, unended):
    """The error for a chunk of ``chunked`` cancelled before it ended (Dask's CancelledError ``exc``; ``unended``:
    the indices of the chunks not ended when it came): the ChunkCancelledError naming the cancelled chunks and why
    (a restart, client.cancel, the scattered options lost with every worker), or, when no worker is left and Dask
    names no restart, the ConfigurationError that says so."""
    reason = getattr(exc, "reason", None)
    client = chunked.futures[0].client
    if reason != "scheduler-restart" and not client.nthreads():
        return _workerless_error(0)
    cancelled = [i for i in unended if chunked.futures[i].status == "cancelled"] or unended
    return cancelled_chunks_error(reason, cancelled, chunked.ranges, chunked.scattered)


def _workerless_error(seconds):
    waited = f"none came back in {seconds:g} s" if seconds else "none is left"
    return ConfigurationError(
        f"every Dask worker of client= went away while the chunks ran, and {waited}: the chunks not yet ended were "
        f"cancelled. Start workers again (or find what stopped them: cluster.scale(0), a killed process, a node "
        f"lost), then solve again")


class _Workerless:
    """Polls the scheduler's worker count while the chunks run (at most once a second); raises once it has been 0
    for :data:`WORKERLESS_SECONDS`."""

    def __init__(self, client):
        self.client, self.asked, self.since = client, 0.0, None

    def check(self):
        now = time.monotonic()
        if now - self.asked < 1.0:
            return
        self.asked = now
        if self.client.nthreads():
            self.since = None
        elif self.since is None:
            self.since = now
        elif now - self.since >= WORKERLESS_SECONDS:
            raise _workerless_error(WORKERLESS_SECONDS)


def concatenate(parts, plan, stiffness_probe=None):
    """One :class:`kernels.IVPResult` of the chunks' results ``parts`` (in trajectory order), every field kept.

    ``stiffness_probe`` is a callable ``(status, rejected) -> probe or None`` (or None; ``rejected``:
    :func:`kernels.rhs_hint.mostly_rejected`'s mask).
    """
    from .ivp_result import IVPResult

    fields = {name: _join([getattr(p, name) for p in parts], name) for name in PER_TRAJECTORY}
    for name in SHARED:
        fields[name] = _shared([getattr(p, name) for p in parts], name)
    messages = {}
    for part in parts:
        messages.update(part.status_messages)
    probe = None if stiffness_probe is None else stiffness_probe(
        fields["status"], mostly_rejected(fields["n_steps"], fields["n_rejected"]))
    from .invariant_report import joined_drift

    drift = joined_drift([(p.invariant_drift, np.shape(p.status)[0]) for p in parts])
    return IVPResult(plan=plan, canary_intact=None, stiffness_probe=probe, status_messages=messages,
                     invariant_drift=drift, **fields)


def _join(arrays, name):
    """The chunks' per-trajectory arrays joined along the first axis; None when the solve has no such output."""
    present = [a is not None for a in arrays]
    if not any(present):
        return None
    if not all(present):
        raise ConfigurationError(f"distributed chunks disagree on whether they have {name}: {present}")
    return np.concatenate([np.asarray(a) for a in arrays], axis=0)


def _shared(values, name):
    first = values[0]
    for value in values[1:]:
        same = np.array_equal(value, first) if isinstance(first, np.ndarray) else value == first
        if not same:
            raise ConfigurationError(f"distributed chunks disagree on {name}: {first!r} and {value!r}")
    return first


def bytes_per_trajectory(integrator, n_save):
    """Host bytes one trajectory's inputs and outputs take (every output this solve has)."""
    from .launch import output_shapes

    system, dtype = integrator.system, integrator.dtype
    shapes = output_shapes(integrator.settings, system, 1, n_save, dtype)
    outputs = sum(int(np.prod(shape)) * np.dtype(kind).itemsize for shape, kind in filter(None, shapes.values()))
    return outputs + np.dtype(dtype).itemsize * (system.n_states + system.n_params)


def probe_factory(integrator, y0_rows, params_rows, t_span, max_steps, lazy, dt=None, tolerances=None, host=None):
    """``status -> StiffnessProbe or None`` as a one-process solve builds it, or None with dask-array inputs;
    ``tolerances``: the run's ``(rtol, atol)``, None for fixed steps (the probe's message names them); ``host``:
    the system as the host's hints see it (:func:`kernels.drivers.driven_on_host`).

    Checks ``t_span`` and ``max_steps`` here, before any chunk is sent.
    """
    from . import validation as check
    from .time_checks import check_span

    t0, t_end = check_span(t_span)
    max_steps = check.check_int(max_steps, "max_steps", 1)
    if lazy:
        return None
    return functools.partial(_probe, integrator, y0_rows, params_rows, t0, t_end, max_steps, dt, tolerances, host)


def _probe(integrator, y0_rows, params_rows, t0, t_end, max_steps, dt, tolerances, host, status, rejected=None):
    return integrator._stiffness_probe(status, y0_rows, params_rows, t0, t_end, max_steps, dt, rejected, tolerances,
                                       host)
