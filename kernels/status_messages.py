"""A run's status messages: the text of :data:`kernels.status.STATUS_MESSAGES` with what this run adds.

What a message adds depends on the run: its precision (float32's range), its tolerances (below the
precision's resolution), a fixed step (which cannot shrink where a solver fails), its Jacobian path and
linear solver, and a user derivative found wrong when the system was built.  :class:`kernels.IVPResult`
keeps the table as plain ints and strings, so results pickle.
"""

from __future__ import annotations

import contextlib
import re
import string
import warnings

import numpy as np

from .status import (LINEAR_SOLVER_NOT_CONVERGED, MAX_STEPS, NEWTON_NOT_CONVERGED, NONFINITE_STATE, SINGULAR_MATRIX,
                     STATUS_MESSAGES, STEP_SIZE_UNDERFLOW, SUCCESS)
from .warning_registries import registries_kept

__all__ = ["status_messages", "success_message", "suspect_note", "lead_with_cause", "cause_headline",
           "template_pattern", "LEAD_STATUSES", "FLOAT32_RANGE_NOTE", "FLOAT32_REJECTED_NOTE", "REJECTED_SHARE",
           "SUSPECT_MARK", "FIXED_MARK", "BELOW_EPS_MARK", "below_eps_note", "SCIPY_RESULT_NAMES",
           "DIFFRAX_RESULT_NAMES", "DIFFEQ_RESULT_NAMES", "SPARSE_PIVOT_NOTE",
           "DENSE_SINGULAR_NOTE", "UNSEEN_MOVE", "quiet_host_probes"]


# What a float32 run's non-finite message adds (left out where the stiffness hint names the cause).
FLOAT32_RANGE_NOTE = (
    " In float32 every constant and intermediate value is float32 (magnitudes about 1.2e-38 to 3.4e38): if the "
    "model multiplies constants whose product leaves that range (6.6e-34 * 6.6e-34 is 0 there), rescale its "
    "units or solve with precision=np.float64.")


SUSPECT_MARK = "(JacobianCheckWarning)"
FIXED_MARK = "This dt needs"  # a fixed-step MAX_STEPS message that says how many steps to allow
BELOW_EPS_MARK = "cannot meet rtol="  # a MAX_STEPS message that names rtol below the precision's eps as the cause


def below_eps_note(rtol, dtype):
    """What MAX_STEPS adds for an adaptive run in ``dtype`` whose smallest nonzero ``rtol`` is below its eps: that the
    precision cannot meet it and what to use (the floor the call's ToleranceWarning advises,
    :func:`kernels.tolerances.quiet_rtol_text`), with :data:`BELOW_EPS_MARK`, so that
    :func:`kernels.result_notes.max_steps_note` does not advise more steps; between eps and that floor, that the
    steps may be going to rounding noise and to try float64 or that rtol first, float64 itself excepted (a chemist's
    trial: float32 rodas5p at rtol 1e-6 ran out of steps and was told only to raise max_steps); '' at or above the
    floor.  float32 at rtol
    1e-12 and atol 1e-14 spent 100000 attempts (11610 rejected) on a PID loop and was told to raise max_steps (a
    control engineer's trial): below eps the error estimate is rounding noise, which no step size gets under."""
    from .tolerances import quiet_rtol, quiet_rtol_text

    nonzero = np.asarray(rtol, dtype=np.float64)
    nonzero = nonzero[nonzero > 0]
    eps = float(np.finfo(dtype).eps)
    # the floor as the precision holds it: float32's rtol of 1e-5 is 9.99999975e-06 there
    if not nonzero.size or nonzero.min() >= float(np.dtype(dtype).type(quiet_rtol(dtype))):
        return ""
    name = np.dtype(dtype).name
    if nonzero.min() >= eps:  # above eps, below the floor the call's ToleranceWarning named (float64: no wider one)
        if name == "float64":
            return ""
        return (f" {name} at rtol={nonzero.min():.3g} asks for less than the {quiet_rtol_text(dtype)} relative it "
                "keeps over a long run: steps spent where float64 would take few may be "
                "spent on rounding noise (a 40-species mechanism in float32 rodas5p at rtol 1e-6 took 2750 steps "
                "before its first save, where float64 took 600 for the whole day), so before raising max_steps, try "
                f"precision=np.float64 or rtol >= {quiet_rtol_text(dtype)}.")
    wider = "use precision=np.float64, or " if name != "float64" else "use "
    return (f" {name} {BELOW_EPS_MARK}{nonzero.min():.3g} (its eps is {eps:.2g}): its error estimate is then rounding "
            "noise, which steps of any size and number do not get under, so a larger max_steps does not help; "
            f"{wider}rtol >= {quiet_rtol_text(dtype)}.")


def suspect_note(suspect):
    """What every message adds when the step uses ``suspect`` (the system's jac or jvp), found wrong when built,
    or a ``"pattern"`` given as ``SolverOptions(pattern=)`` that missed entries at a solve's inputs (warned about
    once; a batch job reading messages, not warnings, lost it: a chemist's trial)."""
    if suspect == "pattern":
        return (f" The Jacobian pattern given as SolverOptions(pattern=) misses entries that are nonzero at a solve's "
                f"inputs {SUSPECT_MARK}: the sparse LU leaves them out, so implicit steps can crawl, and a run that "
                "succeeds can take many more steps and end outside its tolerances; take kernels.solvers."
                "jacobian_pattern(system, points=[(t0, y0_row, params_row)]) instead (its JacobianCheckWarning "
                "names the entries).")
    return (f" The system's {suspect} disagreed with differences of its rhs when the system was built or at "
            f"this solve's inputs {SUSPECT_MARK}: a wrong {suspect} (a transposed J is a common slip) makes implicit steps fail "
            f"or crawl, and a run that succeeds can take many more steps and end outside its tolerances; fix it, or "
            f"build the system without it so that differences are used.")


# What MAX_STEPS adds for a bicgstab run (its stalls each cost a rejected step) ...
BICGSTAB_NOTE = (" The linear solver is bicgstab, which can stall on a badly scaled Jacobian (each stall costs a "
                 "rejected step; in float64 too): solver='gmres' is the robust matrix-free choice, and 'lu' the "
                 "default where an n-by-n factor fits.")
# ... for a gmres run: a restart too short (or a Krylov tolerance too tight) rejects most steps ...
GMRES_NOTE = (" The linear solver is gmres: where most steps were rejected, its restart length may be too short for "
              "this Jacobian, or its krylov_tolerance too tight; raise SolverOptions(restart=) or loosen "
              "krylov_tolerance, or take solver='lu' where an n-by-n factor fits.")
# ... the sparse LU pivots on the diagonal in a static order, with no row exchanges, so a regular matrix whose
# diagonal entry cancels to 0 is singular to it: the dense LU pivots by rows.  A matrix singular in fact defeats both
# (Morris-Lecar with C = -20, a sign slip, ran V off to -3e4: radau was told solver='dense' solves it, which failed
# the same way, a neuroscientist's trial), so the note is conditional here and firm only where the host finds the
# matrix regular with a cancelling diagonal (:func:`kernels.pivot_check.pivot_note`, which also fills UNSEEN_MOVE in).
UNSEEN_MOVE = "save more times with t_eval to see it"
SPARSE_PIVOT_NOTE = (" Where this run's LU is the sparse one (solver='sparse', or 'lu' over a sparse Jacobian "
                     "pattern), it pivots on the diagonal without exchanging rows: a regular I - c J whose diagonal "
                     "entry cancels to 0 (c times a rate of exactly 1 / c) is singular to it, and solver='dense' "
                     "(partial pivoting) factors such a matrix. If solver='dense' fails the same way, the matrix is "
                     "singular in fact at the state the step reached: look at how far the state has moved from its "
                     f"start ({UNSEEN_MOVE}) and check the signs and units of the parameters.")
# ... and where this run's LU pivots by rows, the matrix was singular in fact (the same trial, with solver='dense').
DENSE_SINGULAR_NOTE = (" This run's LU pivots by rows (solver='dense'), so the matrix was singular in fact, to within "
                       "rounding, at the state the step reached: look at how far the state has moved from its start "
                       f"({UNSEEN_MOVE}) and check the signs and units of the parameters.")
# ... and for a float32 trajectory of an implicit method that spent more than REJECTED_SHARE of its attempts on
# rejected steps (README, "Tolerances and steps"; E5 in float32 with radau: 5671 of 20000, 28 %).
REJECTED_SHARE = 0.25
FLOAT32_REJECTED_NOTE = (
    " {rejected} of its {attempts} attempted steps were rejected: in float32 a stiff problem's right-hand side "
    "carries rounding errors larger than a small atol allows, and the controller spends its steps on that noise; "
    "loosen atol to what the answer needs, or use precision=np.float64.")


@contextlib.contextmanager
def quiet_host_probes():
    """Floating-point warnings off while :meth:`kernels.IVPResult.message` runs its host probes, which evaluate the
    user's ``rhs`` (and ``jac``) where it fails: NumPy's "invalid value encountered in scalar divide", pointing at the
    user's model, came four or more times a message for a 0 / 0 at V = -55 (a neuroscientist's trial), news the
    message itself gives.  One place, around the probes only: the user's own warnings at solve time are untouched, and
    so is Python's record of those it has shown (:func:`registries_kept`: a filter change made it forget them, so a fit
    that read ``message(i)`` after each solve saw each solve's warnings again)."""
    with registries_kept(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with np.errstate(all="ignore"):
            yield


def success_message(last_save, t_end, settings):
    """SUCCESS's text for a run whose save times end at ``last_save``, its span at ``t_end``, with the loop's
    ``settings`` (events, summaries): a run without events or per-run summaries stops at its last save
    (:mod:`kernels.loop`), so where that comes before ``t_end`` the message says so; it said "reached the end of
    the integration interval" of a run stopped at t = 1 of (0, 2) (a diffrax user's trial)."""
    if settings.whole_span or not float(last_save) < float(t_end):
        return STATUS_MESSAGES[SUCCESS]
    return (f"The solver successfully reached the last save time t = {float(last_save)!r} (t_eval ends before "
            f"t_span[1] = {float(t_end)!r}: without events or per-run summaries, integration stops there).")


def status_messages(rtol=None, dtype=None, fixed_step=None, jacobian=None, suspect=None, linear=None,
                    fixed_steps=None, max_steps=None, blind=None, zero_atol=None, ends=None) -> dict:
    """Status code -> message, as plain ints and strings (results pickle).

    In float32 (``dtype``) the non-finite state message adds float32's range and what to do.
    ``suspect`` (``"jac"`` or ``"jvp"``): the user's derivative the step uses, which disagreed with
    differences of ``rhs`` when the system was built: every message names it, success included (a
    wrong Jacobian can cost many times the steps and the tolerance without a failure).

    With an adaptive solve's ``rtol`` (array) and working ``dtype``: when the
    smallest nonzero ``rtol`` is below the precision's resolution, the step
    size underflow message says so and what to do (the error estimate is then
    rounding noise, and a step can fail to be accepted at any size).
    ``fixed_step`` (the text of what to use instead, for an implicit method at
    a fixed step): its solver failures say that ``dt`` cannot shrink there and
    what to do.  ``jacobian`` (the step's Jacobian path): Newton's message
    suggests ``jac=`` only where the Jacobian is a finite difference.  ``linear`` (an implicit method's
    linear solver): MAX_STEPS of a ``"bicgstab"`` run suggests gmres.  ``fixed_steps`` (the fewest steps a
    fixed-step run needs) beyond ``max_steps``: MAX_STEPS says so and how many to allow (rk4 at dt 1e-6 over a
    span of 1 ended at max_steps with no word of why, a user's trial).  ``blind`` (an adaptive run's method whose
    error estimate is blind on linear problems, ros3p): every message says so (a cached integrator warned on its
    first solve only, and later ones ended 1e4 to 1e8 tolerances off with the plain success message).
    ``zero_atol`` (the components an implicit method runs with ``atol = 0``): its solver failures say that such
    a component decaying to 0 leaves no error scale (radau on y' = -y to t = 800: "singular", a user's trial).
    ``ends`` (``(t_eval[-1], t_end, loop settings)``): success names the last save time where the run stops
    there, before ``t_end`` (:func:`success_message`).
    """
    messages = {int(code): message for code, message in STATUS_MESSAGES.items()}
    if ends is not None:
        messages[SUCCESS] = success_message(*ends)
    if fixed_steps is not None and max_steps is not None and fixed_steps > max_steps:
        messages[MAX_STEPS] += (f" {FIXED_MARK} {fixed_steps} fixed steps to reach the end, more than max_steps = "
                                f"{max_steps}: raise max_steps to at least {fixed_steps}, or take a larger dt.")
    if jacobian is not None and "finite differences" not in jacobian:
        messages[NEWTON_NOT_CONVERGED] = messages[NEWTON_NOT_CONVERGED].replace(
            "an analytic Jacobian (jac=) or another method", "or another method")
    if fixed_step is not None:
        for code, what in ((NEWTON_NOT_CONVERGED, "Newton iteration of an implicit step diverged or did not "
                            "converge within its iteration limit"),
                           (SINGULAR_MATRIX, "iteration matrix of an implicit step was singular"),
                           (LINEAR_SOLVER_NOT_CONVERGED, "iterative linear solver of an implicit step did not "
                            "reach its tolerance within its iteration limit")):
            messages[code] = (f"The {what} at the fixed step dt, which a fixed-step run cannot shrink: use a "
                              f"smaller dt, or {fixed_step}, which shrinks the step where this happens.")
        # The simplified Newton iteration (J taken at the step's start) must shrink its first increment, about
        # what the step moves y, down to a small fraction of atol + rtol |y|: where a fixed step moves y by far
        # more than the tolerances (a large dt, or tight ones) that takes more iterations than the limit, and a
        # larger limit is then all it needs (a user's accuracy audit: backward_euler on y' = -2 t y at dt = 0.1,
        # rtol 1e-12, ran with 20; an enzyme model's first step at dt 0.1 to 1e-3 needed 10 to 12).
        rerun = "" if linear in ("gmres", "bicgstab") else " and once more on a fresh iteration matrix"
        messages[NEWTON_NOT_CONVERGED] = (
            "The Newton iteration of an implicit step diverged or did not converge at the fixed step dt, which a "
            f"fixed-step run cannot shrink: it ran to its iteration limit (newton_iterations, 7 unless set){rerun}. "
            "Where the step moves y by far more than atol + rtol |y| (a large dt, or tight tolerances) a larger "
            "limit may be all it needs: solver={'newton_iterations': 20}; else use a smaller dt, or "
            f"{fixed_step}, which shrinks the step where this happens.")
        # a Rosenbrock step has no Newton iteration to fail: its fixed-step blow-up ends non-finite (a chemist's
        # trial: Robertson, rodas4 at dt 0.05, with no word of what to do)
        messages[NONFINITE_STATE] += (f" This run takes fixed steps of dt, which cannot shrink where the solution "
                                      f"turns fast or the step's linearisation fails: use a smaller dt, or "
                                      f"{fixed_step}, which shrinks the step where this happens.")
    if dtype is not None and np.dtype(dtype) == np.float32:
        messages[NONFINITE_STATE] += FLOAT32_RANGE_NOTE
        if fixed_step is not None:  # a 20-state RC ladder in float32 failed at step 0 at any dt, and the advice
            # above (a smaller dt, 20 iterations) did nothing (a user's trial)
            messages[NEWTON_NOT_CONVERGED] += (
                " In float32 a stiff step's Newton iteration settles at float32's rounding times the step's "
                "stiffness (about 6e-8 dt |J| |y|); where that is above atol + rtol |y| it never meets its test, "
                "whatever dt or the iteration limit: then loosen atol (and rtol), or use precision=np.float64.")
    if linear == "bicgstab":
        messages[MAX_STEPS] += BICGSTAB_NOTE
    elif linear == "gmres":  # restart=2 on a 64-state heat equation: 1625 accepted, 1375 rejected (a user's trial)
        messages[MAX_STEPS] += GMRES_NOTE
    if linear in ("lu", "sparse"):  # static diagonal pivots: a regular I - cJ with a zero diagonal (a user's trial)
        messages[SINGULAR_MATRIX] += SPARSE_PIVOT_NOTE
    elif linear == "dense" and fixed_step is None:  # (a fixed step's text says to shrink dt, which can be the cure)
        messages[SINGULAR_MATRIX] += DENSE_SINGULAR_NOTE
    if suspect is not None:
        for code in messages:
            messages[code] += suspect_note(suspect)
    if blind is not None:  # said once, as a warning, when the first solve built the integrator (an audit's trial)
        for code in messages:
            messages[code] += (f" {blind}'s error estimate is 0 on linear problems and sees only the nonlinear part "
                               "of others, so its adaptive steps can end far off with success reported: use rodas4 "
                               f"or rodas5p for adaptive steps, {blind} with fixed ones.")
    if zero_atol is not None and len(zero_atol):
        named = ", ".join(f"y[:, {int(i)}]" for i in zero_atol[:4]) + (", ..." if len(zero_atol) > 4 else "")
        for code in (SINGULAR_MATRIX, NEWTON_NOT_CONVERGED, STEP_SIZE_UNDERFLOW):
            messages[code] += (f" atol is 0 for {named}: if one of them decays to 0 (or underflows), its error scale "
                               "atol + rtol |y| goes with it and the implicit step's tests divide by it; then give "
                               "it an atol > 0, a small fraction of the size that matters.")
    if rtol is not None:
        nonzero = np.asarray(rtol, dtype=np.float64)
        nonzero = nonzero[nonzero > 0]
        eps = float(np.finfo(dtype).eps)
        messages[MAX_STEPS] += below_eps_note(rtol, dtype)
        if nonzero.size and nonzero.min() < eps:
            messages[STEP_SIZE_UNDERFLOW] += (
                f" rtol {nonzero.min():.3g} is below {np.dtype(dtype).name}'s resolution (eps {eps:.2g}): "
                f"loosen rtol to at least {eps:.2g}, give atol, or solve with precision=np.float64.")
    return messages


#: The statuses whose message opens with the cause its hint names (:func:`lead_with_cause`).
LEAD_STATUSES = (SINGULAR_MATRIX, NEWTON_NOT_CONVERGED, NONFINITE_STATE, STEP_SIZE_UNDERFLOW, MAX_STEPS)
# What a template's field matches in a formatted hint: a number where the field has a format spec or a !r (a float),
# a state's name or an index by its form, anything else as text that does not run past its sentence's end.
_NUMBER = r"[-+]?(?:\d[\d.]*(?:e[-+]?\d+)?|inf|nan)"
_FIELD_PATTERNS = {"name": r"y_\d+", "i": r"\d+", "j": r"\d+", "k": r"\d+", "n": r"\d+"}
_IN_SENTENCE = r"(?:(?!\. [A-Z]).)+?"


def template_pattern(template):
    """A compiled regular expression that finds ``template`` (a ``str.format`` template) as formatted in a text,
    each field a named group (a repeated field must repeat its text).  Built from the template itself, so a hint
    whose wording changes keeps its headline."""
    parts, seen = [], set()
    for literal, field, spec, conversion in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is None:
            continue
        if field in seen:
            parts.append(f"(?P={field})")
            continue
        seen.add(field)
        pattern = _FIELD_PATTERNS.get(field) or (_NUMBER if spec or conversion else _IN_SENTENCE)
        parts.append(f"(?P<{field}>{pattern})")
    return re.compile("".join(parts))


def _headlines():
    """``(pattern, headline)`` of every cause a hint can name, most specific first (a jump or a state below 0 before
    a non-finite entry, that before the rhs failing somewhere on the path); the hint modules are imported when first
    asked (they sit above this table of texts, which the integrator imports).  Built at each call, only when a
    message is asked for (``re`` keeps the compiled patterns): no module-level cache."""
    from .discontinuity import HEADLINES as jumps
    from .jacobian_hint import HEADLINES as causes
    from .rhs_hint import HEADLINES as paths
    from .atol_scale_hint import HEADLINES as scales  # a state below its atol along the path: the last hint asked

    return tuple((template_pattern(template), headline) for template, headline in jumps + causes + paths + scales)


def cause_headline(hint):
    """The one sentence that names the cause ``hint`` holds (the first of :func:`_headlines` found in it, its
    fields filled from the hint), or '' when it names none (a stiffness hint, a stop of SciPy's Radau)."""
    for pattern, headline in _headlines():
        found = pattern.search(hint)
        if found:
            return headline.format(**found.groupdict())
    return ""


def lead_with_cause(code, text, hint):
    """``text``, the message of a trajectory of status ``code`` that ends with ``hint``, opened by the cause
    ``hint`` names (:func:`cause_headline`) where ``code`` is one of :data:`LEAD_STATUSES`; else ``text``.

    The status's own text says what the solver met, which points elsewhere: a biologist's trial opened with "The
    iteration matrix of an implicit step was singular (a pivot of its LU factorisation was zero...)" and named
    only at its end a Hill term's y ** 2.3 at y = -1e-51, the cause.  The hint stays whole after it.  A step-size
    underflow's general guesses (dt_min, a span far from t = 0, a blow-up) shrink to its first sentence there: 600
    characters of them stood between a food web's named cause and its remedy (an ecologist's trial)."""
    if int(code) not in LEAD_STATUSES:
        return text
    headline = cause_headline(hint)
    if not headline:
        return text
    general = STATUS_MESSAGES[STEP_SIZE_UNDERFLOW]
    if int(code) == STEP_SIZE_UNDERFLOW and text.startswith(general):  # its guesses (dt_min, an epoch, a blow-up)
        text = general[:general.index(". ") + 1] + text[len(general):]  # make way for the cause: its first sentence
    return f"{headline} {text}"


# SciPy's OdeResult names -> what holds the same here (IVPResult.__getattr__)
SCIPY_RESULT_NAMES = {
    "nfev": "use n_rhs, one count per trajectory (implicit methods count with solver={'count_work': True})",
    "njev": "use n_jac, one count per trajectory (implicit methods, with solver={'count_work': True})",
    "nlu": "use n_lu, one count per trajectory (implicit methods, with solver={'count_work': True})",
    "t_events": "use event_t (the time of the terminal event that stopped each trajectory, NaN where none did) "
                "and event_count (crossings of each event)",
    "y_events": "use event_y (the state at the terminal event, per trajectory)",
    "sol": "there is no dense output: pass the times you need as t_eval",
}


# diffrax's Solution names -> what holds the same here (IVPResult.__getattr__; SciPy's: SCIPY_RESULT_NAMES)
DIFFRAX_RESULT_NAMES = {
    "ys": "use y, shape (N, len(t), n_states): y[i] holds trajectory i's saved states (diffrax's ys of one solve)",
    "ts": "use t, the save times (float64, shared by every trajectory)",
    "stats": "use n_steps and n_rejected (accepted and rejected steps), n_rhs, n_jac, n_lu and n_newton, one count "
             "per trajectory",
    "result": "use status (one kernels.Status code per trajectory, 0 is success), success (all succeeded) and "
              "message(i) (why trajectory i stopped)",
    "t0": "use t_start, the span's t0",
    "evaluate": "there is no dense output: pass the times you need as t_eval (diffrax's SaveAt(ts=...))",
}


# DifferentialEquations.jl's solution names -> what holds the same here (IVPResult.__getattr__; a Julia user's trial)
DIFFEQ_RESULT_NAMES = {
    "u": "use y, shape (N, len(t), n_states): y[i, k] is trajectory i's state at t[k] (sol.u[k] of one solve)",
    "retcode": DIFFRAX_RESULT_NAMES["result"],
    "destats": DIFFRAX_RESULT_NAMES["stats"],
    "prob": "the result keeps no problem: the system, y0 and params are what you passed",
}
