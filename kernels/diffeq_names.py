"""What a DifferentialEquations.jl (DiffEqGPU.jl), diffrax or torchdiffeq user types, and what it is here: messages.

A Julia user tries ``solve_ivp(..., adaptive=False)``, ``callback=``, ``saveat=``, ``Event(g, affect=...)`` and
``method="Rosenbrock23"`` first; Python's TypeError, or a list of every argument, did not say what to write
instead (a DiffEqGPU.jl user's trial).  A diffrax user tries its solver names, ``method="Dopri8"`` (told "did you
mean 'dopri5'?", a lower order) or ``"Midpoint"`` (told nothing: a diffrax user's trial), and a torchdiffeq user its
method strings, ``"adaptive_heun"`` or ``"implicit_adams"`` (told only the list of methods: a torch user's trial).
Each name maps to the argument or method to use, and a method that does not exist here to the closest one, said to
be the closest.  Nothing is aliased: the methods and options differ.  A symplectic integrator's name (leapfrog,
Verlet, Yoshida) is told that gauss4 is the symplectic method here (:func:`symplectic_method`).  diffrax's ``t0=`` and
``t1=`` are told to be ``t_span=(t0, t1)`` (:func:`span_keywords_refused`), where Python said only that ``t_span`` was
missing.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import re

from .errors import ConfigurationError, describe

__all__ = ["DIFFEQ_KEYWORDS", "DIFFEQ_ARGUMENTS", "DIFFEQ_METHODS", "DIFFRAX_METHODS", "DIFFRAX_SDE",
           "TORCHDIFFEQ_METHODS", "TORCHDIFFEQ_NAMES", "diffeq_keyword", "refuse_diffeq_keywords", "diffeq_method",
           "callback_arguments_refused", "symplectic_method", "span_keywords_refused"]

_RECIPE = ("a terminal event, then a new solve from result.event_y with the state changed on the host, from "
           "t = result.event_t (README, 'Summaries, counters and events', bounces a ball so)")

#: DifferentialEquations.jl's ``solve`` keywords that are not arguments here, and what to pass instead.
DIFFEQ_KEYWORDS = {
    "adaptive": "fixed steps are controller='fixed' with dt= the step (solve_ivp(..., controller='fixed', "
                "dt=0.01)); adaptive methods take adaptive steps by default",
    "callback": "events= takes kernels.Event(g, terminal=..., direction=...), g(t, y, p) the condition of a "
                f"ContinuousCallback; a callback that changes the state (affect!) is {_RECIPE}",
    "saveat": "pass the save times as t_eval= (inside t_span, hit exactly)",
    "abstol": "use atol=", "reltol": "use rtol=", "dtmax": "use dt_max=", "dtmin": "use dt_min=",
    "maxiters": "use max_steps= (attempted steps per trajectory)",
    "trajectories": "the batch is the rows of y0 and params: pass y0 of shape (N, n_states) or params of shape "
                    "(N, n_params) for N trajectories",
    "save_everystep": "states are saved only at t_eval: pass the times you need there",
    "dense": "there is no dense output: pass the times you need as t_eval=",
    "alg": "the method is method=, a name such as 'tsit5'",
    "ensemblealg": "every batch runs one trajectory per GPU thread (as EnsembleGPUKernel): drop it",
    "save_start": "states are saved only at t_eval: put t_span[0] in t_eval to save the start (it is "
                  "result.y[:, 0] then)",
    "save_end": "states are saved only at t_eval: put t_span[1] in t_eval to save the end",
}

#: DifferentialEquations.jl's names of ``solve_ivp``'s arguments (``ODEProblem(f, u0, tspan, p)``): refused with the
#: name to use, where Python's TypeError said only that ``t_span`` or ``y0`` was missing (a Julia user's trial).
DIFFEQ_ARGUMENTS = {"tspan": "t_span", "u0": "y0", "p": "params"}

_CALLBACK_OPTIONS = ("rootfind", "save_positions", "interp_points", "abstol", "reltol", "idxs", "initialize",
                     "finalize")


def diffeq_keyword(name):
    """The ConfigurationError for keyword ``name`` when it is one of :data:`DIFFEQ_KEYWORDS`, else None."""
    hint = DIFFEQ_KEYWORDS.get(name)
    if hint is None:
        return None
    return ConfigurationError(f"unexpected keyword argument {name!r} (DifferentialEquations.jl's): {hint}")


def refuse_diffeq_keywords(keywords):
    """Raise :func:`diffeq_keyword`'s error for the first of ``keywords`` (names) that is DifferentialEquations.jl's."""
    for name in keywords:
        error = diffeq_keyword(name)
        if error is not None:
            raise error


def span_keywords_refused(function):
    """Decorate ``solve_ivp`` or ``Integrator.solve`` so that DifferentialEquations.jl's ``tspan=``, ``u0=`` and
    ``p=`` (:data:`DIFFEQ_ARGUMENTS`) name the argument to use, and diffrax's ``t0=`` and ``t1=``
    (``diffeqsolve(terms, solver, t0, t1, dt0, y0)``) raise a ConfigurationError saying that the span is
    ``t_span=(t0, t1)``, where Python's TypeError said only that ``t_span`` was missing (a diffrax user's trial),
    or, beside a ``t_span``, that it gives the span already.  Calls without them run as they are."""
    position = list(inspect.signature(function).parameters).index("t_span")

    @functools.wraps(function)
    def checked(*args, **kwargs):
        for name in DIFFEQ_ARGUMENTS:
            if name in kwargs:
                raise ConfigurationError(f"unexpected keyword argument {name!r} (DifferentialEquations.jl's "
                                         f"ODEProblem(f, u0, tspan, p)): use {DIFFEQ_ARGUMENTS[name]}=")
        if "t0" in kwargs or "t1" in kwargs:
            given = kwargs["t_span"] if "t_span" in kwargs else args[position] if len(args) > position else None
            raise ConfigurationError(_span_words(kwargs, given, len(args) > position or "t_span" in kwargs))
        return function(*args, **kwargs)

    return checked


def _span_words(kwargs, span, spanned):
    """The message for diffrax's ``t0=``/``t1=`` in ``kwargs``; ``spanned``: a ``t_span`` was given too (``span``)."""
    names = [name for name in ("t0", "t1") if name in kwargs]
    keywords = " and ".join(f"{name}={describe(kwargs[name])}" for name in names)
    head = f"unexpected keyword argument{'s' if len(names) > 1 else ''} {keywords} (diffrax's): the span here is one " \
           "argument, t_span=(t0, t1)"
    if spanned:
        return f"{head}, given as {describe(span)} too: drop {' and '.join(f'{n}=' for n in names)}, and put the " \
               "span you mean in t_span"
    ends = (describe(kwargs["t0"]) if "t0" in kwargs else "t0", describe(kwargs["t1"]) if "t1" in kwargs else "t1")
    missing = "" if len(names) == 2 else " with t1 the end" if "t0" in kwargs else " with t0 the start"
    return f"{head}: pass t_span=({ends[0]}, {ends[1]}){missing}"


def callback_arguments_refused(cls):
    """Class decorator of :class:`kernels.Event`: DiffEq's callback arguments (``affect=``, ``affect!`` given as the
    second argument, ``rootfind=`` ...) raise a ConfigurationError saying what to do here, where the dataclass's
    ``__init__`` raised a bare TypeError."""
    init = cls.__init__

    @functools.wraps(init)
    def checked(self, *args, **kwargs):
        _refuse_callback_arguments(args, kwargs)
        init(self, *args, **kwargs)

    cls.__init__ = checked
    return cls


def _refuse_callback_arguments(args, kwargs):
    """ConfigurationError for an Event's arguments ``args`` (after ``function``'s) and ``kwargs`` that are not
    ``function``, ``terminal`` and ``direction``."""
    if any(name.startswith("affect") for name in kwargs) or any(callable(a) for a in args[1:]):
        raise ConfigurationError(f"Event takes no affect function: an event here detects a crossing and, when "
                                 f"terminal, stops the trajectory there; it does not change the state. For "
                                 f"DiffEq's ContinuousCallback(condition, affect!) use {_RECIPE}")
    unknown = [name for name in kwargs if name not in ("function", "terminal", "direction")]
    if not unknown:
        return
    name = unknown[0]
    if name in _CALLBACK_OPTIONS:
        hint = (f"{name!r} is a DifferentialEquations.jl callback option with no counterpart here (a terminal "
                "event's crossing is located to the solution's accuracy)")
    else:
        close = difflib.get_close_matches(name, ["function", "terminal", "direction"], n=1)
        hint = f"did you mean {close[0]!r}?" if close else "an Event has no such argument"
    raise ConfigurationError(f"Event(function, terminal=False, direction=0) got the keyword {name!r}: {hint}")


_SAME = {"dp5": "dopri5", "dp8": "dop853", "impliciteuler": "backward_euler", "radauiia5": "radau"}

_ROSENBROCK23 = ("'ros3p', a Rosenbrock method of order 3 (Rosenbrock23 is a Rosenbrock-W method of order 2(3)); "
                 "its error estimate is blind on linear problems, so for adaptive steps take 'rodas4' or 'rodas5p'")
_KENCARP4 = ("'kvaerno5', an L-stable ESDIRK of order 5(4) (KenCarp4 is an L-stable ESDIRK of order 4(3)), or "
             "'sdirk4', an L-stable SDIRK of order 4(3); there is no additive (IMEX) splitting here: all of rhs is "
             "implicit")

#: DifferentialEquations.jl's methods that do not exist here, and the closest here (said to be the closest).  A
#: near spelling (Rodas5, Rodas4P) is left to the fuzzy "did you mean" of :func:`kernels.methods.get_method`.
DIFFEQ_METHODS = {
    "rosenbrock23": _ROSENBROCK23, "rosenbrock32": _ROSENBROCK23,
    "kencarp3": "'kvaerno3', an L-stable ESDIRK of order 3(2) as KenCarp3 is; there is no IMEX splitting here",
    "kencarp4": _KENCARP4, "kencarp47": _KENCARP4,
    "kencarp5": "'kvaerno5', an L-stable ESDIRK of order 5(4) as KenCarp5 is; there is no IMEX splitting here",
    "kencarp58": "'kvaerno5', an L-stable ESDIRK of order 5(4) as KenCarp58 is; there is no IMEX splitting here",
    "trbdf2": "'sdirk2', Alexander's L-stable SDIRK of order 2 (TR-BDF2 is an L-stable ESDIRK of order 2 whose "
              "first stage is the trapezoid rule)",
    "radauiia3": "'radau', Radau IIA of order 5 (RadauIIA3 is its 2-stage form, of order 3)",
}


# diffrax's solvers (diffrax/_solver/__init__.py) that are the same method under another name here.  Its Euler, Heun,
# Tsit5, Dopri5, Kvaerno3, Kvaerno5, Vern9, Ros3p, Rodas4 and Rodas5p are names here too (case-insensitive); its
# Rodas5 is left to the fuzzy "did you mean 'rodas5p'", as DifferentialEquations.jl's is.
_DIFFRAX_SAME = {"bosh3": "bs3", "impliciteuler": "backward_euler", "alexander2": "sdirk2"}

_HEUN = "'heun', explicit, of order 2 with an embedded Euler estimate for adaptive steps"
_KENCARP = "'kvaerno{0}', an L-stable ESDIRK of order {0} as KenCarp{0} is; there is no IMEX splitting here"

#: diffrax's solvers that do not exist here (lower case), and the closest here (said to be the closest).
DIFFRAX_METHODS = {
    "dopri8": "'dop853', Hairer's explicit 8(5,3) pair of 12 stages (Dopri8 is Prince and Dormand's 8(7) pair of 13 "
              "stages)",
    "midpoint": f"{_HEUN}, as the explicit midpoint method is ('rk4' for fixed steps of order 4)",
    "ralston": f"{_HEUN}, as Ralston's method is ('rk4' for fixed steps of order 4)",
    "reversibleheun": f"{_HEUN}, as ReversibleHeun is; nothing here is reversible (there is no adjoint pass)",
    "leapfrogmidpoint": f"{_HEUN} (LeapfrogMidpoint is of order 2, with fixed steps: controller='fixed', dt=...)",
    "kvaerno4": "'sdirk4', an L-stable SDIRK of order 4(3) (Kvaerno4 is an L-stable ESDIRK of order 4(3)), or "
                "'kvaerno5', of order 5(4)",
    "kencarp3": _KENCARP.format(3) + ": all of rhs is implicit",
    "kencarp4": _KENCARP4,
    "kencarp5": _KENCARP.format(5) + ": all of rhs is implicit",
    "sil3": "'kvaerno3', an L-stable ESDIRK of order 3(2) (Sil3 is an IMEX method of order 3); there is no IMEX "
            "splitting here: all of rhs is implicit",
    "semiimpliciteuler": "'gauss4', Gauss-Legendre of order 4, implicit and symplectic, with fixed steps "
                         "(controller='fixed', dt=...); there are no partitioned (y, v) methods here: the state is "
                         "one vector, positions then velocities",
}

#: diffrax's solvers of SDEs (lower case -> its spelling): there are no stochastic terms here.
DIFFRAX_SDE = {name.lower(): name for name in ("EulerHeun", "ItoMilstein", "StratonovichMilstein", "SEA", "SRA1",
                                                "ShARK", "GeneralShARK", "SlowRK", "SPaRK", "ALIGN", "QUICSORT",
                                                "ShOULD")}


#: torchdiffeq's method strings (torchdiffeq/_impl/odeint.py, SOLVERS), spelt as it spells them; dopri5, euler and rk4
#: are names here too (its rk4 is the 3/8 rule, of order 4 as the classical one here is).
TORCHDIFFEQ_NAMES = frozenset({"dopri8", "dopri5", "bosh3", "fehlberg2", "adaptive_heun", "euler", "midpoint", "heun2",
                               "heun3", "rk4", "explicit_adams", "implicit_adams", "fixed_adams", "scipy_solver"})

# torchdiffeq's methods that are the same method under another name here (its bosh3 is diffrax's Bosh3, above)
_TORCHDIFFEQ_SAME = {"adaptive_heun": "heun", "heun2": "heun"}

#: How torchdiffeq's fixed-grid methods (options=dict(step_size=...)) take fixed steps here.
_FIXED = "controller='fixed' and dt= for fixed steps (torchdiffeq's options=dict(step_size=...))"
_MULTISTEP = "multistep methods (Adams) are not offered here, only one-step Runge-Kutta methods"

#: torchdiffeq's methods that do not exist here, and the closest here (said to be the closest); its dopri8 and
#: midpoint are diffrax's too (:data:`DIFFRAX_METHODS`).
TORCHDIFFEQ_METHODS = {
    "fehlberg2": "'heun', explicit of order 2 with an embedded order-1 estimate, as Fehlberg's 2(1) pair is ('bs3' for "
                 "a 3(2) pair)",
    "heun3": f"'bs3', explicit of order 3 as Heun's third-order method is, with {_FIXED}",
    "explicit_adams": f"'tsit5' (adaptive steps) or 'rk4' with {_FIXED}: {_MULTISTEP}",
    "implicit_adams": f"'tsit5' for a non-stiff problem, which Adams-Bashforth-Moulton (a predictor-corrector) is "
                      f"meant for ('rk4' with {_FIXED}), or 'rodas5p' or 'kvaerno5' for a stiff one: {_MULTISTEP}",
    "scipy_solver": "whichever method here matches the SciPy solver it wraps (options=dict(solver=...)): 'dopri5' or "
                    "'tsit5' for 'RK45', 'bs3' for 'RK23', 'dop853' for 'DOP853', 'radau' for 'Radau', and 'rodas5p' "
                    "or 'radau' for 'BDF' and 'LSODA'",
}
TORCHDIFFEQ_METHODS["fixed_adams"] = TORCHDIFFEQ_METHODS["implicit_adams"]  # torchdiffeq's older name of it


def _torchdiffeq_fixed(name, same):
    """What to add where torchdiffeq's fixed-grid ``name`` is the adaptive method ``same`` here: how to take fixed
    steps (its heun2 is 'heun', adaptive by default here); '' otherwise."""
    return f", with {_FIXED}" if name == "heun2" and same == "heun" else ""


def diffeq_method(name, methods):
    """What to pass for the DifferentialEquations.jl, DiffEqGPU.jl, diffrax or torchdiffeq method ``name``
    (``"GPUTsit5"``, ``"Rosenbrock23"``, ``"Dopri8"``, ``"implicit_adams"``) when it is not a name of ``methods``
    itself, as a sentence; None for other names.  A name of both (KenCarp4, ImplicitEuler) says whose it is: both.
    A name of diffrax and torchdiffeq is said to be the one whose spelling it has (``"Bosh3"`` diffrax's class,
    ``"bosh3"`` torchdiffeq's string)."""
    key = name.strip().lower()
    bare = key.removeprefix("gpu")
    julia = bare in methods or bare in _SAME or bare in DIFFEQ_METHODS
    in_diffrax, spelt_torch = key in _DIFFRAX_SAME or key in DIFFRAX_METHODS, name.strip() in TORCHDIFFEQ_NAMES
    torch = key in _TORCHDIFFEQ_SAME or key in TORCHDIFFEQ_METHODS or (in_diffrax and spelt_torch)
    diffrax = in_diffrax and not spelt_torch
    whose = ("DiffEqGPU.jl's" if bare != key else
             " and ".join(n for n, given in (("DifferentialEquations.jl's", julia), ("diffrax's", diffrax),
                                             ("torchdiffeq's", torch)) if given))
    same = bare if bare in methods else _SAME.get(bare) or (
        (_DIFFRAX_SAME.get(key) or _TORCHDIFFEQ_SAME.get(key)) if bare == key else None)
    if same is not None:
        return (f"method {name!r} is {whose} name of the method called {same!r} here: pass method={same!r}"
                f"{_torchdiffeq_fixed(key, same)}")
    if key in DIFFRAX_SDE:
        return (f"method {name!r} is diffrax's solver of SDEs, and there are no stochastic terms here (ODEs only): for "
                "the drift alone pass 'tsit5' (adaptive steps) or 'rk4' (fixed steps)")
    closest = DIFFEQ_METHODS.get(bare) or (DIFFRAX_METHODS.get(key) or TORCHDIFFEQ_METHODS.get(key)
                                           if bare == key else None)
    if closest is not None:
        return f"method {name!r} is {whose}, and there is no such method here: the closest is {closest}"
    return None


#: Names of explicit symplectic (partitioned, position-velocity) integrators, lower case without ``_``, ``-`` or
#: spaces: leapfrog and (velocity) Stormer-Verlet, Yoshida's, Forest-Ruth's, PEFRL and Omelyan's compositions, and
#: DifferentialEquations.jl's SymplecticEuler, McAte2..8, Ruth3, CalvoSanz4, KahanLi6/8 and SofSpa10.
_SYMPLECTIC = re.compile(r"(velocity)?(leapfrog|verlet|st[o\u00f6]rmer)\w*|symplectic\w*|yoshida\d*|forestruth|ruth\d*|"
                         r"pefrl|omelyan\w*|mcate\d*|calvosanz\d*|kahanli\d*|sofspa\d*|mclachlan\w*")


def symplectic_method(name):
    """What to use for the symplectic integrator ``name`` ("leapfrog", "verlet", "yoshida", "stormer",
    "symplectic"), as a sentence; None for other names.  None is offered here, and a Hamiltonian physicist asking
    for one was shown only the list of methods, which does not say that gauss4 is symplectic (a physicist's
    trial)."""
    key = re.sub(r"[\s_\-]", "", str(name).strip().lower())
    if not _SYMPLECTIC.fullmatch(key):
        return None
    return (f"method {name!r} asks for a symplectic integrator, and no explicit symplectic (partitioned "
            "position-velocity) integrator is offered here: 'gauss4' (implicit Gauss-Legendre of order 4) is "
            "symplectic and keeps the energy error bounded over long spans at a fixed step (method='gauss4', "
            "controller='fixed', dt=...; fixed steps are its default; the state is one vector, positions then "
            "velocities); for short spans 'dop853' or 'vern9' at a tight rtol (1e-10 to 1e-12, with atol to match) "
            "keep the energy close, but their drift grows with the span")
