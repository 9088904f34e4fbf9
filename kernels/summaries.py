"""Running summaries: per-trajectory statistics of chosen states and observables, no trajectory stored.

A sweep of a million trajectories rarely wants every state at every save; it
wants a mean, a peak, the time of the peak.  :class:`Summaries` names the
quantities (state and observable indices) and the statistics; the loop
updates planned accumulators (the ``summaries`` component's persistent
``accumulators`` buffer) after every accepted step and writes one row of
statistics per window.

Windows: ``per="run"`` is one window ``[t0, t_span[1]]`` (the loop runs on past
the last save to the span's end for it); ``per="save"`` one
per save time, window ``k`` being ``[t_eval[k-1], t_eval[k]]`` (``[t0,
t_eval[0]]`` for the first).  Statistics over a window ``[a, b]`` of values
``v_0 .. v_m`` at the accepted step times ``a = s_0 < ... < s_m = b``:

* ``mean``: the trapezoid rule over the accepted steps, ``sum (s_{i+1} - s_i)
  (v_i + v_{i+1}) / 2 / (b - a)``: a time-weighted mean, so many short steps
  in a fast transient do not outweigh a long quiet stretch (a plain average
  over steps would);  the same rule for fixed and adaptive steps;
* ``rms``: the square root of the same trapezoid mean of ``v^2``;
* ``min``, ``max``: over the step points ``v_0 .. v_m``; ``argmax`` the time of
  the (first) maximum, kept and written as its offset from the run's ``t0`` (``t_new - t0`` in
  float64, then the working precision: its resolution is the span's, not ``t``'s, so a float32 run
  from ``t0 = 7.4e5`` keeps its peak times to the step; they were rounded to 1/16 there, a user's
  trial) and given back as ``t0 + offset`` in float64 (:attr:`kernels.IVPResult.summaries`);
* ``final``: ``v_m``.

How the trapezoid is summed.  Adaptive steps (and fixed steps that may fail)
add ``h (v_prev + v) / 2`` a step.  Explicit fixed steps (``regular_steps``
of :func:`make_summary_functions`) are all exactly ``dt`` except the one that
lands on a save time (or is cut by a terminal event), and over a run of equal
steps the trapezoid telescopes: ``sum_{i=1..m} dt (v_{i-1} + v_i) / 2 = dt
sum_{i=1..m} v_i + dt (v_0 - v_m) / 2``.  Such a step adds ``dt v`` (one
multiply-add; ``dt v^2`` for rms) and leaves the previous value alone; the
landing step, called apart, adds the correction ``dt (v_0 - v_m) / 2`` (``v_0``
the value kept at the window's start or the last landing, ``v_m`` the value
before the landing step: an observable's is evaluated again there) and its own trapezoid ``h (v_m + v) / 2``, and keeps
``v``.  A window of some length always ends on such a step, so ``emit`` sees
the same trapezoid sum either way (rounded differently: a sum of ``dt v``
rather than of ``dt (v_prev + v) / 2``; in float32 as accurate).

``min`` and ``max`` are ``min(low, v)`` and ``max(high, v)``: on the GPU one
``min.f32``/``max.f32``, which returns the other operand when one is NaN (a NaN
value is skipped, also as the window's first value); the simulator's Python
``min``/``max`` keep a NaN that came first.  With ``argmax``, the maximum is
``if v > high`` (a NaN never becomes the maximum, but one that came first stays).

A zero-length window (a save at ``t0``) has mean and rms of its one value.
Accumulators are in the working precision; the trapezoid sums of ``mean`` and
``rms`` are compensated (Kahan: a second slot keeps what each addition rounded
away), so their rounding does not grow with the number of steps (a float32
mean over 20000 steps drifted 1e-4 relative summed plainly).  Fixed-step loops,
where every thread takes the same steps, that keep :data:`BLOCK_FROM_SUMS` or more
sums add each step to a plain block sum and the block to the compensated sum every
:data:`FOLD_EVERY` steps (a third slot
and one step count): the rounding stays that of a block, and the compensation's
instructions are paid once a block (every step, they made RK4 on Lorenz with six
statistics 1.5x slower); adaptive loops, whose threads' steps differ, and loops
keeping fewer sums compensate every step.  A window the trajectory did not
finish is NaN; a terminal event ends the window it falls in at the event
(:mod:`kernels.events`), whose statistics cover ``[a, t_event]``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from planner import Buffer, BufferSettings, Phase

from .codegen import compile_device
from .drivers import make_driver_evaluator
from .errors import ConfigurationError, describe

__all__ = ["Summaries", "SUMMARY_STATS", "SummarySettings", "as_summaries", "make_summary_functions", "folds_in_blocks",
           "BLOCK_FROM_SUMS", "FOLD_EVERY"]

SUMMARY_STATS = ("mean", "min", "max", "rms", "argmax", "final")
_PER = ("run", "save")


#: What to take instead of a statistic that Summaries does not keep but the result can give (a neuroscientist's trial:
#: stats=("count",) and ("std",) were refused with the list of names alone).
_INSTEAD = {
    "count": ("count threshold crossings with a non-terminal event, events=kernels.Event(lambda t, y, p: y[0] - "
              "threshold, direction=1) (+1 upward crossings, -1 downward, 0 both), and read result.event_count[:, k], "
              "the crossings of event k per trajectory over the whole span"),
    "std": ("add \"mean\" and \"rms\" to stats and take np.sqrt(np.maximum(s[\"rms\"]**2 - s[\"mean\"]**2, 0)) with "
            "s = result.summaries (the time-weighted spread, as mean and rms are time-weighted; it loses digits where "
            "the spread is small beside the mean, float32 most)"),
}
_INSTEAD.update({name: _INSTEAD["count"] for name in ("crossings", "n_crossings")})
_INSTEAD.update({name: _INSTEAD["std"].replace("np.sqrt(np.maximum(s[\"rms\"]**2 - s[\"mean\"]**2, 0))",
                                                "np.maximum(s[\"rms\"]**2 - s[\"mean\"]**2, 0)")
                 for name in ("var", "variance")})
_INSTEAD.update({name: _INSTEAD["std"] for name in ("stdev", "stddev", "sd")})
#: A peak-to-peak amplitude (a biologist's trial: stats=("ptp",) and ("amplitude",) got the list alone).
_INSTEAD["ptp"] = ("keep \"min\" and \"max\" (stats=(\"min\", \"max\")) and take s[\"max\"] - s[\"min\"] with "
                   "s = result.summaries (over the step points); for the last part of the span only (past a "
                   "transient), pass per=\"save\" and t_eval=[t_cut, t_end]: window 1 is [t_cut, t_end], "
                   "s[\"max\"][:, 1] - s[\"min\"][:, 1]")
_INSTEAD.update({name: _INSTEAD["ptp"] for name in ("amplitude", "range", "peak_to_peak")})


def _instead(unknown) -> str:
    """What to do instead, for each name of ``unknown`` that :data:`_INSTEAD` knows ('' for the others: the list of
    names is the message then)."""
    said = [f"for {name!r}, {_INSTEAD[name]}" for name in dict.fromkeys(unknown) if name in _INSTEAD]
    return (": " + "; ".join(said) + ".") if said else ""


@dataclasses.dataclass(frozen=True)
class Summaries:
    """Which running statistics the loop keeps, of which quantities, over which windows.

    Parameters
    ----------
    states : sequence of int
        State indices to summarise.
    observables : sequence of int
        Observable indices to summarise (after the states in the output's last axis).
    stats : sequence of str
        Any of ``"mean"``, ``"min"``, ``"max"``, ``"rms"``, ``"argmax"``, ``"final"``.  No ``"count"``,
        ``"std"`` or ``"ptp"``: their refusal says what gives them (an Event's ``event_count``; ``mean`` and
        ``rms``; ``max`` minus ``min``).
    per : str
        ``"run"`` (one window over the run) or ``"save"`` (one window ending at each ``t_eval``).
    every : int
        Sample the statistics every this many steps instead of after every step (explicit methods
        at a fixed step, without events, only): the samples are the step points whose count from
        the start of the run is a multiple of ``every`` and the save times, and ``mean`` and
        ``rms`` are the trapezoid rule over them (from the window's start).  The statistics' own
        arithmetic is then done about ``every`` times less often (RK4 on Lorenz, H200: all six
        statistics of three states 1.74x the final-state run at every step, 1.13x every 10
        steps).  Default 1: every step point.

    ``result.summaries[stat]`` is then an array (N, n_windows, len(states) + len(observables)).
    """

    states: tuple = ()
    observables: tuple = ()
    stats: tuple = ("mean", "min", "max")
    per: str = "run"
    every: int = 1

    def __post_init__(self):
        for name in ("states", "observables", "stats"):
            value = getattr(self, name)
            if isinstance(value, (str, int, np.integer)):
                value = (value,)
            try:
                object.__setattr__(self, name, tuple(value))
            except TypeError:
                raise ConfigurationError(f"Summaries {name} must be a sequence; got {describe(value)}") from None
        for name in ("states", "observables"):
            for index in getattr(self, name):
                if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)) or index < 0:
                    raise ConfigurationError(f"Summaries {name} must hold integer indices >= 0; got {index!r}")
            object.__setattr__(self, name, tuple(int(i) for i in getattr(self, name)))
        unknown = [s for s in self.stats if s not in SUMMARY_STATS]
        if unknown or not self.stats or len(set(self.stats)) != len(self.stats):
            raise ConfigurationError(f"Summaries stats must be distinct names of {list(SUMMARY_STATS)}; "
                                     f"got {list(self.stats)}" + _instead(unknown))
        if self.per not in _PER:
            raise ConfigurationError(f"Summaries per must be 'run' or 'save'; got {self.per!r}")
        if not self.states and not self.observables:
            raise ConfigurationError("Summaries needs at least one index in states or observables; got none")
        every = self.every
        if isinstance(every, (bool, np.bool_)) or not isinstance(every, (int, np.integer)) or not 1 <= every < 2 ** 30:
            raise ConfigurationError(f"Summaries every must be an integer number of steps >= 1; got {every!r}")
        object.__setattr__(self, "every", int(every))

    @property
    def n_quantities(self) -> int:
        return len(self.states) + len(self.observables)


def as_summaries(summaries, system):
    """``summaries`` checked against ``system`` (indices in range), or None."""
    if summaries is None:
        return None
    if not isinstance(summaries, Summaries):
        raise ConfigurationError(f"summaries must be a kernels.Summaries or None; got {describe(summaries)}")
    for name, limit in (("states", system.n_states), ("observables", system.n_observables)):
        bad = [i for i in getattr(summaries, name) if i >= limit]
        if bad:
            raise ConfigurationError(f"summaries {name} index {bad[0]} is out of range: system {system.name!r} "
                                     f"has {limit} {name}")
    return summaries


# Accumulator slots per quantity: the previous value always, the rest when a statistic reads them.
_SLOTS = (("prev", None), ("integral", ("mean",)), ("integral_lost", ("mean",)), ("integral_block", ("mean",)),
          ("square", ("rms",)), ("square_lost", ("rms",)), ("square_block", ("rms",)), ("low", ("min",)),
          ("high", ("max", "argmax")), ("at_high", ("argmax",)))
_SUMS = ("integral", "square")
#: Steps a fixed-step loop sums plainly into a block before adding the block to the compensated sum: the
#: compensation (four additions and a select) once a block instead of every step, the rounding bounded by the
#: block's length (Kahan every step made RK4 on Lorenz with all six statistics 2.64x a final-state run, against
#: 1.77x summed plainly; benchmarks/results/session36_2026-12-05/).
FOLD_EVERY = 32
#: Compensated sums (quantities times ``mean``/``rms``) from which a fixed-step loop folds in blocks; below, it
#: compensates every step.  On the H200 (RK4 Lorenz float32, 2^22; benchmarks/results/session37_2026-12-05/) the
#: six statistics of three states (6 sums) cost 1.90x a final-state run folded, 2.64x compensated every step; one
#: state's mean and max (1 sum) 1.33x folded, 1.15x every step: the block's counter and fold branch cost more than
#: the compensation they replace when little is summed.
BLOCK_FROM_SUMS = 4


def folds_in_blocks(summaries) -> bool:
    """Whether a fixed-step loop's ``summaries`` (a :class:`Summaries`) sum enough (:data:`BLOCK_FROM_SUMS`) for the
    block fold to pay."""
    sums = sum(stat in ("mean", "rms") for stat in summaries.stats)
    return sums * (len(summaries.states) + len(summaries.observables)) >= BLOCK_FROM_SUMS


@dataclasses.dataclass(frozen=True)
class SummarySettings:
    """The ``summaries`` component: persistent accumulators, scratch for observables at each step.

    ``accumulators`` holds, per quantity, the slots its statistics need (the
    previous value, trapezoid integrals of ``v`` and ``v^2`` each with the
    rounding its sum has lost, min, max, time of max); ``observables`` and ``drivers`` (size 0 unless observables are
    summarised) hold the observables at the step's end while they are read.
    """

    summaries: Summaries
    n_states: int
    n_observables: int
    n_drivers: int = 0
    blocked: bool = False  # sums folded a block of steps at a time (fixed steps: every thread folds together)

    component = "summaries"

    @property
    def slots(self) -> tuple:
        wanted = set(self.summaries.stats)
        return tuple(name for name, needs in _SLOTS if (needs is None or wanted & set(needs))
                     and (self.blocked or not name.endswith("_block")))

    @property
    def counts_blocks(self) -> bool:
        """Whether the accumulators end with the block's step count (blocked, and a mean or rms asked for)."""
        return self.blocked and any(f"{name}_block" in self.slots for name in _SUMS)

    @property
    def needs_observables(self) -> bool:
        return bool(self.summaries.observables)

    def buffer_settings(self) -> BufferSettings:
        q, n_obs = self.summaries.n_quantities, self.n_observables if self.needs_observables else 0
        n_drv = self.n_drivers if self.needs_observables else 0
        span = (("update", "update"),)
        size = q * len(self.slots) + int(self.counts_blocks)
        buffers = (Buffer("accumulators", size_elems=size, persistent=True, weight=float(4 * q)),
                   Buffer("observables", size_elems=n_obs, lifetime=span, weight=float(n_obs)),
                   Buffer("drivers", size_elems=n_drv, lifetime=span, weight=float(n_drv)))
        return BufferSettings(component=self.component, phases=(Phase("update"),), buffers=buffers)


def make_summary_functions(settings, system, allocate, dtype, regular_steps=False):
    """``(begin, update, land, emit, fill_nan)`` device functions of the summaries component.

    * ``begin(t, y, p, driver_times, driver_values, region, persistent)``: accumulators
      from the values at ``t`` (the start, or the start of a new window);
    * ``update(t_new, origin, h, y_new, p, driver_times, driver_values, region, persistent)``:
      add the step of size ``h`` (working precision) ending at ``t_new`` with state ``y_new``;
      with ``regular_steps``, ``h`` must be the run's fixed step ``dt``; ``origin`` is the run's ``t0``
      (float64), from which ``argmax`` counts its time;
    * ``land(t, t_new, origin, h, h_unit, y, y_new, p, driver_times, driver_values, region, persistent)``
      (``regular_steps`` only, else None): add the step from ``(t, y)`` to ``(t_new, y_new)`` of
      size ``h``, any size, ``h_unit`` being the fixed step ``dt`` that ``update`` was given (both
      working precision); every window that ``emit`` closes must end with it (module docstring);
    * ``emit(traj, w, a, b, origin, out, region, persistent)``: write window ``w`` = ``[a, b]`` and
      restart it at ``b`` (the accumulators keep the value at ``b``);
    * ``fill_nan(traj, w, out)``: NaN in windows ``w`` on.

    ``regular_steps`` (a compile-time constant) is for explicit fixed-step loops:
    ``update`` then adds ``dt v`` and does not move the previous value.

    ``out`` is (N, n_windows, n_stats * n_quantities), stat-major.  Generated
    with literal indices so a local plan keeps the accumulators in registers.
    """
    s = settings.summaries
    slots = settings.slots
    n_slots, q = len(slots), s.n_quantities
    at = {name: i for i, name in enumerate(slots)}
    namespace = {
        "alloc_acc": allocate("accumulators"), "alloc_obs": allocate("observables"),
        "alloc_drv": allocate("drivers"), "observe": system.device_functions(dtype).observables,
        "eval_drivers": make_driver_evaluator(settings.n_drivers if settings.needs_observables else 0),
        "half": dtype(0.5), "nan": dtype(math.nan), "sqrt": math.sqrt, "dtype": dtype,
        "huge": dtype(np.finfo(dtype).max), "one": dtype(1.0), "fold_every": dtype(FOLD_EVERY),
    }
    values = [f"y[{i}]" for i in s.states] + [f"obs[{i}]" for i in s.observables]

    def slot(j, name):
        return f"acc[{j * n_slots + at[name]}]"

    def observe_at(t, y):
        """Lines that leave the observables at time ``t`` and state ``y`` in ``obs``."""
        return [f"    eval_drivers({t}, driver_times, driver_values, u)", f"    observe({t}, {y}, p, u, obs)"]

    scratch = ["    obs = alloc_obs(region, persistent)", "    u = alloc_drv(region, persistent)"]
    observe_lines = scratch + observe_at("t_new", "y")
    head = ["    acc = alloc_acc(region, persistent)"] + (observe_lines if settings.needs_observables else [])
    begin = ["def begin(t_new, y, p, driver_times, driver_values, region, persistent):"] + head
    update = ["def update(t_new, origin, h, y, p, driver_times, driver_values, region, persistent):"] + head
    land = ["def land(t, t_new, origin, h, h_unit, y_old, y, p, driver_times, driver_values, region, persistent):",
            "    acc = alloc_acc(region, persistent)"]
    if settings.needs_observables:  # the observables before the step first, then at its end
        land += scratch + observe_at("t", "y_old")
        land += [f"    before_{j} = obs[{i}]" for j, i in enumerate(s.observables, start=len(s.states))]
        land += observe_at("t_new", "y")
    befores = [f"y_old[{i}]" for i in s.states] + [f"before_{j}" for j in range(len(s.states), q)]
    update.append("    hh = h * half")
    land += ["    hh = h * half", "    hu = h_unit * half"]

    blocked = settings.counts_blocks
    counter = f"acc[{q * n_slots}]"
    sums_at = [name for name in _SUMS if name in at]

    def compensated(j, name, term, indent="    "):
        """Lines that add ``term`` to the sum in slot ``name``, compensated (Kahan): ``name_lost`` keeps the
        low part each addition rounded away, so a float32 mean over 20000 steps stays at rounding (it
        drifted 1e-4 relative uncompensated)."""
        total, lost = slot(j, name), slot(j, name + "_lost")
        # an infinite (or NaN) sum keeps no lost part: inf - inf would turn the statistic NaN (a regression hunt)
        return [f"{indent}part = ({term}) - {lost}", f"{indent}total = {total} + part",
                f"{indent}{lost} = (total - {total}) - part if abs(total) <= huge else dtype(0.0)",
                f"{indent}{total} = total"]

    def add(j, name, term):
        """Lines that add ``term``: to the block's plain sum when ``blocked`` (:data:`FOLD_EVERY`), else compensated."""
        if blocked:
            block = slot(j, name + "_block")
            return [f"    {block} = {block} + ({term})"]
        return compensated(j, name, term)

    def fold():
        """Lines that count a step and, every :data:`FOLD_EVERY`, add each block to its compensated sum."""
        if not blocked:
            return []
        lines = [f"    count = {counter} + one", "    if count >= fold_every:"]
        for j in range(q):
            for name in sums_at:
                block = slot(j, name + "_block")
                lines += compensated(j, name, block, "        ") + [f"        {block} = dtype(0.0)"]
        return lines + ["        count = dtype(0.0)", f"    {counter} = count"]

    def extremes(j):
        """Lines of min, max and argmax (the previous value is not read)."""
        lines = []
        if "low" in at:
            lines.append(f"    {slot(j, 'low')} = min({slot(j, 'low')}, v)")
        if "at_high" in at:  # the time of the maximum: a branch (a select)
            lines += [f"    if v > {slot(j, 'high')}:", f"        {slot(j, 'high')} = v",
                      f"        {slot(j, 'at_high')} = dtype(t_new - origin)"]
        elif "high" in at:  # one max.f32
            lines.append(f"    {slot(j, 'high')} = max({slot(j, 'high')}, v)")
        return lines

    for j, v in enumerate(values):
        begin.append(f"    {slot(j, 'prev')} = {v}")
        update.append(f"    v = {v}")
        if regular_steps:  # a run of steps of dt: the trapezoid's sum without the previous value
            if "integral" in at:
                update += add(j, "integral", "h * v")
            if "square" in at:
                update += add(j, "square", "h * (v * v)")
            update += extremes(j)
        else:
            update.append(f"    prev = {slot(j, 'prev')}")
            if "integral" in at:
                update += add(j, "integral", "hh * (prev + v)")
            if "square" in at:
                update += add(j, "square", "hh * (prev * prev + v * v)")
            update += extremes(j)
            update.append(f"    {slot(j, 'prev')} = v")
        # The landing step: the run's correction from its first value (prev) and last (before), its own trapezoid.
        land += [f"    v = {v}", f"    before = {befores[j]}", f"    prev = {slot(j, 'prev')}"]
        if "integral" in at:
            land += add(j, "integral", "hu * (prev - before) + hh * (before + v)")
        if "square" in at:
            # (prev - before) (prev + before): prev^2 - before^2 was inf - inf = NaN where the squares overflow
            land += add(j, "square", "hu * ((prev - before) * (prev + before)) + hh * (before * before + v * v)")
        land += extremes(j) + [f"    {slot(j, 'prev')} = v"]
    update += fold()
    land += fold()
    begin.append("    restart(acc, dtype(0.0))")  # begin is called at the run's start: no time past it

    restart = ["def restart(acc, offset):"]
    emit = ["def emit(traj, w, a, b, origin, out, region, persistent):", "    acc = alloc_acc(region, persistent)",
            "    span = dtype(b - a)", "    scale = dtype(1.0) / span if span > 0 else dtype(0.0)"]
    for j in range(q):
        prev = slot(j, "prev")
        for name in slots[1:]:
            zero = name in _SUMS or name.endswith(("_lost", "_block"))
            restart.append(f"    {slot(j, name)} = " + ("dtype(0.0)" if zero else "offset" if name == "at_high"
                                                        else prev))
        # the block not yet folded is added with the lost part: the total is the larger, added last
        sums = {name: f"({slot(j, name)} + ({slot(j, name + '_block')} - {slot(j, name + '_lost')}))" if blocked
                else f"({slot(j, name)} - {slot(j, name + '_lost')})" for name in sums_at}
        for k, stat in enumerate(s.stats):
            column = k * q + j
            expression = {
                "mean": f"{sums['integral']} * scale if span > 0 else {prev}" if "integral" in at else "",
                "rms": f"sqrt({sums['square']} * scale) if span > 0 else abs({prev})" if "square" in at else "",
                "min": slot(j, "low") if "low" in at else "", "max": slot(j, "high") if "high" in at else "",
                "argmax": slot(j, "at_high") if "at_high" in at else "", "final": prev,
            }[stat]
            emit.append(f"    out[traj, w, {column}] = {expression}")
    if blocked:
        restart.append(f"    {counter} = dtype(0.0)")
    emit.append("    restart(acc, dtype(b - origin))")
    if len(restart) == 1:
        restart.append("    pass")
    namespace["restart"] = compile_device("\n".join(restart) + "\n", "restart", namespace, inline=True)
    built = {}
    sources = (("begin", begin), ("update", update), ("emit", emit)) + ((("land", land),) if regular_steps else ())
    for name, lines in sources:
        built[name] = compile_device("\n".join(lines) + "\n", name, namespace, inline=True)
    width = q * len(s.stats)

    def fill_nan_source():
        return ("def fill_nan(traj, w, out):\n"
                "    for j in range(w, out.shape[1]):\n"
                f"        for i in range({width}):\n"
                "            out[traj, j, i] = nan\n")

    fill_nan = compile_device(fill_nan_source(), "fill_nan", namespace)
    return built["begin"], built["update"], built.get("land"), built["emit"], fill_nan
