"""One entry point for every planner, by name."""

import dataclasses
import os
import time

from .errors import ConfigurationError
from .greedy import plan_greedy
from .costmodel import CostRecord, predict_plan
from .ints import check_search_args, is_int
from .objectives import choose_local
from .plancheck import AUTO_TIME_LIMIT, GOALS
from .problem import PlanningProblem
from .sequential import plan_sequential

PLANNERS = ("cpsat", "greedy", "sequential")
#: The share of ``time_limit_s`` the ``auto`` objective's search may take; the planner gets the rest.
AUTO_SHARE = 0.5
#: The lowest register cap a kernel can be built with: ptxas's ``-maxrregcount`` floor, as ``kernels`` takes
#: ``max_registers`` from 16 to the device's most (the planner imports no ``kernels``).
MIN_REGISTER_CAP = 16


def solve(problem, planner="cpsat", time_limit_s=10.0, seed=0, workers=1, goal="min-peak", cost_model=None,
          max_registers=None, skip_local=()):
    """Plan ``problem`` with the named planner and return a verified Plan.

    Parameters
    ----------
    problem : PlanningProblem
        Its ``objective`` "auto" first chooses which ``auto`` buffers stay local by the cost
        model (planner.objectives.choose_local), then plans the rest as "min-shared"; the
        plan's ``cost`` records the prediction.
    planner : {"cpsat", "greedy", "sequential"}
    time_limit_s : float
        CP-SAT only: wall-clock limit for the whole call, the ``auto`` objective's search
        (at most :data:`AUTO_SHARE` of it), loading OR-Tools, model building and
        verification included; the best layout found so far is returned with its gap
        (at worst greedy's, ``selection.choose_greedily``, which tries every buffer
        whatever the time). "greedy" and "sequential" do not read it. The ``auto`` search
        is bounded by a count (``objectives.SEARCH_WORK``), so its choice does not depend on
        the machine's load; where the time limit stops it first, the plan's status is
        "AUTO_TIME_LIMIT" where CP-SAT's own status was OPTIMAL (FEASIBLE and GREEDY_FALLBACK stay), and the
        cost record's note says so (its kept-local set may differ from run to run: raise the limit).
    seed, workers : int
        CP-SAT search parameters, checked whatever the planner: ``seed`` a 32-bit integer,
        ``workers`` an integer >= 1 (the number of search threads). One worker (the default) with
        a fixed seed gives the same plan for the same problem on every run that finishes inside
        the time limit (every integrator problem we have seen is solved in milliseconds). A run cut short by the limit, or one
        with several workers, whose threads race, may return a different layout of equal or
        similar peak.
    goal : {"min-peak", "fit"}
        CP-SAT only: "min-peak" (default) lowers the peak until it is proven optimal or time
        runs out; "fit" returns the first layout within the capacity (MiniMalloc's problem).
        "fit" with another planner, which ignores it, is a ConfigurationError.
    cost_model : DeviceModel, optional
        "auto" only: the device model whose cost constants to use (default the problem's),
        as the compiler loop passes after correcting them with measured figures.
    max_registers : int, optional
        "auto" only: the kernel's register cap per thread, if it is built with one, from
        :data:`MIN_REGISTER_CAP` to the device's registers a thread; beside another objective,
        which reads no cap, a ConfigurationError (:func:`check_max_registers`).
    skip_local : iterable of sets of str, optional
        "auto" only: sets of kept-local buffer names not to choose again (the compiler loop's
        layouts already compiled), so the model's next best set is planned.

    Returns
    -------
    Plan
        Its provenance records ``setup_seconds``, ``solve_seconds`` and ``verify_seconds``,
        ``objective_seconds`` (the ``auto`` objective's search; None for "min-shared") and
        ``total_seconds`` for this whole call.

    Raises
    ------
    ConfigurationError
        ``problem`` not a PlanningProblem; unknown planner or goal; bad limits, seed or workers;
        ``max_registers`` out of range or beside an objective other than "auto".
    InfeasibleError
        The pinned buffers cannot fit the shared budget.
    """
    start = time.perf_counter()
    check_problem(problem)
    if planner not in PLANNERS:
        raise ConfigurationError(f"planner: unknown planner {planner!r}; expected one of {PLANNERS}")
    if goal not in GOALS:
        raise ConfigurationError(f"goal: unknown goal {goal!r}; expected one of {GOALS}")
    if planner != "cpsat" and goal != "min-peak":
        raise ConfigurationError(f"goal={goal!r}: expected only with planner='cpsat', the one planner that "
                                 f"reads it; got planner={planner!r}, which ignores it; drop goal, or "
                                 "use planner='cpsat'")
    if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, (int, float)) or not time_limit_s > 0:
        raise ConfigurationError(f"time_limit_s: expected a positive number of seconds, got {time_limit_s!r}")
    seed, workers = check_search_args(seed, workers)
    check_max_registers(problem, max_registers)
    kept, candidates, searched, cut = (), 0, None, False
    if problem.objective == "auto":
        deadline = start + AUTO_SHARE * time_limit_s if planner == "cpsat" else None  # the others read no limit
        search = choose_local(problem, cost_model, max_registers, skip=skip_local, deadline=deadline)
        work, kept, candidates, cut = search.work, search.kept, search.candidates, search.cut
        searched = time.perf_counter() - start
    else:
        work = problem
    if planner == "greedy":
        plan = plan_greedy(work)
    elif planner == "sequential":
        plan = plan_sequential(work)
    else:
        from .cpsat import plan_cpsat  # OR-Tools is imported only when CP-SAT is asked for
        left = float(time_limit_s) - (time.perf_counter() - start)
        plan = plan_cpsat(work, time_limit_s=max(left, 0.01), seed=seed, workers=workers, goal=goal)
    provenance = plan.provenance
    if work is not problem:
        verify = time.perf_counter()
        plan = dataclasses.replace(plan, provenance=dataclasses.replace(provenance, input_hash=problem.digest))
        plan.verify(problem)
        provenance = dataclasses.replace(provenance, input_hash=problem.digest,
                                         verify_seconds=provenance.verify_seconds + time.perf_counter() - verify)
    cost = plan.cost
    if problem.objective == "auto":
        cost = CostRecord(predict_plan(problem, plan, cost_model, max_registers, kept, candidates))
    if cut:  # the buffers kept local depend on how far the search got in the time: not a reproducible plan
        cost = dataclasses.replace(cost, note=(f"auto's search was cut by the time limit after {candidates} "
                                               "candidates: its kept-local set depends on the machine's speed and "
                                               "load; raise the time limit " + cost.note).strip())
        if provenance.status == "OPTIMAL":  # FEASIBLE and GREEDY_FALLBACK keep saying what CP-SAT did (a hunt)
            provenance = dataclasses.replace(provenance, status=AUTO_TIME_LIMIT)
    provenance = dataclasses.replace(provenance, total_seconds=time.perf_counter() - start,
                                     objective_seconds=searched)
    return dataclasses.replace(plan, provenance=provenance, cost=cost)


def check_problem(problem):
    """ConfigurationError unless ``problem`` is a PlanningProblem: a parsed JSON dict, a path or None raised a raw
    AttributeError ('dict' object has no attribute 'objective') from inside the planner."""
    if isinstance(problem, PlanningProblem):
        return
    if isinstance(problem, (str, bytes, os.PathLike)):
        got, remedy = f"the path {os.fspath(problem)!r}", "read the file with planner.load_problem(path)"
    elif isinstance(problem, dict):
        got, remedy = "a dict", "build one from parsed JSON with planner.PlanningProblem.from_json(data)"
    elif hasattr(problem, "to_problem"):  # a component's BufferSettings (a regression hunt)
        got, remedy = (f"a {type(problem).__name__}", "make one from the component with settings.to_problem("
                       "precision=..., block_size=..., device=...)")
    else:
        got, remedy = ("None" if problem is None else f"an object of type {type(problem).__name__}"), (
            "read a problem file with planner.load_problem(path), or build one from parsed JSON with "
            "planner.PlanningProblem.from_json(data)")
    raise ConfigurationError(f"problem: expected a PlanningProblem, got {got}; {remedy}")


def check_max_registers(problem, cap, name="max_registers", objective=None,
                        remedy="or solve problem.replace(objective='auto')"):
    """ConfigurationError unless the register cap ``cap`` (None: none) suits ``problem``; the API's and the CLI's check.

    The cap is what the ``auto`` objective's cost model plans for (``kernels.Integrator(...).max_registers``): it
    must be an integer from :data:`MIN_REGISTER_CAP` to the device's registers a thread.  Another objective reads no
    cap, so one beside it is refused: silently dropped, the plan would not answer the question asked (the kernel's
    cap).  ``name``, ``objective`` (where the objective came from; default the problem's) and ``remedy`` (how to get
    the auto objective) put the message in the caller's terms: ``--max-registers``, ``--objective`` on the command
    line.
    """
    if cap is None:
        return
    given = f"{name} {cap}" if name.startswith("--") else f"{name}={cap!r}"
    device = problem.device
    most = device.max_registers_per_thread
    if not is_int(cap) or not MIN_REGISTER_CAP <= cap <= most:
        raise ConfigurationError(f"{given}: expected an integer from {MIN_REGISTER_CAP} to {most}, the registers a "
                                 f"thread may have on {device.name}; give a cap in that range, or leave it out to "
                                 f"plan for {most}")
    if problem.objective != "auto":
        objective = objective or f"the problem's objective, {problem.objective}"
        raise ConfigurationError(f"{given}: expected only with the auto objective, the one whose cost model reads the "
                                 f"register cap; got {objective}, which ignores it; drop {name}, {remedy}")
