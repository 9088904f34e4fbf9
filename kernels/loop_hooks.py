"""What the loop does besides stepping: summaries, events and the right-hand-side count.

Both loops call four hooks (built here from compile-time settings; with no
summaries and no events they are empty and the loop compiles as without
them)::

    begin(traj, k0, t0, y, p, t_eval, driver_times, driver_values, extras, region, persistent)
    on_accept(traj, k, t, h, y, y_new, p, t_eval, t0, driver_times, driver_values, extras,
              region, persistent) -> status
    on_save(traj, k, t_eval, t0, extras, region, persistent)
    finish(traj, k, status, t_eval, t0, t_end, extras, region, persistent)

The fixed-step loop calls, in place of ``on_accept``, ``on_step`` after each
step of its runs of steps and ``on_land`` after the step that lands on a save
time, both with the run's step ``dt`` (float64) after ``h``::

    on_step(traj, k, t, h, dt, y, y_new, p, t_eval, t0, driver_times, driver_values, extras,
            region, persistent) -> status

Built with ``regular_steps`` (explicit fixed steps: every ``on_step`` has ``h
== dt``), they let the summaries sum a run of equal steps without the
previous value (:mod:`kernels.summaries`), and ``on_accept`` is None;
otherwise both are ``on_accept`` with ``dt`` unread.

``extras`` is ``(out_summary, event_t, event_y, counts)``: summaries (N,
n_windows, n_stats * n_quantities), terminal-event times (N,) float64 and
states (N, n_states), and ``counts`` (N, 4 + n_events) int32 whose column 0
is the trajectory's right-hand-side evaluations, columns 1 to 3 the solver
work (:mod:`kernels.loop_work`) and columns ``4 + e`` the crossings of event
``e``.  ``on_accept`` runs after the step was accepted and before ``y`` takes ``y_new``: it returns :data:`kernels.status.EVENT`
when a terminal event cut the step (``y_new`` then holds the state at the
event), else SUCCESS.

Right-hand-side evaluations per step are ``stages`` of an explicit tableau,
one less with first-same-as-last (stage 0 comes from the cache).  A step
with a solver counts its own (``BuiltStep.take_work``); a family without
either may give ``BuiltStep.rhs_per_step``; without any, ``n_rhs`` is -1.
"""

from __future__ import annotations

import dataclasses
import math

from numba import cuda

from . import status as codes
from .events import EventSettings, make_event_functions
from .summaries import SummarySettings, make_summary_functions

__all__ = ["LoopHooks", "rhs_per_step"]


def rhs_per_step(step_settings, built):
    """Right-hand-side evaluations of one step, or None when the step does not have a fixed count."""
    given = getattr(built, "rhs_per_step", None)
    if given is not None:
        return int(given)
    tableau = getattr(step_settings, "tableau", None)
    if tableau is None or not getattr(tableau, "explicit", False):
        return None
    return int(tableau.stages) - (1 if tableau.fsal else 0)


@dataclasses.dataclass(frozen=True)
class LoopHooks:
    """The hooks' device functions (contract in the module docstring)."""

    begin: object
    on_accept: object
    on_save: object
    finish: object
    on_step: object
    on_land: object
    regular_steps: bool = False

    @classmethod
    def build(cls, settings, system, allocate_child, dtype, regular_steps=False, restep=None):
        """Hooks for ``settings`` (a LoopBufferSettings); ``allocate_child(component)`` -> AllocatorFactory.

        ``regular_steps``: the loop is fixed-step, calls ``on_step`` only with ``h == dt`` and ``on_land``
        for the step that lands on each save time (module docstring).  ``restep``: the loop's step from a
        given state, with which a terminal event's crossing is refined (:func:`kernels.events.make_event_functions`).
        """
        summaries, events = settings.summaries, settings.events
        SUMMARIES, EVENTS = summaries is not None, bool(events)
        REGULAR = SUMMARIES and regular_steps
        PER_SAVE = SUMMARIES and summaries.per == "save"
        N = settings.step.n_states
        SUCCESS, EVENT = codes.SUCCESS, codes.EVENT
        nan = dtype(math.nan)
        records = []
        if SUMMARIES:
            factory = allocate_child(SummarySettings.component)
            s_begin, s_update, s_land, s_emit, s_fill = make_summary_functions(
                settings.summary_settings(), system, factory, dtype, regular_steps=REGULAR)
            records.append(factory)
        else:
            s_begin, s_update, s_land, s_emit, s_fill = _no_begin, _no_update, None, _no_emit, _no_fill
        s_land = s_land if REGULAR else _no_land
        if EVENTS:
            factory = allocate_child(EventSettings.component)
            e_begin, e_check = make_event_functions(settings.event_settings(), system, factory, dtype, restep)
            records.append(factory)
        else:
            e_begin, e_check = _no_event_begin, _no_check

        @cuda.jit(device=True, inline="always")
        def window_start(k, t_eval, t0):
            return max(t0, t_eval[k - 1]) if k > 0 else t0

        @cuda.jit(device=True)
        def begin(traj, k0, t0, y, p, t_eval, driver_times, driver_values, extras, region, persistent):
            out, event_t, event_y, counts = extras
            if EVENTS:
                for c in range(4):  # the refinement's right-hand sides and solver work (kernels.loop)
                    counts[traj, c] = 0
                event_t[traj] = math.nan
                for i in range(N):
                    event_y[traj, i] = nan
                e_begin(traj, t0, y, p, counts, region, persistent)
            if SUMMARIES:
                s_begin(t0, y, p, driver_times, driver_values, region, persistent)
                if PER_SAVE:
                    for w in range(k0):  # saves at t0: windows of no length
                        s_emit(traj, w, t0, t0, t0, out, region, persistent)

        def make_accept(REG, LANDING):
            """The accept hook; with REG, ``h == dt`` unless LANDING (compile-time constants)."""

            @cuda.jit(device=True, inline="always")
            def accept(traj, k, t, h, dt, y, y_new, p, t_eval, t0, driver_times, driver_values, extras, region,
                       persistent):
                out, event_t, event_y, counts = extras
                code = SUCCESS
                t_new = t + h
                h_step = dtype(h)  # the step in the working precision (a fixed step's is loop-invariant: hoisted)
                if EVENTS:
                    theta = e_check(traj, t, h, y, y_new, p, driver_times, driver_values, counts, region,
                                    persistent)
                    if theta <= 1.0:
                        code = EVENT
                        if theta < 1.0:
                            t_new = t + theta * h
                            h_step = dtype(t_new - t)
                        event_t[traj] = t_new
                        for i in range(N):
                            event_y[traj, i] = y_new[i]
                if SUMMARIES:
                    # A regular run's last step before a window closes: the landing step, or one cut by an event.
                    if REG and (LANDING or (EVENTS and code == EVENT)):
                        s_land(t, t_new, t0, h_step, dtype(dt), y, y_new, p, driver_times, driver_values, region,
                               persistent)
                    else:
                        s_update(t_new, t0, h_step, y_new, p, driver_times, driver_values, region, persistent)
                    # (per save: a step past the last save, toward t_end, has no window)
                    if EVENTS and code == EVENT and (not PER_SAVE or k < t_eval.shape[0]):
                        w = k if PER_SAVE else 0
                        s_emit(traj, w, window_start(k, t_eval, t0) if PER_SAVE else t0, t_new, t0, out, region,
                               persistent)
                return code

            return accept

        general = make_accept(False, False)  # without REGULAR, every step is the general one
        on_step, on_land = (make_accept(True, False), make_accept(True, True)) if REGULAR else (general, general)

        @cuda.jit(device=True, inline="always")
        def on_accept(traj, k, t, h, y, y_new, p, t_eval, t0, driver_times, driver_values, extras, region,
                      persistent):
            return general(traj, k, t, h, h, y, y_new, p, t_eval, t0, driver_times, driver_values, extras, region,
                           persistent)

        if REGULAR:  # its update would take h for dt: the fixed-step loop calls on_step and on_land instead
            on_accept = None

        @cuda.jit(device=True, inline="always")
        def on_save(traj, k, t_eval, t0, extras, region, persistent):
            if PER_SAVE:
                s_emit(traj, k, window_start(k, t_eval, t0), t_eval[k], t0, extras[0], region, persistent)

        @cuda.jit(device=True)
        def finish(traj, k, status, t_eval, t0, t_end, extras, region, persistent):
            if SUMMARIES:
                out = extras[0]
                done = 0
                if PER_SAVE:
                    done = k + 1 if status == EVENT else k
                elif status == SUCCESS:
                    s_emit(traj, 0, t0, t_end, t0, out, region, persistent)  # the run covers t_span (kernels.loop)
                    done = 1
                elif status == EVENT:
                    done = 1
                s_fill(traj, done, out)

        hooks = cls(begin, on_accept, on_save, finish, on_step, on_land, REGULAR)
        return hooks, records


# Stand-ins of the parts not asked for (never called: the branches on the flags are compiled away).
@cuda.jit(device=True, inline="always")
def _no_begin(t, y, p, driver_times, driver_values, region, persistent):
    pass


@cuda.jit(device=True, inline="always")
def _no_update(t_new, origin, h, y, p, driver_times, driver_values, region, persistent):
    pass


@cuda.jit(device=True, inline="always")
def _no_land(t, t_new, origin, h, h_unit, y_old, y, p, driver_times, driver_values, region, persistent):
    pass


@cuda.jit(device=True, inline="always")
def _no_emit(traj, w, a, b, origin, out, region, persistent):
    pass


@cuda.jit(device=True, inline="always")
def _no_fill(traj, w, out):
    pass


@cuda.jit(device=True, inline="always")
def _no_event_begin(traj, t, y, p, counts, region, persistent):
    pass


@cuda.jit(device=True, inline="always")
def _no_check(traj, t, h, y, y_new, p, driver_times, driver_values, counts, region, persistent):
    return 2.0
