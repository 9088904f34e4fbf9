"""float64 far from t = 0: the rounding of the time itself, judged before the run.

float64 resolves ``t`` only to ``ulp(t)`` (1.2e-7 at t = 1e9).  Each step integrates exactly the time it advances,
but its stage times ``t + c dt`` round by up to half an ulp, and a rhs that depends on ``t`` is evaluated that far
from where the method meant it.  Over a short span at a tight rtol that is tens of tolerances, with status success
(a geophysicist's trial: ``y' = -k (y - cos(2 pi (t - p[2])))`` with the epoch p[2] = 1e9, t_span (1e9, 1e9 + 1),
tsit5 at rtol 1e-8: 36 tolerances off at k = 1 and 461 at k = 1e3, with 1.7 and 25 times the steps of the same run
from t = 0; SciPy is as bad).  An autonomous rhs (``y' = -y``) does not read ``t`` and loses nothing.
:mod:`kernels.tolerances` warns float32 runs about float32's rounding of the coefficients of ``t``; this module is
its float64 counterpart, about ``t`` itself.
"""

from __future__ import annotations

import numpy as np

from planner.wording import rounded_up

from .errors import ToleranceWarning, warn_user
from .tolerances import change_in_tolerances

__all__ = ["far_for_float64", "time_rounding_effect", "warn_far_time_float64"]

#: How much faster than once per span the rhs may change with ``t`` and still be looked at: the effect is about
#: ``omega ulp(t) / (2 rtol)`` tolerances whatever the span, so ``eps |t| > rtol span`` alone (float32's cheap test)
#: caught only rhs that turn about once per span, and a 50 Hz forcing at t = 1e9 over 1 s at rtol 1e-6 (19
#: tolerances by the estimate) went unseen.
RATE_MARGIN = 1000.0
#: Where in the span the rhs is probed: the ends and middle, and two points between that no simple period puts
#: at a turning point (a forcing of period 1 over (1e9, 1e9 + 1) has zero slope at all of 0, 1/2 and 1, and the
#: geophysicist's trial, 36 to 461 tolerances off, measured 3e-5).
PROBE_FRACTIONS = (0.0, 0.2113, 0.5, 0.7887, 1.0)
#: How far from 0 the span must lie, in spans, for starting the time at 0 to help (ulp(t) / ulp(span) >= 8).
MIN_SPANS_FROM_ORIGIN = 16.0


def far_for_float64(t0, t_end, rtol):
    """Whether a float64 run is far enough from t = 0 for the rounding of ``t`` to be worth a look (the cheap test,
    before any rows are read): ``eps |t| > rtol span / RATE_MARGIN``, with the span lying at least
    ``MIN_SPANS_FROM_ORIGIN`` spans from 0 (a run from 0 at a tight rtol has nothing better to be told)."""
    far, span = max(abs(t0), abs(t_end)), abs(t_end - t0)
    eps = float(np.finfo(np.float64).eps)
    return span > 0 and far >= MIN_SPANS_FROM_ORIGIN * span and eps * far * RATE_MARGIN > float(np.min(rtol)) * span


def time_rounding_effect(system, times, y, p, span, rtol, atol):
    """The largest change of dydt that rounding ``t`` by half an ulp makes at ``times`` (``y`` and ``p`` held), over
    ``span``, in tolerances at the magnitude the state may reach (``|y|``, or ``span |dydt|`` where larger: the
    units of :func:`kernels.tolerances.change_in_tolerances`).  Measured as half the change to the neighbouring
    float64 time on either side, where an rhs that does not read ``t`` changes by exactly 0."""
    worst = 0.0
    for t in times:
        t = np.float64(t)
        exact = system.evaluate_rhs(t, y, p)
        for side in (np.inf, -np.inf):
            moved = system.evaluate_rhs(np.nextafter(t, side), y, p)
            worst = max(worst, change_in_tolerances(0.5 * (moved - exact), y, exact, span, span, rtol, atol))
    return worst


def warn_far_time_float64(system, t0, t_end, rows, dtype, rtol, atol):
    """Warn (ToleranceWarning, once a call) a float64 run far from t = 0 whose rhs changes, by the rounding of
    ``t`` to float64's resolution there, by more than the tolerance over the span (:func:`time_rounding_effect`
    at :data:`PROBE_FRACTIONS` of the span, for each ``(trajectory, y0 row, params row)`` of ``rows()``, called
    only past :func:`far_for_float64`), naming the row it moves most.  Silent for float32 (:mod:`kernels.tolerances`
    speaks there), for a system given with drivers, and where the rhs fails on the host (the checks that look for
    that report it)."""
    if np.dtype(dtype) != np.float64 or system.n_drivers or not far_for_float64(t0, t_end, rtol):
        return
    far, span = max(abs(t0), abs(t_end)), abs(t_end - t0)
    rtol64, atol64 = np.asarray(rtol, np.float64), np.asarray(atol, np.float64)
    worst, worst_row = 1.0, None
    for row, y, p in rows():
        y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
        try:
            with np.errstate(all="ignore"):
                here = time_rounding_effect(system, [t0 + f * (t_end - t0) for f in PROBE_FRACTIONS], y, p, span,
                                            rtol64, atol64)
        except Exception:  # noqa: BLE001 - the rhs's own failures are reported by the checks that look for them
            continue
        if here > worst:  # NaN (a rhs not finite here) says nothing
            worst, worst_row = here, row
    if worst_row is not None:
        warn_user(_far_time_message(worst_row, far, span, worst, float(np.min(rtol64))), ToleranceWarning)


def _far_time_message(row, far, span, here, rtol):
    """The warning of :func:`warn_far_time_float64`: what float64 resolves at ``far``, what that does to the row's
    dydt, and the remedy (the time from 0 with the epoch kept out of ``t``, or an rtol ``here`` times looser)."""
    return (f"t reaches {far:.3g} in this float64 run over a span of {span:.3g}, where float64 resolves t only to "
            f"{float(np.spacing(np.float64(far))):.2g}, and rhs depends on t: rounding the stage times by half of that "
            f"moves trajectory {row}'s dydt by up to {here:.2g} tolerances over the span, so the run can end that far "
            f"off or more with status success (a forcing cos(2 pi (t - p[2])) from t = 1e9 over 1 s at rtol 1e-8: "
            f"36 to 461 tolerances). Start the time at 0 and keep the epoch in params: measure the times from it in "
            f"float64 before the solve (t_span and t_eval less t0, and in params the epoch less t0, computed on the "
            f"host), not by adding t0 back to t inside rhs, which rounds the same way" + _looser(rtol * here))


def _looser(rtol):
    """The message's second remedy, an rtol at which the rounding is about one tolerance, where that is still an
    rtol worth asking for (1e-3 at most); else ''."""
    return f"; or loosen rtol to {rounded_up(rtol)}" if rtol <= 1e-3 else ""
