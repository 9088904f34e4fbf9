"""What a user chooses about the solvers of an implicit method, and the Newton settings it gives.

:class:`SolverOptions` is the one user-facing knob (``Integrator(...,
solver=)``, ``solve_ivp(..., solver=)``): the linear solver (dense LU or a
matrix-free Krylov method), its size limits, and Newton's iteration limit and
convergence constant.  A step family turns it into the
:class:`~kernels.solvers.NewtonSettings` of its component with
:meth:`SolverOptions.newton`, which also decides the Jacobian path from what
the system gives (``jac`` for LU, ``jvp`` for Krylov, else finite differences).
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np

from planner.wording import closest

from ..errors import ConfigurationError, describe, plain
from .jacobian_assembly import prefers_products
from .factor_storage import STORAGE_CHOICES, check_storage, storage_for
from .krylov import BiCGSTABSettings, GMRESSettings
from .lu import LUSettings
from .newton import NewtonSettings
from .sparse_lu import SparseLUSettings, full_pattern
from .sparsity import DENSE_SHARE, jacobian_pattern

__all__ = ["SolverOptions", "LINEAR_SOLVERS", "as_solver_options"]

# the solver settings' names of SolverOptions' fields, for their error messages
_FIELD_OF = {"NewtonSettings kappa": "kappa", "NewtonSettings max_iterations": "newton_iterations",
             "GMRESSettings restart": "restart", "GMRESSettings tolerance": "krylov_tolerance",
             "BiCGSTABSettings tolerance": "krylov_tolerance"}

#: Newton's Krylov solves out of iterations are accepted at this relative residual (inexact Newton's
#: forcing term; :mod:`kernels.solvers.krylov` says why) as a step Newton moves on but never stops on.
INEXACT_NEWTON = 0.1

LINEAR_SOLVERS = ("lu", "dense", "sparse", "gmres", "bicgstab")
DIRECT_SOLVERS = ("lu", "dense", "sparse")
SPARSE_DENSITY = DENSE_SHARE  # "lu" goes sparse only when at most this fraction of J's entries are structural


@dataclasses.dataclass(frozen=True)
class SolverOptions:
    """The solvers of an implicit step.

    Parameters
    ----------
    linear : str
        ``"lu"`` (the default: the sparse LU over the Jacobian's pattern when
        that pattern is known on the host and at most half full, at any size;
        else dense LU with partial pivoting), ``"dense"`` or
        ``"sparse"`` (force one of them), ``"gmres"`` or ``"bicgstab"``
        (matrix-free, for large systems).  The sparse LU pivots on the
        diagonal in a fixed minimum-degree order (no numerical pivoting:
        fine for ``I - c J``), see :mod:`kernels.solvers.sparse_lu`.
    preconditioned : bool
        Jacobi (diagonal) preconditioning of a Krylov solver.
    krylov_tolerance : float
        Relative residual a Krylov solve must reach, measured in the error test's norm (weights
        ``1 / (atol + rtol |y|)``) and capped at an absolute target in it (:mod:`kernels.solvers.krylov`)
        (default 1e-5: within reach of float32,
        whose floor is 10 eps = 1.2e-6, and ample for an inexact Newton step in either precision).
        A Rosenbrock stage's solve, which no Newton iteration corrects, aims lower at run time:
        ``min(krylov_tolerance, 0.001 rtol)`` (``rtol`` the run's smallest relative tolerance;
        :data:`kernels.solvers.newton.DIRECT_RTOL_SHARE`), not below ``min(krylov_tolerance, 100 eps)``.
    restart : int
        GMRES's Krylov vectors per cycle.
    newton_iterations : int
        Newton's iteration limit per solve, at least 2 (a failing step is retried smaller).  On fixed
        steps, which cannot be retried, Newton runs to this limit while it contracts (no early give-up)
        and a failed solve is rerun once (DIRK with an LU: on ``J`` at the stage's last iterate; FIRK: on
        a fresh factor), see :mod:`kernels.solvers.convergence`.
    kappa : float
        Newton stops when its estimated error is below ``kappa`` tolerances
        (``min(kappa, max(sqrt(rtol), eps / rtol))`` at run time, as in SciPy's Radau).
    coupled : str
        How a fully implicit method (radau, gauss4) solves its coupled stages: ``"transformed"``
        (eigen-decomposed ``A^-1``: Radau one n x n and one 2n x 2n LU) or ``"full"`` (one s n LU).
    pattern : tuple of (int, int) or n x n matrix, optional
        The Jacobian's structural nonzeros for the sparse LU; None: found by
        :func:`~kernels.solvers.jacobian_pattern` (probing the system, which
        misses an entry that is zero at every probe point: give it here then).
        Either ``(row, column)`` pairs or, as SciPy's ``jac_sparsity``, a square
        boolean or 0/1 integer NumPy array or a ``scipy.sparse`` matrix, stored as
        the sorted pairs of its nonzeros (``np.argwhere``), so the options and their
        JSON are those of the pairs (n x n for a system of n states).
        A 2 x 2 integer array is read as two pairs (np.argwhere's): give a 2 x 2 matrix as booleans.
    pattern_states : int, optional
        Set from a ``pattern`` given as a matrix: its size, which the system's number of states
        must equal (a pattern built for another n is refused, not taken for a sparser one).  Not
        compared and not in the JSON: the options are those of the pairs.
    factor_storage : str
        Where the sparse LU keeps its factor between operations: ``"auto"`` (the default: the
        method family's measured rule), ``"registers"``, ``"memory"`` or ``"memory if shared"``;
        see :mod:`kernels.solvers.factor_storage`.  The LU's operations and their order stay the same:
        the speed changes, the results only by rounding.
    reuse_factor : bool
        Radau IIA and Gauss 4 (the FIRK family): keep the factored iteration matrices from one step
        to the next while the step size stays the same and Newton converges fast (at most two
        iterations, or a contraction rate below 1e-3: SciPy's ``radau`` rule), so that a fixed-step
        run takes ``J`` and factors it only when Newton needs it; a Newton that fails on a kept
        factor is rerun once with a fresh one before the step fails.  The result is the same
        collocation solution to within Newton's tolerance.  False: ``J`` at every step.  The DIRK
        and Rosenbrock families take ``J`` at every step whatever this says (Rosenbrock needs the
        exact ``J``; DIRK was measured keeping it: 90 to 570 times the error of a Jacobian at every
        step in float32 and only 1.2x faster at 128 states, ``benchmarks/results/factor_reuse_2026-12-02/dirk``).
    count_work : bool
        Count each trajectory's right-hand sides, Jacobians, LU factorisations and Newton iterations
        (``result.n_rhs``, ``n_jac``, ``n_lu``, ``n_newton``; SciPy's ``nfev``, ``njev``, ``nlu``).  Off by
        default: the counts are a few registers live through the step and the loop, which cost 1 to 2 %
        at 32 states and up to 6 % on the smallest stiff kernels on the H200, nothing measurable at 128
        (``benchmarks/results/work_counts_2026-12-03/``); without them these results are -1.
    """

    linear: str = "lu"
    preconditioned: bool = False
    krylov_tolerance: float = 1e-5
    restart: int = 16
    newton_iterations: int = 7
    kappa: float = 0.05
    coupled: str = "transformed"
    pattern: tuple = None
    factor_storage: str = "auto"
    reuse_factor: bool = True
    count_work: bool = False
    pattern_states: int = dataclasses.field(default=None, compare=False, repr=False)

    def __post_init__(self):
        matrix = _matrix_pairs(self.pattern)  # before plain(), which would make an array a list
        if matrix is not None:
            object.__setattr__(self, "pattern", matrix[0])
            object.__setattr__(self, "pattern_states", matrix[1])
        for field in dataclasses.fields(self):  # NumPy scalars stored as Python ones: the options and JSON stay plain
            object.__setattr__(self, field.name, plain(getattr(self, field.name)))
        if not isinstance(self.linear, str) or self.linear.lower() not in LINEAR_SOLVERS:
            raise ConfigurationError(f"SolverOptions linear: expected one of {list(LINEAR_SOLVERS)}, "
                                     f"got {describe(self.linear)}{_method_given(self.linear, 'linear=')}")
        object.__setattr__(self, "linear", self.linear.lower())
        if self.pattern is not None:
            try:
                object.__setattr__(self, "pattern", tuple(sorted({(int(i), int(j)) for i, j in self.pattern})))
            except (TypeError, ValueError) as exc:
                raise ConfigurationError(f"SolverOptions pattern: expected (row, column) pairs of integers or a "
                                         f"square boolean (or 0/1 integer) n x n matrix of the Jacobian's nonzeros "
                                         f"(SciPy's jac_sparsity), got {describe(self.pattern)}") from exc
        check_storage("SolverOptions factor_storage", self.factor_storage, STORAGE_CHOICES)
        if not isinstance(self.reuse_factor, bool):
            raise ConfigurationError(f"SolverOptions reuse_factor: expected True or False, got {describe(self.reuse_factor)}")
        if not isinstance(self.count_work, bool):
            raise ConfigurationError(f"SolverOptions count_work: expected True or False, got {describe(self.count_work)}")
        if not isinstance(self.preconditioned, bool):  # named here, not by the Krylov settings' class
            raise ConfigurationError(f"SolverOptions preconditioned: expected True or False, got "
                                     f"{describe(self.preconditioned)}")
        self._check_newton_iterations()
        if self.coupled not in ("transformed", "full"):
            raise ConfigurationError(f"SolverOptions coupled: expected 'transformed' or 'full', got {describe(self.coupled)}")
        # The solver settings check the numbers; build one now so a bad value fails here, under this name.
        try:
            self.newton(2, analytic=False)
        except ConfigurationError as exc:
            message = str(exc)
            for inner, field in _FIELD_OF.items():
                message = message.replace(inner, f"SolverOptions {field}")
            raise ConfigurationError(message) from None

    def _check_newton_iterations(self):
        """ConfigurationError unless ``newton_iterations`` is an integer >= 2 (the one minimum every message states)."""
        its = self.newton_iterations
        if isinstance(its, int) and not isinstance(its, bool) and its >= 2:
            return
        # one iteration cannot measure a contraction rate: DIRK and FIRK steps then fail to converge and the
        # run crawls to max_steps (a user's trial: kvaerno5 993 of 2000 attempts rejected)
        why = (": Newton's convergence test compares two increments, so one iteration rarely converges and nearly "
               "every step is rejected" if isinstance(its, int) and not isinstance(its, bool) else "")
        raise ConfigurationError(f"SolverOptions newton_iterations: expected an integer >= 2, got {describe(its)}"
                                 f"{why}; the default is 7")

    @property
    def direct(self) -> bool:
        """An LU solver (dense or sparse), which takes the system's ``jac``."""
        return self.linear in DIRECT_SOLVERS

    def newton(self, n, analytic, shared_by_parent=False, component="newton", pattern=None,
               jvp=False, family=None) -> NewtonSettings:
        """Newton's settings for ``n`` unknowns; ``analytic``: the system gives the derivative this solver needs.

        ``pattern``: the Jacobian's nonzeros, used by ``"lu"`` (to choose) and ``"sparse"`` (a full
        pattern when None).  ``jvp``: a sparse LU takes ``J`` from compressed ``jvp`` products (no
        ``n * n`` scratch; :func:`kernels.solvers.jacobian_assembly.prefers_products` says when).
        ``family``: the step family (``"dirk"``, ``"rosenbrock"``) whose rule ``factor_storage="auto"``
        applies to a sparse factor.
        """
        if self.direct:
            pattern = full_pattern(n) if pattern is None else tuple(pattern)
            sparse = self.linear == "sparse" or (self.linear == "lu" and len(set(pattern)) <= SPARSE_DENSITY * n * n)
            if sparse:
                diagonal = {(i, i) for i in range(n)}
                try:
                    linear = SparseLUSettings(n, tuple(sorted(set(pattern) | diagonal)))
                except ConfigurationError as exc:  # named as the user wrote it (a user's trial)
                    raise ConfigurationError(str(exc).replace("SparseLUSettings pattern", "SolverOptions pattern")) \
                        from None
                linear = dataclasses.replace(linear, storage=self.storage_for(family, linear.nnz))
            else:
                linear = LUSettings(n)
        elif self.linear == "gmres":
            linear = GMRESSettings(n, preconditioned=self.preconditioned, tolerance=self.krylov_tolerance,
                                   restart=min(self.restart, n) if isinstance(self.restart, int) else self.restart,
                                   accept_reduced=INEXACT_NEWTON)
        else:
            linear = BiCGSTABSettings(n, preconditioned=self.preconditioned, tolerance=self.krylov_tolerance,
                                      accept_reduced=INEXACT_NEWTON)
        # a sparse LU takes products where they pay; a dense one only where the system gives jvp and no jac
        products = bool(jvp) and (isinstance(linear, SparseLUSettings) or (isinstance(linear, LUSettings)
                                                                           and not analytic))
        return NewtonSettings(n, linear, analytic=bool(analytic) or products, max_iterations=self.newton_iterations,
                              kappa=self.kappa, shared_by_parent=shared_by_parent, component=component, jvp=products)

    def storage_for(self, family, entries) -> str:
        """The storage of a sparse factor of ``entries`` stored entries in a ``family`` step.

        See :attr:`factor_storage`.
        """
        return storage_for(self.factor_storage, family, entries)

    def newton_for(self, system, shared_by_parent=False, component="newton", family=None) -> NewtonSettings:
        """Newton's settings for ``system``: analytic when it gives ``jac`` (LU) or ``jvp`` (Krylov, sparse LU)."""
        given = getattr(system, "jac" if self.direct else "jvp", None)
        n, pattern = system.n_states, None
        if self.pattern_states is not None and self.pattern_states != n:
            # a matrix for n - 1 states passed as a tridiagonal pattern missing its last row: rodas5p took 43 to 95
            # times the steps, told only that entries were missing (a method-of-lines user's trial)
            k = self.pattern_states
            raise ConfigurationError(f"SolverOptions pattern: a {k} x {k} matrix, for a system of {k} states; "
                                     f"{system.name!r} has {n}: build the pattern for {n} states (entry [i, j] true "
                                     f"where dy[i]/dt depends on y[j])")
        jvp = self.direct and prefers_products(n, getattr(system, "jac", None) is not None,
                                               getattr(system, "jvp", None) is not None)
        if self.linear in ("sparse", "lu"):
            try:
                pattern = self.pattern if self.pattern is not None else jacobian_pattern(
                    system, dense_share=SPARSE_DENSITY if self.linear == "lu" else 1.0)
            except ConfigurationError:
                if self.linear == "sparse":
                    raise
                pattern = None  # not evaluable on the host (device-only code): "lu" stays dense
        return self.newton(n, given is not None, shared_by_parent, component, pattern, jvp, family)

    def to_json(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "pattern_states"}


def _matrix_pairs(pattern):
    """``(pairs, n)`` of a ``pattern`` given as an n x n matrix, or None for one given otherwise (pairs).

    A matrix is a scipy.sparse matrix, anything NumPy reads as a 2-D boolean array, or a square integer one whose
    rows are not pairs (an array of shape (k, 2), 2 x 2 included, is ``np.argwhere``'s pairs, as before).  The
    pairs are those of its nonzeros, sorted, as the pairs' own path stores them; ``n`` is kept, for the system's
    number of states to be held against it (:meth:`SolverOptions.newton_for`).
    """
    sparse = sys.modules.get("scipy.sparse")  # a scipy.sparse matrix was made with it imported
    if sparse is not None and sparse.issparse(pattern):
        shape, (rows, columns) = pattern.shape, pattern.nonzero()
        _check_square(shape)
        return tuple(sorted({(int(i), int(j)) for i, j in zip(rows, columns)})), int(shape[0])
    array = _as_array(pattern)
    if array is None or not (array.dtype == bool or _integer_matrix(array)):
        return None
    _check_square(array.shape)
    if array.dtype != bool and not np.isin(array, (0, 1)).all():
        others = sorted(set(np.unique(array).tolist()) - {0, 1})[:5]
        raise ConfigurationError(f"SolverOptions pattern: a matrix must hold only 0 and 1 (or booleans), got values "
                                 f"{others}; give pattern=matrix != 0 for its nonzeros")
    return tuple((int(i), int(j)) for i, j in np.argwhere(array)), int(array.shape[0])


def _as_array(pattern):
    """``pattern`` as a NumPy array, or None when NumPy cannot make one of it (ragged pairs, None)."""
    if pattern is None or isinstance(pattern, (str, bytes)):
        return None
    try:
        return np.asarray(pattern)
    except (ValueError, TypeError):
        return None


def _integer_matrix(array):
    """An integer ``array`` (a pattern) that is a matrix, not pairs: square and its rows not of two (a 2 x 2
    integer array is read as two pairs, as np.argwhere gives them for a 2-state system: give a 2 x 2 matrix as
    booleans); a non-square one is taken for pairs, and refused as such where its rows are not of two."""
    return array.dtype.kind in "iu" and array.ndim == 2 and array.shape[0] == array.shape[1] != 2


def _check_square(shape):
    """ConfigurationError unless a matrix ``pattern`` of ``shape`` is square (n x n for n states)."""
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 1:
        size = f"a {shape[0]} x {shape[1]} matrix" if len(shape) == 2 else f"an array of shape {tuple(shape)}"
        raise ConfigurationError(f"SolverOptions pattern: a matrix must be square, n x n for a system of n states "
                                 f"(entry [i, j] true where dy[i]/dt depends on y[j]); got {size}")


def as_solver_options(solver) -> SolverOptions:
    """``solver`` as given to Integrator: None (defaults), a linear solver name, a dict or SolverOptions."""
    if solver is None:
        return SolverOptions()
    if isinstance(solver, SolverOptions):
        return solver
    method = _method_given(solver, "solver=")
    if method:  # diffrax's solver=Tsit5() (a diffrax user's trial), "Kvaerno5", scipy.integrate.Radau
        raise ConfigurationError(f"solver: expected one of {list(LINEAR_SOLVERS)}, a dict or a SolverOptions; got "
                                 f"{_shown(solver)}{method}")
    if isinstance(solver, str):
        return SolverOptions(linear=solver)
    if isinstance(solver, dict):
        unknown = sorted(set(solver) - {f.name for f in dataclasses.fields(SolverOptions)})
        if unknown:
            raise ConfigurationError(f"solver: unknown option(s) {unknown}; expected keys of SolverOptions: "
                                     f"{[f.name for f in dataclasses.fields(SolverOptions)]}")
        return SolverOptions(**solver)
    raise ConfigurationError(f"solver must be None, one of {list(LINEAR_SOLVERS)}, a dict or a SolverOptions; "
                             f"got {describe(solver)}")


def _shown(value):
    """``value`` as a message shows it: a string quoted, a class by its name, an object as its class's call."""
    if isinstance(value, str):
        return repr(value)
    return value.__name__ if isinstance(value, type) else f"{type(value).__name__}()"


def _method_given(value, argument):
    """The end of the message where ``value``, given as ``argument`` (``"solver="``, ``"linear="``), names an
    integration method rather than a linear solver (a name here, case-insensitive, DifferentialEquations.jl's,
    DiffEqGPU.jl's, diffrax's, torchdiffeq's or SciPy's; a class or object named so, ``diffrax.Tsit5()``); "" for
    any other value.  diffrax's ``diffeqsolve(..., solver=Tsit5())`` chooses the method, and was told only the list
    of linear solvers (a diffrax user's trial)."""
    if isinstance(value, (dict, SolverOptions)) or value is None or (
            isinstance(value, str) and value.lower() in LINEAR_SOLVERS):
        return ""
    from ..methods import METHOD_NAMES, method_advice  # (only where a solver is refused: the tables load then)

    name = value if isinstance(value, str) else value.__name__ if isinstance(value, type) else type(value).__name__
    name = name.strip().removesuffix("()")
    advice = method_advice(name) if name else None
    if advice is None and isinstance(value, str) and not closest(name.lower(), LINEAR_SOLVERS, 0.75):
        near = closest(name.lower(), METHOD_NAMES, 0.75)  # diffrax's Rodas5 is told 'rodas5p', as method= tells it
        advice = f"did you mean method={near!r}?" if near else None
    if advice is None:
        return ""
    return (f", which names an integration method, not a linear solver: {argument} chooses how an implicit method "
            f"solves the linear systems of its Newton iterations (default 'lu'), and the method is chosen by "
            f"method=: {advice}")
