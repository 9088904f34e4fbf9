"""The stiffness note: a trajectory that an explicit adaptive method finished, in many steps, on a stiff problem.

An explicit method on a stiff problem does not fail: its step size controller holds the step at the method's stable
step, and the run succeeds after many times the steps an implicit method takes (a user's trial: tsit5 finished a
stiff pharmacokinetic patient over 12 h in 34300 steps, where an implicit method takes about 100, and the message said
nothing).  The MAX_STEPS hint (:mod:`kernels.stiffness`) speaks only when such a run stops.  This note speaks for a
run that succeeded with at least :data:`NOTE_MIN_STEPS` accepted steps, by the same firm test: the trajectory,
followed on the host by SciPy's Radau, looks stiff at a state of its path (:func:`kernels.stiffness.looks_stiff`)
and the explicit method's stable step needs at least :data:`kernels.stiffness.IMPLICIT_ADVANTAGE` times the steps
Radau took there (:func:`kernels.stiffness.implicit_advantage`).  Where the path cannot be followed (over
:data:`NOTE_FOLLOW_STATES` states, drivers, an rhs that fails on the host, or over 64 states a Jacobian more than
half full: :func:`note_sparsity`) it says nothing: a hedged guess on a run that succeeded is noise.

It follows up to :data:`NOTE_FOLLOW_STATES` states, twice the other host hints' 64
(:data:`kernels.stiffness.HOST_FOLLOW_STATES`): method-of-lines grids are mostly over 64 points.  Above 64 it takes
the Jacobian's pattern (:func:`kernels.solvers.sparsity.jacobian_pattern`, probed at random points and at the
trajectory's ``y0``) and gives it to SciPy's Radau, which then differences groups of columns (a reaction-diffusion
grid of 128 points: 0.63 s dense, 0.18 s with the pattern; at 256 and 512 the dense follow ran out of its 3000
right-hand sides); a Jacobian more than :data:`NOTE_SHARE` full (:func:`_sampled_share`) is not followed there, as
each state judged costs a right-hand side per column group (a dense-coupled rhs: 23 s at 64 states, 175 s at 128).  The
note's cost, measured on the development machine (2 cores, one BLAS thread, 2026-12-07): the heat equation 0.56 s
at 128 states, 0.95 s at 256 (1.9 s with two BLAS threads), 0.5 s at 512 (power iteration above 256 states);
reaction-diffusion 0.65, 1.7 and 1.2 s."""

from __future__ import annotations

import dataclasses

import numpy as np

from .discontinuity import success_domain_probe
from .growth_note import growth_probe
from .result_notes import host_array, steps_taken
from .rhs_hint import failure_probe
from .status import SUCCESS
from .host_follow import HOST_FOLLOW_STATES, follows_on_host
from .stiffness import (IMPLICIT_ADVANTAGE, IMPLICIT_ADVICE, StiffnessProbe, implicit_advantage, looks_stiff,
                        states_to_probe)

__all__ = ["NOTE_MIN_STEPS", "NOTE", "NOTE_FOLLOW_STATES", "NOTE_SHARE", "SuccessStiffnessProbe", "NotedProbe", "with_stiffness_note",
           "with_domain_note", "probes_with_note", "stiffness_note", "note_sparsity"]

#: The largest system the note follows on the host: the largest whose note on a banded rhs stayed under about 1 s
#: (0.56 s for the heat equation at 128 states, up to 1.9 s at 256; the module's docstring).
NOTE_FOLLOW_STATES = 128
_DENSE = "dense"  # note_sparsity's answer for a pattern more than half full
_SAMPLED_COLUMNS = 8  # columns of J that _sampled_share differences
#: The largest share of J's entries a system over 64 states may fill for the note to follow it: each state judged
#: costs a right-hand side per column group, and a rhs whose every component reads 40 % of the states took the note
#: 8 s at 65 states and 51 s at 128 (a regression hunt; 50 % was the bound before); banded grids fill 2 to 5 %.
NOTE_SHARE = 0.1

#: Accepted steps from which a successful explicit run is judged.  The firm test asks for 10 times the steps of an
#: implicit method, which takes some 10 to 100 on a stiff span (Van der Pol with mu = 1000 over t = 3: SciPy's Radau
#: 10, tsit5 2567; y' = -1000 y beside y' = -y to t = 10: 32 and 2870): below 1000 a switch saves a few hundred steps
#: a trajectory, less than the host check costs (up to 3000 right-hand sides and 400 Jacobians).  Hodgkin-Huxley over
#: 200 ms takes tsit5 1483 steps and is judged, and is not stiff by the test (0.76).
NOTE_MIN_STEPS = 1000
NOTE = (" The problem looks stiff along its path: this explicit method's stable step needs about {advantage:.0f} times "
        "the steps an implicit method takes over it (SciPy's Radau, on the host), so try " + IMPLICIT_ADVICE + ".")


@dataclasses.dataclass(frozen=True)
class SuccessStiffnessProbe(StiffnessProbe):
    """A :class:`kernels.stiffness.StiffnessProbe` that explains SUCCESS: its hint is :data:`NOTE` where the
    trajectory's host path passes the firm test, else '' (never hedged)."""

    # notes already worked out, by trajectory: each follows the path on the host (0.1 to 1 s), once
    found: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @property
    def status(self) -> int:
        """The status code this probe explains: SUCCESS."""
        return SUCCESS

    def hint(self, trajectory, t_saved=None, y_saved=None) -> str:
        """The note for ``trajectory``, or '' (never raises): a run that succeeded is told nothing else here (what
        the host meets on its path, an unassigned output, is a failure's cause, not this note's)."""
        if trajectory not in self.found:
            try:
                self.found[trajectory] = self._hint(trajectory, t_saved, y_saved)
            except Exception:  # noqa: BLE001 - a message must never fail: no note
                self.found[trajectory] = ""
        return self.found[trajectory]

    def _along_path(self, p, candidates):
        """``(followed, states)`` as :meth:`kernels.stiffness.StiffnessProbe._along_path` gives them, up to
        :data:`NOTE_FOLLOW_STATES` states, with the pattern of :func:`note_sparsity` for SciPy's Radau; ``((), [])``
        where that pattern is more than half full."""
        sparsity = note_sparsity(self.system, self.t0, candidates[0][2], p)
        if sparsity is _DENSE:
            return (), []
        return super()._along_path(p, candidates, NOTE_FOLLOW_STATES, sparsity)

    def _hint(self, trajectory, t_saved=None, y_saved=None) -> str:
        """:data:`NOTE` with the implicit advantage along the host path from the trajectory's ``y0``, where a state
        there (or the initial or last saved one) looks stiff and the advantage is at least
        :data:`~kernels.stiffness.IMPLICIT_ADVANTAGE`; '' without a path."""
        p, candidates = states_to_probe(self, trajectory, t_saved, y_saved)
        followed, states = self._along_path(p, candidates)
        if not followed or len(followed[0]) < 2:
            return ""
        span = self.t_end - self.t0
        # max_steps 0: the run had steps enough; the ratio and the steps stability needs (at least 100) still count
        if all(looks_stiff(self.system, t, y, p, span, 0) is None for t, y in states):
            return ""
        advantage, _ = implicit_advantage(self.system, followed, p, self._path_points())
        return NOTE.format(advantage=advantage) if advantage >= IMPLICIT_ADVANTAGE else ""


@dataclasses.dataclass(frozen=True)
class NotedProbe:
    """The solve's failure probes (``rest``, or None) with a :class:`SuccessStiffnessProbe` beside them (``note``,
    or None), a :class:`kernels.discontinuity.SuccessDomainProbe` (``domain``, or None) and a
    :class:`kernels.growth_note.GrowthProbe` (``growth``, or None).

    ``explains`` and ``hint`` are ``rest``'s alone, so what a failed trajectory is told, and what a pickled result
    keeps of it (:func:`kernels.rhs_hint.resolve_hints`, the first 16 trajectories it explains), do not change;
    :meth:`success_note` is what :func:`stiffness_note` asks, ``domain`` what
    :func:`kernels.discontinuity.rejected_success_note` asks."""

    rest: object
    note: SuccessStiffnessProbe = None
    domain: object = None
    growth: object = None

    def explains(self, code) -> bool:
        """Whether ``rest`` has something to say about a trajectory of status ``code``."""
        return self.rest is not None and self.rest.explains(code)

    def hint(self, trajectory, t_saved=None, y_saved=None) -> str:
        """``rest``'s hint for ``trajectory``."""
        return self.rest.hint(trajectory, t_saved, y_saved) if self.rest is not None else ""

    def success_note(self, trajectory, t_saved=None, y_saved=None) -> str:
        """:data:`NOTE` for a successful ``trajectory`` whose host path is stiff by the firm test, else ''."""
        return self.note.hint(trajectory, t_saved, y_saved) if self.note is not None else ""


def with_stiffness_note(probe, system, method, adaptive, status, steps, y0, params, t0, t_end, max_steps):
    """``probe`` (the solve's failure probes, or None) in a :class:`NotedProbe` where an explicit adaptive ``method``
    left a trajectory with status SUCCESS after at least :data:`NOTE_MIN_STEPS` accepted ``steps`` and ``system`` can
    be followed on the host; else ``probe`` itself (nothing copied, no probe made for a batch of short runs)."""
    if not (method.explicit and adaptive) or status is None or steps is None or not follows_on_host(
            system, NOTE_FOLLOW_STATES):
        return probe
    long_runs = (np.asarray(status) == SUCCESS) & (np.asarray(steps) >= NOTE_MIN_STEPS)
    if not np.any(long_runs):
        return probe
    note = SuccessStiffnessProbe(system, np.array(y0, np.float64), np.array(params, np.float64), t0, t_end, max_steps)
    return NotedProbe(probe, note)


def probes_with_note(system, method, adaptive, dtype, status, y0, params, t0, t_end, max_steps, dt, rejected=None,
                     tolerances=None, steps=None, events=None, given_y0=None):
    """:func:`kernels.rhs_hint.failure_probe`'s probes for a solve (its arguments), with the stiffness note beside
    them where a long explicit run succeeded (:func:`with_stiffness_note`; ``steps``: the accepted steps, by
    trajectory, or None), the domain probe where a run succeeded with many steps rejected
    (:func:`with_domain_note`) and the growth probe where an adaptive implicit run succeeded
    (:func:`kernels.growth_note.growth_probe`: references to the inputs only); ``events``: the solve's events (the
    failure probes' host follow ends at a terminal one); ``given_y0``: y0 as the user gave it (the failure
    probes tell a state that ``dtype`` rounded onto a removable singularity)."""
    probe = failure_probe(system, method, adaptive, dtype, status, y0, params, t0, t_end, max_steps, dt, rejected,
                          tolerances, events, given_y0)
    probe = with_stiffness_note(probe, system, method, adaptive, status, steps, y0, params, t0, t_end, max_steps)
    probe = with_domain_note(probe, system, status, rejected, y0, params, t0, t_end)
    return _noted(probe, growth=growth_probe(system, method, adaptive, status, y0, params, t0, t_end))


def with_domain_note(probe, system, status, rejected, y0, params, t0, t_end):
    """``probe`` in a :class:`NotedProbe` whose ``domain`` is a :class:`kernels.discontinuity.SuccessDomainProbe`
    where a trajectory succeeded with at least a fifth of its attempts rejected (``rejected``:
    :func:`kernels.rhs_hint.mostly_rejected`'s mask); else ``probe`` itself."""
    return _noted(probe, domain=success_domain_probe(system, status, rejected, y0, params, t0, t_end))


def _noted(probe, **field):
    """``probe`` in a :class:`NotedProbe` with ``field`` (one success probe, by its field's name) set, or ``probe``
    itself where that probe is None."""
    value, = field.values()
    if value is None:
        return probe
    if isinstance(probe, NotedProbe):
        return dataclasses.replace(probe, **field)
    return NotedProbe(probe, **field)


def note_sparsity(system, t0, y0, p):
    """The pattern of ``system``'s Jacobian as SciPy's ``jac_sparsity`` (a sparse matrix) for a system of more than
    :data:`kernels.stiffness.HOST_FOLLOW_STATES` states without ``jac``, probed at random points and at ``(t0, y0,
    p)``; None at or below that size or with ``jac`` (Radau takes it dense); ``"dense"`` where the pattern fills more
    than :data:`NOTE_SHARE` of ``J`` or cannot be probed: the note does not follow such a system (each state it judges would cost
    ``n`` right-hand sides of ``n^2`` terms: 175 s at 128 states)."""
    if system.n_states <= HOST_FOLLOW_STATES or system.jac is not None:
        return None
    from scipy.sparse import csc_matrix

    from .errors import ConfigurationError
    from .solvers.sparsity import DENSE_SHARE, jacobian_pattern

    n = system.n_states
    try:
        if _sampled_share(system, t0, y0, p) > NOTE_SHARE:
            return _DENSE
        pattern = jacobian_pattern(system, dense_share=DENSE_SHARE, points=[(t0, y0, p)])
    except (ConfigurationError, ValueError, ArithmeticError):  # the rhs fails on the host: nothing to follow
        return _DENSE
    if len(pattern) > NOTE_SHARE * n * n:
        return _DENSE
    rows, columns = zip(*pattern)
    return csc_matrix((np.ones(len(pattern)), (rows, columns)), shape=(n, n))


def _sampled_share(system, t0, y0, p, columns=_SAMPLED_COLUMNS):
    """The share of rows that change when ``columns`` states spread over ``y0`` are moved one at a time: how full
    the Jacobian is, for ``columns + 1`` right-hand sides.  :func:`jacobian_pattern` stops only past half full, after
    ``n / 2`` of them (13 s at 512 states of a dense-coupled rhs, to learn that it is not followed)."""
    y0, p = np.asarray(y0, np.float64), np.asarray(p, np.float64)
    with np.errstate(all="ignore"):
        f0 = system.evaluate_rhs(t0, y0, p)
        changed = 0
        picked = np.unique(np.linspace(0, y0.size - 1, columns).round().astype(int))
        for j in picked:
            moved = y0.copy()
            moved[j] += 1e-3 * max(1.0, abs(y0[j]))
            changed += int(np.count_nonzero(system.evaluate_rhs(t0, moved, p) != f0))
    return changed / (picked.size * y0.size)


def stiffness_note(result, trajectory):
    """`` It took N accepted steps (R rejected).`` and :data:`NOTE` for a trajectory of ``result`` that succeeded
    with at least :data:`NOTE_MIN_STEPS` steps on a problem stiff along its path, else ''.  The step count is read
    first: below it (and for any other status) nothing is followed on the host."""
    success_note = getattr(result.stiffness_probe, "success_note", None)
    if success_note is None or result.n_steps is None or int(host_array(result.status)[trajectory]) != SUCCESS:
        return ""
    if int(host_array(result.n_steps)[trajectory]) < NOTE_MIN_STEPS:
        return ""
    saved = result.y[trajectory] if isinstance(result.y, np.ndarray) else None
    note = success_note(trajectory, result.t, saved)
    return steps_taken(result, trajectory) + note if note else ""
