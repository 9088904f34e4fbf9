"""The causes of a model function that is not finite at a state: which state or parameter makes it so, and the remedy.

A Jacobian or rhs that is inf or NaN at a state is found (:mod:`kernels.jacobian_hint`, :mod:`kernels.rhs_hint`);
this module says which input is to blame by nudging the states and parameters off their values, one at a time
and then together, until the function is finite: a parameter of 0 or a negative one, a state at 0, a lone
negative parameter's sign, a state just below 0 (a step's overshoot, or a flow that drives it there), a removable
singularity at one exact value (and a y0 that the run's precision rounded onto it, told with both values).  Each
cause comes with the sentence that names it and what to do; the hints that ask share it, so it lives apart from any
one of them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["Suspects", "parameter_cause", "lone_sign_cause", "negative_state_cause", "exact_value_cause",
           "given_start"]


_PARAMETER_REMEDY = (" A parameter causes it: this trajectory has {given}, and with {names} nudged off it the {what} "
                     "is finite, so a term such as 1 / p, log(p) or sqrt(p) fails at that value: check this "
                     "trajectory's params row, or write the term so that it allows {given}.")


#: The value shown first is the one tried (a user's trial read "With y_1 = -0.01 positive instead").
_NEGATIVE_REMEDY = (" With {name} = {positive:+g} (positive) instead of {value:g} the {what} is finite, so a term "
                    "of {name} is out of its domain at {value:g} (exp(-E / {name}) overflowing for a negative "
                    "temperature, the root or logarithm of a negative quantity, a pole): check the sign and units of "
                    "{name} in this trajectory's state (a temperature in kelvin, a concentration), or keep the term "
                    "in its domain.")


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
#: Words of :data:`_START_REMEDY`: a hint holding them names a negative start as the cause
#: (:class:`kernels.state_sign_hint.SignProbe` then says no more of it).
START_NAMED = "; no step took it there: start "


@dataclasses.dataclass(frozen=True)
class Suspects:
    """What :func:`negative_state_cause` weighs beside the state: the trajectory's ``start`` (its y0 row), and the
    batch's ``params`` with the trajectory's ``row`` (a parameter negative there alone, :mod:`kernels.param_sign`);
    and for :func:`exact_value_cause`, the y0 row as the user ``given`` it where the run's ``precision`` rounded it
    to ``start`` (:func:`given_start`; None where it did not, or where it is not known)."""

    start: np.ndarray = None
    params: np.ndarray = None
    row: int = 0
    given: np.ndarray = None
    precision: str = "float64"

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


#: A removable singularity that the run's precision put the state on: y0 = -40.000001 (mV) is off it, float32 holds
#: it as -40.0, and a Hodgkin-Huxley run ended NONFINITE at step 0, told only to write the limit (a neuroscientist's
#: trial; float64 succeeds).
_ROUNDED_ONTO_REMEDY = (" At exactly {name} = {value:g} the {what} is not finite, and with {name} moved by a millionth "
                        "of itself it is: a removable singularity there, 0 / 0 at one value (a rate such as (V + 40) / "
                        "(1 - exp(-(V + 40) / 10)) at V = -40). This trajectory's y0 gives {name} = "
                        "{given_value!r}, off it, where the {what} is finite, but {precision} holds {given_value!r} as "
                        "{held}, exactly on it, so the run fails at its start. Write the term with its limit at that "
                        "value (if abs(x) < 1e-6: the limit, else the formula), or solve with precision=np.float64, "
                        "which holds {given_value!r} as given.")


def exact_value_cause(system, t, y, p, finite, what, suspects=None):
    """:data:`_EXACT_VALUE_REMEDY` for the first nonzero state (of the first 8) that moved by a millionth of itself
    makes ``finite`` true, else '' (a Hodgkin-Huxley rate at V = -40 was told to check the sign and units of V, a
    user's trial); :data:`_ROUNDED_ONTO_REMEDY` where ``y`` is the trajectory's y0 and the state's given value
    (``suspects``: a :class:`Suspects` with ``given``) is off that value, rounded onto it by the run's precision."""
    for i in np.flatnonzero(y != 0.0)[:8]:
        if all(_fixed(finite, system, t, y, p, [i], states=True, value=y[i] * (1.0 + s * 1e-6)) for s in (1, -1)) \
                and _same_on_both_sides(system, t, y, p, i):
            return (_rounded_onto(system, t, y, p, int(i), finite, what, suspects)
                    or _EXACT_VALUE_REMEDY.format(name=f"y_{i}", value=float(y[i]), what=what))
    return ""


def _rounded_onto(system, t, y, p, i, finite, what, suspects):
    """:data:`_ROUNDED_ONTO_REMEDY` where ``y`` is ``suspects.start`` (the run's y0 row, as its precision holds it),
    ``y_i`` differs from its given value, and ``finite`` holds with ``y_i`` at that given value; else ''."""
    given = None if suspects is None else suspects.given
    if given is None or suspects.start is None or not np.array_equal(np.asarray(y, np.float64), suspects.start):
        return ""
    value = float(given[i])
    if value == float(y[i]) or not _fixed(finite, system, t, y, p, [i], states=True, value=value):
        return ""
    held = np.dtype(suspects.precision).type(y[i])  # float32's own shortest form: -40.0, not -40.00000000000001
    return _ROUNDED_ONTO_REMEDY.format(name=f"y_{i}", value=float(y[i]), what=what, given_value=value,
                                      held=str(held), precision=suspects.precision)


def given_start(given_y0, y0, trajectory, precision):
    """Trajectory ``trajectory``'s y0 row as the user gave it (float64), where the run's ``precision`` rounded it to
    another value (``y0``: the run's rows in float64, as that precision holds them); None where it did not round
    it, or where the given y0 is not known or not read as numbers (:func:`kernels.batch_inputs.given_rows`: a
    device array, states named in another order)."""
    if given_y0 is None or np.dtype(precision) == np.float64:
        return None
    from .batch_inputs import given_rows, row_of

    held = np.asarray(y0).astype(precision)
    row = given_rows(given_y0, held, [trajectory])[0]
    return None if np.array_equal(row, row_of(held, trajectory).astype(np.float64)) else row


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


def _state_names(states):
    return ", ".join(f"y_{i}" for i in states[:6]) + (", ..." if len(states) > 6 else "")
