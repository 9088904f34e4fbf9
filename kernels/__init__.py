"""bufferplan kernels: batch ODE integration on NVIDIA GPUs, one trajectory per thread.

Every per-thread working array is taken from a :class:`planner.Plan`.  Without
a usable CUDA driver the package runs on Numba's CUDA simulator (an explicit
``NUMBA_ENABLE_CUDASIM`` setting always wins); :func:`backend` reports which.

The public names below are imported on first use, so the data modules
(``kernels.tableaus``, ``kernels.methods``, ``kernels.errors``) load without
Numba.

Quickstart
----------
>>> import numpy as np, kernels
>>> lorenz = kernels.lorenz()
>>> rho = np.linspace(0.0, 28.0, 8)
>>> params = np.column_stack([np.full(8, 10.0), rho, np.full(8, 8.0 / 3.0)])
>>> result = kernels.solve_ivp(lorenz, (0.0, 1.0), [1.0, 1.0, 1.0], params)
>>> result.y.shape, bool(result.success)
((8, 1, 3), True)
"""

import importlib

from .backend import backend
from .backend import select as _select_backend

_select_backend()  # before anything imports numba.cuda

_EXPORTS = {
    "solve_ivp": "api", "plan_for": "api", "IVPResult": "ivp_result", "DEFAULT_MAX_STEPS": "api",
    "integrator_for": "api",
    "Integrator": "integrator", "layout_digest": "plan_layout",
    "Resources": "resources", "CompileCache": "compile_cache",
    "ODESystem": "systems", "lorenz": "example_systems", "van_der_pol": "example_systems",
    "oscillator_chain": "example_systems",
    "live_device": "device", "default_device": "device",
    "Status": "status", "STATUS_MESSAGES": "status", "SUCCESS": "status", "MAX_STEPS": "status",
    "STEP_SIZE_UNDERFLOW": "status", "NONFINITE_STATE": "status",
    "TABLEAU_NAMES": "tableaus", "TABLEAUS": "tableaus", "ButcherTableau": "tableaus",
    "IMPLICIT_TABLEAUS": "tableaus", "RosenbrockTableau": "tableaus",
    "METHODS": "methods", "METHOD_NAMES": "methods", "Method": "methods",
    "ControllerSettings": "controllers", "CONTROLLER_KINDS": "controllers",
    "KernelError": "errors", "ConfigurationError": "errors", "TableauError": "errors",
    "PlanMismatchError": "errors", "PatternMissError": "errors", "DeviceUnavailableError": "errors",
    "MemoryAuditError": "errors", "MemoryAudit": "memory_audit", "audit": "memory_audit",
    "CompileCheckWarning": "errors",
    "JacobianCheckWarning": "errors", "UserFunctionError": "errors", "UnassignedOutputError": "errors",
    "StabilityWarning": "errors", "StiffnessWarning": "errors", "SummaryWarning": "errors",
    "SamplingWarning": "errors", "ParamNamesWarning": "errors", "LateBindingWarning": "errors",
    "SuspectSuccessWarning": "errors",
    "ToleranceWarning": "errors", "UnusedOptionWarning": "errors", "PrecisionWarning": "errors",
    "StaleSourceWarning": "errors", "UnpicklableSystemError": "errors",
    "map_configurations": "distributed", "gpu_cluster": "distributed",
    "SolverOptions": "solvers.options",
    "Summaries": "summaries", "Event": "events", "EVENT": "status",
    "robertson": "stiff_systems", "hires": "stiff_systems", "brusselator": "stiff_systems",
    "brusselator_initial": "stiff_systems", "stiff_van_der_pol": "stiff_systems",
    "HIRES_T_END": "stiff_systems", "HIRES_REFERENCE": "stiff_systems", "STIFF_TESTS": "stiff_systems",
    "symbolic_system": "symbolic",
    "WORK_COLUMNS": "loop_work", "EVENT_COLUMN": "loop_work",
}

__all__ = sorted(set(_EXPORTS) | {"backend"})


# Subpackages reachable as attributes after a plain ``import kernels`` (the README names
# ``kernels.solvers.jacobian_pattern``, which raised AttributeError unless kernels.solvers was imported).
_SUBPACKAGES = ("solvers", "steps", "tableaus")


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kernels' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | set(_SUBPACKAGES))
