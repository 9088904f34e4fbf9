"""Hand-written float32 Numba CUDA kernels for the problems of :mod:`benchmarks.floor_problems`: the floor.

What a careful person writes for one problem: one thread per trajectory, every
working array a ``cuda.local.array`` of compile-time size (loops over the
state have a constant trip count, so the compiler unrolls them and keeps the
arrays in registers: checked offline by ``ptxas``, zero stack bytes), time in
float32, the problem's right-hand side inlined.  Nothing here uses bufferplan.

Kernels (from :func:`build`, one set per problem):

* ``tsit5_fixed(y0, params, y_out, dt, n_steps)`` and ``rk4_fixed(...)``:
  ``n_steps`` steps of ``dt`` from ``t = 0``, time ``j * dt``.
* ``tsit5_adaptive(y0, params, y_out, stats, t1, dt0, atol, rtol, max_steps)``:
  FSAL Tsit5 from 0 to ``t1`` with bufferplan's controller semantics, so step
  counts are comparable: the scaled mean-square error
  ``q = mean((err_i / (atol + rtol max(|y_i|, |y_new_i|)))^2)``, accept when
  ``q <= 1``, the PI factor ``0.9^0.3 e_n^(-0.7/5) e_{n-1}^(0.4/5)`` (``e = sqrt(q)``;
  the safety scales the tolerance, ``kernels.controllers``)
  clipped to [0.2, 10] after an acceptance, ``0.9 e_n^(-1/5)`` clipped to
  [0.2, 1] after a rejection, the last step shortened to land on ``t1``.
  ``stats[0, i]`` counts accepted steps, ``stats[1, i]`` rejected ones.
  Differences: time and step size are float32 here (float64 in bufferplan),
  and ``log2``/``exp2`` are libdevice's, not the special-function unit's.

Tsit5 coefficients: Ch. Tsitouras, Computers & Mathematics with Applications
62(2) (2011), Table 1, with ``b_hat_7 = +1/66`` (the corrected sign); they are
taken from :mod:`benchmarks.reference_kernels`, which checks them against the
package's tableau.
"""

from __future__ import annotations

import math

import numpy as np

import kernels  # noqa: F401 - chooses the GPU or the simulator before numba.cuda is imported
from numba import cuda  # noqa: E402 - after kernels

from .reference_kernels import TSIT5_A, TSIT5_C, TSIT5_E  # noqa: E402

__all__ = ["build", "launch_fixed", "launch_adaptive"]


def build(problem):
    """``{"tsit5_fixed", "rk4_fixed", "tsit5_adaptive"}`` float32 kernels for ``problem`` (a FloorProblem)."""
    return _build(problem.rhs, problem.n_states, problem.n_params)


def _build(rhs_py, n, n_p):  # noqa: C901 - three straight kernels, on purpose
    f = np.float32
    rhs = cuda.jit(device=True, inline="always")(rhs_py)
    c2, c3, c4, c5 = (f(x) for x in TSIT5_C[1:5])
    a21, = (f(x) for x in TSIT5_A[1])
    a31, a32 = (f(x) for x in TSIT5_A[2])
    a41, a42, a43 = (f(x) for x in TSIT5_A[3])
    a51, a52, a53, a54 = (f(x) for x in TSIT5_A[4])
    a61, a62, a63, a64, a65 = (f(x) for x in TSIT5_A[5])
    b1, b2, b3, b4, b5, b6 = (f(x) for x in TSIT5_A[6])
    e1, e2, e3, e4, e5, e6, e7 = (f(x) for x in TSIT5_E)
    half, sixth, third, one, zero = f(0.5), f(1.0 / 6.0), f(1.0 / 3.0), f(1.0), f(0.0)
    inv_n = f(1.0 / n)
    safety, accept_safety, fmin, fmax = f(0.9), f(0.9 ** 0.3), f(0.2), f(10.0)
    x_accept, x_prev, x_reject = f(-0.7 / 10.0), f(0.4 / 5.0), f(-1.0 / 10.0)  # on log2 q, log2 e_prev, log2 q
    q_floor = f(1e-20)

    @cuda.jit(device=True, inline="always")
    def tsit5_stages(t, h, y, p, k1, k2, k3, k4, k5, k6, tmp, y_new):
        """From ``k1 = f(t, y)``: stages 2..6 and ``y_new`` (the 7th stage is the caller's)."""
        for j in range(n):
            tmp[j] = y[j] + h * (a21 * k1[j])
        rhs(t + c2 * h, tmp, p, k2)
        for j in range(n):
            tmp[j] = y[j] + h * (a31 * k1[j] + a32 * k2[j])
        rhs(t + c3 * h, tmp, p, k3)
        for j in range(n):
            tmp[j] = y[j] + h * (a41 * k1[j] + a42 * k2[j] + a43 * k3[j])
        rhs(t + c4 * h, tmp, p, k4)
        for j in range(n):
            tmp[j] = y[j] + h * (a51 * k1[j] + a52 * k2[j] + a53 * k3[j] + a54 * k4[j])
        rhs(t + c5 * h, tmp, p, k5)
        for j in range(n):
            tmp[j] = y[j] + h * (a61 * k1[j] + a62 * k2[j] + a63 * k3[j] + a64 * k4[j] + a65 * k5[j])
        rhs(t + h, tmp, p, k6)
        for j in range(n):
            y_new[j] = y[j] + h * (b1 * k1[j] + b2 * k2[j] + b3 * k3[j] + b4 * k4[j] + b5 * k5[j] + b6 * k6[j])

    @cuda.jit
    def tsit5_fixed(y0, params, y_out, dt, n_steps):
        i = cuda.grid(1)
        if i >= y0.shape[0]:
            return
        y = cuda.local.array(n, np.float32)
        p = cuda.local.array(n_p, np.float32)
        k1 = cuda.local.array(n, np.float32)
        k2 = cuda.local.array(n, np.float32)
        k3 = cuda.local.array(n, np.float32)
        k4 = cuda.local.array(n, np.float32)
        k5 = cuda.local.array(n, np.float32)
        k6 = cuda.local.array(n, np.float32)
        tmp = cuda.local.array(n, np.float32)
        for j in range(n):
            y[j] = y0[i, j]
        for j in range(n_p):
            p[j] = params[i, j]
        for s in range(n_steps):
            t = f(s) * dt
            rhs(t, y, p, k1)
            tsit5_stages(t, dt, y, p, k1, k2, k3, k4, k5, k6, tmp, y)
        for j in range(n):
            y_out[i, j] = y[j]

    @cuda.jit
    def rk4_fixed(y0, params, y_out, dt, n_steps):
        i = cuda.grid(1)
        if i >= y0.shape[0]:
            return
        y = cuda.local.array(n, np.float32)
        p = cuda.local.array(n_p, np.float32)
        k1 = cuda.local.array(n, np.float32)
        k2 = cuda.local.array(n, np.float32)
        k3 = cuda.local.array(n, np.float32)
        k4 = cuda.local.array(n, np.float32)
        tmp = cuda.local.array(n, np.float32)
        for j in range(n):
            y[j] = y0[i, j]
        for j in range(n_p):
            p[j] = params[i, j]
        hh = half * dt
        for s in range(n_steps):
            t = f(s) * dt
            rhs(t, y, p, k1)
            for j in range(n):
                tmp[j] = y[j] + hh * k1[j]
            rhs(t + hh, tmp, p, k2)
            for j in range(n):
                tmp[j] = y[j] + hh * k2[j]
            rhs(t + hh, tmp, p, k3)
            for j in range(n):
                tmp[j] = y[j] + dt * k3[j]
            rhs(t + dt, tmp, p, k4)
            for j in range(n):
                y[j] = y[j] + dt * (sixth * k1[j] + third * k2[j] + third * k3[j] + sixth * k4[j])
        for j in range(n):
            y_out[i, j] = y[j]

    @cuda.jit
    def tsit5_adaptive(y0, params, y_out, stats, t1, dt0, atol, rtol, max_steps):
        i = cuda.grid(1)
        if i >= y0.shape[0]:
            return
        y = cuda.local.array(n, np.float32)
        y_new = cuda.local.array(n, np.float32)
        p = cuda.local.array(n_p, np.float32)
        k1 = cuda.local.array(n, np.float32)
        k2 = cuda.local.array(n, np.float32)
        k3 = cuda.local.array(n, np.float32)
        k4 = cuda.local.array(n, np.float32)
        k5 = cuda.local.array(n, np.float32)
        k6 = cuda.local.array(n, np.float32)
        k7 = cuda.local.array(n, np.float32)
        tmp = cuda.local.array(n, np.float32)
        for j in range(n):
            y[j] = y0[i, j]
        for j in range(n_p):
            p[j] = params[i, j]
        t = zero
        h = dt0
        l1 = zero
        accepted = np.int32(0)
        rejected = np.int32(0)
        rhs(t, y, p, k1)
        while t < t1 and accepted + rejected < max_steps:
            last = t + h >= t1
            step = t1 - t if last else h
            tsit5_stages(t, step, y, p, k1, k2, k3, k4, k5, k6, tmp, y_new)
            rhs(t + step, y_new, p, k7)
            q = zero
            for j in range(n):
                e = step * (e1 * k1[j] + e2 * k2[j] + e3 * k3[j] + e4 * k4[j] + e5 * k5[j] + e6 * k6[j]
                            + e7 * k7[j])
                r = e / (atol + rtol * max(abs(y[j]), abs(y_new[j])))
                q += r * r
            q *= inv_n
            lq = math.log2(max(q, q_floor))
            if q <= one:
                factor = min(max(accept_safety * math.exp2(x_accept * lq + x_prev * l1), fmin), fmax)
                l1 = half * lq
                for j in range(n):
                    y[j] = y_new[j]
                    k1[j] = k7[j]
                accepted = np.int32(accepted + 1)
                t = t1 if last else t + step
                h = step * factor
            else:
                rejected = np.int32(rejected + 1)
                h = step * min(max(safety * math.exp2(x_reject * lq), fmin), one)
        for j in range(n):
            y_out[i, j] = y[j]
        stats[0, i] = accepted
        stats[1, i] = rejected

    return {"tsit5_fixed": tsit5_fixed, "rk4_fixed": rk4_fixed, "tsit5_adaptive": tsit5_adaptive}


def launch_fixed(kernel, d_y0, d_params, d_out, dt, n_steps, block=128):
    """Launch a fixed-step kernel (asynchronous)."""
    n = d_y0.shape[0]
    kernel[(n + block - 1) // block, block](d_y0, d_params, d_out, np.float32(dt), np.int32(n_steps))


def launch_adaptive(kernel, d_y0, d_params, d_out, d_stats, t1, dt0, atol, rtol, max_steps, block=128):
    """Launch the adaptive kernel (asynchronous)."""
    n = d_y0.shape[0]
    kernel[(n + block - 1) // block, block](d_y0, d_params, d_out, d_stats, np.float32(t1), np.float32(dt0),
                                            np.float32(atol), np.float32(rtol), np.int32(max_steps))
