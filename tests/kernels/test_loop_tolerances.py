"""Where a run's atol, rtol and Newton constant live: a per-thread buffer, or one global array all threads read.

From ``GLOBAL_TOLERANCES_FROM`` states (FIRK from 8) a step with a Newton iteration reads them from the
kernel's global array (``LoopBufferSettings.tolerances_global``); the numbers must be those of the
per-thread copy, bit for bit, and the plan must lose the buffer.
"""

import dataclasses

import numpy as np
import pytest

import kernels
from kernels.loop import GLOBAL_TOLERANCES_FROM, tolerance_arguments
from kernels.solvers.base import newton_floor, newton_kappa

N = 32


def _integrator(method, controller, precision, global_from, events=None, n=N):
    integ = kernels.Integrator(kernels.brusselator(n), method, controller=controller, precision=precision,
                               events=events)
    integ.settings = dataclasses.replace(integ.settings, global_tolerances_from=global_from)
    return integ


@pytest.mark.parametrize("method, controller, precision, n", [("sdirk4", "fixed", np.float32, N),
                                                              ("radau", "pi", np.float64, N),
                                                              ("radau", "fixed", np.float32, 8),
                                                              ("kvaerno3", "pi", np.float32, N)])
def test_the_global_array_gives_the_per_thread_copy_s_numbers(method, controller, precision, n):
    y0 = np.array([kernels.brusselator_initial(n), 1.05 * kernels.brusselator_initial(n)])
    tol = 1e-5 if precision == np.float32 else 1e-7
    atol = np.linspace(0.5, 2.0, n) * tol  # a vector atol: its elements must land where the buffer had them
    results, plans = [], []
    for global_from in (1, 10**9):
        integ = _integrator(method, controller, precision, global_from, n=n)
        assert integ.settings.tolerances_global == (global_from == 1)
        plans.append(integ.plan("local"))
        kwargs = dict(dt=2e-3) if controller == "fixed" else {}
        results.append(integ.solve((0.0, 0.02), y0, None, rtol=tol, atol=atol, plan=plans[-1], **kwargs))
    shared, copied = results
    assert shared.success and (shared.n_steps == copied.n_steps).all()
    np.testing.assert_array_equal(shared.y, copied.y)
    assert plans[1].persistent_local_elements - plans[0].persistent_local_elements == 2 * n + 1


def test_small_systems_explicit_methods_and_events_keep_the_per_thread_copy():
    assert GLOBAL_TOLERANCES_FROM > 8
    assert not kernels.Integrator(kernels.brusselator(8), "sdirk4", precision=np.float64).settings.tolerances_global
    # FIRK's own threshold: from 8 states
    assert kernels.Integrator(kernels.brusselator(8), "radau", precision=np.float64).settings.tolerances_global
    assert not kernels.Integrator(kernels.robertson(), "radau", precision=np.float64).settings.tolerances_global
    assert not kernels.Integrator(kernels.brusselator(N), "tsit5", precision=np.float64).settings.tolerances_global
    rosenbrock = kernels.Integrator(kernels.brusselator(N), "rodas4", precision=np.float64).settings
    assert not rosenbrock.tolerances_global and rosenbrock.tolerance_elements == 2 * N  # no Newton: the error norm's
    terminal = kernels.Event(lambda t, y, p: y[0] - 1.5, terminal=True)
    with_events = _integrator("sdirk4", "pi", np.float64, GLOBAL_TOLERANCES_FROM, events=[terminal])
    assert not with_events.settings.tolerances_global
    assert with_events.settings.tolerance_elements == 2 * N + 1


@pytest.mark.parametrize("precision", [np.float32, np.float64])
def test_tolerance_arguments_lay_out_the_buffer(precision):
    settings = _integrator("sdirk4", "fixed", precision, GLOBAL_TOLERANCES_FROM).settings
    atol = np.linspace(1e-6, 2e-6, N).astype(precision)
    rtol = np.linspace(3e-5, 1e-4, N).astype(precision)
    first, second = tolerance_arguments(settings, atol, rtol, precision)
    assert first.dtype == precision and first.shape == (2 * N + 1,)
    np.testing.assert_array_equal(first[:N], atol)
    np.testing.assert_array_equal(first[N:2 * N], rtol)
    floor_eps = float(newton_floor(precision, adaptive=False))  # fixed steps: SciPy's 10 eps
    assert floor_eps == 10.0 * float(np.finfo(precision).eps)
    assert first[-1] == pytest.approx(newton_kappa(settings.step.newton_kappa, float(rtol.min()), floor_eps), rel=1e-6)
    assert second is rtol
    per_thread = dataclasses.replace(settings, global_tolerances_from=10**9)
    assert tolerance_arguments(per_thread, atol, rtol, precision) == (atol, rtol)
