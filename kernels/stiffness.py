"""The stiffness hint: does a trajectory that an explicit method could not finish look stiff?

An explicit method on a stiff problem is held to a step of about
``B / rho(J)`` by stability (``B``, the end of its stability region on the
negative real axis, is 2.5 to 4 for the explicit Runge-Kutta methods here),
however smooth the solution; it then needs ``rho(J) (t_end - t0) / B``
steps.  A trajectory that stopped at MAX_STEPS is called stiff-looking when,
at its initial state or its last saved state,

* the Jacobian's spectral radius ``rho(J)`` is at least :data:`STIFF_RATIO`
  times the rate the solution itself changes at, ``||f|| / ||y||`` (the
  classic stiffness ratio: fast modes that have died out dominate ``J``),
* and stability alone would need more steps than ``max_steps`` over the span.

Fast modes are not yet stiffness that matters: a spiking neuron's Jacobian is over 100 times faster than its
solution at rest, yet an explicit method finishes in fewer steps than an implicit one.  So where the trajectory
can be followed on the host, the hint says "looks stiff" only when the explicit method's stable step needs at
least :data:`IMPLICIT_ADVANTAGE` times more steps along that path than SciPy's Radau took there
(:func:`implicit_advantage`), and says nothing otherwise; where it cannot be followed (over 64 states, or an
rhs that fails on the host; a system with drivers is followed with them interpolated,
:func:`kernels.drivers.driven_on_host`) a stiffness ratio below :data:`STRONG_RATIO` gives the hedged
:data:`HEDGED_HINT`.

The check runs on the host from the initial states and the saved states
(the device loop records no step size), lazily when
:meth:`kernels.IVPResult.message` is asked, at the cost of ``n_states``
right-hand sides (or one ``jac``) and a small eigenvalue problem per
state looked at.  A problem that turns stiff only after its start
(Robertson after its transient, from ``y0 = (1, 0, 0)``) and saved nothing
that shows it is followed on the host by SciPy's Radau at rtol 1e-3, and
:data:`PATH_POINTS` of its states are looked at too (:func:`_followed`, up to 64
states and 3000 right-hand sides).  The hint never fires on an
accuracy-limited problem whose Jacobian is not far stiffer than its
solution (Lorenz).

A fixed step is not shortened: an explicit method whose ``dt`` is beyond
``B / r`` grows the fast modes by a factor a step until the state
overflows (NONFINITE_STATE).  For such a trajectory the hint says so when
``r dt > B`` at its initial or last saved state, ``r`` the fastest decay rate
``max(-Re lambda(J))`` (a growing mode grows in the exact solution too) and ``B`` the method's own
boundary (:func:`stability_boundary`; :data:`FIXED_HINT`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .errors import UnassignedOutputError
from .host_follow import HOST_FOLLOW_STATES, follow_jac, follow_on_host, follows_on_host
from .step_stability import stability_polynomial

__all__ = ["difference_steps", "STIFF_RATIO", "IMPLICIT_ADVANTAGE", "STRONG_RATIO", "HEDGED_HINT", "STIFF_MARK",
           "HEDGED_MARK", "implicit_advantage",
           "STABILITY_BOUNDARY", "IMPLICIT_METHODS", "StiffnessProbe", "spectral_radius",
           "fastest_decay", "unmatched_decay", "MATCHED_GROWTH", "looks_stiff", "stability_boundary",
           "explained_status", "HINT", "FIXED_HINT",
           "IMPLICIT_ADVICE"]

STIFF_RATIO = 100.0
#: Steps an explicit method needs over the span for stability alone below which nothing is called stiff: an SEIR
#: model (fastest mode 0.37 a day over 365 days, 34 such steps) stopped by max_steps=20 was told to try an
#: implicit method, which max_steps=20 stopped too (a user's trial); Van der Pol with mu = 1000 over t = 1 needs 312
#: from y0 = (1.5, 0), 750 from (2, 0).
STIFF_MIN_STEPS = 100
STABILITY_BOUNDARY = 4.0  # the largest real-axis stability interval among the explicit methods (generous)
IMPLICIT_METHODS = ("rodas5p", "radau", "kvaerno5")
#: Which implicit methods the hints name, and when: radau first, within a few tolerances on smooth and switching
#: problems alike (float64, rtol 1e-4 to 1e-8, against SciPy's Radau at 1e-11: 0.002 to 10.5 on a ring oscillator of
#: tanh inverters, a rate-and-state friction slider, a low-temperature nuclear network, Robertson, HIRES and Van der
#: Pol; investigation 360).  rodas5p only on smooth problems, where it takes 1.2 to 2 times fewer, cheaper steps
#: (Robertson 0.15 to 1.55 tolerances, HIRES 0.6 to 2.4): where the state switches fast or a rate turns steeply its
#: 4th-order embedded solution is almost as good as its 5th-order one, so their difference vanishes by chance, and it
#: ended 36 to 761 tolerances off with status success on those three (the circuits, cardiac and geophysics trials;
#: investigation 346 matched the tableau to OrdinaryDiffEq's), with no rejected step to show it.  rodas4 is no remedy
#: there (557 off on the slider, 8 to 27 on the network), nor is kvaerno5 radau's equal: its error estimate is
#: optimistic on oscillations and forcing (a stiff TMDD model ended 1.6 to 5 tolerances off with it, 0.01 to 0.13
#: with radau: a pharmacometrician's trial; the README's figures).
IMPLICIT_ADVICE = ("method='radau' (within a few tolerances on smooth and switching problems alike); 'rodas5p' takes "
                   "1.2 to 2 times fewer, cheaper steps on smooth problems (chemical kinetics, pharmacokinetics) but "
                   "can end 100 or more tolerances off with status success where the state switches fast or a rate "
                   "turns steeply (circuits, neurons, friction, reaction networks at low temperature), which its "
                   "rejected steps do not show: check it against radau on a few rows)")
#: How many times more steps an explicit method's stable step needs along the host path than SciPy's Radau took
#: there, at least, for the hint to call the problem stiff: Hodgkin-Huxley at I = 10 over 200 ms, 0.8 (its
#: spikes' fast modes; tsit5 took 1145 steps, radau 1341, rodas5p 1575, and the hint had named them: a
#: neuroscientist's trial); Van der Pol with mu = 1000, 31 to 83; FitzHugh-Nagumo (eps = 1e-4), 128; Robertson, 4e3.
IMPLICIT_ADVANTAGE = 10.0
#: Where no host path can judge, the stiffness ratio above which the hint still says "looks stiff" unhedged.
STRONG_RATIO = 1000.0
STIFF_MARK = " The problem looks stiff"
HEDGED_MARK = " If the problem is stiff"
HINT = (STIFF_MARK + " (its Jacobian's fastest mode is at least {ratio:.0f} times faster than the "
        "solution changes, so the explicit method's stable step is far below what the span needs): try an "
        "implicit method, " + IMPLICIT_ADVICE + ".")
#: What :data:`HINT` adds where the steps the stable step needs are known (a lower bound: the path may be partial).
STEPS_CLAUSE = (" Or raise max_steps well above {steps:.2g}: stability alone holds this explicit method to at least "
                "about that many steps over the span.")
HEDGED_HINT = (HEDGED_MARK + " (its Jacobian's fastest mode is at least {ratio:.0f} times faster than the solution "
               "changes, which a brief fast transient such as a neuron's spike shows too), an implicit method may "
               "take fewer steps: if a run with a larger max_steps still stops, try " + IMPLICIT_ADVICE + ".")
FIXED_HINT = (" The fixed step dt = {dt:.3g} is beyond this explicit method's stable step here (the "
              "Jacobian's fastest decaying mode has rate {rate:.3g}, so dt must stay below about {limit:.3g}); "
              "a stiff problem blows up this way: take a smaller dt, an adaptive controller, or an implicit "
              "method, " + IMPLICIT_ADVICE + ".")
_DENSE_LIMIT = 256  # above it, power iteration instead of eigenvalues of the dense Jacobian


def difference_steps(y):
    """The forward-difference increment of each component at ``y``: ``sqrt(eps) |y_j|``, relative to each component
    (a step of sqrt(eps) at states of 1e-9 measured a nonlinear rhs's slope far from the point: a dimerisation at
    1e-9 read as rate 17 for 2), and for a component at 0 the same of the largest state, at most 1 (beside an
    unrelated state of 1e8 the step at v = 0 was 1.5, past the 0.01 over which a drag 100 v / (0.01 + |v|) turns:
    its rate of 1e4 read as 66, a regression hunt); a subnormal component steps as one of :data:`_SMALLEST_BASE`."""
    typical = min(float(np.max(np.abs(y))) or 1.0, 1.0)
    return _ROOT_EPS * np.where(y != 0.0, np.maximum(np.abs(y), _SMALLEST_BASE), typical)


_ROOT_EPS = float(np.sqrt(np.finfo(np.float64).eps))
# below this a relative step is subnormal or 0: an extinct species held at 5e-324 made every difference 0 / 0, and a
# float64 tsit5 run of a food web took 8199 stability-held steps with no StiffnessWarning (an ecologist's trial)
_SMALLEST_BASE = float(np.finfo(np.float64).tiny) / _ROOT_EPS


def host_jacobian(system, t, y, p):
    """The dense Jacobian at ``(t, y)`` on the host: the system's ``jac`` or forward differences of its ``rhs``."""
    n = system.n_states
    jac = np.zeros(n * n)
    if system.jac is not None:
        system.run_host(system.jac, (t, y, p, jac))
        return jac.reshape(n, n)
    f0, f1 = np.empty(n), np.empty(n)
    system.evaluate_rhs(t, y, p, out=f0)
    out = jac.reshape(n, n)
    shifted = y.copy()
    for j, delta in enumerate(difference_steps(y)):
        shifted[j] = y[j] + delta
        system.evaluate_rhs(t, shifted, p, out=f1)
        shifted[j] = y[j]
        out[:, j] = (f1 - f0) / delta
    return out


def _power_iteration(system, t, y, p, iterations=40):
    """``(|lambda|, v . J v)`` of the dominant eigenvalue by power iteration on differences of the rhs
    (the Rayleigh quotient of the last unit vector gives the sign of a real dominant eigenvalue)."""
    n = system.n_states
    f0, f1 = np.empty(n), np.empty(n)
    system.evaluate_rhs(t, y, p, out=f0)
    v = np.random.default_rng(0).standard_normal(n)
    rho, rayleigh = 0.0, 0.0
    for _ in range(iterations):
        v /= np.linalg.norm(v)
        delta = np.sqrt(np.finfo(np.float64).eps) * (np.linalg.norm(y) or 1.0)
        system.evaluate_rhs(t, y + delta * v, p, out=f1)
        w = (f1 - f0) / delta
        rho, rayleigh, v = float(np.linalg.norm(w)), float(v @ w), w
        if rho == 0.0 or not np.isfinite(rho):
            break
    return rho, rayleigh


class HostProbe:
    """The part of :meth:`IVPResult.message`'s probe protocol that host probes share: a subclass names the
    statuses it explains (``STATUSES``) and writes ``_hint``; ``hint`` never raises (a message must not
    fail: a probe that cannot be evaluated gives '')."""

    STATUSES = ()

    def explains(self, code) -> bool:
        """Whether :meth:`hint` has something to say about a trajectory of status ``code``."""
        return int(code) in self.STATUSES

    def hint(self, trajectory, t_saved=None, y_saved=None) -> str:
        """The probe's hint for ``trajectory`` (its saved times and states), or ''."""
        try:
            return self._hint(trajectory, t_saved, y_saved)
        except UnassignedOutputError as exc:  # the cause, whatever the status: say it instead
            return f" The host found the cause: {exc}."
        except Exception:  # noqa: BLE001 - a message must never fail: no hint
            return ""


def states_to_probe(probe, trajectory, t_saved=None, y_saved=None):
    """``(p, [(what, t, y), ...])`` for a hint on ``trajectory``: its parameters, its initial state, then its last
    finite saved state when there is one.  ``probe`` holds the solve's host ``system``, ``y0``, ``params``, ``t0``
    (a one-row ``y0`` or ``params`` is shared by every trajectory)."""
    p = probe.params[min(trajectory, len(probe.params) - 1)] if probe.system.n_params else np.zeros(0)
    candidates = [("the initial state", probe.t0, probe.y0[min(trajectory, len(probe.y0) - 1)])]
    if y_saved is not None and t_saved is not None:
        finite = np.flatnonzero(np.all(np.isfinite(np.asarray(y_saved, np.float64)), axis=1))
        if finite.size:
            k = int(finite[-1])
            candidates.append(("the last finite saved state", float(t_saved[k]), y_saved[k]))
    return p, candidates


def _dominant(system, t, y, p, of_eigenvalues, of_power, jumps=False):
    """``of_eigenvalues(eig(J))`` up to :data:`_DENSE_LIMIT` states, else ``of_power(*_power_iteration(...))``
    (host, float64); NaN when it cannot be evaluated.  With ``jumps`` a differenced column across a jump of
    ``rhs`` is differenced past it (:func:`kernels.discontinuity.jump_aware_jacobian`)."""
    y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
    try:
        if system.n_states <= _DENSE_LIMIT:
            if jumps:
                from .discontinuity import jump_aware_jacobian

                return float(of_eigenvalues(np.linalg.eigvals(jump_aware_jacobian(system, t, y, p)[0])))
            return float(of_eigenvalues(np.linalg.eigvals(host_jacobian(system, t, y, p))))
        return float(of_power(*_power_iteration(system, t, y, p)))
    except (np.linalg.LinAlgError, ValueError, ArithmeticError):
        return float("nan")


def spectral_radius(system, t, y, p, jumps=False, growing=True) -> float:
    """``max |lambda(J(t, y))|`` of the system (host, float64); NaN when it cannot be evaluated.  Without
    ``growing``, over the modes that do not grow faster than they turn (``Re lambda <= |Im lambda|``): a mode
    growing along the real axis grows in the exact solution too and is no stiffness (a recovery rate given as -60
    was told "looks stiff, try an implicit method": a user's trial)."""
    if growing:
        return _dominant(system, t, y, p, lambda lam: np.max(np.abs(lam)), lambda rho, rayleigh: rho, jumps)
    return _dominant(system, t, y, p, lambda lam: np.max(np.abs(lam[lam.real <= np.abs(lam.imag)]), initial=0.0),
                     lambda rho, rayleigh: rho if rayleigh <= 0.0 else 0.0, jumps)


def largest_growth(system, t, y, p, backwards=False) -> float:
    """``max Re lambda(J(t, y))`` in the direction of integration (> 0 for a growing mode; host, float64); NaN
    when it cannot be evaluated.  Above 256 states, the dominant eigenvalue's rate where it grows, else 0."""
    sign = -1.0 if backwards else 1.0
    return _dominant(system, t, y, p, lambda lam: np.max(sign * lam.real),
                     lambda rho, rayleigh: rho if sign * rayleigh > 0.0 else 0.0)


def fastest_decay(system, t, y, p, jumps=False) -> float:
    """``max(-Re lambda(J(t, y)))``, 0 when no mode decays (host, float64); NaN when it cannot be evaluated.

    The rate that limits an explicit step's stability on a stiff problem.  A growing mode (``Re lambda > 0``)
    grows in the exact solution too, so it is no reason to name an implicit method.  Above 256 states
    only the dominant eigenvalue is found (power iteration): its rate when it decays, else 0.
    """
    return _dominant(system, t, y, p, lambda lam: max(0.0, np.max(-lam.real)),
                     lambda rho, rayleigh: rho if rayleigh < 0.0 else 0.0, jumps)


#: A decaying mode counts as stiff only where no mode grows at more than this share of its rate: at the periapsis of
#: an eccentric Kepler orbit the Jacobian's real eigenvalues are +-sqrt(2 GM / r^3), a saddle whose growing half the
#: solution follows, so an explicit step there is held by accuracy as much as by stability (dop853 told to use radau
#: took 2085 steps, radau 40211: an orbital dynamicist's trial).
MATCHED_GROWTH = 0.1


def unmatched_decay(system, t, y, p) -> float:
    """:func:`fastest_decay` where no mode grows faster than :data:`MATCHED_GROWTH` of it, else 0 (host, float64); NaN
    when it cannot be evaluated.  Above 256 states, the dominant eigenvalue's rate where it decays, else 0."""
    def of_eigenvalues(lam):
        decay = max(0.0, np.max(-lam.real))
        return decay if np.max(lam.real) <= MATCHED_GROWTH * decay else 0.0

    return _dominant(system, t, y, p, of_eigenvalues, lambda rho, rayleigh: rho if rayleigh < 0.0 else 0.0)


def _verdict(judge, y, p):
    """``judge(y, p)`` on float64 copies of a finite state, None for a non-finite one or a math error."""
    y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
    if not np.all(np.isfinite(y)):
        return None
    with np.errstate(all="ignore"):
        try:
            return judge(y, p)
        except (ValueError, ArithmeticError):  # a math domain error of the user's rhs: no verdict
            return None


def looks_stiff(system, t, y, p, span, max_steps):
    """The stiffness ratio ``rho(J) / (||f|| / ||y||)`` at ``(t, y)`` when the state looks stiff, else None."""
    return _verdict(lambda y, p: _ratio(system, t, y, p, span, max_steps), y, p)


def _ratio(system, t, y, p, span, max_steps):
    rho = spectral_radius(system, t, y, p, growing=False)
    if np.isfinite(rho) and rho * span / STABILITY_BOUNDARY > max_steps and system.jac is None:
        rho = spectral_radius(system, t, y, p, jumps=True, growing=False)  # confirmed past any jump of rhs
    if not np.isfinite(rho) or rho * span / STABILITY_BOUNDARY <= max(max_steps, STIFF_MIN_STEPS):
        return None
    f = system.evaluate_rhs(t, y, p)
    rate = max(float(np.linalg.norm(f)) / max(float(np.linalg.norm(y)), 1e-300), 1.0 / span)
    if not np.isfinite(rate) or rho < STIFF_RATIO * rate:
        return None
    return rho / rate


def explained_status(adaptive) -> int:
    """The status the hint explains: MAX_STEPS for an adaptive run, NONFINITE_STATE for a fixed step."""
    from .status import MAX_STEPS, NONFINITE_STATE

    return MAX_STEPS if adaptive else NONFINITE_STATE


@dataclasses.dataclass(frozen=True)
class StiffnessProbe(HostProbe):
    """What :meth:`IVPResult.message` needs to judge a trajectory: the system and its inputs (host).

    ``dt`` None: an adaptive run, judged when it stopped at MAX_STEPS (:data:`HINT`); a step size: a
    fixed-step run, judged when it stopped at NONFINITE_STATE (:data:`FIXED_HINT`) against the method's
    ``boundary`` (:func:`stability_boundary`).
    """

    system: object
    y0: np.ndarray
    params: np.ndarray
    t0: float
    t_end: float
    max_steps: int
    dt: float | None = None
    boundary: float = STABILITY_BOUNDARY
    # column_ranges of y0 and params, kept by kernels.outlier_inputs (a batch read once a result)
    input_ranges: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @property
    def status(self) -> int:
        """The status code this probe explains."""
        return explained_status(adaptive=self.dt is None)

    def explains(self, code) -> bool:
        """Whether :meth:`hint` has something to say about a trajectory of status ``code``."""
        return int(code) == self.status

    def _hint(self, trajectory, t_saved=None, y_saved=None) -> str:
        """The filled hint when the trajectory looks stiff at ``y0``, at its last finite saved state or along its
        host path, worded by how strong the evidence is (:meth:`_worded`), else ''; opened by the trajectory's lone
        negative parameters that made it stiff there (:func:`kernels.param_sign.stiff_sign_note`)."""
        span = self.t_end - self.t0
        p, candidates = states_to_probe(self, trajectory, t_saved, y_saved)
        if self.dt is not None:
            return self._fixed_hint(p, candidates)
        followed, states = self._along_path(p, candidates)
        for t, y in states:
            ratio = looks_stiff(self.system, t, y, p, span, self.max_steps)
            if ratio is not None:  # led by a lone negative parameter that made it stiff (a user's trial)
                from .param_sign import stiff_sign_note  # (it imports this module)

                worded = self._worded(ratio, followed, p)
                return worded and stiff_sign_note(self, trajectory, t, y) + worded
        return ""

    def _along_path(self, p, candidates, states=None, sparsity=None):
        """``(followed, states)``: the host path from the trajectory's ``y0`` (:func:`_followed`, with its ``states``,
        :data:`HOST_FOLLOW_STATES` for None, and ``sparsity``) and the ``(t, y)`` the hints judge, ``candidates``'
        (:func:`states_to_probe`) then the path's (:meth:`_path_points`)."""
        followed = _followed(self.system, candidates[0][2], p, self.t0, self.t_end,
                             HOST_FOLLOW_STATES if states is None else states, sparsity)
        return followed, [(t, y) for _, t, y in candidates] + (_picked(followed, self._path_points()) or [])

    def _worded(self, ratio, followed, p):
        """:data:`HINT` (with :data:`STEPS_CLAUSE`) where the host path shows an implicit method taking at least
        :data:`IMPLICIT_ADVANTAGE` times fewer steps, '' where it shows fewer (fast modes, no stiffness that
        matters: raising max_steps is the remedy), and without a path :data:`HINT` from :data:`STRONG_RATIO` on,
        else :data:`HEDGED_HINT`."""
        if not followed or len(followed[0]) < 2:
            return HINT.format(ratio=ratio) if ratio >= STRONG_RATIO else HEDGED_HINT.format(ratio=ratio)
        advantage, stable_steps = implicit_advantage(self.system, followed, p, self._path_points())
        if not advantage >= IMPLICIT_ADVANTAGE:
            return ""
        return HINT.format(ratio=ratio) + STEPS_CLAUSE.format(steps=stable_steps)

    def _path_points(self):
        """How many states of the host path to judge: every one of its steps up to :data:`HINT_PATH_POINTS`
        (they crowd where the solution moves fast), fewer for larger systems (``n + 1`` rhs a state).  Eight
        missed the stiff stretches of a relaxation oscillation (FitzHugh-Nagumo, eps = 1e-4) once a ``jac``
        moved the host solver's steps: the hint was gone (a user's trial)."""
        return min(HINT_PATH_POINTS, max(PATH_POINTS, _PATH_EVALUATIONS // (self.system.n_states + 1)))

    def _fixed_hint(self, p, candidates):
        """:data:`FIXED_HINT` at the fastest decay the step cannot follow along the solution: ``y0`` and the states
        of the host path, every one of its steps (they crowd where the solution moves fast, as in a neuron's
        spike); the last saved state only when there is no path, as the run may already have been diverging there
        (a user's trial: Hodgkin-Huxley under rk4 at dt 0.1, judged at a saved V of 2e6 mV, said dt below 6.7e-6
        where 0.05 runs)."""
        path = _path(self.system, candidates[0][2], p, self.t0, self.t_end, self._path_points())
        start = [(self.t0, candidates[0][2])]
        states = start + path if path else start if path is None else [(t, y) for _, t, y in candidates]
        rates = [_fixed_step_decay(self.system, t, y, p, self.dt, self.boundary) for t, y in states]
        rates = [rate for rate in rates if rate is not None]
        if not rates:
            return ""
        rate = max(rates)
        return FIXED_HINT.format(dt=self.dt, rate=rate, limit=self.boundary / rate)


#: States along the host path (:func:`_followed`) looked at, and its bounds; the explicit methods' hints look at up
#: to :data:`HINT_PATH_POINTS` (stiffness and a step's limit show where the solution moves fast, which 8 miss).
PATH_POINTS = 8
HINT_PATH_POINTS = 400
_PATH_EVALUATIONS = 3000


def _path(system, y0, p, t0, t_end, points=PATH_POINTS):
    """Up to ``points`` ``(t, y)`` along the trajectory from ``y0`` on the host (:func:`_followed`, :func:`_picked`);
    None where the solution blows up."""
    return _picked(_followed(system, y0, p, t0, t_end), points)


def _picked(followed, points):
    """Up to ``points`` ``(t, y)`` of a :func:`_followed` path (every one of its steps, spread evenly where there
    are more); None and [] as it gives them."""
    if not followed or len(followed[0]) < 2:
        return followed if followed is None else []
    times, states = followed
    return [(float(times[i]), states[i]) for i in _path_indices(times, points)]


def _path_indices(times, points):
    """Up to ``points`` indices of a followed path's steps past its start (every one where it has fewer), evenly
    spread: the states :func:`_picked` and :func:`implicit_advantage` look at."""
    return np.unique(np.linspace(1, times.size - 1, points).round().astype(int))


def _followed(system, y0, p, t0, t_end, states=HOST_FOLLOW_STATES, sparsity=None):
    """``(times, states)`` of SciPy's Radau at rtol 1e-3 from ``y0`` (host); None where it fails (the solution
    blows up: no state of the path tells a stable step), () where the system is not followed or its rhs fails on
    the host.

    For a problem that turns stiff only after ``t0`` and saved nothing before it stopped (Robertson from
    ``(1, 0, 0)`` with the default ``t_eval``).  An implicit solver follows it in few steps; past
    :data:`_PATH_EVALUATIONS` right-hand sides the states are taken from the part followed (the Oregonator
    without ``jac`` needs 3129 to reach t = 360, and is stiff from t = 25).  Nothing for a system
    of more than ``states`` states (:data:`HOST_FOLLOW_STATES`), or when the rhs fails on the host (a system
    with drivers is followed as :func:`kernels.drivers.driven_on_host` gives it).  ``sparsity``:
    :func:`follow_on_host`'s.
    """
    if not follows_on_host(system, states):
        return ()
    p = np.asarray(p, np.float64)
    f = system.host_rhs(p)
    jac = follow_jac(system, p)
    try:
        times, path, status = follow_on_host(f, t0, t_end, y0, _PATH_EVALUATIONS, jac=jac, outcome=True,
                                             sparsity=sparsity)
    except UnassignedOutputError:  # the cause: HostProbe.hint says it
        raise
    except Exception:  # noqa: BLE001 - the user's rhs failing on the host: no path
        return ()
    if status == "failed":
        # SciPy's Radau failing too (a finite-time blow-up): its last states' rates are the blow-up's, not a
        # stiff mode's (y' = y^2 beside y' = -y^2 z: "dt below 2.4e-21"); kernels.rhs_hint says where it stops
        return None
    if status != "finished" and _blows_up(times, path, y0):
        return None
    return times, path


def implicit_advantage(system, followed, p, points=HINT_PATH_POINTS):
    """``(advantage, stable_steps)`` along a :func:`_followed` path: ``stable_steps``, the steps an explicit
    method's stable step (``STABILITY_BOUNDARY / rho(J)``) needs over the part followed, from ``rho`` at up to
    ``points`` of its states, and ``advantage``, that over the steps SciPy's Radau took there (NaN where no
    state could be judged).  Why: a Jacobian far faster than the solution at one state (a spike) is no reason
    to switch methods unless the implicit one takes far fewer steps over the span (:data:`IMPLICIT_ADVANTAGE`)."""
    times, states = followed
    picks = _path_indices(times, points)
    starts = np.concatenate(([0], picks[:-1]))
    rates = [_verdict(lambda y, p: spectral_radius(system, float(times[i]), y, p), states[i], p) for i in picks]
    judged = [(rate, times[i] - times[j]) for rate, i, j in zip(rates, picks, starts)
              if rate is not None and np.isfinite(rate)]
    if not judged:
        return float("nan"), float("nan")
    stable_steps = sum(rate * interval for rate, interval in judged) / STABILITY_BOUNDARY
    return stable_steps / (times.size - 1), stable_steps


def _blows_up(times, states, y0):
    """Whether an unfinished host path runs away faster than exponentially (y' = y^2 towards its singularity,
    before the host budget ends it: its rates told "dt below 2.4e-21", a regression hunt): from 1e3 to 1e6 times
    the initial scale in under a tenth of the time it took to reach 1e3.  Exponential growth (y' = 10 y, stiff
    in another component as it grows) takes as long for each factor, and its rates stand."""
    scale = max(float(np.max(np.abs(y0))), 1.0)
    size = np.max(np.abs(states), axis=1)
    first, second = np.flatnonzero(size > 1e3 * scale), np.flatnonzero(size > 1e6 * scale)
    if not first.size or not second.size:
        return False
    t_first, t_second = times[first[0]], times[second[0]]
    return bool(t_second - t_first < 0.1 * (t_first - times[0]))


def stability_boundary(tableau, reach=10.0, resolution=1e-3) -> float:
    """Where an explicit Runge-Kutta tableau's stability region ends on the negative real axis.

    The stability polynomial ``R(z) = 1 + sum_k (b^T A^(k-1) 1) z^k``; the boundary is the first
    ``x`` (on a grid of ``resolution``) with ``|R(-x)| > 1``: 2 for Euler, about 2.785 for RK4.
    """
    coefficients = stability_polynomial(tableau)
    x = np.arange(resolution, reach, resolution)
    values = np.polynomial.polynomial.polyval(-x, coefficients)
    outside = np.flatnonzero(np.abs(values) > 1.0 + 1e-12)
    return float(x[outside[0]] - resolution) if outside.size else reach


def _fixed_step_decay(system, t, y, p, dt, boundary):
    """The fastest decay rate at ``(t, y)`` when a fixed step ``dt`` is beyond the method's stability for it
    (``rate dt > boundary``), else None."""
    def judge(y, p):
        rate = fastest_decay(system, t, y, p)
        if np.isfinite(rate) and rate * dt > boundary and system.jac is None:
            rate = fastest_decay(system, t, y, p, jumps=True)  # confirmed past any jump of rhs (sign at 0)
        return rate if np.isfinite(rate) and rate * dt > boundary else None

    return _verdict(judge, y, p)
