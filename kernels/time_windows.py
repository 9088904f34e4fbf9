"""The windows between an rhs's switches in t that a step can pass over, and the warning's words for them.

:mod:`kernels.time_branches` reads the switch times; here they meet the run's landing points (t0, the save times,
the end), ``dt_max`` or the fixed step grid (:func:`hidden_windows`), the rhs is checked for a jump at a window's
edges (:func:`confirmed`), and the warning is worded: a pulse (a window that a step steps over unseen), or a
staircase (:func:`staircase`: many switches an equal width apart, as ``H[int(t)]`` reads hourly data), which is a
piecewise-constant input, not a pulse, and whose remedy is ``drivers=`` or a ``dt_max`` below its step; unless the
rhs takes two levels in turn there (:func:`_two_levels`: a square wave, a pulse train), which is worded as pulses.
"""

from __future__ import annotations

import linecache
import math
import os

import numpy as np

from .driver_switches import fixed_landings  # the fixed-step grid, as the drivers' check lands on it

__all__ = ["hidden", "hidden_windows", "confirmed", "staircase", "hidden_message", "unread_message", "located",
           "CONFIRMED_MAX", "STAIRCASE_MIN"]

#: Hidden windows whose edges are checked for a jump of the rhs itself (:func:`confirmed`), shortest first.
CONFIRMED_MAX = 64

#: Equal windows in a row from which switches read as a staircase (a piecewise-constant input), not a pulse train.
STAIRCASE_MIN = 3

#: A staircase's first windows at whose midpoints the rhs is evaluated for two levels in turn (:func:`_two_levels`).
LEVELS_CHECKED = 6


def hidden(times, t0, reached, t_eval, dt_max=np.inf, fixed_dt=None):
    """``(starts, ends)`` of the windows between two consecutive switch ``times`` that a step can pass over, the
    shortest first (the earliest of equals first).  An adaptive step need
    land only on ``t0``, ``t_eval`` and ``reached``: a window is hidden where none of these lies in it and ``dt_max``
    is not below its width.  A fixed step of ``fixed_dt`` lands on its grid, restarted at each save time: a window
    is hidden where the grid does not land on both its ends (one shorter than dt can be passed over whole; across
    a longer one's edge a step keeps an error of order dt)."""
    times = np.asarray(times, np.float64)
    if times.size < 2:
        return np.empty(0), np.empty(0)
    start, end = times[:-1], times[1:]
    saves = np.asarray(t_eval, np.float64).ravel()
    landings = np.union1d(saves[(saves >= t0) & (saves <= reached)], [t0, reached])
    # a landing counts within rounding (1e-6 of the window, or of dt): one a little before the start still lets the
    # next step pass over the window
    scale = end - start if fixed_dt is None else np.minimum(end - start, fixed_dt)
    tol = np.maximum(1e-6 * scale, 64.0 * np.finfo(np.float64).eps * np.maximum(abs(start), abs(end)))
    if fixed_dt is None:
        after = np.append(landings, np.inf)[np.searchsorted(landings, start - tol)]  # the first landing from start
        found = (after > end + tol) & (end - start <= dt_max)
    else:
        on_grid = [np.abs(fixed_landings(ends, landings, fixed_dt) - ends) <= tol for ends in (start, end)]
        found = ~(on_grid[0] & on_grid[1])
    order = np.argsort(np.where(found, end - start, np.inf)[found], kind="stable")
    return start[found][order], end[found][order]


def hidden_windows(times, t0, reached, t_eval, dt_max=np.inf, fixed_dt=None):
    """``(start, end, count)``: the shortest window between two consecutive switch ``times`` that a step can pass
    over (:func:`hidden`; the earliest of the shortest), and how many there are; None where there is none."""
    starts, ends = hidden(times, t0, reached, t_eval, dt_max, fixed_dt)
    return (float(starts[0]), float(ends[0]), int(starts.size)) if starts.size else None


def confirmed(system, at, starts, ends):
    """``(start, end, count)`` of the first of the hidden windows ``starts``/``ends`` at whose start or end the rhs
    itself jumps, with ``at`` (a row's ``(y, p)``; None: every window counts), or None.  The reading lists where a
    value it follows is cut (``t % P``, ``floor``, ``int``), and a value computed from it can be continuous there:
    ``sin(2 pi (t % 24) / 24)``, an hour of the day, a hand-written interpolation ``H[i] (1 - f) + H[i + 1] f`` with
    ``i = int(t)`` drew the pulse warning (a regression hunt).  A jump changes dydt by as much at two increments 100
    apart; a continuous value by 100 times less at the smaller.  Only the :data:`CONFIRMED_MAX` shortest are
    checked (a few rhs calls each); ``count`` is the number of hidden windows found."""
    if not starts.size:
        return None
    if at is None:
        return float(starts[0]), float(ends[0]), int(starts.size)
    y, p = at
    for a, b in list(zip(starts, ends))[:CONFIRMED_MAX]:
        if _jumps(system, a, y, p, b - a) or _jumps(system, b, y, p, b - a):
            return float(a), float(b), int(starts.size)
    return None


def _jumps(system, t, y, p, width):
    """Whether ``rhs(t, y, p)`` jumps at ``t``: its change across ``t`` at increments of 1e-4 and 1e-6 of ``width``
    (at least 1e3 ulps of ``t``) differs by less than 10 times and is no rounding (an rhs that fails there: True)."""
    try:
        with np.errstate(all="ignore"):
            changes, scale = [], 0.0
            for share in (1e-4, 1e-6):
                h = max(share * width, 1e3 * np.spacing(abs(t)))
                after = system.evaluate_rhs(t + h, y, p)
                changes.append(np.max(np.abs(after - system.evaluate_rhs(t - h, y, p))))
                scale = max(scale, float(np.max(np.abs(after))))
    except Exception:  # noqa: BLE001 - the rhs's own failures are the other checks' to report
        return True
    wide, narrow = changes
    return bool(np.isfinite(wide) and wide > 1e-12 * max(scale, 1e-300) and narrow * 10.0 > wide)


def staircase(times):
    """The step width where the switch ``times`` (sorted, inside the span) are a staircase: at least
    :data:`STAIRCASE_MIN` windows in a row, all of one width (within 1e-6 of it), as ``H[int(t)]``, ``floor(t / w)``
    or an ``if``/``elif`` chain over equal steps read tabulated data; else None.  A pulse or a pulse train has
    windows of two widths or more (the pulse, the gap); a square wave of duty 1/2 is a staircase of two levels,
    which :func:`hidden_message` tells apart by the rhs's values (:func:`_two_levels`)."""
    gaps = np.diff(np.asarray(times, np.float64))
    if gaps.size < STAIRCASE_MIN or not gaps[0] > 0:
        return None
    return float(np.mean(gaps)) if np.ptp(gaps) <= 1e-6 * gaps[0] else None


def _two_levels(system, at, times):
    """Whether the rhs, at the row ``at`` (``(y, p)``) where a window was confirmed, takes two levels in turn at
    the midpoints of the first :data:`LEVELS_CHECKED` windows between the switch ``times``: its value at window k
    that at window k + 2 (within 1e-3 of the change from k to k + 1), and not that at k + 1.  A square wave
    ``1.0 if (t % 2.0) < 1.0 else 0.0`` (a pulse train of equal on and off times) was worded as a staircase of
    tabulated data, which takes more levels than two (a regression hunt).  False where ``at`` is None, or the rhs
    fails or is not finite there: the staircase's words stand."""
    if at is None:
        return False
    try:
        y, p = at
        edges = np.asarray(times, np.float64)[:LEVELS_CHECKED + 1]
        with np.errstate(all="ignore"):
            levels = np.array([system.evaluate_rhs(float(m), y, p) for m in (edges[:-1] + edges[1:]) / 2.0],
                              np.float64).reshape(edges.size - 1, -1)
            if levels.shape[0] < 3 or not np.all(np.isfinite(levels)):
                return False
            change = float(np.min(np.max(np.abs(np.diff(levels, axis=0)), axis=1)))  # the smallest k to k + 1
            back = float(np.max(np.abs(levels[2:] - levels[:-2])))  # the largest k to k + 2
            return bool(change > 1e-12 * float(np.max(np.abs(levels))) and back <= 1e-3 * change)
    except Exception:  # noqa: BLE001 - the rhs's own failures are the other checks' to report
        return False


_REMEDIES = ("Put each pulse's start and end times in t_eval (steps land on save times), or give the stimulus as "
             "drivers= (their switches are checked)")


def hidden_message(system, lines, window, times, t0, reached, t_eval, dt, adaptive, dt_max, at=None):
    """The warning for the hidden ``window`` (:func:`hidden_windows`' triple) of the switches at ``times``, written
    at ``lines``: a staircase's (:func:`staircase`), unless the rhs takes two levels in turn there at the row
    ``at`` (:func:`_two_levels`: a square wave), or a pulse's."""
    a, b, count = window
    width = staircase(times)
    if width is not None and not _two_levels(system, at, times):
        return _staircase_message(system, lines, times, width, count, dt, adaptive, dt_max)
    more = f"; {count} such windows in all" if count > 1 else ""
    head = (f"rhs of system {system.name!r} switches on t at {located(lines)}: it changes at t = {a:.10g} and again "
            f"at t = {b:.10g}, a window {b - a:.3g} long")
    example = f"e.g. t_eval = np.union1d(t_eval, [{a:.10g}, {b:.10g}])"
    if adaptive:
        saves = np.union1d(np.asarray(t_eval, np.float64), [t0, reached])
        before, after = saves[saves < a].max(initial=t0), saves[saves > b].min(initial=reached)
        bound = "dt_max is not set" if not math.isfinite(dt_max) else f"dt_max = {dt_max:.6g} is not below it"
        return (f"{head} with no save time in it (the nearest are t = {before:.10g} and {after:.10g}){more}, and "
                f"{bound}: a step longer than the pulse steps over it unseen, and the run then ends with status "
                f"success, the pulse missed (a 2-ms stimulus so written was missed by every adaptive method, 1e8 "
                f"tolerances off). {_REMEDIES}, or set dt_max below the pulse width ({b - a:.3g}); {example}.")
    passes = ("it is shorter than dt, so a step can pass over it whole" if b - a < dt else
              "each step across an edge keeps an error of order dt (the method's order falls to 1)")
    return (f"{head}, whose ends the fixed steps of dt = {dt:.6g} do not both land on{more}: {passes}, and the "
            f"run ends with status success all the same. Give the stimulus as drivers= with short ramps (their "
            f"switches are checked, and a step meets a ramp, not a jump), or put each pulse's start and end times in "
            f"t_eval (fixed steps restart at each save time, so they land there; {example}).")


def _staircase_message(system, lines, times, width, count, dt, adaptive, dt_max):
    """The warning for a staircase in t (:func:`staircase`): a piecewise-constant input whose edges steps pass
    over, told to be given as drivers or to bound the step by its width."""
    head = (f"rhs of system {system.name!r} is piecewise constant in t at {located(lines)}: a staircase of "
            f"{len(times)} steps {width:.6g} apart (t = {times[0]:.10g}, {times[1]:.10g}, ..., {times[-1]:.10g}), "
            f"as tabulated data read by H[int(t)] is")
    drivers = ("give it as drivers= (the table as samples, read as u in the rhs and interpolated between them, "
               "with short ramps where a jump is meant: ODESystem(..., n_drivers=1), solve_ivp(..., drivers=(times, "
               "values)))")
    if adaptive:
        bound = "dt_max is not set" if not math.isfinite(dt_max) else f"dt_max = {dt_max:.6g} is not below it"
        return (f"{head}, and {bound}: a step longer than a step of the input passes over its edges ({count} "
                f"between save times), each read only where a stage lands, and the run ends with status success "
                f"all the same. {drivers[0].upper()}{drivers[1:]}, or set dt_max below the step width "
                f"({width:.3g}).")
    return (f"{head}, whose edges the fixed steps of dt = {dt:.6g} do not all land on ({count} windows): each step "
            f"across an edge keeps an error of order dt, and the run ends with status success all the same. "
            f"{drivers[0].upper()}{drivers[1:]}, or take a dt that divides the step width ({width:.6g}) with the "
            f"edges in t_eval.")


def unread_message(system, lines):
    """The warning for switches whose times could not be read."""
    return (f"rhs of system {system.name!r} switches on t at {located(lines)}, at times this check could not read "
            "(they depend on params or states, or on a form it does not follow), so it cannot tell whether a pulse "
            "lies between two save times: a step longer than a pulse steps over it unseen, and the run then ends "
            "with status success, the pulse missed. " + _REMEDIES
            + ", or set dt_max below the shortest pulse width (a finite dt_max also silences this warning).")


def located(lines):
    """Where the switches at ``lines`` (``(file, line)`` pairs) are written: the first line, with its text."""
    if not lines:
        return "a line of its source"
    file, line = min(lines)
    text = linecache.getline(file, line).split("  #")[0].strip()  # without an inline comment
    others = sorted(n for f, n in lines if (f, n) != (file, line))
    also = f" (and line{'s' if len(others) > 1 else ''} {', '.join(map(str, others[:3]))})" if others else ""
    return f"line {line} of {os.path.basename(file)}{f' ({text[:80]})' if text else ''}{also}"
