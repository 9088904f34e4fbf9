#!/usr/bin/env python3
"""GPU test battery for bufferplan (kernels.solve_ivp), public API only.

    python battery.py --out DIR [--sim] [--jobs K] [--deadline-s S] [--only NAME,...]
                      [--batch N] [--problem-timeout S] [--list]

Each problem runs in its own spawned worker process (one ProcessPoolExecutor per problem, so
that a hung problem can be killed alone). Results go line by line to DIR/battery.jsonl; at the
end DIR/battery.txt holds a table sorted worst first, with flags.
"""
import argparse
import fcntl
import json
import math
import os
import signal
import sys
import time
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor, wait, FIRST_COMPLETED
import multiprocessing as mp

import numpy as np

SEED = 20261205
PROBLEMS = {}


def problem(fn):
    PROBLEMS[fn.__name__] = fn
    return fn


def C(method, prec="f64", plan="auto", rtol=None, atol=None, dt=None, solver=None, big=0,
      dt_max=None, block_size=None, max_registers=None, api="solve_ivp"):
    """One configuration. big: the batch is tiled `big` times on a GPU (ignored with --sim)."""
    fixed = dt is not None
    big = int(big)
    name = f"{method}-{prec}-{plan}"
    if solver is not None:
        name += f"-{solver}"
    if fixed:
        name += f"-fixed{dt:g}"
    if block_size is not None:
        name += f"-bs{block_size}"
    if max_registers is not None:
        name += f"-maxreg{max_registers}"
    if big:
        name += f"-batch_x{big}"
    if api != "solve_ivp":
        name += f"-{api}"
    return dict(api=api, name=name, method=method, prec=prec, plan=plan, rtol=rtol, atol=atol, dt=dt,
                solver=solver, fixed=fixed, big=big, dt_max=dt_max, block_size=block_size,
                max_registers=max_registers)


# ----------------------------------------------------------------------------------------------
# Right-hand sides, written as different users would write them
# ----------------------------------------------------------------------------------------------

# P1: n = 1, int/float exponents, pow, abs, sqrt, int literals mixed with floats
def growth_rhs(t, y, p, dydt):
    x = y[0]
    dydt[0] = (p[0] * x * (1 - x / p[1]) - 0.3 * x ** 2 / (1 + x ** 2)
               + 0.05 * math.sqrt(1.0 + t) - 0.01 * pow(abs(x), 1.5))


# P2: n = 2, tuple unpacking of y, sin/cos, math.pi
def pendulum_rhs(t, y, p, dydt):
    theta, omega = y
    g_l, c, a = p[0], p[1], p[2]
    dydt[0] = omega
    dydt[1] = -g_l * math.sin(theta) - c * omega + a * math.cos(2 * math.pi * 0.5 * t)


# P3: Kepler, n = 4, float negative exponent
def kepler_rhs(t, y, p, dydt):
    x, yy, vx, vy = y[0], y[1], y[2], y[3]
    r2 = x * x + yy * yy
    inv_r3 = r2 ** -1.5
    dydt[0] = vx
    dydt[1] = vy
    dydt[2] = -p[0] * x * inv_r3
    dydt[3] = -p[0] * yy * inv_r3


# P4: linear y' = p0 A y, closure over a numpy matrix, loops, user jac
def make_linear(A):
    n = A.shape[0]

    def linear_rhs(t, y, p, dydt):
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += A[i, j] * y[j]
            dydt[i] = p[0] * s

    def linear_jac(t, y, p, J):
        for i in range(n):
            for j in range(n):
                J[i * n + j] = p[0] * A[i, j]

    return linear_rhs, linear_jac


# P5: Lorenz-96, n = 16, negative and modulo indices
def l96_rhs(t, y, p, dydt):
    n = 16
    for i in range(n):
        dydt[i] = (y[(i + 1) % n] - y[i - 2]) * y[i - 1] - y[i] + p[0]


# P6: Kuramoto, n = 33, closure over numpy coupling matrix and frequencies
def make_kuramoto(Kmat, omega):
    n = Kmat.shape[0]

    def kuramoto_rhs(t, y, p, dydt):
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += Kmat[i, j] * math.sin(y[j] - y[i])
            dydt[i] = omega[i] + p[0] / n * s

    return kuramoto_rhs


# P7: Robertson with rate constants per trajectory, user jac
def rober_rhs(t, y, p, dydt):
    k1, k2, k3 = p[0], p[1], p[2]
    y1, y2, y3 = y[0], y[1], y[2]
    dydt[0] = -k1 * y1 + k3 * y2 * y3
    dydt[1] = k1 * y1 - k3 * y2 * y3 - k2 * y2 ** 2
    dydt[2] = k2 * y2 * y2


def rober_jac(t, y, p, J):
    k1, k2, k3 = p[0], p[1], p[2]
    J[0] = -k1
    J[1] = k3 * y[2]
    J[2] = k3 * y[1]
    J[3] = k1
    J[4] = -k3 * y[2] - 2 * k2 * y[1]
    J[5] = -k3 * y[1]
    J[6] = 0.0
    J[7] = 2.0 * k2 * y[1]
    J[8] = 0.0


# P8: Van der Pol mu ~ 1000, user jac
def vdp_rhs(t, y, p, dydt):
    mu = p[0]
    dydt[0] = y[1]
    dydt[1] = mu * (1.0 - y[0] * y[0]) * y[1] - y[0]


def vdp_jac(t, y, p, J):
    mu = p[0]
    J[0] = 0.0
    J[1] = 1.0
    J[2] = -2.0 * mu * y[0] * y[1] - 1.0
    J[3] = mu * (1.0 - y[0] * y[0])


# P9: stiff reaction-diffusion chain, n = 100, closure over a source array, loop jac (dense)
def make_rd(n, src):
    h2 = float((n + 1) ** 2)

    def rd_rhs(t, y, p, dydt):
        D = p[0]
        k = p[1]
        for i in range(n):
            left = y[i - 1] if i > 0 else 0.0
            right = y[i + 1] if i < n - 1 else 0.0
            dydt[i] = D * h2 * (left - 2.0 * y[i] + right) - k * y[i] * y[i] + src[i]

    def rd_jac(t, y, p, J):
        D = p[0]
        k = p[1]
        for i in range(n * n):
            J[i] = 0.0
        for i in range(n):
            J[i * n + i] = -2.0 * D * h2 - 2.0 * k * y[i]
            if i > 0:
                J[i * n + i - 1] = D * h2
            if i < n - 1:
                J[i * n + i + 1] = D * h2

    return rd_rhs, rd_jac


# P10: Brusselator 1-D, 32 cells x 2 species = 64 states, jvp only
def make_bruss(m, alpha):
    def bruss_rhs(t, y, p, dydt):
        A = p[0]
        B = p[1]
        c = alpha * (m + 1) ** 2
        for i in range(m):
            u = y[2 * i]
            v = y[2 * i + 1]
            if i == 0:
                ul = 1.0
                vl = 3.0
            else:
                ul = y[2 * i - 2]
                vl = y[2 * i - 1]
            if i == m - 1:
                ur = 1.0
                vr = 3.0
            else:
                ur = y[2 * i + 2]
                vr = y[2 * i + 3]
            dydt[2 * i] = A + u * u * v - (B + 1.0) * u + c * (ul - 2.0 * u + ur)
            dydt[2 * i + 1] = B * u - u * u * v + c * (vl - 2.0 * v + vr)

    def bruss_jvp(t, y, p, w, out):
        B = p[1]
        c = alpha * (m + 1) ** 2
        for i in range(m):
            u = y[2 * i]
            v = y[2 * i + 1]
            du = w[2 * i]
            dv = w[2 * i + 1]
            dul = w[2 * i - 2] if i > 0 else 0.0
            dvl = w[2 * i - 1] if i > 0 else 0.0
            dur = w[2 * i + 2] if i < m - 1 else 0.0
            dvr = w[2 * i + 3] if i < m - 1 else 0.0
            out[2 * i] = (2.0 * u * v - (B + 1.0)) * du + u * u * dv + c * (dul - 2.0 * du + dur)
            out[2 * i + 1] = (B - 2.0 * u * v) * du - u * u * dv + c * (dvl - 2.0 * dv + dvr)

    return bruss_rhs, bruss_jvp


# P12: driven damped oscillator with 2 drivers
def driven_rhs(t, y, p, u, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[0] - p[1] * y[1] + u[0] + 0.5 * u[1]


# P13: projectile with quadratic drag, terminal event at the ground
def projectile_rhs(t, y, p, dydt):
    vx = y[2]
    vy = y[3]
    v = math.sqrt(vx * vx + vy * vy)
    dydt[0] = vx
    dydt[1] = vy
    dydt[2] = -p[0] * v * vx
    dydt[3] = -9.81 - p[0] * v * vy


def ground(t, y, p):
    return y[1]


# P14: Hodgkin-Huxley with if/else branches on the state (removable singularities), exp
def hh_rhs(t, y, p, dydt):
    V = y[0]
    m = y[1]
    h = y[2]
    nn = y[3]
    x = V + 40.0
    if abs(x) < 1e-4:
        am = 1.0
    else:
        am = 0.1 * x / (1.0 - math.exp(-x / 10.0))
    bm = 4.0 * math.exp(-(V + 65.0) / 18.0)
    ah = 0.07 * math.exp(-(V + 65.0) / 20.0)
    bh = 1.0 / (1.0 + math.exp(-(V + 35.0) / 10.0))
    z = V + 55.0
    if abs(z) < 1e-4:
        an = 0.1
    else:
        an = 0.01 * z / (1.0 - math.exp(-z / 10.0))
    bn = 0.125 * math.exp(-(V + 65) / 80)
    INa = 120.0 * m ** 3 * h * (V - 50.0)
    IK = 36.0 * nn ** 4 * (V + 77.0)
    IL = 0.3 * (V + 54.387)
    dydt[0] = p[0] - INa - IK - IL
    dydt[1] = am * (1.0 - m) - bm * m
    dydt[2] = ah * (1.0 - h) - bh * h
    dydt[3] = an * (1.0 - nn) - bn * nn


# P17: seasonal SIR, closure over Python float and int constants, math.pi, int literals
def make_sir():
    gamma = 1 / 7.0
    N = 1
    amp = 0.3

    def sir_rhs(t, y, p, dydt):
        S, I, R = y[0], y[1], y[2]
        beta = p[0] * (1 + amp * math.cos(2 * math.pi * t / 365))
        inf = beta * S * I / N
        dydt[0] = -inf + p[1] * R
        dydt[1] = inf - gamma * I
        dydt[2] = gamma * I - p[1] * R

    return sir_rhs


# P18: enzyme cascade with min / max / abs kinks
def enzyme_rhs(t, y, p, dydt):
    v1 = min(p[0] * y[0], p[1])
    v2 = max(y[1] - 0.2, 0.0) * p[2]
    v3 = 0.05 * abs(y[2] - y[0])
    dydt[0] = -v1 + v3
    dydt[1] = v1 - v2
    dydt[2] = v2 - v3


# P19: continuous-time RNN, n = 12, tanh, log, closure numpy W and a tuple of biases
def make_ctrnn(W, bias):
    n = W.shape[0]

    def ctrnn_rhs(t, y, p, dydt):
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += W[i, j] * math.tanh(y[j] + bias[j])
            dydt[i] = (-y[i] + s - 0.1 * math.log(1.0 + y[i] * y[i])) / p[0]

    return ctrnn_rhs


# P20: Hahnfeldt tumour model, log and pow with a float exponent
def tumour_rhs(t, y, p, dydt):
    V = y[0]
    K = y[1]
    dydt[0] = -p[0] * V * math.log(V / K)
    dydt[1] = p[1] * V - p[2] * K * pow(V, 2.0 / 3.0)


# ----------------------------------------------------------------------------------------------
# Problems: each returns a dict spec
# ----------------------------------------------------------------------------------------------

def _u(rng, lo, hi, N):
    return rng.uniform(lo, hi, N)


@problem
def growth_n1(N, sim, rng):
    import kernels
    sysm = kernels.ODESystem(growth_rhs, n_states=1, n_params=2, name="growth_n1")
    return dict(system=sysm, n=1, t_span=(0.0, 1.0 if sim else 10.0),
                y0=_u(rng, 0.1, 2.0, N)[:, None],
                params=np.column_stack([_u(rng, 0.5, 2.0, N), _u(rng, 5.0, 15.0, N)]),
                f=growth_rhs, stiff=False,
                configs=[C("tsit5", "f64", "auto", 1e-8, 1e-10), C("sdirk4", "f64", "local", 1e-6, 1e-8),
                         C("rk4", "f32", "shared", dt=0.01), C("dop853", "f64", "auto", 1e-10, 1e-12),
                         C("bs3", "f32", "auto", 1e-4, 1e-6),
                         C("tsit5", "f64", "auto", 1e-8, 1e-10, api="device")])


@problem
def pendulum_unpack_n2(N, sim, rng):
    import kernels
    sysm = kernels.ODESystem(pendulum_rhs, n_states=2, n_params=3, name="pendulum_unpack")
    T = 1.0 if sim else 10.0
    return dict(system=sysm, n=2, t_span=(0.0, T),
                y0=np.column_stack([_u(rng, -2.5, 2.5, N), _u(rng, -1.0, 1.0, N)]),
                params=np.column_stack([_u(rng, 5.0, 15.0, N), _u(rng, 0.0, 0.3, N), _u(rng, 0.0, 1.0, N)]),
                t_eval=np.linspace(T / 10, T, 10), f=pendulum_rhs, stiff=False,
                configs=[C("vern9", "f64", "local", 1e-10, 1e-12), C("vern9", "f64", "shared", 1e-10, 1e-12),
                         C("tsit5", "f32", "auto", 1e-5, 1e-6), C("rk4", "f64", "auto", dt=1e-3),
                         C("gauss4", "f64", "auto", dt=1e-2), C("vern9", "f64", "auto", 1e-10, 1e-12, big=16)])


@problem
def kepler_n4(N, sim, rng):
    import kernels
    sysm = kernels.ODESystem(kepler_rhs, n_states=4, n_params=1, name="kepler")
    T = 2.0 if sim else 20.0
    v = _u(rng, 0.8, 1.2, N)
    y0 = np.column_stack([np.ones(N), np.zeros(N), np.zeros(N), v])

    def extra(y, rows, params, t_eval):
        x, yy, vx, vy = (y[:, -1, k] for k in range(4))
        E1 = 0.5 * (vx ** 2 + vy ** 2) - params[:, 0] / np.sqrt(x ** 2 + yy ** 2)
        E0 = 0.5 * v ** 2 - params[:, 0]
        d = np.abs(E1 - E0) / np.abs(E0)
        return {"max_rel_energy_drift": float(np.nanmax(d)) if np.isfinite(d).any() else None}

    return dict(system=sysm, n=4, t_span=(0.0, T), y0=y0, params=np.ones((N, 1)),
                f=kepler_rhs, stiff=False, extra=extra,
                configs=[C("dop853", "f64", "local", 1e-10, 1e-12), C("dop853", "f64", "shared", 1e-10, 1e-12),
                         C("vern7", "f64", "auto", 1e-9, 1e-11), C("tsit5", "f32", "auto", 1e-5, 1e-7),
                         C("rk4", "f64", "auto", dt=1e-3), C("radau", "f64", "auto", 1e-8, 1e-10)])


@problem
def linear_expm_n7(N, sim, rng):
    import kernels
    from scipy.linalg import expm
    r = np.random.default_rng(7)
    Q, _ = np.linalg.qr(r.normal(size=(7, 7)))
    Dm = np.diag([-0.1, -1.0, -5.0, -20.0, -50.0, -1.0, -2.0])
    Dm[5, 6], Dm[6, 5] = 3.0, -3.0  # an oscillatory pair
    A = Q @ Dm @ Q.T
    rhs, jac = make_linear(A)
    sysm = kernels.ODESystem(rhs, n_states=7, n_params=1, name="linear_expm", jac=jac)
    T = 0.5 if sim else 5.0
    te = np.linspace(T / 10, T, 10)

    def exact(t_arr, y0row, prow):
        return np.array([expm(prow[0] * A * t) @ y0row for t in t_arr])

    return dict(system=sysm, n=7, t_span=(0.0, T), y0=rng.uniform(-1, 1, (N, 7)),
                params=_u(rng, 0.5, 2.0, N)[:, None], t_eval=te, exact=exact, f=rhs, stiff=True,
                configs=[C("rodas5p", "f64", "local", 1e-8, 1e-10), C("rodas5p", "f64", "shared", 1e-8, 1e-10),
                         C("tsit5", "f64", "auto", 1e-8, 1e-10), C("radau", "f64", "auto", 1e-8, 1e-10, solver="lu"),
                         C("kvaerno5", "f64", "auto", 1e-8, 1e-10, solver="gmres"),
                         C("ros3p", "f64", "auto", dt=1e-3)])


@problem
def lorenz96_n16(N, sim, rng):
    import kernels
    sysm = kernels.ODESystem(l96_rhs, n_states=16, n_params=1, name="lorenz96")
    T = 0.2 if sim else 2.0
    F = _u(rng, 7.0, 9.0, N)
    y0 = F[:, None] + rng.uniform(-0.5, 0.5, (N, 16))
    return dict(system=sysm, n=16, t_span=(0.0, T), y0=y0, params=F[:, None],
                t_eval=np.linspace(T / 10, T, 10), f=l96_rhs, stiff=False,
                configs=[C("tsit5", "f64", "local", 1e-8, 1e-10), C("tsit5", "f64", "shared", 1e-8, 1e-10, block_size=32),
                         C("tsit5", "f64", "auto", 1e-8, 1e-10), C("dop853", "f64", "auto", 1e-10, 1e-12),
                         C("rk4", "f32", "auto", dt=1e-3), C("rk4", "f32", "auto", dt=1e-3, big=256)])


@problem
def kuramoto_n33(N, sim, rng):
    import kernels
    r = np.random.default_rng(33)
    Kmat = r.uniform(0.0, 1.0, (33, 33))
    omega = r.normal(0.0, 1.0, 33)
    rhs = make_kuramoto(Kmat, omega)
    sysm = kernels.ODESystem(rhs, n_states=33, n_params=1, name="kuramoto")
    T = 0.5 if sim else 5.0
    return dict(system=sysm, n=33, t_span=(0.0, T), y0=rng.uniform(-math.pi, math.pi, (N, 33)),
                params=_u(rng, 0.5, 4.0, N)[:, None], f=rhs, stiff=False,
                configs=[C("tsit5", "f64", "auto", 1e-8, 1e-10), C("vern7", "f64", "shared", 1e-9, 1e-11),
                         C("rk4", "f32", "auto", dt=1e-2), C("dopri5", "f32", "local", 1e-5, 1e-6)])


@problem
def robertson_jac_n3(N, sim, rng):
    import kernels
    sysm = kernels.ODESystem(rober_rhs, n_states=3, n_params=3, name="robertson_user", jac=rober_jac)
    T = 10.0 if sim else 1e5
    te = np.logspace(-3, math.log10(T), 8)
    params = np.column_stack([0.04 * 10 ** _u(rng, -0.5, 0.5, N), 3e7 * 10 ** _u(rng, -0.5, 0.5, N),
                              1e4 * 10 ** _u(rng, -0.5, 0.5, N)])
    return dict(system=sysm, n=3, t_span=(0.0, T), y0=np.tile([1.0, 0.0, 0.0], (N, 1)), params=params,
                t_eval=te, f=rober_rhs, jac=rober_jac, stiff=True, ref_atol=1e-18,
                configs=[C("radau", "f64", "auto", 1e-6, 1e-10, solver="lu"), C("rodas5p", "f64", "shared", 1e-6, 1e-10),
                         C("kvaerno5", "f64", "local", 1e-6, 1e-10), C("sdirk4", "f64", "auto", 1e-6, 1e-10),
                         C("rodas5p", "f32", "shared", 1e-4, 1e-8), C("rodas5p", "f64", "auto", 1e-6, 1e-10, big=16)])


@problem
def vdp_mu1000_n2(N, sim, rng):
    import kernels
    sysm = kernels.ODESystem(vdp_rhs, n_states=2, n_params=1, name="vdp_user", jac=vdp_jac)
    T = 1.0 if sim else 2000.0
    return dict(system=sysm, n=2, t_span=(0.0, T), y0=np.tile([2.0, 0.0], (N, 1)),
                params=_u(rng, 800.0, 1200.0, N)[:, None], f=vdp_rhs, jac=vdp_jac, stiff=True,
                t_eval=np.linspace(T / 6, T, 6),
                configs=[C("radau", "f64", "auto", 1e-6, 1e-6), C("rodas5p", "f64", "local", 1e-6, 1e-6),
                         C("kvaerno5", "f64", "auto", 1e-6, 1e-6), C("rodas4", "f32", "auto", 1e-4, 1e-4),
                         C("rodas5p", "f64", "shared", 1e-6, 1e-6)])


@problem
def rd_chain_n100(N, sim, rng):
    import kernels
    n = 100
    xg = np.linspace(0, 1, n + 2)[1:-1]
    src = np.exp(-((xg - 0.5) / 0.1) ** 2)
    rhs, jac = make_rd(n, src)
    sysm = kernels.ODESystem(rhs, n_states=n, n_params=2, name="rd_chain", jac=jac)
    T = 0.01 if sim else 2.0
    y0 = np.sin(np.pi * xg)[None, :] * _u(rng, 0.5, 1.5, N)[:, None]
    return dict(system=sysm, n=n, t_span=(0.0, T), y0=y0,
                params=np.column_stack([_u(rng, 0.05, 0.2, N), _u(rng, 0.5, 2.0, N)]),
                f=rhs, jac=jac, stiff=True,
                configs=[C("rodas5p", "f64", "auto", 1e-6, 1e-8, solver="lu"),
                         C("kvaerno5", "f64", "auto", 1e-6, 1e-8, solver="gmres"),
                         C("radau", "f64", "local", 1e-6, 1e-8), C("rodas5p", "f64", "auto", 1e-6, 1e-8, solver="lu", big=16),
                         C("rodas5p", "f64", "shared", 1e-6, 1e-8, solver="lu"),
                         C("rodas5p", "f64", "auto", 1e-6, 1e-8, solver="lu", max_registers=255)])


@problem
def brusselator_jvp_n64(N, sim, rng):
    import kernels
    m = 32
    rhs, jvp = make_bruss(m, 0.02)
    sysm = kernels.ODESystem(rhs, n_states=2 * m, n_params=2, name="bruss_jvp", jvp=jvp)
    T = 0.05 if sim else 10.0
    xg = np.linspace(0, 1, m + 2)[1:-1]
    y0 = np.empty((N, 2 * m))
    y0[:, 0::2] = 1.0 + np.sin(2 * np.pi * xg)[None, :]
    y0[:, 1::2] = 3.0
    y0 *= _u(rng, 0.9, 1.1, N)[:, None]
    return dict(system=sysm, n=2 * m, t_span=(0.0, T), y0=y0,
                params=np.column_stack([_u(rng, 0.9, 1.1, N), _u(rng, 2.8, 3.2, N)]),
                f=rhs, stiff=True,
                configs=[C("rodas5p", "f64", "auto", 1e-6, 1e-8, solver="lu"),
                         C("kvaerno5", "f64", "auto", 1e-6, 1e-8, solver="gmres"),
                         C("radau", "f64", "auto", 1e-6, 1e-8, solver="lu"),
                         C("sdirk4", "f32", "auto", 1e-4, 1e-6, solver="bicgstab"),
                         C("rodas4", "f64", "local", 1e-6, 1e-8, solver="gmres")])


@problem
def oregonator_sympy_n3(N, sim, rng):
    import kernels
    import sympy as sp
    y1, y2, y3, s, w = sp.symbols("y1 y2 y3 s w")
    exprs = [s * (y2 + y1 * (1 - sp.Rational(8375, 10 ** 9) * y1 - y2)),
             (y3 - (1 + y1) * y2) / s, w * (y1 - y3)]
    sysm = kernels.symbolic_system([y1, y2, y3], exprs, params=[s, w], name="oregonator_sympy")
    fl = sp.lambdify((y1, y2, y3, s, w), exprs, "math")
    jl = sp.lambdify((y1, y2, y3, s, w), sp.Matrix(exprs).jacobian([y1, y2, y3]), "numpy")

    def f(t, y, p, dydt):
        dydt[:] = fl(y[0], y[1], y[2], p[0], p[1])

    def jac(t, y, p, J):
        J[:] = np.asarray(jl(y[0], y[1], y[2], p[0], p[1]), float).ravel()

    T = 1.0 if sim else 360.0
    return dict(system=sysm, n=3, t_span=(0.0, T), y0=np.tile([1.0, 2.0, 3.0], (N, 1)),
                params=np.column_stack([77.27 * _u(rng, 0.95, 1.05, N), 0.161 * _u(rng, 0.95, 1.05, N)]),
                t_eval=np.linspace(T / 12, T, 12), f=f, jac=jac, stiff=True,
                configs=[C("rodas5p", "f64", "auto", 1e-6, 1e-8), C("radau", "f64", "shared", 1e-6, 1e-8),
                         C("kvaerno5", "f32", "auto", 1e-4, 1e-4), C("rodas4", "f64", "local", 1e-6, 1e-8, solver="gmres")])


@problem
def driven_osc_drivers_n2(N, sim, rng):
    import kernels
    sysm = kernels.ODESystem(driven_rhs, n_states=2, n_params=2, n_drivers=2, name="driven_osc")
    T = 1.0 if sim else 10.0
    times = np.linspace(0.0, T, int(round(T / 0.1)) + 1)
    vals = np.column_stack([np.sin(3.0 * times), np.sign(np.sin(1.3 * times + 0.1))])

    def f(t, y, p, dydt):
        u = np.array([np.interp(t, times, vals[:, 0]), np.interp(t, times, vals[:, 1])])
        driven_rhs(t, y, p, u, dydt)

    return dict(system=sysm, n=2, t_span=(0.0, T), y0=rng.uniform(-1, 1, (N, 2)),
                params=np.column_stack([_u(rng, 1.0, 10.0, N), _u(rng, 0.1, 1.0, N)]),
                drivers=(times, vals), t_eval=times[1:], f=f, stiff=False, ref_tcrit=times,
                configs=[C("tsit5", "f64", "auto", 1e-8, 1e-10), C("rodas5p", "f64", "auto", 1e-8, 1e-10),
                         C("rk4", "f64", "shared", dt=0.01), C("dopri5", "f32", "local", 1e-5, 1e-6)])


@problem
def projectile_event_n4(N, sim, rng):
    import kernels
    sysm = kernels.ODESystem(projectile_rhs, n_states=4, n_params=1, name="projectile")
    ang = _u(rng, 0.3, 1.3, N)
    sp0 = _u(rng, 5.0, 30.0, N) if not sim else _u(rng, 2.0, 4.0, N)
    y0 = np.column_stack([np.zeros(N), np.full(N, 1.0), sp0 * np.cos(ang), sp0 * np.sin(ang)])
    T = 20.0 if not sim else 2.0
    return dict(system=sysm, n=4, t_span=(0.0, T), y0=y0, params=_u(rng, 0.0, 0.05, N)[:, None],
                f=projectile_rhs, stiff=False, event=ground,
                summaries=dict(states=[1], stats=("max", "final"), per="run"),
                configs=[C("tsit5", "f64", "auto", 1e-8, 1e-10), C("rk4", "f64", "local", dt=1e-3),
                         C("dop853", "f64", "shared", 1e-10, 1e-12), C("rodas5p", "f64", "auto", 1e-8, 1e-10),
                         C("tsit5", "f32", "shared", 1e-5, 1e-6)])


@problem
def hodgkin_huxley_n4(N, sim, rng):
    import kernels
    sysm = kernels.ODESystem(hh_rhs, n_states=4, n_params=1, name="hh")
    T = 5.0 if sim else 50.0
    y0 = np.tile([-65.0, 0.053, 0.596, 0.318], (N, 1))
    y0[:, 0] += rng.uniform(-5, 5, N)
    return dict(system=sysm, n=4, t_span=(0.0, T), y0=y0, params=_u(rng, 5.0, 15.0, N)[:, None],
                t_eval=np.linspace(T / 10, T, 10), f=hh_rhs, stiff=False,
                configs=[C("tsit5", "f64", "auto", 1e-8, 1e-8), C("rodas5p", "f64", "auto", 1e-7, 1e-7),
                         C("dopri5", "f32", "shared", 1e-5, 1e-5), C("rk4", "f32", "auto", dt=0.01),
                         C("tsit5", "f64", "local", 1e-8, 1e-8)])


def _hill_ref(x, K, nh):
    return x ** nh / (K ** nh + x ** nh)


def gene_ring_ref(t, y, p, dydt):
    n = 7
    for i in range(n):
        dydt[i] = p[0] * (1.0 - _hill_ref(y[i - 1], 1.0, p[1])) + 0.05 - y[i]


@problem
def gene_ring_helper_n7(N, sim, rng):
    import kernels
    from numba import cuda

    @cuda.jit(device=True)
    def hill(x, K, nh):
        return x ** nh / (K ** nh + x ** nh)

    def gene_rhs(t, y, p, dydt):
        n = 7
        for i in range(n):
            dydt[i] = p[0] * (1.0 - hill(y[i - 1], 1.0, p[1])) + 0.05 - y[i]

    sysm = kernels.ODESystem(gene_rhs, n_states=7, n_params=2, name="gene_ring")
    T = 1.0 if sim else 30.0
    return dict(system=sysm, n=7, t_span=(0.0, T), y0=rng.uniform(0.1, 3.0, (N, 7)),
                params=np.column_stack([_u(rng, 5.0, 20.0, N), _u(rng, 2.0, 3.5, N)]),
                t_eval=np.linspace(T / 10, T, 10), f=gene_ring_ref, stiff=False,
                configs=[C("tsit5", "f64", "auto", 1e-8, 1e-10), C("rodas5p", "f64", "auto", 1e-8, 1e-10),
                         C("kvaerno5", "f32", "auto", 1e-4, 1e-6), C("vern9", "f64", "shared", 1e-10, 1e-12)])


@problem
def fput_n64(N, sim, rng):
    import kernels
    m = 32
    beta = 0.25

    def fput_rhs(t, y, p, dydt):
        for i in range(m):
            q = y[i]
            ql = y[i - 1] if i > 0 else 0.0
            qr = y[i + 1] if i < m - 1 else 0.0
            dr = qr - q
            dl = q - ql
            dydt[i] = y[m + i]
            dydt[m + i] = (dr + beta * dr ** 3) - (dl + beta * dl ** 3)

    sysm = kernels.ODESystem(fput_rhs, n_states=2 * m, n_params=0, name="fput")
    T = 1.0 if sim else 20.0
    k = np.arange(1, m + 1)
    y0 = np.zeros((N, 2 * m))
    y0[:, :m] = _u(rng, 0.5, 2.0, N)[:, None] * np.sin(np.pi * k / (m + 1))[None, :]

    def energy(y):
        q, v = y[..., :m], y[..., m:]
        qq = np.concatenate([np.zeros(q.shape[:-1] + (1,)), q, np.zeros(q.shape[:-1] + (1,))], -1)
        d = np.diff(qq, axis=-1)
        return 0.5 * (v ** 2).sum(-1) + (0.5 * d ** 2 + beta / 4 * d ** 4).sum(-1)

    def extra(y, rows, params, t_eval):
        E0 = energy(y0)
        d = np.abs(energy(y[:, -1, :]) - E0) / E0
        return {"max_rel_energy_drift": float(np.nanmax(d)) if np.isfinite(d).any() else None}

    return dict(system=sysm, n=2 * m, t_span=(0.0, T), y0=y0, params=None, f=fput_rhs, stiff=False,
                extra=extra,
                configs=[C("dop853", "f64", "auto", 1e-10, 1e-12), C("tsit5", "f32", "local", 1e-5, 1e-6),
                         C("rk4", "f64", "auto", dt=1e-2), C("vern9", "f64", "shared", 1e-11, 1e-13)])


@problem
def sir_seasonal_n3(N, sim, rng):
    import kernels
    rhs = make_sir()
    sysm = kernels.ODESystem(rhs, n_states=3, n_params=2, name="sir_seasonal")
    T = 30.0 if sim else 730.0
    I0 = 10 ** _u(rng, -5, -3, N)
    y0 = np.column_stack([1 - I0, I0, np.zeros(N)])
    return dict(system=sysm, n=3, t_span=(0.0, T), y0=y0,
                params=np.column_stack([_u(rng, 0.2, 0.6, N), _u(rng, 0.0, 0.01, N)]),
                t_eval=np.linspace(T / 10, T, 10), f=rhs, stiff=False,
                configs=[C("tsit5", "f64", "auto", 1e-8, 1e-12), C("tsit5", "f32", "auto", 1e-5, 1e-9),
                         C("rodas5p", "f64", "shared", 1e-8, 1e-12), C("rk4", "f64", "local", dt=0.05),
                         C("tsit5", "f32", "auto", 1e-5, 1e-9, api="device")])


@problem
def enzyme_minmax_n3(N, sim, rng):
    import kernels
    sysm = kernels.ODESystem(enzyme_rhs, n_states=3, n_params=3, name="enzyme_minmax")
    T = 2.0 if sim else 20.0
    return dict(system=sysm, n=3, t_span=(0.0, T), y0=rng.uniform(0.5, 2.0, (N, 3)),
                params=np.column_stack([_u(rng, 0.5, 2.0, N), _u(rng, 0.3, 1.0, N), _u(rng, 0.5, 2.0, N)]),
                t_eval=np.linspace(T / 10, T, 10), f=enzyme_rhs, stiff=False,
                configs=[C("tsit5", "f64", "auto", 1e-8, 1e-10), C("radau", "f64", "auto", 1e-8, 1e-10),
                         C("dopri5", "f32", "auto", 1e-5, 1e-6), C("rk4", "f64", "shared", dt=1e-3)])


@problem
def ctrnn_n12(N, sim, rng):
    import kernels
    r = np.random.default_rng(12)
    W = r.normal(0, 1.5, (12, 12))
    bias = tuple(float(b) for b in r.normal(0, 0.5, 12))
    rhs = make_ctrnn(W, bias)
    sysm = kernels.ODESystem(rhs, n_states=12, n_params=1, name="ctrnn")
    T = 1.0 if sim else 20.0
    return dict(system=sysm, n=12, t_span=(0.0, T), y0=rng.uniform(-1, 1, (N, 12)),
                params=_u(rng, 0.5, 2.0, N)[:, None], t_eval=np.linspace(T / 10, T, 10), f=rhs, stiff=False,
                configs=[C("tsit5", "f64", "auto", 1e-8, 1e-10), C("kvaerno5", "f64", "auto", 1e-7, 1e-9),
                         C("vern7", "f64", "shared", 1e-9, 1e-11), C("rk4", "f32", "auto", dt=1e-2)])


@problem
def tumour_log_pow_n2(N, sim, rng):
    import kernels
    sysm = kernels.ODESystem(tumour_rhs, n_states=2, n_params=3, name="tumour")
    T = 1.0 if sim else 20.0
    return dict(system=sysm, n=2, t_span=(0.0, T),
                y0=np.column_stack([_u(rng, 50, 200, N), _u(rng, 300, 700, N)]),
                params=np.column_stack([_u(rng, 0.1, 0.3, N), _u(rng, 3.0, 6.0, N), _u(rng, 0.005, 0.01, N)]),
                t_eval=np.linspace(T / 10, T, 10), f=tumour_rhs, stiff=False,
                configs=[C("tsit5", "f64", "auto", 1e-8, 1e-8), C("rodas5p", "f64", "local", 1e-8, 1e-8),
                         C("dopri5", "f32", "auto", 1e-5, 1e-5), C("rk4", "f64", "auto", dt=1e-2)])


# P21: len(y) / y.shape[0] instead of a hard-coded n (the kernel's arrays must have length n)
def heat_len_rhs(t, y, p, dydt):
    n = len(y)
    m = dydt.shape[0]
    for i in range(n):
        left = y[i - 1] if i > 0 else 0.0
        right = y[i + 1] if i < m - 1 else 0.0
        dydt[i] = p[0] * (left - 2 * y[i] + right)


@problem
def heat_len_n16(N, sim, rng):
    import kernels
    from scipy.linalg import expm
    n = 16
    L = (np.diag(-2.0 * np.ones(n)) + np.diag(np.ones(n - 1), 1) + np.diag(np.ones(n - 1), -1))
    sysm = kernels.ODESystem(heat_len_rhs, n_states=n, n_params=1, name="heat_len")
    T = 0.2 if sim else 2.0

    def exact(t_arr, y0row, prow):
        return np.array([expm(prow[0] * L * t) @ y0row for t in t_arr])

    return dict(system=sysm, n=n, t_span=(0.0, T), y0=rng.uniform(-1, 1, (N, n)),
                params=_u(rng, 1.0, 10.0, N)[:, None], t_eval=np.linspace(T / 10, T, 10), exact=exact,
                f=heat_len_rhs, stiff=True,
                configs=[C("tsit5", "f64", "local", 1e-8, 1e-10), C("tsit5", "f64", "shared", 1e-8, 1e-10),
                         C("rodas5p", "f64", "shared", 1e-8, 1e-10), C("rodas5p", "f64", "local", 1e-8, 1e-10),
                         C("kvaerno5", "f32", "auto", 1e-4, 1e-6), C("rk4", "f64", "auto", dt=1e-3)])


# P22: Python number semantics a GPU must reproduce: round (half to even), float % and // with
# negative operands, int() truncation, copysign, hypot, atan2, erf, expm1, log1p, fabs, floor;
# a closure over a float32 numpy array and an explicit np.float64 cast. Each gives a decay rate.
def make_semantics():
    w32 = np.array([0.5, 0.25, 0.125], dtype=np.float32)
    half = np.float64(0.5)

    def sem_rhs(t, y, p, dydt):
        k0 = 1 + round(p[0])
        k1 = 1.0 + (p[1] % 3.0)
        k2 = 5.0 + (p[2] // 2.0)
        k3 = 3 + int(p[3])
        k4 = 1.0 + math.fabs(math.copysign(1.0, p[4]) - 1.0) + math.floor(p[4])
        dydt[0] = -k0 * y[0]
        dydt[1] = -k1 * y[1]
        dydt[2] = -k2 * y[2]
        dydt[3] = -k3 * y[3]
        dydt[4] = -k4 * y[4]
        # smooth extras that vanish identically: they only test compilation and accuracy of the functions
        z = math.hypot(y[0], y[1]) - math.sqrt(y[0] * y[0] + y[1] * y[1])
        z += math.atan2(math.sin(y[2]), math.cos(y[2])) - y[2]
        z += math.expm1(y[3]) - (math.exp(y[3]) - 1.0)
        z += math.log1p(y[4] * y[4]) - math.log(1.0 + y[4] * y[4])
        z += math.erf(y[0]) + math.erf(-y[0])
        z += (w32[0] + w32[1] + w32[2] - 0.875) * y[1] + (half - 0.5) * y[2]
        dydt[0] += z

    def k_host(prow):
        p = prow
        return np.array([1 + round(p[0]), 1.0 + (p[1] % 3.0), 5.0 + (p[2] // 2.0), 3 + int(p[3]),
                         1.0 + math.fabs(math.copysign(1.0, p[4]) - 1.0) + math.floor(p[4])], float)

    return sem_rhs, k_host


@problem
def semantics_n5(N, sim, rng):
    import kernels
    rhs, k_host = make_semantics()
    sysm = kernels.ODESystem(rhs, n_states=5, n_params=5, name="semantics")
    T = 0.5 if sim else 1.0
    # edge values, exactly representable in float32 too
    P = np.column_stack([rng.choice([0.5, 1.5, 2.5, 3.5, 0.49, 2.51], N),
                         rng.choice([-1.25, -4.5, 1.25, -0.5, 2.75], N),
                         rng.choice([-3.0, -1.5, -0.5, 1.5, 3.0], N),
                         rng.choice([-1.75, -0.5, 0.5, 1.75], N),
                         rng.choice([-0.5, -1.5, 0.5, 1.5, -0.0], N)])
    if sim:
        P[:2] = [[2.5, -1.25, -3.0, -1.75, -0.5], [0.5, -4.5, -1.5, 1.75, -1.5]]

    def exact(t_arr, y0row, prow):
        k = k_host(prow)
        return np.array([y0row * np.exp(-k * t) for t in t_arr])

    return dict(system=sysm, n=5, t_span=(0.0, T), y0=rng.uniform(0.5, 1.5, (N, 5)), params=P,
                t_eval=np.linspace(T / 5, T, 5), exact=exact, f=rhs, stiff=False,
                configs=[C("tsit5", "f64", "auto", 1e-8, 1e-10), C("rk4", "f32", "auto", dt=1e-3),
                         C("tsit5", "f32", "shared", 1e-5, 1e-7), C("rodas5p", "f64", "local", 1e-8, 1e-10)])


# P23: a while loop with break inside the rhs (Newton on Kepler's equation), and a device helper
# returning a tuple
def _cs_host(E):
    return math.cos(E), math.sin(E)


def make_kepler_eq(cs):
    def kepeq_rhs(t, y, p, dydt):
        M = p[0] * t
        e = p[1]
        E = M
        it = 0
        while it < 50:
            f = E - e * math.sin(E) - M
            if abs(f) < 1e-13:
                break
            E = E - f / (1.0 - e * math.cos(E))
            it += 1
        c, sn = cs(E)
        dydt[0] = -p[2] * (y[0] - c)
        dydt[1] = -p[2] * (y[1] - sn * math.sqrt(1 - e ** 2))

    return kepeq_rhs


@problem
def kepler_equation_while_n2(N, sim, rng):
    import kernels
    from numba import cuda

    @cuda.jit(device=True)
    def cs(E):
        return math.cos(E), math.sin(E)

    rhs = make_kepler_eq(cs)
    ref = make_kepler_eq(_cs_host)
    sysm = kernels.ODESystem(rhs, n_states=2, n_params=3, name="kepler_equation")
    T = 1.0 if sim else 10.0
    return dict(system=sysm, n=2, t_span=(0.0, T), y0=rng.uniform(-1, 1, (N, 2)),
                params=np.column_stack([_u(rng, 0.5, 2.0, N), _u(rng, 0.0, 0.9, N), _u(rng, 1.0, 5.0, N)]),
                t_eval=np.linspace(T / 10, T, 10), f=ref, stiff=False,
                configs=[C("tsit5", "f64", "auto", 1e-8, 1e-10), C("tsit5", "f32", "shared", 1e-5, 1e-6),
                         C("dop853", "f64", "local", 1e-10, 1e-12), C("rodas5p", "f64", "auto", 1e-8, 1e-10),
                         C("rk4", "f32", "auto", dt=1e-3)])


# ----------------------------------------------------------------------------------------------
# Worker
# ----------------------------------------------------------------------------------------------

def _append_jsonl(path, rec):
    line = json.dumps(rec, default=_json_default) + "\n"
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(line)
        fh.flush()
        fcntl.flock(fh, fcntl.LOCK_UN)


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _to_host(a):
    if a is None:
        return None
    if hasattr(a, "copy_to_host"):
        return a.copy_to_host()
    return np.asarray(a)


def _sample_rows(N, k=8):
    if N <= k:
        return list(range(N))
    return sorted(set(int(round(x)) for x in np.linspace(0, N - 1, k)))


def _reference(spec, rows, times, y0, params):
    """Reference solution at `times` for each row: exact, else SciPy at rtol 1e-11."""
    from scipy.integrate import solve_ivp as sivp
    n = spec["n"]
    out = {}
    ev_out = {}
    for r in rows:
        prow = params[r] if params is not None else np.zeros(0)
        if spec.get("exact") is not None:
            out[r] = spec["exact"](times, y0[r], prow)
            continue
        f = spec["f"]

        def fun(t, y, prow=prow):
            d = np.full(n, np.nan)
            f(t, y, prow, d)
            return d

        jac = None
        if spec.get("jac") is not None:
            def jac(t, y, prow=prow):
                J = np.full(n * n, np.nan)
                spec["jac"](t, y, prow, J)
                return J.reshape(n, n)
        method = "Radau" if spec.get("stiff") else "DOP853"
        kw = dict(rtol=1e-11, atol=spec.get("ref_atol", 1e-14))
        if jac is not None and method == "Radau":
            kw["jac"] = jac
        events = None
        if spec.get("event") is not None:
            g = spec["event"]

            def ev(t, y, prow=prow):
                return g(t, y, prow)
            ev.terminal = True
            ev.direction = -1
            events = ev
        tc = spec.get("ref_tcrit")
        if tc is not None:  # integrate piece by piece between the drivers' kinks
            ys = []
            yc = np.array(y0[r], float)
            for a, b in zip(tc[:-1], tc[1:]):
                te = [t for t in times if a < t <= b]
                s = sivp(fun, (a, b), yc, method=method, dense_output=True, **kw)
                for t in te:
                    ys.append(s.sol(t))
                yc = s.y[:, -1]
            out[r] = np.array(ys)
            continue
        s = sivp(fun, (spec["t_span"][0], spec["t_span"][1]), np.array(y0[r], float), method=method,
                 t_eval=times, events=events, dense_output=events is not None, **kw)
        if events is not None:
            if len(s.t_events[0]):
                ev_out[r] = (float(s.t_events[0][0]), s.y_events[0][0])
            else:
                ev_out[r] = (None, None)
            out[r] = None
        else:
            if s.y.shape[1] != len(times):
                raise RuntimeError(f"SciPy reference failed for row {r}: {s.message}")
            out[r] = s.y.T
    return out, ev_out


def _status_counts(status):
    import kernels
    names = {int(getattr(kernels.Status, k)): k for k in dir(kernels.Status)
             if k.isupper() and not k.startswith("_")}
    u, c = np.unique(np.asarray(status), return_counts=True)
    return {names.get(int(a), str(int(a))): int(b) for a, b in zip(u, c)}


def _run_config(spec, cfg, N, rng_seed, sim, ref_cache):
    import kernels
    rec = dict(configuration=cfg["name"], method=cfg["method"], precision=cfg["prec"], plan=cfg["plan"],
               solver=cfg["solver"], fixed=cfg["fixed"], rtol=cfg["rtol"], atol=cfg["atol"], dt=cfg["dt"])
    y0, params = spec["y0"], spec["params"]
    if cfg["big"] and not sim:
        reps = cfg["big"]
        y0 = np.tile(y0, (reps, 1))
        params = np.tile(params, (reps, 1)) if params is not None else None
    Nb = y0.shape[0]
    rec["batch"] = Nb
    prec = np.float64 if cfg["prec"] == "f64" else np.float32
    kw = dict(method=cfg["method"], precision=prec, plan=cfg["plan"], progress=False)
    for k in ("rtol", "atol", "dt", "solver"):
        if cfg[k] is not None:
            kw[k] = cfg[k]
    if cfg["dt_max"] is not None:
        kw["dt_max"] = cfg["dt_max"]
    if cfg["block_size"] is not None:
        kw["block_size"] = cfg["block_size"]
    if cfg["max_registers"] is not None:
        kw["max_registers"] = cfg["max_registers"]
    if cfg["fixed"]:
        kw["controller"] = "fixed"
    if spec.get("t_eval") is not None:
        kw["t_eval"] = spec["t_eval"]
    if spec.get("drivers") is not None:
        kw["drivers"] = spec["drivers"]
    if spec.get("event") is not None:
        kw["events"] = kernels.Event(spec["event"], terminal=True, direction=-1)
    if spec.get("summaries") is not None:
        kw["summaries"] = kernels.Summaries(**spec["summaries"])
    with warnings.catch_warnings(record=True) as wl:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        if cfg["api"] == "device":
            # kernels.Integrator with Numba device arrays; the second solve writes into the first's arrays
            from numba import cuda
            ikw = dict(controller=kw.pop("controller", None), precision=prec, solver=kw.pop("solver", None),
                       summaries=kw.pop("summaries", None), events=kw.pop("events", None))
            if "max_registers" in kw:
                ikw["max_registers"] = kw.pop("max_registers")
            kw.pop("method"), kw.pop("precision")
            integ = kernels.Integrator(spec["system"], cfg["method"], **ikw)
            plan = integ.plan(kw.pop("plan"), block_size=kw.pop("block_size", None))
            d_y0 = cuda.to_device(np.ascontiguousarray(y0, dtype=prec))
            d_p = cuda.to_device(np.ascontiguousarray(params, dtype=prec)) if params is not None else None
            res = integ.solve(spec["t_span"], d_y0, d_p, plan=plan, **kw)
            y = _to_host(res.y).copy()
            rec["first_solve_s"] = round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
            res2 = integ.solve(spec["t_span"], d_y0, d_p, plan=plan, out=res, **kw)
            y2 = _to_host(res2.y)
            rec["second_solve_s"] = round(time.perf_counter() - t0, 3)
        else:
            res = kernels.solve_ivp(spec["system"], spec["t_span"], y0, params, **kw)
            y = _to_host(res.y)
            rec["first_solve_s"] = round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
            res2 = kernels.solve_ivp(spec["system"], spec["t_span"], y0, params, **kw)
            y2 = _to_host(res2.y)
            rec["second_solve_s"] = round(time.perf_counter() - t0, 3)
    rec["warnings"] = sorted(set(f"{w.category.__name__}: {str(w.message)[:200]}" for w in wl))[:6]
    y = np.asarray(y, float)
    if y.ndim == 2:
        y = y[:, None, :]
    status = np.asarray(_to_host(res.status))
    rec["status"] = _status_counts(status)
    ok = (status == int(kernels.Status.SUCCESS)) | (status == int(kernels.Status.EVENT))
    rec["n_not_success"] = int((~ok).sum())
    if rec["n_not_success"]:
        bad = int(np.nonzero(~ok)[0][0])
        try:
            rec["first_failure"] = dict(row=bad, message=str(res.message(bad))[:400])
        except Exception as e:  # noqa
            rec["first_failure"] = dict(row=bad, message=f"message() raised {type(e).__name__}: {e}"[:400])
    y2 = np.asarray(y2, float).reshape(y.shape)
    same = np.array_equal(np.nan_to_num(y, nan=1.2345e300), np.nan_to_num(y2, nan=1.2345e300))
    rec["repeat_bit_identical"] = bool(same)
    ns = np.asarray(_to_host(res.n_steps))
    rec["n_steps_max"] = int(ns.max())
    rec["n_steps_mean"] = round(float(ns.mean()), 1)
    if cfg["big"] and not sim and Nb % spec["y0"].shape[0] == 0:
        # identical inputs tiled: every tile must give the first tile's numbers bit for bit
        N0 = spec["y0"].shape[0]
        tiles = y.reshape(Nb // N0, N0, *y.shape[1:])
        t0_ = np.nan_to_num(tiles[0], nan=1.2345e300)
        diff = [int(np.sum(np.nan_to_num(tiles[k], nan=1.2345e300) != t0_)) for k in range(1, tiles.shape[0])]
        rec["tile_values_differing"] = int(sum(diff))
        rec["tile_first_differing"] = next((k for k, d in enumerate(diff, 1) if d), None)
    rec["nonfinite_values"] = int((~np.isfinite(y)).sum()) if spec.get("event") is None else None

    # --- accuracy against the reference on sampled rows
    rows = _sample_rows(Nb)
    times = np.asarray(spec["t_eval"], float) if spec.get("t_eval") is not None else np.array([spec["t_span"][1]])
    key = (Nb,)
    if key not in ref_cache:
        try:
            ref_cache[key] = _reference(spec, rows, times, y0, params)
        except Exception as e:  # noqa  (the solve itself is still reported)
            ref_cache[key] = f"{type(e).__name__}: {e}"[:600]
    if isinstance(ref_cache[key], str):
        rec["reference_error"] = ref_cache[key]
        rec["max_err"] = None
        return rec, y
    ref, evref = ref_cache[key]
    rtol = cfg["rtol"] if cfg["rtol"] is not None else 1e-6
    atol = cfg["atol"] if cfg["atol"] is not None else 1e-6
    worst = (-1.0, None)
    if spec.get("event") is not None:
        et = np.asarray(_to_host(res.event_t)).reshape(Nb, -1)[:, 0]
        ey = np.asarray(_to_host(res.event_y)).reshape(Nb, -1, spec["n"])[:, 0, :] if \
            np.asarray(_to_host(res.event_y)).ndim >= 2 else None
        for r in rows:
            tr, yr = evref[r]
            if tr is None:
                continue
            if cfg["fixed"]:
                e_t = abs(et[r] - tr) / abs(tr)
                e_y = np.max(np.abs(ey[r] - yr) / (np.abs(yr).max())) if ey is not None else 0.0
            else:
                e_t = abs(et[r] - tr) / (atol + rtol * abs(tr))
                e_y = np.max(np.abs(ey[r] - yr) / (atol + rtol * np.abs(yr))) if ey is not None else 0.0
            e = max(float(e_t), float(e_y)) if np.isfinite(e_t) and np.isfinite(e_y) else math.inf
            if e > worst[0]:
                worst = (e, dict(row=r, event_t=float(et[r]), ref_event_t=tr))
        try:
            smax = np.asarray(res.summaries["max"])[:, 0, 0]
            rec["summary_max_height_row0"] = float(smax[0])
        except Exception as e:  # noqa
            rec["summary_error"] = f"{type(e).__name__}: {e}"[:300]
    else:
        for r in rows:
            yr = np.asarray(ref[r])
            yc = y[r, -len(times):, :]
            err = np.abs(yc - yr)
            if cfg["fixed"]:
                scale = np.maximum(np.abs(yr).max(axis=0, keepdims=True), 1e-30)
                u = err / scale
            else:
                u = err / (atol + rtol * np.abs(yr))
            u = np.where(np.isfinite(u), u, np.inf)
            i = np.unravel_index(int(np.argmax(u)), u.shape)
            e = float(u[i])
            if e > worst[0]:
                worst = (e, dict(row=r, save=int(i[0]), component=int(i[1]), value=float(yc[i]), ref=float(yr[i])))
    if (not cfg["fixed"] and spec.get("event") is None and spec.get("exact") is None and worst[1] is not None
            and worst[0] > 1.0 and spec.get("ref_tcrit") is None):
        # context: how far SciPy itself ends at this configuration's tolerances on the worst row
        try:
            from scipy.integrate import solve_ivp as sivp
            r = worst[1]["row"]
            prow = params[r] if params is not None else np.zeros(0)
            n = spec["n"]

            def fun(t, yy):
                d = np.full(n, np.nan)
                spec["f"](t, yy, prow, d)
                return d
            yr = np.asarray(ref[r])
            base_m = ("Radau",) if spec.get("stiff") else ("RK45", "DOP853")
            for m in base_m:
                s_ = sivp(fun, spec["t_span"], np.array(y0[r], float), method=m, t_eval=times, rtol=rtol, atol=atol)
                if s_.y.shape[1] == len(times):
                    u = np.abs(s_.y.T - yr) / (atol + rtol * np.abs(yr))
                    rec[f"scipy_{m}_same_tol_err"] = float(u.max())
        except Exception as e:  # noqa
            rec["scipy_same_tol_error"] = f"{type(e).__name__}: {e}"[:200]
    rec["err_kind"] = "relative" if cfg["fixed"] else "tol_units"
    rec["max_err"] = worst[0] if worst[1] is not None else None
    rec["max_err_at"] = worst[1]
    rec["rows_checked"] = rows
    if spec.get("extra") is not None:
        try:
            rec.update(spec["extra"](y, rows, params, times))
        except Exception as e:  # noqa
            rec["extra_error"] = f"{type(e).__name__}: {e}"[:300]
    try:
        rec["plan_summary"] = str(res.plan.summary())[:300]
    except Exception:
        pass
    return rec, y


def run_problem(name, N, sim, out_path, deadline_wall, max_configs):
    """Worker entry point: run one problem's configurations, append JSON lines, return a summary."""
    import faulthandler
    faulthandler.enable()
    base = dict(problem=name)
    t_start = time.time()
    try:
        import kernels
        base["backend"] = kernels.backend()
        rng = np.random.default_rng(SEED + sum(map(ord, name)))
        with warnings.catch_warnings(record=True) as wl:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            spec = PROBLEMS[name](N, sim, rng)
            build_s = time.perf_counter() - t0
        base["n"] = spec["n"]
        base["build_s"] = round(build_s, 3)
        base["build_warnings"] = sorted(set(f"{w.category.__name__}: {str(w.message)[:200]}" for w in wl))[:6]
    except BaseException as e:  # noqa
        rec = dict(base, configuration="<build>", status="exception", exception_type=type(e).__name__,
                   exception=str(e)[:600], traceback=traceback.format_exc()[-1500:])
        _append_jsonl(out_path, rec)
        return [rec]
    configs = spec["configs"][:max_configs] if max_configs else spec["configs"]
    if sim:
        configs = [c for c in configs if not c["big"]][:max_configs]
    results = []
    ys = {}
    ref_cache = {}
    for cfg in configs:
        if time.time() > deadline_wall:
            rec = dict(base, configuration=cfg["name"], run_status="skipped_deadline")
            _append_jsonl(out_path, rec)
            results.append(rec)
            continue
        try:
            rec, y = _run_config(spec, cfg, N, SEED, sim, ref_cache)
            rec = dict(base, **rec)
            rec["run_status"] = "ok"
            ys[cfg["name"]] = (cfg, y)
        except BaseException as e:  # noqa
            rec = dict(base, configuration=cfg["name"], method=cfg["method"], precision=cfg["prec"],
                       plan=cfg["plan"], run_status="exception", exception_type=type(e).__name__,
                       exception=str(e)[:600], traceback=traceback.format_exc()[-1500:])
        _append_jsonl(out_path, rec)
        results.append(rec)
    # --- placements of one (method, precision, solver, fixed) that disagree by more than rounding
    groups = {}
    for nm, (cfg, y) in ys.items():
        k = (cfg["method"], cfg["prec"], cfg["solver"], cfg["dt"], cfg["rtol"], cfg["atol"], cfg["big"])
        groups.setdefault(k, []).append((nm, cfg, y))
    for k, items in groups.items():
        if len(items) < 2:
            continue
        nm0, cfg0, y0_ = items[0]
        for nm1, cfg1, y1_ in items[1:]:
            a, b = y0_, y1_
            fin = np.isfinite(a) & np.isfinite(b)
            nan_mismatch = int((np.isfinite(a) != np.isfinite(b)).sum())
            d = np.abs(a - b)
            scale = np.abs(a) + np.abs(b)
            rel = np.where(fin, d / np.maximum(scale, 1e-300), 0.0)
            eps = np.finfo(np.float64 if cfg0["prec"] == "f64" else np.float32).eps
            rtol = cfg0["rtol"] or 1e-6
            atol = cfg0["atol"] or 1e-6
            tu = np.where(fin, d / (atol + rtol * np.abs(a)), 0.0)
            rec = dict(base, configuration=f"same numbers? {nm0} vs {nm1}",
                       run_status="ok", kind="placement_compare", a=nm0, b=nm1,
                       bit_identical=bool(np.array_equal(np.nan_to_num(a, nan=7.0), np.nan_to_num(b, nan=7.0))),
                       max_rel_diff=float(rel.max()) if rel.size else 0.0,
                       max_diff_tol_units=float(tu.max()) if tu.size else 0.0,
                       nan_mismatch=nan_mismatch,
                       row_of_max=int(np.unravel_index(int(np.argmax(rel)), rel.shape)[0]) if rel.size else None)
            rec["disagree"] = bool(nan_mismatch > 0 or (rec["max_rel_diff"] > 1e4 * eps and rec["max_diff_tol_units"] > 0.1))
            _append_jsonl(out_path, rec)
            results.append(rec)
    return results


# ----------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------

def _flags(r):
    f = []
    if r.get("run_status") == "exception" or r.get("status") == "exception":
        f.append("EXCEPTION")
    if r.get("run_status") == "timeout":
        f.append("TIMEOUT")
    if r.get("run_status") == "skipped_deadline":
        f.append("SKIPPED(deadline)")
    if r.get("kind") == "placement_compare":
        if r.get("disagree"):
            f.append("PLACEMENT_DISAGREE")
        return f
    if r.get("n_not_success"):
        f.append("NOT_SUCCESS")
    e = r.get("max_err")
    if e is not None:
        if r.get("err_kind") == "relative" and (e > 1e-3 or not math.isfinite(e)):
            f.append("FIXED_ERR>1e-3")
        if r.get("err_kind") == "tol_units" and (e > 10 or not math.isfinite(e)):
            f.append("ERR>10tol")
    if r.get("repeat_bit_identical") is False:
        f.append("REPEAT_DIFFERS")
    if r.get("reference_error"):
        f.append("NO_REFERENCE")
    if r.get("tile_values_differing"):
        f.append("TILES_DIFFER")
    return f


def _severity(r):
    f = _flags(r)
    s = 0.0
    if "EXCEPTION" in f or "TIMEOUT" in f:
        s = 1e12
    if "PLACEMENT_DISAGREE" in f:
        s = max(s, 1e10)
    if "NOT_SUCCESS" in f or "TILES_DIFFER" in f:
        s = max(s, 1e9)
    e = r.get("max_err")
    if e is not None:
        sc = e * (1e4 if r.get("err_kind") == "relative" else 1.0)
        s = max(s, sc if math.isfinite(sc) else 1e11)
    if r.get("kind") == "placement_compare":
        s = max(s, r.get("max_diff_tol_units", 0.0))
    return s


def write_table(out_dir):
    path = os.path.join(out_dir, "battery.jsonl")
    recs = []
    if os.path.exists(path):
        with open(path) as fh:
            for line in fh:
                line = line.strip()
                if line:
                    try:
                        recs.append(json.loads(line))
                    except Exception:
                        pass
    recs = [r for r in recs if r.get("kind") != "meta"]
    recs.sort(key=lambda r: -_severity(r))
    lines = []
    hdr = f"{'problem':24s} {'n':>4s} {'configuration':60s} {'batch':>6s} {'max_err':>10s} {'kind':>9s} {'row':>5s} {'1st_s':>7s} {'2nd_s':>7s} {'steps':>6s}  status / flags / exception"
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for r in recs:
        flags = _flags(r)
        e = r.get("max_err")
        if r.get("kind") == "placement_compare":
            es = f"{r.get('max_rel_diff', 0):.2e}"
            kind = "plc_rel"
            row = r.get("row_of_max")
            extra = f"bit_identical={r.get('bit_identical')} tol_units={r.get('max_diff_tol_units', 0):.3g} nan_mismatch={r.get('nan_mismatch')}"
        else:
            es = "-" if e is None else f"{e:.3g}"
            kind = {"relative": "rel", "tol_units": "tol"}.get(r.get("err_kind"), "-")
            row = (r.get("max_err_at") or {}).get("row") if isinstance(r.get("max_err_at"), dict) else None
            extra = json.dumps(r.get("status")) if r.get("status") and r.get("status") != "exception" else ""
            if r.get("exception"):
                extra += f" {r.get('exception_type')}: {r['exception'][:300]}".replace("\n", " | ")
            for k in ("reference_error", "scipy_RK45_same_tol_err", "scipy_DOP853_same_tol_err", "scipy_Radau_same_tol_err",
                      "max_rel_energy_drift", "tile_values_differing", "first_failure"):
                if r.get(k) is not None:
                    extra += f" {k}={r[k]}"
        lines.append(f"{str(r.get('problem')):24s} {str(r.get('n', '')):>4s} {str(r.get('configuration'))[:60]:60s} "
                     f"{str(r.get('batch', '')):>6s} {es:>10s} {kind:>9s} {str(row if row is not None else ''):>5s} "
                     f"{str(r.get('first_solve_s', '')):>7s} {str(r.get('second_solve_s', '')):>7s} "
                     f"{str(r.get('n_steps_max', '')):>6s}  {' '.join(flags) or 'ok'} {extra}")
    with open(os.path.join(out_dir, "battery.txt"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return lines


def _kill_executor(ex):
    procs = getattr(ex, "_processes", None) or {}
    for p in list(procs.values()):
        try:
            os.kill(p.pid, signal.SIGKILL)
        except Exception:
            pass
    try:
        ex.shutdown(wait=False, cancel_futures=True)
    except Exception:
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None)
    ap.add_argument("--sim", action="store_true", help="tiny run: 2 trajectories, short spans, 2 configs a problem")
    ap.add_argument("--jobs", type=int, default=12)
    ap.add_argument("--deadline-s", type=float, default=480.0)
    ap.add_argument("--only", default="")
    ap.add_argument("--batch", type=int, default=None, help="trajectories a batch (default 4096; 2 with --sim)")
    ap.add_argument("--problem-timeout", type=float, default=None,
                    help="seconds per problem (default 420 on a GPU, 1800 with --sim)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--max-configs", type=int, default=None,
                    help="configurations a problem (default: all; 2 with --sim)")
    a = ap.parse_args()
    if a.list:
        print("\n".join(PROBLEMS))
        return
    if not a.out:
        ap.error("--out DIR is required")
    os.makedirs(a.out, exist_ok=True)
    out_path = os.path.join(a.out, "battery.jsonl")
    open(out_path, "w").close()
    # the problems with the most (implicit, large) kernels to compile start first
    heavy = ["rd_chain_n100", "brusselator_jvp_n64", "robertson_jac_n3", "linear_expm_n7", "vdp_mu1000_n2",
             "oregonator_sympy_n3", "lorenz96_n16", "fput_n64", "kuramoto_n33"]
    names = [s for s in a.only.split(",") if s] or (heavy + [p for p in PROBLEMS if p not in heavy])
    unknown = [s for s in names if s not in PROBLEMS]
    if unknown:
        sys.exit(f"unknown problems: {unknown}; known: {list(PROBLEMS)}")
    N = a.batch or (2 if a.sim else 4096)
    ptimeout = a.problem_timeout or (1800.0 if a.sim else 420.0)
    max_configs = a.max_configs if a.max_configs is not None else (2 if a.sim else 0)
    t_begin = time.time()
    deadline_wall = t_begin + a.deadline_s
    grace = 90.0
    _append_jsonl(out_path, dict(kind="meta", argv=sys.argv, batch=N, sim=a.sim, jobs=a.jobs,
                                 deadline_s=a.deadline_s, env_cudasim=os.environ.get("NUMBA_ENABLE_CUDASIM"),
                                 started=time.strftime("%Y-%m-%d %H:%M:%S")))
    ctx = mp.get_context("spawn")
    pending = list(names)
    running = {}  # future -> (name, executor, start)
    while pending or running:
        now = time.time()
        while pending and len(running) < a.jobs and now < deadline_wall:
            nm = pending.pop(0)
            ex = ProcessPoolExecutor(max_workers=1, mp_context=ctx)
            fut = ex.submit(run_problem, nm, N, a.sim, out_path, deadline_wall, max_configs)
            running[fut] = (nm, ex, time.time())
            print(f"[{time.time() - t_begin:7.1f}s] start {nm}", flush=True)
        if pending and now >= deadline_wall:
            for nm in pending:
                _append_jsonl(out_path, dict(problem=nm, configuration="<not started>", run_status="skipped_deadline"))
            pending = []
        if not running:
            break
        done, _ = wait(list(running), timeout=2.0, return_when=FIRST_COMPLETED)
        for fut in done:
            nm, ex, st = running.pop(fut)
            try:
                fut.result()
                print(f"[{time.time() - t_begin:7.1f}s] done  {nm} ({time.time() - st:.1f}s)", flush=True)
            except BaseException as e:  # worker died (segfault, killed, ...)
                _append_jsonl(out_path, dict(problem=nm, configuration="<worker>", run_status="exception",
                                             exception_type=type(e).__name__, exception=str(e)[:600]))
                print(f"[{time.time() - t_begin:7.1f}s] FAIL  {nm}: {type(e).__name__}: {e}", flush=True)
            ex.shutdown(wait=False)
        now = time.time()
        for fut, (nm, ex, st) in list(running.items()):
            if now - st > ptimeout or now > deadline_wall + grace:
                running.pop(fut)
                _kill_executor(ex)
                _append_jsonl(out_path, dict(problem=nm, configuration="<problem>", run_status="timeout",
                                             exception_type="Timeout",
                                             exception=f"killed after {now - st:.0f}s (per-problem timeout {ptimeout:.0f}s, deadline {a.deadline_s:.0f}s + {grace:.0f}s grace); configurations finished before are above"))
                print(f"[{time.time() - t_begin:7.1f}s] TIMEOUT {nm}", flush=True)
        write_table(a.out)
    lines = write_table(a.out)
    print(f"total {time.time() - t_begin:.1f}s; table in {os.path.join(a.out, 'battery.txt')}")
    print("\n".join(lines[:40]))


if __name__ == "__main__":
    main()
