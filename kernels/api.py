"""Host API: ``solve_ivp`` for a batch of trajectories, ``plan_for``, and the result object."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from . import validation as check
from .compile_cache import as_compile_cache
from .diffeq_names import refuse_diffeq_keywords
from .errors import ConfigurationError, PatternMissError, PlanMismatchError, describe
from .event_notes import event_note
from .events import as_events
from .integrator import DEFAULT_MAX_STEPS, Integrator
from .integrator_checks import keywords_checked, not_a_system
from .loop_work import EVENT_COLUMN
from .planning import REPLAN
from .rhs_hint import resolve_hints
from .solvers.options import as_solver_options
from .solvers.sparsity import jacobian_pattern
from .result_notes import (host_array, krylov_rejected_note, max_steps_note, reached_note, rejected_note,
                           sign_first, unstable_step_note)
from .status import EVENT, MAX_STEPS, SINGULAR_MATRIX, STEP_SIZE_UNDERFLOW, SUCCESS, Status
from .discontinuity import rejected_success_note
from .growth_note import growth_note
from .invariant_report import invariant_note
from .pivot_check import pivot_note
from .status_messages import (DIFFRAX_RESULT_NAMES, FLOAT32_RANGE_NOTE, SCIPY_RESULT_NAMES, lead_with_cause,
                              quiet_host_probes)
from .stiffness import HEDGED_MARK, STIFF_MARK
from .stiffness_note import stiffness_note
from .unbounded_growth import unbounded_note
from .sign_slip_success import sign_slip_first

__all__ = ["solve_ivp", "plan_for", "IVPResult", "DEFAULT_MAX_STEPS", "integrator_for"]


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
        """SciPy's and diffrax's result names, which a ported script reaches for, point to this result's own."""
        for library, names in (("SciPy", SCIPY_RESULT_NAMES), ("diffrax", DIFFRAX_RESULT_NAMES)):
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
        return text + event_note(self, trajectory)  # which terminal event stopped it, or which one started on 0


IVPResult.__hash__ = None  # arrays inside: the hash the frozen dataclass made raised on them, as a mutable's does


def integrator_for(system, method="tsit5", controller=None, precision=np.float32, solver=None, *, summaries=None,
                   events=None, save_trajectory=True, max_registers="auto", compile_cache="default") -> Integrator:
    """The Integrator ``solve_ivp`` uses for these settings, kept with the system.

    The system object owns the cache (one Integrator per method, controller
    and precision), so repeated ``solve_ivp`` calls on one system plan and
    compile once, and dropping the system drops its kernels.
    """
    from .systems import ODESystem

    if not isinstance(system, ODESystem):
        raise ConfigurationError(not_a_system(system))
    extras = dict(summaries=summaries, events=events, save_trajectory=save_trajectory, max_registers=max_registers,
                  compile_cache=compile_cache)
    # as Events: a function's SciPy attributes (g.terminal set after a solve) are part of the key (a regression hunt)
    events_key = as_events(events)
    key = (method.lower() if isinstance(method, str) else method, controller, check.as_precision(precision),
           as_solver_options(solver), summaries, events_key, save_trajectory, max_registers,
           as_compile_cache(compile_cache))
    cache = system.__dict__.setdefault("_integrators", {})
    try:
        found = cache.get(key)
    except TypeError:  # an unhashable argument: let Integrator say what is wrong with it
        return Integrator(system, method, controller, precision, solver, **extras)
    if found is None:
        found = cache[key] = Integrator(system, method, controller, precision, solver, **extras)
    return found


@keywords_checked("kernels.plan_for", lambda: (("kernels.solve_ivp", solve_ivp),
                                                ("kernels.Integrator(...)", Integrator.__init__)))
def plan_for(system, method="tsit5", precision=np.float32, block_size=128, plan="auto", controller=None,
             device=None, solver=None, *, summaries=None, events=None, save_trajectory=True, max_registers="auto"):
    """Plan the buffers of ``solve_ivp(system, method=..., precision=...)`` without solving.

    ``device`` is a planner device preset name or model; by default the GPU in
    use (the h200 preset on the simulator).  ``summaries`` and ``events`` add
    their buffers: pass the same ones as to ``solve_ivp``; ``max_registers`` too
    (``"auto"`` plans for the register cap the kernel will be built with).

    Returns
    -------
    planner.Plan
        Pass it as ``solve_ivp(..., plan=this)``; ``plan`` takes the same choices as there.
    """
    block_size = check.check_int(block_size, "block_size", 1)
    return integrator_for(system, method, controller, precision, solver, summaries=summaries, events=events,
                          save_trajectory=save_trajectory, max_registers=max_registers).plan(plan, block_size, device)


def solve_ivp(system, t_span, y0, params=None, method="tsit5", dt=None, rtol=None, atol=None, t_eval=None,
              drivers=None, precision=np.float32, plan="auto", block_size=None, max_steps=DEFAULT_MAX_STEPS,
              controller=None, dt_min=0.0, dt_max=np.inf, *, solver=None, out=None, progress=None, _canary_elems=0,
              client=None, summaries=None, events=None, save_trajectory=True, max_registers="auto",
              compile_cache="default", **scale_out):
    """Integrate a batch of initial value problems, one trajectory per GPU thread.

    Parameters
    ----------
    system : ODESystem
    t_span : (float, float)
        ``(t0, t_end)`` with ``t_end > t0``.
    y0 : array_like (N, n_states) or (n_states,)
        Initial states; a 1-D state is broadcast to every trajectory.
    params : array_like (N, n_params) or (n_params,), optional
        Parameters; default the system's ``default_params``.
    method : str
        One of ``kernels.METHOD_NAMES``, case-insensitive.  Explicit: euler, heun,
        rk4 (fixed step only), bs3, dopri5, tsit5, dop853, vern7, vern9 (adaptive
        or fixed).  Implicit, for stiff problems: backward_euler and gauss4 (fixed
        step only), trapezoid, sdirk2, kvaerno3, sdirk4, kvaerno5, radau, ros3p,
        rodas4, rodas5p (the README says which to take).
    dt : float, optional
        The step of fixed-step integration (required there, at most ``t_end - t0``);
        the first step of adaptive integration (chosen automatically when None; a
        longer one is cut to the span).
    rtol, atol : float or array_like (n_states,), optional
        Tolerances of the error norm ``err / (atol + rtol * max(|y|, |y_new|))``;
        when not given, ``rtol`` is 1e-5 in float32 (what its rounding keeps over a
        run) and 1e-6 in float64, ``atol`` 1e-6 (a fixed-step explicit run warns
        about either given).
        Tolerances the precision cannot meet (``atol + rtol |y0|`` below
        ``|y0| eps / 16``) are refused: use float64 for tighter ones.
    t_eval : array_like, optional
        Increasing save times inside ``t_span``, hit exactly; default ``[t_end]``.
    drivers : (times, values), optional
        Forcing samples for systems with ``n_drivers > 0``, interpolated linearly.
    precision : np.float32 (default) or np.float64
        Precision of states and buffers (time is always float64).
    plan : str, planner.Plan or dict
        ``"auto"`` (CP-SAT), ``"local"``, ``"shared"``, ``"cpsat"``, ``"greedy"``,
        ``"sequential"``, or a Plan from :func:`plan_for` / ``Integrator.plan``, or its
        JSON dict (``plan.to_json()``); a saved plan file is read with ``planner.load_plan(path)``.
    block_size : int, optional
        Threads per block (default 128 on a GPU, 1 on the simulator; a Plan object brings its own).
    max_steps : int
        Attempted steps (accepted + rejected) per trajectory before MAX_STEPS (also for a fixed-step
        span that needs more steps, however many more).
    controller : str or ControllerSettings, optional
        ``"fixed"``, ``"i"``, ``"pi"``, ``"pid"``; default ``"pi"`` for adaptive
        methods and ``"fixed"`` otherwise.
    dt_min, dt_max : float
        Bounds of adaptive steps; a rejection at ``dt_min`` is a step-size underflow.
    solver : str, dict or SolverOptions, optional
        Newton and linear solver of an implicit method: ``"lu"`` (default, dense),
        ``"gmres"`` or ``"bicgstab"`` (matrix-free), or :class:`kernels.SolverOptions` fields.
    out : IVPResult, optional
        An earlier result on device arrays of the same shapes, written again (no allocation).
    progress : bool or None
        True: a progress line on stderr (the batch runs as a series of launches over ranges of
        trajectories); False: none, one launch; None (default): a line on the simulator once a
        run has taken a few seconds, nothing on a GPU.
    summaries : kernels.Summaries, optional
        Running statistics (mean, min, max, rms, argmax, final) of chosen states and
        observables over the run or per save window, computed in the loop:
        ``result.summaries[stat]`` (N, n_windows, n_quantities).  See :mod:`kernels.summaries`.
    events : kernels.Event, function g(t, y, p), or a sequence of them, optional
        Zero crossings of ``g`` detected after each step: counted (``result.event_count``)
        or, for a terminal event, located and the trajectory stopped there
        (``result.event_t``, ``result.event_y``, status EVENT).  A plain function's SciPy
        attributes ``g.terminal`` and ``g.direction`` are honoured.  With events (and with
        ``per="run"`` summaries) the run covers ``t_span`` whatever ``t_eval``, as SciPy's does;
        the saves stay at ``t_eval``.  See :mod:`kernels.events`.
    save_trajectory : bool
        False: ``y`` and ``observables`` are not stored (None in the result): summaries only.
    max_registers : "auto", None or int
        Registers a thread the kernel is built with: ``"auto"`` caps at 128 implicit steps
        with an LU solver from 96 states and explicit steps from 128 (faster there,
        :mod:`kernels.register_cap`), None never caps, an integer from 16 to 255 caps there.
        Results are the same.
    compile_cache : "default", None, a folder path or kernels.CompileCache
        Where compiled kernels' NVVM, linker and ptxas results are kept, so a kernel compiled
        before (in this process or another) builds again in a fraction of the time; ``"default"``
        is ``$BUFFERPLAN_COMPILE_CACHE`` (``off`` disables it) or ``~/.cache/bufferplan/kernels``,
        None (or ``"off"``, as in the variable) disables it.  See :class:`kernels.CompileCache`.
    client : dask.distributed.Client, optional
        Spread the batch over the client's (GPU) workers in chunks and gather one result;
        ``scale_out`` takes the options of :func:`kernels.distributed.solve` (``chunk_size``,
        ``chunks_per_worker``, ``gather``, ``retries``); ``progress=True`` draws a bar over
        the chunks.

    Returns
    -------
    IVPResult
        Device arrays inside where ``y0`` was a device array (nothing is copied back).

    ``_canary_elems`` (testing only) allocates that many extra shared elements
    past the block's regions, fills them and the stride padding with a canary,
    and records in ``IVPResult.canary_intact`` whether they survived.

    Raises
    ------
    ConfigurationError
        Any invalid argument; the message names it, the expectation and the value.
    PlanMismatchError
        A Plan object that was made for other buffers.
    """
    refuse_diffeq_keywords(scale_out)  # DiffEq's adaptive=, callback=, saveat= ...: what to pass here

    def integrator_with(solver):
        return integrator_for(system, method, controller, precision, solver, summaries=summaries, events=events,
                              save_trajectory=save_trajectory, max_registers=max_registers,
                              compile_cache=compile_cache)

    def run(integrator):
        return integrator.solve(t_span, y0, params, dt=dt, rtol=rtol, atol=atol, t_eval=t_eval, drivers=drivers,
                                plan=plan, block_size=block_size, max_steps=max_steps, dt_min=dt_min,
                                dt_max=dt_max, out=out, progress=progress, _canary_elems=_canary_elems,
                                client=client, **scale_out)

    integrator = integrator_with(solver)
    try:
        return run(integrator)
    except PatternMissError as miss:
        # The probed sparse pattern misses couplings at this problem's own magnitudes: widen it there, once.
        pattern = jacobian_pattern(integrator.system, points=miss.points)
        try:
            return run(integrator_with(dataclasses.replace(integrator.solver, pattern=pattern)))
        except PlanMismatchError as exc:
            if not isinstance(plan, str):  # a Plan made for the probed pattern's factor, which has grown
                raise PlanMismatchError(
                    f"{str(exc).removesuffix(REPLAN)}. The sparse LU's Jacobian pattern was widened for this "
                    "problem's states (the probed one missed entries that are nonzero there), so a Plan made with "
                    "the default solver no longer fits: make it with solver={'pattern': "
                    "kernels.solvers.jacobian_pattern(system, points=[(t0, y0[i], params[i])])}, or pass "
                    "plan='auto'") from None
            raise
