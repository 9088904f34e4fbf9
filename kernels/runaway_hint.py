"""The runaway hint: a trajectory out of steps, or whose implicit solver failed, where its initial state has a mode
growing so fast that the exact solution leaves any number's range within the span.

An epidemiologist's draw with a recovery rate of -60 instead of 1/6 (a sign slip among thousands of draws) grows as
``e^(60 t)`` over 120 days: tsit5 ran out of steps and was told the problem looked stiff (the stiffness test took the
growing mode for a fast one), rodas5p was told to raise ``max_steps``, or, given them, that a Jacobian entry was not
finite near a ``sqrt`` or ``log`` at 0, with the state at 1e282 (a user's trial).  Where the largest real part of the
eigenvalues of the Jacobian at ``(t0, y0)`` (host, float64; :func:`kernels.stiffness.largest_growth`) times the span
is more than :data:`OVERFLOW_EFOLDS`, and SciPy's Radau followed from ``y0`` on the host takes the state past
:data:`RUNAWAY_GROWTH` times its start with the mode still growing at half its rate or more there (a growth that
saturates, Van der Pol with mu = 1000 from near its unstable origin, is no runaway: it was told so, where its
stiffness is the cause; nor is logistic growth to a capacity 1e9 times its start), the message says the solution
grows without bound from its start and asks for the signs and units of the rates, before any other hint
(:func:`kernels.rhs_hint.failure_probe`), opening with the parameter where the trajectory's params row is negative in
a column every other row of the batch has at 0 or above (:mod:`kernels.param_sign`).

A trajectory that ended with a non-finite state is judged too, by the overflow it met rather than by float64's
range (:func:`unbounded_hint`): a PID loop with its integral gain past the stability limit (rate 1.18, 472 e-folds
over its span) ended float32 tsit5 non-finite and was told to rescale constants that multiply out of range, float64
tsit5 and dop853 on a linear cart-pole with sign-flipped gains (rate 18) were told only that the state became
non-finite, and float32 rodas5p (a singular matrix) to solve in float64, which then "succeeded" at -2.6e204 (a control
engineer's trial).  Where its start grows (:func:`kernels.stiffness.largest_growth` > 0) by more e-folds over the span
than take a state of its start's size past the square root of the working precision's largest value (where a product
of two states overflows: :func:`overflow_efolds`), and the host follow keeps growing at about that rate past
:data:`RUNAWAY_GROWTH` times the start (:func:`grows_steadily`), the message says the solution grows without bound,
that float64 only postpones the overflow, and to check the gains or signs.  A finite-time singularity (``-2 k y^2``
from ``y < 0``) is no such growth: its rate rises with the state (past :data:`RATE_SPREAD` times the start's), or
SciPy's Radau fails at it, and the non-finite rhs hint tells it.  A float32 run whose implicit solver failed is judged
the same way where the float64 test above does not speak (its range is float32's).  The working precision is read
from the saved states' dtype (float64 where none were saved).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .batch_inputs import row_index
from .param_sign import growth_columns, lone_negative_note
from .status import MAX_STEPS, NEWTON_NOT_CONVERGED, NONFINITE_STATE, SINGULAR_MATRIX
from .host_follow import follow_jac, follow_on_host, follows_on_host
from .stiffness import HostProbe, largest_growth, states_to_probe

__all__ = ["OVERFLOW_EFOLDS", "RUNAWAY_GROWTH", "RUNAWAY_HINT", "UNBOUNDED_HINT", "RATE_SPREAD", "RunawayProbe",
           "runaway_probe", "overflow_efolds", "grows_steadily", "unbounded_hint", "START_ROOM",
           "UNBOUNDED_GROWTH", "UNBOUNDED_END"]

#: E-folds over the span past which a mode growing at ``y0`` takes the exact solution out of float64's range
#: (e^709 is its largest number): no tolerance, step count or method can follow it there.
OVERFLOW_EFOLDS = 709.0
#: How far past its largest ``|y0|`` (or 1) the host follow must take the state to confirm a runaway, and the right-
#: hand sides it may spend getting there (the SEIR draw's follow, its Jacobian differenced, reached 1.3e11 in 3000).
RUNAWAY_GROWTH = 1e6
FOLLOW_EVALUATIONS = 3000

RUNAWAY_HINT = (" Its initial state has a mode growing at rate {rate:.3g} per unit of t (e-folding time {fold:.3g}): "
                "over the span of {span:.3g} that is {efolds:.3g} e-folds, past any number's range, so the solution "
                "grows without bound and the steps chase it. Check the signs and units of the rate parameters (a "
                "decay or recovery rate given negative, a rate per day given per year), or end the span before the "
                "growth takes it out of range.")

#: How far above the start's growth rate the host follow's last one may be for a growth that ends non-finite to be
#: told as unbounded growth: a linear system keeps its rate (1), a finite-time singularity's rises with the state
#: (``-2 k y^2``: by the factor the state grew, a millionfold at least).
RATE_SPREAD = 10.0
#: How far past its start (largest ``|y0|``, or 1 where that is smaller) a successful trajectory's final saved state
#: must be to be told it grew without bound: 1e100 is e^230, a range no physical model spans in one run (the
#: observable universe is about 1e61 Planck lengths across, a mole 6e23 particles), while growths that stay bounded
#: end far below it (logistic growth to a capacity 1e9 times its start, an ignition's radicals from 1e-30, a start of
#: 0 measured from 1).  float32 never reaches it (its largest number is 3.4e38: such a run ends non-finite, told by
#: :func:`kernels.runaway_hint.unbounded_hint`); float64 holds up to 1.8e308, so the trial's 2.6e204 ended "successful".
UNBOUNDED_GROWTH = 1e100
#: How far past its start (largest ``|y0|``, or 1) the growth must take a run that ended non-finite by the span's end,
#: followed in float64, for it to be told it grows without bound: 1e50, past what bounded models reach (a logistic
#: capacity of 1e30, still exponential at 1e26 when the span ends, overflowed float32's ``y * y`` and was told it
#: grew without bound and to check its gains: a regression hunt; that run keeps the precision's hints), below
#: unstable loops over ordinary spans (a PID loop growing at 1.18 over 100 time units: 1e51).
UNBOUNDED_END = 1e50
#: Where the unbounded follow stops, times the start's largest ``|y0|`` (or 1): growth no model means, as the solve's
#: warning on successes judges it, and well inside float64.
FOLLOW_CEILING = UNBOUNDED_GROWTH

UNBOUNDED_HINT = (" Its initial state has a mode growing at rate {rate:.3g} per unit of t (e-folding time {fold:.3g}), "
                  "and followed on the host in float64 the solution keeps growing at that pace (to {size:.3g} by t = "
                  "{t:.6g}): it grows without bound from its start, {efolds:.3g} e-folds over the span of {span:.3g}, "
                  "so the overflow is the growth's, not the precision's: {precision} Check the signs and sizes of the "
                  "gains or rate parameters (a feedback gain of the wrong sign, an integral gain past the stability "
                  "limit, a decay rate given negative), or end the span before the growth takes it out of range.")


@dataclasses.dataclass(frozen=True)
class RunawayProbe(HostProbe):
    """The solve's host ``system`` and inputs (``y0`` and ``params`` rows; a one-row array is every trajectory's),
    ``t0`` and ``t_end``: :data:`RUNAWAY_HINT` for a failed trajectory whose start grows past
    :data:`OVERFLOW_EFOLDS` e-folds over the span, :data:`UNBOUNDED_HINT` for one that overflowed from a start that
    grows without bound (:func:`unbounded_hint`)."""

    # an underflowing step is left to the host follow, which says where it blows up; a non-finite state (and, in
    # float32, a failed implicit solver) is judged by unbounded_hint, whose follow tells a finite-time singularity
    # (-2 k H^2 from H < 0) from a growing mode
    STATUSES = (MAX_STEPS, SINGULAR_MATRIX, NEWTON_NOT_CONVERGED, NONFINITE_STATE)

    system: object
    y0: np.ndarray
    params: np.ndarray
    t0: float
    t_end: float
    status: np.ndarray = None  # the solve's statuses, by trajectory (None: judged as MAX_STEPS)

    def _hint(self, trajectory, t_saved=None, y_saved=None) -> str:
        """:meth:`_overflow_hint` for a trajectory out of steps or whose implicit solver failed; for a non-finite
        state, or a float32 solver failure that hint leaves, :func:`unbounded_hint` (the precision read from the
        saved states' dtype, None where none were saved)."""
        code = MAX_STEPS if self.status is None else int(self.status[trajectory])
        precision = np.dtype(y_saved.dtype).name if hasattr(y_saved, "dtype") else None
        if code != NONFINITE_STATE:
            hint = self._overflow_hint(trajectory)
            if hint or precision != "float32" or code == MAX_STEPS:
                return hint
        return unbounded_hint(self, trajectory, precision)

    def _overflow_hint(self, trajectory) -> str:
        """:data:`RUNAWAY_HINT` where the start grows past :data:`OVERFLOW_EFOLDS` over the span and the host follow
        runs away (:meth:`_runs_away`), else ''."""
        p, candidates = states_to_probe(self, trajectory)
        _, t, y = candidates[0]
        span = abs(float(self.t_end) - float(self.t0))
        rate = largest_growth(self.system, t, y, p, backwards=self.t_end < self.t0)
        if not (np.isfinite(rate) and rate > 0.0 and rate * span > OVERFLOW_EFOLDS) or not self._runs_away(y, p, rate):
            return ""
        row = row_index(self.params, trajectory)  # a row negative where the batch's others are not: named first
        grows = growth_columns(self.system, self.params, row, t, y, rate, self.t_end < self.t0)
        return lone_negative_note(self.system, self.params, row, grows) + RUNAWAY_HINT.format(
            rate=rate, fold=1.0 / rate, span=span, efolds=rate * span)

    def _runs_away(self, y0, p, rate) -> bool:
        """Whether SciPy's Radau, followed from ``y0`` on the host, takes the state past :data:`RUNAWAY_GROWTH` times
        its start with its last state's growth still at least half of ``rate`` (not saturating), or out of range."""
        p = np.asarray(p, np.float64)
        jac = follow_jac(self.system, p)
        times, states, _ = follow_on_host(self.system.host_rhs(p), float(self.t0), float(self.t_end), y0,
                                          FOLLOW_EVALUATIONS, jac=jac, outcome=True)
        scale = max(float(np.max(np.abs(y0))), 1.0)
        with np.errstate(invalid="ignore"):
            sizes = np.max(np.abs(states), axis=1) if states.size else np.zeros(1)
        if not np.all(np.isfinite(sizes)):
            return True
        if not sizes[-1] > RUNAWAY_GROWTH * scale:
            return False
        last = largest_growth(self.system, float(times[-1]), states[-1], p, backwards=self.t_end < self.t0)
        return bool(last >= 0.5 * rate)


#: E-folds of room, at least, between a start and the square root of the precision's largest value for a growth to
#: be told unbounded: a start at or past it (2e33 g squared in float32) is the precision's range, not the growth.
START_ROOM = 1.0


def overflow_efolds(precision, scale) -> float:
    """E-folds that take a state of size ``scale`` (at least 1) past the square root of ``precision``'s largest value,
    where a product of two states overflows: the fewest a growth needs to end a run non-finite (float32 44, float64
    355, from a start of order 1)."""
    return 0.5 * float(np.log(np.finfo(precision).max)) - float(np.log(max(scale, 1.0)))


def grows_steadily(system, p, t0, t_end, y0, rate):
    """``(t, size)`` where SciPy's Radau, followed from ``(t0, y0)`` on the host, takes the state past
    :data:`RUNAWAY_GROWTH` times its start (largest ``|y0|``, or 1), growing at ``rate`` still (from half of it to
    :data:`RATE_SPREAD` times it) where it stops (the span's end, :data:`FOLLOW_CEILING` times the start, or
    :data:`FOLLOW_EVALUATIONS`), else None: a growth that saturates slows, a finite-time singularity speeds up without
    end or stops Radau, and a rhs not finite on the way is another cause (the non-finite rhs hint says which)."""
    p = np.asarray(p, np.float64)
    y0 = np.asarray(y0, np.float64)
    scale = max(float(np.max(np.abs(y0))), 1.0)
    f = system.host_rhs(p)

    def bounded(t, y):
        out = np.asarray(f(t, y), np.float64)
        if not np.all(np.isfinite(out)):
            raise _NotFinite
        if np.max(np.abs(y)) > FOLLOW_CEILING * scale:
            raise _Passed(float(t), np.array(y, np.float64))
        return out

    backwards = t_end < t0
    try:
        times, states, outcome = follow_on_host(bounded, float(t0), float(t_end), y0, FOLLOW_EVALUATIONS,
                                                jac=follow_jac(system, p),
                                                outcome=True)
        if outcome == "failed":
            return None
        t, y = float(times[-1]), states[-1]
    except _Passed as passed:
        t, y = passed.t, passed.y
    except _NotFinite:
        return None
    size = float(np.max(np.abs(y)))
    if not (np.isfinite(size) and size > RUNAWAY_GROWTH * scale):
        return None
    last = largest_growth(system, t, y, p, backwards=backwards)
    return (t, size) if 0.5 * rate <= last <= RATE_SPREAD * rate else None


class _Passed(Exception):
    """The unbounded follow passed :data:`FOLLOW_CEILING` times its start at ``(t, y)``."""

    def __init__(self, t, y):
        super().__init__()
        self.t, self.y = t, y


class _NotFinite(Exception):
    """The unbounded follow met a rhs that is not finite: another cause."""


def _precision_words(precision, end_efolds):
    """What :data:`UNBOUNDED_HINT` says of the precision: float64 postpones the overflow, and where a float32 run's
    growth to the span's end (``end_efolds``, the natural log of the size the host follow's growth reaches there)
    stays inside float64's range, that float64 would end finite and as wrong, with success."""
    if precision is None:
        return "a wider precision only postpones such an overflow (float64's largest number, 1.8e+308, is e^709)."
    if precision != "float32":
        return (f"{precision} is the widest precision, and it only postpones such an overflow (its largest number, "
                "1.8e+308, is e^709).")
    postpones = "in float32 it overflows past 3.4e+38 (e^88), and precision=np.float64 only postpones the overflow: "
    if end_efolds >= np.log(np.finfo(np.float64).max):
        return postpones + "its largest number, 1.8e+308, is e^709, which this span passes too."
    return (postpones + f"over this span float64 would end near {np.exp(end_efolds):.1e}, finite but just as "
            "unbounded, with status SUCCESS.")


def unbounded_hint(probe, trajectory, precision=None) -> str:
    """:data:`UNBOUNDED_HINT` for ``trajectory`` of ``probe`` (a :class:`RunawayProbe`), a run in ``precision`` (a
    dtype name; None: not known, judged as float64) that overflowed: where its start has a growing mode whose e-folds
    over the span pass :func:`overflow_efolds` and the host follow confirms it (:func:`grows_steadily`), opened with
    the params row's lone negative entry where it explains the growth (:mod:`kernels.param_sign`); else ''."""
    p, candidates = states_to_probe(probe, trajectory)
    _, t, y = candidates[0]
    span = abs(float(probe.t_end) - float(probe.t0))
    backwards = probe.t_end < probe.t0
    rate = largest_growth(probe.system, t, y, p, backwards=backwards)
    scale = max(float(np.max(np.abs(np.asarray(y, np.float64)))), 1.0)
    room = overflow_efolds(precision or "float64", scale)
    if not (np.isfinite(rate) and rate > 0.0 and room >= START_ROOM and rate * span > room):
        return ""
    if precision == "float32" and _float32_start_fault(probe.system, t, y, p):
        return ""
    grown = grows_steadily(probe.system, p, t, probe.t_end, y, rate)
    if grown is None:
        return ""
    end_efolds = np.log(grown[1]) + rate * abs(float(probe.t_end) - grown[0])
    if end_efolds < np.log(UNBOUNDED_END * scale):
        return ""  # ends inside what a model can mean (logistic growth to 1e30 in float32): the precision's hints
    row = row_index(probe.params, trajectory)
    grows = growth_columns(probe.system, probe.params, row, t, y, rate, backwards)
    return lone_negative_note(probe.system, probe.params, row, grows) + UNBOUNDED_HINT.format(
        rate=rate, fold=1.0 / rate, size=grown[1], t=grown[0], efolds=rate * span, span=span,
        precision=_precision_words(precision, end_efolds))


def _float32_start_fault(system, t, y, p) -> bool:
    """Whether ``system``'s rhs held in float32 is not finite at the start where float64's is: a constant or a start
    out of float32's range, which the float32 rhs hint names (``(1e20 * 1e20 / 1e40) * y`` was told it grew without
    bound, its run dead at step 0: a regression hunt)."""
    from .float32_rhs import float32_rhs_fault, held_rhs

    try:
        exact = system.host_rhs(np.asarray(p, np.float64))(float(t), np.asarray(y, np.float64))
        return float32_rhs_fault(system, held_rhs(system), t, y, p, exact) is not None
    except Exception:  # noqa: BLE001 - no verdict: judged by the growth alone
        return False


def runaway_probe(system, status, y0, params, t0, t_end):
    """A :class:`RunawayProbe` where a trajectory failed with a status it explains and the host can evaluate
    ``system`` (:func:`kernels.stiffness.follows_on_host`), else None (nothing is evaluated here)."""
    if status is None or not follows_on_host(system):
        return None
    if not np.any(np.isin(np.asarray(status), RunawayProbe.STATUSES)):
        return None
    return RunawayProbe(system, np.array(y0, np.float64), np.array(params, np.float64), float(t0), float(t_end),
                        np.array(status))
