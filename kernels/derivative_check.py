"""The construction check of a system's Jacobian: ``jac`` and ``jvp`` against central differences of ``rhs``.

A transposed or mistyped Jacobian runs without an error and ruins what needs it:
Rosenbrock methods use ``J`` itself, so rodas4 with a transposed pendulum ``J``
ran into max_steps with no hint.  :class:`kernels.ODESystem` compares the two at
its test point (``y = linspace(0.5, 1, n)``, ``p = linspace(0.5, 1, n_params)``,
``t = 0``) and at a second one with no value 1 (:func:`second_point`), and warns,
:class:`kernels.JacobianCheckWarning`, naming the entry.  An
entry that matches a one-sided difference instead passes: the rhs has a jump or a
kink there (``floor``, ``Heaviside``, ``abs`` at the test point), where the central
difference measures the jump, not the derivative.  A
warning, not an error: an approximate Jacobian is legitimate for Newton (DIRK,
radau), and a user who means it can ignore the warning or pass ``check=False``.
"""

from __future__ import annotations

import numpy as np

from .errors import JacobianCheckWarning, state_text, warn_user

__all__ = ["check_derivatives", "check_derivatives_at", "DERIVATIVE_CHECK_STATES"]

#: Systems up to this many states have their jac and jvp checked (2 n right-hand sides on the host).
DERIVATIVE_CHECK_STATES = 256


def second_point(size, shift):
    """Test values in (0.55, 0.95) with no two alike and none 1 or 0: where ``y = 1``, ``y``, ``y^2`` and ``y^3``
    agree, and a jac that lost a power passed the check at ``linspace(0.5, 1, n)`` (a user's trial)."""
    golden = (np.sqrt(5.0) - 1.0) / 2.0
    return 0.55 + 0.4 * np.mod(golden * (np.arange(size) + 1.0 + shift), 1.0)


def check_derivatives(system, outputs, y, p):
    """Warn where ``system``'s ``jac`` or ``jvp`` disagrees with central differences of its ``rhs``; return the
    names of those that do (``()`` when none does, or nothing could be checked).

    Checked at the construction check's test point ``(y, p)`` (``outputs["jac"]`` is what ``jac`` wrote
    there, None when it ran on the device) and, where that passes, at :func:`second_point`.  Only for
    host-run functions of systems without drivers, up to :data:`DERIVATIVE_CHECK_STATES` states.
    """
    n = system.n_states
    if system.n_drivers or n > DERIVATIVE_CHECK_STATES or (system.jac is None and system.jvp is None):
        return ()
    y2, p2 = second_point(n, 0.0), second_point(system.n_params, 0.5)
    jac2 = None
    if system.jac is not None and outputs.get("jac") is not None:
        jac2 = np.full(n * n, np.nan)
        try:
            with np.errstate(all="ignore"):  # inf - inf at the second point is the comparison's business
                system.run_host(system.jac, (0.0, y2, p2, jac2))
        except Exception:  # noqa: BLE001 - the construction check has run it once; a failure here is a domain's
            jac2 = None
    disagree = []
    points = (((y, p), outputs.get("jac"), "linspace(0.5, 1, n)"), ((y2, p2), jac2, "a second point"))
    for point, jac_out, label in points:
        with np.errstate(all="ignore"):  # a difference across a pole is the check's business, not a warning's
            found = _disagreements(system, *point, jac_out, label)
        for what, message in found:
            if what not in disagree:
                warn_user(message, JacobianCheckWarning)
                disagree.append(what)
    return tuple(disagree)


def check_derivatives_at(system, used, t, rows, u=None):
    """Warn where ``system``'s ``used`` (``"jac"`` or ``"jvp"``) disagrees with central differences of its ``rhs``
    at a solve's inputs ``rows`` (trajectory -> ``(y0 row, params row)``, host arrays, at time ``t``); return
    ``True`` when it does.

    The construction check looks at its own test points only, where a Jacobian written per branch of a
    parameter (a reaction active above 900 K) is never reached: a chemist's trial's jac with two entries in the
    wrong row of that branch took rodas5p 3509 steps for 120 and ended 2.6 tolerances off with success, no word.
    """
    n = system.n_states
    if (system.n_drivers and u is None) or n > DERIVATIVE_CHECK_STATES or getattr(system, used, None) is None:
        return False  # (``u``: the drivers' values at ``t``, for a system with drivers)
    for i, (y, p) in rows.items():
        y, p = np.asarray(y, np.float64), np.asarray(p, np.float64)
        jac_out = None
        if used == "jac":
            jac_out = np.full(n * n, np.nan)
            try:
                with np.errstate(all="ignore"):
                    system.run_host(system.jac, (t, y, p, jac_out))
            except Exception:  # noqa: BLE001 - device code or a domain error: not judged here
                continue
        with np.errstate(all="ignore"):
            found = [message for what, message in _disagreements(system, y, p, jac_out, f"trajectory {i}'s y0 "
                                                                  "and params", t=t, scaled=True, u=u) if what == used]
        if found:
            warn_user(found[0], JacobianCheckWarning)
            return True
    return False


def _settled(differences, j, step, noise, rounding, halvings=20):
    """Column ``j``'s ``(central, forward, backward, step)`` differences, a vector each (one entry a row), each entry at
    the largest of ``step``, ``step / 2``, ... where it has settled: its one-sided differences agree within 1 %, or
    its central difference with the next step's within 1e-3 (a kink), each beside rounding (``noise`` +
    ``rounding / step``).  Where the rhs curves on a scale below the step (Michaelis-Menten with Km = 0.01 beside a
    dose of 2e5, a step of 1.2e-3) the differences are no derivative, and an exact jac was called wrong.  Where f is
    0 (``noise`` 0: no rounding to hide ``y ** 3``'s differences of step ** 2 at its equilibrium 0) the central
    difference must settle.  NaN where none settles (a jump at ``y``): not judged."""
    current = differences(j, step)
    size = current[0].size
    found = [np.full(size, np.nan) for _ in range(3)] + [np.full(size, step)]
    open_rows = np.ones(size, dtype=bool)
    for level in range(halvings + 1):
        central, forward, backward = current
        settled = open_rows & (noise > 0) & (np.abs(forward - backward) <= 0.01 * np.maximum(
            np.abs(forward), np.abs(backward)) + noise + rounding / step)
        if level < halvings and (open_rows & ~settled).any():
            finer = differences(j, step / 2.0)
            settled |= open_rows & (np.abs(central - finer[0]) <= 1e-3 * np.maximum(np.abs(central), np.abs(
                finer[0])) + noise + rounding / (step / 2.0))
        for k in range(3):
            found[k][settled] = current[k][settled]
        found[3][settled] = step
        open_rows &= ~settled
        if not open_rows.any() or level == halvings:
            break
        current, step = finer, step / 2.0
    return tuple(found)


def _disagreements(system, y, p, jac_out, label, t=0.0, scaled=False, u=None):
    """``(what, message)`` for ``jac`` (its output ``jac_out``) and ``jvp`` where they disagree at ``(t, y, p)``.

    ``scaled``: difference steps relative to each state's own magnitude, at least 1e-3 of the largest state's (a
    solve's inputs, which can be small or 0), halved per column where the rhs curves on a smaller scale
    (:func:`_settled`: a radical at 0 in a mixture of 1e-5 beside a temperature of 950, a chemist's trial).  Of one
    scale for all states at 0 (the smallest nonzero state's), a slip beside a state kept at 1e-20 hid under that
    step's rounding and exact jacs beside a dose of 2e5 were flagged (a regression hunt).  The construction check's
    test points are 0.5 to 1, where ``max(1, |y|)`` serves."""
    n = system.n_states
    out = np.empty(n)
    eps = np.finfo(np.float64).eps

    def f(x):
        system.run_host(system.rhs, (t, x, p, out) if not system.n_drivers else (t, x, p, u, out))
        return out.copy()

    def differences(j, step):
        e = np.zeros(n)
        e[j] = step
        up, down = f(y + e), f(y - e)
        return (up - down) / (2.0 * step), (up - here) / step, (here - down) / step

    try:
        here = f(y)
        if scaled:
            largest = float(np.max(np.abs(y))) if y.size else 0.0
            steps = np.cbrt(eps) * (np.maximum(np.abs(y), 1e-3 * largest) if largest > 0 else np.ones(n))
            noise = 1e-8 * float(np.max(np.abs(here)))
            columns = [_settled(differences, j, steps[j], noise, 10.0 * eps * float(np.max(np.abs(here))))
                       for j in range(n)]
        else:
            steps = np.cbrt(eps) * np.maximum(1.0, np.abs(y))
            columns = [differences(j, steps[j]) + (np.full(n, steps[j]),) for j in range(n)]
        central, forward, backward, steps = zip(*columns) if columns else ((), (), (), ())
    except Exception:  # noqa: BLE001 - rhs calls device code: it is checked on the device only
        return []
    if not np.all(np.isfinite(here)):
        return []  # outside the rhs's domain: nothing to compare with
    # (central, forward, backward) differences; an entry is right when it matches any of them
    references = tuple(np.stack(c, axis=1) for c in (central, forward, backward))
    steps = np.stack(steps, axis=1) if n else np.ones((0, 0))
    given = []
    if jac_out is not None:
        given.append(("jac", jac_out.reshape(n, n), references, None, 1.0))  # the rule: by the slip (_jac_slip)
    if system.jvp is not None:
        # No zero entry and no symmetry: linspace(1, -1, n) had a zero in the middle for odd n, so a slip in
        # that column went unseen (a user's trial: Robertson's jvp off in d/dy_1, rodas5p 4696 steps for 70).
        v = np.random.default_rng(0).choice([-1.0, 1.0], n) * np.linspace(1.5, 0.5, n)
        product = np.full(n, np.nan)
        try:
            system.jvp(t, y, p, v, product)
        except Exception:  # noqa: BLE001 - device code: not checked here
            product = None
        if product is not None:
            given.append(("jvp", product[:, None], tuple((r @ v)[:, None] for r in references),
                          "out[i] must be sum_j d f_i / d y_j v[j]", float(np.sum(np.abs(v)))))
    found = []
    for what, value, differences, rule, weight in given:
        expected = differences[0]
        # 1e-5 of the row's largest entry beside 1e-3 of each: far above the differences' error, far below a slip
        # (of the whole matrix's largest, a slip of 5 beside a rate of 2e6 in another row passed: a regression
        # hunt).  The largest entries of the differences least touched by a jump (which puts 1 / step into others).
        # (an all-NaN row: no scale, NaN, nothing judged there; fmax and fmin skip NaN as nanmax and nanmin do,
        # without their "All-NaN slice" warning, whose filter made "default" show warnings at every solve)
        with np.errstate(invalid="ignore"):
            scale = np.maximum(np.fmin.reduce([np.fmax.reduce(np.abs(diff), axis=1, keepdims=True)
                                               for diff in differences], axis=0), 1e-300)
        # A floor for the differences' rounding, about eps^(2/3) |f| at these steps: where every derivative is 0
        # at the test point (the logistic r (1 - 2 y) at y = 0.5) the differences are rounding alone, 1e-12, and
        # an exact jac of 0 was flagged (a user's accuracy audit).
        rounding = 1e-8 * float(np.max(np.abs(here))) * weight  # weight: sum |v| for the jvp
        # and the rounding of f itself over a step, eps |f| / step a column: small steps at small states (a solve's
        # inputs, y = 1e-12 beside a term of 1000 in the same f: a 1.4 % difference flagged an exact jac)
        column = 10.0 * np.finfo(np.float64).eps * float(np.max(np.abs(here))) / steps  # steps: each entry's
        rounding = rounding + (column if what == "jac" else np.sum(np.abs(v) * column, axis=1, keepdims=True))
        bad = _off_entries(value, differences, scale, rounding)
        if what == "jvp":  # a row whose one-sided differences disagree has a kink here: a product cannot be judged
            forward, backward = differences[1], differences[2]
            bad &= np.abs(forward - backward) <= 1e-5 * scale + 1e-3 * np.abs(forward) + rounding
        if bad.any():
            slip = _jac_slip(system, value, differences, scale, rounding) if what == "jac" else None
            rule = _JAC_RULES[slip] if slip else rule
            i, j = np.unravel_index(np.argmax(np.where(bad, np.abs(value - expected), -1.0)), bad.shape)
            where = f"J[{i * n + j}] (d f_{i} / d y_{j})" if what == "jac" else f"out[{i}]"
            found.append((what,
                f"{what} of system {system.name!r} disagrees with central differences of rhs at t={t:g} at {label} "
                f"(y = {state_text(y)}): {where} is {value[i, j]:.6g}, the differences give {expected[i, j]:.6g} "
                f"({int(bad.sum())} entries off): {rule}. Rosenbrock methods (ros3p, rodas4, rodas5p) need the exact "
                + _remedy(system, what, slip)))
    return found


def _off_entries(value, differences, scale, rounding):
    """Where ``value`` (a jac's matrix or a jvp's product) matches none of ``differences`` (central, forward,
    backward), each entry within 1e-5 of its row's ``scale`` beside 1e-3 of itself and ``rounding``.

    An entry whose central difference is not finite steps out of the rhs's domain (y ** 2.3 at y = 0: a
    generated, exact jac was called wrong, and every message of the solve said so; a user's trial): not judged."""
    bad = np.isfinite(differences[0])
    for diff in differences:
        bad &= ~(np.abs(value - diff) <= 1e-5 * scale + 1e-3 * np.abs(diff) + rounding)
    return bad


#: The rule a disagreeing jac's warning states, by the slip :func:`_jac_slip` judged it to be.
_JAC_RULES = {
    "transposed": "J[i * n + j] must be d f_i / d y_j (row-major: a transposed J, column-major as MATLAB and "
                  "Fortran store it, matches the differences here)",
    "drivers": "J[i * n + j] must be d f_i / d y_j (row-major: a factor of the drivers left out is a common slip)",
    "other": "J[i * n + j] must be d f_i / d y_j (row-major)",
}


def _jac_slip(system, value, differences, scale, rounding):
    """Which slip a disagreeing jac's matrix ``value`` shows: ``"transposed"`` where its transpose matches the
    differences entry by entry (:func:`_off_entries`, the same rule), else ``"drivers"`` for a system with drivers
    (a factor of u left out is one possibility there), else ``"other"``.

    Judged from the numbers, not from ``n_drivers`` alone: a column-major jac of a neuron model with an input
    current was told that a factor of the drivers was left out and to build the system without jac (a
    neuroscientist's trial), where its J did not depend on u at all."""
    if value.shape[0] > 1 and not _off_entries(value.T, differences, scale, rounding).any():
        return "transposed"
    return "drivers" if system.n_drivers else "other"


def _remedy(system, what, slip=None):
    """How to act on a disagreement of ``what`` (``"jac"`` or ``"jvp"``; ``slip`` from :func:`_jac_slip` for a
    jac): for a transposed J, swap its indices; for a system with drivers, which ``jac`` and ``jvp`` do not
    receive, leave it out (a user's trial left a temperature factor out of jac, was told of a transposed J and to
    ignore it, and rodas5p took 9007 steps where without jac it took 384)."""
    if slip == "transposed":
        return "Jacobian: write d f_i / d y_j to J[i * n + j], where yours writes it to J[j * n + i]"
    if not system.n_drivers:
        return "Jacobian; if yours is approximate on purpose, ignore this or pass check=False"
    call = "jac(t, y, p, J)" if what == "jac" else "jvp(t, y, p, v, out)"
    return (f"Jacobian, and {call} does not receive the drivers, so a Jacobian that depends on them (through u) "
            f"cannot be given as {what}: build the system without {what} (differences of rhs see u)")
