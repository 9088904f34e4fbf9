"""The structural nonzeros of a system's Jacobian, found by probing it on the host.

A sparse LU needs the pattern of ``J`` when the kernel is built.  It is
found by evaluating the system at a few random points (states, parameters
and drivers of both signs, magnitudes 0.1 to 10, from a fixed seed so builds
are reproducible): the system's dense ``jac`` when it has one, else the
right-hand side perturbed one state at a time (an entry is structural when
``f_i`` changes at all).  The union over the points, plus the diagonal, is
the pattern; ``points=`` adds the problem's own states and parameters.

Risk: an entry that happens to be zero at every probe point (a term like
``max(y_0, 0)``, a branch never taken, a parameter that is zero in the
probes but not in the run) is left out, and the factor then ignores it:
Newton converges slower or not at all for that trajectory, and a Rosenbrock
step, which takes ``J`` as exact, loses its order (a user's trial: rates that
switch on above 290 K, T = 300 at the start, all zero at the probes: rodas5p
took 65203 steps and ended 7 tolerances off, reporting success).  So a solve
from host inputs checks the pattern at its trajectories' ``y0`` and ``params``
(every row within a budget, else first, middle, last and each column's extremes:
:func:`kernels.integrator_checks.probe_rows`; :func:`missing_entries`), and where a ``y0``
has components at 0 at that state with them set off 0 (both signs: radicals of a mechanism
started from pure reactants couple once they form), and refuses to run on one that misses
entries there.  Give the pattern explicitly when an
entry can switch on later in a run: ``SolverOptions(pattern=...)``
(``jacobian_pattern(system, points=...)`` at states the run reaches), or
``linear="dense"``.

A system that knows its Jacobian's structure (``system.jacobian_structure``, which
:func:`kernels.symbolic_system` sets from SymPy's nonzero derivatives) is not probed: that
structure is the pattern, exact whatever the run's times, states and parameters.

The pattern's symbolic analysis for the sparse LU is here too: the
elimination order by minimum degree and the fill-in it creates.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..errors import ConfigurationError, describe

__all__ = ["jacobian_pattern", "missing_entries", "zeros_filled", "PROBES", "DENSE_SHARE", "full_pattern", "minimum_degree_order", "symbolic_fill"]

PROBES = 3  # random points whose union of nonzeros is the pattern
# Above this share of J's entries, solver="lu" factors J dense (SolverOptions), so its probing stops as soon
# as the share is passed (jacobian_pattern's dense_share): for 300 states and a right-hand side of 300 x 300
# terms it took 35 s on the host, all of it differencing a matrix that would be factored dense.
DENSE_SHARE = 0.5


def _random_values(rng, size):
    return rng.choice([-1.0, 1.0], size) * 10.0 ** rng.uniform(-1.0, 1.0, size)


def jacobian_pattern(system, probes=PROBES, seed=0, dense_share=1.0, points=()):
    """The sorted ``((i, j), ...)`` structural nonzeros of ``system``'s Jacobian, the diagonal included.

    Parameters
    ----------
    system : ODESystem
    probes : int
        Random points probed; an entry nonzero at any of them is kept.
    seed : int
        Seed of the probe points (fixed: the same system gives the same pattern).
    dense_share : float
        As soon as more than this share of the ``n * n`` entries is found, the full pattern (a superset)
        is returned without probing further; 1 (the default) probes to the end.  ``"lu"`` passes
        :data:`DENSE_SHARE`, above which it factors dense whatever the exact pattern.
    points : sequence of (t, y, p)
        Points probed after the random ones: states and parameters at the problem's own magnitudes
        (a rate that switches on above 290 K is zero at every random point of magnitude 0.1 to 10), each
        also with its components at 0 moved off 0 (:func:`zeros_filled`; where the rhs cannot take such a
        state, it is left out).

    A random point where ``rhs`` (or ``jac``) raises is left out and another drawn, up to ten times ``probes``
    in all; when none could be evaluated the pattern is that of ``points`` alone, and without ``points`` that is
    an error.
    """
    n = system.n_states
    dense = dense_share * n * n
    structure = getattr(system, "jacobian_structure", None)  # exact (kernels.symbolic_system): nothing to probe
    if structure is not None:
        return full_pattern(n) if len(structure) > dense else tuple(structure)
    rng = np.random.default_rng(seed)
    found = np.eye(n, dtype=bool)
    failure, probed = None, 0
    for _ in range(10 * probes):  # points the rhs cannot take are drawn again: ``probes`` evaluated ones
        if probed == probes:
            break
        t = float(rng.uniform(0.0, 1.0))
        y, p, u = _random_values(rng, n), _random_values(rng, system.n_params), _random_values(rng, system.n_drivers)
        # a point the rhs cannot take (a negative temperature in exp(-Ea / (R T)) overflows math.exp: a chemist's
        # trial) is left out; with none left, the given points alone (the remedy PatternMissError names: it failed
        # at the random ones first), else an error (the caller factors dense).  Not retried with positive values:
        # a coupling that switches on with a sign (damping while v < 0) was lost that way (a regression hunt).
        try:
            if _probe(system, t, y, p, u, found, dense):
                return full_pattern(n)
            probed += 1
        except ConfigurationError as exc:
            failure = exc
    if not probed and not points:
        raise failure
    for t, y, p in (_point(system, point) for point in points):
        if _probe_point(system, t, y, p, rng, found, dense):
            return full_pattern(n)
    return tuple((int(i), int(j)) for i, j in zip(*np.nonzero(found)))


def _probe_point(system, t, y, p, rng, found, dense):
    """:func:`_probe` at a given point, then with its components at 0 moved off 0 (:func:`zeros_filled`), as a run
    moves them; a moved state the rhs cannot take (sqrt of a concentration below 0) is left out, the point itself
    is not.  True as soon as more than ``dense`` entries are marked.

    A point whose rhs is not finite is left out: that trajectory fails at its first step whatever the pattern,
    and its NaN differences, counted as nonzero, made every other trajectory's factor denser (a zero volume
    in one patient of a batch: 8 entries became 13 of 16, and the others' results moved at rounding level, so
    that they differed from the same patients solved without it: a pharmacometrician's trial).  Not for a
    system with drivers: the point's own drivers are not known here, and random ones (a negative light level
    under ``u ** 0.7``) made a finite point NaN, which left out entries a run needs (a regression hunt: rodas5p
    281 tolerances off with success)."""
    u = _random_values(rng, system.n_drivers)
    if not system.n_drivers and not _finite_at(system, t, y, p, u):
        return False
    if _probe(system, t, y, p, u, found, dense):
        return True
    for filled in zeros_filled(y):
        try:
            if _probe(system, t, filled, p, _random_values(rng, system.n_drivers), found, dense):
                return True
        except ConfigurationError:
            continue
    return False


def _finite_at(system, t, y, p, u):
    """Whether ``rhs`` evaluates to finite numbers at the point (True where it raises: the probe names that)."""
    out = np.zeros(system.n_states)
    try:
        with _quiet():
            system._call(system.rhs, t, y, p, u, out)
    except Exception:  # noqa: BLE001 - the probe itself names what fails there
        return True
    return bool(np.isfinite(out).all())


@contextlib.contextmanager
def _quiet():
    """NumPy's float errors silenced: random signed points make NaN on purpose (a negative base to a parameter
    power), which the probes count rather than warn about.  By ``np.errstate`` alone (the probes run in this thread):
    a warnings filter here made Python forget the warnings it had shown, so a library warning came back at every
    ``solve_ivp`` of an implicit method (a regression hunt)."""
    with np.errstate(all="ignore"):
        yield


def zeros_filled(y):
    """``y`` with its zero components set to the smallest nonzero magnitude in it (1 when none), then to minus that:
    the states where couplings through those components show, as they do once the run moves them.  A mechanism
    started from pure reactants (radicals at 0, and Arrhenius rates 0 at the random probes' temperatures) missed 8
    of its 31 entries at y0, and rodas4 took 14448 steps for 325 and ended 44 tolerances off with success (a
    chemist's trial).  ``()`` when ``y`` has no zero."""
    y = np.asarray(y, np.float64)
    zero = y == 0.0
    if not zero.any():
        return ()
    size = float(np.min(np.abs(y[~zero]))) if (~zero).any() else 1.0
    return tuple(np.where(zero, sign * size, y) for sign in (1.0, -1.0))


def missing_entries(system, pattern, points, seed=0):
    """The sorted entries of ``system``'s Jacobian that are nonzero at one of ``points`` (``(t, y, p)``, each also
    with its components at 0 moved off 0, as :func:`jacobian_pattern` probes them) but not in ``pattern``: what a
    sparse LU built on ``pattern`` would leave out there."""
    n = system.n_states
    rng = np.random.default_rng(seed)
    found = np.zeros((n, n), dtype=bool)
    for t, y, p in (_point(system, point) for point in points):
        _probe_point(system, t, y, p, rng, found, np.inf)
    for i, j in pattern:
        found[i, j] = False
    return tuple((int(i), int(j)) for i, j in zip(*np.nonzero(found)))


def _point(system, point):
    """``(t, y, p)`` of a given point as float64; a point of another shape is named with the one expected."""
    try:
        t, y, p = point
        y = np.asarray(y, dtype=np.float64).reshape(system.n_states)
        p = np.asarray(p if p is not None else (), dtype=np.float64).reshape(-1)[:system.n_params]
        return float(t), y, p
    except (TypeError, ValueError):  # y0[0] of a one-row y0 is a number: a regression hunt's traceback
        raise ConfigurationError(
            f"jacobian_pattern points: each must be (t, y, p) with y {system.n_states} numbers (one trajectory's "
            f"y0 row) and p its {system.n_params} params; got {describe(point)}") from None


def _probe(system, t, y, p, u, found, dense):
    """Mark in ``found`` the nonzeros of J at one point (``jac``'s entries, else ``rhs`` differenced one state
    at a time); True as soon as more than ``dense`` entries are marked."""
    try:
        with _quiet():  # a NaN counts as nonzero
            return _probe_inside(system, t, y, p, u, found, dense)
    except Exception as exc:  # noqa: BLE001 - user code that does not run on the host
        raise ConfigurationError(
            f"jacobian_pattern: system {system.name!r} could not be evaluated on the host to find its Jacobian's "
            f"nonzeros ({type(exc).__name__}: {exc}); pass SolverOptions(pattern=...) or linear='dense'") from exc


def _probe_inside(system, t, y, p, u, found, dense):
    """:func:`_probe`'s work, warnings and errors left to it."""
    n, jac = system.n_states, getattr(system, "jac", None)
    if jac is not None:
        out = np.zeros(n * n)
        jac(t, y, p, out)
        found |= out.reshape(n, n) != 0.0  # a NaN counts as nonzero
        return found.sum() > dense
    f0 = np.zeros(n)
    system._call(system.rhs, t, y, p, u, f0)
    count = int(found.sum())
    for j in range(n):
        ys = y.copy()
        ys[j] += 1e-3 * max(1.0, abs(y[j]))
        f1 = np.zeros(n)
        system._call(system.rhs, t, ys, p, u, f1)
        before = int(found[:, j].sum())
        found[:, j] |= ~(f1 == f0)  # a NaN counts as a change
        count += int(found[:, j].sum()) - before
        if count > dense:
            return True
    return False


def full_pattern(n):
    """Every ``(i, j)`` of an n-by-n matrix (a dense pattern)."""
    return tuple((i, j) for i in range(n) for j in range(n))


def minimum_degree_order(n, pattern):
    """A symmetric elimination order by minimum degree on the graph of ``A + A^T`` (ties: lowest index)."""
    neighbours = [set() for _ in range(n)]
    for i, j in pattern:
        if i != j:
            neighbours[i].add(j)
            neighbours[j].add(i)
    remaining, order = set(range(n)), []
    while remaining:
        k = min(remaining, key=lambda v: (len(neighbours[v]), v))
        order.append(k)
        remaining.discard(k)
        clique = neighbours[k]
        for v in clique:
            neighbours[v] |= clique
            neighbours[v].discard(v)
            neighbours[v].discard(k)
        neighbours[k] = set()
    return tuple(order)


def symbolic_fill(n, pattern, order):
    """The entries of ``L + U`` (a set of ``(i, j)``) when eliminating ``pattern`` with diagonal pivots in ``order``."""
    position = {v: p for p, v in enumerate(order)}
    rows = [set() for _ in range(n)]  # rows[i]: columns j with (i, j) structurally nonzero
    cols = [set() for _ in range(n)]
    for i, j in pattern:
        rows[i].add(j)
        cols[j].add(i)
    for k in order:
        later_rows = [r for r in cols[k] if position[r] > position[k]]
        later_cols = [c for c in rows[k] if position[c] > position[k]]
        for r in later_rows:
            for c in later_cols:
                if c not in rows[r]:
                    rows[r].add(c)
                    cols[c].add(r)
    return {(i, j) for i in range(n) for j in rows[i]}
