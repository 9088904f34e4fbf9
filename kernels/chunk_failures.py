"""A distributed chunk's deterministic failure, carried back to the client as a value instead of a raised error.

A chunk that raises on a Dask worker is logged there (``Compute Failed`` and
its traceback), run again ``retries`` times, and its exception re-raised on the
client.  For a :class:`~kernels.errors.KernelError` (an argument refused, a
user function's bug named by :class:`~kernels.errors.UserFunctionError`) every
run fails the same way: the worker returns a :class:`ChunkFailure` holding the
error instead (:func:`run_chunk`), the scheduler sees a finished task (nothing
logged, nothing retried) and the client raises the error once, as one process
would (:func:`raise_failures`).  Any other exception still raises on the worker
and is retried; so does :class:`~kernels.errors.DeviceUnavailableError`, which
says something of that worker's GPU, not of the chunk (another worker may run
it); a worker that dies is the scheduler's to recover.
"""

from __future__ import annotations

import pickle

from .errors import DeviceUnavailableError, KernelError

__all__ = ["ChunkFailure", "run_chunk", "raise_failures"]


class ChunkFailure:
    """The KernelError a chunk ended with (``error``), and the trajectory range it covered (``start``, ``stop``)."""

    def __init__(self, error, start=None, stop=None):
        self.error = _picklable(error)
        self.start, self.stop = start, stop

    def __repr__(self):
        return f"ChunkFailure({type(self.error).__name__}: {self.error}, trajectories [{self.start}, {self.stop}))"


def _picklable(error):
    """``error``, or a KernelError of its text when it does not survive pickling (a constructor of other arguments)."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - any failure to round-trip: send the text
        return KernelError(f"{type(error).__name__}: {error}")
    return error


def run_chunk(function, start, stop, *args, **kwargs):
    """``function(*args, **kwargs)`` on a worker; a KernelError it raises is returned as a ChunkFailure (but a
    DeviceUnavailableError, raised for Dask to retry the chunk elsewhere)."""
    try:
        return function(*args, **kwargs)
    except DeviceUnavailableError:
        raise
    except KernelError as exc:
        return ChunkFailure(exc, start, stop)


def raise_failures(parts):
    """Raise the error of the first ChunkFailure among the chunks' results ``parts`` (in trajectory order)."""
    for part in parts:
        if isinstance(part, ChunkFailure):
            raise part.error.with_traceback(None) from None
