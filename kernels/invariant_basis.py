"""The candidate invariants' basis: the left null space of the probes' scaled Jacobians, its coefficients cleaned.

:func:`kernels.invariant_drift.find_invariants` asks here for the directions ``c`` whose ``c^T J`` stays within each
probe's error (:func:`left_null`), then for :func:`refined` (states whose coefficients are all within the error
bound zeroed, the rest fitted to all probes at once, each echelon vector cleared of what the bound left in it), and
for the reduced row echelon form that writes the invariants with few terms (:func:`echelon`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["PRUNE_SHARE", "left_null", "refined", "echelon", "pivot_order"]

#: Coefficients at most this share of the largest (a state's in the unit vectors spanning the candidates, a vector's
#: own in their echelon form) are tried at 0 (:func:`_pruned`, :func:`_sparse`): kept where ``c^T J`` moves past the
#: Jacobian's error without them, as a true coefficient does.
PRUNE_SHARE = 1e-3



def left_null(basis, nulls):
    """Orthonormal rows spanning the directions ``c`` in ``basis``'s rows with ``|c^T null|`` at most 1 for each of
    the ``nulls`` (:func:`kernels.invariant_drift._rhs_and_scale`), one at a time (an SVD of (k, n), k the directions
    left)."""
    for null in nulls:
        if len(basis) and np.any(null):  # (a zero Jacobian constrains nothing)
            u, s, _ = np.linalg.svd(basis @ null, full_matrices=False)
            basis = u[:, s <= 1.0].T @ basis
    return basis


def _passes(basis, nulls):
    """Whether every row ``c`` of ``basis`` has ``|c^T null| <= |c|`` at each of the ``nulls`` (:func:`left_null`)."""
    norms = np.linalg.norm(basis, axis=1)
    return bool(np.all(norms > 0.0) and all(np.all(np.linalg.norm(basis @ null, axis=1) <= norms) for null in nulls))


def _zeroed(rows, nulls, order):
    """``rows`` (k, n) with each state of ``order`` zeroed in every row, one at a time, where all rows still pass
    the ``nulls`` (:func:`_passes`; their ``c^T null`` kept and updated, O(k n) a state and null)."""
    nulls = [null for null in nulls if np.any(null)]
    if not nulls:
        return rows
    stack, rows = np.array(nulls), np.array(rows, np.float64)
    moved, size = np.einsum("kn,pnm->pkm", rows, stack), np.sum(rows * rows, axis=1)
    for j in order:
        if not np.any(rows[:, j]):
            continue
        trial, trial_size = moved - rows[:, j][None, :, None] * stack[:, j][:, None, :], size - rows[:, j] ** 2
        if np.all(trial_size > 0.0) and np.all(np.sum(trial * trial, axis=2) <= trial_size):
            moved, size, rows[:, j] = trial, trial_size, 0.0
    return rows


def _orthonormal(rows):
    """Orthonormal rows spanning ``rows`` (each scaled to 1 first; directions below 1e-8 dropped)."""
    q, r = np.linalg.qr((rows / np.linalg.norm(rows, axis=1, keepdims=True)).T)
    return q[:, np.abs(np.diag(r)) > 1e-8].T


def _polished(basis, nulls):
    """The ``len(basis)`` directions least moved by all the ``nulls`` at once (least squares: the last left singular
    vectors of the nulls side by side, through the (n, n) triangle of their QR, no larger factor), in the states
    ``basis`` uses, where each passes every null as ``basis``'s rows do (:func:`_passes`); else ``basis``.
    :func:`left_null` keeps any direction within the bound, as far off as the bound allows: Tyson's ``C2 + CP + pM
    + M`` came with ``pM`` and ``M`` 3e-6 off, too far to round to the integers; the fit of all the probes at once
    leaves only their noise over the gap."""
    nulls = [null for null in nulls if np.any(null)]
    used = np.flatnonzero(np.any(basis != 0.0, axis=0))  # (the states :func:`_pruned` zeroed stay at 0)
    if not nulls or len(used) <= len(basis):
        return basis
    triangle = np.linalg.qr(np.hstack(nulls)[used].T, mode="r")
    best = np.zeros_like(basis)
    best[:, used] = np.linalg.svd(triangle.T)[0][:, -len(basis):].T
    return best if _passes(best, nulls) else basis


def _pruned(basis, nulls):
    """``basis`` (orthonormal rows) with each state whose coefficients are all small (at most :data:`PRUNE_SHARE`)
    zeroed in every row, smallest first, where the rows still pass the ``nulls`` (:func:`_zeroed`), re-orthonormalised.
    :func:`left_null` leaves a state's error bound in each vector: Tyson's cell cycle (rates 1e6 beside 1) read
    ``C2 + CP + pM + M`` with 1.3e-6 of ``Y``, which the echelon form took for a pivot, and the vector
    ``-3.9e5 (C2 + CP + pM + M) + Y`` failed the span test.  An invariant's true small coefficient moves ``c^T null``
    far past 1 (``T`` in ``2e4 Y_F + T``: by 1e6)."""
    if not len(basis):
        return basis
    size = np.max(np.abs(basis), axis=0)
    order = [j for j in np.argsort(size, kind="stable") if 0.0 < size[j] <= PRUNE_SHARE]
    work = _zeroed(basis, nulls, order) if order else basis
    return basis if np.array_equal(work, basis) else _orthonormal(work)


def _sparse(basis, nulls):
    """``basis``'s span with each of its :func:`echelon` vectors' small coefficients (at most :data:`PRUNE_SHARE`
    of its largest) zeroed, smallest first, where the vector still passes the ``nulls`` (:func:`_zeroed`), as
    orthonormal rows.  The error of a direction the probes pin down loosely stays in the others' coefficients: a
    two-layer kinase cascade (rates 1e3 beside an input of 1e-3) read ``9.7e10 (K0 + K0p + C0 - Ph0 + C1) - 649.5 K1 +
    K1p``, whose rate sat at the verification's threshold (one invariant lost, another taken with its error)."""
    if not len(basis):
        return basis
    rows = echelon(basis)
    work = np.array([_zeroed(c[None], nulls, [j for j in np.argsort(np.abs(c), kind="stable")
                                              if 0.0 < abs(c[j]) <= PRUNE_SHARE * np.max(np.abs(c))])[0]
                     for c in rows])
    return basis if np.array_equal(work, rows) else _orthonormal(work)


def pivot_order(n, sizes=None):
    """The order in which :func:`echelon` tries the states as pivots: the largest ``sizes`` first, ties (and all,
    without ``sizes``) from the last state backwards."""
    if sizes is None:
        return np.arange(n)[::-1]
    sizes = np.broadcast_to(np.asarray(sizes, np.float64), (n,))
    return np.lexsort((-np.arange(n), -np.where(np.isnan(sizes), 0.0, sizes)))


def echelon(basis, sizes=None):
    """A basis of the same span with few nonzeros: reduced row echelon form pivoting from the last state backwards
    (a combustion model's two invariants read ``-4 y[0] + y[1]`` and ``2e4 y[0] + y[2]``), or on the states of the
    largest ``sizes`` first (:func:`pivot_order`; each such state is in one vector only, the others vanish there:
    :func:`kernels.invariant_drift.drifting_combinations`), each scaled so its smallest nonzero coefficient is 1 in
    size and its first is positive."""
    order = pivot_order(basis.shape[1], sizes)
    work = np.array(basis[:, order], np.float64)
    rows, cols = work.shape
    r = 0
    for c in range(cols):
        if r == rows:
            break
        pivot = r + int(np.argmax(np.abs(work[r:, c])))
        if abs(work[pivot, c]) <= 1e-8 * np.max(np.abs(work)):
            continue
        work[[r, pivot]] = work[[pivot, r]]
        work[r] /= work[r, c]
        others = np.arange(rows) != r
        work[others] -= np.outer(work[others, c], work[r])
        r += 1
    work, unordered = work[:r], np.empty((r, basis.shape[1]))
    unordered[:, order] = work
    work = unordered
    work[np.abs(work) <= 1e-12 * np.max(np.abs(work), axis=1, keepdims=True)] = 0.0
    out = []
    for c in work:
        nonzero = np.abs(c[c != 0.0])
        c = c / np.min(nonzero)
        out.append(c if c[np.flatnonzero(c)[0]] > 0 else -c)
    return np.array(out)


def refined(candidates, nulls):
    """``candidates`` (orthonormal rows) pruned, fitted to all the ``nulls`` at once and made sparse
    (:func:`_pruned`, :func:`_polished`, :func:`_sparse`), each step kept only where every row still passes."""
    return _sparse(_polished(_pruned(candidates, nulls), nulls), nulls)
