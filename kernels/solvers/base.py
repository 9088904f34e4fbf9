"""The contract every solver component (Newton, the linear solvers) follows.

A solver is a component of the step that uses it: it declares its own
buffers (a :class:`planner.BufferSettings` with every vector and matrix, its
lifetime and its location), is invoked from a phase of its parent (which
embeds its timeline there), and is built by a factory that closes over
compile-time constants and the allocators of its planned layout.

Device-function contract of a solver::

    solve(..., region, persistent) -> int32 status

1. Its inputs and outputs are arrays of the working precision passed by the
   parent; every working array of its own comes from an allocator built
   from the Plan (:mod:`kernels.allocators`), never from the parent's
   scratch.
2. It returns :data:`SOLVER_OK` (0) on success, or a nonzero trajectory
   status code of :mod:`kernels.status` (a singular matrix, an iteration
   that did not converge).  A failure stays in its own trajectory: it never
   synchronises or touches another thread's memory.
3. A solver whose buffer must survive from one invocation to the next (an
   LU factor reused across Newton iterations and stages) declares it with
   ``spans_invocations`` so the planner keeps its addresses alive in between.
4. A standalone build (a test kernel) and a build inside a step produce the
   same device function from the same settings and layout.
5. An array that must outlive one device-function call (the LU factor from
   ``factor`` to every ``solve``; a Newton iteration matrix from ``prepare``
   to every ``iterate`` of every stage that shares it) is obtained by the
   frame that spans all its uses, with the solver's own allocator (the
   built solver exposes it: ``alloc_factor``, ``alloc_matrix``, ...), and
   passed down as an argument.  A local array lives in the frame that
   allocates it, so this is what keeps a local factor alive (and in
   registers when the code indexing it uses literal indices); a shared or
   persistent one is the same slice wherever it is taken.

Dense LU (:mod:`kernels.solvers.lu`)::

    factor(a, pivots) -> int32        solve(a, pivots, b) -> None

6. ``a`` holds the n-by-n matrix row-major (``a[i * n + j]``) and is factored
   in place; ``pivots`` (n) receives the row interchanges.  ``factor``
   returns ``SINGULAR_MATRIX`` when a pivot ``u_kk`` is not finite or not
   above ``max(m eps g_k, tiny)``: ``eps`` of the working precision, ``tiny`` its
   smallest normal number (:func:`singular_below`; zero, NaN and a zero
   matrix included) and ``g_k = sum_j |l_kj u_jk|`` over the ``m`` earlier
   pivots ``j`` whose terms were eliminated into it (Doolittle:
   ``u_kk = a_kk - sum_j l_kj u_jk``; the complex LU bounds ``|l u|`` by
   ``(|re l| + |im l|)(|re u| + |im u|)``).  ``solve`` overwrites ``b`` with
   the solution and is only called after a successful ``factor``.  Every LU
   follows this rule (:func:`singular_check_lines`).  The computed pivot
   carries a rounding error of up to about ``m eps g_k`` (the backward
   error bound ``|dA| <= gamma_m |L| |U|``, ``gamma_m ~ m eps / 2``), so a
   pivot at or below it cannot be told from zero: a singular matrix's
   cancelled pivot is caught, whatever its scale (two equal rows of a 10x10
   matrix left a last pivot of 1.05 ``eps g``; ``m = 9``).
   A pivot that nothing cancelled is never refused above ``tiny``: the rule
   is invariant under row and column scaling, and a diagonal or triangular
   ``M`` is regular whatever its spread.  The earlier rules set one scale for
   every pivot and refused regular matrices: against the largest entry of
   all, float32 radau on the Oregonator (a regular 6x6 block, entries to
   2.6e6, a pivot of 0.27) took 2300 steps where float64 took 120; against
   the largest diagonal entry, ``diag(1 + 0.25 h 1e9, 1 + 0.25 h)`` was
   refused in float32 for every ``h`` above 3e-2, and sdirk4, radau and
   rodas5p in float32 took 500 to 600 steps (hundreds rejected) where
   float64 took 90.  The cost is one product per term, the work of the
   diagonal updates: O(n^2) for the dense LU, O(nnz) for the sparse ones.
   An infinite pivot (an infinite diagonal entry of ``J``, as
   ``d sqrt(y)/dy`` at ``y = 0``) is refused too: taken as its limit it
   gave that component a zero increment, which froze it where its
   derivative was not zero (a wrong result reported as success).

Krylov solvers (:mod:`kernels.solvers.krylov`)::

    solve(t, c, y, p, u, diagonal, aux, b, x, region, persistent) -> int32

7. Matrix-free: ``M v`` comes from the operator device function given to the
   builder, ``op(t, c, y, p, u, aux, v, out, region, persistent)``, which
   receives ``t, c, y, p, u, aux`` as passed to ``solve``.  ``diagonal``
   holds ``1 / M_ii`` when the solver is preconditioned (right Jacobi).
   ``x`` receives the solution from a zero initial guess; the status is
   ``LINEAR_SOLVER_NOT_CONVERGED`` when ``||b - M x|| <= tolerance ||b||`` is
   not reached (or the iteration broke down); where the iterations ran out
   with ``||b - M x|| <= accept_reduced ||b||`` (0 on its own; Newton's
   solvers take 0.1) it is ``INEXACT`` (-1, seen only by Newton): an inexact
   Newton step, which ends Newton only where the increment is below its constant.

Simplified Newton (:mod:`kernels.solvers.newton`)::

    prepare(t, c, y, p, u, tolerances, matrix, aux, region, persistent) -> int32
    iterate(t, c, y, p, u, tolerances, ts, data, z, matrix, aux, region, persistent, carried)
        -> (int32 status, eta, iterations)
    solve(t, c, y, p, u, matrix, aux, b, x, region, persistent) -> int32
    residual(ts, c, y, p, u, data, z, out, region, persistent) -> None   # the step's

8. ``prepare`` takes the Jacobian at ``(t, y)`` (float64 ``t``; ``y`` n
   elements; ``p`` the parameters; ``u`` the drivers at ``t``, a one-element
   stub without drivers), forms ``M = I - c J`` and factors it into
   ``matrix``/``aux`` (LU factor and pivots), or for a Krylov solver stores
   ``f(t, y)`` in ``aux`` for finite-difference products and ``1 / M_ii`` in
   ``matrix`` when preconditioned.  It returns ``SINGULAR_MATRIX`` or 0.
9. ``iterate`` solves ``G(z) = 0`` with ``dG/dz ~ M``: ``z`` (n) holds the
   initial guess on entry and the solution on a 0 return.  ``t, c, y, p, u``
   must be those given to ``prepare`` (the Jacobian point, used by the
   matrix-free products and by the norm); ``ts`` (float64) and ``data`` (an
   array of the step's) are handed to ``residual`` untouched, with the same
   ``c, y, p, u``: a DIRK stage passes its time and its base
   ``y_n + h sum_j a_ij k_j`` and computes ``G(z) = z - c f(ts, base + z)``.
   ``residual`` writes ``G(z)`` to ``out`` (n) and must not keep ``out``;
   its own scratch (the stage state ``base + z``, ``f`` there) comes from
   the step's allocators, with the ``region`` and ``persistent`` it gets.
10. ``tolerances`` holds ``atol`` then ``rtol`` (2 n elements, the loop's
    ``tolerances`` layout), then Newton's constant at those tolerances,
    ``newton_kappa(kappa, min(rtol))`` (:func:`newton_kappa`, which the loop
    computes once when it loads them); increments are measured in the norm
    ``RMS(dz_i / (atol_i + rtol_i |y_i|))``.  ``iterate`` returns 0 when the
    estimated error (Hairer & Wanner IV.8) is below that constant in that norm,
    ``NEWTON_NOT_CONVERGED`` on divergence, on a predicted failure within
    the iteration limit, on a non-finite increment or at the limit, and a
    Krylov solver's own code when it fails.  ``z`` is then unusable and the
    step returns the code (the loop rejects the step and retries smaller).
    ``carried`` is the ``eta`` a previous solve with the same matrix
    returned (1 when there is none): it stands for the unknown contraction
    of the first iteration.  The returned ``eta`` is this solve's (1 after a failure), and
    ``iterations`` the residuals it evaluated (failed solves too: the step's work counts).
11. ``solve`` applies ``M^-1`` from a successful ``prepare`` once (a
    Rosenbrock stage: ``prepare`` once per step, ``solve`` per stage): ``x``
    (n) receives it, ``b`` is left unchanged and may be ``x`` itself.  It
    returns 0, or a Krylov solver's own code.
12. ``matrix`` and ``aux`` come from ``alloc_matrix`` and ``alloc_aux`` of the
    built Newton, called by the frame that spans ``prepare`` and every
    ``iterate`` or ``solve`` that reuses it (point 5): with ``shared_by_parent`` the
    step allocates them once and calls ``prepare`` once per step (again
    only when ``c`` or the Jacobian point changes).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["singular_below", "singular_check_lines", "singular_constants", "SOLVER_OK", "newton_kappa",
           "newton_kappa_device", "newton_kappa_host", "newton_floor", "NEWTON_FLOOR_EPS", "FIXED_FLOOR_EPS"]

SOLVER_OK = 0


#: Newton's floor in units of the working precision's eps over rtol (:func:`newton_kappa`), adaptive steps.
NEWTON_FLOOR_EPS = 1.0
#: The same on fixed steps, SciPy's 10: a fixed step cannot retry a solve that stops short (radau on Van der Pol
#: at dt = 1/8, rtol 1e-10: one eps asked for 1e-5 tolerances, ten for 2.2e-5, and only ten converged).
FIXED_FLOOR_EPS = 10.0


def newton_floor(dtype, adaptive=True):
    """The numerator of Newton's floor ``floor_eps / rt`` in ``dtype``: :data:`NEWTON_FLOOR_EPS` eps of ``dtype``
    for an adaptive run, :data:`FIXED_FLOOR_EPS` on fixed steps."""
    return np.dtype(dtype).type((NEWTON_FLOOR_EPS if adaptive else FIXED_FLOOR_EPS) * np.finfo(dtype).eps)


def newton_kappa(kappa, rt, floor_eps):
    """Newton's stopping constant at the smallest relative tolerance ``rt`` (item 10).

    ``min(kappa, max(sqrt(rt), floor_eps / rt))`` (Hairer's ``FNEWT`` and SciPy's
    ``newton_tol``, whose 10 eps the fixed steps keep as ``floor_eps``, adaptive ones 1 eps:
    :func:`newton_floor`; never looser than ``kappa``), ``kappa`` when ``rt`` is 0.  At tight tolerances the
    iteration goes on past ``kappa``: its error estimate ``eta ||dz||`` rests on
    a rate measured over one or two iterations, and the first iteration, which
    starts where the Jacobian was taken, is nearly a full Newton step that
    contracts far faster than the next ones, so the estimate promises more
    than it gives.  The floor ``eps / rt`` keeps it from chasing rounding.
    SciPy lets that floor pass ``kappa``; in float32 at rtol 1e-6 (the
    defaults) it is 0.12, and a Newton stopped at 1.19 (SciPy's) left sdirk4 on a chain
    of oscillators 3e-6 off where 2e-6 is its rounding, so ``kappa`` caps it.
    One eps, not ten, on adaptive steps: in float32 at rtol 1e-5 ten put the floor at 0.12, above ``kappa``, and
    Newton stopped at 0.05 tolerances where float64 stops at 0.0032; Hodgkin-Huxley in float32
    radau ended 341 tolerances off (float64 20) with the same steps, 14 with one eps for 1 % more
    steps (Van der Pol 4.9 -> 0.44, Robertson kvaerno5 3.6 -> 0.9; HIRES radau 10 % more steps,
    the Oregonator kvaerno5 6 %; below one eps, HIRES and the Oregonator took up to twice the steps
    and failed: a neuroscientist's trial, helper study H394).  In float64 the floor
    passes ``sqrt(rt)`` only below rtol 4e-11 (Van der Pol at rtol 1e-12: the same steps).  A step
    that stops short is rejected and retried smaller; a fixed step cannot be, so it keeps ten.
    Plain Python, so the host computes the same value
    (:func:`newton_kappa_device` compiles it).
    """
    if rt > 0:
        return min(kappa, max(math.sqrt(rt), floor_eps / rt))
    return kappa


def newton_kappa_host(kappa, rtol, dtype, adaptive=True):
    """:func:`newton_kappa` of a run in ``dtype`` as the host hands it to the loop: ``kappa`` and the smallest of
    ``rtol`` held in ``dtype``, the floor of :func:`newton_floor` (``adaptive``: the run's)."""
    prec = np.dtype(dtype).type
    return newton_kappa(prec(kappa), prec(np.min(rtol)), newton_floor(prec, adaptive))


def newton_kappa_device(dtype, adaptive=True):
    """``kappa_at(kappa, rt)``: :func:`newton_kappa` as a device function in ``dtype`` (``adaptive``: the run's)."""
    from numba import cuda

    floor_eps = newton_floor(dtype, adaptive)
    formula = cuda.jit(device=True, inline="always")(newton_kappa)

    @cuda.jit(device=True, inline="always")
    def kappa_at(kappa, rt):
        return formula(kappa, rt, floor_eps)

    return kappa_at


def singular_below(dtype):
    """The floor of the LU's singularity threshold: the smallest normal number of ``dtype`` (item 6).

    A pivot above it has a finite reciprocal; zero, a subnormal (flushed to zero by the approximate
    reciprocal) and NaN are not above it, whatever the matrix's scale.
    """
    return np.dtype(dtype).type(np.finfo(dtype).tiny)


def singular_constants(dtype, terms):
    """The constants item 6's generated test reads for pivots of up to ``terms`` terms: ``EPS``, ``TINY`` and
    ``EPS<k>`` = ``k eps`` (exact) for ``k = 1 .. terms``, typed in ``dtype``."""
    eps = float(np.finfo(dtype).eps)
    scalar = np.dtype(dtype).type
    constants = {f"EPS{k}": scalar(k * eps) for k in range(1, terms + 1)}
    constants.update(EPS=scalar(eps), TINY=singular_below(dtype), INF=scalar(np.inf))
    return constants


def singular_check_lines(magnitude, terms, indent="    "):
    """Generated source of item 6's test of one pivot: ``return SINGULAR`` when ``magnitude`` is not above it.

    ``magnitude``: the pivot's magnitude (an expression); ``terms``: expressions of ``|l_kj u_jk|`` over
    the earlier pivots ``j`` (empty for the first pivot, which is tested against ``TINY`` alone).  The
    threshold is ``max(k eps g, TINY)`` with ``k`` terms summing to ``g`` (``EPS<k>``, from
    :func:`singular_constants`, and ``SINGULAR`` in the generated code's namespace); it assigns ``g``.
    """
    if not terms:
        return [f"{indent}if not TINY < {magnitude} < INF:", f"{indent}    return SINGULAR"]
    return [f"{indent}g = " + " + ".join(terms), f"{indent}if not max(EPS{len(terms)} * g, TINY) < {magnitude} < INF:",
            f"{indent}    return SINGULAR"]
