"""rtol and atol: checked, and judged against what the working precision can resolve.

A tolerance below the precision's resolution at a state's magnitude makes the controller chase rounding noise
(refused below ``eps / 16``, warned about below ``eps``); one given to a run that takes fixed steps acts on
nothing (warned about).
"""

from __future__ import annotations

import numpy as np

from .batch_scan import column_abs_max
from .errors import ConfigurationError, ToleranceWarning, describe, warn_user
from .validation import is_device_array, reals_or_none

__all__ = ["DEFAULT_ATOL", "default_rtol", "check_tolerance", "warn_unused_tolerances", "check_tolerance_reachable",
           "TOLERANCE_FLOOR", "warn_far_time_origin", "warn_far_time_events", "warn_float32_range"]

#: atol of solve_ivp and Integrator.solve when not given.
DEFAULT_ATOL = 1e-6
#: rtol when not given, by working precision.  float32's rounding leaves about 1e-6 to 1e-5 relative over a run of
#: hundreds of steps, so a default of 1e-6 there asked for what the precision cannot keep (SIR with N = 1e7 at
#: rtol 1e-6: rodas5p 21.6 tolerances off and tsit5 5.5, with success; at 1e-5: 6.5 and 2.6, dop853 1.8; float64
#: at 1e-6: 1.8 and 2.2) and made dop853, vern7 and vern9 warn at the defaults.
DEFAULT_RTOL = {"float32": 1e-5, "float64": 1e-6}


def default_rtol(dtype):
    """The ``rtol`` a run in ``dtype`` takes when none is given (:data:`DEFAULT_RTOL`)."""
    return DEFAULT_RTOL[np.dtype(dtype).name]


def check_tolerance(value, what, n_states, dtype):
    """``rtol``/``atol``: a scalar or ``(n_states,)`` of finite values >= 0 (not None, text or booleans)."""
    arr = reals_or_none(value, what)
    if arr is None:
        raise ConfigurationError(f"{what} must be a number or an array of {n_states} numbers; got {describe(value)}")
    given = float(arr) if arr.ndim == 0 else arr.tolist()
    if arr.ndim == 0:
        arr = np.full(n_states, float(arr))
    if arr.shape != (n_states,):
        raise ConfigurationError(f"{what} must be a scalar or have shape ({n_states},); got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ConfigurationError(f"{what} must be finite and >= 0; got {given!r}")
    largest = float(np.finfo(dtype).max)
    if np.any(arr > largest):  # it became inf in the working precision, with NumPy's overflow warning
        raise ConfigurationError(f"{what} must be at most {largest:.3g} ({np.dtype(dtype).name}'s largest number); "
                                 f"got {given!r}")
    if what.lstrip("-") == "rtol" and np.any(arr >= 1):  # "--rtol" for the command line
        raise ConfigurationError(f"{what} must be below 1 (a relative error of 1 leaves no correct digit); got "
                                 f"{given!r}: rtol is relative (1e-6 asks for about six digits), atol absolute")
    return arr.astype(dtype)


def warn_unused_tolerances(rtol, atol, method, dt, remedy):
    """Warn when ``rtol`` or ``atol`` is given (not None) to a fixed-step explicit run, on which neither acts.

    ``remedy``: what makes the tolerances choose the steps (the adaptive controller for a method with an
    error estimate, an adaptive method for one without).
    """
    given = [name for name, value in (("rtol", rtol), ("atol", atol)) if value is not None]
    if given:
        warn_user(f"{' and '.join(given)} {'has' if len(given) == 1 else 'have'} no effect on this run: method "
                      f"{method!r} takes fixed steps of dt={dt!r}, so dt alone sets its accuracy; drop "
                      f"{' and '.join(given)}, or {remedy} to choose the steps by the tolerances", ToleranceWarning)


# Below this fraction of a state component's magnitude, the error estimate sinks into rounding noise:
# the controller shrinks the step until max_steps.  Measured with Tsit5 on Lorenz in float32 (y0 =
# (1, 0, 0), rho = 28, t in [0, 1]), steps for rtol = atol = 1e-6, 1e-7, 3e-8, 1e-8, 3e-9, 1e-9, 3e-10,
# 1e-10: 72, 108, 148, 281, 753, 2372, 7687, over 20000 (order 5 predicts a factor 1.25 per factor 3).
# eps / 16 is 7.5e-9 in float32 (1e-8 still passes) and 1.4e-17 in float64.
TOLERANCE_FLOOR = 1.0 / 16.0


def check_tolerance_reachable(rtol, atol, y0, dtype, adaptive, names=("rtol", "atol", "precision=np.float64"),
                              newton=False):
    """Refuse tolerances the precision cannot meet; return nothing.

    For each state component ``i`` with scale ``s = max |y0[:, i]|`` the error
    allowed at the start, ``atol[i] + rtol[i] * s``, must be at least
    ``TOLERANCE_FLOOR * eps * s`` (``eps`` of ``dtype``): below that the
    step-size controller chases rounding noise until ``max_steps``.  A
    component that starts at 0 (or ``y0`` on the device, not inspected) is only
    judged by ``rtol`` when ``atol`` is 0 there.  Fixed steps ignore tolerances,
    but for ``newton`` (an implicit method's fixed steps, whose Newton iteration
    stops by them: float32 at rtol 1e-12 ended NEWTON_NOT_CONVERGED with NaN
    states, a numerical analyst's trial).  ``names`` are how the message calls
    rtol, atol and the float64 remedy.
    """
    if not (adaptive or newton):
        return
    eps = float(np.finfo(dtype).eps)
    floor = TOLERANCE_FLOOR * eps
    n = rtol.shape[0]
    # float64 is the widest precision there is: then the only remedy is looser tolerances
    wider = f"use {names[2]}, or " if np.dtype(dtype) != np.float64 else ""
    if is_device_array(y0):
        scale = np.zeros(n)
    else:
        # the largest |y0| per component in y0's own type (exact), widened after the reduction: a float64
        # copy of a (2^22, 16) batch first took 0.2 s of each adaptive call on the H200's host
        scale = column_abs_max(np.asarray(y0)).astype(np.float64)
    rtol64, atol64 = rtol.astype(np.float64), atol.astype(np.float64)
    allowed = atol64 + rtol64 * scale
    too_tight = np.flatnonzero(np.where(scale > 0, allowed < floor * scale, (atol64 == 0) & (rtol64 < floor)))
    if too_tight.size == 0:
        # Between eps/16 and eps the controller still finishes, but the error is rounding's, not the tolerance's
        # (float32 at rtol = atol = 1e-8 on a smooth 4-state system: 20 to 45 tolerances off; rodas5p on the
        # Oregonator at rtol 1e-8, atol 1e-10: 559 off, status success).
        coarse = np.flatnonzero((scale > 0) & (allowed < eps * scale))
        if coarse.size:
            i = int(coarse[0])
            warn_user(
                f"{names[0]}={_tol(rtol64)} and {names[1]}={_tol(atol64)} ask for errors below "
                f"{np.dtype(dtype).name}'s resolution for y[:, {i}] (eps x |y0| = {eps * scale[i]:.3g}): the run "
                f"finishes, but its error can be tens to hundreds of times the tolerance (559 times, measured "
                f"on a stiff problem), with status success; {wider or 'use '}"
                f"{names[0]} >= {100 * eps:.2g} (rounding over a run of hundreds of steps leaves about 100 eps: at "
                "rtol just above eps, float32 still ended 7 to 75 tolerances off)", ToleranceWarning)
            return
        _warn_if_growth_unresolved(rtol64, atol64, scale, dtype, names, wider)
        return
    i = int(too_tight[0])
    name = np.dtype(dtype).name
    if scale[i] > 0:
        where = (f"for y[:, {i}] (|y0| up to {scale[i]:.3g}) they allow an error of {allowed[i]:.3g}, below "
                 f"{name}'s resolution there ({floor * scale[i]:.3g} = eps/16 x |y0|, eps = {eps:.3g})")
        loosen = f"{names[0]} >= {floor:.2g} or {names[1]} >= {floor * scale[i]:.2g}"
    else:
        where = f"for y[:, {i}] ({names[1]} 0) {names[0]} is below {name}'s eps/16 = {floor:.3g}"
        loosen = f"{names[0]} >= {floor:.2g}, or {names[1]} > 0"
    raise ConfigurationError(
        f"{names[0]}={_tol(rtol64)} and {names[1]}={_tol(atol64)} are tighter than {name} can resolve: {where}, "
        + ("so Newton's iteration, which stops by them on these fixed steps, could not meet them; " if not adaptive
           else "so the step size would shrink until max_steps; ") + f"{wider}loosen the tolerances ({loosen})")


def _warn_if_growth_unresolved(rtol64, atol64, scale, dtype, names, wider):
    """Warn where ``rtol`` is below ``eps`` and only a small start (0 included) kept ``atol + rtol |y0|`` resolvable.

    A component that grows past ``atol / (eps - rtol)`` then asks for errors below the resolution, which the
    check at ``y0`` cannot see (a user's trial, float32, y0 = 0 and rtol = atol = 1e-9: 201 tolerances off with
    status success, and no word; y' = y from 1e-3 at rtol 1e-8, atol 1e-9: 46).  Magnitudes below 1 are taken as
    what a state may reach, so an ``atol`` that would carry it there (``atol / (eps - rtol) >= 1``) is left alone.
    """
    eps = float(np.finfo(dtype).eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        # rtol 0 is absolute control, asked for on purpose (a regression hunt: atol 1e-7 on a decay from 0.3)
        reach = np.where((rtol64 > 0) & (rtol64 < eps), atol64 / (eps - rtol64), np.inf)
    growing = np.flatnonzero(reach < 1.0)
    if growing.size == 0:
        return
    i = int(growing[0])
    name = np.dtype(dtype).name
    warn_user(f"{names[0]}={_tol(rtol64)} is below {name}'s resolution (eps {eps:.2g}): y[:, {i}] starts at |y0| up "
              f"to {scale[i]:.3g}, where {names[1]}={_tol(atol64)} carries the error allowed, but wherever it grows "
              f"past {reach[i]:.3g} (atol / (eps - rtol)) the error allowed is below what {name} resolves and the run "
              f"can end tens to hundreds of tolerances off with status success; {wider or 'use '}{names[0]} >= "
              f"{100 * eps:.2g}", ToleranceWarning)


def _tol(values):
    """A tolerance as the user most likely gave it: one number, or the list."""
    return f"{values[0]:g}" if np.all(values == values[0]) else "[" + ", ".join(f"{v:g}" for v in values) + "]"


def _far_from_origin(t0, t_end, dtype, rtol):
    """Whether a run in ``dtype`` (not float64) is far from t = 0 for its span: ``eps |t| > rtol (t_end - t0)``,
    where a float32 value of the size of ``t`` rounds by more than the tolerance over the span."""
    far = max(abs(t0), abs(t_end))
    return np.dtype(dtype) != np.float64 and float(np.finfo(dtype).eps) * far > float(np.min(rtol)) * (t_end - t0)


def warn_far_time_origin(system, t0, t_end, rows, dtype, rtol, atol):
    """Warn a float32 run whose rhs, far from t = 0 for its span, changes with float32's rounding of its
    coefficients of ``t``; ``rows()`` gives the ``(trajectory, y0 row, params row as the user gave it)`` to look
    at, called only past the cheap test below (choosing rows reads the whole batch).

    ``t`` is float64, but a float32 parameter or literal that multiplies it (a frequency ``p[k] * t``, a dosing
    time) holds float32's rounding, about ``eps / 2`` of itself, which at ``|t|`` moves the product by about
    ``eps |t|`` in units of ``t`` (a user's trial: a seasonal SEIR model from t = 7.4e5 days over 730, float32,
    rtol 1e-5, its frequency in params: 34 to 75 tolerances off with success; float64 0.03).  Looked at only
    where ``eps |t| > rtol (t_end - t0)``.  There ``rhs`` is evaluated on the host (float64 arithmetic) at
    ``t0``, mid-span and ``t_end``, once with each row's ``params`` and once with them, and its float literals,
    rounded to the working precision as a GPU holds them; the difference over the span, in tolerances, is
    compared with the same at the same span started at 0 (the remedy), and the warning comes where it exceeds
    1 and ten times that: a parameter float32 holds exactly (3.0) says nothing, and neither does rounding that
    does not involve ``t`` (``-0.1 * y``, which the run from 0 has as much of; a regression hunt).  A system with
    drivers is judged as :func:`kernels.drivers.driven_on_host` gives it (u interpolated at those times; given as
    itself, it is not judged: a frequency in params beside a driver ended 70 tolerances off with no word).
    """
    far, span = max(abs(t0), abs(t_end)), t_end - t0
    if system.n_drivers or not _far_from_origin(t0, t_end, dtype, rtol):
        return
    from .literals import for_system

    rhs = for_system(system.rhs, system, dtype)
    rtol64, atol64 = np.asarray(rtol, np.float64), np.asarray(atol, np.float64)

    def effect(times, y, p, held, lasting=span, system=system):
        """The largest change of dydt over ``lasting`` (the span; a switch's rounding window), in tolerances at the
        magnitude the state may reach there (``|y|``, or ``span |dydt|`` where that is larger: a load rising as
        ``p[0] * t`` from 0 reaches 1e6, where its rounding is 0.006 tolerances, not the 6e4 of the tolerance at 0;
        a regression hunt)."""
        worst, rounded = 0.0, np.empty(system.n_states)
        for t in times:
            exact = system.evaluate_rhs(t, y, p)
            system.run_host(rhs, (np.float64(t), y, held, rounded))
            reach = np.maximum(np.abs(y), span * np.abs(exact))
            worst = max(worst, float(np.max(np.abs(rounded - exact) * lasting / (atol64 + rtol64 * reach))))
        return worst

    for row, y, p in rows():
        y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
        held = p.astype(dtype).astype(np.float64)
        # and between each parameter inside the span and its rounding, where a switch on t (t >= p[k]) falls on the
        # other side for that window: a lag time at T0 + 0.37 h past an epoch of 52560 h, held at T0 + 0.37109, put
        # a float32 PK run 160 to 955 tolerances off with success, missed at t0, mid-span and t_end (a
        # pharmacometrician's trial); a switch of 0.01 mg/h beside 10 changes nothing over its window (a hunt)
        switches = [(a, b) for a, b in zip(p, held) if a != b and t0 <= min(a, b) and max(a, b) <= t_end][:16]
        try:
            with np.errstate(all="ignore"):
                here = max([effect((t0, 0.5 * (t0 + t_end), t_end), y, p, held)]  # (a switch lasts its window)
                           + [effect((0.5 * (a + b),), y, p, held, abs(a - b)) for a, b in switches])
                # the same drivers' values as the run's times (not extrapolated far before their samples: sqrt of a
                # CO2 series at t = 0 was NaN there, and the warning went missing; a regression hunt)
                shifted = effect((0.0, 0.5 * span, span), y, p, held,
                                 system=system.shifted(t0) if hasattr(system, "shifted") else system)
        except Exception:  # noqa: BLE001 - the rhs's own failures are reported by the checks that look for them
            continue
        # past 100 tolerances whatever the span from 0 says: an epoch held in float32 (sin(w (t - p[0])) with
        # p[0] = 2460123.37, 0.12 days off) is as lossy from 0, and ended 734 tolerances off (a user's trial)
        if here > 1.0 and (here > 10.0 * shifted or here > 100.0):  # NaN (a rhs not finite here) says nothing
            warn_user(f"t reaches {far:.3g} in this {np.dtype(dtype).name} run over a span of {span:.3g}, and rhs "
                      f"depends on t through coefficients {np.dtype(dtype).name} rounds (a frequency p[k] * t, a "
                      f"switching time, a literal): held as the GPU holds them, they change trajectory {row}'s dydt "
                      f"by up to {here:.2g} tolerances over the span ({shifted:.2g} with the span started at 0), and "
                      "the run can end tens of tolerances off with status success (a seasonal model from t = 7.4e5 "
                      "over 730 days: 34 to 75). " + (
                          "An offset of t held in params or a literal (an epoch in t - p[k]) is rounded from 0 too: "
                          "measure the times from it in float64 before the solve (t_span and t_eval less the "
                          "epoch, and the epoch out of rhs), or use precision=np.float64" if here <= 10.0 * shifted
                          else "Start the time at 0 and keep the offset in params, or use precision=np.float64"),
                      ToleranceWarning)
            return


def warn_float32_range(system, t0, rows, dtype):
    """PrecisionWarning for a float32 run whose ``rhs`` leaves float32's range in its constants or parameters
    (products among them: ``GM / (AU * AU * AU)`` in cgs, ``AU**3 = 3.3e39``; ``hbar * hbar`` below it) where float64
    does not, and whose derivative changes by more than 1e-4 of itself there.

    A GPU computes inf there, and where the overflow ends in a denominator the derivative stays finite and wrong:
    an astronomer's gravity constant became 0, the bodies flew straight, status success (a user's trial).  ``rhs``
    is evaluated on the host at ``t0`` once per row of ``rows`` (``(trajectory, y0 row, params row)``), with its
    literals, the row's params and its states held in float32 (products of states: J2's ``r**7`` of an orbit in
    metres, 8e47, made the J2 term 0 and 15 orbits ended 1400 km off with success, a user's trial), under NumPy's
    overflow and underflow traps, then without them to compare the derivative with float64's (a sigmoid's exp
    that leaves the range but not the derivative says nothing; a change of 1e-4 of a component is beyond float32's
    rounding and counts: J2 is 1e-3 of the acceleration); rows whose float64 evaluation overflows or fails say
    nothing.  A system with drivers is judged as :func:`kernels.drivers.driven_on_host` gives it (u at ``t0``).
    """
    if np.dtype(dtype) != np.float32 or system.n_drivers:
        return
    from .errors import PrecisionWarning
    from .literals import for_system

    # the observables too: one over r**7 saved 0 in float32 with no word (a regression hunt)
    functions = [("rhs", system.rhs, system.n_states, "derivative")] + (
        [("observables", system.observables, system.n_observables, "observable")] if system.observables else [])
    held = {what: for_system(func, system, dtype) for what, func, _, _ in functions}
    for row, y, p in rows:
        y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
        for what, func, size, noun in functions:
            fault = _range_fault(system, func, held[what], size, t0, y, p, dtype)
            if fault is None:
                continue
            warn_user(f"{what} {'leaves' if what == 'rhs' else 'leave'} float32's range at t0 for trajectory {row} "
                      f"({fault}) where float64 does not, "
                      f"and its {noun} changes there: its constants, parameters or states multiply past 3.4e38 or "
                      "below 1.2e-38 (AU * AU * AU in cgs is 3.3e39, hbar * hbar is 1.1e-68, r**7 of an orbit in "
                      f"metres 8e47), a GPU computes inf or 0 there, and the {noun} comes out finite and wrong with "
                      f"status success. Compute such constants in float64 outside {what} and use the result (a "
                      "module float or a parameter), rescale the units, or use precision=np.float64",
                      PrecisionWarning)
            return


def _range_fault(system, func, held, size, t0, y, p, dtype):
    """The float fault (text) where ``held`` (``func`` with its literals in ``dtype``) leaves ``dtype``'s range at
    ``(t0, y, p)`` held in ``dtype`` and its output changes beyond ``dtype``'s own rounding; else None."""
    exact, out, nudged = np.empty(size), np.empty(size), np.empty(size)
    try:
        with np.errstate(over="raise", invalid="ignore", divide="ignore", under="ignore"):
            system.run_host(func, (float(t0), y, p, exact))
        with np.errstate(over="raise", under="raise", invalid="ignore", divide="ignore"):
            system.run_host(held, (np.float64(t0), y.astype(dtype), p.astype(dtype), out))
        return None  # nothing left float32's range
    except FloatingPointError as exc:
        fault = str(exc)
    except Exception:  # noqa: BLE001 - float64 itself fails or overflows: other checks say so
        return None
    try:
        with np.errstate(all="ignore"):
            system.run_host(held, (np.float64(t0), y.astype(dtype), p.astype(dtype), out))
            eps = np.finfo(dtype).eps
            signs = np.where(np.arange(y.size) % 2 == 0, 1.0, -1.0)  # (all up together keeps an equilibrium)
            system.run_host(held, (np.float64(t0), (y * (1.0 + signs * eps)).astype(dtype), p.astype(dtype), nudged))
    except Exception:  # noqa: BLE001 - the held copy failing otherwise: nothing to say here
        return None
    # per component: a derivative of 1e-40 that float32 makes 0 changes nothing, and a large state elsewhere
    # must not hide a rate of 1.2 made 0 (a regression hunt); nor does float32's own rounding, measured as what
    # an ulp of the states moves (a reaction at equilibrium, 1.2e-8 from 0 in float64 and 0 in float32, drew
    # the warning beside a harmless underflow: a regression hunt)
    # (an observable has no state of its own to scale by: a value float32 makes 0 from 1e-30 up counts)
    floor = 1e-6 * np.maximum(1.0, np.abs(y)) if func is system.rhs else 1e-30
    scale = np.maximum(np.abs(exact), floor)
    noise = 8.0 * np.nan_to_num(np.abs(nudged - out), nan=0.0, posinf=0.0)
    if not np.any((np.abs(out - exact) > np.maximum(1e-4 * scale, noise)) | (~np.isfinite(out) & np.isfinite(exact))):
        return None  # it left the range on the way and the output is the same (a sigmoid's exp: a regression hunt)
    return fault


def warn_far_time_events(events, system, t0, t_end, rows, dtype, rtol):
    """Warn a float32 run far from t = 0 whose event function depends on ``t`` through values float32 rounds (a
    switching time ``t - p[k]`` or ``t - 7.4e5``): the loop's ``t`` is float64, but such a value is held in float32,
    and the event's time moves by that rounding divided by ``dg/dt``, about ``eps |t|``.  Judged per event and row
    of ``rows()`` (as :func:`warn_far_time_origin`) at ``t0``, mid-span and ``t_end``, at the row's ``y0``: ``g``
    with its literals and the row's params held in float32 against float64, over ``g``'s own rate in ``t`` (``y``
    held); events whose ``g`` does not depend on ``t`` say nothing.  Warns where the event time moves by more than
    ``rtol`` times the span."""
    far, span = max(abs(t0), abs(t_end)), t_end - t0
    if not events or not _far_from_origin(t0, t_end, dtype, rtol):
        return
    from .literals import for_system

    step = 1e-3 * span
    for e, event in enumerate(events):
        held_g = for_system(event.function, system, dtype)
        for row, y, p in rows():
            y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
            held = p.astype(dtype).astype(np.float64)
            try:
                with np.errstate(all="ignore"):
                    moved = max(abs(float(held_g(t, y, held)) - float(event.function(t, y, p)))
                                / abs(float(event.function(t + step, y, p)) - float(event.function(t - step, y, p)))
                                * 2.0 * step for t in (t0, 0.5 * (t0 + t_end), t_end))
            except Exception:  # noqa: BLE001 - g failing on the host, or no rate in t (0 / 0): nothing to say
                continue
            if np.isfinite(moved) and moved > float(np.min(rtol)) * span:
                warn_user(f"events[{e}]: t reaches {far:.3g} in this {np.dtype(dtype).name} run over a span of "
                          f"{span:.3g}, and the event function depends on t through values {np.dtype(dtype).name} "
                          f"rounds (a switching time t - p[k], a literal): held as the GPU holds them, they move "
                          f"trajectory {row}'s event by about {moved:.2g} in t, {moved / span:.2g} of the span, "
                          f"more than rtol. Measure the times from an origin near the span in float64 before the "
                          f"solve (t_span, t_eval and the switching times less it), or use precision=np.float64",
                          ToleranceWarning)
                return
