"""What a SINGULAR_MATRIX message says of the LU's pivoting, judged on the host where the result lets it.

The sparse LU pivots on the diagonal without exchanging rows, so a regular ``I - c J`` whose diagonal entry cancels
(``c J_ii = 1``) is singular to it and the dense LU (partial pivoting) factors it.  A matrix singular in fact defeats
both: Morris-Lecar with a capacitance of -20 (a sign slip) ran V off to -3e4, and radau was told that
``solver='dense'`` solves it, which failed the same way (a neuroscientist's trial).

:func:`pivot_note` looks at the Jacobian (host, float64; :func:`kernels.stiffness.host_jacobian`) at the trajectory's
last finite saved state, else its initial state, with the solve's inputs the result's probe keeps.  Where ``J`` has no
real eigenvalue above 0, ``I - c J`` is regular for every step's ``c > 0``; a diagonal entry above 0 then cancels at
``c = 1 / J_ii``: only there is the dense advice given firmly.  Where ``J`` has a real eigenvalue ``lambda > 0``,
``I - c J`` is singular at ``c = 1 / lambda`` whatever the pivoting, and the note says so.  Otherwise, or where the host
cannot tell (no probe, drivers, a pickled result, more than :data:`DENSE_LIMIT` states, ``J`` not finite), the
conditional text stays.  Either way the note names how far the state moved from its start where the result saved a
state.  It costs one Jacobian and its eigenvalues, only when the message is asked for, and never raises.
"""

from __future__ import annotations

import numpy as np

from .status_messages import DENSE_SINGULAR_NOTE, SPARSE_PIVOT_NOTE, UNSEEN_MOVE
from .stiffness import host_jacobian, states_to_probe

__all__ = ["pivot_note", "pivot_verdict", "DENSE_LIMIT"]

#: The most states whose Jacobian's eigenvalues the host computes for the note.
DENSE_LIMIT = 256

_SPARSE = " Where this run's LU is the sparse one (solver='sparse', or 'lu' over a sparse Jacobian pattern), it pivots " \
          "on the diagonal without exchanging rows"
_DIAGONAL = (_SPARSE + ", and at {where} I - c J is regular for every step's c > 0 (J has no real eigenvalue above 0) "
             "while its diagonal entry {i} cancels at c = 1 / J[{i}, {i}] = {c:.3g}: singular to the sparse LU there, "
             "and solver='dense' (partial pivoting) solves it there; judged at that state only: if the dense LU fails "
             "later in the run, the matrix became singular in fact along the way (check the signs and units of the "
             "parameters).")
_GROWING = (" At {where} the Jacobian has a real eigenvalue {rate:.3g} > 0 (a mode growing), so I - c J is singular at "
            "c = {c:.3g} whatever the pivoting")
_SPARSE_GROWING = (_SPARSE + ", but that need not be the cause here." + _GROWING + ": solver='dense' (partial "
                   "pivoting) may factor the matrices this run met, or fail the same way. If it fails, the matrix is "
                   "singular in fact: look at how far the state has moved from its start ({moved}) and check the "
                   "signs and units of the parameters (a rate or a capacitance given negative makes a mode grow).")


def _inputs_probe(probe, depth=0):
    """The first probe inside ``probe`` (a chain, a wrapper) that keeps the solve's host inputs (``system``, ``y0``,
    ``params``, ``t0``), or None (a pickled result keeps hints as text only)."""
    if probe is None or depth > 8:
        return None
    if all(hasattr(probe, name) for name in ("system", "y0", "params", "t0")):
        return probe
    for inner in tuple(getattr(probe, "probes", ())) + (getattr(probe, "rest", None),):
        found = _inputs_probe(inner, depth + 1)
        if found is not None:
            return found
    return None


def pivot_verdict(jacobian):
    """``("diagonal", i, c)`` where ``I - c J`` is regular for every ``c > 0`` and entry ``i`` of its diagonal cancels
    at ``c`` (the largest ``J_ii``); ``("growing", rate, 1 / rate)`` where ``J`` has a real eigenvalue ``rate > 0``
    (the largest); None where neither holds or ``J`` is not finite (nothing the host can tell)."""
    jacobian = np.asarray(jacobian, np.float64)
    if not np.all(np.isfinite(jacobian)):
        return None
    eigenvalues = np.linalg.eigvals(jacobian)
    real = eigenvalues.real[np.abs(eigenvalues.imag) <= 1e-9 * np.maximum(np.abs(eigenvalues), 1e-300)]
    if real.size and real.max() > 0.0:
        rate = float(real.max())
        return "growing", rate, 1.0 / rate
    i = int(np.argmax(np.diag(jacobian)))
    if jacobian[i, i] > 0.0:
        return "diagonal", i, 1.0 / float(jacobian[i, i])
    return None


def _moved(t0, y0, t_last, y_last):
    """``here y_k = ... at t = ..., its last saved state, from ... at t = ...``: the component that moved most for
    its start's size (at least a thousandth of the largest start, so a state starting at 0 does not win by a
    rounding)."""
    y0, y_last = np.asarray(y0, np.float64), np.asarray(y_last, np.float64)
    scale = np.maximum(np.abs(y0), max(1e-3 * float(np.max(np.abs(y0), initial=0.0)), 1e-300))
    k = int(np.argmax(np.abs(y_last - y0) / scale))
    return (f"here y_{k} = {float(y_last[k]):.3g} at t = {t_last:.6g}, its last saved state, from "
            f"{float(y0[k]):.3g} at t = {t0:.6g}")


def _judged(probe, trajectory, t_saved, y_saved):
    """``(verdict, where, moved)`` for ``trajectory``: :func:`pivot_verdict` at its last finite saved state (else its
    initial state), where that is, and :func:`_moved` (or :data:`UNSEEN_MOVE` without a saved state)."""
    system = probe.system
    p, candidates = states_to_probe(probe, trajectory, t_saved, y_saved)
    (_, t0, y0), (what, t, y) = candidates[0], candidates[-1]
    moved = _moved(t0, y0, t, y) if len(candidates) > 1 else UNSEEN_MOVE
    verdict = None
    if system.n_states <= DENSE_LIMIT and not getattr(system, "n_drivers", 0):
        verdict = pivot_verdict(host_jacobian(system, float(t), np.array(y, np.float64), p))
    return verdict, f"{what} (t = {float(t):.6g})", moved


def pivot_note(result, trajectory, text, hint=""):
    """``text``, the SINGULAR_MATRIX message of ``trajectory``, with its pivoting note judged on the host (module
    docstring); the note left out where ``hint`` names the cause.  Never raises: where the host cannot tell, the
    note stays as the status table wrote it."""
    notes = [note for note in (SPARSE_PIVOT_NOTE, DENSE_SINGULAR_NOTE) if note in text]
    if not notes or hint:
        return text.replace(SPARSE_PIVOT_NOTE, "").replace(DENSE_SINGULAR_NOTE, "")
    note = notes[0]
    probe = _inputs_probe(result.stiffness_probe)
    if probe is None:
        return text
    saved = result.y[trajectory] if isinstance(result.y, np.ndarray) else None
    try:
        verdict, where, moved = _judged(probe, trajectory, result.t, saved)
    except Exception:  # noqa: BLE001 - a message must never fail: the note as written
        return text
    judged = note.replace(UNSEEN_MOVE, moved)
    if verdict is not None and verdict[0] == "diagonal" and note == SPARSE_PIVOT_NOTE:
        judged = _DIAGONAL.format(where=where, i=verdict[1], c=verdict[2])
    elif verdict is not None and verdict[0] == "growing":
        judged = (_SPARSE_GROWING.format(where=where, rate=verdict[1], c=verdict[2], moved=moved)
                  if note == SPARSE_PIVOT_NOTE else judged + _GROWING.format(where=where, rate=verdict[1],
                                                                             c=verdict[2]) + ".")
    return text.replace(note, judged)
