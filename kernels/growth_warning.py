"""The growth note as a solve-time warning: one :class:`kernels.SuspectSuccessWarning` a solve where trajectories
ended with success at their start after an implicit step stepped over a growing mode.

The growth note (:mod:`kernels.growth_note`) speaks only in ``res.message(i)``, and a sweep of thousands is read by
its statuses: a chemist's float32 H2/O2 sweep (radau, rodas5p and kvaerno5 at rtol 1e-4, atol 1e-8) ended its 1000
to 1300 K rows in 1 to 3 steps at their start temperature, status 0 and no ignition event, where each message said
what had happened.  :func:`warn_stepped_over_growth`, called once by ``Integrator.solve`` beside
:func:`kernels.summary_points.warn_few_summary_steps`, says so at the call.

Cost: a vectorised test over the batch finds the note's candidates (status SUCCESS, accepted steps, the last saved
state still within :data:`kernels.growth_note.QUIET_SHARE` of ``y0``: a run that moved costs nothing), and at most
:data:`MAX_JUDGED` of them get the note's own test (:meth:`kernels.growth_note.GrowthProbe.stepped_over`: two host
Jacobians and two rhs each), those with the fewest steps first (the stepped-over rows took 1 to 3), spread over the
batch.  The start's growth rates it works out are kept in the probe, so their messages do not evaluate them again.
Silent where the note is: explicit or fixed-step runs, inputs on the device, no saved state, a decay or an
oscillation (no candidate or no growing mode), an exact equilibrium, a growing mode with no seed (an SIRS row with
no infected: :func:`kernels.growth_note.seeded_growth`), a growth followed.
"""

from __future__ import annotations

import numpy as np

from planner.wording import joined_words

from .errors import SuspectSuccessWarning, warn_user
from .growth_note import FIRST_STEP_EFOLDS, QUIET_SHARE
from .result_notes import host_array
from .status import SUCCESS

__all__ = ["MAX_JUDGED", "NAMED", "quiet_successes", "stepped_over_growth", "warn_stepped_over_growth",
           "trajectories_named"]

#: At most this many candidate trajectories get the growth note's test at the solve (each: an eigenvalue problem at
#: ``y0`` and at the last save, and one rhs), whatever the batch's size.
MAX_JUDGED = 8

#: The warning names at most this many of the trajectories it found.
NAMED = 3


def quiet_successes(result, probe):
    """``(indices, steps, last saved states)`` of the trajectories the growth note may concern: status SUCCESS, at
    least one accepted step, and a last saved state within :data:`QUIET_SHARE` (of the largest ``|y0|``) of its
    ``y0`` in every component; None where the result saved no state.  Vectorised: no rhs is evaluated here."""
    y = result.y
    if y is None or result.t is None or np.ndim(y) != 3 or not np.shape(y)[1] or result.n_steps is None:
        return None
    last = np.asarray(host_array(y[:, -1]), np.float64)
    steps = np.asarray(host_array(result.n_steps)).astype(np.int64)
    y0 = np.asarray(probe.y0, np.float64).reshape(-1, last.shape[1])  # one row: every trajectory's
    scale = QUIET_SHARE * np.max(np.abs(y0), axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        quiet = np.all(np.abs(last - y0) <= scale, axis=1)
    rows = np.flatnonzero((np.asarray(host_array(result.status)) == SUCCESS) & (steps >= 1) & quiet)
    return rows, steps, last


def _to_judge(rows, steps):
    """At most :data:`MAX_JUDGED` of the candidate ``rows``: ordered by accepted steps (fewest first, as a stepped
    over growth takes 1 to 3), then picked evenly along that order, so a large sweep's picks span its batch."""
    ordered = rows[np.argsort(steps[rows], kind="stable")]
    if ordered.size <= MAX_JUDGED:
        return ordered
    return ordered[np.unique(np.linspace(0, ordered.size - 1, MAX_JUDGED).round().astype(np.int64))]


def stepped_over_growth(result):
    """``(found, judged, candidates)`` for ``result`` (a solve's :class:`kernels.IVPResult`): ``found`` the
    ``(trajectory, rate, mean step)`` of the judged trajectories whose growth note speaks, in index order; ``judged``
    how many got the note's test (at most :data:`MAX_JUDGED`); ``candidates`` how many passed
    :func:`quiet_successes`.  None where the result has no growth probe or no candidate (never raises)."""
    probe = getattr(result.stiffness_probe, "growth", None)
    if probe is None:
        return None
    try:
        quiet = quiet_successes(result, probe)
        if quiet is None or not quiet[0].size:
            return None
        rows, steps, last = quiet
        t_last = float(np.asarray(result.t).reshape(-1)[-1])
        judged = _to_judge(rows, steps)
        found = []
        for i in sorted(int(i) for i in judged):
            verdict = probe.stepped_over(i, int(steps[i]), (t_last, last[i]))
            if verdict is not None:
                found.append((i, float(verdict[0]), float(verdict[1])))
        return found, int(judged.size), int(rows.size)
    except Exception:  # noqa: BLE001 - a warning must never fail a solve: none
        return None


def trajectories_named(indices, named=NAMED):
    """"trajectory 3, trajectory 4 and trajectory 5" (each named so, which a ``client=`` chunk's renumbering finds),
    the first ``named`` of ``indices``, with ", ..." where there are more: the solve's warnings name trajectories
    so (this one, :mod:`kernels.unbounded_growth`'s and :mod:`kernels.sign_slip_success`'s)."""
    names = [f"trajectory {int(i)}" for i in list(indices)[:named]]
    if len(indices) > named:
        return ", ".join(names) + ", ..."
    return joined_words(names)


def _named(found):
    """:func:`trajectories_named` of ``found``'s trajectories."""
    return trajectories_named([i for i, _, _ in found])


def warn_stepped_over_growth(result):
    """:class:`kernels.SuspectSuccessWarning`, once, where :func:`stepped_over_growth` finds trajectories whose growth
    note speaks: how many (of the batch, and of those judged where not all were), the first ones, the e-folds their
    steps spanned, the note's remedy (``controller='pi'`` and a first ``dt`` for the fastest growth found), and
    ``res.message(i)`` for each one's details."""
    verdict = stepped_over_growth(result)
    if verdict is None or not verdict[0]:
        return
    found, judged, candidates = verdict
    total = int(np.size(host_array(result.status)))
    share = f"{QUIET_SHARE:.0%}".replace("%", " %")
    if total == 1:
        head = f"{_named(found)} ended with success still within {share} of its initial state"
    elif judged == candidates:
        head = (f"{len(found)} of {total} trajectories ({_named(found)}) ended with success still within {share} of "
                "their initial state")
    else:
        head = (f"{candidates} of {total} trajectories ended with success still within {share} of their initial "
                f"state; of the {judged} of them checked, {len(found)} ({_named(found)}) did so")
    efolds = min(rate * step for _, rate, step in found)
    dt = min(FIRST_STEP_EFOLDS / rate for _, rate, _ in found)
    fold = "its e-folding time" if len(found) == 1 else "the shortest e-folding time found"
    warn_user(f"{head}, after accepted steps averaging {efolds:.3g} or more e-folds of a mode growing there: an "
              "implicit step that long can damp the growth instead of following it, so an ignition or runaway may "
              "have been stepped over with success reported. If growth is expected, give controller='pi' with a "
              f"first step dt below about {dt:.1e}, {FIRST_STEP_EFOLDS:g} of {fold} (and/or dt_max), and compare with "
              "a run at a tighter atol; res.message(i) gives each trajectory's growth rate, steps and first step.",
              SuspectSuccessWarning)
