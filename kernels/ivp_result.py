"""The result of a batch integration: :class:`IVPResult`, its arrays, counts and per-trajectory messages.

``solve_ivp`` (:mod:`kernels.api`), the integrator and the distributed map all return one; what it says about a
trajectory (the status message with its notes and hints) is composed here, on the host, when asked for, so the
result object lives apart from the calls that make it.
"""
from __future__ import annotations

import copy
import dataclasses

import numpy as np

from .errors import describe
from .event_notes import FAR_SIDE_MARK, event_note
from .loop_work import EVENT_COLUMN
from .rhs_hint import resolve_hints
from .result_notes import (host_array, krylov_rejected_note, max_steps_note, reached_note, rejected_note,
                           sign_first, unstable_step_note)
from .status import EVENT, MAX_STEPS, SINGULAR_MATRIX, STEP_SIZE_UNDERFLOW, SUCCESS, Status
from .discontinuity import rejected_success_note
from .growth_note import growth_note
from .invariant_report import invariant_note
from .pivot_check import pivot_note
from .status_messages import (DIFFEQ_RESULT_NAMES, DIFFRAX_RESULT_NAMES, FLOAT32_RANGE_NOTE, SCIPY_RESULT_NAMES,
                              lead_with_cause, quiet_host_probes)
from .stiffness import HEDGED_MARK, STIFF_MARK
from .stiffness_note import stiffness_note
from .unbounded_growth import unbounded_note
from .sign_slip_success import sign_slip_first

__all__ = ["IVPResult"]


def _on_host(value):
    """``value``, a device array copied to the host."""
    return value.copy_to_host() if not isinstance(value, np.ndarray) and hasattr(value, "copy_to_host") else value


def _same_field(a, b):
    a, b = _on_host(a), _on_host(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc" and b.dtype.kind in "fc"))
    return bool(a == b)


@dataclasses.dataclass(frozen=True)
class IVPResult:
    """The result of a batch integration (immutable; pickles, device arrays as host arrays).

    Attributes
    ----------
    t : ndarray (n_save,)
        Save times (float64).
    y : array (N, n_save, n_states)
        Saved states; NaN after a trajectory stopped early.  A device array
        when the inputs were device arrays.
    observables : array (N, n_save, n_observables)
    status : array (N,) int32
        Status codes (:class:`kernels.Status`); 0 is success.
    status_messages : dict
        Status code -> message.
    n_steps, n_rejected : array (N,) int32
        Accepted and rejected steps per trajectory.
    plan : planner.Plan
        The memory plan the kernel was built from.
    method, backend : str
    canary_intact : bool or None
        Whether the shared-memory canaries survived (None unless asked for).
    stiffness_probe : kernels.stiffness.StiffnessProbe, kernels.jacobian_hint.JacobianProbe or None
        Set when an explicit method left a trajectory at MAX_STEPS (adaptive) or
        with a non-finite state (fixed step; host inputs): :meth:`message` then
        says whether it looks stiff.  For an implicit method, set when a trajectory
        ended with SINGULAR_MATRIX or NEWTON_NOT_CONVERGED: :meth:`message` then says
        whether the Jacobian is inf or NaN at its initial or last saved state.
        A pickled result keeps the hints of its first 16 such trajectories as text (the probe holds the system).
        Also set where an explicit adaptive method finished a trajectory after at least 1000 accepted steps:
        :meth:`message` then says whether the problem is stiff along its path (:mod:`kernels.stiffness_note`;
        a pickled result drops that note).
    summary_array : array (N, n_windows, n_stats * n_quantities) or None
        The running summaries as the kernel wrote them; read them through :attr:`summaries`.
    summary_stats : tuple of str
        The statistics of ``summary_array``, in its order.
    event_t : array (N,) float64 or None
        Time of the terminal event that stopped each trajectory; NaN when none did.
    event_y : array (N, n_states) or None
        The state there (NaN when none).
    counts : array (N, 4 + n_events) int32 or None
        ``n_rhs``, ``n_jac``, ``n_lu``, ``n_newton`` then ``event_count`` as the kernel wrote them
        (:mod:`kernels.loop_work`).
    t_start : float or None
        The span's ``t0``, from which the kernel counts ``argmax`` times (:attr:`summaries` adds it back).
    linear : str or None
        An implicit method's linear solver (``"lu"``, ``"gmres"``, ...; None for explicit methods): a Krylov
        run with many rejected steps is told where to look (:func:`kernels.result_notes.krylov_rejected_note`).
    event_start : kernels.event_notes.EventStart or None
        A run with events: their labels and, for the host check of ``g`` at ``t0``, their functions and the inputs
        (references): :meth:`message` names the terminal event that stopped a trajectory, and one that did not fire
        because its ``g`` started on 0 (:func:`kernels.event_notes.event_note`).
    unstable_step : kernels.step_stability.UnstableStep or None
        Set where the solve found its explicit method's fixed ``dt`` beyond the stable step at a trajectory's
        initial state (the call's StabilityWarning): the messages of the trajectories it concerns say so
        (:func:`kernels.result_notes.unstable_step_note`).
    invariant_drift : kernels.invariant_drift.InvariantDrift or None
        Set where the system has linear invariants (``c . f = 0``) and the run was judged: each trajectory's drift of
        them in tolerances; the messages of those beyond ``DRIFT_TOLERANCES`` say so (:mod:`kernels.invariant_drift`).

    ``y`` and ``observables`` are None when the solve had ``save_trajectory=False``.
    """

    t: np.ndarray
    y: object
    observables: object
    status: object
    status_messages: dict
    n_steps: object
    n_rejected: object
    plan: object
    method: str
    backend: str
    canary_intact: bool | None = None
    summary_array: object = None
    summary_stats: tuple = ()
    event_t: object = None
    event_y: object = None
    counts: object = None
    stiffness_probe: object = dataclasses.field(default=None, repr=False, compare=False)
    t_start: float | None = None
    linear: str | None = None
    unstable_step: object = dataclasses.field(default=None, repr=False, compare=False)
    event_start: object = dataclasses.field(default=None, repr=False, compare=False)
    invariant_drift: object = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def summaries(self) -> dict:
        """``{stat: array (N, n_windows, n_quantities)}``: the states' columns, then the observables'.

        Views of ``summary_array`` (copied to the host first when it is a device array); empty
        without summaries.  ``argmax`` is ``t_start`` plus the offset the kernel kept, in float64.
        """
        if self.summary_array is None:
            return {}
        data = host_array(self.summary_array)
        n, windows, width = data.shape
        stacked = data.reshape(n, windows, len(self.summary_stats), width // len(self.summary_stats))
        out = {stat: stacked[:, :, k, :] for k, stat in enumerate(self.summary_stats)}
        if "argmax" in out and self.t_start is not None:
            out["argmax"] = self.t_start + out["argmax"].astype(np.float64)
        return out

    @property
    def n_rhs(self):
        """Right-hand-side evaluations per trajectory (N,) int32, SciPy's ``nfev``; -1 where not counted.

        Counts the step's stages (less a first-same-as-last reuse), the first-step choice,
        FSAL priming (once, and after each rejection) and event location (two per located
        step).  An implicit method counts only with ``solver=SolverOptions(count_work=True)``
        (or ``solver={"count_work": True}``): then also every Newton iteration's (one per stage,
        ``s`` for a FIRK step) and those of finite-difference Jacobians, rejected and failed steps
        included, except with a matrix-free solver whose products difference the right-hand side
        (their number varies; give ``jvp``).
        """
        return self._work(0)

    @property
    def n_jac(self):
        """Jacobians taken per trajectory (N,) int32, SciPy's ``njev``: one per iteration matrix (DIRK and
        Rosenbrock: every step; FIRK: when a kept factor cannot serve); 0 for explicit methods, -1 for an
        implicit one without ``SolverOptions(count_work=True)``."""
        return self._work(1)

    @property
    def n_lu(self):
        """LU factorisations per trajectory (N,) int32, SciPy's ``nlu`` (radau: two a Jacobian, its real and
        complex blocks; none with a matrix-free solver); 0 for explicit methods, -1 when not counted."""
        return self._work(2)

    @property
    def n_newton(self):
        """Newton iterations per trajectory (N,) int32, failed solves included (Rosenbrock methods: 0, one linear
        solve a stage and no iteration); 0 for explicit methods, -1 when not counted."""
        return self._work(3)

    def _work(self, column):
        return None if self.counts is None else host_array(self.counts)[:, column]

    @property
    def event_count(self):
        """Crossings of each event per trajectory, (N, n_events) int32 (a terminal one: 1 when it stopped)."""
        return None if self.counts is None else host_array(self.counts)[:, EVENT_COLUMN:]

    def __repr__(self):
        """One line (the Plan alone printed 5 KB): shape, method, backend, status counts, the plan's summary."""
        status = self._host_status()
        codes, counts = np.unique(status, return_counts=True)
        tally = ", ".join(f"{Status(int(c)).name if int(c) in set(Status) else int(c)}: {int(k)}"
                          for c, k in zip(codes, counts))
        shape = tuple(self.y.shape) if self.y is not None else (status.shape[0],)
        plan = self.plan.summary() if hasattr(self.plan, "summary") else describe(self.plan)
        return (f"IVPResult(y {'shape' if self.y is not None else 'not saved, N'} {shape}, method={self.method!r}, "
                f"backend={self.backend!r}, success={self.success}, status {{{tally}}}, plan: {plan})")

    def __getattr__(self, name):
        """SciPy's, diffrax's and DifferentialEquations.jl's result names, which a ported script reaches for, point to
        this result's own."""
        for library, names in (("SciPy", SCIPY_RESULT_NAMES), ("diffrax", DIFFRAX_RESULT_NAMES),
                               ("DifferentialEquations.jl", DIFFEQ_RESULT_NAMES)):
            if name in names:
                raise AttributeError(f"IVPResult has no {name!r} ({library}'s name): {names[name]}")
        raise AttributeError(f"'IVPResult' object has no attribute {name!r}")

    def __getstate__(self):
        """The probe holds the system, whose functions need not pickle: its hints go as text (the first 16).  Device
        arrays go as host arrays (the simulator's unpickled in another process recursed without end)."""
        state = {name: _on_host(value) for name, value in self.__dict__.items()}
        if self.stiffness_probe is not None:  # (hints already resolved, by an earlier pickle, travel as they are)
            state["stiffness_probe"] = resolve_hints(self.stiffness_probe, self._host_status(), self.t, self.y)
        return state

    def __eq__(self, other):
        """Whether ``other`` is a result with equal fields: arrays by :func:`numpy.array_equal` (NaN equal to NaN in
        float ones: a trajectory stopped early), the rest by ``==`` (the dataclass's own raised NumPy's "truth
        value of an array ... is ambiguous")."""
        if not isinstance(other, IVPResult):
            return NotImplemented
        return all(_same_field(getattr(self, field.name), getattr(other, field.name))
                   for field in dataclasses.fields(self) if field.compare)

    def __deepcopy__(self, memo):
        """A copy with its own arrays that keeps the failure probe (shared: it only reads), so its messages stay."""
        return dataclasses.replace(self, **{field.name: copy.deepcopy(getattr(self, field.name), memo)
                                            for field in dataclasses.fields(self)
                                            if field.init and field.name != "stiffness_probe"})

    def _host_status(self):
        return host_array(self.status)

    @property
    def success(self) -> bool:
        """True when every trajectory reached the end or stopped at a terminal event (as SciPy's ``success``)."""
        status = self._host_status()
        return bool(np.all((status == 0) | (status == EVENT)))

    def message(self, trajectory: int = None) -> str:
        """The status message of one trajectory (of the only one when ``trajectory`` is left out).

        A trajectory that an explicit method left at MAX_STEPS (adaptive) or
        with a non-finite state (fixed step) gets a hint naming implicit
        methods when it looks stiff at its initial or last saved state
        (:mod:`kernels.stiffness`; host inputs only).  One that an implicit
        method left with SINGULAR_MATRIX or NEWTON_NOT_CONVERGED gets the first
        inf or NaN entry of its Jacobian there, if any (:mod:`kernels.jacobian_hint`).
        One that ended with a non-finite state, a failed Newton iteration, a singular matrix or an
        underflowing step (or at MAX_STEPS with at least a fifth of its attempts rejected) gets the time
        and state where its ``rhs`` stops being finite
        along its path, when SciPy's Radau, following it on the host, meets such a
        point (:mod:`kernels.rhs_hint`; up to 64 states, no drivers).  One that an explicit
        adaptive method finished after at least 1000 accepted steps on a problem stiff along
        its path, by the MAX_STEPS hint's test, is told so and which implicit methods to try
        (:mod:`kernels.stiffness_note`; worked out here, not in the solve).  One that succeeded with at least a
        quarter of 100 or more attempted steps rejected is told so, and why where a state overshooting 0 makes its
        rhs non-finite (:func:`kernels.discontinuity.rejected_success_note`).  One that succeeded at a fixed
        ``dt`` found beyond its explicit method's stable step is told so (``unstable_step``), and one an implicit
        method finished in steps far longer than a mode growing at its start, still growing at its end, that it may
        have stepped over the growth (:func:`kernels.growth_note.growth_note`).  Where a hint names
        the cause (a non-finite rhs on the path, a non-finite Jacobian entry, a state just below 0, a jump), a failed
        trajectory's message opens with it in one sentence (:func:`kernels.status_messages.lead_with_cause`); else a
        singular matrix's note on the LU's pivots is judged at its last saved state (:mod:`kernels.pivot_check`).
        """
        status = self._host_status()
        n = status.shape[0]
        if trajectory is None:
            if n == 1:
                return self.message(0)
            raise TypeError(f"message(trajectory): one message per trajectory (N = {n}); give an index, e.g. "
                            "message(0) (SciPy's sol.message is one string: here status holds every trajectory's "
                            "code and success says whether all succeeded)")
        if isinstance(trajectory, (bool, np.bool_)) or not isinstance(trajectory, (int, np.integer)):
            raise TypeError(f"message(trajectory): trajectory must be an integer index in 0..{n - 1} (N = {n}); "
                            f"got {describe(trajectory)}")
        if not -n <= trajectory < n:
            raise IndexError(f"message(trajectory): trajectory {int(trajectory)} is out of range: this result has "
                             f"N = {n} trajectories, indices 0..{n - 1} (or -{n}..-1 from the end)")
        trajectory = int(trajectory) % n  # the probes index their rows from 0 (-1 had no hint)
        with quiet_host_probes():  # the probes evaluate the user's rhs where it fails: no NumPy warnings from it
            return self._composed(int(status[trajectory]), trajectory)

    def _composed(self, code, trajectory):
        """The message of ``trajectory``, of status ``code``, with the notes and hints :meth:`message` lists."""
        hint = ""
        if getattr(self.stiffness_probe, "explains", None) is not None and self.stiffness_probe.explains(code):
            saved = self.y[trajectory] if isinstance(self.y, np.ndarray) else None
            hint = self.stiffness_probe.hint(trajectory, self.t, saved)
        # a named cause replaces the float32 note: with it a parameter's fault was blamed on rounding (a
        # statistician's trial), though a cause the host's float64 path meets can be float32's too (a chemist's)
        # a hedged stiffness hint keeps the advice to raise max_steps; a firm one says the steps taken (a
        # neuroscientist's trial: "looks stiff" alone, where raising max_steps was the fix)
        text = self.status_messages[code] + ((rejected_note(self, trajectory) if not hint else "")
                                             + max_steps_note(self, trajectory, advise=not hint or HEDGED_MARK in hint,
                                                              steps=STIFF_MARK in hint)
                                             if code == MAX_STEPS else "")
        if code == STEP_SIZE_UNDERFLOW:
            text += reached_note(self, trajectory, where=True)
        if code in (SUCCESS, MAX_STEPS):
            text += krylov_rejected_note(self, trajectory)
        if code == SUCCESS:  # (a user's trial: tsit5 took 34300 steps on a stiff patient, where radau takes ~100)
            text += sign_slip_first(self, trajectory, (  # a lone negative entry it grew from opens the notes
                unbounded_note(self, trajectory) + stiffness_note(self, trajectory)
                + rejected_success_note(self, trajectory) + unstable_step_note(self, trajectory)
                + growth_note(self, trajectory)))
        # the cause is named: float32's range is not it, nor (a non-finite Jacobian) the LU's pivots (a neuroscientist's
        # trial: a 0 / 0 rate at y0 was first told to try solver='dense'), and it comes first; else the pivots' note is
        # judged on the host (a singular matrix in fact was told solver='dense' solves it: another's)
        text = pivot_note(self, trajectory, text, hint) if code == SINGULAR_MATRIX else text
        if hint:
            text = lead_with_cause(code, text.replace(FLOAT32_RANGE_NOTE, "") + hint, hint)
        text = sign_first(self, trajectory, code, text, hint)  # a lone negative parameter opens a failure's message
        text += invariant_note(self, trajectory)  # rounding moved a linear invariant (judged: SUCCESS, EVENT rows)
        note = event_note(self, trajectory)  # which terminal event stopped it, or which one started on 0
        if code not in (SUCCESS, EVENT) and FAR_SIDE_MARK in note:  # a terminal event that could not fire: the cause
            return note.lstrip() + " " + text  # likely (a threshold given direction -1 let a neuron blow up: a trial)
        return text + note


IVPResult.__hash__ = None  # arrays inside: the hash the frozen dataclass made raised on them, as a mutable's does
