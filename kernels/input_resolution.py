"""A float32 solve whose inputs changed since the last solve of its Integrator by less than float32 resolves.

SciPy's finite-difference gradients move a parameter by about 1.5e-8 of itself (``least_squares``'s 2-point step,
the square root of float64's epsilon); float32 keeps about 6e-8 (half its epsilon, 2**-24), so the moved params round
to the same float32 values, or an ulp away, the solve returns the same result or rounding noise, the Jacobian reads
0, and ``least_squares`` ends at its start with "xtol termination" and no word (a modeller's trial: Lotka-Volterra in
the default float32; float64 fitted at once).  :class:`InputRecord`, owned by an Integrator, keeps a copy of its last
solve's host ``y0`` and ``params`` (as given, before the precision rounds them; only of a solve that ran) and warns
once where a float32 solve's inputs differ from them, but every changed value by less than :data:`ULPS` float32 ulps
of itself.  Identical inputs (a repeated call) and ordinary changes (an MCMC step of 1e-3) say nothing; float64 and
device inputs are not looked at.
"""

from __future__ import annotations

import numpy as np

from .errors import PrecisionWarning, warn_user
from .validation import is_device_array

__all__ = ["InputRecord", "ULPS", "MAX_ELEMENTS"]

#: A change of less than this many float32 ulps (of the value itself) is one a float32 solve cannot tell from rounding:
#: 2 * 2**-23 = 2.4e-7 relative.  SciPy's 2-point step (1.5e-8) moves a float32 value by 0 or 1 ulp; its 3-point one is
#: 6e-6, an MCMC step 1e-3; a converged Nelder-Mead simplex of a trial moved by 2.7e-7 at its end (not warned).
ULPS = 2

#: Inputs larger than this (elements of y0 or params) are not copied: a batch that size is no finite-difference probe.
MAX_ELEMENTS = 1 << 20

_EPS32 = float(np.finfo(np.float32).eps)  # 2**-23: one ulp relative, at the bottom of a binade
_RESOLUTION = _EPS32 / 2  # 6e-8: half an ulp, float32's unit roundoff


class InputRecord:
    """The last solve's host inputs of one Integrator, to tell a change below float32's resolution: :meth:`check`
    before the solve, :meth:`commit` once it went ahead.

    Only a solve that ran is recorded: a solve refused after its check (a bad ``t_eval``, a ``dt_max`` it cannot
    reach in ``max_steps``) was recorded, and the next one was compared with inputs no run had used (a regression
    hunt).  State of its owner (an Integrator), not of this module: two Integrators, or two threads' solves of one,
    keep their own record or overwrite each other's (a missed or an extra comparison, never an error)."""

    __slots__ = ("_last", "_warned", "_pending")

    def __init__(self):
        self._last = None  # (y0, params, span): float64 copies of the last float32 solve's host inputs, or None
        self._warned = False  # said once an Integrator (of solves that ran): from then on nothing is copied
        self._pending = None  # (the record the checked solve leaves, whether it warned) until committed, or None

    def check(self, y0, params, dtype, span):
        """Compare a solve's ``y0`` and ``params`` (as given) in precision ``dtype`` over ``span`` (t0, t_end) with the
        last committed solve's, warn where they changed below float32's resolution (:func:`_below_resolution`) over
        the same span, and hold them for :meth:`commit`; raises nothing but the warning itself under an "error"
        filter.  Another span is another solve (a run continued in chunks from its last state: no fit), and so is
        nothing to compare."""
        self._pending = None
        if self._warned or np.dtype(dtype) != np.float32:
            return
        try:
            current = (_host_copy(y0), _host_copy(params))
            record = None if any(c is None for c in current) else current + (tuple(span),)
            self._pending = (record, False)
            last = self._last
            if last is None or record is None or last[2] != record[2]:
                return
            message = _below_resolution(last[:2], current)
        except Exception:  # noqa: BLE001 - a check that must never fail a solve: nothing said, nothing kept
            self._pending = (None, False)
            return
        if message is not None:
            self._pending = (None, True)
            warn_user(message, PrecisionWarning)

    def commit(self):
        """The solve last checked went ahead: its inputs become the last solve's (a solve refused after
        :meth:`check` never calls this, and the record stays the last run's)."""
        if self._pending is not None:
            (self._last, warned), self._pending = self._pending, None
            self._warned = self._warned or warned


def _host_copy(value):
    """``value`` (a solve's y0 or params) as a float64 copy (the caller may change its array in place before the next
    solve), an empty array for None; None where it is not compared: a device array, a size past :data:`MAX_ELEMENTS`,
    or values that are not real numbers (the solve's own checks say what is wrong there)."""
    if value is None:
        return np.zeros(0)
    if is_device_array(value):
        return None
    array = np.asarray(value)
    # (given in float32 or float16, the inputs are the solve's values already: np.float32(0.3) then 0.3 is no step)
    if array.dtype.kind not in "biuf" or array.size > MAX_ELEMENTS or (array.dtype.kind == "f" and array.itemsize < 8):
        return None
    return np.array(array, dtype=np.float64)


def _below_resolution(last, current):
    """The warning's text where ``current`` (``(y0, params)``) differs from ``last`` but every changed value moved by
    less than :data:`ULPS` float32 ulps of itself; None where shapes differ, nothing changed, or a change is larger."""
    moved, identical = {}, True
    for name, before, now in zip(("y0", "params"), last, current):
        if before.shape != now.shape:
            return None
        changed = (before != now) & ~(np.isnan(before) & np.isnan(now))
        if not changed.any():
            continue
        a, b = before[changed], now[changed]
        with np.errstate(all="ignore"):
            relative = np.abs(b - a) / np.maximum(np.abs(a), np.abs(b))
        if not (np.all(np.isfinite(relative)) and np.all(relative < ULPS * _EPS32)):
            return None
        moved[name] = float(np.max(relative))
        identical = identical and np.array_equal(a.astype(np.float32), b.astype(np.float32))
    if not moved:
        return None  # the same inputs again: a repeated call
    what = " and ".join(moved)
    seen = ("its float32 values are the same, so this solve returned the last one's result" if identical else
            "its float32 values differ by an ulp or so, so this solve's result differs from the last one's by "
            "rounding noise")
    return (f"{what} changed by at most {max(moved.values()):.2g} relative since this Integrator's last solve, "
            f"below what float32 resolves (about {_RESOLUTION:.0e} relative; {seen}): differences of its results "
            "over steps this small (finite-difference gradients, an optimiser's last steps) read 0 or noise, and a "
            "gradient-based fit stops at its start (scipy.optimize.least_squares: 'xtol termination'); fit with "
            "precision=np.float64, or take finite-difference steps of at least 1e-3 relative "
            "(least_squares(..., diff_step=1e-3))")
