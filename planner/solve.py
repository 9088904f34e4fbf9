"""One entry point for every planner, by name."""

from .errors import ConfigurationError
from .greedy import plan_greedy
from .sequential import plan_sequential

PLANNERS = ("cpsat", "greedy", "sequential")


def solve(problem, planner="cpsat", time_limit_s=10.0, seed=0, workers=8):
    """Plan ``problem`` with the named planner and return a verified Plan.

    Parameters
    ----------
    problem : PlanningProblem
    planner : {"cpsat", "greedy", "sequential"}
    time_limit_s : float
        CP-SAT wall-clock limit; the best layout found so far is returned with its gap.
    seed, workers : int
        CP-SAT search parameters; fixed values make the result deterministic.

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
    if planner == "greedy":
        return plan_greedy(problem)
    if planner == "sequential":
        return plan_sequential(problem)
    from .cpsat import plan_cpsat  # OR-Tools is imported only when CP-SAT is asked for
    return plan_cpsat(problem, time_limit_s=float(time_limit_s), seed=seed, workers=workers)
