"""The negative initial state hint: a failed trajectory that started a state below 0 where every one that succeeded
started it at 0 or above.

A concentration or a population given a small negative start (a rounding, a fitted offset, a noisy measurement) can
run away in a mass-action term: ``-2 k y^2`` with ``k = 1e9`` drives ``y0 = -1e-3`` to minus infinity in
microseconds, and the trajectory stops with STEP_SIZE_UNDERFLOW whose message blames a singularity of the model
(a chemist's trial: the H radical of a combustion mechanism).  When the batch shows that the sign is what differs
(each such component is at 0 or above in every trajectory that succeeded), :meth:`kernels.IVPResult.message` says
so, before the other probes' hints (:func:`with_sign_hint` wraps them), unless the trajectory's saves show the
component settling toward 0 (:func:`not_settled`).  It costs one vectorised pass over
``y0`` after a solve with failures beside successes, and nothing otherwise.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .nonfinite_causes import START_NAMED
from .status import EVENT, MAX_STEPS, SUCCESS

__all__ = ["SignProbe", "negative_starts", "not_settled", "sign_note", "with_sign_hint"]

#: Statuses of the trajectories that count as succeeded (as :attr:`kernels.IVPResult.success` counts them).
SUCCEEDED = (SUCCESS, EVENT)
#: Components a note names at most.
NAMED = 4


def negative_starts(status, y0):
    """``(N, n)`` bool: the components of each failed trajectory's ``y0`` that are negative where every trajectory
    that succeeded starts them at 0 or above, or None where there are none (no failure, no success, a ``y0`` shared
    by the batch, or no such component).  A trajectory at MAX_STEPS is not flagged: it did not run away (an
    oscillator started at -1 beside one at +1 ran out of steps for its frequency, and the note had replaced the
    advice to raise max_steps, a regression hunt)."""
    status = np.asarray(status).reshape(-1)
    succeeded = np.isin(status, SUCCEEDED)
    if succeeded.all() or not succeeded.any():  # (first: a batch that all succeeded costs no pass over y0)
        return None
    y0 = np.asarray(y0)
    if y0.ndim != 2 or y0.shape[0] != status.shape[0]:
        return None
    blew_up = ~succeeded & (status != MAX_STEPS)  # at MAX_STEPS the run went on: not a sign's runaway
    if not blew_up.any():
        return None
    flagged = (y0 < 0.0) & np.all(y0[succeeded] >= 0.0, axis=0) & blew_up[:, None]
    return flagged if flagged.any() else None


#: How far (relative to its start) a component's last finite save must lie closer to 0 than its start to count as
#: having moved back: beyond float32's rounding of the start, which a save at t0 holds.
SETTLED_MARGIN = 1e-6


def not_settled(y0_row, components, y_saved):
    """Those of ``components`` (flagged indices of ``y0_row``) that may have run away: all of them, but for one whose
    last finite saved value (``y_saved``: this trajectory's saves, rows of states, NaN after it stopped; None where
    not at hand) lies closer to 0 than its start, between it and its negation: a component held to its start's
    magnitude is not what blew up.  ``y[0]`` started at +1 ran away through its parameter while ``y[1]`` decayed
    from -0.1 to -0.09, and the note blamed y0[1] (a regression hunt).  Without a finite save past the start
    (saved only at the end, or the start itself) nothing is dropped."""
    last = _last_finite(y_saved, y0_row.shape[0])
    if last is None or not len(components):
        return components
    start, now = y0_row[components], last[components]
    settled = (now - start > SETTLED_MARGIN * np.abs(start)) & (np.abs(now) <= np.abs(start))
    return components[~settled]


def _last_finite(y_saved, n_states):
    """The last row of ``y_saved`` whose every entry is finite, or None (no such row, or not rows of ``n_states``)."""
    if not isinstance(y_saved, np.ndarray) or y_saved.ndim != 2 or y_saved.shape[1] != n_states:
        return None
    finite = np.flatnonzero(np.all(np.isfinite(y_saved), axis=1))
    return np.asarray(y_saved[finite[-1]], np.float64) if finite.size else None


def sign_note(y0_row, components):
    """The sentence for one trajectory whose ``y0_row`` is negative at ``components`` (indices)."""
    named = [int(j) for j in components[:NAMED]]
    values = " and ".join(f"y0[{j}] = {float(y0_row[j]):.4g}" for j in named)
    more = f" (and {len(components) - NAMED} more)" if len(components) > NAMED else ""
    if len(components) == 1:
        j = named[0]
        return (f" {values} of this trajectory is negative where every trajectory that succeeded starts it at 0 or "
                f"above; if y[{j}] is a concentration or a population, start it at 0 or above.")
    states = ", ".join(f"y[{j}]" for j in named)
    return (f" {values}{more} of this trajectory are negative where every trajectory that succeeded starts them at 0 "
            f"or above; if {states} are concentrations or populations, start them at 0 or above.")


@dataclasses.dataclass(frozen=True)
class SignProbe:
    """:meth:`kernels.IVPResult.message`'s probe protocol (``explains``, ``hint``): :func:`sign_note` for a flagged
    trajectory, then the hint of ``rest`` (the solve's other probes, or None)."""

    status: np.ndarray  # the solve's statuses (host), by trajectory
    y0: np.ndarray  # (N, n_states) float64
    flagged: np.ndarray  # (N, n_states) bool: negative_starts
    rest: object = None

    def explains(self, code) -> bool:
        """Whether a trajectory of status ``code`` may get a hint: a failure (this note), or what ``rest`` explains."""
        return int(code) not in SUCCEEDED or (self.rest is not None and self.rest.explains(code))

    def hint(self, trajectory, t_saved=None, y_saved=None) -> str:
        """This trajectory's sign note (or '') followed by ``rest``'s hint for it; never raises."""
        try:
            components = not_settled(self.y0[trajectory], np.flatnonzero(self.flagged[trajectory]), y_saved)
            note = sign_note(self.y0[trajectory], components) if components.size else ""
        except Exception:  # noqa: BLE001 - a message must never fail: no note
            note = ""
        code = int(self.status[trajectory])
        rest = (self.rest.hint(trajectory, t_saved, y_saved)
                if self.rest is not None and self.rest.explains(code) else "")
        if note and components.size == 1 and START_NAMED in rest:  # the rest names that start as the cause already
            return rest  # (a Hill term at y0 = -1e-9 was told three times: a biologist's trial)
        return note + rest


def with_sign_hint(probe, status, y0):
    """``probe`` (the solve's other probes, or None) wrapped in a :class:`SignProbe` where some failed trajectory
    started a component negative that every succeeded one started at 0 or above; else ``probe`` itself."""
    if status is None or y0 is None:
        return probe
    try:
        flagged = negative_starts(status, y0)
    except (TypeError, ValueError):  # inputs a hint cannot read: no hint
        return probe
    if flagged is None:
        return probe
    return SignProbe(np.asarray(status).reshape(-1), np.asarray(y0, np.float64), flagged, probe)
