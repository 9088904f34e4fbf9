"""Following a trajectory on the host: SciPy's Radau from its start, in float64, within a budget of right-hand sides.

The hints of a failed or long run (:mod:`kernels.stiffness`, :mod:`kernels.rhs_hint`, :mod:`kernels.runaway_hint`,
:mod:`kernels.stiffness_note`) ask where the exact solution goes from ``y0``; this is how they follow it, and which
systems they may follow.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HOST_FOLLOW_STATES", "follows_on_host", "follow_jac", "follow_on_host", "follow_tolerances",
           "JAC_FACTOR_CAP"]

#: The largest system followed on the host (:func:`follows_on_host`), here and by :mod:`kernels.rhs_hint`.
HOST_FOLLOW_STATES = 64


class _Budget(Exception):
    pass


def follows_on_host(system, states=HOST_FOLLOW_STATES) -> bool:
    """Whether :func:`follow_on_host` may follow ``system``: no drivers, at most ``states`` states
    (:data:`HOST_FOLLOW_STATES`; the stiffness note's own limit is larger, :mod:`kernels.stiffness_note`)."""
    return not system.n_drivers and system.n_states <= states


def follow_jac(system, p):
    """The system's ``jac`` on the host for a follow at parameters ``p``, or None (SciPy differences the rhs) where
    it has none or where it disagreed with differences of its rhs at construction: a follow on a wrong ``jac`` (two
    entries swapped) stopped at t = 351 and the message said the solution itself is singular there, check the model,
    where SciPy with the right one runs to t = 1e4 (a reaction engineer's trial)."""
    if system.jac is None or "jac" in system.derivatives_disagree:
        return None
    return system.host_jac(p)


#: The least rtol SciPy's solvers take (``scipy.integrate._ivp.common.validate_tol``: 100 eps).
SCIPY_RTOL_FLOOR = 100 * np.finfo(np.float64).eps


def _scale(y0):
    """The largest magnitude of ``y0``, at least 1: the default follow's atol is 1e-6 of it."""
    return max(float(np.max(np.abs(y0))), 1.0)


def follow_tolerances(rtol, atol, y0):
    """The ``(rtol, atol)`` of a follow at a run's tolerances (``atol`` per state where a vector), never looser than
    the default follow's (rtol 1e-3, atol 1e-6 of ``y0``'s largest magnitude) nor tighter than SciPy's rtol floor.
    The default follow is far too loose for a state much smaller than the largest: a spring-slider's V ~ 1e-9 beside
    theta = 1e7 had atol 10, its host path went to V < 0 and theta past 1e19, and a float32 run that the real
    solution (V down to 3e-18, theta below 1.6e9) keeps well in range was told it overflows there (a geophysicist's
    trial)."""
    y0 = np.asarray(y0, np.float64)
    rtol = min(max(float(np.min(rtol)), SCIPY_RTOL_FLOOR), 1e-3)
    atol = np.minimum(np.broadcast_to(np.asarray(atol, np.float64), y0.shape), 1e-6 * _scale(y0))
    return rtol, atol


#: Largest relative step of SciPy's differenced Jacobian (``jac_factor``) in a follow; a step of 10 times it is tried.
JAC_FACTOR_CAP = 1e-3


def _cap_jac_factor(solver):
    """``solver``'s differenced-Jacobian steps held at :data:`JAC_FACTOR_CAP` of each state's scale.  SciPy multiplies
    the step of a column the rhs does not depend on by 10 at every Jacobian, without bound: a rate-and-state model's
    shear stress (no rhs reads it) was probed at -6.9e19 where the path stays below 1.5e6, and the probe point was
    reported as the float32 run's overflow (a geophysicist's trial)."""
    if getattr(solver, "jac_factor", None) is not None:
        solver.jac_factor = np.minimum(solver.jac_factor, JAC_FACTOR_CAP)


def follow_on_host(f, t0, t_end, y0, evaluations, jac=None, outcome=False, sparsity=None, tolerances=None,
                   method="Radau", on_step=None):
    """SciPy's Radau at rtol 1e-3 from ``(t0, y0)`` towards ``t_end`` on ``f(t, y)`` (float64, host; the steps of its
    differenced Jacobian held at :data:`JAC_FACTOR_CAP`), or at ``tolerances``, an ``(rtol, atol)`` pair
    (:func:`follow_tolerances`), where a caller must follow the path as closely as the run did.  ``method="DOP853"``
    follows with SciPy's explicit DOP853 instead (``jac`` and ``sparsity`` unused): a non-stiff path whose steps
    must resolve every close pass (:mod:`kernels.close_approach`).

    Returns ``(t, y, complete)``: the times and states of the steps taken (``y`` of shape ``(steps, n)``,
    the initial state first) and whether ``t_end`` was reached.  It stops early, keeping the steps taken,
    once ``f`` has been called ``evaluations`` times or the solver fails.  Whatever else ``f`` raises
    propagates (a caller may raise from ``f`` to stop at a point).  With ``outcome`` the third value says
    why it stopped: ``"finished"``, ``"budget"`` or ``"failed"`` (a finite-time blow-up, say).  ``sparsity``
    (without ``jac``): the Jacobian's pattern, SciPy's ``jac_sparsity``, which differences groups of columns.
    ``on_step(t, y)``, where given, is called at each accepted step (not at the solver's trial points, which may lie
    far off the path: SciPy's first-step probe ``y0 + h f(y0)`` with ``h`` the whole span took an SI laser's carrier
    density to 6e24, a state never on its path, and a float32 run was told it overflows there: a physicist's trial);
    whatever it raises propagates, as from ``f``.
    """
    from scipy.integrate import DOP853, Radau

    calls = [0]

    def counted(t, y):
        calls[0] += 1
        if calls[0] > evaluations:
            raise _Budget
        return f(t, y)

    y0 = np.asarray(y0, np.float64)
    times, states, status = [float(t0)], [y0.copy()], "budget"
    with np.errstate(all="ignore"):
        try:
            rtol, atol = (1e-3, 1e-6 * _scale(y0)) if tolerances is None else tolerances
            if method == "DOP853":
                solver = DOP853(counted, t0, y0, t_end, rtol=rtol, atol=atol)
            else:
                solver = Radau(counted, t0, y0, t_end, rtol=rtol, atol=atol, jac=jac,
                               jac_sparsity=None if jac is not None else sparsity)
            while solver.status == "running":
                solver.step()
                if solver.status == "failed":
                    break
                times.append(float(solver.t))
                _cap_jac_factor(solver)
                states.append(np.array(solver.y, np.float64))
                if on_step is not None:
                    on_step(times[-1], states[-1])
            status = solver.status
        except _Budget:
            pass
    return np.array(times), np.array(states), status if outcome else status == "finished"
