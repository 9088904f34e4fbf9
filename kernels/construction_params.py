"""The parameters of ODESystem's construction check: where it runs a system's functions, what a refusal that changes
with p says, and where jac and jvp are compared with differences of rhs.

The check runs at the system's ``default_params`` where given (:func:`construction_params`), else at
``linspace(0.5, 1, n_params)``; the comparison of jac and jvp stays at linspace's p where the model runs there
(:func:`derivative_point`, :mod:`kernels.derivative_check` says why).
"""

from __future__ import annotations

import numpy as np

from .derivative_check import second_point
from .errors import state_text
from .system_checks import UNWRITTEN, unassigned

__all__ = ["construction_params", "params_note", "derivative_point"]


def construction_params(system):
    """The p the construction check runs ``system``'s functions at: its ``default_params`` (real values) where given,
    else ``linspace(0.5, 1, n_params)``.  A Lorenz-96 rhs reading its size as ``n = int(p[1])`` was refused with
    default_params=[8.0, 40.0] given: only dydt[0] assigned at linspace's p[1] = 1 (a climate scientist's trial)."""
    given = system.default_params
    return np.linspace(0.5, 1.0, system.n_params) if given is None else np.array(given, np.float64)


def _run_at(system, what, y, p, u=None):
    """The output of ``system``'s ``what`` ("rhs", "observables" or "jac") at ``(0, y, p, u)``, or the exception it
    raised as text: the construction check's outcome at another ``p``."""
    from .user_faults import run_as_on_a_gpu

    out = np.full({"rhs": system.n_states, "jac": system.n_states ** 2}.get(what, system.n_observables), UNWRITTEN)
    try:
        with np.errstate(all="ignore"):
            run_as_on_a_gpu(getattr(system, what), (0.0, y, p, u, out) if system.n_drivers and what != "jac" else
                            (0.0, y, p, out), finite_only=False)
    except Exception as exc:  # noqa: BLE001 - the outcome compared
        return f"{type(exc).__name__}: {exc}"
    return out


def params_note(system, what, y, p, u, failure):
    """A clause for the construction check's refusal of ``system``'s ``what`` at ``(y, p)`` (``failure``: the indices
    left unassigned, or the IndexError) where the outcome changes with p: the p it ran at and, without
    default_params, to give them so that the check runs at real values; "" where it does not change."""
    if not system.n_params:
        return ""
    other = _run_at(system, what, y, 10.0 * second_point(system.n_params, 0.5), u)
    text = f"{type(failure).__name__}: {failure}" if isinstance(failure, BaseException) else None
    if other == text if isinstance(other, str) else text is None and np.array_equal(unassigned(other), failure):
        return ""
    if system.default_params is not None:
        return (f"; this was at p = {state_text(p)}, the system's default_params, and the outcome changes with p: "
                f"check default_params, which the check runs at, and what {what} reads from p")
    return (f"; this was at p = {state_text(p)}, the check's test values linspace(0.5, 1, n_params) (the system has "
            f"no default_params), and the outcome changes with p: if {what} reads a size, count or index from p "
            f"(n = int(p[1])), give the system its real parameter values, ODESystem(..., default_params=[...]) in the "
            f"order {what} reads p[0], p[1], ..., and the check runs at those")


def derivative_point(system, y, p, outputs):
    """``(p, outputs)`` at which to compare jac and jvp with differences of rhs (:func:`check_derivatives`): linspace's
    p as designed (distinct, none 0 or 1: a slip in a term of p shows), with jac's output there, where the functions
    ran at default_params ``p``; None where rhs or jac fails or skips a component there (``n = int(p[1])``), as it
    would at the second point: a solve compares them at its own rows."""
    if system.default_params is None or system.n_drivers or outputs.get("rhs") is None:
        return p, outputs
    test = np.linspace(0.5, 1.0, system.n_params)
    ran = {what: _run_at(system, what, y, test) for what in ("rhs", "jac") if outputs.get(what) is not None}
    if any(isinstance(out, str) or unassigned(out).size for out in ran.values()):
        return None
    return test, {**outputs, **ran}
