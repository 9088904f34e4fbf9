"""Slips a Hamiltonian physicist's trial made, each told what to write instead: a ``dt_max`` that needs more steps
than ``max_steps`` (refused before the run), a ``jac`` passed by position into ``check``, a symplectic method's
name, a tolerance refusal whose remedy then warned, and an ``rhs(t, y, dydt)`` without ``p``."""

import inspect
import re
import warnings

import numpy as np
import pytest

import kernels
from kernels import solve_checks, system_checks, time_checks, tolerances


def _oscillator(t, y, p, dydt):
    dydt[0] = y[1]
    dydt[1] = -y[0]


def _oscillator_jac(t, y, p, J):
    J[0] = 0.0
    J[1] = 1.0
    J[2] = -1.0
    J[3] = 0.0


OSC = kernels.ODESystem(_oscillator, 2, name="osc_user_slips")


def _decay(t, y, p, dydt):
    dydt[0] = -y[0]


DECAY = kernels.ODESystem(_decay, 1, name="decay_user_slips")


# -- 1. dt_max against max_steps -------------------------------------------------------------------------------------
def _host_checks(integrator, **times):
    """The host checks of an Integrator.solve of OSC over (0, 1) from (1, 0) (no launch)."""
    return solve_checks.check_host_inputs(integrator, 0.0, 1.0, None, np.array([[1.0, 0.0]]), np.zeros((1, 0)),
                                          None, 1e-8, 1e-8, None, **times)


def test_dt_max_needing_more_than_max_steps_is_refused_before_the_run():
    """dt_max=1e-4 over a span of 1 at max_steps=2000 ran (minutes on the simulator at full size) and ended at
    MAX_STEPS told to raise max_steps or loosen rtol and atol, never naming dt_max."""
    integrator = kernels.Integrator(OSC, "dop853", precision=np.float64)
    with pytest.raises(kernels.ConfigurationError) as caught:
        _host_checks(integrator, dt_max=1e-4, max_steps=2000)
    said = str(caught.value)
    for words in ("dt_max=0.0001", "at least 10000 steps", "max_steps=2000", "raise max_steps to at least 10000",
                  "raise dt_max to at least 0.0005"):
        assert words in said, said
    _host_checks(integrator, dt_max=1e-4, max_steps=10000)  # enough steps: no word


def test_dt_max_count_counts_saves_and_stops_where_the_run_stops():
    """Each save ends a step; a run without events stops at its last save; a terminal event may stop it sooner;
    saves alone beyond max_steps are the saves' own message (after the run), not dt_max's."""
    assert time_checks.dt_max_step_count(0.3, 0.0, 1.0) == (4, 1)
    assert time_checks.dt_max_step_count(0.3, 0.0, 1.0, [0.5]) == (4, 2)  # (0, 0.5): 2 steps, (0.5, 1): 2 steps
    assert time_checks.dt_max_step_count(0.1, 0.0, 1.0) == (10, 1)  # 1 / 0.1 rounds to 10.000000000000002: not 11
    assert time_checks.dt_max_step_count(np.inf, 0.0, 1.0) is None
    time_checks.check_dt_max_reach(1e-4, 2000, 0.0, 1.0, adaptive=False)  # fixed steps: dt_max is refused elsewhere
    time_checks.check_dt_max_reach(1e-4, 2000, 0.0, 1.0, adaptive=True, terminal=True)
    time_checks.check_dt_max_reach(1e-3, 2000, 0.0, 1.0, adaptive=True, t_eval=np.linspace(0.0, 1.0, 3001))
    integrator = kernels.Integrator(OSC, "dop853", precision=np.float64)
    _host_checks(integrator, dt_max=1e-4, max_steps=2000, t_eval=np.array([0.1]))  # stops at t = 0.1: 1000 steps
    with pytest.raises(kernels.ConfigurationError, match="landing on the 1 save times"):
        _host_checks(integrator, dt_max=1e-4, max_steps=2000, t_eval=np.array([0.1, 0.5]))


def test_solve_ivp_refuses_dt_max_beyond_max_steps():
    """The public route: solve_ivp(dt_max=, max_steps=) is refused before any step is taken."""
    with pytest.raises(kernels.ConfigurationError, match=r"dt_max=0\.0001.*max_steps=200\b"):
        kernels.solve_ivp(OSC, (0.0, 1.0), [1.0, 0.0], method="dop853", dt_max=1e-4, max_steps=200,
                          precision=np.float64, progress=False)


# -- 2. a function passed by position into a slot that takes none ----------------------------------------------------
def test_jac_passed_by_position_into_check_is_refused():
    """ODESystem(rhs, 2, 0, "osc", None, 0, None, 0, None, jac) put jac in check, taken as True: no jac, no word."""
    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.ODESystem(_oscillator, 2, 0, "osc", None, 0, None, 0, None, _oscillator_jac)
    said = str(caught.value)
    assert "check (position 10) got the function _oscillator_jac" in said and "jac=..." in said, said


@pytest.mark.parametrize("slot", ["name", "n_params", "default_params", "literals", "param_names"])
def test_function_in_another_slot_is_refused_by_name(slot):
    with pytest.raises(kernels.ConfigurationError, match=f"ODESystem's {slot}.* got the function _oscillator_jac"):
        kernels.ODESystem(_oscillator, 2, **{slot: _oscillator_jac})


def test_check_must_be_a_bool():
    with pytest.raises(kernels.ConfigurationError, match="check must be True or False"):
        kernels.ODESystem(_oscillator, 2, check="yes")
    assert kernels.ODESystem(_oscillator, 2, check=np.bool_(False)).n_states == 2
    assert kernels.ODESystem(_oscillator, 2, check=0).n_states == 2  # 0 and 1 as before (a regression hunt)
    assert kernels.ODESystem(_oscillator, 2, check=1).n_states == 2


def test_positions_named_in_the_message_are_the_signature():
    order = system_checks.ODESYSTEM_POSITIONS
    assert tuple(list(inspect.signature(kernels.ODESystem.__init__).parameters)[1:len(order) + 1]) == order


# -- 3. symplectic methods' names ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["leapfrog", "verlet", "symplectic", "yoshida", "stormer", "Velocity_Verlet"])
def test_symplectic_names_are_told_gauss4(name):
    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.solve_ivp(OSC, (0.0, 1.0), [1.0, 0.0], method=name, dt=0.1, progress=False)
    said = str(caught.value)
    for words in (f"method {name!r} asks for a symplectic integrator", "'gauss4' (implicit Gauss-Legendre of order 4) "
                  "is symplectic", "controller='fixed', dt=...", "'dop853' or 'vern9' at a tight rtol"):
        assert words in said, said


# -- 4. a refused tolerance's remedy runs without a warning ----------------------------------------------------------
@pytest.mark.parametrize("precision, tight", [(np.float64, 1e-17), (np.float32, 1e-9)])
def test_refused_tolerance_remedy_draws_no_warning(precision, tight):
    """rtol=1e-17 was told "rtol >= 1.4e-17", which then warned to use rtol >= 1.1e-14 (itself still warned)."""
    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.solve_ivp(DECAY, (0.0, 0.1), [1.0], rtol=tight, atol=1e-20, precision=precision, progress=False)
    advised = float(re.search(r"rtol >= ([0-9.e+-]+\d)", str(caught.value)).group(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernels.ToleranceWarning)
        result = kernels.solve_ivp(DECAY, (0.0, 0.1), [1.0], rtol=advised, atol=1e-20, precision=precision,
                                   progress=False)
    assert result.success


def test_quiet_rtol_as_written_is_not_below_the_floor():
    assert float(tolerances.quiet_rtol_text(np.float64)) >= tolerances.FLOAT64_RELATIVE
    assert float(np.float32(float(tolerances.quiet_rtol_text(np.float32)))) >= float(np.float32(1e-5))


# -- 5. an rhs without p ---------------------------------------------------------------------------------------------
def test_rhs_without_p_is_told_p_is_missing():
    def rhs(t, y, dydt):
        dydt[0] = y[1]
        dydt[1] = -y[0]

    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.ODESystem(rhs, 2, name="osc")
    said = str(caught.value)
    assert "rhs(t, y, dydt) lacks p: write def rhs(t, y, p, dydt)" in said and "n_params is 0" in said, said
    assert "SciPy" not in said, said  # it writes dydt: SciPy's returning form is no part of it


def test_jac_without_p_and_scipy_rhs_keep_their_words():
    def jac(t, y, J):
        J[0] = 0.0

    with pytest.raises(kernels.ConfigurationError, match=r"jac\(t, y, J\) lacks p: write def jac\(t, y, p, J\)"):
        kernels.ODESystem(_oscillator, 2, jac=jac)

    def scipy_rhs(t, y, p):
        return [y[1], -y[0]]

    with pytest.raises(kernels.ConfigurationError) as caught:
        kernels.ODESystem(scipy_rhs, 2)
    assert "lacks p" not in str(caught.value) and "SciPy's habit" in str(caught.value)
