"""Drivers: time-dependent forcing given as samples, interpolated linearly.

Drivers are shared by all trajectories of a batch: ``times`` (M,) strictly
increasing float64 sample times and ``values`` (M, n_drivers).  Between samples
the value is interpolated linearly; outside ``[times[0], times[-1]]`` the end
segment's line goes on.  The samples must cover the span, but a method may look a
little past a step's end: kvaerno5's third stage lies at ``t + 1.23 h``, and with
the forcing held at its last value there, the last step saw a kink and ``x'' = -2x
+ u`` with ``u = t`` given as two samples ended 1.8 to 6 tolerances off, against
0.01 to 0.05 with ``t`` written in the rhs.
"""

from __future__ import annotations

import datetime
import functools
import hashlib

import numpy as np
from numba import cuda

from .driver_switches import warn_fixed_step_switches
from .errors import ConfigurationError, SamplingWarning, describe, warn_user
from .systems import ODESystem
from .input_precision import warn_rounded_inputs
from .input_writes import positional_names
from .validation import finite_rows, real_array

__all__ = ["make_driver_evaluator", "make_driver_evaluator_before", "validate_drivers", "warn_step_past_samples",
           "driven_on_host", "drivers_at"]


def _make_line(n_drivers, from_left):
    """``line(t, at, times, values, out)``: the drivers' line of the segment found at ``at``, evaluated at ``t``.

    A binary search finds the segment: ``log2(M)`` reads per call.  ``from_left`` (a compile-time constant) takes
    the segment ``at`` ends in (``times[lo] < at <= times[lo + 1]``), else the one it starts
    (``times[lo] <= at < times[lo + 1]``); outside the samples the end segments' lines go on.
    """

    @cuda.jit(device=True, inline="always")
    def line(t, at, times, values, out):
        m = times.shape[0]
        lo = 0
        hi = m - 1
        if m < 2:  # validate_drivers' one-sample dummy: never read by a system with drivers
            for d in range(n_drivers):
                out[d] = values[0, d]
            return
        if at <= times[0]:
            hi = 1  # the first segment's line, continued
        elif (at > times[m - 1]) if from_left else (at >= times[m - 1]):
            lo = m - 2  # the last segment's line, continued
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if (times[mid] < at) if from_left else (times[mid] <= at):
                lo = mid
            else:
                hi = mid
        w = (t - times[lo]) / (times[hi] - times[lo])
        for d in range(n_drivers):
            out[d] = values[lo, d] + w * (values[hi, d] - values[lo, d])

    return line


def make_driver_evaluator(n_drivers):
    """Return ``evaluate(t, times, values, out)`` writing the drivers at ``t`` into ``out``: linear between the
    samples, the end segments' lines continued outside them.  Without drivers it is a no-op.
    """
    if n_drivers == 0:
        @cuda.jit(device=True, inline="always")
        def no_drivers(t, times, values, out):
            pass

        return no_drivers
    line = _make_line(n_drivers, False)

    @cuda.jit(device=True)
    def evaluate(t, times, values, out):
        line(t, t, times, values, out)

    return evaluate


def make_driver_evaluator_before(n_drivers):
    """Return ``evaluate(t, t_end, times, values, out)``: the line of the segment that ``t_end`` ends in, at ``t``.

    For a stage that lies past its step's end (kvaerno5's third, at ``t + 1.23 h``): the segment is found from
    the left of ``t_end`` (``times[lo] < t_end <= times[lo + 1]``) and its line continued to ``t``, so a step
    that lands on a sample never reads the next segment, whose kink it would step across (with the sample times
    in ``t_eval``, kvaerno5 was 69 to 193 tolerances off with success on a forced oscillator, a user's trial).
    Without drivers it is a no-op.
    """
    if n_drivers == 0:
        @cuda.jit(device=True, inline="always")
        def no_drivers(t, t_end, times, values, out):
            pass

        return no_drivers
    line = _make_line(n_drivers, True)

    @cuda.jit(device=True)
    def evaluate(t, t_end, times, values, out):
        line(t, t_end, times, values, out)

    return evaluate


# What to do with a forcing given as a function of t (a chemist's trial passed one as drivers).
_WRITE_IT_IN_RHS = ("A forcing you can write as a function of t belongs in the rhs itself (e.g. j = p[0] * max(0.0, "
                    "math.sin(2.0 * math.pi * t / 86400.0))), in a system built without n_drivers")


def validate_drivers(drivers, n_drivers, dtype, span=None):
    """Check ``drivers`` against the system; return ``(times, values)`` host arrays.

    ``drivers`` is ``(times, values)`` or ``{"times": ..., "values": ...}``;
    None is only allowed for systems without drivers (a one-sample dummy is
    returned so the kernel always gets arrays).  With ``span`` ``(t0, t_end)``
    the samples must cover it: outside them the end segments' lines go on, which
    is meant for the fraction of a step a method's stage may reach past the span.
    """
    if drivers is None:
        if n_drivers:
            raise ConfigurationError(
                f"drivers: the system has {n_drivers} driver(s); pass drivers=(times, values) "
                f"with values of shape (M, {n_drivers})"
            )
        return np.zeros(1), np.zeros((1, 1), dtype=dtype)
    if not n_drivers:
        raise ConfigurationError(_undeclared_drivers(drivers))
    if isinstance(drivers, dict):
        if set(drivers) != {"times", "values"}:
            raise ConfigurationError(f"drivers: expected keys 'times' and 'values'; got {sorted(drivers)}")
        times, values = drivers["times"], drivers["values"]
    elif isinstance(drivers, (tuple, list)) and len(drivers) == 2:
        times, values = drivers
    elif _is_interpolation(drivers):
        raise ConfigurationError(
            f"drivers: expected (times, values); got {type(drivers).__name__}, an interpolation object (it has .ts "
            "and .ys, as diffrax.LinearInterpolation does). Pass its samples as NumPy arrays, drivers=(np.asarray("
            "interp.ts), np.asarray(interp.ys)), with ys of shape (M, n_drivers): they are interpolated linearly "
            "on the device")
    elif callable(drivers):
        raise ConfigurationError(f"drivers: expected (times, values) samples; got a function ({describe(drivers)}). "
                                 f"Drivers are sampled data interpolated on the device. {_WRITE_IT_IN_RHS}")
    else:
        raise ConfigurationError(f"drivers: expected (times, values); got {describe(drivers)}"
                                 f"{_series_hint(drivers) or _table_hint(drivers, n_drivers)}")
    if callable(values):
        raise ConfigurationError(f"drivers: values must be samples at the times; got a function "
                                 f"({describe(values)}). {_WRITE_IT_IN_RHS}")
    _refuse_masked(times, "times")
    _refuse_masked(values, "values")
    _refuse_datetimes(times)
    times, values = (real_array(value, f"drivers: {name}") for name, value in (("times", times), ("values", values)))
    for name, value in (("times", times), ("values", values)):  # a float32 flight log in a float64 solve (a trial)
        warn_rounded_inputs(np.asarray(value), f"drivers {name}", dtype, rows_are_trajectories=False)
    times, values = (np.asarray(value, dtype=np.float64) for value in (times, values))
    if values.ndim == 1 and n_drivers == 1:
        values = values[:, None]
    if times.ndim != 1 or times.size < 2:
        raise ConfigurationError(f"drivers: times must be 1-D with >= 2 samples; got {describe(times)}")
    if values.shape != (times.size, n_drivers):
        message = f"drivers: values must have shape ({times.size}, {n_drivers}); got {values.shape}"
        if values.shape == (n_drivers, times.size):
            message += ": one row per sample time, one column per driver (pass values.T)"
        elif values.ndim == 3 or (values.ndim == 2 and times.size in values.shape):  # one series per trajectory
            message += (". Drivers are shared by every trajectory of the batch (one series per driver); a value "
                        "that differs per trajectory, such as a scale of the forcing, belongs in params. For one "
                        "series per site, build the system with one driver per site (n_drivers = sites, values of "
                        "shape (M, sites)) and let each trajectory pick its own in rhs: u[int(p[k])], with p[k] "
                        "the trajectory's site index")
        raise ConfigurationError(message)
    for name, arr in (("times", times), ("values", values)):
        if not np.all(np.isfinite(arr)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            raise ConfigurationError(f"drivers: {name} must be finite; found {float(arr[bad])!r} at index "
                                     f"{bad[0] if arr.ndim == 1 else bad}: fill or drop that sample")
    steps = np.diff(times)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0])
        if steps[i] == 0 and not np.array_equal(values[i], values[i + 1]):  # a switch: a step input
            raise ConfigurationError(
                f"drivers: times must be strictly increasing; times[{i + 1}] = {times[i + 1]:g} repeats times[{i}] "
                "with other values: a step (zero-order hold) input, which linear interpolation cannot give. Give "
                "each switch a short ramp (times t_s and t_s + d, d far below the steps, e.g. 1e-9 of the span) and "
                "put both in t_eval so that steps end on them, or integrate one interval at a time (each solve "
                "starting from the last one's y[:, -1])")
        what = "repeats" if steps[i] == 0 else "goes back to"
        swapped = n_drivers == 1 and np.all(np.diff(values[:, 0]) > 0)
        raise ConfigurationError(
            f"drivers: times must be strictly increasing; times[{i + 1}] = {times[i + 1]:g} {what} times[{i}] = "
            f"{times[i]:g}: " + ("the values are increasing and the times are not, so they may be swapped: pass "
                                 "drivers=(times, values), times first; else " if swapped else "")
            + "sort the samples with their values (order = np.argsort(times); times, values = "
            "times[order], values[order]) and drop repeated times")
    if span is not None:
        _check_cover(times, span)
        _warn_one_segment(times, span)
    # refused where dtype cannot hold them
    return times, finite_rows(values, "drivers: values", dtype, remedy=(
        "the drivers are shared by every trajectory: scale them (and the rhs's use of them) into the precision's "
        "range, or use precision=np.float64"))


def _undeclared_drivers(drivers):
    """The refusal of ``drivers`` given to a system built without them, with the two ways on: declare them (their
    column count where it can be read) or drop them.  It said only that the system takes none (a neuroscientist's
    trial forced lorenz())."""
    count = _driver_columns(drivers)
    k = f"n_drivers={count}" if count else "n_drivers=k (k the number of driver columns)"
    return (f"drivers: the system declares n_drivers=0 and takes no drivers; got {describe(drivers)}: to force it "
            f"with them, build the ODESystem with {k} and rhs(t, y, p, u, dydt), u holding the drivers at time t "
            "(observables, if any, take u too: observables(t, y, p, u, obs)); else drop drivers=")


def _driver_columns(drivers):
    """The number of driver columns in ``drivers`` given as ``(times, values)`` or ``{"times", "values"}``: 1 for
    values of one dimension, the columns of values with one row per time; else None (not to be read)."""
    if isinstance(drivers, dict):
        drivers = (drivers.get("times"), drivers.get("values"))
    if not isinstance(drivers, (tuple, list)) or len(drivers) != 2 or not all(map(_numbers, drivers)):
        return None
    times, values = (np.asarray(part) for part in drivers)
    if values.ndim == 1 and values.size == times.size:
        return 1
    if values.ndim == 2 and times.ndim == 1 and values.shape[0] == times.size:
        return int(values.shape[1])
    return None


def _is_interpolation(drivers):
    """Whether ``drivers`` is an interpolation object holding its samples as ``.ts`` and ``.ys`` (diffrax's
    LinearInterpolation: a diffrax user's trial was told only "expected (times, values)").  Looked at before
    ``callable``, as such an object may also be evaluated by a call."""
    return hasattr(drivers, "ts") and hasattr(drivers, "ys")


def _series_hint(drivers):
    """What to pass instead of a pandas Series or DataFrame given as ``drivers`` (its index as the times)."""
    if not (hasattr(drivers, "index") and hasattr(drivers, "to_numpy")):
        return ""
    dates = np.asarray(drivers.index).dtype.kind == "M"
    return (". For a pandas Series s pass drivers=(s.index.to_numpy(), s.to_numpy()) (a DataFrame: "
            "(df.index.to_numpy(), df.to_numpy()), one column per driver)" + (
                "; its index holds dates: give the times as numbers, e.g. days since the first, "
                "(s.index - s.index[0]) / np.timedelta64(1, 'D')" if dates else ""))


def _table_hint(drivers, n_drivers):
    """How to split a table of samples given as one array, a column of times then one per driver (a day and a rate:
    an epidemiologist's trial got only its shape), into ``(times, values)``; '' for anything else.  A table of a row
    of times over one row per driver, of more samples than rows, is split by rows."""
    shape = np.shape(drivers) if isinstance(drivers, (np.ndarray, list)) and _numbers(drivers) else ()
    if len(shape) != 2 or min(shape) < 2:
        return ""
    by_rows = shape[1] != n_drivers + 1 and shape[0] == n_drivers + 1 and shape[1] > shape[0]
    split = "table[0], table[1:].T" if by_rows else "table[:, 0], table[:, 1:]"
    layout = ("row 0 the sample times, the other rows one driver each" if by_rows else
              "column 0 the sample times, the other columns one driver each")
    table = "table = np.asarray(this list)" if isinstance(drivers, list) else "table this array"
    count = shape[0 if by_rows else 1] - 1
    more = "" if count == n_drivers else f"; that is {count} drivers, and the system has n_drivers={n_drivers}"
    return f". If it is a table of samples, {layout}, split it: drivers=({split}), with {table}{more}"


def _numbers(value):
    """Whether ``value`` reads as a rectangular array of real numbers."""
    try:
        return np.asarray(value).dtype.kind in "iuf"
    except (TypeError, ValueError):
        return False


def _refuse_masked(array, name):
    """Refuse a NumPy masked array with masked samples: its mask would be dropped, and the fill under it (-999,
    netCDF's 9.97e36) read as data (a user's trial: -999 ran with success and a wrong y)."""
    if isinstance(array, np.ma.MaskedArray) and np.ma.count_masked(array):
        raise ConfigurationError(
            f"drivers {name}: a masked array with {np.ma.count_masked(array)} masked samples (e.g. from a netCDF "
            "reader); fill them (np.ma.filled with interpolated values) or drop those sample times")


def _refuse_datetimes(times):
    """Refuse dates as the drivers' times: the time of a solve is a number.  Timezone-aware pandas dates and lists
    of ``datetime`` arrive as objects (a regression hunt): their first element is looked at too."""
    kind = getattr(times, "dtype", None)
    try:
        kind = np.asarray(times).dtype if kind is None else kind
        first = next(iter(np.ravel(np.asarray(times, dtype=object))), None)
    except (TypeError, ValueError):  # ragged: real_array says so
        return
    dated = isinstance(first, (datetime.date, datetime.timedelta, np.datetime64, np.timedelta64))
    letter = getattr(kind, "kind", "")
    kind = type(first).__name__ if dated and letter == "O" else kind  # a list of datetime: "datetime values"
    if (letter and letter in "mM") or "datetime" in str(kind) or dated:
        raise ConfigurationError(
            f"drivers: times must be numbers in the units of t_span; got {kind} values: convert them "
            "to numbers, e.g. days since a reference: (times - t_ref) / np.timedelta64(1, 'D'), with t_span and "
            "t_eval in the same days")


def _on_one_line(times, values):
    """Whether each driver's samples lie on one straight line (to rounding), so linear interpolation between any
    two of them gives the rest."""
    values = np.asarray(values, np.float64).reshape(len(times), -1)
    slope = (values[-1] - values[0]) / (times[-1] - times[0])
    line = values[0] + np.outer(np.asarray(times) - times[0], slope)
    return bool(np.all(np.abs(values - line) <= 1e-9 * np.maximum(1.0, np.abs(values))))


def warn_step_past_samples(times, values, dt, t0=None, t_end=None, t_eval=None):
    """:class:`kernels.SamplingWarning`, once, when a fixed step ``dt`` passes over what the drivers hold: it is
    longer than the widest gap between their samples, so every gap holds samples a step passes over (an RC filter
    driven by a 2 ms square wave at dt 1.5 ms ended with the wrong sign, 2.6e5 tolerances off with success; a user's
    trial), or else, given the span and the save times ``t_eval``, a switch shorter than ``dt`` has an end no fixed
    step lands on (:func:`warn_fixed_step_switches`)."""
    if dt is None or len(times) < 3:
        return
    widest = float(np.max(np.diff(times)))
    # a gap equal to dt up to rounding, or samples on one line per driver (a constant, a ramp): nothing is skipped
    if dt > widest * (1.0 + 1e-9) and not _on_one_line(times, values):
        warn_user(f"dt = {dt:.6g} is longer than the widest gap between the drivers' samples ({widest:.6g}): a "
                  "fixed step sees the drivers only at its stages, so what the samples hold between them is passed "
                  "over (a square wave's half periods alias, and the run can end far off with success). Take dt "
                  f"at most {widest:.6g}, or an adaptive controller with the switch times in t_eval.",
                  SamplingWarning)
    elif t_eval is not None:
        warn_fixed_step_switches(times, values, dt, t0, t_end, t_eval)


def _warn_one_segment(times, span):
    """:class:`kernels.SamplingWarning` where the whole span lies inside one sample interval of drivers whose samples
    reach at least ten spans further: the run reads one straight segment of them.  Samples over [0, 50] (ms) for
    ``t_span = (0, 0.1)`` (s) ran with success and no word (a neuroscientist's trial)."""
    k = min(max(int(np.searchsorted(times, span[0], side="right")) - 1, 0), times.size - 2)
    if times.size < 3 or span[1] > times[k + 1] or times[-1] - times[0] < 10.0 * (span[1] - span[0]):
        return
    warn_user(f"drivers: the integration runs over [{float(span[0]):g}, {float(span[1]):g}], inside one sample "
              f"interval [{float(times[k]):g}, {float(times[k + 1]):g}] of {times.size} samples over "
              f"[{float(times[0]):g}, {float(times[-1]):g}]: the run reads one straight segment of the drivers. If "
              "the sample times are in other units than t_span (ms against s), convert one of them; if the span is "
              "meant, ignore this warning", SamplingWarning)


def _check_cover(times, span):
    """The samples must cover ``span``, up to float32's rounding of its ends (sample times kept in float32: the
    end segment's line goes on over that sliver, as it does for a stage past a step's end), and never more than
    a millionth of the span (at t0 = 1.7e9 float32's rounding is 800 s: a fifth of an hour's span went uncovered
    unseen, a regression hunt)."""
    slack = min(4.0 * float(np.finfo(np.float32).eps) * max(abs(span[0]), abs(span[1])), 1e-6 * (span[1] - span[0]))
    short = max(times[0] - span[0], span[1] - times[-1])
    if short > slack:
        end = "first" if times[0] - span[0] >= span[1] - times[-1] else "last"
        raise ConfigurationError(
            f"drivers: the samples cover [{float(times[0])!r}, {float(times[-1])!r}] and the integration runs over "
            f"[{float(span[0])!r}, {float(span[1])!r}]: the {end} sample falls {short:.3g} short. Give samples over "
            "the whole span (outside them the forcing would go on along the end segments' lines)"
            + (", or end the span at the last sample time" if end == "last" else ""))


def drivers_at(t, times, values):
    """The drivers at ``t`` (float64, host) as the device has them: linear between samples, the end segments'
    lines continued outside them (:func:`make_driver_evaluator`); none for :func:`validate_drivers`' one-sample
    dummy of a system without drivers."""
    if len(times) < 2:
        return np.zeros(0)
    hi = int(np.clip(np.searchsorted(times, t, side="right"), 1, len(times) - 1))
    w = (t - times[hi - 1]) / (times[hi] - times[hi - 1])
    return values[hi - 1] + w * (values[hi] - values[hi - 1])


class DrivenOnHost(ODESystem):
    """A system with drivers as the host's checks and hints see one without: its rhs and observables are given
    the drivers interpolated at ``t`` (:func:`drivers_at`); ``jac`` and ``jvp`` take no drivers.  The stability,
    float32 and stiffness checks skipped systems with drivers, though the samples are known on the host (rk4 at
    dt 0.05 on y' = -1000 (y - u), u = cos t given as samples, ended at -1.1e103 with success and no word; a
    user's trial)."""

    def __init__(self, system, times, values, offset=0.0):  # a copy of a built system: no checks again
        self.__dict__.update(system.__dict__)
        self.n_drivers, self.driven, self._offset = 0, system, float(offset)
        self._samples = (np.asarray(times, np.float64), np.asarray(values, np.float64))

    @functools.cached_property
    def samples_digest(self):
        """A digest of the samples, for a check's verdict to be remembered per forcing (hashed only where a check
        asks: this system is made at every solve of a driven system, whose samples can be megabytes)."""
        return hashlib.sha256(self._samples[0].tobytes() + self._samples[1].tobytes()).hexdigest()

    def shifted(self, offset):
        """This system with the drivers read at ``t + offset``: the same forcing for a span moved to start at 0."""
        return DrivenOnHost(self.driven, *self._samples, offset=offset)

    def run_host(self, func, args):
        """``func(*args)`` as :meth:`ODESystem.run_host`, with the drivers at ``args[0]`` put before the output
        for a function that takes them: one positional argument more than given (rhs and observables, not ``jac``
        or ``jvp``, nor their float32 copies, which a test of identity missed: a regression hunt)."""
        if len(args) == 4 and len(positional_names(func) or ()) == 5:
            args = args[:3] + (drivers_at(float(args[0]) + self._offset, *self._samples),) + args[3:]
        return ODESystem.run_host(func, args)


def driven_on_host(system, times, values):
    """``system`` itself without drivers, else a :class:`DrivenOnHost` of it on these samples."""
    return DrivenOnHost(system, times, values) if system.n_drivers else system
