"""Switches in the drivers' samples that a step can pass over: short segments across which a driver changes by
much of its range (an infusion's ramp), with an end no step lands on.  An adaptive step lands only on the save
times, the span's ends and where its error test puts it; a fixed step on its grid, which restarts at each save time.
Either can pass over a switch seeing the drivers only at its stages and end far off with success (a
pharmacometrician's trials), so a solve warns once (:class:`kernels.SamplingWarning`) naming the first such
segment and what to do.
"""

from __future__ import annotations

import numpy as np

from .errors import SamplingWarning, warn_user
from .time_checks import STEP_SNAP

__all__ = ["hidden_switches", "warn_hidden_switches", "warn_fixed_step_switches"]


#: A segment of the drivers' samples is a switch an adaptive step can hide when it is at most SWITCH_SPAN_SHARE of
#: the span and SWITCH_NEIGHBOUR_SHARE of each segment beside it, and its driver changes across it by at least
#: SWITCH_CHANGE_SHARE of that driver's range (a 0.01-h infusion ramp over 56 h: 1.8e-4 of the span, 1/99 of the
#: plateau beside it, the whole range), and the segments beside it change that driver by at most SWITCH_CALM_SHARE of
#: its change (a switch goes from one level to another; a tapering plateau, 100 -> 70 -> 50 between 0.01-h ramps,
#: changes by 0.3 of its ramp: at a quarter those pulses went unseen, a regression hunt).  Evenly spaced samples (a
#: daily temperature, a noisy measured signal) have no segment far shorter than its neighbours, and noise logged at
#: irregular times seldom has one whose neighbours are calm (white noise at exponentially distributed times drew the
#: fixed-step warning without this rule: a regression hunt).
SWITCH_SPAN_SHARE = 1e-2
SWITCH_NEIGHBOUR_SHARE = 0.1
SWITCH_CHANGE_SHARE = 0.5
SWITCH_CALM_SHARE = 0.5


def _switch_segments(times, values, t0, t_end):
    """``(M - 1, n_drivers)`` bools: the segments inside ``(t0, t_end)`` that are switches by the shares above."""
    gaps = np.diff(times)
    beside = np.minimum(np.concatenate(([np.inf], gaps[:-1])), np.concatenate((gaps[1:], [np.inf])))
    short = (gaps <= SWITCH_SPAN_SHARE * (t_end - t0)) & (gaps <= SWITCH_NEIGHBOUR_SHARE * beside)
    short &= (times[1:] > t0) & (times[:-1] < t_end)
    values = np.asarray(values, np.float64).reshape(len(times), -1)
    ranges = np.ptp(values, axis=0)
    change = np.abs(np.diff(values, axis=0))
    large = (change >= SWITCH_CHANGE_SHARE * ranges) & (ranges > 0)
    none = np.zeros((1, change.shape[1]))
    calm = ((np.concatenate((none, change[:-1])) <= SWITCH_CALM_SHARE * change)
            & (np.concatenate((change[1:], none)) <= SWITCH_CALM_SHARE * change))
    return short[:, None] & large & calm


def _landed(points, landings, gaps):
    """Whether a step lands on each of ``points`` (a segment end, clipped to the span): a landing time (sorted)
    lies within a thousandth of its segment's length ``gaps``, or float64's rounding at that time."""
    right = np.clip(np.searchsorted(landings, points), 0, len(landings) - 1)
    left = np.clip(right - 1, 0, len(landings) - 1)
    nearest = np.minimum(np.abs(landings[right] - points), np.abs(landings[left] - points))
    return nearest <= np.maximum(1e-3 * gaps, 8.0 * np.finfo(np.float64).eps * np.abs(points))


def fixed_landings(points, saves, dt):
    """The time a fixed step of ``dt`` lands on nearest each of ``points`` (inside ``[saves[0], saves[-1]]``): the
    loop restarts its grid at each save time (``saves`` sorted, t0 first, t_end last) and takes ``ceil(interval /
    dt)`` steps at ``start + j dt``, the last landing on the next save (README, "Fixed steps are exact"; the ratio
    snapped to an integer within :data:`kernels.time_checks.STEP_SNAP`, as the loop does).  One look-up a point:
    the steps are never enumerated (a span of 1e6 steps has a few switches)."""
    k = np.clip(np.searchsorted(saves, points, side="right") - 1, 0, len(saves) - 2)
    start, end = saves[k], saves[k + 1]
    ratio = (end - start) / dt
    nearest = np.round(ratio)
    steps = np.maximum(np.where(np.abs(ratio - nearest) <= STEP_SNAP * nearest, nearest, np.ceil(ratio)), 1.0)
    on_grid = start + np.clip(np.round((points - start) / dt), 0.0, steps - 1.0) * dt
    return np.where(np.abs(end - points) < np.abs(on_grid - points), end, on_grid)


def hidden_switches(times, values, t0, t_end, t_eval, dt_max=np.inf, fixed_dt=None):
    """``(column, segments, count)`` for the switches (:func:`_switch_segments`) a step can step over, those with an
    end no step need land on and shorter than ``dt_max``: the first driver column with one, its segments' indices,
    and how many segments hold one in any column; ``(None, [], 0)`` where there is none.  An adaptive step need land
    only on ``t_eval``, ``t0`` and ``t_end``; with ``fixed_dt`` (a fixed step, which then stands for ``dt_max``)
    steps land on the grid of :func:`fixed_landings` between those save times."""
    switches = _switch_segments(times, values, t0, t_end)
    gaps = np.diff(times)
    saves = np.union1d(np.asarray(t_eval, np.float64).ravel(), [t0, t_end])

    def landed(points):
        """Whether a step lands on each segment end ``points`` (clipped to the span)."""
        landings = saves if fixed_dt is None else np.sort(fixed_landings(points, saves, fixed_dt))
        return _landed(points, landings, gaps)

    ends_landed = landed(np.clip(times[:-1], t0, t_end)) & landed(np.clip(times[1:], t0, t_end))
    shorter = gaps < (dt_max if fixed_dt is None else fixed_dt)
    hidden = switches & ~ends_landed[:, None] & shorter[:, None]
    columns = np.flatnonzero(hidden.any(axis=0))
    if not columns.size:
        return None, [], 0
    return int(columns[0]), np.flatnonzero(hidden[:, columns[0]]), int(np.count_nonzero(hidden.any(axis=1)))


def _named_switch(times, values, column, segments, count):
    """``(text, length)``: the first hidden switch as a message opens with it (its column, change, ends and length,
    and how many such segments there are), and its length."""
    i = int(segments[0])
    a, b = float(times[i]), float(times[i + 1])
    column_values = np.asarray(values, np.float64).reshape(len(times), -1)[:, column]
    change = float(column_values[i + 1] - column_values[i])
    more = f"; {count} such segments in all" if count > 1 else ""
    return (f"drivers: column {column} changes by {change:.6g} between t = {a:.10g} and {b:.10g}, a segment "
            f"{b - a:.3g} long, far shorter than the span and the segments beside it", more), b - a


def warn_fixed_step_switches(times, values, dt, t0, t_end, t_eval):
    """:class:`kernels.SamplingWarning` when a fixed step ``dt`` passes over a switch of the drivers: a segment
    shorter than ``dt`` (a switch by :func:`_switch_segments`) with an end no fixed step lands on
    (:func:`fixed_landings`).  rk4 at dt 0.25 over 0.6-h infusions given as 1e-3-h ramps at 0, 0.6, 12 and 12.6 h,
    saves at 12 and 24 h, ended with the total drug 16.7 % off, success and no word (a pharmacometrician's
    trial)."""
    _warn_first_switch(times, values, hidden_switches(times, values, t0, t_end, t_eval, fixed_dt=dt),
                       f", and shorter than dt = {dt:.6g}, with an end no fixed step lands on{{more}}: a fixed step "
                       "passes over it, seeing the drivers only at its stages, and can miss the switch or a whole "
                       "pulse, with success reported (0.6-h infusions at dt 0.25: the total drug 16.7 % off). Put "
                       "both ends of every such segment in t_eval, where fixed steps land",
                       "take dt at most the segment's length")


def warn_hidden_switches(times, values, t0, t_end, t_eval, dt_max=np.inf):
    """:class:`kernels.SamplingWarning`, once, when an adaptive run's drivers hold a switch a step can hide: a
    segment far shorter than the span and than its neighbours, across which a driver changes by much of its range,
    with an end not in ``t_eval`` (where every step lands).  A step that grows past it sees the drivers only at its
    stages and can miss the switch, or a whole pulse: 1-hour infusions as 0.01-h ramps at 8, 20, 32 and 44 h,
    ramp times not in ``t_eval``, were stepped over from 0 to past 9 h by tsit5, radau and rodas5p (A(10 h) = 0
    where 78 is right) with success and no word (a pharmacometrician's trial)."""
    _warn_first_switch(times, values, hidden_switches(times, values, t0, t_end, t_eval, dt_max),
                       ", whose ends are not both in t_eval{more}: an adaptive step can grow past such a switch, "
                       "seeing the drivers only at its stages, and miss it or a whole pulse, with success reported "
                       "(1-hour infusions went unseen so). Put both ends of every such segment in t_eval, where every "
                       "step lands", "give dt_max below the segment's length")


def _warn_first_switch(times, values, found, passage, alternative):
    """The SamplingWarning naming the first switch of ``found`` (:func:`hidden_switches`' triple; nothing where it
    has none): its segment, ``passage`` (with ``{more}`` for the count of others) and the two remedies."""
    column, segments, count = found
    if column is None:
        return
    (opening, more), length = _named_switch(times, values, column, segments, count)
    warn_user(f"{opening}{passage.format(more=more)} (e.g. t_eval = np.union1d(t_eval, times) with times the drivers' "
              f"sample times), or {alternative} ({length:.3g}).", SamplingWarning)
