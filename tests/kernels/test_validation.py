"""Bad inputs: each gives the specific exception, with a message naming the argument."""

import numpy as np
import pytest

import kernels
from kernels import ConfigurationError, ODESystem, PlanMismatchError

LORENZ = kernels.lorenz()
GOOD = dict(system=LORENZ, t_span=(0.0, 0.1), y0=[1.0, 1.0, 1.0])


def call(**changes):
    kwargs = dict(GOOD, **changes)
    return kernels.solve_ivp(kwargs.pop("system"), kwargs.pop("t_span"), kwargs.pop("y0"), **kwargs)


@pytest.mark.parametrize("changes, words", [
    (dict(system=lambda t, y: y), "system must be an ODESystem"),
    (dict(t_span=(1.0, 0.0)), "t_span must satisfy t_end > t0"),
    (dict(t_span=(0.0, np.inf)), "t_span[1] must be finite"),
    (dict(t_span=3.0), "t_span must be a pair"),
    (dict(y0=[1.0, 1.0]), "y0 must have shape (N, 3) or (3,)"),
    (dict(y0=[[1.0, np.nan, 1.0]]), "y0 must be finite"),
    (dict(y0=[[1.0, 1e39, 1.0]]), "y0 must be finite in float32"),
    (dict(y0=[[1.0, True, "x"]]), "y0 must be an array of real numbers"),
    (dict(y0=[[1.0, 1.0, 1.0]], params=np.ones((2, 3))), "y0 must have shape (2, 3)"),
    (dict(params=np.ones((2, 2))), "params must have shape (N, 3)"),
    (dict(params="abc"), "params must be an array of real numbers"),
    (dict(method="rk45"), "method must be one of"),
    (dict(method="rk4"), "dt is required for fixed-step integration"),
    (dict(method="rk4", dt=0.1, controller="pi"), "controller='pi' needs an error estimate"),
    (dict(dt=-0.1), "dt must be > 0"),
    (dict(controller="p"), "controller must be one of"),
    (dict(controller=3), "controller must be"),
    (dict(rtol=-1e-3), "rtol must be finite and >= 0"),
    (dict(atol=np.ones(2)), "atol must be a scalar or have shape (3,)"),
    (dict(rtol=0.0, atol=0.0), "rtol and atol must not both be 0"),
    (dict(t_eval=[0.05, 0.01]), "t_eval must be strictly increasing"),
    (dict(t_eval=[0.05, 0.2]), "t_eval must lie within t_span"),
    (dict(t_eval=[]), "t_eval must be a non-empty 1-D array"),
    (dict(precision=np.float16), "precision must be np.float32 or np.float64"),
    (dict(plan="fastest"), "plan must be one of"),
    (dict(block_size=0), "block_size must be an integer >= 1"),
    (dict(max_steps=0), "max_steps must be an integer >= 1"),
    (dict(max_steps=2.5), "max_steps must be an integer >= 1"),
    (dict(dt_min=1.0, dt_max=0.5), "dt_min and dt_max must satisfy"),
    (dict(dt_min="small"), "dt_min and dt_max must be real numbers"),
    (dict(drivers=([0.0, 1.0], [[1.0], [2.0]])), "drivers: the system declares n_drivers=0"),
])
def test_bad_argument(changes, words):
    with pytest.raises(ConfigurationError) as info:
        call(**changes)
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)


def test_plan_for_another_problem():
    other = kernels.plan_for(LORENZ, method="bs3", precision=np.float64, block_size=32, plan="greedy")
    with pytest.raises(PlanMismatchError, match="plan does not match"):
        call(method="tsit5", precision=np.float64, plan=other)
    with pytest.raises(PlanMismatchError, match="plan does not match"):
        call(method="bs3", precision=np.float32, plan=other)
    with pytest.raises(PlanMismatchError, match="plan does not match"):
        call(method="bs3", precision=np.float64, plan=other, block_size=64)
    vdp = kernels.van_der_pol()
    with pytest.raises(PlanMismatchError, match="plan does not match"):
        kernels.solve_ivp(vdp, (0.0, 0.1), [2.0, 0.0], method="bs3", precision=np.float64, plan=other)


def test_plan_of_same_shape_is_accepted():
    """Tsit5 and Dopri5 have the same buffers, so one plan serves both."""
    plan = kernels.plan_for(LORENZ, method="dopri5", precision=np.float64, block_size=32, plan="greedy")
    result = call(method="tsit5", precision=np.float64, plan=plan)
    assert result.plan is plan and result.success


def test_shared_over_budget():
    big = kernels.oscillator_chain(64)
    with pytest.raises(ConfigurationError, match="plan='shared': the buffers do not fit"):
        kernels.solve_ivp(big, (0.0, 0.1), np.zeros(128), plan="shared", block_size=1024,
                          precision=np.float64)


def _rhs(t, y, p, dydt):
    dydt[0] = -y[0]


@pytest.mark.parametrize("kwargs, words", [
    (dict(rhs=_rhs, n_states=0), "n_states must be an integer >= 1"),
    (dict(rhs=_rhs, n_states=1, n_params=-1), "n_params must be an integer >= 0"),
    (dict(rhs=lambda t, y, dydt: None, n_states=1), "rhs must take 4 arguments (t, y, p, dydt)"),
    (dict(rhs=_rhs, n_states=1, n_drivers=1), "rhs must take 5 arguments (t, y, p, u, dydt)"),
    (dict(rhs="f", n_states=1), "rhs must be a callable"),
    (dict(rhs=_rhs, n_states=1, observables=_rhs), "observables and n_observables go together"),
    (dict(rhs=_rhs, n_states=1, n_params=2, default_params=[1.0]), "default_params must be 2 finite numbers"),
    (dict(rhs=lambda t, y, p, dydt: undefined_name, n_states=1), "rhs of system"),  # noqa: F821
    (dict(rhs=_rhs, n_states=1, observables=lambda t, y, p, o: o.__setitem__(5, 1.0), n_observables=1),
     "observables of system"),
])
def test_bad_system(kwargs, words):
    with pytest.raises(ConfigurationError) as info:
        ODESystem(**kwargs)
    assert words in str(info.value)


def _decay(t, y, p, dydt):
    dydt[0] = -p[0] * y[0]


def _forced(t, y, p, u, dydt):
    dydt[0] = u[0]


def test_params_required_without_defaults():
    system = ODESystem(_decay, 1, n_params=1)
    with pytest.raises(ConfigurationError, match="params are required"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0])


def test_drivers_required():
    system = ODESystem(_forced, 1, n_drivers=1)
    with pytest.raises(ConfigurationError, match="drivers: the system has 1 driver"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0])
    with pytest.raises(ConfigurationError, match="drivers: times must be strictly increasing"):
        kernels.solve_ivp(system, (0.0, 1.0), [1.0], drivers=([0.0, 0.0], [1.0, 2.0]))
