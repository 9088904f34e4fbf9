"""The Lorenz ensemble problem of the GPU ODE benchmark literature, as ``benchmarks.peers`` puts it to every peer.

Lorenz with sigma = 10, beta = 8/3, u0 = (1, 0, 0), t in [0, t1] (t1 = 1 is the standard
problem), rho = linspace(0, 21, N), one trajectory per rho, float32, final state only.
Cases: ``a`` Tsit5 fixed dt = 1e-3, ``b`` Tsit5 adaptive rtol = atol = 1e-8 (first dt 1e-3),
``c`` classical RK4 fixed dt = 1e-3.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["SIGMA", "BETA", "RHO_MAX", "U0", "DTYPE", "Case", "CASES", "make_problem", "sample_indices",
           "scipy_truth", "deviation", "step_stats", "fixed_step_count", "host_lorenz"]

SIGMA, BETA, RHO_MAX = 10.0, 8.0 / 3.0, 21.0
U0 = (1.0, 0.0, 0.0)
DTYPE = np.float32


@dataclasses.dataclass(frozen=True)
class Case:
    key: str
    name: str
    method: str
    adaptive: bool
    dt: float = 1e-3
    rtol: float = 1e-8
    atol: float = 1e-8


CASES = {
    "a": Case("a", "tsit5_fixed", "tsit5", False),
    "b": Case("b", "tsit5_adaptive", "tsit5", True),
    "c": Case("c", "rk4_fixed", "rk4", False),
}


def make_problem(n):
    """Host inputs for N trajectories: y0 (N, 3) and params (N, 3) = (sigma, rho, beta), float32."""
    rho = np.linspace(0.0, RHO_MAX, n)
    y0 = np.tile(np.asarray(U0, dtype=DTYPE), (n, 1))
    params = np.stack([np.full(n, SIGMA), rho, np.full(n, BETA)], axis=1).astype(DTYPE)
    return y0, params


def fixed_step_count(t0, t1, dt):
    """``(n_steps, dt_last)``: ``n_steps - 1`` steps of ``dt`` and a last one to ``t1`` (as every peer steps)."""
    span = float(t1) - float(t0)
    n = max(1, int(math.ceil(span / dt - 1e-9)))
    return n, span - (n - 1) * dt


def sample_indices(n, k=8):
    """Up to ``k`` trajectories spread over the batch (the SciPy check's sample)."""
    return np.unique(np.linspace(0, n - 1, min(k, n)).round().astype(np.int64))


def host_lorenz(params):
    """``f(t, y)`` of Lorenz for SciPy, with ``params = (sigma, rho, beta)``."""
    s, r, b = (float(x) for x in params)

    def f(t, y):
        return np.array([s * (y[1] - y[0]), y[0] * (r - y[2]) - y[1], y[0] * y[1] - b * y[2]])

    return f


_TRUTH = {}


def scipy_truth(n, t1):
    """``(indices, float64 final states)`` of the sampled trajectories by SciPy's DOP853 at 1e-12."""
    key = (n, t1)
    if key not in _TRUTH:
        from scipy.integrate import solve_ivp

        y0, params = make_problem(n)
        idx = sample_indices(n)
        out = np.array([solve_ivp(host_lorenz(params[i]), (0.0, t1), y0[i].astype(np.float64), method="DOP853",
                                  rtol=1e-12, atol=1e-12).y[:, -1] for i in idx])
        _TRUTH[key] = (idx, out)
    return _TRUTH[key]


def deviation(y, ref):
    """``(max |y - ref|, max |y - ref| / (1 + |ref|))``; inf when anything is not finite or shapes differ."""
    y = np.asarray(y, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if y.shape != ref.shape:
        return math.inf, math.inf
    d = np.abs(y - ref)
    if not np.all(np.isfinite(d)):
        return math.inf, math.inf
    return float(d.max(initial=0.0)), float((d / (1.0 + np.abs(ref))).max(initial=0.0))


def step_stats(steps, status):
    """Mean and max accepted steps and the count of each status code."""
    steps = np.asarray(steps)
    status = np.asarray(status)
    codes, counts = np.unique(status, return_counts=True)
    return {"n_steps_mean": float(steps.mean()) if steps.size else None,
            "n_steps_max": int(steps.max()) if steps.size else None,
            "status_counts": {str(int(c)): int(k) for c, k in zip(codes, counts)}}
