"""The built-in non-stiff systems: Lorenz, Van der Pol and the damped oscillator chain (its size a parameter).

The examples of the README and the scaling studies' systems; the stiff ones, with Jacobians, are
:mod:`kernels.stiff_systems`.
"""

from __future__ import annotations

from .systems import ODESystem
from .validation import check_int

__all__ = ["lorenz", "van_der_pol", "oscillator_chain"]


def _lorenz_rhs(t, y, p, dydt):
    dydt[0] = p[0] * (y[1] - y[0])
    dydt[1] = y[0] * (p[1] - y[2]) - y[1]
    dydt[2] = y[0] * y[1] - p[2] * y[2]


def lorenz():
    """The Lorenz system; parameters ``(sigma, rho, beta)``, default ``(10, 28, 8/3)``.

    For ``rho < 1`` every trajectory decays to the origin; for ``1 < rho < 24.74``
    to one of the fixed points ``(+-sqrt(beta (rho - 1)), +-sqrt(beta (rho - 1)), rho - 1)``;
    at ``rho = 28`` it is chaotic.
    """
    return ODESystem(_lorenz_rhs, 3, 3, name="lorenz", default_params=(10.0, 28.0, 8.0 / 3.0))


def _vdp_rhs(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = p[0] * (1.0 - y[0] * y[0]) * y[1] - y[0]


def van_der_pol():
    """The Van der Pol oscillator ``x'' = mu (1 - x^2) x' - x``; parameter ``mu`` (default 1).

    Every trajectory except the origin approaches a limit cycle of amplitude about 2;
    it is non-stiff for ``mu`` up to about 10.
    """
    return ODESystem(_vdp_rhs, 2, 1, name="van_der_pol", default_params=(1.0,))


def oscillator_chain(n=4):
    """A chain of ``n`` unit masses joined by springs, ends fixed, with damping.

    States are ``(x_0..x_{n-1}, v_0..v_{n-1})``; parameters ``(k, c)`` (stiffness,
    damping), default ``(1, 0.1)``.  The one observable is the total energy, which
    decays monotonically when ``c > 0`` and is conserved when ``c = 0``.  The
    size ``n`` makes it the scaling study's system.
    """
    n = check_int(n, "n", 1)

    def chain_rhs(t, y, p, dydt):
        k = p[0]
        c = p[1]
        for i in range(n):
            left = y[i - 1] if i > 0 else 0.0 * y[i]
            right = y[i + 1] if i < n - 1 else 0.0 * y[i]
            dydt[i] = y[n + i]
            dydt[n + i] = k * (left - 2.0 * y[i] + right) - c * y[n + i]

    def chain_energy(t, y, p, obs):
        e = 0.5 * p[0] * (y[0] * y[0] + y[n - 1] * y[n - 1])
        for i in range(n):
            e += 0.5 * y[n + i] * y[n + i]
        for i in range(n - 1):
            d = y[i + 1] - y[i]
            e += 0.5 * p[0] * d * d
        obs[0] = e

    return ODESystem(chain_rhs, 2 * n, 2, name=f"oscillator_chain_{n}", observables=chain_energy,
                     n_observables=1, default_params=(1.0, 0.1))
