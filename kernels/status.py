"""Per-trajectory status codes.

The device writes one ``int32`` code per trajectory; the host turns codes into
messages with :data:`STATUS_MESSAGES`.  The values are part of the public API:
never renumber them.
"""

from __future__ import annotations

import enum

__all__ = ["Status", "STATUS_MESSAGES"]


class Status(enum.IntEnum):
    """Outcome of one trajectory's integration."""

    SUCCESS = 0
    MAX_STEPS = 1
    STEP_SIZE_UNDERFLOW = 2
    NONFINITE_STATE = 3
    SINGULAR_MATRIX = 4
    NEWTON_NOT_CONVERGED = 5
    LINEAR_SOLVER_NOT_CONVERGED = 6
    EVENT = 7


STATUS_MESSAGES: dict[int, str] = {
    Status.SUCCESS: "The solver successfully reached the end of the integration interval.",
    Status.MAX_STEPS: "The maximum number of steps (max_steps) was taken before reaching the end.",
    Status.STEP_SIZE_UNDERFLOW: (
        "The step size fell below the minimum step (dt_min) or below what float64 time can resolve. Where dt_min "
        "is set, the tolerances asked for a smaller step: lower dt_min or loosen rtol and atol. Where dt_min is 0 "
        "and the span lies far from t = 0 for its length (float64 resolves t = 1e9 only to 1.2e-7), the step may "
        "have reached that limit: start the time at 0 and keep the epoch in params (t_span and t_eval less "
        "t0, computed in float64 before the solve), or loosen rtol. Otherwise the solution usually has a "
        "singularity there (it grows without bound in finite time, as y' = y^2 does at t = 1/y0), or the "
        "right-hand side jumps at that time: check the model near where the saved values stop."
    ),
    Status.NONFINITE_STATE: "The state became non-finite (inf or nan); the trajectory was stopped.",
    Status.SINGULAR_MATRIX: (
        "The iteration matrix of an implicit step was singular (a pivot of its LU factorisation was zero, or within "
        "its own rounding error of zero in the working precision) even at the smallest step size."
    ),
    Status.NEWTON_NOT_CONVERGED: (
        "The Newton iteration of an implicit step diverged or did not converge within its iteration limit "
        "even at the smallest step size. A smaller dt_min (where one is set), a right-hand side checked for values "
        "that turn inf or NaN (a log or sqrt of a negative number, a division by zero), an analytic Jacobian (jac=) "
        "or another method may help."
    ),
    Status.LINEAR_SOLVER_NOT_CONVERGED: (
        "The iterative linear solver (GMRES or BiCGSTAB) of an implicit step did not reach its tolerance "
        "within its iteration limit even at the smallest step size; a larger Krylov space, the Jacobi "
        "preconditioner or the dense LU solver may help."
    ),
    Status.EVENT: "A terminal event occurred (see event_t and event_y); the trajectory was stopped there.",
}

# Plain ints for device code: closures over IntEnum members are not typed by Numba.
SUCCESS = int(Status.SUCCESS)
MAX_STEPS = int(Status.MAX_STEPS)
STEP_SIZE_UNDERFLOW = int(Status.STEP_SIZE_UNDERFLOW)
NONFINITE_STATE = int(Status.NONFINITE_STATE)
SINGULAR_MATRIX = int(Status.SINGULAR_MATRIX)
NEWTON_NOT_CONVERGED = int(Status.NEWTON_NOT_CONVERGED)
LINEAR_SOLVER_NOT_CONVERGED = int(Status.LINEAR_SOLVER_NOT_CONVERGED)
EVENT = int(Status.EVENT)

