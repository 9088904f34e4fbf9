"""The invariant-drift check (kernels/invariant_drift.py): a run whose rounding moved a linear invariant of the system
by many tolerances warns and says so in its messages; correct runs stay silent; accidental null vectors of the
Jacobian at y0 are not taken for invariants."""

import math
import pickle
import warnings

import numpy as np
import pytest

import kernels
from kernels.invariant_drift import (DRIFT_TOLERANCES, InvariantDrift, confirmed_drift, find_invariants,
                                     invariant_label, joined_drift, measure_drift)
from kernel_helpers import enzyme_binding, kuramoto_rhs

S = 4.0  # kg of oxygen per kg of fuel in the one-step global combustion model below


def glob_rhs(t, y, p, dydt):
    """F + s O2 -> P, y = (Y_F, Y_O2, T), p = (A, Ta, rho, q): Y_O2 - 4 Y_F and 2e4 Y_F + T are conserved."""
    w = p[0] * math.exp(-p[1] / y[2]) * p[2] * y[0] * y[1]
    dydt[0] = -w
    dydt[1] = -S * w
    dydt[2] = p[3] * w


def glob_jac(t, y, p, J):
    k = p[0] * math.exp(-p[1] / y[2]) * p[2]
    w = k * y[0] * y[1]
    dw0, dw1, dw2 = k * y[1], k * y[0], w * p[1] / (y[2] * y[2])
    J[0] = -dw0
    J[1] = -dw1
    J[2] = -dw2
    J[3] = -S * dw0
    J[4] = -S * dw1
    J[5] = -S * dw2
    J[6] = p[3] * dw0
    J[7] = p[3] * dw1
    J[8] = p[3] * dw2


def heated(t, y, p):
    return y[2] - 1500.0


def _glob():
    system = kernels.ODESystem(glob_rhs, 3, 4, jac=glob_jac, name="glob")
    system.state_names = ("Y_F", "Y_O2", "T")
    y0 = np.array([[0.05, 0.22, 1100.0], [0.05, 0.22, 1200.0]])
    params = np.tile([1.1e12, 2.0e4, 1.0, 2.0e4], (2, 1))
    return system, y0, params


GLOB_TOLERANCES = dict(rtol=1e-5, atol=np.array([1e-9, 1e-9, 1e-3]))


def _solve(system, y0, params, span, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = kernels.solve_ivp(system, span, y0, params, progress=False, **options)
    drift_warnings = [w for w in caught if "linear invariant" in str(w.message)]
    return res, drift_warnings


def test_float32_rodas5p_combustion_drift_warns_and_notes():
    """The users' trial: float32 rodas5p ends 12 to 20 tolerances off with success; the drift of Y_O2 - 4 Y_F (pure
    rounding) says so, once a solve, and in each message."""
    system, y0, params = _glob()
    res, caught = _solve(system, y0, params, (0.0, 2e-3), method="rodas5p", precision=np.float32, **GLOB_TOLERANCES)
    assert np.all(res.status == 0)
    assert len(caught) == 1 and issubclass(caught[0].category, kernels.ToleranceWarning)
    text = str(caught[0].message)
    assert "2 of 2 trajectories" in text and "4 Y_F - Y_O2" in text
    assert "method='radau'" in text and "precision=np.float64" in text
    assert np.all(res.invariant_drift.drift > 3 * DRIFT_TOLERANCES)  # measured 20.1 and 12.0
    for i in range(2):
        message = res.message(i)
        assert message.startswith("The solver successfully reached the end")
        assert "Rounding moved the linear invariant 4 Y_F - Y_O2" in message and "method='radau'" in message


@pytest.mark.parametrize("method, precision", [("rodas5p", np.float64), ("radau", np.float32),
                                               ("kvaerno5", np.float32)])
def test_correct_combustion_runs_stay_silent(method, precision):
    """The same model where the run is right (final error at most 0.12 tolerances): judged, drift well under the
    threshold, no warning, no note."""
    system, y0, params = _glob()
    res, caught = _solve(system, y0, params, (0.0, 2e-3), method=method, precision=precision, **GLOB_TOLERANCES)
    assert not caught
    assert res.invariant_drift is not None and np.all(res.invariant_drift.drift < DRIFT_TOLERANCES / 10)
    assert "linear invariant" not in res.message(0)


@pytest.mark.parametrize("method, precision, rtol", [("rodas5p", np.float32, 1e-5), ("radau", np.float32, 1e-4),
                                                     ("rodas5p", np.float64, 1e-8)])
def test_robertson_is_judged_and_silent(method, precision, rtol):
    """Robertson keeps y0 + y1 + y2: found, measured, and far below the threshold on correct runs."""
    res, caught = _solve(kernels.robertson(), [1.0, 0.0, 0.0], [0.04, 3e7, 1e4], (0.0, 40.0), method=method,
                         precision=precision, rtol=rtol, atol=rtol * 1e-3)
    assert not caught
    assert res.invariant_drift.labels == ("y[0] + y[1] + y[2]",)
    assert res.invariant_drift.drift[0] < DRIFT_TOLERANCES / 10


def test_no_invariant_no_record():
    """The Brusselator has no linear invariant: nothing is recorded, nothing said."""
    n = 8
    res, caught = _solve(kernels.brusselator(n), kernels.brusselator_initial(n), [1.0, 3.0, 1 / 50], (0.0, 0.1),
                         method="rodas5p", precision=np.float32, rtol=1e-5, atol=1e-6)
    assert not caught and res.invariant_drift is None


def test_fixed_steps_are_not_judged():
    """A fixed-step run has no tolerance to measure a drift in."""
    system, y0, params = _glob()
    res, caught = _solve(system, y0, params, (0.0, 1e-5), method="rodas5p", controller="fixed", dt=1e-6,
                         precision=np.float32)
    assert not caught and res.invariant_drift is None


def test_event_stop_is_judged_at_event_y():
    """A trajectory stopped by a terminal event is judged at its event_y (its saved states after it are NaN)."""
    system, y0, params = _glob()
    event = kernels.Event(heated, terminal=True, direction=1)
    res, _ = _solve(system, y0, params, (0.0, 2e-3), method="radau", precision=np.float64, events=event,
                    t_eval=[1e-3, 2e-3], **GLOB_TOLERANCES)
    assert np.all(res.status == kernels.Status.EVENT)
    assert np.all(np.isfinite(res.invariant_drift.drift)) and np.all(res.invariant_drift.drift < 1.0)


def test_pickled_result_keeps_the_note():
    system, y0, params = _glob()
    res, _ = _solve(system, y0[:1], params[:1], (0.0, 2e-3), method="rodas5p", precision=np.float32,
                    **GLOB_TOLERANCES)
    again = pickle.loads(pickle.dumps(res))
    assert "Rounding moved the linear invariant" in again.message(0)


# -- the host side: finding, writing, measuring -------------------------------------------------------------------
def feed_rhs(t, y, p, dydt):
    """A + B -> 2B and B decays: at B = 0 the Jacobian has a left null vector (its first column is 0) that is no
    invariant (y0 + y1 decays with B)."""
    dydt[0] = -p[0] * y[0] * y[1]
    dydt[1] = p[0] * y[0] * y[1] - p[1] * y[1]


def slow_rhs(t, y, p, dydt):
    """A -> B fast, B -> C very slowly: y0 + y1 + y2 is the invariant; y0 + y1 is a near-null direction of the
    Jacobian that moves over a long span."""
    dydt[0] = -p[0] * y[0]
    dydt[1] = p[0] * y[0] - p[1] * y[1]
    dydt[2] = p[1] * y[1]


def test_accidental_null_vector_is_rejected():
    system = kernels.ODESystem(feed_rhs, 2, 2, name="feed")
    found = find_invariants(system, 0.0, 10.0, np.array([[1.0, 0.0]]), np.array([[2.0, 1.0]]))
    assert found is not None and found.shape == (0, 2)


def test_slow_mode_is_not_an_invariant():
    system = kernels.ODESystem(slow_rhs, 3, 2, name="slow")
    found = find_invariants(system, 0.0, 1e6, np.array([[1.0, 0.5, 0.0]]), np.array([[1.0, 1e-7]]), rtol=1e-6,
                            atol=1e-9)
    assert [invariant_label(c) for c in found] == ["y[0] + y[1] + y[2]"]


def test_combustion_invariants_are_exact_and_named():
    system, y0, params = _glob()
    found = find_invariants(system, 0.0, 2e-3, y0, params)
    assert sorted(invariant_label(c, system.state_names) for c in found) == ["20000 Y_F + T", "4 Y_F - Y_O2"]
    np.testing.assert_array_equal(found[1], [4.0, -1.0, 0.0])  # rounded to the exact coefficients


def test_measure_drift_is_in_tolerances_of_the_combination():
    c = np.array([[4.0, -1.0, 0.0]])
    y0 = np.array([[0.05, 0.22, 1100.0]])
    y_end = np.array([[0.0, 0.02 + 4.5e-6, 2100.0]])
    drift, which = measure_drift(c, y0, y_end, 1e-5, np.array([1e-9, 1e-9, 1e-3]))
    tolerance = 4 * 1e-9 + (1e-9 + 1e-5 * (0.02 + 4.5e-6))
    assert which[0] == 0
    assert drift[0] == pytest.approx((4.5e-6 - 1e-9 * (4 * 0.05 + 0.2 - 4.5e-6)) / tolerance, rel=1e-6)


def test_joined_drift_keeps_each_chunks_invariants():
    a = InvariantDrift(("y[0] + y[1]",), np.array([0.1, 9.0]), np.array([0, 0]), "cause")
    b = InvariantDrift(("y[1]",), np.array([5.0]), np.array([0]), "cause")
    joined = joined_drift([(a, 2), (None, 1), (b, 1)])
    assert joined.labels == ("y[0] + y[1]", "y[1]")
    np.testing.assert_array_equal(joined.which, [0, 0, -1, 1])
    np.testing.assert_array_equal(joined.flagged(), [1, 3])
    assert joined_drift([(None, 3)]) is None


def pulse_rhs(t, y, p, dydt):
    """An infusion written in the rhs: 100 for one unit of t from p[0], no y in it."""
    dydt[0] = 100.0 if p[0] <= t < p[0] + 1.0 else 0.0


def test_a_pulse_in_t_is_no_invariant():
    """f is 0 at every probe time and does not depend on y: y[0] met no flow and is not taken for an invariant
    (it was, and a correct sdirk4 run was told it was 1e8 tolerances off)."""
    system = kernels.ODESystem(pulse_rhs, 1, 1, name="pulse")
    found = find_invariants(system, 0.0, 24.0, np.zeros((4, 1)), np.array([[0.5], [2.3], [5.7], [9.1]]))
    assert found is not None and found.shape == (0, 1)


# -- a trial's false invariants: degenerate params, too few probes, an invariant of some rows only ------------------
kuramoto6_rhs = kuramoto_rhs(6)


def forced6_rhs(t, y, p, dydt):
    """Six states driven by t alone: a zero Jacobian, so every direction is a candidate, none an invariant."""
    for i in range(6):
        dydt[i] = math.sin((i + 1.0) * t)


def leak_rhs(t, y, p, dydt):
    """A -> B with an inflow p[0] into A: y0 + y1 is conserved only in the rows where p[0] = 0."""
    dydt[0] = -2.0 * y[0] + p[0]
    dydt[1] = 2.0 * y[0]


def test_a_coupling_sweep_from_zero_finds_no_invariant():
    """A power-systems user's trial: K = linspace(0, 4, 4) zeroes row 0's Jacobian, and its left null space (every
    direction) was screened at 8 probes only: "12.48 y[0] - y[1] - 7.905 y[2] + ... moved by up to 9.09e+05 times its
    tolerance" on runs SciPy put within 2.5 tolerances.  The candidates are now shared by every probe's Jacobian."""
    system = kernels.ODESystem(kuramoto6_rhs, 6, 7, name="kuramoto6_sweep")
    rng = np.random.default_rng(1)
    params = np.column_stack([np.linspace(0.0, 4.0, 4), np.tile(rng.normal(0.0, 1.0, 6), (4, 1))])
    y0 = rng.uniform(0.0, 2.0 * np.pi, 6)
    found = find_invariants(system, 0.0, 2.0, np.tile(y0, (4, 1)), params)
    assert found is not None and found.shape == (0, 6)
    res, caught = _solve(system, y0, params, (0.0, 2.0), method="tsit5", precision=np.float64)
    assert not caught and res.invariant_drift is None
    assert all("linear invariant" not in res.message(i) for i in range(4))


def test_probes_that_do_not_pin_the_invariants_down_judge_nothing():
    """A forcing in t alone: a zero Jacobian, and the rhs at three probe times left three directions orthogonal to
    it, taken for invariants (one said moved by many tolerances); the held-out probes find new directions, so the
    check says nothing."""
    system = kernels.ODESystem(forced6_rhs, 6, 0, name="forced6")
    res, caught = _solve(system, np.zeros(6), None, (0.0, 3.0), method="tsit5", precision=np.float64)
    assert not caught and res.invariant_drift is None


def test_an_invariant_of_some_rows_does_not_judge_the_others():
    """y0 + y1 holds in the probed rows (p[0] = 0) and not in row 1 (an inflow of 0.5), which was told its
    "invariant" moved by many tolerances; each flagged row is now confirmed at its own params."""
    system = kernels.ODESystem(leak_rhs, 2, 1, name="leak_rows")
    params = np.array([[0.0], [0.5], [0.0], [0.0], [0.0]])
    res, caught = _solve(system, [1.0, 0.0], params, (0.0, 2.0), method="tsit5", precision=np.float64)
    assert not caught and "linear invariant" not in res.message(1)
    assert res.invariant_drift.labels == ("y[0] + y[1]",)
    assert np.isnan(res.invariant_drift.drift[1]) and np.all(res.invariant_drift.drift[[0, 2, 3, 4]] < 1.0)


# -- a regression hunt: invariants of systems without jac, and the cost of finding them -----------------------------
def chain3_rhs(t, y, p, dydt):
    """A <-> B <-> C, closed: y0 + y1 + y2 is conserved; no jac, so the Jacobians are differenced."""
    a = p[0] * y[0] - p[1] * y[1]
    b = p[2] * y[1] - p[3] * y[2]
    dydt[0] = -a
    dydt[1] = a - b
    dydt[2] = b


def enzyme_rhs(t, y, p, dydt):
    """E + S <-> ES -> E + P: E + ES and S + ES + P are conserved."""
    bind, turnover = p[0] * y[0] * y[1] - p[1] * y[2], p[2] * y[2]
    dydt[0] = -bind + turnover
    dydt[1] = -bind
    dydt[2] = bind - turnover
    dydt[3] = turnover


CHAIN3_RATES = np.array([[1.0, 0.5, 2.0, 0.1], [2.0, 1.0, 3.0, 0.5], [5.0, 2.0, 4.0, 1.0], [10.0, 1.0, 3.0, 1.0]])


@pytest.mark.parametrize("first_rates", [[1.0, 0.5, 2.0, 0.1], [0.0, 0.0, 2.0, 0.1]])
def test_a_closed_network_without_jac_keeps_its_invariant(first_rates):
    """The perturbed probes move states at 0 to about 1e-3, where a differenced Jacobian's columns carry 4e-7 to
    5e-6 of rounding: over NULL_SHARE, the shared null space came out empty and A + B + C was missed for every rate
    set (with a rate of 0 in row 0 too); each column is now allowed its own rounding."""
    system = kernels.ODESystem(chain3_rhs, 3, 4, name="chain3_nojac")
    params = np.vstack([first_rates, CHAIN3_RATES[1:]])
    found = find_invariants(system, 0.0, 5.0, np.tile([1.0, 0.0, 0.0], (4, 1)), params, None, 1e-6, 1e-8)
    assert [invariant_label(c) for c in found] == ["y[0] + y[1] + y[2]"]


def test_a_solve_without_jac_is_judged():
    system = kernels.ODESystem(chain3_rhs, 3, 4, name="chain3_nojac_solve")
    res, caught = _solve(system, [1.0, 0.0, 0.0], CHAIN3_RATES[:2], (0.0, 5.0), method="tsit5", precision=np.float64)
    assert not caught and res.invariant_drift.labels == ("y[0] + y[1] + y[2]",)
    assert np.all(res.invariant_drift.drift < 1.0)


def test_differenced_invariants_have_exact_coefficients():
    """A differenced Jacobian leaves 1e-9 to 1e-7 in the candidates' coefficients: the enzyme's two invariants came
    out as one, 4.66e9 (E + ES) - (S + ES + P) with non-integer coefficients."""
    system = kernels.ODESystem(enzyme_rhs, 4, 3, name="enzyme_nojac")
    params = np.array([[1.0, 0.5, 0.3], [2.0, 1.0, 1.0], [5.0, 0.1, 2.0], [10.0, 1.0, 5.0]])
    found = find_invariants(system, 0.0, 10.0, np.tile([1.0, 10.0, 0.0, 0.0], (4, 1)), params, None, 1e-5, 1e-6)
    assert found.shape == (2, 4)
    np.testing.assert_array_equal(found, np.round(found))
    assert np.linalg.matrix_rank(np.vstack([found, [[1, 0, 1, 0], [0, 1, 1, 1]]])) == 2


def test_a_flagged_row_at_small_states_is_confirmed():
    """A flagged row's end state with a state of 1e-4 beside one of 0.75: its differenced Jacobian's column there
    carried 2.5e-5 of rounding, and A + B + C was "not an invariant" at the row's own params (the row not judged)."""
    system = kernels.ODESystem(chain3_rhs, 3, 4, name="chain3_confirm")
    table = confirmed_drift(system, np.ones((1, 3)), np.array([[10.0]]), 0.0, 5.0, np.array([[1.0, 0.0, 0.0]]),
                            np.array([[0.25, 0.75 - 1e-4, 1e-4]]), CHAIN3_RATES[:1])
    assert table[0, 0] == 10.0


def test_finding_the_invariants_of_50_states_takes_no_factor_beyond_n_by_n(monkeypatch):
    """One SVD of the 11 Jacobians side by side (50 x 550, full_matrices=True) built a 550 x 550 factor never used:
    warm tsit5 solves of a 50-state chain took 0.51 to 0.78 s instead of 0.15 to 0.17 s."""
    n, shapes, svd = 50, [], np.linalg.svd

    def recorded(a, full_matrices=True, compute_uv=True, **options):
        out = svd(a, full_matrices=full_matrices, compute_uv=compute_uv, **options)
        shapes.extend(factor.shape for factor in (out if compute_uv else (out,)))
        return out

    def chain_rhs(t, y, p, dydt):
        for i in range(n):
            dydt[i] = 0.0
        for i in range(n - 1):
            r = p[0] * y[i] - p[1] * y[i + 1]
            dydt[i] -= r
            dydt[i + 1] += r

    system = kernels.ODESystem(chain_rhs, n, 2, name="chain50_svd")
    monkeypatch.setattr(np.linalg, "svd", recorded)
    found = find_invariants(system, 0.0, 2.0, np.r_[1.0, np.zeros(n - 1)][None], np.array([[2.0, 0.5], [3.0, 1.0]]))
    assert shapes and max(int(np.prod(shape)) for shape in shapes) <= n * n
    assert [invariant_label(c) for c in found] == [" + ".join(f"y[{i}]" for i in range(n))]


def test_the_invariants_found_depend_on_the_solves_params_so_a_solve_searches_again():
    """Why each solve searches (about 2 ms for 6 states, a modeller's trial asked for a cache): a fit's params decide
    the invariants.  An optimiser bounded at 0 reached k2 = 0, where S + ES is conserved; at k2 = 0.3 it is not, and
    taken from a solve there it would judge every later run's S + ES by it."""
    system = kernels.ODESystem(enzyme_binding, 4, 3, name="michaelis_menten")
    y0 = np.array([[10.0, 1.0, 0.0, 0.0]])

    def spanned(rates):
        finals = kernels.solve_ivp(system, (0.0, 5.0), y0[0], rates, method="rodas5p", precision=np.float64,
                                   progress=False).y[:, -1]
        found = find_invariants(system, 0.0, 5.0, y0, np.atleast_2d(rates), finals, 1e-6, 1e-9)
        return lambda c: np.linalg.matrix_rank(np.vstack([found, c])) == len(found)

    turning, stopped = spanned([1.0, 0.5, 0.3]), spanned([1.0, 0.5, 0.0])
    substrate_bound = np.array([1.0, 0.0, 1.0, 0.0])  # S + ES
    assert stopped(substrate_bound) and not turning(substrate_bound)
    assert turning(np.array([0.0, 1.0, 1.0, 0.0])) and stopped(np.array([0.0, 1.0, 1.0, 0.0]))  # E + ES: both


ALPHA_RATES = np.array([1.58118918e-08, 3.33977921e-09, 3.37554902e-14, 9.70724363e-19, 5.89145185e-23, 6.49903160e-27,
                        1.08185147e-110, 8.24347632e-109, 5.49277354e-068, 7.40744434e-145, 1.94304211e-156,
                        3.42950213e-105])  # T9 = 0.3: 3 He <-> C, then alpha captures to S32 and their reverses


def alpha7_rhs(t, y, p, dydt):
    """A 7-isotope alpha chain (He4, C12, O16, Ne20, Mg24, Si28, S32): ``sum A_i Y_i / 4`` is conserved."""
    he = y[0]
    r3a, r3r = p[0] * he * he * he, p[6] * y[1]
    f1, b1 = p[1] * y[1] * he, p[7] * y[2]
    f2, b2 = p[2] * y[2] * he, p[8] * y[3]
    f3, b3 = p[3] * y[3] * he, p[9] * y[4]
    f4, b4 = p[4] * y[4] * he, p[10] * y[5]
    f5, b5 = p[5] * y[5] * he, p[11] * y[6]
    dydt[0] = -3.0 * r3a + 3.0 * r3r - f1 + b1 - f2 + b2 - f3 + b3 - f4 + b4 - f5 + b5
    dydt[1] = r3a - r3r - f1 + b1
    dydt[2] = f1 - b1 - f2 + b2
    dydt[3] = f2 - b2 - f3 + b3
    dydt[4] = f3 - b3 - f4 + b4
    dydt[5] = f4 - b4 - f5 + b5
    dydt[6] = f5 - b5


def test_terms_hidden_at_y0_and_the_end_make_no_false_invariant():
    """Heavy isotopes at 1e-30 beside helium at 0.25, helium burnt out by the end: at y0, the end and the perturbed
    probes ``y[0] + 3 y[1] + 4.004 y[2]`` looked invariant, and a correct float64 run (true invariant moved 5.6e-17)
    was warned of 823 tolerances of float64 rounding (a nuclear astrophysicist's trial); its saved states show that
    the combination moves by itself (2.4e-4), so it is no invariant, and the run is silent."""
    system = kernels.ODESystem(alpha7_rhs, n_states=7, n_params=12, name="alpha7")
    y0 = np.array([0.25] + [1e-30] * 6)
    res, drift_warnings = _solve(system, y0, np.tile(ALPHA_RATES, (2, 1)), (0.0, 1e15), method="tsit5",
                                 precision=np.float64, rtol=1e-6, atol=1e-30, t_eval=np.logspace(0, 15, 16))
    assert np.all(np.asarray(res.status) == 0)
    assert not drift_warnings  # (the true invariant moved 5.6e-17, far inside its tolerance)
    assert "linear invariant" not in res.message(0)


def tyson_rhs(t, y, p, dydt):
    """Tyson's 1991 cell cycle, y = (C2, CP, pM, M, Y, YP), p = (k4, k6, k8, k9): C2 + CP + pM + M (total cdc2) is
    conserved; k8 = 1e6 and k9 = 1e3 beside rates of 0.018 to 1 put Jacobian columns 1e-8 of the largest."""
    ct = y[0] + y[1] + y[2] + y[3]
    r = y[3] / ct
    act = y[2] * (0.018 + p[0] * r * r)
    dydt[0] = p[1] * y[3] - p[2] * y[0] + p[3] * y[1]
    dydt[1] = -200.0 * y[1] * y[4] + p[2] * y[0] - p[3] * y[1]
    dydt[2] = 200.0 * y[1] * y[4] - act
    dydt[3] = act - p[1] * y[3]
    dydt[4] = 0.015 - 200.0 * y[1] * y[4]
    dydt[5] = p[1] * y[3] - 0.6 * y[5]


def _tyson(n_rows):
    system = kernels.ODESystem(tyson_rhs, 6, 4, name="tyson_cycle")
    system.state_names = ("C2", "CP", "pM", "M", "Y", "YP")
    params = np.column_stack([np.linspace(150.0, 250.0, n_rows), np.linspace(0.8, 1.2, n_rows),
                              np.full(n_rows, 1e6), np.full(n_rows, 1e3)])
    return system, np.tile([0.0, 0.75, 0.25, 0.0, 0.0, 0.0], (n_rows, 1)), params


def test_rates_spanning_a_million_keep_the_conserved_total_exact():
    """Tyson's cell cycle (a systems biologist's trial): with one threshold for the whole Jacobian (1e-6 of its norm,
    1.4e6) every column under 1.4 constrained nothing, and the SVD's error bound came back as the invariant
    6.7e6 (C2 + CP + pM + M) + Y - 25.1 YP, no invariant of the run; each column against its own size finds the
    total."""
    system, y0, params = _tyson(4)
    found = find_invariants(system, 0.0, 200.0, y0, params, None, 1e-5, 1e-7)
    np.testing.assert_array_equal(found, [[1.0, 1.0, 1.0, 1.0, 0.0, 0.0]])


def test_float32_drift_of_a_total_conserved_beside_rates_of_1e6_warns():
    """The trial's float32 radau runs ended the total cdc2 about 290 tolerances low with success and no warning (the
    polluted invariant failed the saved states' test); over half the span, 140 and 151 tolerances, warned now."""
    system, y0, params = _tyson(2)
    res, caught = _solve(system, y0, params, (0.0, 100.0), method="radau", precision=np.float32, rtol=1e-5,
                         atol=1e-7, t_eval=np.linspace(0.0, 100.0, 11))
    assert np.all(np.asarray(res.status) == 0)
    assert len(caught) == 1 and issubclass(caught[0].category, kernels.ToleranceWarning)
    assert "2 of 2 trajectories ended with C2 + CP + pM + M" in str(caught[0].message)
    assert res.invariant_drift.labels == ("C2 + CP + pM + M",)
    assert np.all(res.invariant_drift.drift > 30 * DRIFT_TOLERANCES)  # (measured 140 and 151)
    assert "Rounding moved the linear invariant C2 + CP + pM + M" in res.message(1)


# -- a charge diluted in the elements' combinations: an astrochemist's trial ---------------------------------------
ION_NAMES = ("H2", "H", "O", "OH", "H2O", "CO", "C", "H2+", "H3+", "OH+", "H2O+", "H3O+", "HCO+", "C+", "e-")
ION_REACTIONS = (  # (driven by: "cr" cosmic rays zeta, "k" collisions k; reactants, products, rate over zeta or k)
    ("cr", ("H2",), ("H2+", "e-"), 1.0), ("cr", ("C",), ("C+", "e-"), 10.0), ("cr", ("H2O",), ("OH", "H"), 1e3),
    ("k", ("H2+", "H2"), ("H3+", "H"), 2e3), ("k", ("H3+", "O"), ("OH+", "H2"), 1.0),
    ("k", ("OH+", "H2"), ("H2O+", "H"), 1.0), ("k", ("H2O+", "H2"), ("H3O+", "H"), 1.0),
    ("k", ("H3O+", "e-"), ("H2O", "H"), 1e2), ("k", ("H3+", "e-"), ("H2", "H"), 1e2),
    ("k", ("H3+", "CO"), ("HCO+", "H2"), 1.0), ("k", ("HCO+", "e-"), ("CO", "H"), 1e2),
    ("k", ("C+", "e-"), ("C",), 1e-3), ("k", ("C", "OH"), ("CO", "H"), 1e-1), ("k", ("H", "H"), ("H2",), 1e-2),
    ("k", ("H2+", "e-"), ("H", "H"), 1e2))
ION_CHARGE = np.array([0.0] * 7 + [1.0] * 7 + [-1.0])
ION_PARAMS = np.array([[1e-17, 1e-9], [3e-17, 2e-9]])  # (zeta, k)
ION_TOLERANCES = dict(rtol=1e-5, atol=1e-20)


def _ion_network():
    """A 15-species dark-cloud network (H, O, C and charge conserved: 4 invariants; SymPy writes its ``jac``), its
    ``y0`` (H2 at 0.5, ions and electrons at 1e-4 and below), and an end state a set of reaction extents reaches."""
    sympy = pytest.importorskip("sympy")
    y, (zeta, k) = sympy.symbols("y0:15"), sympy.symbols("zeta k")
    rhs, stoichiometry = [sympy.Integer(0)] * 15, np.zeros((15, len(ION_REACTIONS)))
    for j, (driver, reactants, products, rate) in enumerate(ION_REACTIONS):
        r = rate * (zeta if driver == "cr" else k) * sympy.Mul(*[y[ION_NAMES.index(s)] for s in reactants])
        for s in reactants:
            rhs[ION_NAMES.index(s)] -= r
            stoichiometry[ION_NAMES.index(s), j] -= 1.0
        for s in products:
            rhs[ION_NAMES.index(s)] += r
            stoichiometry[ION_NAMES.index(s), j] += 1.0
    system = kernels.symbolic_system(y, rhs, params=(zeta, k), name="ions15")
    system.state_names = ION_NAMES
    y0 = np.full(15, 1e-8)
    y0[[0, 1, 2, 5, 13, 14]] = [0.5, 1e-4, 3e-4, 1e-4, 1e-4, 1e-4 + 8e-8]  # (neutral: 7 ions at 1e-8 beside C+)
    y_end = y0 + stoichiometry @ np.random.default_rng(3).uniform(0.0, 5e-9, len(ION_REACTIONS))
    return system, y0, y_end


def _charge_drifted(y_end, tolerances):
    """``y_end`` with its electrons ``tolerances`` times the charge's tolerance low (the charge moved, no element)."""
    moved = np.array(y_end)
    moved[-1] -= tolerances * (np.abs(ION_CHARGE) @ (ION_TOLERANCES["atol"] + ION_TOLERANCES["rtol"] * np.abs(y_end)))
    return moved


def test_a_charge_mixed_into_the_elements_invariants_is_measured_on_its_own():
    """A float32 radau run of a 60-species dark-cloud network moved its total charge by 8.6 of the charge's tolerances
    with success and no warning: the invariants found span the charge, but their echelon form wrote it mixed with
    the elements (``2 H + 4 H2 + ... + 8 e-``, H2 at 0.5), whose tolerance diluted its drift to 0.04.  The
    combination that drifted most, written on as few states as it needs, is measured too: the charge alone."""
    from kernels.invariant_drift import drifting_combinations

    system, y0, y_end = _ion_network()
    found = find_invariants(system, 0.0, 3e13, np.tile(y0, (2, 1)), ION_PARAMS, None, **ION_TOLERANCES)
    assert found.shape == (4, 15)
    assert np.linalg.matrix_rank(np.vstack([found, ION_CHARGE])) == 4  # (the charge is spanned, in no one vector)
    moved = _charge_drifted(y_end, 10.0)[None]
    basis_drift, _ = measure_drift(found, y0[None], moved, **ION_TOLERANCES)
    assert basis_drift[0] < 0.1  # (measured 0.004: what the solve judged by)
    widened = drifting_combinations(found, y0[None], moved, **ION_TOLERANCES)
    drift, which = measure_drift(widened, y0[None], moved, **ION_TOLERANCES)
    assert widened.shape == (5, 15) and drift[0] == pytest.approx(10.0, rel=1e-3)
    assert invariant_label(widened[which[0]], ION_NAMES) == "H2+ + H3+ + OH+ + H2O+ + H3O+ + HCO+ + C+ - e-"
    # an end state whose invariants all hold adds nothing
    assert drifting_combinations(found, y0[None], y_end[None], **ION_TOLERANCES).shape == (4, 15)
    # past FIT_ROWS rows, evenly spaced ones are fitted: a drift in every tenth row of 5000 is still found
    many = np.tile(y_end, (5000, 1))
    many[::10] = moved
    assert drifting_combinations(found, y0[None], many, **ION_TOLERANCES).shape == (5, 15)


def test_a_solves_drift_record_names_the_drifting_charge():
    """Through the check a solve runs (:func:`kernels.invariant_drift.solve_drift`, on a float32 radau integrator and
    saved states whose last one moved the charge by 10 tolerances in one row): that row is flagged under the charge's
    own label, the other row (untouched) is not."""
    from kernels.invariant_drift import solve_drift

    system, y0, y_end = _ion_network()
    integrator = kernels.Integrator(system, method="radau", precision=np.float32)
    times = np.array([1e12, 3e13])
    saved = np.stack([np.stack([0.5 * (y0 + y_end), end]) for end in (y_end, _charge_drifted(y_end, 10.0))])
    record = solve_drift(integrator, 0.0, 3e13, y0[None], ION_PARAMS, ION_TOLERANCES["rtol"], ION_TOLERANCES["atol"],
                         np.zeros(2, np.int32), saved, None, t_eval=times)
    np.testing.assert_array_equal(record.flagged(), [1])
    assert record.drift[1] == pytest.approx(10.0, rel=1e-3) and record.drift[0] < 0.1
    assert record.labels[record.which[1]] == "H2+ + H3+ + OH+ + H2O+ + H3O+ + HCO+ + C+ - e-"


@pytest.mark.parametrize("precision", [np.float64, np.float32])
def test_correct_runs_of_the_charged_network_stay_silent(precision):
    """radau at rtol 1e-5 keeps the charge (0.04 of its tolerance in float32) and the elements: judged, silent."""
    system, y0, _ = _ion_network()
    res, caught = _solve(system, y0, ION_PARAMS, (0.0, 3e13), method="radau", precision=precision,
                         t_eval=np.array([1e9, 1e10, 1e11, 1e12, 1e13, 3e13]), **ION_TOLERANCES)
    assert np.all(np.asarray(res.status) == 0)
    assert not caught and res.invariant_drift is not None and len(res.invariant_drift.labels) == 4
    assert np.all(res.invariant_drift.drift < DRIFT_TOLERANCES / 10)
