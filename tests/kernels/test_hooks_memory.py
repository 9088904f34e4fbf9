"""Memory audit of the loop's hooks: summaries and events allocate what they declare, and stay in bounds."""

import numpy as np
import pytest
from kernel_helpers import audit_allocations

import kernels
from kernels import Event, Summaries


def _forced(t, y, p, u, dydt):
    dydt[0] = y[1]
    dydt[1] = -p[0] * y[0] + u[0]


def _observe(t, y, p, u, obs):
    obs[0] = y[0] * y[0] + y[1] * y[1] + u[0]


def _x(t, y, p):
    return y[0]


def _late(t, y, p):
    return t - 0.4


FORCED = kernels.ODESystem(_forced, 2, n_params=1, n_drivers=1, observables=_observe, n_observables=1,
                           name="forced")
HOOKS = dict(summaries=Summaries(states=[1], observables=[0], stats=("mean", "rms", "argmax", "final"),
                                 per="save"),
             events=[Event(_x), Event(_late, terminal=True)])


@pytest.mark.parametrize("plan_kind", ["local", "shared", "greedy"])
@pytest.mark.parametrize("method, controller", [("rk4", "fixed"), ("tsit5", "pi")])
def test_hook_allocations_equal_declarations(method, controller, plan_kind):
    integ = kernels.Integrator(FORCED, method, controller=controller, precision=np.float64, **HOOKS)
    _, records = audit_allocations(integ.build(integ.plan(plan_kind, block_size=8)))
    assert {("loop.summaries", "accumulators"), ("loop.events", "event_values")} <= set(records)


def test_without_hooks_the_buffers_are_unchanged():
    """No summaries, no events: the settings tree (and so every plan) is the one without the feature."""
    plain = kernels.Integrator(FORCED, "tsit5").buffer_settings()
    assert [c.component for c in plain.children] == ["erk"]
    assert all(not phase.invokes or phase.invokes == ("erk",) for phase in plain.phases)


@pytest.mark.parametrize("method, plan_kind", [("tsit5", "shared"), ("rk4", "shared"), ("tsit5", "auto")])
def test_canaries_survive_with_hooks(method, plan_kind):
    n = 4
    kwargs = dict(dt=0.05) if method == "rk4" else {}
    res = kernels.solve_ivp(FORCED, (0.0, 0.5), [1.0, 0.0], np.linspace(1.0, 2.0, n)[:, None], method=method,
                            plan=plan_kind, block_size=n, precision=np.float32, drivers=([0.0, 1.0], [[0.0], [1.0]]),
                            t_eval=[0.25, 0.5], _canary_elems=5, **HOOKS, **kwargs)
    assert res.canary_intact is True
    assert np.all(res.status == kernels.Status.EVENT)
    np.testing.assert_allclose(res.event_t, 0.4, atol=1e-6)
    assert np.all(np.isfinite(res.summaries["mean"][:, :2])) and np.all(np.isnan(res.y[:, 1]))
