"""Newton's iteration matrix ``M = I - c J``: where ``J`` comes from, and the matrix-free ``v -> v - c J v``.

Jacobians, in this order of preference: the system's ``jac(t, y, p, J)``
(dense, ``J[i * n + j] = df_i / dy_j``) or ``jvp(t, y, p, v, out)``
(matrix-free; under a dense LU, for a system without ``jac``, column ``j`` of
``J`` is ``J e_j``: ``n`` products, ``settings.jvp``); else finite differences:

* dense, column by column: ``delta_j = sqrt(eps) * max(|y_j|, atol_j / rtol_j)``
  (``atol_j / rtol_j`` is the magnitude below which the tolerances treat
  ``y_j`` as noise; ``atol_j`` in its place where ``rtol_j < sqrt(eps)``, so that no
  increment of a small state exceeds ``atol_j``; 1 if both vanish), rounded so that ``y_j + delta_j`` is
  exact; ``n`` extra right-hand sides per iteration matrix, and one more for a
  column that may straddle a jump of ``rhs`` in ``y_j``, taken again at ``y_j - delta_j``
  (:func:`kernels.solvers.jacobian_assembly.one_sided_lines`; not counted in ``n_rhs``:
  ``prepare`` has no work counter);
* matrix-free: ``delta = step / max_i (|v_i| / sc_i)``, ``sc_i = max(|y_i|, step max_j |y_j|)``
  (1 where ``y = 0``): no component moves by more than ``step`` of its own size (or of the floor).
  Newton's products (DIRK, FIRK: their iteration corrects the product's error) are forward,
  ``J v ~ (f(t, y + delta v) - f(t, y)) / delta``, ``step = sqrt(eps)``, one extra right-hand side;
  a direct solve's (Rosenbrock stages, whose step takes the product's error unchecked) central,
  ``(f(t, y + delta v) - f(t, y - delta v)) / (2 delta)``, ``step = eps^(1/3)``, two: exact for
  the quadratic right-hand sides of mass-action kinetics whatever ``delta`` (else an error of
  ``delta^2 / 6`` times ``f``'s third derivative).  ``aux`` (``2 n + 1`` elements) holds ``f(t, y)``
  (central products: their scratch for ``f(y - delta v)``; ``prepare`` writes ``f(t, y)`` only for
  a Jacobi diagonal) and ``max_j |y_j| / sc_i``: the increment costs one max pass over ``v``.

  It was ``sqrt(eps (1 + ||y||_2)) / ||v||_2`` (NITSOL's), which moved every component by
  about 1e-8 whatever its size, and whose sums of squares overflowed in float32 above 1.8e19:
  rodas5p + gmres on Robertson without ``jvp`` (t = 40, float64, rtol 1e-6) with ``atol = 0``
  took 22378 steps (the LU's 79), with atol 1e-8 ended 43.9 tolerances off, to t = 1e5 1.3e5
  (the LU 0.28), float32 at 2.5e19 MAX_STEPS.  Forward with ``step = sqrt(eps)`` everywhere fixed
  those (79 steps; 0.75; 10.2; 39 steps) but broke HIRES (six states start at 0, float64, median
  over rtol 1e-6 * [0.93, 1.07], atol 1e-10): the zero states' floor (1.5e-8, ``v_i`` ~ atol)
  bound ``delta`` ~ 2e-6, the states near 1 moved by ~1e-12 of themselves and ``J v`` was ~1e-4
  rounding: rodas5p + bicgstab 0.244 -> 5.06 tolerances off (success reported), gmres 0.161 ->
  0.457, gmres + Jacobi 1.18 -> 2.25 (the LU 0.111).  Central with ``step = eps^(1/3)``: HIRES
  0.048, 0.110, 0.111; Robertson t = 1e5 0.114 in 108 steps (LU 0.28, 108), rodas4 0.0008 (LU
  0.74), ros3p 1.18 (LU 0.53), t = 40 1.02 in 41 (forward 0.75, LU 0.65), ``atol = 0`` 78 steps.
  Central with ``sqrt(eps)`` still left HIRES + bicgstab 0.89 off (rounding, not truncation).
  The dense columns' floor ``atol_j / rtol_j`` was tried and lost: it moved Robertson's ``y_2``
  (1e-10, floor 1e-2) by more than its size (t = 1e5: 1037 off); no floor at all (``eps max|y|``)
  let a component far below ``atol`` shrink ``delta`` until the others' differences were rounding.

With a sparse LU (:mod:`kernels.solvers.sparse_lu`) ``prepare`` assembles ``M``
over the LU's pattern into its compact factor (:mod:`kernels.solvers.jacobian_assembly`):
from compressed ``jvp`` products when the system gives ``jvp`` (``settings.jvp``;
exact, one product per group of structurally orthogonal columns, two ``n``-vectors
of scratch), else from the dense ``jac`` written to an ``n * n`` scratch, else
by finite differences over the same column groups.

The Jacobi preconditioner of the Krylov solvers gets ``diag(M)`` by
finite differences (``n`` right-hand sides, once per iteration matrix).
"""

from __future__ import annotations

import numpy as np

from ..codegen import UNROLL_STATES, by_column, compile_device, elementwise, index
from .jacobian_assembly import one_sided_lines, perturbation_lines, sparse_jacobian_label, sparse_prepare_lines
from .krylov import target_lines

__all__ = ["system_derivatives", "jacobian_source", "prepare_source", "jvp_operator"]


def system_derivatives(system, dtype=None):
    """``(rhs, jac, jvp)`` device functions of an ODESystem (None where it gives none).

    With ``dtype`` they are the system's functions for that working precision
    (``ODESystem.device_functions``: float literals in ``dtype``); without it
    ``rhs`` is ``system.device_rhs`` and the others are compiled as written.
    ``jac`` is the system's dense Jacobian (``ODESystem(..., jac=)``, flat
    row-major), ``jvp`` its Jacobian-vector product.
    """
    from numba import cuda

    if dtype is not None and hasattr(system, "device_functions"):
        device = system.device_functions(dtype)
        return device.rhs, device.jac, device.jvp
    jac = getattr(system, "jac", None)
    jvp = getattr(system, "jvp", None)
    return (system.device_rhs, None if jac is None else cuda.jit(device=True)(jac),
            None if jvp is None else cuda.jit(device=True)(jvp))


def jacobian_source(settings):
    """What a Newton build of ``settings`` uses for ``J``: ``"jac"``, ``"jvp"`` or ``"finite differences"``.

    With a sparse LU the path comes with its cost: ``"jvp (compressed, K products)"``,
    ``"jac (dense n x n scratch)"`` or ``"finite differences (compressed, K right-hand sides)"``.
    """
    if settings.sparse:
        return sparse_jacobian_label(settings)
    if not settings.analytic:
        return "finite differences"
    if settings.dense and settings.jvp:
        return f"jvp ({settings.n} products)"
    return "jac" if settings.dense else "jvp"


def _perturbed_rhs_lines(j):
    """Source lines perturbing ``y_j``, taking ``f1 = f(t, ys)`` and setting ``w = -c / d``: what the Jacobi
    diagonal of ``I - c J`` reads of column ``j`` (the dense columns are :func:`one_sided_lines`')."""
    return ["    " + line for line in perturbation_lines(j)] + [
            f"    d = ys[{j}] - yj",
            "    rhs(t, ys, p, u, f1)",
            f"    ys[{j}] = yj",
            "    w = -c / d"]


def _product_scale_lines(step):
    """Source lines writing what a differenced product's increment reads (module notes) in ``aux``.

    ``aux[N + i] = g / sc_i``, ``sc_i = max(|y_i|, step g)``, ``g = max_i |y_i|`` (1 if ``y = 0``), and
    ``aux[2 N] = step g``: the operator's increment is ``aux[2 N] / max_i |v_i| aux[N + i]``, so no component
    moves by more than ``step sc_i``.  ``step`` names the constant: ``SQRT_EPS`` (forward differences) or
    ``CBRT_EPS`` (central).  Relative to ``g`` the entries lie in ``[1, 1 / step]``: no squares, and
    ``max_i |v_i| aux[N + i]`` overflows only for a ``v`` within ``step`` of the range's end.
    """
    return ["    g = ZERO",
            "    for i in range(N):",
            "        g = max(g, abs(y[i]))",
            "    if not (g > ZERO and g < HUGE):",
            "        g = ONE",
            f"    lo = {step} * g",
            "    for i in range(N):",
            "        aux[N + i] = g / max(abs(y[i]), lo)",
            f"    aux[2 * N] = {step} * g"]


def _product_prepare_lines(settings):
    """What ``prepare`` writes for differenced products: ``f(t, y)`` in ``aux[:N]`` where read
    (``NewtonSettings.base_rhs``), then the scales."""
    base = ["    rhs(t, y, p, u, aux)"] if settings.base_rhs else []
    return base + _product_scale_lines("CBRT_EPS" if settings.direct else "SQRT_EPS")


def prepare_source(settings, dtype):
    """Source of Newton's ``prepare``: ``M = I - c J`` formed (the paths above) and factored, or a Krylov solve's
    diagonal and target set up; the namespace is :func:`kernels.solvers.newton.build_newton`'s."""
    n, dense, unroll = settings.n, settings.dense, UNROLL_STATES
    lines = ["def prepare(t, c, y, p, u, tolerances, matrix, aux, region, persistent):"]
    if settings.sparse:
        lines += sparse_prepare_lines(settings)
        lines.append("    return lu_factor(matrix, aux)")
    elif dense:
        lu_unroll = settings.linear.unroll
        if settings.jvp:  # column j of J is J e_j: n products, no differences (a system that gives jvp only)
            lines += ["    e = alloc_jac_state(region, persistent)", "    col = alloc_jac_rhs1(region, persistent)"]
            lines += elementwise(n, lambda i: f"e[{i}] = ZERO", unroll)

            def column(j):
                inner = lu_unroll if isinstance(j, int) else 0  # rows unrolled within unrolled columns only
                return ([f"    e[{j}] = ONE", "    jvp(t, y, p, e, col)", f"    e[{j}] = ZERO"]
                        + elementwise(n, lambda i: f"matrix[{i} * N + {j}] = -c * col[{i}]", inner)
                        + [f"    matrix[{j} * N + {j}] += ONE"])

            lines += by_column(n, lu_unroll, column)
        elif settings.analytic:
            lines.append("    jac(t, y, p, matrix)")
            lines += elementwise(n * n, lambda i: f"matrix[{i}] = -c * matrix[{i}]", lu_unroll * lu_unroll)
            lines += elementwise(n, lambda i: f"matrix[{index(i, n + 1)}] += ONE", lu_unroll)
        else:
            lines += ["    ys = alloc_jac_state(region, persistent)", "    f0 = alloc_jac_rhs0(region, persistent)",
                      "    f1 = alloc_jac_rhs1(region, persistent)", "    rhs(t, y, p, u, f0)"]
            lines += elementwise(n, lambda i: f"ys[{i}] = y[{i}]", unroll)

            def column(j):
                unrolled = isinstance(j, int)
                return one_sided_lines(j, n, lu_unroll if unrolled else 0, "w = -c / d",
                                       lambda i: f"matrix[{i} * N + {j}] = w * (f1[{i}] - f0[{i}])") + [
                    f"    matrix[{j * n + j}] += ONE" if unrolled else "    matrix[j * N + j] += ONE"]

            lines += by_column(n, lu_unroll, column)
        lines.append("    return lu_factor(matrix, aux)")
    else:
        if not settings.analytic:
            lines += _product_prepare_lines(settings)
        if settings.linear.preconditioned:
            lines += ["    ys = alloc_jac_state(region, persistent)", "    f1 = alloc_jac_rhs1(region, persistent)"]
            if settings.analytic:
                lines += ["    f0 = alloc_jac_rhs0(region, persistent)", "    rhs(t, y, p, u, f0)"]
            else:
                lines.append("    f0 = aux")
            lines += elementwise(n, lambda i: f"ys[{i}] = y[{i}]", 0)
            lines.append("    for j in range(N):")
            lines += ["    " + s for s in _perturbed_rhs_lines("j")]
            lines += ["        m = ONE + w * (f1[j] - f0[j])",
                      "        matrix[j] = ONE / m if abs(m) > EPS else ONE"]
        if settings.linear.target_index is not None:
            lines += target_lines(settings.linear, dtype)
        lines.append("    return OK")
    return "\n".join(lines) + "\n"


def jvp_operator(settings, namespace, jvp, rhs, alloc_state):
    """The Krylov operator ``v -> v - c J v`` from ``jvp`` or a finite-difference product."""
    if jvp is not None:
        source = ("def op(t, c, y, p, u, aux, v, out, region, persistent):\n"
                  "    jvp(t, y, p, v, out)\n"
                  "    for i in range(UN):\n"
                  "        out[i] = v[i] - c * out[i]\n")
        return compile_device(source, "op", dict(namespace, jvp=jvp))
    n = settings.n
    source = ("def op(t, c, y, p, u, aux, v, out, region, persistent):\n"
              "    m = ZERO\n"
              "    for i in range(UN):\n"
              "        a = abs(v[i]) * aux[SCALES + i]\n"
              "        if a > m:\n"
              "            m = a\n"
              "    if m == ZERO:\n"
              "        for i in range(UN):\n"
              "            out[i] = ZERO\n"
              "        return\n"
              "    if not m < HUGE:\n"  # v past the range's end: no increment; NaN fails the solve, not a wrong J v
              "        for i in range(UN):\n"
              "            out[i] = m - m\n"
              "        return\n"
              "    d = aux[STEP_AT] / m\n"
              "    if not d < HUGE:\n"  # a v far below the state: a smaller d keeps every perturbation within its bound
              "        d = HUGE\n"
              "    ys = alloc_state(region, persistent)\n"
              "    for i in range(UN):\n"
              "        ys[i] = y[i] + d * v[i]\n"
              "    rhs(t, ys, p, u, out)\n" + _difference_lines(settings.direct))
    constants = {"SCALES": np.uint64(n), "STEP_AT": np.uint64(2 * n), "HALF": type(namespace["ONE"])(0.5)}
    return compile_device(source, "op", dict(namespace, rhs=rhs, alloc_state=alloc_state, **constants))


def _difference_lines(central):
    """The product's end after ``out = f(y + d v)``: ``v - c J v`` by forward or central differences.

    Central (a direct solve's): ``f(y - d v)`` goes to ``aux[:N]`` (``f(t, y)`` is not kept there then), one
    more right-hand side and no more memory; its error is ``d^2 f'''(v, v, v) / 6``, none for a quadratic ``f``.
    """
    other = ("    for i in range(UN):\n"  # aux: f(t, y) forward, f(y - d v) central
             "        ys[i] = y[i] - d * v[i]\n"
             "    rhs(t, ys, p, u, aux)\n"
             "    w = HALF * (c / d)\n") if central else "    w = c / d\n"
    return other + ("    for i in range(UN):\n"
                    "        out[i] = v[i] - w * (out[i] - aux[i])\n")
