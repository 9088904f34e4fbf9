"""Whether a warning being raised comes from a solve's results or from its inputs.

A chunk solved on a Dask worker (``client=``) carries its warnings home, and the client drops those of the input
checks it made itself for the whole batch (:mod:`kernels.distributed_worker`).  The checks of a solve's results
(a float32 state that fell below float32's range and grew back, float32 rounding over many steps, a linear
invariant that rounding moved) share those categories, but the client makes none of them: they were dropped with
the others, and a user lost the one warning that said the run's success was wrong.  :meth:`kernels.Integrator.solve`
runs those checks inside :func:`checking_results`, and :func:`from_results` tells the worker which is which.
The flag is the running thread's (a solve's checks run in the thread that called it).
"""

from __future__ import annotations

import contextlib
import threading

__all__ = ["checking_results", "from_results"]

_PHASE = threading.local()


@contextlib.contextmanager
def checking_results():
    """The warnings raised inside come from the results of a solve (after its kernel ran)."""
    before = getattr(_PHASE, "results", False)
    _PHASE.results = True
    try:
        yield
    finally:
        _PHASE.results = before


def from_results() -> bool:
    """Whether this thread is inside :func:`checking_results`."""
    return getattr(_PHASE, "results", False)
