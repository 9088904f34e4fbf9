"""What the tolerance and precision warnings say, and when (kernels/tolerances.py, kernels/integrator_checks.py):
the component a float32 floor warning names, float64's own floor, and float32's range met by a math function."""

import math
import warnings

import numpy as np
import pytest
from numba import cuda

import kernels
from kernels import tolerances
from kernels.integrator_checks import warn_float32_rtol
from kernels.methods import get_method


def _tolerance_warnings(record):
    return [str(w.message) for w in record if issubclass(w.category, kernels.ToleranceWarning)]


# -- the component named (float32's floor) ---------------------------------------------------------
def test_the_float32_floor_warning_says_a_component_starting_at_0_is_judged_at_the_largest_state():
    """A user's trial: y[:, 0] starts at 0 and is judged at |y[:, 1]| = 1.5e11, but the message read 'y[:, 0] (at
    |y| = 1.5e+11)', a magnitude that component never had."""
    y0 = np.array([[0.0, 1.5e11, 3e4, 0.0]])
    rtol, atol = np.full(4, 1e-6), np.full(4, 1e3)
    with pytest.warns(kernels.ToleranceWarning, match=r"ask float32 for 1\.01e-06 relative on y\[:, 0\] \(it starts "
                                                      r"at 0 and is judged at the largest state's magnitude, "
                                                      r"\|y\[:, 1\]\| = 1\.5e\+11\), more than it keeps"):
        warn_float32_rtol(get_method("dop853"), np.float32, rtol, atol, y0)
    # a component judged at its own magnitude keeps the short form
    with pytest.warns(kernels.ToleranceWarning, match=r"relative on y\[:, 1\] \(at \|y\| = 1\.5e\+11\)"):
        warn_float32_rtol(get_method("dop853"), np.float32, np.full(4, 1e-6), np.array([1.0, 0.0, 1.0, 1.0]), y0)


# -- float64's floor ----------------------------------------------------------------------------------
def _kepler(t, y, p, dydt):
    r2 = y[0] * y[0] + y[1] * y[1]
    f = -1.0 / (r2 * math.sqrt(r2))
    dydt[0], dydt[1], dydt[2], dydt[3] = y[2], y[3], f * y[0], f * y[1]


KEPLER = kernels.ODESystem(_kepler, 4, name="kepler_circular")


def _kepler_run(method, tol):
    """The circular orbit over two periods in float64 at rtol = atol = tol: (error in tolerances, ToleranceWarnings)."""
    end = 4.0 * math.pi
    exact = np.array([math.cos(end), math.sin(end), -math.sin(end), math.cos(end)])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = kernels.solve_ivp(KEPLER, (0.0, end), [1.0, 0.0, 0.0, 1.0], method=method, rtol=tol, atol=tol,
                                   precision=np.float64, progress=False)
    assert result.success
    return float(np.max(np.abs(result.y[0, -1] - exact) / (tol + tol * np.abs(exact)))), _tolerance_warnings(record)


@pytest.mark.parametrize("method", ["dop853", "vern9"])
def test_float64_below_its_floor_warns_once(method):
    """A user's trial: a Kepler orbit at rtol = atol = 1e-15 in float64 ended 22 (dop853) and 16 (vern9) tolerances
    off with success and no word, while 1e-16 warned and advised 2.2e-14.  Now 1e-15 warns (one warning), 1e-16
    keeps its one warning (not two), and 1e-14, where vern9 ends 0.16 off, says nothing."""
    error, said = _kepler_run(method, 1e-15)
    assert error > 5.0  # what the warning is about
    assert len(said) == 1 and said[0].startswith("rtol=1e-15 and atol=1e-15 ask float64 for 2e-15 relative on y[:, 0] "
                                                 "(at |y| = 1), more than it keeps"), said
    assert "use tolerances of at least 1.2e-14 relative to the states (rtol >= 1.2e-14, atol >= 1.2e-14 |y|)" in said[0]
    _, said = _kepler_run(method, 1e-16)
    assert len(said) == 1 and "below float64's resolution" in said[0], said
    error, said = _kepler_run(method, 1e-14)
    assert said == []
    if method == "vern9":
        assert error < 2.0


def test_the_float64_floor_is_judged_on_rtol_and_atol_together_from_eps_up():
    """rtol + atol / |y0| against 50 eps, adaptive runs only; a component that starts at 0 is judged at the largest
    state's magnitude (named), and the words name the arguments as the caller calls them (the command line)."""
    floor = tolerances.FLOAT64_RELATIVE
    ones, zeros = np.ones((1, 2)), np.zeros(2)
    with pytest.warns(kernels.ToleranceWarning, match=r"ask float64 for 1\.1e-14 relative on y\[:, 0\]"):
        tolerances.check_tolerance_reachable(np.full(2, 0.99 * floor), zeros, ones, np.float64, adaptive=True)
    with pytest.warns(kernels.ToleranceWarning, match=r"^--rtol=\[1e-13, 0\] and --atol=\[0, 1e-13\] ask float64 for "
                                                      r"1e-14 relative on "
                                                      r"y\[:, 1\] \(it starts at 0 and is judged at the largest "
                                                      r"state's magnitude, \|y\[:, 0\]\| = 10\)"):
        tolerances.check_tolerance_reachable(np.array([1e-13, 0.0]), np.array([0.0, 1e-13]), np.array([[10.0, 0.0]]),
                                             np.float64, adaptive=True, names=("--rtol", "--atol", "--precision"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ToleranceWarning)
        tolerances.check_tolerance_reachable(np.full(2, 1.01 * floor), zeros, ones, np.float64, adaptive=True)
        tolerances.check_tolerance_reachable(np.full(2, 0.6 * floor), np.full(2, 0.6 * floor), ones, np.float64,
                                             adaptive=True)  # 1.2 x the floor, asked by the two together
        tolerances.check_tolerance_reachable(np.full(2, 0.5 * floor), zeros, ones, np.float64, adaptive=False,
                                             newton=True)  # fixed steps: Newton's stop, not the run's error


# -- float32's range, met by a math function --------------------------------------------------------
def _arrhenius(t, y, p, dydt):
    rate = math.exp(p[0]) * math.exp(-p[1] / y[1]) * y[0]  # exp(100) * exp(-100) = 1 at T = 1000 K
    dydt[0] = -rate
    dydt[1] = p[2] * rate


def _arrhenius_combined(t, y, p, dydt):
    rate = math.exp(p[0] - p[1] / y[1]) * y[0]
    dydt[0] = -rate
    dydt[1] = p[2] * rate


@cuda.jit(device=True)
def _rate(lna, ta, temperature):
    return math.exp(lna) * math.exp(-ta / temperature)


def _arrhenius_by_helper(t, y, p, dydt):
    rate = _rate(p[0], p[1], y[1]) * math.fabs(y[0])  # a CUDA device function: not compiled for the CPU, the
    # check falls back to Python's (which does not see exp's overflow in float32)
    dydt[0] = -rate
    dydt[1] = p[2] * rate


ARRHENIUS = dict(t_span=(0.0, 0.1), y0=[1.0, 1000.0], params=[100.0, 100000.0, 0.0], method="rk4", dt=0.05,
                 progress=False)


def test_a_math_function_past_float32s_range_warns():
    """A chemist's trial: exp(lnA) with lnA = 100 is inf in float32 on a GPU (Numba types math.exp of a float32 as
    float32), but the check ran rhs in Python, where math.exp returns a float64: no PrecisionWarning.  Combined into
    one exp, in float64, or through a helper Numba cannot compile for the CPU (today's check alone), nothing."""
    with pytest.warns(kernels.PrecisionWarning, match=r"^rhs leaves float32's range at t0 for trajectory 0 \(dydt\[0\] "
                                                      r"is -inf compiled, -1 in float64: Numba computes a math "
                                                      r"function of float32 values in float32\).*math\.exp\(100\.0\) "
                                                      r"is 2\.7e43.*combine exponentials"):
        kernels.solve_ivp(kernels.ODESystem(_arrhenius, 2, 3, name="arrhenius"), **ARRHENIUS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.PrecisionWarning)
        kernels.solve_ivp(kernels.ODESystem(_arrhenius, 2, 3, name="arrhenius64"), **ARRHENIUS, precision=np.float64)
        kernels.solve_ivp(kernels.ODESystem(_arrhenius_combined, 2, 3, name="arrhenius_combined"), **ARRHENIUS)
        kernels.solve_ivp(kernels.ODESystem(_arrhenius_by_helper, 2, 3, name="arrhenius_helper"), **ARRHENIUS)


@pytest.mark.parametrize("y0, rtol, atol, warned", [
    ([0.2, 0.1, 0.05], 1e-6, 1e-2, True),  # fractions with an atol meant for counts: 5 % of the largest state
    ([1.0, 1.0, 1.0], 1e-2, 1e-2, False),  # loose, but as loose as rtol asks
    ([1e6, 5e5, 1e3], 1e-6, 1e-2, False),  # counts with that atol
    ([0.2, 0.0, 0.0], 1e-6, [1e-2, 1e-2, 1e-10], False),  # one component held tightly
    ([0.2, 0.1, 0.05], 0.0, 1e-2, False),  # rtol 0: absolute control asked for (it divided by zero)
], ids=["fractions", "loose", "counts", "one-tight", "rtol-0"])
def test_an_atol_that_swamps_every_state_is_warned_about(y0, rtol, atol, warned):
    """An epidemiologist's trial: populations as fractions with atol 1e-2 meant for head counts and rtol 1e-6 ended
    with success and a final size of 1.0034 (SciPy 0.8806); nothing said the error control was absolute and loose."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        kernels.solve_ivp(kernels.lorenz(), (0.0, 1e-6), y0, rtol=rtol, atol=atol, precision=np.float64,
                          progress=False)
    swamped = [w for w in record if issubclass(w.category, kernels.ToleranceWarning) and "absolute and loose"
               in str(w.message)]
    assert bool(swamped) == warned, [str(w.message)[:120] for w in record]


def _activator(t, y, p, dydt):
    """A self-activating gene with a basal leak, and its target."""
    dydt[0] = p[0] + p[1] * y[0] ** 2 / (1.0 + y[0] ** 2) - y[0]
    dydt[1] = y[0] - 0.5 * y[1]


def _swamp_warnings(system, y0, rtol, atol, params=None):
    """The "absolute and loose" ToleranceWarnings of a short float64 solve, as strings (the check is made before the
    run: a span of 1e-6, since Lorenz from y0 = 1e6 over 0.01 took 20 s of simulator steps)."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        kernels.solve_ivp(system, (0.0, 1e-6), y0, params, method="tsit5", rtol=rtol, atol=atol,
                          precision=np.float64, progress=False)
    return [str(w.message) for w in record
            if issubclass(w.category, kernels.ToleranceWarning) and "absolute and loose" in str(w.message)]


def test_a_seed_start_is_told_its_atol_needs_no_change_if_it_grows_and_a_small_dose_is_still_warned():
    """A systems biologist's trial: a gene switched on from y0 = [1e-8, 0] at rtol 1e-6, atol 1e-8 (sensible for its
    O(1) end) was told its states were fractions with an atol meant for counts, "at least 1 of the largest state";
    its result was 0.05 tolerances from SciPy's.  A first fix kept silent below 10 atol, and a regression hunt found
    a PK dose of 0.08 at atol 1e-2 ending at -6e-4 with success and no word: the start cannot tell a seed from a small
    scale, so both warn, worded on the condition the start cannot check and saying a growing seed needs no change."""
    gene = kernels.ODESystem(_activator, n_states=2, n_params=2, name="activator_seed")
    (seed,) = _swamp_warnings(gene, [1e-8, 0.0], 1e-6, 1e-8, [0.01, 3.0])
    assert "if the states stay near that scale" in seed and "a seed that grows far past that scale needs no change" in seed
    assert "at least 1 of the largest" not in seed
    assert len(_swamp_warnings(kernels.lorenz(), [0.08, 0.0, 0.0], 1e-6, 1e-2)) == 1  # a small dose: warned
    assert _swamp_warnings(kernels.lorenz(), [1e6, 5e5, 1e3], 1e-6, 1e-2) == []  # counts: silent, as before
    (message,) = _swamp_warnings(kernels.lorenz(), [0.2, 0.1, 0.05], 1e-6, 1e-2)  # fractions: warned, as before
    assert message.startswith("atol=0.01 allows every component an error of at least 0.01, 5% of the largest |y0| "
                              "(0.2) and 5e+04 times what rtol=1e-06 asks there: if the states stay near that scale, "
                              "the error control is absolute and loose")


# -- an atol below the precision's smallest normal number -------------------------------------------------------
def _decays(t, y, p, dydt):
    dydt[0] = -y[0]
    dydt[1] = -2.0 * y[1]


DECAYS = kernels.ODESystem(_decays, 2, name="decays_subnormal_atol")


def _solve_decays(atol, precision=np.float32):
    """A short decay at rtol 1e-5 and ``atol``: the ToleranceWarnings it drew."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        result = kernels.solve_ivp(DECAYS, (0.0, 1.0), [1.0, 1.0], rtol=1e-5, atol=atol, precision=precision,
                                   progress=False)
    assert result.success
    return _tolerance_warnings(record)


def test_an_atol_below_the_smallest_normal_number_warns_that_it_cannot_be_met():
    """A user's trial: y' = -y to t = 200 in float32 at rtol 1e-5 with atol 1e-38, 1e-40 and 1e-44 took the same 237
    steps to y = 5.2e-39 (exact 1.4e-87), 0.5, 52 and 5.2e5 tolerances off, with success and no word: the launch
    floors atol at float32's smallest normal number (kernels/launch.py).  Now it warns, names the entry of a
    per-state atol, and gives float32's remedies; atol 0 (relative control) and a normal atol say nothing."""
    said = _solve_decays(1e-40)
    assert len(said) == 1 and said[0].startswith(
        "atol=1e-40 is below float32's smallest normal number, 1.18e-38 (np.finfo(np.float32).tiny), so it cannot be "
        "met in float32: the run takes atol as 1.18e-38 there"), said
    assert "use precision=np.float64, or rescale the state (units in which the atol it needs is above 1.18e-38)" in \
        said[0]
    said = _solve_decays(np.array([1e-6, 1e-44]))
    assert len(said) == 1 and said[0].startswith("atol[1] = 1e-44 (for y[:, 1]) is below float32's smallest normal"), \
        said
    assert not any("smallest normal" in text for text in _solve_decays(1e-30) + _solve_decays(0.0))


def test_float64_below_its_smallest_normal_number_is_told_only_to_rescale():
    """float64 floors atol at 2.2e-308 the same way; it is the widest precision, so the remedy is the state's units."""
    said = _solve_decays(1e-320, np.float64)
    assert len(said) == 1 and said[0].startswith("atol=1e-320 is below float64's smallest normal number, 2.23e-308"), \
        said
    assert "precision=np.float64" not in said[0] and "; rescale the state" in said[0]
