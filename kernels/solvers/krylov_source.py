"""The device source of the Krylov solvers (:mod:`kernels.solvers.krylov`): GMRES(m) and BiCGSTAB.

Each template defines ``solve(t, c, y, p, u, diagonal, aux, b, x, region, persistent)``, the contract of
:mod:`kernels.solvers.krylov`, and reads its compile-time constants (``UN``, ``PRE``, ``WEIGHTED``, ``TOL``,
``M``, ``CYCLES``, ...) from the namespace :func:`kernels.solvers.krylov.build_krylov` gives it.  Kept apart
so that the settings and their build stay short.

A right-hand side whose norm (weighted or not) is not finite fails the solve before any target is set: an inf
``||b||`` made the target inf, and GMRES's ``beta <= target`` returned OK with ``x = 0``.  A Rosenbrock stage that
blew up on too large a first step (Robertson, rodas5p, atol 0: ``y`` near 1e74) then had a zero error estimate,
and the run ended at -1e74 with status success; failed, the step is retried smaller.
"""

#: Both solvers' start once ``bnorm`` holds the sum of squares of the (weighted) right-hand side: a zero one is
#: solved by ``x = 0``, one whose norm is not finite fails (see the module), and the target is the relative one,
#: with the absolute one in the norm of the error test below it where asked (:mod:`kernels.solvers.krylov`).
_TARGET = """\
    bnorm = sqrt(bnorm)
    if bnorm == ZERO:
        return OK
    if not bnorm < HUGE:
        return FAILED
    target = (diagonal[TARGET_AT] if SCALED else TOL) * bnorm
    if ABSOLUTE:
        target = max(min(target, diagonal[TARGET_AT + 1]), FLOOR * bnorm)
"""

GMRES_SOURCE = """
def solve(t, c, y, p, u, diagonal, aux, b, x, region, persistent):
    V = alloc_basis(region, persistent)
    H = alloc_hessenberg(region, persistent)
    G = alloc_rotations(region, persistent)
    g = alloc_projected(region, persistent)
    w = alloc_work(region, persistent)
    bnorm = ZERO
    for i in range(UN):
        x[i] = ZERO
        bw = b[i] * diagonal[OUT + i] if WEIGHTED else b[i]
        bnorm += bw * bw
""" + _TARGET + """\
    for cycle in range(CYCLES):
        beta = ZERO
        if cycle == 0:
            for i in range(UN):
                r = b[i] * diagonal[OUT + i] if WEIGHTED else b[i]
                V[i] = r
                beta += r * r
        else:
            op(t, c, y, p, u, aux, x, w, region, persistent)
            for i in range(UN):
                r = (b[i] - w[i]) * diagonal[OUT + i] if WEIGHTED else b[i] - w[i]
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
def solve(t, c, y, p, u, diagonal, aux, b, x, region, persistent):
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
        x[i] = ZERO
        bw = b[i] * diagonal[OUT + i] if WEIGHTED else b[i]
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
