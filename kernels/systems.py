"""ODE systems: a Python right-hand side compiled as a CUDA device function.

Contract of a right-hand side (checked on construction)::

    rhs(t, y, p, dydt)          # n_drivers == 0
    rhs(t, y, p, u, dydt)       # n_drivers > 0: u holds the drivers at time t

``t`` is a float64 scalar, ``y`` (n_states), ``p`` (n_params), ``u``
(n_drivers) and ``dydt`` (n_states) are 1-D arrays of the working precision;
the function assigns every component of ``dydt`` (which is not zeroed) and
returns nothing.  It must be compilable by Numba CUDA (no Python objects, no
exceptions, no array allocation).  Observables follow the same contract with
``obs`` (n_observables) in place of ``dydt``.  The functions also run
unchanged on NumPy arrays, which is how :meth:`ODESystem.host_rhs` feeds SciPy
references.

Construction checks all of this (unless ``check=False``): the functions run
once on test arrays, must return None and must assign every output component,
and they are compiled to PTX (:mod:`kernels.compilecheck`, on any machine), so
a function that the simulator runs but a GPU cannot compile is refused at once.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping

import numpy as np
from numba import cuda

from . import compile_hints, compilecheck, complex_values
from .backend import device_problem
from .literals import in_precision
from .named_params import check_param_names
from .derivative_check import check_derivatives
from .errors import ConfigurationError, UnassignedOutputError, describe, state_text
from .frozen_values import FrozenValues
from .input_writes import refuse_input_writes
from .system_checks import (OTHER_STATES, UNWRITTEN, argument_arrays, calls_device_code, check_arity, check_jvp_runs,
                            cpu_jit_unwrapped, first_lines, index_hint, input_written, pickled_functions, signature,
                            refuse_index_fault, refuse_misplaced_functions, check_observables_elsewhere, unassigned,
                            unassigned_message, where)
from .construction_params import construction_params, derivative_point, params_note
from .user_faults import device_function, run_as_on_a_gpu
from .validation import check_int, reals_or_none

__all__ = ["ODESystem", "DeviceFunctions"]


_USER_FUNCTIONS = ("rhs", "observables", "jac", "jvp")  # the system's own functions (a pickle's by reference)


class ODESystem:
    """An ODE system ``dy/dt = f(t, y, p[, u])`` for batch integration.

    Parameters
    ----------
    rhs : callable
        ``rhs(t, y, p, dydt)`` (or ``rhs(t, y, p, u, dydt)`` with drivers),
        a plain Python function that Numba CUDA can compile.
    n_states : int
        Number of state variables (>= 1).
    n_params : int, optional
        Number of parameters per trajectory (>= 0).
    name : str, optional
        Name used in messages and plan summaries.
    observables : callable, optional
        ``observables(t, y, p, obs)`` (or with ``u``), saved beside the state.
    n_observables : int, optional
        Number of observables; required > 0 with ``observables``.
    jvp : callable, optional
        Jacobian-vector product ``jvp(t, y, p, v, out)``, kept for implicit
        methods (explicit methods do not call it).
    jac : callable, optional
        Dense Jacobian ``jac(t, y, p, J)`` writing ``J[i * n_states + j] =
        d f_i / d y_j`` (flat, row-major), for implicit methods with a dense
        linear solver; without it they difference the right-hand side.
    n_drivers : int, optional
        Number of time-dependent forcing signals passed to ``rhs`` as ``u``.
    default_params : array_like, optional
        Parameters used when ``solve_ivp`` gets ``params=None``.
    literals : {"working", "as written"}, optional
        Precision of the float literals in the functions (default
        ``"working"``): each literal (``2.0`` in ``2.0 * y[0]``), and each
        Python float the function reads from its closure or module, becomes a
        constant of the working precision, so a float32 kernel has no hidden
        float64 arithmetic (:mod:`kernels.literals`; explicit casts such as
        ``np.float64(x)`` are kept); event functions of a solve follow the
        same setting.  ``"as written"`` compiles the functions unchanged,
        where Numba types every float literal as float64.
    param_names : sequence of str, optional
        The names of ``p[0], p[1], ...`` (n_params distinct, non-empty strings):
        a solve reads a pandas DataFrame's columns (a Series' entries) by them,
        other columns left out, not by position (:mod:`kernels.named_params`).
    check : bool, optional
        Check the functions now (default True): ``rhs``, ``observables`` and
        ``jac`` run once on test arrays, must return None and must assign every
        output component (``jac`` and ``jvp`` are compared with differences of
        ``rhs`` there); ``rhs``, ``observables`` and ``jvp`` must compile
        for CUDA (checked on any machine, see :mod:`kernels.compilecheck`;
        about a second for the first system of a process without a GPU,
        milliseconds for each new function after that).

    Raises
    ------
    ConfigurationError
        A count is not a non-negative integer, ``param_names`` are not n_params
        distinct non-empty strings, a function has the wrong number of
        arguments, fails to run, returns a value, leaves an output component
        unassigned, or does not compile for CUDA.

    Warns
    -----
    CompileCheckWarning
        The CUDA compiler is not installed, so compilation could not be checked.
    JacobianCheckWarning
        ``jac`` or ``jvp`` disagrees with central differences of ``rhs`` at the
        test arrays (systems without drivers, up to 256 states): a transposed
        or mistyped Jacobian, which Rosenbrock methods cannot tolerate.
    """

    def __init__(self, rhs, n_states, n_params=0, name=None, observables=None, n_observables=0,
                 jvp=None, n_drivers=0, default_params=None, check=True, jac=None, literals="working", param_names=None):
        refuse_misplaced_functions(n_params=n_params, name=name, n_observables=n_observables, n_drivers=n_drivers,
                                   default_params=default_params, check=check, literals=literals,
                                   param_names=param_names)
        if not isinstance(literals, str) or literals not in _LITERALS:
            raise ConfigurationError(f"literals must be one of {', '.join(map(repr, _LITERALS))}; got "
                                     f"{describe(literals)}: 'working' compiles float literals in the working "
                                     "precision, 'as written' leaves them float64")
        self.literals = literals
        self.n_states = check_int(n_states, "n_states", 1)
        self.n_params = check_int(n_params, "n_params", 0)
        self.n_observables = check_int(n_observables, "n_observables", 0)
        self.n_drivers = check_int(n_drivers, "n_drivers", 0)
        self.param_names = check_param_names(param_names, self.n_params)
        lead = ("t", "y", "p", "u") if self.n_drivers else ("t", "y", "p")
        rhs, observables, jvp, jac = (cpu_jit_unwrapped(f) for f in (rhs, observables, jvp, jac))
        check_arity(rhs, "rhs", len(lead) + 1, lead + ("dydt",), self.n_drivers,
                    sizes={"n_states": self.n_states, "n_params": self.n_params})
        if (observables is None) != (self.n_observables == 0):
            raise ConfigurationError(
                "observables and n_observables go together: give both (n_observables >= 1) or neither; "
                f"got observables={describe(observables)}, n_observables={self.n_observables}"
            )
        if observables is not None:
            check_arity(observables, "observables", len(lead) + 1, lead + ("obs",), self.n_drivers,
                        sizes={"n_states": self.n_states, "n_params": self.n_params, "n_outputs": self.n_observables})
        if jvp is not None:
            check_arity(jvp, "jvp", 5, ("t", "y", "p", "v", "out"), self.n_drivers, derivative=True)
        if jac is not None:
            check_arity(jac, "jac", 4, ("t", "y", "p", "J"), self.n_drivers, derivative=True)
        self.jac = jac
        self.rhs = rhs
        self.observables = observables
        self.jvp = jvp
        self.name = str(name) if name is not None else getattr(rhs, "__name__", "system")
        if default_params is not None:
            given = default_params
            default_params = reals_or_none(default_params, "default_params")
            if default_params is None or isinstance(given, Mapping):  # (a dict of names had become a 0-d object)
                raise ConfigurationError(
                    f"default_params must be {self.n_params} finite numbers, a list or array in the order the rhs "
                    f"reads p[0], p[1], ...; got {describe(given)}")
            if default_params.shape != (self.n_params,) or not np.all(np.isfinite(default_params)):
                raise ConfigurationError(
                    f"default_params must be {self.n_params} finite numbers; got {describe(default_params)}"
                )
            default_params.setflags(write=False)
        self.default_params = default_params
        self._compiled = set()  # precisions check_compiles has passed
        self._device = {}  # dtype name -> DeviceFunctions
        self._frozen = FrozenValues({"rhs": rhs, "observables": observables, "jac": jac, "jvp": jvp})
        # "jac" and/or "jvp" when the construction check found them off differences of rhs (JacobianCheckWarning)
        self.derivatives_disagree = ()
        if check:
            self._check_runs()
            self._check_compiles_anywhere()

    def __repr__(self):
        return (f"ODESystem(name={self.name!r}, n_states={self.n_states}, n_params={self.n_params}, "
                f"n_observables={self.n_observables}, n_drivers={self.n_drivers}"
                + (f", param_names={self.param_names!r})" if getattr(self, "param_names", None) else ")"))

    def __getstate__(self):
        """What defines the system, without what its solves compiled and cached (device functions, Integrators): a
        system that had been solved did not pickle ('Can't pickle local object')."""
        state = dict(self.__dict__)
        for cached in ("_device", "_integrators", "device_rhs", "device_observables"):
            state.pop(cached, None)
        state["_device"], state["_compiled"] = {}, set()
        return pickled_functions(state, _USER_FUNCTIONS, self.name)  # a numba.njit function: its module's dispatcher

    def __setstate__(self, state):
        self.__dict__.update(state)
        for role in _USER_FUNCTIONS:
            self.__dict__[role] = cpu_jit_unwrapped(state[role])

    def __deepcopy__(self, memo):
        """The system itself: it does not change once built, and its compiled functions do not copy (a result's
        ``dataclasses.asdict`` deep-copies the probe that holds it)."""
        return self

    # -- host side -------------------------------------------------------
    def _call(self, func, t, y, p, u, out):
        self.run_host(func, (t, y, p, u, out) if self.n_drivers else (t, y, p, out))

    @staticmethod
    def run_host(func, args):
        """``func(*args)`` on the host (its output the last argument), as a GPU answers a ``math`` function's float
        fault where that makes the output finite (:func:`kernels.user_faults.run_as_on_a_gpu`): the host's checks
        and hints evaluate the system through it."""
        run_as_on_a_gpu(func, args)

    def _check_runs(self):
        y = np.linspace(0.5, 1.0, self.n_states)
        p = construction_params(self)  # its default_params where given
        u = np.linspace(0.5, 1.0, self.n_drivers)
        for inputs in (y, p, u):  # inputs are read only: on the GPU y is the step's own stage state
            inputs.flags.writeable = False
        drivers = self.n_drivers > 0
        checks = [("rhs", self.rhs, self.n_states, "dydt", drivers)]
        if self.observables is not None:
            checks.append(("observables", self.observables, self.n_observables, "obs", drivers))
        if self.jac is not None:  # jac(t, y, p, J) with J of n_states^2, drivers or not
            checks.append(("jac", self.jac, self.n_states ** 2, "J", False))
        outputs = {}
        for what, func, size, out_name, takes_u in checks + ([("jvp", self.jvp, 0, "out", False)] if self.jvp else []):
            order = "t, y, p, v, out" if what == "jvp" else f"t, y, p{', u' * takes_u}, {out_name}"  # as passed
            refuse_input_writes(func, what, output=out_name, system=self.name, order=order)
        for what, func, size, out_name, takes_u in checks:
            # A NaN with a payload that arithmetic never makes: an element that still holds it was
            # never assigned (or was only updated in place, reading what the GPU leaves there).
            out = complex_values.real_output(np.full(size, UNWRITTEN))  # a complex value stored: refused
            try:
                with np.errstate(all="ignore"):  # a pole at the test point is inf there, as on a GPU: no warning
                    returned = run_as_on_a_gpu(func, (0.0, y, p, u, out) if takes_u else (0.0, y, p, out),
                                               finite_only=False)
            except Exception as exc:  # noqa: BLE001 - report any failure of user code
                written = input_written(exc, func, y, p, u, size, takes_u)
                called = signature(what, out_name, takes_u)
                if written:
                    raise ConfigurationError(
                        f"{what} of system {self.name!r} assigns into its input {written} (at t=0 on test "
                        f"arrays{where(exc, func)}): {what} must only read y and p and write {out_name}; on the GPU "
                        "y is the integrator's own stage state, so writing it corrupts the step. Copy the values "
                        "you want to change into local variables (clamp with max(y[i], 0.0) in the formula, for "
                        f"example); or are its arguments in another order? It is called {called}") from exc
                if calls_device_code(exc):
                    # It calls CUDA device functions, which only run on the device (on a GPU;
                    # the simulator runs them on the host): evaluate it there instead.  With no device
                    # (NUMBA_ENABLE_CUDASIM=0 for offline compiles) its outputs go unchecked here.
                    if device_problem():
                        outputs[what] = None
                        continue
                    out, returned = self._probe_on_device(func, y, p, u, size, takes_u), None
                else:
                    foreign = compile_hints.host_refusal(exc, func, what, self.name)
                    if foreign:  # torch.sin(y[0]) raises TypeError: not the arguments' order (a torch user's trial)
                        raise ConfigurationError(foreign) from exc
                    n, text = self.n_states, str(exc) if what == "jac" and isinstance(exc, IndexError) else ""
                    flat = (f": J is flat, write J[i * {n} + j] for d f_i / d y_j (row-major), not J[i, j]"
                            if text.startswith("too many indices") else
                            f": J is flat with n*n = {size} entries (J[i * {n} + j] for row i, column j, both below "
                            f"{n}), so this jac may be written for a system of another size (n_states={n} here)"
                            if text.endswith(f"with size {size}") else "") or \
                        index_hint(exc, func, what, argument_arrays(self, out_name, takes_u))
                    flat += params_note(self, what, y, p, u, exc) if isinstance(exc, IndexError) else ""
                    order = (f"; it is called {called}: a TypeError like this one usually means the arguments "
                             "in another order (Julia's f(du, u, p, t), odeint's f(y, t, ...))"
                             if isinstance(exc, TypeError) else "")
                    if isinstance(exc, ValueError) and "sequence" in str(exc):  # SciPy's fun(t, y, a, b) with args=
                        order = (f"; it is called {called}: a SciPy function written for args=(a, b) reads "
                                 f"them as p[0], p[1] (params=[a, b]) and writes {out_name}[i] instead of returning "
                                 "a list")
                    raise ConfigurationError(
                        f"{what} of system {self.name!r} failed on test arrays (y of {self.n_states}, "
                        f"p of {self.n_params}, {out_name} of {size} elements{where(exc, func)}): "
                        f"{type(exc).__name__}: {exc}{flat}{order}") from exc
            if returned is not None and returned is out and not len(unassigned(out)):
                raise ConfigurationError(
                    f"{what} of system {self.name!r} returns {out_name} after writing it: {what} must return "
                    f"nothing (on the GPU a device function that returns an array does not compile); remove the "
                    f"return")
            if returned is not None:
                raise ConfigurationError(
                    f"{what} of system {self.name!r} returned a {type(returned).__name__}: {what} must write "
                    f"into {out_name} and return nothing (SciPy-style functions return a list); assign "
                    f"{out_name}[i] = ... for each of the {size} components instead")
            missing = unassigned(out)
            if missing.size:
                raise ConfigurationError(unassigned_message(what, self.name, func, out_name, missing, size)
                                         + params_note(self, what, y, p, u, missing))
            outputs[what] = out if returned is None else None
        if self.jvp is not None and outputs.get("rhs") is not None:  # (rhs ran on the host: so can jvp, mostly)
            check_jvp_runs(self, y, p)
        point = derivative_point(self, y, p, outputs)  # linspace's p, as designed, where the model runs there
        self.derivatives_disagree = check_derivatives(self, point[1], y, point[0]) if point else ()
        if outputs.get("rhs") is not None:  # it ran on the host
            self._check_assigned_elsewhere(p, u)

    def _check_assigned_elsewhere(self, p, u):
        """UnassignedOutputError where ``rhs`` skips a component at another test state (:data:`OTHER_STATES`).

        The test point has every component in (0.5, 1), so an ``if y[0] > 0`` without an ``else`` passed, and the
        GPU then read whatever the previous stage left in that component (a user's trial: reported as stiff).  A
        fault there is skipped (outside the domain), but not an index out of range, nor one of the observables'."""
        for make in OTHER_STATES:
            y = make(self.n_states)
            y.flags.writeable = False
            try:
                with np.errstate(all="ignore"):
                    self.evaluate_rhs(0.0, y, p, u if self.n_drivers else None)
            except UnassignedOutputError as exc:
                raise UnassignedOutputError(f"{exc} (a test state of the construction check)") from None
            except Exception as exc:  # noqa: BLE001 - outside the model's domain, unless an index is out of range
                refuse_index_fault(exc, self, "rhs", y)
        check_observables_elsewhere(self, p, u)

    def _probe_on_device(self, func, y, p, u, size, with_drivers):
        """``func`` evaluated once by one GPU thread on the test arrays; the output it left."""
        device_func = cuda.jit(device=True)(func)

        @cuda.jit
        def probe(y, p, u, out):
            if with_drivers:
                device_func(0.0, y, p, u, out)
            else:
                device_func(0.0, y, p, out)

        arrays = [cuda.to_device(np.asarray(a if a.size else np.zeros(1), np.float64)) for a in (y, p, u)]
        out = cuda.to_device(np.full(size, UNWRITTEN))
        try:
            probe[1, 1](*arrays, out)
        except Exception as exc:  # noqa: BLE001 - the compile check below names the cause
            raise ConfigurationError(f"{getattr(func, '__name__', 'rhs')} of system {self.name!r} does not run "
                                     f"on the GPU: {type(exc).__name__}: {first_lines(str(exc))}") from exc
        return out.copy_to_host()

    def _check_compiles_anywhere(self):
        lead = 4 if self.n_drivers else 3
        functions = [("rhs", self.rhs, lead + 1), ("observables", self.observables, lead + 1),
                     ("jvp", self.jvp, 5), ("jac", self.jac, 4)]
        for what, func, n_args in functions:
            if func is None:
                continue
            result = compilecheck.check_device_function(func, n_args)
            if result.get("ok") is False:
                raise ConfigurationError(compile_hints.failure_message(result, what, self.name, func))

    def host_rhs(self, params=None, drivers=None):
        """Return ``f(t, y) -> dydt`` on NumPy arrays (for SciPy references).

        ``drivers`` is an optional callable ``u(t) -> array`` of n_drivers.  ``f`` raises
        :class:`UnassignedOutputError` where ``rhs`` leaves a component unassigned.
        """
        p = np.asarray(self.default_params if params is None else params, dtype=np.float64)

        def f(t, y):
            u = np.zeros(self.n_drivers) if drivers is None else np.asarray(drivers(t), dtype=np.float64)
            return self.evaluate_rhs(float(t), np.asarray(y, dtype=np.float64), p, u)

        return f

    def evaluate_rhs(self, t, y, p, u=None, out=None):
        """``rhs`` at ``(t, y)`` on the host (float64): into ``out`` (a new array when None), which it returns.

        ``out`` is filled first with a NaN that arithmetic never makes, so a component ``rhs`` leaves
        unassigned on this call's path (an ``if`` without ``else``) raises :class:`UnassignedOutputError`
        instead of reading as 0 or as what the array held: on a GPU such a component keeps what the previous
        stage left, which looks like stiffness or a blow-up.  Floating-point faults propagate.
        """
        if u is None and self.n_drivers:
            raise ConfigurationError(f"evaluate_rhs: system {self.name!r} has {self.n_drivers} drivers; pass their "
                                     "values at t as u")
        out = np.empty(self.n_states) if out is None else out
        out.fill(UNWRITTEN)
        self._call(self.rhs, t, y, p, u, out)
        missing = unassigned(out)
        if missing.size:
            raise UnassignedOutputError(
                f"rhs of system {self.name!r} did not assign dydt[{int(missing[0])}] at t = {float(t):.6g}, "
                f"y = {state_text(y)} ({missing.size} of {self.n_states} components left unassigned there): assign every "
                "component on every path through rhs (an if without an else skips it). dydt is not zeroed on a "
                "GPU, so such a component keeps what the previous stage left there, and the run fails in ways that "
                "look like stiffness or a blow-up")
        return out

    def host_jac(self, params=None):
        """Return ``J(t, y) -> (n_states, n_states)`` from the system's ``jac`` on NumPy arrays (for SciPy references)."""
        if self.jac is None:
            raise ConfigurationError(f"host_jac: system {self.name!r} has no jac; pass jac= to ODESystem, "
                                     "or let SciPy difference host_rhs")
        n = self.n_states
        p = np.asarray(self.default_params if params is None else params, dtype=np.float64)

        def jac(t, y):
            out = np.zeros(n * n)
            self.run_host(self.jac, (float(t), np.asarray(y, dtype=np.float64), p, out))
            return out.reshape(n, n)

        return jac

    # -- device side -----------------------------------------------------
    @functools.cached_property
    def device_rhs(self):
        """Device function ``rhs(t, y, p, u, dydt)`` (``u`` ignored without drivers)."""
        return _uniform(device_function(self.rhs), self.n_drivers > 0)

    @functools.cached_property
    def device_observables(self):
        """Device function ``observables(t, y, p, u, obs)``; a no-op without observables."""
        if self.observables is None:
            @cuda.jit(device=True)
            def none(t, y, p, u, obs):
                pass

            return none
        return _uniform(device_function(self.observables), self.n_drivers > 0)

    def device_functions(self, dtype):
        """The device functions for working precision ``dtype`` (cached per dtype on this system).

        With ``literals="working"`` and a precision other than float64 they are
        compiled from copies whose float literals are ``dtype`` constants
        (:func:`kernels.literals.in_precision`); otherwise from the functions as
        written (float64: the same objects as :attr:`device_rhs` and
        :attr:`device_observables`).

        Returns
        -------
        DeviceFunctions
            ``rhs(t, y, p, u, dydt)`` and ``observables(t, y, p, u, obs)`` in
            the uniform form; ``jac`` and ``jvp`` as given, or None.
        """
        key = np.dtype(dtype).name
        if key not in self._device:
            self.check_unchanged()
            if self.literals == "as written" or key == "float64":
                rhs, observables = self.device_rhs, self.device_observables
                jac, jvp = self.jac, self.jvp
            else:
                rhs = _uniform(device_function(in_precision(self.rhs, dtype)), self.n_drivers > 0)
                observables = (self.device_observables if self.observables is None else _uniform(
                    device_function(in_precision(self.observables, dtype)), self.n_drivers > 0))
                jac, jvp = (None if f is None else in_precision(f, dtype) for f in (self.jac, self.jvp))
            jac, jvp = (None if f is None else device_function(f) for f in (jac, jvp))
            self._device[key] = DeviceFunctions(rhs, observables, jac, jvp)
        return self._device[key]

    def check_unchanged(self):
        """Raise ConfigurationError when a global or closure number the functions read changed since construction.

        Compiled code keeps such values as constants (:mod:`kernels.frozen_values`), so a solve after the
        change would use the old value without a word.
        """
        self._frozen.check(self.name)

    def check_compiles(self, precision):
        """Compile the device functions for ``precision`` on a real GPU backend.

        On the simulator this is the construction-time check.  Raises
        :class:`ConfigurationError` naming the function that does not compile,
        and :class:`DeviceUnavailableError` when the CUDA backend is selected
        but no usable GPU and driver are present.
        """
        from .backend import backend, require_device

        key = np.dtype(precision).name
        if backend() != "cuda" or key in self._compiled:
            return
        require_device()
        from numba import from_dtype, types

        arr = types.Array(from_dtype(np.dtype(precision)), 1, "A")
        sig = (types.float64, arr, arr, arr, arr)
        device = self.device_functions(precision)
        for what, func in (("rhs", device.rhs), ("observables", device.observables)):
            try:
                cuda.compile_ptx_for_current_device(func.py_func, sig, device=True)
            except Exception as exc:  # noqa: BLE001
                raise ConfigurationError(
                    f"{what} of system {self.name!r} does not compile for CUDA in {np.dtype(precision)}: "
                    f"{type(exc).__name__}: {first_lines(str(exc))}"
                ) from exc
        self._compiled.add(key)


_LITERALS = ("working", "as written")


@dataclasses.dataclass(frozen=True)
class DeviceFunctions:
    """An ODESystem's device functions for one working precision (:meth:`ODESystem.device_functions`)."""

    rhs: object
    observables: object
    jac: object
    jvp: object


def _uniform(device_func, has_drivers):
    """Wrap a user device function into the uniform ``f(t, y, p, u, out)`` form."""
    if has_drivers:
        @cuda.jit(device=True, inline="always")
        def with_drivers(t, y, p, u, out):
            device_func(t, y, p, u, out)

        return with_drivers

    @cuda.jit(device=True, inline="always")
    def without_drivers(t, y, p, u, out):
        device_func(t, y, p, out)

    return without_drivers
