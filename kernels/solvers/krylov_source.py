"""The device source of the Krylov solvers (:mod:`kernels.solvers.krylov`): GMRES(m) and BiCGSTAB.

Each solver's template defines ``solve_scaled(t, c, y, p, u, diagonal, aux, b, x, region, persistent, inv)``, which
solves ``M x = inv b``; :data:`SCALED_SOURCE` wraps it in ``solve(t, c, y, p, u, diagonal, aux, b, x, region,
persistent)``, the contract of :mod:`kernels.solvers.krylov`.  Both read their compile-time constants (``UN``,
``PRE``, ``WEIGHTED``, ``TOL``, ``M``, ``CYCLES``, ...) from the namespace :func:`kernels.solvers.krylov.build_krylov`
gives them.  Kept apart so that the settings and their build stay short.

A right-hand side with an entry (weighted or not) that is not finite fails the solve before any target is set: an
inf ``||b||`` made the target inf, and GMRES's ``beta <= target`` returned OK with ``x = 0``.  A Rosenbrock stage
that blew up on too large a first step (Robertson, rodas5p, atol 0: ``y`` near 1e74) then had a zero error
estimate, and the run ended at -1e74 with status success; failed, the step is retried smaller.

Every solve runs on ``b / 2^e``, ``2^(e-1) <= max_i |(W) b_i| < 2^e``, and multiplies ``x`` by ``2^e`` on every
return (``e`` held within the normal exponents: ``2^e`` and ``2^-e`` both normal).  The norms are sums of squares,
which overflowed once an entry of ``b`` passed about 1.8e19 in float32 (1.3e154 in float64), and lost digits below
1e-19 (1e-154), down to a zero norm (``x = 0`` returned) below 1e-23 (1e-162).  States of that size (number
densities in cm^-3, 2.5e19 in air) made the matrix-free runs take more steps or end at ``MAX_STEPS`` where the
LU did not: Robertson in number densities (rodas5p, a ``jvp``, atol 1e-6 of the total; float32, states to 2.5e19,
rtol 1e-4) took 179 steps with bicgstab against 30 unscaled and the LU's 30; in float64 at 1e160 (rtol 1e-6) gmres
and bicgstab ended at MAX_STEPS, the LU took 31 steps.  Now 31 and 31, within 0.012 tolerances of the LU's answer
(``tests/kernels/solvers/test_krylov_scale.py``).  The operator is linear in ``v`` (its finite-difference form
too: the increment ``delta v`` does not depend on ``||v||``), a relative target scales with ``||b||``, and the
absolute one is scaled as ``b`` is.  A power of two scales exactly: where nothing over- or underflowed before, the
solve gives the unscaled one's answer bit for bit; the cost is a pass over ``b`` and one over ``x``.  A subnormal
``b`` (entries 1e-40 in float32) is solved in a vector of entries near 1e-2.  Only a ``b`` with an entry that is
not finite once weighted (inf, NaN, or past the largest number) still fails.
"""

#: The solve's entry point, for both solvers: ``x = 0``; ``m = max_i |(W) b_i|`` (one pass, no squares: a NaN
#: sticks); a zero ``b`` is solved by ``x = 0``, one with an entry that is not finite fails (see the module); else
#: ``solve_scaled`` (the solver) runs on ``b / 2^e`` (``2^e`` the power of two just above ``m``, within
#: ``[2^MIN_EXPONENT, 2^-MIN_EXPONENT]``: both it and its reciprocal normal numbers) and ``x`` is scaled back,
#: whatever the status.
SCALED_SOURCE = """
def solve(t, c, y, p, u, diagonal, aux, b, x, region, persistent):
    m = ZERO
    for i in range(UN):
        x[i] = ZERO
        bw = abs(b[i] * diagonal[OUT + i]) if WEIGHTED else abs(b[i])
        if bw > m or bw != bw:
            m = bw
    if m == ZERO:
        return OK
    if not m < HUGE:
        return FAILED
    e = min(max(frexp(m)[1], MIN_EXPONENT), -MIN_EXPONENT)
    scale = ldexp(ONE, e)
    code = solve_scaled(t, c, y, p, u, diagonal, aux, b, x, region, persistent, ldexp(ONE, -e))
    for i in range(UN):
        x[i] = x[i] * scale
    return code
"""

#: Both solvers' start once ``bnorm`` holds the sum of squares of the scaled (weighted) right-hand side, whose largest
#: entry is in [0.5, 1) (down to 2^-23 in float32, 2^-52 in float64 for a subnormal ``b``; up to 4 at the top
#: exponent), so neither zero nor inf (:data:`SCALED_SOURCE` has refused those): the target is the relative one,
#: with the absolute one (scaled as ``b`` is, by ``inv``) in the norm of the error test below it where asked
#: (:mod:`kernels.solvers.krylov`).
_TARGET = """\
    bnorm = sqrt(bnorm)
    target = (diagonal[TARGET_AT] if SCALED else TOL) * bnorm
    if ABSOLUTE:
        target = max(min(target, diagonal[TARGET_AT + 1] * inv), FLOOR * bnorm)
"""

GMRES_SOURCE = """
def solve_scaled(t, c, y, p, u, diagonal, aux, b, x, region, persistent, inv):
    V = alloc_basis(region, persistent)
    H = alloc_hessenberg(region, persistent)
    G = alloc_rotations(region, persistent)
    g = alloc_projected(region, persistent)
    w = alloc_work(region, persistent)
    bnorm = ZERO
    for i in range(UN):
        bw = b[i] * diagonal[OUT + i] * inv if WEIGHTED else b[i] * inv
        bnorm += bw * bw
""" + _TARGET + """\
    for cycle in range(CYCLES):
        beta = ZERO
        if cycle == 0:
            for i in range(UN):
                r = b[i] * diagonal[OUT + i] * inv if WEIGHTED else b[i] * inv
                V[i] = r
                beta += r * r
        else:
            op(t, c, y, p, u, aux, x, w, region, persistent)
            for i in range(UN):
                r = (b[i] * inv - w[i]) * diagonal[OUT + i] if WEIGHTED else b[i] * inv - w[i]
                V[i] = r
                beta += r * r
        beta = sqrt(beta)
        if beta <= target:
            return OK
        if not beta < HUGE:
            return FAILED
        for i in range(UN):
            V[i] = V[i] / beta
        g[0] = beta
        used = 0
        residual = beta
        for j in range(M):
            col = uint64(j) * UN
            nxt = col + UN
            if PRE:
                for i in range(UN):
                    w[i] = diagonal[i] * V[col + i]
                op(t, c, y, p, u, aux, w, slot(V, j + 1), region, persistent)
            else:
                op(t, c, y, p, u, aux, slot(V, j), slot(V, j + 1), region, persistent)
            if WEIGHTED:
                for i in range(UN):
                    V[nxt + i] = V[nxt + i] * diagonal[OUT + i]
            for k in range(j + 1):
                kn = uint64(k) * UN
                h = ZERO
                for i in range(UN):
                    h += V[nxt + i] * V[kn + i]
                for i in range(UN):
                    V[nxt + i] -= h * V[kn + i]
                H[k * M + j] = h
            hn = ZERO
            for i in range(UN):
                hn += V[nxt + i] * V[nxt + i]
            hn = sqrt(hn)
            for k in range(j):
                a = H[k * M + j]
                bb = H[(k + 1) * M + j]
                H[k * M + j] = G[k] * a + G[M + k] * bb
                H[(k + 1) * M + j] = G[k] * bb - G[M + k] * a
            a = H[j * M + j]
            r = sqrt(a * a + hn * hn)
            if r == ZERO:
                return FAILED
            G[j] = a / r
            G[M + j] = hn / r
            H[j * M + j] = r
            g[j + 1] = -G[M + j] * g[j]
            g[j] = G[j] * g[j]
            if hn != ZERO:
                for i in range(UN):
                    V[nxt + i] = V[nxt + i] / hn
            used = j + 1
            residual = abs(g[j + 1])
            if residual <= target or hn == ZERO:
                break
        for k in range(used - 1, -1, -1):
            s = g[k]
            for i in range(k + 1, used):
                s -= H[k * M + i] * g[i]
            g[k] = s / H[k * M + k]
        for i in range(UN):
            s = ZERO
            for k in range(used):
                s += g[k] * V[uint64(k) * UN + i]
            if PRE:
                s = s * diagonal[i]
            x[i] += s
        if residual <= target:
            return OK
    if residual <= LOOSE * bnorm:
        return INEXACT
    return FAILED
"""

BICGSTAB_SOURCE = """
def solve_scaled(t, c, y, p, u, diagonal, aux, b, x, region, persistent, inv):
    r = alloc_residual(region, persistent)
    rh = alloc_shadow(region, persistent)
    d = alloc_direction(region, persistent)
    v = alloc_product(region, persistent)
    s = alloc_stabiliser(region, persistent)
    if PRE:
        dh = alloc_direction_hat(region, persistent)
        rhat = alloc_residual_hat(region, persistent)
    else:
        dh = d
        rhat = r
    bnorm = ZERO
    for i in range(UN):
        bw = b[i] * diagonal[OUT + i] * inv if WEIGHTED else b[i] * inv
        r[i] = bw
        rh[i] = bw
        d[i] = ZERO
        v[i] = ZERO
        bnorm += bw * bw
""" + _TARGET + """\
    rho = ONE
    alpha = ONE
    omega = ONE
    for it in range(ITERATIONS):
        rho_new = ZERO
        for i in range(UN):
            rho_new += rh[i] * r[i]
        if rho_new == ZERO or not abs(rho_new) < HUGE:
            return FAILED
        beta = (rho_new / rho) * (alpha / omega)
        for i in range(UN):
            d[i] = r[i] + beta * (d[i] - omega * v[i])
        if PRE:
            for i in range(UN):
                dh[i] = diagonal[i] * d[i]
        op(t, c, y, p, u, aux, dh, v, region, persistent)
        if WEIGHTED:
            for i in range(UN):
                v[i] = v[i] * diagonal[OUT + i]
        den = ZERO
        for i in range(UN):
            den += rh[i] * v[i]
        if den == ZERO:
            return FAILED
        alpha = rho_new / den
        norm = ZERO
        for i in range(UN):
            r[i] -= alpha * v[i]
            norm += r[i] * r[i]
        if sqrt(norm) <= target:
            for i in range(UN):
                x[i] += alpha * dh[i]
            return OK
        if PRE:
            for i in range(UN):
                rhat[i] = diagonal[i] * r[i]
        op(t, c, y, p, u, aux, rhat, s, region, persistent)
        if WEIGHTED:
            for i in range(UN):
                s[i] = s[i] * diagonal[OUT + i]
        ts = ZERO
        tt = ZERO
        for i in range(UN):
            ts += s[i] * r[i]
            tt += s[i] * s[i]
        if tt == ZERO:
            return FAILED
        omega = ts / tt
        norm = ZERO
        for i in range(UN):
            x[i] += alpha * dh[i] + omega * rhat[i]
            r[i] -= omega * s[i]
            norm += r[i] * r[i]
        if sqrt(norm) <= target:
            return OK
        if omega == ZERO:
            return FAILED
        rho = rho_new
    if sqrt(norm) <= LOOSE * bnorm:
        return INEXACT
    return FAILED
"""
