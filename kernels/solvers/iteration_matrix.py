"""Newton's iteration matrix ``M = I - c J``: where ``J`` comes from, and the matrix-free ``v -> v - c J v``.

Jacobians, in this order of preference: the system's ``jac(t, y, p, J)``
(dense, ``J[i * n + j] = df_i / dy_j``) or ``jvp(t, y, p, v, out)``
(matrix-free; under a dense LU, for a system without ``jac``, column ``j`` of
``J`` is ``J e_j``: ``n`` products, ``settings.jvp``); else finite differences:

* dense, column by column: ``delta_j = sqrt(eps) * max(|y_j|, atol_j / rtol_j)``
  (``atol_j / rtol_j`` is the magnitude below which the tolerances treat
  ``y_j`` as noise; 1 if both vanish), rounded so that ``y_j + delta_j`` is
  exact; ``n`` extra right-hand sides per iteration matrix;
* matrix-free, one extra right-hand side per product:
  ``J v ~ (f(t, y + delta v) - f(t, y)) / delta`` with
  ``delta = sqrt(eps) / max_i (|v_i| / sc_i)``, ``sc_i = max(|y_i|, sqrt(eps) max_j |y_j|)``
  (1 where ``y = 0``): no component moves by more than ``sqrt(eps)`` of its own size.
  ``prepare`` computes ``f(t, y)`` and ``max_j |y_j| / sc_i`` once and keeps them in ``aux``
  (``2 n + 1`` elements), so a product costs one max pass over ``v`` (a multiply per component, no squares).

  It was ``sqrt(eps (1 + ||y||_2)) / ||v||_2`` (NITSOL's), which moved every component by
  about 1e-8 whatever its size, and whose sums of squares overflowed in float32 above 1.8e19.
  rodas5p + gmres on Robertson without ``jvp`` (t = 40, float64): ``atol = 0``, rtol 1e-6
  took 22378 steps, now 79 (the LU's 79); atol 1e-8, rtol 1e-6 ended 43.5 tolerances off in
  64 steps, now 0.57 in 42 (LU 0.65, 42), and to t = 1e5 131206 off in 4659 steps, now 11 in
  113 (LU 0.29, 108); in number densities (states to 2.5e19, float32, rtol 1e-4, atol 1e-6 of
  the total) MAX_STEPS, now 2.6 off in 39 (LU 0.07, 45).  HIRES (float64, rtol 1e-6, atol
  1e-10) 0.21 off in 223 steps, now 1.0 in 226 (LU 0.11, 224; HIRES's error moves 20x with
  1 % of rtol).  The dense columns' floor ``atol_j / rtol_j`` was tried here and lost: it
  moved Robertson's ``y_2`` (1e-10, floor 1e-2) by more than its size (t = 1e5: 1037 off in
  458 steps; float32 at 2.5e19: 276 in 363); no floor at all (``eps max|y|``) let a
  component far below ``atol`` shrink ``delta`` until the others' differences were rounding
  (a decaying 1e-20 species beside Robertson, t = 1e5: 48 off in 249 steps, now 15 in 107).
  Rosenbrock stages take the product's error into the step unchecked (a ``ToleranceWarning``
  says so): sdirk4 ends within the LU's error (Robertson 0.38, the LU 0.38).

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
from .jacobian_assembly import perturbation_lines, sparse_jacobian_label, sparse_prepare_lines
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


def _fd_column(j, n, unroll, target):
    """Source lines perturbing ``y_j`` and writing column ``j`` of ``I - c J`` via ``target(i, j)``."""
    lines = ["    " + line for line in perturbation_lines(j)] + [
             f"    d = ys[{j}] - yj",
             "    rhs(t, ys, p, u, f1)",
             f"    ys[{j}] = yj",
             "    w = -c / d"]
    return lines + elementwise(n, lambda i: target(i, j), unroll)


def _product_scale_lines():
    """Source lines writing what a differenced product's increment reads (module notes) after ``f(t, y)`` in ``aux``.

    ``aux[N + i] = g / sc_i``, ``sc_i = max(|y_i|, sqrt(eps) g)``, ``g = max_i |y_i|`` (1 if ``y = 0``), and
    ``aux[2 N] = sqrt(eps) g``: the operator's increment is ``aux[2 N] / max_i |v_i| aux[N + i]``.  Relative
    to ``g`` the entries lie in ``[1, 1 / sqrt(eps)]``: no squares, and ``max_i |v_i| aux[N + i]`` overflows
    only for a ``v`` within ``sqrt(eps)`` of the range's end, whatever the state's size.
    """
    return ["    g = ZERO",
            "    for i in range(N):",
            "        g = max(g, abs(y[i]))",
            "    if not (g > ZERO and g < HUGE):",
            "        g = ONE",
            "    lo = SQRT_EPS * g",
            "    for i in range(N):",
            "        aux[N + i] = g / max(abs(y[i]), lo)",
            "    aux[2 * N] = SQRT_EPS * g"]


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

            def entry(i, j):
                return f"matrix[{i} * N + {j}] = w * (f1[{i}] - f0[{i}])"

            def column(j):
                unrolled = isinstance(j, int)
                return _fd_column(j, n, lu_unroll if unrolled else 0, entry) + [
                    f"    matrix[{j * n + j}] += ONE" if unrolled else "    matrix[j * N + j] += ONE"]

            lines += by_column(n, lu_unroll, column)
        lines.append("    return lu_factor(matrix, aux)")
    else:
        if not settings.analytic:
            lines += ["    rhs(t, y, p, u, aux)"] + _product_scale_lines()
        if settings.linear.preconditioned:
            lines += ["    ys = alloc_jac_state(region, persistent)", "    f1 = alloc_jac_rhs1(region, persistent)"]
            if settings.analytic:
                lines += ["    f0 = alloc_jac_rhs0(region, persistent)", "    rhs(t, y, p, u, f0)"]
            else:
                lines.append("    f0 = aux")
            lines += elementwise(n, lambda i: f"ys[{i}] = y[{i}]", 0)
            lines.append("    for j in range(N):")
            lines += ["    " + s for s in _fd_column("j", n, 0, lambda i, j: "pass")[:-2]]
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
              "    rhs(t, ys, p, u, out)\n"
              "    w = c / d\n"
              "    for i in range(UN):\n"
              "        out[i] = v[i] - w * (out[i] - aux[i])\n")
    constants = {"SCALES": np.uint64(n), "STEP_AT": np.uint64(2 * n)}
    return compile_device(source, "op", dict(namespace, rhs=rhs, alloc_state=alloc_state, **constants))
