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
from .tableaus.base import ButcherTableau

__all__ = ["far_for_float64", "method_weights", "time_rounding_effect", "warn_far_time_float64"]

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
#: ``(c, error weights, error order, sigma_d, sigma_e)`` where the method's tableau is not read (Rosenbrock, or no
#: method given): no quadrature of the rhs, and about tsit5's spreads.
DEFAULT_WEIGHTS = (None, None, 4, 1.0, 0.2)
#: The step the rounding allows is ``1 / (NOISE_MARGIN u sigma_e |f_t|)`` in tolerances: fitted to the steps of
#: tsit5 at 200 Hz, rtol 1e-8 from t = 1e9 (6295, where 1898 from 0 and this margin give 6.3e3).
NOISE_MARGIN = 1.2
#: Controller steps :func:`_noisy_step` takes on the quadrature of the rhs, from the span down.
CONTROLLER_TRIES = 8
#: Steps of at most this many ulps of ``t`` keep one length over many steps (the controller's next step rounds
#: back to it), so their roundings add up as one (tsit5, the trial at k = 1e3: 38 to 65 ulps, 461 tolerances).
LOCKED_ULPS = 300.0
#: ``rate * span`` from which the state is taken to settle within the span (the tolerance then taken where it
#: settles).
SETTLES = 10.0


def far_for_float64(t0, t_end, rtol):
    """Whether a float64 run is far enough from t = 0 for the rounding of ``t`` to be worth a look (the cheap test,
    before any rows are read): ``eps |t| > rtol span / RATE_MARGIN``, with the span lying at least
    ``MIN_SPANS_FROM_ORIGIN`` spans from 0 (a run from 0 at a tight rtol has nothing better to be told)."""
    far, span = max(abs(t0), abs(t_end)), abs(t_end - t0)
    eps = float(np.finfo(np.float64).eps)
    return span > 0 and far >= MIN_SPANS_FROM_ORIGIN * span and eps * far * RATE_MARGIN > float(np.min(rtol)) * span


def method_weights(method):
    """``(c, error weights, error order, sigma_d, sigma_e)`` of ``method`` (a Method, tableau or None): the nodes
    whose times round, and the spread of the rounding in the solution (``sigma_d = sqrt(sum b_i^2 / 12)`` over
    the nodes strictly inside the step, whose times round by a uniform fraction of an ulp: ``c = 0`` and ``t + dt``
    are exact) and in the error estimate (the same over ``b - b_hat``).  :data:`DEFAULT_WEIGHTS` where the method
    has no such tableau (a Rosenbrock method, whose ``f_t`` is a difference of its own)."""
    tableau = getattr(method, "tableau", method)
    if not isinstance(tableau, ButcherTableau) or not tableau.adaptive:
        return DEFAULT_WEIGHTS
    c = np.asarray(tableau.c, np.float64)
    inside = (c > 0.0) & (c < 1.0)
    b, e = np.asarray(tableau.b, np.float64), np.asarray(tableau.error_weights, np.float64)
    return (c, e, int(tableau.error_order), float(np.sqrt(np.sum(b[inside] ** 2) / 12.0)),
            float(np.sqrt(np.sum(e[inside] ** 2) / 12.0)))


def time_rounding_effect(system, times, y, p, span, rtol, atol, weights=None):
    """How many tolerances off the rounding of the stage times ``t + c dt`` leaves a run over ``span`` through
    ``times`` (``y`` and ``p`` held; ``weights`` from :func:`method_weights`).  The rounding ``u/2`` of each stage
    time moves the step by ``dt f_t u sum b_i d_i`` and its error estimate by ``dt f_t u sum (b_i - b_hat_i)
    d_i`` (``d_i`` the rounding in ulps ``u``), so the controller shortens the step until that noise is about a
    tolerance (:func:`_noisy_step`), and the steps' roundings add up (:func:`_walk_and_lock`).  The tolerance is
    taken where the error lands, at the state (:func:`_reference_state`), not at ``span |dydt|``."""
    c, e, order, sigma_d, sigma_e = DEFAULT_WEIGHTS if weights is None else weights
    u = float(np.spacing(np.float64(max(abs(t) for t in times))))
    start, direction = times[0], 1.0 if times[-1] >= times[0] else -1.0
    points = [_rhs_in_t(system, np.float64(t), y, p, atol / np.maximum(rtol, 1e-300)) for t in times]
    rate = max(point[3] for point in points)  # how fast the state forgets an error (|df/dy| along f_t)
    tol = atol + rtol * _reference_state(y, points, rate * span)
    worst = 0.0
    for t, f_now, f_t, _ in points:
        noise = float(np.max(np.abs(f_t) / tol))  # |f_t| in tolerances
        if not noise > 0.0:
            continue
        step = _noisy_step(system, t, y, p, tol, span, noise, u, (c, e, order, sigma_e), direction)
        worst = max(worst, _walk_and_lock(system, t, y, p, f_now, tol, span, noise, u, sigma_d, step, rate,
                                          start, direction))
    return worst


def _rhs_in_t(system, t, y, p, scale):
    """``(t, f, f_t, rate)`` at ``t`` (``scale``: ``atol / rtol``, how far ``y`` may be moved): ``f_t`` from the
    float64 neighbours of ``t`` (exactly 0 for an rhs that does not read ``t``), and ``rate = |f(y + v) - f(y)|
    / |v|`` along ``v`` proportional to ``f_t`` (the direction the rounding pushes the state; along all states where
    ``f_t`` is 0), the rate at which the state forgets such an error."""
    f_now = system.evaluate_rhs(t, y, p)
    above, below = np.nextafter(t, np.inf), np.nextafter(t, -np.inf)
    f_t = (system.evaluate_rhs(above, y, p) - system.evaluate_rhs(below, y, p)) / float(above - below)
    largest = float(np.max(np.abs(f_t)))
    direction = f_t / largest if largest > 0.0 else np.ones_like(f_t)  # no f_t here: any direction, for the rate
    v = direction * 1e-7 * float(np.max(np.abs(y) + scale))
    rate = float(np.max(np.abs(system.evaluate_rhs(t, y + v, p) - f_now)) / np.max(np.abs(v)))
    return t, f_now, f_t, rate if np.isfinite(rate) else 0.0


def _reference_state(y, points, settled):
    """The state magnitude the tolerance is taken at: ``|y|``, or where the state settles within the span
    (``settled = rate * span >= SETTLES``) the smaller of that and the state it relaxes to (``y - f / rate``),
    and 0 (atol alone) where that state changes sign within the span, as a forced decay's passes through 0 (the
    geophysicist's trial at k = 1e3 ended 461 tolerances off where y was about 0)."""
    if settled < SETTLES:
        return np.abs(y)
    relaxed = [y - f_now / rate for _, f_now, _, rate in points if rate > 0.0]
    low, high = np.min(relaxed, axis=0), np.max(relaxed, axis=0)
    reference = np.minimum(np.abs(y), np.min(np.abs(relaxed), axis=0))
    return np.where((low < 0.0) & (high > 0.0), 0.0, reference)


def _noisy_step(system, t, y, p, tol, span, noise, u, weights, direction):
    """The step a run takes at ``t``: the one at which the rounding alone is about a tolerance of the error
    estimate (``1 / (NOISE_MARGIN u sigma_e |f_t|)``), or shorter where the estimate of the rhs's own change in
    ``t`` (its quadrature ``dt sum (b_i - b_hat_i) f(t + c_i dt)``, ``y`` held) asks for less: a few steps of the
    controller, from the span down (a 200 Hz forcing at rtol 1e-5 takes 2 steps a period, 100 times shorter than
    the rounding asks)."""
    c, e, order, sigma_e = weights
    limit = span if not sigma_e > 0.0 else min(span, 1.0 / (NOISE_MARGIN * u * sigma_e * noise))
    step = limit
    if c is None:
        return step
    for _ in range(CONTROLLER_TRIES):
        stage_times = t + direction * c * step
        err = sum(w * system.evaluate_rhs(np.float64(s), y, p) for w, s in zip(e, stage_times) if w != 0.0)
        measure = max(float(np.max(np.abs(step * err) / tol)), step / limit)
        if not np.isfinite(measure):
            break
        step *= min(1.0, max(0.2, 0.9 * measure ** (-1.0 / (order + 1))))
    return step


def _walk_and_lock(system, t, y, p, f_now, tol, span, noise, u, sigma_d, step, rate, start, direction):
    """The error, in tolerances, of the steps' roundings (``u sigma_d dt |f_t|`` each) added up over the time the
    state keeps them: as a random walk, ``u sigma_d |f_t| sqrt(dt T)`` with ``T = min(span, 1 / (2 rate))``; and
    where the step is at most :data:`LOCKED_ULPS` ulps, the controller keeps one step length (its roundings the
    same each step) over the whole ``min(span, 1 / rate)`` before ``t``, where they add up as one:
    ``u sigma_d |f(t) - f(t - T)| / sqrt(2)`` (the trial at k = 1e3: steps of 38 to 65 ulps)."""
    kept = min(span, 0.5 / rate) if rate > 0.0 else span
    walk = u * sigma_d * noise * np.sqrt(step * kept)
    if step > LOCKED_ULPS * u:
        return float(walk)
    kept_whole = min(span, 1.0 / rate) if rate > 0.0 else span
    back = max(t - kept_whole, start) if direction > 0 else min(t + kept_whole, start)
    moved = np.abs(f_now - system.evaluate_rhs(np.float64(back), y, p)) / tol
    return float(max(walk, u * sigma_d * float(np.max(moved)) / np.sqrt(2.0)))


def warn_far_time_float64(system, t0, t_end, rows, dtype, rtol, atol, method=None):
    """Warn (ToleranceWarning, once a call) a float64 run far from t = 0 whose stage times, rounded to float64's
    resolution there, leave it more than a tolerance off (:func:`time_rounding_effect` at :data:`PROBE_FRACTIONS`
    of the span, with ``method``'s weights, for each ``(trajectory, y0 row, params row)`` of ``rows()``, called
    only past :func:`far_for_float64`), naming the row it moves most.  Silent for float32 (:mod:`kernels.tolerances`
    speaks there), for a system given with drivers, and where the rhs fails on the host (the checks that look for
    that report it)."""
    if np.dtype(dtype) != np.float64 or system.n_drivers or not far_for_float64(t0, t_end, rtol):
        return
    far, span = max(abs(t0), abs(t_end)), abs(t_end - t0)
    rtol64, atol64 = np.asarray(rtol, np.float64), np.asarray(atol, np.float64)
    weights = method_weights(method)
    worst, worst_row = 1.0, None
    for row, y, p in rows():
        y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
        try:
            with np.errstate(all="ignore"):
                here = time_rounding_effect(system, [t0 + f * (t_end - t0) for f in PROBE_FRACTIONS], y, p, span,
                                            rtol64, atol64, weights)
        except Exception:  # noqa: BLE001 - the rhs's own failures are reported by the checks that look for them
            continue
        if here > worst:  # NaN (a rhs not finite here) says nothing
            worst, worst_row = here, row
    if worst_row is not None:
        warn_user(_far_time_message(worst_row, far, span, worst, float(np.min(rtol64))), ToleranceWarning)


def _far_time_message(row, far, span, here, rtol):
    """The warning of :func:`warn_far_time_float64`: what float64 resolves at ``far``, how far off that can leave the
    row, and the remedy (the time from 0 with the epoch kept out of ``t``, or an rtol ``here`` times looser)."""
    return (f"t reaches {far:.3g} in this float64 run over a span of {span:.3g}, where float64 resolves t only to "
            f"{float(np.spacing(np.float64(far))):.2g}, and rhs depends on t: rounding the stage times by up to half "
            f"of that can leave trajectory {row} about {here:.2g} tolerances off by the end of the span, with status "
            f"success (a forcing cos(2 pi (t - p[2])) from t = 1e9 over 1 s at rtol 1e-8: 36 to 461 tolerances). "
            f"Start the time at 0 and keep the epoch in params: measure the times from it in float64 before the "
            f"solve (t_span and t_eval less t0, and in params the epoch less t0, computed on the host), not by "
            f"adding t0 back to t inside rhs, which rounds the same way" + _looser(rtol * here))


def _looser(rtol):
    """The message's second remedy, an rtol at which the rounding is about one tolerance, where that is still an
    rtol worth asking for (1e-3 at most); else ''."""
    return f"; or loosen rtol to {rounded_up(rtol)}" if rtol <= 1e-3 else ""
