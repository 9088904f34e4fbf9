"""rtol and atol: checked, and judged against what the working precision can resolve.

A tolerance below the precision's resolution at a state's magnitude makes the controller chase rounding noise
(refused below ``eps / 16``, warned about below ``eps``, and in float64 below 50 eps relative, where rounding over
a run outgrows the tolerance); one given to a run that takes fixed steps acts on
nothing (warned about).
"""

from __future__ import annotations

import numpy as np

from planner.wording import rounded_up

from .batch_scan import column_abs_max
from .errors import ConfigurationError, ToleranceWarning, describe, warn_user
from .validation import is_device_array, reals_or_none

__all__ = ["DEFAULT_ATOL", "default_rtol", "check_tolerance", "warn_unused_tolerances", "check_tolerance_reachable",
           "TOLERANCE_FLOOR", "FLOAT64_RELATIVE", "quiet_rtol", "quiet_rtol_text", "asked_relative", "tightest_below",
           "judged_at", "warn_far_time_origin", "warn_far_time_events", "warn_atol_below_normal"]

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
    rtol, atol and the float64 remedy.  Between ``eps / 16`` and ``eps`` it warns
    (the run finishes, off by rounding), and an adaptive float64 run that asks
    for less than :data:`FLOAT64_RELATIVE` relative is warned about too.
    """
    if not (adaptive or newton):
        return
    eps = float(np.finfo(dtype).eps)
    floor = TOLERANCE_FLOOR * eps
    n = rtol.shape[0]
    # float64 is the widest precision there is: then the only remedy is looser tolerances
    wider = f"use {names[2]}, or " if np.dtype(dtype) != np.float64 else ""
    warn_atol_below_normal(atol, dtype, names)
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
        # Oregonator at rtol 1e-8, atol 1e-10: 559 off; on Robertson at rtol = atol = 1e-8, t to 100, kvaerno5
        # 3.06e4 off and rodas5p 8.2e4, status success, a diffrax user's trial).
        coarse = np.flatnonzero((scale > 0) & (allowed < eps * scale))
        if coarse.size:
            i = int(coarse[0])
            warn_user(
                f"{names[0]}={_tol(rtol64)} and {names[1]}={_tol(atol64)} ask for errors below "
                f"{np.dtype(dtype).name}'s resolution for y[:, {i}] (eps x |y0| = {eps * scale[i]:.3g}): the run "
                f"finishes, but {_below_eps_words(dtype, eps, names, wider)}", ToleranceWarning)
            return
        if not _warn_if_growth_unresolved(rtol64, atol64, scale, dtype, names, wider) and adaptive:
            if not _warn_if_atol_swamps(rtol64, atol64, scale, names):
                _warn_below_float64_floor(rtol64, atol64, y0, dtype, names)  # one warning a run: the last of these
        return
    i = int(too_tight[0])
    name = np.dtype(dtype).name
    if scale[i] > 0:
        where = (f"for y[:, {i}] (|y0| up to {scale[i]:.3g}) they allow an error of {allowed[i]:.3g}, below "
                 f"{name}'s resolution there ({floor * scale[i]:.3g} = eps/16 x |y0|, eps = {eps:.3g})")
    else:
        where = f"for y[:, {i}] ({names[1]} 0) {names[0]} is below {name}'s eps/16 = {floor:.3g}"
    raise ConfigurationError(
        f"{names[0]}={_tol(rtol64)} and {names[1]}={_tol(atol64)} are tighter than {name} can resolve: {where}, "
        + ("so Newton's iteration, which stops by them on these fixed steps, could not meet them; " if not adaptive
           else "so the step size would shrink until max_steps; ") + f"{wider}loosen the tolerances to "
        f"{names[0]} >= {quiet_rtol_text(dtype)}, the least {name} keeps over a run without a ToleranceWarning")


def warn_atol_below_normal(atol, dtype, names=("rtol", "atol", "precision=np.float64")):
    """ToleranceWarning where an entry of ``atol`` (in ``dtype``) is above 0 but below ``dtype``'s smallest normal
    number, ``np.finfo(dtype).tiny``: the launch floors ``atol`` there (:func:`kernels.launch.launch_constants`, so
    that a state that stays 0 has a scale), so it acts as about 1.2e-38 in float32 and 2.2e-308 in float64, and a
    state that falls below it is held to that, not to ``atol`` (a user's trial: y' = -y to t = 200 in float32 at rtol
    1e-5 and atol 1e-38, 1e-40 and 1e-44 took the same 237 steps to y = 5.2e-39, 0.5, 52 and 5.2e5 tolerances off,
    with success and no word).  ``atol`` 0 (relative control, floored the same way) says nothing.  ``names``: how
    the message calls rtol, atol and the float64 remedy."""
    tiny = float(np.finfo(dtype).tiny)
    held = np.asarray(atol).astype(dtype)  # (its shortest form in dtype: 1e-44, not float32's 9.80909e-45)
    below = np.flatnonzero((held > 0) & (held < tiny))
    if below.size == 0:
        return
    i, name = int(below[0]), np.dtype(dtype).name
    more = f", and {below.size - 1} more" if below.size > 1 else ""
    value = np.format_float_scientific(held[i], unique=True, trim="-")
    what = f"{names[1]}={value}" if np.all(held == held[0]) else f"{names[1]}[{i}] = {value} (for y[:, {i}]{more})"
    wider = f"use {names[2]}, or " if np.dtype(dtype) != np.float64 else ""
    seen = (f" (y' = -y to t = 200 at {names[1]} 1e-40: y = 5.2e-39, 52 tolerances off)"
            if np.dtype(dtype) == np.float32 else "")
    warn_user(f"{what} is below {name}'s smallest normal number, {tiny:.3g} (np.finfo(np.{name}).tiny), so it cannot "
              f"be met in {name}: the run takes {names[1]} as {tiny:.3g} there, and a state that falls below that "
              f"ends near it with status success, many times {names[1]} off{seen}; {wider}rescale the state (units "
              f"in which the {names[1]} it needs is above {tiny:.3g}), or give {names[1]} >= {tiny:.3g}",
              ToleranceWarning)


def quiet_rtol(dtype):
    """The least ``rtol`` a run in ``dtype`` keeps without a ToleranceWarning, which every remedy here names: float64's
    :data:`FLOAT64_RELATIVE` (50 eps, :func:`_warn_below_float64_floor`'s floor), float32's default (1e-5, about 84
    eps, the floor ``warn_float32_rtol`` keeps), 100 eps for other precisions.  One function for the refusal and the
    warnings: the refusal below eps/16 named eps/16 itself (1.4e-17 in float64), which then drew a warning to use
    1.1e-14 (a physicist's trial)."""
    if np.dtype(dtype) == np.float64:
        return FLOAT64_RELATIVE
    if np.dtype(dtype) == np.float32:
        return DEFAULT_RTOL["float32"]
    return 100.0 * float(np.finfo(dtype).eps)


def quiet_rtol_text(dtype):
    """:func:`quiet_rtol` in two significant digits, rounded up so that the value as written passes: float64's
    1.11e-14 shown as 1.1e-14 was itself below the floor, and warned."""
    return rounded_up(quiet_rtol(dtype), 2)


def _below_eps_words(dtype, eps, names, wider):
    """What a run asked for errors below eps can end with, and the rtol to use, in ``dtype``'s own measures: a
    float64 run's warning cited float32's ("3e4: kvaerno5 on Robertson at rtol 1e-8 in float32", "float32 still
    ended 7 to 75 tolerances off"), which misled in a float64 context (a chemist's trial)."""
    if np.dtype(dtype) == np.float64:
        # a circular Kepler orbit over two periods at rtol = atol = 1e-16 (tests/kernels/test_tolerance_warnings.py):
        # vern9 107, vern7 166, dop853 247, tsit5 383 tolerances off, with success
        return ("its error can be hundreds of times the tolerance (a circular Kepler orbit over two periods at rtol "
                "= atol = 1e-16: 107 with vern9 to 383 with tsit5), with status success; float64 is the widest "
                f"precision: use {names[0]} >= {quiet_rtol_text(dtype)} (its rounding leaves about 50 eps relative "
                "over a run of hundreds of steps: at rtol = atol = 1e-15 the same orbit still ended 1.2 (vern7) to "
                "36 (tsit5) tolerances off)")
    return ("its error can be tens to tens of thousands of times the tolerance (3e4: kvaerno5 on Robertson at "
            f"rtol 1e-8 in float32), with status success; {wider or 'use '}{names[0]} >= {quiet_rtol_text(dtype)} "
            "(rounding over a run of hundreds of steps leaves about 100 eps: at rtol just above eps, float32 still "
            "ended 7 to 75 tolerances off)")


def _warn_if_growth_unresolved(rtol64, atol64, scale, dtype, names, wider):
    """Warn where ``rtol`` is below ``eps`` and only a small start (0 included) kept ``atol + rtol |y0|`` resolvable;
    return whether it warned.

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
        return False
    i = int(growing[0])
    name = np.dtype(dtype).name
    warn_user(f"{names[0]}={_tol(rtol64)} is below {name}'s resolution (eps {eps:.2g}): y[:, {i}] starts at |y0| up "
              f"to {scale[i]:.3g}, where {names[1]}={_tol(atol64)} carries the error allowed, but wherever it grows "
              f"past {reach[i]:.3g} (atol / (eps - rtol)) the error allowed is below what {name} resolves and the run "
              f"can end tens to hundreds of tolerances off with status success; {wider or 'use '}{names[0]} >= "
              f"{quiet_rtol_text(dtype)}", ToleranceWarning)
    return True


#: Relative accuracy (``rtol + atol / |y|``, :func:`asked_relative`) below which an adaptive float64 run ends several
#: tolerances off, float64's rounding over hundreds of steps: 50 eps, 1.1e-14.  rtol = atol = tol on states of order
#: 1 (asked: 2 tol), final error in tolerances: Kepler orbits (e = 0 to 0.7) at tol 5e-15 vern9 4.3 (0.13 at 1e-12),
#: at 1e-15 dop853 22, vern9 16, vern7 58; at 1e-14 (not warned) vern9 0.16, and a pendulum and Lotka-Volterra stay
#: at their ratios of 1e-12 (0.1 to 3.5, dop853, vern9, tsit5).  SciPy warns below 100 eps of rtol.
FLOAT64_RELATIVE = 50.0 * float(np.finfo(np.float64).eps)


#: ``atol`` swamps the states where even its least entry allows this share of the largest ``|y0|`` in every
#: component, and is :data:`SWAMP_RATIO` times what ``rtol`` asks there: the error control is absolute, and loose.
SWAMP_SHARE = 0.01
SWAMP_RATIO = 1000.0


def _warn_if_atol_swamps(rtol64, atol64, scale, names):
    """ToleranceWarning (and True) where ``atol`` allows every component an error of at least :data:`SWAMP_SHARE` of
    the largest state, :data:`SWAMP_RATIO` times ``rtol``'s there: states in other units than ``atol`` (an
    epidemiologist's trial: populations as fractions, atol 1e-2 meant for head counts, rtol 1e-6; tsit5 ended with
    success and a final size of 1.0034, SciPy's 0.8806, compartments at -0.0072).  The start cannot tell a seed that
    grows far past atol (a gene switched on from 1e-8 at atol 1e-8: a systems biologist's trial, 0.05 tolerances off)
    from a small scale that stays (a PK dose of 0.08 at atol 1e-2 ended at -6e-4 with success: a regression hunt
    found a rule silent below 10 atol), so it warns, saying the control is loose if the states stay near its scale
    and that a seed growing past it needs no change."""
    largest = float(scale.max()) if scale.size else 0.0
    least = float(atol64.min()) if atol64.size else 0.0
    asked = float(rtol64.max()) * largest if rtol64.size else 0.0  # 0: rtol = 0, absolute control taken as meant
    if not asked > 0 or least < SWAMP_SHARE * largest or least < SWAMP_RATIO * asked:
        return False
    warn_user(f"{names[1]}={_tol(atol64)} allows every component an error of at least {least:.3g}, "
              f"{least / largest:.0%} of the largest |y0| ({largest:.3g}) and {least / asked:.2g} times what "
              f"{names[0]}={_tol(rtol64)} asks there: if the states stay near that scale, the error control is "
              f"absolute and loose, and a run can end with success far off (states as fractions with an {names[1]} "
              f"meant for counts?); give {names[1]} in the states' units, a small share of their size ({names[1]} ~ "
              f"{names[0]} x a typical |y|); a seed that grows far past that scale needs no change", ToleranceWarning)
    return True


def _warn_below_float64_floor(rtol64, atol64, y0, dtype, names):
    """ToleranceWarning for a float64 run that asks a component for less than :data:`FLOAT64_RELATIVE` relative
    (:func:`asked_relative`), from eps up (below, the other warnings here speak): a user's Kepler orbit at rtol = atol
    = 1e-15 ended 16 to 22 tolerances off with success and no word (float32's floor: ``warn_float32_rtol``)."""
    if np.dtype(dtype) != np.float64:
        return
    tightest = tightest_below(rtol64, atol64, y0, np.float64, FLOAT64_RELATIVE)
    if tightest is None:
        return
    i, asked, own, scale = tightest
    floor = quiet_rtol_text(np.float64)
    warn_user(f"{names[0]}={_tol(rtol64)} and {names[1]}={_tol(atol64)} ask float64 for {asked[i]:.3g} relative on "
              f"y[:, {i}] ({judged_at(i, own, scale, y0)}), more than it keeps: its rounding leaves about "
              f"{FLOAT64_RELATIVE:.2g} (50 eps) relative over a run of hundreds of steps, so a run can end several "
              "to tens of tolerances off with status success (a Kepler orbit at rtol = atol = 1e-15: 22 with dop853, "
              "16 with vern9; at 1e-14 0.16 with vern9). float64 is the widest precision: use tolerances of at least "
              f"{floor} relative to the states ({names[0]} >= {floor}, {names[1]} >= {floor} |y|)", ToleranceWarning)


def asked_relative(rtol, atol, y0):
    """``(asked, own, scale)``: per component, the relative accuracy a run asks for, ``rtol + atol / |y|`` at the
    component's largest ``|y0|`` (``own``, 0 for ``y0`` on the device or None), and the magnitude it is judged at
    (``scale``).  A component that starts at 0 is judged at the largest state's magnitude (rtol 1e-6 beside atol
    1e-3 on a state growing from 0 to 1 ended 0.004 tolerances off in float32: nothing asked beyond the precision;
    a regression hunt); with no magnitude at all, by ``rtol`` alone (infinite where it is 0)."""
    rtol, atol = np.asarray(rtol, np.float64), np.asarray(atol, np.float64)
    inspected = y0 is not None and not is_device_array(y0) and np.size(y0)
    own = column_abs_max(np.asarray(y0)).astype(np.float64) if inspected else np.zeros_like(rtol)
    scale = np.where(own > 0, own, float(np.max(own)) if own.size else 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        asked = np.where(scale > 0, rtol + atol / scale, np.where(rtol > 0, rtol, np.inf))
    return asked, own, scale


def tightest_below(rtol, atol, y0, dtype, floor):
    """``(i, asked, own, scale)``: the component ``i`` that asks ``dtype`` for the least relative error below
    ``floor``, from ``dtype``'s eps up (below eps :func:`check_tolerance_reachable` speaks), with
    :func:`asked_relative`'s arrays; None where no component does.  float32's floor warning and float64's read it."""
    asked, own, scale = asked_relative(rtol, atol, y0)
    eps = float(np.finfo(dtype).eps)
    judged = np.flatnonzero((asked >= eps) & (asked < floor))
    if judged.size == 0:
        return None
    return int(judged[np.argmin(asked[judged])]), asked, own, scale


def judged_at(i, own, scale, y0):
    """Where :func:`asked_relative` judged component ``i``, as a warning says it: at its own ``|y|``, at the largest
    state's, named, for one that starts at 0 ('y[:, 0] (at |y| = 1.5e+11)' gave y[:, 1]'s: a user's trial), or by
    rtol alone."""
    if own[i] > 0:
        return f"at |y| = {own[i]:.3g}"
    if scale[i] > 0:
        return (f"it starts at 0 and is judged at the largest state's magnitude, |y[:, {int(np.argmax(own))}]| = "
                f"{scale[i]:.3g}")
    return "rtol alone: y0 is 0" if y0 is not None and not is_device_array(y0) else "rtol alone: y0 is on the device"


def _tol(values):
    """A tolerance as the user most likely gave it: one number, or the list."""
    return f"{values[0]:g}" if np.all(values == values[0]) else "[" + ", ".join(f"{v:g}" for v in values) + "]"


def _far_from_origin(t0, t_end, dtype, rtol):
    """Whether a run in ``dtype`` (not float64) is far from t = 0 for its span: ``eps |t| > rtol (t_end - t0)``,
    where a float32 value of the size of ``t`` rounds by more than the tolerance over the span."""
    far = max(abs(t0), abs(t_end))
    return np.dtype(dtype) != np.float64 and float(np.finfo(dtype).eps) * far > float(np.min(rtol)) * (t_end - t0)


def change_in_tolerances(change, y, dydt, span, lasting, rtol, atol):
    """The largest ``change`` of ``dydt`` (at state ``y``) kept up over ``lasting``, in tolerances at the magnitude
    the state may reach over ``span``: ``|y|``, or ``span |dydt|`` where that is larger (a load rising as
    ``p[0] * t`` from 0 reaches 1e6, where its rounding is 0.006 tolerances, not the 6e4 of the tolerance at 0; a
    regression hunt).  The unit of the far-from-t = 0 checks here and in :mod:`kernels.far_time64`."""
    reach = np.maximum(np.abs(y), span * np.abs(dydt))
    return float(np.max(np.abs(change) * lasting / (atol + rtol * reach)))


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
        """The largest change of dydt rounding makes at ``times``, over ``lasting`` (the span; a switch's rounding
        window), in tolerances (:func:`change_in_tolerances`)."""
        worst, rounded = 0.0, np.empty(system.n_states)
        for t in times:
            exact = system.evaluate_rhs(t, y, p)
            system.run_host(rhs, (np.float64(t), y, held, rounded))
            worst = max(worst, change_in_tolerances(rounded - exact, y, exact, span, lasting, rtol64, atol64))
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
            epoch = here > 10.0 * shifted or _holds_epoch(p, held, span, here, lambda: effect((0.0,), y, p, held))
            warn_user(f"t reaches {far:.3g} in this {np.dtype(dtype).name} run over a span of {span:.3g}, and rhs "
                      f"depends on t through coefficients {np.dtype(dtype).name} rounds (a frequency p[k] * t, a "
                      f"switching time, a literal): held as the GPU holds them, they change trajectory {row}'s dydt "
                      f"by up to {here:.2g} tolerances over the span"
                      + ("" if t0 == 0 else f" ({shifted:.2g} with the span started at 0)")
                      + ", and the run can end tens of tolerances off with status success (a seasonal model from "
                      "t = 7.4e5 over 730 days: 34 to 75). " + _far_time_remedy(here > 10.0 * shifted, epoch, t0),
                      ToleranceWarning)
            return


def _holds_epoch(p, held, span, here, at_zero):
    """Whether rhs holds an offset of t (an epoch, ``t - p[k]``) whose rounding the warning of
    :func:`warn_far_time_origin` comes from: a parameter float32 rounds that is as large as the span, or rounding
    that changes dydt at t = 0 (``at_zero()``, in tolerances over the span) by a tenth of ``here`` or more, where a
    frequency's (``p[k] * t``) changes nothing.  A rhs failing at 0 counts as one (the epoch's remedy, as before)."""
    if any(a != b and abs(a) >= span for a, b in zip(p, held)):
        return True
    try:
        with np.errstate(all="ignore"):
            return not at_zero() < 0.1 * here
    except Exception:  # noqa: BLE001 - the rhs's own failures are reported by the checks that look for them
        return True


def _far_time_remedy(shift, epoch, t0):
    """The remedy of :func:`warn_far_time_origin`'s warning: start the time at 0 (``shift``: the span from 0 is
    far better), take an epoch out of rhs (``epoch``), or else float64, a looser rtol or a shorter span.  The
    epoch's remedy was given to cos(p[4] * t) over [0, 300] in float32, whose span already starts at 0 and which
    holds no epoch (a mechanical engineer's trial)."""
    if shift:
        return "Start the time at 0 and keep the offset in params, or use precision=np.float64"
    if epoch:
        return ("An offset of t held in params or a literal (an epoch in t - p[k]) is rounded from 0 too: measure "
                "the times from it in float64 before the solve (t_span and t_eval less the epoch, and the epoch out "
                "of rhs), or use precision=np.float64")
    start = "the span starts at 0 and " if t0 == 0 else ""
    return (f"Here {start}rhs holds no offset of t (an epoch) to take out: the rounding grows with t itself (a "
            "frequency p[k] * t), so use precision=np.float64, or a looser rtol or a shorter span")


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
