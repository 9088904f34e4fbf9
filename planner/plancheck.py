"""Checks of a Plan's JSON form and of its lifetimes, which Plan.from_json and Plan.verify run."""

import math

from .buffers import PRECISIONS
from .errors import ConfigurationError, PlanError
from .wording import unknown_keys

#: The ``auto`` objective's search was stopped by the time limit before its count ran out: the buffers it
#: kept local depend on the machine's speed and load (planner.objectives).
AUTO_TIME_LIMIT = "AUTO_TIME_LIMIT"
#: A plan's provenance status: proven optimal peak, a layout not proven optimal, CP-SAT's greedy fallback,
#: or an ``auto`` search cut by the time limit.
STATUSES = ("OPTIMAL", "FEASIBLE", "GREEDY_FALLBACK", AUTO_TIME_LIMIT)
#: The cpsat planner's goals, which its plans record (``Provenance.goal``).
GOALS = ("min-peak", "fit")


#: Keys of a problem's JSON that a plan's has not (``planner.PlanningProblem.from_json``).
PROBLEM_ONLY_KEYS = frozenset({"device", "objective", "min_blocks_per_sm", "shared_capacity"})


def refuse_problem(data, where, remedy):
    """ConfigurationError where JSON ``data`` given as a plan is a problem (``where`` names it, ``remedy`` says
    how to plan it): its buffers have no placements, or it has a problem's own keys, and it has neither 'totals'
    nor 'provenance'.  The one wording of ``planner.load_plan`` of a problem file and of ``Plan.from_json`` of a
    problem dict (``solve_ivp(plan=json.load(...))`` of a problem file said "unknown key(s) ['device', ...]": a
    user's trial).  An object with neither sign (``{"buffers": []}``) is left to the malformed-plan checks."""
    if not isinstance(data, dict) or {"totals", "provenance"} & set(data):
        return
    buffers, extra = data.get("buffers"), sorted(PROBLEM_ONLY_KEYS & set(data))
    if isinstance(buffers, list) and buffers and not any(isinstance(b, dict) and "placement" in b for b in buffers):
        sign = "its buffers have no placements, and it has"
    elif extra:
        sign = f"it has the problem's key(s) {extra} and"
    else:
        return
    raise ConfigurationError(f"{where} is a problem ({sign} no 'totals' or 'provenance'), not a plan; make a plan "
                             f"of it with {remedy}")


def check_keys(data, where, allowed, required):
    """ConfigurationError unless ``data`` is an object with every key of ``required`` and none beyond ``allowed``.

    An object that takes a ``lifetime`` (a plan's buffer) has its form checked too (:func:`check_lifetime_form`).
    """
    if not isinstance(data, dict):
        raise ConfigurationError(f"plan: malformed plan JSON: {where}: expected an object, got {data!r}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigurationError(unknown_keys(f"plan: malformed plan JSON: {where}", unknown, allowed))
    missing = sorted(required - set(data))
    if missing:
        raise ConfigurationError(f"plan: malformed plan JSON: {where}: missing key(s) {missing}")
    if "lifetime" in allowed:
        check_lifetime_form(data, where)


def check_lifetime_form(data, where):
    """ConfigurationError naming the buffer unless the ``lifetime`` of a plan buffer's JSON ``data`` is a list of
    lists: a flat ``[0, 1]`` was "malformed plan JSON (TypeError: 'int' object is not iterable)", naming no
    buffer (a user's trial, 2026-12-06). The pairs' length and integers are :func:`check_types`'s."""
    lifetime = data.get("lifetime")
    if not isinstance(lifetime, list) or not all(isinstance(iv, list) for iv in lifetime):
        raise ConfigurationError(f"plan: buffer {data.get('name')!r} ({where}) lifetime: expected a list of "
                                 f"[start, end) pairs, like [[0, 4]], got {lifetime!r}")


def check_lifetime(p):
    """PlanError "bounds" unless the lifetime of ``p`` is disjoint half-open intervals ``[start, end)``, start < end."""
    intervals = sorted(p.lifetime)
    for k, (start, end) in enumerate(intervals):
        if not start < end:
            raise PlanError("bounds", f"{p.name} has lifetime interval [{start}, {end}), which is empty or reversed; "
                            "expected [start, end) with start < end")
        if k and start < intervals[k - 1][1]:
            before = intervals[k - 1]
            raise PlanError("bounds", f"{p.name} has lifetime intervals [{before[0]}, {before[1]}) and [{start}, "
                            f"{end}), which overlap; expected disjoint [start, end) intervals")


def check_types(plan):
    """ConfigurationError unless every count in a plan read from JSON is an integer (offsets may be null) and every
    precision one the planner knows."""
    def count(value, what, none_ok=False, minimum=0):
        if value is None and none_ok:
            return
        if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
            bound = "" if minimum is None else f" >= {minimum}"
            raise ConfigurationError(f"plan: {what}: expected an integer{bound}, got {value!r}")

    # the plan's precision was refused only by verify until 2026-12-05 (a user's trial: "banana", 64)
    if not isinstance(plan.precision, str) or plan.precision not in PRECISIONS:
        raise ConfigurationError(f"plan: precision: expected one of {sorted(PRECISIONS)}, got {plan.precision!r}")
    count(plan.block_size, "block_size")
    for key in ("shared_elements", "shared_stride", "shared_bytes_per_block", "local_elements",
                "persistent_local_elements"):
        count(getattr(plan, key), f"totals {key}")
    for b in plan.buffers:
        if not isinstance(b.name, str) or not (b.view_of is None or isinstance(b.view_of, str)):
            raise ConfigurationError(f"plan: buffer name {b.name!r} / view_of {b.view_of!r}: expected strings")
        if b.precision is not None and (not isinstance(b.precision, str) or b.precision not in PRECISIONS):
            raise ConfigurationError(f"plan: buffer {b.name!r} precision: expected one of {sorted(PRECISIONS)} "
                                     f"(or no key: the plan's precision), got {b.precision!r}")
        count(b.size_elems, f"buffer {b.name!r} size")
        count(b.offset_elems, f"buffer {b.name!r} offset", none_ok=True, minimum=None)  # < 0: verify's "bounds"
        for iv in b.lifetime:
            if len(iv) != 2:
                raise ConfigurationError(f"plan: buffer {b.name!r} lifetime: expected [start, end) pairs, got {iv!r}")
            for x in iv:
                count(x, f"buffer {b.name!r} lifetime")
    check_provenance_types(plan.provenance)


def check_provenance_types(p):
    """ConfigurationError (bad input, as for the plan's other fields) for a provenance field no planner writes:
    a planner not of :func:`known_planners`, a status that is not a string, a lower bound not an integer >= 0, a time not a number of
    seconds >= 0, an input hash not a string. Hand-edited values (``"planner": 7``, ``"solve_seconds": -5``,
    ``"input_hash": 12``, ``"lower_bound": "0"``) passed ``planner verify`` until 2026-12-06 (a user's trial), or
    failed it as rule provenance where every other wrongly typed field is bad input. A status string no planner
    gives is the rule "provenance" of :func:`check_provenance`, as docs/cli.md says (Plan.from_json refused it as
    bad input, exit 2, until 2026-12-06: a user's trial)."""
    planners = known_planners()
    if not isinstance(p.planner, str) or p.planner not in planners:
        raise ConfigurationError(f"plan: provenance planner: expected one of {', '.join(planners)}, got "
                                 f"{p.planner!r}: the plan was edited by hand; re-plan the problem")
    if not isinstance(p.status, str):  # a string no planner gives is verify's rule "provenance" (check_provenance)
        raise ConfigurationError(f"plan: provenance status: expected a string, one of {', '.join(STATUSES)}, got "
                                 f"{p.status!r}")
    if isinstance(p.lower_bound, bool) or not isinstance(p.lower_bound, int) or p.lower_bound < 0:
        raise ConfigurationError(f"plan: provenance lower_bound: expected an integer >= 0 (elements), got "
                                 f"{p.lower_bound!r}")
    for key, value in vars(p).items():
        if key.endswith("_seconds") and (value is not None or key == "solve_seconds") and not _is_seconds(value):
            raise ConfigurationError(f"plan: provenance {key}: expected a number of seconds >= 0, got {value!r}")
    if not isinstance(p.input_hash, str):
        raise ConfigurationError(f"plan: provenance input_hash: expected a string (the problem's SHA-256 digest, "
                                 f"as solve records it), got {p.input_hash!r}")


def _is_seconds(value):
    """Whether ``value`` is a time a planner records: a finite number (no bool) >= 0."""
    return (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
            and value >= 0)


def known_planners():
    """The planners' names (``planner.solve.PLANNERS``), which a plan's provenance must name; imported here
    because solve imports this module."""
    from .solve import PLANNERS

    return PLANNERS


def check_provenance(plan):
    """PlanError "provenance" for a status, lower bound or goal no planner gives: a hand-edited plan, accepted
    until 2026-12-05 (a user's trial). Needs nothing of the buffers, so verify runs it first; the rules that
    compare the bound with the peak are :func:`check_peak_bound`'s."""
    p = plan.provenance
    if p.planner not in known_planners():  # before the goal: "goal of a magic plan" blamed the goal
        raise PlanError("provenance", f"planner {p.planner!r} is not one the package has; expected one of "
                        f"{', '.join(known_planners())}: the plan was edited by hand; re-plan the problem")
    if p.status not in STATUSES:
        raise PlanError("provenance", f"status {p.status!r} is not one a planner gives; expected one of "
                        f"{', '.join(STATUSES)}: the plan was edited by hand; re-plan the problem")
    if isinstance(p.lower_bound, bool) or not isinstance(p.lower_bound, int) or p.lower_bound < 0:
        raise PlanError("provenance", f"lower_bound: expected an integer >= 0, got {p.lower_bound!r}")
    if p.goal is not None and (p.goal not in GOALS or p.planner != "cpsat"):
        which = (f"goal {p.goal!r}: expected one of {', '.join(GOALS)}" if p.planner == "cpsat" else
                 f"goal {p.goal!r} of a {p.planner} plan: only cpsat records a goal, one of {', '.join(GOALS)}")
        raise PlanError("provenance", f"{which}: the plan was edited by hand; re-plan the problem")


def check_peak_bound(plan):
    """PlanError "provenance" for a lower bound above the plan's own peak (a bound on the peak cannot exceed a
    layout that reaches it), or below a peak its status says is proven optimal (:func:`check_proven_peak`).

    Verify runs it after the "totals" rule, so that ``shared_elements`` is the peak the buffers give: run
    before it, a hand-edited total was taken as the peak and blamed on the bound (a user's trial).
    """
    p = plan.provenance
    # A cpsat plan not proven optimal may keep auto buffers local that its bound (on the layout sharing the
    # most weight) counts; an optimal plan, and greedy's and sequential's (the live size of what they share),
    # reach or pass their bound.
    exact = p.status == "OPTIMAL" or p.planner in ("greedy", "sequential")
    if exact and p.lower_bound > plan.shared_elements:
        raise PlanError("provenance", f"lower_bound {p.lower_bound} is above the plan's shared peak of "
                        f"{plan.shared_elements} elements, which a {p.planner} {p.status} plan reaches: the plan "
                        "was edited by hand; re-plan the problem")
    check_proven_peak(plan)


def check_proven_peak(plan):
    """PlanError "provenance" for a plan whose status says its peak is proven optimal (OPTIMAL, or
    AUTO_TIME_LIMIT: optimal for the buffers its cut search kept local) with a lower bound below that peak.

    What CP-SAT proves optimal is the min-shared objective: the most weight shared, then the lowest peak.
    Under the "min-peak" goal the bound is then the peak itself; under "fit" (the first layout within the
    capacity) a plan is OPTIMAL only where its peak meets the proven bound too (a layout above it is
    FEASIBLE, also where the weight shared was proven the most, since 2026-12-05). So a lower bound under
    an optimal peak proves the plan edited by hand: one lowered to 0 was accepted until 2026-12-05.  Only
    plans that record their goal are held to it: older "fit" plans said OPTIMAL with the bound below the
    peak, and were not edited (a regression hunt found every such plan refused).
    """
    p = plan.provenance
    if p.goal is not None and p.status in ("OPTIMAL", AUTO_TIME_LIMIT) and p.lower_bound < plan.shared_elements:
        raise PlanError("provenance", f"lower_bound {p.lower_bound} is below the plan's shared peak of "
                        f"{plan.shared_elements} elements, but its status {p.status} says that peak is proven "
                        "optimal, which makes the peak its own lower bound: the plan was edited by hand; "
                        "re-plan the problem")
