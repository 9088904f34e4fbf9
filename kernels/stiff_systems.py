"""Stiff test systems with analytic Jacobians: Robertson, HIRES, the 1D Brusselator, stiff Van der Pol.

Each returns an :class:`~kernels.systems.ODESystem` with ``jac`` (dense,
flat row-major) and ``jvp`` (matrix-free), so implicit methods take the fast
analytic path with either linear solver.  They are the problems of the stiff
tests and benchmarks, and models to copy: a Jacobian is a plain function
like the right-hand side.
"""

from __future__ import annotations

import math
import types

import numpy as np

from .errors import ConfigurationError
from .systems import ODESystem
from .validation import check_int

__all__ = ["robertson", "hires", "brusselator", "brusselator_initial", "stiff_van_der_pol", "HIRES_T_END",
           "HIRES_REFERENCE", "STIFF_TESTS"]


# -- Robertson ------------------------------------------------------------------
def _robertson_rhs(t, y, p, dydt):
    fast = p[1] * y[1] * y[1]
    mix = p[2] * y[1] * y[2]
    dydt[0] = -p[0] * y[0] + mix
    dydt[1] = p[0] * y[0] - fast - mix
    dydt[2] = fast


def _robertson_jac(t, y, p, J):
    J[0] = -p[0]
    J[1] = p[2] * y[2]
    J[2] = p[2] * y[1]
    J[3] = p[0]
    J[4] = -2.0 * p[1] * y[1] - p[2] * y[2]
    J[5] = -p[2] * y[1]
    J[6] = 0.0 * y[0]
    J[7] = 2.0 * p[1] * y[1]
    J[8] = 0.0 * y[0]


def _robertson_jvp(t, y, p, v, out):
    out[0] = -p[0] * v[0] + p[2] * (y[2] * v[1] + y[1] * v[2])
    out[1] = p[0] * v[0] - (2.0 * p[1] * y[1] + p[2] * y[2]) * v[1] - p[2] * y[1] * v[2]
    out[2] = 2.0 * p[1] * y[1] * v[1]


def robertson():
    """Robertson's chemical kinetics; parameters ``(k1, k2, k3)``, default ``(0.04, 3e7, 1e4)``.

    From ``y0 = (1, 0, 0)`` the total ``y_0 + y_1 + y_2`` stays 1; the rates span
    nine orders of magnitude, so explicit methods need steps of about ``1e-4``
    up to ``t = 1e5`` (Hairer & Wanner, *Solving ODEs II*, IV.1).
    """
    return ODESystem(_robertson_rhs, 3, 3, name="robertson", jac=_robertson_jac, jvp=_robertson_jvp,
                     default_params=(0.04, 3e7, 1e4))


# -- HIRES ----------------------------------------------------------------------
def _hires_rhs(t, y, p, dydt):
    k = p[0] * y[5] * y[7]
    dydt[0] = -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007
    dydt[1] = 1.71 * y[0] - 8.75 * y[1]
    dydt[2] = -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4]
    dydt[3] = 8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3]
    dydt[4] = -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6]
    dydt[5] = -k + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6]
    dydt[6] = k - 1.81 * y[6]
    dydt[7] = -k + 1.81 * y[6]


_HIRES_LINEAR = (
    (0, 0, -1.71), (0, 1, 0.43), (0, 2, 8.32),
    (1, 0, 1.71), (1, 1, -8.75),
    (2, 2, -10.03), (2, 3, 0.43), (2, 4, 0.035),
    (3, 1, 8.32), (3, 2, 1.71), (3, 3, -1.12),
    (4, 4, -1.745), (4, 5, 0.43), (4, 6, 0.43),
    (5, 3, 0.69), (5, 4, 1.71), (5, 5, -0.43), (5, 6, 0.69),
    (6, 6, -1.81),
    (7, 6, 1.81),
)


def _hires_jac(t, y, p, J):
    for i in range(64):
        J[i] = 0.0 * y[0]
    J[0] = -1.71
    J[1] = 0.43
    J[2] = 8.32
    J[8] = 1.71
    J[9] = -8.75
    J[18] = -10.03
    J[19] = 0.43
    J[20] = 0.035
    J[25] = 8.32
    J[26] = 1.71
    J[27] = -1.12
    J[36] = -1.745
    J[37] = 0.43
    J[38] = 0.43
    J[43] = 0.69
    J[44] = 1.71
    J[45] = -0.43 - p[0] * y[7]
    J[46] = 0.69
    J[47] = -p[0] * y[5]
    J[53] = p[0] * y[7]
    J[54] = -1.81
    J[55] = p[0] * y[5]
    J[61] = -p[0] * y[7]
    J[62] = 1.81
    J[63] = -p[0] * y[5]


def _hires_jvp(t, y, p, v, out):
    dk = p[0] * (y[7] * v[5] + y[5] * v[7])
    out[0] = -1.71 * v[0] + 0.43 * v[1] + 8.32 * v[2]
    out[1] = 1.71 * v[0] - 8.75 * v[1]
    out[2] = -10.03 * v[2] + 0.43 * v[3] + 0.035 * v[4]
    out[3] = 8.32 * v[1] + 1.71 * v[2] - 1.12 * v[3]
    out[4] = -1.745 * v[4] + 0.43 * v[5] + 0.43 * v[6]
    out[5] = -dk + 0.69 * v[3] + 1.71 * v[4] - 0.43 * v[5] + 0.69 * v[6]
    out[6] = dk - 1.81 * v[6]
    out[7] = -dk + 1.81 * v[6]


HIRES_T_END = 321.8122
# The reference solution at HIRES_T_END of the Bari test set for IVP solvers (Mazzia & Magherini).
HIRES_REFERENCE = (0.7371312573325668e-3, 0.1442485726316185e-3, 0.5888729740967575e-4,
                   0.1175651343283149e-2, 0.2386356198831331e-2, 0.6238968252742796e-2,
                   0.2849998395185769e-2, 0.2850001604814231e-2)


def hires():
    """HIRES, the 8-state "High Irradiance RESponse" plant-physiology model; parameter ``k`` (default 280).

    The test set's problem is ``y0 = (1, 0, 0, 0, 0, 0, 0, 0.0057)`` on
    ``[0, HIRES_T_END]``, with the reference solution :data:`HIRES_REFERENCE`.
    """
    return ODESystem(_hires_rhs, 8, 1, name="hires", jac=_hires_jac, jvp=_hires_jvp, default_params=(280.0,))


# -- Brusselator ----------------------------------------------------------------
def brusselator(n_states=8):
    """The 1D Brusselator reaction-diffusion system on ``m = n_states / 2`` interior points.

    States are ``(u_1..u_m, v_1..v_m)``; parameters ``(A, B, alpha)``, default
    ``(1, 3, 1/50)``; Dirichlet ends ``u = A``, ``v = B / A``; diffusion
    ``alpha (m + 1)^2`` times the second difference (Hairer & Wanner, *Solving
    ODEs II*, IV.1).  :func:`brusselator_initial` gives the usual start
    ``u = 1 + sin(2 pi x)``, ``v = 3``.  Stiffness grows as ``m^2``.
    """
    n = check_int(n_states, "n_states", 2)
    if n % 2:
        raise ConfigurationError(f"brusselator n_states: expected an even number (u and v on n_states / 2 points); "
                                 f"got {n}")
    m = n // 2
    d = float((m + 1) ** 2)

    # Unsigned loop indices and offsets: Numba tests every signed index for a negative value (64-bit
    # compares and selects on each access, which the GPU compilers keep); with these the test goes, and the
    # loops issue about a third fewer instructions (ptxas SASS at 128 states).  Same arithmetic, bit for bit.
    U0, U1, UM = np.uint64(0), np.uint64(1), np.uint64(m)
    UM1 = np.uint64(m - 1)

    def brusselator_rhs(t, y, p, dydt):
        a, b, c = p[0], p[1], p[2] * d
        vb = b / a
        for i in range(UM):
            u, v = y[i], y[UM + i]
            ul = y[i - U1] if i > U0 else a
            ur = y[i + U1] if i < UM1 else a
            vl = y[UM + i - U1] if i > U0 else vb
            vr = y[UM + i + U1] if i < UM1 else vb
            uuv = u * u * v
            dydt[i] = a + uuv - (b + 1.0) * u + c * (ul - 2.0 * u + ur)
            dydt[UM + i] = b * u - uuv + c * (vl - 2.0 * v + vr)

    def brusselator_jac(t, y, p, J):
        b, c = p[1], p[2] * d
        for i in range(n * n):
            J[i] = 0.0 * y[0]
        for i in range(m):
            u, v = y[i], y[m + i]
            J[i * n + i] = 2.0 * u * v - (b + 1.0) - 2.0 * c
            J[i * n + m + i] = u * u
            J[(m + i) * n + i] = b - 2.0 * u * v
            J[(m + i) * n + m + i] = -u * u - 2.0 * c
            if i > 0:
                J[i * n + i - 1] = c
                J[(m + i) * n + m + i - 1] = c
            if i < m - 1:
                J[i * n + i + 1] = c
                J[(m + i) * n + m + i + 1] = c

    def brusselator_jvp(t, y, p, v, out):
        b, c = p[1], p[2] * d
        for i in range(UM):
            u, w = y[i], y[UM + i]
            du, dw = v[i], v[UM + i]
            lu = v[i - U1] if i > U0 else 0.0 * du
            ru = v[i + U1] if i < UM1 else 0.0 * du
            lw = v[UM + i - U1] if i > U0 else 0.0 * dw
            rw = v[UM + i + U1] if i < UM1 else 0.0 * dw
            cross = 2.0 * u * w * du + u * u * dw
            out[i] = cross - (b + 1.0) * du + c * (lu - 2.0 * du + ru)
            out[UM + i] = b * du - cross + c * (lw - 2.0 * dw + rw)

    return ODESystem(brusselator_rhs, n, 3, name=f"brusselator_{n}", jac=brusselator_jac, jvp=brusselator_jvp,
                     default_params=(1.0, 3.0, 1.0 / 50.0))


def brusselator_initial(n_states=8):
    """The usual initial state of :func:`brusselator`: ``u = 1 + sin(2 pi x_i)``, ``v = 3``."""
    m = check_int(n_states, "n_states", 2) // 2
    x = np.arange(1, m + 1) / (m + 1)
    return np.concatenate([1.0 + np.sin(2.0 * math.pi * x), np.full(m, 3.0)])


# -- stiff Van der Pol ----------------------------------------------------------
def _vdp_rhs(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = p[0] * (1.0 - y[0] * y[0]) * y[1] - y[0]


def _vdp_jac(t, y, p, J):
    J[0] = 0.0 * y[0]
    J[1] = 1.0 + 0.0 * y[0]
    J[2] = -2.0 * p[0] * y[0] * y[1] - 1.0
    J[3] = p[0] * (1.0 - y[0] * y[0])


def _vdp_jvp(t, y, p, v, out):
    out[0] = v[1]
    out[1] = (-2.0 * p[0] * y[0] * y[1] - 1.0) * v[0] + p[0] * (1.0 - y[0] * y[0]) * v[1]


def stiff_van_der_pol(mu=1000.0):
    """Van der Pol ``x'' = mu (1 - x^2) x' - x`` with its Jacobian; parameter ``mu`` (default 1000, stiff)."""
    return ODESystem(_vdp_rhs, 2, 1, name="van_der_pol", jac=_vdp_jac, jvp=_vdp_jvp, default_params=(float(mu),))


# -- the standard stiff tests -----------------------------------------------------

#: The stiff test problems of the tests and benchmarks: name -> ``(system factory, y0, t_end)``, the
#: initial values and spans of the literature (Robertson to 40 and to 1e5, Van der Pol with mu = 1000
#: to t = 2, HIRES of the Bari test set to 321.8122).
STIFF_TESTS = types.MappingProxyType({
    "robertson-40": (robertson, (1.0, 0.0, 0.0), 40.0),
    "robertson-1e5": (robertson, (1.0, 0.0, 0.0), 1e5),
    "van_der_pol": (stiff_van_der_pol, (2.0, 0.0), 2.0),
    "hires": (hires, (1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057), HIRES_T_END),
})
