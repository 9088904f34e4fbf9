"""Demo problems: the buffers of a realistic batch integrator, declared with BufferSettings.

Two component trees, both for n = 8 states, 4 parameters and 3 observables
per trajectory, in float64 at 128 threads per block (on an H100 the shared
budget then admits 227 elements per thread at 1 block per SM, 113 at 2):

``dirk`` (the default): the integrator loop invokes a 4-stage ESDIRK step
(explicit first stage, FSAL), whose three implicit stages each invoke a
Newton solver, whose linear-solve phase invokes a matrix-free BiCGStab
linear solver. The timeline therefore holds three embedded Newton
iterations with one linear solve each::

    loop:    prepare | step ---------------------------------------------- | error_norm | accept | save
    dirk:            predict | stage_1 | stage_2 | stage_3 | stage_4 | combine | error
    newton:                            residual | solve | update | check      (in each of stage_2..4)
    linear_solver:                                init | iterate | finish     (in each solve)

The linear solver's six vectors are dead outside its solve, Newton's outside
its stage, so their addresses can be reused by each other and by the loop's
buffers that are dead during the step; the sequential layout cannot do that.

``tsit5``: the same loop invoking an explicit 7-stage Tsitouras 5(4) step
(stage derivatives k1..k7 kept until the error estimate, FSAL cache).

Weights are accesses per step, counting 3 Newton iterations per stage and 5
linear iterations per Newton iteration.
"""

from .buffers import Buffer, Location
from .settings import BufferSettings, Phase

N_STATES, N_PARAMETERS, N_OBSERVABLES = 8, 4, 3
METHODS = ("dirk", "tsit5")
_NEWTON_ITERS, _LINEAR_ITERS, _IMPLICIT_STAGES = 3, 5, 3


def _b(name, size, first=None, last=None, weight=1.0, **kw):
    lifetime = ((first, last or first),) if first else ()
    return Buffer(name, size, lifetime=lifetime, weight=float(weight), **kw)


def linear_solver_settings(n=N_STATES):
    """Matrix-free BiCGStab: six vectors, all dead outside the solve."""
    w = _IMPLICIT_STAGES * _NEWTON_ITERS * _LINEAR_ITERS
    phases = (Phase("init"), Phase("iterate"), Phase("finish"))
    buffers = (
        _b("residual", n, "init", "finish", 3 * w),
        _b("shadow_residual", n, "init", "iterate", w),
        _b("search_direction", n, "init", "iterate", 3 * w),
        _b("jvp_direction", n, "iterate", weight=2 * w),
        _b("intermediate", n, "iterate", weight=3 * w),
        _b("jvp_intermediate", n, "iterate", weight=2 * w),
    )
    return BufferSettings("linear_solver", phases, buffers)


def newton_settings(n=N_STATES):
    """Newton on one implicit stage: residual, step and a damped trial state."""
    w = _IMPLICIT_STAGES * _NEWTON_ITERS
    phases = (Phase("residual"), Phase("solve", invokes="linear_solver"), Phase("update"), Phase("check"))
    buffers = (
        _b("residual", n, "residual", "solve", 3 * w),
        _b("rhs_temp", n, "residual", weight=2 * w),
        _b("delta", n, "solve", "update", 3 * w),
        _b("trial_state", n, "update", "check", 2 * w),
    )
    return BufferSettings("newton", phases, buffers, (linear_solver_settings(n),))


def dirk_settings(n=N_STATES):
    """4-stage ESDIRK (explicit first stage, first-same-as-last)."""
    stages = 4
    phases = (Phase("predict"), Phase("stage_1"),
              *(Phase(f"stage_{i}", invokes="newton") for i in range(2, stages + 1)),
              Phase("combine"), Phase("error"))
    buffers = (
        _b("stage_derivatives", stages * n, "stage_1", "error", 2 * stages),
        _b("stage_base", n, "stage_2", f"stage_{stages}", 2 * _IMPLICIT_STAGES),
        _b("stage_increment", n, "predict", f"stage_{stages}", 3 * _IMPLICIT_STAGES * _NEWTON_ITERS),
        _b("fsal_derivative", n, persistent=True, weight=2),
    )
    return BufferSettings("dirk", phases, buffers, (newton_settings(n),))


def tsit5_settings(n=N_STATES):
    """Tsitouras 5(4): 7 stages, the last one's derivative cached for the next step (FSAL)."""
    stages = 7
    phases = tuple(Phase(f"stage_{i}") for i in range(1, stages + 1)) + (Phase("combine"), Phase("error"))
    buffers = (
        _b("stage_derivatives", stages * n, "stage_1", "error", 3),
        _b("stage_state", n, "stage_2", f"stage_{stages}", 2 * (stages - 1)),
        _b("fsal_derivative", n, persistent=True, weight=2),
    )
    return BufferSettings("tsit5", phases, buffers)


def loop_settings(step, n=N_STATES):
    """The integrator loop around ``step``: state, parameters, proposal, error, observables, controller."""
    phases = (Phase("prepare"), Phase("step", invokes=step.component), Phase("error_norm"),
              Phase("accept"), Phase("save"))
    buffers = (
        _b("state", n, persistent=True, weight=4),
        _b("parameters", N_PARAMETERS, persistent=True, weight=8),
        _b("proposed_state", n, "step", "accept", 4),
        _b("error", n, "step", "error_norm", 2),
        _b("proposed_observables", N_OBSERVABLES, "step", "accept", 2),
        _b("observables", N_OBSERVABLES, persistent=True, weight=1),
        _b("controller_history", 2, persistent=True, location=Location.LOCAL, weight=1),
    )
    return BufferSettings("loop", phases, buffers, (step,))


def demo_settings(method="dirk"):
    """The loop's BufferSettings tree for ``method`` ("dirk" or "tsit5")."""
    from .errors import ConfigurationError

    if method not in METHODS:
        raise ConfigurationError(f"method: unknown value {method!r}; expected one of {METHODS}")
    step = dirk_settings() if method == "dirk" else tsit5_settings()
    return loop_settings(step)


def demo_problem(method="dirk", block_size=128, device="h100", precision="float64", min_blocks_per_sm=1):
    """The PlanningProblem of the demo integrator."""
    return demo_settings(method).to_problem(precision=precision, block_size=block_size, device=device,
                                            min_blocks_per_sm=min_blocks_per_sm)
