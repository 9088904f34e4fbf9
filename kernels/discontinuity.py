"""Does the right-hand side jump at a state?  Stick-slip friction, ``sign(v)``, a branch on the state.

Across a jump of size ``J`` a difference quotient with increment ``h`` reads ``J / h``: a "rate" that grows
without bound as ``h`` shrinks, which the stability and stiffness checks took for a fast mode (a mass at rest
under Coulomb friction, ``sign(v)`` at ``v = 0``: "decaying mode of rate 6.58e8" for a run that was stable,
and "looks stiff, try an implicit method" for a run no method can finish, SciPy's Radau included: a user's
trial).  :func:`jump_columns` differences ``rhs`` in each component at three increments :data:`WIDEN` apart,
on each side: across a jump the quotients grow :data:`WIDEN`-fold at each step down, on a smooth rhs (stiff or
not) they agree, at a kink each side reads its own slope, and a singular derivative (``y ** 0.25`` or a
Michaelis-Menten term ``y / (K + y)`` with ``K`` below the increment, at ``y = 0``) grows by less than
:data:`JUMP_RATIO` at one of the two steps.  :func:`jump_aware_jacobian` replaces a jumping column by the
slope on the far side of the jump, so the other columns' modes still count (a stiff spring beside friction
at rest still warns).  A switch met between saves is found where the trajectory stalls: :func:`stall_switch`
follows it on the host from its last saved state and, where the steps collapse, looks for a jump on its last steps
(:func:`jump_share`: the same quotient test along the path) that the flow on both sides leads back into
(:func:`sliding_switch`: a state held at the switch, not one crossing it), or that its collapsed steps keep crossing
back and forth (:func:`chattering_switch`: a bang-bang law at its target).  :func:`domain_edge` asks instead
whether the rhs stops being finite just below 0 in a state driven there: a MAX_STEPS hint, and a note for a run
that succeeded with a quarter of its steps rejected (:func:`rejected_success_note`).
"""

from __future__ import annotations

import numpy as np

from .errors import UnassignedOutputError, state_text
from .status import MAX_STEPS, SUCCESS
from .host_follow import follow_jac, follow_on_host, follows_on_host
from .stiffness import HostProbe, difference_steps, host_jacobian, states_to_probe

__all__ = ["WIDEN", "JUMP_RATIO", "HINT", "DOMAIN_HINT", "HEADLINES", "jump_columns", "jump_aware_jacobian",
           "domain_edge", "DiscontinuityProbe", "DomainProbe", "discontinuity_probes", "SuccessDomainProbe",
           "success_domain_probe", "rejected_success_note", "NOTE_MIN_ATTEMPTS", "STALL_NOTE", "jump_share",
           "sliding_switch", "chattering_switch", "stall_switch"]

#: Ratio of successive increments, and the growth of the quotient at each step down from which it is a jump
#: (``WIDEN`` across a jump; ``WIDEN ** (1 - a)`` at a singular ``|y| ** a``: 32 for a = 1/4).
WIDEN = 100.0
JUMP_RATIO = 50.0
#: Largest system looked at (6 n right-hand sides a state): as far as the dense stiffness checks go.
MAX_STATES = 256
HINT = (" The rhs jumps at {where} (t = {t:.6g}): its difference quotients grow as the increment shrinks, as "
        "across sign(v) or a branch on the state, so the steps stay tiny where the state keeps meeting the switch "
        "(stick-slip friction) and no method, implicit or explicit, finishes: smooth the switch (tanh(v / eps), eps "
        "small against v's scale) or stop at it with an event (terminal) and start the next regime from there "
        "(stick-slip needs a friction model with a stuck state: v held at 0 while the other forces stay within the "
        "friction's limit, left by an event when they pass it).")


def jump_columns(system, t, y, p):
    """``{j: sides}`` for each component ``j`` across which ``system.rhs`` jumps at ``(t, y)``, ``sides`` the
    directions (+1., -1. or both) whose increments cross it (host, float64); {} for a system with drivers, above
    :data:`MAX_STATES` states, at a non-finite state or where ``rhs`` fails."""
    if system.n_drivers or system.n_states > MAX_STATES:
        return {}
    y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
    if not np.all(np.isfinite(y)):
        return {}
    found = {}
    with np.errstate(all="ignore"):
        try:
            f0 = system.evaluate_rhs(t, y, p)
            shifted = y.copy()
            for j, h in enumerate(difference_steps(y)):
                for side in (1.0, -1.0):
                    sizes = []
                    for step in (h / WIDEN, h, h * WIDEN):
                        shifted[j] = y[j] + side * step
                        sizes.append(float(np.max(np.abs(system.evaluate_rhs(t, shifted, p) - f0))) / step)
                    shifted[j] = y[j]
                    if (np.all(np.isfinite(sizes)) and sizes[0] > JUMP_RATIO * sizes[1]
                            and sizes[1] > JUMP_RATIO * sizes[2]):
                        found[j] = found.get(j, ()) + (side,)
        except (ValueError, ArithmeticError):  # a math domain error of the user's rhs: no verdict
            return {}
    return found


def jump_aware_jacobian(system, t, y, p):
    """``(J, columns)``: the host Jacobian at ``(t, y)`` with each column that jumps (:func:`jump_columns`)
    differenced on the side that does not (the branch active at ``y``: a threshold ``if x > 0.5`` met exactly at
    ``x = 0.5`` keeps its stiff branch, a regression hunt), or where both do (``sign(v)`` at 0, a value of its
    own) on the side of the steeper branch, between ``h`` and ``2 h`` past the jump; the system's own ``jac`` as
    it is (it gives the branches' slopes)."""
    y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
    jac = host_jacobian(system, t, y, p)
    if system.jac is not None:
        return jac, {}
    columns = jump_columns(system, t, y, p)
    if columns:
        steps, shifted = difference_steps(y), y.copy()

        def at(j, offset):
            shifted[j] = y[j] + offset
            out = system.evaluate_rhs(t, shifted, p)
            shifted[j] = y[j]
            return out

        with np.errstate(all="ignore"):
            f0 = system.evaluate_rhs(t, y, p)
            for j, sides in columns.items():
                h = steps[j]
                if len(sides) == 1:  # the other side's one-sided difference
                    side = -sides[0]
                    jac[:, j] = (at(j, side * h) - f0) / (side * h)
                else:
                    slopes = [(at(j, 2.0 * side * h) - at(j, side * h)) / (side * h) for side in (1.0, -1.0)]
                    jac[:, j] = max(slopes, key=lambda column: float(np.max(np.abs(column))))
    return jac, columns


#: A component a step overshoots below 0 by this share of the states' scale (float32's resolution at 1: what a
#: decay to 0 leaves behind).
DIP = 1e-7
DOMAIN_HINT = (" The rhs is not finite where y[:, {i}] dips just below 0 (at {value:.2g} it gives {what}): a "
               "fractional power or a log of a state that decays to 0 (x ** 2.7), so every step that overshoots 0 "
               "is rejected and the run crawls; write a power as max(x, 0.0) ** n (x decaying at rate 1000 read as "
               "x ** 2.7: rodas5p took 33499 steps, 28078 rejected, against 31 with max), and keep a log's argument "
               "above 0 (log(max(x, floor)) with a floor below what matters, or the state on a log scale).")


def domain_edge(system, t, y, p, span):
    """``(i, value, what)`` for the first component ``i`` that can reach 0 over ``span`` (it is 0, or decays at a
    rate that brings it down e^20-fold or more) below which, at ``-DIP`` times the states' scale, ``rhs`` stops
    being finite while it is finite at ``y``; None when there is none (host, float64).  A state that stays far
    from 0 (a temperature in an Arrhenius rate) is not asked."""
    if system.n_drivers:
        return None
    y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
    if not np.all(np.isfinite(y)):
        return None
    scale = float(np.max(np.abs(y))) or 1.0
    with np.errstate(all="ignore"):
        try:
            f = system.evaluate_rhs(t, y, p)
        except (ValueError, ArithmeticError):
            return None
        if not np.all(np.isfinite(f)):
            return None
        # driven down to 0: at 0 and falling, or falling fast enough to get there (z' = 1 - z**1.5 from 0 rises:
        # not asked, a regression hunt)
        reaches = (y >= 0.0) & (f < 0.0) & ((y == 0.0) | (-f * span > 20.0 * y))
        dipped = y.copy()
        i = -1
        try:
            for i in np.flatnonzero(reaches):
                dipped[i] = -DIP * scale
                out = system.evaluate_rhs(t, dipped, p)
                dipped[i] = y[i]
                if not np.all(np.isfinite(out)):
                    return int(i), -DIP * scale, "NaN" if np.isnan(out).any() else "inf"
        except (ValueError, ArithmeticError):  # math.log of a negative number: the same thing, raised
            return int(i), -DIP * scale, "a math domain error"
    return None


#: Right-hand sides the host follow of a stalled trajectory may take (SciPy's Radau: about 0.06 s for 2 states), the
#: accepted steps whose span tells a stall, and the share of the way to the first save not reached below which that
#: span is one: Radau at rtol 1e-3 chattering on Coulomb friction's sign(v) took steps of 1e-8 over a 0.01 gap.
STALL_EVALUATIONS = 2000
STALL_STEPS = 10
STALL_SHARE = 1e-4
#: Bisections that narrow a segment onto its jump (to 1e-12 of it), the largest of the three increments (in shares
#: of the segment) at which the quotient is read there, and the least jump, against the rhs's size, worth naming
#: (the rounding of a state at a segment 1e-20 of it long grows as a jump does).
BISECTIONS = 40
SEGMENT_STEP = 1e-2
JUMP_FLOOR = 1e-6
#: The look-ahead past the path's last state, in its last steps: a stalled path hovers a step or so from its switch.
LOOK_AHEAD = 10.0
#: The share of the look-ahead over which each side's flow must carry a state just beside a jump across it (it lies a
#: millionth of its segment from the jump; its Euler step goes a thousandth of a step or more).
TURN = 1e-3
STALL_NOTE = (" That is where this trajectory stalls: followed on the host from {what} (t = {t_from:.6g}) by SciPy's "
              "Radau, its steps shrink to {step:.2g} there, short of t = {t_stop:.6g}, which the run did not reach: a "
              "switch met between saves, where raising max_steps or loosening rtol and atol only spends more steps.")


def _point(a, b, share):
    """The ``(t, y)`` at ``share`` of the straight segment from ``a`` to ``b`` (each ``(t, y)``; past it beyond 1)."""
    return a[0] + share * (b[0] - a[0]), a[1] + share * (b[1] - a[1])


def jump_share(system, p, a, b):
    """Where along the segment from ``a`` to ``b`` (each ``(t, y)``, float64) ``system.rhs`` jumps, as a share of
    it, else None.  Bisection keeps the half whose ends differ more, which across a jump keeps the jump; there the
    central quotient at :data:`SEGMENT_STEP` and two :data:`WIDEN`-fold smaller increments must grow as
    :func:`jump_columns`' do, and the jump be at least :data:`JUMP_FLOOR` of the rhs: the same test along a path,
    where a state near but not at a switch (v = 4e-10) puts it past :func:`jump_columns`' increments."""
    def at(share):
        return system.evaluate_rhs(*_point(a, b, share), p)

    low, high, f_low, f_high = 0.0, 1.0, at(0.0), at(1.0)
    scale = max(float(np.max(np.abs(f_low))), float(np.max(np.abs(f_high))))
    for _ in range(BISECTIONS):
        middle = 0.5 * (low + high)
        f_middle = at(middle)
        if np.max(np.abs(f_middle - f_low)) >= np.max(np.abs(f_high - f_middle)):
            high, f_high = middle, f_middle
        else:
            low, f_low = middle, f_middle
    share = 0.5 * (low + high)
    steps = (SEGMENT_STEP, SEGMENT_STEP / WIDEN, SEGMENT_STEP / WIDEN ** 2)
    differences = [float(np.max(np.abs(at(share + step) - at(share - step)))) for step in steps]
    sizes = [difference / step for difference, step in zip(differences, steps)]
    jumps = (np.all(np.isfinite(sizes)) and sizes[2] > JUMP_RATIO * sizes[1] > JUMP_RATIO ** 2 * sizes[0]
             and differences[2] > JUMP_FLOOR * scale)
    return share if jumps else None


def _ahead(system, p, point, ahead):
    """The segment from ``point`` (``(t, y)``) along its flow over a time ``ahead``."""
    t, y = point
    return point, (t + ahead, y + ahead * system.evaluate_rhs(t, y, p))


def _crosses(system, p, point, other, time):
    """Whether the flow at ``point`` (``(t, y)``) carries it, within ``time``, to where ``rhs`` is as at ``other``
    (just across a jump from it) rather than as at ``point``: an Euler step, the jump being larger than what
    ``rhs`` changes by over it."""
    f_here, f_other = system.evaluate_rhs(*point, p), system.evaluate_rhs(*other, p)
    f_landed = system.evaluate_rhs(point[0] + time, point[1] + time * f_here, p)
    return float(np.max(np.abs(f_landed - f_other))) < float(np.max(np.abs(f_landed - f_here)))


def sliding_switch(system, p, a, b, ahead):
    """``(t, y)`` of a jump of ``rhs`` on the segment from ``a`` to ``b`` (:func:`jump_share`) across which the
    flow on either side carries the state (within :data:`TURN` of a time ``ahead``), else None: a state the flow
    holds at the switch, as a mass stuck under Coulomb friction, where the steps stay tiny.  A switch the path
    crosses (a bang-bang relay, friction reversing mid-swing) is not one: the flow on its far side leads away."""
    share = jump_share(system, p, a, b)
    if share is None:
        return None
    near, far = (_point(a, b, share + side * SEGMENT_STEP / WIDEN ** 2) for side in (-1.0, 1.0))
    time = TURN * ahead
    if _crosses(system, p, near, far, time) and _crosses(system, p, far, near, time):
        return _point(a, b, share)
    return None


#: Crossings of a jump on a stalled path's collapsed steps (each under :data:`STALL_SHARE` of the way) from which the
#: path is held at the switch though neither side's flow there leads back into it, and the most of those steps looked
#: at, latest first (each a :func:`jump_share`, about 50 right-hand sides).  A bang-bang law at its target
#: (``u = -U if x + v|v|/(2U) > 0 else U``, at the origin) chatters: its branches meet at a point, and the path
#: crosses the switch curve near it on 18 to 32 of its last 50 collapsed steps (43 stalled starts of 45 tried); the
#: flow at such a crossing, a step from that point, runs along the curve on one side, so :func:`sliding_switch` found
#: it from rodas5p's and kvaerno5's saves at t = 1 but not from radau's or tsit5's, 1e-15 from them, and those two
#: were told to raise max_steps (a control engineer's trial).  A path stalled where it crosses a switch crossed it
#: once there (friction reversing mid-swing: 3 stalls in 177 budgets, 300 to 3996, each with one crossing).
CHATTER_CROSSINGS = 4
CHATTER_STEPS = 50


def chattering_switch(system, p, times, states, way):
    """``(t, y)`` of the latest jump (:func:`jump_share`) on a path's collapsed steps (``times``, ``states``: its
    accepted ones; collapsed: each under :data:`STALL_SHARE` of ``way``, back from its last, at most
    :data:`CHATTER_STEPS`) where it crosses a jump on :data:`CHATTER_CROSSINGS` or more of them, else None: a path
    that keeps crossing a switch back and forth is held at it, whatever its flow does a step away."""
    found, crossings = None, 0
    for i in range(len(times) - 1, max(len(times) - 1 - CHATTER_STEPS, 0), -1):
        if not times[i] - times[i - 1] < STALL_SHARE * way:
            break
        a, b = (times[i - 1], states[i - 1]), (times[i], states[i])
        share = jump_share(system, p, a, b)
        if share is not None:
            crossings += 1
            found = found or _point(a, b, share)
            if crossings >= CHATTER_CROSSINGS:
                return found
    return None


def stall_switch(system, p, t_from, y_from, t_stop):
    """``(t, y, step)``: where SciPy's Radau following ``(t_from, y_from)`` towards ``t_stop`` stalls
    (:func:`_stalled_path`) on a switch the flow holds it at (:func:`sliding_switch`, on the look-ahead past its
    last state, then on its last :data:`STALL_STEPS` steps, latest first) or that its collapsed steps keep crossing
    (:func:`chattering_switch`), and its last step there; None where it does not stall, meets no such switch (a
    switch it crosses once), or cannot follow (a probe that cannot run adds nothing)."""
    if not follows_on_host(system) or not t_stop > t_from:
        return None
    with np.errstate(all="ignore"):
        try:
            stalled = _stalled_path(system, p, t_from, y_from, t_stop)
            if stalled is None:
                return None
            times, states, steps = stalled
            ahead = LOOK_AHEAD * float(steps.max())
            segments = [_ahead(system, p, (times[-1], states[-1]), ahead)]
            segments += [((times[i - 1], states[i - 1]), (times[i], states[i]))
                         for i in range(len(times) - 1, len(times) - 1 - STALL_STEPS, -1)]
            for a, b in segments:
                found = sliding_switch(system, p, a, b, ahead)
                if found is not None:
                    return float(found[0]), found[1], float(steps[-1])
            found = chattering_switch(system, p, times, states, t_stop - t_from)
            if found is not None:
                return float(found[0]), found[1], float(steps[-1])
        except UnassignedOutputError:  # the cause: HostProbe.hint says it
            raise
        except Exception:  # noqa: BLE001 - the user's rhs failing on the host: no verdict
            return None
    return None


def _stalled_path(system, p, t_from, y_from, t_stop):
    """``(times, states, steps)`` of SciPy's Radau (:func:`kernels.stiffness.follow_on_host`, at most
    :data:`STALL_EVALUATIONS` right-hand sides) from ``(t_from, y_from)`` towards ``t_stop`` where it stops short
    with its last :data:`STALL_STEPS` steps (``steps``) spanning under :data:`STALL_SHARE` of the way; else None
    (it got there, or its steps had not collapsed)."""
    jac = follow_jac(system, p)
    times, states, outcome = follow_on_host(system.host_rhs(p), t_from, t_stop, y_from, STALL_EVALUATIONS, jac=jac,
                                            outcome=True)
    steps = np.diff(times[-STALL_STEPS - 1:])
    if outcome == "finished" or steps.size < STALL_STEPS or steps.sum() > STALL_SHARE * (t_stop - t_from):
        return None
    return times, states, steps


class DiscontinuityProbe(HostProbe):
    """:data:`HINT` for a trajectory stopped at MAX_STEPS whose rhs jumps at its initial or last saved state, or
    where its path, followed on the host from the last of them, stalls on a jump before the first save the run did
    not reach (:func:`stall_switch`, with :data:`STALL_NOTE`): a structural engineer's forced mass under Coulomb
    friction moving at its last save stuck between saves and was told to raise max_steps."""

    STATUSES = (MAX_STEPS,)

    def __init__(self, system, y0, params, t0, t_end):
        self.system, self.y0, self.params, self.t0, self.t_end = system, y0, params, t0, t_end
        self.found = {}  # hints of the host follow, by trajectory: asked once

    def _hint(self, trajectory, t_saved=None, y_saved=None):
        p, candidates = states_to_probe(self, trajectory, t_saved, y_saved)
        for what, t, y in candidates:
            if jump_columns(self.system, t, y, p):
                return HINT.format(where=what, t=t)
        if trajectory not in self.found:
            self.found[trajectory] = self._stall_hint(p, candidates[-1], t_saved)
        return self.found[trajectory]

    def _stall_hint(self, p, start, t_saved):
        """:data:`HINT` and :data:`STALL_NOTE` where the path from ``start`` (``(what, t, y)``: the last finite saved
        state, else the initial one) stalls on a jump before the next save time in ``t_saved`` (else ``t_end``)."""
        what, t_from, y_from = start
        later = np.zeros(0) if t_saved is None else np.asarray(t_saved, np.float64)
        later = later[later > t_from]
        t_stop = float(later[0]) if later.size else self.t_end
        found = stall_switch(self.system, np.asarray(p, np.float64), float(t_from),
                             np.asarray(y_from, np.float64), t_stop)
        if found is None:
            return ""
        t, y, step = found
        return HINT.format(where=f"y = {state_text(y)}", t=t) + STALL_NOTE.format(
            what=what, t_from=t_from, step=step, t_stop=t_stop)


class DomainProbe(DiscontinuityProbe):
    """:data:`DOMAIN_HINT` for a trajectory stopped at MAX_STEPS whose rhs is not finite just below 0 in a state
    driven down to 0 (:func:`domain_edge`), at its initial or last saved state: asked after the stiffness and
    solver probes (a stiff problem with a log in it is stiff first)."""

    def _hint(self, trajectory, t_saved=None, y_saved=None):
        p, candidates = states_to_probe(self, trajectory, t_saved, y_saved)
        for _, t, y in candidates:
            edge = domain_edge(self.system, t, y, p, self.t_end - t)
            if edge is not None:
                return DOMAIN_HINT.format(i=edge[0], value=edge[1], what=edge[2])
        return ""


def discontinuity_probes(system, status, y0, params, t0, t_end):
    """``(DiscontinuityProbe, DomainProbe)`` when a trajectory stopped at MAX_STEPS and the system can be looked
    at, else ``(None, None)``."""
    if status is None or system.n_drivers or system.n_states > MAX_STATES or not np.any(
            np.asarray(status) == MAX_STEPS):
        return None, None
    inputs = (system, np.array(y0, np.float64), np.array(params, np.float64), float(t0), float(t_end))
    return DiscontinuityProbe(*inputs), DomainProbe(*inputs)


#: ``(template, headline)`` as :data:`kernels.jacobian_hint.HEADLINES`: the causes this module's MAX_STEPS hints name.
HEADLINES = (
    (HINT, "Likely cause: the rhs jumps at {where} (t = {t}), as across sign(v) or a branch on the state, so the "
           "steps stay tiny there: smooth the switch, or stop at it with a terminal event."),
    (DOMAIN_HINT, "Likely cause: the rhs gives {what} where y[:, {i}] dips just below 0 (a fractional power or a log "
                  "of a state that decays to 0), so every step that overshoots 0 is rejected: write a power as "
                  "max(x, 0.0) ** n."),
)


class SuccessDomainProbe(DomainProbe):
    """:data:`DOMAIN_HINT` for a trajectory that succeeded with many of its steps rejected, where its rhs is not
    finite just below 0 in a state driven down to 0 (:func:`domain_edge`, at its initial or last saved state)."""

    STATUSES = (SUCCESS,)


def success_domain_probe(system, status, rejected, y0, params, t0, t_end):
    """A :class:`SuccessDomainProbe` when a trajectory succeeded with at least a fifth of its attempts rejected
    (``rejected``: :func:`kernels.rhs_hint.mostly_rejected`'s mask, or None) and the system can be looked at, else
    None: only inputs are kept here; the rhs is evaluated when a message is asked for."""
    if status is None or rejected is None or system.n_drivers or system.n_states > MAX_STATES:
        return None
    if not np.any((np.asarray(status) == SUCCESS) & np.asarray(rejected, bool)):
        return None
    return SuccessDomainProbe(system, np.array(y0, np.float64), np.array(params, np.float64), float(t0),
                              float(t_end))


#: Attempted steps from which a successful run's rejected share is worth a note (below it, a few hundred steps).
NOTE_MIN_ATTEMPTS = 100
SHARE_NOTE = " It spent {rejected} of its {attempts} attempted steps ({share:.0%}) on rejected ones."


def rejected_success_note(result, trajectory):
    """Its share and :data:`DOMAIN_HINT` for a successful trajectory of ``result`` that rejected at least a quarter
    (:data:`kernels.status_messages.REJECTED_SHARE`) of at least :data:`NOTE_MIN_ATTEMPTS` attempted steps, where
    its probe finds a state that overshoots 0 into a non-finite rhs; '' otherwise.  A biologist's trial: a Hill term's
    y ** 2.3 of a state decaying to 0 succeeded with 119 of 381 steps rejected and no word (with max(y, 0.0) ** 2.3:
    121 steps, none rejected).  The share alone says nothing: an ordinary run rejects up to a third of its attempts
    (Van der Pol with mu = 1000 over two periods: radau 24 %, rodas5p 32 %; Lorenz 12 %, Robertson 2 %).  A Krylov
    run's share is said by its own note (:func:`kernels.result_notes.krylov_rejected_note`): only the cause here."""
    from .result_notes import host_array
    from .status_messages import REJECTED_SHARE

    if result.n_steps is None or result.n_rejected is None or int(host_array(result.status)[trajectory]) != SUCCESS:
        return ""
    accepted, rejected = (int(host_array(counts)[trajectory]) for counts in (result.n_steps, result.n_rejected))
    attempts = accepted + rejected
    if attempts < NOTE_MIN_ATTEMPTS or rejected < REJECTED_SHARE * attempts:
        return ""
    cause = _domain_cause(result, trajectory)
    if not cause or result.linear in ("gmres", "bicgstab"):
        return cause
    return SHARE_NOTE.format(rejected=rejected, attempts=attempts, share=rejected / attempts) + cause


def _domain_cause(result, trajectory):
    """:data:`DOMAIN_HINT` from the result's :class:`SuccessDomainProbe` (held by
    :class:`kernels.stiffness_note.NotedProbe`) for ``trajectory``, or ''."""
    probe = getattr(result.stiffness_probe, "domain", None)
    if probe is None:
        return ""
    saved = result.y[trajectory] if isinstance(result.y, np.ndarray) else None
    return probe.hint(trajectory, result.t, saved)
