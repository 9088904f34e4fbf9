"""The Integrator's checks of its arguments that need the method: controller, method and plan names, sampling,
Newton's scale, and what to suggest instead (:mod:`kernels.integrator` calls them; :mod:`kernels.validation`
holds the checks that need no method)."""

from __future__ import annotations

import functools
import math
import inspect
from collections.abc import Mapping

import numpy as np

import planner

from .batch_inputs import row_of
from .controllers import ControllerSettings
from .errors import (ConfigurationError, JacobianCheckWarning, PatternMissError, StabilityWarning, ToleranceWarning,
                     UnusedOptionWarning, describe, warn_user)
from .methods import METHOD_NAMES, METHODS, get_method
from .planning import PLAN_CHOICES
from .stiffness import IMPLICIT_METHODS
from .tolerances import DEFAULT_RTOL, judged_at, tightest_below
from .validation import as_real, unexpected_keyword

__all__ = ["fixed_step_remedy", "method_argument", "not_a_system", "warn_kappa_capped", "plan_choice", "pins_argument",
           "controller_settings", "adaptive_alike", "warn_first_step_only",
           "check_sampling", "check_newton_scale", "keywords_checked", "warn_differenced_products", "SCIPY_METHODS",
           "probed_pattern", "check_pattern_at", "warn_blind_estimate", "warn_unstable_fixed_step",
           "warn_float32_rtol", "probe_rows", "probed_inputs", "remember_checked", "PATTERN_RHS_BUDGET", "STABILITY_RHS_BUDGET",
           "DERIVATIVE_RHS_BUDGET"]

# SciPy's solve_ivp method names that are not names here (DOP853 and Radau are, case-insensitively), and what
# to use instead: named in the message, never aliased (the methods differ: RK45's controller, BDF's orders).
SCIPY_METHODS = {
    "rk45": "'dopri5' (the same Dormand-Prince 5(4) pair) or 'tsit5' (Tsitouras' 5(4), usually fewer steps)",
    "rk23": "'bs3' (the same Bogacki-Shampine 3(2) pair)",
    "bdf": "for a stiff problem 'rodas5p' or 'radau' (there is no multistep BDF here)",
    "lsoda": "'rodas5p' or 'radau' for a stiff problem, 'tsit5' for a non-stiff one (there is no automatic "
             "switching here)",
}


def method_argument(method):
    """The :class:`kernels.methods.Method` called ``method``; a SciPy name that is not one gets what to use."""
    if isinstance(method, str) and method.lower() not in METHODS and method.lower() in SCIPY_METHODS:
        raise ConfigurationError(f"method {method!r} is SciPy's; here use {SCIPY_METHODS[method.lower()]}. The "
                                 f"methods are {list(METHOD_NAMES)} (case-insensitive)")
    return get_method(method)


def plan_choice(plan):
    """A named plan choice in lower case (``"Auto"`` is ``"auto"``, as method names are case-insensitive);
    anything else as given."""
    if isinstance(plan, str) and plan not in PLAN_CHOICES and plan.lower() in PLAN_CHOICES:
        return plan.lower()
    return plan


# What a pin may say (pins_argument): planner.Location's values, or its members
_PIN_VALUES = tuple(location.value for location in planner.Location)


def pins_argument(pins):
    """``pins`` as a dict of buffer name or pattern -> location string, or None.

    A location is ``'local'``, ``'shared'`` or ``'auto'`` (the planner chooses: undoes an earlier key's pin,
    as ``{"*": "local", "loop.erk.*": "auto"}``), or the :class:`planner.Location` member of one, held as its
    value so that equal pins key one cached plan (``Location.SHARED`` was refused where
    ``BufferSettings.with_locations`` takes it: a user's trial)."""
    if pins is None:
        return None
    if not isinstance(pins, Mapping) or not all(isinstance(k, str) and _pin_value(v) in _PIN_VALUES
                                                for k, v in pins.items()):
        raise ConfigurationError(f"pins must map qualified buffer names or patterns to 'local' or 'shared' (or "
                                 f"'auto' to let the planner choose; planner.Location members too), as "
                                 f"{{'loop.erk.*': 'shared'}} (integ.buffer_settings().buffer_names() lists them); "
                                 f"got {describe(pins)}")
    return {key: _pin_value(value) for key, value in pins.items()}


def _pin_value(value):
    """A pin's location as its string (a :class:`planner.Location` as its value); anything else as given."""
    return value.value if isinstance(value, planner.Location) else value


def keywords_checked(where, elsewhere):
    """Decorate a method of explicit signature so that a keyword it does not take raises the ConfigurationError
    of :func:`kernels.validation.unexpected_keyword` (the closest name, or the callable that takes it) instead of
    Python's TypeError.  ``elsewhere()``: ``(label, function)`` of the public callables to look in."""
    def decorate(function):
        @functools.wraps(function)
        def checked(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except TypeError:  # with a keyword the signature lacks, Python refused the call before the body ran
                names = _names(function)
                unknown = [name for name in kwargs if name not in names]
                if not unknown:
                    raise
                error = unexpected_keyword(unknown[0], names, where,
                                           [(label, _names(f)) for label, f in elsewhere() if label != where])
            raise error

        return checked

    return decorate


def _names(function):
    """The public parameter names of ``function`` (no ``self``, no ``_private``, no ``*args``/``**kwargs``)."""
    return [name for name, p in inspect.signature(function).parameters.items()
            if name != "self" and not name.startswith("_") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def warn_differenced_products(method, solver, jacobian, system=None):
    """Warn when a Rosenbrock method runs a Krylov solver on differenced Jacobian-vector products (``jacobian``:
    the step's Jacobian path), which it cannot absorb: its error estimate does not see what they cost.  Where
    ``system`` has a ``jac`` the warning says the Krylov solver leaves it unused (a chemist's trial gave rodas5p
    a correct jac with solver='gmres' and ended 42 to 69 tolerances off with success, told only "without jvp")."""
    if (method.family == "rosenbrock" and solver.linear in ("gmres", "bicgstab") and not solver.preconditioned
            and jacobian == "finite differences"):
        unused = (" (its jac is not used: a Krylov solver takes Jacobian-vector products, from jvp; solver='lu' "
                  "uses the jac)" if getattr(system, "jac", None) is not None else "")
        warn_user(
            f"{method.name} with solver={solver.linear!r} on a system without jvp{unused} takes its Jacobian-vector "
            "products from finite differences of rhs, and Rosenbrock methods need them exact: a run can end "
            "several tolerances off with success reported (Robertson at rtol 1e-6: 6 to 18 tolerances; a 9-species "
            "mechanism at rtol 1e-6: 26 to 69; with an analytic jvp 0.06 and 0.1). Give the system a jvp (or build "
            "it with kernels.symbolic_system), or use solver='lu' or a DIRK method (kvaerno5, sdirk4)",
            ToleranceWarning)


def warn_blind_estimate(method, adaptive):
    """Warn when an adaptive run's method has an error estimate that is 0 on every linear problem (ros3p)."""
    if adaptive and getattr(method.tableau, "estimate_blind_on_linear", False):
        warn_user(
            f"{method.name}'s embedded solution has the method's own stability function, so its error estimate is "
            "0 on every linear constant-coefficient problem and sees only the nonlinear part of the others: the "
            "step size can grow unchecked and a run end far off with success reported (y' = -y: 11 steps, 7e-4 "
            "off at rtol 1e-3 and at 1e-10 alike). For adaptive steps use rodas4 or rodas5p (or kvaerno5, radau); "
            f"keep {method.name} for fixed steps (controller='fixed', dt=...)", ToleranceWarning)


#: rtol below which an adaptive float32 run ends several tolerances off: float32's rounding leaves about 1e-5
#: relative over a run of hundreds of steps (at rtol = atol = 1e-6, with success: a pendulum 4.7 tolerances off with
#: dop853 and 6.6 with vern7, a SIR model with N = 1e7 5.5 with tsit5 and 21.6 with rodas5p, Hodgkin-Huxley 8.7 with
#: tsit5; float64 at 1e-6: 0.5 to 2.2, users' trials).  It is float32's default rtol (tolerances.DEFAULT_RTOL), read
#: from there so that the advice and the default cannot part (a user's trial read "rtol >= 1.2e-05" beside the default
#: 1e-5: the below-eps warning of kernels.tolerances advises 100 eps, 1.19e-5, there).
FLOAT32_RTOL = DEFAULT_RTOL["float32"]


# Below this smallest rtol (float64) an adaptive radau's kept factor leaves more error than the tolerance.
KEPT_FACTOR_RTOL = 1e-11


def warn_tight_kept_factor(solver, method, dtype, rtol):
    """ToleranceWarning where an adaptive FIRK method keeps its factors from step to step (``reuse_factor``, the
    default) at an ``rtol`` below :data:`KEPT_FACTOR_RTOL`: there the stale iteration matrix left Newton's error
    above the tolerance (radau on a smooth non-autonomous problem, rtol = atol = 1e-12: 13.6 tolerances off with
    success, 0.07 with ``reuse_factor=False`` in the same 3033 steps; 3e-12 0.64, 1e-11 0.03; a numerical
    analyst's trial)."""
    if method.family != "firk" or not solver.reuse_factor or not method.adaptive or np.min(rtol) >= KEPT_FACTOR_RTOL:
        return
    warn_user(f"{method.name} keeps its factored iteration matrix from step to step (SolverOptions reuse_factor, the "
              f"default), which at rtol {float(np.min(rtol)):g} leaves Newton's error above the tolerance (13.6 "
              "tolerances at 1e-12 on a smooth problem, with status success); pass solver={'reuse_factor': False} "
              f"(a fresh factor every step, the same steps) for tolerances below {KEPT_FACTOR_RTOL:g}",
              ToleranceWarning)


def warn_kappa_capped(solver, method, dtype, rtol, adaptive=True):
    """UnusedOptionWarning when ``SolverOptions(kappa=...)``, set away from its default, gives Newton the same stop
    as the default at this run's smallest ``rtol``: both at or above the bound
    (:func:`kernels.solvers.base.newton_kappa`, computed in ``dtype`` as the loop does), where it changes nothing:
    a user's trial set kappa 0.05, 0.3 and 0.9 on sdirk4 at rtol 1e-5 in float64 and got bit-identical runs, no
    word.  Not where only the kappa given is capped: in float32 at rtol 1e-6 the bound is 0.119, and kappa 0.3
    (0.119) against the default 0.05 changed the Newton iterations and y (a regression hunt).  ``adaptive``: the
    run's (its floor: :func:`kernels.solvers.base.newton_floor`)."""
    from .solvers.base import newton_kappa_host
    from .solvers.options import SolverOptions

    default = SolverOptions().kappa
    if method.family not in ("dirk", "firk") or solver.kappa == default:
        return
    rt = np.dtype(dtype).type(np.min(rtol))
    effective = newton_kappa_host(solver.kappa, rtol, dtype, adaptive)
    if rt > 0 and effective == newton_kappa_host(default, rtol, dtype, adaptive):
        floor = "eps / rtol" if adaptive else "10 eps / rtol"
        warn_user(f"SolverOptions(kappa={solver.kappa:g}) has no effect here: Newton stops below min(kappa, "
                  f"max(sqrt(rtol), {floor})), which is {float(effective):.3g} at rtol {float(rt):g} in "
                  f"{np.dtype(dtype).name} with kappa={solver.kappa:g} and with the default {default:g} alike; only "
                  f"a kappa below {float(effective):.3g} changes the stop (tightens it), and a looser rtol loosens "
                  "it", UnusedOptionWarning)


def warn_float32_rtol(method, dtype, rtol, atol, y0=None):
    """ToleranceWarning for an adaptive float32 run that asks a component for less than :data:`FLOAT32_RTOL`
    relative: ``rtol + atol / |y0|`` at the component's largest ``|y0|``, one that starts at 0 at the largest
    state's (:func:`kernels.tolerances.asked_relative`; ``rtol`` alone for device or zero ``y0``), from float32's eps
    up (below it :func:`kernels.tolerances.check_tolerance_reachable` says more; float64's floor is there too).
    ``atol`` counts: ``rtol = 0, atol = 1e-6`` on states of order 1 asks as much as ``rtol = 1e-6`` (a pendulum
    under dop853: 127 tolerances off in float32, 11.5 in float64), and ``atol = 1e-3`` beside ``rtol = 1e-6``
    asks float32 for nothing it cannot keep (a regression hunt)."""
    if np.dtype(dtype) != np.float32:
        return
    rtol, atol = np.asarray(rtol, np.float64), np.asarray(atol, np.float64)
    tightest = tightest_below(rtol, atol, y0, np.float32, float(np.float32(FLOAT32_RTOL)))
    if tightest is None:
        return
    i, asked, own, scale = tightest
    high = method.explicit and method.tableau.order >= 7
    where = judged_at(i, own, scale, y0)
    warn_user(f"rtol = {rtol[i]:.6g} and atol = {atol[i]:.6g} ask float32 for {asked[i]:.3g} relative on y[:, {i}] "
              f"({where}), more than it keeps: its rounding leaves about {FLOAT32_RTOL:g} "
              "relative over a run of hundreds of steps, so a run can end several tolerances off with success (at "
              "rtol = atol = 1e-6: a pendulum 4.7 with dop853, a SIR model 5.5 with tsit5 and 21.6 with rodas5p, "
              "Hodgkin-Huxley 8.7; in float64 0.5 to 2.2). Use precision=np.float64, or tolerances of at least "
              f"{FLOAT32_RTOL:g} relative to the states (rtol >= {FLOAT32_RTOL:g}, atol >= {FLOAT32_RTOL:g} |y|)"
              + (f" ({method.name} is a method for tight tolerances: in float32 take tsit5)" if high else ""),
              ToleranceWarning)


def controller_settings(controller, method):
    """``controller`` as ControllerSettings for ``method``; an adaptive one needs the method's error estimate."""
    if isinstance(controller, ControllerSettings):
        settings = controller
    elif controller is None:
        settings = ControllerSettings("pi" if method.adaptive else "fixed")
    elif isinstance(controller, str):
        settings = ControllerSettings(controller.lower())
    else:
        raise ConfigurationError(
            f"controller must be 'fixed', 'i', 'pi', 'pid', None or a ControllerSettings; got {describe(controller)} "
            "(for a filter of your own ControllerSettings(betas=(b1, b2, b3)); for diffrax's PIDController(pcoeff, "
            "icoeff, dcoeff) ControllerSettings.from_pid(pcoeff, icoeff, dcoeff))")
    if settings.adaptive and not method.adaptive:
        raise ConfigurationError(
            f"controller={settings.kind!r} needs an error estimate, which method {method.name!r} lacks; "
            f"use controller='fixed' with dt, or an adaptive method ({adaptive_alike(method)})")
    return settings


def warn_first_step_only(method, controller, named, dt):
    """UnusedOptionWarning where ``dt`` is given to a run whose controller was left out (``named`` False) and
    resolved to an adaptive one (:func:`controller_settings`: ``method`` has an error estimate): there ``dt`` is
    only the first step, and a user who meant fixed steps got the same run at every ``dt`` with no word (a
    tableau developer's trial: her bs3 took 75 steps at dt 0.1, 0.05 and 0.025).  Not where the controller was
    named (an adaptive one named means ``dt`` as the first step), nor on a fixed-step run, nor for a ``dt`` that
    the solve refuses (not a finite number > 0: its error says what to pass).  The Integrator calls it once a
    solve, before it checks ``dt``."""
    step = as_real(dt)
    if step is None or not 0.0 < step < math.inf or named or not controller.adaptive:
        return
    warn_user(f"dt={float(step):.6g} is only the first step of this run: method {method.name!r} has an error "
              f"estimate, so with controller= left out its steps are adaptive (controller={controller.kind!r}, "
              "chosen by rtol and atol). For fixed steps of dt pass controller='fixed'; to keep dt as the first step, "
              f"name the controller (controller={controller.kind!r}) and this warning goes; or drop dt to let the "
              "controller choose the first step", UnusedOptionWarning)


def adaptive_alike(method):
    """Adaptive methods of ``method``'s kind, as text: for an explicit method every explicit tableau with an
    embedded estimate in :data:`METHODS` (a new one appears by itself), for an implicit method (a stiff problem)
    the implicit ones the stiffness hint recommends."""
    if method.explicit:
        return ", ".join(name for name, m in METHODS.items() if m.explicit and m.adaptive)
    return ", ".join(IMPLICIT_METHODS)


def fixed_step_remedy(method, adaptive):
    """For an implicit ``method`` at a fixed step, what to use where its step fails at ``dt``; else None."""
    if adaptive or method.explicit:
        return None
    if getattr(method.tableau, "estimate_blind_on_linear", False):  # ros3p: not its own controller
        return "an adaptive rodas4 or rodas5p (ros3p's error estimate cannot choose its steps)"
    if method.adaptive:
        return f"the adaptive controller (controller='pi', the default for {method.name})"
    return f"an adaptive implicit method ({adaptive_alike(method)})"


def check_sampling(summaries, method, controller, events):
    """Refuse ``Summaries(every > 1)`` where the loop does not thin its statistics (see ``Summaries``)."""
    why = None
    if controller.adaptive:
        why = f"the {controller.kind!r} controller is adaptive"
    elif not method.explicit:
        why = f"{method.name!r} is an implicit method"
    elif events:
        why = "events are checked at every step"
    if why is not None:
        raise ConfigurationError(
            f"summaries every={summaries.every} samples the statistics of an explicit method at a fixed step "
            f"without events, and {why}: leave every=1 (there a statistic costs about 1 % of a step)")


def check_newton_scale(atol, y0):
    """Refuse ``atol`` 0 on a component that starts at 0: an implicit step's Newton norm divides by ``atol + rtol |y|``."""
    zero = np.flatnonzero((atol == 0) & np.any(np.asarray(y0) == 0, axis=0))
    if zero.size:
        i = int(zero[0])
        raise ConfigurationError(
            f"atol is 0 for y[:, {i}], which starts at 0: an implicit method scales its Newton iteration by "
            f"atol + rtol |y|, which is 0 there, so no step can converge (SciPy's Radau and BDF fail on it too); "
            f"give atol > 0 for it (a small fraction of its typical size)")


def probed_pattern(settings, options, given=False):
    """The Jacobian pattern a sparse LU of ``settings``' step was built on when it was probed, not given
    (``options.pattern`` None); None for a step without a sparse LU or with a given pattern.  With ``given``
    the reverse: the pattern in use when the user gave it, else None."""
    if (options.pattern is not None) != given:
        return None
    step = settings.step
    newton = getattr(step, "newton", None)
    if newton is not None:
        return newton.linear.pattern if newton.sparse else None
    return getattr(step, "pattern", None)  # a FIRK step's (its blocks' sparse LUs)


# Host right-hand sides a check may spend choosing rows to look at (each row costs about n + 1 of them): every
# row of a batch that fits, else the rows probe_rows picks.  The pattern check differences the rhs; the
# stability check differences it and takes eigenvalues.
PATTERN_RHS_BUDGET = 4000
STABILITY_RHS_BUDGET = 2000
DERIVATIVE_RHS_BUDGET = 4000  # a user's jac or jvp against central differences: 2 n + 1 a row


def probe_rows(y0, params, n_states, budget):
    """Sorted trajectory indices at which a host check looks at a batch (host arrays; either may be one row
    shared by every trajectory), each costing about ``n_states + 1`` right-hand sides of ``budget``.

    Every row when the batch fits the budget (a regression hunt: a stiffness that is the product of two
    parameters sat at no column's extreme).  Else the first, middle and last, then the row of each ``params``
    column's largest value, then of each one's smallest, then the same for ``y0``, as many as the budget
    allows (at least 8 more): what depends on a parameter shows at that column's extreme, a coupling that
    switches on above 290 K (an accuracy audit's rodas4 trajectory at 300 K among 280 K ones ended 524 tolerances
    off with success at positions 1, 2, 4 and 5 of a batch of 7, the rows checked then being 0, 3 and 6), or
    the fastest mode a fixed step must keep stable.  Maxima go first: with ten parameters and the switch in
    the last column, the minima of the first ones had used up the rows.
    """
    n = max(y0.shape[0], params.shape[0])
    limit = max(11, budget // (n_states + 1))
    if n <= limit:
        return list(range(n))
    rows = {0, n // 2, n - 1}
    for inputs in (params, y0):
        if inputs.shape[0] < 2:
            continue
        for pick in (np.argmax, np.argmin):
            for column in inputs.T:
                if len(rows) < limit:
                    rows.add(int(pick(column)))
    return sorted(rows)


#: Times across the span (t0 first, the end last) at which a rhs that reads ``t`` has its Jacobian's pattern checked.
PATTERN_TIMES = 5


def pattern_times(system, t0, t_end):
    """``(t0,)``, or for a rhs that reads ``t`` (:func:`kernels.steps.time_dependence.reads_time`) without an exact
    structure (``system.jacobian_structure``) :data:`PATTERN_TIMES` times from ``t0`` to ``t_end`` evenly: a rate
    that switches on in time is zero at t0 alone (photolysis max(0, -cos(2 pi t / 86400)) from 06:00, a chemist's
    box model: the sparse LU left it out after sunrise and rodas5p took 1202 steps for 150, rodas4 4231 for 222 and
    ended 92 tolerances off with success)."""
    from .steps.time_dependence import reads_time

    t0 = float(t0)
    if (t_end is None or float(t_end) == t0 or getattr(system, "jacobian_structure", None) is not None
            or not reads_time(system)):
        return (t0,)
    span = float(t_end) - t0
    return tuple(t0 + span * k / (PATTERN_TIMES - 1) for k in range(PATTERN_TIMES - 1)) + (float(t_end),)


def check_pattern_at(system, pattern, t0, rows, given=False):
    """PatternMissError when ``pattern`` misses entries of the Jacobian that are nonzero at one of ``rows``
    (trajectory index -> its ``(y0 row, params row)``, host arrays): the sparse LU would leave them out, and
    the run crawl or end wrong (a probed pattern sees magnitudes 0.1 to 10 only).  A ``given`` pattern (the
    user's ``SolverOptions(pattern=)``) is warned about instead, a JacobianCheckWarning: an approximate
    Jacobian can be meant (Newton converges with one, slower), but a Rosenbrock step needs the exact one (a
    user's trial: rodas5p with one constant entry left out took 1115 steps for 49, with no word of it); True where it
    warned, for the solve's messages to name it (:func:`kernels.status_messages.suspect_note`)."""
    from .solvers.sparsity import missing_entries

    times = tuple(t0) if isinstance(t0, (tuple, list)) else (t0,)  # several: pattern_times
    for i, (y, p) in rows.items():
        try:
            missing = missing_entries(system, pattern, [(t, y, p) for t in times])
        except ConfigurationError:
            return  # not evaluable on the host: the pattern was not probed there either
        if missing:
            shown = ", ".join(map(str, missing[:6])) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
            if len(times) > 1:
                shown += f" (at t from {times[0]:.12g} to {times[-1]:.12g}: the rhs reads t)"
            # jacobian_pattern moves their zeros off 0 too
            points = [(t, y, p) for y, p in rows.values() for t in times]
            if given:
                warn_user(
                    f"the Jacobian pattern given as SolverOptions(pattern=) misses entries that are nonzero at "
                    f"trajectory {i}'s y0 and params (or once its components at 0 move off it): {shown}; the sparse "
                    f"LU leaves them out, so Newton converges "
                    f"slower and a Rosenbrock method (which needs the exact Jacobian) takes many more steps and can "
                    f"end outside its tolerances. This check sees the Jacobian at the initial states only, and a "
                    f"pattern must hold every entry that can become nonzero during the run (Robertson with the one "
                    f"entry named here added still lacked four: rodas4 34933 steps, 21 tolerances off, silently): "
                    f"take kernels.solvers.jacobian_pattern(system, points=[(t0, y_i, p_i)]) with trajectory {i}'s "
                    f"y0 and params rows (y0 and params themselves where one row serves all), which "
                    f"probes them with their components at 0 moved off 0 and random states too; ignore this if the "
                    f"pattern is approximate on purpose",
                    JacobianCheckWarning)
                return True
            raise PatternMissError(
                f"the sparse LU's Jacobian pattern, probed at random states and parameters of magnitude 0.1 to 10 "
                f"when this solver was built, misses entries that are nonzero at trajectory {i}'s y0 and params "
                f"(or once its components at 0 move off it): "
                f"{shown}; left out, they make the run crawl or end wrong. Build with the pattern at your "
                f"problem's magnitudes: solver={{'pattern': kernels.solvers.jacobian_pattern(system, points=[(t0, "
                f"y_i, p_i)])}} with trajectory {i}'s y0 and params rows (it probes them with their components "
                f"at 0 moved off 0 too; the error's .points hold the rows), "
                f"or solver='dense' (kernels.solve_ivp does this by itself)", points)


def warn_unstable_fixed_step(method, system, dt, t0, t_end, rows):
    """StabilityWarning, once, when ``dt`` makes an explicit ``method`` amplify a mode of the Jacobian that does not
    grow in the exact solution (:func:`kernels.step_stability.judge_fixed_step`), at the initial state of the batch's
    trajectories ``rows`` (trajectory -> ``(y0 row, params row)`` at :func:`probe_rows`'s rows; host arrays;
    systems the host follows, :func:`kernels.stiffness.follows_on_host`); returns the verdict on every row probed, a
    :class:`kernels.step_stability.UnstableStep` (None where no row is unstable, or none could be judged), for the
    messages of the result (the warning, said once, was lost in a dosing loop: a pharmacometrician's trial).
    A user's trial: rk4 at dt 0.05 on y' = -1000 (y - cos t) - sin t ended at -5.8e102 at t = 1 with success
    (finite: the non-finite stiffness hint never came); another: x'' = -1e6 x at dt 0.01, 7.8e262."""
    from .step_stability import UnstableStep, judge_fixed_step
    from .host_follow import follows_on_host

    if not follows_on_host(system):
        return None
    n_steps = math.ceil((t_end - t0) / dt)
    unstable, worst = [], None
    for row, (y, p) in rows.items():
        try:
            found = judge_fixed_step(system, method.tableau, float(t0), y, np.asarray(p, np.float64)[:system.n_params],
                                     float(dt), n_steps)
        except Exception:  # noqa: BLE001 - a model the host cannot evaluate there: no verdict
            return None
        if found is None:
            continue
        if worst is None or found.stable_dt < worst[1].stable_dt:
            worst = (row, found)
        unstable.append((int(row), float(found.stable_dt)))
    if not unstable:
        return None
    _warn_amplified(method, dt, *worst, amplified=len(unstable), probed=len(rows))
    return UnstableStep(float(dt), method.name, tuple(sorted(int(r) for r in rows)), tuple(unstable))


def _warn_amplified(method, dt, row, found, amplified=1, probed=1):
    """The StabilityWarning of :func:`warn_unstable_fixed_step` for trajectory ``row``'s mode ``found``, the one that
    needs the smallest dt of the ``amplified`` rows of the ``probed`` it amplifies (the first row's bound, told
    alone, did not hold for the batch: dt = 0.7 below trajectory 0's 0.781 still blew up a row that needed 0.26, a
    battery modeller's trial)."""
    lam = found.eigenvalue
    damping = f" (damping {-lam.real:.3g})" if lam.real < 0.0 else ""
    mode = (f"a decaying mode of rate {-lam.real:.3g}" if abs(lam.imag) <= 1e-9 * abs(lam) else
            f"an oscillation of frequency {abs(lam.imag):.3g}{damping}")
    limit = (f"dt must stay below about {found.stable_dt:.3g} for it" if found.stable_dt > 0 else
             f"no dt keeps it stable with {method.name}, whose stability region misses that direction (rk4 "
             "and dop853 reach along the imaginary axis)")
    if amplified > 1:
        limit += (f" ({amplified} of the {probed} trajectories checked at their initial states are beyond their stable "
                  f"step, and trajectory {row} needs the smallest; along a path the bound can fall further)")
    warn_user(f"dt = {dt:g} is beyond {method.name}'s stable step at the initial state of trajectory {row}: its "
              f"Jacobian has {mode}, which {method.name} multiplies by {found.factor:.3g} each step; {limit}. "
              "While that mode lasts the run amplifies it, and it can end finite but wrong with success "
              "reported (rk4 at dt 0.05 on y' = -1000 (y - cos t) - sin t: -5.8e102 at t = 1). Take a smaller "
              "dt, an adaptive "
              "controller, or for a stiff problem an implicit method (rodas5p, radau, kvaerno5).",
              StabilityWarning)


def probed_inputs(tag, y0, params, cost, budget):
    """``(rows, key)``: trajectory -> ``(y0 row, params row)`` at :func:`probe_rows`'s rows (``cost`` host
    right-hand sides a row of ``budget``), and the key that identifies them (with ``tag``) in a check's cache."""
    rows = {r: (row_of(y0, r), row_of(params, r)) for r in probe_rows(y0, params, cost, budget)}
    return rows, (tag, tuple((r, y.tobytes(), p.tobytes()) for r, (y, p) in rows.items()))


def remember_checked(cache, key, kept, value=True):
    """Record ``key`` (with ``value``, a check's verdict) in a bounded OrderedDict of inputs already checked (the
    oldest go past ``kept``)."""
    cache[key] = value
    if len(cache) > kept:
        cache.popitem(last=False)


def not_a_system(system):
    """The message for a ``system`` that is not an ODESystem: a bare rhs function is told how to build one."""
    name = getattr(system, "__name__", None) if callable(system) else None
    rhs = name if name and name.isidentifier() else "rhs"
    return (f"system must be an ODESystem; got {describe(system)}: build one from the right-hand side "
            f"{rhs}(t, y, p, dydt) with kernels.ODESystem({rhs}, n_states=..., n_params=...) (n_params: how many "
            "parameters p holds, 0 when none) and pass it instead")
