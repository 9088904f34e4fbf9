"""One entry point for every planner, by name."""

import dataclasses

from .errors import ConfigurationError
from .greedy import plan_greedy
from .objectives import register_first
from .sequential import plan_sequential

PLANNERS = ("cpsat", "greedy", "sequential")


def solve(problem, planner="cpsat", time_limit_s=10.0, seed=0, workers=1):
    """Plan ``problem`` with the named planner and return a verified Plan.

    Parameters
    ----------
    problem : PlanningProblem
        Its ``objective`` "auto" first keeps a register-sized working set local
        (planner.objectives.register_first), then plans the rest as "min-shared".
    planner : {"cpsat", "greedy", "sequential"}
    time_limit_s : float
        CP-SAT wall-clock limit; the best layout found so far is returned with its gap.
    seed, workers : int
        CP-SAT search parameters. One worker (the default) with a fixed seed gives the same plan
        for the same problem on every run that finishes inside the time limit (every integrator
        problem we have seen is solved in milliseconds). A run cut short by the limit, or one
        with several workers, whose threads race, may return a different layout of equal or
        similar peak.

    Raises
    ------
    ConfigurationError
        Unknown planner or bad limits.
    InfeasibleError
        The pinned buffers cannot fit the shared budget.
    """
    if planner not in PLANNERS:
        raise ConfigurationError(f"planner: unknown planner {planner!r}; expected one of {PLANNERS}")
    if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, (int, float)) or not time_limit_s > 0:
        raise ConfigurationError(f"time_limit_s: expected a positive number of seconds, got {time_limit_s!r}")
    work = register_first(problem) if problem.objective == "auto" else problem
    if planner == "greedy":
        plan = plan_greedy(work)
    elif planner == "sequential":
        plan = plan_sequential(work)
    else:
        from .cpsat import plan_cpsat  # OR-Tools is imported only when CP-SAT is asked for
        plan = plan_cpsat(work, time_limit_s=float(time_limit_s), seed=seed, workers=workers)
    if work is not problem:
        plan = dataclasses.replace(plan, provenance=dataclasses.replace(plan.provenance, input_hash=problem.digest))
        plan.verify(problem)
    return plan
