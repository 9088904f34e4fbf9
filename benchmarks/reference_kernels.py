"""Hand-written Numba CUDA kernels for the Lorenz ensemble: the floor reference of ``peers.py``.

One trajectory per thread, the Lorenz right-hand side inlined, the state and
every stage derivative in scalar registers (3-tuples, no arrays), the
adaptive kernel's time in float64, everything else in the working precision.  Nothing
here depends on bufferplan: these kernels are what a careful person writes by
hand for this one problem, and bufferplan's generated kernels are measured
against them.

Kernels (built per precision by :func:`build`):

* ``tsit5_fixed`` and ``rk4_fixed``: ``n_steps`` steps of ``dt``, the last one
  shortened to land on ``t1`` exactly (``dt_last``).  The loop takes the
  ``n_steps - 1`` equal steps with the step size converted once and an int32
  count, then the last step: per step it issues the method's arithmetic and
  two or three loop instructions (``benchmarks/sass_report.py``).  Tsit5's
  stage coefficients are multiplied by ``dt`` once, so a stage argument is
  one FMA a term.
* ``tsit5_adaptive``: Tsit5 with its embedded 4th-order error estimate, the
  scaled RMS error norm ``sqrt(mean((err_i / (atol + rtol max(|y_i|, |y_new_i|)))^2))``
  and the standard PI controller of Hairer & Wanner, "Solving ODEs II", sec. IV.2:
  ``factor = 0.9^0.3 e_n^(-0.7/k) e_{n-1}^(0.4/k)``, ``k = 5`` (embedded order + 1; the safety
  scales the tolerance, as in ``kernels.controllers`` since 2026-12-04),
  clipped to [0.2, 10]; after a rejection ``factor = clip(0.9 e_n^(-1/k), 0.2, 1)``.
  The error norm and the controller are in the working precision, the controller in the log2
  domain (one ``log2`` and one ``exp2`` a step); only time is float64.  With the controller in
  float64 (two ``pow`` a step) this kernel took 3.8x the shared floor's time on the H200.

Kernel arguments (all kernels)::

    y0 (N, 3), params (N, 3) = (sigma, rho, beta) per trajectory, t0, t1 (float64),
    dt (float64; the first step for the adaptive kernel), then
    fixed:    n_steps (int), dt_last (float64), y_out (N, 3)
    adaptive: rtol, atol (float64), max_steps (int), y_out (N, 3), status (N,) int32, n_steps (N,) int32

Status codes of the adaptive kernel follow ``kernels/status.py``: 0 success,
1 max steps, 2 step-size underflow, 3 non-finite state.
"""

from __future__ import annotations

import math

import numpy as np

import kernels  # noqa: F401 - chooses the GPU or the simulator before numba.cuda is imported
from numba import cuda  # noqa: E402 - after kernels

from .lorenz_problem import fixed_step_count, host_lorenz  # noqa: E402

__all__ = ["TSIT5_A", "TSIT5_B", "TSIT5_C", "TSIT5_E", "RK4_B", "CONTROLLERS", "build", "fixed_step_count",
           "check_against_package_tableaus", "launch_fixed", "launch_adaptive", "host_lorenz"]

# -- coefficients --------------------------------------------------------------------------
# Tsit5: Ch. Tsitouras, "Runge-Kutta pairs of order 5(4) satisfying only the first column
# simplifying assumption", Computers & Mathematics with Applications 62(2), 770-775 (2011),
# Table 1 (the 5th-order solution b equals the last row of A: first same as last), with the
# error weights E = b - b_hat where the sign of b_hat_7 is the corrected one (b_hat_7 = +1/66;
# the paper's printed sign is a known erratum, as the implementations in DifferentialEquations.jl
# and diffrax use).  Checked against kernels/tableaus.py by check_against_package_tableaus().
TSIT5_C = (0.0, 0.161, 0.327, 0.9, 0.9800255409045096857298102862870246, 1.0, 1.0)
TSIT5_A = (
    (),
    (0.161,),
    (-0.008480655492356988544426874250230774, 0.3354806554923569885444268742502307),
    (2.897153057105493432130432594192938, -6.359448489975074843148159912383825,
     4.362295432869581411017727318190886),
    (5.325864828439256604428877920840511, -11.74888356406282787774717033978577,
     7.495539342889836208304604784564358, -0.09249506636175524925650207933207191),
    (5.861455442946420028659251486982647, -12.92096931784710929170611868178335,
     8.159367898576158643180400794539253, -0.07158497328140099722453054252582973,
     -0.02826905039406838290900305721271224),
    (0.09646076681806522951816731316512876, 0.01, 0.4798896504144995747752495322905965,
     1.379008574103741893192274821856872, -3.290069515436080679901047585711363,
     2.324710524099773982415355918398765),
)
TSIT5_B = TSIT5_A[6] + (0.0,)
_TSIT5_B_HAT = (0.09468075576583945807478876255758922, 0.009183565540343253096776363936645313,
                0.4877705284247615707855642599631228, 1.234297566930478985655109673884237,
                -2.707712349983525454881109975059321, 1.866628418170587035753719399566211,
                1.0 / 66.0)
TSIT5_E = tuple(b - bh for b, bh in zip(TSIT5_B, _TSIT5_B_HAT))

# Classical RK4: W. Kutta (1901); Hairer, Norsett & Wanner, "Solving ODEs I" (1993), table II.1.2.
RK4_B = (1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0)

_SUCCESS, _MAX_STEPS, _UNDERFLOW, _NONFINITE = 0, 1, 2, 3
_K = 5.0  # embedded order + 1
_BETA1, _BETA2 = 0.7 / _K, 0.4 / _K
_SAFETY, _MIN_FACTOR, _MAX_FACTOR = 0.9, 0.2, 10.0


def check_against_package_tableaus(tol=1e-15):
    """Compare the coefficients here with ``kernels.TABLEAUS``; return a list of mismatches.

    The package's ``a`` is square (zeros on and above the diagonal of an
    explicit method); the rows here hold the nonzero part only, so the rest of
    each package row must be zero.  Returns ``None`` when the tableaus cannot be imported.
    """
    try:
        from kernels.tableaus import get_tableau

        tsit5, rk4 = get_tableau("tsit5"), get_tableau("rk4")
    except Exception:  # noqa: BLE001 - the package is optional for this module
        return None
    bad = []

    def cmp(what, mine, theirs):
        if len(mine) != len(theirs):
            bad.append(f"{what}: length {len(mine)} != {len(theirs)}")
            return
        for i, (x, y) in enumerate(zip(mine, theirs)):
            if abs(x - y) > tol * max(1.0, abs(y)):
                bad.append(f"{what}[{i}]: {x!r} != {y!r}")

    cmp("tsit5.c", TSIT5_C, tsit5.c)
    for i, (row, theirs) in enumerate(zip(TSIT5_A, tsit5.a)):
        cmp(f"tsit5.a[{i}]", row + (0.0,) * (len(theirs) - len(row)), theirs)
    cmp("tsit5.b", TSIT5_B, tsit5.b)
    cmp("tsit5.b-b_hat", TSIT5_E, tsit5.error_weights)
    cmp("rk4.b", RK4_B, rk4.b)
    return bad


CONTROLLERS = ("pi", "i")


def build(dtype=np.float32, controller="pi"):
    """Return ``{"tsit5_fixed": kernel, "rk4_fixed": kernel, "tsit5_adaptive": kernel}`` for ``dtype``.

    ``controller``: the adaptive kernel's step-size rule, ``"pi"`` (above; bufferplan's default) or ``"i"``
    (``factor = clip(0.9 e_n^(-1/k), 0.2, 10)``, the rule of ``../shared/reference/lorenz_handwritten.py``,
    for a like-for-like comparison with it).  Each call builds new kernels; the caller keeps them.
    """
    if controller not in CONTROLLERS:
        raise ValueError(f"controller: expected one of {CONTROLLERS}, got {controller!r}")
    return _build(np.dtype(dtype).type, controller == "pi")


def _build(dtype, pi):  # noqa: C901 - one straight-line kernel per method, on purpose
    f = dtype
    c2, c3, c4, c5 = (float(x) for x in TSIT5_C[1:5])
    a21, = (f(x) for x in TSIT5_A[1])
    a31, a32 = (f(x) for x in TSIT5_A[2])
    a41, a42, a43 = (f(x) for x in TSIT5_A[3])
    a51, a52, a53, a54 = (f(x) for x in TSIT5_A[4])
    a61, a62, a63, a64, a65 = (f(x) for x in TSIT5_A[5])
    b1, b2, b3, b4, b5, b6 = (f(x) for x in TSIT5_A[6])
    e1, e2, e3, e4, e5, e6, e7 = (f(x) for x in TSIT5_E)
    half, sixth, two = f(0.5), f(1.0 / 6.0), f(2.0)

    @cuda.jit(device=True, inline="always")
    def rhs(y, s, r, b):
        return (s * (y[1] - y[0]), r * y[0] - y[1] - y[0] * y[2], y[0] * y[1] - b * y[2])

    @cuda.jit(device=True, inline="always")
    def rk4_rhs(y, s, r, b):
        """The rhs as RK4's timed form writes it (``x (r - z) - y``, as ``kernels.lorenz()`` does)."""
        return (s * (y[1] - y[0]), y[0] * (r - y[2]) - y[1], y[0] * y[1] - b * y[2])

    @cuda.jit(device=True, inline="always")
    def ax(a, k):
        return (a * k[0], a * k[1], a * k[2])

    @cuda.jit(device=True, inline="always")
    def axpy(acc, a, k):
        return (acc[0] + a * k[0], acc[1] + a * k[1], acc[2] + a * k[2])

    @cuda.jit(device=True, inline="always")
    def advance(y, h, acc):
        return (y[0] + h * acc[0], y[1] + h * acc[1], y[2] + h * acc[2])

    @cuda.jit(device=True, inline="always")
    def tsit5_stages(y, k1, h, s, r, b):
        """Stages 2..7 of Tsit5 from ``k1 = f(y)``; returns ``(y_new, k2, ..., k7)``."""
        k2 = rhs(advance(y, h, ax(a21, k1)), s, r, b)
        k3 = rhs(advance(y, h, axpy(ax(a31, k1), a32, k2)), s, r, b)
        k4 = rhs(advance(y, h, axpy(axpy(ax(a41, k1), a42, k2), a43, k3)), s, r, b)
        k5 = rhs(advance(y, h, axpy(axpy(axpy(ax(a51, k1), a52, k2), a53, k3), a54, k4)), s, r, b)
        k6 = rhs(advance(y, h, axpy(axpy(axpy(axpy(ax(a61, k1), a62, k2), a63, k3), a64, k4), a65, k5)),
                 s, r, b)
        y_new = advance(y, h, axpy(axpy(axpy(axpy(axpy(ax(b1, k1), b2, k2), b3, k3), b4, k4), b5, k5), b6, k6))
        k7 = rhs(y_new, s, r, b)
        return y_new, k2, k3, k4, k5, k6, k7

    @cuda.jit(device=True, inline="always")
    def scaled_tableau(h):
        """``h`` times each coefficient of the stage rows and of ``b``: one loop-invariant set for a fixed step."""
        return (h * a21, h * a31, h * a32, h * a41, h * a42, h * a43, h * a51, h * a52, h * a53, h * a54,
                h * a61, h * a62, h * a63, h * a64, h * a65, h * b1, h * b2, h * b3, h * b4, h * b5, h * b6)

    @cuda.jit(device=True, inline="always")
    def tsit5_fixed_step(y, c, s, r, b):
        """One Tsit5 step of the step size ``scaled_tableau`` was given (``c``), without the FSAL carry.

        Each stage's argument is ``y + c_1 k_1 + c_2 k_2 + ...``, one FMA a term: the coefficients times
        ``h`` are formed once a run instead of once a step (18 multiplications a step fewer).
        """
        k1 = rhs(y, s, r, b)
        k2 = rhs(advance(y, c[0], k1), s, r, b)
        k3 = rhs(advance(advance(y, c[1], k1), c[2], k2), s, r, b)
        k4 = rhs(advance(advance(advance(y, c[3], k1), c[4], k2), c[5], k3), s, r, b)
        k5 = rhs(advance(advance(advance(advance(y, c[6], k1), c[7], k2), c[8], k3), c[9], k4), s, r, b)
        k6 = rhs(advance(advance(advance(advance(advance(y, c[10], k1), c[11], k2), c[12], k3), c[13], k4),
                         c[14], k5), s, r, b)
        return advance(advance(advance(advance(advance(advance(y, c[15], k1), c[16], k2), c[17], k3), c[18], k4),
                               c[19], k5), c[20], k6)

    @cuda.jit(device=True, inline="always")
    def rk4_step(y, h, s, r, b):
        """One RK4 step: ``y + (h/6) (k1 + 2 (k2 + k3) + k4)``, the sum formed after the last stage."""
        hh = half * h
        k1 = rk4_rhs(y, s, r, b)
        k2 = rk4_rhs(advance(y, hh, k1), s, r, b)
        k3 = rk4_rhs(advance(y, hh, k2), s, r, b)
        k4 = rk4_rhs(advance(y, h, k3), s, r, b)
        h6 = sixth * h
        return advance(y, h6, (k1[0] + two * (k2[0] + k3[0]) + k4[0], k1[1] + two * (k2[1] + k3[1]) + k4[1],
                               k1[2] + two * (k2[2] + k3[2]) + k4[2]))

    # The fixed-step loops: n_steps - 1 steps of the one working-precision dt (converted once, the
    # count int32), then the last step of dt_last.  Time is never formed: the rhs is autonomous.  Tsit5
    # runs its steps in pairs (one count and one test a pair), RK4 one at a time on a count up to m: of the
    # loop forms, rhs forms and sum orders timed against ../shared/reference/lorenz_handwritten.py on the
    # H200 (sixteen for RK4; benchmarks/results/floor_reference_2026-12-02/), these were the fastest (RK4
    # 0.999x the floor); the SASS of the others has as many instructions a step, scheduled and
    # register-assigned differently by ptxas.
    @cuda.jit
    def tsit5_fixed(y0, params, t0, t1, dt, n_steps, dt_last, y_out):
        i = cuda.grid(1)
        if i >= y0.shape[0]:
            return
        s, r, b = params[i, 0], params[i, 1], params[i, 2]
        y = (y0[i, 0], y0[i, 1], y0[i, 2])
        c = scaled_tableau(f(dt))
        m = np.int32(n_steps - 1)
        pairs = m >> 1
        while pairs > 0:
            y = tsit5_fixed_step(tsit5_fixed_step(y, c, s, r, b), c, s, r, b)
            pairs -= 1
        if m & 1:
            y = tsit5_fixed_step(y, c, s, r, b)
        y = tsit5_fixed_step(y, scaled_tableau(f(dt_last)), s, r, b)
        y_out[i, 0] = y[0]
        y_out[i, 1] = y[1]
        y_out[i, 2] = y[2]

    @cuda.jit
    def rk4_fixed(y0, params, t0, t1, dt, n_steps, dt_last, y_out):
        i = cuda.grid(1)
        if i >= y0.shape[0]:
            return
        s, r, b = params[i, 0], params[i, 1], params[i, 2]
        y = (y0[i, 0], y0[i, 1], y0[i, 2])
        h = f(dt)
        m = np.int32(n_steps - 1)
        j = np.int32(0)
        while j < m:
            y = rk4_step(y, h, s, r, b)
            j += np.int32(1)
        y = rk4_step(y, f(dt_last), s, r, b)
        y_out[i, 0] = y[0]
        y_out[i, 1] = y[1]
        y_out[i, 2] = y[2]

    # The controller in the working precision and the log2 domain: e^-b1 e_prev^b2 = 2^(b2 lg_prev - b1 lg)
    # with lg = log2(e), one log2 and one exp2 a step (lg_prev kept from the last accepted step).  Time is
    # float64 (the landing on t1 is exact), the step size the working precision.
    safety, min_factor, max_factor, one = f(_SAFETY), f(_MIN_FACTOR), f(_MAX_FACTOR), f(1.0)
    pi_safety = f(_SAFETY ** 0.3)  # the PI filter's gain b1 + b2 = 0.3: the safety on the tolerance
    beta1, beta2, inv_k, third, tiny = f(_BETA1), f(_BETA2), f(1.0 / _K), f(1.0 / 3.0), f(1e-10)

    @cuda.jit(device=True, inline="always")
    def scaled(e, y, yn, rtol, atol):
        return e / (atol + rtol * max(abs(y), abs(yn)))

    @cuda.jit
    def tsit5_adaptive(y0, params, t0, t1, dt, rtol, atol, max_steps, y_out, status, n_steps):
        i = cuda.grid(1)
        if i >= y0.shape[0]:
            return
        s, r, b = params[i, 0], params[i, 1], params[i, 2]
        rt, at = f(rtol), f(atol)
        y = (y0[i, 0], y0[i, 1], y0[i, 2])
        k1 = rhs(y, s, r, b)
        t = t0
        h = f(dt)
        lg_prev = f(0.0)  # log2 of the last accepted error (1 before the first step)
        code = _SUCCESS
        accepted = 0
        tried = 0
        limit = np.int32(max_steps)
        while t < t1:
            if tried >= limit:
                code = _MAX_STEPS
                break
            rest = t1 - t
            last = rest <= float(h) * (1.0 + 1e-6)
            hf = f(rest) if last else h
            if t + float(hf) == t:
                code = _UNDERFLOW
                break
            y_new, k2, k3, k4, k5, k6, k7 = tsit5_stages(y, k1, hf, s, r, b)
            err = axpy(axpy(axpy(axpy(axpy(axpy(ax(e1, k1), e2, k2), e3, k3), e4, k4), e5, k5), e6, k6), e7, k7)
            q0 = scaled(hf * err[0], y[0], y_new[0], rt, at)
            q1 = scaled(hf * err[1], y[1], y_new[1], rt, at)
            q2 = scaled(hf * err[2], y[2], y_new[2], rt, at)
            en = math.sqrt((q0 * q0 + q1 * q1 + q2 * q2) * third)
            tried += 1
            if not en < math.inf:  # nan or inf: shrink hard
                h = hf * min_factor
                continue
            lg = math.log2(max(en, tiny))
            if en <= one:
                if pi:
                    factor = min(max(pi_safety * math.exp2(beta2 * lg_prev - beta1 * lg), min_factor), max_factor)
                else:
                    factor = min(max(safety * math.exp2(-inv_k * lg), min_factor), max_factor)
                lg_prev = lg
                y = y_new
                k1 = k7
                accepted += 1
                t = t1 if last else t + float(hf)
                h = hf * factor if not last else max(h, hf * factor)
            else:
                h = hf * min(max(safety * math.exp2(-inv_k * lg), min_factor), one)
        if code == _SUCCESS and not (math.isfinite(y[0]) and math.isfinite(y[1]) and math.isfinite(y[2])):
            code = _NONFINITE
        y_out[i, 0] = y[0]
        y_out[i, 1] = y[1]
        y_out[i, 2] = y[2]
        status[i] = code
        n_steps[i] = accepted

    return {"tsit5_fixed": tsit5_fixed, "rk4_fixed": rk4_fixed, "tsit5_adaptive": tsit5_adaptive}


def _grid(n, block):
    return (n + block - 1) // block, block


def launch_fixed(kernel, d_y0, d_params, t0, t1, dt, d_out, block=128, stream=0):
    """Launch ``tsit5_fixed`` or ``rk4_fixed`` on device arrays (no synchronisation)."""
    n_steps, dt_last = fixed_step_count(t0, t1, dt)
    blocks, threads = _grid(d_y0.shape[0], block)
    kernel[blocks, threads, stream](d_y0, d_params, float(t0), float(t1), float(dt), n_steps, float(dt_last),
                                    d_out)
    return n_steps


def launch_adaptive(kernel, d_y0, d_params, t0, t1, dt0, rtol, atol, max_steps, d_out, d_status, d_steps,
                    block=128, stream=0):
    """Launch ``tsit5_adaptive`` on device arrays (no synchronisation)."""
    blocks, threads = _grid(d_y0.shape[0], block)
    kernel[blocks, threads, stream](d_y0, d_params, float(t0), float(t1), float(dt0), float(rtol), float(atol),
                                    int(max_steps), d_out, d_status, d_steps)
