"""The transformed simplified Newton of a FIRK step (source lines): first guess, iterations, kept factors.

The step (:mod:`.firk`) solves for ``W = (T^-1 (x) I) Z``, one linear system per block of ``Lambda``
(:mod:`.firk_blocks`); this module writes the Newton loop around those solves.

Convergence is the contraction-rate test of :mod:`kernels.solvers.convergence`
(on the RMS of ``dW`` scaled by ``atol + rtol |y|``).  Before this step's
iterations have shown a rate, the last step's ``eta`` stands in (Hairer's
``FACCON``, ``max(eta, eps)^0.8``, kept in the persistent ``contraction``;
1 after a restart), trusted for a tenth of the constant only
(:data:`CARRIED_SHARE`): with the whole constant, HIRES at rtol 1e-6 ended
3.4 times SciPy Radau's error (1.9 with a measured rate required, as SciPy's
``radau.py`` does, and with this share).  The constant is
``min(kappa, max(sqrt(rtol), eps / rtol))`` (Hairer's ``FNEWT`` with
``kappa`` for his 0.03; ``rtol`` the smallest): the Newton error is left in
every step, and at ``kappa`` alone it dominated the result (Robertson,
rtol 1e-6: 3e-7 against 2e-10 with this rule).  Newton starts from the
previous step's collocation polynomial, extrapolated (Hairer & Wanner IV.8;
persistent ``guess`` and ``guess_step``), or from ``Z = 0`` on the first step
and after a rejection: ``prime``, which the loop calls then, sets the
persistent flag ``restart``, and every step clears it.

With ``reuse_factor`` (the default) the blocks' factors are persistent and kept
from one step to the next, as SciPy's ``radau`` and Hairer's RADAU5 keep theirs:
a step takes ``J`` and factors the blocks only after a restart, when its size
differs from the factored one by more than :data:`SAME_STEP` (relative), or when
the last step's Newton was slow (more than two iterations at a rate above
:data:`REFRESH_RATE`, SciPy's test); a Newton that fails on a kept factor is
rerun once on a fresh one before the step fails.  The persistent ``factor_step``
holds the factored step size (zero: none).  A fixed-step run then factors about
once, where it factored at every step.
"""

from __future__ import annotations

from ..codegen import UNROLL_STATES, index, loop_header
from ..solvers.convergence import carried_rate, convergence_lines
from .firk_blocks import block_index, factor_lines, jacobian_lines

# The share of Newton's constant a carried (not yet measured) contraction rate is trusted for.
CARRIED_SHARE = 0.1
# A kept factor serves a step whose size is within this relative distance of the factored one (a
# fixed-step run's landing steps differ from dt by rounding).
SAME_STEP = 1e-3
# A kept factor is refreshed after a step whose Newton took more than two iterations at a rate above this.
REFRESH_RATE = 1e-3

__all__ = ["CARRIED_SHARE", "SAME_STEP", "REFRESH_RATE", "each", "combination", "solve_lines", "finish_lines"]


def each(n, statement, indent=1):
    """Lines of ``statement(i)`` for ``i < n``: literal indices up to UNROLL_STATES, a loop above."""
    pad = "    " * indent
    if n <= UNROLL_STATES:
        return [pad + line for i in range(n) for line in statement(str(i))]
    return [loop_header(n, indent=indent)] + [pad + "    " + line for line in statement("i")]


def combination(terms):
    """``c1 * x1 + c2 * x2 ...`` of ``(name, expression)`` pairs, ``ZERO`` for none."""
    return " + ".join(f"{c} * {x}" for c, x in terms) if terms else "ZERO"


def newton_lines(settings, tr):
    """Newton from its first guess until ``converged`` is known (``restart`` read by the caller)."""
    n, s = settings.n_states, len(tr.stages)
    lines = ["    if restart:"]
    lines += each(s * n, lambda i: [f"z[{i}] = ZERO"], 2)
    lines += ["    else:", "        r = h / zstep[0]"]
    for i in range(s):
        lines.append(f"        x = ONE + CX_{i} * r")
        powers = ["(x - ONE)"] + [f"(x ** {m} - ONE)" for m in range(2, s + 1)]
        for j in range(s):
            lines.append(f"        G_{i}_{j} = " + " + ".join(f"P_{j}_{m + 1} * {pw}" for m, pw in enumerate(powers)))
    for i in range(s):
        lines += each(n, lambda e, i=i: [f"z[{index(e, offset=i * n)}] = " + combination(
            [(f"G_{i}_{j}", f"zg[{index(e, offset=j * n)}]") for j in range(s)])], 2)
    for a in range(s):
        lines += each(n, lambda e, a=a: [f"w[{index(e, offset=a * n)}] = " + combination(
            [(f"TI_{a}_{q}", f"z[{index(e, offset=q * n)}]") for q in range(s) if tr.t_inv[a, q] != 0.0])])
    if not settings.adaptive:  # a fixed step's last attempt may go on from the W it reached (solve_lines)
        lines = ["    if not resume:"] + ["    " + line for line in lines]
    lines += [f"    kap = tol[{2 * n}]"]
    lines += ["    eta = ONE", "    if not restart:", "        eta = " + carried_rate("carry[0]"),
              "    theta = ZERO", "    previous = ONE", "    converged = False", "    slow = False",
              "    for k in range(MAX_ITER):", "        wk[0] += W_STAGES", "        wk[3] += ONE"]
    for q, stage in enumerate(tr.stages):  # Z = (T (x) I) W formed here: z is not kept across iterations
        lines += each(n, lambda i, q=q: [f"ys[{i}] = y[{i}] + (" + combination(
            [(f"T_{q}_{c}", f"w[{index(i, offset=c * n)}]") for c in range(s) if tr.t[q, c] != 0.0]) + ")"], 2)
        lines += [f"        ts = t + C_{stage} * dt", "        eval_drivers(ts, driver_times, driver_values, u)",
                  f"        rhs(ts, ys, p, u, f_{q})"]
    lines.append("        acc = ZERO")
    for b, bl in enumerate(tr.blocks):
        for ra, a in enumerate(bl):
            def residual(i, a=a, ra=ra, bl=bl, b=b):
                terms = [(f"TI_{a}_{j}", f"f_{j}[{i}]") for j in range(s) if tr.t_inv[a, j] != 0.0]
                terms += [(f"-L_{a}_{c}", f"w[{index(i, offset=c * n)}]") for c in bl if tr.lam[a, c] != 0.0]
                return [f"r_{b}[{block_index(settings, len(bl), ra, i)}] = {combination(terms)}"]
            lines += each(n, residual, 2)
        lines.append(f"        lu_solve_{b}(fac_{b}, piv_{b}, r_{b})")
        for ra, a in enumerate(bl):
            lines += each(n, lambda i, a=a, ra=ra, b=b, k=len(bl): [
                f"dw = r_{b}[{block_index(settings, k, ra, i)}]", f"w[{index(i, offset=a * n)}] += dw",
                f"e = dw * rcp(tol[{i}] + tol[{index(i, offset=n)}] * abs(y[{i}]))", "acc += e * e"], 2)
    lines += ["        norm = sqrt(acc * INV_SN)"]
    lines += convergence_lines("kap", ["break"], ["converged = True", "slow = k > 1", "break"],
                               "k > 0 and eta * norm <= kap or k == 0 and eta * norm <= CARRIED_SHARE * kap", 2,
                               predict=settings.adaptive)
    return lines


def finish_lines(settings, tr):
    """After convergence: the carried rate, ``Z = (T (x) I) W`` and the next step's guess."""
    n, s = settings.n_states, len(tr.stages)
    lines = ["    carry[0] = eta"]
    for q in range(s):
        lines += each(n, lambda i, q=q: [f"z[{index(i, offset=q * n)}] = " + combination(
            [(f"T_{q}_{c}", f"w[{index(i, offset=c * n)}]") for c in range(s) if tr.t[q, c] != 0.0])])
    lines += each(s * n, lambda i: [f"zg[{i}] = z[{i}]"]) + ["    zstep[0] = h"]
    return lines


def _last_attempt(indent):
    """A fixed step's rerun of a Newton that failed on a fresh factor (``final``, ``resume``: :func:`solve_lines`)."""
    pad = "    " * indent
    return [f"{pad}if final:", f"{pad}    return FAILED", f"{pad}final = True", f"{pad}resume = restart",
            f"{pad}restart = True"]


def solve_lines(settings, tr):
    """``J``, the blocks' factors and Newton; with ``reuse_factor`` a kept factor first, a fresh one on failure.

    A fixed step (not :attr:`~.firk.FIRKStepSettings.adaptive`: no smaller step to retry) gives Newton
    one more attempt on the fresh factor when it failed there: from ``Z = 0`` where it had started from the
    extrapolated guess (which a fast transient in the last step can throw far off: negative
    concentrations, divergence at once), else (``resume``) on from the ``W`` it reached, for up to
    ``MAX_ITER`` more iterations (:mod:`kernels.solvers.convergence`).
    """
    prepare = ["    wk[0] += W_JACOBIAN_RHS", "    wk[1] += ONE"] + jacobian_lines(settings) + factor_lines(settings)
    fixed = not settings.adaptive
    deeper = lambda lines, depth: ["    " * depth + line for line in lines]  # noqa: E731
    if not settings.reuse_factor:
        if not fixed:
            return prepare + newton_lines(settings, tr) + ["    if not converged:", "        return FAILED"]
        return (prepare + ["    resume = False", "    final = False", "    while True:"]
                + deeper(newton_lines(settings, tr), 1) + ["        if converged:", "            break"]
                + _last_attempt(2))
    lines = ["    fstep = alloc_factor_step(region, persistent)",
             "    fresh = restart or not abs(fstep[0] - h) <= SAME_STEP * h"]
    lines += ["    resume = False", "    final = False"] if fixed else []
    lines += ["    while True:", "        if fresh and not final:" if fixed else "        if fresh:",
              "            fstep[0] = ZERO"]  # no factor while it is rewritten (a singular one returns)
    lines += deeper(prepare, 2) + ["            fstep[0] = h"] + deeper(newton_lines(settings, tr), 1)
    lines += ["        if converged:", "            break"]
    if fixed:
        lines += ["        if not fresh:", "            fresh = True", "            continue"] + _last_attempt(2)
    else:
        lines += ["        if fresh:", "            return FAILED", "        fresh = True"]
    return lines + ["    if slow and theta > REFRESH_RATE:", "        fstep[0] = ZERO"]
