"""float32 rounding over many steps (kernels/float32_rounding.py): the warning of a long adaptive float32 run, the
quiet of short ones, and the float32 coefficients that meet the first order conditions.

A quantum-optics trial: a 48-state Jaynes-Cummings model in 2000 dop853 steps (2001 save times) at float32's default
tolerances ended 45 to 97 tolerances off with success and no word, float64 0.001.  A rotation at 5 rad a unit over
1000 save-bound steps shows the same (102 tolerances off in float32, 0.0 in float64) in seconds on the simulator."""

import math
import warnings

import numpy as np
import pytest

import kernels
from kernel_helpers import kepler


def _rotation(t, y, p, dydt):
    dydt[0] = p[0] * y[1]
    dydt[1] = -p[0] * y[0]


ROTATION = kernels.ODESystem(_rotation, 2, 1, name="rotation")
RATE = 5.0  # rad per unit of time; float32 holds it exactly, so its rhs rounds nothing of the model's own


def _run(method, span, saves, precision=np.float32, **options):
    """The rotation from (1, 0): (error in tolerances at rtol 1e-5, atol 1e-6, the ToleranceWarnings' texts)."""
    t_eval = np.linspace(0.0, span, saves)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        res = kernels.solve_ivp(ROTATION, (0.0, span), [1.0, 0.0], [[RATE]], method=method, t_eval=t_eval,
                                precision=precision, progress=False, **options)
    assert res.success
    exact = np.stack([np.cos(RATE * t_eval), -np.sin(RATE * t_eval)], axis=1)
    error = float(np.max(np.abs(res.y[0] - exact) / (1e-6 + 1e-5 * np.abs(exact))))
    return error, [str(w.message) for w in record if issubclass(w.category, kernels.ToleranceWarning)]


def _rounding_warnings(texts):
    return [t for t in texts if t.startswith("precision=np.float32 at rtol=")]


# -- the warning ---------------------------------------------------------------------------------------------
def test_a_long_float32_dop853_run_warns_and_names_float64():
    """1000 save-bound dop853 steps in float32 ended 102 tolerances off with success and no word (float64: 0.0)."""
    _, texts = _run("dop853", 50.0, 1001)
    found = _rounding_warnings(texts)
    assert len(found) == 1, texts
    assert "trajectory 0 took 100" in found[0] and " steps, and float32 rounds each by about " in found[0]
    assert "use precision=np.float64" in found[0]


def test_many_tsit5_steps_warn_with_float64_alone():
    """tsit5 holds its coefficients in float32 to 0.016 eps: from 826 steps at rtol 1e-5 the state's and the step's
    rounding alone reach the threshold, and only float64 is advised."""
    _, texts = _run("tsit5", 50.0, 1001)
    found = _rounding_warnings(texts)
    assert len(found) == 1, texts
    assert found[0].endswith("use precision=np.float64.") and "vern9" not in found[0]


@pytest.mark.parametrize("method", ["dop853", "tsit5", "vern9"])
def test_a_short_float32_run_is_quiet(method):
    """A few hundred radians in 50 to 141 steps: float32's rounding is below the threshold (dop853's estimate 6.9)."""
    _, texts = _run(method, 10.0, 21)
    assert not _rounding_warnings(texts), texts


def test_float64_and_fixed_steps_are_quiet():
    """float64 (its eps is 5e8 times smaller) and fixed steps (no tolerance to compare with) say nothing."""
    _, texts = _run("dop853", 50.0, 1001, precision=np.float64, rtol=1e-5, atol=1e-6)
    assert not _rounding_warnings(texts), texts
    t_eval = np.linspace(0.0, 50.0, 1001)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        kernels.solve_ivp(ROTATION, (0.0, 50.0), [1.0, 0.0], [[RATE]], method="rk4", dt=0.05, t_eval=t_eval,
                          progress=False)
    assert not _rounding_warnings([str(w.message) for w in record])


def test_the_estimate_is_steps_times_one_plus_the_defect_over_rtol():
    """``n (1 + D) eps / rtol``; with the coefficients held together (dop853 0.015 eps off), the threshold sits near 830
    steps at rtol 1e-5 (the module's figures)."""
    from kernels.float32_rounding import coefficient_defect, rounding_estimate
    from kernels.methods import get_method

    eps = float(np.finfo(np.float32).eps)
    tsit5, dop853, radau = get_method("tsit5"), get_method("dop853"), get_method("radau")
    for method in (tsit5, dop853, radau):
        expected = 1000 * (1.0 + coefficient_defect(method)) * eps / 1e-5
        assert rounding_estimate(1000, method, 1e-5) == pytest.approx(expected)
        assert rounding_estimate(100, method, 1e-6) == pytest.approx(expected)
    assert coefficient_defect(radau) == 0.0 and coefficient_defect(tsit5) < 0.5
    assert coefficient_defect(dop853) < 0.05  # 0.015


def test_a_method_float32_holds_is_advised_where_the_coefficients_defect_is_most_of_the_estimate():
    """A method is told of vern9 and tsit5 only where its coefficients as the step holds them miss by more than 1 eps
    (rounded one by one dop853's did by 11; held together none of dop853's and tsit5's do): float64 alone."""
    from types import SimpleNamespace

    from kernels.float32_rounding import coefficient_defect, warn_float32_rounding
    from kernels.methods import get_method

    result = SimpleNamespace(n_steps=np.array([50, 3000, 2000], np.int32), status=np.array([0, 1, 0], np.int32))
    for name in ("dop853", "tsit5"):
        method = get_method(name)
        with pytest.warns(kernels.ToleranceWarning, match=r"rtol=1e-05: trajectory 2 took 2000 steps") as record:
            warn_float32_rounding(result, method, np.full(2, 1e-5), np.float32)
        advised = "method='vern9' or 'tsit5'" in str(record[0].message)
        assert advised == (coefficient_defect(method) > 1.0)
    assert coefficient_defect(get_method("tsit5")) < 1.0


def test_an_rtol_below_float32s_floor_is_judged_at_the_floor():
    """tsit5 on Van der Pol at rtol 1e-7 in 53 steps drew this warning beside the floor warning of the solve's start."""
    from types import SimpleNamespace

    from kernels.float32_rounding import warn_float32_rounding
    from kernels.methods import get_method

    result = SimpleNamespace(n_steps=np.array([53], np.int32), status=np.array([0], np.int32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_float32_rounding(result, get_method("tsit5"), np.full(2, 1e-7), np.float32)
        warn_float32_rounding(result, get_method("tsit5"), None, np.float32)  # fixed steps
        warn_float32_rounding(SimpleNamespace(n_steps=np.array([5000]), status=np.array([1])), get_method("tsit5"),
                              np.full(2, 1e-5), np.float32)  # no success: its message speaks


# -- the coefficients as float32 holds them -------------------------------------------------------------------
def _explicit_tableaus():
    from kernels.tableaus import TABLEAUS

    return [t for t in TABLEAUS.values() if t.explicit]


@pytest.mark.parametrize("tableau", _explicit_tableaus(), ids=lambda t: t.name)
def test_consistent_coefficients_meet_the_first_conditions_in_float32(tableau):
    """Each value a float32 number; each row summing to c within the grid of its first entry (which takes the
    residue; at most 1 eps), sum b = 1 and sum b c = 1/2 within 0.1 eps (from order 2); weights moved by 8 eps at most; FSAL's
    last row b."""
    from kernels.float32_rounding import consistent_coefficients

    eps = float(np.finfo(np.float32).eps)
    rows, b = consistent_coefficients(tableau, np.float32)
    assert all(float(np.float32(v)) == v for row in rows for v in row) and all(float(np.float32(v)) == v for v in b)
    for row, c in zip(rows, tableau.c):
        if any(row):
            assert abs(sum(row) - c) <= min(0.5 * float(np.spacing(np.float32(abs(row[0])))), eps)
    assert abs(sum(b) - 1.0) <= 0.1 * eps
    if tableau.order >= 2:
        assert abs(sum(x * sum(row) for x, row in zip(b, rows)) - 0.5) <= 0.1 * eps
    assert max(abs(x - y) for x, y in zip(b, tableau.b)) <= 8 * eps  # tsit5: 6.8 (b[1] = 0.01 at c = 0.161)
    if tableau.fsal:
        assert list(rows[-1]) == list(b[:-1])


def test_dop853_rounded_one_by_one_misses_sum_b_by_3_6_eps():
    """The diagnosis: float32's nearest values of dop853's weights sum to 1 + 3.6 eps (its weights reach 5.8)."""
    from kernels.float32_rounding import consistent_coefficients
    from kernels.tableaus import DOP853

    eps = float(np.finfo(np.float32).eps)
    plain = sum(float(np.float32(v)) for v in DOP853.b)
    assert 3.0 * eps < plain - 1.0 < 4.0 * eps
    assert abs(sum(consistent_coefficients(DOP853, np.float32)[1]) - 1.0) < 0.01 * eps


def test_consistent_constants_replace_a_float32_adaptive_steps_coefficients_only():
    """The hook for kernels/steps/erk.py: float32 adaptive constants become the consistent values; float64 and the
    fixed-step (normalised) constants stay as generated."""
    from kernels.float32_rounding import consistent_coefficients, consistent_constants
    from kernels.steps.erk import ERKStepSettings, _step_source
    from kernels.tableaus import DOP853

    settings = ERKStepSettings(DOP853, 2)
    _, constants = _step_source(settings, 4)
    held = consistent_constants(DOP853, constants, np.float32, adaptive=True)
    rows, b = consistent_coefficients(DOP853, np.float32)
    assert held["B_0"] == b[0] and held["A4_0"] == rows[4][0] and held.keys() == constants.keys()
    assert all(held[k] == v for k, v in constants.items() if not (k.startswith("A") or k.startswith("B_")))
    assert consistent_constants(DOP853, constants, np.float64, adaptive=True) is constants
    fixed = _step_source(ERKStepSettings(DOP853, 2, estimate_error=False), 4)[1]
    assert consistent_constants(DOP853, fixed, np.float32, adaptive=False) is fixed


def test_float32_dop853_over_1000_steps_stays_near_float64_with_consistent_coefficients():
    """Measured with the coefficients substituted: 102 -> 4.0 tolerances (float64: 0.0)."""
    error, _ = _run("dop853", 50.0, 1001)
    assert error < 10.0


# -- a stiff problem on an explicit method ---------------------------------------------------------------------
def _relaxation(t, y, p, dydt):  # a fast relaxation (rate p[0]) onto a slow forcing: stiff for an explicit method
    dydt[0] = -p[0] * (y[0] - np.cos(t))
    dydt[1] = y[0] - 0.1 * y[1]


RELAXATION = kernels.ODESystem(_relaxation, 2, 1, name="relaxation")


def test_steps_held_by_an_explicit_methods_stability_are_told_to_use_an_implicit_method():
    """A cardiac cell model took 9202 float32 tsit5 steps where radau took 390, and the only word at the solve was
    to use float64, which keeps every step (a neuroscientist's trial).  A relaxation at rate 1000 over t = 5:
    tsit5's stable step sets its 1400-odd steps, and the warning names an implicit method instead."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        res = kernels.solve_ivp(RELAXATION, (0.0, 5.0), [1.0, 0.0], [[1000.0]], method="tsit5",
                                precision=np.float32, progress=False)
    found = _rounding_warnings([str(w.message) for w in record if issubclass(w.category, kernels.ToleranceWarning)])
    assert res.success and int(res.n_steps[0]) > 1000 and len(found) == 1, found
    assert "held by tsit5's stability, not by its accuracy: the problem is stiff (its fastest decay rate reaches " \
           "1e+03 at t = " in found[0]
    # said first, before the rounding (a pharmacometrician's trial found it after 400 characters)
    head = found[0].split(". Float32 also rounds each step by about ")[0]
    assert head.startswith(f"precision=np.float32 at rtol=1e-05: trajectory 0 took {int(res.n_steps[0])} steps, ")
    assert head.endswith("so use an implicit method (method='radau' or 'rodas5p'), which takes far fewer steps "
                         "and rounds less; precision=np.float64 alone would keep every step and cost more"), found[0]


def test_a_float64_explicit_run_held_by_its_stability_draws_a_stiffness_warning():
    """A stiff pharmacokinetic model took 27000 to 72000 tsit5 steps a trajectory with success and no word (radau
    850; a pharmacometrician's trial).  The relaxation at rate 1e4 over t = 1, float64: one StiffnessWarning naming
    an implicit method, no rounding warning; at rate 1 it is quiet."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        res = kernels.solve_ivp(RELAXATION, (0.0, 1.0), [1.0, 0.0], [[1e4], [1.0]], method="tsit5",
                                precision=np.float64, progress=False)
    found = [str(w.message) for w in record if issubclass(w.category, kernels.StiffnessWarning)]
    assert res.success and int(res.n_steps[0]) >= 2000 and len(found) == 1, [str(w.message) for w in record]
    assert found[0].startswith(f"tsit5 took {int(res.n_steps[0])} steps in trajectory 0, and these steps were held "
                               "by tsit5's stability, not by its accuracy: the problem is stiff (its fastest decay "
                               "rate reaches 1e+04 at t = ")
    assert "an implicit method takes far fewer steps there (method='radau' or 'rodas5p'" in found[0]
    assert not _rounding_warnings([str(w.message) for w in record])
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.StiffnessWarning)
        kernels.solve_ivp(RELAXATION, (0.0, 1.0), [1.0, 0.0], [[1.0]], method="tsit5", progress=False)


def _relaxation_beside_an_extinct_species(t, y, p, dydt):
    dydt[0] = -p[0] * (y[0] - np.cos(t))
    dydt[1] = y[0] - 0.1 * y[1]
    dydt[2] = 1e-3 * y[2] * (y[0] - 1.0)  # a subnormal abundance times O(1e-3): rounds to 0, the state stays put


def test_an_extinct_species_held_at_a_subnormal_value_leaves_the_stiffness_warning():
    """An ecologist's trial: a float64 tsit5 run of a food web took 8199 steps held by its stability with no
    StiffnessWarning (float32 warned): its extinct species sat at 5e-324, where a relative difference step is 0 and
    every host Jacobian came out NaN."""
    system = kernels.ODESystem(_relaxation_beside_an_extinct_species, 3, 1, name="relaxation_extinct")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        res = kernels.solve_ivp(system, (0.0, 1.0), [1.0, 0.0, 5e-324], [[1e4]], method="tsit5",
                                precision=np.float64, progress=False)
    assert res.success and int(res.n_steps[0]) >= 2000 and float(res.y[0, -1, 2]) == 5e-324
    found = [str(w.message) for w in record if issubclass(w.category, kernels.StiffnessWarning)]
    assert len(found) == 1 and "fastest decay rate reaches 1e+04" in found[0], [str(w.message) for w in record]


def test_a_saddle_the_solution_follows_is_no_stiffness():
    """An orbital dynamicist's trial: dop853 on a Kepler orbit of eccentricity 0.9 (2085 steps over 30 orbits, as
    SciPy's DOP853's 2083) was told the problem is stiff and to use radau, which took 40211.  At periapsis the
    Jacobian's real eigenvalues are +-44.7, a saddle: the decay is matched by a growth the solution follows."""
    from kernels.stiffness import fastest_decay, unmatched_decay

    kepler_system = kernels.ODESystem(kepler, 4, 1, name="kepler")
    periapsis = np.array([0.1, 0.0, 0.0, math.sqrt(19.0)])
    assert fastest_decay(kepler_system, 0.0, periapsis, np.ones(1)) == pytest.approx(math.sqrt(2000.0), rel=1e-4)
    assert unmatched_decay(kepler_system, 0.0, periapsis, np.ones(1)) == 0.0
    assert unmatched_decay(RELAXATION, 0.0, np.array([1.0, 0.0]), np.array([1e4])) == pytest.approx(1e4)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        res = kernels.solve_ivp(kepler_system, (0.0, 60.0 * math.pi), periapsis, 1.0, method="dop853", rtol=1e-10,
                                atol=1e-10, precision=np.float64, controller="i", progress=False)
    assert res.success and int(res.n_steps[0]) >= 2000
    assert not [w for w in record if issubclass(w.category, kernels.StiffnessWarning)], \
        [str(w.message) for w in record]
