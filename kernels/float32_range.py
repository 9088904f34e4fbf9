"""float32's range: a float32 run whose right-hand side or observables leave it where float64 does not.

A GPU computes inf or 0 there, and where the inf ends in a denominator the result stays finite and wrong, with
status success.  The rhs is evaluated on the host in float32 (its literals, the row's params and states held there),
and, where it reads ``math``, compiled by Numba for the CPU too: Numba types a ``math`` function of a float32 value
as float32, on a GPU as on the CPU, where Python returns a float64.  The compiled functions are kept in a dict the
caller owns (an Integrator's), not in this module.  :func:`float32_stall` looks further, along a stopped trajectory's
host path, for where its float32 rhs stops being finite (a MAX_STEPS message asks: :mod:`kernels.result_notes`).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math

import numpy as np

from .errors import warn_user
from .warning_registries import registries_kept

_log = logging.getLogger(__name__)

__all__ = ["warn_float32_range", "float32_stall", "STALL_EVALUATIONS"]

#: Right-hand sides the host follow of :func:`float32_stall` may take (SciPy's Radau at rtol 1e-3): about 0.1 s of a
#: Python rhs, spent only when a float32 trajectory's MAX_STEPS message is asked for.
STALL_EVALUATIONS = 2000


def warn_float32_range(system, t0, rows, dtype, compiled):
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
    nothing.  A row with states that start at 0 is judged again with them set to its least nonzero magnitude
    (:func:`_probes`): a 0 hid ``M * O * O2`` past 3.4e38 (a chemist's trial).  A system with drivers is judged as
    :func:`kernels.drivers.driven_on_host` gives it (u at ``t0``).
    ``compiled`` is the caller's dict of the CPU-compiled functions (:func:`_cpu_compiled`), kept across solves.
    """
    if np.dtype(dtype) != np.float32 or system.n_drivers:
        return
    from .errors import PrecisionWarning
    from .literals import for_system

    # the observables too: one over r**7 saved 0 in float32 with no word (a regression hunt)
    functions = [("rhs", system.rhs, system.n_states, "derivative")] + (
        [("observables", system.observables, system.n_observables, "observable")] if system.observables else [])
    held = {what: for_system(func, system, dtype) for what, func, _, _ in functions}
    for row, y0, p in rows:
        y0, p = np.asarray(y0, np.float64), np.asarray(p, np.float64)
        for (what, func, size, noun), (where, y) in itertools.product(functions, _probes(y0)):
            fault = _range_fault(system, func, held[what], size, t0, y, p, dtype, compiled)
            if fault is None:
                continue
            warn_user(f"{what} {'leaves' if what == 'rhs' else 'leave'} float32's range at t0 for trajectory {row}"
                      f"{where} ({fault}) where float64 does not, "
                      f"and its {noun} changes there: its constants, parameters or states multiply past 3.4e38 or "
                      "below 1.2e-38 (AU * AU * AU in cgs is 3.3e39, hbar * hbar is 1.1e-68, r**7 of an orbit in "
                      "metres 8e47), or a math function of them does (math.exp(100.0) is 2.7e43: on float32 values "
                      f"the GPU computes it in float32), a GPU computes inf or 0 there, and the {noun} comes out "
                      "wrong (finite, with status success, where the inf ends in a denominator). Compute such "
                      f"constants in float64 outside {what} and use the result (a module float or a parameter), "
                      "combine exponentials (math.exp(a - b), not math.exp(a) * math.exp(-b)), multiply the small "
                      "factors first (k * M * A * B, not M * A * B * k: symbolic_system orders them so), rescale the "
                      "units, or use precision=np.float64",
                      PrecisionWarning)
            return


def _probes(y0):
    """The states a row is judged at, ``(words, y)`` pairs: ``y0`` itself, then, where some of its states are 0 and
    others not, ``y0`` with every 0 set to its smallest nonzero magnitude.

    A state that starts at 0 multiplies every product it is in to 0, and the check saw nothing of them: O = 0 at
    midnight hid ``M * O * O2`` (1.25e47 at O = 1e9, inf in float32) of the Chapman mechanism, whose float32 runs
    ended at max_steps with no word (a chemist's trial).  They are set together, so that a product of two of them
    is seen too, and to the least magnitude the row gives a state, a cautious guess of what they soon reach (O, 0 at
    midnight, is 1e10 by day beside O3's 1e12): the largest (O2's 5e18) would warn of radicals at values no run
    visits, and the tolerances, a scale of their own, do not reach this check.  One more evaluation, for rows
    with a 0 beside a nonzero state; a row of zeros gives no magnitude and is judged at y0 alone."""
    yield "", y0
    zero = y0 == 0.0
    if not zero.any() or zero.all():  # nothing to probe, or no magnitude in the row to take
        return
    scale = float(np.min(np.abs(y0[~zero])))
    named = ", ".join(f"y[:, {i}]" for i in np.flatnonzero(zero)[:3]) + (", ..." if zero.sum() > 3 else "")
    yield (f" with the states that start at 0 ({named}) set to {scale:.3g}, the least magnitude of its y0, as they "
           "soon may be"), np.where(zero, scale, y0)


def _range_fault(system, func, held, size, t0, y, p, dtype, compiled):
    """The float fault (text) where ``held`` (``func`` with its literals in ``dtype``) leaves ``dtype``'s range at
    ``(t0, y, p)`` held in ``dtype`` and its output changes beyond ``dtype``'s own rounding; else None.  Where
    Python's arithmetic keeps the range, ``func`` compiled for the CPU is asked too (:func:`_compiled_fault`)."""
    exact, out, nudged = np.empty(size), np.empty(size), np.empty(size)
    try:
        with np.errstate(over="raise", invalid="ignore", divide="ignore", under="ignore"):
            system.run_host(func, (float(t0), y, p, exact))
        with np.errstate(over="raise", under="raise", invalid="ignore", divide="ignore"):
            system.run_host(held, (np.float64(t0), y.astype(dtype), p.astype(dtype), out))
    except FloatingPointError as exc:
        fault = str(exc)
    except Exception:  # noqa: BLE001 - float64 itself fails or overflows: other checks say so
        return None
    else:  # nothing left float32's range in Python, whose math functions return float64
        return _compiled_fault(system, func, size, t0, y, p, dtype, exact, out, compiled)
    try:
        with np.errstate(all="ignore"):
            system.run_host(held, (np.float64(t0), y.astype(dtype), p.astype(dtype), out))
            system.run_host(held, (np.float64(t0), _nudged(y, dtype), p.astype(dtype), nudged))
    except Exception:  # noqa: BLE001 - the held copy failing otherwise: nothing to say here
        return None
    # it left the range on the way and the output is the same (a sigmoid's exp: a regression hunt)
    return fault if _changed(system, func, exact, out, nudged, y).any() else None


def _nudged(y, dtype):
    """``y`` moved by an ulp of ``dtype``, up and down by turns (all up together keeps an equilibrium), in ``dtype``:
    what the output moves by then is ``dtype``'s own rounding."""
    signs = np.where(np.arange(y.size) % 2 == 0, 1.0, -1.0)
    return (y * (1.0 + signs * np.finfo(dtype).eps)).astype(dtype)


def _changed(system, func, exact, out, nudged, y):
    """Which components of ``out`` (``func`` in the working precision) differ from ``exact`` (float64's) beyond 1e-4
    of it and beyond the precision's rounding (what ``nudged``, at :func:`_nudged`'s states, moves by), or are not
    finite where ``exact`` is."""
    # per component: a derivative of 1e-40 that float32 makes 0 changes nothing, and a large state elsewhere
    # must not hide a rate of 1.2 made 0 (a regression hunt); nor does float32's own rounding, measured as what
    # an ulp of the states moves (a reaction at equilibrium, 1.2e-8 from 0 in float64 and 0 in float32, drew
    # the warning beside a harmless underflow: a regression hunt)
    # (an observable has no state of its own to scale by: a value float32 makes 0 from 1e-30 up counts)
    floor = 1e-6 * np.maximum(1.0, np.abs(y)) if func is system.rhs else 1e-30
    scale = np.maximum(np.abs(exact), floor)
    with np.errstate(invalid="ignore"):  # inf - inf: not finite, caught below
        noise = 8.0 * np.nan_to_num(np.abs(nudged - out), nan=0.0, posinf=0.0)
        return (np.abs(out - exact) > np.maximum(1e-4 * scale, noise)) | (~np.isfinite(out) & np.isfinite(exact))


def _compiled_fault(system, func, size, t0, y, p, dtype, exact, hosted, compiled):
    """The fault (text) where ``func``, compiled by Numba for the CPU in ``dtype`` (:func:`_cpu_compiled`), gives an
    output :func:`_changed` from float64's ``exact`` and from ``hosted``, the same inputs run in Python (so that the
    change is the compiled math's: float32's rounding of a frequency far from t = 0 is not the range's, a regression
    hunt); None where it does not, or where ``func`` reads no ``math`` function or does not compile so (the check in
    Python stands alone then).

    Numba types a ``math`` function of a float32 value as float32, on a GPU as on the CPU; Python returns a float64,
    so ``math.exp(np.float32(100.0))`` was 2.7e43 in the check and inf on the GPU (an Arrhenius rate
    ``exp(lnA) * exp(-Ta / T)`` with lnA = 100, 1 in float64: a chemist's trial, no warning)."""
    if not _reads_math(func):
        return None
    key = (func, np.dtype(dtype).name, getattr(system, "literals", "working") == "as written")
    if key not in compiled:
        compiled[key] = _cpu_compiled(*key)
    compiled = compiled[key]
    if compiled is None:
        return None
    out, nudged, p_held = np.empty(size, dtype), np.empty(size, dtype), p.astype(dtype)
    try:
        compiled(np.float64(t0), y.astype(dtype), p_held, out)
        compiled(np.float64(t0), _nudged(y, dtype), p_held, nudged)
    except Exception:  # noqa: BLE001 - a fault Numba raises (an index): the check in Python has said its word
        return None
    changed = _changed(system, func, exact, out, nudged, y) & _changed(system, func, hosted, out, nudged, y)
    if not changed.any():
        return None
    i = int(np.argmax(changed))
    return (f"{'dydt' if func is system.rhs else 'obs'}[{i}] is {out[i]:.3g} compiled, {exact[i]:.3g} in float64: "
            f"Numba computes a math function of {np.dtype(dtype).name} values in {np.dtype(dtype).name}")


def _reads_math(func):
    """Whether ``func`` reads the ``math`` module or a function of it from its globals or its closure (``import
    math as m`` in a factory): only there does compiled code type differently from Python on float32 values."""
    code, names = getattr(func, "__code__", None), getattr(func, "__globals__", {})
    values = [names.get(name) for name in code.co_names] if code is not None else []
    for cell in getattr(func, "__closure__", None) or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # a cell not filled yet
            continue
    return any(value is math or getattr(value, "__module__", None) == "math" for value in values)


def _cpu_compiled(func, dtype_name, as_written):
    """``func`` (4 arguments: ``t, y, p, out``) with its literals in ``dtype_name`` (unless ``as_written``) compiled
    by ``numba.njit`` for arrays of that type, its float faults IEEE values as on a GPU, its indices checked (a system
    built with ``check=False`` may index past an array); None where Numba refuses it (a CUDA device function or local
    array inside, a helper in plain Python).  The caller keeps the result (the check runs at every solve; a small rhs
    takes 0.05 s to compile, the first compile of a process 0.5 s)."""
    import numba
    from numba import types

    from .literals import in_precision

    code = getattr(func, "__code__", None)
    if code is None or code.co_argcount != 4:  # drivers come as a fifth argument: not compiled here
        return None
    array = types.Array(numba.from_dtype(np.dtype(dtype_name)), 1, "C")
    held = func if as_written else in_precision(func, dtype_name)  # (its StaleSourceWarning not silenced below)
    try:
        with registries_kept(), _performance_notes_off():  # (no warnings filter: see _performance_notes_off)
            return numba.njit((types.float64, array, array, array), error_model="numpy", boundscheck=True)(held)
    except Exception:  # noqa: BLE001 - whatever Numba refuses, the check in Python stands alone
        _log.debug("%s does not compile for the CPU; float32's range is checked in Python only", code.co_name)
        return None


@contextlib.contextmanager
def _performance_notes_off():
    """Numba's performance notes off (its own switch, restored at once) while the check compiles: they are about a
    compile the user did not ask for.  A warnings filter did this before, and every change of the filters makes
    Python forget which warnings it has shown (Numba's own compile changes them too: :func:`registries_kept` keeps
    the record across it), so a float32 ToleranceWarning showed again at the next solve (a modeller's trial)."""
    from numba.core import config

    held = config.DISABLE_PERFORMANCE_WARNINGS
    config.DISABLE_PERFORMANCE_WARNINGS = 1
    try:
        yield
    finally:
        config.DISABLE_PERFORMANCE_WARNINGS = held


class _Stall(Exception):
    """The follow of :func:`float32_stall` met a point where the float32 rhs is not finite."""

    def __init__(self, t, y, fault, exact):
        super().__init__()
        self.t, self.y, self.fault, self.exact = t, y, fault, exact


def float32_stall(system, t0, y0, p, t_until, evaluations=STALL_EVALUATIONS):
    """``(t, y, i, out, exact)``: the first point of SciPy's Radau path from ``(t0, y0)`` towards ``t_until`` (host,
    float64; :func:`kernels.stiffness.follow_on_host`) where ``rhs`` held in float32 (its literals, states and params:
    :func:`kernels.float32_rhs.held_rhs`) is not finite and float64's is: component ``i`` of the float32 ``out`` is
    inf or NaN there, ``exact`` is float64's rhs.  The point is moved back by bisection along the segment from the
    last point where it was finite.  None where there is none within ``evaluations`` right-hand sides, where float64's
    rhs fails first (another hint's cause), or where the system cannot be followed on the host (drivers).

    Why: an adaptive float32 run rejects every trial step that reaches such a point, whatever its size, and churns to
    max_steps short of it; a laser rate equation's ``p[5] * y[1]`` (N0 * S, past 3.4e38 once S passed 3.4e14) took
    tsit5 through 100000 attempts, 45454 rejected, and the message said to raise max_steps (a physicist's trial).
    Unlike the check at ``t0`` (:func:`warn_float32_range`), no state bound applies: a state of 1e22 starts well."""
    from .float32_rhs import float32_rhs_fault, held_rhs
    from .host_follow import follow_on_host, follows_on_host

    y0, p = np.asarray(y0, np.float64), np.asarray(p, np.float64)
    if not (follows_on_host(system) and float(t_until) > float(t0) and np.all(np.isfinite(y0))):
        return None
    held, last = held_rhs(system), [(float(t0), y0)]

    def judged(t, y):
        """float64's rhs at ``(t, y)`` and the float32 fault there (None where it has none)."""
        exact = np.empty(system.n_states)
        with np.errstate(all="ignore"):
            system.evaluate_rhs(float(t), np.asarray(y, np.float64), p, out=exact)
        if not np.all(np.isfinite(exact)):
            raise FloatingPointError("float64's rhs is not finite")  # another hint's cause: no verdict here
        return exact, float32_rhs_fault(system, held, t, y, p, exact)

    def f(t, y):
        exact, fault = judged(t, y)
        if fault is not None:
            raise _Stall(float(t), np.array(y, np.float64), fault, exact)
        last[0] = (float(t), np.array(y, np.float64))
        return exact

    try:
        f(float(t0), y0)
        follow_on_host(f, float(t0), float(t_until), y0, evaluations)
    except _Stall as stall:
        return _narrowed(judged, last[0], stall)
    except Exception:  # noqa: BLE001 - float64's rhs failing, or anything else: no verdict (a message never fails)
        return None
    return None


def _narrowed(judged, good, stall, rounds=50):
    """``(t, y, i, out, exact)`` of ``stall`` moved back by bisection along the segment from ``good`` (``(t, y)``, the
    last point whose float32 rhs was finite): the follow's trial points can lie far past where it stops being finite.
    ``judged(t, y)`` gives float64's rhs and the float32 fault at a point (it raises where float64's fails: the search
    ends there)."""
    (ta, ya), (tb, yb) = good, (stall.t, stall.y)
    (i, out), exact = stall.fault, stall.exact
    for _ in range(rounds):
        tm, ym = 0.5 * (ta + tb), 0.5 * (ya + yb)
        try:
            mid_exact, fault = judged(tm, ym)
        except Exception:  # noqa: BLE001 - float64 fails between them: keep the point found
            break
        if fault is None:
            ta, ya = tm, ym
        else:
            tb, yb, (i, out), exact = tm, ym, fault, mid_exact
    return tb, yb, i, out, exact
