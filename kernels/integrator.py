"""The public mid-level object: one (system, method, controller, precision) that plans, builds and solves.

An :class:`Integrator` plans once per (plan choice, block size, device,
pins), builds once per planned layout (its kernel cache is keyed on the
layout, not on how the plan was found), keeps the device copies of its small
constant arrays, and so costs microseconds of host time per repeated
:meth:`~Integrator.solve` on device arrays.  ``kernels.solve_ivp`` is a thin
wrapper over it.  Each Integrator owns its caches: two build side by side,
and a worker process holds its own.
"""

from __future__ import annotations

import collections
import dataclasses
import threading

import numpy as np

import planner
from planner import Plan

from . import time_checks, tolerances, validation as check
from .backend import backend, simulator_serialized
from .batch import build_batch_kernel
from .batch_inputs import batch_inputs
from .named_params import by_name, warn_read_by_position
from .compile_cache import as_compile_cache
from .compiler_loop import with_compiler
from .plan_layout import layout_digest
from .plan_decisions import decided
from .device import current_device_id, default_block_size, default_device
from .diffeq_names import span_keywords_refused
from .errors import ConfigurationError, describe
from .events import as_events, check_events_compile, check_events_unchanged, event_values
from .invariant_drift import solve_drift
from .invariant_report import warn_invariant_drift
from .input_precision import warn_rounded_times
from .input_resolution import InputRecord
from .integrator_checks import (adaptive_alike, check_sampling, controller_settings, fixed_step_remedy,
                                keywords_checked, method_argument, not_a_system, pins_argument, plan_choice,
                                probed_pattern, warn_blind_estimate, warn_differenced_products, warn_first_step_only)
from .integrator_probes import IntegratorProbes
from .launch import launch_batch, launch_constants
from .planning import check_choice, check_plan, loop_settings, memory_hint, plan_argument, solve_plan
from .register_cap import HARDWARE_LIMIT, register_cap
from .solvers.iteration_matrix import jacobian_source
from .solvers.options import as_solver_options
from .stiffness import IMPLICIT_METHODS
from .rhs_hint import mostly_rejected
from .solve_checks import check_host_inputs
from .growth_warning import warn_stepped_over_growth
from .unbounded_growth import warn_unbounded_growth
from .warning_registries import keeps_registries
from .sign_slip_success import warn_sign_slip_success
from .float32_rounding import warn_float32_rounding
from .stiff_steps import warn_stiff_steps
from .float32_underflow import warn_float32_underflow
from .atol_dip import warn_atol_dip
from .warning_origin import checking_results
from .summary_points import warn_few_summary_steps
from .system_checks import check_events_index
from .summaries import as_summaries

__all__ = ["Integrator", "DEFAULT_MAX_STEPS"]

DEFAULT_MAX_STEPS = 100_000
_CONSTANTS_KEPT = 32


class Integrator(IntegratorProbes):
    """Batch integration of one system with one method, controller and precision.

    Parameters
    ----------
    system : ODESystem
    method : str
        A name of ``kernels.METHOD_NAMES`` (case-insensitive).
    controller : str or ControllerSettings, optional
        ``"fixed"``, ``"i"``, ``"pi"``, ``"pid"``; default ``"pi"`` for adaptive
        methods and ``"fixed"`` otherwise.
    precision : np.float32 or np.float64
        Precision of states and buffers (time is always float64).
    solver : str, dict or SolverOptions, optional
        The Newton and linear solvers of an implicit method: ``"lu"``
        (default), ``"gmres"``, ``"bicgstab"``, or the fields of
        :class:`kernels.solvers.SolverOptions`; explicit methods ignore it (an :class:`UnusedOptionWarning` says so).
    summaries : kernels.Summaries, optional
        Running statistics computed in the loop (:mod:`kernels.summaries`).
    events : kernels.Event, function or sequence, optional
        Event functions ``g(t, y, p)`` (:mod:`kernels.events`).
    save_trajectory : bool
        False: no states or observables are stored (``result.y`` is None).
    max_registers : "auto", None or int
        Registers a thread the kernel is built with: ``"auto"`` caps at 128
        implicit steps with an LU solver from 96 states and explicit steps from
        128 (measured faster there, :mod:`kernels.register_cap`), None or 255
        never caps, an integer from 16 caps there.  Results do not change; speed does.
    compile_cache : "default", None, a folder path or kernels.CompileCache
        Where the slow stages of a compile (NVVM, the linker, ``ptxas -v``) keep their results, so the
        same kernel compiles again in a fraction of the time, in this process or the next
        (:mod:`kernels.compile_cache`).  ``"default"``: ``$BUFFERPLAN_COMPILE_CACHE`` if set (``off``
        disables it), else ``~/.cache/bufferplan/kernels``; None or ``"off"``: no cache.

    Examples
    --------
    >>> import numpy as np, kernels
    >>> integ = kernels.Integrator(kernels.lorenz(), "rk4", precision=np.float64)
    >>> plan = integ.plan("local", block_size=1)
    >>> res = integ.solve((0.0, 0.1), [1.0, 1.0, 1.0], dt=0.01, plan=plan)
    >>> res.y.shape, int(res.n_steps[0])
    ((1, 1, 3), 10)
    """

    @keywords_checked("kernels.Integrator(...)", lambda: _public_callables())
    def __init__(self, system, method="tsit5", controller=None, precision=np.float32, solver=None, *,
                 summaries=None, events=None, save_trajectory=True, max_registers="auto", compile_cache="default"):
        from .systems import ODESystem

        if not isinstance(system, ODESystem):
            raise ConfigurationError(not_a_system(system))
        self.system = system
        self.method = method_argument(method)
        self.controller = controller_settings(controller, self.method)
        self._controller_named = controller is not None  # dt given to a defaulted adaptive one: warned at solve
        self.dtype = check.as_precision(precision)
        self.solver = as_solver_options(solver)
        if self.method.explicit:
            check.warn_unused_solver(solver, self.method.name, ", ".join(IMPLICIT_METHODS))
        self.max_registers = self._register_cap(max_registers)
        self.compile_cache = as_compile_cache(compile_cache)
        if not isinstance(save_trajectory, (bool, np.bool_)):
            raise ConfigurationError(f"save_trajectory must be True or False; got {describe(save_trajectory)}")
        summaries, events = as_summaries(summaries, system), as_events(events)
        if summaries is not None and summaries.every > 1:
            check_sampling(summaries, self.method, self.controller, events)
        if not save_trajectory and summaries is None and not events:
            raise ConfigurationError("save_trajectory=False keeps nothing: ask for summaries= or events=, "
                                     "or keep save_trajectory=True")
        self.settings = dataclasses.replace(loop_settings(system, self.method, self.controller.adaptive, self.solver),
                                            summaries=summaries, events=events,
                                            save_trajectory=bool(save_trajectory))
        self._event_values = None  # what the event functions read, recorded at the first solve (check_unchanged)
        if not self.method.explicit:
            check.warn_unused_solver_options(self.solver, self.method.name, self.method.family)
        warn_differenced_products(self.method, self.solver, self.jacobian, system)
        warn_blind_estimate(self.method, self.controller.adaptive)
        blind = self.controller.adaptive and getattr(self.method.tableau, "estimate_blind_on_linear", False)
        self._blind_estimate = self.method.name if blind else None
        self._plans = {}
        self._kernels = {}
        self._hot = {}  # solve's (plan, block_size, device, canary, device id) -> (plan, built, plan argument)
        self._devices = {}
        self._tolerances = {}
        self._reachable = set()  # scalar (rtol, atol) found reachable for device y0
        self._warned_suspect = False  # the solve-time JacobianCheckWarning, said once an Integrator
        self._inputs_disagree = None  # "jac" or "jvp" where it disagreed with differences at this solve's inputs
        self._derivative_verdicts = collections.OrderedDict()  # inputs -> whether they showed it (bounded)
        self._pattern = probed_pattern(self.settings, self.solver)  # checked at each solve's own magnitudes
        self._given_pattern = probed_pattern(self.settings, self.solver, given=True)  # warned about, once
        self._pattern_missed = False  # the given pattern missed entries at a solve's inputs: every message says so
        self._stability_checked = collections.OrderedDict()  # fixed-step inputs whose dt was judged (bounded)
        self._positional_warned = set()  # params labels read by position already warned of (named_params)
        self._cpu_compiled = {}  # the float32 range check's CPU-compiled rhs and observables (float32_range.py)
        self._inputs = InputRecord()  # the last solve's host y0 and params: a float32 change below its resolution
        self._pattern_checked = collections.OrderedDict()  # the rows found covered (bounded as _constants)
        self._constants = collections.OrderedDict()
        self._constants_lock = threading.Lock()  # solves from several threads share it (a thread-pool optimiser)

    def __reduce__(self):
        """Refused: the compiled kernels and their lock do not pickle ('cannot pickle _thread.lock' said nothing)."""
        raise ConfigurationError(
            f"{self!r} does not pickle (nor copy): it holds compiled kernels and device state; pickle its system "
            "(an ODESystem of module-level functions pickles; for a closure's or symbolic_system's, send what "
            "builds it) with the method, controller, precision and options, and build a new "
            "kernels.Integrator(system, method, ...) on the other side; to spread a batch over processes or GPUs, "
            "pass a Dask client instead: integ.solve(..., client=client) (README: Scale-out with Dask)")

    def __repr__(self):
        return (f"Integrator({self.system.name}, method={self.method.name!r}, controller={self.controller.kind!r}, "
                f"precision={np.dtype(self.dtype).name})")

    def _register_cap(self, choice):
        """``choice`` ("auto", None or an int) as the cap this integrator's kernels are built with."""
        return register_cap(choice, self.method.family, self.system.n_states, self.solver.direct)

    @property
    def adaptive(self) -> bool:
        return self.controller.adaptive

    @property
    def jacobian(self):
        """The Jacobian path of this method: ``"jac"``, ``"jvp"``, ``"finite differences"``, or None.

        None for a method that uses no Jacobian (explicit); otherwise what
        the step's Newton solver uses: the system's dense ``jac`` (with the
        LU solver), its ``jvp`` (with a Krylov solver), or finite differences
        of the right-hand side when the system gives neither for that solver.
        With a sparse LU the label names the cost, e.g. ``"jvp (compressed,
        6 products)"`` or ``"jac (dense 64 x 64 scratch)"`` (above 64 states it says that the scratch stays in
        local memory and what a ``jvp`` would take instead).  A FIRK step
        (``radau``, ``gauss4``) reports its own choice, with the same cost where its LU is sparse.
        """
        step = self.settings.step
        newton = getattr(step, "newton", None)
        if newton is not None:
            return jacobian_source(newton)
        return getattr(step, "jacobian_label", None)

    # -- planning ------------------------------------------------------------
    def buffer_settings(self, pins=None):
        """The settings tree (loop with the step as child), with ``pins`` applied (see ``with_locations``)."""
        tree = self.settings.buffer_settings()
        return tree.with_locations(pins) if pins else tree

    def device(self, device=None):
        """The planner's model of ``device`` (a preset name or model); default the GPU in use."""
        if device is not None:
            return planner.get_device(device)
        key = current_device_id()
        if key not in self._devices:
            self._devices[key] = default_device()
        return self._devices[key]

    def check_unchanged(self):
        """ConfigurationError when a global or closure number that the system's functions read changed since the
        system was built, or one the event functions read since this Integrator's first solve (compiled code keeps
        the value it first saw; an Integrator built before a change, and solved after it, was refused: a regression
        hunt)."""
        self.system.check_unchanged()
        if self._event_values is None:  # the first solve: from here on what the event functions read is fixed, so
            check_events_index(self.settings.events, self.system)  # g at the system's sizes is checked once
            self._event_values = event_values(self.settings.events)
        check_events_unchanged(self._event_values)

    @keywords_checked("Integrator.plan", lambda: _public_callables())
    def plan(self, plan="auto", block_size=None, device=None, pins=None) -> Plan:
        """Plan the buffers: ``plan`` is a choice of ``kernels.planning.PLAN_CHOICES`` or a Plan to verify.

        Parameters
        ----------
        plan : str, planner.Plan or dict (a Plan's JSON: ``Plan.from_json``; a file: ``planner.load_plan``)
        block_size : int, optional
            Threads per block (default 128 on a GPU, 1 on the simulator; a Plan brings its own).
        device : str or planner.DeviceModel, optional
            Default: the GPU in use (the h200 preset on the simulator).
        pins : mapping, optional
            Qualified buffer name or pattern -> location, applied after ``plan``'s own pins.
        """
        model, plan = self.device(device), check_choice(plan_argument(plan_choice(plan)))
        pins = pins_argument(pins)
        block_size = None if block_size is None else check.check_int(block_size, "block_size", 1)
        if isinstance(plan, Plan):
            if pins:
                raise ConfigurationError("pins apply when a plan is made (plan='auto', 'local', a planner's name); "
                                         "a Plan given is verified as it is: pin its buffers when you make it")
            key = ("plan", plan.digest, block_size, model)
            if key not in self._plans:
                what = f"{self.system.name}, method {self.method.name!r}"
                self._plans[key] = check_plan(plan, self.buffer_settings(), self.dtype, block_size, model, what)
            return self._plans[key]
        block_size = default_block_size() if block_size is None else block_size
        key = (plan, block_size, model, tuple((pins or {}).items()))  # in order: a later pin wins (with_locations)
        if key not in self._plans:
            def planned():  # CP-SAT and the compiler's rounds; for auto, a decision an earlier run kept instead
                def solved():
                    return solve_plan(plan, self.settings.buffer_settings(), self.dtype, block_size, model, pins,
                                      self.max_registers, memory_hint(self.method.family, self.solver.linear))
                return with_compiler(self, solved, plan, block_size, model, pins)

            self._plans[key] = decided(self, plan, block_size, model, pins, planned)
        return self._plans[key]

    # -- building ------------------------------------------------------------
    @keywords_checked("Integrator.build", lambda: _public_callables())
    def build(self, plan, canary_elems=0, max_registers=None):
        """The batch kernel for ``plan`` (built once per layout and kept); see ``BatchKernel.resources()``.

        ``plan`` is verified as ``solve(plan=plan)`` verifies it (:class:`PlanMismatchError` for a plan of
        other buffers, another precision, or a hand-edited layout that does not hold).  ``max_registers`` caps
        registers per thread (see ``kernels.batch.build_batch_kernel``); None builds with the Integrator's own
        cap (``self.max_registers``), 255 without one.
        """
        if not isinstance(plan, Plan):
            raise ConfigurationError(f"build needs a planner.Plan (from Integrator.plan); got {describe(plan)}")
        self.plan(plan)  # the check solve runs on a Plan it is given (kept per plan digest)
        return self._build(plan, canary_elems, max_registers)

    def _build(self, plan, canary_elems=0, max_registers=None):
        """:meth:`build` without the plan's check: for plans this Integrator planned or verified."""
        max_registers = self.max_registers if max_registers is None else self._register_cap(max_registers)
        if max_registers == HARDWARE_LIMIT:
            max_registers = None
        key = (layout_digest(plan), plan.block_size if canary_elems else None, int(canary_elems),
               current_device_id(), max_registers)
        if key not in self._kernels:
            model = self.device()
            with simulator_serialized():
                self._kernels[key] = build_batch_kernel(
                    self.system, self.method, self.settings, self.controller, plan, canary_elems,
                    tuple(model.compute_capability), max_registers, self.compile_cache)
        built = self._kernels[key]
        if built.plan is not plan:
            # same layout, another plan object (another block size or provenance): share the compiled kernel
            built = dataclasses.replace(built, plan=plan)
        return built

    # -- solving -------------------------------------------------------------
    def _planned_kernel(self, plan, block_size, device, canary_elems, device_id):
        """``(plan, built)`` for solve's arguments: looked up in one dict on a repeated call."""
        key = (plan if isinstance(plan, (str, dict)) else id(plan), block_size, device, canary_elems, device_id)
        try:
            found = self._hot.get(key)
        except TypeError:  # an unhashable device model or a plan's JSON dict (read each call): the ordinary path
            found, key = None, None
        if found is not None and (isinstance(plan, str) or found[2] is plan):
            return found[0], found[1]
        the_plan = self.plan(plan, block_size, device)
        built = self._build(the_plan, canary_elems)
        if key is not None:
            self._hot[key] = (the_plan, built, plan)
        return the_plan, built

    def _constant(self, array, device_id=-1):
        """A device copy of a small constant host array, kept across calls (keyed by value and device)."""
        from numba import cuda

        array = np.ascontiguousarray(array)  # a strided view (t_eval[::2]) cannot be copied as one region
        key = (array.dtype.str, array.shape, array.tobytes(), device_id)
        with self._constants_lock:  # another thread's eviction between get and move_to_end raised a KeyError
            found = self._constants.get(key)
            if found is None:
                found = self._constants[key] = cuda.to_device(array)
                if len(self._constants) > _CONSTANTS_KEPT:
                    self._constants.popitem(last=False)
            else:
                self._constants.move_to_end(key)
        return found

    def _tolerance(self, value, what):
        """A validated tolerance array; scalars are converted once and kept (the common repeated call)."""
        if isinstance(value, float):
            key = (what, value)
            found = self._tolerances.get(key)
            if found is None:
                found = self._tolerances[key] = tolerances.check_tolerance(value, what, self.system.n_states,
                                                                           self.dtype)
            return found
        return tolerances.check_tolerance(value, what, self.system.n_states, self.dtype)

    @keeps_registries  # a first solve's compiles and imports change the warnings filters: shown ones stay shown
    @span_keywords_refused  # diffrax's t0=, t1=: the span is t_span=(t0, t1)
    def solve(self, t_span, y0, params=None, dt=None, rtol=None, atol=None, t_eval=None, drivers=None, plan="auto",
              block_size=None, max_steps=DEFAULT_MAX_STEPS, dt_min=0.0, dt_max=np.inf, device=None, out=None, progress=None, _canary_elems=0, client=None, **scale_out):
        """Integrate a batch; the arguments are those of :func:`kernels.solve_ivp`.

        ``out`` takes an earlier :class:`IVPResult` of the same shapes whose
        device arrays are written again (nothing is allocated): with inputs
        on the device, a repeated call then costs microseconds of host time.
        ``client`` (a ``dask.distributed.Client``) spreads the batch over its
        workers; ``scale_out`` takes the options of :func:`kernels.distributed.solve`.
        """
        progress = check.check_progress(progress)
        warn_rounded_times(t_span, t_eval, dt, self.dtype)  # as given: JAX's and torch's float32 times
        warn_first_step_only(self.method, self.controller, self._controller_named, dt)
        if not self.adaptive and self.method.explicit and dt is not None:  # no dt: only the error below
            remedy = (f"drop controller='fixed' (the adaptive controller, {self.method.name}'s default)"
                      if self.method.adaptive else f"use an adaptive method ({adaptive_alike(self.method)})")
            tolerances.warn_unused_tolerances(rtol, atol, self.method.name, dt, remedy)
        if client is not None or scale_out:
            from .distributed import solve as solve_distributed

            check.check_scale_out(scale_out, solve_distributed)
            if client is None:
                raise ConfigurationError(f"{sorted(scale_out)} apply only with client= (a dask.distributed.Client); "
                                         "got client=None")

            return solve_distributed(self, client, t_span, y0, params, dt=dt, rtol=rtol, atol=atol, t_eval=t_eval,
                                     drivers=drivers, plan=plan, block_size=block_size, max_steps=max_steps,
                                     dt_min=dt_min, dt_max=dt_max, device=device, out=out,
                                     _canary_elems=_canary_elems, progress=progress, **scale_out)
        from .ivp_result import IVPResult
        from .event_notes import EventStart, warn_event_nan
        from .status_messages import status_messages

        system, dtype = self.system, self.dtype
        dt = check.check_positive(dt, "dt", allow_none=True)
        if not self.adaptive and dt is None:
            hint = (f"; pass dt=..., or drop controller='fixed' for adaptive steps ({self.method.name}'s default)"
                    if self.method.adaptive else (
                f"; {self.method.name!r} has no error estimate, so rtol and atol cannot choose its steps: pass "
                f"dt, or use an adaptive method ({adaptive_alike(self.method)})"))
            raise ConfigurationError(f"dt is required for fixed-step integration (method {self.method.name!r}, "
                                     f"controller 'fixed'); got None{hint}")
        t0, t_end = time_checks.check_span(t_span)
        time_checks.check_fixed_step(dt, t0, t_end, self.adaptive)
        on_device = check.is_device_array(y0)
        warn_read_by_position(system, params, self._positional_warned)
        given_params = by_name(system, params)  # as the user gave them (by name), before the precision rounds them
        self._inputs.check(y0, given_params, dtype, (t0, t_end))  # moved below float32's resolution: warned
        given_y0 = y0  # as the user gave it: a message tells a value the precision rounded onto a 0 / 0
        y0, params, n_traj = batch_inputs(system, y0, params, dtype)
        t_eval = time_checks.check_t_eval(t_eval, t0, t_end)
        max_steps = check.check_int(max_steps, "max_steps", 1)
        dt_min, dt_max = time_checks.check_step_bounds(dt_min, dt_max)
        rtol, atol, driver_times, driver_values, host, unstable = check_host_inputs(
            self, t0, t_end, dt, y0, params, given_params, rtol, atol, drivers, on_device, t_eval=t_eval,
            dt_max=dt_max, max_steps=max_steps)
        if not self.adaptive and (dt_min != 0.0 or dt_max != np.inf):
            raise ConfigurationError(
                f"dt_min and dt_max bound the steps of an adaptive controller; this run takes fixed steps of dt "
                f"(controller 'fixed'), got dt_min={dt_min!r}, dt_max={dt_max!r}: drop them, or use an adaptive "
                f"controller")
        self.check_unchanged()
        # (warned by check_host_inputs); a given pattern found missing entries is named as a wrong jac is
        suspect = self._suspect_derivative() or ("pattern" if self._pattern_missed else None)
        system.check_compiles(dtype)
        check_events_compile(self.settings.events, system, dtype)
        device_id = current_device_id()
        the_plan, built = self._planned_kernel(plan, block_size, device, _canary_elems, device_id)
        constants = launch_constants(built, t_eval, driver_times, driver_values, atol, rtol,
                                     lambda a: self._constant(a, device_id))
        times = (t0, t_end, dt if dt is not None else 0.0, dt_min, dt_max)
        outputs, canary_ok = launch_batch(built, system, n_traj, t_eval.shape[0], y0, params, constants, times,
                                          max_steps, out, progress)
        self._inputs.commit()  # the solve went ahead: its inputs are the last solve's (kernels.input_resolution)
        if not on_device:
            outputs = tuple(None if a is None else a.copy_to_host() for a in outputs)
        y, observables, status, n_steps, n_rejected, summary, event_t, event_y, counts = outputs
        if self.settings.save_trajectory and not system.n_observables:
            observables = np.zeros((n_traj, t_eval.shape[0], 0), dtype=dtype)
        summaries = self.settings.summaries
        probe = (self._stiffness_probe(status, y0, params, t0, t_end, max_steps, dt, mostly_rejected(
            n_steps, n_rejected), (rtol, atol) if self.adaptive else None, host, n_steps, given_y0)
                 if not on_device else None)
        drift = solve_drift(self, t0, t_end, y0, params, rtol, atol, status, y, event_y, on_device, suspect, t_eval)
        result = IVPResult(t=t_eval, y=y, observables=observables, status=status,
                           status_messages=status_messages(rtol if self.adaptive else None, dtype,
                                                           fixed_step_remedy(self.method, self.adaptive),
                                                           self.jacobian, suspect,
                                                           self.solver.linear if not self.method.explicit else None,
                                                           time_checks.fixed_step_count(dt, t0, t_end, self.adaptive),
                                                           max_steps, self._blind_estimate,
                                                           np.flatnonzero(np.asarray(atol) == 0)
                                                           if not self.method.explicit else None,
                                                           ends=(t_eval[-1], t_end, self.settings)),
                           n_steps=n_steps, n_rejected=n_rejected,
                           plan=the_plan, method=self.method.name, backend=backend(),
                           canary_intact=canary_ok, summary_array=summary,
                           summary_stats=summaries.stats if summaries is not None else (), event_t=event_t,
                           event_y=event_y, counts=counts, stiffness_probe=probe, t_start=float(t0),
                           linear=None if self.method.explicit else self.solver.linear,
                           unstable_step=unstable, event_start=EventStart.of(
                               self.settings.events, t0, y0, params, None if system.n_drivers else system.evaluate_rhs),
                           invariant_drift=drift)
        with checking_results():  # said from the results: a client= run raises these (kernels.warning_origin)
            warn_few_summary_steps(result, summaries, self.adaptive, t_end, dt_max)  # once a solve, client= chunks too
            warn_stepped_over_growth(result)  # once a solve: the growth note's trajectories (kernels.growth_warning)
            warn_unbounded_growth(result, y0)  # once a solve: successes past 1e100 times their start
            warn_sign_slip_success(result, host, y0, params)  # once a solve: successes grown by a lone negative param
            warn_invariant_drift(drift)  # once a solve: rounding moved a linear invariant (kernels.invariant_drift)
            judged = None if system.n_drivers or on_device else host  # the host's checks: host inputs, no drivers
            if not warn_float32_rounding(result, self.method, rtol if self.adaptive else None, dtype, judged, y0,
                                         params):  # many float32 steps; where it warned, it gave the stiff advice
                warn_stiff_steps(result, self.method, self.adaptive, judged, y0, params)  # held by stability
            warn_float32_underflow(self, result, y0, params, t_end, atol if self.adaptive else None)  # below its range
            warn_atol_dip(self, result, y0, params, t_end, atol if self.adaptive else None)  # regrown from below atol
            warn_event_nan(result)  # a terminal event whose g went from a number to NaN: it stopped nothing
        return result


def _public_callables():
    """``(label, function)`` of the calls whose keywords an unexpected keyword's message looks up."""
    from .systems import ODESystem

    return (("kernels.Integrator(...)", Integrator.__init__), ("Integrator.plan", Integrator.plan),
            ("Integrator.build", Integrator.build), ("Integrator.solve", Integrator.solve),
            ("kernels.ODESystem(...)", ODESystem.__init__))
