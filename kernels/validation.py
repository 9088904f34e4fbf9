"""Argument validation for the host API: one clear message per argument.

Each validator names the argument, what was expected and what was given
(SciPy's ``validate_tol`` style) and raises :class:`ConfigurationError`.  The time
arguments (span, save times, step bounds) are checked in :mod:`kernels.time_checks`.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from .batch_layout import TEXT, check_layout, is_pandas, sweep_hint
from .batch_scan import column_abs_max
from .errors import ConfigurationError, UnusedOptionWarning, describe, plain, warn_user
from .input_precision import warn_rounded_inputs

__all__ = ["as_precision", "as_real", "finite_float", "check_batch", "real_array", "reals_or_none", "check_positive",
           "check_int", "is_device_array", "as_device_array", "check_scale_out", "finite_rows", "check_progress",
           "unexpected_keyword", "refuse_traced", "refuse_autograd"]

_PRECISIONS = {np.dtype(np.float32): np.float32, np.dtype(np.float64): np.float64}


def as_precision(precision):
    """Return np.float32 or np.float64 for ``precision`` (a dtype-like)."""
    try:
        dtype = np.dtype(precision)
    except TypeError:
        dtype = None
    if dtype not in _PRECISIONS:
        raise ConfigurationError(f"precision must be np.float32 or np.float64; got {describe(precision)}")
    return _PRECISIONS[dtype]


# Never numbers, whatever float() or np.asarray make of them ("05" is 5.0, b"01" unpacks to 48 and 49).
_NOT_REAL = TEXT + (bool, np.bool_, complex, np.complexfloating)


def as_real(value, what="an argument"):
    """``value`` as a float when it is a real number (an int, a float or a NumPy one), else None; a JAX tracer is
    refused, naming ``what`` (:func:`refuse_traced`)."""
    kind = getattr(getattr(value, "dtype", None), "kind", "f")  # np.str_("1") and np.array("1") are text too
    if value is None or isinstance(value, _NOT_REAL) or kind not in "iuf":
        return None
    try:
        return float(value)
    except OverflowError:  # an int beyond float's range
        return math.inf if value > 0 else -math.inf
    except (TypeError, ValueError):
        refuse_traced(value, what)
        return None


def finite_float(value, what):
    """``value`` as a finite float, else a ConfigurationError naming ``what`` (not a real number, or inf or nan)."""
    out = as_real(value, what)
    if out is None:
        raise ConfigurationError(f"{what} must be a real number; got {describe(value)}")
    if not math.isfinite(out):
        raise ConfigurationError(f"{what} must be finite; got {out!r}")
    return out


def check_positive(value, what, allow_none=False):
    """A finite float > 0 (or None when allowed)."""
    if value is None and allow_none:
        return None
    out = finite_float(value, what)
    if not out > 0:
        raise ConfigurationError(f"{what} must be > 0; got {out!r}")
    return out


# Counts that a whole float (max_steps=1e6, the usual way to write a million) is taken for: the integer it holds.
_WHOLE_FLOATS = frozenset({"max_steps"})


def check_int(value, what, minimum):
    """An integer >= ``minimum``; for the counts of :data:`_WHOLE_FLOATS`, a float holding a whole number too
    (max_steps=1e6 was refused: a mechanical engineer's trial), never 1.5, nan, inf or a bool."""
    number = value
    if what in _WHOLE_FLOATS and isinstance(value, (float, np.floating)) and float(value).is_integer():
        number = int(value)
    if isinstance(number, (bool, np.bool_)) or not isinstance(number, (int, np.integer)) or number < minimum:
        raise ConfigurationError(f"{what} must be an integer >= {minimum}; got {describe(value)}"
                                 f"{_int_remedy(what) if value is None else ''}")
    return int(number)


def _int_remedy(what):
    """What to pass for ``max_steps``, whose None (diffrax's "no limit") a trajectory's loop cannot take: it needs a
    bound so that a stuck trajectory ends with MAX_STEPS (a diffrax user's trial got no value to try)."""
    if what != "max_steps":
        return ""
    from .integrator import DEFAULT_MAX_STEPS  # here, not at the top: the integrator imports this module
    return (f": for no practical limit pass a large integer (the loop counts in int32, so 2**31 - 1 = 2147483647 is "
            f"the most that counts: a larger one is capped there); the default is {DEFAULT_MAX_STEPS}")


def is_device_array(value) -> bool:
    """True for Numba device arrays and objects with ``__cuda_array_interface__``."""
    if isinstance(value, np.ndarray):
        return False
    devicearray = sys.modules.get("numba.cuda.cudadrv.devicearray")  # the simulator's stand-in there
    if devicearray is None:
        from numba.cuda.cudadrv import devicearray
    return devicearray.is_cuda_ndarray(value) or hasattr(value, "__cuda_array_interface__")


def as_device_array(value, what="the array"):
    """A Numba view of a device array (no copy); another ``__cuda_array_interface__`` object only on a GPU
    (the simulator has no ``cuda.as_cuda_array``: a ConfigurationError naming ``what`` says what it takes)."""
    from numba import cuda
    from numba.cuda.cudadrv import devicearray

    if devicearray.is_cuda_ndarray(value):
        return value
    if not hasattr(cuda, "as_cuda_array"):
        raise ConfigurationError(
            f"{what} must be a NumPy array or a list of real numbers, or a Numba CUDA device array "
            f"(numba.cuda.to_device(x)); got a {type(value).__name__} with __cuda_array_interface__, which Numba's "
            "CUDA simulator cannot read: pass it as a NumPy array")
    return cuda.as_cuda_array(value)


def real_array(value, what):
    """``value`` as a NumPy array of real numbers (integers or floats; an object array of numbers becomes
    float64), else a ConfigurationError naming ``what``: complex numbers, text and booleans are refused."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        arr = None
    except RuntimeError:  # torch's tensor that requires grad
        refuse_autograd(value, what)
        raise
    if arr is not None and arr.dtype.kind == "c":
        raise ConfigurationError(f"{what} must be an array of real numbers; got complex values: solve a complex "
                                 "system as its real and imaginary parts (twice the states, all real)")
    if arr is not None and arr.dtype.kind == "O":  # a list of numbers of mixed types, say
        for index, item in np.ndenumerate(arr):  # None would become nan, True 1.0: name them instead
            if item is None or isinstance(item, (bool, np.bool_, str, bytes, complex, np.complexfloating)):
                raise ConfigurationError(f"{what} must be an array of real numbers; found {item!r} (not a real "
                                         f"number) at index {tuple(int(i) for i in index)}")
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            arr = None
    if arr is not None and arr.dtype.kind == "b" and what.isidentifier():
        fix = f"{what}.astype(float)" if isinstance(value, np.ndarray) else f"np.asarray({what}, dtype=float)"
        raise ConfigurationError(f"{what} must be an array of real numbers; got booleans ({describe(value)}): "
                                 f"pass {fix} to give them as 0.0 and 1.0")
    if arr is None or arr.dtype.kind not in "iuf":
        refuse_traced(value, what)
        raise ConfigurationError(f"{what} must be an array of real numbers; got {describe(value)}")
    return arr


def is_traced(value) -> bool:
    """True for a JAX tracer (the stand-in for an array inside ``jax.jit``, ``jax.grad`` or ``jax.vmap``), told by
    its type's module and name, so that JAX is never imported for it."""
    kind = type(value)
    return kind.__module__.startswith("jax") and "Tracer" in kind.__name__


def _items(value):
    """``value``, or its items and its rows' items where it is a tuple or list (read on failures only)."""
    return [x for item in (value if isinstance(value, (tuple, list)) else (value,))
            for x in (item if isinstance(item, (tuple, list)) else (item,))]


def refuse_autograd(value, what, items=True):
    """ConfigurationError where ``value`` (with ``items``, or an item of it: :func:`_items`) is a tensor that
    requires grad, told by ``requires_grad`` (torch is not imported): torch's own RuntimeError from NumPy's
    conversion, "Use tensor.detach().numpy()", said nothing of gradients here (a torchdiffeq user's trial)."""
    tensor = next((x for x in (_items(value) if items else [value]) if getattr(x, "requires_grad", 0) is True), None)
    if tensor is not None:
        fix = f"{what}.detach()" if tensor is value else f"each tensor's .detach() (torch.stack({what}).detach())"
        raise ConfigurationError(
            f"{what} {'is' if tensor is value else 'holds'} a tensor that requires grad ({type(tensor).__name__}): "
            "solve_ivp runs compiled CUDA kernels outside autograd, so there are no gradients or adjoint here and "
            f"the result carries no autograd graph; pass {fix}, its values only, and for a fit use a gradient-free "
            "optimiser or differences over a batch of perturbed params rows (README, 'Coming from torchdiffeq')")


def refuse_traced(value, what):
    """ConfigurationError where ``value``, or an item of it (a tuple or list), is a JAX tracer: NumPy cannot read
    it, and the refusal said "must be an array of real numbers" of a float32 array (a diffrax user's jax.grad)."""
    traced = next((item for item in _items(value) if is_traced(item)), None)
    if traced is None:
        return
    raise ConfigurationError(
        f"{what} {'is' if traced is value else 'holds'} a JAX tracer ({type(traced).__name__}): solve_ivp runs "
        "compiled CUDA kernels outside JAX's tracing, so it cannot be jit-compiled or differentiated by JAX (no "
        "adjoint or sensitivities here) nor vmapped (a batch is rows of y0 and params); call it outside "
        "jax.jit/grad/vmap with concrete arrays")


def reals_or_none(value, what):
    """:func:`real_array` of ``value`` in float64, or None where it refuses it (None, text, booleans, complex):
    for callers that word their own message.  A JAX tracer is refused all the same (:func:`refuse_traced`)."""
    try:
        return real_array(value, what).astype(np.float64)
    except ConfigurationError:
        refuse_traced(value, what)
        return None


def check_batch(value, what, width, n_traj, dtype, name_width, other=None, rows_hint=None):
    """Validate a per-trajectory 2-D input; return ``(array, n_traj)``.

    Host arrays of shape ``(width,)`` become one row ``(1, width)`` that every
    trajectory reads (the kernel reads row 0 of a one-row input), converted to ``dtype``; device arrays must already be
    ``(n_traj, width)`` of ``dtype`` (they are used in place, not copied).  ``other``: ``(name, width)`` of the 2-D
    input that set ``n_traj``, for the message of a mismatch in rows.  ``rows_hint``: the rows of another input
    not checked yet, which only a message reads (whether a wrongly shaped input is SciPy's column orientation).
    """
    refuse_autograd(value, what, items=False)  # a CUDA tensor that requires grad raises in is_device_array
    if is_device_array(value):
        arr = as_device_array(value, what)
        if arr.ndim != 2 or arr.shape[1] != width or (n_traj is not None and arr.shape[0] != n_traj):
            rows = "N" if n_traj is None else n_traj
            raise ConfigurationError(
                f"{what} must have shape ({rows}, {width}) ({name_width}); got device array of shape {arr.shape}")
        if arr.dtype != np.dtype(dtype):
            raise ConfigurationError(
                f"{what} on the device must have dtype {np.dtype(dtype)} (the precision); got {arr.dtype}")
        _check_not_empty(arr, what)
        return arr, arr.shape[0]
    check_layout(value, what, width, name_width)
    arr = _scalar_as_row(real_array(value, what), what, width, name_width)
    shared_row = arr.ndim == 1 and arr.shape[0] == width
    if shared_row:  # one row for every trajectory: the kernel reads row 0 (nothing is materialised)
        arr = arr.reshape(1, width)
    rows = "N" if n_traj is None else n_traj
    if arr.ndim == 2 and arr.shape[1] == width and n_traj is not None and arr.shape[0] not in (n_traj, 1):
        name, other_width = other or ("params", None)
        shared = (f"{name} as the 1-D row of shape ({other_width},) that every trajectory shares (a 2-D {name} "
                  f"of one row is a batch of one)") if n_traj == 1 and other_width is not None else (
            f"{what} as the 1-D row of shape ({width},) that every trajectory shares")
        raise ConfigurationError(
            f"{what} has {arr.shape[0]} rows (trajectories) and {name} {n_traj}: give both one row per "
            f"trajectory, or {shared}")
    if arr.ndim != 2 or arr.shape[1] != width or (n_traj is not None and arr.shape[0] != n_traj
                                                  and not shared_row):
        raise ConfigurationError(
            f"{what} must have shape ({rows}, {width}) or ({width},) ({name_width}); got shape {arr.shape}"
            + (sweep_hint(arr.shape, what, width, n_traj if n_traj is not None else rows_hint,
                          isinstance(value, (list, tuple)), values=arr) or _stacked_hint(arr.shape, what, width)))
    _check_not_empty(arr, what)
    out = finite_rows(arr, what, dtype, labels=_frame_labels(value))
    warn_rounded_inputs(arr[0] if shared_row else arr, what, dtype)  # (indexed as given)
    return out, (n_traj or 1) if shared_row else arr.shape[0]


def _scalar_as_row(arr, what, width, name_width):
    """A 0-d ``arr`` (one number) as the one row ``(1,)`` of a system with one column, as SciPy's ``args=(10.0,)``
    and ``y0=1.0`` users write it (both were refused "must have shape (2, 1) or (1,)"); refused with a remedy
    where the system has more columns (or none)."""
    if arr.ndim != 0:
        return arr
    if width == 1:
        return arr.reshape(1)
    noun = "parameter" if what == "params" else "state"
    has = (f"no {noun}s: leave {what} out" if width == 0 else f"{width} {noun}s: pass a list of {width} values "
           f"({name_width} = {width}), one per {noun}, or one row of them per trajectory")
    raise ConfigurationError(f"{what} is one number ({plain(arr[()])!r}) and the system has {has}")


def _stacked_hint(shape, what, width):
    """How an input of 3 or more dims (a matrix per trajectory, (N, 16, 16)) becomes rows: flattened in C order,
    the other values appended where it holds fewer than ``width`` (contact matrices got no hint: a user's trial)."""
    if len(shape) < 3:
        return ""
    n, size, flat = shape[0], math.prod(shape[1:]), f"np.reshape({what}, ({shape[0]}, -1))"
    letter, noun = ("p", "parameter") if what == "params" else ("y", "state")
    index = f", {letter}[i*{shape[2]} + j] = {what}[n, i, j]" if len(shape) == 3 else ""
    hint = (f": a {len(shape)}-D {what} is one row per trajectory flattened, {flat}, which lays out each trajectory's "
            f"{'x'.join(map(str, shape[1:]))} values in C (row-major) order{index}; that is {size} values")
    if size < width:
        more = width - size
        return (f"{hint}, and the system has {width}: append the {more} other {noun}{'s' * (more > 1)} in the order "
                f"the rhs reads them, np.hstack([{flat}, rest]) with rest of shape ({n}, {more}) if they come after "
                "the matrix")
    return hint + (f", as many as the system has: pass {flat}" if size == width else
                   f", more than the system's {width}")


def _check_not_empty(arr, what):
    """The same refusal of an empty batch for host and device arrays."""
    if arr.shape[0] == 0:
        raise ConfigurationError(f"{what} must hold at least one trajectory; got shape {tuple(arr.shape)}")


def finite_rows(arr, what, dtype, first_row=0, remedy=None, labels=None):
    """The 2-D host array ``arr`` as a contiguous array of ``dtype``, refused when a value is not finite there.

    One conversion (none when the caller already passes contiguous arrays of the precision), then the
    finiteness check in the precision itself, so values that overflow it are caught too.  The index the
    message names counts rows from ``first_row`` (a distributed chunk's first row in its batch).  Rows are
    trajectories, and the message says how to drop the bad ones, unless ``remedy`` gives other advice; a finite
    value beyond float32's range is named so, with precision=np.float64 first
    (:func:`kernels.batch_inputs.not_finite_message`).  ``labels``: ``(row labels or None, column labels)`` of the
    pandas input ``arr`` came from (:func:`_frame_labels`), whose labels the message names instead of positions.
    """
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(arr, dtype=dtype)
    if not np.isfinite(column_abs_max(out)).all():  # one fast pass; NaN and inf reach the column maxima
        from .batch_inputs import not_finite_message  # (it imports this module)

        raise ConfigurationError(not_finite_message(arr, out, what, dtype, first_row, remedy, labels))
    if np.dtype(dtype) == np.float32 and np.asarray(arr).dtype != np.float32:
        _refuse_flushed(arr, out, what, first_row)
    return out


def _frame_labels(value):
    """``(row labels, column labels)`` of a DataFrame ``value`` (a solve's y0 or params, in the system's order), or
    ``(None, index labels)`` of a Series (one shared row); None for anything else, whose positions a message names."""
    if is_pandas(value, "DataFrame"):
        return list(value.index), list(value.columns)
    if is_pandas(value):
        return None, list(value.index)
    return None


def _refuse_flushed(arr, out, what, first_row):
    """Refuse a nonzero value that float32 rounds to 0 (below 1.4e-45): an invader at 1e-50 went extinct in float32
    with success and no word, where float64 grew it to 1 (a user's trial).  A negligible value (a nuclear rate of
    1e-110 per second, which no float32 units could hold beside one of 1e4) is for the user to pass as 0: the
    message says so, as no rescaling helps there (a nuclear astrophysicist's trial)."""
    original = np.asarray(arr, dtype=np.float64)
    lost = (original != 0.0) & (out == 0.0)
    if lost.any():
        bad = tuple(int(i) for i in np.argwhere(lost)[0])
        where = (bad[0] + int(first_row),) + bad[1:] if len(bad) > 1 else bad[0] + int(first_row)
        raise ConfigurationError(
            f"{what} holds {float(original[bad])!r} at index {where}, smaller in magnitude than float32's smallest "
            "number (1.4e-45): it would become 0, which changes the model (a population at 1e-50 that should grow "
            "would stay extinct); rescale it (units where it is above 1e-38) or use precision=np.float64, or, where "
            "it is negligible over the run (a rate of 1e-110 per second whose rate times the span is far below "
            "float32's 6e-8), pass 0 for it yourself")


def check_progress(progress):
    """``progress`` as True, False or None (a NumPy boolean is a bool); anything else is refused."""
    if progress is None or isinstance(progress, (bool, np.bool_)):
        return None if progress is None else bool(progress)
    raise ConfigurationError(f"progress must be True (a progress line on stderr), False (none) or None (the "
                             "default: a line on the simulator once a run takes a few seconds); got "
                             f"{describe(progress)}")


def warn_unused_solver(solver, method, implicit_methods):
    """Warn when ``solver`` is given to an explicit method, which solves no linear systems."""
    if solver is not None:
        given = repr(solver) if isinstance(solver, str) else describe(solver)
        warn_user(f"solver={given} has no effect on this run: method {method!r} is explicit, and solver= sets "
                      f"the Newton and linear solvers of implicit methods only ({implicit_methods}, ...); drop "
                      "solver=, or use an implicit method", UnusedOptionWarning)


def _unused_solver_options(options, family):
    """``(field, why)`` for each field of SolverOptions ``options`` set away from its default that an implicit
    method of ``family`` (``"dirk"``, ``"firk"``, ``"rosenbrock"``) does not read with its linear solver."""
    import dataclasses

    default = type(options)()
    changed = [f.name for f in dataclasses.fields(options) if getattr(options, f.name) != getattr(default, f.name)]
    krylov = options.linear in ("gmres", "bicgstab")
    why = {"coupled": None if family == "firk" else "it sets how a fully implicit method (radau, gauss4) solves "
                                                    "its coupled stages",
           "newton_iterations": "a Rosenbrock method has no Newton iteration (one linear solve a stage)"
           if family == "rosenbrock" else None,
           "restart": None if options.linear == "gmres" else "it is GMRES's Krylov vectors per cycle, and the "
                                                            f"linear solver is {options.linear!r}",
           "krylov_tolerance": None if krylov else "it is the Krylov solvers' (gmres, bicgstab) tolerance, and "
                                                   f"the linear solver is {options.linear!r}",
           "preconditioned": None if krylov else "it preconditions the Krylov solvers (gmres, bicgstab), and the "
                                                 f"linear solver is {options.linear!r}",
           "pattern": "it is the sparse LU's pattern, and the linear solver is a matrix-free "
                      f"{options.linear!r}" if krylov else None,
           "reuse_factor": None if family == "firk" else "it keeps a fully implicit method's (radau, gauss4) "
                                                          "factors from one step to the next"}
    why["kappa"] = why["newton_iterations"] and "a Rosenbrock method has no Newton iteration to stop"
    return [(name, why[name]) for name in changed if why.get(name)]


def warn_unused_solver_options(options, method, family):
    """Warn about SolverOptions fields that the implicit ``method`` of ``family`` does not read (one warning)."""
    unused = _unused_solver_options(options, family)
    if unused:
        given = ", ".join(f"{name}={getattr(options, name)!r}" for name, _ in unused)
        reasons = "; ".join(f"{name}: {why}" for name, why in unused)
        warn_user(f"solver option{'s' if len(unused) > 1 else ''} {given} {'have' if len(unused) > 1 else 'has'} "
                      f"no effect with method {method!r} ({reasons}); drop {'them' if len(unused) > 1 else 'it'}",
                      UnusedOptionWarning)


# SciPy's solve_ivp keywords with another name here (or none), for the message of an unknown keyword.
_SCIPY_NAMES = {"max_step": "use dt_max=", "min_step": "use dt_min=",
                "first_step": "use dt= with the controller named (dt=..., controller='pi': dt is then the first step)",
                "args": "pass the parameters as params= (one row per trajectory)",
                "dense_output": "there is no dense output: pass the times you need as t_eval=",
                "vectorized": "the right-hand side is compiled per trajectory: drop it",
                "jac": "give the Jacobian to the system: kernels.ODESystem(rhs, n, jac=...)"}
_SCIPY_NAMES.update(dict.fromkeys(("jac_sparsity", "lband", "uband"), (
    "solver='lu' finds the Jacobian's pattern itself (banded or any other) and factors over it; to give one, "
    "pass solver=kernels.SolverOptions(pattern=...)")))


def unexpected_keyword(name, known, where, elsewhere=()):
    """The ConfigurationError for keyword ``name``, which ``where`` does not take: the callables of ``elsewhere``
    (``(label, names)`` pairs) that take it, else DifferentialEquations.jl's meaning of it
    (:func:`kernels.diffeq_names.diffeq_keyword`), else SciPy's, else the closest of ``known``."""
    import difflib

    from .diffeq_names import diffeq_keyword

    takers = [label for label, names in elsewhere if name in names]
    diffeq = None if takers else diffeq_keyword(name)
    if diffeq is not None:
        return diffeq
    if takers:
        hint = f"{name!r} is an argument of {' and '.join(takers)}, not of {where}"
    elif name in _SCIPY_NAMES:
        hint = f"{name!r} is SciPy's: {_SCIPY_NAMES[name]}"
    else:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"the arguments are {', '.join(known)}"
    return ConfigurationError(f"unexpected keyword argument {name!r}: {hint}")


def check_scale_out(options, solve_distributed):
    """Refuse keywords that are neither arguments nor options of the Dask path, naming the closest argument."""
    import inspect

    from .api import solve_ivp

    scale_out = [name for name, p in inspect.signature(solve_distributed).parameters.items()
                 if p.kind is p.KEYWORD_ONLY]
    unknown = [name for name in options if name not in scale_out]
    if not unknown:
        return
    known = list(dict.fromkeys(n for n in list(inspect.signature(solve_ivp).parameters) + scale_out
                               if not n.startswith("_") and n != "scale_out"))
    # an argument of solve_ivp that reaches **scale_out is one that Integrator.solve takes from the Integrator
    raise unexpected_keyword(unknown[0], known, "Integrator.solve",
                             [("kernels.Integrator(...) (or kernels.solve_ivp)", set(known) - set(scale_out))])


def defaulted_parameter(params, what, signature):
    """A ConfigurationError for a user function whose parameters (``inspect`` parameters) include one with a default
    value (``def rhs(t, y, p, dydt, A=A)``, ``lambda t, y, p, k=k: ...``: Python's idiom for binding a value),
    else None: device functions are called with exactly ``signature``, and the extra parameter was counted as
    one more argument, which read as the drivers' form (a user's trial)."""
    named = [p for p in params if p.default is not p.empty or p.kind is p.VAR_KEYWORD]
    if not named:
        return None
    if named[0].name in [name.strip() for name in signature.split(",")]:  # def rhs(t, y, p, dydt=None)
        return ConfigurationError(f"{what} gives its argument {named[0].name} a default value: device functions "
                                  f"are called with all of ({signature}); drop the default")
    if named[0].kind is named[0].VAR_KEYWORD:  # diffrax's cond_fn(t, y, args, **kwargs): no default to drop
        return ConfigurationError(f"{what} takes keyword arguments (**{named[0].name}): device functions are called "
                                  f"with exactly ({signature}) and cannot take **kwargs; drop it")
    shown = f"{named[0].name}=..."
    return ConfigurationError(
        f"{what} has a parameter with a default value ({shown}): device functions are called with "
        f"exactly ({signature}), so bind the value in a closure instead (def make({named[0].name}): def "
        f"{what.split()[-1]}({signature}): ...; return it), or read it as a module global or from params")

