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

import numpy as np

from .chunk_failures import raise_failures
from .distributed_worker import raise_warnings
from .errors import ConfigurationError
from .progress import Progress
from .rhs_hint import mostly_rejected

__all__ = ["ChunkedResult", "concatenate", "bytes_per_trajectory", "probe_factory", "closed_client_error",
           "PER_TRAJECTORY", "SHARED", "ON_CLIENT"]

PER_TRAJECTORY = ("y", "observables", "status", "n_steps", "n_rejected", "summary_array", "event_t", "event_y",
                  "counts")
SHARED = ("t", "method", "backend", "summary_stats", "t_start")
ON_CLIENT = ("plan", "canary_intact", "stiffness_probe", "status_messages")


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
    """

    futures: tuple
    ranges: tuple
    plan: object
    stiffness_probe: object = dataclasses.field(default=None, repr=False, compare=False)

    def __len__(self):
        return len(self.futures)

    def gather(self, progress=False):
        """Wait for every chunk; one :class:`kernels.IVPResult` in the original order, every field joined.

        The warnings the chunks' solves raised on the workers (a
        :class:`kernels.ToleranceWarning`, ...) are raised here, each once.  A
        chunk that failed with a :class:`kernels.KernelError` raises it here
        (the first such chunk's).  Call it while the Client that solved is
        open: after its ``with`` block a ConfigurationError says so.
        """
        error = closed_client_error(self.futures[0].client, "ChunkedResult.gather()") if self.futures else None
        if error is not None:
            raise error
        parts = _wait(self.futures, progress)
        raise_warnings(parts)
        raise_failures(parts)
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


def _wait(futures, progress):
    if progress:
        from distributed import as_completed

        bar = Progress(len(futures), enabled=True, label="chunks")
        for done, _ in enumerate(as_completed(futures), 1):
            bar.update(done)
        bar.close()
    return futures[0].client.gather(list(futures))


def concatenate(parts, plan, stiffness_probe=None):
    """One :class:`kernels.IVPResult` of the chunks' results ``parts`` (in trajectory order), every field kept.

    ``stiffness_probe`` is a callable ``(status, rejected) -> probe or None`` (or None; ``rejected``:
    :func:`kernels.rhs_hint.mostly_rejected`'s mask).
    """
    from .api import IVPResult

    fields = {name: _join([getattr(p, name) for p in parts], name) for name in PER_TRAJECTORY}
    for name in SHARED:
        fields[name] = _shared([getattr(p, name) for p in parts], name)
    messages = {}
    for part in parts:
        messages.update(part.status_messages)
    probe = None if stiffness_probe is None else stiffness_probe(
        fields["status"], mostly_rejected(fields["n_steps"], fields["n_rejected"]))
    return IVPResult(plan=plan, canary_intact=None, stiffness_probe=probe, status_messages=messages, **fields)


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


def probe_factory(integrator, y0_rows, params_rows, t_span, max_steps, lazy, dt=None):
    """``status -> StiffnessProbe or None`` as a one-process solve builds it, or None with dask-array inputs.

    Checks ``t_span`` and ``max_steps`` here, before any chunk is sent.
    """
    from . import validation as check

    t0, t_end = check.check_span(t_span)
    max_steps = check.check_int(max_steps, "max_steps", 1)
    if lazy:
        return None
    return functools.partial(_probe, integrator, y0_rows, params_rows, t0, t_end, max_steps, dt)


def _probe(integrator, y0_rows, params_rows, t0, t_end, max_steps, dt, status, rejected=None):
    return integrator._stiffness_probe(status, y0_rows, params_rows, t0, t_end, max_steps, dt, rejected)
