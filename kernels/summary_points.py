"""Whether an adaptive run's summaries rest on few accepted steps: one :class:`kernels.SummaryWarning` a solve.

``mean`` and ``rms`` are the trapezoid rule over the accepted step points and ``min``, ``max`` and ``argmax`` are
taken at them (:mod:`kernels.summaries`), so their error follows the step size, not ``rtol``.  An adaptive method
lengthens its steps wherever the states are easy to follow: Kuramoto with N = 4 and K = 0 (states linear in t) took
5 tsit5 steps over [0, 10] at rtol 1e-6, and the time mean of the order parameter came out 0.3047 against 0.3509,
with success and no word (a physicist's trial; the low-K rows of a K sweep are the ones with the longest steps).
:func:`warn_few_summary_steps`, called once by ``Integrator.solve`` (so by ``solve_ivp`` and, on each worker, by a
``client=`` solve, whose chunks' warnings the client raises once), says so where it is likely.

Silent: fixed steps (the step is the user's choice, README), a ``final``-only summary, no summaries, trajectories
that did not succeed (their messages speak for them; a terminal event's shortened windows included), a ``dt_max``
that alone gives the span :data:`SUMMARY_MIN_STEPS` steps, and results whose counts stay on the device (copying
them would cost a ``out=`` loop its microseconds of host time).
"""

from __future__ import annotations

import numpy as np

from planner.wording import joined_words

from .errors import SummaryWarning, warn_user
from .status import SUCCESS

__all__ = ["SUMMARY_MIN_STEPS", "STEP_POINT_STATS", "few_summary_steps", "warn_few_summary_steps"]

#: Fewer accepted steps than this over the summarised span (or that pace between two saves) draws the warning.
#: The trapezoid mean of a smooth curved quantity over k equal steps is off by about pi^2 / (12 k^2) for half a sine
#: period: measured 3.3e-2 at k = 5, 1.3e-2 at 8, 3.2e-3 at 16, 8.0e-4 at 32 (a peak between step points is missed
#: by up to 1 - cos(pi / 2k): 4.9e-2 at 5, 4.8e-3 at 16).  y' = -y over [0, 10] under tsit5: 11 steps at rtol 1e-3,
#: mean 3.2 % off (warned); 26 at 1e-6, 0.44 % off (silent).  So below 16 a summary is off by a percent or more on
#: any curved quantity, while the README's examples (van der Pol, 57 to 111 steps; DOP853's pendulum, 66) stay
#: silent; the warning catches the gross cases, it does not promise the tolerances above it.
SUMMARY_MIN_STEPS = 16

#: The statistics taken at the step points (the trapezoid rule's, or the points themselves); ``final`` is exact.
STEP_POINT_STATS = ("mean", "rms", "min", "max", "argmax")


def _stretches(result, per, t_end):
    """``(span, longest stretch (start, end), stretches of some length)`` between the times every step ends on: ``t0``,
    the saves and, for ``per="run"`` (whose loop runs on past the last save), ``t_end``.  ``per="save"``'s windows are
    these stretches (the first a single point, not counted, when ``t_eval[0] == t0``)."""
    t0 = float(result.t_start)
    ends = [t_end] if per == "run" and t_end > float(result.t[-1]) else []
    edges = np.concatenate([[t0], np.asarray(result.t, np.float64), ends])
    lengths = np.diff(edges)
    k = int(np.argmax(lengths))
    return float(edges[-1] - t0), (float(edges[k]), float(edges[k + 1])), int(np.count_nonzero(lengths > 0))


def few_summary_steps(result, summaries, adaptive, t_end, dt_max=np.inf):
    """``(rows, steps, (start, end))`` of the successful trajectories whose summaries rest on few accepted steps: the
    first one's steps in the stretch it names, else None (the module's docstring says when it is silent).

    Coarse: fewer than :data:`SUMMARY_MIN_STEPS` steps over the span, or that pace in the longest stretch between
    saves.  The kernel does not count a stretch's steps, so they are bounded: every other stretch of some length ends
    on an accepted step (each save ends a step), so at most ``n_steps - others`` fall in it, and it is coarse where
    that bound scaled to the span (``bound * span / stretch``: the steps the span would take at that pace) is below
    the threshold (25 saves in [0, 0.5] then one at 3: 33 tsit5 steps, at most 8 in [0.5, 3], where the run's mean of
    sin(t) came out 8 % off).  A per-window average (``n_steps / windows``) would warn on every densely saved
    ``per="save"`` run: 101 saves over [0, 3] average one step a window, which is what ``dt_max=0.03`` gives, and
    the statistics of windows 0.03 long are right.
    """
    if (summaries is None or not adaptive or not set(summaries.stats) & set(STEP_POINT_STATS)
            or result.t_start is None or not isinstance(result.n_steps, np.ndarray)
            or not isinstance(result.status, np.ndarray)):
        return None
    span, stretch, positive = _stretches(result, summaries.per, float(t_end))
    length = stretch[1] - stretch[0]
    if not (span > 0 and length > 0) or span / float(dt_max) >= SUMMARY_MIN_STEPS:  # dt_max alone gives the steps
        return None
    steps = result.n_steps.astype(np.int64)
    in_stretch = steps - (positive - 1)
    coarse = (steps < SUMMARY_MIN_STEPS) | (in_stretch * (span / length) < SUMMARY_MIN_STEPS)
    rows = np.flatnonzero((result.status == SUCCESS) & coarse)
    if not rows.size:
        return None
    if steps[rows[0]] < SUMMARY_MIN_STEPS:  # coarse over the whole span: name that
        return rows, int(steps[rows[0]]), (float(result.t_start), float(result.t_start) + span)
    return rows, int(in_stretch[rows[0]]), stretch


def _how_taken(stats):
    """What the requested ``stats`` are of the step points, e.g. "mean is the trapezoid rule over the step points
    and max is taken at them": the warning names only what was asked for."""
    def listed(names, verb):
        return joined_words(names) + (
            " is " if len(names) == 1 else " are ") + verb

    trapezoid = [s for s in ("mean", "rms") if s in stats]
    points = [s for s in ("min", "max", "argmax") if s in stats]
    parts = [listed(trapezoid, "the trapezoid rule over the step points")] if trapezoid else []
    if points:
        parts.append(listed(points, "taken at them" if trapezoid else "taken at the step points"))
    return " and ".join(parts)


def warn_few_summary_steps(result, summaries, adaptive, t_end, dt_max=np.inf):
    """:class:`kernels.SummaryWarning`, once, where :func:`few_summary_steps` finds trajectories whose summaries
    rest on few accepted steps: how many, the first one's steps and stretch, and the remedies (``dt_max`` for 100
    points over the span, or an integral as a state).  ``result`` is the solve's :class:`kernels.IVPResult`."""
    found = few_summary_steps(result, summaries, adaptive, t_end, dt_max)
    if found is None:
        return
    rows, steps, (start, end) = found
    first, total = int(rows[0]), int(result.n_steps[rows[0]])
    where = (f"trajectory {first}: {steps} accepted steps over [{start:g}, {end:g}], fewer than {SUMMARY_MIN_STEPS}"
             if steps == total else
             f"trajectory {first}: at most {steps} of its {total} accepted steps in [{start:g}, {end:g}], the longest "
             f"stretch between saves, as every other save ends a step; at that pace fewer than {SUMMARY_MIN_STEPS} "
             "over the span")
    span = _stretches(result, summaries.per, float(t_end))[0]
    warn_user(f"the summaries of {rows.size} of {result.n_steps.shape[0]} trajectories rest on few accepted steps "
              f"({where}): {_how_taken(summaries.stats)}, so on a curved quantity they can be far outside the "
              "tolerances (the steps follow the states' error, not the summaries'); bound the step with dt_max= "
              f"(e.g. dt_max={span / 100:.3g} for 100 points over this span) or make the integral a state "
              "(dydt[k] = the quantity, starting at 0: its final value over the span's length is the mean, to the "
              "tolerances).", SummaryWarning)
