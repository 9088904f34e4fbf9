"""A solve's invariant-drift record and what the user is told of it: the threshold, the warning, the message note.

:mod:`kernels.invariant_drift` finds a system's linear invariants and measures how far a run's rounding moved them;
what it finds is an :class:`InvariantDrift`, which travels with the result (pickled from a Dask worker, joined over a
distributed solve's chunks by :func:`joined_drift`) and is read after the solve: :func:`warn_invariant_drift` warns
once a solve and :func:`invariant_note` adds a sentence to a trajectory's message, both beyond
:data:`DRIFT_TOLERANCES`.  They live apart from the check because they need none of its linear algebra nor the
user's functions, only the record (:mod:`kernels.api` and :mod:`kernels.distributed_results` read it here).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .errors import ToleranceWarning, warn_user

__all__ = ["DRIFT_TOLERANCES", "InvariantDrift", "warn_invariant_drift", "invariant_note", "joined_drift"]

#: Drift of an invariant, in tolerances of the combination at the end, above which a run is warned about.  Correct
#: runs (simulator, 2026-12-06: float32, float64; radau, rodas5p, rodas4, ros3p, kvaerno5, tsit5; Robertson to 40
#: and 1e5 at rtol 1e-4 to 1e-8, HIRES, E5, a closed A <-> B <-> C network, a 3-state cycle over 5700 tsit5 steps,
#: the combustion model) stay at or below 0.69 (float32 rodas4, combustion, error 0.73; float64: 0 to 1e-8); float32
#: rodas5p runs 12 to 22 tolerances off with success drift 12.0 to 20.1 (the 3-state model) and 12.7 (a 9-state
#: H2/O2 mechanism).  3 is 4.3 times the largest correct drift and 4 times below the smallest bad one.
DRIFT_TOLERANCES = 3.0


@dataclasses.dataclass(frozen=True)
class InvariantDrift:
    """A solve's invariant drift: ``labels`` of the invariants found (``"y[1] - 4 y[0]"``), ``drift`` (N,) float64 the
    largest drift of each trajectory in tolerances (NaN where not judged), ``which`` (N,) the index into ``labels``
    of that invariant (-1 where not judged), and ``cause`` the sentence naming the likely cause and the remedies.
    Pickles (arrays and text); a distributed solve joins its chunks' (:func:`joined_drift`)."""

    labels: tuple
    drift: np.ndarray
    which: np.ndarray
    cause: str

    def flagged(self):
        """Indices of the trajectories whose drift exceeds :data:`DRIFT_TOLERANCES`."""
        with np.errstate(invalid="ignore"):
            return np.flatnonzero(self.drift > DRIFT_TOLERANCES)


# -- telling the user ---------------------------------------------------------------------------------------------
WARNING = ("{count} of {total} trajectories ended with {invariant} (a linear invariant of the system: c . f(t, y) = 0, "
           "which every Runge-Kutta and Rosenbrock method keeps exactly in exact arithmetic) moved by up to {drift:.3g} "
           "times its tolerance (trajectory {worst}), with status success or at a terminal event: rounding alone "
           "moved it, so their end states are at least that many tolerances off. Likely cause: {cause}.")

NOTE = (" Rounding moved the linear invariant {invariant} by {drift:.3g} times its tolerance over this run (exactly "
        "conserved in exact arithmetic), so the end state is at least that many tolerances off; likely cause: {cause}.")


def warn_invariant_drift(record):
    """One :class:`kernels.ToleranceWarning` where ``record`` (a solve's :class:`InvariantDrift`, or None) has
    trajectories drifting beyond :data:`DRIFT_TOLERANCES`."""
    if record is None:
        return
    flagged = record.flagged()
    if not flagged.size:
        return
    worst = int(flagged[np.argmax(record.drift[flagged])])
    warn_user(WARNING.format(count=flagged.size, total=len(record.drift), invariant=record.labels[record.which[worst]],
                             drift=float(record.drift[worst]), worst=worst, cause=record.cause), ToleranceWarning)


def invariant_note(result, trajectory) -> str:
    """:data:`NOTE` for ``trajectory`` of ``result`` where its drift exceeds :data:`DRIFT_TOLERANCES`, else ''."""
    record = getattr(result, "invariant_drift", None)
    if record is None or not record.drift[trajectory] > DRIFT_TOLERANCES:
        return ""
    return NOTE.format(invariant=record.labels[record.which[trajectory]], drift=float(record.drift[trajectory]),
                       cause=record.cause)


def joined_drift(records):
    """One :class:`InvariantDrift` of a distributed solve's chunks' ``records`` (in trajectory order, with their
    lengths as ``(record or None, n)`` pairs), or None where no chunk has one: the labels concatenated, each
    chunk's ``which`` moved along, chunks without a record not judged."""
    if all(record is None for record, _ in records):
        return None
    labels, drift, which, cause = [], [], [], ""
    for record, n in records:
        if record is None:
            drift.append(np.full(n, np.nan))
            which.append(np.full(n, -1, np.int64))
            continue
        which.append(np.where(record.which >= 0, record.which + len(labels), -1))
        labels += record.labels
        drift.append(record.drift)
        cause = cause or record.cause
    return InvariantDrift(tuple(labels), np.concatenate(drift), np.concatenate(which), cause)
