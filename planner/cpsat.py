"""The CP-SAT planner: optimal placement (local/shared) and shared offsets.

Model, per connected component of the candidates' interference graph
(components that never interfere are solved apart and all start at offset 0):

- a candidate is a planned buffer of size > 0 that may go shared; a pinned-shared
  one is present, an ``auto`` one has an optional presence literal;
- coordinates are in units of the component's sizes' gcd (any packing can be
  pushed down until every offset is a sum of sizes, so this loses nothing) and
  time is compressed to the ranks of the distinct interval ends;
- one rectangle (address x time) per lifetime interval, ``AddNoOverlap2D``
  over all of them, and a peak variable above every present buffer's end;
- objective, lexicographic: (1) the largest weighted shared size of the auto
  buffers, then, with that fixed, (2) the smallest peak (so auto buffers of
  weight 0 stay local: they could only raise the peak).

Buffers alive together with every other candidate of a component are stacked
at its bottom (any packing can be rearranged so: everything else lies wholly
above or below them), which removes their symmetry.

Search: the greedy layout is the hint and the fallback. Without one (greedy
overshoots the capacity) runs of CP-SAT's fixed search, limited in its
deterministic time (so the plan does not depend on the machine's load), first
look for any layout within the capacity; which tie orders go first depends on
whether the live peak leaves room below the capacity (FIRST_FIT_*). Then,
before descending from the best layout known, short runs look for one whose
peak is the lower bound itself. These runs use a bottom-left decision
strategy (lowest free offset first) whose tie order is rotated between runs
of doubling length: which order finds a tight packing varies a lot between
instances. Measured and left out: pairwise disjunctions for interfering pairs
(slower: no improvement on greedy in 10 s where NoOverlap2D alone proves
optimality in 1-8 s) and interleaved search (10 to 50 times slower).
"""

import decimal
import math
import time

from ortools.sat.python import cp_model

from .errors import ConfigurationError, InfeasibleError
from .greedy import greedy_offsets
from .interference import _lifetimes, components, live_peak, live_size
from .ints import check_search_args
from .plan import build_plan
from .selection import choose_greedily, greedy_answer, no_layout_message, pinned_shared
from .wording import format_count

WEIGHT_DIGITS = 9  # phase 1 counts the largest auto weight as 10^9 to 10^10 units (fewer if sizes need): _weight_units
OBJECTIVE_LIMIT = 2 ** 62  # phase 1's objective stays below it: CP-SAT's integers are 64-bit
TIE_ORDERS = ("area", "load", "width", "size")  # tie orders of the bottom-left strategy, tried in turn
# The search for a first layout within the capacity (when greedy overshoots it): CP-SAT's fixed
# search along the bottom-left order, one run per (tie order, length), the lengths doubled after each
# round. Lengths are in CP-SAT's deterministic time (on these models one unit is about 10 to 25 s of a
# 2-core machine with presolve, about 3 s without), not seconds: the run that finds the layout, hence
# the plan, does not depend on the machine's load. Measured on the MiniMalloc instances at one worker
# (benchmarks/minimalloc_bench.py):
# - TIGHT, for a plan whose live peak is the capacity itself (A, B, E to I, K): against 0.3 s wall
#   runs rotating area/load/size/width, I 2.3 -> 0.8 s, F 0.37 -> 0.20 s, H 0.34 -> 0.26 s, the
#   others unchanged; the "start" order (first step, then size) fits A, E, F, G, H within 0.1 s when
#   run first, but then I takes 3.5 s and K 0.5 s.
# - ROOMY, with room to spare (D and J: live peak 94 % of the capacity): only the load order fits J
#   in under 2 s, the area order D; load first, then area (C, at 99 %, fits either way in 0.06 s).
#   Without CP-SAT's presolve (which splits the NoOverlap2D into one NoOverlap per time step) these
#   runs take J 0.52 s instead of 0.55 s and D 0.33 s instead of 0.67 s (CPU); on the TIGHT instances
#   they are up to 5 times slower (K 0.18 -> 0.98 s).
# Measured and left out: a skyline first fit without search (every buffer at the top of what lies
# under its lifetime, lowest first, in each tie order) ends 4 to 28 % above the capacity on A, D, J,
# K; a NumPy depth-first search over such placements, pruned where the buffers left alive at a step
# cannot fit above it, finds no fit for D, I, J or K in 50 000 nodes (it backtracks near the leaves,
# around depth 350 of 409 for J); one NoOverlap per maximal set of buffers alive together instead of
# the NoOverlap2D, and CP-SAT parameters (linearization 0, no precedences in the disjunctive, no
# probing or symmetry, timetabling in NoOverlap2D) change J's run by under 10 %.
FIRST_FIT_TIGHT = {"slices": (("area", 0.02), ("load", 0.035), ("start", 0.01), ("size", 0.02), ("width", 0.02)),
                   "presolve": True}
FIRST_FIT_ROOMY = {"slices": (("load", 0.15), ("area", 0.15), ("size", 0.1), ("width", 0.1)), "presolve": False}
RACE_MAX_RECTANGLES = 600  # bigger models spend seconds in each run's presolve: one long run instead


def plan_cpsat(problem, time_limit_s=10.0, seed=0, workers=8, goal="min-peak"):
    """Plan ``problem`` with CP-SAT and return a verified Plan.

    Parameters
    ----------
    problem : PlanningProblem
        Planned as "min-shared" whatever its objective: ``solve`` applies the "auto"
        objective's register-first step before it calls this planner.
    time_limit_s : float
        Wall-clock limit for the whole call, from its start: the greedy hint, model
        building, the searches and the plan's verification. A model too big to
        build in the time left is not built; its part keeps the greedy layout.
    seed, workers : int
        CP-SAT ``random_seed`` (a 32-bit integer) and ``num_workers`` (an integer >= 1),
        checked before any work (a ConfigurationError names the bad one). With ``workers=1`` the same input
        gives the same plan whenever no run is cut short by the time limit; with
        more workers CP-SAT's threads race and an equally good layout may differ.
    goal : {"min-peak", "fit"}
        "min-peak" searches for the lowest peak until it is proven or time runs
        out; "fit" stops at the first layout within the capacity (MiniMalloc's
        problem).

    Returns
    -------
    Plan
        Provenance status "OPTIMAL" when every component was proven optimal,
        "FEASIBLE" otherwise, "GREEDY_FALLBACK" when CP-SAT found nothing in time.

    Raises
    ------
    InfeasibleError
        The pinned-shared buffers cannot fit the capacity (the message of
        ``selection.budget_message``), or no layout was found in time and the
        greedy one overshoots.
    """
    start = time.perf_counter()
    seed, workers = check_search_args(seed, workers)
    deadline = start + time_limit_s
    pinned = set(pinned_shared(problem))  # raises with budget_message when they cannot fit
    sizes = problem.by_name()
    lifetimes = _lifetimes(problem)
    # Assembly and verification are linear-logarithmic in the intervals: keep time for them (about
    # 35 us each on a 2-core machine at 100k buffers, assembling greedy's fallback included, so
    # 60 us), at most 40 % of the limit.
    reserve = min(0.4 * time_limit_s, 6e-5 * sum(len(lt) for lt in lifetimes.values()))
    try:
        # the greedy refinement gets at most half the limit, then places the candidates left one by one
        # (selection.choose_greedily): the hint, and the fallback when CP-SAT has no time, is always complete
        hint = choose_greedily(problem, greedy_offsets, deadline=start + 0.5 * time_limit_s)
    except InfeasibleError:
        hint = None
    offsets = {n: 0 for n in pinned if sizes[n].size_elems == 0}
    # An auto buffer larger than the capacity can never go shared: it stays out of the model.
    scores = _weight_units([b for b in problem.planned if b.size_elems > 0 and problem.shareable(b)
                            and b.name not in pinned and b.size_elems <= problem.capacity_elems])
    candidates = [b for b in problem.planned if b.size_elems > 0 and problem.shareable(b)
                  and (b.name in pinned or scores.get(b.name, 0) > 0)]
    floor = live_peak(problem, pinned)  # no plan peaks lower: no part need go below it
    facts = {"sizes": sizes, "lifetimes": lifetimes, "floor": floor, "goal": goal, "scores": scores}
    early = greedy_answer(problem, [b.name for b in candidates], hint, facts, time.perf_counter() > deadline - reserve)
    if early is not None:  # no model to build: greedy's layout is the answer
        offsets.update(early[0])
        return _assemble(problem, offsets, early[1], early[2], (time.perf_counter() - start, 0.0), start, goal)
    parts, facts["degree"] = components(problem, [b.name for b in candidates])
    statuses, bound, setup, search = [], floor, time.perf_counter() - start, 0.0
    for i, names in enumerate(parts):
        begin = time.perf_counter()
        left = deadline - reserve - begin
        part_deadline = begin + max(left * len(names) / sum(map(len, parts[i:])), 0.0)
        part = _Part(problem, names, pinned, hint, facts, (seed, workers))
        part_offsets, status, part_bound, times = part.solve(part_deadline)
        offsets.update(part_offsets)
        statuses.append(status)
        bound = max(bound, part_bound)
        setup, search = setup + times[0], search + times[1]
        setup += time.perf_counter() - begin - sum(times)  # the part's own set-up
    status = next((s for s in ("GREEDY_FALLBACK", "FEASIBLE") if s in statuses), "OPTIMAL")
    # ``bound`` is what the parts proved, not the plan's own live size: while which auto buffers go shared
    # is unproven (a fallback, a search cut short), that size bounds only this plan's choice.
    return _assemble(problem, offsets, status, bound, (setup, search), start, goal)


def _assemble(problem, offsets, status, bound, times, start, goal):
    """The verified Plan of the shared ``offsets``; ``times``: (set-up s, search s), the assembly counted in
    the search's (as the verification is not); the ``goal`` is recorded (verify's proven-peak rule reads it)."""
    done = time.perf_counter()
    fields = {"planner": "cpsat", "status": status, "objective_value": float(_peak(problem.by_name(), offsets)),
              "lower_bound": bound, "setup_seconds": times[0], "goal": goal}
    fields["solve_seconds"] = times[1] + time.perf_counter() - done
    return build_plan(problem, offsets, fields, start=start)


def _weight_units(auto):
    """Name -> phase 1's integer value in shared memory of each ``auto`` candidate: weight in units of 10^-p
    (p from the largest weight's decade: WEIGHT_DIGITS) times size; weight > 0 counts at least 1 unit.

    Only the weights' ratios matter (a fixed 1/1000 zeroed weights below 0.0005, overflowed on 1e306); ordinary
    weights (below 10^6, three decimals) keep the thousandths' exact ratios. Fewer digits where the sum would pass
    OBJECTIVE_LIMIT, down to 1 to 10 units for the largest weight, then a ConfigurationError."""
    top = max((b.weight for b in auto), default=0.0)
    if top == 0:
        return {b.name: 0 for b in auto}
    decade = decimal.Decimal(top).adjusted()  # exact: 10^decade <= top < 10^(decade + 1)
    for digits in range(WEIGHT_DIGITS, -1, -1):
        scores = {b.name: _units(b.weight, digits - decade) * b.size_elems for b in auto}
        total = sum(scores.values())
        if total < OBJECTIVE_LIMIT:
            return scores
    worst = max(auto, key=lambda b: scores[b.name])
    raise ConfigurationError(
        f"buffer {worst.name!r} (size {worst.size_elems}, weight {worst.weight:g}): the auto buffers' sizes times "
        f"their weights, the largest weight counted as {_units(top, -decade)} (the coarsest unit), sum to "
        f"{format_count(total)}, which is not below CP-SAT's integer limit 2^62 ({format_count(OBJECTIVE_LIMIT)}); "
        "pin the largest auto buffers local or shared, or use the greedy planner")


def _units(weight, exponent):
    """``weight`` times 10^``exponent``, rounded, at least 1 for a weight above 0 (0 for weight 0)."""
    if weight == 0:
        return 0
    while exponent > 300:  # a tiny largest weight: 10.0 ** exponent would overflow
        weight, exponent = weight * 1e300, exponent - 300
    scaled = weight * 10.0 ** exponent if exponent >= 0 else weight / 10.0 ** -exponent
    return max(1, round(scaled))


def _peak(sizes, offsets):
    return max((off + sizes[n].size_elems for n, off in offsets.items()), default=0)


class _OutOfTime(Exception):
    """The model could not be built in the time left."""


class _Part:
    """One connected component: its greedy hint, bounds and two-phase solve."""

    def __init__(self, problem, names, pinned, hint, facts, search):
        """``facts``: sizes and lifetimes by name, the plan's peak floor, each candidate's degree, the goal."""
        self.problem, self.names, self.search, self.facts = problem, names, search, facts
        self.floor, self.degree, self.goal = facts["floor"], facts["degree"], facts["goal"]
        self.sizes = facts["sizes"]
        self.hint = None if hint is None else {n: hint[n] for n in names if n in hint}
        self.pinned = {n for n in names if n in pinned}
        if self.hint is not None and len(self.hint) == len(names):
            self.pinned = set(names)  # greedy fits every candidate: phase 1 is settled
        self.live = live_size(self.sizes, facts["lifetimes"], self.pinned)

    def solve(self, deadline):
        """(offsets in elements, status, proven lower bound on the peak in elements, (set-up s, search s)).

        ``deadline`` is a ``time.perf_counter()`` reading.
        """
        begin = time.perf_counter()
        budget = max(deadline - begin, 0.0)
        low = max(self.floor, self.live)
        auto = len(self.pinned) < len(self.names)
        if not auto and self.hint is not None and (
                _peak(self.sizes, self.hint) <= low or self.goal == "fit"):
            status = "OPTIMAL" if _peak(self.sizes, self.hint) <= low else "FEASIBLE"
            return self.hint, status, low, (time.perf_counter() - begin, 0.0)  # nothing to search
        try:
            model = _Model(self.problem, self.names, self.pinned, self.facts, deadline)
        except _OutOfTime:
            return self._fallback(begin, time.perf_counter())
        model.set_hint(self.hint)
        built = time.perf_counter()
        result = self._search(model, auto, deadline, budget)
        if result is None:
            return self._fallback(begin, built)
        offsets, status, _, bound_units = result
        if status != "OPTIMAL" and self.hint is not None and self._rank(self.hint) > self._rank(offsets):
            offsets = self.hint  # CP-SAT's best, cut short, is worse than greedy's layout it started from
        # What CP-SAT proved (the live size of the layout's own buffers is no proof while which buffers go
        # shared is not settled); the peak variable's lowest value is at least the pinned buffers' live size.
        return offsets, status, max(low, bound_units * model.unit), (built - begin, time.perf_counter() - built)

    def _rank(self, offsets):
        """The min-shared objective of a layout, larger is better: weight in shared memory, then a low peak."""
        return sum(self.facts["scores"].get(n, 0) for n in offsets), -_peak(self.sizes, offsets)

    def _search(self, model, auto, deadline, budget):
        """solve()'s tuple for the best layout found, or None."""
        proven_weight = True
        if auto:
            result = model.solve(model.weight, True, (deadline - time.perf_counter()) / 2, *self.search)
            if result is None:
                return None
            proven_weight = result[1] == "OPTIMAL"
            if self.goal == "fit":  # phase 1's layout is within the capacity; optimal only with a proven peak
                peak = model.peak_units(result[0])
                status = "OPTIMAL" if result[1] == "OPTIMAL" and peak <= model.lowest() else "FEASIBLE"
                return result[0], status, peak, model.lowest()
            # the layout's own weight, exact: the objective value CP-SAT reports is a double
            model.fix_weight(sum(model.scores[n] for n in model.auto if n in result[0]), result[0])
        result = None
        if model.hint is None:  # first any layout within the capacity: the plan hangs on it
            share = 1.0 if self.goal == "fit" else 0.5
            first = FIRST_FIT_ROOMY if self.floor < self.problem.capacity_elems else FIRST_FIT_TIGHT
            result = model.race(model.cap, share * (deadline - time.perf_counter()), *self.search, **first)
            model.set_hint(result and result[0])
            if result is not None and self.goal == "fit":
                return result[0], result[1] if proven_weight else "FEASIBLE", *result[2:]
        if model.small and (result is None or result[1] != "OPTIMAL"):
            result = model.race(model.lowest(), (deadline - time.perf_counter()) / 3, *self.search) or result
            known = result or (model.hint and (model.hint, "FEASIBLE", model.peak_units(model.hint), None))
            if known and known[1] != "OPTIMAL":
                better = self._bisect(model, known, deadline, budget / 4)
                result = better if better is not known else result  # the bare hint is no CP-SAT result
        if result is None or result[1] != "OPTIMAL":
            result = model.solve(model.peak, False, deadline - time.perf_counter(), *self.search) or result
        if result is None:
            return None
        return result[0], result[1] if proven_weight else "FEASIBLE", *result[2:]

    def _bisect(self, model, result, deadline, reserve):
        """Runs for a peak halfway between the lower bound and the best known, until ``reserve`` is left.

        A tight target is often reached in a fraction of a second where the descent
        from the hint takes a minute. A run that finds nothing halves the gap from
        below (a guess, not a proof: the bounds reported stay CP-SAT's).
        """
        low = model.lowest()
        while True:
            best = model.peak_units(result[0])
            target = (low + best) // 2
            left = deadline - time.perf_counter()
            if target <= low or target >= best or left <= reserve:
                return result
            found = model.race(target, (left - reserve) / 2, *self.search)
            if found is None:
                low = max(target, model.lowest())
            else:
                result = found
                model.set_hint(found[0])

    def _fallback(self, begin, built):
        if self.hint is None:
            raise InfeasibleError(no_layout_message(self.problem, self.live))
        # Proven: the pinned buffers' live size (all candidates' when greedy placed every one shared, which
        # the objective's first term then demands); greedy's own live size proves nothing about the problem.
        bound = max(self.floor, self.live)
        return self.hint, "GREEDY_FALLBACK", bound, (built - begin, time.perf_counter() - built)


class _Model:
    """The CP-SAT model of one component, in units of its sizes' gcd."""

    def __init__(self, problem, names, pinned, facts, deadline):
        """Raises _OutOfTime when ``deadline`` (a perf_counter reading) passes while building."""
        self.sizes, self.names = facts["sizes"], names
        self.unit = math.gcd(*(self.sizes[n].size_elems for n in names))
        self.units = {n: self.sizes[n].size_elems // self.unit for n in names}
        # No layout needs more than the sizes stacked: this also keeps CP-SAT's integers small.
        self.cap = cap = min(problem.capacity_elems // self.unit, sum(self.units.values()))
        lifetimes = {n: facts["lifetimes"][n] for n in names}
        degree = facts["degree"]
        points = sorted({t for lt in lifetimes.values() for iv in lt for t in iv})
        rank = {t: i for i, t in enumerate(points)}
        self.spans = {n: [k for lo, hi in lifetimes[n] for k in range(rank[lo], rank[hi])] for n in names}
        self.model = m = cp_model.CpModel()
        # At least the part's live size (rounded up); never forced below the plan's floor (rounded down).
        live, floor = live_size(self.sizes, lifetimes, pinned.intersection(names)), facts["floor"]
        self.peak = m.NewIntVar(min(max(-(-live // self.unit), floor // self.unit), cap), cap, "peak")
        self.auto = [n for n in names if n not in pinned]
        self.present, self.offset, self.hint = {}, {}, None
        self.bottom = self._bottom(pinned, degree)
        xs, ys = [], []
        for k, n in enumerate(names):
            if k % 256 == 0 and time.perf_counter() > deadline:
                raise _OutOfTime
            size = self.units[n]
            lit = m.NewBoolVar(f"in_{n}") if n in self.auto else m.NewConstant(1)
            off = m.NewIntVar(0, max(cap - size, 0), f"x_{n}")
            if n in self.bottom:
                m.Add(off == self.bottom[n])
            x = m.NewOptionalFixedSizeIntervalVar(off, size, lit, f"ix_{n}")
            for lo, hi in lifetimes[n]:
                xs.append(x)
                ys.append(m.NewFixedSizeIntervalVar(rank[lo], rank[hi] - rank[lo], f"iy_{n}_{lo}"))
            m.Add(self.peak >= off + size).OnlyEnforceIf(lit)
            if size > cap:
                m.Add(lit == 0)
            self.present[n], self.offset[n] = lit, off
        m.AddNoOverlap2D(xs, ys)
        self.small = len(xs) <= RACE_MAX_RECTANGLES
        # phase 1's values: the whole problem's (plan_cpsat), else this part's auto buffers' own
        self.scores = facts["scores"] if "scores" in facts else _weight_units([self.sizes[n] for n in self.auto])
        self.weight = sum(self.scores[n] * self.present[n] for n in self.auto)
        alive = {}
        for n in names if self.auto else ():  # redundant: the peak is at least the present size alive
            for k in self.spans[n]:
                alive.setdefault(k, []).append(n)
        for i, k in enumerate(sorted(alive)):
            if i % 256 == 0 and time.perf_counter() > deadline:
                raise _OutOfTime
            m.Add(self.peak >= sum(self.units[n] * self.present[n] for n in alive[k]))

    def _bottom(self, pinned, degree):
        """Pinned buffers that interfere with every other candidate, stacked from 0 (by size, then name)."""
        full = sorted((n for n in self.names if n in pinned and degree(n) == len(self.names) - 1),
                      key=lambda n: (-self.units[n], n))
        ends = [0]
        for n in full:
            ends.append(ends[-1] + self.units[n])
        return dict(zip(full, ends))

    def tie_order(self, kind):
        """Buffers in the tie order ``kind`` of the bottom-left strategy (biggest first; "start": earliest)."""
        load = {}
        for n in self.names:
            for k in self.spans[n]:
                load[k] = load.get(k, 0) + self.units[n]
        keys = {"area": lambda n: -self.units[n] * len(self.spans[n]),
                "load": lambda n: (-max(load[k] for k in self.spans[n]), -len(self.spans[n]), -self.units[n]),
                "width": lambda n: (-len(self.spans[n]), -self.units[n]),
                "size": lambda n: -self.units[n],
                "start": lambda n: (min(self.spans[n], default=0), -self.units[n])}
        return sorted(self.names, key=lambda n: (keys[kind](n), n))

    def lowest(self):
        return self.peak.proto.domain[0]

    def set_hint(self, offsets):
        self.model.ClearHints()
        self.hint = offsets
        if offsets is None:
            return
        offsets = _rebase(offsets, self.bottom, self.units, self.unit)
        for n in self.names:
            if n in self.auto:
                self.model.AddHint(self.present[n], n in offsets)
            if n in offsets:
                self.model.AddHint(self.offset[n], offsets[n] // self.unit)
        self.model.AddHint(self.peak, self.peak_units(offsets))

    def peak_units(self, offsets):
        """The peak variable's value for a layout: its end, or the variable's lower bound if higher."""
        return max(-(-_peak(self.sizes, offsets) // self.unit), self.lowest())

    def fix_weight(self, weight, offsets):
        """Phase 2 set-up: keep phase 1's weight, never exceed its layout's peak, hint that layout."""
        self.model.Add(self.weight >= weight)
        self.model.Add(self.peak <= self.peak_units(offsets))
        self.set_hint(offsets)

    def race(self, upper, budget, seed, workers, slices=None, presolve=True):
        """Runs of doubling length, rotating the tie order, for a layout with peak <= ``upper`` units.

        ``slices``: (tie order, deterministic time) per run of the first round, for
        CP-SAT's fixed bottom-left search alone; without them, CP-SAT's own search
        in runs of ``budget / 16`` seconds rotating TIE_ORDERS. Every round doubles
        the lengths; ``presolve`` False skips CP-SAT's presolve in the fixed runs.
        Returns solve()'s tuple or None. A proof that none exists
        raises the peak's lower bound above ``upper``.
        """
        deadline, turn = time.perf_counter() + budget, 0
        domain, hint = self.peak.proto.domain, self.hint
        high, self.hint = domain[1], None
        self.model.ClearHints()
        domain[1] = upper
        self.model.ClearObjective()  # a pure feasibility search finds tight packings far sooner
        result = None
        if slices is None:
            slices = tuple((kind, None) for kind in TIE_ORDERS)
        while result is None and time.perf_counter() < deadline - 0.01:
            kind, work = slices[turn % len(slices)]
            doubling = 2 ** min(turn // len(slices), 40)  # bounded: a run cut short at once comes back at once
            self.model.proto.search_strategy.clear()
            self.model.AddDecisionStrategy([self.offset[n] for n in self.tie_order(kind)],
                                           cp_model.CHOOSE_LOWEST_MIN, cp_model.SELECT_MIN_VALUE)
            left = deadline - time.perf_counter()
            if work is None:
                result, status = self._run(min(budget / 16 * doubling, left), seed, workers)
            else:
                result, status = self._run(left, seed, workers, fixed=True, work=work * doubling, presolve=presolve)
            if status == cp_model.INFEASIBLE:  # proven: the peak is above ``upper``
                domain[0] = max(domain[0], upper + 1)
            if status != cp_model.UNKNOWN:  # found, proven infeasible, or a model CP-SAT rejects
                break
            turn += 1
        domain[1] = high
        self.set_hint(hint)
        return result

    def solve(self, objective, maximize, budget, seed, workers):
        """(offsets in elements, status name, objective value, bound) or None when no solution."""
        self.model.Maximize(objective) if maximize else self.model.Minimize(objective)
        return self._run(budget, seed, workers)[0]

    def _run(self, budget, seed, workers, fixed=False, work=None, presolve=True):
        """``fixed``: the decision strategy alone; ``work``: a deterministic-time limit besides ``budget`` s."""
        solver = cp_model.CpSolver()
        params = solver.parameters
        if work is not None:
            params.max_deterministic_time = work
        if fixed:
            params.search_branching = cp_model.FIXED_SEARCH
        if not presolve:
            params.cp_model_presolve = False
            params.linearization_level = 0
        params.max_time_in_seconds = max(budget, 0.01)
        params.random_seed = seed
        params.num_workers = workers
        status = solver.Solve(self.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, status
        offsets = {n: solver.Value(self.offset[n]) * self.unit for n in self.names
                   if solver.BooleanValue(self.present[n])}
        if not self.model.HasObjective():  # a feasibility run: optimal when it reached the lowest peak
            peak = _peak(self.sizes, offsets) // self.unit
            return (offsets, "OPTIMAL" if peak <= self.lowest() else "FEASIBLE", peak, self.lowest()), status
        return (offsets, solver.StatusName(status), round(solver.ObjectiveValue()),
                round(solver.BestObjectiveBound())), status


def _rebase(offsets, bottom, units, unit):
    """``offsets`` with the ``bottom`` buffers moved to their stack and the rest closed up above them.

    Every other present buffer lies wholly above or below each bottom buffer in
    address, so removing the bottom buffers' ranges and lifting the rest by their
    total keeps the layout valid with the same peak.
    """
    if not bottom:
        return offsets
    ranges = sorted((offsets[n], units[n] * unit) for n in bottom)
    lift = sum(size for _, size in ranges)
    out = {n: bottom[n] * unit for n in bottom}
    for n, off in offsets.items():
        if n not in bottom:
            out[n] = off - sum(size for start, size in ranges if start < off) + lift
    return out

