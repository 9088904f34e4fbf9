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
is asked for, and never raises: a probe that cannot be evaluated adds nothing.  Which state or parameter is to
blame, and the remedy's words, are :mod:`kernels.nonfinite_causes`'s (shared with :mod:`kernels.rhs_hint`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .batch_inputs import row_index
from .errors import state_text
from .nonfinite_causes import (_DRIVEN_REMEDY, _EXACT_VALUE_REMEDY, _NEGATIVE_REMEDY, _OVERSHOOT_REMEDY,
                               _PARAMETER_REMEDY, _ROUNDED_ONTO_REMEDY, _SIGN_REMEDY, _START_REMEDY,
                               _ZERO_PARAMETER_REMEDY, Suspects, _fixing_states, _state_names, exact_value_cause,
                               given_start, lone_sign_cause, negative_state_cause, parameter_cause)
from .status import NEWTON_NOT_CONVERGED, SINGULAR_MATRIX
from .stiffness import HostProbe, host_jacobian, states_to_probe
from .user_faults import is_float_fault

__all__ = ["JacobianProbe", "JACOBIAN_STATUSES", "jacobian_probe", "float32_jacobian", "float32_jacobian_fault",
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


def jacobian_probe(system, status, y0, params, t0, dtype=np.float64, given_y0=None):
    """A :class:`JacobianProbe` when a trajectory ended with one of :data:`JACOBIAN_STATUSES`, else None
    (``dtype``: the run's precision; ``given_y0``: y0 as the user gave it, before that precision rounded it)."""
    if status is None or not np.any(np.isin(np.asarray(status), JACOBIAN_STATUSES)):
        return None
    if system.jac is None and system.n_drivers:
        return None  # differences of rhs need the drivers' values
    return JacobianProbe(system, np.array(y0, np.float64), np.array(params, np.float64), float(t0),
                         np.dtype(dtype).name, given_y0=given_y0)


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
    # y0 as the user gave it (a reference, read only for a message): a value the precision rounded onto a 0 / 0
    given_y0: object = dataclasses.field(default=None, compare=False, repr=False)

    STATUSES = JACOBIAN_STATUSES

    def _hint(self, trajectory, t_saved, y_saved):
        """The hint when the Jacobian is non-finite at the initial or last finite saved state, else ''."""
        p, candidates = states_to_probe(self, trajectory, t_saved, y_saved)
        start = np.asarray(candidates[0][2], np.float64)  # the trajectory's y0 row
        row = row_index(self.params, trajectory)
        suspects = Suspects(start, self.params, row, given_start(self.given_y0, self.y0, trajectory, self.precision),
                            self.precision)
        for what, t, y in candidates:
            text = self._judged(what, t, np.array(y, np.float64), p, suspects)
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
    return sign + (exact_value_cause(system, t, y, p, finite, what, suspects) or negative_state_cause(
        system, t, y, p, finite, what, suspects) or (_DOMAIN_REMEDY if domain else _REMEDY.format(where=_where([]))))


#: (a battery modeller's trial: one row's temperature typed in Celsius, 25, was told of a derivative at x = 0)
_DOMAIN_REMEDY = (" The rhs is not defined at this trajectory's initial state itself, and no state or parameter at 0 "
                  "explains it: a value of its y0 or params row is outside the model's domain (a root or log of a "
                  "quantity made negative, an exponential past float64's range). Check the row against those that "
                  "succeed (units: Celsius for kelvin, g for kg; a scale factor), or keep the term in its domain.")


def _where(states, j=None):
    """Where to start instead: the states ``states`` (at 0) nudged off 0, only ``j`` where it is one of them."""
    if not len(states):
        return "a state where the model's functions are finite"
    # "at 1e-12" alone read oddly for a carrier density whose scale is 1e24 (a laser physicist's trial)
    return (f"{_state_names([j] if j in states else states)} at 1e-12 instead of 0, for example, or a like small "
            "fraction of the state's own scale")



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
    (_ROUNDED_ONTO_REMEDY, "Likely cause: {precision} holds y0's {name} = {given_value} as {held}, where the {what} "
                           "is 0 / 0 (a removable singularity): write the term with its limit at that value, or "
                           "solve with precision=np.float64."),
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
