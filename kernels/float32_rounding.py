"""float32 rounding that adds up over many steps: the explicit tableaus' coefficients as float32 holds them, and the
post-solve warning of an adaptive float32 run whose steps are many enough for rounding alone to pass its tolerance.

A quantum-optics trial (a Jaynes-Cummings model, 48 states, ``dop853`` in float32 at rtol 1e-5, atol 1e-6, 2000
steps, each ending on one of 2001 save times) ended 45 to 97 tolerances off SciPy's reference with success and no
word; float64 with the same steps 0.001.  Where it came from (a NumPy model of the same steps, which reproduces the
library's errors to 1 %):

* the time is float64 and the steps land on the save times exactly (:mod:`kernels.loop`): nothing lost there;
* the state rounded to float32 after each step: 0.3 to 0.4 tolerances; the step size rounded to float32 (``h =
  prec(dt)`` in the step): 1.4 to 2.9; the model's ``g sqrt(n)`` held in float32: 3.2 to 6.7;
* ``dop853``'s coefficients rounded to float32: 40 to 84, nearly all of it.  Rounded one by one, its weights sum to
  ``1 + 3.6 eps`` and ``sum b c`` is 7 eps off 1/2 (its weights reach 5.8 and its ``a`` 43), so every step advances
  the solution as if the step were 3.6 eps longer: a phase error of ``3.6 eps`` times the phase the run covers,
  whatever its step count.  ``tsit5``, ``dopri5`` and ``vern9`` are within 0.5 eps; ``vern7``'s ``sum b c`` 5.2 eps.

:func:`consistent_coefficients` rounds them so that the row sums of ``a`` equal ``c``, ``sum b = 1`` and ``sum b c =
1/2`` as exactly as float32's grid allows (``a[i][0]``, ``b[0]`` and one more weight take the residue; ``c[0] = 0``
leaves the higher conditions as they were).  Measured through the library by substituting them in the explicit step
(simulator): the trial 45-97 -> 4.5-10.6 tolerances (the rest is its float32 ``g sqrt(n)``), a 24-state model 37-72
-> 1.6-3.5, Van der Pol over 2000 steps 85-131 -> 4.6-18, a rotation over 1000 steps 102 -> 4.0, an eccentric Kepler
orbit 1083 -> 353 (float32's floor there: the state's rounding alone leaves 145 over 600 steps).  Where dop853's
truncation error is large (the rotation in 408 steps at rtol 1e-5) the plain rounding's lead had offset part of its
lag: 70 tolerances, 258 with these, as float64's 212 in its 406 steps.  ``kernels.steps.erk.build_erk_step`` takes
its float32 adaptive constants from :func:`consistent_constants` (no device cost: the same constants, other last
bits).

:func:`warn_float32_rounding` (one :class:`kernels.ToleranceWarning` a solve, from ``Integrator.solve``) estimates
the rounding a run's steps can add, in tolerances, as ``n (1 + D) eps / rtol``: ``n`` the most accepted steps of a
trajectory that succeeded, ``D`` the float32 defect of the method's held coefficients in eps
(:func:`coefficient_defect`: 0.015 for dop853 and tsit5 as the step holds them, 10.6 and 0.3 rounded one by one; 0
for implicit methods), the 1 the state's and the step's own rounding, ``rtol`` not below float32's floor of 1e-5,
and warns at :data:`WARN_TOLERANCES`.
"""

from __future__ import annotations

import re

import numpy as np

from .errors import ToleranceWarning, warn_user
from .status import EVENT, SUCCESS

__all__ = ["WARN_TOLERANCES", "consistent_coefficients", "consistent_constants",
           "held_coefficients", "coefficient_defect", "rounding_estimate", "warn_float32_rounding", "most_steps"]

#: The estimate (:func:`rounding_estimate`, in tolerances) at which a float32 run is warned about.  Measured
#: (simulator, rtol 1e-5, atol 1e-6; float32 less float64 error at the same steps over the estimate): 0.07 to 1.2 on
#: Jaynes-Cummings models of 24 and 48 states, Bloch equations and Van der Pol over 200 to 6000 steps with dop853,
#: tsit5, vern7 and vern9; 4 to 40 on an eccentric Kepler orbit, whose phase amplifies the rounding of its energy.  At
#: 10, with the coefficients held together (0.001 to 0.06 eps off), an explicit method warns from 790 to 840 steps
#: at rtol 1e-5 (tsit5 826; 649 with its coefficients rounded one by one, 0.3 eps off), where dop853 rounded one by
#: one did from 73 (a 24-state model ended 31 tolerances off in 206 steps, float64 7); a 3-state decay in 57 dop853
#: steps stays quiet.
WARN_TOLERANCES = 10.0

#: The rounding of a step besides its coefficients', in eps: the new state's (half an ulp) and the step size's
#: (``h`` held in the working precision, half an ulp, the same at every step between equally spaced saves).
_OWN_ROUNDING = 1.0

_A_KEY = re.compile(r"A(\d+)_(\d+)$")
_B_KEY = re.compile(r"B_(\d+)$")


def _held(value, dtype):
    """``value`` rounded to ``dtype``, as a Python float (exact in float64)."""
    return float(dtype(value))


def _fix_row(row, c, dtype):
    """Row ``row`` of ``a`` (float32-held values) with its sum brought to ``c``: ``a[i][0]`` takes the residue
    (``c[0] = 0``, so ``A c`` keeps its rounding), then the smallest other nonzero entry what ``a[i][0]``'s grid left."""
    row = list(row)
    if row and row[0] != 0.0:
        row[0] = _held(c - sum(row[1:]), dtype)
    others = [j for j in range(1, len(row)) if row[j] != 0.0]
    rest = c - sum(row)
    if rest != 0.0 and others:
        j = min(others, key=lambda q: abs(row[q]))
        moved = _held(row[j] + rest, dtype)
        if abs(c - (sum(row) - row[j] + moved)) < abs(rest):
            row[j] = moved
    return row


def consistent_coefficients(tableau, dtype=np.float32):
    """``(a_rows, b)`` of an explicit ``tableau`` held in ``dtype`` (floats each exactly a ``dtype`` number): row
    ``i`` of ``a`` up to its diagonal, summing to ``c[i]``, and ``b`` with ``sum b = 1`` and ``sum b (A 1) = 1/2``
    as closely as ``dtype``'s grid allows; an FSAL tableau's last row is ``b``.  Plain rounding left dop853's
    ``sum b`` 3.6 eps over 1, a phase error of that much of every radian a run covers (module docstring)."""
    s = tableau.stages
    rows = [_fix_row([_held(v, dtype) for v in tableau.row(i)], float(tableau.c[i]), dtype) for i in range(s)]
    sums = [sum(r) for r in rows]
    b = [_held(v, dtype) for v in tableau.b]
    second = [q for q in range(1, s) if b[q] != 0.0 and sums[q] != 0.0]
    if second and tableau.order >= 2:
        # the weight whose grid leaves least of the miss: the finest grid per unit of its c
        q = min(second, key=lambda j: float(np.spacing(dtype(abs(b[j])))) * abs(sums[j]))
        b[q] = _held(b[q] + (0.5 - sum(x * y for x, y in zip(b, sums))) / sums[q], dtype)
    if b[0] != 0.0:  # c[0] = 0: b[0] moves sum b alone
        b[0] = _held(1.0 - sum(b[1:]), dtype)
    if tableau.fsal:
        rows[s - 1] = b[:s - 1]
    return rows, b


def held_coefficients(tableau, dtype=np.float32):
    """``(A, b)`` as float64 arrays (A square) of an explicit ``tableau`` as its step holds them in ``dtype``:
    :func:`consistent_coefficients` below float64, else each rounded on its own (float64 holds them as given)."""
    s = tableau.stages
    if np.dtype(dtype).itemsize < 8:
        rows, b = consistent_coefficients(tableau, dtype)
    else:
        rows, b = [[_held(v, dtype) for v in tableau.row(i)] for i in range(s)], [_held(v, dtype) for v in tableau.b]
    a = np.zeros((s, s))
    for i, row in enumerate(rows):
        a[i, :len(row)] = row
    return a, np.asarray(b, np.float64)


def consistent_constants(tableau, constants, dtype, adaptive):
    """The explicit step's generated ``constants`` (``kernels.steps.erk._step_source``) with its coefficients
    ``A<i>_<j>`` and ``B_<j>`` from :func:`consistent_coefficients`, for a float32 adaptive step (whose constants are
    the coefficients themselves); as given otherwise (float64, or fixed steps' normalised sums).  The hook for
    ``build_erk_step``: ``constants = consistent_constants(tab, constants, dtype, settings.adaptive)``."""
    if not adaptive or np.dtype(dtype).itemsize >= 8:
        return constants
    rows, b = consistent_coefficients(tableau, dtype)
    out = dict(constants)
    for key, value in constants.items():
        row, weight = _A_KEY.match(key), _B_KEY.match(key)
        if row is not None:
            i, j = int(row.group(1)), int(row.group(2))
            if value == tableau.row(i)[j]:
                out[key] = rows[i][j]
        elif weight is not None and value == tableau.b[int(weight.group(1))]:
            out[key] = b[int(weight.group(1))]
    return out


def coefficient_defect(method, dtype=np.float32):
    """How far an explicit ``method``'s coefficients as held in ``dtype`` (:func:`held_coefficients`) miss the first
    two order conditions of a linear problem (the second from order 2), in eps: ``|sum b - 1| + |sum b (A 1) - 1/2|``, what each step adds
    to the phase per radian and per radian squared it covers.  0 for implicit methods (their other float32 limits
    are the tolerance checks' and the notes')."""
    if not getattr(method, "explicit", False):
        return 0.0
    a, b = held_coefficients(method.tableau, dtype)
    second = abs(b @ a.sum(axis=1) - 0.5) if method.tableau.order >= 2 else 0.0  # (Euler's is not its condition)
    return float((abs(b.sum() - 1.0) + second) / np.finfo(dtype).eps)


def rounding_estimate(steps, method, rtol, dtype=np.float32):
    """The rounding ``steps`` accepted steps of ``method`` in ``dtype`` can add, in tolerances at ``rtol``:
    ``steps (1 + D) eps / rtol`` with ``D`` the :func:`coefficient_defect`."""
    return steps * (_OWN_ROUNDING + coefficient_defect(method, dtype)) * float(np.finfo(dtype).eps) / rtol


def most_steps(result):
    """``(trajectory, accepted steps)`` of the trajectory that succeeded (or stopped at a terminal event) with the
    most accepted steps, or None (no counts, none succeeded)."""
    from .result_notes import host_array  # (here: kernels.steps.erk may import this module for its hook)

    if result.n_steps is None or result.status is None:
        return None
    steps = np.asarray(host_array(result.n_steps)).reshape(-1).astype(np.int64)
    status = np.asarray(host_array(result.status)).reshape(-1)
    done = np.flatnonzero((status == SUCCESS) | (status == EVENT))
    if not done.size:
        return None
    i = int(done[np.argmax(steps[done])])
    return i, int(steps[i])


def _remedy(method, defect):
    """What the warning advises: float64, and, where the coefficients' defect is most of the estimate, a method whose
    coefficients float32 holds (vern9 in 2000 steps of Bloch equations 2.5 to 9.2 tolerances off, dop853 296 to 398).
    Not fewer save times: where the saves set the steps, fewer of them let the steps grow and the truncation error
    with them (tsit5 on a 24-state model: 2000 saves 1.4 to 6.8 tolerances off, 500 saves 85 to 300; dop853
    rounded one by one 37 to 72 and 36 to 75: its phase error follows the radians covered, not the steps).  Held
    together (:func:`consistent_coefficients`), no shipped method's coefficients miss by 1 eps."""
    if defect <= _OWN_ROUNDING:
        return "use precision=np.float64"
    return (f"use precision=np.float64, or method='vern9' or 'tsit5', whose coefficients float32 holds to 0.5 eps "
            f"({method.name}'s are {defect:.2g} eps off)")


def warn_float32_rounding(result, method, rtol, dtype, system=None, y0=None, params=None):
    """Warn (:class:`kernels.ToleranceWarning`, once a solve) where an adaptive float32 run's most accepted steps
    make :func:`rounding_estimate` reach :data:`WARN_TOLERANCES`: the controller measures each step's truncation
    error, not the rounding the steps add up, so such a run can end tens of tolerances off with status success.
    ``rtol`` is None for fixed steps (nothing is said: no tolerance).  An ``rtol`` below float32's floor (its default,
    1e-5) is judged at the floor: the solve's start warned of it (``warn_float32_rtol``), and tsit5 at rtol 1e-7 was
    otherwise warned twice after 53 steps.  With ``system``, ``y0`` and ``params`` (host, no drivers), an explicit
    run whose steps were held by its stability (:func:`kernels.stiff_steps.stability_bound`) is told to use an
    implicit method instead of float64.  Returns whether it warned."""
    if rtol is None or np.dtype(dtype) != np.float32:
        return False
    found = most_steps(result)
    if found is None:
        return False
    from .tolerances import DEFAULT_RTOL

    i, steps = found
    tight = float(np.min(rtol))
    # judged at float32's floor where rtol asks for less: the warning at the solve's start says that much already
    estimate = rounding_estimate(steps, method, max(tight, DEFAULT_RTOL["float32"]), dtype)
    if estimate < WARN_TOLERANCES:
        return False
    defect = coefficient_defect(method, dtype)
    what = f"{method.name}'s coefficients, the state and the step size" if defect > 0 else "the state and the step size"
    stiff = _stiff_advice(method, result, i, steps, system, y0, params)
    # a stiff run is told so first (a pharmacometrician's trial found it after 400 characters on rounding)
    lead = f"{stiff}. Float32 also rounds each step" if stiff else "and float32 rounds each"
    warn_user(f"precision=np.float32 at rtol={tight:g}: trajectory {i} took {steps} steps, {lead} by "
              f"about {_OWN_ROUNDING + defect:.2g} eps ({what}), "
              f"which, where errors do not damp out (oscillations, orbits, conserved quantities; a diffusion or a decay "
              f"forgets them), can add about {estimate:.3g} tolerances, more where the model amplifies them, that the "
              f"error control does not see (a 40-species mechanism warned of 13 ended 65 to 102 off), so the "
              f"run can end many tolerances off with status success (a 48-state model: 2000 dop853 steps, 45 to 97 off; "
              f"0.001 in float64)" + ("." if stiff else f"; {_remedy(method, defect)}."), ToleranceWarning)
    return True


def _stiff_advice(method, result, trajectory, steps, system, y0, params):
    """An implicit method where the explicit run's steps were held by its stability (with ``system``), else ''."""
    from .stiff_steps import held_text, stability_bound

    bound = None if system is None else stability_bound(system, method, result, trajectory, y0, params, steps)
    if bound is None:
        return ""
    return (f"{held_text(method, bound)}, so use an implicit method (method='radau' or 'rodas5p'), which takes far "
            "fewer steps and rounds less; precision=np.float64 alone would keep every step and cost more")
