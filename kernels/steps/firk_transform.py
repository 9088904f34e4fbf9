"""The transformed form of a fully implicit Runge-Kutta tableau: ``A^-1`` block-diagonalised (host NumPy).

Hairer & Wanner, *Solving ODEs II*, IV.8: with ``T^-1 A^-1 T = Lambda`` block
diagonal (a 1x1 block per real eigenvalue, a 2x2 block per complex pair),
simplified Newton on the coupled stages splits into one real system per
block.  :mod:`.firk` builds the step from these constants.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..tableaus.firk import explicit_first_stage, implicit_stages

__all__ = ["FIRKTransform", "firk_transform"]

_TINY = 1e-13


@dataclasses.dataclass(frozen=True)
class FIRKTransform:
    """The constants of a FIRK tableau's transformed Newton iteration (host NumPy, float64).

    Attributes
    ----------
    explicit_first : bool
        Stage 0 is explicit (``c_0 = 0``, zero first row): Radau's form with ``k_0 = f(t, y)``, which carries no
        weight (column 0 of ``a`` and ``b_0`` zero; :func:`kernels.tableaus.firk.firk_refusal` refuses others).
    stages : tuple of int
        Tableau indices of the implicit stages.
    a_inv, t, t_inv, lam : ndarray
        ``A^-1`` of the implicit block, ``T``, ``T^-1`` and ``Lambda = T^-1 A^-1 T``.
    blocks : tuple of tuple of int
        The indices of each diagonal block of ``Lambda`` (one or two).
    d : ndarray
        ``y_new = y + sum_i d_i Z_i`` (``b^T A^-1``).
    """

    explicit_first: bool
    stages: tuple
    a_inv: np.ndarray
    t: np.ndarray
    t_inv: np.ndarray
    lam: np.ndarray
    blocks: tuple
    d: np.ndarray


def _clean(x):
    x = np.array(x, dtype=float)
    x[np.abs(x) < _TINY * max(1.0, np.abs(x).max())] = 0.0
    return x


def firk_transform(tableau, form="transformed") -> FIRKTransform:
    """Block-diagonalise ``A^-1`` of ``tableau``'s implicit stages (real Schur-like form from its eigenvectors).

    ``form="full"``: no transformation (``T = I``, ``Lambda = A^-1``, one block of every stage): Newton
    then solves the coupled ``s n`` system ``A^-1 / h (x) I - I (x) J`` with one LU.
    """
    a = np.array(tableau.a, dtype=float)
    explicit_first, stages = explicit_first_stage(tableau), implicit_stages(tableau)
    block = a[np.ix_(stages, stages)]
    a_inv = np.linalg.inv(block)
    values, vectors = np.linalg.eig(a_inv)
    columns, blocks = [], []
    for k in np.argsort(np.abs(values.imag)):  # real eigenvalues first
        lam, v = values[k], vectors[:, k]
        if abs(lam.imag) <= _TINY * abs(lam):
            blocks.append((len(columns),))
            columns.append(v.real)
        elif lam.imag > 0:
            blocks.append((len(columns), len(columns) + 1))
            columns += [v.real, v.imag]
    t = np.column_stack(columns)
    t_inv = np.linalg.inv(t)
    b = np.array(tableau.b, dtype=float)[list(stages)]
    if form == "full":
        t = t_inv = np.eye(len(stages))
        return FIRKTransform(explicit_first, stages, a_inv, t, t_inv, _clean(a_inv), (tuple(range(len(stages))),),
                             _clean(b @ a_inv))
    return FIRKTransform(explicit_first, stages, a_inv, t, t_inv, _clean(t_inv @ a_inv @ t), tuple(blocks),
                         _clean(b @ a_inv))
