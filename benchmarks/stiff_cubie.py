"""cubie 0.17.0 on the stiff benchmarks: a system from equation strings, a Solver, final states and kernel time.

What had to be worked out of cubie's source (``cubie/integrators/algorithms``):
the implicit families are chosen by tableau name (``algorithm=``):
``l_stable_sdirk_4`` is Hairer & Wanner's 5-stage L-stable SDIRK4 (bufferplan's
``sdirk4``, the same coefficients), ``radau_iia_5`` (alias ``radau``) the 3-stage
Radau IIA, ``rodas4``/``rodas5p``/``ros3p`` the Rosenbrock-W family.  The linear
solve is ``linear_correction_type``: ``"lu"`` (dense, per thread) or the
matrix-free ``"minimal_residual"`` (cubie's default), ``"bicgstab"``,
``"steepest_descent"``; cubie has no GMRES.  Newton's convergence is set by
``newton_atol``/``newton_rtol``; the Jacobian (or its products) is generated
symbolically from the strings.  ``iteration_counters`` gives per run (Newton
iterations, Krylov iterations, steps, rejected steps); ``status_codes`` 0 is success.
Kernel time: CUDA events on cubie's stream around each launch inside
``Solver.solve`` (the wrap of ``BatchSolverKernel._configured_launch`` that
``peer_cubie`` uses), inputs already on the device.
"""

from __future__ import annotations

import numpy as np

from .peer_cubie import _STATE, CubieUnavailable, _import, events_ms, time_launches

__all__ = ["CubieUnavailable", "available", "make_system", "make_solver", "Run"]


def available():
    """``(True, version)`` or ``(False, why)``."""
    try:
        cubie = _import()
    except CubieUnavailable as exc:
        return False, str(exc)
    return True, getattr(cubie, "__version__", "?")


def make_system(name, equations, states, params, dtype, swept):
    """``create_ODE_system`` with ``states``/``params`` as ordered ``{name: default}`` dicts."""
    cubie = _import()
    return cubie.create_ODE_system(dxdt=list(equations), states=dict(states), parameters=dict(params),
                                   precision=np.dtype(dtype).type, name=name, swept_parameters=list(swept))


def make_solver(system, algorithm, dt, controller="fixed", rtol=None, atol=None, linear=None, newton_tol=None):
    """``cubie.Solver`` with the iteration counters on; returns ``(solver, settings)``."""
    cubie = _import()
    settings = {"algorithm": algorithm, "dt": dt, "step_controller": controller,
                "output_types": ["state", "iteration_counters"], "time_logging_level": None,
                "cache_enabled": False}
    if rtol is not None:
        settings.update(rtol=rtol, atol=atol)
    if linear is not None:
        settings["linear_correction_type"] = linear
    if newton_tol is not None:
        settings.update(newton_atol=newton_tol, newton_rtol=newton_tol)
    return cubie.Solver(system, **settings), settings


class Run:
    """One system and solver; inputs in our layout (N, n_states), (N, n_params), mapped by name."""

    def __init__(self, system, solver, state_names, param_names, dtype):
        self.system, self.solver, self.dtype = system, solver, np.dtype(dtype).type
        cs, cp = list(system.states.names), list(system.parameters.names)
        if sorted(cs) != sorted(state_names) or sorted(cp) != sorted(param_names):
            raise CubieUnavailable(f"unexpected system layout: states {cs[:4]}..., parameters {cp}")
        self.state_rows = [list(state_names).index(s) for s in cs]
        self.param_rows = [list(param_names).index(p) for p in cp]
        self.cuda = _STATE["cuda"]
        self.simulated = bool(_STATE["simulated"])

    def arrays(self, y0, params):
        inits = np.ascontiguousarray(np.asarray(y0, dtype=self.dtype).T[self.state_rows])
        prm = np.ascontiguousarray(np.asarray(params, dtype=self.dtype).T[self.param_rows])
        return inits, prm

    def solve(self, y0, params, duration):
        """Host arrays in; ``(y (N, n) final, counters dict, status (N,))``."""
        res = self.solver.solve(*self.arrays(y0, params), duration=duration, grid_type="verbatim",
                                fix_constant_parameters=False, nan_error_trajectories=False)
        try:
            last = np.asarray(res.state)[-1]  # (variables, runs)
            y = np.empty((last.shape[1], len(self.state_rows)), dtype=np.float64)
            for row, col in enumerate(self.state_rows):
                y[:, col] = last[row]
            ic = np.asarray(res.iteration_counters)[-1].astype(np.int64)  # (4, N)
            status = np.array(res.status_codes, dtype=np.int64).ravel()
        finally:
            closer = getattr(res, "close", None)
            if closer is not None:
                closer()
        counters = {"newton": ic[0], "krylov": ic[1], "steps": ic[2] - ic[3], "rejected": ic[3]}
        return y, counters, status

    def kernel_ms(self, dev_inputs, duration):
        """One solve on device inputs; ``(ms, method)`` from events around cubie's own launches."""
        wall, held = time_launches(self.cuda, self.solver.kernel, lambda: self.solver.solve(
            *dev_inputs, duration=duration, grid_type="verbatim", fix_constant_parameters=False, on_device=True))
        if self.simulated or not held:
            return wall, "wall of Solver.solve on device arrays (simulator or no launch seen)"
        return events_ms(held), "cuda events around cubie's launches (device arrays)"
