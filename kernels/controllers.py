"""Step-size controllers and the error measure.

Device-function contract of a controller (diffrax's ``adapt_step_size`` as a
tuple, so only the loop threads state)::

    control(dt, q, l1, l2, dt_min, dt_max) -> (accept, dt_next, l1, l2)

1. ``dt`` is the step just tried (float64); ``q`` its error measure from
   :func:`make_error_norm`: the scaled error norm raised to the power
   ``NORM_POWER[norm]`` (accept when ``q <= 1``; ``inf``, never NaN, for a
   non-finite proposal, which shrinks the step by ``min_factor``).
2. ``l1``/``l2`` are ``log2`` of the error norms (float32) of the last two
   accepted steps (start at 0, a norm of 1); they are returned updated on
   acceptance and unchanged on rejection.
3. ``dt_next`` is clamped to ``[dt_min, dt_max]``; after a rejection it is
   never larger than ``dt``.  The loop, not the controller, decides what a
   rejection at ``dt_min`` means (step-size underflow).

The adaptive controllers share one formula, a digital filter on the last
three error norms (Soderlind, "Digital filters in adaptive time-stepping",
ACM TOMS 29(1), 2003)::

    factor = safety * e_n^(-b1/k) * e_{n-1}^(-b2/k) * e_{n-2}^(-b3/k),   k = error_order + 1

clipped to ``[min_factor, max_factor]``.  Presets: I = (1, 0, 0); PI =
(0.7, -0.4, 0) (Hairer & Wanner, "Solving ODEs II", sec. IV.2); PID =
(0.58, -0.21, 0.1) (the defaults of SUNDIALS ARKODE's PID controller).

The safety factor scales the tolerance, not the step: each norm is divided
by ``safety^k``, which puts ``safety^(b1 + b2 + b3)`` in front of the
product.  So every filter settles where the I controller does, at a norm of
``safety^k`` (0.59 for a fifth-order error), and ``b1 + b2 + b3`` (the
filter's integral gain) must be positive.  With ``safety`` in front as it
stands, the PI filter (gain 0.3) settled at ``0.9^(k / 0.3)`` = 0.17 and
took 1.2 to 2 times SciPy's steps at the same tolerance, ending 10 to 50
times closer than asked (Tsit5 on ``y' = -y``; 127.6 steps on the Lorenz
peers' problem where an I controller took 77).  After a rejection the step
shrinks by ``safety * e_n^(-1/k)``.

It is evaluated as ``safety * 2^(x1 log2 e_n + x2 l1 + x3 l2)``: one
logarithm and one power a step whatever the filter, and the RMS norm's square
root folds into the exponents (``log2 sqrt(m) = log2(m) / 2``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numba import cuda

from .approx import exp2_approx, log2_approx, reciprocal
from .errors import ConfigurationError, plain

__all__ = ["ControllerSettings", "CONTROLLER_KINDS", "make_controller", "make_error_norm",
           "make_initial_step"]

_BETAS = {"i": (1.0, 0.0, 0.0), "pi": (0.7, -0.4, 0.0), "pid": (0.58, -0.21, 0.1)}
# In order of the filter terms a kind uses: CONTROLLER_KINDS[n] uses b1 ... bn.
CONTROLLER_KINDS = ("fixed",) + tuple(_BETAS)
_TERMS_TEXT = {"i": "b1 alone", "pi": "b1 and b2"}
NORMS = ("rms", "max")
# The error measure is the norm to this power (the RMS norm's square root is never taken).
NORM_POWER = {"rms": 2, "max": 1}
# No fast-math flags on these device functions: they never changed the IR (numba-cuda 0.30 attaches none to a
# device function's instructions), and a set of them, written into the functions' mangled names in its
# hash-seed-dependent order, gave the same kernel another name in every process (kernels.compile_cache).


@dataclasses.dataclass(frozen=True)
class ControllerSettings:
    """Step-size control settings (compile-time constants of the kernel).

    Parameters
    ----------
    kind : {"fixed", "i", "pi", "pid"}, optional
        The filter's terms: "i" uses ``b1`` alone, "pi" ``b1`` and ``b2``,
        "pid" all three; "fixed" steps at a fixed ``dt`` (no filter).  Left
        out, it follows ``betas`` (the fewest terms that hold their nonzero
        ones), or is "pi" without them.  A kind that cannot hold the nonzero
        betas is refused: the kernel runs the betas, so it would be a label
        that lies.
    betas : tuple of 3 floats, optional
        Filter exponents ``(b1, b2, b3)`` of the module notes' formula
        ``factor = safety^(b1 + b2 + b3) e_n^(-b1/k) e_{n-1}^(-b2/k) e_{n-2}^(-b3/k)``
        (``e`` the error norms of this step and the last two accepted ones,
        ``k`` the error estimate's order plus one); ``b1 + b2 + b3``, the
        integral gain, must be positive.  The kind's preset by default:
        i (1, 0, 0), pi (0.7, -0.4, 0), pid (0.58, -0.21, 0.1).
    safety : float
        Safety factor on the predicted step (0 < safety <= 1).
    min_factor, max_factor : float
        Bounds on the step change after an accepted step (shrink, growth).
    norm : {"rms", "max"}
        Norm of the scaled error ``err_i / (atol_i + rtol_i * max(|y_i|, |y_new_i|))``.

    Notes
    -----
    diffrax's ``PIDController(pcoeff, icoeff, dcoeff)`` is
    ``betas = (pcoeff + icoeff + dcoeff, -(pcoeff + 2 dcoeff), dcoeff)``,
    which :meth:`from_pid` builds; not divided by ``k``, which both divide
    the exponents by (diffrax's ``error_order``: for an ODE the solver's
    order, which is ``k`` here, 5 for Tsit5).  So ``b1 + b2 + b3`` is
    ``icoeff``; the presets are diffrax's (pcoeff, icoeff, dcoeff) =
    i (0, 1, 0), its default, pi (0.4, 0.3, 0) and pid (0.01, 0.47, 0.1).
    Three differences remain: the factor has ``safety^icoeff`` in front
    where diffrax has ``safety`` (the same at ``icoeff = 1``); after a
    rejection the step shrinks by ``safety e_n^(-1/k)`` where diffrax applies
    the whole filter; and ``min_factor`` bounds accepted steps too, which
    diffrax never shrinks.  diffrax's coefficients passed as betas (say
    ``(0.3, 0.3, 0.0)``) make another filter, with a positive ``b2`` as
    Soderlind's smoothing H211PI (1/6, 1/6, 0) has: a legitimate choice,
    so it cannot be refused.
    """

    kind: str | None = None
    betas: tuple | None = None
    safety: float = 0.9
    min_factor: float = 0.2
    max_factor: float = 10.0
    norm: str = "rms"

    def __post_init__(self):
        if isinstance(self.kind, str):  # as the string form of controller= and method names: any case
            object.__setattr__(self, "kind", self.kind.strip().lower())
        if self.kind is not None and self.kind not in CONTROLLER_KINDS:
            raise ConfigurationError(
                f"controller must be one of {list(CONTROLLER_KINDS)}; got {plain(self.kind)!r}")
        if self.betas is None:
            object.__setattr__(self, "kind", self.kind or "pi")
            object.__setattr__(self, "betas", _BETAS.get(self.kind, (0.0, 0.0, 0.0)))
        betas = tuple(float(b) for b in self.betas)
        if len(betas) != 3 or not all(math.isfinite(b) for b in betas):
            raise ConfigurationError(f"controller betas must be 3 finite numbers; got {plain(self.betas)!r}")
        if self.kind != "fixed" and not sum(betas) > 0.0:
            raise ConfigurationError(f"controller betas must have a positive sum b1 + b2 + b3 (the filter's integral "
                                     f"gain, which makes it track the tolerance); got {plain(self.betas)!r}")
        object.__setattr__(self, "kind", _kind_for_betas(self.kind, betas))
        object.__setattr__(self, "betas", betas)
        if not 0.0 < self.safety <= 1.0:
            raise ConfigurationError(f"controller safety must be in (0, 1]; got {plain(self.safety)!r}")
        if not 0.0 < self.min_factor < 1.0 < self.max_factor < math.inf:
            raise ConfigurationError(
                "controller factors must satisfy 0 < min_factor < 1 < max_factor < inf; "
                f"got min_factor={plain(self.min_factor)!r}, max_factor={plain(self.max_factor)!r}"
            )
        if isinstance(self.norm, str):
            object.__setattr__(self, "norm", self.norm.strip().lower())
        if self.norm not in NORMS:
            raise ConfigurationError(f"controller norm must be one of {list(NORMS)}; got {plain(self.norm)!r}")

    @classmethod
    def from_pid(cls, pcoeff=0.0, icoeff=1.0, dcoeff=0.0, **settings):
        """The settings of diffrax's ``PIDController(pcoeff=, icoeff=, dcoeff=)`` (class notes).

        ``betas = (pcoeff + icoeff + dcoeff, -(pcoeff + 2 dcoeff), dcoeff)``;
        diffrax's defaults (0, 1, 0) give the I controller.  ``settings`` are
        the other fields (``safety``, ``min_factor`` for diffrax's
        ``factormin``, ``max_factor`` for ``factormax``, ``norm``); ``rtol``,
        ``atol``, ``dtmin`` and ``dtmax`` are ``solve_ivp``'s ``rtol``,
        ``atol``, ``dt_min`` and ``dt_max``.
        """
        coeffs = {"pcoeff": pcoeff, "icoeff": icoeff, "dcoeff": dcoeff}
        for name, value in coeffs.items():
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(value):
                raise ConfigurationError(f"from_pid {name} must be a finite real number; got {plain(value)!r}")
        if not icoeff > 0.0:
            raise ConfigurationError(
                f"from_pid icoeff must be positive: it is the filter's integral gain b1 + b2 + b3, which makes the "
                f"step track the tolerance (diffrax suggests 0.3 to 1); got icoeff={plain(icoeff)!r}")
        _refuse_other_keywords(cls, settings)
        p, i, d = (float(v) for v in coeffs.values())
        return cls(betas=(p + i + d, 0.0 - (p + 2.0 * d), d), **settings)  # 0.0 - x: no -0.0 in the repr

    @property
    def adaptive(self) -> bool:
        return self.kind != "fixed"


#: diffrax's PIDController arguments that from_pid does not take, and where each goes here.
_DIFFRAX_KEYWORDS = {"factormax": "from_pid(..., max_factor=...)", "factormin": "from_pid(..., min_factor=...)",
                     "rtol": "solve_ivp(..., rtol=...)", "atol": "solve_ivp(..., atol=...)",
                     "dtmin": "solve_ivp(..., dt_min=...)", "dtmax": "solve_ivp(..., dt_max=...)",
                     "force_dtmin": "no counterpart: a rejection at dt_min ends the trajectory (force_dtmin=False)",
                     "step_ts": "no counterpart: put the times in t_eval", "jump_ts": "no counterpart: put the "
                     "times in t_eval and split the solve there (README, 'Coming from diffrax')"}


def _refuse_other_keywords(cls, settings):
    """A keyword of ``from_pid`` that is no ControllerSettings field: diffrax's name told where it goes here (its
    ``factormax=`` raised a bare TypeError: a diffrax user's trial), any other told the fields."""
    fields = [f.name for f in dataclasses.fields(cls) if f.name != "betas"]
    for name in settings:
        if name in fields:
            continue
        if name in _DIFFRAX_KEYWORDS:
            raise ConfigurationError(f"from_pid got diffrax's {name}=: here it is {_DIFFRAX_KEYWORDS[name]}")
        raise ConfigurationError(f"from_pid got the keyword {name!r}: it takes pcoeff, icoeff, dcoeff and the "
                                 f"ControllerSettings fields {fields}")


def _kind_for_betas(kind, betas):
    """``kind``, or the fewest terms that hold ``betas``' nonzero ones when None; refuses a kind that cannot hold
    them (``kind="i"`` with PID betas ran as PID, the kind ignored: a diffrax user's trial)."""
    used = max((n + 1 for n, b in enumerate(betas) if b != 0.0), default=0)
    fitting = CONTROLLER_KINDS[max(used, 1)]
    if kind is None:
        return fitting
    if kind == "fixed" or used <= CONTROLLER_KINDS.index(kind):  # fixed steps run no betas: nothing to contradict
        return kind
    nonzero = ", ".join(f"b{n + 1}" for n in range(CONTROLLER_KINDS.index(kind), 3) if betas[n] != 0.0)
    raise ConfigurationError(
        f"controller kind={kind!r} uses {_TERMS_TEXT[kind]} but betas={plain(betas)!r} has a nonzero {nonzero}: "
        f"pass kind={fitting!r} (or no kind: it follows betas), or leave betas out for the {kind!r} preset "
        f"{_BETAS[kind]}")


def make_error_norm(n_states, norm, dtype=np.float64, combined=False):
    """Return ``error_norm(y, y_new, err, tol) -> dtype``, the error measure ``q``.

    ``q`` is the norm of the scaled error
    ``err_i / (atol_i + rtol_i max(|y_i|, |y_new_i|))`` raised to
    ``NORM_POWER[norm]``: the mean square for ``"rms"`` (its square root is
    folded into the controller's exponents), the maximum for ``"max"``; ``inf``
    (never NaN) when it or ``y_new`` is not finite.  ``tol`` holds ``atol`` in
    its first ``n_states`` elements and ``rtol`` after them.

    ``combined``: ``err`` holds two estimates, ``err[:n]`` and a lower-order one
    in ``err[n:2n]``, whose norms ``e`` and ``e_lo`` combine as in Hairer's DOP853
    code (and SciPy's): ``e**2 / sqrt(e**2 + 0.01 e_lo**2)``, 0 when both are 0.
    That is never above ``e``, so an ``e`` below ``dtype``'s smallest normal number
    gives 0: the approximate reciprocal of a subnormal is inf (``rcp.approx.ftz``
    flushes it; a float32 ``1 / 1e-40`` overflows), which made 0 * inf = NaN and
    rejected every step (float32 dop853 on ``y' = t**2 y`` from a first step of
    ``1e-6``: a mean square of 1e-42, then NaN until ``max_steps``).

    Computed in the working precision ``dtype``, with approximate division: the
    measure only steers the step size, and exact division or float64 arithmetic
    in a float32 kernel costs more than the measure is worth every step.
    """
    use_max = norm == "max"
    inf = dtype(math.inf)
    zero = dtype(0.0)
    low_weight = dtype(0.01)
    inv_n = dtype(1.0 / n_states)
    rcp = reciprocal(dtype)

    # No nnan/ninf fast-math flags (none at all), so the inf tests stay.
    # y_new * 0 is 0 when y_new is finite and NaN when not: it joins the one finiteness test
    # (a non-finite y_new would otherwise hide in the scale, as err / inf = 0).
    @cuda.jit(device=True, inline="always")
    def measure(y, y_new, err, tol, offset):
        acc = zero
        for i in range(n_states):
            r = err[offset + i] * rcp(tol[i] + tol[n_states + i] * max(abs(y[i]), abs(y_new[i])))
            if use_max:
                # max() would drop a NaN: test each ratio.
                r = abs(r) + y_new[i] * zero
                if not r < inf:
                    return inf
                acc = max(acc, r)
            else:
                acc += r * r + y_new[i] * zero  # NaN and inf propagate to the one test below
        if use_max:
            return acc
        acc *= inv_n
        if not acc < inf:
            return inf
        return acc

    if not combined:
        @cuda.jit(device=True)
        def error_norm(y, y_new, err, tol):
            return measure(y, y_new, err, tol, 0)

        return error_norm

    # q = e * r with r = e / sqrt(e**2 + 0.01 e_lo**2) <= 1 for "max", and in mean squares (q, q_lo) the square,
    # q * q / (q + 0.01 q_lo).  r is formed from the ratio of the smaller norm to the larger, so that no square
    # or sum overflows (a huge first trial step in float32) into an inf that would make q 0 or NaN.
    # high below the smallest normal number (and any low above it) would go to the reciprocal as 0: q <= high, so 0.
    one = dtype(1.0)
    smallest_normal = dtype(np.finfo(dtype).tiny)

    @cuda.jit(device=True)
    def error_norm(y, y_new, err, tol):
        high = measure(y, y_new, err, tol, 0)
        low = measure(y, y_new, err, tol, n_states)
        if not (high < inf and low < inf):
            return inf
        if high < smallest_normal:
            return zero
        if high >= low:
            x = low * rcp(high)
            r = rcp(math.sqrt(one + low_weight * x * x)) if use_max else rcp(one + low_weight * x)
        else:
            x = high * rcp(low)
            r = x * rcp(math.sqrt(x * x + low_weight)) if use_max else x * rcp(x + low_weight)
        return high * r

    return error_norm


def make_controller(settings, error_order):
    """Return the device ``control(dt, q, l1, l2, dt_min, dt_max)`` for ``settings``."""
    if not settings.adaptive:
        @cuda.jit(device=True, inline="always")
        def fixed(dt, q, l1, l2, dt_min, dt_max):
            return True, dt, l1, l2

        return fixed

    k = float(error_order + 1)
    power = NORM_POWER[settings.norm]
    # log2 q = power * log2 e_n: the measure's exponent is divided out of x1 and x_reject.
    x1 = np.float32(-settings.betas[0] / (k * power))
    x2, x3 = (np.float32(-b / k) for b in settings.betas[1:])
    # Terms with a zero exponent are dropped at build time (I and PI need fewer products).
    use2, use3 = x2 != 0.0, x3 != 0.0
    to_log2_norm = np.float32(1.0 / power)
    x_reject = np.float32(-1.0 / (k * power))
    safety, min_factor, max_factor = (np.float32(v) for v in (settings.safety, settings.min_factor,
                                                             settings.max_factor))
    # Each norm over safety^k (module notes): safety^(b1 + b2 + b3) in front of an accepted step's factor.
    accept_safety = np.float32(settings.safety ** sum(settings.betas))
    one, tiny = np.float32(1.0), np.float32(1e-10 ** power)
    log2, exp2 = log2_approx(), exp2_approx()

    # The step factor is computed in float32 whatever the working precision: it needs a few
    # digits, and float64 powers cost the float32 kernels more than the step itself on GPUs
    # with a reduced FP64 rate. dt stays float64: the factor is widened (float()) before it
    # touches dt, so neither CUDA nor the simulator's NumPy promotion narrows dt.
    @cuda.jit(device=True, inline="always")
    def clamp(x, lo, hi):
        # Two compares and selects; min()/max() add NaN handling that dt never needs.
        x = lo if x < lo else x
        return hi if x > hi else x

    # No separate path for q = inf: log2(inf) = inf and 2^-inf = 0 send it down the rejection
    # path with the smallest factor.  Hence no ninf/nnan fast-math flags (none at all) here.
    @cuda.jit(device=True)
    def control(dt, q, l1, l2, dt_min, dt_max):
        lq = log2(max(np.float32(q), tiny))
        if q <= 1.0:
            x = x1 * lq
            if use2:
                x += x2 * l1
            if use3:
                x += x3 * l2
            factor = clamp(accept_safety * exp2(x), min_factor, max_factor)
            return True, clamp(dt * float(factor), dt_min, dt_max), lq * to_log2_norm, l1
        factor = clamp(safety * exp2(x_reject * lq), min_factor, one)
        return False, clamp(dt * float(factor), dt_min, dt), l1, l2

    return control


# Below this many times the most that rounding can put into d2, the first step is floored at h0 (make_initial_step).
_D2_RESOLVED = 10.0


def make_initial_step(n_states, dtype, error_order):
    """Return ``(first_guess, initial_step)``, Hairer, Norsett & Wanner's choice of the first step.

    Solving ODEs I, sec. II.4 (SciPy's ``select_initial_step``), in two device
    functions around one extra right-hand side that the loop evaluates:

    * ``first_guess(y, f0, atol, rtol, span) -> (h0, d1)``: ``h0 = 0.01 ||y|| / ||f0||``
      in the scaled RMS norm, or ``1e-6`` when either is tiny or ``f0`` is not finite,
      at most the span; ``d1 = ||f0||``.
    * ``initial_step(y, y1, f1, h0, d1, atol, rtol, span) -> h``, with ``y1 = y + h0 f0``
      and ``f1 = f(t0 + h0, y1)``: ``d2 = ||f1 - f0|| / h0`` estimates the second
      derivative, ``h1 = (0.01 / max(d1, d2))^(1 / (p + 1))`` (``p`` the error
      estimate's order) and ``h = min(100 h0, h1, span)``, SciPy's and Hairer's value,
      which may be below ``h0``; never below ``h0`` where ``d2`` is not resolved (below).
      ``h0`` where ``f0`` or ``f1`` is not finite.

    ``f0`` is not kept (the loop has no fourth vector there): it is recovered as
    ``(y1 - y) / h0``, in float64, exact but for the rounding of ``y1`` to ``dtype``.
    That rounding, with those of ``f0`` and ``f1``, puts up to
    ``noise = eps || |y1| / h0 + |f1| || / h0`` into ``d2``.  Where ``d2`` is at least
    ``_D2_RESOLVED = 10`` times ``noise`` (rounding moves ``h1`` by 5 % at most),
    ``h`` is Hairer's, below ``h0`` if ``h1`` is: floored at ``h0``, an age-structured
    SEIR in counts (``h0`` 3200 days) took its first 10 days in one step and radau
    ended 257 tolerances off (3.0 with Hairer's step).  Where it is not, ``d2`` is
    still used (with ``f0 = 0``, as ``y' = t**2 y``, it is all there is: leaving it out
    gave a step of ``1e-6`` where SciPy's is ``1e-4``) but ``h`` is floored at ``h0``,
    as rounding can only have inflated it.  The cost: float32 ``y' = -1e5`` from
    ``y = 1``, whose ``d2`` is 10 times ``d1`` and all rounding, starts at 0.46 and
    0.32 of SciPy's float64 step (rtol 1e-3, 1e-6).  In float64 ``noise`` is 1e-9
    times smaller: ``h`` is SciPy's to rounding wherever ``h1 >= h0`` or ``d2`` is
    resolved.
    Components with no scale (atol 0, which the launch makes ``dtype``'s smallest
    normal number, and y 0) are left out.
    """
    floor = float(np.finfo(dtype).tiny)
    eps = float(np.finfo(dtype).eps)
    inv_order = 1.0 / (error_order + 1.0)

    @cuda.jit(device=True)
    def first_guess(y, f0, atol, rtol, span):
        d0 = 0.0
        d1 = 0.0
        for i in range(n_states):
            scale = float(atol[i] + rtol[i] * abs(y[i]))
            if scale > floor:  # atol 0 at y 0: no scale to measure that component by yet
                # products, not ** 2: a Python float's power raises OverflowError on the simulator (a GPU: inf)
                a = float(y[i]) / scale
                b = float(f0[i]) / scale
                d0 += a * a
                d1 += b * b
        d0 = math.sqrt(d0 / n_states)
        d1 = math.sqrt(d1 / n_states)
        h = 1e-6
        if d0 >= 1e-5 and d1 >= 1e-5:
            h = 0.01 * d0 / d1
        if not h > 0.0:  # f(t0, y0) not finite: the loop's rejections take over from here
            h = 1e-6
        return min(h, span), d1

    @cuda.jit(device=True)
    def second_derivative(y, y1, f1, h0, atol, rtol):
        """``(d2, noise)``: ``||f1 - f0|| / h0`` and the most that ``dtype``'s rounding puts into it."""
        d2 = 0.0
        noise = 0.0
        for i in range(n_states):
            scale = float(atol[i] + rtol[i] * abs(y[i]))
            if scale > floor:
                c = (float(f1[i]) - (float(y1[i]) - float(y[i])) / h0) / scale
                r = (abs(float(y1[i])) / h0 + abs(float(f1[i]))) / scale
                d2 += c * c
                noise += r * r
        return math.sqrt(d2 / n_states) / h0, eps * math.sqrt(noise / n_states) / h0

    @cuda.jit(device=True)
    def initial_step(y, y1, f1, h0, d1, atol, rtol, span):
        d2, noise = second_derivative(y, y1, f1, h0, atol, rtol)
        # f0 or f1 not finite (a NaN too, which max() would drop): keep the first guess
        if not (d1 < math.inf and d2 < math.inf):
            return h0
        worst = max(d1, d2)
        if worst <= 1e-15:
            h1 = max(1e-6, h0 * 1e-3)
        else:
            h1 = (0.01 / worst) ** inv_order
        h = min(100.0 * h0, h1, span)
        if d2 < _D2_RESOLVED * noise:  # d2 may be mostly rounding, which inflates it: not below h0
            return max(h0, h)
        return h

    return first_guess, initial_step
