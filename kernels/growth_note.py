"""The growth note: a trajectory that an adaptive implicit method finished in steps too long for a mode growing at
its initial state, which such a step damps instead of following.

A chemical engineer's trial: radau and rodas5p (float64, at rtol 1e-4 with atol 1e-10 and at the defaults) ended a
9-state H2/O2 ignition at T0 = 1000 K in 1 to 3 steps at the start temperature with status SUCCESS, where the
reference ignites at 187 us.  The Jacobian at ``y0`` has a mode growing at lambda+ = 8.64e4 /s, and the runs' mean
step was 86 to 173 e-folds of it: an L-stable step that long damps the growth (its stability function tends to 0
for a large ``h * lambda`` of either sign), the radicals that carry it sit below ``atol``, and the error estimate
sees nothing.  With ``dt=1e-8`` the same runs followed the ignition at 1.3 to 1.9 e-folds a step.

The test, for a trajectory whose last saved state is still close to ``y0`` (:data:`QUIET_SHARE`; one that moved
is not judged and costs nothing): the largest real part of the eigenvalues of the Jacobian at ``(t0, y0)`` (host,
float64; :func:`kernels.stiffness.largest_growth`) times the trajectory's mean accepted step up to its last save
exceeds :data:`GROWTH_EFOLDS`, ``f(t0, y0)`` is not exactly 0 (an exact equilibrium seeds no growth: a sweep's row
with no infected), and the rate at the last saved state passes too: the growth never happened.  Only modes with a
seed count at the start (:func:`seeded_growth`): an SIRS row with no infected and waning immunity has ``f(y0) != 0``,
but its growing mode lives on ``I``, which is 0 with ``dI/dt = 0`` there and stays 0 (a regression hunt).
Logistic growth followed to its capacity ends where the mode decays (radau, rodas5p and kvaerno5 were told
otherwise by a first version: a review), and a trajectory with no saved state gets no note.  Where the trajectory's
params row is negative in a column that every other row of the batch has at 0 or above, the note names that entry
first (:mod:`kernels.param_sign`: a rate given negative in one row of a sweep is what grows).
Stiff problems that are not growing stay far below it (the prototype's measures, radau and rodas5p at rtol 1e-6:
Robertson, Van der Pol with mu = 1000 from (2, 0), HIRES, the Oregonator, an 8-state Brusselator and a decaying
linear system, all at most 0.16 e-folds a step).

Only references to the solve's host inputs are kept (:func:`growth_probe`); the Jacobian is evaluated when
:meth:`kernels.IVPResult.message` asks, once per trajectory.  The probe rides on
:class:`kernels.stiffness_note.NotedProbe` (``growth``), which a pickled result drops as it drops the other success
notes (the system's functions need not pickle).  A solve names such trajectories at once, in one warning
(:mod:`kernels.growth_warning`: a sweep of thousands is read by its statuses, not its messages).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .batch_inputs import row_index
from .param_sign import growth_columns, lone_negative_note
from .result_notes import host_array
from .status import SUCCESS
from .host_follow import follows_on_host
from .stiffness import host_jacobian, largest_growth, states_to_probe

__all__ = ["GROWTH_EFOLDS", "QUIET_SHARE", "SEED_SHARE", "GROWTH_NOTE", "GrowthProbe", "growth_probe", "growth_note",
           "seeded_growth"]

#: E-folds of the initial state's fastest growing mode per mean accepted step above which a successful implicit
#: run is told it may have stepped over the growth.  e^20 (about 5e8) is beyond anything a tolerance can follow
#: within one step, and a run that follows a growth averages under 2 (the ignition at dt=1e-8: 1.3 to 1.9); the
#: stiff tests that do not grow stay under 0.2, and the stepped-over ignition was at 86 to 173.
GROWTH_EFOLDS = 20.0

#: Fraction of the e-folding time a first step should stay under to resolve the growth from its start.
FIRST_STEP_EFOLDS = 0.1

#: How little the last saved state may have moved from ``y0`` (each component, against the largest ``|y0|``) for the
#: note to be considered: a growth stepped over leaves the state where it was (the ignition's temperature moved by
#: under 1e-3 of itself), and one followed does not, so a state that moved is not judged (nor costs a Jacobian).
QUIET_SHARE = 1e-2

#: A mode is unseeded where its left eigenvector's weight (what measures its amplitude) outside the unseeded
#: components is at most this share of its largest: round-off of the eigenvector solve, not a coupling.
SEED_SHARE = 1e-8

GROWTH_NOTE = (" The initial state has a mode growing at rate {rate:.3g} per unit of t (e-folding time {fold:.3g}), "
               "and the state at the last save is still close to it; the {steps} averaged {step:.3g} in t "
               "({efolds:.3g} e-folds each). An implicit step that long can damp such growth instead of following "
               "it, so an ignition or runaway can be stepped over with success reported: if growth is expected, give "
               "controller='pi' with a first step dt below about {dt:.1e} (and/or dt_max), and compare with a run "
               "at a tighter atol.")


def seeded_growth(system, t, y, p, backwards=False) -> float:
    """:func:`kernels.stiffness.largest_growth` at ``(t, y)`` over the modes that have a seed (host, float64; -inf
    where none grows or has one).  A component that is 0 in ``y`` with ``f`` 0 there too is unseeded, and a mode whose
    left eigenvector lies on unseeded components only (:data:`SEED_SHARE`) has amplitude 0 that nothing drives (``J``
    carries no first-order coupling into it), as ``I`` of an SIRS row with no infected: it stays 0 in the true
    solution, so a step over it steps over nothing.  With no unseeded component, ``largest_growth`` itself."""
    from scipy.linalg import eig

    y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
    f = np.asarray(system.evaluate_rhs(float(t), y, p), np.float64)
    unseeded = (y == 0.0) & (f == 0.0)
    if not np.any(unseeded):
        return largest_growth(system, float(t), y, p, backwards=backwards)
    lam, left = eig(host_jacobian(system, float(t), y, p), left=True, right=False)
    weight = np.abs(left)
    seeded = np.max(weight[~unseeded], axis=0, initial=0.0) > SEED_SHARE * np.max(weight, axis=0)
    return float(np.max((-1.0 if backwards else 1.0) * lam.real[seeded], initial=-np.inf))


@dataclasses.dataclass(frozen=True)
class GrowthProbe:
    """The solve's host ``system`` and inputs (``y0`` and ``params`` rows, references, not copies; a one-row array is
    shared by every trajectory), ``t0`` and ``t_end``, for :func:`growth_note`."""

    system: object
    y0: np.ndarray
    params: np.ndarray
    t0: float
    t_end: float
    # growth rates at the start already worked out, by (y0 row, params row) (NaN where the host cannot evaluate them)
    rates: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
    # column_ranges of y0 and params, kept by kernels.outlier_inputs (a batch read once a result)
    input_ranges: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def _rows(self, trajectory):
        """Indices of ``trajectory``'s ``y0`` and ``params`` rows (a one-row array is every trajectory's): the key
        of :attr:`rates`."""
        return row_index(self.y0, trajectory), row_index(self.params, trajectory)

    def rate(self, trajectory, t=None, y=None) -> float:
        """The largest real part of the eigenvalues of the Jacobian at ``(t0, y0[trajectory])`` over the modes with
        a seed there (:func:`seeded_growth`), or of all at ``(t, y)`` with the trajectory's parameters, in the
        direction of integration (per unit time, > 0 for a growing mode; :func:`kernels.stiffness.largest_growth`);
        NaN where it cannot be evaluated (never raises).  The start's is kept, by its rows."""
        p, candidates = states_to_probe(self, trajectory)
        if y is None:
            rows = self._rows(trajectory)
            if rows not in self.rates:
                self.rates[rows] = self._safe_rate(*candidates[0][1:], p, seeded_growth)
            return self.rates[rows]
        return self._safe_rate(t, y, p)

    def _safe_rate(self, t, y, p, growth=largest_growth) -> float:
        try:
            return growth(self.system, float(t), np.array(y, np.float64), np.asarray(p, np.float64),
                          backwards=self.t_end < self.t0)
        except Exception:  # noqa: BLE001 - a message must never fail: no note
            return float("nan")

    def _at_rest(self, trajectory) -> bool:
        """Whether ``f(t0, y0)`` is exactly 0: an equilibrium that nothing seeds the growth from (a sweep's row with
        no infected or no autocatalyst: told it had stepped over a growth that cannot start, a regression hunt);
        True where the host cannot evaluate it (no note)."""
        p, ((_, t, y),) = states_to_probe(self, trajectory)
        try:
            f = self.system.evaluate_rhs(float(t), np.array(y, np.float64), np.asarray(p, np.float64))
            return not np.any(np.asarray(f) != 0.0)
        except Exception:  # noqa: BLE001 - a message must never fail: no note
            return True

    def stepped_over(self, trajectory, steps, last=None):
        """``(rate, mean step)`` where the note's test holds for ``trajectory`` (:meth:`note` says which), else None:
        shared by the note and the solve's warning (:mod:`kernels.growth_warning`), so that both judge alike."""
        if steps < 1 or last is None:
            return None
        t_last, y_last = last
        step = abs(float(t_last) - float(self.t0)) / steps
        y0 = np.asarray(self.y0[self._rows(trajectory)[0]], np.float64)
        y_last = np.asarray(y_last, np.float64)
        if not step > 0 or not np.all(np.abs(y_last - y0) <= QUIET_SHARE * np.max(np.abs(y0))):
            return None
        rate = self.rate(trajectory)
        if not (np.isfinite(rate) and rate > 0 and rate * step > GROWTH_EFOLDS) or self._at_rest(trajectory):
            return None
        if not self.rate(trajectory, t_last, y_last) * step > GROWTH_EFOLDS:  # (NaN: no note)
            return None
        return rate, step

    def note(self, trajectory, steps, last=None) -> str:
        """:data:`GROWTH_NOTE` where the last saved state ``last`` (``(t, y)``; None: no note) is still close to
        ``y0`` (:data:`QUIET_SHARE`), the ``steps`` accepted steps up to it average more than :data:`GROWTH_EFOLDS`
        e-folds of a mode growing at ``y0`` and at ``last``, and ``y0`` is no exact equilibrium; else ''.  The span
        is to the last save, where the loop stops unless events or per-run summaries take it on to ``t_end``
        (then the mean step is underrated: no false note; a run saved over its first 10 of 1000 was told 29
        e-folds a step where it took 0.29, a regression hunt)."""
        found = self.stepped_over(trajectory, steps, last)
        if found is None:
            return ""
        rate, step = found
        counted = f"{steps} accepted step" + ("s" if steps != 1 else "")
        # a sweep's row with a rate given negative (the others >= 0) is told so first (a chemist's trial)
        params_row = self._rows(trajectory)[1]
        _, ((_, t0, y0_probe),) = states_to_probe(self, trajectory)
        grows = growth_columns(self.system, self.params, params_row, t0, y0_probe, rate, self.t_end < self.t0)
        sign = lone_negative_note(self.system, self.params, params_row, grows)
        return sign + GROWTH_NOTE.format(rate=rate, fold=1.0 / rate, steps=counted, step=step, efolds=rate * step,
                                         dt=FIRST_STEP_EFOLDS / rate)


def growth_probe(system, method, adaptive, status, y0, params, t0, t_end):
    """A :class:`GrowthProbe` where an adaptive implicit ``method`` left a trajectory with status SUCCESS and the
    host can evaluate ``system`` (:func:`kernels.stiffness.follows_on_host`: no drivers, at most 64 states), else
    None.  Nothing is evaluated or copied here (``y0`` and ``params`` are the solve's host arrays)."""
    if method.explicit or not adaptive or status is None or y0 is None or not follows_on_host(system):
        return None
    if not np.any(np.asarray(status) == SUCCESS):
        return None
    return GrowthProbe(system, np.asarray(y0), np.asarray(params), float(t0), float(t_end))


def _last_saved(result, trajectory):
    """``(t, y)`` of ``trajectory``'s last saved state, or None where the run saved none."""
    y = result.y
    if y is None or result.t is None or np.ndim(y) != 3 or not np.shape(y)[1]:
        return None
    return float(np.asarray(result.t).reshape(-1)[-1]), host_array(y[trajectory, -1])


def growth_note(result, trajectory) -> str:
    """:data:`GROWTH_NOTE` for a successful ``trajectory`` of ``result`` whose mean accepted step spans more than
    :data:`GROWTH_EFOLDS` e-folds of a mode growing at its initial state, else '' (never raises)."""
    probe = getattr(result.stiffness_probe, "growth", None)
    if probe is None or result.n_steps is None:
        return ""
    try:
        if int(host_array(result.status)[trajectory]) != SUCCESS:
            return ""
        return probe.note(trajectory, int(host_array(result.n_steps)[trajectory]), _last_saved(result, trajectory))
    except Exception:  # noqa: BLE001 - a message must never fail: no note
        return ""
