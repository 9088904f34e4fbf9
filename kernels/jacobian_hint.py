"""The non-finite Jacobian hint: why an implicit step's iteration matrix was singular or Newton failed.

An implicit method factors ``I - h gamma J`` (or a FIRK step's blocks of it).  A
Jacobian entry that is infinite or NaN at the state the step starts from (a rate
``k sqrt(B)`` at ``B = 0``: ``d f / d B = k / (2 sqrt(B))`` is infinite there)
makes that matrix singular at any step size, and the trajectory ends with
SINGULAR_MATRIX (or NEWTON_NOT_CONVERGED) however small the step gets.  The
status alone does not say that the model is at fault.

When :meth:`kernels.IVPResult.message` is asked about such a trajectory,
:class:`JacobianProbe` evaluates the Jacobian on the host (float64) at the
trajectory's initial state, then at its last finite saved state: the system's
``jac`` where it has one, else forward differences of its ``rhs`` (as the
device's finite-difference Jacobian takes them; not for a system with drivers,
whose ``rhs`` needs them).  When an entry is inf or NaN, the hint names the first
one (``J[i * n + j]``, ``d f_i / d y_j``), the state, and what to do.  It costs one
``jac`` (or ``n + 1`` right-hand sides) per state looked at, only when the message
is asked for, and never raises: a probe that cannot be evaluated adds nothing.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .errors import state_text
from .status import NEWTON_NOT_CONVERGED, SINGULAR_MATRIX
from .stiffness import HostProbe, host_jacobian, states_to_probe
from .user_faults import is_float_fault

__all__ = ["JacobianProbe", "JACOBIAN_STATUSES", "Suspects", "jacobian_probe", "parameter_cause", "lone_sign_cause",
           "negative_state_cause", "exact_value_cause", "float32_jacobian", "float32_jacobian_fault",
           "float32_jacobian_text", "HEADLINES"]

#: The statuses the hint explains.
JACOBIAN_STATUSES = (SINGULAR_MATRIX, NEWTON_NOT_CONVERGED)

_ENTRY = (" {source} is not finite {at}: J[{i} * {n} + {j}] = J[{k}] (d f_{i} / d y_{j}) is {value!r} ({bad} of "
          "{entries} entries are inf or NaN).")
_FLOAT32_JAC = (" The system's jac is not finite in float32 {at}: J[{i} * {n} + {j}] = J[{k}] (d f_{i} / d y_{j}) is "
                "{held!r} there ({exact:.6g} in float64): a value inside it leaves float32's range (above 3.4e38: a "
                "power y**(n-1) of a state, then inf / inf; or below 1.2e-38: 0 / 0), and the iteration matrix is "
                "singular at any step size. Write the term so that its intermediate values stay in range (divide "
                "before multiplying: (y**(n-1) / (1 + y**n)) / (1 + y**n), or in terms of x = y**n / (1 + y**n)), "
                "leave jac out (differences of rhs), or use precision=np.float64.")

_REMEDY = (" An infinite or undefined derivative (sqrt(x) and x**0.5 at x = 0, log(x) at x = 0, 1 / x at x = 0) makes "
           "the iteration matrix singular at any step size: start slightly inside the domain ({where}), or "
           "regularise the term (sqrt(x + eps) or sqrt(max(x, eps)) with a small eps).")
_PARAMETER_REMEDY = (" A parameter causes it: this trajectory has {given}, and with {names} nudged off it the {what} "
                     "is finite, so a term such as 1 / p, log(p) or sqrt(p) fails at that value: check this "
                     "trajectory's params row, or write the term so that it allows {given}.")


def jacobian_probe(system, status, y0, params, t0, dtype=np.float64):
    """A :class:`JacobianProbe` when a trajectory ended with one of :data:`JACOBIAN_STATUSES`, else None
    (``dtype``: the run's precision)."""
    if status is None or not np.any(np.isin(np.asarray(status), JACOBIAN_STATUSES)):
        return None
    if system.jac is None and system.n_drivers:
        return None  # differences of rhs need the drivers' values
    return JacobianProbe(system, np.array(y0, np.float64), np.array(params, np.float64), float(t0),
                         np.dtype(dtype).name)


@dataclasses.dataclass(frozen=True)
class JacobianProbe(HostProbe):
    """What :meth:`IVPResult.message` needs to look at an implicit trajectory's Jacobian: the system and its inputs."""

    system: object
    y0: np.ndarray
    params: np.ndarray
    t0: float
    precision: str = "float64"
    # column_ranges of y0 and params, kept by kernels.outlier_inputs (a batch read once a result)
    input_ranges: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    STATUSES = JACOBIAN_STATUSES

    def _hint(self, trajectory, t_saved, y_saved):
        """The hint when the Jacobian is non-finite at the initial or last finite saved state, else ''."""
        p, candidates = states_to_probe(self, trajectory, t_saved, y_saved)
        start = np.asarray(candidates[0][2], np.float64)  # the trajectory's y0 row
        row = min(trajectory, len(self.params) - 1)
        for what, t, y in candidates:
            text = self._judged(what, t, np.array(y, np.float64), p, Suspects(start, self.params, row))
            if text:
                return text
        return ""

    def _judged(self, what, t, y, p, suspects=None):
        system, n = self.system, self.system.n_states
        source = "The system's jac" if system.jac is not None else "The finite-difference Jacobian (of rhs)"
        at = f"at {what} (t = {t:.6g}, y = {state_text(y)})"
        with np.errstate(all="ignore"):
            try:
                jac = _host_jacobian(system, t, y, p)
            except Exception as exc:  # noqa: BLE001 - only a float fault is the model's point
                if not is_float_fault(exc):
                    return ""
                who = "jac" if system.jac is not None else "rhs"
                return (f" The system's {who} raised {type(exc).__name__} ({exc}) {at}, where a GPU gives inf or "
                        f"NaN." + _remedy(system, t, y, p, _finite_jacobian, who, suspects=suspects))
        if jac is None:  # rhs itself is not finite there
            with np.errstate(all="ignore"):
                i = int(np.flatnonzero(~np.isfinite(_rhs(system, t, y, p)))[0])
            return (f" The system's rhs is not finite {at}: dydt[{i}] is inf or NaN, so neither are differences of "
                    "it." + _remedy(system, t, y, p, _finite_rhs, "rhs", suspects=suspects))
        bad = np.flatnonzero(~np.isfinite(jac))
        if not bad.size:
            return self._in_precision(at, t, y, p, jac) if system.jac is not None else ""
        k = int(bad[0])
        i, j = divmod(k, n)
        return (_ENTRY.format(source=source, at=at, i=i, n=n, j=j, k=k, value=float(jac[k]), bad=bad.size,
                              entries=n * n) + _remedy(system, t, y, p, _finite_jacobian, "Jacobian", j,
                                                       suspects))


    def _in_precision(self, at, t, y, p, exact):
        """The hint when the system's ``jac``, finite in float64, is not in the run's float32 (a user's trial: a
        Hill term's ``n y**(n-1) / (1 + y**n)**2`` at n = 40 is inf / inf past y = 9 in float32, and every step
        failed as SINGULAR_MATRIX with no cause named)."""
        if self.precision != "float32":
            return ""
        found = float32_jacobian_fault(self.system, t, y, p)
        return "" if found is None else float32_jacobian_text(self.system, at, *found, exact)


def float32_jacobian(system, t, y, p, jac=None):
    """The system's ``jac`` at ``(t, y)`` as a GPU computes it in float32: float32 arrays, float32 literals
    (``jac``: that function, made once by the caller, :func:`kernels.literals.for_system`)."""
    from .literals import for_system

    jac = for_system(system.jac, system, np.float32) if jac is None else jac
    held = np.zeros(system.n_states ** 2, np.float32)
    with np.errstate(all="ignore"):
        system.run_host(jac, (np.float64(t), np.asarray(y).astype(np.float32), np.asarray(p).astype(np.float32),
                              held))
    return held


def float32_jacobian_fault(system, t, y, p, jac=None):
    """``(k, held)``: the flat index of the first entry of ``jac`` at ``(t, y)`` that float32 makes inf or NaN, and
    the float32 Jacobian; None when every entry is finite."""
    held = float32_jacobian(system, t, y, p, jac)
    bad = np.flatnonzero(~np.isfinite(held))
    return (int(bad[0]), held) if bad.size else None


def float32_jacobian_text(system, at, k, held, exact):
    """The hint for entry ``k`` of a ``jac`` that is ``held[k]`` in float32 and ``exact[k]`` in float64 ``at``."""
    n = system.n_states
    i, j = divmod(k, n)
    return _FLOAT32_JAC.format(at=at, i=i, n=n, j=j, k=k, held=float(held[k]), exact=float(exact[k]))


def _rhs(system, t, y, p):
    return system.evaluate_rhs(t, y, p)


def _host_jacobian(system, t, y, p):
    """The flat row-major Jacobian on the host (:func:`kernels.stiffness.host_jacobian`), or None when it is
    differenced from an ``rhs`` that is not finite at ``y``."""
    if system.jac is None and not np.all(np.isfinite(_rhs(system, t, y, p))):
        return None
    return host_jacobian(system, t, y, p).ravel()


def _finite_rhs(system, t, y, p):
    return bool(np.all(np.isfinite(_rhs(system, t, y, p))))


def _finite_jacobian(system, t, y, p):
    jac = _host_jacobian(system, t, y, p)
    return jac is not None and bool(np.all(np.isfinite(jac)))


#: The value shown first is the one tried (a user's trial read "With y_1 = -0.01 positive instead").
_NEGATIVE_REMEDY = (" With {name} = {positive:+g} (positive) instead of {value:g} the {what} is finite, so a term "
                    "of {name} is out of its domain at {value:g} (exp(-E / {name}) overflowing for a negative "
                    "temperature, the root or logarithm of a negative quantity, a pole): check the sign and units of "
                    "{name} in this trajectory's state (a temperature in kelvin, a concentration), or keep the term "
                    "in its domain.")


def _remedy(system, t, y, p, finite, what, j=None, suspects=None):
    """What to do: the parameters' remedy (:func:`parameter_cause`), else the states': those at 0 where nudging
    them off 0 (each alone, else together: :func:`_fixing_states`) makes ``finite`` true (:data:`_REMEDY`), else
    a negative state whose sign does (:data:`_NEGATIVE_REMEDY`; a temperature of -20 K was told to start a
    concentration at 1e-12, a chemist's trial; ``suspects``: :func:`negative_state_cause`'s), else the remedy
    without a state named; the states' after a lone negative parameter whose sign does (:func:`lone_sign_cause`)."""
    cause = parameter_cause(system, t, y, p, finite, what)
    if cause:
        return cause
    sign = lone_sign_cause(system, t, y, p, finite, what, suspects)
    states = _fixing_states(finite, system, t, y, p)
    if states:
        return sign + _REMEDY.format(where=_where(states, j))
    start = None if suspects is None else suspects.start  # the rhs undefined at y0 itself: no "at x = 0" to blame
    domain = what == "rhs" and start is not None and np.array_equal(np.asarray(y, np.float64), start)
    return sign + (exact_value_cause(system, t, y, p, finite, what) or negative_state_cause(
        system, t, y, p, finite, what, suspects) or (_DOMAIN_REMEDY if domain else _REMEDY.format(where=_where([]))))


#: (a battery modeller's trial: one row's temperature typed in Celsius, 25, was told of a derivative at x = 0)
_DOMAIN_REMEDY = (" The rhs is not defined at this trajectory's initial state itself, and no state or parameter at 0 "
                  "explains it: a value of its y0 or params row is outside the model's domain (a root or log of a "
                  "quantity made negative, an exponential past float64's range). Check the row against those that "
                  "succeed (units: Celsius for kelvin, g for kg; a scale factor), or keep the term in its domain.")


#: A lone negative parameter's sign that moving a state off 0 would hide (a Hill exponent n = -2 in one row, x at 0,
#: was told to start x at 1e-12: the row then ended with success, its activator a repressor; a modeller's trial).
_SIGN_REMEDY = (" With {given} of the other sign ({positive:g}) the {what} is finite at this state, so that sign puts "
                "a term out of its domain here (x ** n at x = 0 for a negative n, the root or log of a rate made "
                "negative): fix it if it is a slip; starting a state off 0 instead would only hide it, the row "
                "running on with that sign to a result with success. If the sign is meant, what follows applies.")


def lone_sign_cause(system, t, y, p, finite, what, suspects=None):
    """:func:`kernels.param_sign.lone_negative_note` and :data:`_SIGN_REMEDY` for the lone negative entries of the
    row (``suspects``: a :class:`Suspects`) whose sign, flipped, makes ``finite`` true at ``(t, y)``; else '' (a lone
    negative offset or coupling elsewhere in the model leaves the states' remedy alone)."""
    if suspects is None or suspects.params is None:
        return ""
    from .named_params import param_names
    from .param_sign import lone_negative_columns, lone_negative_note

    columns = [int(c) for c in lone_negative_columns(suspects.params, suspects.row)
               if c < p.size and _fixed(finite, system, t, y, p, [c], states=False, value=-p[c])]
    if not columns:
        return ""
    c, names = columns[0], param_names(system)
    given = f"params[{suspects.row}, {c}]" + (f" ({names[c]})" if names else "") + f" = {float(p[c]):g}"
    return (lone_negative_note(system, suspects.params, suspects.row, columns)
            + _SIGN_REMEDY.format(given=given, positive=-float(p[c]), what=what))


_OVERSHOOT_REMEDY = (" {name} = {value:.3g} is just below 0 (a decay a step took past 0, or a rounding), and with it "
                     "at {positive:.3g} the {what} is finite: a fractional power, root or log of {name} fails below 0. "
                     "Write a power as max(x, 0.0) ** n and keep a log's argument above 0 (log(max(x, floor)) with a "
                     "floor below what matters), so that an overshoot does not stop the run.")
#: A negative state this small beside the largest of the others is an overshoot of 0, not a sign error.
_OVERSHOOT = 1e-6
#: A state just below 0 that the flow itself drives there (its rate negative with the state set to 0): a sign slip
#: in a rate, which max(x, 0.0) would hide (a biologist's repressilator row with beta = -1 was told of an overshoot).
_DRIVEN_REMEDY = (" {name} = {value:.3g} is below 0, and the flow itself drives it there: with {name} set to 0 the "
                  "rhs gives dydt[{i}] = {flow:.3g}, so no step's overshoot is to blame, and with {name} at "
                  "{positive:.3g} the {what} is finite: a fractional power, root or log of {name} fails below 0. "
                  "Check {rates}; writing the power as max(x, 0.0) ** n would only hide a model or parameter error.")
#: A state just below 0 that is the trajectory's y0: no step took it there (a SymPy Hill term at y0 = -1e-9 was told
#: of a decay a step took past 0, after 0 steps: a biologist's trial).
_START_REMEDY = (" y0 has {name} = {value:.3g} < 0, where the {what} is not finite (with {name} at {positive:.3g} it "
                 "is finite: a fractional power, root or log of {name} fails below 0); no step took it there: start "
                 "{floor}.")


@dataclasses.dataclass(frozen=True)
class Suspects:
    """What :func:`negative_state_cause` weighs beside the state: the trajectory's ``start`` (its y0 row), and the
    batch's ``params`` with the trajectory's ``row`` (a parameter negative there alone, :mod:`kernels.param_sign`)."""

    start: np.ndarray = None
    params: np.ndarray = None
    row: int = 0

    def rates(self, system, name):
        """What to check for a state ``name`` driven below 0: the lone negative parameters of the row first."""
        from .param_sign import lone_negative_entries

        entries = "" if self.params is None else lone_negative_entries(system, self.params, self.row)
        if not entries:
            return (f"the signs of the rates that drive {name} (a decay or degradation rate given negative, a "
                    "production below 0)")
        it = "them" if ", params[" in entries else "it"
        return f"the signs of the rates, {entries} first, negative where every other row has {it} >= 0"


_EXACT_VALUE_REMEDY = (" At exactly {name} = {value:g} the {what} is not finite, and with {name} moved by a millionth of "
                       "itself it is: a removable singularity there, 0 / 0 at one value (a rate such as (V + 40) / "
                       "(1 - exp(-(V + 40) / 10)) at V = -40). Write the term with its limit at that value (if "
                       "abs(x) < 1e-6: the limit, else the formula), so that a state landing on it does not stop the "
                       "run.")


def exact_value_cause(system, t, y, p, finite, what):
    """:data:`_EXACT_VALUE_REMEDY` for the first nonzero state (of the first 8) that moved by a millionth of itself
    makes ``finite`` true, else '' (a Hodgkin-Huxley rate at V = -40 was told to check the sign and units of V, a
    user's trial)."""
    for i in np.flatnonzero(y != 0.0)[:8]:
        if all(_fixed(finite, system, t, y, p, [i], states=True, value=y[i] * (1.0 + s * 1e-6)) for s in (1, -1)) \
                and _same_on_both_sides(system, t, y, p, i):
            return _EXACT_VALUE_REMEDY.format(name=f"y_{i}", value=float(y[i]), what=what)
    return ""


def _same_on_both_sides(system, t, y, p, i):
    """Whether ``rhs`` at ``y`` is NaN, not inf (0 / 0, not a pole's x / 0 or log(0)), and just above and just below
    ``y_i`` agrees (a removable singularity; an even pole's 1 / (y - 1)^2 agrees too: a regression hunt)."""
    here = np.empty(system.n_states)
    try:
        with np.errstate(all="ignore"):
            system.run_host(system.rhs, (t, y, p, here))
    except Exception:  # noqa: BLE001 - no verdict
        return False
    if np.any(np.isinf(here)):
        return False
    sides = []
    for sign in (1, -1):
        moved = y.copy()
        moved[i] = y[i] * (1.0 + sign * 1e-6)
        try:
            with np.errstate(all="ignore"):
                sides.append(np.asarray(system.evaluate_rhs(t, moved, p), np.float64))
        except Exception:  # noqa: BLE001 - rhs failing there: no verdict
            return False
    a, b = sides
    return bool(np.all(np.isfinite(a) & np.isfinite(b))
                and np.all(np.abs(a - b) <= 1e-3 * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))))


def negative_state_cause(system, t, y, p, finite, what, suspects=None):
    """:data:`_NEGATIVE_REMEDY` for the first negative state (of the first 8) whose sign alone makes ``finite``
    true (where it is only just below 0, :func:`_just_below_zero`'s: -1e-10 beside 0.19 was told to check its units,
    a user's trial), else ''.  ``suspects``: a :class:`Suspects` (the trajectory's y0, the batch's params)."""
    for i in np.flatnonzero(y < 0.0)[:8]:
        if _fixed(finite, system, t, y, p, [i], states=True, value=-y[i]):
            # -5e-7 beside 1e-9 is no overshoot; with no other state, or only zeros, the scale is 1 (regression hunts)
            others = np.abs(np.delete(y, i))
            scale = float(np.max(others)) if others.size and np.max(others) > 0.0 else 1.0
            if -y[i] <= _OVERSHOOT * scale:
                return _just_below_zero(system, t, y, p, int(i), finite, what, suspects or Suspects())
            return _NEGATIVE_REMEDY.format(name=f"y_{i}", value=float(y[i]), positive=float(-y[i]), what=what)
    return ""


def _just_below_zero(system, t, y, p, i, finite, what, suspects):
    """The remedy for ``y_i`` just below 0: :data:`_START_REMEDY` where ``y`` is the trajectory's y0 (no step took it
    there; to start at 0 or above, or above 0 where ``finite`` fails at 0 too: x ** 0.5's derivative),
    :data:`_DRIVEN_REMEDY` where the flow with ``y_i`` set to 0 is negative in ``y_i`` (the model drives it below 0:
    max(x, 0.0) would hide that), else :data:`_OVERSHOOT_REMEDY` (a step's overshoot of a decay to 0; also
    where that flow cannot be evaluated)."""
    fields = dict(name=f"y_{i}", value=float(y[i]), positive=float(-y[i]), what=what)
    if suspects.start is not None and np.array_equal(np.asarray(y, np.float64), suspects.start):
        at_zero = _fixed(finite, system, t, y, p, [i], states=True, value=0.0)
        floor = "at 0 or above" if at_zero else (f"above 0 ({fields['name']} at 1e-12, for example: at 0 the {what} "
                                                 "is not finite either)")
        return _START_REMEDY.format(floor=floor, **fields)
    flow = _flow_at_zero(system, t, y, p, i)
    if flow < 0.0:
        return _DRIVEN_REMEDY.format(i=i, flow=flow, rates=suspects.rates(system, fields["name"]), **fields)
    return _OVERSHOOT_REMEDY.format(**fields)


#: How far below 0, against the largest ``|y|``, a state counts as an overshoot's rounding for :func:`_flow_at_zero`.
ROUNDING_SHARE = 1e-8


def _flow_at_zero(system, t, y, p, i):
    """``f_i`` at ``y`` with ``y_i`` set to 0, and every other state just below 0 (within :data:`ROUNDING_SHARE` of the
    largest ``|y|``) too (host, float64): >= 0 where the flow keeps ``y_i`` at or above 0, so that only a step's
    overshoot takes it below; NaN where it cannot be evaluated.  An upstream state overshot to -1e-16 made f_i -1e-13
    and the verdict "the flow itself drives it there" (a regression hunt); one driven well below 0 (-0.28 by a negative
    production) stays, as its flow is the model's."""
    at_zero = np.array(y, np.float64)
    tiny = ROUNDING_SHARE * float(np.max(np.abs(at_zero))) if at_zero.size else 0.0
    at_zero[(at_zero < 0.0) & (at_zero >= -tiny)] = 0.0
    at_zero[i] = 0.0
    try:
        with np.errstate(all="ignore"):
            return float(np.asarray(system.evaluate_rhs(t, at_zero, p), np.float64)[i])
    except Exception:  # noqa: BLE001 - no verdict: the overshoot's wording, as before
        return float("nan")


_ZERO_PARAMETER_REMEDY = (" A parameter of 0 causes it: this trajectory has {given}, and with {names} at {nudge:g} "
                          "instead the {what} is finite (as it is with {states} moved off 0, but the term fails again "
                          "wherever the state returns to 0): a constant of 0 beside a state of 0, such as a Michaelis "
                          "constant or EC50 of 0 in V y / (Km + y), makes a 0 / 0 at a state of 0. Give {names} a "
                          "small positive value (or the value of the rows that succeed), or write the term so that it "
                          "allows {given}.")


def parameter_cause(system, t, y, p, finite, what):
    """The parameters' remedy when moving the parameters that are 0 or not finite off their value (to 1e-6, else
    -1e-6; each alone, else all together) makes ``finite(system, t, y, p)`` true, else one negative parameter
    alone; else ''.  :data:`_PARAMETER_REMEDY`, or :data:`_ZERO_PARAMETER_REMEDY` with the states at 0 whose move
    makes it true too (Km = 0 in V B / (Km + B) at B = 0 was worded as the states' domain, naming an unrelated
    state, a user's trial; sqrt(y) at y = 0 beside an unrelated p = 0 still names y).

    :mod:`kernels.rhs_hint` asks it too, with ``finite`` the rhs's finiteness: a population N = 0 in one params
    row (``beta S I / N``) was worded as a quantity crossing 0 by explicit methods (a user's trial).
    """
    suspects = np.flatnonzero((p == 0.0) | ~np.isfinite(p)) if p.size else np.zeros(0, int)
    found = _fixing_parameters(finite, system, t, y, p, suspects)
    if found is not None:
        names, nudge = found
        given = ", ".join(f"p[{i}] = {float(p[i]):g}" for i in names[:6])
        listed = ", ".join(f"p[{i}]" for i in names[:6]) + (", ..." if len(names) > 6 else "")
        states = _fixing_states(finite, system, t, y, p)
        if not states or not np.all(p[names] == 0.0):
            return _PARAMETER_REMEDY.format(given=given, names=listed, what=what)
        return _ZERO_PARAMETER_REMEDY.format(given=given, names=listed, nudge=nudge, what=what,
                                             states=_state_names(states))
    return _negative_parameter_cause(system, t, y, p, finite, what)


def _fixing_parameters(finite, system, t, y, p, suspects):
    """``(indices, value)``: the suspects (of the first 8) each of which alone at ``value`` (1e-6, else -1e-6: a
    larger value changes the model, and blamed a valid 0 for an overflow, a hunt) makes ``finite`` true, else all
    of them together; None when neither does."""
    for value in (1e-6, -1e-6):
        alone = [int(i) for i in suspects[:8] if _fixed(finite, system, t, y, p, [i], states=False, value=value)]
        if alone:
            return alone, value
    for value in (1e-6, -1e-6):
        if suspects.size and _fixed(finite, system, t, y, p, suspects, states=False, value=value):
            return _needed(finite, system, t, y, p, [int(i) for i in suspects], value), value
    return None


def _needed(finite, system, t, y, p, together, value):
    """The fewest of ``together`` (parameters that moved to ``value`` all at once make ``finite`` true) that still do:
    each put back to its own value in turn, and left there where ``finite`` stays true.  A swing model's inertias
    M = 0 (divided by) were named beside the zero diagonal of its coupling matrix (0 in every row, harmless):
    "p[3] = 0, p[7] = 0, p[11] = 0, p[15] = 0, ..." (a power-systems user's trial)."""
    needed = list(together)
    for i in together:
        rest = [j for j in needed if j != i]
        if rest and _fixed(finite, system, t, y, p, rest, states=False, value=value):
            needed = rest
    return needed


def _negative_parameter_cause(system, t, y, p, finite, what):
    """:data:`_PARAMETER_REMEDY` for one negative parameter whose sign flipped, or moved to 1e-6, makes ``finite``
    true while moving the states at 0 does not (p[3] = -1 under sqrt was worded as a state crossing 0, and a
    capacitance of -1e-5 F blamed the state: regression hunts), else ''."""
    negative = np.flatnonzero(p < 0.0)[:8] if p.size else ()
    zero = np.flatnonzero(y == 0.0)
    if len(negative) and not (zero.size and _fixed(finite, system, t, y, p, zero, states=True)):
        for i in negative:
            if any(_fixed(finite, system, t, y, p, [i], states=False, value=v) for v in (-p[i], 1e-6)):
                return _PARAMETER_REMEDY.format(given=f"p[{i}] = {float(p[i]):g}", names=f"p[{i}]", what=what)
    return ""


def _fixing_states(finite, system, t, y, p):
    """The states at 0 (of the first 8) each of which alone moved to 1e-6 makes ``finite`` true, else all the
    states at 0 when together they do, else [] (y_2 was named beside y_1 for a 0 / 0 of y_1 alone, a user's
    trial)."""
    zero = np.flatnonzero(y == 0.0)
    if not zero.size:
        return []
    alone = [int(i) for i in zero[:8] if _fixed(finite, system, t, y, p, [i], states=True)]
    if alone:
        return alone
    return [int(i) for i in zero] if _fixed(finite, system, t, y, p, zero, states=True) else []


def _fixed(finite, system, t, y, p, indices, states, value=1e-6):
    """Whether ``finite`` holds once the entries ``indices`` of ``y`` (``states``) or ``p`` are ``value`` instead."""
    y, p = y.copy(), p.copy()
    (y if states else p)[indices] = value
    with np.errstate(all="ignore"):
        try:
            return finite(system, t, y, p)
        except Exception:  # noqa: BLE001 - a float fault (or anything else) there: not fixed
            return False


def _where(states, j=None):
    """Where to start instead: the states ``states`` (at 0) nudged off 0, only ``j`` where it is one of them."""
    if not len(states):
        return "a state where the model's functions are finite"
    # "at 1e-12" alone read oddly for a carrier density whose scale is 1e24 (a laser physicist's trial)
    return (f"{_state_names([j] if j in states else states)} at 1e-12 instead of 0, for example, or a like small "
            "fraction of the state's own scale")


def _state_names(states):
    return ", ".join(f"y_{i}" for i in states[:6]) + (", ..." if len(states) > 6 else "")


#: ``(template, headline)``: the causes this module's hints name, most specific first, each with the one sentence
#: :meth:`kernels.IVPResult.message` opens with when a hint holds it (:func:`kernels.status_messages.lead_with_cause`
#: reads the template's fields back from the hint).  A biologist's trial: a Hill term's y ** 2.3 below 0 ended
#: SINGULAR_MATRIX, and the message opened with the LU's pivots, naming the overshoot only at its end.
HEADLINES = (
    (_SIGN_REMEDY, "Likely cause: this trajectory's {given}, negative where every other row's is >= 0, makes the "
                   "{what} not finite at this state, which the other sign ({positive}) does not: check its sign; "
                   "starting a state off 0 would only hide it."),
    (_START_REMEDY, "Likely cause: y0 has {name} = {value} < 0, where the {what} is not finite: start {floor}."),
    (_DRIVEN_REMEDY, "Likely cause: the flow itself drives {name} below 0 (dydt[{i}] = {flow} with {name} set to 0), "
                     "where the {what} is not finite: check {rates}; max(x, 0.0) ** n would hide a model or "
                     "parameter error."),
    (_OVERSHOOT_REMEDY, "Likely cause: {name} = {value}, just below 0 (a decay a step took past 0), makes the {what} "
                        "not finite, as a fractional power, root or log of {name} does below 0: write a power as "
                        "max(x, 0.0) ** n."),
    (_NEGATIVE_REMEDY, "Likely cause: the {what} is not finite at {name} = {value} and finite at {positive}: check "
                       "the sign and units of {name}, or keep its terms in their domain."),
    (_EXACT_VALUE_REMEDY, "Likely cause: the {what} is 0 / 0 at exactly {name} = {value} (a removable singularity): "
                          "write the term with its limit at that value."),
    (_ZERO_PARAMETER_REMEDY, "Likely cause: a parameter of 0 beside a state at 0 ({given}) makes the {what} 0 / 0: "
                             "give {names} a small positive value."),
    (_PARAMETER_REMEDY, "Likely cause: this trajectory's {given} makes the {what} not finite: check its params row."),
    (_FLOAT32_JAC, "Likely cause: float32 makes the system's jac {held} (J[{k}], d f_{i} / d y_{j}; {exact} in "
                   "float64), so the iteration matrix is singular at any step size: keep its intermediate values in "
                   "float32's range, or use precision=np.float64."),
    (_ENTRY, "Likely cause: a Jacobian entry that is not finite, J[{k}] (d f_{i} / d y_{j}) = {value} {at}, makes "
             "the iteration matrix singular at any step size."),
    (_DOMAIN_REMEDY, "Likely cause: the rhs is not defined at this trajectory's initial state: a value of its y0 "
                     "or params row is outside the model's domain."),
    (_REMEDY, "Likely cause: an infinite or undefined derivative (sqrt(x), log(x) or 1 / x at x = 0) makes the "
              "iteration matrix singular at any step size: start slightly inside the domain ({where}), or regularise "
              "the term."),
)
