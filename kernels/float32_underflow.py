"""float32's lower range along a run: a state that falls below float32's smallest normal value and grows again.

float32's smallest normal value is 1.18e-38; below it subnormals keep fewer and fewer digits, and below 1.4e-45
a value is 0.  A state whose rate is proportional to itself (a population, a concentration with no inflow) that
falls there and later grows again regrows from a rounded value, so the timing of its regrowth, and every state
after it, is lost: a Rosenzweig-MacArthur prey that truly falls to 4.5e-56 on its cycle ended 1.2e32 tolerances
off in float32 with status success (an ecologist's trial).  The range checks at the start
(:mod:`kernels.float32_range`, :mod:`kernels.input_precision`) cannot see it: the states start in range.

:func:`warn_float32_underflow` (one :class:`kernels.PrecisionWarning` a solve, from ``Integrator.solve``, float32
and host arrays only) looks in two places, cheapest first, and adds no device work:

* the saves (``y0`` at ``t0`` first): a state saved below the normal range (or at exactly 0 after being nonzero)
  and saved later at or above ``max(1.18e-38, atol)``, where ``rhs`` at both points with that state set to 0
  leaves its rate at exactly 0 (its regrowth is its own, not an inflow's: a dose or an immigration term that
  refills a state emptied to 0 is computed right in float32).  Free, but only as good as the saves: the default
  ``t_eval`` (the span's end alone) shows nothing.
* where the saves show nothing, up to :data:`FOLLOWED` trajectories that succeeded (the first, and the one whose
  saves fall furthest below their scale) are followed on the host in float64 by SciPy's LSODA at rtol
  :data:`FOLLOW_RTOL` with an ``atol`` of :data:`FOLLOW_ATOL` (relative control down to far below float32's
  range, as a log-transformed state would have), each for at most :data:`FOLLOW_EVALUATIONS` right-hand sides
  (the trial's 2 states to t = 300: 3100 of them, 0.02 s; a stiff 3-state combustion model used the budget,
  0.66 s; most runs of the test suite 0.01 s or less), and only for the states whose rate is exactly 0 at their
  start when they are set to 0 (none: nothing is followed; Lorenz, oscillators).  Systems with drivers or more
  than :data:`kernels.stiffness.HOST_FOLLOW_STATES` states are not judged (their rates are not evaluated).

A state that decays to 0 for good (extinction, a washout), or starts at 0 and stays there, says nothing: only a
regrowth past ``max(1.18e-38, atol)`` is worth a warning, since below ``atol`` the rounded value is within the
tolerance.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .errors import PrecisionWarning, warn_user

__all__ = ["warn_float32_underflow", "saved_dip", "followed_dip", "own_regrowth", "Dip", "FLOAT32_TINY", "FOLLOWED",
           "FOLLOW_EVALUATIONS", "FOLLOW_RTOL", "FOLLOW_ATOL"]

#: float32's smallest normal value (1.18e-38).
FLOAT32_TINY = float(np.finfo(np.float32).tiny)
#: Trajectories followed on the host where the saves show nothing.
FOLLOWED = 2
#: Right-hand sides one host follow may take (the trial's cycle to t = 300 took about 3100).
FOLLOW_EVALUATIONS = 10_000
#: The host follow's rtol: its path's least value within a few percent of its logarithm (the K = 15 prey's
#: 7.4e-40, 16 times below the range, is found at 7.5e-40; at 1e-3, 9.2e-40).
FOLLOW_RTOL = 1e-4
#: The host follow's atol: relative control down to 1e-60, far below float32's least subnormal (1.4e-45).
FOLLOW_ATOL = 1e-60
_CHUNK = 4096  # trajectories scanned at once (bounds the scan's temporary arrays)


@dataclasses.dataclass(frozen=True)
class Dip:
    """A state that fell below float32's normal range and grew again: where it was least, and where it regrew."""

    trajectory: int
    state: int
    smallest: float
    t_smallest: float
    regrown: float
    t_regrown: float
    followed: bool  # found on the host follow in float64 (else in the saves)
    more: int = 0  # other trajectories the saves show the same in


class _Budget(Exception):
    pass


def warn_float32_underflow(integrator, result, y0, params, t_end, atol):
    """Warn (:class:`kernels.PrecisionWarning`, once a solve) where a float32 run's state fell below float32's
    normal range and grew again (the module's docstring says how it is found and what it costs).  ``atol`` is the
    run's per-state atol, None for fixed steps; device arrays are not looked at."""
    system = integrator.system
    if np.dtype(integrator.dtype) != np.float32 or not all(isinstance(a, np.ndarray) for a in (y0, params)):
        return
    from .host_follow import follows_on_host

    if not follows_on_host(system):  # drivers (their rhs needs u) or many states: nothing is judged
        return
    n, rows = system.n_states, np.asarray(result.status).shape[0]
    threshold = np.maximum(FLOAT32_TINY, np.asarray(atol, np.float64)) if atol is not None else np.full(
        n, FLOAT32_TINY)
    y0, params = _rows(y0, rows), _rows(params, rows)  # a single row given for a batch
    saved = result.y if isinstance(result.y, np.ndarray) else None
    dip = None if saved is None else saved_dip(system, result.t_start, result.t, y0, saved, params, threshold)
    if dip is None:
        for i in _to_follow(result.status, y0, saved):
            dip = followed_dip(system, y0[i], params[i], result.t_start, t_end, threshold, trajectory=i)
            if dip is not None:
                break
    if dip is not None:
        warn_user(_message(dip, system), PrecisionWarning)


def _rows(array, rows):
    """``array`` (a batch's ``y0`` or ``params``, one row or ``rows`` of them) as ``rows`` rows."""
    array = np.asarray(array)
    return array if array.ndim == 2 and array.shape[0] == rows else np.broadcast_to(
        array.reshape(-1, array.shape[-1])[:1], (rows, array.shape[-1]))


def _scan(values, threshold):
    """``(c, S)`` masks of a chunk of saves ``(c, T, S)`` (the start first): where a state fell below the normal
    range (or to 0 after being nonzero) and was later at or above ``threshold``; and the index of that regrowth."""
    size = np.abs(values)
    nonzero = size > 0
    had = np.zeros_like(nonzero)
    had[:, 1:] = np.logical_or.accumulate(nonzero, axis=1)[:, :-1]
    fell = (nonzero & (size < FLOAT32_TINY)) | ((size == 0) & had)
    fell_before = np.zeros_like(fell)
    fell_before[:, 1:] = np.logical_or.accumulate(fell, axis=1)[:, :-1]
    regrew = (size >= threshold) & fell_before  # NaN (a failed trajectory's saves) never counts
    return regrew.any(axis=1), regrew.argmax(axis=1)


def saved_dip(system, t0, t_eval, y0, y, params, threshold):
    """The first :class:`Dip` the saves ``y`` (``(n, T, S)``, after ``y0`` at ``t0``) show, counting the other
    trajectories that show one; None where none does.  A dip counts only where the state's own rate vanishes
    with it at the dip and at the regrowth (:func:`own_regrowth`)."""
    times = np.concatenate(([float(t0)], np.asarray(t_eval, np.float64)))
    first, found = None, set()
    for start in range(0, y.shape[0], _CHUNK):
        values = np.concatenate((y0[start:start + _CHUNK, None, :].astype(y.dtype), y[start:start + _CHUNK]), axis=1)
        hits, regrowth = _scan(values, threshold)
        for row, state in zip(*np.nonzero(hits)):
            i, j = start + int(row), int(regrowth[row, state])
            if i in found:  # one state a trajectory
                continue
            column = np.abs(values[row, :j, state].astype(np.float64))
            low = int(np.flatnonzero(column < FLOAT32_TINY)[np.argmin(column[column < FLOAT32_TINY])])
            points = ((times[low], values[row, low]), (times[j], values[row, j]))
            group = [int(other) for other in np.flatnonzero(hits[row])]  # that dipped too: they may vanish together
            if not any(own_regrowth(system, params[i], states, points) for states in ([state], group)[:len(group)]):
                continue
            if first is None:
                first = Dip(i, int(state), float(column[low]), float(times[low]), float(values[row, j, state]),
                            float(times[j]), followed=False)
            found.add(i)
    return None if first is None else dataclasses.replace(first, more=len(found) - 1)


def own_regrowth(system, p, state, points):
    """Whether ``rhs`` leaves ``state``'s rate at exactly 0 with that state set to 0 at each ``(t, y)`` of
    ``points``: its regrowth then comes from its own (rounded) value, not from an inflow, which float32 gets right.
    ``state`` may be a list of states that vanish together (an SEIR model's E and I feed each other: neither's rate
    vanishes alone, both do together).  A rhs that fails or is not finite there says no."""
    p, states = np.asarray(p, np.float64), np.atleast_1d(np.asarray(state, np.intp))
    with np.errstate(all="ignore"):
        for t, y in points:
            y = np.array(y, np.float64)
            y[states] = 0.0
            try:
                rates = np.asarray(system.evaluate_rhs(float(t), y, p), np.float64)[states]
            except Exception:  # noqa: BLE001 - the user's rhs failing on the host: no verdict
                return False
            if np.any(rates != 0):
                return False
    return True


def _to_follow(status, y0, saved):
    """Up to :data:`FOLLOWED` trajectories that succeeded to follow on the host: the first, and the one whose
    saved states fall furthest below their largest magnitude (the start's included)."""
    from .status import SUCCESS

    done = np.flatnonzero(np.asarray(status) == SUCCESS)
    if done.size == 0:
        return []
    picked = [int(done[0])]
    if saved is not None and done.size > 1:
        picked.append(int(done[np.argmin([_least_ratio(y0[i], saved[i]) for i in done[:_CHUNK]])]))
    return list(dict.fromkeys(picked))[:FOLLOWED]


def _least_ratio(start, saves):
    """The least saved nonzero magnitude of a state over its largest (start included), over the states."""
    size = np.abs(np.vstack((np.asarray(start, np.float64), saves.astype(np.float64))))
    largest = size.max(axis=0)
    least = np.where(size > 0, size, np.inf).min(axis=0)
    with np.errstate(all="ignore"):
        ratio = np.where(largest > 0, least / largest, np.inf)
    return float(np.nanmin(ratio)) if ratio.size else np.inf


def followed_dip(system, y0, p, t0, t_end, threshold, trajectory=0):
    """The :class:`Dip` of one trajectory followed on the host in float64 (SciPy's LSODA at :data:`FOLLOW_RTOL`,
    :data:`FOLLOW_ATOL`, at most :data:`FOLLOW_EVALUATIONS` right-hand sides), or None: it looks only at the
    states whose rate is exactly 0 at the start when they are set to 0 (nothing is followed where none is)."""
    from scipy.integrate import LSODA

    y0, p = np.asarray(y0, np.float64), np.asarray(p, np.float64)
    states = [s for s in range(y0.size) if y0[s] != 0 and own_regrowth(system, p, s, ((t0, y0),))]
    if not states:
        return None
    f, calls = system.host_rhs(p), [0]

    def counted(t, y):
        calls[0] += 1
        if calls[0] > FOLLOW_EVALUATIONS:
            raise _Budget
        return f(t, y)

    tracker = _Tracker(system, p, states, y0, threshold, trajectory)
    with np.errstate(all="ignore"):
        try:
            solver = LSODA(counted, float(t0), y0, float(t_end), rtol=FOLLOW_RTOL, atol=FOLLOW_ATOL)
            while solver.status == "running":
                solver.step()
                if solver.status == "failed":
                    return None
                dip = tracker.add(float(solver.t), np.array(solver.y))
                if dip is not None:
                    return dip
        except Exception:  # noqa: BLE001 - the budget, or the user's rhs failing on the host: no verdict
            return None
    return None


class _Tracker:
    """Follows the watched states along a host path: where each fell below float32's normal range (its least
    value there) and whether it grew again, on the same side of 0, to its threshold by its own rate."""

    def __init__(self, system, p, states, y0, threshold, trajectory):
        self.system, self.p, self.states, self.threshold, self.trajectory = system, p, states, threshold, trajectory
        self.sign = np.sign(y0)
        self.least = {}  # state -> (magnitude, t, y) of its least value below the range so far

    def add(self, t, y):
        """Take the step point ``(t, y)``; the :class:`Dip` it completes, or None."""
        for s in self.states:
            size = abs(y[s])
            if np.sign(y[s]) != self.sign[s]:
                continue
            if size < FLOAT32_TINY:
                if s not in self.least or size < self.least[s][0]:
                    self.least[s] = (size, t, y.copy())
            elif s in self.least and size >= self.threshold[s]:
                size_low, t_low, y_low = self.least.pop(s)
                if own_regrowth(self.system, self.p, s, ((t_low, y_low), (t, y))):
                    return Dip(self.trajectory, s, float(size_low), float(t_low), float(y[s]), float(t), followed=True)
        return None


def _message(dip, system):
    """The warning's one sentence: what fell where, why the run is off, and the remedies."""
    from .named_states import state_label

    label = state_label(system, dip.state)
    if dip.followed:
        where = (f"fell to {dip.smallest:.2g} near t = {dip.t_smallest:.6g} on its path followed on the host in "
                 f"float64")
    else:
        where = f"was saved at {dip.smallest:.2g} at t = {dip.t_smallest:.6g}"
    more = f" (and in {dip.more} more trajectories)" if dip.more else ""
    return (f"precision=np.float32: state {label} of trajectory {dip.trajectory}{more} {where}, below float32's "
            f"smallest normal value (1.2e-38: subnormals keep few digits, and below 1.4e-45 a value is 0), and grew "
            f"back from there (past {dip.regrown:.3g} by t = {dip.t_regrown:.6g}), so the float32 run's regrowth "
            f"started from a rounded value and can end many tolerances off with status success (a "
            f"Rosenzweig-MacArthur prey at 4.5e-56: 1.2e32 tolerances); use precision=np.float64 with an atol below "
            f"the smallest value the state reaches, or solve for log-transformed states (y = log N, which float32 "
            f"holds at any size).")
