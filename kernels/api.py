"""Host API: ``solve_ivp`` for a batch of trajectories, ``plan_for`` and ``integrator_for``; the result object,
:class:`kernels.IVPResult`, is :mod:`kernels.ivp_result`'s."""

from __future__ import annotations

import dataclasses

import numpy as np

from . import validation as check
from .compile_cache import as_compile_cache
from .diffeq_names import refuse_diffeq_keywords, span_keywords_refused
from .errors import ConfigurationError, PatternMissError, PlanMismatchError, said_once
from .events import as_events
from .integrator import DEFAULT_MAX_STEPS, Integrator
from .integrator_checks import keywords_checked, not_a_system
from .planning import REPLAN
from .solvers.options import as_solver_options
from .solvers.sparsity import jacobian_pattern

__all__ = ["solve_ivp", "plan_for", "DEFAULT_MAX_STEPS", "integrator_for"]


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


@span_keywords_refused  # diffrax's t0=, t1=: the span is t_span=(t0, t1)
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

    integrator, shown = integrator_with(solver), set()
    try:
        with said_once(shown):
            return run(integrator)
    except PatternMissError as miss:
        # The probed sparse pattern misses couplings at this problem's own magnitudes: widen it there, once (and
        # leave unsaid the warnings the first attempt's checks gave before the pattern's: shown twice otherwise)
        pattern = jacobian_pattern(integrator.system, points=miss.points)
        try:
            with said_once(shown, repeat=True):
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
