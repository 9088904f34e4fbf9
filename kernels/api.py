"""Host API: ``solve_ivp`` for a batch of trajectories, and ``plan_for``."""

from __future__ import annotations

import dataclasses
import types

import numpy as np

from . import validation as check
from .backend import backend
from .batch import build_kernel
from .controllers import ControllerSettings
from .drivers import validate_drivers
from .errors import ConfigurationError, describe
from .planning import resolve_plan
from .status import STATUS_MESSAGES
from .systems import ODESystem
from .tableaus import get_tableau

__all__ = ["solve_ivp", "plan_for", "IVPResult", "DEFAULT_MAX_STEPS"]

DEFAULT_MAX_STEPS = 100_000


@dataclasses.dataclass(frozen=True)
class IVPResult:
    """The result of a batch integration (immutable).

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
    status_messages : mapping
        Status code -> message.
    n_steps, n_rejected : array (N,) int32
        Accepted and rejected steps per trajectory.
    plan : planner.Plan
        The memory plan the kernel was built from.
    method, backend : str
    canary_intact : bool or None
        Whether the shared-memory canaries survived (None unless asked for).
    """

    t: np.ndarray
    y: object
    observables: object
    status: object
    status_messages: types.MappingProxyType
    n_steps: object
    n_rejected: object
    plan: object
    method: str
    backend: str
    canary_intact: bool | None = None

    def _host_status(self):
        return self.status if isinstance(self.status, np.ndarray) else self.status.copy_to_host()

    @property
    def success(self) -> bool:
        """True when every trajectory reached the end."""
        return bool(np.all(self._host_status() == 0))

    def message(self, trajectory: int) -> str:
        """The status message of one trajectory."""
        return self.status_messages[int(self._host_status()[trajectory])]


def _controller(controller, tableau, dt):
    if isinstance(controller, ControllerSettings):
        settings = controller
    elif controller is None:
        settings = ControllerSettings("pi" if tableau.adaptive else "fixed")
    elif isinstance(controller, str):
        settings = ControllerSettings(controller.lower())
    else:
        raise ConfigurationError(
            f"controller must be 'fixed', 'i', 'pi', 'pid', None or a ControllerSettings; got {describe(controller)}")
    if settings.adaptive and not tableau.adaptive:
        raise ConfigurationError(
            f"controller={settings.kind!r} needs an error estimate, which method {tableau.name!r} lacks; "
            "use controller='fixed' with dt, or an adaptive method (heun, bs3, dopri5, tsit5)")
    if not settings.adaptive and dt is None:
        raise ConfigurationError(
            f"dt is required for fixed-step integration (method {tableau.name!r}, controller 'fixed'); got None")
    return settings


def default_block_size(n_traj):
    """Threads per block solve_ivp uses when none is given (and no Plan brings one)."""
    if backend() == "cuda":
        return 128
    # Numba's simulator runs a block's threads as Python threads and takes two locks on every
    # device-function call; with several busy threads per block they convoy on the GIL and a run
    # can take 100x longer, at random. Blocks run one after another, so one thread per block
    # costs nothing there and keeps run times steady.
    return 1


def plan_for(system, method="tsit5", precision=np.float32, block_size=128, plan="auto", controller=None,
             device=None):
    """Plan the buffers of ``solve_ivp(system, method=..., precision=...)`` without solving.

    ``device`` is a planner device preset name or model; by default the GPU in
    use (the H100 preset on the simulator).

    Returns
    -------
    planner.Plan
        Pass it as ``solve_ivp(..., plan=this)``; ``plan`` takes the same choices as there.
    """
    if not isinstance(system, ODESystem):
        raise ConfigurationError(f"system must be an ODESystem; got {describe(system)}")
    tableau = get_tableau(method)
    settings = _controller(controller, tableau, dt=1.0)
    dtype = check.as_precision(precision)
    block_size = check.check_int(block_size, "block_size", 1)
    return resolve_plan(plan, system, tableau, settings.adaptive, dtype, block_size, device)[1]


def solve_ivp(system, t_span, y0, params=None, method="tsit5", dt=None, rtol=1e-6, atol=1e-6, t_eval=None,
              drivers=None, precision=np.float32, plan="auto", block_size=None, max_steps=DEFAULT_MAX_STEPS,
              controller=None, dt_min=0.0, dt_max=np.inf, *, _canary_elems=0):
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
        One of ``kernels.TABLEAU_NAMES``: euler, heun, rk4 (fixed step only),
        bs3, dopri5, tsit5 (adaptive or fixed).
    dt : float, optional
        The step of fixed-step integration (required there, at most ``t_end - t0``);
        the first step of adaptive integration (chosen automatically when None; a
        longer one is cut to the span).
    rtol, atol : float or array_like (n_states,)
        Tolerances of the error norm ``err / (atol + rtol * max(|y|, |y_new|))``.
        Tolerances the precision cannot meet (``atol + rtol |y0|`` below
        ``|y0| eps / 16``) are refused: use float64 for tighter ones.
    t_eval : array_like, optional
        Increasing save times inside ``t_span``, hit exactly; default ``[t_end]``.
    drivers : (times, values), optional
        Forcing samples for systems with ``n_drivers > 0``, interpolated linearly.
    precision : np.float32 or np.float64
        Precision of states and buffers (time is always float64).
    plan : str or planner.Plan
        ``"auto"`` (CP-SAT), ``"local"``, ``"shared"``, ``"cpsat"``, ``"greedy"``,
        ``"sequential"``, or a Plan from :func:`plan_for`.
    block_size : int, optional
        Threads per block (default 128 on a GPU, 1 on the simulator; a Plan object brings its own).
    max_steps : int
        Attempted steps (accepted + rejected) per trajectory before MAX_STEPS.
    controller : str or ControllerSettings, optional
        ``"fixed"``, ``"i"``, ``"pi"``, ``"pid"``; default ``"pi"`` for adaptive
        methods and ``"fixed"`` otherwise.
    dt_min, dt_max : float
        Bounds of adaptive steps; a rejection at ``dt_min`` is a step-size underflow.

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
    if not isinstance(system, ODESystem):
        raise ConfigurationError(f"system must be an ODESystem; got {describe(system)}")
    tableau = get_tableau(method)
    dt = check.check_positive(dt, "dt", allow_none=True)
    ctrl = _controller(controller, tableau, dt)
    dtype = check.as_precision(precision)
    t0, t_end = check.check_span(t_span)
    check.check_fixed_step(dt, t0, t_end, ctrl.adaptive)
    n_states = system.n_states
    on_device = check.is_device_array(y0)
    if params is None:
        if system.n_params and system.default_params is None:
            raise ConfigurationError(f"params are required: system {system.name!r} has {system.n_params} "
                                     "parameters and no default_params")
        params = system.default_params if system.n_params else np.zeros(0)
    # The batch size comes from whichever of params and y0 is 2-D; a 1-D one is broadcast.
    params_batched = check.is_device_array(params) or np.ndim(params) == 2
    n_traj = None
    if params_batched:
        params, n_traj = check.check_batch(params, "params", system.n_params, None, dtype, "n_params")
    y0, n_traj = check.check_batch(y0, "y0", n_states, n_traj, dtype, "n_states")
    if not params_batched:
        params, _ = check.check_batch(params, "params", system.n_params, n_traj, dtype, "n_params")
    if system.n_params == 0:
        params = np.zeros((n_traj, 1), dtype=dtype)  # a kernel argument may not be empty
    rtol = check.check_tolerance(rtol, "rtol", n_states, dtype)
    atol = check.check_tolerance(atol, "atol", n_states, dtype)
    if ctrl.adaptive and np.any((rtol == 0) & (atol == 0)):
        raise ConfigurationError("rtol and atol must not both be 0 for the same state component")
    check.check_tolerance_reachable(rtol, atol, y0, dtype, ctrl.adaptive)
    t_eval = check.check_t_eval(t_eval, t0, t_end)
    driver_times, driver_values = validate_drivers(drivers, system.n_drivers, dtype)
    max_steps = check.check_int(max_steps, "max_steps", 1)
    dt_min, dt_max = check.check_step_bounds(dt_min, dt_max)
    if block_size is not None:
        block_size = check.check_int(block_size, "block_size", 1)
    elif not hasattr(plan, "block_size"):
        block_size = default_block_size(n_traj)
    system.check_compiles(dtype)

    settings, the_plan = resolve_plan(plan, system, tableau, ctrl.adaptive, dtype, block_size)
    built = build_kernel(system, settings, ctrl, the_plan, canary_elems=_canary_elems)
    return _launch(built, system, tableau, the_plan, dtype, on_device, n_traj, y0, params, t0, t_end, dt,
                   t_eval, driver_times, driver_values, atol, rtol, max_steps, dt_min, dt_max)


def _launch(built, system, tableau, plan, dtype, on_device, n_traj, y0, params, t0, t_end, dt, t_eval,
            driver_times, driver_values, atol, rtol, max_steps, dt_min, dt_max):
    from numba import cuda

    n_save = t_eval.shape[0]
    to_dev = cuda.to_device
    args_in = [to_dev(a) if not check.is_device_array(a) else a for a in (y0, params)]
    out_y = cuda.device_array((n_traj, n_save, system.n_states), dtype=dtype)
    obs_shape = (n_traj, n_save, system.n_observables) if system.n_observables else (1, 1, 1)
    out_obs = cuda.device_array(obs_shape, dtype=dtype)
    status = cuda.device_array(n_traj, dtype=np.int32)
    n_steps = cuda.device_array(n_traj, dtype=np.int32)
    n_rejected = cuda.device_array(n_traj, dtype=np.int32)
    canary_ok = cuda.to_device(np.ones(1, dtype=np.int32))
    times = (t0, t_end, dt if dt is not None else 0.0, dt_min, dt_max)
    built.launch(n_traj, (args_in[0], args_in[1], to_dev(t_eval), times, max_steps, to_dev(driver_times),
                          to_dev(driver_values), to_dev(atol), to_dev(rtol), out_y, out_obs, status, n_steps,
                          n_rejected, canary_ok))
    # Without observables the kernel never writes out_obs (a one-element stand-in): it is not copied back.
    outputs = (out_y, out_obs if system.n_observables else None, status, n_steps, n_rejected)
    if not on_device:
        outputs = tuple(None if a is None else a.copy_to_host() for a in outputs)
    observables = outputs[1] if system.n_observables else np.zeros((n_traj, n_save, 0), dtype=dtype)
    return IVPResult(t=t_eval, y=outputs[0], observables=observables, status=outputs[2],
                     status_messages=types.MappingProxyType(dict(STATUS_MESSAGES)), n_steps=outputs[3],
                     n_rejected=outputs[4], plan=plan, method=tableau.name, backend=backend(),
                     canary_intact=bool(canary_ok.copy_to_host()[0]) if built.canary_elems else None)
