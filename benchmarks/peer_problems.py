"""The problems ``benchmarks.peers --problem NAME`` puts to every peer: ``lorenz`` (default) and ``lorenz96``.

* ``lorenz`` (3 states): :mod:`benchmarks.lorenz_problem`, rho = linspace(0, 21, N); unchanged.
* ``lorenz96`` (16 states): ``PROBLEMS["lorenz96"]`` of :mod:`benchmarks.floor_problems`,
  ``dx_i = (x_{i+1} - x_{i-2}) x_{i-1} - d x_i + F`` on a ring of 16, params ``(F, d)`` with
  ``d = 1`` and ``F = linspace(4, 12, N)`` one per trajectory (what ``floor_problems`` and
  ``floor_systems`` sweep), ``y0_i = 8 + 0.5 sin(0.7 i)`` for every trajectory.

A problem gives the host inputs, the SciPy truth of sampled trajectories, bufferplan's
``ODESystem``, the ``settings["problem"]`` record of the JSON and the table's title.
The peers read it with :func:`problem_of` (``args.problem``).
"""

from __future__ import annotations

import numpy as np

from . import lorenz_problem as lp
from .floor_problems import PROBLEMS as FLOOR_PROBLEMS

__all__ = ["PROBLEM_NAMES", "PeerProblem", "LorenzProblem", "Lorenz96Problem", "get_problem", "problem_of",
           "problem_name", "table_title"]


class PeerProblem:
    name = ""
    n_states = 0
    agree_tol = 1e-4  # largest max |y - y_ref| / (1 + |y_ref|) at which two float32 peers agree

    def make_problem(self, n):
        """Host inputs for N trajectories: ``(y0 (N, n_states), params (N, n_params))``, float32."""
        raise NotImplementedError

    def host_rhs(self, params):
        """``f(t, y)`` in float64 for SciPy, for one row of ``params``."""
        raise NotImplementedError

    def system(self):
        """bufferplan's ``kernels.ODESystem`` of the problem."""
        raise NotImplementedError

    def settings(self, t1):
        """The ``settings["problem"]`` record of the JSON document."""
        raise NotImplementedError

    def title(self, settings):
        """The problem's words in the table's case headings."""
        raise NotImplementedError

    def scipy_truth(self, n, t1):
        """``(indices, float64 final states)`` of the sampled trajectories by SciPy's DOP853 at 1e-12."""
        key = (n, t1)
        cache = self.__dict__.setdefault("_truth", {})
        if key not in cache:
            from scipy.integrate import solve_ivp

            y0, params = self.make_problem(n)
            idx = lp.sample_indices(n)
            out = np.array([solve_ivp(self.host_rhs(params[i]), (0.0, t1), y0[i].astype(np.float64),
                                      method="DOP853", rtol=1e-12, atol=1e-12).y[:, -1] for i in idx])
            cache[key] = (idx, out)
        return cache[key]


class LorenzProblem(PeerProblem):
    """The standard problem, exactly as before ``--problem`` (lorenz_problem's functions)."""

    name = "lorenz"
    n_states = 3

    def make_problem(self, n):
        return lp.make_problem(n)

    def host_rhs(self, params):
        return lp.host_lorenz(params)

    def scipy_truth(self, n, t1):
        return lp.scipy_truth(n, t1)

    def system(self):
        import kernels

        return kernels.lorenz()

    def settings(self, t1):
        return {"system": "lorenz", "sigma": lp.SIGMA, "beta": lp.BETA, "rho": f"linspace(0, {lp.RHO_MAX}, N)",
                "u0": list(lp.U0), "t_span": [0.0, t1], "precision": "float32", "save": "final state only"}

    def title(self, settings):
        return "Lorenz, rho = linspace(0, 21, N)"


class Lorenz96Problem(PeerProblem):
    """Lorenz-96 on a ring of 16 (floor_problems), F swept over the batch as floor_systems does."""

    name = "lorenz96"
    # Float32 rounding, amplified along these trajectories (chaotic from F = 8 on), sets how far two
    # correct float32 runs end apart, not the method: float64 RK4 at dt 1e-3 ends within 8e-8 of DOP853
    # at 1e-12 on sampled trajectories, the same steps in float32 (NumPy) 7e-5 to 2.4e-4 from it, and on
    # the H200 (2026-12-04) every peer 3e-4 to 7e-4 from SciPy and up to 2.1e-3 from the hand-written
    # kernel.  So two peers agree within 5e-3; SciPy's verdict is printed beside it.
    agree_tol = 5e-3

    def __init__(self):
        self.floor = FLOOR_PROBLEMS["lorenz96"]
        self.n_states = self.floor.n_states
        self.param_names = ("F", "d")
        assert self.floor.n_params == 2 and self.floor.vary_index == 0

    @property
    def forcing_range(self):
        return tuple(float(x) for x in self.floor.vary_range)

    @property
    def damping(self):
        return float(self.floor.base_params[1])

    def make_problem(self, n):
        return self.floor.batch(n, lp.DTYPE)

    def host_rhs(self, params):
        return self.floor.host_rhs(params)

    def system(self):
        return self.floor.system()

    def varying(self):
        lo, hi = self.forcing_range
        return f"F = linspace({lo:g}, {hi:g}, N), one per trajectory (floor_problems / floor_systems' sweep)"

    def settings(self, t1):
        lo, hi = self.forcing_range
        return {"system": "lorenz96", "n_states": self.n_states,
                "rhs": "dx_i = (x_{i+1} - x_{i-2}) x_{i-1} - d x_i + F, i mod 16 (benchmarks.floor_problems)",
                "params": list(self.param_names), "F": f"linspace({lo:g}, {hi:g}, N)", "d": self.damping,
                "varying_parameter": self.varying(), "u0": [float(x) for x in self.floor.y0],
                "u0_rule": "8 + 0.5 sin(0.7 i), the same for every trajectory", "t_span": [0.0, t1],
                "precision": "float32", "save": "final state only"}

    def title(self, settings):
        lo, hi = self.forcing_range
        return f"Lorenz-96 (16 states), F = linspace({lo:g}, {hi:g}, N), d = {self.damping:g}"


_PROBLEMS = {"lorenz": LorenzProblem, "lorenz96": Lorenz96Problem}
PROBLEM_NAMES = tuple(_PROBLEMS)


def get_problem(name):
    """A new problem called ``name`` (one of :data:`PROBLEM_NAMES`); its SciPy truths are cached on it."""
    return _PROBLEMS[name]()


def problem_of(args):
    """The problem of a run's ``args`` (``lorenz`` when ``args`` has no ``problem``)."""
    return get_problem(getattr(args, "problem", None) or "lorenz")


def problem_name(settings):
    """The ``--problem`` of a JSON document's ``settings`` (``lorenz`` for documents older than the option)."""
    return (settings.get("problem") or {}).get("system", "lorenz")


def table_title(settings):
    """The table's words for the problem of a JSON document's ``settings`` (old documents: Lorenz)."""
    name = problem_name(settings)
    return get_problem(name if name in _PROBLEMS else "lorenz").title(settings)
