"""A state that fell far below its ``atol`` and grew back: its regrowth started from an uncontrolled value.

Below ``atol`` the error test no longer controls a state's size: a step may make it 100 or 1e10 times too large or
too small and still pass.  Where the state's rate is proportional to itself (a population, a concentration with no
inflow), its regrowth by many orders of magnitude starts from that uncontrolled value, so the time it takes to grow
back (a predator-prey cycle's phase) and every state after it are lost: a Rosenzweig-MacArthur prey (paradox of
enrichment, K = 8 to 20) truly falls to 4.4e-12, 5.9e-17 and 1.05e-22 on its cycle, and at the defaults (float32 and
float64, atol 1e-6) the runs ended 277 to 2e7 tolerances off with status success and no word; at atol 1e-30 they end
12 to 69 off, as SciPy does (an ecologist's trial).  :mod:`kernels.float32_underflow` warns of the same regrowth from
below float32's range, which no ``atol`` helps; this module warns of one from below ``atol``, which a smaller
``atol`` for that state (or its logarithm as the state) cures.

:func:`warn_atol_dip` (one :class:`kernels.ToleranceWarning` a solve, from ``Integrator.solve``, adaptive runs with
their results on the host) reads only what the solve kept, in time order: ``y0``, the saves, and the ``min`` of
:class:`kernels.Summaries` (``per="save"``: each window's between its saves; ``per="run"``: the run's, between ``y0``
and the value at the span's end).  A state is flagged where, on the side of 0 where it is largest, it was at or above
its ``atol``, then below :data:`LOW_SHARE` times it, then back at :data:`REGROWN` times ``atol`` or more and
:data:`REGROWTH` times its low point or more (a low at or below 0, a slip within the tolerance, counts as low).
A state kept below -:data:`SLIP` times its atol changed sign (an oscillator): not judged.  Then the state's rate
must vanish with it (the rhs with that state set to 0 leaves its rate at exactly 0, at ``y0`` and at the low's and
the regrowth's saves), as in :mod:`kernels.float32_underflow`: a regrowth fed by an inflow (a chemostat's substrate,
transcription) is computed right whatever the low.  An inflow in t counts too: from the low to the first value
regrown after it the rate must vanish at :data:`SAMPLES` even times and at the switch times
:func:`kernels.time_branches.time_switches` reads from the rhs there (and between them), the other states
interpolated between the saves (a dose written in the rhs, off at every save, was warned as a dip: a regression
hunt).  That host test runs on at most :data:`MAX_JUDGED` flagged trajectories a state.

Silent: fixed steps (no ``atol``), results or inputs on the device, systems with drivers (their rhs needs ``u``),
a run that kept only its final state (nothing shows a dip), a state that decays to 0 and stays there (extinction,
a chemostat's loser), one that starts below ``atol`` and grows (it never fell), one that dips no lower than
``atol / 100``, and in float32 a low within float32's normal range of 0 (1.2e-38: the float32 underflow warning's,
where no atol helps; both spoke of one dip before).

Why a ToleranceWarning: it says that the run's ``atol`` did not act as asked, so the result is many tolerances off
with status success, and the remedy is an ``atol`` (judged after the solve from its results: through ``client=`` each
chunk draws it from its own, :mod:`kernels.warning_origin`).  It was a SummaryWarning, which a run that asked for no
summaries was shown, under a name that told nothing of its cause (an ecologist's trial): the ``min`` of Summaries is
only one of the places it reads.

Cost (host, float64, 4096 trajectories of 16 saves of 2 states): 0.5 ms where no state comes near 0, 10 ms where
3 in 4 truly dip by their own rate (4 ms before the samples in t); 18 ms for 48 saves of 1 state where every one dips
and a dose in the rhs refills it; 35 ms for 100 saves of 8 states where every one dips (before the samples in t).
One pass over the kept values picks the trajectories with a value within :data:`SLIP` atol of 0, only they are
scanned (time-major, 4096 at a time), and at most 3 + :data:`SAMPLES` + twice the switches read host rhs calls are
made on each of :data:`MAX_JUDGED` trajectories a flagged state (an inflow ends them at the first that shows it: a
dose's middle comes first).
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from .errors import ToleranceWarning, warn_user
from .float32_underflow import FLOAT32_TINY, own_regrowth
from .growth_warning import trajectories_named
from .time_branches import time_switches

__all__ = ["warn_atol_dip", "atol_dips", "scan_dips", "Dip", "LOW_SHARE", "SLIP", "REGROWN", "REGROWTH", "MAX_JUDGED",
           "SAMPLES"]

#: A state counts as fallen where it is below this share of its atol (a dip to atol/2 is within the tolerance).
LOW_SHARE = 1e-2
#: ... and as grown back where it is later at this many times its atol or more ...
REGROWN = 100.0
#: ... and at this many times its low point or more.
REGROWTH = 1e4
#: A state kept below -SLIP times its atol (on the side of 0 opposite its largest value) changed sign: not judged
#: (a slip below 0 within the tolerance, as a decay to 0 may end, is a low point).
SLIP = 10.0
#: Flagged trajectories a state whose own-regrowth test (the rhs at 0) is run, in index order.
MAX_JUDGED = 8
#: Even times from a low to its regrowth where the rate with the state at 0 must vanish too (a dose in the rhs).
SAMPLES = 32
#: A suggested atol is this share of the low point found.
ATOL_SHARE = 1e-3
_CHUNK = 4096  # trajectories scanned at once (bounds the scan's temporary arrays)


@dataclasses.dataclass(frozen=True)
class Dip:
    """A state of one trajectory that fell below its atol and grew back: its low point and where it was read."""

    trajectory: int
    state: int
    low: float
    where: str  # "saved at t = 90", "its summary min over the run", ...
    regrown: float


def warn_atol_dip(integrator, result, y0, params, t_end, atol):
    """Warn (:class:`kernels.ToleranceWarning`, once a solve) where :func:`atol_dips` finds states that fell far below
    their atol and grew back by their own rate.  ``atol`` is the run's per-state atol (None for fixed steps: no
    check); device arrays are not looked at.  Never raises: a warning must not fail a solve."""
    try:
        dips, flagged = atol_dips(integrator, result, y0, params, t_end, atol)
        text = _message(dips, flagged, int(np.size(np.asarray(result.status))), integrator,
                        np.broadcast_to(np.asarray(atol, np.float64).reshape(-1), (integrator.system.n_states,)))\
            if dips else None
    except Exception:  # noqa: BLE001 - a warning must never fail a solve: none
        return
    if text:
        warn_user(text, ToleranceWarning)


def atol_dips(integrator, result, y0, params, t_end, atol):
    """``(dips, flagged)``: the confirmed :class:`Dip` of each trajectory (one state each, index order) and how many
    trajectories the scan flagged in the states confirmed (the module's docstring says how)."""
    system = integrator.system
    if atol is None or system.n_drivers or not all(isinstance(a, np.ndarray) for a in (y0, params)):
        return [], 0
    saves = result.y if isinstance(result.y, np.ndarray) and np.ndim(result.y) == 3 else None
    rows, n = int(np.size(np.asarray(result.status))), system.n_states
    atol = np.broadcast_to(np.asarray(atol, np.float64).reshape(-1), (n,))
    y0, params = _rows(y0, rows), _rows(params, rows)
    flagged = {}  # state -> ({trajectory: (low, where, regrown, (low's save, regrowth's save))}, [flagged rows])
    summaries = integrator.settings.summaries
    floor = FLOAT32_TINY if np.dtype(integrator.dtype) == np.float32 else 0.0  # below it: float32_underflow's
    for start in range(0, rows, _CHUNK):
        part = _near_zero(summaries, result, saves, slice(start, min(start + _CHUNK, rows)), atol)
        for values, where, points, spans in _sequences(summaries, result, saves, y0[part], part, t_end):
            _flag(values, where, points, spans, atol, floor, _indices(part), flagged)
    if not flagged:
        return [], 0
    t = np.asarray(result.t, np.float64).reshape(-1)
    return _confirmed(system, params, y0, (float(result.t_start), t_end), t, saves, flagged)


def _rows(array, rows):
    """``array`` (a batch's ``y0`` or ``params``, one row or ``rows`` of them) as ``rows`` rows of float64."""
    array = np.asarray(array, np.float64)
    return array if array.ndim == 2 and array.shape[0] == rows else np.broadcast_to(
        array.reshape(-1, array.shape[-1])[:1], (rows, array.shape[-1]))


def _near_zero(summaries, result, saves, part, atol):
    """The trajectories of ``part`` (a slice) with a saved value or a summary ``min`` or ``max`` within :data:`SLIP`
    times its atol of 0: only they can show a dip (one pass over the kept values; a sweep that shows none stops
    here)."""
    near = np.zeros(part.stop - part.start, bool)
    kept = [(saves[part], atol)] if saves is not None else []
    if summaries is not None and result.summary_array is not None:
        states = list(summaries.states)
        kept += [(result.summaries[s][part][:, :, :len(states)], atol[states]) for s in ("min", "max")
                 if s in summaries.stats]
    for values, scale in kept:
        with np.errstate(invalid="ignore"):
            near |= (np.abs(values) < SLIP * scale).any(axis=(1, 2))
    rows = part.start + np.flatnonzero(near)
    return slice(part.start, part.stop) if rows.size == near.size else rows  # a view where every row is taken


def _indices(part):
    """``part`` (a slice or indices) as indices."""
    return np.arange(part.start, part.stop) if isinstance(part, slice) else part


def _sequences(summaries, result, saves, y0, part, t_end):
    """The kept values of the trajectories ``part`` (a slice or indices) as ``(values (L, c, n) float64, where (L,)
    str, points (L,), spans (L,))`` sequences in time order (NaN where a state is not kept): ``y0``, then each save
    (after its window's summary low, ``per="save"``); and ``y0``, the run's summary low, the value at ``t_end``
    (``per="run"``).  ``where`` says where each value was read; ``points[k]`` is the index of the save at position
    ``k`` (-1: not a save); ``spans[k]`` the times ``(from, to)`` it lies between (a summary low's window).
    Time-major, so that the scan's passes read contiguous rows."""
    n, t = y0.shape[1], np.asarray(result.t, np.float64).reshape(-1)
    kept = None if saves is None else np.asarray(saves[part], np.float64).transpose(1, 0, 2)  # time-major
    lows = _summary_lows(summaries, result, part, n)
    per_save = summaries is not None and summaries.per == "save"
    if kept is not None or (per_save and lows is not None):
        ends = kept if kept is not None else _summary_stat(summaries, result, "final", part, n)
        t0 = float(result.t_start)
        columns, where, points, spans = [y0], ["at t0"], [-1], [(t0, t0)]
        for k in range(t.size):
            if per_save and lows is not None:
                columns.append(lows[k])
                where.append(f"its summary min between t = {t[k - 1] if k else t0:.6g} and {t[k]:.6g}")
                points.append(-1)
                spans.append((t[k - 1] if k else t0, t[k]))
            if ends is not None:
                columns.append(ends[k])
                where.append(f"saved at t = {t[k]:.6g}")
                points.append(k if kept is not None else -1)
                spans.append((t[k], t[k]))
        yield np.stack(columns), where, points, spans
    if lows is not None and not per_save:
        at_end = kept is not None and t.size and t[-1] == t_end
        end = kept[-1] if at_end else _summary_stat(summaries, result, "final", part, n)
        if end is not None:
            t0 = float(result.t_start)
            yield (np.stack([y0, lows[0], end if at_end else end[-1]]),
                   ["at t0", "its summary min over the run", "at t_end"], [-1, -1, t.size - 1 if at_end else -1],
                   [(t0, t0), (t0, t_end), (t_end, t_end)])


def _summary_stat(summaries, result, stat, part, n):
    """The summary ``stat`` of the trajectories ``part`` as ``(windows, c, n)`` float64 by state (NaN for the
    states not summarised), or None where the solve kept no such statistic."""
    if summaries is None or stat not in summaries.stats or result.summary_array is None:
        return None
    data = np.asarray(result.summaries[stat][part], np.float64).transpose(1, 0, 2)
    out = np.full(data.shape[:2] + (n,), np.nan)
    out[:, :, list(summaries.states)] = data[:, :, :len(summaries.states)]
    return out


def _summary_lows(summaries, result, part, n):
    """Each window's summary ``min`` or ``max``, whichever is nearer 0 (a positive state's min, a negative one's
    max), as ``(windows, c, n)``; None where the solve kept neither."""
    low, high = (_summary_stat(summaries, result, s, part, n) for s in ("min", "max"))
    if low is None or high is None:
        return low if high is None else high
    return np.where(np.isnan(low) | (np.abs(high) < np.abs(low)), high, low)


def scan_dips(values, atol):
    """``(hits, low, last)`` of a time-ordered ``values`` array ``(L, m)`` (``atol`` ``(m,)``), each column taken on
    the side of 0 where it is largest: ``hits`` ``(m,)`` where it was at or above ``atol``, later below
    :data:`LOW_SHARE` ``atol``, and later still at or above :data:`REGROWN` ``atol`` and :data:`REGROWTH` times that
    low, without ever falling below -:data:`SLIP` ``atol`` (a sign change); ``low`` its least value before its last
    such regrowth (signed as kept), ``last`` that regrowth's position.  NaN (a state not kept, a failed trajectory's
    saves) is skipped.  Time runs down the first axis, so each pass reads contiguous rows."""
    size = np.where(np.isnan(values), -1.0, np.abs(values))
    sign = np.where(np.take_along_axis(values, size.argmax(axis=0)[None], axis=0)[0] < 0, -1.0, 1.0)
    w = values * sign
    with np.errstate(invalid="ignore", over="ignore"):
        was_high = np.zeros(w.shape, bool)
        was_high[1:] = np.logical_or.accumulate(w >= atol, axis=0)[:-1]
        prior = np.full(w.shape, np.inf)
        prior[1:] = np.minimum.accumulate(np.where(was_high & (w < LOW_SHARE * atol), w, np.inf), axis=0)[:-1]
        regrew = np.isfinite(prior) & (w >= REGROWN * atol) & (w >= REGROWTH * prior)
        crossed = np.where(np.isnan(w), np.inf, w).min(axis=0) < -SLIP * atol
    last = w.shape[0] - 1 - regrew[::-1].argmax(axis=0)
    return regrew.any(axis=0) & ~crossed, np.take_along_axis(prior, last[None], axis=0)[0] * sign, last


def _flag(values, where, points, spans, atol, floor, part, flagged):
    """Add to ``flagged`` the dips :func:`scan_dips` finds in ``values`` ``(L, c, n)`` of the trajectories ``part``:
    every flagged trajectory, and the details of the first :data:`MAX_JUDGED` a state (one flagged twice keeps its
    first), except those whose low is within ``floor`` of 0 (float32's range, which
    :mod:`kernels.float32_underflow` judges and no atol helps).  The details keep the times between the low and the
    first value regrown after it (``spans`` of :func:`_sequences`), where an inflow would have refilled it.  Only
    the columns kept within :data:`SLIP` ``atol`` of 0 somewhere are scanned: a cheap pass leaves the others out."""
    length, c, n = values.shape
    flat = values.reshape(length, c * n)
    scale = np.tile(atol, c)
    with np.errstate(invalid="ignore"):
        columns = np.flatnonzero((np.abs(flat) < SLIP * scale).any(axis=0))
    if not columns.size:
        return
    hits, low, last = scan_dips(flat[:, columns], scale[columns])
    hits &= ~(np.abs(low) < floor)
    columns, low, last = columns[hits], low[hits], last[hits]
    for state in np.unique(columns % n):
        mine = np.flatnonzero(columns % n == state)
        details, rows = flagged.setdefault(int(state), ({}, []))
        rows.append(part[columns[mine] // n])
        for m in mine[:MAX_JUDGED - len(details)]:
            column, at = int(columns[m]), int(last[m])
            k = int(np.flatnonzero(flat[:at, column] == low[m])[0])
            regrowth = next((points[j] for j in range(at, length) if points[j] >= 0), -1)
            w = flat[k:at + 1, column] * (1.0 if flat[at, column] > 0 else -1.0)  # on the side of its regrowth
            with np.errstate(invalid="ignore"):
                first = k + int(np.argmax((w >= REGROWN * scale[column]) & (w >= REGROWTH * w[0])))
            details.setdefault(int(part[column // n]), (float(low[m]), where[k], float(flat[at, column]),
                                                     (points[k], regrowth), (spans[k][0], spans[first][1])))


def _confirmed(system, params, y0, span, t, saves, flagged):
    """The flagged dips whose state's rate vanishes with it (:func:`own_regrowth`): at ``y0`` and at the low's and
    the regrowth's saves where they are saves, then at :data:`SAMPLES` times between the low and the first value
    regrown and at the rhs's switch times there (:func:`_between`): a rate that depends on t (a dose written in the
    rhs, off at the saves) is an inflow.  On the first :data:`MAX_JUDGED` flagged trajectories of each state; and
    how many trajectories the states with a confirmed dip flagged."""
    try:  # the switches of a pulse written in the rhs (read from its source: [] where it cannot be read)
        read = [times for times, _, _ in time_switches(system.rhs, span)]
    except Exception:  # noqa: BLE001 - an unread source: the even samples alone
        read = []
    switches = np.unique(np.concatenate(read)) if read else np.empty(0)
    found, counted = {}, []
    for state, (details, rows) in sorted(flagged.items()):
        confirmed = False
        for i in sorted(details):
            points = [(span[0], y0[i])] + [(t[k], saves[i, k]) for k in details[i][3] if k >= 0]
            between = list(_between(details[i][4], switches, span[0], y0[i], t, None if saves is None else saves[i]))
            # alone, or with the states that dipped in the same trajectory: the group's rates vanish together
            group = [other for other, (seen, _) in sorted(flagged.items()) if i in seen]
            if any(own_regrowth(system, params[i], states, itertools.chain(points, between))
                   for states in ([state], group)[:1 + (len(group) > 1)]):
                low, where, regrown, _, _ = details[i]
                found.setdefault((i, state), Dip(i, state, low, where, regrown))
                confirmed = True
        if confirmed:
            counted.extend(rows)
    return [found[key] for key in sorted(found)], int(np.unique(np.concatenate(counted)).size) if counted else 0


def _between(span, switches, t0, y0, t, saves):
    """``(t, y)`` points from the low to its regrowth (``span``): the midpoints between the ``switches`` inside it
    (a pulse's middle first), those switches, and :data:`SAMPLES` even times; ``y`` interpolated linearly between
    ``y0`` and the ``saves`` (``y0`` where none were kept), for the other states an inflow may read."""
    a, b = span
    inside = switches[(switches > a) & (switches < b)]
    edges = np.concatenate(([a], inside, [b]))
    times = np.array(list(dict.fromkeys(np.concatenate(((edges[1:] + edges[:-1]) / 2, inside,
                                                        np.linspace(a, b, SAMPLES))).tolist())))
    if saves is None or not t.size:
        states = np.broadcast_to(y0, (times.size, y0.size))
    else:
        xp, fp = np.concatenate(([t0], t)), np.vstack((y0, saves))
        states = np.stack([np.interp(times, xp, fp[:, j]) for j in range(y0.size)], axis=1)
    return zip(times, states)


def _message(dips, flagged, rows, integrator, atol):
    """The warning's text: which trajectories and state, its low and atol, why the run is off, and the remedies."""
    from .named_states import state_label, state_names

    names = state_names(integrator.system)

    def label(s):
        return state_label(integrator.system, s, names)

    first = dips[0]
    named = trajectories_named(sorted({d.trajectory for d in dips}))
    head = named if rows == 1 else f"{flagged} of {rows} trajectories ({named})"
    dipped = sorted({d.state for d in dips})  # an SEIR model's E and I dip together: each gets its atol
    states = " and ".join(label(s) for s in dipped)
    suggested = {s: ATOL_SHARE * (lowest if lowest > 0 else LOW_SHARE * float(atol[s]))
                 for s in dipped for lowest in [min(d.low for d in dips if d.state == s)]}
    float64 = (" (below float32's least normal value, 1.2e-38: with precision=np.float64)"
               if min(suggested.values()) < FLOAT32_TINY and np.dtype(integrator.dtype) == np.float32 else "")
    example = "[" + ", ".join(f"{float(f'{suggested[s]:.0e}') if s in suggested else a:.0e}"
                              for s, a in enumerate(atol)) + "]"
    many = len(dipped) > 1
    return (f"{head} ended with status success after state{'s' * many} {states} fell far below "
            f"{'their atols' if many else 'its atol'} and grew back: in "
            f"trajectory {first.trajectory} {label(first.state)} was {first.low:.2g} ({first.where}), below "
            f"1/{1 / LOW_SHARE:.0f} of its atol {float(atol[first.state]):.2g}, and later {first.regrown:.3g}. Below "
            f"its atol a state's size is not controlled (the low point shown is itself uncontrolled), so a state "
            f"that regrows by its own rate starts from a value that can be orders of magnitude off, the timing of "
            f"its regrowth (a cycle's phase) is lost, and the run can end many tolerances off (a Rosenzweig-MacArthur "
            f"prey at atol 1e-6 ended up to 2e7 tolerances off). Give {'each such' if len(dipped) > 1 else 'that'} "
            f"state its own atol below about "
            f"{ATOL_SHARE:g} of the smallest value it truly reaches, with a per-state atol vector such as "
            f"atol={example}{float64} (run again until its low point stays above {1 / ATOL_SHARE:.0f} times its "
            f"atol), or solve for its logarithm (y = log N).")
