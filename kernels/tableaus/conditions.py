"""Rooted-tree order conditions of Runge-Kutta and Rosenbrock tableaus.

A rooted tree is a sorted tuple of its children's trees (the single node is
``()``).  A Runge-Kutta method has order p when ``b . Phi(t) = 1 / gamma(t)``
for every tree with at most p nodes, where the stage weights are
``Phi(t) = prod over children u of (A Phi(u))`` (Butcher; Hairer, Norsett &
Wanner I, sec. II.2).  A Rosenbrock method with exact Jacobian has the B-series
stage weights ``kappa(t) = prod over children u of (alpha kappa(u))``, plus
``Gamma kappa(u)`` when ``t = [u]`` has a single child (the ``h J sum gamma_ij
k_j`` term only feeds trees whose root has one child; Hairer & Wanner II,
sec. IV.7), with the same condition ``b . kappa(t) = 1 / gamma(t)``.

The tableaus check the orders they claim with these at construction, so a
mistyped coefficient is refused where it is written (a swapped pair of
Cash-Karp weights ran at order 0.9 while claiming 5, in a user's trial).
Stage weights are memoised per tree in a :class:`Conditions` object: the 486
trees up to order 9 cost one small matrix-vector product each.  Plain NumPy;
no module-level state.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["rooted_trees", "density", "Conditions", "rk_conditions", "rosenbrock_conditions",
           "CONSTRUCTION_RTOL", "blind_on_linear", "check_claimed_orders"]

#: The tolerance of the construction check, relative to each condition's scale: loose enough for
#: coefficients typed with 12 significant digits, tight enough for any typo (residuals of 1e-3 and up).
CONSTRUCTION_RTOL = 1e-9


def _partitions(n, largest=None):
    largest = n if largest is None else largest
    if n == 0:
        yield ()
        return
    for first in range(min(n, largest), 0, -1):
        for rest in _partitions(n - first, first):
            yield (first,) + rest


def trees_up_to(order):
    """``{p: rooted trees with p nodes}`` for ``p = 1 .. order``, built from the smaller ones."""
    by_size = {1: ((),)}
    for size in range(2, order + 1):
        trees = set()
        for parts in _partitions(size - 1):
            for children in itertools.product(*(by_size[p] for p in parts)):
                trees.add(tuple(sorted(children)))
        by_size[size] = tuple(sorted(trees))
    return by_size


def rooted_trees(order):
    """All rooted trees with ``order`` nodes, each as a sorted tuple of child trees."""
    return trees_up_to(order)[order]


def _size(tree):
    return 1 + sum(_size(c) for c in tree)


def density(tree):
    """The tree's density gamma(t): the exact solution's elementary weight is 1 / gamma(t)."""
    out = _size(tree)
    for child in tree:
        out *= density(child)
    return out


class Conditions:
    """Stage weights of one tableau, memoised per tree; residuals of ``weights . Phi(t) - 1/gamma(t)``.

    Parameters
    ----------
    stage_weights : callable
        ``stage_weights(tree, recurse)`` returning ``(Phi, Phi_abs)`` for ``tree``,
        where ``recurse(child)`` gives the children's pair; ``Phi_abs`` uses absolute
        values and scales the rounding tolerance.
    """

    def __init__(self, stage_weights):
        self._rule = stage_weights
        self._cache = {}
        self._trees = {}

    def weights(self, tree):
        if tree not in self._cache:
            self._cache[tree] = self._rule(tree, self.weights)
        return self._cache[tree]

    def _of_size(self, order):
        if order not in self._trees:
            self._trees.update(trees_up_to(order))
        return self._trees[order]

    def residuals(self, weights, order):
        """Yield ``(tree, residual, scale)`` for every tree of exactly ``order`` nodes."""
        w = np.asarray(weights, dtype=float)
        for tree in self._of_size(order):
            phi, phi_abs = self.weights(tree)
            yield tree, float(w @ phi - 1.0 / density(tree)), float(np.abs(w) @ phi_abs + 1.0)

    def satisfied(self, weights, order, rtol=1e-13):
        """True when every condition up to ``order`` holds to ``rtol`` times its scale."""
        return self.order_of(weights, order, rtol) >= order

    def order_of(self, weights, up_to, rtol=1e-13):
        """The largest ``p <= up_to`` whose conditions (every tree of at most ``p`` nodes) hold to ``rtol``."""
        for p in range(1, up_to + 1):
            if any(abs(r) > rtol * scale for _, r, scale in self.residuals(weights, p)):
                return p - 1
        return up_to

    def worst(self, weights, order):
        """Largest scaled residual over the trees of exactly ``order`` nodes."""
        return max(abs(r) / scale for _, r, scale in self.residuals(weights, order))


def _children_product(matrix, matrix_abs, ones, tree, recurse):
    """``prod over children u of (matrix Phi(u))`` and its absolute-value twin (the rounding scale)."""
    phi, phi_abs = ones.copy(), ones.copy()
    for child in tree:
        child_phi, child_abs = recurse(child)
        phi = phi * (matrix @ child_phi)
        phi_abs = phi_abs * (matrix_abs @ child_abs)
    return phi, phi_abs


def rk_conditions(a):
    """Order conditions of a Runge-Kutta matrix ``a`` (any square matrix: explicit, DIRK or FIRK)."""
    a = np.asarray(a, dtype=float)
    a_abs, ones = np.abs(a), np.ones(a.shape[0])
    return Conditions(lambda tree, recurse: _children_product(a, a_abs, ones, tree, recurse))


def rosenbrock_conditions(alpha, gamma_matrix):
    """Order conditions of a Rosenbrock method (exact Jacobian) in the classical form (alpha, Gamma)."""
    alpha = np.asarray(alpha, dtype=float)
    big = np.asarray(gamma_matrix, dtype=float)
    alpha_abs, big_abs, ones = np.abs(alpha), np.abs(big), np.ones(alpha.shape[0])

    def rule(tree, recurse):
        phi, phi_abs = _children_product(alpha, alpha_abs, ones, tree, recurse)
        if len(tree) == 1:
            child_phi, child_abs = recurse(tree[0])
            phi = phi + big @ child_phi
            phi_abs = phi_abs + big_abs @ child_abs
        return phi, phi_abs

    return Conditions(rule)


def check_claimed_orders(kind, name, conditions, claims):
    """TableauError unless every ``(field, weights, claimed)`` of ``claims`` reaches its claimed order and not the
    next one (weights None: nothing claimed); the message names the claim, the order reached and the first tree
    that fails."""
    from ..errors import TableauError

    for field, weights, claimed in claims:
        if weights is None:
            continue
        reached = conditions.order_of(weights, claimed + 1, CONSTRUCTION_RTOL)
        if reached > claimed:  # the controller's exponent follows the claim: an under-claim mis-steers it
            raise TableauError(f"{kind} {name!r}: {field} = {claimed}, but its weights satisfy the order conditions "
                               f"of order {reached} too; claim {reached} (the step-size controller's exponent "
                               "follows the claimed orders)")
        if reached >= claimed:
            continue
        tree = next(t for t, r, scale in conditions.residuals(weights, reached + 1)
                    if abs(r) > CONSTRUCTION_RTOL * scale)
        raise TableauError(f"{kind} {name!r}: {field} = {claimed}, but its weights satisfy the order conditions only "
                           f"up to order {reached} (the first that fails has {reached + 1} nodes: {tree}; they "
                           f"must hold to a relative {CONSTRUCTION_RTOL:g}); check the coefficients against the "
                           "source (rounded ones need about 10 significant digits; fractions.Fraction objects are "
                           "exact), or claim the order they reach")


def blind_on_linear(matrix, difference, rtol=1e-12):
    """Whether an error estimate with weights ``difference`` (``b - b_hat``) is 0 on every linear problem.

    On ``y' = lambda y`` the estimate is ``z difference . (I - z A)^-1 1`` (``A`` the Runge-Kutta matrix,
    or ``alpha + Gamma`` for a Rosenbrock method), which vanishes for every ``z`` exactly when
    ``difference . A^k 1 = 0`` for ``k = 0 .. s - 1``: the embedded solution then has the method's own
    stability function, and the estimate sees only nonlinearity.  ROS3P's published estimate is so (a
    user's accuracy audit: on ``y' = -y`` 11 steps and 7e-4 off at rtol 1e-3, 1e-6 and 1e-10 alike, with
    success).
    """
    a = np.asarray(matrix, dtype=float)
    d = np.asarray(difference, dtype=float)
    x = np.ones(a.shape[0])
    for _ in range(a.shape[0]):
        if abs(d @ x) > rtol * (np.abs(d) @ np.abs(x)):
            return False
        x = a @ x
    return True
