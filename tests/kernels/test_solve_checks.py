"""The checks a solve makes before its launch (kernels/solve_checks.py): here a fixed step longer than the spacing
of the save times, where steps restart at each save and dt sets nothing."""

import math
import warnings

import numpy as np
import pytest

import kernels


def _oscillator(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -y[0] + 0.3 * math.cos(1.2 * t)


OSCILLATOR = kernels.ODESystem(_oscillator, 2, name="oscillator_saves")
_Y0 = [[0.0, 0.0], [1.0, 0.0]]


def _solve(dt, t_eval, method="rk4"):
    return kernels.solve_ivp(OSCILLATOR, (0.0, 2.0), _Y0, method=method, dt=dt, t_eval=t_eval,
                             precision=np.float64, progress=False)


def test_a_fixed_step_longer_than_the_save_spacing_warns_that_the_steps_there_are_the_spacing():
    """rk4 saved every 0.01 on [10, 20] gave the same answer there at dt = 0.05 and 0.02 (steps restart at each
    save), so a dt convergence study measured nothing, with no word: a mechanical engineer's trial."""
    dense = np.linspace(1.0, 2.0, 41)  # every 0.025 over the second half
    with pytest.warns(kernels.UnusedOptionWarning) as caught:
        _solve(0.1, dense)
    text = str(caught[0].message)
    assert text.startswith("dt=0.1 is longer than the spacing of t_eval (0.025 at the closest) in 40 of its "
                           "intervals between t = 1 and 2: fixed steps restart at each save time, so there every "
                           "step is the save spacing, not dt"), text
    assert text.endswith("save less densely there (t_eval spaced at least dt) or take dt <= 0.025")
    assert len([w for w in caught if issubclass(w.category, kernels.UnusedOptionWarning)]) == 1


@pytest.mark.parametrize("dt, t_eval", [
    (0.025, np.linspace(1.0, 2.0, 41)),  # dt at the spacing (a linspace's rounding below it included)
    (0.01, np.linspace(1.0, 2.0, 41)),
    (0.1, np.linspace(0.0, 2.0, 11)),  # saves every 0.2
    (0.1, [0.001, 0.002, 1.0, 2.0]),  # two saves near the start: the steps elsewhere are dt's
    (0.1, None),
])
def test_saves_no_closer_than_dt_or_few_of_them_say_nothing(dt, t_eval):
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.UnusedOptionWarning)
        assert _solve(dt, t_eval).success


def test_an_adaptive_run_saved_densely_says_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.UnusedOptionWarning)
        kernels.solve_ivp(OSCILLATOR, (0.0, 2.0), _Y0, t_eval=np.linspace(1.0, 2.0, 41), progress=False)


def test_a_step_grid_rounded_by_its_precision_says_nothing():
    """The saves are the step grid to within the times' own rounding: float32 save times (0.01 apart, 1e-4 of dt short
    by t = 4) and float64 ones at t = 1e8 (1.5e-5 short) drew the warning in a regression hunt."""
    from kernels.solve_checks import warn_dt_past_saves

    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.UnusedOptionWarning)
        rounded = np.linspace(0.0, 10.0, 1001, dtype=np.float32)
        warn_dt_past_saves(0.01, 0.0, float(rounded[-1]), rounded)
        far = 1e8 + np.arange(501) * 1e-3
        warn_dt_past_saves(1e-3, 1e8, float(far[-1]), far)
