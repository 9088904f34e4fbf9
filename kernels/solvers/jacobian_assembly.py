"""``M = I - c J`` assembled over a sparse LU's pattern: the code Newton's ``prepare`` runs with a sparse LU.

The sparse LU (:mod:`kernels.solvers.sparse_lu`) keeps only the pattern's
entries (slot ``k`` of the compact factor is ``pattern[k]``).  ``J`` comes
from the first of these the system gives:

* ``jvp(t, y, p, v, out)``: compressed Jacobian-vector products.  Columns
  that share no row of the pattern (one group of :func:`column_groups`,
  Curtis, Powell & Reid 1974) are taken by one product with ``v`` the sum of
  their unit vectors: row ``i`` of the product is ``J[i, j]`` for the one
  column ``j`` of the group with ``(i, j)`` in the pattern.  Exact, one
  ``jvp`` per group (6 for the Brusselator whatever ``n``), two ``n``-vectors
  of scratch (``jac_vector``, ``jac_product``).
* ``jac(t, y, p, J)`` only: the dense Jacobian written to a planned ``n * n``
  scratch (``jac_dense``) and gathered.  At ``n = 128`` that is 16384 words
  per thread of local memory; give ``jvp`` as well to avoid it.  (ptxas,
  Brusselator, all-local plan: rodas4 float32 at n = 128 has 74736 local
  bytes with the scratch, 10224 with products; at n = 32 and 64 the
  compiler removed the scratch itself and the products' kernels had 10-50 %
  more local bytes.)
* neither: finite differences over the same column groups, one extra
  right-hand side per group (``delta_j`` as in :mod:`kernels.solvers.newton`;
  scratch ``jac_state``, ``jac_rhs0``, ``jac_rhs1``).

A differenced column straddles a jump of ``rhs`` in ``y_j`` (``albedo = 0.7 if T < 250 else 0.289``) where
``y_j`` lies within its increment below the switch: it reads ``jump / delta_j``, a spurious rate of 4e6 (an
energy balance model at ``T = 250 - 1e-6`` K, whose true ``df/dT`` is -0.17), and an L-stable step damps it
as a stiff mode, so a Rosenbrock step moves ``y`` by about ``-f / J`` and its error estimate passes it
(rodas5p held ``T`` within 4e-6 K below the switch from t = 22 to 60 with success, 2e7 tolerances off; a
climate scientist's trial), and Radau's estimate, filtered by ``(I - h gamma0 J)^-1``, passed the crossing
(557 tolerances off).  :func:`one_sided_lines` therefore takes a column again on the other side of ``y_j``
where its largest change reaches :func:`switch_share` of the rhs at that row (SciPy's ``num_jac``, whose
``NUM_JAC_DIFF_BIG`` is that same ``eps ** 0.25``, shrinks its next increment there instead) and keeps
the smaller of the two: one more right-hand side for such a column only (on Van der Pol, Robertson and HIRES
along SciPy's path, 0 to 22 % of the columns in float64, 0 to 31 % in float32; none where the system gives
``jac`` or ``jvp``, which are not differenced).  A column whose largest change is a fall of its own rate
(``f_j`` dropping across a switch it is driven to, a relay held at its switch) keeps its steep entry: the
stiff mode it stands for holds the state there, as the flow does.

``jvp`` is called as the Krylov operator calls it: without the drivers
``u`` (they are not part of its signature).  An entry of ``J`` outside the
pattern is dropped by the dense gather but folded into the pattern entry of
its row and group by the compressed paths: the pattern must hold every
nonzero (:func:`kernels.solvers.jacobian_pattern` or ``SolverOptions(pattern=)``).
"""

from __future__ import annotations

import numpy as np

from planner import Buffer, PhaseSpan

from ..codegen import elementwise, loop_header

__all__ = ["PRODUCTS_ABOVE", "prefers_products", "column_groups", "sparse_jacobian_path", "sparse_jacobian_label",
           "compressed_label", "sparse_buffers", "sparse_prepare_lines", "grouped_jacobian_lines", "perturbation_lines",
           "SWITCH_POWER", "switch_share",
           "one_sided_lines"]

#: Straight-line (literal-index) code for the n-vector sweeps up to this many states, a loop above.
VECTOR_UNROLL = 64

#: A system that gives both ``jac`` and ``jvp`` has Newton's ``M`` (DIRK, Rosenbrock) assembled from
#: ``jvp`` products above this many states, from ``jac`` up to it (the FIRK step takes ``jvp`` whenever
#: given: its ``jac`` path was not measured).  Measured on the H200 (Brusselator, 65536 trajectories, fixed steps,
#: benchmarks/results/stiff_peers_nvidia-h200_jacpaths.json): up to n = 64 the compiler keeps only the
#: pattern's entries of ``jac``'s n * n scratch and ``jac`` was faster (rodas4 float32 n = 64: 8.3 ms
#: against 12.8 ms); at n = 128 the scratch stays in local memory and ``jvp`` was twice as fast
#: (21.7 ms against 42.4 ms).
PRODUCTS_ABOVE = 64

#: A differenced column is taken again on the other side of ``y_j`` where its largest change reaches
#: ``eps ** SWITCH_POWER`` of the rhs at that row (module notes; SciPy's ``NUM_JAC_DIFF_BIG``).
SWITCH_POWER = 0.25


def prefers_products(n, has_jac, has_jvp):
    """Whether a sparse LU of ``n`` states takes ``J`` from ``jvp`` products (else ``jac`` or differences)."""
    return bool(has_jvp) and (not has_jac or n > PRODUCTS_ABOVE)


def column_groups(n, pattern):
    """Columns grouped so no two in a group share a row of ``pattern`` (greedy, Curtis-Powell-Reid)."""
    rows_of = [[] for _ in range(n)]
    for i, j in pattern:
        rows_of[j].append(i)
    groups, used = [], []
    for j in range(n):
        for g, taken in enumerate(used):
            if taken.isdisjoint(rows_of[j]):
                groups[g].append(j)
                taken.update(rows_of[j])
                break
        else:
            groups.append([j])
            used.append(set(rows_of[j]))
    return groups


def sparse_jacobian_path(settings):
    """``"jvp"``, ``"jac"`` or ``"finite differences"``: how a sparse ``settings`` (NewtonSettings) gets ``J``."""
    if settings.jvp:
        return "jvp"
    return "jac" if settings.analytic else "finite differences"


def sparse_jacobian_label(settings):
    """The path with its cost, e.g. ``"jvp (compressed, 6 products)"`` or ``"jac (dense 64 x 64 scratch)"``
    (:func:`compressed_label`)."""
    return compressed_label(sparse_jacobian_path(settings), settings.n, settings.linear.pattern)


def compressed_label(path, n, pattern):
    """The label of ``J``'s ``path`` (``"jvp"``, ``"jac"`` or ``"finite differences"``) into a sparse LU over
    ``pattern`` for ``n`` states, with its cost; above :data:`PRODUCTS_ABOVE` states the dense scratch's label says
    where it stays and what is faster (a method-of-lines user at 128 states was told nothing of it at ``plan_for``
    or the solve: the README alone said to give ``jvp``)."""
    groups = len(column_groups(n, pattern))
    if path == "jac":
        if n > PRODUCTS_ABOVE:
            return (f"jac (dense {n} x {n} scratch, in local memory: a jvp takes {groups} compressed products "
                    "instead, twice as fast for rodas4 at 128 states)")
        return f"jac (dense {n} x {n} scratch)"
    return (f"jvp (compressed, {groups} products)" if path == "jvp"
            else f"finite differences (compressed, {groups} right-hand sides)")


def sparse_buffers(settings):
    """The prepare-only scratch of the sparse path of ``settings`` (NewtonSettings), as planner Buffers."""
    n, pattern = settings.n, settings.linear.pattern
    prepare = (PhaseSpan("prepare", "prepare"),)
    path = sparse_jacobian_path(settings)
    if path == "jac":
        # Written by jac at literal indices and read once per pattern entry: up to PRODUCTS_ABOVE states
        # the compiler forwards the entries read and drops the rest (the scratch leaves no local
        # memory); above, the scratch stays in local memory.
        storage = "forwarded" if n <= PRODUCTS_ABOVE else "memory"
        return [Buffer("jac_dense", n * n, lifetime=prepare, weight=float(2 * len(pattern)), storage=storage)]
    groups = len(column_groups(n, pattern))
    if path == "jvp":
        # v: zeroed once, two writes per column, read by every product; out: written by each product,
        # each pattern entry read once.
        return [Buffer("jac_vector", n, lifetime=prepare, weight=float(n * (groups + 3))),
                Buffer("jac_product", n, lifetime=prepare, weight=float(n * groups + len(pattern)))]
    return [Buffer("jac_state", n, lifetime=prepare, weight=float(n * (groups + 4))),
            Buffer("jac_rhs0", n, lifetime=prepare, weight=float(n + len(pattern))),
            Buffer("jac_rhs1", n, lifetime=prepare, weight=float(n * groups + len(pattern)))]


def switch_share(dtype):
    """``eps ** SWITCH_POWER`` of ``dtype``: the share of the rhs at a row from which a column's change there is
    taken again on the other side of ``y_j`` (1.2e-4 in float64, 0.019 in float32)."""
    return float(np.finfo(dtype).eps) ** SWITCH_POWER


def _row_lines(n, unroll, statements, indent):
    """``statements(i)`` for each row ``i < n``: literal rows up to ``unroll``, else one unsigned loop."""
    pad = "    " * indent
    if n <= unroll:
        return [pad + line for i in range(n) for line in statements(str(i))]
    return [loop_header(n, indent=indent)] + [pad + "    " + line for line in statements("i")]


def _measure(out, base):
    """The lines keeping the largest change ``sw_big`` of a row, the rhs ``sw_row`` at that row, and the sum
    ``sw_sum`` of the changes, which is not finite where a row is not (:data:`FINITE`)."""
    return lambda i: [f"sw_q = abs({out}[{i}] - {base}[{i}])", "sw_sum += sw_q",
                      f"if sw_q > sw_big: sw_big, sw_row = sw_q, max(abs({base}[{i}]), abs({out}[{i}]))"]


#: Whether the column just measured is finite (``sw_sum - sw_sum`` is NaN where ``sw_sum`` is inf or NaN): a
#: column taken on the other side is kept only then.  A state decaying to 0 and feeding ``sqrt`` or ``log`` lay
#: within its increment above 0, its other side below 0 gave a NaN column, which ``sw_big`` (NaN compares false)
#: did not show, and the LU failed where the run had succeeded (a regression hunt).
FINITE = "sw_sum - sw_sum == ZERO"


def one_sided_lines(j, n, unroll, weight, entry, names=("ys", "f1", "f0"), tolerances="tolerances",
                    retried=()):
    """Lines differencing column ``j`` of ``J`` (a literal, or ``"j"`` inside a loop over columns) on one side of
    ``y_j``, and again on the other where it may straddle a jump (module notes), keeping the smaller column.

    ``names``: the perturbed state, the rhs there and ``f(t, y)``.  After ``d = ys[j] - y_j`` (exact, signed),
    ``weight`` (one line, e.g. ``"w = -c / d"``) and ``entry(i)`` (the line storing row ``i``) write the column;
    rows are literal up to ``unroll``.  ``retried``: lines run once per retry (a step's work count).  Without a
    retry the cost is one pass over the rows (``sw_q``, ``sw_big``, ``sw_row``) and one more test a column.
    """
    state, out, base = names
    lines = ["    " + line for line in perturbation_lines(j, tolerances, state)]
    lines += ["    sw_kept = ZERO", "    for sw_side in range(2):", f"        d = {state}[{j}] - yj",
              f"        rhs(t, {state}, p, u, {out})", f"        {state}[{j}] = yj", "        sw_big = ZERO",
              "        sw_row = ZERO", "        sw_sum = ZERO"]
    lines += _row_lines(n, unroll, _measure(out, base), 2)
    lines += [f"        if sw_side == 0 or (sw_big < sw_kept and {FINITE}):", f"            {weight}"]
    lines += _row_lines(n, unroll, lambda i: [entry(i)], 3)
    # not where the other side crosses 0 (a state within its increment of 0, where sqrt or log is not defined)
    straddles = f"sw_big > SWITCH_SHARE * sw_row and {out}[{j}] - {base}[{j}] > -sw_big and yj * (yj - d) > ZERO"
    lines += [f"        if sw_side == 1 or not ({straddles}):", "            break", "        sw_kept = sw_big",
              f"        {state}[{j}] = yj - d"]
    return lines + ["        " + line for line in retried]


def sparse_prepare_lines(settings):
    """Source lines of ``prepare`` writing ``M = I - c J`` into ``matrix`` (slot ``k`` = ``pattern[k]``).

    The lines run inside ``prepare(t, c, y, p, u, tolerances, matrix, aux, region, persistent)``
    with the namespace of :func:`kernels.solvers.newton.build_newton` (``jac``, ``jvp``, ``rhs``,
    ``alloc_<buffer>``, ``ZERO``, ``ONE``, ``SQRT_EPS``, ``N``); the caller factors afterwards.
    """
    n, pattern = settings.n, settings.linear.pattern
    one = [" + ONE" if i == j else "" for i, j in pattern]
    path = sparse_jacobian_path(settings)
    if path == "jac":
        lines = ["    jd = alloc_jac_dense(region, persistent)", "    jac(t, y, p, jd)"]
        return lines + [f"    matrix[{k}] = -c * jd[{i * n + j}]{one[k]}" for k, (i, j) in enumerate(pattern)]
    if path == "jvp":
        lines = ["    v = alloc_jac_vector(region, persistent)", "    jv = alloc_jac_product(region, persistent)"]
    else:
        lines = ["    ys = alloc_jac_state(region, persistent)", "    f0 = alloc_jac_rhs0(region, persistent)",
                 "    f1 = alloc_jac_rhs1(region, persistent)", "    rhs(t, y, p, u, f0)"]
    return lines + grouped_jacobian_lines(n, pattern, path == "jvp",
                                          lambda k, value: f"    matrix[{k}] = -c * {value}{one[k]}",
                                          names=("v", "jv") if path == "jvp" else ("ys", "f1"))


def perturbation_lines(j, tolerances="tolerances", state="ys"):
    """Lines moving ``state[j]`` off ``y[j]`` by ``sqrt(eps)`` times its scale, rounded so that the step
    ``state[j] - y[j]`` is exact.

    The scale is ``|y_j|``, floored at ``atol_j / rtol_j`` (the magnitude below which the tolerances treat ``y_j``
    as noise) where ``rtol_j >= sqrt(eps)``, else at ``atol_j`` (SciPy's floor), so that the increment of a small
    state never exceeds ``atol_j``: float32 at ``rtol = atol = 1e-5`` moved Robertson's ``y2 ~ 1e-5`` by 3.5e-4,
    its ``k3 y2^2`` column came out 18 times too steep, and radau took 71381 steps where 33 do (rodas5p failed).
    float64 at ``rtol >= 1.5e-8`` runs the rule of before, bit for bit; 1 where both floors vanish."""
    atol, rtol = f"{tolerances}[{j}]", f"{tolerances}[N + {j}]"
    return [f"yj = y[{j}]", "sc = abs(yj)",
            f"fl = ({atol} / {rtol} if {rtol} >= SQRT_EPS else {atol}) if {rtol} > ZERO else ONE",
            "if fl > sc:", "    sc = fl", "if sc == ZERO:", "    sc = ONE", f"{state}[{j}] = yj + SQRT_EPS * sc"]


def grouped_jacobian_lines(n, pattern, jvp, store, names, base="f0", tolerances="tolerances", unroll=VECTOR_UNROLL,
                           retried=()):
    """Lines computing ``J`` over ``pattern``, one column group (:func:`column_groups`) at a time.

    ``jvp``: one compressed product ``jvp(t, y, p, v, out)`` per group; else
    finite differences, one right-hand side at the group's perturbed state
    against ``base = f(t, y)``.  ``names`` are the scratch vectors ``(v, out)``
    (``v`` is the perturbed state for differences); ``store(k, value)`` gives
    the line that uses ``J``'s pattern entry ``k``, ``value`` its source.
    Shared by Newton's sparse ``prepare`` and the FIRK step's ``J``.  Differences take a group again on the
    other side of ``y`` where a column may straddle a jump (:func:`_group_lines`); ``retried`` lines run once per retry.
    """
    vector, out = names
    unroll = n if n <= unroll else 0
    slots_of = [[] for _ in range(n)]  # column j -> [(slot, row)]
    for k, (i, j) in enumerate(pattern):
        slots_of[j].append((k, i))
    groups = column_groups(n, pattern)
    if jvp:
        lines = elementwise(n, lambda i: f"{vector}[{i}] = ZERO", unroll)
        for g, group in enumerate(groups):
            lines += [f"    {vector}[{j}] = ONE" for j in group] + [f"    jvp(t, y, p, {vector}, {out})"]
            lines += [f"    {vector}[{j}] = ZERO" for j in group] if g < len(groups) - 1 else []
            lines += [store(k, f"{out}[{i}]") for j in group for k, i in slots_of[j]]
        return lines
    lines = elementwise(n, lambda i: f"{vector}[{i}] = y[{i}]", unroll)
    for group in groups:
        lines += ["    " + line for j in group for line in perturbation_lines(j, tolerances, vector)]
        lines += _group_lines(group, slots_of, store, (vector, out, base), retried)
    return lines


def _group_lines(group, slots_of, store, names, retried):
    """One group's differences (its columns already moved off ``y``), taken again with every column of the group
    on the other side of ``y`` where one of them may straddle a jump (:func:`one_sided_lines`' test), each
    column keeping the smaller of its two; the group's columns are back at ``y`` after."""
    vector, out, base = names
    lines = [f"    sw_kept_{j} = ZERO" for j in group] + ["    sw_again = False", "    for sw_side in range(2):",
                                                              f"        rhs(t, {vector}, p, u, {out})"]
    for j in (j for j in group if slots_of[j]):  # a column with no entry in the pattern writes nothing
        rows = [i for _, i in slots_of[j]]
        lines += [f"        d = ONE / ({vector}[{j}] - y[{j}])", "        sw_big = ZERO", "        sw_row = ZERO",
                  "        sw_sum = ZERO"]
        lines += ["        " + line for i in rows for line in _measure(out, base)(str(i))]
        lines += [f"        if sw_side == 0 or (sw_big < sw_kept_{j} and {FINITE}):"]
        lines += ["        " + store(k, f"(d * ({out}[{i}] - {base}[{i}]))") for k, i in slots_of[j]]
        own = f" and {out}[{j}] - {base}[{j}] > -sw_big" if j in rows else ""
        crosses = f" and y[{j}] * (y[{j}] + y[{j}] - {vector}[{j}]) > ZERO"  # the other side keeps y_j's sign
        lines += [f"        if sw_big > SWITCH_SHARE * sw_row{own}{crosses}:", "            sw_again = True",
                  f"        sw_kept_{j} = sw_big"]
    lines += ["        if sw_side == 1 or not sw_again:", "            break"]
    lines += [f"        {vector}[{j}] = y[{j}] - ({vector}[{j}] - y[{j}])" for j in group]
    lines += ["        " + line for line in retried]
    return lines + [f"    {vector}[{j}] = y[{j}]" for j in group]
