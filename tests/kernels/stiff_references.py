"""SciPy Radau references for the stiff tests (shared by the implicit families' tests).

``reference(name, t_end)`` integrates one of the stiff problems below on the host with SciPy's Radau
at rtol 1e-10 and the analytic Jacobian, once per process.
"""

import functools
import math

import numpy as np
from scipy.integrate import solve_ivp as scipy_solve_ivp

import kernels

# name -> (system factory, y0, default end time: kernels.STIFF_TESTS, atol of the reference)
PROBLEMS = {name: kernels.STIFF_TESTS[test] + (atol,)
            for name, test, atol in (("robertson", "robertson-40", 1e-14), ("van_der_pol", "van_der_pol", 1e-12),
                                     ("hires", "hires", 1e-14))}


def hodgkin_huxley_rhs(t, y, p, dydt):
    """The squid axon (V, m, h, n), p[0] the injected current: spikes and fast gates, not stiff (the stiffness
    hint's and note's counter-example)."""
    v, m, h, n = y[0], y[1], y[2], y[3]
    am = 0.1 * (v + 40.0) / (1.0 - math.exp(-(v + 40.0) / 10.0))
    bm = 4.0 * math.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * math.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
    an = 0.01 * (v + 55.0) / (1.0 - math.exp(-(v + 55.0) / 10.0))
    bn = 0.125 * math.exp(-(v + 65.0) / 80.0)
    dydt[0] = p[0] - 120.0 * m ** 3 * h * (v - 50.0) - 36.0 * n ** 4 * (v + 77.0) - 0.3 * (v + 54.387)
    dydt[1] = am * (1.0 - m) - bm * m
    dydt[2] = ah * (1.0 - h) - bh * h
    dydt[3] = an * (1.0 - n) - bn * n


def _oregonator(t, y, p, dydt):
    s, w, q = p[0], p[1], p[2]
    dydt[0] = s * (y[1] - y[0] * y[1] + y[0] - q * y[0] * y[0])
    dydt[1] = (-y[1] - y[0] * y[1] + y[2]) / s
    dydt[2] = w * (y[0] - y[2])


def oregonator():
    """The Oregonator (Field-Noyes), no Jacobian given: entries from 0.2 to 1e6, a badly scaled stiff test."""
    return kernels.ODESystem(_oregonator, 3, 3, name="oregonator", default_params=(77.27, 0.161, 8.375e-6))


def oregonator_reference(t_end):
    """The Oregonator's state at ``t_end`` from y0 = (1, 2, 3), SciPy Radau at rtol = atol = 1e-10."""
    f = host_functions(oregonator())[0]
    return scipy_solve_ivp(f, (0.0, t_end), [1.0, 2.0, 3.0], method="Radau", rtol=1e-10, atol=1e-10).y[:, -1]


def host_functions(system):
    """``(f, jac)`` of an ODESystem as NumPy functions of ``(t, y)`` with its default parameters (no ``jac``: None)."""
    return system.host_rhs(), (system.host_jac() if system.jac is not None else None)


@functools.lru_cache(maxsize=None)
def reference(name, t_end=None, n_save=1):
    """SciPy Radau's solution at ``n_save`` evenly spaced times in ``(t0, t_end]`` (rows), rtol 1e-10."""
    factory, y0, default_end, atol = PROBLEMS[name]
    t_end = default_end if t_end is None else t_end
    f, jac = host_functions(factory())
    t_eval = np.linspace(0.0, t_end, n_save + 1)[1:]
    sol = scipy_solve_ivp(f, (0.0, t_end), y0, method="Radau", rtol=1e-10, atol=atol, jac=jac, t_eval=t_eval)
    assert sol.success, sol.message
    return sol.y.T.copy()


def switching_decay(n):
    """``y_i' = -r(t) (y_i - cos t)``, r from 1 to 2000 at t = 0.5, a step boundary of dt = 0.125.

    The rhs counts t = 0.5 to the old rate, its ``jac`` to the new one: J at a step's start then
    matches every stage of that step (radau's last node sits on the boundary).
    """
    def rhs(t, y, p, dydt):
        rate = 1.0 if t <= 0.5 else 2000.0
        for i in range(n):
            dydt[i] = -rate * (y[i] - np.cos(t))

    def jac(t, y, p, J):
        rate = 1.0 if t < 0.5 else 2000.0
        for i in range(n):
            for j in range(n):
                J[i * n + j] = -rate if i == j else 0.0

    return kernels.ODESystem(rhs, n, name=f"switching_{n}", jac=jac)


def kept_and_fresh(system, t_span, y0, params=None, **options):
    """``[run keeping its factors, run factoring at every step]``: ``solve_ivp`` with ``reuse_factor`` True, False."""
    return [kernels.solve_ivp(system, t_span, y0, params, solver=kernels.SolverOptions(reuse_factor=reuse), **options)
            for reuse in (True, False)]


def switching_runs(method):
    """:func:`kept_and_fresh` on :func:`switching_decay` (2 states), fixed dt = 0.125, float64: Newton fails on
    the kept factor at the jump."""
    return kept_and_fresh(switching_decay(2), (0.0, 1.0), np.ones(2), method=method, dt=0.125, controller="fixed",
                          rtol=1e-8, atol=1e-8, precision=np.float64)
