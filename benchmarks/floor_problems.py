"""Three more floor problems beside Lorenz: their right-hand sides, parameters and initial states.

Each right-hand side is a plain function ``rhs(t, y, p, dydt)`` that serves
both sides of the comparison: bufferplan compiles it through
:class:`kernels.ODESystem`, and :mod:`benchmarks.handwritten_systems` inlines
the same function into its hand-written kernels, so the measured difference
is the integrator's, not the model's.

* ``two_mass`` (4 states, 6 parameters): two masses on springs to the walls,
  joined by a linear-plus-cubic spring, each damped; ``k1`` varies per trajectory.
* ``duffing_chain`` (6 states, 6 parameters, time-dependent): three Duffing
  oscillators in a chain, the first driven by ``F cos(w t)``; ``w`` varies.
  The forcing phase is taken in float32 (``np.float32(t)``) so both sides
  evaluate the same single-precision cosine.
* ``lorenz96`` (16 states, 2 parameters): ``dx_i = (x_{i+1} - x_{i-2}) x_{i-1}
  - d x_i + F`` on a ring of 16; ``F`` varies across the chaotic range.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["FloorProblem", "PROBLEMS", "problem"]


def two_mass_rhs(t, y, p, dydt):
    # y = (x1, v1, x2, v2); p = (k1, k2, c1, c2, kc, eps)
    s = y[0] - y[2]
    coupling = p[4] * s + p[5] * s * s * s
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[0] - p[2] * y[1] - coupling
    dydt[2] = y[3]
    dydt[3] = -p[1] * y[2] - p[3] * y[3] + coupling


def duffing_chain_rhs(t, y, p, dydt):
    # y = (x0, v0, x1, v1, x2, v2); p = (c, a, b, kc, F, w)
    force = p[4] * math.cos(p[5] * np.float32(t))
    x0, x1, x2 = y[0], y[2], y[4]
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[1] - p[1] * x0 - p[2] * x0 * x0 * x0 + p[3] * (x1 - x0) + force
    dydt[2] = y[3]
    dydt[3] = -p[0] * y[3] - p[1] * x1 - p[2] * x1 * x1 * x1 + p[3] * ((x0 - x1) + (x2 - x1))
    dydt[4] = y[5]
    dydt[5] = -p[0] * y[5] - p[1] * x2 - p[2] * x2 * x2 * x2 + p[3] * (x1 - x2)


def lorenz96_rhs(t, y, p, dydt):
    # 16 states on a ring; p = (F, d).  The indices are constants once the loop is unrolled.
    for i in range(16):
        dydt[i] = (y[(i + 1) % 16] - y[(i + 14) % 16]) * y[(i + 15) % 16] - p[1] * y[i] + p[0]


@dataclasses.dataclass(frozen=True)
class FloorProblem:
    """One problem: ``rhs``, sizes, the base parameters and which one varies over ``vary_range``."""

    name: str
    rhs: object
    n_states: int
    base_params: tuple
    vary_index: int
    vary_range: tuple
    y0: tuple
    time_dependent: bool = False

    @property
    def n_params(self) -> int:
        return len(self.base_params)

    def batch(self, n, dtype=np.float32):
        """``(y0 (n, n_states), params (n, n_params))``: one parameter swept linearly over the batch."""
        params = np.tile(np.asarray(self.base_params, np.float64), (n, 1))
        params[:, self.vary_index] = np.linspace(*self.vary_range, n)
        y0 = np.tile(np.asarray(self.y0, np.float64), (n, 1))
        return y0.astype(dtype), params.astype(dtype)

    def host_rhs(self, params):
        """``f(t, y)`` in float64 for SciPy, with the parameters of one row ``params``."""
        p = np.asarray(params, dtype=np.float64)
        rhs = self.rhs

        def f(t, y):
            dy = np.empty_like(y)
            rhs(t, y, p, dy)
            return dy

        return f

    def system(self):
        """The bufferplan :class:`kernels.ODESystem` of this problem."""
        import kernels

        return kernels.ODESystem(self.rhs, self.n_states, self.n_params, name=self.name,
                                 default_params=self.base_params)


PROBLEMS = {
    "two_mass": FloorProblem("two_mass", two_mass_rhs, 4, (100.0, 150.0, 0.5, 0.8, 60.0, 20.0), 0, (50.0, 200.0),
                             (1.0, 0.0, -0.5, 0.0)),
    "duffing_chain": FloorProblem("duffing_chain", duffing_chain_rhs, 6, (0.2, 1.0, 5.0, 2.0, 5.0, 3.0), 5,
                                  (1.0, 10.0), (0.5, 0.0, 0.0, 0.0, -0.5, 0.0), time_dependent=True),
    "lorenz96": FloorProblem("lorenz96", lorenz96_rhs, 16, (8.0, 1.0), 0, (4.0, 12.0),
                             tuple(8.0 + 0.5 * math.sin(0.7 * i) for i in range(16))),
}


def problem(name) -> FloorProblem:
    """The problem called ``name`` (one of :data:`PROBLEMS`)."""
    if name not in PROBLEMS:
        raise SystemExit(f"unknown problem {name!r}; choose from {sorted(PROBLEMS)}")
    return PROBLEMS[name]
