"""Whether an explicit run's many steps were held by its stability, not its accuracy: a stiff problem.

The float32 rounding warning (:mod:`kernels.float32_rounding`) counts a run's steps and, where they are many,
advises float64.  On a stiff problem solved by an explicit method that advice points the wrong way: the steps are
set by the method's stability interval on the fastest decaying mode, float64 keeps every one of them (and costs
more), and an implicit method takes a few hundred instead of thousands (a cardiac cell model, Beeler-Reuter, took
9202 tsit5 steps where radau took 390, and was told only to use float64: a neuroscientist's trial).
:func:`stability_bound` estimates, from the run's own saved states, how many steps the method's stable step allows
over the span: ``integral of rho(t) dt / boundary``, with ``rho`` the fastest decay rate of the Jacobian (host,
float64, differenced where the system has no ``jac``; 0 where a mode grows at a tenth of it or more, a saddle the
solution follows: :func:`kernels.stiffness.unmatched_decay`) at up to :data:`POINTS` saved states and ``boundary`` the
method's real stability interval.  Where that comes to at least :data:`HELD_SHARE` of the steps taken, the steps were
held by stability.  :func:`warn_stiff_steps` says so in any precision (a :class:`kernels.StiffnessWarning`) where a
run took at least :data:`WARN_STEPS` steps and the float32 rounding warning has not already said it.
"""

from __future__ import annotations

import numpy as np

from .batch_inputs import row_of
from .errors import StiffnessWarning, warn_user
from .float32_rounding import most_steps
from .host_follow import HOST_FOLLOW_STATES
from .result_notes import host_array
from .stiffness import stability_boundary, unmatched_decay

__all__ = ["stability_bound", "held_text", "warn_stiff_steps", "POINTS", "HELD_SHARE", "WARN_STEPS"]

#: Saved states (the initial one included) at which the Jacobian's fastest decay is evaluated.
POINTS = 8
#: Accepted steps of a trajectory from which a stiff explicit run is warned of (:func:`warn_stiff_steps`).
WARN_STEPS = 2000
#: Share of a run's accepted steps that the stable-step count must reach for the steps to count as held by stability.
HELD_SHARE = 0.5


def stability_bound(system, method, result, trajectory, y0, params, steps):
    """``(stable_steps, rate, t)`` where ``method`` is explicit and the stable-step count over trajectory
    ``trajectory``'s span (from its row of the checked 2-D ``y0`` and its saved states) reaches :data:`HELD_SHARE` of
    its ``steps`` (``rate``: the fastest decay rate found, at ``t``); else None (an implicit method, no system to
    evaluate, drivers, too many states, nothing judged)."""
    if system is None or not method.explicit or getattr(method, "tableau", None) is None:
        return None
    if system.n_states > HOST_FOLLOW_STATES or system.n_drivers or result.y is None or result.t is None:
        return None
    try:
        times = np.asarray(host_array(result.t), np.float64)
        times = row_of(times, trajectory) if times.ndim == 2 else times.reshape(-1)
        saved = np.asarray(host_array(result.y), np.float64)[trajectory]
        p, y0 = (np.asarray(row_of(np.asarray(a), trajectory), np.float64) for a in (params, y0))
        start = float(result.t_start)
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    points = [(start, y0)]
    finite = [k for k in range(min(times.size, saved.shape[0])) if np.all(np.isfinite(saved[k]))]
    picks = np.unique(np.linspace(0, len(finite) - 1, min(POINTS, len(finite))).round().astype(int)) if finite else []
    points += [(float(times[finite[k]]), saved[finite[k]]) for k in picks]
    boundary = stability_boundary(method.tableau)
    judged = [(rate, t) for rate, t in ((_decay(system, t, y, p), t) for t, y in points) if rate is not None]
    if not judged or boundary <= 0:
        return None
    # the trapezoid rule over the judged points (the start's the first): rho between them taken as linear
    rates_at = np.array([rate for rate, _ in judged])
    stable = float(np.sum(0.5 * (rates_at[1:] + rates_at[:-1]) * np.diff([t for _, t in judged])) / boundary)
    if not stable >= HELD_SHARE * steps:
        return None
    rate, t = max(judged)
    return stable, rate, t


def _decay(system, t, y, p):
    """:func:`kernels.stiffness.unmatched_decay` at a finite state (a decay matched by a growing mode, a saddle, is
    no stiffness), or None (not finite, or the user's rhs failing on the host)."""
    if not np.all(np.isfinite(y)):
        return None
    try:
        with np.errstate(all="ignore"):
            rate = float(unmatched_decay(system, t, y, p))
    except Exception:  # noqa: BLE001 - a warning's advice must never fail of the user's rhs
        return None
    return rate if np.isfinite(rate) else None


def held_text(method, bound):
    """Why a run's steps were many (``bound``: :func:`stability_bound`), for a warning's advice."""
    stable, rate, t = bound
    return (f"these steps were held by {method.name}'s stability, not by its accuracy: the problem is stiff (its "
            f"fastest decay rate reaches {rate:.3g} at t = {t:.6g}, which allows about {stable:.3g} explicit steps "
            f"over the span)")


def warn_stiff_steps(result, method, adaptive, system, y0, params):
    """:class:`kernels.StiffnessWarning`, once a solve, where an adaptive explicit run's most accepted steps (of a
    trajectory that succeeded or met its terminal event) reach :data:`WARN_STEPS` and were held by its stability
    (:func:`stability_bound`): a stiff pharmacokinetic model (fast binding) took 27000 to 72000 tsit5 steps a
    trajectory where radau took 850, with success and no word (only a trajectory that ran out of steps was told;
    a pharmacometrician's trial).  ``system``: the host's (None: not judged, as on the device or with drivers)."""
    if not adaptive or not method.explicit or system is None:
        return
    found = most_steps(result)
    if found is None or found[1] < WARN_STEPS:
        return
    trajectory, steps = found
    bound = stability_bound(system, method, result, trajectory, y0, params, steps)
    if bound is None:
        return
    warn_user(f"{method.name} took {steps} steps in trajectory {trajectory}, and {held_text(method, bound)}: an "
              "implicit method takes far fewer steps there (method='radau' or 'rodas5p'; 'kvaerno5' where the "
              "Jacobian is costly), and usually far less time.", StiffnessWarning)
