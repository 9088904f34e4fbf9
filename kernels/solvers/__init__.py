"""Newton and the linear solvers: components with their own planned buffers, built and tested alone.

The device-function contract they follow is in :mod:`kernels.solvers.base`.
:mod:`.lu` is the dense solver (one factorisation, many solves), :mod:`.sparse_lu`
the sparse one over a fixed pattern, :mod:`.krylov`
the matrix-free GMRES(m) and BiCGSTAB for large systems, :mod:`.newton` the
simplified Newton iteration that takes one of them as its child, :mod:`.convergence`
its convergence test (shared with the coupled FIRK solve), :mod:`.iteration_matrix` where its
``I - c J`` comes from.
"""

from __future__ import annotations

from .base import SOLVER_OK
from .krylov import BiCGSTABSettings, BuiltKrylov, GMRESSettings, build_krylov
from .lu import LU_UNROLL, BuiltLU, LUSettings, build_lu
from .sparse_lu import SparseLUSettings, build_sparse_lu
from .sparsity import jacobian_pattern, missing_entries
from .iteration_matrix import jacobian_source, system_derivatives
from .newton import BuiltNewton, NewtonSettings, build_newton

__all__ = ["SOLVER_OK", "LUSettings", "BuiltLU", "build_lu", "LU_UNROLL", "GMRESSettings", "BiCGSTABSettings",
           "BuiltKrylov", "build_krylov", "NewtonSettings", "BuiltNewton", "build_newton", "jacobian_source",
           "system_derivatives", "SparseLUSettings", "build_sparse_lu",
           "jacobian_pattern", "missing_entries"]
