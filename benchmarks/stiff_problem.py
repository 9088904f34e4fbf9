"""The stiff benchmarks' problems: the 1D Brusselator ensemble (issue #10) as bufferplan and cubie take it.

Every trajectory starts from ``kernels.brusselator_initial(n)``; the parameters
are ``A = 1``, ``B`` evenly spaced over ``[B_LOW, B_HIGH]`` (one value per
trajectory) and ``alpha = 1/50``.  For cubie the same system is written as
equation strings (its symbolic front end derives the Jacobian itself); states
are named with zero-padded indices so that cubie's name order is the state
order, and both orders are still mapped by name.  ``scipy_final`` gives a
float64 SciPy Radau reference for a few sampled trajectories.
"""

from __future__ import annotations

import math

import numpy as np

B_LOW, B_HIGH, ALPHA = 2.5, 3.5, 1.0 / 50.0
PARAM_NAMES = ("A", "B", "alpha")  # kernels.brusselator's parameter order

# bufferplan method -> cubie algorithm name (cubie 0.17.0's tableau registry)
CUBIE_ALGORITHMS = {"sdirk4": "l_stable_sdirk_4", "kvaerno5": "kvaerno5", "kvaerno3": "kvaerno3",
                    "radau": "radau_iia_5", "rodas4": "rodas4", "rodas5p": "rodas5p", "ros3p": "ros3p",
                    "rk4": "rk4", "tsit5": "tsit5", "dopri5": "dopri5"}


def initial(n):
    """The usual start ``u = 1 + sin(2 pi x)``, ``v = 3`` (as kernels.brusselator_initial)."""
    m = n // 2
    x = np.arange(1, m + 1) / (m + 1)
    return np.concatenate([1.0 + np.sin(2.0 * math.pi * x), np.full(m, 3.0)])


def inputs(n, n_traj, dtype):
    """``(y0 (N, n), params (N, 3))`` of the ensemble in ``dtype``."""
    y0 = np.tile(initial(n), (n_traj, 1)).astype(dtype)
    b = np.linspace(B_LOW, B_HIGH, n_traj) if n_traj > 1 else np.array([0.5 * (B_LOW + B_HIGH)])
    params = np.column_stack([np.ones(n_traj), b, np.full(n_traj, ALPHA)]).astype(dtype)
    return y0, params


def state_names(n):
    m = n // 2
    width = len(str(m - 1))
    return [f"u{i:0{width}d}" for i in range(m)] + [f"v{i:0{width}d}" for i in range(m)]


def cubie_equations(n):
    """The Brusselator as cubie's ``dxdt`` strings (diffusion ``alpha (m + 1)^2``, Dirichlet ends)."""
    names = state_names(n)
    m = n // 2
    u, v = names[:m], names[m:]
    d = float((m + 1) ** 2)
    eqs = []
    for i in range(m):
        ul, ur = (u[i - 1] if i > 0 else "A"), (u[i + 1] if i < m - 1 else "A")
        eqs.append(f"d{u[i]} = A + {u[i]}**2*{v[i]} - (B + 1)*{u[i]} + alpha*{d!r}*({ul} - 2*{u[i]} + {ur})")
    for i in range(m):
        vl, vr = (v[i - 1] if i > 0 else "B/A"), (v[i + 1] if i < m - 1 else "B/A")
        eqs.append(f"d{v[i]} = B*{u[i]} - {u[i]}**2*{v[i]} + alpha*{d!r}*({vl} - 2*{v[i]} + {vr})")
    return eqs


def symbolic_brusselator(n):
    """``kernels.brusselator(n)`` written as SymPy equations (``kernels.symbolic_system``): the same model,
    states and parameters, its rhs, Jacobian and products generated as straight-line code, as cubie's are."""
    import sympy

    import kernels

    m = n // 2
    u, v = sympy.symbols(f"u0:{m}"), sympy.symbols(f"v0:{m}")
    a, b, alpha = sympy.symbols("A B alpha")
    c = alpha * (m + 1) ** 2
    du, dv = [], []
    for i in range(m):
        ul, ur = (u[i - 1] if i > 0 else a), (u[i + 1] if i < m - 1 else a)
        vl, vr = (v[i - 1] if i > 0 else b / a), (v[i + 1] if i < m - 1 else b / a)
        du.append(a + u[i] ** 2 * v[i] - (b + 1) * u[i] + c * (ul - 2 * u[i] + ur))
        dv.append(b * u[i] - u[i] ** 2 * v[i] + c * (vl - 2 * v[i] + vr))
    return kernels.symbolic_system(list(u) + list(v), du + dv, [a, b, alpha], name=f"brusselator_sym_{n}",
                                   default_params=(1.0, 3.0, 1.0 / 50.0))


def rhs(t, y, a, b, alpha):
    """NumPy right-hand side (for SciPy)."""
    m = y.size // 2
    c = alpha * (m + 1) ** 2
    u, v = y[:m], y[m:]
    up, vp = np.concatenate([[a], u, [a]]), np.concatenate([[b / a], v, [b / a]])
    uuv = u * u * v
    du = a + uuv - (b + 1.0) * u + c * (up[:-2] - 2.0 * u + up[2:])
    dv = b * u - uuv + c * (vp[:-2] - 2.0 * v + vp[2:])
    return np.concatenate([du, dv])


def scipy_final(n, params_rows, t1, rtol=1e-10, atol=1e-12):
    """Final states (k, n) by SciPy Radau in float64 for the given parameter rows (k, 3)."""
    from scipy.integrate import solve_ivp

    out = []
    for a, b, alpha in np.asarray(params_rows, dtype=np.float64):
        sol = solve_ivp(rhs, (0.0, t1), initial(n), method="Radau", rtol=rtol, atol=atol, args=(a, b, alpha))
        out.append(sol.y[:, -1])
    return np.array(out)


def max_rel_diff(a, b):
    """``max |a - b| / max(|b|, 1e-30)`` over all entries (the Brusselator's states are O(1) and positive)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-30)))


def add_configuration_arguments(ap, sizes="8,32,64,128", precisions="float32,float64", methods="sdirk4,radau,rodas4"):
    """``--sizes``, ``--precisions`` and ``--methods`` (comma lists) of a stiff benchmark, with its defaults."""
    ap.add_argument("--sizes", default=sizes)
    ap.add_argument("--precisions", default=precisions)
    ap.add_argument("--methods", default=methods)


def add_span_arguments(ap):
    """``--t1-by-n`` (the span per size: 100 steps of 1e-3 up to 32 states, fewer above), ``--tol``
    (Newton's tolerances per precision) and ``--kappa``: the problem as ``stiff_peers`` times it."""
    ap.add_argument("--t1-by-n", default="8:0.1,32:0.1,64:0.02,128:0.01")
    ap.add_argument("--tol", default="float32:1e-5,float64:1e-8", help="Newton's tolerances per precision")
    ap.add_argument("--kappa", type=float, default=None,
                    help="bufferplan's Newton stops at kappa tolerances (SolverOptions(kappa=); default the "
                         "library's 0.05, Hairer's)")
