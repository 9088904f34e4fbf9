"""bufferplan kernels: batch ODE integration on NVIDIA GPUs, one trajectory per thread.

Every per-thread working array is taken from a :class:`planner.Plan`.  Without
a usable CUDA driver the package runs on Numba's CUDA simulator (an explicit
``NUMBA_ENABLE_CUDASIM`` setting always wins); :func:`backend` reports which.

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

from .backend import select as _select_backend

_select_backend()  # before anything imports numba.cuda

from .api import DEFAULT_MAX_STEPS, IVPResult, plan_for, solve_ivp  # noqa: E402
from .backend import backend  # noqa: E402
from .controllers import CONTROLLER_KINDS, ControllerSettings  # noqa: E402
from .errors import (CompileCheckWarning, ConfigurationError, DeviceUnavailableError, KernelError,  # noqa: E402
                     PlanMismatchError, TableauError)
from .status import (MAX_STEPS, NONFINITE_STATE, STATUS_MESSAGES, STEP_SIZE_UNDERFLOW,  # noqa: E402
                     SUCCESS, Status)
from .systems import ODESystem, lorenz, oscillator_chain, van_der_pol  # noqa: E402
from .tableaus import TABLEAU_NAMES, TABLEAUS, ButcherTableau  # noqa: E402

__all__ = [
    "solve_ivp", "plan_for", "IVPResult", "DEFAULT_MAX_STEPS",
    "ODESystem", "lorenz", "van_der_pol", "oscillator_chain",
    "backend",
    "Status", "STATUS_MESSAGES", "SUCCESS", "MAX_STEPS", "STEP_SIZE_UNDERFLOW", "NONFINITE_STATE",
    "TABLEAU_NAMES", "TABLEAUS", "ButcherTableau",
    "ControllerSettings", "CONTROLLER_KINDS",
    "KernelError", "ConfigurationError", "TableauError", "PlanMismatchError", "DeviceUnavailableError",
    "CompileCheckWarning",
]
